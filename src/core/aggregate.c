/*
 * The annual cost of one person for one module, end to end: exact moments,
 * the automatic grid, the choice of method and the three independent ways
 * to the distribution (Panjer's recursion, FFT, seeded Monte Carlo). Every
 * caller (CLI, HTTP, group quote) goes through dms_aggregate_compute so that
 * they agree to the last digit for the same spec.
 */
#include "dms/aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* The grid reaches E[S] + GRID_SD sd(S) (and the annual limit). */
#define GRID_SD 12.0
/* Default span: typical non-zero payment / SPAN_DIVISOR. */
#define SPAN_DIVISOR 128.0
/* The automatic span is coarsened past this many points. */
#define AUTO_POINTS_MAX ((size_t)1 << 18)
/* One FFT point-level costs about as much as this many Panjer terms. */
#define FFT_COST_FACTOR 4.0
/* The grid widens until the tail it truncates moves the mean by less than
 * this share, at most GRID_WIDENINGS_MAX times (each doubles the reach). */
#define TRUNCATION_MEAN_SHARE 1e-5
#define GRID_WIDENINGS_MAX 6
/* Severity lattice is cut where less than this mass remains. */
#define SEVERITY_TAIL_CUT 1e-16

dms_aggregate_spec dms_aggregate_spec_default(void)
{
    return (dms_aggregate_spec){
        .freq = {.kind = DMS_FREQ_POISSON, .mean = 1.0, .size = 1.0},
        .sev = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 1.0},
        .cov = dms_coverage_full(),
        .annual_limit = INFINITY,
        .method = DMS_METHOD_AUTO,
        .discretization = DMS_DISC_ROUNDING,
        .span = 0.0,
        .sims = 0,
        .seed = 1,
    };
}

int dms_aggregate_spec_validate(const dms_aggregate_spec *spec, dms_error *err)
{
    int status;
    if ((status = dms_frequency_validate(&spec->freq, err)) != DMS_OK ||
        (status = dms_severity_validate(&spec->sev, err)) != DMS_OK ||
        (status = dms_coverage_validate(&spec->cov, err)) != DMS_OK)
        return status;
    if (isnan(spec->annual_limit) || spec->annual_limit <= 0)
        return dms_error_set(err, DMS_EINVAL, "/annual_limit",
                             "annual limit must be a positive number of roubles, got %g",
                             spec->annual_limit);
    if (spec->method < DMS_METHOD_AUTO || spec->method > DMS_METHOD_MC)
        return dms_error_set(err, DMS_EINVAL, "/method", "method must be auto, panjer, fft or mc");
    if (spec->discretization != DMS_DISC_ROUNDING && spec->discretization != DMS_DISC_MOMENT)
        return dms_error_set(err, DMS_EINVAL, "/discretization",
                             "discretization must be rounding or moment");
    if (isnan(spec->span) || spec->span < 0 || isinf(spec->span))
        return dms_error_set(err, DMS_EINVAL, "/span",
                             "span must be a positive number of roubles (or 0 for automatic), got %g",
                             spec->span);
    if (!(spec->span_divisor >= 0 && spec->span_divisor <= 1e4))
        return dms_error_set(err, DMS_EINVAL, "/span_divisor",
                             "span divisor must be in [0, 10000], got %g", spec->span_divisor);
    if (spec->sims > DMS_MC_MAX_SIMS)
        return dms_error_set(err, DMS_EINVAL, "/sims", "sims must be at most %d, got %zu",
                             DMS_MC_MAX_SIMS, spec->sims);
    return DMS_OK;
}

void dms_aggregate_moments(const dms_aggregate_spec *spec, double *mean, double *variance)
{
    double m1, m2;
    dms_payment_moments(&spec->sev, &spec->cov, &m1, &m2);
    double lambda = spec->freq.mean;
    if (mean != NULL)
        *mean = lambda * m1;
    if (variance != NULL)
        /* Var S = E[N] Var Y + Var N E[Y]^2. */
        *variance = lambda * (m2 - m1 * m1) + dms_frequency_variance(&spec->freq) * m1 * m1;
}

