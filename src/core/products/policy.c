/*
 * Benefit policy files: loading with JSON Pointer errors, the consistency
 * checks of the option menu (references, dependency closures, exclusions
 * that would make an option impossible), the check against a tariff, and
 * the segment of one employee. Segment rules mean what they mean in plan
 * files: they look at the employee, and family members follow.
 */
#include "dms/date.h"
#include "dms/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"

static const char *const segment_by_names[] = {"rules", "column", NULL};

/* The pricing terms of an option: a plan module line, voluntary as the
 * option says (its menu decides, not the tariff). */
static int read_terms(dms_jsonread *r, dms_plan_module *m, bool voluntary)
{
    dms_plan_read_module(r, m);
    m->voluntary = voluntary;
    m->set_terms |= DMS_TERM_VOLUNTARY;
    return dms_jsonread_status(r);
}

static void read_age_range(dms_jsonread *r, int *age_min, int *age_max)
{
    long long age = -1;
    dms_jsonread_integer_opt(r, "age_min", 0, 120, &age);
    *age_min = (int)age;
    age = -1;
    dms_jsonread_integer_opt(r, "age_max", 0, 120, &age);
    *age_max = (int)age;
    if (dms_jsonread_status(r) == DMS_OK && *age_min >= 0 && *age_max >= 0 && *age_max < *age_min)
        dms_jsonread_fail(r, DMS_EINVAL, "age_max", "age_max (%d) is below age_min (%d)", *age_max,
                          *age_min);
}

/* A date member "YYYY-MM-DD" into buf and *day. */
static int read_date(dms_jsonread *r, const char *key, char buf[11], long *day)
{
    if (dms_jsonread_string_buf(r, key, buf, 11) == DMS_OK && !dms_date_parse(buf, day))
        dms_jsonread_fail(r, DMS_EINVAL, key, "'%s' is not a date YYYY-MM-DD", buf);
    return dms_jsonread_status(r);
}

/* A rouble amount a year, at most a hundred million. */
static void read_money(dms_jsonread *r, const char *key, double *out)
{
    if (dms_jsonread_number(r, key, 0, 1e8, out) == DMS_OK &&
        fabs(*out * 100 - round(*out * 100)) > 1e-6)
        dms_jsonread_fail(r, DMS_EINVAL, key, "amounts are roubles with at most two decimals");
}

static int read_segment(dms_jsonread *r, const dms_policy *policy, dms_policy_segment *s)
{
    dms_jsonread_code(r, "code", s->code, sizeof s->code);
    dms_jsonread_string_buf(r, "name_ru", s->name_ru, sizeof s->name_ru);
    dms_jsonread_string_buf(r, "name_en", s->name_en, sizeof s->name_en);
    if (dms_jsonread_has(r, "rule") && dms_jsonread_enter(r, "rule", DMS_JSON_OBJECT) == DMS_OK) {
        s->has_rule = true;
        dms_segment_rule_read(r, &s->rule);
        dms_jsonread_leave(r);
    }
    snprintf(s->network, sizeof s->network, "%s", policy->network);
    if (dms_jsonread_has(r, "network"))
        dms_jsonread_code(r, "network", s->network, sizeof s->network);
    else if (dms_jsonread_status(r) == DMS_OK && s->network[0] == '\0')
        dms_jsonread_fail(r, DMS_EINVAL, NULL, "no network: give one here or for the whole policy");
    read_money(r, "flex_budget", &s->flex_budget);
    read_money(r, "top_up_cap", &s->top_up_cap);
    s->employer_share = 0.0;
    dms_jsonread_number_opt(r, "employer_share", 0, 1, &s->employer_share);
    if (dms_jsonread_enter(r, "base_modules", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 0, DMS_PLAN_MAX_MODULES, &s->nbase);
        for (size_t i = 0; i < s->nbase; i++) {
            if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
                break;
            read_terms(r, &s->base[i], false);
            for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
                if (strcmp(s->base[j].code, s->base[i].code) == 0)
                    dms_jsonread_fail(r, DMS_EINVAL, "module",
                                      "module '%s' is listed twice in this segment",
                                      s->base[i].code);
            dms_jsonread_leave(r);
        }
        dms_jsonread_leave(r);
    }
    return dms_jsonread_status(r);
}

