/*
 * Strict JSON parsing and the pointer-tracking reader that every loader uses.
 * Parsing adds to jansson what a service needs from untrusted text: a size
 * limit, a nesting limit checked before jansson recurses, and clear
 * line:column reports for NUL bytes and invalid UTF-8. The reader keeps the
 * JSON Pointer of the current value in a fixed buffer and, per entered
 * object, the keys the loader read, so that unknown keys are errors.
 */
#include "dms/file.h"
#include "dms/jsonread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---------------------------------------------------------- */

/*
 * Length of the UTF-8 sequence at s (at most avail bytes), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are refused.
 */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/*
 * One pass over the text before jansson sees it: NUL bytes, UTF-8 validity
 * and nesting depth (outside strings). Columns count characters, as
 * jansson's do.
 */
static int prescan(const unsigned char *s, size_t len, const char *source, dms_error *err)
{
    int line = 1, column = 1, depth = 0;
    bool in_string = false, escaped = false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0)
            return dms_error_set_at(err, DMS_EPARSE, source, line, column, "NUL byte in JSON text");
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0)
            return dms_error_set_at(err, DMS_EPARSE, source, line, column,
                                    "invalid UTF-8 byte 0x%02X in JSON text", c);
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > DMS_JSON_MAX_NESTING)
                return dms_error_set_at(err, DMS_EPARSE, source, line, column,
                                        "JSON nested deeper than %d levels", DMS_JSON_MAX_NESTING);
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        if (c == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        i += n;
    }
    return DMS_OK;
}

static int parse_text(const char *text, size_t len, const char *source, json_t **out,
                      dms_error *err)
{
    *out = NULL;
    if (text == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no JSON text");
    if (len > DMS_JSON_MAX_TEXT)
        return dms_error_set_at(err, DMS_ETOOBIG, source, 1, 1,
                                "JSON text of %zu bytes exceeds the limit of %u bytes", len,
                                DMS_JSON_MAX_TEXT);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    int status = prescan((const unsigned char *)text, len, source, err);
    if (status != DMS_OK)
        return status;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL)
        return dms_error_set_at(err, DMS_EPARSE, source, jerr.line > 0 ? jerr.line : 1,
                                jerr.column > 0 ? jerr.column : 1, "%s", jerr.text);
    *out = root;
    return DMS_OK;
}

int dms_json_parse_text(const char *text, size_t len, json_t **out, dms_error *err)
{
    dms_error_clear(err);
    return parse_text(text, len, NULL, out, err);
}

int dms_json_load_file(const char *path, json_t **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int status = dms_file_read(path, DMS_JSON_MAX_TEXT, path, &buf, &len, err);
    if (status == DMS_OK)
        status = parse_text(buf, len, path, out, err);
    free(buf);
    return status;
}

/* ---- pointers ----------------------------------------------------------- */

