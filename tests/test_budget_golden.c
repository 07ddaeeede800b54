/*
 * Budget golden files: the budget run's reports on the example budgets
 * files and censuses, byte for byte, so that a faster option table or
 * solver (issue 17) shows it gives the same designs and the same kopecks.
 *
 * - tests/golden/budget/run/<case>.json and .txt: the JSON report and the
 *   table the CLI prints (dms_report_budget with the CLI's dump flags,
 *   dms_report_budget_table), for the startup census with and without the
 *   survey and for the 5,000-person holding census (the bench run), and the
 *   plan comparison of examples/compare.
 * - tests/golden/budget/run/<case>.table: the option table itself, read
 *   through its public interface: per segment, network, module and option
 *   the value points, linear cost per head and claims paid per head (%.9g),
 *   and the exact kopecks of a fixed pseudo-random sample of designs. A
 *   change that moves any per-cell price across a kopeck moves these.
 *
 * Regenerate with DMS_GOLDEN_UPDATE=1 (only when a change of results is
 * intended and explained). Under valgrind (DMS_UNDER_VALGRIND) only the
 * comparison runs: the budget runs price the whole design space.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "dms/budget.h"
#include "dms/jsonread.h"
#include "dms/report.h"

#define GOLDEN_DIR "tests/golden/budget/run/"
#define SAMPLE_DESIGNS 400 /* designs per segment whose kopecks are pinned */

