/*
 * The employee module picker over HTTP: the employee's priced offer,
 * recommendation, election draft, submission, history and life events; HR's
 * list, mass status changes, payroll and attach-list exports and the
 * employer import; the manager's department summary (small cells
 * suppressed) and finance's totals. Handlers are thin: decode the body,
 * load the employer from the store, call the picker (core) for every rule,
 * and write through enrol_store inside one transaction that commits before
 * the reply. The caller's role was checked by dms_api_dispatch; the scope
 * (own election, own department) is checked here.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dms/api.h"
#include "dms/csvwrite.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/picker.h"
#include "dms/register_store.h"
#include "dms/report.h"
#include "dms/suppress.h"
#include "routes_picker.h"
#include "employer_snapshot.h"

/* ---- replies ------------------------------------------------------------- */

static void reply(dms_api_response *resp, unsigned status, json_t *json)
{
    char *text = json != NULL ? json_dumps(json, DMS_JSON_DUMP_FLAGS | JSON_COMPACT) : NULL;
    json_decref(json);
    if (text == NULL) {
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOMEM, NULL, "out of memory");
        dms_api_response_error(resp, 503, &err, NULL);
        return;
    }
    free(resp->body);
    resp->status = status;
    resp->body = text;
    resp->body_len = strlen(text);
    resp->content_type = "application/json";
}

static void fail(dms_api_response *resp, const dms_error *err)
{
    int code = err->code != DMS_OK ? err->code : DMS_EINTERNAL;
    dms_api_response_error(resp, dms_api_http_status(code), err, NULL);
}

static void reply_csv(dms_api_response *resp, char *text, size_t len)
{
    free(resp->body);
    resp->status = 200;
    resp->body = text;
    resp->body_len = len;
    resp->content_type = "text/csv; charset=utf-8";
}

static json_t *money(int64_t kopecks)
{
    return json_real((double)kopecks / 100.0);
}

static void now_iso(char buf[40])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* Parses the body as a JSON object (or DMS_EPARSE / DMS_EINVAL with place). */
static int body_object(const dms_api_request *req, json_t **out, dms_error *err)
{
    int status = dms_json_parse_text(req->body, req->body_len, out, err);
    if (status == DMS_OK && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        status = dms_error_set(err, DMS_EINVAL, "", "the body must be a JSON object");
    }
    return status;
}

/* Refuses keys of obj outside the NULL-terminated list, at /key. */
static int only_keys(const json_t *obj, const char *const *keys, dms_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (const char *const *k = keys; *k != NULL && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known)
            return dms_error_set(err, DMS_EINVAL, NULL, "unknown key '%.64s'", key) == DMS_EINVAL &&
                           err != NULL
                       ? (snprintf(err->path, sizeof err->path, "/%.200s", key), DMS_EINVAL)
                       : DMS_EINVAL;
    }
    return DMS_OK;
}

/* ---- the employer in force ---------------------------------------------------- */

struct ctx {
    const dms_api_employer *employer; /* the snapshot held by this request */
    const dms_policy *policy;
    const dms_census *census;
    const dms_tariff *tariff;
    const dms_model *model;
    long import_id;
    unsigned long generation; /* of the catalog the tariff and model come from */
};

static void ctx_free(struct ctx *c)
{
    dms_api_employer_release(c->employer);
    memset(c, 0, sizeof *c);
}

/* The employer in force (a shared snapshot, parsed once per import) and
 * the corporate tariff with its model. */
static int ctx_load(const dms_api_request *req, struct ctx *c, dms_error *err)
{
    memset(c, 0, sizeof *c);
    if (req->store == NULL)
        return dms_error_set(err, DMS_ENOTFOUND, NULL, "the service runs without --db");
    int status = dms_api_employer_acquire(req->store, &c->employer, err);
    if (status != DMS_OK)
        return status;
    c->policy = c->employer->policy;
    c->census = c->employer->census;
    c->import_id = c->employer->import_id;
    c->generation = dms_api_catalog_generation(req->catalog);
    c->tariff = dms_api_catalog_tariff(req->catalog, "");
    c->model =
        c->tariff != NULL ? dms_api_catalog_model_by_version(req->catalog, c->tariff->model) : NULL;
    if (c->model == NULL) {
        ctx_free(c);
        return dms_error_set(err, DMS_EINTERNAL, NULL,
                             "no corporate tariff with its model is loaded (--tariffs, --models)");
    }
    return DMS_OK;
}

/* The offer of employee_id, malloc'd into *out. */
static int make_offer(const struct ctx *c, const char *employee_id, dms_offer **out, dms_error *err)
{
    *out = NULL;
    dms_offer *offer = malloc(sizeof *offer);
    if (offer == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the offer");
    /* Priced once per employee on the employer's snapshot and catalog. */
    if (dms_api_employer_offer_get(c->employer, c->generation, employee_id, offer)) {
        *out = offer;
        return DMS_OK;
    }
    dms_household h;
    int status = dms_picker_household(c->census, employee_id,
                                      dms_picker_tenure_months(c->census, employee_id), &h, err);
    if (status == DMS_OK)
        status = dms_picker_offer(c->policy, c->tariff, c->model, &h, offer, err);
    if (status != DMS_OK) {
        free(offer);
        return status;
    }
    dms_api_employer_offer_keep(c->employer, c->generation, employee_id, offer);
    *out = offer;
    return DMS_OK;
}

static json_t *split_json(const dms_picker_split *s)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "price_year", money(s->price),
                     "employer_year", money(s->employer), "employee_year", money(s->employee),
                     "price_month", money(s->price_month), "employer_month",
                     money(s->employer_month), "employee_month", money(s->employee_month),
                     "within_cap", s->within_cap);
}

static json_t *codes_json(const dms_policy *p, uint64_t mask)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->noptions; i++)
        if (mask & ((uint64_t)1 << i))
            json_array_append_new(a, json_string(p->options[i].code));
    return a;
}

static json_t *offer_json(const struct ctx *c, const dms_offer *o)
{
    const dms_policy *p = c->policy;
    const dms_policy_segment *seg = &p->segments[o->segment];
    json_t *options = json_array();
    for (size_t i = 0; i < o->noptions; i++) {
        const dms_offer_option *x = &o->options[i];
        const dms_policy_option *po = &p->options[i];
        json_t *covered = json_array();
        for (size_t m = 0; m < o->household.nmembers; m++)
            if (x->covered & (1u << m))
                json_array_append_new(covered, json_string(dms_census_relation_name(
                                                   o->household.members[m]->relation)));
        json_t *item = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o}", "code", po->code, "name_ru",
            po->name_ru, "name_en", po->name_en, "module", po->module.code, "network",
            dms_policy_option_network(p, o->segment, i), "eligible", x->eligible, "reason",
            dms_picker_reason_name(x->reason), "reason_ru", dms_picker_reason_text(x->reason, "ru"),
            "covered", covered, "requires", codes_json(p, po->requires));
        json_object_set_new(item, "excludes", codes_json(p, po->excludes));
        if (x->eligible)
            json_object_set_new(item, "cost", split_json(&x->alone));
        json_array_append_new(options, item);
    }
    /* The employer-paid base package, named in both languages. */
    json_t *base = json_array();
    for (size_t b = 0; b < seg->nbase; b++) {
        const dms_tariff_module *tm = dms_tariff_find_module(c->tariff, seg->base[b].code);
        json_array_append_new(base, json_pack("{s:s, s:s, s:s}", "module", seg->base[b].code,
                                              "name_ru", tm != NULL ? tm->name_ru : "", "name_en",
                                              tm != NULL ? tm->name_en : ""));
    }
    return json_pack("{s:s, s:{s:s, s:s, s:s, s:o, s:o, s:f}, s:{s:s, s:s}, s:{s:s, s:s, s:i}, "
                     "s:o, s:o, s:o}",
                     "employee_id", o->household.members[0]->employee_id, "segment", "code",
                     seg->code, "name_ru", seg->name_ru, "name_en", seg->name_en, "flex_budget",
                     json_real(seg->flex_budget), "top_up_cap", json_real(seg->top_up_cap),
                     "employer_share", seg->employer_share, "period", "from", p->period_from, "to",
                     p->period_to, "enrolment", "opens", p->enrolment_opens, "closes",
                     p->enrolment_closes, "life_event_days", p->life_event_days, "base_price_year",
                     money(o->base_price), "base_modules", base, "options", options);
}

