/*
 * Lattice machinery: discretisation, Panjer's recursion, FFT compounding,
 * convolution powers and summaries, checked against distributions whose
 * lattice law is known exactly (a claim of exactly one span makes S = N).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#include "dms/lattice.h"

/* Claims of exactly one unit: S = N on the lattice. */
static void check_count_law(const dms_frequency *freq, size_t n, bool fft)
{
    double fy[2] = {0.0, 1.0};
    double *fs = calloc(n, sizeof *fs);
    dms_error err;
    dms_error_clear(&err);
    if (fft)
        assert_int_equal(dms_compound_fft(freq, fy, 2, fs, n, &err), DMS_OK);
    else
        assert_int_equal(dms_compound_panjer(freq, fy, 2, fs, n, &err), DMS_OK);
    for (size_t k = 0; k < n; k++) {
        /* FFT round-off is absolute (about 1e-16 x e^TILT), not relative. */
        double expected = dms_frequency_pmf(freq, (unsigned)k);
        assert_abs_close(fs[k], expected, 1e-8 * expected + 1e-12);
    }
    free(fs);
}

static void test_panjer_gives_count_law(void **state)
{
    (void)state;
    dms_frequency poisson = {.kind = DMS_FREQ_POISSON, .mean = 3.0};
    dms_frequency negbin = {.kind = DMS_FREQ_NEGBIN, .mean = 4.0, .size = 1.7};
    check_count_law(&poisson, 64, false);
    check_count_law(&negbin, 128, false);
    check_count_law(&poisson, 64, true);
    check_count_law(&negbin, 256, true);
}

static void test_panjer_large_mean_does_not_underflow(void **state)
{
    (void)state;
    /* e^-900 underflows; the recursion must split the count and square. */
    dms_frequency poisson = {.kind = DMS_FREQ_POISSON, .mean = 900.0};
    dms_frequency negbin = {.kind = DMS_FREQ_NEGBIN, .mean = 900.0, .size = 400.0};
    check_count_law(&poisson, 2048, false);
    check_count_law(&negbin, 4096, false);
}

static void test_panjer_matches_fft(void **state)
{
    (void)state;
    dms_severity sev = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 0.9};
    dms_coverage cov = {.deductible = 500, .copay = 0.2, .claim_limit = 60000};
    dms_frequency freqs[] = {{.kind = DMS_FREQ_POISSON, .mean = 3.0},
                             {.kind = DMS_FREQ_NEGBIN, .mean = 2.0, .size = 0.8}};
    size_t n = 8192;
    double span = 40.0;
    double *fy = calloc(n, sizeof *fy), *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    assert_int_equal(dms_discretize_payment(&sev, &cov, span, DMS_DISC_ROUNDING, fy, n, NULL),
                     DMS_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(dms_compound_panjer(&freqs[i], fy, n, a, n, NULL), DMS_OK);
        assert_int_equal(dms_compound_fft(&freqs[i], fy, n, b, n, NULL), DMS_OK);
        for (size_t k = 0; k < n; k++)
            assert_abs_close(a[k], b[k], 1e-11);
        assert_close(dms_lattice_mass(a, n), 1.0, 1e-9);
    }
    free(fy);
    free(a);
    free(b);
}

/* A kept transform gives the very doubles of a fresh one, for each of the
 * frequencies compounded on it, on the threads' arrays (n = 1024) and on
 * arrays of its own (n = 2^17); a NULL spectrum is dms_compound_fft. */
static void test_kept_spectrum_is_the_fresh_one(void **state)
{
    (void)state;
    dms_severity sev = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.0, .sdlog = 1.1};
    dms_coverage cov = {.deductible = 1000, .copay = 0.3, .claim_limit = INFINITY};
    dms_frequency freqs[] = {{.kind = DMS_FREQ_NEGBIN, .mean = 4.0, .size = 0.8},
                             {.kind = DMS_FREQ_POISSON, .mean = 2.5},
                             {.kind = DMS_FREQ_NEGBIN, .mean = 6.0, .size = 1.5}};
    const size_t lengths[] = {1024, (size_t)1 << 17};
    for (size_t l = 0; l < 2; l++) {
        size_t n = lengths[l], ny = n / 2 + 3;
        double *fy = calloc(n, sizeof *fy), *spectrum = calloc(n + 2, sizeof *spectrum);
        double *fresh = calloc(n, sizeof *fresh), *kept = calloc(n, sizeof *kept);
        assert_int_equal(
            dms_discretize_payment(&sev, &cov, 1e6 / (double)n, DMS_DISC_MOMENT, fy, ny, NULL),
            DMS_OK);
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(dms_compound_fft(&freqs[i], fy, ny, fresh, n, NULL), DMS_OK);
            assert_int_equal(
                dms_compound_fft_kept(&freqs[i], fy, ny, spectrum, i == 0, kept, n, NULL), DMS_OK);
            assert_memory_equal(fresh, kept, n * sizeof *kept);
            assert_close(dms_lattice_mass(kept, n), 1.0, 1e-4);
        }
        free(fy);
        free(spectrum);
        free(fresh);
        free(kept);
    }
}

