/*
 * Jobs of the HTTP API (issue 17): a request expected to compute for longer
 * than DMS_API_JOB_SECONDS is answered at once with 202 and a job id, runs
 * on its own thread, and GET /v1/jobs/{id} shows its progress and, once it
 * is over, the answer the synchronous call would have given.
 *
 * The table lives in the memory of one server process: jobs do not survive
 * a restart and are not shared between processes behind a balancer (a
 * client that loses its job starts it again). Finished jobs are kept for
 * DMS_API_JOB_KEEP_SECONDS. A job started with a key can be read only with
 * a key of the same role and employer; one started without a key (the
 * pricing routes need none) only by whoever holds its id, 128 random bits.
 */
#ifndef DMS_API_JOBS_H
#define DMS_API_JOBS_H

#include "dms/api.h"
#include "dms/progress.h"

#define DMS_API_JOB_SECONDS 2.0      /* longer runs answer 202 */
#define DMS_API_JOB_KEEP_SECONDS 900 /* a finished job's answer is kept this long */
#define DMS_API_JOBS_MAX 64          /* jobs held at once, running or kept */
#define DMS_API_JOBS_RUNNING_MAX 4   /* running at once; more are refused with 503 */
#define DMS_API_JOB_ID_LEN 32        /* hex characters */

/* The work of a job: computes into resp (as a handler would), telling
 * progress and polling cancelled(cancel_ctx) as dms_api_request.cancelled
 * is polled (NULL: never cancelled); then frees arg. Runs on the job's
 * thread, or inline for a synchronous request with the request's hook. */
typedef void (*dms_api_job_fn)(void *arg, bool (*cancelled)(void *ctx), void *cancel_ctx,
                               dms_progress *progress, dms_api_response *resp);

/*
 * Starts fn(arg) on a new thread as a job owned by req's caller and answers
 * resp with 202 {"job": id, "status": "running", "href": "/v1/jobs/ID"}.
 * On failure (too many jobs: 503; no memory) resp holds the error and arg
 * is left to the caller: returns false.
 */
bool dms_api_job_start(const dms_api_request *req, dms_api_job_fn fn, void *arg,
                       dms_api_response *resp);

/* GET /v1/jobs/{id}. */
void dms_api_job_show(const dms_api_request *req, const dms_api_hooks *hooks,
                      dms_api_response *resp);

/*
 * DELETE /v1/jobs/{id}: cancels a running job, seen by the same callers as
 * GET (else 404). Answers 202 with the job, status "cancelled"; its thread
 * stops at its next poll and the job keeps that status. 409 if the job is
 * over or already cancelled.
 */
void dms_api_job_cancel(const dms_api_request *req, const dms_api_hooks *hooks,
                        dms_api_response *resp);

/*
 * Cancels every running job (a server stopping) and waits up to wait_ms for
 * their threads to end. Returns how many are still running.
 */
unsigned dms_api_jobs_cancel_all(unsigned wait_ms);

/* Whether the caller asked for a job (?async=true), for none (?async=false)
 * or left it to the estimate (-1). */
int dms_api_job_wanted(const dms_api_request *req);

#endif
