/*
 * The annual cost distribution end to end: exact E[S] and Var[S]; accuracy
 * of the default grid against an analytic compound distribution (Poisson
 * claims of exponential size have a closed-form density with the Bessel
 * function I1); Panjer, FFT and Monte Carlo agreeing on realistic modules;
 * large claim counts; invariants; and every error path of the spec and of
 * the command-line parser.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_bessel.h>

#include "dms/aggregate.h"
#include "dms/aggregate_args.h"

static dms_aggdist *compute(const dms_aggregate_spec *spec)
{
    dms_aggdist *dist = NULL;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_aggregate_compute(spec, &dist, &err);
    if (status != DMS_OK)
        print_error("compute failed: %s\n", err.message);
    assert_int_equal(status, DMS_OK);
    return dist;
}

static dms_aggregate_spec make_spec(dms_frequency freq, dms_severity sev, dms_coverage cov,
                                    double annual_limit, enum dms_method method)
{
    dms_aggregate_spec spec = dms_aggregate_spec_default();
    spec.freq = freq;
    spec.sev = sev;
    spec.cov = cov;
    spec.annual_limit = annual_limit;
    spec.method = method;
    return spec;
}

/* ---- Analytic reference: compound Poisson(lambda) with Exp(theta) claims ---- */

struct exp_compound {
    double lambda, theta;
};

/* Density of the continuous part: e^(-l - x/t) sqrt(l / (x t)) I1(2 sqrt(l x / t)). */
static double exp_compound_density(double x, void *param)
{
    const struct exp_compound *c = param;
    if (x <= 0)
        return 0;
    double z = 2 * sqrt(c->lambda * x / c->theta);
    return exp(-c->lambda - x / c->theta + z) * sqrt(c->lambda / (x * c->theta)) *
           gsl_sf_bessel_I1_scaled(z);
}

static double exp_compound_cdf(const struct exp_compound *c, double x)
{
    gsl_function f = {exp_compound_density, (void *)c};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    double r, e;
    gsl_integration_qags(&f, 0, x, 1e-14, 1e-12, 1000, w, &r, &e);
    gsl_integration_workspace_free(w);
    return exp(-c->lambda) + r;
}

struct survival_param {
    const struct exp_compound *c;
};

static double exp_compound_sf(double x, void *param)
{
    return 1 - exp_compound_cdf(param, x);
}

/* E[min(S, L)] = integral of P(S > x) over [0, L]. */
static double exp_compound_limited_mean(const struct exp_compound *c, double limit)
{
    gsl_function f = {exp_compound_sf, (void *)c};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    double r, e;
    gsl_integration_qags(&f, 0, limit, 1e-10, 1e-10, 1000, w, &r, &e);
    gsl_integration_workspace_free(w);
    return r;
}

struct root_param {
    const struct exp_compound *c;
    double p;
};

static double cdf_minus_p(double x, void *param)
{
    const struct root_param *r = param;
    return exp_compound_cdf(r->c, x) - r->p;
}

static double exp_compound_quantile(const struct exp_compound *c, double p)
{
    struct root_param rp = {c, p};
    gsl_function f = {cdf_minus_p, &rp};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    double lo = 1e-9, hi = c->lambda * c->theta * 20;
    gsl_root_fsolver_set(s, &f, lo, hi);
    double root = 0;
    for (int i = 0; i < 200; i++) {
        gsl_root_fsolver_iterate(s);
        root = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 0,
                                   1e-12) == GSL_SUCCESS)
            break;
    }
    gsl_root_fsolver_free(s);
    return root;
}

static void test_default_grid_accuracy_against_analytic(void **state)
{
    (void)state;
    const struct exp_compound cases[] = {{3.0, 3500.0}, {25.0, 1200.0}, {1.5, 8000.0}};
    const double levels[] = {0.5, 0.9, 0.99};
    const enum dms_method methods[] = {DMS_METHOD_PANJER, DMS_METHOD_FFT};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct exp_compound *c = &cases[i];
        double limit = c->lambda * c->theta * 1.3;
        double true_limited = exp_compound_limited_mean(c, limit);
        for (size_t m = 0; m < 2; m++) {
            dms_aggregate_spec spec =
                make_spec((dms_frequency){.kind = DMS_FREQ_POISSON, .mean = c->lambda},
                          (dms_severity){.kind = DMS_SEV_GAMMA, .shape = 1, .scale = c->theta},
                          dms_coverage_full(), limit, methods[m]);
            dms_aggdist *dist = compute(&spec);
            assert_close(dist->exact_mean, c->lambda * c->theta, 1e-13);
            assert_close(dist->exact_variance, 2 * c->lambda * c->theta * c->theta, 1e-13);
            /* The accuracy bar: 0.5% on E[min(S, L)], 1% on quantiles. */
            assert_close(dms_aggdist_limited_mean(dist, limit), true_limited, 0.005);
            assert_close(dms_aggdist_exceed(dist, limit), 1 - exp_compound_cdf(c, limit), 0.01);
            for (size_t q = 0; q < 3; q++)
                assert_close(dms_aggdist_quantile(dist, levels[q]),
                             exp_compound_quantile(c, levels[q]), 0.01);
            /* Without a limit the computed distribution's mean is E[S]. */
            assert_close(dms_aggdist_mean(dist), c->lambda * c->theta, 0.005);
            dms_aggdist_free(dist);
        }
    }
}

/* ---- Realistic modules: three methods agree ---- */

