/*
 * API test of the path from the employee module picker to the register of
 * insured people: a real `dmsrate serve` (from $DMS_BIN) on a temporary
 * database seeded with the sample employer, inside its enrolment window
 * (2025-11-17 .. 2025-12-12), with five people attached to the register
 * through the HR upload. An election made through the picker routes (draft,
 * submission, HR acceptance) must move the employee's programme in the
 * register that the HR cabinet reads (GET /v1/register), with a history
 * line, and nobody else's; a submission refused over the budget and an
 * acceptance refused as a whole (one unknown id) must leave the register as
 * it was. The store-level rule is in test_register_store.c; this one fails
 * if a picker route writes the election without following the register.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "http_client.h"
#include "run_command.h"
#include "store_server.h"
#include "store_target.h"
#include "testutil.h"

static pid_t server_pid;
static unsigned port;
static char dir[64], db[256];
static char k_hr[80], k_emp[80], k_emp_ops[80];
static const int T = 20000;

/*
 * Five people of the sample census: 100014 (Finance) with a child, and
 * three colleagues; ASCII policy numbers keep the URLs plain.
 */
static const char attach_csv[] =
    "Действие;Дата действия;Номер полиса;Табельный номер;Связь;ФИО;Дата рождения;"
    "Подразделение;Программа\n"
    "прикрепить;01.01.2026;EL-1;100007;сотрудник;Иванов Иван;28.01.1999;Sales, B2B;young\n"
    "прикрепить;01.01.2026;EL-2;100014;сотрудник;Петров Пётр;19.02.1976;Finance;senior\n"
    "прикрепить;01.01.2026;EL-3;100014;ребёнок;Петрова Анна;26.10.2020;Finance;families\n"
    "прикрепить;01.01.2026;EL-4;100021;сотрудник;Сидорова Мария;27.01.1977;Sales, B2B;"
    "families\n"
    "прикрепить;01.01.2026;EL-5;100056;сотрудник;Орлова Ольга;19.04.1969;Warehouse;other\n";

static int key(const char *role, const char *employee, char *out)
{
    char *argv[] = {"dmsrate",        "keys", "create", "--role",
                    (char *)role,     "--db", db,       employee != NULL ? "--employee" : NULL,
                    (char *)employee, NULL};
    return store_run(out, 80, argv) == 0 && strlen(out) > 60 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "elreg") != 0 ||
        store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    /* Seeded with the sample employer; today inside its enrolment window. */
    const char *args[] = {"--models", "models",     "--tariffs", "tariffs", "--db", db,
                          "--today",  "2025-11-20", "--threads", "2",       NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    if (server_pid <= 0)
        return -1;
    return key("hr", NULL, k_hr) || key("employee", "100014", k_emp) ||
           key("employee", "100056", k_emp_ops);
}

static int teardown(void **state)
{
    (void)state;
    return store_server_stop(server_pid, dir);
}

static json_t *call(const char *k, const char *method, const char *path, const char *body,
                    int expect)
{
    return store_call_json(port, k, method, path, body != NULL ? "application/json" : NULL, body,
                           expect, T);
}

/* The register as HR reads it: policy -> {programme, status, version}, as one JSON text. */
static char *register_snapshot(void)
{
    json_t *j = call(k_hr, "GET", "/v1/register?limit=100", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 5);
    json_t *persons = json_object_get(j, "persons"), *out = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(persons, i, p)
    {
        json_object_set_new(
            out, json_string_value(json_object_get(p, "policy")),
            json_pack("{s:O, s:O, s:O}", "programme", json_object_get(p, "programme"), "status",
                      json_object_get(p, "status"), "version", json_object_get(p, "version")));
    }
    char *text = json_dumps(out, JSON_SORT_KEYS);
    json_decref(out);
    json_decref(j);
    return text;
}

static json_t *person(const char *policy)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/register/%s", policy);
    return call(k_hr, "GET", path, NULL, 200);
}

