/*
 * Tests of the HR and finance reports: known counts on a small group, the
 * suppression of every cell resting on 1..4 people (and not of 0 or 5),
 * a configurable threshold, the manager's department view, the limits
 * report (counts only), clinics by spend, loss ratio by month, and the CSV
 * and JSON encoders printing suppressed cells as "<5".
 */
#include "dms/reports.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static long D(int y, int m, int d)
{
    return dms_claims_days(y, m, d);
}

struct fixture {
    dms_membership *m;
    dms_register *reg;
};

/* Sales: 6 employees all year; IT: 3 employees, one joins in July. */
static int setup(void **state)
{
    static struct fixture f;
    dms_member x[9];
    char ids[9][16];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 9; i++) {
        snprintf(ids[i], sizeof ids[i], "E%d", i);
        x[i].employee_id = ids[i];
        x[i].department = i < 6 ? "Продажи" : "ИТ";
        x[i].segment = i < 6 ? "young" : "45+";
        x[i].sex = i % 2;
        x[i].birth_day = D(1985, 1, 1);
        x[i].attach_day = D(2024, 1, 1);
        x[i].detach_day = DMS_EXPOSURE_OPEN;
    }
    x[8].attach_day = D(2025, 7, 1);
    if (dms_membership_build(x, 9, &f.m) != DMS_OK || dms_register_alloc(&f.reg) != DMS_OK)
        return -1;
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.birth_day = LONG_MIN;
    l.status = DMS_CLAIM_PAID;
    char cid[32];
    /* every Sales employee: 2 outpatient visits in March at Clinic A, 1000 each */
    for (int i = 0; i < 6; i++)
        for (int v = 0; v < 2; v++) {
            snprintf(cid, sizeof cid, "O%d-%d", i, v);
            l.claim_id = cid;
            l.employee_id = ids[i];
            l.category = l.module = "outpatient";
            l.clinic = "Клиника А";
            l.service_day = l.visit_day = D(2025, 3, 10 + v);
            l.billed = l.paid = 100000;
            if (dms_register_append(f.reg, &l) != DMS_OK)
                return -1;
        }
    /* two IT people at the dentist in May, 40,000 each at Dent */
    for (int i = 6; i < 8; i++) {
        snprintf(cid, sizeof cid, "D%d", i);
        l.claim_id = cid;
        l.employee_id = ids[i];
        l.category = l.module = "dental";
        l.clinic = "Дент";
        l.service_day = l.visit_day = D(2025, 5, 5);
        l.billed = l.paid = 4000000;
        if (dms_register_append(f.reg, &l) != DMS_OK)
            return -1;
    }
    /* a rejected line and a line outside the period: never counted */
    l.claim_id = "R";
    l.status = DMS_CLAIM_REJECTED;
    dms_register_append(f.reg, &l);
    l.claim_id = "OLD";
    l.status = DMS_CLAIM_PAID;
    l.service_day = D(2024, 12, 31);
    dms_register_append(f.reg, &l);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dms_membership_free(f->m);
    dms_register_free(f->reg);
    return 0;
}

static dms_reports_options year(void)
{
    dms_reports_options o = dms_reports_options_default();
    o.from = D(2025, 1, 1);
    o.to = D(2025, 12, 31);
    return o;
}

static const dms_cell *cell(const dms_table *t, size_t r, const char *col)
{
    for (size_t j = 0; j < t->ncols; j++)
        if (strcmp(t->columns[j], col) == 0)
            return dms_table_cell(t, r, j);
    fail_msg("no column %s", col);
    return NULL;
}

static void expect_count(const dms_table *t, size_t r, const char *col, double v)
{
    const dms_cell *c = cell(t, r, col);
    if (c->kind != DMS_CELL_COUNT || c->value != v)
        fail_msg("%s row %zu %s: kind %d value %g, expected count %g", t->name, r, col, c->kind,
                 c->value, v);
}

static void expect_suppressed(const dms_table *t, size_t r, const char *col)
{
    const dms_cell *c = cell(t, r, col);
    if (c->kind != DMS_CELL_SUPPRESSED)
        fail_msg("%s row %zu %s: kind %d value %g, expected suppressed", t->name, r, col, c->kind,
                 c->value);
}