struct module_case {
    const char *name;
    dms_aggregate_spec spec;
};

static struct module_case realistic_cases(size_t i)
{
    const dms_severity outpatient = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.9, .sdlog = 0.8};
    const dms_severity dental = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.6, .sdlog = 0.7};
    const dms_severity hospital = {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 70000.0};
    switch (i) {
    case 0:
        return (struct module_case){"outpatient",
                                    make_spec((dms_frequency){DMS_FREQ_POISSON, 3.0, 0}, outpatient,
                                              dms_coverage_full(), 40000, DMS_METHOD_AUTO)};
    case 1:
        return (struct module_case){
            "dental with limits",
            make_spec((dms_frequency){DMS_FREQ_POISSON, 1.5, 0}, dental,
                      (dms_coverage){.deductible = 0, .copay = 0.2, .claim_limit = 25000}, 30000,
                      DMS_METHOD_AUTO)};
    case 2:
        return (struct module_case){"hospital negbin",
                                    make_spec((dms_frequency){DMS_FREQ_NEGBIN, 0.06, 0.8}, hospital,
                                              (dms_coverage){.deductible = 5000,
                                                             .franchise = true,
                                                             .copay = 0.1,
                                                             .claim_limit = 500000},
                                              600000, DMS_METHOD_AUTO)};
    default:
        return (struct module_case){
            "25 claims", make_spec((dms_frequency){DMS_FREQ_POISSON, 25.0, 0}, outpatient,
                                   (dms_coverage){.deductible = 500, .claim_limit = INFINITY},
                                   90000, DMS_METHOD_AUTO)};
    }
}

static void test_panjer_fft_mc_agree(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct module_case mc_case = realistic_cases(i);
        dms_aggregate_spec spec = mc_case.spec;
        double limit = spec.annual_limit;
        spec.method = DMS_METHOD_PANJER;
        dms_aggdist *panjer = compute(&spec);
        spec.method = DMS_METHOD_FFT;
        dms_aggdist *fft = compute(&spec);
        spec.method = DMS_METHOD_MC;
        /* Under valgrind fewer draws: the tolerance below scales with them. */
        spec.sims = getenv("DMS_UNDER_VALGRIND") ? 40000 : 400000;
        spec.seed = 20261123;
        dms_aggdist *mc = compute(&spec);
        print_message("%-20s limited mean panjer %.2f fft %.2f mc %.2f\n", mc_case.name,
                      dms_aggdist_limited_mean(panjer, limit), dms_aggdist_limited_mean(fft, limit),
                      dms_aggdist_limited_mean(mc, limit));
        /* Panjer and FFT solve the same lattice problem: near round-off. */
        assert_close(dms_aggdist_limited_mean(fft, limit), dms_aggdist_limited_mean(panjer, limit),
                     1e-7);
        assert_abs_close(dms_aggdist_exceed(fft, limit), dms_aggdist_exceed(panjer, limit), 1e-9);
        for (size_t q = 0; q < 3; q++) {
            double p = (double[]){0.5, 0.9, 0.99}[q];
            assert_close(dms_aggdist_quantile(fft, p), dms_aggdist_quantile(panjer, p), 1e-9);
        }
        /* Monte Carlo is independent: 4 standard errors on the mean of
         * min(S, L), and 2.5% on quantiles (or one span where S has an atom
         * at 0). */
        double sd = sqrt(fmin(mc->exact_variance, limit * limit));
        double se = sd / sqrt((double)mc->nsamples);
        assert_abs_close(dms_aggdist_limited_mean(mc, limit),
                         dms_aggdist_limited_mean(panjer, limit), 4 * se);
        for (size_t q = 0; q < 3; q++) {
            double p = (double[]){0.5, 0.9, 0.99}[q];
            double lattice = dms_aggdist_quantile(panjer, p);
            double sampled = dms_aggdist_quantile(mc, p);
            assert_abs_close(sampled, lattice, 0.025 * lattice + 2 * panjer->span);
        }
        dms_aggdist_free(panjer);
        dms_aggdist_free(fft);
        dms_aggdist_free(mc);
    }
}

static void test_large_claim_count(void **state)
{
    (void)state;
    /* 900 small claims a year: plain Panjer would start from e^-900 = 0. */
    dms_aggregate_spec spec =
        make_spec((dms_frequency){DMS_FREQ_POISSON, 900.0, 0},
                  (dms_severity){.kind = DMS_SEV_LOGNORMAL, .meanlog = 6.0, .sdlog = 0.5},
                  dms_coverage_full(), INFINITY, DMS_METHOD_AUTO);
    const enum dms_method methods[] = {DMS_METHOD_AUTO, DMS_METHOD_FFT, DMS_METHOD_PANJER};
    double median[3];
    for (size_t m = 0; m < 3; m++) {
        spec.method = methods[m];
        dms_aggdist *dist = compute(&spec);
        assert_true(dist->method != DMS_METHOD_AUTO);
        assert_close(dms_lattice_mass(dist->pmf, dist->n), 1.0, 1e-9);
        assert_close(dms_aggdist_mean(dist), dist->exact_mean, 1e-3);
        /* Nearly normal: the median sits close to the mean. */
        median[m] = dms_aggdist_quantile(dist, 0.5);
        assert_close(median[m], dist->exact_mean, 0.01);
        double sd = sqrt(dist->exact_variance);
        assert_close(dms_aggdist_quantile(dist, 0.99), dist->exact_mean + 2.326 * sd, 0.01);
        dms_aggdist_free(dist);
    }
    assert_close(median[2], median[1], 1e-9);
    /* Negative binomial too. */
    spec.freq = (dms_frequency){DMS_FREQ_NEGBIN, 900.0, 50.0};
    spec.method = DMS_METHOD_PANJER;
    dms_aggdist *dist = compute(&spec);
    assert_close(dms_aggdist_mean(dist), dist->exact_mean, 1e-3);
    dms_aggdist_free(dist);
}

