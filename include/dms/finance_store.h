/*
 * The stored money of an employer's contract (tables finance_contract,
 * finance_invoice and finance_payment of migration 6), read and written
 * for the connection's employer (dms_store_tenant). The rules are the
 * core's (finance.h): a book loads the contract, the policy period, the
 * register's changes as priced spans of cover, the invoices and the
 * payments, and spreads the payments over the invoices; invoices are issued
 * in period order, each charging the accrual through its period's end less
 * what earlier invoices charged; payments typed in or imported from a bank
 * statement are matched to invoices and a statement is imported in one
 * transaction, a payment already recorded (same day, number, amount and
 * payer) being skipped, so importing a statement twice adds nothing.
 */
#ifndef DMS_FINANCE_STORE_H
#define DMS_FINANCE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"
#include "dms/finance.h"
#include "dms/register_store.h"
#include "dms/statement.h"
#include "dms/store.h"

#define DMS_FINANCE_MAX_PERIODS 40

/* Sets the employer's contract (audited under author). */
int dms_finance_store_contract_set(dms_store *store, const dms_finance_contract *c,
                                   const char *author, dms_error *err);
/* The employer's contract; DMS_ENOTFOUND when none is set. */
int dms_finance_store_contract_get(dms_store *store, dms_finance_contract *out, dms_error *err);

/* Everything the finance reports need, loaded at once. */
typedef struct dms_finance_book {
    long employer;
    char employer_name[256];
    char employer_inn[16];
    dms_finance_contract contract;
    long policy_from, policy_to;
    size_t nperiods;
    dms_finance_period periods[DMS_FINANCE_MAX_PERIODS];
    size_t nspans;
    dms_finance_span *spans; /* priced; strings borrow from the book */
    size_t ninvoices;
    dms_finance_invoice *invoices; /* in period order, paid filled */
    size_t npayments;
    dms_finance_payment *payments; /* in date order */
    int64_t credit;                /* payments beyond every invoice */
    dms_register_change_row *changes_;
} dms_finance_book;

/*
 * Loads the book of the connection's employer. DMS_ENOTFOUND when it has no
 * policy or no contract; DMS_EINVAL when a programme of the register has no
 * rate in the contract.
 */
int dms_finance_store_book(dms_store *store, dms_finance_book **out /* OUT */, dms_error *err);
void dms_finance_book_free(dms_finance_book *book);

/* The period of the book (1-based index) containing day, or 0. */
int dms_finance_book_period_of(const dms_finance_book *book, long day);

/*
 * Issues the invoices of every period that has begun by today and has none,
 * in period order, dated today and due contract.due_days later. *issued
 * (may be NULL) receives how many. Nothing to issue is DMS_OK with 0.
 */
int dms_finance_store_issue(dms_store *store, long today, const char *author,
                            size_t *issued /* OUT */, dms_error *err);

/*
 * Records one payment (matched to an invoice unless p->invoice names one).
 * DMS_EINVAL when the payer's INN is not the contract's payer (or the
 * employer's INN when the contract names none); *duplicate (may be NULL) is
 * set, and nothing written, when the same payment is already recorded.
 */
int dms_finance_store_payment_add(dms_store *store, const dms_finance_payment *p,
                                  const char *source, const char *author, bool *duplicate /* OUT */,
                                  dms_error *err);

/* What an import did. */
typedef struct dms_finance_import {
    size_t added, duplicates, foreign; /* foreign: another payer, not recorded */
    size_t matched;                    /* of the added, matched to an invoice */
} dms_finance_import;

/* Imports a statement in one transaction (see dms_finance_store_payment_add). */
int dms_finance_store_import(dms_store *store, const dms_statement *st, const char *source,
                             const char *author, dms_finance_import *out /* OUT */, dms_error *err);

#endif
