/*
 * HTTP/1.1 keep-alive of the real `dmsrate serve` (issue 17): a connection
 * carries up to --keep-alive requests and then closes; a kept connection
 * keeps the protection its first request had through the accept gate: the
 * next request's headers must be complete within --header-timeout of the
 * previous answer (silent or trickling alike), a slow body is cut off at the
 * request deadline, the gate's framing refusals come back in JSON on later
 * requests too, key, role and rate are checked for every request, and every
 * refusal and every answer of the light lane closes its connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/api.h"

#include "server_fixture.h"

static const int T = 20000;
/* The server of the running test; the teardown stops it even after a failed assertion. */
static struct fixture f;
static char key[96];

static int finish(void **state)
{
    (void)state;
    fixture_finish(&f);
    return 0;
}

static const char light[] = "{\"frequency\": {\"family\": \"poisson\", \"mean\": 3}, "
                            "\"severity\": {\"family\": \"lognormal\", \"meanlog\": 8, "
                            "\"sdlog\": 1}}";

/* Starts the server with extra arguments and an insurer key in key. */
static void start(const char *const extra[])
{
    assert_int_equal(fixture_prepare(&f), 0);
    assert_int_equal(fixture_key(&f, "insurer", key, sizeof key), 0);
    assert_int_equal(fixture_start(&f, extra), 0);
}

/* Sends one request that does not ask to close; body may be NULL. */
static void send_request(int fd, const char *method, const char *path, const char *with_key,
                         const char *body)
{
    char head[1024];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, path);
    if (with_key != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n, "Authorization: Bearer %s\r\n", with_key);
    if (body != NULL)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    assert_true(http_send_all(fd, head, (size_t)n));
    if (body != NULL)
        assert_true(http_send_all(fd, body, strlen(body)));
}

/* True if the answer says the connection closes after it. */
static bool says_close(const struct http_response *r)
{
    char value[32];
    return http_header(r, "Connection", value, sizeof value) != NULL &&
           strcasecmp(value, "close") == 0;
}

/* True if the server closes fd (end of stream or reset) within ms, nothing else read. */
static bool closed_within(int fd, int ms)
{
    double until = now_seconds() + ms / 1000.0;
    char buf[256];
    while (now_seconds() < until) {
        int left = (int)((until - now_seconds()) * 1000.0) + 1;
        if (!http_wait_readable(fd, left))
            return false;
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
        if (n > 0)
            return false; /* an answer: not a close */
    }
    return false;
}

/* One kept exchange on fd: the answer must be status and keep the connection. */
static void kept_exchange(int fd, const char *method, const char *path, const char *body,
                          int status)
{
    struct http_response r;
    send_request(fd, method, path, key, body);
    http_read_response(fd, &r, T);
    if (r.status != status)
        fail_msg("%s %s: status %d, expected %d; body %.200s", method, path, r.status, status,
                 r.body != NULL ? r.body : "");
    assert_false(says_close(&r));
    http_response_free(&r);
}

/* A 200 answer to method path on fd (with the key, or none) that says
 * close, after which the server closes fd (which is closed here too). */
static void closing_exchange(int fd, const char *method, const char *path, const char *with_key)
{
    struct http_response r;
    send_request(fd, method, path, with_key, NULL);
    http_read_response(fd, &r, T);
    assert_int_equal(r.status, 200);
    assert_true(says_close(&r));
    http_response_free(&r);
    assert_true(closed_within(fd, 3000));
    close(fd);
}