static void test_moment_matching_keeps_mean(void **state)
{
    (void)state;
    dms_aggregate_spec spec = realistic_cases(1).spec;
    spec.annual_limit = INFINITY;
    spec.discretization = DMS_DISC_MOMENT;
    dms_aggdist *dist = compute(&spec);
    assert_close(dms_aggdist_mean(dist), dist->exact_mean, 1e-7);
    dms_aggdist_free(dist);
}

static void test_exact_moments_negbin(void **state)
{
    (void)state;
    dms_aggregate_spec spec =
        make_spec((dms_frequency){DMS_FREQ_NEGBIN, 2.0, 0.5},
                  (dms_severity){.kind = DMS_SEV_GAMMA, .shape = 3, .scale = 1000},
                  dms_coverage_full(), INFINITY, DMS_METHOD_AUTO);
    double mean, variance;
    dms_aggregate_moments(&spec, &mean, &variance);
    /* E S = 2 * 3000; Var S = E N Var X + Var N (E X)^2 = 2*3e6 + (2 + 8) 9e6 */
    assert_close(mean, 6000.0, 1e-14);
    assert_close(variance, 2 * 3e6 + 10 * 9e6, 1e-14);
}

static void test_invariants(void **state)
{
    (void)state;
    dms_aggregate_spec spec = realistic_cases(0).spec;
    double prev = INFINITY;
    for (double d = 0; d <= 6000; d += 1000) {
        spec.cov.deductible = d;
        dms_aggdist *dist = compute(&spec);
        double cost = dms_aggdist_limited_mean(dist, spec.annual_limit);
        assert_true(cost <= prev);
        prev = cost;
        /* Quantiles never decrease in p; P(S > L) falls as L rises. */
        assert_true(dms_aggdist_quantile(dist, 0.5) <= dms_aggdist_quantile(dist, 0.9));
        assert_true(dms_aggdist_quantile(dist, 0.9) <= dms_aggdist_quantile(dist, 0.99));
        assert_true(dms_aggdist_exceed(dist, 10000) >= dms_aggdist_exceed(dist, 20000));
        dms_aggdist_free(dist);
    }
}

static void test_monte_carlo_is_seeded(void **state)
{
    (void)state;
    dms_aggregate_spec spec = realistic_cases(1).spec;
    spec.method = DMS_METHOD_MC;
    spec.sims = 20000;
    spec.seed = 7;
    dms_aggdist *a = compute(&spec), *b = compute(&spec);
    spec.seed = 8;
    dms_aggdist *c = compute(&spec);
    assert_memory_equal(a->samples, b->samples, a->nsamples * sizeof(double));
    assert_true(memcmp(a->samples, c->samples, a->nsamples * sizeof(double)) != 0);
    assert_int_equal(a->nsamples, 20000);
    dms_aggdist_free(a);
    dms_aggdist_free(b);
    dms_aggdist_free(c);
}

static void test_nothing_paid(void **state)
{
    (void)state;
    dms_aggregate_spec spec = realistic_cases(0).spec;
    spec.freq.mean = 0;
    dms_aggdist *dist = compute(&spec);
    assert_true(dist->exact_mean == 0.0);
    assert_true(dms_aggdist_mean(dist) == 0.0);
    assert_true(dms_aggdist_quantile(dist, 0.99) == 0.0);
    assert_true(dms_aggdist_exceed(dist, 1) == 0.0);
    dms_aggdist_free(dist);
}

static void expect_spec_error(dms_aggregate_spec spec, int code, const char *path)
{
    dms_aggdist *dist = (dms_aggdist *)1;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_aggregate_compute(&spec, &dist, &err), code);
    assert_null(dist);
    assert_string_equal(err.path, path);
    assert_true(strlen(err.message) > 10);
}

/*
 * A quote's lattice without a deductible comes from the table shared by
 * every severity of its shape (aggregate.c); it must be the lattice the
 * direct discretisation gives, compounded the same way, at every scale,
 * co-pay and family, and with a per-claim limit inside the grid (the
 * direct route) or beyond it.
 */