static void test_insured(void **state)
{
    struct fixture *f = *state;
    dms_reports_options o = year();
    dms_table *t = NULL;
    assert_int_equal(dms_reports_insured(f->m, &o, &t, NULL), DMS_OK);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(cell(t, 0, "department")->text, "Продажи");
    expect_count(t, 0, "employees", 6);
    expect_count(t, 0, "insured", 6);
    expect_count(t, 0, "children", 0); /* zero is not a small cell */
    expect_count(t, 0, "joined", 0);
    assert_string_equal(cell(t, 1, "department")->text, "ИТ");
    expect_suppressed(t, 1, "employees"); /* 3 people */
    expect_suppressed(t, 1, "joined");    /* 1 person */
    dms_table_free(t);
    /* threshold 3: IT's 3 employees show, the single joiner does not */
    o.min_cell = 3;
    assert_int_equal(dms_reports_insured(f->m, &o, &t, NULL), DMS_OK);
    expect_count(t, 1, "employees", 3);
    expect_suppressed(t, 1, "joined");
    dms_table_free(t);
    o.min_cell = 1;
    assert_int_equal(dms_reports_insured(f->m, &o, &t, NULL), DMS_OK);
    expect_count(t, 1, "joined", 1);
    assert_int_equal(t->suppressed, 0);
    dms_table_free(t);
}

static void test_utilisation(void **state)
{
    struct fixture *f = *state;
    dms_reports_options o = year();
    dms_table *t = NULL;
    assert_int_equal(dms_reports_utilisation(f->reg, f->m, &o, &t, NULL), DMS_OK);
    /* modules outpatient, dental x segments all, young, 45+ */
    assert_int_equal(t->nrows, 6);
    assert_string_equal(cell(t, 0, "module")->text, "outpatient");
    assert_string_equal(cell(t, 0, "segment")->text, "all / все");
    expect_count(t, 0, "members", 9);
    assert_close(cell(t, 0, "member_years")->value, 8.5, 1e-12);
    expect_count(t, 0, "visits", 12);
    assert_close(cell(t, 0, "visits_per_1000")->value, 12000 / 8.5, 1e-12);
    expect_count(t, 0, "users", 6);
    assert_close(cell(t, 0, "share_using")->value, 6.0 / 9, 1e-12);
    /* young (6 users of 6) would give the hidden 45+ row as all - young:
     * complementary suppression hides the young row's figures too */
    assert_string_equal(cell(t, 1, "segment")->text, "young");
    expect_suppressed(t, 1, "members");
    expect_suppressed(t, 1, "users");
    expect_suppressed(t, 1, "share_using");
    /* the 45+ segment has 3 members: everything about it is suppressed */
    assert_string_equal(cell(t, 2, "segment")->text, "45+");
    expect_suppressed(t, 2, "members");
    expect_suppressed(t, 2, "member_years");
    expect_suppressed(t, 2, "visits");
    /* dental over all 9 people: 2 users -> visits and shares suppressed */
    assert_string_equal(cell(t, 3, "module")->text, "dental");
    expect_count(t, 3, "members", 9);
    expect_suppressed(t, 3, "users");
    expect_suppressed(t, 3, "visits");
    expect_suppressed(t, 3, "visits_per_1000");
    expect_suppressed(t, 3, "share_using");
    /* dental among the young: no users at all, a true zero */
    expect_count(t, 4, "users", 0);
    expect_count(t, 4, "visits", 0);
    dms_table_free(t);
}

static void test_manager_view(void **state)
{
    struct fixture *f = *state;
    dms_reports_options o = year();
    o.department = "ИТ";
    dms_table *t = NULL;
    assert_int_equal(dms_reports_utilisation(f->reg, f->m, &o, &t, NULL), DMS_OK);
    /* only dental lines are IT's; 3 members: suppressed */
    assert_int_equal(t->nrows, 2);
    assert_string_equal(cell(t, 0, "module")->text, "dental");
    expect_suppressed(t, 0, "members");
    dms_table_free(t);
    o.department = "Продажи";
    assert_int_equal(dms_reports_clinics(f->reg, f->m, &o, &t, NULL), DMS_OK);
    assert_int_equal(t->nrows, 1);
    assert_string_equal(cell(t, 0, "clinic")->text, "Клиника А");
    dms_table_free(t);
}

