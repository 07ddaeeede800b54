/*
 * SQLite side of the register of insured people (migration 5). Submissions
 * run under BEGIN IMMEDIATE, so the check (dms_insured_check over the
 * persons the batch touches) and the writes it allows see one state and no
 * other writer can slip between them; a refused batch writes nothing. Only
 * the touched persons are loaded, so a change to one person of a register of
 * 100,000 costs a few indexed lookups, not a scan.
 */
#include "dms/register_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dms/date.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/policy.h"
#include "store_internal.h"

static long column_day(dms_stmt *stmt, int col, long null_value)
{
    return dms_sql_column_null(stmt, col) ? null_value : (long)dms_sql_column_int64(stmt, col);
}

static void bind_day(dms_stmt *stmt, int i, long day)
{
    if (day == DMS_INSURED_NO_DATE || day == DMS_INSURED_OPEN_END)
        dms_sql_bind_null(stmt, i);
    else
        dms_sql_bind_int64(stmt, i, day);
}

const char *dms_register_day_text(long day, char buf[11])
{
    buf[0] = '\0';
    if (day == DMS_INSURED_NO_DATE || day == DMS_INSURED_OPEN_END)
        return buf;
    /* Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's civil_from_days). */
    long z = day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    unsigned year = (unsigned)((y + (m <= 2)) % 10000), month = (unsigned)m % 13,
             dd = (unsigned)d % 32;
    snprintf(buf, 11, "%04u-%02u-%02u", year, month, dd);
    return buf;
}

static void now_iso(char buf[40])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* ---- versions by policy: a small open-addressing table ----------------------- */

struct versions {
    size_t cap; /* power of two */
    char **keys;
    long *values;
};

