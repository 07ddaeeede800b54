/*
 * Decoder of the POST /v1/aggregate body into a dms_aggregate_spec. It only
 * reads and type-checks JSON (through the pointer-tracking reader, so every
 * fault carries its JSON Pointer and unknown keys are refused); the domain
 * rules stay in the core's dms_aggregate_spec_validate, whose pointers use
 * the same names. On top it enforces the service's cost limits so that one
 * request cannot occupy a worker for minutes.
 */
#include "dms/api.h"

#include <math.h>

#include "dms/jsonread.h"

static const char *const frequency_families[] = {"poisson", "negbin", NULL};
static const char *const severity_families[] = {"lognormal", "gamma", NULL};
static const char *const method_names[] = {"auto", "panjer", "fft", "mc", NULL};
static const char *const discretization_names[] = {"rounding", "moment", NULL};

/* Largest finite amount accepted anywhere: a trillion roubles. */
#define MAX_AMOUNT 1e12

static void read_frequency(dms_jsonread *r, dms_frequency *freq)
{
    if (dms_jsonread_enter(r, "frequency", DMS_JSON_OBJECT) != DMS_OK)
        return;
    int family = 0;
    dms_jsonread_enum(r, "family", frequency_families, &family);
    freq->kind = family == 1 ? DMS_FREQ_NEGBIN : DMS_FREQ_POISSON;
    dms_jsonread_number(r, "mean", 0, 1e4, &freq->mean);
    if (freq->kind == DMS_FREQ_NEGBIN)
        dms_jsonread_number(r, "size", 0, 1e9, &freq->size);
    dms_jsonread_leave(r);
}

static void read_severity(dms_jsonread *r, dms_severity *sev)
{
    if (dms_jsonread_enter(r, "severity", DMS_JSON_OBJECT) != DMS_OK)
        return;
    int family = 0;
    dms_jsonread_enum(r, "family", severity_families, &family);
    if (family == 0) {
        sev->kind = DMS_SEV_LOGNORMAL;
        dms_jsonread_number(r, "meanlog", -50, 50, &sev->meanlog);
        dms_jsonread_number(r, "sdlog", 0, 10, &sev->sdlog);
    } else {
        sev->kind = DMS_SEV_GAMMA;
        dms_jsonread_number(r, "shape", 0, 1e6, &sev->shape);
        dms_jsonread_number(r, "scale", 0, MAX_AMOUNT, &sev->scale);
    }
    dms_jsonread_leave(r);
}

/* An optional number where null (or absence) means *out = none. */
static void read_nullable(dms_jsonread *r, const char *key, double min, double max, double none,
                          double *out)
{
    const json_t *value = json_object_get(dms_jsonread_current(r), key);
    if (value == NULL)
        return;
    if (json_is_null(value)) {
        dms_jsonread_has(r, key); /* marks it read */
        *out = none;
        return;
    }
    dms_jsonread_number(r, key, min, max, out);
}

