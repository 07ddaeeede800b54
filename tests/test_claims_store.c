/*
 * Tests of the claims tables in the store: SHA-256 against the FIPS 180-4
 * examples, an import that inserts every line, the same file imported again
 * changing nothing (idempotent re-import), a corrected re-send replacing
 * lines instead of double counting, another employer or year kept apart,
 * the register loaded back equal to what was imported, and argument errors.
 */
#include "dms/claims_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_target.h"
#include "testutil.h"

static const char *file1 = "claim_id;employee_id;service_date;category;amount_billed;amount_paid\n"
                           "A;E1;2025-01-10;АПП;1000;1000\n"
                           "A;E1;2025-01-10;АПП;500;500\n"
                           "B;E2;2025-02-01;dental;3000;2500\n";
/* the insurer re-sends the same claims with B corrected, and adds C */
static const char *file2 = "claim_id;employee_id;service_date;category;amount_billed;amount_paid\n"
                           "A;E1;2025-01-10;АПП;1000;1000\n"
                           "A;E1;2025-01-10;АПП;500;500\n"
                           "B;E2;2025-02-01;dental;3000;3000\n"
                           "C;E3;2025-03-01;emergency;7000;7000\n";

static dms_register *parse(const char *t)
{
    dms_register *reg = NULL;
    assert_int_equal(dms_claims_parse_csv(t, strlen(t), "t.csv", &reg, NULL, NULL), DMS_OK);
    return reg;
}

static void test_idempotent_import(void **state)
{
    (void)state;
    char path[256] = "/tmp/dms_claims_store_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    if (store_target_is_pg()) /* the same checks on a fresh PostgreSQL database (COPY) */
        assert_int_equal(store_target_fresh_pg(path, sizeof path), 0);
    dms_claims_store *cs = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_claims_store_open(path, &cs, &err), DMS_OK);
    dms_register *r1 = parse(file1), *r2 = parse(file2), *back = NULL;
    dms_claims_import_result res;

    assert_int_equal(dms_claims_store_import(cs, "ООО Ромашка", 2025, "r1.csv", file1,
                                             strlen(file1), r1, &res, &err),
                     DMS_OK);
    assert_int_equal(res.already_imported, 0);
    assert_int_equal(res.lines, 3);
    assert_int_equal(res.inserted, 3);
    assert_int_equal(res.replaced, 0);
    int64_t first_id = res.import_id;

    /* the same file again: nothing changes */
    assert_int_equal(dms_claims_store_import(cs, "ООО Ромашка", 2025, "copy.csv", file1,
                                             strlen(file1), r1, &res, &err),
                     DMS_OK);
    assert_int_equal(res.already_imported, 1);
    assert_true(res.import_id == first_id);
    assert_int_equal(res.inserted, 0);
    assert_int_equal(dms_claims_store_load(cs, "ООО Ромашка", 2025, &back, &err), DMS_OK);
    assert_int_equal(back->count, 3);
    dms_register_free(back);

    /* a corrected re-send: 3 lines replaced, 1 new, nothing counted twice */
    assert_int_equal(dms_claims_store_import(cs, "ООО Ромашка", 2025, "r2.csv", file2,
                                             strlen(file2), r2, &res, &err),
                     DMS_OK);
    assert_int_equal(res.already_imported, 0);
    assert_int_equal(res.inserted, 1);
    assert_int_equal(res.replaced, 3);
    assert_int_equal(dms_claims_store_load(cs, "ООО Ромашка", 2025, &back, &err), DMS_OK);
    assert_int_equal(back->count, 4);
    int64_t paid = 0;
    for (size_t i = 0; i < back->count; i++)
        paid += back->lines[i].paid;
    assert_true(paid == 100000 + 50000 + 300000 + 700000);
    /* loaded in service-date order with the fields intact */
    assert_string_equal(back->lines[0].claim_id, "A");
    assert_int_equal(back->lines[1].occurrence, 1);
    assert_string_equal(back->lines[2].module, "dental");
    assert_string_equal(back->lines[2].category, "dental");
    assert_true(back->lines[3].service_day == r2->lines[3].service_day);
    assert_true(back->lines[0].birth_day == r2->lines[0].birth_day);
    dms_register_free(back);

    /* another year and another employer are separate */
    assert_int_equal(dms_claims_store_import(cs, "ООО Ромашка", 2026, "r1.csv", file1,
                                             strlen(file1), r1, &res, &err),
                     DMS_OK);
    assert_int_equal(res.inserted, 3);
    assert_int_equal(dms_claims_store_load(cs, "ООО Лютик", 2025, &back, &err), DMS_OK);
    assert_int_equal(back->count, 0);
    dms_register_free(back);

    /* argument errors */
    dms_error_clear(&err);
    assert_int_equal(dms_claims_store_import(cs, "", 2025, NULL, file1, 1, r1, &res, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/employer");
    dms_error_clear(&err);
    assert_int_equal(dms_claims_store_import(cs, "X", 1999, NULL, file1, 1, r1, &res, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/policy_year");

    /* reopening keeps everything (migrations are idempotent) */
    dms_claims_store_close(cs);
    assert_int_equal(dms_claims_store_open(path, &cs, &err), DMS_OK);
    assert_int_equal(dms_claims_store_load(cs, "ООО Ромашка", 2025, &back, &err), DMS_OK);
    assert_int_equal(back->count, 4);
    dms_register_free(back);
    dms_claims_store_close(cs);
    dms_claims_store_close(NULL);
    dms_register_free(r1);
    dms_register_free(r2);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
