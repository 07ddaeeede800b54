/*
 * The strict JSON parser and the pointer-tracking reader: every refusal of
 * the parser with its line:column, every getter's type and range checks with
 * the exact JSON Pointer, RFC 6901 escaping, unknown keys, and the sticky
 * first error.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"

static json_t *parse_ok(const char *text)
{
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    int status = dms_json_parse_text(text, strlen(text), &root, &err);
    if (status != DMS_OK)
        print_error("unexpected parse error %d:%d %s\n", err.line, err.column, err.message);
    assert_int_equal(status, DMS_OK);
    assert_non_null(root);
    return root;
}

static void parse_fails(const char *text, size_t len, int code, int line, int column,
                        const char *fragment)
{
    json_t *root = (json_t *)1;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_parse_text(text, len, &root, &err), code);
    assert_null(root);
    assert_int_equal(err.code, code);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    if (strstr(err.message, fragment) == NULL) {
        print_error("message '%s' lacks '%s'\n", err.message, fragment);
        fail();
    }
}

static void test_parse_accepts(void **state)
{
    (void)state;
    json_t *root = parse_ok("\xEF\xBB\xBF{\"a\": [1, 2.5, \"Москва\"]}");
    assert_int_equal(json_array_size(json_object_get(root, "a")), 3);
    json_decref(root);
    root = parse_ok("42");
    assert_true(json_is_integer(root));
    json_decref(root);
}

static void test_parse_syntax_error_position(void **state)
{
    (void)state;
    parse_fails("{\n  \"a\": 1,\n  \"b\" 2\n}", 20, DMS_EPARSE, 3, 7, "':' expected");
    parse_fails("", 0, DMS_EPARSE, 1, 1, "");
    parse_fails("{} x", 4, DMS_EPARSE, 1, 4, "end of file expected");
    parse_fails("{\"a\":1,\"a\":2}", 13, DMS_EPARSE, 1, 10, "duplicate object key");
}

static void test_parse_nul_and_utf8(void **state)
{
    (void)state;
    parse_fails("{\"a\":\n \"x\0y\"}", 13, DMS_EPARSE, 2, 4, "NUL byte");
    /* column counts characters: "Мо" are two characters of two bytes each */
    parse_fails("\"Мо\xC0\xAF\"", 8, DMS_EPARSE, 1, 4, "invalid UTF-8");
    parse_fails("\"\xED\xA0\x80\"", 5, DMS_EPARSE, 1, 2, "invalid UTF-8"); /* surrogate */
    parse_fails("\"\xE2\x82\"", 4, DMS_EPARSE, 1, 2, "invalid UTF-8");     /* truncated */
    parse_fails("\"\\u0000\"", 8, DMS_EPARSE, 1, 8, "\\u0000");
}

static void test_parse_depth_limit(void **state)
{
    (void)state;
    char text[2 * (DMS_JSON_MAX_NESTING + 1) + 1];
    memset(text, '[', DMS_JSON_MAX_NESTING);
    memset(text + DMS_JSON_MAX_NESTING, ']', DMS_JSON_MAX_NESTING);
    text[2 * DMS_JSON_MAX_NESTING] = '\0';
    json_decref(parse_ok(text)); /* exactly at the limit */

    memset(text, '[', DMS_JSON_MAX_NESTING + 1);
    memset(text + DMS_JSON_MAX_NESTING + 1, ']', DMS_JSON_MAX_NESTING + 1);
    text[2 * DMS_JSON_MAX_NESTING + 2] = '\0';
    parse_fails(text, strlen(text), DMS_EPARSE, 1, DMS_JSON_MAX_NESTING + 1, "deeper than 64");

    /* brackets inside strings do not count, escaped quotes do not end them */
    char quoted[400];
    snprintf(quoted, sizeof quoted, "\"\\\"%.*s\"", 100,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    json_decref(parse_ok(quoted));
}

static void test_load_file_errors(void **state)
{
    (void)state;
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_load_file("tests/data/no-such-file.json", &root, &err), DMS_EIO);
    assert_string_equal(err.source, "tests/data/no-such-file.json");

    char path[] = "/tmp/dms_jsonread_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\n\"a\": [1,\n 2,,]\n}\n", f);
    fclose(f);
    dms_error_clear(&err);
    assert_int_equal(dms_json_load_file(path, &root, &err), DMS_EPARSE);
    assert_string_equal(err.source, path);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 4);
    remove(path);
}

