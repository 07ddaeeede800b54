/*
 * Stored reimbursement requests (reimb_store.h): filing, documents with
 * their SHA-256, status moves with their history, and the approved amount
 * written into the claims experience, all for the connection's tenant.
 */
#include "dms/reimb_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/claims.h"
#include "dms/enrol_store.h"
#include "dms/sha256.h"
#include "store_internal.h"

static int not_found(long id, dms_error *err)
{
    return dms_error_set(err, DMS_ENOTFOUND, NULL, "no request %ld (обращение не найдено)", id);
}

/* ---- filing -------------------------------------------------------------------- */

int dms_reimb_store_create(dms_store *store, const char *employee_id, const dms_reimb_request *r,
                           long today, const char *actor, const char *role, long *id,
                           dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    if (employee_id == NULL || employee_id[0] == '\0' || strlen(employee_id) >= 64)
        return dms_error_set(err, DMS_EINVAL, "/employee_id",
                             "the employee's табельный номер is required");
    const char *module = NULL;
    int status = dms_reimb_check_request(r, today, &module, err);
    if (status != DMS_OK)
        return status;
    dms_stmt *stmt = NULL;
    long new_id = 0;
    if ((status = dms_enrol_begin(store, err)) != DMS_OK)
        return status;
    status = dms_store_prepare(
        store,
        "INSERT INTO reimb_request (tenant, employee_id, policy, filed_day, "
        "service_day, category, module, amount, clinic, diagnosis, status, "
        "created_by) VALUES (?1, ?2, coalesce((SELECT policy FROM insured_person "
        "WHERE tenant = ?1 AND employee_id = ?2 AND relation = 0 ORDER BY "
        "date_from DESC LIMIT 1), ''), ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10) RETURNING id",
        &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_text(stmt, 2, employee_id);
        dms_sql_bind_int64(stmt, 3, today);
        dms_sql_bind_int64(stmt, 4, r->service_day);
        dms_sql_bind_text(stmt, 5, r->category);
        dms_sql_bind_text(stmt, 6, module);
        dms_sql_bind_int64(stmt, 7, r->amount);
        dms_sql_bind_text(stmt, 8, r->clinic);
        dms_sql_bind_text(stmt, 9, r->diagnosis != NULL ? r->diagnosis : "");
        dms_sql_bind_text(stmt, 10, actor != NULL ? actor : "");
        status = dms_store_step_id(store, stmt, &new_id, "filing a request", err);
    }
    dms_sql_finalize(stmt);
    stmt = NULL;
    if (status == DMS_OK)
        status =
            dms_store_prepare(store,
                              "INSERT INTO reimb_event (tenant, request, actor, role, from_status, "
                              "to_status) VALUES (?1, ?2, ?3, ?4, NULL, 0)",
                              &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_int64(stmt, 2, new_id);
        dms_sql_bind_text(stmt, 3, actor != NULL ? actor : "");
        dms_sql_bind_text(stmt, 4, role != NULL ? role : "");
        status = dms_store_step_done(store, stmt, "recording the filing", err);
    }
    dms_sql_finalize(stmt);
    if (status == DMS_OK && (status = dms_enrol_commit(store, err)) == DMS_OK) {
        if (id != NULL)
            *id = new_id;
        return DMS_OK;
    }
    dms_enrol_rollback(store);
    return status;
}

/* ---- reading -------------------------------------------------------------------- */

#define ROW_COLUMNS                                                                                \
    "id, employee_id, policy, filed_day, service_day, category, module, amount, approved, "        \
    "clinic, diagnosis, status, version, created_at, updated_at, created_by, "                     \
    "(SELECT count(*) FROM reimb_document d WHERE d.request = reimb_request.id)"

static void read_row(dms_stmt *stmt, dms_reimb_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = (long)dms_sql_column_int64(stmt, 0);
    dms_store_column_text(stmt, 1, r->employee_id, sizeof r->employee_id);
    dms_store_column_text(stmt, 2, r->policy, sizeof r->policy);
    r->filed_day = (long)dms_sql_column_int64(stmt, 3);
    r->service_day = (long)dms_sql_column_int64(stmt, 4);
    dms_store_column_text(stmt, 5, r->category, sizeof r->category);
    dms_store_column_text(stmt, 6, r->module, sizeof r->module);
    r->amount = dms_sql_column_int64(stmt, 7);
    r->approved = dms_sql_column_int64(stmt, 8);
    dms_store_column_text(stmt, 9, r->clinic, sizeof r->clinic);
    dms_store_column_text(stmt, 10, r->diagnosis, sizeof r->diagnosis);
    r->status = (enum dms_reimb_status)dms_sql_column_int(stmt, 11);
    r->version = (long)dms_sql_column_int64(stmt, 12);
    dms_store_column_text(stmt, 13, r->created_at, sizeof r->created_at);
    dms_store_column_text(stmt, 14, r->updated_at, sizeof r->updated_at);
    dms_store_column_text(stmt, 15, r->created_by, sizeof r->created_by);
    r->documents = (long)dms_sql_column_int64(stmt, 16);
}

