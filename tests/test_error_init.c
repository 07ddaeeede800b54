/*
 * Every public entry point initialises the dms_error it is given, as jansson
 * does with json_error_t (issue 17). The first error wins in dms_error_set, so
 * an entry point that did not clear would keep whatever the caller's stack
 * held and report it instead of its own fault, or report a fault after a
 * success. Each case hands a record filled with a stale error and checks
 * that after the call the record says exactly what the call returned: the
 * new fault on failure, no error on success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/api.h"
#include "dms/bank.h"
#include "dms/credibility.h"
#include "dms/jsonread.h"
#include "dms/policy.h"
#include "dms/xlsx.h"

/* What an uninitialised record on the stack may hold. */
static void poison(dms_error *e)
{
    memset(e, 0x5a, sizeof *e);
    e->code = DMS_EIO;
    strcpy(e->message, "stale error from an earlier call");
    strcpy(e->path, "/stale");
    e->source[0] = '\0';
}

/* The record says what the call returned, and nothing stale is left. */
static void assert_fresh(const dms_error *e, int status)
{
    assert_int_equal(e->code, status);
    assert_null(strstr(e->message, "stale"));
    assert_null(strstr(e->path, "stale"));
    if (status != DMS_OK)
        assert_true(e->message[0] != '\0');
}

static void json_parse(void **state)
{
    (void)state;
    dms_error e;
    json_t *root = NULL;
    poison(&e);
    int status = dms_json_parse_text("{\"a\": ", 6, &root, &e);
    assert_int_equal(status, DMS_EPARSE);
    assert_fresh(&e, status);
    poison(&e);
    status = dms_json_parse_text("{\"a\": 1}", 8, &root, &e);
    assert_int_equal(status, DMS_OK);
    assert_fresh(&e, status);
    json_decref(root);
}

static void policy_load(void **state)
{
    (void)state;
    dms_error e;
    dms_policy *p = NULL;
    json_t *root = json_pack("[i]", 1);
    poison(&e);
    int status = dms_policy_load_json(root, NULL, &p, &e);
    assert_int_not_equal(status, DMS_OK);
    assert_fresh(&e, status);
    assert_null(p);
    json_decref(root);
}

static void bank_tariff_load(void **state)
{
    (void)state;
    dms_error e;
    dms_bank_tariff *t = NULL;
    json_t *root = json_string("not a tariff");
    poison(&e);
    int status = dms_bank_tariff_load_json(root, &t, &e);
    assert_int_not_equal(status, DMS_OK);
    assert_fresh(&e, status);
    json_decref(root);
}

static void credibility(void **state)
{
    (void)state;
    dms_error e;
    double n_full = 0;
    poison(&e);
    int status = dms_cred_lf_standard(-0.5, 1.645, 1.0, &n_full, &e);
    assert_int_equal(status, DMS_EINVAL);
    assert_fresh(&e, status);
    poison(&e);
    status = dms_cred_lf_standard(0.9, 0.05, 1.0, &n_full, &e);
    assert_int_equal(status, DMS_OK);
    assert_fresh(&e, status);
}

static void xlsx_read(void **state)
{
    (void)state;
    dms_error e;
    dms_xlsx_sheet *sh = NULL;
    poison(&e);
    int status = dms_xlsx_read_first("not a zip", 9, NULL, NULL, &sh, &e);
    assert_int_not_equal(status, DMS_OK);
    assert_fresh(&e, status);
}

static void api_listen(void **state)
{
    (void)state;
    dms_error e;
    char buf[64];
    dms_api_config config = dms_api_config_default();
    poison(&e);
    int status = dms_api_parse_listen("localhost:99999", buf, sizeof buf, &config, &e);
    assert_int_equal(status, DMS_EINVAL);
    assert_fresh(&e, status);
    poison(&e);
    status = dms_api_parse_listen("127.0.0.1:8080", buf, sizeof buf, &config, &e);
    assert_int_equal(status, DMS_OK);
    assert_fresh(&e, status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_parse),       cmocka_unit_test(policy_load),
        cmocka_unit_test(bank_tariff_load), cmocka_unit_test(credibility),
        cmocka_unit_test(xlsx_read),        cmocka_unit_test(api_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
