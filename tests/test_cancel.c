/*
 * Cancelling long computations: the cancel hooks of the group quote, the
 * budget run and comparison, the funding comparison and the crisis
 * endorsement. A hook that never fires must leave every number as it is
 * (the JSON reports byte for byte against a run without a hook); a hook
 * that fires at its N-th poll, for several N from the first poll to late
 * in the run, must stop the computation with DMS_ETOOBIG "the computation
 * was cancelled" (and its Russian form), no result, nothing leaked (ASan,
 * valgrind), and a run afterwards must again give the same numbers (no
 * half-computed cache entry). A hook that fires on a clock measures how
 * long the threads take to stop. DMS_UNDER_VALGRIND shrinks the runs.
 */
#include "testutil.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "dms/budget.h"
#include "dms/crisis.h"
#include "dms/file.h"
#include "dms/funding.h"
#include "dms/jsonread.h"
#include "dms/quote.h"
#include "dms/report.h"

#include "../src/core/products/budget_internal.h"

static dms_tariff *tariff;
static dms_model *model;

static bool under_valgrind(void)
{
    return getenv("DMS_UNDER_VALGRIND") != NULL;
}

static int setup(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);
    if (dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, &err) != DMS_OK ||
        dms_model_load_file("models/ru-2026.json", &model, &err) != DMS_OK) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dms_tariff_free(tariff);
    dms_model_free(model);
    return 0;
}

/* A hook that says yes from its (fire_after + 1)-th poll on; the gates
 * call it one thread at a time, so plain counters do. */
typedef struct counter {
    unsigned long polls, fire_after;
} counter;

