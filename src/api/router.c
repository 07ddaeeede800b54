/*
 * The route table of the HTTP API and the handlers behind it. Everything
 * here is transport-independent: a handler gets the decoded request (path,
 * body, the catalog snapshot the request holds) and fills a status and a
 * body. Adding a route is one line in the table. Handlers are thin: decode,
 * call the core, encode with the shared encoders of report.h.
 */
#include "dms/api.h"
#include "dms/api_quote.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/enrol_store.h"
#include "dms/report.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
#include "jobs.h"
#include "routes_picker.h"

typedef void (*handler_fn)(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp);

static void handle_health(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_metrics(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_models(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_model(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_tariffs(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_tariff(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_aggregate(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_reload(const dms_api_request *, const dms_api_hooks *, dms_api_response *);
static void handle_quote(const dms_api_request *, const dms_api_hooks *, dms_api_response *);

/* Media types a route takes as a body; NULL: no body expected. */
static const char *const json_only[] = {"application/json", NULL};
/* The register takes one change as JSON or the insurer's template as CSV or XLSX. */
static const char *const register_types[] = {
    "application/json",
    "text/csv",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
    NULL};

/* A payment as JSON, or a bank statement as CSV or 1CClientBankExchange text. */
static const char *const statement_types[] = {"application/json", "text/csv", "text/plain",
                                              "application/octet-stream", NULL};

/* A reimbursement document: its type is checked by content whatever is declared. */
static const char *const document_types[] = {
    "application/pdf",          "image/jpeg", "image/png", "application/json",
    "application/octet-stream", NULL};

static const struct route {
    const char *method;  /* "GET" routes answer HEAD too */
    const char *pattern; /* "{id}" matches one path segment */
    handler_fn handler;
    const char *const *accepts;
} routes[] = {
    {"GET", "/healthz", handle_health, NULL},
    {"GET", "/metrics", handle_metrics, NULL},
    {"GET", "/v1/models", handle_models, NULL},
    {"GET", "/v1/models/{id}", handle_model, NULL},
    {"GET", "/v1/tariffs", handle_tariffs, NULL},
    {"GET", "/v1/tariffs/{id}", handle_tariff, NULL},
    {"POST", "/v1/aggregate", handle_aggregate, json_only},
    {"POST", "/v1/quotes", handle_quote, json_only},
    {"POST", "/v1/budgets", dms_api_handle_budgets, json_only},
    {"GET", "/v1/jobs/{id}", dms_api_job_show, NULL},
    {"DELETE", "/v1/jobs/{id}", dms_api_job_cancel, NULL},
    {"POST", "/v1/compare", dms_api_handle_compare, json_only},
    {"POST", "/v1/funding", dms_api_handle_funding, json_only},
    {"POST", "/v1/crisis", dms_api_handle_crisis, json_only},
    {"POST", "/v1/bank/price", dms_api_handle_bank_price, json_only},
    {"POST", "/v1/bank/projection", dms_api_handle_bank_projection, json_only},
    {"POST", "/v1/reports/{id}", dms_api_handle_report, json_only},
    {"POST", "/v1/admin/reload", handle_reload, NULL},
    /* tenants (routes_tenants.c) */
    {"GET", "/v1/employers", dms_api_employers_list, NULL},
    {"POST", "/v1/employers", dms_api_employers_create, json_only},
    {"GET", "/v1/employers/{id}", dms_api_employer_show, NULL},
    {"GET", "/v1/keys", dms_api_keys_list, NULL},
    {"POST", "/v1/keys/{id}/revoke", dms_api_key_revoke, NULL},
    /* the register of insured people (routes_register.c) */
    {"GET", "/v1/register", dms_api_register_list, NULL},
    {"GET", "/v1/register/{id}", dms_api_register_person, NULL},
    {"POST", "/v1/register", dms_api_register_changes, register_types},
    {"GET", "/v1/exports/register.csv", dms_api_register_csv, NULL},
    {"GET", "/v1/exports/register.xlsx", dms_api_register_xlsx, NULL},
    {"GET", "/v1/exports/register-changes.csv", dms_api_register_changes_csv, NULL},
    {"GET", "/v1/exports/register-changes.xlsx", dms_api_register_changes_xlsx, NULL},
    {"GET", "/v1/exports/insured.csv", dms_api_insured_csv, NULL},
    {"GET", "/v1/exports/insured.xlsx", dms_api_insured_xlsx, NULL},
    /* payments and reconciliation (routes_finance.c) */
    {"GET", "/v1/finance/contract", dms_api_finance_contract_get, NULL},
    {"PUT", "/v1/finance/contract", dms_api_finance_contract_put, json_only},
    {"GET", "/v1/finance/invoices", dms_api_finance_invoices, NULL},
    {"POST", "/v1/finance/invoices", dms_api_finance_issue, NULL},
    {"GET", "/v1/finance/payments", dms_api_finance_payments, NULL},
    {"POST", "/v1/finance/payments", dms_api_finance_pay, statement_types},
    {"GET", "/v1/finance/accruals", dms_api_finance_accruals, NULL},
    {"GET", "/v1/finance/debts", dms_api_finance_debts, NULL},
    {"GET", "/v1/exports/reconciliation.csv", dms_api_finance_act_csv, NULL},
    {"GET", "/v1/exports/reconciliation.xlsx", dms_api_finance_act_xlsx, NULL},
    /* reimbursement requests (routes_reimb.c) */
    {"POST", "/v1/me/requests", dms_api_me_requests_create, json_only},
    {"GET", "/v1/me/requests", dms_api_requests_list, NULL},
    {"POST", "/v1/me/requests/{id}/documents", dms_api_request_attach, document_types},
    {"GET", "/v1/me/requests/{id}/documents", dms_api_request_documents, NULL},
    {"POST", "/v1/requests", dms_api_requests_create, json_only},
    {"GET", "/v1/requests", dms_api_requests_list, NULL},
    {"GET", "/v1/request-counts", dms_api_requests_summary, NULL},
    {"GET", "/v1/requests/{id}", dms_api_request_show, NULL},
    {"GET", "/v1/requests/{id}/documents", dms_api_request_documents, NULL},
    {"POST", "/v1/requests/{id}/documents", dms_api_request_attach, document_types},
    {"POST", "/v1/requests/{id}/status", dms_api_request_status, json_only},
    {"GET", "/v1/exports/requests.csv", dms_api_requests_report, NULL},
    /* notifications (routes_reimb.c) */
    {"GET", "/v1/me/notifications", dms_api_notifications, NULL},
    {"GET", "/v1/notifications", dms_api_notifications, NULL},
    {"GET", "/v1/notification-log", dms_api_notifications_log, NULL},
    /* the employee module picker (routes_picker.c; roles in auth.c) */
    {"GET", "/v1/employer", dms_api_employer_get, NULL},
    {"POST", "/v1/employer", dms_api_employer_import, json_only},
    {"GET", "/v1/me/offer", dms_api_me_offer, NULL},
    {"POST", "/v1/me/recommendation", dms_api_me_recommendation, json_only},
    {"POST", "/v1/me/sets", dms_api_me_sets, json_only},
    {"GET", "/v1/me/election", dms_api_me_election_get, NULL},
    {"PUT", "/v1/me/election", dms_api_me_election_put, json_only},
    {"POST", "/v1/me/election/submit", dms_api_me_election_submit, NULL},
    {"GET", "/v1/me/election/history", dms_api_me_election_history, NULL},
    {"POST", "/v1/me/life-events", dms_api_me_life_event, json_only},
    {"GET", "/v1/elections", dms_api_elections_list, NULL},
    {"GET", "/v1/elections/{id}", dms_api_election_show, NULL},
    {"POST", "/v1/elections/{id}/life-events", dms_api_election_life_event, json_only},
    {"POST", "/v1/status-changes", dms_api_status_changes, json_only},
    {"GET", "/v1/exports/payroll.csv", dms_api_export_payroll, NULL},
    {"GET", "/v1/exports/attach-list.csv", dms_api_export_attach, NULL},
    {"GET", "/v1/departments/{id}/summary", dms_api_department_summary, NULL},
    {"GET", "/v1/totals", dms_api_totals, NULL},
};

#define NROUTES (sizeof routes / sizeof routes[0])

size_t dms_api_route_count(void)
{
    return NROUTES;
}

const char *dms_api_route_pattern(size_t route)
{
    return route < NROUTES ? routes[route].pattern : "unmatched";
}

const char *dms_api_route_method(size_t route)
{
    return route < NROUTES ? routes[route].method : "";
}

/* Matches path against pattern; the {id} segment goes to param. */
static bool match(const char *pattern, const char *path, char *param, size_t param_size)
{
    while (*pattern != '\0') {
        if (strncmp(pattern, "{id}", 4) == 0) {
            size_t len = strcspn(path, "/");
            if (len == 0)
                return false;
            if (param != NULL && param_size > 0)
                snprintf(param, param_size, "%.*s", (int)len, path);
            pattern += 4;
            path += len;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *path == '\0';
}

static bool method_allowed(const struct route *r, const char *method)
{
    return strcmp(method, r->method) == 0 ||
           (strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/*
 * The employer of a path "/v1/employers/{N}/REST" (N > 0) and, in *rest, the
 * route path it stands for ("/v1/REST"; a buffer of rest_size bytes). 0 when
 * the path has no such prefix or REST is empty or itself under /employers.
 */
static long employer_prefix(const char *path, char *rest, size_t rest_size)
{
    static const char prefix[] = "/v1/employers/";
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *p = path + sizeof prefix - 1;
    long id = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 12) {
        id = id * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || id <= 0 || *p != '/' || p[1] == '\0' || strncmp(p, "/employers", 10) == 0)
        return 0;
    if (rest != NULL && (size_t)snprintf(rest, rest_size, "/v1%s", p) >= rest_size)
        return 0;
    return id;
}

long dms_api_path_employer(const char *path)
{
    char rest[512];
    return path != NULL ? employer_prefix(path, rest, sizeof rest) : 0;
}

int dms_api_route_find(const char *method, const char *path, bool *allowed, char *allow,
                       size_t allow_size, char *param, size_t param_size)
{
    /* /v1/employers/{N}/... is every route of /v1/... for employer N. */
    char rest[512];
    if (employer_prefix(path, rest, sizeof rest) > 0)
        path = rest;
    int found = DMS_API_ROUTE_NONE;
    bool ok = false;
    size_t allow_len = 0;
    if (allow != NULL && allow_size > 0)
        allow[0] = '\0';
    if (param != NULL && param_size > 0)
        param[0] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, path, param, param_size))
            continue;
        if (found == DMS_API_ROUTE_NONE || method_allowed(&routes[i], method))
            found = (int)i;
        ok = ok || method_allowed(&routes[i], method);
        if (allow != NULL && allow_len < allow_size) {
            const char *m = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
            allow_len += (size_t)snprintf(allow + allow_len, allow_size - allow_len, "%s%s",
                                          allow_len > 0 ? ", " : "", m);
        }
    }
    if (allowed != NULL)
        *allowed = ok;
    return found;
}

unsigned dms_api_route_roles(size_t route)
{
    return route < NROUTES ? dms_api_access_roles(routes[route].method, routes[route].pattern) : 0;
}

bool dms_api_route_has_body(size_t route)
{
    return route < NROUTES && routes[route].accepts != NULL;
}

bool dms_api_route_accepts(size_t route, const char *content_type)
{
    if (route >= NROUTES || routes[route].accepts == NULL)
        return true;
    if (content_type == NULL)
        return false;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t len = strcspn(content_type, "; \t");
    for (const char *const *t = routes[route].accepts; *t != NULL; t++)
        if (strlen(*t) == len && strncasecmp(*t, content_type, len) == 0)
            return true;
    return false;
}

static void reply_status(dms_api_response *resp, int status, const dms_error *err)
{
    dms_api_response_error(resp, dms_api_http_status(status), err, NULL);
}

/*
 * The employer a keyed request acts for: the key's own for employee, hr,
 * manager and finance keys; the /v1/employers/{N}/ prefix for broker and
 * insurer keys (a broker bound to one employer may leave it out). A prefix
 * naming an employer outside the key's scope is answered like an employer
 * that does not exist (404), so a key learns nothing of other tenants.
 * 0 (no employer) leaves every employer-scoped read empty.
 */
static bool resolve_employer(const dms_api_request *req, const dms_enrol_principal *who,
                             long *employer, dms_error *err)
{
    long named = dms_api_path_employer(req->path);
    *employer = 0;
    if (named > 0 && !dms_tenant_key_allows(req->store, who, named)) {
        dms_error_set(err, DMS_ENOTFOUND, NULL, "no employer %ld", named);
        return false;
    }
    if (named > 0)
        *employer = named;
    else if (who->role == DMS_ROLE_BROKER)
        *employer = dms_tenant_key_single_employer(req->store, who->key_id);
    else if (who->role != DMS_ROLE_INSURER)
        *employer = who->employer;
    return true;
}

static void dispatch(size_t route, const dms_api_request *req, const dms_api_hooks *hooks,
                     dms_api_response *resp)
{
    dms_store_tenant_set(req->store, 0);
    resp->status = 500;
    resp->body = NULL;
    resp->body_len = 0;
    resp->content_type = "application/json";
    resp->reload = false;
    if (route >= NROUTES) {
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no route");
        reply_status(resp, DMS_ENOTFOUND, &err);
        return;
    }
    unsigned roles = dms_api_route_roles(route);
    if (roles == 0) {
        routes[route].handler(req, hooks, resp);
        return;
    }
    /* Keyed route: 401 without a valid key, 403 for a role not allowed here. */
    dms_error err;
    dms_error_clear(&err);
    dms_enrol_principal who;
    if (req->principal != NULL)
        who = *req->principal; /* authenticated on these headers by the caller */
    else if (dms_api_authenticate(req, &who, &err) != DMS_OK) {
        reply_status(resp, err.code == DMS_EUNAUTH ? DMS_EUNAUTH : err.code, &err);
        return;
    }
    if ((roles & DMS_ROLE_BIT(who.role)) == 0) {
        dms_error_set(&err, DMS_EFORBIDDEN, NULL, "role %s may not %s %s", dms_role_name(who.role),
                      routes[route].method, routes[route].pattern);
        reply_status(resp, DMS_EFORBIDDEN, &err);
        return;
    }
    long employer = 0;
    if (!resolve_employer(req, &who, &employer, &err)) {
        reply_status(resp, err.code, &err);
        return;
    }
    if (employer == 0 && dms_api_access_employer(routes[route].method, routes[route].pattern)) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL,
                      "no employer: a %s key names one in the path, /v1/employers/{id}%s",
                      dms_role_name(who.role),
                      strncmp(req->path, "/v1/", 4) == 0 ? req->path + 3 : "/...");
        reply_status(resp, DMS_ENOTFOUND, &err);
        return;
    }
    dms_api_request keyed = *req;
    keyed.principal = &who;
    dms_store_tenant_set(req->store, employer);
    routes[route].handler(&keyed, hooks, resp);
    dms_store_tenant_set(req->store, 0);
}

void dms_api_dispatch(size_t route, const dms_api_request *req, const dms_api_hooks *hooks,
                      dms_api_response *resp)
{
    dispatch(route, req, hooks, resp);
    dms_api_response_localize(resp, req->accept_language);
}

/* ---- handlers ------------------------------------------------------------ */

/* GET /healthz: the parts a pricing request needs, each "ok" or what is
 * wrong; 503 when any is down, so a balancer stops sending traffic. */
static void handle_health(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    bool down = false;
    const char *catalog = "ok";
    /* A static-pages-only server (no catalog asked for) is not down for lack of one. */
    char catalog_fault[DMS_ERROR_MESSAGE_MAX + 8];
    if (hooks != NULL && hooks->catalog_required &&
        dms_api_catalog_check(req->catalog, &err) != DMS_OK) {
        snprintf(catalog_fault, sizeof catalog_fault, "down: %s", err.message);
        catalog = catalog_fault;
        down = true;
    }
    dms_error_clear(&err);
    char store[DMS_ERROR_MESSAGE_MAX + 8] = "none";
    if (hooks != NULL && hooks->store_health != NULL) {
        if (hooks->store_health(hooks->ctx, req, &err) == DMS_OK) {
            snprintf(store, sizeof store, "ok");
        } else {
            snprintf(store, sizeof store, "down: %s", err.message);
            down = true;
        }
    }
    dms_api_response_json(resp, down ? 503 : 200,
                          json_pack("{s:s, s:{s:s, s:s}, s:I, s:s, s:s}", "status",
                                    down ? "down" : "ok", "checks", "store", store, "catalog",
                                    catalog, "generation",
                                    (json_int_t)dms_api_catalog_generation(req->catalog), "models",
                                    dms_api_catalog_models_version(req->catalog), "tariffs",
                                    dms_api_catalog_tariffs_version(req->catalog)));
}

static void handle_metrics(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)req;
    char *text = NULL;
    size_t len = 0;
    int status = hooks != NULL && hooks->metrics != NULL ? hooks->metrics(hooks->ctx, &text, &len)
                                                         : DMS_ENOTFOUND;
    if (status != DMS_OK) {
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, status, NULL, "metrics are not available");
        reply_status(resp, status, &err);
        return;
    }
    resp->status = 200;
    resp->body = text;
    resp->body_len = len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void list(const dms_api_request *req, bool tariffs, dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    json_t *out = dms_api_catalog_list(req->catalog, tariffs, &err);
    if (out == NULL)
        reply_status(resp, err.code, &err);
    else
        dms_api_response_json(resp, 200, out);
}

static void show(const dms_api_request *req, bool tariffs, dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    json_t *out = dms_api_catalog_show(req->catalog, tariffs, req->param, &err);
    if (out == NULL)
        reply_status(resp, err.code, &err);
    else
        dms_api_response_json(resp, 200, out);
}

static void handle_models(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    (void)hooks;
    list(req, false, resp);
}

static void handle_model(const dms_api_request *req, const dms_api_hooks *hooks,
                         dms_api_response *resp)
{
    (void)hooks;
    show(req, false, resp);
}

static void handle_tariffs(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    list(req, true, resp);
}

static void handle_tariff(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    (void)hooks;
    show(req, true, resp);
}

static void handle_aggregate(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_aggregate_spec spec;
    dms_aggdist *dist = NULL;
    int status = dms_api_decode_aggregate(req->body, req->body_len, req->limits, &spec, &err);
    spec.cancelled = req->cancelled;
    spec.cancel_ctx = req->cancel_ctx;
    if (status == DMS_OK)
        status = dms_aggregate_compute(&spec, &dist, &err);
    json_t *report = status == DMS_OK ? dms_report_aggregate(&spec, dist, &err) : NULL;
    if (report == NULL) {
        if (status == DMS_OK)
            status = err.code != DMS_OK ? err.code : DMS_ENOMEM;
        reply_status(resp, status, &err);
    } else {
        dms_api_response_json(resp, 200, report);
    }
    dms_aggdist_free(dist);
}

static void handle_reload(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    (void)req;
    dms_error err;
    dms_error_clear(&err);
    unsigned long generation = 0;
    if (hooks == NULL || hooks->reload == NULL) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "reload is not available");
        reply_status(resp, DMS_ENOTFOUND, &err);
        return;
    }
    int status = hooks->reload(hooks->ctx, &generation, &err);
    if (status != DMS_OK) {
        /* The files on disk are at fault, not the request: the old set stays. */
        dms_api_response_error(resp, 409, &err, "reload_failed");
        return;
    }
    dms_api_response_json(
        resp, 200,
        json_pack("{s:s, s:I}", "status", "reloaded", "generation", (json_int_t)generation));
}

/* POST /v1/quotes: the group quote under the tariff and model of this
 * request's catalog snapshot (the tariff's own model unless one is named). */
/*
 * Seconds of rating per person x module, to decide when a quote becomes a
 * job: the issue 17 baseline (100,000 people, 8 modules, 0.65 s with
 * percentiles on this machine), doubled for a loaded server.
 */
#define QUOTE_SECONDS_PER_CELL_PERCENTILES 1.6e-6
#define QUOTE_SECONDS_PER_CELL 0.8e-6

/* A decoded quote and the catalog snapshot its tariff and model live in. */
struct quote_work {
    dms_api_catalog *catalog; /* a reference */
    const dms_tariff *tariff;
    const dms_model *model;
    dms_api_quote_request q;
};

static void quote_work_free(struct quote_work *w)
{
    dms_api_quote_request_free(&w->q);
    dms_api_catalog_unref(w->catalog);
    free(w);
}

/* Prices the quote and answers resp as POST /v1/quotes does; frees w. */
static void run_quote(void *arg, bool (*cancelled)(void *ctx), void *cancel_ctx,
                      dms_progress *progress, dms_api_response *resp)
{
    struct quote_work *w = arg;
    dms_error err;
    dms_error_clear(&err);
    dms_diag *diag = NULL, *warnings = NULL;
    dms_quote *quote = NULL;
    json_t *out = NULL;
    dms_progress_part(progress, 0.0, 1.0, "pricing the group");
    if (dms_diag_alloc(0, &diag) != DMS_OK || dms_diag_alloc(0, &warnings) != DMS_OK) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
    } else {
        dms_quote_options options = dms_quote_options_default();
        options.percentiles = w->q.percentiles;
        options.census_source = "census";
        options.cancelled = cancelled;
        options.cancel_ctx = cancel_ctx;
        if (dms_quote_compute(w->tariff, w->model, w->q.plan, w->q.census, &options, &quote, diag,
                              warnings) != DMS_OK)
            dms_diag_first(diag, &err);
        else
            out = dms_api_quote_response(quote, warnings, &err);
    }
    if (out != NULL)
        dms_api_response_json(resp, 200, out);
    else
        reply_status(resp, err.code != DMS_OK ? err.code : DMS_ENOMEM, &err);
    dms_quote_free(quote);
    dms_diag_free(diag);
    dms_diag_free(warnings);
    quote_work_free(w);
}

static void handle_quote(const dms_api_request *req, const dms_api_hooks *hooks,
                         dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_api_quote_request q;
    int status = dms_api_decode_quote(req->body, req->body_len, &q, &err);
    if (status != DMS_OK) {
        reply_status(resp, status, &err);
        return;
    }
    /* The work budget: rating costs people x modules before cells merge. */
    size_t modules = 0; /* each person is in one segment: its modules count */
    for (size_t i = 0; i < q.plan->nsegments; i++)
        if (q.plan->segments[i].nmodules > modules)
            modules = q.plan->segments[i].nmodules;
    double cells = (double)q.census->count * (double)modules;
    if (req->limits != NULL && req->limits->max_quote_cells > 0 &&
        cells > req->limits->max_quote_cells) {
        dms_error_set(&err, DMS_EINVAL, "/census",
                      "work limit max_quote_cells: %zu people x %zu modules = %.3g, more than "
                      "the %.3g this service rates per request; split the census",
                      q.census->count, modules, cells, req->limits->max_quote_cells);
        reply_status(resp, DMS_EINVAL, &err);
        dms_api_quote_request_free(&q);
        return;
    }
    const dms_tariff *tariff = dms_api_catalog_tariff(req->catalog, q.tariff);
    const dms_model *model = NULL;
    if (tariff == NULL)
        dms_error_set(&err, DMS_ENOTFOUND, "/tariff", "no tariff '%s' is loaded (GET /v1/tariffs)",
                      q.tariff);
    else if (q.model[0] != '\0')
        model = dms_api_catalog_model(req->catalog, q.model);
    else
        model = dms_api_catalog_model_by_version(req->catalog, tariff->model);
    if (tariff != NULL && model == NULL)
        dms_error_set(&err, DMS_ENOTFOUND, "/model", "no model '%s' is loaded (GET /v1/models)",
                      q.model[0] ? q.model : tariff->model);
    /* An unknown tariff or model named in a valid body is a bad value: 422. */
    if (err.code == DMS_ENOTFOUND) {
        err.code = DMS_EINVAL;
        reply_status(resp, DMS_EINVAL, &err);
        dms_api_quote_request_free(&q);
        return;
    }
    struct quote_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        reply_status(resp, DMS_ENOMEM, &err);
        dms_api_quote_request_free(&q);
        return;
    }
    *w = (struct quote_work){dms_api_catalog_ref(req->catalog), tariff, model, q};
    /* a quote of the size whose rating takes seconds becomes a job (jobs.h) */
    double seconds =
        cells * (q.percentiles ? QUOTE_SECONDS_PER_CELL_PERCENTILES : QUOTE_SECONDS_PER_CELL);
    int wanted = dms_api_job_wanted(req);
    if (wanted == 1 || (wanted == -1 && seconds > DMS_API_JOB_SECONDS)) {
        if (!dms_api_job_start(req, run_quote, w, resp))
            quote_work_free(w);
        return;
    }
    run_quote(w, req->cancelled, req->cancel_ctx, NULL, resp);
}
