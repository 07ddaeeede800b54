/*
 * XLSX reading (minizip for the zip container, expat for the XML parts) and
 * writing (libxlsxwriter). Reading keeps to what a spreadsheet of rows needs:
 * the workbook's sheet list and relationships, shared strings, the number
 * formats of cell styles (to tell dates from numbers) and the cells of one
 * sheet. Every decompressed byte is counted against the limits before it is
 * kept, so a small zip that inflates to gigabytes stops at the first limit;
 * a DOCTYPE is refused outright, so no entity expansion can happen.
 * Both libraries are maintained Debian packages: no hand-written inflate or
 * XML tokenizer here.
 */
#include "dms/file.h"
#include "dms/date.h"
#include "dms/xlsx.h"
#include "dms/text.h"
#include "csv_internal.h"

#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unzip.h>
#include <xlsxwriter.h>

/* ---- dates ---------------------------------------------------------------- */

/* Days from 1970-01-01 of 1899-12-30, serial 0 of the 1900 system once the
   phantom 1900-02-29 is accounted for (serials >= 61). */
#define SERIAL_EPOCH (-25569L)
#define MAX_SERIAL 2958465.0 /* 9999-12-31 */

bool dms_xlsx_serial_days(double serial, long *days)
{
    if (!(serial >= 1.0) || serial >= MAX_SERIAL + 1.0)
        return false;
    long whole = (long)floor(serial);
    if (whole == 60)
        return false;
    /* Serials 1..59 are January and February 1900, one day before the
       plain count because Excel believes 1900 was a leap year. */
    *days = whole < 60 ? SERIAL_EPOCH + whole + 1 : SERIAL_EPOCH + whole;
    return true;
}

double dms_xlsx_days_serial(long days)
{
    long s = days - SERIAL_EPOCH;
    if (s < 61)
        s -= 1;
    return (double)s;
}

/* ---- cell references ------------------------------------------------------ */

const char *dms_xlsx_cell_ref(int row, int column, char *buf, size_t size)
{
    char letters[8];
    int n = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (column < 1 || column > DMS_XLSX_MAX_COLUMNS || row < 1)
        return buf;
    for (int c = column; c > 0; c = (c - 1) / 26)
        letters[n++] = (char)('A' + (c - 1) % 26);
    char tmp[24];
    int k = 0;
    while (n > 0)
        tmp[k++] = letters[--n];
    tmp[k] = '\0';
    int w = snprintf(buf, size, "%s%d", tmp, row);
    if (w < 0 || (size_t)w >= size)
        buf[0] = '\0';
    return buf;
}

bool dms_xlsx_parse_ref(const char *text, size_t len, int *row, int *column)
{
    size_t i = 0;
    long c = 0, r = 0;
    if (i < len && text[i] == '$')
        i++;
    size_t start = i;
    while (i < len && ((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z'))) {
        c = c * 26 + ((text[i] | 0x20) - 'a' + 1);
        if (c > DMS_XLSX_MAX_COLUMNS)
            return false;
        i++;
    }
    if (i == start || i - start > 3)
        return false;
    if (i < len && text[i] == '$')
        i++;
    start = i;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        r = r * 10 + (text[i] - '0');
        if (r > DMS_XLSX_MAX_ROWS)
            return false;
        i++;
    }
    if (i == start || i != len || r < 1)
        return false;
    *row = (int)r;
    *column = (int)c;
    return true;
}

/* ---- growing buffers ------------------------------------------------------ */

typedef struct strbuf {
    char *s;
    size_t len;
    size_t cap;
} strbuf;

static bool sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL)
            return false;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

/* ---- zip access ----------------------------------------------------------- */

typedef struct memzip {
    const unsigned char *data;
    size_t len;
    size_t pos;
} memzip;

static voidpf ZCALLBACK mz_open(voidpf opaque, const void *filename, int mode)
{
    (void)filename;
    if ((mode & ZLIB_FILEFUNC_MODE_WRITE) != 0)
        return NULL;
    memzip *m = opaque;
    m->pos = 0;
    return m;
}

static uLong ZCALLBACK mz_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
    (void)opaque;
    memzip *m = stream;
    size_t left = m->pos < m->len ? m->len - m->pos : 0;
    size_t n = size < left ? size : left;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (uLong)n;
}

static uLong ZCALLBACK mz_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
    (void)opaque;
    (void)stream;
    (void)buf;
    (void)size;
    return 0;
}

static ZPOS64_T ZCALLBACK mz_tell(voidpf opaque, voidpf stream)
{
    (void)opaque;
    return ((memzip *)stream)->pos;
}

static long ZCALLBACK mz_seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin)
{
    (void)opaque;
    memzip *m = stream;
    ZPOS64_T base;
    switch (origin) {
    case ZLIB_FILEFUNC_SEEK_SET:
        base = 0;
        break;
    case ZLIB_FILEFUNC_SEEK_CUR:
        base = m->pos;
        break;
    case ZLIB_FILEFUNC_SEEK_END:
        base = m->len;
        break;
    default:
        return -1;
    }
    if (offset > m->len || base + offset > m->len)
        return -1;
    m->pos = (size_t)(base + offset);
    return 0;
}

static int ZCALLBACK mz_close(voidpf opaque, voidpf stream)
{
    (void)opaque;
    (void)stream;
    return 0;
}

static int ZCALLBACK mz_error(voidpf opaque, voidpf stream)
{
    (void)opaque;
    (void)stream;
    return 0;
}

/* ---- the workbook --------------------------------------------------------- */

typedef struct sheet_ref {
    char *name;
    char *path; /* zip entry, "xl/worksheets/sheet1.xml" */
} sheet_ref;

struct dms_xlsx_book {
    memzip mem;
    zlib_filefunc64_def io;
    unzFile zip;
    dms_xlsx_limits limits;
    size_t total_read; /* decompressed bytes so far, against max_total_bytes */
    sheet_ref *sheets;
    size_t nsheets;
    char **shared; /* shared strings */
    size_t nshared;
    unsigned char *xf_date; /* per cell style: 1 if its number format is a date */
    size_t nxf;
};

/*
 * Reads the zip entry name (NUL-terminated into *out, malloc'd) within the
 * limits. DMS_ENOTFOUND if absent (only when optional; the caller decides).
 */
static int read_part(dms_xlsx_book *b, const char *name, char **out, size_t *out_len,
                     dms_error *err)
{
    *out = NULL;
    if (unzLocateFile(b->zip, name, 1) != UNZ_OK)
        return DMS_ENOTFOUND;
    if (unzOpenCurrentFile(b->zip) != UNZ_OK)
        return dms_error_set(err, DMS_EPARSE, NULL,
                             "XLSX: part %s cannot be read (encrypted or unsupported "
                             "compression)",
                             name);
    strbuf sb = {0};
    char chunk[16384];
    int status = DMS_OK;
    for (;;) {
        int n = unzReadCurrentFile(b->zip, chunk, sizeof chunk);
        if (n < 0) {
            status = dms_error_set(err, DMS_EPARSE, NULL, "XLSX: part %s is corrupt", name);
            break;
        }
        if (n == 0)
            break;
        if (sb.len + (size_t)n > b->limits.max_part_bytes) {
            status = dms_error_set(err, DMS_ETOOBIG, NULL,
                                   "XLSX: part %s inflates beyond %zu bytes; refused", name,
                                   b->limits.max_part_bytes);
            break;
        }
        b->total_read += (size_t)n;
        if (b->total_read > b->limits.max_total_bytes) {
            status = dms_error_set(err, DMS_ETOOBIG, NULL,
                                   "XLSX: the workbook inflates beyond %zu bytes; refused",
                                   b->limits.max_total_bytes);
            break;
        }
        if (!sb_add(&sb, chunk, (size_t)n)) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
            break;
        }
    }
    if (unzCloseCurrentFile(b->zip) == UNZ_CRCERROR && status == DMS_OK)
        status = dms_error_set(err, DMS_EPARSE, NULL, "XLSX: part %s fails its checksum", name);
    if (status != DMS_OK) {
        free(sb.s);
        return status;
    }
    if (sb.s == NULL && !sb_add(&sb, "", 0))
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    *out = sb.s;
    *out_len = sb.len;
    return DMS_OK;
}

