/*
 * The annual cost S of one insured person for one module: from frequency,
 * severity and per-claim terms to a computed distribution, by Panjer's
 * recursion, FFT or seeded Monte Carlo, with the grid (span and extent)
 * chosen automatically for accuracy unless the caller fixes the span.
 *
 * dms_aggregate_compute is the single entry point the CLI, the HTTP API and
 * the group quote use; its result answers E[min(S, L)], P(S > L) and
 * quantiles whatever method produced it.
 */
#ifndef DMS_AGGREGATE_H
#define DMS_AGGREGATE_H

#include <stddef.h>
#include "dms/lattice.h"

enum dms_method { DMS_METHOD_AUTO, DMS_METHOD_PANJER, DMS_METHOD_FFT, DMS_METHOD_MC };

typedef struct dms_aggregate_spec {
    dms_frequency freq;
    dms_severity sev;
    dms_coverage cov;
    double annual_limit;    /* L > 0, INFINITY for none: the grid reaches it */
    enum dms_method method; /* AUTO picks Panjer or FFT by cost */
    enum dms_discretization discretization;
    double span;        /* 0: automatic */
    size_t sims;        /* Monte Carlo sample count, 0: default */
    unsigned long seed; /* Monte Carlo seed */
    /* Only min(S, L) is wanted (group quotes): the grid stops at L. */
    bool cap_at_limit;
    /* Automatic span = E[Y | Y > 0] / span_divisor; 0 means 128. Quotes,
     * which sum many people, use a coarser 32. */
    double span_divisor;
    /* Polled between grid widenings and every few thousand simulations
     * (NULL: never). A true answer abandons the computation with
     * DMS_ETOOBIG: a caller's deadline passed or its client left. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_aggregate_spec;

#define DMS_MC_DEFAULT_SIMS 100000
#define DMS_MC_MAX_SIMS 100000000

/* A spec with the defaults: Poisson(1), lognormal(8, 1), full cover. */
dms_aggregate_spec dms_aggregate_spec_default(void);

int dms_aggregate_spec_validate(const dms_aggregate_spec *spec, dms_error *err);

typedef struct dms_aggdist {
    enum dms_method method; /* the method actually used (never AUTO) */
    double exact_mean;      /* E[S], exact */
    double exact_variance;  /* Var[S], exact */
    /* Lattice result (Panjer, FFT): */
    double span;
    size_t n;
    double *pmf;
    double top;                             /* the lattice answers up to here */
    enum dms_discretization discretization; /* the one used */
    double resolving_span;                  /* the span the accuracy targets refer to */
    /* Coarse tail lattice (moment matching) beyond top, when the point
     * budget does not let the fine one reach far enough; else NULL. */
    double tail_span;
    size_t tail_n;
    double *tail_pmf;
    /* Monte Carlo result: sorted samples. */
    size_t nsamples;
    double *samples;
} dms_aggdist;

/* Exact E[S] and Var[S] without building a distribution. */
void dms_aggregate_moments(const dms_aggregate_spec *spec, double *mean, double *variance);

/*
 * The span and number of lattice points (fine and tail together) the
 * automatic rule picks for spec (honouring spec->span when set). The span
 * resolves the claims: E[Y | Y > 0] / 128 and at most the median non-zero
 * payment / 32. The extent reaches an estimate from above of the 0.995
 * quantile of S and the annual limit (beyond L only P(S > L) matters), and
 * further (the 1 - 1e-4 quantile with a limit, 1 - 1e-9 without) as the
 * budget of 2^18 points allows. When the body fits the budget but the
 * needed extent does not, a coarse tail lattice of 2^18 points (moment
 * matching) carries the tail; when not even the body fits, one coarse
 * lattice is used. A quote (cap_at_limit) plans on the ground-up claim
 * size, stops at L, and discretises by moment matching, so that its
 * expected claims fall with every higher deductible or co-pay and every
 * lower limit. Fails for absurd spans (over DMS_LATTICE_MAX_POINTS).
 */
int dms_aggregate_grid(const dms_aggregate_spec *spec, double *span, size_t *points,
                       dms_error *err);

/* Compute the distribution of S. *out is allocated; free with dms_aggdist_free. */
int dms_aggregate_compute(const dms_aggregate_spec *spec, dms_aggdist **out, dms_error *err);
void dms_aggdist_free(dms_aggdist *dist);

/*
 * E[min(S, L)] of each of n specs into out[i]: for every spec the very
 * double dms_aggregate_compute and dms_aggdist_limited_mean give, with the
 * work the specs have in common done once. Specs that differ only in their
 * frequency and annual limit but get the same grid span (a quote's grid is
 * planned on the ground-up claim, so every rating cell of a severity and a
 * set of terms does) share one payment lattice; identical specs are priced
 * once. For tables of many cells and options (the budget's option table).
 * Faults carry /<i> of the failing spec before its own pointer.
 */
int dms_aggregate_limited_means(const dms_aggregate_spec *specs, size_t n, double *out,
                                dms_error *err);

/*
 * Payment lattices are kept process-wide (bounded, thread-safe), keyed by
 * what they depend on (severity, terms, span, discretisation): a hit gives
 * the very doubles a fresh discretisation would. So are the compounded
 * lattices of a quote's grid, keyed by the lattice in units of the span,
 * the frequency and the method (cells that differ only in the claim size's
 * scale share one). Clear empties both stores (dms_quote_cache_clear does
 * too, so that cold quotes are cold).
 */
void dms_aggregate_cache_clear(void);

const char *dms_method_name(enum dms_method method);
/* "auto", "panjer", "fft", "mc" -> method; false if unknown. */
bool dms_method_from_name(const char *name, enum dms_method *out);

/* Summaries, whatever the method. limit = INFINITY for none.
 * dms_aggdist_limited_mean is E[min(S, L)] (the exact E[S] without a limit,
 * and never above it); dms_aggdist_mean is the mean of the computed
 * distribution (a check on the grid). */
double dms_aggdist_limited_mean(const dms_aggdist *dist, double limit);
double dms_aggdist_exceed(const dms_aggdist *dist, double limit);
double dms_aggdist_quantile(const dms_aggdist *dist, double p);
double dms_aggdist_mean(const dms_aggdist *dist);

/*
 * What a quote keeps of one module: *limited_mean = E[min(S, L)] as
 * dms_aggdist_limited_mean gives it; *out the distribution of min(S, L) on
 * the lattice up to L (points 0..keep+1, keep the points below L), the mass
 * at or over L - and what the grid truncated - split between the two points
 * around L so that its mean stays exact; *variance its variance as
 * dms_placed_moments gives it. The same doubles as those calls, in one
 * pass over the lattice instead of four. out->pmf is new (dms_placed_free).
 */
int dms_aggdist_capped(const dms_aggdist *dist, double limit, double *limited_mean, dms_placed *out,
                       double *variance, dms_error *err);

/*
 * dms_aggregate_compute, then dms_aggdist_capped at spec->annual_limit: the
 * same doubles, for a quote's module, without the distribution itself
 * (which a kept compounding then need not be copied into). out->pmf is new.
 */
int dms_aggregate_compute_capped(const dms_aggregate_spec *spec, double *limited_mean,
                                 dms_placed *out, double *variance, dms_error *err);

#define DMS_AGGREGATE_ACCURACY_LEVELS 8

/* Estimated errors of the summaries of a lattice result. */
typedef struct dms_aggregate_accuracy {
    bool estimated;                                 /* some estimate misses its target */
    double limited_mean;                            /* relative error of E[min(S, L)] */
    double exceed;                                  /* absolute error of P(S > L) */
    double quantile[DMS_AGGREGATE_ACCURACY_LEVELS]; /* relative, per level */
} dms_aggregate_accuracy;

/*
 * Estimates the errors of the summaries at limit and the quantile levels
 * (at most DMS_AGGREGATE_ACCURACY_LEVELS), and returns true when one of
 * them misses the automatic grid's targets: E[min(S, L)] within 0.5%,
 * P(S > L) within 1% or 1e-4, quantiles within 1% or two resolving spans.
 * A lattice at the resolving span meets them (tested); coarser spans,
 * forced by the point budget, are estimated at half a span per outcome.
 * Monte Carlo results return false (their error is statistical).
 */
bool dms_aggdist_accuracy(const dms_aggdist *dist, double limit, const double *levels,
                          size_t nlevels, dms_aggregate_accuracy *out);

#endif
