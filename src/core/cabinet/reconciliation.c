/*
 * The reconciliation act (акт сверки взаиморасчётов) of an employer's
 * contract over a period (finance.h): the opening balance from everything
 * before the period, one row per invoice (debit) and per payment (credit)
 * inside it, the turnover and the closing balance; written as Russian Excel
 * CSV or as a workbook with numeric money cells. Money is kopecks until the
 * last moment, when it is printed with a decimal comma.
 */
#include "dms/finance.h"

#include <stdlib.h>
#include <string.h>

#include "dms/claims.h"
#include "dms/xlsx.h"

const char *dms_finance_kopecks_text(int64_t kopecks, char *buf, size_t size)
{
    uint64_t a = kopecks < 0 ? (uint64_t)0 - (uint64_t)kopecks : (uint64_t)kopecks;
    snprintf(buf, size, "%s%llu,%02llu", kopecks < 0 ? "-" : "", (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}

const char *dms_finance_kopecks_rub(int64_t kopecks, char *buf, size_t size)
{
    uint64_t a = kopecks < 0 ? (uint64_t)0 - (uint64_t)kopecks : (uint64_t)kopecks;
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)(a / 100));
    char grouped[48];
    size_t len = strlen(digits), k = 0;
    for (size_t i = 0; i < len && k + 2 < sizeof grouped; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[k++] = ' ';
        grouped[k++] = digits[i];
    }
    grouped[k] = '\0';
    snprintf(buf, size, "%s%s,%02llu ₽", kopecks < 0 ? "-" : "", grouped,
             (unsigned long long)(a % 100));
    return buf;
}

static const char *dotted(long days, char buf[16])
{
    int y, m, d;
    dms_claims_civil(days, &y, &m, &d);
    snprintf(buf, 16, "%02d.%02d.%04d", d % 100, m % 100, ((y % 10000) + 10000) % 10000);
    return buf;
}

static int by_day(const void *pa, const void *pb)
{
    const dms_finance_act_row *a = pa, *b = pb;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(a->document, b->document);
}