/* ---- elections as JSON ------------------------------------------------------------- */

static json_t *election_json(const dms_enrol_election *e)
{
    json_error_t jerr;
    json_t *options = json_loads(e->options[0] ? e->options : "[]", 0, &jerr);
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:o, s:{s:o, s:o, s:o, s:o}, s:s}", "id",
                  (json_int_t)e->id, "employee_id", e->employee_id, "department", e->department,
                  "status", dms_election_status_name(e->status), "status_ru",
                  dms_election_status_name_ru(e->status), "version", e->version, "options",
                  options != NULL ? options : json_array(), "cost", "price_year", money(e->price),
                  "employer_year", money(e->employer), "employee_year", money(e->employee),
                  "employee_month", money(e->employee_month), "updated_at", e->updated_at);
    if (j != NULL && e->reason[0] != '\0')
        json_object_set_new(j, "reason", json_string(e->reason));
    if (j != NULL && e->life_event != DMS_LIFE_EVENT_NONE)
        json_object_set_new(
            j, "life_event",
            json_pack("{s:s, s:s, s:s}", "event", dms_life_event_name(e->life_event), "event_ru",
                      dms_life_event_name_ru(e->life_event), "date", e->life_event_date));
    return j;
}

static json_t *history_json(const dms_enrol_history_row *rows, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const dms_election_history *h = &rows[i].change;
        json_error_t jerr;
        json_t *options = json_loads(rows[i].options, 0, &jerr);
        json_t *line = json_pack("{s:s, s:s, s:s, s:o, s:s, s:i, s:o}", "at", h->at, "actor",
                                 h->actor, "role", dms_role_name(rows[i].role), "from",
                                 rows[i].has_from ? json_string(dms_election_status_name(h->from))
                                                  : json_null(),
                                 "to", dms_election_status_name(h->to), "version", h->version,
                                 "options", options != NULL ? options : json_array());
        if (line != NULL && h->reason[0] != '\0')
            json_object_set_new(line, "reason", json_string(h->reason));
        if (line != NULL && h->life_event != DMS_LIFE_EVENT_NONE)
            json_object_set_new(line, "life_event",
                                json_string(dms_life_event_name(h->life_event)));
        json_array_append_new(a, line);
    }
    return a;
}

/* The codes of mask as JSON array text in buf. */
static int options_text(const dms_policy *p, uint64_t mask, char *buf, size_t size, dms_error *err)
{
    json_t *codes = codes_json(p, mask);
    char *text = codes != NULL ? json_dumps(codes, JSON_COMPACT) : NULL;
    json_decref(codes);
    int status = DMS_OK;
    if (text == NULL || strlen(text) >= size)
        status = dms_error_set(err, DMS_ETOOBIG, "/options", "too many options");
    else
        snprintf(buf, size, "%s", text);
    free(text);
    return status;
}

/* Options of an election as a C array of codes (borrowed from arr). */
static size_t codes_of(const json_t *arr, const char **codes, size_t max)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach((json_t *)arr, i, v)
    {
        if (n < max && json_is_string(v))
            codes[n++] = json_string_value(v);
    }
    return n;
}

/* 422 with the first fault as the error and every fault listed. */
static void reply_faults(dms_api_response *resp, const dms_election_check *check,
                         const dms_error *err)
{
    json_t *body = dms_api_error_json(err, NULL);
    json_t *faults = json_array();
    for (size_t i = 0; i < check->nfaults; i++) {
        char ru[DMS_ERROR_MESSAGE_MAX + 128], en[DMS_ERROR_MESSAGE_MAX];
        json_t *f = json_pack(
            "{s:s, s:s, s:s, s:s}", "kind", dms_election_fault_name(check->faults[i].kind),
            "message", dms_error_message(&check->faults[i].error, false, en, sizeof en),
            "message_ru", dms_error_message(&check->faults[i].error, true, ru, sizeof ru), "path",
            check->faults[i].error.path);
        json_array_append_new(faults, f);
    }
    json_object_set_new(json_object_get(body, "error"), "faults", faults);
    reply(resp, 422, body);
}

/* ---- employer ----------------------------------------------------------------------- */

