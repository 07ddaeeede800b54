/*
 * Benefit policy loader: the shipped example loads with the values written
 * in it (Russian relation names, symmetric exclusions, dependency closures),
 * segments are found for census employees by rule and by column, and every
 * validation error names the exact JSON Pointer (each broken variant is the
 * example with one edit), including the check against the shipped tariff.
 */
#include "testutil.h"
#include "jsonedit.h"
#include "policy_example.h"

#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/policy.h"
#include "dms/tariff.h"

#define EXAMPLE EXAMPLE_POLICY

static dms_policy *load_example(void)
{
    dms_policy *p = NULL;
    dms_error err;
    dms_error_clear(&err);
    jsonedit_expect_ok(dms_policy_load_file(EXAMPLE, &p, &err), &err);
    return p;
}

static void test_example_loads(void **state)
{
    (void)state;
    dms_policy *p = load_example();
    assert_string_equal(p->employer_en, "Severny Veter LLC");
    assert_string_equal(p->employer_ru, "ООО «Северный ветер»");
    assert_string_equal(p->period_from, "2026-01-01");
    assert_string_equal(p->enrolment_opens, "2025-11-17");
    assert_int_equal(p->closes_day - p->opens_day, 25);
    assert_int_equal(p->life_event_days, 30);
    assert_int_equal(p->headcount, 450);
    assert_int_equal(p->nsegments, 6);
    assert_int_equal(p->noptions, 11);
    /* segment money and defaults */
    const dms_policy_segment *ops = &p->segments[1];
    assert_string_equal(ops->code, "operations");
    assert_string_equal(ops->network, "economy");
    assert_close(ops->flex_budget, 12000, 0);
    assert_close(ops->top_up_cap, 12000, 0);
    assert_close(ops->employer_share, 0.2, 0);
    assert_int_equal(ops->nbase, 3);
    assert_close(ops->base[0].cov.copay, 0.1, 0);
    assert_false(ops->base[0].voluntary);
    assert_string_equal(p->segments[2].network, "standard"); /* policy default */
    assert_close(p->segments[4].employer_share, 0.0, 0);     /* not given */
    assert_true(p->segments[5].has_rule == false);
    /* options */
    const dms_policy_option *fo = &p->options[FAMILY_OUTPATIENT];
    assert_string_equal(fo->code, "family_outpatient");
    assert_true(fo->module.voluntary);
    assert_int_equal(fo->eligibility.relations, DMS_POLICY_RELATION_BIT(DMS_RELATION_SPOUSE) |
                                                    DMS_POLICY_RELATION_BIT(DMS_RELATION_CHILD));
    assert_int_equal(p->options[CHECKUP].eligibility.relations,
                     DMS_POLICY_RELATION_BIT(DMS_RELATION_EMPLOYEE));
    assert_int_equal(p->options[CHECKUP].eligibility.age_min, 30);
    assert_int_equal(p->options[CHECKUP].eligibility.age_max, -1);
    assert_int_equal(p->options[HOME_VISITS].eligibility.segments,
                     BIT(1) | BIT(3) | BIT(4) | BIT(5));
    assert_int_equal(p->options[DENTAL_BUSINESS].eligibility.min_tenure_months, 6);
    assert_string_equal(p->options[DENTAL_BUSINESS].network, "business");
    assert_true(p->options[HOSPITAL_PLANNED].module.cov.franchise);
    assert_close(p->options[HOSPITAL_PLANNED].module.cov.deductible, 5000, 0);
    /* exclusions are symmetric, closures transitive */
    assert_int_equal(p->options[DENTAL_STANDARD].excludes, BIT(DENTAL_BUSINESS));
    assert_int_equal(p->options[DENTAL_BUSINESS].excludes, BIT(DENTAL_STANDARD));
    assert_int_equal(p->options[FAMILY_DENTAL].requires, BIT(FAMILY_OUTPATIENT));
    assert_int_equal(p->options[FAMILY_DENTAL].closure,
                     BIT(FAMILY_DENTAL) | BIT(FAMILY_OUTPATIENT));
    assert_int_equal(p->options[MENTAL_HEALTH].closure, BIT(MENTAL_HEALTH));
    assert_int_equal(dms_policy_find_option(p, "family_dental"), FAMILY_DENTAL);
    assert_int_equal(dms_policy_find_option(p, "nope"), -1);
    assert_int_equal(dms_policy_find_segment(p, "young"), 4);
    assert_string_equal(dms_policy_option_network(p, 1, DENTAL_BUSINESS), "business");
    assert_string_equal(dms_policy_option_network(p, 1, MENTAL_HEALTH), "economy");

    dms_model *m = NULL;
    dms_tariff *t = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &m, &err), DMS_OK);
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &t, &err), DMS_OK);
    assert_int_equal(dms_policy_check_tariff(p, t, m, &err), DMS_OK);
    dms_tariff_free(t);
    dms_model_free(m);
    dms_policy_free(p);
    dms_policy_free(NULL);
}