/*
 * Heavy tails put part of E[S] in single large claims far beyond
 * E[S] + 12 sd; since P(S > x) is about lambda P(Y > x) there, reach the
 * payment t whose tail E[Y; Y > t] is below TRUNCATION_MEAN_SHARE of E[Y].
 * Closed forms only, so this costs microseconds and spares recomputing the
 * distribution on a widened grid.
 */
static double single_claim_reach(const dms_aggregate_spec *spec, double m1, double start)
{
    double cap = dms_coverage_max_payment(&spec->cov);
    double t = start > 0 ? start : 1.0;
    for (int i = 0; i < 60 && t < cap; i++, t *= 2) {
        double above = 1.0 - dms_payment_cdf(&spec->sev, &spec->cov, t);
        double tail = m1 - dms_payment_limited_mean(&spec->sev, &spec->cov, t) + t * above;
        if (tail <= TRUNCATION_MEAN_SHARE * 0.1 * m1)
            break;
    }
    return fmin(t, cap);
}

/*
 * The grid for spec, reaching `reach` times the usual extent. Low-frequency,
 * high-severity modules (hospital) need more than E[S] + 12 sd: their mean
 * sits partly in the rare second and third claims, so compute_lattice
 * widens the reach until the truncated tail no longer moves the mean.
 */
static int grid_with_reach(const dms_aggregate_spec *spec, double reach, double *span,
                           size_t *points, dms_error *err)
{
    double mean, variance, m1;
    dms_aggregate_moments(spec, &mean, &variance);
    dms_payment_moments(&spec->sev, &spec->cov, &m1, NULL);
    double paid_share = dms_severity_sf(&spec->sev, spec->cov.deductible);
    double typical = paid_share > 0 ? m1 / paid_share : 0.0;
    double top = reach * fmax(mean + GRID_SD * sqrt(fmax(variance, 0.0)),
                              single_claim_reach(spec, m1, mean + GRID_SD * sqrt(variance)));
    if (isfinite(spec->annual_limit) && spec->annual_limit > top && !spec->cap_at_limit)
        top = fmin(spec->annual_limit, 4 * top);
    if (spec->cap_at_limit && spec->annual_limit < top)
        top = spec->annual_limit; /* min(S, L) needs nothing beyond L */
    if (!(mean > 0) || !(typical > 0)) {
        /* Nothing is ever paid: S = 0. */
        *span = spec->span > 0 ? spec->span : 1.0;
        *points = 2;
        return DMS_OK;
    }
    if (!isfinite(top))
        return dms_error_set(err, DMS_ENUMERIC, NULL, "the variance of S is not finite");
    double h = spec->span;
    if (h > 0) {
        if (h > top / 2)
            return dms_error_set(err, DMS_EINVAL, "/span",
                                 "span %g is coarser than half the range of S (%.6g); use at "
                                 "most %.6g",
                                 h, top, top / 2);
        double need = ceil(top / h) + 1;
        if (need > (double)DMS_LATTICE_MAX_POINTS)
            return dms_error_set(err, DMS_EINVAL, "/span",
                                 "span %g needs %.0f grid points (at most %zu); use at least %.6g",
                                 h, need, DMS_LATTICE_MAX_POINTS,
                                 top / (double)(DMS_LATTICE_MAX_POINTS - 1));
        *span = h;
        *points = (size_t)need;
        return DMS_OK;
    }
    h = typical / (spec->span_divisor > 0 ? spec->span_divisor : SPAN_DIVISOR);
    if (top / h + 1 > (double)AUTO_POINTS_MAX)
        h = top / (double)(AUTO_POINTS_MAX - 1);
    *span = h;
    *points = (size_t)ceil(top / h) + 1;
    return DMS_OK;
}

int dms_aggregate_grid(const dms_aggregate_spec *spec, double *span, size_t *points,
                       dms_error *err)
{
    return grid_with_reach(spec, 1.0, span, points, err);
}

const char *dms_method_name(enum dms_method method)
{
    switch (method) {
    case DMS_METHOD_PANJER:
        return "panjer";
    case DMS_METHOD_FFT:
        return "fft";
    case DMS_METHOD_MC:
        return "mc";
    case DMS_METHOD_AUTO:
        break;
    }
    return "auto";
}

