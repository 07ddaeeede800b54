/*
 * Budget solver tests: the solver against exhaustive search on small design
 * spaces (both goals, many budgets and targets), designs never over budget,
 * the chosen design's price equal to a direct group quote to the kopeck,
 * the sensitivity table, comparisons, and request errors by JSON Pointer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "dms/budget.h"
#include "dms/jsonread.h"
#include "dms/quote.h"

#include "../src/core/products/budget_internal.h"

static const char small_request[] =
    "{\"name\": \"small\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"},"
    " \"segments\": ["
    "  {\"code\": \"young\", \"name_ru\": \"молодые\", \"name_en\": \"Young\","
    "   \"rule\": {\"age_max\": 34}, \"budget_per_head\": 30000},"
    "  {\"code\": \"rest\", \"name_ru\": \"остальные\", \"name_en\": \"Others\","
    "   \"target_value\": 60}],"
    " \"tolerance\": 0, \"mandatory_modules\": [\"outpatient\"],"
    " \"design_space\": {\"networks\": [\"economy\", \"standard\"], \"modules\": ["
    "  {\"module\": \"outpatient\", \"deductibles\": [0, 1000], \"copays\": [0, 0.2]},"
    "  {\"module\": \"dental\", \"deductibles\": [0], \"copays\": [0, 0.3]},"
    "  {\"module\": \"telemedicine\"},"
    "  {\"module\": \"hospital_emergency\", \"required\": true, \"deductibles\": [0, 2000],"
    "   \"copays\": [0]}]}}";

typedef struct fixture {
    dms_tariff *tariff;
    dms_model *model;
    dms_census *census;
    dms_budget_request *request;
    dms_budget_table *table;
} fixture;

static int load_request(const char *text, const dms_tariff *tariff, dms_budget_request **out,
                        dms_error *err)
{
    json_t *root = NULL;
    int status = dms_json_parse_text(text, strlen(text), &root, err);
    if (status == DMS_OK)
        status = dms_budget_request_load_json(root, NULL, tariff, out, err);
    json_decref(root);
    return status;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &f->tariff, &err), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &f->model, &err), DMS_OK);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &f->census, NULL),
                     DMS_OK);
    assert_int_equal(load_request(small_request, f->tariff, &f->request, &err), DMS_OK);
    assert_int_equal(dms_budget_table_alloc(f->tariff, f->model, f->request->plan, f->census,
                                            "startup-60.csv", &f->request->space, &f->table, NULL),
                     DMS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dms_budget_table_free(f->table);
    dms_budget_request_free(f->request);
    dms_census_free(f->census);
    dms_model_free(f->model);
    dms_tariff_free(f->tariff);
    free(f);
    return 0;
}

static bool dms_budget_design_order_equal(const dms_budget_design *a, const dms_budget_design *b,
                                          size_t nmodules)
{
    if (a->network != b->network)
        return false;
    for (size_t m = 0; m < nmodules; m++)
        if (a->option[m] != b->option[m])
            return false;
    return true;
}

static void test_space_sizes(void **state)
{
    fixture *f = *state;
    /* 2 networks x outpatient (mandatory: 4) x dental (off + 2) x telemedicine (off, on)
     * x hospital (required: 2). */
    assert_true(dms_budget_space_size(&f->request->space) == 2.0 * 4 * 3 * 2 * 2);
    dms_budget_space full;
    assert_int_equal(dms_budget_space_default(f->tariff, &full, NULL), DMS_OK);
    /* 4 networks; 7 claims modules x (off + 6 deductibles x 5 co-pays); 2 flat (off, on). */
    assert_true(dms_budget_space_size(&full) == 4.0 * pow(31, 7) * 4);
    assert_int_equal(dms_budget_table_people(f->table, 0) + dms_budget_table_people(f->table, 1),
                     f->census->count);
    assert_true(dms_budget_table_cells(f->table) > 1);
}

static void test_solver_matches_exhaustive(void **state)
{
    fixture *f = *state;
    dms_error err;
    for (size_t s = 0; s < 2; s++) {
        size_t people = dms_budget_table_people(f->table, s);
        assert_true(people > 0);
        for (double budget = 1000; budget <= 80000; budget += 1370) {
            dms_budget_solution fast, slow;
            dms_error_clear(&err);
            assert_int_equal(
                dms_budget_solve(f->table, s, DMS_BUDGET_BEST_WITHIN, budget, 0.0, &fast, &err),
                DMS_OK);
            assert_int_equal(dms_budget_solve_exhaustive(f->table, s, DMS_BUDGET_BEST_WITHIN,
                                                         budget, 1e6, &slow, &err),
                             DMS_OK);
            assert_int_equal(fast.found, slow.found);
            if (!fast.found)
                continue;
            assert_true(fast.value == slow.value);
            assert_int_equal(fast.gross_kopecks, slow.gross_kopecks);
            /* Never over budget, and the table agrees with itself. */
            assert_true(fast.gross_kopecks <= llround(budget * 100) * (int64_t)people);
            int64_t kop;
            double value;
            assert_int_equal(dms_budget_table_evaluate(f->table, s, &fast.design, &kop, &value),
                             DMS_OK);
            assert_int_equal(kop, fast.gross_kopecks);
            /* With a tolerance: still within budget, value within the tolerance. */
            assert_true(dms_budget_design_order_equal(&fast.design, &slow.design, 4));
            dms_budget_solution loose;
            assert_int_equal(
                dms_budget_solve(f->table, s, DMS_BUDGET_BEST_WITHIN, budget, 5.0, &loose, &err),
                DMS_OK);
            assert_true(loose.found);
            assert_true(loose.gross_kopecks <= llround(budget * 100) * (int64_t)people);
            assert_true(loose.value >= slow.value - 5.0);
        }
        for (double target = 0; target <= 100; target += 2.5) {
            dms_budget_solution fast, slow;
            assert_int_equal(
                dms_budget_solve(f->table, s, DMS_BUDGET_CHEAPEST, target, 0.0, &fast, &err),
                DMS_OK);
            assert_int_equal(dms_budget_solve_exhaustive(f->table, s, DMS_BUDGET_CHEAPEST, target,
                                                         1e6, &slow, &err),
                             DMS_OK);
            assert_int_equal(fast.found, slow.found);
            if (!fast.found)
                continue;
            assert_int_equal(fast.gross_kopecks, slow.gross_kopecks);
            assert_true(fast.value == slow.value);
            assert_true(fast.value >= target);
            assert_true(dms_budget_design_order_equal(&fast.design, &slow.design, 4));
        }
    }
}

