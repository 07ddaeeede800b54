/*
 * POST /v1/budgets, /v1/compare, /v1/funding, /v1/crisis, /v1/bank/price
 * and /v1/bank/projection:
 * decode the body (census inline as for /v1/quotes, the rest with the core's
 * own loaders under a JSON Pointer prefix), run the core, reply with the
 * encoders the CLI prints. Nothing here computes.
 */
#include <stdlib.h>
#include <string.h>

#include "dms/api_quote.h"
#include "dms/bank.h"
#include "dms/budget.h"
#include "dms/crisis.h"
#include "dms/funding.h"
#include "dms/jsonread.h"
#include "jobs.h"
#include "routes.h"

#define MAX_BUDGET_PEOPLE 20000 /* a budget run prices a whole design space */

/*
 * Seconds a budget run is expected to take, from its work: pricing is
 * people x networks x module options. Calibrated on this 2-core machine
 * (startup-60 with startup-young-2026.json: 1.3 s of CPU for 60 people),
 * generous rather than tight: a run wrongly made a job costs the client a
 * poll, one wrongly kept synchronous may hit the request deadline.
 */
#define BUDGET_SECONDS_PER_UNIT 2.0e-5

/* The tariff (corporate) and model a body names, or the defaults. */
static int pick_corporate(const dms_api_request *req, const char *tariff_id, const char *model_id,
                          const dms_tariff **tariff, const dms_model **model, dms_error *err)
{
    *tariff = dms_api_catalog_tariff(req->catalog, tariff_id);
    if (*tariff == NULL)
        return dms_error_set(err, DMS_EINVAL, "/tariff",
                             "no tariff '%s' is loaded (GET /v1/tariffs)", tariff_id);
    *model = model_id[0] != '\0' ? dms_api_catalog_model(req->catalog, model_id)
                                 : dms_api_catalog_model_by_version(req->catalog, (*tariff)->model);
    if (*model == NULL)
        return dms_error_set(err, DMS_EINVAL, "/model", "no model '%s' is loaded (GET /v1/models)",
                             model_id[0] != '\0' ? model_id : (*tariff)->model);
    return DMS_OK;
}

/* Replies with json, or with the first fault of diag (or err). */
static void reply(dms_api_response *resp, json_t *json, const dms_diag *diag, dms_error *err)
{
    if (json != NULL) {
        dms_api_response_json(resp, 200, json);
        return;
    }
    if (err->code == DMS_OK)
        dms_diag_first(diag, err);
    if (err->code == DMS_OK)
        dms_error_set(err, DMS_EINTERNAL, NULL, "no result and no reason");
    dms_api_response_error(resp, dms_api_http_status(err->code), err, NULL);
}

/* Common head of the budget and compare bodies: tariff, model, census. */
struct census_body {
    json_t *root;
    dms_jsonread r;
    char tariff[64], model[64];
    dms_census *census;
};

static int read_census_body(const dms_api_request *req, struct census_body *b, dms_error *err)
{
    memset(b, 0, sizeof *b);
    int status = dms_json_parse_text(req->body, req->body_len, &b->root, err);
    if (status != DMS_OK)
        return status;
    dms_jsonread_init(&b->r, b->root, NULL, err);
    dms_jsonread_expect(&b->r, DMS_JSON_OBJECT);
    dms_jsonread_string_buf_opt(&b->r, "tariff", b->tariff, sizeof b->tariff);
    dms_jsonread_string_buf_opt(&b->r, "model", b->model, sizeof b->model);
    if ((status = dms_jsonread_status(&b->r)) != DMS_OK)
        return status;
    return dms_api_decode_census(&b->r, &b->census, err);
}

static void free_census_body(struct census_body *b)
{
    dms_census_free(b->census);
    json_decref(b->root);
}

/*
 * Reads a census body with a "plan" object and picks its corporate tariff
 * and model. False (err set) when any is missing or wrong; b is to be freed
 * with free_census_body either way.
 */
