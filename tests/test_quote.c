/*
 * The group quote. Invariants that must hold for any census and plan,
 * checked over seeded random censuses and plans: a higher deductible or
 * co-pay never raises the price, a franchise costs at least the ordinary
 * deductible, a better network, a raised or removed limit or an older
 * census never lowers it, pessimistic >= base >= optimistic, doubling every
 * row doubles the totals, segments add up to the total to the kopeck. The
 * group percentiles are checked against an independent Monte Carlo
 * simulation of every person's claims, and the three example censuses
 * against golden files (DMS_UPDATE_GOLDEN=1 rewrites them). Also: no worse
 * term raises any line in any scenario to the kopeck (every module of the
 * tariff), only chosen lines carry anti-selection, and every printed row
 * adds up to its gross. DMS_TEST_FILTER=name runs one test.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "dms/file.h"
#include "dms/jsonread.h"
#include "dms/quote.h"
#include "dms/report.h"

static dms_tariff *tariff;
static dms_model *model;

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

/* ---- Random censuses and plans ---- */

static const char *const regions[] = {
    "Москва", "Санкт-Петербург", "Казань",       "Новосибирск",
    "Тула",   "г. Москва",       "Екатеринбург", "Нижний Новгород"};

/*
 * A census of `employees` employees with families, as CSV text. Employees
 * are aged min_age..max_age on 2026-01-01; each row is repeated `copies`
 * times with distinct ids (for the doubling test); `older` years are taken
 * off every birth year.
 */
static char *random_census(unsigned long seed, int employees, int min_age, int max_age,
                           bool families, int copies, int older)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    size_t cap = 256 + (size_t)employees * (size_t)copies * 4 * 80, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len,
                            "employee_id;relation;birth_date;sex;region;department;work_mode\n");
    for (int e = 0; e < employees; e++) {
        int age = min_age + (int)gsl_rng_uniform_int(rng, (unsigned long)(max_age - min_age + 1));
        int sex = (int)gsl_rng_uniform_int(rng, 2);
        const char *region = regions[gsl_rng_uniform_int(rng, 8)];
        int month = 1 + (int)gsl_rng_uniform_int(rng, 12),
            day = 1 + (int)gsl_rng_uniform_int(rng, 28);
        bool spouse = families && gsl_rng_uniform(rng) < 0.3;
        int children =
            families ? (int)gsl_rng_uniform_int(rng, 3) * (gsl_rng_uniform(rng) < 0.4) : 0;
        int child_age[2] = {(int)gsl_rng_uniform_int(rng, 18), (int)gsl_rng_uniform_int(rng, 18)};
        for (int c = 0; c < copies; c++) {
            len += (size_t)snprintf(csv + len, cap - len,
                                    "E%d-%d;employee;%04d-%02d-%02d;%s;%s;IT;office\n", e, c,
                                    2025 - age - older, month, day, sex ? "F" : "M", region);
            if (spouse)
                len +=
                    (size_t)snprintf(csv + len, cap - len, "E%d-%d;spouse;%04d-%02d-%02d;%s;%s;;\n",
                                     e, c, 2025 - age - older, month, day, sex ? "M" : "F", region);
            for (int k = 0; k < children; k++)
                len += (size_t)snprintf(csv + len, cap - len, "E%d-%d;child;%04d-06-15;%s;%s;;\n",
                                        e, c, 2025 - child_age[k] - older, k ? "F" : "M", region);
        }
    }
    gsl_rng_free(rng);
    return csv;
}

