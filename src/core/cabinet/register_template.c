/*
 * The insurer's template of the register (the attach/detach list): reading
 * it from CSV (the shared tokenizer of csv.c) or XLSX (dms_xlsx) into a
 * batch of changes, one code path for both once a row is a list of cells,
 * and writing the current list, the changes of a period and the insured-list
 * report back in the same columns, as Russian Excel CSV or as XLSX with
 * typed date cells.
 */
#include "register_internal.h"
#include "dms/text.h"
#include "dms/xlsx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- header vocabulary ---------------------------------------------------------- */

/* Beyond the fields: a column read and ignored (Статус ...), and a column
   whose header cell is blank (any value under it is a fault: nothing typed
   into the template is dropped without a word). */
enum { TF_IGNORED = DMS_INSURED_F_COUNT, TF_BLANK = DMS_INSURED_F_COUNT + 1, TF_UNKNOWN = -1 };

/* Folded by dms_text_fold: lower case, ё → е, '_' '-' → space. */
struct header_word {
    const char *text;
    int field;
};

static const struct header_word header_words[] = {
    {"действие", DMS_INSURED_F_ACTION},
    {"action", DMS_INSURED_F_ACTION},
    {"операция", DMS_INSURED_F_ACTION},
    {"вид изменения", DMS_INSURED_F_ACTION},
    {"дата действия", DMS_INSURED_F_DATE},
    {"дата изменения", DMS_INSURED_F_DATE},
    {"дата", DMS_INSURED_F_DATE},
    {"с даты", DMS_INSURED_F_DATE},
    {"effective date", DMS_INSURED_F_DATE},
    {"date", DMS_INSURED_F_DATE},
    {"номер полиса", DMS_INSURED_F_POLICY},
    {"полис", DMS_INSURED_F_POLICY},
    {"№ полиса", DMS_INSURED_F_POLICY},
    {"policy number", DMS_INSURED_F_POLICY},
    {"policy", DMS_INSURED_F_POLICY},
    {"policy id", DMS_INSURED_F_POLICY},
    {"табельный номер", DMS_INSURED_F_EMPLOYEE},
    {"таб. номер", DMS_INSURED_F_EMPLOYEE},
    {"таб номер", DMS_INSURED_F_EMPLOYEE},
    {"employee id", DMS_INSURED_F_EMPLOYEE},
    {"связь", DMS_INSURED_F_RELATION},
    {"степень родства", DMS_INSURED_F_RELATION},
    {"relation", DMS_INSURED_F_RELATION},
    {"фио", DMS_INSURED_F_NAME},
    {"ф.и.о.", DMS_INSURED_F_NAME},
    {"full name", DMS_INSURED_F_NAME},
    {"name", DMS_INSURED_F_NAME},
    {"дата рождения", DMS_INSURED_F_BIRTH},
    {"birth date", DMS_INSURED_F_BIRTH},
    {"date of birth", DMS_INSURED_F_BIRTH},
    {"подразделение", DMS_INSURED_F_DEPARTMENT},
    {"отдел", DMS_INSURED_F_DEPARTMENT},
    {"department", DMS_INSURED_F_DEPARTMENT},
    {"программа", DMS_INSURED_F_PROGRAMME},
    {"программа страхования", DMS_INSURED_F_PROGRAMME},
    {"сегмент", DMS_INSURED_F_PROGRAMME},
    {"programme", DMS_INSURED_F_PROGRAMME},
    {"program", DMS_INSURED_F_PROGRAMME},
    {"plan", DMS_INSURED_F_PROGRAMME},
    {"segment", DMS_INSURED_F_PROGRAMME},
    /* written by the list download, informational on the way back in */
    {"статус", TF_IGNORED},
    {"status", TF_IGNORED},
    {"дата начала", TF_IGNORED},
    {"дата подключения", TF_IGNORED},
    {"date from", TF_IGNORED},
    {"дата окончания", TF_IGNORED},
    {"date to", TF_IGNORED},
    {"№", TF_IGNORED},
    {"№ п/п", TF_IGNORED},
    {"no", TF_IGNORED},
    {NULL, 0},
};

static int header_field(const char *text, size_t len)
{
    char folded[128];
    char w[128];
    if (!dms_text_fold(text, len, folded, sizeof folded))
        return TF_UNKNOWN;
    /* once per column of the header: folding the vocabulary here keeps it
       readable as people write it */
    for (size_t i = 0; header_words[i].text != NULL; i++)
        if (dms_text_fold(header_words[i].text, strlen(header_words[i].text), w, sizeof w) &&
            strcmp(w, folded) == 0)
            return header_words[i].field;
    return TF_UNKNOWN;
}

