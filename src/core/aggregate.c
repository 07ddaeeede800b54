/*
 * The annual cost of one person for one module, end to end: exact moments,
 * the automatic grid, the choice of method and the three independent ways
 * to the distribution (Panjer's recursion, FFT, seeded Monte Carlo). Every
 * caller (CLI, HTTP, group quote) goes through dms_aggregate_compute so that
 * they agree to the last digit for the same spec.
 *
 * The automatic grid is chosen from quantiles, not from the mean and sd
 * alone (which heavy tails make useless): the span resolves the body of
 * the claims (mean and median non-zero payment), the extent reaches an
 * estimated upper quantile of S (or the annual limit, beyond which only
 * P(S > L) matters). When both do not fit in the point budget a second,
 * coarse lattice (local moment matching) carries the far tail, or the one
 * lattice is coarsened; either way the result knows the spans it used and
 * estimates its error (dms_aggdist_accuracy) instead of falling short
 * silently.
 */
#include "dms/aggregate.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* Default span: typical non-zero payment / SPAN_DIVISOR... */
#define SPAN_DIVISOR 128.0
/* ...and at most the median non-zero payment / (divisor / MEDIAN_SHARE):
 * for heavy tails the mean payment sits far above most claims, and a span
 * from the mean alone would not resolve the body of the distribution. */
#define MEDIAN_SHARE 4.0
/* Most points the automatic grid uses for one lattice. */
#define AUTO_POINTS_MAX ((size_t)1 << 18)
/* The coarse tail lattice: it answers only beyond the fine one, where a
 * span of 1/65536 of its reach is far inside the quantile targets. */
#define TAIL_POINTS ((size_t)1 << 16)
/* Reaching beyond what is needed costs at most this many times the points. */
#define WANTED_FACTOR 4.0
/* One FFT point-level costs about as much as this many Panjer terms. */
#define FFT_COST_FACTOR 4.0
/* Tail probabilities the grid must reach: the reported quantiles (at most
 * the 0.99 one) need F(top) >= 1 - REACH_NEEDED; the grid goes on to
 * 1 - REACH_WANTED without a limit (1 - REACH_WITH_LIMIT with one) where
 * the point budget allows. A quote stops at min(L, its 1 - REACH_QUOTE
 * quantile): the mass beyond counts as paying L (and is placed at L for
 * the group distribution), which moves E[min(S, L)] by at most 1e-6 L. */
#define REACH_NEEDED 5e-3
#define REACH_WANTED 1e-9
#define REACH_WITH_LIMIT 1e-4
#define REACH_QUOTE 1e-6
/* Allowance for the skewness of the body of S beyond its normal quantile. */
#define SKEW_ALLOWANCE 1.5
/* Severity lattice is cut where less than this mass remains. */
#define SEVERITY_TAIL_CUT 1e-16
/* ...and no length it could be given is shorter than where less than this
 * remains (the masses' last bits move the cut by at most that much). */
#define SEVERITY_SETTLED_CUT 1e-13
/* Accuracy targets of the automatic grid (README, "How the numbers are
 * computed"): beyond them the result carries an accuracy estimate. */
#define TARGET_LIMITED_MEAN 0.005
#define TARGET_EXCEED_REL 0.01
#define TARGET_EXCEED_ABS 1e-4
#define TARGET_QUANTILE_REL 0.01
#define TARGET_QUANTILE_SPANS 2.0

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
    dms_error_clear(err);
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
        return dms_error_set(
            err, DMS_EINVAL, "/span",
            "span must be a positive number of roubles (or 0 for automatic), got %g", spec->span);
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

/* P(X > x) = q: upper quantile of the claim size, accurate for tiny q. */
static double severity_upper_quantile(const dms_severity *sev, double q)
{
    if (q >= 1)
        return 0.0;
    if (q < 1e-300)
        q = 1e-300;
    if (sev->kind == DMS_SEV_GAMMA)
        return gsl_cdf_gamma_Qinv(q, sev->shape, sev->scale);
    return exp(sev->meanlog + sev->sdlog * gsl_cdf_ugaussian_Qinv(q));
}

/* The payment for a claim of size x: a non-decreasing function of x. */
static double payment_of_loss(const dms_coverage *cov, double x)
{
    double covered = cov->franchise ? (x > cov->deductible ? fmin(x, cov->claim_limit) : 0.0)
                                    : fmax(fmin(x, cov->claim_limit) - cov->deductible, 0.0);
    return (1.0 - cov->copay) * covered;
}

/* E[min(Y, t)] and E[min(Y, t)^2], exact: capping the payment at t is a
 * per-claim limit on the loss. */
static void capped_payment_moments(const dms_severity *sev, const dms_coverage *cov, double t,
                                   double *m1, double *m2)
{
    double share = 1.0 - cov->copay;
    if (cov->franchise && t <= share * cov->deductible) {
        /* Every paid claim is worth more than t. */
        double paid = dms_severity_sf(sev, cov->deductible);
        *m1 = t * paid;
        *m2 = t * t * paid;
        return;
    }
    dms_coverage capped = *cov;
    double loss = cov->franchise ? t / share : cov->deductible + t / share;
    if (loss < capped.claim_limit)
        capped.claim_limit = loss;
    dms_payment_moments(sev, &capped, m1, m2);
}

/*
 * An estimate from above of the upper quantile q_S(1 - eps), by closed forms
 * only: with t the payment exceeded with probability eps / E[N], the claims
 * capped at t form a body whose mean and sd are exact, and one claim may
 * exceed t (the single big jump of heavy tails). The estimate is the body's
 * mean + SKEW_ALLOWANCE x z(eps) sd, plus t.
 */
static double reach_estimate(const dms_frequency *freq, const dms_severity *sev,
                             const dms_coverage *cov, double eps)
{
    double en = freq->mean;
    if (!(en > 0))
        return 0.0;
    double t = en > eps ? payment_of_loss(cov, severity_upper_quantile(sev, eps / en)) : 0.0;
    if (!isfinite(t))
        t = dms_coverage_max_payment(cov);
    double m1, m2;
    capped_payment_moments(sev, cov, t, &m1, &m2);
    double var_n = dms_frequency_variance(freq);
    double var = en * (m2 - m1 * m1) + var_n * m1 * m1;
    double z = eps < 0.5 ? gsl_cdf_ugaussian_Qinv(eps) : 0.0;
    return en * m1 + SKEW_ALLOWANCE * z * sqrt(fmax(var, 0.0)) + t;
}

/* The span that resolves the claims: E[Y | Y > 0] / divisor and the median
 * of Y | Y > 0 / (divisor / MEDIAN_SHARE), the smaller; 0 if nothing is
 * ever paid. */
static double resolving_span(const dms_severity *sev, const dms_coverage *cov, double divisor)
{
    double m1;
    dms_payment_moments(sev, cov, &m1, NULL);
    double paid_share = dms_severity_sf(sev, cov->deductible);
    if (!(m1 > 0) || !(paid_share > 0))
        return 0.0;
    double typical = m1 / paid_share;
    double median = payment_of_loss(cov, severity_upper_quantile(sev, 0.5 * paid_share));
    double h = typical / divisor;
    if (median > 0 && median * MEDIAN_SHARE / divisor < h)
        h = median * MEDIAN_SHARE / divisor;
    return h;
}

/* The lattices one computation uses. */
typedef struct grid_plan {
    double span;
    size_t points;
    enum dms_discretization discretization;
    double tail_span; /* 0: no coarse tail lattice */
    size_t tail_points;
    double resolving_span; /* what the accuracy targets refer to */
} grid_plan;

static int plan_explicit(const dms_aggregate_spec *spec, double top, grid_plan *plan,
                         dms_error *err)
{
    double h = spec->span;
    if (h > top / 2)
        return dms_error_set(err, DMS_EINVAL, "/span",
                             "span %g is coarser than half the range of S (%.6g); use at most %.6g",
                             h, top, top / 2);
    double need = ceil(top / h) + 1;
    if (need > (double)DMS_LATTICE_MAX_POINTS)
        return dms_error_set(err, DMS_EINVAL, "/span",
                             "span %g needs %.0f grid points (at most %zu); use at least %.6g", h,
                             need, DMS_LATTICE_MAX_POINTS,
                             top / (double)(DMS_LATTICE_MAX_POINTS - 1));
    plan->span = h;
    plan->points = (size_t)need;
    plan->resolving_span = h;
    return DMS_OK;
}

/*
 * The automatic grid. need_min must be covered (the quantiles the report
 * shows, and the annual limit), need_wanted is covered if the budget
 * allows. A quote (cap_at_limit) plans on the ground-up claim size, so that
 * its grid does not move with the deductible, co-pay or per-claim limit
 * and the expected claims are monotone in every term by construction, and
 * discretises by local moment matching, which keeps that order.
 */
