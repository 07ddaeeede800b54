/*
 * Limited fluctuation and Bühlmann–Straub credibility (see credibility.h).
 * The normal quantile comes from GSL; the Bühlmann–Straub estimators follow
 * Bühlmann and Gisler, "A Course in Credibility Theory" (2005), ch. 4, the
 * same definitions as R's actuar::cm, so results can be compared with it.
 */
#include "dms/credibility.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

int dms_cred_lf_standard(double p, double k, double cv_severity, double *n_full, dms_error *err)
{
    dms_error_clear(err);
    if (n_full == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_cred_lf_standard: NULL output");
    if (!(p > 0.0 && p < 1.0))
        return dms_error_set(err, DMS_EINVAL, "/p",
                             "the probability p of the full-credibility standard must be in "
                             "(0, 1), got %g",
                             p);
    if (!(k > 0.0 && isfinite(k)))
        return dms_error_set(err, DMS_EINVAL, "/k",
                             "the tolerance k of the full-credibility standard must be positive, "
                             "got %g",
                             k);
    if (!(cv_severity >= 0.0 && isfinite(cv_severity)))
        return dms_error_set(err, DMS_EINVAL, "/cv_severity",
                             "the coefficient of variation of severity must be >= 0, got %g",
                             cv_severity);
    double z = gsl_cdf_ugaussian_Pinv((1.0 + p) / 2.0);
    *n_full = (z / k) * (z / k) * (1.0 + cv_severity * cv_severity);
    return DMS_OK;
}

int dms_cred_lf_factor(double n, double n_full, double *z, dms_error *err)
{
    dms_error_clear(err);
    if (z == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_cred_lf_factor: NULL output");
    if (!(n >= 0.0 && isfinite(n)))
        return dms_error_set(err, DMS_EINVAL, "/n", "the claim count must be >= 0, got %g", n);
    if (!(n_full > 0.0 && isfinite(n_full)))
        return dms_error_set(err, DMS_EINVAL, "/n_full",
                             "the full-credibility standard must be positive, got %g", n_full);
    *z = n >= n_full ? 1.0 : sqrt(n / n_full);
    return DMS_OK;
}

int dms_cred_bs_factor(double w, double k, double *z, dms_error *err)
{
    dms_error_clear(err);
    if (z == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_cred_bs_factor: NULL output");
    if (!(w >= 0.0 && isfinite(w)))
        return dms_error_set(err, DMS_EINVAL, "/weight", "the weight must be >= 0, got %g", w);
    if (!(k > 0.0))
        return dms_error_set(err, DMS_EINVAL, "/k",
                             "the credibility constant k = s2/a must be positive, got %g", k);
    *z = isinf(k) ? 0.0 : w / (w + k);
    return DMS_OK;
}

void dms_cred_bs_free(dms_cred_bs *fit)
{
    if (fit == NULL)
        return;
    free(fit->weight);
    free(fit);
}

/* Z_i for the current a, and the credibility-weighted collective mean. */
static void bs_weights(dms_cred_bs *f, double xww)
{
    double sz = 0.0, szx = 0.0;
    for (size_t i = 0; i < f->nrisks; i++) {
        f->z[i] = f->a > 0.0 ? f->weight[i] / (f->weight[i] + f->s2 / f->a) : 0.0;
        sz += f->z[i];
        szx += f->z[i] * f->mean[i];
    }
    f->collective = sz > 0.0 ? szx / sz : xww;
}

int dms_cred_bs_fit(const double *ratios, const double *weights, size_t nrisks, size_t nperiods,
                    enum dms_cred_bs_method method, dms_cred_bs **out, dms_error *err)
{
    dms_error_clear(err);
    dms_cred_bs *f = NULL;
    char path[64];
    int status = DMS_OK;
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_cred_bs_fit: NULL output");
    *out = NULL;
    if (ratios == NULL || weights == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_cred_bs_fit: NULL data");
    if (nrisks < 2 || nperiods < 1)
        return dms_error_set(err, DMS_EINVAL, "/ratios",
                             "Bühlmann–Straub needs at least 2 risks and 1 period, got %zu x %zu",
                             nrisks, nperiods);
    if (method != DMS_CRED_BS_UNBIASED && method != DMS_CRED_BS_ITERATIVE)
        return dms_error_set(err, DMS_EINVAL, "/method", "unknown estimation method %d",
                             (int)method);
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    f->weight = calloc(4 * nrisks, sizeof(double));
    if (f->weight == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out_free;
    }
    f->nrisks = nrisks;
    f->mean = f->weight + nrisks;
    f->z = f->mean + nrisks;
    f->premium = f->z + nrisks;

    size_t cells = 0;
    double wtot = 0.0, sw2 = 0.0;
    for (size_t i = 0; i < nrisks; i++) {
        double w = 0.0, wx = 0.0;
        for (size_t j = 0; j < nperiods; j++) {
            double wij = weights[i * nperiods + j], xij = ratios[i * nperiods + j];
            if (!(wij >= 0.0 && isfinite(wij))) {
                snprintf(path, sizeof path, "/weights/%zu/%zu", i, j);
                status = dms_error_set(err, DMS_EINVAL, path, "a weight must be >= 0, got %g", wij);
                goto out_free;
            }
            if (wij == 0.0)
                continue;
            if (!isfinite(xij)) {
                snprintf(path, sizeof path, "/ratios/%zu/%zu", i, j);
                status = dms_error_set(err, DMS_EINVAL, path,
                                       "a ratio with a positive weight must be finite");
                goto out_free;
            }
            w += wij;
            wx += wij * xij;
            cells++;
        }
        if (w <= 0.0) {
            snprintf(path, sizeof path, "/weights/%zu", i);
            status = dms_error_set(err, DMS_EINVAL, path, "risk %zu has no positive weight", i);
            goto out_free;
        }
        f->weight[i] = w;
        f->mean[i] = wx / w;
        wtot += w;
        sw2 += w * w;
    }
    if (cells <= nrisks) {
        status = dms_error_set(err, DMS_EINVAL, "/ratios",
                               "Bühlmann–Straub needs more observed periods than risks to "
                               "estimate the within variance (%zu cells, %zu risks)",
                               cells, nrisks);
        goto out_free;
    }
    double ss = 0.0;
    for (size_t i = 0; i < nrisks; i++)
        for (size_t j = 0; j < nperiods; j++) {
            double wij = weights[i * nperiods + j];
            if (wij > 0.0) {
                double d = ratios[i * nperiods + j] - f->mean[i];
                ss += wij * d * d;
            }
        }
    f->s2 = ss / (double)(cells - nrisks);
    double xww = 0.0;
    for (size_t i = 0; i < nrisks; i++)
        xww += f->weight[i] * f->mean[i];
    xww /= wtot;
    double between = 0.0;
    for (size_t i = 0; i < nrisks; i++)
        between += f->weight[i] * (f->mean[i] - xww) * (f->mean[i] - xww);
    double a = wtot / (wtot * wtot - sw2) * (between - (double)(nrisks - 1) * f->s2);
    f->a = a > 0.0 ? a : 0.0;
    bs_weights(f, xww);
    if (method == DMS_CRED_BS_ITERATIVE && f->a > 0.0) {
        int it;
        for (it = 0; it < 1000; it++) {
            double sz = 0.0, acc = 0.0;
            for (size_t i = 0; i < nrisks; i++) {
                double d = f->mean[i] - f->collective;
                acc += f->z[i] * d * d;
                sz += f->z[i];
            }
            double next = acc / (double)(nrisks - 1);
            if (!(next > 0.0) || sz <= 0.0) {
                f->a = 0.0;
                bs_weights(f, xww);
                break;
            }
            double change = fabs(next - f->a) / next;
            f->a = next;
            bs_weights(f, xww);
            if (change < 1e-12)
                break;
        }
        if (it == 1000) {
            status = dms_error_set(err, DMS_ENUMERIC, NULL,
                                   "the Bichsel–Straub iteration did not converge");
            goto out_free;
        }
    }
    f->k = f->a > 0.0 ? f->s2 / f->a : INFINITY;
    for (size_t i = 0; i < nrisks; i++)
        f->premium[i] = f->z[i] * f->mean[i] + (1.0 - f->z[i]) * f->collective;
    *out = f;
    return DMS_OK;
out_free:
    dms_cred_bs_free(f);
    return status;
}
