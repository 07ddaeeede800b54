/*
 * `dmsrate finance contract|invoice|invoices|pay|import|accruals|debts|act`:
 * an employer's money from the command line, over the same store and core
 * as the HTTP API (finance.h, finance_store.h): the contract's billing
 * terms, invoices issued on the schedule, payments typed in or imported from
 * a bank statement (1C CSV or 1CClientBankExchange; every faulty line is
 * printed at file:line:column and nothing is imported, exit 2), the pro
 * rata accruals of a period, debts and upcoming payments, and the
 * reconciliation act as CSV or XLSX.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "dms/file.h"
#include "dms/finance.h"
#include "dms/finance_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/statement.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

struct args {
    const char *db, *file, *today, *date, *number, *amount, *inn, *purpose, *invoice, *from, *to,
        *out;
    long employer;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static long today_of(const struct args *a, dms_error *err, int *status)
{
    long day = 0;
    if (a->today != NULL) {
        if (!dms_date_parse(a->today, &day))
            *status = dms_error_set(err, DMS_EINVAL, NULL, "--today is YYYY-MM-DD");
        return day;
    }
    char buf[11];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    dms_date_parse(buf, &day);
    return day;
}

/* s left-aligned in width characters (UTF-8 characters, not bytes). */
static void pad(const char *s, int width)
{
    int chars = 0;
    for (const char *p = s; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    fputs(s, stdout);
    for (; chars < width; chars++)
        putchar(' ');
}

/* A header line: each title padded to its width in characters, on the left
 * (width > 0) or the right (width < 0), one space between. */
static void header(const char *const *titles, const int *widths, int n)
{
    for (int i = 0; i < n; i++) {
        int w = widths[i] < 0 ? -widths[i] : widths[i], chars = 0;
        for (const char *p = titles[i]; *p; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        if (i > 0)
            putchar(' ');
        if (widths[i] < 0)
            for (; chars < w; chars++)
                putchar(' ');
        fputs(titles[i], stdout);
        if (widths[i] > 0)
            for (; chars < w; chars++)
                putchar(' ');
    }
    putchar('\n');
}

static const char *dotted(long day, char buf[16])
{
    char iso[11];
    dms_register_day_text(day, iso);
    snprintf(buf, 16, "%.2s.%.2s.%.4s", iso + 8, iso + 5, iso);
    return buf;
}

static int contract(dms_store *store, const struct args *a, dms_error *err)
{
    dms_finance_contract c;
    int status;
    if (a->file != NULL) {
        size_t len = 0;
        char *text = NULL;
        json_t *doc = NULL;
        if ((status = dms_file_read(a->file, 0, a->file, &text, &len, err)) != DMS_OK)
            return status;
        status = dms_json_parse_text(text, len, &doc, err);
        if (status == DMS_OK)
            status = dms_finance_contract_from_json(doc, &c, err);
        if (status == DMS_OK)
            status = dms_finance_store_contract_set(store, &c, "cli", err);
        json_decref(doc);
        free(text);
        if (status != DMS_OK)
            return status;
    }
    if ((status = dms_finance_store_contract_get(store, &c, err)) != DMS_OK)
        return status;
    char rub[48];
    bool ru = cli_russian();
    const char *schedule = dms_finance_schedule_name(c.schedule);
    if (ru)
        schedule = c.schedule == DMS_FINANCE_MONTHLY     ? "ежемесячные"
                   : c.schedule == DMS_FINANCE_QUARTERLY ? "ежеквартальные"
                                                         : schedule;
    printf(ru ? "работодатель %ld: счета %s, оплата в течение %d дн. после выставления, ИНН "
                "плательщика %s\n"
              : "employer %ld: %s invoices, due %d days after issue, payer INN %s\n",
           a->employer, schedule, c.due_days,
           c.payer_inn[0] ? c.payer_inn
           : ru           ? "(работодателя)"
                          : "(the employer's)");
    for (size_t i = 0; i < c.nrates; i++)
        printf(ru ? "  %-16s %s в год на человека\n" : "  %-16s %s a year per person\n",
               c.rates[i].programme,
               dms_finance_kopecks_rub(c.rates[i].annual_kopecks, rub, sizeof rub));
    return DMS_OK;
}

static int invoices(dms_store *store, long today, dms_error *err)
{
    dms_finance_book *b = NULL;
    int status = dms_finance_store_book(store, &b, err);
    if (status != DMS_OK)
        return status;
    char d1[16], d2[16], d3[16], d4[16], m1[48], m2[48], m3[48];
    static const char *const titles[2][8] = {
        {"invoice", "period", "issued", "due", "amount", "paid", "open", " state"},
        {"счёт", "период", "выставлен", "срок", "сумма", "оплачено", "остаток", " состояние"},
    };
    static const int widths[8] = {10, 23, 10, 10, -16, -16, -16, 0};
    header(titles[cli_russian()], widths, 8);
    for (size_t i = 0; i < b->ninvoices; i++) {
        const dms_finance_invoice *v = &b->invoices[i];
        enum dms_finance_state s = dms_finance_invoice_state(v, today);
        pad(v->number, 10);
        printf(" %s–%s %-10s %-10s %16s %16s %16s  %s\n", dotted(v->period_from, d1),
               dotted(v->period_to, d2), dotted(v->issued, d3), dotted(v->due, d4),
               dms_finance_kopecks_rub(v->amount, m1, sizeof m1),
               dms_finance_kopecks_rub(v->paid, m2, sizeof m2),
               dms_finance_kopecks_rub(v->amount - v->paid, m3, sizeof m3),
               dms_finance_state_name_ru(s));
    }
    dms_finance_book_free(b);
    return DMS_OK;
}

static int issue(dms_store *store, long today, dms_error *err)
{
    size_t n = 0;
    int status = dms_finance_store_issue(store, today, "cli", &n, err);
    if (status != DMS_OK)
        return status;
    if (cli_russian())
        printf("выставлено счетов: %zu\n", n);
    else
        printf("issued %zu invoice(s) (выставлено счетов: %zu)\n", n, n);
    return invoices(store, today, err);
}

static int pay(dms_store *store, const struct args *a, dms_error *err)
{
    dms_finance_payment p;
    memset(&p, 0, sizeof p);
    if (!dms_date_parse(a->date, &p.day))
        return dms_error_set(err, DMS_EINVAL, NULL, "--date is YYYY-MM-DD");
    if (!dms_finance_parse_kopecks(a->amount, strlen(a->amount), &p.amount))
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "--amount is roubles above 0 with at most two decimals");
    snprintf(p.number, sizeof p.number, "%s", a->number);
    snprintf(p.payer_inn, sizeof p.payer_inn, "%s", a->inn);
    snprintf(p.purpose, sizeof p.purpose, "%s", a->purpose != NULL ? a->purpose : "");
    snprintf(p.invoice, sizeof p.invoice, "%s", a->invoice != NULL ? a->invoice : "");
    bool dup = false;
    int status = dms_finance_store_payment_add(store, &p, "manual", "cli", &dup, err);
    if (status == DMS_OK)
        printf(dup ? "payment %s was already recorded\n" : "recorded payment %s\n", p.number);
    return status;
}

static int import(dms_store *store, const struct args *a, dms_error *err)
{
    size_t len = 0;
    char *data = NULL;
    int read = dms_file_read(a->file, 0, a->file, &data, &len, err);
    if (read != DMS_OK)
        return read;
    dms_diag *diag = NULL;
    dms_statement *st = NULL;
    int status = dms_diag_alloc(0, &diag);
    if (status == DMS_OK)
        status = dms_statement_read(data, len, a->file, &st, diag);
    if (status == DMS_EPARSE) {
        char line[DMS_ERROR_MESSAGE_MAX + DMS_ERROR_PATH_MAX + 32];
        for (size_t i = 0; i < dms_diag_kept(diag); i++)
            fprintf(stderr, "%s\n", dms_error_format(dms_diag_get(diag, i), line, sizeof line));
        status = dms_error_set(err, DMS_EINVAL, NULL, "%zu error(s); nothing was imported",
                               dms_diag_count(diag));
    } else if (status != DMS_OK) {
        dms_diag_first(diag, err);
        dms_error_set(err, status, NULL, "cannot read %s", a->file);
    }
    dms_finance_import r;
    if (status == DMS_OK)
        status = dms_finance_store_import(store, st, a->file, "cli", &r, err);
    if (status == DMS_OK)
        printf(
            cli_russian()
                ? "%s: добавлено платежей: %zu (сопоставлено со счетами: %zu), уже были "
                  "учтены: %zu, от других плательщиков пропущено: %zu\n"
                : "%s: %zu payment(s) added (%zu matched to invoices), %zu already recorded, %zu "
                  "from other payers skipped\n",
            a->file, r.added, r.matched, r.duplicates, r.foreign);
    dms_statement_free(st);
    dms_diag_free(diag);
    free(data);
    return status;
}

static int accruals(dms_store *store, const struct args *a, dms_error *err)
{
    long from = 0, to = 0;
    if (!dms_date_parse(a->from, &from) || !dms_date_parse(a->to, &to) || to < from)
        return dms_error_set(err, DMS_EINVAL, NULL, "--from and --to are YYYY-MM-DD, from <= to");
    dms_finance_book *b = NULL;
    dms_finance_accrual *v = NULL;
    size_t n = 0;
    int64_t total = 0;
    int status = dms_finance_store_book(store, &b, err);
    if (status == DMS_OK)
        status = dms_finance_accrue(b->spans, b->nspans, b->policy_from, b->policy_to, from, to, &v,
                                    &n, &total, err);
    if (status == DMS_OK) {
        char d1[16], d2[16], m1[48], m2[48];
        static const char *const titles[2][6] = {
            {"policy", "programme", "covered", "days", "annual", "accrued"},
            {"полис", "программа", "период", "дней", "в год", "начислено"},
        };
        static const int widths[6] = {14, 12, 23, -5, -16, -16};
        header(titles[cli_russian()], widths, 6);
        for (size_t i = 0; i < n; i++) {
            const dms_finance_span *s = &b->spans[v[i].span];
            printf("%-14s %-12s %s–%s %5ld %16s %16s\n", s->policy, s->programme,
                   dotted(v[i].from, d1), dotted(v[i].to, d2), v[i].days,
                   dms_finance_kopecks_rub(s->annual_kopecks, m1, sizeof m1),
                   dms_finance_kopecks_rub(v[i].kopecks, m2, sizeof m2));
        }
        printf(cli_russian() ? "итого %s–%s: %s (строк: %zu)\n" : "total %s–%s: %s (%zu line(s))\n",
               dotted(from, d1), dotted(to, d2), dms_finance_kopecks_rub(total, m1, sizeof m1), n);
    }
    free(v);
    dms_finance_book_free(b);
    return status;
}

static int debts(dms_store *store, long today, dms_error *err)
{
    dms_finance_book *b = NULL;
    int status = dms_finance_store_book(store, &b, err);
    if (status != DMS_OK)
        return status;
    char d1[16], d2[16], m1[48];
    int64_t open = 0, overdue = 0;
    bool ru = cli_russian();
    printf(ru ? "задолженность на %s:\n" : "debts on %s (задолженность):\n", dotted(today, d1));
    for (size_t i = 0; i < b->ninvoices; i++) {
        const dms_finance_invoice *v = &b->invoices[i];
        enum dms_finance_state s = dms_finance_invoice_state(v, today);
        if (s == DMS_FINANCE_PAID)
            continue;
        int64_t left = v->amount - v->paid;
        open += left;
        if (s == DMS_FINANCE_OVERDUE)
            overdue += left;
        printf("  ");
        pad(v->number, 10);
        printf(ru ? " срок %s  %16s  %s" : " due %s  %16s  %s", dotted(v->due, d2),
               dms_finance_kopecks_rub(left, m1, sizeof m1), dms_finance_state_name_ru(s));
        if (s == DMS_FINANCE_OVERDUE)
            printf(ru ? ", просрочено дней: %ld" : ", %ld day(s) overdue", today - v->due);
        putchar('\n');
    }
    printf(ru ? "  не оплачено %s" : "  open %s", dms_finance_kopecks_rub(open, m1, sizeof m1));
    printf(ru ? ", из них просрочено %s" : ", of which overdue %s",
           dms_finance_kopecks_rub(overdue, m1, sizeof m1));
    printf(ru ? ", переплата %s\n" : ", credit %s\n",
           dms_finance_kopecks_rub(b->credit, m1, sizeof m1));
    /* The next invoice: the first period without one, at the register as it stands. */
    for (size_t k = 0; k < b->nperiods; k++) {
        bool have = false;
        for (size_t i = 0; i < b->ninvoices && !have; i++)
            have = b->invoices[i].period == (int)k + 1;
        if (have)
            continue;
        int64_t through = 0, charged = 0;
        for (size_t i = 0; i < b->ninvoices; i++)
            charged += b->invoices[i].amount;
        dms_finance_accrue(b->spans, b->nspans, b->policy_from, b->policy_to, b->policy_from,
                           b->periods[k].to, NULL, NULL, &through, NULL);
        long issue_day = b->periods[k].from > today ? b->periods[k].from : today;
        char d3[16], d4[16];
        printf(ru ? "предстоящий платёж: счёт за %s–%s, выставление %s, срок оплаты %s, %s по "
                    "списку застрахованных на сегодня\n"
                  : "upcoming (предстоящий платёж): invoice for %s–%s, issued %s, due %s, %s at "
                    "the register as it stands\n",
               dotted(b->periods[k].from, d1), dotted(b->periods[k].to, d2), dotted(issue_day, d3),
               dotted(issue_day + b->contract.due_days, d4),
               dms_finance_kopecks_rub(through - charged, m1, sizeof m1));
        break;
    }
    dms_finance_book_free(b);
    return DMS_OK;
}

static int act(dms_store *store, const struct args *a, dms_error *err)
{
    long from = 0, to = 0;
    if (!dms_date_parse(a->from, &from) || !dms_date_parse(a->to, &to))
        return dms_error_set(err, DMS_EINVAL, NULL, "--from and --to are YYYY-MM-DD");
    dms_finance_book *b = NULL;
    dms_finance_act *act = NULL;
    int status = dms_finance_store_book(store, &b, err);
    if (status == DMS_OK)
        status = dms_finance_act_build(b->invoices, b->ninvoices, b->payments, b->npayments, from,
                                       to, &act, err);
    if (status != DMS_OK)
        goto out;
    dms_finance_parties parties = {NULL, b->employer_name, b->employer_inn};
    if (a->out != NULL && ends_with(a->out, ".xlsx")) {
        status = dms_finance_act_xlsx(act, &parties, a->out, NULL, NULL, err);
    } else if (a->out != NULL) {
        FILE *f = fopen(a->out, "wb");
        if (f == NULL) {
            status = dms_error_set(err, DMS_EIO, NULL, "cannot write %s", a->out);
            goto out;
        }
        status = dms_finance_act_csv(act, &parties, f, err);
        if (fclose(f) != 0 && status == DMS_OK)
            status = dms_error_set(err, DMS_EIO, NULL, "cannot write %s", a->out);
    } else {
        char d1[16], d2[16], m1[48], m2[48];
        printf("Акт сверки %s–%s, %s\n", dotted(from, d1), dotted(to, d2), b->employer_name);
        bool ru = cli_russian();
        printf(ru ? "  сальдо начальное %s\n" : "  opening balance (сальдо начальное) %s\n",
               dms_finance_kopecks_rub(act->opening, m1, sizeof m1));
        for (size_t i = 0; i < act->nrows; i++) {
            const dms_finance_act_row *r = &act->rows[i];
            printf("  ");
            pad(r->document, 60);
            printf(" %16s %16s\n", r->debit ? dms_finance_kopecks_rub(r->debit, m1, sizeof m1) : "",
                   r->credit ? dms_finance_kopecks_rub(r->credit, m2, sizeof m2) : "");
        }
        printf(ru ? "  начислено %s, оплачено %s\n"
                  : "  accrued (начислено) %s, paid (оплачено) %s\n",
               dms_finance_kopecks_rub(act->accrued, m1, sizeof m1),
               dms_finance_kopecks_rub(act->paid, m2, sizeof m2));
        printf(ru ? "  сальдо конечное %s\n" : "  closing balance (сальдо конечное) %s\n",
               dms_finance_kopecks_rub(act->closing, m1, sizeof m1));
    }
    if (status == DMS_OK && a->out != NULL)
        fprintf(stderr,
                cli_russian() ? "dmsrate finance: записан %s\n" : "dmsrate finance: wrote %s\n",
                a->out);
out:
    dms_finance_act_free(act);
    dms_finance_book_free(b);
    return status;
}

int cmd_finance(int argc, char **argv)
{
    int help = cli_action_help("finance", argc, argv);
    if (help >= 0)
        return help;
    const char *action = argv[1];
    struct args a = {.db = "var/dmsrate.db"};
    static const struct {
        const char *flag;
        size_t offset;
    } flags[] = {
        {"--db", offsetof(struct args, db)},
        {"--file", offsetof(struct args, file)},
        {"--today", offsetof(struct args, today)},
        {"--date", offsetof(struct args, date)},
        {"--number", offsetof(struct args, number)},
        {"--amount", offsetof(struct args, amount)},
        {"--inn", offsetof(struct args, inn)},
        {"--purpose", offsetof(struct args, purpose)},
        {"--invoice", offsetof(struct args, invoice)},
        {"--from", offsetof(struct args, from)},
        {"--to", offsetof(struct args, to)},
        {"--out", offsetof(struct args, out)},
    };
    for (int i = 2; i < argc; i += 2) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            return cli_fail_usage("dmsrate finance", "finance", "missing value for %s", f);
        }
        bool known = false;
        if (strcmp(f, "--employer") == 0) {
            a.employer = strtol(v, NULL, 10);
            known = true;
        }
        for (size_t k = 0; k < sizeof flags / sizeof flags[0] && !known; k++)
            if (strcmp(f, flags[k].flag) == 0) {
                *(const char **)((char *)&a + flags[k].offset) = v;
                known = true;
            }
        if (!known) {
            return cli_fail_usage("dmsrate finance", "finance", "unknown option %s", f);
        }
    }
    bool ok = a.employer > 0;
    if (strcmp(action, "pay") == 0)
        ok = ok && a.date != NULL && a.number != NULL && a.amount != NULL && a.inn != NULL;
    else if (strcmp(action, "import") == 0)
        ok = ok && a.file != NULL;
    else if (strcmp(action, "accruals") == 0 || strcmp(action, "act") == 0)
        ok = ok && a.from != NULL && a.to != NULL;
    else if (strcmp(action, "contract") != 0 && strcmp(action, "invoice") != 0 &&
             strcmp(action, "invoices") != 0 && strcmp(action, "debts") != 0) {
        return cli_fail_usage("dmsrate finance", "finance", "unknown action '%s'", action);
    }
    if (!ok) {
        return cli_fail_usage("dmsrate finance", "finance", "%s: missing or bad options", action);
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    int status = cli_store_open_employer(a.db, a.employer, &store, &err);
    long today = status == DMS_OK ? today_of(&a, &err, &status) : 0;
    if (status == DMS_OK) {
        if (strcmp(action, "contract") == 0)
            status = contract(store, &a, &err);
        else if (strcmp(action, "invoice") == 0)
            status = issue(store, today, &err);
        else if (strcmp(action, "invoices") == 0)
            status = invoices(store, today, &err);
        else if (strcmp(action, "pay") == 0)
            status = pay(store, &a, &err);
        else if (strcmp(action, "import") == 0)
            status = import(store, &a, &err);
        else if (strcmp(action, "accruals") == 0)
            status = accruals(store, &a, &err);
        else if (strcmp(action, "debts") == 0)
            status = debts(store, today, &err);
        else
            status = act(store, &a, &err);
    }
    dms_store_close(store);
    if (status == DMS_OK)
        return 0;
    cli_error("dmsrate finance", &err);
    return status == DMS_EINVAL || status == DMS_EPARSE || status == DMS_ENOTFOUND ? 2 : 1;
}
