/*
 * The framing table and rules of framing.c without a server: each fault of
 * the table is what the raw check of the accept gate reports for a header
 * block showing it, with the table's answer; the shared field rules
 * (dms_api_framing_field, _fields_end, _control) give what the raw check
 * gives on the same field; and the precedence a later request's check takes
 * from the order of the faults is the one the server has always answered
 * with (control, then chunked, then the Content-Length faults, then Host).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dms/api.h"
#include "dms/error.h"

/* A header block and the fault the raw check must find in it. */
static const struct {
    dms_api_framing_fault fault;
    const char *raw;
} blocks[] = {
    {DMS_API_FRAMING_OK, "GET /v1/models HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"},
    {DMS_API_FRAMING_OK, "GET /v1/models HTTP/1.0\r\n\r\n"},
    {DMS_API_FRAMING_VERSION, "GET /v1/models HTTP/1.2\r\nHost: a\r\n\r\n"},
    {DMS_API_FRAMING_VERSION, "GET /v1/models HTTP/2.0\r\nHost: a\r\n\r\n"},
    {DMS_API_FRAMING_CONTROL, "GET /v1/models HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"},
    {DMS_API_FRAMING_CONTROL, "GET /v1/models HTTP/1.1\r\nHost: a\x7f\r\n\r\n"},
    {DMS_API_FRAMING_LINE_END, "GET /v1/models HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"},
    {DMS_API_FRAMING_LINE_END, "GET /v1/models HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"},
    {DMS_API_FRAMING_REQUEST_LINE, "get /v1/models HTTP/1.1\r\nHost: a\r\n\r\n"},
    {DMS_API_FRAMING_REQUEST_LINE, "GET v1/models HTTP/1.1\r\nHost: a\r\n\r\n"},
    {DMS_API_FRAMING_AFTER_VERSION, "GET /v1/models HTTP/1.1 x\r\nHost: a\r\n\r\n"},
    {DMS_API_FRAMING_HEADER_LINE, "GET /v1/models HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"},
    {DMS_API_FRAMING_HEADER_LINE, "GET /v1/models HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n"},
    {DMS_API_FRAMING_HEADER_LINE, "GET /v1/models HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"},
    {DMS_API_FRAMING_CHUNKED, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                              "transfer-encoding: chunked\r\n\r\n"},
    {DMS_API_FRAMING_BAD_LENGTH, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                                 "Content-Length: 2x\r\n\r\n"},
    {DMS_API_FRAMING_BAD_LENGTH, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                                 "Content-Length: \r\n\r\n"},
    {DMS_API_FRAMING_LONG_LENGTH, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                                  "Content-Length: 1234567890123456\r\n\r\n"},
    {DMS_API_FRAMING_OK, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                         "Content-Length: 123456789012345\r\n\r\n"},
    {DMS_API_FRAMING_CONFLICT, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                               "Content-Length: 2\r\nContent-Length:  40 \r\n\r\n"},
    {DMS_API_FRAMING_OK, "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                         "Content-Length: 2\r\ncontent-length:\t2 \r\n\r\n"},
    {DMS_API_FRAMING_NO_HOST, "GET /v1/models HTTP/1.1\r\nHostname: a\r\n\r\n"},
};

static void raw_check_finds_each_fault_with_its_answer(void **state)
{
    (void)state;
    bool seen[DMS_API_FRAMING_FAULTS] = {false};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        dms_api_framing out;
        size_t len = strlen(blocks[i].raw);
        dms_api_framing_check(blocks[i].raw, len, 0, 4096, &out);
        if (out.fault != blocks[i].fault)
            fail_msg("block %zu: fault %d, expected %d", i, (int)out.fault, (int)blocks[i].fault);
        seen[out.fault] = true;
        const dms_api_framing_refusal *want = dms_api_framing_describe(out.fault);
        if (want == NULL) {
            assert_int_equal(out.status, 0);
            assert_int_equal(out.header_len, len);
            continue;
        }
        assert_int_equal(out.status, want->status);
        assert_ptr_equal(out.reason, want->reason);
        assert_ptr_equal(out.code, want->code);
        assert_ptr_equal(out.message, want->message);
    }
    /* Headers over the limit, not yet complete. */
    char big[600];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    dms_api_framing out;
    dms_api_framing_check(big, sizeof big, 0, 512, &out);
    assert_int_equal(out.fault, DMS_API_FRAMING_TOO_LARGE);
    assert_int_equal(out.status, 431);
    assert_int_equal(out.header_len, 0);
    seen[DMS_API_FRAMING_TOO_LARGE] = true;
    for (int f = 0; f < DMS_API_FRAMING_FAULTS; f++)
        if (!seen[f])
            fail_msg("no block shows fault %d", f);
}

