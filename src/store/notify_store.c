/*
 * Stored notifications (notify_store.h): contacts, the inbox and outbox in
 * one table unique per employer, dedupe key and recipient, the delivery
 * log, and the daily scan over the status-change tables, which marks each
 * change row it has notified (a transactional outbox, see feed).
 */
#include "dms/notify_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/enrol_store.h"
#include "dms/finance_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/reimbursement.h"
#include "dms/tenant_store.h"
#include "store_internal.h"

int dms_notify_store_contact_set(dms_store *store, const char *role, const char *employee_id,
                                 const char *email, dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    if (role == NULL || email == NULL || strchr(email, '@') == NULL || strlen(email) >= 256 ||
        strpbrk(email, "\r\n<> ,;") != NULL)
        return dms_error_set(err, DMS_EINVAL, "/email", "an e-mail address, name@host");
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "INSERT INTO notify_contact (tenant, role, employee_id, email) VALUES "
                          "(?1, ?2, ?3, ?4) ON CONFLICT (tenant, role, employee_id) DO UPDATE SET "
                          "email = excluded.email",
                          &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_text(stmt, 2, role);
        dms_sql_bind_text(stmt, 3, employee_id != NULL ? employee_id : "");
        dms_sql_bind_text(stmt, 4, email);
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "writing a contact", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

static void contact(dms_store *store, const dms_notify_recipient *r, char *email, size_t size)
{
    dms_stmt *stmt = NULL;
    email[0] = '\0';
    if (dms_sql_prepare(store,
                        "SELECT email FROM notify_contact WHERE tenant = ?1 AND role = ?2 AND "
                        "employee_id = ?3",
                        &stmt) != DMS_SQL_OK)
        return;
    dms_sql_bind_int64(stmt, 1, dms_store_tenant(store));
    dms_sql_bind_text(stmt, 2, r->role);
    dms_sql_bind_text(stmt, 3, r->employee);
    if (dms_sql_step(stmt) == DMS_SQL_ROW)
        dms_store_column_text(stmt, 0, email, size);
    dms_sql_finalize(stmt);
}

static int log_line(dms_store *store, long tenant, long id, const char *event, const char *detail,
                    dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "INSERT INTO notify_log (tenant, notification, event, detail) VALUES "
                          "(?1, ?2, ?3, ?4)",
                          &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_int64(stmt, 2, id);
        dms_sql_bind_text(stmt, 3, event);
        dms_sql_bind_text(stmt, 4, detail != NULL ? detail : "");
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "writing the notification log", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

/* The employer's name as notices address it. */
static void employer_name(dms_store *store, long tenant, char *name, size_t size)
{
    dms_tenant_employer emp;
    if (dms_tenant_employer_get(store, tenant, &emp, NULL) == DMS_OK)
        snprintf(name, size, "%s", emp.name);
    else
        snprintf(name, size, "Работодатель %ld", tenant);
}

/* Queues a composed notice to each of to[0 .. nto - 1] of the current tenant, once per
 * dedupe key and recipient. */
static int queue(dms_store *store, enum dms_notify_kind kind, const char *key, const char *subject,
                 const char *body, const dms_notify_recipient *to, size_t nto, size_t *created,
                 dms_error *err)
{
    long tenant = dms_store_tenant(store);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(
        store,
        "INSERT INTO notification (tenant, dedupe, kind, role, employee_id, "
        "subject, body, email, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (tenant, dedupe, role, employee_id) DO NOTHING RETURNING id",
        &stmt, err);
    for (size_t i = 0; status == DMS_OK && i < nto; i++) {
        char email[256];
        contact(store, &to[i], email, sizeof email);
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, tenant);
        dms_sql_bind_text(stmt, 2, key);
        dms_sql_bind_text(stmt, 3, dms_notify_kind_name(kind));
        dms_sql_bind_text(stmt, 4, to[i].role);
        dms_sql_bind_text(stmt, 5, to[i].employee);
        dms_sql_bind_text(stmt, 6, subject);
        dms_sql_bind_text(stmt, 7, body);
        dms_sql_bind_text(stmt, 8, email);
        dms_sql_bind_text(stmt, 9, email[0] != '\0' ? "pending" : "inbox");
        int rc = dms_sql_step(stmt);
        if (rc == DMS_SQL_DONE)
            continue; /* no row: this event reached this recipient already */
        long id = rc == DMS_SQL_ROW ? (long)dms_sql_column_int64(stmt, 0) : 0;
        if (rc == DMS_SQL_ROW)
            rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE) {
            status = dms_store_fail(store, rc, "queueing a notification", err);
            break;
        }
        char detail[300];
        snprintf(detail, sizeof detail, "%s%s%s", to[i].role, email[0] ? " <" : " (inbox only)",
                 email[0] ? email : "");
        if (email[0] != '\0')
            strncat(detail, ">", sizeof detail - strlen(detail) - 1);
        status = log_line(store, tenant, id, "queued", detail, err);
        if (created != NULL)
            (*created)++;
    }
    dms_sql_finalize(stmt);
    return status;
}

