/*
 * The budget option table's pricer: the expected claims E[min(S, L)] of
 * every option of a claims module in every rating cell, each exactly as
 * the group quote prices it (the same aggregate spec, grid, lattice and
 * summary, so the same doubles), but with the work the cells and options
 * have in common done once. The quote plans its grid on the ground-up
 * claim, so the span depends on the severity alone and the moment-matched
 * payment lattice of an option on the severity and the terms alone: cells
 * whose severity is the same (the same cost factors, whatever their claim
 * frequency) share one discretisation, cut to each cell's grid length, and
 * only the compounding is done per cell; identical laws are priced once.
 * The steps follow aggregate.c's automatic grid and method choice for a
 * capped quote, on its public functions; anything else (a grid without
 * claims, one beyond the fine budget) goes through dms_aggregate_compute
 * itself. Every call checks a sample against the engine and lets the
 * engine price everything should they differ (slower, never wrong);
 * tests/test_budget.c checks every option against the quote bit for bit.
 */
#include "budget_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/aggregate.h"
#include "dms/lattice.h"

/* What the group quote asks of the engine (quote.c): a span of
 * E[X | X > 0] / 32 of the ground-up claim, the grid stopping at L. */
#define QUOTE_SPAN_DIVISOR 32.0
/* The engine's rules for one lattice (aggregate.c): the severity lattice
 * ends where less than this mass remains... */
#define SEVERITY_TAIL_CUT 1e-16
/* ...FFT is chosen when points x severity length exceeds this many times
 * n log2 n... */
#define FFT_COST_FACTOR 4.0
/* ...and a capped quote's grid has at most this many points. */
#define AUTO_POINTS_MAX ((size_t)1 << 18)

static dms_aggregate_spec quote_spec(const dms_budget_module_space *ms, const dms_budget_option *o,
                                     const dms_budget_law *law)
{
    dms_aggregate_spec spec = dms_aggregate_spec_default();
    spec.freq = law->freq;
    spec.sev = law->sev;
    spec.cov.deductible = o->deductible;
    spec.cov.franchise = false;
    spec.cov.copay = o->copay;
    spec.cov.claim_limit = ms->module->claim_limit;
    spec.annual_limit = o->annual_limit;
    spec.cap_at_limit = true;
    spec.span_divisor = QUOTE_SPAN_DIVISOR;
    return spec;
}

static int bits_order(double a, double b)
{
    return memcmp(&a, &b, sizeof a);
}

static int severity_order(const dms_severity *a, const dms_severity *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c;
    if ((c = bits_order(a->meanlog, b->meanlog)) != 0 ||
        (c = bits_order(a->sdlog, b->sdlog)) != 0 || (c = bits_order(a->shape, b->shape)) != 0)
        return c;
    return bits_order(a->scale, b->scale);
}

static bool same_frequency(const dms_frequency *a, const dms_frequency *b)
{
    return a->kind == b->kind && bits_order(a->mean, b->mean) == 0 &&
           bits_order(a->size, b->size) == 0;
}

typedef struct law_ref {
    const dms_budget_law *law;
    size_t index;
} law_ref;

