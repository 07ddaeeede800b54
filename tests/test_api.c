/*
 * API tests: start the real `dmsrate serve` (path in $DMS_BIN) on a free
 * loopback port with copies of the sample models and tariffs, and exercise
 * every route and every error status through a raw HTTP/1.1 client:
 * malformed, truncated, invalid UTF-8, oversized and deeply nested bodies,
 * wrong types and out-of-range numbers (with their JSON Pointers), 404, 405
 * with Allow, 413, 415, reload by endpoint and by SIGHUP (a broken file
 * keeps the running set), metrics, the access log, the idle timeout, the
 * examples of docs/openapi.yaml, and a SIGTERM that lets a request in
 * flight finish before a clean exit 0.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/api.h"
#include "http_client.h"
#include "run_command.h"
#include "testutil.h"

struct server {
    pid_t pid;
    unsigned port;
    char dir[64];       /* temporary folder: models/, tariffs/, db, log */
    char log_path[128]; /* the server's stderr: the access log */
};

static struct server main_server;
static int timeout_ms = 10000;
/* Keys created in main_server's database, by role (see keys_setup). */
static char key_hr[80], key_broker[80], key_employee[80], key_manager[80], key_finance[80],
    key_insurer[80];

/* `dmsrate keys create` into the database of s; the key into key. */
static int create_key(const struct server *s, const char *role, const char *scope_flag,
                      const char *scope, char *key, size_t size)
{
    char db[128];
    snprintf(db, sizeof db, "%s/dmsrate.db", s->dir);
    char *argv[] = {"dmsrate", "keys", "create",           "--role",      (char *)role,
                    "--db",    db,     (char *)scope_flag, (char *)scope, NULL};
    struct command_result c = run_dmsrate(argv);
    int ok = c.status == 0 && strlen(c.out) > 60 ? 0 : -1;
    snprintf(key, size, "%.*s", (int)strcspn(c.out, "\n"), c.out);
    free(c.out);
    free(c.err);
    return ok;
}

static const char outpatient[] =
    "{\"frequency\": {\"family\": \"poisson\", \"mean\": 3}, "
    "\"severity\": {\"family\": \"lognormal\", \"meanlog\": 8, \"sdlog\": 1}}";

/* Starts `dmsrate serve` on port 0 with extra arguments (NULL-terminated). */
static int start_server(struct server *s, const char *extra1, const char *extra2)
{
    memset(s, 0, sizeof *s);
    if (test_temp_dir(s->dir, sizeof s->dir, "api") != 0)
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp -r models tariffs '%s'/", s->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(s->log_path, sizeof s->log_path, "%s/access.log", s->dir);
    char models[128], tariffs[128], db[128];
    snprintf(models, sizeof models, "%s/models", s->dir);
    snprintf(tariffs, sizeof tariffs, "%s/tariffs", s->dir);
    snprintf(db, sizeof db, "%s/dmsrate.db", s->dir);
    const char *args[] = {"--models",  models, "--tariffs", tariffs, "--db", db,
                          "--threads", "2",    extra1,      extra2,  NULL};
    s->pid = start_dmsrate_serve(args, s->log_path, timeout_ms, &s->port);
    if (s->pid < 0)
        return -1;
    struct http_response r;
    http_call(s->port, "GET", "/healthz", NULL, NULL, &r, timeout_ms);
    int ok = r.status == 200 ? 0 : -1;
    http_response_free(&r);
    return ok;
}

