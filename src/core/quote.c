/*
 * The group quote. Three steps: resolve the plan against the tariff and
 * model (every fault reported with its pointer), count people into rating
 * cells, then price each cell once per scenario. Pricing a cell computes,
 * per claims module, the distribution of the insurer's annual payment per
 * person min(S, L); its mean is the expected claims and, when percentiles
 * are asked for, the module distributions (kept from that pass) are summed
 * into the person's and raised to the cell's head count on one FFT circle
 * for the whole group. That circle's lattice is coarse (a sixtieth of the
 * group's sd), and moving persons onto it spreads the sum by up to a few
 * percent of its variance: the spread, known exactly from the moments, is
 * taken back out in the frequency domain, and the quantiles are read
 * between the lattice's knots, which leaves the percentiles within 0.002 sd
 * of a computation on spans four to thirty times finer (test_quote's
 * test_coarse_grid_error_is_stated says why).
 */
#include "dms/date.h"
#include "dms/quote.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "dms/aggregate.h"
#include "dms/cancel.h"
#include "dms/lattice.h"
#include "dms/text.h"

const double dms_quote_percentile_levels[DMS_QUOTE_NPERCENTILES] = {0.5, 0.75, 0.9, 0.95, 0.99};

/* Per-person lattice span = PERSON_SPAN_SD x the person's sd of claims, or
 * the group span if that is coarser, up to PERSON_SPAN_MAX_SD x the sd
 * (beyond it, the cell's total is moved onto the group span whole): the
 * mean-keeping move adds at most span^2/4 of variance a person, which the
 * group distribution takes back out. */
#define PERSON_SPAN_SD 0.1
#define PERSON_SPAN_MAX_SD 1.2
/* Claims per module on a span of E[X | X > 0] / QUOTE_SPAN_DIVISOR of the
 * ground-up claim: a group total blurs finer detail away, and with moment
 * matching the limited means stay within 1e-5 of a 32 times finer grid
 * (tests/test_aggregate_tail.c). */
#define QUOTE_SPAN_DIVISOR 32.0
/* Group lattice span = group sd / GROUP_SPAN_DIVISOR, or GROUP_RESOLUTION
 * of the group's mean claims if that is coarser (a large group, whose sd is
 * a small share of its mean, then gets a far shorter circle). The narrow
 * circle, 16 sd and 32 points wide, then takes 1024 points; a quantile read
 * between knots is off by about span^2 |z| / 6 sd-units, 1e-4 sd at P99. */
#define GROUP_SPAN_DIVISOR 60.0
#define GROUP_RESOLUTION 5e-5
/* The spread of the moves onto the lattices is taken back only for a group
 * of at least SPREAD_MIN_PEOPLE people whose claims vary: a few people's sum
 * keeps atoms (everyone without claims) that no move spreads and that taking
 * a normal back would amplify. A smaller group's persons lie on about a
 * tenth of their sd anyway (the group span, sd / 60, is finer until about 36
 * people), as before the coarse grid, and its spread is left in. */
#define SPREAD_MIN_PEOPLE 20
/* The reference method: the group span of group sd / REFERENCE_SPAN_DIVISOR
 * (or GROUP_RESOLUTION of the mean), and with the persons' spans,
 * REFERENCE_FINER times finer, nothing taken back: the method before the
 * coarse grid, with its every span four times finer. */
#define REFERENCE_SPAN_DIVISOR 500.0
#define REFERENCE_FINER 4.0

const char *dms_anti_selection_reason_name(enum dms_anti_selection_reason reason)
{
    switch (reason) {
    case DMS_ANTISEL_VOLUNTARY:
        return "voluntary";
    case DMS_ANTISEL_NOT_VOLUNTARY:
        return "not_voluntary";
    case DMS_ANTISEL_NOT_MARKED:
        break;
    }
    return "not_marked";
}

const char *dms_anti_selection_reason_text(enum dms_anti_selection_reason reason)
{
    switch (reason) {
    case DMS_ANTISEL_VOLUNTARY:
        return "applied: employees choose this module themselves / применена: модуль сотрудники "
               "выбирают сами";
    case DMS_ANTISEL_NOT_VOLUNTARY:
        return "not applied: the plan marks the module not voluntary / не применена: модуль не "
               "добровольный по программе";
    case DMS_ANTISEL_NOT_MARKED:
        break;
    }
    return "not applied: the plan does not mark the module voluntary, so the employer pays it "
           "for everyone / не применена: программа не отмечает модуль добровольным, его "
           "оплачивает работодатель за всех";
}

dms_quote_options dms_quote_options_default(void)
{
    return (dms_quote_options){.percentiles = true, .census_source = "census"};
}

/* A plan module resolved against the tariff and model. */
typedef struct resolved_module {
    const dms_tariff_module *tariff;
    const dms_model_module *model;
    dms_coverage cov;
    double annual_limit;
    bool voluntary;
    enum dms_anti_selection_reason reason;
} resolved_module;

typedef struct resolved_segment {
    const dms_network *network;
    size_t nmodules;
    resolved_module modules[DMS_PLAN_MAX_MODULES];
} resolved_segment;

static int resolve_module(const dms_tariff *tariff, const dms_model *model,
                          const dms_plan_module *pm, const char *pointer, resolved_module *out,
                          dms_diag *diag)
{
    char path[DMS_ERROR_PATH_MAX + 32];
    out->tariff = dms_tariff_find_module(tariff, pm->code);
    out->model = dms_model_find(model, pm->code);
    if (out->tariff == NULL || out->model == NULL) {
        snprintf(path, sizeof path, "%s/module", pointer);
        return dms_diag_add_path(diag, DMS_EINVAL, path, "module '%s' is not in the %s '%s'",
                                 pm->code, out->tariff == NULL ? "tariff" : "model",
                                 out->tariff == NULL ? tariff->version : model->version);
    }
    const dms_tariff_module *tm = out->tariff;
    out->cov.deductible = pm->set_terms & DMS_TERM_DEDUCTIBLE ? pm->cov.deductible : tm->deductible;
    out->cov.franchise = pm->cov.franchise;
    out->cov.copay = pm->set_terms & DMS_TERM_COPAY ? pm->cov.copay : tm->copay;
    out->cov.claim_limit =
        pm->set_terms & DMS_TERM_CLAIM_LIMIT ? pm->cov.claim_limit : tm->claim_limit;
    out->annual_limit = pm->set_terms & DMS_TERM_ANNUAL_LIMIT ? pm->annual_limit : tm->annual_limit;
    /* Anti-selection only where employees choose: an unmarked line is
     * employer-paid even if the tariff lets the module be optional. */
    out->voluntary = (pm->set_terms & DMS_TERM_VOLUNTARY) && pm->voluntary;
    out->reason = !(pm->set_terms & DMS_TERM_VOLUNTARY) ? DMS_ANTISEL_NOT_MARKED
                  : pm->voluntary                       ? DMS_ANTISEL_VOLUNTARY
                                                        : DMS_ANTISEL_NOT_VOLUNTARY;
    int status = DMS_OK;
    if (tm->type == DMS_MODULE_CLAIMS) {
        if (!dms_tariff_deductible_allowed(tariff, out->cov.deductible)) {
            snprintf(path, sizeof path, "%s/deductible", pointer);
            status = dms_diag_add_path(diag, DMS_EINVAL, path,
                                       "deductible %g is not one the tariff allows",
                                       out->cov.deductible);
        }
        if (!dms_tariff_copay_allowed(tariff, out->cov.copay)) {
            snprintf(path, sizeof path, "%s/copay", pointer);
            status = dms_diag_add_path(diag, DMS_EINVAL, path,
                                       "co-pay %g is not one the tariff allows", out->cov.copay);
        }
        dms_error err;
        dms_error_clear(&err);
        if (dms_coverage_validate(&out->cov, &err) != DMS_OK) {
            dms_error_prefix_path(&err, pointer);
            dms_diag_add(diag, &err);
            status = DMS_EINVAL;
        }
    }
    return status;
}

