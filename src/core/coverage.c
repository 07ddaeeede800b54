/*
 * The insurer's payment per claim under deductible, franchise, co-pay and
 * per-claim limit, expressed through the severity's limited moments so that
 * every result is exact (no discretisation, no integration). Derivations:
 * with g(X) = (X ^ u) - (X ^ d), g^2 = (X ^ u)^2 - (X ^ d)^2 - 2d g(X);
 * for the franchise, E[h(X); X > d] = E[h(X ^ d')] - E[X^k; X <= d] where
 * E[X^k; X <= d] = E[(X ^ d)^k] - d^k P(X > d).
 */
#include "dms/coverage.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

dms_coverage dms_coverage_full(void)
{
    return (dms_coverage){.deductible = 0, .franchise = false, .copay = 0, .claim_limit = INFINITY};
}

int dms_coverage_validate(const dms_coverage *cov, dms_error *err)
{
    dms_error_clear(err);
    if (!isfinite(cov->deductible) || cov->deductible < 0 || cov->deductible > 1e9)
        return dms_error_set(err, DMS_EINVAL, "/deductible",
                             "deductible must be a number of roubles in [0, 1e9], got %g",
                             cov->deductible);
    if (!(cov->copay >= 0 && cov->copay < 1))
        return dms_error_set(err, DMS_EINVAL, "/copay", "co-pay must be a share in [0, 1), got %g",
                             cov->copay);
    if (isnan(cov->claim_limit) || cov->claim_limit <= cov->deductible)
        return dms_error_set(err, DMS_EINVAL, "/claim_limit",
                             "per-claim limit (%g) must exceed the deductible (%g)",
                             cov->claim_limit, cov->deductible);
    return DMS_OK;
}

double dms_coverage_max_payment(const dms_coverage *cov)
{
    if (isinf(cov->claim_limit))
        return INFINITY;
    double covered = cov->franchise ? cov->claim_limit : cov->claim_limit - cov->deductible;
    return (1.0 - cov->copay) * covered;
}

/* E[X^k; X <= x], the partial moment below x. */
static double partial_moment(const dms_severity *sev, double x, double k)
{
    if (x <= 0)
        return 0.0;
    return dms_severity_limited_moment(sev, x, k) - pow(x, k) * dms_severity_sf(sev, x);
}

void dms_payment_moments(const dms_severity *sev, const dms_coverage *cov, double *m1, double *m2)
{
    double d = cov->deductible, u = cov->claim_limit, share = 1.0 - cov->copay;
    double lu1 = dms_severity_limited_moment(sev, u, 1);
    double lu2 = dms_severity_limited_moment(sev, u, 2);
    double e1, e2;
    if (cov->franchise) {
        e1 = lu1 - partial_moment(sev, d, 1);
        e2 = lu2 - partial_moment(sev, d, 2);
    } else {
        double ld1 = dms_severity_limited_moment(sev, d, 1);
        double ld2 = dms_severity_limited_moment(sev, d, 2);
        e1 = lu1 - ld1;
        e2 = lu2 - ld2 - 2 * d * e1;
    }
    /* Cancellation can leave -1e-16 where the truth is 0. */
    if (m1 != NULL)
        *m1 = share * fmax(e1, 0.0);
    if (m2 != NULL)
        *m2 = share * share * fmax(e2, 0.0);
}

double dms_payment_cdf(const dms_severity *sev, const dms_coverage *cov, double y)
{
    if (y < 0)
        return 0.0;
    if (y >= dms_coverage_max_payment(cov))
        return 1.0;
    double loss = y / (1.0 - cov->copay); /* covered amount that maps to y */
    if (cov->franchise)
        /* Paid claims are worth more than (1-c)d, so below that only the
         * claims under the deductible (paid 0) count. */
        return dms_severity_cdf(sev, loss <= cov->deductible ? cov->deductible : loss);
    return dms_severity_cdf(sev, cov->deductible + loss);
}

double dms_payment_limited_mean(const dms_severity *sev, const dms_coverage *cov, double y)
{
    if (y <= 0)
        return 0.0;
    double share = 1.0 - cov->copay, d = cov->deductible;
    double t = y / share;
    if (cov->franchise) {
        if (t <= d)
            return share * t * dms_severity_sf(sev, d);
        double m = fmin(cov->claim_limit, t);
        return share * (dms_severity_limited_moment(sev, m, 1) - partial_moment(sev, d, 1));
    }
    double top = fmin(cov->claim_limit, d + t);
    return share *
           (dms_severity_limited_moment(sev, top, 1) - dms_severity_limited_moment(sev, d, 1));
}

/* The grid with the special functions of dms_payment_limited_mean (the
 * same bits) or their fast forms (the same to round-off). */
