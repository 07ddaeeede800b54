/*
 * SQLite side of the employee module picker: API keys by hash, the
 * employer's imported policy and census, elections and their history
 * (tables of migration 3). Every function is one or a few prepared
 * statements; none decides a rule. Callers that must check and write
 * atomically wrap the calls in dms_enrol_begin / dms_enrol_commit.
 */
#include "dms/enrol_store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dms/diag.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/sha256.h"
#include "store_internal.h"

static const char *const role_names[DMS_ROLE_COUNT] = {"employee", "hr",     "manager",
                                                       "finance",  "broker", "insurer"};

const char *dms_role_name(enum dms_role role)
{
    return (unsigned)role < DMS_ROLE_COUNT ? role_names[role] : "unknown";
}

bool dms_role_from_text(const char *text, enum dms_role *out)
{
    for (int i = 0; text != NULL && i < DMS_ROLE_COUNT; i++)
        if (strcmp(text, role_names[i]) == 0) {
            *out = (enum dms_role)i;
            return true;
        }
    return false;
}

/* ---- keys ------------------------------------------------------------------ */

int dms_enrol_key_check(dms_store *store, const char *key, dms_enrol_principal *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (key == NULL || strlen(key) != DMS_ENROL_KEY_SIZE - 1 || strncmp(key, "dms_", 4) != 0)
        return dms_error_set(err, DMS_EUNAUTH, NULL,
                             "the API key is malformed (expected dms_ and 64 hex digits)");
    if (store == NULL)
        return dms_error_set(err, DMS_EUNAUTH, NULL, "no store to check the API key against");
    char hash[DMS_SHA256_HEX];
    dms_sha256_hex(key, strlen(key), hash);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "SELECT id, role, employee_id, department, coalesce(tenant, 0), "
                                   "expires_at IS NOT NULL AND expires_at <= "
                                   "dms_now(), "
                                   "last_used_at IS NULL OR last_used_at < "
                                   "dms_now_plus(-60) "
                                   "FROM api_key WHERE key_sha256 = ?1 AND revoked_at IS NULL",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_text(stmt, 1, hash);
    bool touch = false;
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW) {
        char role[32];
        out->key_id = (long)dms_sql_column_int64(stmt, 0);
        dms_store_column_text(stmt, 1, role, sizeof role);
        if (!dms_role_from_text(role, &out->role))
            status = dms_error_set(err, DMS_EUNAUTH, NULL, "the API key has an unknown role");
        dms_store_column_text(stmt, 2, out->employee_id, sizeof out->employee_id);
        dms_store_column_text(stmt, 3, out->department, sizeof out->department);
        out->employer = (long)dms_sql_column_int64(stmt, 4);
        if (dms_sql_column_int(stmt, 5) != 0)
            status = dms_error_set(err, DMS_EUNAUTH, NULL,
                                   "the API key has expired (срок действия ключа истёк): "
                                   "ask for a new one");
        touch = dms_sql_column_int(stmt, 6) != 0;
        if (out->role == DMS_ROLE_EMPLOYEE)
            snprintf(out->actor, sizeof out->actor, "key %ld (employee %.40s)", out->key_id,
                     out->employee_id);
        else
            snprintf(out->actor, sizeof out->actor, "key %ld (%s)", out->key_id,
                     dms_role_name(out->role));
    } else if (rc == DMS_SQL_DONE) {
        status = dms_error_set(err, DMS_EUNAUTH, NULL, "unknown or revoked API key");
    } else {
        status = dms_store_fail(store, rc, "checking the API key", err);
    }
    dms_sql_finalize(stmt);
    /* Best effort and at most once a minute, so reads do not turn into a write each time;
     * skipped inside a caller's transaction, which must not be disturbed. */
    if (status == DMS_OK && touch && !dms_sql_in_transaction(store) &&
        dms_sql_prepare(store,
                        "UPDATE api_key SET last_used_at = "
                        "dms_now() WHERE id = ?1",
                        &stmt) == DMS_SQL_OK) {
        dms_sql_bind_int64(stmt, 1, out->key_id);
        /* Never wait for a writer for this: a busy database skips the stamp. */
        dms_sql_nowait(store, true);
        dms_sql_step(stmt);
        dms_sql_nowait(store, false);
        dms_sql_finalize(stmt);
    }
    if (status != DMS_OK)
        memset(out, 0, sizeof *out);
    return status;
}

