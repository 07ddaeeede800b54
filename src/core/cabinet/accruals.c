/*
 * Accruals of an employer's contract (finance.h): the billing periods of the
 * policy, the spans of cover the register's changes describe, the pro rata
 * accrual of each span over any run of days (cumulative rounding, so that
 * periods add up to the annual premium to the kopeck), and the matching and
 * spreading of payments over invoices.
 */
#include "dms/date.h"
#include "dms/finance.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/claims.h"
#include "dms/text.h"

const char *dms_finance_schedule_name(enum dms_finance_schedule s)
{
    switch (s) {
    case DMS_FINANCE_MONTHLY:
        return "monthly";
    case DMS_FINANCE_QUARTERLY:
        return "quarterly";
    }
    return "?";
}

bool dms_finance_schedule_from_text(const char *text, enum dms_finance_schedule *out)
{
    if (text == NULL || out == NULL)
        return false;
    if (strcasecmp(text, "monthly") == 0 || strcmp(text, "ежемесячно") == 0 ||
        strcmp(text, "Ежемесячно") == 0) {
        *out = DMS_FINANCE_MONTHLY;
        return true;
    }
    if (strcasecmp(text, "quarterly") == 0 || strcmp(text, "ежеквартально") == 0 ||
        strcmp(text, "Ежеквартально") == 0) {
        *out = DMS_FINANCE_QUARTERLY;
        return true;
    }
    return false;
}

int64_t dms_finance_rate_of(const dms_finance_contract *c, const char *programme)
{
    if (c == NULL || programme == NULL)
        return -1;
    for (size_t i = 0; i < c->nrates && i < DMS_FINANCE_MAX_RATES; i++)
        if (strcmp(c->rates[i].programme, programme) == 0)
            return c->rates[i].annual_kopecks;
    return -1;
}

/* ---- periods ------------------------------------------------------------------ */

/* The day `months` months after (y, m) on day-of-month dom (clamped to the month). */
static long add_months(int y, int m, int dom, int months)
{
    int ny, nm;
    dms_date_add_months(y, m, months, &ny, &nm);
    int d = dom > dms_date_month_days(ny, nm) ? dms_date_month_days(ny, nm) : dom;
    return dms_claims_days(ny, nm, d);
}

