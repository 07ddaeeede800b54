/*
 * XLSX reading and writing: a workbook written by dms_xlsx (text with XML
 * specials and Cyrillic, numbers, money, dates) reads back to the same typed
 * cells; the header row is frozen and bold in the sheet's XML; 1900-system
 * serials against Excel's own values (including the phantom 1900-02-29);
 * cell references both ways and at Excel's limits; hand-made workbooks with
 * shared strings (rich runs, phonetic hints), inline strings, a custom date
 * format, sparse rows and namespace prefixes; and refusals: not a zip, a
 * truncated zip, a part that inflates past the limit (zip bomb), too many
 * cells, a DOCTYPE (entity expansion), a bad shared-string index reported at
 * Sheet1!C5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <unzip.h>
#include <zip.h>

#include "dms/xlsx.h"

/* ---- helpers ----------------------------------------------------------------- */

typedef struct part {
    const char *name;
    const char *text; /* NULL: `size` bytes of spaces */
    size_t size;
} part;

/* A zip of the given parts, in memory (malloc'd). */
static char *make_zip(const part *parts, size_t n, size_t *len)
{
    char path[] = "/tmp/test_xlsx_zipXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    zipFile z = zipOpen64(path, APPEND_STATUS_CREATE);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(zipOpenNewFileInZip(z, parts[i].name, NULL, NULL, 0, NULL, 0, NULL,
                                             Z_DEFLATED, Z_DEFAULT_COMPRESSION),
                         ZIP_OK);
        if (parts[i].text != NULL) {
            assert_int_equal(zipWriteInFileInZip(z, parts[i].text, (unsigned)strlen(parts[i].text)),
                             ZIP_OK);
        } else {
            static char spaces[65536];
            memset(spaces, ' ', sizeof spaces);
            for (size_t left = parts[i].size; left > 0;) {
                unsigned k = left < sizeof spaces ? (unsigned)left : (unsigned)sizeof spaces;
                assert_int_equal(zipWriteInFileInZip(z, spaces, k), ZIP_OK);
                left -= k;
            }
        }
        assert_int_equal(zipCloseFileInZip(z), ZIP_OK);
    }
    assert_int_equal(zipClose(z, NULL), ZIP_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    unlink(path);
    *len = (size_t)sz;
    return buf;
}

static const char *WB =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"Лист1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char *RELS =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "</Relationships>";

/* A workbook of one sheet with the given sheet XML and optional parts. */
static char *make_book(const char *sheet, const char *sst, const char *styles, size_t *len)
{
    part parts[5];
    size_t n = 0;
    parts[n++] = (part){"xl/workbook.xml", WB, 0};
    parts[n++] = (part){"xl/_rels/workbook.xml.rels", RELS, 0};
    parts[n++] = (part){"xl/worksheets/sheet1.xml", sheet, 0};
    if (sst != NULL)
        parts[n++] = (part){"xl/sharedStrings.xml", sst, 0};
    if (styles != NULL)
        parts[n++] = (part){"xl/styles.xml", styles, 0};
    return make_zip(parts, n, len);
}