bool dms_json_pointer_append(char *buf, size_t size, const char *segment)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return false;
    buf[n++] = '/';
    for (const char *p = segment; *p != '\0'; p++) {
        const char *rep = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
        size_t k = rep != NULL ? 2 : 1;
        if (n + k >= size) {
            buf[n] = '\0';
            return false;
        }
        if (rep != NULL) {
            buf[n++] = rep[0];
            buf[n++] = rep[1];
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
    return true;
}

/* ---- the reader ------------------------------------------------------- */

static dms_jsonread_frame *current(dms_jsonread *r)
{
    return &r->frames[r->depth - 1];
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* Pointer of member key of the current value (or the current one). */
static void member_path(const dms_jsonread *r, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s", r->path);
    if (key != NULL)
        dms_json_pointer_append(buf, size, key);
}

static int vfail(dms_jsonread *r, int code, const char *key, const char *fmt, va_list ap)
{
    if (r->status != DMS_OK)
        return r->status;
    char path[DMS_ERROR_PATH_MAX];
    member_path(r, key, path, sizeof path);
    r->status = code;
    dms_error_vset(r->err, code, path, fmt, ap);
    return code;
}

int dms_jsonread_fail(dms_jsonread *r, int code, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(r, code, key, fmt, ap);
    va_end(ap);
    return r->status;
}

void dms_jsonread_init(dms_jsonread *r, const json_t *root, const char *prefix, dms_error *err)
{
    dms_error_clear(err);
    r->err = err;
    r->status = DMS_OK;
    r->depth = 1;
    snprintf(r->path, sizeof r->path, "%s", prefix != NULL ? prefix : "");
    dms_jsonread_frame *f = &r->frames[0];
    f->value = root;
    f->path_len = strlen(r->path);
    f->other_keys = false;
    f->nseen = 0;
    if (root == NULL)
        dms_jsonread_fail(r, DMS_EINVAL, NULL, "no JSON document");
}

int dms_jsonread_status(const dms_jsonread *r)
{
    return r->status;
}

const char *dms_jsonread_path(const dms_jsonread *r)
{
    return r->path;
}

const json_t *dms_jsonread_current(const dms_jsonread *r)
{
    return r->depth > 0 ? r->frames[r->depth - 1].value : NULL;
}

static bool kind_matches(const json_t *v, enum dms_json_kind kind)
{
    return kind == DMS_JSON_ANY || (kind == DMS_JSON_OBJECT && json_is_object(v)) ||
           (kind == DMS_JSON_ARRAY && json_is_array(v));
}

static int check_kind(dms_jsonread *r, const char *key, const json_t *v, enum dms_json_kind kind)
{
    if (kind_matches(v, kind))
        return DMS_OK;
    return dms_jsonread_fail(r, DMS_EINVAL, key, "expected %s, got %s",
                             kind == DMS_JSON_OBJECT ? "an object" : "an array", kind_name(v));
}

int dms_jsonread_expect(dms_jsonread *r, enum dms_json_kind kind)
{
    if (r->status != DMS_OK)
        return r->status;
    return check_kind(r, NULL, current(r)->value, kind);
}

/* Remembers that key (as stored in obj) was read. */
static int mark_seen(dms_jsonread *r, const char *key)
{
    dms_jsonread_frame *f = current(r);
    void *iter = json_object_iter_at((json_t *)f->value, key);
    if (iter == NULL)
        return DMS_OK;
    const char *stored = json_object_iter_key(iter);
    for (unsigned i = 0; i < f->nseen; i++)
        if (f->seen[i] == stored)
            return DMS_OK;
    if (f->nseen == DMS_JSONREAD_MAX_KEYS) {
        if (f->other_keys)
            return DMS_OK;
        return dms_jsonread_fail(r, DMS_EINTERNAL, key, "reader tracks at most %d keys per object",
                                 DMS_JSONREAD_MAX_KEYS);
    }
    f->seen[f->nseen++] = stored;
    return DMS_OK;
}

/*
 * The member key of the current object (marked read), or the current value
 * for key NULL. *out is NULL if the member is absent; then DMS_OK is returned
 * for optional reads and an error for required ones.
 */
static int lookup(dms_jsonread *r, const char *key, bool required, const json_t **out)
{
    *out = NULL;
    if (r->status != DMS_OK)
        return r->status;
    const json_t *cur = current(r)->value;
    if (key == NULL) {
        *out = cur;
        return DMS_OK;
    }
    if (!json_is_object(cur))
        return dms_jsonread_fail(r, DMS_EINVAL, NULL, "expected an object, got %s", kind_name(cur));
    const json_t *v = json_object_get(cur, key);
    if (v == NULL) {
        if (required)
            return dms_jsonread_fail(r, DMS_EINVAL, key, "missing required key '%s'", key);
        return DMS_OK;
    }
    int status = mark_seen(r, key);
    if (status == DMS_OK)
        *out = v;
    return status;
}

static int push(dms_jsonread *r, const json_t *v)
{
    if (r->depth == DMS_JSONREAD_MAX_DEPTH)
        return dms_jsonread_fail(r, DMS_ETOOBIG, NULL, "nesting deeper than %d levels",
                                 DMS_JSONREAD_MAX_DEPTH);
    dms_jsonread_frame *f = &r->frames[r->depth++];
    f->value = v;
    f->path_len = strlen(r->path);
    f->other_keys = false;
    f->nseen = 0;
    return DMS_OK;
}

int dms_jsonread_enter(dms_jsonread *r, const char *key, enum dms_json_kind kind)
{
    const json_t *v;
    int status = lookup(r, key, true, &v);
    if (status != DMS_OK)
        return status;
    if ((status = check_kind(r, key, v, kind)) != DMS_OK)
        return status;
    if (key != NULL) {
        char path[DMS_ERROR_PATH_MAX];
        member_path(r, key, path, sizeof path);
        memcpy(r->path, path, sizeof path);
    }
    return push(r, v);
}

int dms_jsonread_enter_index(dms_jsonread *r, size_t index, enum dms_json_kind kind)
{
    if (r->status != DMS_OK)
        return r->status;
    const json_t *cur = current(r)->value;
    if (!json_is_array(cur))
        return dms_jsonread_fail(r, DMS_EINVAL, NULL, "expected an array, got %s", kind_name(cur));
    char seg[32];
    snprintf(seg, sizeof seg, "%zu", index);
    const json_t *v = json_array_get(cur, index);
    if (v == NULL)
        return dms_jsonread_fail(r, DMS_EINVAL, seg, "array has no element %zu", index);
    int status = check_kind(r, seg, v, kind);
    if (status != DMS_OK)
        return status;
    dms_json_pointer_append(r->path, sizeof r->path, seg);
    return push(r, v);
}

static int check_unknown_keys(dms_jsonread *r)
{
    dms_jsonread_frame *f = current(r);
    if (f->other_keys || !json_is_object(f->value))
        return DMS_OK;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)f->value, key, value)
    {
        bool seen = false;
        for (unsigned i = 0; i < f->nseen && !seen; i++)
            seen = f->seen[i] == key;
        if (!seen)
            return dms_jsonread_fail(r, DMS_EINVAL, key, "unknown key '%s'", key);
    }
    return DMS_OK;
}

