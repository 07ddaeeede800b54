/*
 * Per-claim policy terms and the insurer's payment per claim.
 *
 * A claim of size X is paid as
 *   ordinary deductible (безусловная франшиза): Y = (1-c)((X ^ u) - (X ^ d))
 *   franchise deductible (условная франшиза):   Y = (1-c)(X ^ u) 1{X > d}
 * with deductible d >= 0, co-pay share c in [0, 1) and per-claim limit u > d
 * (INFINITY for none). This module gives the exact first two moments of Y,
 * its distribution function and its limited expected value, all from the
 * severity's limited moments, so that E[S] and Var[S] never depend on a
 * discretisation.
 */
#ifndef DMS_COVERAGE_H
#define DMS_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "dms/dist.h"

typedef struct dms_coverage {
    double deductible;  /* d >= 0 */
    bool franchise;     /* true: franchise (all-or-nothing) deductible */
    double copay;       /* c in [0, 1): share of the covered amount the member pays */
    double claim_limit; /* u > d, INFINITY for none; applies to the loss X */
} dms_coverage;

/* No deductible, no co-pay, no limit. */
dms_coverage dms_coverage_full(void);

int dms_coverage_validate(const dms_coverage *cov, dms_error *err);

/* Largest possible payment per claim (INFINITY without a limit). */
double dms_coverage_max_payment(const dms_coverage *cov);

/* E[Y] and E[Y^2]; either output may be NULL. Exact. */
void dms_payment_moments(const dms_severity *sev, const dms_coverage *cov, double *m1, double *m2);

/* P(Y <= y). Y has an atom at 0 (claims under the deductible) and, with a
 * limit, one at the maximum payment. */
double dms_payment_cdf(const dms_severity *sev, const dms_coverage *cov, double y);

/* E[min(Y, y)] for y >= 0: the limited expected value used by the
 * moment-matching discretisation. */
double dms_payment_limited_mean(const dms_severity *sev, const dms_coverage *cov, double y);

/* out[k] = E[min(Y, (first + k) span)] for k = 0..n-1: the values of
 * dms_payment_limited_mean to round-off, at a fraction of the cost (the
 * fast limited moments of dist.h at every point). */
void dms_payment_limited_mean_grid(const dms_severity *sev, const dms_coverage *cov, double span,
                                   size_t first, size_t n, double *out);
/* The same grid with GSL's special functions at every point: the very
 * doubles of dms_payment_limited_mean. */
void dms_payment_limited_mean_grid_gsl(const dms_severity *sev, const dms_coverage *cov,
                                       double span, size_t first, size_t n, double *out);

/*
 * The limited expected values of one payment law without co-pay on one
 * grid, kept by the caller between lattices (dms_lev_memo_init, then
 * dms_lev_memo_free; zero-initialised is empty). A co-pay whose share
 * 1 - c is 1/2, 1/4 or 1/8 puts the grid point y / (1 - c) of the special
 * functions on a point of the grid without co-pay (scaling by a power of
 * two is exact), so those values serve it: the same doubles, not
 * recomputed. Specs of a budget differ mostly in deductible and co-pay.
 */
#define DMS_LEV_MEMO_KEY 8
typedef struct dms_lev_memo {
    double key[DMS_LEV_MEMO_KEY]; /* severity, deductible, claim limit, span */
    double *lev;                  /* lev[j] = E[min(Y, j span)] at co-pay 0, j < n */
    size_t n, cap;
} dms_lev_memo;

void dms_lev_memo_init(dms_lev_memo *memo);
void dms_lev_memo_free(dms_lev_memo *memo);

/* dms_payment_limited_mean_grid, to the same doubles, taking what it can
 * from memo and keeping there what a grid without co-pay computes; memo
 * may be NULL. A memo that cannot grow (no memory) is just not used. */
void dms_payment_limited_mean_grid_memo(const dms_severity *sev, const dms_coverage *cov,
                                        double span, size_t first, size_t n, dms_lev_memo *memo,
                                        double *out);

#endif
