/*
 * Tests of the one CSV writer (csvwrite.h) and of the exports that use it:
 * hostile text (formulas, separators, quotes, line breaks) written in both
 * dialects and read back with the project's own CSV reader, which must give
 * the same records and fields with formulas neutralised; numbers written by
 * the writer stay numbers (negative ones too) and read back equal to the
 * value; Accept-Language picks the dialect; the quote and the claims reports
 * in Russian open as columns (BOM, ';', decimal comma, Russian headers and
 * module names) with the very numbers of the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/core/io/csv_internal.h"
#include "dms/census.h"
#include "dms/csvwrite.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/quote.h"
#include "dms/report.h"
#include "dms/reports.h"
#include "dms/tariff.h"

/* ---- reading back -------------------------------------------------------- */

/* A parsed file: rows x fields of NUL-terminated copies (untrimmed text). */
struct parsed {
    size_t nrows;
    size_t nfields[256];
    char *cell[256][24];
    char delim;
    bool bom;
};

static void parse(const char *text, size_t len, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    p->bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0;
    csv_reader r;
    dms_csv_init(&r, text, len, "test", NULL);
    p->delim = r.delim;
    while (dms_csv_record(&r)) {
        assert_false(r.bad);
        assert_true(p->nrows < 256);
        assert_true(r.nfields <= 24);
        for (size_t i = 0; i < r.nfields; i++) {
            const csv_field *f = &r.fields[i];
            const char *s = f->quoted ? r.scratch + f->off : r.s + f->off;
            p->cell[p->nrows][i] = strndup(s, f->len);
        }
        p->nfields[p->nrows++] = r.nfields;
    }
    dms_csv_release(&r);
}

static void parsed_free(struct parsed *p)
{
    for (size_t i = 0; i < p->nrows; i++)
        for (size_t j = 0; j < p->nfields[i]; j++)
            free(p->cell[i][j]);
}

/* A number cell of either dialect as kopecks (decimal comma or point). */
static int64_t kopecks_of(const char *cell)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", cell);
    char *comma = strchr(buf, ',');
    if (comma != NULL)
        *comma = '.';
    char *end;
    double v = strtod(buf, &end);
    assert_true(end != buf && *end == '\0');
    return llround(v * 100.0);
}

struct memfile {
    char *text;
    size_t len;
    FILE *f;
};

static void mem_open(struct memfile *m)
{
    m->text = NULL;
    m->len = 0;
    m->f = open_memstream(&m->text, &m->len);
    assert_non_null(m->f);
}

static void mem_close(struct memfile *m)
{
    assert_int_equal(fclose(m->f), 0);
}

/* ---- the writer ---------------------------------------------------------- */

static const char *const hostile[] = {
    "=1+2",
    "+79001234567",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTAB",
    "\r=CR",
    "=HYPERLINK(\"http://x\",\"y\")",
    "100014,\n999,2025-01,0.01", /* a forged payroll row */
    "a;b",
    "say \"hi\"",
    "line\nbreak",
    "Иванов; Пётр",
    "plain",
    "",
};
#define NHOSTILE (sizeof hostile / sizeof *hostile)