static void test_shared_tables_give_the_direct_lattice(void **state)
{
    (void)state;
    const dms_severity shapes[] = {
        {.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.5, .sdlog = 0.8},
        {.kind = DMS_SEV_GAMMA, .shape = 1.5, .scale = 100000.0},
    };
    const double copays[] = {0.0, 0.2};
    const double limits[] = {INFINITY, 30000.0};
    /* Four scales, one under valgrind (50 times slower). */
    double scale_step = getenv("DMS_UNDER_VALGRIND") != NULL ? 4.0 : 1.31;
    for (size_t i = 0; i < 2; i++)
        for (size_t c = 0; c < 2; c++)
            for (size_t l = 0; l < 2; l++)
                for (double scale = 0.6; scale < 2.0; scale *= scale_step) {
                    dms_aggregate_spec spec = dms_aggregate_spec_default();
                    spec.freq = (dms_frequency){DMS_FREQ_NEGBIN, 2.5 * scale, 1.5};
                    spec.sev = shapes[i];
                    if (spec.sev.kind == DMS_SEV_GAMMA)
                        spec.sev.scale *= scale;
                    else
                        spec.sev.meanlog += log(scale);
                    spec.cov.copay = copays[c];
                    spec.cov.claim_limit = limits[l];
                    spec.annual_limit = 500000.0;
                    spec.cap_at_limit = true;
                    spec.span_divisor = 32.0;
                    dms_aggdist *dist = NULL;
                    assert_int_equal(dms_aggregate_compute(&spec, &dist, NULL), DMS_OK);
                    double span;
                    size_t points;
                    assert_int_equal(dms_aggregate_grid(&spec, &span, &points, NULL), DMS_OK);
                    assert_true(span == dist->span);
                    double *fy = calloc(dist->n, sizeof *fy), *fs = calloc(dist->n, sizeof *fs);
                    assert_int_equal(dms_discretize_payment(&spec.sev, &spec.cov, span,
                                                            DMS_DISC_MOMENT, fy, points, NULL),
                                     DMS_OK);
                    if (dist->method == DMS_METHOD_FFT)
                        assert_int_equal(
                            dms_compound_fft(&spec.freq, fy, points, fs, dist->n, NULL), DMS_OK);
                    else
                        assert_int_equal(
                            dms_compound_panjer(&spec.freq, fy, points, fs, dist->n, NULL), DMS_OK);
                    for (size_t k = 0; k < dist->n; k++)
                        assert_true(fabs(fs[k] - dist->pmf[k]) < 1e-12);
                    free(fy);
                    free(fs);
                    dms_aggdist_free(dist);
                }
}

/*
 * Specs that differ only in the claim size's scale (a region factor) share
 * one compounding in units of the span (the compounding cache): the second
 * spec's answer, taken from the first's, is the very doubles it gets alone
 * from an empty cache, and its span is its own.
 */
static void test_scaled_specs_share_the_compounding(void **state)
{
    (void)state;
    const dms_severity shapes[] = {
        {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 1.1},
        {.kind = DMS_SEV_GAMMA, .shape = 0.7, .scale = 20000.0},
    };
    const dms_frequency freqs[] = {{DMS_FREQ_POISSON, 3.0, 1.0}, {DMS_FREQ_NEGBIN, 0.4, 0.8}};
    for (size_t i = 0; i < 2; i++)
        for (size_t f = 0; f < 2; f++) {
            dms_aggregate_spec base = dms_aggregate_spec_default();
            base.freq = freqs[f];
            base.sev = shapes[i];
            base.cov.copay = 0.1;
            base.annual_limit = 400000.0;
            base.cap_at_limit = true;
            base.span_divisor = 32.0;
            dms_aggregate_spec scaled = base;
            scaled.annual_limit *= 0.9; /* so that the grid scales too */
            if (scaled.sev.kind == DMS_SEV_GAMMA)
                scaled.sev.scale *= 0.9;
            else
                scaled.sev.meanlog += log(0.9);
            dms_aggregate_cache_clear();
            dms_aggdist *first = compute(&base), *kept = compute(&scaled);
            dms_aggregate_cache_clear();
            dms_aggdist *alone = compute(&scaled);
            assert_int_equal(kept->n, alone->n);
            assert_int_equal(kept->method, alone->method);
            assert_memory_equal(kept->pmf, alone->pmf, alone->n * sizeof *alone->pmf);
            /* The same lattice in units of the span, placed on its own span. */
            assert_int_equal(first->n, kept->n);
            assert_memory_equal(first->pmf, kept->pmf, kept->n * sizeof *kept->pmf);
            assert_true(fabs(kept->span / first->span - 0.9) < 1e-12);
            double a = dms_aggdist_limited_mean(kept, scaled.annual_limit),
                   b = dms_aggdist_limited_mean(alone, scaled.annual_limit);
            assert_memory_equal(&a, &b, sizeof a);
            /* Another frequency on the same lattice is not taken for it. */
            dms_aggregate_spec busier = base;
            busier.freq.mean *= 1.01;
            dms_aggdist *warm = compute(&busier);
            dms_aggregate_cache_clear();
            dms_aggdist *cold = compute(&busier);
            assert_int_equal(warm->n, cold->n);
            assert_memory_equal(warm->pmf, cold->pmf, cold->n * sizeof *cold->pmf);
            dms_aggdist_free(warm);
            dms_aggdist_free(cold);
            dms_aggdist_free(first);
            dms_aggdist_free(kept);
            dms_aggdist_free(alone);
        }
}

/* ---- The quote's capped distribution in one pass ---- */

/* The distribution of min(S, L) the way the quote built it before
 * dms_aggdist_capped: the points below L copied, the rest of the mass split
 * between the two points around L. */
static void plain_capped(const dms_aggdist *dist, double limit, dms_placed *out)
{
    memset(out, 0, sizeof *out);
    size_t keep = dist->n;
    if (isfinite(limit)) {
        keep = 0;
        while (keep < dist->n && (double)keep * dist->span < limit)
            keep++;
    }
    out->span = dist->span;
    out->n = keep + 2;
    out->pmf = calloc(out->n, sizeof *out->pmf);
    assert_non_null(out->pmf);
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
}