static bool read_plan_body(const dms_api_request *req, struct census_body *b,
                           const dms_tariff **tariff, const dms_model **model, dms_plan **plan,
                           dms_error *err)
{
    if (read_census_body(req, b, err) != DMS_OK ||
        pick_corporate(req, b->tariff, b->model, tariff, model, err) != DMS_OK)
        return false;
    if (dms_jsonread_enter(&b->r, "plan", DMS_JSON_OBJECT) == DMS_OK) {
        dms_plan_load_json(dms_jsonread_current(&b->r), "/plan", plan, err);
        dms_jsonread_allow_other_keys(&b->r); /* the plan loader checked them */
        dms_jsonread_leave(&b->r);
    }
    return *plan != NULL;
}

/* A diagnostics list for a run; false (err set to DMS_ENOMEM) without memory. */
static bool new_diag(dms_diag **diag, dms_error *err)
{
    if (dms_diag_alloc(0, diag) == DMS_OK)
        return true;
    dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    return false;
}

static double budget_seconds(const dms_census *census, const dms_budget_request *request)
{
    double options = 0;
    for (size_t m = 0; m < request->space.nmodules; m++)
        options += (double)request->space.modules[m].noptions;
    return (double)census->count * (double)request->space.nnetworks * options *
           BUDGET_SECONDS_PER_UNIT;
}

/* A budget run and what it needs, owned (run on a job's thread or inline). */
struct budget_work {
    dms_api_catalog *catalog; /* a reference: keeps tariff and model alive */
    const dms_tariff *tariff;
    const dms_model *model;
    dms_census *census;
    dms_budget_request *request;
};

static void budget_work_free(struct budget_work *w)
{
    dms_budget_request_free(w->request);
    dms_census_free(w->census);
    dms_api_catalog_unref(w->catalog);
    free(w);
}

/* Runs the budget and answers resp as POST /v1/budgets does; frees w. */
static void run_budget(void *arg, bool (*cancelled)(void *ctx), void *cancel_ctx,
                       dms_progress *progress, dms_api_response *resp)
{
    struct budget_work *w = arg;
    dms_error err;
    dms_error_clear(&err);
    dms_budget_result *result = NULL;
    dms_diag *diag = NULL;
    json_t *out = NULL;
    dms_budget_run_options options = {
        .progress = progress, .cancelled = cancelled, .cancel_ctx = cancel_ctx};
    if (dms_diag_alloc(0, &diag) != DMS_OK)
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
    else if (dms_budget_run_with(w->tariff, w->model, w->census, "census", w->request, &options,
                                 &result, diag) == DMS_OK)
        out = dms_report_budget(result, &err);
    reply(resp, out, diag, &err);
    dms_budget_result_free(result);
    dms_diag_free(diag);
    budget_work_free(w);
}

void dms_api_handle_budgets(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct census_body b;
    dms_budget_request *request = NULL;
    const dms_tariff *tariff;
    const dms_model *model;
    if (read_census_body(req, &b, &err) != DMS_OK ||
        pick_corporate(req, b.tariff, b.model, &tariff, &model, &err) != DMS_OK)
        goto fail;
    if (b.census->count > MAX_BUDGET_PEOPLE) {
        dms_error_set(&err, DMS_EINVAL, "/census",
                      "a budget run prices the whole design space: at most %d people per "
                      "request (use dmsrate budget for larger groups)",
                      MAX_BUDGET_PEOPLE);
        goto fail;
    }
    if (dms_jsonread_enter(&b.r, "budgets", DMS_JSON_OBJECT) == DMS_OK) {
        dms_budget_request_load_json(dms_jsonread_current(&b.r), "/budgets", tariff, &request,
                                     &err);
        dms_jsonread_allow_other_keys(&b.r); /* the budgets loader checked them */
        dms_jsonread_leave(&b.r);
    }
    if (dms_jsonread_finish(&b.r) != DMS_OK || request == NULL)
        goto fail;
    struct budget_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto fail;
    }
    *w = (struct budget_work){dms_api_catalog_ref(req->catalog), tariff, model, b.census, request};
    b.census = NULL;
    request = NULL;
    int wanted = dms_api_job_wanted(req);
    bool job = wanted == 1 ||
               (wanted == -1 && budget_seconds(w->census, w->request) > DMS_API_JOB_SECONDS);
    if (!job)
        run_budget(w, req->cancelled, req->cancel_ctx, NULL, resp);
    else if (!dms_api_job_start(req, run_budget, w, resp))
        budget_work_free(w);
    free_census_body(&b);
    return;
