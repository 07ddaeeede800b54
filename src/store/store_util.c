/*
 * Small statement helpers every store module uses: preparing and stepping a
 * statement with the failure mapped to a dms status, reading a text column
 * into a buffer, binding optional text, and the refusal of a scoped call on
 * a connection bound to no employer. One copy here so the modules agree on
 * the wording and the status of each failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store_internal.h"

int dms_store_prepare(dms_store *store, const char *sql, dms_stmt **stmt, dms_error *err)
{
    int rc = dms_sql_prepare(store, sql, stmt);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, "preparing a statement", err);
}

int dms_store_step_id(dms_store *store, dms_stmt *stmt, long *id, const char *what, dms_error *err)
{
    long long v = 0;
    int rc = dms_sql_step_id(stmt, &v);
    *id = (long)v;
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, what, err);
}

int dms_store_step_done(dms_store *store, dms_stmt *stmt, const char *what, dms_error *err)
{
    int rc = dms_sql_step(stmt);
    return rc == DMS_SQL_DONE ? DMS_OK : dms_store_fail(store, rc, what, err);
}

void dms_store_column_text(dms_stmt *stmt, int col, char *buf, size_t size)
{
    const char *t = dms_sql_column_text(stmt, col);
    snprintf(buf, size, "%s", t != NULL ? t : "");
}

void dms_store_bind_text_or_null(dms_stmt *stmt, int i, const char *text)
{
    if (text != NULL && text[0] != '\0')
        dms_sql_bind_text(stmt, i, text);
    else
        dms_sql_bind_null(stmt, i);
}

int dms_store_no_tenant(dms_error *err)
{
    return dms_error_set(err, DMS_ENOTFOUND, NULL,
                         "no employer selected: use /v1/employers/{id}/... or --employer ID");
}

int dms_store_read_rows(dms_store *store, dms_stmt *stmt, size_t row_size, size_t first_cap,
                        void (*read)(dms_stmt *stmt, void *row), const char *nomem,
                        const char *what, void **out, size_t *n, dms_error *err)
{
    int status = DMS_OK;
    size_t cap = 0;
    unsigned char *list = NULL;
    *n = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (*n == cap) {
            size_t grown_cap = cap > 0 ? 2 * cap : first_cap;
            unsigned char *grown = realloc(list, grown_cap * row_size);
            if (grown == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "%s", nomem);
                goto out;
            }
            list = grown;
            cap = grown_cap;
        }
        read(stmt, list + (*n)++ * row_size);
    }
    if (rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, what, err);
out:
    dms_sql_finalize(stmt);
    if (status != DMS_OK) {
        free(list);
        list = NULL;
        *n = 0;
    }
    *out = list;
    return status;
}