void dms_api_employer_get(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct ctx c;
    if (ctx_load(req, &c, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    const dms_policy *p = c.policy;
    reply(resp, 200,
          json_pack("{s:I, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:i}, s:I, s:I, s:s}",
                    "import", (json_int_t)c.import_id, "name", p->name, "employer_ru",
                    p->employer_ru, "employer_en", p->employer_en, "period", "from", p->period_from,
                    "to", p->period_to, "enrolment", "opens", p->enrolment_opens, "closes",
                    p->enrolment_closes, "life_event_days", p->life_event_days, "employees",
                    (json_int_t)c.census->employees, "options", (json_int_t)p->noptions, "today",
                    req->today));
    ctx_free(&c);
}

void dms_api_employer_import(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    static const char *const keys[] = {"policy", "census_csv", NULL};
    long id = 0;
    if (body_object(req, &body, &err) != DMS_OK || only_keys(body, keys, &err) != DMS_OK)
        goto out;
    json_t *policy = json_object_get(body, "policy");
    json_t *csv = json_object_get(body, "census_csv");
    if (!json_is_object(policy)) {
        dms_error_set(&err, DMS_EINVAL, "/policy", "policy must be a policy object");
        goto out;
    }
    if (!json_is_string(csv)) {
        dms_error_set(&err, DMS_EINVAL, "/census_csv", "census_csv must be the census CSV text");
        goto out;
    }
    if (dms_enrol_import(req->store, policy, json_string_value(csv), json_string_length(csv),
                         req->principal->actor, &id, &err) != DMS_OK)
        goto out;
    reply(resp, 201, json_pack("{s:I}", "import", (json_int_t)id));
out:
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(body);
}

/* ---- the employee ------------------------------------------------------------------------ */

/* Kopecks from roubles, rounded once, as the recommendation rounds them. */
static int64_t kopecks_of(double roubles)
{
    return (int64_t)llround(roubles * 100.0);
}

/*
 * What a set costs the employee: the split, the own deductions a month and a
 * year, the expected out-of-pocket a year and their sum ("my expected cost a
 * year") at low, medium and high use, computed as the recommendation does, so
 * a set picked by hand compares with a recommended one figure for figure.
 */
/*
 * The out-of-pocket table of the employee's offer, kept on the snapshot: the
 * table (aggregate distributions per member and module) is built on the
 * employee's first draft or recommendation and only summed afterwards, with
 * the same figures as dms_picker_out_of_pocket. *own is set when the table
 * could not be kept and the caller must free it.
 */
static int oop_table(const struct ctx *c, const dms_offer *o, const dms_picker_oop **out,
                     dms_picker_oop **own, dms_error *err)
{
    const char *id = o->household.members[0]->employee_id;
    *own = NULL;
    if ((*out = dms_api_employer_oop_get(c->employer, c->generation, id)) != NULL)
        return DMS_OK;
    dms_picker_oop *table = NULL;
    int status = dms_picker_oop_build(o, &table, err);
    if (status != DMS_OK)
        return status;
    *out = dms_api_employer_oop_keep(c->employer, c->generation, id, table);
    if (*out == NULL) /* the offer is not kept (no memory for it): this request's own */
        *out = *own = table;
    return DMS_OK;
}

static int out_of_pocket(const struct ctx *c, const dms_offer *o, uint64_t bits,
                         double oop[DMS_USAGE_COUNT], dms_error *err)
{
    const dms_picker_oop *table = NULL;
    dms_picker_oop *own = NULL;
    int status = oop_table(c, o, &table, &own, err);
    if (status == DMS_OK)
        dms_picker_oop_sum(table, bits, oop);
    dms_picker_oop_free(own);
    return status;
}

static json_t *set_cost_json(const struct ctx *c, const dms_offer *o, uint64_t bits, dms_error *err)
{
    dms_picker_split split;
    dms_picker_offer_split(o, bits, &split);
    double oop[DMS_USAGE_COUNT];
    if (out_of_pocket(c, o, bits, oop, err) != DMS_OK)
        return NULL;
    return json_pack("{s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}}", "options",
                     codes_json(c->policy, bits), "cost", split_json(&split), "own_deductions",
                     "year", money(split.employee), "month", money(split.employee_month),
                     "out_of_pocket_year", "low", money(kopecks_of(oop[DMS_USAGE_LOW])), "medium",
                     money(kopecks_of(oop[DMS_USAGE_MEDIUM])), "high",
                     money(kopecks_of(oop[DMS_USAGE_HIGH])), "total_cost_to_me_year", "low",
                     money(split.employee + kopecks_of(oop[DMS_USAGE_LOW])), "medium",
                     money(split.employee + kopecks_of(oop[DMS_USAGE_MEDIUM])), "high",
                     money(split.employee + kopecks_of(oop[DMS_USAGE_HIGH])));
}

/*
 * What each eligible option adds to the employee's deduction given the set
 * bits: the deduction of the set with the option less that of the set
 * without it, a month and a year (the monthly figures are the ones the
 * payroll deducts, so the difference is exact to the kopeck).
 */
static json_t *marginal_json(const struct ctx *c, const dms_offer *o, uint64_t bits)
{
    json_t *a = json_array();
    for (size_t i = 0; i < o->noptions; i++) {
        if (!(o->eligible & (UINT64_C(1) << i)))
            continue;
        dms_picker_split with, without;
        dms_picker_offer_split(o, bits | (UINT64_C(1) << i), &with);
        dms_picker_offer_split(o, bits & ~(UINT64_C(1) << i), &without);
        json_array_append_new(a, json_pack("{s:s, s:b, s:o, s:o, s:o, s:o}", "code",
                                           c->policy->options[i].code, "in_set", (bits >> i) & 1u,
                                           "employee_month",
                                           money(with.employee_month - without.employee_month),
                                           "employee_year", money(with.employee - without.employee),
                                           "employer_year", money(with.employer - without.employer),
                                           "price_year", money(with.price - without.price)));
    }
    return a;
}

/* The index of option code in p, -1 if none. */
static long option_index(const dms_policy *p, const char *code)
{
    for (size_t i = 0; i < p->noptions; i++)
        if (strcmp(p->options[i].code, code) == 0)
            return (long)i;
    return -1;
}

/* The bits of known option codes in arr (unknown codes are left out). */
static uint64_t bits_of(const dms_policy *p, const json_t *arr)
{
    uint64_t bits = 0;
    size_t k;
    json_t *v;
    json_array_foreach((json_t *)arr, k, v)
    {
        if (!json_is_string(v))
            continue;
        long i = option_index(p, json_string_value(v));
        if (i >= 0)
            bits |= UINT64_C(1) << i;
    }
    return bits;
}

#define MAX_SETS 3

/*
 * POST /v1/me/sets {"sets": [[codes], ...]} (1 to 3 sets): each set's cost to
 * the employee (set_cost_json) and what every option would add to it
 * ("marginal"), without saving anything: the page's side-by-side comparison
 * and the figures next to each option.
 */
void dms_api_me_sets(const dms_api_request *req, const dms_api_hooks *hooks, dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL, *out = NULL;
    struct ctx c = {0};
    dms_offer *offer = NULL;
    static const char *const keys[] = {"sets", NULL};
    if (body_object(req, &body, &err) != DMS_OK || only_keys(body, keys, &err) != DMS_OK)
        goto out;
    json_t *sets = json_object_get(body, "sets");
    if (!json_is_array(sets) || json_array_size(sets) < 1 || json_array_size(sets) > MAX_SETS) {
        dms_error_set(&err, DMS_EINVAL, "/sets", "sets must be 1 to %d arrays of option codes",
                      MAX_SETS);
        goto out;
    }
    if (ctx_load(req, &c, &err) != DMS_OK ||
        make_offer(&c, req->principal->employee_id, &offer, &err) != DMS_OK)
        goto out;
    json_t *list = json_array();
    out = json_pack("{s:o}", "sets", list);
    for (size_t k = 0; k < json_array_size(sets); k++) {
        json_t *set = json_array_get(sets, k);
        char path[32];
        snprintf(path, sizeof path, "/sets/%zu", k);
        if (!json_is_array(set) || json_array_size(set) > DMS_POLICY_MAX_OPTIONS) {
            dms_error_set(&err, DMS_EINVAL, path, "options must be an array of option codes");
            goto out;
        }
        size_t i;
        json_t *v;
        json_array_foreach(set, i, v)
        {
            long at_option = json_is_string(v) ? option_index(c.policy, json_string_value(v)) : -1;
            if (at_option < 0 || !(offer->eligible & (UINT64_C(1) << at_option))) {
                char at[48];
                snprintf(at, sizeof at, "/sets/%zu/%zu", k, i);
                if (at_option < 0)
                    dms_error_set(&err, DMS_EINVAL, at,
                                  "'%.40s' names no option or module of the policy",
                                  json_is_string(v) ? json_string_value(v) : "?");
                else
                    dms_error_set(&err, DMS_EINVAL, at, "option '%.40s' is not offered to you",
                                  json_string_value(v));
                goto out;
            }
        }
        uint64_t bits = bits_of(c.policy, set);
        json_t *one = set_cost_json(&c, offer, bits, &err);
        if (one == NULL)
            goto out;
        json_object_set_new(one, "marginal", marginal_json(&c, offer, bits));
        json_array_append_new(list, one);
    }
    reply(resp, 200, out);
    out = NULL;
out:
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(out);
    json_decref(body);
    free(offer);
    ctx_free(&c);
}

void dms_api_me_offer(const dms_api_request *req, const dms_api_hooks *hooks,
                      dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct ctx c;
    dms_offer *offer = NULL;
    if (ctx_load(req, &c, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    /* The document is a function of the offer, the policy and the tariff's
     * names: shown as it was first written for this snapshot and catalog. */
    char *text = NULL;
    size_t len = 0;
    const char *id = req->principal->employee_id;
    if (dms_api_employer_text_get(c.employer, c.generation, id, &text, &len)) {
        free(resp->body);
        resp->status = 200;
        resp->body = text;
        resp->body_len = len;
        resp->content_type = "application/json";
    } else if (make_offer(&c, id, &offer, &err) != DMS_OK) {
        fail(resp, &err);
    } else {
        reply(resp, 200, offer_json(&c, offer));
        if (resp->status == 200)
            dms_api_employer_text_keep(c.employer, c.generation, id, resp->body, resp->body_len);
    }
    free(offer);
    ctx_free(&c);
}

/* Roubles with kopecks from a double, rounded once. */
static json_t *money_roubles(double roubles)
{
    return money((int64_t)llround(roubles * 100.0));
}

static json_t *choice_json(const dms_policy *p, const dms_picker_choice *ch)
{
    json_t *j = json_pack(
        "{s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:o, s:o}", "options",
        codes_json(p, ch->options), "cost", split_json(&ch->split), "own_deductions", "year",
        money(ch->split.employee), "month", money(ch->split.employee_month), "out_of_pocket_year",
        "low", money_roubles(ch->out_of_pocket[DMS_USAGE_LOW]), "medium",
        money_roubles(ch->out_of_pocket[DMS_USAGE_MEDIUM]), "high",
        money_roubles(ch->out_of_pocket[DMS_USAGE_HIGH]), "total_cost_to_me_year", "low",
        money(ch->total_cost[DMS_USAGE_LOW]), "medium", money(ch->total_cost[DMS_USAGE_MEDIUM]),
        "high", money(ch->total_cost[DMS_USAGE_HIGH]), "worth_to_me_year", money(ch->value),
        "net_benefit_year", money(ch->net));
    return j;
}

/* Decodes {"answers":[{"code","priority"}], "default_priority", "risk", "top_up_limit",
 * "alternatives"}. */
static int decode_questionnaire(const json_t *body, dms_picker_questionnaire *q, size_t *nbest,
                                dms_error *err)
{
    static const char *const keys[] = {"answers",      "default_priority", "risk",
                                       "top_up_limit", "alternatives",     NULL};
    *q = dms_picker_questionnaire_default();
    *nbest = 4;
    int status = only_keys(body, keys, err);
    if (status != DMS_OK)
        return status;
    json_t *answers = json_object_get(body, "answers");
    if (answers != NULL &&
        (!json_is_array(answers) || json_array_size(answers) > DMS_PICKER_MAX_ANSWERS))
        return dms_error_set(err, DMS_EINVAL, "/answers", "answers must be an array of at most %d",
                             DMS_PICKER_MAX_ANSWERS);
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
    {
        char path[64];
        json_t *code = json_object_get(a, "code"), *priority = json_object_get(a, "priority");
        snprintf(path, sizeof path, "/answers/%zu/code", i);
        if (!json_is_string(code) || json_string_length(code) >= DMS_MODEL_CODE_MAX)
            return dms_error_set(err, DMS_EINVAL, path, "code must be an option or module code");
        snprintf(path, sizeof path, "/answers/%zu/priority", i);
        if (!json_is_integer(priority))
            return dms_error_set(err, DMS_EINVAL, path, "priority must be a whole number 0..5");
        snprintf(q->answers[i].code, sizeof q->answers[i].code, "%s", json_string_value(code));
        q->answers[i].priority = (int)json_integer_value(priority);
        if (json_integer_value(priority) < 0 || json_integer_value(priority) > 5)
            q->answers[i].priority = -1; /* the core reports it at its pointer */
        q->nanswers = i + 1;
    }
    json_t *v = json_object_get(body, "default_priority");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 5)
            return dms_error_set(err, DMS_EINVAL, "/default_priority",
                                 "default_priority must be a whole number 0..5");
        q->default_priority = (int)json_integer_value(v);
    }
    v = json_object_get(body, "risk");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > DMS_PICKER_RISK_MAX)
            return dms_error_set(err, DMS_EINVAL, "/risk",
                                 "risk must be a whole number 0..%d: how much an unexpected "
                                 "50,000 RUB bill would trouble you (0 not at all, 1 somewhat, "
                                 "2 a lot, 3 seriously)",
                                 DMS_PICKER_RISK_MAX);
        q->risk = (int)json_integer_value(v);
    }
    v = json_object_get(body, "top_up_limit");
    if (v != NULL) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e9)
            return dms_error_set(err, DMS_EINVAL, "/top_up_limit",
                                 "top_up_limit must be roubles a year, 0 or more");
        q->top_up_limit = json_number_value(v);
    }
    v = json_object_get(body, "alternatives");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) >= DMS_PICKER_MAX_BEST)
            return dms_error_set(err, DMS_EINVAL, "/alternatives", "alternatives must be 0..%d",
                                 DMS_PICKER_MAX_BEST - 1);
        *nbest = (size_t)json_integer_value(v) + 1;
    }
    return DMS_OK;
}

