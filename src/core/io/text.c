/*
 * Text helpers shared by every loader that matches words people type:
 * UTF-8 decoding and encoding, and the one case and separator folding used
 * for census vocabularies, region names, segment and department names, so
 * that "Г. Санкт-Петербург", "санкт петербург" and "САНКТ–ПЕТЕРБУРГ" compare
 * equal everywhere. Done by hand for Latin and Cyrillic: the C locale knows
 * neither, and a service must not depend on the locale it is started in.
 */
#include "dms/text.h"

#include <string.h>

/* Decodes one UTF-8 character at *s (advancing it); -1 if invalid. */
long dms_utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    long cp;
    int n;
    if (p[0] < 0x80) {
        cp = p[0];
        n = 1;
    } else if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        cp = p[0] & 0x1F;
        n = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        cp = p[0] & 0x0F;
        n = 3;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        cp = p[0] & 0x07;
        n = 4;
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *s = p + n;
    return cp;
}

size_t dms_utf8_put(long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Lower case for Latin and Cyrillic, ё folded to е, separators to ' '. */
static long fold_codepoint(long cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp >= 0x0410 && cp <= 0x042F) /* А..Я */
        return cp + 32;
    if (cp >= 0x0400 && cp <= 0x040F) /* Ѐ..Џ */
        cp += 80;
    if (cp == 0x0451) /* ё */
        return 0x0435;
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '-' || cp == '_' ||
        cp == 0x00A0 || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x202F)
        return ' ';
    return cp;
}

bool dms_text_fold(const char *text, size_t len, char *out, size_t out_size)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    size_t o = 0;
    bool pending_space = false;
    if (out_size == 0)
        return false;
    while (p < end) {
        /* dms_utf8_next reads up to 4 bytes: refuse a sequence cut by len. */
        size_t avail = (size_t)(end - p);
        size_t need = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
        if (need > avail)
            return false;
        long cp = dms_utf8_next(&p);
        if (cp < 0 || cp == 0)
            return false;
        cp = fold_codepoint(cp);
        if (cp == ' ') {
            pending_space = o > 0;
            continue;
        }
        char tmp[4];
        size_t k = dms_utf8_put(cp, tmp);
        if (o + (pending_space ? 1 : 0) + k + 1 > out_size)
            return false;
        if (pending_space) {
            out[o++] = ' ';
            pending_space = false;
        }
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
    return true;
}

bool dms_text_equal_folded(const char *a, const char *b)
{
    char fa[1024], fb[1024];
    return dms_text_fold(a, strlen(a), fa, sizeof fa) &&
           dms_text_fold(b, strlen(b), fb, sizeof fb) && strcmp(fa, fb) == 0;
}
