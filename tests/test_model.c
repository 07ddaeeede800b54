/*
 * Actuarial model loader and rating: the shipped model loads, age bands and
 * trend years are right at their boundaries, rated cells equal hand-computed
 * values, and every validation error names the exact JSON Pointer (each
 * broken variant is the valid test model with one edit).
 */
#include "testutil.h"
#include "jsonedit.h"

#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/model.h"

#define SMALL "tests/data/models/small.json"

static dms_model *load_small(void)
{
    dms_model *m = NULL;
    dms_error err;
    dms_error_clear(&err);
    jsonedit_expect_ok(dms_model_load_file(SMALL, &m, &err), &err);
    return m;
}

static void test_load_shipped(void **state)
{
    (void)state;
    dms_model *m = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &m, &err), DMS_OK);
    assert_string_equal(m->version, "ru-2026.1");
    assert_int_equal(m->nbands, 8);
    static const char *const codes[] = {"outpatient",         "home_visits",      "emergency",
                                        "hospital_emergency", "hospital_planned", "dental",
                                        "telemedicine",       "checkup",          "mental_health"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const dms_model_module *mod = dms_model_find(m, codes[i]);
        if (mod == NULL)
            print_error("module %s missing\n", codes[i]);
        assert_non_null(mod);
        assert_true(mod->name_ru[0] != '\0' && mod->name_en[0] != '\0');
        bool flat = strcmp(codes[i], "telemedicine") == 0 || strcmp(codes[i], "checkup") == 0;
        assert_int_equal(mod->type, flat ? DMS_MODULE_FLAT : DMS_MODULE_CLAIMS);
    }
    assert_null(dms_model_find(m, "prosthetics"));
    /* a 10-30% rise in claims is expressible: pessimistic 1.1 x 1.1 = +21% */
    const dms_scenario *p = &m->scenarios[DMS_SCENARIO_PESSIMISTIC];
    assert_true(p->frequency * p->severity >= 1.1 && p->frequency * p->severity <= 1.3);
    dms_model_free(m);
    dms_model_free(NULL);
}

static void test_age_bands(void **state)
{
    (void)state;
    dms_model *m = load_small();
    static const struct {
        int age;
        size_t band;
    } cases[] = {{0, 0}, {17, 0}, {18, 1}, {39, 1}, {40, 2}, {150, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t band = 99;
        assert_int_equal(dms_model_age_band(m, cases[i].age, &band, NULL), DMS_OK);
        assert_int_equal(band, cases[i].band);
    }
    size_t band;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_model_age_band(m, -1, &band, &err), DMS_EINVAL);
    assert_int_equal(dms_model_age_band(m, 151, &band, NULL), DMS_EINVAL);
    char label[16];
    assert_string_equal(dms_model_band_label(m, 0, label, sizeof label), "0-17");
    assert_string_equal(dms_model_band_label(m, 2, label, sizeof label), "40+");
    dms_model_free(m);
}

static void test_trend_years(void **state)
{
    (void)state;
    dms_model *m = load_small();
    double years = 0;
    /* mid-2024 to mid-2026: 731 days between the starts, 2025 one day shorter */
    assert_int_equal(dms_model_trend_years(m, "2026-01-01", "2026-12-31", &years, NULL), DMS_OK);
    assert_close(years, 730.5 / 365.25, 1e-12);
    assert_int_equal(dms_model_trend_years(m, "2024-01-01", "2024-12-31", &years, NULL), DMS_OK);
    assert_abs_close(years, 0, 1e-12);
    assert_int_equal(dms_model_trend_years(m, "2026-02-30", "2026-12-31", &years, NULL),
                     DMS_EINVAL);
    assert_int_equal(dms_model_trend_years(m, "2026-12-31", "2026-01-01", &years, NULL),
                     DMS_EINVAL);
    long d;
    assert_true(dms_date_parse("2024-02-29", &d));
    assert_false(dms_date_parse("2023-02-29", &d));
    assert_false(dms_date_parse("2024-1-01", &d));
    assert_true(dms_date_parse("1970-01-01", &d));
    assert_int_equal(d, 0);
    dms_model_free(m);
}