int dms_jsonread_leave(dms_jsonread *r)
{
    if (r->depth == 0)
        return r->status;
    if (r->status == DMS_OK)
        check_unknown_keys(r);
    r->depth--;
    size_t len = r->depth > 0 ? r->frames[r->depth - 1].path_len : 0;
    if (len < sizeof r->path)
        r->path[len] = '\0';
    return r->status;
}

int dms_jsonread_finish(dms_jsonread *r)
{
    while (r->depth > 0)
        dms_jsonread_leave(r);
    return r->status;
}

void dms_jsonread_allow_other_keys(dms_jsonread *r)
{
    if (r->depth > 0)
        current(r)->other_keys = true;
}

bool dms_jsonread_has(dms_jsonread *r, const char *key)
{
    if (r->status != DMS_OK || r->depth == 0)
        return false;
    const json_t *cur = current(r)->value;
    if (!json_is_object(cur) || json_object_get(cur, key) == NULL)
        return false;
    return mark_seen(r, key) == DMS_OK;
}

int dms_jsonread_length(dms_jsonread *r, size_t min, size_t max, size_t *n)
{
    if (r->status != DMS_OK)
        return r->status;
    const json_t *cur = current(r)->value;
    if (!json_is_array(cur))
        return dms_jsonread_fail(r, DMS_EINVAL, NULL, "expected an array, got %s", kind_name(cur));
    size_t size = json_array_size(cur);
    if (size < min || size > max) {
        if (min == max)
            return dms_jsonread_fail(r, DMS_EINVAL, NULL,
                                     "expected an array of %zu elements, got %zu", min, size);
        return dms_jsonread_fail(r, DMS_EINVAL, NULL,
                                 "expected an array of %zu to %zu elements, got %zu", min, max,
                                 size);
    }
    if (n != NULL)
        *n = size;
    return DMS_OK;
}

/* ---- typed getters ------------------------------------------------------ */

static int read_number(dms_jsonread *r, const char *key, bool required, double min, double max,
                       double *out)
{
    const json_t *v;
    int status = lookup(r, key, required, &v);
    if (status != DMS_OK || v == NULL)
        return status;
    if (!json_is_number(v))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "expected a number, got %s", kind_name(v));
    double x = json_number_value(v);
    if (!isfinite(x) || x < min || x > max)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "expected a number in [%g, %g], got %g", min,
                                 max, x);
    *out = x;
    return DMS_OK;
}

int dms_jsonread_number(dms_jsonread *r, const char *key, double min, double max, double *out)
{
    return read_number(r, key, true, min, max, out);
}

int dms_jsonread_number_opt(dms_jsonread *r, const char *key, double min, double max, double *out)
{
    return read_number(r, key, false, min, max, out);
}

static int read_integer(dms_jsonread *r, const char *key, bool required, long long min,
                        long long max, long long *out)
{
    const json_t *v;
    int status = lookup(r, key, required, &v);
    if (status != DMS_OK || v == NULL)
        return status;
    if (!json_is_integer(v))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "expected an integer, got %s",
                                 json_is_real(v) ? "a fraction" : kind_name(v));
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return dms_jsonread_fail(r, DMS_EINVAL, key,
                                 "expected an integer in [%lld, %lld], got %lld", min, max, x);
    *out = x;
    return DMS_OK;
}

int dms_jsonread_integer(dms_jsonread *r, const char *key, long long min, long long max,
                         long long *out)
{
    return read_integer(r, key, true, min, max, out);
}

int dms_jsonread_integer_opt(dms_jsonread *r, const char *key, long long min, long long max,
                             long long *out)
{
    return read_integer(r, key, false, min, max, out);
}

static int read_bool(dms_jsonread *r, const char *key, bool required, bool *out)
{
    const json_t *v;
    int status = lookup(r, key, required, &v);
    if (status != DMS_OK || v == NULL)
        return status;
    if (!json_is_boolean(v))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "expected true or false, got %s",
                                 kind_name(v));
    *out = json_is_true(v);
    return DMS_OK;
}

