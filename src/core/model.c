/*
 * Loader and rating of actuarial models. The loader walks the document with
 * the JSON Pointer reader, refuses unknown keys and out-of-range values and
 * builds one immutable dms_model; rating applies relativities, network and
 * region factors, trend and scenario to a module's base law for one rating
 * cell. The file format is described in models/README.md.
 */
#include "dms/date.h"
#include "dms/model.h"
#include "dms/jsonread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGE_MAX 150
#define TREND_MIN -0.5
#define TREND_MAX 1.0
#define REL_MIN 0.001
#define REL_MAX 100.0
#define POS_MIN 1e-9 /* "strictly positive" for range checks */

static const char *const module_types[] = {"claims", "flat", NULL};
static const char *const scenario_names[] = {"optimistic", "base", "pessimistic", NULL};
static const char *const sex_keys[] = {"male", "female"};
static const char *const freq_families[] = {"poisson", "negbin", NULL};
static const char *const sev_families[] = {"lognormal", "gamma", NULL};

const char *dms_module_type_name(enum dms_module_type type)
{
    return type == DMS_MODULE_FLAT ? "flat" : "claims";
}

const char *dms_scenario_name(enum dms_scenario_kind kind)
{
    return kind >= 0 && kind < DMS_SCENARIO_COUNT ? scenario_names[kind] : "unknown";
}

/* ---- dates ---------------------------------------------------------------- */

bool dms_date_parse(const char *text, long *days)
{
    int y, m, d;
    if (!dms_date_split(text, &y, &m, &d) || y < 1900 || y > 2200)
        return false;
    *days = dms_date_days(y, m, d);
    return true;
}

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

/* ---- loading ---------------------------------------------------------------- */

static int read_age_bands(dms_jsonread *r, dms_model *m)
{
    size_t n = 0;
    if (dms_jsonread_enter(r, "age_bands", DMS_JSON_ARRAY) != DMS_OK ||
        dms_jsonread_length(r, 1, DMS_MODEL_MAX_BANDS, &n) != DMS_OK)
        return dms_jsonread_status(r);
    for (size_t i = 0; i < n; i++) {
        long long age = 0;
        if (dms_jsonread_enter_index(r, i, DMS_JSON_ANY) != DMS_OK)
            break;
        dms_jsonread_integer(r, NULL, 0, 120, &age);
        if (dms_jsonread_status(r) == DMS_OK && i == 0 && age != 0)
            dms_jsonread_fail(r, DMS_EINVAL, NULL, "the first age band must start at 0");
        if (dms_jsonread_status(r) == DMS_OK && i > 0 && age <= m->band_min_age[i - 1])
            dms_jsonread_fail(r, DMS_EINVAL, NULL, "age bands must increase: %lld after %d", age,
                              m->band_min_age[i - 1]);
        dms_jsonread_leave(r);
        m->band_min_age[i] = (int)age;
    }
    m->nbands = n;
    return dms_jsonread_leave(r);
}