/* An array of option or segment codes into a bit mask; names resolved by
 * the caller-supplied lookup so that the error points at the element. */
static void read_code_list(dms_jsonread *r, const char *key, const dms_policy *policy, bool options,
                           size_t self, uint64_t *mask)
{
    if (!dms_jsonread_has(r, key) || dms_jsonread_enter(r, key, DMS_JSON_ARRAY) != DMS_OK)
        return;
    size_t n = 0;
    dms_jsonread_length(r, 1, options ? DMS_POLICY_MAX_OPTIONS : DMS_POLICY_MAX_SEGMENTS, &n);
    for (size_t i = 0; i < n; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_ANY) != DMS_OK)
            break;
        char code[DMS_MODEL_CODE_MAX];
        if (dms_jsonread_code(r, NULL, code, sizeof code) == DMS_OK) {
            long at = options ? dms_policy_find_option(policy, code)
                              : dms_policy_find_segment(policy, code);
            if (at < 0)
                dms_jsonread_fail(r, DMS_EINVAL, NULL,
                                  options ? "no option '%s' in this policy"
                                          : "no segment '%s' in this policy",
                                  code);
            else if (options && (size_t)at == self)
                dms_jsonread_fail(r, DMS_EINVAL, NULL, "an option cannot name itself");
            else
                *mask |= UINT64_C(1) << at;
        }
        dms_jsonread_leave(r);
    }
    dms_jsonread_leave(r);
}

static int read_eligibility(dms_jsonread *r, const dms_policy *policy, dms_policy_eligibility *e)
{
    read_age_range(r, &e->age_min, &e->age_max);
    if (dms_jsonread_has(r, "relations") &&
        dms_jsonread_enter(r, "relations", DMS_JSON_ARRAY) == DMS_OK) {
        size_t n = 0;
        e->relations = 0;
        dms_jsonread_length(r, 1, 3, &n);
        for (size_t i = 0; i < n; i++) {
            const char *text = NULL;
            enum dms_relation rel;
            if (dms_jsonread_string_at(r, i, 64, &text) != DMS_OK)
                break;
            if (!dms_census_relation_from_text(text, strlen(text), &rel)) {
                dms_jsonread_enter_index(r, i, DMS_JSON_ANY);
                dms_jsonread_fail(r, DMS_EINVAL, NULL,
                                  "'%s' is not a relation (employee, spouse, child / сотрудник, "
                                  "супруг(а), ребёнок)",
                                  text);
                dms_jsonread_leave(r);
                break;
            }
            e->relations |= DMS_POLICY_RELATION_BIT(rel);
        }
        dms_jsonread_leave(r);
    }
    read_code_list(r, "segments", policy, false, 0, &e->segments);
    long long tenure = 0;
    dms_jsonread_integer_opt(r, "min_tenure_months", 0, 600, &tenure);
    e->min_tenure_months = (int)tenure;
    return dms_jsonread_status(r);
}

/* First pass over the options: codes, names and terms, so that the second
 * pass can resolve requires/excludes/segments by code. */
