/*
 * Shared by the claims-experience readers (claims_csv.c for the register,
 * exposure.c for the membership history): an RFC 4180 tokenizer that tracks
 * line and column (UTF-8 characters) of every field and reports structural
 * faults into a dms_diag, a string pool that interns values, and the field
 * parsers for money and dates. Not part of the public API.
 */
#ifndef DMS_CLAIMS_INTERNAL_H
#define DMS_CLAIMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/diag.h"

typedef struct cl_field {
    size_t off; /* into the input, or into scratch when quoted */
    size_t len;
    int line;
    int column;
    bool quoted;
} cl_field;

typedef struct cl_csv {
    const char *s;
    size_t n;
    size_t pos;
    int line;
    int column;
    char delim;
    cl_field *fields;
    size_t nfields;
    size_t cap_fields;
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
    int end_column; /* column just past the last field of the record */
    bool bad;       /* a structural fault was reported for this record */
    bool nomem;
    const char *source;
    dms_diag *diag;
    size_t errors; /* structural faults reported */
} cl_csv;

/* Sets up a reader over text (skips a BOM, detects ';' or ','). */
void cl_csv_init(cl_csv *r, const char *text, size_t len, const char *source, dms_diag *diag);

/* Reads one record; false at the end of input or when memory ran out. */
bool cl_csv_record(cl_csv *r);

/* Trimmed text of field i of the current record. */
const char *cl_csv_text(const cl_csv *r, size_t i, size_t *len);

/* true if every field of the current record is blank. */
bool cl_csv_blank(const cl_csv *r);

void cl_csv_release(cl_csv *r);

/* An interning string pool: equal strings share one pointer. */
typedef struct cl_pool {
    struct cl_chunk *chunks;
    struct cl_slot {
        const char *s;
        size_t len;
        uint32_t hash;
    } * slots;
    size_t cap;
    size_t used;
} cl_pool;

/* Interns text (len bytes, not NUL-terminated). NULL when memory ran out. */
const char *cl_pool_intern(cl_pool *p, const char *text, size_t len);
void cl_pool_release(cl_pool *p);

/*
 * Money "12 345,67" / "12345.67" / "1 000" into kopecks. comma_ok allows ','
 * as decimal mark. false with a message on a fault (negative, too many
 * decimals, not a number, absurdly large).
 */
bool cl_parse_money(const char *t, size_t len, bool comma_ok, int64_t *kopecks, char *msg,
                    size_t msize);

/* A date YYYY-MM-DD or DD.MM.YYYY (census rules) into days since 1970-01-01. */
bool cl_parse_date(const char *t, size_t len, long *days, char *msg, size_t msize);

#endif
