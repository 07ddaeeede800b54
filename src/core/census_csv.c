/*
 * The CSV census reader: a single pass over the text that splits records by
 * RFC 4180 (quoted fields with delimiters, doubled quotes and line breaks),
 * tracks line and column (in UTF-8 characters) of every field, maps the
 * header to census fields and hands each value to the builder. Unquoted
 * values point into the input; quoted values are unescaped into one scratch
 * buffer reused for every record, so parsing allocates only per record array
 * growth, never per field, and costs O(input).
 */
#include "census_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct csv_field {
    size_t off; /* into the input, or into scratch when quoted */
    size_t len;
    int line;
    int column;
    bool quoted;
};

struct csv_reader {
    const char *s;
    size_t n;
    size_t pos;
    int line;
    int column;
    char delim;
    struct csv_field *fields;
    size_t nfields;
    size_t cap_fields;
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
    int end_column; /* column just past the last field of the record */
    bool bad;       /* a structural fault was reported for this record */
    bool nomem;
};

static bool scratch_put(struct csv_reader *r, char c)
{
    if (r->scratch_len == r->scratch_cap) {
        size_t cap = r->scratch_cap ? r->scratch_cap * 2 : 1024;
        char *p = realloc(r->scratch, cap);
        if (p == NULL) {
            r->nomem = true;
            return false;
        }
        r->scratch = p;
        r->scratch_cap = cap;
    }
    r->scratch[r->scratch_len++] = c;
    return true;
}

static struct csv_field *push_field(struct csv_reader *r)
{
    if (r->nfields == r->cap_fields) {
        size_t cap = r->cap_fields ? r->cap_fields * 2 : 16;
        struct csv_field *p = realloc(r->fields, cap * sizeof *p);
        if (p == NULL) {
            r->nomem = true;
            return NULL;
        }
        r->fields = p;
        r->cap_fields = cap;
    }
    struct csv_field *f = &r->fields[r->nfields++];
    memset(f, 0, sizeof *f);
    return f;
}

/* Advances over one byte that is not a line break, counting characters. */
static void advance(struct csv_reader *r)
{
    if (((unsigned char)r->s[r->pos] & 0xC0) != 0x80)
        r->column++;
    r->pos++;
}

/* At a line break (\r\n, \n or \r): consume it. */
static void newline(struct csv_reader *r)
{
    if (r->s[r->pos] == '\r' && r->pos + 1 < r->n && r->s[r->pos + 1] == '\n')
        r->pos++;
    r->pos++;
    r->line++;
    r->column = 1;
}

static bool at_end_of_field(const struct csv_reader *r)
{
    if (r->pos >= r->n)
        return true;
    char c = r->s[r->pos];
    return c == r->delim || c == '\n' || c == '\r';
}

/*
 * Reads one record into r->fields. Returns false at the end of input (no
 * record). Structural faults are reported through b and set r->bad.
 */
static bool read_record(struct csv_reader *r, census_builder *b)
{
    r->nfields = 0;
    r->scratch_len = 0;
    r->bad = false;
    if (r->pos >= r->n)
        return false;
    for (;;) {
        struct csv_field *f = push_field(r);
        if (f == NULL)
            return false;
        f->line = r->line;
        f->column = r->column;
        if (r->pos < r->n && r->s[r->pos] == '"') {
            int qline = r->line, qcol = r->column;
            f->quoted = true;
            f->off = r->scratch_len;
            advance(r);
            bool closed = false;
            while (r->pos < r->n) {
                char c = r->s[r->pos];
                if (c == '"') {
                    if (r->pos + 1 < r->n && r->s[r->pos + 1] == '"') {
                        scratch_put(r, '"');
                        advance(r);
                        advance(r);
                        continue;
                    }
                    advance(r);
                    closed = true;
                    break;
                }
                if (c == '\n' || c == '\r') { /* any line break is kept as \n */
                    scratch_put(r, '\n');
                    newline(r);
                    continue;
                }
                scratch_put(r, c);
                advance(r);
            }
            if (r->nomem)
                return false;
            if (!closed) {
                census_builder_error_at(b, qline, qcol, NULL,
                                        "the quoted field opened here is never closed (a '\"' "
                                        "is missing; quotes inside a value are written \"\")");
                r->bad = true;
                f->len = r->scratch_len - f->off;
                r->end_column = r->column;
                return true;
            }
            if (!at_end_of_field(r)) {
                census_builder_error_at(b, r->line, r->column, NULL,
                                        "unexpected text after the closing quote of a field "
                                        "(quotes inside a value are written \"\")");
                r->bad = true;
                while (!at_end_of_field(r)) {
                    scratch_put(r, r->s[r->pos]);
                    advance(r);
                }
            }
            f->len = r->scratch_len - f->off;
        } else {
            f->off = r->pos;
            while (!at_end_of_field(r))
                advance(r);
            f->len = r->pos - f->off;
        }
        if (r->nomem)
            return false;
        if (r->pos < r->n && r->s[r->pos] == r->delim) {
            advance(r);
            continue;
        }
        r->end_column = r->column;
        if (r->pos < r->n)
            newline(r);
        return true;
    }
}