/* The text of one part of an XLSX in memory (malloc'd). */
static char *zip_part(const char *data, size_t len, const char *name)
{
    char path[] = "/tmp/test_xlsx_partXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    unzFile z = unzOpen64(path);
    assert_non_null(z);
    assert_int_equal(unzLocateFile(z, name, 1), UNZ_OK);
    assert_int_equal(unzOpenCurrentFile(z), UNZ_OK);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    int k;
    while ((k = unzReadCurrentFile(z, buf + n, (unsigned)(cap - n - 1))) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    unzCloseCurrentFile(z);
    unzClose(z);
    unlink(path);
    return buf;
}

/* ---- tests --------------------------------------------------------------------- */

static void serial_dates(void **state)
{
    (void)state;
    long d = 0;
    /* Excel: 1 = 1900-01-01, 59 = 1900-02-28, 60 = the phantom 1900-02-29,
       61 = 1900-03-01, 45292 = 2024-01-01, 2958465 = 9999-12-31. */
    assert_true(dms_xlsx_serial_days(1, &d));
    assert_int_equal(d, -25567); /* 1900-01-01 is 25,567 days before 1970 */
    assert_true(dms_xlsx_serial_days(59, &d));
    assert_int_equal(d, -25567 + 58);
    assert_false(dms_xlsx_serial_days(60, &d));
    assert_true(dms_xlsx_serial_days(61, &d));
    assert_int_equal(d, -25567 + 59); /* the day after 1900-02-28 */
    assert_true(dms_xlsx_serial_days(45292.75, &d));
    assert_int_equal(d, 19723); /* 2024-01-01: time of day dropped */
    assert_true(dms_xlsx_serial_days(25569, &d));
    assert_int_equal(d, 0); /* 1970-01-01 */
    assert_true(dms_xlsx_serial_days(2958465, &d));
    assert_false(dms_xlsx_serial_days(2958466, &d));
    assert_false(dms_xlsx_serial_days(0.5, &d));
    assert_false(dms_xlsx_serial_days(-3, &d));
    /* and back, both sides of the phantom day */
    assert_true(dms_xlsx_days_serial(19723) == 45292.0);
    assert_true(dms_xlsx_days_serial(-25567 + 59) == 61.0);
    assert_true(dms_xlsx_days_serial(-25567 + 58) == 59.0);
}

static void cell_refs(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(dms_xlsx_cell_ref(12, 28, buf, sizeof buf), "AB12");
    assert_string_equal(dms_xlsx_cell_ref(1, 1, buf, sizeof buf), "A1");
    assert_string_equal(dms_xlsx_cell_ref(1, 26, buf, sizeof buf), "Z1");
    assert_string_equal(dms_xlsx_cell_ref(1, 27, buf, sizeof buf), "AA1");
    assert_string_equal(dms_xlsx_cell_ref(1048576, 16384, buf, sizeof buf), "XFD1048576");
    assert_string_equal(dms_xlsx_cell_ref(1, 16385, buf, sizeof buf), "");
    assert_string_equal(dms_xlsx_cell_ref(1, 1, buf, 2), "");
    int r = 0, c = 0;
    assert_true(dms_xlsx_parse_ref("AB12", 4, &r, &c));
    assert_int_equal(r, 12);
    assert_int_equal(c, 28);
    assert_true(dms_xlsx_parse_ref("$XFD$1048576", 12, &r, &c));
    assert_int_equal(c, 16384);
    assert_int_equal(r, 1048576);
    assert_false(dms_xlsx_parse_ref("XFE1", 4, &r, &c));
    assert_false(dms_xlsx_parse_ref("A1048577", 8, &r, &c));
    assert_false(dms_xlsx_parse_ref("A0", 2, &r, &c));
    assert_false(dms_xlsx_parse_ref("12", 2, &r, &c));
    assert_false(dms_xlsx_parse_ref("A1B", 3, &r, &c));
    for (int col = 1; col <= 16384; col += 37) {
        dms_xlsx_cell_ref(7, col, buf, sizeof buf);
        assert_true(dms_xlsx_parse_ref(buf, strlen(buf), &r, &c));
        assert_int_equal(c, col);
        assert_int_equal(r, 7);
    }
}

static const dms_xlsx_column COLS[5] = {{"ФИО", DMS_XLSX_TEXT, 0},
                                        {"Сумма, ₽", DMS_XLSX_MONEY, 0},
                                        {"Человек", DMS_XLSX_INTEGER, 0},
                                        {"Дата подключения", DMS_XLSX_DATEFMT, 0},
                                        {"Доля", DMS_XLSX_PERCENT, 0}};

static void round_trip(void **state)
{
    (void)state;
    const char *names[3] = {"Иванов Иван Иванович", "O'Brien & <Sons> \"Ltd\"",
                            "=HYPERLINK(\"x\")"};
    const double sums[3] = {1234567.89, 0.01, -5};
    const long days[3] = {19723, 20454, -25567 + 59}; /* 2024-01-01, 2026-01-01, 1900-03-01 */
    dms_xlsx_value v[3 * 5];
    for (int r = 0; r < 3; r++) {
        v[r * 5 + 0] = (dms_xlsx_value){.type = DMS_XLSX_STRING, .text = names[r]};
        v[r * 5 + 1] = (dms_xlsx_value){.type = DMS_XLSX_NUMBER, .number = sums[r]};
        v[r * 5 + 2] = (dms_xlsx_value){.type = DMS_XLSX_NUMBER, .number = r + 1};
        v[r * 5 + 3] = (dms_xlsx_value){.type = DMS_XLSX_DATE, .days = days[r]};
        v[r * 5 + 4] = r == 1 ? (dms_xlsx_value){.type = DMS_XLSX_EMPTY}
                              : (dms_xlsx_value){.type = DMS_XLSX_NUMBER, .number = 0.125};
    }
    char *data = NULL;
    size_t len = 0;
    dms_error err;
    assert_int_equal(dms_xlsx_write_table(NULL, "Отчёт", COLS, 5, v, 3, &data, &len, &err), DMS_OK);
    assert_true(len > 100);
    assert_memory_equal(data, "PK\x03\x04", 4);

    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_OK);
    assert_string_equal(sh->name, "Отчёт");
    assert_int_equal(sh->nrows, 4);
    for (int c = 0; c < 5; c++) {
        const dms_xlsx_cell *h = dms_xlsx_row_cell(&sh->rows[0], c + 1);
        assert_non_null(h);
        assert_int_equal(h->type, DMS_XLSX_STRING);
        assert_string_equal(h->text, COLS[c].header);
    }
    for (int r = 0; r < 3; r++) {
        const dms_xlsx_row *row = &sh->rows[r + 1];
        assert_int_equal(row->row, r + 2);
        const dms_xlsx_cell *c = dms_xlsx_row_cell(row, 1);
        assert_int_equal(c->type, DMS_XLSX_STRING);
        assert_string_equal(c->text, names[r]); /* a string cell is never a formula */
        c = dms_xlsx_row_cell(row, 2);
        assert_int_equal(c->type, DMS_XLSX_NUMBER);
        assert_true(c->number == sums[r]);
        c = dms_xlsx_row_cell(row, 3);
        assert_int_equal(c->type, DMS_XLSX_NUMBER);
        assert_true(c->number == r + 1);
        c = dms_xlsx_row_cell(row, 4);
        assert_int_equal(c->type, DMS_XLSX_DATE);
        assert_int_equal(c->days, days[r]);
        c = dms_xlsx_row_cell(row, 5);
        if (r == 1) {
            assert_null(c);
        } else {
            assert_int_equal(c->type, DMS_XLSX_NUMBER);
            assert_true(c->number == 0.125);
        }
    }
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[1], 4)->text, "2024-01-01");
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[3], 4)->text, "1900-03-01");
    dms_xlsx_sheet_free(sh);

    /* the header row is frozen and bold; number formats are in the styles */
    char *xml = zip_part(data, len, "xl/worksheets/sheet1.xml");
    assert_non_null(strstr(xml, "state=\"frozen\""));
    assert_non_null(strstr(xml, "ySplit=\"1\""));
    assert_non_null(strstr(xml, "<col "));
    free(xml);
    xml = zip_part(data, len, "xl/styles.xml");
    assert_non_null(strstr(xml, "<b/>"));
    assert_non_null(strstr(xml, "dd.mm.yyyy"));
    assert_non_null(strstr(xml, "# ##0.00"));
    free(xml);
    free(data);
}