static dms_census *parse_census(const char *csv)
{
    dms_census *census = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    int status = dms_census_parse_csv(csv, strlen(csv), "random", &census, diag);
    if (status != DMS_OK) {
        char buf[1024];
        print_error("census: %s\n", dms_error_format(dms_diag_get(diag, 0), buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
    dms_diag_free(diag);
    return census;
}

/* A one-segment plan with the given module list (JSON array text). */
static dms_plan *make_plan(const char *network, const char *modules_json)
{
    char text[8192];
    snprintf(text, sizeof text,
             "{\"name\": \"test\", \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"},"
             " \"segments\": [{\"code\": \"all\", \"name_ru\": \"все\", \"name_en\": \"all\","
             " \"network\": \"%s\", \"modules\": %s}]}",
             network, modules_json);
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_parse_text(text, strlen(text), &root, &err), DMS_OK);
    dms_plan *plan = NULL;
    int status = dms_plan_load_json(root, NULL, &plan, &err);
    if (status != DMS_OK)
        print_error("plan: %s %s\n", err.path, err.message);
    assert_int_equal(status, DMS_OK);
    json_decref(root);
    return plan;
}

static dms_quote *quote_of(const dms_census *census, const dms_plan *plan, bool percentiles)
{
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = percentiles;
    dms_quote *q = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    int status = dms_quote_compute(tariff, model, plan, census, &opts, &q, diag, NULL);
    if (status != DMS_OK) {
        char buf[1024];
        print_error("quote: %s\n", dms_error_format(dms_diag_get(diag, 0), buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
    dms_diag_free(diag);
    return q;
}

static int64_t gross(const dms_quote *q, int scenario)
{
    return q->total.money[scenario].gross_kopecks;
}

/* Gross (base) of a census under a one-module-list plan. */
static int64_t price(const dms_census *census, const char *network, const char *modules)
{
    dms_plan *plan = make_plan(network, modules);
    dms_quote *q = quote_of(census, plan, false);
    int64_t g = gross(q, DMS_SCENARIO_BASE);
    dms_quote_free(q);
    dms_plan_free(plan);
    return g;
}

/* Random cases per invariant (fewer under valgrind, which is 50x slower). */
#define SEEDS (getenv("DMS_UNDER_VALGRIND") ? 1UL : 4UL)

static void test_deductible_and_copay_never_raise(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= SEEDS; seed++) {
        char *csv = random_census(seed, 40 + 30 * (int)seed, 18, 64, true, 1, 0);
        dms_census *census = parse_census(csv);
        int64_t previous = INT64_MAX;
        for (size_t i = 0; i < tariff->ndeductibles; i++) {
            char modules[512];
            snprintf(
                modules, sizeof modules,
                "[{\"module\":\"outpatient\",\"deductible\":%g},"
                "{\"module\":\"hospital_planned\",\"deductible\":%g},{\"module\":\"emergency\"}]",
                tariff->deductibles[i], tariff->deductibles[i]);
            int64_t ordinary = price(census, "standard", modules);
            assert_true(ordinary <= previous);
            previous = ordinary;
            snprintf(
                modules, sizeof modules,
                "[{\"module\":\"outpatient\",\"deductible\":%g,\"deductible_type\":\"franchise\"},"
                "{\"module\":\"hospital_planned\",\"deductible\":%g,\"deductible_type\":"
                "\"franchise\"},"
                "{\"module\":\"emergency\"}]",
                tariff->deductibles[i], tariff->deductibles[i]);
            assert_true(price(census, "standard", modules) >= ordinary);
        }
        previous = INT64_MAX;
        for (size_t i = 0; i < tariff->ncopays; i++) {
            char modules[512];
            snprintf(
                modules, sizeof modules,
                "[{\"module\":\"outpatient\",\"copay\":%g},{\"module\":\"dental\",\"copay\":%g}]",
                tariff->copays[i], tariff->copays[i]);
            int64_t g = price(census, "business", modules);
            assert_true(g <= previous);
            previous = g;
        }
        dms_census_free(census);
        free(csv);
    }
}

static void test_network_and_limits_never_lower(void **state)
{
    (void)state;
    static const char *const networks[] = {"economy", "standard", "business", "vip"};
    static const char *const limits[] = {"20000", "60000", "150000", "500000", "null"};
    for (unsigned long seed = 11; seed < 11 + SEEDS; seed++) {
        char *csv = random_census(seed, 50, 18, 64, true, 1, 0);
        dms_census *census = parse_census(csv);
        int64_t previous = 0;
        for (size_t n = 0; n < 4; n++) {
            int64_t g = price(census, networks[n],
                              "[{\"module\":\"outpatient\"},{\"module\":\"hospital_emergency\"},"
                              "{\"module\":\"checkup\"}]");
            assert_true(g >= previous);
            previous = g;
        }
        previous = 0;
        for (size_t l = 0; l < 5; l++) {
            char modules[512];
            snprintf(modules, sizeof modules,
                     "[{\"module\":\"outpatient\",\"annual_limit\":%s},"
                     "{\"module\":\"dental\",\"annual_limit\":%s,\"claim_limit\":null}]",
                     limits[l], limits[l]);
            int64_t g = price(census, "standard", modules);
            assert_true(g >= previous);
            previous = g;
        }
        dms_census_free(census);
        free(csv);
    }
}

static void test_older_census_never_lowers(void **state)
{
    (void)state;
    /* Adults and the base package: its modules' costs rise with adult age
     * (mental health, whose use falls with age, is not part of it). */
    const char *base = "[{\"module\":\"outpatient\"},{\"module\":\"home_visits\"},"
                       "{\"module\":\"emergency\"},{\"module\":\"hospital_emergency\"},"
                       "{\"module\":\"hospital_planned\"},{\"module\":\"telemedicine\"}]";
    for (unsigned long seed = 21; seed < 21 + SEEDS; seed++) {
        int64_t previous = 0;
        for (int older = 0; older <= 20; older += 5) {
            char *csv = random_census(seed, 60, 18, 45, false, 1, older);
            dms_census *census = parse_census(csv);
            int64_t g = price(census, "standard", base);
            assert_true(g >= previous);
            previous = g;
            dms_census_free(census);
            free(csv);
        }
    }
}

/* ---- Terms that must never raise a price, to the kopeck ---- */

static const char *const claim_limits[] = {"null", "1000000", "200000", "50000", "20000"};
static const char *const annual_limits[] = {"null", "2000000", "500000", "100000", "30000"};

typedef struct random_terms {
    size_t deductible, copay, claim_limit, annual_limit; /* indices */
    bool franchise;
} random_terms;

static void terms_json(const char *code, const random_terms *t, char *buf, size_t size)
{
    snprintf(buf, size,
             "{\"module\":\"%s\",\"deductible\":%g,\"deductible_type\":\"%s\",\"copay\":%g,"
             "\"claim_limit\":%s,\"annual_limit\":%s}",
             code, tariff->deductibles[t->deductible], t->franchise ? "franchise" : "ordinary",
             tariff->copays[t->copay], claim_limits[t->claim_limit],
             annual_limits[t->annual_limit]);
}

/* A plan line per module of the tariff (flat ones plain), with terms[]. */
static dms_plan *plan_of(const char *network, const random_terms *terms)
{
    char modules[8192] = "[";
    size_t len = 1;
    for (size_t m = 0; m < tariff->nmodules; m++) {
        char line[512];
        const dms_tariff_module *tm = &tariff->modules[m];
        if (tm->type == DMS_MODULE_CLAIMS)
            terms_json(tm->code, &terms[m], line, sizeof line);
        else
            snprintf(line, sizeof line, "{\"module\":\"%s\"}", tm->code);
        len += (size_t)snprintf(modules + len, sizeof modules - len, "%s%s", m ? "," : "", line);
    }
    snprintf(modules + len, sizeof modules - len, "]");
    return make_plan(network, modules);
}

/*
 * Over seeded random censuses and plans with every module of the sample
 * tariff: a higher deductible (ordinary or franchise), an ordinary
 * deductible in place of a franchise, a higher co-pay, a lower per-claim or
 * annual limit never raises any line's expected claims or gross, nor the
 * segment's, in any scenario, to the kopeck.
 */
static void test_terms_never_raise_any_line(void **state)
{
    (void)state;
    static const char *const networks[] = {"economy", "standard", "business", "vip"};
    static const char *const kinds[] = {"higher deductible", "ordinary for franchise",
                                        "higher co-pay", "lower claim limit", "lower annual limit"};
    unsigned long seeds = getenv("DMS_UNDER_VALGRIND") ? 1UL : 4UL;
    size_t compared = 0;
    for (unsigned long seed = 31; seed < 31 + seeds; seed++) {
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, seed);
        char *csv = random_census(seed, 6 + 2 * (int)(seed % 3), 18, 64, true, 1, 0);
        dms_census *census = parse_census(csv);
        const char *network = networks[gsl_rng_uniform_int(rng, 4)];
        random_terms base[DMS_TARIFF_MAX_ITEMS];
        for (size_t m = 0; m < tariff->nmodules; m++)
            base[m] = (random_terms){
                .deductible = gsl_rng_uniform_int(rng, tariff->ndeductibles - 1),
                .copay = gsl_rng_uniform_int(rng, tariff->ncopays - 1),
                .claim_limit = gsl_rng_uniform_int(rng, 4),
                .annual_limit = gsl_rng_uniform_int(rng, 4),
                .franchise = gsl_rng_uniform(rng) < 0.5,
            };
        dms_plan *plan = plan_of(network, base);
        dms_quote *q0 = quote_of(census, plan, false);
        for (size_t m = 0; m < tariff->nmodules; m++) {
            if (tariff->modules[m].type != DMS_MODULE_CLAIMS)
                continue;
            /* One of the five changes per module and seed, in turn, keeps
             * this fast while every kind meets every module over the seeds. */
            for (int pick = 0; pick < 1; pick++) {
                int kind = (int)((m + seed) % 5);
                random_terms worse[DMS_TARIFF_MAX_ITEMS];
                memcpy(worse, base, sizeof worse);
                random_terms *t = &worse[m];
                switch (kind) {
                case 0:
                    t->deductible +=
                        1 + gsl_rng_uniform_int(rng, tariff->ndeductibles - 1 - t->deductible);
                    break;
                case 1:
                    base[m].franchise = true; /* compared against the franchise below */
                    t->franchise = false;
                    break;
                case 2:
                    t->copay += 1 + gsl_rng_uniform_int(rng, tariff->ncopays - 1 - t->copay);
                    break;
                case 3:
                    t->claim_limit += 1 + gsl_rng_uniform_int(rng, 4 - t->claim_limit);
                    break;
                default:
                    t->annual_limit += 1 + gsl_rng_uniform_int(rng, 4 - t->annual_limit);
                    break;
                }
                dms_quote *qa = q0;
                dms_plan *plan_a = NULL;
                if (kind == 1 && !q0->segments[0].lines[m].cov.franchise) {
                    plan_a = plan_of(network, base); /* the franchise version */
                    qa = quote_of(census, plan_a, false);
                }
                dms_plan *plan_b = plan_of(network, worse);
                dms_quote *qb = quote_of(census, plan_b, false);
                for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
                    for (size_t l = 0; l < qa->segments[0].nlines; l++) {
                        const dms_quote_money *a = &qa->segments[0].lines[l].money[k];
                        const dms_quote_money *b = &qb->segments[0].lines[l].money[k];
                        if (llround(100 * b->expected_claims) > llround(100 * a->expected_claims) ||
                            b->gross_kopecks > a->gross_kopecks)
                            print_error("seed %lu, %s of %s raised line %s (scenario %d): claims "
                                        "%.4f -> %.4f, gross %lld -> %lld\n",
                                        seed, kinds[kind], tariff->modules[m].code,
                                        qa->segments[0].lines[l].module->code, k,
                                        a->expected_claims, b->expected_claims,
                                        (long long)a->gross_kopecks, (long long)b->gross_kopecks);
                        assert_true(llround(100 * b->expected_claims) <=
                                    llround(100 * a->expected_claims));
                        assert_true(b->gross_kopecks <= a->gross_kopecks);
                        compared++;
                    }
                    assert_true(qb->total.money[k].gross_kopecks <=
                                qa->total.money[k].gross_kopecks);
                }
                if (qa != q0) {
                    dms_quote_free(qa);
                    dms_plan_free(plan_a);
                }
                base[m].franchise = q0->segments[0].lines[m].cov.franchise;
                dms_quote_free(qb);
                dms_plan_free(plan_b);
            }
        }
        dms_quote_free(q0);
        dms_plan_free(plan);
        dms_census_free(census);
        free(csv);
        gsl_rng_free(rng);
    }
    print_message("%zu line x scenario comparisons\n", compared);
}

/* The case: a 5,000 franchise on emergency hospital care in the
 * base plan for startup-60 used to raise that line's gross (369,396.15 ->
 * 369,405.80 base) and the pessimistic total. */
static void test_franchise_on_startup_lowers_price(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        skip(); /* the random invariant above covers it under valgrind */
    dms_census *census = NULL;
    dms_plan *plain = NULL, *franchise = NULL;
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/base-2026.json", &plain, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/base-2026.json", &franchise, NULL), DMS_OK);
    size_t line = 0;
    for (size_t m = 0; m < franchise->segments[0].nmodules; m++)
        if (strcmp(franchise->segments[0].modules[m].code, "hospital_emergency") == 0) {
            dms_plan_module *pm = &franchise->segments[0].modules[m];
            pm->cov.deductible = 5000;
            pm->cov.franchise = true;
            pm->set_terms |= DMS_TERM_DEDUCTIBLE;
            line = m;
        }
    dms_quote *a = quote_of(census, plain, false), *b = quote_of(census, franchise, false);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        assert_true(b->segments[0].lines[line].money[k].gross_kopecks <
                    a->segments[0].lines[line].money[k].gross_kopecks);
        assert_true(b->total.money[k].gross_kopecks <= a->total.money[k].gross_kopecks);
    }
    dms_quote_free(a);
    dms_quote_free(b);
    dms_plan_free(plain);
    dms_plan_free(franchise);
    dms_census_free(census);
}

