/*
 * Tests of the membership history and member-month exposure: full-year
 * members, mid-year joiners and leavers (calendar-month shares, leap
 * February), people who leave and come back, the window edges on both
 * sides, Russian and English headers, every CSV fault at its line:column,
 * and the matching of claim lines to members.
 */
#include "dms/exposure.h"

#include <limits.h>
#include <string.h>

#include "testutil.h"

static long D(int y, int m, int d)
{
    return dms_claims_days(y, m, d);
}

static dms_membership *parse_ok(const char *text)
{
    dms_diag *diag = NULL;
    dms_membership *m = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    int status = dms_membership_parse_csv(text, strlen(text), "m.csv", &m, diag);
    if (status != DMS_OK) {
        char buf[700];
        for (size_t i = 0; i < dms_diag_kept(diag); i++)
            print_error("%s\n", dms_error_format(dms_diag_get(diag, i), buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
    dms_diag_free(diag);
    return m;
}

static const char *history_ru =
    "\xEF\xBB\xBFТабельный номер;Связь;Дата рождения;Пол;Подразделение;Дата прикрепления;"
    "Дата открепления\r\n"
    "E1;сотрудник;01.02.1985;М;Продажи;01.05.2024;\r\n"      /* all 2025: 12 */
    "E2;сотрудник;10.10.1990;Ж;Продажи;16.04.2025;\r\n"      /* joiner: 8.5 */
    "E3;сотрудник;03.03.1970;М;ИТ;01.01.2024;15.03.2025\r\n" /* leaver: 2 + 15/31 */
    "E3;ребёнок;03.03.2015;М;ИТ;01.01.2024;15.03.2025\r\n"
    "E4;сотрудник;01.01.1980;Ж;ИТ;01.02.2025;28.02.2025\r\n"  /* one February: 1 */
    "E4;сотрудник;01.01.1980;Ж;ИТ;01.11.2025;\r\n"            /* back in November: 2 */
    "E5;сотрудник;01.01.1980;Ж;ИТ;01.01.2023;31.12.2024\r\n"; /* before the window: 0 */

static void test_member_months(void **state)
{
    (void)state;
    dms_membership *m = parse_ok(history_ru);
    assert_int_equal(m->count, 7);
    long from = D(2025, 1, 1), to = D(2025, 12, 31);
    assert_close(dms_exposure_member_months(&m->members[0], from, to), 12.0, 1e-12);
    assert_close(dms_exposure_member_months(&m->members[1], from, to), 8.5, 1e-12);
    assert_close(dms_exposure_member_months(&m->members[2], from, to), 2.0 + 15.0 / 31, 1e-12);
    assert_close(dms_exposure_member_months(&m->members[3], from, to), 2.0 + 15.0 / 31, 1e-12);
    assert_close(dms_exposure_member_months(&m->members[4], from, to), 1.0, 1e-12);
    assert_close(dms_exposure_member_months(&m->members[5], from, to), 2.0, 1e-12);
    assert_true(dms_exposure_member_months(&m->members[6], from, to) == 0.0);
    double total = dms_exposure_total(m, from, to, NULL, NULL);
    assert_close(total, 12 + 8.5 + 2 * (2 + 15.0 / 31) + 1 + 2, 1e-12);
    assert_string_equal(m->members[1].department, "Продажи");
    assert_true(m->members[0].detach_day == DMS_EXPOSURE_OPEN);
    assert_int_equal(m->members[3].relation, DMS_RELATION_CHILD);
    assert_int_equal(m->members[1].sex, DMS_SEX_FEMALE);
    assert_int_equal(m->members[1].line, 3);
    /* the window cuts: first quarter only */
    assert_close(dms_exposure_member_months(&m->members[1], from, D(2025, 3, 31)), 0.0, 0);
    assert_close(dms_exposure_member_months(&m->members[0], D(2025, 1, 16), D(2025, 3, 31)),
                 16.0 / 31 + 2, 1e-12); /* 16..31 January */
    /* reversed window */
    assert_true(dms_exposure_member_months(&m->members[0], to, from) == 0.0);
    dms_membership_free(m);
}

static void test_leap_february_and_day_edges(void **state)
{
    (void)state;
    dms_member x;
    memset(&x, 0, sizeof x);
    x.employee_id = "A";
    x.attach_day = D(2024, 2, 15);
    x.detach_day = D(2024, 2, 29);
    assert_close(dms_exposure_member_months(&x, D(2024, 1, 1), D(2024, 12, 31)), 15.0 / 29, 1e-12);
    /* one day on both sides of the window */
    x.attach_day = D(2024, 12, 31);
    x.detach_day = D(2025, 1, 1);
    assert_close(dms_exposure_member_months(&x, D(2025, 1, 1), D(2025, 12, 31)), 1.0 / 31, 1e-12);
    assert_close(dms_exposure_member_months(&x, D(2024, 1, 1), D(2024, 12, 31)), 1.0 / 31, 1e-12);
    assert_true(dms_exposure_attached(&x, D(2025, 1, 1)));
    assert_false(dms_exposure_attached(&x, D(2025, 1, 2)));
    assert_false(dms_exposure_attached(&x, D(2024, 12, 30)));
}

static void test_english_comma_header(void **state)
{
    (void)state;
    dms_membership *m = parse_ok("employee_id,relation,birth_date,attach_date,detach_date,"
                                 "policy_id,segment\n"
                                 "7,employee,1990-01-01,2025-01-01,,POL-7,young\n"
                                 "7,spouse,1991-01-01,2025-07-01,,POL-8,young\n");
    assert_int_equal(m->count, 2);
    assert_string_equal(m->members[1].policy_id, "POL-8");
    assert_int_equal(m->members[1].sex, -1);
    assert_close(dms_exposure_total(m, D(2025, 1, 1), D(2025, 12, 31), NULL, NULL), 18.0, 1e-12);
    dms_membership_free(m);
}

static void expect_error(const char *text, int line, int column, const char *fragment)
{
    dms_diag *diag = NULL;
    dms_membership *m = (dms_membership *)&m;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_membership_parse_csv(text, strlen(text), "m.csv", &m, diag), DMS_EPARSE);
    assert_null(m);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_non_null(e);
    if (e->line != line || e->column != column || strstr(e->message, fragment) == NULL)
        print_error("got %d:%d %s\n", e->line, e->column, e->message);
    assert_int_equal(e->line, line);
    assert_int_equal(e->column, column);
    assert_non_null(strstr(e->message, fragment));
    assert_string_equal(e->source, "m.csv");
    dms_diag_free(diag);
}

static void test_errors(void **state)
{
    (void)state;
    const char *h = "employee_id;relation;birth_date;attach_date;detach_date\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%sE1;employee;1990-01-01;2025-05-01;2025-04-30\n", h);
    expect_error(buf, 2, 35, "before the attach date");
    snprintf(buf, sizeof buf, "%sE1;employee;1990-01-01;2025-02-30;\n", h);
    expect_error(buf, 2, 24, "attach_date");
    snprintf(buf, sizeof buf, "%sE1;boss;1990-01-01;2025-02-01;\n", h);
    expect_error(buf, 2, 4, "unknown relation");
    snprintf(buf, sizeof buf, "%sE1;employee;1990-01-01;2025-02-01\n", h);
    expect_error(buf, 2, 34, "4 fields but the header has 5");
    expect_error("employee_id;relation;birth_date\n", 1, 1, "attach_date");
    expect_error("employee_id;relation;birth_date;attach_date;diagnosis\n", 1, 45,
                 "unknown column 'diagnosis'");
    expect_error("", 1, 1, "empty");
    /* every bad row is reported, not only the first */
    dms_diag *diag = NULL;
    dms_membership *m = NULL;
    snprintf(buf, sizeof buf, "%sE1;x;1990-01-01;2025-01-01;\n\nE2;y;1990-01-01;2025-01-01;\n", h);
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_membership_parse_csv(buf, strlen(buf), "m.csv", &m, diag), DMS_EPARSE);
    assert_int_equal(dms_diag_count(diag), 2);
    assert_int_equal(dms_diag_get(diag, 1)->line, 4);
    dms_diag_free(diag);
}

