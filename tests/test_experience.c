/*
 * Experience rating on a group built by hand, where every figure can be
 * computed on paper: 100 men aged 40 attached all of 2025, 300 outpatient
 * claims of 3,000 RUB (so CV = 0) and 30 dental claims of 8,000 RUB. The
 * observed rates, the trend to 2026, the manual rate from the model, the
 * limited-fluctuation and Bühlmann–Straub credibility factors, the blend and
 * the adjusted model are checked against their formulas.
 */
#include "testutil.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "dms/experience.h"

static dms_model *model;
static dms_membership *membership;
static dms_register *reg;
static char ids[100][16];

static long D(int y, int m, int d)
{
    return dms_claims_days(y, m, d);
}

static int setup(void **state)
{
    (void)state;
    if (dms_model_load_file("models/ru-2026.json", &model, NULL) != DMS_OK)
        return -1;
    dms_member members[100];
    memset(members, 0, sizeof members);
    for (int i = 0; i < 100; i++) {
        snprintf(ids[i], sizeof ids[i], "E%03d", i);
        members[i].employee_id = ids[i];
        members[i].policy_id = members[i].department = members[i].segment = "";
        members[i].relation = DMS_RELATION_EMPLOYEE;
        members[i].sex = DMS_SEX_MALE;
        members[i].birth_day = D(1985, 6, 15); /* 40 at 2026-01-01: band 40-49 */
        members[i].attach_day = D(2025, 1, 1);
        members[i].detach_day = D(2025, 12, 31);
    }
    if (dms_membership_build(members, 100, &membership) != DMS_OK || dms_register_alloc(&reg) != DMS_OK)
        return -1;
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.birth_day = LONG_MIN;
    l.status = DMS_CLAIM_PAID;
    l.clinic = l.policy_id = "";
    char id[32];
    for (int c = 0; c < 330; c++) {
        snprintf(id, sizeof id, "C%d", c);
        l.claim_id = id;
        l.employee_id = ids[c % 100];
        bool dental = c >= 300;
        l.category = l.module = dental ? "dental" : "outpatient";
        l.service_day = l.visit_day = D(2025, 1 + c % 12, 10);
        l.billed = dental ? 800000 : 300000; /* kopecks */
        l.paid = l.billed;
        if (dms_register_append(reg, &l) != DMS_OK)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dms_register_free(reg);
    dms_membership_free(membership);
    dms_model_free(model);
    return 0;
}

static dms_experience_options options(enum dms_experience_method method)
{
    dms_experience_options o = dms_experience_options_default();
    o.exp_from = D(2025, 1, 1);
    o.exp_to = D(2025, 12, 31);
    o.renew_from = D(2026, 1, 1);
    o.renew_to = D(2026, 12, 31);
    o.method = method;
    o.bs_k = 50;
    return o;
}

static const dms_experience_module *find(const dms_experience *e, const char *code)
{
    for (size_t i = 0; i < e->nmodules; i++)
        if (strcmp(e->modules[i].code, code) == 0)
            return &e->modules[i];
    fail_msg("module %s missing", code);
    return NULL;
}

/* The model's rate for a 40-year-old man in 2026, neutral factors. */
static void manual_rate(const char *code, double *frequency, double *severity)
{
    const dms_model_module *mod = dms_model_find(model, code);
    size_t band;
    double years;
    assert_int_equal(dms_model_age_band(model, 40, &band, NULL), DMS_OK);
    assert_int_equal(dms_model_trend_years(model, "2026-01-01", "2026-12-31", &years, NULL), DMS_OK);
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.trend_years = years;
    dms_model_rated rated;
    assert_int_equal(dms_model_rate(model, mod, band, DMS_SEX_MALE, &adj, &rated, NULL), DMS_OK);
    *frequency = rated.frequency.mean;
    *severity = dms_severity_moment(&rated.severity, 1);
}

static void test_observed_trended_and_blended(void **state)
{
    (void)state;
    dms_experience_options o = options(DMS_EXPERIENCE_LIMITED_FLUCTUATION);
    dms_experience *e = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_experience_compute(model, reg, membership, &o, &e, &err), DMS_OK);
    assert_close(e->member_years, 100.0, 1e-9);
    const dms_experience_module *out = find(e, "outpatient");
    assert_int_equal(out->claims, 300);
    assert_close(out->member_years, 100.0, 1e-9);
    assert_close(out->obs_frequency, 3.0, 1e-12);
    assert_close(out->obs_severity, 3000.0, 1e-12);
    assert_abs_close(out->cv_severity, 0.0, 1e-12);
    /* One year from the 2025 midpoint to the 2026 midpoint. */
    assert_close(out->trend_years, 1.0, 0.01);
    const dms_model_module *mod = dms_model_find(model, "outpatient");
    double t = out->trend_years;
    assert_close(out->trended_frequency, 3.0 * pow(1 + mod->trend_frequency, t), 1e-12);
    assert_close(out->trended_severity, 3000.0 * pow(1 + mod->trend_severity, t), 1e-12);
    double mf, ms;
    manual_rate("outpatient", &mf, &ms);
    assert_close(out->manual_frequency, mf, 1e-9);
    assert_close(out->manual_severity, ms, 1e-9);
    /* Limited fluctuation: n_F = (z_0.95 / 0.05)^2 = 1082.2 claims. */
    double z = gsl_cdf_ugaussian_Pinv(0.95) / 0.05;
    assert_close(out->n_full, z * z, 1e-9);
    assert_close(out->z_frequency, sqrt(300 / (z * z)), 1e-9);
    assert_close(out->z_severity, 1.0, 1e-12); /* CV 0: any count is fully credible */
    assert_close(out->blended_frequency,
                 out->z_frequency * out->trended_frequency + (1 - out->z_frequency) * mf, 1e-12);
    assert_close(out->blended_severity, out->trended_severity, 1e-12);
    assert_close(out->frequency_factor, out->blended_frequency / mf, 1e-12);
    assert_close(out->severity_factor, out->blended_severity / ms, 1e-12);
    assert_close(out->blended_pure, out->blended_frequency * out->blended_severity, 1e-9);
    const dms_experience_module *dental = find(e, "dental");
    assert_int_equal(dental->claims, 30);
    assert_close(dental->obs_frequency, 0.3, 1e-12);
    assert_close(dental->z_frequency, sqrt(30 / (z * z)), 1e-9);
    /* A module with no claims: no credibility, manual rate kept. */
    const dms_experience_module *hospital = find(e, "hospital_planned");
    assert_int_equal(hospital->claims, 0);
    assert_abs_close(hospital->z_frequency, 0.0, 1e-12);
    assert_close(hospital->frequency_factor, 1.0, 1e-12);

    /* The adjusted model rates the renewal at the blended figures. */
    dms_model *adjusted = NULL;
    assert_int_equal(dms_experience_adjust_model(model, e, &adjusted, &err), DMS_OK);
    dms_model *saved = model;
    model = adjusted;
    double af, as;
    manual_rate("outpatient", &af, &as);
    model = saved;
    assert_close(af, out->blended_frequency, 1e-9);
    assert_close(as, out->blended_severity, 1e-9);
    json_t *j = dms_experience_json(e, &err);
    assert_non_null(j);
    json_decref(j);
    dms_model_free(adjusted);
    dms_experience_free(e);
}