static void test_discretization(void **state)
{
    (void)state;
    dms_severity sev = {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 3000.0};
    dms_coverage cov = {.deductible = 1000, .copay = 0.1, .claim_limit = 40000};
    size_t n = 2000;
    double span = 25.0, m1;
    double *f = calloc(n, sizeof *f);
    dms_payment_moments(&sev, &cov, &m1, NULL);
    /* Moment matching keeps E[Y] exactly once the grid covers the maximum. */
    assert_int_equal(dms_discretize_payment(&sev, &cov, span, DMS_DISC_MOMENT, f, n, NULL), DMS_OK);
    assert_close(dms_lattice_mass(f, n), 1.0, 1e-12);
    assert_close(dms_lattice_mean(f, n, span), m1, 1e-10);
    /* Rounding: the atom at 0 is P(X <= d + h/2/(1-c)), mean close. */
    assert_int_equal(dms_discretize_payment(&sev, &cov, span, DMS_DISC_ROUNDING, f, n, NULL),
                     DMS_OK);
    assert_close(f[0], dms_severity_cdf(&sev, 1000 + 12.5 / 0.9), 1e-12);
    assert_close(dms_lattice_mass(f, n), 1.0, 1e-12);
    assert_close(dms_lattice_mean(f, n, span), m1, 1e-3);
    for (size_t k = 0; k < n; k++)
        assert_true(f[k] >= 0);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_discretize_payment(&sev, &cov, 0, DMS_DISC_ROUNDING, f, n, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/span");
    dms_error_clear(&err);
    assert_int_equal(dms_discretize_payment(&sev, &cov, NAN, DMS_DISC_MOMENT, f, n, &err),
                     DMS_EINVAL);
    dms_error_clear(&err);
    assert_int_equal(dms_discretize_payment(&sev, &cov, 1, DMS_DISC_MOMENT, f, 0, &err),
                     DMS_EINVAL);
    free(f);
}

static void test_power_is_binomial(void **state)
{
    (void)state;
    size_t n = 1024;
    double *f = calloc(n, sizeof *f);
    f[0] = 0.7;
    f[1] = 0.3;
    assert_int_equal(dms_lattice_power(f, n, 500, f, NULL), DMS_OK);
    for (unsigned k = 0; k <= 500; k++) {
        double expected = gsl_ran_binomial_pdf(k, 0.3, 500);
        assert_abs_close(f[k], expected, 1e-8 * expected + 1e-12);
    }
    assert_close(dms_lattice_mean(f, n, 1.0), 150.0, 1e-9);
    assert_close(dms_lattice_variance(f, n, 1.0), 105.0, 1e-6);
    assert_int_equal(dms_lattice_power(f, n, 0, f, NULL), DMS_OK);
    assert_true(f[0] == 1.0 && f[1] == 0.0);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_lattice_power(f, 1000, 2, f, &err), DMS_EINVAL);
    dms_error_clear(&err);
    assert_int_equal(dms_compound_fft(&(dms_frequency){.mean = 1}, f, 2, f, 100, &err), DMS_EINVAL);
    dms_error_clear(&err);
    assert_int_equal(dms_compound_panjer(&(dms_frequency){.mean = 1}, f, 0, f, 10, &err),
                     DMS_EINVAL);
    free(f);
}