static void test_design_price_equals_quote(void **state)
{
    fixture *f = *state;
    dms_plan *plan = malloc(sizeof *plan);
    *plan = *f->request->plan;
    dms_budget_solution sol[2];
    assert_int_equal(
        dms_budget_solve(f->table, 0, DMS_BUDGET_BEST_WITHIN, 30000, 0.0, &sol[0], NULL), DMS_OK);
    assert_int_equal(dms_budget_solve(f->table, 1, DMS_BUDGET_CHEAPEST, 60, 0.0, &sol[1], NULL),
                     DMS_OK);
    for (size_t s = 0; s < 2; s++) {
        assert_true(sol[s].found);
        dms_budget_design_apply(&f->request->space, &sol[s].design, &plan->segments[s]);
    }
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(f->tariff, f->model, plan, f->census, &opts, &q, NULL, NULL),
                     DMS_OK);
    for (size_t s = 0; s < 2; s++) {
        assert_int_equal(q->segments[s].total.money[DMS_SCENARIO_BASE].gross_kopecks,
                         sol[s].gross_kopecks);
        /* The table's expected claims paid, module by module, add up to the quote's. */
        double claims = 0.0;
        for (size_t m = 0; m < f->request->space.nmodules; m++) {
            double v, c, p;
            assert_int_equal(dms_budget_table_module(f->table, s, &sol[s].design, m, &v, &c, &p),
                             DMS_OK);
            claims += p;
        }
        assert_close(q->segments[s].total.money[DMS_SCENARIO_BASE].expected_claims /
                         (double)q->segments[s].total.people,
                     claims, 1e-9);
    }
    dms_quote_free(q);
    free(plan);
}

static void test_run_and_sensitivity(void **state)
{
    fixture *f = *state;
    dms_budget_result *res = NULL;
    assert_int_equal(
        dms_budget_run(f->tariff, f->model, f->census, "startup-60.csv", f->request, &res, NULL),
        DMS_OK);
    const dms_budget_segment_result *young = &res->segments[0], *rest = &res->segments[1];
    assert_true(young->within.found);
    assert_false(young->reach.found); /* not asked */
    assert_true(rest->reach.found);
    const dms_budget_sensitivity *sens = &res->within_sensitivity;
    assert_int_equal(sens->gross_kopecks[0][0], young->within.gross_kopecks);
    /* Every shock raises the cost, and more of it costs more. */
    for (size_t x = 1; x < DMS_BUDGET_NSHOCKS; x++)
        assert_true(sens->gross_kopecks[x][0] > sens->gross_kopecks[0][0]);
    for (size_t first = 1; first < DMS_BUDGET_NSHOCKS; first += 3) {
        assert_true(sens->gross_kopecks[first + 1][0] > sens->gross_kopecks[first][0]);
        assert_true(sens->gross_kopecks[first + 2][0] > sens->gross_kopecks[first + 1][0]);
    }
    assert_true(sens->gross_kopecks[DMS_BUDGET_PESSIMISTIC][0] > sens->gross_kopecks[3][0]);
    /* Claims paid grow at most in proportion to a frequency shock (annual
     * limits take part of the rise) and by more than most of it. */
    assert_true(sens->claims[3][0] / sens->claims[0][0] <= 1.3 + 1e-9);
    assert_true(sens->claims[3][0] / sens->claims[0][0] > 1.2);
    assert_true(sens->claims[9][0] / sens->claims[0][0] <= 1.69 + 1e-9);
    assert_true(sens->claims[9][0] / sens->claims[0][0] > 1.5);
    /* Totals add up over segments. */
    assert_int_equal(sens->total_kopecks[5], sens->gross_kopecks[5][0] + sens->gross_kopecks[5][1]);
    json_t *report = dms_report_budget(res, NULL);
    assert_non_null(report);
    json_t *seg0 = json_array_get(json_object_get(report, "segments"), 0);
    json_t *best = json_object_get(seg0, "best_within_budget");
    assert_non_null(best);
    assert_int_equal(json_array_size(json_object_get(best, "sensitivity")), DMS_BUDGET_NSHOCKS);
    json_decref(report);
    dms_budget_result_free(res);
}

/*
 * A plan's numbers under shock x, from one quote with every scenario at
 * that shock, single-threaded and with the caches emptied first: the
 * sensitivity tables (whose quotes price three shocks at a time, several
 * quotes at once, a short last group repeating its last shock) must give
 * these to the kopeck and to the bit.
 */
static void direct_shock(const fixture *f, const dms_plan *plan, size_t x, int64_t *kopecks,
                         double *claims, int64_t *total_kopecks, double *total_claims)
{
    dms_plan *shocked = malloc(sizeof *shocked);
    assert_non_null(shocked);
    *shocked = *plan;
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        shocked->scenario_set[k] = true;
        shocked->scenarios[k].frequency =
            f->model->scenarios[DMS_SCENARIO_BASE].frequency * dms_budget_shocks[x].frequency;
        shocked->scenarios[k].severity =
            f->model->scenarios[DMS_SCENARIO_BASE].severity * dms_budget_shocks[x].severity;
    }
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    opts.single_thread = true;
    opts.census_source = "startup-60.csv";
    dms_quote *q = NULL;
    dms_quote_cache_clear();
    assert_int_equal(
        dms_quote_compute(f->tariff, f->model, shocked, f->census, &opts, &q, NULL, NULL), DMS_OK);
    for (size_t s = 0; s < q->nsegments; s++) {
        kopecks[s] = q->segments[s].total.money[0].gross_kopecks;
        claims[s] = q->segments[s].total.money[0].expected_claims;
    }
    *total_kopecks = q->total.money[0].gross_kopecks;
    *total_claims = q->total.money[0].expected_claims;
    dms_quote_free(q);
    free(shocked);
}