fail:
    reply(resp, NULL, NULL, &err);
    dms_budget_request_free(request);
    free_census_body(&b);
}

void dms_api_handle_compare(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct census_body b;
    dms_plan *plans[DMS_BUDGET_MAX_PLANS] = {NULL};
    size_t nplans = 0;
    dms_budget_comparison cmp;
    bool compared = false;
    dms_diag *diag = NULL;
    json_t *out = NULL;
    const dms_tariff *tariff;
    const dms_model *model;
    if (read_census_body(req, &b, &err) != DMS_OK ||
        pick_corporate(req, b.tariff, b.model, &tariff, &model, &err) != DMS_OK)
        goto done;
    if (dms_jsonread_enter(&b.r, "plans", DMS_JSON_ARRAY) == DMS_OK &&
        dms_jsonread_length(&b.r, 2, DMS_BUDGET_MAX_PLANS, &nplans) == DMS_OK) {
        for (size_t i = 0; i < nplans; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/plans/%zu", i);
            if (dms_plan_load_json(json_array_get(dms_jsonread_current(&b.r), i), prefix, &plans[i],
                                   &err) != DMS_OK) {
                nplans = i;
                break;
            }
        }
        dms_jsonread_allow_other_keys(&b.r);
        dms_jsonread_leave(&b.r);
    }
    if (dms_jsonread_finish(&b.r) != DMS_OK || err.code != DMS_OK)
        goto done;
    if (!new_diag(&diag, &err))
        goto done;
    dms_budget_run_options options = {.cancelled = req->cancelled, .cancel_ctx = req->cancel_ctx};
    compared =
        dms_budget_compare_with(tariff, model, b.census, "census", (const dms_plan *const *)plans,
                                nplans, &options, &cmp, diag) == DMS_OK;
    if (compared)
        out = dms_report_budget_compare(&cmp, &err);
done:
    reply(resp, out, diag, &err);
    for (size_t i = 0; i < DMS_BUDGET_MAX_PLANS; i++)
        dms_plan_free(plans[i]);
    dms_diag_free(diag);
    free_census_body(&b);
}

/* {census, plan, admin_fee_per_head?, admin_share?, stop_loss?}: payment models. */
void dms_api_handle_funding(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct census_body b;
    dms_plan *plan = NULL;
    dms_diag *diag = NULL;
    json_t *out = NULL;
    const dms_tariff *tariff;
    const dms_model *model;
    dms_funding_terms terms = dms_funding_terms_default();
    dms_funding_result res;
    if (!read_plan_body(req, &b, &tariff, &model, &plan, &err) ||
        dms_funding_terms_read(&b.r, &terms) != DMS_OK || dms_jsonread_finish(&b.r) != DMS_OK)
        goto done;
    if (!new_diag(&diag, &err))
        goto done;
    dms_funding_run_options options = {.cancelled = req->cancelled, .cancel_ctx = req->cancel_ctx};
    if (dms_funding_run_with(tariff, model, plan, b.census, "census", &terms, &options, &res,
                             diag) == DMS_OK)
        out = dms_report_funding(&res, &err);
done:
    reply(resp, out, diag, &err);
    dms_plan_free(plan);
    dms_diag_free(diag);
    free_census_body(&b);
}

