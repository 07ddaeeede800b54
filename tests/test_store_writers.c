/*
 * The store under concurrent writers, as the picker's routes use it: the
 * in-process writers' gate of dms_enrol_begin (every write of several
 * threads lands, none fails busy, and a committed or rolled-back
 * transaction opens the gate at once; a thread already in a write on one
 * database can still write another), and the statement cache of a SQLite
 * connection (a reused buffer with another text is another statement, a
 * reused statement starts without bindings, and a kept statement holds no
 * read lock that would stop a checkpoint).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dms/enrol_store.h"
#include "dms/sql.h"
#include "dms/store.h"
#include "testutil.h"

#define THREADS 4
#define WRITES 150

static char dir[64];

static dms_store *open_at(const char *name)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(path, &store, &err), DMS_OK);
    return store;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long long counter(dms_store *store)
{
    dms_stmt *stmt = NULL;
    assert_int_equal(dms_sql_prepare(store, "SELECT n FROM counter WHERE id = 1", &stmt),
                     DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    long long n = dms_sql_column_int64(stmt, 0);
    dms_sql_finalize(stmt);
    return n;
}

struct writer {
    int failures;
};

/* Read-modify-write of one counter, WRITES times, each in its own transaction. */
static void *write_counter(void *arg)
{
    struct writer *w = arg;
    dms_store *store = NULL;
    char path[160];
    snprintf(path, sizeof path, "%s/gate.db", dir);
    if (dms_store_open(path, &store, NULL) != DMS_OK) {
        w->failures = WRITES;
        return NULL;
    }
    for (int i = 0; i < WRITES; i++) {
        dms_error err;
        dms_error_clear(&err);
        if (dms_enrol_begin(store, &err) != DMS_OK) {
            w->failures++;
            continue;
        }
        dms_stmt *stmt = NULL;
        long long n = -1;
        if (dms_sql_prepare(store, "SELECT n FROM counter WHERE id = 1", &stmt) == DMS_SQL_OK &&
            dms_sql_step(stmt) == DMS_SQL_ROW)
            n = dms_sql_column_int64(stmt, 0);
        dms_sql_finalize(stmt);
        stmt = NULL;
        int rc = dms_sql_prepare(store, "UPDATE counter SET n = ?1 WHERE id = 1", &stmt);
        if (rc == DMS_SQL_OK) {
            dms_sql_bind_int64(stmt, 1, n + 1);
            rc = dms_sql_step(stmt);
        }
        dms_sql_finalize(stmt);
        if (n < 0 || rc != DMS_SQL_DONE) {
            dms_enrol_rollback(store);
            w->failures++;
        } else if (dms_enrol_commit(store, &err) != DMS_OK) {
            w->failures++;
        }
    }
    dms_store_close(store);
    return NULL;
}

static void writers_all_land(void **state)
{
    (void)state;
    dms_store *store = open_at("gate.db");
    assert_int_equal(
        dms_sql_exec(store, "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                            "INSERT INTO counter VALUES (1, 0)"),
        DMS_SQL_OK);
    pthread_t t[THREADS];
    struct writer w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_counter, &w[i]), 0);
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
    }
    assert_int_equal(failures, 0);
    /* every increment is there: the transactions were serialised */
    assert_int_equal(counter(store), THREADS * WRITES);
    dms_store_close(store);
}

struct waiter {
    double waited;
    int status;
};

static void *begin_and_commit(void *arg)
{
    struct waiter *w = arg;
    char path[160];
    snprintf(path, sizeof path, "%s/gate.db", dir);
    dms_store *store = NULL;
    w->status = dms_store_open(path, &store, NULL);
    if (w->status != DMS_OK)
        return NULL;
    double start = now_s();
    w->status = dms_enrol_begin(store, NULL);
    w->waited = now_s() - start;
    if (w->status == DMS_OK)
        w->status = dms_enrol_commit(store, NULL);
    dms_store_close(store);
    return NULL;
}

/* After the holder ends its transaction (commit or rollback), another thread
 * gets in at once, well before the 5 s busy timeout a stuck gate would cost. */
