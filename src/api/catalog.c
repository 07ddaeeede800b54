/*
 * The catalog the service prices with: every model and tariff file of the
 * configured folders, loaded and cross-checked once into an immutable
 * snapshot. Requests hold a reference for their whole life, and a reload
 * builds a complete new snapshot before anyone sees it, which is what makes
 * a SIGHUP reload atomic: a request uses the set it started with, whole.
 */
#include "dms/api.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dms/bank.h"
#include "dms/model.h"
#include "dms/tariff.h"

#define MAX_FILES 256
#define ID_MAX 64

struct item {
    char id[ID_MAX]; /* file name without .json */
    dms_model *model;
    dms_tariff *tariff;    /* a corporate tariff, or */
    dms_bank_tariff *bank; /* a bank premium-card tariff (the one with "cardholders") */
};

struct dms_api_catalog {
    atomic_long refs;
    unsigned long generation;
    size_t nmodels, ntariffs, nbanks;
    struct item *models, *tariffs, *banks;
    char *models_version, *tariffs_version;
};

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The sorted *.json names of dir (malloc'd array of malloc'd strings). */
static int list_json(const char *dir, char ***out, size_t *count, dms_error *err)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return dms_error_set(err, DMS_EIO, NULL, "%s: cannot open the folder: %s", dir,
                             strerror(errno));
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = 0;
    int status = names != NULL ? DMS_OK : DMS_ENOMEM;
    struct dirent *entry;
    while (status == DMS_OK && (entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len <= 5 || len - 5 >= ID_MAX || entry->d_name[0] == '.' ||
            strcmp(entry->d_name + len - 5, ".json") != 0)
            continue;
        if (n == MAX_FILES) {
            status = dms_error_set(err, DMS_ETOOBIG, NULL, "%s: more than %d JSON files", dir,
                                   MAX_FILES);
            break;
        }
        if ((names[n] = strdup(entry->d_name)) == NULL)
            status = DMS_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (status != DMS_OK) {
        free_names(names, n);
        return status == DMS_ENOMEM ? dms_error_set(err, status, NULL, "no memory") : status;
    }
    qsort(names, n, sizeof *names, compare_names);
    *out = names;
    *count = n;
    return DMS_OK;
}

/* "id@version,id@version" of the items. */
static char *versions(const struct item *items, size_t n, bool tariffs)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += ID_MAX + DMS_MODEL_CODE_MAX + 2;
    char *text = malloc(cap);
    if (text == NULL)
        return NULL;
    size_t len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%s@%s", i ? "," : "", items[i].id,
                                tariffs ? items[i].tariff->version : items[i].model->version);
    return text;
}

/*
 * The tariffs folder holds two kinds: corporate tariffs and bank
 * premium-card tariffs, told apart by the bank format's required
 * "cardholders" mix. A file that is not even JSON goes to the corporate
 * loader, which reports where it breaks.
 */
static bool is_bank_tariff(const char *path)
{
    json_t *root = json_load_file(path, JSON_DECODE_ANY, NULL);
    bool bank = json_is_object(root) && json_object_get(root, "cardholders") != NULL;
    json_decref(root);
    return bank;
}

