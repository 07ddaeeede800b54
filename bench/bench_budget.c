/*
 * Budget benchmark: the full design space of the sample tariff (every
 * network; every module off or on; claims modules with every allowed
 * deductible x co-pay) for the 5,000-person holding census with the
 * per-segment budgets of examples/budgets/holding-2026.json under the value
 * model (mandatory modules, per-segment priorities, diminishing returns):
 * time to price the option table, to solve every segment exactly (best
 * within budget, its next-best package, the design for 1,000 RUB more per
 * head, and the cheapest design reaching the target score), and the whole
 * run with quote verification and the sensitivity table. The baseline in the same run is
 * one plain group quote of the same census (holding-by-column plan, no
 * percentiles), cold (the quote's cell caches emptied first, as the budget
 * run finds them): the run is reported as a multiple of it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"
#include "dms/budget.h"
#include "dms/quote.h"

struct quote_args {
    const dms_tariff *tariff;
    const dms_model *model;
    const dms_plan *plan;
    const dms_census *census;
};

static void run_quote(void *arg)
{
    const struct quote_args *a = arg;
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    dms_quote *q = NULL;
    dms_quote_cache_clear(); /* a cold quote: the budget run starts cold too */
    if (dms_quote_compute(a->tariff, a->model, a->plan, a->census, &opts, &q, NULL, NULL) != DMS_OK)
        exit(1);
    dms_quote_free(q);
}

int main(void)
{
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_census *census = NULL;
    dms_budget_request *req = NULL;
    dms_budget_result *res = NULL;
    dms_error err;
    dms_error_clear(&err);
    const char *census_path = "examples/census/holding-5000.csv";
    if (dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, &err) != DMS_OK ||
        dms_model_load_file("models/ru-2026.json", &model, &err) != DMS_OK ||
        dms_census_load_file(census_path, &census, NULL) != DMS_OK ||
        dms_budget_request_load_file("examples/budgets/holding-2026.json", tariff, &req, &err) !=
            DMS_OK) {
        fprintf(stderr, "bench_budget: inputs: %s\n", err.message);
        return 1;
    }
    printf("design space: %zu networks x", req->space.nnetworks);
    for (size_t m = 0; m < req->space.nmodules; m++)
        printf(" %zu", req->space.modules[m].noptions);
    printf(" options per module = %.4g designs\n", dms_budget_space_size(&req->space));
    double t0 = bench_now();
    int status = dms_budget_run(tariff, model, census, census_path, req, &res, NULL);
    double total = bench_now() - t0;
    if (status != DMS_OK) {
        fprintf(stderr, "bench_budget: run failed: %s\n", dms_strerror(status));
        return 1;
    }
    printf("census %zu people, %zu rating cells, %zu segments (tolerance %.2f; 0 is exact)\n",
           census->count, res->cells, res->nsegments, req->tolerance);
    printf("option table   %8.3f s\n", res->table_seconds);
    printf("solve          %8.3f s  (all segments: best, next-best, +1,000 RUB, target; exact)\n",
           res->solve_seconds);
    printf("whole run      %8.3f s  (with quote verification and 10 shocks x 2 plans)\n", total);
    dms_plan *plan = NULL;
    if (dms_plan_load_file("examples/plans/holding-by-column-2026.json", &plan, &err) == DMS_OK) {
        struct quote_args args = {tariff, model, plan, census};
        double quote_s = bench_us_per_call(run_quote, &args, 1.0, 50) * 1e-6;
        printf("baseline: one quote of the same census %.3f s; the budget run is %.0fx a quote, "
               "the solve %.2fx\n",
               quote_s, total / quote_s, res->solve_seconds / quote_s);
        dms_plan_free(plan);
    }
    for (size_t s = 0; s < res->nsegments; s++) {
        const dms_budget_segment_result *sr = &res->segments[s];
        printf("  %-12s %5zu people: within budget %s (score %.2f, %zu designs priced exactly), "
               "target %s (%zu)\n",
               sr->segment->code, sr->people, sr->within.found ? "found" : "-", sr->within.value,
               sr->within.evaluated, sr->reach.found ? "found" : "-", sr->reach.evaluated);
    }
    dms_budget_result_free(res);
    dms_budget_request_free(req);
    dms_census_free(census);
    dms_model_free(model);
    dms_tariff_free(tariff);
    return 0;
}