static void test_match_claims(void **state)
{
    (void)state;
    dms_membership *m = parse_ok(history_ru);
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.employee_id = "E3";
    l.policy_id = "";
    l.relation = DMS_RELATION_CHILD;
    l.birth_day = LONG_MIN;
    l.service_day = D(2025, 2, 1);
    assert_int_equal(dms_membership_match(m, &l), 3);
    l.relation = DMS_RELATION_SPOUSE;
    assert_int_equal(dms_membership_match(m, &l), -1);
    /* E4 has two periods: the one covering the service day wins */
    l.employee_id = "E4";
    l.relation = DMS_RELATION_EMPLOYEE;
    l.service_day = D(2025, 11, 20);
    assert_int_equal(dms_membership_match(m, &l), 5);
    l.service_day = D(2025, 2, 20);
    assert_int_equal(dms_membership_match(m, &l), 4);
    /* birth date given and different: no match */
    l.birth_day = D(1980, 1, 2);
    assert_int_equal(dms_membership_match(m, &l), -1);
    l.employee_id = "nobody";
    l.birth_day = LONG_MIN;
    assert_int_equal(dms_membership_match(m, &l), -1);
    char key[128];
    assert_string_equal(dms_member_person_key(&m->members[3], key, sizeof key),
                        "E:E3/child/2015-03-03");
    dms_membership_free(m);
}

static void test_build_by_hand(void **state)
{
    (void)state;
    dms_member x[2];
    memset(x, 0, sizeof x);
    x[0].employee_id = "A";
    x[0].policy_id = "P1";
    x[0].attach_day = D(2025, 1, 1);
    x[0].detach_day = DMS_EXPOSURE_OPEN;
    x[1] = x[0];
    x[1].employee_id = "B";
    x[1].policy_id = NULL;
    dms_membership *m = NULL;
    assert_int_equal(dms_membership_build(x, 2, &m), DMS_OK);
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.employee_id = "zzz";
    l.policy_id = "P1";
    assert_int_equal(dms_membership_match(m, &l), 0);
    dms_membership_free(m);
    x[1].detach_day = x[1].attach_day - 1;
    assert_int_equal(dms_membership_build(x, 2, &m), DMS_EINVAL);
    dms_membership_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_months),
        cmocka_unit_test(test_leap_february_and_day_edges),
        cmocka_unit_test(test_english_comma_header),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_match_claims),
        cmocka_unit_test(test_build_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