/* SIGTERM and wait; returns the exit status (128 + signal if killed). */
static int stop_server(struct server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int wstatus = 0;
    waitpid(s->pid, &wstatus, 0);
    s->pid = 0;
    if (test_remove_tree(s->dir) != 0)
        return -1;
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

static int group_setup(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        timeout_ms = 60000;
    signal(SIGPIPE, SIG_IGN);
    if (start_server(&main_server, "--today", "2025-11-20") != 0 ||
        create_key(&main_server, "hr", NULL, NULL, key_hr, sizeof key_hr) != 0 ||
        create_key(&main_server, "broker", NULL, NULL, key_broker, sizeof key_broker) != 0 ||
        create_key(&main_server, "insurer", NULL, NULL, key_insurer, sizeof key_insurer) != 0 ||
        create_key(&main_server, "finance", NULL, NULL, key_finance, sizeof key_finance) != 0 ||
        create_key(&main_server, "employee", "--employee", "100014", key_employee,
                   sizeof key_employee) != 0 ||
        create_key(&main_server, "manager", "--department", "Finance", key_manager,
                   sizeof key_manager) != 0)
        return -1;
    http_key = key_insurer; /* the insurer may call every pricing route and reload */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (main_server.pid > 0)
        stop_server(&main_server);
    else if (main_server.dir[0] != '\0') /* the last test stops the server itself */
        test_remove_tree(main_server.dir);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static json_t *body_json(const struct http_response *r)
{
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    if (j == NULL)
        print_error("body is not JSON: %s\n%.300s\n", jerr.text, r->body ? r->body : "(none)");
    assert_non_null(j);
    return j;
}

/* Asserts status and the error record; path NULL skips the pointer check. */
static json_t *expect_error(const struct http_response *r, int status, const char *code,
                            const char *path)
{
    if (r->status != status)
        print_error("status %d, expected %d; body: %.300s\n", r->status, status,
                    r->body ? r->body : "(none)");
    assert_int_equal(r->status, status);
    char type[128];
    assert_non_null(http_header(r, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/json");
    json_t *j = body_json(r);
    json_t *e = json_object_get(j, "error");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
    if (path != NULL)
        assert_string_equal(json_string_value(json_object_get(e, "path")), path);
    return j;
}

static void post_json(const char *path, const char *body, struct http_response *r)
{
    http_call(main_server.port, "POST", path, "application/json", body, r, timeout_ms);
}

/* POSTs body to /v1/aggregate and expects an error at pointer. */
static void expect_aggregate_error(const char *body, int status, const char *code,
                                   const char *pointer)
{
    struct http_response r;
    post_json("/v1/aggregate", body, &r);
    json_decref(expect_error(&r, status, code, pointer));
    http_response_free(&r);
}

static void expect_healthy(void)
{
    struct http_response r;
    http_call(main_server.port, "GET", "/healthz", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
}

static long long health_generation(void)
{
    struct http_response r;
    http_call(main_server.port, "GET", "/healthz", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    long long g = json_integer_value(json_object_get(j, "generation"));
    json_decref(j);
    http_response_free(&r);
    return g;
}

/* ---- routes -------------------------------------------------------------------- */

static void health_and_headers(void **state)
{
    (void)state;
    struct http_response r;
    http_call(main_server.port, "GET", "/healthz", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_true(json_integer_value(json_object_get(j, "generation")) >= 1);
    assert_non_null(strstr(json_string_value(json_object_get(j, "models")), "ru-2026@"));
    char value[256];
    assert_non_null(http_header(&r, "X-Request-Id", value, sizeof value));
    assert_true(atol(value) >= 1);
    assert_non_null(http_header(&r, "X-Dms-Models", value, sizeof value));
    assert_non_null(strstr(value, "ru-2026@"));
    assert_non_null(http_header(&r, "X-Dms-Tariffs", value, sizeof value));
    assert_non_null(strstr(value, "corporate-2026@"));
    json_decref(j);
    http_response_free(&r);
    /* HEAD answers like GET without a body. */
    http_call(main_server.port, "HEAD", "/healthz", NULL, NULL, &r, 2000);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    http_response_free(&r);
}

static void models_and_tariffs(void **state)
{
    (void)state;
    struct http_response r;
    http_call(main_server.port, "GET", "/v1/models", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *first = json_array_get(json_object_get(j, "models"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "ru-2026");
    assert_true(json_integer_value(json_object_get(first, "modules")) > 0);
    json_decref(j);
    http_response_free(&r);

    http_call(main_server.port, "GET", "/v1/models/ru-2026", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    json_t *modules = json_object_get(j, "modules");
    assert_true(json_array_size(modules) > 0);
    size_t i;
    json_t *m;
    json_array_foreach(modules, i, m)
    {
        const char *ru = json_string_value(json_object_get(m, "name_ru"));
        const char *en = json_string_value(json_object_get(m, "name_en"));
        assert_non_null(ru);
        assert_non_null(en);
        assert_true((unsigned char)ru[0] >= 0xD0); /* Cyrillic in UTF-8 */
        assert_true(en[0] >= 'A' && en[0] <= 'Z');
    }
    json_decref(j);
    http_response_free(&r);

    http_call(main_server.port, "GET", "/v1/tariffs", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    first = json_array_get(json_object_get(j, "tariffs"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "corporate-2026");
    json_decref(j);
    http_response_free(&r);

    http_call(main_server.port, "GET", "/v1/tariffs/corporate-2026", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    assert_true(json_array_size(json_object_get(j, "modules")) > 0);
    assert_true(json_array_size(json_object_get(j, "networks")) > 0);
    assert_true(json_array_size(json_object_get(j, "regions")) > 0);
    assert_non_null(json_object_get(json_object_get(j, "loadings"), "expense"));
    json_decref(j);
    http_response_free(&r);

    http_call(main_server.port, "GET", "/v1/models/no-such", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 404, "not_found", ""));
    http_response_free(&r);
    http_call(main_server.port, "GET", "/v1/tariffs/no-such", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 404, "not_found", ""));
    http_response_free(&r);
}

/* The API returns the very object `dmsrate aggregate` prints. */
static void aggregate_matches_cli(void **state)
{
    (void)state;
    struct http_response r;
    post_json("/v1/aggregate", outpatient, &r);
    assert_int_equal(r.status, 200);
    json_t *api = body_json(&r);
    http_response_free(&r);
    char *argv[] = {"dmsrate", "aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,1", NULL};
    struct command_result c = run_dmsrate(argv);
    assert_int_equal(c.status, 0);
    json_error_t jerr;
    json_t *cli = json_loads(c.out, 0, &jerr);
    assert_non_null(cli);
    assert_true(json_equal(api, cli));
    assert_true(json_real_value(json_object_get(api, "mean")) > 14000);
    json_decref(api);
    json_decref(cli);
    free(c.out);
    free(c.err);
}

static void aggregate_is_deterministic(void **state)
{
    (void)state;
    const char *body = "{\"frequency\": {\"family\": \"negbin\", \"mean\": 2, \"size\": 1.5},"
                       " \"severity\": {\"family\": \"gamma\", \"shape\": 2, \"scale\": 3000},"
                       " \"method\": \"mc\", \"sims\": 5000, \"seed\": 42, \"copay\": 0.1}";
    struct http_response a, b;
    post_json("/v1/aggregate", body, &a);
    post_json("/v1/aggregate", body, &b);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_int_equal(a.body_len, b.body_len);
    assert_memory_equal(a.body, b.body, a.body_len);
    json_t *j = body_json(&a);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "mc");
    assert_int_equal(json_integer_value(json_object_get(j, "sims")), 5000);
    json_decref(j);
    http_response_free(&a);
    http_response_free(&b);
}

/* ---- 400 ------------------------------------------------------------------------ */

static void malformed_json_has_line_and_column(void **state)
{
    (void)state;
    struct http_response r;
    post_json("/v1/aggregate",
              "{\"frequency\": {\"family\": \"poisson\", \"mean\": 3},\n \"severity\": }", &r);
    json_t *j = expect_error(&r, 400, "parse_error", "");
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 2);
    assert_int_equal(json_integer_value(json_object_get(e, "column")), 14);
    json_decref(j);
    http_response_free(&r);
    expect_aggregate_error("", 400, "parse_error", "");
    expect_aggregate_error("{\"a\": 1} trailing", 400, "parse_error", "");
    expect_aggregate_error("{\"a\": 1, \"a\": 2}", 400, "parse_error", "");
}

static void truncated_body(void **state)
{
    (void)state;
    /* A document cut short: 400 at the end of the text. */
    struct http_response r;
    post_json("/v1/aggregate", "{\"frequency\": {\"family\": \"poi", &r);
    json_t *j = expect_error(&r, 400, "parse_error", "");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "line")), 1);
    json_decref(j);
    http_response_free(&r);
    /* A body shorter than its Content-Length, then the client stops sending:
     * the server must neither answer with garbage nor hang nor crash. */
    int fd = http_connect(main_server.port);
    assert_true(fd >= 0);
    char raw[512];
    snprintf(raw, sizeof raw,
             "POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Authorization: Bearer %s\r\nContent-Length: 200\r\n\r\n{\"frequency\": {",
             http_key != NULL ? http_key : "");
    assert_true(http_send_all(fd, raw, strlen(raw)));
    shutdown(fd, SHUT_WR);
    /* libmicrohttpd keeps a half-closed request until the idle timeout: do
     * not wait that long, just check no answer is a wrong one. */
    http_read_response(fd, &r, 1000);
    assert_true(r.status == 0 || r.status == 400);
    http_response_free(&r);
    close(fd);
    expect_healthy();
}

static void invalid_utf8(void **state)
{
    (void)state;
    struct http_response r;
    post_json("/v1/aggregate", "{\"frequency\": {\"family\": \"poi\xff\xfe\"}}", &r);
    json_t *j = expect_error(&r, 400, "parse_error", "");
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "column")), 30);
    json_decref(j);
    http_response_free(&r);
    /* Invalid UTF-8 in a key and an overlong encoding. */
    expect_aggregate_error("{\"\xc0\xaf\": 1}", 400, "parse_error", "");
}

static void deeply_nested_json(void **state)
{
    (void)state;
    size_t depth = 200000;
    char *body = malloc(2 * depth + 1);
    memset(body, '[', depth);
    memset(body + depth, ']', depth);
    body[2 * depth] = '\0';
    expect_aggregate_error(body, 400, "parse_error", "");
    /* Just over the limit inside an object. */
    char *p = body;
    p += sprintf(p, "{\"frequency\": ");
    for (int i = 0; i < 70; i++)
        *p++ = '[';
    *p = '\0';
    expect_aggregate_error(body, 400, "parse_error", "");
    free(body);
    expect_healthy();
}

/* ---- 413 ------------------------------------------------------------------------- */

static void ten_megabyte_body(void **state)
{
    (void)state;
    size_t len = 10u * 1024u * 1024u;
    char *body = malloc(len);
    memset(body, ' ', len);
    body[0] = '[';
    body[len - 1] = ']';
    struct http_response r;
    /* With Expect: 100-continue the refusal comes before the body. */
    http_call_ex(main_server.port, "POST", "/v1/aggregate", "application/json", body, len, true, &r,
                 timeout_ms);
    json_decref(expect_error(&r, 413, "payload_too_large", ""));
    http_response_free(&r);
    /* Without it the client pushes the body; the server answers 413 early
     * and closes, which may reset the connection under the client's feet. */
    http_call_ex(main_server.port, "POST", "/v1/aggregate", "application/json", body, len, false,
                 &r, timeout_ms);
    if (r.status != 0)
        json_decref(expect_error(&r, 413, "payload_too_large", ""));
    http_response_free(&r);
    /* Chunked, without a Content-Length: refused at the door (411), so that
     * no chunk parser but ours answers. */
    int fd = http_connect(main_server.port);
    assert_true(fd >= 0);
    const char *head = "POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    http_send_all(fd, head, strlen(head));
    size_t chunk = 1024 * 1024;
    char size_line[32];
    for (int i = 0; i < 5; i++) {
        snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
        http_send_all(fd, size_line, strlen(size_line));
        http_send_all(fd, body + 1, chunk);
        http_send_all(fd, "\r\n", 2);
    }
    http_send_all(fd, "0\r\n\r\n", 5);
    http_read_response(fd, &r, timeout_ms);
    close(fd);
    json_decref(expect_error(&r, 411, "length_required", ""));
    http_response_free(&r);
    free(body);
    expect_healthy();
}

/* ---- 422 ------------------------------------------------------------------------- */

static void wrong_types(void **state)
{
    (void)state;
    expect_aggregate_error("[1, 2]", 422, "invalid_parameter", "");
    expect_aggregate_error("{\"frequency\": [], \"severity\": {}}", 422, "invalid_parameter",
                           "/frequency");
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": \"3\"}}", 422,
                           "invalid_parameter", "/frequency/mean");
    expect_aggregate_error("{\"frequency\": {\"family\": 1, \"mean\": 3}}", 422,
                           "invalid_parameter", "/frequency/family");
    char body[512];
    snprintf(body, sizeof body, "%.*s, \"franchise\": 1}", (int)strlen(outpatient) - 1, outpatient);
    expect_aggregate_error(body, 422, "invalid_parameter", "/franchise");
    snprintf(body, sizeof body, "%.*s, \"sims\": 1.5}", (int)strlen(outpatient) - 1, outpatient);
    expect_aggregate_error(body, 422, "invalid_parameter", "/sims");
    snprintf(body, sizeof body, "%.*s, \"method\": \"magic\"}", (int)strlen(outpatient) - 1,
             outpatient);
    expect_aggregate_error(body, 422, "invalid_parameter", "/method");
    snprintf(body, sizeof body, "%.*s, \"deductible\": null}", (int)strlen(outpatient) - 1,
             outpatient);
    expect_aggregate_error(body, 422, "invalid_parameter", "/deductible");
    snprintf(body, sizeof body, "%.*s, \"colour\": \"red\"}", (int)strlen(outpatient) - 1,
             outpatient);
    expect_aggregate_error(body, 422, "invalid_parameter", "/colour");
    expect_aggregate_error("{\"severity\": {\"family\": \"gamma\", \"shape\": 2, \"scale\": 3}}",
                           422, "invalid_parameter", "/frequency");
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": 3, \"size\": 2},"
                           " \"severity\": {\"family\": \"gamma\", \"shape\": 2, \"scale\": 3}}",
                           422, "invalid_parameter", "/frequency/size");
    expect_aggregate_error("{\"frequency\": {\"family\": \"negbin\", \"mean\": 3},"
                           " \"severity\": {\"family\": \"gamma\", \"shape\": 2, \"scale\": 3}}",
                           422, "invalid_parameter", "/frequency/size");
}

static void numbers_out_of_range(void **state)
{
    (void)state;
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": -1}}", 422,
                           "invalid_parameter", "/frequency/mean");
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": 1e9}}", 422,
                           "invalid_parameter", "/frequency/mean");
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": 3}, \"severity\":"
                           " {\"family\": \"lognormal\", \"meanlog\": 8, \"sdlog\": 0}}",
                           422, "invalid_parameter", "/severity/sdlog");
    const char *tails[][2] = {
        {"\"copay\": 1", "/copay"},
        {"\"copay\": -0.1", "/copay"},
        {"\"deductible\": -5", "/deductible"},
        {"\"deductible\": 1000, \"claim_limit\": 500", "/claim_limit"},
        {"\"annual_limit\": 0", "/annual_limit"},
        {"\"sims\": 0, \"method\": \"mc\"", "/sims"},
        {"\"sims\": 5000000, \"method\": \"mc\"", "/sims"},
        {"\"seed\": -1", "/seed"},
        {"\"span\": 0", "/span"},
        {"\"span\": 0.01", "/span"},
        {"\"span\": 1, \"method\": \"panjer\"", "/span"},
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "%.*s, %s}", (int)strlen(outpatient) - 1, outpatient,
                 tails[i][0]);
        expect_aggregate_error(body, 422, "invalid_parameter", tails[i][1]);
    }
    /* Beyond double: a parse error, with its place. */
    expect_aggregate_error("{\"frequency\": {\"family\": \"poisson\", \"mean\": 1e400}}", 400,
                           "parse_error", "");
}

