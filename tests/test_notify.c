/*
 * Notifications, the pure core (notify.h): who each event goes to (an
 * employee's request only to the employee, never to HR), dedupe keys that
 * tell events apart and repeat for the same event and day, the wording in
 * Russian and English with exact money and dates, the backoff doubling
 * from 60 s to a one-hour ceiling, and the days the scheduler announces
 * (30/14/1 before the programme ends, 3 days before an invoice is due, the
 * day after it is overdue, 7/1 before a key expires) on both sides. HR's
 * digest of register changes counts people, not changes, per action, with
 * the days, thousands set apart, and reads as the per-person notice for one.
 * HR's digest of elections (HR no longer gets the employee's notice) counts
 * elections by the status reached with the Russian noun in the form its count
 * asks (1 выбор, 2 выбора, 5 выборов, 11, 21, 22, 25), names no one but for a
 * single change, and has a key of its own kind.
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
    assert_int_equal(dms_notify_recipients(&ins, to), 1); /* HR has the digest instead */
    assert_string_equal(to[0].role, "employee");
    dms_notify_event dig = {DMS_NOTIFY_INSURED_DIGEST, "", "", "", 0, 0, 0};
    assert_int_equal(dms_notify_recipients(&dig, to), 1);
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

/* Counts are of people: a person changed twice by one action counts once, a person with
 * two actions counts under each and once in the total; ids and days give the extremes. */
static void digest_counts_people(void **state)
{
    (void)state;
    long d1 = dms_claims_days(2026, 3, 1), d2 = dms_claims_days(2026, 2, 1);
    const dms_notify_change c[] = {
        {41, 7, 0, d1, "P-1"}, {17, 7, 0, d1, "P-2"}, {18, 7, 0, d1, "P-1"},
        {19, 7, 3, d2, "P-1"}, {20, 7, 1, d1, "P-3"}, {22, 7, 2, d1, "P-4"},
    };
    dms_notify_digest d;
    dms_error err;
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, c, 6, &d, &err), DMS_OK);
    assert_int_equal(d.changes, 6);
    assert_int_equal(d.people, 4);
    assert_int_equal(d.by_action[0], 2);
    assert_int_equal(d.by_action[1], 1);
    assert_int_equal(d.by_action[2], 1);
    assert_int_equal(d.by_action[3], 1);
    assert_int_equal(d.first_change, 17);
    assert_int_equal(d.last_change, 41);
    assert_int_equal(d.first_day, d2);
    assert_int_equal(d.last_day, d1);
    assert_int_equal(d.uploads, 1);
    assert_int_equal(d.upload, 7);
    char key[DMS_NOTIFY_KEY_MAX], subject[DMS_NOTIFY_SUBJECT_MAX], body[DMS_NOTIFY_BODY_MAX];
    assert_string_equal(dms_notify_digest_key(&d, key, sizeof key), "insured_digest:17-41");
    dms_notify_digest_compose(&d, "ООО «Ромашка»", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: изменения в списке застрахованных — 4 чел.");
    assert_string_equal(body,
                        "ООО «Ромашка»: изменения в списке застрахованных (загрузка 7), вступают "
                        "в силу с 01.02.2026 по 01.03.2026, людей: 4.\n"
                        "  включён — 2 чел.\n"
                        "  исключён — 1 чел.\n"
                        "  приостановлен — 1 чел.\n"
                        "  программа изменена — 1 чел.\n"
                        "ООО «Ромашка»: changes to the list of insured people (upload 7), "
                        "effective between 01.02.2026 and 01.03.2026, 4 people.\n"
                        "  included — 2\n"
                        "  excluded — 1\n"
                        "  suspended — 1\n"
                        "  programme changed — 1\n");
    /* Thousands are set apart, as in money. */
    enum { BIG = 10000 };
    dms_notify_change *many = calloc(BIG, sizeof *many);
    char(*pol)[16] = calloc(BIG, sizeof *pol);
    for (int i = 0; i < BIG; i++) {
        snprintf(pol[i], sizeof pol[i], "Q-%05d", i);
        many[i] = (dms_notify_change){1000 + i, 3, i % 10 == 0 ? 1 : 0, d1, pol[i]};
    }
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, many, BIG, &d, &err),
                     DMS_OK);
    dms_notify_digest_compose(&d, "X", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: изменения в списке застрахованных — 10 000 чел.");
    assert_non_null(strstr(body, "\n  включён — 9 000 чел.\n  исключён — 1 000 чел.\n"));
    assert_non_null(strstr(body, "\n  included — 9 000\n  excluded — 1 000\n"));
    free(many);
    free(pol);
    /* One change: the per-person wording, one line a language. */
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, &c[4], 1, &d, &err),
                     DMS_OK);
    assert_string_equal(dms_notify_digest_key(&d, key, sizeof key), "insured_digest:20-20");
    dms_notify_digest_compose(&d, "X", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: статус застрахованного P-3 — исключён");
    assert_string_equal(body, "X: застрахованный по полису P-3 — исключён с 01.03.2026.\n"
                              "X: insured person P-3 is now excluded from 01.03.2026.\n");
    /* Lone changes of two uploads; then the errors. */
    dms_notify_change two[] = {{5, 1, 0, d1, "A"}, {6, 2, 0, d1, "B"}};
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, two, 2, &d, &err), DMS_OK);
    assert_int_equal(d.uploads, 2);
    assert_int_equal(d.upload, 0);
    dms_notify_digest_compose(&d, "X", subject, sizeof subject, body, sizeof body);
    assert_non_null(strstr(body, "(загрузок: 2), вступают в силу с 01.03.2026, людей: 2."));
    assert_non_null(strstr(body, "(2 uploads), effective from 01.03.2026, 2 people."));
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, two, 0, &d, &err),
                     DMS_EINVAL);
    two[1].action = 4;
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, two, 2, &d, &err),
                     DMS_EINVAL);
}

