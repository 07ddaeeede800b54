/*
 * API tests of the CSV downloads with hostile data: the sample employer's
 * census with one employee id that carries a formula, a quote, a comma and a
 * line break shaped as a forged payroll row, and a department that is a
 * formula. The employee elects, HR accepts, and payroll.csv and
 * attach-list.csv are read back with the project's CSV reader in both
 * dialects (Accept-Language): the id is one neutralised cell, no row is
 * forged, amounts are numbers equal to the election's monthly deduction.
 */
#include <math.h>
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

#include "../src/core/io/csv_internal.h"
#include "http_client.h"
#include "run_command.h"
#include "testutil.h"

/* The forged row an unquoted id would add to payroll.csv. */
#define HOSTILE_ID "=1+2\",\n100099,2026-01,0.01"
#define HOSTILE_DEPARTMENT "@SUM(A1),Finance"

static pid_t server_pid;
static unsigned port;
static char dir[64], db[128];
static char k_emp[80], k_hr[80], k_fin[80];
static long employee_month; /* kopecks */
static const int T = 20000;

static int create_key(const char *role, const char *flag, const char *scope, char *key)
{
    char *argv[] = {"dmsrate", "keys", "create",     "--role",      (char *)role,
                    "--db",    db,     (char *)flag, (char *)scope, NULL};
    struct command_result c = run_dmsrate(argv);
    int ok = c.status == 0 && strlen(c.out) == 69 ? 0 : -1;
    snprintf(key, 80, "%.68s", c.out);
    free(c.out);
    free(c.err);
    return ok;
}

/* The sample census with employee 100014 (and family) renamed to HOSTILE_ID. */
static int write_census(const char *path)
{
    FILE *in = fopen("examples/census/midsize-450.csv", "r"), *out = fopen(path, "w");
    if (in == NULL || out == NULL)
        return -1;
    char line[1024];
    while (fgets(line, sizeof line, in) != NULL) {
        if (strncmp(line, "100014,", 7) != 0) {
            fputs(line, out);
            continue;
        }
        char *rest = line + 7;
        char *finance = strstr(rest, ",Finance,");
        fputs("\"=1+2\"\",\n100099,2026-01,0.01\",", out);
        if (finance != NULL) {
            fwrite(rest, 1, (size_t)(finance - rest), out);
            fprintf(out, ",\"%s\",%s", HOSTILE_DEPARTMENT, finance + 9);
        } else {
            fputs(rest, out);
        }
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "exports") != 0)
        return -1;
    char census[128], log[128];
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    snprintf(census, sizeof census, "%s/census.csv", dir);
    snprintf(log, sizeof log, "%s/server.log", dir);
    if (write_census(census) != 0)
        return -1;
    char *import[] = {
        "dmsrate",  "enrol", "import", "--policy", "examples/policies/midsize-2026.json",
        "--census", census,  "--db",   db,         NULL};
    struct command_result c = run_dmsrate(import);
    free(c.out);
    free(c.err);
    if (c.status != 0)
        return -1;
    if (create_key("employee", "--employee", HOSTILE_ID, k_emp) ||
        create_key("hr", NULL, NULL, k_hr) || create_key("finance", NULL, NULL, k_fin))
        return -1;
    /* Inside the enrolment window (2025-11-17 .. 2025-12-12). */
    const char *args[] = {"--models", "models",  "--tariffs",  "tariffs", "--db",
                          db,         "--today", "2025-11-20", NULL};
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
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

static int call(const char *key, const char *method, const char *path, const char *body,
                json_t **out)
{
    struct http_response r;
    http_key = key;
    http_call(port, method, path, body != NULL ? "application/json" : NULL, body, &r, T);
    http_key = NULL;
    int status = r.status;
    if (out != NULL) {
        json_error_t jerr;
        *out = r.body != NULL ? json_loads(r.body, 0, &jerr) : NULL;
    }
    http_response_free(&r);
    return status;
}

/* GET path as key with Accept-Language lang (NULL: none); the body, malloc'd. */
static char *download(const char *key, const char *path, const char *lang, size_t *len)
{
    struct http_response r;
    http_key = key;
    http_lang = lang;
    http_call(port, "GET", path, NULL, NULL, &r, T);
    http_key = NULL;
    http_lang = NULL;
    assert_int_equal(r.status, 200);
    char *body = r.body;
    *len = r.body_len;
    r.body = NULL;
    http_response_free(&r);
    return body;
}