static int plan_grid_of(const dms_aggregate_spec *spec, double mean, grid_plan *plan,
                        dms_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->discretization = spec->discretization;
    double L = spec->annual_limit;
    const dms_coverage full = dms_coverage_full();
    const dms_coverage *basis = spec->cap_at_limit ? &full : &spec->cov;
    double divisor = spec->span_divisor > 0 ? spec->span_divisor : SPAN_DIVISOR;
    double h = resolving_span(&spec->sev, basis, divisor);
    if (!(mean > 0) || !(h > 0)) {
        /* Nothing is ever paid: S = 0. */
        plan->span = spec->span > 0 ? spec->span : 1.0;
        plan->points = 2;
        plan->resolving_span = plan->span;
        return DMS_OK;
    }
    double need_min, need_wanted;
    if (spec->cap_at_limit) {
        plan->discretization = DMS_DISC_MOMENT;
        need_min = need_wanted =
            fmin(L, reach_estimate(&spec->freq, &spec->sev, basis, REACH_QUOTE));
    } else if (isfinite(L)) {
        need_min = fmax(L, reach_estimate(&spec->freq, &spec->sev, basis, REACH_NEEDED));
        need_wanted = fmax(L, reach_estimate(&spec->freq, &spec->sev, basis, REACH_WITH_LIMIT));
    } else {
        need_min = reach_estimate(&spec->freq, &spec->sev, basis, REACH_NEEDED);
        need_wanted = reach_estimate(&spec->freq, &spec->sev, basis, REACH_WANTED);
    }
    need_wanted = fmax(need_wanted, need_min);
    if (!isfinite(need_wanted))
        return dms_error_set(err, DMS_ENUMERIC, NULL, "the range of S is not finite");
    need_min = fmax(need_min, 2 * h);
    need_wanted = fmax(need_wanted, need_min);
    if (spec->span > 0)
        return plan_explicit(spec, need_wanted, plan, err);
    plan->resolving_span = h;
    double budget = (double)(AUTO_POINTS_MAX - 1) * h;
    if (need_min <= budget) {
        /* The common case: one lattice at the resolving span, reaching on
         * towards need_wanted while that costs at most WANTED_FACTOR times
         * the points needed (light tails get there; heavy ones need not). */
        double top = fmin(fmin(need_wanted, WANTED_FACTOR * need_min), budget);
        plan->span = h;
        plan->points = (size_t)ceil(top / h) + 1;
        return DMS_OK;
    }
    /* Coarse lattices reach what must be covered, not more: every extra
     * point there would widen their span. */
    double coarse = need_min / (double)(AUTO_POINTS_MAX - 1);
    double body = reach_estimate(&spec->freq, &spec->sev, basis, 0.5);
    if (!spec->cap_at_limit && budget >= 2 * body) {
        /* The body fits at the resolving span but the tail (or the limit)
         * does not: a coarse lattice for the tail beside the fine one. */
        plan->span = h;
        plan->points = AUTO_POINTS_MAX;
        plan->tail_span = need_min / (double)(TAIL_POINTS - 1);
        plan->tail_points = TAIL_POINTS;
        return DMS_OK;
    }
    /* Even the body does not fit (hundreds of thousands of claims): one
     * coarse lattice; moment matching keeps E[Y] where rounding claims
     * much smaller than the span would bias it. */
    plan->span = coarse;
    plan->points = AUTO_POINTS_MAX;
    plan->discretization = DMS_DISC_MOMENT;
    return DMS_OK;
}

/* plan_grid_of with spec's E[S] computed here. */
static int plan_grid(const dms_aggregate_spec *spec, grid_plan *plan, dms_error *err)
{
    double mean;
    dms_aggregate_moments(spec, &mean, NULL);
    return plan_grid_of(spec, mean, plan, err);
}

int dms_aggregate_grid(const dms_aggregate_spec *spec, double *span, size_t *points, dms_error *err)
{
    dms_error_clear(err);
    grid_plan plan;
    int status = plan_grid(spec, &plan, err);
    if (status != DMS_OK)
        return status;
    *span = plan.span;
    *points = plan.points + plan.tail_points;
    return DMS_OK;
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
    free(dist->tail_pmf);
    free(dist->samples);
    free(dist);
}

/*
 * Where the running sum of a severity lattice fy[0..n-1] first reaches
 * 1 - SEVERITY_SETTLED_CUT (settled: the shortest length the lattice could
 * be given, see method_is_settled) and 1 - SEVERITY_TAIL_CUT (tail: the
 * length worth keeping, past it < 1e-16 remains); n where it does not. The
 * sums of a prefix do not depend on n, so the first m <= n points reach
 * them at min(length, m) (reach_within): a lattice shared by many specs is
 * walked once, not once per spec.
 */
typedef struct lattice_reach {
    size_t settled, tail;
} lattice_reach;

static lattice_reach reach_of(const double *fy, size_t n)
{
    lattice_reach r = {n, n};
    double cumulative = 0.0;
    for (size_t k = 0; k < n; k++) {
        cumulative += fy[k];
        if (r.settled == n && cumulative >= 1.0 - SEVERITY_SETTLED_CUT)
            r.settled = k + 1;
        if (cumulative >= 1.0 - SEVERITY_TAIL_CUT) {
            r.tail = k + 1;
            break;
        }
    }
    return r;
}

/* The lengths of reach_of(fy, m) from r = reach_of(fy, n), m <= n. */
static lattice_reach reach_within(lattice_reach r, size_t m)
{
    return (lattice_reach){r.settled < m ? r.settled : m, r.tail < m ? r.tail : m};
}

/*
 * Shared payment tables. A quote's grid is planned on the ground-up claim:
 * its span is E[X] / divisor or a share of the median, both proportional to
 * the severity's scale (e^meanlog, the gamma scale). Without a deductible
 * the payment's limited expected values in units of the span,
 * t[j] = E[min(Y, j h)] / h, then depend only on the family, its shape
 * (sdlog, gamma shape), the co-pay and the divisor, up to where the
 * per-claim limit caps Y. The rating cells of a quote, which differ in age,
 * sex, region, network, trend and scenario, so share one table of
 * special-function values (computed at scale 1) instead of each evaluating
 * its own: that was half the time of a cold quote. A table's values depend
 * only on its key and index, never on who asked first, so results do not
 * depend on the order of requests. Tables are bounded (SHARED_KEYS of at
 * most SHARED_POINTS points); when all slots are taken they are emptied.
 */
#define SHARED_KEYS 64
#define SHARED_POINTS ((size_t)1 << 16)
#define SHARED_KEY_LEN 4

typedef struct shared_table {
    double key[SHARED_KEY_LEN]; /* family, shape, co-pay, divisor */
    size_t n;                   /* 0: free slot */
    double *t;
} shared_table;

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_table shared_tables[SHARED_KEYS];

/* The severity at scale 1 with spec's shape, and the table's key. */
static dms_severity unit_severity(const dms_severity *sev, double copay, double divisor,
                                  double *key)
{
    dms_severity unit = *sev;
    if (sev->kind == DMS_SEV_GAMMA)
        unit.scale = 1.0;
    else
        unit.meanlog = 0.0;
    key[0] = (double)sev->kind;
    key[1] = sev->kind == DMS_SEV_GAMMA ? sev->shape : sev->sdlog;
    key[2] = copay;
    key[3] = divisor;
    return unit;
}

/* t[0..n-1] at scale 1 (new), or NULL without memory. */
static double *unit_table(const dms_severity *unit, double copay, double divisor, size_t n)
{
    double *t = malloc(n * sizeof *t);
    if (t == NULL)
        return NULL;
    dms_coverage cov = dms_coverage_full();
    cov.copay = copay;
    const dms_coverage full = dms_coverage_full();
    double g = resolving_span(unit, &full, divisor);
    /* GSL's special functions: the tables' bits are those quotes were
     * priced with (a table is made once per process). */
    dms_payment_limited_mean_grid_gsl(unit, &cov, g, 0, n, t);
    for (size_t j = 0; j < n; j++)
        t[j] /= g;
    return t;
}

/* The lattice fy[0..points-1] from the first n values of the table for
 * key, the limited means from n on being capped, and the lengths its
 * running sum needs to reach levels (dms_discretize_moment_table_reach,
 * read in place under the lock); false when the table cannot be had (too
 * long, no memory). */