static void test_transitive_closure(void **state)
{
    (void)state;
    json_t *root = jsonedit_load(EXAMPLE);
    /* child_home_visits -> family_dental -> family_outpatient */
    jsonedit_set_text(root, "/options/9/requires/0", "\"family_dental\"");
    dms_policy *p = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_load_json(root, NULL, &p, &err), DMS_OK);
    assert_int_equal(p->options[CHILD_HOME_VISITS].closure,
                     BIT(CHILD_HOME_VISITS) | BIT(FAMILY_DENTAL) | BIT(FAMILY_OUTPATIENT));
    dms_policy_free(p);
    json_decref(root);
}

static void expect_error_at(const char *pointer, const char *value, const char *prefix,
                            const char *path, const char *fragment)
{
    json_t *root = jsonedit_load(EXAMPLE);
    jsonedit_set_text(root, pointer, value);
    dms_policy *p = (dms_policy *)1;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_policy_load_json(root, prefix, &p, &err);
    if (status != DMS_EINVAL || strcmp(err.path, path) != 0 ||
        strstr(err.message, fragment) == NULL) {
        print_error("edit %s: got %d '%s: %s', expected '%s: ...%s...'\n", pointer, status,
                    err.path, err.message, path, fragment);
        fail();
    }
    assert_null(p);
    json_decref(root);
}

static void expect_error(const char *pointer, const char *value, const char *path,
                         const char *fragment)
{
    expect_error_at(pointer, value, NULL, path, fragment);
}

static void test_validation_errors(void **state)
{
    (void)state;
    expect_error("/headcount", NULL, "/headcount", "missing required key");
    expect_error("/headcount", "0", "/headcount", "");
    expect_error("/colour", "\"red\"", "/colour", "unknown key");
    expect_error("/options/3/cover/colour", "1", "/options/3/cover/colour", "unknown key");
    expect_error("/options/3/eligibility/colour", "1", "/options/3/eligibility/colour",
                 "unknown key");
    expect_error("/options/0/colour", "1", "/options/0/colour", "unknown key");
    expect_error("/period/from", "\"2026-02-30\"", "/period/from", "not a date");
    expect_error("/period/to", "\"2025-12-31\"", "/period/to", "end after it starts");
    expect_error("/enrolment/closes", "\"2025-11-01\"", "/enrolment/closes", "closes before");
    expect_error("/enrolment/closes", "\"2027-01-15\"", "/enrolment/closes", "before the period");
    expect_error("/enrolment/life_event_days", "0", "/enrolment/life_event_days", "");
    expect_error("/segments/1/code", "\"management\"", "/segments/1/code", "used twice");
    expect_error("/segments/1/code", "\"Ops\"", "/segments/1/code", "not a code");
    expect_error("/segments/2/flex_budget", "-1", "/segments/2/flex_budget", "");
    expect_error("/segments/2/flex_budget", "100.001", "/segments/2/flex_budget", "two decimals");
    expect_error("/segments/2/top_up_cap", NULL, "/segments/2/top_up_cap", "missing");
    expect_error("/segments/2/employer_share", "1.5", "/segments/2/employer_share", "");
    expect_error("/segments/0/base_modules/1/module", "\"outpatient\"",
                 "/segments/0/base_modules/1/module", "listed twice");
    expect_error("/segments/0/base_modules/0/copay", "0.99", "/segments/0/base_modules/0/copay",
                 "");
    expect_error("/segments/2/rule/age_max", "40", "/segments/2/rule/age_max", "below age_min");
    expect_error("/network", NULL, "/segments/2", "no network");
    expect_error("/segment_by", "\"column\"", "/segments/0/rule", "a rule would be ignored");
    expect_error("/options/1/code", "\"dental_standard\"", "/options/1/code", "used twice");
    expect_error("/options/0/excludes/0", "\"dental_vip\"", "/options/0/excludes/0",
                 "no option 'dental_vip'");
    expect_error("/options/0/excludes/0", "\"dental_standard\"", "/options/0/excludes/0",
                 "cannot name itself");
    expect_error("/options/8/requires/0", "3", "/options/8/requires/0", "");
    expect_error("/options/8/excludes", "[\"family_outpatient\"]", "/options/8/excludes",
                 "require and exclude");
    expect_error("/options/7/eligibility/relations/1", "\"кот\"",
                 "/options/7/eligibility/relations/1", "not a relation");
    expect_error("/options/2/eligibility/segments/0", "\"interns\"",
                 "/options/2/eligibility/segments/0", "no segment 'interns'");
    expect_error("/options/4/eligibility/age_max", "20", "/options/4/eligibility/age_max",
                 "below age_min");
    expect_error("/options/1/eligibility/min_tenure_months", "-1",
                 "/options/1/eligibility/min_tenure_months", "");
    expect_error("/options/3/cover/claim_limit", "1000", "/options/3/cover/claim_limit",
                 "must exceed the deductible");
    expect_error("/options/3/cover/deductible_type", "\"sometimes\"",
                 "/options/3/cover/deductible_type", "");
    expect_error("/options/3/cover", NULL, "/options/3/cover", "missing");
    expect_error("/options/3/name_ru", NULL, "/options/3/name_ru", "missing");
    /* family_dental also requires dental_business, which excludes nothing it needs, but
     * family_emergency requiring both dental options can never be chosen */
    expect_error("/options/8/requires", "[\"dental_standard\", \"dental_business\"]",
                 "/options/8/requires", "can never be chosen");
    /* a prefix for policies inside requests */
    expect_error_at("/options/0/colour", "1", "/policy", "/policy/options/0/colour", "unknown key");
}

