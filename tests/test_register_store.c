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

#include <math.h>

#include "dms/enrol_store.h"
#include "dms/exposure.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
#include "http_client.h"
#include "store_target.h"
#include "run_command.h"
#include "store_server.h"
#include "testutil.h"

#define T 60000
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static char dir[64], db[256];
static unsigned port;
static pid_t server_pid;
static char hr1[80], hr2[80];
static int rows = 10000;

static int run(char *out, size_t size, char *const argv[])
{
    return store_run(out, size, argv);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        rows = 2000;
    if (test_temp_dir(dir, sizeof dir, "register") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
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
    return store_server_stop(server_pid, dir);
}

static int call(const char *key, const char *method, const char *path, const char *type,
                const char *body, size_t len, struct http_response *r)
{
    return store_call(port, key, method, path, type, body, len, r, T);
}

static json_t *call_json(const char *key, const char *method, const char *path, const char *body,
                         int expect)
{
    return store_call_json(port, key, method, path, body != NULL ? "application/json" : NULL, body,
                           expect, T);
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
    assert_int_equal(call(hr1, "POST", "/v1/register?file=bulk.csv", "text/csv", csv, len, &r),
                     422);
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
    assert_int_equal(call(hr1, "POST", "/v1/register?file=bulk.csv", "text/csv", csv, len, &r),
                     200);
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
    json_t *j = call_json(hr1, "POST", "/v1/register",
                          "{\"action\": \"изменить программу\", \"effective_date\": "
                          "\"2026-03-05\", \"policy\": \"Q-00001\", \"programme\": \"other\", "
                          "\"version\": 1}",
                          200);
    json_decref(j);
    /* The same change against version 1 again: stale, 409 with the current version. */
    j = call_json(hr1, "POST", "/v1/register",
                  "{\"action\": \"приостановить\", \"effective_date\": \"2026-03-06\", "
                  "\"policy\": \"Q-00001\", \"version\": 1}",
                  409);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "error"), "current_version")), 2);
    json_decref(j);
    /* Beyond the 30-day window (today 2026-03-10): refused with the reason. */
    j = call_json(hr1, "POST", "/v1/register",
                  "{\"action\": \"открепить\", \"effective_date\": \"2026-02-01\", "
                  "\"policy\": \"Q-00001\"}",
                  422);
    json_t *issue = json_array_get(json_object_get(json_object_get(j, "error"), "issues"), 0);
    assert_string_equal(json_string_value(json_object_get(issue, "code")), "retro_beyond_window");
    assert_non_null(strstr(json_string_value(json_object_get(issue, "message_en")), "30 days"));
    json_decref(j);
    j = call_json(hr1, "POST", "/v1/register",
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

/* A claims report over the stored register (no membership upload) equals the same
 * report with the membership written out by hand from what was uploaded. */
static void reports_from_the_stored_register(void **state)
{
    (void)state;
    const char *claims =
        "Номер случая;Номер полиса;Табельный номер;Связь;Дата обращения;Дата оказания услуги;"
        "Категория услуги;ЛПУ;Стоимость услуги;Оплачено страховщиком;Соплатёж;Статус\\n"
        "C1;Q-00002;E00002;сотрудник;10.03.2026;10.03.2026;АПП;Медси;1000;1000;0;оплачено\\n"
        "C2;Q-00003;E00003;сотрудник;11.03.2026;11.03.2026;АПП;Медси;2500;2000;500;оплачено\\n"
        "C3;Q-00001;E00001;сотрудник;07.03.2026;07.03.2026;АПП;Медси;700;700;0;оплачено\\n";
    size_t cap = (size_t)rows * 110 + 4096;
    char *mem = malloc(cap);
    size_t n = (size_t)snprintf(mem, cap,
                                "Табельный номер;Связь;Дата рождения;Подразделение;Сегмент;"
                                "Номер полиса;Дата прикрепления;Дата открепления\\n");
    static const char *const programmes[] = {"young", "senior", "families", "other"};
    for (int i = 1; i <= rows; i++)
        n += (size_t)snprintf(mem + n, cap - n,
                              "E%05d;сотрудник;01.01.1970;Отдел %d;%s;Q-%05d;"
                              "01.03.2026;%s\\n",
                              i, i % 7, i == 1 ? "other" : programmes[i % 4], i,
                              i == 1 ? "08.03.2026" : "");
    static const char *const reports[] = {"insured", "utilisation", "expense"};
    for (size_t k = 0; k < 3; k++) {
        size_t body_cap = cap + 4096;
        char *stored = malloc(body_cap), *given = malloc(body_cap), path[64];
        snprintf(stored, body_cap,
                 "{\"register_csv\": \"%s\", \"period\": {\"from\": \"2026-01-01\", \"to\": "
                 "\"2026-12-31\"}, \"min_cell\": 5}",
                 claims);
        snprintf(given, body_cap,
                 "{\"register_csv\": \"%s\", \"membership_csv\": \"%s\", \"period\": {\"from\": "
                 "\"2026-01-01\", \"to\": \"2026-12-31\"}, \"min_cell\": 5}",
                 claims, mem);
        snprintf(path, sizeof path, "/v1/reports/%s", reports[k]);
        json_t *a = call_json(hr1, "POST", path, stored, 200);
        json_t *b = call_json(hr1, "POST", path, given, 200);
        json_t *rows_a = json_object_get(a, "rows"), *rows_b = json_object_get(b, "rows");
        assert_true(json_array_size(rows_a) >= 1);
        if (!json_equal(rows_a, rows_b)) {
            char *ta = json_dumps(rows_a, 0), *tb = json_dumps(rows_b, 0);
            print_error("%s: stored %.600s\ngiven %.600s\n", reports[k], ta, tb);
            free(ta);
            free(tb);
        }
        assert_true(json_equal(rows_a, rows_b));
        json_decref(a);
        json_decref(b);
        free(stored);
        free(given);
    }
    free(mem);
}

/* An accepted election moves the employee's programme in the register, from the policy
 * period's start or the re-opening life event's date, and the change is in the history. */
static void accepted_election_changes_the_programme(void **state)
{
    (void)state;
    char path[256];
    assert_int_equal(store_target(dir, "elect.db", path, sizeof path), 0);
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    json_t *policy = NULL;
    long employer = 0, today = 0;
    assert_int_equal(dms_store_open(path, &store, &err), DMS_OK);
    assert_int_equal(dms_tenant_employer_create(store, "Elect", NULL, "test", &employer, &err),
                     DMS_OK);
    dms_store_tenant_set(store, employer);
    FILE *f = fopen("examples/census/midsize-450.csv", "rb");
    char *census = slurp_fd(f);
    fclose(f);
    assert_int_equal(dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err),
                     DMS_OK);
    assert_int_equal(dms_enrol_import(store, policy, census, strlen(census), "test", NULL, &err),
                     DMS_OK);
    const char *tpl = "Действие;Дата действия;Номер полиса;Табельный номер;Связь;ФИО;Программа\n"
                      "прикрепить;01.01.2026;P-7;100007;сотрудник;Иванов Иван;young\n"
                      "прикрепить;01.01.2026;P-7c;100007;ребёнок;Иванова Мария;young\n";
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    assert_int_equal(
        dms_insured_template_read(tpl, strlen(tpl), DMS_INSURED_CSV, "t.csv", &batch, &err),
        DMS_OK);
    assert_true(dms_date_parse("2026-01-05", &today));
    dms_register_submit opts = {
        .author = "test", .source = "t.csv", .today = today, .retro_days = -1};
    assert_int_equal(dms_register_store_submit(store, batch, &opts, &outcome, NULL, NULL, &err),
                     DMS_OK);
    assert_true(outcome->ok);
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
    /* HR accepts the submitted election of 100007 with two options. */
    dms_enrol_election e;
    memset(&e, 0, sizeof e);
    snprintf(e.employee_id, sizeof e.employee_id, "100007");
    snprintf(e.options, sizeof e.options, "[\"dental_standard\",\"telemedicine\"]");
    e.status = DMS_ELECTION_ACCEPTED;
    e.version = 1;
    dms_election_history h;
    memset(&h, 0, sizeof h);
    h.version = 1;
    h.from = DMS_ELECTION_SUBMITTED;
    h.to = DMS_ELECTION_ACCEPTED;
    h.life_event = DMS_LIFE_EVENT_NONE;
    snprintf(h.actor, sizeof h.actor, "key 3 (hr)");
    snprintf(h.at, sizeof h.at, "2025-12-01T10:00:00.000Z");
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    assert_int_equal(dms_register_store_election_put(store, &e, &h, DMS_ROLE_HR, &err), DMS_OK);
    assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    dms_register_entry p;
    assert_int_equal(dms_register_store_get(store, "P-7", &p, &err), DMS_OK);
    assert_string_equal(p.programme, "young+dental_standard+telemedicine");
    assert_int_equal(p.version, 2);
    assert_int_equal(dms_register_store_get(store, "P-7c", &p, &err), DMS_OK);
    assert_string_equal(p.programme, "young"); /* a relative keeps theirs */
    dms_register_change_row *hist = NULL;
    size_t n = 0;
    assert_int_equal(dms_register_store_changes(store, "P-7", DMS_INSURED_NO_DATE,
                                                DMS_INSURED_OPEN_END, &hist, &n, &err),
                     DMS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(hist[1].change.action, DMS_INSURED_CHANGE_PROGRAMME);
    char day[11];
    assert_string_equal(dms_register_day_text(hist[1].change.effective_day, day), "2026-01-01");
    assert_string_equal(hist[1].author, "key 3 (hr)");
    assert_string_equal(hist[1].programme_before, "young");
    free(hist);
    /* The exposure of the register: two people from 2026-01-01, still covered. */
    dms_membership *m = NULL;
    assert_int_equal(dms_register_store_membership(store, &m, &err), DMS_OK);
    long from = 0, to = 0;
    dms_date_parse("2026-01-01", &from);
    dms_date_parse("2026-12-31", &to);
    assert_true(fabs(dms_exposure_total(m, from, to, NULL, NULL) - 24.0) < 1e-9);
    dms_membership_free(m);
    json_decref(policy);
    free(census);
    dms_store_close(store);
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
        call(hr2, "POST", "/v1/register?file=list.xlsx", XLSX_TYPE, xlsx, xlsx_len, &r), 200);
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
        cmocka_unit_test(reports_from_the_stored_register),
        cmocka_unit_test(accepted_election_changes_the_programme),
        cmocka_unit_test(xlsx_round_trip_through_the_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
