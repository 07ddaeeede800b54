/*
 * Model-based test of the election state machine over HTTP (issue 18,
 * point 6). A real `dmsrate serve` on a fresh database is driven by random
 * seeded sequences of actions for three employees: save a draft (valid
 * options or two that exclude each other), submit, HR status changes of one
 * election or of two at once (all or nothing), with and without a reason,
 * and life events by the employee or by HR, dated in and out of their
 * window. A small reference model of the statuses, written here from the
 * documentation (README, docs/openapi.yaml, picker.h), predicts the HTTP
 * status of every action and the status, version and history length of
 * every election after it; each is compared. Each seed runs first with
 * today inside the enrolment window (2025-11-20), then on the same database
 * with today inside the insurance period (2026-03-10), where only a life
 * event re-opens the choice. A failure prints the seed and the step.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "http_client.h"
#include "run_command.h"
#include "testutil.h"

#define NEMP 3
static const char *const employees[NEMP] = {"100014", "100007", "100021"};
static const int T = 20000;

static pid_t server_pid;
static unsigned port;
static char dir[64], db[128];
static char k_emp[NEMP][80], k_hr[80];

/* ---- the reference model ---------------------------------------------------------- */

enum { DRAFT, SUBMITTED, ACCEPTED, ISSUED, REJECTED, NSTATUS };
static const char *const status_name[NSTATUS] = {"draft", "submitted", "accepted", "issued",
                                                 "rejected"};

