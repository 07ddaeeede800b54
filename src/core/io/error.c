/*
 * The error record and status names shared by every module. Nothing here
 * allocates, so errors can be reported when memory has run out.
 */
#include "dms/error.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [DMS_OK] = {"ok", "success"},
    [DMS_EINVAL] = {"invalid_parameter", "invalid parameter"},
    [DMS_ENOMEM] = {"out_of_memory", "out of memory"},
    [DMS_ENUMERIC] = {"numerical_failure", "numerical method failed"},
    [DMS_EPARSE] = {"parse_error", "malformed input"},
    [DMS_EIO] = {"io_error", "input/output error"},
    [DMS_ENOTFOUND] = {"not_found", "not found"},
    [DMS_ECONFLICT] = {"conflict", "conflict with stored state"},
    [DMS_ETOOBIG] = {"too_large", "input or result too large"},
    [DMS_EFORBIDDEN] = {"forbidden", "not allowed for this caller"},
    [DMS_EUNAUTH] = {"unauthorized", "caller not identified"},
    [DMS_EINTERNAL] = {"internal_error", "internal error"},
};

static bool status_known(int status)
{
    return status >= 0 && status < (int)(sizeof status_table / sizeof status_table[0]) &&
           status_table[status].name != NULL;
}

const char *dms_strerror(int status)
{
    return status_known(status) ? status_table[status].text : "unknown error";
}

const char *dms_status_name(int status)
{
    return status_known(status) ? status_table[status].name : "unknown_error";
}

void dms_error_clear(dms_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof *err);
}

int dms_error_vset(dms_error *err, int code, const char *path, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != DMS_OK)
        return code;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    snprintf(err->path, sizeof err->path, "%s", path != NULL ? path : "");
    err->source[0] = '\0';
    err->line = err->column = 0;
    return code;
}

int dms_error_set(dms_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(err, code, path, fmt, ap);
    va_end(ap);
    return code;
}

int dms_error_set_at(dms_error *err, int code, const char *source, int line, int column,
                     const char *fmt, ...)
{
    if (err == NULL || err->code != DMS_OK)
        return code;
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    snprintf(err->source, sizeof err->source, "%s", source != NULL ? source : "");
    err->line = line;
    err->column = column;
    return code;
}

void dms_error_prefix_path(dms_error *err, const char *prefix)
{
    if (err == NULL || err->code == DMS_OK || prefix == NULL || prefix[0] == '\0')
        return;
    char joined[DMS_ERROR_PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->path);
    memcpy(err->path, joined, sizeof joined);
}

const char *dms_error_format(const dms_error *err, char *buf, int size)
{
    if (size <= 0)
        return buf;
    if (err == NULL || err->code == DMS_OK) {
        snprintf(buf, (size_t)size, "no error");
    } else if (err->line > 0) {
        snprintf(buf, (size_t)size, "%s:%d:%d: %s", err->source[0] ? err->source : "<input>",
                 err->line, err->column, err->message);
    } else if (err->path[0] != '\0') {
        snprintf(buf, (size_t)size, "%s: %s", err->path, err->message);
    } else {
        snprintf(buf, (size_t)size, "%s", err->message);
    }
    return buf;
}
