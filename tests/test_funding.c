/*
 * Payment model tests: the comparison on a hand-computable normal group
 * (expected costs, percentiles, stop-loss premium, break-even), the
 * translated gamma fit and its expected excess against numeric
 * integration, the stop-loss never raising the P99 above retention + fees,
 * the run on a real census against its own quote, and errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "http_client.h"
#include "run_command.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "dms/funding.h"
#include "dms/jsonread.h"

/* A normal group: mean 1,000,000, sd 100,000, exact normal percentiles. */
static dms_funding_group normal_group(void)
{
    dms_funding_group g;
    memset(&g, 0, sizeof g);
    g.people = 100;
    g.fixed_kopecks = 130000000; /* 1,300,000.00 */
    g.mean = 1e6;
    g.sd = 1e5;
    for (size_t k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
        g.percentiles[k] = 1e6 + 1e5 * gsl_cdf_ugaussian_Pinv(dms_quote_percentile_levels[k]);
    g.loading = 1.25;
    g.admin_per_head = 1000;
    return g;
}

static void test_normal_by_hand(void **state)
{
    (void)state;
    dms_funding_group g = normal_group();
    dms_funding_terms t = dms_funding_terms_default(); /* tariff fee, stop-loss at P90 */
    dms_funding_result r;
    assert_int_equal(dms_funding_compare(&g, &t, &r, NULL), DMS_OK);
    assert_true(r.tail.normal);
    assert_close(r.admin_fixed, 100000.0, 1e-15);
    /* Fixed: 1,300,000 whatever happens. */
    assert_close(r.cost[DMS_FUNDING_FIXED].expected, 1300000.0, 1e-15);
    assert_close(r.cost[DMS_FUNDING_FIXED].percentile[2], 1300000.0, 1e-15);
    /* Pay-as-you-go: claims + 100,000. P90 = 1,000,000 + 1.2815516 x 100,000 + 100,000. */
    assert_close(r.cost[DMS_FUNDING_PAYG].expected, 1100000.0, 1e-15);
    assert_close(r.cost[DMS_FUNDING_PAYG].percentile[1], 1228155.16, 1e-8);
    /* Stop-loss at P90: E[(S-R)+] = sd (phi(z) - z Q(z)), z = 1.2815516:
     * 100,000 x (0.1754983 - 1.2815516 x 0.1) = 4,734.32. */
    double z = gsl_cdf_ugaussian_Pinv(0.9);
    assert_close(r.retention, 1e6 + 1e5 * z, 1e-12);
    assert_close(r.expected_excess, 1e5 * (gsl_ran_ugaussian_pdf(z) - z * 0.1), 1e-9);
    assert_close(r.expected_excess, 4734.32, 1e-6);
    assert_close(r.stop_loss_premium, 1.25 * r.expected_excess, 1e-12);
    const dms_funding_cost *sl = &r.cost[DMS_FUNDING_PAYG_STOP_LOSS];
    assert_close(sl->expected, 1e6 - r.expected_excess + 1e5 + r.stop_loss_premium, 1e-12);
    /* Capped at the retention: P90 = P99 = retention + fee + premium. */
    assert_close(sl->percentile[2], r.retention + 1e5 + r.stop_loss_premium, 1e-12);
    assert_close(sl->percentile[1], sl->percentile[2], 1e-12);
    /* Break-even: claims + 100,000 = 1,300,000 at 1,200,000 = mean + 2 sd:
     * pay-as-you-go is cheaper in Phi(2) = 97.72% of years. */
    assert_close(r.break_even[0], 1200000.0, 1e-12);
    assert_close(r.break_even_probability[0], gsl_cdf_ugaussian_P(2.0), 1e-12);
    /* With stop-loss the worst case is below the fixed premium: never dearer. */
    assert_true(isinf(r.break_even[1]));
    assert_true(r.break_even_probability[1] == 1.0);
    /* An admin share of 10%: cost = 1.1 claims + fee. */
    t.admin_share = 0.1;
    t.stop_loss = -1;
    t.admin_fee_per_head = 500;
    assert_int_equal(dms_funding_compare(&g, &t, &r, NULL), DMS_OK);
    assert_close(r.cost[DMS_FUNDING_PAYG].expected, 1.1e6 + 5e4, 1e-15);
    assert_false(r.cost[DMS_FUNDING_PAYG_STOP_LOSS].available);
    assert_close(r.break_even[0], (1.3e6 - 5e4) / 1.1, 1e-12);
    json_t *j = dms_report_funding(&r, NULL);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "stop_loss")));
    assert_close(json_real_value(json_object_get(
                     json_object_get(json_object_get(j, "models"), "pay_as_you_go"), "expected")),
                 1150000.0, 1e-15);
    json_decref(j);
}