/* Days since 1970-01-01 of an ISO date (proleptic Gregorian). */
static long days(const char *iso)
{
    int y = atoi(iso), m = atoi(iso + 5), d = atoi(iso + 8);
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The sample employer (examples/policies/midsize-2026.json). */
#define PERIOD_FROM "2026-01-01"
#define PERIOD_TO "2026-12-31"
#define OPENS "2025-11-17"
#define CLOSES "2025-12-12"
#define LIFE_EVENT_DAYS 30

typedef struct election_model {
    bool exists;
    long id;
    int status, version, history;
    bool valid;     /* the stored options pass validation */
    char event[11]; /* date of the life event that re-opened it, "" if none */
} election_model;

static election_model model[NEMP];
static const char *today;

/* Moves the status machine allows without a life event (picker.h). */
static bool allowed(int from, int to)
{
    switch (from) {
    case DRAFT:
        return to == SUBMITTED;
    case SUBMITTED:
        return to == DRAFT || to == ACCEPTED || to == REJECTED;
    case ACCEPTED:
        return to == ISSUED || to == REJECTED;
    case REJECTED:
        return to == DRAFT;
    default:
        return false;
    }
}

/* HTTP status of a change from -> to by HR (dms_election_transition's order). */
static int change_status(int from, int to, bool reason)
{
    if (from == ISSUED && to == DRAFT)
        return 422; /* re-opening needs a life event */
    if (!allowed(from, to))
        return 409;
    if (to == REJECTED && !reason)
        return 422;
    return 200;
}

/* The choice is open: the enrolment window, or 30 days from a life event in the period. */
static bool window_open(const election_model *m)
{
    long now = days(today);
    if (now >= days(OPENS) && now <= days(CLOSES))
        return true;
    if (m->event[0] == '\0')
        return false;
    long ev = days(m->event);
    return ev >= days(PERIOD_FROM) && ev <= days(PERIOD_TO) && now >= ev &&
           now <= ev + LIFE_EVENT_DAYS;
}

/* A life event dated `date` on an issued election is in its window. */
static bool event_date_ok(const char *date)
{
    long ev = days(date), now = days(today);
    return ev >= days(PERIOD_FROM) && ev <= days(PERIOD_TO) && ev <= now &&
           now - ev <= LIFE_EVENT_DAYS;
}

/* ---- the server --------------------------------------------------------------------- */

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

static void start(const char *day)
{
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models", "--tariffs", "tariffs", "--db", db,
                          "--today",  day,      "--threads", "2",       NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    assert_true(server_pid > 0);
    today = day;
}

static void stop(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    server_pid = 0;
}

static int call(const char *key, const char *method, const char *path, const char *body,
                json_t **out)
{
    struct http_response r;
    http_key = key;
    http_call(port, method, path, body != NULL ? "application/json" : NULL, body, &r, T);
    http_key = NULL;
    int status = r.status;
    json_error_t jerr;
    *out = r.body != NULL ? json_loads(r.body, 0, &jerr) : NULL;
    http_response_free(&r);
    return status;
}

/* ---- checking ------------------------------------------------------------------------ */

static unsigned long long seed_now;
/* How often each HTTP status came back, and how many life events re-opened
 * an election: printed, so that a run shows it reached every corner. */
static int outcomes[600], reopened;
static int step_now;
static char action_now[160];

static void mismatch(const char *what, const char *fmt, ...)
{
    va_list ap;
    char text[256];
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    print_error("seed %llu, step %d (%s, today %s): %s: %s\n", seed_now, step_now, action_now,
                today, what, text);
    fail();
}

static void expect_code(int got, int want, json_t *body)
{
    if (got >= 0 && got < 600)
        outcomes[got]++;
    if (got == want)
        return;
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    mismatch("HTTP status", "%d, the model says %d: %s", got, want, text ? text : "");
    free(text);
}

/* Every election as the service has it against the model. */
static void compare_all(void)
{
    for (int e = 0; e < NEMP; e++) {
        const election_model *m = &model[e];
        json_t *j = NULL;
        int got = call(k_emp[e], "GET", "/v1/me/election", NULL, &j);
        if (!m->exists) {
            if (got != 404)
                mismatch(employees[e], "election exists (%d), the model has none", got);
            json_decref(j);
            continue;
        }
        if (got != 200)
            mismatch(employees[e], "GET /v1/me/election: %d", got);
        const char *status = json_string_value(json_object_get(j, "status"));
        int version = (int)json_integer_value(json_object_get(j, "version"));
        if (status == NULL || strcmp(status, status_name[m->status]) != 0)
            mismatch(employees[e], "status %s, the model says %s", status ? status : "?",
                     status_name[m->status]);
        if (version != m->version)
            mismatch(employees[e], "version %d, the model says %d", version, m->version);
        json_decref(j);
        assert_int_equal(call(k_emp[e], "GET", "/v1/me/election/history", NULL, &j), 200);
        json_t *h = json_object_get(j, "history");
        if ((int)json_array_size(h) != m->history)
            mismatch(employees[e], "%zu history lines, the model says %d", json_array_size(h),
                     m->history);
        json_decref(j);
    }
}

/* ---- actions ------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void put_draft(int e, bool valid)
{
    election_model *m = &model[e];
    snprintf(action_now, sizeof action_now, "PUT draft %s of %s", valid ? "valid" : "clashing",
             employees[e]);
    const char *body = valid ? "{\"options\":[\"dental_standard\",\"mental_health\"]}"
                             : "{\"options\":[\"dental_standard\",\"dental_business\"]}";
    int want = 200;
    if (m->exists && m->status == ACCEPTED)
        want = 409;
    else if (m->exists && m->status == ISSUED)
        want = 422; /* only a life event re-opens it */
    json_t *j = NULL;
    int got = call(k_emp[e], "PUT", "/v1/me/election", body, &j);
    expect_code(got, want, j);
    if (got == 200) {
        if (!m->exists) {
            m->exists = true;
            m->id = (long)json_integer_value(json_object_get(j, "id"));
            m->version = 1;
        }
        m->status = DRAFT;
        m->valid = valid;
        m->history++;
    }
    json_decref(j);
}

static void submit(int e)
{
    election_model *m = &model[e];
    snprintf(action_now, sizeof action_now, "submit of %s", employees[e]);
    int want = !m->exists                     ? 404
               : m->status != DRAFT           ? 409
               : !m->valid || !window_open(m) ? 422
                                              : 200;
    json_t *j = NULL;
    int got = call(k_emp[e], "POST", "/v1/me/election/submit", NULL, &j);
    expect_code(got, want, j);
    if (got == 200) {
        m->status = SUBMITTED;
        m->history++;
    }
    json_decref(j);
}

