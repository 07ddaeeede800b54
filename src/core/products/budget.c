/*
 * HR budget modelling: the design space, the budgets request with HR's
 * value model (mandatory modules, priorities from segment profiles, an
 * aggregated survey and HR), the per-cell price table, the exact
 * multiple-choice knapsack solver (branch and bound with grid bounds and a
 * rounding margin), the exhaustive reference solver, the explanation of a
 * chosen design (next-best package, what 1,000 roubles more per head buys),
 * the sensitivity of a plan to claims shocks through the group quote, and
 * comparisons of plans.
 * Every design the solver returns is re-priced by dms_quote_compute and must
 * agree with the table to the kopeck.
 */
#include "dms/date.h"
#include "dms/budget.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dms/cancel.h"
#include "dms/jsonread.h"
#include "dms/quote.h"

#include "budget_internal.h"

/* Most points one Pareto set may hold before the solver gives up. */
#define MAX_FRONTIER ((size_t)4 << 20)

const dms_budget_shock dms_budget_shocks[DMS_BUDGET_NSHOCKS] = {
    {"base", 1.0, 1.0},          {"frequency+10%", 1.1, 1.0}, {"frequency+20%", 1.2, 1.0},
    {"frequency+30%", 1.3, 1.0}, {"severity+10%", 1.0, 1.1},  {"severity+20%", 1.0, 1.2},
    {"severity+30%", 1.0, 1.3},  {"both+10%", 1.1, 1.1},      {"both+20%", 1.2, 1.2},
    {"both+30%", 1.3, 1.3},
};

/* The run's gate over its caller's cancel hook (cancel.h). */
static void gate_init(dms_cancel_gate *gate, const dms_budget_run_options *options)
{
    dms_cancel_gate_init(gate, options != NULL ? options->cancelled : NULL,
                         options != NULL ? options->cancel_ctx : NULL);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- space */

static int module_space_fill(const dms_tariff *tariff, const dms_tariff_module *tm, bool required,
                             const double *deductibles, size_t nded, const double *copays,
                             size_t ncop, const double *limits, size_t nlim,
                             dms_budget_module_space *out, dms_error *err)
{
    memset(out, 0, sizeof *out);
    out->module = tm;
    if (!required)
        out->options[out->noptions++] = (dms_budget_option){false, 0, 0, INFINITY};
    if (tm->type == DMS_MODULE_FLAT) {
        out->options[out->noptions++] = (dms_budget_option){true, 0, 0, tm->annual_limit};
        return DMS_OK;
    }
    if (deductibles == NULL) {
        deductibles = tariff->deductibles;
        nded = tariff->ndeductibles;
    }
    if (copays == NULL) {
        copays = tariff->copays;
        ncop = tariff->ncopays;
    }
    double default_limit = tm->annual_limit;
    if (limits == NULL) {
        limits = &default_limit;
        nlim = 1;
    }
    for (size_t l = 0; l < nlim; l++)
        for (size_t d = 0; d < nded; d++)
            for (size_t c = 0; c < ncop; c++) {
                if (out->noptions >= DMS_BUDGET_MAX_OPTIONS)
                    return dms_error_set(err, DMS_ETOOBIG, NULL,
                                         "module '%s' has more than %d options", tm->code,
                                         DMS_BUDGET_MAX_OPTIONS);
                out->options[out->noptions++] =
                    (dms_budget_option){true, deductibles[d], copays[c], limits[l]};
            }
    return DMS_OK;
}

int dms_budget_space_default(const dms_tariff *tariff, dms_budget_space *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    for (size_t n = 0; n < tariff->nnetworks; n++)
        out->networks[out->nnetworks++] = &tariff->networks[n];
    if (tariff->nmodules > DMS_PLAN_MAX_MODULES)
        return dms_error_set(err, DMS_ETOOBIG, NULL, "the tariff has more than %d modules",
                             DMS_PLAN_MAX_MODULES);
    for (size_t m = 0; m < tariff->nmodules; m++) {
        int status = module_space_fill(tariff, &tariff->modules[m], false, NULL, 0, NULL, 0, NULL,
                                       0, &out->modules[out->nmodules], err);
        if (status != DMS_OK)
            return status;
        out->nmodules++;
    }
    return DMS_OK;
}

double dms_budget_space_size(const dms_budget_space *space)
{
    double size = (double)space->nnetworks;
    for (size_t m = 0; m < space->nmodules; m++)
        size *= (double)space->modules[m].noptions;
    return size;
}

/* -------------------------------------------------------------- request */

/* Reads an optional array of numbers at key into values (at most max). */
static int read_number_list(dms_jsonread *r, const char *key, double min, double max,
                            bool allow_null, double *values, size_t maxn, size_t *n, bool *given)
{
    *given = false;
    if (!dms_jsonread_has(r, key))
        return dms_jsonread_status(r);
    if (dms_jsonread_enter(r, key, DMS_JSON_ARRAY) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_length(r, 1, maxn, n);
    for (size_t i = 0; dms_jsonread_status(r) == DMS_OK && i < *n; i++) {
        const json_t *v = json_array_get(dms_jsonread_current(r), i);
        if (allow_null && json_is_null(v))
            values[i] = INFINITY;
        else
            dms_jsonread_number_at(r, i, min, max, &values[i]);
    }
    dms_jsonread_leave(r);
    *given = dms_jsonread_status(r) == DMS_OK;
    return dms_jsonread_status(r);
}

static int read_space_module(dms_jsonread *r, const dms_tariff *tariff,
                             dms_budget_module_space *out)
{
    const char *code = NULL;
    bool required = false;
    double ded[DMS_TARIFF_MAX_ITEMS], cop[DMS_TARIFF_MAX_ITEMS], lim[8];
    size_t nded = 0, ncop = 0, nlim = 0;
    bool has_ded, has_cop, has_lim;
    dms_jsonread_string(r, "module", DMS_MODEL_CODE_MAX - 1, &code);
    dms_jsonread_bool_opt(r, "required", &required);
    read_number_list(r, "deductibles", 0, 1e9, false, ded, DMS_TARIFF_MAX_ITEMS, &nded, &has_ded);
    read_number_list(r, "copays", 0, 0.95, false, cop, DMS_TARIFF_MAX_ITEMS, &ncop, &has_cop);
    read_number_list(r, "annual_limits", 1, 1e10, true, lim, 8, &nlim, &has_lim);
    if (dms_jsonread_status(r) != DMS_OK)
        return dms_jsonread_status(r);
    const dms_tariff_module *tm = dms_tariff_find_module(tariff, code);
    if (tm == NULL)
        return dms_jsonread_fail(r, DMS_EINVAL, "module", "module '%s' is not in the tariff '%s'",
                                 code, tariff->version);
    if (tm->type == DMS_MODULE_FLAT && (has_ded || has_cop || has_lim))
        return dms_jsonread_fail(r, DMS_EINVAL,
                                 has_ded   ? "deductibles"
                                 : has_cop ? "copays"
                                           : "annual_limits",
                                 "'%s' is a flat-priced module: it has no policy terms", code);
    for (size_t i = 0; i < nded; i++)
        if (!dms_tariff_deductible_allowed(tariff, ded[i]))
            return dms_jsonread_fail(r, DMS_EINVAL, "deductibles",
                                     "deductible %g (item %zu) is not one the tariff allows",
                                     ded[i], i);
    for (size_t i = 0; i < ncop; i++)
        if (!dms_tariff_copay_allowed(tariff, cop[i]))
            return dms_jsonread_fail(r, DMS_EINVAL, "copays",
                                     "co-pay %g (item %zu) is not one the tariff allows", cop[i],
                                     i);
    dms_error local;
    dms_error_clear(&local);
    if (module_space_fill(tariff, tm, required, has_ded ? ded : NULL, nded, has_cop ? cop : NULL,
                          ncop, has_lim ? lim : NULL, nlim, out, &local) != DMS_OK)
        return dms_jsonread_fail(r, local.code, NULL, "%s", local.message);
    return DMS_OK;
}

static int read_space(dms_jsonread *r, const dms_tariff *tariff, dms_budget_space *space)
{
    memset(space, 0, sizeof *space);
    size_t n = 0;
    if (dms_jsonread_has(r, "networks") &&
        dms_jsonread_enter(r, "networks", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 1, DMS_TARIFF_MAX_ITEMS, &n);
        for (size_t i = 0; i < n && dms_jsonread_status(r) == DMS_OK; i++) {
            const char *code = NULL;
            if (dms_jsonread_string_at(r, i, DMS_MODEL_CODE_MAX - 1, &code) != DMS_OK)
                break;
            const dms_network *net = dms_tariff_find_network(tariff, code);
            char key[32];
            snprintf(key, sizeof key, "%zu", i);
            if (net == NULL) {
                dms_jsonread_fail(r, DMS_EINVAL, key, "network '%s' is not in the tariff", code);
                break;
            }
            for (size_t j = 0; j < i; j++)
                if (space->networks[j] == net) {
                    dms_jsonread_fail(r, DMS_EINVAL, key, "network '%s' is listed twice", code);
                    break;
                }
            space->networks[space->nnetworks++] = net;
        }
        dms_jsonread_leave(r);
    } else {
        for (size_t i = 0; i < tariff->nnetworks; i++)
            space->networks[space->nnetworks++] = &tariff->networks[i];
    }
    if (dms_jsonread_has(r, "modules") &&
        dms_jsonread_enter(r, "modules", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 1, DMS_PLAN_MAX_MODULES, &n);
        for (size_t i = 0; i < n && dms_jsonread_status(r) == DMS_OK; i++) {
            if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
                break;
            if (read_space_module(r, tariff, &space->modules[i]) == DMS_OK) {
                for (size_t j = 0; j < i; j++)
                    if (space->modules[j].module == space->modules[i].module) {
                        dms_jsonread_fail(r, DMS_EINVAL, "module", "module '%s' is listed twice",
                                          space->modules[i].module->code);
                        break;
                    }
            }
            space->nmodules = i + 1;
            dms_jsonread_leave(r);
        }
        dms_jsonread_leave(r);
    } else if (dms_jsonread_status(r) == DMS_OK) {
        dms_budget_space full;
        dms_error local;
        dms_error_clear(&local);
        if (dms_budget_space_default(tariff, &full, &local) != DMS_OK)
            return dms_jsonread_fail(r, local.code, NULL, "%s", local.message);
        memcpy(space->modules, full.modules, sizeof full.modules);
        space->nmodules = full.nmodules;
    }
    return dms_jsonread_status(r);
}

/* ---------------------------------------------------------- value model */

static const char *const profile_names[DMS_BUDGET_NPROFILES] = {"young", "family", "over40",
                                                                "remote", "high_stress"};

const char *dms_budget_profile_name(unsigned bit)
{
    for (size_t i = 0; i < DMS_BUDGET_NPROFILES; i++)
        if (bit == 1u << i)
            return profile_names[i];
    return NULL;
}

const char *dms_budget_source_name(enum dms_budget_source source)
{
    switch (source) {
    case DMS_BUDGET_SOURCE_DEFAULT:
        return "default";
    case DMS_BUDGET_SOURCE_PROFILE:
        return "profile";
    case DMS_BUDGET_SOURCE_SURVEY:
        return "survey";
    case DMS_BUDGET_SOURCE_HR:
        return "hr";
    }
    return "default";
}

/*
 * Base priorities follow what a corporate programme is built around
 * (outpatient and emergency care first, hospital next); the profile raises
 * follow personalised-package practice: dental for families and young
 * staff, home visits for families with children, check-ups and planned
 * hospital care from 40, telemedicine for remote staff, mental health for
 * high-stress roles. Codes not listed get DEFAULT_PRIORITY.
 */
#define DEFAULT_PRIORITY 2.0

static const struct {
    const char *code;
    double base;
    unsigned raise_by; /* profiles that raise it */
    double raised;
} priority_rules[] = {
    {"outpatient", 5, 0, 5},
    {"emergency", 5, 0, 5},
    {"hospital_emergency", 4, 0, 4},
    {"hospital_planned", 3, DMS_BUDGET_PROFILE_OVER40, 4},
    {"home_visits", 2, DMS_BUDGET_PROFILE_FAMILY, 4},
    {"dental", 2, DMS_BUDGET_PROFILE_FAMILY | DMS_BUDGET_PROFILE_YOUNG, 4},
    {"telemedicine", 2, DMS_BUDGET_PROFILE_REMOTE, 5},
    {"checkup", 2, DMS_BUDGET_PROFILE_OVER40, 5},
    {"mental_health", 1, DMS_BUDGET_PROFILE_HIGH_STRESS, 5},
};

double dms_budget_default_priority(const char *module_code, unsigned profiles,
                                   enum dms_budget_source *source)
{
    if (source != NULL)
        *source = DMS_BUDGET_SOURCE_DEFAULT;
    for (size_t i = 0; i < sizeof priority_rules / sizeof priority_rules[0]; i++) {
        if (strcmp(priority_rules[i].code, module_code) != 0)
            continue;
        if ((priority_rules[i].raise_by & profiles) != 0) {
            if (source != NULL)
                *source = DMS_BUDGET_SOURCE_PROFILE;
            return priority_rules[i].raised;
        }
        return priority_rules[i].base;
    }
    return DEFAULT_PRIORITY;
}

void dms_budget_weights_resolve(const dms_budget_request *request, size_t segment,
                                const dms_budget_census_profile *profile, dms_budget_weights *out)
{
    memset(out, 0, sizeof *out);
    const dms_budget_space *space = &request->space;
    out->profiles = request->profiles_set[segment] ? request->profiles[segment]
                    : profile != NULL              ? profile->profiles
                                                   : 0;
    const dms_budget_survey_segment *sv = &request->survey[segment];
    out->survey_respondents = sv->given ? sv->respondents : 0;
    out->survey_used = sv->given && sv->respondents >= DMS_BUDGET_SURVEY_MIN;
    out->min_share = request->min_share;
    for (size_t m = 0; m < space->nmodules; m++) {
        out->weight[m] = dms_budget_default_priority(space->modules[m].module->code, out->profiles,
                                                     &out->source[m]);
        if (out->survey_used && sv->rated[m]) {
            out->weight[m] = sv->rating[m];
            out->source[m] = DMS_BUDGET_SOURCE_SURVEY;
        }
        double hr = !isnan(request->priority[segment][m]) ? request->priority[segment][m]
                                                          : request->priority_all[m];
        if (!isnan(hr)) {
            out->weight[m] = hr;
            out->source[m] = DMS_BUDGET_SOURCE_HR;
        }
    }
}

static int space_module_index(const dms_budget_space *space, const char *code)
{
    for (size_t m = 0; m < space->nmodules; m++)
        if (strcmp(space->modules[m].module->code, code) == 0)
            return (int)m;
    return -1;
}

static void join_path(char *buf, size_t size, const char *prefix, const char *a, const char *b)
{
    snprintf(buf, size, "%s", prefix != NULL ? prefix : "");
    if (a != NULL)
        dms_json_pointer_append(buf, size, a);
    if (b != NULL)
        dms_json_pointer_append(buf, size, b);
}

/* {module: 0..5} into out[] (per module of the space); path names the object. */
static int read_priorities(const json_t *obj, const char *path, const dms_budget_space *space,
                           double *out, dms_error *err)
{
    if (!json_is_object(obj))
        return dms_error_set(err, DMS_EINVAL, path,
                             "priorities must be an object {module code: 0..5}");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char p[DMS_ERROR_PATH_MAX];
        join_path(p, sizeof p, path, key, NULL);
        int m = space_module_index(space, key);
        if (m < 0)
            return dms_error_set(err, DMS_EINVAL, p,
                                 "module '%s' is not in the design space / модуля нет в "
                                 "пространстве вариантов",
                                 key);
        if (!json_is_number(v) || json_number_value(v) < 0 ||
            json_number_value(v) > DMS_BUDGET_MAX_PRIORITY)
            return dms_error_set(err, DMS_EINVAL, p,
                                 "a priority is a number from 0 to 5 / приоритет — число от 0 "
                                 "до 5");
        out[m] = json_number_value(v);
    }
    return DMS_OK;
}

static int read_profiles(const json_t *arr, const char *path, unsigned *out, dms_error *err)
{
    *out = 0;
    if (!json_is_array(arr))
        return dms_error_set(err, DMS_EINVAL, path,
                             "profiles must be a list of: young, family, over40, remote, "
                             "high_stress");
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        char p[DMS_ERROR_PATH_MAX], idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        join_path(p, sizeof p, path, idx, NULL);
        size_t k = 0;
        while (k < DMS_BUDGET_NPROFILES &&
               !(json_is_string(v) && strcmp(json_string_value(v), profile_names[k]) == 0))
            k++;
        if (k == DMS_BUDGET_NPROFILES)
            return dms_error_set(err, DMS_EINVAL, p,
                                 "unknown profile: use young, family, over40, remote or "
                                 "high_stress / неизвестный профиль");
        *out |= 1u << k;
    }
    return DMS_OK;
}