static void writer_to_file_and_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/test_xlsx_outXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    dms_xlsx_writer *w = NULL;
    dms_error err;
    assert_int_equal(dms_xlsx_writer_alloc(path, &w, &err), DMS_OK);
    assert_int_equal(dms_xlsx_writer_sheet(w, "S", COLS, 2), DMS_OK);
    dms_xlsx_writer_text(w, "a\x01\xff"); /* control and invalid bytes become U+FFFD */
    dms_xlsx_writer_number(w, 1.5);
    dms_xlsx_writer_row_end(w);
    assert_int_equal(dms_xlsx_writer_close(w, NULL, NULL, &err), DMS_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_read_first(buf, n, NULL, "S", &sh, &err), DMS_OK);
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[1], 1)->text, "a\xEF\xBF\xBD\xEF\xBF\xBD");
    dms_xlsx_sheet_free(sh);
    assert_int_equal(dms_xlsx_read_first(buf, n, NULL, "nope", &sh, &err), DMS_ENOTFOUND);
    assert_null(sh);

    /* an abandoned workbook leaves an existing file as it was; a finished
       one replaces it whole */
    f = fopen(path, "wb");
    fputs("old", f);
    fclose(f);
    assert_int_equal(dms_xlsx_writer_alloc(path, &w, &err), DMS_OK);
    dms_xlsx_writer_sheet(w, "S", COLS, 1);
    dms_xlsx_writer_text(w, "new");
    dms_xlsx_writer_free(w);
    f = fopen(path, "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "old", 3);
    assert_int_equal(dms_xlsx_writer_alloc(path, &w, &err), DMS_OK);
    dms_xlsx_writer_sheet(w, "S", COLS, 1);
    assert_int_equal(dms_xlsx_writer_close(w, NULL, NULL, &err), DMS_OK);
    f = fopen(path, "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    assert_memory_equal(buf, "PK\x03\x04", 4);
    assert_int_equal(dms_xlsx_writer_alloc("/nonexistent-dir/x.xlsx", &w, &err), DMS_EIO);
    assert_null(w);

    /* a bad sheet name is the writer's first error, reported at close */
    assert_int_equal(dms_xlsx_writer_alloc(NULL, &w, &err), DMS_OK);
    assert_int_equal(dms_xlsx_writer_sheet(w, "bad[name]", COLS, 1), DMS_EINVAL);
    assert_int_equal(dms_xlsx_writer_text(w, "x"), DMS_EINVAL);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(dms_xlsx_writer_close(w, &data, &len, &err), DMS_EINVAL);
    assert_null(data);
    assert_non_null(strstr(err.message, "sheet name"));
    /* a cell before any sheet */
    assert_int_equal(dms_xlsx_writer_alloc(NULL, &w, &err), DMS_OK);
    assert_int_equal(dms_xlsx_writer_number(w, 1), DMS_EINVAL);
    dms_xlsx_writer_free(w);
    dms_xlsx_writer_free(NULL);
}

static void hand_made(void **state)
{
    (void)state;
    const char *sst =
        "<sst xmlns=\"x\" count=\"3\"><si><t>Табельный номер</t></si>"
        "<si><r><t>Ива</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\">нов И.</t></r>"
        "<rPh><t>IGNORED</t></rPh></si><si><t/></si></sst>";
    const char *styles = "<styleSheet><numFmts count=\"1\"><numFmt numFmtId=\"164\" "
                         "formatCode=\"[$-419]dd/mm/yyyy;@\"/>"
                         "<numFmt numFmtId=\"165\" formatCode=\"&quot;d&quot;0.00\"/></numFmts>"
                         "<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/>"
                         "<xf numFmtId=\"14\"/><xf numFmtId=\"165\"/></cellXfs></styleSheet>";
    const char *sheet =
        "<x:worksheet xmlns:x=\"main\"><x:sheetData>"
        "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c>"
        "<x:c r=\"AB1\" t=\"inlineStr\"><x:is><x:t>inline</x:t></x:is></x:c></x:row>"
        "<x:row r=\"3\"><x:c r=\"B3\" t=\"s\"><x:v>1</x:v></x:c>"
        "<x:c r=\"C3\" s=\"1\"><x:v>46022</x:v></x:c>"   /* 2025-12-31 custom date fmt */
        "<x:c r=\"D3\" s=\"2\"><x:v>45292.5</x:v></x:c>" /* built-in 14 */
        "<x:c r=\"E3\" s=\"3\"><x:v>12.5</x:v></x:c>"    /* quoted d: not a date */
        "<x:c r=\"F3\" t=\"b\"><x:v>1</x:v></x:c>"
        "<x:c r=\"G3\" t=\"e\"><x:v>#N/A</x:v></x:c>"
        "<x:c r=\"H3\" t=\"str\"><x:f>A1</x:f><x:v>calc</x:v></x:c>"
        "<x:c r=\"I3\" s=\"1\"/></x:row>"
        "<x:row><x:c><x:v>7</x:v></x:c><x:c><x:v>8</x:v></x:c></x:row>" /* no r: row 4, A, B */
        "</x:sheetData></x:worksheet>";
    size_t len = 0;
    char *data = make_book(sheet, sst, styles, &len);
    dms_xlsx_book *book = NULL;
    dms_error err;
    assert_int_equal(dms_xlsx_open(data, len, NULL, &book, &err), DMS_OK);
    assert_int_equal(dms_xlsx_sheet_count(book), 1);
    assert_string_equal(dms_xlsx_sheet_name(book, 0), "Лист1");
    assert_null(dms_xlsx_sheet_name(book, 1));
    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_sheet_read(book, 1, &sh, &err), DMS_ENOTFOUND);
    assert_int_equal(dms_xlsx_sheet_read(book, 0, &sh, &err), DMS_OK);
    dms_xlsx_free(book);
    assert_int_equal(sh->nrows, 3);
    assert_int_equal(sh->rows[0].ncells, 2);
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[0], 1)->text, "Табельный номер");
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[0], 28)->text, "inline");
    assert_null(dms_xlsx_row_cell(&sh->rows[0], 2));
    const dms_xlsx_row *r3 = &sh->rows[1];
    assert_int_equal(r3->row, 3);
    assert_string_equal(dms_xlsx_row_cell(r3, 2)->text, "Иванов И.");
    assert_int_equal(dms_xlsx_row_cell(r3, 3)->type, DMS_XLSX_DATE);
    assert_string_equal(dms_xlsx_row_cell(r3, 3)->text, "2025-12-31");
    assert_int_equal(dms_xlsx_row_cell(r3, 4)->type, DMS_XLSX_DATE);
    assert_string_equal(dms_xlsx_row_cell(r3, 4)->text, "2024-01-01");
    assert_int_equal(dms_xlsx_row_cell(r3, 5)->type, DMS_XLSX_NUMBER);
    assert_string_equal(dms_xlsx_row_cell(r3, 5)->text, "12.5");
    assert_int_equal(dms_xlsx_row_cell(r3, 6)->type, DMS_XLSX_BOOL);
    assert_string_equal(dms_xlsx_row_cell(r3, 6)->text, "TRUE");
    assert_int_equal(dms_xlsx_row_cell(r3, 7)->type, DMS_XLSX_ERROR);
    assert_string_equal(dms_xlsx_row_cell(r3, 7)->text, "#N/A");
    assert_int_equal(dms_xlsx_row_cell(r3, 8)->type, DMS_XLSX_STRING);
    assert_string_equal(dms_xlsx_row_cell(r3, 8)->text, "calc");
    assert_int_equal(dms_xlsx_row_cell(r3, 9)->type, DMS_XLSX_EMPTY);
    assert_int_equal(sh->rows[2].row, 4);
    assert_int_equal(sh->rows[2].cells[1].column, 2);
    assert_true(sh->rows[2].cells[1].number == 8);
    dms_xlsx_sheet_free(sh);
    free(data);
}