static int cmp_law_ref(const void *a, const void *b)
{
    const law_ref *x = a, *y = b;
    int c = severity_order(&x->law->sev, &y->law->sev);
    if (c != 0)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* Length of the severity lattice worth keeping (aggregate.c's rule). */
static size_t severity_length(const double *fy, size_t n)
{
    double cumulative = 0.0;
    for (size_t k = 0; k < n; k++) {
        cumulative += fy[k];
        if (cumulative >= 1.0 - SEVERITY_TAIL_CUT)
            return k + 1;
    }
    return n;
}

/* Workspaces grown on demand. */
typedef struct workspace {
    double *fy, *fs;
    size_t fy_cap, fs_cap;
} workspace;

static int grow(double **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return DMS_OK;
    double *more = realloc(*buf, need * sizeof *more);
    if (more == NULL)
        return DMS_ENOMEM;
    *buf = more;
    *cap = need;
    return DMS_OK;
}

/* The engine's own answer, for grids this pricer does not follow. */
static int price_direct(const dms_aggregate_spec *spec, double *claims, dms_error *err)
{
    dms_aggdist *dist = NULL;
    int status = dms_aggregate_compute(spec, &dist, err);
    if (status == DMS_OK)
        *claims = dms_aggdist_limited_mean(dist, spec->annual_limit);
    dms_aggdist_free(dist);
    return status;
}

/*
 * E[min(S, L)] of spec from its payment lattice fy (at least `points`
 * entries, discretised on span by moment matching), as
 * dms_aggregate_compute and dms_aggdist_limited_mean give it.
 */
static int price_on_lattice(const dms_aggregate_spec *spec, const double *fy, size_t points,
                            double span, workspace *ws, double *claims, dms_error *err)
{
    double mean;
    dms_aggregate_moments(spec, &mean, NULL);
    if (isinf(spec->annual_limit)) {
        *claims = mean; /* without a limit E[S] is exact */
        return DMS_OK;
    }
    size_t fft_n = dms_next_pow2(points);
    size_t ny = severity_length(fy, points);
    double panjer_work = (double)points * (double)ny;
    double fft_work = FFT_COST_FACTOR * (double)fft_n * log2((double)fft_n);
    bool fft = !(panjer_work <= fft_work);
    size_t n = fft ? fft_n : points;
    if (grow(&ws->fs, &ws->fs_cap, fft_n) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", fft_n);
    int status = fft ? dms_compound_fft(&spec->freq, fy, ny, ws->fs, n, err)
                     : dms_compound_panjer(&spec->freq, fy, ny, ws->fs, n, err);
    if (status != DMS_OK)
        return status;
    double v = dms_lattice_limited_mean(ws->fs, n, span, spec->annual_limit);
    *claims = fmin(v, mean); /* a limit never costs more than no limit */
    return DMS_OK;
}

/* One option for the laws refs[0..n-1], which share a severity.
 * copy_of[i] < i names an identical earlier law, n if none. */
static int price_group_option(const dms_budget_module_space *ms, size_t option, const law_ref *refs,
                              size_t n, double *out, workspace *ws, double *span, size_t *points,
                              bool *done, size_t *copy_of, dms_error *err)
{
    const dms_budget_option *o = &ms->options[option];
    size_t nopt = ms->noptions;
    int status = DMS_OK;
    for (size_t i = 0; i < n; i++) {
        double *slot = &out[refs[i].index * nopt + option];
        done[i] = false;
        copy_of[i] = n;
        if (!o->included) {
            *slot = 0.0;
            done[i] = true;
            continue;
        }
        for (size_t j = 0; j < i && copy_of[i] == n; j++)
            if (copy_of[j] == n && same_frequency(&refs[j].law->freq, &refs[i].law->freq))
                copy_of[i] = j;
        if (copy_of[i] != n)
            continue;
        dms_aggregate_spec spec = quote_spec(ms, o, refs[i].law);
        if ((status = dms_aggregate_spec_validate(&spec, err)) != DMS_OK ||
            (status = dms_aggregate_grid(&spec, &span[i], &points[i], err)) != DMS_OK)
            return status;
        if (points[i] <= 2 || points[i] > AUTO_POINTS_MAX) {
            if ((status = price_direct(&spec, slot, err)) != DMS_OK)
                return status;
            done[i] = true;
        }
    }
    /* One discretisation per span (one span per severity, normally), long
     * enough for every law of it; each law uses its own first points. */
    for (;;) {
        size_t first = n;
        for (size_t i = 0; i < n && first == n; i++)
            if (!done[i] && copy_of[i] == n)
                first = i;
        if (first == n)
            break;
        size_t longest = 0;
        for (size_t i = first; i < n; i++)
            if (!done[i] && copy_of[i] == n && bits_order(span[i], span[first]) == 0 &&
                points[i] > longest)
                longest = points[i];
        if (grow(&ws->fy, &ws->fy_cap, longest) != DMS_OK)
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %zu grid points", longest);
        const dms_aggregate_spec basis = quote_spec(ms, o, refs[first].law);
        if ((status = dms_discretize_payment(&basis.sev, &basis.cov, span[first], DMS_DISC_MOMENT,
                                             ws->fy, longest, err)) != DMS_OK)
            return status;
        for (size_t i = first; i < n; i++) {
            if (done[i] || copy_of[i] != n || bits_order(span[i], span[first]) != 0)
                continue;
            dms_aggregate_spec spec = quote_spec(ms, o, refs[i].law);
            if ((status = price_on_lattice(&spec, ws->fy, points[i], span[i], ws,
                                           &out[refs[i].index * nopt + option], err)) != DMS_OK)
                return status;
            done[i] = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (copy_of[i] != n)
            out[refs[i].index * nopt + option] = out[refs[copy_of[i]].index * nopt + option];
    return DMS_OK;
}

int dms_budget_price_claims(const dms_budget_module_space *ms, const dms_budget_law *laws,
                            size_t nlaws, double *out, bool *shared, dms_error *err)
{
    dms_error_clear(err);
    if (shared != NULL)
        *shared = true;
    int status = DMS_OK;
    workspace ws = {NULL, NULL, 0, 0};
    law_ref *refs = malloc((nlaws ? nlaws : 1) * sizeof *refs);
    double *span = malloc((nlaws ? nlaws : 1) * sizeof *span);
    size_t *points = malloc((nlaws ? nlaws : 1) * sizeof *points);
    bool *done = malloc((nlaws ? nlaws : 1) * sizeof *done);
    size_t *copy_of = malloc((nlaws ? nlaws : 1) * sizeof *copy_of);
    if (refs == NULL || span == NULL || points == NULL || done == NULL || copy_of == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory to price the options");
        goto out;
    }
    for (size_t i = 0; i < nlaws; i++)
        refs[i] = (law_ref){&laws[i], i};
    qsort(refs, nlaws, sizeof *refs, cmp_law_ref);
    for (size_t g = 0; g < nlaws && status == DMS_OK;) {
        size_t end = g + 1;
        while (end < nlaws && severity_order(&refs[end].law->sev, &refs[g].law->sev) == 0)
            end++;
        for (size_t o = 0; o < ms->noptions && status == DMS_OK; o++)
            status = price_group_option(ms, o, &refs[g], end - g, out, &ws, span, points, done,
                                        copy_of, err);
        g = end;
    }
    /* The steps above follow the engine's rules; should the engine ever
     * change them, a sample disagrees: the first and last laws, every
     * option, priced by the engine itself. Then the engine prices it all. */
    bool same = true;
    for (size_t i = 0; i < nlaws && i < 2 && status == DMS_OK && same; i++) {
        size_t law = i == 0 ? 0 : nlaws - 1;
        for (size_t o = 0; o < ms->noptions && status == DMS_OK && same; o++) {
            if (!ms->options[o].included)
                continue;
            dms_aggregate_spec spec = quote_spec(ms, &ms->options[o], &laws[law]);
            double direct;
            status = price_direct(&spec, &direct, err);
            same = status != DMS_OK || bits_order(direct, out[law * ms->noptions + o]) == 0;
        }
    }
    if (shared != NULL)
        *shared = same;
    for (size_t law = 0; law < nlaws && status == DMS_OK && !same; law++)
        for (size_t o = 0; o < ms->noptions && status == DMS_OK; o++) {
            double *slot = &out[law * ms->noptions + o];
            *slot = 0.0;
            if (ms->options[o].included) {
                dms_aggregate_spec spec = quote_spec(ms, &ms->options[o], &laws[law]);
                status = price_direct(&spec, slot, err);
            }
        }
out:
    free(ws.fy);
    free(ws.fs);
    free(refs);
    free(span);
    free(points);
    free(done);
    free(copy_of);
    return status;
}
