/*
 * E-mail delivery of notifications over SMTP with libcurl (notify_send.h).
 * The message is built in memory and handed to libcurl's read callback;
 * every attempt's outcome goes back to the store, which schedules the
 * retry, so this file keeps no state between calls.
 */
#include "dms/notify_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

void dms_notify_send_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void base64(const unsigned char *in, size_t len, char *out, size_t size)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    for (size_t i = 0; i < len && k + 5 < size; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[k++] = tab[(v >> 18) & 63];
        out[k++] = tab[(v >> 12) & 63];
        out[k++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[k] = '\0';
}

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ctx)
{
    struct upload *u = ctx;
    size_t room = size * nitems, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* The message: headers, blank line, body with CRLF line ends. */
static char *message(const char *from, const dms_notification *n, size_t *len)
{
    char subject[DMS_NOTIFY_SUBJECT_MAX * 2], date[64];
    base64((const unsigned char *)n->subject, strlen(n->subject), subject, sizeof subject);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (f == NULL)
        return NULL;
    fprintf(f,
            "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nMessage-ID: <notification-%ld-%ld@dmsrate>\r\n"
            "Subject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            "X-Dmsrate-Kind: %s\r\n\r\n",
            date, from, n->email, n->tenant, n->id, subject, n->kind);
    for (const char *p = n->body; *p; p++) {
        if (*p == '\n')
            fputc('\r', f);
        fputc(*p, f);
    }
    fclose(f);
    *len = size;
    return out;
}

int dms_notify_send(const char *url, const char *from, const dms_notification *n, char *error,
                    size_t error_size)
{
    error[0] = '\0';
    size_t len = 0;
    char *msg = message(from, n, &len);
    CURL *curl = msg != NULL ? curl_easy_init() : NULL;
    if (curl == NULL) {
        free(msg);
        snprintf(error, error_size, "no memory for the message");
        return DMS_EIO;
    }
    char rcpt_text[300], from_text[300];
    snprintf(rcpt_text, sizeof rcpt_text, "<%s>", n->email);
    snprintf(from_text, sizeof from_text, "<%s>", from);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_text);
    struct upload u = {msg, len, 0};
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_text);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(curl, CURLOPT_READDATA, &u);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        snprintf(error, error_size, "%s", curl_error[0] ? curl_error : curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    free(msg);
    return rc == CURLE_OK ? DMS_OK : DMS_EIO;
}

int dms_notify_flush(dms_store *store, const char *url, const char *from, long long now,
                     size_t limit, size_t *sent, size_t *failed, dms_error *err)
{
    dms_error_clear(err);
    if (sent != NULL)
        *sent = 0;
    if (failed != NULL)
        *failed = 0;
    dms_notification *due = NULL;
    size_t n = 0;
    int status = dms_notify_store_outbox(store, now, limit, &due, &n, err);
    for (size_t i = 0; status == DMS_OK && i < n; i++) {
        char error[256];
        bool ok = dms_notify_send(url, from != NULL ? from : DMS_NOTIFY_FROM, &due[i], error,
                                  sizeof error) == DMS_OK;
        status = dms_notify_store_result(store, &due[i], ok, error, now, err);
        if (ok && sent != NULL)
            (*sent)++;
        if (!ok && failed != NULL)
            (*failed)++;
    }
    free(due);
    return status;
}

/* ---- the scheduler of dmsrate serve ------------------------------------------------ */

#include <pthread.h>

#include "dms/model.h"

struct dms_notify_scheduler {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    dms_store *store;
    char smtp[256], from[256], today[11];
    unsigned interval;
};

static void scheduler_tick(struct dms_notify_scheduler *s)
{
    char buf[11];
    const char *text = s->today;
    if (text[0] == '\0') {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
        text = buf;
    }
    long today = 0;
    size_t created = 0, sent = 0, failed = 0;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_date_parse(text, &today)
                     ? dms_notify_store_scan(s->store, today, &created, &err)
                     : DMS_EINVAL;
    if (status == DMS_OK && s->smtp[0] != '\0')
        status = dms_notify_flush(s->store, s->smtp, s->from[0] ? s->from : DMS_NOTIFY_FROM,
                                  (long long)time(NULL), 1000, &sent, &failed, &err);
    if (status != DMS_OK || created + sent + failed > 0) {
        json_t *line =
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "event", "notify", "status",
                      status == DMS_OK ? "ok" : "failed", "today", text, "queued",
                      (json_int_t)created, "sent", (json_int_t)sent, "failed", (json_int_t)failed);
        if (line != NULL && status != DMS_OK)
            json_object_set_new(line, "message", json_string(err.message));
        char *out = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (out != NULL)
            fprintf(stderr, "%s\n", out);
        free(out);
        json_decref(line);
    }
}

static void *scheduler_main(void *arg)
{
    struct dms_notify_scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        scheduler_tick(s);
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->interval;
        while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int dms_notify_scheduler_start(const char *db_path, const char *smtp_url, const char *from,
                               const char *today_fixed, unsigned interval,
                               dms_notify_scheduler **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    struct dms_notify_scheduler *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the scheduler");
    snprintf(s->smtp, sizeof s->smtp, "%s", smtp_url != NULL ? smtp_url : "");
    snprintf(s->from, sizeof s->from, "%s", from != NULL ? from : "");
    snprintf(s->today, sizeof s->today, "%s", today_fixed != NULL ? today_fixed : "");
    s->interval = interval > 0 ? interval : 60;
    int status = dms_store_open(db_path, &s->store, err);
    if (status != DMS_OK) {
        free(s);
        return status;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        dms_store_close(s->store);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        free(s);
        return dms_error_set(err, DMS_EINTERNAL, NULL, "cannot start the scheduler thread");
    }
    *out = s;
    return DMS_OK;
}

void dms_notify_scheduler_stop(dms_notify_scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    dms_store_close(s->store);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}