/* Most bytes a cell of each field may hold (policy numbers and ids are short;
   names and departments are what people type). */
static const size_t field_max[DMS_INSURED_F_COUNT] = {64, 32, 64, 64, 32, 256, 32, 256, 128};

/* ---- reading: one row of cells -------------------------------------------------- */

typedef struct reader {
    dms_insured_batch *b;
    dms_progress *progress;
    bool nomem;
    int map[DMS_XLSX_MAX_COLUMNS > 256 ? 256 : DMS_XLSX_MAX_COLUMNS]; /* column → field */
    int ncols;
    bool have[DMS_INSURED_F_COUNT];
    bool header_done;
    bool header_bad; /* a required column is missing: rows cannot be read */
} reader;

static void add_issue(reader *r, enum dms_insured_issue_code code, int line, int column,
                      enum dms_insured_field f, const char *ru_fmt, const char *en_fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void add_issue(reader *r, enum dms_insured_issue_code code, int line, int column,
                      enum dms_insured_field f, const char *ru_fmt, const char *en_fmt, ...)
{
    char ru[256], en[256];
    char cell[24] = "";
    va_list ap, aq;
    va_start(ap, en_fmt);
    va_copy(aq, ap);
    size_t off_ru = 0, off_en = 0;
    if (r->b->xlsx && line > 0 && column > 0) {
        dms_xlsx_cell_ref(line, column, cell, sizeof cell);
        off_ru = (size_t)snprintf(ru, sizeof ru, "ячейка %s: ", cell);
        off_en = (size_t)snprintf(en, sizeof en, "cell %s: ", cell);
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(ru + off_ru, sizeof ru - off_ru, ru_fmt, aq);
#pragma GCC diagnostic pop
    vsnprintf(en + off_en, sizeof en - off_en, en_fmt, ap);
    va_end(aq);
    va_end(ap);
    dms_insured_batch *b = r->b;
    if (!dms_register_issue_add(&b->issues, &b->nissues, &b->cap_issues, &b->issues_total, code,
                                line, column, f, ru, en))
        r->nomem = true;
}

/* A cell's text shown in a message: at most 40 bytes of whole characters,
   invalid UTF-8 shown as U+FFFD, so that a message is always valid UTF-8
   (the HTTP layer puts it into JSON). */
static const char *shown(const char *t, size_t n, char buf[64])
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)t, *end = p + n;
    while (p < end && o + 4 < 44) {
        long cp = *p < 0x80 ? *p++ : -1;
        if (cp < 0) {
            /* dms_utf8_next reads as many bytes as the lead byte announces:
               only call it when they are all inside the text */
            size_t need = (*p & 0xE0) == 0xC0   ? 2
                          : (*p & 0xF0) == 0xE0 ? 3
                          : (*p & 0xF8) == 0xF0 ? 4
                                                : 0;
            const unsigned char *start = p;
            if (need > 0 && (size_t)(end - p) >= need)
                cp = dms_utf8_next(&p);
            if (cp < 0 || p != start + need) {
                p = start + 1;
                cp = 0xFFFD;
            }
        }
        if (cp == 0)
            cp = 0xFFFD;
        o += dms_utf8_put(cp, buf + o);
    }
    buf[o] = '\0';
    if (p < end)
        strcat(buf, "…");
    return buf;
}

static bool valid_utf8(const char *t, size_t n)
{
    const unsigned char *p = (const unsigned char *)t, *end = p + n;
    while (p < end) {
        if (*p == 0)
            return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t need = (*p & 0xE0) == 0xC0   ? 2
                      : (*p & 0xF0) == 0xE0 ? 3
                      : (*p & 0xF8) == 0xF0 ? 4
                                            : 0;
        if (need == 0 || (size_t)(end - p) < need)
            return false;
        const unsigned char *q = p;
        if (dms_utf8_next(&q) < 0 || (size_t)(q - p) != need)
            return false;
        p = q;
    }
    return true;
}