static void assert_shocks_direct(const fixture *f, const dms_plan *plan,
                                 const dms_budget_sensitivity *sens)
{
    assert_int_equal(sens->nsegments, plan->nsegments);
    for (size_t x = 0; x < DMS_BUDGET_NSHOCKS; x++) {
        int64_t kop[DMS_PLAN_MAX_SEGMENTS], total;
        double claims[DMS_PLAN_MAX_SEGMENTS], total_claims;
        direct_shock(f, plan, x, kop, claims, &total, &total_claims);
        for (size_t s = 0; s < plan->nsegments; s++) {
            assert_int_equal(sens->gross_kopecks[x][s], kop[s]);
            assert_true(sens->claims[x][s] == claims[s]);
        }
        assert_int_equal(sens->total_kopecks[x], total);
        assert_true(sens->total_claims[x] == total_claims);
    }
}

static void test_sensitivity_equals_direct_quotes(void **state)
{
    fixture *f = *state;
    dms_budget_result *res = NULL;
    assert_int_equal(
        dms_budget_run(f->tariff, f->model, f->census, "startup-60.csv", f->request, &res, NULL),
        DMS_OK);
    /* The run prices both plans' shocks at once; each shock as a quote of its own. */
    assert_shocks_direct(f, res->within_plan, &res->within_sensitivity);
    assert_shocks_direct(f, res->reach_plan, &res->reach_sensitivity);
    size_t people = 0;
    for (size_t s = 0; s < res->within_sensitivity.nsegments; s++) {
        assert_int_equal(res->within_sensitivity.people[s], res->segments[s].people);
        people += res->within_sensitivity.people[s];
    }
    assert_int_equal(res->within_sensitivity.total_people, people);
    assert_int_equal(res->reach_sensitivity.total_people, people);
    /* One plan alone, and in a comparison run in the other order, from cold
     * caches: the same tables byte for byte. */
    dms_budget_sensitivity alone;
    dms_quote_cache_clear();
    assert_int_equal(dms_budget_sensitivity_compute(f->tariff, f->model, res->reach_plan, f->census,
                                                    "startup-60.csv", &alone, NULL),
                     DMS_OK);
    assert_memory_equal(&alone, &res->reach_sensitivity, sizeof alone);
    const dms_plan *plans[3] = {res->reach_plan, res->within_plan, res->reach_plan};
    dms_budget_comparison *cmp = malloc(sizeof *cmp);
    assert_non_null(cmp);
    dms_quote_cache_clear();
    assert_int_equal(
        dms_budget_compare(f->tariff, f->model, f->census, "startup-60.csv", plans, 3, cmp, NULL),
        DMS_OK);
    assert_memory_equal(&cmp->results[0], &res->reach_sensitivity, sizeof alone);
    assert_memory_equal(&cmp->results[1], &res->within_sensitivity, sizeof alone);
    assert_memory_equal(&cmp->results[2], &res->reach_sensitivity, sizeof alone);
    free(cmp);
    dms_budget_result_free(res);
}

/* A plan the quote refuses: the comparison fails with the quote's own
 * fault, the first in plan order, however its quotes were scheduled. */
static void test_sensitivity_fault_is_the_quotes(void **state)
{
    fixture *f = *state;
    dms_budget_result *res = NULL;
    assert_int_equal(
        dms_budget_run(f->tariff, f->model, f->census, "startup-60.csv", f->request, &res, NULL),
        DMS_OK);
    dms_plan *bad = malloc(sizeof *bad);
    assert_non_null(bad);
    *bad = *res->within_plan;
    snprintf(bad->segments[0].network, sizeof bad->segments[0].network, "%s", "no-such-network");
    dms_diag *direct = NULL, *got = NULL;
    assert_int_equal(dms_diag_alloc(8, &direct), DMS_OK);
    assert_int_equal(dms_diag_alloc(8, &got), DMS_OK);
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    opts.census_source = "startup-60.csv";
    dms_quote *q = NULL;
    int want = dms_quote_compute(f->tariff, f->model, bad, f->census, &opts, &q, direct, NULL);
    assert_int_not_equal(want, DMS_OK);
    assert_null(q);
    const dms_plan *plans[3] = {res->reach_plan, bad, bad};
    dms_budget_comparison *cmp = malloc(sizeof *cmp);
    assert_non_null(cmp);
    assert_int_equal(
        dms_budget_compare(f->tariff, f->model, f->census, "startup-60.csv", plans, 3, cmp, got),
        want);
    assert_true(dms_diag_kept(got) >= 1);
    assert_string_equal(dms_diag_get(got, 0)->message, dms_diag_get(direct, 0)->message);
    assert_int_equal(dms_diag_get(got, 0)->code, dms_diag_get(direct, 0)->code);
    free(cmp);
    dms_diag_free(direct);
    dms_diag_free(got);
    free(bad);
    dms_budget_result_free(res);
}