/* ---- transactions ---------------------------------------------------------- */

void dms_enrol_writers_close(void)
{
    dms_store_gate_writers_close();
}

int dms_enrol_begin(dms_store *store, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_enrol_begin: no store");
    dms_store_gate_enter(store);
    dms_store_gate_writer_in(store);
    int rc = dms_sql_begin(store);
    if (rc == DMS_SQL_OK)
        return DMS_OK;
    int status = dms_store_fail(store, rc, "starting a transaction", err);
    dms_store_gate_leave(store);
    return status;
}

int dms_enrol_commit(dms_store *store, dms_error *err)
{
    dms_error_clear(err);
    int rc = dms_sql_commit(store);
    if (rc == DMS_SQL_OK) {
        dms_store_gate_leave(store);
        return DMS_OK;
    }
    int status = dms_store_fail(store, rc, "committing", err);
    dms_enrol_rollback(store);
    return status;
}

void dms_enrol_rollback(dms_store *store)
{
    if (store != NULL && dms_sql_in_transaction(store))
        dms_sql_rollback(store);
    dms_store_gate_leave(store);
}

/* ---- the employer -------------------------------------------------------------- */

int dms_enrol_employer_put(dms_store *store, const char *policy_json, const char *census_csv,
                           const char *policy_name, const dms_census *census, const char *actor,
                           long *id, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || policy_json == NULL || census_csv == NULL || census == NULL ||
        actor == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_enrol_employer_put: NULL argument");
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    bool own = !dms_sql_in_transaction(store);
    int status = own ? dms_enrol_begin(store, err) : DMS_OK;
    if (status != DMS_OK)
        return status;
    dms_stmt *stmt = NULL;
    long new_id = 0;
    if ((status =
             dms_store_prepare(store,
                               "INSERT INTO enrol_employer (policy_json, census_csv, policy_name, "
                               "employees, imported_by, tenant) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                               "RETURNING id",
                               &stmt, err)) != DMS_OK)
        goto out;
    dms_sql_bind_text(stmt, 1, policy_json);
    dms_sql_bind_text(stmt, 2, census_csv);
    dms_sql_bind_text(stmt, 3, policy_name != NULL ? policy_name : "");
    dms_sql_bind_int64(stmt, 4, (long long)census->employees);
    dms_sql_bind_text(stmt, 5, actor);
    dms_sql_bind_int64(stmt, 6, tenant);
    if ((status = dms_store_step_id(store, stmt, &new_id, "storing the policy and census", err)) !=
        DMS_OK)
        goto out;
    dms_sql_finalize(stmt);
    stmt = NULL;
    if ((status = dms_store_prepare(store, "DELETE FROM enrol_employee WHERE tenant = ?1", &stmt,
                                    err)) != DMS_OK)
        goto out;
    dms_sql_bind_int64(stmt, 1, tenant);
    if ((status = dms_store_step_done(store, stmt, "clearing employees", err)) != DMS_OK)
        goto out;
    dms_sql_finalize(stmt);
    stmt = NULL;
    if ((status = dms_store_prepare(
             store,
             "INSERT INTO enrol_employee (employee_id, department, employer_id, tenant) "
             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant, employee_id) DO UPDATE "
             "SET department = excluded.department, "
             "employer_id = excluded.employer_id",
             &stmt, err)) != DMS_OK)
        goto out;
    for (size_t i = 0; i < census->count && status == DMS_OK; i++) {
        const dms_person *p = &census->people[i];
        if (p->relation != DMS_RELATION_EMPLOYEE)
            continue;
        dms_sql_reset(stmt);
        dms_sql_bind_text(stmt, 1, p->employee_id);
        dms_sql_bind_text(stmt, 2, p->department);
        dms_sql_bind_int64(stmt, 3, new_id);
        dms_sql_bind_int64(stmt, 4, tenant);
        status = dms_store_step_done(store, stmt, "storing employees", err);
    }