static bool shared_table_discretize(const dms_severity *unit, const double *key, size_t n,
                                    double capped, size_t points, double *fy, const double *levels,
                                    size_t nlevels, size_t *reach)
{
    if (n > SHARED_POINTS)
        return false;
    for (;;) {
        size_t have = 0;
        pthread_mutex_lock(&shared_lock);
        shared_table *slot = NULL;
        for (size_t i = 0; i < SHARED_KEYS && slot == NULL; i++)
            if (shared_tables[i].n > 0 &&
                memcmp(shared_tables[i].key, key, sizeof shared_tables[i].key) == 0)
                slot = &shared_tables[i];
        if (slot != NULL && slot->n >= n) {
            dms_discretize_moment_table_reach(slot->t, n, capped, points, fy, levels, nlevels,
                                              reach);
            pthread_mutex_unlock(&shared_lock);
            return true;
        }
        if (slot != NULL)
            have = slot->n;
        pthread_mutex_unlock(&shared_lock);
        /* Build (or lengthen) the table outside the lock: at least double
         * the old length, so that a table grows a few times at most. */
        size_t len = n > 2 * have ? n : 2 * have;
        if (len < 4096)
            len = 4096;
        if (len > SHARED_POINTS)
            len = SHARED_POINTS;
        double *t = unit_table(unit, key[2], key[3], len);
        if (t == NULL)
            return false;
        pthread_mutex_lock(&shared_lock);
        slot = NULL;
        shared_table *free_slot = NULL;
        for (size_t i = 0; i < SHARED_KEYS && slot == NULL; i++) {
            if (shared_tables[i].n > 0 &&
                memcmp(shared_tables[i].key, key, sizeof shared_tables[i].key) == 0)
                slot = &shared_tables[i];
            else if (shared_tables[i].n == 0 && free_slot == NULL)
                free_slot = &shared_tables[i];
        }
        if (slot == NULL && free_slot == NULL) {
            /* Every slot taken: start again. */
            for (size_t i = 0; i < SHARED_KEYS; i++) {
                free(shared_tables[i].t);
                shared_tables[i].t = NULL;
                shared_tables[i].n = 0;
            }
            free_slot = &shared_tables[0];
        }
        if (slot == NULL) {
            slot = free_slot;
            memcpy(slot->key, key, sizeof slot->key);
            slot->n = 0;
            slot->t = NULL;
        }
        if (slot->n < len) { /* else another thread got there first: same values */
            free(slot->t);
            slot->t = t;
            slot->n = len;
            t = NULL;
        }
        pthread_mutex_unlock(&shared_lock);
        free(t);
    }
}

/* The first j in [0, most] with j h / (1 - c) >= u (most if none): where
 * the per-claim limit starts to cap the payment. j h / (1 - c) does not
 * decrease with j, so an estimate is corrected by the very test a scan
 * from 0 would make, with the same answer. */
static size_t first_capped(double span, double share, double claim_limit, size_t most)
{
    if (!(claim_limit < INFINITY))
        return most;
    double estimate = ceil(claim_limit * share / span);
    size_t j = estimate < (double)most ? (estimate > 0 ? (size_t)estimate : 0) : most;
    while (j > 0 && !((double)(j - 1) * span / share < claim_limit))
        j--;
    while (j < most && (double)j * span / share < claim_limit)
        j++;
    return j;
}

/*
 * The moment-matched payment lattice of a quote's grid (span = the
 * resolving span of spec's severity) from the shared table: fy[0..points-1].
 * False when the shortcut does not apply (a deductible, a lattice longer
 * than the tables) or finds no memory; the caller then discretises directly.
 */
/* What the shared tables' lattice of spec depends on: the severity at
 * scale 1 and the table's key, where the cap starts (uncapped) and the
 * capped value; false where the tables do not serve (a deductible). */
typedef struct shared_plan {
    dms_severity unit;
    double key[SHARED_KEY_LEN];
    size_t uncapped;
    double capped;
} shared_plan;

static bool shared_plan_of(const dms_aggregate_spec *spec, double span, double divisor,
                           size_t points, shared_plan *sp)
{
    const dms_coverage *cov = &spec->cov;
    if (cov->deductible != 0)
        return false;
    sp->unit = unit_severity(&spec->sev, cov->copay, divisor, sp->key);
    double share = 1.0 - cov->copay;
    sp->uncapped = first_capped(span, share, cov->claim_limit, points + 1);
    /* t[j] comes from the table while j h / (1 - c) is under the per-claim
     * limit; from there on Y is capped and t[j] = (1 - c) E[min(X, u)] / h. */
    sp->capped = 0.0;
    if (sp->uncapped <= points)
        sp->capped = share * dms_severity_limited_moment(&spec->sev, cov->claim_limit, 1) / span;
    return true;
}

/* fy is a function of the table's key, where the cap starts, the capped
 * value and the length alone: its identity. */
static void shared_identity(const shared_plan *sp, size_t points, double *identity)
{
    memcpy(identity, sp->key, sizeof sp->key);
    identity[SHARED_KEY_LEN] = (double)sp->uncapped;
    identity[SHARED_KEY_LEN + 1] = sp->capped;
    identity[SHARED_KEY_LEN + 2] = (double)points;
}

static bool shared_lattice(const dms_aggregate_spec *spec, double span, double divisor,
                           size_t points, double *fy, double *identity)
{
    shared_plan sp;
    if (!shared_plan_of(spec, span, divisor, points, &sp) ||
        !shared_table_discretize(&sp.unit, sp.key, sp.uncapped, sp.capped, points, fy, NULL, 0,
                                 NULL))
        return false;
    if (identity != NULL)
        shared_identity(&sp, points, identity);
    return true;
}

/* Panjer's and the FFT's costs (FFT_COST_FACTOR n log2 n) for the automatic
 * choice. */
static double fft_work_of(size_t fft_n)
{
    return FFT_COST_FACTOR * (double)fft_n * log2((double)fft_n);
}

/*
 * Whether the automatic choice between Panjer and FFT is the same for every
 * length the severity lattice could be given (from its shortest, reach_of's
 * settled, to points), within slack points of round-off. Where
 * the masses add up to 1 within a few ulps (a lattice the per-claim limit
 * caps, or a very light tail), that length depends on their last bits, and
 * the two methods differ by more than round-off: values computed by another
 * route than dms_discretize_payment (the shared tables) are used only where
 * the choice cannot turn on those bits, so that quotes keep their kopecks.
 */
static bool method_is_settled(size_t points, size_t shortest, size_t fft_n, size_t slack)
{
    double fft_work = fft_work_of(fft_n);
    return (double)points * (double)(shortest - (shortest > slack ? slack : shortest)) > fft_work ||
           (double)points * (double)points <= fft_work;
}

/*
 * Whether a payment lattice from the fast special functions (lattice.h)
 * may stand for the one GSL's give, whose masses it matches to round-off:
 * where the automatic choice of method could turn on their last bits (see
 * method_is_settled, here with a point of slack, as round-off may move the
 * crossing of 1 - 1e-13 by one point) the engine takes GSL's lattice, so
 * that the choice, and with it every kopeck, stays what it was.
 */
static bool fast_lattice_serves(lattice_reach reach, size_t points, size_t fft_n,
                                enum dms_discretization disc, enum dms_method method)
{
    return disc != DMS_DISC_MOMENT || method != DMS_METHOD_AUTO ||
           method_is_settled(points, reach.settled, fft_n, 1);
}

/* The automatic choice (*method AUTO) between Panjer, which costs points x
 * ny multiply-adds, and FFT, about FFT_COST_FACTOR n log2 n (measured by
 * make bench on this code), for a payment lattice of ny points worth
 * keeping (reach_of's tail); the length of the result is returned. */
static size_t choose_method(size_t points, size_t ny, size_t fft_n, enum dms_method *method)
{
    if (*method == DMS_METHOD_AUTO) {
        double panjer_work = (double)points * (double)ny;
        *method = panjer_work <= fft_work_of(fft_n) ? DMS_METHOD_PANJER : DMS_METHOD_FFT;
    }
    return *method == DMS_METHOD_FFT ? fft_n : points;
}

/* The compounding of fy[0..ny-1] into pmf[0..n-1] by method (not AUTO). */
static int compound(const dms_aggregate_spec *spec, enum dms_method method, const double *fy,
                    size_t ny, double *pmf, size_t n, dms_error *err)
{
    if (method == DMS_METHOD_FFT)
        return dms_compound_fft(&spec->freq, fy, ny, pmf, n, err);
    return dms_compound_panjer(&spec->freq, fy, ny, pmf, n, err);
}

/*
 * Payment lattices kept process-wide. A lattice depends on the severity,
 * the terms, the span and the discretisation alone, not on the frequency or
 * the annual limit, and its first points do not depend on its length (each
 * mass comes from limited means at fixed points; the early stop where the
 * law is exhausted depends on the masses alone). Specs that differ only in
 * frequency - the scenarios of a budget's sensitivity table, frequency
 * shocks of the same severity - so take the lattice from here, cut to
 * their length, with the very bits a fresh discretisation gives. Bounded
 * (LATTICE_BYTES, LATTICE_SLOTS / 2 entries): when full it is emptied and
 * starts again. The batch (dms_aggregate_limited_means) reads it but does
 * not fill it.
 */
#define LATTICE_SLOTS 4096u
#define LATTICE_BYTES ((size_t)48 << 20)
#define LATTICE_CACHE_KEY 11

typedef struct lattice_entry {
    double key[LATTICE_CACHE_KEY];
    size_t n; /* 0: free slot */
    double *f;
} lattice_entry;

static pthread_mutex_t lattice_lock = PTHREAD_MUTEX_INITIALIZER;
static lattice_entry *lattice_table;
static size_t lattice_count, lattice_bytes;

