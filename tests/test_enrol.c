/*
 * API tests of the employee module picker: a real `dmsrate serve` (from
 * $DMS_BIN) on a temporary database seeded with the sample employer, keys
 * made with `dmsrate keys create`, and the whole flow: offer,
 * recommendation, draft, submission refused outside the window, over the
 * budget, with a missing dependency and with a broken exclusion (each at its
 * pointer), submission, HR acceptance and issue, a life event re-opening,
 * history, the payroll and attach-list exports, the manager's summary with
 * small cells suppressed, finance totals; then every role's allowed and
 * refused calls (401 without a key, 403 outside the role or scope).
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
#include <unistd.h>

#include <math.h>

#include <cmocka.h>
#include <jansson.h>

#include "http_client.h"
#include "store_target.h"
#include "run_command.h"
#include "testutil.h"

static pid_t server_pid;
static unsigned port;
static char dir[64], db[256];
static char k_emp[80], k_emp_young[80], k_emp_ops[80], k_hr[80], k_mgr[80], k_fin[80], k_brk[80];
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

static int start(const char *today)
{
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models", "--tariffs", "tariffs", "--db", db,
                          "--today",  today,    "--threads", "4",       NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    return server_pid > 0 ? 0 : -1;
}

static void stop(int sig)
{
    kill(server_pid, sig);
    waitpid(server_pid, NULL, 0);
    server_pid = 0;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "enrol") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    /* Inside the enrolment window (2025-11-17 .. 2025-12-12). */
    if (start("2025-11-20") != 0)
        return -1;
    return create_key("employee", "--employee", "100014", k_emp) ||
           create_key("employee", "--employee", "100007", k_emp_young) ||
           create_key("employee", "--employee", "100056", k_emp_ops) ||
           create_key("hr", NULL, NULL, k_hr) ||
           create_key("manager", "--department", "Finance", k_mgr) ||
           create_key("finance", NULL, NULL, k_fin) || create_key("broker", NULL, NULL, k_brk);
}

static int teardown(void **state)
{
    (void)state;
    if (server_pid > 0)
        stop(SIGTERM);
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

/* Calls method path with key (NULL: none) and body; returns the status, JSON in *out. */
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

static const char *error_path(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "path"));
}

static bool has_fault(json_t *j, const char *kind, const char *path)
{
    json_t *faults = json_object_get(json_object_get(j, "error"), "faults");
    size_t i;
    json_t *f;
    json_array_foreach(faults, i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "kind")), kind) == 0 &&
            (path == NULL || strcmp(json_string_value(json_object_get(f, "path")), path) == 0))
            return true;
    }
    return false;
}

static void expect(const char *key, const char *method, const char *path, const char *body,
                   int status)
{
    json_t *j = NULL;
    int got = call(key, method, path, body, &j);
    if (got != status) {
        char *text = j != NULL ? json_dumps(j, 0) : NULL;
        print_error("%s %s: %d, expected %d: %s\n", method, path, got, status, text ? text : "");
        free(text);
    }
    assert_int_equal(got, status);
    json_decref(j);
}

/* ---- the flow ---------------------------------------------------------------------- */