/* Only lines employees choose carry anti-selection: in the personalised
 * example, mental health of the "young" segment is unmarked (the tariff
 * calls the module optional) and so employer-paid, while dental there and
 * mental health of "remote" are voluntary. */
static void test_anti_selection_only_where_chosen(void **state)
{
    (void)state;
    dms_census *census = NULL;
    dms_plan *plan = NULL;
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/personalised-2026.json", &plan, NULL),
                     DMS_OK);
    dms_quote *q = quote_of(census, plan, false);
    size_t checked = 0;
    for (size_t s = 0; s < q->nsegments; s++)
        for (size_t m = 0; m < q->segments[s].nlines; m++) {
            const dms_quote_line *l = &q->segments[s].lines[m];
            const dms_plan_module *pm = &plan->segments[s].modules[m];
            bool chosen = (pm->set_terms & DMS_TERM_VOLUNTARY) && pm->voluntary;
            assert_int_equal(l->voluntary, chosen);
            for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
                if (chosen && l->money[k].expected_claims > 0)
                    assert_true(l->money[k].anti_selection > 0);
                if (!chosen)
                    assert_true(l->money[k].anti_selection == 0);
            }
            if (strcmp(q->segments[s].plan->code, "young") == 0 &&
                strcmp(l->module->code, "mental_health") == 0) {
                assert_true(l->module->optional); /* the tariff allows choosing it... */
                assert_false(l->voluntary);       /* ...but here the employer pays it */
                assert_int_equal(l->anti_selection_reason, DMS_ANTISEL_NOT_MARKED);
                checked++;
            }
        }
    assert_int_equal(checked, 1);
    /* The JSON says per line whether and why. */
    json_t *report = dms_report_quote(q, NULL);
    json_t *young = json_array_get(json_object_get(report, "segments"), 3);
    assert_string_equal(json_string_value(json_object_get(young, "code")), "young");
    json_t *mental = json_array_get(json_object_get(young, "modules"), 4);
    assert_string_equal(json_string_value(json_object_get(mental, "module")), "mental_health");
    json_t *as = json_object_get(mental, "anti_selection");
    assert_true(json_is_false(json_object_get(as, "applied")));
    assert_string_equal(json_string_value(json_object_get(as, "reason")), "not_marked");
    json_t *dental = json_array_get(json_object_get(young, "modules"), 5);
    as = json_object_get(dental, "anti_selection");
    assert_true(json_is_true(json_object_get(as, "applied")));
    assert_string_equal(json_string_value(json_object_get(as, "reason")), "voluntary");
    json_decref(report);
    dms_quote_free(q);
    dms_plan_free(plan);
    dms_census_free(census);
}

/* One printed row adds up to the kopeck and no amount moved by more than
 * one kopeck from its exact value. */
static void check_row(const dms_quote_money *m, bool exact_parts)
{
    const double v[DMS_QUOTE_MONEY_PARTS] = {
        m->expected_claims, m->group_size_load, m->anti_selection, m->pure_premium, m->admin_fee,
        m->contingency,     m->expense,         m->commission,     m->profit,       m->rounding};
    int64_t loaded = 0, pure = 0;
    for (int i = 0; i < DMS_MONEY_PURE_PREMIUM; i++)
        pure += m->kopecks[i];
    for (int i = DMS_MONEY_PURE_PREMIUM; i < DMS_QUOTE_MONEY_PARTS; i++)
        loaded += m->kopecks[i];
    assert_int_equal(loaded, m->gross_kopecks);
    assert_int_equal(pure, m->kopecks[DMS_MONEY_PURE_PREMIUM]);
    if (exact_parts)
        for (int i = 0; i < DMS_QUOTE_MONEY_PARTS; i++)
            /* pure is the sum of three amounts rounded to the kopeck */
            assert_true(fabs((double)m->kopecks[i] - 100 * v[i]) <
                        (i == DMS_MONEY_PURE_PREMIUM ? 1.5 : 1.0) + 1e-6);
}

