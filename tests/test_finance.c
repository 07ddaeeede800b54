/*
 * Payments and reconciliation (finance.h, statement.h): billing periods of a
 * policy; spans of cover from the register's changes (join, programme
 * change, suspension, resumption, leave); pro rata accruals against values
 * computed by hand (100 ₽ a day, 4 500 000 kopecks over 12 and 42 days);
 * periods adding up to the annual premium to the kopeck for random joins
 * under both schedules; matching payments to invoices by number (whole
 * token) or amount; spreading payments with an overpayment; the act adding
 * up (closing = opening + accrued − paid, one period's closing the next
 * one's opening) and its Russian Excel CSV and XLSX; the bank statement in
 * CSV and 1CClientBankExchange layouts with every fault at line:column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/claims.h"
#include "dms/finance.h"
#include "dms/statement.h"
#include "dms/xlsx.h"

#define DAY(y, m, d) dms_claims_days((y), (m), (d))

static void periods(void **state)
{
    (void)state;
    dms_finance_period p[16];
    size_t n = 0;
    assert_int_equal(dms_finance_periods(DAY(2026, 1, 1), DAY(2026, 12, 31), DMS_FINANCE_MONTHLY, p,
                                         16, &n, NULL),
                     DMS_OK);
    assert_int_equal(n, 12);
    assert_int_equal(p[1].from, DAY(2026, 2, 1));
    assert_int_equal(p[1].to, DAY(2026, 2, 28));
    assert_int_equal(p[11].to, DAY(2026, 12, 31));
    assert_int_equal(dms_finance_periods(DAY(2026, 1, 1), DAY(2026, 12, 31), DMS_FINANCE_QUARTERLY,
                                         p, 16, &n, NULL),
                     DMS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(p[1].from, DAY(2026, 4, 1));
    assert_int_equal(p[1].to, DAY(2026, 6, 30));
    /* A policy from the 31st: the next period starts on the month's last day. */
    assert_int_equal(dms_finance_periods(DAY(2026, 1, 31), DAY(2026, 5, 15), DMS_FINANCE_MONTHLY, p,
                                         16, &n, NULL),
                     DMS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(p[0].to, DAY(2026, 2, 27));
    assert_int_equal(p[1].from, DAY(2026, 2, 28));
    assert_int_equal(p[1].to, DAY(2026, 3, 30));
    assert_int_equal(p[3].to, DAY(2026, 5, 15));
    dms_error err;
    assert_int_equal(
        dms_finance_periods(DAY(2026, 2, 1), DAY(2026, 1, 1), DMS_FINANCE_MONTHLY, p, 16, &n, &err),
        DMS_EINVAL);
}

static dms_insured_change change(enum dms_insured_action a, long day, const char *policy,
                                 const char *programme)
{
    dms_insured_change c;
    memset(&c, 0, sizeof c);
    c.action = a;
    c.effective_day = day;
    c.policy = policy;
    c.programme = programme;
    c.employee_id = c.full_name = c.department = c.programme_before = c.author = "";
    return c;
}

