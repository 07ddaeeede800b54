/*
 * A package design for a group (see examples/plans/): the rating period,
 * how people are split into segments (by rules on the employee, or by the
 * census's segment column), and per segment the network tier, the modules
 * with their terms (deductible and its type, co-pay, per-claim and annual
 * limits, voluntary or not) and who pays. Family members always follow
 * their employee's segment. The loader validates every field and names the
 * JSON Pointer of a bad one; unknown keys are errors.
 */
#ifndef DMS_PLAN_H
#define DMS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/coverage.h"
#include "dms/diag.h"
#include "dms/model.h"

struct dms_jsonread;

#define DMS_PLAN_MAX_SEGMENTS 32
#define DMS_PLAN_MAX_MODULES 24
#define DMS_PLAN_MAX_DEPARTMENTS 16
#define DMS_PLAN_TEXT_MAX 160

/* Which policy terms a module line sets; the rest come from the tariff. */
enum dms_plan_term {
    DMS_TERM_DEDUCTIBLE = 1 << 0,
    DMS_TERM_COPAY = 1 << 1,
    DMS_TERM_CLAIM_LIMIT = 1 << 2,
    DMS_TERM_ANNUAL_LIMIT = 1 << 3,
    DMS_TERM_VOLUNTARY = 1 << 4,
};

typedef struct dms_plan_module {
    char code[DMS_MODEL_CODE_MAX];
    dms_coverage cov;    /* claim_limit INFINITY for none */
    double annual_limit; /* per person per year, INFINITY for none */
    bool voluntary;      /* chosen by employees: carries the anti-selection load; when
                            not given the line is employer-paid (no load), whatever the
                            tariff's "optional" flag says */
    unsigned set_terms;  /* enum dms_plan_term bits given in the plan */
} dms_plan_module;

/* A rule on the employee; every condition given must hold. */
typedef struct dms_segment_rule {
    int age_min, age_max; /* inclusive, at the period start; -1 when not given */
    int has_children;     /* -1 any, 0 no children in the census, 1 at least one */
    unsigned work_modes;  /* bit (1 << enum dms_work_mode); 0 any */
    unsigned relations;   /* bit (1 << enum dms_relation); 0: the rule is about the
                             employee and the family follows; else it takes each
                             person of these relations by their own age */
    size_t ndepartments;  /* 0 any */
    char departments[DMS_PLAN_MAX_DEPARTMENTS][DMS_PLAN_TEXT_MAX];
} dms_segment_rule;

typedef struct dms_plan_segment {
    char code[DMS_MODEL_CODE_MAX];
    char name_ru[DMS_PLAN_TEXT_MAX];
    char name_en[DMS_PLAN_TEXT_MAX];
    bool has_rule; /* false: catch-all (rules mode) */
    dms_segment_rule rule;
    char network[DMS_MODEL_CODE_MAX];
    double employer_share; /* share of the premium the employer pays, [0, 1] */
    size_t nmodules;
    dms_plan_module modules[DMS_PLAN_MAX_MODULES];
} dms_plan_segment;

enum dms_segment_by { DMS_SEGMENT_BY_RULES, DMS_SEGMENT_BY_COLUMN };

typedef struct dms_plan {
    char name[DMS_PLAN_TEXT_MAX];
    char period_from[11]; /* ISO dates, inclusive */
    char period_to[11];
    enum dms_segment_by segment_by;
    /* Scenario shocks given in the plan replace the model's defaults. */
    bool scenario_set[DMS_SCENARIO_COUNT];
    dms_scenario scenarios[DMS_SCENARIO_COUNT];
    size_t nsegments;
    dms_plan_segment segments[DMS_PLAN_MAX_SEGMENTS];
} dms_plan;

/*
 * Loads a plan from a parsed document (borrowed). path_prefix (may be NULL)
 * is prepended to error pointers, for a plan embedded in a request. *out is
 * allocated (free with dms_plan_free).
 */
int dms_plan_load_json(const json_t *root, const char *path_prefix, dms_plan **out, dms_error *err);
int dms_plan_load_file(const char *path, dms_plan **out, dms_error *err);
void dms_plan_free(dms_plan *plan);

/* Reads {"optimistic": {"frequency": F, "severity": S}, ...} (any subset)
 * from the current value of r into plan's scenario overrides. Shared by the
 * plan file and request bodies that override scenarios. */
int dms_plan_read_scenarios(struct dms_jsonread *r, dms_plan *plan);

/*
 * Assigns every person of census to a segment: segment_of[i] for people[i].
 * Rules mode: the first segment whose rule the employee meets (age at the
 * period start), family members following their employee — except rules
 * with "relations", which take each person of those relations on their own
 * age (a children's segment: {"relations": ["child"]}). Column mode: the
 * employee's census segment equals a segment's code or its Russian or
 * English name (case-insensitive), and the family follows. People no segment takes are
 * each reported in diag (DMS_EINVAL) at census_source:line and the result is
 * DMS_EINVAL.
 */
int dms_plan_assign(const dms_plan *plan, const dms_census *census, const char *census_source,
                    size_t *segment_of, dms_diag *diag);

/*
 * Readers and matchers shared by every file that defines segments and module
 * lines (plans, benefit policies): a module line {"module", "deductible",
 * "deductible_type", "copay", "claim_limit", "annual_limit", "voluntary"}
 * at the current object of r, and a segment rule {"age_min", "age_max",
 * "has_children", "work_modes", "departments", "relations"}.
 */
int dms_plan_read_module(struct dms_jsonread *r, dms_plan_module *m);
int dms_segment_rule_read(struct dms_jsonread *r, dms_segment_rule *rule);
/* Does the employee (age at the period start) meet every condition given? */
bool dms_segment_rule_matches(const dms_segment_rule *rule, const dms_person *employee, int age,
                              bool has_children);
/* Does a census segment value name this segment (code, Russian or English
 * name, folded)? An empty value names none. */
bool dms_segment_names_match(const char *code, const char *name_ru, const char *name_en,
                             const char *value);

const dms_plan_module *dms_plan_segment_find(const dms_plan_segment *segment, const char *code);

#endif
