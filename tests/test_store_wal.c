/*
 * The write-ahead log of SQLite stays bounded under sustained writes, with
 * the service's pattern of connections: writers that defer their checkpoints
 * (dms_store_defer_checkpoints) each in a transaction of a read and a write,
 * readers running short queries all the while, and a checkpointer calling
 * dms_store_checkpoint every 50 ms from a connection of its own. PASSIVE
 * checkpoints alone never let the log start again from its beginning while
 * commits keep landing, so it grew to the writers' threshold (4000 pages,
 * 16 MiB) and stayed that size; the log must now stay well below it, and
 * every commit must still be there.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "dms/enrol_store.h"
#include "dms/sql.h"
#include "dms/store.h"
#include "testutil.h"

#define WRITERS 2
/* Reads, each a transaction of its own, between two drafts of a worker. */
#define READS_EACH 3
/* Rows of about a page each (the row and its index entries: 1 to 3 frames a
 * commit): the writers together log several times the old high-water mark. */
#define ROW_BYTES 3000
/* The bound: 14 MiB. Before, the log only started over once a writer's
 * commit took it past 4000 frames (of a 4 KiB page and a 24-byte header:
 * 16.5 MB); now the checkpointer restarts it from 1000 pages and a writer
 * from 1500, waiting for a checkpoint in progress from 3000 (12.4 MB). */
#define WAL_BOUND (14LL * 1024 * 1024)

static char dir[64];
static char db_path[160];
static char wal_path[170];
static atomic_bool stop_checkpointer;
static atomic_int failures;
static atomic_int committed;
static int commits_each = 6000;

static dms_store *open_store(void)
{
    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_store_open(db_path, &store, &err) != DMS_OK) {
        atomic_fetch_add(&failures, 1);
        return NULL;
    }
    return store;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* An offer or a health check: a read of a row by its key. */
static void read_one(dms_store *store, long long n)
{
    dms_stmt *stmt = NULL;
    if (dms_sql_prepare(store, "SELECT id, length(data) FROM filler WHERE id = ?1", &stmt) !=
        DMS_SQL_OK) {
        atomic_fetch_add(&failures, 1);
        return;
    }
    dms_sql_bind_int64(stmt, 1, 1 + n % (atomic_load(&committed) + 1));
    int rc = dms_sql_step(stmt);
    if (rc != DMS_SQL_ROW && rc != DMS_SQL_DONE)
        atomic_fetch_add(&failures, 1);
    dms_sql_finalize(stmt);
}

/* A draft: in one write transaction, a read of the table, then a row. */
static void *write_run(void *arg)
{
    (void)arg;
    dms_store *store = open_store();
    if (store == NULL)
        return NULL;
    dms_store_defer_checkpoints(store);
    unsigned char data[ROW_BYTES];
    for (int i = 0; i < commits_each; i++) {
        /* The requests between two drafts: reads of rows by their keys. */
        for (int r = 0; r < READS_EACH; r++)
            read_one(store, i * READS_EACH + r);
        memset(data, i & 0xff, sizeof data);
        dms_stmt *read = NULL, *insert = NULL;
        dms_error err;
        dms_error_clear(&err);
        int ok = dms_enrol_begin(store, &err) == DMS_OK &&
                 dms_sql_prepare(store, "SELECT length(data) FROM filler WHERE id = ?1", &read) ==
                     DMS_SQL_OK;
        if (ok) {
            dms_sql_bind_int64(read, 1, i + 1);
            int rc = dms_sql_step(read);
            ok = rc == DMS_SQL_ROW || rc == DMS_SQL_DONE;
        }
        dms_sql_finalize(read);
        ok = ok &&
             dms_sql_prepare(store, "INSERT INTO filler (data) VALUES (?1)", &insert) == DMS_SQL_OK;
        if (ok) {
            dms_sql_bind_blob(insert, 1, data, sizeof data);
            ok = dms_sql_step(insert) == DMS_SQL_DONE;
        }
        dms_sql_finalize(insert);
        if (!ok || dms_enrol_commit(store, &err) != DMS_OK) {
            dms_enrol_rollback(store);
            atomic_fetch_add(&failures, 1);
            break;
        }
        atomic_fetch_add(&committed, 1);
    }
    dms_store_close(store);
    return NULL;
}

/* The service's checkpointer (src/api/server.c): every 50 ms, a last one at the end. */
static void *checkpoint_run(void *arg)
{
    (void)arg;
    dms_store *store = open_store();
    if (store == NULL)
        return NULL;
    for (;;) {
        bool last = atomic_load(&stop_checkpointer);
        dms_error err;
        dms_error_clear(&err);
        if (dms_store_checkpoint(store, &err) != DMS_OK)
            atomic_fetch_add(&failures, 1);
        if (last)
            break;
        sleep_ms(50);
    }
    dms_store_close(store);
    return NULL;
}

static long long wal_size(void)
{
    struct stat st;
    return stat(wal_path, &st) == 0 ? (long long)st.st_size : 0;
}

static void log_bounded_under_sustained_writes(void **state)
{
    (void)state;
    dms_store *store = open_store();
    assert_non_null(store);
    assert_int_equal(
        dms_sql_exec(store, "CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"),
        DMS_SQL_OK);

    pthread_t checkpointer, writers[WRITERS];
    assert_int_equal(pthread_create(&checkpointer, NULL, checkpoint_run, NULL), 0);
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&writers[i], NULL, write_run, NULL), 0);
    /* The largest the log file gets while the writers run, looked at every 2 ms. */
    long long largest = 0;
    for (;;) {
        long long size = wal_size();
        largest = size > largest ? size : largest;
        if (atomic_load(&committed) >= WRITERS * commits_each || atomic_load(&failures) > 0)
            break;
        sleep_ms(2);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(writers[i], NULL);
    atomic_store(&stop_checkpointer, true);
    pthread_join(checkpointer, NULL);
    largest = wal_size() > largest ? wal_size() : largest;
    print_message("commits %d, largest log %lld bytes (bound %lld)\n", WRITERS * commits_each,
                  largest, WAL_BOUND);

    assert_int_equal(atomic_load(&failures), 0);
    /* Every commit is there, each row whole. */
    dms_stmt *stmt = NULL;
    assert_int_equal(
        dms_sql_prepare(store, "SELECT count(*), min(length(data)), max(length(data)) FROM filler",
                        &stmt),
        DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int64(stmt, 0), (long long)WRITERS * commits_each);
    assert_int_equal(dms_sql_column_int64(stmt, 1), ROW_BYTES);
    assert_int_equal(dms_sql_column_int64(stmt, 2), ROW_BYTES);
    dms_sql_finalize(stmt);
    /* The rows alone are more than the bound, so the log must have started over. */
    assert_true((long long)WRITERS * commits_each * ROW_BYTES > WAL_BOUND);
    assert_true(largest > 0);
    assert_true(largest < WAL_BOUND);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_check(store, &err), DMS_OK);
    dms_store_close(store);
}

static int setup(void **state)
{
    (void)state;
    const char *vg = getenv("DMS_UNDER_VALGRIND");
    if (vg != NULL && vg[0] == '1')
        commits_each = 3000;
    if (test_temp_dir(dir, sizeof dir, "wal") != 0)
        return -1;
    snprintf(db_path, sizeof db_path, "%s/wal.db", dir);
    snprintf(wal_path, sizeof wal_path, "%s-wal", db_path);
    return 0;
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
        cmocka_unit_test(log_bounded_under_sustained_writes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