static void test_convolve(void **state)
{
    (void)state;
    double a[4] = {0.5, 0.5, 0, 0}, b[4] = {0.25, 0.25, 0.5, 0}, out[4];
    assert_int_equal(dms_lattice_convolve(a, b, 4, out, NULL), DMS_OK);
    assert_abs_close(out[0], 0.125, 1e-15);
    assert_abs_close(out[1], 0.25, 1e-15);
    assert_abs_close(out[2], 0.375, 1e-15);
    assert_abs_close(out[3], 0.25, 1e-15);
    /* In place. */
    assert_int_equal(dms_lattice_convolve(a, a, 4, a, NULL), DMS_OK);
    assert_abs_close(a[2], 0.25, 1e-15);
}

static void test_summaries(void **state)
{
    (void)state;
    /* Points 0, 10, 20, 30 with masses .4 .3 .2 .1 */
    double f[4] = {0.4, 0.3, 0.2, 0.1};
    double h = 10.0;
    assert_close(dms_lattice_mean(f, 4, h), 10.0, 1e-15);
    assert_close(dms_lattice_variance(f, 4, h), 100.0, 1e-13);
    /* E[min(S, 15)] = 0*.4 + 10*.3 + 15*.3 = 7.5 */
    assert_close(dms_lattice_limited_mean(f, 4, h, 15), 7.5, 1e-15);
    /* A limit on a grid point: min(S, 20) = 0*.4+10*.3+20*.3 = 9 */
    assert_close(dms_lattice_limited_mean(f, 4, h, 20), 9.0, 1e-15);
    assert_close(dms_lattice_limited_mean(f, 4, h, INFINITY), 10.0, 1e-15);
    assert_close(dms_lattice_exceed(f, 4, h, 20), 0.1, 1e-14);
    assert_close(dms_lattice_exceed(f, 4, h, 15), 0.3, 1e-14);
    assert_true(dms_lattice_exceed(f, 4, h, INFINITY) == 0.0);
    assert_true(dms_lattice_quantile(f, 4, h, 0.4) == 0.0);
    assert_true(dms_lattice_quantile(f, 4, h, 0.5) == 10.0);
    assert_true(dms_lattice_quantile(f, 4, h, 0.7) == 10.0);
    assert_true(dms_lattice_quantile(f, 4, h, 0.95) == 30.0);
    /* Truncated mass lies above every point. */
    double g[2] = {0.5, 0.3};
    assert_true(isinf(dms_lattice_quantile(g, 2, h, 0.9)));
    assert_close(dms_lattice_limited_mean(g, 2, h, 15), 0.3 * 10 + 0.2 * 15, 1e-15);
    assert_close(dms_lattice_exceed(g, 2, h, 10), 0.2, 1e-14);
    assert_int_equal(dms_next_pow2(1000), 1024);
    assert_int_equal(dms_next_pow2(1024), 1024);
    assert_int_equal(dms_next_pow2(1), 1);
}

/* A sum of terms, one on a coarser lattice (stride 2), equals the sum of
 * every combination of outcomes enumerated by hand; the sum's residues on
 * its circle are exact. */
static void test_sum_with_a_stride(void **state)
{
    (void)state;
    double a_pmf[2] = {0.5, 0.5}, b_pmf[2] = {0.25, 0.75};
    dms_placed a = {.span = 10.0, .offset = 3, .n = 2, .pmf = a_pmf}; /* 30 or 40 */
    dms_placed b = {.span = 20.0, .offset = 1, .n = 2, .pmf = b_pmf}; /* 20 or 40 */
    dms_sum_term terms[2] = {{&a, 3, 1}, {&b, 2, 2}};
    dms_placed sum = {0};
    assert_int_equal(dms_lattice_sum(terms, 2, &sum, NULL), DMS_OK);
    assert_true(fabs(sum.span - 10.0) < 1e-12);
    double expected[64] = {0};
    for (int mask = 0; mask < 32; mask++) {
        int index = 0;
        double p = 1.0;
        for (int i = 0; i < 3; i++) {
            int hi = (mask >> i) & 1;
            index += 3 + hi;
            p *= a_pmf[hi];
        }
        for (int i = 3; i < 5; i++) {
            int hi = (mask >> i) & 1;
            index += 2 * (1 + hi);
            p *= b_pmf[hi];
        }
        expected[index] += p;
    }
    double total = 0.0;
    for (size_t k = 0; k < sum.n; k++) {
        long index = sum.offset + (long)k;
        double want = index >= 0 && index < 64 ? expected[index] : 0.0;
        assert_true(fabs(sum.pmf[k] - want) < 1e-14);
        total += sum.pmf[k];
    }
    assert_true(fabs(total - 1.0) < 1e-14);
    dms_placed_free(&sum);
    /* A span that is not a whole multiple is refused. */
    b.span = 25.0;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_lattice_sum(terms, 2, &sum, &err), DMS_EINVAL);
}

