/*
 * SQLite side of tenants (tables employer, api_key, api_key_employer of
 * migration 4): employers, and keys with their scope, expiry, last use,
 * revocation and rotation. Every change to a key or an employer writes one
 * audit_log row in the same transaction as the change, so the log cannot
 * miss a key that exists nor record one that does not.
 */
#include "dms/tenant_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dms/sha256.h"
#include "store_internal.h"

/* Seconds since the epoch of an ISO-8601 UTC stamp as the store writes them. */
static double iso_seconds(const char *iso)
{
    struct tm tm = {0};
    double frac = 0;
    if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    const char *dot = strchr(iso, '.');
    if (dot != NULL)
        frac = strtod(dot, NULL);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + frac;
}

static int exec(dms_store *store, const char *sql, const char *what, dms_error *err)
{
    int rc = dms_sql_exec(store, sql);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, what, err);
}

/* Opens a transaction unless the caller holds one; *own tells who commits. */
static int begin(dms_store *store, bool *own, dms_error *err)
{
    *own = !dms_sql_in_transaction(store);
    if (!*own)
        return DMS_OK;
    int rc = dms_sql_begin(store);
    return rc == DMS_SQL_OK ? DMS_OK : dms_store_fail(store, rc, "starting a transaction", err);
}

static int finish(dms_store *store, bool own, int status, dms_error *err)
{
    if (!own)
        return status;
    if (status == DMS_OK)
        return exec(store, "COMMIT", "committing", err);
    dms_sql_rollback(store);
    return status;
}

/* The audit row of a change, under employer (0: none) rather than the connection's tenant. */
static int audit(dms_store *store, long employer, const char *actor, const char *action,
                 const char *object, json_t *detail, dms_error *err)
{
    char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    long saved = dms_store_tenant(store);
    dms_store_tenant_set(store, employer);
    int status = dms_store_audit(store, actor != NULL ? actor : "cli", action, object, text, err);
    dms_store_tenant_set(store, saved);
    free(text);
    return status;
}

/* ---- employers ------------------------------------------------------------- */

static bool inn_ok(const char *inn)
{
    size_t len = strlen(inn);
    if (len != 10 && len != 12)
        return false;
    for (size_t i = 0; i < len; i++)
        if (inn[i] < '0' || inn[i] > '9')
            return false;
    return true;
}

int dms_tenant_employer_create(dms_store *store, const char *name, const char *inn,
                               const char *actor, long *id, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || id == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_tenant_employer_create: NULL argument");
    *id = 0;
    if (name == NULL || name[0] == '\0' || strlen(name) >= DMS_TENANT_NAME_MAX)
        return dms_error_set(err, DMS_EINVAL, "/name",
                             "an employer needs a name of 1 to %d bytes (название работодателя)",
                             DMS_TENANT_NAME_MAX - 1);
    if (inn != NULL && inn[0] != '\0' && !inn_ok(inn))
        return dms_error_set(err, DMS_EINVAL, "/inn",
                             "ИНН must be 10 digits (organisation) or 12 (individual): '%.20s'",
                             inn);
    bool own = false;
    int status = begin(store, &own, err);
    if (status != DMS_OK)
        return status;
    dms_stmt *stmt = NULL;
    if ((status = dms_store_prepare(
             store, "INSERT INTO employer (name, inn, created_by) VALUES (?1, ?2, ?3) RETURNING id",
             &stmt, err)) != DMS_OK)
        goto out;
    dms_sql_bind_text(stmt, 1, name);
    if (inn != NULL && inn[0] != '\0')
        dms_sql_bind_text(stmt, 2, inn);
    else
        dms_sql_bind_null(stmt, 2);
    dms_sql_bind_text(stmt, 3, actor != NULL ? actor : "cli");
    if ((status = dms_store_step_id(store, stmt, id, "creating the employer", err)) != DMS_OK)
        goto out;
    char object[32];
    snprintf(object, sizeof object, "employer %ld", *id);
    status = audit(
        store, *id, actor, "employer.create", object,
        json_pack("{s:s, s:s?}", "name", name, "inn", inn != NULL && inn[0] != '\0' ? inn : NULL),
        err);
out:
    dms_sql_finalize(stmt);
    status = finish(store, own, status, err);
    if (status != DMS_OK)
        *id = 0;
    return status;
}

