/*
 * The store under concurrent writers, as the picker's routes use it: the
 * in-process writers' gate of dms_enrol_begin (every write of several
 * threads lands, none fails busy, and a committed or rolled-back
 * transaction opens the gate at once; a thread already in a write on one
 * database can still write another), and the statement cache of a SQLite
 * connection (a reused buffer with another text is another statement, a
 * reused statement starts without bindings, and a kept statement holds no
 * read lock that would stop a checkpoint); a connection waiting for another
 * one's write lock gets it within a fraction of a millisecond of its
 * release (not after SQLite's own 1, 2, 5 ms sleeps) and one that must not
 * wait is refused at once; an election's update logs no page of the index
 * on its employee, and never moves an election to another employee. The
 * writes of a process go through one connection the gate keeps per file
 * (a TEMP table made in one store's write is seen in another's, and in
 * neither outside a write), and a file replaced under the same path gets
 * its own: no write ever lands in the file that was there before.
 */
#include <pthread.h>
#include <stdatomic.h>
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
#include "dms/picker.h"
#include "dms/sql.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
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

/* How long a holder keeps the write lock in lock_waits_finely: SQLite's own
 * busy handler, polling after 1, 2 and 5 ms, would let a waiter in about
 * 4 ms after it lets go. */
#define HOLD_MS 4
#define HOLD_ROUNDS 15

struct holder {
    atomic_int held; /* 1 once the write lock is taken */
    double released; /* when the commit returned */
    int status;
};

static void pause_ms(int ms)
{
    struct timespec t = {0, (long)ms * 1000000L};
    nanosleep(&t, NULL);
}