static int resolve_plan(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                        resolved_segment *segments, dms_diag *diag)
{
    int status = DMS_OK;
    char pointer[DMS_ERROR_PATH_MAX];
    for (size_t s = 0; s < plan->nsegments; s++) {
        const dms_plan_segment *ps = &plan->segments[s];
        segments[s].network = dms_tariff_find_network(tariff, ps->network);
        if (segments[s].network == NULL) {
            snprintf(pointer, sizeof pointer, "/segments/%zu/network", s);
            status = dms_diag_add_path(diag, DMS_EINVAL, pointer,
                                       "network '%s' is not in the tariff (economy, standard, "
                                       "business, vip...)",
                                       ps->network);
        }
        segments[s].nmodules = ps->nmodules;
        for (size_t m = 0; m < ps->nmodules; m++) {
            snprintf(pointer, sizeof pointer, "/segments/%zu/modules/%zu", s, m);
            if (resolve_module(tariff, model, &ps->modules[m], pointer, &segments[s].modules[m],
                               diag) != DMS_OK)
                status = DMS_EINVAL;
        }
    }
    return status;
}

/* A rating cell: people of one segment, age band, sex and region class. */
typedef struct cell {
    unsigned long count;
    double age_sum;
    size_t employees, spouses, children;
} cell;

typedef struct cell_grid {
    size_t nsegments, nbands, nregions;
    cell *cells;
} cell_grid;

static size_t cell_index(const cell_grid *g, size_t segment, size_t band, int sex, size_t region)
{
    return ((segment * g->nbands + band) * 2 + (size_t)sex) * g->nregions + region;
}

/*
 * The caches. Pricing a claims module for a rating cell is a pure function
 * of the aggregate spec (frequency, severity, terms, annual limit, grid
 * divisor): the same inputs give the same doubles. So is a cell's total,
 * of its modules' specs and its head count. Repeated quotes of the same
 * census (the API under load, the picker, the budget's verifying quotes)
 * meet the same inputs again, so the answers - limited mean, variance and
 * the capped distribution per module, the distribution of the cell's
 * total per cell - are kept process-wide, keyed by the exact bits of the
 * inputs; and the group's distribution per scenario, of its cells' keys and
 * head counts. A hit returns what a miss would compute, bit for bit. Each
 * cache is bounded (64, 128 and 16 MiB with its keys): when it holds its
 * bytes or half its slots, it is emptied and starts again. The group pass
 * reads the module lattices in place: the module cache lends them under a
 * hold count (struct lease) rather than copying them in and out, and an
 * emptied cache frees a lent lattice only when its borrower lets it go.
 */
#define CACHE_SLOTS 16384u
#define CACHE_KEY_LEN 14 /* doubles per module spec */

/* A module lattice lent out of the cache: the cache and each borrower
 * hold it, and the last to let go frees it (under the cache's lock), so a
 * borrower reads it in place while another thread empties the cache. */
typedef struct lease {
    unsigned long holders;
    double *pmf;
} lease;

typedef struct cache_entry {
    double *key; /* owned; NULL: free slot */
    size_t keylen;
    double mean, variance;
    dms_placed placed; /* its pmf is the lease's when lease is not NULL */
    lease *lease;
} cache_entry;

typedef struct memo {
    size_t max_bytes;
    cache_entry *table;
    size_t count, bytes;
} memo;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static memo module_memo = {(size_t)64 << 20, NULL, 0, 0};
static memo cell_memo = {(size_t)128 << 20, NULL, 0, 0};
static memo group_memo = {(size_t)16 << 20, NULL, 0, 0};
static unsigned long long cache_hits, cache_misses;

static void cache_key(const dms_aggregate_spec *spec, double *key)
{
    key[0] = (double)spec->freq.kind;
    key[1] = spec->freq.mean;
    key[2] = spec->freq.size;
    key[3] = (double)spec->sev.kind;
    key[4] = spec->sev.meanlog;
    key[5] = spec->sev.sdlog;
    key[6] = spec->sev.shape;
    key[7] = spec->sev.scale;
    key[8] = spec->cov.deductible;
    key[9] = spec->cov.franchise ? 1.0 : 0.0;
    key[10] = spec->cov.copay;
    key[11] = spec->cov.claim_limit;
    key[12] = spec->annual_limit;
    key[13] = spec->span_divisor;
}

/* A hash of the key's doubles' bits, a word at a time (a group key holds
 * thousands of doubles), mixed down so that its low bits pick the slot. */
static uint64_t key_hash(const double *key, size_t keylen)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < keylen; i++) {
        uint64_t bits;
        memcpy(&bits, &key[i], sizeof bits);
        h = (h ^ bits) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    return h ^ (h >> 32);
}

static size_t cache_slot(const double *key, size_t keylen)
{
    return (size_t)(key_hash(key, keylen) & (CACHE_SLOTS - 1));
}

static bool key_equal(const cache_entry *e, const double *key, size_t keylen)
{
    return e->keylen == keylen && memcmp(e->key, key, keylen * sizeof *key) == 0;
}

/* Caller holds the lock. Lets go of one hold of l. */
static void lease_drop_locked(lease *l)
{
    if (--l->holders == 0) {
        free(l->pmf);
        free(l);
    }
}

/* A borrower lets go of its lattice. */
static void lease_release(lease *l)
{
    pthread_mutex_lock(&cache_lock);
    lease_drop_locked(l);
    pthread_mutex_unlock(&cache_lock);
}

/* Caller holds the lock. */
static void memo_flush_locked(memo *mm)
{
    if (mm->table != NULL)
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            if (mm->table[i].key != NULL) {
                free(mm->table[i].key);
                if (mm->table[i].lease != NULL)
                    lease_drop_locked(mm->table[i].lease);
                else
                    dms_placed_free(&mm->table[i].placed);
                memset(&mm->table[i], 0, sizeof mm->table[i]);
            }
    mm->count = 0;
    mm->bytes = 0;
}

void dms_quote_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    memo_flush_locked(&module_memo);
    memo_flush_locked(&cell_memo);
    memo_flush_locked(&group_memo);
    cache_hits = cache_misses = 0;
    pthread_mutex_unlock(&cache_lock);
    dms_aggregate_cache_clear(); /* the engine's kept lattices too: a cold quote is cold */
}

void dms_quote_cache_stats(unsigned long long *hits, unsigned long long *misses)
{
    pthread_mutex_lock(&cache_lock);
    *hits = cache_hits;
    *misses = cache_misses;
    pthread_mutex_unlock(&cache_lock);
}

/* On a hit fills mean, variance and (when placed is not NULL) the
 * distribution: with lent, the cache's own lattice, lent under *lent (NULL
 * when it had to be copied after all); else a copy. False on a miss or when
 * the copy finds no memory. */
static bool cache_get(memo *mm, const double *key, size_t keylen, double *mean, double *variance,
                      dms_placed *placed, lease **lent)
{
    if (lent != NULL)
        *lent = NULL;
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    if (mm->table != NULL)
        for (size_t h = cache_slot(key, keylen); mm->table[h].key != NULL;
             h = (h + 1) & (CACHE_SLOTS - 1)) {
            cache_entry *e = &mm->table[h];
            if (!key_equal(e, key, keylen))
                continue;
            found = true;
            *mean = e->mean;
            *variance = e->variance;
            if (placed != NULL && lent != NULL && e->lease == NULL &&
                (e->lease = malloc(sizeof *e->lease)) != NULL)
                *e->lease = (lease){1, e->placed.pmf};
            if (placed != NULL && lent != NULL && e->lease != NULL) {
                e->lease->holders++;
                *lent = e->lease;
                *placed = e->placed;
            } else if (placed != NULL) {
                *placed = e->placed;
                placed->pmf = malloc(e->placed.n * sizeof *placed->pmf);
                if (placed->pmf == NULL)
                    found = false;
                else
                    memcpy(placed->pmf, e->placed.pmf, e->placed.n * sizeof *placed->pmf);
            }
            break;
        }
    if (found)
        cache_hits++;
    else
        cache_misses++;
    pthread_mutex_unlock(&cache_lock);
    return found;
}