static void offer_and_recommendation(void **state)
{
    (void)state;
    json_t *j = NULL;
    assert_int_equal(call(k_emp, "GET", "/v1/me/offer", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "employee_id")), "100014");
    json_t *options = json_object_get(j, "options");
    assert_true(json_array_size(options) >= 10);
    json_t *dental = json_array_get(options, 0);
    assert_string_equal(json_string_value(json_object_get(dental, "code")), "dental_standard");
    json_t *cost = json_object_get(dental, "cost");
    /* employer + employee = price, per month too */
    double price = json_real_value(json_object_get(cost, "price_month"));
    double split = json_real_value(json_object_get(cost, "employer_month")) +
                   json_real_value(json_object_get(cost, "employee_month"));
    assert_true(price > 0 && fabs(price - split) < 0.005);
    /* The employer-paid base package is named, in both languages. */
    json_t *base = json_object_get(j, "base_modules");
    assert_true(json_array_size(base) >= 1);
    assert_true(json_string_length(json_object_get(json_array_get(base, 0), "name_ru")) > 0);
    assert_true(json_string_length(json_object_get(json_array_get(base, 0), "name_en")) > 0);
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/recommendation",
                          "{\"answers\":[{\"code\":\"dental_standard\",\"priority\":5}],"
                          "\"alternatives\":2}",
                          &j),
                     200);
    json_t *best = json_object_get(j, "best");
    assert_non_null(json_object_get(best, "options"));
    json_t *oop = json_object_get(best, "out_of_pocket_year");
    assert_true(json_real_value(json_object_get(oop, "low")) <=
                json_real_value(json_object_get(oop, "high")));
    assert_true(json_array_size(json_object_get(j, "runner_ups")) <= 2);
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/recommendation",
                          "{\"answers\":[{\"code\":\"dental_standard\",\"priority\":9}]}", &j),
                     422);
    assert_string_equal(error_path(j), "/answers/0/priority");
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/recommendation", "{\"risk\":4}", &j), 422);
    assert_string_equal(error_path(j), "/risk");
    json_decref(j);
}

static double num(json_t *obj, const char *a, const char *b)
{
    return json_number_value(json_object_get(json_object_get(obj, a), b));
}

/*
 * Issue 19 over HTTP: employee 100014 with every priority at 1 used to get
 * five options for 19,947.92 roubles a year of salary, the same as at 3.
 * Now "hardly interested" spends only the employer's credits (and kopecks
 * above them), "worth considerably more" (5) tops up; each set shows its own
 * deductions a year and a month, out-of-pocket and total cost to the
 * employee at three levels of use, and why the best wins.
 */
static void recommendation_weighs_own_money(void **state)
{
    (void)state;
    double own[6];
    for (int p = 1; p <= 5; p += 2) {
        char body[96];
        snprintf(body, sizeof body, "{\"default_priority\":%d,\"risk\":0,\"alternatives\":1}", p);
        json_t *j = NULL;
        assert_int_equal(call(k_emp, "POST", "/v1/me/recommendation", body, &j), 200);
        json_t *best = json_object_get(j, "best");
        own[p] = num(best, "own_deductions", "year");
        assert_true(fabs(num(best, "own_deductions", "year") - num(best, "cost", "employee_year")) <
                    0.005);
        assert_true(fabs(num(best, "own_deductions", "month") -
                         num(best, "cost", "employee_month")) < 0.005);
        static const char *const use[] = {"low", "medium", "high"};
        for (int u = 0; u < 3; u++)
            assert_true(fabs(num(best, "total_cost_to_me_year", use[u]) -
                             num(best, "out_of_pocket_year", use[u]) - own[p]) < 0.015);
        assert_true(json_string_length(json_object_get(json_object_get(j, "reason"), "ru")) > 20);
        assert_non_null(strstr(
            json_string_value(json_object_get(json_object_get(j, "reason"), "en")), "runner-up"));
        json_decref(j);
    }
    assert_true(own[1] < 100.0);
    assert_true(own[1] <= own[3] && own[3] <= own[5]);
    assert_true(fabs(own[5] - 19947.61) < 0.005);
}