static void read_row_any(dms_stmt *stmt, void *row)
{
    read_row(stmt, row);
}

int dms_reimb_store_get(dms_store *store, long id, const char *employee_id, dms_reimb_row *out,
                        dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " ROW_COLUMNS " FROM reimb_request WHERE tenant = ?1 AND id = ?2 "
                          "AND (employee_id = ?3 OR ?3 IS NULL)",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_sql_bind_int64(stmt, 2, id);
    if (employee_id != NULL)
        dms_sql_bind_text(stmt, 3, employee_id);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        read_row(stmt, out);
    else
        status = rc == DMS_SQL_DONE ? not_found(id, err)
                                    : dms_store_fail(store, rc, "reading a request", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_reimb_store_list(dms_store *store, const char *employee_id, dms_reimb_row **out, size_t *n,
                         dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " ROW_COLUMNS " FROM reimb_request WHERE tenant = ?1 AND "
                          "(employee_id = ?2 OR ?2 IS NULL) ORDER BY id DESC",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    if (employee_id != NULL)
        dms_sql_bind_text(stmt, 2, employee_id);
    void *list = NULL;
    status = dms_store_read_rows(store, stmt, sizeof **out, 16, read_row_any,
                                 "no memory for requests", "listing requests", &list, n, err);
    *out = list;
    return status;
}

int dms_reimb_store_events(dms_store *store, long id, dms_reimb_event **out, size_t *n,
                           dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "SELECT at, actor, role, from_status, to_status, comment FROM reimb_event "
        "WHERE tenant = ?1 AND request = ?2 ORDER BY id",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_sql_bind_int64(stmt, 2, id);
    size_t cap = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (*n == cap) {
            cap = cap != 0 ? cap * 2 : 8;
            dms_reimb_event *v = realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for history");
                break;
            }
            *out = v;
        }
        dms_reimb_event *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        dms_store_column_text(stmt, 0, e->at, sizeof e->at);
        dms_store_column_text(stmt, 1, e->actor, sizeof e->actor);
        dms_store_column_text(stmt, 2, e->role, sizeof e->role);
        e->from = dms_sql_column_null(stmt, 3) ? -1 : dms_sql_column_int(stmt, 3);
        e->to = (enum dms_reimb_status)dms_sql_column_int(stmt, 4);
        dms_store_column_text(stmt, 5, e->comment, sizeof e->comment);
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "reading history", err);
    dms_sql_finalize(stmt);
    return status;
}

static void read_doc(dms_stmt *stmt, dms_reimb_doc *d)
{
    memset(d, 0, sizeof *d);
    d->id = (long)dms_sql_column_int64(stmt, 0);
    d->request = (long)dms_sql_column_int64(stmt, 1);
    dms_store_column_text(stmt, 2, d->name, sizeof d->name);
    d->kind = (enum dms_reimb_doc_kind)dms_sql_column_int(stmt, 3);
    d->size = (long)dms_sql_column_int64(stmt, 4);
    dms_store_column_text(stmt, 5, d->sha256, sizeof d->sha256);
    dms_store_column_text(stmt, 6, d->uploaded_at, sizeof d->uploaded_at);
    dms_store_column_text(stmt, 7, d->uploaded_by, sizeof d->uploaded_by);
}

#define DOC_COLUMNS "id, request, name, kind, size, sha256, uploaded_at, uploaded_by"

