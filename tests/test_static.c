/*
 * Tests of the static file server (api_static.h): media types by extension,
 * which paths it answers, the mapping of URL paths to files under a
 * temporary web folder, every way of trying to leave the folder (dot
 * segments raw and percent-encoded, encoded slashes, backslashes, NUL,
 * hidden files, symlinks pointing out), 404 for what is not there, ETag
 * revalidation and HEAD; then the same through a real server on loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dms/api.h"
#include "dms/api_static.h"
#include "http_client.h"
#include "testutil.h"

static char base[PATH_MAX - 64]; /* a temporary folder holding web/ and secret.txt */
static char root[PATH_MAX];      /* base/web */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (test_temp_dir(base, sizeof base, "static") != 0)
        return -1;
    snprintf(root, sizeof root, "%s/web", base);
    char path[PATH_MAX + 64];
    if (mkdir(root, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/css", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/empty", root);
    mkdir(path, 0700);
    write_file(root, "index.html", "<!doctype html><title>index</title>");
    write_file(root, "employee.html", "<p>employee</p>");
    write_file(root, "css/app.css", "body{margin:0}");
    write_file(root, ".hidden", "hidden");
    write_file(base, "secret.txt", "secret");
    char target[PATH_MAX + 64];
    snprintf(target, sizeof target, "%s/secret.txt", base);
    snprintf(path, sizeof path, "%s/out.txt", root);
    if (symlink(target, path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/alias.css", root);
    if (symlink("css/app.css", path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/up", root);
    if (symlink("..", path) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return test_remove_tree(base) == 0 ? 0 : -1;
}

static void mime_types(void **state)
{
    (void)state;
    assert_string_equal(dms_api_static_mime("index.html"), "text/html; charset=utf-8");
    assert_string_equal(dms_api_static_mime("/a/b/app.css"), "text/css; charset=utf-8");
    assert_string_equal(dms_api_static_mime("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(dms_api_static_mime("i18n/ru.json"), "application/json");
    assert_string_equal(dms_api_static_mime("chart.SVG"), "image/svg+xml");
    assert_string_equal(dms_api_static_mime("shot.png"), "image/png");
    assert_string_equal(dms_api_static_mime("quote.csv"), "text/csv; charset=utf-8");
    assert_string_equal(dms_api_static_mime("LICENSE"), "application/octet-stream");
    assert_string_equal(dms_api_static_mime("dir.js/LICENSE"), "application/octet-stream");
    assert_string_equal(dms_api_static_mime("x.exe"), "application/octet-stream");
    assert_string_equal(dms_api_static_mime(NULL), "application/octet-stream");
}

static void which_paths(void **state)
{
    (void)state;
    assert_true(dms_api_static_wants("GET", "/"));
    assert_true(dms_api_static_wants("HEAD", "/css/app.css"));
    assert_true(dms_api_static_wants("GET", "/v1x"));
    assert_false(dms_api_static_wants("POST", "/"));
    assert_false(dms_api_static_wants("DELETE", "/index.html"));
    assert_false(dms_api_static_wants("GET", "/v1/quotes"));
    assert_false(dms_api_static_wants("GET", "/v1"));
    assert_false(dms_api_static_wants("GET", "/healthz"));
    assert_false(dms_api_static_wants("GET", "/metrics"));
    assert_false(dms_api_static_wants(NULL, "/"));
}

/* Resolves url and returns the status; *tail receives the path below root. */
static int resolve(const char *url, const char **tail)
{
    static char out[PATH_MAX];
    static char real_root[PATH_MAX];
    dms_error err;
    dms_error_clear(&err);
    int status = dms_api_static_resolve(root, url, out, sizeof out, &err);
    assert_int_equal(status, err.code);
    if (status == DMS_OK) {
        assert_non_null(realpath(root, real_root));
        size_t n = strlen(real_root);
        assert_memory_equal(out, real_root, n);
        *tail = out + n;
    } else {
        assert_string_equal(out, "");
        assert_true(err.message[0] != '\0');
        *tail = NULL;
    }
    return status;
}

static void maps_paths_to_files(void **state)
{
    (void)state;
    const char *tail = NULL;
    assert_int_equal(resolve("/", &tail), DMS_OK);
    assert_string_equal(tail, "/index.html");
    assert_int_equal(resolve("/employee.html", &tail), DMS_OK);
    assert_string_equal(tail, "/employee.html");
    assert_int_equal(resolve("/css/app.css", &tail), DMS_OK);
    assert_string_equal(tail, "/css/app.css");
    assert_int_equal(resolve("/%63ss/app%2Ecss", &tail), DMS_OK); /* escapes of ordinary bytes */
    assert_string_equal(tail, "/css/app.css");
    /* A symlink that stays inside is followed. */
    assert_int_equal(resolve("/alias.css", &tail), DMS_OK);
    assert_string_equal(tail, "/css/app.css");
}

static void traversal_is_refused(void **state)
{
    (void)state;
    const char *tail = NULL;
    const char *forbidden[] = {
        "/../secret.txt",
        "/css/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2e/secret.txt",
        "/.%2e/secret.txt",
        "/css/..%2fsecret.txt",
        "/css%2fapp.css",
        "/css%2Fapp.css",
        "/..%5csecret.txt",
        "/css\\app.css",
        "/index.html%00.css",
        "/./index.html",
        "/.hidden",
        "/%2ehidden",
        "/out.txt",
        "/up/secret.txt",
        "//etc/passwd",
        "/css//app.css",
        "/..",
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        int status = resolve(forbidden[i], &tail);
        if (status != DMS_EFORBIDDEN)
            fail_msg("%s: status %d, expected forbidden", forbidden[i], status);
    }
    /* Not a path at all. */
    assert_int_equal(resolve("index.html", &tail), DMS_EINVAL);
    assert_int_equal(resolve("/%zzindex.html", &tail), DMS_EINVAL);
    assert_int_equal(resolve("/index.html%2", &tail), DMS_EINVAL);
    assert_int_equal(resolve("", &tail), DMS_EINVAL);
}

static void missing_is_not_found(void **state)
{
    (void)state;
    const char *tail = NULL;
    assert_int_equal(resolve("/missing.html", &tail), DMS_ENOTFOUND);
    assert_int_equal(resolve("/etc/passwd", &tail), DMS_ENOTFOUND); /* absolute: under root */
    assert_int_equal(resolve("/css", &tail), DMS_ENOTFOUND);        /* a folder is no file */
    assert_int_equal(resolve("/empty/", &tail), DMS_ENOTFOUND);     /* no index.html there */
    assert_int_equal(resolve("/index.html/", &tail), DMS_ENOTFOUND);
    char out[PATH_MAX];
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_static_resolve("/nonexistent/web", "/", out, sizeof out, &err),
                     DMS_ENOTFOUND);
    dms_error_clear(&err);
    assert_int_equal(dms_api_static_resolve(NULL, "/", out, sizeof out, &err), DMS_ENOTFOUND);
    /* An output buffer too small for the path. */
    dms_error_clear(&err);
    assert_int_equal(dms_api_static_resolve(root, "/", out, 4, &err), DMS_ETOOBIG);
}

static void load_etag_and_head(void **state)
{
    (void)state;
    dms_api_static_file f;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_static_load(root, "/css/app.css", false, NULL, &f, &err), DMS_OK);
    assert_int_equal(f.status, 200);
    assert_int_equal(f.len, strlen("body{margin:0}"));
    assert_string_equal(f.body, "body{margin:0}");
    assert_string_equal(f.content_type, "text/css; charset=utf-8");
    assert_string_equal(f.cache_control, "no-cache");
    assert_memory_equal(f.etag, "W/\"e-", 5); /* 14 bytes */
    char etag[sizeof f.etag];
    memcpy(etag, f.etag, sizeof etag);
    dms_api_static_file_clear(&f);
    assert_null(f.body);

    /* The same ETag: 304 without a body; another one: the file again. */
    assert_int_equal(dms_api_static_load(root, "/css/app.css", false, etag, &f, &err), DMS_OK);
    assert_int_equal(f.status, 304);
    assert_null(f.body);
    dms_api_static_file_clear(&f);
    assert_int_equal(dms_api_static_load(root, "/css/app.css", false, "W/\"0-0-0\"", &f, &err),
                     DMS_OK);
    assert_int_equal(f.status, 200);
    assert_non_null(f.body);
    dms_api_static_file_clear(&f);

    /* HEAD: the length without the body. */
    assert_int_equal(dms_api_static_load(root, "/", true, NULL, &f, &err), DMS_OK);
    assert_int_equal(f.status, 200);
    assert_null(f.body);
    assert_int_equal(f.len, strlen("<!doctype html><title>index</title>"));
    assert_string_equal(f.content_type, "text/html; charset=utf-8");
    dms_api_static_file_clear(&f);

    /* Errors leave nothing to free. */
    assert_int_equal(dms_api_static_load(root, "/../secret.txt", false, NULL, &f, &err),
                     DMS_EFORBIDDEN);
    assert_null(f.body);
    dms_error_clear(&err);
    assert_int_equal(dms_api_static_load(root, "/nope.js", false, NULL, &f, &err), DMS_ENOTFOUND);
    assert_null(f.body);
    dms_api_static_file_clear(NULL);
}

/* ---- through a real server ---------------------------------------------- */

static void over_http(void **state)
{
    (void)state;
    dms_api_config config = dms_api_config_default();
    config.port = 0;
    config.threads = 1;
    config.web_dir = root;
    dms_api_server *server = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_server_start(&config, &server, &err), DMS_OK);
    unsigned port = dms_api_server_port(server);
    struct http_response r;
    char buf[256];

    http_call(port, "GET", "/", NULL, NULL, &r, 5000);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<!doctype html><title>index</title>");
    assert_non_null(http_header(&r, "Content-Type", buf, sizeof buf));
    assert_string_equal(buf, "text/html; charset=utf-8");
    assert_non_null(http_header(&r, "Cache-Control", buf, sizeof buf));
    assert_string_equal(buf, "no-cache");
    assert_non_null(http_header(&r, "X-Content-Type-Options", buf, sizeof buf));
    assert_string_equal(buf, "nosniff");
    assert_non_null(http_header(&r, "ETag", buf, sizeof buf));
    char etag[256];
    snprintf(etag, sizeof etag, "%s", buf);
    http_response_free(&r);

    /* Revalidation with the ETag. */
    char raw[512];
    int n = snprintf(raw, sizeof raw,
                     "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "If-None-Match: %s\r\n\r\n",
                     etag);
    http_raw(port, raw, (size_t)n, &r, 5000);
    assert_int_equal(r.status, 304);
    http_response_free(&r);

    http_call(port, "GET", "/css/app.css", NULL, NULL, &r, 5000);
    assert_int_equal(r.status, 200);
    assert_non_null(http_header(&r, "Content-Type", buf, sizeof buf));
    assert_string_equal(buf, "text/css; charset=utf-8");
    http_response_free(&r);

    /* Sent as is: the client must not normalise the dots away. */
    const char *refused[] = {"/../secret.txt", "/%2e%2e/secret.txt", "/out.txt",
                             "/css/..%2f..%2fsecret.txt"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        http_call(port, "GET", refused[i], NULL, NULL, &r, 5000);
        if (r.status != 403 || strstr(r.body, "secret") == r.body)
            fail_msg("%s: status %d", refused[i], r.status);
        assert_non_null(strstr(r.body, "\"code\":\"forbidden\""));
        http_response_free(&r);
    }

    http_call(port, "GET", "/missing.html", NULL, NULL, &r, 5000);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"code\":\"not_found\""));
    http_response_free(&r);

    /* The API keeps its own 404 and 405; static files are GET and HEAD only. */
    http_call(port, "GET", "/v1/nothing", NULL, NULL, &r, 5000);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    http_call(port, "POST", "/index.html", "application/json", "{}", &r, 5000);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    http_call(port, "GET", "/healthz", NULL, NULL, &r, 5000);
    assert_int_equal(r.status, 200);
    http_response_free(&r);

    dms_api_server_stop(server, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mime_types),
        cmocka_unit_test(which_paths),
        cmocka_unit_test(maps_paths_to_files),
        cmocka_unit_test(traversal_is_refused),
        cmocka_unit_test(missing_is_not_found),
        cmocka_unit_test(load_etag_and_head),
        cmocka_unit_test(over_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