bool dms_method_from_name(const char *name, enum dms_method *out)
{
    static const enum dms_method all[] = {DMS_METHOD_AUTO, DMS_METHOD_PANJER, DMS_METHOD_FFT,
                                          DMS_METHOD_MC};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, dms_method_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

void dms_aggdist_free(dms_aggdist *dist)
{
    if (dist == NULL)
        return;
    free(dist->pmf);
    free(dist->samples);
    free(dist);
}

/* Length of the severity lattice worth keeping: past it < 1e-16 remains. */
static size_t severity_length(const double *fy, size_t n)
{
    double cumulative = 0.0;
    for (size_t k = 0; k < n; k++) {
        cumulative += fy[k];
        if (cumulative >= 1.0 - SEVERITY_TAIL_CUT)
            return k + 1;
    }
    return n;
}

/* One pass of discretisation and compounding on a given grid. */
static int compute_on_grid(const dms_aggregate_spec *spec, size_t points, dms_aggdist *dist,
                           dms_error *err)
{
    size_t fft_n = dms_next_pow2(points < 2 ? 2 : points);
    double *fy = malloc(fft_n * sizeof *fy);
    if (fy == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", fft_n);
    int status = dms_discretize_payment(&spec->sev, &spec->cov, dist->span, spec->discretization,
                                        fy, points, err);
    if (status != DMS_OK)
        goto out_fy;
    size_t ny = severity_length(fy, points);
    enum dms_method method = spec->method;
    if (method == DMS_METHOD_AUTO) {
        /* Panjer costs points x ny multiply-adds, FFT about FFT_COST_FACTOR
         * n log2 n; measured by make bench on this code. */
        double panjer_work = (double)points * (double)ny;
        double fft_work = FFT_COST_FACTOR * (double)fft_n * log2((double)fft_n);
        method = panjer_work <= fft_work ? DMS_METHOD_PANJER : DMS_METHOD_FFT;
    }
    dist->method = method;
    dist->n = method == DMS_METHOD_FFT ? fft_n : points;
    free(dist->pmf);
    dist->pmf = malloc(dist->n * sizeof *dist->pmf);
    if (dist->pmf == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", dist->n);
        goto out_fy;
    }
    if (method == DMS_METHOD_FFT)
        status = dms_compound_fft(&spec->freq, fy, ny, dist->pmf, dist->n, err);
    else
        status = dms_compound_panjer(&spec->freq, fy, ny, dist->pmf, dist->n, err);
out_fy:
    free(fy);
    return status;
}

/* The caller's cancel hook (aggregate.h); the error every long loop returns. */
static bool cancelled(const dms_aggregate_spec *spec, dms_error *err)
{
    if (spec->cancelled == NULL || !spec->cancelled(spec->cancel_ctx))
        return false;
    dms_error_set(err, DMS_ETOOBIG, NULL, "the computation was cancelled");
    return true;
}

static int compute_lattice(const dms_aggregate_spec *spec, dms_aggdist *dist, dms_error *err)
{
    for (int widening = 0;; widening++) {
        if (cancelled(spec, err))
            return DMS_ETOOBIG;
        size_t points;
        double span;
        dms_error too_wide;
        dms_error_clear(&too_wide);
        int status = grid_with_reach(spec, ldexp(1.0, widening), &span, &points,
                                     widening == 0 ? err : &too_wide);
        if (status != DMS_OK)
            return widening == 0 ? status : DMS_OK; /* keep the last grid that fitted */
        dist->span = span;
        if ((status = compute_on_grid(spec, points, dist, err)) != DMS_OK)
            return status;
        /* The truncated mass lies beyond the grid; it moves the mean by at
         * least mass x extent. */
        double missing = 1.0 - dms_lattice_mass(dist->pmf, dist->n);
        double extent = dist->span * (double)dist->n;
        bool reached_limit = spec->cap_at_limit && extent >= spec->annual_limit;
        if (reached_limit || missing * extent <= TRUNCATION_MEAN_SHARE * dist->exact_mean ||
            widening == GRID_WIDENINGS_MAX || points >= AUTO_POINTS_MAX)
            return DMS_OK;
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double draw_payment(const dms_aggregate_spec *spec, gsl_rng *rng)
{
    const dms_severity *sev = &spec->sev;
    const dms_coverage *cov = &spec->cov;
    double x = sev->kind == DMS_SEV_GAMMA ? gsl_ran_gamma(rng, sev->shape, sev->scale)
                                          : gsl_ran_lognormal(rng, sev->meanlog, sev->sdlog);
    double covered;
    if (cov->franchise)
        covered = x > cov->deductible ? fmin(x, cov->claim_limit) : 0.0;
    else
        covered = fmax(fmin(x, cov->claim_limit) - cov->deductible, 0.0);
    return (1.0 - cov->copay) * covered;
}

static int compute_monte_carlo(const dms_aggregate_spec *spec, dms_aggdist *dist, dms_error *err)
{
    size_t sims = spec->sims ? spec->sims : DMS_MC_DEFAULT_SIMS;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    dist->samples = malloc(sims * sizeof *dist->samples);
    if (rng == NULL || dist->samples == NULL) {
        gsl_rng_free(rng);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu simulations", sims);
    }
    gsl_rng_set(rng, spec->seed);
    const dms_frequency *freq = &spec->freq;
    double nb_p = freq->kind == DMS_FREQ_NEGBIN ? freq->size / (freq->size + freq->mean) : 0.0;
    for (size_t i = 0; i < sims; i++) {
        if (i % 4096 == 0 && cancelled(spec, err)) {
            gsl_rng_free(rng);
            return DMS_ETOOBIG;
        }
        unsigned claims = freq->kind == DMS_FREQ_NEGBIN
                              ? gsl_ran_negative_binomial(rng, nb_p, freq->size)
                              : gsl_ran_poisson(rng, freq->mean);
        double total = 0.0;
        for (unsigned c = 0; c < claims; c++)
            total += draw_payment(spec, rng);
        dist->samples[i] = total;
    }
    gsl_rng_free(rng);
    qsort(dist->samples, sims, sizeof *dist->samples, compare_double);
    dist->nsamples = sims;
    dist->method = DMS_METHOD_MC;
    return DMS_OK;
}

int dms_aggregate_compute(const dms_aggregate_spec *spec, dms_aggdist **out, dms_error *err)
{
    *out = NULL;
    int status = dms_aggregate_spec_validate(spec, err);
    if (status != DMS_OK)
        return status;
    dms_aggdist *dist = calloc(1, sizeof *dist);
    if (dist == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    dms_aggregate_moments(spec, &dist->exact_mean, &dist->exact_variance);
    if (spec->method == DMS_METHOD_MC)
        status = compute_monte_carlo(spec, dist, err);
    else
        status = compute_lattice(spec, dist, err);
    if (status != DMS_OK) {
        dms_aggdist_free(dist);
        return status;
    }
    *out = dist;
    return DMS_OK;
}

double dms_aggdist_limited_mean(const dms_aggdist *dist, double limit)
{
    if (dist->method != DMS_METHOD_MC)
        return dms_lattice_limited_mean(dist->pmf, dist->n, dist->span, limit);
    double total = 0.0;
    for (size_t i = 0; i < dist->nsamples; i++)
        total += fmin(dist->samples[i], limit);
    return total / (double)dist->nsamples;
}

double dms_aggdist_mean(const dms_aggdist *dist)
{
    return dms_aggdist_limited_mean(dist, INFINITY);
}

double dms_aggdist_exceed(const dms_aggdist *dist, double limit)
{
    if (dist->method != DMS_METHOD_MC)
        return dms_lattice_exceed(dist->pmf, dist->n, dist->span, limit);
    if (isinf(limit))
        return 0.0;
    size_t above = 0;
    for (size_t i = 0; i < dist->nsamples; i++)
        above += dist->samples[i] > limit;
    return (double)above / (double)dist->nsamples;
}

double dms_aggdist_quantile(const dms_aggdist *dist, double p)
{
    if (dist->method != DMS_METHOD_MC)
        return dms_lattice_quantile(dist->pmf, dist->n, dist->span, p);
    /* Empirical quantile: the smallest sample x with F_n(x) >= p. */
    double rank = ceil(p * (double)dist->nsamples);
    size_t index = rank < 1 ? 0 : (size_t)rank - 1;
    if (index >= dist->nsamples)
        index = dist->nsamples - 1;
    return dist->samples[index];
}
