/*
 * Money over time for one employer's contract (платежи и сверки): premiums
 * accrue per insured person per day of cover, are invoiced on the
 * contract's schedule (monthly or quarterly), are paid (payments typed in or
 * read from a bank statement, statement.h) and are reconciled in the act
 * (акт сверки взаиморасчётов): opening balance, accruals, payments, closing
 * balance of a period.
 *
 * Pro rata rule. A person covered under a programme whose annual premium is
 * P kopecks, over a policy period of D days, has accrued through day t of a
 * stretch of cover that began on day a
 *     C(t) = round(P * (t - a + 1) / D)        (half up, integer arithmetic)
 * and the accrual of any span of days [p, q] is C(q) - C(p - 1). Because
 * the accruals of consecutive periods telescope, a person covered the whole
 * policy period accrues exactly P whatever the schedule, and a register
 * accrues exactly the sum of its people's annual premiums (the quote's
 * gross for that register): the periods add up to the kopeck.
 *
 * Invoices are issued in advance on the first day of each period for the
 * cover accrued through the period's end as the register stands when the
 * invoice is issued, less what earlier invoices charged; so a join or leave
 * entered after an invoice is corrected by the next one (перерасчёт) and the
 * sum of the invoices always equals the accrual through the last invoiced
 * period.
 *
 * Money is integer kopecks (int64_t) throughout; days are days since
 * 1970-01-01 (as dms_claims_days). Pure: no storage, no clocks.
 */
#ifndef DMS_FINANCE_H
#define DMS_FINANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/error.h"
#include "dms/register.h"

#define DMS_FINANCE_NUMBER_MAX 40
#define DMS_FINANCE_INN_MAX 16
#define DMS_FINANCE_PURPOSE_MAX 512
#define DMS_FINANCE_MAX_RATES 32
/* Largest annual premium of one person (10 million roubles) and of a payment (10^12 kopecks). */
#define DMS_FINANCE_MAX_PREMIUM ((int64_t)1000000000)
#define DMS_FINANCE_MAX_AMOUNT ((int64_t)1000000000000)

enum dms_finance_schedule {
    DMS_FINANCE_MONTHLY = 0,
    DMS_FINANCE_QUARTERLY = 1,
};

/* "monthly" / "quarterly"; "?" out of range. */
const char *dms_finance_schedule_name(enum dms_finance_schedule s);
/* "monthly", "ежемесячно", "quarterly", "ежеквартально" (case-insensitive). */
bool dms_finance_schedule_from_text(const char *text, enum dms_finance_schedule *out);

/* One programme's annual premium per insured person. */
typedef struct dms_finance_rate {
    char programme[64];
    int64_t annual_kopecks;
} dms_finance_rate;

/* The billing terms of an employer's contract. */
typedef struct dms_finance_contract {
    enum dms_finance_schedule schedule;
    int due_days;                        /* an invoice is due this many days after it is issued */
    char payer_inn[DMS_FINANCE_INN_MAX]; /* "" : any payer's payment is accepted */
    size_t nrates;
    dms_finance_rate rates[DMS_FINANCE_MAX_RATES];
} dms_finance_contract;

/* The rate of a programme, or -1 when the contract names none. */
int64_t dms_finance_rate_of(const dms_finance_contract *c, const char *programme);

/*
 * Reads a contract from JSON (borrowed):
 *   {"schedule": "monthly" | "quarterly", "due_days": 10,
 *    "payer_inn": "7701234567", "rates": {"<programme>": "36500.00", ...}}
 * Rates are roubles a year per insured person, as a string with at most
 * two decimals ("36 500,00" too) or a whole number. payer_inn is optional
 * (10 or 12 digits), due_days 0..365 (default 10). Unknown keys are errors;
 * DMS_EINVAL at the JSON Pointer of the bad field.
 */
int dms_finance_contract_from_json(const json_t *root, dms_finance_contract *out /* OUT */,
                                   dms_error *err);
/* The contract as that JSON (rates as "36500.00"); a new reference. */
json_t *dms_finance_contract_to_json(const dms_finance_contract *c);

/* "1234.56", "1 234,56", "1234" into kopecks, > 0 and <= DMS_FINANCE_MAX_AMOUNT. */
bool dms_finance_parse_kopecks(const char *text, size_t len, int64_t *out /* OUT */);

