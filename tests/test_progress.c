/*
 * Tests of progress on long work (issue 17): the reporter alone (what the
 * callback sees only grows, ends at exactly 1, is thinned, survives odd
 * inputs), a real budget run and a claims register parse with a recorder
 * (monotone from 0 to 1 through the named stages, and the same answer as
 * without progress, to the kopeck), the register template read, and the CLI's plain lines when
 * stderr is not a terminal.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/budget.h"
#include "dms/census.h"
#include "dms/claims.h"
#include "dms/file.h"
#include "dms/model.h"
#include "dms/progress.h"
#include "dms/register.h"
#include "dms/tariff.h"
#include "run_command.h"

#define MAX_CALLS 4096

typedef struct recorder {
    size_t n;
    double f[MAX_CALLS];
    const char *stage[MAX_CALLS];
} recorder;

static void record(void *user, double fraction, const char *stage)
{
    recorder *r = user;
    assert_true(r->n < MAX_CALLS);
    r->f[r->n] = fraction;
    r->stage[r->n] = stage;
    r->n++;
}

/* Monotone, within [0, 1], ending at exactly 1. */
static void assert_monotone_to_one(const recorder *r)
{
    assert_true(r->n >= 2);
    for (size_t i = 0; i < r->n; i++) {
        assert_true(r->f[i] >= 0.0 && r->f[i] <= 1.0);
        if (i > 0 && r->f[i] < r->f[i - 1])
            fail_msg("call %zu went back from %g to %g", i, r->f[i - 1], r->f[i]);
    }
    assert_true(r->f[r->n - 1] == 1.0);
}

static bool saw_stage(const recorder *r, const char *stage)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->stage[i], stage) == 0)
            return true;
    return false;
}

static void reporter(void **state)
{
    (void)state;
    recorder *r = calloc(1, sizeof *r);
    dms_progress p = dms_progress_make(record, r);
    dms_progress_part(&p, 0.0, 0.5, "first");
    for (int i = 0; i <= 1000000; i++) /* a million steps: thinned */
        dms_progress_step(&p, i, 1000000);
    assert_true(r->n <= 1 + 101 + 1);
    assert_true(fabs(r->f[r->n - 1] - 0.5) < 1e-12);
    /* a part that starts before the last report cannot move it back */
    dms_progress_part(&p, 0.3, 0.9, "second");
    dms_progress_step(&p, 0, 10);
    dms_progress_step(&p, 5, 10);
    dms_progress_step(&p, -3, 10);  /* clamped */
    dms_progress_step(&p, 50, 10);  /* clamped */
    dms_progress_step(&p, NAN, 10); /* ignored or clamped, never NaN out */
    dms_progress_step(&p, 1, 0);    /* no total: ignored */
    dms_progress_finish(&p);
    dms_progress_finish(&p); /* once only */
    assert_monotone_to_one(r);
    assert_true(r->f[r->n - 2] < 1.0);
    assert_true(saw_stage(r, "first") && saw_stage(r, "second") && saw_stage(r, "done"));
    for (size_t i = 0; i < r->n; i++)
        assert_false(isnan(r->f[i]));
    /* NULL and a reporter without a function are no-ops */
    dms_progress_part(NULL, 0, 1, "x");
    dms_progress_step(NULL, 1, 2);
    dms_progress_finish(NULL);
    dms_progress none = dms_progress_make(NULL, NULL);
    dms_progress_step(&none, 1, 2);
    dms_progress_finish(&none);
    free(r);
}