static void read_employer(dms_stmt *stmt, dms_tenant_employer *e)
{
    memset(e, 0, sizeof *e);
    e->id = (long)dms_sql_column_int64(stmt, 0);
    dms_store_column_text(stmt, 1, e->name, sizeof e->name);
    dms_store_column_text(stmt, 2, e->inn, sizeof e->inn);
    dms_store_column_text(stmt, 3, e->created_at, sizeof e->created_at);
}

int dms_tenant_employer_get(dms_store *store, long id, dms_tenant_employer *out, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store, "SELECT id, name, inn, created_at FROM employer WHERE id = ?1", &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, id);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        read_employer(stmt, out);
    else if (rc == DMS_SQL_DONE)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL, "no employer %ld", id);
    else
        status = dms_store_fail(store, rc, "reading the employer", err);
    dms_sql_finalize(stmt);
    return status;
}

/* read_employer for dms_store_read_rows. */
static void read_employer_row(dms_stmt *stmt, void *row)
{
    read_employer(stmt, row);
}

int dms_tenant_employer_list(dms_store *store, long key_id, dms_tenant_employer **out, size_t *n,
                             dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT id, name, inn, created_at FROM employer WHERE ?1 = 0 OR id IN "
                          "(SELECT tenant FROM api_key_employer WHERE key_id = ?1) ORDER BY id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, key_id);
    void *rows = NULL;
    status = dms_store_read_rows(store, stmt, sizeof(dms_tenant_employer), 8, read_employer_row,
                                 "no memory for employers", "listing employers", &rows, n, err);
    *out = rows;
    return status;
}

int dms_tenant_employer_default(dms_store *store, long *id, dms_error *err)
{
    dms_error_clear(err);
    *id = 0;
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "INSERT INTO employer (id, name) VALUES (1, 'Работодатель 1') "
                                   "ON CONFLICT (id) DO NOTHING",
                                   &stmt, err);
    if (status == DMS_OK)
        status = dms_store_step_done(store, stmt, "creating employer 1", err);
    dms_sql_finalize(stmt);
    if (status == DMS_OK)
        *id = 1;
    return status;
}

/* ---- keys ------------------------------------------------------------------ */

static int random_key(char key[DMS_ENROL_KEY_SIZE], dms_error *err)
{
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return dms_error_set(err, DMS_EIO, NULL, "no random bytes for a key: %s",
                                 strerror(errno));
        got += (size_t)n;
    }
    static const char digits[] = "0123456789abcdef";
    memcpy(key, "dms_", 4);
    for (size_t i = 0; i < sizeof raw; i++) {
        key[4 + 2 * i] = digits[raw[i] >> 4];
        key[5 + 2 * i] = digits[raw[i] & 15];
    }
    key[DMS_ENROL_KEY_SIZE - 1] = '\0';
    return DMS_OK;
}

static bool tenant_role(enum dms_role role)
{
    return role != DMS_ROLE_BROKER && role != DMS_ROLE_INSURER;
}

static int check_spec(dms_store *store, const dms_tenant_key_spec *spec, dms_error *err)
{
    dms_tenant_employer e;
    if (spec->role == DMS_ROLE_EMPLOYEE &&
        (spec->employee_id == NULL || spec->employee_id[0] == '\0'))
        return dms_error_set(err, DMS_EINVAL, "/employee_id",
                             "an employee key needs --employee ID (табельный номер)");
    if (spec->role == DMS_ROLE_MANAGER && (spec->department == NULL || spec->department[0] == '\0'))
        return dms_error_set(err, DMS_EINVAL, "/department",
                             "a manager key needs --department D (подразделение)");
    if (tenant_role(spec->role)) {
        if (spec->employer <= 0)
            return dms_error_set(err, DMS_EINVAL, "/employer",
                                 "a %s key belongs to one employer: give --employer ID "
                                 "(ключ привязан к одному работодателю)",
                                 dms_role_name(spec->role));
        if (dms_tenant_employer_get(store, spec->employer, &e, err) != DMS_OK)
            return dms_error_set(err, DMS_ENOTFOUND, "/employer", "no employer %ld",
                                 spec->employer);
    }
    if (spec->role == DMS_ROLE_BROKER) {
        if (spec->n_employers > DMS_TENANT_KEY_EMPLOYERS_MAX)
            return dms_error_set(err, DMS_EINVAL, "/employer",
                                 "a broker key serves at most %d employers",
                                 DMS_TENANT_KEY_EMPLOYERS_MAX);
        for (size_t i = 0; i < spec->n_employers; i++)
            if (dms_tenant_employer_get(store, spec->employers[i], &e, err) != DMS_OK)
                return dms_error_set(err, DMS_ENOTFOUND, "/employer", "no employer %ld",
                                     spec->employers[i]);
    } else if (spec->n_employers > 0 && !tenant_role(spec->role)) {
        return dms_error_set(err, DMS_EINVAL, "/employer",
                             "an insurer key reaches every employer: no --employer");
    }
    if (spec->expires_days < 0 || spec->expires_days > 3660)
        return dms_error_set(err, DMS_EINVAL, "/expires", "expiry must be 1 to 3660 days");
    return DMS_OK;
}

