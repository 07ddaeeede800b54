/*
 * Crisis endorsement tests: the covered days by hand (3 months from 1 April,
 * clipping at the period's end, the 31st), the endorsement equal to the pro
 * rata difference of independent group quotes, zero without shock or
 * modules, the whole difference over a whole year, segments adding up to
 * the total, errors, and POST /v1/crisis through a server.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "http_client.h"
#include "run_command.h"

#include "dms/crisis.h"
#include "dms/jsonread.h"
#include "dms/quote.h"

typedef struct fixture {
    dms_tariff *tariff;
    dms_model *model;
    dms_census *census;
    dms_plan *plan;  /* five segments: for the money */
    dms_plan *small; /* one segment: for the days, cheaper under valgrind */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &f->tariff, NULL), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &f->model, NULL), DMS_OK);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &f->census, NULL),
                     DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/personalised-2026.json", &f->plan, NULL),
                     DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/base-2026.json", &f->small, NULL), DMS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dms_plan_free(f->plan);
    dms_plan_free(f->small);
    dms_census_free(f->census);
    dms_model_free(f->model);
    dms_tariff_free(f->tariff);
    free(f);
    return 0;
}

static dms_crisis_terms terms_of(const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    dms_jsonread r;
    dms_error err;
    dms_error_clear(&err);
    dms_jsonread_init(&r, j, NULL, &err);
    dms_crisis_terms t;
    assert_int_equal(dms_crisis_terms_read(&r, &t), DMS_OK);
    assert_int_equal(dms_jsonread_finish(&r), DMS_OK);
    json_decref(j);
    return t;
}

/* Gross per segment of plan with every segment's base frequency x shock. */
static void quote_gross(const fixture *f, const dms_plan *plan, double shock, int64_t *out)
{
    dms_plan *p = malloc(sizeof *p);
    *p = *plan;
    p->scenario_set[DMS_SCENARIO_BASE] = true;
    p->scenarios[DMS_SCENARIO_BASE] = f->model->scenarios[DMS_SCENARIO_BASE];
    p->scenarios[DMS_SCENARIO_BASE].frequency *= shock;
    dms_quote_options o = dms_quote_options_default();
    o.percentiles = false;
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(f->tariff, f->model, p, f->census, &o, &q, NULL, NULL),
                     DMS_OK);
    for (size_t s = 0; s < q->nsegments; s++)
        out[s] = q->segments[s].total.money[DMS_SCENARIO_BASE].gross_kopecks;
    dms_quote_free(q);
    free(p);
}

static void test_days_by_hand(void **state)
{
    fixture *f = *state;
    dms_crisis_result r;
    dms_crisis_terms t = terms_of("{\"from\": \"2026-04-01\", \"months\": 3}");
    assert_true(t.frequency_shock == 1.3);
    assert_int_equal(t.nmodules, 2); /* check-up and telemedicine */
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->small, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    assert_string_equal(r.to, "2026-06-30");
    assert_int_equal(r.days, 30 + 31 + 30);
    assert_int_equal(r.period_days, 365);
    t = terms_of("{\"from\": \"2026-11-01\", \"months\": 6}");
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->small, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    assert_string_equal(r.to, "2026-12-31"); /* clipped at the period's end */
    assert_int_equal(r.days, 61);
    t = terms_of("{\"from\": \"2026-01-31\", \"months\": 1}");
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->small, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    assert_string_equal(r.to, "2026-02-28");
    assert_int_equal(r.days, 29);
}