/* pure + admin + contingency + expense + commission + profit + rounding =
 * gross in every printed row (module, segment, total), in the JSON as in
 * the structure; the segments add up to the total column by column. */
static void test_printed_rows_add_up(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"examples/census/startup-60.csv", "examples/plans/personalised-2026.json"},
        {"examples/census/startup-60.csv", "examples/plans/base-2026.json"},
        {"examples/census/startup-60.csv", "examples/plans/personalised-2026.json"},
    };
    /* Under valgrind the two small cases cover the same code. */
    size_t ncases = getenv("DMS_UNDER_VALGRIND") ? 2 : sizeof cases / sizeof cases[0];
    for (size_t c = 0; c < ncases; c++) {
        dms_census *census = NULL;
        dms_plan *plan = NULL;
        assert_int_equal(dms_census_load_file(cases[c][0], &census, NULL), DMS_OK);
        assert_int_equal(dms_plan_load_file(cases[c][1], &plan, NULL), DMS_OK);
        dms_quote *q = quote_of(census, plan, false);
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            int64_t columns[DMS_QUOTE_MONEY_PARTS] = {0};
            for (size_t s = 0; s < q->nsegments; s++) {
                const dms_quote_segment *qs = &q->segments[s];
                for (size_t m = 0; m < qs->nlines; m++)
                    check_row(&qs->lines[m].money[k], true);
                check_row(&qs->total.money[k], true);
                for (int i = 0; i < DMS_QUOTE_MONEY_PARTS; i++)
                    columns[i] += qs->total.money[k].kopecks[i];
            }
            check_row(&q->total.money[k], false);
            for (int i = 0; i < DMS_QUOTE_MONEY_PARTS; i++)
                assert_true(columns[i] == q->total.money[k].kopecks[i]);
        }
        /* The same sums from the printed JSON. */
        json_t *report = dms_report_quote(q, NULL);
        static const char *const loaded[] = {"pure_premium", "admin_fee", "contingency", "expense",
                                             "commission",   "profit",    "rounding"};
        json_t *rows[64];
        size_t nrows = 0;
        json_t *segments = json_object_get(report, "segments");
        for (size_t s = 0; s < json_array_size(segments); s++) {
            json_t *seg = json_array_get(segments, s);
            rows[nrows++] = json_object_get(seg, "scenarios");
            json_t *lines = json_object_get(seg, "modules");
            for (size_t m = 0; m < json_array_size(lines) && nrows < 64; m++)
                rows[nrows++] = json_object_get(json_array_get(lines, m), "scenarios");
        }
        rows[nrows++] = json_object_get(json_object_get(report, "total"), "scenarios");
        for (size_t r = 0; r < nrows; r++)
            for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
                json_t *m = json_object_get(rows[r], dms_scenario_name((enum dms_scenario_kind)k));
                long long sum = 0;
                for (size_t i = 0; i < 7; i++)
                    sum += llround(100 * json_real_value(json_object_get(m, loaded[i])));
                assert_int_equal(
                    sum, llround(100 * json_real_value(json_object_get(m, "gross_premium"))));
                long long pure =
                    llround(100 * json_real_value(json_object_get(m, "expected_claims"))) +
                    llround(100 * json_real_value(json_object_get(m, "group_size_load"))) +
                    llround(100 * json_real_value(json_object_get(m, "anti_selection")));
                assert_int_equal(
                    pure, llround(100 * json_real_value(json_object_get(m, "pure_premium"))));
            }
        json_decref(report);
        dms_quote_free(q);
        dms_plan_free(plan);
        dms_census_free(census);
    }
}

static void test_scenarios_ordered_and_segments_add_up(void **state)
{
    (void)state;
    dms_census *census = NULL;
    dms_diag *diag = NULL;
    dms_plan *plan = NULL;
    dms_error err;
    dms_error_clear(&err);
    dms_diag_alloc(0, &diag);
    assert_int_equal(dms_census_load_file("examples/census/holding-5000.csv", &census, diag),
                     DMS_OK);
    assert_int_equal(dms_plan_load_file("examples/plans/holding-by-column-2026.json", &plan, &err),
                     DMS_OK);
    dms_quote *q = quote_of(census, plan, false);
    int64_t sum[DMS_SCENARIO_COUNT] = {0};
    double claims[DMS_SCENARIO_COUNT] = {0};
    size_t people = 0;
    for (size_t s = 0; s < q->nsegments; s++) {
        const dms_quote_segment *qs = &q->segments[s];
        people += qs->total.people;
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            sum[k] += qs->total.money[k].gross_kopecks;
            claims[k] += qs->total.money[k].expected_claims;
        }
        for (size_t m = 0; m < qs->nlines; m++) {
            const dms_quote_money *line = qs->lines[m].money;
            assert_true(line[DMS_SCENARIO_PESSIMISTIC].expected_claims >=
                        line[DMS_SCENARIO_BASE].expected_claims);
            assert_true(line[DMS_SCENARIO_BASE].expected_claims >=
                        line[DMS_SCENARIO_OPTIMISTIC].expected_claims);
        }
        assert_true(qs->total.money[2].gross_kopecks >= qs->total.money[1].gross_kopecks);
        assert_true(qs->total.money[1].gross_kopecks >= qs->total.money[0].gross_kopecks);
    }
    assert_int_equal(people, 5000);
    assert_int_equal(q->total.people, 5000);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        assert_true(sum[k] == q->total.money[k].gross_kopecks); /* to the kopeck */
        assert_close(claims[k], q->total.money[k].expected_claims, 1e-12);
    }
    /* Every loading step is accounted for: gross = pure + admin + contingency
     * + expense + commission + profit + rounding. */
    const dms_quote_money *m = &q->total.money[DMS_SCENARIO_BASE];
    double steps = m->pure_premium + m->admin_fee + m->contingency + m->expense + m->commission +
                   m->profit + m->rounding;
    assert_close(steps, (double)m->gross_kopecks / 100, 1e-9);
    dms_quote_free(q);
    dms_plan_free(plan);
    dms_census_free(census);
    dms_diag_free(diag);
}

static void test_doubling_rows_doubles_totals(void **state)
{
    (void)state;
    /* 300 and 600 people share the tariff's group-size band (250-999). */
    char *once = random_census(31, 200, 18, 64, true, 1, 0);
    char *twice = random_census(31, 200, 18, 64, true, 2, 0);
    dms_census *a = parse_census(once), *b = parse_census(twice);
    assert_int_equal(b->count, 2 * a->count);
    double fa, fb;
    dms_tariff_group_factor(tariff, (long)a->count, &fa, NULL);
    dms_tariff_group_factor(tariff, (long)b->count, &fb, NULL);
    assert_true(fa == fb);
    dms_plan *plan = make_plan("standard", "[{\"module\":\"outpatient\",\"copay\":0.1},"
                                           "{\"module\":\"hospital_planned\"},"
                                           "{\"module\":\"dental\"},{\"module\":\"checkup\"}]");
    dms_quote *qa = quote_of(a, plan, true), *qb = quote_of(b, plan, true);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        assert_true(gross(qb, k) == 2 * gross(qa, k));
        assert_close(qb->total.money[k].expected_claims, 2 * qa->total.money[k].expected_claims,
                     1e-12);
        assert_close(qb->distribution[k].mean, 2 * qa->distribution[k].mean, 1e-6);
        assert_close(qb->distribution[k].sd, sqrt(2) * qa->distribution[k].sd, 1e-3);
    }
    assert_int_equal(qa->cells, qb->cells);
    dms_quote_free(qa);
    dms_quote_free(qb);
    dms_plan_free(plan);
    dms_census_free(a);
    dms_census_free(b);
    free(once);
    free(twice);
}

