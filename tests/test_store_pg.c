/*
 * The statement layer under the store (dms/sql.h) on both engines, and what
 * only PostgreSQL has: both migration lists carry the same numbered steps;
 * ?N placeholders (reused, out of order, beside a '?' inside a string
 * literal) bind the same on both; BLOBs come back byte for byte; a boolean
 * expression reads as 1 or 0; RETURNING gives the new id; four processes
 * opening a fresh PostgreSQL database at once migrate it once (advisory
 * lock); a second writer waits for the first and gives up (busy, which
 * the store reports as DMS_ECONFLICT) at the statement timeout; a connection whose server
 * restarted answers DMS_EUNAVAILABLE while it is down and works again
 * afterwards without being reopened, and a restart inside a transaction
 * fails the rest of it instead of committing it on a new connection. The
 * PostgreSQL parts need the test
 * cluster (DMS_TEST_PG_URI, DMS_TEST_PG_STATE) and skip with a message
 * without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dms/sql.h"
#include "dms/store.h"
#include "store_target.h"

static char sqlite_path[64];

/* The stores to run a check on: SQLite always, PostgreSQL with the cluster. */
static int targets(char out[2][256])
{
    snprintf(out[0], 256, "%s", sqlite_path);
    if (getenv("DMS_TEST_PG_URI") == NULL) {
        print_message("PostgreSQL part skipped: no DMS_TEST_PG_URI\n");
        return 1;
    }
    assert_int_equal(store_target_fresh_pg(out[1], 256), 0);
    return 2;
}