static void the_table_answers_every_fault_once(void **state)
{
    (void)state;
    assert_null(dms_api_framing_describe(DMS_API_FRAMING_OK));
    assert_null(dms_api_framing_describe(DMS_API_FRAMING_FAULTS));
    assert_null(dms_api_framing_describe((dms_api_framing_fault)-1));
    for (int f = DMS_API_FRAMING_OK + 1; f < DMS_API_FRAMING_FAULTS; f++) {
        const dms_api_framing_refusal *r = dms_api_framing_describe((dms_api_framing_fault)f);
        assert_non_null(r);
        assert_true(r->status >= 400 && r->status <= 505);
        assert_non_null(r->reason);
        assert_non_null(r->code);
        assert_non_null(r->message);
        /* Each message once: two faults never read alike to a client. */
        for (int g = DMS_API_FRAMING_OK + 1; g < f; g++)
            assert_string_not_equal(dms_api_framing_describe((dms_api_framing_fault)g)->message,
                                    r->message);
    }
    /* What a later request's check can answer (in both languages) has its Russian form. */
    static const dms_api_framing_fault later[] = {
        DMS_API_FRAMING_TOO_LARGE, DMS_API_FRAMING_VERSION,    DMS_API_FRAMING_CONTROL,
        DMS_API_FRAMING_CHUNKED,   DMS_API_FRAMING_BAD_LENGTH, DMS_API_FRAMING_LONG_LENGTH,
        DMS_API_FRAMING_CONFLICT,  DMS_API_FRAMING_NO_HOST,
    };
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
        assert_non_null(dms_error_template_ru(dms_api_framing_describe(later[i])->message));
}

/* The fault of the parsed fields as the later check takes it: the first by order. */
static dms_api_framing_fault later_fault(const char *const fields[][2], size_t n, bool http11)
{
    dms_api_framing_fields seen = {0};
    dms_api_framing_fault fault = DMS_API_FRAMING_OK;
    for (size_t i = 0; i < n; i++) {
        const char *name = fields[i][0], *value = fields[i][1];
        dms_api_framing_fault f =
            dms_api_framing_control(name, strlen(name), true) ||
                    dms_api_framing_control(value, strlen(value), false)
                ? DMS_API_FRAMING_CONTROL
                : dms_api_framing_field(&seen, name, strlen(name), value, strlen(value));
        if (f != DMS_API_FRAMING_OK && (fault == DMS_API_FRAMING_OK || f < fault))
            fault = f;
    }
    return fault != DMS_API_FRAMING_OK ? fault : dms_api_framing_fields_end(&seen, http11);
}

static void shared_field_rules_and_later_precedence(void **state)
{
    (void)state;
    /* Control characters: tab is allowed in a value, not in a name; space likewise. */
    assert_false(dms_api_framing_control("a\tb c", 5, false));
    assert_true(dms_api_framing_control("a\tb", 3, true));
    assert_true(dms_api_framing_control("a b", 3, true));
    assert_true(dms_api_framing_control("a\rb", 3, false));
    assert_true(dms_api_framing_control("a\x7f", 2, false));
    assert_false(dms_api_framing_control("Content-Length", 14, true));
    /* Several faults at once: control, then chunked, then the lengths, then Host. */
    const char *const control_and_chunked[][2] = {
        {"Transfer-Encoding", "chunked"}, {"Content-Length", "x"}, {"X", "a\x01"}};
    assert_int_equal(later_fault(control_and_chunked, 3, true), DMS_API_FRAMING_CONTROL);
    const char *const length_then_chunked[][2] = {{"Content-Length", "x"},
                                                  {"transfer-encoding", "chunked"}};
    assert_int_equal(later_fault(length_then_chunked, 2, true), DMS_API_FRAMING_CHUNKED);
    const char *const conflict_then_long[][2] = {{"Host", "a"},
                                                 {"Content-Length", "1"},
                                                 {"Content-Length", "2"},
                                                 {"Content-Length", "12345678901234567"}};
    assert_int_equal(later_fault(conflict_then_long, 4, true), DMS_API_FRAMING_LONG_LENGTH);
    const char *const conflict[][2] = {
        {"Content-Length", "7"}, {"Content-Length", "7"}, {"CONTENT-LENGTH", "70"}};
    assert_int_equal(later_fault(conflict, 3, true), DMS_API_FRAMING_CONFLICT);
    const char *const no_host[][2] = {{"Content-Length", "7"}};
    assert_int_equal(later_fault(no_host, 1, true), DMS_API_FRAMING_NO_HOST);
    assert_int_equal(later_fault(no_host, 1, false), DMS_API_FRAMING_OK);
    const char *const fine[][2] = {
        {"host", "a"}, {"Content-Length", "007"}, {"Content-Length", "007"}, {"X", "a\tb"}};
    assert_int_equal(later_fault(fine, 4, true), DMS_API_FRAMING_OK);
    /* The raw check reports the first fault in line order: the long value, which also conflicts. */
    dms_api_framing out;
    const char *raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                      "Content-Length: 12345678901234567\r\n\r\n";
    dms_api_framing_check(raw, strlen(raw), 0, 4096, &out);
    assert_int_equal(out.fault, DMS_API_FRAMING_LONG_LENGTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(raw_check_finds_each_fault_with_its_answer),
        cmocka_unit_test(the_table_answers_every_fault_once),
        cmocka_unit_test(shared_field_rules_and_later_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