static void faults_at_submission(void **state)
{
    (void)state;
    json_t *j = NULL;
    /* unknown option: refused already in the draft, at its index */
    assert_int_equal(
        call(k_emp, "PUT", "/v1/me/election", "{\"options\":[\"dental_standard\",\"x\"]}", &j),
        422);
    assert_string_equal(error_path(j), "/options/1");
    json_decref(j);
    /* missing dependency: kept in the draft, refused at submission */
    assert_int_equal(
        call(k_emp, "PUT", "/v1/me/election", "{\"options\":[\"family_emergency\"]}", &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "faults")), 1);
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/election/submit", NULL, &j), 422);
    assert_true(has_fault(j, "missing_requirement", "/options/0"));
    json_decref(j);
    /* broken exclusion */
    assert_int_equal(call(k_emp, "PUT", "/v1/me/election",
                          "{\"options\":[\"dental_standard\",\"dental_business\"]}", NULL),
                     200);
    assert_int_equal(call(k_emp, "POST", "/v1/me/election/submit", NULL, &j), 422);
    assert_true(has_fault(j, "excluded", NULL));
    json_decref(j);
    /* over budget: everything an operations employee may have */
    assert_int_equal(call(k_emp_ops, "PUT", "/v1/me/election",
                          "{\"options\":[\"dental_business\",\"home_visits\",\"hospital_planned\","
                          "\"checkup\",\"telemedicine\",\"mental_health\"]}",
                          NULL),
                     200);
    assert_int_equal(call(k_emp_ops, "POST", "/v1/me/election/submit", NULL, &j), 422);
    assert_true(has_fault(j, "over_budget", "/options"));
    json_decref(j);
}

static void window_closed(void **state)
{
    (void)state;
    /* A second server on the same database whose today is after the window. */
    pid_t first = server_pid;
    unsigned first_port = port;
    assert_int_equal(start("2026-02-01"), 0);
    json_t *j = NULL;
    assert_int_equal(
        call(k_emp_young, "PUT", "/v1/me/election", "{\"options\":[\"mental_health\"]}", NULL),
        200);
    assert_int_equal(call(k_emp_young, "POST", "/v1/me/election/submit", NULL, &j), 422);
    assert_true(has_fault(j, "window_closed", "/date"));
    json_decref(j);
    stop(SIGTERM);
    server_pid = first;
    port = first_port;
}