static void hostile_round_trip(dms_csv_lang lang)
{
    struct memfile m;
    mem_open(&m);
    dms_csvwrite w;
    dms_csvwrite_begin(&w, m.f, lang);
    for (size_t i = 0; i < NHOSTILE; i++) {
        dms_csvwrite_text(&w, hostile[i]);
        dms_csvwrite_kopecks(&w, -12345);
        dms_csvwrite_number(&w, -0.5, 2);
        dms_csvwrite_integer(&w, -7);
        dms_csvwrite_row_end(&w);
    }
    assert_int_equal(dms_csvwrite_end(&w), DMS_OK);
    mem_close(&m);
    struct parsed p;
    parse(m.text, m.len, &p);
    assert_int_equal(p.bom, lang == DMS_CSV_RU);
    assert_int_equal(p.delim, lang == DMS_CSV_RU ? ';' : ',');
    /* no value forged a row or a cell */
    assert_int_equal(p.nrows, NHOSTILE);
    for (size_t i = 0; i < NHOSTILE; i++) {
        assert_int_equal(p.nfields[i], 4);
        char expect[128];
        /* the reader keeps quoted line breaks as \n */
        const char *orig = hostile[i];
        snprintf(expect, sizeof expect, "%s%s", dms_csvwrite_is_formula(orig) ? "'" : "",
                 orig[0] == '\r' ? "\n=CR" : orig);
        assert_string_equal(p.cell[i][0], expect);
        /* nothing a spreadsheet would run */
        assert_null(strchr("=+-@\t\r", p.cell[i][0][0] != '\0' ? p.cell[i][0][0] : 'x'));
        /* numbers the writer formats stay numbers, negative ones included */
        assert_string_equal(p.cell[i][1], lang == DMS_CSV_RU ? "-123,45" : "-123.45");
        assert_int_equal(kopecks_of(p.cell[i][1]), -12345);
        assert_string_equal(p.cell[i][2], lang == DMS_CSV_RU ? "-0,50" : "-0.50");
        assert_string_equal(p.cell[i][3], "-7");
    }
    parsed_free(&p);
    free(m.text);
}

static void test_hostile_text_english(void **state)
{
    (void)state;
    hostile_round_trip(DMS_CSV_EN);
}

static void test_hostile_text_russian(void **state)
{
    (void)state;
    hostile_round_trip(DMS_CSV_RU);
}

static void test_numbers(void **state)
{
    (void)state;
    struct memfile m;
    mem_open(&m);
    dms_csvwrite w;
    dms_csvwrite_begin(&w, m.f, DMS_CSV_RU);
    dms_csvwrite_kopecks(&w, INT64_MIN);
    dms_csvwrite_kopecks(&w, 5);
    dms_csvwrite_kopecks(&w, -5);
    dms_csvwrite_number(&w, -0.0001, 2); /* rounds to zero: no minus */
    dms_csvwrite_number(&w, 1234567.891, 2);
    dms_csvwrite_number(&w, NAN, 2);
    dms_csvwrite_text(&w, NULL);
    dms_csvwrite_row_end(&w);
    assert_int_equal(dms_csvwrite_end(&w), DMS_OK);
    mem_close(&m);
    assert_string_equal(m.text, "\xEF\xBB\xBF-92233720368547758,08;0,05;-0,05;0,00;1234567,89;;\n");
    free(m.text);
    /* a failed stream is reported, not ignored */
    dms_csvwrite_begin(&w, NULL, DMS_CSV_EN);
    dms_csvwrite_text(&w, "x");
    assert_int_equal(dms_csvwrite_end(&w), DMS_EIO);
}

static void test_accept_language(void **state)
{
    (void)state;
    assert_int_equal(dms_csvwrite_lang_from_accept(NULL, DMS_CSV_RU), DMS_CSV_RU);
    assert_int_equal(dms_csvwrite_lang_from_accept("", DMS_CSV_EN), DMS_CSV_EN);
    assert_int_equal(dms_csvwrite_lang_from_accept("en", DMS_CSV_RU), DMS_CSV_EN);
    assert_int_equal(dms_csvwrite_lang_from_accept("en-GB,en;q=0.9", DMS_CSV_RU), DMS_CSV_EN);
    assert_int_equal(dms_csvwrite_lang_from_accept("ru-RU,ru;q=0.9,en;q=0.8", DMS_CSV_EN),
                     DMS_CSV_RU);
    assert_int_equal(dms_csvwrite_lang_from_accept("en;q=0.5, ru;q=0.7", DMS_CSV_EN), DMS_CSV_RU);
    assert_int_equal(dms_csvwrite_lang_from_accept("de-DE, fr", DMS_CSV_RU), DMS_CSV_RU);
    assert_int_equal(dms_csvwrite_lang_from_accept("rue, enx", DMS_CSV_RU), DMS_CSV_RU);
    assert_int_equal(dms_csvwrite_lang_from_accept("ru;q=0, en;q=0.1", DMS_CSV_RU), DMS_CSV_EN);
    assert_int_equal(dms_csvwrite_lang_from_accept("*", DMS_CSV_EN), DMS_CSV_EN);
}