/* Keeps one answer: a copy of placed's lattice, or with given the lattice
 * placed->pmf itself, which is the cache's then (freed when not kept);
 * without memory it simply keeps nothing. With lent (and given), the
 * lattice is kept and lent back under *lent, the caller's to release; not
 * kept, *lent is NULL and the lattice stays the caller's. */
static void cache_keep(memo *mm, const double *key, size_t keylen, double mean, double variance,
                       const dms_placed *placed, bool given, lease **lent)
{
    size_t bytes = placed->n * sizeof *placed->pmf;
    size_t cost = bytes + keylen * sizeof *key; /* what the entry holds */
    double *copy = given ? placed->pmf : NULL;
    lease *shared = NULL;
    if (lent != NULL) {
        *lent = NULL;
        copy = NULL; /* the caller's until kept */
        if (cost > mm->max_bytes / 4 || (shared = malloc(sizeof *shared)) == NULL)
            return;
        *shared = (lease){2, placed->pmf};
    }
    if (cost > mm->max_bytes / 4) {
        free(copy);
        return; /* one answer may not crowd out the rest */
    }
    if (shared != NULL)
        copy = placed->pmf;
    else if (copy == NULL && (copy = malloc(bytes ? bytes : 1)) != NULL)
        memcpy(copy, placed->pmf, bytes);
    double *kcopy = malloc(keylen * sizeof *key);
    if (copy == NULL || kcopy == NULL) {
        if (shared == NULL)
            free(copy);
        free(shared);
        free(kcopy);
        return;
    }
    memcpy(kcopy, key, keylen * sizeof *key);
    pthread_mutex_lock(&cache_lock);
    if (mm->table == NULL)
        mm->table = calloc(CACHE_SLOTS, sizeof *mm->table);
    if (mm->table == NULL) {
        pthread_mutex_unlock(&cache_lock);
        if (shared == NULL)
            free(copy);
        free(shared);
        free(kcopy);
        return;
    }
    if (2 * (mm->count + 1) > CACHE_SLOTS || mm->bytes + cost > mm->max_bytes)
        memo_flush_locked(mm);
    size_t h = cache_slot(key, keylen);
    while (mm->table[h].key != NULL && !key_equal(&mm->table[h], key, keylen))
        h = (h + 1) & (CACHE_SLOTS - 1);
    if (mm->table[h].key != NULL) { /* another thread got there first: same answer */
        pthread_mutex_unlock(&cache_lock);
        if (shared == NULL)
            free(copy);
        free(shared);
        free(kcopy);
        return;
    }
    cache_entry *e = &mm->table[h];
    e->key = kcopy;
    e->keylen = keylen;
    e->mean = mean;
    e->variance = variance;
    e->placed = *placed;
    e->placed.pmf = copy;
    e->lease = shared;
    if (lent != NULL)
        *lent = shared;
    mm->count++;
    mm->bytes += cost;
    pthread_mutex_unlock(&cache_lock);
}

/* Keeps a copy of one answer. */
static void cache_put(memo *mm, const double *key, size_t keylen, double mean, double variance,
                      const dms_placed *placed)
{
    cache_keep(mm, key, keylen, mean, variance, placed, false, NULL);
}

/* Everything priced for one cell and one scenario. */
typedef struct cell_price {
    double claims[DMS_PLAN_MAX_MODULES];   /* per person */
    double variance[DMS_PLAN_MAX_MODULES]; /* per person */
    dms_placed person;                     /* per-person claims, if wanted */
    double flat_total;                     /* per person, deterministic part */
    /* The claims modules' cache keys, in order, and one slot for the head
     * count: the key of the cell's total. */
    double key[DMS_PLAN_MAX_MODULES * CACHE_KEY_LEN + 2];
    size_t nkey;
} cell_price;

dms_aggregate_spec dms_quote_module_spec(const dms_frequency *freq, const dms_severity *sev,
                                         const dms_coverage *cov, double annual_limit)
{
    dms_aggregate_spec spec = dms_aggregate_spec_default();
    spec.freq = *freq;
    spec.sev = *sev;
    spec.cov = *cov;
    spec.annual_limit = annual_limit;
    spec.cap_at_limit = true;
    spec.span_divisor = QUOTE_SPAN_DIVISOR;
    return spec;
}

/* The distribution of one person's claims, the sum of its claims modules'
 * capped lattices modules[0..n-1] each moved onto span (mean kept, at most
 * span^2/4 of variance added per module), into *out (new). */
static int person_distribution(const dms_placed *modules, size_t n, double span, dms_placed *out,
                               dms_error *err)
{
    dms_placed rebinned[DMS_PLAN_MAX_MODULES];
    dms_sum_term terms[DMS_PLAN_MAX_MODULES] = {{0}};
    size_t done = 0;
    int status = DMS_OK;
    for (; done < n && status == DMS_OK; done++) {
        status = dms_placed_coarsen(&modules[done], span, &rebinned[done], err);
        terms[done] = (dms_sum_term){&rebinned[done], 1, 1};
    }
    if (status == DMS_OK)
        status = dms_lattice_sum(terms, n, out, err);
    for (size_t i = 0; i < done; i++)
        dms_placed_free(&rebinned[i]);
    return status;
}

/*
 * Prices one cell; with want_distribution, also the distribution of one
 * person's claims on the span person_span (0: PERSON_SPAN_SD x its sd).
 * With keep and leases (DMS_PLAN_MAX_MODULES slots each; not with
 * want_distribution), the capped lattices of the claims modules, in order,
 * go into keep's empty slots (pmf NULL): a lattice the module cache holds
 * (found there, or computed here and kept) is the cache's own, lent under
 * the lease in the same slot of leases (released by the caller), so that
 * the group distribution reads it in place; a lattice the cache would not
 * keep is the slot's own (lease NULL).
 */
