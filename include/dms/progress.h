/*
 * Progress of long work (a budget run, a claims register import), reported
 * by the core to whoever waits: the CLI draws a bar on a terminal or prints
 * plain lines, the HTTP API's job table stores it for GET /v1/jobs/{id}.
 * The core stays pure: it only calls the function it is given, from the
 * thread doing the work, never prints and never sleeps.
 *
 * A long run is cut into parts, each a span of the whole [from, to]; the
 * work inside a part reports the fraction of that part it has done. What
 * the callback sees only grows, from 0 to exactly 1 at the end, and comes
 * at most about every half percent, so a fine-grained loop may report on
 * every step.
 */
#ifndef DMS_PROGRESS_H
#define DMS_PROGRESS_H

/* fraction of the whole, 0..1, never less than the call before; stage is a
 * short English phrase ("pricing the design space"), static storage. */
typedef void (*dms_progress_fn)(void *user, double fraction, const char *stage);

typedef struct dms_progress {
    dms_progress_fn fn; /* NULL: nothing is reported */
    void *user;
    double from, to; /* the current part's span of the whole */
    double last;     /* the last fraction reported, -1 before the first */
    const char *stage;
} dms_progress;

/* A reporter to fn, the current part the whole run. */
dms_progress dms_progress_make(dms_progress_fn fn, void *user);

/* Starts a part covering [from, to] of the whole, named stage, and reports
 * its start. p may be NULL (all of these are then no-ops). */
void dms_progress_part(dms_progress *p, double from, double to, const char *stage);

/* done of total units of the current part are finished. */
void dms_progress_step(dms_progress *p, double done, double total);

/* The whole run is finished: reports 1. */
void dms_progress_finish(dms_progress *p);

#endif
