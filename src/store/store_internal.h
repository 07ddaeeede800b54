/*
 * What the store modules of src/store share beyond the public store.h: the
 * open store itself (which engine, its connection, its tenant) and the
 * mapping of statement-layer result codes (sql.h) to dms statuses. Not
 * installed, not included outside src/store.
 */
#ifndef DMS_STORE_INTERNAL_H
#define DMS_STORE_INTERNAL_H

#include <sqlite3.h>

#include <libpq-fe.h>

#include "dms/store.h"
#include "dms/sql.h"

struct dms_store {
    bool pg;                       /* PostgreSQL (pgconn) rather than SQLite (db) */
    sqlite3 *db;                   /* SQLite connection */
    PGconn *pgconn;                /* PostgreSQL connection */
    char uri[1024];                /* PostgreSQL: the connection URI, to reconnect */
    char path[DMS_ERROR_PATH_MAX]; /* shown in messages: the file, or the URI without password */
    long tenant;                   /* the employer every scoped query reads and writes; 0: none */
    long changes;                  /* PostgreSQL: rows changed by the last statement */
    bool nowait;                   /* PostgreSQL: lock_timeout lowered */
    bool tx; /* PostgreSQL: inside a transaction (kept when the connection breaks in one) */
    char errmsg[512]; /* PostgreSQL: the last error */
};

/*
 * Records a failure rc (a DMS_SQL_* code) during `what` in err: BUSY becomes
 * DMS_ECONFLICT, NOMEM DMS_ENOMEM, CONSTRAINT DMS_EINVAL, DOWN
 * DMS_EUNAVAILABLE, the rest DMS_EIO. Returns the status.
 */
int dms_store_fail(dms_store *store, int rc, const char *what, dms_error *err);

/* Connects the PostgreSQL store (sql.c); store->uri and path are set. */
int dms_sql_pg_connect(dms_store *store);

/* ---- statement helpers shared by the store modules (store_util.c) ---- */

/* Prepares sql on store; a failure is recorded in err as "preparing a statement". */
int dms_store_prepare(dms_store *store, const char *sql, dms_stmt **stmt, dms_error *err);

/* Steps an INSERT ... RETURNING id; *id is the new row's id. */
int dms_store_step_id(dms_store *store, dms_stmt *stmt, long *id, const char *what, dms_error *err);

/* Steps a statement that returns no row. */
int dms_store_step_done(dms_store *store, dms_stmt *stmt, const char *what, dms_error *err);

/* Copies column col of stmt (NULL as "") into buf of size bytes. */
void dms_store_column_text(dms_stmt *stmt, int col, char *buf, size_t size);

/* Binds text at i, or NULL when text is NULL or empty. */
void dms_store_bind_text_or_null(dms_stmt *stmt, int i, const char *text);

/* The refusal of a scoped call on a connection bound to no employer (DMS_ENOTFOUND). */
int dms_store_no_tenant(dms_error *err);

/*
 * Steps stmt to the end, growing an array of row_size-byte rows (first_cap,
 * then doubling) that read fills from each row; finalizes stmt. On failure
 * (nomem: the out-of-memory message; what: the step being done) the array is
 * freed, *out is NULL and *n 0.
 */
int dms_store_read_rows(dms_store *store, dms_stmt *stmt, size_t row_size, size_t first_cap,
                        void (*read)(dms_stmt *stmt, void *row), const char *nomem,
                        const char *what, void **out, size_t *n, dms_error *err);

#endif