static int price_cell(const dms_quote *q, dms_cancel_gate *gate, const resolved_segment *rs,
                      size_t band, int sex, const dms_region *region, int scenario,
                      bool want_distribution, double person_span, dms_placed *keep, lease **leases,
                      cell_price *price, dms_error *err)
{
    memset(price, 0, sizeof *price);
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.network_frequency = rs->network->frequency_factor;
    adj.network_cost = rs->network->cost_factor;
    adj.region = region->factor;
    adj.trend_years = q->trend_years;
    adj.scenario = q->scenarios[scenario];
    dms_placed modules[DMS_PLAN_MAX_MODULES];
    lease *lent[DMS_PLAN_MAX_MODULES] = {NULL};
    size_t nplaced = 0;
    double person_variance = 0.0;
    int status = DMS_OK;
    for (size_t m = 0; m < rs->nmodules; m++) {
        const resolved_module *rm = &rs->modules[m];
        dms_model_rated rated;
        if ((status = dms_model_rate(q->model, rm->model, band, sex, &adj, &rated, err)) != DMS_OK)
            goto out;
        if (rm->model->type == DMS_MODULE_FLAT) {
            price->claims[m] = rated.flat_cost;
            price->flat_total += rated.flat_cost;
            continue;
        }
        dms_aggregate_spec spec =
            dms_quote_module_spec(&rated.frequency, &rated.severity, &rm->cov, rm->annual_limit);
        double key[CACHE_KEY_LEN];
        cache_key(&spec, key);
        if (gate != NULL && gate->hook != NULL) {
            /* only polled: the module's numbers are the same with or without it */
            spec.cancelled = dms_cancel_gate_fired;
            spec.cancel_ctx = gate;
        }
        memset(&modules[nplaced], 0, sizeof modules[nplaced]);
        memcpy(price->key + CACHE_KEY_LEN * nplaced, key, sizeof key);
        bool lend = keep != NULL && keep[nplaced].pmf == NULL;
        if (!cache_get(&module_memo, key, CACHE_KEY_LEN, &price->claims[m], &price->variance[m],
                       want_distribution || lend ? &modules[nplaced] : NULL,
                       lend ? &lent[nplaced] : NULL)) {
            if ((status = dms_aggregate_compute_capped(&spec, &price->claims[m], &modules[nplaced],
                                                       &price->variance[m], err)) != DMS_OK)
                goto out;
            /* A lattice nobody here wants (no distribution asked for, no
             * empty slot to hand it to) is the cache's; one for a slot is
             * the cache's too, lent back; for a distribution it keeps a copy. */
            cache_keep(&module_memo, key, CACHE_KEY_LEN, price->claims[m], price->variance[m],
                       &modules[nplaced], !want_distribution, lend ? &lent[nplaced] : NULL);
            if (!want_distribution && !lend)
                modules[nplaced].pmf = NULL;
        }
        person_variance += price->variance[m];
        nplaced++;
        price->nkey = CACHE_KEY_LEN * nplaced;
    }
    if (want_distribution && nplaced > 0 && person_variance > 0)
        status = person_distribution(modules, nplaced,
                                     person_span > 0 ? person_span
                                                     : PERSON_SPAN_SD * sqrt(person_variance),
                                     &price->person, err);
out:
    for (size_t i = 0; i < nplaced; i++) {
        if (keep != NULL && status == DMS_OK && keep[i].pmf == NULL) {
            keep[i] = modules[i];
            leases[i] = lent[i];
            continue;
        }
        if (lent[i] != NULL)
            lease_release(lent[i]);
        else
            dms_placed_free(&modules[i]);
    }
    return status;
}

static int64_t to_kopecks(double roubles)
{
    return (int64_t)llround(roubles * 100.0);
}

/* Adds a cell's money to a block: count people priced at per-person amounts. */
static void add_money(dms_quote_money *block, const dms_quote_money *per_person, double count)
{
    block->expected_claims += count * per_person->expected_claims;
    block->group_size_load += count * per_person->group_size_load;
    block->anti_selection += count * per_person->anti_selection;
    block->pure_premium += count * per_person->pure_premium;
    block->admin_fee += count * per_person->admin_fee;
    block->contingency += count * per_person->contingency;
    block->expense += count * per_person->expense;
    block->commission += count * per_person->commission;
    block->profit += count * per_person->profit;
    block->rounding += count * per_person->rounding;
    block->gross_kopecks += (int64_t)count * per_person->gross_kopecks;
}

/*
 * Loadings of one person of a cell: per module lines (without admin fee and
 * rounding, which belong to the person) and the person's total.
 */
static void load_person(const dms_quote *q, const resolved_segment *rs, const cell_price *price,
                        dms_quote_money *lines, dms_quote_money *person)
{
    memset(person, 0, sizeof *person);
    dms_loaded l;
    for (size_t m = 0; m < rs->nmodules; m++) {
        dms_quote_money *line = &lines[m];
        memset(line, 0, sizeof *line);
        dms_tariff_load_line(q->tariff, price->claims[m], q->group_factor, rs->modules[m].voluntary,
                             &l);
        line->expected_claims = l.expected_claims;
        line->group_size_load = l.group_size_load;
        line->anti_selection = l.anti_selection;
        line->pure_premium = l.pure_premium;
        line->contingency = l.contingency;
        line->expense = l.expense;
        line->commission = l.commission;
        line->profit = l.profit;
        line->gross_kopecks = l.gross_kopecks;
        line->rounding = l.rounding;
        person->expected_claims += line->expected_claims;
        person->group_size_load += line->group_size_load;
        person->anti_selection += line->anti_selection;
        person->pure_premium += line->pure_premium;
    }
    dms_tariff_load_person(q->tariff, person->pure_premium, &l);
    person->admin_fee = l.admin_fee;
    person->contingency = l.contingency;
    person->expense = l.expense;
    person->commission = l.commission;
    person->profit = l.profit;
    person->rounding = l.rounding;
    person->gross_kopecks = l.gross_kopecks;
}

/*
 * Whole kopecks for amounts v[0..n-1] (roubles) that add up to target:
 * each amount is rounded down, then the kopecks still missing go one each
 * to the amounts with the largest remainders (largest-remainder
 * apportionment); a surplus, possible only through floating-point noise,
 * is taken back from the smallest remainders. No amount moves by more than
 * one kopeck unless the amounts are off the target by more than n kopecks.
 */
static void apportion(const double *v, size_t n, int64_t target, int64_t *out)
{
    double remainder[DMS_QUOTE_MONEY_PARTS];
    bool moved[DMS_QUOTE_MONEY_PARTS] = {false};
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        double k = v[i] * 100.0;
        double f = floor(k);
        out[i] = (int64_t)f;
        remainder[i] = k - f;
        sum += out[i];
    }
    int64_t missing = target - sum;
    while (missing != 0) {
        size_t pick = n;
        for (size_t i = 0; i < n; i++) {
            if (moved[i])
                continue;
            if (pick == n ||
                (missing > 0 ? remainder[i] > remainder[pick] : remainder[i] < remainder[pick]))
                pick = i;
        }
        if (pick == n) { /* every amount moved once: start another round */
            memset(moved, 0, sizeof moved);
            continue;
        }
        moved[pick] = true;
        out[pick] += missing > 0 ? 1 : -1;
        missing += missing > 0 ? -1 : 1;
    }
}

/* Fills m->kopecks from its amounts (see dms_quote_money). Claims and the
 * two loads are each rounded to the nearest kopeck, so a printed claims
 * figure moves only with the claims; the pure premium is their sum, and
 * the loadings after it take the apportioned kopecks. */
static void printed_kopecks(dms_quote_money *m)
{
    const double v[DMS_QUOTE_MONEY_PARTS] = {
        m->expected_claims, m->group_size_load, m->anti_selection, m->pure_premium, m->admin_fee,
        m->contingency,     m->expense,         m->commission,     m->profit,       m->rounding};
    int64_t pure = 0;
    for (int i = 0; i < DMS_MONEY_PURE_PREMIUM; i++)
        pure += m->kopecks[i] = to_kopecks(v[i]);
    m->kopecks[DMS_MONEY_PURE_PREMIUM] = pure;
    apportion(v + DMS_MONEY_ADMIN_FEE, DMS_QUOTE_MONEY_PARTS - DMS_MONEY_ADMIN_FEE,
              m->gross_kopecks - pure, m->kopecks + DMS_MONEY_ADMIN_FEE);
}

/* Printed kopecks of every line and segment; the total row is the sum of
 * the segment rows, so the segments add up to it column by column too. */
static void finish_kopecks(dms_quote *q)
{
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        memset(q->total.money[k].kopecks, 0, sizeof q->total.money[k].kopecks);
        for (size_t s = 0; s < q->nsegments; s++) {
            dms_quote_segment *qs = &q->segments[s];
            for (size_t m = 0; m < qs->nlines; m++)
                printed_kopecks(&qs->lines[m].money[k]);
            printed_kopecks(&qs->total.money[k]);
            for (int i = 0; i < DMS_QUOTE_MONEY_PARTS; i++)
                q->total.money[k].kopecks[i] += qs->total.money[k].kopecks[i];
        }
    }
}

void dms_quote_free(dms_quote *quote)
{
    if (quote == NULL)
        return;
    free(quote->segments);
    free(quote);
}

/* Per-cell total claims distributions of one scenario, kept for the group sum. */
typedef struct cell_totals {
    size_t n;
    dms_placed *items;
} cell_totals;

