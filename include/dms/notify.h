/*
 * Notifications of the cabinet (уведомления): what happened, to whom, in
 * which words. The events: an insured person's status changed (to the
 * employee; HR gets one digest of the register's changes instead), an election
 * changed status (to the employee; HR gets one digest of the elections'
 * changes instead), a reimbursement request changed status, the programme ends in 30, 14
 * or 1 days, an invoice is due or overdue, a key expires. Each event has a
 * dedupe key (the same event on the same day is one notification however
 * often the scheduler runs), a recipient role and scope (the inbox it goes
 * to), and a subject and body in Russian and English. Pure: the store keeps
 * the inbox and the outbox, the service sends e-mail and schedules.
 *
 * Delivery is retried with exponential backoff: attempt n (1-based) that
 * failed is tried again dms_notify_backoff(n) seconds later, 60 s doubling
 * to at most an hour, without limit on attempts, so nothing is lost while
 * the relay is down.
 */
#ifndef DMS_NOTIFY_H
#define DMS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"

#define DMS_NOTIFY_KEY_MAX 128
#define DMS_NOTIFY_SUBJECT_MAX 256
#define DMS_NOTIFY_BODY_MAX 2048

enum dms_notify_kind {
    DMS_NOTIFY_INSURED_STATUS = 0,  /* "insured_status" */
    DMS_NOTIFY_ELECTION_STATUS = 1, /* "election_status" */
    DMS_NOTIFY_REQUEST_STATUS = 2,  /* "request_status" */
    DMS_NOTIFY_PROGRAMME_ENDS = 3,  /* "programme_ends" */
    DMS_NOTIFY_INVOICE_DUE = 4,     /* "invoice_due" */
    DMS_NOTIFY_INVOICE_OVERDUE = 5, /* "invoice_overdue" */
    DMS_NOTIFY_KEY_EXPIRES = 6,     /* "key_expires" */
    DMS_NOTIFY_INSURED_DIGEST = 7,  /* "insured_digest": HR's summary of register changes */
    DMS_NOTIFY_ELECTION_DIGEST = 8, /* "election_digest": HR's summary of elections' changes */
    DMS_NOTIFY_KIND_COUNT = 9,
};

const char *dms_notify_kind_name(enum dms_notify_kind kind);

/* An event as the scheduler or a status change reports it. */
typedef struct dms_notify_event {
    enum dms_notify_kind kind;
    const char *object;      /* what it is about: a policy, "R-3", "СЧ-1-2", a key id */
    const char *employee_id; /* the employee concerned, "" if none */
    const char *status;      /* the new status (Russian), "" if none */
    long day;                /* the day it refers to (days since 1970-01-01) */
    long days_left;          /* programme_ends, key_expires: days to go */
    long long amount;        /* invoice_*: kopecks */
} dms_notify_event;

/* Who an event goes to: a role and, for an employee, their id. */
typedef struct dms_notify_recipient {
    const char *role;     /* "employee", "hr", "finance", "insurer" */
    const char *employee; /* the employee's id for role employee, else "" */
} dms_notify_recipient;

/*
 * The recipients of an event, at most 4, into out; returns how many:
 *   insured_status, election_status: the employee;  insured_digest, election_digest: hr;
 *   request_status: the employee (HR learns from its de-identified list);
 *   programme_ends: hr, finance;  invoice_due / overdue: finance, hr;
 *   key_expires: hr.
 */
size_t dms_notify_recipients(const dms_notify_event *e, dms_notify_recipient out[4]);

/* The dedupe key "kind:object:status:YYYY-MM-DD" into buf; returns buf. */
const char *dms_notify_key(const dms_notify_event *e, char *buf, size_t size);

/* Subject and body (Russian, then English) into buffers of the sizes above. An
 * election_status event carries the status as the election store names it ("submitted")
 * and reads in each language as the picker words it ("подана"). */
void dms_notify_compose(const dms_notify_event *e, const char *employer, char *subject,
                        size_t subject_size, char *body, size_t body_size);