/* ---- 404, 405, 415 ------------------------------------------------------------------- */

static void not_found_method_media_type(void **state)
{
    (void)state;
    struct http_response r;
    http_call(main_server.port, "GET", "/nope", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 404, "not_found", ""));
    http_response_free(&r);
    http_call(main_server.port, "GET", "/v1/models/", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 404, "not_found", ""));
    http_response_free(&r);

    char allow[64];
    http_call(main_server.port, "GET", "/v1/aggregate", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 405, "method_not_allowed", ""));
    assert_non_null(http_header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "POST");
    http_response_free(&r);
    http_call(main_server.port, "DELETE", "/v1/models/ru-2026", NULL, NULL, &r, timeout_ms);
    json_decref(expect_error(&r, 405, "method_not_allowed", ""));
    assert_non_null(http_header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD");
    http_response_free(&r);

    http_call(main_server.port, "POST", "/v1/aggregate", "text/plain", outpatient, &r, timeout_ms);
    json_decref(expect_error(&r, 415, "unsupported_media_type", ""));
    http_response_free(&r);
    http_call(main_server.port, "POST", "/v1/aggregate", NULL, outpatient, &r, timeout_ms);
    json_decref(expect_error(&r, 415, "unsupported_media_type", ""));
    http_response_free(&r);
    /* Parameters and case in the media type are fine. */
    http_call(main_server.port, "POST", "/v1/aggregate", "Application/JSON; charset=utf-8",
              outpatient, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
}

/* ---- reload ------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void reload_is_atomic(void **state)
{
    (void)state;
    long long g0 = health_generation();
    struct http_response r;
    http_call(main_server.port, "POST", "/v1/admin/reload", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "generation")), g0 + 1);
    json_decref(j);
    http_response_free(&r);
    assert_int_equal(health_generation(), g0 + 1);

    /* A broken tariff: the reload is refused with the file's name and the
     * running set stays, by endpoint and by SIGHUP. */
    char path[256], saved[256], cmd[600];
    snprintf(path, sizeof path, "%s/tariffs/corporate-2026.json", main_server.dir);
    snprintf(saved, sizeof saved, "%s/saved.json", main_server.dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, saved);
    assert_int_equal(system(cmd), 0);
    write_file(path, "{\"name\": ");
    http_call(main_server.port, "POST", "/v1/admin/reload", NULL, NULL, &r, timeout_ms);
    j = expect_error(&r, 409, "reload_failed", NULL);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
               "corporate-2026.json"));
    json_decref(j);
    http_response_free(&r);
    kill(main_server.pid, SIGHUP);
    usleep(300 * 1000);
    assert_int_equal(health_generation(), g0 + 1);
    http_call(main_server.port, "GET", "/v1/tariffs/corporate-2026", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    http_response_free(&r);

    /* Repaired: SIGHUP brings the next generation. */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", saved, path);
    assert_int_equal(system(cmd), 0);
    kill(main_server.pid, SIGHUP);
    long long g = g0 + 1;
    for (int i = 0; i < timeout_ms / 50 && g == g0 + 1; i++) {
        usleep(50 * 1000);
        g = health_generation();
    }
    assert_int_equal(g, g0 + 2);
}

