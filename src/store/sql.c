/*
 * The two drivers of the statement layer (sql.h). SQLite is used as it is.
 * PostgreSQL runs each statement with PQexecParams in text format: ?N
 * placeholders become $N, an integer binds as int8 and a text as an
 * untyped literal (the server infers the column's type), and the whole
 * result is fetched at the first step, which then walks its rows. A
 * connection that broke (the server restarted) is reset before the next
 * statement outside a transaction, so a long-lived per-thread connection
 * heals by itself; while the server is away statements fail with
 * DMS_SQL_DOWN, which the HTTP layer answers with 503.
 */
#include "dms/sql.h"
#include "store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* int8 and the untyped literal, from PostgreSQL's catalog (pg_type.h is server-side). */
#define PG_INT8OID 20
#define PG_UNKNOWN 0
#define PG_TEXTOID 25
#define PG_BYTEAOID 17
/* The advisory lock key every write transaction takes ("dmsw"). */
#define PG_WRITE_LOCK "1684893559"

struct dms_stmt {
    dms_store *store;
    sqlite3_stmt *lite;
    const char *key; /* SQLite: the text pointer it was prepared from, for the cache */
    /* PostgreSQL */
    char *sql;
    int nparams;
    unsigned long long used; /* bit i-1: $i appears in the text */
    char **values;
    Oid *types;
    int *lengths;        /* binary parameters (bytea): their length; text ones 0 */
    int *formats;        /* 1 for a binary parameter */
    unsigned char *blob; /* the last bytea column read, unescaped */
    PGresult *res;
    int row, nrows;
    bool executed;
};

bool dms_sql_is_pg(const dms_store *store)
{
    return store != NULL && store->pg;
}

/* ---- PostgreSQL helpers ------------------------------------------------------ */

static void pg_note(dms_store *store, const char *msg)
{
    snprintf(store->errmsg, sizeof store->errmsg, "%s", msg != NULL ? msg : "unknown error");
    /* libpq's messages span lines; an error message here is one line. */
    for (char *c = store->errmsg; *c != '\0'; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    size_t n = strlen(store->errmsg);
    while (n > 0 && store->errmsg[n - 1] == ' ')
        store->errmsg[--n] = '\0';
}

/* The DMS_SQL code of a failed PostgreSQL result (res may be NULL). */
static int pg_code(dms_store *store, PGresult *res)
{
    pg_note(store, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(store->pgconn));
    if (PQstatus(store->pgconn) != CONNECTION_OK)
        return DMS_SQL_DOWN;
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        return DMS_SQL_DOWN;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return DMS_SQL_CONSTRAINT;
    /* serialization failure, deadlock, lock not available, query canceled (timeout) */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0)
        return DMS_SQL_BUSY;
    /* admin shutdown, crash shutdown, cannot connect now */
    if (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0)
        return DMS_SQL_DOWN;
    if (strcmp(state, "53200") == 0)
        return DMS_SQL_NOMEM;
    return DMS_SQL_ERROR;
}

/* Session settings every (re)connection gets. */
static int pg_session(dms_store *store)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %d; SET client_min_messages = warning; "
             "SET TIME ZONE 'UTC'",
             DMS_STORE_BUSY_TIMEOUT_MS);
    PGresult *res = PQexec(store->pgconn, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? DMS_SQL_OK : pg_code(store, res);
    PQclear(res);
    store->nowait = false;
    return rc;
}

int dms_sql_pg_connect(dms_store *store)
{
    store->pgconn = PQconnectdb(store->uri);
    if (store->pgconn == NULL) {
        pg_note(store, "no memory for the connection");
        return DMS_SQL_NOMEM;
    }
    if (PQstatus(store->pgconn) != CONNECTION_OK) {
        pg_note(store, PQerrorMessage(store->pgconn));
        return DMS_SQL_DOWN;
    }
    return pg_session(store);
}

/*
 * Before a statement: a broken connection outside a transaction is reset.
 * Inside one it is not: the statements before the break are gone with the
 * server's transaction, and running the rest on a new connection would
 * commit half of it. The caller rolls back (which clears store->tx) and the
 * next transaction reconnects.
 */
