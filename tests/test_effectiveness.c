/*
 * Effectiveness and ROI tests on a group built by hand (12 employees in two
 * departments, every figure computable on paper): usage share, cases per
 * 1,000 member-years, cost per case, sick days, the ROI formula, the NPS,
 * small-cell suppression with the pilot and the rest hidden together, and
 * the HR file parser's faults at line:column.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "dms/effectiveness.h"

typedef struct fixture {
    dms_membership *m;
    dms_register *reg;
    dms_hr_file *hr;
} fixture;

static const char *const ids[12] = {"A1", "A2", "A3", "A4", "A5", "A6",
                                    "B1", "B2", "B3", "B4", "B5", "B6"};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dms_member mem[12];
    memset(mem, 0, sizeof mem);
    for (int i = 0; i < 12; i++) {
        mem[i].employee_id = ids[i];
        mem[i].policy_id = ids[i];
        mem[i].department = i < 6 ? "A" : "B";
        mem[i].segment = "";
        mem[i].relation = DMS_RELATION_EMPLOYEE;
        mem[i].sex = 0;
        mem[i].birth_day = dms_claims_days(1990, 1, 1);
        mem[i].attach_day = dms_claims_days(2025, 1, 1);
        mem[i].detach_day = DMS_EXPOSURE_OPEN;
    }
    assert_int_equal(dms_membership_build(mem, 12, &f->m), DMS_OK);
    assert_int_equal(dms_register_alloc(&f->reg), DMS_OK);
    /* A1..A5: two claims of 1,000 RUB each; B1, B2: one claim of 4,000 RUB. */
    char claim[16];
    int n = 0;
    for (int i = 0; i < 7; i++)
        for (int k = 0; k < (i < 5 ? 2 : 1); k++) {
            snprintf(claim, sizeof claim, "C%02d", n++);
            dms_claim_line l;
            memset(&l, 0, sizeof l);
            l.claim_id = claim;
            l.policy_id = ids[i < 5 ? i : i + 1];
            l.employee_id = l.policy_id;
            l.clinic = "";
            l.category = "outpatient";
            l.module = "outpatient";
            l.relation = DMS_RELATION_EMPLOYEE;
            l.visit_day = l.service_day = dms_claims_days(2025, 3, 1 + k);
            l.birth_day = dms_claims_days(1990, 1, 1);
            l.billed = l.paid = i < 5 ? 100000 : 400000;
            l.status = DMS_CLAIM_PAID;
            assert_int_equal(dms_register_append(f->reg, &l), DMS_OK);
            /* A second line of the same claim: one case, not two. */
            if (i == 0 && k == 0) {
                l.paid = l.billed = 50000;
                assert_int_equal(dms_register_append(f->reg, &l), DMS_OK);
            }
        }
    /* Sick days: A: 10 before, 6 after; B: 8 before, 8 after; A6 and B6 left. */
    char text[1024] = "Табельный номер;Больничные до;Больничные после;Уволился\n";
    for (int i = 0; i < 12; i++) {
        char row[64];
        snprintf(row, sizeof row, "%s;%d;%d;%s\n", ids[i], i < 6 ? 10 : 8, i < 6 ? 6 : 8,
                 i == 5 || i == 11 ? "да" : "нет");
        strcat(text, row);
    }
    strcat(text, "Z9;1;1;нет\n"); /* not insured: not counted */
    assert_int_equal(dms_hr_parse_csv(text, strlen(text), "hr.csv", &f->hr, NULL), DMS_OK);
    assert_int_equal(f->hr->count, 13);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dms_hr_free(f->hr);
    dms_register_free(f->reg);
    dms_membership_free(f->m);
    free(f);
    return 0;
}

static double num(const dms_table *t, size_t r, size_t c)
{
    const dms_cell *cell = dms_table_cell(t, r, c);
    assert_non_null(cell);
    assert_int_not_equal(cell->kind, DMS_CELL_SUPPRESSED);
    return cell->value;
}