static bool count_polls(void *ctx)
{
    counter *c = ctx;
    return ++c->polls > c->fire_after;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A hook that says yes once its deadline has passed, noting when it first did. */
typedef struct clock_hook {
    double deadline, fired_at;
    unsigned long polls;
} clock_hook;

static bool past_deadline(void *ctx)
{
    clock_hook *c = ctx;
    c->polls++;
    if (now() < c->deadline)
        return false;
    if (c->fired_at == 0)
        c->fired_at = now();
    return true;
}

static void assert_cancel_error(const dms_diag *diag)
{
    assert_true(dms_diag_kept(diag) >= 1);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_int_equal(e->code, DMS_ETOOBIG);
    assert_string_equal(e->message, "the computation was cancelled");
    assert_string_equal(e->message_ru, "расчёт отменён");
}

/* ---- the group quote ---- */

typedef struct quote_case {
    dms_census *census;
    dms_plan *plan;
} quote_case;

static void quote_case_load(quote_case *qc, const char *census, const char *plan)
{
    assert_int_equal(dms_census_load_file(census, &qc->census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file(plan, &qc->plan, NULL), DMS_OK);
}

static void quote_case_free(quote_case *qc)
{
    dms_census_free(qc->census);
    dms_plan_free(qc->plan);
}

/* A run's JSON report as sorted text, every double to the bit (the report
 * is freed). */
static char *dump_report(json_t *report)
{
    assert_non_null(report);
    char *dump = json_dumps(report, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    assert_non_null(dump);
    json_decref(report);
    return dump;
}

/* Runs the quote cold with hook (NULL: none); the JSON report, or NULL with
 * the status in *status and the diag checked by the caller. */
static char *run_quote(const quote_case *qc, bool single_thread, bool (*hook)(void *), void *ctx,
                       int *status, dms_diag *diag)
{
    dms_quote_cache_clear(); /* every run does the same work, so polls count alike */
    dms_quote_options options = dms_quote_options_default();
    options.single_thread = single_thread;
    options.cancelled = hook;
    options.cancel_ctx = ctx;
    dms_quote *q = NULL;
    *status = dms_quote_compute(tariff, model, qc->plan, qc->census, &options, &q, diag, NULL);
    if (*status != DMS_OK) {
        assert_null(q);
        return NULL;
    }
    dms_error err;
    dms_error_clear(&err);
    char *dump = dump_report(dms_report_quote(q, &err));
    dms_quote_free(q);
    return dump;
}

static void quote_cancels_at_every_point(bool single_thread)
{
    quote_case qc;
    quote_case_load(&qc, "examples/census/startup-60.csv", "examples/plans/personalised-2026.json");
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    int status;
    char *plain = run_quote(&qc, single_thread, NULL, NULL, &status, diag);
    assert_int_equal(status, DMS_OK);
    counter never = {0, ULONG_MAX};
    char *hooked = run_quote(&qc, single_thread, count_polls, &never, &status, diag);
    assert_int_equal(status, DMS_OK);
    assert_string_equal(hooked, plain); /* a hook that never fires changes nothing */
    /* The last points stay 5% short of the total: threads sharing the
     * quote's caches may find a price the other computed, so a run's polls
     * vary a little. */
    unsigned long total = never.polls;
    /* per cell and scenario, per module aggregate, per cell of the distribution */
    assert_true(total > 20);
    unsigned long points[] = {
        0, 1, 2, 7, total / 4, total / 2, 3 * total / 4, total - total / 20 - 1};
    size_t npoints = under_valgrind() ? 3 : sizeof points / sizeof points[0];
    for (size_t i = 0; i < npoints; i++) {
        dms_diag_clear(diag);
        counter c = {0, points[i]};
        char *none = run_quote(&qc, single_thread, count_polls, &c, &status, diag);
        if (status != DMS_ETOOBIG && dms_diag_kept(diag) > 0)
            print_error("at poll %lu of %lu: %s\n", points[i], total,
                        dms_diag_get(diag, 0)->message);
        assert_null(none);
        assert_int_equal(status, DMS_ETOOBIG);
        assert_cancel_error(diag);
        /* The first yes stops the threads: a few polls past it at most
         * (each running scenario thread's next poll returns at once). */
        assert_true(c.polls == points[i] + 1);
    }
    /* nothing half-made was kept: the same numbers afterwards, warm and cold */
    dms_diag_clear(diag);
    dms_quote_options options = dms_quote_options_default();
    options.single_thread = single_thread;
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(tariff, model, qc.plan, qc.census, &options, &q, diag, NULL),
                     DMS_OK);
    dms_quote_free(q);
    char *again = run_quote(&qc, single_thread, NULL, NULL, &status, diag);
    assert_string_equal(again, plain);
    free(again);
    free(hooked);
    free(plain);
    dms_diag_free(diag);
    quote_case_free(&qc);
}

static void test_quote_cancels_at_every_point(void **state)
{
    (void)state;
    quote_cancels_at_every_point(false);
}

static void test_quote_cancels_single_thread(void **state)
{
    (void)state;
    quote_cancels_at_every_point(true);
}

/* A large quote cancelled on a clock stops within a few tens of ms. */
static void test_quote_stops_promptly(void **state)
{
    (void)state;
    quote_case qc;
    quote_case_load(&qc, "examples/census/holding-5000.csv",
                    "examples/plans/holding-by-column-2026.json");
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    double delay =
        under_valgrind() ? 0.5 : 0.01; /* a fraction of the cold quote, fast machine or not */
    clock_hook c = {now() + delay, 0, 0};
    int status;
    double start = now();
    char *none = run_quote(&qc, false, past_deadline, &c, &status, diag);
    double end = now();
    assert_null(none);
    assert_int_equal(status, DMS_ETOOBIG);
    assert_cancel_error(diag);
    assert_true(c.fired_at > 0);
    double lag = end - c.fired_at;
    fprintf(stderr,
            "quote of 5,000 people cancelled after %.3f s: stopped %.1f ms after the hook "
            "said yes (%lu polls)\n",
            c.fired_at - start, 1e3 * lag, c.polls);
    assert_true(lag < (under_valgrind() ? 5.0 : 0.5));
    dms_diag_free(diag);
    quote_case_free(&qc);
}

/* ---- the budget run ---- */

static char *run_budget(const dms_census *census, const dms_budget_request *req,
                        bool (*hook)(void *), void *ctx, int *status, dms_diag *diag)
{
    dms_quote_cache_clear();
    dms_budget_run_options options = {.cancelled = hook, .cancel_ctx = ctx};
    dms_budget_result *res = NULL;
    *status = dms_budget_run_with(tariff, model, census, "census", req, &options, &res, diag);
    if (*status != DMS_OK) {
        assert_null(res);
        return NULL;
    }
    dms_error err;
    dms_error_clear(&err);
    char *dump = dump_report(dms_report_budget(res, &err));
    dms_budget_result_free(res);
    return dump;
}

static void test_budget_cancels_at_every_point(void **state)
{
    (void)state;
    dms_census *census = NULL;
    dms_budget_request *req = NULL;
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_json_load_file("examples/budgets/startup-young-2026.json", &root, &err),
                     DMS_OK);
    assert_int_equal(dms_budget_request_load_json(root, NULL, tariff, &req, &err), DMS_OK);
    json_decref(root);
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    int status;
    unsigned long total = 60; /* under valgrind the full runs are skipped */
    char *plain = NULL;
    if (!under_valgrind()) {
        plain = run_budget(census, req, NULL, NULL, &status, diag);
        assert_int_equal(status, DMS_OK);
        counter never = {0, ULONG_MAX};
        char *hooked = run_budget(census, req, count_polls, &never, &status, diag);
        assert_int_equal(status, DMS_OK);
        assert_string_equal(hooked, plain);
        free(hooked);
        total = never.polls;
        /* table units, segments, checking quotes and the cells inside them */
        assert_true(total > 40);
    }
    unsigned long points[] = {
        0, 1, 5, total / 8, total / 4, total / 2, 3 * total / 4, total - total / 20 - 1};
    size_t npoints = under_valgrind() ? 2 : sizeof points / sizeof points[0];
    for (size_t i = 0; i < npoints; i++) {
        dms_diag_clear(diag);
        counter c = {0, points[i]};
        char *none = run_budget(census, req, count_polls, &c, &status, diag);
        assert_null(none);
        assert_int_equal(status, DMS_ETOOBIG);
        assert_cancel_error(diag);
        assert_true(c.polls == points[i] + 1);
    }
    if (plain != NULL) {
        dms_diag_clear(diag);
        char *again = run_budget(census, req, NULL, NULL, &status, diag);
        assert_int_equal(status, DMS_OK);
        assert_string_equal(again, plain);
        free(again);
    }
    free(plain);
    dms_diag_free(diag);
    dms_budget_request_free(req);
    dms_census_free(census);
}

/* The option table's pricer cut along the options' terms (as it is when a
 * hook is given) gives the very doubles of the one engine call, for every
 * claims module of the full design space; and stops when told. */
static void test_price_claims_cut_is_exact(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);
    static dms_budget_space space;
    assert_int_equal(dms_budget_space_default(tariff, &space, &err), DMS_OK);
    static const struct {
        int age, sex;
        const char *region;
    } people[] = {{3, 0, "moscow"}, {27, 1, "other"}, {44, 0, "spb"}, {61, 1, "million_plus"}};
    enum { NPEOPLE = sizeof people / sizeof people[0] };
    static dms_budget_law laws[NPEOPLE];
    static double one[NPEOPLE * DMS_BUDGET_MAX_OPTIONS], cut[NPEOPLE * DMS_BUDGET_MAX_OPTIONS];
    size_t tried = 0;
    for (size_t m = 0; m < space.nmodules; m++) {
        dms_budget_module_space *ms = &space.modules[m];
        if (ms->module->type != DMS_MODULE_CLAIMS)
            continue;
        if (under_valgrind() && ms->noptions > 6)
            ms->noptions = 6;
        const dms_model_module *mod = dms_model_find(model, ms->module->code);
        assert_non_null(mod);
        for (size_t i = 0; i < NPEOPLE; i++) {
            const dms_region *region = NULL;
            size_t band;
            assert_int_equal(dms_tariff_region_lookup(tariff, people[i].region, &region, NULL),
                             DMS_OK);
            assert_int_equal(dms_model_age_band(model, people[i].age, &band, &err), DMS_OK);
            dms_model_adjust adj = dms_model_adjust_neutral();
            adj.region = region->factor;
            dms_model_rated rated;
            assert_int_equal(dms_model_rate(model, mod, band, people[i].sex, &adj, &rated, &err),
                             DMS_OK);
            laws[i] = (dms_budget_law){rated.frequency, rated.severity};
        }
        assert_int_equal(dms_budget_price_claims(ms, laws, NPEOPLE, one, &err), DMS_OK);
        counter never = {0, ULONG_MAX};
        assert_int_equal(
            dms_budget_price_claims_polled(ms, laws, NPEOPLE, count_polls, &never, cut, &err),
            DMS_OK);
        assert_memory_equal(one, cut, NPEOPLE * ms->noptions * sizeof one[0]);
        assert_true(never.polls >= 1);
        counter soon = {0, never.polls / 2};
        assert_int_equal(
            dms_budget_price_claims_polled(ms, laws, NPEOPLE, count_polls, &soon, cut, &err),
            DMS_ETOOBIG);
        assert_string_equal(err.message, "the computation was cancelled");
        tried++;
    }
    assert_true(tried >= 4);
}

