/*
 * Credibility: how much weight a group's own claims experience deserves
 * against the manual rate. Two classical methods. Limited fluctuation: the
 * full-credibility standard n_F = (z_{(1+p)/2} / k)^2 claims (1082 for
 * p = 0.90, k = 0.05), optionally scaled for severity variation, and the
 * square-root rule Z = min(1, sqrt(n / n_F)) below it. Bühlmann–Straub: the
 * structural parameters (collective mean m, expected process variance s^2,
 * variance of hypothetical means a) estimated from a portfolio of risks
 * (employers, or modules) observed over periods with weights (member-years),
 * Z_i = w_i / (w_i + s^2/a) and the credibility premium
 * Z_i X_i + (1 - Z_i) m. Pure functions; results through out-parameters.
 */
#ifndef DMS_CREDIBILITY_H
#define DMS_CREDIBILITY_H

#include <stddef.h>

#include "dms/error.h"

/* Defaults of the limited fluctuation standard: P(|X - E X| <= k E X) >= p. */
#define DMS_CRED_DEFAULT_P 0.90
#define DMS_CRED_DEFAULT_K 0.05

/*
 * The full-credibility standard for claim counts, n_F = (z_{(1+p)/2}/k)^2,
 * with z the standard normal quantile. cv_severity >= 0 turns it into the
 * standard for the pure premium, n_F (1 + cv^2) (pass 0 for frequency).
 * DMS_EINVAL unless 0 < p < 1, k > 0, cv_severity >= 0 (finite).
 */
int dms_cred_lf_standard(double p, double k, double cv_severity, double *n_full /* OUT */,
                         dms_error *err);

/* The square-root rule: Z = min(1, sqrt(n / n_full)). DMS_EINVAL for n < 0
 * or n_full <= 0 (or not finite). */
int dms_cred_lf_factor(double n, double n_full, double *z /* OUT */, dms_error *err);

/* Estimator of the between-risk variance a. */
enum dms_cred_bs_method {
    DMS_CRED_BS_UNBIASED = 0, /* Bühlmann–Gisler unbiased estimator, truncated at 0 */
    DMS_CRED_BS_ITERATIVE = 1 /* Bichsel–Straub pseudo-estimator (fixed point) */
};

typedef struct dms_cred_bs {
    size_t nrisks;
    double collective; /* m: credibility-weighted mean sum Z_i X_i / sum Z_i */
    double s2;         /* expected process variance (within) */
    double a;          /* variance of hypothetical means (between); 0 if none */
    double k;          /* s2 / a; INFINITY when a == 0 */
    double *weight;    /* w_i: total weight of risk i */
    double *mean;      /* X_i: weighted mean of risk i */
    double *z;         /* credibility factors */
    double *premium;   /* Z_i X_i + (1 - Z_i) m */
} dms_cred_bs;

/*
 * Fits Bühlmann–Straub to ratios[i * nperiods + j] with weights (same
 * layout) for nrisks risks (>= 2) over nperiods periods; a weight of 0 marks
 * a missing cell (its ratio is ignored, may be NaN). Every risk needs a
 * positive total weight and, in all, more observed cells than risks.
 * DMS_EINVAL for a negative or non-finite weight or ratio, or too little
 * data (the pointer of err names /ratios/<i>/<j> or /weights/<i>/<j>);
 * DMS_ENUMERIC if the iterative method does not converge; DMS_ENOMEM.
 * *out is new (dms_cred_bs_free).
 */
int dms_cred_bs_fit(const double *ratios, const double *weights, size_t nrisks, size_t nperiods,
                    enum dms_cred_bs_method method, dms_cred_bs **out /* OUT */, dms_error *err);

/* Frees a fit; NULL is a no-op. */
void dms_cred_bs_free(dms_cred_bs *fit);

/* The Bühlmann–Straub factor for a weight w under k = s2/a: w / (w + k)
 * (0 for k = INFINITY). DMS_EINVAL for w < 0 or k <= 0 or NaN. */
int dms_cred_bs_factor(double w, double k, double *z /* OUT */, dms_error *err);

#endif