static void *reload_loop(void *arg)
{
    int *count = arg;
    for (int i = 0; i < *count; i++) {
        struct http_response r;
        http_call(main_server.port, "POST", "/v1/admin/reload", NULL, NULL, &r, timeout_ms);
        http_response_free(&r);
    }
    return NULL;
}

/* While reloads run back to back, every answer comes from one snapshot: the
 * generation in the body is the one in the headers. */
static void reload_under_load_never_mixes(void **state)
{
    (void)state;
    long long g0 = health_generation();
    int reloads = 20;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, reload_loop, &reloads), 0);
    for (int i = 0; i < 60; i++) {
        struct http_response r;
        http_call(main_server.port, "GET", "/healthz", NULL, NULL, &r, timeout_ms);
        assert_int_equal(r.status, 200);
        char header[32];
        assert_non_null(http_header(&r, "X-Dms-Generation", header, sizeof header));
        json_t *j = body_json(&r);
        assert_int_equal(json_integer_value(json_object_get(j, "generation")), atoll(header));
        json_decref(j);
        http_response_free(&r);
    }
    pthread_join(thread, NULL);
    assert_int_equal(health_generation(), g0 + reloads);
}

/* ---- metrics and access log ------------------------------------------------------------ */

static void metrics_in_prometheus_format(void **state)
{
    (void)state;
    struct http_response r;
    http_call(main_server.port, "GET", "/nope", NULL, NULL, &r, timeout_ms);
    http_response_free(&r);
    expect_aggregate_error("[]", 422, "invalid_parameter", "");
    http_call(main_server.port, "GET", "/metrics", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 200);
    char type[128];
    assert_non_null(http_header(&r, "Content-Type", type, sizeof type));
    assert_non_null(strstr(type, "text/plain"));
    const char *expected[] = {
        "# TYPE dmsrate_http_requests_total counter\n",
        "dmsrate_http_requests_total{route=\"/v1/aggregate\",status=\"422\"} ",
        "dmsrate_http_requests_total{route=\"/healthz\",status=\"200\"} ",
        "dmsrate_http_requests_total{route=\"unmatched\",status=\"404\"} ",
        "# TYPE dmsrate_http_request_duration_seconds histogram\n",
        "dmsrate_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} ",
        "dmsrate_http_request_duration_seconds_count{route=\"/v1/aggregate\"} ",
        "# TYPE dmsrate_http_requests_in_flight gauge\ndmsrate_http_requests_in_flight ",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(r.body, expected[i]) == NULL)
            print_error("missing in /metrics: %s\n", expected[i]);
        assert_non_null(strstr(r.body, expected[i]));
    }
    /* This very request is in flight, plus at most the half-closed one of
     * truncated_body (kept until the idle timeout); connections of earlier
     * tests may take a moment to be completed on the server's side. */
    long in_flight = atol(strstr(r.body, "\ndmsrate_http_requests_in_flight ") + 33);
    for (int i = 0; i < 100 && in_flight > 2; i++) {
        http_response_free(&r);
        usleep(20 * 1000);
        http_call(main_server.port, "GET", "/metrics", NULL, NULL, &r, timeout_ms);
        in_flight = atol(strstr(r.body, "\ndmsrate_http_requests_in_flight ") + 33);
    }
    assert_true(in_flight >= 1 && in_flight <= 2);
    http_response_free(&r);
}

