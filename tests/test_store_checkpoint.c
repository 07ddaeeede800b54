/*
 * Checkpoints of the write-ahead log off the request path: a connection that
 * defers its checkpoints (dms_store_defer_checkpoints, the service's
 * workers) leaves its commits in the log past SQLite's usual threshold of
 * 1000 pages, so the database file alone lacks them; dms_store_checkpoint,
 * from another connection as the service's checkpointer runs it, copies
 * every committed row into the database file, which a copy of that file
 * alone (no log beside it) then shows. A connection that does not defer
 * keeps the log near the usual threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dms/sql.h"
#include "dms/store.h"
#include "testutil.h"

/* Commits of one page-sized row each: past the usual threshold of 1000 pages. */
#define COMMITS 1300

static char dir[64];

static void path_of(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static dms_store *open_at(const char *name)
{
    char path[160];
    path_of(name, path, sizeof path);
    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(path, &store, &err), DMS_OK);
    return store;
}

static void write_rows(dms_store *store)
{
    assert_int_equal(dms_sql_exec(store, "CREATE TABLE IF NOT EXISTS filler (id INTEGER "
                                         "PRIMARY KEY, data BLOB)"),
                     DMS_SQL_OK);
    static unsigned char data[4000];
    for (int i = 0; i < COMMITS; i++) {
        memset(data, i & 0xff, sizeof data);
        dms_stmt *stmt = NULL;
        assert_int_equal(dms_sql_prepare(store, "INSERT INTO filler (data) VALUES (?1)", &stmt),
                         DMS_SQL_OK);
        dms_sql_bind_blob(stmt, 1, data, sizeof data);
        assert_int_equal(dms_sql_step(stmt), DMS_SQL_DONE);
        dms_sql_finalize(stmt);
    }
}

static long long file_size(const char *name)
{
    char path[160];
    path_of(name, path, sizeof path);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The rows of filler in a copy of the database file alone, without its log. */
static long long rows_in_file_alone(const char *name)
{
    char from[160], to[160], cmd[1024];
    path_of(name, from, sizeof from);
    path_of("copy.db", to, sizeof to);
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm' && cp '%s' '%s'", to, to, to, from, to);
    assert_int_equal(system(cmd), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(to, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM filler", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    else
        n = 0; /* the table itself is only in the log */
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

static void deferred_then_checkpointed(void **state)
{
    (void)state;
    dms_store *writer = open_at("deferred.db");
    dms_store_defer_checkpoints(writer);
    write_rows(writer);
    /* Past 1000 pages of log and not copied: the file alone lacks rows. */
    assert_true(file_size("deferred.db-wal") > 1000LL * 4096);
    assert_true(rows_in_file_alone("deferred.db") < COMMITS);

    dms_store *checkpointer = open_at("deferred.db");
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_checkpoint(checkpointer, &err), DMS_OK);
    assert_int_equal(rows_in_file_alone("deferred.db"), COMMITS);
    /* Nothing left to copy: a second call is a no-op and still succeeds. */
    assert_int_equal(dms_store_checkpoint(checkpointer, &err), DMS_OK);
    dms_store_close(checkpointer);
    dms_store_close(writer);
    assert_int_equal(dms_store_checkpoint(NULL, &err), DMS_EINVAL);
}

static void default_keeps_log_short(void **state)
{
    (void)state;
    dms_store *writer = open_at("default.db");
    write_rows(writer);
    /* SQLite's own threshold: the log restarts after about 1000 pages. */
    assert_true(file_size("default.db-wal") < 1100LL * 4096);
    dms_store_close(writer);
}

static int setup(void **state)
{
    (void)state;
    return test_temp_dir(dir, sizeof dir, "checkpoint");
}

static int teardown(void **state)
{
    (void)state;
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deferred_then_checkpointed),
        cmocka_unit_test(default_keeps_log_short),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
