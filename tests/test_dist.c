/*
 * Frequency and severity distributions: limited moments against closed forms
 * and against numerical integration of the density (two independent routes),
 * pmfs and Panjer (a, b) against GSL, parsing and every validation error.
 */
#include "testutil.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "dms/dist.h"

static const dms_severity lognormal = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 0.9};
static const dms_severity gamma_sev = {.kind = DMS_SEV_GAMMA, .shape = 2.5, .scale = 1200.0};

struct integrand {
    const dms_severity *sev;
    double k;
    double x;
};

static double density(const dms_severity *sev, double t)
{
    if (sev->kind == DMS_SEV_GAMMA)
        return gsl_ran_gamma_pdf(t, sev->shape, sev->scale);
    return gsl_ran_lognormal_pdf(t, sev->meanlog, sev->sdlog);
}

/* min(t, x)^k f(t) */
static double limited_integrand(double t, void *param)
{
    const struct integrand *p = param;
    return pow(fmin(t, p->x), p->k) * density(p->sev, t);
}

static double integrate_limited_moment(const dms_severity *sev, double x, double k)
{
    struct integrand p = {sev, k, x};
    gsl_function f = {limited_integrand, &p};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double below, above = 0.0, error;
    double cut = isinf(x) ? dms_severity_quantile(sev, 0.5) : x;
    assert_int_equal(gsl_integration_qags(&f, 0, cut, 0, 1e-11, 2000, w, &below, &error), 0);
    if (isinf(x))
        assert_int_equal(gsl_integration_qagiu(&f, cut, 0, 1e-11, 2000, w, &above, &error), 0);
    else
        above = pow(x, k) * dms_severity_sf(sev, x);
    gsl_integration_workspace_free(w);
    return below + above;
}

static void test_raw_moments_closed_form(void **state)
{
    (void)state;
    assert_close(dms_severity_moment(&lognormal, 1), exp(8.0 + 0.405), 1e-14);
    assert_close(dms_severity_moment(&lognormal, 2), exp(16.0 + 2 * 0.81), 1e-14);
    assert_close(dms_severity_moment(&gamma_sev, 1), 2.5 * 1200.0, 1e-13);
    assert_close(dms_severity_moment(&gamma_sev, 2), 2.5 * 3.5 * 1200.0 * 1200.0, 1e-13);
}

static void test_limited_moments_against_integration(void **state)
{
    (void)state;
    const dms_severity *sevs[] = {&lognormal, &gamma_sev};
    const double limits[] = {100.0, 1500.0, 3000.0, 20000.0, 1e6, INFINITY};
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
            for (int k = 1; k <= 2; k++)
                assert_close(dms_severity_limited_moment(sevs[s], limits[i], k),
                             integrate_limited_moment(sevs[s], limits[i], k), 1e-8);
}

static void test_limited_moment_edges(void **state)
{
    (void)state;
    assert_true(dms_severity_limited_moment(&lognormal, 0, 1) == 0.0);
    /* A limit far below the support: E[min(X, x)] = x. */
    assert_close(dms_severity_limited_moment(&lognormal, 1e-3, 1), 1e-3, 1e-12);
    assert_close(dms_severity_limited_moment(&lognormal, 1e-3, 2), 1e-6, 1e-12);
    /* Far above: the raw moment, with no NaN from 0 * inf. */
    assert_close(dms_severity_limited_moment(&gamma_sev, 1e12, 2),
                 dms_severity_moment(&gamma_sev, 2), 1e-12);
    /* Monotone in the limit. */
    double prev = 0.0;
    for (double x = 100; x < 1e6; x *= 1.3) {
        double m = dms_severity_limited_moment(&gamma_sev, x, 1);
        assert_true(m >= prev);
        prev = m;
    }
}

/* |got - want| <= rel |want|: relative, down to the subnormal-free tails. */
static void assert_relative(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%.17g against %.17g: relative %.3g > %.3g", got, want,
                 fabs(got - want) / fabs(want), rel);
}