static void access_log_is_json_lines(void **state)
{
    (void)state;
    struct http_response r;
    http_call(main_server.port, "PUT", "/v1/aggregate", NULL, NULL, &r, timeout_ms);
    assert_int_equal(r.status, 405);
    char id[32];
    assert_non_null(http_header(&r, "X-Request-Id", id, sizeof id));
    http_response_free(&r);
    usleep(100 * 1000); /* the line is written when the connection completes */
    FILE *f = fopen(main_server.log_path, "r");
    assert_non_null(f);
    char line[4096];
    int requests = 0;
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL) {
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (j == NULL)
            print_error("not a JSON line: %s", line);
        assert_non_null(j);
        if (json_object_get(j, "event") == NULL) {
            requests++;
            const char *keys[] = {"time", "id", "method", "path", "status", "bytes", "duration_ms"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                assert_non_null(json_object_get(j, keys[k]));
            if (json_integer_value(json_object_get(j, "id")) == atoll(id)) {
                found = true;
                assert_string_equal(json_string_value(json_object_get(j, "method")), "PUT");
                assert_string_equal(json_string_value(json_object_get(j, "path")), "/v1/aggregate");
                assert_int_equal(json_integer_value(json_object_get(j, "status")), 405);
            }
        }
        json_decref(j);
    }
    fclose(f);
    assert_true(requests > 10);
    assert_true(found);
}

