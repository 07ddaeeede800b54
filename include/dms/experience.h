/*
 * Experience rating of a group at renewal: per benefit module the observed
 * claim frequency (distinct claims per member-year, from the register and
 * the membership history) and severity (billed cost per claim, the ground-up
 * cost the model's severity describes), trended from the experience period
 * to the renewal period with the model's trend rates, set beside the manual
 * rate of the same people (the model rated for each member's age band and
 * sex, weighted by member-months), and blended by credibility: limited
 * fluctuation (n_F = (z_{(1+p)/2}/k)^2 claims for frequency, n_F CV^2 for
 * severity, square-root rule) or Bühlmann–Straub (Z = W / (W + k), W in
 * member-years, k = s^2/a from a portfolio fit). The blended rates divided
 * by the manual ones are per-module multipliers; dms_experience_adjust_model
 * applies them to a copy of the model so that the ordinary group quote
 * prices the renewal with experience-adjusted rates.
 */
#ifndef DMS_EXPERIENCE_H
#define DMS_EXPERIENCE_H

#include <stddef.h>

#include <jansson.h>

#include "dms/claims.h"
#include "dms/exposure.h"
#include "dms/model.h"

enum dms_experience_method {
    DMS_EXPERIENCE_LIMITED_FLUCTUATION = 0,
    DMS_EXPERIENCE_BUHLMANN_STRAUB = 1,
};

typedef struct dms_experience_options {
    long exp_from, exp_to;     /* experience period, inclusive day numbers */
    long renew_from, renew_to; /* renewal period, inclusive day numbers */
    enum dms_experience_method method;
    double lf_p, lf_k; /* full-credibility standard (default 0.90, 0.05) */
    double bs_k;       /* Bühlmann–Straub k = s^2/a in member-years (> 0) */
    double network_frequency, network_cost, region; /* manual-rate factors, default 1 */
} dms_experience_options;

/* Defaults: limited fluctuation 0.90 / 0.05, neutral factors, periods unset (0). */
dms_experience_options dms_experience_options_default(void);

typedef struct dms_experience_module {
    char code[DMS_MODEL_CODE_MAX];
    const dms_model_module *model; /* borrowed */
    double member_years;
    long claims;              /* distinct counted claims */
    long lines;               /* counted register lines */
    double billed;            /* roubles, counted lines */
    double paid;              /* roubles paid by the insurer, counted lines */
    double obs_frequency;     /* claims per member-year */
    double obs_severity;      /* billed per claim (0 without claims) */
    double cv_severity;       /* observed coefficient of variation of claim cost */
    double trend_years;       /* experience midpoint -> renewal midpoint */
    double trended_frequency; /* at renewal */
    double trended_severity;
    double manual_frequency; /* model at renewal, exposure-weighted over the group */
    double manual_severity;
    double n_full;      /* limited fluctuation: standard in claims (frequency) */
    double z_frequency; /* credibility factors */
    double z_severity;
    double blended_frequency;
    double blended_severity;
    double frequency_factor; /* blended / manual: multipliers for the quote */
    double severity_factor;
    double manual_pure; /* per member-year at renewal */
    double experience_pure;
    double blended_pure;
} dms_experience_module;

typedef struct dms_experience {
    dms_experience_options options;
    double member_years; /* whole group, experience period */
    size_t nmodules;     /* the model's claims modules, model order */
    dms_experience_module *modules;
    size_t unmatched_lines;      /* counted lines whose member is not in the history */
    size_t unknown_module_lines; /* lines whose module the model lacks (ignored) */
    size_t outside_lines;        /* lines with a service date outside the experience period */
} dms_experience;

/*
 * Computes the experience of reg (lines with status paid or pending and a
 * service date inside the experience period) against membership under
 * model. DMS_EINVAL for NULL arguments, periods unset or reversed, bad
 * options (pointer /lf_p, /lf_k, /bs_k ...), or no exposure in the period.
 * *out is new (dms_experience_free).
 */
int dms_experience_compute(const dms_model *model, const dms_register *reg,
                           const dms_membership *membership, const dms_experience_options *options,
                           dms_experience **out /* OUT */, dms_error *err);

void dms_experience_free(dms_experience *exp);

/*
 * A copy of model whose claims modules carry the experience multipliers:
 * frequency mean x frequency_factor, severity scaled by severity_factor
 * (lognormal meanlog + ln f, gamma scale x f). Free with dms_model_free.
 */
int dms_experience_adjust_model(const dms_model *model, const dms_experience *exp,
                                dms_model **out /* OUT */, dms_error *err);

/* The experience as JSON (new reference, or NULL with err set): options,
 * totals and per module every figure above. */
json_t *dms_experience_json(const dms_experience *exp, dms_error *err);

#endif