/* HR changes the elections of employees a (and b when b >= 0) to `to`. */
static void hr_change(int a, int b, int to, bool reason)
{
    int list[2] = {a, b};
    int n = b >= 0 ? 2 : 1;
    char ids[64] = "";
    for (int k = 0; k < n; k++) {
        size_t len = strlen(ids);
        snprintf(ids + len, sizeof ids - len, "%s%ld", k ? "," : "", model[list[k]].id);
    }
    snprintf(action_now, sizeof action_now, "HR ids [%s] -> %s%s", ids, status_name[to],
             reason ? " with a reason" : "");
    char body[160];
    snprintf(body, sizeof body, "{\"ids\":[%s],\"to\":\"%s\"%s}", ids, status_name[to],
             reason ? ",\"reason\":\"нет подтверждения\"" : "");
    int want = 200;
    for (int k = 0; k < n && want == 200; k++)
        want = change_status(model[list[k]].status, to, reason);
    json_t *j = NULL;
    int got = call(k_hr, "POST", "/v1/status-changes", body, &j);
    expect_code(got, want, j);
    if (got == 200) /* all or nothing */
        for (int k = 0; k < n; k++) {
            model[list[k]].status = to;
            model[list[k]].history++;
        }
    json_decref(j);
}

static void life_event(int e, bool by_hr, const char *event, const char *date)
{
    election_model *m = &model[e];
    snprintf(action_now, sizeof action_now, "life event %s %s of %s by %s", event, date,
             employees[e], by_hr ? "HR" : "the employee");
    int want = strcmp(event, "party") == 0 ? 422
               : !m->exists                ? 404
               : m->status != ISSUED       ? 409
               : !event_date_ok(date)      ? 422
                                           : 200;
    char body[96], path[64];
    snprintf(body, sizeof body, "{\"event\":\"%s\",\"date\":\"%s\"}", event, date);
    snprintf(path, sizeof path, "/v1/elections/%ld/life-events", m->exists ? m->id : 999999L);
    json_t *j = NULL;
    int got = by_hr ? call(k_hr, "POST", path, body, &j)
                    : call(k_emp[e], "POST", "/v1/me/life-events", body, &j);
    expect_code(got, want, j);
    if (got == 200) {
        reopened++;
        m->status = DRAFT;
        m->version++;
        m->history++;
        snprintf(m->event, sizeof m->event, "%s", date);
        json_decref(j);
        /* the history records the event on the line that re-opened it */
        assert_int_equal(call(k_emp[e], "GET", "/v1/me/election/history", NULL, &j), 200);
        json_t *h = json_object_get(j, "history");
        json_t *last = json_array_get(h, json_array_size(h) - 1);
        const char *recorded = json_string_value(json_object_get(last, "life_event"));
        if (recorded == NULL || strcmp(recorded, event) != 0 ||
            strcmp(json_string_value(json_object_get(last, "from")), "issued") != 0)
            mismatch(employees[e], "the history does not record the %s", event);
    }
    json_decref(j);
}

/* Dates to report events on: in and out of the period and the 30-day window. */
static const char *const event_dates[] = {"2026-03-01", "2026-03-10", "2026-03-11", "2026-02-08",
                                          "2026-02-07", "2025-12-31", "2025-11-20", "2026-07-01"};

static void one_step(uint64_t *rng)
{
    int e = (int)(rng_next(rng) % NEMP);
    unsigned kind = (unsigned)(rng_next(rng) % 100);
    /* in the period, life events are what re-open anything: try them more */
    bool period = days(today) >= days(PERIOD_FROM);
    if (kind < (period ? 12u : 18u)) {
        put_draft(e, rng_next(rng) % 5 != 0);
    } else if (kind < (period ? 26u : 36u)) {
        submit(e);
    } else if (kind < (period ? 62u : 78u)) {
        if (!model[e].exists) {
            put_draft(e, true);
            return;
        }
        /* HR favours the next move forward so that sequences reach "issued" */
        static const int forward[NSTATUS] = {SUBMITTED, ACCEPTED, ISSUED, DRAFT, DRAFT};
        int to = rng_next(rng) % 3 ? forward[model[e].status] : (int)(rng_next(rng) % NSTATUS);
        if (to == SUBMITTED)
            to = ACCEPTED; /* HR does not submit for the employee */
        bool reason = rng_next(rng) % 4 != 0;
        int b = -1;
        if (rng_next(rng) % 4 == 0) {
            b = (e + 1 + (int)(rng_next(rng) % (NEMP - 1))) % NEMP;
            if (!model[b].exists)
                b = -1;
        }
        hr_change(e, b, to, reason);
    } else {
        static const char *const events[] = {"birth", "marriage", "party"};
        const char *event = events[rng_next(rng) % 8 == 0 ? 2 : rng_next(rng) % 2];
        const char *date = event_dates[rng_next(rng) % (sizeof event_dates / sizeof *event_dates)];
        life_event(e, rng_next(rng) % 3 == 0, event, date);
    }
}

