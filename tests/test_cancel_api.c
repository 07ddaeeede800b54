/*
 * Cancelling quotes and jobs through the real `dmsrate serve`: a quote of
 * real size (32 segments of 7 claims modules with their own network and
 * terms, 4,096 people in 4,096 distinct rating cells, percentiles: about
 * 1.2 s of one core uncut at the end of November 2026) and a budget run of
 * the 5,000-person holding (about 1.2 s on two cores) under
 * --compute-timeout 0.25 (DEADLINE: a quarter of the work, so that a machine
 * several times faster still cuts it) answer 503 deadline_exceeded soon
 * after the deadline,
 * while /healthz keeps answering fast, and so do the funding comparison
 * and the crisis endorsement of the big group; the same quote or budget run started
 * as a job ends as "cancelled" soon after DELETE /v1/jobs/{id} (202), a
 * second DELETE answers 409, a finished job 409, an unknown one or another
 * role's 404; and the server stays usable afterwards.
 */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "server_fixture.h"

/* The compute deadline, in seconds: a fraction of the big runs' work. */
#define DEADLINE "0.25"

static const int T = 60000; /* ms: generous, a failure shows as a wrong answer */
static struct fixture f;
static char key[96];

static int finish(void **state)
{
    (void)state;
    fixture_finish(&f);
    http_key = NULL;
    return 0;
}

static void start(const char *const extra[])
{
    assert_int_equal(fixture_prepare(&f), 0);
    assert_int_equal(fixture_key(&f, "broker", key, sizeof key), 0);
    assert_int_equal(fixture_start(&f, extra), 0);
    http_key = key;
}

/* The whole text of a file of the repository (a request, a census). */
static char *read_whole(const char *path)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char *text = slurp_fd(file);
    fclose(file);
    return text;
}

/* POST body to path answers 503 deadline_exceeded within 1.5 s (the
 * deadline is DEADLINE s); what names it in the printed line. */
static void expect_deadline(const char *path, const char *body, const char *what)
{
    double t0 = now_seconds();
    struct http_response r;
    http_call(f.port, "POST", path, "application/json", body, &r, T);
    double took = now_seconds() - t0;
    char code[64];
    printf("big %s under --compute-timeout " DEADLINE ": %d %s after %.2f s\n", what, r.status,
           error_code(&r, code, sizeof code), took);
    assert_int_equal(r.status, 503);
    assert_string_equal(error_code(&r, code, sizeof code), "deadline_exceeded");
    assert_true(took < 1.5);
    http_response_free(&r);
}

/* The big quote: every segment its own network, deductible and co-pay, so
 * that no two segments share a module's aggregate; one person per cell. */
static char *big_quote(void)
{
    static const char *const networks[] = {"economy", "standard", "business", "vip"};
    static const int deductibles[] = {0, 500, 1000, 2000};
    static const char *const modules[] = {"outpatient",         "home_visits",      "emergency",
                                          "hospital_emergency", "hospital_planned", "dental",
                                          "mental_health"};
    static const int ages[] = {1, 4, 8, 12, 17, 22, 27, 32, 37, 42, 47, 52, 57, 62, 67, 72};
    static const char *const regions[] = {"Москва", "Санкт-Петербург", "Казань", "Тула"};
    enum { SEGMENTS = 32 };
    json_t *segments = json_array();
    for (int s = 0; s < SEGMENTS; s++) {
        char code[16], name[32];
        snprintf(code, sizeof code, "s%02d", s);
        snprintf(name, sizeof name, "с%02d", s);
        json_t *mods = json_array();
        for (size_t m = 0; m < sizeof modules / sizeof modules[0]; m++)
            json_array_append_new(mods,
                                  json_pack("{s:s, s:i, s:f}", "module", modules[m], "deductible",
                                            deductibles[s % 4], "copay", 0.1 * ((s / 4) % 4)));
        json_array_append_new(segments,
                              json_pack("{s:s, s:s, s:s, s:s, s:o}", "code", code, "name_ru", name,
                                        "name_en", code, "network",
                                        networks[(s + s / 4 + s / 16) % 4], "modules", mods));
    }
    json_t *plan =
        json_pack("{s:s, s:{s:s, s:s}, s:s, s:o}", "name", "Cancel test", "period", "from",
                  "2026-01-01", "to", "2026-12-31", "segment_by", "column", "segments", segments);
    size_t cap = 1 << 20, n = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n,
                          "Табельный номер;Связь;Дата рождения;Пол;Регион;Сегмент\n");
    int id = 0;
    for (int s = 0; s < SEGMENTS; s++)
        for (size_t a = 0; a < sizeof ages / sizeof ages[0]; a++)
            for (int sex = 0; sex < 2; sex++)
                for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++)
                    n += (size_t)snprintf(csv + n, cap - n, "%d;сотрудник;01.06.%d;%s;%s;с%02d\n",
                                          ++id, 2025 - ages[a], sex ? "Ж" : "М", regions[r], s);
    assert_true(n < cap - 1);
    json_t *body = json_pack("{s:o, s:s, s:b}", "plan", plan, "census_csv", csv, "percentiles", 1);
    free(csv);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_non_null(text);
    return text;
}