static void test_compare(void **state)
{
    fixture *f = *state;
    dms_plan *a = NULL, *b = NULL;
    assert_int_equal(dms_plan_load_file("examples/plans/base-2026.json", &a, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/compare/lean-2026.json", &b, NULL), DMS_OK);
    const dms_plan *plans[2] = {a, b};
    dms_budget_comparison cmp;
    assert_int_equal(dms_budget_compare(f->tariff, f->model, f->census, "c", plans, 1, &cmp, NULL),
                     DMS_EINVAL);
    assert_int_equal(dms_budget_compare(f->tariff, f->model, f->census, "c", plans, 2, &cmp, NULL),
                     DMS_OK);
    assert_int_equal(cmp.results[0].total_people, f->census->count);
    assert_true(cmp.results[1].total_kopecks[0] < cmp.results[0].total_kopecks[0]);
    json_t *report = dms_report_budget_compare(&cmp, NULL);
    json_t *row = json_array_get(
        json_object_get(json_array_get(json_object_get(report, "plans"), 1), "scenarios"), 0);
    assert_close(
        json_real_value(json_object_get(row, "difference_total")),
        (double)(cmp.results[1].total_kopecks[0] - cmp.results[0].total_kopecks[0]) / 100.0, 1e-12);
    json_decref(report);
    dms_plan_free(a);
    dms_plan_free(b);
}

static void expect_error(const dms_tariff *tariff, const char *text, int code, const char *path)
{
    dms_budget_request *req = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(load_request(text, tariff, &req, &err), code);
    assert_null(req);
    if (strcmp(err.path, path) != 0) {
        print_error("path '%s' (%s), expected '%s'\n", err.path, err.message, path);
        fail();
    }
}

#define HEAD "{\"name\": \"x\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"}, "
#define SEG "\"segments\": [{\"code\": \"a\", \"name_ru\": \"а\", \"name_en\": \"A\""

static void test_request_errors(void **state)
{
    fixture *f = *state;
    expect_error(f->tariff, HEAD SEG "}]}", DMS_EINVAL, "/segments/0");
    expect_error(f->tariff, HEAD SEG ", \"budget_per_head\": -5}]}", DMS_EINVAL,
                 "/segments/0/budget_per_head");
    expect_error(f->tariff, HEAD SEG ", \"budget_per_head\": 5000, \"network\": \"vip\"}]}",
                 DMS_EINVAL, "/segments/0/network");
    expect_error(f->tariff, HEAD SEG ", \"budget_per_head\": 5000, \"colour\": 1}]}", DMS_EINVAL,
                 "/segments/0/colour");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"design_space\": {\"modules\": "
                          "[{\"module\": \"spa\"}]}}",
                 DMS_EINVAL, "/design_space/modules/0/module");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"design_space\": {\"modules\": "
                          "[{\"module\": \"outpatient\", \"deductibles\": [0, 777]}]}}",
                 DMS_EINVAL, "/design_space/modules/0/deductibles");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"design_space\": {\"modules\": "
                          "[{\"module\": \"telemedicine\", \"copays\": [0.1]}]}}",
                 DMS_EINVAL, "/design_space/modules/0/copays");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"design_space\": {\"networks\": "
                          "[\"gold\"]}}",
                 DMS_EINVAL, "/design_space/networks/0");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"design_space\": {\"size\": 1}}",
                 DMS_EINVAL, "/design_space/size");
    expect_error(f->tariff, HEAD SEG ", \"budget_per_head\": 5000}], \"tolerance\": -1}",
                 DMS_EINVAL, "/tolerance");
}

/* Index of a module code in the space. */
static size_t module_at(const dms_budget_space *space, const char *code)
{
    for (size_t m = 0; m < space->nmodules; m++)
        if (strcmp(space->modules[m].module->code, code) == 0)
            return m;
    fail_msg("module %s not in the space", code);
    return 0;
}

static bool included(const dms_budget_space *space, const dms_budget_design *d, const char *code)
{
    size_t m = module_at(space, code);
    return space->modules[m].options[d->option[m]].included;
}

static void test_value_formula(void **state)
{
    fixture *f = *state;
    const dms_budget_space *space = &f->request->space;
    /* Profile defaults: dental 2, raised to 4 for young staff and families. */
    enum dms_budget_source src;
    assert_true(dms_budget_default_priority("dental", 0, &src) == 2.0);
    assert_int_equal(src, DMS_BUDGET_SOURCE_DEFAULT);
    assert_true(dms_budget_default_priority("dental", DMS_BUDGET_PROFILE_YOUNG, &src) == 4.0);
    assert_int_equal(src, DMS_BUDGET_SOURCE_PROFILE);
    assert_true(dms_budget_default_priority("telemedicine", DMS_BUDGET_PROFILE_REMOTE, NULL) == 5);
    assert_true(dms_budget_default_priority("checkup", DMS_BUDGET_PROFILE_OVER40, NULL) == 5);
    assert_true(
        dms_budget_default_priority("mental_health", DMS_BUDGET_PROFILE_HIGH_STRESS, NULL) == 5);
    /* The young segment (age <= 34) of startup-60 is a young-staff profile. */
    const dms_budget_census_profile *p = dms_budget_table_profile(f->table, 0);
    assert_true(p->employees > 0);
    assert_int_equal(p->young, p->employees);
    assert_true(p->profiles & DMS_BUDGET_PROFILE_YOUNG);
    /* Hand-set weights: outpatient 5, dental 3, telemedicine 2, hospital 0 (sum 10). */
    dms_budget_weights w;
    memset(&w, 0, sizeof w);
    w.min_share = 0.0;
    w.weight[module_at(space, "outpatient")] = 5;
    w.weight[module_at(space, "dental")] = 3;
    w.weight[module_at(space, "telemedicine")] = 2;
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_OK);
    /* Telemedicine is flat: on is worth 100 x 2 / 10 = 20 points in the
     * network where it costs most, 20 x (0.5 + 0.5 sqrt(q)) in the other. */
    dms_budget_design d;
    memset(&d, 0, sizeof d);
    size_t tm = module_at(space, "telemedicine"), de = module_at(space, "dental");
    d.option[tm] = 1;
    double v, c, paid, paid_best = 0, pn[2];
    for (size_t n = 0; n < 2; n++) {
        d.network = n;
        assert_int_equal(dms_budget_table_module(f->table, 0, &d, tm, &v, &c, &pn[n]), DMS_OK);
    }
    for (size_t n = 0; n < 2; n++) {
        d.network = n;
        dms_budget_table_module(f->table, 0, &d, tm, &v, &c, &paid);
        double q = pn[n] / fmax(pn[0], pn[1]);
        assert_close(v, 20.0 * (0.5 + 0.5 * sqrt(q)), 1e-12);
        if (q == 1.0)
            assert_true(v == 20.0);
    }
    /* Dental: the richest option over both networks is worth 30 points; any
     * other 30 x (0.5 + 0.5 sqrt(q)), q its share of the richest claims. */
    for (size_t n = 0; n < 2; n++)
        for (size_t o = 1; o < space->modules[de].noptions; o++) {
            d.network = n;
            d.option[de] = o;
            dms_budget_table_module(f->table, 0, &d, de, &v, &c, &paid);
            paid_best = fmax(paid_best, paid);
        }
    for (size_t n = 0; n < 2; n++)
        for (size_t o = 0; o < space->modules[de].noptions; o++) {
            d.network = n;
            d.option[de] = o;
            dms_budget_table_module(f->table, 0, &d, de, &v, &c, &paid);
            double expect = o == 0 ? 0.0 : 30.0 * (0.5 + 0.5 * sqrt(paid / paid_best));
            assert_close(v, expect, 1e-9);
            /* Richer terms add at most half the weight: adding the module
             * at the same terms always adds more. */
            if (o > 0)
                assert_true(30.0 - v < v);
        }
    /* Weight 0: the module is worth nothing and never chosen. */
    dms_budget_solution sol;
    assert_int_equal(dms_budget_solve(f->table, 0, DMS_BUDGET_BEST_WITHIN, 200000, 0, &sol, NULL),
                     DMS_OK);
    assert_true(sol.found);
    assert_true(included(space, &sol.design, "dental"));
    /* Hospital is required but worth 0: it comes at its cheapest terms. */
    size_t ho = module_at(space, "hospital_emergency");
    double c_chosen, c_other;
    dms_budget_table_module(f->table, 0, &sol.design, ho, &v, &c_chosen, &paid);
    assert_true(v == 0.0);
    d = sol.design;
    d.option[ho] = 1 - sol.design.option[ho];
    dms_budget_table_module(f->table, 0, &d, ho, &v, &c_other, &paid);
    assert_true(c_chosen < c_other);
    /* Out of range weights are refused. */
    w.weight[tm] = 6;
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_EINVAL);
    /* Restore the defaults for the other tests. */
    dms_budget_weights_resolve(f->request, 0, p, &w);
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_OK);
}

