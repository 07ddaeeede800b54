/*
 * The one CSV writer behind every export (payroll.csv, attach-list.csv, the
 * claims reports, the quote): RFC 4180 quoting, formula neutralisation and
 * the two dialects people open the files with.
 *
 * English (DMS_CSV_EN): ',' between cells, a decimal point, no BOM.
 * Russian (DMS_CSV_RU), for Russian Excel: a UTF-8 BOM, ';' between cells, a
 * decimal comma; the caller writes Russian headers and names.
 *
 * Rules, the same for every file:
 * - a text cell is quoted ("...", inner quotes doubled) when it holds ','
 *   or ';' (either dialect's separator, so a reader guessing the separator
 *   is not misled), a quote, CR or LF, or begins with a BOM, so no value
 *   can forge a cell or a row;
 * - a text cell that begins with = + - @, a tab or CR is neutralised with a
 *   leading apostrophe ('=1+2), so a spreadsheet shows it as text instead of
 *   running it as a formula (OWASP "CSV injection"). Only text is touched:
 *   numbers the writer formats itself (dms_csvwrite_number, _integer,
 *   _kopecks) stay numbers, negative ones included;
 * - records end with LF (RFC 4180 says CRLF; every spreadsheet and the
 *   project's own reader take both); line breaks inside a quoted value are
 *   kept as they are.
 *
 * The writer never allocates; it writes to a FILE the caller owns (a file,
 * stdout, or open_memstream for an HTTP body). Errors stick: after the first
 * failed write the rest are skipped and dms_csvwrite_end returns DMS_EIO.
 */
#ifndef DMS_CSVWRITE_H
#define DMS_CSVWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum dms_csv_lang {
    DMS_CSV_EN = 0, /* ',' and a decimal point */
    DMS_CSV_RU = 1, /* BOM, ';' and a decimal comma */
} dms_csv_lang;

typedef struct dms_csvwrite {
    FILE *out;
    dms_csv_lang lang;
    char sep;
    size_t cells; /* written on the current row */
    bool failed;
} dms_csvwrite;

/* Starts a file on out (the Russian dialect writes the BOM now). */
void dms_csvwrite_begin(dms_csvwrite *w, FILE *out, dms_csv_lang lang);

/* A text cell (NULL is empty), neutralised and quoted as above. */
void dms_csvwrite_text(dms_csvwrite *w, const char *text);

/* A number with the given decimals (0..9), in the dialect's decimal mark.
 * Not finite: an empty cell. */
void dms_csvwrite_number(dms_csvwrite *w, double value, int decimals);

/* A whole number. */
void dms_csvwrite_integer(dms_csvwrite *w, long long value);

/* Money in kopecks as roubles with two decimals, exactly (no doubles). */
void dms_csvwrite_kopecks(dms_csvwrite *w, int64_t kopecks);

/* Ends the current row. */
void dms_csvwrite_row_end(dms_csvwrite *w);

/* DMS_OK, or DMS_EIO when any write failed. Does not close out. */
int dms_csvwrite_end(dms_csvwrite *w);

/* true if a text cell would be neutralised (begins with = + - @ TAB CR). */
bool dms_csvwrite_is_formula(const char *text);

/*
 * The dialect an HTTP client asks for in its Accept-Language header: the
 * language range with the highest q among ru and en ("ru", "ru-RU", "en-GB"
 * ...; a missing q is 1, ties go to the first). fallback when the header is
 * NULL, empty or names neither.
 */
dms_csv_lang dms_csvwrite_lang_from_accept(const char *accept_language, dms_csv_lang fallback);

#endif