/* "survey": {"segments": [{"segment", "respondents", "ratings": {...}}]}. */
static int read_survey(const json_t *survey, const char *prefix, dms_budget_request *req,
                       dms_error *err)
{
    char path[DMS_ERROR_PATH_MAX];
    join_path(path, sizeof path, prefix, "survey", NULL);
    const json_t *segs = json_object_get(survey, "segments");
    if (!json_is_object(survey) || !json_is_array(segs))
        return dms_error_set(err, DMS_EINVAL, path,
                             "a survey is {\"segments\": [{\"segment\", \"respondents\", "
                             "\"ratings\"}]} of answers aggregated per segment");
    size_t i;
    const json_t *row;
    json_array_foreach(segs, i, row)
    {
        char p[DMS_ERROR_PATH_MAX], idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        join_path(p, sizeof p, path, "segments", idx);
        const json_t *code = json_object_get(row, "segment");
        const json_t *n = json_object_get(row, "respondents");
        const json_t *ratings = json_object_get(row, "ratings");
        size_t s = 0;
        while (json_is_string(code) && s < req->plan->nsegments &&
               strcmp(req->plan->segments[s].code, json_string_value(code)) != 0)
            s++;
        if (!json_is_string(code) || s == req->plan->nsegments) {
            char q[DMS_ERROR_PATH_MAX];
            join_path(q, sizeof q, p, "segment", NULL);
            return dms_error_set(err, DMS_EINVAL, q,
                                 "name a segment of this request / укажите сегмент запроса");
        }
        if (!json_is_integer(n) || json_integer_value(n) < 0) {
            char q[DMS_ERROR_PATH_MAX];
            join_path(q, sizeof q, p, "respondents", NULL);
            return dms_error_set(err, DMS_EINVAL, q,
                                 "respondents is the number of people who answered (>= 0)");
        }
        dms_budget_survey_segment *sv = &req->survey[s];
        if (sv->given)
            return dms_error_set(err, DMS_EINVAL, p, "segment '%s' is in the survey twice",
                                 req->plan->segments[s].code);
        double rating[DMS_PLAN_MAX_MODULES];
        for (size_t m = 0; m < DMS_PLAN_MAX_MODULES; m++)
            rating[m] = NAN;
        char q[DMS_ERROR_PATH_MAX];
        join_path(q, sizeof q, p, "ratings", NULL);
        int status = read_priorities(ratings, q, &req->space, rating, err);
        if (status != DMS_OK)
            return status;
        sv->given = true;
        sv->respondents = (size_t)json_integer_value(n);
        for (size_t m = 0; m < req->space.nmodules; m++) {
            sv->rated[m] = !isnan(rating[m]);
            sv->rating[m] = sv->rated[m] ? rating[m] : 0.0;
        }
    }
    return DMS_OK;
}

/* Mandatory modules: "required" in the space, added to it if missing. */
static int apply_mandatory(const json_t *root, const char *prefix, const dms_tariff *tariff,
                           dms_budget_request *req, dms_error *err)
{
    const char *codes[DMS_BUDGET_MAX_MANDATORY];
    size_t ncodes = 0;
    const json_t *list = json_object_get(root, "mandatory_modules");
    char path[DMS_ERROR_PATH_MAX];
    join_path(path, sizeof path, prefix, "mandatory_modules", NULL);
    if (list == NULL) {
        /* Outpatient care and emergency help: the core of every programme. */
        static const char *const defaults[] = {"outpatient", "emergency"};
        for (size_t i = 0; i < 2; i++)
            if (dms_tariff_find_module(tariff, defaults[i]) != NULL)
                codes[ncodes++] = defaults[i];
    } else {
        if (!json_is_array(list) || json_array_size(list) > DMS_BUDGET_MAX_MANDATORY)
            return dms_error_set(err, DMS_EINVAL, path,
                                 "mandatory_modules is a list of at most %d module codes",
                                 DMS_BUDGET_MAX_MANDATORY);
        size_t i;
        const json_t *v;
        json_array_foreach(list, i, v)
        {
            char p[DMS_ERROR_PATH_MAX], idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            join_path(p, sizeof p, path, idx, NULL);
            if (!json_is_string(v) || dms_tariff_find_module(tariff, json_string_value(v)) == NULL)
                return dms_error_set(err, DMS_EINVAL, p,
                                     "not a module of the tariff '%s' / нет такого модуля",
                                     tariff->version);
            codes[ncodes++] = json_string_value(v);
        }
    }
    dms_budget_space *space = &req->space;
    for (size_t i = 0; i < ncodes; i++) {
        const dms_tariff_module *tm = dms_tariff_find_module(tariff, codes[i]);
        int m = space_module_index(space, codes[i]);
        if (m < 0) {
            if (space->nmodules >= DMS_PLAN_MAX_MODULES)
                return dms_error_set(err, DMS_ETOOBIG, path, "too many modules");
            int status = module_space_fill(tariff, tm, true, NULL, 0, NULL, 0, NULL, 0,
                                           &space->modules[space->nmodules], err);
            if (status != DMS_OK)
                return status;
            space->nmodules++;
        } else {
            dms_budget_module_space *ms = &space->modules[m];
            if (ms->noptions > 1 && !ms->options[0].included) {
                memmove(&ms->options[0], &ms->options[1],
                        (ms->noptions - 1) * sizeof ms->options[0]);
                ms->noptions--;
            }
        }
        bool seen = false;
        for (size_t j = 0; j < req->nmandatory; j++)
            seen = seen || req->mandatory[j] == tm;
        if (!seen)
            req->mandatory[req->nmandatory++] = tm;
    }
    return DMS_OK;
}

