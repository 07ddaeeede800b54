/*
 * Per-claim payment under deductible, franchise, co-pay and limit: exact
 * moments against numerical integration of the payment function over the
 * severity density, the distribution function against its definition, the
 * price invariants, and validation errors.
 */
#include "testutil.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <stdlib.h>

#include "dms/coverage.h"

struct payment_integrand {
    const dms_severity *sev;
    const dms_coverage *cov;
    double power;
    double cap; /* min(Y, cap); INFINITY for none */
};

static double payment_of(const dms_coverage *cov, double x)
{
    double covered;
    if (cov->franchise)
        covered = x > cov->deductible ? fmin(x, cov->claim_limit) : 0.0;
    else
        covered = fmax(fmin(x, cov->claim_limit) - cov->deductible, 0.0);
    return (1 - cov->copay) * covered;
}

static double integrand(double x, void *param)
{
    const struct payment_integrand *p = param;
    double f = p->sev->kind == DMS_SEV_GAMMA
                   ? gsl_ran_gamma_pdf(x, p->sev->shape, p->sev->scale)
                   : gsl_ran_lognormal_pdf(x, p->sev->meanlog, p->sev->sdlog);
    return pow(fmin(payment_of(p->cov, x), p->cap), p->power) * f;
}

/* Integrate piecewise at the kinks (d, u) so QAGS sees smooth pieces; past
 * the limit the payment is constant, so that piece is exact. Independent of
 * the library's closed forms: only densities and quadrature. */
static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double integrate(const dms_severity *sev, const dms_coverage *cov, double power, double cap)
{
    struct payment_integrand p = {sev, cov, power, cap};
    gsl_function f = {integrand, &p};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(4000);
    double scale = pow(dms_severity_moment(sev, 1), power); /* for an absolute tolerance */
    double end =
        isfinite(cov->claim_limit) ? cov->claim_limit : dms_severity_quantile(sev, 1 - 1e-15);
    /* Breakpoints: the deductible and where the payment reaches the cap. */
    double kink = (cov->franchise ? 0 : cov->deductible) + cap / (1 - cov->copay);
    double points[4] = {0, cov->deductible, end, end};
    size_t np = 3;
    if (kink > cov->deductible && kink < end)
        points[np++] = kink;
    qsort(points, np, sizeof points[0], compare);
    double total, error;
    assert_int_equal(
        gsl_integration_qagp(&f, points, np, 1e-13 * scale, 1e-10, 4000, w, &total, &error), 0);
    double tail = 0; /* beyond the 1 - 1e-15 quantile: under 1e-9 of E[X^2] for these laws */
    if (isfinite(cov->claim_limit))
        tail = pow(fmin(payment_of(cov, end), cap), power) * dms_severity_sf(sev, end);
    gsl_integration_workspace_free(w);
    return total + tail;
}

static const dms_severity sevs[] = {
    {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.0, .sdlog = 0.9},
    {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 60000.0},
};

static dms_coverage cover(double d, bool franchise, double c, double u)
{
    return (dms_coverage){.deductible = d, .franchise = franchise, .copay = c, .claim_limit = u};
}

static void test_moments_against_integration(void **state)
{
    (void)state;
    const dms_coverage covers[] = {
        cover(0, false, 0, INFINITY),    cover(1000, false, 0, INFINITY),
        cover(1000, true, 0, INFINITY),  cover(0, false, 0.2, 30000),
        cover(2500, false, 0.3, 50000),  cover(2500, true, 0.1, 400000),
        cover(50000, true, 0.5, 200000),
    };
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof covers / sizeof covers[0]; i++) {
            double m1, m2;
            dms_payment_moments(&sevs[s], &covers[i], &m1, &m2);
            assert_close(m1, integrate(&sevs[s], &covers[i], 1, INFINITY), 1e-7);
            assert_close(m2, integrate(&sevs[s], &covers[i], 2, INFINITY), 1e-7);
            const double caps[] = {10, 1000, 5000, 1e5};
            for (size_t k = 0; k < 4; k++)
                assert_close(dms_payment_limited_mean(&sevs[s], &covers[i], caps[k]),
                             integrate(&sevs[s], &covers[i], 1, caps[k]), 1e-7);
        }
}

static void test_full_cover_is_the_severity(void **state)
{
    (void)state;
    dms_coverage full = dms_coverage_full();
    double m1, m2;
    dms_payment_moments(&sevs[0], &full, &m1, &m2);
    assert_close(m1, dms_severity_moment(&sevs[0], 1), 1e-14);
    assert_close(m2, dms_severity_moment(&sevs[0], 2), 1e-14);
    assert_true(isinf(dms_coverage_max_payment(&full)));
}

