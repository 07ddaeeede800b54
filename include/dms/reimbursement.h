/*
 * Reimbursement requests (обращения и возмещения) of insured employees: the
 * status machine a request moves through, the checks on a new request and
 * on each attached document (PDF, JPEG or PNG by content, never by name,
 * within a size limit), and the counts by status HR may see, with
 * small-cell suppression. Pure: storage, roles and the serving of documents
 * live in the store and the HTTP layer (reimb_store.h), which must never
 * hand a document or a diagnosis to HR, managers, finance or brokers.
 *
 * Statuses (Russian as the cabinet shows them):
 *   submitted (подано) -> review (на рассмотрении)
 *   review -> documents_requested (запрошены документы) | approved (одобрено)
 *            | rejected (отказано)
 *   documents_requested -> review | rejected
 *   approved -> paid (выплачено)
 *   paid and rejected are final.
 * The insurer moves every status; each move keeps time, actor and comment.
 */
#ifndef DMS_REIMBURSEMENT_H
#define DMS_REIMBURSEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/error.h"

/* Largest document accepted, and most documents on one request. */
#define DMS_REIMB_DOC_MAX_BYTES ((size_t)10 * 1024 * 1024)
#define DMS_REIMB_MAX_DOCUMENTS 20
/* Largest amount claimed: 10 million roubles, in kopecks. */
#define DMS_REIMB_MAX_AMOUNT ((int64_t)1000000000)
#define DMS_REIMB_TEXT_MAX 256

enum dms_reimb_status {
    DMS_REIMB_SUBMITTED = 0,
    DMS_REIMB_REVIEW = 1,
    DMS_REIMB_DOCUMENTS_REQUESTED = 2,
    DMS_REIMB_APPROVED = 3,
    DMS_REIMB_PAID = 4,
    DMS_REIMB_REJECTED = 5,
    DMS_REIMB_STATUS_COUNT = 6,
};

/* "submitted", ...; "?" out of range. */
const char *dms_reimb_status_name(enum dms_reimb_status s);
/* "подано", ...; "?" out of range. */
const char *dms_reimb_status_name_ru(enum dms_reimb_status s);
/* English or Russian name (case-insensitive for English). */
bool dms_reimb_status_from_text(const char *text, enum dms_reimb_status *out /* OUT */);

/* Whether the machine allows from -> to. */
bool dms_reimb_can_move(enum dms_reimb_status from, enum dms_reimb_status to);

/* A final status: no move leaves it. */
bool dms_reimb_is_final(enum dms_reimb_status s);

/* Whether documents may be attached in status s (submitted, review, documents_requested). */
bool dms_reimb_accepts_documents(enum dms_reimb_status s);

/*
 * Checks a move and its details: DMS_ECONFLICT (code name in the message
 * "bad_transition") when the machine forbids it; DMS_EINVAL at /comment when
 * a rejection or a request for documents has no comment, at
 * /approved_amount when an approval has none or more than claimed (0 <
 * approved <= claimed).
 */
int dms_reimb_check_move(enum dms_reimb_status from, enum dms_reimb_status to, const char *comment,
                         int64_t claimed, int64_t approved, dms_error *err);

/* A new request as typed in. */
typedef struct dms_reimb_request {
    long service_day; /* the day of the service */
    const char *category; /* a service category the claims register knows ("Стоматология") */
    int64_t amount;       /* kopecks claimed */
    const char *clinic;    /* ЛПУ */
    const char *diagnosis; /* may be "": seen only by the employee and the insurer */
} dms_reimb_request;

/*
 * Checks a new request filed on today: the service day not after today
 * nor more than 3 years back, a known category (dms_claims_category_module,
 * its module into *module, may be NULL), 0 < amount <= DMS_REIMB_MAX_AMOUNT,
 * a clinic named, texts under DMS_REIMB_TEXT_MAX bytes. DMS_EINVAL at the
 * JSON Pointer of the bad field (/service_date, /category, /amount, /clinic,
 * /diagnosis).
 */
int dms_reimb_check_request(const dms_reimb_request *r, long today, const char **module /* OUT */,
                            dms_error *err);

enum dms_reimb_doc_kind {
    DMS_REIMB_DOC_UNKNOWN = 0,
    DMS_REIMB_DOC_PDF = 1,
    DMS_REIMB_DOC_JPEG = 2,
    DMS_REIMB_DOC_PNG = 3,
};

/* The kind by the first bytes (magic): %PDF-, FF D8 FF, 89 PNG CR LF 1A LF. */
enum dms_reimb_doc_kind dms_reimb_doc_sniff(const void *data, size_t len);
/* "application/pdf", "image/jpeg", "image/png"; "application/octet-stream" for unknown. */
const char *dms_reimb_doc_media_type(enum dms_reimb_doc_kind kind);

/*
 * Checks a document: not empty, at most DMS_REIMB_DOC_MAX_BYTES (DMS_ETOOBIG),
 * a PDF, JPEG or PNG by its content whatever its name says (DMS_EINVAL,
 * "bad_document_type": a renamed .exe is refused), a PDF that ends with
 * %%EOF and a PNG with its IEND chunk (a truncated upload is refused).
 * *kind (may be NULL) receives the kind.
 */
int dms_reimb_doc_check(const void *data, size_t len, enum dms_reimb_doc_kind *kind /* OUT */,
                        dms_error *err);

#endif