/* Everything of the value model in the request, once the space is known. */
static int read_value_model(const json_t *root, const char *prefix, const dms_tariff *tariff,
                            dms_budget_request *req, dms_error *err)
{
    int status = apply_mandatory(root, prefix, tariff, req, err);
    if (status != DMS_OK)
        return status;
    for (size_t m = 0; m < DMS_PLAN_MAX_MODULES; m++) {
        req->priority_all[m] = NAN;
        for (size_t s = 0; s < DMS_PLAN_MAX_SEGMENTS; s++)
            req->priority[s][m] = NAN;
    }
    char path[DMS_ERROR_PATH_MAX];
    const json_t *pr = json_object_get(root, "priorities");
    if (pr != NULL) {
        join_path(path, sizeof path, prefix, "priorities", NULL);
        if ((status = read_priorities(pr, path, &req->space, req->priority_all, err)) != DMS_OK)
            return status;
    }
    const json_t *segments = json_object_get(root, "segments");
    for (size_t s = 0; s < req->plan->nsegments; s++) {
        const json_t *seg = json_array_get(segments, s);
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", s);
        if ((pr = json_object_get(seg, "priorities")) != NULL) {
            join_path(path, sizeof path, prefix, "segments", idx);
            dms_json_pointer_append(path, sizeof path, "priorities");
            if ((status = read_priorities(pr, path, &req->space, req->priority[s], err)) != DMS_OK)
                return status;
        }
        if ((pr = json_object_get(seg, "profiles")) != NULL) {
            join_path(path, sizeof path, prefix, "segments", idx);
            dms_json_pointer_append(path, sizeof path, "profiles");
            if ((status = read_profiles(pr, path, &req->profiles[s], err)) != DMS_OK)
                return status;
            req->profiles_set[s] = true;
        }
    }
    const json_t *survey = json_object_get(root, "survey");
    if (survey != NULL && (status = read_survey(survey, prefix, req, err)) != DMS_OK)
        return status;
    return DMS_OK;
}

int dms_budget_request_load_json(const json_t *root, const char *prefix, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    int status = DMS_OK;
    dms_budget_request *req = calloc(1, sizeof *req);
    json_t *copy = json_deep_copy(root);
    if (req == NULL || (copy == NULL && root != NULL)) {
        status = dms_error_set(err, DMS_ENOMEM, prefix, "no memory for a budgets request");
        goto out;
    }
    if (!json_is_object(root)) {
        status = dms_error_set(err, DMS_EINVAL, prefix != NULL ? prefix : "",
                               "a budgets request must be a JSON object");
        goto out;
    }
    /* The plan-like part goes through the plan loader: drop our keys and put
     * placeholders where a plan needs a network and modules. */
    json_object_del(copy, "design_space");
    json_object_del(copy, "tolerance");
    json_object_del(copy, "mandatory_modules");
    json_object_del(copy, "priorities");
    json_object_del(copy, "survey");
    json_object_del(copy, "min_cover_share");
    json_t *segments = json_object_get(copy, "segments");
    size_t i;
    json_t *seg;
    json_array_foreach(segments, i, seg)
    {
        if (!json_is_object(seg))
            continue;
        json_object_del(seg, "budget_per_head");
        json_object_del(seg, "target_value");
        json_object_del(seg, "priorities");
        json_object_del(seg, "profiles");
        if (json_object_get(seg, "network") != NULL || json_object_get(seg, "modules") != NULL) {
            char path[DMS_ERROR_PATH_MAX];
            snprintf(path, sizeof path, "%s/segments/%zu/%s", prefix != NULL ? prefix : "", i,
                     json_object_get(seg, "network") != NULL ? "network" : "modules");
            status = dms_error_set(err, DMS_EINVAL, path,
                                   "the solver chooses the network and modules: remove this key "
                                   "(or use 'design_space')");
            goto out;
        }
        json_t *modules = json_array();
        json_t *module = json_object();
        if (modules == NULL || module == NULL ||
            json_object_set_new(seg, "network",
                                json_string(tariff->networks[tariff->default_network].code)) ||
            json_object_set_new(module, "module", json_string(tariff->modules[0].code)) ||
            json_array_append_new(modules, module) ||
            json_object_set_new(seg, "modules", modules)) {
            status = dms_error_set(err, DMS_ENOMEM, prefix, "no memory for a budgets request");
            goto out;
        }
    }
    if ((status = dms_plan_load_json(copy, prefix, &req->plan, err)) != DMS_OK)
        goto out;

    dms_jsonread r;
    dms_jsonread_init(&r, root, prefix, err);
    dms_jsonread_allow_other_keys(&r);
    if (dms_jsonread_enter(&r, "segments", DMS_JSON_ARRAY) == DMS_OK) {
        for (size_t s = 0; s < req->plan->nsegments && dms_jsonread_status(&r) == DMS_OK; s++) {
            if (dms_jsonread_enter_index(&r, s, DMS_JSON_OBJECT) != DMS_OK)
                break;
            dms_jsonread_allow_other_keys(&r);
            dms_budget_target *t = &req->targets[s];
            t->budget_per_head = NAN;
            t->target_value = NAN;
            dms_jsonread_number_opt(&r, "budget_per_head", 1, 1e8, &t->budget_per_head);
            dms_jsonread_number_opt(&r, "target_value", 0, 100, &t->target_value);
            if (dms_jsonread_status(&r) == DMS_OK && isnan(t->budget_per_head) &&
                isnan(t->target_value))
                dms_jsonread_fail(&r, DMS_EINVAL, NULL,
                                  "give 'budget_per_head' (roubles a year) and/or "
                                  "'target_value' (value score 0..100)");
            dms_jsonread_leave(&r);
        }
        dms_jsonread_leave(&r);
    }
    req->tolerance = DMS_BUDGET_DEFAULT_TOLERANCE;
    dms_jsonread_number_opt(&r, "tolerance", 0, 1e6, &req->tolerance);
    req->min_share = DMS_BUDGET_DEFAULT_MIN_SHARE;
    dms_jsonread_number_opt(&r, "min_cover_share", 0, 1, &req->min_share);
    if (dms_jsonread_status(&r) == DMS_OK && dms_jsonread_has(&r, "design_space")) {
        if (dms_jsonread_enter(&r, "design_space", DMS_JSON_OBJECT) == DMS_OK) {
            read_space(&r, tariff, &req->space);
            dms_jsonread_leave(&r);
        }
    }
    if ((status = dms_jsonread_finish(&r)) == DMS_OK &&
        json_object_get(root, "design_space") == NULL)
        status = dms_budget_space_default(tariff, &req->space, err);
    if (status == DMS_OK)
        status = read_value_model(root, prefix, tariff, req, err);
    if (status == DMS_OK) {
        *out = req;
        req = NULL;
    }
out:
    json_decref(copy);
    dms_budget_request_free(req);
    return status;
}

int dms_budget_request_load_file(const char *path, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = NULL;
    *out = NULL;
    int status = dms_json_load_file(path, &root, err);
    if (status == DMS_OK)
        status = dms_budget_request_load_json(root, NULL, tariff, out, err);
    json_decref(root);
    return status;
}

void dms_budget_request_free(dms_budget_request *request)
{
    if (request == NULL)
        return;
    dms_plan_free(request->plan);
    free(request);
}

/* ---------------------------------------------------------------- table */

struct dms_budget_table {
    const dms_tariff *tariff;
    const dms_budget_space *space;
    size_t nsegments, ncells, maxopt;
    size_t people[DMS_PLAN_MAX_SEGMENTS];
    unsigned long *count; /* [segment][cell] */
    double *pure;         /* [network][module][option][cell], per person, before gross-up */
    double *claims;       /* same layout, expected claims per person */
    double *lin;          /* [segment][network][module][option], gross per head, linear */
    double *paid;         /* same layout, expected claims paid per head */
    double *value;        /* same layout, value points (the value model) */
    bool *usable;         /* same layout: terms that count as cover (off always does) */
    dms_budget_census_profile profile[DMS_PLAN_MAX_SEGMENTS];
    dms_budget_weights weights[DMS_PLAN_MAX_SEGMENTS];
    double admin_gross; /* gross of the admin fee per person */
    double slack;       /* bound on |exact per head - linear per head|, both sides summed */
};

static size_t tab_index(const dms_budget_table *t, size_t n, size_t m, size_t o)
{
    return (n * t->space->nmodules + m) * t->maxopt + o;
}

void dms_budget_table_free(dms_budget_table *table)
{
    if (table == NULL)
        return;
    free(table->count);
    free(table->pure);
    free(table->claims);
    free(table->lin);
    free(table->paid);
    free(table->value);
    free(table->usable);
    free(table);
}

size_t dms_budget_table_cells(const dms_budget_table *table)
{
    return table->ncells;
}

size_t dms_budget_table_people(const dms_budget_table *table, size_t segment)
{
    return segment < table->nsegments ? table->people[segment] : 0;
}

const dms_budget_census_profile *dms_budget_table_profile(const dms_budget_table *table,
                                                          size_t segment)
{
    return segment < table->nsegments ? &table->profile[segment] : NULL;
}

static size_t nopt_of(const dms_budget_table *t);
static size_t tab_index(const dms_budget_table *t, size_t n, size_t m, size_t o);

/*
 * Value points of every option of segment from its weights: module m at
 * option o is worth 100 w_m / sum(w) x (1 - TERMS + TERMS sqrt(q)), where
 * q is the option's expected claims paid over the most any option of the
 * module pays in any network (1 for a module that pays nothing, such as a
 * flat subscription). Off is worth 0.
 */
static void compute_values(dms_budget_table *t, size_t s)
{
    const dms_budget_space *space = t->space;
    const dms_budget_weights *w = &t->weights[s];
    size_t base = s * nopt_of(t);
    double total = 0.0;
    for (size_t m = 0; m < space->nmodules; m++)
        total += w->weight[m];
    for (size_t m = 0; m < space->nmodules; m++) {
        double most = 0.0;
        for (size_t n = 0; n < space->nnetworks; n++)
            for (size_t o = 0; o < space->modules[m].noptions; o++)
                most = fmax(most, t->paid[base + tab_index(t, n, m, o)]);
        double points = total > 0 ? 100.0 * w->weight[m] / total : 0.0;
        for (size_t n = 0; n < space->nnetworks; n++) {
            double here = 0.0;
            for (size_t o = 0; o < space->modules[m].noptions; o++)
                here = fmax(here, t->paid[base + tab_index(t, n, m, o)]);
            for (size_t o = 0; o < space->modules[m].noptions; o++) {
                size_t k = base + tab_index(t, n, m, o);
                if (!space->modules[m].options[o].included) {
                    t->value[k] = 0.0;
                    t->usable[k] = true;
                    continue;
                }
                /* 1e-12: the richest terms always count, whatever the rounding. */
                t->usable[k] = here <= 0 || t->paid[k] >= w->min_share * here * (1 - 1e-12);
                double q = most > 0 ? fmin(1.0, t->paid[k] / most) : 1.0;
                t->value[k] =
                    points * (1.0 - DMS_BUDGET_TERMS_SHARE + DMS_BUDGET_TERMS_SHARE * sqrt(q));
            }
        }
    }
}

int dms_budget_table_set_weights(dms_budget_table *table, size_t segment,
                                 const dms_budget_weights *weights)
{
    if (segment >= table->nsegments)
        return DMS_EINVAL;
    for (size_t m = 0; m < table->space->nmodules; m++)
        if (!(weights->weight[m] >= 0 && weights->weight[m] <= DMS_BUDGET_MAX_PRIORITY))
            return DMS_EINVAL;
    if (!(weights->min_share >= 0 && weights->min_share <= 1))
        return DMS_EINVAL;
    table->weights[segment] = *weights;
    compute_values(table, segment);
    return DMS_OK;
}

static int cmp_person_id(const void *a, const void *b);

