/*
 * Tests of the diagnostics list: order, the cap, counting past it, the
 * convenience adders and the single-error summary.
 */
#include "dms/diag.h"

#include <string.h>

#include "testutil.h"

static void test_add_and_get(void **state)
{
    (void)state;
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_diag_count(diag), 0);
    assert_null(dms_diag_get(diag, 0));
    assert_int_equal(dms_diag_first(diag, NULL), DMS_OK);

    dms_error ok;
    dms_error_clear(&ok);
    assert_int_equal(dms_diag_add(diag, &ok), DMS_OK); /* DMS_OK records are ignored */
    assert_int_equal(dms_diag_count(diag), 0);

    assert_int_equal(dms_diag_add_at(diag, DMS_EPARSE, "a.csv", 3, 7, "bad %s", "sex"), DMS_EPARSE);
    assert_int_equal(dms_diag_add_path(diag, DMS_EINVAL, "/people/2/sex", "bad"), DMS_EINVAL);
    assert_int_equal(dms_diag_count(diag), 2);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_non_null(e);
    assert_int_equal(e->code, DMS_EPARSE);
    assert_string_equal(e->source, "a.csv");
    assert_int_equal(e->line, 3);
    assert_int_equal(e->column, 7);
    assert_string_equal(e->message, "bad sex");
    e = dms_diag_get(diag, 1);
    assert_string_equal(e->path, "/people/2/sex");
    assert_int_equal(e->line, 0);
    assert_null(dms_diag_get(diag, 2));

    dms_error first;
    assert_int_equal(dms_diag_first(diag, &first), DMS_EPARSE);
    assert_string_equal(first.message, "bad sex (and 1 more)");

    dms_diag_clear(diag);
    assert_int_equal(dms_diag_count(diag), 0);
    assert_int_equal(dms_diag_kept(diag), 0);
    dms_diag_free(diag);
    dms_diag_free(NULL);
}

static void test_limit(void **state)
{
    (void)state;
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(5, &diag), DMS_OK);
    for (int i = 1; i <= 1000; i++)
        dms_diag_add_at(diag, DMS_EPARSE, "x", i, 1, "row %d", i);
    assert_int_equal(dms_diag_count(diag), 1000);
    assert_int_equal(dms_diag_kept(diag), 5);
    assert_int_equal(dms_diag_get(diag, 4)->line, 5);
    assert_null(dms_diag_get(diag, 5));
    dms_error first;
    dms_diag_first(diag, &first);
    assert_string_equal(first.message, "row 1 (and 999 more)");
    dms_diag_free(diag);
}

static void test_null_safe(void **state)
{
    (void)state;
    assert_int_equal(dms_diag_alloc(0, NULL), DMS_EINVAL);
    assert_int_equal(dms_diag_add(NULL, NULL), DMS_OK);
    assert_int_equal(dms_diag_add_at(NULL, DMS_EPARSE, NULL, 1, 1, "x"), DMS_EPARSE);
    assert_int_equal(dms_diag_count(NULL), 0);
    assert_null(dms_diag_get(NULL, 0));
    dms_diag_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_get),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