void dms_api_me_recommendation(const dms_api_request *req, const dms_api_hooks *hooks,
                               dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    struct ctx c = {0};
    dms_offer *offer = NULL;
    dms_picker_questionnaire q;
    const dms_picker_oop *oop = NULL;
    dms_picker_oop *own_oop = NULL;
    dms_recommendation *rec = malloc(sizeof *rec);
    size_t nbest = 0;
    if (rec == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto out;
    }
    if (body_object(req, &body, &err) != DMS_OK ||
        decode_questionnaire(body, &q, &nbest, &err) != DMS_OK ||
        ctx_load(req, &c, &err) != DMS_OK ||
        make_offer(&c, req->principal->employee_id, &offer, &err) != DMS_OK ||
        oop_table(&c, offer, &oop, &own_oop, &err) != DMS_OK ||
        dms_picker_recommend_oop(offer, oop, &q, nbest, rec, &err) != DMS_OK)
        goto out;
    json_t *runner_ups = json_array();
    for (size_t i = 1; i < rec->nchoices; i++)
        json_array_append_new(runner_ups, choice_json(c.policy, &rec->choices[i]));
    reply(resp, 200,
          json_pack("{s:o, s:o, s:o, s:{s:s, s:s}, s:i, s:f}", "capacity_year",
                    money(rec->capacity), "best",
                    rec->nchoices > 0 ? choice_json(c.policy, &rec->choices[0]) : json_null(),
                    "runner_ups", runner_ups, "reason", "ru", rec->reason_ru, "en", rec->reason_en,
                    "risk", q.risk, "risk_weight", dms_picker_risk_weight[q.risk]));
out:
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(body);
    free(rec);
    dms_picker_oop_free(own_oop);
    free(offer);
    ctx_free(&c);
}

void dms_api_me_election_get(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_enrol_election e;
    if (req->store == NULL ||
        dms_enrol_election_get(req->store, req->principal->employee_id, &e, &err) != DMS_OK) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no store");
        fail(resp, &err);
        return;
    }
    reply(resp, 200, election_json(&e));
}

void dms_api_me_election_history(const dms_api_request *req, const dms_api_hooks *hooks,
                                 dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_enrol_election e;
    dms_enrol_history_row *rows = NULL;
    size_t n = 0;
    if (dms_enrol_election_get(req->store, req->principal->employee_id, &e, &err) != DMS_OK ||
        dms_enrol_history(req->store, e.id, &rows, &n, &err) != DMS_OK)
        fail(resp, &err);
    else
        reply(resp, 200,
              json_pack("{s:I, s:o}", "election", (json_int_t)e.id, "history",
                        history_json(rows, n)));
    free(rows);
}

/* Fills the money of e from the split of its options under offer. */
static void cost_of(const dms_election_check *check, dms_enrol_election *e)
{
    e->price = check->split.price;
    e->employer = check->split.employer;
    e->employee = check->split.employee;
    e->employee_month = check->split.employee_month;
}

/*
 * PUT /v1/me/election {"options": [codes]}: saves the draft (creating it, or
 * re-opening a rejected one). Unknown or repeated codes are refused; the
 * other faults (eligibility, budget, window) are returned as "faults" for the
 * form and checked again at submission.
 */