static void expect_tariff_error(const char *pointer, const char *value, const char *path,
                                const char *fragment)
{
    json_t *root = jsonedit_load(EXAMPLE);
    jsonedit_set_text(root, pointer, value);
    dms_policy *p = NULL;
    dms_model *m = NULL;
    dms_tariff *t = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_load_json(root, NULL, &p, &err), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &m, &err), DMS_OK);
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &t, &err), DMS_OK);
    int status = dms_policy_check_tariff(p, t, m, &err);
    if (status != DMS_EINVAL || strcmp(err.path, path) != 0 ||
        strstr(err.message, fragment) == NULL) {
        print_error("edit %s: got %d '%s: %s', expected '%s: ...%s...'\n", pointer, status,
                    err.path, err.message, path, fragment);
        fail();
    }
    dms_tariff_free(t);
    dms_model_free(m);
    dms_policy_free(p);
    json_decref(root);
}

static void test_tariff_errors(void **state)
{
    (void)state;
    expect_tariff_error("/options/6/cover/module", "\"yoga\"", "/options/6/cover/module",
                        "not in the tariff");
    expect_tariff_error("/options/0/cover/copay", "0.25", "/options/0/cover/copay",
                        "not one the tariff allows");
    expect_tariff_error("/options/3/cover/deductible", "4000", "/options/3/cover/deductible",
                        "not one the tariff allows");
    expect_tariff_error("/options/1/network", "\"platinum\"", "/options/1/network",
                        "not in the tariff");
    expect_tariff_error("/segments/3/network", "\"platinum\"", "/segments/3/network",
                        "not in the tariff");
    expect_tariff_error("/segments/3/base_modules/1/module", "\"spa\"",
                        "/segments/3/base_modules/1/module", "not in the tariff");
    /* dental's default per-claim limit 30000 is below this deductible */
    expect_tariff_error("/options/0/cover/deductible", "50000", "/options/0/cover/deductible",
                        "not one the tariff allows");
}

static dms_person person(const char *id, int year, const char *department, enum dms_work_mode mode)
{
    return (dms_person){.employee_id = id,
                        .region = "Москва",
                        .department = department,
                        .segment = "",
                        .birth_year = year,
                        .birth_month = 6,
                        .birth_day = 15,
                        .relation = DMS_RELATION_EMPLOYEE,
                        .sex = DMS_SEX_FEMALE,
                        .work_mode = mode};
}

static size_t segment_of(const dms_policy *p, dms_person e, bool children)
{
    size_t s = 99;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_segment_of(p, &e, children, &s, &err), DMS_OK);
    return s;
}