/* The one-pass moments are the very doubles of dms_placed_mean and
 * dms_placed_variance. */
static void test_placed_moments(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 17);
    for (int trial = 0; trial < 20; trial++) {
        dms_placed p = {0.5 + gsl_rng_uniform(rng), (long)gsl_rng_uniform_int(rng, 1000) - 300,
                        1 + gsl_rng_uniform_int(rng, 3000), NULL};
        p.pmf = calloc(p.n, sizeof *p.pmf);
        for (size_t k = 0; k < p.n; k++)
            p.pmf[k] = gsl_rng_uniform(rng) / (double)p.n;
        double mean, variance;
        dms_placed_moments(&p, &mean, &variance);
        double mean1 = dms_placed_mean(&p), variance1 = dms_placed_variance(&p);
        assert_memory_equal(&mean, &mean1, sizeof mean);
        assert_memory_equal(&variance, &variance1, sizeof variance);
        dms_placed_free(&p);
    }
    gsl_rng_free(rng);
}

/* Rebinning, checked against the rule written point by point into memory
 * (each mass split between the two nearest new points, keeping its mean):
 * the same doubles, onto coarser and onto finer spans. */
static void test_rebin_point_by_point(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 29);
    const double ratios[] = {7.3, 2.0, 1.0, 0.37, 0.05};
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
        dms_placed in = {1.25, 40, 1500, NULL};
        in.pmf = calloc(in.n, sizeof *in.pmf);
        for (size_t k = 0; k < in.n; k++)
            in.pmf[k] = gsl_rng_uniform(rng) / (double)in.n;
        dms_placed out;
        assert_int_equal(dms_placed_rebin(&in, in.span * ratios[r], &out, NULL), DMS_OK);
        double *expected = calloc(out.n, sizeof *expected);
        for (size_t k = 0; k < in.n; k++) {
            double position = ((double)in.offset + (double)k) * in.span / out.span;
            double base = floor(position), share = position - base;
            size_t j = (size_t)((long)base - out.offset);
            if (j + 1 >= out.n) {
                expected[out.n - 1] += in.pmf[k];
                continue;
            }
            expected[j] += in.pmf[k] * (1.0 - share);
            expected[j + 1] += in.pmf[k] * share;
        }
        assert_memory_equal(out.pmf, expected, out.n * sizeof *expected);
        double in_mean, in_variance, out_mean, out_variance;
        dms_placed_moments(&in, &in_mean, &in_variance);
        dms_placed_moments(&out, &out_mean, &out_variance);
        assert_true(fabs(out_mean - in_mean) < 1e-9 * in_mean);
        free(expected);
        dms_placed_free(&out);
        dms_placed_free(&in);
    }
    gsl_rng_free(rng);
}

/* Forty terms of 50 Bernoulli(0.3) people each: Binomial(2000, 0.3), whose
 * transform underflows at most frequencies after a few terms (the later
 * terms see only the frequencies still alive). */
static void test_sum_of_many_terms_is_binomial(void **state)
{
    (void)state;
    double pmf[2] = {0.7, 0.3};
    dms_placed person = {1.0, 0, 2, pmf};
    dms_sum_term terms[40];
    for (int i = 0; i < 40; i++)
        terms[i] = (dms_sum_term){&person, 50, 1};
    dms_placed sum;
    assert_int_equal(dms_lattice_sum(terms, 40, &sum, NULL), DMS_OK);
    for (size_t k = 0; k < sum.n; k++) {
        long x = sum.offset + (long)k;
        double expected = x >= 0 && x <= 2000 ? gsl_ran_binomial_pdf((unsigned)x, 0.3, 2000) : 0.0;
        assert_true(fabs(sum.pmf[k] - expected) < 1e-13);
    }
    dms_placed_free(&sum);
}

/* f^count on [0, n) by repeated squaring of linear (zero-padded)
 * convolutions: no window, no tilt, nothing folded. */