/* Inserts the key row and its employers; the caller holds the transaction. */
static int insert_key(dms_store *store, const dms_tenant_key_spec *spec, const char *key, long *id,
                      dms_error *err)
{
    char hash[DMS_SHA256_HEX];
    dms_sha256_hex(key, strlen(key), hash);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "INSERT INTO api_key (key_sha256, prefix, role, employee_id, department, "
                          "tenant, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                          "CASE WHEN ?8 > 0 THEN dms_now_plus(?8 * 86400) END) RETURNING id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_text(stmt, 1, hash);
    dms_sql_bind_text_n(stmt, 2, key, 12);
    dms_sql_bind_text(stmt, 3, dms_role_name(spec->role));
    if (spec->role == DMS_ROLE_EMPLOYEE)
        dms_sql_bind_text(stmt, 4, spec->employee_id);
    if (spec->role == DMS_ROLE_MANAGER)
        dms_sql_bind_text(stmt, 5, spec->department);
    if (tenant_role(spec->role))
        dms_sql_bind_int64(stmt, 6, spec->employer);
    dms_sql_bind_text(stmt, 7, spec->actor != NULL ? spec->actor : "cli");
    dms_sql_bind_int64(stmt, 8, spec->expires_days);
    status = dms_store_step_id(store, stmt, id, "storing the key", err);
    dms_sql_finalize(stmt);
    if (status != DMS_OK)
        return status;
    if (spec->role != DMS_ROLE_BROKER || spec->n_employers == 0)
        return DMS_OK;
    if ((status = dms_store_prepare(store,
                                    "INSERT INTO api_key_employer (key_id, tenant) VALUES (?1, ?2) "
                                    "ON CONFLICT DO NOTHING",
                                    &stmt, err)) != DMS_OK)
        return status;
    for (size_t i = 0; i < spec->n_employers && status == DMS_OK; i++) {
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, *id);
        dms_sql_bind_int64(stmt, 2, spec->employers[i]);
        status = dms_store_step_done(store, stmt, "binding the key to an employer", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

static json_t *spec_json(const dms_tenant_key_spec *spec)
{
    json_t *list = json_array();
    for (size_t i = 0; i < spec->n_employers; i++)
        json_array_append_new(list, json_integer(spec->employers[i]));
    json_t *detail = json_pack("{s:s, s:o}", "role", dms_role_name(spec->role), "employers", list);
    if (detail == NULL)
        return NULL;
    if (tenant_role(spec->role))
        json_object_set_new(detail, "employer", json_integer(spec->employer));
    if (spec->role == DMS_ROLE_EMPLOYEE)
        json_object_set_new(detail, "employee_id", json_string(spec->employee_id));
    if (spec->role == DMS_ROLE_MANAGER)
        json_object_set_new(detail, "department", json_string(spec->department));
    if (spec->expires_days > 0)
        json_object_set_new(detail, "expires_days", json_integer(spec->expires_days));
    return detail;
}

int dms_tenant_key_create(dms_store *store, const dms_tenant_key_spec *spec,
                          char key[DMS_ENROL_KEY_SIZE], long *id, dms_error *err)
{
    dms_error_clear(err);
    if (store == NULL || spec == NULL || key == NULL || (unsigned)spec->role >= DMS_ROLE_COUNT)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_tenant_key_create: bad argument");
    key[0] = '\0';
    long new_id = 0;
    bool own = false;
    int status = check_spec(store, spec, err);
    if (status == DMS_OK)
        status = random_key(key, err);
    if (status != DMS_OK)
        goto out_wipe;
    if ((status = begin(store, &own, err)) != DMS_OK)
        goto out_wipe;
    if ((status = insert_key(store, spec, key, &new_id, err)) == DMS_OK) {
        char object[32];
        snprintf(object, sizeof object, "key %ld", new_id);
        status = audit(store, tenant_role(spec->role) ? spec->employer : 0, spec->actor,
                       "key.create", object, spec_json(spec), err);
    }
    status = finish(store, own, status, err);
out_wipe:
    if (status != DMS_OK)
        memset(key, 0, DMS_ENROL_KEY_SIZE);
    else if (id != NULL)
        *id = new_id;
    return status;
}

#define KEY_COLUMNS                                                                                \
    "k.id, k.prefix, k.role, coalesce(k.tenant, 0), "                                              \
    "(SELECT group_concat(tenant, ',') FROM (SELECT tenant FROM api_key_employer "                 \
    "  WHERE key_id = k.id ORDER BY tenant) AS scope), "                                           \
    "k.employee_id, k.department, k.created_at, k.created_by, k.expires_at, k.last_used_at, "      \
    "k.revoked_at"

static void read_key(dms_stmt *stmt, dms_tenant_key *k)
{
    char role[32];
    memset(k, 0, sizeof *k);
    k->id = (long)dms_sql_column_int64(stmt, 0);
    dms_store_column_text(stmt, 1, k->prefix, sizeof k->prefix);
    dms_store_column_text(stmt, 2, role, sizeof role);
    if (!dms_role_from_text(role, &k->role))
        k->role = DMS_ROLE_EMPLOYEE;
    k->employer = (long)dms_sql_column_int64(stmt, 3);
    dms_store_column_text(stmt, 4, k->employers, sizeof k->employers);
    dms_store_column_text(stmt, 5, k->employee_id, sizeof k->employee_id);
    dms_store_column_text(stmt, 6, k->department, sizeof k->department);
    dms_store_column_text(stmt, 7, k->created_at, sizeof k->created_at);
    dms_store_column_text(stmt, 8, k->created_by, sizeof k->created_by);
    dms_store_column_text(stmt, 9, k->expires_at, sizeof k->expires_at);
    dms_store_column_text(stmt, 10, k->last_used_at, sizeof k->last_used_at);
    dms_store_column_text(stmt, 11, k->revoked_at, sizeof k->revoked_at);
}

/* read_key for dms_store_read_rows. */
static void read_key_row(dms_stmt *stmt, void *row)
{
    read_key(stmt, row);
}

int dms_tenant_key_list(dms_store *store, long employer, dms_tenant_key **out, size_t *n,
                        dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " KEY_COLUMNS " FROM api_key k WHERE ?1 = 0 OR k.tenant = ?1 "
                          "ORDER BY k.id",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, employer);
    void *rows = NULL;
    status = dms_store_read_rows(store, stmt, sizeof(dms_tenant_key), 8, read_key_row,
                                 "no memory for keys", "listing keys", &rows, n, err);
    *out = rows;
    return status;
}