static void spans_from_changes(void **state)
{
    (void)state;
    /* Entered out of date order and interleaved with another person. */
    dms_insured_change c[] = {
        change(DMS_INSURED_ATTACH, DAY(2026, 1, 1), "P1", "base"),
        change(DMS_INSURED_ATTACH, DAY(2026, 3, 15), "P2", "base"),
        change(DMS_INSURED_SUSPEND, DAY(2026, 6, 1), "P1", ""),
        change(DMS_INSURED_CHANGE_PROGRAMME, DAY(2026, 4, 1), "P1", "family"),
        change(DMS_INSURED_ATTACH, DAY(2026, 7, 1), "P1", ""),
        change(DMS_INSURED_DETACH, DAY(2026, 10, 1), "P1", ""),
        change(DMS_INSURED_ATTACH, DAY(2026, 5, 5), "P3", "base"),
        change(DMS_INSURED_DETACH, DAY(2026, 5, 5), "P3", ""),
    };
    dms_finance_span *s = NULL;
    size_t n = 0;
    assert_int_equal(dms_finance_spans_from_changes(c, 8, &s, &n, NULL), DMS_OK);
    assert_int_equal(n, 4);
    assert_string_equal(s[0].policy, "P1");
    assert_string_equal(s[0].programme, "base");
    assert_int_equal(s[0].from, DAY(2026, 1, 1));
    assert_int_equal(s[0].to, DAY(2026, 3, 31));
    assert_string_equal(s[1].programme, "family");
    assert_int_equal(s[1].from, DAY(2026, 4, 1));
    assert_int_equal(s[1].to, DAY(2026, 5, 31));
    assert_string_equal(s[2].programme, "family"); /* resumed under the programme held */
    assert_int_equal(s[2].from, DAY(2026, 7, 1));
    assert_int_equal(s[2].to, DAY(2026, 9, 30));
    assert_string_equal(s[3].policy, "P2"); /* P3 had no day of cover */
    assert_true(s[3].to == DMS_INSURED_OPEN_END);
    dms_finance_contract k;
    memset(&k, 0, sizeof k);
    k.nrates = 1;
    snprintf(k.rates[0].programme, sizeof k.rates[0].programme, "base");
    k.rates[0].annual_kopecks = 100;
    dms_error err;
    assert_int_equal(dms_finance_spans_price(s, n, &k, &err), DMS_EINVAL);
    assert_non_null(strstr(err.message, "family"));
    free(s);
}

static void prorata_by_hand(void **state)
{
    (void)state;
    long from = DAY(2026, 1, 1), to = DAY(2026, 12, 31); /* 365 days */
    /* 36 500,00 ₽ a year is 100 ₽ a day: joined 15 March, 17 days of March. */
    dms_finance_span a = {"A", "base", DAY(2026, 3, 15), DMS_INSURED_OPEN_END, 3650000};
    assert_int_equal(dms_finance_span_accrual(&a, from, to, DAY(2026, 3, 1), DAY(2026, 3, 31)),
                     170000);
    assert_int_equal(dms_finance_span_accrual(&a, from, to, DAY(2026, 2, 1), DAY(2026, 2, 28)), 0);
    /* 45 000,00 ₽ from 20 March: 12 days = 147 945,205… → 147 945 kopecks;
       April: C(42) − C(12) = 517 808 − 147 945 = 369 863. */
    dms_finance_span b = {"B", "family", DAY(2026, 3, 20), DMS_INSURED_OPEN_END, 4500000};
    assert_int_equal(dms_finance_span_accrual(&b, from, to, DAY(2026, 3, 1), DAY(2026, 3, 31)),
                     147945);
    assert_int_equal(dms_finance_span_accrual(&b, from, to, DAY(2026, 4, 1), DAY(2026, 4, 30)),
                     369863);
    /* Left on 11 March (covered to the 10th): 10 days of March. */
    dms_finance_span c = {"C", "base", DAY(2026, 1, 1), DAY(2026, 3, 10), 3650000};
    assert_int_equal(dms_finance_span_accrual(&c, from, to, DAY(2026, 3, 1), DAY(2026, 3, 31)),
                     100000);
    assert_int_equal(dms_finance_span_accrual(&c, from, to, from, to), 69 * 10000);
    /* A whole year accrues exactly the premium; cover before the policy does not accrue. */
    dms_finance_span d = {"D", "base", DAY(2025, 6, 1), DMS_INSURED_OPEN_END, 1234567};
    assert_int_equal(dms_finance_span_accrual(&d, from, to, from, to), 1234567);
    dms_finance_accrual *v = NULL;
    size_t nv = 0;
    int64_t total = 0;
    dms_finance_span all[] = {a, b, c, d};
    assert_int_equal(dms_finance_accrue(all, 4, from, to, DAY(2026, 3, 1), DAY(2026, 3, 31), &v,
                                        &nv, &total, NULL),
                     DMS_OK);
    assert_int_equal(nv, 4);
    assert_int_equal(v[0].days, 17);
    assert_int_equal(v[2].days, 10);
    /* D: C(90) − C(59) = round(304 413,78) − round(199 560,37) = 104 854. */
    assert_int_equal(v[3].kopecks, 104854);
    assert_int_equal(total, 170000 + 147945 + 100000 + 104854);
    free(v);
}