/* ---- docs/openapi.yaml ------------------------------------------------------------------ */

/* The key of a role named in docs/openapi.yaml ("x-dms-role: ROLE"). */
static const char *key_of(const char *role)
{
    if (strcmp(role, "employee") == 0)
        return key_employee;
    if (strcmp(role, "manager") == 0)
        return key_manager;
    if (strcmp(role, "finance") == 0)
        return key_finance;
    if (strcmp(role, "broker") == 0)
        return key_broker;
    if (strcmp(role, "insurer") == 0)
        return key_insurer;
    return key_hr;
}

/*
 * Walks the YAML line by line: a path key "  /x:" starts a path, its
 * "x-dms-role: ROLE" names the key to call it with (hr when absent), an
 * "example: ID" under a path parameter names the {id} to use, and
 * "value: {...}" lines inside a requestBody are request examples, sent with
 * the method of their operation. Every GET path must answer 200 and every
 * request example must be accepted (2xx).
 */
static void openapi_examples_are_accepted(void **state)
{
    (void)state;
    FILE *f = fopen("docs/openapi.yaml", "r");
    assert_non_null(f);
    char line[8192], path[256] = "", id[128] = "", role[32] = "hr", method[8] = "";
    bool in_paths = false, in_body = false, has_get = false;
    int examples = 0, gets = 0, paths = 0;
    struct http_response r;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        bool new_path = got != NULL && in_paths && strncmp(line, "  /", 3) == 0;
        bool end = got == NULL || (in_paths && line[0] != ' ' && line[0] != '\n');
        /* A job exists only once a run starts it: tests/test_jobs.c covers that route. */
        bool job = strcmp(path, "/v1/jobs/{id}") == 0;
        if ((new_path || end) && path[0] != '\0' && has_get && !job) {
            char url[512];
            char *brace = strstr(path, "{id}");
            if (brace != NULL)
                snprintf(url, sizeof url, "%.*s%s%s", (int)(brace - path), path, id, brace + 4);
            else
                snprintf(url, sizeof url, "%s", path);
            http_key = key_of(role);
            http_call(main_server.port, "GET", url, NULL, NULL, &r, timeout_ms);
            http_key = key_insurer;
            if (r.status != 200)
                print_error("GET %s as %s: %d %s\n", url, role, r.status, r.body);
            assert_int_equal(r.status, 200);
            http_response_free(&r);
            gets++;
        }
        if (end && in_paths)
            break;
        if (got == NULL)
            break;
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "paths:") == 0) {
            in_paths = true;
            continue;
        }
        if (!in_paths)
            continue;
        if (new_path) {
            snprintf(path, sizeof path, "%.*s", (int)(strlen(line) - 3), line + 2);
            id[0] = '\0';
            snprintf(role, sizeof role, "hr");
            in_body = has_get = false;
            paths++;
            /* Every documented path is a route of the table, and vice versa (count). */
            bool allowed = false;
            int route = dms_api_route_find("GET", path, &allowed, NULL, 0, NULL, 0);
            assert_int_not_equal(route, DMS_API_ROUTE_NONE);
            assert_string_equal(dms_api_route_pattern((size_t)route), path);
            continue;
        }
        const char *p = line + strspn(line, " ");
        if (strcmp(p, "get:") == 0 || strcmp(p, "post:") == 0 || strcmp(p, "put:") == 0) {
            snprintf(method, sizeof method, "%.*s", (int)(strlen(p) - 1), p);
            for (char *m = method; *m; m++)
                *m = (char)(*m - 'a' + 'A');
            has_get = has_get || strcmp(method, "GET") == 0;
        } else if (strncmp(p, "x-dms-role: ", 12) == 0)
            snprintf(role, sizeof role, "%s", p + 12);
        else if (strcmp(p, "requestBody:") == 0)
            in_body = true;
        else if (strcmp(p, "responses:") == 0)
            in_body = false;
        else if (strncmp(p, "example: ", 9) == 0 && !in_body)
            snprintf(id, sizeof id, "%s", p + 9);
        else if (in_body && strncmp(p, "value: {", 8) == 0) {
            http_key = key_of(role);
            /* {id} takes the path parameter's example, as for GET paths. */
            char url[512];
            char *brace = strstr(path, "{id}");
            if (brace != NULL)
                snprintf(url, sizeof url, "%.*s%s%s", (int)(brace - path), path, id, brace + 4);
            else
                snprintf(url, sizeof url, "%s", path);
            http_call(main_server.port, method, url, "application/json", p + 7, &r, timeout_ms);
            http_key = key_insurer;
            if (r.status < 200 || r.status > 299)
                print_error("example for %s %s refused (%d): %s\n", method, path, r.status, r.body);
            assert_true(r.status >= 200 && r.status <= 299);
            http_response_free(&r);
            examples++;
        }
    }
    fclose(f);
    assert_true(examples >= 3);
    assert_true(gets >= 6);
    /* Each documented path once; the table may list a path once per method. */
    int patterns = 0;
    for (size_t i = 0; i < dms_api_route_count(); i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first = first && strcmp(dms_api_route_pattern(i), dms_api_route_pattern(j)) != 0;
        patterns += first;
    }
    assert_int_equal(paths, patterns);
}