int dms_tenant_key_get(dms_store *store, long id, dms_tenant_key *out, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store, "SELECT " KEY_COLUMNS " FROM api_key k WHERE k.id = ?1",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, id);
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        read_key(stmt, out);
    else if (rc == DMS_SQL_DONE)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL, "no key %ld", id);
    else
        status = dms_store_fail(store, rc, "reading a key", err);
    dms_sql_finalize(stmt);
    return status;
}

/* Marks key id revoked and audits it; the caller holds the transaction. */
static int revoke(dms_store *store, const dms_tenant_key *k, const char *actor, const char *action,
                  json_t *detail, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "UPDATE api_key SET revoked_at = dms_now() "
                                   "WHERE id = ?1 AND revoked_at IS NULL",
                                   &stmt, err);
    if (status != DMS_OK) {
        json_decref(detail);
        return status;
    }
    dms_sql_bind_int64(stmt, 1, k->id);
    status = dms_store_step_done(store, stmt, "revoking the key", err);
    dms_sql_finalize(stmt);
    if (status == DMS_OK && dms_sql_changes(store) == 0)
        status = dms_error_set(err, DMS_ECONFLICT, NULL, "key %ld is already revoked", k->id);
    if (status != DMS_OK) {
        json_decref(detail);
        return status;
    }
    char object[32];
    snprintf(object, sizeof object, "key %ld", k->id);
    return audit(store, k->employer, actor, action, object, detail, err);
}