void dms_api_me_election_put(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    struct ctx c = {0};
    dms_offer *offer = NULL;
    dms_election_check *check = malloc(sizeof *check);
    bool open = false;
    static const char *const keys[] = {"options", NULL};
    const char *codes[DMS_POLICY_MAX_OPTIONS + 1];
    if (check == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto out;
    }
    if (body_object(req, &body, &err) != DMS_OK || only_keys(body, keys, &err) != DMS_OK)
        goto out;
    json_t *options = json_object_get(body, "options");
    if (!json_is_array(options) || json_array_size(options) > DMS_POLICY_MAX_OPTIONS) {
        dms_error_set(&err, DMS_EINVAL, "/options", "options must be an array of option codes");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(options); i++)
        if (!json_is_string(json_array_get(options, i))) {
            char path[32];
            snprintf(path, sizeof path, "/options/%zu", i);
            dms_error_set(&err, DMS_EINVAL, path, "an option code must be a string");
            goto out;
        }
    if (ctx_load(req, &c, &err) != DMS_OK ||
        make_offer(&c, req->principal->employee_id, &offer, &err) != DMS_OK)
        goto out;
    if (dms_enrol_begin(req->store, &err) != DMS_OK)
        goto out;
    open = true;
    dms_enrol_election e;
    dms_error missing;
    dms_error_clear(&missing);
    bool exists =
        dms_enrol_election_get(req->store, req->principal->employee_id, &e, &missing) == DMS_OK;
    if (!exists && missing.code != DMS_ENOTFOUND) {
        err = missing;
        goto out;
    }
    dms_election_request er = {codes, codes_of(options, codes, DMS_POLICY_MAX_OPTIONS), req->today,
                               exists && e.life_event_date[0] ? e.life_event_date : NULL};
    dms_error first;
    dms_error_clear(&first);
    dms_election_validate(offer, &er, check, &first);
    for (size_t i = 0; i < check->nfaults; i++)
        if (check->faults[i].kind == DMS_FAULT_UNKNOWN_OPTION ||
            check->faults[i].kind == DMS_FAULT_DUPLICATE) {
            err = check->faults[i].error;
            err.code = DMS_EINVAL;
            goto out;
        }
    char at[40];
    now_iso(at);
    dms_election_history entry = {0};
    if (!exists) {
        memset(&e, 0, sizeof e);
        snprintf(e.employee_id, sizeof e.employee_id, "%s", req->principal->employee_id);
        dms_error_clear(&missing);
        dms_enrol_employee_department(req->store, e.employee_id, e.department, &missing);
        e.status = DMS_ELECTION_DRAFT;
        e.version = 1;
        entry.from = DMS_ELECTION_STATUS_COUNT; /* none: created */
        entry.to = DMS_ELECTION_DRAFT;
        entry.version = 1;
    } else if (e.status == DMS_ELECTION_DRAFT) {
        entry.from = entry.to = DMS_ELECTION_DRAFT;
        entry.version = e.version;
    } else {
        dms_election_change change = {DMS_ELECTION_DRAFT, req->principal->actor, at, NULL,
                                      DMS_LIFE_EVENT_NONE};
        if (dms_election_transition(e.status, e.version, &change, &entry, &err) != DMS_OK)
            goto out;
        e.reason[0] = '\0';
    }
    snprintf(entry.actor, sizeof entry.actor, "%s", req->principal->actor);
    snprintf(entry.at, sizeof entry.at, "%s", at);
    e.status = DMS_ELECTION_DRAFT;
    if (options_text(c.policy, check->options, e.options, sizeof e.options, &err) != DMS_OK)
        goto out;
    cost_of(check, &e);
    if (dms_register_store_election_put(req->store, &e, &entry, req->principal->role, &err) !=
            DMS_OK ||
        dms_enrol_commit(req->store, &err) != DMS_OK)
        goto out;
    open = false;
    json_t *out = election_json(&e);
    json_t *faults = json_array();
    for (size_t i = 0; i < check->nfaults; i++) {
        char ru[DMS_ERROR_MESSAGE_MAX + 128], en[DMS_ERROR_MESSAGE_MAX];
        json_array_append_new(
            faults,
            json_pack("{s:s, s:s, s:s, s:s}", "kind",
                      dms_election_fault_name(check->faults[i].kind), "message",
                      dms_error_message(&check->faults[i].error, false, en, sizeof en),
                      "message_ru", dms_error_message(&check->faults[i].error, true, ru, sizeof ru),
                      "path", check->faults[i].error.path));
    }
    json_object_set_new(out, "faults", faults);
    /* The draft's cost to the employee and each option's effect on it. */
    json_t *expected = set_cost_json(&c, offer, check->options, &err);
    if (expected == NULL) {
        json_decref(out);
        goto out;
    }
    json_object_set_new(out, "expected", expected);
    json_object_set_new(out, "marginal", marginal_json(&c, offer, check->options));
    reply(resp, 200, out);
out:
    if (open)
        dms_enrol_rollback(req->store);
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(body);
    free(check);
    free(offer);
    ctx_free(&c);
}

/* POST /v1/me/election/submit: validated again (eligibility, budget, window), then submitted. */
void dms_api_me_election_submit(const dms_api_request *req, const dms_api_hooks *hooks,
                                dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct ctx c = {0};
    dms_offer *offer = NULL;
    dms_election_check *check = malloc(sizeof *check);
    bool open = false;
    json_t *options = NULL;
    if (check == NULL) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto out;
    }
    if (ctx_load(req, &c, &err) != DMS_OK ||
        make_offer(&c, req->principal->employee_id, &offer, &err) != DMS_OK ||
        dms_enrol_begin(req->store, &err) != DMS_OK)
        goto out;
    open = true;
    dms_enrol_election e;
    if (dms_enrol_election_get(req->store, req->principal->employee_id, &e, &err) != DMS_OK)
        goto out;
    json_error_t jerr;
    options = json_loads(e.options, 0, &jerr);
    const char *codes[DMS_POLICY_MAX_OPTIONS + 1];
    dms_election_request er = {codes, codes_of(options, codes, DMS_POLICY_MAX_OPTIONS), req->today,
                               e.life_event_date[0] ? e.life_event_date : NULL};
    if (e.status != DMS_ELECTION_DRAFT) {
        dms_error_set(&err, DMS_ECONFLICT, "/status",
                      "the election is %s (%s), only a draft (черновик) can be submitted",
                      dms_election_status_name(e.status), dms_election_status_name_ru(e.status));
        goto out;
    }
    if (dms_election_validate(offer, &er, check, &err) != DMS_OK) {
        dms_enrol_rollback(req->store);
        open = false;
        reply_faults(resp, check, &err);
        dms_error_clear(&err);
        goto out;
    }
    char at[40];
    now_iso(at);
    dms_election_change change = {DMS_ELECTION_SUBMITTED, req->principal->actor, at, NULL,
                                  DMS_LIFE_EVENT_NONE};
    dms_election_history entry;
    if (dms_election_transition(e.status, e.version, &change, &entry, &err) != DMS_OK)
        goto out;
    e.status = DMS_ELECTION_SUBMITTED;
    cost_of(check, &e);
    if (dms_register_store_election_put(req->store, &e, &entry, req->principal->role, &err) !=
            DMS_OK ||
        dms_enrol_commit(req->store, &err) != DMS_OK)
        goto out;
    open = false;
    reply(resp, 200, election_json(&e));
