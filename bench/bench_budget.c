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
 * run finds them): the run is reported as a multiple of it. A second
 * baseline, for the option table alone, prices the options of one network
 * for every rating cell the way the table did before it shared work
 * between cells (each option through dms_quote_price_person) and compares
 * its CPU time with the table's own on the same network. A third, for
 * the sensitivity tables: the twenty shocked quotes of the two plans the
 * way the run priced them before (one quote after the other, plan after
 * plan) against the run's way (two quotes at once), from cold caches,
 * best of two alternated, wall and CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * CPU seconds to price every option of space's first network for every
 * rating cell of census, option by option through the quote (as the table
 * did before); -1 on a fault. One person stands for each cell.
 */
static double options_through_quote(const dms_tariff *tariff, const dms_model *model,
                                    const dms_census *census, const dms_budget_space *space)
{
    enum { MAX_CELLS = 1024 };
    static dms_rated_person cells[MAX_CELLS];
    static size_t seen[MAX_CELLS];
    size_t ncells = 0;
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        int age = dms_census_age(p, 2026, 1, 1);
        size_t band, key;
        const dms_region *region = NULL;
        if (dms_model_age_band(model, age < 0 ? 0 : age, &band, NULL) != DMS_OK)
            return -1;
        if (dms_tariff_region_lookup(tariff, p->region, &region, NULL) != DMS_OK)
            region = &tariff->regions[tariff->fallback_region];
        key = (band * 2 + (size_t)p->sex) * tariff->nregions + (size_t)(region - tariff->regions);
        size_t c = 0;
        while (c < ncells && seen[c] != key)
            c++;
        if (c == ncells && ncells < MAX_CELLS) {
            seen[ncells] = key;
            cells[ncells++] = (dms_rated_person){
                .age = model->band_min_age[band], .sex = p->sex, .region = region->code};
        }
    }
    dms_quote_cache_clear();
    double t0 = cpu_now();
    dms_budget_design d;
    memset(&d, 0, sizeof d);
    for (size_t c = 0; c < ncells; c++)
        for (size_t m = 0; m < space->nmodules; m++)
            for (size_t o = 0; o < space->modules[m].noptions; o++) {
                if (!space->modules[m].options[o].included)
                    continue;
                dms_budget_design only = d;
                only.option[m] = o; /* the other modules' lines are not priced */
                dms_plan_segment seg;
                memset(&seg, 0, sizeof seg);
                dms_budget_design_apply(space, &only, &seg);
                for (size_t line = 0; line < seg.nmodules; line++) {
                    if (strcmp(seg.modules[line].code, space->modules[m].module->code) != 0)
                        continue;
                    double claims, gross;
                    if (dms_quote_price_person(tariff, model, "2026-01-01", "2026-12-31",
                                               space->networks[0]->code, &seg.modules[line], 1,
                                               &cells[c], (long)census->count, DMS_SCENARIO_BASE,
                                               &claims, &gross, NULL, NULL) != DMS_OK)
                        return -1;
                }
            }
    return cpu_now() - t0;
}

/* The sensitivity quotes of plan one after the other, as the run did
 * before (three shocks a quote, a short last group borrowing earlier ones). */
static int shocks_one_by_one(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                             const dms_census *census)
{
    dms_plan *shocked = malloc(sizeof *shocked);
    if (shocked == NULL)
        return -1;
    *shocked = *plan;
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    const dms_scenario base = model->scenarios[DMS_SCENARIO_BASE];
    int status = DMS_OK;
    for (size_t first = 0; first < DMS_BUDGET_NSHOCKS && status == DMS_OK;
         first += DMS_SCENARIO_COUNT) {
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            size_t x = first + (size_t)k < DMS_BUDGET_NSHOCKS
                           ? first + (size_t)k
                           : first - ((size_t)k - (DMS_BUDGET_NSHOCKS - first)) - 1;
            shocked->scenario_set[k] = true;
            shocked->scenarios[k].frequency = base.frequency * dms_budget_shocks[x].frequency;
            shocked->scenarios[k].severity = base.severity * dms_budget_shocks[x].severity;
        }
        dms_quote *q = NULL;
        status = dms_quote_compute(tariff, model, shocked, census, &opts, &q, NULL, NULL);
        dms_quote_free(q);
    }
    free(shocked);
    return status;
}