/*
 * The closed forms of P(a, x) and Q(a, x) for whole and half-whole shapes.
 * Against values to 40 digits (mpmath's gammainc, regularized) to 2e-15,
 * the tails included; then against GSL's gsl_sf_gamma_inc_P/Q on every
 * half-whole shape up to 40 and x from 1e-6 to 600 to 5e-13: measured the
 * largest disagreement is 1.8e-13, at P(39, 2.6e-6) ~ 1e-220 and
 * Q(12.5, 595) ~ 1e-235, where the 40-digit values show the error is GSL's
 * (6.7e-14 and 6.5e-14 from the truth; the closed forms 1.5e-16 and
 * 1.1e-16). In the body (both above 1e-3) they agree to 1e-13 (measured
 * 3.9e-14, at P(38.5, 32.5), again GSL's error: 8e-15 from the truth at
 * the nearby point checked, the closed form's 3e-16).
 */
static void test_gamma_inc_closed_forms(void **state)
{
    (void)state;
    static const double truth[][4] = {
        {1.5, 0.7, 2.9446526879590884107e-01, 7.0553473120409115893e-01},
        {2.0, 3.0, 8.0085172652854419439e-01, 1.9914827347145577785e-01},
        {1.5, 40.0, 1.0, 3.0692774861724169933e-17},
        {39.0, 2.5e-06, 1.6220872206438151803e-265, 1.0},
        {12.5, 595.0, 1.0, 2.3657351058416127336e-235},
        {40.0, 41.0, 5.8294857892940432631e-01, 4.1705142107059567369e-01},
        {0.5, 1e-05, 3.5682363381804504607e-03, 9.9643176366181951398e-01},
        {2.0, 550.0, 1.0, 7.5715806393815733702e-237},
    };
    for (size_t i = 0; i < sizeof truth / sizeof truth[0]; i++) {
        double p, q;
        assert_true(dms_dist_gamma_inc(truth[i][0], truth[i][1], &p, &q));
        assert_relative(p, truth[i][2], 2e-15);
        assert_relative(q, truth[i][3], 2e-15);
    }
    size_t checked = 0;
    for (int twice = 1; twice <= 80; twice++) {
        double a = twice / 2.0;
        for (double x = 1e-6; x < 600; x *= 1.01) {
            double p, q;
            assert_true(dms_dist_gamma_inc(a, x, &p, &q));
            double gp = gsl_sf_gamma_inc_P(a, x), gq = gsl_sf_gamma_inc_Q(a, x);
            bool body = gp > 1e-3 && gq > 1e-3;
            if (gp > 0)
                assert_relative(p, gp, body ? 1e-13 : 5e-13);
            if (gq > 0)
                assert_relative(q, gq, body ? 1e-13 : 5e-13);
            checked++;
        }
    }
    assert_true(checked > 80 * 1000);
    /* Outside the closed forms: other shapes, x at or beyond the edges. */
    double p = -1, q = -1;
    assert_false(dms_dist_gamma_inc(1.3, 2.0, &p, &q));
    assert_false(dms_dist_gamma_inc(40.5, 2.0, &p, &q));
    assert_false(dms_dist_gamma_inc(2.0, 0.0, &p, &q));
    assert_false(dms_dist_gamma_inc(2.0, 600.0, &p, &q));
    assert_false(dms_dist_gamma_inc(2.0, NAN, &p, &q));
    assert_true(p == -1 && q == -1);
    /* The limited moments of a gamma claim (the lattices' route) agree with
     * GSL's route, including far in the tail and near the shape. */
    const dms_severity whole = {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 900.0};
    const dms_severity half = {.kind = DMS_SEV_GAMMA, .shape = 1.5, .scale = 1500.0};
    const dms_severity *sevs[] = {&whole, &half};
    for (size_t s = 0; s < 2; s++)
        for (int k = 1; k <= 2; k++) {
            double raw = dms_severity_moment(sevs[s], k);
            for (double x = 1.0; x < 1e6; x *= 1.07)
                assert_relative(dms_severity_limited_moment_fast(sevs[s], x, k, raw),
                                dms_severity_limited_moment_raw(sevs[s], x, k, raw), 1e-14);
        }
}

