/*
 * The bank-statement reader (statement.h): the 1C export as CSV through the
 * core's one CSV tokenizer, or as the 1CClientBankExchange key=value text,
 * into payments with every fault at line:column. Amounts become integer
 * kopecks straight from the digits, never through a double.
 */
#include "dms/date.h"
#include "dms/statement.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../io/csv_internal.h"
#include "dms/claims.h"
#include "dms/text.h"

enum field { F_DATE, F_NUMBER, F_AMOUNT, F_INN, F_PURPOSE, F_COUNT };

static const char *const field_en[F_COUNT] = {"date", "number", "amount", "payer_inn", "purpose"};

/* Header names, folded (dms_text_fold), per field. */
static const char *const header_names[F_COUNT][6] = {
    {"дата", "date", "дата документа", "дата платежа", "дата операции", NULL},
    {"номер", "number", "номер документа", "№", "номер платежа", NULL},
    {"сумма", "amount", "сумма платежа", "сумма поступления", NULL, NULL},
    {"инн плательщика", "плательщикинн", "payer inn", "инн", NULL, NULL},
    {"назначение платежа", "назначениеплатежа", "purpose", "назначение", NULL, NULL},
};

struct reader {
    const char *source;
    dms_diag *diag;
    size_t faults;
    dms_finance_payment *v;
    int *lines;
    size_t n, cap;
    bool nomem;
};

static void fault(struct reader *r, int line, int column, const char *code, const char *ru,
                  const char *en)
{
    r->faults++;
    dms_diag_add_at(r->diag, DMS_EPARSE, r->source, line, column, "%s: %s / %s", code, ru, en);
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return n > 0;
}

/* DD.MM.YYYY or YYYY-MM-DD, a real calendar day between 1990 and 2200. */
static bool parse_date(const char *s, size_t n, long *day)
{
    int y, m, d;
    bool ok;
    if (n == 10 && s[2] == '.' && s[5] == '.')
        ok = digits(s, 2, &d) && digits(s + 3, 2, &m) && digits(s + 6, 4, &y);
    else if (n == 10 && s[4] == '-' && s[7] == '-')
        ok = digits(s, 4, &y) && digits(s + 5, 2, &m) && digits(s + 8, 2, &d);
    else
        return false;
    if (!ok || y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > dms_date_month_days(y, m))
        return false;
    *day = dms_claims_days(y, m, d);
    return true;
}

static bool parse_inn(const char *s, size_t n)
{
    int dummy;
    if (n != 10 && n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!digits(s + i, 1, &dummy))
            return false;
    return true;
}

/* One payment's fields as text, with where each was (line 0: absent). */
struct raw {
    const char *text[F_COUNT];
    size_t len[F_COUNT];
    int line[F_COUNT], column[F_COUNT];
};