static void count_person(dms_quote_block *block, const dms_person *p, int age)
{
    block->people++;
    block->average_age += age; /* a sum until finish_block */
    block->employees += p->relation == DMS_RELATION_EMPLOYEE;
    block->spouses += p->relation == DMS_RELATION_SPOUSE;
    block->children += p->relation == DMS_RELATION_CHILD;
}

static void finish_block(dms_quote_block *block)
{
    block->average_age = block->people ? block->average_age / (double)block->people : 0.0;
}

static double placed_variance(const dms_placed *p)
{
    double unused_mean, variance;
    dms_placed_moments(p, &unused_mean, &variance);
    return variance;
}

/* A priced cell whose claims vary, as the group distribution needs it. */
typedef struct cell_ref {
    size_t segment, band, region;
    int sex;
    unsigned long count;
    double mean, variance; /* of one person's claims (claims modules) */
    /* The claims modules' capped lattices the money pass computed (for the
     * group distribution; empty slots: found in the cache, not copied). */
    size_t nmodules;
    dms_placed modules[DMS_PLAN_MAX_MODULES];
    lease *leases[DMS_PLAN_MAX_MODULES]; /* the cache's lattices lent, or NULL: owned */
    size_t key_at; /* its modules' cache keys: at this index of the group key */
} cell_ref;

static void cell_ref_release(cell_ref *ref)
{
    for (size_t m = 0; m < ref->nmodules; m++) {
        if (ref->leases[m] != NULL) {
            lease_release(ref->leases[m]);
            ref->leases[m] = NULL;
            memset(&ref->modules[m], 0, sizeof ref->modules[m]);
        } else {
            dms_placed_free(&ref->modules[m]);
        }
    }
    ref->nmodules = 0;
}

/* One scenario of a quote: every cell priced, money added to the scenario's
 * slots, cell totals of claims kept for the group distribution. */
typedef struct scenario_job {
    dms_quote *q;
    const cell_grid *grid;
    const resolved_segment *resolved;
    int scenario;
    bool percentiles;
    bool reference;      /* percentiles by the reference method */
    cell_totals *totals; /* the group's terms (persons or cell totals) */
    cell_ref *refs;      /* the cells whose claims vary, from the money pass */
    size_t nrefs;
    const struct key_buf *group_key; /* the cells' keys, in the order of refs */
    double flat_total;
    dms_quote_distribution *distribution; /* filled when percentiles are asked for */
    dms_cancel_gate *gate;                /* shared by the scenarios' threads */
    int status;
    dms_error err;
} scenario_job;

/* A growing key of doubles; on no memory it is dropped (ok false). */
typedef struct key_buf {
    double *v;
    size_t n, cap;
    bool ok;
} key_buf;

static void key_append(key_buf *kb, const double *v, size_t n)
{
    if (!kb->ok)
        return;
    if (kb->n + n > kb->cap) {
        size_t cap = kb->cap ? 2 * kb->cap : 1024;
        while (cap < kb->n + n)
            cap *= 2;
        double *grown = realloc(kb->v, cap * sizeof *grown);
        if (grown == NULL) {
            kb->ok = false;
            return;
        }
        kb->v = grown;
        kb->cap = cap;
    }
    memcpy(kb->v + kb->n, v, n * sizeof *v);
    kb->n += n;
}

/*
 * The distribution of the cell ref's total claims (its person's on
 * person_span, 0 for PERSON_SPAN_SD x its sd, raised to the head count)
 * into *slot; from the cell cache when the same modules, head count and
 * span were priced before. The person is summed from the modules' lattices
 * the money pass lent ref (borrowed now if it did not), and the key is the
 * cell's part of the group key: the cell is not rated again.
 */
static int cell_total(scenario_job *job, cell_ref *ref, double person_span, dms_placed *slot)
{
    memset(slot, 0, sizeof *slot);
    double key[DMS_PLAN_MAX_MODULES * CACHE_KEY_LEN + 2];
    size_t nkey;
    int status = DMS_OK;
    cell_price price;
    if (job->group_key != NULL && job->group_key->ok) {
        nkey = (size_t)job->group_key->v[ref->key_at - 2];
        memcpy(key, job->group_key->v + ref->key_at, nkey * sizeof *key);
    } else { /* no group key (no memory for it): the keys again */
        if ((status = price_cell(job->q, job->gate, &job->resolved[ref->segment], ref->band,
                                 ref->sex, &job->q->tariff->regions[ref->region], job->scenario,
                                 false, 0.0, NULL, NULL, &price, &job->err)) != DMS_OK)
            return status;
        nkey = price.nkey;
        memcpy(key, price.key, nkey * sizeof *key);
    }
    key[nkey] = (double)ref->count;
    key[nkey + 1] = person_span;
    double unused_mean, unused_variance;
    if (cache_get(&cell_memo, key, nkey + 2, &unused_mean, &unused_variance, slot, NULL))
        return DMS_OK;
    bool whole = ref->nmodules == nkey / CACHE_KEY_LEN;
    for (size_t m = 0; m < ref->nmodules; m++)
        whole = whole && ref->modules[m].pmf != NULL;
    if (!whole) {
        if ((status = price_cell(job->q, job->gate, &job->resolved[ref->segment], ref->band,
                                 ref->sex, &job->q->tariff->regions[ref->region], job->scenario,
                                 false, 0.0, ref->modules, ref->leases, &price, &job->err)) !=
            DMS_OK)
            return status;
        ref->nmodules = price.nkey / CACHE_KEY_LEN;
    }
    /* ref->variance adds the same variances in the same order as the
     * person's sum of its modules' (and a flat module's 0): the same sd. */
    dms_placed person;
    if ((status = person_distribution(ref->modules, ref->nmodules,
                                      person_span > 0 ? person_span
                                                      : PERSON_SPAN_SD * sqrt(ref->variance),
                                      &person, &job->err)) != DMS_OK)
        return status;
    dms_sum_term term = {&person, ref->count, 1};
    status = dms_lattice_sum(&term, 1, slot, &job->err);
    dms_placed_free(&person);
    if (status != DMS_OK)
        return status;
    cache_put(&cell_memo, key, nkey + 2, 0.0, 0.0, slot);
    return DMS_OK;
}

/* Every cell of the job's scenario: money, the list of cells whose claims
 * vary (job->refs) and the key of the group distribution (the cells' keys
 * and head counts in order, which it is a function of). */
static int price_cells(scenario_job *job, key_buf *group_key)
{
    const cell_grid *grid = job->grid;
    dms_quote *q = job->q;
    int k = job->scenario;
    for (size_t s = 0; s < grid->nsegments; s++)
        for (size_t band = 0; band < grid->nbands; band++)
            for (int sex = 0; sex < 2; sex++)
                for (size_t r = 0; r < grid->nregions; r++) {
                    const cell *c = &grid->cells[cell_index(grid, s, band, sex, r)];
                    if (c->count == 0)
                        continue;
                    if (dms_cancel_gate_stop(job->gate, &job->err))
                        return DMS_ETOOBIG;
                    dms_quote_segment *qs = &q->segments[s];
                    cell_price price;
                    /* The fast group distribution starts from the modules'
                     * lattices: keep those computed here. */
                    cell_ref *ref = &job->refs[job->nrefs];
                    bool keep = job->percentiles && !job->reference;
                    int status = price_cell(
                        q, job->gate, &job->resolved[s], band, sex, &q->tariff->regions[r], k,
                        false, 0.0, keep ? ref->modules : NULL, ref->leases, &price, &job->err);
                    if (status != DMS_OK)
                        return status;
                    ref->nmodules = keep ? price.nkey / CACHE_KEY_LEN : 0;
                    dms_quote_money lines[DMS_PLAN_MAX_MODULES], person;
                    load_person(q, &job->resolved[s], &price, lines, &person);
                    for (size_t m = 0; m < qs->nlines; m++)
                        add_money(&qs->lines[m].money[k], &lines[m], (double)c->count);
                    add_money(&qs->total.money[k], &person, (double)c->count);
                    add_money(&q->total.money[k], &person, (double)c->count);
                    job->flat_total += price.flat_total * (double)c->count;
                    double variance = 0.0;
                    for (size_t m = 0; m < job->resolved[s].nmodules; m++)
                        variance += price.variance[m];
                    if (price.nkey > 0 && variance > 0) {
                        double head[2] = {(double)price.nkey, (double)c->count};
                        key_append(group_key, head, 2);
                        ref->key_at = group_key->n;
                        key_append(group_key, price.key, price.nkey);
                        double mean = -price.flat_total;
                        for (size_t m = 0; m < job->resolved[s].nmodules; m++)
                            mean += price.claims[m];
                        ref->segment = s;
                        ref->band = band;
                        ref->region = r;
                        ref->sex = sex;
                        ref->count = c->count;
                        ref->mean = mean;
                        ref->variance = variance;
                        job->nrefs++;
                    } else {
                        cell_ref_release(ref);
                    }
                }
    return DMS_OK;
}

