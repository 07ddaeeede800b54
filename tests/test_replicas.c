/*
 * Two `dmsrate serve` replicas on one PostgreSQL database, as behind a load
 * balancer. Load generators (forked children) send elections, register
 * changes and key revocations through both at once; one replica is killed
 * with SIGKILL half a second in. Then, looking into the database:
 *   - every acknowledged register change is stored exactly once (one row per
 *     person and version, no version twice) and the person's version is the
 *     last change's;
 *   - every acknowledged election is there, once per employee, holding the
 *     last acknowledged options or those of the one request after it that
 *     the killed replica may have committed without answering;
 *   - every acknowledged revocation is stored, and the other replica
 *     refused the key at once (no key cache between them);
 * two HR users changing the same person through different replicas: one
 * wins, the other gets 409 with the current version; and a database outage
 * under load: while PostgreSQL is down both replicas answer 503 with a
 * JSON error and /healthz says the store is down; when it is back requests
 * succeed again and neither replica crashed.
 * Needs the test cluster (DMS_TEST_PG_URI, DMS_TEST_PG_STATE from
 * tests/pg/with-cluster.sh); skips with a message without it.
 */
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

#include "dms/sql.h"
#include "dms/store.h"
#include "http_client.h"
#include "run_command.h"
#include "store_target.h"
#include "testutil.h"

#define T 20000
#define EMPLOYEES 24
#define PERSONS 40
#define SPARE_KEYS 12
#define WORKERS 6

static char dir[64], db[256];
static pid_t pid[2];
static unsigned port[2];
static char hr[2][80], emp[EMPLOYEES][80], spare[SPARE_KEYS][80];
static char emp_id[EMPLOYEES][16];
static long spare_id[SPARE_KEYS];
static bool have_pg;

static int cli(char *out, size_t size, char *const argv[])
{
    struct command_result c = run_dmsrate(argv);
    if (out != NULL)
        snprintf(out, size, "%.*s", (int)strcspn(c.out, "\n"), c.out);
    int status = c.status;
    if (status != 0)
        fprintf(stderr, "dmsrate %s %s: %s", argv[1], argv[2], c.err);
    command_result_free(&c);
    return status;
}

static int key(const char *role, const char *flag, const char *value, char *out)
{
    char *argv[] = {"dmsrate", "keys", "create", "--role",     (char *)role,  "--employer",
                    "1",       "--db", db,       (char *)flag, (char *)value, NULL};
    if (flag == NULL)
        argv[9] = NULL;
    return cli(out, 80, argv);
}

static pid_t serve(int i)
{
    char log[128];
    snprintf(log, sizeof log, "%s/server%d.log", dir, i);
    const char *args[] = {"--models", "models",     "--tariffs", "tariffs", "--db", db,
                          "--today",  "2025-11-20", "--threads", "4",       NULL};
    return start_dmsrate_serve(args, log, T, &port[i]);
}

/* One request with key k; the status (0: no answer) and the parsed body in *j if wanted. */
static int call(int replica, const char *k, const char *method, const char *path, const char *type,
                const char *body, json_t **j)
{
    struct http_response r;
    http_key = k;
    http_call_ex(port[replica], method, path, type, body, body != NULL ? strlen(body) : 0, false,
                 &r, T);
    if (j != NULL) {
        json_error_t e;
        *j = r.body != NULL ? json_loads(r.body, 0, &e) : NULL;
    }
    int status = r.status;
    http_response_free(&r);
    return status;
}