typedef struct fixture {
    dms_tariff *tariff;
    dms_model *model;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dms_error err;
    dms_error_clear(&err);
    if (f == NULL ||
        dms_tariff_load_file("tariffs/corporate-2026.json", &f->tariff, &err) != DMS_OK ||
        dms_model_load_file("models/ru-2026.json", &f->model, &err) != DMS_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dms_tariff_free(f->tariff);
    dms_model_free(f->model);
    free(f);
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *more = realloc(buf, cap *= 2);
            if (more == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    fclose(in);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Compares text with the golden file name (or writes it under DMS_GOLDEN_UPDATE). */
static void golden_compare(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, GOLDEN_DIR "%s", name);
    if (getenv("DMS_GOLDEN_UPDATE") != NULL) {
        FILE *out = fopen(path, "wb");
        assert_non_null(out);
        assert_int_equal(fwrite(text, 1, len, out), len);
        assert_int_equal(fclose(out), 0);
    }
    size_t want_len = 0;
    char *want = read_all(path, &want_len);
    if (want == NULL) {
        print_error("golden file %s is missing (DMS_GOLDEN_UPDATE=1 writes it)\n", path);
        fail();
    }
    if (want_len != len || memcmp(want, text, len) != 0) {
        /* Name the first line that differs: the whole file is too long to print. */
        size_t i = 0, line = 1;
        while (i < len && i < want_len && text[i] == want[i])
            line += text[i++] == '\n';
        print_error("%s differs from the golden file from line %zu on\n", path, line);
        free(want);
        fail();
    }
    free(want);
}

/* A growing text buffer (open_memstream). */
typedef struct text {
    char *buf;
    size_t len;
    FILE *out;
} text;

static void text_open(text *t)
{
    t->buf = NULL;
    t->len = 0;
    t->out = open_memstream(&t->buf, &t->len);
    assert_non_null(t->out);
}

static void text_close(text *t)
{
    assert_int_equal(fclose(t->out), 0);
}

/* xorshift64: the same sample of designs on every machine. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * The option table of the run's request, read through its public
 * interface with the run's priorities: what the solver sees.
 */
static void table_fingerprint(const fixture *f, const dms_census *census, const char *census_path,
                              const dms_budget_request *req, const dms_budget_result *res,
                              FILE *out)
{
    dms_budget_table *table = NULL;
    assert_int_equal(dms_budget_table_alloc(f->tariff, f->model, req->plan, census, census_path,
                                            &req->space, &table, NULL),
                     DMS_OK);
    const dms_budget_space *space = &req->space;
    fprintf(out, "cells %zu\n", dms_budget_table_cells(table));
    for (size_t s = 0; s < req->plan->nsegments; s++) {
        assert_int_equal(dms_budget_table_set_weights(table, s, &res->segments[s].weights), DMS_OK);
        fprintf(out, "segment %s people %zu\n", req->plan->segments[s].code,
                dms_budget_table_people(table, s));
        if (dms_budget_table_people(table, s) == 0)
            continue;
        dms_budget_design d;
        memset(&d, 0, sizeof d);
        for (d.network = 0; d.network < space->nnetworks; d.network++)
            for (size_t m = 0; m < space->nmodules; m++)
                for (size_t o = 0; o < space->modules[m].noptions; o++) {
                    double value, cost, claims;
                    d.option[m] = o;
                    assert_int_equal(
                        dms_budget_table_module(table, s, &d, m, &value, &cost, &claims), DMS_OK);
                    fprintf(out, "%s %s %zu: %.9g %.9g %.9g\n", space->networks[d.network]->code,
                            space->modules[m].module->code, o, value, cost, claims);
                    d.option[m] = 0;
                }
        uint64_t seed = 0x9e3779b97f4a7c15ull + s;
        for (size_t i = 0; i < SAMPLE_DESIGNS; i++) {
            d.network = (size_t)(next_random(&seed) % space->nnetworks);
            for (size_t m = 0; m < space->nmodules; m++)
                d.option[m] = (size_t)(next_random(&seed) % space->modules[m].noptions);
            int64_t kopecks;
            double value;
            assert_int_equal(dms_budget_table_evaluate(table, s, &d, &kopecks, &value), DMS_OK);
            fprintf(out, "design %zu", d.network);
            for (size_t m = 0; m < space->nmodules; m++)
                fprintf(out, " %zu", d.option[m]);
            fprintf(out, ": %" PRId64 " %.9f%s\n", kopecks, value,
                    dms_budget_table_usable(table, s, &d) ? "" : " unusable");
        }
    }
    dms_budget_table_free(table);
}

/* Runs a budgets file (with an optional survey file in place of its "survey"). */
static void golden_run(const fixture *f, const char *census_path, const char *budgets_path,
                       const char *survey_path, const char *name, bool with_table)
{
    dms_census *census = NULL;
    dms_budget_request *req = NULL;
    dms_budget_result *res = NULL;
    json_t *root = NULL, *survey = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_census_load_file(census_path, &census, NULL), DMS_OK);
    assert_int_equal(dms_json_load_file(budgets_path, &root, &err), DMS_OK);
    if (survey_path != NULL) {
        assert_int_equal(dms_json_load_file(survey_path, &survey, &err), DMS_OK);
        assert_int_equal(json_object_set(root, "survey", survey), 0);
    }
    assert_int_equal(dms_budget_request_load_json(root, NULL, f->tariff, &req, &err), DMS_OK);
    assert_int_equal(dms_budget_run(f->tariff, f->model, census, census_path, req, &res, NULL),
                     DMS_OK);

    char file[256];
    json_t *report = dms_report_budget(res, &err);
    assert_non_null(report);
    char *dump = json_dumps(report, DMS_JSON_DUMP_FLAGS | JSON_INDENT(2));
    assert_non_null(dump);
    snprintf(file, sizeof file, "%s.json", name);
    golden_compare(file, dump, strlen(dump));
    free(dump);
    json_decref(report);

    text t;
    text_open(&t);
    assert_int_equal(dms_report_budget_table(res, t.out), DMS_OK);
    text_close(&t);
    snprintf(file, sizeof file, "%s.txt", name);
    golden_compare(file, t.buf, t.len);
    free(t.buf);

    if (with_table) {
        text_open(&t);
        table_fingerprint(f, census, census_path, req, res, t.out);
        text_close(&t);
        snprintf(file, sizeof file, "%s.table", name);
        golden_compare(file, t.buf, t.len);
        free(t.buf);
    }
    dms_budget_result_free(res);
    dms_budget_request_free(req);
    json_decref(survey);
    json_decref(root);
    dms_census_free(census);
}

static bool under_valgrind(void)
{
    return getenv("DMS_UNDER_VALGRIND") != NULL;
}

/* Each run prices the whole design space: under valgrind only the plain and
 * sanitizer runs check them (as test_budget's golden designs). */
static void test_startup(void **state)
{
    if (under_valgrind())
        skip();
    golden_run(*state, "examples/census/startup-60.csv", "examples/budgets/startup-young-2026.json",
               NULL, "startup-young", true);
}

static void test_startup_survey(void **state)
{
    if (under_valgrind())
        skip();
    golden_run(*state, "examples/census/startup-60.csv", "examples/budgets/startup-young-2026.json",
               "examples/budgets/survey-startup-2026.json", "startup-young-survey", false);
}

/* The bench run: 5,000 people, the full design space. */
static void test_holding(void **state)
{
    if (under_valgrind())
        skip();
    golden_run(*state, "examples/census/holding-5000.csv", "examples/budgets/holding-2026.json",
               NULL, "holding", true);
}

static void test_compare(void **state)
{
    const fixture *f = *state;
    const char *census_path = "examples/census/startup-60.csv";
    dms_census *census = NULL;
    dms_plan *plans[2] = {NULL, NULL};
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_census_load_file(census_path, &census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/compare/base-2026.json", &plans[0], &err),
                     DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/compare/lean-2026.json", &plans[1], &err),
                     DMS_OK);
    dms_budget_comparison cmp;
    assert_int_equal(dms_budget_compare(f->tariff, f->model, census, census_path,
                                        (const dms_plan *const *)plans, 2, &cmp, NULL),
                     DMS_OK);
    json_t *report = dms_report_budget_compare(&cmp, &err);
    assert_non_null(report);
    char *dump = json_dumps(report, DMS_JSON_DUMP_FLAGS | JSON_INDENT(2));
    assert_non_null(dump);
    golden_compare("compare-startup.json", dump, strlen(dump));
    free(dump);
    json_decref(report);
    text t;
    text_open(&t);
    assert_int_equal(dms_report_budget_compare_table(&cmp, t.out), DMS_OK);
    text_close(&t);
    golden_compare("compare-startup.txt", t.buf, t.len);
    free(t.buf);
    dms_plan_free(plans[0]);
    dms_plan_free(plans[1]);
    dms_census_free(census);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup),
        cmocka_unit_test(test_startup_survey),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_holding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
