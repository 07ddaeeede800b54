/*
 * Strict JSON input: parsing text into jansson values with limits, and a
 * reader that walks a parsed document while tracking the JSON Pointer of the
 * value in hand, so that every loader (model, tariff, plan, policy, HTTP
 * request bodies) reports faults as "/modules/3/frequency/mean: must be a
 * number in [0, 1000]" and refuses keys it does not know.
 *
 * The reader is a cursor over a stack of entered objects and arrays. Member
 * getters read a key of the current object, check its type and range and
 * remember that the key was read; leaving an object reports the first key
 * that nobody read ("unknown key 'foo'" at /path/foo). Errors are sticky:
 * after the first one every call returns that status and does nothing, so a
 * loader may read a run of fields and check once. The reader never
 * allocates; it lives on the caller's stack and needs no cleanup.
 */
#ifndef DMS_JSONREAD_H
#define DMS_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dms/error.h"

/* Deepest nesting of arrays and objects accepted in JSON text. */
#define DMS_JSON_MAX_NESTING 64
/* Largest JSON text accepted, in bytes. */
#define DMS_JSON_MAX_TEXT (16u * 1024u * 1024u)

/*
 * Parses len bytes of UTF-8 JSON text (any value at the top level; a leading
 * byte-order mark is skipped). Refuses with DMS_EPARSE and the line:column of
 * the fault: NUL bytes, invalid UTF-8, nesting deeper than
 * DMS_JSON_MAX_NESTING, duplicate object keys, trailing garbage and anything
 * jansson refuses; with DMS_ETOOBIG text longer than DMS_JSON_MAX_TEXT.
 * On success *out is a new reference the caller must json_decref; on failure
 * *out is NULL.
 */
int dms_json_parse_text(const char *text, size_t len, json_t **out, dms_error *err);

/*
 * Reads and parses a file like dms_json_parse_text; errors carry the file
 * name as their source. DMS_EIO if the file cannot be read.
 */
int dms_json_load_file(const char *path, json_t **out, dms_error *err);

/* Deepest nesting the reader can enter (independent of the text limit). */
#define DMS_JSONREAD_MAX_DEPTH 16
/* Most distinct keys of one object a loader may read (an object may hold
 * fewer; see dms_jsonread_allow_other_keys for maps with data keys). */
#define DMS_JSONREAD_MAX_KEYS 48

/* What dms_jsonread_enter* expects to find. */
enum dms_json_kind { DMS_JSON_ANY, DMS_JSON_OBJECT, DMS_JSON_ARRAY };

typedef struct dms_jsonread_frame {
    const json_t *value;
    size_t path_len; /* length of the pointer up to and including this value */
    bool other_keys; /* skip the unknown-key check on leave */
    unsigned nseen;
    const char *seen[DMS_JSONREAD_MAX_KEYS]; /* keys as stored in value */
} dms_jsonread_frame;

/* Treat as opaque; it is public only so that it can live on the stack. */
typedef struct dms_jsonread {
    dms_error *err;
    int status;
    int depth; /* frames in use; frames[depth-1] is current */
    char path[DMS_ERROR_PATH_MAX];
    dms_jsonread_frame frames[DMS_JSONREAD_MAX_DEPTH];
} dms_jsonread;

/*
 * Starts reading root (borrowed; must outlive the reader), which becomes the
 * current value at pointer "". err may be NULL. When prefix is not NULL it is
 * prepended to every reported pointer (e.g. "/plan" when root is a member of
 * a larger document the caller has already entered).
 */
void dms_jsonread_init(dms_jsonread *r, const json_t *root, const char *prefix, dms_error *err);

/* DMS_OK or the first error recorded. */
int dms_jsonread_status(const dms_jsonread *r);

/* The JSON Pointer of the current value (borrowed, changes as you move). */
const char *dms_jsonread_path(const dms_jsonread *r);

/* The current value (borrowed), for what the getters cannot express. */
const json_t *dms_jsonread_current(const dms_jsonread *r);

/* Checks that the current value is of the given kind (error at its path). */
int dms_jsonread_expect(dms_jsonread *r, enum dms_json_kind kind);