static const char *text(json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s != NULL ? s : "";
}

static void election_moves_the_register(void **state)
{
    (void)state;
    struct http_response r;
    assert_int_equal(store_call(port, k_hr, "POST", "/v1/register?file=attach.csv", "text/csv",
                                attach_csv, strlen(attach_csv), &r, T),
                     200);
    http_response_free(&r);
    char *before = register_snapshot();
    assert_non_null(strstr(before, "\"EL-2\": {\"programme\": \"senior\""));

    /* Refused over the budget: everything an operations employee may have. */
    json_t *j = call(k_emp_ops, "PUT", "/v1/me/election",
                     "{\"options\":[\"dental_business\",\"home_visits\",\"hospital_planned\","
                     "\"checkup\",\"telemedicine\",\"mental_health\"]}",
                     200);
    json_decref(j);
    j = call(k_emp_ops, "POST", "/v1/me/election/submit", NULL, 422);
    json_decref(j);
    char *now = register_snapshot();
    assert_string_equal(now, before);
    free(now);

    /* 100014 drafts and submits; the register follows only an acceptance. */
    j = call(k_emp, "PUT", "/v1/me/election",
             "{\"options\":[\"dental_standard\",\"family_outpatient\",\"family_emergency\"]}", 200);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    assert_true(id > 0);
    j = call(k_emp, "POST", "/v1/me/election/submit", NULL, 200);
    assert_string_equal(text(j, "status"), "submitted");
    json_decref(j);
    now = register_snapshot();
    assert_string_equal(now, before);
    free(now);

    /* An acceptance refused as a whole (unknown second id) leaves the register as it was. */
    char body[128];
    snprintf(body, sizeof body, "{\"ids\":[%ld, 99999],\"to\":\"accepted\"}", id);
    j = call(k_hr, "POST", "/v1/status-changes", body, 404);
    json_decref(j);
    now = register_snapshot();
    assert_string_equal(now, before);
    free(now);

    /* Accepted: 100014's own policy carries the options, from the period's start. */
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"accepted\"}", id);
    j = call(k_hr, "POST", "/v1/status-changes", body, 200);
    json_decref(j);
    j = person("EL-2");
    assert_string_equal(text(j, "programme"),
                        "senior+dental_standard+family_outpatient+family_emergency");
    assert_string_equal(text(j, "status"), "included"); /* still insured */
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    json_t *history = json_object_get(j, "history");
    assert_int_equal(json_array_size(history), 2);
    json_t *line = json_array_get(history, 1);
    assert_string_equal(text(line, "action"), "change_programme");
    assert_string_equal(text(line, "action_ru"), "изменить программу");
    assert_string_equal(text(line, "effective_date"), "2026-01-01");
    assert_string_equal(text(line, "programme_before"), "senior");
    assert_string_equal(text(line, "programme"),
                        "senior+dental_standard+family_outpatient+family_emergency");
    assert_non_null(strstr(text(line, "author"), "(hr)"));
    json_decref(j);

    /* Nobody else moved: the snapshot differs from before only in EL-2. */
    now = register_snapshot();
    json_t *a = json_loads(before, 0, NULL), *b = json_loads(now, 0, NULL);
    assert_int_equal(json_object_size(b), 5);
    const char *policy;
    json_t *was;
    json_object_foreach(a, policy, was)
    {
        if (strcmp(policy, "EL-2") != 0)
            assert_true(json_equal(was, json_object_get(b, policy)));
        else
            assert_false(json_equal(was, json_object_get(b, policy)));
    }
    json_decref(a);
    json_decref(b);

    /* Issuing the accepted election changes nothing more in the register. */
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"issued\"}", id);
    j = call(k_hr, "POST", "/v1/status-changes", body, 200);
    json_decref(j);
    char *after = register_snapshot();
    assert_string_equal(after, now);
    free(after);
    free(now);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(election_moves_the_register),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