/* ---- the quote ----------------------------------------------------------- */

struct quote_fixture {
    dms_tariff *tariff;
    dms_model *model;
    dms_plan *plan;
    dms_census *census;
    dms_quote *quote;
};

static int quote_setup(void **state)
{
    struct quote_fixture *f = calloc(1, sizeof *f);
    dms_error err;
    dms_error_clear(&err);
    dms_diag *diag = NULL;
    if (f == NULL || dms_diag_alloc(0, &diag) != DMS_OK ||
        dms_tariff_load_file("tariffs/corporate-2026.json", &f->tariff, &err) != DMS_OK ||
        dms_model_load_file("models/ru-2026.json", &f->model, &err) != DMS_OK ||
        dms_plan_load_file("examples/plans/base-2026.json", &f->plan, &err) != DMS_OK ||
        dms_census_load_file("examples/census/startup-60.csv", &f->census, diag) != DMS_OK)
        return -1;
    dms_quote_options o = dms_quote_options_default();
    o.percentiles = false;
    int status =
        dms_quote_compute(f->tariff, f->model, f->plan, f->census, &o, &f->quote, diag, NULL);
    dms_diag_free(diag);
    *state = f;
    return status == DMS_OK ? 0 : -1;
}

static int quote_teardown(void **state)
{
    struct quote_fixture *f = *state;
    dms_quote_free(f->quote);
    dms_census_free(f->census);
    dms_plan_free(f->plan);
    dms_model_free(f->model);
    dms_tariff_free(f->tariff);
    free(f);
    return 0;
}

static void quote_csv(const dms_quote *q, dms_csv_lang lang, struct parsed *p)
{
    struct memfile m;
    mem_open(&m);
    assert_int_equal(dms_report_quote_csv(q, lang, m.f), DMS_OK);
    mem_close(&m);
    parse(m.text, m.len, p);
    free(m.text);
}

static void test_quote_russian(void **state)
{
    struct quote_fixture *f = *state;
    const dms_quote *q = f->quote;
    struct parsed ru, en;
    quote_csv(q, DMS_CSV_RU, &ru);
    quote_csv(q, DMS_CSV_EN, &en);
    assert_true(ru.bom);
    assert_false(en.bom);
    assert_int_equal(ru.delim, ';');
    assert_int_equal(en.delim, ',');
    assert_int_equal(ru.nrows, en.nrows);
    /* columns, not one column of text */
    assert_int_equal(ru.nfields[0], 15);
    assert_string_equal(ru.cell[0][0], "Сегмент");
    assert_string_equal(ru.cell[0][1], "Модуль");
    assert_string_equal(ru.cell[0][14], "Брутто-премия");
    assert_string_equal(en.cell[0][14], "gross_premium");
    /* module lines: Russian names from the tariff, numbers with a decimal comma */
    const dms_quote_segment *qs = &q->segments[0];
    assert_true(qs->nlines >= 1);
    for (size_t k = 0; k < qs->nlines; k++) {
        size_t row = 1 + k; /* segment 0, scenario 0 */
        assert_int_equal(ru.nfields[row], 15);
        assert_string_equal(ru.cell[row][1], qs->lines[k].module->name_ru);
        assert_string_equal(en.cell[row][1], qs->lines[k].module->code);
        assert_string_equal(ru.cell[row][2], "оптимистичный");
        assert_int_equal(kopecks_of(ru.cell[row][14]), qs->lines[k].money[0].gross_kopecks);
        assert_int_equal(kopecks_of(en.cell[row][14]), qs->lines[k].money[0].gross_kopecks);
        assert_int_equal(kopecks_of(ru.cell[row][4]),
                         llround(qs->lines[k].money[0].expected_claims * 100.0));
        if (qs->lines[k].money[0].gross_kopecks % 100 != 0)
            assert_non_null(strchr(ru.cell[row][14], ','));
        assert_null(strchr(ru.cell[row][14], '.'));
    }
    /* the three TOTAL rows close the file, exact to the kopeck */
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        size_t row = ru.nrows - 3 + (size_t)k;
        assert_string_equal(ru.cell[row][0], "ИТОГО");
        assert_string_equal(en.cell[row][0], "TOTAL");
        assert_int_equal(strtol(ru.cell[row][3], NULL, 10), (long)q->total.people);
        assert_int_equal(kopecks_of(ru.cell[row][14]), q->total.money[k].gross_kopecks);
    }
    parsed_free(&ru);
    parsed_free(&en);
}

