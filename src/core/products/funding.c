/*
 * Payment models: the fixed premium against pay-as-you-go with and
 * without stop-loss, from the group distribution of the quote (see
 * include/dms/funding.h), the translated gamma tail used for expected
 * excesses and probabilities, the terms reader and the encoders.
 */
#include "dms/funding.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "dms/jsonread.h"

const int dms_funding_levels[DMS_FUNDING_NLEVELS] = {1, 2, 4}; /* .75 .9 .99 */

static const char *const level_names[DMS_QUOTE_NPERCENTILES] = {"p50", "p75", "p90", "p95", "p99"};
#define P99 4

dms_funding_terms dms_funding_terms_default(void)
{
    return (dms_funding_terms){.admin_fee_per_head = NAN, .admin_share = 0.0, .stop_loss = 2};
}

int dms_funding_group_from_quote(const dms_quote *quote, const dms_tariff *tariff,
                                 enum dms_scenario_kind scenario, dms_funding_group *out,
                                 dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (!quote->has_distribution)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "the quote has no group distribution (percentiles were not asked)");
    const dms_quote_distribution *d = &quote->distribution[scenario];
    out->people = quote->total.people;
    out->fixed_kopecks = quote->total.money[scenario].gross_kopecks;
    out->mean = d->mean;
    out->sd = d->sd;
    memcpy(out->percentiles, d->percentiles, sizeof out->percentiles);
    out->loading = dms_tariff_gross_factor(tariff);
    out->admin_per_head = dms_tariff_gross(tariff, 0.0);
    return DMS_OK;
}

/* ------------------------------------------------------------------ tail */

/* How far the 99th percentile of shift + Gamma(shape) lies above the mean, in sd. */
static double gamma_z99(double shape)
{
    return (gsl_cdf_gamma_Pinv(0.99, shape, 1.0) - shape) / sqrt(shape);
}

int dms_funding_tail_fit(double mean, double sd, double p99, dms_funding_tail *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (!isfinite(mean) || !(sd > 0) || !isfinite(sd) || !isfinite(p99))
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "the group distribution needs a finite mean, sd > 0 and P99");
    out->mean = mean;
    out->sd = sd;
    double z = (p99 - mean) / sd;
    /* From shape 1 (the exponential, z = ln 100 - 1 = 3.6) z decreases in the
     * shape towards the normal's 2.326 (shape -> inf); below 1 it turns
     * down again (most mass near the shift), so the fit stays at shape >= 1:
     * a group total more skewed than the exponential is taken as one. */
    const double big = 1e4, small = 1.0; /* skewness 2 / sqrt(1e4) = 0.02: normal */
    if (z <= gamma_z99(big)) {
        out->normal = true;
        return DMS_OK;
    }
    double lo = log(small), hi = log(big);
    if (z >= gamma_z99(small))
        hi = lo;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = 0.5 * (lo + hi);
        if (gamma_z99(exp(mid)) > z)
            lo = mid;
        else
            hi = mid;
    }
    out->shape = exp(0.5 * (lo + hi));
    out->scale = sd / sqrt(out->shape);
    out->shift = mean - out->shape * out->scale;
    return DMS_OK;
}

double dms_funding_tail_excess(const dms_funding_tail *t, double retention)
{
    if (t->normal) {
        double z = (retention - t->mean) / t->sd;
        return t->sd * gsl_ran_ugaussian_pdf(z) - (retention - t->mean) * gsl_cdf_ugaussian_Q(z);
    }
    double r = retention - t->shift;
    if (r <= 0)
        return t->mean - retention;
    double x = r / t->scale;
    return t->shape * t->scale * gsl_sf_gamma_inc_Q(t->shape + 1, x) -
           r * gsl_sf_gamma_inc_Q(t->shape, x);
}

double dms_funding_tail_cdf(const dms_funding_tail *t, double x)
{
    if (t->normal)
        return gsl_cdf_ugaussian_P((x - t->mean) / t->sd);
    if (x <= t->shift)
        return 0.0;
    return gsl_cdf_gamma_P(x - t->shift, t->shape, t->scale);
}

/* ----------------------------------------------------------- comparison */

static void break_even(const dms_funding_result *r, double fixed, double extra, double cap,
                       double *level, double *probability)
{
    /* PAYG cost at claims s: s (1 + share) + extra, claims counted up to cap. */
    double s = (fixed - extra) / (1 + r->terms.admin_share);
    if (s < 0) {
        *level = 0.0;
        *probability = 0.0;
    } else if (s >= cap) {
        *level = INFINITY; /* PAYG is never dearer */
        *probability = 1.0;
    } else {
        *level = s;
        *probability = dms_funding_tail_cdf(&r->tail, s);
    }
}

