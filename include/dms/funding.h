/*
 * Payment models (модель оплаты) of a group's DMS programme: a fixed
 * premium against pay-as-you-go, where the employer pays the actual claims
 * plus an administration fee, optionally with stop-loss cover that pays the
 * claims above a chosen percentile of the group's annual claims. For each
 * model: the expected annual cost to the employer and its 75th, 90th and
 * 99th percentiles, from the group distribution of the quote (the
 * convolution of the per-person distributions, dms_quote_compute with
 * percentiles); the stop-loss premium, priced from the same distribution;
 * and the break-even: the level of annual claims at which pay-as-you-go
 * costs as much as the fixed premium, and how often claims stay below it.
 *
 * The quote gives the group distribution as its mean, sd and percentiles
 * 50/75/90/95/99. Percentiles of cost come from those exactly; the expected
 * excess over a retention and the probability of a claims level need the
 * whole tail, taken as the translated gamma (Klugman, Panjer, Willmot) with
 * the quote's mean and sd and its 99th percentile, or the normal when the
 * distribution is no more skewed than the normal at the 99th percentile.
 */
#ifndef DMS_FUNDING_H
#define DMS_FUNDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/diag.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/quote.h"
#include "dms/tariff.h"

/* What the comparison reads from the group distribution (roubles a year). */
typedef struct dms_funding_group {
    size_t people;
    int64_t fixed_kopecks;                      /* the fixed (gross) premium of the group */
    double mean, sd;                            /* the group's annual claims */
    double percentiles[DMS_QUOTE_NPERCENTILES]; /* at dms_quote_percentile_levels */
    double loading;                             /* gross-up of a net premium: (1 + contingency) /
                                                   (1 - expense - commission - profit) */
    double admin_per_head;                      /* the tariff's admin fee per person, grossed up */
} dms_funding_group;

/* The group of scenario of a quote computed with percentiles. */
int dms_funding_group_from_quote(const dms_quote *quote, const dms_tariff *tariff,
                                 enum dms_scenario_kind scenario, dms_funding_group *out,
                                 dms_error *err);

/* Pay-as-you-go terms. */
typedef struct dms_funding_terms {
    double admin_fee_per_head; /* roubles a year; NAN: the group's admin_per_head */
    double admin_share;        /* of actual claims, added to the fee; 0..1 */
    int stop_loss;             /* index of dms_quote_percentile_levels (0..4) of the
                                  retention, -1: no stop-loss */
} dms_funding_terms;

dms_funding_terms dms_funding_terms_default(void); /* tariff fee, no share, stop-loss at P90 */

/* The translated gamma shift + Gamma(shape, scale), or the normal. */
typedef struct dms_funding_tail {
    bool normal;
    double mean, sd;
    double shift, shape, scale;
} dms_funding_tail;

/* Fits mean, sd (> 0) and the 99th percentile p99. DMS_EINVAL for bad input. */
int dms_funding_tail_fit(double mean, double sd, double p99, dms_funding_tail *out, dms_error *err);
double dms_funding_tail_excess(const dms_funding_tail *tail, double retention); /* E[(S-R)+] */
double dms_funding_tail_cdf(const dms_funding_tail *tail, double x);            /* P(S <= x) */

enum dms_funding_model {
    DMS_FUNDING_FIXED,
    DMS_FUNDING_PAYG,
    DMS_FUNDING_PAYG_STOP_LOSS,
    DMS_FUNDING_NMODELS
};
#define DMS_FUNDING_NLEVELS 3
extern const int dms_funding_levels[DMS_FUNDING_NLEVELS]; /* indices of P75, P90, P99 */

typedef struct dms_funding_cost {
    bool available;                         /* stop-loss: only when asked */
    double expected;                        /* roubles a year */
    double percentile[DMS_FUNDING_NLEVELS]; /* P75, P90, P99 */
} dms_funding_cost;

typedef struct dms_funding_result {
    dms_funding_group group;
    dms_funding_terms terms;
    dms_funding_tail tail;
    double admin_fixed;       /* admin fee per head x people */
    double retention;         /* stop-loss: the chosen percentile of claims */
    double expected_excess;   /* E[(S - retention)+] */
    double stop_loss_premium; /* expected excess x loading */
    dms_funding_cost cost[DMS_FUNDING_NMODELS];
    /* Claims level at which pay-as-you-go (without, with stop-loss) costs
     * the fixed premium, and P(claims <= it): the share of years in which
     * pay-as-you-go is the cheaper. */
    double break_even[2];
    double break_even_probability[2];
} dms_funding_result;

int dms_funding_compare(const dms_funding_group *group, const dms_funding_terms *terms,
                        dms_funding_result *out, dms_error *err);

/* Quote (base scenario, with percentiles) and compare. Faults go into diag. */
int dms_funding_run(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                    const dms_census *census, const char *census_source,
                    const dms_funding_terms *terms, dms_funding_result *out, dms_diag *diag);

/* How a funding run is carried out; a zeroed struct is the default. */
typedef struct dms_funding_run_options {
    /* Passed to the quote, which polls it (NULL: never); see dms_quote_options.
     * A true answer abandons the run: DMS_ETOOBIG "the computation was
     * cancelled" in diag, *out zeroed. The hook changes no number. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_funding_run_options;

/* dms_funding_run with options (may be NULL). */
int dms_funding_run_with(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                         const dms_census *census, const char *census_source,
                         const dms_funding_terms *terms, const dms_funding_run_options *options,
                         dms_funding_result *out, dms_diag *diag);

/* Reads {"admin_fee_per_head", "admin_share", "stop_loss": "none"|"p50".."p99"}
 * (all optional) from the current object of r into terms. */
struct dms_jsonread;
int dms_funding_terms_read(struct dms_jsonread *r, dms_funding_terms *terms);

/* Encoders: new reference or NULL with err set; a table for people. */
json_t *dms_report_funding(const dms_funding_result *result, dms_error *err);
int dms_report_funding_table(const dms_funding_result *result, FILE *out);

#endif