static double *power_by_squaring(const double *f, size_t len, unsigned count, size_t n)
{
    double *result = calloc(n, sizeof *result), *square = calloc(n, sizeof *square);
    result[0] = 1.0;
    memcpy(square, f, len * sizeof *f);
    for (; count > 0; count >>= 1) {
        if (count & 1)
            assert_int_equal(dms_lattice_convolve(result, square, n, result, NULL), DMS_OK);
        if (count > 1)
            assert_int_equal(dms_lattice_convolve(square, square, n, square, NULL), DMS_OK);
    }
    free(square);
    return result;
}

/*
 * A sum of many terms whose support is far wider than its window, on the
 * narrow tilted circle: 200 people whose claims fall off exponentially and
 * 180 with a power-law tail, each against the same sum by repeated linear
 * convolution (no window, no tilt). The distribution functions agree
 * within 1e-11 over the window (measured: 2e-13), and the quantiles a
 * quote shows are the same points. (The fallback onto the wide circle is
 * taken by the 60-person quote of test_quote.)
 */
static void test_windowed_sum_matches_convolution(void **state)
{
    (void)state;
    enum { LEN = 400 };
    double light[LEN], heavy[LEN], total_light = 0.0, total_heavy = 0.0;
    for (int k = 0; k < LEN; k++) {
        light[k] = exp(-k / 30.0);
        /* Nobody below 60: the window starts far above the lowest sum. */
        heavy[k] = k < 60 ? 0.0 : 1.0 / pow(k - 52.0, 3.0);
        total_light += light[k];
        total_heavy += heavy[k];
    }
    for (int k = 0; k < LEN; k++) {
        light[k] /= total_light;
        heavy[k] /= total_heavy;
    }
    struct {
        double *pmf;
        unsigned people;
    } cases[] = {{light, 200}, {heavy, 180}};
    for (size_t c = 0; c < 2; c++) {
        dms_placed person = {1.0, 0, LEN, cases[c].pmf};
        dms_sum_term *terms = calloc(cases[c].people, sizeof *terms);
        for (unsigned i = 0; i < cases[c].people; i++)
            terms[i] = (dms_sum_term){&person, 1, 1};
        dms_placed sum;
        assert_int_equal(dms_lattice_sum(terms, cases[c].people, &sum, NULL), DMS_OK);
        size_t n = (size_t)LEN * cases[c].people;
        assert_true(sum.n < n); /* a window, not the whole support */
        double *exact = power_by_squaring(cases[c].pmf, LEN, cases[c].people, n);
        double below = 0.0;
        for (long x = 0; x < sum.offset; x++)
            below += exact[x];
        double cdf = below, exact_cdf = below, worst = 0.0;
        for (size_t k = 0; k < sum.n; k++) {
            cdf += sum.pmf[k];
            exact_cdf += exact[sum.offset + (long)k];
            worst = fmax(worst, fabs(cdf - exact_cdf));
        }
        assert_true(worst < 1e-11);
        dms_placed exact_placed = {1.0, 0, n, exact};
        for (int i = 0; i < 5; i++) {
            const double levels[5] = {0.5, 0.75, 0.9, 0.95, 0.99};
            assert_true(dms_placed_quantile(&sum, levels[i]) ==
                        dms_placed_quantile(&exact_placed, levels[i]));
        }
        free(exact);
        free(terms);
        dms_placed_free(&sum);
    }
}

/*
 * A lattice continued after the first points of a shorter one is the
 * lattice made from scratch, to the bit: prefixes inside and across the
 * blocks of limited means, a law exhausted before the prefix ends (a light
 * gamma on a wide span) and one that is not, with and without a memo. The
 * co-pay of 1/2 after one without, through a memo, is the direct lattice too.
 */