int dms_finance_act_build(const dms_finance_invoice *invoices, size_t n,
                          const dms_finance_payment *payments, size_t m, long from, long to,
                          dms_finance_act **out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL || (invoices == NULL && n > 0) || (payments == NULL && m > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_act_build: NULL argument");
    *out = NULL;
    if (to < from)
        return dms_error_set(err, DMS_EINVAL, "/to",
                             "the period of the act ends before it begins (конец периода "
                             "раньше начала)");
    dms_finance_act *act = calloc(1, sizeof *act);
    if (act == NULL || (act->rows = calloc(n + m + 1, sizeof *act->rows)) == NULL) {
        free(act);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the act");
    }
    act->from = from;
    act->to = to;
    char a[16], b[16], c[16];
    for (size_t i = 0; i < n; i++) {
        const dms_finance_invoice *inv = &invoices[i];
        if (inv->issued < from) {
            act->opening += inv->amount;
            continue;
        }
        if (inv->issued > to)
            continue;
        dms_finance_act_row *r = &act->rows[act->nrows++];
        r->day = inv->issued;
        r->kind = DMS_FINANCE_ACT_INVOICE;
        snprintf(r->document, sizeof r->document, "Счёт № %.40s от %s (%s–%s)", inv->number,
                 dotted(inv->issued, a), dotted(inv->period_from, b), dotted(inv->period_to, c));
        r->debit = inv->amount;
        act->accrued += inv->amount;
    }
    for (size_t j = 0; j < m; j++) {
        const dms_finance_payment *p = &payments[j];
        if (p->day < from) {
            act->opening -= p->amount;
            continue;
        }
        if (p->day > to)
            continue;
        dms_finance_act_row *r = &act->rows[act->nrows++];
        r->day = p->day;
        r->kind = DMS_FINANCE_ACT_PAYMENT;
        snprintf(r->document, sizeof r->document, "Оплата, п/п № %.40s от %s", p->number,
                 dotted(p->day, a));
        r->credit = p->amount;
        act->paid += p->amount;
    }
    qsort(act->rows, act->nrows, sizeof *act->rows, by_day);
    act->closing = act->opening + act->accrued - act->paid;
    *out = act;
    return DMS_OK;
}

void dms_finance_act_free(dms_finance_act *act)
{
    if (act == NULL)
        return;
    free(act->rows);
    free(act);
}

/* A text cell for Russian Excel: quoted when needed, formulas neutralised. */
static void csv_text_cell(FILE *out, const char *s, bool first)
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

/* A money cell: written by us from an integer, so never a formula. */
static void csv_money_cell(FILE *out, int64_t kopecks, bool show)
{
    char buf[32];
    fprintf(out, ";%s", show ? dms_finance_kopecks_text(kopecks, buf, sizeof buf) : "");
}

static void balance_row(FILE *out, const char *label, int64_t balance)
{
    /* A debt of the employer is a debit balance; a prepayment a credit one. */
    csv_text_cell(out, "", true);
    csv_text_cell(out, label, false);
    csv_money_cell(out, balance > 0 ? balance : 0, balance >= 0);
    csv_money_cell(out, balance < 0 ? -balance : 0, balance < 0);
    fputs("\r\n", out);
}

static void heading(const dms_finance_act *act, const dms_finance_parties *parties, char *buf,
                    size_t size)
{
    char a[16], b[16];
    const char *insurer =
        parties != NULL && parties->insurer != NULL ? parties->insurer : "Страховщик";
    const char *employer = parties != NULL && parties->employer != NULL ? parties->employer : "";
    const char *inn = parties != NULL && parties->inn != NULL ? parties->inn : "";
    snprintf(buf, size, "Акт сверки взаиморасчётов за период %s–%s между %s и %s%s%s",
             dotted(act->from, a), dotted(act->to, b), insurer, employer, inn[0] ? ", ИНН " : "",
             inn);
}

int dms_finance_act_csv(const dms_finance_act *act, const dms_finance_parties *parties, FILE *out,
                        dms_error *err)
{
    dms_error_clear(err);
    if (act == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_act_csv: NULL argument");
    char title[512], day[16];
    heading(act, parties, title, sizeof title);
    fputs("\xEF\xBB\xBF", out);
    csv_text_cell(out, title, true);
    fputs("\r\n", out);
    fputs("Дата;Документ;Дебет;Кредит\r\n", out);
    balance_row(out, "Сальдо начальное", act->opening);
    for (size_t i = 0; i < act->nrows; i++) {
        const dms_finance_act_row *r = &act->rows[i];
        csv_text_cell(out, dotted(r->day, day), true);
        csv_text_cell(out, r->document, false);
        csv_money_cell(out, r->debit, r->kind == DMS_FINANCE_ACT_INVOICE);
        csv_money_cell(out, r->credit, r->kind == DMS_FINANCE_ACT_PAYMENT);
        fputs("\r\n", out);
    }
    csv_text_cell(out, "", true);
    csv_text_cell(out, "Обороты за период", false);
    csv_money_cell(out, act->accrued, true);
    csv_money_cell(out, act->paid, true);
    fputs("\r\n", out);
    balance_row(out, "Сальдо конечное", act->closing);
    if (ferror(out))
        return dms_error_set(err, DMS_EIO, NULL, "cannot write the act");
    return DMS_OK;
}

static void xlsx_balance(dms_xlsx_writer *w, const char *label, int64_t balance)
{
    dms_xlsx_writer_blank(w);
    dms_xlsx_writer_text(w, label);
    if (balance >= 0)
        dms_xlsx_writer_number(w, (double)balance / 100.0);
    else
        dms_xlsx_writer_blank(w);
    if (balance < 0)
        dms_xlsx_writer_number(w, (double)-balance / 100.0);
    else
        dms_xlsx_writer_blank(w);
    dms_xlsx_writer_row_end(w);
}

int dms_finance_act_xlsx(const dms_finance_act *act, const dms_finance_parties *parties,
                         const char *path, char **data, size_t *len, dms_error *err)
{
    dms_error_clear(err);
    if (act == NULL || (path == NULL && (data == NULL || len == NULL)))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_finance_act_xlsx: NULL argument");
    static const dms_xlsx_column columns[] = {
        {"Дата", DMS_XLSX_DATEFMT, 12},
        {"Документ", DMS_XLSX_TEXT, 60},
        {"Дебет", DMS_XLSX_MONEY, 16},
        {"Кредит", DMS_XLSX_MONEY, 16},
    };
    dms_xlsx_writer *w = NULL;
    int status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        return status;
    char title[512];
    heading(act, parties, title, sizeof title);
    dms_xlsx_writer_sheet(w, "Акт сверки", columns, 4);
    dms_xlsx_writer_blank(w);
    dms_xlsx_writer_text(w, title);
    dms_xlsx_writer_row_end(w);
    xlsx_balance(w, "Сальдо начальное", act->opening);
    for (size_t i = 0; i < act->nrows; i++) {
        const dms_finance_act_row *r = &act->rows[i];
        dms_xlsx_writer_date(w, r->day);
        dms_xlsx_writer_text(w, r->document);
        if (r->kind == DMS_FINANCE_ACT_INVOICE) {
            dms_xlsx_writer_number(w, (double)r->debit / 100.0);
            dms_xlsx_writer_blank(w);
        } else {
            dms_xlsx_writer_blank(w);
            dms_xlsx_writer_number(w, (double)r->credit / 100.0);
        }
        dms_xlsx_writer_row_end(w);
    }
    dms_xlsx_writer_blank(w);
    dms_xlsx_writer_text(w, "Обороты за период");
    dms_xlsx_writer_number(w, (double)act->accrued / 100.0);
    dms_xlsx_writer_number(w, (double)act->paid / 100.0);
    dms_xlsx_writer_row_end(w);
    xlsx_balance(w, "Сальдо конечное", act->closing);
    return dms_xlsx_writer_close(w, data, len, err);
}
