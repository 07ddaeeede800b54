/*
 * The group quote. Three steps: resolve the plan against the tariff and
 * model (every fault reported with its pointer), count people into rating
 * cells, then price each cell once per scenario. Pricing a cell computes,
 * per claims module, the distribution of the insurer's annual payment per
 * person min(S, L); its mean is the expected claims and, when percentiles
 * are asked for, the module distributions are summed into the person's and
 * raised to the cell's head count. The group's total is the sum of the cell
 * totals on one lattice whose span is a small fraction of its sd, so moving
 * each cell onto it (which adds at most span^2/4 of variance per cell) does
 * not blur the percentiles.
 */
#include "dms/date.h"
#include "dms/quote.h"

#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "dms/aggregate.h"
#include "dms/lattice.h"
#include "dms/text.h"

const double dms_quote_percentile_levels[DMS_QUOTE_NPERCENTILES] = {0.5, 0.75, 0.9, 0.95, 0.99};

/* Per-person lattice span = PERSON_SPAN_SD x the person's sd of claims: the
 * mean-keeping move onto it adds at most span^2/4 = 0.25% of the variance. */
#define PERSON_SPAN_SD 0.1
/* Claims per module on a span of E[X | X > 0] / QUOTE_SPAN_DIVISOR of the
 * ground-up claim: a group total blurs finer detail away, and with moment
 * matching the limited means stay within 1e-5 of a 32 times finer grid
 * (tests/test_aggregate_tail.c). */
#define QUOTE_SPAN_DIVISOR 32.0
/* Group lattice span = group sd / GROUP_SPAN_DIVISOR. */
#define GROUP_SPAN_DIVISOR 500.0

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