static int pg_ready(dms_store *store)
{
    if (PQstatus(store->pgconn) == CONNECTION_OK)
        return DMS_SQL_OK;
    if (store->tx) {
        pg_note(store, "the connection was lost inside a transaction");
        return DMS_SQL_DOWN;
    }
    PQreset(store->pgconn);
    if (PQstatus(store->pgconn) != CONNECTION_OK) {
        pg_note(store, PQerrorMessage(store->pgconn));
        return DMS_SQL_DOWN;
    }
    return pg_session(store);
}

/* After a statement on a live connection: whether a transaction is open. */
static void pg_track(dms_store *store)
{
    if (PQstatus(store->pgconn) == CONNECTION_OK)
        store->tx = PQtransactionStatus(store->pgconn) != PQTRANS_IDLE;
}

/* ?N -> $N and a bare ? -> the next $k, outside string literals and quoted names. */
static char *pg_translate(const char *sql, int *nparams, unsigned long long *used)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 2 + 16);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    int next = 0, max = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = sql[i];
        if (quote != 0) {
            if (c == quote)
                quote = 0;
            out[o++] = c;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            out[o++] = c;
            continue;
        }
        if (c != '?') {
            out[o++] = c;
            continue;
        }
        int n = 0;
        size_t j = i + 1;
        while (j < len && isdigit((unsigned char)sql[j]))
            n = n * 10 + (sql[j++] - '0');
        if (j == i + 1)
            n = ++next;
        else
            next = n;
        i = j - 1;
        if (n > max)
            max = n;
        if (n >= 1 && n <= 64)
            *used |= 1ull << (n - 1);
        o += (size_t)sprintf(out + o, "$%d", n);
    }
    out[o] = '\0';
    *nparams = max;
    return out;
}

static int pg_bind(dms_stmt *stmt, int i, char *value, Oid type)
{
    if (i < 1 || i > stmt->nparams) {
        free(value);
        return DMS_SQL_ERROR;
    }
    free(stmt->values[i - 1]);
    stmt->values[i - 1] = value;
    stmt->types[i - 1] = type;
    stmt->lengths[i - 1] = 0;
    stmt->formats[i - 1] = 0;
    return DMS_SQL_OK;
}

/* ---- statements ------------------------------------------------------------- */

static int lite_code(int rc)
{
    int primary = rc & 0xff;
    if (primary == SQLITE_LOCKED)
        return DMS_SQL_BUSY;
    if (primary == SQLITE_ROW || primary == SQLITE_DONE || primary == SQLITE_OK ||
        primary == SQLITE_BUSY || primary == SQLITE_NOMEM || primary == SQLITE_CONSTRAINT)
        return primary;
    return DMS_SQL_ERROR;
}

/*
 * The statement cache of a SQLite connection. Compiling a statement costs
 * more than running it (a third of a picker request's CPU went to parsing
 * SQL), and the store runs the same few dozen statements again and again:
 * a finalized statement is reset, its bindings cleared, and kept by the
 * connection; preparing the same text (from the same pointer: a literal at
 * its call site, checked byte for byte, so a reused buffer with another
 * text is no hit) takes it back. A kept statement holds no lock (reset ends
 * its read) and is re-prepared by SQLite itself if the schema changes.
 */
static sqlite3_stmt *cache_take(dms_store *store, const char *sql)
{
    for (unsigned i = 0; i < DMS_STORE_STMT_CACHE; i++)
        if (store->cached[i] != NULL && store->cached_sql[i] == sql &&
            strcmp(sqlite3_sql(store->cached[i]), sql) == 0) {
            sqlite3_stmt *lite = store->cached[i];
            store->cached[i] = NULL;
            return lite;
        }
    return NULL;
}