/* Employees' traits per segment; family members follow their employee. */
static int census_profiles(dms_budget_table *t, const dms_census *census, const size_t *segment_of,
                           int year, int month, int day)
{
    const dms_person **by_id = malloc(census->count * sizeof *by_id);
    if (by_id == NULL)
        return DMS_ENOMEM;
    for (size_t i = 0; i < census->count; i++)
        by_id[i] = &census->people[i];
    /* A family is the people sharing an employee_id: sort pointers by it. */
    qsort(by_id, census->count, sizeof *by_id, cmp_person_id);
    for (size_t i = 0; i < census->count;) {
        size_t j = i;
        bool family = false;
        while (j < census->count && strcmp(by_id[j]->employee_id, by_id[i]->employee_id) == 0) {
            family = family || by_id[j]->relation != DMS_RELATION_EMPLOYEE;
            j++;
        }
        for (size_t k = i; k < j; k++) {
            const dms_person *p = by_id[k];
            if (p->relation != DMS_RELATION_EMPLOYEE)
                continue;
            dms_budget_census_profile *pr = &t->profile[segment_of[p - census->people]];
            int age = dms_census_age(p, year, month, day);
            pr->employees++;
            pr->young += age < 35;
            pr->over40 += age >= 40;
            pr->family += family;
            pr->remote += p->work_mode == DMS_WORK_REMOTE;
        }
        i = j;
    }
    free(by_id);
    for (size_t s = 0; s < t->nsegments; s++) {
        dms_budget_census_profile *pr = &t->profile[s];
        size_t half = pr->employees; /* "most": at least half of the employees */
        if (half == 0)
            continue;
        pr->profiles |= 2 * pr->young >= half ? DMS_BUDGET_PROFILE_YOUNG : 0u;
        pr->profiles |= 2 * pr->family >= half ? DMS_BUDGET_PROFILE_FAMILY : 0u;
        pr->profiles |= 2 * pr->over40 >= half ? DMS_BUDGET_PROFILE_OVER40 : 0u;
        pr->profiles |= 2 * pr->remote >= half ? DMS_BUDGET_PROFILE_REMOTE : 0u;
    }
    return DMS_OK;
}

static dms_plan_module option_module(const dms_budget_module_space *ms, const dms_budget_option *o)
{
    dms_plan_module pm;
    memset(&pm, 0, sizeof pm);
    snprintf(pm.code, sizeof pm.code, "%s", ms->module->code);
    pm.cov.deductible = o->deductible;
    pm.cov.franchise = false;
    pm.cov.copay = o->copay;
    pm.cov.claim_limit = ms->module->claim_limit;
    pm.annual_limit = o->annual_limit;
    pm.voluntary = false;
    pm.set_terms = DMS_TERM_VOLUNTARY;
    if (ms->module->type == DMS_MODULE_CLAIMS)
        pm.set_terms |= DMS_TERM_DEDUCTIBLE | DMS_TERM_COPAY | DMS_TERM_ANNUAL_LIMIT;
    return pm;
}

static int cmp_person_id(const void *a, const void *b)
{
    const dms_person *const *x = a, *const *y = b;
    int c = strcmp((*x)->employee_id, (*y)->employee_id);
    if (c != 0)
        return c;
    return (*x < *y) ? -1 : (*x > *y);
}

/* At most this many threads price the option table. */
#define TABLE_THREADS 4

/* The option table's work: one (module, network) unit at a time, taken
 * from a shared counter by a few threads. */
typedef struct table_work {
    dms_budget_table *t;
    const dms_model *model;
    double group_factor;
    double trend_years;
    const size_t *key_of_cell;
    dms_cancel_gate *gate;
    pthread_mutex_t lock;
    size_t next, nunits;
} table_work;

typedef struct table_job {
    table_work *work;
    int status;
    dms_error err;
} table_job;

/*
 * Prices every option of module m in network n for every cell: the law of
 * each cell rated as the quote rates it (dms_quote_price_person), the
 * claims of every option (dms_budget_price_claims, bit for bit the
 * quote's), and the quote's loading of a non-voluntary line.
 */
static int price_unit(const table_work *w, size_t m, size_t n, dms_budget_law *laws, double *claims,
                      dms_error *err)
{
    dms_budget_table *t = w->t;
    const dms_tariff *tariff = t->tariff;
    const dms_budget_module_space *ms = &t->space->modules[m];
    const dms_model_module *mod = dms_model_find(w->model, ms->module->code);
    if (mod == NULL)
        return dms_error_set(err, DMS_EINVAL, "/modules", "module '%s' is not in the model '%s'",
                             ms->module->code, w->model->version);
    const dms_network *net = t->space->networks[n];
    bool flat = mod->type == DMS_MODULE_FLAT;
    int status = DMS_OK;
    for (size_t c = 0; c < t->ncells; c++) {
        size_t key = w->key_of_cell[c];
        size_t band = key / (2 * tariff->nregions);
        int sex = (int)((key / tariff->nregions) % 2);
        dms_model_adjust adj = dms_model_adjust_neutral();
        adj.network_frequency = net->frequency_factor;
        adj.network_cost = net->cost_factor;
        adj.region = tariff->regions[key % tariff->nregions].factor;
        adj.trend_years = w->trend_years;
        adj.scenario = w->model->scenarios[DMS_SCENARIO_BASE];
        dms_model_rated rated;
        if ((status = dms_model_rate(w->model, mod, band, sex, &adj, &rated, err)) != DMS_OK)
            return status;
        laws[c] = (dms_budget_law){rated.frequency, rated.severity};
        if (flat)
            for (size_t o = 0; o < ms->noptions; o++)
                claims[c * ms->noptions + o] = ms->options[o].included ? rated.flat_cost : 0.0;
    }
    if (!flat && (status = dms_budget_price_claims_polled(
                      ms, laws, t->ncells,
                      w->gate != NULL && w->gate->hook != NULL ? dms_cancel_gate_fired : NULL,
                      w->gate, claims, err)) != DMS_OK)
        return status;
    for (size_t o = 0; o < ms->noptions; o++)
        for (size_t c = 0; c < t->ncells; c++) {
            size_t k = tab_index(t, n, m, o) * t->ncells + c;
            double paid = claims[c * ms->noptions + o];
            if (!ms->options[o].included) {
                t->pure[k] = 0.0;
                t->claims[k] = 0.0;
                continue;
            }
            dms_loaded line;
            dms_tariff_load_line(tariff, paid, w->group_factor, false, &line);
            t->claims[k] = paid;
            t->pure[k] = line.pure_premium;
        }
    return DMS_OK;
}

static void *price_table_part(void *arg)
{
    table_job *job = arg;
    table_work *w = job->work;
    dms_budget_table *t = w->t;
    dms_budget_law *laws = malloc(t->ncells * sizeof *laws);
    double *claims = malloc(t->ncells * t->maxopt * sizeof *claims);
    if (laws == NULL || claims == NULL)
        job->status = dms_error_set(&job->err, DMS_ENOMEM, NULL, "no memory for a budget table");
    while (job->status == DMS_OK) {
        pthread_mutex_lock(&w->lock);
        size_t unit = w->next < w->nunits ? w->next++ : w->nunits;
        pthread_mutex_unlock(&w->lock);
        if (unit == w->nunits)
            break;
        /* Modules first: the heaviest (outpatient) come early in the catalogue. */
        size_t m = unit / t->space->nnetworks, n = unit % t->space->nnetworks;
        job->status = dms_cancel_gate_stop(w->gate, &job->err)
                          ? DMS_ETOOBIG
                          : price_unit(w, m, n, laws, claims, &job->err);
        if (job->status != DMS_OK) {
            pthread_mutex_lock(&w->lock);
            w->next = w->nunits; /* the others stop too */
            pthread_mutex_unlock(&w->lock);
        }
    }
    free(laws);
    free(claims);
    return NULL;
}

static int table_alloc(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                       const dms_census *census, const char *census_source,
                       const dms_budget_space *space, dms_cancel_gate *gate, dms_budget_table **out,
                       dms_diag *diag)
{
    *out = NULL;
    int status = DMS_OK;
    dms_error err;
    dms_error_clear(&err);
    size_t *segment_of = NULL;
    long *cell_of_key = NULL;
    size_t *key_of_cell = NULL;
    dms_budget_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget table");
    t->tariff = tariff;
    t->space = space;
    t->nsegments = plan->nsegments;
    if (census->count == 0) {
        status = dms_diag_add_path(diag, DMS_EINVAL, "/census", "the census has nobody in it");
        goto out;
    }
    if (space->nnetworks == 0) {
        status = dms_diag_add_path(diag, DMS_EINVAL, "/design_space/networks",
                                   "the design space has no network");
        goto out;
    }
    for (size_t m = 0; m < space->nmodules; m++)
        if (space->modules[m].noptions > t->maxopt)
            t->maxopt = space->modules[m].noptions;
    if (t->maxopt == 0)
        t->maxopt = 1;
    double group_factor;
    if ((status = dms_tariff_check_model(tariff, model, &err)) != DMS_OK ||
        (status = dms_tariff_group_factor(tariff, (long)census->count, &group_factor, &err)) !=
            DMS_OK) {
        dms_diag_add(diag, &err);
        goto out;
    }
    segment_of = malloc(census->count * sizeof *segment_of);
    size_t nkeys = model->nbands * 2 * tariff->nregions;
    cell_of_key = malloc(nkeys * sizeof *cell_of_key);
    key_of_cell = malloc(nkeys * sizeof *key_of_cell);
    t->count = calloc(plan->nsegments * nkeys, sizeof *t->count);
    if (segment_of == NULL || cell_of_key == NULL || key_of_cell == NULL || t->count == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget table");
        goto out;
    }
    if ((status = dms_plan_assign(plan, census, census_source, segment_of, diag)) != DMS_OK)
        goto out;
    for (size_t k = 0; k < nkeys; k++)
        cell_of_key[k] = -1;
    int year, month, day;
    dms_date_split(plan->period_from, &year, &month, &day); /* checked by the loader */
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        int age = dms_census_age(p, year, month, day);
        size_t band;
        if ((status = dms_model_age_band(model, age < 0 ? 0 : age, &band, &err)) != DMS_OK) {
            dms_diag_add(diag, &err);
            goto out;
        }
        const dms_region *region = NULL;
        if (dms_tariff_region_lookup(tariff, p->region, &region, NULL) != DMS_OK)
            region = &tariff->regions[tariff->fallback_region];
        size_t key =
            (band * 2 + (size_t)p->sex) * tariff->nregions + (size_t)(region - tariff->regions);
        if (cell_of_key[key] < 0) {
            cell_of_key[key] = (long)t->ncells;
            key_of_cell[t->ncells++] = key;
        }
        t->count[segment_of[i] * nkeys + (size_t)cell_of_key[key]]++;
        t->people[segment_of[i]]++;
    }
    /* Compact the counts to [segment][cell]. */
    for (size_t s = 0; s < plan->nsegments; s++)
        memmove(&t->count[s * t->ncells], &t->count[s * nkeys], t->ncells * sizeof *t->count);

    size_t nopt = space->nnetworks * (space->nmodules ? space->nmodules : 1) * t->maxopt;
    t->pure = calloc(nopt * t->ncells, sizeof *t->pure);
    t->claims = calloc(nopt * t->ncells, sizeof *t->claims);
    t->lin = calloc(plan->nsegments * nopt, sizeof *t->lin);
    t->paid = calloc(plan->nsegments * nopt, sizeof *t->paid);
    t->value = calloc(plan->nsegments * nopt, sizeof *t->value);
    t->usable = calloc(plan->nsegments * nopt, sizeof *t->usable);
    if (t->pure == NULL || t->claims == NULL || t->lin == NULL || t->paid == NULL ||
        t->value == NULL || t->usable == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget table");
        goto out;
    }
    /* Every (module, network) unit is priced independently and writes only
     * its own slots: the units are dealt out to a few threads. */
    table_work work = {.t = t,
                       .model = model,
                       .group_factor = group_factor,
                       .key_of_cell = key_of_cell,
                       .gate = gate,
                       .nunits = space->nmodules * space->nnetworks};
    if ((status = dms_model_trend_years(model, plan->period_from, plan->period_to,
                                        &work.trend_years, &err)) != DMS_OK) {
        dms_diag_add(diag, &err);
        goto out;
    }
    pthread_mutex_init(&work.lock, NULL);
    table_job jobs[TABLE_THREADS];
    pthread_t threads[TABLE_THREADS];
    bool started[TABLE_THREADS] = {false};
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = online < 1 ? 1 : (size_t)online;
    if (nthreads > TABLE_THREADS)
        nthreads = TABLE_THREADS;
    for (size_t w = 0; w < nthreads; w++) {
        jobs[w] = (table_job){.work = &work, .status = DMS_OK};
        dms_error_clear(&jobs[w].err);
    }
    for (size_t w = 1; w < nthreads; w++)
        started[w] = pthread_create(&threads[w], NULL, price_table_part, &jobs[w]) == 0;
    price_table_part(&jobs[0]);
    for (size_t w = 1; w < nthreads; w++)
        if (started[w])
            pthread_join(threads[w], NULL);
    /* A thread that could not start left its units to the others. */
    pthread_mutex_destroy(&work.lock);
    for (size_t w = 0; w < nthreads; w++)
        if (jobs[w].status != DMS_OK) {
            status = jobs[w].status;
            if (!dms_cancel_gate_fired(gate)) /* a cancel is no fault of the design space */
                dms_error_prefix_path(&jobs[w].err, "/design_space");
            dms_diag_add(diag, &jobs[w].err);
            goto out;
        }
    double gross_factor = dms_tariff_gross_factor(tariff);
    t->admin_gross = dms_tariff_gross(tariff, 0.0);
    /* Per person |rounded - linear| <= unit / 2 (half up) or < unit (up),
     * plus half a kopeck; a margin of one unit and two kopecks covers both
     * sides of a comparison and the float noise. */
    t->slack = tariff->rounding.unit + 0.02;
    for (size_t s = 0; s < plan->nsegments; s++) {
        if (t->people[s] == 0)
            continue;
        for (size_t k = 0; k < nopt; k++) {
            double lin = 0.0, value = 0.0;
            for (size_t c = 0; c < t->ncells; c++) {
                double cnt = (double)t->count[s * t->ncells + c];
                lin += cnt * t->pure[k * t->ncells + c];
                value += cnt * t->claims[k * t->ncells + c];
            }
            t->lin[s * nopt + k] = lin * gross_factor / (double)t->people[s];
            t->paid[s * nopt + k] = value / (double)t->people[s];
        }
    }
    if (census_profiles(t, census, segment_of, year, month, day) != DMS_OK) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget table");
        goto out;
    }
    for (size_t s = 0; s < plan->nsegments; s++) {
        dms_budget_weights *w = &t->weights[s];
        w->profiles = t->profile[s].profiles;
        w->min_share = DMS_BUDGET_DEFAULT_MIN_SHARE;
        for (size_t m = 0; m < space->nmodules; m++)
            w->weight[m] = dms_budget_default_priority(space->modules[m].module->code, w->profiles,
                                                       &w->source[m]);
        compute_values(t, s);
    }
    *out = t;
    t = NULL;