int dms_notify_store_enqueue(dms_store *store, const dms_notify_event *e, size_t *created,
                             dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    char name[256], key[DMS_NOTIFY_KEY_MAX], subject[DMS_NOTIFY_SUBJECT_MAX],
        body[DMS_NOTIFY_BODY_MAX];
    employer_name(store, tenant, name, sizeof name);
    dms_notify_key(e, key, sizeof key);
    dms_notify_compose(e, name, subject, sizeof subject, body, sizeof body);
    dms_notify_recipient to[4];
    size_t nto = dms_notify_recipients(e, to);
    return queue(store, e->kind, key, subject, body, to, nto, created, err);
}

/* ---- reading --------------------------------------------------------------------- */

#define NOTE_COLUMNS                                                                               \
    "id, tenant, kind, role, employee_id, email, subject, body, state, attempts, next_attempt, "   \
    "last_error, created_at, delivered_at, read_at"

static void read_note(dms_stmt *stmt, dms_notification *n)
{
    memset(n, 0, sizeof *n);
    n->id = (long)dms_sql_column_int64(stmt, 0);
    n->tenant = (long)dms_sql_column_int64(stmt, 1);
    dms_store_column_text(stmt, 2, n->kind, sizeof n->kind);
    dms_store_column_text(stmt, 3, n->role, sizeof n->role);
    dms_store_column_text(stmt, 4, n->employee_id, sizeof n->employee_id);
    dms_store_column_text(stmt, 5, n->email, sizeof n->email);
    dms_store_column_text(stmt, 6, n->subject, sizeof n->subject);
    dms_store_column_text(stmt, 7, n->body, sizeof n->body);
    dms_store_column_text(stmt, 8, n->state, sizeof n->state);
    n->attempts = dms_sql_column_int(stmt, 9);
    n->next_attempt = dms_sql_column_int64(stmt, 10);
    dms_store_column_text(stmt, 11, n->last_error, sizeof n->last_error);
    dms_store_column_text(stmt, 12, n->created_at, sizeof n->created_at);
    dms_store_column_text(stmt, 13, n->delivered_at, sizeof n->delivered_at);
    dms_store_column_text(stmt, 14, n->read_at, sizeof n->read_at);
}

static void read_note_row(dms_stmt *stmt, void *row)
{
    read_note(stmt, row);
}

/* Every row of stmt as notifications; finalizes stmt. */
static int read_notes(dms_store *store, dms_stmt *stmt, dms_notification **out, size_t *n,
                      dms_error *err)
{
    void *list = NULL;
    int status =
        dms_store_read_rows(store, stmt, sizeof **out, 16, read_note_row,
                            "no memory for notifications", "reading notifications", &list, n, err);
    *out = list;
    return status;
}

