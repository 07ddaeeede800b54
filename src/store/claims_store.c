/*
 * The claims register tables of the store (migration 2 of migrations.c):
 * import in one transaction with the file-hash and per-line-key idempotence
 * rules of claims_store.h, and loading a stored register back. The module
 * keeps a store connection of its own (dms_store_open, either engine);
 * on PostgreSQL the lines stream in with COPY.
 */
#include "dms/claims_store.h"
#include "dms/sha256.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/sql.h"
#include "dms/store.h"
#include "store_internal.h"

struct dms_claims_store {
    dms_store *store;
};

/* ---- connection -------------------------------------------------------- */

void dms_claims_store_close(dms_claims_store *cs)
{
    if (cs == NULL)
        return;
    dms_store_close(cs->store);
    free(cs);
}

int dms_claims_store_open(const char *path, dms_claims_store **out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_open: NULL output");
    *out = NULL;
    dms_claims_store *cs = calloc(1, sizeof *cs);
    if (cs == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    int status = dms_store_open(path, &cs->store, err); /* creates and migrates */
    if (status != DMS_OK) {
        free(cs);
        return status;
    }
    *out = cs;
    return DMS_OK;
}

static int count_lines(dms_store *store, const char *employer, int year, int64_t *n)
{
    dms_stmt *st = NULL;
    int rc = dms_sql_prepare(
        store, "SELECT count(*) FROM claims_line WHERE employer = ?1 AND policy_year = ?2", &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, year);
        rc = dms_sql_step(st);
        if (rc == DMS_SQL_ROW) {
            *n = dms_sql_column_int64(st, 0);
            rc = DMS_SQL_OK;
        }
    }
    dms_sql_finalize(st);
    return rc;
}

#define LINE_COLUMNS                                                                               \
    "employer, policy_year, claim_id, occurrence, policy_id, employee_id, relation, birth_day, "   \
    "visit_day, service_day, category, module, clinic, billed, paid, copay, status, import_id"

#define LINE_UPSERT                                                                                \
    " ON CONFLICT (employer, policy_year, claim_id, occurrence) DO UPDATE SET policy_id = "        \
    "excluded.policy_id, employee_id = excluded.employee_id, relation = excluded.relation, "       \
    "birth_day = excluded.birth_day, visit_day = excluded.visit_day, service_day = "               \
    "excluded.service_day, category = excluded.category, module = excluded.module, clinic = "      \
    "excluded.clinic, billed = excluded.billed, paid = excluded.paid, copay = excluded.copay, "    \
    "status = excluded.status, import_id = excluded.import_id"

/* The lines one by one through a prepared upsert (SQLite: fast enough inside one transaction). */
static int insert_lines(dms_store *store, const char *employer, int policy_year,
                        const dms_register *reg, int64_t import_id)
{
    dms_stmt *st = NULL;
    int rc = dms_sql_prepare(store,
                             "INSERT INTO claims_line (" LINE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, "
                             "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                             "?18)" LINE_UPSERT,
                             &st);
    if (rc != DMS_SQL_OK)
        return rc;
    dms_sql_bind_text(st, 1, employer);
    dms_sql_bind_int64(st, 2, policy_year);
    dms_sql_bind_int64(st, 18, import_id);
    for (size_t i = 0; i < reg->count && rc == DMS_SQL_OK; i++) {
        const dms_claim_line *l = &reg->lines[i];
        dms_sql_bind_text(st, 3, l->claim_id);
        dms_sql_bind_int64(st, 4, (long long)l->occurrence);
        dms_sql_bind_text(st, 5, l->policy_id);
        dms_sql_bind_text(st, 6, l->employee_id);
        dms_sql_bind_int64(st, 7, (long long)l->relation);
        if (l->birth_day == LONG_MIN)
            dms_sql_bind_null(st, 8);
        else
            dms_sql_bind_int64(st, 8, l->birth_day);
        dms_sql_bind_int64(st, 9, l->visit_day);
        dms_sql_bind_int64(st, 10, l->service_day);
        dms_sql_bind_text(st, 11, l->category);
        dms_sql_bind_text(st, 12, l->module);
        dms_sql_bind_text(st, 13, l->clinic);
        dms_sql_bind_int64(st, 14, l->billed);
        dms_sql_bind_int64(st, 15, l->paid);
        dms_sql_bind_int64(st, 16, l->copay);
        dms_sql_bind_int64(st, 17, (long long)l->status);
        rc = dms_sql_step(st);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
        dms_sql_reset(st);
    }
    dms_sql_finalize(st);
    return rc;
}

