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
    double annual_limit;       /* L > 0, INFINITY for none: the grid reaches it */
    enum dms_method method;    /* AUTO picks Panjer or FFT by cost */
    enum dms_discretization discretization;
    double span;               /* 0: automatic */
    size_t sims;               /* Monte Carlo sample count, 0: default */
    unsigned long seed;        /* Monte Carlo seed */
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
    /* Monte Carlo result: sorted samples. */
    size_t nsamples;
    double *samples;
} dms_aggdist;

/* Exact E[S] and Var[S] without building a distribution. */
void dms_aggregate_moments(const dms_aggregate_spec *spec, double *mean, double *variance);

/*
 * The span and number of lattice points the automatic rule picks for spec
 * (honouring spec->span when set): points cover E[S] + 12 sd and the annual
 * limit; span is about E[Y | Y > 0] / 128, coarsened if the grid would
 * exceed 2^18 points. Fails for absurd spans (over DMS_LATTICE_MAX_POINTS).
 */
int dms_aggregate_grid(const dms_aggregate_spec *spec, double *span, size_t *points,
                       dms_error *err);

/* Compute the distribution of S. *out is allocated; free with dms_aggdist_free. */
int dms_aggregate_compute(const dms_aggregate_spec *spec, dms_aggdist **out, dms_error *err);
void dms_aggdist_free(dms_aggdist *dist);

const char *dms_method_name(enum dms_method method);
/* "auto", "panjer", "fft", "mc" -> method; false if unknown. */
bool dms_method_from_name(const char *name, enum dms_method *out);

/* Summaries, whatever the method. limit = INFINITY for none. */
double dms_aggdist_limited_mean(const dms_aggdist *dist, double limit);
double dms_aggdist_exceed(const dms_aggdist *dist, double limit);
double dms_aggdist_quantile(const dms_aggdist *dist, double p);
double dms_aggdist_mean(const dms_aggdist *dist);

#endif
