/*
 * JSON encoders for results. The CLI and the HTTP layer call these and only
 * add transport: one place decides key names, units and rounding.
 */
#include "dms/report.h"

#include <math.h>
#include <stdio.h>

const double dms_report_quantile_levels[3] = {0.5, 0.9, 0.99};

/* JSON has no infinity: a quantile beyond the grid is reported as null. */
static json_t *number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *dms_report_aggregate(const dms_aggregate_spec *spec, const dms_aggdist *dist,
                             dms_error *err)
{
    dms_error_clear(err);
    double limit = spec->annual_limit;
    json_t *quantiles = json_object();
    json_t *out = json_object();
    if (quantiles == NULL || out == NULL)
        goto out_nomem;
    for (size_t i = 0; i < sizeof dms_report_quantile_levels / sizeof(double); i++) {
        char key[16];
        snprintf(key, sizeof key, "%g", dms_report_quantile_levels[i]);
        if (json_object_set_new(
                quantiles, key,
                number_or_null(dms_aggdist_quantile(dist, dms_report_quantile_levels[i]))) != 0)
            goto out_nomem;
    }
    bool lattice = dist->method != DMS_METHOD_MC;
    int failed = 0;
    failed |= json_object_set_new(out, "mean", json_real(dist->exact_mean));
    failed |= json_object_set_new(out, "variance", json_real(dist->exact_variance));
    failed |=
        json_object_set_new(out, "limited_mean", json_real(dms_aggdist_limited_mean(dist, limit)));
    failed |= json_object_set_new(out, "p_exceed", json_real(dms_aggdist_exceed(dist, limit)));
    failed |= json_object_set_new(out, "quantiles", quantiles);
    quantiles = NULL;
    failed |= json_object_set_new(out, "span", lattice ? json_real(dist->span) : json_null());
    failed |= json_object_set_new(out, "method", json_string(dms_method_name(dist->method)));
    if (lattice) {
        failed |= json_object_set_new(out, "points", json_integer((json_int_t)dist->n));
        if (dist->tail_pmf != NULL)
            failed |=
                json_object_set_new(out, "tail",
                                    json_pack("{s:f, s:f, s:I}", "from", dist->top, "span",
                                              dist->tail_span, "points", (json_int_t)dist->tail_n));
        dms_aggregate_accuracy acc;
        if (dms_aggdist_accuracy(dist, limit, dms_report_quantile_levels, 3, &acc)) {
            /* The grid could not meet its targets within the point budget:
             * say by how much, never fall short silently. */
            json_t *q = json_object();
            for (size_t i = 0; i < 3; i++) {
                char key[16];
                snprintf(key, sizeof key, "%g", dms_report_quantile_levels[i]);
                json_object_set_new(q, key, number_or_null(acc.quantile[i]));
            }
            json_t *a = json_pack("{s:s, s:o}", "note",
                                  "estimated errors: the point budget did not allow the "
                                  "default accuracy",
                                  "quantiles_relative", q);
            if (isfinite(limit)) {
                json_object_set_new(a, "limited_mean_relative", json_real(acc.limited_mean));
                json_object_set_new(a, "p_exceed_absolute", json_real(acc.exceed));
            }
            failed |= json_object_set_new(out, "accuracy", a);
        }
    } else {
        failed |= json_object_set_new(out, "sims", json_integer((json_int_t)dist->nsamples));
    }
    if (failed)
        goto out_nomem;
    return out;
out_nomem:
    json_decref(quantiles);
    json_decref(out);
    dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the JSON report");
    return NULL;
}