/* The Russian noun after a count: 1 выбор, 2 выбора, 5 выборов, and the teens. */
static void russian_plurals(void **state)
{
    (void)state;
    const struct {
        unsigned long long n;
        const char *word;
    } cases[] = {{0, "выборов"},   {1, "выбор"},     {2, "выбора"},   {4, "выбора"},
                 {5, "выборов"},   {11, "выборов"},  {12, "выборов"}, {14, "выборов"},
                 {21, "выбор"},    {22, "выбора"},   {25, "выборов"}, {101, "выбор"},
                 {111, "выборов"}, {112, "выборов"}, {1001, "выбор"}, {10000, "выборов"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(dms_notify_plural_ru(cases[i].n, "выбор", "выбора", "выборов"),
                            cases[i].word);
}

/* HR no longer gets the employee's notice of an election; the employee's notice reads the
 * status in each language; HR's digest counts elections (one per employee) by the status
 * reached, a noun after each count in its form, and reads as one line for one change. */
static void election_digest(void **state)
{
    (void)state;
    dms_notify_recipient to[4];
    long d1 = dms_claims_days(2026, 1, 12), d2 = dms_claims_days(2026, 1, 14);
    dms_notify_event el = {DMS_NOTIFY_ELECTION_STATUS, "election", "100007", "submitted", d1, 0, 0};
    assert_int_equal(dms_notify_recipients(&el, to), 1);
    assert_string_equal(to[0].role, "employee");
    assert_string_equal(to[0].employee, "100007");
    dms_notify_event dig = {DMS_NOTIFY_ELECTION_DIGEST, "", "", "", 0, 0, 0};
    assert_int_equal(dms_notify_recipients(&dig, to), 1);
    assert_string_equal(to[0].role, "hr");
    assert_string_equal(dms_notify_kind_name(DMS_NOTIFY_ELECTION_DIGEST), "election_digest");
    char key[DMS_NOTIFY_KEY_MAX], subject[DMS_NOTIFY_SUBJECT_MAX], body[DMS_NOTIFY_BODY_MAX];
    dms_notify_compose(&el, "X", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: выбор программы — подана");
    assert_string_equal(body, "Статус вашего выбора программы ДМС: подана (12.01.2026).\n"
                              "Your DMS election is now submitted (12.01.2026).\n");
    /* 80 employees: 22 submitted, 25 accepted, 11 issued, 21 rejected, one back to draft;
     * E-0 submitted, withdrew (draft) and submitted again: 82 changes, 80 elections. */
    enum { N = 82 };
    dms_notify_change c[N];
    char who[80][16];
    for (int i = 0; i < 80; i++) {
        snprintf(who[i], sizeof who[i], "E-%d", i);
        int st = i < 22 ? 1 : i < 47 ? 2 : i < 58 ? 3 : i < 79 ? 4 : 0;
        c[i] = (dms_notify_change){500 + i, 0, st, i < 40 ? d1 : d2, who[i]};
    }
    c[80] = (dms_notify_change){498, 0, 1, d1, who[0]};
    c[81] = (dms_notify_change){499, 0, 0, d1, who[0]};
    dms_notify_digest d;
    dms_error err;
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_ELECTION_DIGEST, c, N, &d, &err), DMS_OK);
    assert_int_equal(d.changes, 82);
    assert_int_equal(d.people, 80);
    const size_t want[DMS_NOTIFY_STATUSES] = {2, 22, 25, 11, 21};
    for (int s = 0; s < DMS_NOTIFY_STATUSES; s++)
        assert_int_equal(d.by_action[s], want[s]);
    assert_string_equal(dms_notify_digest_key(&d, key, sizeof key), "election_digest:498-579");
    dms_notify_digest_compose(&d, "ООО «Ромашка»", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: выбор программы сотрудниками — 80 выборов");
    assert_string_equal(body,
                        "ООО «Ромашка»: выбор программы ДМС — изменения статуса с 12.01.2026 по "
                        "14.01.2026, выборов: 80, изменений: 82.\n"
                        "  «черновик» — 2 выбора\n"
                        "  «подана» — 22 выбора\n"
                        "  «принята» — 25 выборов\n"
                        "  «оформлена» — 11 выборов\n"
                        "  «отклонена» — 21 выбор\n"
                        "Кто именно — в списке выборов кабинета HR.\n"
                        "ООО «Ромашка»: DMS elections — status changes between 12.01.2026 and "
                        "14.01.2026, 80 elections, 82 changes.\n"
                        "  draft — 2 elections\n"
                        "  submitted — 22 elections\n"
                        "  accepted — 25 elections\n"
                        "  issued — 11 elections\n"
                        "  rejected — 21 elections\n"
                        "Who exactly: the list of elections in the HR cabinet.\n");
    for (int i = 0; i < 80; i++)
        assert_null(strstr(body, who[i])); /* no one by id */
    /* One employee, two changes on one day: 1 выбор, in each status reached. */
    dms_notify_change one[] = {{7, 0, 1, d1, "100007"}, {9, 0, 2, d1, "100007"}};
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_ELECTION_DIGEST, one, 2, &d, &err), DMS_OK);
    dms_notify_digest_compose(&d, "X", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: выбор программы сотрудниками — 1 выбор");
    assert_string_equal(body, "X: выбор программы ДМС — изменения статуса за 12.01.2026, "
                              "выборов: 1, изменений: 2.\n"
                              "  «подана» — 1 выбор\n"
                              "  «принята» — 1 выбор\n"
                              "Кто именно — в списке выборов кабинета HR.\n"
                              "X: DMS elections — status changes on 12.01.2026, 1 election, 2 "
                              "changes.\n"
                              "  submitted — 1 election\n"
                              "  accepted — 1 election\n"
                              "Who exactly: the list of elections in the HR cabinet.\n");
    /* One change: one line each language, naming the employee as HR's list does. */
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_ELECTION_DIGEST, one, 1, &d, &err), DMS_OK);
    assert_string_equal(dms_notify_digest_key(&d, key, sizeof key), "election_digest:7-7");
    dms_notify_digest_compose(&d, "X", subject, sizeof subject, body, sizeof body);
    assert_string_equal(subject, "ДМС: выбор программы сотрудника 100007 — подана");
    assert_string_equal(body, "X: выбор программы ДМС сотрудника 100007 — «подана» (12.01.2026).\n"
                              "X: the DMS election of employee 100007 is now submitted "
                              "(12.01.2026).\n");
    /* The same ids make the register's digest another key; errors. */
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_INSURED_DIGEST, one, 1, &d, &err), DMS_OK);
    assert_string_equal(dms_notify_digest_key(&d, key, sizeof key), "insured_digest:7-7");
    one[1].action = DMS_NOTIFY_STATUSES;
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_ELECTION_DIGEST, one, 2, &d, &err),
                     DMS_EINVAL);
    assert_int_equal(dms_notify_digest_count(DMS_NOTIFY_ELECTION_STATUS, one, 1, &d, &err),
                     DMS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recipients_and_keys),  cmocka_unit_test(schedule),
        cmocka_unit_test(digest_counts_people), cmocka_unit_test(russian_plurals),
        cmocka_unit_test(election_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