static void test_rate_claims(void **state)
{
    (void)state;
    dms_model *m = load_small();
    const dms_model_module *visits = dms_model_find(m, "visits");
    dms_model_adjust adj = dms_model_adjust_neutral();
    dms_model_rated out;
    /* neutral, reference cell: the base law */
    assert_int_equal(dms_model_rate(m, visits, 1, 0, &adj, &out, NULL), DMS_OK);
    assert_int_equal(out.frequency.kind, DMS_FREQ_POISSON);
    assert_close(out.frequency.mean, 2.0, 1e-15);
    assert_close(out.severity.meanlog, 8.0, 1e-15);
    assert_close(out.severity.sdlog, 0.5, 1e-15);

    /* female 40+, business network in a million-plus city, 2 years, pessimistic */
    adj.network_frequency = 1.05;
    adj.network_cost = 1.35;
    adj.region = 0.75;
    adj.trend_years = 2;
    adj.scenario = m->scenarios[DMS_SCENARIO_PESSIMISTIC];
    assert_int_equal(dms_model_rate(m, visits, 2, 1, &adj, &out, NULL), DMS_OK);
    double ff = 2.5 * 1.05 * 1.1 * 1.1 * 1.2;
    double sf = 1.6 * 1.35 * 0.75 * 1.2 * 1.2 * 1.1;
    assert_close(out.frequency_factor, ff, 1e-14);
    assert_close(out.severity_factor, sf, 1e-14);
    assert_close(out.frequency.mean, 2.0 * ff, 1e-14);
    assert_close(out.severity.meanlog, 8.0 + log(sf), 1e-14);
    assert_close(out.severity.sdlog, 0.5, 1e-15);
    assert_close(dms_model_rated_pure(visits, &out), 2.0 * ff * exp(8.0 + 0.125) * sf, 1e-12);

    /* gamma severity scales its scale; the negative binomial keeps its size */
    const dms_model_module *hosp = dms_model_find(m, "hospital");
    assert_int_equal(dms_model_rate(m, hosp, 2, 1, &adj, &out, NULL), DMS_OK);
    assert_int_equal(out.frequency.kind, DMS_FREQ_NEGBIN);
    assert_close(out.frequency.mean, 0.5 * 1.05 * 1.2, 1e-14);
    assert_close(out.frequency.size, 2.0, 1e-15);
    assert_close(out.severity.shape, 2.0, 1e-15);
    assert_close(out.severity.scale, 1000.0 * 2 * 1.35 * 0.75 * 1.1 * 1.1 * 1.1, 1e-14);
    dms_model_free(m);
}

static void test_rate_flat(void **state)
{
    (void)state;
    dms_model *m = load_small();
    const dms_model_module *checkup = dms_model_find(m, "checkup");
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.network_cost = 1.35;
    adj.region = 0.75;
    adj.trend_years = 2;
    adj.scenario.frequency = adj.scenario.severity = 1.3; /* not applied to fixed fees */
    dms_model_rated out;
    assert_int_equal(dms_model_rate(m, checkup, 1, 1, &adj, &out, NULL), DMS_OK);
    assert_close(out.flat_cost, 1000 * 1.2 * 1.35 * 0.75 * 1.1 * 1.1, 1e-14);
    assert_close(dms_model_rated_pure(checkup, &out), out.flat_cost, 0);
    /* relativities are optional for flat modules */
    const dms_model_module *tele = dms_model_find(m, "tele");
    assert_int_equal(dms_model_rate(m, tele, 0, 0, &adj, &out, NULL), DMS_OK);
    assert_close(out.flat_cost, 500 * 1.35 * 0.75, 1e-14);
    dms_model_free(m);
}

static void test_rate_errors(void **state)
{
    (void)state;
    dms_model *m = load_small();
    const dms_model_module *visits = dms_model_find(m, "visits");
    dms_model_adjust adj = dms_model_adjust_neutral();
    dms_model_rated out;
    assert_int_equal(dms_model_rate(m, visits, 3, 0, &adj, &out, NULL), DMS_EINVAL);
    assert_int_equal(dms_model_rate(m, visits, 0, 2, &adj, &out, NULL), DMS_EINVAL);
    adj.region = 0;
    assert_int_equal(dms_model_rate(m, visits, 0, 0, &adj, &out, NULL), DMS_EINVAL);
    adj = dms_model_adjust_neutral();
    adj.trend_years = NAN;
    assert_int_equal(dms_model_rate(m, visits, 0, 0, &adj, &out, NULL), DMS_EINVAL);
    dms_model_free(m);
}

/* Loads small.json with one edit and expects an error at path. */
static void expect_error(const char *pointer, json_t *value, const char *path, const char *fragment)
{
    json_t *root = jsonedit_load(SMALL);
    jsonedit_set(root, pointer, value);
    dms_model *m = (dms_model *)1;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_model_load_json(root, &m, &err);
    if (status != DMS_EINVAL || strcmp(err.path, path) != 0 ||
        strstr(err.message, fragment) == NULL) {
        print_error("edit %s: got %d '%s: %s', expected '%s: ...%s...'\n", pointer, status,
                    err.path, err.message, path, fragment);
        fail();
    }
    assert_null(m);
    json_decref(root);
}