/* dms_aggdist_capped against the calls it stands for, bit for bit. */
static void check_capped(const dms_aggdist *dist, double limit)
{
    double mean, variance, want_mean, want_variance, unused;
    dms_placed got, want;
    assert_int_equal(dms_aggdist_capped(dist, limit, &mean, &got, &variance, NULL), DMS_OK);
    plain_capped(dist, limit, &want);
    want_mean = dms_aggdist_limited_mean(dist, limit);
    dms_placed_moments(&want, &unused, &want_variance);
    assert_memory_equal(&mean, &want_mean, sizeof mean);
    assert_memory_equal(&variance, &want_variance, sizeof variance);
    assert_int_equal(got.n, want.n);
    assert_int_equal(got.offset, want.offset);
    assert_true(got.span == want.span);
    assert_memory_equal(got.pmf, want.pmf, got.n * sizeof *got.pmf);
    dms_placed_free(&got);
    dms_placed_free(&want);
}

/*
 * Limits below, on and between lattice points, at the first point, at and
 * beyond the grid's end and none; quote lattices by FFT and by Panjer's
 * recursion, a lattice with a coarse tail and a Monte Carlo result (the
 * last two through the plain calls).
 */
static void test_capped_is_the_plain_calls(void **state)
{
    (void)state;
    const dms_severity laws[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 0.9},
                                 {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 2250.0}};
    const enum dms_method methods[] = {DMS_METHOD_AUTO, DMS_METHOD_PANJER, DMS_METHOD_FFT,
                                       DMS_METHOD_MC};
    for (size_t s = 0; s < 2; s++)
        for (size_t m = 0; m < 4; m++) {
            dms_aggregate_spec spec = dms_aggregate_spec_default();
            spec.freq = (dms_frequency){DMS_FREQ_NEGBIN, 1.5, 1.0};
            spec.sev = laws[s];
            spec.cov.copay = 0.2;
            spec.cov.claim_limit = 30000.0;
            spec.annual_limit = 60000.0;
            spec.cap_at_limit = true;
            spec.span_divisor = 32.0;
            spec.method = methods[m];
            spec.sims = 2000;
            dms_aggdist *dist = compute(&spec);
            double h = dist->method == DMS_METHOD_MC ? 100.0 : dist->span;
            double top = (double)dist->n * h;
            const double limits[] = {0.0,     0.3 * h, h,   37.0 * h,  37.5 * h,
                                     60000.0, top - h, top, 2.0 * top, INFINITY};
            for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
                check_capped(dist, limits[l]);
            /* Every half span up to the end: the sums are long enough there
             * for a change of their order to show in the last bits. */
            for (double limit = 0.5 * h; limit < top; limit += 0.5 * h)
                check_capped(dist, limit);
            dms_aggdist_free(dist);
        }
    /* A fine lattice with a coarse tail beyond its top. */
    double fine[50], coarse[20];
    for (size_t k = 0; k < 50; k++)
        fine[k] = 0.018 * (double)(k % 7 + 1) / 4.0;
    for (size_t k = 0; k < 20; k++)
        coarse[k] = 0.04;
    dms_aggdist tail = {.method = DMS_METHOD_FFT,
                        .exact_mean = 900.0,
                        .span = 10.0,
                        .n = 50,
                        .pmf = fine,
                        .top = 490.0,
                        .tail_span = 100.0,
                        .tail_n = 20,
                        .tail_pmf = coarse};
    const double limits[] = {5.0, 255.0, 490.0, 1234.0, INFINITY};
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
        check_capped(&tail, limits[l]);
}

/* dms_aggregate_compute_capped of one spec against dms_aggdist_capped of
 * dms_aggregate_compute's distribution, bit for bit. */
static void check_compute_capped(const dms_aggregate_spec *spec)
{
    double mean, variance, want_mean, want_variance;
    dms_placed got, want;
    assert_int_equal(dms_aggregate_compute_capped(spec, &mean, &got, &variance, NULL), DMS_OK);
    dms_aggdist *dist = compute(spec);
    assert_int_equal(
        dms_aggdist_capped(dist, spec->annual_limit, &want_mean, &want, &want_variance, NULL),
        DMS_OK);
    assert_memory_equal(&mean, &want_mean, sizeof mean);
    assert_memory_equal(&variance, &want_variance, sizeof variance);
    assert_int_equal(got.n, want.n);
    assert_true(got.span == want.span);
    assert_memory_equal(got.pmf, want.pmf, got.n * sizeof *got.pmf);
    dms_placed_free(&got);
    dms_placed_free(&want);
    dms_aggdist_free(dist);
}

/*
 * The quote's way to a module's capped answers (no distribution copied out
 * of or into the kept compoundings) gives what the distribution gives:
 * from cold stores (a compounding made and handed to the store) and warm
 * ones (read in the store), on the shared tables' grid and off it (a
 * deductible), and through the whole distribution for a spec that is not
 * a quote's and for Monte Carlo.
 */