/* The plan comparison (POST /v1/compare) polls its quotes alike. */
static void test_compare_cancels(void **state)
{
    (void)state;
    dms_census *census = NULL;
    dms_plan *plans[2] = {NULL, NULL};
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/compare/base-2026.json", &plans[0], NULL),
                     DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/compare/lean-2026.json", &plans[1], NULL),
                     DMS_OK);
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    const dms_plan *const *list = (const dms_plan *const *)plans;
    dms_budget_comparison plain, hooked;
    dms_quote_cache_clear();
    assert_int_equal(dms_budget_compare(tariff, model, census, "census", list, 2, &plain, diag),
                     DMS_OK);
    dms_quote_cache_clear();
    counter never = {0, ULONG_MAX};
    dms_budget_run_options options = {.cancelled = count_polls, .cancel_ctx = &never};
    assert_int_equal(
        dms_budget_compare_with(tariff, model, census, "census", list, 2, &options, &hooked, diag),
        DMS_OK);
    assert_memory_equal(plain.results, hooked.results, sizeof plain.results);
    unsigned long points[] = {0, 3, never.polls / 2, never.polls - never.polls / 20 - 1};
    size_t npoints = under_valgrind() ? 2 : sizeof points / sizeof points[0];
    for (size_t i = 0; i < npoints; i++) {
        dms_quote_cache_clear();
        dms_diag_clear(diag);
        counter c = {0, points[i]};
        options.cancel_ctx = &c;
        assert_int_equal(dms_budget_compare_with(tariff, model, census, "census", list, 2, &options,
                                                 &hooked, diag),
                         DMS_ETOOBIG);
        assert_cancel_error(diag);
        assert_true(c.polls == points[i] + 1);
    }
    dms_diag_free(diag);
    dms_plan_free(plans[0]);
    dms_plan_free(plans[1]);
    dms_census_free(census);
}

