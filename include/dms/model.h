/*
 * Actuarial assumption sets (the JSON files in models/): per benefit module the base
 * claim frequency and severity of one insured person in the data period's
 * prices, age band x sex relativities, annual trend and the default
 * optimistic / base / pessimistic scenario shocks; flat-priced modules carry
 * an annual cost per person instead. The loader validates every field and
 * reports the JSON Pointer of a bad one; the result is immutable and safe to
 * share between threads. dms_model_rate turns one module into the frequency
 * and severity of one rating cell (band x sex x network x region x period x
 * scenario), which is what the quote prices.
 */
#ifndef DMS_MODEL_H
#define DMS_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dms/dist.h"
#include "dms/error.h"

#define DMS_MODEL_MAX_BANDS 16
#define DMS_MODEL_MAX_MODULES 64
#define DMS_MODEL_CODE_MAX 32  /* buffer size: codes are [a-z0-9_], <= 31 bytes */
#define DMS_MODEL_NAME_MAX 160 /* buffer size for names (UTF-8) */
#define DMS_MODEL_SEXES 2      /* index 0 male, 1 female (enum dms_sex of census.h) */

/* How a module is priced. */
enum dms_module_type {
    DMS_MODULE_CLAIMS, /* "claims": frequency x severity */
    DMS_MODULE_FLAT,   /* "flat": a fixed annual cost per person */
};

/* Default scenario shocks, in this order in the model's "scenarios". */
enum dms_scenario_kind {
    DMS_SCENARIO_OPTIMISTIC,
    DMS_SCENARIO_BASE,
    DMS_SCENARIO_PESSIMISTIC,
    DMS_SCENARIO_COUNT
};

/* Multipliers applied to frequency and to severity by a scenario. */
typedef struct dms_scenario {
    double frequency;
    double severity;
} dms_scenario;

typedef struct dms_model_module {
    char code[DMS_MODEL_CODE_MAX];
    char name_ru[DMS_MODEL_NAME_MAX];
    char name_en[DMS_MODEL_NAME_MAX];
    enum dms_module_type type;
    /* claims modules: base law of one person in the data period's prices */
    dms_frequency frequency;
    dms_severity severity;
    /* flat modules: annual cost per person in the data period's prices */
    double flat_cost;
    /* annual trend rates (0.11 = +11% a year); a flat module's cost trend is
     * trend_severity and its trend_frequency is 0 */
    double trend_frequency;
    double trend_severity;
    /* relativities [sex][band]; a flat module's cost relativities are in
     * severity_rel and its frequency_rel are all 1 */
    double frequency_rel[DMS_MODEL_SEXES][DMS_MODEL_MAX_BANDS];
    double severity_rel[DMS_MODEL_SEXES][DMS_MODEL_MAX_BANDS];
} dms_model_module;

typedef struct dms_model {
    char name[DMS_MODEL_NAME_MAX];
    char version[DMS_MODEL_CODE_MAX];
    char currency[4]; /* "RUB" */
    /* data period, inclusive, as day numbers (days since 1970-01-01) */
    long period_from;
    long period_to;
    size_t nbands;
    int band_min_age[DMS_MODEL_MAX_BANDS]; /* lower bounds; [0] = 0, increasing; last open */
    dms_scenario scenarios[DMS_SCENARIO_COUNT];
    size_t nmodules;
    dms_model_module *modules;
} dms_model;

/*
 * Loads and validates a model file. On success *out is a new model the
 * caller frees with dms_model_free; on failure *out is NULL and err says
 * where (file:line:column for bad JSON, JSON Pointer for bad values).
 */
int dms_model_load_file(const char *path, dms_model **out, dms_error *err);

/* The same from a parsed document (borrowed). */
int dms_model_load_json(const json_t *root, dms_model **out, dms_error *err);

/* Frees a model; NULL is a no-op. */
void dms_model_free(dms_model *model);

/* The module with this code, or NULL. */
const dms_model_module *dms_model_find(const dms_model *model, const char *code);

/*
 * Index of the age band holding age (whole years, >= 0). DMS_EINVAL for a
 * negative or absurd (> 150) age.
 */
int dms_model_age_band(const dms_model *model, int age, size_t *band, dms_error *err);

/* "0-4", "65+": the label of a band, written into buf. Returns buf. */
const char *dms_model_band_label(const dms_model *model, size_t band, char *buf, size_t size);

/*
 * Years from the midpoint of the model's data period to the midpoint of the
 * rating period [from, to] (ISO dates "YYYY-MM-DD", inclusive): the exponent
 * of the trend. DMS_EINVAL for a malformed date or to < from.
 */
int dms_model_trend_years(const dms_model *model, const char *from, const char *to, double *years,
                          dms_error *err);

/* Parses an ISO date "YYYY-MM-DD" into days since 1970-01-01. */
bool dms_date_parse(const char *text, long *days);

/*
 * Everything that moves a module's base law to one rating cell. All factors
 * are positive multipliers (1 = neutral).
 */
typedef struct dms_model_adjust {
    double network_frequency; /* network tier frequency factor */
    double network_cost;      /* network tier cost factor */
    double region;            /* region cost factor */
    double trend_years;       /* from dms_model_trend_years; may be negative */
    dms_scenario scenario;    /* e.g. model->scenarios[DMS_SCENARIO_PESSIMISTIC] */
} dms_model_adjust;

/* A neutral adjustment: every factor 1, no trend, base scenario 1 x 1. */
dms_model_adjust dms_model_adjust_neutral(void);

/* The law of one rating cell and the factors that produced it. */
typedef struct dms_model_rated {
    dms_frequency frequency; /* claims modules */
    dms_severity severity;   /* claims modules */
    double flat_cost;        /* flat modules: annual cost per person */
    double frequency_factor; /* product applied to the base frequency mean */
    double severity_factor;  /* product applied to the base severity (or flat cost) */
} dms_model_rated;

/*
 * Rates module mod of model for age band `band` and sex (0 male, 1 female):
 *   frequency mean x= rel_f[sex][band] x network_frequency
 *                     x (1 + trend_frequency)^trend_years x scenario.frequency
 *   severity      x= rel_s[sex][band] x network_cost x region
 *                     x (1 + trend_severity)^trend_years x scenario.severity
 * The severity is scaled (lognormal meanlog += ln f, gamma scale x= f), so
 * every moment and quantile scales; a negative binomial keeps its size r.
 * A flat module's cost takes the severity factor without the scenario (a
 * fixed fee is not a claim). DMS_EINVAL for a bad band, sex or factor, or
 * if the result leaves the distributions' domain.
 */
int dms_model_rate(const dms_model *model, const dms_model_module *mod, size_t band, int sex,
                   const dms_model_adjust *adj, dms_model_rated *out, dms_error *err);

/* Expected annual cost of one person of a rated cell without any policy
 * terms: E[N] E[X] for claims modules, the flat cost otherwise. */
double dms_model_rated_pure(const dms_model_module *mod, const dms_model_rated *rated);

/* The names used in the files: "claims"/"flat", "optimistic"/"base"/"pessimistic". */
const char *dms_module_type_name(enum dms_module_type type);
const char *dms_scenario_name(enum dms_scenario_kind kind);

#endif
