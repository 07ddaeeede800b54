/*
 * dms_api_json_text (json_text.c) against jansson itself: for every document
 * here (amounts of money on both sides of each boundary of the fast path,
 * reals that are not money, escapes, UTF-8, nesting, key order) the text is
 * byte for byte json_dumps(JSON_COMPACT | DMS_JSON_DUMP_FLAGS); plus the
 * picker's real answers, and random documents from a seeded generator.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/api.h"
#include "dms/report.h"

/* Asserts the fast text of json equals jansson's, and the length is right. */
static void same_as_jansson(json_t *json)
{
    char *want = json_dumps(json, JSON_COMPACT | DMS_JSON_DUMP_FLAGS);
    size_t len = 12345;
    char *got = dms_api_json_text(json, &len);
    assert_non_null(want);
    assert_non_null(got);
    if (strcmp(want, got) != 0)
        fail_msg("json_text differs from jansson:\n  jansson: %.400s\n  fast:    %.400s", want,
                 got);
    assert_int_equal(len, strlen(want));
    free(want);
    free(got);
}

static void money_is_written_as_jansson_writes_it(void **state)
{
    (void)state;
    static const long long kopecks[] = {
        0,
        1,
        -1,
        5,
        10,
        -10,
        99,
        100,
        101,
        110,
        -110,
        123456,
        1441208,
        -1441208,
        999999,
        1000000,
        99999999999,
        100000000000,
        999999999999,
        9999999999999LL,
        -9999999999999LL,
        10000000000000LL,
        123456789012345LL,
        INT64_C(4503599627370495),
    };
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof kopecks / sizeof kopecks[0]; i++)
        json_array_append_new(arr, json_real((double)kopecks[i] / 100.0));
    same_as_jansson(arr);
    json_decref(arr);
    /* Reals that are not whole kopecks, and the edges of %g's notation. */
    static const double others[] = {
        -0.0,      0.001,     0.015,
        1.0 / 3.0, 2.0 / 3.0, 1e-5,
        1e-4,      1e15,      1e16,
        -1e20,     1e300,     5e-324,
        0.1,       0.2,       0.3,
        1e11,      -1e11,     1e11 - 0.01,
        12.345,    0.125,     123456789.123456789,
        4.5e15,    0.07,      1.1,
        2.675,     1e-7,      9.999999999999999e10,
    };
    arr = json_array();
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        json_array_append_new(arr, json_real(others[i]));
    same_as_jansson(arr);
    json_decref(arr);
}

static void strings_keys_and_nesting_are_written_as_jansson_writes_them(void **state)
{
    (void)state;
    json_t *doc = json_object();
    json_object_set_new(doc, "zeta", json_string("last key first"));
    json_object_set_new(doc, "alpha", json_string("quote \" backslash \\ slash / tab \t nl \n"));
    json_object_set_new(doc, "ctl", json_stringn("\x01\x02\x1f\x7f \b\f\r", 8));
    json_object_set_new(doc, "nul", json_stringn("a\0b", 3));
    json_object_set_new(doc, "ru", json_string("черновик — ДМС «стандарт» 😀"));
    json_object_set_new(doc, "key \"with\" \\ quotes\n", json_true());
    json_object_set_new(doc, "f", json_false());
    json_object_set_new(doc, "n", json_null());
    json_object_set_new(doc, "i", json_integer(INT64_MIN));
    json_object_set_new(doc, "j", json_integer(INT64_MAX));
    json_object_set_new(doc, "k", json_integer(-42));
    json_object_set_new(doc, "empty_o", json_object());
    json_object_set_new(doc, "empty_a", json_array());
    json_object_set_new(doc, "", json_string(""));
    json_t *deep = json_pack("[[[{s:[i, f, {s:[]}]}]]]", "x", 1, 0.5, "y");
    json_object_set_new(doc, "deep", deep);
    /* A key set again keeps its place. */
    json_object_set_new(doc, "zeta", json_real(12.5));
    json_object_setn_new(doc, "k\0ey", 4, json_integer(7));
    same_as_jansson(doc);
    json_decref(doc);
    json_t *empty = json_array();
    same_as_jansson(empty);
    json_decref(empty);
    /* Like json_dumps without JSON_ENCODE_ANY: no text for a bare value. */
    json_t *bare = json_integer(1);
    size_t len = 99;
    assert_null(dms_api_json_text(bare, &len));
    assert_int_equal(len, 0);
    assert_null(dms_api_json_text(NULL, NULL));
    json_decref(bare);
}