/* E[min(X, x)] of a lognormal in extended precision: an independent route
 * (erfcl, 64-bit mantissa) to the closed form raw Phi(z0 - s) + x Q(z0). */
static double lognormal_limited_mean_extended(const dms_severity *sev, double x)
{
    long double s = sev->sdlog;
    long double z0 = (logl((long double)x) - sev->meanlog) / s, z1 = z0 - s;
    long double raw = expl(sev->meanlog + 0.5L * s * s);
    long double root2 = sqrtl(2.0L);
    return (double)(raw * 0.5L * erfcl(-z1 / root2) + (long double)x * 0.5L * erfcl(z0 / root2));
}

/* Whether long double arithmetic really carries 64 bits: valgrind runs it
 * in double, and the extended route is then no reference. */
static bool extended_precision_works(void)
{
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    return one + tiny != one;
}

/*
 * The lattices' lognormal limited mean takes both normal tails from one
 * exponential: it agrees with extended precision and with GSL's normal CDF
 * (the route of dms_severity_limited_moment_raw) to a few ulps, from 40 sd
 * below the median to 40 sd above (where e^(-z^2/2) leaves the normal
 * numbers), across the model's shapes and beyond.
 */
static void test_lognormal_limited_mean_fast(void **state)
{
    (void)state;
    static const double meanlogs[] = {5.0, 7.5433, 8.6195, 11.1952};
    static const double sdlogs[] = {0.3, 0.5, 0.8, 1.0, 2.0, 3.0, 9.0};
    double worst_extended = 0, worst_gsl = 0;
    size_t checked = 0;
    for (size_t m = 0; m < sizeof meanlogs / sizeof meanlogs[0]; m++)
        for (size_t v = 0; v < sizeof sdlogs / sizeof sdlogs[0]; v++) {
            const dms_severity sev = {
                .kind = DMS_SEV_LOGNORMAL, .meanlog = meanlogs[m], .sdlog = sdlogs[v]};
            double raw = dms_severity_moment(&sev, 1);
            for (double z = -40.0; z <= 40.0; z += 0.00731) {
                double x = exp(sev.meanlog + sev.sdlog * z);
                double fast = dms_severity_limited_moment_fast(&sev, x, 1, raw);
                double extended = lognormal_limited_mean_extended(&sev, x);
                double gsl = dms_severity_limited_moment_raw(&sev, x, 1, raw);
                worst_extended = fmax(worst_extended, fabs(fast - extended) / extended);
                worst_gsl = fmax(worst_gsl, fabs(fast - gsl) / gsl);
                checked++;
            }
        }
    /* Measured: at most 2.2e-15 from extended precision (GSL's route: 2.7e-15),
     * the widest laws (sdlog 9) the worst; sharing e^(-z0^2/2) there too
     * gave 7.8e-15. */
    if (!extended_precision_works())
        worst_extended = 0; /* only GSL's route is a reference here */
    if (worst_extended > 3e-15 || worst_gsl > 3e-15)
        fail_msg("worst relative error %.3g against extended precision, %.3g against GSL",
                 worst_extended, worst_gsl);
    assert_true(checked > 28 * 10000);
    /* Its edges: nothing below 0, E[X] at infinity, and x at the median. */
    const dms_severity sev = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 0.9};
    double raw = dms_severity_moment(&sev, 1);
    assert_true(dms_severity_limited_moment_fast(&sev, 0.0, 1, raw) == 0.0);
    assert_true(dms_severity_limited_moment_fast(&sev, INFINITY, 1, raw) == raw);
    assert_relative(dms_severity_limited_moment_fast(&sev, exp(8.0), 1, raw),
                    lognormal_limited_mean_extended(&sev, exp(8.0)), 2e-15);
}