static int read_option_head(dms_jsonread *r, dms_policy_option *o)
{
    dms_jsonread_code(r, "code", o->code, sizeof o->code);
    dms_jsonread_string_buf(r, "name_ru", o->name_ru, sizeof o->name_ru);
    dms_jsonread_string_buf(r, "name_en", o->name_en, sizeof o->name_en);
    if (dms_jsonread_enter(r, "cover", DMS_JSON_OBJECT) == DMS_OK) {
        read_terms(r, &o->module, true);
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_has(r, "network"))
        dms_jsonread_code(r, "network", o->network, sizeof o->network);
    o->eligibility.age_min = o->eligibility.age_max = -1;
    o->eligibility.relations = DMS_POLICY_RELATION_BIT(DMS_RELATION_EMPLOYEE);
    /* read in the second pass */
    (void)dms_jsonread_has(r, "eligibility");
    (void)dms_jsonread_has(r, "requires");
    (void)dms_jsonread_has(r, "excludes");
    return dms_jsonread_status(r);
}

static int read_option_links(dms_jsonread *r, dms_policy *policy, size_t i)
{
    dms_policy_option *o = &policy->options[i];
    if (dms_jsonread_has(r, "eligibility") &&
        dms_jsonread_enter(r, "eligibility", DMS_JSON_OBJECT) == DMS_OK) {
        read_eligibility(r, policy, &o->eligibility);
        dms_jsonread_leave(r);
    }
    read_code_list(r, "requires", policy, true, i, &o->requires);
    read_code_list(r, "excludes", policy, true, i, &o->excludes);
    if (dms_jsonread_status(r) == DMS_OK && (o->requires & o->excludes))
        dms_jsonread_fail(r, DMS_EINVAL, "excludes", "an option cannot require and exclude '%s'",
                          policy->options[__builtin_ctzll(o->requires & o->excludes)].code);
    dms_jsonread_allow_other_keys(r); /* the head was read in the first pass */
    return dms_jsonread_status(r);
}

/* Transitive requirements and the symmetric exclusions; refuses options no
 * one could ever choose. */
static int close_options(dms_jsonread *r, dms_policy *policy)
{
    size_t n = policy->noptions;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (policy->options[i].excludes & (UINT64_C(1) << j))
                policy->options[j].excludes |= UINT64_C(1) << i;
    for (size_t i = 0; i < n; i++)
    policy->options[i].closure = (UINT64_C(1) << i) | policy->options[i].requires;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            uint64_t c = policy->options[i].closure;
            for (size_t j = 0; j < n; j++)
                if (c & (UINT64_C(1) << j))
            c |= policy->options[j].requires;
            if (c != policy->options[i].closure) {
                policy->options[i].closure = c;
                changed = true;
            }
        }
    }
    for (size_t i = 0; i < n && dms_jsonread_status(r) == DMS_OK; i++) {
        uint64_t c = policy->options[i].closure, excluded = 0;
        for (size_t j = 0; j < n; j++)
            if (c & (UINT64_C(1) << j))
                excluded |= policy->options[j].excludes;
        if (c & excluded) {
            dms_jsonread_enter(r, "options", DMS_JSON_ARRAY);
            dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT);
            dms_jsonread_fail(r, DMS_EINVAL, "requires",
                              "option '%s' can never be chosen: what it requires includes '%s', "
                              "which is excluded by another requirement",
                              policy->options[i].code,
                              policy->options[__builtin_ctzll(c & excluded)].code);
            dms_jsonread_leave(r);
            dms_jsonread_leave(r);
        }
    }
    return dms_jsonread_status(r);
}

