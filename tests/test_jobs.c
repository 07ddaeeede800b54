/*
 * Jobs through the real server (issue 17): POST /v1/budgets?async=true
 * (and /v1/quotes?async=true) answers 202 with a job; GET /v1/jobs/{id} shows progress that only
 * grows and ends at 1 with the same answer, byte for byte, as the synchronous call; an unknown or
 * malformed id is 404, and so is another role's job; a small run left to the estimate is answered
 * at once (200), and one whose estimate is long becomes a job by itself.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "server_fixture.h"

static struct fixture fx;

static const char budget_body[] =
    "{\"census\": [{\"employee_id\": \"1\", \"relation\": \"employee\", \"birth_date\": "
    "\"1988-04-12\", \"sex\": \"F\", \"region\": \"Москва\"}, {\"employee_id\": \"2\", "
    "\"relation\": \"employee\", \"birth_date\": \"1975-11-30\", \"sex\": \"M\", \"region\": "
    "\"Казань\"}, {\"employee_id\": \"3\", \"relation\": \"employee\", \"birth_date\": "
    "\"1995-02-01\", \"sex\": \"M\", \"region\": \"Москва\"}], \"budgets\": {\"name\": "
    "\"Budgets\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"}, \"segments\": "
    "[{\"code\": \"all\", \"name_ru\": \"Все\", \"name_en\": \"All\", \"budget_per_head\": 30000, "
    "\"target_value\": 60, \"priorities\": {\"hospital_emergency\": 5}}], \"design_space\": "
    "{\"networks\": [\"economy\", \"standard\"], \"modules\": [{\"module\": \"outpatient\", "
    "\"deductibles\": [0, 1000], \"copays\": [0, 0.2]}, {\"module\": \"emergency\"}, {\"module\": "
    "\"hospital_emergency\"}]}}}";

static int setup(void **state)
{
    (void)state;
    static char key[256];
    if (fixture_prepare(&fx) != 0 || fixture_start(&fx, NULL) != 0 ||
        fixture_key(&fx, "broker", key, sizeof key) != 0)
        return -1;
    http_key = key;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_finish(&fx);
    return 0;
}

static json_t *body_json(const struct http_response *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    if (j == NULL)
        fail_msg("not JSON (%d): %.200s", r->status, r->body);
    return j;
}

/* Polls the job to its end; the progress seen only grows. */
static json_t *wait_job(const char *href)
{
    double last = -1, t0 = now_seconds();
    for (;;) {
        struct http_response r;
        http_call(fx.port, "GET", href, NULL, NULL, &r, 20000);
        assert_int_equal(r.status, 200);
        json_t *j = body_json(&r);
        http_response_free(&r);
        double p = json_number_value(json_object_get(j, "progress"));
        assert_true(p >= last && p >= 0 && p <= 1);
        last = p;
        if (strcmp(json_string_value(json_object_get(j, "status")), "running") != 0)
            return j;
        json_decref(j);
        if (now_seconds() - t0 > 120)
            fail_msg("job %s still running after 120 s", href);
        usleep(20000);
    }
}

/* POST /v1/budgets?async=true: 202 and the job's JSON. */
static json_t *start_job(void)
{
    struct http_response r;
    http_call(fx.port, "POST", "/v1/budgets?async=true", "application/json", budget_body, &r,
              60000);
    assert_int_equal(r.status, 202);
    json_t *started = body_json(&r);
    http_response_free(&r);
    return started;
}

/* The job's answer equals what POST path gives synchronously for body. */
static void assert_same_as_sync(const json_t *done, const char *path, const char *body)
{
    struct http_response r;
    http_call(fx.port, "POST", path, "application/json", body, &r, 60000);
    assert_int_equal(r.status, 200);
    json_t *sync = body_json(&r);
    http_response_free(&r);
    assert_true(json_equal(json_object_get(done, "result"), sync));
    json_decref(sync);
}