static long query_long(dms_store *s, const char *sql, const char *text, long n)
{
    dms_stmt *st = NULL;
    long v = -1;
    if (dms_sql_prepare(s, sql, &st) == DMS_SQL_OK) {
        if (text != NULL)
            dms_sql_bind_text(st, 1, text);
        dms_sql_bind_int64(st, 2, n);
        if (dms_sql_step(st) == DMS_SQL_ROW)
            v = (long)dms_sql_column_int64(st, 0);
    }
    dms_sql_finalize(st);
    return v;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (getenv("DMS_TEST_PG_URI") == NULL) {
        fprintf(stderr, "test_replicas: skipped, no DMS_TEST_PG_URI (make check starts a "
                        "PostgreSQL cluster with tests/pg/with-cluster.sh)\n");
        return 0;
    }
    have_pg = true;
    if (test_temp_dir(dir, sizeof dir, "replicas") != 0 ||
        store_target_fresh_pg(db, sizeof db) != 0)
        return -1;
    char *create[] = {"dmsrate", "employers", "create", "--name", "Реплики", "--db", db, NULL};
    char *import[] = {"dmsrate",
                      "enrol",
                      "import",
                      "--employer",
                      "1",
                      "--policy",
                      "examples/policies/midsize-2026.json",
                      "--census",
                      "examples/census/midsize-450.csv",
                      "--db",
                      db,
                      NULL};
    if (cli(NULL, 0, create) != 0 || cli(NULL, 0, import) != 0)
        return -1;
    FILE *f = fopen("examples/census/midsize-450.csv", "r");
    char line[512];
    int n = 0;
    while (f != NULL && n < EMPLOYEES && fgets(line, sizeof line, f) != NULL)
        if (strstr(line, ",employee,") != NULL)
            snprintf(emp_id[n++], 16, "%.*s", (int)strcspn(line, ","), line);
    if (f != NULL)
        fclose(f);
    if (n < EMPLOYEES || key("hr", NULL, NULL, hr[0]) != 0 || key("hr", NULL, NULL, hr[1]) != 0)
        return -1;
    for (int i = 0; i < EMPLOYEES; i++)
        if (key("employee", "--employee", emp_id[i], emp[i]) != 0)
            return -1;
    dms_store *s = NULL;
    if (dms_store_open(db, &s, NULL) != DMS_OK)
        return -1;
    for (int i = 0; i < SPARE_KEYS; i++) {
        if (key("finance", NULL, NULL, spare[i]) != 0)
            return -1;
        char prefix[16];
        snprintf(prefix, sizeof prefix, "%.12s", spare[i]);
        spare_id[i] =
            query_long(s, "SELECT id FROM api_key WHERE prefix = ?1 AND ?2 = ?2", prefix, 0);
    }
    dms_store_close(s);
    if ((pid[0] = serve(0)) <= 0 || (pid[1] = serve(1)) <= 0)
        return -1;
    /* The people of the register, attached through replica 0. */
    size_t cap = PERSONS * 128 + 256, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap,
                            "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;"
                            "Подразделение;Программа\n");
    for (int i = 1; i <= PERSONS; i++)
        len += (size_t)snprintf(csv + len, cap - len,
                                "прикрепить;01.01.2026;R-%03d;%s;Застрахованный %03d;Отдел;young\n",
                                i, emp_id[i % EMPLOYEES], i);
    json_t *j = NULL;
    int status = call(0, hr[0], "POST", "/v1/register?file=r.csv", "text/csv", csv, &j);
    free(csv);
    if (status != 200) {
        char *text = j != NULL ? json_dumps(j, 0) : NULL;
        fprintf(stderr, "attaching the register: %d %s\n", status, text != NULL ? text : "");
        free(text);
    }
    json_decref(j);
    return status == 200 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        if (pid[i] > 0) {
            kill(pid[i], SIGTERM);
            waitpid(pid[i], NULL, 0);
        }
    if (dir[0] != '\0') {
        return test_remove_tree(dir) == 0 ? 0 : -1;
    }
    return 0;
}

static const char *const variants[] = {"[\"telemedicine\"]", "[\"dental_standard\"]",
                                       "[\"dental_standard\",\"telemedicine\"]"};

