/*
 * Plan files: loading with JSON Pointer errors, and the assignment of census
 * people to segments. Rules look at the employee (age at the period start,
 * children in the census, work mode, department); family members follow
 * their employee, because a package is bought for the employee's family.
 */
#include "dms/date.h"
#include "dms/plan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/text.h"

static const char *const segment_by_names[] = {"rules", "column", NULL};
static const char *const deductible_types[] = {"ordinary", "franchise", NULL};
static const char *const work_mode_names[] = {"unknown", "office", "remote",
                                              "field",   "hybrid", NULL};

/* A limit: a positive number, or null / absent for "none". */
static int read_limit(dms_jsonread *r, const char *key, double *out, bool *given)
{
    *given = false;
    if (!dms_jsonread_has(r, key))
        return dms_jsonread_status(r);
    *given = true;
    const json_t *v = json_object_get(dms_jsonread_current(r), key);
    if (json_is_null(v)) {
        *out = INFINITY;
        return dms_jsonread_status(r);
    }
    return dms_jsonread_number(r, key, 1.0, 1e10, out);
}

int dms_plan_read_module(dms_jsonread *r, dms_plan_module *m)
{
    memset(m, 0, sizeof *m);
    m->cov = dms_coverage_full();
    m->annual_limit = INFINITY;
    dms_jsonread_code(r, "module", m->code, sizeof m->code);
    if (dms_jsonread_has(r, "deductible")) {
        dms_jsonread_number(r, "deductible", 0, 1e9, &m->cov.deductible);
        m->set_terms |= DMS_TERM_DEDUCTIBLE;
    }
    int type = 0;
    dms_jsonread_enum_opt(r, "deductible_type", deductible_types, &type);
    m->cov.franchise = type == 1;
    if (dms_jsonread_has(r, "copay")) {
        dms_jsonread_number(r, "copay", 0, 0.95, &m->cov.copay);
        m->set_terms |= DMS_TERM_COPAY;
    }
    bool given;
    read_limit(r, "claim_limit", &m->cov.claim_limit, &given);
    if (given)
        m->set_terms |= DMS_TERM_CLAIM_LIMIT;
    read_limit(r, "annual_limit", &m->annual_limit, &given);
    if (given)
        m->set_terms |= DMS_TERM_ANNUAL_LIMIT;
    if (dms_jsonread_has(r, "voluntary")) {
        dms_jsonread_bool(r, "voluntary", &m->voluntary);
        m->set_terms |= DMS_TERM_VOLUNTARY;
    }
    if (dms_jsonread_status(r) == DMS_OK && (m->set_terms & DMS_TERM_CLAIM_LIMIT) &&
        (m->set_terms & DMS_TERM_DEDUCTIBLE) && m->cov.claim_limit <= m->cov.deductible)
        dms_jsonread_fail(r, DMS_EINVAL, "claim_limit",
                          "per-claim limit (%g) must exceed the deductible (%g)",
                          m->cov.claim_limit, m->cov.deductible);
    return dms_jsonread_status(r);
}

int dms_segment_rule_read(dms_jsonread *r, dms_segment_rule *rule)
{
    long long age;
    memset(rule, 0, sizeof *rule);
    rule->age_min = rule->age_max = -1;
    rule->has_children = -1;
    age = -1;
    dms_jsonread_integer_opt(r, "age_min", 0, 120, &age);
    rule->age_min = (int)age;
    age = -1;
    dms_jsonread_integer_opt(r, "age_max", 0, 120, &age);
    rule->age_max = (int)age;
    if (dms_jsonread_has(r, "has_children")) {
        bool yes = false;
        dms_jsonread_bool(r, "has_children", &yes);
        rule->has_children = yes;
    }
    if (dms_jsonread_has(r, "work_modes") &&
        dms_jsonread_enter(r, "work_modes", DMS_JSON_ARRAY) == DMS_OK) {
        size_t n = 0;
        dms_jsonread_length(r, 1, 5, &n);
        for (size_t i = 0; i < n; i++) {
            if (dms_jsonread_enter_index(r, i, DMS_JSON_ANY) != DMS_OK)
                break;
            int mode = 0;
            dms_jsonread_enum(r, NULL, work_mode_names, &mode);
            rule->work_modes |= 1u << mode;
            dms_jsonread_leave(r);
        }
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_has(r, "relations") &&
        dms_jsonread_enter(r, "relations", DMS_JSON_ARRAY) == DMS_OK) {
        size_t n = 0;
        dms_jsonread_length(r, 1, 3, &n);
        for (size_t i = 0; i < n; i++) {
            const char *name = NULL;
            enum dms_relation relation;
            if (dms_jsonread_string_at(r, i, 64, &name) != DMS_OK)
                break;
            if (!dms_census_relation_from_text(name, strlen(name), &relation)) {
                char index[24];
                snprintf(index, sizeof index, "%zu", i);
                dms_jsonread_fail(r, DMS_EINVAL, index,
                                  "'%s' is not a relation (employee, spouse, child / сотрудник, "
                                  "супруг(а), ребёнок)",
                                  name);
                break;
            }
            rule->relations |= 1u << relation;
        }
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_has(r, "departments") &&
        dms_jsonread_enter(r, "departments", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 1, DMS_PLAN_MAX_DEPARTMENTS, &rule->ndepartments);
        for (size_t i = 0; i < rule->ndepartments; i++) {
            const char *name = NULL;
            if (dms_jsonread_string_at(r, i, DMS_PLAN_TEXT_MAX - 1, &name) == DMS_OK)
                snprintf(rule->departments[i], DMS_PLAN_TEXT_MAX, "%s", name);
        }
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_status(r) == DMS_OK && rule->age_min >= 0 && rule->age_max >= 0 &&
        rule->age_max < rule->age_min)
        dms_jsonread_fail(r, DMS_EINVAL, "age_max", "age_max (%d) is below age_min (%d)",
                          rule->age_max, rule->age_min);
    return dms_jsonread_status(r);
}

