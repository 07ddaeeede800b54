/*
 * Shared by the census loaders (census.c, census_csv.c, census_json.c): the
 * builder that collects rows, interns strings, validates field values with
 * one set of messages, routes errors to a CSV line:column or a JSON Pointer,
 * and runs the cross-row checks before handing out the finished census.
 * Not part of the public API.
 */
#ifndef DMS_CENSUS_INTERNAL_H
#define DMS_CENSUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/census.h"
#include "dms/diag.h"

enum census_field {
    CF_EMPLOYEE_ID,
    CF_RELATION,
    CF_BIRTH_DATE,
    CF_SEX,
    CF_REGION,
    CF_DEPARTMENT,
    CF_SEGMENT,
    CF_WORK_MODE,
    CF_COUNT
};

/* English key / column name of a field ("birth_date"). */
extern const char *const dms_census_field_key[CF_COUNT];
/* Russian column name of a field ("Дата рождения"), for messages. */
extern const char *const dms_census_field_ru[CF_COUNT];
/* Whether a field must be present. */
bool dms_census_field_required(enum census_field f);

/* What the cross-row checks need about each row. */
typedef struct census_row_meta {
    int line;
    int id_column;
    bool id_ok;
    bool relation_ok;
} census_row_meta;

typedef struct census_builder {
    dms_census *census;
    census_row_meta *meta;
    size_t cap;
    dms_diag *diag;
    const char *source;      /* CSV: file name for errors */
    bool json;               /* errors as JSON Pointers */
    const char *json_prefix; /* "/people" or "" */
    size_t errors;           /* faults reported by this parse */
    bool nomem;
} census_builder;

/* Sets up an empty builder. Returns DMS_OK or DMS_ENOMEM. */
int dms_census_builder_init(census_builder *b, dms_diag *diag, const char *source, bool json,
                            const char *json_prefix);

/* Appends a zeroed row (strings set to ""); NULL when memory ran out. */
dms_person *dms_census_builder_row(census_builder *b, int line);

/*
 * Validates the text of one field (not NUL-terminated, not yet trimmed) of row
 * `index` and stores it in the row, or reports an error at line:column (CSV)
 * or json_prefix/index/key (JSON). Returns false on a fault.
 */
bool dms_census_builder_field(census_builder *b, size_t index, enum census_field f,
                              const char *text, size_t len, int line, int column);

/* Reports an error for row `index` at field f (f == CF_COUNT: the row itself). */
void dms_census_builder_error(census_builder *b, size_t index, enum census_field f, int line,
                              int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Reports an error at a text position (CSV structure, JSON syntax). */
void dms_census_builder_error_at(census_builder *b, int line, int column, const char *path,
                                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Runs the cross-row checks and, when no fault was reported, hands out the
 * census (*out) with DMS_OK; otherwise frees everything, *out = NULL and
 * returns DMS_EPARSE (DMS_ENOMEM if memory ran out).
 */
int dms_census_builder_finish(census_builder *b, dms_census **out);

/* Frees everything without a result. */
void dms_census_builder_abort(census_builder *b);

/*
 * Lower-cases ASCII and Cyrillic, folds ё to е, turns runs of blanks, '_'
 * and '-' into one space and trims, into out (size out_size). False if the
 * result does not fit.
 */
bool dms_census_normalize(const char *text, size_t len, char *out, size_t out_size);

/* Copies text for display in a message: at most ~60 characters, never cutting
 * a UTF-8 sequence, control bytes and invalid UTF-8 shown as '?'. */
void dms_census_show(const char *text, size_t len, char *out, size_t out_size);

/* true if text is valid UTF-8 without NUL bytes. */
bool dms_census_utf8_valid(const char *text, size_t len);

/* dms_census_parse_json with a file name for syntax errors (line:column). */
int dms_census_parse_json_named(const char *text, size_t len, const char *source, dms_census **out,
                                dms_diag *diag);

#endif
