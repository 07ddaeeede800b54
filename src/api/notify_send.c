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