static void flow_to_issue_and_life_event(void **state)
{
    (void)state;
    json_t *j = NULL;
    assert_int_equal(call(k_emp, "PUT", "/v1/me/election",
                          "{\"options\":[\"dental_standard\",\"family_outpatient\","
                          "\"family_emergency\"]}",
                          &j),
                     200);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    assert_int_equal(call(k_emp, "POST", "/v1/me/election/submit", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "status_ru")), "подана");
    json_decref(j);
    /* submitted twice: 409 */
    expect(k_emp, "POST", "/v1/me/election/submit", NULL, 409);
    char body[128];
    /* reject without reason: 422 at /reason; unknown id: at /ids/1 */
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"rejected\"}", id);
    assert_int_equal(call(k_hr, "POST", "/v1/status-changes", body, &j), 422);
    assert_string_equal(error_path(j), "/reason");
    json_decref(j);
    snprintf(body, sizeof body, "{\"ids\":[%ld, 99999],\"to\":\"accepted\"}", id);
    assert_int_equal(call(k_hr, "POST", "/v1/status-changes", body, &j), 404);
    assert_string_equal(error_path(j), "/ids/1");
    json_decref(j);
    /* all or nothing: still submitted */
    assert_int_equal(call(k_emp, "GET", "/v1/me/election", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "submitted");
    json_decref(j);
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"issued\"}", id);
    expect(k_hr, "POST", "/v1/status-changes", body, 409); /* submitted -> issued is not a move */
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"accepted\"}", id);
    expect(k_hr, "POST", "/v1/status-changes", body, 200);
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"оформлена\"}", id);
    expect(k_hr, "POST", "/v1/status-changes", body, 200);
    /* a life event the service's today (2025-11-20) has not reached: 422 at /date */
    expect(k_emp, "POST", "/v1/me/life-events", "{\"event\":\"party\",\"date\":\"2026-03-01\"}",
           422);
    assert_int_equal(call(k_emp, "POST", "/v1/me/life-events",
                          "{\"event\":\"birth\",\"date\":\"2026-03-01\"}", &j),
                     422);
    assert_string_equal(error_path(j), "/date");
    json_decref(j);
    /* a server whose today is in the period, 9 days after the birth */
    pid_t first = server_pid;
    unsigned first_port = port;
    assert_int_equal(start("2026-03-10"), 0);
    /* outside the period, or more than 30 days ago: 422 at /date */
    assert_int_equal(call(k_emp, "POST", "/v1/me/life-events",
                          "{\"event\":\"birth\",\"date\":\"2025-12-30\"}", &j),
                     422);
    assert_string_equal(error_path(j), "/date");
    json_decref(j);
    expect(k_emp, "POST", "/v1/me/life-events", "{\"event\":\"birth\",\"date\":\"2026-02-01\"}",
           422);
    /* a life event re-opens the issued election, version 2 */
    assert_int_equal(call(k_emp, "POST", "/v1/me/life-events",
                          "{\"event\":\"birth\",\"date\":\"2026-03-01\"}", &j),
                     200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "draft");
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    json_decref(j);
    /* ... once: the re-opened draft is not issued any more */
    expect(k_emp, "POST", "/v1/me/life-events", "{\"event\":\"birth\",\"date\":\"2026-03-02\"}",
           409);
    /* history: created(draft) ... submitted, accepted, issued, draft(birth) */
    assert_int_equal(call(k_emp, "GET", "/v1/me/election/history", NULL, &j), 200);
    json_t *h = json_object_get(j, "history");
    size_t n = json_array_size(h);
    assert_true(n >= 5);
    json_t *last = json_array_get(h, n - 1);
    assert_string_equal(json_string_value(json_object_get(last, "from")), "issued");
    assert_string_equal(json_string_value(json_object_get(last, "life_event")), "birth");
    assert_string_equal(json_string_value(json_object_get(last, "role")), "employee");
    json_t *accepted = json_array_get(h, n - 3);
    assert_string_equal(json_string_value(json_object_get(accepted, "to")), "accepted");
    assert_string_equal(json_string_value(json_object_get(accepted, "role")), "hr");
    json_decref(j);
    /* inside the 30 days from the event: the choice can be submitted again */
    expect(k_emp, "POST", "/v1/me/election/submit", NULL, 200);
    /* a life event on a submitted election is refused (issue 18, point 6) */
    assert_int_equal(call(k_emp, "POST", "/v1/me/life-events",
                          "{\"event\":\"marriage\",\"date\":\"2026-03-05\"}", &j),
                     409);
    assert_string_equal(error_path(j), "/status");
    json_decref(j);
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"accepted\"}", id);
    expect(k_hr, "POST", "/v1/status-changes", body, 200);
    stop(SIGTERM);
    server_pid = first;
    port = first_port;
}

static void exports_and_aggregates(void **state)
{
    (void)state;
    struct http_response r;
    http_key = k_fin;
    http_call(port, "GET", "/v1/exports/payroll.csv", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    /* Russian by default (the web pages download it): BOM, ';', Russian headers */
    const char *head_ru = "\xEF\xBB\xBFТабельный номер;Месяц;Сумма (₽)\n";
    assert_true(strncmp(r.body, head_ru, strlen(head_ru)) == 0);
    http_response_free(&r);
    http_lang = "en-US,en;q=0.9";
    http_call(port, "GET", "/v1/exports/payroll.csv", NULL, NULL, &r, T);
    http_lang = NULL;
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "employee_id,month,amount\n", 25) == 0);
    http_response_free(&r);
    http_key = k_hr;
    http_call(port, "GET", "/v1/exports/attach-list.csv", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Табельный номер;Связь;Дата рождения"));
    assert_non_null(strstr(r.body, "100014;ребёнок;"));
    http_response_free(&r);
    http_key = NULL;
    json_t *j = NULL;
    assert_int_equal(call(k_mgr, "GET", "/v1/departments/Finance/summary", NULL, &j), 200);
    /* one accepted election in Finance: a small cell, suppressed */
    assert_true(json_is_null(json_object_get(json_object_get(j, "by_status"), "accepted")));
    /* complementary: never one hidden count beside a visible total */
    size_t hidden = 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(j, "by_status"), key, v) hidden += json_is_null(v);
    assert_true(hidden >= 2);
    assert_true(json_integer_value(json_object_get(j, "employees")) >= 5);
    json_decref(j);
    assert_int_equal(call(k_fin, "GET", "/v1/totals", NULL, &j), 200);
    json_t *b = json_object_get(j, "binding");
    assert_int_equal(json_integer_value(json_object_get(b, "elections")), 1);
    assert_true(fabs(json_real_value(json_object_get(b, "price_year")) -
                     json_real_value(json_object_get(b, "employer_year")) -
                     json_real_value(json_object_get(b, "employee_year"))) < 0.005);
    json_decref(j);
}

