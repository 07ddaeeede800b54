/*
 * The stored money of an employer's contract (finance_store.h): the
 * contract terms, the invoices issued and the payments received, all under
 * the connection's tenant, and the book that brings them together with the
 * register's spans of cover for the core (finance.h) to compute accruals,
 * debts and the reconciliation act.
 */
#include "dms/finance_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/policy.h"
#include "dms/tenant_store.h"
#include "store_internal.h"

/* ---- contract ------------------------------------------------------------------- */

int dms_finance_store_contract_set(dms_store *store, const dms_finance_contract *c,
                                   const char *author, dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    json_t *j = dms_finance_contract_to_json(c);
    char *rates = j != NULL ? json_dumps(json_object_get(j, "rates"), JSON_COMPACT) : NULL;
    json_decref(j);
    if (rates == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the contract");
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "INSERT INTO finance_contract (tenant, schedule, due_days, payer_inn, "
                          "rates, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                          "ON CONFLICT (tenant) DO UPDATE SET schedule = excluded.schedule, "
                          "due_days = excluded.due_days, payer_inn = excluded.payer_inn, "
                          "rates = excluded.rates, updated_by = excluded.updated_by, "
                          "updated_at = dms_now()",
                          &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_text(stmt, 2, dms_finance_schedule_name(c->schedule));
        dms_sql_bind_int64(stmt, 3, c->due_days);
        dms_sql_bind_text(stmt, 4, c->payer_inn);
        dms_sql_bind_text(stmt, 5, rates);
        dms_sql_bind_text(stmt, 6, author != NULL ? author : "");
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "writing the contract", err);
    }
    dms_sql_finalize(stmt);
    if (status == DMS_OK)
        status = dms_store_audit(store, author != NULL ? author : "", "finance.contract",
                                 "contract", NULL, err);
    free(rates);
    return status;
}

int dms_finance_store_contract_get(dms_store *store, dms_finance_contract *out, dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT schedule, due_days, payer_inn, rates FROM finance_contract "
                          "WHERE tenant = ?1",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW) {
        const char *rates = dms_sql_column_text(stmt, 3);
        json_t *doc =
            json_pack("{s:s, s:i, s:s, s:o}", "schedule", dms_sql_column_text(stmt, 0), "due_days",
                      dms_sql_column_int(stmt, 1), "payer_inn", dms_sql_column_text(stmt, 2),
                      "rates", json_loads(rates != NULL ? rates : "{}", 0, NULL));
        status = doc != NULL
                     ? dms_finance_contract_from_json(doc, out, err)
                     : dms_error_set(err, DMS_EINTERNAL, NULL, "stored contract unreadable");
        json_decref(doc);
    } else if (rc == DMS_SQL_DONE) {
        status = dms_error_set(err, DMS_ENOTFOUND, NULL,
                               "the employer has no contract terms yet: set them with dmsrate "
                               "finance contract (у работодателя не заданы условия договора)");
    } else {
        status = dms_store_fail(store, rc, "reading the contract", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

/* ---- the book --------------------------------------------------------------------- */

static int policy_period(dms_store *store, long *from, long *to, dms_error *err)
{
    char *text = NULL;
    json_t *doc = NULL;
    dms_policy *policy = NULL;
    int status = dms_enrol_employer_get(store, NULL, &text, NULL, err);
    if (status == DMS_ENOTFOUND)
        return dms_error_set(err, DMS_ENOTFOUND, NULL,
                             "the employer has no policy yet: import its policy and census "
                             "first (dmsrate enrol import; у работодателя нет полиса)");
    if (status == DMS_OK && (status = dms_json_parse_text(text, strlen(text), &doc, err)) == DMS_OK)
        status = dms_policy_load_json(doc, "/policy", &policy, err);
    if (status == DMS_OK) {
        *from = policy->period_from_day;
        *to = policy->period_to_day;
    }
    dms_policy_free(policy);
    json_decref(doc);
    free(text);
    return status;
}

static int load_invoices(dms_store *store, dms_finance_book *b, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT number, period, period_from, period_to, issued, due, amount "
                          "FROM finance_invoice WHERE tenant = ?1 ORDER BY period",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, b->employer);
    size_t cap = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (b->ninvoices == cap) {
            cap = cap != 0 ? cap * 2 : 16;
            dms_finance_invoice *v = realloc(b->invoices, cap * sizeof *v);
            if (v == NULL) {
                dms_sql_finalize(stmt);
                return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for invoices");
            }
            b->invoices = v;
        }
        dms_finance_invoice *v = &b->invoices[b->ninvoices++];
        memset(v, 0, sizeof *v);
        dms_store_column_text(stmt, 0, v->number, sizeof v->number);
        v->period = dms_sql_column_int(stmt, 1);
        v->period_from = (long)dms_sql_column_int64(stmt, 2);
        v->period_to = (long)dms_sql_column_int64(stmt, 3);
        v->issued = (long)dms_sql_column_int64(stmt, 4);
        v->due = (long)dms_sql_column_int64(stmt, 5);
        v->amount = dms_sql_column_int64(stmt, 6);
    }
    dms_sql_finalize(stmt);
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, "reading invoices", err);
}

