/*
 * Bank add-on tests: the shipped tariff loads and prices; the price meets
 * the target loss ratio to the kopeck (and one kopeck less would not) for a
 * sweep of targets, from the unrounded claims; the breakdown adds up;
 * anti-selection loads frequency under the limits and never a flat fee;
 * the projection reconciles month by month; loader and argument errors
 * carry their JSON Pointer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "dms/bank.h"
#include "dms/jsonread.h"

static json_t *tariff_json(void)
{
    json_t *root = NULL;
    assert_int_equal(dms_json_load_file("tariffs/bank-premium-card-2026.json", &root, NULL),
                     DMS_OK);
    return root;
}

static void test_price_meets_target(void **state)
{
    dms_model *model = *state;
    json_t *root = tariff_json();
    static const double targets[] = {0.35, 0.5, 0.55, 0.6, 0.617, 0.7};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        double lr = targets[i];
        json_object_set_new(root, "target_loss_ratio", json_real(lr));
        json_t *shares = json_object_get(root, "shares");
        /* Keep the shares adding up to 1: commission 0.3 (less for high
         * targets), expense 0.1, profit the rest. */
        json_object_set_new(shares, "bank_commission", json_real(lr + 0.1 > 0.7 ? 0.8 - lr : 0.3));
        json_object_set_new(shares, "insurer_profit",
                            json_real(1.0 - lr - 0.1 -
                                      json_real_value(json_object_get(shares, "bank_commission"))));
        dms_bank_tariff *t = NULL;
        dms_error err;
        dms_error_clear(&err);
        assert_int_equal(dms_bank_tariff_load_json(root, &t, &err), DMS_OK);
        dms_bank_price p;
        assert_int_equal(dms_bank_price_compute(t, model, &p, &err), DMS_OK);
        /* The price comes from the unrounded claims C: C / P <= target and
         * C / (P - 1) > target. */
        double c = p.monthly_claims * 100.0;
        assert_true(p.claims_kopecks > 0);
        assert_true(c / (double)p.price_kopecks <= lr);
        assert_true(c / (double)(p.price_kopecks - 1) > lr);
        assert_int_equal(p.claims_kopecks, llround(p.monthly_claims * 100));
        assert_int_equal(p.claims_kopecks + p.commission_kopecks + p.expense_kopecks +
                             p.profit_kopecks,
                         p.price_kopecks);
        assert_int_equal(p.commission_kopecks, llround(p.price_kopecks * t->commission));
        /* Anti-selection loads frequency under the limits: less than the
         * plain (1 + load) multiple, never nothing. */
        assert_true(p.annual_claims > p.annual_claims_base);
        assert_true(p.annual_claims <= p.annual_claims_base * (1 + t->anti_selection_load) + 1e-9);
        double modules = 0;
        for (size_t m = 0; m < t->nmodules; m++)
            modules += p.module_claims[m];
        assert_close(modules, p.annual_claims, 1e-12);
        dms_bank_tariff_free(t);
    }
    json_decref(root);
}

static void test_shipped_price_plausible(void **state)
{
    dms_model *model = *state;
    dms_bank_tariff *t = NULL;
    assert_int_equal(dms_bank_tariff_load_file("tariffs/bank-premium-card-2026.json", &t, NULL),
                     DMS_OK);
    dms_bank_price p;
    assert_int_equal(dms_bank_price_compute(t, model, &p, NULL), DMS_OK);
    /* A premium-card add-on: several hundred to a couple of thousand roubles a month. */
    assert_true(p.price_kopecks > 30000 && p.price_kopecks < 300000);
    /* The outpatient limit binds: expected outpatient claims stay below it,
     * anti-selection included; the flat telemedicine fee carries no load. */
    assert_true(p.module_claims[1] <= 6000);
    assert_true(p.module_claims[1] > p.module_claims_base[1]);
    assert_true(p.module_claims[0] > 0);
    assert_true(p.module_claims[0] == p.module_claims_base[0]);
    assert_true(p.monthly_variance > 0);
    dms_bank_tariff_free(t);
}

/* Even a load of 500% never lifts a module above its annual limit, and
 * the flat module's claims do not move at all. */