/*
 * The modules' lattices moved onto the group's circle, kept through one
 * scenario's group pass by the module's cache key and the stride: the
 * cells that share a module (a module whose rates do not depend on sex,
 * region or network) move it once, and those whose money pass found the
 * module in the cache take it from here without a copy out of the cache.
 * The same doubles as moving it for each cell.
 */
typedef struct coarse_entry {
    const double *key; /* CACHE_KEY_LEN doubles of the group key; NULL: free */
    unsigned long stride;
    dms_placed coarse;
} coarse_entry;

typedef struct coarse_table {
    coarse_entry *slots; /* NULL: no table (no keys or no memory) */
    size_t mask;
} coarse_table;

static void coarse_table_init(coarse_table *t, const scenario_job *job)
{
    t->slots = NULL;
    t->mask = 0;
    if (job->group_key == NULL || !job->group_key->ok)
        return;
    size_t entries = 0, size = 64;
    for (size_t i = 0; i < job->nrefs; i++)
        entries += job->refs[i].nmodules;
    while (size < 2 * entries)
        size <<= 1;
    t->slots = calloc(size, sizeof *t->slots);
    t->mask = size - 1;
}

static void coarse_table_free(coarse_table *t)
{
    if (t->slots != NULL)
        for (size_t i = 0; i <= t->mask; i++)
            dms_placed_free(&t->slots[i].coarse);
    free(t->slots);
    t->slots = NULL;
}

/* The entry of key and stride: its own, or the free one it would take. */
static coarse_entry *coarse_find(const coarse_table *t, const double *key, unsigned long stride)
{
    size_t h = (size_t)(key_hash(key, CACHE_KEY_LEN) ^ stride) & t->mask;
    while (t->slots[h].key != NULL &&
           !(t->slots[h].stride == stride &&
             memcmp(t->slots[h].key, key, CACHE_KEY_LEN * sizeof *key) == 0))
        h = (h + 1) & t->mask;
    return &t->slots[h];
}

/*
 * One person of the cell ref on stride x span, into *out (new): its
 * modules' lattices moved onto it (from the table when there, else from
 * ref's kept lattices, else copied from the module cache) and summed.
 */
static int person_on_circle(scenario_job *job, coarse_table *table, cell_ref *ref,
                            unsigned long stride, double span, dms_placed *out)
{
    const double *keys = table->slots != NULL ? job->group_key->v + ref->key_at : NULL;
    int status = DMS_OK;
    bool whole = true;
    for (size_t m = 0; m < ref->nmodules; m++)
        whole =
            whole &&
            (ref->modules[m].pmf != NULL ||
             (keys != NULL && coarse_find(table, keys + m * CACHE_KEY_LEN, stride)->key != NULL));
    if (!whole) { /* the module cache had some: copy them from it */
        cell_price price;
        status = price_cell(job->q, job->gate, &job->resolved[ref->segment], ref->band, ref->sex,
                            &job->q->tariff->regions[ref->region], job->scenario, false, 0.0,
                            ref->modules, ref->leases, &price, &job->err);
        if (status != DMS_OK)
            return status;
        ref->nmodules = price.nkey / CACHE_KEY_LEN;
    }
    if (keys == NULL)
        return person_distribution(ref->modules, ref->nmodules, (double)stride * span, out,
                                   &job->err);
    dms_sum_term terms[DMS_PLAN_MAX_MODULES];
    for (size_t m = 0; m < ref->nmodules && status == DMS_OK; m++) {
        coarse_entry *e = coarse_find(table, keys + m * CACHE_KEY_LEN, stride);
        if (e->key == NULL) {
            status =
                dms_placed_coarsen(&ref->modules[m], (double)stride * span, &e->coarse, &job->err);
            if (status != DMS_OK)
                break;
            e->key = keys + m * CACHE_KEY_LEN;
            e->stride = stride;
        }
        terms[m] = (dms_sum_term){&e->coarse, 1, 1};
    }
    if (status == DMS_OK)
        status = dms_lattice_sum(terms, ref->nmodules, out, &job->err);
    return status;
}

/*
 * The group's total claims (besides the flat part): one FFT circle on the
 * span h = group sd / GROUP_SPAN_DIVISOR, on which each cell's transform is
 * raised to its head count. A cell whose person's sd is at least
 * 1 / PERSON_SPAN_MAX_SD spans of h (small and middling groups) sums its
 * person from the modules' lattices the money pass kept, on a whole
 * multiple of h: as close to PERSON_SPAN_SD x its sd as that allows from
 * below, and at least h, which the circle takes exactly; a finer person (a
 * cell of a large group) is raised to its head count on its own span first
 * and that total moved onto h. Each move spreads the sum by what it adds
 * to the variance, known exactly against the modules' own variances: the
 * spread is taken back out of the circle's transform as a normal, and the
 * quantiles are read between the lattice's knots. The reference method
 * (tests) takes the second way for every cell, with the persons' spans
 * REFERENCE_FINER times finer and the group's span a REFERENCE_SPAN_DIVISOR
 * th of its sd, and takes nothing back. The mean and sd reported are the
 * money pass's expected claims and the exact sd, which no span moves.
 */