/* A budget run of real size: the 5,000-person holding and its budgets
 * file (several seconds of work). */
static char *big_budget(void)
{
    char *csv = read_whole("examples/census/holding-5000.csv");
    json_t *budgets = json_load_file("examples/budgets/holding-2026.json", 0, NULL);
    assert_non_null(budgets);
    json_t *body = json_pack("{s:s, s:o}", "census_csv", csv, "budgets", budgets);
    free(csv);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_non_null(text);
    return text;
}

static json_t *body_json(const struct http_response *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    if (j == NULL)
        fail_msg("not JSON (%d): %.200s", r->status, r->body);
    return j;
}

struct call {
    const char *method, *path, *body;
    struct http_response r;
    double took;
};

static void *call_thread(void *arg)
{
    struct call *c = arg;
    double t0 = now_seconds();
    http_call(f.port, c->method, c->path, c->body != NULL ? "application/json" : NULL, c->body,
              &c->r, T);
    c->took = now_seconds() - t0;
    return NULL;
}

static void quote_stops_at_deadline(void **state)
{
    (void)state;
    const char *extra[] = {"--compute-timeout", DEADLINE, "--threads", "1",
                           "--rate-limit",      "0",      NULL};
    start(extra);
    char *body = big_quote();
    struct call quote = {"POST", "/v1/quotes?async=false", body, {0}, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, call_thread, &quote), 0);
    /* /healthz answers fast all the while (its own lane) */
    double worst = 0;
    for (int i = 0; i < 8; i++) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        nanosleep(&tick, NULL);
        struct http_response r;
        double t0 = now_seconds();
        http_call(f.port, "GET", "/healthz", NULL, NULL, &r, T);
        double took = now_seconds() - t0;
        worst = took > worst ? took : worst;
        assert_int_equal(r.status, 200);
        http_response_free(&r);
    }
    pthread_join(thread, NULL);
    char code[64];
    printf("big quote under --compute-timeout " DEADLINE
           ": %d %s after %.2f s; /healthz at worst %.1f ms\n",
           quote.r.status, error_code(&quote.r, code, sizeof code), quote.took, 1e3 * worst);
    assert_int_equal(quote.r.status, 503);
    assert_string_equal(error_code(&quote.r, code, sizeof code), "deadline_exceeded");
    assert_true(quote.took < 1.5);
    assert_true(worst < 0.5);
    http_response_free(&quote.r);
    /* a budget run alike */
    char *budget = big_budget();
    expect_deadline("/v1/budgets?async=false", budget, "budget run");
    free(budget);
    struct http_response r;
    /* the one worker is free again: a small quote is answered */
    char *small = read_whole("examples/requests/quote-startup-csv.json");
    http_call(f.port, "POST", "/v1/quotes", "application/json", small, &r, T);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    free(small);
    free(body);
    fixture_finish(&f);
}

/* The big quote's plan and census with the fields of another product
 * route (a JSON object text) in place of "percentiles". */
static char *big_product(const char *fields)
{
    char *quote = big_quote();
    json_t *body = json_loads(quote, 0, NULL);
    json_t *extra = json_loads(fields, 0, NULL);
    free(quote);
    assert_non_null(body);
    assert_non_null(extra);
    json_object_del(body, "percentiles");
    assert_int_equal(json_object_update(body, extra), 0);
    json_decref(extra);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_non_null(text);
    return text;
}

/* The funding comparison (a quote with percentiles) and the crisis
 * endorsement (three quotes) of the big group stop at the deadline too. */