int dms_funding_compare(const dms_funding_group *group, const dms_funding_terms *terms,
                        dms_funding_result *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (group->people == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "the group has nobody in it");
    if (terms->stop_loss < -1 || terms->stop_loss >= DMS_QUOTE_NPERCENTILES)
        return dms_error_set(err, DMS_EINVAL, "/stop_loss", "unknown stop-loss level");
    if (!(terms->admin_share >= 0 && terms->admin_share <= 1))
        return dms_error_set(err, DMS_EINVAL, "/admin_share", "admin_share must be within 0..1");
    out->group = *group;
    out->terms = *terms;
    double fee =
        isnan(terms->admin_fee_per_head) ? group->admin_per_head : terms->admin_fee_per_head;
    if (!(fee >= 0) || !isfinite(fee))
        return dms_error_set(err, DMS_EINVAL, "/admin_fee_per_head",
                             "admin_fee_per_head must be a number >= 0");
    out->terms.admin_fee_per_head = fee;
    int status =
        dms_funding_tail_fit(group->mean, group->sd, group->percentiles[P99], &out->tail, err);
    if (status != DMS_OK)
        return status;
    double people = (double)group->people;
    double fixed = (double)group->fixed_kopecks / 100.0;
    double share = 1 + terms->admin_share;
    out->admin_fixed = fee * people;
    dms_funding_cost *c = out->cost;
    c[DMS_FUNDING_FIXED].available = true;
    c[DMS_FUNDING_FIXED].expected = fixed;
    c[DMS_FUNDING_PAYG].available = true;
    c[DMS_FUNDING_PAYG].expected = group->mean * share + out->admin_fixed;
    for (size_t k = 0; k < DMS_FUNDING_NLEVELS; k++) {
        double q = group->percentiles[dms_funding_levels[k]];
        c[DMS_FUNDING_FIXED].percentile[k] = fixed;
        c[DMS_FUNDING_PAYG].percentile[k] = q * share + out->admin_fixed;
    }
    break_even(out, fixed, out->admin_fixed, INFINITY, &out->break_even[0],
               &out->break_even_probability[0]);
    out->break_even[1] = out->break_even_probability[1] = NAN;
    if (terms->stop_loss >= 0) {
        out->retention = group->percentiles[terms->stop_loss];
        out->expected_excess = fmax(0.0, dms_funding_tail_excess(&out->tail, out->retention));
        out->stop_loss_premium = out->expected_excess * group->loading;
        dms_funding_cost *sl = &c[DMS_FUNDING_PAYG_STOP_LOSS];
        sl->available = true;
        sl->expected = (group->mean - out->expected_excess) * share + out->admin_fixed +
                       out->stop_loss_premium;
        for (size_t k = 0; k < DMS_FUNDING_NLEVELS; k++) {
            double q = fmin(group->percentiles[dms_funding_levels[k]], out->retention);
            sl->percentile[k] = q * share + out->admin_fixed + out->stop_loss_premium;
        }
        break_even(out, fixed, out->admin_fixed + out->stop_loss_premium, out->retention,
                   &out->break_even[1], &out->break_even_probability[1]);
    }
    return DMS_OK;
}

int dms_funding_run(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                    const dms_census *census, const char *census_source,
                    const dms_funding_terms *terms, dms_funding_result *out, dms_diag *diag)
{
    return dms_funding_run_with(tariff, model, plan, census, census_source, terms, NULL, out, diag);
}

int dms_funding_run_with(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                         const dms_census *census, const char *census_source,
                         const dms_funding_terms *terms, const dms_funding_run_options *options,
                         dms_funding_result *out, dms_diag *diag)
{
    memset(out, 0, sizeof *out);
    dms_error err;
    dms_error_clear(&err);
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = true;
    opts.census_source = census_source;
    if (options != NULL) {
        opts.cancelled = options->cancelled;
        opts.cancel_ctx = options->cancel_ctx;
    }
    dms_quote *q = NULL;
    int status = dms_quote_compute(tariff, model, plan, census, &opts, &q, diag, NULL);
    if (status != DMS_OK)
        return status;
    dms_funding_group group;
    if ((status = dms_funding_group_from_quote(q, tariff, DMS_SCENARIO_BASE, &group, &err)) !=
            DMS_OK ||
        (status = dms_funding_compare(&group, terms, out, &err)) != DMS_OK)
        dms_diag_add(diag, &err);
    dms_quote_free(q);
    return status;
}

int dms_funding_terms_read(struct dms_jsonread *r, dms_funding_terms *terms)
{
    dms_jsonread_number_opt(r, "admin_fee_per_head", 0, 1e7, &terms->admin_fee_per_head);
    dms_jsonread_number_opt(r, "admin_share", 0, 1, &terms->admin_share);
    if (dms_jsonread_status(r) == DMS_OK && dms_jsonread_has(r, "stop_loss")) {
        static const char *const names[] = {"none", "p50", "p75", "p90", "p95", "p99", NULL};
        int k = 0;
        if (dms_jsonread_enum(r, "stop_loss", names, &k) == DMS_OK)
            terms->stop_loss = k - 1;
    }
    return dms_jsonread_status(r);
}

/* -------------------------------------------------------------- encoders */

static double kop(double roubles)
{
    return round(roubles * 100.0) / 100.0;
}