/* Takes the write lock of hold.db on a connection of its own (no gate), holds it HOLD_MS. */
static void *hold_lock(void *arg)
{
    struct holder *h = arg;
    char path[160];
    snprintf(path, sizeof path, "%s/hold.db", dir);
    dms_store *store = NULL;
    h->status = dms_store_open(path, &store, NULL);
    if (h->status == DMS_OK && dms_sql_begin(store) != DMS_SQL_OK)
        h->status = DMS_EIO;
    atomic_store(&h->held, 1);
    if (h->status != DMS_OK) {
        dms_store_close(store);
        return NULL;
    }
    pause_ms(HOLD_MS);
    if (dms_sql_exec(store, "INSERT INTO t VALUES (1)") != DMS_SQL_OK ||
        dms_sql_commit(store) != DMS_SQL_OK)
        h->status = DMS_EIO;
    h->released = now_s();
    dms_store_close(store);
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A writer blocked by another connection's write lock gets in soon after
 * it is let go: the median delay of HOLD_ROUNDS rounds is under a
 * millisecond and a half (SQLite's own handler: about 4 ms). A connection
 * told not to wait is refused at once. */
static void lock_waits_finely(void **state)
{
    (void)state;
    dms_store *store = open_at("hold.db");
    assert_int_equal(dms_sql_exec(store, "CREATE TABLE t (x INTEGER)"), DMS_SQL_OK);
    double late[HOLD_ROUNDS];
    for (int round = 0; round < HOLD_ROUNDS; round++) {
        pthread_t t;
        struct holder h = {0};
        assert_int_equal(pthread_create(&t, NULL, hold_lock, &h), 0);
        while (!atomic_load(&h.held))
            pause_ms(0);
        assert_int_equal(dms_sql_begin(store), DMS_SQL_OK);
        late[round] = now_s();
        assert_int_equal(dms_sql_commit(store), DMS_SQL_OK);
        pthread_join(t, NULL);
        assert_int_equal(h.status, DMS_OK);
        late[round] -= h.released;
    }
    qsort(late, HOLD_ROUNDS, sizeof late[0], by_value);
    /* Under valgrind every step is tens of times slower: the waits still end. */
    if (getenv("DMS_UNDER_VALGRIND") == NULL)
        assert_true(late[HOLD_ROUNDS / 2] < 1.5e-3);

    pthread_t t;
    struct holder h = {0};
    assert_int_equal(pthread_create(&t, NULL, hold_lock, &h), 0);
    while (!atomic_load(&h.held))
        pause_ms(0);
    dms_sql_nowait(store, true);
    double start = now_s();
    assert_int_equal(dms_sql_begin(store), DMS_SQL_BUSY);
    if (getenv("DMS_UNDER_VALGRIND") == NULL)
        assert_true(now_s() - start < HOLD_MS * 1e-3);
    dms_sql_nowait(store, false);
    pthread_join(t, NULL);
    assert_int_equal(h.status, DMS_OK);
    dms_store_close(store);
}

/* Pages of log of the last transaction: the frames since a truncating checkpoint. */
static int log_pages(dms_store *store)
{
    dms_stmt *stmt = NULL;
    assert_int_equal(dms_sql_prepare(store, "PRAGMA wal_checkpoint(PASSIVE)", &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    int pages = dms_sql_column_int(stmt, 1);
    dms_sql_finalize(stmt);
    return pages;
}

static void truncate_log(dms_store *store)
{
    dms_stmt *stmt = NULL;
    assert_int_equal(dms_sql_prepare(store, "PRAGMA wal_checkpoint(TRUNCATE)", &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(stmt, 0), 0);
    dms_sql_finalize(stmt);
}

static void put(dms_store *store, dms_enrol_election *e, enum dms_election_status to, int expect)
{
    dms_election_history h;
    memset(&h, 0, sizeof h);
    h.from = e->id != 0 ? e->status : DMS_ELECTION_STATUS_COUNT;
    h.to = to;
    h.version = e->version;
    h.life_event = DMS_LIFE_EVENT_NONE;
    snprintf(h.actor, sizeof h.actor, "test");
    snprintf(h.at, sizeof h.at, "2025-11-20T10:00:00.000Z");
    e->status = to;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    int status = dms_enrol_election_put(store, e, &h, DMS_ROLE_EMPLOYEE, &err);
    assert_int_equal(status, expect);
    if (status == DMS_OK)
        assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    else
        dms_enrol_rollback(store);
}

/* A draft submitted, then saved again: each write logs the election's row,
 * the page of its (department, status) index, the history's row and index,
 * and the page of its index of changes not yet notified (migration 13: the
 * notification scan's outbox), but not the unchanged unique index on the employee. Writing an
 * election under another employee's id is refused and changes nothing. */
static void election_update_pages(void **state)
{
    (void)state;
    dms_store *store = open_at("elections.db");
    dms_error err;
    dms_error_clear(&err);
    long employer = 0;
    assert_int_equal(dms_tenant_employer_create(store, "Pages", NULL, "test", &employer, &err),
                     DMS_OK);
    dms_store_tenant_set(store, employer);
    dms_enrol_election e[40];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 40; i++) {
        snprintf(e[i].employee_id, sizeof e[i].employee_id, "1%05d", i);
        snprintf(e[i].department, sizeof e[i].department, "Dept %d", i % 3);
        snprintf(e[i].options, sizeof e[i].options, "[\"dental_standard\"]");
        e[i].version = 1;
        put(store, &e[i], DMS_ELECTION_DRAFT, DMS_OK);
    }
    for (int round = 0; round < 2; round++) {
        truncate_log(store);
        put(store, &e[17], round == 0 ? DMS_ELECTION_SUBMITTED : DMS_ELECTION_DRAFT, DMS_OK);
        assert_int_equal(log_pages(store), 5);
    }
    dms_enrol_election other = e[18];
    snprintf(other.employee_id, sizeof other.employee_id, "%s", e[17].employee_id);
    put(store, &other, DMS_ELECTION_SUBMITTED, DMS_ENOTFOUND);
    dms_enrol_election back;
    assert_int_equal(dms_enrol_election_get(store, e[18].employee_id, &back, &err), DMS_OK);
    assert_int_equal(back.id, e[18].id);
    assert_int_equal(back.status, DMS_ELECTION_DRAFT);
    assert_int_equal(dms_enrol_election_get(store, e[17].employee_id, &back, &err), DMS_OK);
    assert_int_equal(back.id, e[17].id);
    assert_int_equal(back.status, DMS_ELECTION_DRAFT);
    dms_store_close(store);
}

static long long count_rows(dms_store *store, const char *sql)
{
    dms_stmt *stmt = NULL;
    long long n = -1;
    if (dms_sql_prepare(store, sql, &stmt) == DMS_SQL_OK && dms_sql_step(stmt) == DMS_SQL_ROW)
        n = dms_sql_column_int64(stmt, 0);
    dms_sql_finalize(stmt);
    return n;
}

/* Two stores of one file write on the gate's one connection: what one made
 * on its connection (a TEMP table, which only that connection sees) the
 * other sees in its write, and neither sees outside a write. */
static void writes_share_the_gates_connection(void **state)
{
    (void)state;
    dms_store *a = open_at("shared.db"), *b = open_at("shared.db");
    assert_int_equal(dms_enrol_begin(a, NULL), DMS_OK);
    assert_int_equal(dms_sql_exec(a, "CREATE TEMP TABLE IF NOT EXISTS mark (x INTEGER);"
                                     "INSERT INTO mark VALUES (1)"),
                     DMS_SQL_OK);
    assert_int_equal(dms_enrol_commit(a, NULL), DMS_OK);
    assert_int_equal(count_rows(a, "SELECT count(*) FROM mark"), -1); /* its own again */
    assert_int_equal(dms_enrol_begin(b, NULL), DMS_OK);
    assert_int_equal(count_rows(b, "SELECT count(*) FROM mark"), 1);
    dms_enrol_rollback(b);
    assert_int_equal(count_rows(b, "SELECT count(*) FROM mark"), -1);
    dms_store_close(b);
    dms_store_close(a);
}

/* Rows of t in the file at name, read by a connection of its own. */
static long long rows_in(const char *name)
{
    dms_store *store = open_at(name);
    long long n = count_rows(store, "SELECT count(*) FROM t");
    dms_store_close(store);
    return n;
}

static void remove_db(const char *name)
{
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char path[200];
        snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix[i]);
        unlink(path);
    }
}

static void insert_row(dms_store *store)
{
    assert_int_equal(dms_enrol_begin(store, NULL), DMS_OK);
    assert_int_equal(dms_sql_exec(store, "INSERT INTO t VALUES (1)"), DMS_SQL_OK);
    assert_int_equal(dms_enrol_commit(store, NULL), DMS_OK);
}

/* The path replaced by a new database while a store of the old file is
 * still open: a store of the new file writes into it (not into the old one
 * the gate's connection was opened on), and the store of the old file
 * writes into the old file, as its own connection always did. */
static void replaced_file_gets_its_own_writer(void **state)
{
    (void)state;
    dms_store *old = open_at("replaced.db");
    assert_int_equal(dms_sql_exec(old, "CREATE TABLE t (x INTEGER)"), DMS_SQL_OK);
    insert_row(old);
    remove_db("replaced.db");
    dms_store *fresh = open_at("replaced.db");
    assert_int_equal(dms_sql_exec(fresh, "CREATE TABLE t (x INTEGER)"), DMS_SQL_OK);
    insert_row(fresh);
    insert_row(fresh);
    assert_int_equal(rows_in("replaced.db"), 2);
    insert_row(old);
    assert_int_equal(count_rows(old, "SELECT count(*) FROM t"), 2);
    assert_int_equal(rows_in("replaced.db"), 2);
    insert_row(fresh);
    assert_int_equal(rows_in("replaced.db"), 3);
    dms_store_close(old);
    dms_store_close(fresh);
    dms_enrol_writers_close();
}

static int setup(void **state)
{
    (void)state;
    return test_temp_dir(dir, sizeof dir, "writers");
}

static int teardown(void **state)
{
    (void)state;
    dms_enrol_writers_close(); /* the connections the writers' gates keep */
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writers_all_land),
        cmocka_unit_test(gate_opens_on_commit_and_rollback),
        cmocka_unit_test(statement_cache),
        cmocka_unit_test(lock_waits_finely),
        cmocka_unit_test(election_update_pages),
        cmocka_unit_test(writes_share_the_gates_connection),
        cmocka_unit_test(replaced_file_gets_its_own_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