out:
    if (open)
        dms_enrol_rollback(req->store);
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(options);
    free(check);
    free(offer);
    ctx_free(&c);
}

/*
 * A life event re-opens the issued election of employee_id (or of election
 * id): 409 for any other status, 422 at /date for a date outside the period,
 * after today or older than the policy's life_event_days (the core's rule).
 */
static void life_event(const dms_api_request *req, const char *employee_id, long id,
                       dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    bool open = false;
    dms_policy *policy = NULL;
    dms_census *census = NULL;
    static const char *const keys[] = {"event", "date", NULL};
    if (body_object(req, &body, &err) != DMS_OK || only_keys(body, keys, &err) != DMS_OK)
        goto out;
    enum dms_life_event event;
    json_t *ev = json_object_get(body, "event"), *date = json_object_get(body, "date");
    if (!json_is_string(ev) || !dms_life_event_from_text(json_string_value(ev), &event) ||
        event == DMS_LIFE_EVENT_NONE) {
        dms_error_set(&err, DMS_EINVAL, "/event",
                      "event must be birth (рождение ребёнка) or marriage (вступление в брак)");
        goto out;
    }
    int y, m, d;
    char msg[128];
    if (!json_is_string(date) || json_string_length(date) != 10 ||
        dms_census_parse_date(json_string_value(date), 10, &y, &m, &d, msg, sizeof msg) != DMS_OK) {
        dms_error_set(&err, DMS_EINVAL, "/date", "date must be YYYY-MM-DD");
        goto out;
    }
    if (req->store == NULL || dms_enrol_begin(req->store, &err) != DMS_OK)
        goto out;
    open = true;
    dms_enrol_election e;
    if ((employee_id != NULL ? dms_enrol_election_get(req->store, employee_id, &e, &err)
                             : dms_enrol_election_get_id(req->store, id, &e, &err)) != DMS_OK)
        goto out;
    char event_date[16];
    snprintf(event_date, sizeof event_date, "%04d-%02d-%02d", y, m, d);
    if (dms_enrol_context_load(req->store, &policy, &census, NULL, &err) != DMS_OK ||
        dms_election_life_event_check(policy, e.status, event_date, req->today, &err) != DMS_OK)
        goto out;
    char at[40];
    now_iso(at);
    dms_election_change change = {DMS_ELECTION_DRAFT, req->principal->actor, at, NULL, event};
    dms_election_history entry;
    if (dms_election_transition(e.status, e.version, &change, &entry, &err) != DMS_OK)
        goto out;
    e.status = DMS_ELECTION_DRAFT;
    e.version = entry.version;
    e.life_event = event;
    snprintf(e.life_event_date, sizeof e.life_event_date, "%.10s", event_date);
    if (dms_register_store_election_put(req->store, &e, &entry, req->principal->role, &err) !=
            DMS_OK ||
        dms_enrol_commit(req->store, &err) != DMS_OK)
        goto out;
    open = false;
    reply(resp, 200, election_json(&e));
out:
    if (open)
        dms_enrol_rollback(req->store);
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(body);
    dms_policy_free(policy);
    dms_census_free(census);
}

void dms_api_me_life_event(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    life_event(req, req->principal->employee_id, 0, resp);
}

static bool parse_id(const char *text, long *id)
{
    char *end = NULL;
    long v = text != NULL ? strtol(text, &end, 10) : 0;
    if (text == NULL || end == text || *end != '\0' || v <= 0)
        return false;
    *id = v;
    return true;
}

void dms_api_election_life_event(const dms_api_request *req, const dms_api_hooks *hooks,
                                 dms_api_response *resp)
{
    (void)hooks;
    long id = 0;
    if (!parse_id(req->param, &id)) {
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no election '%.64s'", req->param);
        fail(resp, &err);
        return;
    }
    life_event(req, NULL, id, resp);
}

/* ---- HR ------------------------------------------------------------------------------------ */

static const char *arg(const dms_api_request *req, const char *name)
{
    return req->arg != NULL ? req->arg(req->arg_ctx, name) : NULL;
}

void dms_api_elections_list(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    const char *department = arg(req, "department"), *status_text = arg(req, "status");
    enum dms_election_status status = DMS_ELECTION_DRAFT;
    if (status_text != NULL && !dms_election_status_from_text(status_text, &status)) {
        dms_error_set(&err, DMS_EINVAL, "/status",
                      "status must be draft, submitted, accepted, issued or rejected");
        fail(resp, &err);
        return;
    }
    dms_enrol_election *list = NULL;
    size_t n = 0;
    if (dms_enrol_election_list(req->store, department, status_text != NULL ? (int)status : -1,
                                &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, election_json(&list[i]));
    reply(resp, 200, json_pack("{s:I, s:o}", "count", (json_int_t)n, "elections", a));
    free(list);
}

void dms_api_election_show(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = 0;
    dms_enrol_election e;
    dms_enrol_history_row *rows = NULL;
    size_t n = 0;
    if (!parse_id(req->param, &id))
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no election '%.64s'", req->param);
    else if (dms_enrol_election_get_id(req->store, id, &e, &err) == DMS_OK &&
             dms_enrol_history(req->store, id, &rows, &n, &err) == DMS_OK) {
        json_t *j = election_json(&e);
        json_object_set_new(j, "history", history_json(rows, n));
        reply(resp, 200, j);
    }
    if (err.code != DMS_OK)
        fail(resp, &err);
    free(rows);
}

/*
 * POST /v1/status-changes {"ids": [..], "to": "accepted", "reason": ".."}:
 * all or nothing, in one transaction; the first refused id is named at
 * /ids/<i>.
 */
void dms_api_status_changes(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL, *done = NULL;
    bool open = false;
    static const char *const keys[] = {"ids", "to", "reason", NULL};
    if (body_object(req, &body, &err) != DMS_OK || only_keys(body, keys, &err) != DMS_OK)
        goto out;
    json_t *ids = json_object_get(body, "ids"), *to = json_object_get(body, "to");
    json_t *reason = json_object_get(body, "reason");
    enum dms_election_status target;
    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 100000) {
        dms_error_set(&err, DMS_EINVAL, "/ids", "ids must be a non-empty array of election ids");
        goto out;
    }
    if (!json_is_string(to) || !dms_election_status_from_text(json_string_value(to), &target)) {
        dms_error_set(&err, DMS_EINVAL, "/to",
                      "to must be accepted, issued or rejected (принята, оформлена, отклонена)");
        goto out;
    }
    if (reason != NULL && (!json_is_string(reason) || json_string_length(reason) >= 200)) {
        dms_error_set(&err, DMS_EINVAL, "/reason", "reason must be text under 200 bytes");
        goto out;
    }
    if (dms_enrol_begin(req->store, &err) != DMS_OK)
        goto out;
    open = true;
    char at[40];
    now_iso(at);
    done = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        char path[32];
        snprintf(path, sizeof path, "/ids/%zu", i);
        dms_enrol_election e;
        if (!json_is_integer(v) ||
            dms_enrol_election_get_id(req->store, (long)json_integer_value(v), &e, &err) !=
                DMS_OK) {
            dms_error_set(&err, DMS_ENOTFOUND, NULL, "no such election");
            snprintf(err.path, sizeof err.path, "%s", path);
            goto out;
        }
        dms_election_change change = {target, req->principal->actor, at,
                                      reason != NULL ? json_string_value(reason) : NULL,
                                      DMS_LIFE_EVENT_NONE};
        dms_election_history entry;
        if (dms_election_transition(e.status, e.version, &change, &entry, &err) != DMS_OK) {
            if (strcmp(err.path, "/reason") != 0)
                snprintf(err.path, sizeof err.path, "%s", path);
            goto out;
        }
        e.status = target;
        snprintf(e.reason, sizeof e.reason, "%s",
                 target == DMS_ELECTION_REJECTED && reason != NULL ? json_string_value(reason)
                                                                   : "");
        if (dms_register_store_election_put(req->store, &e, &entry, req->principal->role, &err) !=
            DMS_OK)
            goto out;
        json_array_append_new(done, json_pack("{s:I, s:s}", "id", (json_int_t)e.id, "status",
                                              dms_election_status_name(e.status)));
    }
    if (dms_enrol_commit(req->store, &err) != DMS_OK)
        goto out;
    open = false;
    reply(resp, 200,
          json_pack("{s:I, s:O}", "changed", (json_int_t)json_array_size(done), "elections", done));