static void test_discretize_continued(void **state)
{
    (void)state;
    const dms_severity laws[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.5, .sdlog = 0.8},
                                 {.kind = DMS_SEV_GAMMA, .shape = 2, .scale = 300}};
    const dms_coverage covs[] = {{.deductible = 500, .copay = 0, .claim_limit = INFINITY},
                                 {.deductible = 500, .copay = 0.5, .claim_limit = INFINITY},
                                 {.deductible = 0, .copay = 0.3, .claim_limit = 40000}};
    const double spans[] = {41.7, 400};
    const size_t prefixes[] = {2, 3, 255, 256, 257, 258, 700, 1999};
    enum { N = 2000 };
    double *direct = malloc(N * sizeof *direct), *f = malloc(N * sizeof *f);
    assert_non_null(direct);
    assert_non_null(f);
    for (size_t s = 0; s < 2; s++)
        for (size_t h = 0; h < 2; h++) {
            dms_lev_memo memo;
            dms_lev_memo_init(&memo);
            for (size_t c = 0; c < 3; c++) {
                assert_int_equal(dms_discretize_payment(&laws[s], &covs[c], spans[h],
                                                        DMS_DISC_MOMENT, direct, N, NULL),
                                 DMS_OK);
                assert_int_equal(dms_discretize_payment_memo(&laws[s], &covs[c], spans[h],
                                                             DMS_DISC_MOMENT, &memo, f, 0, N, NULL),
                                 DMS_OK);
                assert_memory_equal(direct, f, N * sizeof *f);
                for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
                    memset(f, 0xff, N * sizeof *f); /* NaNs past the prefix */
                    memcpy(f, direct, prefixes[p] * sizeof *f);
                    assert_int_equal(dms_discretize_payment_memo(&laws[s], &covs[c], spans[h],
                                                                 DMS_DISC_MOMENT, NULL, f,
                                                                 prefixes[p], N, NULL),
                                     DMS_OK);
                    assert_memory_equal(direct, f, N * sizeof *f);
                }
            }
            dms_lev_memo_free(&memo);
        }
    free(direct);
    free(f);
}

/* dms_placed_coarsen gives dms_placed_rebin's layout and, within round-off,
 * its masses (and so its mean), for spans 2 to 100 times coarser; at a
 * ratio it does not take (a finer span) it is dms_placed_rebin itself. */
static void test_coarsen_matches_rebin(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31);
    const double ratios[] = {2.0, 2.7, 20.0, 100.0, 1.3, 0.4};
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
        dms_placed in = {1.25, 40, 3000, NULL};
        in.pmf = calloc(in.n, sizeof *in.pmf);
        for (size_t k = 0; k < in.n; k++)
            in.pmf[k] = gsl_rng_uniform(rng) / (double)in.n;
        dms_placed a, b;
        assert_int_equal(dms_placed_rebin(&in, in.span * ratios[r], &a, NULL), DMS_OK);
        assert_int_equal(dms_placed_coarsen(&in, in.span * ratios[r], &b, NULL), DMS_OK);
        assert_true(a.offset == b.offset && a.n == b.n && a.span == b.span);
        if (ratios[r] < 2.0)
            assert_memory_equal(a.pmf, b.pmf, a.n * sizeof *a.pmf);
        for (size_t k = 0; k < a.n; k++)
            assert_abs_close(b.pmf[k], a.pmf[k], 1e-15);
        double in_mean, in_variance, mean, variance;
        dms_placed_moments(&in, &in_mean, &in_variance);
        dms_placed_moments(&b, &mean, &variance);
        assert_close(mean, in_mean, 1e-12);
        dms_placed_free(&a);
        dms_placed_free(&b);
        dms_placed_free(&in);
    }
    gsl_rng_free(rng);
}

/* The normal N(0, v) sampled on the integers (its variance is v within
 * 1e-30 for v >= 10). */
static dms_placed sampled_normal(double v)
{
    long half = (long)ceil(12 * sqrt(v));
    dms_placed g = {1.0, -half, (size_t)(2 * half + 1), NULL};
    g.pmf = calloc(g.n, sizeof *g.pmf);
    double total = 0.0;
    for (size_t k = 0; k < g.n; k++) {
        double x = (double)(g.offset + (long)k);
        total += g.pmf[k] = exp(-x * x / (2 * v));
    }
    for (size_t k = 0; k < g.n; k++)
        g.pmf[k] /= total;
    return g;
}

/*
 * dms_lattice_sum_sharpened takes a normal spread back out: Binomial(2000,
 * 0.3) plus an independent sampled N(0, 40), summed with that variance
 * taken back, is the binomial again within 1e-9 at every point, on the
 * narrow tilted circle (41 terms) and on the wide one (2 terms) (measured:
 * 4e-14); without taking it back the two differ by 9e-4 at the mode.
 */