static void test_compute_capped_is_compute_then_capped(void **state)
{
    (void)state;
    const dms_severity laws[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.2, .sdlog = 0.8},
                                 {.kind = DMS_SEV_GAMMA, .shape = 1.5, .scale = 100000.0}};
    const double deductibles[] = {0.0, 5000.0};
    for (size_t s = 0; s < 2; s++)
        for (size_t d = 0; d < 2; d++) {
            dms_aggregate_spec spec = dms_aggregate_spec_default();
            spec.freq = (dms_frequency){DMS_FREQ_NEGBIN, 0.8, 0.8};
            spec.sev = laws[s];
            spec.cov.deductible = deductibles[d];
            spec.cov.franchise = d == 1;
            spec.cov.claim_limit = 1e6;
            spec.annual_limit = 1.5e6;
            spec.cap_at_limit = true;
            spec.span_divisor = 32.0;
            dms_aggregate_cache_clear();
            check_compute_capped(&spec); /* cold, then the store holds it */
            check_compute_capped(&spec); /* warm */
            dms_aggregate_cache_clear();
            dms_aggdist *first = compute(&spec); /* the store filled the other way */
            dms_aggdist_free(first);
            check_compute_capped(&spec);
            dms_aggregate_spec plain = spec;
            plain.cap_at_limit = false;
            check_compute_capped(&plain);
            dms_aggregate_spec simulated = spec;
            simulated.method = DMS_METHOD_MC;
            simulated.sims = 2000;
            check_compute_capped(&simulated);
        }
}

/* The moment-matched lattice from a table capped from a point on is the
 * one from the table written out: for caps before the first mass, inside
 * and past the end. */
static void test_capped_table_is_the_written_table(void **state)
{
    (void)state;
    enum { N = 600 };
    const dms_severity sev = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 0.0, .sdlog = 0.8};
    const dms_coverage full = dms_coverage_full();
    double t[N + 1], written[N + 1], direct[N], capped[N];
    dms_payment_limited_mean_grid(&sev, &full, 0.02, 0, N + 1, t);
    for (size_t j = 0; j <= N; j++)
        t[j] /= 0.02;
    const size_t caps[] = {0, 1, 2, 3, 40, 299, N - 1, N, N + 1};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        double value = caps[c] > 0 ? t[caps[c] - 1] + 0.25 : 0.5;
        for (size_t j = 0; j <= N; j++)
            written[j] = j < caps[c] ? t[j] : value;
        dms_discretize_moment_table(written, N, direct);
        memset(capped, 0xff, sizeof capped);
        dms_discretize_moment_table_capped(t, caps[c], value, N, capped);
        assert_memory_equal(direct, capped, sizeof direct);
        /* The lengths found in the same pass are those a second pass over
         * the masses finds, for levels met at once, inside, at the last
         * ulps below 1 and never. */
        const double levels[] = {0.0, 0.5, 1.0 - 1e-13, 1.0 - 1e-16, 2.0};
        enum { NLEVELS = sizeof levels / sizeof levels[0] };
        size_t reach[NLEVELS], want[NLEVELS];
        memset(capped, 0xff, sizeof capped);
        dms_discretize_moment_table_reach(t, caps[c], value, N, capped, levels, NLEVELS, reach);
        assert_memory_equal(direct, capped, sizeof direct);
        for (size_t l = 0; l < NLEVELS; l++) {
            double sum = 0.0;
            want[l] = N;
            for (size_t k = 0; k < N; k++) {
                sum += direct[k];
                if (sum >= levels[l]) {
                    want[l] = k + 1;
                    break;
                }
            }
            assert_int_equal(reach[l], want[l]);
        }
        assert_int_equal(reach[NLEVELS - 1], N);
    }
}

static void fft_reference(size_t n, double *out)
{
    const dms_frequency freq = {DMS_FREQ_NEGBIN, 2.5, 0.8};
    double *fy = calloc(n, sizeof *fy);
    assert_non_null(fy);
    for (size_t k = 0; k < n / 2; k++)
        fy[k] = 2.0 / (double)n;
    assert_int_equal(dms_compound_fft(&freq, fy, n / 2, out, n, NULL), DMS_OK);
    free(fy);
}

struct fft_round {
    size_t sizes[3];
    const double *want[3];
    int failures;
};

static void *fft_rounds(void *arg)
{
    struct fft_round *r = arg;
    for (int round = 0; round < 4; round++)
        for (size_t i = 0; i < 3; i++) {
            size_t which = (size_t)round % 2 == 0 ? i : 2 - i;
            size_t n = r->sizes[which];
            double *got = malloc(n * sizeof *got);
            if (got == NULL) {
                r->failures++;
                continue;
            }
            fft_reference(n, got);
            r->failures += memcmp(got, r->want[which], n * sizeof *got) != 0;
            free(got);
        }
    return NULL;
}

/*
 * The FFT compounding's per-thread work arrays and per-length weights give
 * the same bits whatever ran before on the thread and whatever runs beside
 * it: short and long circles (the longest past the kept arrays) in turn,
 * on two threads at once, against each length's first result.
 */
static void test_fft_work_is_per_thread(void **state)
{
    (void)state;
    struct fft_round r = {{256, 4096, (size_t)1 << 17}, {NULL}, 0};
    double *want[3];
    for (size_t i = 0; i < 3; i++) {
        want[i] = malloc(r.sizes[i] * sizeof *want[i]);
        assert_non_null(want[i]);
        fft_reference(r.sizes[i], want[i]);
        r.want[i] = want[i];
    }
    struct fft_round other = r;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, fft_rounds, &other), 0);
    fft_rounds(&r);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(r.failures, 0);
    assert_int_equal(other.failures, 0);
    for (size_t i = 0; i < 3; i++)
        free(want[i]);
}