out:
    free(segment_of);
    free(cell_of_key);
    free(key_of_cell);
    dms_budget_table_free(t);
    return status;
}

int dms_budget_table_alloc(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                           const dms_census *census, const char *census_source,
                           const dms_budget_space *space, dms_budget_table **out, dms_diag *diag)
{
    return table_alloc(tariff, model, plan, census, census_source, space, NULL, out, diag);
}

static size_t nopt_of(const dms_budget_table *t)
{
    return t->space->nnetworks * (t->space->nmodules ? t->space->nmodules : 1) * t->maxopt;
}

static bool design_valid(const dms_budget_table *t, const dms_budget_design *d)
{
    if (d->network >= t->space->nnetworks)
        return false;
    for (size_t m = 0; m < t->space->nmodules; m++)
        if (d->option[m] >= t->space->modules[m].noptions)
            return false;
    return true;
}

/* The value per head summed module by module (the solver's order). */
static double design_value(const dms_budget_table *t, size_t segment, const dms_budget_design *d)
{
    const double *v = &t->value[segment * nopt_of(t)];
    double value = 0.0;
    for (size_t m = 0; m < t->space->nmodules; m++)
        value += v[tab_index(t, d->network, m, d->option[m])];
    return value;
}

static int64_t design_kopecks(const dms_budget_table *t, size_t segment, const dms_budget_design *d)
{
    int64_t total = 0;
    for (size_t c = 0; c < t->ncells; c++) {
        unsigned long cnt = t->count[segment * t->ncells + c];
        if (cnt == 0)
            continue;
        double pure = 0.0;
        for (size_t m = 0; m < t->space->nmodules; m++)
            if (t->space->modules[m].options[d->option[m]].included)
                pure += t->pure[tab_index(t, d->network, m, d->option[m]) * t->ncells + c];
        dms_loaded person;
        dms_tariff_load_person(t->tariff, pure, &person);
        total += (int64_t)cnt * person.gross_kopecks;
    }
    return total;
}

bool dms_budget_table_usable(const dms_budget_table *table, size_t segment,
                             const dms_budget_design *d)
{
    if (segment >= table->nsegments || !design_valid(table, d))
        return false;
    for (size_t m = 0; m < table->space->nmodules; m++)
        if (!table
                 ->usable[segment * nopt_of(table) + tab_index(table, d->network, m, d->option[m])])
            return false;
    return true;
}

int dms_budget_table_module(const dms_budget_table *table, size_t segment,
                            const dms_budget_design *d, size_t module, double *value,
                            double *cost_per_head, double *claims_per_head)
{
    if (segment >= table->nsegments || !design_valid(table, d) || module >= table->space->nmodules)
        return DMS_EINVAL;
    size_t k = segment * nopt_of(table) + tab_index(table, d->network, module, d->option[module]);
    *value = table->value[k];
    *cost_per_head = table->lin[k];
    *claims_per_head = table->paid[k];
    return DMS_OK;
}

int dms_budget_table_evaluate(const dms_budget_table *table, size_t segment,
                              const dms_budget_design *d, int64_t *gross_kopecks, double *value)
{
    if (segment >= table->nsegments || !design_valid(table, d))
        return DMS_EINVAL;
    *gross_kopecks = design_kopecks(table, segment, d);
    if (value != NULL)
        *value = design_value(table, segment, d);
    return DMS_OK;
}

/* --------------------------------------------------------------- solver */

/*
 * The solver is a depth-first branch and bound over the modules, with
 * bounds from dynamic programming on a grid. For the best
 * design within budget, V[m][j] is the most value modules m.. can add with
 * the sum of their costs rounded down to the grid at most j steps: an upper
 * bound of the true value for any remaining budget. For the cheapest design
 * reaching a value, C[m][j] is the least cost of modules m.. with values
 * rounded up to the grid summing to at least j steps: a lower bound. The
 * exact (rounded) cost of a design differs from its linear cost by at most
 * e_low below and e_high above per head, so every leaf is priced exactly and
 * the bounds are widened by those margins. A branch is cut when its bound
 * cannot beat the best design found by more than the tolerance, so the
 * answer is within the tolerance of the optimum (exact with tolerance 0).
 */

/* Points of one bound table. The bounds stay valid on any grid, a coarse one
 * only prunes less; with the value model (value no longer follows cost) a
 * few thousand points prune nearly to the optimum at once, while filling
 * 2^18-point tables cost about 100 times the whole search. */
#define GRID_MAX ((size_t)1 << 12)
#define MAX_LEAVES ((size_t)20000000)

typedef struct search {
    const dms_budget_table *t;
    size_t segment, network;
    enum dms_budget_goal goal;
    double limit;           /* budget per head or target value */
    double tolerance;       /* value (BEST_WITHIN) or cost per head (CHEAPEST) */
    int64_t budget_kopecks; /* BEST_WITHIN */
    double cap;             /* BEST_WITHIN: linear module cost per head allowed */
    double e_low, e_high;   /* exact - linear per head lies in [-e_low, e_high] */
    double tol;             /* float noise allowed in value bounds */
    double step;            /* grid step: cost (BEST_WITHIN) or value (CHEAPEST) */
    size_t grid;            /* points per table */
    const double *lin, *val;
    const bool *allowed; /* [module][DMS_BUDGET_MAX_OPTIONS], NULL: all */
    const bool *usable;  /* the table's, this segment */
    double *table[DMS_PLAN_MAX_MODULES + 1];
    size_t leaves;
    bool too_big;
    dms_budget_design d;
    dms_budget_solution *best;
} search;

/* -1, 0, 1 as design a comes before, equals or follows b (network, then options). */
static int design_order(const dms_budget_design *a, const dms_budget_design *b, size_t nmodules)
{
    if (a->network != b->network)
        return a->network < b->network ? -1 : 1;
    for (size_t m = 0; m < nmodules; m++)
        if (a->option[m] != b->option[m])
            return a->option[m] < b->option[m] ? -1 : 1;
    return 0;
}

/*
 * True if design d with (value, kopecks) beats the best so far under goal's
 * tie rule; the last tie-break (the lexicographically smaller design) makes
 * the answer independent of the order the search visits designs in.
 */
static bool better(enum dms_budget_goal goal, const dms_budget_solution *best, double value,
                   int64_t kopecks, const dms_budget_design *d, size_t nmodules)
{
    if (!best->found)
        return true;
    if (goal == DMS_BUDGET_BEST_WITHIN) {
        if (value != best->value)
            return value > best->value;
        if (kopecks != best->gross_kopecks)
            return kopecks < best->gross_kopecks;
    } else {
        if (kopecks != best->gross_kopecks)
            return kopecks < best->gross_kopecks;
        if (value != best->value)
            return value > best->value;
    }
    return design_order(d, &best->design, nmodules) < 0;
}

static bool option_allowed(const search *sr, size_t m, size_t o)
{
    return sr->usable[tab_index(sr->t, sr->network, m, o)] &&
           (sr->allowed == NULL || sr->allowed[m * DMS_BUDGET_MAX_OPTIONS + o]);
}

/* Upper bound of the value modules m.. add within linear cost budget. */
static double bound_value(const search *sr, size_t m, double budget)
{
    if (budget < 0)
        return -INFINITY;
    double j = floor(budget / sr->step);
    size_t k = j >= (double)(sr->grid - 1) ? sr->grid - 1 : (size_t)j;
    return sr->table[m][k];
}

/* Lower bound of the linear cost modules m.. need to add value need. */
static double bound_cost(const search *sr, size_t m, double need)
{
    if (need <= 0)
        return sr->table[m][0];
    double j = ceil(need / sr->step) - 1; /* one step of slack for float noise */
    if (j < 0)
        j = 0;
    if (j >= (double)sr->grid)
        return INFINITY;
    return sr->table[m][(size_t)j];
}

typedef struct branch {
    double key;
    size_t option;
} branch;

static int cmp_branch(const void *a, const void *b)
{
    const branch *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->option > y->option) - (x->option < y->option);
}

/* Can a branch with this key still beat the best by more than the tolerance? */
static bool promising(const search *sr, double key)
{
    const dms_budget_solution *best = sr->best;
    if (!best->found)
        return true;
    if (sr->goal == DMS_BUDGET_BEST_WITHIN) {
        double bound = -key;
        if (sr->tolerance > 0)
            return bound > best->value + sr->tolerance;
        return bound >= best->value - sr->tol;
    }
    double people = (double)sr->t->people[sr->segment];
    double lower = (sr->t->admin_gross + key - sr->e_low) * people * 100.0 - 0.5;
    if (sr->tolerance > 0)
        return lower < (double)best->gross_kopecks - sr->tolerance * people * 100.0;
    return lower <= (double)best->gross_kopecks;
}