/* {census, plan, from, months, frequency_shock?, add_modules?}: crisis endorsement. */
void dms_api_handle_crisis(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct census_body b;
    dms_plan *plan = NULL;
    dms_diag *diag = NULL;
    json_t *out = NULL;
    const dms_tariff *tariff;
    const dms_model *model;
    dms_crisis_terms terms;
    dms_crisis_result res;
    if (!read_plan_body(req, &b, &tariff, &model, &plan, &err) ||
        dms_crisis_terms_read(&b.r, &terms) != DMS_OK || dms_jsonread_finish(&b.r) != DMS_OK)
        goto done;
    if (!new_diag(&diag, &err))
        goto done;
    dms_crisis_price_options options = {.cancelled = req->cancelled, .cancel_ctx = req->cancel_ctx};
    if (dms_crisis_price_with(tariff, model, plan, b.census, "census", &terms, &options, &res,
                              diag) == DMS_OK)
        out = dms_report_crisis(&res, &err);
done:
    reply(resp, out, diag, &err);
    dms_plan_free(plan);
    dms_diag_free(diag);
    free_census_body(&b);
}

/* The bank tariff (and its model) a body names: {"tariff": id, ...}. */
static int bank_inputs(const dms_api_request *req, json_t **root, dms_jsonread *r,
                       const dms_bank_tariff **tariff, const dms_model **model, dms_error *err)
{
    char id[64] = "";
    int status = dms_json_parse_text(req->body, req->body_len, root, err);
    if (status != DMS_OK)
        return status;
    dms_jsonread_init(r, *root, NULL, err);
    dms_jsonread_expect(r, DMS_JSON_OBJECT);
    dms_jsonread_string_buf_opt(r, "tariff", id, sizeof id);
    if ((status = dms_jsonread_status(r)) != DMS_OK)
        return status;
    *tariff = dms_api_catalog_bank_tariff(req->catalog, id);
    if (*tariff == NULL)
        return dms_error_set(err, DMS_EINVAL, "/tariff",
                             "no bank card tariff '%s' is loaded (GET /v1/tariffs)", id);
    *model = dms_api_catalog_model_by_version(req->catalog, (*tariff)->model);
    if (*model == NULL)
        return dms_error_set(err, DMS_EINVAL, "/tariff",
                             "the model '%s' of tariff '%s' is not loaded", (*tariff)->model, id);
    return DMS_OK;
}

void dms_api_handle_bank_price(const dms_api_request *req, const dms_api_hooks *hooks,
                               dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *root = NULL, *out = NULL;
    dms_jsonread r;
    const dms_bank_tariff *tariff;
    const dms_model *model;
    dms_bank_price price;
    if (bank_inputs(req, &root, &r, &tariff, &model, &err) == DMS_OK &&
        dms_jsonread_finish(&r) == DMS_OK &&
        dms_bank_price_compute(tariff, model, &price, &err) == DMS_OK)
        out = dms_report_bank_price(tariff, &price, &err);
    reply(resp, out, NULL, &err);
    json_decref(root);
}

void dms_api_handle_bank_projection(const dms_api_request *req, const dms_api_hooks *hooks,
                                    dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *root = NULL, *out = NULL;
    dms_jsonread r;
    const dms_bank_tariff *tariff;
    const dms_model *model;
    dms_bank_price price;
    dms_bank_projection_args args = dms_bank_projection_args_default();
    dms_bank_projection *projection = calloc(1, sizeof *projection);
    if (projection == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto done;
    }
    if (bank_inputs(req, &root, &r, &tariff, &model, &err) != DMS_OK)
        goto done;
    if (dms_jsonread_enter(&r, "projection", DMS_JSON_OBJECT) == DMS_OK) {
        dms_bank_projection_args_load_json(dms_jsonread_current(&r), "/projection", &args, &err);
        dms_jsonread_allow_other_keys(&r);
        dms_jsonread_leave(&r);
    }
    if (dms_jsonread_finish(&r) == DMS_OK && err.code == DMS_OK &&
        dms_bank_price_compute(tariff, model, &price, &err) == DMS_OK &&
        dms_bank_projection_compute(tariff, &price, &args, projection, &err) == DMS_OK)
        out = dms_report_bank_projection(tariff, projection, &err);
done:
    reply(resp, out, NULL, &err);
    free(projection);
    json_decref(root);
}