static int setup(void **state)
{
    (void)state;
    snprintf(sqlite_path, sizeof sqlite_path, "/tmp/dms-sql-XXXXXX");
    int fd = mkstemp(sqlite_path);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(sqlite_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char side[96];
    unlink(sqlite_path);
    snprintf(side, sizeof side, "%s-wal", sqlite_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", sqlite_path);
    unlink(side);
    return 0;
}

static void same_steps_on_both_engines(void **state)
{
    (void)state;
    assert_int_equal(dms_store_pg_migration_count, dms_store_migration_count);
    for (int i = 0; i < dms_store_migration_count; i++) {
        assert_int_equal(dms_store_pg_migrations[i].version, dms_store_migrations[i].version);
        assert_int_equal(dms_store_migrations[i].version, i + 1);
    }
    assert_true(dms_store_is_uri("postgresql://u@h/db"));
    assert_true(dms_store_is_uri("postgres://h/db"));
    assert_false(dms_store_is_uri("var/dmsrate.db"));
    assert_false(dms_store_is_uri("postgresql:relative.db"));
}

static void statements_read_the_same(void **state)
{
    (void)state;
    char db[2][256];
    int n = targets(db);
    for (int t = 0; t < n; t++) {
        dms_store *s = NULL;
        dms_error err;
        dms_error_clear(&err);
        assert_int_equal(dms_store_open(db[t], &s, &err), DMS_OK);
        assert_int_equal(dms_sql_is_pg(s), t == 1);
        int version = 0;
        assert_int_equal(dms_store_version(s, &version, &err), DMS_OK);
        assert_int_equal(version, dms_store_migration_count);
        /* placeholders reused and out of order, a '?' in a literal left alone */
        dms_stmt *st = NULL;
        assert_int_equal(
            dms_sql_prepare(
                s, "SELECT ?2 || '?1' || ?1, ?3 + 1, ?3 > 5, ?3 < 5, CAST(?4 AS TEXT) IS NULL",
                &st),
            DMS_SQL_OK);
        dms_sql_bind_text(st, 1, "a");
        dms_sql_bind_text(st, 2, "b");
        dms_sql_bind_int64(st, 3, 41);
        dms_sql_bind_null(st, 4);
        assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
        assert_string_equal(dms_sql_column_text(st, 0), "b?1a");
        assert_int_equal(dms_sql_column_int64(st, 1), 42);
        assert_int_equal(dms_sql_column_int(st, 2), 1); /* booleans read as 1 and 0 */
        assert_int_equal(dms_sql_column_int(st, 3), 0);
        assert_int_equal(dms_sql_column_int(st, 4), 1);
        assert_int_equal(dms_sql_column_count(st), 5);
        assert_int_equal(dms_sql_step(st), DMS_SQL_DONE);
        dms_sql_finalize(st);
        /* RETURNING id and the ids that follow */
        long long first = 0, second = 0;
        assert_int_equal(dms_sql_begin(s), DMS_SQL_OK);
        assert_true(dms_sql_in_transaction(s));
        assert_int_equal(
            dms_sql_prepare(s, "INSERT INTO employer (name) VALUES (?1) RETURNING id", &st),
            DMS_SQL_OK);
        dms_sql_bind_text(st, 1, "Первый");
        assert_int_equal(dms_sql_step_id(st, &first), DMS_SQL_DONE);
        dms_sql_reset(st);
        dms_sql_bind_text(st, 1, "Второй");
        assert_int_equal(dms_sql_step_id(st, &second), DMS_SQL_DONE);
        dms_sql_finalize(st);
        assert_int_equal(dms_sql_commit(s), DMS_SQL_OK);
        assert_false(dms_sql_in_transaction(s));
        assert_int_equal(second, first + 1);
        /* a refused row is a constraint failure on both */
        assert_int_equal(dms_sql_prepare(s, "INSERT INTO employer (name) VALUES ('')", &st),
                         DMS_SQL_OK);
        assert_int_equal(dms_sql_step(st), DMS_SQL_CONSTRAINT);
        dms_sql_finalize(st);
        /* every byte value through a BLOB (bytea) */
        unsigned char bytes[256];
        for (int i = 0; i < 256; i++)
            bytes[i] = (unsigned char)(255 - i);
        assert_int_equal(dms_sql_exec(s, "CREATE TEMP TABLE blobs (b BLOB)") == DMS_SQL_OK ||
                             dms_sql_exec(s, "CREATE TEMP TABLE blobs (b bytea)") == DMS_SQL_OK,
                         1);
        assert_int_equal(dms_sql_prepare(s, "INSERT INTO blobs (b) VALUES (?1)", &st), DMS_SQL_OK);
        dms_sql_bind_blob(st, 1, bytes, sizeof bytes);
        assert_int_equal(dms_sql_step(st), DMS_SQL_DONE);
        dms_sql_finalize(st);
        assert_int_equal(dms_sql_prepare(s, "SELECT b FROM blobs", &st), DMS_SQL_OK);
        assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
        size_t len = 0;
        const void *back = dms_sql_column_blob(st, 0, &len);
        assert_int_equal(len, sizeof bytes);
        assert_memory_equal(back, bytes, sizeof bytes);
        dms_sql_finalize(st);
        dms_store_close(s);
    }
}

static void replicas_starting_together_migrate_once(void **state)
{
    (void)state;
    if (getenv("DMS_TEST_PG_URI") == NULL) {
        print_message("skipped: no DMS_TEST_PG_URI\n");
        return;
    }
    char db[256];
    assert_int_equal(store_target_fresh_pg(db, sizeof db), 0);
    pid_t kids[4];
    for (int i = 0; i < 4; i++)
        if ((kids[i] = fork()) == 0) {
            dms_store *s = NULL;
            int status = dms_store_open(db, &s, NULL);
            dms_store_close(s);
            _exit(status == DMS_OK ? 0 : 1);
        }
    for (int i = 0; i < 4; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    dms_store *s = NULL;
    assert_int_equal(dms_store_open(db, &s, NULL), DMS_OK);
    dms_stmt *st = NULL;
    assert_int_equal(
        dms_sql_prepare(s, "SELECT count(*), count(DISTINCT version) FROM schema_migrations", &st),
        DMS_SQL_OK);
    assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(st, 0), dms_store_pg_migration_count);
    assert_int_equal(dms_sql_column_int(st, 1), dms_store_pg_migration_count);
    dms_sql_finalize(st);
    dms_store_close(s);
}

static void second_writer_times_out_as_conflict(void **state)
{
    (void)state;
    if (getenv("DMS_TEST_PG_URI") == NULL) {
        print_message("skipped: no DMS_TEST_PG_URI\n");
        return;
    }
    char db[256];
    assert_int_equal(store_target_fresh_pg(db, sizeof db), 0);
    dms_store *a = NULL, *b = NULL;
    assert_int_equal(dms_store_open(db, &a, NULL), DMS_OK);
    assert_int_equal(dms_store_open(db, &b, NULL), DMS_OK);
    assert_int_equal(dms_sql_begin(a), DMS_SQL_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = dms_sql_begin(b); /* waits for a's write lock until the statement timeout */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    assert_int_equal(rc, DMS_SQL_BUSY);
    assert_false(dms_sql_in_transaction(b));
    assert_true(waited >= DMS_STORE_BUSY_TIMEOUT_MS / 1000.0 - 0.5);
    /* reads do not wait for the writer */
    dms_stmt *st = NULL;
    assert_int_equal(dms_sql_prepare(b, "SELECT count(*) FROM employer", &st), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
    dms_sql_finalize(st);
    assert_int_equal(dms_sql_commit(a), DMS_SQL_OK);
    assert_int_equal(dms_sql_begin(b), DMS_SQL_OK); /* free again */
    dms_sql_rollback(b);
    dms_store_close(a);
    dms_store_close(b);
}

static void connection_heals_after_a_restart(void **state)
{
    (void)state;
    const char *cluster = getenv("DMS_TEST_PG_STATE");
    if (getenv("DMS_TEST_PG_URI") == NULL || cluster == NULL) {
        print_message("skipped: no DMS_TEST_PG_URI / DMS_TEST_PG_STATE\n");
        return;
    }
    char db[256], cmd[512];
    assert_int_equal(store_target_fresh_pg(db, sizeof db), 0);
    dms_store *s = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(db, &s, &err), DMS_OK);
    assert_int_equal(dms_store_ping(s, &err), DMS_OK);
    snprintf(cmd, sizeof cmd, "tests/pg/cluster.sh pause '%s'", cluster);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dms_store_ping(s, &err), DMS_EUNAVAILABLE);
    assert_non_null(strstr(err.message, "unavailable"));
    assert_null(strchr(err.message, '\n'));
    dms_store *fresh = NULL;
    assert_int_equal(dms_store_open(db, &fresh, &err), DMS_EUNAVAILABLE);
    assert_null(fresh);
    snprintf(cmd, sizeof cmd, "tests/pg/cluster.sh resume '%s'", cluster);
    assert_int_equal(system(cmd), 0);
    dms_error_clear(&err);
    assert_int_equal(dms_store_ping(s, &err), DMS_OK); /* the same store, reconnected */
    /* A restart inside a transaction: the rest of it must not run on a new connection
     * (that would commit half); it fails until rolled back, then all works again. */
    assert_int_equal(dms_sql_begin(s), DMS_SQL_OK);
    assert_int_equal(dms_sql_exec(s, "INSERT INTO employer (name) VALUES ('до перезапуска')"),
                     DMS_SQL_OK);
    snprintf(cmd, sizeof cmd, "tests/pg/cluster.sh restart '%s'", cluster);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dms_sql_exec(s, "INSERT INTO employer (name) VALUES ('после')"), DMS_SQL_DOWN);
    assert_int_equal(dms_sql_exec(s, "INSERT INTO employer (name) VALUES ('после')"), DMS_SQL_DOWN);
    assert_true(dms_sql_in_transaction(s));
    dms_sql_rollback(s);
    assert_false(dms_sql_in_transaction(s));
    dms_stmt *st = NULL;
    assert_int_equal(dms_sql_prepare(s, "SELECT count(*) FROM employer", &st), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(st, 0), 0); /* neither row was committed */
    dms_sql_finalize(st);
    dms_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_steps_on_both_engines),
        cmocka_unit_test(statements_read_the_same),
        cmocka_unit_test(replicas_starting_together_migrate_once),
        cmocka_unit_test(second_writer_times_out_as_conflict),
        cmocka_unit_test(connection_heals_after_a_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
