/*
 * The CSV writer every export goes through (see csvwrite.h for the rules).
 * Keeping quoting, neutralisation and the decimal mark in one place is the
 * point: a fix here reaches payroll.csv, the attach list, the reports and
 * the quote at once, and a new export cannot forget a rule.
 */
#include "dms/csvwrite.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dms/error.h"

static void put(dms_csvwrite *w, const char *s, size_t n)
{
    if (!w->failed && n > 0 && fwrite(s, 1, n, w->out) != n)
        w->failed = true;
}

static void put_char(dms_csvwrite *w, char c)
{
    if (!w->failed && fputc(c, w->out) == EOF)
        w->failed = true;
}

static void separate(dms_csvwrite *w)
{
    if (w->cells++ > 0)
        put_char(w, w->sep);
}

void dms_csvwrite_begin(dms_csvwrite *w, FILE *out, dms_csv_lang lang)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->lang = lang == DMS_CSV_RU ? DMS_CSV_RU : DMS_CSV_EN;
    w->sep = w->lang == DMS_CSV_RU ? ';' : ',';
    w->failed = out == NULL;
    /* Russian Excel reads a file without a BOM as Windows-1251. */
    if (w->lang == DMS_CSV_RU)
        put(w, "\xEF\xBB\xBF", 3);
}

bool dms_csvwrite_is_formula(const char *text)
{
    if (text == NULL)
        return false;
    switch (text[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return true;
    default:
        return false;
    }
}

void dms_csvwrite_text(dms_csvwrite *w, const char *text)
{
    separate(w);
    if (text == NULL)
        return;
    /* Both separators, not only this dialect's: readers that guess the
     * separator from the first line (ours, Excel's import) then cannot
     * be misled. A leading BOM would be taken for the file's own. */
    bool quote = strpbrk(text, ",;\"\n\r") != NULL || strncmp(text, "\xEF\xBB\xBF", 3) == 0;
    if (quote)
        put_char(w, '"');
    if (dms_csvwrite_is_formula(text))
        put_char(w, '\'');
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"')
            put_char(w, '"');
        put_char(w, *p);
    }
    if (quote)
        put_char(w, '"');
}

/* Swaps the C locale's decimal point for the dialect's mark. */
static void put_number_text(dms_csvwrite *w, char *buf)
{
    if (w->lang == DMS_CSV_RU) {
        char *dot = strchr(buf, '.');
        if (dot != NULL)
            *dot = ',';
    }
    put(w, buf, strlen(buf));
}

void dms_csvwrite_number(dms_csvwrite *w, double value, int decimals)
{
    separate(w);
    if (!isfinite(value))
        return;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, value);
    /* "-0.00" reads as a negative amount: print it as zero. */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
    put_number_text(w, buf);
}

void dms_csvwrite_integer(dms_csvwrite *w, long long value)
{
    separate(w);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    put(w, buf, strlen(buf));
}

void dms_csvwrite_kopecks(dms_csvwrite *w, int64_t kopecks)
{
    separate(w);
    /* Magnitude in unsigned arithmetic: -INT64_MIN does not fit. */
    uint64_t m = kopecks < 0 ? (uint64_t)0 - (uint64_t)kopecks : (uint64_t)kopecks;
    char buf[40];
    snprintf(buf, sizeof buf, "%s%" PRIu64 ".%02" PRIu64, kopecks < 0 ? "-" : "", m / 100, m % 100);
    put_number_text(w, buf);
}

void dms_csvwrite_row_end(dms_csvwrite *w)
{
    put_char(w, '\n');
    w->cells = 0;
}

int dms_csvwrite_end(dms_csvwrite *w)
{
    if (!w->failed && fflush(w->out) != 0)
        w->failed = true;
    return w->failed ? DMS_EIO : DMS_OK;
}

/* The q of one Accept-Language entry ("ru-RU;q=0.8"): 1 when absent. */
static double entry_q(const char *p, const char *end)
{
    const char *q = p;
    while ((q = memchr(q, ';', (size_t)(end - q))) != NULL) {
        q++;
        while (q < end && *q == ' ')
            q++;
        if (end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            char num[16];
            size_t n =
                (size_t)(end - q - 2) < sizeof num - 1 ? (size_t)(end - q - 2) : sizeof num - 1;
            memcpy(num, q + 2, n);
            num[n] = '\0';
            char *stop;
            double v = strtod(num, &stop);
            return stop != num && v >= 0 && v <= 1 ? v : 0;
        }
    }
    return 1;
}

dms_csv_lang dms_csvwrite_lang_from_accept(const char *accept_language, dms_csv_lang fallback)
{
    if (accept_language == NULL)
        return fallback;
    double best = 0;
    dms_csv_lang lang = fallback;
    const char *p = accept_language;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        while (p < end && *p == ' ')
            p++;
        size_t tag = 0;
        while (p + tag < end && (isalpha((unsigned char)p[tag]) || p[tag] == '-'))
            tag++;
        bool ru = tag >= 2 && tolower((unsigned char)p[0]) == 'r' &&
                  tolower((unsigned char)p[1]) == 'u' && (tag == 2 || p[2] == '-');
        bool en = tag >= 2 && tolower((unsigned char)p[0]) == 'e' &&
                  tolower((unsigned char)p[1]) == 'n' && (tag == 2 || p[2] == '-');
        double q = entry_q(p, end);
        if ((ru || en) && q > best) {
            best = q;
            lang = ru ? DMS_CSV_RU : DMS_CSV_EN;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return lang;
}
