/*
 * Handlers of reimbursement requests (обращения и возмещения). Who sees
 * what is decided here, once, by view():
 *   - the employee: their own requests in full (diagnosis, documents,
 *     comments) and their own documents;
 *   - the insurer: every request of the employer in full, every document,
 *     and the only role that moves statuses;
 *   - HR and brokers: a de-identified list (person, category, amounts,
 *     status, dates), counts by status with small cells suppressed, the
 *     report of requests; never a diagnosis, a comment or a document
 *     (managers and finance have no route here at all).
 * HR may file a request and attach documents on an employee's behalf; it
 * cannot read them back. The rules are the core's (reimbursement.h), the
 * storage reimb_store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "dms/finance.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register_store.h"
#include "dms/reimb_store.h"
#include "dms/reports.h"
#include "dms/suppress.h"
#include "routes.h"

static void fail(dms_api_response *resp, const dms_error *err)
{
    int code = err->code != DMS_OK ? err->code : DMS_EINTERNAL;
    dms_api_response_error(resp, dms_api_http_status(code), err, NULL);
}

static const char *arg(const dms_api_request *req, const char *name)
{
    const char *v = req->arg != NULL ? req->arg(req->arg_ctx, name) : NULL;
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static json_t *day_json(long day)
{
    char buf[11];
    dms_register_day_text(day, buf);
    return json_string(buf);
}

static bool full_view(const dms_api_request *req)
{
    enum dms_role r = req->principal->role;
    return r == DMS_ROLE_EMPLOYEE || r == DMS_ROLE_INSURER;
}

/* The employee a request is scoped to: their own for an employee key, else none. */
static const char *own(const dms_api_request *req)
{
    return req->principal->role == DMS_ROLE_EMPLOYEE ? req->principal->employee_id : NULL;
}

static bool read_id(const char *text, long *id)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v <= 0)
        return false;
    *id = v;
    return true;
}

/* The request as the caller may see it; history and documents only in the full view. */
static json_t *request_json(const dms_api_request *req, const dms_reimb_row *r, bool detail)
{
    bool full = full_view(req);
    json_t *j = json_pack(
        "{s:I, s:s, s:o, s:o, s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)r->id,
        "employee_id", r->employee_id, "filed_date", day_json(r->filed_day), "service_date",
        day_json(r->service_day), "category", r->category, "amount_kopecks", (json_int_t)r->amount,
        "approved_kopecks", (json_int_t)r->approved, "status", dms_reimb_status_name(r->status),
        "status_ru", dms_reimb_status_name_ru(r->status), "version", (json_int_t)r->version,
        "updated_at", r->updated_at);
    if (j == NULL || !full)
        return j;
    json_object_set_new(j, "policy", json_string(r->policy));
    json_object_set_new(j, "clinic", json_string(r->clinic));
    json_object_set_new(j, "diagnosis", json_string(r->diagnosis));
    json_object_set_new(j, "module", json_string(r->module));
    json_object_set_new(j, "documents_count", json_integer(r->documents));
    if (!detail)
        return j;
    dms_error err;
    dms_error_clear(&err);
    dms_reimb_event *ev = NULL;
    dms_reimb_doc *docs = NULL;
    size_t nev = 0, ndocs = 0;
    json_t *history = json_array(), *documents = json_array();
    if (dms_reimb_store_events(req->store, r->id, &ev, &nev, &err) == DMS_OK)
        for (size_t i = 0; i < nev; i++)
            json_array_append_new(
                history, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "at", ev[i].at, "actor",
                                   ev[i].actor, "role", ev[i].role, "from",
                                   ev[i].from < 0 ? json_null()
                                                  : json_string(dms_reimb_status_name(
                                                        (enum dms_reimb_status)ev[i].from)),
                                   "to", dms_reimb_status_name(ev[i].to), "to_ru",
                                   dms_reimb_status_name_ru(ev[i].to), "comment", ev[i].comment));
    if (dms_reimb_store_documents(req->store, r->id, &docs, &ndocs, &err) == DMS_OK)
        for (size_t i = 0; i < ndocs; i++)
            json_array_append_new(documents,
                                  json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "id",
                                            (json_int_t)docs[i].id, "name", docs[i].name,
                                            "media_type", dms_reimb_doc_media_type(docs[i].kind),
                                            "size", (json_int_t)docs[i].size, "sha256",
                                            docs[i].sha256, "uploaded_at", docs[i].uploaded_at));
    free(ev);
    free(docs);
    json_object_set_new(j, "history", history);
    json_object_set_new(j, "documents", documents);
    return j;
}