/* Worker w of the load: writes what was acknowledged to dir/ackW, one line each. */
static void worker(int w, int rounds)
{
    char path[128];
    snprintf(path, sizeof path, "%s/ack%d", dir, w);
    FILE *ack = fopen(path, "w");
    setvbuf(ack, NULL, _IOLBF, 0);
    int req = w;
    for (int r = 0; r < rounds; r++) {
        if (w < 3) { /* elections: employees w, w+3, ... */
            for (int e = w; e < EMPLOYEES; e += 3) {
                char body[128];
                snprintf(body, sizeof body, "{\"options\":%s}", variants[r % 3]);
                fprintf(ack, "S %d %d\n", e, r);
                if (call(req++ % 2, emp[e], "PUT", "/v1/me/election", "application/json", body,
                         NULL) == 200)
                    fprintf(ack, "E %d %d\n", e, r);
            }
        } else if (w < 5) { /* register: persons of this worker, one change each round */
            for (int p = w - 2; p <= PERSONS; p += 2) {
                char person[32], body[256];
                snprintf(person, sizeof person, "/v1/register/R-%03d", p);
                json_t *j = NULL;
                int replica = req++ % 2;
                if (call(replica, hr[w - 3], "GET", person, NULL, NULL, &j) != 200) {
                    json_decref(j);
                    continue;
                }
                long version = (long)json_integer_value(json_object_get(j, "version"));
                json_decref(j);
                snprintf(body, sizeof body,
                         "{\"action\": \"изменить программу\", \"effective_date\": "
                         "\"2026-01-%02d\", \"policy\": \"R-%03d\", \"programme\": \"%s\", "
                         "\"version\": %ld}",
                         2 + r % 18, p, r % 2 ? "young" : "senior", version);
                if (call(req++ % 2, hr[w - 3], "POST", "/v1/register", "application/json", body,
                         NULL) == 200)
                    fprintf(ack, "R %d %ld\n", p, version + 1);
            }
        } else if (r < SPARE_KEYS) { /* revocations, checked at once on the other replica */
            char path_revoke[64];
            snprintf(path_revoke, sizeof path_revoke, "/v1/keys/%ld/revoke", spare_id[r]);
            int replica = req++ % 2;
            if (call(replica, hr[0], "POST", path_revoke, NULL, NULL, NULL) == 200) {
                int other = call(1 - replica, spare[r], "GET", "/v1/totals", NULL, NULL, NULL);
                int same = call(replica, spare[r], "GET", "/v1/totals", NULL, NULL, NULL);
                fprintf(ack, "K %d %d %d\n", r, other, same);
            }
        }
    }
    fclose(ack);
    _exit(0);
}

