/*
 * Tests of the SQLite store skeleton: a new file is created and migrated to
 * the latest version, re-opening is idempotent, the connection settings are
 * in force, the integrity check passes, the audit log accepts rows and
 * refuses malformed detail JSON, and a database newer than the build or a
 * file that is not a database is refused with a message naming the file.
 * The latest import's number and time, read on every picker request, come
 * from an index, without reading the policy and census texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dms/sql.h"
#include "dms/store.h"
#include "testutil.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (test_temp_dir(f->dir, sizeof f->dir, "store") != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (test_remove_tree(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

static int latest_version(void)
{
    return dms_store_migrations[dms_store_migration_count - 1].version;
}

/* Reads one integer with a fresh raw connection, independent of the store. */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    long long v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static void migrations_are_numbered_in_order(void **state)
{
    (void)state;
    assert_true(dms_store_migration_count >= 1);
    for (int i = 0; i < dms_store_migration_count; i++) {
        assert_int_equal(dms_store_migrations[i].version, i + 1);
        assert_non_null(dms_store_migrations[i].name);
        assert_true(strlen(dms_store_migrations[i].sql) > 0);
    }
}

static void open_creates_and_migrates(void **state)
{
    struct fixture *f = *state;
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(f->path, &store, &err), DMS_OK);
    assert_non_null(store);
    int version = -1;
    assert_int_equal(dms_store_version(store, &version, &err), DMS_OK);
    assert_int_equal(version, latest_version());
    assert_int_equal(dms_store_check(store, &err), DMS_OK);
    dms_store_close(store);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_migrations"),
                     dms_store_migration_count);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name='audit_log'"),
                     1);
    /* WAL is persistent in the file; a raw connection sees it. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static void reopen_is_idempotent(void **state)
{
    struct fixture *f = *state;
    dms_error err;
    dms_error_clear(&err);
    for (int i = 0; i < 3; i++) {
        dms_store *store = NULL;
        assert_int_equal(dms_store_open(f->path, &store, &err), DMS_OK);
        assert_int_equal(dms_store_audit(store, "test", "open", "store", "{\"round\":1}", &err),
                         DMS_OK);
        dms_store_close(store);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_migrations"),
                     dms_store_migration_count);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit_log"), 3);
    assert_int_equal(raw_int(f->path, "SELECT max(version) FROM schema_migrations"),
                     latest_version());
}

static void connection_pragmas(void **state)
{
    struct fixture *f = *state;
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(f->path, &store, NULL), DMS_OK);
    /* audit rows with a NULL detail are fine; malformed JSON is refused. */
    assert_int_equal(dms_store_audit(store, "hr", "export", "", NULL, NULL), DMS_OK);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_audit(store, "hr", "export", "", "{not json", &err), DMS_EINVAL);
    assert_non_null(strstr(err.message, f->path));
    assert_int_equal(dms_store_audit(store, NULL, "x", "", NULL, NULL), DMS_EINVAL);
    dms_store_close(store);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit_log"), 1);
}

/* The picker's stamp query (enrol_store.c): the latest import of an employer. */
#define STAMP_SQL                                                                                  \
    "SELECT id, imported_at FROM enrol_employer WHERE tenant = 1 ORDER BY id DESC LIMIT 1"

/* Pages a fresh raw connection reads (cache misses) for sql. */
static int pages_read(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    /* the schema first, so that only the query's own pages are counted */
    assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
                     SQLITE_OK);
    int cur = 0, hi = 0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_non_null(sqlite3_column_text(stmt, 1));
    sqlite3_finalize(stmt);
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0);
    sqlite3_close(db);
    return cur;
}

/* An import of a large policy and census: its number and time are read from
 * the index alone (a few pages), not from the end of the row (past the
 * texts' overflow pages, which the whole row takes). */
static void import_stamp_from_index(void **state)
{
    struct fixture *f = *state;
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(f->path, &store, NULL), DMS_OK);
    assert_int_equal(
        dms_sql_exec(store, "INSERT INTO employer (id, name) VALUES (1, 'E');"
                            "INSERT INTO enrol_employer (policy_json, census_csv, policy_name, "
                            "employees, imported_by, tenant) VALUES ('{}', "
                            "printf('%.*c', 30000, 'x'), 'p', 1, 'test', 1)"),
        DMS_SQL_OK);
    dms_store_close(store);
    assert_true(pages_read(f->path, STAMP_SQL) <= 3);
    assert_true(pages_read(f->path, "SELECT id, imported_at FROM enrol_employer NOT INDEXED "
                                    "WHERE tenant = 1 ORDER BY id DESC LIMIT 1") >= 8);
}

