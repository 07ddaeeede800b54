/*
 * The stored register of insured people through the real service: a bulk
 * upload of 10,000 rows with one faulty row is refused whole (the register
 * is untouched, the fault is reported at its line), the same upload without
 * the fault is applied in one go; a person's history keeps every change
 * with its effective date, time entered and author; a change against a
 * stale version is 409 with the current version; a change beyond the retro
 * window is refused with its reason; the current list downloaded as XLSX and
 * uploaded into a second employer gives the same list (the XLSX round trip
 * through the API), and the changes of a period come back in the template.
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

#include "http_client.h"
#include "run_command.h"

#define T 60000
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static char dir[64], db[128];
static unsigned port;
static pid_t server_pid;
static char hr1[80], hr2[80];
static int rows = 10000;

static int run(char *out, size_t size, char *const argv[])
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

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        rows = 2000;
    snprintf(dir, sizeof dir, "/tmp/dms-register-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    for (int e = 1; e <= 2; e++) {
        char id[16], name[32];
        snprintf(name, sizeof name, "Employer %d", e);
        char *create[] = {"dmsrate", "employers", "create", "--name", name, "--db", db, NULL};
        char *import[] = {"dmsrate",
                          "enrol",
                          "import",
                          "--employer",
                          id,
                          "--policy",
                          "examples/policies/midsize-2026.json",
                          "--census",
                          "examples/census/midsize-450.csv",
                          "--db",
                          db,
                          NULL};
        char *key[] = {"dmsrate",    "keys", "create", "--role", "hr",
                       "--employer", id,     "--db",   db,       NULL};
        if (run(id, sizeof id, create) != 0 || run(NULL, 0, import) != 0 ||
            run(e == 1 ? hr1 : hr2, 80, key) != 0)
            return -1;
    }
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models",  "--tariffs",  "tariffs",   "--db",
                          db,         "--today", "2026-03-10", "--no-seed", NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    return server_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* method path with key; body of len bytes of type; the answer in *r (free it). */
static int call(const char *key, const char *method, const char *path, const char *type,
                const char *body, size_t len, struct http_response *r)
{
    http_key = key;
    http_call_ex(port, method, path, type, body, len, false, r, T);
    http_key = NULL;
    return r->status;
}

static json_t *call_json(const char *key, const char *method, const char *path, const char *body,
                         int expect)
{
    struct http_response r;
    int status = call(key, method, path, body != NULL ? "application/json" : NULL, body,
                      body != NULL ? strlen(body) : 0, &r);
    if (status != expect)
        print_error("%s %s: %d, expected %d: %.400s\n", method, path, status, expect,
                    r.body != NULL ? r.body : "");
    assert_int_equal(status, expect);
    json_error_t jerr;
    json_t *j = json_loads(r.body, 0, &jerr);
    http_response_free(&r);
    assert_non_null(j);
    return j;
}