/* The answer on fd is a JSON error of status with code, says close, and fd closes. */
static void expect_refusal_and_close(int fd, int status, const char *code)
{
    struct http_response r;
    http_read_response(fd, &r, T);
    if (r.status != status)
        fail_msg("status %d, expected %d; body %.200s", r.status, status,
                 r.body != NULL ? r.body : "(none)");
    char type[64], got[64];
    assert_non_null(http_header(&r, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/json");
    assert_string_equal(error_code(&r, got, sizeof got), code);
    assert_true(says_close(&r));
    http_response_free(&r);
    assert_true(closed_within(fd, 3000));
}

static void connection_carries_requests_up_to_its_cap(void **state)
{
    (void)state;
    const char *extra[] = {"--keep-alive", "5", NULL};
    start(extra);
    int fd = http_connect(f.port);
    assert_true(fd >= 0);
    char ids[5][32];
    for (int i = 0; i < 5; i++) {
        struct http_response r;
        /* A GET and a request with a body, in turn: both leave the stream aligned. */
        if (i % 2 == 0)
            send_request(fd, "GET", "/v1/models", key, NULL);
        else
            send_request(fd, "POST", "/v1/aggregate", key, light);
        http_read_response(fd, &r, T);
        assert_int_equal(r.status, 200);
        assert_non_null(http_header(&r, "X-Request-Id", ids[i], sizeof ids[i]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
        /* The fifth is the last this connection may carry. */
        assert_true(says_close(&r) == (i == 4));
        http_response_free(&r);
    }
    assert_true(closed_within(fd, 3000));
    close(fd);
    /* With --keep-alive 1 every answer closes, as before keep-alive. */
    fixture_finish(&f);
    const char *one[] = {"--keep-alive", "1", NULL};
    start(one);
    closing_exchange(http_connect(f.port), "GET", "/v1/models", key);
}

static void idle_kept_connection_closes_at_header_deadline(void **state)
{
    (void)state;
    const char *extra[] = {"--header-timeout", "1", NULL};
    start(extra);
    int fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    double t0 = now_seconds();
    /* Still open well inside the deadline: a prompt next request is served. */
    assert_false(closed_within(fd, 500));
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    /* The deadline runs from each answer, not from the connect: a client
     * asking every 0.4 s keeps its connection well past 1 s. */
    for (int i = 0; i < 5; i++) {
        assert_false(closed_within(fd, 400));
        kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    }
    t0 = now_seconds();
    assert_true(closed_within(fd, 3000));
    double took = now_seconds() - t0;
    if (took < 0.9 || took > 1.6)
        fail_msg("an idle kept connection closed after %.2f s, expected about 1 s", took);
    close(fd);
}

static void trickling_headers_on_kept_connection_are_cut_off(void **state)
{
    (void)state;
    /* libmicrohttpd's own idle timeout (30 s) never fires on a trickle. */
    const char *extra[] = {"--header-timeout", "1", NULL};
    start(extra);
    int fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    double t0 = now_seconds();
    static const char start_of_headers[] = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
    assert_true(http_send_all(fd, start_of_headers, sizeof start_of_headers - 1));
    bool closed = false;
    int sent = 0;
    while (!closed && now_seconds() - t0 < 4.0) {
        /* One byte every 100 ms: never silent for long. */
        if (!http_send_all(fd, "a", 1))
            break;
        sent++;
        closed = closed_within(fd, 100);
    }
    double took = now_seconds() - t0;
    if (!closed && !closed_within(fd, 100))
        fail_msg("a kept connection trickling its headers was still open after %.2f s", took);
    if (took > 1.6)
        fail_msg("a trickling kept connection was cut off after %.2f s, expected about 1 s", took);
    assert_true(sent >= 5); /* it did keep sending */
    close(fd);
}

static void slow_body_on_kept_connection_is_cut_off(void **state)
{
    (void)state;
    /* --timeout 2: a whole request must arrive within 4 s. */
    const char *extra[] = {"--timeout", "2", NULL};
    start(extra);
    int fd = http_connect(f.port);
    kept_exchange(fd, "POST", "/v1/aggregate", light, 200);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST /v1/aggregate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                     "%s\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
                     key);
    assert_true(http_send_all(fd, head, (size_t)n));
    double t0 = now_seconds();
    bool closed = false;
    while (!closed && now_seconds() - t0 < 8.0) {
        if (!http_send_all(fd, " ", 1)) {
            closed = true;
            break;
        }
        closed = closed_within(fd, 250);
    }
    double took = now_seconds() - t0;
    if (!closed)
        fail_msg("a kept connection trickling its body was still open after %.2f s", took);
    if (took > 6.0)
        fail_msg("a trickling body was cut off after %.2f s, expected about 4 s", took);
    close(fd);
}

static void later_requests_meet_the_gate_framing_rules(void **state)
{
    (void)state;
    start(NULL);
    struct {
        const char *raw;
        int status;
        const char *code;
    } cases[] = {
        {"POST /v1/aggregate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n5\r\n{}   \r\n0\r\n\r\n",
         411, "length_required"},
        {"POST /v1/aggregate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
         "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
         400, "bad_request"},
        {"GET /v1/models HTTP/1.1\r\n\r\n", 400, "bad_request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = http_connect(f.port);
        kept_exchange(fd, "GET", "/v1/models", NULL, 200);
        assert_true(http_send_all(fd, cases[i].raw, strlen(cases[i].raw)));
        expect_refusal_and_close(fd, cases[i].status, cases[i].code);
        close(fd);
    }
    /* Headers over the gate's 32 KiB, which libmicrohttpd's pool would still take. */
    size_t pad = 40 * 1024;
    char *big = malloc(pad + 256);
    int n = snprintf(big, 256, "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Pad: ");
    memset(big + n, 'a', pad);
    memcpy(big + n + pad, "\r\n\r\n", 4);
    int fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    assert_true(http_send_all(fd, big, (size_t)n + pad + 4));
    expect_refusal_and_close(fd, 431, "headers_too_large");
    close(fd);
    free(big);
}

/* What an answer says: status, reason phrase, code and English message. */
struct answer {
    int status;
    char reason[64], code[64], message[160];
};

/* Reads the answer on fd into a; it must close its connection. */
static void read_answer(int fd, struct answer *a)
{
    struct http_response r;
    http_read_response(fd, &r, T);
    memset(a, 0, sizeof *a);
    a->status = r.status;
    const char *sp = r.head != NULL ? strchr(r.head, ' ') : NULL;
    sp = sp != NULL ? strchr(sp + 1, ' ') : NULL;
    if (sp != NULL)
        snprintf(a->reason, sizeof a->reason, "%.*s", (int)strcspn(sp + 1, "\r\n"), sp + 1);
    json_t *body = json_loads(r.body != NULL ? r.body : "", 0, NULL);
    json_t *error = json_object_get(body, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    snprintf(a->code, sizeof a->code, "%s", code != NULL ? code : "");
    snprintf(a->message, sizeof a->message, "%s", message != NULL ? message : "");
    json_decref(body);
    assert_true(says_close(&r));
    http_response_free(&r);
}

/* a is the table's answer to fault (where is "first" or "later" for the failure message). */
static void expect_answer(const struct answer *a, dms_api_framing_fault fault, const char *where)
{
    const dms_api_framing_refusal *want = dms_api_framing_describe(fault);
    assert_non_null(want);
    if (a->status != (int)want->status || strcmp(a->reason, want->reason) != 0 ||
        strcmp(a->code, want->code) != 0 || strcmp(a->message, want->message) != 0)
        fail_msg("fault %d, %s request: %d %s %s '%s'; the table says %u %s %s '%s'", (int)fault,
                 where, a->status, a->reason, a->code, a->message, want->status, want->reason,
                 want->code, want->message);
}

/*
 * Every framing fault a later request can show is answered as on a first
 * request, where the gate reads the raw bytes: the same status line, code
 * and message, all the framing table's (framing.c). No case for the faults
 * libmicrohttpd's parser meets first on a later request: a Content-Length
 * that is not a number (or overflows), a version other than HTTP/1.x, and
 * the faults only raw bytes show (bare CR or LF, a malformed request or
 * header line, bytes after the version), which it refuses itself or reads
 * leniently.
 */
static void framing_faults_answer_alike_first_and_later(void **state)
{
    (void)state;
    start(NULL);
    static const char aggregate[] = "POST /v1/aggregate HTTP/1.1\r\nHost: a\r\n"
                                    "Content-Type: application/json\r\n";
    struct {
        dms_api_framing_fault fault;
        const char *head; /* NULL: headers over the limit */
        const char *fields;
    } cases[] = {
        {DMS_API_FRAMING_TOO_LARGE, NULL, NULL},
        {DMS_API_FRAMING_VERSION, "GET /v1/models HTTP/1.2\r\nHost: a\r\n", ""},
        {DMS_API_FRAMING_CONTROL, "GET /v1/models HTTP/1.1\r\nHost: a\r\n", "X-Note: a\x01z\r\n"},
        {DMS_API_FRAMING_CHUNKED, aggregate, "Transfer-Encoding: chunked\r\n"},
        {DMS_API_FRAMING_LONG_LENGTH, aggregate, "Content-Length: 1234567890123456\r\n"},
        {DMS_API_FRAMING_CONFLICT, aggregate, "Content-Length: 2\r\nContent-Length: 40\r\n"},
        {DMS_API_FRAMING_NO_HOST, "GET /v1/models HTTP/1.1\r\n", ""},
    };
    size_t pad = 40 * 1024;
    char *raw = malloc(pad + 512);
    assert_non_null(raw);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        if (cases[i].head == NULL) {
            n = (size_t)snprintf(raw, 256, "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Pad: ");
            memset(raw + n, 'a', pad);
            memcpy(raw + n + pad, "\r\n\r\n", 4);
            n += pad + 4;
        } else {
            n = (size_t)snprintf(raw, 512, "%s%s\r\n", cases[i].head, cases[i].fields);
        }
        struct answer first, later;
        int fd = http_connect(f.port);
        assert_true(http_send_all(fd, raw, n));
        read_answer(fd, &first);
        close(fd);
        fd = http_connect(f.port);
        kept_exchange(fd, "GET", "/v1/models", NULL, 200);
        assert_true(http_send_all(fd, raw, n));
        read_answer(fd, &later);
        assert_true(closed_within(fd, 3000));
        close(fd);
        expect_answer(&first, cases[i].fault, "first");
        expect_answer(&later, cases[i].fault, "later");
    }
    free(raw);
    /* Every fault has its answer, and each a later request can meet its Russian form. */
    for (int fault = DMS_API_FRAMING_OK + 1; fault < DMS_API_FRAMING_FAULTS; fault++) {
        const dms_api_framing_refusal *r = dms_api_framing_describe((dms_api_framing_fault)fault);
        assert_non_null(r);
        assert_true(r->status >= 400 && r->status <= 505);
        assert_non_null(r->reason);
        assert_non_null(r->code);
        assert_non_null(r->message);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_non_null(dms_error_template_ru(dms_api_framing_describe(cases[i].fault)->message));
    assert_null(dms_api_framing_describe(DMS_API_FRAMING_OK));
    assert_null(dms_api_framing_describe(DMS_API_FRAMING_FAULTS));
}

static void every_request_is_admitted_and_refusals_close(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit", "2", NULL};
    start(extra);
    /* A wrong key on a connection a good key opened: 401, and closed. */
    int fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    send_request(fd, "GET", "/v1/models", "dms_not_a_key", NULL);
    expect_refusal_and_close(fd, 401, "unauthorized");
    close(fd);
    /* No route: 404, and closed. */
    fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    send_request(fd, "GET", "/v1/no-such-route", key, NULL);
    expect_refusal_and_close(fd, 404, "not_found");
    close(fd);
    /* The per-key rate counts each request of a kept connection. */
    fd = http_connect(f.port);
    kept_exchange(fd, "POST", "/v1/aggregate", light, 200);
    kept_exchange(fd, "POST", "/v1/aggregate", light, 200);
    send_request(fd, "POST", "/v1/aggregate", key, light);
    expect_refusal_and_close(fd, 429, "rate_limited");
    close(fd);
    /* The light lane never keeps a connection: a probe cannot turn into work there. */
    closing_exchange(http_connect(f.port), "GET", "/healthz", NULL);
}

static void crowded_address_gets_closing_answers(void **state)
{
    (void)state;
    /* 4 connections an address: three may be kept, the fourth's answer closes. */
    const char *extra[] = {"--max-per-ip", "4", NULL};
    start(extra);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = http_connect(f.port);
        kept_exchange(fds[i], "GET", "/v1/models", NULL, 200);
    }
    closing_exchange(http_connect(f.port), "GET", "/v1/models", key);
    /* One of the three gone: a new connection is kept again. */
    close(fds[0]);
    fds[0] = -1;
    struct timespec settle = {0, 200 * 1000 * 1000};
    nanosleep(&settle, NULL);
    int fd = http_connect(f.port);
    kept_exchange(fd, "GET", "/v1/models", NULL, 200);
    close(fd);
    close(fds[1]);
    close(fds[2]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(connection_carries_requests_up_to_its_cap, finish),
        cmocka_unit_test_teardown(idle_kept_connection_closes_at_header_deadline, finish),
        cmocka_unit_test_teardown(trickling_headers_on_kept_connection_are_cut_off, finish),
        cmocka_unit_test_teardown(slow_body_on_kept_connection_is_cut_off, finish),
        cmocka_unit_test_teardown(later_requests_meet_the_gate_framing_rules, finish),
        cmocka_unit_test_teardown(framing_faults_answer_alike_first_and_later, finish),
        cmocka_unit_test_teardown(every_request_is_admitted_and_refusals_close, finish),
        cmocka_unit_test_teardown(crowded_address_gets_closing_answers, finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