static bool hidden(const dms_table *t, size_t r, size_t c)
{
    return dms_table_cell(t, r, c)->kind == DMS_CELL_SUPPRESSED;
}

static dms_effect_options year(void)
{
    dms_effect_options o = dms_effect_options_default();
    o.from = dms_claims_days(2025, 1, 1);
    o.to = dms_claims_days(2025, 12, 31);
    return o;
}

static void test_by_hand(void **state)
{
    fixture *f = *state;
    dms_effect_options o = year();
    o.programme_cost = 600000;
    o.sick_day_cost = 5000;
    o.replacement_cost = 100000;
    o.turnover_before = 0.25;
    static const unsigned long answers[DMS_NPS_SCALE] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    o.has_nps = true;
    memcpy(o.nps, answers, sizeof answers);
    dms_table *t = NULL;
    dms_effect_nps nps;
    dms_effect_roi roi;
    assert_int_equal(dms_effect_compute(f->reg, f->m, f->hr, &o, &t, &nps, &roi, NULL), DMS_OK);
    assert_int_equal(t->nrows, 1);
    /* 12 insured the whole year, 7 used it: 7 / 12. */
    assert_true(num(t, 0, 1) == 12);
    assert_close(num(t, 0, 2), 12.0, 1e-12);
    assert_true(num(t, 0, 3) == 7);
    assert_close(num(t, 0, 4), 7.0 / 12.0, 1e-15);
    /* 12 cases (the two-line claim counts once): 1,000 per 1,000 member-years;
     * paid 10 x 1,000 + 500 + 2 x 4,000 = 18,500 RUB: 1,541.67 per case. */
    assert_true(num(t, 0, 5) == 12);
    assert_close(num(t, 0, 6), 1000.0, 1e-12);
    assert_close(num(t, 0, 7), 18500.0 / 12.0, 1e-12);
    /* HR: 12 employees found (Z9 is not insured); sick days 9 before, 7 after. */
    assert_true(num(t, 0, 8) == 12);
    assert_close(num(t, 0, 9), 9.0, 1e-15);
    assert_close(num(t, 0, 10), 7.0, 1e-15);
    assert_true(hidden(t, 0, 11)); /* 2 leavers: fewer than 5 people */
    /* ROI = ((9 - 7) x 12 x 5,000 + (0.25 - 2/12) x 12 x 100,000 - 600,000) / 600,000
     *     = (120,000 + 100,000 - 600,000) / 600,000 = -0.6333. */
    assert_true(roi.computed);
    assert_close(roi.sick_savings, 120000.0, 1e-12);
    assert_close(roi.turnover_after, 2.0 / 12.0, 1e-15);
    assert_close(roi.turnover_savings, 100000.0, 1e-12);
    assert_close(roi.net, -380000.0, 1e-12);
    assert_close(roi.roi, -380000.0 / 600000.0, 1e-12);
    /* NPS: 2 promoters, 2 passives, 1 detractor of 5: 20. */
    assert_int_equal(nps.respondents, 5);
    assert_false(nps.suppressed);
    assert_close(nps.nps, 20.0, 1e-12);
    json_t *j = dms_report_effect(t, &nps, &roi, NULL);
    assert_non_null(j);
    assert_close(json_real_value(json_object_get(json_object_get(j, "roi"), "net")), -380000.0,
                 1e-12);
    json_decref(j);
    dms_table_free(t);
    /* Four answers are too few. */
    o.nps[10] = 0;
    assert_int_equal(dms_effect_compute(f->reg, f->m, f->hr, &o, &t, &nps, &roi, NULL), DMS_OK);
    assert_true(nps.suppressed);
    assert_true(isnan(nps.nps));
    dms_table_free(t);
}

