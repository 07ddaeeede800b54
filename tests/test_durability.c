/*
 * Durability of elections: a real `dmsrate serve` takes draft and submit
 * requests from several processes at once, is killed with SIGKILL mid-way,
 * and restarted on the same database; every submission that was answered
 * 200 must be there, submitted, with its history line, and PRAGMA
 * integrity_check must answer ok. Bounded to a few seconds.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/store.h"
#include "http_client.h"
#include "run_command.h"
#include "testutil.h"

#define EMPLOYEES 160
#define WORKERS 4

static char dir[64], db[128];
static char keys[EMPLOYEES][80];
static char ids[EMPLOYEES][16];

static pid_t start(unsigned *port)
{
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models", "--tariffs", "tariffs", "--db", db,
                          "--today", "2025-11-20", "--threads", "4", NULL};
    return start_dmsrate_serve(args, log, 20000, port);
}

/* The first EMPLOYEES employee ids of the sample census. */
static void read_ids(void)
{
    FILE *f = fopen("examples/census/midsize-450.csv", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (n < EMPLOYEES && fgets(line, sizeof line, f) != NULL)
        if (strstr(line, ",employee,") != NULL)
            snprintf(ids[n++], sizeof ids[0], "%.*s", (int)strcspn(line, ","), line);
    fclose(f);
    assert_int_equal(n, EMPLOYEES);
}

/* One worker: draft and submit for employees w, w + WORKERS, ...; writes acknowledged indices. */
static void worker(int w, unsigned port, int ack_fd)
{
    for (int i = w; i < EMPLOYEES; i += WORKERS) {
        struct http_response r;
        http_key = keys[i];
        http_call(port, "PUT", "/v1/me/election", "application/json",
                  "{\"options\":[\"mental_health\"]}", &r, 5000);
        int put = r.status;
        http_response_free(&r);
        if (put == 0)
            _exit(0); /* the server is gone */
        http_call(port, "POST", "/v1/me/election/submit", NULL, NULL, &r, 5000);
        if (r.status == 200) {
            unsigned char b = (unsigned char)i; /* EMPLOYEES < 256 */
            if (write(ack_fd, &b, 1) != 1)
                _exit(1);
        }
        int status = r.status;
        http_response_free(&r);
        if (status == 0)
            _exit(0);
    }
    _exit(0);
}

static void acknowledged_elections_survive_sigkill(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(test_temp_dir(dir, sizeof dir, "dur"), 0);
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    read_ids();
    unsigned port = 0;
    pid_t server = start(&port);
    assert_true(server > 0);
    for (int i = 0; i < EMPLOYEES; i++) {
        char *argv[] = {"dmsrate",    "keys", "create", "--role", "employee",
                        "--employee", ids[i], "--db",   db,       NULL};
        struct command_result c = run_dmsrate(argv);
        assert_int_equal(c.status, 0);
        snprintf(keys[i], sizeof keys[i], "%.68s", c.out);
        free(c.out);
        free(c.err);
    }
    int ack[2];
    assert_int_equal(pipe(ack), 0);
    pid_t workers[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        workers[w] = fork();
        if (workers[w] == 0) {
            close(ack[0]);
            worker(w, port, ack[1]);
        }
    }
    close(ack[1]);
    /* Let them write for a while, then kill the server without warning. */
    struct timespec pause = {0, 400 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(kill(server, SIGKILL), 0);
    waitpid(server, NULL, 0);
    for (int w = 0; w < WORKERS; w++)
        waitpid(workers[w], NULL, 0);
    bool acked[EMPLOYEES] = {false};
    int nacked = 0;
    unsigned char b;
    while (read(ack[0], &b, 1) == 1) {
        assert_true(b < EMPLOYEES);
        acked[b] = true;
        nacked++;
    }
    close(ack[0]);
    assert_true(nacked > 0);
    print_message("%d of %d submissions acknowledged before SIGKILL\n", nacked, EMPLOYEES);

    /* The database is consistent on its own... */
    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(db, &store, &err), DMS_OK);
    assert_int_equal(dms_store_check(store, &err), DMS_OK);
    dms_store_close(store);

    /* ...and a restarted server finds every acknowledged submission. */
    server = start(&port);
    assert_true(server > 0);
    for (int i = 0; i < EMPLOYEES; i++) {
        if (!acked[i])
            continue;
        struct http_response r;
        http_key = keys[i];
        http_call(port, "GET", "/v1/me/election/history", NULL, NULL, &r, 5000);
        assert_int_equal(r.status, 200);
        json_error_t jerr;
        json_t *j = json_loads(r.body, 0, &jerr);
        assert_non_null(j);
        bool submitted = false;
        size_t k;
        json_t *line;
        json_array_foreach(json_object_get(j, "history"), k, line)
        {
            submitted = submitted ||
                        strcmp(json_string_value(json_object_get(line, "to")), "submitted") == 0;
        }
        assert_true(submitted);
        json_decref(j);
        http_response_free(&r);
        /* Each employee submits once: the election itself is still submitted. */
        http_call(port, "GET", "/v1/me/election", NULL, NULL, &r, 5000);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"status\":\"submitted\""));
        http_response_free(&r);
    }
    http_key = NULL;
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    assert_int_equal(test_remove_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acknowledged_elections_survive_sigkill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