static long total(const char *key)
{
    json_t *j = call_json(key, "GET", "/v1/register?limit=0", NULL, 200);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

/* A template of rows attaches; bad_line (0: none) gets an unknown action. */
static char *bulk(int bad_line, size_t *len)
{
    size_t cap = (size_t)rows * 120 + 256;
    char *csv = malloc(cap);
    size_t n = (size_t)snprintf(csv, cap,
                                "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;"
                                "Подразделение;Программа\n");
    static const char *const programmes[] = {"young", "senior", "families", "other"};
    for (int i = 1; i <= rows; i++) {
        int line = i + 1;
        n += (size_t)snprintf(
            csv + n, cap - n, "%s;01.03.2026;Q-%05d;E%05d;Сотрудник %05d;Отдел %d;%s\n",
            line == bad_line ? "уволить" : "прикрепить", i, i, i, i % 7, programmes[i % 4]);
    }
    *len = n;
    return csv;
}

static void bulk_upload_is_atomic(void **state)
{
    (void)state;
    size_t len = 0;
    int bad = rows / 2 + 1;
    char *csv = bulk(bad, &len);
    struct http_response r;
    assert_int_equal(
        call(hr1, "POST", "/v1/register/changes?file=bulk.csv", "text/csv", csv, len, &r), 422);
    json_error_t jerr;
    json_t *j = json_loads(r.body, 0, &jerr);
    http_response_free(&r);
    json_t *error = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(error, "issues_total")), 1);
    json_t *issue = json_array_get(json_object_get(error, "issues"), 0);
    assert_int_equal(json_integer_value(json_object_get(issue, "line")), bad);
    assert_int_equal(json_integer_value(json_object_get(issue, "column")), 1);
    assert_string_equal(json_string_value(json_object_get(issue, "code")), "unknown_action");
    assert_non_null(strstr(json_string_value(json_object_get(issue, "message_ru")), "уволить"));
    json_decref(j);
    assert_int_equal(total(hr1), 0); /* nothing of the 9,999 good rows was written */
    free(csv);

    csv = bulk(0, &len);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(
        call(hr1, "POST", "/v1/register/changes?file=bulk.csv", "text/csv", csv, len, &r), 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    j = json_loads(r.body, 0, &jerr);
    http_response_free(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "applied")), rows);
    json_decref(j);
    assert_int_equal(total(hr1), rows);
    print_message("bulk upload of %d rows through the API: %.3f s\n", rows,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    /* Filters: department, status, programme. */
    j = call_json(hr1, "GET", "/v1/register?programme=young&limit=5", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), rows / 4);
    assert_int_equal(json_array_size(json_object_get(j, "persons")), 5);
    json_decref(j);
    j = call_json(hr1, "GET", "/v1/register?status=excluded", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    /* The other employer saw none of it. */
    assert_int_equal(total(hr2), 0);
    free(csv);
}

static void history_versions_and_retro_window(void **state)
{
    (void)state;
    json_t *j = call_json(hr1, "POST", "/v1/register/changes",
                          "{\"action\": \"изменить программу\", \"effective_date\": "
                          "\"2026-03-05\", \"policy\": \"Q-00001\", \"programme\": \"other\", "
                          "\"version\": 1}",
                          200);
    json_decref(j);
    /* The same change against version 1 again: stale, 409 with the current version. */
    j = call_json(hr1, "POST", "/v1/register/changes",
                  "{\"action\": \"приостановить\", \"effective_date\": \"2026-03-06\", "
                  "\"policy\": \"Q-00001\", \"version\": 1}",
                  409);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "error"), "current_version")), 2);
    json_decref(j);
    /* Beyond the 30-day window (today 2026-03-10): refused with the reason. */
    j = call_json(hr1, "POST", "/v1/register/changes",
                  "{\"action\": \"открепить\", \"effective_date\": \"2026-02-01\", "
                  "\"policy\": \"Q-00001\"}",
                  422);
    json_t *issue = json_array_get(json_object_get(json_object_get(j, "error"), "issues"), 0);
    assert_string_equal(json_string_value(json_object_get(issue, "code")), "retro_beyond_window");
    assert_non_null(strstr(json_string_value(json_object_get(issue, "message_en")), "30 days"));
    json_decref(j);
    j = call_json(hr1, "POST", "/v1/register/changes",
                  "{\"action\": \"открепить\", \"effective_date\": \"2026-03-09\", "
                  "\"policy\": \"Q-00001\", \"version\": 2}",
                  200);
    json_decref(j);
    /* History: three changes, oldest first, with versions, dates and the key. */
    j = call_json(hr1, "GET", "/v1/register/Q-00001", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "excluded");
    assert_string_equal(json_string_value(json_object_get(j, "date_to")), "2026-03-08");
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
    json_t *history = json_object_get(j, "history");
    assert_int_equal(json_array_size(history), 3);
    static const char *const actions[] = {"attach", "change_programme", "detach"};
    static const char *const dates[] = {"2026-03-01", "2026-03-05", "2026-03-09"};
    for (size_t i = 0; i < 3; i++) {
        json_t *h = json_array_get(history, i);
        assert_string_equal(json_string_value(json_object_get(h, "action")), actions[i]);
        assert_string_equal(json_string_value(json_object_get(h, "effective_date")), dates[i]);
        assert_int_equal(json_integer_value(json_object_get(h, "version")), (json_int_t)i + 1);
        assert_non_null(strstr(json_string_value(json_object_get(h, "author")), "(hr)"));
        assert_true(strlen(json_string_value(json_object_get(h, "entered_at"))) >= 20);
    }
    json_decref(j);
    /* The changes of a period, in the template. */
    struct http_response r;
    assert_int_equal(call(hr1, "GET",
                          "/v1/exports/register-changes.csv?from=2026-03-05&to=2026-03-31", NULL,
                          NULL, 0, &r),
                     200);
    assert_non_null(strstr(r.body, "Действие;Дата действия;Номер полиса"));
    assert_non_null(strstr(r.body, "изменить программу;05.03.2026;Q-00001"));
    assert_non_null(strstr(r.body, "открепить;09.03.2026;Q-00001"));
    assert_null(strstr(r.body, "прикрепить;01.03.2026"));
    http_response_free(&r);
    /* Another employer's hr does not find the person. */
    j = call_json(hr2, "GET", "/v1/register/Q-00001", NULL, 404);
    json_decref(j);
}