/* ---- roles --------------------------------------------------------------------------- */

static void roles_allowed_and_refused(void **state)
{
    (void)state;
    expect(NULL, "GET", "/healthz", NULL, 200);
    expect(NULL, "GET", "/v1/me/offer", NULL, 401);
    expect("dms_0000000000000000000000000000000000000000000000000000000000000000", "GET",
           "/v1/models", NULL, 401);
    /* employee */
    expect(k_emp, "GET", "/v1/models", NULL, 200);
    expect(k_emp, "GET", "/v1/elections", NULL, 403);
    expect(k_emp, "GET", "/v1/exports/payroll.csv", NULL, 403);
    expect(k_emp, "GET", "/v1/departments/Finance/summary", NULL, 403);
    expect(k_emp, "POST", "/v1/status-changes", "{\"ids\":[1],\"to\":\"accepted\"}", 403);
    /* hr */
    expect(k_hr, "GET", "/v1/elections?status=accepted", NULL, 200);
    expect(k_hr, "GET", "/v1/elections?status=nonsense", NULL, 422);
    expect(k_hr, "GET", "/v1/me/offer", NULL, 403);
    expect(k_hr, "GET", "/v1/departments/Warehouse/summary", NULL, 200);
    /* manager: own department only, no per-person data */
    expect(k_mgr, "GET", "/v1/departments/Finance/summary", NULL, 200);
    expect(k_mgr, "GET", "/v1/departments/Warehouse/summary", NULL, 403);
    expect(k_mgr, "GET", "/v1/elections", NULL, 403);
    expect(k_mgr, "GET", "/v1/elections/1", NULL, 403);
    expect(k_mgr, "GET", "/v1/exports/payroll.csv", NULL, 403);
    /* finance */
    expect(k_fin, "GET", "/v1/totals", NULL, 200);
    expect(k_fin, "GET", "/v1/exports/payroll.csv", NULL, 200);
    expect(k_fin, "GET", "/v1/exports/attach-list.csv", NULL, 403);
    expect(k_fin, "GET", "/v1/elections", NULL, 403);
    /* broker bound to no employer: quotes and the catalog; employer routes find none */
    expect(k_brk, "GET", "/v1/tariffs", NULL, 200);
    expect(k_brk, "POST", "/v1/aggregate",
           "{\"frequency\":{\"family\":\"poisson\",\"mean\":1},"
           "\"severity\":{\"family\":\"gamma\",\"shape\":2,\"scale\":1000}}",
           200);
    expect(k_brk, "GET", "/v1/totals", NULL, 404);
    expect(k_brk, "POST", "/v1/admin/reload", NULL, 403);
    expect(k_brk, "GET", "/v1/elections", NULL, 404);
    expect(k_brk, "GET", "/v1/employers/1/elections", NULL, 404);
    expect(k_hr, "POST", "/v1/admin/reload", NULL, 403);
    expect(k_emp, "POST", "/v1/quotes", "{}", 403);
}