static void test_spec_errors(void **state)
{
    (void)state;
    dms_aggregate_spec base = realistic_cases(0).spec, s;
    s = base, s.freq.mean = -1;
    expect_spec_error(s, DMS_EINVAL, "/frequency/mean");
    s = base, s.sev.sdlog = 0;
    expect_spec_error(s, DMS_EINVAL, "/severity/sdlog");
    s = base, s.cov.copay = 1;
    expect_spec_error(s, DMS_EINVAL, "/copay");
    s = base, s.cov.deductible = 100, s.cov.claim_limit = 100;
    expect_spec_error(s, DMS_EINVAL, "/claim_limit");
    s = base, s.annual_limit = 0;
    expect_spec_error(s, DMS_EINVAL, "/annual_limit");
    s = base, s.annual_limit = NAN;
    expect_spec_error(s, DMS_EINVAL, "/annual_limit");
    s = base, s.span = NAN;
    expect_spec_error(s, DMS_EINVAL, "/span");
    s = base, s.span = -5;
    expect_spec_error(s, DMS_EINVAL, "/span");
    s = base, s.span = 1e-6; /* billions of points */
    expect_spec_error(s, DMS_EINVAL, "/span");
    s = base, s.span = 1e7; /* coarser than the whole distribution */
    expect_spec_error(s, DMS_EINVAL, "/span");
    s = base, s.method = (enum dms_method)9;
    expect_spec_error(s, DMS_EINVAL, "/method");
    s = base, s.discretization = (enum dms_discretization)9;
    expect_spec_error(s, DMS_EINVAL, "/discretization");
    s = base, s.sims = DMS_MC_MAX_SIMS + 1, s.method = DMS_METHOD_MC;
    expect_spec_error(s, DMS_EINVAL, "/sims");
}

/* The batch prices every spec to the very double of a computation of its
 * own, whatever the specs share: cells of one severity and terms at many
 * frequencies and limits (a shared lattice), identical specs, the shared
 * tables and the direct lattice, and specs that take the one way (Monte
 * Carlo, a fixed span, a plain grid). */
static void test_limited_means_equal_alone(void **state)
{
    (void)state;
    enum { MAXSPECS = 128 };
    dms_aggregate_spec specs[MAXSPECS];
    size_t n = 0;
    const dms_severity sevs[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.5, .sdlog = 1.2},
                                 {.kind = DMS_SEV_GAMMA, .shape = 1.5, .scale = 4000}};
    const dms_frequency freqs[] = {{.kind = DMS_FREQ_POISSON, .mean = 0.4, .size = 1},
                                   {.kind = DMS_FREQ_POISSON, .mean = 6, .size = 1},
                                   {.kind = DMS_FREQ_NEGBIN, .mean = 3, .size = 2}};
    const double deductibles[] = {0, 3000}, copays[] = {0, 0.2}, limits[] = {60000, INFINITY};
    for (size_t s = 0; s < 2; s++)
        for (size_t d = 0; d < 2; d++)
            for (size_t c = 0; c < 2; c++)
                for (size_t l = 0; l < 2; l++)
                    for (size_t f = 0; f < 3; f++) {
                        dms_aggregate_spec spec = dms_aggregate_spec_default();
                        spec.freq = freqs[f];
                        spec.sev = sevs[s];
                        spec.cov.deductible = deductibles[d];
                        spec.cov.copay = copays[c];
                        spec.cov.claim_limit = l == 0 ? 20000 : INFINITY;
                        spec.annual_limit = limits[l] * (1 + (double)f);
                        spec.cap_at_limit = true;
                        spec.span_divisor = 32;
                        specs[n++] = spec;
                    }
    specs[n++] = specs[5];  /* identical specs */
    specs[n++] = specs[17]; /* and one out of order */
    dms_aggregate_spec plain = dms_aggregate_spec_default();
    plain.annual_limit = 50000;
    specs[n++] = plain; /* not a quote's grid */
    plain.span = 100;
    specs[n++] = plain; /* a fixed span */
    plain.span = 0;
    plain.method = DMS_METHOD_MC;
    plain.sims = 2000;
    specs[n++] = plain;
    plain.method = DMS_METHOD_FFT;
    specs[n++] = plain;
    double got[MAXSPECS];
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_aggregate_limited_means(specs, n, got, &err), DMS_OK);
    for (size_t i = 0; i < n; i++) {
        dms_aggdist *dist = NULL;
        assert_int_equal(dms_aggregate_compute(&specs[i], &dist, &err), DMS_OK);
        double alone = dms_aggdist_limited_mean(dist, specs[i].annual_limit);
        dms_aggdist_free(dist);
        if (memcmp(&alone, &got[i], sizeof alone) != 0)
            print_error("spec %zu: batch %.17g, alone %.17g\n", i, got[i], alone);
        assert_memory_equal(&alone, &got[i], sizeof alone);
    }
    /* Kept lattices give what a fresh one gives: a short grid priced
     * first, then a longer one of the same lattice (which replaces it),
     * then the short one again from the longer lattice's first points. */
    dms_aggregate_spec shortg = specs[6], longg = specs[6];
    shortg.cov.deductible = longg.cov.deductible = 1234.5; /* a lattice no one asked for yet */
    longg.freq.mean = 20;
    longg.annual_limit = 1e9; /* finite: an unlimited spec needs no lattice */
    double first_time, again, longer;
    assert_int_equal(dms_aggregate_limited_means(&shortg, 1, &first_time, &err), DMS_OK);
    assert_int_equal(dms_aggregate_limited_means(&longg, 1, &longer, &err), DMS_OK);
    assert_int_equal(dms_aggregate_limited_means(&shortg, 1, &again, &err), DMS_OK);
    assert_memory_equal(&first_time, &again, sizeof again);
    double grid_short, grid_long;
    size_t points_short, points_long;
    assert_int_equal(dms_aggregate_grid(&shortg, &grid_short, &points_short, &err), DMS_OK);
    assert_int_equal(dms_aggregate_grid(&longg, &grid_long, &points_long, &err), DMS_OK);
    assert_true(grid_short == grid_long && points_long > points_short);
    /* A fault names its spec. */
    specs[2].cov.copay = 1.5;
    assert_int_equal(dms_aggregate_limited_means(specs, n, got, &err), DMS_EINVAL);
    assert_true(strncmp(err.path, "/2/", 3) == 0);
    assert_int_equal(dms_aggregate_limited_means(specs, 0, got, &err), DMS_OK);
}