static void lattice_key(const dms_severity *sev, const dms_coverage *cov, double span,
                        enum dms_discretization disc, double *key)
{
    const double k[LATTICE_CACHE_KEY] = {(double)sev->kind,
                                         sev->meanlog,
                                         sev->sdlog,
                                         sev->shape,
                                         sev->scale,
                                         cov->deductible,
                                         cov->franchise ? 1.0 : 0.0,
                                         cov->copay,
                                         cov->claim_limit,
                                         span,
                                         (double)disc};
    memcpy(key, k, sizeof k);
}

/* The home slot of key[0..len-1] in a table of `slots` (a power of two):
 * a word at a time, mixed so that keys differing only in whole-number
 * fields (whose low bits are 0) spread too. A byte at a time cost as much
 * as a short compounding's capped answers on a hit. */
static size_t key_slot(const double *key, size_t len, size_t slots)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        uint64_t bits;
        memcpy(&bits, &key[i], sizeof bits);
        h = (h ^ bits) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    return (size_t)((h ^ (h >> 32)) & (slots - 1));
}

static size_t lattice_slot(const double *key)
{
    return key_slot(key, LATTICE_CACHE_KEY, LATTICE_SLOTS);
}

/* Caller holds the lock: the entry of key, or the free slot for it. */
static lattice_entry *lattice_find_locked(const double *key)
{
    size_t h = lattice_slot(key);
    while (lattice_table[h].n > 0 &&
           memcmp(lattice_table[h].key, key, LATTICE_CACHE_KEY * sizeof *key) != 0)
        h = (h + 1) & (LATTICE_SLOTS - 1);
    return &lattice_table[h];
}

static void lattice_flush_locked(void)
{
    for (size_t i = 0; i < LATTICE_SLOTS; i++) {
        free(lattice_table[i].f);
        lattice_table[i].f = NULL;
        lattice_table[i].n = 0;
    }
    lattice_count = lattice_bytes = 0;
}

/* The first points of the kept lattice into f[0..]: how many (at most n;
 * 0 on a miss). */
static size_t lattice_get_prefix(const double *key, double *f, size_t n)
{
    size_t got = 0;
    pthread_mutex_lock(&lattice_lock);
    if (lattice_table != NULL) {
        const lattice_entry *e = lattice_find_locked(key);
        got = e->n < n ? e->n : n;
        if (got > 0)
            memcpy(f, e->f, got * sizeof *f);
    }
    pthread_mutex_unlock(&lattice_lock);
    return got;
}

/* Keeps a copy of f[0..n-1]; without memory it keeps nothing. */
static void lattice_put(const double *key, const double *f, size_t n)
{
    size_t bytes = n * sizeof *f;
    if (bytes > LATTICE_BYTES / 16)
        return; /* one lattice may not crowd out the rest */
    double *copy = malloc(bytes);
    if (copy == NULL)
        return;
    memcpy(copy, f, bytes);
    pthread_mutex_lock(&lattice_lock);
    if (lattice_table == NULL)
        lattice_table = calloc(LATTICE_SLOTS, sizeof *lattice_table);
    if (lattice_table == NULL) {
        pthread_mutex_unlock(&lattice_lock);
        free(copy);
        return;
    }
    lattice_entry *e = lattice_find_locked(key);
    if (e->n >= n) { /* another thread got there first: the same values */
        pthread_mutex_unlock(&lattice_lock);
        free(copy);
        return;
    }
    if (e->n == 0 &&
        (2 * (lattice_count + 1) > LATTICE_SLOTS || lattice_bytes + bytes > LATTICE_BYTES)) {
        lattice_flush_locked();
        e = lattice_find_locked(key);
    }
    if (e->n > 0) { /* a longer lattice replaces a shorter one */
        lattice_bytes -= e->n * sizeof *e->f;
        free(e->f);
    } else {
        memcpy(e->key, key, sizeof e->key);
        lattice_count++;
    }
    e->f = copy;
    e->n = n;
    lattice_bytes += bytes;
    pthread_mutex_unlock(&lattice_lock);
}

/* dms_discretize_payment of spec's payment on span, through the cache
 * (kept there if keep); memo (may be NULL) shares limited expected values
 * between lattices. */
static int payment_lattice_memo(const dms_aggregate_spec *spec, double span,
                                enum dms_discretization disc, dms_lev_memo *memo, bool keep,
                                double *f, size_t n, dms_error *err)
{
    double key[LATTICE_CACHE_KEY];
    lattice_key(&spec->sev, &spec->cov, span, disc, key);
    /* A shorter lattice kept gives the first points: only the rest is
     * discretised (moment matching; rounding starts again). */
    size_t known = lattice_get_prefix(key, f, n);
    if (known == n)
        return DMS_OK;
    if (disc != DMS_DISC_MOMENT)
        known = 0;
    int status =
        dms_discretize_payment_memo(&spec->sev, &spec->cov, span, disc, memo, f, known, n, err);
    if (status == DMS_OK && keep)
        lattice_put(key, f, n);
    return status;
}

static int payment_lattice(const dms_aggregate_spec *spec, double span,
                           enum dms_discretization disc, double *f, size_t n, dms_error *err)
{
    return payment_lattice_memo(spec, span, disc, NULL, true, f, n, err);
}

/*
 * Compounded lattices kept process-wide. On the shared tables' grid the
 * payment lattice in units of the span does not depend on the severity's
 * scale (shared_lattice), and the compounding in those units depends on
 * that lattice, the frequency and the method alone: rating cells that
 * differ only in what scales the claim size (the region factor, above all)
 * share one compounding, and only the span that places it differs. A hit
 * gives the very doubles the compounding would. Bounded like the lattice
 * cache (COMPOUND_BYTES, COMPOUND_SLOTS / 2 entries), emptied with it.
 */
#define COMPOUND_SLOTS 4096u
#define COMPOUND_BYTES ((size_t)48 << 20)
#define COMPOUND_KEY (SHARED_KEY_LEN + 3 + 4) /* lattice identity, frequency, method */

typedef struct compound_entry {
    double key[COMPOUND_KEY];
    size_t n; /* 0: free slot */
    enum dms_method method;
    double *pmf;
} compound_entry;

static pthread_mutex_t compound_lock = PTHREAD_MUTEX_INITIALIZER;
static compound_entry *compound_table;
static size_t compound_count, compound_bytes;

static void compound_key(const double *identity, const dms_frequency *freq, enum dms_method method,
                         double *key)
{
    memcpy(key, identity, (SHARED_KEY_LEN + 3) * sizeof *key);
    key[SHARED_KEY_LEN + 3] = (double)freq->kind;
    key[SHARED_KEY_LEN + 4] = freq->mean;
    key[SHARED_KEY_LEN + 5] = freq->kind == DMS_FREQ_NEGBIN ? freq->size : 0.0;
    key[SHARED_KEY_LEN + 6] = (double)method;
}

/* Caller holds the lock: the entry of key, or the free slot for it. */
static compound_entry *compound_find_locked(const double *key)
{
    size_t slot = key_slot(key, COMPOUND_KEY, COMPOUND_SLOTS);
    while (compound_table[slot].n > 0 &&
           memcmp(compound_table[slot].key, key, COMPOUND_KEY * sizeof *key) != 0)
        slot = (slot + 1) & (COMPOUND_SLOTS - 1);
    return &compound_table[slot];
}

static void compound_flush_locked(void)
{
    for (size_t i = 0; i < COMPOUND_SLOTS; i++) {
        free(compound_table[i].pmf);
        compound_table[i].pmf = NULL;
        compound_table[i].n = 0;
    }
    compound_count = compound_bytes = 0;
}

/* A copy of the kept compounding (*pmf new, *n, *method); false on a miss
 * or without memory. */
static bool compound_get(const double *key, double **pmf, size_t *n, enum dms_method *method)
{
    bool found = false;
    pthread_mutex_lock(&compound_lock);
    if (compound_table != NULL) {
        const compound_entry *e = compound_find_locked(key);
        if (e->n > 0 && (*pmf = malloc(e->n * sizeof **pmf)) != NULL) {
            memcpy(*pmf, e->pmf, e->n * sizeof **pmf);
            *n = e->n;
            *method = e->method;
            found = true;
        }
    }
    pthread_mutex_unlock(&compound_lock);
    return found;
}

/*
 * What a quote wants of a distribution (dms_aggregate_compute_capped):
 * dms_aggdist_capped of it at limit, not the lattice itself, which then
 * need not be copied out of the kept compoundings nor into them.
 */
typedef struct capped_want {
    double limit;
    double exact_mean;
    double *limited_mean;
    dms_placed *out;
    double *variance;
} capped_want;

/* dms_aggdist_capped of the lattice pmf[0..n-1] on span by method. */
static int capped_into(const dms_aggdist *dist, double limit, double *limited_mean, dms_placed *out,
                       double *variance, double *own, dms_error *err);