static void test_anti_selection_under_limits(void **state)
{
    dms_model *model = *state;
    json_t *root = tariff_json();
    dms_bank_tariff *t = NULL, *plain = NULL;
    json_object_set_new(root, "anti_selection_load", json_real(5.0));
    assert_int_equal(dms_bank_tariff_load_json(root, &t, NULL), DMS_OK);
    json_object_set_new(root, "anti_selection_load", json_real(0.0));
    assert_int_equal(dms_bank_tariff_load_json(root, &plain, NULL), DMS_OK);
    dms_bank_price p, q;
    assert_int_equal(dms_bank_price_compute(t, model, &p, NULL), DMS_OK);
    assert_int_equal(dms_bank_price_compute(plain, model, &q, NULL), DMS_OK);
    for (size_t m = 0; m < t->nmodules; m++) {
        if (isfinite(t->modules[m].annual_limit))
            assert_true(p.module_claims[m] <= t->modules[m].annual_limit);
        assert_close(p.module_claims_base[m], q.module_claims[m], 1e-12);
    }
    assert_true(p.module_claims[0] == q.module_claims[0]); /* telemedicine, flat */
    assert_true(p.module_claims[1] > q.module_claims[1] + 100);
    assert_close(q.annual_claims, q.annual_claims_base, 1e-15);
    dms_bank_tariff_free(t);
    dms_bank_tariff_free(plain);
    json_decref(root);
}

/* Rounding only at the end: 662.905 a month at 55% is 1205.29, where
 * pricing the rounded 662.90 would give 1205.28, one kopeck short of the
 * target. */
static void test_price_rounds_at_the_end(void **state)
{
    (void)state;
    assert_int_equal(dms_bank_smallest_price(662.905, 0.55), 120529);
    assert_int_equal(dms_bank_smallest_price(662.90, 0.55), 120528);
    assert_true(662.905 * 100 / 120528.0 > 0.55);
    /* Exact multiples: 55 kopecks at 55% is exactly one rouble. */
    assert_int_equal(dms_bank_smallest_price(0.55, 0.55), 100);
    assert_int_equal(dms_bank_smallest_price(0.0, 0.55), 1);
    for (int i = 1; i < 2000; i++) {
        double c = 1000.0 + i * 0.001237;
        int64_t p = dms_bank_smallest_price(c, 0.617);
        assert_true(c * 100 / (double)p <= 0.617);
        assert_true(c * 100 / (double)(p - 1) > 0.617);
    }
}

static void test_projection_reconciles(void **state)
{
    dms_model *model = *state;
    dms_bank_tariff *t = NULL;
    assert_int_equal(dms_bank_tariff_load_file("tariffs/bank-premium-card-2026.json", &t, NULL),
                     DMS_OK);
    dms_bank_price p;
    assert_int_equal(dms_bank_price_compute(t, model, &p, NULL), DMS_OK);
    dms_bank_projection_args args = {
        .cards = 20000, .months = 12, .uptake = 0.06, .lapse = 0.04, .new_sales = 150};
    dms_bank_projection *pr = malloc(sizeof *pr);
    assert_int_equal(dms_bank_projection_compute(t, &p, &args, pr, NULL), DMS_OK);
    assert_int_equal(pr->nmonths, 12);
    assert_int_equal(pr->months[0].sold, 1200);
    long prev = 0, card_months = 0;
    int64_t premium = 0, commission = 0;
    double claims = 0;
    for (int m = 0; m < pr->nmonths; m++) {
        const dms_bank_month *mo = &pr->months[m];
        assert_int_equal(mo->active_start, prev);
        assert_int_equal(mo->active, mo->active_start - mo->lapsed + mo->sold);
        assert_int_equal(mo->lapsed, m == 0 ? 0 : llround(mo->active_start * 0.04));
        assert_int_equal(mo->premium_kopecks, (int64_t)mo->active * p.price_kopecks);
        assert_int_equal(mo->commission_kopecks, (int64_t)mo->active * p.commission_kopecks);
        assert_close(mo->expected_claims, mo->active * p.monthly_claims, 1e-12);
        assert_true(mo->claims_p5 < mo->expected_claims && mo->expected_claims < mo->claims_p95);
        assert_close(mo->claims_p95 - mo->expected_claims,
                     1.6448536269514722 * sqrt(mo->active * p.monthly_variance), 1e-9);
        assert_close(mo->loss_ratio, mo->expected_claims * 100 / (double)mo->premium_kopecks,
                     1e-12);
        assert_close(mo->penetration, mo->active / 20000.0, 1e-12);
        assert_close(mo->arpu_uplift, mo->commission_kopecks / 100.0 / 20000.0, 1e-12);
        /* The unrounded LR sits at the target within half a kopeck per card. */
        assert_true(fabs(mo->loss_ratio - t->target_loss_ratio) < 0.005 / 1205.0 + 1e-6);
        prev = mo->active;
        card_months += mo->active;
        premium += mo->premium_kopecks;
        commission += mo->commission_kopecks;
        claims += mo->expected_claims;
    }
    assert_int_equal(pr->card_months, card_months);
    assert_int_equal(pr->premium_kopecks, premium);
    assert_int_equal(pr->commission_kopecks, commission);
    assert_close(pr->expected_claims, claims, 1e-12);
    assert_true(pr->claims_p5 < pr->expected_claims && pr->expected_claims < pr->claims_p95);
    assert_close(pr->claims_frequency_per_1000, p.claims_per_year * 1000, 1e-12);
    /* The base caps sales: a tiny base fills up and never exceeds it. */
    args = (dms_bank_projection_args){
        .cards = 100, .months = 6, .uptake = 0.9, .lapse = 0, .new_sales = 50};
    assert_int_equal(dms_bank_projection_compute(t, &p, &args, pr, NULL), DMS_OK);
    assert_int_equal(pr->months[0].active, 90);
    assert_int_equal(pr->months[1].sold, 10);
    assert_int_equal(pr->months[5].active, 100);
    json_t *report = dms_report_bank_projection(t, pr, NULL);
    assert_non_null(report);
    assert_int_equal(json_array_size(json_object_get(report, "months")), 6);
    json_decref(report);
    free(pr);
    dms_bank_tariff_free(t);
}

