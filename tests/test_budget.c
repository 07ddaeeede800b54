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

static const char small_request[] =
    "{\"name\": \"small\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"},"
    " \"segments\": ["
    "  {\"code\": \"young\", \"name_ru\": \"молодые\", \"name_en\": \"Young\","
    "   \"rule\": {\"age_max\": 34}, \"budget_per_head\": 30000},"
    "  {\"code\": \"rest\", \"name_ru\": \"остальные\", \"name_en\": \"Others\","
    "   \"target_value\": 15000}],"
    " \"tolerance\": 0,"
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

static void test_space_sizes(void **state)
{
    fixture *f = *state;
    /* 2 networks x outpatient (off + 4) x dental (off + 2) x telemedicine (off, on)
     * x hospital (required: 2). */
    assert_true(dms_budget_space_size(&f->request->space) == 2.0 * 5 * 3 * 2 * 2);
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
            dms_budget_solution loose;
            assert_int_equal(
                dms_budget_solve(f->table, s, DMS_BUDGET_BEST_WITHIN, budget, 50.0, &loose, &err),
                DMS_OK);
            assert_true(loose.found);
            assert_true(loose.gross_kopecks <= llround(budget * 100) * (int64_t)people);
            assert_true(loose.value >= slow.value - 50.0);
        }
        for (double target = 0; target <= 40000; target += 1111) {
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
    assert_int_equal(dms_budget_solve(f->table, 1, DMS_BUDGET_CHEAPEST, 15000, 0.0, &sol[1], NULL),
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
        assert_close(q->segments[s].total.money[DMS_SCENARIO_BASE].expected_claims /
                         (double)q->segments[s].total.people,
                     sol[s].value, 1e-9);
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
    /* Claims scale exactly with a frequency or severity shock absent limits
     * close to binding: within 1% of 1.3 and 1.69. */
    assert_close(sens->claims[3][0] / sens->claims[0][0], 1.3, 0.01);
    assert_close(sens->claims[9][0] / sens->claims[0][0], 1.69, 0.03);
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
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_solve_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
