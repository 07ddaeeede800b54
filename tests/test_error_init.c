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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "dms/api.h"
#include "dms/bank.h"
#include "dms/credibility.h"
#include "dms/dist.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/lattice.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/policy.h"
#include "dms/register_store.h"
#include "dms/store.h"
#include "dms/tariff.h"
#include "dms/tenant_store.h"
#include "dms/xlsx.h"
#include "testutil.h"

/*
 * What an uninitialised record on the stack may hold: garbage everywhere, no
 * NUL in any string, and an error code, so that dms_error_set would keep it.
 */
static void poison(dms_error *e)
{
    memset(e, 0x5a, sizeof *e);
    e->code = DMS_EIO;
    memcpy(e->message, "stale", 5);
    memcpy(e->message_ru, "stale", 5);
    memcpy(e->path, "/stale", 6);
    memcpy(e->source, "stale", 5);
}

/* A string buffer of the record is NUL-terminated and holds no garbage. */
static void assert_clean_string(const char *s, size_t size)
{
    assert_non_null(memchr(s, '\0', size));
    assert_null(strstr(s, "stale"));
    assert_null(strstr(s, "ZZZZ")); /* 0x5a bytes of the poison */
}

/*
 * The record says what the call returned, and nothing stale is left: every
 * string is valid, a failure has a message, a success has no trace at all.
 */
static void assert_fresh(const dms_error *e, int status)
{
    assert_int_equal(e->code, status);
    assert_clean_string(e->message, sizeof e->message);
    assert_clean_string(e->message_ru, sizeof e->message_ru);
    assert_clean_string(e->path, sizeof e->path);
    assert_clean_string(e->source, sizeof e->source);
    assert_true(e->line >= 0 && e->line < 0x5a5a5a5a);
    assert_true(e->column >= 0 && e->column < 0x5a5a5a5a);
    if (status != DMS_OK) {
        assert_true(e->message[0] != '\0');
    } else {
        assert_string_equal(e->message, "");
        assert_string_equal(e->message_ru, "");
        assert_string_equal(e->path, "");
        assert_string_equal(e->source, "");
        assert_int_equal(e->line, 0);
        assert_int_equal(e->column, 0);
    }
}

/* Calls CALL with a poisoned &e, checks it returned WANT and left e fresh. */
#define EXPECT(want, call)                                                                         \
    do {                                                                                           \
        poison(&e);                                                                                \
        int status_ = (call);                                                                      \
        assert_int_equal(status_, (want));                                                         \
        assert_fresh(&e, status_);                                                                 \
    } while (0)

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

/* The numerical core: distributions, lattices, the model and the tariff. */
static void core_entry_points(void **state)
{
    (void)state;
    dms_error e;
    dms_frequency f;
    dms_severity s;
    EXPECT(DMS_OK, dms_frequency_parse("poisson:3.5", &f, &e));
    EXPECT(DMS_EPARSE, dms_frequency_parse("binomial:3", &f, &e));
    EXPECT(DMS_OK, dms_severity_parse("lognormal:8,0.9", &s, &e));
    f.kind = DMS_FREQ_POISSON;
    f.mean = -1.0;
    EXPECT(DMS_EINVAL, dms_frequency_validate(&f, &e));

    double a[4] = {0.5, 0.5, 0, 0}, out[4];
    EXPECT(DMS_OK, dms_lattice_convolve(a, a, 4, out, &e));
    assert_true(fabs(out[1] - 0.5) < 1e-12);

    dms_model *model = NULL;
    dms_tariff *tariff = NULL;
    dms_plan *plan = NULL;
    EXPECT(DMS_EIO, dms_model_load_file("/nonexistent/model.json", &model, &e));
    EXPECT(DMS_OK, dms_model_load_file("models/ru-2026.json", &model, &e));
    EXPECT(DMS_OK, dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, &e));
    EXPECT(DMS_OK, dms_plan_load_file("web/plans/base-2026.json", &plan, &e));
    EXPECT(DMS_OK, dms_tariff_check_model(tariff, model, &e));
    size_t band = 0;
    EXPECT(DMS_OK, dms_model_age_band(model, 40, &band, &e));
    EXPECT(DMS_EINVAL, dms_model_age_band(model, -1, &band, &e));
    double factor = 0, years = 0;
    EXPECT(DMS_OK, dms_tariff_group_factor(tariff, 450, &factor, &e));
    EXPECT(DMS_EINVAL, dms_tariff_group_factor(tariff, 0, &factor, &e));
    EXPECT(DMS_OK, dms_model_trend_years(model, "2026-01-01", "2026-12-31", &years, &e));
    dms_plan_free(plan);
    dms_tariff_free(tariff);
    dms_model_free(model);
}

/* The store: opening, tenants, elections and the register. */
static void store_entry_points(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(test_temp_dir(dir, sizeof dir, "error-init"), 0);
    char db[sizeof dir + 16];
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    dms_error e;
    dms_store *store = NULL;
    EXPECT(DMS_EIO, dms_store_open("/nonexistent/dir/dmsrate.db", &store, &e));
    EXPECT(DMS_OK, dms_store_open(db, &store, &e));
    int version = 0;
    EXPECT(DMS_OK, dms_store_version(store, &version, &e));
    assert_true(version > 0);
    long employer = 0;
    EXPECT(DMS_OK, dms_tenant_employer_default(store, &employer, &e));
    dms_store_tenant_set(store, employer);
    dms_tenant_employer one;
    EXPECT(DMS_OK, dms_tenant_employer_get(store, employer, &one, &e));
    EXPECT(DMS_ENOTFOUND, dms_tenant_employer_get(store, employer + 100, &one, &e));
    dms_tenant_key key;
    EXPECT(DMS_ENOTFOUND, dms_tenant_key_get(store, 12345, &key, &e));
    dms_enrol_election election;
    EXPECT(DMS_ENOTFOUND, dms_enrol_election_get(store, "nobody", &election, &e));
    EXPECT(DMS_ENOTFOUND, dms_enrol_election_get_id(store, 777, &election, &e));
    dms_register_entry entry;
    EXPECT(DMS_ENOTFOUND, dms_register_store_get(store, "no-such-policy", &entry, &e));
    int days = 0;
    EXPECT(DMS_OK, dms_register_store_retro_days(store, &days, &e));
    EXPECT(DMS_OK, dms_enrol_begin(store, &e));
    EXPECT(DMS_OK, dms_enrol_commit(store, &e));
    dms_store_close(store);
    char path[sizeof db + 8];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_parse),        cmocka_unit_test(policy_load),
        cmocka_unit_test(bank_tariff_load),  cmocka_unit_test(credibility),
        cmocka_unit_test(xlsx_read),         cmocka_unit_test(api_listen),
        cmocka_unit_test(core_entry_points), cmocka_unit_test(store_entry_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