int dms_notify_store_inbox(dms_store *store, const char *role, const char *employee_id,
                           size_t limit, dms_notification **out, size_t *n, dms_error *err)
{
    dms_error_clear(err);
    long tenant = dms_store_tenant(store);
    if (tenant <= 0)
        return dms_store_no_tenant(err);
    dms_stmt *stmt = NULL;
    int status = dms_store_prepare(store,
                                   "SELECT " NOTE_COLUMNS
                                   " FROM notification WHERE tenant = ?1 AND role = ?2 "
                                   "AND employee_id = ?3 ORDER BY id DESC LIMIT ?4",
                                   &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_sql_bind_text(stmt, 2, role);
    dms_sql_bind_text(stmt, 3, employee_id != NULL ? employee_id : "");
    dms_sql_bind_int64(stmt, 4, (long long)limit);
    return read_notes(store, stmt, out, n, err);
}

int dms_notify_store_outbox(dms_store *store, long long now, size_t limit, dms_notification **out,
                            size_t *n, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *stmt = NULL;
    int status =
        dms_store_prepare(store,
                          "SELECT " NOTE_COLUMNS " FROM notification WHERE state = 'pending' AND "
                          "next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, now);
    dms_sql_bind_int64(stmt, 2, (long long)limit);
    return read_notes(store, stmt, out, n, err);
}

int dms_notify_store_log(dms_store *store, size_t limit, dms_notify_log_row **out, size_t *n,
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
                          "SELECT l.notification, l.at, l.event, l.detail, n.role, n.employee_id, "
                          "n.email, n.kind, n.subject FROM notify_log l JOIN notification n ON "
                          "n.id = l.notification WHERE l.tenant = ?1 ORDER BY l.id LIMIT ?2",
                          &stmt, err);
    if (status != DMS_OK)
        return status;
    dms_sql_bind_int64(stmt, 1, tenant);
    dms_sql_bind_int64(stmt, 2, (long long)limit);
    size_t cap = 0;
    int rc;
    while ((rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        if (*n == cap) {
            cap = cap != 0 ? cap * 2 : 32;
            dms_notify_log_row *v = realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the log");
                break;
            }
            *out = v;
        }
        dms_notify_log_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->notification = (long)dms_sql_column_int64(stmt, 0);
        dms_store_column_text(stmt, 1, r->at, sizeof r->at);
        dms_store_column_text(stmt, 2, r->event, sizeof r->event);
        dms_store_column_text(stmt, 3, r->detail, sizeof r->detail);
        dms_store_column_text(stmt, 4, r->role, sizeof r->role);
        dms_store_column_text(stmt, 5, r->employee_id, sizeof r->employee_id);
        dms_store_column_text(stmt, 6, r->email, sizeof r->email);
        dms_store_column_text(stmt, 7, r->kind, sizeof r->kind);
        dms_store_column_text(stmt, 8, r->subject, sizeof r->subject);
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, "reading the log", err);
    dms_sql_finalize(stmt);
    return status;
}

int dms_notify_store_result(dms_store *store, const dms_notification *n, bool delivered,
                            const char *error, long long now, dms_error *err)
{
    dms_error_clear(err);
    int attempt = n->attempts + 1;
    long long next = now + dms_notify_backoff(attempt);
    dms_stmt *stmt = NULL;
    int status = dms_enrol_begin(store, err);
    if (status != DMS_OK)
        return status;
    if (n->attempts > 0) {
        char detail[64];
        snprintf(detail, sizeof detail, "attempt %d", attempt);
        status = log_line(store, n->tenant, n->id, "retried", detail, err);
    }
    if (status == DMS_OK)
        status = dms_store_prepare(
            store,
            delivered ? "UPDATE notification SET state = 'delivered', attempts = ?2, "
                        "delivered_at = dms_now(), last_error "
                        "= '' WHERE id = ?1"
                      : "UPDATE notification SET attempts = ?2, next_attempt = ?3, "
                        "last_error = ?4 WHERE id = ?1",
            &stmt, err);
    if (status == DMS_OK) {
        dms_sql_bind_int64(stmt, 1, n->id);
        dms_sql_bind_int64(stmt, 2, attempt);
        if (!delivered) {
            dms_sql_bind_int64(stmt, 3, next);
            dms_sql_bind_text(stmt, 4, error != NULL ? error : "");
        }
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "recording a delivery", err);
    }
    dms_sql_finalize(stmt);
    if (status == DMS_OK) {
        char detail[300];
        if (delivered)
            snprintf(detail, sizeof detail, "attempt %d to %s", attempt, n->email);
        else
            snprintf(detail, sizeof detail, "attempt %d: %.180s; next in %ld s", attempt,
                     error != NULL ? error : "", dms_notify_backoff(attempt));
        status = log_line(store, n->tenant, n->id, delivered ? "delivered" : "failed", detail, err);
    }
    if (status == DMS_OK)
        return dms_enrol_commit(store, err);
    dms_enrol_rollback(store);
    return status;
}

/* ---- the daily scan ----------------------------------------------------------------- */