/* A text field of COPY's text format: backslash, tab, newline and carriage return escaped. */
static size_t copy_text(char *out, const char *s)
{
    size_t n = 0;
    for (; s != NULL && *s != '\0'; s++) {
        char c = *s;
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            out[n++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        out[n++] = c;
    }
    return n;
}

/* Upper bound of one line of COPY text for l (every text byte may double). */
static size_t copy_line_max(const char *employer, const dms_claim_line *l)
{
    size_t text = strlen(employer) + strlen(l->claim_id) + strlen(l->policy_id) +
                  strlen(l->employee_id) + strlen(l->category) + strlen(l->module) +
                  strlen(l->clinic);
    return 2 * text + 18 * 24;
}

/*
 * PostgreSQL: the lines stream in with COPY, the bulk path of the server. On
 * the first import of an employer's year no key can collide, so they go
 * straight into claims_line; otherwise into a temporary table first, then
 * one INSERT ... SELECT with the same upsert as SQLite's.
 */
static int copy_lines(dms_store *store, const char *employer, int policy_year,
                      const dms_register *reg, int64_t import_id, bool direct)
{
    /* A register of millions of lines is one long statement: the import's own limit. */
    int rc = dms_sql_exec(store, "SET LOCAL statement_timeout = '10min'");
    if (rc == DMS_SQL_OK && !direct)
        rc = dms_sql_exec(store, "CREATE TEMP TABLE claims_stage (LIKE claims_line) "
                                 "ON COMMIT DROP");
    if (rc != DMS_SQL_OK)
        return rc;
    rc = dms_sql_copy_begin(store, direct ? "COPY claims_line (" LINE_COLUMNS ") FROM STDIN"
                                          : "COPY claims_stage (" LINE_COLUMNS ") FROM STDIN");
    if (rc != DMS_SQL_OK)
        return rc;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        dms_sql_copy_end(store, "no memory");
        return DMS_SQL_NOMEM;
    }
    for (size_t i = 0; i < reg->count && rc == DMS_SQL_OK; i++) {
        const dms_claim_line *l = &reg->lines[i];
        size_t need = copy_line_max(employer, l);
        if (len + need > cap) {
            rc = dms_sql_copy_put(store, buf, len);
            len = 0;
            if (need > cap) {
                char *grown = realloc(buf, need);
                if (grown == NULL) {
                    rc = DMS_SQL_NOMEM;
                    break;
                }
                buf = grown;
                cap = need;
            }
        }
        len += copy_text(buf + len, employer);
        len += (size_t)sprintf(buf + len, "\t%d\t", policy_year);
        len += copy_text(buf + len, l->claim_id);
        len += (size_t)sprintf(buf + len, "\t%ld\t", (long)l->occurrence);
        len += copy_text(buf + len, l->policy_id);
        buf[len++] = '\t';
        len += copy_text(buf + len, l->employee_id);
        len += (size_t)sprintf(buf + len, "\t%d\t", (int)l->relation);
        if (l->birth_day == LONG_MIN)
            len += (size_t)sprintf(buf + len, "\\N");
        else
            len += (size_t)sprintf(buf + len, "%ld", l->birth_day);
        len += (size_t)sprintf(buf + len, "\t%ld\t%ld\t", l->visit_day, l->service_day);
        len += copy_text(buf + len, l->category);
        buf[len++] = '\t';
        len += copy_text(buf + len, l->module);
        buf[len++] = '\t';
        len += copy_text(buf + len, l->clinic);
        len += (size_t)sprintf(buf + len, "\t%lld\t%lld\t%lld\t%d\t%lld\n", (long long)l->billed,
                               (long long)l->paid, (long long)l->copay, (int)l->status,
                               (long long)import_id);
    }
    if (rc == DMS_SQL_OK && len > 0)
        rc = dms_sql_copy_put(store, buf, len);
    free(buf);
    int end = dms_sql_copy_end(store, rc == DMS_SQL_OK ? NULL : "the import failed");
    if (rc == DMS_SQL_OK)
        rc = end;
    if (rc == DMS_SQL_OK && !direct)
        rc = dms_sql_exec(store, "INSERT INTO claims_line (" LINE_COLUMNS ") SELECT " LINE_COLUMNS
                                 " FROM claims_stage" LINE_UPSERT);
    return rc;
}