static int parse_args(const char *line, dms_aggregate_spec *spec, bool *help, dms_error *err)
{
    char buf[1024], *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "aggregate %s", line);
    for (char *tok = strtok(buf, " "); tok != NULL && argc < 63; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    dms_error_clear(err);
    return dms_aggregate_args_parse(argc, argv, spec, help, err);
}

static void test_args(void **state)
{
    (void)state;
    dms_aggregate_spec spec;
    bool help;
    dms_error err;
    assert_int_equal(parse_args("--freq negbin:0.05,2 --sev=gamma:2,60000 --deductible 5000 "
                                "--franchise --copay 0.1 --claim-limit 400000 --annual-limit 1e6 "
                                "--method fft --span 500 --sims 1000 --seed 42 "
                                "--discretization moment",
                                &spec, &help, &err),
                     DMS_OK);
    assert_false(help);
    assert_true(spec.freq.kind == DMS_FREQ_NEGBIN && spec.freq.size == 2);
    assert_true(spec.sev.kind == DMS_SEV_GAMMA && spec.sev.scale == 60000);
    assert_true(spec.cov.franchise && spec.cov.deductible == 5000 && spec.cov.copay == 0.1);
    assert_true(spec.cov.claim_limit == 400000 && spec.annual_limit == 1e6);
    assert_true(spec.method == DMS_METHOD_FFT && spec.span == 500 && spec.sims == 1000);
    assert_true(spec.seed == 42 && spec.discretization == DMS_DISC_MOMENT);
    assert_int_equal(parse_args("--help", &spec, &help, &err), DMS_OK);
    assert_true(help);
    assert_non_null(strstr(dms_aggregate_usage, "--claim-limit"));

    static const struct {
        const char *line;
        const char *starts;
    } bad[] = {
        {"--sev lognormal:8,1", "--freq: required"},
        {"--freq poisson:1", "--sev: required"},
        {"--freq poisson:x --sev lognormal:8,1", "frequency 'poisson:x'"},
        {"--freq poisson:-1 --sev lognormal:8,1", "--freq:"},
        {"--freq poisson:1 --sev lognormal:8,0", "--sev:"},
        {"--freq poisson:1 --sev lognormal:8,1 --copay 1", "--copay:"},
        {"--freq poisson:1 --sev lognormal:8,1 --copay abc", "--copay:"},
        {"--freq poisson:1 --sev lognormal:8,1 --deductible -5", "--deductible:"},
        {"--freq poisson:1 --sev lognormal:8,1 --deductible 10 --claim-limit 5", "--claim-limit:"},
        {"--freq poisson:1 --sev lognormal:8,1 --annual-limit 0", "--annual-limit:"},
        {"--freq poisson:1 --sev lognormal:8,1 --method magic", "--method:"},
        {"--freq poisson:1 --sev lognormal:8,1 --span 0", "--span:"},
        {"--freq poisson:1 --sev lognormal:8,1 --span nan", "--span:"},
        {"--freq poisson:1 --sev lognormal:8,1 --sims 0", "--sims:"},
        {"--freq poisson:1 --sev lognormal:8,1 --sims 1e3", "--sims:"},
        {"--freq poisson:1 --sev lognormal:8,1 --seed -1", "--seed:"},
        {"--freq poisson:1 --sev lognormal:8,1 --discretization fine", "--discretization:"},
        {"--freq poisson:1 --sev lognormal:8,1 --bogus 1", "--bogus:"},
        {"--freq poisson:1 --sev lognormal:8,1 stray", "stray:"},
        {"--freq poisson:1 --sev", "--sev: needs a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = parse_args(bad[i].line, &spec, &help, &err);
        if (status == DMS_OK || strncmp(err.message, bad[i].starts, strlen(bad[i].starts)) != 0)
            print_error("'%s' -> %d '%s'\n", bad[i].line, status, err.message);
        assert_int_not_equal(status, DMS_OK);
        assert_true(strncmp(err.message, bad[i].starts, strlen(bad[i].starts)) == 0);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_grid_accuracy_against_analytic),
        cmocka_unit_test(test_panjer_fft_mc_agree),
        cmocka_unit_test(test_large_claim_count),
        cmocka_unit_test(test_moment_matching_keeps_mean),
        cmocka_unit_test(test_exact_moments_negbin),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_monte_carlo_is_seeded),
        cmocka_unit_test(test_nothing_paid),
        cmocka_unit_test(test_shared_tables_give_the_direct_lattice),
        cmocka_unit_test(test_scaled_specs_share_the_compounding),
        cmocka_unit_test(test_capped_is_the_plain_calls),
        cmocka_unit_test(test_compute_capped_is_compute_then_capped),
        cmocka_unit_test(test_capped_table_is_the_written_table),
        cmocka_unit_test(test_fft_work_is_per_thread),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_limited_means_equal_alone),
        cmocka_unit_test(test_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