static int load_payments(dms_store *store, dms_finance_book *b, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "SELECT day, number, amount, payer_inn, purpose, invoice "
                                   "FROM finance_payment WHERE tenant = ?1 ORDER BY day, id",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, b->employer);
    size_t cap = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (b->npayments == cap) {
            cap = cap != 0 ? cap * 2 : 16;
            dms_finance_payment *v = realloc(b->payments, cap * sizeof *v);
            if (v == NULL) {
                dms_sql_finalize(stmt);
                return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for payments");
            }
            b->payments = v;
        }
        dms_finance_payment *p = &b->payments[b->npayments++];
        memset(p, 0, sizeof *p);
        p->day = (long)dms_sql_column_int64(stmt, 0);
        dms_store_column_text(stmt, 1, p->number, sizeof p->number);
        p->amount = dms_sql_column_int64(stmt, 2);
        dms_store_column_text(stmt, 3, p->payer_inn, sizeof p->payer_inn);
        dms_store_column_text(stmt, 4, p->purpose, sizeof p->purpose);
        dms_store_column_text(stmt, 5, p->invoice, sizeof p->invoice);
    }
    dms_sql_finalize(stmt);
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, "reading payments", err);
}

int dms_finance_store_book(dms_store *store, dms_finance_book **out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_store_book: NULL out");
    *out = NULL;
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_finance_book *b = calloc(1, sizeof *b);
    if (b == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the book");
    b->employer = tenant;
    dms_tenant_employer e;
    dms_insured_change *changes = NULL;
    size_t nchanges = 0;
    int status = dms_tenant_employer_get(store, tenant, &e, err);
    if (status == DMS_OK) {
        snprintf(b->employer_name, sizeof b->employer_name, "%s", e.name);
        snprintf(b->employer_inn, sizeof b->employer_inn, "%s", e.inn);
        status = dms_finance_store_contract_get(store, &b->contract, err);
    }
    if (status == DMS_OK)
        status = policy_period(store, &b->policy_from, &b->policy_to, err);
    if (status == DMS_OK)
        status = dms_finance_periods(b->policy_from, b->policy_to, b->contract.schedule, b->periods,
                                     DMS_FINANCE_MAX_PERIODS, &b->nperiods, err);
    if (status == DMS_OK && b->nperiods > DMS_FINANCE_MAX_PERIODS)
        status = dms_error_set(err, DMS_EINVAL, NULL, "the policy has too many billing periods");
    if (status == DMS_OK)
        status = dms_register_store_changes(store, NULL, DMS_INSURED_NO_DATE, DMS_INSURED_OPEN_END,
                                            &b->changes_, &nchanges, err);
    if (status == DMS_OK && (changes = calloc(nchanges + 1, sizeof *changes)) == NULL)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the register's changes");
    for (size_t i = 0; status == DMS_OK && i < nchanges; i++)
        changes[i] = b->changes_[i].change;
    if (status == DMS_OK)
        status = dms_finance_spans_from_changes(changes, nchanges, &b->spans, &b->nspans, err);
    if (status == DMS_OK)
        status = dms_finance_spans_price(b->spans, b->nspans, &b->contract, err);
    if (status == DMS_OK)
        status = load_invoices(store, b, err);
    if (status == DMS_OK)
        status = load_payments(store, b, err);
    free(changes);
    if (status != DMS_OK) {
        dms_finance_book_free(b);
        return status;
    }
    dms_finance_allocate(b->invoices, b->ninvoices, b->payments, b->npayments, &b->credit);
    *out = b;
    return DMS_OK;
}

void dms_finance_book_free(dms_finance_book *book)
{
    if (book == NULL)
        return;
    free(book->spans);
    free(book->invoices);
    free(book->payments);
    free(book->changes_);
    free(book);
}

int dms_finance_book_period_of(const dms_finance_book *book, long day)
{
    for (size_t i = 0; i < book->nperiods; i++)
        if (day >= book->periods[i].from && day <= book->periods[i].to)
            return (int)i + 1;
    return 0;
}

/* ---- invoices ------------------------------------------------------------------------ */

int dms_finance_store_issue(dms_store *store, long today, const char *author, size_t *issued,
                            dms_error *err)
{
    dms_error_clear(err);
    if (issued != NULL)
        *issued = 0;
    dms_finance_book *b = NULL;
    dms_stmt *stmt = NULL;
    int status = dms_enrol_begin(store, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_finance_store_book(store, &b, err)) != DMS_OK)
        goto out;
    status = dms_store_prepare(
        store,
        "INSERT INTO finance_invoice (tenant, period, number, period_from, "
        "period_to, issued, due, amount, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9)",
        &stmt, err);
    int64_t charged = 0;
    for (size_t i = 0; i < b->ninvoices; i++)
        charged += b->invoices[i].amount;
    for (size_t k = 0; status == DMS_OK && k < b->nperiods && b->periods[k].from <= today; k++) {
        bool have = false;
        for (size_t i = 0; i < b->ninvoices && !have; i++)
            have = b->invoices[i].period == (int)k + 1;
        if (have)
            continue;
        int64_t through = 0;
        status = dms_finance_accrue(b->spans, b->nspans, b->policy_from, b->policy_to,
                                    b->policy_from, b->periods[k].to, NULL, NULL, &through, err);
        if (status != DMS_OK)
            break;
        char number[DMS_FINANCE_NUMBER_MAX];
        dms_finance_invoice_number(b->employer, (int)k + 1, number, sizeof number);
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, b->employer);
        dms_sql_bind_int64(stmt, 2, (int)k + 1);
        dms_sql_bind_text(stmt, 3, number);
        dms_sql_bind_int64(stmt, 4, b->periods[k].from);
        dms_sql_bind_int64(stmt, 5, b->periods[k].to);
        dms_sql_bind_int64(stmt, 6, today);
        dms_sql_bind_int64(stmt, 7, today + b->contract.due_days);
        dms_sql_bind_int64(stmt, 8, through - charged);
        dms_sql_bind_text(stmt, 9, author != NULL ? author : "");
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE) {
            status = dms_store_fail(store, rc, "writing an invoice", err);
            break;
        }
        charged = through;
        if (issued != NULL)
            (*issued)++;
    }
