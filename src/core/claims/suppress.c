/*
 * Complementary small-cell suppression (see suppress.h). Relations are kept
 * as a flat list of cell indices; the completion is a fixpoint over them,
 * which ends because every step hides one more of finitely many cells. The
 * choice of the second cell prefers the smallest positive visible part: it
 * loses the least information, and a hidden zero would be recognisable to a
 * reader who knows hidden primary cells are at least 1.
 */
#include "dms/suppress.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sum {
    size_t total; /* a cell or DMS_SUPPRESS_KNOWN */
    size_t first; /* into idx */
    size_t nparts;
};

struct link {
    size_t from, to;
};

struct dms_suppress {
    size_t ncells;
    struct sum *sums;
    size_t nsums, cap_sums;
    size_t *idx;
    size_t nidx, cap_idx;
    struct link *links;
    size_t nlinks, cap_links;
};

bool dms_suppress_small(long count, int min_cell)
{
    return count > 0 && count < (long)min_cell;
}

int dms_suppress_check_min_cell(long min_cell, int floor, dms_error *err)
{
    dms_error_clear(err);
    if (min_cell < floor || min_cell > 1000)
        return dms_error_set(err, DMS_EINVAL, "/min_cell",
                             "min_cell must be %d..1000: groups under %d people are never shown "
                             "(got %ld)",
                             floor, floor, min_cell);
    return DMS_OK;
}

int dms_suppress_alloc(size_t ncells, dms_suppress **out, dms_error *err)
{
    dms_error_clear(err);
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for suppression");
    (*out)->ncells = ncells;
    return DMS_OK;
}

void dms_suppress_free(dms_suppress *s)
{
    if (s == NULL)
        return;
    free(s->sums);
    free(s->idx);
    free(s->links);
    free(s);
}

/* Grows *buf (elements of size) to hold need; false on ENOMEM. */
static bool reserve(void **buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*buf, ncap * size);
    if (p == NULL)
        return false;
    *buf = p;
    *cap = ncap;
    return true;
}

int dms_suppress_add_sum(dms_suppress *s, size_t total, const size_t *parts, size_t nparts,
                         dms_error *err)
{
    dms_error_clear(err);
    if (total != DMS_SUPPRESS_KNOWN && total >= s->ncells)
        return dms_error_set(err, DMS_EINVAL, NULL, "suppression: total %zu out of range", total);
    for (size_t i = 0; i < nparts; i++)
        if (parts[i] >= s->ncells)
            return dms_error_set(err, DMS_EINVAL, NULL, "suppression: part %zu out of range",
                                 parts[i]);
    if (!reserve((void **)&s->sums, &s->cap_sums, s->nsums + 1, sizeof *s->sums) ||
        !reserve((void **)&s->idx, &s->cap_idx, s->nidx + nparts, sizeof *s->idx))
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for suppression");
    s->sums[s->nsums++] = (struct sum){total, s->nidx, nparts};
    if (nparts > 0)
        memcpy(s->idx + s->nidx, parts, nparts * sizeof *parts);
    s->nidx += nparts;
    return DMS_OK;
}

int dms_suppress_add_link(dms_suppress *s, size_t from, size_t to, dms_error *err)
{
    dms_error_clear(err);
    if (from >= s->ncells || to >= s->ncells)
        return dms_error_set(err, DMS_EINVAL, NULL, "suppression: link out of range");
    if (!reserve((void **)&s->links, &s->cap_links, s->nlinks + 1, sizeof *s->links))
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for suppression");
    s->links[s->nlinks++] = (struct link){from, to};
    return DMS_OK;
}

/* The cell to hide beside the one hidden cell of sum m, or SIZE_MAX. */
static size_t complement(const dms_suppress *s, const struct sum *m, const double *values,
                         const bool *hidden)
{
    size_t best = SIZE_MAX, any = SIZE_MAX;
    for (size_t k = 0; k < m->nparts; k++) {
        size_t c = s->idx[m->first + k];
        if (hidden[c])
            continue;
        if (any == SIZE_MAX)
            any = c;
        if (values[c] > 0 && (best == SIZE_MAX || values[c] < values[best]))
            best = c;
    }
    if (best != SIZE_MAX)
        return best;
    if (m->total != DMS_SUPPRESS_KNOWN && !hidden[m->total])
        return m->total;
    return any;
}

size_t dms_suppress_complete(const dms_suppress *s, const double *values, bool *hidden)
{
    size_t added = 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t l = 0; l < s->nlinks; l++)
            if (hidden[s->links[l].from] && !hidden[s->links[l].to]) {
                hidden[s->links[l].to] = true;
                added++;
                changed = true;
            }
        for (size_t i = 0; i < s->nsums; i++) {
            const struct sum *m = &s->sums[i];
            size_t nhidden = m->total != DMS_SUPPRESS_KNOWN && hidden[m->total];
            for (size_t k = 0; k < m->nparts; k++)
                nhidden += hidden[s->idx[m->first + k]];
            if (nhidden != 1)
                continue;
            size_t c = complement(s, m, values, hidden);
            if (c == SIZE_MAX)
                continue; /* a lone part of a known total: nothing can hide it */
            hidden[c] = true;
            added++;
            changed = true;
        }
    }
    return added;
}

int dms_suppress_counts(long total, const long *counts, size_t n, int min_cell, bool *total_hidden,
                        bool *hidden, dms_error *err)
{
    dms_suppress *s = NULL;
    size_t *parts = malloc((n + 1) * sizeof *parts);
    double *values = malloc((n + 1) * sizeof *values);
    bool *flags = malloc((n + 1) * sizeof *flags);
    int status = DMS_OK;
    dms_error_clear(err);
    if (parts == NULL || values == NULL || flags == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for suppression");
        goto out;
    }
    /* cell 0 is the total, cells 1..n the counts */
    values[0] = (double)total;
    flags[0] = dms_suppress_small(total, min_cell);
    for (size_t i = 0; i < n; i++) {
        parts[i] = i + 1;
        values[i + 1] = (double)counts[i];
        flags[i + 1] = dms_suppress_small(counts[i], min_cell);
    }
    if ((status = dms_suppress_alloc(n + 1, &s, err)) != DMS_OK ||
        (status = dms_suppress_add_sum(s, 0, parts, n, err)) != DMS_OK)
        goto out;
    dms_suppress_complete(s, values, flags);
    *total_hidden = flags[0];
    for (size_t i = 0; i < n; i++)
        hidden[i] = flags[i + 1];
out:
    dms_suppress_free(s);
    free(parts);
    free(values);
    free(flags);
    return status;
}