/* ---- Group percentiles against a direct simulation of every person ---- */

static double simulate_payment(gsl_rng *rng, const dms_model_rated *rated, const dms_coverage *cov,
                               double annual_limit)
{
    const dms_frequency *f = &rated->frequency;
    unsigned n = f->kind == DMS_FREQ_NEGBIN
                     ? gsl_ran_negative_binomial(rng, f->size / (f->size + f->mean), f->size)
                     : gsl_ran_poisson(rng, f->mean);
    double total = 0;
    for (unsigned i = 0; i < n; i++) {
        const dms_severity *s = &rated->severity;
        double x = s->kind == DMS_SEV_GAMMA ? gsl_ran_gamma(rng, s->shape, s->scale)
                                            : gsl_ran_lognormal(rng, s->meanlog, s->sdlog);
        double covered = cov->franchise ? (x > cov->deductible ? fmin(x, cov->claim_limit) : 0)
                                        : fmax(fmin(x, cov->claim_limit) - cov->deductible, 0);
        total += (1 - cov->copay) * covered;
    }
    return fmin(total, annual_limit);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_percentiles_against_simulation(void **state)
{
    (void)state;
    dms_census *census = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &census, diag), DMS_OK);
    dms_plan *plan = make_plan("standard", "[{\"module\":\"outpatient\",\"annual_limit\":60000},"
                                           "{\"module\":\"hospital_emergency\"},"
                                           "{\"module\":\"dental\",\"copay\":0.2}]");
    dms_quote *q = quote_of(census, plan, true);
    const dms_quote_distribution *d = &q->distribution[DMS_SCENARIO_BASE];
    assert_close(d->mean, q->total.money[DMS_SCENARIO_BASE].expected_claims, 1e-6);

    /* Rate every person exactly as the quote should, then simulate. */
    size_t sims = getenv("DMS_UNDER_VALGRIND") ? 2000 : 40000;
    double *totals = calloc(sims, sizeof *totals);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2026);
    double trend;
    assert_int_equal(dms_model_trend_years(model, "2026-01-01", "2026-12-31", &trend, NULL),
                     DMS_OK);
    const dms_network *net = dms_tariff_find_network(tariff, "standard");
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        const dms_region *region;
        dms_tariff_region_lookup(tariff, p->region, &region, NULL);
        size_t band;
        int age = dms_census_age(p, 2026, 1, 1);
        dms_model_age_band(model, age < 0 ? 0 : age, &band, NULL);
        dms_model_adjust adj = dms_model_adjust_neutral();
        adj.network_frequency = net->frequency_factor;
        adj.network_cost = net->cost_factor;
        adj.region = region->factor;
        adj.trend_years = trend;
        adj.scenario = model->scenarios[DMS_SCENARIO_BASE];
        for (size_t m = 0; m < plan->segments[0].nmodules; m++) {
            const dms_quote_line *line = &q->segments[0].lines[m];
            dms_model_rated rated;
            assert_int_equal(dms_model_rate(model, dms_model_find(model, line->module->code), band,
                                            (int)p->sex, &adj, &rated, NULL),
                             DMS_OK);
            for (size_t s = 0; s < sims; s++)
                totals[s] += simulate_payment(rng, &rated, &line->cov, line->annual_limit);
        }
    }
    qsort(totals, sims, sizeof *totals, compare_double);
    double mean = 0;
    for (size_t s = 0; s < sims; s++)
        mean += totals[s] / (double)sims;
    print_message("group mean: convolution %.0f simulation %.0f\n", d->mean, mean);
    assert_abs_close(mean, d->mean, 4 * d->sd / sqrt((double)sims));
    for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++) {
        double level = dms_quote_percentile_levels[k];
        double simulated = totals[(size_t)ceil(level * (double)sims) - 1];
        print_message("P%g: convolution %.0f simulation %.0f normal %.0f\n", 100 * level,
                      d->percentiles[k], simulated, d->normal[k]);
        /* 60 people: skewed enough that the normal approximation is off at
         * P99, while the convolution must match the simulation. */
        assert_close(d->percentiles[k], simulated, getenv("DMS_UNDER_VALGRIND") ? 0.08 : 0.02);
    }
    gsl_rng_free(rng);
    free(totals);
    dms_quote_free(q);
    dms_plan_free(plan);
    dms_census_free(census);
    dms_diag_free(diag);
}

/* ---- Errors ---- */