int dms_finance_periods(long policy_from, long policy_to, enum dms_finance_schedule schedule,
                        dms_finance_period *out, size_t max, size_t *n, dms_error *err)
{
    dms_error_clear(err);
    if (n == NULL || (out == NULL && max > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_periods: NULL argument");
    *n = 0;
    if (policy_to < policy_from || policy_to - policy_from > 3 * 366)
        return dms_error_set(err, DMS_EINVAL, "/period",
                             "the policy period must run forward and last at most 3 years "
                             "(период полиса: не более 3 лет)");
    int step = schedule == DMS_FINANCE_QUARTERLY ? 3 : 1;
    int y, m, d;
    dms_claims_civil(policy_from, &y, &m, &d);
    long from = policy_from;
    for (int k = 1; from <= policy_to; k++) {
        long next = add_months(y, m, d, k * step);
        long to = next - 1 < policy_to ? next - 1 : policy_to;
        if (*n < max)
            out[*n] = (dms_finance_period){from, to};
        (*n)++;
        from = next;
    }
    return DMS_OK;
}

/* ---- spans of cover ------------------------------------------------------------ */

struct ordered {
    const dms_insured_change *c;
    size_t index;
};

static int by_person_then_day(const void *pa, const void *pb)
{
    const struct ordered *a = pa, *b = pb;
    int cmp = strcmp(a->c->policy, b->c->policy);
    if (cmp != 0)
        return cmp;
    if (a->c->effective_day != b->c->effective_day)
        return a->c->effective_day < b->c->effective_day ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

struct span_list {
    dms_finance_span *v;
    size_t n, cap;
};

static bool push_span(struct span_list *l, const char *policy, const char *programme, long from,
                      long to)
{
    if (to != DMS_INSURED_OPEN_END && to < from)
        return true; /* no day of cover */
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? l->cap * 2 : 64;
        dms_finance_span *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (dms_finance_span){policy, programme, from, to, 0};
    return true;
}

int dms_finance_spans_from_changes(const dms_insured_change *changes, size_t n,
                                   dms_finance_span **out, size_t *nout, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL || nout == NULL || (changes == NULL && n > 0))
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "dms_finance_spans_from_changes: NULL argument");
    *out = NULL;
    *nout = 0;
    struct ordered *order = calloc(n + 1, sizeof *order);
    struct span_list l = {NULL, 0, 0};
    if (order == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the spans of cover");
    for (size_t i = 0; i < n; i++)
        order[i] = (struct ordered){&changes[i], i};
    qsort(order, n, sizeof *order, by_person_then_day);
    bool ok = true;
    for (size_t i = 0; i < n && ok;) {
        const char *policy = order[i].c->policy;
        const char *programme = "";
        bool open = false;
        long from = 0;
        for (; i < n && strcmp(order[i].c->policy, policy) == 0 && ok; i++) {
            const dms_insured_change *c = order[i].c;
            long day = c->effective_day;
            switch (c->action) {
            case DMS_INSURED_ATTACH:
                if (c->programme != NULL && c->programme[0] != '\0')
                    programme = c->programme;
                if (!open) {
                    open = true;
                    from = day;
                }
                break;
            case DMS_INSURED_DETACH:
            case DMS_INSURED_SUSPEND:
                if (open)
                    ok = push_span(&l, policy, programme, from, day - 1);
                open = false;
                break;
            case DMS_INSURED_CHANGE_PROGRAMME:
                if (open) {
                    ok = push_span(&l, policy, programme, from, day - 1);
                    from = day;
                }
                if (c->programme != NULL && c->programme[0] != '\0')
                    programme = c->programme;
                break;
            }
        }
        if (ok && open)
            ok = push_span(&l, policy, programme, from, DMS_INSURED_OPEN_END);
    }
    free(order);
    if (!ok) {
        free(l.v);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the spans of cover");
    }
    *out = l.v;
    *nout = l.n;
    return DMS_OK;
}

int dms_finance_spans_price(dms_finance_span *spans, size_t n, const dms_finance_contract *c,
                            dms_error *err)
{
    dms_error_clear(err);
    for (size_t i = 0; i < n; i++) {
        int64_t rate = dms_finance_rate_of(c, spans[i].programme);
        if (rate < 0)
            return dms_error_set(err, DMS_EINVAL, "/rates",
                                 "the contract has no premium for programme '%.64s' (policy "
                                 "%.64s; в договоре нет тарифа программы)",
                                 spans[i].programme, spans[i].policy);
        spans[i].annual_kopecks = rate;
    }
    return DMS_OK;
}

/* ---- pro rata ------------------------------------------------------------------- */

/* round(p * days / year), half up, for p >= 0. */
static int64_t share(int64_t p, long days, long year)
{
    if (days <= 0 || p <= 0)
        return 0;
    return (2 * p * (int64_t)days + year) / (2 * (int64_t)year);
}

int64_t dms_finance_span_accrual(const dms_finance_span *span, long policy_from, long policy_to,
                                 long from, long to)
{
    if (span == NULL || policy_to < policy_from)
        return 0;
    long a = span->from > policy_from ? span->from : policy_from;
    long b = span->to < policy_to ? span->to : policy_to;
    long p = from > a ? from : a;
    long q = to < b ? to : b;
    if (q < p)
        return 0;
    long year = policy_to - policy_from + 1;
    /* C(q) − C(p − 1): cumulative from the span's first day, so consecutive
       periods telescope and never drift from the annual premium. */
    return share(span->annual_kopecks, q - a + 1, year) - share(span->annual_kopecks, p - a, year);
}

int dms_finance_accrue(const dms_finance_span *spans, size_t n, long policy_from, long policy_to,
                       long from, long to, dms_finance_accrual **out, size_t *nout, int64_t *total,
                       dms_error *err)
{
    dms_error_clear(err);
    if ((spans == NULL && n > 0) || policy_to < policy_from)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_accrue: bad arguments");
    dms_finance_accrual *v = NULL;
    size_t k = 0;
    if (out != NULL) {
        *out = NULL;
        if ((v = calloc(n + 1, sizeof *v)) == NULL)
            return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for accruals");
    }
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        long a = spans[i].from > policy_from ? spans[i].from : policy_from;
        long b = spans[i].to < policy_to ? spans[i].to : policy_to;
        long p = from > a ? from : a, q = to < b ? to : b;
        if (q < p)
            continue;
        int64_t kop = dms_finance_span_accrual(&spans[i], policy_from, policy_to, from, to);
        sum += kop;
        if (v != NULL)
            v[k++] = (dms_finance_accrual){i, p, q, q - p + 1, kop};
    }
    if (out != NULL)
        *out = v;
    if (nout != NULL)
        *nout = k;
    if (total != NULL)
        *total = sum;
    return DMS_OK;
}

/* ---- invoices and payments ----------------------------------------------------------- */

const char *dms_finance_invoice_number(long employer, int period, char *buf, size_t size)
{
    snprintf(buf, size, "СЧ-%ld-%d", employer, period);
    return buf;
}

/* Whether the folded needle occurs in the folded hay as a whole token. */
static bool has_token(const char *hay, const char *needle)
{
    size_t len = strlen(needle);
    if (len == 0)
        return false;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        unsigned char before = p == hay ? ' ' : (unsigned char)p[-1];
        unsigned char after = (unsigned char)p[len];
        bool left = before == ' ' || before == '#' || before == '.' || before == ',' ||
                    before == ':' || before == ';' || before == '(' || before == '"';
        bool right = !(after >= '0' && after <= '9');
        if (left && right)
            return true;
    }
    return false;
}

