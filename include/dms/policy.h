/*
 * An employer's benefit policy (see examples/policies/): who the employer
 * is, the insurance period and the enrolment window, how employees fall into
 * segments (rules on the employee, or the census segment column, exactly as
 * in plan files), and per segment the base modules the employer pays, the
 * network tier, the flex budget (credits a year), the cap on the employee's
 * salary top-up and the co-financing share; then the menu of optional
 * modules employees may choose, each with its pricing terms, eligibility
 * (age range, segments, relations, tenure), dependencies (requires) and
 * exclusions. The loader validates every field and names the JSON Pointer of
 * a bad one; unknown keys are errors. The result is immutable.
 *
 * Money rule of a chosen set of options with annual price P (roubles, the
 * sum of the options' gross premiums): flex credits pay first, up to the
 * segment's flex_budget B; of the rest R = max(0, P - B) the employer pays
 * employer_share e and the employee (1 - e), deducted from salary; the
 * employee's part may not exceed top_up_cap. So the employee pays
 * (1 - e) max(0, P - B) <= cap and the employer min(P, B) + e max(0, P - B).
 */
#ifndef DMS_POLICY_H
#define DMS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/plan.h"
#include "dms/tariff.h"

#define DMS_POLICY_MAX_SEGMENTS 32
#define DMS_POLICY_MAX_OPTIONS 64 /* options are bits of a uint64_t mask */
#define DMS_POLICY_TEXT_MAX 160

/* Who an option can cover: bit (1 << enum dms_relation). */
#define DMS_POLICY_RELATION_BIT(rel) (1u << (unsigned)(rel))

typedef struct dms_policy_eligibility {
    int age_min, age_max;  /* inclusive, at the period start; -1 when not given */
    unsigned relations;    /* DMS_POLICY_RELATION_BIT set; default: employee only */
    uint64_t segments;     /* bit i: policy segment i; 0 means every segment */
    int min_tenure_months; /* of the employee at the election date; 0 none */
} dms_policy_eligibility;

typedef struct dms_policy_option {
    char code[DMS_MODEL_CODE_MAX];
    char name_ru[DMS_POLICY_TEXT_MAX];
    char name_en[DMS_POLICY_TEXT_MAX];
    dms_plan_module module;           /* tariff module and terms; voluntary is true */
    char network[DMS_MODEL_CODE_MAX]; /* "" : the segment's network */
    dms_policy_eligibility eligibility;
    uint64_t requires; /* bits of options that must be chosen with this one */
    uint64_t excludes; /* bits of options that cannot be chosen with it (symmetric) */
    uint64_t closure;  /* this option and everything it requires, transitively */
} dms_policy_option;

typedef struct dms_policy_segment {
    char code[DMS_MODEL_CODE_MAX];
    char name_ru[DMS_POLICY_TEXT_MAX];
    char name_en[DMS_POLICY_TEXT_MAX];
    bool has_rule; /* false: catch-all (rules mode) */
    dms_segment_rule rule;
    char network[DMS_MODEL_CODE_MAX]; /* the policy's network when not given */
    double flex_budget;               /* roubles a year of employer credits, >= 0 */
    double top_up_cap;                /* roubles a year the employee may add from salary, >= 0 */
    double employer_share;            /* of the price beyond the budget, [0, 1] */
    size_t nbase;
    dms_plan_module base[DMS_PLAN_MAX_MODULES]; /* employer-paid, employee only */
} dms_policy_segment;

typedef struct dms_policy {
    char name[DMS_POLICY_TEXT_MAX];
    char employer_ru[DMS_POLICY_TEXT_MAX];
    char employer_en[DMS_POLICY_TEXT_MAX];
    char period_from[11]; /* ISO dates, inclusive */
    char period_to[11];
    char enrolment_opens[11];
    char enrolment_closes[11];
    long period_from_day, period_to_day; /* days since 1970-01-01 */
    long opens_day, closes_day;
    int life_event_days; /* an election re-opened by a life event stays open this long */
    long headcount;      /* group size for the tariff's group factor */
    char network[DMS_MODEL_CODE_MAX];
    enum dms_segment_by segment_by;
    size_t nsegments;
    dms_policy_segment segments[DMS_POLICY_MAX_SEGMENTS];
    size_t noptions;
    dms_policy_option options[DMS_POLICY_MAX_OPTIONS];
} dms_policy;

/*
 * Loads a policy from a parsed document (borrowed). path_prefix (may be
 * NULL) is prepended to error pointers, for a policy embedded in a request.
 * Besides field checks it refuses: repeated segment or option codes,
 * requires/excludes naming an unknown option or the option itself, an option
 * that both requires and excludes (directly or through its requirements) the
 * same option, an enrolment window that closes before it opens or after the
 * period ends. *out is allocated (free with dms_policy_free); NULL on error.
 */
int dms_policy_load_json(const json_t *root, const char *path_prefix, dms_policy **out,
                         dms_error *err);

/* Reads, parses and loads a file; errors carry the file name as source. */
int dms_policy_load_file(const char *path, dms_policy **out, dms_error *err);

/* NULL is a no-op. */
void dms_policy_free(dms_policy *policy);

/*
 * Checks the policy against a tariff and model: every base module and
 * option module exists in the tariff, every network named exists, and the
 * terms are allowed (deductible and co-pay from the tariff's lists).
 * DMS_EINVAL at the pointer of the first fault (/options/3/module).
 */
int dms_policy_check_tariff(const dms_policy *policy, const dms_tariff *tariff,
                            const dms_model *model, dms_error *err);

/* Index of the option with this code, or -1. */
long dms_policy_find_option(const dms_policy *policy, const char *code);

/* Index of the segment with this code, or -1. */
long dms_policy_find_segment(const dms_policy *policy, const char *code);

/*
 * The segment of an employee (relation must be employee): rules mode takes
 * the first segment whose rule the employee meets (age at the period start,
 * has_children as given by the caller, work mode, department); column mode
 * the segment whose code or Russian or English name equals the employee's
 * census segment (case-insensitive). DMS_ENOTFOUND when none takes them,
 * DMS_EINVAL for a person who is not an employee.
 */
int dms_policy_segment_of(const dms_policy *policy, const dms_person *employee, bool has_children,
                          size_t *segment, dms_error *err);

/*
 * The enrolment rule for a census under a policy: at least one employee,
 * and every employee falls into a segment (dms_policy_segment_of, with
 * has_children from the census). DMS_EINVAL otherwise, at path (e.g.
 * "/census_csv") with the employee's census line.
 */
int dms_policy_check_census(const dms_policy *policy, const dms_census *census, const char *path,
                            dms_error *err);

/* The network of an option for a segment: its own, else the segment's. */
const char *dms_policy_option_network(const dms_policy *policy, size_t segment, size_t option);

#endif