static long policy_last_day(dms_store *store)
{
    char *text = NULL;
    json_t *doc = NULL;
    long day = 0;
    if (dms_enrol_employer_get(store, NULL, &text, NULL, NULL) == DMS_OK &&
        dms_json_parse_text(text, strlen(text), &doc, NULL) == DMS_OK) {
        const char *to = json_string_value(json_object_get(json_object_get(doc, "period"), "to"));
        if (to == NULL || !dms_date_parse(to, &day))
            day = 0;
    }
    json_decref(doc);
    free(text);
    return day;
}

static int scan_employer(dms_store *store, long today, size_t *created, dms_error *err)
{
    int status = DMS_OK;
    long last = policy_last_day(store), left = 0;
    if (last > 0 && dms_notify_programme_due(last, today, &left)) {
        dms_notify_event e = {DMS_NOTIFY_PROGRAMME_ENDS, "programme", "", "", last, left, 0};
        status = dms_notify_store_enqueue(store, &e, created, err);
    }
    dms_finance_book *b = NULL;
    if (status == DMS_OK && dms_finance_store_book(store, &b, NULL) == DMS_OK) {
        for (size_t i = 0; status == DMS_OK && i < b->ninvoices; i++) {
            const dms_finance_invoice *v = &b->invoices[i];
            if (v->amount - v->paid <= 0)
                continue;
            enum dms_notify_kind kind = DMS_NOTIFY_KIND_COUNT;
            if (dms_notify_invoice_due(v->due, today))
                kind = DMS_NOTIFY_INVOICE_DUE;
            else if (dms_notify_invoice_overdue(v->due, today))
                kind = DMS_NOTIFY_INVOICE_OVERDUE;
            if (kind == DMS_NOTIFY_KIND_COUNT)
                continue;
            dms_notify_event e = {
                kind, v->number, "", "", v->due, 0, (long long)(v->amount - v->paid)};
            status = dms_notify_store_enqueue(store, &e, created, err);
        }
    }
    dms_finance_book_free(b);
    dms_tenant_key *keys = NULL;
    size_t nk = 0;
    if (status == DMS_OK &&
        dms_tenant_key_list(store, dms_store_tenant(store), &keys, &nk, NULL) == DMS_OK) {
        for (size_t i = 0; status == DMS_OK && i < nk; i++) {
            char date[11];
            long day = 0;
            snprintf(date, sizeof date, "%.10s", keys[i].expires_at);
            if (keys[i].revoked_at[0] != '\0' || !dms_date_parse(date, &day) ||
                !dms_notify_key_due(day, today, &left))
                continue;
            char object[48];
            snprintf(object, sizeof object, "%s (%s)", keys[i].prefix, dms_role_name(keys[i].role));
            dms_notify_event e = {DMS_NOTIFY_KEY_EXPIRES, object, "", "", day, left, 0};
            status = dms_notify_store_enqueue(store, &e, created, err);
        }
    }
    free(keys);
    return status;
}

/*
 * The rows a feed takes: those not yet notified, in the order of their ids, whatever
 * order their transactions committed in (a row of a transaction still open is not
 * visible and is simply taken by a later scan). On PostgreSQL the rows taken are locked
 * and rows another scan has locked are passed over (FOR UPDATE OF T SKIP LOCKED), so two
 * scans at once never take the same row; SQLite has one writer at a time and the scan
 * reads after taking the write lock. SQL is the statement both engines share.
 */
#define UNNOTIFIED(T) T ".notified_at IS NULL"
#define FEED_SQL(SQL, T)                                                                           \
    SQL " ORDER BY " T ".id", SQL " ORDER BY " T ".id FOR UPDATE OF " T " SKIP LOCKED"

/* ---- the feeds: each employee's own notice, HR's digests --------------------------- */

/* A change as a feed keeps it until the digests are made. */
typedef struct feed_row {
    long id, tenant, upload, day;
    long group;   /* the digest it goes into, within its employer's: 0 or the upload */
    int action;   /* what the digest counts it under */
    bool counted; /* it goes into HR's digest (else only its notice goes out) */
    char who[DMS_REGISTER_ID_MAX];
} feed_row;

/* The notice of one change to the employee concerned, with the strings it points to. */
typedef struct feed_notice {
    dms_notify_event e;
    char object[64], employee[64], status[64];
    bool silent; /* the change reached no new status: nobody is told of it */
} feed_notice;

/*
 * A feed of status changes over one table. The statement's first columns are the
 * change's id and employer, the rest are read's; it selects the rows not yet notified
 * (UNNOTIFIED, FEED_SQL), and mark marks the row of id ?1 notified. read fills the notice
 * and, for a feed with a digest, the row.
 */