long dms_finance_match(const dms_finance_invoice *invoices, size_t n,
                       const dms_finance_payment *payment)
{
    if (invoices == NULL || payment == NULL)
        return -1;
    char purpose[2 * DMS_FINANCE_PURPOSE_MAX + 8];
    bool folded =
        dms_text_fold(payment->purpose, strlen(payment->purpose), purpose, sizeof purpose);
    for (size_t i = 0; folded && i < n; i++) {
        char number[2 * DMS_FINANCE_NUMBER_MAX + 8];
        if (dms_text_fold(invoices[i].number, strlen(invoices[i].number), number, sizeof number) &&
            has_token(purpose, number))
            return (long)i;
    }
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        int64_t open = invoices[i].amount - invoices[i].paid;
        if (open > 0 && open == payment->amount &&
            (best < 0 || invoices[i].due < invoices[best].due))
            best = (long)i;
    }
    return best;
}

void dms_finance_allocate(dms_finance_invoice *invoices, size_t n,
                          const dms_finance_payment *payments, size_t m, int64_t *credit)
{
    int64_t pool = 0; /* what is left of payments after their own invoice */
    for (size_t i = 0; i < n; i++)
        invoices[i].paid = 0;
    for (size_t j = 0; j < m; j++) {
        int64_t left = payments[j].amount;
        for (size_t i = 0; i < n && payments[j].invoice[0] != '\0'; i++)
            if (strcmp(invoices[i].number, payments[j].invoice) == 0) {
                int64_t open = invoices[i].amount - invoices[i].paid;
                int64_t take = open > 0 ? (open < left ? open : left) : 0;
                invoices[i].paid += take;
                left -= take;
                break;
            }
        pool += left;
    }
    /* A negative invoice (a correction) returns money to the pool. */
    for (size_t i = 0; i < n; i++)
        if (invoices[i].amount < 0) {
            pool -= invoices[i].amount;
            invoices[i].paid = invoices[i].amount;
        }
    /* The rest pays the oldest open invoices first. */
    for (;;) {
        long oldest = -1;
        for (size_t i = 0; i < n; i++)
            if (invoices[i].amount - invoices[i].paid > 0 &&
                (oldest < 0 || invoices[i].due < invoices[oldest].due ||
                 (invoices[i].due == invoices[oldest].due &&
                  invoices[i].period < invoices[oldest].period)))
                oldest = (long)i;
        if (oldest < 0 || pool <= 0)
            break;
        int64_t open = invoices[oldest].amount - invoices[oldest].paid;
        int64_t take = open < pool ? open : pool;
        invoices[oldest].paid += take;
        pool -= take;
    }
    if (credit != NULL)
        *credit = pool > 0 ? pool : 0;
}

const char *dms_finance_state_name(enum dms_finance_state s)
{
    switch (s) {
    case DMS_FINANCE_PAID:
        return "paid";
    case DMS_FINANCE_OPEN:
        return "open";
    case DMS_FINANCE_OVERDUE:
        return "overdue";
    }
    return "?";
}

const char *dms_finance_state_name_ru(enum dms_finance_state s)
{
    switch (s) {
    case DMS_FINANCE_PAID:
        return "оплачен";
    case DMS_FINANCE_OPEN:
        return "к оплате";
    case DMS_FINANCE_OVERDUE:
        return "просрочен";
    }
    return "?";
}

enum dms_finance_state dms_finance_invoice_state(const dms_finance_invoice *inv, long today)
{
    if (inv->amount - inv->paid <= 0)
        return DMS_FINANCE_PAID;
    return today > inv->due ? DMS_FINANCE_OVERDUE : DMS_FINANCE_OPEN;
}