static void dfs(search *sr, size_t m, double cost, double value)
{
    const dms_budget_table *t = sr->t;
    size_t nm = t->space->nmodules;
    dms_budget_solution *best = sr->best;
    if (sr->too_big)
        return;
    if (m == nm) {
        if (++sr->leaves > MAX_LEAVES) {
            sr->too_big = true;
            return;
        }
        best->evaluated++;
        int64_t kop = design_kopecks(t, sr->segment, &sr->d);
        double v = design_value(t, sr->segment, &sr->d);
        bool ok = sr->goal == DMS_BUDGET_BEST_WITHIN ? kop <= sr->budget_kopecks : v >= sr->limit;
        if (ok && better(sr->goal, best, v, kop, &sr->d, nm)) {
            best->found = true;
            best->design = sr->d;
            best->gross_kopecks = kop;
            best->value = v;
        }
        return;
    }
    const dms_budget_module_space *ms = &t->space->modules[m];
    branch order[DMS_BUDGET_MAX_OPTIONS];
    size_t nb = 0;
    for (size_t o = 0; o < ms->noptions; o++) {
        if (!option_allowed(sr, m, o))
            continue;
        size_t k = tab_index(t, sr->network, m, o);
        double c = cost + sr->lin[k], v = value + sr->val[k];
        double key;
        if (sr->goal == DMS_BUDGET_BEST_WITHIN) {
            double bound = v + bound_value(sr, m + 1, sr->cap - c);
            if (bound == -INFINITY)
                continue;
            key = -bound;
        } else {
            double rest = bound_cost(sr, m + 1, sr->limit - v - sr->tol);
            if (rest == INFINITY)
                continue;
            key = c + rest;
        }
        if (promising(sr, key))
            order[nb++] = (branch){key, o};
    }
    qsort(order, nb, sizeof *order, cmp_branch);
    for (size_t b = 0; b < nb && !sr->too_big; b++) {
        if (!promising(sr, order[b].key)) /* the best may have improved meanwhile */
            break;
        size_t o = order[b].option;
        size_t k = tab_index(t, sr->network, m, o);
        sr->d.option[m] = o;
        dfs(sr, m + 1, cost + sr->lin[k], value + sr->val[k]);
    }
}

/*
 * cur[j] = max(cur[j], next[j] + v) where upper, else min, j < n, as the comparisons
 * `next[j] + v > cur[j]` (`<`) would set them: maxpd and minpd return their second
 * operand unless the first is greater (smaller), so the same doubles, with no branch for
 * the bound tables' unpredictable comparisons to mispredict.
 */
static void bound_to(double *restrict cur, const double *restrict next, double v, size_t n,
                     bool upper)
{
    size_t j = 0;
#ifdef __SSE2__
    const __m128d add = _mm_set1_pd(v);
    for (; j + 2 <= n; j += 2) {
        __m128d x = _mm_add_pd(_mm_loadu_pd(next + j), add), c = _mm_loadu_pd(cur + j);
        _mm_storeu_pd(cur + j, upper ? _mm_max_pd(x, c) : _mm_min_pd(x, c));
    }
#endif
    for (; j < n; j++) {
        double x = next[j] + v;
        cur[j] = (upper ? x > cur[j] : x < cur[j]) ? x : cur[j];
    }
}

/* Fills the bound tables from the last module back. */
static void fill_tables(search *sr)
{
    const dms_budget_table *t = sr->t;
    size_t nm = t->space->nmodules, g = sr->grid;
    bool within = sr->goal == DMS_BUDGET_BEST_WITHIN;
    double *last = sr->table[nm];
    for (size_t j = 0; j < g; j++)
        last[j] = within ? 0.0 : (j == 0 ? 0.0 : INFINITY);
    for (size_t m = nm; m-- > 0;) {
        const dms_budget_module_space *ms = &t->space->modules[m];
        double *cur = sr->table[m], *next = sr->table[m + 1];
        for (size_t j = 0; j < g; j++)
            cur[j] = within ? -INFINITY : INFINITY;
        for (size_t o = 0; o < ms->noptions; o++) {
            if (!option_allowed(sr, m, o))
                continue;
            size_t k = tab_index(t, sr->network, m, o);
            if (within) {
                double steps = floor(sr->lin[k] / sr->step);
                if (steps >= (double)g)
                    continue;
                size_t shift = (size_t)steps;
                bound_to(cur + shift, next, sr->val[k], g - shift, true);
            } else {
                double steps = ceil(sr->val[k] / sr->step);
                size_t shift = steps >= (double)g ? g : (size_t)steps;
                /* Points up to the shift take the rest at 0, the others the
                 * rest shift points back. */
                size_t head = shift < g ? shift + 1 : g;
                for (size_t j = 0; j < head; j++)
                    bound_to(cur + j, next, sr->lin[k], 1, false);
                bound_to(cur + head, next + 1, sr->lin[k], g - head, false);
            }
        }
    }
}

static int solve_network(const dms_budget_table *t, size_t segment, size_t n,
                         enum dms_budget_goal goal, double limit, double tolerance,
                         const bool *allowed, int64_t budget_kopecks, dms_budget_solution *best,
                         dms_error *err)
{
    const dms_budget_space *space = t->space;
    size_t nm = space->nmodules;
    int status = DMS_OK;
    search *sr = calloc(1, sizeof *sr);
    if (sr == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the budget solver");
    sr->t = t;
    sr->segment = segment;
    sr->network = n;
    sr->goal = goal;
    sr->limit = limit;
    sr->tolerance = tolerance;
    sr->budget_kopecks = budget_kopecks;
    sr->lin = &t->lin[segment * nopt_of(t)];
    sr->val = &t->value[segment * nopt_of(t)];
    sr->best = best;
    sr->allowed = allowed;
    sr->usable = &t->usable[segment * nopt_of(t)];
    double unit = t->tariff->rounding.unit;
    bool up = t->tariff->rounding.mode == DMS_ROUND_UP;
    sr->e_low = (up ? 0.0 : unit / 2) + 0.006;
    sr->e_high = (up ? unit : unit / 2) + 0.006;
    sr->tol = 1e-9 * fmax(1.0, fabs(limit));
    sr->cap = goal == DMS_BUDGET_BEST_WITHIN ? limit - t->admin_gross + sr->e_low + 1e-6 : INFINITY;
    sr->d.network = n;
    /* Grid: the whole range of the goal in at most GRID_MAX steps. */
    double range = 0.0;
    if (goal == DMS_BUDGET_BEST_WITHIN) {
        range = sr->cap;
    } else {
        for (size_t m = 0; m < nm; m++) {
            double hi = 0.0;
            for (size_t o = 0; o < space->modules[m].noptions; o++)
                hi = fmax(hi, sr->val[tab_index(t, n, m, o)]);
            range += hi;
        }
        range = fmax(range, limit);
    }
    if (!(range > 0)) {
        range = 1.0;
    }
    sr->step = fmax(0.01, range / (double)(GRID_MAX - 2));
    sr->grid = (size_t)ceil(range / sr->step) + 2;
    if (sr->grid > GRID_MAX)
        sr->grid = GRID_MAX;
    for (size_t m = 0; m <= nm; m++)
        if ((sr->table[m] = malloc(sr->grid * sizeof(double))) == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the budget solver");
            goto out;
        }
    if (sr->grid > best->frontier_max)
        best->frontier_max = sr->grid;
    fill_tables(sr);
    dfs(sr, 0, 0.0, 0.0);
    if (sr->too_big)
        status = dms_error_set(err, DMS_ETOOBIG, "/design_space",
                               "the search over this design space stopped after %zu designs: "
                               "raise 'tolerance' or narrow the design space",
                               (size_t)MAX_LEAVES);
out:
    for (size_t m = 0; m <= nm; m++)
        free(sr->table[m]);
    free(sr);
    return status;
}

static int check_goal(const dms_budget_table *t, size_t segment, enum dms_budget_goal goal,
                      double limit, double tolerance, dms_error *err)
{
    if (segment >= t->nsegments)
        return dms_error_set(err, DMS_EINVAL, NULL, "segment %zu out of range", segment);
    if (t->people[segment] == 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "segment %zu has nobody in the census",
                             segment);
    if (goal != DMS_BUDGET_BEST_WITHIN && goal != DMS_BUDGET_CHEAPEST)
        return dms_error_set(err, DMS_EINVAL, NULL, "unknown goal");
    if (!isfinite(limit) || limit < 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "the limit must be a finite number >= 0");
    if (!(tolerance >= 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "the tolerance must be >= 0");
    return DMS_OK;
}

static int64_t budget_total_kopecks(const dms_budget_table *t, size_t segment, double per_head)
{
    return llround(per_head * 100.0) * (int64_t)t->people[segment];
}

int dms_budget_solve(const dms_budget_table *table, size_t segment, enum dms_budget_goal goal,
                     double limit, double tolerance, dms_budget_solution *out, dms_error *err)
{
    dms_error_clear(err);
    return dms_budget_solve_masked(table, segment, goal, limit, tolerance, NULL, out, err);
}

int dms_budget_solve_masked(const dms_budget_table *table, size_t segment,
                            enum dms_budget_goal goal, double limit, double tolerance,
                            const bool *allowed, dms_budget_solution *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    int status = check_goal(table, segment, goal, limit, tolerance, err);
    if (status != DMS_OK)
        return status;
    int64_t budget = budget_total_kopecks(table, segment, limit);
    for (size_t n = 0; n < table->space->nnetworks && status == DMS_OK; n++)
        status =
            solve_network(table, segment, n, goal, limit, tolerance, allowed, budget, out, err);
    if (status != DMS_OK)
        out->found = false;
    return status;
}

int dms_budget_solve_exhaustive(const dms_budget_table *table, size_t segment,
                                enum dms_budget_goal goal, double limit, double max_designs,
                                dms_budget_solution *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    int status = check_goal(table, segment, goal, limit, 0.0, err);
    if (status != DMS_OK)
        return status;
    if (dms_budget_space_size(table->space) > max_designs)
        return dms_error_set(err, DMS_ETOOBIG, NULL, "%.0f designs are more than %.0f",
                             dms_budget_space_size(table->space), max_designs);
    int64_t budget = budget_total_kopecks(table, segment, limit);
    dms_budget_design d;
    memset(&d, 0, sizeof d);
    for (d.network = 0; d.network < table->space->nnetworks; d.network++) {
        memset(d.option, 0, sizeof d.option);
        for (;;) {
            bool usable = dms_budget_table_usable(table, segment, &d);
            int64_t kop = usable ? design_kopecks(table, segment, &d) : 0;
            double value = usable ? design_value(table, segment, &d) : 0.0;
            bool ok = usable && (goal == DMS_BUDGET_BEST_WITHIN ? kop <= budget : value >= limit);
            if (ok && better(goal, out, value, kop, &d, table->space->nmodules)) {
                out->found = true;
                out->design = d;
                out->gross_kopecks = kop;
                out->value = value;
            }
            size_t m = 0;
            while (m < table->space->nmodules && ++d.option[m] == table->space->modules[m].noptions)
                d.option[m++] = 0;
            if (m == table->space->nmodules)
                break;
        }
    }
    return DMS_OK;
}

void dms_budget_design_apply(const dms_budget_space *space, const dms_budget_design *d,
                             dms_plan_segment *segment)
{
    snprintf(segment->network, sizeof segment->network, "%s", space->networks[d->network]->code);
    segment->nmodules = 0;
    for (size_t m = 0; m < space->nmodules; m++) {
        const dms_budget_module_space *ms = &space->modules[m];
        const dms_budget_option *o = &ms->options[d->option[m]];
        if (o->included)
            segment->modules[segment->nmodules++] = option_module(ms, o);
    }
}

/* ---------------------------------------------------------- sensitivity */

/* The shocks are priced DMS_SCENARIO_COUNT to a quote; a short last group
 * repeats its last shock. */
_Static_assert(DMS_BUDGET_NSHOCKS >= DMS_SCENARIO_COUNT, "fewer shocks than a quote's scenarios");

#define SHOCK_GROUPS ((DMS_BUDGET_NSHOCKS + DMS_SCENARIO_COUNT - 1) / DMS_SCENARIO_COUNT)

/* At most this many quotes of a sensitivity table run at once. */
#define SENSITIVITY_THREADS 2

/* The inputs every shock group of every plan shares. */
typedef struct sens_work {
    const dms_tariff *tariff;
    const dms_model *model;
    const dms_census *census;
    const char *census_source;
    const dms_plan *const *plans;
    dms_budget_sensitivity *outs; /* one per plan */
    size_t njobs;                 /* plans x SHOCK_GROUPS, in job_of order */
    int *status;                  /* per job, DMS_OK until it fails */
    dms_diag **diags;             /* per job */
    dms_cancel_gate *gate;        /* NULL: never cancelled */
    pthread_mutex_t lock;
    size_t next;
    bool failed;
} sens_work;

/*
 * One quote of plan under the shocks of group g (DMS_SCENARIO_COUNT of
 * them from g x DMS_SCENARIO_COUNT), into out: only the group's own shocks
 * are written (and the head counts by group 0), so that jobs running at
 * once never write the same slot.
 */
static int price_shock_group(const sens_work *w, const dms_plan *plan, size_t g,
                             dms_budget_sensitivity *out, dms_diag *diag)
{
    dms_plan *shocked = malloc(sizeof *shocked);
    if (shocked == NULL)
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a plan");
    *shocked = *plan;
    const dms_scenario base = w->model->scenarios[DMS_SCENARIO_BASE];
    dms_quote_options options = dms_quote_options_default();
    options.percentiles = false;
    options.census_source = w->census_source;
    if (w->gate != NULL && w->gate->hook != NULL) {
        options.cancelled = dms_cancel_gate_fired;
        options.cancel_ctx = w->gate;
    }
    size_t first = g * DMS_SCENARIO_COUNT;
    size_t shock_of[DMS_SCENARIO_COUNT];
    /* A last, short group fills its other scenarios with copies of its
     * last shock, priced on one thread: the copies then find the first
     * one's prices in the quote's cache instead of being computed at the
     * same time (or borrowing earlier shocks, which the cache may no longer
     * hold). The other job running meanwhile keeps the second core busy. */
    options.single_thread = first + DMS_SCENARIO_COUNT > DMS_BUDGET_NSHOCKS;
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        shock_of[k] =
            first + (size_t)k < DMS_BUDGET_NSHOCKS ? first + (size_t)k : DMS_BUDGET_NSHOCKS - 1;
        shocked->scenario_set[k] = true;
        shocked->scenarios[k].frequency = base.frequency * dms_budget_shocks[shock_of[k]].frequency;
        shocked->scenarios[k].severity = base.severity * dms_budget_shocks[shock_of[k]].severity;
    }
    dms_quote *q = NULL;
    int status =
        dms_quote_compute(w->tariff, w->model, shocked, w->census, &options, &q, diag, NULL);
    free(shocked);
    if (status != DMS_OK)
        return status;
    if (g == 0) {
        for (size_t s = 0; s < q->nsegments; s++)
            out->people[s] = q->segments[s].total.people;
        out->total_people = q->total.people;
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        size_t x = shock_of[k];
        if (k > 0 && x == shock_of[k - 1]) /* a copy */
            continue;
        for (size_t s = 0; s < q->nsegments; s++) {
            out->gross_kopecks[x][s] = q->segments[s].total.money[k].gross_kopecks;
            out->claims[x][s] = q->segments[s].total.money[k].expected_claims;
        }
        out->total_kopecks[x] = q->total.money[k].gross_kopecks;
        out->total_claims[x] = q->total.money[k].expected_claims;
    }
    dms_quote_free(q);
    return DMS_OK;
}

/*
 * Job j's plan and shock group: two groups of the first plan, the same two
 * of the next plan, and so on, then the next two groups. Two jobs run at
 * once; the pair running together prices different shocks (no work in
 * common), and the same shocks of the other plans come right after, while
 * the quote's caches still hold what the plans share (a segment's module
 * at the same terms and network).
 */
static void job_of(size_t nplans, size_t j, size_t *p, size_t *g)
{
    size_t pair = j / (2 * nplans), in_pair = j % (2 * nplans);
    size_t first = 2 * pair;
    size_t width = SHOCK_GROUPS - first < 2 ? SHOCK_GROUPS - first : 2;
    *p = in_pair / width;
    *g = first + in_pair % width;
}

/* Takes (plan, shock group) jobs in order until none is left or one fails. */
static void *price_shock_jobs(void *arg)
{
    sens_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t j = !w->failed && w->next < w->njobs ? w->next++ : w->njobs;
        pthread_mutex_unlock(&w->lock);
        if (j == w->njobs)
            break;
        size_t p, g;
        job_of(w->njobs / SHOCK_GROUPS, j, &p, &g);
        dms_error err;
        dms_error_clear(&err);
        if (dms_cancel_gate_stop(w->gate, &err)) {
            dms_diag_add(w->diags[j], &err);
            w->status[j] = DMS_ETOOBIG;
        } else {
            w->status[j] = price_shock_group(w, w->plans[p], g, &w->outs[p], w->diags[j]);
        }
        if (w->status[j] != DMS_OK) {
            pthread_mutex_lock(&w->lock);
            w->failed = true; /* the others stop after their current job */
            pthread_mutex_unlock(&w->lock);
        }
    }
    return NULL;
}

