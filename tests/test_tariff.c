/*
 * Tariff loader and lookups: the shipped tariff loads and fits the shipped
 * model, region names in Russian and English map to their classes (with the
 * fallback for unknown ones), group factors switch exactly at the band
 * edges, gross premium and rounding match hand computation, every
 * validation error names its JSON Pointer, and the shipped figures give
 * premiums inside the market ranges quoted in DESIGN.md.
 */
#include "testutil.h"
#include "jsonedit.h"

#include <stdlib.h>
#include <string.h>

#include "dms/coverage.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/tariff.h"

#define SHIPPED "tariffs/corporate-2026.json"

static dms_tariff *load_shipped(void)
{
    dms_tariff *t = NULL;
    dms_error err;
    dms_error_clear(&err);
    jsonedit_expect_ok(dms_tariff_load_file(SHIPPED, &t, &err), &err);
    return t;
}

static dms_model *load_model(void)
{
    dms_model *m = NULL;
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &m, NULL), DMS_OK);
    return m;
}

static void test_load_shipped(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    dms_model *m = load_model();
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_tariff_check_model(t, m, &err), DMS_OK);
    assert_string_equal(t->model, m->version);
    assert_string_equal(t->version, "corporate-2026.1");
    assert_int_equal(t->nmodules, 9);
    static const char *const nets[] = {"economy", "standard", "business", "vip"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(dms_tariff_find_network(t, nets[i]));
    assert_null(dms_tariff_find_network(t, "platinum"));
    assert_string_equal(t->networks[t->default_network].code, "standard");
    assert_string_equal(t->regions[t->fallback_region].code, "other");
    const dms_tariff_module *dental = dms_tariff_find_module(t, "dental");
    assert_non_null(dental);
    assert_true(dental->optional);
    assert_false(dms_tariff_find_module(t, "outpatient")->optional);
    assert_true(isinf(dms_tariff_find_module(t, "outpatient")->claim_limit));
    assert_true(dms_tariff_deductible_allowed(t, 1000));
    assert_false(dms_tariff_deductible_allowed(t, 700));
    assert_true(dms_tariff_copay_allowed(t, 0.2));
    assert_false(dms_tariff_copay_allowed(t, 0.25));
    /* network factors increase with the tier */
    for (size_t i = 1; i < 4; i++)
        assert_true(dms_tariff_find_network(t, nets[i])->cost_factor >
                    dms_tariff_find_network(t, nets[i - 1])->cost_factor);
    dms_model_free(m);
    dms_tariff_free(t);
    dms_tariff_free(NULL);
}

static void test_region_lookup(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    static const struct {
        const char *name;
        const char *code;
        bool fallback;
    } cases[] = {
        {"Москва", "moscow", false},
        {"г. Москва", "moscow", false},
        {"г.Москва", "moscow", false},
        {"  город   москва ", "moscow", false},
        {"МОСКВА", "moscow", false},
        {"Moscow", "moscow", false},
        {"MOSCOW", "moscow", false},
        {"moscow\xC2\xA0", "moscow", false}, /* trailing no-break space */
        {"Санкт-Петербург", "spb", false},
        {"санкт петербург", "spb", false},
        {"СПб", "spb", false},
        {"Питер", "spb", false},
        {"St Petersburg", "spb", false},
        {"Казань", "million_plus", false},
        {"Екатеринбург", "million_plus", false},
        {"Новосибирск", "million_plus", false},
        {"Нижний Новгород", "million_plus", false},
        {"Ростов на Дону", "million_plus", false},
        {"ростов-на-дону", "million_plus", false},
        {"Kazan", "million_plus", false},
        {"Nizhny Novgorod", "million_plus", false},
        {"Cities over one million", "million_plus", false},
        {"million_plus", "million_plus", false},
        {"Другие регионы", "other", false},
        {"Тверь", "other", true},
        {"Орёл", "other", true},
        {"Atlantis", "other", true},
        {"\xFF\xFE", "other", true}, /* not UTF-8: cannot match, still a name */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dms_region *reg = NULL;
        bool fallback = !cases[i].fallback;
        assert_int_equal(dms_tariff_region_lookup(t, cases[i].name, &reg, &fallback), DMS_OK);
        if (strcmp(reg->code, cases[i].code) != 0 || fallback != cases[i].fallback) {
            print_error("'%s' -> %s (fallback %d)\n", cases[i].name, reg->code, fallback);
            fail();
        }
    }
    const dms_region *reg = (const dms_region *)1;
    assert_int_equal(dms_tariff_region_lookup(t, "", &reg, NULL), DMS_EINVAL);
    assert_null(reg);
    assert_int_equal(dms_tariff_region_lookup(t, " \t ", &reg, NULL), DMS_EINVAL);
    assert_int_equal(dms_tariff_region_lookup(t, NULL, &reg, NULL), DMS_EINVAL);
    assert_int_equal(dms_tariff_region_lookup(t, "г.", &reg, NULL), DMS_EINVAL);

    char buf[64];
    assert_true(dms_tariff_normalize_name("  ЁЛКИ--Палки\tг ", buf, sizeof buf));
    assert_string_equal(buf, "елки палки г");
    assert_true(dms_tariff_normalize_name("ЀЉЏ Ü", buf, sizeof buf));
    assert_string_equal(buf, "ѐљџ Ü"); /* Cyrillic folded; other scripts untouched */
    assert_false(dms_tariff_normalize_name("Москва", buf, 6));
    dms_tariff_free(t);
}