int dms_tenant_key_revoke(dms_store *store, long id, const char *actor, dms_error *err)
{
    dms_error_clear(err);
    dms_tenant_key k;
    bool own = false;
    int status = begin(store, &own, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_tenant_key_get(store, id, &k, err)) == DMS_OK)
        status = revoke(store, &k, actor, "key.revoke",
                        json_pack("{s:s}", "role", dms_role_name(k.role)), err);
    return finish(store, own, status, err);
}

int dms_tenant_key_rotate(dms_store *store, long id, const char *actor,
                          char key[DMS_ENROL_KEY_SIZE], long *new_id, dms_error *err)
{
    dms_error_clear(err);
    memset(key, 0, DMS_ENROL_KEY_SIZE);
    dms_tenant_key k;
    bool own = false;
    long fresh = 0;
    long employers[DMS_TENANT_KEY_EMPLOYERS_MAX];
    int status = begin(store, &own, err);
    if (status != DMS_OK)
        return status;
    if ((status = dms_tenant_key_get(store, id, &k, err)) != DMS_OK)
        goto out;
    if (k.revoked_at[0] != '\0') {
        status =
            dms_error_set(err, DMS_ECONFLICT, NULL, "key %ld is revoked: create a new one", id);
        goto out;
    }
    dms_tenant_key_spec spec = {.role = k.role,
                                .employer = k.employer,
                                .employers = employers,
                                .employee_id = k.employee_id,
                                .department = k.department,
                                .actor = actor};
    for (char *p = k.employers; *p != '\0' && spec.n_employers < DMS_TENANT_KEY_EMPLOYERS_MAX;) {
        char *end = NULL;
        employers[spec.n_employers++] = strtol(p, &end, 10);
        p = *end == ',' ? end + 1 : end;
    }
    /* The new key keeps the old one's lifetime, counted from now. */
    if (k.expires_at[0] != '\0') {
        double days = (iso_seconds(k.expires_at) - iso_seconds(k.created_at)) / 86400.0;
        spec.expires_days = days < 1.5 ? 1 : (int)(days + 0.5);
    }
    if (status != DMS_OK || (status = random_key(key, err)) != DMS_OK ||
        (status = insert_key(store, &spec, key, &fresh, err)) != DMS_OK)
        goto out;
    status = revoke(store, &k, actor, "key.rotate",
                    json_pack("{s:I}", "new_key", (json_int_t)fresh), err);
out:
    status = finish(store, own, status, err);
    if (status != DMS_OK)
        memset(key, 0, DMS_ENROL_KEY_SIZE);
    else if (new_id != NULL)
        *new_id = fresh;
    return status;
}

bool dms_tenant_key_allows(dms_store *store, const dms_enrol_principal *who, long employer)
{
    if (store == NULL || who == NULL || employer <= 0)
        return false;
    if (tenant_role(who->role))
        return who->employer == employer;
    dms_stmt *stmt = NULL;
    const char *sql = who->role == DMS_ROLE_INSURER
                          ? "SELECT 1 FROM employer WHERE id = ?1"
                          : "SELECT 1 FROM api_key_employer WHERE tenant = ?1 AND key_id = ?2";
    if (dms_sql_prepare(store, sql, &stmt) != DMS_SQL_OK)
        return false;
    dms_sql_bind_int64(stmt, 1, employer);
    if (who->role == DMS_ROLE_BROKER)
        dms_sql_bind_int64(stmt, 2, who->key_id);
    bool ok = dms_sql_step(stmt) == DMS_SQL_ROW;
    dms_sql_finalize(stmt);
    return ok;
}

long dms_tenant_key_single_employer(dms_store *store, long key_id)
{
    dms_stmt *stmt = NULL;
    long employer = 0;
    if (dms_sql_prepare(store,
                        "SELECT min(tenant), count(*) FROM api_key_employer WHERE key_id = ?1",
                        &stmt) != DMS_SQL_OK)
        return 0;
    dms_sql_bind_int64(stmt, 1, key_id);
    if (dms_sql_step(stmt) == DMS_SQL_ROW && dms_sql_column_int(stmt, 1) == 1)
        employer = (long)dms_sql_column_int64(stmt, 0);
    dms_sql_finalize(stmt);
    return employer;
}