static void add_payment(struct reader *r, const struct raw *raw, int line, int end_column)
{
    dms_finance_payment p;
    memset(&p, 0, sizeof p);
    bool ok = true;
    for (int f = 0; f < F_PURPOSE; f++)
        if (raw->text[f] == NULL || raw->len[f] == 0) {
            char ru[96], en[96];
            static const char *const names_ru[] = {"дата", "номер", "сумма", "ИНН плательщика"};
            snprintf(ru, sizeof ru, "не заполнено поле «%s»", names_ru[f]);
            snprintf(en, sizeof en, "%s is empty", field_en[f]);
            fault(r, raw->line[f] != 0 ? raw->line[f] : line,
                  raw->column[f] != 0 ? raw->column[f] : end_column, "missing_value", ru, en);
            ok = false;
        }
    if (!ok)
        return;
    if (!parse_date(raw->text[F_DATE], raw->len[F_DATE], &p.day)) {
        fault(r, raw->line[F_DATE], raw->column[F_DATE], "bad_date",
              "дата не в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД",
              "the date is not DD.MM.YYYY or YYYY-MM-DD");
        ok = false;
    }
    if (raw->len[F_NUMBER] >= sizeof p.number) {
        fault(r, raw->line[F_NUMBER], raw->column[F_NUMBER], "bad_value",
              "номер документа слишком длинный", "the document number is too long");
        ok = false;
    }
    if (!dms_finance_parse_kopecks(raw->text[F_AMOUNT], raw->len[F_AMOUNT], &p.amount)) {
        fault(r, raw->line[F_AMOUNT], raw->column[F_AMOUNT], "bad_amount",
              "сумма должна быть положительным числом с не более чем двумя знаками после "
              "запятой",
              "the amount must be a positive number with at most two decimals");
        ok = false;
    }
    if (!parse_inn(raw->text[F_INN], raw->len[F_INN])) {
        fault(r, raw->line[F_INN], raw->column[F_INN], "bad_inn",
              "ИНН плательщика — 10 или 12 цифр", "the payer's INN is 10 or 12 digits");
        ok = false;
    }
    if (!ok || r->faults > 0)
        return;
    if (r->n >= DMS_STATEMENT_MAX_LINES) {
        fault(r, line, 1, "bad_file", "слишком много платежей в выписке",
              "too many payments in one statement");
        return;
    }
    memcpy(p.number, raw->text[F_NUMBER], raw->len[F_NUMBER]);
    memcpy(p.payer_inn, raw->text[F_INN], raw->len[F_INN]);
    if (raw->text[F_PURPOSE] != NULL) {
        size_t len =
            raw->len[F_PURPOSE] < sizeof p.purpose - 1 ? raw->len[F_PURPOSE] : sizeof p.purpose - 1;
        /* Cut at a character boundary, never inside a UTF-8 sequence. */
        while (len > 0 && len < raw->len[F_PURPOSE] &&
               ((unsigned char)raw->text[F_PURPOSE][len] & 0xC0) == 0x80)
            len--;
        memcpy(p.purpose, raw->text[F_PURPOSE], len);
        for (size_t i = 0; i < len; i++)
            if (p.purpose[i] == '\r' || p.purpose[i] == '\n' || p.purpose[i] == '\0')
                p.purpose[i] = ' ';
    }
    if (r->n == r->cap) {
        size_t cap = r->cap != 0 ? r->cap * 2 : 32;
        dms_finance_payment *v = realloc(r->v, cap * sizeof *v);
        int *lines = v != NULL ? realloc(r->lines, cap * sizeof *lines) : NULL;
        if (v != NULL)
            r->v = v;
        if (lines == NULL) {
            r->nomem = true;
            return;
        }
        r->lines = lines;
        r->cap = cap;
    }
    r->lines[r->n] = line;
    r->v[r->n++] = p;
}

/* ---- CSV ---------------------------------------------------------------------------- */

static int header_field(const char *text, size_t len)
{
    char folded[256];
    if (!dms_text_fold(text, len, folded, sizeof folded))
        return -1;
    for (int f = 0; f < F_COUNT; f++)
        for (int k = 0; k < 6 && header_names[f][k] != NULL; k++)
            if (strcmp(folded, header_names[f][k]) == 0)
                return f;
    return -2; /* another column: ignored */
}

static void csv_fault(csv_reader *cr, int line, int column, const char *msg)
{
    struct reader *r = cr->ctx;
    fault(r, line, column, "bad_file", "неверный CSV", msg);
}

static void read_csv(struct reader *r, const char *data, size_t len)
{
    csv_reader cr;
    dms_csv_init(&cr, data, len, r->source, NULL);
    cr.fault = csv_fault;
    cr.ctx = r;
    int col[F_COUNT];
    for (int f = 0; f < F_COUNT; f++)
        col[f] = -1;
    if (!dms_csv_header(&cr)) {
        if (!cr.nomem)
            fault(r, 1, 1, "bad_file", "выписка пуста: нет строки заголовка",
                  "the statement is empty: no header row");
        r->nomem = cr.nomem;
        dms_csv_release(&cr);
        return;
    }
    for (size_t i = 0; i < cr.nfields; i++) {
        size_t n;
        const char *t = dms_csv_text(&cr, i, &n);
        int f = header_field(t, n);
        if (f >= 0 && col[f] >= 0)
            fault(r, cr.fields[i].line, cr.fields[i].column, "bad_header", "столбец повторяется",
                  "the column is repeated");
        else if (f >= 0)
            col[f] = (int)i;
    }
    int header_line = cr.fields[0].line;
    for (int f = 0; f < F_PURPOSE; f++)
        if (col[f] < 0) {
            char en[96];
            snprintf(en, sizeof en, "no column %s", field_en[f]);
            fault(r, header_line, 1, "missing_column", "в заголовке нет обязательного столбца", en);
        }
    if (r->faults > 0) {
        dms_csv_release(&cr);
        return;
    }
    while (dms_csv_record(&cr) && !r->nomem) {
        if (cr.bad || dms_csv_blank(&cr))
            continue;
        struct raw raw;
        memset(&raw, 0, sizeof raw);
        int line = cr.fields[0].line;
        for (int f = 0; f < F_COUNT; f++) {
            if (col[f] < 0 || (size_t)col[f] >= cr.nfields)
                continue;
            raw.text[f] = dms_csv_text(&cr, (size_t)col[f], &raw.len[f]);
            raw.line[f] = cr.fields[col[f]].line;
            raw.column[f] = cr.fields[col[f]].column;
        }
        add_payment(r, &raw, line, cr.end_column);
    }
    if (cr.nomem)
        r->nomem = true;
    dms_csv_release(&cr);
}