static void test_group_factor(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    static const struct {
        long n;
        double factor;
    } cases[] = {{1, 1.15},  {49, 1.15}, {50, 1.05},   {249, 1.05},
                 {250, 1.0}, {999, 1.0}, {1000, 0.95}, {100000, 0.95}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double f = 0;
        assert_int_equal(dms_tariff_group_factor(t, cases[i].n, &f, NULL), DMS_OK);
        assert_close(f, cases[i].factor, 1e-15);
    }
    double f;
    assert_int_equal(dms_tariff_group_factor(t, 0, &f, NULL), DMS_EINVAL);
    dms_tariff_free(t);
}

static void test_gross_and_rounding(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    /* (10000 + 600) x 1.03 / (1 - 0.12 - 0.08 - 0.05) */
    assert_close(dms_tariff_gross(t, 10000), 10600 * 1.03 / 0.75, 1e-14);
    assert_close(dms_tariff_round(t, 14557.33), 14557, 0);
    assert_close(dms_tariff_round(t, 14557.5), 14558, 0);
    assert_close(dms_tariff_round(t, 14557.49), 14557, 0);
    assert_close(dms_tariff_round(t, -2.5), -3, 0);
    t->rounding.unit = 0.01;
    assert_close(dms_tariff_round(t, 2.675), 2.68, 1e-15); /* 2.67499999... in binary */
    assert_close(dms_tariff_round(t, 1.004), 1.0, 1e-15);
    t->rounding.mode = DMS_ROUND_UP;
    assert_close(dms_tariff_round(t, 1.001), 1.01, 1e-15);
    assert_close(dms_tariff_round(t, 0.07 * 100 / 100), 0.07, 1e-15);
    t->rounding.unit = 100;
    assert_close(dms_tariff_round(t, 14501), 14600, 0);
    assert_close(dms_tariff_round(t, 14500), 14500, 0);
    dms_tariff_free(t);
}

/* The one loading chain: a line and a person against the formulas by hand. */
static void test_loading_chain(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    const dms_loadings *l = &t->loadings;
    double shares = l->expense + l->commission + l->profit;
    dms_loaded line;
    /* A voluntary line: claims x group factor, plus the anti-selection load. */
    dms_tariff_load_line(t, 8000.0, 1.1, true, &line);
    double loaded = 8000.0 * 1.1, anti = loaded * t->anti_selection_load;
    assert_close(line.group_size_load, 800.0, 1e-9);
    assert_close(line.anti_selection, anti, 1e-9);
    assert_close(line.pure_premium, loaded + anti, 1e-9);
    assert_close(line.gross, (loaded + anti) * (1 + l->contingency) / (1 - shares), 1e-9);
    assert_close(line.expense + line.commission + line.profit, line.gross * shares, 1e-9);
    assert_close(line.admin_fee, 0.0, 0);
    assert_true(line.gross_kopecks == llround(line.gross * 100));
    assert_close(line.rounding, (double)line.gross_kopecks / 100 - line.gross, 1e-12);
    /* Not voluntary: no anti-selection, the pure premium is claims x factor exactly. */
    dms_tariff_load_line(t, 8000.0, 1.1, false, &line);
    assert_true(line.anti_selection == 0.0 && line.pure_premium == 8000.0 * 1.1);
    /* A person: the admin fee, the gross of dms_tariff_gross, the tariff's rounding. */
    dms_loaded person;
    dms_tariff_load_person(t, 10000.0, &person);
    assert_close(person.admin_fee, l->admin_fee_per_person, 0);
    assert_close(person.contingency, (10000.0 + l->admin_fee_per_person) * l->contingency, 1e-9);
    assert_true(person.gross == dms_tariff_gross(t, 10000.0));
    assert_true(person.gross_kopecks == llround(dms_tariff_round(t, person.gross) * 100));
    assert_close(person.rounding, dms_tariff_round(t, person.gross) - person.gross, 1e-12);
    assert_close(dms_tariff_gross_factor(t), (1 + l->contingency) / (1 - shares), 1e-15);
    dms_tariff_free(t);
}