int dms_jsonread_bool(dms_jsonread *r, const char *key, bool *out)
{
    return read_bool(r, key, true, out);
}

int dms_jsonread_bool_opt(dms_jsonread *r, const char *key, bool *out)
{
    return read_bool(r, key, false, out);
}

/* Checks a string value v found at member key. */
static int check_string(dms_jsonread *r, const char *key, const json_t *v, size_t max_len)
{
    if (!json_is_string(v))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "expected a string, got %s", kind_name(v));
    size_t len = json_string_length(v);
    if (len == 0)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "must not be empty");
    if (strlen(json_string_value(v)) != len)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "must not contain NUL characters");
    if (len > max_len)
        return dms_jsonread_fail(r, DMS_EINVAL, key, "longer than %zu bytes", max_len);
    return DMS_OK;
}

static int read_string(dms_jsonread *r, const char *key, bool required, size_t max_len,
                       const char **out)
{
    const json_t *v;
    int status = lookup(r, key, required, &v);
    if (status != DMS_OK || v == NULL)
        return status;
    if ((status = check_string(r, key, v, max_len)) != DMS_OK)
        return status;
    *out = json_string_value(v);
    return DMS_OK;
}

int dms_jsonread_string(dms_jsonread *r, const char *key, size_t max_len, const char **out)
{
    return read_string(r, key, true, max_len, out);
}

int dms_jsonread_string_opt(dms_jsonread *r, const char *key, size_t max_len, const char **out)
{
    return read_string(r, key, false, max_len, out);
}

static int read_string_buf(dms_jsonread *r, const char *key, bool required, char *buf, size_t size)
{
    const char *s = NULL;
    if (size == 0)
        return dms_jsonread_fail(r, DMS_EINTERNAL, key, "no room for a string");
    int status = read_string(r, key, required, size - 1, &s);
    if (status == DMS_OK && s != NULL)
        memcpy(buf, s, strlen(s) + 1);
    return status;
}

int dms_jsonread_string_buf(dms_jsonread *r, const char *key, char *buf, size_t size)
{
    return read_string_buf(r, key, true, buf, size);
}

int dms_jsonread_string_buf_opt(dms_jsonread *r, const char *key, char *buf, size_t size)
{
    return read_string_buf(r, key, false, buf, size);
}

int dms_jsonread_code(dms_jsonread *r, const char *key, char *buf, size_t size)
{
    const char *s = NULL;
    if (size == 0)
        return dms_jsonread_fail(r, DMS_EINTERNAL, key, "no room for a code");
    int status = read_string(r, key, true, size - 1, &s);
    if (status != DMS_OK)
        return status;
    bool ok = s[0] >= 'a' && s[0] <= 'z';
    for (const char *p = s; ok && *p != '\0'; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (!ok)
        return dms_jsonread_fail(r, DMS_EINVAL, key,
                                 "'%.64s' is not a code: use lower-case latin letters, digits "
                                 "and '_', starting with a letter",
                                 s);
    memcpy(buf, s, strlen(s) + 1);
    return DMS_OK;
}

static int read_enum(dms_jsonread *r, const char *key, bool required, const char *const *names,
                     int *out)
{
    const char *s = NULL;
    int status = read_string(r, key, required, 256, &s);
    if (status != DMS_OK || s == NULL)
        return status;
    char allowed[DMS_ERROR_MESSAGE_MAX / 2] = "";
    size_t used = 0;
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return DMS_OK;
        }
        int n = snprintf(allowed + used, sizeof allowed - used, "%s'%s'", i ? ", " : "", names[i]);
        if (n > 0 && (size_t)n < sizeof allowed - used)
            used += (size_t)n;
    }
    return dms_jsonread_fail(r, DMS_EINVAL, key, "'%.64s' is not one of %s", s, allowed);
}

int dms_jsonread_enum(dms_jsonread *r, const char *key, const char *const *names, int *out)
{
    return read_enum(r, key, true, names, out);
}

int dms_jsonread_enum_opt(dms_jsonread *r, const char *key, const char *const *names, int *out)
{
    return read_enum(r, key, false, names, out);
}

int dms_jsonread_number_at(dms_jsonread *r, size_t index, double min, double max, double *out)
{
    int status = dms_jsonread_enter_index(r, index, DMS_JSON_ANY);
    if (status != DMS_OK)
        return status;
    read_number(r, NULL, true, min, max, out);
    return dms_jsonread_leave(r);
}

int dms_jsonread_string_at(dms_jsonread *r, size_t index, size_t max_len, const char **out)
{
    int status = dms_jsonread_enter_index(r, index, DMS_JSON_ANY);
    if (status != DMS_OK)
        return status;
    read_string(r, NULL, true, max_len, out);
    return dms_jsonread_leave(r);
}