/* The run's sensitivity tables before and now: best wall (and its CPU) of two each. */
static void sensitivity_baseline(const dms_tariff *tariff, const dms_model *model,
                                 const dms_census *census, const char *census_path,
                                 const dms_budget_result *res)
{
    double best_wall[2] = {1e9, 1e9}, best_cpu[2] = {0, 0};
    const dms_plan *plans[2] = {res->within_plan, res->reach_plan};
    dms_budget_comparison *cmp = malloc(sizeof *cmp);
    if (cmp == NULL)
        return;
    for (int round = 0; round < 2; round++)
        for (int way = 0; way < 2; way++) {
            dms_quote_cache_clear();
            double w0 = bench_now(), c0 = cpu_now();
            int status = DMS_OK;
            if (way == 0) {
                for (int p = 0; p < 2 && status == DMS_OK; p++)
                    status = shocks_one_by_one(tariff, model, plans[p], census);
            } else {
                status =
                    dms_budget_compare(tariff, model, census, census_path, plans, 2, cmp, NULL);
            }
            double w = bench_now() - w0, c = cpu_now() - c0;
            if (status != DMS_OK) {
                free(cmp);
                return;
            }
            if (w < best_wall[way]) {
                best_wall[way] = w;
                best_cpu[way] = c;
            }
        }
    free(cmp);
    printf(
        "baseline: the sensitivity quotes of both plans one after the other %.3f s (CPU %.3f s); "
        "two at once, as the run does, %.3f s (CPU %.3f s): %.2fx less wall\n",
        best_wall[0], best_cpu[0], best_wall[1], best_cpu[1], best_wall[0] / best_wall[1]);
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
    double t0 = bench_now(), c0 = cpu_now();
    int status = dms_budget_run(tariff, model, census, census_path, req, &res, NULL);
    double total = bench_now() - t0, total_cpu = cpu_now() - c0;
    if (status != DMS_OK) {
        fprintf(stderr, "bench_budget: run failed: %s\n", dms_strerror(status));
        return 1;
    }
    printf("census %zu people, %zu rating cells, %zu segments (tolerance %.2f; 0 is exact)\n",
           census->count, res->cells, res->nsegments, req->tolerance);
    printf("option table   %8.3f s\n", res->table_seconds);
    printf("solve          %8.3f s  (all segments: best, next-best, +1,000 RUB, target; exact)\n",
           res->solve_seconds);
    printf("whole run      %8.3f s  (with quote verification and 10 shocks x 2 plans), CPU %.3f s "
           "on all threads\n",
           total, total_cpu);
    /* What is left of the run once the table and the solve are done: the
     * checking quotes (10 shocks x 2 plans) and the serial parts between. */
    printf("checks         %8.3f s  (the rest of the run: quote verification, 10 shocks x 2 "
           "plans)\n",
           total - res->table_seconds - res->solve_seconds);
    dms_plan *plan = NULL;
    if (dms_plan_load_file("examples/plans/holding-by-column-2026.json", &plan, &err) == DMS_OK) {
        struct quote_args args = {tariff, model, plan, census};
        double quote_s = bench_us_per_call(run_quote, &args, 1.0, 50) * 1e-6;
        printf("baseline: one quote of the same census %.3f s; the budget run is %.0fx a quote, "
               "the solve %.2fx\n",
               quote_s, total / quote_s, res->solve_seconds / quote_s);
        dms_plan_free(plan);
    }
    sensitivity_baseline(tariff, model, census, census_path, res);
    /* The option table against pricing option by option, one network. */
    dms_budget_space *one = malloc(sizeof *one);
    if (one != NULL) {
        *one = req->space;
        one->nnetworks = 1;
        dms_budget_table *table = NULL;
        double t1 = cpu_now();
        int st = dms_budget_table_alloc(tariff, model, req->plan, census, census_path, one, &table,
                                        NULL);
        double shared = cpu_now() - t1;
        dms_budget_table_free(table);
        double direct = options_through_quote(tariff, model, census, one);
        if (st == DMS_OK && direct > 0)
            printf("baseline: the options of network %s for every cell, option by option through "
                   "the quote %.3f s CPU; the table %.3f s CPU (%.1fx less)\n",
                   one->networks[0]->code, direct, shared, direct / shared);
        free(one);
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