/* Field i of the reader's current record as a new string (untrimmed). */
static char *field(const csv_reader *r, size_t i)
{
    const csv_field *f = &r->fields[i];
    return strndup(f->quoted ? r->scratch + f->off : r->s + f->off, f->len);
}

static void elect_and_accept(void **state)
{
    (void)state;
    json_t *j = NULL;
    assert_int_equal(call(k_emp, "PUT", "/v1/me/election",
                          "{\"options\":[\"dental_business\",\"family_outpatient\","
                          "\"family_emergency\",\"checkup\"]}",
                          &j),
                     200);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/election/submit", NULL, NULL), 200);
    char body[128];
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"accepted\"}", id);
    assert_int_equal(call(k_hr, "POST", "/v1/status-changes", body, NULL), 200);
    assert_int_equal(call(k_emp, "GET", "/v1/me/election", NULL, &j), 200);
    json_t *cost = json_object_get(j, "cost");
    employee_month =
        json_is_object(cost)
            ? (long)llround(json_number_value(json_object_get(cost, "employee_month")) * 100.0)
            : -1;
    json_decref(j);
}

static void check_payroll(const char *lang, bool russian)
{
    size_t len;
    char *csv = download(k_fin, "/v1/exports/payroll.csv", lang, &len);
    csv_reader r;
    dms_csv_init(&r, csv, len, "payroll.csv", NULL);
    assert_int_equal(r.delim, russian ? ';' : ',');
    assert_int_equal(len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0, russian);
    assert_true(dms_csv_record(&r));
    char *head = field(&r, 0);
    assert_string_equal(head, russian ? "Табельный номер" : "employee_id");
    free(head);
    size_t rows = 0, hostile = 0;
    while (dms_csv_record(&r)) {
        assert_false(r.bad);
        /* every record has its three cells: nothing forged */
        assert_int_equal(r.nfields, 3);
        char *id = field(&r, 0), *amount = field(&r, 2);
        assert_string_not_equal(id, "100099");
        assert_null(strchr("=+-@", id[0]));
        if (strcmp(id, "'=1+2\",\n100099,2026-01,0.01") == 0) {
            hostile++;
            char *comma = strchr(amount, ',');
            assert_true(russian ? comma != NULL || strchr(amount, '.') == NULL : comma == NULL);
            if (comma != NULL)
                *comma = '.';
            if (employee_month > 0)
                assert_int_equal(llround(strtod(amount, NULL) * 100.0), employee_month);
        }
        free(id);
        free(amount);
        rows++;
    }
    dms_csv_release(&r);
    /* one row per month of the 2026 period for the one accepted election */
    assert_int_equal(hostile, 12);
    assert_int_equal(rows, 12);
    free(csv);
}

static void payroll_hostile_id(void **state)
{
    (void)state;
    assert_true(employee_month > 0);
    check_payroll(NULL, true);
    check_payroll("ru-RU,ru;q=0.9", true);
    check_payroll("en-US,en;q=0.9", false);
}

static void attach_list_hostile(void **state)
{
    (void)state;
    for (int lang = 0; lang < 2; lang++) {
        size_t len;
        char *csv = download(k_hr, "/v1/exports/attach-list.csv", lang ? "en" : NULL, &len);
        csv_reader r;
        dms_csv_init(&r, csv, len, "attach-list.csv", NULL);
        assert_int_equal(r.delim, lang ? ',' : ';');
        assert_true(dms_csv_record(&r));
        size_t ncols = r.nfields, rows = 0;
        assert_int_equal(ncols, 11);
        while (dms_csv_record(&r)) {
            assert_false(r.bad);
            assert_int_equal(r.nfields, ncols);
            char *id = field(&r, 0), *dep = field(&r, 5);
            assert_string_equal(id, "'" HOSTILE_ID);
            assert_string_equal(dep, "'" HOSTILE_DEPARTMENT);
            free(id);
            free(dep);
            rows++;
        }
        dms_csv_release(&r);
        assert_true(rows >= 3); /* three options, the family members covered */
        free(csv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elect_and_accept),
        cmocka_unit_test(payroll_hostile_id),
        cmocka_unit_test(attach_list_hostile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