static size_t hash_text(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int versions_init(struct versions *v, size_t n)
{
    v->cap = 16;
    while (v->cap < 2 * n + 2)
        v->cap *= 2;
    v->keys = calloc(v->cap, sizeof *v->keys);
    v->values = calloc(v->cap, sizeof *v->values);
    return v->keys != NULL && v->values != NULL ? DMS_OK : DMS_ENOMEM;
}

static void versions_free(struct versions *v)
{
    for (size_t i = 0; v->keys != NULL && i < v->cap; i++)
        free(v->keys[i]);
    free(v->keys);
    free(v->values);
}

/* The slot of key, inserted with value 0 when absent; NULL on no memory. */
static long *versions_slot(struct versions *v, const char *key)
{
    size_t i = hash_text(key) & (v->cap - 1);
    while (v->keys[i] != NULL && strcmp(v->keys[i], key) != 0)
        i = (i + 1) & (v->cap - 1);
    if (v->keys[i] == NULL && (v->keys[i] = strdup(key)) == NULL)
        return NULL;
    return &v->values[i];
}

/* ---- settings ------------------------------------------------------------------ */

int dms_register_store_retro_days(dms_store *store, int *days, dms_error *err)
{
    dms_error_clear(err);
    *days = DMS_REGISTER_DEFAULT_RETRO_DAYS;
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store, "SELECT retro_days FROM employer WHERE id = ?1", &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        *days = dms_sql_column_int(stmt, 0);
    else if (rc == DMS_SQL_DONE)
        status = dms_store_no_tenant(err);
    else
        status = dms_store_fail(store, rc, "reading the retro window", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_register_store_set_retro_days(dms_store *store, int days, dms_error *err)
{
    dms_error_clear(err);
    if (days < 0 || days > 3660)
        return dms_error_set(err, DMS_EINVAL, "/retro_days",
                             "the retro window is 0 to 3660 days (окно задним числом)");
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store, "UPDATE employer SET retro_days = ?1 WHERE id = ?2", &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, days);
    dms_sql_bind_int64(stmt, 2, dms_store_tenant(store));
    int rc = dms_sql_step(stmt);
    if (rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "setting the retro window", err);
    else if (dms_sql_changes(store) == 0)
        status = dms_store_no_tenant(err);
    dms_sql_finalize(stmt);
    return status;
}

/* ---- persons -------------------------------------------------------------------- */

#define PERSON_COLUMNS                                                                             \
    "policy, employee_id, relation, full_name, birth_day, department, programme, status, "         \
    "date_from, date_to, status_day, version, updated_at"

static void read_entry(dms_stmt *stmt, dms_register_entry *e)
{
    memset(e, 0, sizeof *e);
    dms_store_column_text(stmt, 0, e->policy, sizeof e->policy);
    dms_store_column_text(stmt, 1, e->employee_id, sizeof e->employee_id);
    e->relation = (enum dms_relation)dms_sql_column_int(stmt, 2);
    dms_store_column_text(stmt, 3, e->full_name, sizeof e->full_name);
    e->birth_day = column_day(stmt, 4, DMS_INSURED_NO_DATE);
    dms_store_column_text(stmt, 5, e->department, sizeof e->department);
    dms_store_column_text(stmt, 6, e->programme, sizeof e->programme);
    e->status = (enum dms_insured_status)dms_sql_column_int(stmt, 7);
    e->date_from = column_day(stmt, 8, DMS_INSURED_NO_DATE);
    e->date_to = column_day(stmt, 9, DMS_INSURED_OPEN_END);
    e->status_day = column_day(stmt, 10, DMS_INSURED_NO_DATE);
    e->version = (long)dms_sql_column_int64(stmt, 11);
    dms_store_column_text(stmt, 12, e->updated_at, sizeof e->updated_at);
}

static dms_insured_person entry_person(const dms_register_entry *e)
{
    dms_insured_person p = {e->policy,    e->employee_id, e->relation,  e->full_name,
                            e->birth_day, e->department,  e->programme, e->status,
                            e->date_from, e->date_to,     e->status_day};
    return p;
}

int dms_register_store_get(dms_store *store, const char *policy, dms_register_entry *out,
                           dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store, "SELECT " PERSON_COLUMNS " FROM insured_person WHERE tenant = ?1 AND policy = ?2",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_sql_bind_text(stmt, 2, policy != NULL ? policy : "");
    int rc = dms_sql_step(stmt);
    if (rc == DMS_SQL_ROW)
        read_entry(stmt, out);
    else if (rc == DMS_SQL_DONE)
        status = dms_error_set(err, DMS_ENOTFOUND, NULL,
                               "no insured person with policy '%.64s' (полис не найден)",
                               policy != NULL ? policy : "");
    else
        status = dms_store_fail(store, rc, "reading an insured person", err);
    dms_sql_finalize(stmt);
    return status;
}

static const char list_where[] = " FROM insured_person WHERE tenant = ?1 AND "
                                 "(department = ?2 OR ?2 IS NULL) AND "
                                 "(programme = ?3 OR ?3 IS NULL) AND "
                                 "(?4 < 0 OR status = ?4) AND (employee_id = ?5 OR ?5 IS NULL)";

static void bind_filter(dms_stmt *stmt, long tenant, const dms_insured_filter *f)
{
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_store_bind_text_or_null(stmt, 2, f != NULL ? f->department : NULL);
    dms_store_bind_text_or_null(stmt, 3, f != NULL ? f->programme : NULL);
    dms_sql_bind_int64(stmt, 4, f != NULL ? f->status : -1);
    dms_store_bind_text_or_null(stmt, 5, f != NULL ? f->employee_id : NULL);
}

/* read_entry for dms_store_read_rows. */
static void read_entry_row(dms_stmt *stmt, void *row)
{
    read_entry(stmt, row);
}

int dms_register_store_list(dms_store *store, const dms_insured_filter *filter, const char *after,
                            size_t offset, size_t limit, dms_register_entry **out, size_t *n,
                            size_t *total, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    if (total != NULL)
        *total = 0;
    char sql[768];
    dms_stmt *stmt = NULL;
    long tenant = dms_store_tenant(store);
    int status = DMS_OK;
    if (total != NULL) {
        snprintf(sql, sizeof sql, "SELECT count(*)%s", list_where);
        if ((status = dms_store_prepare(store, sql, &stmt, err)) != DMS_OK)
            return status;
        bind_filter(stmt, tenant, filter);
        int rc = dms_sql_step(stmt);
        if (rc == DMS_SQL_ROW)
            *total = (size_t)dms_sql_column_int64(stmt, 0);
        else
            status = dms_store_fail(store, rc, "counting the register", err);
        dms_sql_finalize(stmt);
        if (status != DMS_OK)
            return status;
    }
    if (limit == 0)
        return DMS_OK;
    /* After a policy: the rows past it in (ФИО, policy) order, found through the index
     * (a page costs the same anywhere in the register); else by offset. */
    dms_register_entry last;
    if (after != NULL && (status = dms_register_store_get(store, after, &last, err)) != DMS_OK)
        return status;
    snprintf(sql, sizeof sql,
             "SELECT " PERSON_COLUMNS "%s%s ORDER BY full_name, policy LIMIT ?6 OFFSET ?7",
             list_where, after != NULL ? " AND (full_name, policy) > (?9, ?8)" : "");
    if ((status = dms_store_prepare(store, sql, &stmt, err)) != DMS_OK)
        return status;
    bind_filter(stmt, tenant, filter);
    dms_sql_bind_int64(stmt, 6, (long long)limit);
    dms_sql_bind_int64(stmt, 7, (long long)offset);
    if (after != NULL) {
        dms_sql_bind_text(stmt, 8, last.policy);
        dms_sql_bind_text(stmt, 9, last.full_name);
    }
    void *rows = NULL;
    status =
        dms_store_read_rows(store, stmt, sizeof(dms_register_entry), 64, read_entry_row,
                            "no memory for the register", "listing the register", &rows, n, err);
    *out = rows;
    return status;
}

int dms_register_store_load(dms_store *store, dms_insured_register **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_insured_register *reg = NULL;
    if (dms_insured_register_alloc(&reg) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the register");
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " PERSON_COLUMNS " FROM insured_person WHERE tenant = ?1 "
                          "ORDER BY full_name, policy",
                          &stmt, err);
    if (status != DMS_OK)
        goto out;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    int rc;
    dms_register_entry e;
    while (status == DMS_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        read_entry(stmt, &e);
        dms_insured_person p = entry_person(&e);
        status = dms_insured_register_put(reg, &p, err);
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "loading the register", err);
out:
    dms_sql_finalize(stmt);
    if (status != DMS_OK)
        dms_insured_register_free(reg);
    else
        *out = reg;
    return status;
}

/* Reads one dms_register_change_row from stmt (dms_store_read_rows). */
static void read_change_row(dms_stmt *stmt, void *row)
{
    dms_register_change_row *r = row;
    memset(r, 0, sizeof *r);
    r->id = (long)dms_sql_column_int64(stmt, 0);
    r->upload = (long)dms_sql_column_int64(stmt, 1);
    r->version = (long)dms_sql_column_int64(stmt, 2);
    dms_store_column_text(stmt, 3, r->entered_at, sizeof r->entered_at);
    dms_store_column_text(stmt, 4, r->policy, sizeof r->policy);
    r->change.action = (enum dms_insured_action)dms_sql_column_int(stmt, 5);
    r->change.effective_day = (long)dms_sql_column_int64(stmt, 6);
    dms_store_column_text(stmt, 7, r->employee_id, sizeof r->employee_id);
    r->change.relation_given = !dms_sql_column_null(stmt, 8);
    r->change.relation = (enum dms_relation)dms_sql_column_int(stmt, 8);
    dms_store_column_text(stmt, 9, r->full_name, sizeof r->full_name);
    r->change.birth_day = column_day(stmt, 10, DMS_INSURED_NO_DATE);
    dms_store_column_text(stmt, 11, r->department, sizeof r->department);
    dms_store_column_text(stmt, 12, r->programme, sizeof r->programme);
    r->change.had_before = dms_sql_column_int(stmt, 13) != 0;
    r->change.status_before = (enum dms_insured_status)dms_sql_column_int(stmt, 14);
    dms_store_column_text(stmt, 15, r->programme_before, sizeof r->programme_before);
    dms_store_column_text(stmt, 16, r->author, sizeof r->author);
}

/* ---- changes --------------------------------------------------------------------- */

int dms_register_store_changes(dms_store *store, const char *policy, long from, long to,
                               dms_register_change_row **out, size_t *n, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    *n = 0;
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "SELECT id, upload, version, entered_at, policy, action, effective_day, employee_id, "
        "relation, full_name, birth_day, department, programme, had_before, status_before, "
        "programme_before, author FROM insured_change WHERE tenant = ?1 AND "
        "(policy = ?2 OR ?2 IS NULL) AND (effective_day >= ?3 OR ?3 IS NULL) AND "
        "(effective_day <= ?4 OR ?4 IS NULL) ORDER BY id",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_store_bind_text_or_null(stmt, 2, policy);
    bind_day(stmt, 3, from);
    bind_day(stmt, 4, to);
    void *raw = NULL;
    status = dms_store_read_rows(store, stmt, sizeof(dms_register_change_row), 16, read_change_row,
                                 "no memory for changes", "reading changes", &raw, n, err);
    dms_register_change_row *rows = raw;
    /* The strings point into the rows, now that the array no longer moves. */
    for (size_t i = 0; i < *n; i++) {
        dms_register_change_row *r = &rows[i];
        r->change.policy = r->policy;
        r->change.employee_id = r->employee_id;
        r->change.full_name = r->full_name;
        r->change.department = r->department;
        r->change.programme = r->programme;
        r->change.programme_before = r->programme_before;
        r->change.author = r->author;
    }
    *out = rows;
    return status;
}

/* ---- submission ------------------------------------------------------------------ */

/* The employer's policy in force, parsed (free with dms_policy_free). */
static int load_policy(dms_store *store, dms_policy **policy, dms_error *err)
{
    char *text = NULL;
    json_t *doc = NULL;
    *policy = NULL;
    int status = dms_enrol_employer_get(store, NULL, &text, NULL, err);
    if (status == DMS_ENOTFOUND)
        return dms_error_set(err, DMS_ENOTFOUND, NULL,
                             "the employer has no policy yet: import its policy and census "
                             "first (dmsrate enrol import; у работодателя нет полиса)");
    if (status == DMS_OK && (status = dms_json_parse_text(text, strlen(text), &doc, err)) == DMS_OK)
        status = dms_policy_load_json(doc, "/policy", policy, err);
    json_decref(doc);
    free(text);
    return status;
}

/* Loads into reg (and their versions into v) the persons batch names. */
static int load_touched(dms_store *store, const dms_insured_batch *batch, dms_insured_register *reg,
                        struct versions *v, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store, "SELECT " PERSON_COLUMNS " FROM insured_person WHERE tenant = ?1 AND policy = ?2",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    long tenant = dms_store_tenant(store);
    dms_register_entry e;
    for (size_t i = 0; i < dms_insured_batch_count(batch) && status == DMS_OK; i++) {
        const char *policy = dms_insured_batch_get(batch, i)->policy;
        if (policy == NULL || policy[0] == '\0' || dms_insured_register_find(reg, policy) != NULL)
            continue;
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_text(stmt, 2, policy);
        int rc = dms_sql_step(stmt);
        if (rc == DMS_SQL_ROW) {
            read_entry(stmt, &e);
            dms_insured_person p = entry_person(&e);
            long *slot = versions_slot(v, e.policy);
            if (slot == NULL)
                status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
            else
                *slot = e.version;
            if (status == DMS_OK)
                status = dms_insured_register_put(reg, &p, err);
        } else if (rc != DMS_SQL_DONE) {
            status = dms_store_fail(store, rc, "loading the register", err);
        }
    }
    dms_sql_finalize(stmt);
    return status;
}

/* Writes an accepted outcome: the upload, every change, every person's new state. */
static int write_outcome(dms_store *store, const dms_insured_outcome *o,
                         const dms_insured_register *before, const dms_register_submit *opts,
                         struct versions *v, long *upload, dms_error *err)
{
    long tenant = dms_store_tenant(store);
    char at[40];
    now_iso(at);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "INSERT INTO insured_upload (tenant, source, changes, author, entered_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_sql_bind_text(stmt, 2, opts->source != NULL ? opts->source : "api");
    dms_sql_bind_int64(stmt, 3, (long long)o->nchanges);
    dms_sql_bind_text(stmt, 4, opts->author != NULL ? opts->author : "cli");
    dms_sql_bind_text(stmt, 5, at);
    long long id = 0;
    int rc = dms_sql_step_id(stmt, &id);
    dms_sql_finalize(stmt);
    if (rc != DMS_SQL_DONE)
        return dms_store_fail(store, rc, "storing the upload", err);
    *upload = (long)id;
    if ((status = dms_store_prepare(
             store,
             "INSERT INTO insured_change (tenant, upload, policy, action, "
             "effective_day, employee_id, relation, full_name, birth_day, "
             "department, programme, had_before, status_before, programme_before, "
             "version, author, entered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
             "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
             &stmt, err)) != DMS_OK)
        return status;
    for (size_t i = 0; i < o->nchanges && status == DMS_OK; i++) {
        const dms_insured_change *c = &o->changes[i];
        long *version = versions_slot(v, c->policy);
        if (version == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
            break;
        }
        ++*version;
        dms_sql_reset(stmt);
        dms_sql_clear_bindings(stmt);
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_int64(stmt, 2, *upload);
        dms_sql_bind_text(stmt, 3, c->policy);
        dms_sql_bind_int64(stmt, 4, (int)c->action);
        dms_sql_bind_int64(stmt, 5, c->effective_day);
        dms_sql_bind_text(stmt, 6, c->employee_id);
        if (c->relation_given)
            dms_sql_bind_int64(stmt, 7, (int)c->relation);
        dms_sql_bind_text(stmt, 8, c->full_name);
        bind_day(stmt, 9, c->birth_day);
        dms_sql_bind_text(stmt, 10, c->department);
        dms_sql_bind_text(stmt, 11, c->programme);
        dms_sql_bind_int64(stmt, 12, c->had_before ? 1 : 0);
        if (c->had_before)
            dms_sql_bind_int64(stmt, 13, (int)c->status_before);
        dms_sql_bind_text(stmt, 14, c->programme_before != NULL ? c->programme_before : "");
        dms_sql_bind_int64(stmt, 15, *version);
        dms_sql_bind_text(stmt, 16, opts->author != NULL ? opts->author : "cli");
        dms_sql_bind_text(stmt, 17, at);
        if ((rc = dms_sql_step(stmt)) != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "storing a change", err);
    }
    dms_sql_finalize(stmt);
    if (status != DMS_OK)
        return status;
    if ((status = dms_store_prepare(
             store,
             "INSERT INTO insured_person (tenant, policy, employee_id, relation, full_name, "
             "birth_day, department, programme, status, date_from, date_to, status_day, version, "
             "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
             "ON CONFLICT (tenant, policy) DO UPDATE SET employee_id = excluded.employee_id, "
             "relation = excluded.relation, full_name = excluded.full_name, "
             "birth_day = excluded.birth_day, department = excluded.department, "
             "programme = excluded.programme, status = excluded.status, "
             "date_from = excluded.date_from, date_to = excluded.date_to, "
             "status_day = excluded.status_day, version = excluded.version, "
             "updated_at = excluded.updated_at",
             &stmt, err)) != DMS_OK)
        return status;
    /* A person whose name and employee id stay (most changes) is updated without touching
     * the indexed columns, which saves rewriting two index entries per person. */
    dms_stmt *update = NULL;
    if ((status =
             dms_store_prepare(store,
                               "UPDATE insured_person SET relation = ?4, birth_day = ?6, "
                               "department = ?7, programme = ?8, status = ?9, date_from = ?10, "
                               "date_to = ?11, status_day = ?12, version = ?13, updated_at = ?14 "
                               "WHERE tenant = ?1 AND policy = ?2",
                               &update, err)) != DMS_OK) {
        dms_sql_finalize(stmt);
        return status;
    }
    for (size_t i = 0; i < o->npersons && status == DMS_OK; i++) {
        const dms_insured_person *p = &o->persons[i];
        long *version = versions_slot(v, p->policy);
        if (version == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
            break;
        }
        const dms_insured_person *was = dms_insured_register_find(before, p->policy);
        dms_stmt *w = was != NULL && strcmp(was->full_name, p->full_name) == 0 &&
                              strcmp(was->employee_id, p->employee_id) == 0
                          ? update
                          : stmt;
        dms_sql_reset(w);
        dms_sql_clear_bindings(w);
        dms_sql_bind_int64(w, 1, tenant);
        dms_sql_bind_text(w, 2, p->policy);
        dms_sql_bind_text(w, 3, p->employee_id);
        dms_sql_bind_int64(w, 4, (int)p->relation);
        dms_sql_bind_text(w, 5, p->full_name);
        bind_day(w, 6, p->birth_day);
        dms_sql_bind_text(w, 7, p->department);
        dms_sql_bind_text(w, 8, p->programme);
        dms_sql_bind_int64(w, 9, (int)p->status);
        dms_sql_bind_int64(w, 10, p->date_from);
        bind_day(w, 11, p->date_to);
        dms_sql_bind_int64(w, 12, p->status_day);
        dms_sql_bind_int64(w, 13, *version > 0 ? *version : 1);
        dms_sql_bind_text(w, 14, at);
        if ((rc = dms_sql_step(w)) != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "storing an insured person", err);
    }
    dms_sql_finalize(update);
    dms_sql_finalize(stmt);
    return status;
}

int dms_register_store_submit(dms_store *store, const dms_insured_batch *batch,
                              const dms_register_submit *opts, dms_insured_outcome **outcome,
                              long *current, long *upload, dms_error *err)
{
    dms_error_clear(err);
    if (outcome != NULL)
        *outcome = NULL;
    if (current != NULL)
        *current = 0;
    if (upload != NULL)
        *upload = 0;
    if (store == NULL || batch == NULL || opts == NULL || outcome == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_register_store_submit: NULL argument");
    if (dms_store_tenant(store) <= 0)
        return dms_store_no_tenant(err);
    bool own = !dms_sql_in_transaction(store);
    int status = own ? dms_enrol_begin(store, err) : DMS_OK;
    if (status != DMS_OK)
        return status;
    dms_policy *policy = NULL;
    dms_insured_register *reg = NULL;
    struct versions v = {0};
    const char **programmes = NULL;
    long stored_upload = 0;
    int retro = opts->retro_days;
    if ((status = load_policy(store, &policy, err)) != DMS_OK)
        goto out;
    if (retro < 0 && (status = dms_register_store_retro_days(store, &retro, err)) != DMS_OK)
        goto out;
    if ((programmes = calloc(policy->nsegments + 1, sizeof *programmes)) == NULL ||
        dms_insured_register_alloc(&reg) != DMS_OK ||
        versions_init(&v, dms_insured_batch_count(batch)) != DMS_OK) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the register check");
        goto out;
    }
    for (size_t i = 0; i < policy->nsegments; i++)
        programmes[i] = policy->segments[i].code;
    if ((status = load_touched(store, batch, reg, &v, err)) != DMS_OK)
        goto out;
    if (opts->expected_version > 0 && dms_insured_batch_count(batch) == 1) {
        const char *p = dms_insured_batch_get(batch, 0)->policy;
        long *slot = p != NULL ? versions_slot(&v, p) : NULL;
        long now = slot != NULL ? *slot : 0;
        if (now != opts->expected_version) {
            if (current != NULL)
                *current = now;
            status = dms_error_set(err, DMS_ECONFLICT, "/version",
                                   "the person changed meanwhile: version %ld, not %ld; reload "
                                   "and try again (запись изменена, обновите)",
                                   now, opts->expected_version);
            goto out;
        }
    }
    dms_insured_rules rules = {.policy_from = policy->period_from_day,
                               .policy_to = policy->period_to_day,
                               .today = opts->today,
                               .retro_days = opts->internal ? -1 : retro,
                               .programmes = opts->internal ? NULL : programmes,
                               .nprogrammes = opts->internal ? 0 : policy->nsegments};
    if ((status = dms_insured_check(reg, &rules, batch, outcome, err)) != DMS_OK)
        goto out;
    if ((*outcome)->ok && (*outcome)->nchanges > 0)
        status = write_outcome(store, *outcome, reg, opts, &v, &stored_upload, err);
out:
    if (own) {
        if (status == DMS_OK && *outcome != NULL && (*outcome)->ok)
            status = dms_enrol_commit(store, err);
        else
            dms_enrol_rollback(store);
    }
    if (status != DMS_OK) {
        dms_insured_outcome_free(*outcome);
        *outcome = NULL;
    } else if (upload != NULL) {
        *upload = stored_upload;
    }
    versions_free(&v);
    free(programmes);
    dms_insured_register_free(reg);
    dms_policy_free(policy);
    return status;
}

/* ---- exposure ---------------------------------------------------------------------- */

struct spans {
    dms_member *items;
    char **strings; /* owned copies, 3 a member */
    size_t n, cap;
};

static int span_add(struct spans *s, dms_stmt *row, long from, long to)
{
    if (s->n == s->cap) {
        size_t cap = s->cap > 0 ? 2 * s->cap : 256;
        dms_member *items = realloc(s->items, cap * sizeof *items);
        if (items == NULL)
            return DMS_ENOMEM;
        s->items = items;
        char **strings = realloc(s->strings, 4 * cap * sizeof *strings);
        if (strings == NULL)
            return DMS_ENOMEM;
        s->strings = strings;
        s->cap = cap;
    }
    char **str = &s->strings[4 * s->n];
    for (int i = 0; i < 4; i++) {
        const char *t = dms_sql_column_text(row, i == 0 ? 0 : i == 1 ? 3 : i == 2 ? 6 : 7);
        str[i] = strdup(t != NULL ? (const char *)t : "");
        if (str[i] == NULL) {
            for (int j = 0; j < i; j++)
                free(str[j]);
            return DMS_ENOMEM;
        }
    }
    str[3][strcspn(str[3], "+")] = '\0'; /* the segment: the programme without options */
    dms_member *m = &s->items[s->n++];
    memset(m, 0, sizeof *m);
    m->policy_id = str[0];
    m->employee_id = str[1];
    m->department = str[2];
    m->segment = str[3];
    m->relation = (enum dms_relation)dms_sql_column_int(row, 4);
    m->sex = -1;
    m->birth_day = column_day(row, 5, 0);
    m->attach_day = from;
    m->detach_day = to;
    return DMS_OK;
}

int dms_register_store_membership(dms_store *store, dms_membership **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "SELECT c.policy, c.action, c.effective_day, p.employee_id, p.relation, p.birth_day, "
        "p.department, p.programme FROM insured_change c JOIN insured_person p "
        "ON p.tenant = c.tenant AND p.policy = c.policy WHERE c.tenant = ?1 "
        "ORDER BY c.policy, c.id",
        &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    struct spans s = {0};
    char policy[DMS_REGISTER_ID_MAX] = "";
    long open = DMS_INSURED_NO_DATE;
    int rc;
    /* The span still open at the end of a person's changes runs on (cover not ended). */
    while (status == DMS_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        const char *p = (const char *)dms_sql_column_text(stmt, 0);
        enum dms_insured_action action = (enum dms_insured_action)dms_sql_column_int(stmt, 1);
        long day = (long)dms_sql_column_int64(stmt, 2);
        if (strcmp(p != NULL ? p : "", policy) != 0) {
            if (open != DMS_INSURED_NO_DATE && s.n > 0 && s.items[s.n - 1].detach_day == -1)
                s.items[s.n - 1].detach_day = DMS_EXPOSURE_OPEN;
            snprintf(policy, sizeof policy, "%s", p != NULL ? p : "");
            open = DMS_INSURED_NO_DATE;
        }
        if (action == DMS_INSURED_ATTACH && open == DMS_INSURED_NO_DATE) {
            open = day;
            status = span_add(&s, stmt, day, -1) == DMS_OK
                         ? DMS_OK
                         : dms_error_set(err, DMS_ENOMEM, NULL, "no memory for exposure");
        } else if ((action == DMS_INSURED_DETACH || action == DMS_INSURED_SUSPEND) &&
                   open != DMS_INSURED_NO_DATE) {
            s.items[s.n - 1].detach_day = day - 1;
            open = DMS_INSURED_NO_DATE;
        }
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "reading the register for exposure", err);
    dms_sql_finalize(stmt);
    if (open != DMS_INSURED_NO_DATE && s.n > 0 && s.items[s.n - 1].detach_day == -1)
        s.items[s.n - 1].detach_day = DMS_EXPOSURE_OPEN;
    /* A span that ended before it began (detached on its attach day) covers nothing. */
    size_t kept = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.items[i].detach_day >= s.items[i].attach_day)
            s.items[kept++] = s.items[i];
    if (status == DMS_OK && dms_membership_build(s.items, kept, out) != DMS_OK)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for exposure");
    for (size_t i = 0; i < 4 * s.n; i++)
        free(s.strings[i]);
    free(s.strings);
    free(s.items);
    return status;
}

/* ---- elections -------------------------------------------------------------------- */

int dms_register_store_elect(dms_store *store, const char *employee_id, const char *options_json,
                             long from_day, const char *author, int *changed, dms_error *err)
{
    dms_error_clear(err);
    if (changed != NULL)
        *changed = 0;
    json_error_t jerr;
    json_t *options = json_loads(options_json != NULL ? options_json : "[]", 0, &jerr);
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    dms_policy *policy = NULL;
    dms_stmt *stmt = NULL;
    int status = load_policy(store, &policy, err);
    if (status == DMS_ENOTFOUND) {
        status = DMS_OK; /* no policy, no register to follow */
        goto out;
    }
    if (status != DMS_OK)
        goto out;
    if (dms_insured_batch_alloc(&batch) != DMS_OK) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
        goto out;
    }
    if ((status =
             dms_store_prepare(store,
                               "SELECT policy, programme, status_day FROM insured_person WHERE "
                               "tenant = ?1 AND employee_id = ?2 AND relation = 0 AND status <> 2",
                               &stmt, err)) != DMS_OK)
        goto out;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_sql_bind_text(stmt, 2, employee_id);
    while (status == DMS_OK && dms_sql_step(stmt) == DMS_SQL_ROW) {
        char pol[DMS_REGISTER_ID_MAX], programme[DMS_REGISTER_TEXT_MAX];
        dms_store_column_text(stmt, 0, pol, sizeof pol);
        dms_store_column_text(stmt, 1, programme, sizeof programme);
        long last = (long)dms_sql_column_int64(stmt, 2);
        size_t len = strcspn(programme, "+");
        programme[len] = '\0';
        size_t i;
        json_t *code;
        json_array_foreach(options, i, code)
        {
            if (json_is_string(code) && len + 1 + json_string_length(code) < sizeof programme) {
                len += (size_t)snprintf(programme + len, sizeof programme - len, "+%s",
                                        json_string_value(code));
            }
        }
        dms_register_entry now;
        if (dms_register_store_get(store, pol, &now, err) != DMS_OK ||
            strcmp(now.programme, programme) == 0)
            continue;
        long day = from_day != DMS_INSURED_NO_DATE ? from_day : policy->period_from_day;
        if (day < last)
            day = last;
        dms_insured_change c = {.action = DMS_INSURED_CHANGE_PROGRAMME,
                                .effective_day = day,
                                .policy = pol,
                                .employee_id = "",
                                .full_name = "",
                                .birth_day = DMS_INSURED_NO_DATE,
                                .department = "",
                                .programme = programme,
                                .programme_before = "",
                                .author = ""};
        status = dms_insured_batch_add(batch, &c, err);
    }
    dms_sql_finalize(stmt);
    stmt = NULL;
    if (status != DMS_OK || dms_insured_batch_count(batch) == 0)
        goto out;
    dms_register_submit opts = {.author = author,
                                .source = "election",
                                .today = policy->period_from_day,
                                .retro_days = -1,
                                .internal = true};
    if ((status = dms_register_store_submit(store, batch, &opts, &outcome, NULL, NULL, err)) ==
            DMS_OK &&
        outcome->ok && changed != NULL)
        *changed = (int)outcome->npersons;
out:
    dms_sql_finalize(stmt);
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
    dms_policy_free(policy);
    json_decref(options);
    return status;
}

int dms_register_store_election_put(dms_store *store, dms_enrol_election *e,
                                    const dms_election_history *entry, enum dms_role role,
                                    dms_error *err)
{
    dms_error_clear(err);
    int status = dms_enrol_election_put(store, e, entry, role, err);
    if (status != DMS_OK || e->status != DMS_ELECTION_ACCEPTED ||
        entry->from == DMS_ELECTION_ACCEPTED)
        return status;
    /* An accepted election moves the person's programme in the register, from the life
     * event's date when it re-opened the election, else from the policy period's start. */
    long from = DMS_INSURED_NO_DATE;
    if (e->life_event != DMS_LIFE_EVENT_NONE && !dms_date_parse(e->life_event_date, &from))
        from = DMS_INSURED_NO_DATE;
    return dms_register_store_elect(store, e->employee_id, e->options, from, entry->actor, NULL,
                                    err);
}
