/*
 * Framing, health and configuration of the real `dmsrate serve` (issue 18,
 * points 7, 8 and 11): conflicting Content-Length is refused with 400 and
 * the smuggled rest is never answered; the errors libmicrohttpd would write
 * in HTML (bad request line, missing Host, oversized headers, chunked
 * bodies, unknown versions) come back as JSON in the one error shape;
 * /healthz names a missing or corrupt database and 500s carry a request id
 * but no file path; `dmsrate serve` defaults to ./tariffs and ./models,
 * refuses to start on an empty or broken catalog, and a reload that meets a
 * bad file keeps the running catalog and names the file and place.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "server_fixture.h"

static const int T = 20000;
/* The server of the running test; the teardown stops it even after a failed assertion. */
static struct fixture f;

static int finish(void **state)
{
    (void)state;
    fixture_finish(&f);
    return 0;
}
static struct fixture main_fixture;

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (fixture_prepare(&main_fixture) != 0)
        return -1;
    return fixture_start(&main_fixture, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    fixture_finish(&main_fixture);
    return 0;
}

/* Asserts a JSON error of status with code, in the one shape. */
static void expect_json_error(const struct http_response *r, int status, const char *code)
{
    if (r->status != status)
        fail_msg("status %d, expected %d; body %.300s", r->status, status,
                 r->body != NULL ? r->body : "(none)");
    char type[64];
    assert_non_null(http_header(r, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/json");
    json_error_t jerr;
    json_t *body = json_loadb(r->body, r->body_len, 0, &jerr);
    assert_non_null(body);
    json_t *error = json_object_get(body, "error");
    assert_true(json_is_string(json_object_get(error, "message")));
    assert_true(json_is_string(json_object_get(error, "path")));
    assert_string_equal(json_string_value(json_object_get(error, "code")), code);
    json_decref(body);
}

/* Sends raw bytes, reads one answer, then everything until the close. */
static void raw_exchange(const char *raw, size_t len, struct http_response *r, char **rest)
{
    int fd = http_connect(main_fixture.port);
    assert_true(fd >= 0);
    http_send_all(fd, raw, len);
    http_read_response(fd, r, T);
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    while (http_wait_readable(fd, 2000)) {
        ssize_t n = recv(fd, buf + got, cap - got - 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got + 1 >= cap)
            break;
    }
    buf[got] = '\0';
    close(fd);
    if (rest != NULL)
        *rest = buf;
    else
        free(buf);
}

/* ---- 7: framing ----------------------------------------------------------------------- */

static void conflicting_content_length_is_refused(void **state)
{
    (void)state;
    /* The short length would leave "GET /v1/models..." as a second request. */
    static const char smuggle[] = "POST /v1/aggregate HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Type: application/json\r\n"
                                  "Content-Length: 2\r\nContent-Length: 40\r\n\r\n"
                                  "{}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_response r;
    char *rest = NULL;
    raw_exchange(smuggle, sizeof smuggle - 1, &r, &rest);
    expect_json_error(&r, 400, "bad_request");
    assert_non_null(strstr(r.body, "conflicting Content-Length"));
    char value[32];
    assert_non_null(http_header(&r, "Connection", value, sizeof value));
    assert_string_equal(value, "close");
    /* Nothing after the refusal: no answer to the smuggled request. */
    assert_null(strstr(r.body, "HTTP/1.1"));
    assert_null(strstr(rest, "HTTP/1.1"));
    free(rest);
    http_response_free(&r);
    /* The same length twice is harmless and passes the gate. */
    static const char twice[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";
    raw_exchange(twice, sizeof twice - 1, &r, NULL);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
}

static void errors_of_the_http_layer_are_json(void **state)
{
    (void)state;
    struct http_response r;
    static const struct {
        const char *raw;
        int status;
        const char *code;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 400, "bad_request"},
        {"GET /healthz\r\n\r\n", 400, "bad_request"},
        {"GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_request"}, /* no Host */
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "bad_request"},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n", 400, "bad_request"},
        {"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
        {"POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400,
         "bad_request"},
        {"POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
         413, "payload_too_large"},
        {"POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "2\r\n{}\r\n0\r\n\r\n",
         411, "length_required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw_exchange(cases[i].raw, strlen(cases[i].raw), &r, NULL);
        if (r.status != cases[i].status)
            fail_msg("case %zu (%.40s): status %d", i, cases[i].raw, r.status);
        expect_json_error(&r, cases[i].status, cases[i].code);
        http_response_free(&r);
    }
    /* Headers past 32 KiB: 431, in JSON, where libmicrohttpd wrote HTML. */
    size_t big = 40 * 1024;
    char *raw = malloc(big + 128);
    int n = snprintf(raw, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(raw + n, 'a', big);
    memcpy(raw + n + big, "\r\n\r\n", 5);
    raw_exchange(raw, (size_t)n + big + 4, &r, NULL);
    expect_json_error(&r, 431, "headers_too_large");
    http_response_free(&r);
    free(raw);
    /* Headers under the limit but many (310 of 100 bytes) still reach a route on a
     * worker: libmicrohttpd's connection pool holds them with their list (an
     * answer in JSON, not its own HTML 431). */
    raw = malloc(40 * 1024);
    size_t len = (size_t)snprintf(raw, 128, "GET /v1/tariffs HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 310; i++) {
        len += (size_t)snprintf(raw + len, 32, "X-H%03d: ", i);
        memset(raw + len, 'b', 92);
        len += 92;
        memcpy(raw + len, "\r\n", 2);
        len += 2;
    }
    memcpy(raw + len, "\r\n", 2);
    len += 2;
    assert_true(len > 30 * 1024 && len < 32 * 1024);
    raw_exchange(raw, len, &r, NULL);
    expect_json_error(&r, 401, "unauthorized");
    http_response_free(&r);
    free(raw);
    /* The service is unharmed, and counts what its gate refused. */
    http_call(main_fixture.port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    http_call(main_fixture.port, "GET", "/metrics", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "dmsrate_gate_refusals_total{status=\"431\"} 1\n"));
    assert_non_null(strstr(r.body, "dmsrate_gate_refusals_total{status=\"411\"} 1\n"));
    assert_non_null(strstr(r.body, "dmsrate_connections_waiting "));
    http_response_free(&r);
}

/* ---- 8: health and 500s ------------------------------------------------------------------ */

static void healthz_checks_store_and_500_hides_paths(void **state)
{
    (void)state;
    assert_int_equal(fixture_prepare(&f), 0);
    char key[96];
    assert_int_equal(fixture_key(&f, "broker", key, sizeof key), 0);
    assert_int_equal(fixture_start(&f, NULL), 0);
    struct http_response r;
    http_call(f.port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"store\":\"ok\""));
    assert_non_null(strstr(r.body, "\"catalog\":\"ok\""));
    http_response_free(&r);

    /* Corrupt the database in place: every page is junk. */
    int fd = open(f.db, O_RDWR);
    assert_true(fd >= 0);
    off_t size = lseek(fd, 0, SEEK_END);
    char junk[4096];
    memset(junk, 'x', sizeof junk);
    for (off_t at = 0; at < size; at += (off_t)sizeof junk)
        assert_true(pwrite(fd, junk, sizeof junk, at) > 0);
    close(fd);
    http_call(f.port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"status\":\"down\""));
    assert_non_null(strstr(r.body, "\"store\":\"down: "));
    assert_non_null(strstr(r.body, "\"catalog\":\"ok\""));
    assert_null(strstr(r.body, f.dir));
    http_response_free(&r);

    /* A keyed request now fails inside: 500 with a request id, no path. */
    call_with_key(f.port, key, "GET", "/v1/models", NULL, &r, T);
    assert_int_equal(r.status, 500);
    char id[32], code[32];
    assert_non_null(http_header(&r, "X-Request-Id", id, sizeof id));
    assert_string_equal(error_code(&r, code, sizeof code), "internal");
    char expect_id[48];
    snprintf(expect_id, sizeof expect_id, "\"request_id\":%s", id);
    assert_non_null(strstr(r.body, expect_id));
    assert_null(strstr(r.body, f.dir));
    assert_null(strstr(r.body, "dmsrate.db"));
    http_response_free(&r);
    /* The log keeps the detail of the 500 under its id. */
    char want[64], line[4096];
    snprintf(want, sizeof want, "\"id\":%s,", id);
    bool logged = false;
    for (int i = 0; i < 50 && !logged; i++) {
        FILE *l = fopen(f.log_path, "r");
        while (l != NULL && fgets(line, sizeof line, l) != NULL)
            logged = logged || (strstr(line, want) != NULL && strstr(line, "\"status\":500") &&
                                strstr(line, "\"detail\":") != NULL);
        if (l != NULL)
            fclose(l);
        struct timespec tick = {0, 20 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    assert_true(logged);

    /* A missing file is named as such. */
    char wal[160];
    unlink(f.db);
    snprintf(wal, sizeof wal, "%s-wal", f.db);
    unlink(wal);
    http_call(f.port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "missing"));
    http_response_free(&r);
    fixture_finish(&f);
}

/* ---- 11: configuration ---------------------------------------------------------------------- */

static void serve_defaults_and_refuses_a_bad_catalog(void **state)
{
    (void)state;
    /* Without --tariffs and --models: ./tariffs and ./models (the repository). */
    char log[] = "/tmp/dms-srv-default-XXXXXX";
    int log_fd = mkstemp(log);
    close(log_fd);
    unsigned port = 0;
    const char *args[] = {"--no-seed", "--web", "", NULL};
    pid_t pid = start_dmsrate_serve(args, log, T, &port);
    assert_true(pid > 0);
    struct http_response r;
    http_call(port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "corporate-2026"));
    http_response_free(&r);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(log);

    assert_int_equal(fixture_prepare(&f), 0);
    char models[128], tariffs[128], empty[128];
    snprintf(models, sizeof models, "%s/models", f.dir);
    snprintf(tariffs, sizeof tariffs, "%s/tariffs", f.dir);
    snprintf(empty, sizeof empty, "%s/empty", f.dir);
    assert_int_equal(mkdir(empty, 0755), 0);
    /* Empty folders: exit 2 with a message that says what is missing. */
    char *empty_argv[] = {"dmsrate", "serve",    "--listen", "127.0.0.1:0", "--tariffs",
                          empty,     "--models", empty,      NULL};
    struct command_result c = run_dmsrate(empty_argv);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "catalog is empty"));
    command_result_free(&c);
    /* Tariffs whose model is absent. */
    char *no_model_argv[] = {"dmsrate", "serve",    "--listen", "127.0.0.1:0", "--tariffs",
                             tariffs,   "--models", empty,      NULL};
    c = run_dmsrate(no_model_argv);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "model"));
    command_result_free(&c);
    /* A missing folder is a configuration fault too. */
    char *missing_argv[] = {"dmsrate",          "serve",    "--listen", "127.0.0.1:0", "--tariffs",
                            "/nonexistent-dms", "--models", models,     NULL};
    c = run_dmsrate(missing_argv);
    assert_int_equal(c.status, 2);
    command_result_free(&c);
    /* A broken file: exit 2 naming the file and the line. */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/zz-broken.json", models);
    FILE *file = fopen(bad, "w");
    fputs("{\n  \"id\": \"broken\",\n  oops\n}\n", file);
    fclose(file);
    char *bad_argv[] = {"dmsrate", "serve",    "--listen", "127.0.0.1:0", "--tariffs",
                        tariffs,   "--models", models,     NULL};
    c = run_dmsrate(bad_argv);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "zz-broken.json:3"));
    command_result_free(&c);
    unlink(bad);

    /* A reload that meets a bad file keeps the running catalog and says where. */
    assert_int_equal(fixture_start(&f, NULL), 0);
    file = fopen(bad, "w");
    fputs("{\n  \"id\": \"broken\",\n  oops\n}\n", file);
    fclose(file);
    kill(f.pid, SIGHUP);
    bool logged = false;
    for (int i = 0; i < 100 && !logged; i++) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        nanosleep(&tick, NULL);
        FILE *l = fopen(f.log_path, "r");
        char line[2048];
        while (l != NULL && fgets(line, sizeof line, l) != NULL)
            if (strstr(line, "\"reload\"") != NULL && strstr(line, "failed") != NULL &&
                strstr(line, "zz-broken.json:3") != NULL)
                logged = true;
        if (l != NULL)
            fclose(l);
    }
    assert_true(logged);
    http_call(f.port, "GET", "/healthz", NULL, NULL, &r, T);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"generation\":1"));
    http_response_free(&r);
    fixture_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conflicting_content_length_is_refused),
        cmocka_unit_test(errors_of_the_http_layer_are_json),
        cmocka_unit_test_teardown(healthz_checks_store_and_500_hides_paths, finish),
        cmocka_unit_test_teardown(serve_defaults_and_refuses_a_bad_catalog, finish),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
