/*
 * The job table of the HTTP API (see jobs.h): a fixed array under one
 * mutex, a detached thread per running job, progress written by the job's
 * thread through dms_progress and read by GET /v1/jobs/{id}, and a cancel
 * flag set by DELETE /v1/jobs/{id} or a stopping server that the job's
 * computation polls through its cancel hook.
 */
#include "jobs.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dms/enrol_store.h"

enum job_state { JOB_FREE, JOB_RUNNING, JOB_DONE };

typedef struct job {
    enum job_state state;
    char id[DMS_API_JOB_ID_LEN + 1];
    bool owned; /* started with a key: only that role and employer may read it */
    enum dms_role role;
    long employer;
    double fraction;
    const char *stage; /* static */
    time_t finished;
    bool cancel;     /* DELETE or a stop asked it to end: its status is "cancelled" */
    unsigned status; /* the answer, once done */
    char *body;
    size_t body_len;
} job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static job jobs[DMS_API_JOBS_MAX];

struct run {
    size_t slot;
    char id[DMS_API_JOB_ID_LEN + 1];
    dms_api_job_fn fn;
    void *arg;
};

/* 128 random bits as hex; false if the system has no randomness to give. */
static bool random_id(char out[DMS_API_JOB_ID_LEN + 1])
{
    unsigned char bytes[DMS_API_JOB_ID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t got = read(fd, bytes, sizeof bytes);
    close(fd);
    if (got != (ssize_t)sizeof bytes)
        return false;
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return true;
}

/* Frees finished jobs past their keeping time; under lock. */
static void expire(time_t now)
{
    for (size_t i = 0; i < DMS_API_JOBS_MAX; i++)
        if (jobs[i].state == JOB_DONE && now - jobs[i].finished > DMS_API_JOB_KEEP_SECONDS) {
            free(jobs[i].body);
            memset(&jobs[i], 0, sizeof jobs[i]);
        }
}

static void on_progress(void *user, double fraction, const char *stage)
{
    const struct run *r = user;
    pthread_mutex_lock(&lock);
    if (strcmp(jobs[r->slot].id, r->id) == 0) {
        jobs[r->slot].fraction = fraction;
        jobs[r->slot].stage = stage;
    }
    pthread_mutex_unlock(&lock);
}

/* The job's cancel hook: true once its flag is set. */
static bool job_cancelled(void *user)
{
    const struct run *r = user;
    pthread_mutex_lock(&lock);
    bool cancel = strcmp(jobs[r->slot].id, r->id) == 0 && jobs[r->slot].cancel;
    pthread_mutex_unlock(&lock);
    return cancel;
}

static void *job_main(void *p)
{
    struct run *r = p;
    dms_progress progress = dms_progress_make(on_progress, r);
    dms_api_response resp = {.status = 500};
    r->fn(r->arg, job_cancelled, r, &progress, &resp);
    pthread_mutex_lock(&lock);
    job *j = &jobs[r->slot];
    if (j->cancel) {
        /* whatever it got to, a cancelled job answers that it was cancelled */
        free(resp.body);
        resp = (dms_api_response){0};
        dms_error err;
        dms_error_clear(&err);
        dms_error_cancelled(&err);
        dms_api_response_error(&resp, 503, &err, "cancelled");
    }
    j->state = JOB_DONE;
    j->finished = time(NULL);
    j->status = resp.status;
    j->body = resp.body;
    j->body_len = resp.body_len;
    if (resp.status < 400) {
        j->fraction = 1.0;
        j->stage = "done";
    }
    pthread_mutex_unlock(&lock);
    free(r);
    return NULL;
}

static void reply_error(dms_api_response *resp, int code, const char *message)
{
    dms_error err;
    dms_error_clear(&err);
    dms_error_set(&err, code, NULL, "%s", message);
    const char *ru = dms_error_template_ru(message); /* "%s" itself has no pair */
    if (ru != NULL)
        snprintf(err.message_ru, sizeof err.message_ru, "%s", ru);
    dms_api_response_error(resp, dms_api_http_status(code), &err, NULL);
}

bool dms_api_job_start(const dms_api_request *req, dms_api_job_fn fn, void *arg,
                       dms_api_response *resp)
{
    struct run *r = calloc(1, sizeof *r);
    if (r == NULL || !random_id(r->id)) {
        free(r);
        reply_error(resp, DMS_EINTERNAL, "cannot start a job");
        return false;
    }
    r->fn = fn;
    r->arg = arg;
    pthread_mutex_lock(&lock);
    expire(time(NULL));
    size_t running = 0, slot = DMS_API_JOBS_MAX;
    for (size_t i = 0; i < DMS_API_JOBS_MAX; i++) {
        running += jobs[i].state == JOB_RUNNING;
        if (jobs[i].state == JOB_FREE && slot == DMS_API_JOBS_MAX)
            slot = i;
    }
    if (running >= DMS_API_JOBS_RUNNING_MAX || slot == DMS_API_JOBS_MAX) {
        pthread_mutex_unlock(&lock);
        free(r);
        /* 503 tells the client to come back; the work is not lost, it is not begun */
        dms_error err;
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ETOOBIG, NULL,
                      "сервер занят долгими расчётами, повторите позже / the server is busy with "
                      "long runs (%d at once), try again later",
                      DMS_API_JOBS_RUNNING_MAX);
        dms_api_response_error(resp, 503, &err, "busy");
        return false;
    }
    job *j = &jobs[slot];
    memset(j, 0, sizeof *j);
    j->state = JOB_RUNNING;
    memcpy(j->id, r->id, sizeof j->id);
    j->stage = "queued";
    if (req->principal != NULL) {
        j->owned = true;
        j->role = req->principal->role;
        j->employer = req->principal->employer;
    }
    r->slot = slot;
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool started = pthread_create(&thread, &attr, job_main, r) == 0;
    pthread_attr_destroy(&attr);
    if (!started)
        memset(j, 0, sizeof *j);
    char id[DMS_API_JOB_ID_LEN + 1];
    memcpy(id, r->id, sizeof id);
    pthread_mutex_unlock(&lock);
    if (!started) {
        free(r);
        reply_error(resp, DMS_EINTERNAL, "cannot start a job thread");
        return false;
    }
    char href[16 + DMS_API_JOB_ID_LEN];
    snprintf(href, sizeof href, "/v1/jobs/%s", id);
    dms_api_response_json(resp, 202,
                          json_pack("{s:s, s:s, s:f, s:s}", "job", id, "status", "running",
                                    "progress", 0.0, "href", href));
    return true;
}

