/*
 * The framing check of the accept gate (server.c): what a client has sent
 * so far, peeked from its socket, is either an incomplete header block, a
 * complete one that libmicrohttpd may parse, or a fault answered in JSON
 * before libmicrohttpd sees it: a malformed request line or header line, no
 * Host in HTTP/1.1, two different Content-Length values (request
 * smuggling), a chunked body, an unsupported version or headers over the
 * limit. Pure: no sockets, so the fuzzer drives it directly.
 */
#include "dms/api.h"

#include <string.h>
#include <strings.h>

/* Case-insensitive "Name:" at the start of a header line. */
static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/*
 * Checks the framing of a complete header block (head, len bytes up to the
 * blank line). 0 if libmicrohttpd may take it; else the status, with reason,
 * code and message filled.
 */
static unsigned check_block(const char *head, size_t len, const char **reason, const char **code,
                            const char **message)
{
    *reason = "Bad Request";
    *code = "bad_request";
    const char *end = head + len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)head[i];
        if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f) {
            *message = "the request headers hold a control character";
            return 400;
        }
        /* Lines end in CRLF and nowhere else: a bare CR or LF is where two
         * parsers could disagree on where the headers end. */
        if ((c == '\r' && (i + 1 >= len || head[i + 1] != '\n')) ||
            (c == '\n' && (i == 0 || head[i - 1] != '\r'))) {
            *message = "a header line does not end with CRLF";
            return 400;
        }
    }
    const char *eol = memchr(head, '\n', len);
    size_t line_len = (size_t)(eol - head);
    /* METHOD SP /target SP HTTP/1.x */
    size_t m = 0;
    while (m < line_len && head[m] >= 'A' && head[m] <= 'Z')
        m++;
    const char *sp2 = m > 0 && m < line_len && head[m] == ' '
                          ? memchr(head + m + 1, ' ', line_len - m - 1)
                          : NULL;
    if (sp2 == NULL || (head[m + 1] != '/' && head[m + 1] != '*') || (size_t)(eol - sp2) < 9 ||
        strncmp(sp2 + 1, "HTTP/", 5) != 0 || sp2[6] < '0' || sp2[6] > '9') {
        *message = "the request line is not METHOD /path HTTP/1.1";
        return 400;
    }
    if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1')) {
        *reason = "HTTP Version Not Supported";
        *code = "http_version_not_supported";
        *message = "only HTTP/1.0 and HTTP/1.1 are served";
        return 505;
    }
    if (sp2 + 10 != eol || sp2[9] != '\r') {
        *message = "the request line has bytes after its HTTP version";
        return 400;
    }
    bool http11 = sp2[8] == '1', host = false;
    const char *length = NULL;
    size_t length_len = 0;
    for (const char *line = eol + 1; line < end; line = eol + 1) {
        eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            break;
        size_t n = (size_t)(eol - line);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the blank line */
        const char *colon = memchr(line, ':', n);
        if (line[0] == ' ' || line[0] == '\t' || colon == NULL || colon == line ||
            colon[-1] == ' ' || colon[-1] == '\t') {
            *message = "a header line is not 'Name: value'";
            return 400;
        }
        if (header_is(line, n, "Host"))
            host = true;
        if (header_is(line, n, "Transfer-Encoding")) {
            *reason = "Length Required";
            *code = "length_required";
            *message = "send the body with Content-Length; Transfer-Encoding is not accepted";
            return 411;
        }
        if (header_is(line, n, "Content-Length")) {
            const char *v = colon + 1, *v_end = line + n;
            while (v < v_end && (*v == ' ' || *v == '\t'))
                v++;
            while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
                v_end--;
            size_t digits = (size_t)(v_end - v);
            for (size_t i = 0; i < digits; i++)
                if (v[i] < '0' || v[i] > '9')
                    digits = 0;
            if (digits == 0) {
                *message = "Content-Length must be a whole number";
                return 400;
            }
            if (digits > 15) {
                *reason = "Content Too Large";
                *code = "payload_too_large";
                *message = "the declared Content-Length is far over the body limit";
                return 413;
            }
            if (length != NULL && (length_len != digits || memcmp(length, v, digits) != 0)) {
                *message = "conflicting Content-Length headers";
                return 400;
            }
            length = v;
            length_len = digits;
        }
    }
    if (http11 && !host) {
        *message = "an HTTP/1.1 request needs a Host header";
        return 400;
    }
    return 0;
}

/* A probe of the light lane: GET or HEAD of /healthz or /metrics. */
static bool light_request(const char *head, size_t len)
{
    static const char *const lines[] = {"GET /healthz ", "HEAD /healthz ", "GET /metrics ",
                                        "HEAD /metrics "};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        if (len >= n && strncmp(head, lines[i], n) == 0)
            return true;
    }
    return false;
}

void dms_api_framing_check(const char *data, size_t len, size_t scanned, size_t max,
                           dms_api_framing *out)
{
    *out = (dms_api_framing){0};
    size_t from = scanned > 3 ? scanned - 3 : 0;
    size_t end = 0;
    for (size_t i = from; i + 3 < len && end == 0; i++)
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
            end = i + 4;
    if (end == 0 || end > max) {
        if (len >= max) {
            out->status = 431;
            out->reason = "Request Header Fields Too Large";
            out->code = "headers_too_large";
            out->message = "the request headers are larger than the limit (32 KiB)";
        }
        return;
    }
    out->header_len = end;
    out->status = check_block(data, end, &out->reason, &out->code, &out->message);
    out->light = out->status == 0 && light_request(data, end);
}
