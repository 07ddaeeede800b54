/*
 * Loader of insurer tariffs and the lookups the quote needs: modules,
 * networks, region classes by the names people write (folded by
 * dms_text_fold: Latin and Cyrillic case, ё, separators), group-size
 * factors, the gross-premium formula and its rounding rule. The file format
 * is described in tariffs/README.md.
 */
#include "dms/tariff.h"
#include "dms/jsonread.h"
#include "dms/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_INPUT_MAX 255 /* bytes of a region name given to the lookup */
#define MONEY_MAX 1e9      /* roubles: limits, deductibles, fees */

static const char *const module_types[] = {"claims", "flat", NULL};
static const char *const rounding_modes[] = {"half_up", "up", NULL};

/* ---- name normalisation ------------------------------------------------ */

bool dms_tariff_normalize_name(const char *name, char *buf, size_t size)
{
    char folded[4 * NAME_INPUT_MAX + 1];
    if (size == 0 || !dms_text_fold(name, strlen(name), folded, sizeof folded))
        return false;
    /* "город X", "г. X", "г.X", "г X" */
    static const char *const prefixes[] = {"город ", "г.", "г "};
    const char *start = folded;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(folded, prefixes[i], strlen(prefixes[i])) == 0) {
            start = folded + strlen(prefixes[i]);
            break;
        }
    while (*start == ' ')
        start++;
    if (strlen(start) >= size)
        return false;
    memcpy(buf, start, strlen(start) + 1);
    return true;
}

/* ---- loading ------------------------------------------------------------ */

static int read_date(dms_jsonread *r, const char *key, long *days)
{
    const char *s = NULL;
    int status = dms_jsonread_string(r, key, 10, &s);
    if (status != DMS_OK)
        return status;
    if (!dms_date_parse(s, days))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "'%s' is not a date YYYY-MM-DD", s);
    return DMS_OK;
}

/* Reads an array of increasing numbers in [min, max] into out. */
static int read_increasing(dms_jsonread *r, const char *key, double min, double max, double *out,
                           size_t *count)
{
    size_t n = 0;
    if (dms_jsonread_enter(r, key, DMS_JSON_ARRAY) != DMS_OK ||
        dms_jsonread_length(r, 1, DMS_TARIFF_MAX_ITEMS, &n) != DMS_OK)
        return dms_jsonread_status(r);
    for (size_t i = 0; i < n && dms_jsonread_status(r) == DMS_OK; i++) {
        if (dms_jsonread_number_at(r, i, min, max, &out[i]) == DMS_OK && i > 0 &&
            out[i] <= out[i - 1]) {
            char seg[24];
            snprintf(seg, sizeof seg, "%zu", i);
            dms_jsonread_fail(r, DMS_EINVAL, seg, "values must increase: %g after %g", out[i],
                              out[i - 1]);
        }
    }
    *count = n;
    return dms_jsonread_leave(r);
}

static bool in_list(const double *list, size_t n, double x)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(list[i] - x) <= 1e-9 * fmax(1.0, fabs(x)))
            return true;
    return false;
}