/* ---- periods and accruals --------------------------------------------------- */

typedef struct dms_finance_period {
    long from, to; /* inclusive */
} dms_finance_period;

/*
 * The billing periods of a policy [policy_from, policy_to]: each begins on
 * the policy's start day of month, 1 (monthly) or 3 (quarterly) months
 * after the previous (the 31st falls back to the month's last day), the last
 * clipped to policy_to. A policy from 1 January gives calendar months or
 * quarters. Writes at most max periods into out and their total into *n.
 * DMS_EINVAL for policy_to < policy_from or a policy longer than 3 years.
 */
int dms_finance_periods(long policy_from, long policy_to, enum dms_finance_schedule schedule,
                        dms_finance_period *out, size_t max, size_t *n /* OUT */, dms_error *err);

/* One stretch of one person's cover under one programme, days inclusive. */
typedef struct dms_finance_span {
    const char *policy;    /* номер полиса (borrowed) */
    const char *programme; /* (borrowed) */
    long from, to;         /* to: DMS_INSURED_OPEN_END while covered */
    int64_t annual_kopecks;
} dms_finance_span;

/*
 * The spans of cover that a register's changes describe. changes are every
 * stored change of the employer in order of entry (dms_register_store_changes);
 * per person they apply in order of effective date, then entry: прикрепить
 * opens a span on its date (a resumed person keeps the programme they had),
 * открепить and приостановить close it the day before, изменить программу
 * closes it and opens the new programme's. Spans that end before they begin
 * (a person detached on the day attached) are dropped. *out is malloc'd
 * (free it); strings borrow from changes; annual_kopecks are 0 for the
 * caller to fill (dms_finance_spans_price).
 */
int dms_finance_spans_from_changes(const dms_insured_change *changes, size_t n,
                                   dms_finance_span **out /* OUT */, size_t *nout /* OUT */,
                                   dms_error *err);

/*
 * Sets every span's annual_kopecks from the contract's rates. DMS_EINVAL
 * naming the programme when one has no rate.
 */
int dms_finance_spans_price(dms_finance_span *spans, size_t n, const dms_finance_contract *c,
                            dms_error *err);

/*
 * The accrual, in kopecks, of span over the days [from, to] (clipped to the
 * span and to the policy [policy_from, policy_to]); 0 when they do not meet.
 */
int64_t dms_finance_span_accrual(const dms_finance_span *span, long policy_from, long policy_to,
                                 long from, long to);

/* One person's accrual within a period. */
typedef struct dms_finance_accrual {
    size_t span; /* index into the spans */
    long from, to;
    long days;
    int64_t kopecks;
} dms_finance_accrual;

/*
 * The accruals of every span over [from, to] (non-zero days only) into a
 * malloc'd array (*out may be NULL), their sum into *total (may be NULL).
 */
int dms_finance_accrue(const dms_finance_span *spans, size_t n, long policy_from, long policy_to,
                       long from, long to, dms_finance_accrual **out /* OUT */,
                       size_t *nout /* OUT */, int64_t *total /* OUT */, dms_error *err);

/* ---- invoices, payments, matching ------------------------------------------ */

typedef struct dms_finance_invoice {
    char number[DMS_FINANCE_NUMBER_MAX]; /* "СЧ-<employer>-<period>" */
    int period;                          /* 1-based index of the billing period */
    long period_from, period_to;
    long issued, due; /* days */
    int64_t amount;   /* kopecks; may be negative (a correction in the employer's favour) */
    int64_t paid;     /* filled by dms_finance_allocate */
} dms_finance_invoice;

typedef struct dms_finance_payment {
    long day;
    char number[DMS_FINANCE_NUMBER_MAX]; /* платёжное поручение № */
    int64_t amount;                      /* kopecks, > 0 */
    char payer_inn[DMS_FINANCE_INN_MAX];
    char purpose[DMS_FINANCE_PURPOSE_MAX];
    char invoice[DMS_FINANCE_NUMBER_MAX]; /* matched invoice, "" if none */
} dms_finance_payment;

/* The invoice number of a period of employer: "СЧ-<employer>-<period>". */
const char *dms_finance_invoice_number(long employer, int period, char *buf, size_t size);