static int group_distribution(scenario_job *job)
{
    dms_quote_distribution *out = job->distribution;
    cell_totals *totals = job->totals;
    double finer = job->reference ? REFERENCE_FINER : 1.0;
    double claims = 0.0, variance = 0.0;
    for (size_t i = 0; i < job->nrefs; i++) {
        claims += (double)job->refs[i].count * job->refs[i].mean;
        variance += (double)job->refs[i].count * job->refs[i].variance;
    }
    double mean = job->flat_total + claims;
    out->mean = mean;
    out->sd = sqrt(variance);
    for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
        out->normal[k] = mean + out->sd * gsl_cdf_ugaussian_Pinv(dms_quote_percentile_levels[k]);
    if (job->nrefs == 0 || !(variance > 0)) {
        for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
            out->percentiles[k] = mean;
        return DMS_OK;
    }
    double divisor = job->reference ? REFERENCE_SPAN_DIVISOR : GROUP_SPAN_DIVISOR;
    double span = fmax(out->sd / divisor, GROUP_RESOLUTION * claims) / finer;
    dms_sum_term *terms = calloc(job->nrefs, sizeof *terms);
    if (terms == NULL)
        return dms_error_set(&job->err, DMS_ENOMEM, NULL, "no memory for the group distribution");
    coarse_table table;
    coarse_table_init(&table, job);
    int status = DMS_OK;
    size_t nterms = 0;
    double spread = 0.0; /* the variance the lattices added */
    unsigned long people = 0;
    /* The lattices the money pass computed last are still in the cache
     * (the CPU's): moved onto the circle first, from the last cell back,
     * they are read from there, and the cells then take them from the
     * table in their own order. */
    for (size_t i = job->nrefs; table.slots != NULL && i-- > 0 && status == DMS_OK;) {
        cell_ref *ref = &job->refs[i];
        double person_sd = sqrt(ref->variance);
        if (job->reference || !(span <= PERSON_SPAN_MAX_SD * person_sd))
            continue;
        unsigned long stride = (unsigned long)fmax(floor(PERSON_SPAN_SD * person_sd / span), 1.0);
        const double *keys = job->group_key->v + ref->key_at;
        for (size_t m = 0; m < ref->nmodules && status == DMS_OK; m++) {
            coarse_entry *e = coarse_find(&table, keys + m * CACHE_KEY_LEN, stride);
            if (e->key != NULL || ref->modules[m].pmf == NULL)
                continue;
            status =
                dms_placed_coarsen(&ref->modules[m], (double)stride * span, &e->coarse, &job->err);
            if (status == DMS_OK) {
                e->key = keys + m * CACHE_KEY_LEN;
                e->stride = stride;
            }
        }
    }
    for (size_t i = 0; i < job->nrefs && status == DMS_OK; i++) {
        cell_ref *ref = &job->refs[i];
        people += ref->count;
        if (dms_cancel_gate_stop(job->gate, &job->err)) {
            status = DMS_ETOOBIG;
            break;
        }
        double person_sd = sqrt(ref->variance);
        double person_span = PERSON_SPAN_SD * person_sd / finer;
        double stride = 0.0;
        if (!job->reference && span <= PERSON_SPAN_MAX_SD * person_sd)
            stride = fmax(floor(person_span / span), 1.0);
        dms_placed *item = &totals->items[totals->n];
        if (stride >= 1) {
            status = person_on_circle(job, &table, ref, (unsigned long)stride, span, item);
            cell_ref_release(ref);
            if (status != DMS_OK)
                break;
            spread += (double)ref->count * (placed_variance(item) - ref->variance);
            totals->n++;
            terms[nterms++] = (dms_sum_term){item, ref->count, (unsigned long)stride};
            continue;
        }
        dms_placed total;
        status = cell_total(job, ref, job->reference ? person_span : 0.0, &total);
        cell_ref_release(ref);
        if (status != DMS_OK)
            break;
        if (total.pmf == NULL)
            continue;
        status = dms_placed_rebin(&total, span, item, &job->err);
        dms_placed_free(&total);
        if (status != DMS_OK)
            break;
        spread += placed_variance(item) - (double)ref->count * ref->variance;
        totals->n++;
        terms[nterms++] = (dms_sum_term){item, 1, 1};
    }
    dms_placed group = {0};
    if (status == DMS_OK && nterms > 0 && dms_cancel_gate_stop(job->gate, &job->err))
        status = DMS_ETOOBIG;
    if (status == DMS_OK && nterms > 0)
        status = dms_lattice_sum_sharpened(
            terms, nterms, job->reference || people < SPREAD_MIN_PEOPLE ? 0.0 : fmax(spread, 0.0),
            &group, &job->err);
    for (int k = 0; status == DMS_OK && k < DMS_QUOTE_NPERCENTILES; k++)
        out->percentiles[k] =
            nterms > 0 ? job->flat_total +
                             dms_placed_quantile_smooth(&group, dms_quote_percentile_levels[k])
                       : mean;
    dms_placed_free(&group);
    coarse_table_free(&table);
    free(terms);
    return status;
}

/*
 * One scenario: money of every cell, then (with percentiles) the group's
 * distribution, which is a function of the cells' keys and head counts
 * and the flat part: kept in the group cache, so a repeated quote finds
 * it without summing the cells again.
 */
static void *price_scenario(void *arg)
{
    scenario_job *job = arg;
    key_buf group_key = {NULL, 0, 0, job->percentiles};
    job->group_key = &group_key;
    job->status = price_cells(job, &group_key);
    if (job->status != DMS_OK || !job->percentiles)
        goto out;
    enum { NDIST = sizeof(dms_quote_distribution) / sizeof(double) };
    double tail[2] = {job->flat_total, job->reference ? 1.0 : 0.0}, unused_mean, unused_variance;
    key_append(&group_key, tail, 2);
    dms_placed kept = {0};
    if (group_key.ok && cache_get(&group_memo, group_key.v, group_key.n, &unused_mean,
                                  &unused_variance, &kept, NULL)) {
        bool whole = kept.n == NDIST;
        if (whole)
            memcpy(job->distribution, kept.pmf, sizeof *job->distribution);
        dms_placed_free(&kept);
        if (whole)
            goto out;
    }
    job->status = group_distribution(job);
    if (job->status == DMS_OK && group_key.ok) {
        double copy[NDIST];
        memcpy(copy, job->distribution, sizeof copy);
        dms_placed as_placed = {0.0, 0, NDIST, copy};
        cache_put(&group_memo, group_key.v, group_key.n, 0.0, 0.0, &as_placed);
    }
out:
    for (size_t i = 0; i < job->nrefs; i++)
        cell_ref_release(&job->refs[i]);
    free(group_key.v);
    return NULL;
}

