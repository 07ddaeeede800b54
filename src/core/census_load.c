/*
 * A census from a file on disk: read whole through the one file reader
 * (file.h, with its limit and its messages in both languages), then parsed
 * as JSON or CSV by the file's extension, or by its first character when
 * the extension says neither. Kept apart from census.c, whose row builder
 * both parsers use, so that the parsers depend on the builder and only
 * this loader on the parsers.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "census_internal.h"
#include "dms/file.h"

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char a = s[n - k + i], c = suffix[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (a != c)
            return false;
    }
    return true;
}

static bool looks_like_json(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    return i < len && (text[i] == '[' || text[i] == '{');
}

int dms_census_load_file(const char *path, dms_census **out, dms_diag *diag)
{
    if (out == NULL || path == NULL)
        return DMS_EINVAL;
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int status = dms_file_read_diag(path, DMS_CENSUS_MAX_BYTES, "the census", &text, &len, diag);
    if (status != DMS_OK)
        return status;
    if (ends_with_ci(path, ".json") || (!ends_with_ci(path, ".csv") && looks_like_json(text, len)))
        status = dms_census_parse_json_named(text, len, path, out, diag);
    else
        status = dms_census_parse_csv(text, len, path, out, diag);
    free(text);
    return status;
}