typedef struct feed_spec {
    const char *sql, *sql_pg;    /* the rows not yet notified, on SQLite and on PostgreSQL */
    const char *mark;            /* marks the row ?1 notified */
    const char *reading;         /* what an error says the scan was doing */
    enum dms_notify_kind digest; /* HR's digest, or DMS_NOTIFY_KIND_COUNT for none */
    void (*read)(dms_stmt *stmt, long today, feed_row *row, feed_notice *note);
} feed_spec;

/* Rows in the order of their digests: employer, then group, then id. */
static int by_digest(const void *a, const void *b)
{
    const feed_row *x = a, *y = b;
    if (x->tenant != y->tenant)
        return x->tenant < y->tenant ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Queues HR's digest of kind of rows[0 .. n - 1], all of one employer and one group. */
static int queue_digest(dms_store *store, enum dms_notify_kind kind, const feed_row *rows, size_t n,
                        dms_notify_change *scratch, size_t *created, dms_error *err)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = (dms_notify_change){rows[i].id, rows[i].upload, rows[i].action, rows[i].day,
                                         rows[i].who};
    dms_notify_digest d;
    int status = dms_notify_digest_count(kind, scratch, n, &d, err);
    if (status != DMS_OK)
        return status;
    dms_store_tenant_set(store, rows[0].tenant);
    char name[256], key[DMS_NOTIFY_KEY_MAX], subject[DMS_NOTIFY_SUBJECT_MAX],
        body[DMS_NOTIFY_BODY_MAX];
    employer_name(store, rows[0].tenant, name, sizeof name);
    dms_notify_digest_key(&d, key, sizeof key);
    dms_notify_digest_compose(&d, name, subject, sizeof subject, body, sizeof body);
    dms_notify_event e = {kind, "", "", "", d.first_day, 0, 0};
    dms_notify_recipient to[4];
    size_t nto = dms_notify_recipients(&e, to);
    return queue(store, kind, key, subject, body, to, nto, created, err);
}