static void cache_put(dms_store *store, sqlite3_stmt *lite, const char *key)
{
    sqlite3_reset(lite);
    sqlite3_clear_bindings(lite);
    unsigned slot = DMS_STORE_STMT_CACHE;
    for (unsigned i = 0; i < DMS_STORE_STMT_CACHE && slot == DMS_STORE_STMT_CACHE; i++)
        if (store->cached[i] == NULL)
            slot = i;
    if (slot == DMS_STORE_STMT_CACHE) { /* full: the slots are taken over in turn */
        slot = store->cache_next++ % DMS_STORE_STMT_CACHE;
        sqlite3_finalize(store->cached[slot]);
    }
    store->cached[slot] = lite;
    store->cached_sql[slot] = key;
}

void dms_sql_cache_clear(dms_store *store)
{
    for (unsigned i = 0; i < DMS_STORE_STMT_CACHE; i++) {
        sqlite3_finalize(store->cached[i]);
        store->cached[i] = NULL;
    }
}

int dms_sql_prepare(dms_store *store, const char *sql, dms_stmt **out)
{
    *out = NULL;
    dms_stmt *stmt = calloc(1, sizeof *stmt);
    if (stmt == NULL)
        return DMS_SQL_NOMEM;
    stmt->store = store;
    if (!store->pg) {
        stmt->key = sql;
        if ((stmt->lite = cache_take(store, sql)) != NULL) {
            *out = stmt;
            return DMS_SQL_OK;
        }
        int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt->lite, NULL);
        if (rc != SQLITE_OK) {
            free(stmt);
            return lite_code(rc);
        }
        *out = stmt;
        return DMS_SQL_OK;
    }
    stmt->sql = pg_translate(sql, &stmt->nparams, &stmt->used);
    if (stmt->sql == NULL)
        goto nomem;
    if (stmt->nparams > 0) {
        stmt->values = calloc((size_t)stmt->nparams, sizeof *stmt->values);
        stmt->types = calloc((size_t)stmt->nparams, sizeof *stmt->types);
        stmt->lengths = calloc((size_t)stmt->nparams, sizeof *stmt->lengths);
        stmt->formats = calloc((size_t)stmt->nparams, sizeof *stmt->formats);
        if (stmt->values == NULL || stmt->types == NULL || stmt->lengths == NULL ||
            stmt->formats == NULL)
            goto nomem;
    }
    *out = stmt;
    return DMS_SQL_OK;
nomem:
    dms_sql_finalize(stmt);
    return DMS_SQL_NOMEM;
}

int dms_sql_bind_text_n(dms_stmt *stmt, int i, const char *text, int len)
{
    if (text == NULL)
        return dms_sql_bind_null(stmt, i);
    if (stmt->lite != NULL)
        return lite_code(sqlite3_bind_text(stmt->lite, i, text, len, SQLITE_TRANSIENT));
    char *copy = len < 0 ? strdup(text) : strndup(text, (size_t)len);
    if (copy == NULL)
        return DMS_SQL_NOMEM;
    return pg_bind(stmt, i, copy, PG_UNKNOWN);
}

int dms_sql_bind_text(dms_stmt *stmt, int i, const char *text)
{
    return dms_sql_bind_text_n(stmt, i, text, -1);
}

int dms_sql_bind_int64(dms_stmt *stmt, int i, long long v)
{
    if (stmt->lite != NULL)
        return lite_code(sqlite3_bind_int64(stmt->lite, i, v));
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    char *copy = strdup(buf);
    if (copy == NULL)
        return DMS_SQL_NOMEM;
    return pg_bind(stmt, i, copy, PG_INT8OID);
}

int dms_sql_bind_null(dms_stmt *stmt, int i)
{
    if (stmt->lite != NULL)
        return lite_code(sqlite3_bind_null(stmt->lite, i));
    return pg_bind(stmt, i, NULL, PG_UNKNOWN);
}

