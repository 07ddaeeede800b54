/*
 * Strict number parsing shared by the CLI and the argument parsers. strtod
 * alone accepts " 1", "0x10", "inf" and "nan"; a price engine must not.
 */
#include "dms/parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Only digits, sign, point and exponent: no hex, inf, nan or blanks. */
static bool plain_decimal(const char *text)
{
    if (text[0] == '\0')
        return false;
    return strspn(text, "0123456789+-.eE") == strlen(text);
}

bool dms_parse_double(const char *text, double *out)
{
    if (text == NULL || !plain_decimal(text))
        return false;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool dms_parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
    if (text == NULL || text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > max)
        return false;
    *out = v;
    return true;
}