static void test_cdf_and_quantile(void **state)
{
    (void)state;
    double median = exp(8.0);
    assert_close(dms_severity_cdf(&lognormal, median), 0.5, 1e-12);
    assert_close(dms_severity_quantile(&lognormal, 0.5), median, 1e-12);
    double q = dms_severity_quantile(&gamma_sev, 0.99);
    assert_close(dms_severity_cdf(&gamma_sev, q), 0.99, 1e-10);
    assert_close(dms_severity_sf(&gamma_sev, q), 0.01, 1e-8);
    /* The far tail keeps relative precision. */
    double far = dms_severity_sf(&lognormal, exp(8.0 + 0.9 * 20));
    assert_true(far > 0 && far < 1e-80);
    assert_true(dms_severity_cdf(&lognormal, -5) == 0.0);
    assert_true(dms_severity_sf(&lognormal, INFINITY) == 0.0);
}

static void test_frequency_pmf_and_panjer(void **state)
{
    (void)state;
    dms_frequency poisson = {.kind = DMS_FREQ_POISSON, .mean = 3.0};
    dms_frequency negbin = {.kind = DMS_FREQ_NEGBIN, .mean = 0.6, .size = 1.5};
    const dms_frequency *all[] = {&poisson, &negbin};
    for (size_t i = 0; i < 2; i++) {
        double a, b, sum = 0.0, mean = 0.0, second = 0.0;
        dms_frequency_panjer_ab(all[i], &a, &b);
        for (unsigned n = 0; n < 200; n++) {
            double p = dms_frequency_pmf(all[i], n);
            sum += p;
            mean += n * p;
            second += (double)n * n * p;
            if (n > 0 && dms_frequency_pmf(all[i], n - 1) > 1e-200)
                assert_close(p, (a + b / n) * dms_frequency_pmf(all[i], n - 1), 1e-10);
        }
        assert_close(sum, 1.0, 1e-12);
        assert_close(mean, all[i]->mean, 1e-10);
        assert_close(second - mean * mean, dms_frequency_variance(all[i]), 1e-9);
        /* pgf(1) = 1 and pgf(0) = P(N = 0). */
        assert_close(creal(dms_frequency_pgf(all[i], 1.0)), 1.0, 1e-15);
        assert_close(creal(dms_frequency_pgf(all[i], 0.0)), dms_frequency_pmf(all[i], 0), 1e-13);
    }
    assert_close(dms_frequency_variance(&negbin), 0.6 + 0.36 / 1.5, 1e-15);
}

static void test_divide_keeps_the_law(void **state)
{
    (void)state;
    dms_frequency negbin = {.kind = DMS_FREQ_NEGBIN, .mean = 5.0, .size = 2.0};
    dms_frequency part = dms_frequency_divide(&negbin, 4);
    /* pgf of the sum of 4 parts equals the pgf of the whole. */
    double complex z = 0.3 + 0.4 * I;
    double complex whole = dms_frequency_pgf(&negbin, z);
    double complex four = cpow(dms_frequency_pgf(&part, z), 4);
    assert_close(creal(four), creal(whole), 1e-12);
    assert_close(cimag(four), cimag(whole), 1e-12);
}

/* The pgf at complex points inside the unit disc is the power series
 * sum P(N = n) z^n, for the sizes that take the square-root route (multiples
 * of 1/2) and for those that take the logarithm, and for the Poisson. */
static void test_pgf_is_the_power_series(void **state)
{
    (void)state;
    const dms_frequency freqs[] = {
        {.kind = DMS_FREQ_NEGBIN, .mean = 4.5, .size = 1.5},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.03, .size = 0.5},
        {.kind = DMS_FREQ_NEGBIN, .mean = 1.5, .size = 1.0},
        {.kind = DMS_FREQ_NEGBIN, .mean = 2.0, .size = 8.0},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.3, .size = 0.8},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.3, .size = 0.3},
        {.kind = DMS_FREQ_POISSON, .mean = 3.0},
    };
    const double complex points[] = {0.3 + 0.4 * I, -0.7 + 0.1 * I, 0.05 - 0.9 * I, 0.99,
                                     -0.5 - 0.5 * I};
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++)
        for (size_t j = 0; j < sizeof points / sizeof points[0]; j++) {
            double complex series = 0.0, power = 1.0;
            for (unsigned n = 0; n < 4000; n++) {
                series += dms_frequency_pmf(&freqs[i], n) * power;
                power *= points[j];
            }
            double complex pgf = dms_frequency_pgf(&freqs[i], points[j]);
            assert_close(creal(pgf), creal(series), 1e-12);
            assert_close(cimag(pgf), cimag(series), 1e-12);
        }
}