/* ---- XML plumbing ----------------------------------------------------------- */

/* Local name of an element or attribute: "x:row" -> "row". */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
    for (size_t i = 0; atts[i] != NULL; i += 2)
        if (strcmp(local(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

/* r:id is namespaced; match it by its full qualified form's local part "id"
   only when prefixed, so the plain "id" of other elements is not taken. */
static const char *rel_id_attr(const char **atts)
{
    for (size_t i = 0; atts[i] != NULL; i += 2) {
        const char *c = strrchr(atts[i], ':');
        if (c != NULL && strcmp(c + 1, "id") == 0)
            return atts[i + 1];
    }
    return NULL;
}

static void XMLCALL refuse_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                   const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    XML_StopParser(*(XML_Parser *)ud, XML_FALSE);
}

typedef struct xml_ctx {
    XML_Parser parser; /* first: refuse_doctype reads it through the user data */
    int status;
    dms_error *err;
} xml_ctx;

/* Parses text with handlers; ctx must start with an xml_ctx. */
static int parse_xml(const char *part, const char *text, size_t len, void *ctx,
                     XML_StartElementHandler start, XML_EndElementHandler end,
                     XML_CharacterDataHandler chars, dms_error *err)
{
    xml_ctx *x = ctx;
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (p == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    x->parser = p;
    x->status = DMS_OK;
    x->err = err;
    XML_SetUserData(p, ctx);
    XML_SetElementHandler(p, start, end);
    if (chars != NULL)
        XML_SetCharacterDataHandler(p, chars);
    XML_SetStartDoctypeDeclHandler(p, refuse_doctype);
    int status = DMS_OK;
    for (;;) {
        size_t n = len > (1u << 30) ? (1u << 30) : len;
        bool last = n == len;
        if (XML_Parse(p, text, (int)n, last) == XML_STATUS_ERROR) {
            if (x->status != DMS_OK)
                status = x->status;
            else if (XML_GetErrorCode(p) == XML_ERROR_ABORTED)
                status = dms_error_set(err, DMS_EPARSE, NULL,
                                       "XLSX: part %s declares a DOCTYPE; refused", part);
            else
                status = dms_error_set(err, DMS_EPARSE, NULL, "XLSX: part %s line %lu: %s", part,
                                       (unsigned long)XML_GetCurrentLineNumber(p),
                                       XML_ErrorString(XML_GetErrorCode(p)));
            break;
        }
        text += n;
        len -= n;
        if (last)
            break;
    }
    if (status == DMS_OK && x->status != DMS_OK)
        status = x->status;
    XML_ParserFree(p);
    return status;
}

static void xml_fail(xml_ctx *x, int code)
{
    if (x->status == DMS_OK)
        x->status = code;
    XML_StopParser(x->parser, XML_FALSE);
}

/* ---- workbook.xml and its relationships ------------------------------------- */

typedef struct rel {
    char *id;
    char *target;
} rel;

typedef struct wb_ctx {
    xml_ctx x;
    dms_xlsx_book *book;
    char **rids; /* per sheet, its r:id */
    rel *rels;
    size_t nrels;
} wb_ctx;

static char *xdup(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c != NULL)
        memcpy(c, s, n + 1);
    return c;
}

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    wb_ctx *c = ud;
    if (strcmp(local(name), "sheet") != 0)
        return;
    const char *nm = attr(atts, "name");
    const char *rid = rel_id_attr(atts);
    if (nm == NULL || rid == NULL) {
        dms_error_set(c->x.err, DMS_EPARSE, NULL,
                      "XLSX: a sheet of workbook.xml has no name or id");
        xml_fail(&c->x, DMS_EPARSE);
        return;
    }
    dms_xlsx_book *b = c->book;
    if (b->nsheets >= 4096) {
        dms_error_set(c->x.err, DMS_ETOOBIG, NULL, "XLSX: more than 4096 sheets");
        xml_fail(&c->x, DMS_ETOOBIG);
        return;
    }
    sheet_ref *s = realloc(b->sheets, (b->nsheets + 1) * sizeof *s);
    char **r = s ? realloc(c->rids, (b->nsheets + 1) * sizeof *r) : NULL;
    if (s != NULL)
        b->sheets = s;
    if (r != NULL)
        c->rids = r;
    if (s == NULL || r == NULL) {
        xml_fail(&c->x, DMS_ENOMEM);
        return;
    }
    s[b->nsheets].name = xdup(nm);
    s[b->nsheets].path = NULL;
    r[b->nsheets] = xdup(rid);
    b->nsheets++;
    if (s[b->nsheets - 1].name == NULL || r[b->nsheets - 1] == NULL)
        xml_fail(&c->x, DMS_ENOMEM);
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    wb_ctx *c = ud;
    if (strcmp(local(name), "Relationship") != 0)
        return;
    const char *id = attr(atts, "Id");
    const char *target = attr(atts, "Target");
    if (id == NULL || target == NULL)
        return;
    if (c->nrels >= 65536) {
        xml_fail(&c->x, DMS_ETOOBIG);
        return;
    }
    rel *r = realloc(c->rels, (c->nrels + 1) * sizeof *r);
    if (r == NULL) {
        xml_fail(&c->x, DMS_ENOMEM);
        return;
    }
    c->rels = r;
    r[c->nrels].id = xdup(id);
    r[c->nrels].target = xdup(target);
    c->nrels++;
    if (r[c->nrels - 1].id == NULL || r[c->nrels - 1].target == NULL)
        xml_fail(&c->x, DMS_ENOMEM);
}

static void XMLCALL no_end(void *ud, const XML_Char *name)
{
    (void)ud;
    (void)name;
}

/* The zip entry a relationship target names, relative to xl/ or absolute. */
static char *part_path(const char *target)
{
    if (target[0] == '/')
        return xdup(target + 1);
    size_t n = strlen(target);
    char *p = malloc(n + 4);
    if (p != NULL) {
        memcpy(p, "xl/", 3);
        memcpy(p + 3, target, n + 1);
    }
    return p;
}

static int read_workbook(dms_xlsx_book *b, dms_error *err)
{
    char *text = NULL;
    size_t len = 0;
    wb_ctx c = {.book = b};
    int status = read_part(b, "xl/workbook.xml", &text, &len, err);
    if (status == DMS_ENOTFOUND)
        return dms_error_set(err, DMS_EPARSE, NULL,
                             "not an XLSX workbook: xl/workbook.xml is missing");
    if (status == DMS_OK)
        status = parse_xml("xl/workbook.xml", text, len, &c, wb_start, no_end, NULL, err);
    free(text);
    text = NULL;
    if (status == DMS_OK) {
        status = read_part(b, "xl/_rels/workbook.xml.rels", &text, &len, err);
        if (status == DMS_ENOTFOUND)
            status = dms_error_set(err, DMS_EPARSE, NULL,
                                   "not an XLSX workbook: xl/_rels/workbook.xml.rels is missing");
    }
    if (status == DMS_OK)
        status =
            parse_xml("xl/_rels/workbook.xml.rels", text, len, &c, rels_start, no_end, NULL, err);
    free(text);
    for (size_t i = 0; status == DMS_OK && i < b->nsheets; i++) {
        for (size_t k = 0; k < c.nrels; k++)
            if (strcmp(c.rels[k].id, c.rids[i]) == 0) {
                b->sheets[i].path = part_path(c.rels[k].target);
                if (b->sheets[i].path == NULL)
                    status = DMS_ENOMEM;
                break;
            }
        if (status == DMS_OK && b->sheets[i].path == NULL)
            status = dms_error_set(err, DMS_EPARSE, NULL,
                                   "XLSX: sheet «%s» has no part in the workbook's relationships",
                                   b->sheets[i].name);
    }
    if (status == DMS_ENOMEM)
        dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    if (status == DMS_OK && b->nsheets == 0)
        status = dms_error_set(err, DMS_EPARSE, NULL, "XLSX: the workbook has no sheets");
    for (size_t i = 0; i < b->nsheets; i++)
        free(c.rids ? c.rids[i] : NULL);
    free(c.rids);
    for (size_t k = 0; k < c.nrels; k++) {
        free(c.rels[k].id);
        free(c.rels[k].target);
    }
    free(c.rels);
    if (status != DMS_OK && status != DMS_ENOMEM)
        dms_error_set(err, status, NULL, "XLSX: malformed workbook");
    return status;
}

/* ---- shared strings ---------------------------------------------------------- */

typedef struct sst_ctx {
    xml_ctx x;
    dms_xlsx_book *book;
    size_t cap;
    strbuf cur;
    int in_si;
    int in_t;   /* inside <t> of the current <si> (not of a phonetic run) */
    int in_rph; /* inside <rPh>: phonetic hints are not part of the text */
    size_t max_cells;
} sst_ctx;

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    (void)atts;
    sst_ctx *c = ud;
    const char *n = local(name);
    if (strcmp(n, "si") == 0) {
        c->in_si = 1;
        c->cur.len = 0;
        if (!sb_add(&c->cur, "", 0))
            xml_fail(&c->x, DMS_ENOMEM);
    } else if (strcmp(n, "rPh") == 0) {
        c->in_rph++;
    } else if (strcmp(n, "t") == 0 && c->in_si && c->in_rph == 0) {
        c->in_t = 1;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    sst_ctx *c = ud;
    const char *n = local(name);
    dms_xlsx_book *b = c->book;
    if (strcmp(n, "t") == 0) {
        c->in_t = 0;
    } else if (strcmp(n, "rPh") == 0) {
        c->in_rph--;
    } else if (strcmp(n, "si") == 0) {
        c->in_si = 0;
        if (b->nshared >= c->max_cells) {
            dms_error_set(c->x.err, DMS_ETOOBIG, NULL, "XLSX: more than %zu shared strings",
                          c->max_cells);
            xml_fail(&c->x, DMS_ETOOBIG);
            return;
        }
        if (b->nshared == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            char **s = realloc(b->shared, cap * sizeof *s);
            if (s == NULL) {
                xml_fail(&c->x, DMS_ENOMEM);
                return;
            }
            b->shared = s;
            c->cap = cap;
        }
        char *s = malloc(c->cur.len + 1);
        if (s == NULL) {
            xml_fail(&c->x, DMS_ENOMEM);
            return;
        }
        memcpy(s, c->cur.s ? c->cur.s : "", c->cur.len + 1);
        b->shared[b->nshared++] = s;
    }
}

static void XMLCALL sst_chars(void *ud, const XML_Char *s, int len)
{
    sst_ctx *c = ud;
    if (c->in_t && !sb_add(&c->cur, s, (size_t)len))
        xml_fail(&c->x, DMS_ENOMEM);
}

static int read_shared(dms_xlsx_book *b, dms_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int status = read_part(b, "xl/sharedStrings.xml", &text, &len, err);
    if (status == DMS_ENOTFOUND)
        return DMS_OK; /* a workbook of numbers only has none */
    sst_ctx c = {.book = b, .max_cells = b->limits.max_cells};
    if (status == DMS_OK)
        status =
            parse_xml("xl/sharedStrings.xml", text, len, &c, sst_start, sst_end, sst_chars, err);
    free(text);
    free(c.cur.s);
    if (status == DMS_ENOMEM)
        dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    return status;
}

/* ---- styles: which cell styles are dates ------------------------------------ */

typedef struct numfmt {
    unsigned id;
    bool date;
} numfmt;

typedef struct sty_ctx {
    xml_ctx x;
    dms_xlsx_book *book;
    numfmt *fmts;
    size_t nfmts;
    size_t cap_xf;
    int in_cellxfs;
} sty_ctx;

/* Excel's built-in date and time formats (ECMA-376 18.8.30 and the
   locale-specific ids East Asian versions use). */
static bool builtin_date(unsigned id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

/* A custom format code is a date if it has a day or year part outside quoted
   text, brackets ([Red], [$-419]) and escaped characters. */
static bool code_is_date(const char *code)
{
    bool quoted = false;
    for (const char *p = code; *p; p++) {
        if (quoted) {
            quoted = *p != '"';
            continue;
        }
        switch (*p) {
        case '"':
            quoted = true;
            break;
        case '\\':
        case '_':
        case '*':
            if (p[1] != '\0')
                p++;
            break;
        case '[':
            while (*p && *p != ']')
                p++;
            if (*p == '\0')
                return false;
            break;
        case 'd':
        case 'D':
        case 'y':
        case 'Y':
            return true;
        default:
            break;
        }
    }
    return false;
}

static void XMLCALL sty_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    sty_ctx *c = ud;
    const char *n = local(name);
    if (strcmp(n, "numFmt") == 0) {
        const char *id = attr(atts, "numFmtId");
        const char *code = attr(atts, "formatCode");
        if (id == NULL || code == NULL || c->nfmts >= 4096)
            return;
        numfmt *f = realloc(c->fmts, (c->nfmts + 1) * sizeof *f);
        if (f == NULL) {
            xml_fail(&c->x, DMS_ENOMEM);
            return;
        }
        c->fmts = f;
        f[c->nfmts].id = (unsigned)strtoul(id, NULL, 10);
        f[c->nfmts].date = code_is_date(code);
        c->nfmts++;
    } else if (strcmp(n, "cellXfs") == 0) {
        c->in_cellxfs = 1;
    } else if (strcmp(n, "xf") == 0 && c->in_cellxfs) {
        dms_xlsx_book *b = c->book;
        if (b->nxf >= 65536) {
            xml_fail(&c->x, DMS_ETOOBIG);
            return;
        }
        if (b->nxf == c->cap_xf) {
            size_t cap = c->cap_xf ? c->cap_xf * 2 : 32;
            unsigned char *x = realloc(b->xf_date, cap);
            if (x == NULL) {
                xml_fail(&c->x, DMS_ENOMEM);
                return;
            }
            b->xf_date = x;
            c->cap_xf = cap;
        }
        const char *id = attr(atts, "numFmtId");
        unsigned fid = id ? (unsigned)strtoul(id, NULL, 10) : 0;
        bool date = builtin_date(fid);
        for (size_t i = 0; i < c->nfmts; i++)
            if (c->fmts[i].id == fid)
                date = c->fmts[i].date;
        b->xf_date[b->nxf++] = date;
    }
}

static void XMLCALL sty_end(void *ud, const XML_Char *name)
{
    sty_ctx *c = ud;
    if (strcmp(local(name), "cellXfs") == 0)
        c->in_cellxfs = 0;
}

static int read_styles(dms_xlsx_book *b, dms_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int status = read_part(b, "xl/styles.xml", &text, &len, err);
    if (status == DMS_ENOTFOUND)
        return DMS_OK;
    sty_ctx c = {.book = b};
    if (status == DMS_OK)
        status = parse_xml("xl/styles.xml", text, len, &c, sty_start, sty_end, NULL, err);
    free(text);
    free(c.fmts);
    if (status == DMS_ENOMEM)
        dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    else if (status == DMS_ETOOBIG)
        dms_error_set(err, DMS_ETOOBIG, NULL, "XLSX: too many styles");
    return status;
}

/* ---- open / free ------------------------------------------------------------- */

void dms_xlsx_free(dms_xlsx_book *b)
{
    if (b == NULL)
        return;
    if (b->zip != NULL)
        unzClose(b->zip);
    for (size_t i = 0; i < b->nsheets; i++) {
        free(b->sheets[i].name);
        free(b->sheets[i].path);
    }
    free(b->sheets);
    for (size_t i = 0; i < b->nshared; i++)
        free(b->shared[i]);
    free(b->shared);
    free(b->xf_date);
    free(b);
}

int dms_xlsx_open(const void *data, size_t len, const dms_xlsx_limits *limits, dms_xlsx_book **out,
                  dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (out == NULL || (data == NULL && len > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_open: NULL argument");
    if (len < 4 || memcmp(data, "PK\x03\x04", 4) != 0)
        return dms_error_set(err, DMS_EPARSE, NULL, "not an XLSX file (no zip signature)");
    dms_xlsx_book *b = calloc(1, sizeof *b);
    if (b == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
    b->limits.max_part_bytes = DMS_XLSX_DEFAULT_MAX_PART;
    b->limits.max_total_bytes = DMS_XLSX_DEFAULT_MAX_TOTAL;
    b->limits.max_cells = DMS_XLSX_DEFAULT_MAX_CELLS;
    if (limits != NULL) {
        if (limits->max_part_bytes)
            b->limits.max_part_bytes = limits->max_part_bytes;
        if (limits->max_total_bytes)
            b->limits.max_total_bytes = limits->max_total_bytes;
        if (limits->max_cells)
            b->limits.max_cells = limits->max_cells;
    }
    b->mem.data = data;
    b->mem.len = len;
    b->io = (zlib_filefunc64_def){mz_open, mz_read,  mz_write, mz_tell,
                                  mz_seek, mz_close, mz_error, &b->mem};
    b->zip = unzOpen2_64("memory.xlsx", &b->io);
    int status = DMS_OK;
    if (b->zip == NULL)
        status = dms_error_set(err, DMS_EPARSE, NULL, "not an XLSX file (unreadable zip)");
    if (status == DMS_OK)
        status = read_workbook(b, err);
    if (status == DMS_OK)
        status = read_shared(b, err);
    if (status == DMS_OK)
        status = read_styles(b, err);
    if (status != DMS_OK) {
        dms_xlsx_free(b);
        return status;
    }
    *out = b;
    return DMS_OK;
}

size_t dms_xlsx_sheet_count(const dms_xlsx_book *book)
{
    return book ? book->nsheets : 0;
}

const char *dms_xlsx_sheet_name(const dms_xlsx_book *book, size_t i)
{
    return book && i < book->nsheets ? book->sheets[i].name : NULL;
}

/* ---- one sheet --------------------------------------------------------------- */

struct dms_xlsx_sheet_store {
    char *strings;
    dms_xlsx_cell *cells;
    dms_xlsx_row *rows;
    char *name;
};

typedef struct raw_cell {
    enum dms_xlsx_type type;
    int column;
    size_t text; /* offset into strings */
    double number;
    long days;
} raw_cell;

typedef struct raw_row {
    int row;
    size_t first;
    size_t count;
} raw_row;

typedef struct sh_ctx {
    xml_ctx x;
    const dms_xlsx_book *book;
    const char *sheet;
    strbuf strings;
    raw_cell *cells;
    size_t ncells, cap_cells;
    raw_row *rows;
    size_t nrows, cap_rows;
    int in_sheetdata;
    int row;      /* current row number, 0 outside a row */
    int last_col; /* column of the previous cell of the row */
    /* the current cell */
    int in_cell;
    int col;
    char t[16];
    long style;
    strbuf val;
    int in_v;
    int in_is_t; /* inside <is><t> or <is><r><t> */
    int in_is;
    int in_rph;
} sh_ctx;

static void sh_fail_at(sh_ctx *c, int code, int row, int col, const char *what)
{
    char ref[24];
    dms_xlsx_cell_ref(row, col, ref, sizeof ref);
    if (row > 0 && col > 0)
        dms_error_set_at(c->x.err, code, c->sheet, row, col, "%s!%s: %s", c->sheet, ref, what);
    else
        dms_error_set(c->x.err, code, NULL, "%s: %s", c->sheet, what);
    xml_fail(&c->x, code);
}

static void XMLCALL sh_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    sh_ctx *c = ud;
    const char *n = local(name);
    if (strcmp(n, "sheetData") == 0) {
        c->in_sheetdata = 1;
        return;
    }
    if (!c->in_sheetdata)
        return;
    if (strcmp(n, "row") == 0) {
        const char *r = attr(atts, "r");
        int prev = c->nrows ? c->rows[c->nrows - 1].row : 0;
        int row = prev + 1;
        if (r != NULL) {
            char *end = NULL;
            long v = strtol(r, &end, 10);
            if (end == r || *end != '\0' || v < 1 || v > DMS_XLSX_MAX_ROWS) {
                sh_fail_at(c, DMS_EPARSE, prev + 1, 0, "bad row number");
                return;
            }
            row = (int)v;
        }
        if (row <= prev || row > DMS_XLSX_MAX_ROWS) {
            sh_fail_at(c, DMS_EPARSE, row, 1, "rows out of order or repeated");
            return;
        }
        if (c->nrows == c->cap_rows) {
            size_t cap = c->cap_rows ? c->cap_rows * 2 : 64;
            raw_row *rr = realloc(c->rows, cap * sizeof *rr);
            if (rr == NULL) {
                xml_fail(&c->x, DMS_ENOMEM);
                return;
            }
            c->rows = rr;
            c->cap_rows = cap;
        }
        c->rows[c->nrows++] = (raw_row){row, c->ncells, 0};
        c->row = row;
        c->last_col = 0;
    } else if (strcmp(n, "c") == 0 && c->row > 0) {
        const char *r = attr(atts, "r");
        int col = c->last_col + 1;
        if (r != NULL) {
            int rr = 0, cc = 0;
            if (!dms_xlsx_parse_ref(r, strlen(r), &rr, &cc) || rr != c->row) {
                sh_fail_at(c, DMS_EPARSE, c->row, col, "bad cell reference");
                return;
            }
            col = cc;
        }
        if (col <= c->last_col || col > DMS_XLSX_MAX_COLUMNS) {
            sh_fail_at(c, DMS_EPARSE, c->row, col, "cells out of order or repeated");
            return;
        }
        c->col = col;
        c->last_col = col;
        c->in_cell = 1;
        const char *t = attr(atts, "t");
        snprintf(c->t, sizeof c->t, "%s", t ? t : "n");
        const char *s = attr(atts, "s");
        c->style = s ? strtol(s, NULL, 10) : 0;
        c->val.len = 0;
        c->in_is = 0;
    } else if (c->in_cell && strcmp(n, "v") == 0) {
        c->in_v = 1;
    } else if (c->in_cell && strcmp(n, "is") == 0) {
        c->in_is = 1;
    } else if (c->in_cell && strcmp(n, "rPh") == 0) {
        c->in_rph++;
    } else if (c->in_cell && c->in_is && c->in_rph == 0 && strcmp(n, "t") == 0) {
        c->in_is_t = 1;
    }
}

static bool add_text(sh_ctx *c, const char *s, size_t len, size_t *off)
{
    *off = c->strings.len;
    return sb_add(&c->strings, s, len) && sb_add(&c->strings, "", 1);
}

/* At most 20 bytes of s for a message, cut on a character boundary (expat
   hands out valid UTF-8; a cut through a character would not be). */
static const char *snip(const char *s, char out[24])
{
    size_t n = strlen(s);
    if (n > 20) {
        n = 20;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static void finish_cell(sh_ctx *c)
{
    char sn[24];
    const dms_xlsx_book *b = c->book;
    raw_cell cell = {.type = DMS_XLSX_EMPTY, .column = c->col};
    const char *v = c->val.s ? c->val.s : "";
    size_t vlen = c->val.len;
    bool has_value = vlen > 0 || c->in_is;
    char msg[96];
    const char *text = v;
    size_t tlen = vlen;
    char iso[16];
    if (!has_value) {
        cell.type = DMS_XLSX_EMPTY;
        text = "";
        tlen = 0;
    } else if (strcmp(c->t, "s") == 0) {
        char *end = NULL;
        unsigned long k = strtoul(v, &end, 10);
        if (end == v || *end != '\0' || k >= b->nshared) {
            snprintf(msg, sizeof msg, "shared string index '%s' out of range", snip(v, sn));
            sh_fail_at(c, DMS_EPARSE, c->row, c->col, msg);
            return;
        }
        cell.type = DMS_XLSX_STRING;
        text = b->shared[k];
        tlen = strlen(text);
    } else if (strcmp(c->t, "inlineStr") == 0 || strcmp(c->t, "str") == 0) {
        cell.type = DMS_XLSX_STRING;
    } else if (strcmp(c->t, "b") == 0) {
        cell.type = DMS_XLSX_BOOL;
        cell.number = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
        text = cell.number != 0 ? "TRUE" : "FALSE";
        tlen = strlen(text);
    } else if (strcmp(c->t, "e") == 0) {
        cell.type = DMS_XLSX_ERROR;
    } else if (strcmp(c->t, "n") == 0 || strcmp(c->t, "d") == 0) {
        char *end = NULL;
        double x = strtod(v, &end);
        if (strcmp(c->t, "d") == 0) {
            /* an ISO 8601 date cell (rare, strict OOXML) */
            char buf[11];
            snprintf(buf, sizeof buf, "%.10s", v);
            int y, m, d;
            if (!dms_date_split(buf, &y, &m, &d) || y < 1900) {
                sh_fail_at(c, DMS_EPARSE, c->row, c->col, "bad date value");
                return;
            }
            long days = dms_date_days(y, m, d);
            cell.type = DMS_XLSX_DATE;
            cell.days = days;
            cell.number = dms_xlsx_days_serial(days);
            dms_date_format(days, iso);
            text = iso;
            tlen = 10;
        } else {
            if (end == v || *end != '\0' || !isfinite(x)) {
                snprintf(msg, sizeof msg, "'%s' is not a number", snip(v, sn));
                sh_fail_at(c, DMS_EPARSE, c->row, c->col, msg);
                return;
            }
            cell.number = x;
            cell.type = DMS_XLSX_NUMBER;
            if (c->style >= 0 && (size_t)c->style < b->nxf && b->xf_date[c->style] &&
                dms_xlsx_serial_days(x, &cell.days)) {
                cell.type = DMS_XLSX_DATE;
                dms_date_format(cell.days, iso);
                text = iso;
                tlen = 10;
            }
        }
    } else {
        snprintf(msg, sizeof msg, "unknown cell type '%s'", snip(c->t, sn));
        sh_fail_at(c, DMS_EPARSE, c->row, c->col, msg);
        return;
    }
    if (c->ncells >= c->book->limits.max_cells) {
        snprintf(msg, sizeof msg, "more than %zu cells; refused", c->book->limits.max_cells);
        sh_fail_at(c, DMS_ETOOBIG, c->row, c->col, msg);
        return;
    }
    if (c->ncells == c->cap_cells) {
        size_t cap = c->cap_cells ? c->cap_cells * 2 : 256;
        raw_cell *rc = realloc(c->cells, cap * sizeof *rc);
        if (rc == NULL) {
            xml_fail(&c->x, DMS_ENOMEM);
            return;
        }
        c->cells = rc;
        c->cap_cells = cap;
    }
    if (c->strings.len + tlen > c->book->limits.max_part_bytes) {
        sh_fail_at(c, DMS_ETOOBIG, c->row, c->col, "the sheet's text is too large; refused");
        return;
    }
    if (!add_text(c, text, tlen, &cell.text)) {
        xml_fail(&c->x, DMS_ENOMEM);
        return;
    }
    c->cells[c->ncells++] = cell;
    c->rows[c->nrows - 1].count++;
}

static void XMLCALL sh_end(void *ud, const XML_Char *name)
{
    sh_ctx *c = ud;
    const char *n = local(name);
    if (strcmp(n, "sheetData") == 0) {
        c->in_sheetdata = 0;
    } else if (strcmp(n, "row") == 0) {
        c->row = 0;
    } else if (strcmp(n, "c") == 0 && c->in_cell) {
        c->in_cell = 0;
        finish_cell(c);
    } else if (strcmp(n, "v") == 0) {
        c->in_v = 0;
    } else if (strcmp(n, "rPh") == 0 && c->in_rph > 0) {
        c->in_rph--;
    } else if (strcmp(n, "t") == 0) {
        c->in_is_t = 0;
    }
}

static void XMLCALL sh_chars(void *ud, const XML_Char *s, int len)
{
    sh_ctx *c = ud;
    if (!c->in_cell || !(c->in_v || c->in_is_t))
        return;
    if (c->val.len + (size_t)len > 1024 * 1024) {
        sh_fail_at(c, DMS_ETOOBIG, c->row, c->col, "a cell holds more than 1 MiB; refused");
        return;
    }
    if (!sb_add(&c->val, s, (size_t)len))
        xml_fail(&c->x, DMS_ENOMEM);
}

void dms_xlsx_sheet_free(dms_xlsx_sheet *sheet)
{
    if (sheet == NULL)
        return;
    if (sheet->store != NULL) {
        free(sheet->store->strings);
        free(sheet->store->cells);
        free(sheet->store->rows);
        free(sheet->store->name);
        free(sheet->store);
    }
    free(sheet);
}

int dms_xlsx_sheet_read(const dms_xlsx_book *book, size_t i, dms_xlsx_sheet **out, dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (book == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_sheet_read: NULL argument");
    if (i >= book->nsheets)
        return dms_error_set(err, DMS_ENOTFOUND, NULL, "XLSX: no sheet %zu", i + 1);
    /* Reading moves the zip cursor and counts bytes: both are bookkeeping of
       the open workbook, not part of what it holds. */
    dms_xlsx_book *b = (dms_xlsx_book *)book;
    char *text = NULL;
    size_t len = 0;
    int status = read_part(b, b->sheets[i].path, &text, &len, err);
    if (status == DMS_ENOTFOUND)
        status = dms_error_set(err, DMS_EPARSE, NULL, "XLSX: sheet «%s» (%s) is missing",
                               b->sheets[i].name, b->sheets[i].path);
    if (status != DMS_OK)
        return status;
    sh_ctx c = {.book = b, .sheet = b->sheets[i].name};
    status = parse_xml(b->sheets[i].path, text, len, &c, sh_start, sh_end, sh_chars, err);
    free(text);
    free(c.val.s);
    dms_xlsx_sheet *sh = NULL;
    struct dms_xlsx_sheet_store *st = NULL;
    if (status == DMS_OK) {
        sh = calloc(1, sizeof *sh);
        st = calloc(1, sizeof *st);
        if (sh == NULL || st == NULL)
            status = DMS_ENOMEM;
    }
    if (status == DMS_OK) {
        sh->store = st;
        st->name = xdup(b->sheets[i].name);
        st->cells = malloc((c.ncells ? c.ncells : 1) * sizeof *st->cells);
        st->rows = malloc((c.nrows ? c.nrows : 1) * sizeof *st->rows);
        if (c.strings.s == NULL)
            sb_add(&c.strings, "", 0);
        if (st->name == NULL || st->cells == NULL || st->rows == NULL || c.strings.s == NULL)
            status = DMS_ENOMEM;
    }
    if (status == DMS_OK) {
        st->strings = c.strings.s;
        c.strings.s = NULL;
        for (size_t k = 0; k < c.ncells; k++)
            st->cells[k] =
                (dms_xlsx_cell){c.cells[k].type, c.cells[k].column, st->strings + c.cells[k].text,
                                c.cells[k].number, c.cells[k].days};
        for (size_t k = 0; k < c.nrows; k++)
            st->rows[k] =
                (dms_xlsx_row){c.rows[k].row, c.rows[k].count, st->cells + c.rows[k].first};
        sh->name = st->name;
        sh->nrows = c.nrows;
        sh->rows = st->rows;
        *out = sh;
    } else {
        if (status == DMS_ENOMEM)
            dms_error_set(err, DMS_ENOMEM, NULL, "out of memory reading XLSX");
        if (sh != NULL) {
            sh->store = st;
            dms_xlsx_sheet_free(sh);
        } else {
            free(st);
        }
    }
    free(c.strings.s);
    free(c.cells);
    free(c.rows);
    return status;
}

const dms_xlsx_cell *dms_xlsx_row_cell(const dms_xlsx_row *row, int column)
{
    if (row == NULL)
        return NULL;
    size_t lo = 0, hi = row->ncells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row->cells[mid].column < column)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < row->ncells && row->cells[lo].column == column ? &row->cells[lo] : NULL;
}

int dms_xlsx_read_first(const void *data, size_t len, const dms_xlsx_limits *limits,
                        const char *sheet_name, dms_xlsx_sheet **out, dms_error *err)
{
    dms_error_clear(err);
    dms_xlsx_book *book = NULL;
    if (out != NULL)
        *out = NULL;
    int status = dms_xlsx_open(data, len, limits, &book, err);
    if (status != DMS_OK)
        return status;
    size_t idx = 0;
    if (sheet_name != NULL) {
        idx = book->nsheets;
        for (size_t i = 0; i < book->nsheets; i++)
            if (strcmp(book->sheets[i].name, sheet_name) == 0)
                idx = i;
        if (idx == book->nsheets) {
            dms_xlsx_free(book);
            return dms_error_set(err, DMS_ENOTFOUND, NULL, "XLSX: no sheet «%s»", sheet_name);
        }
    }
    status = dms_xlsx_sheet_read(book, idx, out, err);
    dms_xlsx_free(book);
    return status;
}

/* ---- writing ----------------------------------------------------------------- */

struct dms_xlsx_writer {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    char *path;    /* the temporary file libxlsxwriter writes */
    char *dest;    /* where it goes once complete; NULL: into memory */
    int status;    /* first error, sticky */
    dms_error err; /* its record */
    lxw_format *bold;
    lxw_format *fmt[6];
    enum dms_xlsx_format *cols;
    size_t ncols;
    lxw_row_t row;
    lxw_col_t col;
};

static int w_fail(dms_xlsx_writer *w, int code, const char *what, lxw_error e)
{
    if (w->status == DMS_OK) {
        w->status = code;
        dms_error_set(&w->err, code, NULL, "XLSX: %s (%s)", what, lxw_strerror(e));
    }
    return w->status;
}

void dms_xlsx_writer_free(dms_xlsx_writer *w)
{
    if (w == NULL)
        return;
    if (w->wb != NULL) {
        /* libxlsxwriter frees a workbook only by writing it: write it to the
           temporary file and remove that */
        workbook_close(w->wb);
    }
    unlink(w->path);
    free(w->path);
    free(w->dest);
    free(w->cols);
    free(w);
}

int dms_xlsx_writer_alloc(const char *path, dms_xlsx_writer **out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_writer_alloc: NULL argument");
    *out = NULL;
    dms_xlsx_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory writing XLSX");
    /* The workbook is always written to a temporary file first: beside the
       destination, renamed over it only once complete (a reader never sees
       half a file, an abandoned workbook leaves the old file alone), or in
       $TMPDIR when the result is wanted in memory. */
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    size_t n = (path != NULL ? strlen(path) : strlen(dir)) + 32;
    w->path = malloc(n);
    if (w->path == NULL) {
        free(w);
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory writing XLSX");
    }
    if (path != NULL) {
        w->dest = xdup(path);
        snprintf(w->path, n, "%s.XXXXXX", path);
    } else {
        snprintf(w->path, n, "%s/dmsrate-xlsx-XXXXXX", dir);
    }
    int fd = (path == NULL || w->dest != NULL) ? mkstemp(w->path) : -1;
    if (fd < 0) {
        int e = errno;
        int code = w->dest == NULL && path != NULL ? DMS_ENOMEM : DMS_EIO;
        free(w->path);
        free(w->dest);
        free(w);
        return code == DMS_ENOMEM ? dms_error_set(err, code, NULL, "out of memory writing XLSX")
                                  : dms_error_set(err, code, NULL, "XLSX: cannot create %s: %s",
                                                  path != NULL ? path : dir, strerror(e));
    }
    if (w->dest != NULL)
        fchmod(fd, 0644); /* an export others read; mkstemp makes it 0600 */
    close(fd);
    w->wb = workbook_new(w->path);
    if (w->wb == NULL) {
        unlink(w->path);
        free(w->path);
        free(w->dest);
        free(w);
        return dms_error_set(err, DMS_EIO, NULL, "XLSX: cannot start a workbook");
    }
    w->bold = workbook_add_format(w->wb);
    format_set_bold(w->bold);
    format_set_text_wrap(w->bold);
    format_set_align(w->bold, LXW_ALIGN_VERTICAL_TOP);
    static const char *const codes[6] = {NULL, NULL, "# ##0", "# ##0.00", "dd.mm.yyyy", "0.0%"};
    for (int i = 0; i < 6; i++) {
        if (codes[i] == NULL)
            continue;
        w->fmt[i] = workbook_add_format(w->wb);
        format_set_num_format(w->fmt[i], codes[i]);
    }
    *out = w;
    return DMS_OK;
}

/* Length in characters of UTF-8 text, for a column's width. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int dms_xlsx_writer_sheet(dms_xlsx_writer *w, const char *name, const dms_xlsx_column *columns,
                          size_t ncolumns)
{
    if (w == NULL)
        return DMS_EINVAL;
    if (w->status != DMS_OK)
        return w->status;
    if (ncolumns > DMS_XLSX_MAX_COLUMNS || (columns == NULL && ncolumns > 0)) {
        w->status = dms_error_set(&w->err, DMS_EINVAL, NULL, "XLSX: bad column list");
        return w->status;
    }
    lxw_error e = workbook_validate_sheet_name(w->wb, name);
    if (e != LXW_NO_ERROR)
        return w_fail(w, DMS_EINVAL, "bad sheet name", e);
    w->ws = workbook_add_worksheet(w->wb, name);
    if (w->ws == NULL)
        return w_fail(w, DMS_ENOMEM, "cannot add a sheet", LXW_ERROR_MEMORY_MALLOC_FAILED);
    enum dms_xlsx_format *cols = realloc(w->cols, (ncolumns ? ncolumns : 1) * sizeof *cols);
    if (cols == NULL)
        return w_fail(w, DMS_ENOMEM, "out of memory", LXW_ERROR_MEMORY_MALLOC_FAILED);
    w->cols = cols;
    w->ncols = ncolumns;
    for (size_t i = 0; i < ncolumns; i++) {
        cols[i] = columns[i].format <= DMS_XLSX_PERCENT ? columns[i].format : DMS_XLSX_TEXT;
        const char *h = columns[i].header ? columns[i].header : "";
        double width = columns[i].width;
        if (width <= 0) {
            width = (double)utf8_chars(h) + 2;
            if (cols[i] == DMS_XLSX_DATEFMT && width < 12)
                width = 12;
            if (width < 8)
                width = 8;
            if (width > 60)
                width = 60;
        }
        worksheet_set_column(w->ws, (lxw_col_t)i, (lxw_col_t)i, width, w->fmt[cols[i]]);
        e = worksheet_write_string(w->ws, 0, (lxw_col_t)i, h, w->bold);
        if (e != LXW_NO_ERROR)
            return w_fail(w, DMS_EINVAL, "cannot write a header", e);
    }
    if (ncolumns > 0) {
        worksheet_freeze_panes(w->ws, 1, 0);
        worksheet_autofilter(w->ws, 0, 0, 0, (lxw_col_t)(ncolumns - 1));
    }
    w->row = 1;
    w->col = 0;
    return DMS_OK;
}

static int w_ready(dms_xlsx_writer *w)
{
    if (w == NULL)
        return DMS_EINVAL;
    if (w->status != DMS_OK)
        return w->status;
    if (w->ws == NULL) {
        w->status = dms_error_set(&w->err, DMS_EINVAL, NULL, "XLSX: a cell before any sheet");
        return w->status;
    }
    if (w->row >= DMS_XLSX_MAX_ROWS || w->col >= DMS_XLSX_MAX_COLUMNS) {
        w->status = dms_error_set(&w->err, DMS_ETOOBIG, NULL,
                                  "XLSX: more rows or columns than Excel holds");
        return w->status;
    }
    return DMS_OK;
}

static lxw_format *w_format(dms_xlsx_writer *w)
{
    return w->col < w->ncols ? w->fmt[w->cols[w->col]] : NULL;
}

/*
 * Valid XML text for a string cell: invalid UTF-8 and control characters
 * other than tab and line ends become U+FFFD, and Excel's 32,767-character
 * limit is kept by truncating (a longer cell is refused by Excel).
 */
static char *clean_text(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0, chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && chars < 32767) {
        const unsigned char *start = p;
        long cp = dms_utf8_next(&p);
        if (cp < 0) {
            p = start + 1;
            cp = 0xFFFD;
        } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
                   cp == 0xFFFF) {
            cp = 0xFFFD;
        }
        o += dms_utf8_put(cp, out + o);
        chars++;
    }
    out[o] = '\0';
    return out;
}

int dms_xlsx_writer_text(dms_xlsx_writer *w, const char *text)
{
    int status = w_ready(w);
    if (status != DMS_OK)
        return status;
    if (text != NULL && text[0] != '\0') {
        char *clean = clean_text(text);
        if (clean == NULL)
            return w_fail(w, DMS_ENOMEM, "out of memory", LXW_ERROR_MEMORY_MALLOC_FAILED);
        lxw_error e = worksheet_write_string(w->ws, w->row, w->col, clean, NULL);
        free(clean);
        if (e != LXW_NO_ERROR)
            return w_fail(w, DMS_EINVAL, "cannot write a text cell", e);
    }
    w->col++;
    return DMS_OK;
}

int dms_xlsx_writer_number(dms_xlsx_writer *w, double value)
{
    int status = w_ready(w);
    if (status != DMS_OK)
        return status;
    if (!isfinite(value)) {
        w->col++;
        return DMS_OK;
    }
    lxw_error e = worksheet_write_number(w->ws, w->row, w->col, value, w_format(w));
    if (e != LXW_NO_ERROR)
        return w_fail(w, DMS_EINVAL, "cannot write a number cell", e);
    w->col++;
    return DMS_OK;
}

int dms_xlsx_writer_date(dms_xlsx_writer *w, long days)
{
    int status = w_ready(w);
    if (status != DMS_OK)
        return status;
    double serial = dms_xlsx_days_serial(days);
    long check = 0;
    if (!dms_xlsx_serial_days(serial, &check) || check != days) {
        /* before 1900-03-01 or after 9999: no date cell can hold it */
        w->col++;
        return DMS_OK;
    }
    lxw_format *f = w->fmt[DMS_XLSX_DATEFMT];
    lxw_error e = worksheet_write_number(w->ws, w->row, w->col, serial, f);
    if (e != LXW_NO_ERROR)
        return w_fail(w, DMS_EINVAL, "cannot write a date cell", e);
    w->col++;
    return DMS_OK;
}

int dms_xlsx_writer_blank(dms_xlsx_writer *w)
{
    int status = w_ready(w);
    if (status == DMS_OK)
        w->col++;
    return status;
}

int dms_xlsx_writer_row_end(dms_xlsx_writer *w)
{
    int status = w_ready(w);
    if (status == DMS_OK) {
        w->row++;
        w->col = 0;
    }
    return status;
}

int dms_xlsx_writer_close(dms_xlsx_writer *w, char **data, size_t *len, dms_error *err)
{
    dms_error_clear(err);
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (w == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_writer_close: NULL writer");
    int status = w->status;
    if (status != DMS_OK && err != NULL)
        *err = w->err;
    if (status == DMS_OK && w->dest == NULL && (data == NULL || len == NULL))
        status = dms_error_set(err, DMS_EINVAL, NULL, "XLSX: no buffer for an in-memory workbook");
    if (status == DMS_OK && w->ws == NULL) {
        /* Excel refuses a workbook with no sheet */
        if (workbook_add_worksheet(w->wb, NULL) == NULL)
            status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory writing XLSX");
    }
    lxw_error e = workbook_close(w->wb);
    w->wb = NULL;
    if (status == DMS_OK && e != LXW_NO_ERROR)
        status = dms_error_set(err, DMS_EIO, NULL, "XLSX: cannot write %s (%s)",
                               w->dest ? w->dest : "the workbook", lxw_strerror(e));
    if (status == DMS_OK && w->dest == NULL)
        status = dms_file_read(w->path, 0, "the XLSX written", data, len, err);
    if (status == DMS_OK && w->dest != NULL && rename(w->path, w->dest) != 0)
        status = dms_error_set(err, DMS_EIO, NULL, "XLSX: cannot write %s: %s", w->dest,
                               strerror(errno));
    if (status != DMS_OK || w->dest == NULL)
        unlink(w->path);
    free(w->path);
    free(w->dest);
    free(w->cols);
    free(w);
    return status;
}

int dms_xlsx_write_table(const char *path, const char *sheet, const dms_xlsx_column *columns,
                         size_t ncolumns, const dms_xlsx_value *values, size_t nrows, char **data,
                         size_t *len, dms_error *err)
{
    dms_error_clear(err);
    dms_xlsx_writer *w = NULL;
    if (values == NULL && nrows > 0 && ncolumns > 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_write_table: NULL values");
    int status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        return status;
    dms_xlsx_writer_sheet(w, sheet ? sheet : "Sheet1", columns, ncolumns);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncolumns; c++) {
            const dms_xlsx_value *v = &values[r * ncolumns + c];
            switch (v->type) {
            case DMS_XLSX_STRING:
            case DMS_XLSX_ERROR:
                dms_xlsx_writer_text(w, v->text ? v->text : "");
                break;
            case DMS_XLSX_NUMBER:
            case DMS_XLSX_BOOL:
                dms_xlsx_writer_number(w, v->number);
                break;
            case DMS_XLSX_DATE:
                dms_xlsx_writer_date(w, v->days);
                break;
            default:
                dms_xlsx_writer_blank(w);
                break;
            }
        }
        dms_xlsx_writer_row_end(w);
    }
    return dms_xlsx_writer_close(w, data, len, err);
}

/* ---- CSV to a typed workbook ------------------------------------------------ */

/*
 * A plain number as reports write it: optional '-', digits with optional
 * thousands blanks (space or no-break space) and one '.' or ',' decimal mark.
 * Identifiers stay text: a leading zero ("00123") or more than 15 digits
 * (policy numbers, INN) would lose what makes them identifiers.
 */
static bool csv_number(const char *s, size_t n, double *out)
{
    char buf[64];
    size_t o = 0, digits = 0, i = 0;
    bool dot = false;
    if (n == 0 || n >= sizeof buf)
        return false;
    if (s[0] == '-' || s[0] == '+')
        buf[o++] = s[i++];
    size_t first_digit = i;
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= '0' && ch <= '9') {
            buf[o++] = (char)ch;
            digits++;
        } else if ((ch == '.' || ch == ',') && !dot && digits > 0) {
            dot = true;
            buf[o++] = '.';
        } else if (ch == ' ' && !dot && digits > 0) {
            continue;
        } else if (ch == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0 && !dot &&
                   digits > 0) {
            i++;
        } else {
            return false;
        }
    }
    if (digits == 0 || digits > 15 || buf[o - 1] == '.')
        return false;
    if (s[first_digit] == '0' && n > first_digit + 1 && s[first_digit + 1] != '.' &&
        s[first_digit + 1] != ',')
        return false;
    buf[o] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

static bool csv_date(const char *s, size_t n, long *days)
{
    int y, m, d;
    char iso[11];
    if (n != 10)
        return false;
    if (s[2] == '.' && s[5] == '.') /* DD.MM.YYYY, as Russian spreadsheets write it */
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
    else
        snprintf(iso, sizeof iso, "%.10s", s);
    if (!dms_date_split(iso, &y, &m, &d) || y < 1901)
        return false;
    *days = dms_date_days(y, m, d);
    return true;
}

int dms_xlsx_from_csv(const char *csv, size_t csv_len, const char *sheet,
                      const char *const *headers, size_t nheaders, const char *path, char **data,
                      size_t *len, dms_error *err)
{
    dms_error_clear(err);
    if (csv == NULL && csv_len > 0)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_xlsx_from_csv: NULL text");
    csv_reader r;
    dms_csv_init(&r, csv, csv_len, "csv", NULL);
    int status = DMS_OK;
    dms_xlsx_writer *w = NULL;
    dms_xlsx_column *cols = NULL;
    char **owned = NULL;
    size_t ncols = 0;
    if (!dms_csv_header(&r)) {
        status = r.nomem ? dms_error_set(err, DMS_ENOMEM, NULL, "out of memory")
                         : dms_error_set(err, DMS_EPARSE, NULL, "CSV: no header line");
        goto out_reader;
    }
    ncols = r.nfields;
    cols = calloc(ncols ? ncols : 1, sizeof *cols);
    owned = calloc(ncols ? ncols : 1, sizeof *owned);
    if (cols == NULL || owned == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out_cols;
    }
    for (size_t i = 0; i < ncols; i++) {
        size_t n = 0;
        const char *t = dms_csv_text(&r, i, &n);
        if (i < nheaders && headers != NULL && headers[i] != NULL) {
            cols[i].header = headers[i];
            continue;
        }
        owned[i] = malloc(n + 1);
        if (owned[i] == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
            goto out_cols;
        }
        memcpy(owned[i], t, n);
        owned[i][n] = '\0';
        cols[i].header = owned[i];
        cols[i].format = DMS_XLSX_NUM;
    }
    status = dms_xlsx_writer_alloc(path, &w, err);
    if (status != DMS_OK)
        goto out_cols;
    dms_xlsx_writer_sheet(w, sheet ? sheet : "Sheet1", cols, ncols);
    while (dms_csv_record(&r)) {
        if (r.bad) {
            dms_xlsx_writer_free(w);
            w = NULL;
            status =
                dms_error_set(err, DMS_EPARSE, NULL, "CSV: malformed record at line %d", r.line);
            goto out_cols;
        }
        if (dms_csv_blank(&r))
            continue;
        for (size_t i = 0; i < r.nfields; i++) {
            size_t n = 0;
            const char *t = dms_csv_text(&r, i, &n);
            double x;
            long days;
            if (n == 0) {
                dms_xlsx_writer_blank(w);
            } else if (csv_number(t, n, &x)) {
                dms_xlsx_writer_number(w, x);
            } else if (csv_date(t, n, &days)) {
                dms_xlsx_writer_date(w, days);
            } else {
                char *s = malloc(n + 1);
                if (s == NULL) {
                    dms_xlsx_writer_free(w);
                    w = NULL;
                    status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
                    goto out_cols;
                }
                memcpy(s, t, n);
                s[n] = '\0';
                dms_xlsx_writer_text(w, s);
                free(s);
            }
        }
        dms_xlsx_writer_row_end(w);
    }
    if (r.nomem) {
        dms_xlsx_writer_free(w);
        w = NULL;
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out_cols;
    }
    status = dms_xlsx_writer_close(w, data, len, err);
    w = NULL;
out_cols:
    for (size_t i = 0; owned != NULL && i < ncols; i++)
        free(owned[i]);
    free(owned);
    free(cols);
out_reader:
    dms_csv_release(&r);
    return status;
}
