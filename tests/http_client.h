/*
 * A tiny HTTP/1.1 client over a blocking loopback socket for the API tests:
 * sends raw request bytes exactly as given (so tests can send malformed,
 * truncated or oversized requests), reads the answer until the server
 * closes the connection or Content-Length is satisfied, and splits it into
 * status, headers and body. Every request says "Connection: close".
 */
#ifndef DMS_TEST_HTTP_CLIENT_H
#define DMS_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct http_response {
    int status; /* 0 if no response arrived */
    char *head; /* status line and headers, NUL-terminated */
    char *body; /* NUL-terminated (the body itself may hold NULs) */
    size_t body_len;
};

static inline void http_response_free(struct http_response *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static inline int http_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Writes all of data; false if the peer closed or reset first. */
static inline bool http_send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Waits up to timeout_ms for fd to become readable. */
static inline bool http_wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) > 0;
}

/* Value of header name in head (case-insensitive), copied into buf. */
static inline const char *http_header(const struct http_response *r, const char *name, char *buf,
                                      size_t size)
{
    if (r->head == NULL)
        return NULL;
    size_t len = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line != NULL;
         line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
            p += len + 1;
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, "\r\n");
            snprintf(buf, size, "%.*s", (int)n, p);
            return buf;
        }
    }
    return NULL;
}

/*
 * Reads one response from fd (skipping interim 1xx answers), waiting at most
 * timeout_ms for each piece. Leaves status 0 if nothing usable arrived.
 */
static inline void http_read_response(int fd, struct http_response *r, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!http_wait_readable(fd, timeout_ms))
            break;
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        /* Drop interim responses such as "100 Continue". */
        while (len >= 12 && strncmp(buf, "HTTP/1.1 1", 10) == 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL)
                break;
            size_t skip = (size_t)(end + 4 - buf);
            memmove(buf, buf + skip, len - skip + 1);
            len -= skip;
        }
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            struct http_response probe = {0};
            probe.head = buf;
            char value[32];
            if (http_header(&probe, "Content-Length", value, sizeof value) != NULL &&
                len >= (size_t)(end + 4 - buf) + strtoull(value, NULL, 10))
                break;
        }
    }
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (end != NULL && sscanf(buf, "HTTP/1.%*d %d", &r->status) == 1) {
        size_t head_len = (size_t)(end - buf);
        r->head = strndup(buf, head_len);
        r->body_len = len - head_len - 4;
        r->body = malloc(r->body_len + 1);
        memcpy(r->body, end + 4, r->body_len);
        r->body[r->body_len] = '\0';
    }
    free(buf);
}

/* Sends raw bytes on a new connection and reads the answer. */
static inline void http_raw(unsigned port, const char *raw, size_t len, struct http_response *r,
                            int timeout_ms)
{
    memset(r, 0, sizeof *r);
    int fd = http_connect(port);
    if (fd < 0)
        return;
    http_send_all(fd, raw, len); /* the server may answer before reading it all */
    http_read_response(fd, r, timeout_ms);
    close(fd);
}

/*
 * The API key http_call_ex sends as "Authorization: Bearer KEY" (NULL: none).
 * Each test program sets it once it has created a key.
 */
static const char *http_key;
/* Accept-Language sent with each request when not NULL. */
static const char *http_lang;

/*
 * A well-formed request; content_type may be NULL (no header), body may be
 * NULL. With expect, the headers go first with "Expect: 100-continue" and
 * the body only if the server asks for it.
 */
static inline void http_call_ex(unsigned port, const char *method, const char *path,
                                const char *content_type, const char *body, size_t body_len,
                                bool expect, struct http_response *r, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, path);
    if (http_key != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n, "Authorization: Bearer %s\r\n", http_key);
    if (http_lang != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n, "Accept-Language: %s\r\n", http_lang);
    if (content_type != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\n", content_type);
    if (body != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", body_len);
    if (expect)
        n += snprintf(head + n, sizeof head - (size_t)n, "Expect: 100-continue\r\n");
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    int fd = http_connect(port);
    if (fd < 0)
        return;
    http_send_all(fd, head, (size_t)n);
    if (expect && body != NULL) {
        /* Either "100 Continue" (send the body) or a final answer. */
        char peek[16];
        if (http_wait_readable(fd, timeout_ms) && recv(fd, peek, sizeof peek, MSG_PEEK) >= 12 &&
            strncmp(peek, "HTTP/1.1 100", 12) == 0)
            http_send_all(fd, body, body_len);
    } else if (body != NULL) {
        http_send_all(fd, body, body_len);
    }
    http_read_response(fd, r, timeout_ms);
    close(fd);
}

static inline void http_call(unsigned port, const char *method, const char *path,
                             const char *content_type, const char *body, struct http_response *r,
                             int timeout_ms)
{
    http_call_ex(port, method, path, content_type, body, body != NULL ? strlen(body) : 0, false, r,
                 timeout_ms);
}

#endif