static void test_cdf(void **state)
{
    (void)state;
    dms_coverage ord = cover(1000, false, 0.2, 20000);
    const dms_severity *sev = &sevs[0];
    /* Atom at 0: every claim under the deductible. */
    assert_close(dms_payment_cdf(sev, &ord, 0), dms_severity_cdf(sev, 1000), 1e-14);
    /* Y <= y  <=>  X <= d + y / (1 - c). */
    assert_close(dms_payment_cdf(sev, &ord, 4000), dms_severity_cdf(sev, 1000 + 5000), 1e-14);
    assert_close(dms_coverage_max_payment(&ord), 0.8 * 19000, 1e-14);
    assert_true(dms_payment_cdf(sev, &ord, 0.8 * 19000) == 1.0);
    assert_true(dms_payment_cdf(sev, &ord, 0.8 * 19000 - 1) < 1.0);
    assert_true(dms_payment_cdf(sev, &ord, -1) == 0.0);

    dms_coverage fr = cover(1000, true, 0.2, 20000);
    /* Franchise: payments are either 0 or above (1 - c) d = 800. */
    assert_close(dms_payment_cdf(sev, &fr, 500), dms_severity_cdf(sev, 1000), 1e-14);
    assert_close(dms_payment_cdf(sev, &fr, 799), dms_severity_cdf(sev, 1000), 1e-14);
    assert_close(dms_payment_cdf(sev, &fr, 4000), dms_severity_cdf(sev, 5000), 1e-14);
    assert_close(dms_coverage_max_payment(&fr), 0.8 * 20000, 1e-14);
}

/* E[Y] as the single price driver of one claim. */
static double expected_payment(const dms_severity *sev, dms_coverage cov)
{
    double m1;
    dms_payment_moments(sev, &cov, &m1, NULL);
    return m1;
}

static void test_invariants(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        const dms_severity *sev = &sevs[s];
        double prev = INFINITY;
        for (double d = 0; d <= 100000; d += 2500) {
            double ordinary = expected_payment(sev, cover(d, false, 0.1, 300000));
            double franchise = expected_payment(sev, cover(d, true, 0.1, 300000));
            assert_true(ordinary <= prev);      /* higher deductible never raises */
            assert_true(franchise >= ordinary); /* franchise costs at least the same */
            prev = ordinary;
        }
        prev = INFINITY;
        for (double c = 0; c < 0.95; c += 0.05) {
            double paid = expected_payment(sev, cover(1000, false, c, 300000));
            assert_true(paid <= prev);
            prev = paid;
        }
        prev = 0;
        for (double u = 2000; u < 1e7; u *= 1.5) {
            double paid = expected_payment(sev, cover(1000, false, 0.1, u));
            assert_true(paid >= prev); /* a raised limit never lowers */
            prev = paid;
        }
        assert_true(expected_payment(sev, cover(1000, false, 0.1, INFINITY)) >= prev);
    }
}

/* The grid form of the limited expected value is the pointwise one. */
static void test_limited_mean_grid(void **state)
{
    (void)state;
    const dms_severity laws[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 8, .sdlog = 1.2},
                                 {.kind = DMS_SEV_GAMMA, .shape = 0.4, .scale = 9000}};
    const dms_coverage covs[] = {
        {.deductible = 0, .copay = 0, .claim_limit = INFINITY},
        {.deductible = 2000, .copay = 0.3, .claim_limit = 40000},
        {.deductible = 2000, .franchise = true, .copay = 0.1, .claim_limit = 40000},
    };
    double grid[300];
    for (size_t s = 0; s < 2; s++)
        for (size_t c = 0; c < 3; c++) {
            dms_payment_limited_mean_grid(&laws[s], &covs[c], 137.5, 7, 300, grid);
            for (size_t k = 0; k < 300; k++)
                assert_close(grid[k],
                             dms_payment_limited_mean(&laws[s], &covs[c], (double)(7 + k) * 137.5),
                             1e-12);
        }
}

/*
 * The memo's values are the direct route's to the bit, on a grid of
 * coverages: co-pays whose share is a power of two (served from the memo)
 * and others (not), deductibles, limits the grid reaches or not, and a
 * franchise (never served); the memo filled in the blocks a lattice asks
 * for, and asked beyond what it holds. The memo is really used: a share of
 * 1/2 after a grid without co-pay reads its values.
 */