out:
    dms_sql_finalize(stmt);
    if (own) {
        if (status == DMS_OK)
            status = dms_enrol_commit(store, err);
        else
            dms_enrol_rollback(store);
    }
    if (status == DMS_OK && id != NULL)
        *id = new_id;
    return status;
}

static char *column_dup(dms_stmt *stmt, int col)
{
    const char *t = dms_sql_column_text(stmt, col);
    return strdup(t != NULL ? (const char *)t : "");
}

/*
 * Steps the tenant's latest employer import, selecting `sql` (which names
 * the columns and ends in the tenant's latest row): on DMS_OK *stmt stands
 * on that row and the caller reads and finalizes it; otherwise no import
 * (not found) or a store failure while `doing`, and *stmt is NULL.
 */
static int latest_employer(dms_store *store, const char *sql, const char *doing, dms_stmt **stmt,
                           dms_error *err)
{
    int status = dms_store_prepare(store, sql, stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(*stmt, 1, dms_store_tenant(store));
    int rc = dms_sql_step(*stmt);
    if (rc == DMS_SQL_ROW)
        return DMS_OK;
    if (rc == DMS_SQL_DONE)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL,
                               "no employer policy and census imported yet "
                               "(dmsrate enrol import, or POST /v1/employer)");
    else
        status = dms_store_fail(store, rc, doing, err);
    dms_sql_finalize(*stmt);
    *stmt = NULL;
    return status;
}

int dms_enrol_employer_stamp(dms_store *store, long *id, char *stamp, size_t size, dms_error *err)
{
    dms_error_clear(err);
    *id = 0;
    if (size > 0)
        stamp[0] = '\0';
    dms_stmt *stmt = NULL;
    int status = latest_employer(store,
                                 "SELECT id, imported_at FROM enrol_employer "
                                 "WHERE tenant = ?1 ORDER BY id DESC LIMIT 1",
                                 "reading the employer import", &stmt, err);
    if (status != DMS_OK)
        return status;
    *id = (long)dms_sql_column_int64(stmt, 0);
    dms_store_column_text(stmt, 1, stamp, size);
    dms_sql_finalize(stmt);
    return DMS_OK;
}

int dms_enrol_employer_get(dms_store *store, long *id, char **policy_json, char **census_csv,
                           dms_error *err)
{
    dms_error_clear(err);
    if (policy_json != NULL)
        *policy_json = NULL;
    if (census_csv != NULL)
        *census_csv = NULL;
    dms_stmt *stmt = NULL;
    int status = latest_employer(store,
                                 "SELECT id, policy_json, census_csv FROM enrol_employer "
                                 "WHERE tenant = ?1 ORDER BY id DESC LIMIT 1",
                                 "reading the employer", &stmt, err);
    if (status != DMS_OK)
        return status;
    if (id != NULL)
        *id = (long)dms_sql_column_int64(stmt, 0);
    if (policy_json != NULL && (*policy_json = column_dup(stmt, 1)) == NULL)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the policy");
    if (census_csv != NULL && (*census_csv = column_dup(stmt, 2)) == NULL)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the census");
    dms_sql_finalize(stmt);
    if (status != DMS_OK) {
        if (policy_json != NULL) {
            free(*policy_json);
            *policy_json = NULL;
        }
        if (census_csv != NULL) {
            free(*census_csv);
            *census_csv = NULL;
        }
    }
    return status;
}