/* Any join date, any premium, either schedule: the periods add up to the
   accrual of the whole cover, and a full year to the premium itself. */
static void periods_add_up(void **state)
{
    (void)state;
    srand(7);
    long from = DAY(2028, 1, 1), to = DAY(2028, 12, 31); /* leap year */
    for (int sched = 0; sched < 2; sched++) {
        dms_finance_period p[16];
        size_t np = 0;
        assert_int_equal(
            dms_finance_periods(from, to, (enum dms_finance_schedule)sched, p, 16, &np, NULL),
            DMS_OK);
        for (int trial = 0; trial < 2000; trial++) {
            long a = from + rand() % 366, b = a + rand() % 400;
            int64_t premium = 1 + (int64_t)rand() % 10000000;
            dms_finance_span s = {"X", "x", a, trial % 3 == 0 ? DMS_INSURED_OPEN_END : b, premium};
            int64_t sum = 0;
            for (size_t i = 0; i < np; i++)
                sum += dms_finance_span_accrual(&s, from, to, p[i].from, p[i].to);
            assert_int_equal(sum, dms_finance_span_accrual(&s, from, to, from, to));
            if (a == from && s.to >= to)
                assert_int_equal(sum, premium);
        }
    }
}

static dms_finance_invoice invoice(const char *number, int period, long issued, long due,
                                   int64_t amount)
{
    dms_finance_invoice v;
    memset(&v, 0, sizeof v);
    snprintf(v.number, sizeof v.number, "%s", number);
    v.period = period;
    v.period_from = issued;
    v.period_to = issued + 27;
    v.issued = issued;
    v.due = due;
    v.amount = amount;
    return v;
}

static dms_finance_payment payment(long day, const char *number, int64_t amount,
                                   const char *purpose)
{
    dms_finance_payment p;
    memset(&p, 0, sizeof p);
    p.day = day;
    snprintf(p.number, sizeof p.number, "%s", number);
    p.amount = amount;
    snprintf(p.payer_inn, sizeof p.payer_inn, "7701234567");
    snprintf(p.purpose, sizeof p.purpose, "%s", purpose);
    return p;
}