static void test_expense_clinics_limits_loss(void **state)
{
    struct fixture *f = *state;
    dms_reports_options o = year();
    dms_table *t = NULL;
    assert_int_equal(dms_reports_expense(f->reg, f->m, &o, &t, NULL), DMS_OK);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(cell(t, 0, "month")->text, "2025-03");
    expect_count(t, 0, "claims", 12);
    expect_count(t, 0, "people", 6);
    assert_close(cell(t, 0, "paid")->value, 12000, 1e-12);
    assert_string_equal(cell(t, 1, "month")->text, "2025-05");
    expect_suppressed(t, 1, "paid"); /* 2 people's dental bills */
    dms_table_free(t);

    assert_int_equal(dms_reports_clinics(f->reg, f->m, &o, &t, NULL), DMS_OK);
    assert_int_equal(t->nrows, 2);
    assert_string_equal(cell(t, 0, "clinic")->text, "Дент"); /* largest spend first */
    expect_suppressed(t, 0, "share_of_spend");
    /* a visible share would give the total spend, and Дент's as the rest */
    expect_suppressed(t, 1, "share_of_spend");
    expect_suppressed(t, 1, "paid");
    assert_close(cell(t, 1, "average_cost")->value, 1000, 1e-12);
    dms_table_free(t);

    dms_reports_limit lim[2] = {{"outpatient", 2400}, {"dental", 45000}};
    o.limits = lim;
    o.nlimits = 2;
    assert_int_equal(dms_reports_limits(f->reg, f->m, &o, &t, NULL), DMS_OK);
    expect_count(t, 0, "users", 6);
    expect_count(t, 0, "people_over_threshold", 6); /* 2000 > 0.8 x 2400 */
    expect_suppressed(t, 1, "people_over_threshold");
    dms_table_free(t);
    lim[0].limit = 2500; /* 2000 is exactly 80%: not over */
    assert_int_equal(dms_reports_limits(f->reg, f->m, &o, &t, NULL), DMS_OK);
    expect_count(t, 0, "people_over_threshold", 0);
    dms_table_free(t);
    lim[1].limit = 0;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_reports_limits(f->reg, f->m, &o, &t, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/limits/1");

    o.nlimits = 0;
    o.premium_per_member_month = 2000;
    assert_int_equal(dms_reports_loss_ratio(f->reg, f->m, &o, &t, NULL), DMS_OK);
    assert_int_equal(t->nrows, 12);
    expect_count(t, 2, "insured", 8);
    assert_close(cell(t, 2, "loss_ratio")->value, 12000.0 / 16000, 1e-12);
    expect_count(t, 6, "insured", 9);
    assert_close(cell(t, 6, "earned_premium")->value, 18000, 1e-12);
    dms_table_free(t);
}

static void test_encoders_and_errors(void **state)
{
    struct fixture *f = *state;
    dms_reports_options o = year();
    dms_table *t = NULL;
    assert_int_equal(dms_reports_by_name("insured", f->reg, f->m, &o, &t, NULL), DMS_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(dms_reports_csv(t, DMS_CSV_RU, NULL, mem), DMS_OK);
    fclose(mem);
    assert_non_null(strstr(buf, "Подразделение;Сотрудники;"));
    assert_non_null(strstr(buf, "ИТ;<5;0;0;<5;<5;0\n"));
    free(buf);
    json_t *j = dms_reports_json(t, NULL);
    assert_non_null(j);
    json_t *row = json_array_get(json_object_get(j, "rows"), 1);
    assert_string_equal(json_string_value(json_object_get(row, "employees")), "<5");
    assert_int_equal(json_integer_value(json_object_get(j, "min_cell")), 5);
    json_decref(j);
    dms_table_free(t);
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_reports_by_name("salaries", f->reg, f->m, &o, &t, &err), DMS_ENOTFOUND);
    o.min_cell = -1;
    dms_error_clear(&err);
    assert_int_equal(dms_reports_insured(f->m, &o, &t, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/min_cell");
    o = year();
    o.to = o.from - 1;
    dms_error_clear(&err);
    assert_int_equal(dms_reports_expense(f->reg, f->m, &o, &t, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/from");
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insured),
        cmocka_unit_test(test_utilisation),
        cmocka_unit_test(test_manager_view),
        cmocka_unit_test(test_expense_clinics_limits_loss),
        cmocka_unit_test(test_encoders_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
