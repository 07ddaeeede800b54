/*
 * Distributions on the lattice {0, h, 2h, ...}: discretisation of the
 * per-claim payment, compounding by Panjer's recursion or by FFT, n-fold
 * convolution powers (for groups of identical people) and the summaries
 * a quote needs (limited mean, exceedance probability, quantiles).
 *
 * A lattice distribution holds n probabilities f[0..n-1] of the points
 * k*h; mass beyond the last point (truncation) is 1 - sum f and is treated
 * as lying above every point, so summaries stay conservative.
 * Functions that can fail return a status; workspaces are the caller's.
 */
#ifndef DMS_LATTICE_H
#define DMS_LATTICE_H

#include <stddef.h>
#include "dms/coverage.h"

enum dms_discretization {
    DMS_DISC_ROUNDING, /* mass of ((k-1/2)h, (k+1/2)h] to the point kh */
    DMS_DISC_MOMENT,   /* local moment matching: keeps E[Y] exactly */
};

/* Largest lattice the library agrees to build (points). */
#define DMS_LATTICE_MAX_POINTS ((size_t)1 << 24)

/*
 * Discretise the payment per claim on span h into f[0..n-1]. The tail
 * beyond (n-1)h is left out (f sums to P(Y <= about (n-1)h)); so are the
 * points past where less than 1e-17 of the law remains (zeros).
 */
int dms_discretize_payment(const dms_severity *sev, const dms_coverage *cov, double span,
                           enum dms_discretization method, double *f, size_t n, dms_error *err);

/* dms_discretize_payment, to the same doubles, sharing limited expected
 * values with other lattices of the law through memo (coverage.h; NULL:
 * none), and continuing after f[0..known-1] when they hold the first points
 * of the same lattice (a shorter one made before; 0: none). */
int dms_discretize_payment_memo(const dms_severity *sev, const dms_coverage *cov, double span,
                                enum dms_discretization method, dms_lev_memo *memo, double *f,
                                size_t known, size_t n, dms_error *err);

/*
 * dms_discretize_payment with GSL's special functions at every point (its
 * limited expected values are dms_payment_limited_mean's very doubles),
 * where dms_discretize_payment's fast forms agree with them to round-off
 * only: for the callers whose choices turn on the last bits of the masses
 * (aggregate.c). The rounding method is the same either way.
 */
int dms_discretize_payment_gsl(const dms_severity *sev, const dms_coverage *cov, double span,
                               enum dms_discretization method, double *f, size_t n, dms_error *err);

/*
 * The moment-matching lattice (as dms_discretize_payment with
 * DMS_DISC_MOMENT) from the limited expected values of the payment in units
 * of the span, t[j] = E[min(Y, j h)] / h for j = 0..n (n + 1 values): used
 * where many lattices share their values of t (aggregate.c).
 */
void dms_discretize_moment_table(const double *t, size_t n, double *f);
/* The same for t[j] given for j < uncapped and equal to capped from there
 * on (a per-claim limit caps the payment): the doubles of
 * dms_discretize_moment_table on that table written out, without writing it. */
void dms_discretize_moment_table_capped(const double *t, size_t uncapped, double capped, size_t n,
                                        double *f);
/* The same, and in that pass the lengths the running sum of the masses
 * (f[0] + f[1] + ..., added in that order) needs to reach each of the
 * ascending levels[0..nlevels-1]: reach[i] is the least k + 1 whose sum up
 * to f[k] is >= levels[i], or n if none is. The very sums a caller summing
 * f again would make, without a second pass over it. */
void dms_discretize_moment_table_reach(const double *t, size_t uncapped, double capped, size_t n,
                                       double *f, const double *levels, size_t nlevels,
                                       size_t *reach);

/*
 * Compound distribution of S = Y1 + ... + YN by Panjer's recursion:
 * severity lattice fy[0..ny-1], result fs[0..n-1] (exact up to index n-1,
 * since the recursion is causal). A large mean is split into 2^k parts so
 * that P(S=0) stays representable, and the part distribution is convolved
 * with itself k times.
 */
int dms_compound_panjer(const dms_frequency *freq, const double *fy, size_t ny, double *fs,
                        size_t n, dms_error *err);

/*
 * The same by FFT: fs = IFFT(pgf(FFT(fy))) on a length-n (power of two)
 * circle with exponential tilting against wrap-around. n must be a power
 * of two; fy must have ny <= n entries.
 */
int dms_compound_fft(const dms_frequency *freq, const double *fy, size_t ny, double *fs, size_t n,
                     dms_error *err);

/*
 * dms_compound_fft keeping the tilted transform of fy in spectrum (n + 2
 * doubles: n / 2 + 1 complex values): with fresh it is computed and kept
 * there; without, it is read from there, as an earlier call made it for the
 * same fy, ny and n, so that frequencies compounded on one severity lattice
 * transform it once. The same doubles either way.
 */
int dms_compound_fft_kept(const dms_frequency *freq, const double *fy, size_t ny, double *spectrum,
                          bool fresh, double *fs, size_t n, dms_error *err);

