/*
 * The claims register tables of the store (migration 2 of migrations.c):
 * import in one transaction with the file-hash and per-line-key idempotence
 * rules of claims_store.h, and loading a stored register back. The store
 * module keeps its connection private, so this module runs dms_store_open
 * once to create and migrate the file and then keeps its own connection
 * with the same settings (WAL, foreign keys, busy timeout).
 */
#include "dms/claims_store.h"
#include "dms/sha256.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dms/store.h"

struct dms_claims_store {
    sqlite3 *db;
    char path[DMS_ERROR_PATH_MAX];
};

/* ---- connection -------------------------------------------------------- */

static int db_error(dms_claims_store *cs, int rc, const char *what, dms_error *err)
{
    int code = DMS_EIO, primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        code = DMS_ECONFLICT;
    else if (primary == SQLITE_NOMEM)
        code = DMS_ENOMEM;
    else if (primary == SQLITE_CONSTRAINT)
        code = DMS_EINVAL;
    return dms_error_set(err, code, NULL, "%s: %s: %s", cs->path, what,
                         cs->db ? sqlite3_errmsg(cs->db) : sqlite3_errstr(rc));
}

void dms_claims_store_close(dms_claims_store *cs)
{
    if (cs == NULL)
        return;
    sqlite3_close(cs->db);
    free(cs);
}

