/*
 * Lattice distributions: discretisation, Panjer's recursion, FFT
 * compounding, convolution powers and summaries. FFTs are FFTW's real
 * transforms (r2c / c2r) with plans made once per length; the circle is
 * tilted by e^(-theta k) before transforming (and untilted after) so that
 * mass that would wrap around the end of the grid is damped by e^(-TILT)
 * instead of polluting the low points. Integer powers of transforms are
 * taken by repeated squaring, not in polar form. Panjer's recursion, whose
 * start P(S=0) = pgf(f_Y(0)) underflows for large claim counts, runs on the
 * law of 1/2^k of the count and squares the result k times.
 */
#include "dms/lattice.h"

#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* dms_placed_coarsen adds up runs when the new span is at least this many
 * times the old one's inverse: two points or more per run on average. */
#define COARSEN_RATIO_MAX 0.5
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
    return dms_discretize_payment_memo(sev, cov, span, method, NULL, f, 0, n, err);
}

static int discretize(const dms_severity *sev, const dms_coverage *cov, double span,
                      enum dms_discretization method, bool gsl, dms_lev_memo *memo, double *f,
                      size_t known, size_t n, dms_error *err);

int dms_discretize_payment_memo(const dms_severity *sev, const dms_coverage *cov, double span,
                                enum dms_discretization method, dms_lev_memo *memo, double *f,
                                size_t known, size_t n, dms_error *err)
{
    dms_error_clear(err);
    return discretize(sev, cov, span, method, false, memo, f, known, n, err);
}

int dms_discretize_payment_gsl(const dms_severity *sev, const dms_coverage *cov, double span,
                               enum dms_discretization method, double *f, size_t n, dms_error *err)
{
    dms_error_clear(err);
    return discretize(sev, cov, span, method, true, NULL, f, 0, n, err);
}

/* The limited expected values of a moment-matched lattice, by the fast
 * grid (through memo) or GSL's. */
static void lattice_levs(const dms_severity *sev, const dms_coverage *cov, double span,
                         size_t first, size_t n, bool gsl, dms_lev_memo *memo, double *lev)
{
    if (gsl)
        dms_payment_limited_mean_grid_gsl(sev, cov, span, first, n, lev);
    else
        dms_payment_limited_mean_grid_memo(sev, cov, span, first, n, memo, lev);
}