/* ---- filing -------------------------------------------------------------------------- */

/* {"service_date", "category", "amount": "1234.56", "clinic", "diagnosis"} (+ "employee_id"). */
static int request_from_json(json_t *body, bool on_behalf, dms_reimb_request *r,
                             const char **employee, dms_error *err)
{
    static const char *const keys[] = {"service_date", "category",    "amount", "clinic",
                                       "diagnosis",    "employee_id", NULL};
    if (!json_is_object(body))
        return dms_error_set(err, DMS_EINVAL, "", "the body must be a JSON object");
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool known = false;
        for (const char *const *k = keys; *k != NULL && !known; k++)
            known = strcmp(*k, key) == 0 && (on_behalf || strcmp(key, "employee_id") != 0);
        if (!known || !json_is_string(value))
            return dms_error_set(err, DMS_EINVAL, NULL,
                                 known ? "'%.64s' must be a string" : "unknown key '%.64s'", key);
    }
    const char *date = json_string_value(json_object_get(body, "service_date"));
    const char *amount = json_string_value(json_object_get(body, "amount"));
    memset(r, 0, sizeof *r);
    r->category = json_string_value(json_object_get(body, "category"));
    r->clinic = json_string_value(json_object_get(body, "clinic"));
    r->diagnosis = json_string_value(json_object_get(body, "diagnosis"));
    if (r->diagnosis == NULL)
        r->diagnosis = "";
    if (date == NULL || !dms_date_parse(date, &r->service_day))
        return dms_error_set(err, DMS_EINVAL, "/service_date",
                             "service_date is YYYY-MM-DD (дата услуги)");
    if (amount == NULL || !dms_finance_parse_kopecks(amount, strlen(amount), &r->amount))
        return dms_error_set(err, DMS_EINVAL, "/amount",
                             "amount is roubles as text, \"4500.00\", above 0 (сумма)");
    if (on_behalf) {
        *employee = json_string_value(json_object_get(body, "employee_id"));
        if (*employee == NULL || (*employee)[0] == '\0')
            return dms_error_set(err, DMS_EINVAL, "/employee_id",
                                 "employee_id names the employee the request is for");
    }
    return DMS_OK;
}

static void create(const dms_api_request *req, bool on_behalf, dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    dms_reimb_request r;
    const char *employee = req->principal->employee_id;
    long today = 0, id = 0;
    dms_reimb_row row;
    int status = dms_json_parse_text(req->body, req->body_len, &body, &err);
    if (status == DMS_OK)
        status = request_from_json(body, on_behalf, &r, &employee, &err);
    if (status == DMS_OK && !dms_date_parse(req->today, &today))
        status = dms_error_set(&err, DMS_EINTERNAL, NULL, "no date today");
    if (status == DMS_OK)
        status = dms_reimb_store_create(req->store, employee, &r, today, req->principal->actor,
                                        dms_role_name(req->principal->role), &id, &err);
    if (status == DMS_OK)
        status = dms_reimb_store_get(req->store, id, NULL, &row, &err);
    json_decref(body);
    if (status != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 201, request_json(req, &row, true));
}

void dms_api_me_requests_create(const dms_api_request *req, const dms_api_hooks *hooks,
                                dms_api_response *resp)
{
    (void)hooks;
    create(req, false, resp);
}

void dms_api_requests_create(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    create(req, true, resp);
}

/* ---- lists ------------------------------------------------------------------------------- */