out:
    if (open)
        dms_enrol_rollback(req->store);
    if (err.code != DMS_OK)
        fail(resp, &err);
    json_decref(done);
    json_decref(body);
}

/* ---- exports ------------------------------------------------------------------------------- */

/*
 * Every export is written by the one CSV writer (csvwrite.h) into memory.
 * The dialect follows Accept-Language; Russian when it names neither, as
 * the web pages that download these files are Russian.
 */
struct export
{
    char *text;
    size_t len;
    FILE *mem;
    dms_csvwrite w;
};

static bool export_begin(struct export *x, const dms_api_request *req)
{
    memset(x, 0, sizeof *x);
    x->mem = open_memstream(&x->text, &x->len);
    dms_csvwrite_begin(&x->w, x->mem,
                       dms_csvwrite_lang_from_accept(req->accept_language, DMS_CSV_RU));
    return x->mem != NULL;
}

static void export_reply(dms_api_response *resp, struct export *x)
{
    bool ok = x->mem != NULL && dms_csvwrite_end(&x->w) == DMS_OK;
    if (x->mem != NULL && fclose(x->mem) != 0)
        ok = false;
    if (!ok) {
        free(x->text);
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory for the export");
        fail(resp, &err);
        return;
    }
    reply_csv(resp, x->text, x->len);
}

/* "YYYY-MM-DD" as the dialect writes dates: ДД.ММ.ГГГГ in Russian. */
static const char *export_date(const struct export *x, const char *iso, char buf[16])
{
    if (x->w.lang != DMS_CSV_RU || strlen(iso) != 10)
        return iso;
    snprintf(buf, 16, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
    return buf;
}

/* Accepted and issued elections: the ones that cost money. */
static int binding(const dms_api_request *req, dms_enrol_election **list, size_t *n, dms_error *err)
{
    int status = dms_enrol_election_list(req->store, NULL, -1, list, n, err);
    if (status != DMS_OK)
        return status;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i].status == DMS_ELECTION_ACCEPTED || (*list)[i].status == DMS_ELECTION_ISSUED)
            (*list)[kept++] = (*list)[i];
    *n = kept;
    return DMS_OK;
}

/*
 * The monthly deductions of election e over the period (dms_election_payroll
 * over its history): months[] of *nmonths. Elections never accepted have
 * none; a re-opened one keeps its previous version's until the new one is.
 */
static int payroll_months(const dms_api_request *req, const dms_policy *policy,
                          const dms_enrol_election *e, int64_t *months, size_t *nmonths,
                          dms_error *err)
{
    dms_enrol_history_row *rows = NULL;
    dms_election_history *lines = NULL;
    size_t n = 0;
    int status = DMS_OK;
    if (!dms_election_ever_in_force(e->status, e->version)) {
        *nmonths = 0;
        return DMS_OK;
    }
    if (e->version > 1) { /* earlier versions deduct until the life event */
        if ((status = dms_enrol_history(req->store, e->id, &rows, &n, err)) != DMS_OK)
            return status;
        lines = malloc((n > 0 ? n : 1) * sizeof *lines);
        if (lines == NULL) {
            free(rows);
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the payroll");
        }
        for (size_t i = 0; i < n; i++)
            lines[i] = rows[i].change;
    }
    status = dms_election_payroll(policy, lines, n, e->status, e->version, e->employee_month,
                                  e->life_event_date, months, DMS_PAYROLL_MAX_MONTHS, nmonths, err);
    free(lines);
    free(rows);
    return status;
}

/*
 * GET /v1/exports/payroll.csv: employee_id,month,amount: the monthly salary
 * deduction of every election in force for each month of the period, at
 * the amount of the version in force that month (a life event's new version
 * from the event's month, once accepted), roubles.
 */