static void test_plan_faults_are_reported_with_pointers(void **state)
{
    (void)state;
    char *csv = random_census(41, 20, 20, 60, true, 1, 0);
    dms_census *census = parse_census(csv);
    dms_plan *plan = make_plan("gold", "[{\"module\":\"outpatient\",\"deductible\":777},"
                                       "{\"module\":\"teleportation\"},"
                                       "{\"module\":\"dental\",\"copay\":0.15}]");
    dms_quote *q = (dms_quote *)1;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    assert_int_equal(dms_quote_compute(tariff, model, plan, census, NULL, &q, diag, NULL),
                     DMS_EINVAL);
    assert_null(q);
    const char *expected[] = {"/segments/0/network", "/segments/0/modules/0/deductible",
                              "/segments/0/modules/1/module", "/segments/0/modules/2/copay"};
    assert_int_equal(dms_diag_count(diag), 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(dms_diag_get(diag, i)->path, expected[i]);
    dms_diag_free(diag);
    dms_plan_free(plan);
    dms_census_free(census);
    free(csv);
}

static void test_people_without_segment_are_reported(void **state)
{
    (void)state;
    const char *text = "{\"name\":\"x\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
                       "\"segments\":[{\"code\":\"young\",\"name_ru\":\"м\",\"name_en\":\"y\","
                       "\"rule\":{\"age_max\":30},\"network\":\"standard\",\"modules\":[{"
                       "\"module\":\"outpatient\"}]}]}";
    json_t *root = NULL;
    dms_plan *plan = NULL;
    assert_int_equal(dms_json_parse_text(text, strlen(text), &root, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_json(root, NULL, &plan, NULL), DMS_OK);
    json_decref(root);
    const char *csv = "employee_id,relation,birth_date,sex,region\n"
                      "1,employee,1999-05-05,M,Москва\n"
                      "2,employee,1970-05-05,F,Москва\n"
                      "2,child,2015-01-01,F,Москва\n";
    dms_census *census = parse_census(csv);
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(tariff, model, plan, census, NULL, &q, diag, NULL),
                     DMS_EINVAL);
    /* The 1970 employee and her child: lines 3 and 4. */
    assert_int_equal(dms_diag_count(diag), 2);
    assert_int_equal(dms_diag_get(diag, 0)->line, 3);
    assert_int_equal(dms_diag_get(diag, 1)->line, 4);
    dms_diag_free(diag);
    dms_plan_free(plan);
    dms_census_free(census);
}

static void test_children_segment_by_relation(void **state)
{
    (void)state;
    /* Children get their own segment; everyone else follows the employee. */
    const char *text =
        "{\"name\":\"x\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
        "\"segments\":[{\"code\":\"kids\",\"name_ru\":\"дети\",\"name_en\":\"children\","
        "\"rule\":{\"relations\":[\"ребёнок\"],\"age_max\":17},\"network\":\"economy\","
        "\"modules\":[{\"module\":\"outpatient\"}]},"
        "{\"code\":\"young\",\"name_ru\":\"м\",\"name_en\":\"y\",\"rule\":{\"age_max\":30},"
        "\"network\":\"standard\",\"modules\":[{\"module\":\"outpatient\"}]},"
        "{\"code\":\"rest\",\"name_ru\":\"о\",\"name_en\":\"r\",\"network\":\"standard\","
        "\"modules\":[{\"module\":\"outpatient\"}]}]}";
    json_t *root = NULL;
    dms_plan *plan = NULL;
    assert_int_equal(dms_json_parse_text(text, strlen(text), &root, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_json(root, NULL, &plan, NULL), DMS_OK);
    json_decref(root);
    assert_int_equal(plan->segments[0].rule.relations, 1u << DMS_RELATION_CHILD);
    const char *csv = "employee_id,relation,birth_date,sex,region\n"
                      "1,employee,1999-05-05,M,Москва\n" /* 26: young */
                      "1,spouse,1990-05-05,F,Москва\n"   /* 35: follows employee: young */
                      "1,child,2020-01-01,F,Москва\n"    /* kids */
                      "2,employee,1970-05-05,F,Москва\n" /* rest */
                      "2,child,2007-06-01,M,Москва\n";   /* 18 at the start: follows: rest */
    dms_census *census = parse_census(csv);
    size_t segment_of[5];
    assert_int_equal(dms_plan_assign(plan, census, "c", segment_of, NULL), DMS_OK);
    const size_t expected[5] = {1, 1, 0, 2, 2};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(segment_of[i], expected[i]);
    /* A relation the vocabularies do not know is refused at its pointer. */
    const char *bad = "{\"name\":\"x\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
                      "\"segments\":[{\"code\":\"k\",\"name_ru\":\"д\",\"name_en\":\"c\","
                      "\"rule\":{\"relations\":[\"child\",\"cousin\"]},\"network\":\"economy\","
                      "\"modules\":[{\"module\":\"outpatient\"}]}]}";
    dms_plan *refused = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_parse_text(bad, strlen(bad), &root, NULL), DMS_OK);
    assert_int_equal(dms_plan_load_json(root, NULL, &refused, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/segments/0/rule/relations/1");
    json_decref(root);
    dms_census_free(census);
    dms_plan_free(plan);
}

/* ---- Golden files ---- */

static bool json_close(const json_t *a, const json_t *b, char *where, size_t size)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y)) + 0.005;
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)a, key, value)
        {
            json_t *other = json_object_get(b, key);
            if (other == NULL || !json_close(value, other, where, size)) {
                size_t len = strlen(where);
                snprintf(where + len, size - len, "<-%s", key);
                return false;
            }
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_close(json_array_get(a, i), json_array_get(b, i), where, size))
                return false;
        return true;
    }
    return json_equal(a, b);
}

static void check_golden(const char *census_path, const char *plan_path, const char *golden)
{
    dms_census *census = NULL;
    dms_plan *plan = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    assert_int_equal(dms_census_load_file(census_path, &census, diag), DMS_OK);
    assert_int_equal(dms_plan_load_file(plan_path, &plan, NULL), DMS_OK);
    dms_quote *q = quote_of(census, plan, true);
    json_t *report = dms_report_quote(q, NULL);
    assert_non_null(report);
    if (getenv("DMS_UPDATE_GOLDEN")) {
        assert_int_equal(json_dump_file(report, golden, DMS_JSON_DUMP_FLAGS | JSON_INDENT(2)), 0);
    } else {
        json_error_t jerr;
        json_t *expected = json_load_file(golden, 0, &jerr);
        if (expected == NULL)
            print_error("%s: %s (DMS_UPDATE_GOLDEN=1 creates it)\n", golden, jerr.text);
        assert_non_null(expected);
        char where[512] = "";
        bool same = json_close(report, expected, where, sizeof where);
        if (!same)
            print_error("%s differs at %s\n", golden, where);
        assert_true(same);
        json_decref(expected);
    }
    json_decref(report);
    dms_quote_free(q);
    dms_plan_free(plan);
    dms_census_free(census);
    dms_diag_free(diag);
}

static void test_golden_examples(void **state)
{
    (void)state;
    check_golden("examples/census/startup-60.csv", "examples/plans/personalised-2026.json",
                 "tests/golden/quote/startup-60-personalised.json");
    check_golden("examples/census/midsize-450.csv", "examples/plans/base-2026.json",
                 "tests/golden/quote/midsize-450-base.json");
    /* Under valgrind (50x slower) the smaller goldens cover the same code. */
    if (getenv("DMS_UNDER_VALGRIND") == NULL)
        check_golden("examples/census/holding-5000.csv",
                     "examples/plans/holding-by-column-2026.json",
                     "tests/golden/quote/holding-5000-by-column.json");
}

/* The census quoted under the plan at plan_path with percentiles by the
 * quote's method (*fast) and by the reference method (*reference). */
static void quote_both_ways(const dms_census *census, const char *plan_path, dms_plan **plan,
                            dms_quote **fast, dms_quote **reference)
{
    assert_int_equal(dms_plan_load_file(plan_path, plan, NULL), DMS_OK);
    dms_quote_options opts = dms_quote_options_default();
    assert_int_equal(dms_quote_compute(tariff, model, *plan, census, &opts, fast, NULL, NULL),
                     DMS_OK);
    opts.reference_percentiles = true;
    assert_int_equal(dms_quote_compute(tariff, model, *plan, census, &opts, reference, NULL, NULL),
                     DMS_OK);
}

/* ---- Percentiles against a high-resolution reference ---- */

/*
 * The group's percentiles (one FFT circle, each cell's transform raised to
 * its head count) agree within 0.1% with the reference method, which
 * convolves every cell's total on its own with every span four times finer
 * (quote.h), for 60 to 100,000 people; and the 450-person ones stay within
 * 0.1% of what the quote gave before that method (the golden file at
 * 329a281, GSL's FFT, cell totals rebinned onto the group lattice).
 */
