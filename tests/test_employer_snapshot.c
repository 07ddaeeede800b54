/*
 * The picker's employer snapshot (src/api/employer_snapshot.c): requests
 * share one parsed policy and census per import; a new import swaps a new
 * snapshot in while a request holding the old one keeps it whole; two
 * databases never share a snapshot even with the same import number.
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

#include "../src/api/employer_snapshot.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/picker.h"
#include "dms/tariff.h"
#include "dms/tenant_store.h"
#include "testutil.h"

static char dir[64];

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    *len = fread(text, 1, (size_t)size, f);
    text[*len] = '\0';
    fclose(f);
    return text;
}

/* A fresh database at name with the example policy and census imported. */
static dms_store *store_with_import(const char *name, const char *census_path)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    dms_store *store = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_store_open(path, &store, &err), DMS_OK);
    long employer = 0;
    assert_int_equal(dms_tenant_employer_default(store, &employer, &err), DMS_OK);
    dms_store_tenant_set(store, employer);
    json_t *policy = NULL;
    assert_int_equal(dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err),
                     DMS_OK);
    size_t len;
    char *csv = read_text(census_path, &len);
    long id = 0;
    assert_int_equal(dms_enrol_import(store, policy, csv, len, "test", &id, &err), DMS_OK);
    json_decref(policy);
    free(csv);
    return store;
}

static void shared_then_swapped(void **state)
{
    (void)state;
    dms_api_employer_forget_all();
    dms_store *store = store_with_import("a.db", "examples/census/midsize-450.csv");
    const dms_api_employer *first = NULL, *again = NULL, *after = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_employer_acquire(store, &first, &err), DMS_OK);
    assert_int_equal(dms_api_employer_acquire(store, &again, &err), DMS_OK);
    assert_ptr_equal(first, again); /* parsed once, shared */
    assert_int_equal(first->census->count, 450);
    /* A new import: the next request gets a new snapshot... */
    json_t *policy = NULL;
    assert_int_equal(dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err),
                     DMS_OK);
    size_t len;
    char *csv = read_text("examples/census/midsize-450.csv", &len);
    char *cut = strchr(strchr(csv, '\n') + 1, '\n') + 1; /* header + first row only */
    long id = 0;
    int status = dms_enrol_import(store, policy, csv, (size_t)(cut - csv), "test", &id, &err);
    json_decref(policy);
    free(csv);
    assert_int_equal(status, DMS_OK);
    assert_int_equal(dms_api_employer_acquire(store, &after, &err), DMS_OK);
    assert_ptr_not_equal(after, first);
    assert_int_equal(after->import_id, id);
    assert_int_equal(after->census->count, 1);
    dms_api_employer_release(after);
    /* ...while the old one, still held, stays whole. */
    assert_int_equal(first->census->count, 450);
    dms_api_employer_release(first);
    dms_api_employer_release(again);
    dms_store_close(store);
}

static void databases_never_share(void **state)
{
    (void)state;
    dms_api_employer_forget_all();
    dms_store *a = store_with_import("b.db", "examples/census/midsize-450.csv");
    dms_store *b = store_with_import("c.db", "examples/census/startup-60.csv");
    const dms_api_employer *ea = NULL, *eb = NULL;
    assert_int_equal(dms_api_employer_acquire(a, &ea, NULL), DMS_OK);
    assert_int_equal(dms_api_employer_acquire(b, &eb, NULL), DMS_OK);
    assert_int_equal(ea->import_id, eb->import_id); /* same number, other data */
    assert_ptr_not_equal(ea, eb);
    assert_int_equal(ea->census->count, 450);
    assert_int_equal(eb->census->count, 60);
    dms_api_employer_release(ea);
    dms_api_employer_release(eb);
    dms_store_close(a);
    dms_store_close(b);
    dms_api_employer_forget_all();
}

static void offers_kept_per_generation(void **state)
{
    (void)state;
    dms_api_employer_forget_all();
    dms_store *store = store_with_import("d.db", "examples/census/midsize-450.csv");
    const dms_api_employer *e = NULL;
    assert_int_equal(dms_api_employer_acquire(store, &e, NULL), DMS_OK);
    dms_offer *offer = calloc(1, sizeof *offer), *got = calloc(1, sizeof *got);
    offer->base_price = 123456;
    offer->noptions = 3;
    assert_false(dms_api_employer_offer_get(e, 1, "100014", got));
    dms_api_employer_offer_keep(e, 1, "100014", offer);
    assert_true(dms_api_employer_offer_get(e, 1, "100014", got));
    assert_memory_equal(got, offer, sizeof *offer);
    assert_false(dms_api_employer_offer_get(e, 2, "100014", got)); /* a reloaded catalog */
    assert_false(dms_api_employer_offer_get(e, 1, "100007", got)); /* another employee */
    /* the offer's JSON text: kept with the offer of its generation, copied out */
    char *text = NULL;
    size_t len = 0;
    assert_false(dms_api_employer_text_get(e, 1, "100014", &text, &len));
    dms_api_employer_text_keep(e, 1, "100007", "{\"x\":1}", 7); /* no offer kept: nothing */
    assert_false(dms_api_employer_text_get(e, 1, "100007", &text, &len));
    dms_api_employer_text_keep(e, 1, "100014", "{\"x\":1}", 7);
    dms_api_employer_text_keep(e, 1, "100014", "{\"x\":2}", 7); /* the first one stays */
    assert_true(dms_api_employer_text_get(e, 1, "100014", &text, &len));
    assert_int_equal(len, 7);
    assert_string_equal(text, "{\"x\":1}");
    free(text);
    assert_false(dms_api_employer_text_get(e, 2, "100014", &text, &len));
    offer->base_price = 654321;
    dms_api_employer_offer_keep(e, 2, "100014", offer);
    assert_true(dms_api_employer_offer_get(e, 2, "100014", got));
    assert_int_equal(got->base_price, 654321);
    /* a new generation's offer drops the old text */
    assert_false(dms_api_employer_text_get(e, 2, "100014", &text, &len));
    assert_false(dms_api_employer_text_get(e, 1, "100014", &text, &len));
    free(offer);
    free(got);
    dms_api_employer_release(e);
    dms_store_close(store);
    dms_api_employer_forget_all();
}