static void test_limited_mean_grid_memo(void **state)
{
    (void)state;
    const dms_severity laws[] = {{.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.54, .sdlog = 0.8},
                                 {.kind = DMS_SEV_GAMMA, .shape = 1.5, .scale = 3000}};
    const double deductibles[] = {0, 500, 1234.5, 5000};
    const double copays[] = {0, 0.5, 0.75, 0.875, 0.1, 0.3, 0.2, 0.5000000000000001};
    const double limits[] = {INFINITY, 30000, 9000.5};
    const double spans[] = {37.3, 137.5};
    enum { N = 700, BLOCK = 64 };
    double *direct = malloc(N * sizeof *direct), *got = malloc(N * sizeof *got);
    assert_non_null(direct);
    assert_non_null(got);
    size_t served = 0;
    for (size_t s = 0; s < 2; s++)
        for (size_t d = 0; d < 4; d++)
            for (size_t l = 0; l < 3; l++)
                for (size_t h = 0; h < 2; h++)
                    for (int franchise = 0; franchise < 2; franchise++) {
                        dms_lev_memo memo;
                        dms_lev_memo_init(&memo);
                        for (size_t c = 0; c < sizeof copays / sizeof copays[0]; c++) {
                            dms_coverage cov = {.deductible = deductibles[d],
                                                .franchise = franchise != 0,
                                                .copay = copays[c],
                                                .claim_limit = limits[l]};
                            /* The co-pay-free grid is asked for a third of N
                             * only, so later grids run past the memo. */
                            size_t n = c == 0 ? N / 3 : N;
                            dms_payment_limited_mean_grid(&laws[s], &cov, spans[h], 0, n, direct);
                            for (size_t first = 0; first < n; first += BLOCK) {
                                size_t m = n - first < BLOCK + 2 ? n - first : BLOCK + 2;
                                dms_payment_limited_mean_grid_memo(&laws[s], &cov, spans[h], first,
                                                                   m, &memo, got + first);
                            }
                            assert_memory_equal(direct, got, n * sizeof *got);
                            if (c == 1 && !franchise) {
                                assert_true(memo.n >= N / 3);
                                served++;
                            }
                        }
                        if (franchise)
                            assert_int_equal(memo.n, 0);
                        dms_lev_memo_free(&memo);
                    }
    assert_true(served > 0);
    /* Another law's grid does not read the memo of the first. */
    dms_lev_memo memo;
    dms_lev_memo_init(&memo);
    dms_coverage none = {.deductible = 500, .copay = 0, .claim_limit = INFINITY};
    dms_coverage half = none;
    half.copay = 0.5;
    dms_payment_limited_mean_grid_memo(&laws[0], &none, 50, 0, N, &memo, got);
    dms_payment_limited_mean_grid_memo(&laws[1], &half, 50, 0, N, &memo, got);
    dms_payment_limited_mean_grid(&laws[1], &half, 50, 0, N, direct);
    assert_memory_equal(direct, got, N * sizeof *got);
    dms_lev_memo_free(&memo);
    dms_lev_memo_free(&memo); /* freeing an empty memo is a no-op */
    free(direct);
    free(got);
}

static void test_validation(void **state)
{
    (void)state;
    struct {
        dms_coverage cov;
        const char *path;
    } bad[] = {
        {cover(-1, false, 0, INFINITY), "/deductible"},
        {cover(NAN, false, 0, INFINITY), "/deductible"},
        {cover(0, false, 1.0, INFINITY), "/copay"},
        {cover(0, false, -0.1, INFINITY), "/copay"},
        {cover(0, false, NAN, INFINITY), "/copay"},
        {cover(1000, false, 0, 1000), "/claim_limit"},
        {cover(1000, false, 0, NAN), "/claim_limit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dms_error err;
        dms_error_clear(&err);
        assert_int_equal(dms_coverage_validate(&bad[i].cov, &err), DMS_EINVAL);
        assert_string_equal(err.path, bad[i].path);
    }
    dms_coverage ok = cover(1000, true, 0.3, 1001);
    assert_int_equal(dms_coverage_validate(&ok, NULL), DMS_OK);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moments_against_integration),
        cmocka_unit_test(test_full_cover_is_the_severity),
        cmocka_unit_test(test_cdf),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_limited_mean_grid),
        cmocka_unit_test(test_limited_mean_grid_memo),
        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