/* HR's digests of rows[0 .. n - 1] (reordered): one per employer and group. */
static int queue_digests(dms_store *store, enum dms_notify_kind kind, feed_row *rows, size_t n,
                         size_t *created, dms_error *err)
{
    if (n == 0)
        return DMS_OK;
    dms_notify_change *scratch = malloc(n * sizeof *scratch);
    if (scratch == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    qsort(rows, n, sizeof *rows, by_digest);
    int status = DMS_OK;
    for (size_t i = 0, j; status == DMS_OK && i < n; i = j) {
        for (j = i + 1; j < n && rows[j].tenant == rows[i].tenant && rows[j].group == rows[i].group;
             j++)
            ;
        status = queue_digest(store, kind, rows + i, j - i, scratch, created, err);
    }
    free(scratch);
    return status;
}

/* Marks ids[0 .. n - 1] notified. */
static int mark(dms_store *store, const feed_spec *spec, const long *ids, size_t n, dms_error *err)
{
    dms_stmt *stmt = NULL;
    int status = n > 0 ? dms_store_prepare(store, spec->mark, &stmt, err) : DMS_OK;
    for (size_t i = 0; status == DMS_OK && i < n; i++) {
        dms_sql_reset(stmt);
        dms_sql_bind_int64(stmt, 1, ids[i]);
        int rc = dms_sql_step(stmt);
        if (rc != DMS_SQL_DONE)
            status = dms_store_fail(store, rc, "marking changes notified", err);
    }
    dms_sql_finalize(stmt);
    return status;
}

/* v (capacity *cap, n used) with room for one more element of size bytes, doubling as
 * it fills; NULL when out of memory, v then still held by the caller. */
static void *room_for_one(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t grown = *cap != 0 ? *cap * 2 : 64;
    void *w = realloc(v, grown * size);
    if (w != NULL)
        *cap = grown;
    return w;
}

/*
 * One feed: the changes not yet notified, each employee's own notice as the rows come,
 * then HR's digests (one per employer and group), then the marks on the rows read, all in
 * one transaction. A scan that fails or is killed half-way therefore leaves nothing
 * behind, and the next one finds the same changes unmarked and makes the same notices and
 * digests under the same keys: none is lost or sent twice. (That matters too for a notice
 * whose key holds the scan's day, having none of its own: run again on another day, it
 * would be queued again under another key.) A row is read only once its transaction has
 * committed, whatever the order of ids: an upload still being written when the scan
 * begins is found whole by a later scan, never skipped. Two scans at once take disjoint
 * rows (FEED_SQL), so a digest covers rows no other digest does: the key made of its
 * first and last change (notify.h) is unique, since two digests with the same first
 * change would both hold that change.
 */
static int feed(dms_store *store, const feed_spec *spec, long today, size_t *created,
                dms_error *err)
{
    bool own = !dms_sql_in_transaction(store);
    int status = own ? dms_enrol_begin(store, err) : DMS_OK;
    if (status != DMS_OK)
        return status;
    feed_row *rows = NULL;
    long *ids = NULL;
    size_t n = 0, cap = 0, nids = 0, capids = 0;
    dms_stmt *stmt = NULL;
    status = dms_store_prepare(store, dms_sql_is_pg(store) ? spec->sql_pg : spec->sql, &stmt, err);
    if (status != DMS_OK)
        goto out;
    int rc = DMS_SQL_DONE;
    while (status == DMS_OK && (rc = dms_sql_step(stmt)) == DMS_SQL_ROW) {
        feed_row r;
        feed_notice note;
        memset(&r, 0, sizeof r);
        memset(&note, 0, sizeof note);
        r.id = (long)dms_sql_column_int64(stmt, 0);
        r.tenant = (long)dms_sql_column_int64(stmt, 1);
        long *more_ids = room_for_one(ids, &capids, nids, sizeof *ids);
        if (more_ids == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
            break;
        }
        ids = more_ids;
        ids[nids++] = r.id;
        spec->read(stmt, today, &r, &note);
        if (spec->digest != DMS_NOTIFY_KIND_COUNT && r.counted) {
            feed_row *more_rows = room_for_one(rows, &cap, n, sizeof *rows);
            if (more_rows == NULL) {
                status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
                break;
            }
            rows = more_rows;
            rows[n++] = r;
        }
        dms_store_tenant_set(store, r.tenant);
        if (!note.silent)
            status = dms_notify_store_enqueue(store, &note.e, created, err);
    }
    if (status == DMS_OK && rc != DMS_SQL_DONE)
        status = dms_store_fail(store, rc, spec->reading, err);
    /* The marks come after the read is finished: SQLite's statement is still walking the
     * partial index the marks take rows out of. */
    dms_sql_finalize(stmt);
    if (status == DMS_OK)
        status = queue_digests(store, spec->digest, rows, n, created, err);
    if (status == DMS_OK)
        status = mark(store, spec, ids, nids, err);
out:
    free(rows);
    free(ids);
    if (own && status == DMS_OK)
        return dms_enrol_commit(store, err);
    if (own)
        dms_enrol_rollback(store);
    return status;
}

/* The register: policy, employee, action, effective day, upload, the upload's changes. An
 * upload of one change goes into the employer's digest of such (group 0). */
static void insured_read(dms_stmt *stmt, long today, feed_row *r, feed_notice *note)
{
    (void)today;
    dms_store_column_text(stmt, 2, r->who, sizeof r->who);
    dms_store_column_text(stmt, 3, note->employee, sizeof note->employee);
    r->action = dms_sql_column_int(stmt, 4);
    if (r->action < 0 || r->action >= DMS_NOTIFY_ACTIONS)
        r->action = DMS_NOTIFY_ACTIONS - 1; /* the schema allows none other */
    r->day = (long)dms_sql_column_int64(stmt, 5);
    r->upload = (long)dms_sql_column_int64(stmt, 6);
    r->group = dms_sql_column_int64(stmt, 7) <= 1 ? 0 : r->upload;
    r->counted = true;
    snprintf(note->object, sizeof note->object, "%s", r->who);
    note->e = (dms_notify_event){DMS_NOTIFY_INSURED_STATUS,
                                 note->object,
                                 note->employee,
                                 dms_notify_action_status_ru(r->action),
                                 r->day,
                                 0,
                                 0};
}

/* Elections: employee, status reached, previous status, time. The day is the change's
 * own; a draft saved again (draft to draft) reached no status: it is not in the digest,
 * and the employee, who saved it, is not told "your election is now a draft" either. */
static void election_read(dms_stmt *stmt, long today, feed_row *r, feed_notice *note)
{
    char from[32], at[40], date[11];
    dms_store_column_text(stmt, 2, note->employee, sizeof note->employee);
    dms_store_column_text(stmt, 3, note->status, sizeof note->status);
    dms_store_column_text(stmt, 4, from, sizeof from);
    dms_store_column_text(stmt, 5, at, sizeof at);
    snprintf(date, sizeof date, "%.10s", at);
    if (!dms_date_parse(date, &r->day))
        r->day = today;
    enum dms_election_status to;
    r->counted =
        dms_election_status_from_text(note->status, &to) && strcmp(from, note->status) != 0;
    r->action = r->counted ? (int)to : 0;
    note->silent = strcmp(from, note->status) == 0;
    snprintf(r->who, sizeof r->who, "%s", note->employee);
    snprintf(note->object, sizeof note->object, "election");
    note->e = (dms_notify_event){
        DMS_NOTIFY_ELECTION_STATUS, note->object, note->employee, note->status, r->day, 0, 0};
}

/* Reimbursement requests: request, employee, status; no day of their own, no digest. */
static void request_read(dms_stmt *stmt, long today, feed_row *r, feed_notice *note)
{
    (void)r;
    dms_store_column_text(stmt, 2, note->object, sizeof note->object);
    dms_store_column_text(stmt, 3, note->employee, sizeof note->employee);
    dms_store_column_text(stmt, 4, note->status, sizeof note->status);
    note->e = (dms_notify_event){
        DMS_NOTIFY_REQUEST_STATUS, note->object, note->employee, note->status, today, 0, 0};
}

static const feed_spec feeds[] = {
    {FEED_SQL("SELECT c.id, c.tenant, c.policy, coalesce(p.employee_id, c.employee_id), c.action, "
              "c.effective_day, c.upload, u.changes FROM insured_change c JOIN insured_upload u "
              "ON u.id = c.upload LEFT JOIN insured_person p ON p.tenant = c.tenant AND "
              "p.policy = c.policy WHERE " UNNOTIFIED("c"),
              "c"),
     "UPDATE insured_change SET notified_at = dms_now() WHERE id = ?1",
     "reading the register's changes", DMS_NOTIFY_INSURED_DIGEST, insured_read},
    /* The condition matches the partial index's (migration 13), so that it serves. */
    {FEED_SQL("SELECT h.id, e.tenant, e.employee_id, h.to_status, h.from_status, h.at FROM "
              "election_history h JOIN election e ON e.id = h.election_id WHERE " UNNOTIFIED(
                  "h") " AND h.from_status IS NOT NULL",
              "h"),
     "UPDATE election_history SET notified_at = dms_now() WHERE id = ?1",
     "reading the elections' changes", DMS_NOTIFY_ELECTION_DIGEST, election_read},
    {FEED_SQL(
         "SELECT v.id, v.tenant, 'R-' || v.request, r.employee_id, CASE v.to_status "
         "WHEN 0 THEN 'подано' WHEN 1 THEN 'на рассмотрении' WHEN 2 THEN 'запрошены "
         "документы' WHEN 3 THEN 'одобрено' WHEN 4 THEN 'выплачено' ELSE 'отказано' "
         "END FROM reimb_event v JOIN reimb_request r ON r.id = v.request WHERE " UNNOTIFIED("v"),
         "v"),
     "UPDATE reimb_event SET notified_at = dms_now() WHERE id = ?1",
     "reading the requests' changes", DMS_NOTIFY_KIND_COUNT, request_read},
};

int dms_notify_store_scan(dms_store *store, long today, size_t *created, dms_error *err)
{
    dms_error_clear(err);
    long saved = dms_store_tenant(store);
    size_t made = 0;
    dms_tenant_employer *emps = NULL;
    size_t ne = 0;
    int status = dms_tenant_employer_list(store, 0, &emps, &ne, err);
    for (size_t i = 0; status == DMS_OK && i < ne; i++) {
        dms_store_tenant_set(store, emps[i].id);
        status = scan_employer(store, today, &made, err);
    }
    free(emps);
    for (size_t i = 0; status == DMS_OK && i < sizeof feeds / sizeof feeds[0]; i++)
        status = feed(store, &feeds[i], today, &made, err);
    dms_store_tenant_set(store, saved);
    if (created != NULL)
        *created = made;
    return status;
}