static int read_segment(dms_jsonread *r, dms_plan_segment *s)
{
    dms_jsonread_string_buf(r, "code", s->code, sizeof s->code);
    dms_jsonread_string_buf(r, "name_ru", s->name_ru, sizeof s->name_ru);
    dms_jsonread_string_buf(r, "name_en", s->name_en, sizeof s->name_en);
    if (dms_jsonread_has(r, "rule") && dms_jsonread_enter(r, "rule", DMS_JSON_OBJECT) == DMS_OK) {
        s->has_rule = true;
        dms_segment_rule_read(r, &s->rule);
        dms_jsonread_leave(r);
    }
    dms_jsonread_string_buf(r, "network", s->network, sizeof s->network);
    s->employer_share = 1.0;
    dms_jsonread_number_opt(r, "employer_share", 0, 1, &s->employer_share);
    if (dms_jsonread_enter(r, "modules", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 1, DMS_PLAN_MAX_MODULES, &s->nmodules);
        for (size_t i = 0; i < s->nmodules; i++) {
            if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
                break;
            dms_plan_read_module(r, &s->modules[i]);
            for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
                if (strcmp(s->modules[j].code, s->modules[i].code) == 0)
                    dms_jsonread_fail(r, DMS_EINVAL, "module",
                                      "module '%s' is listed twice in this segment",
                                      s->modules[i].code);
            dms_jsonread_leave(r);
        }
        dms_jsonread_leave(r);
    }
    return dms_jsonread_status(r);
}

int dms_plan_read_scenarios(dms_jsonread *r, dms_plan *plan)
{
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        const char *name = dms_scenario_name((enum dms_scenario_kind)k);
        if (!dms_jsonread_has(r, name) || dms_jsonread_enter(r, name, DMS_JSON_OBJECT) != DMS_OK)
            continue;
        dms_scenario shock = {1.0, 1.0};
        dms_jsonread_number_opt(r, "frequency", 0.1, 10, &shock.frequency);
        dms_jsonread_number_opt(r, "severity", 0.1, 10, &shock.severity);
        dms_jsonread_leave(r);
        plan->scenario_set[k] = true;
        plan->scenarios[k] = shock;
    }
    return dms_jsonread_status(r);
}