/* The first budget (step 250) at which segment 0 gets dental, or INFINITY. */
static double dental_from(dms_budget_table *table, const dms_budget_space *space)
{
    for (double b = 2000; b <= 60000; b += 250) {
        dms_budget_solution sol;
        assert_int_equal(dms_budget_solve(table, 0, DMS_BUDGET_BEST_WITHIN, b, 0, &sol, NULL),
                         DMS_OK);
        if (sol.found && included(space, &sol.design, "dental"))
            return b;
    }
    return INFINITY;
}

static void test_dental_priority_first(void **state)
{
    fixture *f = *state;
    const dms_budget_space *space = &f->request->space;
    dms_budget_weights w;
    dms_budget_weights_resolve(f->request, 0, dms_budget_table_profile(f->table, 0), &w);
    size_t de = module_at(space, "dental");
    w.weight[de] = 5;
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_OK);
    double high = dental_from(f->table, space);
    w.weight[de] = 1;
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_OK);
    double low = dental_from(f->table, space);
    assert_true(isfinite(high));
    assert_true(high < low);
    dms_budget_weights_resolve(f->request, 0, dms_budget_table_profile(f->table, 0), &w);
    assert_int_equal(dms_budget_table_set_weights(f->table, 0, &w), DMS_OK);
}

static void test_mandatory_always_in(void **state)
{
    fixture *f = *state;
    const dms_budget_space *space = &f->request->space;
    size_t op = module_at(space, "outpatient");
    for (size_t o = 0; o < space->modules[op].noptions; o++)
        assert_true(space->modules[op].options[o].included);
    for (size_t s = 0; s < 2; s++)
        for (double b = 1000; b <= 80000; b += 999) {
            dms_budget_solution sol;
            assert_int_equal(
                dms_budget_solve(f->table, s, DMS_BUDGET_BEST_WITHIN, b, 0, &sol, NULL), DMS_OK);
            if (sol.found)
                assert_true(included(space, &sol.design, "outpatient"));
        }
    /* The default list: outpatient and emergency, added to a design space
     * that leaves emergency out, and never with an "off" option. */
    dms_budget_request *req = NULL;
    assert_int_equal(
        load_request("{\"name\": \"m\", \"period\": {\"from\": \"2026-01-01\", \"to\": "
                     "\"2026-12-31\"}, \"segments\": [{\"code\": \"a\", \"name_ru\": \"а\", "
                     "\"name_en\": \"A\", \"budget_per_head\": 20000}], \"design_space\": "
                     "{\"modules\": [{\"module\": \"dental\"}, {\"module\": \"outpatient\"}]}}",
                     f->tariff, &req, NULL),
        DMS_OK);
    assert_int_equal(req->nmandatory, 2);
    assert_int_equal(req->space.nmodules, 3);
    for (size_t m = 0; m < 3; m++) {
        const dms_budget_module_space *ms = &req->space.modules[m];
        bool mand = strcmp(ms->module->code, "dental") != 0;
        assert_int_equal(ms->options[0].included, mand);
    }
    assert_string_equal(req->space.modules[2].module->code, "emergency");
    dms_budget_request_free(req);
}

static void test_survey_and_hr(void **state)
{
    fixture *f = *state;
    /* A survey of 4 answers is not used; 5 are; HR's priority wins over both. */
    static const char fmt[] =
        "{\"name\": \"s\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"},"
        " \"segments\": [{\"code\": \"a\", \"name_ru\": \"а\", \"name_en\": \"A\","
        " \"budget_per_head\": 20000, \"priorities\": {\"checkup\": 0}}],"
        " \"priorities\": {\"mental_health\": 3},"
        " \"survey\": {\"segments\": [{\"segment\": \"a\", \"respondents\": %d,"
        " \"ratings\": {\"dental\": 4.6, \"checkup\": 5, \"telemedicine\": 0.4}}]}}";
    char text[1024];
    for (int n = 4; n <= 5; n++) {
        snprintf(text, sizeof text, fmt, n);
        dms_budget_request *req = NULL;
        assert_int_equal(load_request(text, f->tariff, &req, NULL), DMS_OK);
        dms_budget_weights w;
        dms_budget_census_profile prof = {.profiles = DMS_BUDGET_PROFILE_REMOTE};
        dms_budget_weights_resolve(req, 0, &prof, &w);
        size_t de = module_at(&req->space, "dental"), tm = module_at(&req->space, "telemedicine");
        size_t ck = module_at(&req->space, "checkup"), mh = module_at(&req->space, "mental_health");
        assert_int_equal(w.survey_respondents, (size_t)n);
        assert_int_equal(w.survey_used, n >= 5);
        if (n < 5) {
            assert_true(w.weight[de] == 2 && w.source[de] == DMS_BUDGET_SOURCE_DEFAULT);
            assert_true(w.weight[tm] == 5 && w.source[tm] == DMS_BUDGET_SOURCE_PROFILE);
        } else {
            assert_true(w.weight[de] == 4.6 && w.source[de] == DMS_BUDGET_SOURCE_SURVEY);
            assert_true(w.weight[tm] == 0.4 && w.source[tm] == DMS_BUDGET_SOURCE_SURVEY);
        }
        assert_true(w.weight[ck] == 0 && w.source[ck] == DMS_BUDGET_SOURCE_HR);
        assert_true(w.weight[mh] == 3 && w.source[mh] == DMS_BUDGET_SOURCE_HR);
        dms_budget_request_free(req);
    }
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"priorities\": {\"dental\": 7}}",
                 DMS_EINVAL, "/priorities/dental");
    expect_error(f->tariff, HEAD SEG ", \"budget_per_head\": 5000, \"profiles\": [\"pilots\"]}]}",
                 DMS_EINVAL, "/segments/0/profiles/0");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"survey\": {\"segments\": "
                          "[{\"segment\": \"zz\", \"respondents\": 9, \"ratings\": {}}]}}",
                 DMS_EINVAL, "/survey/segments/0/segment");
    expect_error(f->tariff,
                 HEAD SEG ", \"budget_per_head\": 5000}], \"mandatory_modules\": [\"spa\"]}",
                 DMS_EINVAL, "/mandatory_modules/0");
}