static void test_buhlmann_straub_factor(void **state)
{
    (void)state;
    dms_experience_options o = options(DMS_EXPERIENCE_BUHLMANN_STRAUB);
    dms_experience *e = NULL;
    assert_int_equal(dms_experience_compute(model, reg, membership, &o, &e, NULL), DMS_OK);
    /* Z = W / (W + k) with W = 100 member-years, k = 50. */
    const dms_experience_module *out = find(e, "outpatient");
    assert_close(out->z_frequency, 100.0 / 150.0, 1e-12);
    dms_experience_free(e);
}

static void test_errors(void **state)
{
    (void)state;
    dms_experience *e = NULL;
    dms_error err;
    dms_experience_options o = options(DMS_EXPERIENCE_LIMITED_FLUCTUATION);
    o.renew_to = o.renew_from - 1;
    dms_error_clear(&err);
    assert_int_equal(dms_experience_compute(model, reg, membership, &o, &e, &err), DMS_EINVAL);
    assert_null(e);
    o = options(DMS_EXPERIENCE_LIMITED_FLUCTUATION);
    o.lf_k = 0;
    dms_error_clear(&err);
    assert_int_equal(dms_experience_compute(model, reg, membership, &o, &e, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/lf_k");
    /* No exposure in the period. */
    o = options(DMS_EXPERIENCE_LIMITED_FLUCTUATION);
    o.exp_from = D(2020, 1, 1);
    o.exp_to = D(2020, 12, 31);
    dms_error_clear(&err);
    assert_int_equal(dms_experience_compute(model, reg, membership, &o, &e, &err), DMS_EINVAL);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observed_trended_and_blended),
        cmocka_unit_test(test_buhlmann_straub_factor),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
