/*
 * Lattice distributions: discretisation, Panjer's recursion, FFT
 * compounding, convolution powers and summaries. FFTs are GSL's real radix-2
 * transforms in half-complex storage; the circle is tilted by e^(-theta k)
 * before transforming (and untilted after) so that mass that would wrap
 * around the end of the grid is damped by e^(-TILT) instead of polluting the
 * low points. Panjer's recursion, whose start P(S=0) = pgf(f_Y(0)) underflows
 * for large claim counts, runs on the law of 1/2^k of the count and squares
 * the result k times.
 */
#include "dms/lattice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

/* theta * n: aliasing damped by e^-TILT, round-off amplified by e^TILT. */
#define TILT 8.0
/* A sum's whole support is used up to this many points. */
#define SUM_WHOLE_SUPPORT_MAX 16384.0
/* Discretisation stops once all but this much of the law is placed. */
#define EXHAUSTED 1e-17
/* Panjer's start must stay above e^-PANJER_LOG_START_MIN. */
#define PANJER_LOG_START_MIN 300.0

size_t dms_next_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static bool is_pow2(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

int dms_discretize_payment(const dms_severity *sev, const dms_coverage *cov, double span,
                           enum dms_discretization method, double *f, size_t n, dms_error *err)
{
    dms_error_clear(err);
    if (!(span > 0) || !isfinite(span))
        return dms_error_set(err, DMS_EINVAL, "/span", "span must be a positive number, got %g",
                             span);
    if (n == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "a lattice needs at least one point");
    if (method == DMS_DISC_MOMENT) {
        /* Local moment matching of order one (Loss Models, 9.6.5): keeps
         * E[min(Y, (n-1)h)] exactly; each point's mass is a second difference
         * of the limited expected value. */
        /* lev[j] = E[min(Y, (k + j) h)], filled a block at a time so that a
         * lattice much longer than the claims' law stops early. */
        enum { BLOCK = 256 };
        double lev[BLOCK + 2];
        dms_payment_limited_mean_grid(sev, cov, span, 0, 2, lev);
        f[0] = fmax(1.0 - lev[1] / span, 0.0);
        double held = f[0];
        size_t k = 1;
        while (k < n && held < 1.0 - EXHAUSTED) {
            size_t m = n - k < BLOCK ? n - k : BLOCK;
            /* lev[j] = E[min(Y, (k - 1 + j) h)], j = 0..m+1 */
            dms_payment_limited_mean_grid(sev, cov, span, k - 1, m + 2, lev);
            for (size_t j = 1; j <= m && held < 1.0 - EXHAUSTED; j++, k++) {
                double mass = (2.0 * lev[j] - lev[j - 1] - lev[j + 1]) / span;
                f[k] = mass > 0 ? mass : 0.0; /* cancellation can leave -1e-17 */
                held += f[k];
            }
        }
        /* The special functions cost most of a large lattice: stop where
         * the law is exhausted (a sum of many small claims). */
        memset(f + k, 0, (n - k) * sizeof *f);
        return DMS_OK;
    }
    double below = dms_payment_cdf(sev, cov, 0.5 * span);
    f[0] = below;
    size_t k = 1;
    for (; k < n && below < 1.0 - EXHAUSTED; k++) {
        double upto = dms_payment_cdf(sev, cov, ((double)k + 0.5) * span);
        f[k] = upto > below ? upto - below : 0.0;
        below = upto;
    }
    memset(f + k, 0, (n - k) * sizeof *f);
    return DMS_OK;
}

/* The real FFT of x (length n, power of two) into half-complex storage. */
static int fft_forward(double *x, size_t n, dms_error *err)
{
    if (gsl_fft_real_radix2_transform(x, 1, n) != 0)
        return dms_error_set(err, DMS_ENUMERIC, NULL, "FFT of length %zu failed", n);
    return DMS_OK;
}

static int fft_inverse(double *x, size_t n, dms_error *err)
{
    if (gsl_fft_halfcomplex_radix2_inverse(x, 1, n) != 0)
        return dms_error_set(err, DMS_ENUMERIC, NULL, "inverse FFT of length %zu failed", n);
    return DMS_OK;
}

/* Half-complex index i (0 <= i <= n/2) as a complex number. */
static double complex hc_get(const double *x, size_t n, size_t i)
{
    if (i == 0 || i == n / 2)
        return x[i];
    return x[i] + I * x[n - i];
}

static void hc_set(double *x, size_t n, size_t i, double complex z)
{
    x[i] = creal(z);
    if (i != 0 && i != n / 2)
        x[n - i] = cimag(z);
}

/* e^(rate k) for k = 0..n-1 by a running product, refreshed exactly
 * every 1024 points so that round-off stays near 1e-13; an exp per point
 * cost as much as the FFT itself. */
#define TILT_REFRESH 1024

static void tilt(double *x, size_t n, double theta)
{
    double step = exp(-theta), w = 1.0;
    for (size_t k = 0; k < n; k++) {
        if (k % TILT_REFRESH == 0)
            w = exp(-theta * (double)k);
        x[k] *= w;
        w *= step;
    }
}

/* Undo the tilt and drop round-off below zero. */
static void untilt(double *x, size_t n, double theta)
{
    double step = exp(theta), w = 1.0;
    for (size_t k = 0; k < n; k++) {
        if (k % TILT_REFRESH == 0)
            w = exp(theta * (double)k);
        double v = x[k] * w;
        x[k] = v > 0 ? v : 0.0;
        w *= step;
    }
}

int dms_compound_fft(const dms_frequency *freq, const double *fy, size_t ny, double *fs, size_t n,
                     dms_error *err)
{
    dms_error_clear(err);
    if (!is_pow2(n) || n < 2)
        return dms_error_set(err, DMS_EINVAL, NULL, "FFT length %zu is not a power of two >= 2", n);
    if (ny > n)
        ny = n;
    double theta = TILT / (double)n;
    memcpy(fs, fy, ny * sizeof *fs);
    memset(fs + ny, 0, (n - ny) * sizeof *fs);
    tilt(fs, n, theta);
    int status = fft_forward(fs, n, err);
    if (status != DMS_OK)
        return status;
    for (size_t i = 0; i <= n / 2; i++)
        hc_set(fs, n, i, dms_frequency_pgf(freq, hc_get(fs, n, i)));
    status = fft_inverse(fs, n, err);
    if (status != DMS_OK)
        return status;
    untilt(fs, n, theta);
    return DMS_OK;
}

int dms_lattice_power(const double *f, size_t n, unsigned long count, double *out, dms_error *err)
{
    dms_error_clear(err);
    if (!is_pow2(n) || n < 2)
        return dms_error_set(err, DMS_EINVAL, NULL, "FFT length %zu is not a power of two >= 2", n);
    if (count == 0) {
        memset(out, 0, n * sizeof *out);
        out[0] = 1.0;
        return DMS_OK;
    }
    double theta = TILT / (double)n;
    if (out != f)
        memcpy(out, f, n * sizeof *out);
    tilt(out, n, theta);
    int status = fft_forward(out, n, err);
    if (status != DMS_OK)
        return status;
    /* Integer powers make the principal branch of cpow exact. */
    for (size_t i = 0; i <= n / 2; i++)
        hc_set(out, n, i, cpow(hc_get(out, n, i), (double)count));
    status = fft_inverse(out, n, err);
    if (status != DMS_OK)
        return status;
    untilt(out, n, theta);
    return DMS_OK;
}

int dms_lattice_convolve(const double *a, const double *b, size_t n, double *out, dms_error *err)
{
    dms_error_clear(err);
    /* Zero padding to 2n makes the circular convolution linear. */
    size_t m = dms_next_pow2(2 * n);
    int status = DMS_OK;
    double *x = calloc(m, sizeof *x), *y = calloc(m, sizeof *y);
    if (x == NULL || y == NULL) {
        status =
            dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a convolution of %zu points", n);
        goto out_free;
    }
    memcpy(x, a, n * sizeof *x);
    memcpy(y, b, n * sizeof *y);
    if ((status = fft_forward(x, m, err)) != DMS_OK || (status = fft_forward(y, m, err)) != DMS_OK)
        goto out_free;
    for (size_t i = 0; i <= m / 2; i++)
        hc_set(x, m, i, hc_get(x, m, i) * hc_get(y, m, i));
    if ((status = fft_inverse(x, m, err)) != DMS_OK)
        goto out_free;
    for (size_t k = 0; k < n; k++)
        out[k] = x[k] > 0 ? x[k] : 0.0;
out_free:
    free(x);
    free(y);
    return status;
}

/* P(S = 0) = pgf(f_Y(0)) in logs, to decide how far to split the count. */
static double log_start(const dms_frequency *freq, double p0)
{
    if (freq->kind == DMS_FREQ_NEGBIN)
        return -freq->size * log1p(freq->mean / freq->size * (1.0 - p0));
    return -freq->mean * (1.0 - p0);
}

/* Plain Panjer recursion for a count whose start is representable. */
static void panjer_recursion(const dms_frequency *freq, const double *fy, size_t ny, double *fs,
                             size_t n)
{
    double a, b;
    dms_frequency_panjer_ab(freq, &a, &b);
    double p0 = fy[0];
    double scale = 1.0 / (1.0 - a * p0);
    fs[0] = exp(log_start(freq, p0));
    for (size_t k = 1; k < n; k++) {
        size_t top = k < ny - 1 ? k : ny - 1;
        double plain = 0.0, weighted = 0.0;
        for (size_t j = 1; j <= top; j++) {
            double term = fy[j] * fs[k - j];
            plain += term;
            weighted += (double)j * term;
        }
        fs[k] = scale * (a * plain + b * weighted / (double)k);
    }
}

int dms_compound_panjer(const dms_frequency *freq, const double *fy, size_t ny, double *fs,
                        size_t n, dms_error *err)
{
    dms_error_clear(err);
    if (ny == 0 || n == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "Panjer recursion needs non-empty lattices");
    int squarings = 0;
    double start = log_start(freq, fy[0]);
    while (start < -PANJER_LOG_START_MIN && squarings < 60) {
        start /= 2;
        squarings++;
    }
    dms_frequency part = dms_frequency_divide(freq, ldexp(1.0, squarings));
    panjer_recursion(&part, fy, ny, fs, n);
    for (int i = 0; i < squarings; i++) {
        int status = dms_lattice_convolve(fs, fs, n, fs, err);
        if (status != DMS_OK)
            return status;
    }
    return DMS_OK;
}

double dms_lattice_mass(const double *f, size_t n)
{
    double total = 0.0;
    for (size_t k = 0; k < n; k++)
        total += f[k];
    return total;
}

double dms_lattice_mean(const double *f, size_t n, double span)
{
    double total = 0.0;
    for (size_t k = 0; k < n; k++)
        total += (double)k * f[k];
    return span * total;
}

double dms_lattice_variance(const double *f, size_t n, double span)
{
    double m1 = 0.0, m2 = 0.0;
    for (size_t k = 0; k < n; k++) {
        m1 += (double)k * f[k];
        m2 += (double)k * (double)k * f[k];
    }
    return span * span * (m2 - m1 * m1);
}

double dms_lattice_limited_mean(const double *f, size_t n, double span, double limit)
{
    if (isinf(limit))
        return dms_lattice_mean(f, n, span);
    double below_mass = 0.0, below_mean = 0.0;
    for (size_t k = 0; k < n && (double)k * span < limit; k++) {
        below_mass += f[k];
        below_mean += (double)k * span * f[k];
    }
    /* Mass at or above the limit, including what the grid truncated, pays L. */
    double above = 1.0 - below_mass;
    return below_mean + limit * (above > 0 ? above : 0.0);
}

double dms_lattice_exceed(const double *f, size_t n, double span, double limit)
{
    if (isinf(limit))
        return 0.0;
    double upto = 0.0;
    /* The tolerance keeps a limit that is a grid point from falling off it. */
    double last = limit / span * (1.0 + 1e-12);
    for (size_t k = 0; k < n && (double)k <= last; k++)
        upto += f[k];
    double p = 1.0 - upto;
    return p > 0 ? (p < 1 ? p : 1.0) : 0.0;
}

double dms_lattice_quantile(const double *f, size_t n, double span, double p)
{
    double cumulative = 0.0;
    for (size_t k = 0; k < n; k++) {
        cumulative += f[k];
        if (cumulative >= p * (1.0 - 1e-12))
            return (double)k * span;
    }
    return INFINITY;
}

void dms_placed_free(dms_placed *p)
{
    if (p == NULL)
        return;
    free(p->pmf);
    p->pmf = NULL;
    p->n = 0;
}

double dms_placed_mean(const dms_placed *p)
{
    return p->span * (double)p->offset * dms_lattice_mass(p->pmf, p->n) +
           dms_lattice_mean(p->pmf, p->n, p->span);
}

double dms_placed_variance(const dms_placed *p)
{
    /* Variance does not depend on the offset; normalise by the mass held. */
    double mass = dms_lattice_mass(p->pmf, p->n);
    if (!(mass > 0))
        return 0.0;
    double m1 = 0.0, m2 = 0.0;
    for (size_t k = 0; k < p->n; k++) {
        m1 += (double)k * p->pmf[k];
        m2 += (double)k * (double)k * p->pmf[k];
    }
    m1 /= mass;
    m2 /= mass;
    return p->span * p->span * fmax(m2 - m1 * m1, 0.0);
}

double dms_placed_quantile(const dms_placed *p, double prob)
{
    double q = dms_lattice_quantile(p->pmf, p->n, p->span, prob);
    return q + (double)p->offset * p->span;
}

/* Indices [first, last] outside which every point holds less than cut. */
static void trim_range(const double *f, size_t n, double cut, size_t *first, size_t *last)
{
    size_t a = 0, b = n ? n - 1 : 0;
    while (a < b && f[a] < cut)
        a++;
    while (b > a && f[b] < cut)
        b--;
    *first = a;
    *last = b;
}

int dms_placed_rebin(const dms_placed *in, double new_span, dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (!(new_span > 0) || !isfinite(new_span))
        return dms_error_set(err, DMS_EINVAL, NULL, "rebinning needs a positive span");
    size_t first, last;
    trim_range(in->pmf, in->n, 1e-15, &first, &last);
    double lo = ((double)in->offset + (double)first) * in->span / new_span;
    double hi = ((double)in->offset + (double)last) * in->span / new_span;
    if (!(hi - floor(lo) < (double)DMS_LATTICE_MAX_POINTS))
        return dms_error_set(err, DMS_ETOOBIG, NULL, "rebinning to span %g needs too many points",
                             new_span);
    out->span = new_span;
    out->offset = (long)floor(lo);
    out->n = (size_t)(floor(hi) - floor(lo)) + 2;
    out->pmf = calloc(out->n, sizeof *out->pmf);
    if (out->pmf == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory to rebin %zu points", out->n);
    for (size_t k = first; k <= last; k++) {
        double position = ((double)in->offset + (double)k) * in->span / new_span;
        double base = floor(position);
        double upper_share = position - base;
        size_t j = (size_t)((long)base - out->offset);
        if (j + 1 >= out->n) { /* rounding at the very top */
            out->pmf[out->n - 1] += in->pmf[k];
            continue;
        }
        out->pmf[j] += in->pmf[k] * (1.0 - upper_share);
        out->pmf[j + 1] += in->pmf[k] * upper_share;
    }
    return DMS_OK;
}

int dms_lattice_sum(const dms_sum_term *terms, size_t nterms, dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (nterms == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "a sum needs at least one term");
    double span = terms[0].dist->span;
    double mean = 0.0, variance = 0.0, lowest = 0.0, highest = 0.0;
    for (size_t i = 0; i < nterms; i++) {
        const dms_placed *d = terms[i].dist;
        if (fabs(d->span - span) > 1e-12 * span)
            return dms_error_set(err, DMS_EINVAL, NULL, "terms of a sum must share one span");
        double c = (double)terms[i].count;
        mean += c * dms_placed_mean(d) / span;
        variance += c * dms_placed_variance(d) / (span * span);
        lowest += c * (double)d->offset;
        highest += c * ((double)d->offset + (double)d->n - 1);
    }
    double sd = sqrt(variance);
    /* The whole support when it is short (a few people, where one rare large
     * claim can sit far beyond mean + 16 sd); else a window around the mean
     * (many people: nearly normal). */
    double from = lowest, to = highest;
    double window = 28 * sd + 32;
    if (to - from + 1 > fmax(2 * window, SUM_WHOLE_SUPPORT_MAX)) {
        from = fmax(lowest, floor(mean - 12 * sd - 16));
        to = fmin(highest, ceil(mean + 16 * sd + 16));
    }
    size_t m = dms_next_pow2((size_t)(to - from) + 1);
    if (m < 2)
        m = 2;
    if (m > DMS_LATTICE_MAX_POINTS)
        return dms_error_set(err, DMS_ETOOBIG, NULL, "the sum needs %zu points", m);
    double *acc = malloc(m * sizeof *acc), *work = malloc(m * sizeof *work);
    int status = DMS_OK;
    if (acc == NULL || work == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a sum of %zu points", m);
        goto out_free;
    }
    /* Running product of transforms, in half-complex form. */
    for (size_t i = 0; i < m; i++)
        acc[i] = i == 0 ? 1.0 : 0.0;
    if ((status = fft_forward(acc, m, err)) != DMS_OK)
        goto out_free;
    for (size_t t = 0; t < nterms; t++) {
        const dms_placed *d = terms[t].dist;
        memset(work, 0, m * sizeof *work);
        /* Absolute index modulo the circle: the sum's residues are exact. */
        for (size_t k = 0; k < d->n; k++) {
            long index = (d->offset + (long)k) % (long)m;
            work[index < 0 ? index + (long)m : index] += d->pmf[k];
        }
        if ((status = fft_forward(work, m, err)) != DMS_OK)
            goto out_free;
        for (size_t i = 0; i <= m / 2; i++) {
            double complex z = hc_get(work, m, i);
            if (terms[t].count != 1)
                z = cpow(z, (double)terms[t].count);
            hc_set(acc, m, i, hc_get(acc, m, i) * z);
        }
    }
    if ((status = fft_inverse(acc, m, err)) != DMS_OK)
        goto out_free;
    /* Unwrap: the value with residue r lies in [from, from + m). */
    long start = (long)from;
    for (size_t j = 0; j < m; j++) {
        long residue = (start + (long)j) % (long)m;
        double v = acc[residue < 0 ? residue + (long)m : residue];
        work[j] = v > 0 ? v : 0.0;
    }
    out->span = span;
    out->offset = start;
    out->n = m;
    out->pmf = work;
    work = NULL;
out_free:
    free(acc);
    free(work);
    return status;
}
