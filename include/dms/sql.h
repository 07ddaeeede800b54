/*
 * The statement layer the store modules of src/store talk to instead of a
 * database library: prepare, bind, step, read columns, finalize, run a
 * script, transactions. Each query is written once, in the SQL both engines
 * accept, with ?N placeholders (the PostgreSQL driver turns them into $N).
 * PostgreSQL infers the type of a text or NULL parameter from where it
 * first appears, so a parameter must first appear where its type follows
 * from the context: `(department = ?1 OR ?1 IS NULL)`, not the reverse, or
 * `CAST(?1 AS TEXT) IS NULL` (integers are always typed).
 * Two drivers sit behind it (sql_sqlite.c, sql_pg.c); dms_store_open picks
 * one from the --db argument. Result codes keep SQLite's numbering so that
 * a store module reads the same whichever engine answers. The store modules
 * of src/store use it, and so do tests that look into the tables; nothing
 * else should (the API and the CLI go through the store modules).
 */
#ifndef DMS_STORE_SQL_H
#define DMS_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/store.h"

typedef struct dms_stmt dms_stmt;

enum {
    DMS_SQL_OK = 0,
    DMS_SQL_ERROR = 1, /* anything else: a bug in a query, a full disk */
    DMS_SQL_BUSY = 5,  /* a lock or the statement timeout: retry later */
    DMS_SQL_NOMEM = 7,
    DMS_SQL_CONSTRAINT = 19, /* a CHECK, UNIQUE, NOT NULL or foreign key refused a row */
    DMS_SQL_DOWN = 14,       /* the database server cannot be reached */
    DMS_SQL_ROW = 100,
    DMS_SQL_DONE = 101,
};

/* Prepares sql on store's connection; *out NULL on failure. */
int dms_sql_prepare(dms_store *store, const char *sql, dms_stmt **out);
/* Binds parameter i (1-based); text is copied. A NULL text binds NULL. */
int dms_sql_bind_text(dms_stmt *stmt, int i, const char *text);
/* Binds the first len bytes of text. */
int dms_sql_bind_text_n(dms_stmt *stmt, int i, const char *text, int len);
int dms_sql_bind_int64(dms_stmt *stmt, int i, long long v);
int dms_sql_bind_null(dms_stmt *stmt, int i);
/* Binds len bytes (copied) as a BLOB (bytea on PostgreSQL). */
int dms_sql_bind_blob(dms_stmt *stmt, int i, const void *data, size_t len);
/* DMS_SQL_ROW with a row to read, DMS_SQL_DONE at the end, or an error code. */
int dms_sql_step(dms_stmt *stmt);
/*
 * Steps an INSERT ending in RETURNING id (both engines know it) to its end:
 * *id is the new row's id. DMS_SQL_DONE on success.
 */
int dms_sql_step_id(dms_stmt *stmt, long long *id);
/* Rewinds stmt to run again; the bindings stay. */
void dms_sql_reset(dms_stmt *stmt);
void dms_sql_clear_bindings(dms_stmt *stmt);
void dms_sql_finalize(dms_stmt *stmt);
/* Columns of the current row; a boolean column reads as 0 or 1; NULL reads 0 or NULL. */
long long dms_sql_column_int64(dms_stmt *stmt, int col);
int dms_sql_column_int(dms_stmt *stmt, int col);
const char *dms_sql_column_text(dms_stmt *stmt, int col);
bool dms_sql_column_null(dms_stmt *stmt, int col);
/* A BLOB column: its bytes (valid until the next step) and their count in *len. */
const void *dms_sql_column_blob(dms_stmt *stmt, int col, size_t *len);
/* Columns in the result of stmt. */
int dms_sql_column_count(dms_stmt *stmt);

/* Runs one or more statements without parameters or results. */
int dms_sql_exec(dms_store *store, const char *sql);
/*
 * Starts a write transaction. Writers are serialised as in SQLite (BEGIN
 * IMMEDIATE): on PostgreSQL the transaction takes one advisory lock, which a
 * second writer waits for up to the statement timeout.
 */
int dms_sql_begin(dms_store *store);
int dms_sql_commit(dms_store *store);
void dms_sql_rollback(dms_store *store);
/* True inside a transaction the code opened. */
bool dms_sql_in_transaction(dms_store *store);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
long dms_sql_changes(dms_store *store);
/* The engine's last error message on store (never NULL). */
const char *dms_sql_errmsg(dms_store *store);
/* True on PostgreSQL. */
bool dms_sql_is_pg(const dms_store *store);
/*
 * After rows were inserted with explicit ids into table (column id): makes
 * the next generated id larger than every stored one (PostgreSQL identity
 * columns do not follow explicit ids; SQLite's rowid does by itself).
 */
int dms_sql_sync_id(dms_store *store, const char *table);
/*
 * PostgreSQL's COPY ... FROM STDIN: begin with the COPY statement, put rows
 * of COPY text format in chunks of any size, end (with a non-NULL failure
 * message to abort it). DMS_SQL_ERROR on SQLite, which has no COPY.
 */
int dms_sql_copy_begin(dms_store *store, const char *copy_sql);
int dms_sql_copy_put(dms_store *store, const char *data, size_t len);
int dms_sql_copy_end(dms_store *store, const char *failure);
/* Waits for no lock (true) or for the usual timeout (false). */
void dms_sql_nowait(dms_store *store, bool nowait);

#endif