/* dms_aggdist_capped of the lattice pmf[0..n-1] on span by method; own,
 * if not NULL, is pmf itself given up by the caller: the capped lattice is
 * made in it rather than copied out of it (it is freed on failure). */
static int capped_of_own(const capped_want *want, enum dms_method method, double span,
                         const double *pmf, size_t n, double *own, dms_error *err)
{
    dms_aggdist view;
    memset(&view, 0, sizeof view);
    view.method = method;
    view.exact_mean = want->exact_mean;
    view.span = span;
    view.n = n;
    view.pmf = (double *)pmf; /* only read, unless own */
    return capped_into(&view, want->limit, want->limited_mean, want->out, want->variance, own, err);
}

/* On a hit, want's answers from the kept compounding on span (read under
 * the lock, not copied out), *method the one used, *status theirs. */
static bool compound_get_capped(const double *key, const capped_want *want, double span,
                                enum dms_method *method, int *status, dms_error *err)
{
    bool found = false;
    pthread_mutex_lock(&compound_lock);
    if (compound_table != NULL) {
        const compound_entry *e = compound_find_locked(key);
        if (e->n > 0) {
            *method = e->method;
            *status = capped_of_own(want, e->method, span, e->pmf, e->n, NULL, err);
            found = true;
        }
    }
    pthread_mutex_unlock(&compound_lock);
    return found;
}

/* Keeps pmf[0..n-1]: a copy, or pmf itself when given (it is the store's
 * then, freed if not kept); without memory it keeps nothing. */
static void compound_put(const double *key, double *pmf, size_t n, enum dms_method method,
                         bool given)
{
    size_t bytes = n * sizeof *pmf;
    double *copy = given ? pmf : NULL;
    if (bytes > COMPOUND_BYTES / 16) {
        free(copy);
        return;
    }
    if (copy == NULL && (copy = malloc(bytes)) != NULL)
        memcpy(copy, pmf, bytes);
    if (copy == NULL)
        return;
    pthread_mutex_lock(&compound_lock);
    if (compound_table == NULL)
        compound_table = calloc(COMPOUND_SLOTS, sizeof *compound_table);
    if (compound_table == NULL) {
        pthread_mutex_unlock(&compound_lock);
        free(copy);
        return;
    }
    compound_entry *e = compound_find_locked(key);
    if (e->n > 0) { /* another thread got there first: the same values */
        pthread_mutex_unlock(&compound_lock);
        free(copy);
        return;
    }
    if (2 * (compound_count + 1) > COMPOUND_SLOTS || compound_bytes + bytes > COMPOUND_BYTES) {
        compound_flush_locked();
        e = compound_find_locked(key);
    }
    memcpy(e->key, key, sizeof e->key);
    e->pmf = copy;
    e->n = n;
    e->method = method;
    compound_count++;
    compound_bytes += bytes;
    pthread_mutex_unlock(&compound_lock);
}

void dms_aggregate_cache_clear(void)
{
    pthread_mutex_lock(&lattice_lock);
    if (lattice_table != NULL)
        lattice_flush_locked();
    pthread_mutex_unlock(&lattice_lock);
    pthread_mutex_lock(&compound_lock);
    if (compound_table != NULL)
        compound_flush_locked();
    pthread_mutex_unlock(&compound_lock);
}

/* One lattice: discretisation and compounding on span x points. *method
 * is the spec's (AUTO picks by cost) and receives the one used; *pmf (n
 * points) is new. */