static void read_header(reader *r, int line, size_t n, const char *const *texts, const size_t *lens,
                        const int *cols)
{
    int seen_col[DMS_INSURED_F_COUNT] = {0};
    r->header_done = true;
    r->ncols = 0;
    for (size_t i = 0; i < n; i++) {
        int c = cols[i];
        if (c < 1 || c > (int)(sizeof r->map / sizeof r->map[0])) {
            add_issue(r, DMS_INSURED_E_BAD_HEADER, line, c, DMS_INSURED_F_ACTION,
                      "%sслишком много столбцов", "%stoo many columns", "");
            continue;
        }
        while (r->ncols < c)
            r->map[r->ncols++] = TF_BLANK;
        char buf[64];
        if (lens[i] == 0) {
            r->map[c - 1] = TF_BLANK; /* must stay empty; checked per row */
            continue;
        }
        int f = header_field(texts[i], lens[i]);
        if (f == TF_UNKNOWN) {
            r->map[c - 1] = TF_IGNORED; /* reported once here, not on every row */
            add_issue(r, DMS_INSURED_E_BAD_HEADER, line, c, DMS_INSURED_F_ACTION,
                      "неизвестный столбец «%s»", "unknown column '%s'",
                      shown(texts[i], lens[i], buf));
            continue;
        }
        if (f < DMS_INSURED_F_COUNT) {
            if (seen_col[f]) {
                add_issue(r, DMS_INSURED_E_BAD_HEADER, line, c, (enum dms_insured_field)f,
                          "столбец «%s» повторяет %s (столбец %d)",
                          "column '%s' repeats %s (column %d)", shown(texts[i], lens[i], buf),
                          dms_insured_field_name(f), seen_col[f]);
                continue;
            }
            seen_col[f] = c;
            r->have[f] = true;
        }
        r->map[c - 1] = f;
    }
    static const enum dms_insured_field required[] = {DMS_INSURED_F_ACTION, DMS_INSURED_F_DATE,
                                                      DMS_INSURED_F_POLICY};
    for (size_t i = 0; i < 3; i++)
        if (!r->have[required[i]] && (r->header_bad = true))
            add_issue(r, DMS_INSURED_E_MISSING_COLUMN, line, 1, required[i], "нет столбца «%s»",
                      "column '%s' is missing", dms_insured_field_name_ru(required[i]));
}

/* A date cell: DD.MM.YYYY or YYYY-MM-DD (an XLSX date cell arrives as ISO). */
static bool cell_date(const char *t, size_t n, long *days, char *msg, size_t msize)
{
    int y, m, d;
    if (dms_census_parse_date(t, n, &y, &m, &d, msg, msize) != DMS_OK)
        return false;
    *days = dms_register_days(y, m, d);
    return true;
}