static void limited_mean_grid(const dms_severity *sev, const dms_coverage *cov, double span,
                              size_t first, size_t n, bool fast, double *out)
{
    /* The same closed forms as dms_payment_limited_mean, with the terms
     * that do not depend on y (those at the deductible, and at the
     * per-claim limit once y reaches it) computed once: a moment-matched
     * lattice needs this at every point, and often half its points lie
     * beyond the limit. The same calls give the same bits. */
    double share = 1.0 - cov->copay, d = cov->deductible, u = cov->claim_limit;
    double at_d =
        cov->franchise ? partial_moment(sev, d, 1) : dms_severity_limited_moment(sev, d, 1);
    double paid = cov->franchise ? dms_severity_sf(sev, d) : 0.0;
    double at_u = NAN; /* E[min(X, u)], once needed */
    double raw = dms_severity_moment(sev, 1);
    for (size_t k = 0; k < n; k++) {
        double y = (double)(first + k) * span;
        if (y <= 0) {
            out[k] = 0.0;
            continue;
        }
        double t = y / share;
        if (cov->franchise && t <= d) {
            out[k] = share * t * paid;
            continue;
        }
        double x = fmin(u, cov->franchise ? t : d + t);
        double lm;
        if (x == u) {
            if (isnan(at_u))
                at_u = fast ? dms_severity_limited_moment_fast(sev, u, 1, raw)
                            : dms_severity_limited_moment_raw(sev, u, 1, raw);
            lm = at_u;
        } else {
            lm = fast ? dms_severity_limited_moment_fast(sev, x, 1, raw)
                      : dms_severity_limited_moment_raw(sev, x, 1, raw);
        }
        out[k] = share * (lm - at_d);
    }
}

void dms_payment_limited_mean_grid(const dms_severity *sev, const dms_coverage *cov, double span,
                                   size_t first, size_t n, double *out)
{
    limited_mean_grid(sev, cov, span, first, n, true, out);
}

void dms_payment_limited_mean_grid_gsl(const dms_severity *sev, const dms_coverage *cov,
                                       double span, size_t first, size_t n, double *out)
{
    limited_mean_grid(sev, cov, span, first, n, false, out);
}

void dms_lev_memo_init(dms_lev_memo *memo)
{
    memset(memo, 0, sizeof *memo);
}

void dms_lev_memo_free(dms_lev_memo *memo)
{
    free(memo->lev);
    dms_lev_memo_init(memo);
}

/* 2^m when share = 2^-m for m = 1..3, else 0. */
static size_t share_stride(double share)
{
    for (size_t stride = 2; stride <= 8; stride *= 2)
        if (share * (double)stride == 1.0)
            return stride;
    return 0;
}

/* Appends out[0..n-1] = lev[first..first+n-1] to memo where it extends it. */
static void memo_keep(dms_lev_memo *memo, size_t first, size_t n, const double *out)
{
    if (first > memo->n || first + n <= memo->n)
        return;
    size_t end = first + n;
    if (end > memo->cap) {
        size_t cap = memo->cap < 1024 ? 1024 : memo->cap;
        while (cap < end)
            cap *= 2;
        double *lev = realloc(memo->lev, cap * sizeof *lev);
        if (lev == NULL)
            return;
        memo->lev = lev;
        memo->cap = cap;
    }
    memcpy(memo->lev + memo->n, out + (memo->n - first), (end - memo->n) * sizeof *out);
    memo->n = end;
}

void dms_payment_limited_mean_grid_memo(const dms_severity *sev, const dms_coverage *cov,
                                        double span, size_t first, size_t n, dms_lev_memo *memo,
                                        double *out)
{
    /* The franchise's points under the deductible are share * t * P(X > d),
     * whose rounding a power of two need not keep (subnormals): not kept. */
    if (memo == NULL || cov->franchise || !(span > 0)) {
        dms_payment_limited_mean_grid(sev, cov, span, first, n, out);
        return;
    }
    const double key[DMS_LEV_MEMO_KEY] = {(double)sev->kind, sev->meanlog, sev->sdlog,
                                          sev->shape,        sev->scale,   cov->deductible,
                                          cov->claim_limit,  span};
    bool same = memo->n > 0 && memcmp(key, memo->key, sizeof key) == 0;
    if (cov->copay == 0) {
        dms_payment_limited_mean_grid(sev, cov, span, first, n, out);
        if (!same && first == 0) {
            memcpy(memo->key, key, sizeof key);
            memo->n = 0;
            same = true;
        }
        if (same)
            memo_keep(memo, first, n, out);
        return;
    }
    /* With share 2^-m the point j of this grid is y / share = (j 2^m) span:
     * (j 2^m) span and (j span) 2^m are the same double, and so are d plus
     * either, the special functions of it and lev0 = 1 * (E[X ^ x] - at_d).
     * share * lev0 is then the very expression the direct route evaluates. */
    double share = 1.0 - cov->copay;
    size_t stride = same ? share_stride(share) : 0;
    size_t k = 0;
    if (stride > 0)
        for (; k < n && first + k < (memo->n + stride - 1) / stride; k++)
            out[k] = share * memo->lev[(first + k) * stride];
    if (k < n)
        dms_payment_limited_mean_grid(sev, cov, span, first + k, n - k, out + k);
}