/* The request files of examples/requests/ are accepted as they stand. */
static void example_request_files_are_accepted(void **state)
{
    (void)state;
    const char *files[] = {"examples/requests/aggregate-outpatient.json",
                           "examples/requests/aggregate-dental-terms.json",
                           "examples/requests/aggregate-hospital-mc.json",
                           "examples/requests/quote-inline-json.json",
                           "examples/requests/quote-startup-csv.json",
                           "examples/requests/quote-midsize-450.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "rb");
        assert_non_null(f);
        char *text = slurp_fd(f);
        fclose(f);
        struct http_response r;
        post_json(strstr(files[i], "quote-") ? "/v1/quotes" : "/v1/aggregate", text, &r);
        if (r.status != 200)
            print_error("%s: %d %s\n", files[i], r.status, r.body);
        assert_int_equal(r.status, 200);
        http_response_free(&r);
        free(text);
    }
}

/* /v1/quotes: the CLI's JSON report, and faults with their places. */
static void quote_route(void **state)
{
    (void)state;
    struct http_response r;
    const char *plan = "{\"name\":\"p\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
                       "\"segments\":[{\"code\":\"all\",\"name_ru\":\"все\",\"name_en\":\"all\","
                       "\"network\":\"standard\",\"modules\":[{\"module\":\"outpatient\"}]}]}";
    char body[4096];
    snprintf(body, sizeof body,
             "{\"plan\":%s,\"census_csv\":\"employee_id,relation,birth_date,sex,region\\n"
             "1,employee,1990-01-01,M,Москва\\n2,employee,1990-13-01,F,Казань\\n\"}",
             plan);
    post_json("/v1/quotes", body, &r);
    json_t *e = expect_error(&r, 422, "invalid_parameter", "/census_csv");
    json_t *err = json_object_get(e, "error");
    assert_int_equal(json_integer_value(json_object_get(err, "line")), 3);
    assert_int_equal(json_integer_value(json_object_get(err, "column")), 12);
    json_decref(e);
    http_response_free(&r);
    snprintf(body, sizeof body, "{\"tariff\":\"nope\",\"plan\":%s,\"census\":[]}", plan);
    post_json("/v1/quotes", body, &r);
    json_decref(expect_error(&r, 422, "invalid_parameter", "/tariff"));
    http_response_free(&r);
    snprintf(body, sizeof body,
             "{\"plan\":%s,\"census\":[{\"employee_id\":\"1\",\"relation\":\"employee\","
             "\"birth_date\":\"1990-01-01\",\"sex\":\"M\",\"region\":\"Москва\"}]}",
             plan);
    post_json("/v1/quotes", body, &r);
    assert_int_equal(r.status, 200);
    json_t *q = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(q, "total"), "people")), 1);
    assert_true(json_is_array(json_object_get(q, "warnings")));
    json_decref(q);
    http_response_free(&r);
}