static void read_row(reader *r, int line, size_t n, const char *const *texts, const size_t *lens,
                     const int *cols)
{
    const char *val[DMS_INSURED_F_COUNT] = {0};
    size_t vlen[DMS_INSURED_F_COUNT] = {0};
    dms_insured_change c;
    memset(&c, 0, sizeof c);
    c.line = line;
    c.birth_day = DMS_INSURED_NO_DATE;
    c.effective_day = DMS_INSURED_NO_DATE;
    int faults_before = (int)r->b->issues_total;
    char buf[64], msg[128];
    for (size_t i = 0; i < n; i++) {
        int col = cols[i];
        if (lens[i] == 0)
            continue;
        int f = col >= 1 && col <= r->ncols ? r->map[col - 1] : TF_UNKNOWN;
        if (f == TF_UNKNOWN || f == TF_BLANK) {
            add_issue(r, DMS_INSURED_E_BAD_VALUE, line, col, DMS_INSURED_F_ACTION,
                      "значение «%s» в столбце без заголовка",
                      "value '%s' in a column without a header", shown(texts[i], lens[i], buf));
            continue;
        }
        if (f == TF_IGNORED)
            continue;
        if (!valid_utf8(texts[i], lens[i])) {
            add_issue(r, DMS_INSURED_E_BAD_VALUE, line, col, (enum dms_insured_field)f,
                      "%s: текст не в UTF-8", "%s: the text is not UTF-8",
                      dms_insured_field_name(f));
            continue;
        }
        /* one byte more for the apostrophe the CSV download puts before a
           cell that would be a formula, so a download always reads back */
        if (lens[i] > field_max[f] + (texts[i][0] == '\'')) {
            add_issue(r, DMS_INSURED_E_BAD_VALUE, line, col, (enum dms_insured_field)f,
                      "%s: длиннее %zu байт", "%s: longer than %zu bytes",
                      dms_insured_field_name(f), field_max[f]);
            continue;
        }
        val[f] = texts[i];
        vlen[f] = lens[i];
        c.column[f] = col;
    }
    /* where a missing required value is reported: its column, or the row's first */
    int first_col = n > 0 ? cols[0] : 1;
    if (val[DMS_INSURED_F_ACTION] == NULL) {
        if (r->have[DMS_INSURED_F_ACTION])
            add_issue(r, DMS_INSURED_E_MISSING_VALUE, line, first_col, DMS_INSURED_F_ACTION,
                      "%sне указано действие", "%sthe action is missing", "");
    } else if (!dms_insured_action_from_text(val[DMS_INSURED_F_ACTION], vlen[DMS_INSURED_F_ACTION],
                                             &c.action)) {
        add_issue(r, DMS_INSURED_E_UNKNOWN_ACTION, line, c.column[DMS_INSURED_F_ACTION],
                  DMS_INSURED_F_ACTION,
                  "неизвестное действие «%s»: ожидается прикрепить, открепить, приостановить "
                  "или изменить программу",
                  "unknown action '%s': expected attach, detach, suspend or change programme",
                  shown(val[DMS_INSURED_F_ACTION], vlen[DMS_INSURED_F_ACTION], buf));
    }
    if (val[DMS_INSURED_F_DATE] == NULL) {
        if (r->have[DMS_INSURED_F_DATE])
            add_issue(r, DMS_INSURED_E_MISSING_VALUE, line, first_col, DMS_INSURED_F_DATE,
                      "%sне указана дата действия", "%sthe effective date is missing", "");
    } else if (!cell_date(val[DMS_INSURED_F_DATE], vlen[DMS_INSURED_F_DATE], &c.effective_day, msg,
                          sizeof msg)) {
        add_issue(r, DMS_INSURED_E_BAD_DATE, line, c.column[DMS_INSURED_F_DATE], DMS_INSURED_F_DATE,
                  "«%s» — не дата ДД.ММ.ГГГГ", "'%s' is not a date DD.MM.YYYY",
                  shown(val[DMS_INSURED_F_DATE], vlen[DMS_INSURED_F_DATE], buf));
    }
    if (val[DMS_INSURED_F_POLICY] == NULL && r->have[DMS_INSURED_F_POLICY])
        add_issue(r, DMS_INSURED_E_MISSING_VALUE, line, first_col, DMS_INSURED_F_POLICY,
                  "%sне указан номер полиса", "%sthe policy number is missing", "");
    if (val[DMS_INSURED_F_RELATION] != NULL) {
        if (dms_census_relation_from_text(val[DMS_INSURED_F_RELATION], vlen[DMS_INSURED_F_RELATION],
                                          &c.relation))
            c.relation_given = true;
        else
            add_issue(r, DMS_INSURED_E_BAD_VALUE, line, c.column[DMS_INSURED_F_RELATION],
                      DMS_INSURED_F_RELATION,
                      "связь «%s» неизвестна (сотрудник, супруг(а) или ребёнок)",
                      "relation '%s' is not known (employee, spouse or child)",
                      shown(val[DMS_INSURED_F_RELATION], vlen[DMS_INSURED_F_RELATION], buf));
    }
    if (val[DMS_INSURED_F_BIRTH] != NULL &&
        !cell_date(val[DMS_INSURED_F_BIRTH], vlen[DMS_INSURED_F_BIRTH], &c.birth_day, msg,
                   sizeof msg))
        add_issue(r, DMS_INSURED_E_BAD_DATE, line, c.column[DMS_INSURED_F_BIRTH],
                  DMS_INSURED_F_BIRTH, "дата рождения «%s» — не дата ДД.ММ.ГГГГ",
                  "birth date '%s' is not a date DD.MM.YYYY",
                  shown(val[DMS_INSURED_F_BIRTH], vlen[DMS_INSURED_F_BIRTH], buf));
    if (r->nomem)
        return;
    dms_insured_batch *b = r->b;
    if ((int)b->issues_total != faults_before) {
        if (val[DMS_INSURED_F_POLICY] != NULL &&
            !dms_register_batch_poison(b, val[DMS_INSURED_F_POLICY], vlen[DMS_INSURED_F_POLICY],
                                       line))
            r->nomem = true;
        return;
    }
    static const enum dms_insured_field strs[] = {DMS_INSURED_F_POLICY, DMS_INSURED_F_EMPLOYEE,
                                                  DMS_INSURED_F_NAME, DMS_INSURED_F_DEPARTMENT,
                                                  DMS_INSURED_F_PROGRAMME};
    const char *interned[5];
    for (size_t i = 0; i < 5; i++) {
        enum dms_insured_field f = strs[i];
        interned[i] = dms_csv_pool_intern(&b->pool, val[f] ? val[f] : "", val[f] ? vlen[f] : 0);
        if (interned[i] == NULL) {
            r->nomem = true;
            return;
        }
    }
    c.policy = interned[0];
    c.employee_id = interned[1];
    c.full_name = interned[2];
    c.department = interned[3];
    c.programme = interned[4];
    c.programme_before = "";
    c.author = "";
    if (b->count >= DMS_INSURED_MAX_ROWS) {
        add_issue(r, DMS_INSURED_E_BAD_FILE, line, first_col, DMS_INSURED_F_ACTION,
                  "больше %zu строк", "more than %zu rows", DMS_INSURED_MAX_ROWS);
        return;
    }
    if (!dms_register_batch_push(b, &c))
        r->nomem = true;
}