int dms_api_job_wanted(const dms_api_request *req)
{
    const char *v = req->arg != NULL ? req->arg(req->arg_ctx, "async") : NULL;
    if (v == NULL)
        return -1;
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ? 1 : 0;
}

/*
 * The job named by req->param if req's caller may see it (a copy, and its
 * answer's body when it is over, for the caller to free), else false.
 * Only a key of the role and employer that started it sees an owned job;
 * to the others it does not exist (404, not 403, so that another tenant
 * learns nothing of it). With cancel, a visible running job not yet
 * cancelled is flagged to stop (*flagged true).
 */
static bool find_visible(const dms_api_request *req, bool cancel, job *copy, char **body,
                         bool *flagged)
{
    *body = NULL;
    *flagged = false;
    pthread_mutex_lock(&lock);
    expire(time(NULL));
    job *found = NULL;
    for (size_t i = 0; i < DMS_API_JOBS_MAX && found == NULL; i++)
        if (jobs[i].state != JOB_FREE && strlen(req->param) == DMS_API_JOB_ID_LEN &&
            strcmp(jobs[i].id, req->param) == 0)
            found = &jobs[i];
    if (found != NULL && found->owned &&
        (req->principal == NULL || req->principal->role != found->role ||
         req->principal->employer != found->employer))
        found = NULL;
    if (found != NULL && cancel && found->state == JOB_RUNNING && !found->cancel) {
        found->cancel = true;
        *flagged = true;
    }
    if (found != NULL) {
        *copy = *found;
        if (found->state == JOB_DONE && found->body != NULL)
            *body = strndup(found->body, found->body_len);
    }
    pthread_mutex_unlock(&lock);
    return found != NULL;
}

/* The job as GET shows it; body (borrowed) is its answer once it is over. */
static json_t *job_json(const job *j, const char *body)
{
    const char *status = j->cancel                 ? "cancelled"
                         : j->state == JOB_RUNNING ? "running"
                         : j->status < 400         ? "done"
                                                   : "failed";
    json_t *out = json_pack("{s:s, s:s, s:f, s:s}", "job", j->id, "status", status, "progress",
                            j->fraction, "stage", j->stage);
    if (out != NULL && j->state == JOB_DONE) {
        json_object_set_new(out, "http_status", json_integer(j->status));
        json_t *result = body != NULL ? json_loads(body, 0, NULL) : NULL;
        json_object_set_new(out, "result", result != NULL ? result : json_null());
    }
    return out;
}

void dms_api_job_show(const dms_api_request *req, const dms_api_hooks *hooks,
                      dms_api_response *resp)
{
    (void)hooks;
    job copy;
    char *body;
    bool flagged;
    if (!find_visible(req, false, &copy, &body, &flagged)) {
        reply_error(resp, DMS_ENOTFOUND, "no such job (jobs last 15 minutes after they end)");
        return;
    }
    dms_api_response_json(resp, 200, job_json(&copy, body));
    free(body);
}

void dms_api_job_cancel(const dms_api_request *req, const dms_api_hooks *hooks,
                        dms_api_response *resp)
{
    (void)hooks;
    job copy;
    char *body;
    bool flagged;
    if (!find_visible(req, true, &copy, &body, &flagged)) {
        reply_error(resp, DMS_ENOTFOUND, "no such job (jobs last 15 minutes after they end)");
        return;
    }
    if (!flagged) {
        free(body);
        reply_error(resp, DMS_ECONFLICT,
                    copy.cancel ? "the job is already cancelled" : "the job is already over");
        return;
    }
    dms_api_response_json(resp, 202, job_json(&copy, body));
    free(body);
}

unsigned dms_api_jobs_cancel_all(unsigned wait_ms)
{
    unsigned running = 0;
    for (unsigned waited = 0;; waited += 10) {
        running = 0;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < DMS_API_JOBS_MAX; i++)
            if (jobs[i].state == JOB_RUNNING) {
                jobs[i].cancel = true;
                running++;
            }
        pthread_mutex_unlock(&lock);
        if (running == 0 || waited >= wait_ms)
            return running;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}