/* Refuses problems that would take a worker too long. */
static int check_cost(const dms_aggregate_spec *spec, const dms_api_limits *limits, dms_error *err)
{
    if (spec->method == DMS_METHOD_MC) {
        size_t sims = spec->sims != 0 ? spec->sims : DMS_MC_DEFAULT_SIMS;
        if (sims > limits->max_sims)
            return dms_error_set(err, DMS_EINVAL, "/sims",
                                 "sims must be at most %zu on this service, got %zu",
                                 limits->max_sims, sims);
        /* Each simulation draws the count and then every claim. */
        double draws = (double)sims * (1.0 + spec->freq.mean);
        if (limits->max_draws > 0 && draws > limits->max_draws)
            return dms_error_set(err, DMS_EINVAL, "/sims",
                                 "work limit max_draws: sims x (1 + mean claims) = %.3g random "
                                 "draws, more than the %.3g this service computes per request; "
                                 "lower sims or use the panjer or fft method",
                                 draws, limits->max_draws);
        return DMS_OK;
    }
    double span;
    size_t points;
    int status = dms_aggregate_grid(spec, &span, &points, err);
    if (status != DMS_OK)
        return status;
    size_t max = spec->method == DMS_METHOD_PANJER ? limits->max_points / 8 : limits->max_points;
    if (points > max)
        return dms_error_set(err, DMS_EINVAL, spec->span > 0 ? "/span" : "/annual_limit",
                             "the grid would need %zu points, more than the %zu this service "
                             "computes%s; choose a larger span or the fft or mc method",
                             points, max, spec->method == DMS_METHOD_PANJER ? " by Panjer" : "");
    /* Panjer costs up to points x points multiply-adds (auto never picks it
     * when FFT is cheaper). */
    double ops = (double)points * (double)points;
    if (spec->method == DMS_METHOD_PANJER && limits->max_grid_ops > 0 && ops > limits->max_grid_ops)
        return dms_error_set(err, DMS_EINVAL, spec->span > 0 ? "/span" : "/method",
                             "work limit max_grid_ops: Panjer on %zu grid points takes up to "
                             "%.3g operations, more than the %.3g this service computes per "
                             "request; choose a larger span or the fft or auto method",
                             points, ops, limits->max_grid_ops);
    return DMS_OK;
}

int dms_api_decode_aggregate(const char *body, size_t len, const dms_api_limits *limits,
                             dms_aggregate_spec *spec, dms_error *err)
{
    dms_error_clear(err);
    dms_api_limits defaults = {DMS_API_DEFAULT_MAX_SIMS, DMS_API_DEFAULT_MAX_POINTS,
                               DMS_API_DEFAULT_MAX_DRAWS, DMS_API_DEFAULT_MAX_GRID_OPS,
                               DMS_API_DEFAULT_MAX_QUOTE_CELLS};
    if (limits == NULL)
        limits = &defaults;
    json_t *root = NULL;
    int status = dms_json_parse_text(body, len, &root, err);
    if (status != DMS_OK)
        return status;
    *spec = dms_aggregate_spec_default();
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    read_frequency(&r, &spec->freq);
    read_severity(&r, &spec->sev);
    dms_jsonread_number_opt(&r, "deductible", 0, MAX_AMOUNT, &spec->cov.deductible);
    dms_jsonread_bool_opt(&r, "franchise", &spec->cov.franchise);
    dms_jsonread_number_opt(&r, "copay", 0, 1, &spec->cov.copay);
    read_nullable(&r, "claim_limit", 0, MAX_AMOUNT, INFINITY, &spec->cov.claim_limit);
    read_nullable(&r, "annual_limit", 0, MAX_AMOUNT, INFINITY, &spec->annual_limit);
    int method = DMS_METHOD_AUTO;
    dms_jsonread_enum_opt(&r, "method", method_names, &method);
    spec->method = (enum dms_method)method;
    int disc = DMS_DISC_ROUNDING;
    dms_jsonread_enum_opt(&r, "discretization", discretization_names, &disc);
    spec->discretization = (enum dms_discretization)disc;
    read_nullable(&r, "span", 0, MAX_AMOUNT, 0.0, &spec->span);
    if (dms_jsonread_status(&r) == DMS_OK && json_object_get(root, "span") != NULL &&
        !json_is_null(json_object_get(root, "span")) && !(spec->span > 0))
        dms_jsonread_fail(&r, DMS_EINVAL, "span", "span must be positive or null");
    long long sims = 0, seed = 1;
    dms_jsonread_integer_opt(&r, "sims", 1, DMS_MC_MAX_SIMS, &sims);
    dms_jsonread_integer_opt(&r, "seed", 0, 9007199254740991LL, &seed);
    spec->sims = (size_t)sims;
    spec->seed = (unsigned long)seed;
    status = dms_jsonread_finish(&r);
    json_decref(root);
    if (status == DMS_OK)
        status = dms_aggregate_spec_validate(spec, err);
    if (status == DMS_OK)
        status = check_cost(spec, limits, err);
    return status;
}
