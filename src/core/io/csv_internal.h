/*
 * The one CSV tokenizer and string pool behind every text reader of the core
 * (census, claims register, membership history): RFC 4180 records (quoted
 * fields with delimiters, doubled quotes and line breaks), a UTF-8 BOM, ';' or
 * ',' detected from the first line, CRLF, LF or CR line ends, and the line and
 * column (in UTF-8 characters) of every field; plus an interning pool in which
 * equal strings share one copy. Each reader keeps its own header vocabulary
 * and field checks. Not part of the public API.
 */
#ifndef DMS_CSV_INTERNAL_H
#define DMS_CSV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/diag.h"

typedef struct csv_field {
    size_t off; /* into the input, or into scratch when quoted */
    size_t len;
    int line;
    int column;
    bool quoted;
} csv_field;

struct csv_reader;

/* Reports a structural fault at line:column (msg is a complete sentence). */
typedef void csv_fault_fn(struct csv_reader *r, int line, int column, const char *msg);

typedef struct csv_reader {
    const char *s;
    size_t n;
    size_t pos;
    int line;
    int column;
    char delim;
    csv_field *fields;
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
    size_t errors;       /* structural faults reported */
    csv_fault_fn *fault; /* NULL: into diag as DMS_EPARSE at source:line:column */
    void *ctx;           /* for fault */
} csv_reader;

/*
 * Sets up a reader over text (len bytes; text may be NULL when len is 0):
 * skips a UTF-8 BOM and picks ';' or ',', whichever the first line has more
 * of outside quotes (',' on a tie). Allocates nothing.
 */
void dms_csv_init(csv_reader *r, const char *text, size_t len, const char *source, dms_diag *diag);

/*
 * Reads the next record into r->fields. false at the end of input or when
 * memory ran out (r->nomem). A structural fault (unclosed quote, text after a
 * closing quote) is reported through r->fault, counted in r->errors and sets
 * r->bad for this record, which is still returned.
 */
bool dms_csv_record(csv_reader *r);

/* Text of field i of the current record, trimmed (dms_csv_trim); borrowed. */
const char *dms_csv_text(const csv_reader *r, size_t i, size_t *len);

/* true if every field of the current record is blank after trimming. */
bool dms_csv_blank(const csv_reader *r);

/*
 * Reads records up to the first one that is not blank (or is bad): the
 * header. false when there is none or memory ran out (r->nomem).
 */
bool dms_csv_header(csv_reader *r);

/* Frees the record buffers. The reader may not be used afterwards. */
void dms_csv_release(csv_reader *r);

/* Trims ASCII blanks and no-break spaces (U+00A0) from both ends. */
void dms_csv_trim(const char **text, size_t *len);

/* An interning string pool: equal strings share one NUL-terminated copy. */
typedef struct csv_slot {
    const char *s;
    size_t len;
    uint32_t hash;
    size_t tag; /* the caller's, 0 when the string is first interned */
} csv_slot;

typedef struct csv_pool {
    struct csv_chunk *chunks;
    csv_slot *slots;
    size_t cap; /* power of two */
    size_t used;
} csv_pool;

/*
 * The slot of text (len bytes, not NUL-terminated), copied in if new; NULL
 * when memory ran out. The pointer is valid until the next interning.
 */
csv_slot *dms_csv_pool_slot(csv_pool *p, const char *text, size_t len);

/* Interns text; the copy lives until dms_csv_pool_release. NULL on ENOMEM. */
const char *dms_csv_pool_intern(csv_pool *p, const char *text, size_t len);

/* The slot of a string this pool handed out (compared by pointer), or NULL. */
csv_slot *dms_csv_pool_find(const csv_pool *p, const char *interned);

/*
 * Frees the hash index but keeps the strings (for a finished, read-only
 * result). Later interning still works but no longer shares earlier copies.
 */
void dms_csv_pool_drop_index(csv_pool *p);

/* Frees strings and index; the pool is empty again. */
void dms_csv_pool_release(csv_pool *p);

#endif
