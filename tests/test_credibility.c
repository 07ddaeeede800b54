/*
 * Tests of credibility: the limited fluctuation standard against the
 * textbook 1082 claims (p = 0.90, k = 0.05) and 1082 (1 + cv^2) for the pure
 * premium, the square-root rule on both sides of full credibility, and
 * Bühlmann–Straub on the Hachemeister (1975) data, whose structural
 * parameters and credibility premiums are published (Bühlmann and Gisler
 * 2005, and R's actuar::cm: m = 1683.71, s^2 = 139,120,026, a = 89,638.7,
 * premiums 2055.165 1523.706 1793.444 1442.967 1603.285). Every error path
 * is provoked with its pointer.
 */
#include "dms/credibility.h"

#include <math.h>
#include <string.h>

#include "testutil.h"

/* Hachemeister: average claim amounts (ratios) and claim numbers (weights)
 * of 5 US states over 12 quarters, July 1970 - June 1973. */
static const double hach_x[5][12] = {
    {1738, 1642, 1794, 2051, 2079, 2234, 2032, 2035, 2115, 2262, 2267, 2517},
    {1364, 1408, 1597, 1444, 1342, 1675, 1470, 1448, 1464, 1831, 1612, 1471},
    {1759, 1685, 1479, 1763, 1674, 2103, 1502, 1622, 1828, 2155, 2233, 2059},
    {1223, 1146, 1010, 1257, 1426, 1532, 1953, 1123, 1343, 1243, 1762, 1306},
    {1456, 1499, 1609, 1741, 1482, 1572, 1606, 1735, 1607, 1573, 1613, 1690}};
static const double hach_w[5][12] = {
    {7861, 9251, 8706, 8575, 7917, 8263, 9456, 8003, 7365, 7832, 7849, 9077},
    {1622, 1742, 1523, 1515, 1622, 1602, 1964, 1515, 1527, 1748, 1654, 1861},
    {1147, 1357, 1329, 1204, 998, 1077, 1277, 1218, 896, 1003, 1108, 1121},
    {407, 396, 348, 341, 315, 328, 352, 331, 287, 384, 321, 342},
    {2902, 3172, 3046, 3068, 2693, 2910, 3275, 2697, 2663, 3017, 3242, 3425}};

static void test_lf_standard(void **state)
{
    (void)state;
    double n;
    assert_int_equal(dms_cred_lf_standard(0.90, 0.05, 0.0, &n, NULL), DMS_OK);
    assert_close(n, 1082.217, 1e-6); /* (1.644854 / 0.05)^2 */
    assert_int_equal(dms_cred_lf_standard(0.95, 0.05, 0.0, &n, NULL), DMS_OK);
    assert_close(n, 1536.584, 1e-6); /* (1.959964 / 0.05)^2 */
    assert_int_equal(dms_cred_lf_standard(0.90, 0.05, 2.0, &n, NULL), DMS_OK);
    assert_close(n, 5 * 1082.217382, 1e-8);
}

static void test_lf_factor(void **state)
{
    (void)state;
    double z;
    assert_int_equal(dms_cred_lf_factor(270.55, 1082.2, &z, NULL), DMS_OK);
    assert_close(z, 0.5, 1e-4);
    assert_int_equal(dms_cred_lf_factor(1082.2, 1082.2, &z, NULL), DMS_OK);
    assert_true(z == 1.0);
    assert_int_equal(dms_cred_lf_factor(1082.1, 1082.2, &z, NULL), DMS_OK);
    assert_true(z < 1.0 && z > 0.9999);
    assert_int_equal(dms_cred_lf_factor(5000, 1082.2, &z, NULL), DMS_OK);
    assert_true(z == 1.0);
    assert_int_equal(dms_cred_lf_factor(0, 1082.2, &z, NULL), DMS_OK);
    assert_true(z == 0.0);
}