/* The catalog in-process: lookups, reference counting and load errors. */
static void catalog_lookups(void **state)
{
    (void)state;
    dms_api_catalog *c = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_catalog_load("tariffs", "models", 7, &c, &err), DMS_OK);
    assert_int_equal(dms_api_catalog_generation(c), 7);
    const struct dms_tariff *t = dms_api_catalog_tariff(c, "");
    assert_non_null(t);
    assert_ptr_equal(dms_api_catalog_tariff(c, "corporate-2026"), t);
    assert_null(dms_api_catalog_tariff(c, "nope"));
    const struct dms_model *m = dms_api_catalog_model(c, "ru-2026");
    assert_non_null(m);
    assert_ptr_equal(dms_api_catalog_model_by_version(c, "ru-2026.1"), m);
    assert_null(dms_api_catalog_model_by_version(c, "ru-1999"));
    assert_ptr_equal(dms_api_catalog_ref(c), c);
    dms_api_catalog_unref(c);
    dms_api_catalog_unref(c);
    dms_api_catalog_unref(NULL);
    /* A missing folder fails the whole load. */
    dms_error_clear(&err);
    assert_int_equal(dms_api_catalog_load("no/such/dir", NULL, 1, &c, &err), DMS_EIO);
    assert_null(c);
    assert_non_null(strstr(err.message, "no/such/dir"));
    /* The status table: bad input is never a 5xx. */
    assert_int_equal(dms_api_http_status(DMS_EINVAL), 422);
    assert_int_equal(dms_api_http_status(DMS_EPARSE), 400);
    assert_int_equal(dms_api_http_status(DMS_ETOOBIG), 413);
    assert_int_equal(dms_api_http_status(DMS_ENOTFOUND), 404);
    assert_int_equal(dms_api_http_status(DMS_ENUMERIC), 422);
    assert_int_equal(dms_api_http_status(DMS_EINTERNAL), 500);
    assert_int_equal(dms_api_http_status(999), 500);
}

/* ---- timeouts and shutdown ------------------------------------------------------------- */

static void idle_client_is_dropped(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, "--timeout", "1"), 0);
    int fd = http_connect(s.port);
    assert_true(fd >= 0);
    const char *partial = "POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nContent-Le";
    assert_true(http_send_all(fd, partial, strlen(partial)));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* The server closes the connection: EOF (or reset) within a few seconds. */
    assert_true(http_wait_readable(fd, timeout_ms));
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* Closed, or closed after a JSON 408 from the accept gate. */
    if (n > 0) {
        buf[n] = '\0';
        assert_non_null(strstr(buf, "HTTP/1.1 408"));
    }
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    assert_true(waited >= 0.5);
    close(fd);
    assert_int_equal(stop_server(&s), 0);
}

/* Last: SIGTERM while a request is being computed; it still gets its answer.
 * The request is sized to finish well inside four fifths of the 10 s grace
 * (after which the server cancels computations) even in the sanitizer build
 * on a loaded machine. */
static void sigterm_finishes_in_flight_requests(void **state)
{
    (void)state;
    const char *slow = "{\"frequency\": {\"family\": \"poisson\", \"mean\": 30}, \"severity\":"
                       " {\"family\": \"lognormal\", \"meanlog\": 8, \"sdlog\": 1},"
                       " \"method\": \"mc\", \"sims\": 500000}";
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST /v1/aggregate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Authorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     key_hr, strlen(slow));
    int fd = http_connect(main_server.port);
    assert_true(fd >= 0);
    assert_true(http_send_all(fd, head, (size_t)n));
    assert_true(http_send_all(fd, slow, strlen(slow)));
    usleep(100 * 1000);
    pid_t pid = main_server.pid;
    kill(pid, SIGTERM);
    struct http_response r;
    http_read_response(fd, &r, timeout_ms * 3);
    close(fd);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "sims")), 500000);
    json_decref(j);
    http_response_free(&r);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    main_server.pid = 0;
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    /* The port is closed now. */
    assert_true(http_connect(main_server.port) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_and_headers),
        cmocka_unit_test(models_and_tariffs),
        cmocka_unit_test(aggregate_matches_cli),
        cmocka_unit_test(aggregate_is_deterministic),
        cmocka_unit_test(malformed_json_has_line_and_column),
        cmocka_unit_test(truncated_body),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(deeply_nested_json),
        cmocka_unit_test(ten_megabyte_body),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(numbers_out_of_range),
        cmocka_unit_test(not_found_method_media_type),
        cmocka_unit_test(reload_is_atomic),
        cmocka_unit_test(reload_under_load_never_mixes),
        cmocka_unit_test(metrics_in_prometheus_format),
        cmocka_unit_test(openapi_examples_are_accepted),
        cmocka_unit_test(quote_route),
        cmocka_unit_test(example_request_files_are_accepted),
        cmocka_unit_test(access_log_is_json_lines),
        cmocka_unit_test(catalog_lookups),
        cmocka_unit_test(idle_client_is_dropped),
        cmocka_unit_test(sigterm_finishes_in_flight_requests),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
