/*
 * Checkpoints of the write-ahead log off the request path: a connection that
 * defers its checkpoints (dms_store_defer_checkpoints, the service's
 * workers) leaves its commits in the log past SQLite's usual threshold of
 * 1000 pages, so the database file alone lacks them; dms_store_checkpoint,
 * from another connection as the service's checkpointer runs it, copies
 * every committed row into the database file, which a copy of that file
 * alone (no log beside it) then shows. A connection that does not defer
 * keeps the log near the usual threshold. The restart of a long log waits
 * at the writers' gate for a write in progress in this process, however
 * long, instead of giving up after its 20 ms for the write lock.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dms/enrol_store.h"
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

static void write_rows(dms_store *store, int commits)
{
    assert_int_equal(dms_sql_exec(store, "CREATE TABLE IF NOT EXISTS filler (id INTEGER "
                                         "PRIMARY KEY, data BLOB)"),
                     DMS_SQL_OK);
    static unsigned char data[4000];
    for (int i = 0; i < commits; i++) {
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
    write_rows(writer, COMMITS);
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
    write_rows(writer, COMMITS);
    /* SQLite's own threshold: the log restarts after about 1000 pages. */
    assert_true(file_size("default.db-wal") < 1100LL * 4096);
    dms_store_close(writer);
}

/* Milliseconds the writer of restart_waits_for_the_gate holds its write:
 * longer than the 20 ms a restart waits for the write lock by itself. */
#define WRITE_MS 60
/* Commits of a page-sized row (about three pages of log each): past 1000 pages of
 * log, short of the 1500 where the writer would restart it itself. */
#define GATED_COMMITS 400

struct slow_writer {
    dms_store *store;
    pthread_mutex_t lock;
    pthread_cond_t began;
    bool in;
    int status;
};

/* One write through the gate, held WRITE_MS before its commit. */
static void *slow_write(void *arg)
{
    struct slow_writer *w = arg;
    w->status = dms_enrol_begin(w->store, NULL);
    if (w->status == DMS_OK &&
        dms_sql_exec(w->store, "INSERT INTO filler (data) VALUES (x'00')") != DMS_SQL_OK)
        w->status = DMS_EIO;
    pthread_mutex_lock(&w->lock);
    w->in = true;
    pthread_cond_signal(&w->began);
    pthread_mutex_unlock(&w->lock);
    struct timespec hold = {0, WRITE_MS * 1000000L};
    nanosleep(&hold, NULL);
    if (w->status == DMS_OK)
        w->status = dms_enrol_commit(w->store, NULL);
    else
        dms_enrol_rollback(w->store);
    return NULL;
}

/* Pages of log from the start of the current one (raw SQLite, PASSIVE). */
static int log_frames(const char *name)
{
    char path[160];
    path_of(name, path, sizeof path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    /* a first read opens the log */
    assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
                     SQLITE_OK);
    int log = -1, done = -1;
    assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done),
                     SQLITE_OK);
    sqlite3_close(db);
    return log;
}

/* A log past 1000 pages while a write of this process is in progress: the
 * checkpoint waits for it at the gate, restarts the log, and the next commit
 * writes from the log's start. */
static void restart_waits_for_the_gate(void **state)
{
    (void)state;
    dms_store *writer = open_at("gated.db");
    dms_store_defer_checkpoints(writer);
    write_rows(writer, GATED_COMMITS);
    /* Past 1000 pages of log (copying none of it, as asking SQLite would),
     * short of the writer's own restart at 1500. */
    assert_true(file_size("gated.db-wal") > 1000LL * 4096);
    assert_true(file_size("gated.db-wal") < 1500LL * 4096);

    struct slow_writer w = {.store = writer, .in = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.began, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_write, &w), 0);
    pthread_mutex_lock(&w.lock);
    while (!w.in)
        pthread_cond_wait(&w.began, &w.lock);
    pthread_mutex_unlock(&w.lock);

    dms_store *checkpointer = open_at("gated.db");
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_checkpoint(checkpointer, &err), DMS_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.status, DMS_OK);
    assert_int_equal(dms_sql_exec(writer, "INSERT INTO filler (data) VALUES (x'01')"), DMS_SQL_OK);
    assert_true(log_frames("gated.db") < 10);
    assert_int_equal(rows_in_file_alone("gated.db"), GATED_COMMITS + 2);
    dms_store_close(checkpointer);
    dms_store_close(writer);
    pthread_cond_destroy(&w.began);
    pthread_mutex_destroy(&w.lock);
}

static int setup(void **state)
{
    (void)state;
    return test_temp_dir(dir, sizeof dir, "checkpoint");
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
        cmocka_unit_test(deferred_then_checkpointed),
        cmocka_unit_test(default_keeps_log_short),
        cmocka_unit_test(restart_waits_for_the_gate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