/*
 * The distribution of the sum of `count` independent copies of f (length
 * n), truncated to length n, by FFT with tilting; result in out (length n,
 * may alias f). count 0 gives the point mass at 0. n must be a power of two
 * and large enough to hold the sum: mass beyond the grid is damped by
 * tilting, not kept.
 */
int dms_lattice_power(const double *f, size_t n, unsigned long count, double *out, dms_error *err);

/* a * b truncated to length n (FFT). out may alias a or b. */
int dms_lattice_convolve(const double *a, const double *b, size_t n, double *out, dms_error *err);

/*
 * A lattice distribution placed at an absolute position: point k of pmf is
 * the value (offset + k) * span. Used for sums of many people, whose mass
 * sits far from zero.
 */
typedef struct dms_placed {
    double span;
    long offset;
    size_t n;
    double *pmf; /* owned */
} dms_placed;

void dms_placed_free(dms_placed *p); /* frees pmf; p itself is the caller's */
double dms_placed_mean(const dms_placed *p);
double dms_placed_variance(const dms_placed *p);
/* Both at once (one pass over pmf), the same doubles as the two above. */
void dms_placed_moments(const dms_placed *p, double *mean, double *variance);
/* Smallest value x = (offset + k) span with F(x) >= p. */
double dms_placed_quantile(const dms_placed *p, double prob);
/* The quantile of the law the lattice stands for when its points took the
 * mass of a smooth law by dms_placed_rebin's linear split (or a sum of many
 * such): the mass of point k lies across (k - 1/2, k + 1/2) spans, so
 * F((k + 1/2) span) is the sum up to k, and between two such knots F is
 * taken linear. Off from the smooth law's quantile by about span^2 |f'/f| / 6
 * (tests/test_lattice.c), where dms_placed_quantile is up to half a span
 * off. INFINITY if the lattice holds too little mass. */
double dms_placed_quantile_smooth(const dms_placed *p, double prob);

/*
 * Moves a distribution onto the lattice of span new_span: each point's mass
 * is split between the two nearest new points in the proportions that keep
 * its mean (local moment matching), adding at most new_span^2 / 4 to the
 * variance. Tails with mass below 1e-15 are trimmed. *out is new.
 */
int dms_placed_rebin(const dms_placed *in, double new_span, dms_placed *out, dms_error *err);

/*
 * dms_placed_rebin to the same layout and, up to round-off (a few units in
 * the last place of each point), the same masses, faster when new_span is
 * at least twice in's span: the points between two new ones are added up
 * as one run (their mass and first moment) instead of one by one.
 */
int dms_placed_coarsen(const dms_placed *in, double new_span, dms_placed *out, dms_error *err);

/* One independent term of a sum: `count` i.i.d. copies of *dist. */
typedef struct dms_sum_term {
    const dms_placed *dist; /* on the sum's span times stride */
    unsigned long count;
    /* The term's span over the sum's (0 or 1: the same span). A term on a
     * coarser lattice whose span is a whole multiple of the sum's is placed
     * on it exactly, without the spread of a rebinning. */
    unsigned long stride;
} dms_sum_term;

/*
 * The distribution of the sum of independent terms on the sum's span (the
 * first term's span over its stride),
 * computed on an FFT circle that covers the whole support when it is short
 * (up to 16384 points, or twice the window), or otherwise a window around
 * the mean: a sum of many people is nearly normal and mass outside the
 * window, folded into it, is negligible. For a sum of 16 terms or more the
 * window is first the narrow mean - 7 sd .. mean + 9 sd, exponentially
 * tilted (mass above it folds in damped by e^-4), kept when its outer
 * sixteenths show a folded mass below 1e-11; else (and for fewer terms)
 * mean - 12 sd .. mean + 16 sd untilted. *out is new (its n is the
 * circle's length).
 */
int dms_lattice_sum(const dms_sum_term *terms, size_t nterms, dms_placed *out, dms_error *err);

/*
 * dms_lattice_sum with an independent normal spread of variance `spread`
 * (in the sum's units squared, >= 0) taken back out in the frequency domain:
 * for terms moved onto their lattices by dms_placed_rebin or
 * dms_placed_coarsen, each of which adds a spread (mean zero, variance the
 * rise of the term's variance) that a sum of many such terms makes nearly
 * normal. The variance of the result is then the terms' own, not the
 * rebinned ones'. Round-off below zero is dropped, as in dms_lattice_sum.
 */
int dms_lattice_sum_sharpened(const dms_sum_term *terms, size_t nterms, double spread,
                              dms_placed *out, dms_error *err);

/* Summaries of a lattice distribution f[0..n-1] on span h. */
double dms_lattice_mass(const double *f, size_t n);
double dms_lattice_mean(const double *f, size_t n, double span);
double dms_lattice_variance(const double *f, size_t n, double span);
/* E[min(S, L)]; L = INFINITY gives the mean of the lattice distribution. */
double dms_lattice_limited_mean(const double *f, size_t n, double span, double limit);
/* P(S > L). */
double dms_lattice_exceed(const double *f, size_t n, double span, double limit);
/* Smallest lattice point x with F(x) >= p; INFINITY if the grid holds too
 * little mass. */
double dms_lattice_quantile(const double *f, size_t n, double span, double p);

/* Smallest power of two >= n. */
size_t dms_next_pow2(size_t n);

#endif