static void products_stop_at_deadline(void **state)
{
    (void)state;
    const char *extra[] = {"--compute-timeout", DEADLINE, "--threads", "1",
                           "--rate-limit",      "0",      NULL};
    start(extra);
    static const struct {
        const char *path, *fields;
    } routes[] = {
        {"/v1/funding", "{\"stop_loss\": \"p90\"}"},
        {"/v1/crisis", "{\"from\": \"2026-04-01\", \"months\": 3, \"frequency_shock\": 1.25}"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char *body = big_product(routes[i].fields);
        expect_deadline(routes[i].path, body, routes[i].path);
        free(body);
    }
    /* the one worker is free again: a small funding comparison is answered */
    char *small = read_whole("examples/requests/quote-startup-csv.json");
    json_t *body = json_loads(small, 0, NULL);
    free(small);
    assert_non_null(body);
    json_object_del(body, "percentiles");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct http_response r;
    http_call(f.port, "POST", "/v1/funding", "application/json", text, &r, T);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    free(text);
    fixture_finish(&f);
}

/* GET until the job's thread is over (its answer is there). */
static json_t *wait_over(const char *href, double *took)
{
    double t0 = now_seconds();
    for (;;) {
        struct http_response r;
        http_call(f.port, "GET", href, NULL, NULL, &r, T);
        assert_int_equal(r.status, 200);
        json_t *j = body_json(&r);
        http_response_free(&r);
        if (json_object_get(j, "http_status") != NULL) {
            *took = now_seconds() - t0;
            return j;
        }
        json_decref(j);
        if (now_seconds() - t0 > 120)
            fail_msg("job %s still running after 120 s", href);
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}

static json_t *start_job(const char *path, const char *body)
{
    struct http_response r;
    http_call(f.port, "POST", path, "application/json", body, &r, T);
    assert_int_equal(r.status, 202);
    json_t *started = body_json(&r);
    http_response_free(&r);
    return started;
}

/*
 * Starts body as a job on route, lets it run for running_ms, checks that it
 * runs, cancels it with DELETE (202, the job "cancelled"), and checks that
 * it is over within a second as cancelled (503, error "cancelled") and that
 * a second DELETE answers 409.
 */
static void cancel_running_job(const char *route, const char *body, long running_ms,
                               const char *what)
{
    json_t *started = start_job(route, body);
    const char *href = json_string_value(json_object_get(started, "href"));
    assert_non_null(href);
    struct timespec running = {0, running_ms * 1000 * 1000};
    nanosleep(&running, NULL);

    struct http_response r;
    http_call(f.port, "GET", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"running\""));
    http_response_free(&r);
    http_call(f.port, "DELETE", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 202);
    json_t *j = body_json(&r);
    http_response_free(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "cancelled");
    json_decref(j);

    double took = 0;
    json_t *over = wait_over(href, &took);
    printf("%s job over %.1f ms after DELETE\n", what, 1e3 * took);
    assert_true(took < 1.0);
    assert_string_equal(json_string_value(json_object_get(over, "status")), "cancelled");
    assert_int_equal(json_integer_value(json_object_get(over, "http_status")), 503);
    json_t *error = json_object_get(json_object_get(over, "result"), "error");
    assert_string_equal(json_string_value(json_object_get(error, "code")), "cancelled");
    json_decref(over);

    /* a second DELETE: 409, and the job stays cancelled */
    http_call(f.port, "DELETE", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 409);
    http_response_free(&r);
    json_decref(started);
}

static void delete_cancels_a_running_job(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit", "0", NULL};
    start(extra);
    char *body = big_quote();
    cancel_running_job("/v1/quotes?async=true", body, 100, "quote");

    /* a finished job: 409; an unknown one: 404 */
    struct http_response r;
    double took = 0;
    char *small = read_whole("examples/requests/quote-startup-csv.json");
    json_t *started = start_job("/v1/quotes?async=true", small);
    const char *href = json_string_value(json_object_get(started, "href"));
    json_t *over = wait_over(href, &took);
    assert_string_equal(json_string_value(json_object_get(over, "status")), "done");
    json_decref(over);
    http_call(f.port, "DELETE", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 409);
    http_response_free(&r);
    http_call(f.port, "GET", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"done\""));
    http_response_free(&r);
    json_decref(started);
    http_call(f.port, "DELETE", "/v1/jobs/0123456789abcdef0123456789abcdef", NULL, NULL, &r, T);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    free(small);
    free(body);
    fixture_finish(&f);
}

static void delete_cancels_a_budget_job(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit", "0", NULL};
    start(extra);
    char *body = big_budget();
    cancel_running_job("/v1/budgets?async=true", body, 100, "budget");
    free(body);
    fixture_finish(&f);
}

/* Another role's key cannot cancel a broker's job: 404, as GET answers. */
static void delete_is_scoped_like_get(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit", "0", NULL};
    start(extra);
    char other[96];
    assert_int_equal(fixture_key(&f, "insurer", other, sizeof other), 0);
    char *body = big_quote();
    json_t *started = start_job("/v1/quotes?async=true", body);
    const char *href = json_string_value(json_object_get(started, "href"));
    struct http_response r;
    call_with_key(f.port, other, "DELETE", href, NULL, &r, T);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    http_call(f.port, "GET", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"running\""));
    http_response_free(&r);
    http_call(f.port, "DELETE", href, NULL, NULL, &r, T);
    assert_int_equal(r.status, 202);
    http_response_free(&r);
    json_decref(started);
    free(body);
    fixture_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(quote_stops_at_deadline, finish),
        cmocka_unit_test_teardown(products_stop_at_deadline, finish),
        cmocka_unit_test_teardown(delete_cancels_a_running_job, finish),
        cmocka_unit_test_teardown(delete_cancels_a_budget_job, finish),
        cmocka_unit_test_teardown(delete_is_scoped_like_get, finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
