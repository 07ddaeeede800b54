/*
 * Crisis scenario: a temporary enhanced package for N months of the policy
 * year (by default priority diagnostics through the check-up module and
 * extended telemedicine, added to every segment that lacks them) while a
 * frequency shock raises claims, priced as a mid-year endorsement
 * (дополнительное соглашение): the annual gross premium of the enhanced
 * package under the shock less the annual gross of the current package
 * without it, per segment, times the share of the policy period the
 * endorsement covers (days / days of the period: pro rata temporis). The
 * difference is shown in its two parts: the shock on the current package,
 * and the added modules under the shock. Money in kopecks, segments adding
 * up exactly to the total.
 */
#ifndef DMS_CRISIS_H
#define DMS_CRISIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/diag.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/tariff.h"

#define DMS_CRISIS_MAX_MODULES 8

typedef struct dms_crisis_terms {
    char from[11];          /* first day of the endorsement, inside the plan's period */
    int months;             /* 1..12; clipped at the period's end */
    double frequency_shock; /* multiplies claim frequency, 1..5 */
    size_t nmodules;        /* modules added where missing (tariff default terms) */
    char modules[DMS_CRISIS_MAX_MODULES][DMS_MODEL_CODE_MAX];
} dms_crisis_terms;

/* Reads {"from", "months", "frequency_shock"?: 1.3, "add_modules"?: ["checkup",
 * "telemedicine"]} from the current object of r (prefix-relative pointers). */
struct dms_jsonread;
int dms_crisis_terms_read(struct dms_jsonread *r, dms_crisis_terms *terms);

typedef struct dms_crisis_segment {
    const char *code; /* borrowed from the plan */
    size_t people;
    size_t added;                    /* modules added to this segment */
    int64_t annual_kopecks;          /* current package, no shock */
    int64_t annual_shocked_kopecks;  /* current package under the shock */
    int64_t annual_enhanced_kopecks; /* enhanced package under the shock */
    int64_t endorsement_kopecks;     /* (enhanced - current) x share */
    int64_t shock_part_kopecks;      /* (shocked - current) x share */
    int64_t modules_part_kopecks;    /* the rest: endorsement - shock part */
} dms_crisis_segment;

typedef struct dms_crisis_result {
    dms_crisis_terms terms;
    char to[11]; /* last day covered */
    long days, period_days;
    double share; /* days / period_days */
    size_t nsegments;
    dms_crisis_segment segments[DMS_PLAN_MAX_SEGMENTS];
    dms_crisis_segment total; /* sums of the segment rows */
} dms_crisis_result;

int dms_crisis_price(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                     const dms_census *census, const char *census_source,
                     const dms_crisis_terms *terms, dms_crisis_result *out, dms_diag *diag);

/* How an endorsement is priced; a zeroed struct is the default. */
typedef struct dms_crisis_price_options {
    /* Passed to each of the three quotes, which poll it (NULL: never); see
     * dms_quote_options. A true answer abandons the pricing: DMS_ETOOBIG "the
     * computation was cancelled" in diag, *out not to be used. The hook
     * changes no number. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_crisis_price_options;

/* dms_crisis_price with options (may be NULL). */
int dms_crisis_price_with(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                          const dms_census *census, const char *census_source,
                          const dms_crisis_terms *terms, const dms_crisis_price_options *options,
                          dms_crisis_result *out, dms_diag *diag);

json_t *dms_report_crisis(const dms_crisis_result *result, dms_error *err);
int dms_report_crisis_table(const dms_crisis_result *result, FILE *out);

#endif