void dms_api_export_payroll(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct ctx c = {0};
    dms_enrol_election *list = NULL;
    size_t n = 0;
    if (ctx_load(req, &c, &err) != DMS_OK ||
        dms_enrol_election_list(req->store, NULL, -1, &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        ctx_free(&c);
        return;
    }
    struct export x;
    export_begin(&x, req);
    bool ru = x.w.lang == DMS_CSV_RU;
    dms_csvwrite_text(&x.w, ru ? "Табельный номер" : "employee_id");
    dms_csvwrite_text(&x.w, ru ? "Месяц" : "month");
    dms_csvwrite_text(&x.w, ru ? "Сумма (₽)" : "amount");
    dms_csvwrite_row_end(&x.w);
    for (size_t i = 0; i < n; i++) {
        int64_t months[DMS_PAYROLL_MAX_MONTHS];
        size_t nmonths = 0;
        if (payroll_months(req, c.policy, &list[i], months, &nmonths, &err) != DMS_OK) {
            if (x.mem != NULL)
                fclose(x.mem);
            free(x.text);
            free(list);
            ctx_free(&c);
            fail(resp, &err);
            return;
        }
        for (size_t k = 0; k < nmonths; k++) {
            if (months[k] <= 0)
                continue;
            int y, m;
            dms_election_payroll_month(c.policy, k, &y, &m);
            char month[16];
            snprintf(month, sizeof month, ru ? "%02d.%04d" : "%04d-%02d", ru ? m : y, ru ? y : m);
            dms_csvwrite_text(&x.w, list[i].employee_id);
            dms_csvwrite_text(&x.w, month);
            dms_csvwrite_kopecks(&x.w, months[k]);
            dms_csvwrite_row_end(&x.w);
        }
    }
    export_reply(resp, &x);
    free(list);
    ctx_free(&c);
}

/*
 * GET /v1/exports/attach-list.csv: the insurer's attach list (список на
 * прикрепление), one row per insured person and chosen option of every
 * accepted or issued election, Russian headers, ';' separated.
 */
void dms_api_export_attach(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    struct ctx c = {0};
    dms_enrol_election *list = NULL;
    size_t n = 0;
    if (ctx_load(req, &c, &err) != DMS_OK || binding(req, &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        ctx_free(&c);
        return;
    }
    static const char *const relation_ru[] = {"сотрудник", "супруг(а)", "ребёнок"};
    static const char *const relation_en[] = {"employee", "spouse", "child"};
    static const char *const head_ru[] = {
        "Табельный номер", "Связь",     "Дата рождения", "Пол",         "Регион",
        "Подразделение",   "Программа", "Код программы", "Сеть клиник", "Дата прикрепления",
        "Статус"};
    static const char *const head_en[] = {"employee_id", "relation",    "birth_date", "sex",
                                          "region",      "department",  "option",     "option_code",
                                          "network",     "attach_date", "status"};
    struct export x;
    export_begin(&x, req);
    bool ru = x.w.lang == DMS_CSV_RU;
    for (size_t h = 0; h < sizeof head_ru / sizeof *head_ru; h++)
        dms_csvwrite_text(&x.w, ru ? head_ru[h] : head_en[h]);
    dms_csvwrite_row_end(&x.w);
    for (size_t i = 0; i < n; i++) {
        dms_offer *offer = NULL;
        dms_error ignored;
        dms_error_clear(&ignored);
        if (make_offer(&c, list[i].employee_id, &offer, &ignored) != DMS_OK)
            continue; /* no longer in the census */
        json_error_t jerr;
        json_t *options = json_loads(list[i].options, 0, &jerr);
        const char *from = list[i].life_event_date[0] != '\0' &&
                                   strcmp(list[i].life_event_date, c.policy->period_from) > 0
                               ? list[i].life_event_date
                               : c.policy->period_from;
        size_t k;
        json_t *code;
        json_array_foreach(options, k, code)
        {
            long o = dms_policy_find_option(c.policy, json_string_value(code));
            if (o < 0)
                continue;
            const dms_policy_option *opt = &c.policy->options[o];
            for (size_t m = 0; m < offer->household.nmembers; m++) {
                if (!(offer->options[o].covered & (1u << m)))
                    continue;
                const dms_person *p = offer->household.members[m];
                unsigned rel = p->relation <= 2 ? (unsigned)p->relation : 0;
                char birth[16], iso[16], attach[16];
                snprintf(iso, sizeof iso, "%04d-%02d-%02d", p->birth_year, p->birth_month,
                         p->birth_day);
                dms_csvwrite_text(&x.w, p->employee_id);
                dms_csvwrite_text(&x.w, ru ? relation_ru[rel] : relation_en[rel]);
                dms_csvwrite_text(&x.w, export_date(&x, iso, birth));
                dms_csvwrite_text(&x.w,
                                  p->sex == DMS_SEX_FEMALE ? (ru ? "Ж" : "F") : (ru ? "М" : "M"));
                dms_csvwrite_text(&x.w, p->region);
                dms_csvwrite_text(&x.w, p->department);
                dms_csvwrite_text(&x.w,
                                  ru || opt->name_en[0] == '\0' ? opt->name_ru : opt->name_en);
                dms_csvwrite_text(&x.w, opt->code);
                dms_csvwrite_text(&x.w,
                                  dms_policy_option_network(c.policy, offer->segment, (size_t)o));
                dms_csvwrite_text(&x.w, export_date(&x, from, attach));
                dms_csvwrite_text(&x.w, ru ? dms_election_status_name_ru(list[i].status)
                                           : dms_election_status_name(list[i].status));
                dms_csvwrite_row_end(&x.w);
            }
        }
        json_decref(options);
        free(offer);
    }
    export_reply(resp, &x);
    free(list);
    ctx_free(&c);
}

/* ---- aggregates ---------------------------------------------------------------------------- */

/* A count for a manager: null when suppressed (the core decides which). */
static json_t *cell(long count, bool hidden)
{
    return hidden ? json_null() : json_integer(count);
}

void dms_api_department_summary(const dms_api_request *req, const dms_api_hooks *hooks,
                                dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    const char *department = req->param;
    if (req->principal->role == DMS_ROLE_MANAGER &&
        strcmp(department, req->principal->department) != 0) {
        dms_error_set(&err, DMS_EFORBIDDEN, NULL,
                      "a manager sees only their own department (%.100s)",
                      req->principal->department);
        fail(resp, &err);
        return;
    }
    struct ctx c = {0};
    dms_enrol_election *list = NULL;
    size_t n = 0;
    long employees = 0;
    if (ctx_load(req, &c, &err) != DMS_OK ||
        dms_enrol_employee_count(req->store, department, &employees, &err) != DMS_OK ||
        dms_enrol_election_list(req->store, department, -1, &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        ctx_free(&c);
        return;
    }
    if (employees == 0) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no department '%.100s' in the census",
                      department);
        fail(resp, &err);
        ctx_free(&c);
        free(list);
        return;
    }
    long by_status[DMS_ELECTION_STATUS_COUNT] = {0};
    long by_option[DMS_POLICY_MAX_OPTIONS] = {0};
    for (size_t i = 0; i < n; i++) {
        by_status[list[i].status]++;
        if (list[i].status != DMS_ELECTION_ACCEPTED && list[i].status != DMS_ELECTION_ISSUED &&
            list[i].status != DMS_ELECTION_SUBMITTED)
            continue;
        json_error_t jerr;
        json_t *options = json_loads(list[i].options, 0, &jerr);
        size_t k;
        json_t *code;
        json_array_foreach(options, k, code)
        {
            long o = dms_policy_find_option(c.policy, json_string_value(code));
            if (o >= 0)
                by_option[o]++;
        }
        json_decref(options);
    }
    /* Statuses (and "none") add up to the employees: suppressed with their
     * complement, so no hidden count is the difference of visible ones.
     * Options are chosen together, so their counts have no total. */
    long counts[1 + DMS_ELECTION_STATUS_COUNT];
    bool hidden[1 + DMS_ELECTION_STATUS_COUNT], total_hidden;
    counts[0] = employees - (long)n;
    for (int s = 0; s < DMS_ELECTION_STATUS_COUNT; s++)
        counts[1 + s] = by_status[s];
    if (dms_suppress_counts(employees, counts, 1 + DMS_ELECTION_STATUS_COUNT, DMS_SUPPRESS_MIN_CELL,
                            &total_hidden, hidden, &err) != DMS_OK) {
        fail(resp, &err);
        free(list);
        ctx_free(&c);
        return;
    }
    json_t *statuses = json_object(), *opts = json_object();
    json_object_set_new(statuses, "none", cell(counts[0], hidden[0]));
    for (int s = 0; s < DMS_ELECTION_STATUS_COUNT; s++)
        json_object_set_new(statuses, dms_election_status_name((enum dms_election_status)s),
                            cell(counts[1 + s], hidden[1 + s]));
    for (size_t o = 0; o < c.policy->noptions; o++)
        json_object_set_new(
            opts, c.policy->options[o].code,
            cell(by_option[o], dms_suppress_small(by_option[o], DMS_SUPPRESS_MIN_CELL)));
    reply(resp, 200,
          json_pack("{s:s, s:o, s:i, s:o, s:o}", "department", department, "employees",
                    cell(employees, total_hidden), "suppressed_below", DMS_SUPPRESS_MIN_CELL,
                    "by_status", statuses, "chosen_options", opts));
    free(list);
    ctx_free(&c);
}

void dms_api_totals(const dms_api_request *req, const dms_api_hooks *hooks, dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_enrol_election *list = NULL;
    size_t n = 0;
    if (dms_enrol_election_list(req->store, NULL, -1, &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    long by_status[DMS_ELECTION_STATUS_COUNT] = {0};
    int64_t price = 0, employer = 0, employee = 0, month = 0;
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        by_status[list[i].status]++;
        if (list[i].status == DMS_ELECTION_ACCEPTED || list[i].status == DMS_ELECTION_ISSUED) {
            count++;
            price += list[i].price;
            employer += list[i].employer;
            employee += list[i].employee;
            month += list[i].employee_month;
        }
    }
    json_t *statuses = json_object();
    for (int s = 0; s < DMS_ELECTION_STATUS_COUNT; s++)
        json_object_set_new(statuses, dms_election_status_name((enum dms_election_status)s),
                            json_integer(by_status[s]));
    reply(resp, 200,
          json_pack("{s:o, s:{s:I, s:o, s:o, s:o, s:o}}", "by_status", statuses, "binding",
                    "elections", (json_int_t)count, "price_year", money(price), "employer_year",
                    money(employer), "employee_year", money(employee), "payroll_month",
                    money(month)));
    free(list);
}