static const char *field_text(const struct csv_reader *r, const struct csv_field *f)
{
    return f->quoted ? r->scratch + f->off : r->s + f->off;
}

static bool record_blank(const struct csv_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        const char *t = field_text(r, &r->fields[i]);
        size_t len = r->fields[i].len;
        census_trim(&t, &len);
        if (len > 0)
            return false;
    }
    return true;
}

/* ';' or ',', whichever the first line has more of outside quotes. */
static char detect_delimiter(const char *s, size_t n)
{
    size_t semi = 0, comma = 0;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ';')
            semi++;
        else if (!quoted && c == ',')
            comma++;
    }
    return semi > comma ? ';' : ',';
}

struct header_name {
    const char *text; /* normalised */
    enum census_field field;
};

static const struct header_name header_names[] = {
    {"employee id", CF_EMPLOYEE_ID},
    {"employeeid", CF_EMPLOYEE_ID},
    {"табельный номер", CF_EMPLOYEE_ID},
    {"таб. номер", CF_EMPLOYEE_ID},
    {"таб.номер", CF_EMPLOYEE_ID},
    {"таб номер", CF_EMPLOYEE_ID},
    {"табельный №", CF_EMPLOYEE_ID},
    {"relation", CF_RELATION},
    {"relationship", CF_RELATION},
    {"связь", CF_RELATION},
    {"степень родства", CF_RELATION},
    {"родство", CF_RELATION},
    {"birth date", CF_BIRTH_DATE},
    {"birthdate", CF_BIRTH_DATE},
    {"date of birth", CF_BIRTH_DATE},
    {"дата рождения", CF_BIRTH_DATE},
    {"sex", CF_SEX},
    {"gender", CF_SEX},
    {"пол", CF_SEX},
    {"region", CF_REGION},
    {"city", CF_REGION},
    {"регион", CF_REGION},
    {"город", CF_REGION},
    {"department", CF_DEPARTMENT},
    {"подразделение", CF_DEPARTMENT},
    {"отдел", CF_DEPARTMENT},
    {"segment", CF_SEGMENT},
    {"сегмент", CF_SEGMENT},
    {"work mode", CF_WORK_MODE},
    {"режим работы", CF_WORK_MODE},
    {"формат работы", CF_WORK_MODE},
};

static bool header_field(const char *text, size_t len, enum census_field *out)
{
    char norm[128];
    if (!census_normalize(text, len, norm, sizeof norm))
        return false;
    for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++) {
        if (strcmp(header_names[i].text, norm) == 0) {
            *out = header_names[i].field;
            return true;
        }
    }
    return false;
}

#define KNOWN_COLUMNS                                                                                                    \
    "employee_id/Табельный номер, relation/Связь, birth_date/Дата рождения, sex/Пол, " \
    "region/Регион, department/Подразделение, segment/Сегмент, work_mode/Режим работы"