int dms_sql_bind_blob(dms_stmt *stmt, int i, const void *data, size_t len)
{
    if (stmt->lite != NULL)
        return lite_code(
            sqlite3_bind_blob64(stmt->lite, i, len > 0 ? data : "", len, SQLITE_TRANSIENT));
    if (len > (size_t)1 << 30)
        return DMS_SQL_ERROR;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return DMS_SQL_NOMEM;
    if (len > 0)
        memcpy(copy, data, len);
    int rc = pg_bind(stmt, i, copy, PG_BYTEAOID);
    if (rc == DMS_SQL_OK) {
        stmt->lengths[i - 1] = (int)len;
        stmt->formats[i - 1] = 1;
    }
    return rc;
}

int dms_sql_step(dms_stmt *stmt)
{
    if (stmt->lite != NULL)
        return lite_code(sqlite3_step(stmt->lite));
    dms_store *store = stmt->store;
    if (!stmt->executed) {
        stmt->executed = true;
        stmt->row = -1;
        stmt->nrows = 0;
        int ready = pg_ready(store);
        if (ready != DMS_SQL_OK)
            return ready;
        /* A parameter the text never mentions still needs a type. */
        for (int i = 0; i < stmt->nparams && i < 64; i++)
            if (!(stmt->used & (1ull << i))) {
                stmt->types[i] = PG_TEXTOID;
                stmt->formats[i] = 0;
            }
        stmt->res =
            PQexecParams(store->pgconn, stmt->sql, stmt->nparams, stmt->types,
                         (const char *const *)stmt->values, stmt->lengths, stmt->formats, 0);
        ExecStatusType st = PQresultStatus(stmt->res);
        pg_track(store);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
            return pg_code(store, stmt->res);
        stmt->nrows = PQntuples(stmt->res);
        store->changes = strtol(PQcmdTuples(stmt->res), NULL, 10);
    }
    stmt->row++;
    return stmt->row < stmt->nrows ? DMS_SQL_ROW : DMS_SQL_DONE;
}

int dms_sql_step_id(dms_stmt *stmt, long long *id)
{
    int rc = dms_sql_step(stmt);
    if (rc != DMS_SQL_ROW)
        return rc == DMS_SQL_DONE ? DMS_SQL_ERROR : rc;
    *id = dms_sql_column_int64(stmt, 0);
    return dms_sql_step(stmt);
}

void dms_sql_reset(dms_stmt *stmt)
{
    if (stmt == NULL)
        return;
    if (stmt->lite != NULL) {
        sqlite3_reset(stmt->lite);
        return;
    }
    PQclear(stmt->res);
    stmt->res = NULL;
    stmt->executed = false;
}

void dms_sql_clear_bindings(dms_stmt *stmt)
{
    if (stmt->lite != NULL) {
        sqlite3_clear_bindings(stmt->lite);
        return;
    }
    for (int i = 0; i < stmt->nparams; i++) {
        free(stmt->values[i]);
        stmt->values[i] = NULL;
        stmt->types[i] = PG_UNKNOWN;
        stmt->lengths[i] = 0;
        stmt->formats[i] = 0;
    }
}

void dms_sql_finalize(dms_stmt *stmt)
{
    if (stmt == NULL)
        return;
    if (stmt->lite != NULL)
        cache_put(stmt->store, stmt->lite, stmt->key);
    PQclear(stmt->res);
    if (stmt->blob != NULL)
        PQfreemem(stmt->blob);
    for (int i = 0; i < stmt->nparams && stmt->values != NULL; i++)
        free(stmt->values[i]);
    free(stmt->values);
    free(stmt->types);
    free(stmt->lengths);
    free(stmt->formats);
    free(stmt->sql);
    free(stmt);
}

static const char *pg_value(dms_stmt *stmt, int col)
{
    if (stmt->res == NULL || stmt->row < 0 || stmt->row >= stmt->nrows ||
        col >= PQnfields(stmt->res) || PQgetisnull(stmt->res, stmt->row, col))
        return NULL;
    return PQgetvalue(stmt->res, stmt->row, col);
}

long long dms_sql_column_int64(dms_stmt *stmt, int col)
{
    if (stmt->lite != NULL)
        return sqlite3_column_int64(stmt->lite, col);
    const char *v = pg_value(stmt, col);
    if (v == NULL)
        return 0;
    if (v[0] == 't' && v[1] == '\0') /* a boolean expression */
        return 1;
    return strtoll(v, NULL, 10);
}