static void read_head(dms_jsonread *r, dms_policy *policy)
{
    dms_jsonread_string_buf(r, "name", policy->name, sizeof policy->name);
    if (dms_jsonread_enter(r, "employer", DMS_JSON_OBJECT) == DMS_OK) {
        dms_jsonread_string_buf(r, "name_ru", policy->employer_ru, sizeof policy->employer_ru);
        dms_jsonread_string_buf(r, "name_en", policy->employer_en, sizeof policy->employer_en);
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_enter(r, "period", DMS_JSON_OBJECT) == DMS_OK) {
        read_date(r, "from", policy->period_from, &policy->period_from_day);
        read_date(r, "to", policy->period_to, &policy->period_to_day);
        if (dms_jsonread_status(r) == DMS_OK &&
            (policy->period_to_day < policy->period_from_day ||
             policy->period_to_day - policy->period_from_day > 3 * 366))
            dms_jsonread_fail(r, DMS_EINVAL, "to",
                              "the period must end after it starts and last at most 3 years");
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_enter(r, "enrolment", DMS_JSON_OBJECT) == DMS_OK) {
        read_date(r, "opens", policy->enrolment_opens, &policy->opens_day);
        read_date(r, "closes", policy->enrolment_closes, &policy->closes_day);
        if (dms_jsonread_status(r) == DMS_OK && policy->closes_day < policy->opens_day)
            dms_jsonread_fail(r, DMS_EINVAL, "closes", "the window closes before it opens");
        if (dms_jsonread_status(r) == DMS_OK && policy->closes_day > policy->period_to_day)
            dms_jsonread_fail(r, DMS_EINVAL, "closes",
                              "the window must close before the period ends");
        long long days = 30;
        dms_jsonread_integer_opt(r, "life_event_days", 1, 366, &days);
        policy->life_event_days = (int)days;
        dms_jsonread_leave(r);
    }
    long long headcount = 0;
    dms_jsonread_integer(r, "headcount", 1, 10000000, &headcount);
    policy->headcount = (long)headcount;
    if (dms_jsonread_has(r, "network"))
        dms_jsonread_code(r, "network", policy->network, sizeof policy->network);
    int by = DMS_SEGMENT_BY_RULES;
    dms_jsonread_enum_opt(r, "segment_by", segment_by_names, &by);
    policy->segment_by = (enum dms_segment_by)by;
}

static void read_segments(dms_jsonread *r, dms_policy *policy)
{
    if (dms_jsonread_enter(r, "segments", DMS_JSON_ARRAY) != DMS_OK)
        return;
    dms_jsonread_length(r, 1, DMS_POLICY_MAX_SEGMENTS, &policy->nsegments);
    for (size_t i = 0; i < policy->nsegments; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_policy_segment *s = &policy->segments[i];
        read_segment(r, policy, s);
        for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
            if (strcmp(policy->segments[j].code, s->code) == 0)
                dms_jsonread_fail(r, DMS_EINVAL, "code", "segment code '%s' is used twice",
                                  s->code);
        if (dms_jsonread_status(r) == DMS_OK && policy->segment_by == DMS_SEGMENT_BY_COLUMN &&
            s->has_rule)
            dms_jsonread_fail(r, DMS_EINVAL, "rule",
                              "segments come from the census column (segment_by \"column\"): a "
                              "rule would be ignored");
        dms_jsonread_leave(r);
    }
    dms_jsonread_leave(r);
}

static void read_options(dms_jsonread *r, dms_policy *policy)
{
    if (dms_jsonread_enter(r, "options", DMS_JSON_ARRAY) != DMS_OK)
        return;
    dms_jsonread_length(r, 0, DMS_POLICY_MAX_OPTIONS, &policy->noptions);
    for (size_t i = 0; i < policy->noptions; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_policy_option *o = &policy->options[i];
        read_option_head(r, o);
        for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
            if (strcmp(policy->options[j].code, o->code) == 0)
                dms_jsonread_fail(r, DMS_EINVAL, "code", "option code '%s' is used twice", o->code);
        dms_jsonread_leave(r);
    }
    for (size_t i = 0; i < policy->noptions && dms_jsonread_status(r) == DMS_OK; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        read_option_links(r, policy, i);
        dms_jsonread_leave(r);
    }
    dms_jsonread_leave(r);
}