static void run_seed(unsigned long long seed, int steps)
{
    seed_now = seed;
    assert_int_equal(test_temp_dir(dir, sizeof dir, "model"), 0);
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    memset(model, 0, sizeof model);
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    start("2025-11-20"); /* seeds the sample employer */
    for (int e = 0; e < NEMP; e++)
        assert_int_equal(create_key("employee", "--employee", employees[e], k_emp[e]), 0);
    assert_int_equal(create_key("hr", NULL, NULL, k_hr), 0);
    int step = 0;
    for (; step < steps; step++) {
        step_now = step;
        one_step(&rng);
        compare_all();
    }
    stop();
    start("2026-03-10");
    for (; step < 2 * steps; step++) {
        step_now = step;
        one_step(&rng);
        compare_all();
    }
    stop();
    assert_int_equal(test_remove_tree(dir), 0);
}

static void model_based_sequences(void **state)
{
    (void)state;
    int seeds = getenv("DMS_UNDER_VALGRIND") ? 1 : 3;
    for (int s = 1; s <= seeds; s++)
        run_seed((unsigned long long)s, 100);
    print_message("outcomes: %d x 200, %d x 404, %d x 409, %d x 422; %d re-openings\n",
                  outcomes[200], outcomes[404], outcomes[409], outcomes[422], reopened);
    assert_true(reopened >= seeds); /* the sequences do reach issued and re-open */
    assert_true(outcomes[409] > 0 && outcomes[422] > 0 && outcomes[404] > 0);
}

/* ---- payroll follows the version in force ----------------------------------------- */

/* Puts a draft of options for employee e and returns its monthly deduction in kopecks. */
static long long draft_month(int e, const char *options)
{
    char body[256];
    snprintf(body, sizeof body, "{\"options\":%s}", options);
    snprintf(action_now, sizeof action_now, "PUT %.100s of %s", options, employees[e]);
    json_t *j = NULL;
    int got = call(k_emp[e], "PUT", "/v1/me/election", body, &j);
    expect_code(got, 200, j);
    double month = json_number_value(json_object_get(json_object_get(j, "cost"), "employee_month"));
    json_decref(j);
    return (long long)(month * 100.0 + 0.5);
}

static void hr_to(int e, const char *to)
{
    char body[96];
    snprintf(body, sizeof body, "{\"ids\":[%ld],\"to\":\"%s\"}", model[e].id, to);
    snprintf(action_now, sizeof action_now, "HR %s of %s", to, employees[e]);
    json_t *j = NULL;
    int got = call(k_hr, "POST", "/v1/status-changes", body, &j);
    expect_code(got, 200, j);
    json_decref(j);
}