static void read_cells(reader *r, int line, size_t n, const char *const *texts, const size_t *lens,
                       const int *cols)
{
    if (!r->header_done)
        read_header(r, line, n, texts, lens, cols);
    else if (!r->header_bad)
        read_row(r, line, n, texts, lens, cols);
}

/* ---- reading: CSV ------------------------------------------------------------------ */

static void csv_fault(csv_reader *cr, int line, int column, const char *msg)
{
    reader *r = cr->ctx;
    add_issue(r, DMS_INSURED_E_BAD_FILE, line, column, DMS_INSURED_F_ACTION, "ошибка CSV: %s",
              "CSV error: %s", msg);
}

static int read_csv(reader *r, const char *data, size_t len, const char *source)
{
    csv_reader cr;
    dms_csv_init(&cr, data, len, source, NULL);
    cr.fault = csv_fault;
    cr.ctx = r;
    const char **texts = NULL;
    size_t *lens = NULL;
    int *cols = NULL;
    size_t cap = 0;
    bool any = false;
    while (!r->nomem && dms_csv_record(&cr)) {
        dms_progress_step(r->progress, (double)cr.pos, (double)len);
        if (dms_csv_blank(&cr))
            continue;
        if (cr.nfields > cap) {
            size_t c2 = cr.nfields * 2;
            const char **t = realloc(texts, c2 * sizeof *t);
            if (t != NULL)
                texts = t;
            size_t *l = realloc(lens, c2 * sizeof *l);
            if (l != NULL)
                lens = l;
            int *c = realloc(cols, c2 * sizeof *c);
            if (c != NULL)
                cols = c;
            if (t == NULL || l == NULL || c == NULL) {
                r->nomem = true;
                break;
            }
            cap = c2;
        }
        for (size_t i = 0; i < cr.nfields; i++) {
            texts[i] = dms_csv_text(&cr, i, &lens[i]);
            cols[i] = (int)(i + 1);
        }
        int line = cr.fields[0].line;
        any = true;
        if (cr.bad && r->header_done)
            continue; /* the fault is reported; the row is not read */
        read_cells(r, line, cr.nfields, texts, lens, cols);
    }
    if (cr.nomem)
        r->nomem = true;
    if (!any && !r->nomem)
        add_issue(r, DMS_INSURED_E_BAD_FILE, 1, 1, DMS_INSURED_F_ACTION,
                  "%sфайл пуст: нет строки заголовков", "%sthe file is empty: no header line", "");
    dms_csv_release(&cr);
    free(texts);
    free(lens);
    free(cols);
    return r->nomem ? DMS_ENOMEM : DMS_OK;
}

/* ---- reading: XLSX ------------------------------------------------------------------ */

static int read_xlsx(reader *r, const char *data, size_t len)
{
    dms_xlsx_sheet *sh = NULL;
    dms_error e;
    dms_xlsx_limits lim = {.max_cells = DMS_INSURED_MAX_ROWS * 12};
    int status = dms_xlsx_read_first(data, len, &lim, NULL, &sh, &e);
    if (status == DMS_ENOMEM)
        return DMS_ENOMEM;
    if (status != DMS_OK) {
        /* The reader's reason in each language: the Russian sentence takes
         * the first argument, the English one the second. */
        char why_ru[DMS_ERROR_MESSAGE_MAX + 64];
        dms_error_message(&e, true, why_ru, (int)sizeof why_ru);
        add_issue(r, DMS_INSURED_E_BAD_FILE, e.line > 0 ? e.line : 1, e.column > 0 ? e.column : 1,
                  DMS_INSURED_F_ACTION, "файл XLSX не прочитан: %s%.0s",
                  "the XLSX file cannot be read: %.0s%s", why_ru, e.message);
        return DMS_OK;
    }
    const char **texts = NULL;
    size_t *lens = NULL;
    int *cols = NULL;
    size_t cap = 0;
    bool any = false;
    for (size_t i = 0; i < sh->nrows && !r->nomem; i++) {
        dms_progress_step(r->progress, (double)(i + 1), (double)sh->nrows);
        const dms_xlsx_row *row = &sh->rows[i];
        size_t n = 0;
        if (row->ncells > cap) {
            size_t c2 = row->ncells * 2;
            const char **t = realloc(texts, c2 * sizeof *t);
            if (t != NULL)
                texts = t;
            size_t *l = realloc(lens, c2 * sizeof *l);
            if (l != NULL)
                lens = l;
            int *c = realloc(cols, c2 * sizeof *c);
            if (c != NULL)
                cols = c;
            if (t == NULL || l == NULL || c == NULL) {
                r->nomem = true;
                break;
            }
            cap = c2;
        }
        for (size_t k = 0; k < row->ncells; k++) {
            const dms_xlsx_cell *cell = &row->cells[k];
            const char *t = cell->text;
            size_t tl = strlen(t);
            dms_csv_trim(&t, &tl);
            texts[n] = t;
            lens[n] = tl;
            cols[n] = cell->column;
            n++;
        }
        bool blank = true;
        for (size_t k = 0; k < n; k++)
            blank = blank && lens[k] == 0;
        if (blank)
            continue;
        any = true;
        read_cells(r, row->row, n, texts, lens, cols);
    }
    if (!any && !r->nomem)
        add_issue(r, DMS_INSURED_E_BAD_FILE, 1, 1, DMS_INSURED_F_ACTION,
                  "%sлист пуст: нет строки заголовков", "%sthe sheet is empty: no header row", "");
    free(texts);
    free(lens);
    free(cols);
    dms_xlsx_sheet_free(sh);
    return r->nomem ? DMS_ENOMEM : DMS_OK;
}