/* Loads the shipped tariff with one edit and expects code at path. */
static void expect_error(const char *pointer, json_t *value, int code, const char *path,
                         const char *fragment)
{
    json_t *root = NULL;
    assert_int_equal(dms_json_load_file(SHIPPED, &root, NULL), DMS_OK);
    jsonedit_set(root, pointer, value);
    dms_tariff *t = (dms_tariff *)1;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_tariff_load_json(root, &t, &err);
    if (status != code || strcmp(err.path, path) != 0 || strstr(err.message, fragment) == NULL) {
        print_error("edit %s: got %d '%s: %s', expected '%s: ...%s...'\n", pointer, status,
                    err.path, err.message, path, fragment);
        fail();
    }
    assert_null(t);
    json_decref(root);
}

static void test_validation_errors(void **state)
{
    (void)state;
    expect_error("/loadings/profit", NULL, DMS_EINVAL, "/loadings/profit", "missing required");
    expect_error("/networks/1/cost_factor", json_string("1"), DMS_EINVAL, "/networks/1/cost_factor",
                 "got a string");
    expect_error("/regions/0/factor", json_real(0), DMS_EINVAL, "/regions/0/factor", "got 0");
    expect_error("/networks/0/colour", json_string("green"), DMS_EINVAL, "/networks/0/colour",
                 "unknown key 'colour'");
    expect_error("/modules/6/claim_limit", json_integer(1000), DMS_EINVAL, "/modules/6/claim_limit",
                 "unknown key"); /* flat modules have no limits */
    expect_error("/networks/2/code", json_string("standard"), DMS_EINVAL, "/networks/2/code",
                 "duplicate network code 'standard'");
    expect_error("/modules/8/code", json_string("dental"), DMS_EINVAL, "/modules/8/code",
                 "duplicate module code");
    expect_error("/regions/3/code", json_string("spb"), DMS_EINVAL, "/regions/3/code",
                 "duplicate region code");
    expect_error("/regions/1/aliases/0", json_string("г. москва"), DMS_EINVAL,
                 "/regions/1/aliases/0", "already names region class 'moscow'");
    expect_error("/regions/2/aliases/3", json_string("  "), DMS_EINVAL, "/regions/2/aliases/3",
                 "not a usable region name");
    expect_error("/rounding/mode", json_string("bankers"), DMS_EINVAL, "/rounding/mode",
                 "not one of 'half_up', 'up'");
    expect_error("/rounding/unit", json_real(0.015), DMS_EINVAL, "/rounding/unit",
                 "whole number of kopecks");
    expect_error("/modules/0/deductible", json_integer(700), DMS_EINVAL, "/modules/0/deductible",
                 "not one of the allowed deductibles");
    expect_error("/modules/5/copay", json_real(0.25), DMS_EINVAL, "/modules/5/copay",
                 "not one of the allowed co-pays");
    expect_error("/modules/5/claim_limit", json_integer(100000), DMS_EINVAL,
                 "/modules/5/annual_limit", "not be below the per-claim limit");
    expect_error("/loadings/profit", json_real(0.75), DMS_EINVAL, "/loadings",
                 "must not exceed 0.9");
    expect_error("/group_size/2/min_headcount", json_integer(40), DMS_EINVAL,
                 "/group_size/2/min_headcount", "bands must increase");
    expect_error("/group_size/0/min_headcount", json_integer(2), DMS_EINVAL,
                 "/group_size/0/min_headcount", "start at 1");
    expect_error("/default_network", json_string("gold"), DMS_EINVAL, "/default_network",
                 "no network with code 'gold'");
    expect_error("/fallback_region", json_string("Moscow"), DMS_EINVAL, "/fallback_region",
                 "is not a code");
    expect_error("/copays/2", json_real(0.1), DMS_EINVAL, "/copays/2", "must increase");
    expect_error("/deductibles/0", json_integer(100), DMS_EINVAL, "/deductibles",
                 "must start with 0");
    expect_error("/effective/from", json_string("2026-13-01"), DMS_EINVAL, "/effective/from",
                 "not a date");
    expect_error("/networks", json_array(), DMS_EINVAL, "/networks", "1 to 64 elements, got 0");
    expect_error("/anti_selection_load", json_true(), DMS_EINVAL, "/anti_selection_load",
                 "got a boolean");
    expect_error("/modules/0/optional", json_integer(0), DMS_EINVAL, "/modules/0/optional",
                 "expected true or false");
    expect_error("/modules/2/name_ru", json_string(""), DMS_EINVAL, "/modules/2/name_ru",
                 "must not be empty");
}