static json_t *money_or_null(double x)
{
    return isfinite(x) ? json_real(kop(x)) : json_null();
}

static const char *const model_names[DMS_FUNDING_NMODELS] = {"fixed_premium", "pay_as_you_go",
                                                             "pay_as_you_go_stop_loss"};

json_t *dms_report_funding(const dms_funding_result *r, dms_error *err)
{
    dms_error_clear(err);
    json_t *models = json_object();
    for (size_t m = 0; m < DMS_FUNDING_NMODELS; m++) {
        const dms_funding_cost *c = &r->cost[m];
        if (!c->available)
            continue;
        json_object_set_new(
            models, model_names[m],
            json_pack("{s:o, s:o, s:o, s:o, s:o}", "expected", json_real(kop(c->expected)),
                      "expected_per_head", json_real(kop(c->expected / (double)r->group.people)),
                      "p75", json_real(kop(c->percentile[0])), "p90",
                      json_real(kop(c->percentile[1])), "p99", json_real(kop(c->percentile[2]))));
    }
    json_t *claims = json_pack("{s:o, s:o}", "mean", json_real(kop(r->group.mean)), "sd",
                               json_real(kop(r->group.sd)));
    for (size_t k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
        json_object_set_new(claims, level_names[k], json_real(kop(r->group.percentiles[k])));
    json_t *tail = r->tail.normal
                       ? json_pack("{s:s}", "kind", "normal")
                       : json_pack("{s:s, s:f, s:f, s:f}", "kind", "translated_gamma", "shift",
                                   r->tail.shift, "shape", r->tail.shape, "scale", r->tail.scale);
    json_t *sl = json_null();
    if (r->terms.stop_loss >= 0)
        sl = json_pack("{s:s, s:o, s:o, s:f, s:o}", "retention_level",
                       level_names[r->terms.stop_loss], "retention", json_real(kop(r->retention)),
                       "expected_excess", json_real(kop(r->expected_excess)), "loading",
                       r->group.loading, "premium", json_real(kop(r->stop_loss_premium)));
    json_t *be = json_array();
    for (size_t i = 0; i < (r->terms.stop_loss >= 0 ? 2u : 1u); i++)
        json_array_append_new(be, json_pack("{s:s, s:o, s:f}", "model", model_names[1 + i],
                                            "claims_level", money_or_null(r->break_even[i]),
                                            "probability_cheaper", r->break_even_probability[i]));
    json_t *root =
        json_pack("{s:s, s:I, s:{s:o, s:o, s:f}, s:o, s:o, s:o, s:o, s:o}", "period", "year",
                  "people", (json_int_t)r->group.people, "terms", "admin_fee_per_head",
                  json_real(kop(r->terms.admin_fee_per_head)), "admin_fee_total",
                  json_real(kop(r->admin_fixed)), "admin_share", r->terms.admin_share, "claims",
                  claims, "tail", tail, "models", models, "stop_loss", sl, "break_even", be);
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the funding report");
    return root;
}

int dms_report_funding_table(const dms_funding_result *r, FILE *out)
{
    fprintf(out, "%zu people; employer's annual cost (RUB a year), base scenario\n",
            r->group.people);
    fprintf(out, "group claims: mean %.2f, sd %.2f; P75 %.2f, P90 %.2f, P99 %.2f\n", r->group.mean,
            r->group.sd, r->group.percentiles[1], r->group.percentiles[2], r->group.percentiles[4]);
    fprintf(out, "pay-as-you-go admin fee %.2f per head (%.2f), plus %.1f%% of claims\n",
            r->terms.admin_fee_per_head, r->admin_fixed, r->terms.admin_share * 100);
    if (r->terms.stop_loss >= 0)
        fprintf(out,
                "stop-loss above %s = %.2f: expected excess %.2f x loading %.4f = premium %.2f\n",
                level_names[r->terms.stop_loss], r->retention, r->expected_excess, r->group.loading,
                r->stop_loss_premium);
    fprintf(out, "%-26s %16s %16s %16s %16s\n", "model", "expected", "P75", "P90", "P99");
    for (size_t m = 0; m < DMS_FUNDING_NMODELS; m++) {
        const dms_funding_cost *c = &r->cost[m];
        if (!c->available)
            continue;
        fprintf(out, "%-26s %16.2f %16.2f %16.2f %16.2f\n", model_names[m], c->expected,
                c->percentile[0], c->percentile[1], c->percentile[2]);
    }
    for (size_t i = 0; i < (r->terms.stop_loss >= 0 ? 2u : 1u); i++) {
        if (isfinite(r->break_even[i]))
            fprintf(out,
                    "break-even %s: claims of %.2f a year cost as much as the fixed premium; "
                    "claims stay below it in %.2f%% of years\n",
                    model_names[1 + i], r->break_even[i], 100 * r->break_even_probability[i]);
        else
            fprintf(out, "break-even %s: never dearer than the fixed premium\n",
                    model_names[1 + i]);
    }
    return ferror(out) ? DMS_EIO : DMS_OK;
}