/* Moves the bank tariffs of items[0..*n) into *banks, keeping order. */
static int split_banks(struct item *items, size_t *n, struct item **banks, size_t *nbanks,
                       dms_error *err)
{
    *banks = calloc(*n > 0 ? *n : 1, sizeof **banks);
    if (*banks == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    size_t kept = 0;
    *nbanks = 0;
    for (size_t i = 0; i < *n; i++) {
        if (items[i].bank != NULL)
            (*banks)[(*nbanks)++] = items[i];
        else
            items[kept++] = items[i];
    }
    *n = kept;
    return DMS_OK;
}

static int load_dir(const char *dir, bool tariffs, struct item **out, size_t *count, dms_error *err)
{
    *out = NULL;
    *count = 0;
    if (dir == NULL || dir[0] == '\0')
        return DMS_OK;
    char **names = NULL;
    size_t n = 0;
    int status = list_json(dir, &names, &n, err);
    if (status != DMS_OK)
        return status;
    struct item *items = calloc(n > 0 ? n : 1, sizeof *items);
    if (items == NULL) {
        free_names(names, n);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    }
    size_t loaded = 0;
    for (; loaded < n && status == DMS_OK; loaded++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[loaded]);
        snprintf(items[loaded].id, ID_MAX, "%.*s", (int)(strlen(names[loaded]) - 5), names[loaded]);
        if (tariffs && is_bank_tariff(path))
            status = dms_bank_tariff_load_file(path, &items[loaded].bank, err);
        else
            status = tariffs ? dms_tariff_load_file(path, &items[loaded].tariff, err)
                             : dms_model_load_file(path, &items[loaded].model, err);
        if (status != DMS_OK && err != NULL) {
            /* Name the file and the place in it in the message alone: the
             * pointer and line of a reply belong to the request. */
            char where[DMS_ERROR_MESSAGE_MAX + DMS_ERROR_PATH_MAX + 32];
            char where_ru[DMS_ERROR_MESSAGE_MAX + DMS_ERROR_PATH_MAX + 160];
            bool has_ru = err->message_ru[0] != '\0';
            dms_error_locate(err, false, where, (int)sizeof where);
            dms_error_locate(err, true, where_ru, (int)sizeof where_ru);
            if (err->line > 0) { /* where is already file:line:column: message */
                snprintf(err->message, sizeof err->message, "%.500s", where);
                if (has_ru)
                    snprintf(err->message_ru, sizeof err->message_ru, "%.500s", where_ru);
            } else {
                snprintf(err->message, sizeof err->message, "%.150s: %.350s", path, where);
                if (has_ru)
                    snprintf(err->message_ru, sizeof err->message_ru, "%.150s: %.350s", path,
                             where_ru);
            }
            err->path[0] = err->source[0] = '\0';
            err->line = err->column = 0;
        }
    }
    free_names(names, n);
    *out = items;
    *count = loaded;
    return status;
}

static void free_items(struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dms_model_free(items[i].model);
        dms_tariff_free(items[i].tariff);
        dms_bank_tariff_free(items[i].bank);
    }
    free(items);
}

static void catalog_free(dms_api_catalog *c)
{
    free_items(c->models, c->nmodels);
    free_items(c->tariffs, c->ntariffs);
    free_items(c->banks, c->nbanks);
    free(c->models_version);
    free(c->tariffs_version);
    free(c);
}

/* Every tariff built on a loaded model version must agree with that model. */
static int cross_check(const dms_api_catalog *c, dms_error *err)
{
    for (size_t t = 0; t < c->ntariffs; t++)
        for (size_t m = 0; m < c->nmodels; m++) {
            const dms_tariff *tariff = c->tariffs[t].tariff;
            if (strcmp(tariff->model, c->models[m].model->version) != 0)
                continue;
            int status = dms_tariff_check_model(tariff, c->models[m].model, err);
            if (status != DMS_OK) {
                if (err != NULL) {
                    char message[DMS_ERROR_MESSAGE_MAX];
                    snprintf(message, sizeof message, "tariff %s against model %s: %.100s: %.250s",
                             c->tariffs[t].id, c->models[m].id, err->path, err->message);
                    if (err->message_ru[0] != '\0') {
                        char ru[DMS_ERROR_MESSAGE_MAX];
                        snprintf(ru, sizeof ru, "тариф %s и модель %s: %.100s: %.250s",
                                 c->tariffs[t].id, c->models[m].id, err->path, err->message_ru);
                        memcpy(err->message_ru, ru, sizeof ru);
                    }
                    memcpy(err->message, message, sizeof message);
                }
                return status;
            }
        }
    return DMS_OK;
}