static void refusals(void **state)
{
    (void)state;
    dms_xlsx_book *book = NULL;
    dms_error err;
    assert_int_equal(dms_xlsx_open("hello", 5, NULL, &book, &err), DMS_EPARSE);
    assert_null(book);
    assert_int_equal(dms_xlsx_open("PK\x03\x04garbage", 11, NULL, &book, &err), DMS_EPARSE);

    size_t len = 0;
    char *data = make_book("<worksheet><sheetData/></worksheet>", NULL, NULL, &len);
    /* truncated in the middle: the central directory is gone */
    assert_int_equal(dms_xlsx_open(data, len / 2, NULL, &book, &err), DMS_EPARSE);
    assert_null(book);
    free(data);

    /* zip bomb: 16 MiB of blanks compress to a few KiB; the limit stops it */
    part bomb[3] = {{"xl/workbook.xml", WB, 0},
                    {"xl/_rels/workbook.xml.rels", RELS, 0},
                    {"xl/worksheets/sheet1.xml", NULL, 16u << 20}};
    data = make_zip(bomb, 3, &len);
    assert_true(len < 200000);
    dms_xlsx_limits lim = {.max_part_bytes = 1 << 20};
    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_read_first(data, len, &lim, NULL, &sh, &err), DMS_ETOOBIG);
    assert_null(sh);
    assert_non_null(strstr(err.message, "inflates beyond"));
    lim = (dms_xlsx_limits){.max_total_bytes = 2 << 20};
    assert_int_equal(dms_xlsx_read_first(data, len, &lim, NULL, &sh, &err), DMS_ETOOBIG);
    free(data);

    /* too many cells */
    char sheet[4096] = "<worksheet><sheetData><row r=\"1\">";
    for (int i = 0; i < 20; i++)
        snprintf(sheet + strlen(sheet), sizeof sheet - strlen(sheet), "<c><v>%d</v></c>", i);
    strcat(sheet, "</row></sheetData></worksheet>");
    data = make_book(sheet, NULL, NULL, &len);
    lim = (dms_xlsx_limits){.max_cells = 10};
    assert_int_equal(dms_xlsx_read_first(data, len, &lim, NULL, &sh, &err), DMS_ETOOBIG);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 11);
    lim.max_cells = 20;
    assert_int_equal(dms_xlsx_read_first(data, len, &lim, NULL, &sh, &err), DMS_OK);
    dms_xlsx_sheet_free(sh);
    free(data);

    /* a DOCTYPE (billion laughs and friends) is refused before any entity */
    data = make_book("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\">"
                     "<!ENTITY b \"&a;&a;&a;&a;\">]><worksheet><sheetData><row><c t=\"str\">"
                     "<v>&b;</v></c></row></sheetData></worksheet>",
                     NULL, NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    assert_non_null(strstr(err.message, "DOCTYPE"));
    free(data);

    /* a bad shared string index, reported at its cell */
    data = make_book("<worksheet><sheetData><row r=\"5\"><c r=\"C5\" t=\"s\"><v>9</v></c></row>"
                     "</sheetData></worksheet>",
                     "<sst><si><t>a</t></si></sst>", NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    assert_int_equal(err.line, 5);
    assert_int_equal(err.column, 3);
    assert_non_null(strstr(err.message, "Лист1!C5"));
    free(data);

    /* rows out of order; cells repeated; malformed XML */
    data = make_book("<worksheet><sheetData><row r=\"5\"/><row r=\"3\"/></sheetData></worksheet>",
                     NULL, NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    free(data);
    data = make_book("<worksheet><sheetData><row r=\"1\"><c r=\"B1\"><v>1</v></c><c r=\"A1\">"
                     "<v>1</v></c></row></sheetData></worksheet>",
                     NULL, NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    assert_non_null(strstr(err.message, "Лист1!A1"));
    free(data);
    data = make_book("<worksheet><sheetData><row>", NULL, NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    free(data);
    data = make_book("<worksheet><sheetData><row><c><v>12abc</v></c></row></sheetData>"
                     "</worksheet>",
                     NULL, NULL, &len);
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_EPARSE);
    assert_non_null(strstr(err.message, "not a number"));
    free(data);
    /* a workbook without its workbook part */
    part lone[1] = {{"xl/worksheets/sheet1.xml", "<worksheet/>", 0}};
    data = make_zip(lone, 1, &len);
    assert_int_equal(dms_xlsx_open(data, len, NULL, &book, &err), DMS_EPARSE);
    assert_non_null(strstr(err.message, "workbook.xml"));
    free(data);
}

static void from_csv_typed(void **state)
{
    (void)state;
    const char *csv = "\xEF\xBB\xBFsegment;employees;premium;start;id\r\n"
                      "Москва;12;1 234,50;2026-01-15;00123\r\n"
                      "\"a;b\";-3;0.5;15.01.2026;12345678901234567\r\n";
    const char *headers[2] = {"Сегмент", NULL};
    char *data = NULL;
    size_t len = 0;
    dms_error err;
    assert_int_equal(
        dms_xlsx_from_csv(csv, strlen(csv), "Квота", headers, 2, NULL, &data, &len, &err), DMS_OK);
    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_read_first(data, len, NULL, NULL, &sh, &err), DMS_OK);
    assert_int_equal(sh->nrows, 3);
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[0], 1)->text, "Сегмент");
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[0], 2)->text, "employees");
    const dms_xlsx_row *r = &sh->rows[1];
    assert_int_equal(dms_xlsx_row_cell(r, 1)->type, DMS_XLSX_STRING);
    assert_int_equal(dms_xlsx_row_cell(r, 2)->type, DMS_XLSX_NUMBER);
    assert_true(dms_xlsx_row_cell(r, 3)->number == 1234.5);
    assert_int_equal(dms_xlsx_row_cell(r, 4)->type, DMS_XLSX_DATE);
    assert_string_equal(dms_xlsx_row_cell(r, 4)->text, "2026-01-15");
    assert_int_equal(dms_xlsx_row_cell(r, 5)->type, DMS_XLSX_STRING); /* leading zero */
    assert_string_equal(dms_xlsx_row_cell(r, 5)->text, "00123");
    r = &sh->rows[2];
    assert_string_equal(dms_xlsx_row_cell(r, 1)->text, "a;b");
    assert_true(dms_xlsx_row_cell(r, 2)->number == -3);
    assert_string_equal(dms_xlsx_row_cell(r, 4)->text, "2026-01-15");
    assert_int_equal(dms_xlsx_row_cell(r, 5)->type, DMS_XLSX_STRING); /* 17 digits */
    dms_xlsx_sheet_free(sh);
    free(data);
    assert_int_equal(dms_xlsx_from_csv("", 0, NULL, NULL, 0, NULL, &data, &len, &err), DMS_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serial_dates),   cmocka_unit_test(cell_refs),
        cmocka_unit_test(round_trip),     cmocka_unit_test(writer_to_file_and_errors),
        cmocka_unit_test(hand_made),      cmocka_unit_test(refusals),
        cmocka_unit_test(from_csv_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