static void matching_and_allocation(void **state)
{
    (void)state;
    dms_finance_invoice inv[] = {
        invoice("СЧ-1-1", 1, DAY(2026, 1, 1), DAY(2026, 1, 11), 100000),
        invoice("СЧ-1-12", 12, DAY(2026, 12, 1), DAY(2026, 12, 11), 70000),
        invoice("СЧ-1-2", 2, DAY(2026, 2, 1), DAY(2026, 2, 11), 70000),
    };
    dms_finance_payment p = payment(DAY(2026, 12, 5), "1", 5, "Оплата по счёту № СЧ-1-12 от 01.12");
    assert_int_equal(dms_finance_match(inv, 3, &p), 1);
    p = payment(DAY(2026, 1, 5), "2", 5, "оплата сч-1-1, НДС не облагается");
    assert_int_equal(dms_finance_match(inv, 3, &p), 0);
    /* No number named: the earliest due invoice with that open amount. */
    p = payment(DAY(2026, 2, 5), "3", 70000, "страховая премия");
    assert_int_equal(dms_finance_match(inv, 3, &p), 2);
    p = payment(DAY(2026, 2, 5), "3", 123, "страховая премия");
    assert_int_equal(dms_finance_match(inv, 3, &p), -1);
    /* A payment for СЧ-1-12 pays it first; the rest goes to the oldest open. */
    dms_finance_payment pays[] = {
        payment(DAY(2026, 12, 5), "10", 100000, ""),
        payment(DAY(2026, 1, 5), "11", 60000, ""),
    };
    snprintf(pays[0].invoice, sizeof pays[0].invoice, "СЧ-1-12");
    int64_t credit = -1;
    dms_finance_allocate(inv, 3, pays, 2, &credit);
    assert_int_equal(inv[1].paid, 70000);
    assert_int_equal(inv[0].paid, 90000); /* 30 000 left of #10 and 60 000 of #11 */
    assert_int_equal(inv[2].paid, 0);
    assert_int_equal(credit, 0);
    assert_int_equal(dms_finance_invoice_state(&inv[0], DAY(2026, 1, 11)), DMS_FINANCE_OPEN);
    assert_int_equal(dms_finance_invoice_state(&inv[0], DAY(2026, 1, 12)), DMS_FINANCE_OVERDUE);
    assert_int_equal(dms_finance_invoice_state(&inv[1], DAY(2027, 1, 1)), DMS_FINANCE_PAID);
    dms_finance_payment over = payment(DAY(2026, 3, 1), "12", 100000, "");
    dms_finance_payment all[] = {pays[0], pays[1], over};
    dms_finance_allocate(inv, 3, all, 3, &credit);
    assert_int_equal(inv[0].paid + inv[1].paid + inv[2].paid, 240000);
    assert_int_equal(credit, 260000 - 240000);
}

static void act_adds_up(void **state)
{
    (void)state;
    dms_finance_invoice inv[] = {
        invoice("СЧ-1-1", 1, DAY(2026, 1, 1), DAY(2026, 1, 11), 100000),
        invoice("СЧ-1-2", 2, DAY(2026, 2, 1), DAY(2026, 2, 11), 200000),
        invoice("СЧ-1-3", 3, DAY(2026, 3, 1), DAY(2026, 3, 11), 50000),
    };
    dms_finance_payment pay[] = {
        payment(DAY(2026, 1, 10), "101", 100000, ""),
        payment(DAY(2026, 2, 15), "102", 150000, ""),
        payment(DAY(2026, 3, 5), "103", 100000, ""),
    };
    dms_finance_act *feb = NULL, *mar = NULL, *q = NULL;
    assert_int_equal(
        dms_finance_act_build(inv, 3, pay, 3, DAY(2026, 2, 1), DAY(2026, 2, 28), &feb, NULL),
        DMS_OK);
    assert_int_equal(feb->opening, 0);
    assert_int_equal(feb->accrued, 200000);
    assert_int_equal(feb->paid, 150000);
    assert_int_equal(feb->closing, 50000);
    assert_int_equal(
        dms_finance_act_build(inv, 3, pay, 3, DAY(2026, 3, 1), DAY(2026, 3, 31), &mar, NULL),
        DMS_OK);
    assert_int_equal(mar->opening, feb->closing);
    assert_int_equal(mar->closing, 0);
    assert_int_equal(
        dms_finance_act_build(inv, 3, pay, 3, DAY(2026, 1, 1), DAY(2026, 3, 31), &q, NULL), DMS_OK);
    assert_int_equal(q->nrows, 6);
    int64_t debit = 0, credit = 0;
    for (size_t i = 0; i < q->nrows; i++) {
        debit += q->rows[i].debit;
        credit += q->rows[i].credit;
        if (i > 0)
            assert_true(q->rows[i - 1].day <= q->rows[i].day);
    }
    assert_int_equal(debit, q->accrued);
    assert_int_equal(credit, q->paid);
    assert_int_equal(q->opening + q->accrued - q->paid, q->closing);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dms_finance_parties parties = {"АО «Страховщик»", "ООО «Ромашка»", "7701234567"};
    assert_int_equal(dms_finance_act_csv(feb, &parties, f, NULL), DMS_OK);
    fclose(f);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(text, "Дата;Документ;Дебет;Кредит\r\n"));
    assert_non_null(strstr(text, ";Сальдо начальное;0,00;\r\n"));
    assert_non_null(strstr(text, "01.02.2026;Счёт № СЧ-1-2 от 01.02.2026 (01.02.2026–28.02.2026);"
                                 "2000,00;\r\n"));
    assert_non_null(strstr(text, "15.02.2026;Оплата, п/п № 102 от 15.02.2026;;1500,00\r\n"));
    assert_non_null(strstr(text, ";Обороты за период;2000,00;1500,00\r\n"));
    assert_non_null(strstr(text, ";Сальдо конечное;500,00;\r\n"));
    assert_non_null(strstr(text, "ООО «Ромашка», ИНН 7701234567"));
    free(text);

    char *book = NULL;
    size_t blen = 0;
    assert_int_equal(dms_finance_act_xlsx(feb, &parties, NULL, &book, &blen, NULL), DMS_OK);
    dms_xlsx_sheet *sheet = NULL;
    assert_int_equal(dms_xlsx_read_first(book, blen, NULL, NULL, &sheet, NULL), DMS_OK);
    /* header, title, opening, 2 rows, turnover, closing */
    assert_int_equal(sheet->nrows, 7);
    const dms_xlsx_cell *debit_cell = dms_xlsx_row_cell(&sheet->rows[3], 3);
    assert_non_null(debit_cell);
    assert_int_equal(debit_cell->type, DMS_XLSX_NUMBER);
    assert_true(debit_cell->number > 1999.99 && debit_cell->number < 2000.01);
    dms_xlsx_sheet_free(sheet);
    free(book);
    dms_finance_act_free(feb);
    dms_finance_act_free(mar);
    dms_finance_act_free(q);
    char buf[48];
    assert_string_equal(dms_finance_kopecks_rub(123456789, buf, sizeof buf), "1 234 567,89 ₽");
    assert_string_equal(dms_finance_kopecks_text(-5, buf, sizeof buf), "-0,05");
}