int dms_api_catalog_load(const char *tariffs_dir, const char *models_dir, unsigned long generation,
                         dms_api_catalog **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_api_catalog *c = calloc(1, sizeof *c);
    if (c == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the catalog");
    atomic_init(&c->refs, 1);
    c->generation = generation;
    int status;
    if ((status = load_dir(models_dir, false, &c->models, &c->nmodels, err)) != DMS_OK ||
        (status = load_dir(tariffs_dir, true, &c->tariffs, &c->ntariffs, err)) != DMS_OK ||
        (status = split_banks(c->tariffs, &c->ntariffs, &c->banks, &c->nbanks, err)) != DMS_OK ||
        (status = cross_check(c, err)) != DMS_OK)
        goto out_free;
    c->models_version = versions(c->models, c->nmodels, false);
    c->tariffs_version = versions(c->tariffs, c->ntariffs, true);
    if (c->models_version == NULL || c->tariffs_version == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the catalog");
        goto out_free;
    }
    *out = c;
    return DMS_OK;
out_free:
    catalog_free(c);
    return status;
}

dms_api_catalog *dms_api_catalog_ref(dms_api_catalog *catalog)
{
    if (catalog != NULL)
        atomic_fetch_add(&catalog->refs, 1);
    return catalog;
}

void dms_api_catalog_unref(dms_api_catalog *catalog)
{
    if (catalog != NULL && atomic_fetch_sub(&catalog->refs, 1) == 1)
        catalog_free(catalog);
}

int dms_api_catalog_check(const dms_api_catalog *catalog, dms_error *err)
{
    dms_error_clear(err);
    if (catalog->nmodels == 0 && catalog->ntariffs == 0)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "the catalog is empty: no model and no corporate tariff files were "
                             "found (give --tariffs DIR and --models DIR)");
    for (size_t t = 0; t < catalog->ntariffs; t++)
        if (dms_api_catalog_model_by_version(catalog, catalog->tariffs[t].tariff->model) != NULL)
            return DMS_OK;
    if (catalog->ntariffs == 0)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "the catalog has no corporate tariff (give --tariffs DIR)");
    return dms_error_set(err, DMS_EINVAL, NULL,
                         "no corporate tariff has its model loaded: tariff %s wants model "
                         "version %s (give --models DIR)",
                         catalog->tariffs[0].id, catalog->tariffs[0].tariff->model);
}

unsigned long dms_api_catalog_generation(const dms_api_catalog *catalog)
{
    return catalog->generation;
}

const char *dms_api_catalog_models_version(const dms_api_catalog *catalog)
{
    return catalog->models_version;
}

const char *dms_api_catalog_tariffs_version(const dms_api_catalog *catalog)
{
    return catalog->tariffs_version;
}

const struct dms_tariff *dms_api_catalog_tariff(const dms_api_catalog *catalog, const char *id)
{
    if (catalog == NULL || catalog->ntariffs == 0)
        return NULL;
    if (id == NULL || id[0] == '\0')
        return catalog->tariffs[0].tariff;
    for (size_t i = 0; i < catalog->ntariffs; i++)
        if (strcmp(catalog->tariffs[i].id, id) == 0)
            return catalog->tariffs[i].tariff;
    return NULL;
}

const struct dms_model *dms_api_catalog_model(const dms_api_catalog *catalog, const char *id)
{
    if (catalog == NULL || id == NULL)
        return NULL;
    for (size_t i = 0; i < catalog->nmodels; i++)
        if (strcmp(catalog->models[i].id, id) == 0)
            return catalog->models[i].model;
    return NULL;
}

const struct dms_model *dms_api_catalog_model_by_version(const dms_api_catalog *catalog,
                                                         const char *version)
{
    if (catalog == NULL || version == NULL)
        return NULL;
    for (size_t i = 0; i < catalog->nmodels; i++)
        if (strcmp(catalog->models[i].model->version, version) == 0)
            return catalog->models[i].model;
    return NULL;
}