int dms_claims_store_open(const char *path, dms_claims_store **out, dms_error *err)
{
    dms_store *store = NULL;
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_open: NULL output");
    *out = NULL;
    int status = dms_store_open(path, &store, err); /* creates and migrates */
    dms_store_close(store);
    if (status != DMS_OK)
        return status;
    dms_claims_store *cs = calloc(1, sizeof *cs);
    if (cs == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    snprintf(cs->path, sizeof cs->path, "%s", path);
    int rc = sqlite3_open_v2(path, &cs->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(cs->db, 1);
        sqlite3_busy_timeout(cs->db, DMS_STORE_BUSY_TIMEOUT_MS);
        rc = sqlite3_exec(cs->db,
                          "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL",
                          NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        status = db_error(cs, rc, "cannot open the claims tables", err);
        dms_claims_store_close(cs);
        return status;
    }
    *out = cs;
    return DMS_OK;
}

static int count_lines(dms_claims_store *cs, const char *employer, int year, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        cs->db, "SELECT count(*) FROM claims_line WHERE employer = ?1 AND policy_year = ?2", -1,
        &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, year);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *n = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int dms_claims_store_import(dms_claims_store *cs, const char *employer, int policy_year,
                            const char *file_name, const void *file, size_t file_len,
                            const dms_register *reg, dms_claims_import_result *res, dms_error *err)
{
    sqlite3_stmt *st = NULL;
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

    if ((rc = sqlite3_exec(cs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
        return db_error(cs, rc, "starting the import", err);
    rc = sqlite3_prepare_v2(cs->db,
                            "SELECT id FROM claims_import WHERE employer = ?1 AND "
                            "policy_year = ?2 AND file_sha256 = ?3",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, policy_year);
        sqlite3_bind_text(st, 3, res->sha256, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            res->import_id = sqlite3_column_int64(st, 0);
            res->already_imported = 1;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK)
        goto out_db;
    if (res->already_imported) {
        sqlite3_exec(cs->db, "ROLLBACK", NULL, NULL, NULL);
        return DMS_OK;
    }
    if ((rc = count_lines(cs, employer, policy_year, &before)) != SQLITE_OK)
        goto out_db;
    rc = sqlite3_prepare_v2(cs->db,
                            "INSERT INTO claims_import (employer, policy_year, file_sha256, "
                            "file_name, lines, inserted) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, policy_year);
        sqlite3_bind_text(st, 3, res->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, file_name ? file_name : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)reg->count);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK)
        goto out_db;
    res->import_id = sqlite3_last_insert_rowid(cs->db);
    rc = sqlite3_prepare_v2(
        cs->db,
        "INSERT INTO claims_line (employer, policy_year, claim_id, occurrence, policy_id, "
        "employee_id, relation, birth_day, visit_day, service_day, category, module, clinic, "
        "billed, paid, copay, status, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) ON CONFLICT (employer, policy_year, "
        "claim_id, occurrence) DO UPDATE SET policy_id = excluded.policy_id, employee_id = "
        "excluded.employee_id, relation = excluded.relation, birth_day = excluded.birth_day, "
        "visit_day = excluded.visit_day, service_day = excluded.service_day, category = "
        "excluded.category, module = excluded.module, clinic = excluded.clinic, billed = "
        "excluded.billed, paid = excluded.paid, copay = excluded.copay, status = "
        "excluded.status, import_id = excluded.import_id",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto out_db;
    sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, policy_year);
    sqlite3_bind_int64(st, 18, res->import_id);
    for (size_t i = 0; i < reg->count && rc == SQLITE_OK; i++) {
        const dms_claim_line *l = &reg->lines[i];
        sqlite3_bind_text(st, 3, l->claim_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, (int)l->occurrence);
        sqlite3_bind_text(st, 5, l->policy_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, l->employee_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, (int)l->relation);
        if (l->birth_day == LONG_MIN)
            sqlite3_bind_null(st, 8);
        else
            sqlite3_bind_int64(st, 8, l->birth_day);
        sqlite3_bind_int64(st, 9, l->visit_day);
        sqlite3_bind_int64(st, 10, l->service_day);
        sqlite3_bind_text(st, 11, l->category, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 12, l->module, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, l->clinic, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 14, l->billed);
        sqlite3_bind_int64(st, 15, l->paid);
        sqlite3_bind_int64(st, 16, l->copay);
        sqlite3_bind_int(st, 17, (int)l->status);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK || (rc = count_lines(cs, employer, policy_year, &after)) != SQLITE_OK)
        goto out_db;
    res->inserted = (size_t)(after - before);
    res->replaced = reg->count - res->inserted;
    rc = sqlite3_prepare_v2(cs->db, "UPDATE claims_import SET inserted = ?1 WHERE id = ?2", -1, &st,
                            NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)res->inserted);
        sqlite3_bind_int64(st, 2, res->import_id);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK || (rc = sqlite3_exec(cs->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        goto out_db;
    return DMS_OK;
out_db:
    status = db_error(cs, rc, "importing the claims register", err);
    sqlite3_finalize(st);
    sqlite3_exec(cs->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s != NULL ? s : "";
}

int dms_claims_store_load(dms_claims_store *cs, const char *employer, int policy_year,
                          dms_register **out, dms_error *err)
{
    sqlite3_stmt *st = NULL;
    dms_register *reg = NULL;
    int status = DMS_OK;
    if (out == NULL || cs == NULL || employer == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_load: NULL argument");
    *out = NULL;
    if (dms_register_alloc(&reg) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    int rc = sqlite3_prepare_v2(
        cs->db,
        "SELECT claim_id, policy_id, employee_id, relation, birth_day, visit_day, service_day, "
        "category, module, clinic, billed, paid, copay, status FROM claims_line WHERE employer "
        "= ?1 AND policy_year = ?2 ORDER BY service_day, claim_id, occurrence",
        -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, policy_year);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            dms_claim_line l;
            memset(&l, 0, sizeof l);
            l.claim_id = col_text(st, 0);
            l.policy_id = col_text(st, 1);
            l.employee_id = col_text(st, 2);
            l.relation = (enum dms_relation)sqlite3_column_int(st, 3);
            l.birth_day = sqlite3_column_type(st, 4) == SQLITE_NULL
                              ? LONG_MIN
                              : (long)sqlite3_column_int64(st, 4);
            l.visit_day = (long)sqlite3_column_int64(st, 5);
            l.service_day = (long)sqlite3_column_int64(st, 6);
            l.category = col_text(st, 7);
            l.module = col_text(st, 8);
            l.clinic = col_text(st, 9);
            l.billed = sqlite3_column_int64(st, 10);
            l.paid = sqlite3_column_int64(st, 11);
            l.copay = sqlite3_column_int64(st, 12);
            l.status = (enum dms_claim_status)sqlite3_column_int(st, 13);
            if ((status = dms_register_append(reg, &l)) != DMS_OK) {
                status = dms_error_set(err, status, NULL, "a stored claim line is invalid");
                goto out_free;
            }
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK) {
        status = db_error(cs, rc, "loading the claims register", err);
        goto out_free;
    }
    sqlite3_finalize(st);
    *out = reg;
    return DMS_OK;
out_free:
    sqlite3_finalize(st);
    dms_register_free(reg);
    return status;
}