static char *body_copy(const struct http_response *r, size_t *len)
{
    char *copy = malloc(r->body_len + 1);
    memcpy(copy, r->body, r->body_len);
    copy[r->body_len] = '\0';
    *len = r->body_len;
    return copy;
}

/* The current list as XLSX, uploaded into employer 2, gives the same list. */
static void xlsx_round_trip_through_the_api(void **state)
{
    (void)state;
    struct http_response r;
    assert_int_equal(
        call(hr1, "GET", "/v1/exports/register.xlsx?status=included", NULL, NULL, 0, &r), 200);
    assert_true(r.body_len > 1000);
    assert_int_equal(memcmp(r.body, "PK\x03\x04", 4), 0);
    size_t xlsx_len = 0;
    char *xlsx = body_copy(&r, &xlsx_len);
    http_response_free(&r);
    assert_int_equal(
        call(hr2, "POST", "/v1/register/changes?file=list.xlsx", XLSX_TYPE, xlsx, xlsx_len, &r),
        200);
    http_response_free(&r);
    free(xlsx);
    assert_int_equal(total(hr2), rows - 1); /* Q-00001 was excluded */
    size_t len1 = 0, len2 = 0;
    assert_int_equal(
        call(hr1, "GET", "/v1/exports/register.csv?status=included", NULL, NULL, 0, &r), 200);
    char *csv1 = body_copy(&r, &len1);
    http_response_free(&r);
    assert_int_equal(call(hr2, "GET", "/v1/exports/register.csv", NULL, NULL, 0, &r), 200);
    char *csv2 = body_copy(&r, &len2);
    http_response_free(&r);
    assert_true(len1 > 1000);
    assert_int_equal(len1, len2);
    assert_memory_equal(csv1, csv2, len1);
    free(csv1);
    free(csv2);
    /* The insured-list report comes from the register too. */
    assert_int_equal(
        call(hr2, "GET", "/v1/exports/insured.csv?department=Отдел%203", NULL, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "ФИО;Подразделение;Статус;Дата подключения"));
    assert_non_null(strstr(r.body, "Сотрудник 00003;Отдел 3;включён;01.03.2026"));
    assert_null(strstr(r.body, "Отдел 4"));
    http_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bulk_upload_is_atomic),
        cmocka_unit_test(history_versions_and_retro_window),
        cmocka_unit_test(xlsx_round_trip_through_the_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