/* The explanation against brute force over the small space. */
static void test_explanation(void **state)
{
    fixture *f = *state;
    const dms_budget_space *space = &f->request->space;
    dms_budget_result *res = NULL;
    assert_int_equal(
        dms_budget_run(f->tariff, f->model, f->census, "startup-60.csv", f->request, &res, NULL),
        DMS_OK);
    const dms_budget_segment_result *sr = &res->segments[0];
    assert_true(sr->within.found);
    int64_t budget = llround(sr->target.budget_per_head * 100) * (int64_t)sr->people;
    int64_t more = llround((sr->target.budget_per_head + 1000) * 100) * (int64_t)sr->people;
    dms_budget_solution next = {0}, plus = {0};
    dms_budget_design d;
    memset(&d, 0, sizeof d);
    for (d.network = 0; d.network < space->nnetworks; d.network++)
        for (d.option[0] = 0; d.option[0] < space->modules[0].noptions; d.option[0]++)
            for (d.option[1] = 0; d.option[1] < space->modules[1].noptions; d.option[1]++)
                for (d.option[2] = 0; d.option[2] < space->modules[2].noptions; d.option[2]++)
                    for (d.option[3] = 0; d.option[3] < space->modules[3].noptions; d.option[3]++) {
                        if (!dms_budget_table_usable(f->table, 0, &d))
                            continue;
                        int64_t kop;
                        double v;
                        dms_budget_table_evaluate(f->table, 0, &d, &kop, &v);
                        bool other = false;
                        for (size_t m = 0; m < 4; m++)
                            other =
                                other ||
                                space->modules[m].options[d.option[m]].included !=
                                    space->modules[m].options[sr->within.design.option[m]].included;
                        if (other && kop <= budget &&
                            (!next.found || v > next.value ||
                             (v == next.value && kop < next.gross_kopecks)))
                            next = (dms_budget_solution){
                                .found = true, .design = d, .gross_kopecks = kop, .value = v};
                        if (kop <= more && (!plus.found || v > plus.value ||
                                            (v == plus.value && kop < plus.gross_kopecks)))
                            plus = (dms_budget_solution){
                                .found = true, .design = d, .gross_kopecks = kop, .value = v};
                    }
    assert_int_equal(sr->next.found, next.found);
    if (next.found) {
        assert_true(sr->next.value == next.value);
        assert_int_equal(sr->next.gross_kopecks, next.gross_kopecks);
        assert_true(sr->next.value <= sr->within.value);
    }
    assert_true(sr->more.found);
    assert_true(sr->more.value == plus.value);
    assert_int_equal(sr->more.gross_kopecks, plus.gross_kopecks);
    assert_true(sr->more.value >= sr->within.value);
    /* The breakdown adds up to the design's value. */
    double sum = 0;
    for (size_t m = 0; m < space->nmodules; m++)
        sum += sr->within_breakdown.value[m];
    assert_close(sum, sr->within.value, 1e-9);
    json_t *report = dms_report_budget(res, NULL);
    json_t *exp =
        json_object_get(json_object_get(json_array_get(json_object_get(report, "segments"), 0),
                                        "best_within_budget"),
                        "explanation");
    assert_int_equal(json_array_size(json_object_get(exp, "why")), space->nmodules);
    assert_non_null(json_object_get(exp, "one_more_1000_per_head"));
    json_decref(report);
    dms_budget_result_free(res);
}

/*
 * Golden: the designs chosen for the example budgets file, so that a faster
 * solver (issue 17) can show identical results. Regenerate with
 * DMS_GOLDEN_UPDATE=1.
 */
/* The designs chosen for a budgets file, one line per segment and answer. */
static void golden_check(const fixture *f, const char *census_path, const char *budgets_path,
                         const char *golden_path)
{
    dms_census *census = NULL;
    dms_budget_request *req = NULL;
    dms_budget_result *res = NULL;
    assert_int_equal(dms_census_load_file(census_path, &census, NULL), DMS_OK);
    assert_int_equal(dms_budget_request_load_file(budgets_path, f->tariff, &req, NULL), DMS_OK);
    assert_int_equal(dms_budget_run(f->tariff, f->model, census, census_path, req, &res, NULL),
                     DMS_OK);
    char got[8192];
    size_t len = 0;
    for (size_t s = 0; s < res->nsegments; s++) {
        const dms_budget_segment_result *sr = &res->segments[s];
        const dms_budget_solution *sols[4] = {&sr->within, &sr->next, &sr->more, &sr->reach};
        static const char *const names[4] = {"best", "next", "more", "reach"};
        for (size_t k = 0; k < 4; k++) {
            const dms_budget_solution *sol = sols[k];
            if (!sol->found) {
                len += (size_t)snprintf(got + len, sizeof got - len, "%s %s none\n",
                                        sr->segment->code, names[k]);
                continue;
            }
            len +=
                (size_t)snprintf(got + len, sizeof got - len, "%s %s network=%s", sr->segment->code,
                                 names[k], req->space.networks[sol->design.network]->code);
            for (size_t m = 0; m < req->space.nmodules; m++)
                len += (size_t)snprintf(got + len, sizeof got - len, " %zu", sol->design.option[m]);
            len += (size_t)snprintf(got + len, sizeof got - len, " kopecks=%lld value=%.6f\n",
                                    (long long)sol->gross_kopecks, sol->value);
        }
    }
    if (getenv("DMS_GOLDEN_UPDATE") != NULL) {
        FILE *out = fopen(golden_path, "w");
        assert_non_null(out);
        fputs(got, out);
        fclose(out);
    }
    FILE *in = fopen(golden_path, "r");
    assert_non_null(in);
    char want[8192];
    size_t n = fread(want, 1, sizeof want - 1, in);
    want[n] = '\0';
    fclose(in);
    assert_string_equal(got, want);
    dms_budget_result_free(res);
    dms_budget_request_free(req);
    dms_census_free(census);
}

