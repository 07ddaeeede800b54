/*
 * HR's digest of the register's changes, through the store (SQLite, and
 * PostgreSQL when run-tests.sh says so). Two employers share the database.
 * A bulk upload of N people to the first gives exactly one notice to its HR,
 * with "включён — N чел." in Russian and English, and N notices to the
 * employees, one each; the second employer's upload of 4 gives its own HR
 * one digest naming neither the other employer nor its count. A second scan
 * queues nothing, and neither does a scan after the cursor is rewound to
 * before every change (the worst a restart could do): the keys are stable.
 * An upload mixing detach, suspend and programme changes on two days is one
 * digest with each count and both days; a lone change is one two-line notice
 * naming the policy as the per-person notice did; two lone changes found by
 * one scan are one digest of two uploads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/notify_store.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/sql.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
#include "run_command.h"
#include "store_target.h"
#include "testutil.h"

static char dir[64], db[256];
static dms_store *store;
static long emp_a, emp_b;
static int bulk = 300; /* people in the bulk upload; the census has 333 employees */
static char employees[400][16];
static size_t nemployees;

#define HEADER "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;Программа\n"

/* Applies the register template text to employer as one upload. */
static void submit(long employer, const char *text)
{
    dms_error err;
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    long today = 0;
    dms_store_tenant_set(store, employer);
    assert_int_equal(
        dms_insured_template_read(text, strlen(text), DMS_INSURED_CSV, "t.csv", &batch, &err),
        DMS_OK);
    assert_true(dms_date_parse("2026-01-01", &today));
    dms_register_submit opts = {
        .author = "test", .source = "t.csv", .today = today, .retro_days = 3660};
    assert_int_equal(dms_register_store_submit(store, batch, &opts, &outcome, NULL, NULL, &err),
                     DMS_OK);
    if (!outcome->ok) {
        json_t *j = dms_insured_outcome_json(outcome);
        char *issues = json_dumps(j, 0);
        fprintf(stderr, "refused: %s\n", issues);
        free(issues);
        json_decref(j);
    }
    assert_true(outcome->ok);
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
}

static size_t scan(void)
{
    dms_error err;
    long today = 0;
    size_t created = 99999;
    assert_true(dms_date_parse("2026-01-02", &today));
    assert_int_equal(dms_notify_store_scan(store, today, &created, &err), DMS_OK);
    return created;
}

/* The inbox of role (employee id or NULL) at employer, newest first. */
static dms_notification *inbox(long employer, const char *role, const char *employee, size_t *n)
{
    dms_error err;
    dms_notification *v = NULL;
    dms_store_tenant_set(store, employer);
    assert_int_equal(dms_notify_store_inbox(store, role, employee, 10000, &v, n, &err), DMS_OK);
    return v;
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        bulk = 60;
    if (test_temp_dir(dir, sizeof dir, "notify_store") != 0 ||
        store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    dms_error err;
    if (dms_store_open(db, &store, &err) != DMS_OK)
        return -1;
    json_t *policy = NULL;
    FILE *f = fopen("examples/census/midsize-450.csv", "rb");
    char *census = f != NULL ? slurp_fd(f) : NULL;
    if (f != NULL)
        fclose(f);
    if (census == NULL ||
        dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err) != DMS_OK)
        return -1;
    const char *names[2] = {"ООО «Альфа»", "ООО «Бета»"};
    long *ids[2] = {&emp_a, &emp_b};
    for (int e = 0; e < 2; e++) {
        if (dms_tenant_employer_create(store, names[e], NULL, "test", ids[e], &err) != DMS_OK)
            return -1;
        dms_store_tenant_set(store, *ids[e]);
        if (dms_enrol_import(store, policy, census, strlen(census), "test", NULL, &err) != DMS_OK)
            return -1;
    }
    /* The employees' ids, from the census lines "id,employee,...". */
    for (char *line = strchr(census, '\n'); line != NULL && nemployees < 400;
         line = strchr(line + 1, '\n')) {
        char id[16];
        int end = 0; /* set only when the literal ",employee," matched too */
        if (sscanf(line + 1, "%15[0-9],employee,%n", id, &end) == 1 && end > 0)
            snprintf(employees[nemployees++], sizeof employees[0], "%s", id);
    }
    json_decref(policy);
    free(census);
    return nemployees >= 320 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dms_store_close(store);
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

/* A template attaching people first .. first + n - 1 of the census as policy prefix-K. */
static char *attach(const char *prefix, int first, int n)
{
    size_t size = 64 + (size_t)n * 128;
    char *t = malloc(size);
    size_t used = (size_t)snprintf(t, size, "%s", HEADER);
    for (int i = first; i < first + n; i++)
        used += (size_t)snprintf(t + used, size - used,
                                 "прикрепить;01.01.2026;%s-%d;%s;Человек %d;young\n", prefix, i,
                                 employees[i], i);
    return t;
}

static void bulk_upload_is_one_digest_per_employer(void **state)
{
    (void)state;
    char *a = attach("A", 0, bulk), *b = attach("B", 0, 4);
    submit(emp_a, a);
    submit(emp_b, b);
    free(a);
    free(b);
    /* N + 4 employee notices, one digest for each employer's HR. */
    assert_int_equal(scan(), (size_t)bulk + 4 + 2);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].kind, "insured_digest");
    char want[160];
    snprintf(want, sizeof want, "ДМС: изменения в списке застрахованных — %d чел.", bulk);
    assert_string_equal(v[0].subject, want);
    snprintf(want, sizeof want, "\n  включён — %d чел.\n", bulk);
    assert_non_null(strstr(v[0].body, want));
    snprintf(want, sizeof want, "\n  included — %d\n", bulk);
    assert_non_null(strstr(v[0].body, want));
    assert_non_null(strstr(v[0].body, "ООО «Альфа»: изменения в списке застрахованных "
                                      "(загрузка 1), вступают в силу с 01.01.2026"));
    assert_null(strstr(v[0].body, "Бета"));
    assert_null(strstr(v[0].body, "исключён"));
    assert_null(strstr(v[0].body, "Человек")); /* no one by name */
    free(v);
    v = inbox(emp_b, "hr", NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 4 чел.");
    assert_non_null(strstr(v[0].body, "ООО «Бета»: изменения в списке застрахованных "
                                      "(загрузка 2)"));
    assert_non_null(strstr(v[0].body, "\n  включён — 4 чел.\n"));
    assert_null(strstr(v[0].body, "Альфа"));
    free(v);
    /* Each employee their own notice, in their own employer only. */
    for (int i = 0; i < bulk; i += bulk / 6) {
        v = inbox(emp_a, "employee", employees[i], &n);
        assert_int_equal(n, 1);
        snprintf(want, sizeof want, "ДМС: статус застрахованного A-%d — включён", i);
        assert_string_equal(v[0].subject, want);
        free(v);
    }
    v = inbox(emp_b, "employee", employees[10], &n);
    assert_int_equal(n, 0);
    free(v);
    /* Again, and after the cursor went back to the start: nothing new. */
    assert_int_equal(scan(), 0);
    assert_int_equal(dms_sql_exec(store, "UPDATE notify_cursor SET last_id = 0 WHERE name = "
                                         "'insured'"),
                     DMS_SQL_OK);
    assert_int_equal(scan(), 0);
    v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 1);
    free(v);
}

