/*
 * The framing check of the accept gate (server.c): what a client has sent
 * so far, peeked from its socket, is either an incomplete header block, a
 * complete one that libmicrohttpd may parse, or a fault answered in JSON
 * before libmicrohttpd sees it: a malformed request line or header line, no
 * Host in HTTP/1.1, two different Content-Length values (request
 * smuggling), a chunked body, an unsupported version or headers over the
 * limit. Pure: no sockets, so the fuzzer drives it directly.
 *
 * A later request of a kept connection is parsed by libmicrohttpd without
 * the gate, and server.c checks its parsed fields again: the answer to each
 * fault (one table here) and the rules on a field (Host, Transfer-Encoding,
 * Content-Length, control characters) are shared, so the two checks cannot
 * drift apart in what they refuse or how they say it.
 */
#include "dms/api.h"

#include <string.h>
#include <strings.h>

/*
 * The one answer to each framing fault, for the gate's raw check and the
 * later requests' check alike; the messages have their Russian forms in
 * src/core/io/error.c (a later request's answer carries both languages).
 */
static const dms_api_framing_refusal refusals[DMS_API_FRAMING_FAULTS] = {
    [DMS_API_FRAMING_TOO_LARGE] = {431, "Request Header Fields Too Large", "headers_too_large",
                                   "the request headers are larger than the limit (32 KiB)"},
    [DMS_API_FRAMING_VERSION] = {505, "HTTP Version Not Supported", "http_version_not_supported",
                                 "only HTTP/1.0 and HTTP/1.1 are served"},
    [DMS_API_FRAMING_CONTROL] = {400, "Bad Request", "bad_request",
                                 "the request headers hold a control character"},
    [DMS_API_FRAMING_LINE_END] = {400, "Bad Request", "bad_request",
                                  "a header line does not end with CRLF"},
    [DMS_API_FRAMING_REQUEST_LINE] = {400, "Bad Request", "bad_request",
                                      "the request line is not METHOD /path HTTP/1.1"},
    [DMS_API_FRAMING_AFTER_VERSION] = {400, "Bad Request", "bad_request",
                                       "the request line has bytes after its HTTP version"},
    [DMS_API_FRAMING_HEADER_LINE] = {400, "Bad Request", "bad_request",
                                     "a header line is not 'Name: value'"},
    [DMS_API_FRAMING_CHUNKED] = {411, "Length Required", "length_required",
                                 "send the body with Content-Length; Transfer-Encoding is not "
                                 "accepted"},
    [DMS_API_FRAMING_BAD_LENGTH] = {400, "Bad Request", "bad_request",
                                    "Content-Length must be a whole number"},
    [DMS_API_FRAMING_LONG_LENGTH] = {413, "Content Too Large", "payload_too_large",
                                     "the declared Content-Length is far over the body limit"},
    [DMS_API_FRAMING_CONFLICT] = {400, "Bad Request", "bad_request",
                                  "conflicting Content-Length headers"},
    [DMS_API_FRAMING_NO_HOST] = {400, "Bad Request", "bad_request",
                                 "an HTTP/1.1 request needs a Host header"},
};

const dms_api_framing_refusal *dms_api_framing_describe(dms_api_framing_fault fault)
{
    if ((int)fault <= (int)DMS_API_FRAMING_OK || (int)fault >= (int)DMS_API_FRAMING_FAULTS)
        return NULL;
    return &refusals[fault];
}

/* Below 0x20 but tab, or DEL. */
static bool control_char(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool dms_api_framing_control(const char *text, size_t len, bool name)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (control_char(c) || (name && (c == ' ' || c == '\t')))
            return true;
    }
    return false;
}

/* Case-insensitive name equality of a field name of len bytes. */
static bool name_is(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

dms_api_framing_fault dms_api_framing_field(dms_api_framing_fields *seen, const char *name,
                                            size_t name_len, const char *value, size_t value_len)
{
    if (name_is(name, name_len, "Host"))
        seen->host = true;
    else if (name_is(name, name_len, "Transfer-Encoding"))
        return DMS_API_FRAMING_CHUNKED;
    else if (name_is(name, name_len, "Content-Length")) {
        bool digits = value_len > 0;
        for (size_t i = 0; i < value_len; i++)
            digits &= value[i] >= '0' && value[i] <= '9';
        if (!digits)
            return DMS_API_FRAMING_BAD_LENGTH;
        if (value_len > 15)
            return DMS_API_FRAMING_LONG_LENGTH;
        /* Two values are where two parsers could disagree on the body's end. */
        if (seen->length != NULL &&
            (seen->length_len != value_len || memcmp(seen->length, value, value_len) != 0))
            return DMS_API_FRAMING_CONFLICT;
        if (seen->length == NULL) {
            seen->length = value;
            seen->length_len = value_len;
        }
    }
    return DMS_API_FRAMING_OK;
}

dms_api_framing_fault dms_api_framing_fields_end(const dms_api_framing_fields *seen, bool http11)
{
    return http11 && !seen->host ? DMS_API_FRAMING_NO_HOST : DMS_API_FRAMING_OK;
}

/*
 * Checks the framing of a complete header block (head, len bytes up to the
 * blank line): the first fault in its bytes, or DMS_API_FRAMING_OK if
 * libmicrohttpd may take it.
 */
static dms_api_framing_fault check_block(const char *head, size_t len)
{
    const char *end = head + len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)head[i];
        if (c != '\r' && c != '\n' && control_char(c))
            return DMS_API_FRAMING_CONTROL;
        /* Lines end in CRLF and nowhere else: a bare CR or LF is where two
         * parsers could disagree on where the headers end. */
        if ((c == '\r' && (i + 1 >= len || head[i + 1] != '\n')) ||
            (c == '\n' && (i == 0 || head[i - 1] != '\r')))
            return DMS_API_FRAMING_LINE_END;
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
        strncmp(sp2 + 1, "HTTP/", 5) != 0 || sp2[6] < '0' || sp2[6] > '9')
        return DMS_API_FRAMING_REQUEST_LINE;
    if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
        return DMS_API_FRAMING_VERSION;
    if (sp2 + 10 != eol || sp2[9] != '\r')
        return DMS_API_FRAMING_AFTER_VERSION;
    bool http11 = sp2[8] == '1';
    dms_api_framing_fields seen = {0};
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
            colon[-1] == ' ' || colon[-1] == '\t')
            return DMS_API_FRAMING_HEADER_LINE;
        const char *v = colon + 1, *v_end = line + n;
        while (v < v_end && (*v == ' ' || *v == '\t'))
            v++;
        while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
            v_end--;
        dms_api_framing_fault fault =
            dms_api_framing_field(&seen, line, (size_t)(colon - line), v, (size_t)(v_end - v));
        if (fault != DMS_API_FRAMING_OK)
            return fault;
    }
    return dms_api_framing_fields_end(&seen, http11);
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
    dms_api_framing_fault fault = DMS_API_FRAMING_OK;
    if (end == 0 || end > max) {
        if (len < max)
            return;
        fault = DMS_API_FRAMING_TOO_LARGE;
    } else {
        out->header_len = end;
        fault = check_block(data, end);
        out->light = fault == DMS_API_FRAMING_OK && light_request(data, end);
    }
    const dms_api_framing_refusal *refusal = dms_api_framing_describe(fault);
    out->fault = fault;
    if (refusal != NULL) {
        out->status = refusal->status;
        out->reason = refusal->reason;
        out->code = refusal->code;
        out->message = refusal->message;
    }
}