static void test_pilot_and_suppression(void **state)
{
    fixture *f = *state;
    dms_effect_options o = year();
    o.pilot = "A";
    dms_table *t = NULL;
    dms_effect_nps nps;
    dms_effect_roi roi;
    assert_int_equal(dms_effect_compute(f->reg, f->m, f->hr, &o, &t, &nps, &roi, NULL), DMS_OK);
    assert_int_equal(t->nrows, 3);
    /* Pilot A: 6 members, 5 users; rest B: 6 members, 2 users (< 5). */
    assert_true(num(t, 1, 1) == 6 && num(t, 2, 1) == 6);
    assert_close(num(t, 1, 2), 6.0, 1e-12);
    /* The rest's users and all that rests on them are hidden, and so are the
     * pilot's, which all - pilot would otherwise give back. */
    for (size_t c = 3; c <= 7; c++) {
        assert_true(hidden(t, 2, c));
        assert_true(hidden(t, 1, c));
    }
    /* The whole group still shows them. */
    assert_true(num(t, 0, 3) == 7);
    /* Sick days by department: A 10 -> 6, B 8 -> 8, 6 employees each. */
    assert_close(num(t, 1, 9), 10.0, 1e-15);
    assert_close(num(t, 1, 10), 6.0, 1e-15);
    assert_close(num(t, 2, 10), 8.0, 1e-15);
    assert_true(t->suppressed > 0);
    dms_table_free(t);
    /* A threshold of 1 hides nothing. */
    o.min_cell = 1;
    assert_int_equal(dms_effect_compute(f->reg, f->m, f->hr, &o, &t, &nps, &roi, NULL), DMS_OK);
    assert_true(num(t, 2, 3) == 2);
    assert_true(num(t, 1, 3) == 5);
    assert_true(num(t, 1, 5) == 10 && num(t, 2, 5) == 2);
    assert_int_equal(t->suppressed, 0);
    dms_table_free(t);
    /* No HR file: no sick days and no ROI. */
    assert_int_equal(dms_effect_compute(f->reg, f->m, NULL, &o, &t, &nps, &roi, NULL), DMS_OK);
    assert_false(roi.computed);
    assert_int_equal(dms_table_cell(t, 0, 9)->kind, DMS_CELL_EMPTY);
    dms_table_free(t);
    o.to = o.from - 1;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_effect_compute(f->reg, f->m, NULL, &o, &t, &nps, &roi, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/from");
}

static void test_hr_faults(void **state)
{
    (void)state;
    dms_diag *d = NULL;
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    static const char bad[] = "employee_id;sick_days_before;left\n"
                              "1;400;no\n"
                              "2;3;maybe\n"
                              ";3;no\n";
    dms_hr_file *hr = NULL;
    assert_int_equal(dms_hr_parse_csv(bad, strlen(bad), "hr.csv", &hr, d), DMS_EPARSE);
    assert_null(hr);
    assert_int_equal(dms_diag_count(d), 3);
    const dms_error *e = dms_diag_get(d, 0);
    assert_int_equal(e->line, 2);
    assert_int_equal(e->column, 3);
    assert_int_equal(dms_diag_get(d, 1)->line, 3);
    assert_int_equal(dms_diag_get(d, 2)->line, 4);
    dms_diag_free(d);
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    static const char cols[] = "employee_id;colour\n1;red\n";
    assert_int_equal(dms_hr_parse_csv(cols, strlen(cols), "hr.csv", &hr, d), DMS_EPARSE);
    assert_int_equal(dms_diag_get(d, 0)->column, 13);
    dms_diag_free(d);
    static const char en[] = "\xEF\xBB\xBF"
                             "Employee_ID,Sick_days_after,Left\n7,\"2,5\",YES\n";
    assert_int_equal(dms_hr_parse_csv(en, strlen(en), "hr.csv", &hr, NULL), DMS_OK);
    assert_int_equal(hr->count, 1);
    assert_string_equal(hr->rows[0].employee_id, "7");
    assert_close(hr->rows[0].sick_days_after, 2.5, 1e-15);
    assert_true(hr->rows[0].left);
    dms_hr_free(hr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_pilot_and_suppression),
        cmocka_unit_test(test_hr_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