int dms_insured_template_read(const char *data, size_t len, enum dms_insured_format format,
                              const char *source, dms_insured_batch **out, dms_error *err)
{
    dms_error_clear(err);
    return dms_insured_template_read_with(data, len, format, source, NULL, out, err);
}

int dms_insured_template_read_with(const char *data, size_t len, enum dms_insured_format format,
                                   const char *source, const dms_insured_read_options *options,
                                   dms_insured_batch **out, dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (out == NULL || (data == NULL && len > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_template_read: NULL argument");
    if (len > DMS_INSURED_MAX_BYTES)
        return dms_error_set(err, DMS_ETOOBIG, NULL,
                             "файл больше %zu байт / the file is larger than %zu bytes",
                             DMS_INSURED_MAX_BYTES, DMS_INSURED_MAX_BYTES);
    dms_insured_batch *b = NULL;
    if (dms_insured_batch_alloc(&b) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    if (format == DMS_INSURED_AUTO)
        format =
            len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0 ? DMS_INSURED_XLSX : DMS_INSURED_CSV;
    b->xlsx = format == DMS_INSURED_XLSX;
    reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        dms_insured_batch_free(b);
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    }
    r->b = b;
    r->progress = options != NULL ? options->progress : NULL;
    int status = b->xlsx ? read_xlsx(r, data, len)
                         : read_csv(r, data, len, source ? source : "template.csv");
    free(r);
    if (status != DMS_OK) {
        dms_insured_batch_free(b);
        return dms_error_set(err, status, NULL, "out of memory");
    }
    *out = b;
    return DMS_OK;
}

/* ---- writing: Russian Excel CSV ------------------------------------------------------ */

/* One CSV cell: quoted when it holds ';', '"' or a line end; a cell a
   spreadsheet would run as a formula (= + - @, or tab / CR first) gets a
   leading apostrophe so that it is shown, not evaluated. */
static void csv_cell(FILE *out, const char *s, bool first)
{
    if (!first)
        fputc(';', out);
    if (s == NULL)
        s = "";
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

static const char *dotted(long days, char buf[16])
{
    if (days == DMS_INSURED_NO_DATE || days == DMS_INSURED_OPEN_END) {
        buf[0] = '\0';
        return buf;
    }
    int y, m, d;
    dms_register_civil(days, &y, &m, &d);
    snprintf(buf, 16, "%02d.%02d.%04d", d % 100, m % 100, ((y % 10000) + 10000) % 10000);
    return buf;
}

static const char *relation_ru(enum dms_relation r)
{
    switch (r) {
    case DMS_RELATION_EMPLOYEE:
        return "сотрудник";
    case DMS_RELATION_SPOUSE:
        return "супруг(а)";
    case DMS_RELATION_CHILD:
        return "ребёнок";
    }
    return "";
}

static void template_header(FILE *out, bool list)
{
    fputs("\xEF\xBB\xBF", out);
    for (int f = 0; f < DMS_INSURED_F_COUNT; f++)
        csv_cell(out, dms_insured_field_name_ru(f), f == 0);
    if (list) {
        csv_cell(out, "Статус", false);
        csv_cell(out, "Дата начала", false);
        csv_cell(out, "Дата окончания", false);
    }
    fputs("\r\n", out);
}

/* The template's nine cells of a change. */
static void csv_change(FILE *out, const dms_insured_change *c)
{
    char d1[16], d2[16];
    csv_cell(out, dms_insured_action_name_ru(c->action), true);
    csv_cell(out, dotted(c->effective_day, d1), false);
    csv_cell(out, c->policy, false);
    csv_cell(out, c->employee_id, false);
    csv_cell(out, c->relation_given ? relation_ru(c->relation) : "", false);
    csv_cell(out, c->full_name, false);
    csv_cell(out, dotted(c->birth_day, d2), false);
    csv_cell(out, c->department, false);
    csv_cell(out, c->programme, false);
}

/* A person as the attach row that would bring them in. */
static dms_insured_change person_row(const dms_insured_person *p)
{
    dms_insured_change c;
    memset(&c, 0, sizeof c);
    c.action = DMS_INSURED_ATTACH;
    c.effective_day = p->date_from;
    c.policy = p->policy;
    c.employee_id = p->employee_id;
    c.relation = p->relation;
    c.relation_given = true;
    c.full_name = p->full_name;
    c.birth_day = p->birth_day;
    c.department = p->department;
    c.programme = p->programme;
    return c;
}

static int finish_csv(FILE *out, dms_error *err)
{
    if (fflush(out) != 0 || ferror(out))
        return dms_error_set(err, DMS_EIO, NULL, "запись не удалась / write failed");
    return DMS_OK;
}

/* Walks the register in list order, page by page, calling fn per person. */
static int each_person(dms_insured_register *reg, const dms_insured_filter *filter,
                       void (*fn)(void *ctx, const dms_insured_person *p), void *ctx,
                       dms_error *err)
{
    const dms_insured_person *page[512];
    size_t offset = 0;
    for (;;) {
        size_t n = 0, total = 0;
        int status = dms_insured_list(reg, filter, offset, 512, page, &n, &total);
        if (status != DMS_OK)
            return dms_error_set(err, status, NULL, "out of memory");
        for (size_t i = 0; i < n; i++)
            fn(ctx, page[i]);
        offset += n;
        if (n == 0 || offset >= total)
            return DMS_OK;
    }
}

static void list_csv_row(void *ctx, const dms_insured_person *p)
{
    FILE *out = ctx;
    char d1[16], d2[16];
    dms_insured_change c = person_row(p);
    csv_change(out, &c);
    csv_cell(out, dms_insured_status_name_ru(p->status), false);
    csv_cell(out, dotted(p->date_from, d1), false);
    csv_cell(out, dotted(p->date_to, d2), false);
    fputs("\r\n", out);
}

int dms_insured_list_csv(dms_insured_register *reg, const dms_insured_filter *filter, FILE *out,
                         dms_error *err)
{
    dms_error_clear(err);
    if (reg == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_list_csv: NULL argument");
    template_header(out, true);
    int status = each_person(reg, filter, list_csv_row, out, err);
    return status != DMS_OK ? status : finish_csv(out, err);
}

static bool in_period(long day, long from, long to)
{
    return (from == DMS_INSURED_NO_DATE || day >= from) &&
           (to == DMS_INSURED_OPEN_END || day <= to);
}

int dms_insured_changes_csv(const dms_insured_change *changes, size_t n, long from, long to,
                            FILE *out, dms_error *err)
{
    dms_error_clear(err);
    if ((changes == NULL && n > 0) || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_changes_csv: NULL argument");
    template_header(out, false);
    for (size_t i = 0; i < n; i++) {
        if (!in_period(changes[i].effective_day, from, to))
            continue;
        csv_change(out, &changes[i]);
        fputs("\r\n", out);
    }
    return finish_csv(out, err);
}

static void report_csv_row(void *ctx, const dms_insured_person *p)
{
    FILE *out = ctx;
    char d1[16];
    csv_cell(out, p->full_name, true);
    csv_cell(out, p->department, false);
    csv_cell(out, dms_insured_status_name_ru(p->status), false);
    csv_cell(out, dotted(p->date_from, d1), false);
    fputs("\r\n", out);
}

int dms_insured_report_csv(dms_insured_register *reg, const dms_insured_filter *filter, FILE *out,
                           dms_error *err)
{
    dms_error_clear(err);
    if (reg == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_report_csv: NULL argument");
    fputs("\xEF\xBB\xBF", out);
    fputs("ФИО;Подразделение;Статус;Дата подключения\r\n", out);
    int status = each_person(reg, filter, report_csv_row, out, err);
    return status != DMS_OK ? status : finish_csv(out, err);
}

/* ---- writing: XLSX ---------------------------------------------------------------- */

static const dms_xlsx_column template_cols[DMS_INSURED_F_COUNT + 3] = {
    {"Действие", DMS_XLSX_TEXT, 20},
    {"Дата действия", DMS_XLSX_DATEFMT, 14},
    {"Номер полиса", DMS_XLSX_TEXT, 18},
    {"Табельный номер", DMS_XLSX_TEXT, 16},
    {"Связь", DMS_XLSX_TEXT, 12},
    {"ФИО", DMS_XLSX_TEXT, 36},
    {"Дата рождения", DMS_XLSX_DATEFMT, 14},
    {"Подразделение", DMS_XLSX_TEXT, 24},
    {"Программа", DMS_XLSX_TEXT, 16},
    {"Статус", DMS_XLSX_TEXT, 14},
    {"Дата начала", DMS_XLSX_DATEFMT, 14},
    {"Дата окончания", DMS_XLSX_DATEFMT, 14},
};

static void x_date(dms_xlsx_writer *w, long days)
{
    if (days == DMS_INSURED_NO_DATE || days == DMS_INSURED_OPEN_END)
        dms_xlsx_writer_blank(w);
    else
        dms_xlsx_writer_date(w, days);
}

static void x_change(dms_xlsx_writer *w, const dms_insured_change *c)
{
    dms_xlsx_writer_text(w, dms_insured_action_name_ru(c->action));
    x_date(w, c->effective_day);
    dms_xlsx_writer_text(w, c->policy);
    dms_xlsx_writer_text(w, c->employee_id);
    dms_xlsx_writer_text(w, c->relation_given ? relation_ru(c->relation) : "");
    dms_xlsx_writer_text(w, c->full_name);
    x_date(w, c->birth_day);
    dms_xlsx_writer_text(w, c->department);
    dms_xlsx_writer_text(w, c->programme);
}

static void list_x_row(void *ctx, const dms_insured_person *p)
{
    dms_xlsx_writer *w = ctx;
    dms_insured_change c = person_row(p);
    x_change(w, &c);
    dms_xlsx_writer_text(w, dms_insured_status_name_ru(p->status));
    x_date(w, p->date_from);
    x_date(w, p->date_to);
    dms_xlsx_writer_row_end(w);
}

int dms_insured_list_xlsx(dms_insured_register *reg, const dms_insured_filter *filter,
                          const char *path, char **data, size_t *len, dms_error *err)
{
    dms_error_clear(err);
    if (reg == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_list_xlsx: NULL argument");
    dms_xlsx_writer *w = NULL;
    int status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        return status;
    dms_xlsx_writer_sheet(w, "Список", template_cols, DMS_INSURED_F_COUNT + 3);
    status = each_person(reg, filter, list_x_row, w, err);
    if (status != DMS_OK) {
        dms_xlsx_writer_free(w);
        return status;
    }
    return dms_xlsx_writer_close(w, data, len, err);
}

int dms_insured_changes_xlsx(const dms_insured_change *changes, size_t n, long from, long to,
                             const char *path, char **data, size_t *len, dms_error *err)
{
    dms_error_clear(err);
    if (changes == NULL && n > 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_changes_xlsx: NULL argument");
    dms_xlsx_writer *w = NULL;
    int status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        return status;
    dms_xlsx_writer_sheet(w, "Изменения", template_cols, DMS_INSURED_F_COUNT);
    for (size_t i = 0; i < n; i++) {
        if (!in_period(changes[i].effective_day, from, to))
            continue;
        x_change(w, &changes[i]);
        dms_xlsx_writer_row_end(w);
    }
    return dms_xlsx_writer_close(w, data, len, err);
}

static void report_x_row(void *ctx, const dms_insured_person *p)
{
    dms_xlsx_writer *w = ctx;
    dms_xlsx_writer_text(w, p->full_name);
    dms_xlsx_writer_text(w, p->department);
    dms_xlsx_writer_text(w, dms_insured_status_name_ru(p->status));
    x_date(w, p->date_from);
    dms_xlsx_writer_row_end(w);
}

int dms_insured_report_xlsx(dms_insured_register *reg, const dms_insured_filter *filter,
                            const char *path, char **data, size_t *len, dms_error *err)
{
    static const dms_xlsx_column cols[4] = {{"ФИО", DMS_XLSX_TEXT, 36},
                                            {"Подразделение", DMS_XLSX_TEXT, 24},
                                            {"Статус", DMS_XLSX_TEXT, 14},
                                            {"Дата подключения", DMS_XLSX_DATEFMT, 16}};
    dms_error_clear(err);
    if (reg == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_report_xlsx: NULL argument");
    dms_xlsx_writer *w = NULL;
    int status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        return status;
    dms_xlsx_writer_sheet(w, "Застрахованные", cols, 4);
    status = each_person(reg, filter, report_x_row, w, err);
    if (status != DMS_OK) {
        dms_xlsx_writer_free(w);
        return status;
    }
    return dms_xlsx_writer_close(w, data, len, err);
}