/* The distribution of min(S, L) for one person as a placed lattice. */
static int capped_distribution(const dms_aggdist *dist, double limit, dms_placed *out,
                               dms_error *err)
{
    memset(out, 0, sizeof *out);
    size_t keep = dist->n;
    if (isfinite(limit)) {
        keep = 0;
        while (keep < dist->n && (double)keep * dist->span < limit)
            keep++;
    }
    out->span = dist->span;
    out->offset = 0;
    out->n = keep + 2;
    out->pmf = calloc(out->n, sizeof *out->pmf);
    if (out->pmf == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a capped distribution");
    memcpy(out->pmf, dist->pmf, keep * sizeof *out->pmf);
    /* Mass at or over the limit (and what the grid truncated) pays L; split
     * it between the points around L so the mean stays exact. */
    double rest = 1.0 - dms_lattice_mass(dist->pmf, keep);
    if (rest > 0 && isfinite(limit)) {
        double position = limit / dist->span;
        size_t base = (size_t)floor(position);
        double upper = position - (double)base;
        if (base + 1 < out->n) {
            out->pmf[base] += rest * (1 - upper);
            out->pmf[base + 1] += rest * upper;
        }
    }
    return DMS_OK;
}

/* Everything priced for one cell and one scenario. */
typedef struct cell_price {
    double claims[DMS_PLAN_MAX_MODULES];   /* per person */
    double variance[DMS_PLAN_MAX_MODULES]; /* per person */
    dms_placed person;                     /* per-person claims, if wanted */
    double flat_total;                     /* per person, deterministic part */
} cell_price;

static int price_cell(const dms_quote *q, const resolved_segment *rs, size_t band, int sex,
                      const dms_region *region, int scenario, bool want_distribution,
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
        dms_aggregate_spec spec = dms_aggregate_spec_default();
        spec.freq = rated.frequency;
        spec.sev = rated.severity;
        spec.cov = rm->cov;
        spec.annual_limit = rm->annual_limit;
        spec.cap_at_limit = true;
        spec.span_divisor = QUOTE_SPAN_DIVISOR;
        dms_aggdist *dist = NULL;
        if ((status = dms_aggregate_compute(&spec, &dist, err)) != DMS_OK)
            goto out;
        price->claims[m] = dms_aggdist_limited_mean(dist, rm->annual_limit);
        status = capped_distribution(dist, rm->annual_limit, &modules[nplaced], err);
        dms_aggdist_free(dist);
        if (status != DMS_OK)
            goto out;
        price->variance[m] = dms_placed_variance(&modules[nplaced]);
        person_variance += price->variance[m];
        nplaced++;
    }
    if (want_distribution && nplaced > 0 && person_variance > 0) {
        double span = PERSON_SPAN_SD * sqrt(person_variance);
        dms_placed rebinned[DMS_PLAN_MAX_MODULES];
        dms_sum_term terms[DMS_PLAN_MAX_MODULES];
        size_t done = 0;
        for (; done < nplaced && status == DMS_OK; done++) {
            status = dms_placed_rebin(&modules[done], span, &rebinned[done], err);
            terms[done] = (dms_sum_term){&rebinned[done], 1};
        }
        if (status == DMS_OK)
            status = dms_lattice_sum(terms, nplaced, &price->person, err);
        for (size_t i = 0; i < done; i++)
            dms_placed_free(&rebinned[i]);
    }
out:
    for (size_t i = 0; i < nplaced; i++)
        dms_placed_free(&modules[i]);
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
    const dms_loadings *l = &q->tariff->loadings;
    double shares = l->expense + l->commission + l->profit;
    memset(person, 0, sizeof *person);
    for (size_t m = 0; m < rs->nmodules; m++) {
        dms_quote_money *line = &lines[m];
        memset(line, 0, sizeof *line);
        line->expected_claims = price->claims[m];
        line->group_size_load = price->claims[m] * (q->group_factor - 1);
        double loaded = price->claims[m] * q->group_factor;
        line->anti_selection =
            rs->modules[m].voluntary ? loaded * q->tariff->anti_selection_load : 0.0;
        line->pure_premium = loaded + line->anti_selection;
        line->contingency = line->pure_premium * l->contingency;
        double gross = line->pure_premium * (1 + l->contingency) / (1 - shares);
        line->expense = gross * l->expense;
        line->commission = gross * l->commission;
        line->profit = gross * l->profit;
        line->gross_kopecks = to_kopecks(gross);
        /* The line's own kopeck rounding, so its printed row adds up. */
        line->rounding = (double)line->gross_kopecks / 100.0 - gross;
        person->expected_claims += line->expected_claims;
        person->group_size_load += line->group_size_load;
        person->anti_selection += line->anti_selection;
        person->pure_premium += line->pure_premium;
    }
    person->admin_fee = l->admin_fee_per_person;
    person->contingency = (person->pure_premium + person->admin_fee) * l->contingency;
    double gross = dms_tariff_gross(q->tariff, person->pure_premium);
    person->expense = gross * l->expense;
    person->commission = gross * l->commission;
    person->profit = gross * l->profit;
    double rounded = dms_tariff_round(q->tariff, gross);
    person->rounding = rounded - gross;
    person->gross_kopecks = to_kopecks(rounded);
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

static int group_distribution(cell_totals *totals, double flat, dms_quote_distribution *out,
                              dms_error *err)
{
    double mean = flat, variance = 0.0;
    for (size_t i = 0; i < totals->n; i++) {
        mean += dms_placed_mean(&totals->items[i]);
        variance += dms_placed_variance(&totals->items[i]);
    }
    out->mean = mean;
    out->sd = sqrt(variance);
    for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
        out->normal[k] = mean + out->sd * gsl_cdf_ugaussian_Pinv(dms_quote_percentile_levels[k]);
    if (totals->n == 0 || !(variance > 0)) {
        for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
            out->percentiles[k] = mean;
        return DMS_OK;
    }
    double span = out->sd / GROUP_SPAN_DIVISOR;
    dms_placed *rebinned = calloc(totals->n, sizeof *rebinned);
    dms_sum_term *terms = calloc(totals->n, sizeof *terms);
    int status = DMS_OK;
    size_t done = 0;
    if (rebinned == NULL || terms == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the group distribution");
        goto out_free;
    }
    for (; done < totals->n && status == DMS_OK; done++) {
        status = dms_placed_rebin(&totals->items[done], span, &rebinned[done], err);
        terms[done] = (dms_sum_term){&rebinned[done], 1};
    }
    dms_placed group = {0};
    if (status == DMS_OK)
        status = dms_lattice_sum(terms, totals->n, &group, err);
    if (status == DMS_OK)
        for (int k = 0; k < DMS_QUOTE_NPERCENTILES; k++)
            out->percentiles[k] =
                flat + dms_placed_quantile(&group, dms_quote_percentile_levels[k]);
    dms_placed_free(&group);
out_free:
    for (size_t i = 0; i < done; i++)
        dms_placed_free(&rebinned[i]);
    free(rebinned);
    free(terms);
    return status;
}

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

/* One scenario of a quote: every cell priced, money added to the scenario's
 * slots, cell totals of claims kept for the group distribution. */
typedef struct scenario_job {
    dms_quote *q;
    const cell_grid *grid;
    const resolved_segment *resolved;
    int scenario;
    bool percentiles;
    cell_totals *totals;
    double flat_total;
    int status;
    dms_error err;
} scenario_job;

static void *price_scenario(void *arg)
{
    scenario_job *job = arg;
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
                    dms_quote_segment *qs = &q->segments[s];
                    cell_price price;
                    job->status =
                        price_cell(q, &job->resolved[s], band, sex, &q->tariff->regions[r], k,
                                   job->percentiles, &price, &job->err);
                    if (job->status != DMS_OK)
                        return NULL;
                    dms_quote_money lines[DMS_PLAN_MAX_MODULES], person;
                    load_person(q, &job->resolved[s], &price, lines, &person);
                    for (size_t m = 0; m < qs->nlines; m++)
                        add_money(&qs->lines[m].money[k], &lines[m], (double)c->count);
                    add_money(&qs->total.money[k], &person, (double)c->count);
                    add_money(&q->total.money[k], &person, (double)c->count);
                    job->flat_total += price.flat_total * (double)c->count;
                    if (price.person.pmf != NULL) {
                        dms_sum_term term = {&price.person, c->count};
                        job->status = dms_lattice_sum(&term, 1, &job->totals->items[job->totals->n],
                                                      &job->err);
                        dms_placed_free(&price.person);
                        if (job->status != DMS_OK)
                            return NULL;
                        job->totals->n++;
                    }
                }
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
                                 .totals = &totals[k]};
        dms_error_clear(&jobs[k].err);
        totals[k].items = calloc(ncells, sizeof *totals[k].items);
        if (totals[k].items == NULL) {
            status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for cell totals");
            goto out_fail;
        }
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        started[k] = pthread_create(&threads[k], NULL, price_scenario, &jobs[k]) == 0;
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else
            price_scenario(&jobs[k]); /* no thread to be had: run it here */
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
    double flat_total[DMS_SCENARIO_COUNT];
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        flat_total[k] = jobs[k].flat_total;
    if (opts.percentiles) {
        q->has_distribution = true;
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
            if ((status = group_distribution(&totals[k], flat_total[k], &q->distribution[k],
                                             &err)) != DMS_OK) {
                dms_diag_add(diag, &err);
                goto out_fail;
            }
    }
    finish_kopecks(q);
    *out = q;
    q = NULL;
out_fail:
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        for (size_t i = 0; i < totals[k].n; i++)
            dms_placed_free(&totals[k].items[i]);
        free(totals[k].items);
    }
    free(grid.cells);
    free(resolved);
    free(segment_of);
    free(region_of);
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
    status = price_cell(&q, &rs, band, (int)person->sex, region, (int)scenario, false, &price, err);
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