/*
 * The sensitivity tables of nplans plans: one quote per plan and group of
 * DMS_SCENARIO_COUNT shocks, a few quotes at once (each prices its
 * scenarios on threads of its own, and a quote's serial parts and a short
 * last group leave cores idle). Every job writes its own slots and a quote
 * gives the same numbers whatever its caches hold, so the tables do not
 * depend on the order the jobs finish in. Jobs are taken in order, so every
 * job before a failed one has run: the fault of the first failed job is
 * the one reported, whatever the timing.
 */
static int sensitivity_many(const dms_tariff *tariff, const dms_model *model,
                            const dms_plan *const *plans, size_t nplans, const dms_census *census,
                            const char *census_source, dms_cancel_gate *gate,
                            dms_budget_sensitivity *outs, dms_diag *diag)
{
    for (size_t p = 0; p < nplans; p++) {
        memset(&outs[p], 0, sizeof outs[p]);
        outs[p].nsegments = plans[p]->nsegments;
    }
    sens_work w = {.tariff = tariff,
                   .model = model,
                   .census = census,
                   .census_source = census_source,
                   .plans = plans,
                   .outs = outs,
                   .gate = gate,
                   .njobs = nplans * SHOCK_GROUPS};
    w.status = malloc((w.njobs ? w.njobs : 1) * sizeof *w.status);
    w.diags = calloc(w.njobs ? w.njobs : 1, sizeof *w.diags);
    int status = DMS_OK;
    if (w.status == NULL || w.diags == NULL)
        status = DMS_ENOMEM;
    for (size_t j = 0; j < w.njobs && status == DMS_OK; j++) {
        w.status[j] = DMS_OK;
        status = dms_diag_alloc(8, &w.diags[j]);
    }
    if (status != DMS_OK) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget result");
        goto out;
    }
    pthread_mutex_init(&w.lock, NULL);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = online < 1 ? 1 : (size_t)online;
    if (nthreads > SENSITIVITY_THREADS)
        nthreads = SENSITIVITY_THREADS;
    if (nthreads > w.njobs)
        nthreads = w.njobs;
    pthread_t threads[SENSITIVITY_THREADS];
    bool started[SENSITIVITY_THREADS] = {false};
    for (size_t t = 1; t < nthreads; t++)
        started[t] = pthread_create(&threads[t], NULL, price_shock_jobs, &w) == 0;
    price_shock_jobs(&w); /* a thread that could not start left its jobs to this one */
    for (size_t t = 1; t < nthreads; t++)
        if (started[t])
            pthread_join(threads[t], NULL);
    pthread_mutex_destroy(&w.lock);
    for (size_t j = 0; j < w.njobs; j++)
        if (w.status[j] != DMS_OK) {
            status = w.status[j];
            for (size_t i = 0; i < dms_diag_kept(w.diags[j]); i++)
                dms_diag_add(diag, dms_diag_get(w.diags[j], i));
            break;
        }
out:
    if (w.diags != NULL)
        for (size_t j = 0; j < w.njobs; j++)
            dms_diag_free(w.diags[j]);
    free(w.diags);
    free(w.status);
    return status;
}

int dms_budget_sensitivity_compute(const dms_tariff *tariff, const dms_model *model,
                                   const dms_plan *plan, const dms_census *census,
                                   const char *census_source, dms_budget_sensitivity *out,
                                   dms_diag *diag)
{
    return sensitivity_many(tariff, model, &plan, 1, census, census_source, NULL, out, diag);
}

/* ------------------------------------------------------------------ run */

void dms_budget_result_free(dms_budget_result *result)
{
    if (result == NULL)
        return;
    dms_plan_free(result->within_plan);
    dms_plan_free(result->reach_plan);
    free(result);
}

/* The plan of one goal's answers; segments without one get every module off. */
static dms_plan *goal_plan(const dms_budget_request *req, const dms_budget_result *res, bool within)
{
    dms_plan *plan = malloc(sizeof *plan);
    if (plan == NULL)
        return NULL;
    *plan = *req->plan;
    for (size_t s = 0; s < plan->nsegments; s++) {
        const dms_budget_solution *sol =
            within ? &res->segments[s].within : &res->segments[s].reach;
        dms_budget_design off;
        memset(&off, 0, sizeof off);
        dms_budget_design_apply(&req->space, sol->found ? &sol->design : &off, &plan->segments[s]);
        if (!sol->found)
            plan->segments[s].nmodules = 0;
    }
    return plan;
}

static int verify(const dms_budget_result *res, const dms_budget_sensitivity *sens, bool within,
                  dms_diag *diag)
{
    for (size_t s = 0; s < res->nsegments; s++) {
        const dms_budget_solution *sol =
            within ? &res->segments[s].within : &res->segments[s].reach;
        if (sol->found && sens->gross_kopecks[0][s] != sol->gross_kopecks)
            return dms_diag_add_path(diag, DMS_EINTERNAL, NULL,
                                     "segment '%s': the solver priced its design at %lld kopecks "
                                     "but the quote at %lld",
                                     res->segments[s].segment->code, (long long)sol->gross_kopecks,
                                     (long long)sens->gross_kopecks[0][s]);
    }
    return DMS_OK;
}

/*
 * The best design within the segment's budget and what explains it: the
 * module breakdown, the next-best package (the best design whose set of
 * modules differs: for every optional module, the best design with its
 * inclusion flipped, and the best of those) and the best design for
 * DMS_BUDGET_MORE_PER_HEAD more per head.
 */