/* ---- 1CClientBankExchange ------------------------------------------------------------ */

static int utf8_chars(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void read_exchange(struct reader *r, const char *data, size_t len)
{
    static const char *const keys[F_COUNT] = {"Дата", "Номер", "Сумма", "ПлательщикИНН",
                                              "НазначениеПлатежа"};
    bool in_doc = false;
    int doc_line = 0;
    struct raw raw;
    memset(&raw, 0, sizeof raw);
    int line = 0;
    for (size_t pos = 0; pos < len && !r->nomem;) {
        line++;
        size_t end = pos;
        while (end < len && data[end] != '\n' && data[end] != '\r')
            end++;
        const char *s = data + pos;
        size_t n = end - pos;
        pos = end;
        if (pos < len && data[pos] == '\r')
            pos++;
        if (pos < len && data[pos] == '\n')
            pos++;
        const char *eq = memchr(s, '=', n);
        size_t klen = eq != NULL ? (size_t)(eq - s) : n;
        if (eq == NULL && n == strlen("КонецДокумента") && memcmp(s, "КонецДокумента", n) == 0) {
            if (!in_doc)
                fault(r, line, 1, "bad_file", "КонецДокумента без СекцияДокумент",
                      "КонецДокумента without СекцияДокумент");
            else
                add_payment(r, &raw, doc_line, 1);
            in_doc = false;
            continue;
        }
        if (eq != NULL && klen == strlen("СекцияДокумент") &&
            memcmp(s, "СекцияДокумент", klen) == 0) {
            if (in_doc)
                fault(r, line, 1, "bad_file", "документ не закрыт (нет КонецДокумента)",
                      "the document is not closed (no КонецДокумента)");
            in_doc = true;
            doc_line = line;
            memset(&raw, 0, sizeof raw);
            continue;
        }
        if (!in_doc || eq == NULL)
            continue;
        for (int f = 0; f < F_COUNT; f++)
            if (klen == strlen(keys[f]) && memcmp(s, keys[f], klen) == 0) {
                const char *v = eq + 1;
                size_t vlen = n - klen - 1;
                while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
                    v++;
                    vlen--;
                }
                while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                    vlen--;
                raw.text[f] = v;
                raw.len[f] = vlen;
                raw.line[f] = line;
                raw.column[f] = utf8_chars(s, (size_t)(v - s)) + 1;
            }
    }
    if (in_doc)
        fault(r, doc_line, 1, "bad_file", "документ не закрыт (нет КонецДокумента)",
              "the document is not closed (no КонецДокумента)");
}

int dms_statement_read(const char *data, size_t len, const char *source, dms_statement **out,
                       dms_diag *diag)
{
    if (out == NULL || (data == NULL && len > 0))
        return DMS_EINVAL;
    *out = NULL;
    struct reader r = {source != NULL ? source : "statement", diag, 0, NULL, NULL, 0, 0, false};
    if (len > DMS_STATEMENT_MAX_BYTES) {
        fault(&r, 1, 1, "bad_file", "выписка слишком велика", "the statement is too large");
        return DMS_ETOOBIG;
    }
    if (len > 0 && memchr(data, '\0', len) != NULL) {
        fault(&r, 1, 1, "bad_file", "выписка не является текстом (UTF-8)",
              "the statement is not UTF-8 text");
        return DMS_EPARSE;
    }
    const char *text = data;
    size_t n = len;
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        n -= 3;
    }
    static const char magic[] = "1CClientBankExchange";
    if (n >= sizeof magic - 1 && memcmp(text, magic, sizeof magic - 1) == 0)
        read_exchange(&r, text, n);
    else
        read_csv(&r, data, len);
    if (r.nomem || r.faults > 0) {
        free(r.v);
        free(r.lines);
        if (r.nomem)
            dms_diag_add_at(diag, DMS_ENOMEM, r.source, 0, 0, "no memory for the statement");
        return r.nomem ? DMS_ENOMEM : DMS_EPARSE;
    }
    dms_statement *st = calloc(1, sizeof *st);
    if (st == NULL) {
        free(r.v);
        free(r.lines);
        return DMS_ENOMEM;
    }
    st->n = r.n;
    st->payments = r.v;
    st->lines = r.lines;
    *out = st;
    return DMS_OK;
}

void dms_statement_free(dms_statement *st)
{
    if (st == NULL)
        return;
    free(st->payments);
    free(st->lines);
    free(st);
}
