/*
 * A diagnostics list: collects many dms_error records so that a loader can
 * report every fault of an input (every bad census row, every bad plan field)
 * in one pass instead of stopping at the first. The list keeps the first
 * `limit` records in the order they were added and only counts the rest, so a
 * file with a million bad rows cannot exhaust memory. Records are copied in;
 * the list owns its storage. Not thread-safe: one list per request.
 */
#ifndef DMS_DIAG_H
#define DMS_DIAG_H

#include <stddef.h>

#include "dms/error.h"

#define DMS_DIAG_DEFAULT_LIMIT 200

typedef struct dms_diag dms_diag;

/*
 * Allocates an empty list that keeps at most `limit` records (0 means
 * DMS_DIAG_DEFAULT_LIMIT). *out is set on success, NULL on failure.
 * Returns DMS_OK, DMS_EINVAL (out NULL) or DMS_ENOMEM.
 */
int dms_diag_alloc(size_t limit, dms_diag **out);

/* Frees the list and every record it holds. NULL is a no-op. */
void dms_diag_free(dms_diag *diag);

/* Forgets every record (kept and counted); the limit stays. NULL is a no-op. */
void dms_diag_clear(dms_diag *diag);

/*
 * Appends a copy of err (ignored if err is NULL or err->code is DMS_OK).
 * Past the limit the record is only counted. diag may be NULL (no-op).
 * Returns DMS_OK, or DMS_ENOMEM if the record could not be stored (it is
 * still counted).
 */
int dms_diag_add(dms_diag *diag, const dms_error *err);

/*
 * Convenience: formats a record at source:line:column (as dms_error_set_at)
 * and appends it. Returns `code` so that callers can write
 * `status = dms_diag_add_at(diag, DMS_EPARSE, ...)`; an allocation failure is
 * not reported here (the record is still counted).
 */
int dms_diag_add_at(dms_diag *diag, int code, const char *source, int line, int column,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Convenience: formats a record at a JSON Pointer and appends it. Returns code. */
int dms_diag_add_path(dms_diag *diag, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Every record added since the last clear, kept or not. 0 for NULL. */
size_t dms_diag_count(const dms_diag *diag);

/* Records actually stored: min(count, limit) unless memory ran out. */
size_t dms_diag_kept(const dms_diag *diag);

/* The i-th stored record (borrowed, valid until the next add/clear/free), or NULL. */
const dms_error *dms_diag_get(const dms_diag *diag, size_t i);

/*
 * Copies the first stored record into err (for callers that report a single
 * error, such as an HTTP reply) and, when more were counted, appends
 * " (and N more)" to its message. Returns the record's code, or DMS_OK when the
 * list is empty (err untouched). err may be NULL.
 */
int dms_diag_first(const dms_diag *diag, dms_error *err);

#endif
