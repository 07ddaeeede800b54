/*
 * The JSON text of an answer, byte for byte what json_dumps writes with
 * JSON_COMPACT | DMS_JSON_DUMP_FLAGS, for the picker's answers under load.
 * A draft's answer holds some forty amounts of money; jansson prints each
 * real with printf("%.15g"), which was about a tenth of a draft's CPU and
 * the dump as a whole a fifth. An amount is a whole number of kopecks over
 * 100, and its "%.15g" form is that decimal, so it is written from the
 * integer here; any other real goes through jansson's own printing. Objects
 * keep their insertion order, as with JSON_PRESERVE_ORDER.
 */
#include "dms/api.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/report.h"

struct text {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap > 0 ? t->cap : 1024;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void put_char(struct text *t, char c)
{
    put(t, &c, 1);
}

/* Decimal digits of v (no sign) into the end of buf; returns the first digit. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return end;
}

static void put_integer(struct text *t, json_int_t v)
{
    char buf[24];
    char *end = buf + sizeof buf;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = digits(mag, end);
    if (v < 0)
        *--p = '-';
    put(t, p, (size_t)(end - p));
}

/*
 * A real: when it is k / 100.0 for a whole k below 10^13 in size, "%.15g"
 * gives the decimal k / 100 with trailing zeros (and a bare point) removed,
 * to which jansson adds ".0" for a whole number; written so here. Other
 * reals are printed by jansson itself.
 */
static void put_real(struct text *t, const json_t *json)
{
    double x = json_real_value(json);
    if (fabs(x) < 1e11) {
        double scaled = x * 100.0;
        long long k = llround(scaled);
        if ((double)k / 100.0 == x && (k != 0 || !signbit(x))) {
            uint64_t mag = k < 0 ? (uint64_t)0 - (uint64_t)k : (uint64_t)k;
            char buf[32];
            char *end = buf + sizeof buf;
            unsigned cents = (unsigned)(mag % 100);
            if (cents == 0) {
                *--end = '0';
            } else if (cents % 10 == 0) {
                *--end = (char)('0' + cents / 10);
            } else {
                *--end = (char)('0' + cents % 10);
                *--end = (char)('0' + cents / 10);
            }
            *--end = '.';
            char *p = digits(mag / 100, end);
            if (k < 0)
                *--p = '-';
            put(t, p, (size_t)(buf + sizeof buf - p));
            return;
        }
    }
    char *text = json_dumps(json, JSON_ENCODE_ANY | JSON_COMPACT | DMS_JSON_DUMP_FLAGS);
    if (text == NULL) {
        t->failed = true;
        return;
    }
    put(t, text, strlen(text));
    free(text);
}

/* A string as jansson writes it without JSON_ENSURE_ASCII: UTF-8 kept as is. */
static void put_string(struct text *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    put_char(t, '"');
    size_t run = 0; /* bytes since the last escape, written in one piece */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(t, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        put(t, esc, len);
    }
    put(t, s + run, n - run);
    put_char(t, '"');
}

static void put_value(struct text *t, const json_t *json, int depth)
{
    if (depth > 2048) { /* jansson's own limit on nesting */
        t->failed = true;
        return;
    }
    switch (json_typeof(json)) {
    case JSON_OBJECT: {
        put_char(t, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)json); it != NULL;
             it = json_object_iter_next((json_t *)json, it)) {
            if (!first)
                put_char(t, ',');
            first = false;
            put_string(t, json_object_iter_key(it), json_object_iter_key_len(it));
            put_char(t, ':');
            put_value(t, json_object_iter_value(it), depth + 1);
        }
        put_char(t, '}');
        break;
    }
    case JSON_ARRAY:
        put_char(t, '[');
        for (size_t i = 0; i < json_array_size(json); i++) {
            if (i > 0)
                put_char(t, ',');
            put_value(t, json_array_get(json, i), depth + 1);
        }
        put_char(t, ']');
        break;
    case JSON_STRING:
        put_string(t, json_string_value(json), json_string_length(json));
        break;
    case JSON_INTEGER:
        put_integer(t, json_integer_value(json));
        break;
    case JSON_REAL:
        put_real(t, json);
        break;
    case JSON_TRUE:
        put(t, "true", 4);
        break;
    case JSON_FALSE:
        put(t, "false", 5);
        break;
    case JSON_NULL:
        put(t, "null", 4);
        break;
    }
}

char *dms_api_json_text(const json_t *json, size_t *len)
{
    if (len != NULL)
        *len = 0;
    if (json == NULL || (!json_is_object(json) && !json_is_array(json)))
        return NULL; /* json_dumps without JSON_ENCODE_ANY refuses the rest */
    struct text t = {0};
    put_value(&t, json, 0);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    if (len != NULL)
        *len = t.len;
    return t.buf;
}
