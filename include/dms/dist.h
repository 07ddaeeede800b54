/*
 * Claim-count and claim-size distributions of the actuarial model.
 *
 * Frequency N is Poisson(mean) or negative binomial with the given mean and
 * size r (Var N = mean + mean^2 / r), both members of the (a, b, 0) class
 * that Panjer's recursion needs. Severity X is lognormal(meanlog, sdlog) or
 * gamma(shape, scale) in roubles. The limited moments E[(X ^ x)^k] are the
 * exact closed forms (normal CDF for the lognormal, regularised incomplete
 * gamma for the gamma), the building block of every coverage calculation.
 * All functions are pure and thread-safe; none calls GSL's error handler.
 */
#ifndef DMS_DIST_H
#define DMS_DIST_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include "dms/error.h"

/* glibc's complex.h defines CMPLX for GCC only; clang (the fuzz build) has
 * the same builtin, which keeps infinities and signed zeros as CMPLX does. */
#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

enum dms_frequency_kind { DMS_FREQ_POISSON, DMS_FREQ_NEGBIN };

typedef struct dms_frequency {
    enum dms_frequency_kind kind;
    double mean; /* lambda >= 0 */
    double size; /* negative binomial r > 0; ignored for Poisson */
} dms_frequency;

enum dms_severity_kind { DMS_SEV_LOGNORMAL, DMS_SEV_GAMMA };

typedef struct dms_severity {
    enum dms_severity_kind kind;
    double meanlog, sdlog; /* lognormal: mu, sigma > 0 */
    double shape, scale;   /* gamma: k > 0, theta > 0 */
} dms_severity;

/* Refuse NaN, infinities and values outside the domain, naming the field. */
int dms_frequency_validate(const dms_frequency *freq, dms_error *err);
int dms_severity_validate(const dms_severity *sev, dms_error *err);

/*
 * Parse "poisson:MEAN" or "negbin:MEAN,SIZE" / "lognormal:MEANLOG,SDLOG" or
 * "gamma:SHAPE,SCALE" (the CLI syntax), validating the result.
 */
int dms_frequency_parse(const char *text, dms_frequency *out, dms_error *err);
int dms_severity_parse(const char *text, dms_severity *out, dms_error *err);

/* Canonical name of the family: "poisson", "negbin", "lognormal", "gamma". */
const char *dms_frequency_name(const dms_frequency *freq);
const char *dms_severity_name(const dms_severity *sev);

double dms_frequency_variance(const dms_frequency *freq);
/* P(N = n). */
double dms_frequency_pmf(const dms_frequency *freq, unsigned n);
/* Panjer's (a, b): p_n = (a + b / n) p_{n-1}. */
void dms_frequency_panjer_ab(const dms_frequency *freq, double *a, double *b);
/* Probability generating function E[z^N], for the FFT method. */
double complex dms_frequency_pgf(const dms_frequency *freq, double complex z);
/* z[i] = dms_frequency_pgf(freq, z[i]) for i < n, the same doubles: the
 * FFT method's n / 2 + 1 points in one call. */
void dms_frequency_pgf_array(const dms_frequency *freq, double complex *z, size_t n);
/*
 * The same family with 1/parts of the mean (and for the negative binomial of
 * the size), so that the sum of `parts` independent copies has the original
 * law. Used to keep Panjer's starting value P(N=0) away from underflow.
 */
dms_frequency dms_frequency_divide(const dms_frequency *freq, double parts);

double dms_severity_cdf(const dms_severity *sev, double x);
/* Survival P(X > x), accurate in the far tail. */
double dms_severity_sf(const dms_severity *sev, double x);
double dms_severity_quantile(const dms_severity *sev, double p);
/* E[X^k], k = 1 or 2 (any k > 0 allowed). */
double dms_severity_moment(const dms_severity *sev, double k);
/*
 * Limited moment E[min(X, x)^k] for x >= 0; x = INFINITY gives E[X^k].
 * Exact closed form.
 */
double dms_severity_limited_moment(const dms_severity *sev, double x, double k);
/* The same with raw = dms_severity_moment(sev, k) given, for callers that
 * evaluate many x (the same bits as dms_severity_limited_moment). */
double dms_severity_limited_moment_raw(const dms_severity *sev, double x, double k, double raw);
/* The same to round-off (a few ulps, not the bits), faster where the law
 * has closed forms: a gamma claim of whole or half-whole shape (up to 40)
 * is priced without GSL's continued fraction, which near x = shape takes
 * thousands of terms, and a lognormal's first moment takes both its normal
 * tails from one exponential. For lattices, which need it at every point. */
double dms_severity_limited_moment_fast(const dms_severity *sev, double x, double k, double raw);
/* The regularised incomplete gamma functions P(a, x) and Q(a, x) into *p
 * and *q by the closed forms of whole and half-whole shapes a <= 40, for
 * 0 < x < 600; false (and nothing written) outside them, where GSL's
 * gsl_sf_gamma_inc_P/Q serve. They agree with GSL's to a few ulps. */
bool dms_dist_gamma_inc(double a, double x, double *p, double *q);

#endif