static void expect_tariff_error(json_t *root, const char *path)
{
    dms_bank_tariff *t = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_not_equal(dms_bank_tariff_load_json(root, &t, &err), DMS_OK);
    assert_null(t);
    if (strcmp(err.path, path) != 0) {
        print_error("path '%s' (%s), expected '%s'\n", err.path, err.message, path);
        fail();
    }
    json_decref(root);
}

static void test_tariff_errors(void **state)
{
    dms_model *model = *state;
    json_t *root = tariff_json();
    json_object_set_new(root, "target_loss_ratio", json_real(0.6));
    expect_tariff_error(root, "/target_loss_ratio");
    root = tariff_json();
    json_object_set_new(json_array_get(json_object_get(root, "cardholders"), 3), "share",
                        json_real(0.5));
    expect_tariff_error(root, "/cardholders");
    root = tariff_json();
    json_object_set_new(json_array_get(json_object_get(root, "cardholders"), 2), "sex",
                        json_string("X"));
    expect_tariff_error(root, "/cardholders/2/sex");
    root = tariff_json();
    json_object_set_new(json_array_get(json_object_get(root, "package"), 1), "copay",
                        json_real(1.5));
    expect_tariff_error(root, "/package/1/copay");
    root = tariff_json();
    json_object_set_new(json_array_get(json_object_get(root, "regions"), 0), "colour",
                        json_string("red"));
    expect_tariff_error(root, "/regions/0/colour");
    /* A module the model lacks fails at pricing with its pointer. */
    root = tariff_json();
    json_object_set_new(json_array_get(json_object_get(root, "package"), 0), "module",
                        json_string("spa"));
    dms_bank_tariff *t = NULL;
    assert_int_equal(dms_bank_tariff_load_json(root, &t, NULL), DMS_OK);
    dms_bank_price p;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_bank_price_compute(t, model, &p, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/package/0/module");
    dms_bank_tariff_free(t);
    json_decref(root);
}

static void test_args(void **state)
{
    (void)state;
    dms_bank_projection_args args;
    dms_error err;
    json_t *root = json_pack("{s:i, s:f}", "cards", 500, "lapse", 0.1);
    assert_int_equal(dms_bank_projection_args_load_json(root, NULL, &args, NULL), DMS_OK);
    assert_int_equal(args.cards, 500);
    assert_int_equal(args.months, 12);
    assert_close(args.lapse, 0.1, 0);
    json_decref(root);
    root = json_pack("{s:i, s:i}", "cards", 500, "months", 61);
    dms_error_clear(&err);
    assert_int_equal(dms_bank_projection_args_load_json(root, "/body", &args, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/body/months");
    json_decref(root);
    root = json_pack("{s:f}", "uptake", 0.1);
    dms_error_clear(&err);
    assert_int_equal(dms_bank_projection_args_load_json(root, NULL, &args, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/cards");
    json_decref(root);
    dms_bank_price p;
    memset(&p, 0, sizeof p);
    dms_bank_projection *pr = malloc(sizeof *pr);
    args = dms_bank_projection_args_default();
    args.lapse = 1.5;
    dms_error_clear(&err);
    assert_int_equal(dms_bank_projection_compute(NULL, &p, &args, pr, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/lapse");
    free(pr);
}

static int setup(void **state)
{
    dms_model *model = NULL;
    if (dms_model_load_file("models/ru-2026.json", &model, NULL) != DMS_OK)
        return -1;
    *state = model;
    return 0;
}

static int teardown(void **state)
{
    dms_model_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_price_meets_target),
        cmocka_unit_test(test_shipped_price_plausible),
        cmocka_unit_test(test_anti_selection_under_limits),
        cmocka_unit_test(test_price_rounds_at_the_end),
        cmocka_unit_test(test_projection_reconciles),
        cmocka_unit_test(test_tariff_errors),
        cmocka_unit_test(test_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