int dms_plan_load_json(const json_t *root, const char *path_prefix, dms_plan **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_plan *plan = calloc(1, sizeof *plan);
    if (plan == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a plan");
    dms_jsonread r;
    dms_jsonread_init(&r, root, path_prefix, err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    dms_jsonread_string_buf(&r, "name", plan->name, sizeof plan->name);
    if (dms_jsonread_enter(&r, "period", DMS_JSON_OBJECT) == DMS_OK) {
        long from = 0, to = 0;
        dms_jsonread_string_buf(&r, "from", plan->period_from, sizeof plan->period_from);
        dms_jsonread_string_buf(&r, "to", plan->period_to, sizeof plan->period_to);
        if (dms_jsonread_status(&r) == DMS_OK && !dms_date_parse(plan->period_from, &from))
            dms_jsonread_fail(&r, DMS_EINVAL, "from", "'%s' is not a date YYYY-MM-DD",
                              plan->period_from);
        if (dms_jsonread_status(&r) == DMS_OK && !dms_date_parse(plan->period_to, &to))
            dms_jsonread_fail(&r, DMS_EINVAL, "to", "'%s' is not a date YYYY-MM-DD",
                              plan->period_to);
        if (dms_jsonread_status(&r) == DMS_OK && (to < from || to - from > 3 * 366))
            dms_jsonread_fail(&r, DMS_EINVAL, "to",
                              "the period must end after it starts and last at most 3 years");
        dms_jsonread_leave(&r);
    }
    int by = DMS_SEGMENT_BY_RULES;
    dms_jsonread_enum_opt(&r, "segment_by", segment_by_names, &by);
    plan->segment_by = (enum dms_segment_by)by;
    if (dms_jsonread_has(&r, "scenarios") &&
        dms_jsonread_enter(&r, "scenarios", DMS_JSON_OBJECT) == DMS_OK) {
        dms_plan_read_scenarios(&r, plan);
        dms_jsonread_leave(&r);
    }
    if (dms_jsonread_enter(&r, "segments", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(&r, 1, DMS_PLAN_MAX_SEGMENTS, &plan->nsegments);
        for (size_t i = 0; i < plan->nsegments; i++) {
            if (dms_jsonread_enter_index(&r, i, DMS_JSON_OBJECT) != DMS_OK)
                break;
            read_segment(&r, &plan->segments[i]);
            for (size_t j = 0; j < i && dms_jsonread_status(&r) == DMS_OK; j++)
                if (strcmp(plan->segments[j].code, plan->segments[i].code) == 0)
                    dms_jsonread_fail(&r, DMS_EINVAL, "code", "segment code '%s' is used twice",
                                      plan->segments[i].code);
            if (dms_jsonread_status(&r) == DMS_OK && plan->segment_by == DMS_SEGMENT_BY_COLUMN &&
                plan->segments[i].has_rule)
                dms_jsonread_fail(&r, DMS_EINVAL, "rule",
                                  "segments come from the census column (segment_by "
                                  "\"column\"): a rule would be ignored");
            dms_jsonread_leave(&r);
        }
        dms_jsonread_leave(&r);
    }
    int status = dms_jsonread_finish(&r);
    if (status != DMS_OK) {
        free(plan);
        return status;
    }
    *out = plan;
    return DMS_OK;
}

int dms_plan_load_file(const char *path, dms_plan **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status != DMS_OK)
        return status;
    status = dms_plan_load_json(root, NULL, out, err);
    if (status != DMS_OK && err != NULL && err->line == 0)
        snprintf(err->source, sizeof err->source, "%s", path);
    json_decref(root);
    return status;
}

void dms_plan_free(dms_plan *plan)
{
    free(plan);
}

const dms_plan_module *dms_plan_segment_find(const dms_plan_segment *segment, const char *code)
{
    for (size_t i = 0; i < segment->nmodules; i++)
        if (strcmp(segment->modules[i].code, code) == 0)
            return &segment->modules[i];
    return NULL;
}

bool dms_segment_rule_matches(const dms_segment_rule *rule, const dms_person *employee, int age,
                              bool has_children)
{
    if (rule->age_min >= 0 && age < rule->age_min)
        return false;
    if (rule->age_max >= 0 && age > rule->age_max)
        return false;
    if (rule->has_children >= 0 && (rule->has_children == 1) != has_children)
        return false;
    if (rule->work_modes != 0 && !(rule->work_modes & (1u << employee->work_mode)))
        return false;
    if (rule->ndepartments > 0) {
        bool found = false;
        for (size_t i = 0; i < rule->ndepartments && !found; i++)
            found = dms_text_equal_folded(rule->departments[i], employee->department);
        if (!found)
            return false;
    }
    return true;
}

bool dms_segment_names_match(const char *code, const char *name_ru, const char *name_en,
                             const char *value)
{
    return value != NULL && value[0] != '\0' &&
           (dms_text_equal_folded(code, value) || dms_text_equal_folded(name_ru, value) ||
            dms_text_equal_folded(name_en, value));
}

/* The segment of a person (with their employee's row), or -1. */
static long segment_of_person(const dms_plan *plan, const dms_person *person, int person_age,
                              const dms_person *employee, int employee_age, bool has_children)
{
    for (size_t s = 0; s < plan->nsegments; s++) {
        const dms_plan_segment *seg = &plan->segments[s];
        if (plan->segment_by == DMS_SEGMENT_BY_COLUMN) {
            if (dms_segment_names_match(seg->code, seg->name_ru, seg->name_en, employee->segment))
                return (long)s;
            continue;
        }
        if (!seg->has_rule)
            return (long)s;
        const dms_segment_rule *rule = &seg->rule;
        if (rule->relations != 0) {
            if ((rule->relations & (1u << person->relation)) &&
                dms_segment_rule_matches(rule, employee, person_age, has_children))
                return (long)s;
        } else if (dms_segment_rule_matches(rule, employee, employee_age, has_children)) {
            return (long)s;
        }
    }
    return -1;
}

int dms_plan_assign(const dms_plan *plan, const dms_census *census, const char *census_source,
                    size_t *segment_of, dms_diag *diag)
{
    long from;
    if (!dms_date_parse(plan->period_from, &from))
        return dms_diag_add_path(diag, DMS_EINVAL, "/period/from", "bad period start");
    int year, month, day;
    dms_date_split(plan->period_from, &year, &month, &day); /* checked by the loader */
    /* Employees by id; the census guarantees one employee row per id and
     * that every family member has one. Ids are interned: compare pointers. */
    size_t n = census->count;
    bool *has_children = calloc(n ? n : 1, sizeof *has_children);
    size_t *employee_index = malloc((n ? n : 1) * sizeof *employee_index);
    int status = DMS_OK;
    if (has_children == NULL || employee_index == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory to assign segments");
        goto out_free;
    }
    /* Map each person to their employee row by a hash of the id pointer. */
    size_t buckets = 1;
    while (buckets < 2 * n + 1)
        buckets <<= 1;
    long *table = malloc(buckets * sizeof *table);
    if (table == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory to assign segments");
        goto out_free;
    }
    for (size_t b = 0; b < buckets; b++)
        table[b] = -1;
    for (size_t i = 0; i < n; i++) {
        if (census->people[i].relation != DMS_RELATION_EMPLOYEE)
            continue;
        size_t h = dms_pointer_hash(census->people[i].employee_id, buckets);
        while (table[h] >= 0)
            h = (h + 1) & (buckets - 1);
        table[h] = (long)i;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = census->people[i].employee_id;
        size_t h = dms_pointer_hash(id, buckets);
        while (table[h] >= 0 && census->people[table[h]].employee_id != id)
            h = (h + 1) & (buckets - 1);
        employee_index[i] = table[h] >= 0 ? (size_t)table[h] : i;
        if (census->people[i].relation == DMS_RELATION_CHILD)
            has_children[employee_index[i]] = true;
    }
    free(table);
    /* By column, the segment is a function of the employee's segment text
     * alone, and the census interns its strings: each distinct text is
     * matched (case-folded against every segment's names) once, in a
     * table keyed by its pointer. */
    struct column_slot {
        const char *text;
        long segment;
    } *column = NULL;
    if (plan->segment_by == DMS_SEGMENT_BY_COLUMN &&
        (column = calloc(buckets, sizeof *column)) == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory to assign segments");
        goto out_free;
    }
    for (size_t i = 0; i < n; i++) {
        const dms_person *p = &census->people[i];
        const dms_person *employee = &census->people[employee_index[i]];
        struct column_slot *slot = NULL;
        if (column != NULL) {
            size_t h = dms_pointer_hash(employee->segment, buckets);
            while (column[h].text != NULL && column[h].text != employee->segment)
                h = (h + 1) & (buckets - 1);
            slot = &column[h];
        }
        long s;
        if (slot != NULL && slot->text != NULL) {
            s = slot->segment;
        } else {
            s = segment_of_person(plan, p, dms_census_age(p, year, month, day), employee,
                                  dms_census_age(employee, year, month, day),
                                  has_children[employee_index[i]]);
            if (slot != NULL) {
                slot->text = employee->segment;
                slot->segment = s;
            }
        }
        if (s < 0) {
            status = DMS_EINVAL;
            if (p->line > 0 && plan->segment_by == DMS_SEGMENT_BY_COLUMN)
                dms_diag_add_at(diag, DMS_EINVAL, census_source, p->line, 1,
                                "no segment of the plan takes employee '%s' (segment '%s')",
                                p->employee_id, employee->segment);
            else if (p->line > 0)
                dms_diag_add_at(diag, DMS_EINVAL, census_source, p->line, 1,
                                "no segment of the plan takes employee '%s'", p->employee_id);
            else
                dms_diag_add_path(diag, DMS_EINVAL, NULL,
                                  "no segment of the plan takes person %zu (employee '%s')", i,
                                  p->employee_id);
            continue;
        }
        segment_of[i] = (size_t)s;
    }
    free(column);
out_free:
    free(has_children);
    free(employee_index);
    return status;
}
