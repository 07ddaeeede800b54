/*
 * Handlers of the employer's money (платежи и сверки) for finance, HR and
 * the insurer: the contract's billing terms, invoices (listed; issued by
 * the insurer), payments (one typed in as JSON, or a bank statement as CSV
 * or 1CClientBankExchange text), the pro rata accruals of a period, debts
 * and the next invoice expected, and the reconciliation act as CSV or
 * XLSX. The rules are the core's (finance.h, statement.h); the storage is
 * finance_store.h. Every amount goes out in kopecks (integers) beside its
 * text in roubles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "dms/finance.h"
#include "dms/finance_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/statement.h"
#include "routes.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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

static json_t *money_json(int64_t kopecks)
{
    char buf[48];
    return json_string(dms_finance_kopecks_rub(kopecks, buf, sizeof buf));
}

/* ?today= or the request's day. */
static int read_today(const dms_api_request *req, long *today, dms_error *err)
{
    const char *t = arg(req, "today");
    if (t == NULL)
        t = req->today;
    if (t == NULL || !dms_date_parse(t, today))
        return dms_error_set(err, DMS_EINVAL, "/today", "today is a date YYYY-MM-DD");
    return DMS_OK;
}

/* ?from=&to=, each defaulting to the policy period's bound. */
static int read_period(const dms_api_request *req, const dms_finance_book *book, long *from,
                       long *to, dms_error *err)
{
    const char *a = arg(req, "from"), *b = arg(req, "to");
    *from = book->policy_from;
    *to = book->policy_to;
    if ((a != NULL && !dms_date_parse(a, from)) || (b != NULL && !dms_date_parse(b, to)) ||
        *to < *from)
        return dms_error_set(err, DMS_EINVAL, a == NULL ? "/from" : "/to",
                             "from and to are dates YYYY-MM-DD, from <= to (период)");
    return DMS_OK;
}

static json_t *invoice_json(const dms_finance_invoice *v, long today)
{
    enum dms_finance_state s = dms_finance_invoice_state(v, today);
    json_t *j = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:s, s:s}", "number",
                          v->number, "period", v->period, "period_from", day_json(v->period_from),
                          "period_to", day_json(v->period_to), "issued", day_json(v->issued), "due",
                          day_json(v->due), "amount_kopecks", (json_int_t)v->amount, "paid_kopecks",
                          (json_int_t)v->paid, "open_kopecks", (json_int_t)(v->amount - v->paid),
                          "amount", money_json(v->amount), "state", dms_finance_state_name(s),
                          "state_ru", dms_finance_state_name_ru(s));
    if (j != NULL && s == DMS_FINANCE_OVERDUE)
        json_object_set_new(j, "days_overdue", json_integer(today - v->due));
    return j;
}

static json_t *invoices_json(const dms_finance_book *b, long today)
{
    json_t *items = json_array();
    for (size_t i = 0; i < b->ninvoices; i++)
        json_array_append_new(items, invoice_json(&b->invoices[i], today));
    return items;
}

/* ---- contract ----------------------------------------------------------------------- */