/*
 * Makes member key of the current object the current value; it must exist
 * and be of kind. Pair every successful enter with dms_jsonread_leave.
 */
int dms_jsonread_enter(dms_jsonread *r, const char *key, enum dms_json_kind kind);

/* Makes element index of the current array the current value. */
int dms_jsonread_enter_index(dms_jsonread *r, size_t index, enum dms_json_kind kind);

/*
 * Returns to the enclosing value. If the value being left is an object,
 * first reports (DMS_EINVAL) the first of its keys that no getter or enter
 * read, unless dms_jsonread_allow_other_keys was called on it. Always pops,
 * even after an error.
 */
int dms_jsonread_leave(dms_jsonread *r);

/* Leaves every entered value including the root; returns the status. */
int dms_jsonread_finish(dms_jsonread *r);

/* The current object may hold keys the loader does not read. */
void dms_jsonread_allow_other_keys(dms_jsonread *r);

/* True if the current object has member key (and marks it read). */
bool dms_jsonread_has(dms_jsonread *r, const char *key);

/*
 * Checks that the current value is an array with a length in [min, max] and
 * stores the length in *n (may be NULL).
 */
int dms_jsonread_length(dms_jsonread *r, size_t min, size_t max, size_t *n);

/*
 * Getters. Each reads member key of the current object, or the current
 * value itself when key is NULL. The plain form requires the member; the
 * _opt form leaves *out unchanged and returns DMS_OK when it is absent
 * (preset the default). A JSON null is not "absent": it is a type error.
 * Errors are DMS_EINVAL at the member's pointer.
 */

/* A finite number (integer or real) in [min, max]. */
int dms_jsonread_number(dms_jsonread *r, const char *key, double min, double max, double *out);
int dms_jsonread_number_opt(dms_jsonread *r, const char *key, double min, double max, double *out);

/* A JSON integer (no fraction, no exponent) in [min, max]. */
int dms_jsonread_integer(dms_jsonread *r, const char *key, long long min, long long max,
                         long long *out);
int dms_jsonread_integer_opt(dms_jsonread *r, const char *key, long long min, long long max,
                             long long *out);

/* true or false. */
int dms_jsonread_bool(dms_jsonread *r, const char *key, bool *out);
int dms_jsonread_bool_opt(dms_jsonread *r, const char *key, bool *out);

/*
 * A non-empty string of at most max_len bytes without NUL characters.
 * *out is borrowed from the document.
 */
int dms_jsonread_string(dms_jsonread *r, const char *key, size_t max_len, const char **out);
int dms_jsonread_string_opt(dms_jsonread *r, const char *key, size_t max_len, const char **out);

/* The same, copied into buf of size bytes (so at most size - 1 bytes). */
int dms_jsonread_string_buf(dms_jsonread *r, const char *key, char *buf, size_t size);
int dms_jsonread_string_buf_opt(dms_jsonread *r, const char *key, char *buf, size_t size);

/*
 * An identifier: [a-z][a-z0-9_]* of at most size - 1 bytes, copied into buf
 * (module, network and region codes).
 */
int dms_jsonread_code(dms_jsonread *r, const char *key, char *buf, size_t size);

/*
 * A string equal to one of names (a NULL-terminated list); *out receives its
 * index. The error message lists the allowed names.
 */
int dms_jsonread_enum(dms_jsonread *r, const char *key, const char *const *names, int *out);
int dms_jsonread_enum_opt(dms_jsonread *r, const char *key, const char *const *names, int *out);

/* Element index of the current array, with the rules of the getters above. */
int dms_jsonread_number_at(dms_jsonread *r, size_t index, double min, double max, double *out);
int dms_jsonread_string_at(dms_jsonread *r, size_t index, size_t max_len, const char **out);

/*
 * Records a loader's own error (duplicate code, inconsistent values) at the
 * current value, or at its member key when key is not NULL. Returns code.
 */
int dms_jsonread_fail(dms_jsonread *r, int code, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends "/" and segment escaped per RFC 6901 (~ as ~0, / as ~1) to the
 * pointer in buf of size bytes. Returns false if it did not fit. */
bool dms_json_pointer_append(char *buf, size_t size, const char *segment);

#endif