static int read_module(dms_jsonread *r, dms_tariff *t, size_t i)
{
    dms_tariff_module *mod = &t->modules[i];
    int type = 0;
    dms_jsonread_code(r, "code", mod->code, sizeof mod->code);
    for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
        if (strcmp(t->modules[j].code, mod->code) == 0)
            dms_jsonread_fail(r, DMS_EINVAL, "code", "duplicate module code '%s'", mod->code);
    dms_jsonread_string_buf(r, "name_ru", mod->name_ru, sizeof mod->name_ru);
    dms_jsonread_string_buf(r, "name_en", mod->name_en, sizeof mod->name_en);
    dms_jsonread_enum(r, "type", module_types, &type);
    mod->type = type == 1 ? DMS_MODULE_FLAT : DMS_MODULE_CLAIMS;
    dms_jsonread_bool(r, "optional", &mod->optional);
    mod->claim_limit = INFINITY;
    mod->annual_limit = INFINITY;
    mod->deductible = 0;
    mod->copay = 0;
    if (dms_jsonread_status(r) != DMS_OK || mod->type == DMS_MODULE_FLAT)
        return dms_jsonread_status(r);
    dms_jsonread_number_opt(r, "claim_limit", 1, MONEY_MAX, &mod->claim_limit);
    dms_jsonread_number_opt(r, "annual_limit", 1, MONEY_MAX, &mod->annual_limit);
    if (dms_jsonread_number_opt(r, "deductible", 0, MONEY_MAX, &mod->deductible) == DMS_OK &&
        !in_list(t->deductibles, t->ndeductibles, mod->deductible))
        dms_jsonread_fail(r, DMS_EINVAL, "deductible",
                          "%g is not one of the allowed deductibles (/deductibles)",
                          mod->deductible);
    if (dms_jsonread_number_opt(r, "copay", 0, 0.99, &mod->copay) == DMS_OK &&
        !in_list(t->copays, t->ncopays, mod->copay))
        dms_jsonread_fail(r, DMS_EINVAL, "copay", "%g is not one of the allowed co-pays (/copays)",
                          mod->copay);
    if (dms_jsonread_status(r) == DMS_OK && mod->claim_limit <= mod->deductible)
        dms_jsonread_fail(r, DMS_EINVAL, "claim_limit",
                          "the per-claim limit must exceed the deductible %g", mod->deductible);
    if (dms_jsonread_status(r) == DMS_OK && mod->annual_limit < mod->claim_limit &&
        isfinite(mod->claim_limit))
        dms_jsonread_fail(r, DMS_EINVAL, "annual_limit",
                          "the annual limit must not be below the per-claim limit %g",
                          mod->claim_limit);
    return dms_jsonread_status(r);
}

static int read_network(dms_jsonread *r, dms_tariff *t, size_t i)
{
    dms_network *net = &t->networks[i];
    dms_jsonread_code(r, "code", net->code, sizeof net->code);
    for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
        if (strcmp(t->networks[j].code, net->code) == 0)
            dms_jsonread_fail(r, DMS_EINVAL, "code", "duplicate network code '%s'", net->code);
    dms_jsonread_string_buf(r, "name_ru", net->name_ru, sizeof net->name_ru);
    dms_jsonread_string_buf(r, "name_en", net->name_en, sizeof net->name_en);
    dms_jsonread_number(r, "frequency_factor", 0.1, 10, &net->frequency_factor);
    dms_jsonread_number(r, "cost_factor", 0.1, 10, &net->cost_factor);
    return dms_jsonread_status(r);
}

/* The region class already holding normalised alias a, or NULL. */
static const dms_region *alias_owner(const dms_tariff *t, size_t nregions, const char *a)
{
    for (size_t i = 0; i < nregions; i++)
        for (size_t k = 0; k < t->regions[i].naliases; k++)
            if (strcmp(t->regions[i].aliases[k], a) == 0)
                return &t->regions[i];
    return NULL;
}

/*
 * Adds name (normalised) to region i's aliases. A repeat within the class is
 * harmless (a name and an alias may coincide); one in another class is an
 * error at member key (or the current value for key NULL).
 */
static int add_alias(dms_jsonread *r, dms_tariff *t, size_t i, const char *key, const char *name)
{
    dms_region *reg = &t->regions[i];
    char norm[DMS_TARIFF_ALIAS_MAX];
    if (!dms_tariff_normalize_name(name, norm, sizeof norm) || norm[0] == '\0')
        return dms_jsonread_fail(r, DMS_EINVAL, key, "'%.64s' is not a usable region name", name);
    const dms_region *owner = alias_owner(t, i + 1, norm);
    if (owner == reg)
        return DMS_OK;
    if (owner != NULL)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "'%s' already names region class '%s'", name,
                                 owner->code);
    if (reg->naliases == DMS_TARIFF_MAX_ALIASES + 3)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "too many names");
    memcpy(reg->aliases[reg->naliases++], norm, sizeof norm);
    return DMS_OK;
}