/* ---- the funding comparison and the crisis endorsement ---- */

/* One product run over a quote_case with hook (NULL: none): the JSON
 * report, or NULL with the status in *status. */
typedef char *(*product_run)(const quote_case *qc, bool (*hook)(void *), void *ctx, int *status,
                             dms_diag *diag);

static char *run_funding(const quote_case *qc, bool (*hook)(void *), void *ctx, int *status,
                         dms_diag *diag)
{
    dms_quote_cache_clear();
    dms_funding_terms terms = dms_funding_terms_default();
    dms_funding_run_options options = {.cancelled = hook, .cancel_ctx = ctx};
    dms_funding_result res;
    *status = dms_funding_run_with(tariff, model, qc->plan, qc->census, "census", &terms,
                                   hook != NULL ? &options : NULL, &res, diag);
    if (*status != DMS_OK)
        return NULL;
    dms_error err;
    dms_error_clear(&err);
    return dump_report(dms_report_funding(&res, &err));
}

static char *run_crisis(const quote_case *qc, bool (*hook)(void *), void *ctx, int *status,
                        dms_diag *diag)
{
    dms_quote_cache_clear();
    dms_crisis_terms terms;
    memset(&terms, 0, sizeof terms);
    snprintf(terms.from, sizeof terms.from, "2026-04-01");
    terms.months = 3;
    terms.frequency_shock = 1.25;
    terms.nmodules = 2;
    snprintf(terms.modules[0], sizeof terms.modules[0], "checkup");
    snprintf(terms.modules[1], sizeof terms.modules[1], "telemedicine");
    dms_crisis_price_options options = {.cancelled = hook, .cancel_ctx = ctx};
    dms_crisis_result res;
    *status = dms_crisis_price_with(tariff, model, qc->plan, qc->census, "census", &terms,
                                    hook != NULL ? &options : NULL, &res, diag);
    if (*status != DMS_OK)
        return NULL;
    dms_error err;
    dms_error_clear(&err);
    return dump_report(dms_report_crisis(&res, &err));
}

