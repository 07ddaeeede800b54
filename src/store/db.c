/*
 * Opening the SQLite store and migrating its schema. The connection runs in
 * WAL mode (readers never block the single writer, which suits an HTTP
 * service) with foreign keys enforced and a busy timeout so that concurrent
 * writers wait instead of failing at once. synchronous=NORMAL is the
 * documented safe pairing with WAL: a commit is durable against an
 * application crash and the database can never be corrupted by a power
 * loss; at worst the last transactions before a power cut roll back, which
 * is acceptable for audit rows and elections that the client retries, and it
 * saves one fsync per commit compared with FULL.
 */
#include "dms/store.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct dms_store {
    sqlite3 *db;
    char path[DMS_ERROR_PATH_MAX];
    long tenant; /* the employer every scoped query reads and writes; 0: none */
};

/* Maps an SQLite result code to a dms status with the library's message. */
static int db_error(dms_store *store, int rc, const char *what, dms_error *err)
{
    int code = DMS_EIO;
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        code = DMS_ECONFLICT;
    else if (primary == SQLITE_NOMEM)
        code = DMS_ENOMEM;
    else if (primary == SQLITE_CONSTRAINT || primary == SQLITE_MISUSE)
        code = DMS_EINVAL;
    const char *detail = store->db != NULL ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
    return dms_error_set(err, code, NULL, "%s: %s: %s", store->path, what, detail);
}

sqlite3 *dms_store_handle(dms_store *store)
{
    return store->db;
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

int dms_store_fail(dms_store *store, int rc, const char *what, dms_error *err)
{
    return db_error(store, rc, what, err);
}

static int exec(dms_store *store, const char *sql, const char *what, dms_error *err)
{
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DMS_OK : db_error(store, rc, what, err);
}

int dms_store_version(dms_store *store, int *version, dms_error *err)
{
    if (store == NULL || version == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_version: NULL argument");
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(
        store->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        *version = sqlite3_column_int(stmt, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? DMS_OK : db_error(store, rc, "reading the schema version", err);
}

/* Applies migration m in one transaction together with its bookkeeping row. */
static int apply(dms_store *store, const dms_store_migration *m, dms_error *err)
{
    char what[128];
    snprintf(what, sizeof what, "migration %d (%s)", m->version, m->name);
    int status = exec(store, "BEGIN IMMEDIATE", what, err);
    if (status != DMS_OK)
        return status;
    sqlite3_stmt *stmt = NULL;
    if ((status = exec(store, m->sql, what, err)) != DMS_OK)
        goto out_rollback;
    int rc = sqlite3_prepare_v2(store->db,
                                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", -1,
                                &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(stmt, 1, m->version);
        sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK) {
        status = db_error(store, rc, what, err);
        goto out_rollback;
    }
    sqlite3_finalize(stmt);
    return exec(store, "COMMIT", what, err);
out_rollback:
    sqlite3_finalize(stmt);
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

static int migrate(dms_store *store, dms_error *err)
{
    int status = exec(store,
                      "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                      "  version INTEGER PRIMARY KEY,\n"
                      "  name TEXT NOT NULL,\n"
                      "  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n"
                      ")",
                      "creating schema_migrations", err);
    int version = 0;
    if (status == DMS_OK)
        status = dms_store_version(store, &version, err);
    if (status != DMS_OK)
        return status;
    int latest = dms_store_migrations[dms_store_migration_count - 1].version;
    if (version > latest)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "%s: database schema version %d is newer than this build (%d)",
                             store->path, version, latest);
    for (int i = 0; i < dms_store_migration_count && status == DMS_OK; i++)
        if (dms_store_migrations[i].version > version)
            status = apply(store, &dms_store_migrations[i], err);
    return status;
}

int dms_store_open(const char *path, dms_store **out, dms_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_open: no database path");
    dms_store *store = calloc(1, sizeof *store);
    if (store == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the store");
    snprintf(store->path, sizeof store->path, "%s", path);
    int status;
    int rc = sqlite3_open_v2(
        path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = db_error(store, rc, "cannot open the database", err);
        goto out_close;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, DMS_STORE_BUSY_TIMEOUT_MS);
    /* journal_mode answers with the mode in force; anything but wal is a failure. */
    sqlite3_stmt *stmt = NULL;
    rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(stmt, 0);
        rc = mode != NULL && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) {
        status = db_error(store, rc, "cannot switch the database to WAL mode", err);
        goto out_close;
    }
    if ((status = exec(store, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL",
                       "setting connection pragmas", err)) != DMS_OK ||
        (status = migrate(store, err)) != DMS_OK)
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
    sqlite3_close(store->db);
    free(store);
}

int dms_store_check(dms_store *store, dms_error *err)
{
    if (store == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_check: NULL store");
    sqlite3_stmt *stmt = NULL;
    int status = DMS_OK;
    int rc = sqlite3_prepare_v2(store->db, "PRAGMA integrity_check", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *answer = (const char *)sqlite3_column_text(stmt, 0);
        if (answer == NULL || strcmp(answer, "ok") != 0)
            status = dms_error_set(err, DMS_EIO, NULL, "%s: integrity check: %s", store->path,
                                   answer != NULL ? answer : "no answer");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK)
        status = db_error(store, rc, "integrity check", err);
    return status;
}

int dms_store_audit(dms_store *store, const char *actor, const char *action, const char *object,
                    const char *detail_json, dms_error *err)
{
    if (store == NULL || actor == NULL || action == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_store_audit: NULL argument");
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db,
                                "INSERT INTO audit_log (actor, action, object, detail, tenant) "
                                "VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, actor, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 2, action, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 3, object != NULL ? object : "", -1, SQLITE_TRANSIENT);
        if (detail_json != NULL)
            sqlite3_bind_text(stmt, 4, detail_json, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(stmt, 4);
        if (store->tenant > 0)
            sqlite3_bind_int64(stmt, 5, store->tenant);
        else
            sqlite3_bind_null(stmt, 5);
        rc = sqlite3_step(stmt);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? DMS_OK : db_error(store, rc, "writing the audit log", err);
}