/* E[(G - r)+] of shift + Gamma(shape, scale) by the midpoint rule. */
static double excess_numeric(const dms_funding_tail *t, double retention)
{
    double hi = t->shift + t->shape * t->scale + 60 * sqrt(t->shape) * t->scale;
    double lo = fmax(retention, t->shift);
    size_t n = 400000;
    double h = (hi - lo) / (double)n, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = lo + (i + 0.5) * h;
        sum += (x - retention) * gsl_ran_gamma_pdf(x - t->shift, t->shape, t->scale) * h;
    }
    return sum;
}

static void test_translated_gamma(void **state)
{
    (void)state;
    /* Gamma(4, 1): mean 4, sd 2; its own P99 gives back shape 4, shift 0. */
    dms_funding_tail t;
    assert_int_equal(dms_funding_tail_fit(4, 2, gsl_cdf_gamma_Pinv(0.99, 4, 1), &t, NULL), DMS_OK);
    assert_false(t.normal);
    assert_close(t.shape, 4, 1e-8);
    assert_close(t.scale, 1, 1e-8);
    assert_abs_close(t.shift, 0, 1e-7);
    for (double r = 2; r <= 12; r += 2.5)
        assert_close(dms_funding_tail_excess(&t, r), excess_numeric(&t, r), 1e-6);
    /* Below the shift the excess is mean - retention. */
    assert_int_equal(
        dms_funding_tail_fit(100, 2, 100 + 2 * gsl_cdf_gamma_Pinv(0.99, 4, 1) / 2 - 2 * 4 / 2 + 0,
                             &t, NULL),
        DMS_OK);
    assert_close(t.shift, 96, 1e-6);
    assert_close(dms_funding_tail_excess(&t, 90), 10, 1e-12);
    assert_close(dms_funding_tail_cdf(&t, 96 + gsl_cdf_gamma_Pinv(0.3, 4, 1)), 0.3, 1e-9);
    assert_true(dms_funding_tail_cdf(&t, 95) == 0.0);
    /* No more skewed than the normal at P99: the normal. */
    assert_int_equal(dms_funding_tail_fit(10, 1, 10 + 2.2, &t, NULL), DMS_OK);
    assert_true(t.normal);
    assert_int_equal(dms_funding_tail_fit(10, 0, 12, &t, NULL), DMS_EINVAL);
    assert_int_equal(dms_funding_tail_fit(NAN, 1, 12, &t, NULL), DMS_EINVAL);
}

static void test_run_on_census(void **state)
{
    (void)state;
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_census *census = NULL;
    dms_plan *plan = NULL;
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, NULL), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &model, NULL), DMS_OK);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/base-2026.json", &plan, NULL), DMS_OK);
    dms_funding_terms t = dms_funding_terms_default();
    t.stop_loss = 4; /* P99 */
    dms_funding_result r;
    assert_int_equal(dms_funding_run(tariff, model, plan, census, "s.csv", &t, &r, NULL), DMS_OK);
    /* Against the quote itself. */
    dms_quote_options o = dms_quote_options_default();
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(tariff, model, plan, census, &o, &q, NULL, NULL), DMS_OK);
    assert_int_equal(r.group.people, census->count);
    assert_int_equal(r.group.fixed_kopecks, q->total.money[DMS_SCENARIO_BASE].gross_kopecks);
    assert_close(r.group.mean, q->distribution[DMS_SCENARIO_BASE].mean, 1e-12);
    assert_close(r.cost[DMS_FUNDING_PAYG].percentile[2],
                 q->distribution[DMS_SCENARIO_BASE].percentiles[4] + r.admin_fixed, 1e-12);
    assert_close(r.admin_fixed, dms_tariff_gross(tariff, 0.0) * (double)census->count, 1e-12);
    /* The tail fit keeps the quote's mean and sd; the excess over P99 is
     * small but positive, and below 1% of (mean + sd). */
    assert_true(r.expected_excess > 0);
    assert_true(r.expected_excess < 0.01 * (r.group.mean + r.group.sd));
    /* The fixed premium carries the loadings: pay-as-you-go is cheaper on average. */
    assert_true(r.cost[DMS_FUNDING_PAYG].expected < r.cost[DMS_FUNDING_FIXED].expected);
    dms_quote_free(q);
    dms_plan_free(plan);
    dms_census_free(census);
    dms_model_free(model);
    dms_tariff_free(tariff);
}

