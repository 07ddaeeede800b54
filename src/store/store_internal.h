/*
 * What the store modules of src/store share beyond the public store.h: the
 * open store itself (which engine, its connection, its tenant) and the
 * mapping of statement-layer result codes (sql.h) to dms statuses. Not
 * installed, not included outside src/store.
 */
#ifndef DMS_STORE_INTERNAL_H
#define DMS_STORE_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <sqlite3.h>

#include <libpq-fe.h>

#include "dms/store.h"
#include "dms/sql.h"

/* Prepared SQLite statements a connection keeps (a request runs about ten). */
#define DMS_STORE_STMT_CACHE 32

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
    /* SQLite: finished statements kept for reuse, with the text pointer each
     * was prepared from (sql.c); finalized by dms_store_close. */
    sqlite3_stmt *cached[DMS_STORE_STMT_CACHE];
    const char *cached_sql[DMS_STORE_STMT_CACHE];
    unsigned cache_next;
    /* SQLite: how long a statement waits for a lock (dms_store_busy_set), and
     * since when the current wait has lasted (monotonic microseconds). */
    int busy_ms;
    long long busy_since;
    bool defer;     /* SQLite: checkpoints deferred (dms_store_defer_checkpoints) */
    dev_t file_dev; /* SQLite: the database file opened (to know a replaced one) */
    ino_t file_ino;
};

/*
 * A second SQLite connection to the file of like (no migration: like's open
 * has done them), with like's settings, for the writers' gate to keep.
 */
int dms_store_open_writer(const dms_store *like, dms_store **out);

/* Whether a and b are SQLite connections to the same database file. */
bool dms_store_same_file(const dms_store *a, const dms_store *b);

/*
 * Exchanges the SQLite connections of a and b (with their kept statements),
 * each keeping its own settings (busy timeout, deferred checkpoints).
 */
void dms_store_swap_connection(dms_store *a, dms_store *b);

/*
 * Sets how long statements of the SQLite connection wait for a lock held by
 * another connection, in milliseconds (0: they fail at once with BUSY). The
 * wait polls finely (see sql.c), not as SQLite's own busy handler sleeps.
 */
void dms_store_busy_set(dms_store *store, int ms);

/*
 * The writers' gate of the store's database file (db.c): enter
 * waits, up to the busy timeout, for the writers of this process queued
 * before; leave lets the next one in. A thread holds one gate at a time:
 * entering again (or a second store) is a no-op, and so is leaving a store
 * not held. No-ops on PostgreSQL.
 */
void dms_store_gate_enter(const dms_store *store);
void dms_store_gate_leave(const dms_store *store);
/* The gate's holder writes on the connection the gate keeps (db.c). */
void dms_store_gate_writer_in(dms_store *store);
/* Closes the gates' kept writer connections. */
void dms_store_gate_writers_close(void);
/* Microseconds of the monotonic clock (sql.c). */
long long dms_store_monotonic_us(void);

/*
 * Records a failure rc (a DMS_SQL_* code) during `what` in err: BUSY becomes
 * DMS_ECONFLICT, NOMEM DMS_ENOMEM, CONSTRAINT DMS_EINVAL, DOWN
 * DMS_EUNAVAILABLE, the rest DMS_EIO. Returns the status.
 */
int dms_store_fail(dms_store *store, int rc, const char *what, dms_error *err);

/* Finalizes the SQLite statements the connection keeps (sql.c), before it closes. */
void dms_sql_cache_clear(dms_store *store);

/* Connects the PostgreSQL store (sql.c); store->uri and path are set. */
int dms_sql_pg_connect(dms_store *store);

/*
 * Statement helpers every store module uses, one copy for all: static inline
 * rather than exported, since they run in the middle of an entry point and
 * must keep (not clear) the error it may already hold.
 */
/* Prepares sql on store; a failure is recorded in err as "preparing a statement". */
static inline int dms_store_prepare(dms_store *store, const char *sql, dms_stmt **stmt,
                                    dms_error *err)
{
    int rc = dms_sql_prepare(store, sql, stmt);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, "preparing a statement", err);
}

/* Steps an INSERT ... RETURNING id; *id is the new row's id. */
static inline int dms_store_step_id(dms_store *store, dms_stmt *stmt, long *id, const char *what,
                                    dms_error *err)
{
    long long v = 0;
    int rc = dms_sql_step_id(stmt, &v);
    *id = (long)v;
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, what, err);
}

/* Steps a statement that returns no row. */
static inline int dms_store_step_done(dms_store *store, dms_stmt *stmt, const char *what,
                                      dms_error *err)
{
    int rc = dms_sql_step(stmt);
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, what, err);
}

/* Copies column col of stmt (NULL as "") into buf of size bytes. */
static inline void dms_store_column_text(dms_stmt *stmt, int col, char *buf, size_t size)
{
    const char *t = dms_sql_column_text(stmt, col);
    snprintf(buf, size, "%s", t != NULL ? t : "");
}

/* Binds text at i, or NULL when text is NULL or empty. */
static inline void dms_store_bind_text_or_null(dms_stmt *stmt, int i, const char *text)
{
    if (text != NULL && text[0] != '\0')
        dms_sql_bind_text(stmt, i, text);
    else
        dms_sql_bind_null(stmt, i);
}

/* The refusal of a scoped call on a connection bound to no employer (DMS_ENOTFOUND). */
static inline int dms_store_no_tenant(dms_error *err)
{
    return dms_error_set(err, DMS_ENOTFOUND, NULL,
                         "no employer selected: use /v1/employers/{id}/... or --employer ID");
}

/*
 * Steps stmt to the end, growing an array of row_size-byte rows (first_cap,
 * then doubling) that read fills from each row; finalizes stmt. On failure
 * (nomem: the out-of-memory message; what: the step being done) the array is
 * freed, *out is NULL and *n 0.
 */
static inline int dms_store_read_rows(dms_store *store, dms_stmt *stmt, size_t row_size,
                                      size_t first_cap, void (*read)(dms_stmt *stmt, void *row),
                                      const char *nomem, const char *what, void **out, size_t *n,
                                      dms_error *err)
{
    int status = DMS_OK;
    size_t cap = 0;
    unsigned char *list = NULL;
    *n = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (*n == cap) {
            size_t grown_cap = cap > 0 ? 2 * cap : first_cap;
            unsigned char *grown = realloc(list, grown_cap * row_size);
            if (grown == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "%s", nomem);
                goto out;
            }
            list = grown;
            cap = grown_cap;
        }
        read(stmt, list + (*n)++ * row_size);
    }
    if (rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, what, err);
out:
    dms_sql_finalize(stmt);
    if (status != DMS_OK) {
        free(list);
        list = NULL;
        *n = 0;
    }
    *out = list;
    return status;
}

#endif
