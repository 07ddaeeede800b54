/*
 * The stored notifications (tables notify_contact, notification and
 * notify_log of migration 8; the scan's marks of migration 13): the in-cabinet inbox by
 * role and scope, the outbox of e-mails waiting for the relay, and the log
 * of every notification (queued, delivered, failed, retried). A
 * notification is unique per employer, dedupe key (notify.h) and
 * recipient, so running the daily scan twice on a day, or after a restart,
 * creates nothing twice. The outbox keeps an e-mail until the relay takes
 * it: each failure is logged and retried after the core's backoff.
 *
 * The scan and the outbox are the service's own jobs and span every
 * employer; everything else is for the connection's employer.
 */
#ifndef DMS_NOTIFY_STORE_H
#define DMS_NOTIFY_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"
#include "dms/notify.h"
#include "dms/store.h"

/* The e-mail of a role (employee_id for an employee; "" for hr, finance, insurer). */
int dms_notify_store_contact_set(dms_store *store, const char *role, const char *employee_id,
                                 const char *email, dms_error *err);

/* Queues e for its recipients (inbox, and e-mail where a contact is known). */
int dms_notify_store_enqueue(dms_store *store, const dms_notify_event *e, size_t *created /* OUT */,
                             dms_error *err);

/*
 * The daily scan over every employer for today: programme ends in 30, 14 or
 * 1 days, invoices due in 3 days or overdue since yesterday, keys expiring
 * in 7 or 1 days; and the status changes not yet notified (insured
 * people, elections, reimbursement requests; each change row carries its
 * notified_at mark, migration 13). An insured person's change goes to the
 * employee; HR gets one digest per employer and upload (the uploads of one
 * change found by the scan: one digest). An election's change of status
 * goes to the employee; HR gets one digest per employer and scan of the
 * elections' changes (a draft saved again is no change of status and is
 * left out of it). Each feed reads the unmarked rows, queues their notices
 * and digests and marks the rows in one transaction, so a scan that fails
 * leaves nothing and a rescan queues nothing. A row is read once its
 * transaction has committed, whatever the order of ids or of commits: a
 * change still being written is taken by a later scan. On PostgreSQL the
 * rows read are locked and rows locked by another scan passed over (FOR
 * UPDATE SKIP LOCKED), so two scans at once (the server's scheduler and the
 * CLI) never take the same change; on SQLite they run one after the other.
 * Nothing depends on transaction ids, which a dump restored into another
 * cluster does not keep.
 * *created (may be NULL) receives the notifications added.
 */
int dms_notify_store_scan(dms_store *store, long today, size_t *created /* OUT */, dms_error *err);

typedef struct dms_notification {
    long id;
    long tenant;
    char kind[32];
    char role[16];
    char employee_id[64];
    char email[256];
    char subject[DMS_NOTIFY_SUBJECT_MAX];
    char body[DMS_NOTIFY_BODY_MAX];
    char state[16]; /* inbox (no e-mail), pending, delivered */
    int attempts;
    long long next_attempt; /* Unix seconds */
    char last_error[256];
    char created_at[40], delivered_at[40], read_at[40];
} dms_notification;

/* The inbox of role (and employee for role employee), newest first, at most limit. */
int dms_notify_store_inbox(dms_store *store, const char *role, const char *employee_id,
                           size_t limit, dms_notification **out, size_t *n, dms_error *err);

/* One line of the log. */
typedef struct dms_notify_log_row {
    long notification;
    char at[40];
    char event[16]; /* queued, delivered, failed, retried */
    char detail[256];
    char role[16];
    char employee_id[64];
    char email[256];
    char kind[32];
    char subject[DMS_NOTIFY_SUBJECT_MAX];
} dms_notify_log_row;

/* The employer's log, oldest first, at most limit lines. */
int dms_notify_store_log(dms_store *store, size_t limit, dms_notify_log_row **out, size_t *n,
                         dms_error *err);

/* E-mails due by now (any employer), oldest first, at most limit. */
int dms_notify_store_outbox(dms_store *store, long long now, size_t limit, dms_notification **out,
                            size_t *n, dms_error *err);

/* Records an attempt at n (delivered, or failed with error: retried after the backoff). */
int dms_notify_store_result(dms_store *store, const dms_notification *n, bool delivered,
                            const char *error, long long now, dms_error *err);

#endif