/* The FFT method's batch of pgf values is the pointwise pgf, bit for bit,
 * for every route (Poisson, sizes that are multiples of 1/2, others). */
static void test_pgf_array_is_pointwise(void **state)
{
    (void)state;
    const dms_frequency freqs[] = {
        {.kind = DMS_FREQ_NEGBIN, .mean = 4.5, .size = 1.5},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.03, .size = 0.5},
        {.kind = DMS_FREQ_NEGBIN, .mean = 1.5, .size = 1.0},
        {.kind = DMS_FREQ_NEGBIN, .mean = 2.0, .size = 8.0},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.3, .size = 0.8},
        {.kind = DMS_FREQ_NEGBIN, .mean = 0.3, .size = 0.3},
        {.kind = DMS_FREQ_NEGBIN, .mean = 7.0, .size = 20.0},
        {.kind = DMS_FREQ_POISSON, .mean = 3.0},
        {.kind = DMS_FREQ_POISSON, .mean = 0.0},
    };
    enum { N = 257 };
    double complex z[N], want[N];
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        for (size_t j = 0; j < N; j++) {
            double r = 1.0 - (double)j / N, a = 0.37 * (double)j;
            z[j] = r * cos(a) + I * r * sin(a);
            want[j] = dms_frequency_pgf(&freqs[i], z[j]);
        }
        dms_frequency_pgf_array(&freqs[i], z, N);
        assert_memory_equal(z, want, sizeof z);
    }
}

static void test_parse(void **state)
{
    (void)state;
    dms_frequency f;
    dms_severity s;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_frequency_parse("poisson:3.5", &f, &err), DMS_OK);
    assert_int_equal(f.kind, DMS_FREQ_POISSON);
    assert_true(f.mean == 3.5);
    assert_int_equal(dms_frequency_parse("negbin:0.05,2", &f, &err), DMS_OK);
    assert_true(f.kind == DMS_FREQ_NEGBIN && f.mean == 0.05 && f.size == 2);
    assert_int_equal(dms_severity_parse("lognormal:8,0.9", &s, &err), DMS_OK);
    assert_true(s.kind == DMS_SEV_LOGNORMAL && s.meanlog == 8 && s.sdlog == 0.9);
    assert_int_equal(dms_severity_parse("gamma:2,3000", &s, &err), DMS_OK);
    assert_true(s.kind == DMS_SEV_GAMMA && s.shape == 2 && s.scale == 3000);

    static const char *bad_freq[] = {"poisson",     "poisson:",     "poisson:x",    "poisson:1,2",
                                     "negbin:1",    "negbin:1,",    "binom:1",      ":3",
                                     "poisson:nan", "poisson:inf",  "poisson:-1",   "negbin:1,0",
                                     "poisson: 1",  "poisson:0x10", "poisson:1e999"};
    for (size_t i = 0; i < sizeof bad_freq / sizeof bad_freq[0]; i++) {
        dms_error_clear(&err);
        assert_int_not_equal(dms_frequency_parse(bad_freq[i], &f, &err), DMS_OK);
        assert_true(err.message[0] != '\0');
    }
    static const char *bad_sev[] = {"lognormal:8", "lognormal:8,0",  "lognormal:8,-1",
                                    "gamma:0,100", "gamma:2,0",      "gamma:2,3,4",
                                    "weibull:1,2", "lognormal:40,1", "lognormal:8,11"};
    for (size_t i = 0; i < sizeof bad_sev / sizeof bad_sev[0]; i++) {
        dms_error_clear(&err);
        assert_int_not_equal(dms_severity_parse(bad_sev[i], &s, &err), DMS_OK);
        assert_true(err.message[0] != '\0');
    }
}