/* A picker answer as the routes build it (json_pack, money as reals). */
static void a_draft_answer_is_written_as_jansson_writes_it(void **state)
{
    (void)state;
    json_t *doc = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:i, s:[s,s], s:{s:f, s:f, s:f, s:f}, s:s, s:[], "
        "s:{s:{s:f, s:f, s:b}, s:{s:f, s:f}}, s:[{s:s, s:b, s:f, s:f}]}",
        "id", (json_int_t)1, "employee_id", "100007", "department", "Sales, B2B", "status", "draft",
        "status_ru", "черновик", "version", 1, "options", "dental_standard", "home_visits", "cost",
        "price_year", 1441208 / 100.0, "employer_year", 1441208 / 100.0, "employee_year", 0.0,
        "employee_month", 0.0, "updated_at", "2026-11-30T13:38:16.497Z", "faults", "expected",
        "cost", "price_month", 120101 / 100.0, "employer_month", 120101 / 100.0, "within_cap", 1,
        "out_of_pocket_year", "low", 467000 / 100.0, "medium", 939928 / 100.0, "marginal", "code",
        "dental_business", "in_set", 0, "employee_month", 172070 / 100.0, "employee_year",
        2064837 / 100.0);
    assert_non_null(doc);
    same_as_jansson(doc);
    json_decref(doc);
}

/* Random documents (seeded): money, other reals, strings of any bytes below 0x80. */
static json_t *random_value(unsigned *seed, int depth)
{
    int kind = rand_r(seed) % (depth > 4 ? 5 : 7);
    switch (kind) {
    case 0: {
        long long k = (long long)rand_r(seed) * rand_r(seed) % 10000000000000LL;
        return json_real((double)(rand_r(seed) % 2 ? -k : k) / 100.0);
    }
    case 1:
        return json_real((double)rand_r(seed) / (double)(rand_r(seed) + 1) *
                         pow(10.0, rand_r(seed) % 40 - 20));
    case 2:
        return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 3: {
        char s[24];
        size_t n = (size_t)(rand_r(seed) % (int)sizeof s);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)(rand_r(seed) % 0x80);
        return json_stringn(s, n);
    }
    case 4:
        return rand_r(seed) % 3 == 0 ? json_null() : json_boolean(rand_r(seed) % 2);
    case 5: {
        json_t *a = json_array();
        for (int i = rand_r(seed) % 6; i > 0; i--)
            json_array_append_new(a, random_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rand_r(seed) % 6; i > 0; i--) {
            char key[8];
            snprintf(key, sizeof key, "k%d", rand_r(seed) % 50);
            json_object_set_new(o, key, random_value(seed, depth + 1));
        }
        return o;
    }
    }
}

static void random_documents_are_written_as_jansson_writes_them(void **state)
{
    (void)state;
    unsigned seed = 17;
    for (int i = 0; i < 2000; i++) {
        json_t *doc = json_array();
        json_array_append_new(doc, random_value(&seed, 0));
        json_array_append_new(doc, random_value(&seed, 0));
        same_as_jansson(doc);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(money_is_written_as_jansson_writes_it),
        cmocka_unit_test(strings_keys_and_nesting_are_written_as_jansson_writes_them),
        cmocka_unit_test(a_draft_answer_is_written_as_jansson_writes_it),
        cmocka_unit_test(random_documents_are_written_as_jansson_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