int dms_claims_store_import(dms_claims_store *cs, const char *employer, int policy_year,
                            const char *file_name, const void *file, size_t file_len,
                            const dms_register *reg, dms_claims_import_result *res, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *st = NULL;
    int rc, status = DMS_OK;
    int64_t before = 0, after = 0;
    if (cs == NULL || reg == NULL || res == NULL || (file == NULL && file_len > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_import: NULL argument");
    if (employer == NULL || employer[0] == '\0')
        return dms_error_set(err, DMS_EINVAL, "/employer", "the employer is empty");
    if (policy_year < 2000 || policy_year > 2100)
        return dms_error_set(err, DMS_EINVAL, "/policy_year",
                             "the policy year must be 2000..2100, got %d", policy_year);
    memset(res, 0, sizeof *res);
    res->lines = reg->count;
    dms_sha256_hex(file != NULL ? file : "", file_len, res->sha256);
    dms_store *store = cs->store;

    if ((rc = dms_sql_begin(store)) != DMS_SQL_OK)
        return dms_store_fail(store, rc, "starting the import", err);
    rc = dms_sql_prepare(store,
                         "SELECT id FROM claims_import WHERE employer = ?1 AND "
                         "policy_year = ?2 AND file_sha256 = ?3",
                         &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        dms_sql_bind_text(st, 3, res->sha256);
        rc = dms_sql_step(st);
        if (rc == DMS_SQL_ROW) {
            res->import_id = dms_sql_column_int64(st, 0);
            res->already_imported = 1;
            rc = DMS_SQL_OK;
        } else if (rc == DMS_SQL_DONE) {
            rc = DMS_SQL_OK;
        }
    }
    dms_sql_finalize(st);
    st = NULL;
    if (rc != DMS_SQL_OK)
        goto out_db;
    if (res->already_imported) {
        dms_sql_rollback(store);
        return DMS_OK;
    }
    if ((rc = count_lines(store, employer, policy_year, &before)) != DMS_SQL_OK)
        goto out_db;
    rc = dms_sql_prepare(store,
                         "INSERT INTO claims_import (employer, policy_year, file_sha256, "
                         "file_name, lines, inserted) VALUES (?1, ?2, ?3, ?4, ?5, 0) RETURNING id",
                         &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        dms_sql_bind_text(st, 3, res->sha256);
        dms_sql_bind_text(st, 4, file_name ? file_name : "");
        dms_sql_bind_int64(st, 5, (long long)reg->count);
        long long id = 0;
        rc = dms_sql_step_id(st, &id);
        res->import_id = id;
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(st);
    st = NULL;
    if (rc != DMS_SQL_OK)
        goto out_db;
    rc = dms_sql_is_pg(store)
             ? copy_lines(store, employer, policy_year, reg, res->import_id, before == 0)
             : insert_lines(store, employer, policy_year, reg, res->import_id);
    if (rc != DMS_SQL_OK || (rc = count_lines(store, employer, policy_year, &after)) != DMS_SQL_OK)
        goto out_db;
    res->inserted = (size_t)(after - before);
    res->replaced = reg->count - res->inserted;
    rc = dms_sql_prepare(store, "UPDATE claims_import SET inserted = ?1 WHERE id = ?2", &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_int64(st, 1, (long long)res->inserted);
        dms_sql_bind_int64(st, 2, res->import_id);
        rc = dms_sql_step(st);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(st);
    st = NULL;
    if (rc != DMS_SQL_OK || (rc = dms_sql_commit(store)) != DMS_SQL_OK)
        goto out_db;
    return DMS_OK;
out_db:
    status = dms_store_fail(store, rc, "importing the claims register", err);
    dms_sql_finalize(st);
    dms_sql_rollback(store);
    return status;
}

static const char *col_text(dms_stmt *st, int i)
{
    const char *s = dms_sql_column_text(st, i);
    return s != NULL ? s : "";
}

int dms_claims_store_load(dms_claims_store *cs, const char *employer, int policy_year,
                          dms_register **out, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *st = NULL;
    dms_register *reg = NULL;
    int status = DMS_OK;
    if (out == NULL || cs == NULL || employer == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_load: NULL argument");
    *out = NULL;
    if (dms_register_alloc(&reg) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    int rc = dms_sql_prepare(
        cs->store,
        "SELECT claim_id, policy_id, employee_id, relation, birth_day, visit_day, service_day, "
        "category, module, clinic, billed, paid, copay, status FROM claims_line WHERE employer "
        "= ?1 AND policy_year = ?2 ORDER BY service_day, claim_id, occurrence",
        &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        while ((rc = dms_sql_step(st)) == DMS_SQL_ROW) {
            dms_claim_line l;
            memset(&l, 0, sizeof l);
            l.claim_id = col_text(st, 0);
            l.policy_id = col_text(st, 1);
            l.employee_id = col_text(st, 2);
            l.relation = (enum dms_relation)dms_sql_column_int(st, 3);
            l.birth_day = dms_sql_column_null(st, 4) ? LONG_MIN : (long)dms_sql_column_int64(st, 4);
            l.visit_day = (long)dms_sql_column_int64(st, 5);
            l.service_day = (long)dms_sql_column_int64(st, 6);
            l.category = col_text(st, 7);
            l.module = col_text(st, 8);
            l.clinic = col_text(st, 9);
            l.billed = dms_sql_column_int64(st, 10);
            l.paid = dms_sql_column_int64(st, 11);
            l.copay = dms_sql_column_int64(st, 12);
            l.status = (enum dms_claim_status)dms_sql_column_int(st, 13);
            if ((status = dms_register_append(reg, &l)) != DMS_OK) {
                status = dms_error_set(err, status, NULL, "a stored claim line is invalid");
                goto out_free;
            }
        }
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    if (rc != DMS_SQL_OK) {
        status = dms_store_fail(cs->store, rc, "loading the claims register", err);
        goto out_free;
    }
    dms_sql_finalize(st);
    *out = reg;
    return DMS_OK;
out_free:
    dms_sql_finalize(st);
    dms_register_free(reg);
    return status;
}