static void test_validation_paths(void **state)
{
    (void)state;
    dms_error err;
    dms_frequency f = {.kind = DMS_FREQ_POISSON, .mean = NAN};
    dms_error_clear(&err);
    assert_int_equal(dms_frequency_validate(&f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/frequency/mean");
    f = (dms_frequency){.kind = DMS_FREQ_NEGBIN, .mean = 1, .size = INFINITY};
    dms_error_clear(&err);
    assert_int_equal(dms_frequency_validate(&f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/frequency/size");
    f = (dms_frequency){.kind = (enum dms_frequency_kind)7, .mean = 1};
    dms_error_clear(&err);
    assert_int_equal(dms_frequency_validate(&f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/frequency/family");
    dms_severity s = {.kind = DMS_SEV_LOGNORMAL, .meanlog = NAN, .sdlog = 1};
    dms_error_clear(&err);
    assert_int_equal(dms_severity_validate(&s, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/severity/meanlog");
    s = (dms_severity){.kind = DMS_SEV_LOGNORMAL, .meanlog = 1, .sdlog = 0};
    dms_error_clear(&err);
    assert_int_equal(dms_severity_validate(&s, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/severity/sdlog");
    s = (dms_severity){.kind = DMS_SEV_GAMMA, .shape = -1, .scale = 1};
    dms_error_clear(&err);
    assert_int_equal(dms_severity_validate(&s, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/severity/shape");
    s = (dms_severity){.kind = DMS_SEV_GAMMA, .shape = 1, .scale = NAN};
    dms_error_clear(&err);
    assert_int_equal(dms_severity_validate(&s, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/severity/scale");
    s = (dms_severity){.kind = (enum dms_severity_kind)9};
    dms_error_clear(&err);
    assert_int_equal(dms_severity_validate(&s, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/severity/family");
}

static void test_error_record(void **state)
{
    (void)state;
    dms_error err;
    char buf[600];
    dms_error_clear(&err);
    assert_string_equal(dms_error_format(&err, buf, sizeof buf), "no error");
    assert_int_equal(dms_error_set(&err, DMS_EINVAL, "/copay", "first"), DMS_EINVAL);
    /* The first error wins. */
    dms_error_set(&err, DMS_EPARSE, "/other", "second");
    assert_string_equal(err.message, "first");
    dms_error_prefix_path(&err, "/plan/modules/2");
    assert_string_equal(err.path, "/plan/modules/2/copay");
    assert_string_equal(dms_error_format(&err, buf, sizeof buf), "/plan/modules/2/copay: first");
    dms_error_clear(&err);
    dms_error_set_at(&err, DMS_EPARSE, "census.csv", 14, 23, "bad date");
    assert_string_equal(dms_error_format(&err, buf, sizeof buf), "census.csv:14:23: bad date");
    assert_string_equal(dms_status_name(DMS_EINVAL), "invalid_parameter");
    assert_string_equal(dms_strerror(-1), "unknown error");
    assert_string_equal(dms_status_name(1000), "unknown_error");
    assert_int_equal(dms_error_set(NULL, DMS_ENOMEM, NULL, "x"), DMS_ENOMEM);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_moments_closed_form),
        cmocka_unit_test(test_limited_moments_against_integration),
        cmocka_unit_test(test_limited_moment_edges),
        cmocka_unit_test(test_gamma_inc_closed_forms),
        cmocka_unit_test(test_lognormal_limited_mean_fast),
        cmocka_unit_test(test_cdf_and_quantile),
        cmocka_unit_test(test_frequency_pmf_and_panjer),
        cmocka_unit_test(test_divide_keeps_the_law),
        cmocka_unit_test(test_pgf_is_the_power_series),
        cmocka_unit_test(test_pgf_array_is_pointwise),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_validation_paths),
        cmocka_unit_test(test_error_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