static void budget_run(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        skip(); /* two budget runs take minutes under valgrind; the reporter test covers it */
    dms_error err;
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_census *census = NULL;
    dms_budget_request *request = NULL;
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, &err), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &model, &err), DMS_OK);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_budget_request_load_file("examples/budgets/startup-young-2026.json",
                                                  tariff, &request, &err),
                     DMS_OK);
    recorder *r = calloc(1, sizeof *r);
    dms_progress p = dms_progress_make(record, r);
    dms_budget_run_options options = {.progress = &p};
    dms_budget_result *with = NULL, *without = NULL;
    assert_int_equal(
        dms_budget_run_with(tariff, model, census, "census", request, &options, &with, NULL),
        DMS_OK);
    assert_int_equal(dms_budget_run(tariff, model, census, "census", request, &without, NULL),
                     DMS_OK);
    assert_monotone_to_one(r);
    assert_true(r->f[0] == 0.0);
    assert_true(saw_stage(r, "pricing the design space"));
    assert_true(saw_stage(r, "solving each segment"));
    assert_true(saw_stage(r, "checking the designs reaching the target"));
    assert_int_equal(with->nsegments, without->nsegments);
    for (size_t s = 0; s < with->nsegments; s++) {
        assert_int_equal(with->segments[s].within.gross_kopecks,
                         without->segments[s].within.gross_kopecks);
        assert_int_equal(with->segments[s].reach.gross_kopecks,
                         without->segments[s].reach.gross_kopecks);
    }
    dms_budget_result_free(with);
    dms_budget_result_free(without);
    dms_budget_request_free(request);
    dms_census_free(census);
    dms_model_free(model);
    dms_tariff_free(tariff);
    free(r);
}

/* An example file's text (free it). */
static char *example(const char *path, size_t *len)
{
    char *text = NULL;
    dms_error err;
    assert_int_equal(dms_file_read(path, 0, NULL, &text, len, &err), DMS_OK);
    return text;
}

/* After a parse that had the part [0, to]: it reached the part's end, and
 * finishing takes the whole to 1, monotonically. */
static void assert_part_then_finish(recorder *r, dms_progress *p, double to)
{
    assert_true(r->n >= 2);
    assert_true(fabs(r->f[r->n - 1] - to) < 1e-9);
    dms_progress_finish(p);
    assert_monotone_to_one(r);
}

static void claims_parse(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = example("examples/claims/register-2025.csv", &len);
    recorder *r = calloc(1, sizeof *r);
    dms_progress p = dms_progress_make(record, r);
    dms_progress_part(&p, 0.0, 0.5, "reading");
    dms_claims_parse_options options = {.progress = &p};
    dms_register *a = NULL, *b = NULL;
    assert_int_equal(dms_claims_parse_csv_with(text, len, "r.csv", &options, &a, NULL, NULL),
                     DMS_OK);
    assert_part_then_finish(r, &p, 0.5); /* by bytes */
    assert_int_equal(dms_claims_parse_csv(text, len, "r.csv", &b, NULL, NULL), DMS_OK);
    assert_int_equal(a->count, b->count);
    dms_register_free(a);
    dms_register_free(b);
    free(text);
    free(r);
}

/* The bulk changes of the register: the template read steps by rows. */
static void template_read(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = example("examples/register/attach-2026.csv", &len);
    dms_error err;
    recorder *r = calloc(1, sizeof *r);
    dms_progress p = dms_progress_make(record, r);
    dms_progress_part(&p, 0.0, 0.7, "reading");
    dms_insured_read_options options = {.progress = &p};
    dms_insured_batch *a = NULL, *b = NULL;
    assert_int_equal(
        dms_insured_template_read_with(text, len, DMS_INSURED_AUTO, "t.csv", &options, &a, &err),
        DMS_OK);
    assert_part_then_finish(r, &p, 0.7); /* by rows */
    assert_int_equal(dms_insured_template_read(text, len, DMS_INSURED_AUTO, "t.csv", &b, &err),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(a), dms_insured_batch_issue_count(b));
    dms_insured_batch_free(a);
    dms_insured_batch_free(b);
    free(text);
    free(r);
}

/* Not a terminal: plain lines, from 0 % to 100 %. */
static void cli_lines(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        skip();
    char *argv[] = {"dmsrate",   "budget",
                    "--census",  "examples/census/startup-60.csv",
                    "--budgets", "examples/budgets/startup-young-2026.json",
                    NULL};
    struct command_result res = run_dmsrate(argv);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.err, "budget: 0% pricing the design space\n"));
    assert_non_null(strstr(res.err, "budget: 100% done\n"));
    assert_null(strchr(res.err, '\r'));      /* no bar redraws in a log */
    assert_null(strstr(res.out, "budget:")); /* results stay clean */
    command_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reporter),     cmocka_unit_test(budget_run),
        cmocka_unit_test(claims_parse), cmocka_unit_test(template_read),
        cmocka_unit_test(cli_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