static void job_matches_sync(void **state)
{
    (void)state;
    json_t *started = start_job();
    const char *id = json_string_value(json_object_get(started, "job"));
    const char *href = json_string_value(json_object_get(started, "href"));
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    assert_string_equal(json_string_value(json_object_get(started, "status")), "running");
    char want[64];
    snprintf(want, sizeof want, "/v1/jobs/%s", id);
    assert_string_equal(href, want);
    json_t *done = wait_job(href);
    assert_string_equal(json_string_value(json_object_get(done, "status")), "done");
    assert_true(json_number_value(json_object_get(done, "progress")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(done, "http_status")), 200);

    assert_same_as_sync(done, "/v1/budgets?async=false", budget_body);
    json_decref(done);
    json_decref(started);
}

static void unknown_jobs(void **state)
{
    (void)state;
    static const char *const paths[] = {"/v1/jobs/0123456789abcdef0123456789abcdef",
                                        "/v1/jobs/short", "/v1/jobs/%2e%2e"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct http_response r;
        http_call(fx.port, "GET", paths[i], NULL, NULL, &r, 20000);
        assert_int_equal(r.status, 404);
        http_response_free(&r);
    }
}

/* Left to the estimate: three people and a narrow space answer at once. */
/* A quote asked as a job gives, once done, the synchronous answer. */
static void quote_job(void **state)
{
    (void)state;
    FILE *f = fopen("examples/requests/quote-startup-csv.json", "rb");
    assert_non_null(f);
    char *body = slurp_fd(f);
    fclose(f);
    struct http_response r;
    http_call(fx.port, "POST", "/v1/quotes?async=true", "application/json", body, &r, 60000);
    assert_int_equal(r.status, 202);
    json_t *started = body_json(&r);
    http_response_free(&r);
    json_t *done = wait_job(json_string_value(json_object_get(started, "href")));
    assert_int_equal(json_integer_value(json_object_get(done, "http_status")), 200);
    /* 60 people: synchronous when left to the estimate */
    assert_same_as_sync(done, "/v1/quotes", body);
    json_decref(done);
    json_decref(started);
    free(body);
}

/* Another pricing role cannot read a broker's job: 404, as if none. */
static void jobs_are_scoped(void **state)
{
    (void)state;
    struct http_response r;
    json_t *started = start_job();
    const char *href = json_string_value(json_object_get(started, "href"));
    const char *broker = http_key;
    char other[256];
    assert_int_equal(fixture_key(&fx, "insurer", other, sizeof other), 0);
    http_key = other;
    http_call(fx.port, "GET", href, NULL, NULL, &r, 20000);
    http_key = broker;
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    json_decref(wait_job(href));
    json_decref(started);
}

static void small_runs_stay_synchronous(void **state)
{
    (void)state;
    struct http_response r;
    http_call(fx.port, "POST", "/v1/budgets", "application/json", budget_body, &r, 60000);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
}

/* A 450-person census on the tariff's full design space is estimated well
 * over two seconds: a job without asking. */
static void big_runs_become_jobs(void **state)
{
    (void)state;
    if (under_valgrind())
        skip(); /* the run itself would take minutes under valgrind */
    char *csv = NULL;
    FILE *f = fopen("examples/census/midsize-450.csv", "rb");
    assert_non_null(f);
    csv = slurp_fd(f);
    fclose(f);
    json_t *body = json_pack("{s:s, s:{s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:f}]}}", "census_csv",
                             csv, "budgets", "name", "Big", "period", "from", "2026-01-01", "to",
                             "2026-12-31", "segments", "code", "all", "name_ru", "Все", "name_en",
                             "All", "budget_per_head", 30000.0);
    free(csv);
    assert_non_null(body);
    char *text = json_dumps(body, 0);
    json_decref(body);
    struct http_response r;
    http_call(fx.port, "POST", "/v1/budgets", "application/json", text, &r, 60000);
    free(text);
    assert_int_equal(r.status, 202);
    http_response_free(&r);
    /* not waited for: the server stops with it running, which must be clean */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_matches_sync),     cmocka_unit_test(unknown_jobs),
        cmocka_unit_test(jobs_are_scoped),      cmocka_unit_test(small_runs_stay_synchronous),
        cmocka_unit_test(big_runs_become_jobs), cmocka_unit_test(quote_job),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