/* ---- JSON views --------------------------------------------------------- */

static json_t *date_json(long days)
{
    time_t t = (time_t)days * 86400;
    struct tm tm;
    char buf[16];
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%d", &tm) == 0)
        return json_null();
    return json_string(buf);
}

static json_t *amount_json(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *names_json(const char *code, const char *name_ru, const char *name_en)
{
    return json_pack("{s:s, s:s, s:s}", "code", code, "name_ru", name_ru, "name_en", name_en);
}

static json_t *model_summary(const struct item *it)
{
    const dms_model *m = it->model;
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", it->id, "name", m->name, "version",
                     m->version, "currency", m->currency, "modules", (json_int_t)m->nmodules);
}

static json_t *tariff_summary(const struct item *it)
{
    const dms_tariff *t = it->tariff;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "id", it->id, "name", t->name,
                     "version", t->version, "model", t->model, "currency", t->currency,
                     "effective_from", date_json(t->effective_from), "effective_to",
                     date_json(t->effective_to), "modules", (json_int_t)t->nmodules);
}

static json_t *model_detail(const struct item *it)
{
    const dms_model *m = it->model;
    json_t *out = model_summary(it);
    json_t *bands = json_array(), *modules = json_array(), *scenarios = json_object();
    if (out == NULL || bands == NULL || modules == NULL || scenarios == NULL)
        goto out_nomem;
    for (size_t b = 0; b < m->nbands; b++)
        json_array_append_new(bands, json_integer(m->band_min_age[b]));
    for (int s = 0; s < DMS_SCENARIO_COUNT; s++)
        json_object_set_new(scenarios, dms_scenario_name((enum dms_scenario_kind)s),
                            json_pack("{s:f, s:f}", "frequency", m->scenarios[s].frequency,
                                      "severity", m->scenarios[s].severity));
    for (size_t i = 0; i < m->nmodules; i++) {
        const dms_model_module *mod = &m->modules[i];
        json_t *row = names_json(mod->code, mod->name_ru, mod->name_en);
        if (row != NULL)
            json_object_set_new(row, "type", json_string(dms_module_type_name(mod->type)));
        json_array_append_new(modules, row);
    }
    json_object_set_new(
        out, "data_period",
        json_pack("{s:o, s:o}", "from", date_json(m->period_from), "to", date_json(m->period_to)));
    json_object_set_new(out, "age_bands", bands);
    json_object_set_new(out, "scenarios", scenarios);
    json_object_set_new(out, "modules", modules);
    return out;
out_nomem:
    json_decref(out);
    json_decref(bands);
    json_decref(modules);
    json_decref(scenarios);
    return NULL;
}

