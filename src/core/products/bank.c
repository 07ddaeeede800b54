/*
 * The bank premium-card add-on: loader of the retail tariff, the monthly
 * price per card from the target loss ratio, and the portfolio projection.
 * Rating goes straight through the model (dms_model_rate) and the aggregate
 * distribution of each module (dms_aggregate_compute) for every cell of the
 * cardholder mix, with the tariff's own network and region factors.
 */
#include "dms/bank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dms/aggregate.h"
#include "dms/jsonread.h"

#define SHARE_TOLERANCE 1e-6
#define Z95 1.6448536269514722 /* standard normal 95% quantile */

static int read_limit(dms_jsonread *r, const char *key, double *out)
{
    *out = INFINITY;
    if (!dms_jsonread_has(r, key))
        return dms_jsonread_status(r);
    const json_t *v = json_object_get(dms_jsonread_current(r), key);
    if (json_is_null(v))
        return dms_jsonread_status(r);
    return dms_jsonread_number(r, key, 1.0, 1e10, out);
}

static int read_package(dms_jsonread *r, dms_bank_tariff *t)
{
    if (dms_jsonread_enter(r, "package", DMS_JSON_ARRAY) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_length(r, 1, DMS_BANK_MAX_MODULES, &t->nmodules);
    for (size_t i = 0; i < t->nmodules && dms_jsonread_status(r) == DMS_OK; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_bank_module *m = &t->modules[i];
        dms_jsonread_code(r, "module", m->code, sizeof m->code);
        m->deductible = 0;
        m->copay = 0;
        dms_jsonread_number_opt(r, "deductible", 0, 1e9, &m->deductible);
        dms_jsonread_number_opt(r, "copay", 0, 0.95, &m->copay);
        read_limit(r, "claim_limit", &m->claim_limit);
        read_limit(r, "annual_limit", &m->annual_limit);
        if (dms_jsonread_status(r) == DMS_OK && m->claim_limit <= m->deductible)
            dms_jsonread_fail(r, DMS_EINVAL, "claim_limit",
                              "the claim limit must be above the deductible");
        for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
            if (strcmp(t->modules[j].code, m->code) == 0)
                dms_jsonread_fail(r, DMS_EINVAL, "module", "module '%s' is listed twice", m->code);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

static int read_mix(dms_jsonread *r, dms_bank_tariff *t)
{
    static const char *const sexes[] = {"M", "F", NULL};
    if (dms_jsonread_enter(r, "cardholders", DMS_JSON_ARRAY) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_length(r, 1, DMS_BANK_MAX_MIX, &t->nmix);
    double sum = 0.0;
    for (size_t i = 0; i < t->nmix && dms_jsonread_status(r) == DMS_OK; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        long long age = 0;
        int sex = 0;
        dms_jsonread_integer(r, "age", 0, 120, &age);
        dms_jsonread_enum(r, "sex", sexes, &sex);
        dms_jsonread_number(r, "share", 0, 1, &t->mix[i].share);
        t->mix[i].age = (int)age;
        t->mix[i].sex = (enum dms_sex)sex;
        sum += t->mix[i].share;
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_status(r) == DMS_OK && fabs(sum - 1.0) > SHARE_TOLERANCE)
        dms_jsonread_fail(r, DMS_EINVAL, NULL, "the shares add up to %.9g, not 1", sum);
    return dms_jsonread_leave(r);
}

static int read_regions(dms_jsonread *r, dms_bank_tariff *t)
{
    if (dms_jsonread_enter(r, "regions", DMS_JSON_ARRAY) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_length(r, 1, DMS_BANK_MAX_MIX, &t->nregions);
    double sum = 0.0;
    for (size_t i = 0; i < t->nregions && dms_jsonread_status(r) == DMS_OK; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_jsonread_string_buf(r, "name", t->regions[i].name, sizeof t->regions[i].name);
        dms_jsonread_number(r, "factor", 0.05, 20, &t->regions[i].factor);
        dms_jsonread_number(r, "share", 0, 1, &t->regions[i].share);
        sum += t->regions[i].share;
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_status(r) == DMS_OK && fabs(sum - 1.0) > SHARE_TOLERANCE)
        dms_jsonread_fail(r, DMS_EINVAL, NULL, "the shares add up to %.9g, not 1", sum);
    return dms_jsonread_leave(r);
}

int dms_bank_tariff_load_json(const json_t *root, dms_bank_tariff **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_bank_tariff *t = calloc(1, sizeof *t);
    if (t == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for a bank tariff");
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    dms_jsonread_string_buf(&r, "name", t->name, sizeof t->name);
    dms_jsonread_string_buf(&r, "version", t->version, sizeof t->version);
    dms_jsonread_string_buf(&r, "model", t->model, sizeof t->model);
    const char *text = NULL;
    if (dms_jsonread_has(&r, "description"))
        dms_jsonread_string(&r, "description", 4096, &text);
    if (dms_jsonread_string(&r, "currency", 3, &text) == DMS_OK && strcmp(text, "RUB") != 0)
        dms_jsonread_fail(&r, DMS_EINVAL, "currency", "only RUB is supported");
    if (dms_jsonread_status(&r) == DMS_OK &&
        dms_jsonread_enter(&r, "period", DMS_JSON_OBJECT) == DMS_OK) {
        long from = 0, to = 0;
        dms_jsonread_string_buf(&r, "from", t->period_from, sizeof t->period_from);
        dms_jsonread_string_buf(&r, "to", t->period_to, sizeof t->period_to);
        if (dms_jsonread_status(&r) == DMS_OK && !dms_date_parse(t->period_from, &from))
            dms_jsonread_fail(&r, DMS_EINVAL, "from", "'%s' is not a date YYYY-MM-DD",
                              t->period_from);
        if (dms_jsonread_status(&r) == DMS_OK && !dms_date_parse(t->period_to, &to))
            dms_jsonread_fail(&r, DMS_EINVAL, "to", "'%s' is not a date YYYY-MM-DD", t->period_to);
        if (dms_jsonread_status(&r) == DMS_OK && to < from)
            dms_jsonread_fail(&r, DMS_EINVAL, "to", "the period ends before it starts");
        dms_jsonread_leave(&r);
    }
    if (dms_jsonread_status(&r) == DMS_OK &&
        dms_jsonread_enter(&r, "network", DMS_JSON_OBJECT) == DMS_OK) {
        dms_jsonread_code(&r, "code", t->network, sizeof t->network);
        dms_jsonread_number(&r, "frequency_factor", 0.05, 20, &t->network_frequency);
        dms_jsonread_number(&r, "cost_factor", 0.05, 20, &t->network_cost);
        dms_jsonread_leave(&r);
    }
    if (dms_jsonread_status(&r) == DMS_OK)
        read_package(&r, t);
    if (dms_jsonread_status(&r) == DMS_OK)
        read_mix(&r, t);
    if (dms_jsonread_status(&r) == DMS_OK)
        read_regions(&r, t);
    dms_jsonread_number(&r, "anti_selection_load", 0, 5, &t->anti_selection_load);
    if (dms_jsonread_status(&r) == DMS_OK &&
        dms_jsonread_enter(&r, "shares", DMS_JSON_OBJECT) == DMS_OK) {
        dms_jsonread_number(&r, "bank_commission", 0, 0.9, &t->commission);
        dms_jsonread_number(&r, "insurer_expense", 0, 0.9, &t->expense);
        dms_jsonread_number(&r, "insurer_profit", 0, 0.9, &t->profit);
        dms_jsonread_leave(&r);
    }
    dms_jsonread_number(&r, "target_loss_ratio", 0.05, 1, &t->target_loss_ratio);
    double sum = t->target_loss_ratio + t->commission + t->expense + t->profit;
    if (dms_jsonread_status(&r) == DMS_OK && fabs(sum - 1.0) > 1e-9)
        dms_jsonread_fail(&r, DMS_EINVAL, "target_loss_ratio",
                          "target loss ratio + bank commission + insurer expense + insurer "
                          "profit add up to %.9g, not 1",
                          sum);
    int status = dms_jsonread_finish(&r);
    if (status == DMS_OK)
        *out = t;
    else
        free(t);
    return status;
}

int dms_bank_tariff_load_file(const char *path, dms_bank_tariff **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status == DMS_OK)
        status = dms_bank_tariff_load_json(root, out, err);
    json_decref(root);
    return status;
}

void dms_bank_tariff_free(dms_bank_tariff *tariff)
{
    free(tariff);
}

/* E[min(S, L)] and Var[min(S, L)] of one rated claims module. */
static int module_moments(const dms_model_rated *rated, const dms_bank_module *bm, double *mean,
                          double *variance, dms_error *err)
{
    dms_aggregate_spec spec = dms_aggregate_spec_default();
    spec.freq = rated->frequency;
    spec.sev = rated->severity;
    spec.cov.deductible = bm->deductible;
    spec.cov.franchise = false;
    spec.cov.copay = bm->copay;
    spec.cov.claim_limit = bm->claim_limit;
    spec.annual_limit = bm->annual_limit;
    spec.cap_at_limit = true;
    dms_aggdist *dist = NULL;
    int status = dms_aggregate_compute(&spec, &dist, err);
    if (status != DMS_OK)
        return status;
    if (!isfinite(bm->annual_limit) || dist->pmf == NULL) {
        *mean = isfinite(bm->annual_limit) ? dms_aggdist_limited_mean(dist, bm->annual_limit)
                                           : dist->exact_mean;
        *variance = dist->exact_variance;
    } else {
        double m1 = 0.0, m2 = 0.0, mass = 0.0, L = bm->annual_limit;
        for (size_t k = 0; k < dist->n; k++) {
            double x = fmin((double)k * dist->span, L);
            m1 += dist->pmf[k] * x;
            m2 += dist->pmf[k] * x * x;
            mass += dist->pmf[k];
        }
        if (mass < 1.0) {
            m1 += (1.0 - mass) * L;
            m2 += (1.0 - mass) * L * L;
        }
        *mean = dms_aggdist_limited_mean(dist, L);
        *variance = fmax(0.0, m2 - m1 * m1);
    }
    dms_aggdist_free(dist);
    return DMS_OK;
}

int dms_bank_price_compute(const dms_bank_tariff *t, const dms_model *model, dms_bank_price *out,
                           dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    const dms_model_module *mods[DMS_BANK_MAX_MODULES];
    char path[64];
    for (size_t i = 0; i < t->nmodules; i++) {
        mods[i] = dms_model_find(model, t->modules[i].code);
        if (mods[i] == NULL) {
            snprintf(path, sizeof path, "/package/%zu/module", i);
            return dms_error_set(err, DMS_EINVAL, path, "module '%s' is not in the model '%s'",
                                 t->modules[i].code, model->version);
        }
    }
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.network_frequency = t->network_frequency;
    adj.network_cost = t->network_cost;
    adj.scenario = model->scenarios[DMS_SCENARIO_BASE];
    int status = dms_model_trend_years(model, t->period_from, t->period_to, &adj.trend_years, err);
    if (status != DMS_OK)
        return status;
    double second = 0.0; /* E[S^2] of one card over the mix, with anti-selection */
    double load = 1.0 + t->anti_selection_load;
    for (size_t x = 0; x < t->nmix; x++)
        for (size_t g = 0; g < t->nregions; g++) {
            double w = t->mix[x].share * t->regions[g].share;
            if (w == 0)
                continue;
            size_t band;
            if ((status = dms_model_age_band(model, t->mix[x].age, &band, err)) != DMS_OK)
                return status;
            adj.region = t->regions[g].factor;
            double cell_base = 0.0, cell_mean = 0.0, cell_var = 0.0;
            for (size_t i = 0; i < t->nmodules; i++) {
                dms_model_rated rated;
                if ((status = dms_model_rate(model, mods[i], band, (int)t->mix[x].sex, &adj, &rated,
                                             err)) != DMS_OK)
                    return status;
                /* A flat fee is not a claim: no anti-selection on it. */
                double base = rated.flat_cost, mean = rated.flat_cost, var = 0.0;
                if (mods[i]->type == DMS_MODULE_CLAIMS) {
                    /* Anti-selection: cardholders who buy expect to claim
                     * more often, so the claim frequency is raised by the
                     * load before the per-claim and annual limits apply;
                     * the limits then cap the loaded claims as they would
                     * cap anyone's. */
                    dms_model_rated loaded = rated;
                    loaded.frequency.mean *= load;
                    double unused;
                    if ((status = module_moments(&rated, &t->modules[i], &base, &unused, err)) !=
                            DMS_OK ||
                        (status = module_moments(&loaded, &t->modules[i], &mean, &var, err)) !=
                            DMS_OK) {
                        snprintf(path, sizeof path, "/package/%zu", i);
                        dms_error_prefix_path(err, path);
                        return status;
                    }
                    out->claims_per_year += w * loaded.frequency.mean;
                    out->claims_module_cost += w * mean;
                }
                out->module_claims[i] += w * mean;
                out->module_claims_base[i] += w * base;
                cell_base += base;
                cell_mean += mean;
                cell_var += var;
            }
            out->annual_claims_base += w * cell_base;
            out->annual_claims += w * cell_mean;
            second += w * (cell_var + cell_mean * cell_mean);
        }
    double annual_var = fmax(0.0, second - out->annual_claims * out->annual_claims);
    out->monthly_claims = out->annual_claims / 12.0;
    out->monthly_variance = annual_var / 12.0;
    /* The price from the unrounded claims; only the printed C is rounded. */
    int64_t p = dms_bank_smallest_price(out->monthly_claims, t->target_loss_ratio);
    int64_t c = llround(out->monthly_claims * 100.0);
    out->claims_kopecks = c;
    out->price_kopecks = p;
    out->commission_kopecks = llround((double)p * t->commission);
    out->expense_kopecks = llround((double)p * t->expense);
    out->profit_kopecks = p - c - out->commission_kopecks - out->expense_kopecks;
    out->loss_ratio = out->monthly_claims * 100.0 / (double)p;
    return DMS_OK;
}

int64_t dms_bank_smallest_price(double monthly_claims, double target_loss_ratio)
{
    double c = monthly_claims * 100.0; /* kopecks, not rounded */
    double lr = target_loss_ratio;
    if (!(c > 0) || !(lr > 0))
        return 1;
    int64_t p = (int64_t)ceil(c / lr);
    /* The division above can be off by one either way in floating point;
     * settle on the exact smallest P with c / P <= lr. */
    while (p > 1 && c / (double)(p - 1) <= lr)
        p--;
    while (p < 1 || c / (double)p > lr)
        p++;
    return p;
}

dms_bank_projection_args dms_bank_projection_args_default(void)
{
    return (dms_bank_projection_args){
        .cards = 10000, .months = 12, .uptake = 0.05, .lapse = 0.03, .new_sales = 100};
}

int dms_bank_projection_args_load_json(const json_t *root, const char *prefix,
                                       dms_bank_projection_args *args, dms_error *err)
{
    dms_error_clear(err);
    *args = dms_bank_projection_args_default();
    dms_jsonread r;
    dms_jsonread_init(&r, root, prefix, err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    long long cards = 0, months = args->months, sales = args->new_sales;
    dms_jsonread_integer(&r, "cards", 1, 100000000, &cards);
    dms_jsonread_integer_opt(&r, "months", 1, DMS_BANK_MAX_MONTHS, &months);
    dms_jsonread_number_opt(&r, "uptake", 0, 1, &args->uptake);
    dms_jsonread_number_opt(&r, "lapse", 0, 1, &args->lapse);
    dms_jsonread_integer_opt(&r, "new_sales", 0, 100000000, &sales);
    args->cards = (long)cards;
    args->months = (int)months;
    args->new_sales = (long)sales;
    return dms_jsonread_finish(&r);
}

int dms_bank_projection_compute(const dms_bank_tariff *tariff, const dms_bank_price *price,
                                const dms_bank_projection_args *args, dms_bank_projection *out,
                                dms_error *err)
{
    dms_error_clear(err);
    (void)tariff;
    memset(out, 0, sizeof *out);
    if (args->cards < 1 || args->cards > 100000000)
        return dms_error_set(err, DMS_EINVAL, "/cards", "cards must be 1..100000000");
    if (args->months < 1 || args->months > DMS_BANK_MAX_MONTHS)
        return dms_error_set(err, DMS_EINVAL, "/months", "months must be 1..%d",
                             DMS_BANK_MAX_MONTHS);
    if (!(args->uptake >= 0 && args->uptake <= 1))
        return dms_error_set(err, DMS_EINVAL, "/uptake", "uptake must be in [0, 1]");
    if (!(args->lapse >= 0 && args->lapse <= 1))
        return dms_error_set(err, DMS_EINVAL, "/lapse", "lapse must be in [0, 1]");
    if (args->new_sales < 0 || args->new_sales > 100000000)
        return dms_error_set(err, DMS_EINVAL, "/new_sales", "new_sales must be 0..100000000");
    out->args = *args;
    out->price = *price;
    out->nmonths = args->months;
    long active = 0;
    double total_var = 0.0;
    for (int m = 0; m < args->months; m++) {
        dms_bank_month *mo = &out->months[m];
        mo->month = m + 1;
        mo->active_start = active;
        mo->lapsed = m == 0 ? 0 : (long)llround((double)active * args->lapse);
        long room = args->cards - (active - mo->lapsed);
        long want = m == 0 ? (long)llround((double)args->cards * args->uptake) : args->new_sales;
        mo->sold = want < room ? want : room;
        mo->active = active - mo->lapsed + mo->sold;
        active = mo->active;
        mo->premium_kopecks = (int64_t)mo->active * price->price_kopecks;
        mo->commission_kopecks = (int64_t)mo->active * price->commission_kopecks;
        mo->expected_claims = (double)mo->active * price->monthly_claims;
        double var = (double)mo->active * price->monthly_variance;
        mo->claims_p5 = fmax(0.0, mo->expected_claims - Z95 * sqrt(var));
        mo->claims_p95 = mo->expected_claims + Z95 * sqrt(var);
        mo->loss_ratio = mo->premium_kopecks > 0
                             ? mo->expected_claims * 100.0 / (double)mo->premium_kopecks
                             : 0.0;
        mo->penetration = (double)mo->active / (double)args->cards;
        mo->arpu_uplift = (double)mo->commission_kopecks / 100.0 / (double)args->cards;
        out->card_months += mo->active;
        out->premium_kopecks += mo->premium_kopecks;
        out->commission_kopecks += mo->commission_kopecks;
        out->expected_claims += mo->expected_claims;
        out->arpu_uplift += mo->arpu_uplift;
        total_var += var;
    }
    out->claims_p5 = fmax(0.0, out->expected_claims - Z95 * sqrt(total_var));
    out->claims_p95 = out->expected_claims + Z95 * sqrt(total_var);
    out->loss_ratio = out->premium_kopecks > 0
                          ? out->expected_claims * 100.0 / (double)out->premium_kopecks
                          : 0.0;
    out->arpu_uplift /= (double)args->months;
    out->claims_frequency_per_1000 = price->claims_per_year * 1000.0;
    out->average_claim_cost =
        price->claims_per_year > 0 ? price->claims_module_cost / price->claims_per_year : 0.0;
    return DMS_OK;
}
