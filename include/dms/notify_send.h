/*
 * Sending notifications by e-mail through an SMTP relay (libcurl): one
 * message per notification, UTF-8 plain text with an RFC 2047 subject, and
 * the flush of the outbox (notify_store.h) that records every attempt, so a
 * relay that is down only delays mail. Part of the service, not the core.
 */
#ifndef DMS_NOTIFY_SEND_H
#define DMS_NOTIFY_SEND_H

#include <stddef.h>

#include "dms/error.h"
#include "dms/notify_store.h"

/* Sender address when none is given. */
#define DMS_NOTIFY_FROM "dmsrate@localhost"

/* Once per process, before threads (curl_global_init). */
void dms_notify_send_init(void);

/*
 * Sends n to n->email through url ("smtp://host:port"). DMS_OK when the
 * relay accepted it; DMS_EIO with the reason in error (size bytes) otherwise.
 */
int dms_notify_send(const char *url, const char *from, const dms_notification *n, char *error,
                    size_t error_size);

/*
 * Sends every e-mail due by now (at most limit) and records each attempt.
 * *sent and *failed (may be NULL) count them.
 */
int dms_notify_flush(dms_store *store, const char *url, const char *from, long long now,
                     size_t limit, size_t *sent /* OUT */, size_t *failed /* OUT */,
                     dms_error *err);

/*
 * The scheduler inside `dmsrate serve`: a thread with its own connection to
 * db_path that every interval seconds runs the scan for today (today_fixed,
 * "YYYY-MM-DD", or the UTC date) and, with smtp_url, flushes the outbox.
 * Announcements are unique per event and day in the store, so restarts and
 * repeated ticks send nothing twice. Each tick that did something logs one
 * JSON line on stderr ("event":"notify").
 */
typedef struct dms_notify_scheduler dms_notify_scheduler;

int dms_notify_scheduler_start(const char *db_path, const char *smtp_url, const char *from,
                               const char *today_fixed, unsigned interval,
                               dms_notify_scheduler **out /* OUT */, dms_error *err);
/* Stops the thread (at once, even mid-wait) and frees it. NULL is a no-op. */
void dms_notify_scheduler_stop(dms_notify_scheduler *s);

#endif