static void test_lf_errors(void **state)
{
    (void)state;
    double n;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_cred_lf_standard(1.0, 0.05, 0, &n, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/p");
    dms_error_clear(&err);
    assert_int_equal(dms_cred_lf_standard(0.9, 0.0, 0, &n, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/k");
    dms_error_clear(&err);
    assert_int_equal(dms_cred_lf_standard(0.9, 0.05, -1, &n, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/cv_severity");
    dms_error_clear(&err);
    assert_int_equal(dms_cred_lf_factor(-1, 10, &n, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/n");
    dms_error_clear(&err);
    assert_int_equal(dms_cred_lf_factor(1, 0, &n, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/n_full");
    assert_int_equal(dms_cred_lf_factor(1, NAN, &n, NULL), DMS_EINVAL);
}

static void test_bs_hachemeister(void **state)
{
    (void)state;
    dms_cred_bs *f = NULL;
    assert_int_equal(
        dms_cred_bs_fit(&hach_x[0][0], &hach_w[0][0], 5, 12, DMS_CRED_BS_UNBIASED, &f, NULL),
        DMS_OK);
    assert_close(f->s2, 139120026, 1e-8);
    assert_close(f->a, 89638.73, 1e-6);
    assert_close(f->k, 139120026 / 89638.73, 1e-6);
    assert_close(f->collective, 1683.713, 1e-6);
    static const double weight[5] = {100155, 19895, 13735, 4152, 36110};
    static const double mean[5] = {2060.921, 1511.224, 1805.843, 1352.976, 1599.829};
    static const double z[5] = {0.98474, 0.92764, 0.89848, 0.72791, 0.95879};
    static const double prem[5] = {2055.165, 1523.706, 1793.444, 1442.967, 1603.285};
    for (int i = 0; i < 5; i++) {
        assert_true(f->weight[i] == weight[i]);
        assert_close(f->mean[i], mean[i], 1e-6);
        assert_close(f->z[i], z[i], 1e-5);
        assert_close(f->premium[i], prem[i], 1e-6);
        /* the premium lies between the individual and the collective mean */
        assert_true((f->premium[i] - f->mean[i]) * (f->premium[i] - f->collective) <= 0);
    }
    dms_cred_bs_free(f);
}

static void test_bs_iterative_fixed_point(void **state)
{
    (void)state;
    dms_cred_bs *f = NULL;
    assert_int_equal(
        dms_cred_bs_fit(&hach_x[0][0], &hach_w[0][0], 5, 12, DMS_CRED_BS_ITERATIVE, &f, NULL),
        DMS_OK);
    assert_close(f->s2, 139120026, 1e-8);
    /* a = sum Z_i (X_i - m)^2 / (I - 1) at the fixed point, m = sum Z X / sum Z */
    double acc = 0, sz = 0, szx = 0;
    for (int i = 0; i < 5; i++) {
        acc += f->z[i] * (f->mean[i] - f->collective) * (f->mean[i] - f->collective);
        sz += f->z[i];
        szx += f->z[i] * f->mean[i];
        assert_close(f->z[i], f->weight[i] / (f->weight[i] + f->s2 / f->a), 1e-12);
    }
    assert_close(f->a, acc / 4, 1e-9);
    assert_close(f->collective, szx / sz, 1e-12);
    assert_true(f->a < 89638.73); /* the pseudo-estimator is smaller here */
    dms_cred_bs_free(f);
}

static void test_bs_no_heterogeneity(void **state)
{
    (void)state;
    /* identical risks: a is truncated at 0, Z = 0, everyone gets the mean */
    double x[2][3] = {{10, 12, 8}, {12, 8, 10}};
    double w[2][3] = {{1, 1, 1}, {1, 1, 1}};
    dms_cred_bs *f = NULL;
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 3, DMS_CRED_BS_UNBIASED, &f, NULL),
                     DMS_OK);
    assert_true(f->a == 0.0);
    assert_true(isinf(f->k));
    assert_true(f->z[0] == 0.0 && f->z[1] == 0.0);
    assert_close(f->premium[0], 10.0, 1e-12);
    assert_close(f->premium[1], 10.0, 1e-12);
    dms_cred_bs_free(f);
    double z;
    assert_int_equal(dms_cred_bs_factor(100, INFINITY, &z, NULL), DMS_OK);
    assert_true(z == 0.0);
    assert_int_equal(dms_cred_bs_factor(100, 100, &z, NULL), DMS_OK);
    assert_close(z, 0.5, 1e-15);
}

static void test_bs_missing_cells(void **state)
{
    (void)state;
    /* a weight of 0 removes the cell: its NaN ratio is ignored */
    double x[5][12];
    double w[5][12];
    memcpy(x, hach_x, sizeof x);
    memcpy(w, hach_w, sizeof w);
    dms_cred_bs *full = NULL, *f = NULL;
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 5, 12, 0, &full, NULL), DMS_OK);
    x[3][11] = NAN;
    w[3][11] = 0;
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 5, 12, 0, &f, NULL), DMS_OK);
    assert_true(f->weight[3] == 4152 - 342);
    assert_true(f->s2 != full->s2);
    dms_cred_bs_free(f);
    dms_cred_bs_free(full);
}

static void test_bs_errors(void **state)
{
    (void)state;
    double x[2][2] = {{1, 2}, {3, 4}};
    double w[2][2] = {{1, 1}, {1, 1}};
    dms_cred_bs *f = (dms_cred_bs *)&f;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 1, 2, 0, &f, &err), DMS_EINVAL);
    assert_null(f);
    assert_string_equal(err.path, "/ratios");
    w[1][0] = -1;
    dms_error_clear(&err);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 2, 0, &f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/weights/1/0");
    w[1][0] = 1;
    x[0][1] = INFINITY;
    dms_error_clear(&err);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 2, 0, &f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/ratios/0/1");
    x[0][1] = 2;
    w[1][0] = w[1][1] = 0;
    dms_error_clear(&err);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 2, 0, &f, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/weights/1");
    /* one period per risk: no within variance */
    dms_error_clear(&err);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 1, 0, &f, &err), DMS_EINVAL);
    assert_int_equal(dms_cred_bs_fit(&x[0][0], &w[0][0], 2, 2, 7, &f, &err), DMS_EINVAL);
    dms_cred_bs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lf_standard),
        cmocka_unit_test(test_lf_factor),
        cmocka_unit_test(test_lf_errors),
        cmocka_unit_test(test_bs_hachemeister),
        cmocka_unit_test(test_bs_iterative_fixed_point),
        cmocka_unit_test(test_bs_no_heterogeneity),
        cmocka_unit_test(test_bs_missing_cells),
        cmocka_unit_test(test_bs_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