static long election_id(int e)
{
    json_t *j = NULL;
    assert_int_equal(call(k_emp[e], "GET", "/v1/me/election", NULL, &j), 200);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

/* The payroll rows of employee e: amount[m] in kopecks for month m = 1..12 of 2026 (-1 absent). */
static void payroll_of(int e, long long amount[13])
{
    for (int m = 0; m <= 12; m++)
        amount[m] = -1;
    struct http_response r;
    http_key = k_hr;
    http_lang = "en"; /* the English dialect: ',' and YYYY-MM months */
    http_call(port, "GET", "/v1/exports/payroll.csv", NULL, NULL, &r, T);
    http_key = NULL;
    http_lang = NULL;
    assert_int_equal(r.status, 200);
    const char *p = r.body;
    size_t idlen = strlen(employees[e]);
    while ((p = strstr(p, employees[e])) != NULL) {
        int y = 0, m = 0;
        long long rub = 0, kop = 0;
        if ((p == r.body || p[-1] == '\n') && p[idlen] == ',' &&
            sscanf(p + idlen, ",%d-%d,%lld.%lld", &y, &m, &rub, &kop) == 4 && y == 2026 && m >= 1 &&
            m <= 12) {
            assert_int_equal(amount[m], -1); /* one row a month */
            amount[m] = rub * 100 + kop;
        }
        p += idlen;
    }
    http_response_free(&r);
}

static void expect_payroll(int e, long long before, long long after, int from_month)
{
    long long amount[13];
    payroll_of(e, amount);
    for (int m = 1; m <= 12; m++) {
        long long want = m < from_month ? before : after;
        if (want == 0)
            want = -1; /* no row for a month without a deduction */
        if (amount[m] != want)
            mismatch(employees[e], "payroll month %d: %lld kopecks, expected %lld", m, amount[m],
                     want);
    }
}

/*
 * Payroll deducts the whole year of an election in force, and after a life
 * event the old version's amount before the event's month and the new
 * one's from it (once accepted); the old one meanwhile. A life event on a
 * submitted election is refused, so it cannot cut the year to one month.
 */
static void payroll_follows_versions(void **state)
{
    (void)state;
    seed_now = 0;
    step_now = 0;
    assert_int_equal(test_temp_dir(dir, sizeof dir, "model"), 0);
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    memset(model, 0, sizeof model);
    start("2025-11-20");
    for (int e = 0; e < NEMP; e++)
        assert_int_equal(create_key("employee", "--employee", employees[e], k_emp[e]), 0);
    assert_int_equal(create_key("hr", NULL, NULL, k_hr), 0);
    snprintf(action_now, sizeof action_now, "payroll scenario");
    /* 100014 takes more than the credits: a deduction every month */
    long long m1 = draft_month(0, "[\"hospital_planned\",\"checkup\",\"family_outpatient\","
                                  "\"child_home_visits\",\"family_dental\"]");
    assert_true(m1 > 0);
    model[0].id = election_id(0);
    json_t *j = NULL;
    expect_code(call(k_emp[0], "POST", "/v1/me/election/submit", NULL, &j), 200, j);
    json_decref(j);
    hr_to(0, "accepted");
    hr_to(0, "issued");
    /* 100021 submits; a life event dated in December is refused while submitted */
    long long m3 = draft_month(2, "[\"dental_business\",\"hospital_planned\"]");
    assert_true(m3 > 0);
    model[2].id = election_id(2);
    expect_code(call(k_emp[2], "POST", "/v1/me/election/submit", NULL, &j), 200, j);
    json_decref(j);
    expect_code(call(k_emp[2], "POST", "/v1/me/life-events",
                     "{\"event\":\"marriage\",\"date\":\"2026-12-01\"}", &j),
                409, j);
    json_decref(j);
    hr_to(2, "accepted");
    expect_payroll(0, m1, m1, 1);
    expect_payroll(2, m3, m3, 1); /* the whole year, not December only */
    stop();
    start("2026-03-10");
    expect_code(call(k_emp[0], "POST", "/v1/me/life-events",
                     "{\"event\":\"birth\",\"date\":\"2026-03-01\"}", &j),
                200, j);
    json_decref(j);
    expect_payroll(0, m1, m1, 1); /* re-opened: version 1 is still in force */
    long long m2 = draft_month(0, "[\"hospital_planned\",\"family_outpatient\","
                                  "\"family_emergency\",\"child_home_visits\",\"family_dental\","
                                  "\"mental_health\",\"telemedicine\"]");
    assert_true(m2 != m1);
    expect_code(call(k_emp[0], "POST", "/v1/me/election/submit", NULL, &j), 200, j);
    json_decref(j);
    expect_payroll(0, m1, m1, 1); /* submitted, not yet accepted */
    hr_to(0, "accepted");
    expect_payroll(0, m1, m2, 3); /* from March, the month of the birth */
    expect_payroll(2, m3, m3, 1);
    stop();
    assert_int_equal(test_remove_tree(dir), 0);
}

/* The days() of the model against known dates, so that the model is right. */
static void model_dates(void **state)
{
    (void)state;
    assert_int_equal(days("1970-01-01"), 0);
    assert_int_equal(days("2026-03-10") - days("2026-02-08"), 30);
    assert_int_equal(days("2026-01-01") - days("2025-12-31"), 1);
    assert_int_equal(days("2024-03-01") - days("2024-02-28"), 2);
}

static int teardown(void **state)
{
    (void)state;
    stop();
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_dates),
        cmocka_unit_test(model_based_sequences),
        cmocka_unit_test(payroll_follows_versions),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