static int discretize(const dms_severity *sev, const dms_coverage *cov, double span,
                      enum dms_discretization method, bool gsl, dms_lev_memo *memo, double *f,
                      size_t known, size_t n, dms_error *err)
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
        double held;
        size_t k = 1;
        if (known > 1 && known < n) {
            /* The first points are known (a shorter lattice of the same
             * law): its masses, added in the same order, give the same
             * held, and each later mass depends on its own points only. */
            held = f[0];
            for (; k < known; k++)
                held += f[k];
        } else {
            lattice_levs(sev, cov, span, 0, 2, gsl, memo, lev);
            f[0] = fmax(1.0 - lev[1] / span, 0.0);
            held = f[0];
        }
        while (k < n && held < 1.0 - EXHAUSTED) {
            size_t m = n - k < BLOCK ? n - k : BLOCK;
            /* lev[j] = E[min(Y, (k - 1 + j) h)], j = 0..m+1 */
            lattice_levs(sev, cov, span, k - 1, m + 2, gsl, memo, lev);
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

void dms_discretize_moment_table(const double *t, size_t n, double *f)
{
    dms_discretize_moment_table_capped(t, n + 1, 0.0, n, f);
}

/* t[j] for j < uncapped, capped from there on: the masses below are the
 * very expressions of the plain table's. */
#define LEV(j) ((j) < uncapped ? t[j] : capped)

void dms_discretize_moment_table_capped(const double *t, size_t uncapped, double capped, size_t n,
                                        double *f)
{
    dms_discretize_moment_table_reach(t, uncapped, capped, n, f, NULL, 0, NULL);
}

/* The levels from *met on that the running sum held (up to point k) has
 * reached get their length k + 1. */
static inline void mark_reached(double held, size_t k, const double *levels, size_t nlevels,
                                size_t *met, size_t *reach)
{
    while (*met < nlevels && held >= levels[*met])
        reach[(*met)++] = k + 1;
}

void dms_discretize_moment_table_reach(const double *t, size_t uncapped, double capped, size_t n,
                                       double *f, const double *levels, size_t nlevels,
                                       size_t *reach)
{
    size_t met = 0;
    if (n == 0)
        goto out_unmet;
    f[0] = fmax(1.0 - LEV(1), 0.0);
    double held = f[0];
    mark_reached(held, 0, levels, nlevels, &met, reach);
    size_t k = 1;
    /* Where the table holds both neighbours, no test per point. */
    size_t plain = uncapped > 1 ? uncapped - 1 : 0;
    for (; k < n && k < plain && held < 1.0 - EXHAUSTED; k++) {
        double mass = 2.0 * t[k] - t[k - 1] - t[k + 1];
        f[k] = mass > 0 ? mass : 0.0; /* cancellation can leave -1e-17 */
        held += f[k];
        mark_reached(held, k, levels, nlevels, &met, reach);
    }
    /* Past uncapped + 1 all three values are capped: the mass is exactly 0. */
    size_t live = uncapped < n ? uncapped + 1 : n;
    for (; k < live && held < 1.0 - EXHAUSTED; k++) {
        double mass = 2.0 * LEV(k) - LEV(k - 1) - LEV(k + 1);
        f[k] = mass > 0 ? mass : 0.0;
        held += f[k];
        mark_reached(held, k, levels, nlevels, &met, reach);
    }
    /* The masses from k on are 0: the sum stays where it is. */
    memset(f + k, 0, (n - k) * sizeof *f);
out_unmet:
    while (met < nlevels)
        reach[met++] = n;
}
#undef LEV

/*
 * FFTW plans, one forward (r2c) and one inverse (c2r) per power-of-two
 * length, made on first use and kept for the life of the process. FFTW's
 * planner is not thread-safe, so plans are made and looked up under a
 * lock; executing a plan on new arrays (fftw_execute_dft_*) is safe from any
 * thread. FFTW_ESTIMATE picks the algorithm without timing trials, so a
 * given input gives the same bits in every run and every process (a timed
 * choice could differ between runs and so move results in the last digit).
 * Arrays passed to the plans always come from fftw_malloc, whose alignment
 * is the one the plans were made for.
 */
#define PLAN_LEVELS 25 /* lengths up to 2^24 = DMS_LATTICE_MAX_POINTS */

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static fftw_plan forward_plans[PLAN_LEVELS], inverse_plans[PLAN_LEVELS];

static int plan_level(size_t n)
{
    int level = 0;
    while (((size_t)1 << level) < n)
        level++;
    return level;
}

/* The plans for length n (a power of two); false without memory. */
static bool plans_for(size_t n, fftw_plan *forward, fftw_plan *inverse)
{
    int level = plan_level(n);
    if (level >= PLAN_LEVELS)
        return false;
    pthread_mutex_lock(&plan_lock);
    if (forward_plans[level] == NULL) {
        double *x = fftw_malloc(n * sizeof *x);
        fftw_complex *z = fftw_malloc((n / 2 + 1) * sizeof *z);
        if (x != NULL && z != NULL) {
            forward_plans[level] = fftw_plan_dft_r2c_1d((int)n, x, z, FFTW_ESTIMATE);
            inverse_plans[level] = fftw_plan_dft_c2r_1d((int)n, z, x, FFTW_ESTIMATE);
            if (forward_plans[level] == NULL || inverse_plans[level] == NULL) {
                if (forward_plans[level] != NULL)
                    fftw_destroy_plan(forward_plans[level]);
                if (inverse_plans[level] != NULL)
                    fftw_destroy_plan(inverse_plans[level]);
                forward_plans[level] = inverse_plans[level] = NULL;
            }
        }
        fftw_free(x);
        fftw_free(z);
    }
    *forward = forward_plans[level];
    *inverse = inverse_plans[level];
    pthread_mutex_unlock(&plan_lock);
    return *forward != NULL;
}

/* Work arrays of one transform of length n: x real (n), z its spectrum
 * (n/2 + 1 complex points, index i the frequency i/n). */
typedef struct fft_work {
    size_t n;
    double *x;
    fftw_complex *z;
    fftw_plan forward, inverse;
} fft_work;

static void fft_work_free(fft_work *w)
{
    fftw_free(w->x);
    fftw_free(w->z);
    w->x = NULL;
    w->z = NULL;
}

static int fft_work_alloc(fft_work *w, size_t n, dms_error *err)
{
    w->n = n;
    w->x = fftw_malloc(n * sizeof *w->x);
    w->z = fftw_malloc((n / 2 + 1) * sizeof *w->z);
    if (w->x == NULL || w->z == NULL || !plans_for(n, &w->forward, &w->inverse)) {
        fft_work_free(w);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for an FFT of length %zu", n);
    }
    return DMS_OK;
}

/* x -> z (unnormalised, e^(-2 pi i j k / n)). */
static void fft_forward(fft_work *w)
{
    fftw_execute_dft_r2c(w->forward, w->x, w->z);
}

/* z -> n x (z is overwritten): the caller divides by n. */
static void fft_inverse(fft_work *w)
{
    fftw_execute_dft_c2r(w->inverse, w->z, w->x);
}

/* a b, written out: C's complex product checks for infinities and NaNs
 * through a library call at every point. */
static inline double complex cmul(double complex a, double complex b)
{
    double ar = creal(a), ai = cimag(a), br = creal(b), bi = cimag(b);
    return CMPLX(ar * br - ai * bi, ar * bi + ai * br);
}

/* Spectral values below this are set to 0: products of many transforms
 * drift into subnormal numbers, whose arithmetic is a hundred times slower,
 * and a value this small moves no probability by more than n TINY. */
#define TINY 1e-200
#define LOG_TINY (-460.5) /* log(TINY) */

static inline double complex flush_tiny(double complex z)
{
    return fabs(creal(z)) + fabs(cimag(z)) < TINY ? 0.0 : z;
}

/* z^k by repeated squaring: about 2 log2 k products, each exact to a few
 * units in the last place, where the polar form exp(k log z) costs a
 * logarithm, an arctangent and an exponential and loses k |log z| ulps. */
/* |z|^2 below which z^k is below TINY (ipow answers 0 there): TINY^(2/k),
 * once per power instead of a logarithm per point; 0 (never) for k <= 8. */
static double ipow_floor(unsigned long k)
{
    return k > 8 ? exp(2.0 * LOG_TINY / (double)k) : 0.0;
}

static double complex ipow(double complex z, unsigned long k, double floor2)
{
    /* A high power of a value inside the unit circle is below TINY long
     * before the squarings end (a cell of hundreds of people raises most of
     * its spectrum to nothing): answer 0 at once. */
    double m2 = creal(z) * creal(z) + cimag(z) * cimag(z);
    if (m2 < floor2)
        return 0.0;
    double complex r = 1.0;
    for (;;) {
        if (k & 1)
            r = flush_tiny(cmul(r, z));
        k >>= 1;
        if (k == 0)
            return r;
        z = flush_tiny(cmul(z, z));
        if (z == 0.0)
            return 0.0;
    }
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

/* out = x e^(theta k) / n (undoing the tilt and the inverse transform's
 * factor n), with round-off below zero dropped. */
static void untilt(const double *x, size_t n, double theta, double *out)
{
    double step = exp(theta), w = 1.0, scale = 1.0 / (double)n;
    for (size_t k = 0; k < n; k++) {
        if (k % TILT_REFRESH == 0)
            w = exp(theta * (double)k);
        double v = x[k] * w * scale;
        out[k] = v > 0 ? v : 0.0;
        w *= step;
    }
}

/*
 * Work arrays of dms_compound_fft and of the sums on a circle kept per
 * thread: a quote compounds hundreds of short lattices and sums hundreds of
 * persons, and fresh aligned arrays for each cost as much as a short
 * transform. Kept up to SCRATCH_MAX points (longer transforms allocate
 * their own) and freed when the thread ends. They come from fftw_malloc
 * like every array the plans see: the same bits.
 */
#define SCRATCH_MAX ((size_t)1 << 16)

typedef struct fft_scratch {
    size_t cap;
    double *x;
    fftw_complex *z;
    fftw_complex *acc; /* a second spectrum (a sum's running product) */
} fft_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_ready;

static void scratch_destroy(void *p)
{
    fft_scratch *s = p;
    fftw_free(s->x);
    fftw_free(s->z);
    fftw_free(s->acc);
    free(s);
}

static void scratch_init(void)
{
    scratch_ready = pthread_key_create(&scratch_key, scratch_destroy) == 0;
}

/* w (and *acc, n/2 + 1 points, unless acc is NULL) on this thread's
 * arrays when n fits them; false otherwise (the caller allocates its own). */
static bool fft_work_scratch(fft_work *w, size_t n, fftw_complex **acc)
{
    if (n > SCRATCH_MAX || pthread_once(&scratch_once, scratch_init) != 0 || !scratch_ready)
        return false;
    fft_scratch *s = pthread_getspecific(scratch_key);
    if (s == NULL) {
        if ((s = calloc(1, sizeof *s)) == NULL)
            return false;
        if (pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return false;
        }
    }
    if (s->cap < n) {
        fftw_free(s->x);
        fftw_free(s->z);
        fftw_free(s->acc);
        s->x = fftw_malloc(n * sizeof *s->x);
        s->z = fftw_malloc((n / 2 + 1) * sizeof *s->z);
        s->acc = fftw_malloc((n / 2 + 1) * sizeof *s->acc);
        s->cap = s->x != NULL && s->z != NULL && s->acc != NULL ? n : 0;
        if (s->cap == 0)
            return false;
    }
    w->n = n;
    w->x = s->x;
    w->z = s->z;
    if (acc != NULL)
        *acc = s->acc;
    return plans_for(n, &w->forward, &w->inverse);
}

/*
 * The tilt's weights e^(-theta k) and e^(theta k) of a circle of length n
 * (theta = TILT / n) as tilt() and untilt() make them - the same running
 * products, refreshed at the same points, so the same doubles - made once
 * per length (up to SCRATCH_MAX) and kept for the process like the plans:
 * the running product is a chain of dependent multiplications, which made
 * the two passes cost as much as a short transform. NULL without memory.
 */
static pthread_mutex_t weights_lock = PTHREAD_MUTEX_INITIALIZER;
static double *down_weights[PLAN_LEVELS], *up_weights[PLAN_LEVELS];

static double *weights_of(size_t n, double rate)
{
    double *w = malloc(n * sizeof *w);
    if (w == NULL)
        return NULL;
    double step = exp(rate), v = 1.0;
    for (size_t k = 0; k < n; k++) {
        if (k % TILT_REFRESH == 0)
            v = exp(rate * (double)k);
        w[k] = v;
        v *= step;
    }
    return w;
}

static void tilt_weights(size_t n, const double **down, const double **up)
{
    *down = *up = NULL;
    int level = plan_level(n);
    if (n > SCRATCH_MAX || level >= PLAN_LEVELS)
        return;
    double theta = TILT / (double)n;
    pthread_mutex_lock(&weights_lock);
    if (down_weights[level] == NULL || up_weights[level] == NULL) {
        free(down_weights[level]);
        free(up_weights[level]);
        down_weights[level] = weights_of(n, -theta);
        up_weights[level] = weights_of(n, theta);
    }
    if (down_weights[level] != NULL && up_weights[level] != NULL) {
        *down = down_weights[level];
        *up = up_weights[level];
    }
    pthread_mutex_unlock(&weights_lock);
}

int dms_compound_fft(const dms_frequency *freq, const double *fy, size_t ny, double *fs, size_t n,
                     dms_error *err)
{
    dms_error_clear(err);
    return dms_compound_fft_kept(freq, fy, ny, NULL, true, fs, n, err);
}

int dms_compound_fft_kept(const dms_frequency *freq, const double *fy, size_t ny, double *spectrum,
                          bool fresh, double *fs, size_t n, dms_error *err)
{
    dms_error_clear(err);
    if (!is_pow2(n) || n < 2)
        return dms_error_set(err, DMS_EINVAL, NULL, "FFT length %zu is not a power of two >= 2", n);
    if (ny > n)
        ny = n;
    fft_work w;
    bool scratch = fft_work_scratch(&w, n, NULL);
    int status = scratch ? DMS_OK : fft_work_alloc(&w, n, err);
    if (status != DMS_OK)
        return status;
    double theta = TILT / (double)n;
    const double *down = NULL, *up = NULL;
    tilt_weights(n, &down, &up);
    size_t nz = n / 2 + 1;
    if (!fresh) {
        /* The transform an earlier call kept: what the forward pass gives. */
        memcpy(w.z, spectrum, nz * sizeof *w.z);
    } else if (down != NULL) {
        /* tilt() of fy padded with zeros, in the one pass that copies it:
         * the zeros need no weight. */
        size_t k = 0;
#ifdef __SSE2__
        /* Two points at once: the same products, rounded alike. */
        for (; k + 2 <= ny; k += 2)
            _mm_storeu_pd(w.x + k, _mm_mul_pd(_mm_loadu_pd(fy + k), _mm_loadu_pd(down + k)));
#endif
        for (; k < ny; k++)
            w.x[k] = fy[k] * down[k];
    } else {
        double step = exp(-theta), weight = 1.0;
        for (size_t k = 0; k < ny; k++) {
            if (k % TILT_REFRESH == 0)
                weight = exp(-theta * (double)k);
            w.x[k] = fy[k] * weight;
            weight *= step;
        }
    }
    if (fresh) {
        memset(w.x + ny, 0, (n - ny) * sizeof *w.x);
        fft_forward(&w);
        if (spectrum != NULL)
            memcpy(spectrum, w.z, nz * sizeof *w.z);
    }
    dms_frequency_pgf_array(freq, w.z, nz);
    fft_inverse(&w);
    if (up != NULL) {
        /* untilt() with the weights read, not multiplied up point by point. */
        double scale = 1.0 / (double)n;
        size_t k = 0;
#ifdef __SSE2__
        /* Two points at once, and without a branch the round-off around 0
         * mispredicts: maxpd(v, 0) is v > 0 ? v : 0 (NaN and -0 give +0). */
        const __m128d vscale = _mm_set1_pd(scale), zero = _mm_setzero_pd();
        for (; k + 2 <= n; k += 2) {
            __m128d v = _mm_mul_pd(_mm_mul_pd(_mm_loadu_pd(w.x + k), _mm_loadu_pd(up + k)), vscale);
            _mm_storeu_pd(fs + k, _mm_max_pd(v, zero));
        }
#endif
        for (; k < n; k++) {
            double v = w.x[k] * up[k] * scale;
            fs[k] = v > 0 ? v : 0.0;
        }
    } else {
        untilt(w.x, n, theta, fs);
    }
    if (!scratch)
        fft_work_free(&w);
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
    fft_work w;
    int status = fft_work_alloc(&w, n, err);
    if (status != DMS_OK)
        return status;
    double theta = TILT / (double)n;
    memcpy(w.x, f, n * sizeof *w.x);
    tilt(w.x, n, theta);
    fft_forward(&w);
    double floor2 = ipow_floor(count);
    for (size_t i = 0; i <= n / 2; i++)
        w.z[i] = ipow(w.z[i], count, floor2);
    fft_inverse(&w);
    untilt(w.x, n, theta, out);
    fft_work_free(&w);
    return DMS_OK;
}

int dms_lattice_convolve(const double *a, const double *b, size_t n, double *out, dms_error *err)
{
    dms_error_clear(err);
    /* Zero padding to 2n makes the circular convolution linear. */
    size_t m = dms_next_pow2(2 * n);
    fft_work x, y;
    int status = fft_work_alloc(&x, m, err);
    if (status != DMS_OK)
        return status;
    if ((status = fft_work_alloc(&y, m, err)) != DMS_OK) {
        fft_work_free(&x);
        return status;
    }
    memcpy(x.x, a, n * sizeof *x.x);
    memset(x.x + n, 0, (m - n) * sizeof *x.x);
    memcpy(y.x, b, n * sizeof *y.x);
    memset(y.x + n, 0, (m - n) * sizeof *y.x);
    fft_forward(&x);
    fft_forward(&y);
    for (size_t i = 0; i <= m / 2; i++)
        x.z[i] = cmul(x.z[i], y.z[i]);
    fft_inverse(&x);
    double scale = 1.0 / (double)m;
    for (size_t k = 0; k < n; k++) {
        double v = x.x[k] * scale;
        out[k] = v > 0 ? v : 0.0;
    }
    fft_work_free(&x);
    fft_work_free(&y);
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

void dms_placed_moments(const dms_placed *p, double *mean, double *variance)
{
    /* One pass with the sums of dms_placed_mean and dms_placed_variance,
     * each added in the same order, so the same doubles. */
    double mass = 0.0, m1 = 0.0, m2 = 0.0;
    for (size_t k = 0; k < p->n; k++) {
        mass += p->pmf[k];
        m1 += (double)k * p->pmf[k];
        m2 += (double)k * (double)k * p->pmf[k];
    }
    *mean = p->span * (double)p->offset * mass + p->span * m1;
    if (!(mass > 0)) {
        *variance = 0.0;
        return;
    }
    m1 /= mass;
    m2 /= mass;
    *variance = p->span * p->span * fmax(m2 - m1 * m1, 0.0);
}

double dms_placed_quantile(const dms_placed *p, double prob)
{
    double q = dms_lattice_quantile(p->pmf, p->n, p->span, prob);
    return q + (double)p->offset * p->span;
}

double dms_placed_quantile_smooth(const dms_placed *p, double prob)
{
    double cumulative = 0.0;
    for (size_t k = 0; k < p->n; k++) {
        double below = cumulative;
        cumulative += p->pmf[k];
        if (cumulative >= prob * (1.0 - 1e-12) && p->pmf[k] > 0) {
            /* F at (k - 1/2) span is below, at (k + 1/2) span cumulative */
            double share = (prob - below) / p->pmf[k];
            share = share < 0 ? 0.0 : (share > 1 ? 1.0 : share);
            return ((double)p->offset + (double)k - 0.5 + share) * p->span;
        }
    }
    return INFINITY;
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

/* The layout of in moved onto new_span: out's span, offset and zeroed pmf,
 * and the points [first, last] of in that hold 1e-15 or more at its ends. */
static int rebin_layout(const dms_placed *in, double new_span, dms_placed *out, size_t *first,
                        size_t *last, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (!(new_span > 0) || !isfinite(new_span))
        return dms_error_set(err, DMS_EINVAL, NULL, "rebinning needs a positive span");
    trim_range(in->pmf, in->n, 1e-15, first, last);
    double lo = ((double)in->offset + (double)*first) * in->span / new_span;
    double hi = ((double)in->offset + (double)*last) * in->span / new_span;
    if (!(hi - floor(lo) < (double)DMS_LATTICE_MAX_POINTS))
        return dms_error_set(err, DMS_ETOOBIG, NULL, "rebinning to span %g needs too many points",
                             new_span);
    out->span = new_span;
    out->offset = (long)floor(lo);
    out->n = (size_t)(floor(hi) - floor(lo)) + 2;
    out->pmf = calloc(out->n, sizeof *out->pmf);
    if (out->pmf == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory to rebin %zu points", out->n);
    return DMS_OK;
}

int dms_placed_rebin(const dms_placed *in, double new_span, dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    size_t first, last;
    int status = rebin_layout(in, new_span, out, &first, &last, err);
    if (status != DMS_OK)
        return status;
    /* The two points a run of input points falls between are added up in
     * registers and stored when the run moves on (positions only grow):
     * the same additions in the same order as into memory, without a
     * store and a reload per point. */
    size_t cur = SIZE_MAX;
    double lower = 0.0, upper = 0.0;
    for (size_t k = first; k <= last; k++) {
        double position = ((double)in->offset + (double)k) * in->span / new_span;
        /* floor without the library call (positions are far inside long) */
        double base = (double)(long)position;
        if (base > position)
            base -= 1.0;
        double upper_share = position - base;
        size_t j = (size_t)((long)base - out->offset);
        if (j != cur) {
            if (cur != SIZE_MAX) {
                out->pmf[cur] = lower;
                out->pmf[cur + 1] = upper;
                cur = SIZE_MAX;
            }
            if (j + 1 >= out->n) { /* rounding at the very top */
                out->pmf[out->n - 1] += in->pmf[k];
                continue;
            }
            cur = j;
            lower = out->pmf[j];
            upper = out->pmf[j + 1];
        }
        lower += in->pmf[k] * (1.0 - upper_share);
        upper += in->pmf[k] * upper_share;
    }
    if (cur != SIZE_MAX) {
        out->pmf[cur] = lower;
        out->pmf[cur + 1] = upper;
    }
    return DMS_OK;
}

int dms_placed_coarsen(const dms_placed *in, double new_span, dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    if (!(in->span <= COARSEN_RATIO_MAX * new_span))
        return dms_placed_rebin(in, new_span, out, err);
    size_t first, last;
    int status = rebin_layout(in, new_span, out, &first, &last, err);
    if (status != DMS_OK)
        return status;
    /* The points k0..k1-1 between the new points b and b + 1 send b + 1
     * the share sum p_k (x_k - b) = S0 (x_k0 - b) + (span / new_span) S1,
     * with S0 = sum p_k and S1 = sum (k - k0) p_k, and b the rest: the same
     * split as point by point, in four partial sums of each so that the
     * additions do not wait on one another. */
    const double *p = in->pmf;
    double ratio = in->span / new_span, inverse = new_span / in->span;
    double origin = (double)in->offset;
    size_t k = first;
    while (k <= last) {
        /* Positions by a product, not dms_placed_rebin's quotient: a point
         * that falls on the other side of a new point by one unit in the
         * last place sends it the same mass up to round-off. */
        double position = (origin + (double)k) * ratio;
        double base = floor(position);
        /* The run ends at the first point at or past base + 1. */
        double guess = ceil((base + 1.0) * inverse - origin);
        size_t end = guess > (double)(k + 1) ? (size_t)guess : k + 1;
        if (end > last + 1)
            end = last + 1;
        while (end > k + 1 && (origin + (double)(end - 1)) * ratio >= base + 1.0)
            end--;
        while (end <= last && (origin + (double)end) * ratio < base + 1.0)
            end++;
        const double *q = p + k;
        size_t len = end - k, i = 0;
        double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, b0 = 0.0, b1 = 0.0, b2 = 0.0, b3 = 0.0;
        double w = 0.0;
#ifdef __SSE2__
        /* The four partial sums of each kind two to a register: every lane
         * makes the scalar loop's very operations (the weights are whole
         * numbers, exact), so the same doubles in half the instructions. */
        if (len >= 4) {
            __m128d sa01 = _mm_setzero_pd(), sa23 = sa01, sb01 = sa01, sb23 = sa01;
            __m128d w01 = _mm_set_pd(1.0, 0.0), w23 = _mm_set_pd(3.0, 2.0);
            const __m128d four = _mm_set1_pd(4.0);
            for (; i + 4 <= len; i += 4) {
                __m128d q01 = _mm_loadu_pd(q + i), q23 = _mm_loadu_pd(q + i + 2);
                sa01 = _mm_add_pd(sa01, q01);
                sa23 = _mm_add_pd(sa23, q23);
                sb01 = _mm_add_pd(sb01, _mm_mul_pd(w01, q01));
                sb23 = _mm_add_pd(sb23, _mm_mul_pd(w23, q23));
                w01 = _mm_add_pd(w01, four);
                w23 = _mm_add_pd(w23, four);
            }
            a0 = _mm_cvtsd_f64(sa01);
            a1 = _mm_cvtsd_f64(_mm_unpackhi_pd(sa01, sa01));
            a2 = _mm_cvtsd_f64(sa23);
            a3 = _mm_cvtsd_f64(_mm_unpackhi_pd(sa23, sa23));
            b0 = _mm_cvtsd_f64(sb01);
            b1 = _mm_cvtsd_f64(_mm_unpackhi_pd(sb01, sb01));
            b2 = _mm_cvtsd_f64(sb23);
            b3 = _mm_cvtsd_f64(_mm_unpackhi_pd(sb23, sb23));
            w = _mm_cvtsd_f64(w01);
        }
#endif
        for (; i + 4 <= len; i += 4, w += 4.0) {
            a0 += q[i];
            a1 += q[i + 1];
            a2 += q[i + 2];
            a3 += q[i + 3];
            b0 += w * q[i];
            b1 += (w + 1.0) * q[i + 1];
            b2 += (w + 2.0) * q[i + 2];
            b3 += (w + 3.0) * q[i + 3];
        }
        for (; i < len; i++, w += 1.0) {
            a0 += q[i];
            b0 += w * q[i];
        }
        double mass = (a0 + a1) + (a2 + a3);
        double upper = mass * (position - base) + ratio * ((b0 + b1) + (b2 + b3));
        long at = (long)base - out->offset;
        size_t j = at > 0 ? (size_t)at : 0; /* rounding at the very bottom */
        if (j + 1 >= out->n) {              /* or at the very top */
            out->pmf[out->n - 1] += mass;
        } else {
            out->pmf[j] += mass - upper;
            out->pmf[j + 1] += upper;
        }
        k = end;
    }
    return DMS_OK;
}

static unsigned long stride_of(const dms_sum_term *term)
{
    return term->stride > 1 ? term->stride : 1;
}

static unsigned long gcd(unsigned long a, unsigned long b)
{
    while (b != 0) {
        unsigned long r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Narrow circles of a sum: the window mean - NARROW_BELOW sd .. mean +
 * (NARROW_WIDTH - NARROW_BELOW) sd, tilted by e^(-NARROW_TILT x / m). */
#define NARROW_BELOW 7.0
#define NARROW_WIDTH 16.0
#define NARROW_TILT 4.0
/* A narrow circle is kept when its estimated aliasing is below this. */
#define NARROW_ERROR_MAX 1e-11
/* ...and tried only for a sum of this many terms at least: the group of a
 * quote, whose tails the many cells make light. A cell's total (one term
 * raised to its head count) keeps the wide circle: its tails are a few
 * people's, and its mean and sd go into the quote as they are. */
#define NARROW_MIN_TERMS 16

/* A frequency whose value falls below this share of the zero frequency's
 * is dropped: the tilted terms' transforms are largest at zero, so its
 * share only falls as terms are multiplied in, and dropped it moves no
 * point of the sum by more than about this share of the sum's mass (with
 * the untilting, e^4 times that at the top of a narrow circle). */
#define SPECTRUM_NEGLIGIBLE 1e-30
/* A spread is taken back where it damps the transform by at most e^-this. */
#define SPREAD_LOG_MAX 12.0

/*
 * Takes an independent normal spread of variance v (in squared units of the
 * span) back out of the transform acc[0..live-1] of a sum on a circle of m
 * points tilted by theta, whose terms all lie on multiples of `comb` points.
 * Frequency i, w = 2 pi i / m, holds E[e^(-(theta + i w) S)] (times a
 * constant), which the spread multiplies by e^(v (theta + i w)^2 / 2); on a
 * comb the transform repeats every m / comb points, so w is taken from the
 * nearest repeat. Divided by that factor up to where it reaches
 * e^SPREAD_LOG_MAX; past it the sum's own transform is negligible.
 */
static void take_back_spread(fftw_complex *acc, size_t live, size_t m, double theta, double v,
                             unsigned long comb)
{
    double period = (double)m / (double)comb;
    for (size_t i = 0; i < live; i++) {
        double w = 2.0 * M_PI * ((double)i - period * round((double)i / period)) / (double)m;
        double grow = 0.5 * v * (w * w - theta * theta);
        if (grow > SPREAD_LOG_MAX)
            continue;
        double turn = -v * theta * w;
        acc[i] = cmul(acc[i], CMPLX(exp(grow) * cos(turn), exp(grow) * sin(turn)));
    }
}

/*
 * The sum of the terms on the circle of m points that holds the values
 * [from, from + m) (in units of the sum's span), into pmf[0..m-1]. With
 * theta > 0 each term is tilted by e^(-theta (x - its mean)) before its
 * transform and the sum untilted after (total mean: centre), so that mass
 * beyond the top of the window that wraps onto its bottom is damped by
 * e^(-theta m), at the price of mass below the window wrapping onto the
 * top amplified as much.
 */
static int sum_on_circle(const dms_sum_term *terms, size_t nterms, const double *means, double from,
                         size_t m, double theta, double spread, double *pmf, dms_error *err)
{
    /* Running product of the terms' transforms; the transform of the point
     * mass at 0 is 1 everywhere. */
    fft_work w;
    fftw_complex *acc = NULL;
    bool scratch = fft_work_scratch(&w, m, &acc);
    int status = scratch ? DMS_OK : fft_work_alloc(&w, m, err);
    if (status != DMS_OK)
        return status;
    if (!scratch && (acc = fftw_malloc((m / 2 + 1) * sizeof *acc)) == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a sum of %zu points", m);
        goto out_free;
    }
    /* The product only loses frequencies (a value flushed to 0 stays 0),
     * and a sum of many terms keeps few: live bounds those still nonzero,
     * so that later terms skip the rest. */
    size_t live = m / 2 + 1;
    double centre = 0.0; /* sum of the count x the tilts' anchors */
    memset(w.x, 0, m * sizeof *w.x);
    for (size_t t = 0; t < nterms; t++) {
        const dms_placed *d = terms[t].dist;
        /* Absolute index modulo the circle: the sum's residues are exact. */
        long stride = (long)stride_of(&terms[t]);
        long first = (d->offset % (long)m) * (stride % (long)m) % (long)m;
        if (first < 0)
            first += (long)m;
        long step = stride % (long)m, index = first;
        if (theta > 0) {
            /* Point k lies at stride (offset + k); its weight is
             * e^(-theta (stride k - lift)), lift = the mean past the first
             * point, refreshed exactly every TILT_REFRESH points. */
            double lift = means[t] - (double)stride * (double)d->offset;
            double decay = exp(-theta * (double)stride), weight = 1.0;
            centre += (double)terms[t].count * means[t];
            for (size_t k = 0; k < d->n; k++) {
                if (k % TILT_REFRESH == 0)
                    weight = exp(-theta * ((double)stride * (double)k - lift));
                w.x[index] += d->pmf[k] * weight;
                weight *= decay;
                index += step;
                if (index >= (long)m)
                    index -= (long)m;
            }
        } else {
            for (size_t k = 0; k < d->n; k++) {
                w.x[index] += d->pmf[k];
                index += step;
                if (index >= (long)m)
                    index -= (long)m;
            }
        }
        fft_forward(&w);
        /* The r2c transform keeps its input: clear only what was placed. */
        index = first;
        for (size_t k = 0; k < d->n; k++) {
            w.x[index] = 0.0;
            index += step;
            if (index >= (long)m)
                index -= (long)m;
        }
        unsigned long count = terms[t].count;
        double floor2 = ipow_floor(count);
        size_t top = 0;
        double cut = 0.0;
        for (size_t i = 0; i < live; i++) {
            if (t > 0 && acc[i] == 0.0)
                continue;
            double complex z = count == 1 ? w.z[i] : ipow(w.z[i], count, floor2);
            acc[i] = flush_tiny(t == 0 ? z : cmul(acc[i], z));
            if (i == 0)
                cut = SPECTRUM_NEGLIGIBLE * fabs(creal(acc[0]));
            if (fabs(creal(acc[i])) + fabs(cimag(acc[i])) >= cut)
                top = i + 1;
        }
        live = top;
    }
    /* What the live bound left behind is negligible: drop it. */
    memset(acc + live, 0, (m / 2 + 1 - live) * sizeof *acc);
    if (spread > 0) {
        unsigned long comb = 0;
        for (size_t t = 0; t < nterms; t++)
            comb = gcd(comb, stride_of(&terms[t]));
        take_back_spread(acc, live, m, theta, spread, comb);
    }
    memcpy(w.z, acc, (m / 2 + 1) * sizeof *w.z);
    fft_inverse(&w);
    /* Unwrap: the value with residue r lies in [from, from + m). */
    long residue = (long)from % (long)m;
    if (residue < 0)
        residue += (long)m;
    double scale = 1.0 / (double)m;
    if (theta > 0) {
        double rise = exp(theta), weight = 1.0;
        for (size_t j = 0; j < m; j++) {
            if (j % TILT_REFRESH == 0)
                weight = scale * exp(theta * (from + (double)j - centre));
            double v = w.x[residue] * weight;
            pmf[j] = v > 0 ? v : 0.0;
            weight *= rise;
            if (++residue == (long)m)
                residue = 0;
        }
    } else {
        for (size_t j = 0; j < m; j++) {
            double v = w.x[residue] * scale;
            pmf[j] = v > 0 ? v : 0.0;
            if (++residue == (long)m)
                residue = 0;
        }
    }
out_free:
    if (!scratch) {
        fftw_free(acc);
        fft_work_free(&w);
    }
    return status;
}

/* Mass of pmf[from, from + len). */
static double mass_between(const double *pmf, size_t from, size_t len)
{
    return dms_lattice_mass(pmf + from, len);
}

/* Below this an outer sixteenth is round-off or a tail already spent:
 * what lies beyond is taken to be no more than it. */
#define NARROW_NOISE 1e-13

/* The mass beyond an edge, from the outermost sixteenth `outer` and the
 * next one `inner`: the geometric series of their ratio, INFINITY for a
 * tail that does not at least halve from one to the next. */
static double beyond_edge(double outer, double inner)
{
    if (outer <= NARROW_NOISE)
        return outer;
    if (!(2 * outer <= inner))
        return INFINITY;
    double r = outer / inner;
    return outer * r / (1 - r);
}

/*
 * The error of a narrow circle's pmf, estimated from its outer sixteenths:
 * mass above the window wraps onto its bottom damped by e^-NARROW_TILT;
 * mass below it wraps onto its top amplified by e^NARROW_TILT (none when
 * the window starts at the sum's lowest value). Each side's region holds
 * the other side's wrapped mass too, which only makes the estimate larger.
 */
static double narrow_aliasing(const double *pmf, size_t m, bool below_possible)
{
    size_t k = m / 16;
    double above = beyond_edge(mass_between(pmf, m - k, k), mass_between(pmf, m - 2 * k, k));
    double below =
        below_possible ? beyond_edge(mass_between(pmf, 0, k), mass_between(pmf, k, k)) : 0.0;
    return above * exp(-NARROW_TILT) + below * exp(NARROW_TILT);
}

int dms_lattice_sum(const dms_sum_term *terms, size_t nterms, dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    return dms_lattice_sum_sharpened(terms, nterms, 0.0, out, err);
}

int dms_lattice_sum_sharpened(const dms_sum_term *terms, size_t nterms, double spread,
                              dms_placed *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (nterms == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "a sum needs at least one term");
    double span = terms[0].dist->span / (double)stride_of(&terms[0]);
    double *means = malloc(nterms * sizeof *means);
    if (means == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    double mean = 0.0, variance = 0.0, lowest = 0.0, highest = 0.0;
    for (size_t i = 0; i < nterms; i++) {
        const dms_placed *d = terms[i].dist;
        double stride = (double)stride_of(&terms[i]);
        if (fabs(d->span - stride * span) > 1e-12 * d->span) {
            free(means);
            return dms_error_set(err, DMS_EINVAL, NULL,
                                 "terms of a sum must lie on whole multiples of one span");
        }
        double c = (double)terms[i].count, term_mean, term_variance;
        dms_placed_moments(d, &term_mean, &term_variance);
        means[i] = term_mean / span;
        mean += c * term_mean / span;
        variance += c * term_variance / (span * span);
        lowest += c * stride * (double)d->offset;
        highest += c * stride * ((double)d->offset + (double)d->n - 1);
    }
    double sd = sqrt(variance);
    int status = DMS_OK;
    double *pmf = NULL;
    /* The whole support when it is short (a few people, where one rare large
     * claim can sit far beyond mean + 16 sd); else a window around the mean
     * (many people: nearly normal). But first, for a sum of many terms, the
     * narrow tilted circle when it is shorter than either (a group on a
     * coarse lattice has a short support, yet more points than the narrow
     * window): kept when the mass it folds is negligible. */
    double from = lowest, to = highest;
    double window = 28 * sd + 32;
    bool windowed = to - from + 1 > fmax(2 * window, SUM_WHOLE_SUPPORT_MAX);
    double narrow_from = fmax(lowest, floor(mean - NARROW_BELOW * sd - 16));
    size_t narrow = dms_next_pow2((size_t)ceil(NARROW_WIDTH * sd + 32));
    size_t other_m = windowed ? dms_next_pow2((size_t)(fmin(highest, ceil(mean + 16 * sd + 16)) -
                                                       fmax(lowest, floor(mean - 12 * sd - 16))) +
                                              1)
                              : dms_next_pow2((size_t)(to - from) + 1);
    if (nterms >= NARROW_MIN_TERMS && narrow < other_m && narrow >= 64) {
        pmf = malloc(narrow * sizeof *pmf);
        if (pmf == NULL) {
            status =
                dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a sum of %zu points", narrow);
            goto out_means;
        }
        status = sum_on_circle(terms, nterms, means, narrow_from, narrow,
                               NARROW_TILT / (double)narrow, spread / (span * span), pmf, err);
        if (status != DMS_OK)
            goto out_means;
        if (narrow_aliasing(pmf, narrow, narrow_from > lowest) <= NARROW_ERROR_MAX) {
            from = narrow_from;
            to = narrow_from + (double)narrow - 1;
            goto out_done;
        }
        free(pmf);
        pmf = NULL;
    }
    if (windowed) {
        from = fmax(lowest, floor(mean - 12 * sd - 16));
        to = fmin(highest, ceil(mean + 16 * sd + 16));
    }
    size_t m = dms_next_pow2((size_t)(to - from) + 1);
    if (m < 2)
        m = 2;
    if (m > DMS_LATTICE_MAX_POINTS) {
        status = dms_error_set(err, DMS_ETOOBIG, NULL, "the sum needs %zu points", m);
        goto out_means;
    }
    pmf = malloc(m * sizeof *pmf);
    if (pmf == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a sum of %zu points", m);
        goto out_means;
    }
    if ((status = sum_on_circle(terms, nterms, means, from, m, 0.0, spread / (span * span), pmf,
                                err)) != DMS_OK)
        goto out_means;
    to = from + (double)m - 1;
out_done:
    out->span = span;
    out->offset = (long)from;
    out->n = (size_t)(to - from) + 1;
    out->pmf = pmf;
    pmf = NULL;
out_means:
    free(pmf);
    free(means);
    return status;
}
