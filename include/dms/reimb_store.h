/*
 * Stored reimbursement requests of an employer (tables reimb_request,
 * reimb_document and reimb_event of migration 7), read and written for the
 * connection's employer. The rules are the core's (reimbursement.h). Every
 * change of status is one transaction with its event (time, actor, role,
 * comment); an approval also writes the approved amount into the claims
 * experience (claims_line of employer "<id>", claim "R-<request>", pending
 * until paid), so the claims reports over the stored register include it.
 * Documents are stored with their SHA-256 and read back only through
 * dms_reimb_store_document, which the HTTP layer calls for the employee who
 * filed the request and for the insurer, never for anyone else.
 */
#ifndef DMS_REIMB_STORE_H
#define DMS_REIMB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/error.h"
#include "dms/reimbursement.h"
#include "dms/store.h"

typedef struct dms_reimb_row {
    long id;
    char employee_id[64];
    char policy[64]; /* the employee's policy number in the register, "" if none */
    long filed_day, service_day;
    char category[DMS_REIMB_TEXT_MAX];
    char module[32];
    int64_t amount, approved; /* kopecks; approved 0 until approved */
    char clinic[DMS_REIMB_TEXT_MAX];
    char diagnosis[DMS_REIMB_TEXT_MAX]; /* employee and insurer only */
    enum dms_reimb_status status;
    long version;
    char created_at[40], updated_at[40];
    char created_by[96];
    long documents;
} dms_reimb_row;

typedef struct dms_reimb_event {
    char at[40];
    char actor[96];
    char role[16];
    int from; /* enum dms_reimb_status, -1 for the filing */
    enum dms_reimb_status to;
    char comment[1024];
} dms_reimb_event;

typedef struct dms_reimb_doc {
    long id;
    long request;
    char name[DMS_REIMB_TEXT_MAX];
    enum dms_reimb_doc_kind kind;
    long size;
    char sha256[65];
    char uploaded_at[40];
    char uploaded_by[96];
} dms_reimb_doc;

/* Files a request for employee_id on today; *id receives its number. */
int dms_reimb_store_create(dms_store *store, const char *employee_id, const dms_reimb_request *r,
                           long today, const char *actor, const char *role, long *id /* OUT */,
                           dms_error *err);

/*
 * Attaches a document to request id (of employee_id when not NULL: another
 * employee's request is DMS_ENOTFOUND). DMS_ECONFLICT once the request is
 * decided or holds DMS_REIMB_MAX_DOCUMENTS; the core's checks otherwise.
 */
int dms_reimb_store_attach(dms_store *store, long id, const char *employee_id, const char *name,
                           const void *data, size_t len, const char *actor, long *doc /* OUT */,
                           dms_error *err);

/* Moves request id to `to` (the core's checks; version must match when > 0). */
int dms_reimb_store_move(dms_store *store, long id, enum dms_reimb_status to, const char *comment,
                         int64_t approved, long expected_version, const char *actor,
                         const char *role, dms_error *err);

/* One request (of employee_id when not NULL); DMS_ENOTFOUND if absent. */
int dms_reimb_store_get(dms_store *store, long id, const char *employee_id, dms_reimb_row *out,
                        dms_error *err);

/* Requests newest first (of employee_id when not NULL), malloc'd into *out. */
int dms_reimb_store_list(dms_store *store, const char *employee_id, dms_reimb_row **out, size_t *n,
                         dms_error *err);

/* The history of request id, oldest first, malloc'd. */
int dms_reimb_store_events(dms_store *store, long id, dms_reimb_event **out, size_t *n,
                           dms_error *err);

/* The documents of request id (metadata only), malloc'd. */
int dms_reimb_store_documents(dms_store *store, long id, dms_reimb_doc **out, size_t *n,
                              dms_error *err);

/*
 * One document's bytes (malloc'd into *data) and metadata, of a request of
 * employee_id when not NULL. DMS_ENOTFOUND otherwise.
 */
int dms_reimb_store_document(dms_store *store, long doc, const char *employee_id,
                             dms_reimb_doc *meta, char **data, size_t *len, dms_error *err);

/* Requests of the employer by status. */
int dms_reimb_store_counts(dms_store *store, long counts[DMS_REIMB_STATUS_COUNT], dms_error *err);

#endif
