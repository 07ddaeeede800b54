/*
 * libFuzzer target for the framing check of the accept gate (framing.c):
 * whatever a client sends, the check returns; an accepted block ends with
 * the blank line, starts with an upper-case method and a path, names
 * HTTP/1.0 or 1.1, and carries at most one Content-Length value, recounted
 * here independently; a refusal has its reason, code and message, the
 * framing table's for the fault reported. Checking the same bytes in two
 * pieces (as they arrive) gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The distinct Content-Length values of the block (0, 1 or 2 meaning "more"). */
static int length_values(const char *head, size_t len)
{
    const char *first = NULL;
    size_t first_len = 0;
    int count = 0;
    for (size_t i = 0; i + 16 <= len; i++) {
        if ((i > 0 && head[i - 1] != '\n') || strncasecmp(head + i, "Content-Length:", 15) != 0)
            continue;
        const char *v = head + i + 15;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strspn(v, "0123456789");
        if (first == NULL) {
            first = v;
            first_len = n;
            count = 1;
        } else if (n != first_len || memcmp(v, first, n) != 0) {
            count = 2;
        }
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t max = 4096;
    dms_api_framing whole, split;
    dms_api_framing_check(text, size, 0, max, &whole);
    /* Arriving in two pieces: the first scan remembers how far it looked. */
    dms_api_framing_check(text, size / 2, 0, max, &split);
    if (split.header_len == 0 && split.status == 0)
        dms_api_framing_check(text, size, size / 2, max, &split);
    else
        split = whole; /* complete (or refused) already in the first half */
    if (split.status != whole.status || split.header_len != whole.header_len)
        abort();
    /* The answer is the framing table's for the fault found, and only then. */
    const dms_api_framing_refusal *refusal = dms_api_framing_describe(whole.fault);
    if ((refusal == NULL) != (whole.status == 0) ||
        (refusal != NULL && (refusal->status != whole.status || refusal->reason != whole.reason ||
                             refusal->code != whole.code || refusal->message != whole.message)))
        abort();
    if (whole.status != 0) {
        if (whole.reason == NULL || whole.code == NULL || whole.message == NULL ||
            whole.status < 400 || whole.status > 505)
            abort();
    } else if (whole.header_len > 0) {
        size_t n = whole.header_len;
        if (n > max || n < 4 || memcmp(text + n - 4, "\r\n\r\n", 4) != 0)
            abort();
        if (text[0] < 'A' || text[0] > 'Z' || memchr(text, ' ', n) == NULL)
            abort();
        const char *eol = memchr(text, '\n', n);
        if (eol == NULL || eol - text < 10 || memcmp(eol - 9, "HTTP/1.", 7) != 0)
            abort();
        if (length_values(text, n) > 1)
            abort();
    } else if (size >= max) {
        abort(); /* incomplete at the limit must be refused */
    }
    free(text);
    return 0;
}