int dms_enrol_employee_department(dms_store *store, const char *employee_id,
                                  char department[DMS_ENROL_TEXT_MAX], dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store, "SELECT department FROM enrol_employee WHERE tenant = ?2 AND employee_id = ?1",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 2, dms_store_tenant(store));
    dms_sql_bind_text(stmt, 1, employee_id);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        dms_store_column_text(stmt, 0, department, DMS_ENROL_TEXT_MAX);
    else if (rc == DMS_SQL_DONE)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL, "no employee '%.64s' in the census",
                               employee_id);
    else
        status = dms_store_fail(store, rc, "reading an employee", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_enrol_employee_count(dms_store *store, const char *department, long *count, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "SELECT count(*) FROM enrol_employee WHERE tenant = ?2 AND "
                                   "(department = ?1 OR ?1 IS NULL)",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 2, dms_store_tenant(store));
    dms_store_bind_text_or_null(stmt, 1, department);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        *count = (long)dms_sql_column_int64(stmt, 0);
    else
        status = dms_store_fail(store, rc, "counting employees", err);
    dms_sql_finalize(stmt);
    return status;
}

/* ---- elections ------------------------------------------------------------------- */

#define ELECTION_COLUMNS                                                                           \
    "id, employee_id, department, status, version, options, price, employer_part, "                \
    "employee_part, employee_month, life_event, life_event_date, reason, updated_at"

static void read_election(dms_stmt *stmt, dms_enrol_election *e)
{
    char text[64];
    memset(e, 0, sizeof *e);
    e->id = (long)dms_sql_column_int64(stmt, 0);
    dms_store_column_text(stmt, 1, e->employee_id, sizeof e->employee_id);
    dms_store_column_text(stmt, 2, e->department, sizeof e->department);
    dms_store_column_text(stmt, 3, text, sizeof text);
    if (!dms_election_status_from_text(text, &e->status))
        e->status = DMS_ELECTION_DRAFT;
    e->version = dms_sql_column_int(stmt, 4);
    dms_store_column_text(stmt, 5, e->options, sizeof e->options);
    e->price = dms_sql_column_int64(stmt, 6);
    e->employer = dms_sql_column_int64(stmt, 7);
    e->employee = dms_sql_column_int64(stmt, 8);
    e->employee_month = dms_sql_column_int64(stmt, 9);
    dms_store_column_text(stmt, 10, text, sizeof text);
    if (text[0] == '\0' || !dms_life_event_from_text(text, &e->life_event))
        e->life_event = DMS_LIFE_EVENT_NONE;
    dms_store_column_text(stmt, 11, e->life_event_date, sizeof e->life_event_date);
    dms_store_column_text(stmt, 12, e->reason, sizeof e->reason);
    dms_store_column_text(stmt, 13, e->updated_at, sizeof e->updated_at);
}