static void test_validation_errors(void **state)
{
    (void)state;
    /* missing key */
    expect_error("/modules/0/name_en", NULL, "/modules/0/name_en", "missing required key");
    expect_error("/scenarios/base", NULL, "/scenarios/base", "missing required key");
    /* wrong type */
    expect_error("/modules/1/frequency/mean", json_string("0.5"), "/modules/1/frequency/mean",
                 "expected a number, got a string");
    expect_error("/age_bands", json_object(), "/age_bands", "expected an array");
    /* out of range */
    expect_error("/modules/0/severity/sdlog", json_real(9.0), "/modules/0/severity/sdlog", "got 9");
    expect_error("/modules/0/frequency/mean", json_real(-1), "/modules/0/frequency/mean",
                 "in [0, 1000]");
    expect_error("/modules/1/trend/severity", json_real(1.5), "/modules/1/trend/severity",
                 "got 1.5");
    expect_error("/modules/0/relativities/severity/female/2", json_real(0),
                 "/modules/0/relativities/severity/female/2", "got 0");
    expect_error("/modules/2/annual_cost", json_real(-5), "/modules/2/annual_cost", "got -5");
    /* unknown key */
    expect_error("/modules/1/trend/cost", json_real(0.1), "/modules/1/trend/cost",
                 "unknown key 'cost'");
    expect_error("/modules/3/frequency", json_object(), "/modules/3/frequency",
                 "unknown key 'frequency'");
    expect_error("/extra", json_true(), "/extra", "unknown key 'extra'");
    /* duplicate code */
    expect_error("/modules/3/code", json_string("visits"), "/modules/3/code",
                 "duplicate module code 'visits'");
    expect_error("/modules/2/code", json_string("Check-up"), "/modules/2/code", "is not a code");
    /* bad enum */
    expect_error("/modules/0/frequency/family", json_string("binomial"),
                 "/modules/0/frequency/family", "not one of 'poisson', 'negbin'");
    expect_error("/modules/1/type", json_string("fixed"), "/modules/1/type", "'fixed'");
    /* lengths, order, dates */
    expect_error("/modules/0/relativities/frequency/male/2", NULL,
                 "/modules/0/relativities/frequency/male", "of 3 elements, got 2");
    expect_error("/age_bands/2", json_integer(18), "/age_bands/2", "must increase");
    expect_error("/age_bands/0", json_integer(1), "/age_bands/0", "start at 0");
    expect_error("/data_period/to", json_string("2024-02-30"), "/data_period/to", "not a date");
    expect_error("/data_period/to", json_string("2023-12-31"), "/data_period/to", "ends before");
    expect_error("/scenarios/pessimistic/severity", json_real(0.5), "/scenarios/pessimistic",
                 "must not cost less");
    expect_error("/currency", json_string("USD"), "/currency", "only RUB");
    expect_error("/modules/1/frequency/size", NULL, "/modules/1/frequency/size",
                 "missing required key");
    expect_error("/modules/1/severity/meanlog", json_real(7), "/modules/1/severity/meanlog",
                 "unknown key 'meanlog'");
}

static void test_text_errors(void **state)
{
    (void)state;
    dms_model *m = (dms_model *)1;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_model_load_file("tests/data/models/bad-syntax.json", &m, &err),
                     DMS_EPARSE);
    assert_null(m);
    assert_string_equal(err.source, "tests/data/models/bad-syntax.json");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 12);

    /* deep nesting is refused before jansson recurses */
    size_t depth = 100000;
    char *text = malloc(2 * depth + 1);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    json_t *root = (json_t *)1;
    dms_error_clear(&err);
    assert_int_equal(dms_json_parse_text(text, 2 * depth, &root, &err), DMS_EPARSE);
    assert_null(root);
    assert_int_equal(err.column, DMS_JSON_MAX_NESTING + 1);
    free(text);

    /* a document that is not an object */
    root = json_array();
    dms_error_clear(&err);
    assert_int_equal(dms_model_load_json(root, &m, &err), DMS_EINVAL);
    assert_string_equal(err.path, "");
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_shipped),      cmocka_unit_test(test_age_bands),
        cmocka_unit_test(test_trend_years),       cmocka_unit_test(test_rate_claims),
        cmocka_unit_test(test_rate_flat),         cmocka_unit_test(test_rate_errors),
        cmocka_unit_test(test_validation_errors), cmocka_unit_test(test_text_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
