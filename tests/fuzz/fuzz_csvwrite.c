/*
 * libFuzzer target for the CSV writer against the project's CSV reader: the
 * input is cut into rows (byte 0x02) and cells (0x01); every cell is written
 * as text and, where it reads as a whole number, also as kopecks, in the
 * dialect the first byte picks. Read back, the file must have exactly the
 * rows and cells written (nothing forged), every text equal to the input
 * with a leading apostrophe where it began like a formula (line breaks
 * inside a value come back as LF), every amount equal, and no text cell
 * starting with = + - @ TAB or CR. The input as a string also goes through
 * the Accept-Language parser, which must answer one of the two dialects.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/io/csv_internal.h"
#include "dms/csvwrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CELLS 64

/* The reader's view of a written text: CRLF and CR become LF. */
static size_t expected_text(const char *cell, char *out)
{
    size_t n = 0;
    if (dms_csvwrite_is_formula(cell))
        out[n++] = '\'';
    for (const char *p = cell; *p != '\0'; p++) {
        if (*p == '\r') {
            out[n++] = '\n';
            if (p[1] == '\n')
                p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return n;
}

static bool whole_number(const char *s, long long *v)
{
    if (*s == '\0' || strlen(s) > 15)
        return false;
    char *end;
    *v = strtoll(s, &end, 10);
    return *end == '\0' && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    char *accept = malloc(size + 1);
    if (accept == NULL)
        abort();
    memcpy(accept, data, size);
    accept[size] = '\0';
    dms_csv_lang guess = dms_csvwrite_lang_from_accept(accept, DMS_CSV_EN);
    if (guess != DMS_CSV_EN && guess != DMS_CSV_RU)
        abort();
    free(accept);

    dms_csv_lang lang = data[0] & 1 ? DMS_CSV_RU : DMS_CSV_EN;
    /* cells: NUL-terminated copies (NUL bytes dropped), row ends marked */
    char *buf = malloc(size + 1);
    char *cells[MAX_CELLS];
    bool row_end[MAX_CELLS];
    size_t ncells = 0, pos = 0;
    if (buf == NULL)
        abort();
    cells[0] = buf;
    for (size_t i = 1; i < size && ncells + 1 < MAX_CELLS; i++) {
        uint8_t c = data[i];
        if (c == 0x01 || c == 0x02) {
            buf[pos++] = '\0';
            row_end[ncells++] = c == 0x02;
            cells[ncells] = buf + pos;
        } else if (c != 0) {
            buf[pos++] = (char)c;
        }
    }
    buf[pos] = '\0';
    row_end[ncells++] = true;

    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    if (f == NULL)
        abort();
    dms_csvwrite w;
    dms_csvwrite_begin(&w, f, lang);
    /* a header, as every export has: the reader guesses the separator from it */
    dms_csvwrite_text(&w, "h1");
    dms_csvwrite_text(&w, "h2");
    dms_csvwrite_row_end(&w);
    size_t rows = 0;
    for (size_t i = 0; i < ncells; i++) {
        long long v;
        dms_csvwrite_text(&w, cells[i]);
        if (whole_number(cells[i], &v))
            dms_csvwrite_kopecks(&w, v);
        if (row_end[i]) {
            dms_csvwrite_row_end(&w);
            rows++;
        }
    }
    if (dms_csvwrite_end(&w) != DMS_OK || fclose(f) != 0)
        abort();

    csv_reader r;
    dms_csv_init(&r, text, text_len, "w.csv", NULL);
    size_t i = 0, got_rows = 0;
    char *expect = malloc(2 * size + 2);
    if (expect == NULL || !dms_csv_record(&r) || r.nfields != 2)
        abort();
    while (dms_csv_record(&r)) {
        if (r.bad)
            abort();
        got_rows++;
        size_t k = 0;
        for (; i < ncells; i++) {
            long long v;
            if (k >= r.nfields)
                abort();
            const csv_field *fl = &r.fields[k++];
            const char *s = fl->quoted ? r.scratch + fl->off : r.s + fl->off;
            size_t n = expected_text(cells[i], expect);
            if (fl->len != n || memcmp(s, expect, n) != 0)
                abort();
            if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL)
                abort();
            if (whole_number(cells[i], &v)) {
                if (k >= r.nfields)
                    abort();
                const csv_field *num = &r.fields[k++];
                char amount[40];
                snprintf(amount, sizeof amount, "%.*s", (int)num->len, r.s + num->off);
                char *mark = strchr(amount, lang == DMS_CSV_RU ? ',' : '.');
                if (num->quoted || mark == NULL)
                    abort();
                *mark = '\0';
                long long whole = strtoll(amount, NULL, 10), cents = strtoll(mark + 1, NULL, 10);
                long long back = amount[0] == '-' ? whole * 100 - cents : whole * 100 + cents;
                if (back != v)
                    abort();
            }
            if (row_end[i]) {
                i++;
                break;
            }
        }
        if (k != r.nfields)
            abort();
    }
    if (r.nomem || got_rows != rows || i != ncells)
        abort();
    dms_csv_release(&r);
    free(expect);
    free(text);
    free(buf);
    return 0;
}