static void check_census_against_reference(dms_census *census, const char *plan_path,
                                           const double (*before)[DMS_QUOTE_NPERCENTILES])
{
    dms_plan *plan = NULL;
    dms_quote *fast = NULL, *reference = NULL;
    quote_both_ways(census, plan_path, &plan, &fast, &reference);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        const dms_quote_distribution *a = &fast->distribution[k], *b = &reference->distribution[k];
        assert_close(a->mean, b->mean, 1e-4);
        /* The person lattice (a tenth of its sd) spreads the sum by up to
         * 0.25% of its variance; the reference by a sixteenth of that. */
        assert_close(a->sd, b->sd, 3e-3);
        for (int i = 0; i < DMS_QUOTE_NPERCENTILES; i++) {
            assert_close(a->percentiles[i], b->percentiles[i], 1e-3);
            if (before != NULL)
                assert_close(a->percentiles[i], before[k][i], 1e-3);
            if (i > 0) /* and the reference is a distribution function's */
                assert_true(b->percentiles[i] >= b->percentiles[i - 1]);
        }
    }
    dms_quote_free(fast);
    dms_quote_free(reference);
    dms_plan_free(plan);
    dms_census_free(census);
}

static void check_against_reference(const char *census_path, const char *plan_path,
                                    const double (*before)[DMS_QUOTE_NPERCENTILES])
{
    dms_census *census = NULL;
    assert_int_equal(dms_census_load_file(census_path, &census, NULL), DMS_OK);
    check_census_against_reference(census, plan_path, before);
}

/* The holding census repeated 20 times with new ids: 100,000 people, whose
 * group lattice is set by GROUP_RESOLUTION of the mean, not by the sd. */
static dms_census *holding_times_20(void)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(
        dms_file_read("examples/census/holding-5000.csv", 0, "census", &text, &len, NULL), DMS_OK);
    const char *body = strchr(text, '\n') + 1;
    size_t header = (size_t)(body - text), body_len = len - header;
    size_t cap = header + 20 * (body_len + body_len / 4) + 1, used = header;
    char *big = malloc(cap);
    assert_non_null(big);
    memcpy(big, text, header);
    for (int copy = 0; copy < 20; copy++)
        for (const char *line = body; *line != '\0';) {
            const char *end = strchr(line, '\n');
            size_t n = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
            used += (size_t)snprintf(big + used, cap - used, "c%d-", copy);
            memcpy(big + used, line, n);
            used += n;
            line += n;
        }
    dms_census *census = NULL;
    assert_int_equal(dms_census_parse_csv(big, used, "x20", &census, NULL), DMS_OK);
    assert_int_equal(census->count, 100000);
    free(big);
    free(text);
    return census;
}

static void test_percentiles_match_the_reference(void **state)
{
    (void)state;
    static const double midsize_before[DMS_SCENARIO_COUNT][DMS_QUOTE_NPERCENTILES] = {
        {15213034.6, 16236116.23, 17218039.4, 17835416.24, 19049590.69},
        {15968003.85, 17028048.55, 18045447.77, 18682083.81, 19937079.25},
        {19178816.39, 20395108.48, 21558823.1, 22284392.15, 23710994.11},
    };
    check_against_reference("examples/census/startup-60.csv",
                            "examples/plans/personalised-2026.json", NULL);
    /* Under valgrind (50x slower) the 60 people cover the same code. */
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        return;
    check_against_reference("examples/census/midsize-450.csv", "examples/plans/base-2026.json",
                            midsize_before);
    check_against_reference("examples/census/midsize-450.csv",
                            "examples/plans/personalised-2026.json", NULL);
    check_against_reference("examples/census/holding-5000.csv",
                            "examples/plans/holding-by-column-2026.json", NULL);
    check_census_against_reference(holding_times_20(), "examples/plans/holding-by-column-2026.json",
                                   NULL);
}

/* ---- The cell cache gives the very doubles a fresh computation gives ---- */

static void test_cache_hits_are_bit_identical(void **state)
{
    (void)state;
    /* 60 employees (12 under valgrind, whose run is 50 times slower). */
    int employees = getenv("DMS_UNDER_VALGRIND") != NULL ? 12 : 60;
    char *csv = random_census(47, employees, 18, 64, true, 1, 0);
    dms_census *census = parse_census(csv);
    dms_plan *plan = make_plan("standard", "[{\"module\":\"outpatient\",\"copay\":0.1},"
                                           "{\"module\":\"hospital_planned\"},"
                                           "{\"module\":\"dental\"}]");
    dms_quote_cache_clear();
    dms_quote *cold = quote_of(census, plan, true);
    unsigned long long hits, misses;
    dms_quote_cache_stats(&hits, &misses);
    assert_true(misses > 0);
    dms_quote *warm = quote_of(census, plan, true);
    unsigned long long hits2, misses2;
    dms_quote_cache_stats(&hits2, &misses2);
    assert_int_equal(misses2, misses); /* the second quote computed nothing new */
    assert_true(hits2 > hits);         /* it found what the first computed */
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        assert_memory_equal(&cold->total.money[k], &warm->total.money[k],
                            sizeof cold->total.money[k]);
        assert_memory_equal(&cold->distribution[k], &warm->distribution[k],
                            sizeof cold->distribution[k]);
    }
    /* And a cleared cache computes them again, to the same bits. */
    dms_quote_cache_clear();
    dms_quote *again = quote_of(census, plan, true);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        assert_memory_equal(&cold->distribution[k], &again->distribution[k],
                            sizeof cold->distribution[k]);
    dms_quote_free(cold);
    dms_quote_free(warm);
    dms_quote_free(again);
    dms_plan_free(plan);
    dms_census_free(census);
    free(csv);
}

/* ---- A lattice lent out of the cache outlives the cache's clearing ---- */

static void *clear_until_done(void *arg)
{
    const atomic_bool *done = arg;
    while (!atomic_load(done))
        dms_quote_cache_clear();
    return NULL;
}

static void test_lent_lattices_outlive_a_cleared_cache(void **state)
{
    (void)state;
    /* The group pass reads the money pass's module lattices in place,
     * lent by the module cache: emptied by another thread all the while,
     * the cache must neither free them under the quote (ASan and valgrind
     * see it) nor change a double of the answer. */
    bool valgrind = getenv("DMS_UNDER_VALGRIND") != NULL; /* which runs one thread at a time */
    int employees = valgrind ? 12 : 60;
    char *csv = random_census(53, employees, 18, 64, true, 1, 0);
    dms_census *census = parse_census(csv);
    dms_plan *plan = make_plan("standard", "[{\"module\":\"outpatient\",\"copay\":0.1},"
                                           "{\"module\":\"hospital_planned\"},"
                                           "{\"module\":\"dental\"}]");
    dms_quote_cache_clear();
    dms_quote *calm = quote_of(census, plan, true);
    atomic_bool done = false;
    pthread_t clearer;
    assert_int_equal(pthread_create(&clearer, NULL, clear_until_done, &done), 0);
    for (int round = 0; round < (valgrind ? 1 : 5); round++) {
        dms_quote *stormy = quote_of(census, plan, true);
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            assert_memory_equal(&calm->total.money[k], &stormy->total.money[k],
                                sizeof calm->total.money[k]);
            assert_memory_equal(&calm->distribution[k], &stormy->distribution[k],
                                sizeof calm->distribution[k]);
        }
        dms_quote_free(stormy);
    }
    atomic_store(&done, true);
    pthread_join(clearer, NULL);
    dms_quote_free(calm);
    dms_plan_free(plan);
    dms_census_free(census);
    free(csv);
}