static json_t *tariff_detail(const struct item *it)
{
    const dms_tariff *t = it->tariff;
    json_t *out = tariff_summary(it);
    json_t *modules = json_array(), *networks = json_array(), *regions = json_array();
    json_t *deductibles = json_array(), *copays = json_array();
    if (out == NULL || modules == NULL || networks == NULL || regions == NULL ||
        deductibles == NULL || copays == NULL)
        goto out_nomem;
    for (size_t i = 0; i < t->nmodules; i++) {
        const dms_tariff_module *mod = &t->modules[i];
        json_t *row = names_json(mod->code, mod->name_ru, mod->name_en);
        if (row != NULL) {
            json_object_set_new(row, "type", json_string(dms_module_type_name(mod->type)));
            json_object_set_new(row, "optional", json_boolean(mod->optional));
            json_object_set_new(row, "claim_limit", amount_json(mod->claim_limit));
            json_object_set_new(row, "annual_limit", amount_json(mod->annual_limit));
            json_object_set_new(row, "deductible", json_real(mod->deductible));
            json_object_set_new(row, "copay", json_real(mod->copay));
        }
        json_array_append_new(modules, row);
    }
    for (size_t i = 0; i < t->nnetworks; i++) {
        const dms_network *n = &t->networks[i];
        json_t *row = names_json(n->code, n->name_ru, n->name_en);
        if (row != NULL) {
            json_object_set_new(row, "frequency_factor", json_real(n->frequency_factor));
            json_object_set_new(row, "cost_factor", json_real(n->cost_factor));
        }
        json_array_append_new(networks, row);
    }
    for (size_t i = 0; i < t->nregions; i++) {
        const dms_region *r = &t->regions[i];
        json_t *row = names_json(r->code, r->name_ru, r->name_en);
        if (row != NULL)
            json_object_set_new(row, "factor", json_real(r->factor));
        json_array_append_new(regions, row);
    }
    for (size_t i = 0; i < t->ndeductibles; i++)
        json_array_append_new(deductibles, json_real(t->deductibles[i]));
    for (size_t i = 0; i < t->ncopays; i++)
        json_array_append_new(copays, json_real(t->copays[i]));
    json_object_set_new(out, "modules", modules);
    json_object_set_new(out, "networks", networks);
    json_object_set_new(out, "default_network", json_string(t->networks[t->default_network].code));
    json_object_set_new(out, "regions", regions);
    json_object_set_new(out, "fallback_region", json_string(t->regions[t->fallback_region].code));
    json_object_set_new(out, "deductibles", deductibles);
    json_object_set_new(out, "copays", copays);
    json_object_set_new(out, "loadings",
                        json_pack("{s:f, s:f, s:f, s:f, s:f}", "admin_fee_per_person",
                                  t->loadings.admin_fee_per_person, "expense", t->loadings.expense,
                                  "commission", t->loadings.commission, "profit",
                                  t->loadings.profit, "contingency", t->loadings.contingency));
    json_object_set_new(out, "anti_selection_load", json_real(t->anti_selection_load));
    return out;
out_nomem:
    json_decref(out);
    json_decref(modules);
    json_decref(networks);
    json_decref(regions);
    json_decref(deductibles);
    json_decref(copays);
    return NULL;
}

json_t *dms_api_catalog_list(const dms_api_catalog *catalog, bool tariffs, dms_error *err)
{
    dms_error_clear(err);
    const struct item *items = tariffs ? catalog->tariffs : catalog->models;
    size_t n = tariffs ? catalog->ntariffs : catalog->nmodels;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++)
        if (json_array_append_new(list, tariffs ? tariff_summary(&items[i])
                                                : model_summary(&items[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *out = list != NULL ? json_pack("{s:o, s:I}", tariffs ? "tariffs" : "models", list,
                                           "generation", (json_int_t)catalog->generation)
                               : NULL;
    if (out == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the list");
    return out;
}

json_t *dms_api_catalog_show(const dms_api_catalog *catalog, bool tariffs, const char *id,
                             dms_error *err)
{
    dms_error_clear(err);
    const struct item *items = tariffs ? catalog->tariffs : catalog->models;
    size_t n = tariffs ? catalog->ntariffs : catalog->nmodels;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].id, id) != 0)
            continue;
        json_t *out = tariffs ? tariff_detail(&items[i]) : model_detail(&items[i]);
        if (out == NULL)
            dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the document");
        return out;
    }
    dms_error_set(err, DMS_ENOTFOUND, NULL, "no %s with id '%.64s'", tariffs ? "tariff" : "model",
                  id);
    return NULL;
}

const struct dms_bank_tariff *dms_api_catalog_bank_tariff(const dms_api_catalog *catalog,
                                                          const char *id)
{
    for (size_t i = 0; i < catalog->nbanks; i++)
        if (id == NULL || id[0] == '\0' || strcmp(catalog->banks[i].id, id) == 0)
            return catalog->banks[i].bank;
    return NULL;
}
