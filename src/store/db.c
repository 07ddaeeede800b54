/*
 * Opening the store and migrating its schema, on either engine.
 *
 * A file path opens SQLite. The connection runs in WAL mode (readers never
 * block the single writer, which suits an HTTP service) with foreign keys
 * enforced and a busy timeout so that concurrent writers wait instead of
 * failing at once. synchronous=NORMAL is the documented safe pairing with
 * WAL: a commit is durable against an application crash and the database
 * can never be corrupted by a power loss; at worst the last transactions
 * before a power cut roll back, which is acceptable for audit rows and
 * elections that the client retries, and it saves one fsync per commit
 * compared with FULL.
 *
 * A postgresql:// or postgres:// URI opens PostgreSQL, shared by every
 * replica of the service. Migrations there run under a session advisory
 * lock, so replicas starting together apply each step once: the second
 * waits, then finds the schema current.
 */
#include "dms/store.h"
#include "store_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The advisory lock key of migrations ("dmsm"). */
#define PG_MIGRATE_LOCK "1684893549"

int dms_store_fail(dms_store *store, int rc, const char *what, dms_error *err)
{
    int code = DMS_EIO;
    if (rc == DMS_SQL_BUSY)
        code = DMS_ECONFLICT;
    else if (rc == DMS_SQL_NOMEM)
        code = DMS_ENOMEM;
    else if (rc == DMS_SQL_CONSTRAINT)
        code = DMS_EINVAL;
    else if (rc == DMS_SQL_DOWN)
        code = DMS_EUNAVAILABLE;
    if (rc == DMS_SQL_DOWN)
        return dms_error_set(err, code, NULL,
                             "%s: %s: the database is unavailable (база данных недоступна): %s",
                             store->path, what, dms_sql_errmsg(store));
    return dms_error_set(err, code, NULL, "%s: %s: %s", store->path, what, dms_sql_errmsg(store));
}

void dms_store_tenant_set(dms_store *store, long employer)
{
    if (store != NULL)
        store->tenant = employer > 0 ? employer : 0;
}

long dms_store_tenant(const dms_store *store)
{
    return store != NULL ? store->tenant : 0;
}

bool dms_store_is_uri(const char *db)
{
    return db != NULL &&
           (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0);
}

static int exec(dms_store *store, const char *sql, const char *what, dms_error *err)
{
    int rc = dms_sql_exec(store, sql);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, what, err);
}

int dms_store_version(dms_store *store, int *version, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || version == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_version: NULL argument");
    dms_stmt *stmt = NULL;
    int rc =
        dms_sql_prepare(store, "SELECT coalesce(max(version), 0) FROM schema_migrations", &stmt);
    if (rc == DMS_SQL_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        *version = dms_sql_column_int(stmt, 0);
        rc = DMS_SQL_OK;
    }
    dms_sql_finalize(stmt);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, "reading the schema version", err);
}

/* Applies migration m in one transaction together with its bookkeeping row. */
static int apply(dms_store *store, const dms_store_migration *m, dms_error *err)
{
    char what[128];
    snprintf(what, sizeof what, "migration %d (%s)", m->version, m->name);
    int status = exec(store, store->pg ? "BEGIN" : "BEGIN IMMEDIATE", what, err);
    if (status != DMS_OK)
        return status;
    dms_stmt *stmt = NULL;
    if ((status = exec(store, m->sql, what, err)) != DMS_OK)
        goto out_rollback;
    int rc = dms_sql_prepare(store, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                             &stmt);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_int64(stmt, 1, m->version);
        dms_sql_bind_text(stmt, 2, m->name);
        rc = dms_sql_step(stmt);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    if (rc != DMS_SQL_OK) {
        status = dms_store_fail(store, rc, what, err);
        goto out_rollback;
    }
    dms_sql_finalize(stmt);
    return exec(store, "COMMIT", what, err);
out_rollback:
    dms_sql_finalize(stmt);
    dms_sql_rollback(store);
    return status;
}