/* POST /v1/reports/{name}: HR sees the whole register, a manager only their
 * own department (the body cannot widen it), faults point into the CSV. */
static void claims_reports(void **state)
{
    (void)state;
    const char *reg = "claim_id;employee_id;service_date;category;amount_billed;amount_paid;"
                      "diagnosis\\n"
                      "A;E1;2025-03-10;outpatient;1000;1000;Z00.0\\n"
                      "B;E2;2025-03-11;outpatient;2000;2000;J06.9\\n";
    const char *mem = "employee_id;relation;birth_date;sex;department;attach_date;detach_date\\n"
                      "E1;employee;1980-01-01;M;Finance;2025-01-01;\\n"
                      "E2;employee;1985-01-01;F;Sales;2025-01-01;\\n";
    char body[2048];
    snprintf(body, sizeof body,
             "{\"register_csv\":\"%s\",\"membership_csv\":\"%s\","
             "\"period\":{\"from\":\"2025-01-01\",\"to\":\"2025-12-31\"},\"min_cell\":5}",
             reg, mem);
    json_t *j = NULL;
    assert_int_equal(call(k_hr, "POST", "/v1/reports/utilisation", body, &j), 200);
    assert_true(json_array_size(json_object_get(j, "rows")) >= 1);
    /* the diagnosis column is dropped and the reply says so */
    assert_true(json_array_size(json_object_get(j, "warnings")) >= 1);
    char *text = json_dumps(j, 0);
    assert_null(strstr(text, "Z00.0"));
    free(text);
    json_decref(j);
    expect(k_fin, "POST", "/v1/reports/expense", body, 200);
    /* nobody lowers the threshold below the floor: 422 at /min_cell */
    char low[2300];
    snprintf(low, sizeof low, "%.*s1}", (int)strlen(body) - 2, body);
    assert_int_equal(call(k_mgr, "POST", "/v1/reports/utilisation", low, &j), 422);
    assert_string_equal(error_path(j), "/min_cell");
    json_decref(j);
    expect(k_hr, "POST", "/v1/reports/utilisation", low, 422);
    expect(k_mgr, "POST", "/v1/reports/utilisation", body, 200);
    expect(k_emp, "POST", "/v1/reports/utilisation", body, 403);
    expect(k_brk, "POST", "/v1/reports/utilisation", body, 404);
    expect(k_hr, "POST", "/v1/reports/nonsense", body, 404);
    /* a manager cannot ask for another department */
    char other[2300];
    snprintf(other, sizeof other, "%.*s,\"department\":\"Sales\"}", (int)strlen(body) - 1, body);
    expect(k_mgr, "POST", "/v1/reports/utilisation", other, 403);
    expect(k_hr, "POST", "/v1/reports/utilisation", other, 200);
    /* a bad register row: the text's pointer and the line inside it */
    snprintf(body, sizeof body,
             "{\"register_csv\":\"claim_id;employee_id;service_date;category;amount_billed;"
             "amount_paid\\nA;E1;2025-02-30;outpatient;1000;1000\\n\",\"membership_csv\":\"%s\","
             "\"period\":{\"from\":\"2025-01-01\",\"to\":\"2025-12-31\"}}",
             mem);
    assert_int_equal(call(k_hr, "POST", "/v1/reports/utilisation", body, &j), 422);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "path")), "/register_csv");
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 2);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offer_and_recommendation),
        cmocka_unit_test(recommendation_weighs_own_money),
        cmocka_unit_test(faults_at_submission),
        cmocka_unit_test(window_closed),
        cmocka_unit_test(flow_to_issue_and_life_event),
        cmocka_unit_test(exports_and_aggregates),
        cmocka_unit_test(roles_allowed_and_refused),
        cmocka_unit_test(claims_reports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