static int compute_on_grid(const dms_aggregate_spec *spec, double span, size_t points,
                           enum dms_discretization disc, double shared_divisor,
                           const capped_want *want, enum dms_method *method, double **pmf,
                           size_t *n, dms_error *err)
{
    size_t fft_n = dms_next_pow2(points < 2 ? 2 : points);
    double *fy = NULL;
    *pmf = NULL;
    int status = DMS_OK;
    double identity[SHARED_KEY_LEN + 3], key[COMPOUND_KEY];
    bool shared = false;
    size_t shortest = 0, ny = 0;
    shared_plan sp;
    bool planned = shared_divisor > 0 && disc == DMS_DISC_MOMENT &&
                   shared_plan_of(spec, span, shared_divisor, points, &sp);
    if (planned) {
        /* A kept compounding of the same lattice (its identity, without
         * discretising it) and frequency was one whose method choice the
         * lattice settled: what a miss would compute. */
        shared_identity(&sp, points, identity);
        compound_key(identity, &spec->freq, *method, key);
        if (want != NULL ? compound_get_capped(key, want, span, method, &status, err)
                         : compound_get(key, pmf, n, method))
            return status;
    }
    if ((fy = malloc(fft_n * sizeof *fy)) == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", fft_n);
    if (planned) {
        /* reach_of's lengths, from the sums the discretisation makes. */
        const double levels[2] = {1.0 - SEVERITY_SETTLED_CUT, 1.0 - SEVERITY_TAIL_CUT};
        size_t reach[2];
        if (shared_table_discretize(&sp.unit, sp.key, sp.uncapped, sp.capped, points, fy, levels, 2,
                                    reach)) {
            shortest = reach[0];
            ny = reach[1];
            shared = *method != DMS_METHOD_AUTO || method_is_settled(points, shortest, fft_n, 0);
        }
    }
    if (!shared) {
        if ((status = payment_lattice(spec, span, disc, fy, points, err)) != DMS_OK)
            goto out_fy;
        lattice_reach reach = reach_of(fy, points);
        if (!fast_lattice_serves(reach, points, fft_n, disc, *method)) {
            if ((status = dms_discretize_payment_gsl(&spec->sev, &spec->cov, span, disc, fy, points,
                                                     err)) != DMS_OK)
                goto out_fy;
            reach = reach_of(fy, points);
        }
        ny = reach.tail;
    }
    if (*method == DMS_METHOD_AUTO)
        *method =
            (double)points * (double)ny <= fft_work_of(fft_n) ? DMS_METHOD_PANJER : DMS_METHOD_FFT;
    *n = *method == DMS_METHOD_FFT ? fft_n : points; /* as choose_method */
    *pmf = malloc(*n * sizeof **pmf);
    if (*pmf == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", *n);
        goto out_fy;
    }
    status = compound(spec, *method, fy, ny, *pmf, *n, err);
    if (status == DMS_OK && want != NULL && !shared) {
        /* Not kept: the capped lattice is made in the compounding's own
         * array, without a copy (the same doubles). */
        status = capped_of_own(want, *method, span, *pmf, *n, *pmf, err);
        *pmf = NULL;
        goto out_fy;
    }
    if (status == DMS_OK && want != NULL)
        status = capped_of_own(want, *method, span, *pmf, *n, NULL, err);
    if (status != DMS_OK) {
        free(*pmf);
        *pmf = NULL;
    } else if (want != NULL) {
        /* Only the capped answers were wanted: the lattice goes to the
         * store as it is, or away. */
        if (shared)
            compound_put(key, *pmf, *n, *method, true);
        else
            free(*pmf);
        *pmf = NULL;
    } else if (shared) {
        compound_put(key, *pmf, *n, *method, false);
    }
out_fy:
    free(fy);
    return status;
}

/* The caller's cancel hook (aggregate.h); the error every long loop returns. */
static bool cancelled(const dms_aggregate_spec *spec, dms_error *err)
{
    if (spec->cancelled == NULL || !spec->cancelled(spec->cancel_ctx))
        return false;
    dms_error_cancelled(err);
    return true;
}

/* A quote's automatic grid at its resolving span is the one the shared
 * tables describe (the span of the ground-up claim): their divisor, else 0. */
static double shared_divisor_of(const dms_aggregate_spec *spec, const grid_plan *plan)
{
    if (spec->cap_at_limit && !(spec->span > 0) && plan->span == plan->resolving_span)
        return spec->span_divisor > 0 ? spec->span_divisor : SPAN_DIVISOR;
    return 0.0;
}

static int compute_lattice(const dms_aggregate_spec *spec, dms_aggdist *dist,
                           const capped_want *want, dms_error *err)
{
    if (cancelled(spec, err))
        return DMS_ETOOBIG;
    grid_plan plan;
    int status = plan_grid_of(spec, dist->exact_mean, &plan, err);
    if (status != DMS_OK)
        return status;
    dist->span = plan.span;
    dist->discretization = plan.discretization;
    dist->resolving_span = plan.resolving_span;
    enum dms_method method = spec->method;
    if (want != NULL && plan.tail_points > 0) {
        /* Not a quote's grid (those have no tail lattice): the whole
         * distribution, then its capped answers. */
        if ((status = compute_lattice(spec, dist, NULL, err)) != DMS_OK)
            return status;
        return dms_aggdist_capped(dist, want->limit, want->limited_mean, want->out, want->variance,
                                  err);
    }
    if ((status = compute_on_grid(spec, plan.span, plan.points, plan.discretization,
                                  shared_divisor_of(spec, &plan), want, &method, &dist->pmf,
                                  &dist->n, err)) != DMS_OK)
        return status;
    dist->method = method;
    dist->top = (double)(plan.points - 1) * plan.span;
    if (plan.tail_points > 0) {
        enum dms_method tail_method = spec->method;
        dist->tail_span = plan.tail_span;
        status = compute_on_grid(spec, plan.tail_span, plan.tail_points, DMS_DISC_MOMENT, 0.0, NULL,
                                 &tail_method, &dist->tail_pmf, &dist->tail_n, err);
    }
    return status;
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
    dms_error_clear(err);
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
        status = compute_lattice(spec, dist, NULL, err);
    if (status != DMS_OK) {
        dms_aggdist_free(dist);
        return status;
    }
    *out = dist;
    return DMS_OK;
}

int dms_aggregate_compute_capped(const dms_aggregate_spec *spec, double *limited_mean,
                                 dms_placed *out, double *variance, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    int status = dms_aggregate_spec_validate(spec, err);
    if (status != DMS_OK)
        return status;
    if (!spec->cap_at_limit || spec->method == DMS_METHOD_MC) {
        /* Monte Carlo, or a grid that may carry a tail lattice: the whole
         * distribution, then its capped answers. */
        dms_aggdist *dist = NULL;
        if ((status = dms_aggregate_compute(spec, &dist, err)) == DMS_OK)
            status = dms_aggdist_capped(dist, spec->annual_limit, limited_mean, out, variance, err);
        dms_aggdist_free(dist);
        return status;
    }
    dms_aggdist dist;
    memset(&dist, 0, sizeof dist);
    dms_aggregate_moments(spec, &dist.exact_mean, &dist.exact_variance);
    capped_want want = {spec->annual_limit, dist.exact_mean, limited_mean, out, variance};
    status = compute_lattice(spec, &dist, &want, err);
    free(dist.pmf); /* NULL unless a tail lattice was made */
    free(dist.tail_pmf);
    if (status != DMS_OK)
        dms_placed_free(out);
    return status;
}

/* The fine lattice answers up to its top; beyond, the tail lattice. */
static bool beyond_fine(const dms_aggdist *dist, double x)
{
    return dist->tail_pmf != NULL && x > dist->top;
}

double dms_aggdist_limited_mean(const dms_aggdist *dist, double limit)
{
    if (dist->method == DMS_METHOD_MC) {
        double total = 0.0;
        for (size_t i = 0; i < dist->nsamples; i++)
            total += fmin(dist->samples[i], limit);
        return total / (double)dist->nsamples;
    }
    /* Without a limit E[S] is known exactly. */
    if (isinf(limit))
        return dist->exact_mean;
    double v;
    if (beyond_fine(dist, limit)) {
        /* E[min(S, L)] = E[min(S, T)] + (E[min(S, L)] - E[min(S, T)]): the
         * first from the fine lattice, the increment from the tail one. */
        double T = dist->top;
        v = dms_lattice_limited_mean(dist->pmf, dist->n, dist->span, T) +
            dms_lattice_limited_mean(dist->tail_pmf, dist->tail_n, dist->tail_span, limit) -
            dms_lattice_limited_mean(dist->tail_pmf, dist->tail_n, dist->tail_span, T);
    } else {
        v = dms_lattice_limited_mean(dist->pmf, dist->n, dist->span, limit);
    }
    /* E[min(S, L)] <= E[S]: a limit never costs more than no limit. */
    return fmin(v, dist->exact_mean);
}

/* The count of points k < n with k h < limit (the points below L): k h does
 * not decrease with k, so an estimate is corrected by the very test a scan
 * from 0 makes. */
static size_t points_below(size_t n, double span, double limit)
{
    double estimate = ceil(limit / span);
    size_t k = estimate < (double)n ? (estimate > 0 ? (size_t)estimate : 0) : n;
    while (k > 0 && !((double)(k - 1) * span < limit))
        k--;
    while (k < n && (double)k * span < limit)
        k++;
    return k;
}

int dms_aggdist_capped(const dms_aggdist *dist, double limit, double *limited_mean, dms_placed *out,
                       double *variance, dms_error *err)
{
    dms_error_clear(err);
    return capped_into(dist, limit, limited_mean, out, variance, NULL, err);
}

static int capped_into(const dms_aggdist *dist, double limit, double *limited_mean, dms_placed *out,
                       double *variance, double *own, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (own != NULL && (dist->method == DMS_METHOD_MC || dist->tail_pmf != NULL ||
                        !isfinite(limit) || dist->pmf != own)) {
        /* Not the lattice the fast path below makes in place: a copy, as
         * for any caller. */
        int status = capped_into(dist, limit, limited_mean, out, variance, NULL, err);
        free(own);
        return status;
    }
    if (dist->method == DMS_METHOD_MC || dist->tail_pmf != NULL || !isfinite(limit)) {
        /* Not a quote's lattice: the plain calls, one after the other. */
        size_t keep = isfinite(limit) ? points_below(dist->n, dist->span, limit) : dist->n;
        *limited_mean = dms_aggdist_limited_mean(dist, limit);
        out->span = dist->span;
        out->n = keep + 2;
        if ((out->pmf = calloc(out->n, sizeof *out->pmf)) == NULL)
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a capped distribution");
        if (keep > 0)
            memcpy(out->pmf, dist->pmf, keep * sizeof *out->pmf);
        double rest = 1.0 - dms_lattice_mass(dist->pmf, keep);
        if (rest > 0 && isfinite(limit)) {
            double position = limit / dist->span;
            size_t base = (size_t)floor(position);
            double upper = position - (double)base;
            if (base + 1 < out->n) {
                out->pmf[base] += rest * (1 - upper);
                out->pmf[base + 1] += rest * upper;
            }
        }
        double unused_mean;
        dms_placed_moments(out, &unused_mean, variance);
        return DMS_OK;
    }
    const double *f = dist->pmf;
    double span = dist->span;
    size_t keep = points_below(dist->n, span, limit);
    double position = limit / span;
    out->span = span;
    out->n = keep + 2;
    if (own != NULL) {
        /* f is own: its first keep points are already in place. */
        if ((out->pmf = realloc(own, out->n * sizeof *out->pmf)) == NULL) {
            free(own);
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a capped distribution");
        }
        f = out->pmf;
    } else if ((out->pmf = malloc(out->n * sizeof *out->pmf)) == NULL) {
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a capped distribution");
    }
    /* The capped lattice differs from f only at base and base + 1; before
     * base its moments are summed in the same pass as the limited mean, and
     * the points copied in it (in place when f is own): the sums are chains
     * of dependent additions, in whose shadow the copy costs nothing. */
    double *copy = out->pmf;
    size_t base = position < (double)(keep + 1) ? (size_t)floor(position) : keep + 2;
    size_t unchanged = base < keep ? base : keep;
    double below_mass = 0.0, below_mean = 0.0, mass = 0.0, m1 = 0.0, m2 = 0.0;
    size_t k = 0;
    for (; k < unchanged; k++) {
        double p = f[k], x = (double)k;
        copy[k] = p;
        below_mass += p;
        below_mean += x * span * p;
        m1 += x * p;
        m2 += x * x * p;
    }
    mass = below_mass; /* so far the same sum */
    for (; k < keep; k++) {
        copy[k] = f[k];
        below_mass += f[k];
        below_mean += (double)k * span * f[k];
    }
    double above = 1.0 - below_mass;
    *limited_mean = fmin(below_mean + limit * (above > 0 ? above : 0.0), dist->exact_mean);
    out->pmf[keep] = out->pmf[keep + 1] = 0.0;
    double rest = above; /* 1 - dms_lattice_mass(f, keep): the same sum */
    if (rest > 0 && base + 1 < out->n) {
        double upper = position - (double)base;
        out->pmf[base] += rest * (1 - upper);
        out->pmf[base + 1] += rest * upper;
    }
    for (k = unchanged; k < out->n; k++) {
        double p = out->pmf[k];
        mass += p;
        m1 += (double)k * p;
        m2 += (double)k * (double)k * p;
    }
    if (!(mass > 0)) {
        *variance = 0.0;
        return DMS_OK;
    }
    m1 /= mass;
    m2 /= mass;
    *variance = span * span * fmax(m2 - m1 * m1, 0.0);
    return DMS_OK;
}

double dms_aggdist_mean(const dms_aggdist *dist)
{
    if (dist->method == DMS_METHOD_MC)
        return dms_aggdist_limited_mean(dist, INFINITY);
    return dms_lattice_mean(dist->pmf, dist->n, dist->span);
}

double dms_aggdist_exceed(const dms_aggdist *dist, double limit)
{
    if (dist->method != DMS_METHOD_MC) {
        if (beyond_fine(dist, limit))
            return dms_lattice_exceed(dist->tail_pmf, dist->tail_n, dist->tail_span, limit);
        return dms_lattice_exceed(dist->pmf, dist->n, dist->span, limit);
    }
    if (isinf(limit))
        return 0.0;
    size_t above = 0;
    for (size_t i = 0; i < dist->nsamples; i++)
        above += dist->samples[i] > limit;
    return (double)above / (double)dist->nsamples;
}

/* The span of the lattice that answers the quantile p. */
static double quantile_on(const dms_aggdist *dist, double p, double *span)
{
    *span = dist->span;
    double q = dms_lattice_quantile(dist->pmf, dist->n, dist->span, p);
    if (dist->tail_pmf != NULL && !(q <= dist->top)) {
        *span = dist->tail_span;
        q = dms_lattice_quantile(dist->tail_pmf, dist->tail_n, dist->tail_span, p);
    }
    return q;
}

double dms_aggdist_quantile(const dms_aggdist *dist, double p)
{
    if (dist->method != DMS_METHOD_MC) {
        double span;
        return quantile_on(dist, p, &span);
    }
    /* Empirical quantile: the smallest sample x with F_n(x) >= p. */
    double rank = ceil(p * (double)dist->nsamples);
    size_t index = rank < 1 ? 0 : (size_t)rank - 1;
    if (index >= dist->nsamples)
        index = dist->nsamples - 1;
    return dist->samples[index];
}

bool dms_aggdist_accuracy(const dms_aggdist *dist, double limit, const double *levels,
                          size_t nlevels, dms_aggregate_accuracy *out)
{
    memset(out, 0, sizeof *out);
    if (dist->method == DMS_METHOD_MC)
        return false;
    bool short_of_target = false;
    double h0 = dist->resolving_span;
    /* A quantile is off by at most about one span of the lattice that
     * answers it. */
    for (size_t i = 0; i < nlevels && i < DMS_AGGREGATE_ACCURACY_LEVELS; i++) {
        double span;
        double q = quantile_on(dist, levels[i], &span);
        if (!isfinite(q)) {
            out->quantile[i] = INFINITY;
            short_of_target = true;
            continue;
        }
        out->quantile[i] = q > 0 ? span / q : 0.0;
        if (span > TARGET_QUANTILE_SPANS * h0 && span > TARGET_QUANTILE_REL * q)
            short_of_target = true;
    }
    if (isfinite(limit)) {
        double lm = dms_aggdist_limited_mean(dist, limit);
        double p = dms_aggdist_exceed(dist, limit);
        /* Where the answering span is coarser than the resolving one, the
         * discretisation moves each outcome below L by up to half a span. */
        bool coarse = beyond_fine(dist, limit) || dist->span > TARGET_QUANTILE_SPANS * h0;
        double span = beyond_fine(dist, limit) ? dist->tail_span : dist->span;
        if (coarse && lm > 0) {
            out->limited_mean = 0.5 * span * (1.0 - p) / lm;
            /* Mass within a span of L may fall on either side of it. */
            double lo = beyond_fine(dist, limit)
                            ? dms_lattice_exceed(dist->tail_pmf, dist->tail_n, span, limit - span)
                            : dms_lattice_exceed(dist->pmf, dist->n, span, limit - span);
            out->exceed = fabs(lo - p);
            if (out->limited_mean > TARGET_LIMITED_MEAN ||
                (out->exceed > TARGET_EXCEED_ABS && out->exceed > TARGET_EXCEED_REL * p))
                short_of_target = true;
        }
    }
    out->estimated = short_of_target;
    return short_of_target;
}

/*
 * Many specs at once (dms_aggregate_limited_means). Each spec goes through
 * the same steps as dms_aggregate_compute - plan_grid, the shared tables or
 * dms_discretize_payment, choose_method, compound, dms_aggdist_limited_mean
 * - so that its answer is the same double; only the payment lattice is
 * made once for all the specs whose lattice key matches, at the longest
 * grid among them. That is exact because a lattice's first points do not
 * depend on its length: every mass is a second difference of limited means
 * at fixed points (dms_discretize_payment, the shared tables), and the
 * early stop where the law is exhausted depends on the masses alone.
 */
#define LATTICE_KEY_LEN (LATTICE_CACHE_KEY + 2) /* the cache's key, the divisor, the method */
#define LAW_KEY_LEN 8

typedef struct batch_item {
    size_t index;
    double mean; /* E[S], dms_aggregate_moments */
    grid_plan plan;
    double shared_divisor;
    double lattice_key[LATTICE_KEY_LEN]; /* what the payment lattice depends on */
    double law_key[LAW_KEY_LEN];         /* the rest of the spec */
} batch_item;

static int compare_item(const void *a, const void *b)
{
    const batch_item *x = a, *y = b;
    int c = memcmp(x->lattice_key, y->lattice_key, sizeof x->lattice_key);
    if (c == 0)
        c = memcmp(x->law_key, y->law_key, sizeof x->law_key);
    if (c == 0)
        c = (x->index > y->index) - (x->index < y->index);
    return c;
}

static void fill_keys(const dms_aggregate_spec *spec, batch_item *item)
{
    /* Every double is written whole (no padding), so keys compare by bits. */
    lattice_key(&spec->sev, &spec->cov, item->plan.span, item->plan.discretization,
                item->lattice_key);
    item->lattice_key[LATTICE_CACHE_KEY] = item->shared_divisor;
    item->lattice_key[LATTICE_CACHE_KEY + 1] = (double)spec->method;
    const double wk[LAW_KEY_LEN] = {(double)spec->freq.kind,
                                    spec->freq.mean,
                                    spec->freq.size,
                                    spec->annual_limit,
                                    spec->cap_at_limit ? 1.0 : 0.0,
                                    spec->span,
                                    spec->span_divisor,
                                    (double)spec->discretization};
    memcpy(item->law_key, wk, sizeof wk);
}

/* Faults of the batch name the spec: /<index>/... */
static void prefix_index(dms_error *err, size_t index)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "/%zu", index);
    dms_error_prefix_path(err, prefix);
}