static int migrate_steps(dms_store *store, dms_error *err)
{
    const dms_store_migration *list = store->pg ? dms_store_pg_migrations : dms_store_migrations;
    int count = store->pg ? dms_store_pg_migration_count : dms_store_migration_count;
    int status = exec(store,
                      store->pg ? "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                  "  version bigint PRIMARY KEY,\n"
                                  "  name text NOT NULL,\n"
                                  "  applied_at timestamptz NOT NULL DEFAULT now()\n"
                                  ")"
                                : "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                  "  version INTEGER PRIMARY KEY,\n"
                                  "  name TEXT NOT NULL,\n"
                                  "  applied_at TEXT NOT NULL DEFAULT "
                                  "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n"
                                  ")",
                      "creating schema_migrations", err);
    int version = 0;
    if (status == DMS_OK)
        status = dms_store_version(store, &version, err);
    if (status != DMS_OK)
        return status;
    int latest = list[count - 1].version;
    if (version > latest)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "%s: database schema version %d is newer than this build (%d)",
                             store->path, version, latest);
    for (int i = 0; i < count && status == DMS_OK; i++)
        if (list[i].version > version)
            status = apply(store, &list[i], err);
    return status;
}

static int migrate(dms_store *store, dms_error *err)
{
    if (!store->pg)
        return migrate_steps(store, err);
    /* Replicas starting together: one migrates, the others wait here and find nothing to do. */
    int status = exec(store, "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK ")",
                      "waiting for the migration lock", err);
    if (status != DMS_OK)
        return status;
    status = migrate_steps(store, err);
    dms_sql_exec(store, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK ")");
    return status;
}

/* dms_now(): the time as ISO-8601 UTC with milliseconds, as on PostgreSQL. */
static void now_plus(sqlite3_context *ctx, long long seconds)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    time_t t = now.tv_sec + (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03ldZ", now.tv_nsec / 1000000);
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    now_plus(ctx, 0);
}

/* dms_now_plus(seconds): the time that many seconds from now. */
static void fn_now_plus(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    now_plus(ctx, sqlite3_value_int64(argv[0]));
}