static void gate_opens_on_commit_and_rollback(void **state)
{
    (void)state;
    dms_store *store = open_at("gate.db");
    for (int round = 0; round < 2; round++) {
        assert_int_equal(dms_enrol_begin(store, NULL), DMS_OK);
        if (round == 0)
            assert_int_equal(dms_enrol_commit(store, NULL), DMS_OK);
        else
            dms_enrol_rollback(store);
        pthread_t t;
        struct waiter w = {0};
        assert_int_equal(pthread_create(&t, NULL, begin_and_commit, &w), 0);
        pthread_join(t, NULL);
        assert_int_equal(w.status, DMS_OK);
        assert_true(w.waited < 2.0);
    }
    /* A thread in a write on one database writes another at once. */
    dms_store *other = open_at("other.db");
    assert_int_equal(dms_enrol_begin(store, NULL), DMS_OK);
    double start = now_s();
    assert_int_equal(dms_enrol_begin(other, NULL), DMS_OK);
    assert_true(now_s() - start < 2.0);
    assert_int_equal(dms_enrol_commit(other, NULL), DMS_OK);
    assert_int_equal(dms_enrol_commit(store, NULL), DMS_OK);
    pthread_t t;
    struct waiter w = {0};
    assert_int_equal(pthread_create(&t, NULL, begin_and_commit, &w), 0);
    pthread_join(t, NULL);
    assert_int_equal(w.status, DMS_OK);
    assert_true(w.waited < 2.0);
    dms_store_close(other);
    dms_store_close(store);
}

static void statement_cache(void **state)
{
    (void)state;
    dms_store *store = open_at("cache.db");
    /* One buffer, two texts: two statements. */
    char sql[64];
    for (int k = 1; k <= 3; k++) {
        snprintf(sql, sizeof sql, "SELECT %d", k);
        dms_stmt *stmt = NULL;
        assert_int_equal(dms_sql_prepare(store, sql, &stmt), DMS_SQL_OK);
        assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
        assert_int_equal(dms_sql_column_int(stmt, 0), k);
        dms_sql_finalize(stmt);
    }
    /* A reused statement starts over, without the last bindings. */
    for (int k = 0; k < 3; k++) {
        dms_stmt *stmt = NULL;
        assert_int_equal(dms_sql_prepare(store, "SELECT ?1", &stmt), DMS_SQL_OK);
        assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
        assert_true(dms_sql_column_null(stmt, 0));
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, 40 + k);
        assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
        assert_int_equal(dms_sql_column_int(stmt, 0), 40 + k);
        dms_sql_finalize(stmt);
    }
    /* More statements than the cache keeps: all correct. */
    for (int round = 0; round < 2; round++)
        for (int k = 0; k < 80; k++) {
            snprintf(sql, sizeof sql, "SELECT %d + 0", k);
            dms_stmt *stmt = NULL;
            assert_int_equal(dms_sql_prepare(store, sql, &stmt), DMS_SQL_OK);
            assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
            assert_int_equal(dms_sql_column_int(stmt, 0), k);
            dms_sql_finalize(stmt);
        }
    /* A statement left mid-rows and finalized keeps no read open: another
     * connection's write can be checkpointed and the log truncated. */
    assert_int_equal(dms_sql_exec(store, "CREATE TABLE t (x INTEGER);"
                                         "INSERT INTO t VALUES (1), (2), (3)"),
                     DMS_SQL_OK);
    dms_stmt *stmt = NULL;
    assert_int_equal(dms_sql_prepare(store, "SELECT x FROM t", &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    dms_sql_finalize(stmt);
    dms_store *other = open_at("cache.db");
    assert_int_equal(dms_sql_exec(other, "INSERT INTO t VALUES (4)"), DMS_SQL_OK);
    assert_int_equal(dms_sql_prepare(other, "PRAGMA wal_checkpoint(TRUNCATE)", &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(stmt, 0), 0); /* not busy */
    dms_sql_finalize(stmt);
    assert_int_equal(dms_sql_prepare(store, "SELECT count(*) FROM t", &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(stmt, 0), 4);
    dms_sql_finalize(stmt);
    dms_store_close(other);
    dms_store_close(store); /* finalizes the kept statements (valgrind: no leak) */
}

static int setup(void **state)
{
    (void)state;
    return test_temp_dir(dir, sizeof dir, "writers");
}

static int teardown(void **state)
{
    (void)state;
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writers_all_land),
        cmocka_unit_test(gate_opens_on_commit_and_rollback),
        cmocka_unit_test(statement_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