int dms_reimb_store_documents(dms_store *store, long id, dms_reimb_doc **out, size_t *n,
                              dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " DOC_COLUMNS " FROM reimb_document WHERE tenant = ?1 AND "
                          "request = ?2 ORDER BY id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_sql_bind_int64(stmt, 2, id);
    size_t cap = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (*n == cap) {
            cap = cap != 0 ? cap * 2 : 8;
            dms_reimb_doc *v = realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for documents");
                break;
            }
            *out = v;
        }
        read_doc(stmt, &(*out)[(*n)++]);
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "listing documents", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_reimb_store_document(dms_store *store, long doc, const char *employee_id,
                             dms_reimb_doc *meta, char **data, size_t *len, dms_error *err)
{
    dms_error_clear(err);
    *data = NULL;
    *len = 0;
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "SELECT d.id, d.request, d.name, d.kind, d.size, d.sha256, d.uploaded_at, "
        "d.uploaded_by, d.data FROM reimb_document d JOIN reimb_request r ON "
        "r.id = d.request AND r.tenant = d.tenant WHERE d.tenant = ?1 AND d.id = "
        "?2 AND (r.employee_id = ?3 OR ?3 IS NULL)",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_sql_bind_int64(stmt, 2, doc);
    if (employee_id != NULL)
        dms_sql_bind_text(stmt, 3, employee_id);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW) {
        read_doc(stmt, meta);
        size_t size = 0;
        const void *blob = dms_sql_column_blob(stmt, 8, &size);
        int bytes = (int)size;
        *data = malloc((size_t)bytes + 1);
        if (*data == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the document");
        } else {
            if (bytes > 0)
                memcpy(*data, blob, (size_t)bytes);
            *len = (size_t)bytes;
        }
    } else {
        status = rc == DMS_SQL_DONE
                     ? dms_error_set(err, DMS_ENOTFOUND, NULL, "no document %ld", doc)
                     : dms_store_fail(store, rc, "reading a document", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

int dms_reimb_store_counts(dms_store *store, long counts[DMS_REIMB_STATUS_COUNT], dms_error *err)
{
    dms_error_clear(err);
    for (int i = 0; i < DMS_REIMB_STATUS_COUNT; i++)
        counts[i] = 0;
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT status, count(*) FROM reimb_request WHERE tenant = ?1 GROUP BY "
                          "status",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        int s = dms_sql_column_int(stmt, 0);
        if (s >= 0 && s < DMS_REIMB_STATUS_COUNT)
            counts[s] = (long)dms_sql_column_int64(stmt, 1);
    }
    if (rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "counting requests", err);
    dms_sql_finalize(stmt);
    return status;
}

/* ---- documents ------------------------------------------------------------------ */

int dms_reimb_store_attach(dms_store *store, long id, const char *employee_id, const char *name,
                           const void *data, size_t len, const char *actor, long *doc,
                           dms_error *err)
{
    dms_error_clear(err);
    enum dms_reimb_doc_kind kind;
    int status = dms_reimb_doc_check(data, len, &kind, err);
    if (status != DMS_OK)
        return status;
    if (name == NULL || name[0] == '\0')
        name = "document";
    if (strlen(name) >= DMS_REIMB_TEXT_MAX)
        return dms_error_set(err, DMS_EINVAL, "/name", "the file name is under 256 bytes");
    char hex[DMS_SHA256_HEX];
    dms_sha256_hex(data, len, hex);
    dms_reimb_row r;
    dms_stmt *stmt = NULL;
    if ((status = dms_enrol_begin(store, err)) != DMS_OK)
        return status;
    if ((status = dms_reimb_store_get(store, id, employee_id, &r, err)) != DMS_OK)
        goto out;
    if (!dms_reimb_accepts_documents(r.status) || r.documents >= DMS_REIMB_MAX_DOCUMENTS) {
        status = dms_error_set(err, DMS_ECONFLICT, NULL,
                               "request %ld takes no more documents (%s; к обращению нельзя "
                               "приложить документы)",
                               id, dms_reimb_status_name_ru(r.status));
        goto out;
    }
    status =
        dms_store_prepare(store,
                          "INSERT INTO reimb_document (tenant, request, name, kind, size, sha256, "
                          "data, uploaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                          &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
        dms_sql_bind_int64(stmt, 2, id);
        dms_sql_bind_text(stmt, 3, name);
        dms_sql_bind_int64(stmt, 4, (int)kind);
        dms_sql_bind_int64(stmt, 5, (long long)len);
        dms_sql_bind_text(stmt, 6, hex);
        dms_sql_bind_blob(stmt, 7, data, len);
        dms_sql_bind_text(stmt, 8, actor != NULL ? actor : "");
        long new_doc = 0;
        status = dms_store_step_id(store, stmt, &new_doc, "storing a document", err);
        if (status == DMS_OK && doc != NULL)
            *doc = new_doc;
    }
out:
    dms_sql_finalize(stmt);
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}

/* ---- status moves and the claims experience ---------------------------------------- */

/* The approved amount as a line of the claims register of employer "<tenant>". */
static int write_claim(dms_store *store, const dms_reimb_row *r, enum dms_claim_status cstatus,
                       dms_error *err)
{
    char employer[24], claim[32], file[48], hex[DMS_SHA256_HEX];
    snprintf(employer, sizeof employer, "%ld", dms_store_tenant(store));
    snprintf(claim, sizeof claim, "R-%ld", r->id);
    snprintf(file, sizeof file, "reimbursement %s", claim);
    dms_sha256_hex(file, strlen(file), hex);
    int y, m, d;
    dms_claims_civil(r->service_day, &y, &m, &d);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "INSERT INTO claims_import (employer, policy_year, file_sha256, "
                                   "file_name, lines, inserted) VALUES (?1, ?2, ?3, ?4, 1, 1) "
                                   "ON CONFLICT (employer, policy_year, file_sha256) DO NOTHING",
                                   &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_text(stmt, 1, employer);
        dms_sql_bind_int64(stmt, 2, y);
        dms_sql_bind_text(stmt, 3, hex);
        dms_sql_bind_text(stmt, 4, file);
        status = dms_store_step_done(store, stmt, "recording the claim", err);
    }
    dms_sql_finalize(stmt);
    stmt = NULL;
    if (status == DMS_OK)
        status = dms_store_prepare(
            store,
            "INSERT INTO claims_line (employer, policy_year, claim_id, occurrence, policy_id, "
            "employee_id, relation, birth_day, visit_day, service_day, category, module, clinic, "
            "billed, paid, copay, status, import_id) SELECT ?1, ?2, ?3, 0, ?4, ?5, 0, NULL, ?6, "
            "?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, id FROM claims_import WHERE employer = ?1 AND "
            "policy_year = ?2 AND file_sha256 = ?13 ON CONFLICT (employer, policy_year, claim_id, "
            "occurrence) DO UPDATE SET paid = excluded.paid, status = excluded.status",
            &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_text(stmt, 1, employer);
        dms_sql_bind_int64(stmt, 2, y);
        dms_sql_bind_text(stmt, 3, claim);
        dms_sql_bind_text(stmt, 4, r->policy);
        dms_sql_bind_text(stmt, 5, r->employee_id);
        dms_sql_bind_int64(stmt, 6, r->service_day);
        dms_sql_bind_text(stmt, 7, r->category);
        dms_sql_bind_text(stmt, 8, r->module);
        dms_sql_bind_text(stmt, 9, r->clinic);
        dms_sql_bind_int64(stmt, 10, r->amount);
        dms_sql_bind_int64(stmt, 11, r->approved);
        dms_sql_bind_int64(stmt, 12, (int)cstatus);
        dms_sql_bind_text(stmt, 13, hex);
        status = dms_store_step_done(store, stmt, "writing the claim", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

int dms_reimb_store_move(dms_store *store, long id, enum dms_reimb_status to, const char *comment,
                         int64_t approved, long expected_version, const char *actor,
                         const char *role, dms_error *err)
{
    dms_error_clear(err);
    dms_reimb_row r;
    dms_stmt *stmt = NULL;
    int status = dms_enrol_begin(store, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_reimb_store_get(store, id, NULL, &r, err)) != DMS_OK)
        goto out;
    if (expected_version > 0 && expected_version != r.version) {
        status = dms_error_set(err, DMS_ECONFLICT, "/version",
                               "request %ld is at version %ld, not %ld (обращение изменено)", id,
                               r.version, expected_version);
        goto out;
    }
    if ((status = dms_reimb_check_move(r.status, to, comment, r.amount, approved, err)) != DMS_OK)
        goto out;
    if (to == DMS_REIMB_APPROVED)
        r.approved = approved;
    status = dms_store_prepare(
        store,
        "UPDATE reimb_request SET status = ?1, approved = ?2, version = version + 1, "
        "updated_at = dms_now() WHERE tenant = ?3 AND "
        "id = ?4",
        &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, (int)to);
        dms_sql_bind_int64(stmt, 2, r.approved);
        dms_sql_bind_int64(stmt, 3, dms_store_tenant(store));
        dms_sql_bind_int64(stmt, 4, id);
        status = dms_store_step_done(store, stmt, "moving a request", err);
    }
    dms_sql_finalize(stmt);
    stmt = NULL;
    if (status == DMS_OK)
        status =
            dms_store_prepare(store,
                              "INSERT INTO reimb_event (tenant, request, actor, role, from_status, "
                              "to_status, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
        dms_sql_bind_int64(stmt, 2, id);
        dms_sql_bind_text(stmt, 3, actor != NULL ? actor : "");
        dms_sql_bind_text(stmt, 4, role != NULL ? role : "");
        dms_sql_bind_int64(stmt, 5, (int)r.status);
        dms_sql_bind_int64(stmt, 6, (int)to);
        dms_sql_bind_text(stmt, 7, comment != NULL ? comment : "");
        status = dms_store_step_done(store, stmt, "recording the move", err);
    }
    /* Approved: incurred (pending) in the experience; paid: paid. */
    if (status == DMS_OK && (to == DMS_REIMB_APPROVED || to == DMS_REIMB_PAID))
        status =
            write_claim(store, &r, to == DMS_REIMB_PAID ? DMS_CLAIM_PAID : DMS_CLAIM_PENDING, err);
out:
    dms_sql_finalize(stmt);
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}