/* ---- the claims reports -------------------------------------------------- */

static void test_reports_table(void **state)
{
    struct quote_fixture *f = *state;
    const char *module = f->tariff->modules[0].code;
    dms_table t = {.name = "expense", .ncols = 4, .nrows = 3, .min_cell = 5};
    static const char *cols[] = {"month", "module", "people", "paid"};
    static const char *ru[] = {"Месяц", "Модуль", "Человек", "Оплачено"};
    memcpy(t.columns, cols, sizeof cols);
    memcpy(t.columns_ru, ru, sizeof ru);
    dms_cell cells[12] = {0};
    t.cells = cells;
    const char *texts[3][2] = {
        {"2025-01", module}, {"=cmd|' /C calc'!A0", "-1;2"}, {"@x", "dental\n,;"}};
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 2; c++) {
            cells[r * 4 + c].kind = DMS_CELL_TEXT;
            snprintf(cells[r * 4 + c].text, sizeof cells[0].text, "%s", texts[r][c]);
        }
        cells[r * 4 + 2] = (dms_cell){.kind = DMS_CELL_COUNT, .value = 12};
        cells[r * 4 + 3] = (dms_cell){.kind = DMS_CELL_MONEY, .value = -1234.5 * (r + 1)};
    }
    cells[1 * 4 + 2].kind = DMS_CELL_SUPPRESSED;
    for (int lang = 0; lang < 2; lang++) {
        struct memfile m;
        mem_open(&m);
        assert_int_equal(dms_reports_csv(&t, (dms_csv_lang)lang, f->tariff, m.f), DMS_OK);
        mem_close(&m);
        struct parsed p;
        parse(m.text, m.len, &p);
        free(m.text);
        assert_int_equal(p.nrows, 4);
        assert_string_equal(p.cell[0][3], lang ? "Оплачено" : "paid");
        assert_string_equal(p.cell[1][1], lang ? f->tariff->modules[0].name_ru : module);
        assert_string_equal(p.cell[2][0], "'=cmd|' /C calc'!A0");
        assert_string_equal(p.cell[2][1], "'-1;2");
        assert_string_equal(p.cell[2][2], "<5");
        assert_string_equal(p.cell[3][0], "'@x");
        assert_string_equal(p.cell[3][1], "dental\n,;");
        for (int r = 1; r <= 3; r++) {
            assert_int_equal(p.nfields[r], 4);
            assert_int_equal(kopecks_of(p.cell[r][3]), -123450 * r);
        }
        parsed_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_text_english),
        cmocka_unit_test(test_hostile_text_russian),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_accept_language),
        cmocka_unit_test_setup_teardown(test_quote_russian, quote_setup, quote_teardown),
        cmocka_unit_test_setup_teardown(test_reports_table, quote_setup, quote_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