void dms_api_finance_contract_get(const dms_api_request *req, const dms_api_hooks *hooks,
                                  dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_finance_contract c;
    if (dms_finance_store_contract_get(req->store, &c, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, dms_finance_contract_to_json(&c));
}

void dms_api_finance_contract_put(const dms_api_request *req, const dms_api_hooks *hooks,
                                  dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    dms_finance_contract c;
    int status = dms_json_parse_text(req->body, req->body_len, &body, &err);
    if (status == DMS_OK)
        status = dms_finance_contract_from_json(body, &c, &err);
    if (status == DMS_OK)
        status = dms_finance_store_contract_set(req->store, &c, req->principal->actor, &err);
    json_decref(body);
    if (status != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, dms_finance_contract_to_json(&c));
}

/* ---- invoices --------------------------------------------------------------------------- */

static void reply_invoices(const dms_api_request *req, dms_api_response *resp, long today,
                           unsigned http, size_t issued)
{
    dms_error err;
    dms_error_clear(&err);
    dms_finance_book *b = NULL;
    if (dms_finance_store_book(req->store, &b, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *j = json_pack("{s:o, s:I, s:o}", "today", day_json(today), "credit_kopecks",
                          (json_int_t)b->credit, "invoices", invoices_json(b, today));
    if (j != NULL && http == 201)
        json_object_set_new(j, "issued", json_integer((json_int_t)issued));
    dms_finance_book_free(b);
    dms_api_response_json(resp, http, j);
}

void dms_api_finance_invoices(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long today = 0;
    if (read_today(req, &today, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    reply_invoices(req, resp, today, 200, 0);
}

void dms_api_finance_issue(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long today = 0;
    size_t issued = 0;
    if (read_today(req, &today, &err) != DMS_OK ||
        dms_finance_store_issue(req->store, today, req->principal->actor, &issued, &err) !=
            DMS_OK) {
        fail(resp, &err);
        return;
    }
    reply_invoices(req, resp, today, 201, issued);
}

/* ---- payments ------------------------------------------------------------------------------ */

void dms_api_finance_payments(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_finance_book *b = NULL;
    if (dms_finance_store_book(req->store, &b, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < b->npayments; i++) {
        const dms_finance_payment *p = &b->payments[i];
        json_array_append_new(items, json_pack("{s:o, s:s, s:I, s:o, s:s, s:s, s:s}", "date",
                                               day_json(p->day), "number", p->number,
                                               "amount_kopecks", (json_int_t)p->amount, "amount",
                                               money_json(p->amount), "payer_inn", p->payer_inn,
                                               "purpose", p->purpose, "invoice", p->invoice));
    }
    dms_api_response_json(
        resp, 200,
        json_pack("{s:I, s:o}", "credit_kopecks", (json_int_t)b->credit, "payments", items));
    dms_finance_book_free(b);
}

/* {"date", "number", "amount": "1234.56", "payer_inn", "purpose", "invoice"} */
static int payment_from_json(const dms_api_request *req, dms_finance_payment *p, dms_error *err)
{
    json_t *body = NULL;
    int status = dms_json_parse_text(req->body, req->body_len, &body, err);
    if (status != DMS_OK)
        return status;
    memset(p, 0, sizeof *p);
    static const char *const keys[] = {"date",    "number",  "amount", "payer_inn",
                                       "purpose", "invoice", NULL};
    const char *key;
    json_t *value;
    if (!json_is_object(body))
        status = dms_error_set(err, DMS_EINVAL, "", "the body must be a JSON object");
    json_object_foreach(body, key, value)
    {
        bool known = false;
        for (const char *const *k = keys; *k != NULL && !known; k++)
            known = strcmp(*k, key) == 0;
        if (status == DMS_OK && (!known || !json_is_string(value)))
            status = dms_error_set(err, DMS_EINVAL, NULL,
                                   known ? "'%.64s' must be a string" : "unknown key '%.64s'", key);
    }
    const char *date = json_string_value(json_object_get(body, "date"));
    const char *number = json_string_value(json_object_get(body, "number"));
    const char *amount = json_string_value(json_object_get(body, "amount"));
    const char *inn = json_string_value(json_object_get(body, "payer_inn"));
    const char *purpose = json_string_value(json_object_get(body, "purpose"));
    const char *invoice = json_string_value(json_object_get(body, "invoice"));
    if (status == DMS_OK && (date == NULL || !dms_date_parse(date, &p->day)))
        status = dms_error_set(err, DMS_EINVAL, "/date", "date is YYYY-MM-DD (дата платежа)");
    if (status == DMS_OK &&
        (number == NULL || number[0] == '\0' || strlen(number) >= sizeof p->number))
        status = dms_error_set(err, DMS_EINVAL, "/number",
                               "number is the payment order's number (номер п/п)");
    if (status == DMS_OK &&
        (amount == NULL || !dms_finance_parse_kopecks(amount, strlen(amount), &p->amount)))
        status = dms_error_set(err, DMS_EINVAL, "/amount",
                               "amount is roubles as text, \"1234.56\", above 0 (сумма)");
    if (status == DMS_OK && (inn == NULL || strlen(inn) >= sizeof p->payer_inn))
        status = dms_error_set(err, DMS_EINVAL, "/payer_inn", "payer_inn is 10 or 12 digits");
    if (status == DMS_OK) {
        snprintf(p->number, sizeof p->number, "%s", number);
        snprintf(p->payer_inn, sizeof p->payer_inn, "%s", inn);
        snprintf(p->purpose, sizeof p->purpose, "%s", purpose != NULL ? purpose : "");
        snprintf(p->invoice, sizeof p->invoice, "%s", invoice != NULL ? invoice : "");
    }
    json_decref(body);
    return status;
}

void dms_api_finance_pay(const dms_api_request *req, const dms_api_hooks *hooks,
                         dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    bool json =
        req->content_type != NULL && strncasecmp(req->content_type, "application/json", 16) == 0;
    if (json) {
        dms_finance_payment p;
        bool dup = false;
        if (payment_from_json(req, &p, &err) != DMS_OK ||
            dms_finance_store_payment_add(req->store, &p, "api", req->principal->actor, &dup,
                                          &err) != DMS_OK) {
            fail(resp, &err);
            return;
        }
        dms_api_response_json(
            resp, dup ? 200 : 201,
            json_pack("{s:I, s:I}", "added", (json_int_t)!dup, "duplicates", (json_int_t)dup));
        return;
    }
    dms_diag *diag = NULL;
    dms_statement *st = NULL;
    int status = dms_diag_alloc(0, &diag);
    if (status == DMS_OK)
        status = dms_statement_read(req->body, req->body_len, "statement", &st, diag);
    if (status != DMS_OK) {
        /* Every faulty line, not only the first. */
        json_t *faults = json_array();
        for (size_t i = 0; i < dms_diag_kept(diag); i++) {
            const dms_error *e = dms_diag_get(diag, i);
            json_array_append_new(faults, json_pack("{s:i, s:i, s:s}", "line", e->line, "column",
                                                    e->column, "message", e->message));
        }
        dms_diag_first(diag, &err);
        if (err.code == DMS_OK)
            dms_error_set(&err, status, NULL, "cannot read the statement");
        dms_api_response_error(resp, 422, &err, NULL);
        json_t *reply = json_loadb(resp->body, resp->body_len, 0, NULL);
        if (reply != NULL) {
            json_object_set_new(reply, "faults", faults);
            dms_api_response_json(resp, 422, reply);
        } else {
            json_decref(faults);
        }
        dms_diag_free(diag);
        return;
    }
    dms_finance_import r;
    status = dms_finance_store_import(req->store, st, "statement", req->principal->actor, &r, &err);
    dms_statement_free(st);
    dms_diag_free(diag);
    if (status != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 201,
                          json_pack("{s:I, s:I, s:I, s:I}", "added", (json_int_t)r.added, "matched",
                                    (json_int_t)r.matched, "duplicates", (json_int_t)r.duplicates,
                                    "other_payers", (json_int_t)r.foreign));
}

/* ---- accruals, debts ---------------------------------------------------------------------- */

void dms_api_finance_accruals(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long from = 0, to = 0;
    dms_finance_book *b = NULL;
    dms_finance_accrual *v = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (dms_finance_store_book(req->store, &b, &err) != DMS_OK ||
        read_period(req, b, &from, &to, &err) != DMS_OK ||
        dms_finance_accrue(b->spans, b->nspans, b->policy_from, b->policy_to, from, to, &v, &n,
                           &total, &err) != DMS_OK) {
        dms_finance_book_free(b);
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const dms_finance_span *s = &b->spans[v[i].span];
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I}", "policy", s->policy,
                             "programme", s->programme, "from", day_json(v[i].from), "to",
                             day_json(v[i].to), "days", (json_int_t)v[i].days, "annual_kopecks",
                             (json_int_t)s->annual_kopecks, "kopecks", (json_int_t)v[i].kopecks));
    }
    dms_api_response_json(resp, 200,
                          json_pack("{s:o, s:o, s:I, s:o, s:o}", "from", day_json(from), "to",
                                    day_json(to), "total_kopecks", (json_int_t)total, "total",
                                    money_json(total), "accruals", items));
    free(v);
    dms_finance_book_free(b);
}

void dms_api_finance_debts(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long today = 0;
    dms_finance_book *b = NULL;
    if (read_today(req, &today, &err) != DMS_OK ||
        dms_finance_store_book(req->store, &b, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *open = json_array();
    int64_t total = 0, overdue = 0, charged = 0;
    for (size_t i = 0; i < b->ninvoices; i++) {
        const dms_finance_invoice *v = &b->invoices[i];
        charged += v->amount;
        enum dms_finance_state s = dms_finance_invoice_state(v, today);
        if (s == DMS_FINANCE_PAID)
            continue;
        total += v->amount - v->paid;
        if (s == DMS_FINANCE_OVERDUE)
            overdue += v->amount - v->paid;
        json_array_append_new(open, invoice_json(v, today));
    }
    json_t *upcoming = json_null();
    for (size_t k = 0; k < b->nperiods; k++) {
        bool have = false;
        for (size_t i = 0; i < b->ninvoices && !have; i++)
            have = b->invoices[i].period == (int)k + 1;
        if (have)
            continue;
        int64_t through = 0;
        dms_finance_accrue(b->spans, b->nspans, b->policy_from, b->policy_to, b->policy_from,
                           b->periods[k].to, NULL, NULL, &through, NULL);
        long issue = b->periods[k].from > today ? b->periods[k].from : today;
        upcoming = json_pack(
            "{s:i, s:o, s:o, s:o, s:o, s:I, s:o}", "period", (int)k + 1, "period_from",
            day_json(b->periods[k].from), "period_to", day_json(b->periods[k].to), "issued",
            day_json(issue), "due", day_json(issue + b->contract.due_days), "amount_kopecks",
            (json_int_t)(through - charged), "amount", money_json(through - charged));
        break;
    }
    dms_api_response_json(resp, 200,
                          json_pack("{s:o, s:I, s:I, s:I, s:o, s:o}", "today", day_json(today),
                                    "open_kopecks", (json_int_t)total, "overdue_kopecks",
                                    (json_int_t)overdue, "credit_kopecks", (json_int_t)b->credit,
                                    "invoices", open, "upcoming", upcoming));
    dms_finance_book_free(b);
}

/* ---- the act ----------------------------------------------------------------------------------
 */

static void act(const dms_api_request *req, bool xlsx, dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    long from = 0, to = 0;
    dms_finance_book *b = NULL;
    dms_finance_act *a = NULL;
    char *data = NULL;
    size_t len = 0;
    int status = dms_finance_store_book(req->store, &b, &err);
    if (status == DMS_OK)
        status = read_period(req, b, &from, &to, &err);
    if (status == DMS_OK)
        status = dms_finance_act_build(b->invoices, b->ninvoices, b->payments, b->npayments, from,
                                       to, &a, &err);
    if (status == DMS_OK) {
        dms_finance_parties parties = {NULL, b->employer_name, b->employer_inn};
        if (xlsx) {
            status = dms_finance_act_xlsx(a, &parties, NULL, &data, &len, &err);
        } else {
            FILE *mem = open_memstream(&data, &len);
            if (mem == NULL) {
                status = dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
            } else {
                status = dms_finance_act_csv(a, &parties, mem, &err);
                fclose(mem);
            }
        }
    }
    dms_finance_act_free(a);
    dms_finance_book_free(b);
    if (status != DMS_OK) {
        free(data);
        fail(resp, &err);
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->body = data;
    resp->body_len = len;
    resp->content_type = xlsx ? XLSX_TYPE : "text/csv; charset=utf-8";
}

void dms_api_finance_act_csv(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    act(req, false, resp);
}

void dms_api_finance_act_xlsx(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    act(req, true, resp);
}