static int solve_explained(const dms_budget_table *t, const dms_budget_request *req, size_t s,
                           dms_budget_segment_result *sr, dms_error *err)
{
    const dms_budget_space *space = &req->space;
    double budget = sr->target.budget_per_head;
    int status =
        dms_budget_solve(t, s, DMS_BUDGET_BEST_WITHIN, budget, req->tolerance, &sr->within, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_budget_solve(t, s, DMS_BUDGET_BEST_WITHIN, budget + DMS_BUDGET_MORE_PER_HEAD,
                                   req->tolerance, &sr->more, err)) != DMS_OK)
        return status;
    dms_budget_breakdown *b = &sr->within_breakdown;
    for (size_t m = 0; m < DMS_PLAN_MAX_MODULES; m++)
        b->add_cost[m] = b->add_value[m] = NAN;
    if (!sr->within.found)
        return DMS_OK;
    const dms_budget_design *d = &sr->within.design;
    for (size_t m = 0; m < space->nmodules; m++) {
        dms_budget_table_module(t, s, d, m, &b->value[m], &b->cost_per_head[m],
                                &b->claims_per_head[m]);
        if (space->modules[m].options[d->option[m]].included)
            continue;
        /* The cheapest way to add the module at this network. */
        dms_budget_design alt = *d;
        for (size_t o = 0; o < space->modules[m].noptions; o++) {
            if (!space->modules[m].options[o].included)
                continue;
            alt.option[m] = o;
            double v, c, p;
            if (!t->usable[s * nopt_of(t) + tab_index(t, d->network, m, o)])
                continue;
            dms_budget_table_module(t, s, &alt, m, &v, &c, &p);
            if (isnan(b->add_cost[m]) || c < b->add_cost[m] ||
                (c == b->add_cost[m] && v > b->add_value[m])) {
                b->add_cost[m] = c;
                b->add_value[m] = v;
            }
        }
    }
    bool *allowed = malloc(space->nmodules * DMS_BUDGET_MAX_OPTIONS * sizeof *allowed);
    if (allowed == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the budget solver");
    sr->next.found = false;
    for (size_t m = 0; m < space->nmodules && status == DMS_OK; m++) {
        const dms_budget_module_space *ms = &space->modules[m];
        bool in = ms->options[d->option[m]].included;
        bool any = false;
        for (size_t mm = 0; mm < space->nmodules; mm++)
            for (size_t o = 0; o < DMS_BUDGET_MAX_OPTIONS; o++)
                allowed[mm * DMS_BUDGET_MAX_OPTIONS + o] = true;
        for (size_t o = 0; o < ms->noptions; o++) {
            bool ok = ms->options[o].included != in;
            allowed[m * DMS_BUDGET_MAX_OPTIONS + o] = ok;
            any = any || ok;
        }
        if (!any) /* mandatory, or a module that cannot be left out */
            continue;
        dms_budget_solution alt;
        status = dms_budget_solve_masked(t, s, DMS_BUDGET_BEST_WITHIN, budget, req->tolerance,
                                         allowed, &alt, err);
        if (status == DMS_OK && alt.found &&
            better(DMS_BUDGET_BEST_WITHIN, &sr->next, alt.value, alt.gross_kopecks, &alt.design,
                   space->nmodules)) {
            size_t fm = sr->next.frontier_max, ev = sr->next.evaluated;
            sr->next = alt;
            sr->next.frontier_max += fm;
            sr->next.evaluated += ev;
            sr->next_module = m;
        }
    }
    free(allowed);
    return status;
}

/* At most this many threads solve the segments. */
#define SOLVE_THREADS 2

/* The segments' searches, one segment at a time from a shared counter. */
typedef struct solve_work {
    const dms_budget_table *table;
    const dms_budget_request *request;
    dms_budget_result *res;
    dms_cancel_gate *gate;
    pthread_mutex_t lock;
    size_t next;
    bool failed;
    int status[DMS_PLAN_MAX_SEGMENTS];
    dms_error err[DMS_PLAN_MAX_SEGMENTS];
} solve_work;

/* Segment s's goals: the best design within its budget with what explains
 * it, and the cheapest design reaching its target. */
static int solve_segment(solve_work *w, size_t s)
{
    dms_budget_segment_result *sr = &w->res->segments[s];
    dms_error *err = &w->err[s];
    if (sr->people == 0)
        return DMS_OK;
    int status = DMS_OK;
    if (!isnan(sr->target.budget_per_head) &&
        (status = solve_explained(w->table, w->request, s, sr, err)) != DMS_OK)
        return status;
    if (!isnan(sr->target.target_value))
        status = dms_budget_solve(w->table, s, DMS_BUDGET_CHEAPEST, sr->target.target_value,
                                  w->request->tolerance, &sr->reach, err);
    return status;
}

static void *solve_part(void *arg)
{
    solve_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t s = !w->failed && w->next < w->res->nsegments ? w->next++ : w->res->nsegments;
        pthread_mutex_unlock(&w->lock);
        if (s == w->res->nsegments)
            break;
        w->status[s] =
            dms_cancel_gate_stop(w->gate, &w->err[s]) ? DMS_ETOOBIG : solve_segment(w, s);
        if (w->status[s] != DMS_OK) {
            pthread_mutex_lock(&w->lock);
            w->failed = true;
            pthread_mutex_unlock(&w->lock);
        }
    }
    return NULL;
}

/*
 * Solves every segment, two at a time: a segment's searches read the table
 * (its weights are set before) and write only its own result, so the
 * answers do not depend on which thread took it. Segments are taken in
 * order, so all before a failed one have run and the first failure in
 * segment order is the one reported, whatever the timing.
 */
static int solve_segments(const dms_budget_table *table, const dms_budget_request *request,
                          dms_budget_result *res, dms_cancel_gate *gate, dms_progress *progress,
                          dms_error *err)
{
    solve_work *w = calloc(1, sizeof *w);
    if (w == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the budget solver");
    w->table = table;
    w->request = request;
    w->res = res;
    w->gate = gate;
    for (size_t s = 0; s < res->nsegments; s++)
        dms_error_clear(&w->err[s]);
    pthread_mutex_init(&w->lock, NULL);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = online < 1 ? 1 : (size_t)online;
    if (nthreads > SOLVE_THREADS)
        nthreads = SOLVE_THREADS;
    if (nthreads > res->nsegments)
        nthreads = res->nsegments;
    pthread_t threads[SOLVE_THREADS];
    bool started[SOLVE_THREADS] = {false};
    dms_progress_step(progress, 0.0, (double)res->nsegments);
    for (size_t t = 1; t < nthreads; t++)
        started[t] = pthread_create(&threads[t], NULL, solve_part, w) == 0;
    solve_part(w); /* a thread that could not start left its segments to this one */
    for (size_t t = 1; t < nthreads; t++)
        if (started[t])
            pthread_join(threads[t], NULL);
    pthread_mutex_destroy(&w->lock);
    dms_progress_step(progress, (double)res->nsegments, (double)res->nsegments);
    int status = DMS_OK;
    for (size_t s = 0; s < res->nsegments; s++)
        if (w->status[s] != DMS_OK) {
            status = w->status[s];
            *err = w->err[s];
            break;
        }
    free(w);
    return status;
}

int dms_budget_run(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                   const char *census_source, const dms_budget_request *request,
                   dms_budget_result **out, dms_diag *diag)
{
    return dms_budget_run_with(tariff, model, census, census_source, request, NULL, out, diag);
}

int dms_budget_run_with(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                        const char *census_source, const dms_budget_request *request,
                        const dms_budget_run_options *options, dms_budget_result **out,
                        dms_diag *diag)
{
    /* Shares of the whole run by stage, as measured on the 450-person
     * example (16.3 s pricing, 0.03 s solving, 1.5 s checking, loaded
     * machine): pricing the space dominates. */
    dms_progress *progress = options != NULL ? options->progress : NULL;
    *out = NULL;
    dms_error err;
    dms_error_clear(&err);
    dms_budget_table *table = NULL;
    dms_budget_result *res = calloc(1, sizeof *res);
    if (res == NULL)
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget result");
    dms_cancel_gate gate;
    gate_init(&gate, options);
    res->request = request;
    res->tariff = tariff;
    res->model = model;
    res->space_size = dms_budget_space_size(&request->space);
    res->nsegments = request->plan->nsegments;
    double t0 = now_seconds();
    dms_progress_part(progress, 0.0, 0.85, "pricing the design space");
    int status = table_alloc(tariff, model, request->plan, census, census_source, &request->space,
                             &gate, &table, diag);
    if (status != DMS_OK)
        goto out;
    res->cells = dms_budget_table_cells(table);
    double t1 = now_seconds();
    res->table_seconds = t1 - t0;
    dms_progress_part(progress, 0.85, 0.9, "solving each segment");
    for (size_t s = 0; s < res->nsegments; s++) {
        dms_budget_segment_result *sr = &res->segments[s];
        sr->segment = &request->plan->segments[s];
        sr->people = dms_budget_table_people(table, s);
        sr->target = request->targets[s];
        sr->census_profile = *dms_budget_table_profile(table, s);
        dms_budget_weights_resolve(request, s, &sr->census_profile, &sr->weights);
        if (dms_budget_table_set_weights(table, s, &sr->weights) != DMS_OK) {
            status = dms_diag_add_path(diag, DMS_EINTERNAL, NULL, "bad priorities");
            goto out;
        }
    }
    if ((status = solve_segments(table, request, res, &gate, progress, &err)) != DMS_OK)
        goto out_err;
    res->solve_seconds = now_seconds() - t1;
    res->within_plan = goal_plan(request, res, true);
    res->reach_plan = goal_plan(request, res, false);
    if (res->within_plan == NULL || res->reach_plan == NULL) {
        status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a plan");
        goto out;
    }
    dms_progress_part(progress, 0.9, 0.95, "checking the designs within budget");
    {
        /* Both plans' quotes at once: together they keep both cores busy. */
        const dms_plan *plans[2] = {res->within_plan, res->reach_plan};
        dms_budget_sensitivity *sens = malloc(2 * sizeof *sens);
        if (sens == NULL) {
            status = dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a budget result");
            goto out;
        }
        status =
            sensitivity_many(tariff, model, plans, 2, census, census_source, &gate, sens, diag);
        res->within_sensitivity = sens[0];
        res->reach_sensitivity = sens[1];
        free(sens);
        if (status != DMS_OK ||
            (status = verify(res, &res->within_sensitivity, true, diag)) != DMS_OK)
            goto out;
        dms_progress_part(progress, 0.95, 1.0, "checking the designs reaching the target");
        if ((status = verify(res, &res->reach_sensitivity, false, diag)) != DMS_OK)
            goto out;
    }
    dms_progress_finish(progress);
    *out = res;
    res = NULL;
    goto out;
out_err:
    dms_diag_add(diag, &err);
out:
    dms_cancel_gate_destroy(&gate);
    dms_budget_table_free(table);
    dms_budget_result_free(res);
    return status;
}

/* -------------------------------------------------------------- compare */

int dms_budget_compare(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                       const char *census_source, const dms_plan *const *plans, size_t nplans,
                       dms_budget_comparison *out, dms_diag *diag)
{
    return dms_budget_compare_with(tariff, model, census, census_source, plans, nplans, NULL, out,
                                   diag);
}

int dms_budget_compare_with(const dms_tariff *tariff, const dms_model *model,
                            const dms_census *census, const char *census_source,
                            const dms_plan *const *plans, size_t nplans,
                            const dms_budget_run_options *options, dms_budget_comparison *out,
                            dms_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (nplans < 2 || nplans > DMS_BUDGET_MAX_PLANS)
        return dms_diag_add_path(diag, DMS_EINVAL, "/plans", "compare two to four plans (got %zu)",
                                 nplans);
    out->nplans = nplans;
    for (size_t i = 0; i < nplans; i++)
        out->plans[i] = plans[i];
    dms_cancel_gate gate;
    gate_init(&gate, options);
    int status = sensitivity_many(tariff, model, plans, nplans, census, census_source, &gate,
                                  out->results, diag);
    dms_cancel_gate_destroy(&gate);
    return status;
}