void dms_api_requests_list(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_reimb_row *rows = NULL;
    size_t n = 0;
    if (dms_reimb_store_list(req->store, own(req), &rows, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, request_json(req, &rows[i], own(req) != NULL));
    free(rows);
    dms_api_response_json(resp, 200,
                          json_pack("{s:I, s:o}", "total", (json_int_t)n, "requests", items));
}

void dms_api_request_show(const dms_api_request *req, const dms_api_hooks *hooks,
                          dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = 0;
    dms_reimb_row r;
    if (!read_id(req->param, &id)) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no request '%.32s'", req->param);
        fail(resp, &err);
        return;
    }
    if (dms_reimb_store_get(req->store, id, own(req), &r, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, request_json(req, &r, true));
}

void dms_api_requests_summary(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long counts[DMS_REIMB_STATUS_COUNT];
    bool hidden[DMS_REIMB_STATUS_COUNT], total_hidden = false;
    if (dms_reimb_store_counts(req->store, counts, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    int min_cell = DMS_REPORTS_MIN_CELL;
    long total = 0;
    for (int i = 0; i < DMS_REIMB_STATUS_COUNT; i++)
        total += counts[i];
    /* the same primary and complementary suppression as every other table */
    if (dms_suppress_counts(total, counts, DMS_REIMB_STATUS_COUNT, min_cell, &total_hidden, hidden,
                            &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *by = json_object();
    for (int i = 0; i < DMS_REIMB_STATUS_COUNT; i++) {
        json_object_set_new(by, dms_reimb_status_name((enum dms_reimb_status)i),
                            hidden[i] ? json_null() : json_integer(counts[i]));
    }
    dms_api_response_json(resp, 200,
                          json_pack("{s:i, s:o, s:o}", "min_cell", min_cell, "total",
                                    total_hidden ? json_null() : json_integer(total), "by_status",
                                    by));
}

/* ---- documents ------------------------------------------------------------------------------ */

void dms_api_request_attach(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = 0, doc = 0;
    if (!read_id(req->param, &id)) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no request '%.32s'", req->param);
        fail(resp, &err);
        return;
    }
    if (dms_reimb_store_attach(req->store, id, own(req), arg(req, "name"), req->body, req->body_len,
                               req->principal->actor, &doc, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    /* HR filing on an employee's behalf learns the id, not the content. */
    dms_api_response_json(
        resp, 201, json_pack("{s:I, s:I}", "id", (json_int_t)doc, "request", (json_int_t)id));
}

/*
 * GET .../requests/{id}/documents: the employee (own request) and the
 * insurer get the list, and with ?download=DOC the document itself; HR and
 * brokers only how many there are.
 */
void dms_api_request_documents(const dms_api_request *req, const dms_api_hooks *hooks,
                               dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = 0, doc = 0;
    dms_reimb_row r;
    if (!read_id(req->param, &id)) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no request '%.32s'", req->param);
        fail(resp, &err);
        return;
    }
    if (dms_reimb_store_get(req->store, id, own(req), &r, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    const char *download = arg(req, "download");
    if (!full_view(req)) {
        if (download != NULL) {
            dms_error_set(&err, DMS_EFORBIDDEN, NULL,
                          "documents are seen only by the employee and the insurer (документы "
                          "видят только сотрудник и страховщик)");
            fail(resp, &err);
            return;
        }
        dms_api_response_json(
            resp, 200,
            json_pack("{s:I, s:I}", "request", (json_int_t)id, "count", (json_int_t)r.documents));
        return;
    }
    if (download == NULL) {
        json_t *j = request_json(req, &r, true);
        json_t *list = json_incref(json_object_get(j, "documents"));
        json_decref(j);
        dms_api_response_json(
            resp, 200, json_pack("{s:I, s:o}", "request", (json_int_t)id, "documents", list));
        return;
    }
    dms_reimb_doc meta;
    char *data = NULL;
    size_t len = 0;
    if (!read_id(download, &doc) ||
        dms_reimb_store_document(req->store, doc, own(req), &meta, &data, &len, &err) != DMS_OK ||
        meta.request != id) {
        free(data);
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOTFOUND, "/download", "no document '%.32s' on request %ld",
                      download, id);
        fail(resp, &err);
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->body = data;
    resp->body_len = len;
    resp->content_type = dms_reimb_doc_media_type(meta.kind);
}

/* ---- statuses -------------------------------------------------------------------------------- */

/* {"to": "review", "comment": "...", "approved_amount": "4000.00", "version": 3} */
void dms_api_request_status(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    long id = 0;
    enum dms_reimb_status to = DMS_REIMB_SUBMITTED;
    int64_t approved = 0;
    dms_reimb_row r;
    int status = read_id(req->param, &id)
                     ? dms_json_parse_text(req->body, req->body_len, &body, &err)
                     : dms_error_set(&err, DMS_ENOTFOUND, NULL, "no request '%.32s'", req->param);
    const char *to_text = json_string_value(json_object_get(body, "to"));
    const char *comment = json_string_value(json_object_get(body, "comment"));
    const char *amount = json_string_value(json_object_get(body, "approved_amount"));
    json_t *version = json_object_get(body, "version");
    if (status == DMS_OK && (to_text == NULL || !dms_reimb_status_from_text(to_text, &to)))
        status = dms_error_set(&err, DMS_EINVAL, "/to",
                               "to is review, documents_requested, approved, paid or rejected");
    if (status == DMS_OK && amount != NULL &&
        !dms_finance_parse_kopecks(amount, strlen(amount), &approved))
        status = dms_error_set(&err, DMS_EINVAL, "/approved_amount",
                               "approved_amount is roubles as text, \"4000.00\"");
    if (status == DMS_OK && version != NULL && !json_is_integer(version))
        status = dms_error_set(&err, DMS_EINVAL, "/version", "version is a whole number");
    if (status == DMS_OK)
        status =
            dms_reimb_store_move(req->store, id, to, comment, approved,
                                 version != NULL ? (long)json_integer_value(version) : 0,
                                 req->principal->actor, dms_role_name(req->principal->role), &err);
    if (status == DMS_OK)
        status = dms_reimb_store_get(req->store, id, NULL, &r, &err);
    json_decref(body);
    if (status != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, request_json(req, &r, true));
}

/* ---- the report of requests
 * ---------------------------------------------------------------------- */

static void csv_text(FILE *out, const char *s, bool first)
{
    if (!first)
        fputc(';', out);
    bool neutral =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    bool quote = strpbrk(s, ";\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (neutral)
        fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
}

/*
 * Номер обращения;Номер полиса;Дата обращения;Дата услуги;Категория;
 * Заявлено;Одобрено;ЛПУ;Статус — Russian Excel CSV, never a diagnosis.
 */
void dms_api_requests_report(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_reimb_row *rows = NULL;
    size_t n = 0, len = 0;
    char *data = NULL;
    if (dms_reimb_store_list(req->store, NULL, &rows, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    FILE *out = open_memstream(&data, &len);
    if (out == NULL) {
        free(rows);
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        fail(resp, &err);
        return;
    }
    fputs("\xEF\xBB\xBFНомер обращения;Номер полиса;Дата обращения;Дата услуги;Категория;"
          "Заявлено;Одобрено;ЛПУ;Статус\r\n",
          out);
    for (size_t i = n; i-- > 0;) {
        const dms_reimb_row *r = &rows[i];
        char id[24], a[11], b[11], filed[16], service[16], m1[32], m2[32];
        snprintf(id, sizeof id, "R-%ld", r->id);
        dms_register_day_text(r->filed_day, a);
        dms_register_day_text(r->service_day, b);
        snprintf(filed, sizeof filed, "%.2s.%.2s.%.4s", a + 8, a + 5, a);
        snprintf(service, sizeof service, "%.2s.%.2s.%.4s", b + 8, b + 5, b);
        csv_text(out, id, true);
        csv_text(out, r->policy, false);
        csv_text(out, filed, false);
        csv_text(out, service, false);
        csv_text(out, r->category, false);
        fprintf(out, ";%s;%s", dms_finance_kopecks_text(r->amount, m1, sizeof m1),
                dms_finance_kopecks_text(r->approved, m2, sizeof m2));
        csv_text(out, r->clinic, false);
        csv_text(out, dms_reimb_status_name_ru(r->status), false);
        fputs("\r\n", out);
    }
    fclose(out);
    free(rows);
    free(resp->body);
    resp->status = 200;
    resp->body = data;
    resp->body_len = len;
    resp->content_type = "text/csv; charset=utf-8";
}

/* ---- notifications (the in-cabinet inbox and the log) ------------------------------------------
 */

#include "dms/notify_store.h"

static json_t *note_json(const dms_notification *n)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i}", "id", (json_int_t)n->id, "kind",
                     n->kind, "subject", n->subject, "body", n->body, "created_at", n->created_at,
                     "email", n->state, "attempts", n->attempts);
}

/* The inbox of the caller: an employee's own, else the key's role. */
void dms_api_notifications(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_notification *v = NULL;
    size_t n = 0;
    const char *role = dms_role_name(req->principal->role);
    if (dms_notify_store_inbox(req->store, role, own(req) != NULL ? own(req) : "", 200, &v, &n,
                               &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, note_json(&v[i]));
    free(v);
    dms_api_response_json(resp, 200, json_pack("{s:s, s:o}", "role", role, "notifications", items));
}

/* Every notification of the employer: to whom, what, when, queued/delivered/failed/retried. */
void dms_api_notifications_log(const dms_api_request *req, const dms_api_hooks *hooks,
                               dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_notify_log_row *v = NULL;
    size_t n = 0;
    if (dms_notify_store_log(req->store, 5000, &v, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                               "notification", (json_int_t)v[i].notification, "at",
                                               v[i].at, "event", v[i].event, "detail", v[i].detail,
                                               "role", v[i].role, "employee_id", v[i].employee_id,
                                               "kind", v[i].kind, "subject", v[i].subject));
    free(v);
    dms_api_response_json(resp, 200, json_pack("{s:o}", "log", items));
}