int dms_sql_column_int(dms_stmt *stmt, int col)
{
    return (int)dms_sql_column_int64(stmt, col);
}

const char *dms_sql_column_text(dms_stmt *stmt, int col)
{
    if (stmt->lite != NULL)
        return (const char *)sqlite3_column_text(stmt->lite, col);
    return pg_value(stmt, col);
}

bool dms_sql_column_null(dms_stmt *stmt, int col)
{
    if (stmt->lite != NULL)
        return sqlite3_column_type(stmt->lite, col) == SQLITE_NULL;
    return pg_value(stmt, col) == NULL;
}

const void *dms_sql_column_blob(dms_stmt *stmt, int col, size_t *len)
{
    *len = 0;
    if (stmt->lite != NULL) {
        const void *data = sqlite3_column_blob(stmt->lite, col);
        *len = (size_t)sqlite3_column_bytes(stmt->lite, col);
        return data;
    }
    const char *v = pg_value(stmt, col);
    if (stmt->blob != NULL) {
        PQfreemem(stmt->blob);
        stmt->blob = NULL;
    }
    if (v == NULL)
        return NULL;
    stmt->blob = PQunescapeBytea((const unsigned char *)v, len);
    return stmt->blob;
}

int dms_sql_column_count(dms_stmt *stmt)
{
    if (stmt->lite != NULL)
        return sqlite3_column_count(stmt->lite);
    return stmt->res != NULL ? PQnfields(stmt->res) : 0;
}

/* ---- scripts and transactions ------------------------------------------------ */

int dms_sql_exec(dms_store *store, const char *sql)
{
    if (!store->pg)
        return lite_code(sqlite3_exec(store->db, sql, NULL, NULL, NULL));
    int ready = pg_ready(store);
    if (ready != DMS_SQL_OK)
        return ready;
    PGresult *res = PQexec(store->pgconn, sql);
    ExecStatusType st = PQresultStatus(res);
    pg_track(store);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? DMS_SQL_OK : pg_code(store, res);
    PQclear(res);
    return rc;
}

/* One SQLite statement through the statement cache: BEGIN and COMMIT run
 * on every write, and sqlite3_exec would compile them again each time. */
static int lite_once(dms_store *store, const char *sql)
{
    dms_stmt *stmt = NULL;
    int rc = dms_sql_prepare(store, sql, &stmt);
    if (rc == DMS_SQL_OK) {
        rc = dms_sql_step(stmt);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(stmt);
    return rc;
}

int dms_sql_begin(dms_store *store)
{
    if (!store->pg)
        return lite_once(store, "BEGIN IMMEDIATE");
    int rc = dms_sql_exec(store, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")");
    if (rc != DMS_SQL_OK)
        dms_sql_rollback(store);
    return rc;
}

int dms_sql_commit(dms_store *store)
{
    /* PostgreSQL answers COMMIT of a failed transaction with a rollback, not an error. */
    if (store->pg && PQtransactionStatus(store->pgconn) == PQTRANS_INERROR) {
        pg_note(store, "the transaction failed earlier and was rolled back");
        dms_sql_rollback(store);
        return DMS_SQL_ERROR;
    }
    return store->pg ? dms_sql_exec(store, "COMMIT") : lite_once(store, "COMMIT");
}

void dms_sql_rollback(dms_store *store)
{
    if (!dms_sql_in_transaction(store))
        return;
    if (!store->pg) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
        return;
    }
    store->tx = false;
    if (PQstatus(store->pgconn) == CONNECTION_OK)
        PQclear(PQexec(store->pgconn, "ROLLBACK"));
}