out:
    dms_sql_finalize(stmt);
    dms_finance_book_free(b);
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}

/* ---- payments -------------------------------------------------------------------------- */

static const char *expected_payer(const dms_finance_book *b)
{
    return b->contract.payer_inn[0] != '\0' ? b->contract.payer_inn : b->employer_inn;
}

/* Matches and writes one payment; *dup when it was there already. */
static int write_payment(dms_store *store, dms_finance_book *b, dms_stmt *stmt,
                         const dms_finance_payment *in, const char *source, const char *author,
                         bool *dup, bool *matched, dms_error *err)
{
    dms_finance_payment p = *in;
    long m = -1;
    if (p.invoice[0] == '\0') {
        m = dms_finance_match(b->invoices, b->ninvoices, &p);
        if (m >= 0)
            snprintf(p.invoice, sizeof p.invoice, "%s", b->invoices[m].number);
    } else {
        for (size_t i = 0; i < b->ninvoices && m < 0; i++)
            if (strcmp(b->invoices[i].number, p.invoice) == 0)
                m = (long)i;
        if (m < 0)
            return dms_error_set(err, DMS_ENOTFOUND, "/invoice",
                                 "no invoice '%.40s' (счёт не найден)", p.invoice);
    }
    dms_sql_reset(stmt);
    dms_sql_bind_int64(stmt, 1, b->employer);
    dms_sql_bind_int64(stmt, 2, p.day);
    dms_sql_bind_text(stmt, 3, p.number);
    dms_sql_bind_int64(stmt, 4, p.amount);
    dms_sql_bind_text(stmt, 5, p.payer_inn);
    dms_sql_bind_text(stmt, 6, p.purpose);
    dms_sql_bind_text(stmt, 7, p.invoice);
    dms_sql_bind_text(stmt, 8, source != NULL ? source : "");
    dms_sql_bind_text(stmt, 9, author != NULL ? author : "");
    int rc = dms_sql_step(stmt);
    if (rc != DMS_SQL_DONE)
        return dms_store_fail(store, rc, "writing a payment", err);
    *dup = dms_sql_changes(store) == 0;
    *matched = !*dup && m >= 0;
    if (!*dup && m >= 0) {
        int64_t open = b->invoices[m].amount - b->invoices[m].paid;
        b->invoices[m].paid += open > 0 ? (open < p.amount ? open : p.amount) : 0;
    }
    return DMS_OK;
}