static void test_errors(void **state)
{
    (void)state;
    dms_funding_group g = normal_group();
    dms_funding_terms t = dms_funding_terms_default();
    dms_funding_result r;
    dms_error err;
    t.stop_loss = 7;
    dms_error_clear(&err);
    assert_int_equal(dms_funding_compare(&g, &t, &r, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/stop_loss");
    t = dms_funding_terms_default();
    t.admin_share = 2;
    assert_int_equal(dms_funding_compare(&g, &t, &r, NULL), DMS_EINVAL);
    g.people = 0;
    t = dms_funding_terms_default();
    assert_int_equal(dms_funding_compare(&g, &t, &r, NULL), DMS_EINVAL);
    /* The reader: names and ranges with their pointers. */
    json_t *j = json_pack("{s:s}", "stop_loss", "p80");
    dms_jsonread rd;
    dms_error_clear(&err);
    dms_jsonread_init(&rd, j, NULL, &err);
    t = dms_funding_terms_default();
    assert_int_equal(dms_funding_terms_read(&rd, &t), DMS_EINVAL);
    assert_string_equal(err.path, "/stop_loss");
    json_decref(j);
    j = json_pack("{s:s, s:f}", "stop_loss", "none", "admin_share", 0.05);
    dms_error_clear(&err);
    dms_jsonread_init(&rd, j, NULL, &err);
    assert_int_equal(dms_funding_terms_read(&rd, &t), DMS_OK);
    assert_int_equal(t.stop_loss, -1);
    assert_true(t.admin_share == 0.05);
    json_decref(j);
}

/* POST /v1/funding through a server: the same figures as the core, and faults by pointer. */
static void test_route(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(test_temp_dir(dir, sizeof dir, "funding"), 0);
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *args[] = {"--models", "models", "--tariffs", "tariffs", "--db", db, NULL};
    unsigned port = 0;
    pid_t pid = start_dmsrate_serve(args, log, 20000, &port);
    assert_true(pid > 0);
    /* An HR key: payment models are HR's. */
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
        "1;employee;1990-01-01;M;Moscow\\n2;employee;1980-05-05;F;Moscow\\n"
        "3;employee;1970-03-03;F;Kazan\\n\", \"stop_loss\": \"p95\", \"admin_share\": 0.05}";
    struct http_response r;
    http_call(port, "POST", "/v1/funding", "application/json", body, &r, 20000);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "people")), 3);
    json_t *m = json_object_get(j, "models");
    assert_non_null(json_object_get(m, "pay_as_you_go_stop_loss"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "stop_loss"), "retention_level")),
        "p95");
    json_decref(j);
    http_response_free(&r);
    static const char bad[] = "{\"plan\": {\"name\": \"p\"}, \"census_csv\": \"x\", "
                              "\"stop_loss\": \"p80\"}";
    http_call(port, "POST", "/v1/funding", "application/json", bad, &r, 20000);
    assert_int_equal(r.status / 100, 4);
    http_response_free(&r);
    http_key = NULL;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_int_equal(test_remove_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_by_hand), cmocka_unit_test(test_translated_gamma),
        cmocka_unit_test(test_run_on_census),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