/*
 * The invoice a payment pays: the one whose number the purpose names (a
 * whole token: "СЧ-1-1" does not match inside "СЧ-1-12"), else the earliest
 * due invoice still unpaid whose outstanding amount equals the payment.
 * Returns its index, or -1.
 */
long dms_finance_match(const dms_finance_invoice *invoices, size_t n,
                       const dms_finance_payment *payment);

/*
 * Spreads payments over invoices (sets every invoice's paid): a payment
 * matched to an invoice pays it first; what is left of any payment pays the
 * oldest open invoices by due date. Overpayment remains as the employer's
 * credit, returned in *credit (may be NULL).
 */
void dms_finance_allocate(dms_finance_invoice *invoices, size_t n,
                          const dms_finance_payment *payments, size_t m, int64_t *credit /* OUT */);

/* ---- debts and upcoming payments ------------------------------------------- */

enum dms_finance_state {
    DMS_FINANCE_PAID = 0,    /* оплачен */
    DMS_FINANCE_OPEN = 1,    /* к оплате: not yet due */
    DMS_FINANCE_OVERDUE = 2, /* просрочен */
};
const char *dms_finance_state_name(enum dms_finance_state s); /* paid / open / overdue */
const char *
dms_finance_state_name_ru(enum dms_finance_state s); /* оплачен / к оплате / просрочен */

/* An invoice's state on day today (after dms_finance_allocate). */
enum dms_finance_state dms_finance_invoice_state(const dms_finance_invoice *inv, long today);

/* ---- the reconciliation act ------------------------------------------------- */

enum dms_finance_act_kind {
    DMS_FINANCE_ACT_INVOICE = 0, /* debit: an accrual invoiced */
    DMS_FINANCE_ACT_PAYMENT = 1, /* credit: a payment received */
};

typedef struct dms_finance_act_row {
    long day;
    enum dms_finance_act_kind kind;
    char document[160]; /* "Счёт № СЧ-1-3 от 01.03.2026 (01.03.2026–31.03.2026)" */
    int64_t debit, credit;
} dms_finance_act_row;

/*
 * The act for [from, to]. Balances are the employer's debt (positive: the
 * employer owes; negative: the employer has paid ahead):
 *   opening = invoices issued before from − payments before from
 *   closing = opening + accrued − paid
 * with accrued the invoices issued in [from, to] and paid the payments in
 * [from, to], one row each in date order (invoices first on a day).
 */
typedef struct dms_finance_act {
    long from, to;
    int64_t opening, accrued, paid, closing;
    size_t nrows;
    dms_finance_act_row *rows;
} dms_finance_act;

/* Builds the act (free with dms_finance_act_free). DMS_EINVAL for to < from. */
int dms_finance_act_build(const dms_finance_invoice *invoices, size_t n,
                          const dms_finance_payment *payments, size_t m, long from, long to,
                          dms_finance_act **out /* OUT */, dms_error *err);
void dms_finance_act_free(dms_finance_act *act);

/* Names of the parties in the act's heading. */
typedef struct dms_finance_parties {
    const char *insurer;  /* "Страховщик" when NULL */
    const char *employer; /* the policyholder (страхователь) */
    const char *inn;      /* the employer's INN, may be "" */
} dms_finance_parties;

/*
 * The act as Russian Excel CSV (UTF-8 BOM, ';', CRLF, DD.MM.YYYY, decimal
 * comma "1234,56", cells beginning with = + - @ neutralised): a heading,
 * then Дата;Документ;Дебет;Кредит with the opening balance, the rows, the
 * turnover and the closing balance. Errors: DMS_EIO.
 */
int dms_finance_act_csv(const dms_finance_act *act, const dms_finance_parties *parties, FILE *out,
                        dms_error *err);
/* The same as a workbook (sheet «Акт сверки», money cells numeric), to path or into *data and *len.
 */
int dms_finance_act_xlsx(const dms_finance_act *act, const dms_finance_parties *parties,
                         const char *path, char **data /* OUT */, size_t *len /* OUT */,
                         dms_error *err);

/* "1234,56" / "-0,05" into buf (size >= 32); returns buf. */
const char *dms_finance_kopecks_text(int64_t kopecks, char *buf, size_t size);
/* "1 234,56 ₽" (space thousands) into buf (size >= 48); returns buf. */
const char *dms_finance_kopecks_rub(int64_t kopecks, char *buf, size_t size);

#endif