bool dms_sql_in_transaction(dms_store *store)
{
    if (!store->pg)
        return sqlite3_get_autocommit(store->db) == 0;
    PGTransactionStatusType t = PQtransactionStatus(store->pgconn);
    return store->tx || t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

long dms_sql_changes(dms_store *store)
{
    return store->pg ? store->changes : (long)sqlite3_changes(store->db);
}

const char *dms_sql_errmsg(dms_store *store)
{
    if (!store->pg)
        return store->db != NULL ? sqlite3_errmsg(store->db) : "cannot open the database";
    return store->errmsg;
}

int dms_sql_sync_id(dms_store *store, const char *table)
{
    if (!store->pg)
        return DMS_SQL_OK;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
             "greatest((SELECT max(id) FROM %s), 1))",
             table, table);
    return dms_sql_exec(store, sql);
}

/* ---- waiting for a lock (SQLite) ---------------------------------------------- */

long long dms_store_monotonic_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/*
 * Waiting for a lock another connection holds. SQLite's own busy handler
 * sleeps 1, 2, 5, 10, 15 ms and more between tries, so a writer that finds
 * the lock taken by a commit or a log restart of a millisecond or two sleeps
 * 3 or 8 ms: under the picker's writes the whole queue of writers stalled
 * that long at each restart of the log. This one tries again every
 * BUSY_POLL_US for the first BUSY_FINE_MS, then every millisecond (a long
 * holder: another process's import), up to the connection's timeout.
 */
#define BUSY_POLL_US 100
#define BUSY_FINE_MS 20

static int busy_wait(void *arg, int count)
{
    dms_store *store = arg;
    long long now = dms_store_monotonic_us();
    if (count == 0)
        store->busy_since = now;
    long long waited = now - store->busy_since;
    if (waited >= (long long)store->busy_ms * 1000)
        return 0;
    long pause_us = waited < BUSY_FINE_MS * 1000 ? BUSY_POLL_US : 1000;
    struct timespec pause = {0, pause_us * 1000L};
    nanosleep(&pause, NULL);
    return 1;
}

void dms_store_busy_set(dms_store *store, int ms)
{
    if (store == NULL || store->pg || store->db == NULL)
        return;
    store->busy_ms = ms > 0 ? ms : 0;
    /* No handler at all for no wait: BUSY at once, as sqlite3_busy_timeout(db, 0). */
    sqlite3_busy_handler(store->db, ms > 0 ? busy_wait : NULL, store);
}

void dms_sql_nowait(dms_store *store, bool nowait)
{
    if (!store->pg) {
        dms_store_busy_set(store, nowait ? 0 : DMS_STORE_BUSY_TIMEOUT_MS);
        return;
    }
    if (store->nowait == nowait || PQstatus(store->pgconn) != CONNECTION_OK)
        return;
    PQclear(PQexec(store->pgconn, nowait ? "SET lock_timeout = 1" : "SET lock_timeout = 0"));
    store->nowait = nowait;
}

int dms_sql_copy_begin(dms_store *store, const char *copy_sql)
{
    if (!store->pg) {
        snprintf(store->errmsg, sizeof store->errmsg, "COPY needs PostgreSQL");
        return DMS_SQL_ERROR;
    }
    PGresult *res = PQexec(store->pgconn, copy_sql);
    int rc = PQresultStatus(res) == PGRES_COPY_IN ? DMS_SQL_OK : pg_code(store, res);
    PQclear(res);
    return rc;
}

int dms_sql_copy_put(dms_store *store, const char *data, size_t len)
{
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        if (PQputCopyData(store->pgconn, data, chunk) != 1)
            return pg_code(store, NULL);
        data += chunk;
        len -= (size_t)chunk;
    }
    return DMS_SQL_OK;
}

int dms_sql_copy_end(dms_store *store, const char *failure)
{
    if (PQputCopyEnd(store->pgconn, failure) != 1)
        return pg_code(store, NULL);
    int rc = DMS_SQL_OK;
    PGresult *res;
    while ((res = PQgetResult(store->pgconn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == DMS_SQL_OK)
            rc = pg_code(store, res);
        PQclear(res);
    }
    pg_track(store);
    return failure != NULL && rc == DMS_SQL_OK ? DMS_SQL_ERROR : rc;
}