static void test_sharpened_sum_takes_back_a_normal(void **state)
{
    (void)state;
    double pmf[2] = {0.7, 0.3};
    dms_placed person = {1.0, 0, 2, pmf};
    dms_placed spread = sampled_normal(40.0);
    double unused_mean, v;
    dms_placed_moments(&spread, &unused_mean, &v);
    assert_close(v, 40.0, 1e-12);
    dms_sum_term narrow[41], wide[2] = {{&person, 2000, 1}, {&spread, 1, 1}};
    for (int i = 0; i < 40; i++)
        narrow[i] = (dms_sum_term){&person, 50, 1};
    narrow[40] = (dms_sum_term){&spread, 1, 1};
    struct {
        dms_sum_term *terms;
        size_t n;
    } cases[] = {{narrow, 41}, {wide, 2}};
    for (size_t c = 0; c < 2; c++) {
        dms_placed sum, blurred;
        assert_int_equal(dms_lattice_sum_sharpened(cases[c].terms, cases[c].n, v, &sum, NULL),
                         DMS_OK);
        assert_int_equal(dms_lattice_sum(cases[c].terms, cases[c].n, &blurred, NULL), DMS_OK);
        double worst = 0.0, blur = 0.0;
        for (size_t k = 0; k < sum.n; k++) {
            long x = sum.offset + (long)k;
            double expected =
                x >= 0 && x <= 2000 ? gsl_ran_binomial_pdf((unsigned)x, 0.3, 2000) : 0.0;
            worst = fmax(worst, fabs(sum.pmf[k] - expected));
        }
        for (size_t k = 0; k < blurred.n; k++) {
            long x = blurred.offset + (long)k;
            double expected =
                x >= 0 && x <= 2000 ? gsl_ran_binomial_pdf((unsigned)x, 0.3, 2000) : 0.0;
            blur = fmax(blur, fabs(blurred.pmf[k] - expected));
        }
        assert_true(worst < 1e-9);
        assert_true(blur > 5e-4);
        dms_placed_free(&sum);
        dms_placed_free(&blurred);
    }
    dms_placed_free(&spread);
}

/*
 * dms_placed_quantile_smooth reads the quantiles of a smooth law moved onto
 * a lattice: N(0, 1) on a span of 1/1000, moved onto a span of 1/10 by the
 * mean-keeping split, gives its P50..P99 within span^2 |z| / 6 (measured:
 * 3e-3 at P99), where the smallest lattice point with F >= p is up to half
 * a span off (measured: 0.045).
 */
static void test_quantile_smooth(void **state)
{
    (void)state;
    double fine_span = 1e-3;
    dms_placed fine = {fine_span, -8000, 16001, NULL};
    fine.pmf = calloc(fine.n, sizeof *fine.pmf);
    for (size_t k = 0; k < fine.n; k++) {
        double x = (double)(fine.offset + (long)k) * fine_span;
        fine.pmf[k] =
            gsl_cdf_ugaussian_P(x + fine_span / 2) - gsl_cdf_ugaussian_P(x - fine_span / 2);
    }
    dms_placed coarse;
    assert_int_equal(dms_placed_rebin(&fine, 0.1, &coarse, NULL), DMS_OK);
    const double levels[] = {0.5, 0.75, 0.9, 0.95, 0.99};
    double plain_worst = 0.0;
    for (size_t i = 0; i < 5; i++) {
        double exact = gsl_cdf_ugaussian_Pinv(levels[i]);
        plain_worst = fmax(plain_worst, fabs(dms_placed_quantile(&coarse, levels[i]) - exact));
    }
    assert_true(plain_worst > 0.02);
    assert_true(isinf(dms_placed_quantile_smooth(&coarse, 2.0)));
    dms_placed_free(&coarse);
    dms_placed_free(&fine);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discretize_continued),
        cmocka_unit_test(test_panjer_gives_count_law),
        cmocka_unit_test(test_panjer_large_mean_does_not_underflow),
        cmocka_unit_test(test_panjer_matches_fft),
        cmocka_unit_test(test_kept_spectrum_is_the_fresh_one),
        cmocka_unit_test(test_discretization),
        cmocka_unit_test(test_power_is_binomial),
        cmocka_unit_test(test_convolve),
        cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_sum_with_a_stride),
        cmocka_unit_test(test_placed_moments),
        cmocka_unit_test(test_rebin_point_by_point),
        cmocka_unit_test(test_sum_of_many_terms_is_binomial),
        cmocka_unit_test(test_windowed_sum_matches_convolution),
        cmocka_unit_test(test_coarsen_matches_rebin),
        cmocka_unit_test(test_sharpened_sum_takes_back_a_normal),
        cmocka_unit_test(test_quantile_smooth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