/* dms_aggregate_compute's own answer, for a spec the batch does not share. */
static int limited_mean_alone(const dms_aggregate_spec *spec, double *out, dms_error *err)
{
    dms_aggdist *dist = NULL;
    int status = dms_aggregate_compute(spec, &dist, err);
    if (status == DMS_OK)
        *out = dms_aggdist_limited_mean(dist, spec->annual_limit);
    dms_aggdist_free(dist);
    return status;
}

typedef struct batch_buffers {
    double *direct, *shared, *pmf; /* lattices of the group, the compounding */
    double *gsl;                   /* the direct one by GSL's functions, when needed */
    size_t cap;
    /* The last lattice without co-pay's limited means: the groups come
     * sorted by severity, deductible, then co-pay, 0 first (its key's
     * bytes are all zero), so the co-pays of 1/2 after it find them. */
    dms_lev_memo memo;
    /* The tilted transform of the lattice last compounded by FFT in the
     * group (spectrum_of, its length and the circle's; NULL: none): the
     * specs of a group that differ in frequency alone transform it once. */
    double *spectrum;
    const double *spectrum_of;
    size_t spectrum_ny, spectrum_n;
} batch_buffers;

/* The compounding's key of a spec the shared tables serve (compute_on_grid's,
 * from its own length); false if they do not serve it. */
static bool shared_compound_key(const dms_aggregate_spec *spec, const batch_item *item, double *key)
{
    shared_plan sp;
    if (!shared_plan_of(spec, item->plan.span, item->shared_divisor, item->plan.points, &sp))
        return false;
    double identity[SHARED_KEY_LEN + 3];
    shared_identity(&sp, item->plan.points, identity);
    compound_key(identity, &spec->freq, spec->method, key);
    return true;
}

/* On a hit, dms_aggdist_limited_mean at limit of the kept compounding
 * (read in place under the lock) placed as dist says (its method, pmf and
 * length taken from the store). */
static bool compound_get_limited_mean(const double *key, dms_aggdist *dist, double limit,
                                      double *out)
{
    bool found = false;
    pthread_mutex_lock(&compound_lock);
    if (compound_table != NULL) {
        const compound_entry *e = compound_find_locked(key);
        if (e->n > 0) {
            dist->method = e->method;
            dist->n = e->n;
            dist->pmf = e->pmf;
            *out = dms_aggdist_limited_mean(dist, limit);
            dist->pmf = NULL;
            found = true;
        }
    }
    pthread_mutex_unlock(&compound_lock);
    return found;
}

