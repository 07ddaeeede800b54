/*
 * Tests of the calendar (include/dms/date.h), against facts that do not
 * come from the code under test: known day numbers, a day-by-day walk from
 * 1900 to 2200 that must agree with dms_date_days and round-trip through
 * dms_date_civil and dms_date_format, the leap rule's centuries, and the
 * strict ISO reader on the texts the old hand-sliced parsers let through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dms/date.h"
#include "dms/model.h"

static void known_days(void **state)
{
    (void)state;
    assert_int_equal(dms_date_days(1970, 1, 1), 0);
    assert_int_equal(dms_date_days(2000, 3, 1), 11017);
    assert_int_equal(dms_date_days(1969, 12, 31), -1);
    assert_int_equal(dms_date_days(2026, 1, 1), 20454);
    assert_int_equal(dms_date_days(1900, 1, 1), -25567);
}

static void leap_rule(void **state)
{
    (void)state;
    assert_true(dms_date_leap(2024) && dms_date_leap(2000) && dms_date_leap(1600));
    assert_false(dms_date_leap(2026) || dms_date_leap(1900) || dms_date_leap(2100));
    assert_int_equal(dms_date_month_days(2024, 2), 29);
    assert_int_equal(dms_date_month_days(1900, 2), 28);
    assert_int_equal(dms_date_month_days(2026, 4), 30);
    assert_int_equal(dms_date_month_days(2026, 12), 31);
    assert_int_equal(dms_date_month_days(2026, 13), 0);
    assert_int_equal(dms_date_month_days(2026, 0), 0);
}

/* Walks every day 1900-01-01 .. 2200-12-31 by the month table alone. */
static void day_by_day(void **state)
{
    (void)state;
    long n = dms_date_days(1900, 1, 1);
    for (int y = 1900; y <= 2200; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= dms_date_month_days(y, m); d++, n++) {
                if (dms_date_days(y, m, d) != n)
                    fail_msg("%04d-%02d-%02d is day %ld, walked %ld", y, m, d,
                             dms_date_days(y, m, d), n);
                int cy, cm, cd;
                dms_date_civil(n, &cy, &cm, &cd);
                if (cy != y || cm != m || cd != d)
                    fail_msg("day %ld back as %d-%d-%d", n, cy, cm, cd);
                if (d == 1 || d == 28 || d == 29) {
                    char text[11], want[32];
                    snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                    assert_string_equal(dms_date_format(n, text), want);
                    int sy, sm, sd;
                    assert_true(dms_date_split(text, &sy, &sm, &sd));
                    assert_true(sy == y && sm == m && sd == d);
                    long parsed = 0;
                    assert_true(dms_date_parse(text, &parsed));
                    assert_int_equal(parsed, n);
                }
            }
}

static void strict_split(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-02-29", "2026-13-01",       "2026-00-10",  "2026-01-00",  "2026-04-31", "2026-1-05",
        "2026-01-5",  "26-01-05",         "2026/01/05",  "2026-01-05x", "2026-01-0",  "",
        "0000-01-01", "2026-01-05T00:00", " 2026-01-05", "+026-01-05",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int y = -1, m = -1, d = -1;
        if (dms_date_split(bad[i], &y, &m, &d))
            fail_msg("'%s' accepted", bad[i]);
        assert_true(y == 0 && m == 0 && d == 0);
    }
    int y, m, d;
    assert_false(dms_date_split(NULL, &y, &m, &d));
    assert_true(dms_date_split("2024-02-29", &y, &m, &d));
    assert_true(y == 2024 && m == 2 && d == 29);
    assert_true(dms_date_split("9999-12-31", &y, &m, &d));
}

static void months(void **state)
{
    (void)state;
    int y, m;
    dms_date_add_months(2026, 11, 3, &y, &m);
    assert_true(y == 2027 && m == 2);
    dms_date_add_months(2026, 1, -1, &y, &m);
    assert_true(y == 2025 && m == 12);
    dms_date_add_months(2026, 1, -13, &y, &m);
    assert_true(y == 2024 && m == 12);
    dms_date_add_months(2026, 12, 0, &y, &m);
    assert_true(y == 2026 && m == 12);
    assert_int_equal(dms_date_months_between("2026-01-31", "2026-03-01"), 2);
    assert_int_equal(dms_date_months_between("2026-01-01", "2026-12-31"), 11);
    assert_int_equal(dms_date_months_between("2026-03-15", "2025-12-01"), -3);
    assert_int_equal(dms_date_months_between("2026-03-15", "not a date"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_days),   cmocka_unit_test(leap_rule), cmocka_unit_test(day_by_day),
        cmocka_unit_test(strict_split), cmocka_unit_test(months),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