/*
 * Golden: the designs chosen for the example budgets files, so that a
 * faster solver (issue 17) can show identical results. The holding example
 * (5,000 people, about 12 s) runs only with DMS_BUDGET_SLOW=1. Regenerate
 * with DMS_GOLDEN_UPDATE=1.
 */
static void test_golden_designs(void **state)
{
    fixture *f = *state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        return; /* prices the whole design space: the plain and sanitizer runs check it */
    golden_check(f, "examples/census/startup-60.csv", "examples/budgets/startup-young-2026.json",
                 "tests/golden/budget/startup-young-2026.txt");
    if (getenv("DMS_BUDGET_SLOW") != NULL)
        golden_check(f, "examples/census/holding-5000.csv", "examples/budgets/holding-2026.json",
                     "tests/golden/budget/holding-2026.txt");
}

/*
 * The option table's pricer (budget_price.c) prices a claims module's
 * options for many cells at once, sharing work between them; each price
 * must be the very double the quote gives that person for that option
 * (dms_quote_price_person). One person per segment, so that the table's
 * claims per head is the person's own: eight people in different age
 * bands, sexes and regions, every network, every module and option of the
 * full design space (a few options under valgrind).
 */
static const char exact_census[] =
    "Табельный номер;Связь;Дата рождения;Пол;Регион;Подразделение;Сегмент;Режим работы\n"
    "1;сотрудник;01.03.1958;М;Москва;A;p0;офис\n"
    "2;сотрудник;15.07.1999;Ж;Москва;A;p1;офис\n"
    "3;сотрудник;20.11.1984;М;Санкт-Петербург;A;p2;офис\n"
    "4;сотрудник;02.02.1970;Ж;Казань;A;p3;офис\n"
    "5;сотрудник;09.09.1991;М;Регионы;A;p4;офис\n"
    "6;сотрудник;30.04.1963;Ж;Регионы;A;p5;офис\n"
    "7;сотрудник;12.12.2004;М;Казань;A;p6;офис\n"
    "8;сотрудник;05.05.1977;М;Москва;A;p7;офис\n";

static void test_table_prices_equal_quote(void **state)
{
    fixture *f = *state;
    bool small = getenv("DMS_UNDER_VALGRIND") != NULL;
    char request[4096];
    size_t len = (size_t)snprintf(
        request, sizeof request,
        "{\"name\": \"exact\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"},"
        " \"segment_by\": \"column\", \"mandatory_modules\": [], \"segments\": [");
    for (int i = 0; i < 8; i++)
        len += (size_t)snprintf(request + len, sizeof request - len,
                                "%s{\"code\": \"p%d\", \"name_ru\": \"p%d\", \"name_en\": \"p%d\","
                                " \"budget_per_head\": 50000}",
                                i ? ", " : "", i, i, i);
    len += (size_t)snprintf(
        request + len, sizeof request - len, "]%s}",
        small ? ", \"design_space\": {\"modules\": ["
                "{\"module\": \"outpatient\", \"deductibles\": [0, 3000],"
                " \"copays\": [0.1]}, {\"module\": \"dental\", \"copays\": [0, 0.3],"
                " \"deductibles\": [0]},"
                " {\"module\": \"checkup\"}]}"
              : "");
    dms_budget_request *req = NULL;
    dms_census *census = NULL;
    dms_budget_table *table = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(load_request(request, f->tariff, &req, &err), DMS_OK);
    assert_int_equal(
        dms_census_parse_csv(exact_census, strlen(exact_census), "exact", &census, NULL), DMS_OK);
    assert_int_equal(dms_budget_table_alloc(f->tariff, f->model, req->plan, census, "exact",
                                            &req->space, &table, NULL),
                     DMS_OK);
    const dms_budget_space *space = &req->space;
    size_t compared = 0;
    for (size_t s = 0; s < census->count; s++) {
        const dms_person *p = &census->people[s];
        assert_int_equal(dms_budget_table_people(table, s), 1);
        dms_rated_person person = {
            .age = dms_census_age(p, 2026, 1, 1), .sex = p->sex, .region = p->region};
        dms_budget_design d;
        memset(&d, 0, sizeof d);
        for (d.network = 0; d.network < space->nnetworks; d.network++)
            for (size_t m = 0; m < space->nmodules; m++) {
                const dms_budget_module_space *ms = &space->modules[m];
                for (size_t o = 0; o < ms->noptions; o++) {
                    if (!ms->options[o].included)
                        continue;
                    d.option[m] = o;
                    dms_plan_segment seg;
                    memset(&seg, 0, sizeof seg);
                    dms_budget_design only = d;
                    for (size_t k = 0; k < space->nmodules; k++)
                        if (k != m)
                            only.option[k] = 0; /* off: only module m is in the segment */
                    dms_budget_design_apply(space, &only, &seg);
                    size_t line = 0;
                    while (line < seg.nmodules && strcmp(seg.modules[line].code, ms->module->code))
                        line++;
                    assert_true(line < seg.nmodules);
                    double claims, gross;
                    assert_int_equal(
                        dms_quote_price_person(f->tariff, f->model, "2026-01-01", "2026-12-31",
                                               space->networks[d.network]->code, &seg.modules[line],
                                               1, &person, (long)census->count, DMS_SCENARIO_BASE,
                                               &claims, &gross, NULL, &err),
                        DMS_OK);
                    double value, cost, paid;
                    assert_int_equal(dms_budget_table_module(table, s, &d, m, &value, &cost, &paid),
                                     DMS_OK);
                    if (paid != claims)
                        print_error("%s %s option %zu (deductible %g, co-pay %g): table %.17g, "
                                    "quote %.17g\n",
                                    space->networks[d.network]->code, ms->module->code, o,
                                    ms->options[o].deductible, ms->options[o].copay, paid, claims);
                    assert_true(paid == claims);
                    compared++;
                }
                d.option[m] = 0;
            }
    }
    assert_true(compared >= (small ? 8 * 4 * 4u : 8 * 4 * 200u));
    dms_budget_table_free(table);
    dms_census_free(census);
    dms_budget_request_free(req);
}