/* The specs items[0..n-1], which share a lattice key. */
static int limited_means_of_group(const dms_aggregate_spec *specs, const batch_item *items,
                                  size_t n, batch_buffers *b, double *out, dms_error *err)
{
    const dms_aggregate_spec *first = &specs[items[0].index];
    const grid_plan *plan = &items[0].plan;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].plan.points > longest)
            longest = items[i].plan.points;
    size_t cap = dms_next_pow2(longest < 2 ? 2 : longest);
    if (cap > b->cap) {
        free(b->direct);
        free(b->shared);
        free(b->pmf);
        free(b->gsl);
        free(b->spectrum);
        b->direct = malloc(cap * sizeof *b->direct);
        b->shared = malloc(cap * sizeof *b->shared);
        b->pmf = malloc(cap * sizeof *b->pmf);
        b->gsl = malloc(cap * sizeof *b->gsl);
        b->spectrum = malloc((cap + 2) * sizeof *b->spectrum);
        b->cap = cap;
        if (b->direct == NULL || b->shared == NULL || b->pmf == NULL || b->gsl == NULL ||
            b->spectrum == NULL) {
            b->cap = 0;
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", cap);
        }
    }
    /* The shared tables' lattice when the engine may use it (the method
     * check is per spec, below); the direct one when first needed. */
    bool may_share = items[0].shared_divisor > 0 && plan->discretization == DMS_DISC_MOMENT;
    bool shared_ok = may_share && shared_lattice(first, plan->span, items[0].shared_divisor,
                                                 longest, b->shared, NULL);
    bool direct_made = false, gsl_made = false;
    /* Each lattice's reach_of over the longest grid, for every spec's. */
    lattice_reach shared_reach = shared_ok ? reach_of(b->shared, longest) : (lattice_reach){0, 0};
    lattice_reach direct_reach = {0, 0}, gsl_reach = {0, 0};
    b->spectrum_of = NULL; /* the lattices are the group's own */
    int status = DMS_OK;
    for (size_t i = 0; i < n && status == DMS_OK; i++) {
        const dms_aggregate_spec *spec = &specs[items[i].index];
        double *slot = &out[items[i].index];
        if (i > 0 && memcmp(items[i].law_key, items[i - 1].law_key, sizeof items[i].law_key) == 0) {
            *slot = out[items[i - 1].index]; /* the same spec */
            continue;
        }
        size_t points = items[i].plan.points;
        if (may_share && !shared_ok && points < longest && spec->cov.deductible == 0) {
            /* The tables may serve this shorter grid though not the longest. */
            if ((status = limited_mean_alone(spec, slot, err)) != DMS_OK)
                prefix_index(err, items[i].index);
            continue;
        }
        size_t fft_n = dms_next_pow2(points < 2 ? 2 : points);
        enum dms_method method = spec->method;
        bool shared =
            shared_ok &&
            (method != DMS_METHOD_AUTO ||
             method_is_settled(points, reach_within(shared_reach, points).settled, fft_n, 0));
        if (!shared && !direct_made) {
            /* Not kept: a batch's groups have distinct lattices, and a
             * budget table makes tens of thousands, which flushed the store
             * over and over for the checking quotes after it to find 1% of
             * their lattices there (measured on the holding example). */
            if ((status = payment_lattice_memo(first, plan->span, plan->discretization, &b->memo,
                                               false, b->direct, longest, err)) != DMS_OK)
                break;
            direct_made = true;
            direct_reach = reach_of(b->direct, longest);
        }
        const double *fy = shared ? b->shared : b->direct;
        lattice_reach reach = reach_within(shared ? shared_reach : direct_reach, points);
        if (!shared && !fast_lattice_serves(reach, points, fft_n, plan->discretization, method)) {
            if (!gsl_made) {
                if ((status = dms_discretize_payment_gsl(&first->sev, &first->cov, plan->span,
                                                         plan->discretization, b->gsl, longest,
                                                         err)) != DMS_OK)
                    break;
                gsl_reach = reach_of(b->gsl, longest);
            }
            gsl_made = true;
            fy = b->gsl;
            reach = reach_within(gsl_reach, points);
        }
        dms_aggdist dist;
        memset(&dist, 0, sizeof dist);
        dist.exact_mean = items[i].mean;
        dist.span = items[i].plan.span;
        dist.top = (double)(points - 1) * items[i].plan.span;
        dist.discretization = items[i].plan.discretization;
        dist.resolving_span = items[i].plan.resolving_span;
        /* On the shared tables' grid the compounding is keyed as quotes key
         * it (compute_on_grid): cells that differ only in the claim size's
         * scale (the region) share it. */
        double key[COMPOUND_KEY];
        bool keyed = shared && shared_compound_key(spec, &items[i], key);
        if (keyed && compound_get_limited_mean(key, &dist, spec->annual_limit, slot))
            continue;
        size_t ny = reach.tail;
        size_t len = choose_method(points, ny, fft_n, &method);
        if (method == DMS_METHOD_FFT) {
            bool fresh = b->spectrum_of != fy || b->spectrum_ny != ny || b->spectrum_n != len;
            status =
                dms_compound_fft_kept(&spec->freq, fy, ny, b->spectrum, fresh, b->pmf, len, err);
            b->spectrum_of = status == DMS_OK ? fy : NULL;
            b->spectrum_ny = ny;
            b->spectrum_n = len;
        } else {
            status = compound(spec, method, fy, ny, b->pmf, len, err);
        }
        if (status != DMS_OK) {
            prefix_index(err, items[i].index);
            break;
        }
        dist.method = method;
        dist.n = len;
        dist.pmf = b->pmf;
        *slot = dms_aggdist_limited_mean(&dist, spec->annual_limit);
        if (keyed)
            compound_put(key, b->pmf, len, method, false);
    }
    return status;
}

/*
 * Whether plan_grid_of gives specs a and b the same grid when both pay
 * something: a quote's grid (cap_at_limit) is planned on the ground-up
 * claim, so it depends on the frequency, the severity, the annual limit
 * and the grid settings, not on the terms. Compared by bits.
 */
static bool same_quote_grid(const dms_aggregate_spec *a, const dms_aggregate_spec *b)
{
    const double x[] = {a->freq.mean, a->freq.size,    a->sev.meanlog, a->sev.sdlog,   a->sev.shape,
                        a->sev.scale, a->annual_limit, a->span,        a->span_divisor};
    const double y[] = {b->freq.mean, b->freq.size,    b->sev.meanlog, b->sev.sdlog,   b->sev.shape,
                        b->sev.scale, b->annual_limit, b->span,        b->span_divisor};
    return a->cap_at_limit && b->cap_at_limit && a->freq.kind == b->freq.kind &&
           a->sev.kind == b->sev.kind && a->discretization == b->discretization &&
           memcmp(x, y, sizeof x) == 0;
}

int dms_aggregate_limited_means(const dms_aggregate_spec *specs, size_t n, double *out,
                                dms_error *err)
{
    dms_error_clear(err);
    batch_item *items = malloc((n ? n : 1) * sizeof *items);
    if (items == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory to price %zu specs", n);
    size_t shared = 0;
    int status = DMS_OK;
    const dms_aggregate_spec *last_planned = NULL; /* whose grid last_plan is */
    grid_plan last_plan = {0};
    for (size_t i = 0; i < n && status == DMS_OK; i++) {
        const dms_aggregate_spec *spec = &specs[i];
        batch_item *item = &items[shared];
        item->index = i;
        if ((status = dms_aggregate_spec_validate(spec, err)) != DMS_OK) {
            prefix_index(err, i);
            break;
        }
        dms_aggregate_moments(spec, &item->mean, NULL);
        /* The options of one law come one after another and share a
         * quote's grid (same_quote_grid): it is planned once for them. */
        bool planned = last_planned != NULL && item->mean > 0 && spec->method != DMS_METHOD_MC &&
                       same_quote_grid(last_planned, spec);
        if (planned)
            item->plan = last_plan;
        /* Monte Carlo, a cancel hook and tail lattices take the one way. */
        if (spec->method == DMS_METHOD_MC || spec->cancelled != NULL ||
            (!planned && plan_grid_of(spec, item->mean, &item->plan, err) != DMS_OK) ||
            item->plan.tail_points > 0) {
            dms_error_clear(err);
            if ((status = limited_mean_alone(spec, &out[i], err)) != DMS_OK)
                prefix_index(err, i);
            continue;
        }
        if (!planned && item->mean > 0 && spec->cap_at_limit) {
            last_planned = spec;
            last_plan = item->plan;
        }
        if (isinf(spec->annual_limit)) {
            /* Without an annual limit dms_aggdist_limited_mean answers the
             * exact E[S] of dms_aggregate_moments whatever the lattice: the
             * same double, with no lattice made. */
            out[i] = item->mean;
            continue;
        }
        item->shared_divisor = shared_divisor_of(spec, &item->plan);
        fill_keys(spec, item);
        shared++;
    }
    if (status == DMS_OK)
        qsort(items, shared, sizeof *items, compare_item);
    batch_buffers b = {NULL, NULL, NULL, NULL, 0, {{0}, NULL, 0, 0}, NULL, NULL, 0, 0};
    for (size_t g = 0; g < shared && status == DMS_OK;) {
        size_t end = g + 1;
        while (end < shared && memcmp(items[end].lattice_key, items[g].lattice_key,
                                      sizeof items[g].lattice_key) == 0)
            end++;
        status = limited_means_of_group(specs, &items[g], end - g, &b, out, err);
        g = end;
    }
    free(b.direct);
    free(b.shared);
    free(b.pmf);
    free(b.gsl);
    free(b.spectrum);
    dms_lev_memo_free(&b.memo);
    free(items);
    return status;
}