static void mixed_upload_counts_each_action(void **state)
{
    (void)state;
    /* 10 detached on 1 February, 5 suspended on 1 March, 7 moved to another programme. */
    char t[8192];
    size_t used = (size_t)snprintf(t, sizeof t, "%s", HEADER);
    for (int i = 0; i < 22; i++) {
        const char *what = i < 10   ? "открепить;01.02.2026"
                           : i < 15 ? "приостановить;01.03.2026"
                                    : "изменить программу;01.02.2026";
        used += (size_t)snprintf(t + used, sizeof t - used, "%s;A-%d;;;%s\n", what, i,
                                 i >= 15 ? "senior" : "");
    }
    submit(emp_a, t);
    assert_int_equal(scan(), 22 + 1);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 22 чел.");
    assert_non_null(strstr(v[0].body, "(загрузка 3), вступают в силу с 01.02.2026 по 01.03.2026, "
                                      "людей: 22.\n"
                                      "  исключён — 10 чел.\n"
                                      "  приостановлен — 5 чел.\n"
                                      "  программа изменена — 7 чел.\n"));
    assert_non_null(strstr(v[0].body, "(upload 3), effective between 01.02.2026 and 01.03.2026, "
                                      "22 people.\n"
                                      "  excluded — 10\n"
                                      "  suspended — 5\n"
                                      "  programme changed — 7\n"));
    assert_null(strstr(v[0].body, "включён"));
    free(v);
    v = inbox(emp_b, "hr", NULL, &n);
    assert_int_equal(n, 1); /* the other employer heard nothing */
    free(v);
}

static void lone_changes(void **state)
{
    (void)state;
    /* One change: one notice, one line in each language, naming the policy. */
    submit(emp_a, HEADER "открепить;01.04.2026;A-40;;;\n");
    assert_int_equal(scan(), 1 + 1);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].subject, "ДМС: статус застрахованного A-40 — исключён");
    assert_string_equal(v[0].body, "ООО «Альфа»: застрахованный по полису A-40 — исключён с "
                                   "01.04.2026.\n"
                                   "ООО «Альфа»: insured person A-40 is now excluded from "
                                   "01.04.2026.\n");
    assert_int_equal(lines(v[0].body), 2);
    free(v);
    /* Two changes typed in one by one before the scan: one digest of both uploads. */
    submit(emp_a, HEADER "открепить;01.04.2026;A-41;;;\n");
    submit(emp_a, HEADER "приостановить;02.04.2026;A-42;;;\n");
    assert_int_equal(scan(), 2 + 1);
    v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 2 чел.");
    assert_non_null(strstr(v[0].body, "(загрузок: 2), вступают в силу с 01.04.2026 по "
                                      "02.04.2026, людей: 2.\n"
                                      "  исключён — 1 чел.\n"
                                      "  приостановлен — 1 чел.\n"));
    assert_non_null(strstr(v[0].body, "(2 uploads)"));
    free(v);
    assert_int_equal(scan(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bulk_upload_is_one_digest_per_employer),
        cmocka_unit_test(mixed_upload_counts_each_action),
        cmocka_unit_test(lone_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