int dms_policy_load_json(const json_t *root, const char *path_prefix, dms_policy **out,
                         dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no place for the policy");
    *out = NULL;
    dms_policy *policy = calloc(1, sizeof *policy);
    if (policy == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a policy");
    dms_jsonread r;
    dms_jsonread_init(&r, root, path_prefix, err);
    if (dms_jsonread_expect(&r, DMS_JSON_OBJECT) == DMS_OK) {
        read_head(&r, policy);
        read_segments(&r, policy);
        read_options(&r, policy);
        if (dms_jsonread_status(&r) == DMS_OK)
            close_options(&r, policy);
    }
    int status = dms_jsonread_finish(&r);
    if (status != DMS_OK) {
        free(policy);
        return status;
    }
    *out = policy;
    return DMS_OK;
}

int dms_policy_load_file(const char *path, dms_policy **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no place for the policy");
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status != DMS_OK)
        return status;
    status = dms_policy_load_json(root, NULL, out, err);
    if (status != DMS_OK && err != NULL && err->line == 0)
        snprintf(err->source, sizeof err->source, "%s", path);
    json_decref(root);
    return status;
}

void dms_policy_free(dms_policy *policy)
{
    free(policy);
}

long dms_policy_find_option(const dms_policy *policy, const char *code)
{
    for (size_t i = 0; i < policy->noptions; i++)
        if (strcmp(policy->options[i].code, code) == 0)
            return (long)i;
    return -1;
}

long dms_policy_find_segment(const dms_policy *policy, const char *code)
{
    for (size_t i = 0; i < policy->nsegments; i++)
        if (strcmp(policy->segments[i].code, code) == 0)
            return (long)i;
    return -1;
}

const char *dms_policy_option_network(const dms_policy *policy, size_t segment, size_t option)
{
    const dms_policy_option *o = &policy->options[option];
    return o->network[0] != '\0' ? o->network : policy->segments[segment].network;
}

/* Tariff checks of one module line at pointer. */
static int check_module(const dms_tariff *tariff, const dms_model *model, const dms_plan_module *m,
                        const char *pointer, dms_error *err)
{
    char path[DMS_ERROR_PATH_MAX];
    const dms_tariff_module *tm = dms_tariff_find_module(tariff, m->code);
    snprintf(path, sizeof path, "%s/module", pointer);
    if (tm == NULL)
        return dms_error_set(err, DMS_EINVAL, path, "module '%s' is not in the tariff '%s'",
                             m->code, tariff->version);
    if (dms_model_find(model, m->code) == NULL)
        return dms_error_set(err, DMS_EINVAL, path, "module '%s' is not in the model '%s'", m->code,
                             model->version);
    if (tm->type != DMS_MODULE_CLAIMS)
        return DMS_OK;
    double deductible = m->set_terms & DMS_TERM_DEDUCTIBLE ? m->cov.deductible : tm->deductible;
    double copay = m->set_terms & DMS_TERM_COPAY ? m->cov.copay : tm->copay;
    double limit = m->set_terms & DMS_TERM_CLAIM_LIMIT ? m->cov.claim_limit : tm->claim_limit;
    snprintf(path, sizeof path, "%s/deductible", pointer);
    if (!dms_tariff_deductible_allowed(tariff, deductible))
        return dms_error_set(err, DMS_EINVAL, path, "deductible %g is not one the tariff allows",
                             deductible);
    snprintf(path, sizeof path, "%s/copay", pointer);
    if (!dms_tariff_copay_allowed(tariff, copay))
        return dms_error_set(err, DMS_EINVAL, path, "co-pay %g is not one the tariff allows",
                             copay);
    snprintf(path, sizeof path, "%s/claim_limit", pointer);
    if (limit <= deductible)
        return dms_error_set(err, DMS_EINVAL, path,
                             "per-claim limit (%g) must exceed the deductible (%g)", limit,
                             deductible);
    return DMS_OK;
}