static void test_segment_of(void **state)
{
    (void)state;
    dms_policy *p = load_example();
    /* rules in order: department first, then 45+, children, 30 and under */
    assert_int_equal(segment_of(p, person("1", 1960, "management", DMS_WORK_OFFICE), true), 0);
    assert_int_equal(segment_of(p, person("2", 1999, "Warehouse", DMS_WORK_FIELD), false), 1);
    assert_int_equal(segment_of(p, person("3", 1980, "IT", DMS_WORK_OFFICE), true), 2);
    /* 45 at the period start: born 1980-06-15 is 45 on 2026-01-01 */
    assert_int_equal(segment_of(p, person("4", 1981, "IT", DMS_WORK_OFFICE), true), 3);
    assert_int_equal(segment_of(p, person("5", 1995, "IT", DMS_WORK_OFFICE), false), 4);
    assert_int_equal(segment_of(p, person("6", 1995, "IT", DMS_WORK_OFFICE), true), 3);
    assert_int_equal(segment_of(p, person("7", 1990, "HR", DMS_WORK_OFFICE), false), 5);
    dms_person child = person("7", 2015, "HR", DMS_WORK_OFFICE);
    child.relation = DMS_RELATION_CHILD;
    size_t s;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_segment_of(p, &child, false, &s, &err), DMS_EINVAL);
    dms_policy_free(p);

    /* column mode: code or either name, case-insensitive */
    json_t *root = jsonedit_load(EXAMPLE);
    jsonedit_set_text(root, "/segment_by", "\"column\"");
    for (int i = 0; i < 6; i++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/segments/%d/rule", i);
        if (i != 5)
            jsonedit_set_text(root, ptr, NULL);
    }
    dms_error_clear(&err);
    assert_int_equal(dms_policy_load_json(root, NULL, &p, &err), DMS_OK);
    dms_person e = person("8", 1990, "IT", DMS_WORK_OFFICE);
    e.segment = "СКЛАД И ЛОГИСТИКА";
    assert_int_equal(segment_of(p, e, false), 1);
    e.segment = "young";
    assert_int_equal(segment_of(p, e, false), 4);
    e.segment = "employees 45+";
    assert_int_equal(segment_of(p, e, false), 2);
    e.segment = "interns";
    dms_error_clear(&err);
    assert_int_equal(dms_policy_segment_of(p, &e, false, &s, &err), DMS_ENOTFOUND);
    assert_non_null(strstr(err.message, "'8'"));
    dms_policy_free(p);
    json_decref(root);
}

/* The enrolment rule on a census (moved from the store, issue 17): every
 * employee falls into a segment, and there is one at least. */
static void test_check_census(void **state)
{
    (void)state;
    json_t *root = jsonedit_load(EXAMPLE);
    jsonedit_set_text(root, "/segment_by", "\"column\"");
    for (int i = 0; i < 5; i++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/segments/%d/rule", i);
        jsonedit_set_text(root, ptr, NULL);
    }
    dms_policy *p = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_load_json(root, NULL, &p, &err), DMS_OK);
    dms_person people[3] = {person("8", 1990, "IT", DMS_WORK_OFFICE),
                            person("8", 2015, "IT", DMS_WORK_OFFICE),
                            person("9", 1985, "IT", DMS_WORK_OFFICE)};
    people[0].segment = "young";
    people[0].line = 2;
    people[1].relation = DMS_RELATION_CHILD;
    people[1].line = 3;
    people[2].segment = "interns";
    people[2].line = 4;
    dms_census c = {.count = 3, .people = people, .employees = 2, .children = 1};
    assert_int_equal(dms_policy_check_census(p, &c, "/census_csv", &err), DMS_EINVAL);
    assert_string_equal(err.path, "/census_csv");
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.message, "employee 9 falls into no segment"));
    people[2].segment = "СКЛАД И ЛОГИСТИКА";
    assert_int_equal(dms_policy_check_census(p, &c, "/census_csv", &err), DMS_OK);
    assert_int_equal(err.code, DMS_OK);
    c.count = 0;
    c.employees = 0;
    c.children = 0;
    assert_int_equal(dms_policy_check_census(p, &c, "/census_csv", &err), DMS_EINVAL);
    assert_non_null(strstr(err.message, "no employee"));
    dms_policy_free(p);
    json_decref(root);
}

static void test_file_errors(void **state)
{
    (void)state;
    dms_policy *p = (dms_policy *)1;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_policy_load_file("examples/policies/none.json", &p, &err), DMS_EIO);
    assert_null(p);
    dms_error_clear(&err);
    json_t *root = json_array();
    assert_int_equal(dms_policy_load_json(root, NULL, &p, &err), DMS_EINVAL);
    assert_string_equal(err.path, "");
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads),     cmocka_unit_test(test_transitive_closure),
        cmocka_unit_test(test_validation_errors), cmocka_unit_test(test_tariff_errors),
        cmocka_unit_test(test_segment_of),        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_check_census),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