int dms_quote_compute(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                      const dms_census *census, const dms_quote_options *options, dms_quote **out,
                      dms_diag *diag, dms_diag *warnings)
{
    *out = NULL;
    dms_quote_options opts = options != NULL ? *options : dms_quote_options_default();
    dms_error err;
    dms_error_clear(&err);
    int status = DMS_OK;
    dms_quote *q = calloc(1, sizeof *q);
    resolved_segment *resolved = calloc(plan->nsegments, sizeof *resolved);
    size_t *segment_of = malloc((census->count ? census->count : 1) * sizeof *segment_of);
    size_t *region_of = malloc((census->count ? census->count : 1) * sizeof *region_of);
    cell_grid grid = {plan->nsegments, model->nbands, tariff->nregions, NULL};
    cell_totals totals[DMS_SCENARIO_COUNT] = {{0}};
    cell_ref *refs[DMS_SCENARIO_COUNT] = {NULL}; /* the jobs' lists, freed here */
    dms_cancel_gate gate;
    dms_cancel_gate_init(&gate, opts.cancelled, opts.cancel_ctx);
    if (q == NULL || resolved == NULL || segment_of == NULL || region_of == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a quote");
        goto out_fail;
    }
    q->tariff = tariff;
    q->model = model;
    q->plan = plan;
    if (census->count == 0) {
        status = dms_diag_add_path(diag, DMS_EINVAL, "/census", "the census has nobody in it");
        goto out_fail;
    }
    if ((status = dms_tariff_check_model(tariff, model, &err)) != DMS_OK ||
        (status = dms_model_trend_years(model, plan->period_from, plan->period_to, &q->trend_years,
                                        &err)) != DMS_OK ||
        (status = dms_tariff_group_factor(tariff, (long)census->count, &q->group_factor, &err)) !=
            DMS_OK) {
        dms_diag_add(diag, &err);
        goto out_fail;
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        q->scenarios[k] = plan->scenario_set[k] ? plan->scenarios[k] : model->scenarios[k];
    if ((status = resolve_plan(tariff, model, plan, resolved, diag)) != DMS_OK ||
        (status = dms_plan_assign(plan, census, opts.census_source, segment_of, diag)) != DMS_OK)
        goto out_fail;

    /* Regions: the census interns strings, so each distinct name is looked
     * up (and warned about) once, in a table keyed by its pointer. */
    size_t buckets = 64;
    while (buckets < 2 * census->count)
        buckets <<= 1;
    struct region_slot {
        const char *name;
        size_t region;
        bool fallback;
    } *slots = calloc(buckets, sizeof *slots);
    if (slots == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for the region table");
        goto out_fail;
    }
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        size_t h = dms_pointer_hash(p->region, buckets);
        while (slots[h].name != NULL && slots[h].name != p->region)
            h = (h + 1) & (buckets - 1);
        struct region_slot *slot = &slots[h];
        if (slot->name == NULL) {
            const dms_region *region = NULL;
            if (dms_tariff_region_lookup(tariff, p->region, &region, &slot->fallback) != DMS_OK) {
                region = &tariff->regions[tariff->fallback_region];
                slot->fallback = true;
            }
            slot->name = p->region;
            slot->region = (size_t)(region - tariff->regions);
            if (slot->fallback)
                dms_diag_add_at(warnings, DMS_ENOTFOUND, opts.census_source, p->line, 1,
                                "region '%s' is not in the tariff: priced as '%s'", p->region,
                                region->code);
        }
        region_of[i] = slot->region;
        q->region_fallbacks += slot->fallback;
    }
    free(slots);

    /* Rating cells. */
    int year, month, day;
    dms_date_split(plan->period_from, &year, &month, &day); /* checked by the loader */
    size_t ncells = grid.nsegments * grid.nbands * 2 * grid.nregions;
    grid.cells = calloc(ncells, sizeof *grid.cells);
    q->nsegments = plan->nsegments;
    q->segments = calloc(plan->nsegments, sizeof *q->segments);
    if (grid.cells == NULL || q->segments == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for rating cells");
        goto out_fail;
    }
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        int age = dms_census_age(p, year, month, day);
        if (age < 0)
            age = 0; /* born during the period: priced as an infant */
        size_t band;
        if ((status = dms_model_age_band(model, age, &band, &err)) != DMS_OK) {
            dms_diag_add(diag, &err);
            goto out_fail;
        }
        cell *c = &grid.cells[cell_index(&grid, segment_of[i], band, (int)p->sex, region_of[i])];
        c->count++;
        c->age_sum += age;
        count_person(&q->segments[segment_of[i]].total, p, age);
        count_person(&q->total, p, age);
    }
    for (size_t s = 0; s < plan->nsegments; s++) {
        dms_quote_segment *qs = &q->segments[s];
        qs->plan = &plan->segments[s];
        qs->network = resolved[s].network;
        qs->nlines = resolved[s].nmodules;
        for (size_t m = 0; m < qs->nlines; m++) {
            qs->lines[m].module = resolved[s].modules[m].tariff;
            qs->lines[m].voluntary = resolved[s].modules[m].voluntary;
            qs->lines[m].anti_selection_reason = resolved[s].modules[m].reason;
            qs->lines[m].cov = resolved[s].modules[m].cov;
            qs->lines[m].annual_limit = resolved[s].modules[m].annual_limit;
        }
        finish_block(&qs->total);
    }
    finish_block(&q->total);

    if (dms_cancel_gate_stop(&gate, &err)) {
        dms_diag_add(diag, &err);
        status = DMS_ETOOBIG;
        goto out_fail;
    }
    /* Price every cell once per scenario; scenarios are independent and
     * write only their own slots, so each runs in its own thread. */
    scenario_job jobs[DMS_SCENARIO_COUNT];
    pthread_t threads[DMS_SCENARIO_COUNT];
    bool started[DMS_SCENARIO_COUNT] = {false};
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        jobs[k] = (scenario_job){.q = q,
                                 .grid = &grid,
                                 .resolved = resolved,
                                 .scenario = k,
                                 .percentiles = opts.percentiles,
                                 .reference = opts.reference_percentiles,
                                 .totals = &totals[k],
                                 .distribution = &q->distribution[k],
                                 .gate = &gate};
        dms_error_clear(&jobs[k].err);
        totals[k].items = calloc(ncells, sizeof *totals[k].items);
        jobs[k].refs = refs[k] = calloc(ncells, sizeof *jobs[k].refs);
        if (totals[k].items == NULL || jobs[k].refs == NULL) {
            status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for cell totals");
            goto out_fail;
        }
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        started[k] =
            !opts.single_thread && pthread_create(&threads[k], NULL, price_scenario, &jobs[k]) == 0;
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else
            price_scenario(&jobs[k]); /* single_thread, or no thread to be had */
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        if (jobs[k].status != DMS_OK) {
            dms_diag_add(diag, &jobs[k].err);
            status = jobs[k].status;
            goto out_fail;
        }
    for (size_t s = 0; s < grid.nsegments; s++)
        for (size_t band = 0; band < grid.nbands; band++)
            for (int sex = 0; sex < 2; sex++)
                for (size_t r = 0; r < grid.nregions; r++)
                    q->cells += grid.cells[cell_index(&grid, s, band, sex, r)].count > 0;
    q->has_distribution = opts.percentiles;
    finish_kopecks(q);
    *out = q;
    q = NULL;
out_fail:
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        for (size_t i = 0; i < totals[k].n; i++)
            dms_placed_free(&totals[k].items[i]);
        free(totals[k].items);
        free(refs[k]);
    }
    free(grid.cells);
    free(resolved);
    free(segment_of);
    free(region_of);
    dms_cancel_gate_destroy(&gate);
    dms_quote_free(q);
    return *out != NULL ? DMS_OK : (status != DMS_OK ? status : DMS_EINVAL);
}

int dms_quote_price_person(const dms_tariff *tariff, const dms_model *model,
                           const char *period_from, const char *period_to, const char *network,
                           const dms_plan_module *modules, size_t nmodules,
                           const dms_rated_person *person, long group_headcount,
                           enum dms_scenario_kind scenario, double *claims, double *gross,
                           double *admin_gross, dms_error *err)
{
    dms_error_clear(err);
    if (nmodules > DMS_PLAN_MAX_MODULES)
        return dms_error_set(err, DMS_EINVAL, "/modules", "at most %d modules",
                             DMS_PLAN_MAX_MODULES);
    if ((int)scenario < 0 || scenario >= DMS_SCENARIO_COUNT)
        return dms_error_set(err, DMS_EINVAL, "/scenario", "unknown scenario");
    dms_quote q = {.tariff = tariff, .model = model};
    int status;
    if ((status = dms_model_trend_years(model, period_from, period_to, &q.trend_years, err)) !=
            DMS_OK ||
        (status = dms_tariff_group_factor(tariff, group_headcount, &q.group_factor, err)) != DMS_OK)
        return status;
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        q.scenarios[k] = model->scenarios[k];
    resolved_segment rs = {.network = dms_tariff_find_network(tariff, network),
                           .nmodules = nmodules};
    if (rs.network == NULL)
        return dms_error_set(err, DMS_EINVAL, "/network", "network '%s' is not in the tariff",
                             network);
    dms_diag *diag = NULL;
    if ((status = dms_diag_alloc(1, &diag)) != DMS_OK)
        return dms_error_set(err, status, NULL, "no memory");
    char pointer[64];
    for (size_t m = 0; m < nmodules && status == DMS_OK; m++) {
        snprintf(pointer, sizeof pointer, "/modules/%zu", m);
        status = resolve_module(tariff, model, &modules[m], pointer, &rs.modules[m], diag);
    }
    if (status != DMS_OK) {
        dms_diag_first(diag, err);
        dms_diag_free(diag);
        return status;
    }
    dms_diag_free(diag);
    const dms_region *region = NULL;
    size_t band;
    if (dms_tariff_region_lookup(tariff, person->region, &region, NULL) != DMS_OK)
        region = &tariff->regions[tariff->fallback_region];
    if ((status = dms_model_age_band(model, person->age < 0 ? 0 : person->age, &band, err)) !=
        DMS_OK)
        return status;
    cell_price price;
    status = price_cell(&q, NULL, &rs, band, (int)person->sex, region, (int)scenario, false, 0.0,
                        NULL, NULL, &price, err);
    if (status != DMS_OK)
        return status;
    dms_quote_money lines[DMS_PLAN_MAX_MODULES], total;
    load_person(&q, &rs, &price, lines, &total);
    for (size_t m = 0; m < nmodules; m++) {
        if (claims != NULL)
            claims[m] = lines[m].expected_claims;
        gross[m] = (double)lines[m].gross_kopecks / 100.0;
    }
    if (admin_gross != NULL)
        *admin_gross = dms_tariff_gross(tariff, 0.0);
    return DMS_OK;
}