/* Maps header columns to fields (map[i] == CF_COUNT never happens on success). */
static bool read_header(struct csv_reader *r, census_builder *b, enum census_field **map_out)
{
    int seen[CF_COUNT];
    bool ok = !r->bad;
    for (int f = 0; f < CF_COUNT; f++)
        seen[f] = 0;
    enum census_field *map = malloc((r->nfields ? r->nfields : 1) * sizeof *map);
    if (map == NULL) {
        r->nomem = true;
        return false;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        const struct csv_field *f = &r->fields[i];
        const char *t = field_text(r, f);
        size_t len = f->len;
        char shown[256];
        census_trim(&t, &len);
        census_show(t, len, shown, sizeof shown);
        map[i] = CF_COUNT;
        if (len == 0) {
            census_builder_error_at(b, f->line, f->column, NULL,
                                    "column %zu has no name in the header line (expected one "
                                    "of: " KNOWN_COLUMNS ")",
                                    i + 1);
            ok = false;
        } else if (!census_utf8_valid(t, len)) {
            census_builder_error_at(b, f->line, f->column, NULL,
                                    "the header is not valid UTF-8 text (save the file as "
                                    "UTF-8, not Windows-1251)");
            ok = false;
        } else if (!header_field(t, len, &map[i])) {
            census_builder_error_at(b, f->line, f->column, NULL,
                                    "unknown column '%s' (expected: " KNOWN_COLUMNS ")", shown);
            ok = false;
        } else if (seen[map[i]] != 0) {
            census_builder_error_at(
                b, f->line, f->column, NULL, "column '%s' repeats %s (%s), already in column %d",
                shown, census_field_key[map[i]], census_field_ru[map[i]], seen[map[i]]);
            map[i] = CF_COUNT;
            ok = false;
        } else {
            seen[map[i]] = f->column;
        }
    }
    for (int f = 0; f < CF_COUNT; f++) {
        if (census_field_required((enum census_field)f) && seen[f] == 0) {
            census_builder_error_at(b, r->fields[0].line, 1, NULL,
                                    "the required column %s (%s) is missing from the header",
                                    census_field_key[f], census_field_ru[f]);
            ok = false;
        }
    }
    if (!ok) {
        free(map);
        return false;
    }
    *map_out = map;
    return true;
}

int dms_census_parse_csv(const char *text, size_t len, const char *source_name, dms_census **out,
                         dms_diag *diag)
{
    census_builder b;
    struct csv_reader r;
    enum census_field *map = NULL;
    size_t ncols = 0;
    int status;

    if (out == NULL)
        return DMS_EINVAL;
    *out = NULL;
    if (text == NULL && len > 0)
        return DMS_EINVAL;
    if (source_name == NULL)
        source_name = "";
    if (len > DMS_CENSUS_MAX_BYTES || len >= (size_t)INT_MAX)
        return dms_diag_add_at(diag, DMS_ETOOBIG, source_name, 0, 0,
                               "the census is larger than %zu MB",
                               DMS_CENSUS_MAX_BYTES / (1024 * 1024));
    status = census_builder_init(&b, diag, source_name, false, NULL);
    if (status != DMS_OK)
        return dms_diag_add_at(diag, status, source_name, 0, 0, "out of memory");

    memset(&r, 0, sizeof r);
    r.s = text != NULL ? text : "";
    r.n = len;
    r.line = 1;
    r.column = 1;
    if (r.n >= 3 && memcmp(r.s, "\xEF\xBB\xBF", 3) == 0)
        r.pos = 3;
    r.delim = detect_delimiter(r.s + r.pos, r.n - r.pos);

    /* The header: the first record that is not blank. */
    bool have_header = false;
    while (read_record(&r, &b)) {
        if (!record_blank(&r) || r.bad) {
            have_header = true;
            break;
        }
    }
    if (r.nomem)
        goto nomem;
    if (!have_header) {
        census_builder_error_at(&b, 1, 1, NULL,
                                "the census is empty: expected a header line with the columns "
                                "employee_id, relation, birth_date, sex, region");
        goto finish;
    }
    if (!read_header(&r, &b, &map)) {
        if (r.nomem)
            goto nomem;
        goto finish;
    }
    ncols = r.nfields;

    while (read_record(&r, &b)) {
        if (r.bad)
            continue; /* already reported */
        if (record_blank(&r))
            continue;
        const struct csv_field *first = &r.fields[0];
        if (r.nfields != ncols) {
            int col = r.nfields > ncols ? r.fields[ncols].column : r.end_column;
            census_builder_error_at(&b, first->line, col, NULL,
                                    "this row has %zu fields but the header has %zu (a missing "
                                    "or extra '%c', or a value containing '%c' without quotes?)",
                                    r.nfields, ncols, r.delim, r.delim);
            continue;
        }
        if (census_builder_row(&b, first->line) == NULL)
            goto nomem;
        size_t index = b.census->count - 1;
        for (size_t i = 0; i < ncols; i++) {
            const struct csv_field *f = &r.fields[i];
            census_builder_field(&b, index, map[i], field_text(&r, f), f->len, f->line, f->column);
        }
        if (b.nomem)
            goto nomem;
    }
    if (r.nomem)
        goto nomem;

finish:
    free(map);
    free(r.fields);
    free(r.scratch);
    return census_builder_finish(&b, out);
nomem:
    free(map);
    free(r.fields);
    free(r.scratch);
    if (!b.nomem)
        dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory reading the census");
    census_builder_abort(&b);
    return DMS_ENOMEM;
}