static void statement_csv(void **state)
{
    (void)state;
    const char csv[] =
        "\xEF\xBB\xBF"
        "Дата;Номер;Сумма;ИНН плательщика;Плательщик;Назначение платежа\r\n"
        "05.03.2026;101;1 700,00;7701234567;ООО «Ромашка»;Оплата по счёту СЧ-1-3\r\n"
        "\r\n"
        "2026-03-06;102;52.5;7701234567;\"ООО \"\"Ромашка\"\"\";\"Премия; март\"\r\n";
    dms_statement *st = NULL;
    assert_int_equal(dms_statement_read(csv, sizeof csv - 1, "bank.csv", &st, NULL), DMS_OK);
    assert_int_equal(st->n, 2);
    assert_int_equal(st->payments[0].day, DAY(2026, 3, 5));
    assert_int_equal(st->payments[0].amount, 170000);
    assert_string_equal(st->payments[0].payer_inn, "7701234567");
    assert_string_equal(st->payments[0].purpose, "Оплата по счёту СЧ-1-3");
    assert_int_equal(st->payments[1].amount, 5250);
    assert_string_equal(st->payments[1].purpose, "Премия; март");
    assert_int_equal(st->lines[1], 4);
    dms_statement_free(st);

    const char bad[] = "Дата,Номер,Сумма,ИНН плательщика\n"
                       "31.02.2026,1,100,7701234567\n"
                       "01.03.2026,2,12.345,7701234567\n"
                       "01.03.2026,3,100,77012345\n"
                       "01.03.2026,,100,7701234567\n";
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    st = (dms_statement *)1;
    assert_int_equal(dms_statement_read(bad, sizeof bad - 1, "bank.csv", &st, diag), DMS_EPARSE);
    assert_null(st);
    assert_int_equal(dms_diag_count(diag), 4);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_int_equal(e->line, 2);
    assert_int_equal(e->column, 1);
    assert_non_null(strstr(e->message, "bad_date"));
    e = dms_diag_get(diag, 1);
    assert_int_equal(e->line, 3);
    assert_int_equal(e->column, 14);
    assert_non_null(strstr(e->message, "bad_amount"));
    e = dms_diag_get(diag, 2);
    assert_int_equal(e->line, 4);
    assert_int_equal(e->column, 18);
    assert_non_null(strstr(e->message, "bad_inn"));
    e = dms_diag_get(diag, 3);
    assert_int_equal(e->line, 5);
    assert_int_equal(e->column, 12);
    assert_non_null(strstr(e->message, "missing_value"));
    dms_diag_clear(diag);
    const char nocol[] = "Дата;Сумма;Назначение\n01.03.2026;1;x\n";
    assert_int_equal(dms_statement_read(nocol, sizeof nocol - 1, "b.csv", &st, diag), DMS_EPARSE);
    assert_int_equal(dms_diag_count(diag), 2);
    assert_non_null(strstr(dms_diag_get(diag, 0)->message, "missing_column"));
    dms_diag_free(diag);
}