static int open_sqlite(dms_store *store, const char *path, dms_error *err)
{
    int status;
    int rc = sqlite3_open_v2(
        path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return dms_error_set(err, DMS_EIO, NULL, "%s: cannot open the database: %s", store->path,
                             store->db != NULL ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(store->db, 1);
    dms_store_busy_set(store, DMS_STORE_BUSY_TIMEOUT_MS);
    sqlite3_create_function(store->db, "dms_now", 0, SQLITE_UTF8, NULL, fn_now, NULL, NULL);
    sqlite3_create_function(store->db, "dms_now_plus", 1, SQLITE_UTF8, NULL, fn_now_plus, NULL,
                            NULL);
    /* journal_mode answers with the mode in force; anything but wal is a failure. */
    dms_stmt *stmt = NULL;
    rc = dms_sql_prepare(store, "PRAGMA journal_mode=WAL", &stmt);
    if (rc == DMS_SQL_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        const char *mode = dms_sql_column_text(stmt, 0);
        rc = mode != NULL && strcmp(mode, "wal") == 0 ? DMS_SQL_OK : DMS_SQL_ERROR;
    }
    dms_sql_finalize(stmt);
    if (rc != DMS_SQL_OK)
        return dms_store_fail(store, rc, "cannot switch the database to WAL mode", err);
    if ((status = exec(store, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL",
                       "setting connection pragmas", err)) != DMS_OK)
        return status;
    struct stat st;
    if (stat(path, &st) == 0) {
        store->file_dev = st.st_dev;
        store->file_ino = st.st_ino;
    }
    return DMS_OK;
}

int dms_store_open_writer(const dms_store *like, dms_store **out)
{
    *out = NULL;
    dms_store *store = calloc(1, sizeof *store);
    if (store == NULL)
        return DMS_ENOMEM;
    snprintf(store->path, sizeof store->path, "%s", like->path);
    dms_error err;
    dms_error_clear(&err);
    int status = open_sqlite(store, like->path, &err);
    if (status != DMS_OK) {
        dms_store_close(store);
        return status;
    }
    if (like->defer)
        dms_store_defer_checkpoints(store);
    *out = store;
    return DMS_OK;
}

bool dms_store_same_file(const dms_store *a, const dms_store *b)
{
    return !a->pg && !b->pg && a->db != NULL && b->db != NULL && a->file_ino != 0 &&
           a->file_dev == b->file_dev && a->file_ino == b->file_ino;
}

/* The URI without its password, for messages and logs. */
static void mask_uri(const char *uri, char *out, size_t size)
{
    const char *scheme = strstr(uri, "://");
    const char *at = scheme != NULL ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme != NULL ? strchr(scheme + 3, ':') : NULL;
    if (at != NULL && colon != NULL && colon < at)
        snprintf(out, size, "%.*s:***%s", (int)(colon - uri), uri, at);
    else
        snprintf(out, size, "%s", uri);
}

int dms_store_open(const char *path, dms_store **out, dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_open: no database path");
    dms_store *store = calloc(1, sizeof *store);
    if (store == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the store");
    int status;
    if (dms_store_is_uri(path)) {
        store->pg = true;
        if (strlen(path) >= sizeof store->uri) {
            status = dms_error_set(err, DMS_EINVAL, NULL, "the database URI is too long");
            goto out_close;
        }
        snprintf(store->uri, sizeof store->uri, "%s", path);
        mask_uri(path, store->path, sizeof store->path);
        int rc = dms_sql_pg_connect(store);
        if (rc != DMS_SQL_OK) {
            status = dms_store_fail(store, rc, "cannot connect", err);
            goto out_close;
        }
    } else {
        snprintf(store->path, sizeof store->path, "%s", path);
        if ((status = open_sqlite(store, path, err)) != DMS_OK)
            goto out_close;
    }
    if ((status = migrate(store, err)) != DMS_OK)
        goto out_close;
    *out = store;
    return DMS_OK;
out_close:
    dms_store_close(store);
    return status;
}

void dms_store_close(dms_store *store)
{
    if (store == NULL)
        return;
    if (store->db != NULL) {
        dms_sql_cache_clear(store);
        sqlite3_close(store->db);
    }
    if (store->pgconn != NULL)
        PQfinish(store->pgconn);
    free(store);
}

int dms_store_check(dms_store *store, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_check: NULL store");
    dms_stmt *stmt = NULL;
    int status = DMS_OK;
    /* PostgreSQL keeps its own pages checksummed; the question there is whether it answers. */
    int rc = dms_sql_prepare(
        store, store->pg ? "SELECT 'ok' FROM schema_migrations LIMIT 1" : "PRAGMA integrity_check",
        &stmt);
    if (rc == DMS_SQL_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        const char *answer = dms_sql_column_text(stmt, 0);
        if (answer == NULL || strcmp(answer, "ok") != 0)
            status = dms_error_set(err, DMS_EIO, NULL, "%s: integrity check: %s", store->path,
                                   answer != NULL ? answer : "no answer");
        rc = DMS_SQL_OK;
    }
    dms_sql_finalize(stmt);
    if (rc != DMS_SQL_OK)
        status = dms_store_fail(store, rc, "integrity check", err);
    return status;
}

int dms_store_ping(dms_store *store, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_ping: NULL store");
    dms_stmt *stmt = NULL;
    int rc = dms_sql_prepare(store, "SELECT count(*) FROM schema_migrations", &stmt);
    if (rc == DMS_SQL_OK)
        rc = dms_sql_step(stmt);
    dms_sql_finalize(stmt);
    return rc == DMS_SQL_ROW ? DMS_OK : dms_store_fail(store, rc, "health check", err);
}

/*
 * The write-ahead log stays bounded. A PASSIVE checkpoint copies the log
 * without waiting for anyone, but the log only starts again from its
 * beginning when a writer begins at a moment when every frame of it has been
 * copied and no reader is on it. Under sustained writes that moment never
 * comes from PASSIVE checkpoints: commits land while one copies, so it
 * always ends a little behind. The log then grew to the deferring
 * connections' threshold, where SQLite's own hook ran another PASSIVE
 * checkpoint after every commit (two syncs on each request) and still did
 * not restart it. A RESTART checkpoint takes the write lock, copies what is
 * left, waits for the readers still on the old log and makes the next
 * commit write from its start; the PASSIVE one before it has done the bulk
 * of the copying without any lock, and a short busy timeout makes it give
 * up (tried again later) rather than hold the writers back for long.
 * Durability is unchanged: a checkpoint syncs the log before copying it and
 * the database before the log is reused.
 */

/* Pages of log (4 KiB each) past which the checkpointer restarts it. */
#define RESTART_CHECKPOINT_PAGES 1000

/* Pages of log past which a deferring connection restarts it itself, after
 * its commit (SQLite's default hook checkpoints from 1000): only reached
 * when dms_store_checkpoint is not called or cannot win the write lock,
 * which the in-process writers' gate hands on from writer to writer. */
#define DEFERRED_CHECKPOINT_PAGES 1500

/* Pages of log past which that writer waits, up to DEFERRED_WAIT_MS, for a
 * checkpoint in progress (whose lock a restart cannot wait for by itself)
 * to end, and restarts the log then: the bound when the disk syncs slower
 * than the writers log. It holds the writers' gate meanwhile, so no other
 * writer of the process adds to the log. */
#define DEFERRED_WAIT_PAGES 3000
#define DEFERRED_WAIT_MS 200

/* Milliseconds a restarting checkpoint waits for the write lock and for
 * the readers: the most a writer then waits behind it, once in a
 * thousand or more pages of log. */
#define RESTART_BUSY_MS 20

/* A RESTART checkpoint of store with the short busy timeout; the connection's
 * usual timeout afterwards (a nowait caller sets its own again after the
 * statement, see dms_sql_nowait). */
static int restart_log(dms_store *store, const char *schema)
{
    dms_store_busy_set(store, RESTART_BUSY_MS);
    int rc = sqlite3_wal_checkpoint_v2(store->db, schema, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    dms_store_busy_set(store, DMS_STORE_BUSY_TIMEOUT_MS);
    return rc;
}

/* A deferring connection's hook after each commit (the write lock is
 * released, the in-process writers' gate still held): the safety net. */
static int deferred_wal_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
    dms_store *store = arg;
    (void)db;
    if (pages < DEFERRED_CHECKPOINT_PAGES)
        return SQLITE_OK;
    int rc = restart_log(store, schema);
    long long until = dms_store_monotonic_us() + DEFERRED_WAIT_MS * 1000LL;
    while ((rc & 0xff) == SQLITE_BUSY && pages >= DEFERRED_WAIT_PAGES &&
           dms_store_monotonic_us() < until) {
        struct timespec pause = {0, 2 * 1000L * 1000L};
        nanosleep(&pause, NULL);
        rc = restart_log(store, schema);
    }
    /* The commit has happened whatever the checkpoint did; an error here would report it failed. */
    return SQLITE_OK;
}

void dms_store_defer_checkpoints(dms_store *store)
{
    if (store != NULL && !store->pg && store->db != NULL) {
        store->defer = true;
        sqlite3_wal_hook(store->db, deferred_wal_hook, store);
    }
}

/* The hooks of store's connection, for store (they are given the store). */
static void hooks_for(dms_store *store)
{
    dms_store_busy_set(store, store->busy_ms);
    sqlite3_wal_hook(store->db, store->defer ? deferred_wal_hook : NULL, store);
}

void dms_store_swap_connection(dms_store *a, dms_store *b)
{
    sqlite3 *db = a->db;
    a->db = b->db;
    b->db = db;
    for (unsigned i = 0; i < DMS_STORE_STMT_CACHE; i++) {
        sqlite3_stmt *stmt = a->cached[i];
        a->cached[i] = b->cached[i];
        b->cached[i] = stmt;
        const char *key = a->cached_sql[i];
        a->cached_sql[i] = b->cached_sql[i];
        b->cached_sql[i] = key;
    }
    unsigned next = a->cache_next;
    a->cache_next = b->cache_next;
    b->cache_next = next;
    hooks_for(a);
    hooks_for(b);
}

int dms_store_checkpoint(dms_store *store, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_checkpoint: NULL store");
    if (store->pg || store->db == NULL)
        return DMS_OK;
    int log_pages = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages, NULL);
    if (rc == SQLITE_OK && log_pages >= RESTART_CHECKPOINT_PAGES) {
        /* What the writers logged during that copy is copied too, still
         * without blocking them, so that little is left for the restart. */
        sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        /* The writers of this process queue at their gate meanwhile, and the
         * first is let in the moment the restart ends, instead of each
         * finding the write lock taken and polling for it. */
        dms_store_gate_enter(store);
        rc = restart_log(store, NULL);
        dms_store_gate_leave(store);
    }
    /* Busy: another checkpoint runs (a connection's safety net), or the
     * restart found the writer or a reader busy; the next call does the rest. */
    if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return DMS_OK;
    return dms_error_set(err, DMS_EIO, NULL, "checkpoint of the write-ahead log: %s",
                         sqlite3_errstr(rc));
}

int dms_store_audit(dms_store *store, const char *actor, const char *action, const char *object,
                    const char *detail_json, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || actor == NULL || action == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_audit: NULL argument");
    dms_stmt *stmt = NULL;
    int rc = dms_sql_prepare(store,
                             "INSERT INTO audit_log (actor, action, object, detail, tenant) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             &stmt);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(stmt, 1, actor);
        dms_sql_bind_text(stmt, 2, action);
        dms_sql_bind_text(stmt, 3, object != NULL ? object : "");
        dms_sql_bind_text(stmt, 4, detail_json);
        if (store->tenant > 0)
            dms_sql_bind_int64(stmt, 5, store->tenant);
        else
            dms_sql_bind_null(stmt, 5);
        rc = dms_sql_step(stmt);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(stmt);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, "writing the audit log", err);
}

/* ---- the writers' gate ------------------------------------------------------------ */

/*
 * The writers' gate. SQLite has one writer at a time; a connection that
 * finds the database locked polls for it, sleeping 1, 2, 5, 10, 15, 20,
 * 25 ms and more between tries (its busy handler), so under concurrent
 * writes (the picker's drafts and submissions on every worker thread) a
 * write of a fraction of a millisecond waits tens of milliseconds. Writers
 * of one process queue on a mutex instead (one per database file, hashed by
 * path; two files on one gate only share a queue) and are woken the moment
 * the previous one commits. The gate is only an optimisation: a writer that
 * has waited the busy timeout for it goes on to SQLite's own locking, as
 * does one whose thread already holds a gate (a second store), so nothing
 * ever waits on the gate for ever. Other processes (the CLI, replicas) are
 * serialised by SQLite as before. PostgreSQL's lock queues by itself.
 */
#define GATES 16
static pthread_mutex_t gates[GATES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER};
static _Thread_local const dms_store *gate_store; /* the store this thread holds a gate for */
static _Thread_local size_t gate_index;

void dms_store_gate_enter(const dms_store *store)
{
    if (store->pg || gate_store != NULL)
        return;
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the path */
    for (const unsigned char *p = (const unsigned char *)store->path; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ull;
    size_t i = (size_t)(h % GATES);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DMS_STORE_BUSY_TIMEOUT_MS / 1000;
    until.tv_nsec += (long)(DMS_STORE_BUSY_TIMEOUT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_mutex_timedlock(&gates[i], &until) == 0) {
        gate_store = store;
        gate_index = i;
    }
}

/*
 * The writer connection of each gate. A connection's page cache is emptied
 * whenever another connection commits to the file, so with the writes
 * alternating between the worker threads' connections each write read its
 * pages again (some ten of them a draft, from the file and the log). The
 * holder of a gate writes on the connection the gate keeps instead,
 * exchanged with its own for the transaction (dms_store_swap_connection):
 * it alone commits the process's writes and keeps its pages. Only the
 * gate's holder touches it. It is kept for one file: another file on the
 * gate, or the path replaced by a new file, gets a new one, and a writer
 * whose own connection is to another file than the path's (or when a
 * connection cannot be opened) writes on its own connection as before.
 */
static dms_store *gate_writers[GATES];
static _Thread_local dms_store *swapped; /* the store whose connection is exchanged */

void dms_store_gate_writer_in(dms_store *store)
{
    if (store->pg || gate_store != store || swapped != NULL)
        return;
    dms_store **w = &gate_writers[gate_index];
    if (*w != NULL && !dms_store_same_file(*w, store)) {
        dms_store_close(*w);
        *w = NULL;
    }
    if ((*w != NULL || dms_store_open_writer(store, w) == DMS_OK) &&
        dms_store_same_file(*w, store)) {
        dms_store_swap_connection(store, *w);
        swapped = store;
    }
}

void dms_store_gate_leave(const dms_store *store)
{
    if (store != NULL && gate_store == store) {
        if (swapped != NULL && swapped == store) { /* each gets its own connection back */
            dms_store_swap_connection(swapped, gate_writers[gate_index]);
            swapped = NULL;
        }
        gate_store = NULL;
        pthread_mutex_unlock(&gates[gate_index]);
    }
}

void dms_store_gate_writers_close(void)
{
    for (size_t i = 0; i < GATES; i++) {
        pthread_mutex_lock(&gates[i]);
        dms_store_close(gate_writers[i]);
        gate_writers[i] = NULL;
        pthread_mutex_unlock(&gates[i]);
    }
}