static void test_pointer_escape(void **state)
{
    (void)state;
    char buf[32] = "/a";
    assert_true(dms_json_pointer_append(buf, sizeof buf, "m~n/o"));
    assert_string_equal(buf, "/a/m~0n~1o");
    char small[6] = "/ab";
    assert_false(dms_json_pointer_append(small, sizeof small, "cdef"));
    assert_true(strlen(small) < sizeof small);
}

static const char *const families[] = {"poisson", "negbin", NULL};

static void test_reader_reads_document(void **state)
{
    (void)state;
    json_t *root = parse_ok("{\"name\":\"ДМС\",\"n\":3,\"x\":0.5,\"flag\":true,"
                            "\"family\":\"negbin\",\"list\":[{\"v\":1},{\"v\":2}],"
                            "\"amounts\":[0,1000]}");
    dms_jsonread r;
    dms_error err;
    dms_error_clear(&err);
    dms_jsonread_init(&r, root, NULL, &err);
    const char *name = NULL;
    long long n = 0;
    double x = 0, opt = 7;
    bool flag = false;
    int family = -1;
    char buf[16];
    assert_int_equal(dms_jsonread_string(&r, "name", 100, &name), DMS_OK);
    assert_string_equal(name, "ДМС");
    assert_int_equal(dms_jsonread_string_buf(&r, "name", buf, sizeof buf), DMS_OK);
    assert_string_equal(buf, "ДМС");
    assert_int_equal(dms_jsonread_integer(&r, "n", 0, 10, &n), DMS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(dms_jsonread_number(&r, "x", 0, 1, &x), DMS_OK);
    assert_true(x == 0.5);
    assert_int_equal(dms_jsonread_number_opt(&r, "absent", 0, 10, &opt), DMS_OK);
    assert_true(opt == 7);
    assert_int_equal(dms_jsonread_bool(&r, "flag", &flag), DMS_OK);
    assert_true(flag);
    assert_int_equal(dms_jsonread_enum(&r, "family", families, &family), DMS_OK);
    assert_int_equal(family, 1);
    size_t len = 0;
    assert_int_equal(dms_jsonread_enter(&r, "list", DMS_JSON_ARRAY), DMS_OK);
    assert_string_equal(dms_jsonread_path(&r), "/list");
    assert_int_equal(dms_jsonread_length(&r, 1, 5, &len), DMS_OK);
    assert_int_equal(len, 2);
    double sum = 0;
    for (size_t i = 0; i < len; i++) {
        double v = 0;
        assert_int_equal(dms_jsonread_enter_index(&r, i, DMS_JSON_OBJECT), DMS_OK);
        assert_string_equal(dms_jsonread_path(&r), i == 0 ? "/list/0" : "/list/1");
        assert_int_equal(dms_jsonread_number(&r, "v", 0, 10, &v), DMS_OK);
        sum += v;
        assert_int_equal(dms_jsonread_leave(&r), DMS_OK);
    }
    assert_true(sum == 3);
    assert_int_equal(dms_jsonread_leave(&r), DMS_OK);
    assert_string_equal(dms_jsonread_path(&r), "");
    assert_int_equal(dms_jsonread_enter(&r, "amounts", DMS_JSON_ARRAY), DMS_OK);
    double amount = 0;
    assert_int_equal(dms_jsonread_number_at(&r, 1, 0, 1e6, &amount), DMS_OK);
    assert_true(amount == 1000);
    assert_int_equal(dms_jsonread_leave(&r), DMS_OK);
    assert_int_equal(dms_jsonread_finish(&r), DMS_OK);
    assert_int_equal(err.code, DMS_OK);
    json_decref(root);
}

/* Runs one reader step on text and checks the error's code and pointer. */
typedef int (*reader_step)(dms_jsonread *r);

static void expect_reader_error(const char *text, reader_step step, int code, const char *path,
                                const char *fragment)
{
    json_t *root = parse_ok(text);
    dms_jsonread r;
    dms_error err;
    dms_error_clear(&err);
    dms_jsonread_init(&r, root, NULL, &err);
    step(&r);
    int status = dms_jsonread_finish(&r);
    assert_int_equal(status, code);
    assert_int_equal(err.code, code);
    if (strcmp(err.path, path) != 0 || strstr(err.message, fragment) == NULL) {
        print_error("got '%s: %s', expected '%s: ...%s...'\n", err.path, err.message, path,
                    fragment);
        fail();
    }
    json_decref(root);
}

static int step_number(dms_jsonread *r)
{
    double x;
    dms_jsonread_enter(r, "a", DMS_JSON_OBJECT);
    dms_jsonread_number(r, "b", 0, 1, &x);
    return dms_jsonread_leave(r);
}

static int step_integer(dms_jsonread *r)
{
    long long x;
    return dms_jsonread_integer(r, "n", 1, 100, &x);
}

static int step_string(dms_jsonread *r)
{
    const char *s;
    return dms_jsonread_string(r, "s", 4, &s);
}

static int step_enum(dms_jsonread *r)
{
    int k;
    return dms_jsonread_enum(r, "family", families, &k);
}

static int step_array_elements(dms_jsonread *r)
{
    size_t n = 0;
    if (dms_jsonread_enter(r, "list", DMS_JSON_ARRAY) != DMS_OK)
        return dms_jsonread_status(r);
    dms_jsonread_length(r, 0, 10, &n);
    for (size_t i = 0; i < n; i++) {
        double v;
        if (dms_jsonread_enter_index(r, i, DMS_JSON_OBJECT) != DMS_OK)
            break;
        dms_jsonread_number(r, "v", 0, 10, &v);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_leave(r);
}

static int step_length(dms_jsonread *r)
{
    if (dms_jsonread_enter(r, "list", DMS_JSON_ARRAY) == DMS_OK) {
        dms_jsonread_length(r, 1, 2, NULL);
        dms_jsonread_leave(r);
    }
    return dms_jsonread_status(r);
}

static int step_escaped_unknown(dms_jsonread *r)
{
    dms_jsonread_enter(r, "a/b", DMS_JSON_OBJECT);
    return dms_jsonread_leave(r);
}

static int step_sticky(dms_jsonread *r)
{
    double x = 0;
    dms_jsonread_number(r, "first", 0, 1, &x);
    dms_jsonread_number(r, "second", 0, 1, &x);
    dms_jsonread_fail(r, DMS_EINVAL, "third", "later");
    return dms_jsonread_status(r);
}

static int step_fail(dms_jsonread *r)
{
    if (dms_jsonread_enter(r, "m", DMS_JSON_ARRAY) == DMS_OK &&
        dms_jsonread_enter_index(r, 1, DMS_JSON_OBJECT) == DMS_OK) {
        dms_jsonread_has(r, "code");
        dms_jsonread_fail(r, DMS_EINVAL, "code", "duplicate module code 'x'");
    }
    return dms_jsonread_status(r);
}

static void test_reader_errors(void **state)
{
    (void)state;
    expect_reader_error("{\"a\":{}}", step_number, DMS_EINVAL, "/a/b", "missing required key 'b'");
    expect_reader_error("{\"a\":{\"b\":\"1\"}}", step_number, DMS_EINVAL, "/a/b",
                        "expected a number, got a string");
    expect_reader_error("{\"a\":{\"b\":1.5}}", step_number, DMS_EINVAL, "/a/b",
                        "in [0, 1], got 1.5");
    expect_reader_error("{\"a\":{\"b\":null}}", step_number, DMS_EINVAL, "/a/b", "got null");
    expect_reader_error("{\"a\":[]}", step_number, DMS_EINVAL, "/a", "expected an object");
    expect_reader_error("{\"a\":{\"b\":1,\"c\":2}}", step_number, DMS_EINVAL, "/a/c",
                        "unknown key 'c'");
    expect_reader_error("{\"n\":2.0}", step_integer, DMS_EINVAL, "/n", "got a fraction");
    expect_reader_error("{\"n\":101}", step_integer, DMS_EINVAL, "/n", "[1, 100], got 101");
    expect_reader_error("{\"s\":\"\"}", step_string, DMS_EINVAL, "/s", "must not be empty");
    expect_reader_error("{\"s\":\"abcde\"}", step_string, DMS_EINVAL, "/s", "longer than 4");
    expect_reader_error("{\"s\":[]}", step_string, DMS_EINVAL, "/s", "got an array");
    expect_reader_error("{\"family\":\"gamma\"}", step_enum, DMS_EINVAL, "/family",
                        "'gamma' is not one of 'poisson', 'negbin'");
    expect_reader_error("{\"list\":[{\"v\":1},{\"v\":11}]}", step_array_elements, DMS_EINVAL,
                        "/list/1/v", "got 11");
    expect_reader_error("{\"list\":[{\"v\":1},{\"v\":1,\"w\":2}]}", step_array_elements, DMS_EINVAL,
                        "/list/1/w", "unknown key 'w'");
    expect_reader_error("{\"list\":[{\"v\":1},3]}", step_array_elements, DMS_EINVAL, "/list/1",
                        "expected an object, got a number");
    expect_reader_error("{\"list\":[]}", step_length, DMS_EINVAL, "/list",
                        "1 to 2 elements, got 0");
    expect_reader_error("{\"a/b\":{\"~x\":1}}", step_escaped_unknown, DMS_EINVAL, "/a~1b/~0x",
                        "unknown key '~x'");
    expect_reader_error("{\"first\":2,\"second\":3}", step_sticky, DMS_EINVAL, "/first", "got 2");
    expect_reader_error("{\"m\":[{},{\"code\":\"x\"}]}", step_fail, DMS_EINVAL, "/m/1/code",
                        "duplicate module code");
    /* unknown keys of the root are reported by finish */
    expect_reader_error("{\"n\":5,\"zz\":1}", step_integer, DMS_EINVAL, "/zz", "unknown key");
}

static void test_reader_prefix_and_other_keys(void **state)
{
    (void)state;
    json_t *root = parse_ok("{\"copay\":0.7,\"x\":1}");
    dms_jsonread r;
    dms_error err;
    dms_error_clear(&err);
    dms_jsonread_init(&r, root, "/plan/modules/2", &err);
    dms_jsonread_allow_other_keys(&r);
    double c = 0;
    assert_int_equal(dms_jsonread_number(&r, "copay", 0, 0.5, &c), DMS_EINVAL);
    assert_string_equal(err.path, "/plan/modules/2/copay");
    dms_jsonread_finish(&r);

    dms_error_clear(&err);
    dms_jsonread_init(&r, root, NULL, &err);
    dms_jsonread_allow_other_keys(&r);
    assert_int_equal(dms_jsonread_number(&r, "copay", 0, 1, &c), DMS_OK);
    assert_int_equal(dms_jsonread_finish(&r), DMS_OK);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_syntax_error_position),
        cmocka_unit_test(test_parse_nul_and_utf8),
        cmocka_unit_test(test_parse_depth_limit),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_pointer_escape),
        cmocka_unit_test(test_reader_reads_document),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_reader_prefix_and_other_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