int dms_policy_check_tariff(const dms_policy *policy, const dms_tariff *tariff,
                            const dms_model *model, dms_error *err)
{
    dms_error_clear(err);
    char pointer[DMS_ERROR_PATH_MAX];
    int status;
    if (policy->network[0] != '\0' && dms_tariff_find_network(tariff, policy->network) == NULL)
        return dms_error_set(err, DMS_EINVAL, "/network", "network '%s' is not in the tariff",
                             policy->network);
    for (size_t s = 0; s < policy->nsegments; s++) {
        const dms_policy_segment *seg = &policy->segments[s];
        snprintf(pointer, sizeof pointer, "/segments/%zu/network", s);
        if (dms_tariff_find_network(tariff, seg->network) == NULL)
            return dms_error_set(err, DMS_EINVAL, pointer, "network '%s' is not in the tariff",
                                 seg->network);
        for (size_t m = 0; m < seg->nbase; m++) {
            snprintf(pointer, sizeof pointer, "/segments/%zu/base_modules/%zu", s, m);
            if ((status = check_module(tariff, model, &seg->base[m], pointer, err)) != DMS_OK)
                return status;
        }
    }
    for (size_t i = 0; i < policy->noptions; i++) {
        const dms_policy_option *o = &policy->options[i];
        snprintf(pointer, sizeof pointer, "/options/%zu/network", i);
        if (o->network[0] != '\0' && dms_tariff_find_network(tariff, o->network) == NULL)
            return dms_error_set(err, DMS_EINVAL, pointer, "network '%s' is not in the tariff",
                                 o->network);
        snprintf(pointer, sizeof pointer, "/options/%zu/cover", i);
        if ((status = check_module(tariff, model, &o->module, pointer, err)) != DMS_OK)
            return status;
    }
    return DMS_OK;
}

int dms_policy_segment_of(const dms_policy *policy, const dms_person *employee, bool has_children,
                          size_t *segment, dms_error *err)
{
    dms_error_clear(err);
    if (employee == NULL || employee->relation != DMS_RELATION_EMPLOYEE)
        return dms_error_set(err, DMS_EINVAL, NULL, "segments are chosen by the employee's data");
    int y, m, d;
    dms_date_split(policy->period_from, &y, &m, &d); /* checked by the loader */
    int age = dms_census_age(employee, y, m, d);
    for (size_t s = 0; s < policy->nsegments; s++) {
        const dms_policy_segment *seg = &policy->segments[s];
        bool match;
        if (policy->segment_by == DMS_SEGMENT_BY_COLUMN)
            match =
                dms_segment_names_match(seg->code, seg->name_ru, seg->name_en, employee->segment);
        else
            match =
                !seg->has_rule || dms_segment_rule_matches(&seg->rule, employee, age, has_children);
        if (match) {
            *segment = s;
            return DMS_OK;
        }
    }
    return dms_error_set(err, DMS_ENOTFOUND, NULL, "no segment of the policy takes employee '%s'",
                         employee->employee_id != NULL ? employee->employee_id : "?");
}

/* Whether employee_id has a child insured with them (for segment rules). */
static bool has_children(const dms_census *census, const char *employee_id)
{
    for (size_t i = 0; i < census->count; i++)
        if (census->people[i].relation == DMS_RELATION_CHILD &&
            strcmp(census->people[i].employee_id, employee_id) == 0)
            return true;
    return false;
}

int dms_policy_check_census(const dms_policy *policy, const dms_census *census, const char *path,
                            dms_error *err)
{
    dms_error_clear(err);
    if (policy == NULL || census == NULL)
        return dms_error_set(err, DMS_EINVAL, path, "no policy or census");
    if (census->employees == 0)
        return dms_error_set(err, DMS_EINVAL, path, "the census has no employee");
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        size_t segment = 0;
        if (p->relation != DMS_RELATION_EMPLOYEE ||
            dms_policy_segment_of(policy, p, has_children(census, p->employee_id), &segment,
                                  NULL) == DMS_OK)
            continue;
        int status =
            dms_error_set(err, DMS_EINVAL, path,
                          "employee %.64s falls into no segment of the policy", p->employee_id);
        if (err != NULL)
            err->line = p->line;
        return status;
    }
    return DMS_OK;
}