/* A hook that never fires changes no byte of the report; one that fires at
 * its N-th poll stops the run with the cancel error, and the next run gives
 * the same report again. */
static void product_cancels(product_run run, unsigned long min_polls)
{
    quote_case qc;
    quote_case_load(&qc, "examples/census/startup-60.csv", "examples/plans/personalised-2026.json");
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    int status;
    char *plain = run(&qc, NULL, NULL, &status, diag);
    assert_int_equal(status, DMS_OK);
    counter never = {0, ULONG_MAX};
    char *hooked = run(&qc, count_polls, &never, &status, diag);
    assert_int_equal(status, DMS_OK);
    assert_string_equal(hooked, plain);
    unsigned long total = never.polls;
    assert_true(total > min_polls); /* the hook reached the quotes */
    unsigned long points[] = {0, 1, total / 3, total / 2, total - total / 20 - 1};
    size_t npoints = under_valgrind() ? 2 : sizeof points / sizeof points[0];
    for (size_t i = 0; i < npoints; i++) {
        dms_diag_clear(diag);
        counter c = {0, points[i]};
        char *none = run(&qc, count_polls, &c, &status, diag);
        assert_null(none);
        assert_int_equal(status, DMS_ETOOBIG);
        assert_cancel_error(diag);
        assert_true(c.polls == points[i] + 1);
    }
    dms_diag_clear(diag);
    char *again = run(&qc, NULL, NULL, &status, diag);
    assert_int_equal(status, DMS_OK);
    assert_string_equal(again, plain);
    free(again);
    free(hooked);
    free(plain);
    dms_diag_free(diag);
    quote_case_free(&qc);
}

static void test_funding_cancels(void **state)
{
    (void)state;
    product_cancels(run_funding, 20);
}

/* Three quotes (current, shocked, enhanced): points in the later ones too. */
static void test_crisis_cancels(void **state)
{
    (void)state;
    product_cancels(run_crisis, 60);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_cancels_at_every_point),
        cmocka_unit_test(test_quote_cancels_single_thread),
        cmocka_unit_test(test_quote_stops_promptly),
        cmocka_unit_test(test_budget_cancels_at_every_point),
        cmocka_unit_test(test_compare_cancels),
        cmocka_unit_test(test_price_claims_cut_is_exact),
        cmocka_unit_test(test_funding_cancels),
        cmocka_unit_test(test_crisis_cancels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