static void test_against_quotes(void **state)
{
    fixture *f = *state;
    dms_crisis_terms t =
        terms_of("{\"from\": \"2026-04-01\", \"months\": 3, \"frequency_shock\": 1.25, "
                 "\"add_modules\": [\"telemedicine\", \"mental_health\"]}");
    dms_crisis_result r;
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->plan, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    /* The enhanced plan by hand: both modules added where a segment lacks them. */
    dms_plan *e = malloc(sizeof *e);
    *e = *f->plan;
    for (size_t s = 0; s < e->nsegments; s++)
        for (size_t i = 0; i < 2; i++) {
            const char *code = i == 0 ? "telemedicine" : "mental_health";
            bool has = false;
            for (size_t m = 0; m < e->segments[s].nmodules; m++)
                has = has || strcmp(e->segments[s].modules[m].code, code) == 0;
            if (!has) {
                dms_plan_module *pm = &e->segments[s].modules[e->segments[s].nmodules++];
                memset(pm, 0, sizeof *pm);
                snprintf(pm->code, sizeof pm->code, "%s", code);
                pm->set_terms = DMS_TERM_VOLUNTARY;
            }
        }
    int64_t cur[DMS_PLAN_MAX_SEGMENTS], shk[DMS_PLAN_MAX_SEGMENTS], enh[DMS_PLAN_MAX_SEGMENTS];
    quote_gross(f, f->plan, 1.0, cur);
    quote_gross(f, f->plan, 1.25, shk);
    quote_gross(f, e, 1.25, enh);
    int64_t sum = 0;
    for (size_t s = 0; s < r.nsegments; s++) {
        const dms_crisis_segment *g = &r.segments[s];
        assert_int_equal(g->annual_kopecks, cur[s]);
        assert_int_equal(g->annual_shocked_kopecks, shk[s]);
        assert_int_equal(g->annual_enhanced_kopecks, enh[s]);
        assert_int_equal(g->endorsement_kopecks, llround((double)(enh[s] - cur[s]) * 91 / 365));
        assert_int_equal(g->shock_part_kopecks, llround((double)(shk[s] - cur[s]) * 91 / 365));
        assert_int_equal(g->shock_part_kopecks + g->modules_part_kopecks, g->endorsement_kopecks);
        assert_true(g->shock_part_kopecks > 0);
        sum += g->endorsement_kopecks;
    }
    assert_int_equal(r.total.endorsement_kopecks, sum);
    json_t *j = dms_report_crisis(&r, NULL);
    assert_close(json_real_value(json_object_get(json_object_get(j, "total"), "endorsement")),
                 (double)sum / 100.0, 1e-15);
    json_decref(j);
    free(e);
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        return; /* two more runs of three quotes each: enough above */
    /* No shock, nothing added: nothing to pay. A whole year: the whole difference. */
    t = terms_of("{\"from\": \"2026-05-10\", \"months\": 2, \"frequency_shock\": 1, "
                 "\"add_modules\": []}");
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->plan, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    assert_int_equal(r.total.endorsement_kopecks, 0);
    t = terms_of("{\"from\": \"2026-01-01\", \"months\": 12, \"frequency_shock\": 1.25, "
                 "\"add_modules\": [\"telemedicine\", \"mental_health\"]}");
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->plan, f->census, "c", &t, &r, NULL),
                     DMS_OK);
    assert_int_equal(r.days, 365);
    for (size_t s = 0; s < r.nsegments; s++)
        assert_int_equal(r.segments[s].endorsement_kopecks, enh[s] - cur[s]);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    dms_crisis_result r;
    dms_crisis_terms t = terms_of("{\"from\": \"2027-02-01\", \"months\": 3}");
    dms_diag *d = NULL;
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->small, f->census, "c", &t, &r, d),
                     DMS_EINVAL);
    dms_error e;
    dms_diag_first(d, &e);
    assert_string_equal(e.path, "/from");
    dms_diag_free(d);
    t = terms_of("{\"from\": \"2026-02-01\", \"months\": 3, \"add_modules\": [\"spa\"]}");
    assert_int_equal(dms_crisis_price(f->tariff, f->model, f->small, f->census, "c", &t, &r, NULL),
                     DMS_EINVAL);
    static const char *const bad[][2] = {
        {"{\"from\": \"2026-02-30\", \"months\": 3}", "/from"},
        {"{\"from\": \"2026-02-01\", \"months\": 13}", "/months"},
        {"{\"from\": \"2026-02-01\", \"months\": 3, \"frequency_shock\": 0.5}", "/frequency_shock"},
        {"{\"months\": 3}", "/from"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i][0], 0, NULL);
        dms_jsonread rd;
        dms_error err;
        dms_error_clear(&err);
        dms_jsonread_init(&rd, j, NULL, &err);
        assert_int_equal(dms_crisis_terms_read(&rd, &t), DMS_EINVAL);
        assert_string_equal(err.path, bad[i][1]);
        json_decref(j);
    }
}

static void test_route(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(test_temp_dir(dir, sizeof dir, "crisis"), 0);
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *args[] = {"--models", "models", "--tariffs", "tariffs", "--db", db, NULL};
    unsigned port = 0;
    pid_t pid = start_dmsrate_serve(args, log, 20000, &port);
    assert_true(pid > 0);
    char *kargv[] = {"dmsrate", "keys", "create", "--role", "hr", "--db", db, NULL};
    struct command_result c = run_dmsrate(kargv);
    assert_int_equal(c.status, 0);
    static char key[128];
    snprintf(key, sizeof key, "%.*s", (int)strcspn(c.out, "\n"), c.out);
    command_result_free(&c);
    http_key = key;
    static const char body[] =
        "{\"plan\": {\"name\": \"p\", \"period\": {\"from\": \"2026-01-01\", \"to\": "
        "\"2026-12-31\"}, \"segments\": [{\"code\": \"all\", \"name_ru\": \"все\", "
        "\"name_en\": \"all\", \"network\": \"standard\", \"modules\": [{\"module\": "
        "\"outpatient\"}]}]}, \"census_csv\": \"employee_id;relation;birth_date;sex;region\\n"
        "1;employee;1990-01-01;M;Moscow\\n2;employee;1980-05-05;F;Moscow\\n\", "
        "\"from\": \"2026-03-01\", \"months\": 2}";
    struct http_response r;
    http_call(port, "POST", "/v1/crisis", "application/json", body, &r, 20000);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "to")), "2026-04-30");
    assert_int_equal(json_integer_value(json_object_get(j, "days")), 61);
    assert_true(json_real_value(json_object_get(json_object_get(j, "total"), "endorsement")) > 0);
    json_decref(j);
    http_response_free(&r);
    static const char bad[] = "{\"plan\": {\"name\": \"p\", \"period\": {\"from\": \"2026-01-01\", "
                              "\"to\": \"2026-12-31\"}, \"segments\": [{\"code\": \"all\", "
                              "\"name_ru\": \"все\", \"name_en\": \"all\", \"network\": "
                              "\"standard\", \"modules\": [{\"module\": \"outpatient\"}]}]}, "
                              "\"census_csv\": \"employee_id;relation;birth_date;sex;region\\n"
                              "1;employee;1990-01-01;M;Moscow\\n\", \"months\": 2}";
    http_call(port, "POST", "/v1/crisis", "application/json", bad, &r, 20000);
    assert_int_equal(r.status / 100, 4);
    j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "path")),
                        "/from");
    json_decref(j);
    http_response_free(&r);
    http_key = NULL;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_int_equal(test_remove_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_by_hand),
        cmocka_unit_test(test_against_quotes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_route),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