/*
 * The coarse grid's error, stated. The default method sums the group on a
 * lattice of span h = group sd / 60 (a circle of 1024 points) with every
 * person on a span H of at least h (at most max(h, a tenth of its sd), or
 * the cell's total on h when h exceeds 1.2 person sds). Its percentiles
 * differ from the reference method's (persons on a fortieth of their sd,
 * cells on a 2,000th of the group's sd, quote.h) through:
 * - the reading between knots: the lattice's F at (k + 1/2) h, taken linear
 *   between knots, moves a quantile by about h^2 |z| / 6 sd-units, 1e-4 sd
 *   at P99 for h = sd / 60 (test_lattice's test_quantile_smooth);
 * - the spread of moving each person onto H, at most H^2 / 4 of variance
 *   each (up to 3% of the group's variance for 450 people), taken back as a
 *   normal in the frequency domain. What remains is its departure from a
 *   normal independent of the claims: its third cumulant (at most
 *   H^3 / (6 sqrt 3) for each module moved, and near zero averaged over
 *   where the points fall; 450 people at H = h with that average at a
 *   tenth of the most move a quantile by about 1e-4 sd by Cornish-Fisher)
 *   and its dependence on the claims (a person with no claims is not
 *   spread at all, so the upper tail is spread more than the average taken
 *   back), largest where few people make the tail: 0.0012 sd at P99 for 60 people and 0.0015 sd for
 * 5,000 (whose cells of large spans are moved onto h whole), measured;
 * - the reference's own spread (persons at a fortieth of their sd and cells
 *   on a 2,000th of the group's, not taken back: up to 0.016% of the
 *   variance, 2e-4 sd at P99).
 * So every percentile stays within 0.002 sd of the reference for groups of
 * 20 people or more (SPREAD_MIN_PEOPLE in quote.c; below it, see the test),
 * on every example census and plan and the 100,000 people; for these (sd at
 * most 25% of the mean) that is within 5e-4 of the percentile, twice
 * inside the 0.1% the issue allows. The sd itself is not the grid's: it is the
 * exact one of the modules' lattices, the same for both methods, and the
 * mean is the money pass's expected claims.
 */
static void check_grid_error(dms_census *census, const char *plan_path, double bound_sd)
{
    dms_plan *plan = NULL;
    dms_quote *fast = NULL, *reference = NULL;
    quote_both_ways(census, plan_path, &plan, &fast, &reference);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        const dms_quote_distribution *a = &fast->distribution[k], *b = &reference->distribution[k];
        assert_true(a->mean == b->mean && a->sd == b->sd);
        /* the mean is the money pass's expected claims */
        assert_close(a->mean, fast->total.money[k].expected_claims, 1e-12);
        for (int i = 0; i < DMS_QUOTE_NPERCENTILES; i++) {
            double off = fabs(a->percentiles[i] - b->percentiles[i]);
            if (off > bound_sd * a->sd)
                print_error("%zu people, scenario %d P%g: %.2f vs reference %.2f, %.5f sd\n",
                            census->count, k, 100 * dms_quote_percentile_levels[i],
                            a->percentiles[i], b->percentiles[i], off / a->sd);
            assert_true(off <= bound_sd * a->sd);
            if (bound_sd <= 0.002)
                assert_true(off <= 5e-4 * b->percentiles[i]);
        }
    }
    dms_quote_free(fast);
    dms_quote_free(reference);
    dms_plan_free(plan);
    dms_census_free(census);
}

static dms_census *census_of(const char *path)
{
    dms_census *census = NULL;
    assert_int_equal(dms_census_load_file(path, &census, NULL), DMS_OK);
    return census;
}

/* The first n people of the 60-person census. */
static dms_census *first_people(size_t n)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(
        dms_file_read("examples/census/startup-60.csv", 0, "census", &text, &len, NULL), DMS_OK);
    char *end = text;
    for (size_t line = 0; line <= n; line++)
        end = strchr(end, '\n') + 1;
    dms_census *census = NULL;
    assert_int_equal(dms_census_parse_csv(text, (size_t)(end - text), "first", &census, NULL),
                     DMS_OK);
    assert_int_equal(census->count, n);
    free(text);
    return census;
}

static void test_coarse_grid_error_is_stated(void **state)
{
    (void)state;
    /* Under 20 people nothing is taken back and the persons lie on a tenth
     * of their sd, as before the coarse grid; a few people's sum is lumpy
     * (everyone without claims is an atom), and a quantile read between
     * knots there is off by up to 0.05 sd (the old method: as much). From
     * 20 people on the bound is the large groups'. */
    check_grid_error(first_people(1), "examples/plans/base-2026.json", 0.05);
    check_grid_error(first_people(3), "examples/plans/base-2026.json", 0.02);
    check_grid_error(first_people(20), "examples/plans/base-2026.json", 0.002);
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        return; /* 50x slower: 20 people cover the same code */
    check_grid_error(first_people(10), "examples/plans/personalised-2026.json", 0.005);
    check_grid_error(census_of("examples/census/startup-60.csv"),
                     "examples/plans/personalised-2026.json", 0.002);
    check_grid_error(census_of("examples/census/startup-60.csv"), "examples/plans/base-2026.json",
                     0.002);
    check_grid_error(census_of("examples/census/midsize-450.csv"), "examples/plans/base-2026.json",
                     0.002);
    check_grid_error(census_of("examples/census/midsize-450.csv"),
                     "examples/plans/personalised-2026.json", 0.002);
    check_grid_error(census_of("examples/census/holding-5000.csv"),
                     "examples/plans/holding-by-column-2026.json", 0.002);
    check_grid_error(holding_times_20(), "examples/plans/holding-by-column-2026.json", 0.002);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deductible_and_copay_never_raise),
        cmocka_unit_test(test_network_and_limits_never_lower),
        cmocka_unit_test(test_older_census_never_lowers),
        cmocka_unit_test(test_terms_never_raise_any_line),
        cmocka_unit_test(test_franchise_on_startup_lowers_price),
        cmocka_unit_test(test_anti_selection_only_where_chosen),
        cmocka_unit_test(test_printed_rows_add_up),
        cmocka_unit_test(test_scenarios_ordered_and_segments_add_up),
        cmocka_unit_test(test_doubling_rows_doubles_totals),
        cmocka_unit_test(test_percentiles_against_simulation),
        cmocka_unit_test(test_plan_faults_are_reported_with_pointers),
        cmocka_unit_test(test_people_without_segment_are_reported),
        cmocka_unit_test(test_children_segment_by_relation),
        cmocka_unit_test(test_golden_examples),
        cmocka_unit_test(test_percentiles_match_the_reference),
        cmocka_unit_test(test_coarse_grid_error_is_stated),
        cmocka_unit_test(test_cache_hits_are_bit_identical),
        cmocka_unit_test(test_lent_lattices_outlive_a_cleared_cache),
    };
    if (getenv("DMS_TEST_FILTER") != NULL) /* e.g. "test_terms*" */
        cmocka_set_test_filter(getenv("DMS_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
