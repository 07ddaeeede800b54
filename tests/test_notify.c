/*
 * Notifications, the pure core (notify.h): who each event goes to (an
 * employee's request only to the employee, never to HR), dedupe keys that
 * tell events apart and repeat for the same event and day, the wording in
 * Russian and English with exact money and dates, the backoff doubling
 * from 60 s to a one-hour ceiling, and the days the scheduler announces
 * (30/14/1 before the programme ends, 3 days before an invoice is due, the
 * day after it is overdue, 7/1 before a key expires) on both sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/claims.h"
#include "dms/notify.h"

static void recipients_and_keys(void **state)
{
    (void)state;
    dms_notify_recipient to[4];
    dms_notify_event req = {DMS_NOTIFY_REQUEST_STATUS,    "R-3", "100007", "одобрено",
                            dms_claims_days(2026, 1, 20), 0,     0};
    assert_int_equal(dms_notify_recipients(&req, to), 1);
    assert_string_equal(to[0].role, "employee");
    assert_string_equal(to[0].employee, "100007");
    dms_notify_event ins = {DMS_NOTIFY_INSURED_STATUS,   "Q-001", "100007", "включён",
                            dms_claims_days(2026, 1, 1), 0,       0};
    assert_int_equal(dms_notify_recipients(&ins, to), 2);
    assert_string_equal(to[0].role, "hr");
    dms_notify_event inv = {DMS_NOTIFY_INVOICE_OVERDUE,   "СЧ-1-2", "",     "",
                            dms_claims_days(2026, 2, 11), 0,        2560000};
    assert_int_equal(dms_notify_recipients(&inv, to), 2);
    assert_string_equal(to[0].role, "finance");
    char a[DMS_NOTIFY_KEY_MAX], b[DMS_NOTIFY_KEY_MAX];
    assert_string_equal(dms_notify_key(&req, a, sizeof a),
                        "request_status:R-3:одобрено:2026-01-20");
    req.status = "выплачено";
    assert_string_not_equal(dms_notify_key(&req, b, sizeof b), a);

    char subject[DMS_NOTIFY_SUBJECT_MAX], body[DMS_NOTIFY_BODY_MAX];
    dms_notify_compose(&inv, "ООО «Ромашка»", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: счёт СЧ-1-2 просрочен");
    assert_non_null(strstr(body, "к оплате 25 600,00 ₽"));
    assert_non_null(
        strstr(body, "invoice СЧ-1-2 is overdue (due 11.02.2026), 25 600,00 ₽ open"));
    dms_notify_compose(&req, "", subject, sizeof subject, body, sizeof body);
    assert_non_null(strstr(body, "request R-3 is now: paid"));
}

static void schedule(void **state)
{
    (void)state;
    assert_int_equal(dms_notify_backoff(1), 60);
    assert_int_equal(dms_notify_backoff(2), 120);
    assert_int_equal(dms_notify_backoff(6), 1920);
    assert_int_equal(dms_notify_backoff(7), 3600);
    assert_int_equal(dms_notify_backoff(50), 3600);
    long end = dms_claims_days(2026, 12, 31), left = 0;
    for (long d = end - 40; d <= end + 1; d++) {
        bool due = dms_notify_programme_due(end, d, &left);
        assert_int_equal(due, left == 30 || left == 14 || left == 1);
    }
    assert_true(dms_notify_programme_due(end, dms_claims_days(2026, 12, 1), &left));
    assert_int_equal(left, 30);
    long due = dms_claims_days(2026, 2, 11);
    assert_true(dms_notify_invoice_due(due, due - 3));
    assert_false(dms_notify_invoice_due(due, due - 2) || dms_notify_invoice_due(due, due - 4));
    assert_true(dms_notify_invoice_overdue(due, due + 1));
    assert_false(dms_notify_invoice_overdue(due, due) || dms_notify_invoice_overdue(due, due + 2));
    assert_true(dms_notify_key_due(due, due - 7, &left) && left == 7);
    assert_false(dms_notify_key_due(due, due - 6, &left));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recipients_and_keys),
        cmocka_unit_test(schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