static void statement_exchange(void **state)
{
    (void)state;
    const char text[] = "1CClientBankExchange\r\n"
                        "ВерсияФормата=1.03\r\n"
                        "Кодировка=UTF-8\r\n"
                        "СекцияДокумент=Платежное поручение\r\n"
                        "Номер=745\r\n"
                        "Дата=12.03.2026\r\n"
                        "Сумма=4150.50\r\n"
                        "ПлательщикИНН=7701234567\r\n"
                        "НазначениеПлатежа=Оплата по счёту № СЧ-1-3 от 01.03.2026\r\n"
                        "КонецДокумента\r\n"
                        "СекцияДокумент=Платежное поручение\r\n"
                        "Номер=746\r\n"
                        "Дата=32.03.2026\r\n"
                        "Сумма=1\r\n"
                        "ПлательщикИНН=7701234567\r\n"
                        "КонецДокумента\r\n"
                        "КонецФайла\r\n";
    dms_statement *st = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(0, &diag);
    assert_int_equal(dms_statement_read(text, sizeof text - 1, "kl_to_1c.txt", &st, diag),
                     DMS_EPARSE);
    assert_int_equal(dms_diag_count(diag), 1);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_int_equal(e->line, 13);
    assert_int_equal(e->column, 6);
    /* Without the bad document it reads. */
    const char *cut = strstr(text, "СекцияДокумент=Платежное поручение\r\nНомер=746");
    char good[2048];
    size_t head = (size_t)(cut - text);
    memcpy(good, text, head);
    strcpy(good + head, "КонецФайла\r\n");
    dms_diag_clear(diag);
    assert_int_equal(dms_statement_read(good, strlen(good), "kl_to_1c.txt", &st, diag), DMS_OK);
    assert_int_equal(st->n, 1);
    assert_int_equal(st->payments[0].amount, 415050);
    assert_string_equal(st->payments[0].number, "745");
    assert_int_equal(st->lines[0], 4);
    dms_finance_invoice inv = invoice("СЧ-1-3", 3, DAY(2026, 3, 1), DAY(2026, 3, 11), 415050);
    assert_int_equal(dms_finance_match(&inv, 1, &st->payments[0]), 0);
    dms_statement_free(st);
    dms_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(periods),
        cmocka_unit_test(spans_from_changes),
        cmocka_unit_test(prorata_by_hand),
        cmocka_unit_test(periods_add_up),
        cmocka_unit_test(matching_and_allocation),
        cmocka_unit_test(act_adds_up),
        cmocka_unit_test(statement_csv),
        cmocka_unit_test(statement_exchange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