/* The out-of-pocket table kept with an employee's offer: found for its
 * generation only, the first one kept wins, none without a kept offer; a
 * table of a replaced generation stays readable while the snapshot is held
 * (its figures unchanged), and the kept table sums as a fresh one. */
static void oop_tables_kept_with_offers(void **state)
{
    (void)state;
    dms_api_employer_forget_all();
    dms_store *store = store_with_import("e.db", "examples/census/midsize-450.csv");
    const dms_api_employer *e = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_api_employer_acquire(store, &e, &err), DMS_OK);
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, &err), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &model, &err), DMS_OK);
    dms_household h;
    assert_int_equal(dms_picker_household(e->census, "100014", 24, &h, &err), DMS_OK);
    dms_offer *offer = calloc(1, sizeof *offer);
    assert_int_equal(dms_picker_offer(e->policy, tariff, model, &h, offer, &err), DMS_OK);
    dms_picker_oop *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(dms_picker_oop_build(offer, &a, &err), DMS_OK);
    assert_int_equal(dms_picker_oop_build(offer, &b, &err), DMS_OK);
    /* no offer kept yet: the table stays the caller's */
    assert_null(dms_api_employer_oop_keep(e, 1, "100014", a));
    dms_api_employer_offer_keep(e, 1, "100014", offer);
    assert_null(dms_api_employer_oop_get(e, 1, "100014"));
    assert_ptr_equal(dms_api_employer_oop_keep(e, 1, "100014", a), a);
    assert_ptr_equal(dms_api_employer_oop_keep(e, 1, "100014", b), a); /* b freed */
    assert_ptr_equal(dms_api_employer_oop_get(e, 1, "100014"), a);
    assert_null(dms_api_employer_oop_get(e, 2, "100014"));
    assert_null(dms_api_employer_oop_get(e, 1, "100007"));
    double kept[DMS_USAGE_COUNT], fresh[DMS_USAGE_COUNT];
    dms_picker_oop_sum(a, offer->eligible, kept);
    assert_int_equal(dms_picker_out_of_pocket(offer, offer->eligible, fresh, &err), DMS_OK);
    assert_memory_equal(kept, fresh, sizeof kept);
    /* a reloaded catalog: the old table is retired, still readable */
    dms_api_employer_offer_keep(e, 2, "100014", offer);
    assert_null(dms_api_employer_oop_get(e, 2, "100014"));
    dms_picker_oop_sum(a, offer->eligible, kept);
    assert_memory_equal(kept, fresh, sizeof kept);
    assert_int_equal(dms_picker_oop_build(offer, &c, &err), DMS_OK);
    assert_ptr_equal(dms_api_employer_oop_keep(e, 2, "100014", c), c);
    free(offer);
    dms_tariff_free(tariff);
    dms_model_free(model);
    dms_api_employer_release(e);
    dms_store_close(store);
    dms_api_employer_forget_all(); /* frees the kept and the retired tables */
}

/* A thread that knows the import of its connection gets the same snapshot
 * without the texts; a new import, or another database with the same
 * import number, is still told apart. */
static void known_import_reused(void **state)
{
    (void)state;
    dms_api_employer_forget_all();
    dms_store *a = store_with_import("f.db", "examples/census/midsize-450.csv");
    dms_store *b = store_with_import("g.db", "examples/census/startup-60.csv");
    const dms_api_employer *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
    assert_int_equal(dms_api_employer_acquire(a, &e1, NULL), DMS_OK);
    assert_int_equal(dms_api_employer_acquire(a, &e2, NULL), DMS_OK);
    assert_ptr_equal(e1, e2);
    assert_int_equal(dms_api_employer_acquire(b, &e3, NULL), DMS_OK);
    assert_ptr_not_equal(e3, e1);
    assert_int_equal(e3->census->count, 60);
    /* one slot per tenant: b's took it, and a's texts are compared again */
    const dms_api_employer *eb = e3;
    assert_int_equal(dms_api_employer_acquire(a, &e3, NULL), DMS_OK);
    assert_ptr_not_equal(e3, eb);
    assert_int_equal(e3->census->count, 450);
    dms_api_employer_release(eb);
    /* dropped from the table: parsed again, never a freed one */
    dms_api_employer_forget_all();
    assert_int_equal(dms_api_employer_acquire(a, &e4, NULL), DMS_OK);
    assert_ptr_not_equal(e4, e1);
    assert_int_equal(e4->census->count, 450);
    dms_api_employer_release(e1);
    dms_api_employer_release(e2);
    dms_api_employer_release(e3);
    dms_api_employer_release(e4);
    dms_store_close(a);
    dms_store_close(b);
    dms_api_employer_forget_all();
}

static int setup(void **state)
{
    (void)state;
    return test_temp_dir(dir, sizeof dir, "snapshot");
}

static int teardown(void **state)
{
    (void)state;
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_then_swapped),        cmocka_unit_test(databases_never_share),
        cmocka_unit_test(offers_kept_per_generation), cmocka_unit_test(oop_tables_kept_with_offers),
        cmocka_unit_test(known_import_reused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