static void test_check_model(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    dms_model *m = load_model();
    dms_error err;
    dms_error_clear(&err);
    snprintf(t->modules[3].code, sizeof t->modules[3].code, "massage");
    assert_int_equal(dms_tariff_check_model(t, m, &err), DMS_ENOTFOUND);
    assert_string_equal(err.path, "/modules/3/code");
    snprintf(t->modules[3].code, sizeof t->modules[3].code, "hospital_emergency");
    t->modules[3].type = DMS_MODULE_FLAT;
    dms_error_clear(&err);
    assert_int_equal(dms_tariff_check_model(t, m, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/modules/3/type");
    dms_model_free(m);
    dms_tariff_free(t);
}

/*
 * Expected annual cost of an adult (mean of a man and a woman aged 30-39)
 * for the listed modules, in 2026 prices, with the tariff's default
 * per-claim terms (annual limits ignored: they bind rarely at these sizes).
 */
static double package_pure(const dms_model *m, const dms_tariff *t, const char *const *codes,
                           const char *network, const char *region, bool with_optional_load)
{
    dms_model_adjust adj = dms_model_adjust_neutral();
    const dms_network *net = dms_tariff_find_network(t, network);
    const dms_region *reg = dms_tariff_find_region(t, region);
    adj.network_frequency = net->frequency_factor;
    adj.network_cost = net->cost_factor;
    adj.region = reg->factor;
    assert_int_equal(dms_model_trend_years(m, "2026-01-01", "2026-12-31", &adj.trend_years, NULL),
                     DMS_OK);
    size_t band;
    assert_int_equal(dms_model_age_band(m, 35, &band, NULL), DMS_OK);
    double total = 0;
    for (size_t i = 0; codes[i] != NULL; i++) {
        const dms_model_module *mm = dms_model_find(m, codes[i]);
        const dms_tariff_module *tm = dms_tariff_find_module(t, codes[i]);
        assert_non_null(mm);
        assert_non_null(tm);
        for (int sex = 0; sex < 2; sex++) {
            dms_model_rated rated;
            assert_int_equal(dms_model_rate(m, mm, band, sex, &adj, &rated, NULL), DMS_OK);
            double cost = rated.flat_cost;
            if (mm->type == DMS_MODULE_CLAIMS) {
                dms_coverage cov = dms_coverage_full();
                cov.deductible = tm->deductible;
                cov.copay = tm->copay;
                cov.claim_limit = tm->claim_limit;
                double ey = 0;
                dms_payment_moments(&rated.severity, &cov, &ey, NULL);
                cost = rated.frequency.mean * ey;
            }
            if (with_optional_load && tm->optional)
                cost *= 1 + t->anti_selection_load;
            total += 0.5 * cost;
        }
    }
    return total;
}

static void test_market_sanity(void **state)
{
    (void)state;
    dms_tariff *t = load_shipped();
    dms_model *m = load_model();
    /* regional base programme: "from about 13,000 roubles per employee" */
    static const char *const base[] = {"outpatient", "home_visits", "emergency",
                                       "hospital_emergency", NULL};
    double regional = dms_tariff_gross(t, package_pure(m, t, base, "economy", "other", false));
    /* broad Moscow programme with dental and hospital: several times that */
    static const char *const broad[] = {
        "outpatient", "home_visits",  "emergency", "hospital_emergency", "hospital_planned",
        "dental",     "telemedicine", "checkup",   "mental_health",      NULL};
    double moscow = dms_tariff_gross(t, package_pure(m, t, broad, "standard", "moscow", false));
    double moscow_vip = dms_tariff_gross(t, package_pure(m, t, broad, "vip", "moscow", false));
    print_message("regional base %.0f, Moscow standard broad %.0f, Moscow VIP %.0f roubles/yr\n",
                  regional, moscow, moscow_vip);
    assert_true(regional >= 10000 && regional <= 16000);
    assert_true(moscow >= 3 * regional && moscow <= 8 * regional);
    assert_true(moscow >= 40000 && moscow <= 120000);
    assert_true(moscow_vip > 1.5 * moscow && moscow_vip < 3 * moscow);
    /* the loaded premium stays consistent with a 60-75% payout ratio */
    double pure = package_pure(m, t, broad, "standard", "moscow", false);
    assert_true(pure / moscow > 0.6 && pure / moscow < 0.75);
    dms_model_free(m);
    dms_tariff_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_shipped),      cmocka_unit_test(test_region_lookup),
        cmocka_unit_test(test_group_factor),      cmocka_unit_test(test_gross_and_rounding),
        cmocka_unit_test(test_validation_errors), cmocka_unit_test(test_check_model),
        cmocka_unit_test(test_market_sanity),     cmocka_unit_test(test_loading_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