/*
 * The pricer's shared steps must follow the engine's own rules, not merely
 * fall back to the engine: with the full option lists of the claims modules
 * and cells that share severities (two regions, two networks, ages on both
 * sides of several bands), it reports that it shared (no fallback), and its
 * prices are the quote's to the bit. A change of the engine's grid or
 * method rules fails here, telling which constants of budget_price.c to
 * follow.
 */
static void test_pricer_follows_engine(void **state)
{
    fixture *f = *state;
    bool small = getenv("DMS_UNDER_VALGRIND") != NULL;
    dms_budget_space space;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_budget_space_default(f->tariff, &space, &err), DMS_OK);
    double trend;
    assert_int_equal(dms_model_trend_years(f->model, "2026-01-01", "2026-12-31", &trend, &err),
                     DMS_OK);
    static const struct {
        int age;
        int sex;
        const char *region;
    } people[] = {{3, 0, "moscow"}, {27, 1, "moscow"}, {27, 1, "other"},
                  {44, 0, "spb"},   {44, 1, "spb"},    {61, 0, "million_plus"}};
    enum { NPEOPLE = sizeof people / sizeof people[0], NNET = 2 };
    dms_budget_law laws[NPEOPLE * NNET];
    double out[NPEOPLE * NNET * DMS_BUDGET_MAX_OPTIONS];
    for (size_t m = 0; m < space.nmodules; m++) {
        dms_budget_module_space *ms = &space.modules[m];
        if (ms->module->type != DMS_MODULE_CLAIMS)
            continue;
        if (small && ms->noptions > 4)
            ms->noptions = 4;
        const dms_model_module *mod = dms_model_find(f->model, ms->module->code);
        assert_non_null(mod);
        for (size_t n = 0; n < NNET; n++)
            for (size_t i = 0; i < NPEOPLE; i++) {
                const dms_region *region = NULL;
                size_t band;
                assert_int_equal(
                    dms_tariff_region_lookup(f->tariff, people[i].region, &region, NULL), DMS_OK);
                assert_int_equal(dms_model_age_band(f->model, people[i].age, &band, &err), DMS_OK);
                dms_model_adjust adj = dms_model_adjust_neutral();
                adj.network_frequency = space.networks[n]->frequency_factor;
                adj.network_cost = space.networks[n]->cost_factor;
                adj.region = region->factor;
                adj.trend_years = trend;
                adj.scenario = f->model->scenarios[DMS_SCENARIO_BASE];
                dms_model_rated rated;
                assert_int_equal(
                    dms_model_rate(f->model, mod, band, people[i].sex, &adj, &rated, &err), DMS_OK);
                laws[n * NPEOPLE + i] = (dms_budget_law){rated.frequency, rated.severity};
            }
        assert_int_equal(dms_budget_price_claims(ms, laws, NPEOPLE * NNET, out, &err), DMS_OK);
        for (size_t n = 0; n < NNET; n++)
            for (size_t i = 0; i < NPEOPLE; i++)
                for (size_t o = 0; o < ms->noptions; o++) {
                    double got = out[(n * NPEOPLE + i) * ms->noptions + o];
                    if (!ms->options[o].included) {
                        assert_true(got == 0.0);
                        continue;
                    }
                    dms_budget_design d;
                    memset(&d, 0, sizeof d);
                    d.option[m] = o;
                    dms_plan_segment seg;
                    memset(&seg, 0, sizeof seg);
                    dms_budget_design_apply(&space, &d, &seg);
                    size_t line = 0;
                    while (strcmp(seg.modules[line].code, ms->module->code) != 0)
                        line++;
                    dms_rated_person person = {people[i].age, (enum dms_sex)people[i].sex,
                                               people[i].region};
                    double claims, gross;
                    assert_int_equal(dms_quote_price_person(
                                         f->tariff, f->model, "2026-01-01", "2026-12-31",
                                         space.networks[n]->code, &seg.modules[line], 1, &person,
                                         60, DMS_SCENARIO_BASE, &claims, &gross, NULL, &err),
                                     DMS_OK);
                    assert_true(got == claims);
                }
    }
}

static void test_solve_errors(void **state)
{
    fixture *f = *state;
    dms_budget_solution sol;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_budget_solve(f->table, 7, DMS_BUDGET_BEST_WITHIN, 1000, 0, &sol, &err),
                     DMS_EINVAL);
    assert_int_equal(dms_budget_solve(f->table, 0, DMS_BUDGET_BEST_WITHIN, NAN, 0, &sol, NULL),
                     DMS_EINVAL);
    assert_int_equal(dms_budget_solve(f->table, 0, DMS_BUDGET_BEST_WITHIN, 100, -1, &sol, NULL),
                     DMS_EINVAL);
    assert_int_equal(
        dms_budget_solve_exhaustive(f->table, 0, DMS_BUDGET_BEST_WITHIN, 100, 10, &sol, NULL),
        DMS_ETOOBIG);
    /* A budget below the admin fee alone buys nothing. */
    assert_int_equal(dms_budget_solve(f->table, 0, DMS_BUDGET_BEST_WITHIN, 100, 0, &sol, NULL),
                     DMS_OK);
    assert_false(sol.found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space_sizes),
        cmocka_unit_test(test_solver_matches_exhaustive),
        cmocka_unit_test(test_design_price_equals_quote),
        cmocka_unit_test(test_run_and_sensitivity),
        cmocka_unit_test(test_sensitivity_equals_direct_quotes),
        cmocka_unit_test(test_sensitivity_fault_is_the_quotes),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_solve_errors),
        cmocka_unit_test(test_value_formula),
        cmocka_unit_test(test_dental_priority_first),
        cmocka_unit_test(test_mandatory_always_in),
        cmocka_unit_test(test_survey_and_hr),
        cmocka_unit_test(test_explanation),
        cmocka_unit_test(test_golden_designs),
        cmocka_unit_test(test_table_prices_equal_quote),
        cmocka_unit_test(test_pricer_follows_engine),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