static int read_scenarios(dms_jsonread *r, dms_model *m)
{
    if (dms_jsonread_enter(r, "scenarios", DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        if (dms_jsonread_enter(r, scenario_names[k], DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_jsonread_number(r, "frequency", 0.1, 10, &m->scenarios[k].frequency);
        dms_jsonread_number(r, "severity", 0.1, 10, &m->scenarios[k].severity);
        dms_jsonread_leave(r);
    }
    if (dms_jsonread_status(r) == DMS_OK) {
        const dms_scenario *s = m->scenarios;
        double opt = s[0].frequency * s[0].severity, base = s[1].frequency * s[1].severity,
               pess = s[2].frequency * s[2].severity;
        if (opt > base)
            dms_jsonread_fail(r, DMS_EINVAL, "optimistic",
                              "the optimistic scenario must not cost more than the base one");
        else if (pess < base)
            dms_jsonread_fail(r, DMS_EINVAL, "pessimistic",
                              "the pessimistic scenario must not cost less than the base one");
    }
    return dms_jsonread_leave(r);
}

/* Reads {"male": [...], "female": [...]} of one relativity per band. */
static int read_relativities(dms_jsonread *r, const char *key, size_t nbands,
                             double rel[DMS_MODEL_SEXES][DMS_MODEL_MAX_BANDS])
{
    if (dms_jsonread_enter(r, key, DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    for (int s = 0; s < DMS_MODEL_SEXES; s++) {
        if (dms_jsonread_enter(r, sex_keys[s], DMS_JSON_ARRAY) != DMS_OK)
            break;
        if (dms_jsonread_length(r, nbands, nbands, NULL) == DMS_OK)
            for (size_t b = 0; b < nbands; b++)
                dms_jsonread_number_at(r, b, REL_MIN, REL_MAX, &rel[s][b]);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

static void fill_ones(double rel[DMS_MODEL_SEXES][DMS_MODEL_MAX_BANDS])
{
    for (int s = 0; s < DMS_MODEL_SEXES; s++)
        for (int b = 0; b < DMS_MODEL_MAX_BANDS; b++)
            rel[s][b] = 1.0;
}

static int read_frequency(dms_jsonread *r, dms_frequency *f)
{
    int family = 0;
    if (dms_jsonread_enter(r, "frequency", DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_enum(r, "family", freq_families, &family);
    f->kind = family == 1 ? DMS_FREQ_NEGBIN : DMS_FREQ_POISSON;
    dms_jsonread_number(r, "mean", 0, 1000, &f->mean);
    f->size = 0;
    if (f->kind == DMS_FREQ_NEGBIN)
        dms_jsonread_number(r, "size", POS_MIN, 1e6, &f->size);
    return dms_jsonread_leave(r);
}

static int read_severity(dms_jsonread *r, dms_severity *s)
{
    int family = 0;
    if (dms_jsonread_enter(r, "severity", DMS_JSON_OBJECT) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_enum(r, "family", sev_families, &family);
    memset(s, 0, sizeof *s);
    if (family == 1) {
        s->kind = DMS_SEV_GAMMA;
        dms_jsonread_number(r, "shape", POS_MIN, 1e4, &s->shape);
        dms_jsonread_number(r, "scale", POS_MIN, 1e9, &s->scale);
    } else {
        s->kind = DMS_SEV_LOGNORMAL;
        dms_jsonread_number(r, "meanlog", 0, 20, &s->meanlog);
        dms_jsonread_number(r, "sdlog", POS_MIN, 5, &s->sdlog);
    }
    return dms_jsonread_leave(r);
}

static int read_module(dms_jsonread *r, const dms_model *m, dms_model_module *mod)
{
    int type = 0;
    dms_jsonread_code(r, "code", mod->code, sizeof mod->code);
    for (size_t i = 0; dms_jsonread_status(r) == DMS_OK && &m->modules[i] != mod; i++)
        if (strcmp(m->modules[i].code, mod->code) == 0)
            dms_jsonread_fail(r, DMS_EINVAL, "code", "duplicate module code '%s'", mod->code);
    dms_jsonread_string_buf(r, "name_ru", mod->name_ru, sizeof mod->name_ru);
    dms_jsonread_string_buf(r, "name_en", mod->name_en, sizeof mod->name_en);
    dms_jsonread_enum(r, "type", module_types, &type);
    mod->type = type == 1 ? DMS_MODULE_FLAT : DMS_MODULE_CLAIMS;
    fill_ones(mod->frequency_rel);
    fill_ones(mod->severity_rel);
    if (dms_jsonread_status(r) != DMS_OK)
        return dms_jsonread_status(r);

    if (mod->type == DMS_MODULE_CLAIMS) {
        read_frequency(r, &mod->frequency);
        read_severity(r, &mod->severity);
        if (dms_jsonread_enter(r, "trend", DMS_JSON_OBJECT) == DMS_OK) {
            dms_jsonread_number(r, "frequency", TREND_MIN, TREND_MAX, &mod->trend_frequency);
            dms_jsonread_number(r, "severity", TREND_MIN, TREND_MAX, &mod->trend_severity);
            dms_jsonread_leave(r);
        }
        if (dms_jsonread_enter(r, "relativities", DMS_JSON_OBJECT) == DMS_OK) {
            read_relativities(r, "frequency", m->nbands, mod->frequency_rel);
            read_relativities(r, "severity", m->nbands, mod->severity_rel);
            dms_jsonread_leave(r);
        }
    } else {
        dms_jsonread_number(r, "annual_cost", 0, 1e7, &mod->flat_cost);
        mod->trend_frequency = 0;
        if (dms_jsonread_enter(r, "trend", DMS_JSON_OBJECT) == DMS_OK) {
            dms_jsonread_number(r, "cost", TREND_MIN, TREND_MAX, &mod->trend_severity);
            dms_jsonread_leave(r);
        }
        if (dms_jsonread_has(r, "relativities") &&
            dms_jsonread_enter(r, "relativities", DMS_JSON_OBJECT) == DMS_OK) {
            read_relativities(r, "cost", m->nbands, mod->severity_rel);
            dms_jsonread_leave(r);
        }
    }
    return dms_jsonread_status(r);
}

static int read_modules(dms_jsonread *r, dms_model *m)
{
    size_t n = 0;
    if (dms_jsonread_enter(r, "modules", DMS_JSON_ARRAY) != DMS_OK ||
        dms_jsonread_length(r, 1, DMS_MODEL_MAX_MODULES, &n) != DMS_OK)
        return dms_jsonread_status(r);
    m->modules = calloc(n, sizeof *m->modules);
    if (m->modules == NULL)
        return dms_jsonread_fail(r, DMS_ENOMEM, NULL, "out of memory");
    m->nmodules = n;
    for (size_t i = 0; i < n; i++) {
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        read_module(r, m, &m->modules[i]);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

int dms_model_load_json(const json_t *root, dms_model **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, err);
    if (dms_jsonread_expect(&r, DMS_JSON_OBJECT) != DMS_OK)
        goto out_model;
    dms_jsonread_string_buf(&r, "name", m->name, sizeof m->name);
    dms_jsonread_string_buf(&r, "version", m->version, sizeof m->version);
    const char *text = NULL;
    dms_jsonread_string_opt(&r, "description", 4000, &text);
    if (dms_jsonread_string(&r, "currency", 3, &text) == DMS_OK && strcmp(text, "RUB") != 0)
        dms_jsonread_fail(&r, DMS_EINVAL, "currency", "only RUB is supported, got '%s'", text);
    memcpy(m->currency, "RUB", 4);
    if (dms_jsonread_enter(&r, "data_period", DMS_JSON_OBJECT) == DMS_OK) {
        read_date(&r, "from", &m->period_from);
        read_date(&r, "to", &m->period_to);
        if (dms_jsonread_status(&r) == DMS_OK && m->period_to < m->period_from)
            dms_jsonread_fail(&r, DMS_EINVAL, "to", "the data period ends before it starts");
        dms_jsonread_leave(&r);
    }
    read_age_bands(&r, m);
    read_scenarios(&r, m);
    if (dms_jsonread_status(&r) == DMS_OK)
        read_modules(&r, m);
    if (dms_jsonread_finish(&r) != DMS_OK)
        goto out_model;
    *out = m;
    return DMS_OK;
out_model:
    dms_model_free(m);
    return dms_jsonread_status(&r);
}

int dms_model_load_file(const char *path, dms_model **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status != DMS_OK)
        return status;
    status = dms_model_load_json(root, out, err);
    if (status != DMS_OK && err != NULL && err->line == 0)
        snprintf(err->source, sizeof err->source, "%s", path);
    json_decref(root);
    return status;
}

void dms_model_free(dms_model *model)
{
    if (model == NULL)
        return;
    free(model->modules);
    free(model);
}

/* ---- lookups and rating ---------------------------------------------------- */

const dms_model_module *dms_model_find(const dms_model *model, const char *code)
{
    if (model == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < model->nmodules; i++)
        if (strcmp(model->modules[i].code, code) == 0)
            return &model->modules[i];
    return NULL;
}

int dms_model_age_band(const dms_model *model, int age, size_t *band, dms_error *err)
{
    dms_error_clear(err);
    if (age < 0 || age > AGE_MAX)
        return dms_error_set(err, DMS_EINVAL, NULL, "age %d is outside [0, %d]", age, AGE_MAX);
    size_t b = 0;
    while (b + 1 < model->nbands && age >= model->band_min_age[b + 1])
        b++;
    *band = b;
    return DMS_OK;
}

const char *dms_model_band_label(const dms_model *model, size_t band, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (band >= model->nbands)
        snprintf(buf, size, "?");
    else if (band + 1 == model->nbands)
        snprintf(buf, size, "%d+", model->band_min_age[band]);
    else
        snprintf(buf, size, "%d-%d", model->band_min_age[band], model->band_min_age[band + 1] - 1);
    return buf;
}

int dms_model_trend_years(const dms_model *model, const char *from, const char *to, double *years,
                          dms_error *err)
{
    dms_error_clear(err);
    long a, b;
    if (!dms_date_parse(from, &a))
        return dms_error_set(err, DMS_EINVAL, NULL, "'%s' is not a date YYYY-MM-DD",
                             from != NULL ? from : "(null)");
    if (!dms_date_parse(to, &b))
        return dms_error_set(err, DMS_EINVAL, NULL, "'%s' is not a date YYYY-MM-DD",
                             to != NULL ? to : "(null)");
    if (b < a)
        return dms_error_set(err, DMS_EINVAL, NULL, "the period ends (%s) before it starts (%s)",
                             to, from);
    /* midpoints of inclusive day ranges; half days cancel in the difference */
    double data_mid = 0.5 * (double)(model->period_from + model->period_to);
    double rating_mid = 0.5 * (double)(a + b);
    *years = (rating_mid - data_mid) / 365.25;
    return DMS_OK;
}

dms_model_adjust dms_model_adjust_neutral(void)
{
    dms_model_adjust adj = {1.0, 1.0, 1.0, 0.0, {1.0, 1.0}};
    return adj;
}

static bool positive_factor(double x)
{
    return isfinite(x) && x > 0 && x <= 1e3;
}

int dms_model_rate(const dms_model *model, const dms_model_module *mod, size_t band, int sex,
                   const dms_model_adjust *adj, dms_model_rated *out, dms_error *err)
{
    dms_error_clear(err);
    if (band >= model->nbands)
        return dms_error_set(err, DMS_EINVAL, NULL, "age band %zu does not exist", band);
    if (sex < 0 || sex >= DMS_MODEL_SEXES)
        return dms_error_set(err, DMS_EINVAL, NULL, "sex must be 0 (male) or 1 (female)");
    if (!positive_factor(adj->network_frequency) || !positive_factor(adj->network_cost) ||
        !positive_factor(adj->region) || !positive_factor(adj->scenario.frequency) ||
        !positive_factor(adj->scenario.severity))
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "rating factors must be positive finite numbers up to 1000");
    if (!isfinite(adj->trend_years) || fabs(adj->trend_years) > 50)
        return dms_error_set(err, DMS_EINVAL, NULL, "trend of %g years is outside [-50, 50]",
                             adj->trend_years);
    memset(out, 0, sizeof *out);
    double trend_f = pow(1 + mod->trend_frequency, adj->trend_years);
    double trend_s = pow(1 + mod->trend_severity, adj->trend_years);
    double base_s = mod->severity_rel[sex][band] * adj->network_cost * adj->region * trend_s;
    if (mod->type == DMS_MODULE_FLAT) {
        out->frequency_factor = 1.0;
        out->severity_factor = base_s;
        out->flat_cost = mod->flat_cost * base_s;
        if (!isfinite(out->flat_cost))
            return dms_error_set(err, DMS_EINVAL, NULL, "flat cost of '%s' overflows", mod->code);
        return DMS_OK;
    }
    out->frequency_factor =
        mod->frequency_rel[sex][band] * adj->network_frequency * trend_f * adj->scenario.frequency;
    out->severity_factor = base_s * adj->scenario.severity;
    out->frequency = mod->frequency;
    out->frequency.mean *= out->frequency_factor;
    out->severity = mod->severity;
    if (out->severity.kind == DMS_SEV_GAMMA)
        out->severity.scale *= out->severity_factor;
    else
        out->severity.meanlog += log(out->severity_factor);
    int status = dms_frequency_validate(&out->frequency, err);
    if (status == DMS_OK)
        status = dms_severity_validate(&out->severity, err);
    return status;
}

double dms_model_rated_pure(const dms_model_module *mod, const dms_model_rated *rated)
{
    if (mod->type == DMS_MODULE_FLAT)
        return rated->flat_cost;
    return rated->frequency.mean * dms_severity_moment(&rated->severity, 1);
}