static void newer_database_is_refused(void **state)
{
    struct fixture *f = *state;
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(f->path, &store, NULL), DMS_OK);
    dms_store_close(store);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version, name) VALUES (%d, 'future')",
             latest_version() + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    dms_error err;
    dms_error_clear(&err);
    store = (dms_store *)1;
    assert_int_equal(dms_store_open(f->path, &store, &err), DMS_EINVAL);
    assert_null(store);
    assert_non_null(strstr(err.message, "newer than this build"));
}

static void bad_files_are_refused(void **state)
{
    struct fixture *f = *state;
    FILE *out = fopen(f->path, "w");
    assert_non_null(out);
    fputs("this is not an SQLite database, just text long enough to have a header page\n", out);
    fclose(out);
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(f->path, &store, &err), DMS_EIO);
    assert_null(store);
    assert_non_null(strstr(err.message, f->path));

    char missing[200];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.db", f->dir);
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(missing, &store, &err), DMS_EIO);
    assert_null(store);
    assert_int_equal(dms_store_open(NULL, &store, NULL), DMS_EINVAL);
    assert_int_equal(dms_store_open("", &store, NULL), DMS_EINVAL);
    dms_store_close(NULL);
}

/* A database of one employer at schema 3 (before tenants) reaches the latest
 * schema with everything it held in employer 1: the import, the employees,
 * the elections with their history, the keys (a broker key bound to none). */
static void single_employer_database_migrates_into_employer_1(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA foreign_keys=ON; CREATE TABLE schema_migrations ("
                                  "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at "
                                  "TEXT NOT NULL DEFAULT 'x')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dms_store_migrations[i].version, i + 1);
        assert_int_equal(sqlite3_exec(db, dms_store_migrations[i].sql, NULL, NULL, NULL),
                         SQLITE_OK);
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version, name) VALUES (%d, 'v')",
                 i + 1);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    const char *data =
        "INSERT INTO enrol_employer (policy_json, census_csv, policy_name, employees, "
        "imported_by) VALUES ('{}', 'x', 'Old policy', 2, 'cli');"
        "INSERT INTO enrol_employee VALUES ('100014', 'Finance', 1), ('100007', 'Sales', 1);"
        "INSERT INTO election (employee_id, department, status, updated_at) VALUES "
        "('100014', 'Finance', 'submitted', 't');"
        "INSERT INTO election_history (election_id, version, at, actor, role, to_status, "
        "options) VALUES (1, 1, 't', 'key 1', 'employee', 'draft', '[]'), "
        "(1, 1, 't', 'key 1', 'employee', 'submitted', '[]');"
        "INSERT INTO api_key (key_sha256, prefix, role, employee_id) VALUES "
        "(printf('%064d', 1), 'dms_1', 'employee', '100014');"
        "INSERT INTO api_key (key_sha256, prefix, role) VALUES (printf('%064d', 2), 'dms_2', "
        "'broker');";
    assert_int_equal(sqlite3_exec(db, data, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(f->path, &store, &err), DMS_OK);
    int version = 0;
    assert_int_equal(dms_store_version(store, &version, &err), DMS_OK);
    assert_int_equal(version, latest_version());
    assert_int_equal(dms_store_check(store, &err), DMS_OK);
    dms_store_close(store);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM employer WHERE id = 1 AND "
                                      "name = 'Old policy'"),
                     1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM enrol_employer WHERE tenant = 1"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM enrol_employee WHERE tenant = 1"), 2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM election WHERE tenant = 1 AND "
                                      "employee_id = '100014' AND status = 'submitted'"),
                     1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM election_history h JOIN election e "
                                      "ON e.id = h.election_id WHERE e.tenant = 1"),
                     2);
    assert_int_equal(raw_int(f->path, "SELECT tenant FROM api_key WHERE role = 'employee'"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM api_key WHERE role = 'broker' AND "
                                      "tenant IS NULL"),
                     1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /* The history still points at its election through a foreign key. */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_list("
                                      "'election_history') WHERE \"table\" = 'election'"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_are_numbered_in_order),
        cmocka_unit_test_setup_teardown(open_creates_and_migrates, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_pragmas, setup, teardown),
        cmocka_unit_test_setup_teardown(import_stamp_from_index, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_files_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(single_employer_database_migrates_into_employer_1, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