static const char insert_payment[] =
    "INSERT INTO finance_payment (tenant, day, number, amount, payer_inn, purpose, invoice, "
    "source, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (tenant, day, number, amount, payer_inn) DO NOTHING";

int dms_finance_store_payment_add(dms_store *store, const dms_finance_payment *p,
                                  const char *source, const char *author, bool *duplicate,
                                  dms_error *err)
{
    dms_error_clear(err);
    if (p == NULL || p->amount <= 0 || p->amount > DMS_FINANCE_MAX_AMOUNT)
        return dms_error_set(err, DMS_EINVAL, "/amount",
                             "the amount must be above 0 (сумма должна быть больше нуля)");
    dms_finance_book *b = NULL;
    dms_stmt *stmt = NULL;
    bool dup = false, matched = false;
    int status = dms_enrol_begin(store, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_finance_store_book(store, &b, err)) != DMS_OK)
        goto out;
    const char *payer = expected_payer(b);
    if (payer[0] != '\0' && strcmp(payer, p->payer_inn) != 0) {
        status = dms_error_set(err, DMS_EINVAL, "/payer_inn",
                               "the payer's INN %.16s is not the policyholder's %.16s (ИНН "
                               "плательщика не совпадает со страхователем)",
                               p->payer_inn, payer);
        goto out;
    }
    if ((status = dms_store_prepare(store, insert_payment, &stmt, err)) == DMS_OK)
        status = write_payment(store, b, stmt, p, source, author, &dup, &matched, err);
out:
    dms_sql_finalize(stmt);
    dms_finance_book_free(b);
    if (duplicate != NULL)
        *duplicate = dup;
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}

int dms_finance_store_import(dms_store *store, const dms_statement *st, const char *source,
                             const char *author, dms_finance_import *out, dms_error *err)
{
    dms_error_clear(err);
    if (st == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_store_import: NULL argument");
    memset(out, 0, sizeof *out);
    dms_finance_book *b = NULL;
    dms_stmt *stmt = NULL;
    int status = dms_enrol_begin(store, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_finance_store_book(store, &b, err)) != DMS_OK ||
        (status = dms_store_prepare(store, insert_payment, &stmt, err)) != DMS_OK)
        goto out;
    const char *payer = expected_payer(b);
    for (size_t i = 0; i < st->n && status == DMS_OK; i++) {
        if (payer[0] != '\0' && strcmp(payer, st->payments[i].payer_inn) != 0) {
            out->foreign++;
            continue;
        }
        bool dup = false, matched = false;
        status =
            write_payment(store, b, stmt, &st->payments[i], source, author, &dup, &matched, err);
        out->duplicates += dup;
        out->added += !dup;
        out->matched += matched;
    }
out:
    dms_sql_finalize(stmt);
    dms_finance_book_free(b);
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}