static void kill_mid_write_keeps_every_acknowledged_write_once(void **state)
{
    (void)state;
    if (!have_pg) {
        print_message("skipped: no PostgreSQL test cluster (DMS_TEST_PG_URI)\n");
        return;
    }
    int rounds = getenv("DMS_UNDER_VALGRIND") != NULL ? 6 : 12;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t kids[WORKERS];
    for (int w = 0; w < WORKERS; w++)
        if ((kids[w] = fork()) == 0)
            worker(w, rounds);
    usleep(500 * 1000);
    kill(pid[0], SIGKILL); /* replica 0 dies mid-write */
    waitpid(pid[0], NULL, 0);
    pid[0] = 0;
    for (int w = 0; w < WORKERS; w++)
        waitpid(kids[w], NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;

    dms_store *s = NULL;
    assert_int_equal(dms_store_open(db, &s, NULL), DMS_OK);
    int last_ack[EMPLOYEES], last_sent[EMPLOYEES];
    for (int e = 0; e < EMPLOYEES; e++)
        last_ack[e] = last_sent[e] = -1;
    long acked = 0, register_acks = 0, revocations = 0, elections = 0, cross_checked = 0;
    for (int w = 0; w < WORKERS; w++) {
        char path[128], kind;
        snprintf(path, sizeof path, "%s/ack%d", dir, w);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        long a, b, c;
        char line[128];
        while (fgets(line, sizeof line, f) != NULL) {
            int fields = sscanf(line, "%c %ld %ld %ld", &kind, &a, &b, &c);
            if (kind == 'S') {
                last_sent[a] = (int)b;
                continue;
            }
            acked++;
            if (kind == 'E') {
                last_ack[a] = (int)b;
                elections++;
            } else if (kind == 'R') {
                char policy[16];
                snprintf(policy, sizeof policy, "R-%03ld", a);
                /* exactly once: one change row with this version */
                assert_int_equal(query_long(s,
                                            "SELECT count(*) FROM insured_change WHERE tenant = 1 "
                                            "AND policy = ?1 AND version = ?2",
                                            policy, b),
                                 1);
                register_acks++;
            } else if (kind == 'K') {
                assert_int_equal(fields, 4);
                /* Refused on both replicas at once; 0 is no answer (the replica was killed). */
                assert_true(b == 401 || b == 0);
                assert_true(c == 401 || c == 0);
                cross_checked += b == 401;
                assert_int_equal(query_long(s,
                                            "SELECT count(*) FROM api_key WHERE id = ?2 AND "
                                            "revoked_at IS NOT NULL AND ?1 = ?1",
                                            "", spare_id[a]),
                                 1);
                revocations++;
            }
        }
        fclose(f);
    }
    /* No version of any person twice, and the person holds the last change's version. */
    assert_int_equal(query_long(s,
                                "SELECT count(*) FROM (SELECT policy, version FROM insured_change "
                                "WHERE tenant = 1 AND ?1 = ?1 AND ?2 = ?2 GROUP BY policy, "
                                "version HAVING count(*) > 1) AS twice",
                                "", 0),
                     0);
    assert_int_equal(query_long(s,
                                "SELECT count(*) FROM insured_person p WHERE tenant = 1 AND "
                                "version <> (SELECT max(version) FROM insured_change c WHERE "
                                "c.tenant = 1 AND c.policy = p.policy) AND ?1 = ?1 AND ?2 = ?2",
                                "", 0),
                     0);
    for (int e = 0; e < EMPLOYEES; e++) {
        if (last_ack[e] < 0)
            continue;
        dms_stmt *st = NULL;
        assert_int_equal(dms_sql_prepare(s,
                                         "SELECT options, count(*) OVER () FROM election WHERE "
                                         "tenant = 1 AND employee_id = ?1",
                                         &st),
                         DMS_SQL_OK);
        dms_sql_bind_text(st, 1, emp_id[e]);
        assert_int_equal(dms_sql_step(st), DMS_SQL_ROW);
        assert_int_equal(dms_sql_column_int(st, 1), 1);
        json_error_t jerr;
        json_t *got = json_loads(dms_sql_column_text(st, 0), 0, &jerr);
        json_t *want = json_loads(variants[last_ack[e] % 3], 0, &jerr);
        json_t *next = json_loads(variants[(last_ack[e] + 1) % 3], 0, &jerr);
        bool ok = json_equal(got, want) || (last_sent[e] > last_ack[e] && json_equal(got, next));
        if (!ok)
            print_error("employee %s: stored %s, last acknowledged %s\n", emp_id[e],
                        dms_sql_column_text(st, 0), variants[last_ack[e] % 3]);
        assert_true(ok);
        json_decref(got);
        json_decref(want);
        json_decref(next);
        dms_sql_finalize(st);
    }
    dms_store_close(s);
    assert_true(register_acks > 0);
    assert_true(revocations > 0);
    assert_true(elections > 0);
    assert_true(cross_checked > 0);
    print_message("two replicas, one killed after 0.5 s: %ld acknowledged writes in %.2f s "
                  "(%.0f/s): %ld elections, %ld register changes, %ld revocations, all stored "
                  "once\n",
                  acked, secs, (double)acked / secs, elections, register_acks, revocations);
    assert_true((pid[0] = serve(0)) > 0); /* back for the next tests */
}

static void concurrent_changes_one_wins_one_conflicts(void **state)
{
    (void)state;
    if (!have_pg)
        return;
    json_t *j = NULL;
    assert_int_equal(call(0, hr[0], "GET", "/v1/register/R-001", NULL, NULL, &j), 200);
    long version = (long)json_integer_value(json_object_get(j, "version"));
    json_decref(j);
    pid_t kids[2];
    for (int i = 0; i < 2; i++)
        if ((kids[i] = fork()) == 0) {
            char body[256];
            snprintf(body, sizeof body,
                     "{\"action\": \"изменить программу\", \"effective_date\": \"2026-01-25\", "
                     "\"policy\": \"R-001\", \"programme\": \"%s\", \"version\": %ld}",
                     i == 0 ? "families" : "other", version);
            json_t *answer = NULL;
            int status = call(i, hr[i], "POST", "/v1/register", "application/json", body, &answer);
            long current = (long)json_integer_value(
                json_object_get(json_object_get(answer, "error"), "current_version"));
            _exit(status == 200 ? 0 : status == 409 && current == version + 1 ? 1 : 2);
        }
    int codes[2];
    for (int i = 0; i < 2; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        codes[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    }
    /* one 200, one 409 carrying the winner's version */
    assert_true((codes[0] == 0 && codes[1] == 1) || (codes[0] == 1 && codes[1] == 0));
    assert_int_equal(call(1, hr[1], "GET", "/v1/register/R-001", NULL, NULL, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), version + 1);
    assert_string_equal(json_string_value(json_object_get(j, "programme")),
                        codes[0] == 0 ? "families" : "other");
    json_decref(j);
}

/* The store's line of a /healthz answer. */
static const char *health_store(json_t *health)
{
    const char *v = json_string_value(json_object_get(json_object_get(health, "checks"), "store"));
    return v != NULL ? v : "(none)";
}

static int cluster(const char *what)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tests/pg/cluster.sh %s '%s'", what, getenv("DMS_TEST_PG_STATE"));
    return system(cmd);
}

static void database_outage_is_503_then_heals(void **state)
{
    (void)state;
    if (!have_pg || getenv("DMS_TEST_PG_STATE") == NULL) {
        print_message("skipped: no DMS_TEST_PG_STATE to stop the cluster with\n");
        return;
    }
    json_t *j = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(call(i, NULL, "GET", "/healthz", NULL, NULL, &j), 200);
        assert_string_equal(health_store(j), "ok");
        json_decref(j);
    }
    /* Load through both replicas while the database goes away and comes back. */
    pid_t load = fork();
    if (load == 0) {
        int bad = 0;
        for (int n = 0; n < 400; n++) {
            int st = call(n % 2, hr[n % 2], "GET", "/v1/register?limit=1", NULL, NULL, NULL);
            if (st != 200 && st != 503)
                bad++;
            usleep(10 * 1000);
        }
        _exit(bad == 0 ? 0 : 1);
    }
    assert_int_equal(cluster("pause"), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(call(i, hr[i], "GET", "/v1/register?limit=1", NULL, NULL, &j), 503);
        json_t *error = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(error, "code")), "unavailable");
        assert_non_null(
            strstr(json_string_value(json_object_get(error, "message")), "unavailable"));
        json_decref(j);
        assert_int_equal(call(i, NULL, "GET", "/healthz", NULL, NULL, &j), 503);
        assert_string_equal(health_store(j), "down: the database cannot be reached");
        json_decref(j);
    }
    assert_int_equal(cluster("resume"), 0);
    for (int i = 0; i < 2; i++) {
        int st = 0;
        for (int tries = 0; tries < 100 && st != 200; tries++) {
            st = call(i, hr[i], "GET", "/v1/register?limit=1", NULL, NULL, NULL);
            if (st != 200)
                usleep(100 * 1000);
        }
        assert_int_equal(st, 200);
        assert_int_equal(call(i, NULL, "GET", "/healthz", NULL, NULL, &j), 200);
        assert_string_equal(health_store(j), "ok");
        json_decref(j);
        assert_int_equal(kill(pid[i], 0), 0); /* neither replica crashed */
    }
    int st = 0;
    waitpid(load, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* only 200 or 503 under load */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_mid_write_keeps_every_acknowledged_write_once),
        cmocka_unit_test(concurrent_changes_one_wins_one_conflicts),
        cmocka_unit_test(database_outage_is_503_then_heals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
