/*
 * Text helpers for matching what people type: UTF-8 decoding/encoding and
 * one folding rule for names (see src/core/text.c).
 */
#ifndef DMS_TEXT_H
#define DMS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes one UTF-8 character at *s and advances *s; -1 if the bytes are
 * not valid UTF-8 (overlong, surrogate, out of range). Reads up to 4 bytes. */
long dms_utf8_next(const unsigned char **s);

/* Encodes code point cp into out (at least 4 bytes); returns its length. */
size_t dms_utf8_put(long cp, char *out);

/*
 * Folds len bytes of UTF-8 for comparison: Latin and Cyrillic to lower case,
 * ё to е, blanks, tabs, line ends, '-', '_', no-break spaces and dashes
 * (U+2010..U+2015) to one space, leading and trailing separators dropped.
 * Writes a NUL-terminated result into out; false if it does not fit or the
 * text is not valid UTF-8 (or holds NUL).
 */
bool dms_text_fold(const char *text, size_t len, char *out, size_t out_size);

/* True if a and b (NUL-terminated, under 1 KiB folded) fold to the same text. */
bool dms_text_equal_folded(const char *a, const char *b);

/*
 * Bucket of a pointer in an open-addressing table of `buckets` (a power of
 * two) slots. Loaders intern equal strings to one pointer, so tables keyed
 * by pointer group people by region or employee cheaply; the multiplicative
 * (Fibonacci) mix spreads pointers that share their low bits, as strings in
 * separately allocated chunks do.
 */
static inline size_t dms_pointer_hash(const void *p, size_t buckets)
{
    unsigned long long x = (unsigned long long)(size_t)p * 0x9E3779B97F4A7C15ULL;
    return (size_t)(x >> 32) & (buckets - 1);
}

#endif