static int read_region(dms_jsonread *r, dms_tariff *t, size_t i)
{
    dms_region *reg = &t->regions[i];
    size_t n = 0;
    dms_jsonread_code(r, "code", reg->code, sizeof reg->code);
    for (size_t j = 0; j < i && dms_jsonread_status(r) == DMS_OK; j++)
        if (strcmp(t->regions[j].code, reg->code) == 0)
            dms_jsonread_fail(r, DMS_EINVAL, "code", "duplicate region code '%s'", reg->code);
    dms_jsonread_string_buf(r, "name_ru", reg->name_ru, sizeof reg->name_ru);
    dms_jsonread_string_buf(r, "name_en", reg->name_en, sizeof reg->name_en);
    dms_jsonread_number(r, "factor", 0.1, 10, &reg->factor);
    if (dms_jsonread_status(r) != DMS_OK)
        return dms_jsonread_status(r);
    /* the code, the two names and the aliases */
    reg->aliases = calloc(DMS_TARIFF_MAX_ALIASES + 3, sizeof *reg->aliases);
    if (reg->aliases == NULL)
        return dms_jsonread_fail(r, DMS_ENOMEM, NULL, "out of memory");
    add_alias(r, t, i, "code", reg->code);
    add_alias(r, t, i, "name_ru", reg->name_ru);
    add_alias(r, t, i, "name_en", reg->name_en);
    if (dms_jsonread_enter(r, "aliases", DMS_JSON_ARRAY) != DMS_OK ||
        dms_jsonread_length(r, 0, DMS_TARIFF_MAX_ALIASES, &n) != DMS_OK)
        return dms_jsonread_status(r);
    for (size_t k = 0; k < n && dms_jsonread_status(r) == DMS_OK; k++) {
        const char *alias = NULL;
        if (dms_jsonread_enter_index(r, k, DMS_JSON_ANY) != DMS_OK)
            break;
        if (dms_jsonread_string(r, NULL, DMS_TARIFF_ALIAS_MAX - 1, &alias) == DMS_OK)
            add_alias(r, t, i, NULL, alias);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

/* Reads an array of objects with reader fn, one per element, into t. */
static int read_items(dms_jsonread *r, const char *key, dms_tariff *t, size_t *count,
                      int (*fn)(dms_jsonread *, dms_tariff *, size_t))
{
    size_t n = 0;
    if (dms_jsonread_enter(r, key, DMS_JSON_ARRAY) != DMS_OK ||
        dms_jsonread_length(r, 1, DMS_TARIFF_MAX_ITEMS, &n) != DMS_OK)
        return dms_jsonread_status(r);
    for (size_t i = 0; i < n; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        *count = i + 1; /* so that dms_tariff_free sees what was allocated */
        fn(r, t, i);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

static int read_group_band(dms_jsonread *r, dms_tariff *t, size_t i)
{
    dms_group_band *b = &t->group_bands[i];
    long long min = 0;
    dms_jsonread_integer(r, "min_headcount", 1, 100000000, &min);
    b->min_headcount = (long)min;
    if (dms_jsonread_status(r) == DMS_OK && i == 0 && min != 1)
        dms_jsonread_fail(r, DMS_EINVAL, "min_headcount", "the first band must start at 1");
    if (dms_jsonread_status(r) == DMS_OK && i > 0 && min <= t->group_bands[i - 1].min_headcount)
        dms_jsonread_fail(r, DMS_EINVAL, "min_headcount", "bands must increase: %lld after %ld",
                          min, t->group_bands[i - 1].min_headcount);
    dms_jsonread_number(r, "factor", 0.5, 2, &b->factor);
    return dms_jsonread_status(r);
}

static int read_loadings(dms_jsonread *r, dms_loadings *l)
{
    if (dms_jsonread_enter(r, "loadings", DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_number(r, "admin_fee_per_person", 0, 1e6, &l->admin_fee_per_person);
    dms_jsonread_number(r, "expense", 0, 0.9, &l->expense);
    dms_jsonread_number(r, "commission", 0, 0.9, &l->commission);
    dms_jsonread_number(r, "profit", 0, 0.9, &l->profit);
    dms_jsonread_number(r, "contingency", 0, 1, &l->contingency);
    if (dms_jsonread_status(r) == DMS_OK && l->expense + l->commission + l->profit > 0.9)
        dms_jsonread_fail(r, DMS_EINVAL, NULL,
                          "expense + commission + profit = %g must not exceed 0.9",
                          l->expense + l->commission + l->profit);
    return dms_jsonread_leave(r);
}

static int read_rounding(dms_jsonread *r, dms_rounding *rd)
{
    int mode = 0;
    if (dms_jsonread_enter(r, "rounding", DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    if (dms_jsonread_number(r, "unit", 0.01, 1000, &rd->unit) == DMS_OK) {
        double kopecks = rd->unit * 100;
        if (fabs(kopecks - round(kopecks)) > 1e-9)
            dms_jsonread_fail(r, DMS_EINVAL, "unit", "the unit must be a whole number of kopecks");
    }
    dms_jsonread_enum(r, "mode", rounding_modes, &mode);
    rd->mode = mode == 1 ? DMS_ROUND_UP : DMS_ROUND_HALF_UP;
    return dms_jsonread_leave(r);
}

/* Reads a code member naming one of count items of stride bytes; *index. */
static int read_reference(dms_jsonread *r, const char *key, const char *what, const void *items,
                          size_t stride, size_t count, size_t *index)
{
    char code[DMS_MODEL_CODE_MAX];
    if (dms_jsonread_code(r, key, code, sizeof code) != DMS_OK)
        return dms_jsonread_status(r);
    for (size_t i = 0; i < count; i++) {
        /* every item struct starts with its code */
        if (strcmp((const char *)items + i * stride, code) == 0) {
            *index = i;
            return DMS_OK;
        }
    }
    /* One whole sentence per kind, so each has its Russian form. */
    bool network = strcmp(what, "network") == 0;
    return dms_jsonread_fail(r, DMS_EINVAL, key,
                             network ? "no network with code '%s'" : "no region with code '%s'",
                             code);
}

int dms_tariff_load_json(const json_t *root, dms_tariff **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_tariff *t = calloc(1, sizeof *t);
    if (t == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, err);
    if (dms_jsonread_expect(&r, DMS_JSON_OBJECT) != DMS_OK)
        goto out_tariff;
    const char *text = NULL;
    dms_jsonread_string_buf(&r, "name", t->name, sizeof t->name);
    dms_jsonread_string_buf(&r, "version", t->version, sizeof t->version);
    dms_jsonread_string_opt(&r, "description", 4000, &text);
    dms_jsonread_string_buf(&r, "model", t->model, sizeof t->model);
    if (dms_jsonread_string(&r, "currency", 3, &text) == DMS_OK && strcmp(text, "RUB") != 0)
        dms_jsonread_fail(&r, DMS_EINVAL, "currency", "only RUB is supported, got '%s'", text);
    memcpy(t->currency, "RUB", 4);
    if (dms_jsonread_enter(&r, "effective", DMS_JSON_OBJECT) == DMS_OK) {
        read_date(&r, "from", &t->effective_from);
        read_date(&r, "to", &t->effective_to);
        if (dms_jsonread_status(&r) == DMS_OK && t->effective_to < t->effective_from)
            dms_jsonread_fail(&r, DMS_EINVAL, "to", "the tariff ends before it starts");
        dms_jsonread_leave(&r);
    }
    /* the lists the modules' defaults are checked against come first */
    read_increasing(&r, "deductibles", 0, MONEY_MAX, t->deductibles, &t->ndeductibles);
    read_increasing(&r, "copays", 0, 0.99, t->copays, &t->ncopays);
    if (dms_jsonread_status(&r) == DMS_OK && t->deductibles[0] != 0)
        dms_jsonread_fail(&r, DMS_EINVAL, "deductibles", "the list must start with 0 (none)");
    if (dms_jsonread_status(&r) == DMS_OK && t->copays[0] != 0)
        dms_jsonread_fail(&r, DMS_EINVAL, "copays", "the list must start with 0 (none)");
    read_items(&r, "modules", t, &t->nmodules, read_module);
    read_items(&r, "networks", t, &t->nnetworks, read_network);
    read_reference(&r, "default_network", "network", t->networks, sizeof t->networks[0],
                   t->nnetworks, &t->default_network);
    read_items(&r, "regions", t, &t->nregions, read_region);
    read_reference(&r, "fallback_region", "region", t->regions, sizeof t->regions[0], t->nregions,
                   &t->fallback_region);
    read_loadings(&r, &t->loadings);
    read_items(&r, "group_size", t, &t->ngroup_bands, read_group_band);
    dms_jsonread_number(&r, "anti_selection_load", 0, 2, &t->anti_selection_load);
    read_rounding(&r, &t->rounding);
    if (dms_jsonread_finish(&r) != DMS_OK)
        goto out_tariff;
    *out = t;
    return DMS_OK;
out_tariff:
    dms_tariff_free(t);
    return dms_jsonread_status(&r);
}

int dms_tariff_load_file(const char *path, dms_tariff **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status != DMS_OK)
        return status;
    status = dms_tariff_load_json(root, out, err);
    if (status != DMS_OK && err != NULL && err->line == 0)
        snprintf(err->source, sizeof err->source, "%s", path);
    json_decref(root);
    return status;
}

void dms_tariff_free(dms_tariff *tariff)
{
    if (tariff == NULL)
        return;
    for (size_t i = 0; i < tariff->nregions; i++)
        free(tariff->regions[i].aliases);
    free(tariff);
}

/* ---- lookups ------------------------------------------------------------- */

const dms_tariff_module *dms_tariff_find_module(const dms_tariff *tariff, const char *code)
{
    for (size_t i = 0; code != NULL && i < tariff->nmodules; i++)
        if (strcmp(tariff->modules[i].code, code) == 0)
            return &tariff->modules[i];
    return NULL;
}

const dms_network *dms_tariff_find_network(const dms_tariff *tariff, const char *code)
{
    for (size_t i = 0; code != NULL && i < tariff->nnetworks; i++)
        if (strcmp(tariff->networks[i].code, code) == 0)
            return &tariff->networks[i];
    return NULL;
}

const dms_region *dms_tariff_find_region(const dms_tariff *tariff, const char *code)
{
    for (size_t i = 0; code != NULL && i < tariff->nregions; i++)
        if (strcmp(tariff->regions[i].code, code) == 0)
            return &tariff->regions[i];
    return NULL;
}

int dms_tariff_region_lookup(const dms_tariff *tariff, const char *name, const dms_region **out,
                             bool *fallback)
{
    char norm[DMS_TARIFF_ALIAS_MAX];
    *out = NULL;
    if (fallback != NULL)
        *fallback = false;
    if (name == NULL || strlen(name) > NAME_INPUT_MAX)
        return DMS_EINVAL;
    if (!dms_tariff_normalize_name(name, norm, sizeof norm)) {
        /* too long for any alias or not UTF-8: cannot match, but a name */
        norm[0] = '\0';
        if (name[0] == '\0')
            return DMS_EINVAL;
    } else if (norm[0] == '\0') {
        return DMS_EINVAL;
    }
    const dms_region *reg = norm[0] ? alias_owner(tariff, tariff->nregions, norm) : NULL;
    if (reg == NULL) {
        reg = &tariff->regions[tariff->fallback_region];
        if (fallback != NULL)
            *fallback = true;
    }
    *out = reg;
    return DMS_OK;
}

int dms_tariff_group_factor(const dms_tariff *tariff, long headcount, double *factor,
                            dms_error *err)
{
    dms_error_clear(err);
    if (headcount < 1)
        return dms_error_set(err, DMS_EINVAL, NULL, "group size %ld must be at least 1", headcount);
    size_t b = 0;
    while (b + 1 < tariff->ngroup_bands && headcount >= tariff->group_bands[b + 1].min_headcount)
        b++;
    *factor = tariff->group_bands[b].factor;
    return DMS_OK;
}

bool dms_tariff_deductible_allowed(const dms_tariff *tariff, double amount)
{
    return in_list(tariff->deductibles, tariff->ndeductibles, amount);
}

bool dms_tariff_copay_allowed(const dms_tariff *tariff, double share)
{
    return in_list(tariff->copays, tariff->ncopays, share);
}

double dms_tariff_gross(const dms_tariff *tariff, double pure)
{
    const dms_loadings *l = &tariff->loadings;
    return (pure + l->admin_fee_per_person) * (1 + l->contingency) /
           (1 - l->expense - l->commission - l->profit);
}

double dms_tariff_round(const dms_tariff *tariff, double amount)
{
    if (!isfinite(amount))
        return amount;
    /* work in kopecks so that units like 0.01 are exact integers, on the
     * magnitude so that halves go away from zero */
    double unit_k = round(tariff->rounding.unit * 100);
    double k = fabs(amount) * 100 / unit_k;
    double eps = 1e-9 * fmax(1.0, k); /* binary noise: 1234.5 seen as 1234.4999999 */
    double units;
    if (tariff->rounding.mode == DMS_ROUND_UP)
        units = fabs(k - round(k)) < eps ? round(k) : ceil(k);
    else
        units = fabs(k - floor(k) - 0.5) < eps ? floor(k) + 1 : round(k);
    return copysign(units * unit_k / 100, amount);
}

double dms_tariff_gross_factor(const dms_tariff *tariff)
{
    const dms_loadings *l = &tariff->loadings;
    return (1 + l->contingency) / (1 - l->expense - l->commission - l->profit);
}

void dms_tariff_load_line(const dms_tariff *tariff, double claims, double group_factor,
                          bool voluntary, dms_loaded *out)
{
    const dms_loadings *l = &tariff->loadings;
    double shares = l->expense + l->commission + l->profit;
    memset(out, 0, sizeof *out);
    out->expected_claims = claims;
    out->group_size_load = claims * (group_factor - 1);
    double loaded = claims * group_factor;
    out->anti_selection = voluntary ? loaded * tariff->anti_selection_load : 0.0;
    out->pure_premium = loaded + out->anti_selection;
    out->contingency = out->pure_premium * l->contingency;
    out->gross = out->pure_premium * (1 + l->contingency) / (1 - shares);
    out->expense = out->gross * l->expense;
    out->commission = out->gross * l->commission;
    out->profit = out->gross * l->profit;
    out->gross_kopecks = (int64_t)llround(out->gross * 100.0);
    out->rounding = (double)out->gross_kopecks / 100.0 - out->gross;
}

void dms_tariff_load_person(const dms_tariff *tariff, double pure_premium, dms_loaded *out)
{
    const dms_loadings *l = &tariff->loadings;
    memset(out, 0, sizeof *out);
    out->pure_premium = pure_premium;
    out->admin_fee = l->admin_fee_per_person;
    out->contingency = (pure_premium + out->admin_fee) * l->contingency;
    out->gross = dms_tariff_gross(tariff, pure_premium);
    out->expense = out->gross * l->expense;
    out->commission = out->gross * l->commission;
    out->profit = out->gross * l->profit;
    double rounded = dms_tariff_round(tariff, out->gross);
    out->rounding = rounded - out->gross;
    out->gross_kopecks = (int64_t)llround(rounded * 100.0);
}

int dms_tariff_check_model(const dms_tariff *tariff, const dms_model *model, dms_error *err)
{
    dms_error_clear(err);
    for (size_t i = 0; i < tariff->nmodules; i++) {
        const dms_tariff_module *tm = &tariff->modules[i];
        const dms_model_module *mm = dms_model_find(model, tm->code);
        char path[64];
        snprintf(path, sizeof path, "/modules/%zu/code", i);
        if (mm == NULL)
            return dms_error_set(err, DMS_ENOTFOUND, path,
                                 "module '%s' of tariff %s is not in model %s", tm->code,
                                 tariff->version, model->version);
        if (mm->type != tm->type) {
            snprintf(path, sizeof path, "/modules/%zu/type", i);
            return dms_error_set(err, DMS_EINVAL, path,
                                 "module '%s' is %s in the tariff but %s in model %s", tm->code,
                                 dms_module_type_name(tm->type), dms_module_type_name(mm->type),
                                 model->version);
        }
    }
    return DMS_OK;
}