/*
 * HR's digests: of the register's changes (insured_digest) and of the
 * elections' changes of status (election_digest). A bulk upload of 10 000
 * changes is one notice to HR, not 10 000: the scan gathers the register's
 * changes it finds into one digest per upload (and one per employer for the
 * uploads of a single change found by the same scan), and the elections'
 * changes into one digest per employer, counting people (elections: one per
 * employee), not changes, per action or status reached. It names no one
 * except when it is about a single change, where it reads as a per-person
 * notice (HR keeps the register by name and sees every election with its
 * employee anyway). Its dedupe key is the kind and the first and last change
 * id, so the same batch found again after a restart is the same notification
 * and two batches, holding different changes, are two.
 */
#define DMS_NOTIFY_ACTIONS 4 /* включён, исключён, приостановлен, программа изменена */
#define DMS_NOTIFY_STATUSES 5 /* черновик, подана, принята, оформлена, отклонена */
#define DMS_NOTIFY_COUNTS 5 /* the larger of the two: the rows a digest counts */

/* One change as a digest counts it. */
typedef struct dms_notify_change {
    long id;         /* the change's id (insured_change.id, election_history.id) */
    long upload;     /* the register's upload it came in; 0 for an election */
    int action;      /* enum dms_insured_action (0 .. DMS_NOTIFY_ACTIONS - 1), or the
                      * enum dms_election_status reached (0 .. DMS_NOTIFY_STATUSES - 1) */
    long day;        /* the day it takes effect (register) or was made (election) */
    const char *who; /* the person's policy (register), the employee's id (election) */
} dms_notify_change;

typedef struct dms_notify_digest {
    enum dms_notify_kind kind;           /* DMS_NOTIFY_INSURED_DIGEST or _ELECTION_DIGEST */
    long first_change, last_change;      /* the lowest and highest change id in it */
    long upload;                         /* the upload, when it covers one; else 0 */
    size_t uploads;                      /* how many uploads it covers */
    size_t changes;                      /* how many changes */
    size_t people;                       /* distinct people (elections: employees) */
    size_t by_action[DMS_NOTIFY_COUNTS]; /* distinct people per action or status reached */
    long first_day, last_day;            /* the earliest and latest day */
    char who[64];                        /* the policy or employee, when it is one change */
    int action;                          /* the action or status, when it is one change */
} dms_notify_digest;

/* The digest of kind (insured_digest, election_digest) of n >= 1 changes into out.
 * DMS_EINVAL for another kind, n == 0 or an action out of range, DMS_ENOMEM. */
int dms_notify_digest_count(enum dms_notify_kind kind, const dms_notify_change *changes, size_t n,
                            dms_notify_digest *out /* OUT */, dms_error *err);

/* The status a register action (0 .. DMS_NOTIFY_ACTIONS - 1) leaves the person in, in
 * Russian as the notices word it ("включён"); the last one for any other. */
const char *dms_notify_action_status_ru(int action);

/* The dedupe key "insured_digest:FIRST-LAST" (election_digest:...) into buf; returns buf. */
const char *dms_notify_digest_key(const dms_notify_digest *d, char *buf, size_t size);

/* The Russian noun that follows the count n: one (1, 21, 101: "выбор"), few (2-4, 22-24:
 * "выбора") or many (0, 5-20, 25-30, 111-114: "выборов"). */
const char *dms_notify_plural_ru(unsigned long long n, const char *one, const char *few,
                                 const char *many);

/* Subject and body (Russian, then English) of HR's digest; one line each for one change.
 * The counts are those of d, thousands set apart; a count before a noun agrees with it. */
void dms_notify_digest_compose(const dms_notify_digest *d, const char *employer, char *subject,
                               size_t subject_size, char *body, size_t body_size);

/* Seconds before retrying after failed attempt n (1-based): 60, 120, ... at most 3600. */
long dms_notify_backoff(int attempt);

/* Whether the programme ending on last_day is announced on today (30, 14 or 1 days before). */
bool dms_notify_programme_due(long last_day, long today, long *days_left /* OUT */);

/* Invoices: "due" 3 days before the due day, "overdue" the day after it. */
bool dms_notify_invoice_due(long due, long today);
bool dms_notify_invoice_overdue(long due, long today);

/* Keys: announced 7 and 1 days before they expire. */
bool dms_notify_key_due(long expires_day, long today, long *days_left /* OUT */);

#endif
