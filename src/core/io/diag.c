/*
 * The diagnostics list: a growable array of dms_error records with a cap,
 * plus a counter of everything added. Growth is geometric, so adding n
 * records costs O(n) overall.
 */
#include "dms/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dms_diag {
    dms_error *items;
    size_t kept;
    size_t capacity;
    size_t limit;
    size_t count;
};

int dms_diag_alloc(size_t limit, dms_diag **out)
{
    if (out == NULL)
        return DMS_EINVAL;
    *out = NULL;
    dms_diag *diag = calloc(1, sizeof *diag);
    if (diag == NULL)
        return DMS_ENOMEM;
    diag->limit = limit > 0 ? limit : DMS_DIAG_DEFAULT_LIMIT;
    *out = diag;
    return DMS_OK;
}

void dms_diag_free(dms_diag *diag)
{
    if (diag == NULL)
        return;
    free(diag->items);
    free(diag);
}

void dms_diag_clear(dms_diag *diag)
{
    if (diag == NULL)
        return;
    diag->kept = 0;
    diag->count = 0;
}

int dms_diag_add(dms_diag *diag, const dms_error *err)
{
    if (diag == NULL || err == NULL || err->code == DMS_OK)
        return DMS_OK;
    diag->count++;
    if (diag->kept >= diag->limit)
        return DMS_OK;
    if (diag->kept == diag->capacity) {
        size_t cap = diag->capacity ? diag->capacity * 2 : 8;
        if (cap > diag->limit)
            cap = diag->limit;
        dms_error *items = realloc(diag->items, cap * sizeof *items);
        if (items == NULL)
            return DMS_ENOMEM;
        diag->items = items;
        diag->capacity = cap;
    }
    diag->items[diag->kept++] = *err;
    return DMS_OK;
}

int dms_diag_add_at(dms_diag *diag, int code, const char *source, int line, int column,
                    const char *fmt, ...)
{
    if (diag == NULL)
        return code;
    dms_error err;
    dms_error_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(&err, code, NULL, fmt, ap);
    va_end(ap);
    snprintf(err.source, sizeof err.source, "%s", source != NULL ? source : "");
    err.line = line;
    err.column = column;
    dms_diag_add(diag, &err);
    return code;
}

int dms_diag_add_path(dms_diag *diag, int code, const char *path, const char *fmt, ...)
{
    if (diag == NULL)
        return code;
    dms_error err;
    dms_error_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(&err, code, path, fmt, ap);
    va_end(ap);
    dms_diag_add(diag, &err);
    return code;
}

size_t dms_diag_count(const dms_diag *diag)
{
    return diag != NULL ? diag->count : 0;
}

size_t dms_diag_kept(const dms_diag *diag)
{
    return diag != NULL ? diag->kept : 0;
}

const dms_error *dms_diag_get(const dms_diag *diag, size_t i)
{
    if (diag == NULL || i >= diag->kept)
        return NULL;
    return &diag->items[i];
}

int dms_diag_first(const dms_diag *diag, dms_error *err)
{
    if (diag == NULL || diag->kept == 0)
        return DMS_OK;
    int code = diag->items[0].code;
    if (err == NULL)
        return code;
    *err = diag->items[0];
    if (diag->count > 1) {
        size_t len = strlen(err->message);
        snprintf(err->message + len, sizeof err->message - len, " (and %zu more)", diag->count - 1);
        len = strlen(err->message_ru);
        if (len > 0)
            snprintf(err->message_ru + len, sizeof err->message_ru - len, " (и ещё %zu)",
                     diag->count - 1);
    }
    return code;
}
