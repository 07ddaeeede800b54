/*
 * The CSV census reader: reads records with the shared RFC 4180 tokenizer
 * (csv_internal.h), which tracks line and column (in UTF-8 characters) of
 * every field, maps the header to census fields and hands each value to the
 * builder. A single pass, O(input), allocating only when the record arrays
 * grow and once per distinct string.
 */
#include "census_internal.h"
#include "io/csv_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Structural faults go through the builder, which counts them for the result. */
static void csv_fault(csv_reader *r, int line, int column, const char *msg)
{
    dms_census_builder_error_at(r->ctx, line, column, NULL, "%s", msg);
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
    if (!dms_census_normalize(text, len, norm, sizeof norm))
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
static bool read_header(csv_reader *r, census_builder *b, enum census_field **map_out)
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
        const csv_field *f = &r->fields[i];
        size_t len;
        const char *t = dms_csv_text(r, i, &len);
        char shown[256];
        dms_census_show(t, len, shown, sizeof shown);
        map[i] = CF_COUNT;
        if (len == 0) {
            dms_census_builder_error_at(b, f->line, f->column, NULL,
                                        "column %zu has no name in the header line (expected one "
                                        "of: " KNOWN_COLUMNS ")",
                                        i + 1);
            ok = false;
        } else if (!dms_census_utf8_valid(t, len)) {
            dms_census_builder_error_at(b, f->line, f->column, NULL,
                                        "the header is not valid UTF-8 text (save the file as "
                                        "UTF-8, not Windows-1251)");
            ok = false;
        } else if (!header_field(t, len, &map[i])) {
            dms_census_builder_error_at(b, f->line, f->column, NULL,
                                        "unknown column '%s' (expected: " KNOWN_COLUMNS ")", shown);
            ok = false;
        } else if (seen[map[i]] != 0) {
            dms_census_builder_error_at(
                b, f->line, f->column, NULL, "column '%s' repeats %s (%s), already in column %d",
                shown, dms_census_field_key[map[i]], dms_census_field_ru[map[i]], seen[map[i]]);
            map[i] = CF_COUNT;
            ok = false;
        } else {
            seen[map[i]] = f->column;
        }
    }
    for (int f = 0; f < CF_COUNT; f++) {
        if (dms_census_field_required((enum census_field)f) && seen[f] == 0) {
            dms_census_builder_error_at(b, r->fields[0].line, 1, NULL,
                                        "the required column %s (%s) is missing from the header",
                                        dms_census_field_key[f], dms_census_field_ru[f]);
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
    csv_reader r;
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
    status = dms_census_builder_init(&b, diag, source_name, false, NULL);
    if (status != DMS_OK)
        return dms_diag_add_at(diag, status, source_name, 0, 0, "out of memory");

    dms_csv_init(&r, text, len, source_name, diag);
    r.fault = csv_fault;
    r.ctx = &b;

    /* The header: the first record that is not blank. */
    bool have_header = dms_csv_header(&r);
    if (r.nomem)
        goto nomem;
    if (!have_header) {
        dms_census_builder_error_at(&b, 1, 1, NULL,
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

    while (dms_csv_record(&r)) {
        if (r.bad)
            continue; /* already reported */
        if (dms_csv_blank(&r))
            continue;
        const csv_field *first = &r.fields[0];
        if (r.nfields != ncols) {
            int col = r.nfields > ncols ? r.fields[ncols].column : r.end_column;
            dms_census_builder_error_at(
                &b, first->line, col, NULL,
                "this row has %zu fields but the header has %zu (a missing "
                "or extra '%c', or a value containing '%c' without quotes?)",
                r.nfields, ncols, r.delim, r.delim);
            continue;
        }
        if (dms_census_builder_row(&b, first->line) == NULL)
            goto nomem;
        size_t index = b.census->count - 1;
        for (size_t i = 0; i < ncols; i++) {
            const csv_field *f = &r.fields[i];
            size_t flen;
            const char *t = dms_csv_text(&r, i, &flen);
            dms_census_builder_field(&b, index, map[i], t, flen, f->line, f->column);
        }
        if (b.nomem)
            goto nomem;
    }
    if (r.nomem)
        goto nomem;

finish:
    free(map);
    dms_csv_release(&r);
    return dms_census_builder_finish(&b, out);
nomem:
    free(map);
    dms_csv_release(&r);
    if (!b.nomem)
        dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory reading the census");
    dms_census_builder_abort(&b);
    return DMS_ENOMEM;
}