static int get_one(dms_store *store, const char *sql, const char *employee_id, long id,
                   dms_enrol_election *out, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store, sql, &stmt, err);
    if (status != DMS_OK)
        return status;
    if (employee_id != NULL)
        dms_sql_bind_text(stmt, 1, employee_id);
    else
        dms_sql_bind_int64(stmt, 1, id);
    dms_sql_bind_int64(stmt, 2, dms_store_tenant(store));
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        read_election(stmt, out);
    else if (rc == DMS_SQL_DONE)
        status = employee_id != NULL
                     ? dms_error_set(err, DMS_ENOTFOUND, NULL,
                                     "employee '%.64s' has no election yet", employee_id)
                     : dms_error_set(err, DMS_ENOTFOUND, NULL, "no election %ld", id);
    else
        status = dms_store_fail(store, rc, "reading an election", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_enrol_election_get(dms_store *store, const char *employee_id, dms_enrol_election *out,
                           dms_error *err)
{
    dms_error_clear(err);
    return get_one(
        store, "SELECT " ELECTION_COLUMNS " FROM election WHERE employee_id = ?1 AND tenant = ?2",
        employee_id, 0, out, err);
}

int dms_enrol_election_get_id(dms_store *store, long id, dms_enrol_election *out, dms_error *err)
{
    dms_error_clear(err);
    return get_one(store, "SELECT " ELECTION_COLUMNS " FROM election WHERE id = ?1 AND tenant = ?2",
                   NULL, id, out, err);
}

int dms_enrol_election_put(dms_store *store, dms_enrol_election *e,
                           const dms_election_history *entry, enum dms_role role, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || e == NULL || entry == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_enrol_election_put: NULL argument");
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    snprintf(e->updated_at, sizeof e->updated_at, "%s", entry->at);
    dms_stmt *stmt = NULL;
    int status;
    if (e->id == 0)
        status = dms_store_prepare(
            store,
            "INSERT INTO election (employee_id, department, status, version, "
            "options, price, employer_part, employee_part, employee_month, "
            "life_event, life_event_date, reason, updated_at, tenant) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15) RETURNING id",
            &stmt, err);
    else /* An election's employee never changes: it is matched, not set, so the unique
          * index on (tenant, employee_id) is not rewritten (one page less in the log). */
        status = dms_store_prepare(store,
                                   "UPDATE election SET department = ?2, status = ?3, "
                                   "version = ?4, options = ?5, price = ?6, employer_part = ?7, "
                                   "employee_part = ?8, employee_month = ?9, life_event = ?10, "
                                   "life_event_date = ?11, reason = ?12, updated_at = ?13 "
                                   "WHERE id = ?14 AND tenant = ?15 AND employee_id = ?1",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_text(stmt, 1, e->employee_id);
    dms_sql_bind_text(stmt, 2, e->department);
    dms_sql_bind_text(stmt, 3, dms_election_status_name(e->status));
    dms_sql_bind_int64(stmt, 4, e->version);
    dms_sql_bind_text(stmt, 5, e->options[0] != '\0' ? e->options : "[]");
    dms_sql_bind_int64(stmt, 6, e->price);
    dms_sql_bind_int64(stmt, 7, e->employer);
    dms_sql_bind_int64(stmt, 8, e->employee);
    dms_sql_bind_int64(stmt, 9, e->employee_month);
    dms_store_bind_text_or_null(
        stmt, 10, e->life_event != DMS_LIFE_EVENT_NONE ? dms_life_event_name(e->life_event) : NULL);
    dms_store_bind_text_or_null(stmt, 11, e->life_event_date);
    dms_store_bind_text_or_null(stmt, 12, e->reason);
    dms_sql_bind_text(stmt, 13, e->updated_at);
    if (e->id != 0)
        dms_sql_bind_int64(stmt, 14, e->id);
    dms_sql_bind_int64(stmt, 15, tenant);
    if (e->id == 0)
        status = dms_store_step_id(store, stmt, &e->id, "writing the election", err);
    else
        status = dms_store_step_done(store, stmt, "writing the election", err);
    if (status == DMS_OK && e->id != 0 && dms_sql_changes(store) == 0)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL, "no election %ld", e->id);
    dms_sql_finalize(stmt);
    stmt = NULL;
    if (status != DMS_OK)
        return status;
    if ((status = dms_store_prepare(
             store,
             "INSERT INTO election_history (election_id, version, at, actor, role, "
             "from_status, to_status, life_event, reason, options, "
             "life_event_date, employee_month) VALUES "
             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
             &stmt, err)) != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, e->id);
    dms_sql_bind_int64(stmt, 2, entry->version);
    dms_sql_bind_text(stmt, 3, entry->at);
    dms_sql_bind_text(stmt, 4, entry->actor);
    dms_sql_bind_text(stmt, 5, dms_role_name(role));
    if ((unsigned)entry->from < DMS_ELECTION_STATUS_COUNT)
        dms_sql_bind_text(stmt, 6, dms_election_status_name(entry->from));
    else
        dms_sql_bind_null(stmt, 6);
    dms_sql_bind_text(stmt, 7, dms_election_status_name(entry->to));
    dms_store_bind_text_or_null(
        stmt, 8,
        entry->life_event != DMS_LIFE_EVENT_NONE ? dms_life_event_name(entry->life_event) : NULL);
    dms_store_bind_text_or_null(stmt, 9, entry->reason);
    dms_sql_bind_text(stmt, 10, e->options[0] != '\0' ? e->options : "[]");
    /* payroll needs, per version, when it started and what it deducted */
    dms_store_bind_text_or_null(
        stmt, 11, entry->life_event != DMS_LIFE_EVENT_NONE ? e->life_event_date : NULL);
    dms_sql_bind_int64(stmt, 12, e->employee_month);
    status = dms_store_step_done(store, stmt, "writing the election history", err);
    dms_sql_finalize(stmt);
    return status;
}

/* read_election for dms_store_read_rows. */
static void read_election_row(dms_stmt *stmt, void *row)
{
    read_election(stmt, row);
}

int dms_enrol_election_list(dms_store *store, const char *department, int status_filter,
                            dms_enrol_election **out, size_t *n, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " ELECTION_COLUMNS " FROM election WHERE tenant = ?3 AND "
                          "(department = ?1 OR ?1 IS NULL) AND (status = ?2 OR ?2 IS NULL) "
                          "ORDER BY employee_id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 3, dms_store_tenant(store));
    dms_store_bind_text_or_null(stmt, 1, department);
    dms_store_bind_text_or_null(
        stmt, 2,
        status_filter >= 0 && status_filter < DMS_ELECTION_STATUS_COUNT
            ? dms_election_status_name((enum dms_election_status)status_filter)
            : NULL);
    void *rows = NULL;
    status = dms_store_read_rows(store, stmt, sizeof(dms_enrol_election), 16, read_election_row,
                                 "no memory for elections", "listing elections", &rows, n, err);
    *out = rows;
    return status;
}

/* Reads one dms_enrol_history_row from stmt (dms_store_read_rows). */
static void read_history_row(dms_stmt *stmt, void *row)
{
    dms_enrol_history_row *r = row;
    memset(r, 0, sizeof *r);
    char text[64];
    r->change.version = dms_sql_column_int(stmt, 0);
    dms_store_column_text(stmt, 1, r->change.at, sizeof r->change.at);
    dms_store_column_text(stmt, 2, r->change.actor, sizeof r->change.actor);
    dms_store_column_text(stmt, 3, text, sizeof text);
    if (!dms_role_from_text(text, &r->role))
        r->role = DMS_ROLE_BROKER;
    dms_store_column_text(stmt, 4, text, sizeof text);
    r->has_from = text[0] != '\0' && dms_election_status_from_text(text, &r->change.from);
    dms_store_column_text(stmt, 5, text, sizeof text);
    dms_election_status_from_text(text, &r->change.to);
    dms_store_column_text(stmt, 6, text, sizeof text);
    if (text[0] == '\0' || !dms_life_event_from_text(text, &r->change.life_event))
        r->change.life_event = DMS_LIFE_EVENT_NONE;
    dms_store_column_text(stmt, 7, r->change.reason, sizeof r->change.reason);
    dms_store_column_text(stmt, 8, r->options, sizeof r->options);
    dms_store_column_text(stmt, 9, r->change.life_event_date, sizeof r->change.life_event_date);
    r->change.employee_month = dms_sql_column_int64(stmt, 10);
}

int dms_enrol_history(dms_store *store, long election_id, dms_enrol_history_row **out, size_t *n,
                      dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT version, at, actor, role, from_status, to_status, life_event, "
                          "reason, options, life_event_date, employee_month FROM election_history "
                          "WHERE election_id = ?1 AND "
                          "election_id IN (SELECT id FROM election WHERE tenant = ?2) ORDER BY id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 2, dms_store_tenant(store));
    dms_sql_bind_int64(stmt, 1, election_id);
    void *rows = NULL;
    status = dms_store_read_rows(store, stmt, sizeof(dms_enrol_history_row), 8, read_history_row,
                                 "no memory for history", "reading history", &rows, n, err);
    *out = rows;
    return status;
}

/* ---- imports ---------------------------------------------------------------------- */

/* The first fault of a census parse as an error at /census_csv with line:column. */
static int census_fault(dms_diag *diag, int status, dms_error *err)
{
    dms_error first;
    dms_error_clear(&first);
    if (dms_diag_first(diag, &first) == DMS_OK)
        dms_error_set(&first, status != DMS_OK ? status : DMS_EINVAL, NULL, "bad census");
    int code = first.code == DMS_EPARSE || first.code == DMS_EINVAL ? DMS_EINVAL : first.code;
    if (dms_error_set(err, code, "/census_csv", "%s", first.message) == code && err != NULL &&
        err->line == 0) {
        memcpy(err->message_ru, first.message_ru, sizeof err->message_ru); /* "%s" has no pair */
        err->line = first.line;
        err->column = first.column;
    }
    return code;
}

static int parse_census(const char *csv, size_t len, dms_census **census, dms_error *err)
{
    dms_diag *diag = NULL;
    if (dms_diag_alloc(0, &diag) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    int status = dms_census_parse_csv(csv, len, "census", census, diag);
    if (status != DMS_OK)
        status = census_fault(diag, status, err);
    dms_diag_free(diag);
    return status;
}

int dms_enrol_import(dms_store *store, const json_t *policy_doc, const char *census_csv, size_t len,
                     const char *actor, long *id, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || policy_doc == NULL || census_csv == NULL || actor == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_enrol_import: NULL argument");
    dms_policy *policy = NULL;
    dms_census *census = NULL;
    char *text = NULL;
    int status = dms_policy_load_json(policy_doc, "/policy", &policy, err);
    if (status != DMS_OK)
        goto out;
    if ((status = parse_census(census_csv, len, &census, err)) != DMS_OK)
        goto out;
    if ((status = dms_policy_check_census(policy, census, "/census_csv", err)) != DMS_OK)
        goto out;
    if ((text = json_dumps(policy_doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the policy");
        goto out;
    }
    char *csv = strndup(census_csv, len);
    if (csv == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the census");
        goto out;
    }
    status = dms_enrol_employer_put(store, text, csv, policy->name, census, actor, id, err);
    free(csv);
out:
    free(text);
    dms_policy_free(policy);
    dms_census_free(census);
    return status;
}

int dms_enrol_context_parse(const char *policy_json, const char *census_csv, dms_policy **policy,
                            dms_census **census, dms_error *err)
{
    dms_error_clear(err);
    *policy = NULL;
    *census = NULL;
    json_t *doc = NULL;
    int status;
    if ((status = dms_json_parse_text(policy_json, strlen(policy_json), &doc, err)) == DMS_OK &&
        (status = dms_policy_load_json(doc, "/policy", policy, err)) == DMS_OK)
        status = parse_census(census_csv, strlen(census_csv), census, err);
    if (status != DMS_OK) {
        dms_policy_free(*policy);
        *policy = NULL;
        /* A stored import was valid when stored: failing now is a bug. */
        if (err != NULL)
            err->code = DMS_EINTERNAL;
        status = DMS_EINTERNAL;
    }
    json_decref(doc);
    return status;
}

int dms_enrol_context_load(dms_store *store, dms_policy **policy, dms_census **census, long *id,
                           dms_error *err)
{
    dms_error_clear(err);
    *policy = NULL;
    *census = NULL;
    char *policy_text = NULL, *csv = NULL;
    int status = dms_enrol_employer_get(store, id, &policy_text, &csv, err);
    if (status == DMS_OK)
        status = dms_enrol_context_parse(policy_text, csv, policy, census, err);
    free(policy_text);
    free(csv);
    return status;
}
