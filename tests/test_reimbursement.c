/*
 * Reimbursement requests, the pure core (reimbursement.h): the status
 * machine over every pair of statuses against the table of the issue (and
 * that every status is reachable from подано and paid/rejected are final);
 * the checks on a move (a rejection needs a reason, an approval an amount
 * within the claim); a new request's checks on both sides of each bound;
 * documents recognised by content: a PDF, JPEG and PNG accepted, a Windows
 * executable renamed report.pdf refused, a truncated PDF refused, the size
 * limit on both sides; and counts by status with small cells hidden and a
 * second one hidden beside a lone hidden count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/claims.h"
#include "dms/reimbursement.h"
#include "dms/suppress.h"

#define S(x) DMS_REIMB_##x

static void machine(void **state)
{
    (void)state;
    /* allowed[from][to] as the issue draws it. */
    static const bool allowed[6][6] = {
        /* submitted */ {0, 1, 0, 0, 0, 0},
        /* review */ {0, 0, 1, 1, 0, 1},
        /* documents_requested */ {0, 1, 0, 0, 0, 1},
        /* approved */ {0, 0, 0, 0, 1, 0},
        /* paid */ {0, 0, 0, 0, 0, 0},
        /* rejected */ {0, 0, 0, 0, 0, 0},
    };
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            assert_int_equal(dms_reimb_can_move((enum dms_reimb_status)a, (enum dms_reimb_status)b),
                             allowed[a][b]);
    /* Every status reachable from submitted. */
    bool seen[6] = {true};
    for (int round = 0; round < 6; round++)
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                if (seen[a] && allowed[a][b])
                    seen[b] = true;
    for (int i = 0; i < 6; i++)
        assert_true(seen[i]);
    assert_true(dms_reimb_is_final(S(PAID)) && dms_reimb_is_final(S(REJECTED)));
    assert_false(dms_reimb_is_final(S(APPROVED)));
    enum dms_reimb_status s;
    assert_true(dms_reimb_status_from_text("запрошены документы", &s));
    assert_int_equal(s, S(DOCUMENTS_REQUESTED));
    assert_true(dms_reimb_status_from_text("Approved", &s));
    assert_int_equal(s, S(APPROVED));
    assert_false(dms_reimb_status_from_text("closed", &s));
    assert_string_equal(dms_reimb_status_name_ru(S(PAID)), "выплачено");

    dms_error err;
    assert_int_equal(dms_reimb_check_move(S(SUBMITTED), S(PAID), "", 100, 100, &err),
                     DMS_ECONFLICT);
    assert_non_null(strstr(err.message, "bad_transition"));
    assert_int_equal(dms_reimb_check_move(S(REVIEW), S(REJECTED), "", 100, 0, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/comment");
    assert_int_equal(
        dms_reimb_check_move(S(REVIEW), S(REJECTED), "не страховой случай", 100, 0, &err), DMS_OK);
    assert_int_equal(dms_reimb_check_move(S(REVIEW), S(APPROVED), NULL, 100, 101, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/approved_amount");
    assert_int_equal(dms_reimb_check_move(S(REVIEW), S(APPROVED), NULL, 100, 0, &err), DMS_EINVAL);
    assert_int_equal(dms_reimb_check_move(S(REVIEW), S(APPROVED), NULL, 100, 100, &err), DMS_OK);
    assert_int_equal(dms_reimb_check_move(S(APPROVED), S(PAID), NULL, 100, 0, &err), DMS_OK);
}

static void requests(void **state)
{
    (void)state;
    long today = dms_claims_days(2026, 1, 20);
    dms_reimb_request r = {today, "Стоматология", 450000, "Клиника «Улыбка»", "K02.1"};
    const char *module = NULL;
    dms_error err;
    assert_int_equal(dms_reimb_check_request(&r, today, &module, &err), DMS_OK);
    assert_string_equal(module, "dental");
    r.service_day = today + 1;
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/service_date");
    r.service_day = today;
    r.category = "массаж лица";
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/category");
    r.category = "АПП";
    r.amount = 0;
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_EINVAL);
    r.amount = DMS_REIMB_MAX_AMOUNT;
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_OK);
    r.amount = DMS_REIMB_MAX_AMOUNT + 1;
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_EINVAL);
    r.amount = 100;
    r.clinic = "";
    assert_int_equal(dms_reimb_check_request(&r, today, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/clinic");
}

static void documents(void **state)
{
    (void)state;
    static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0,    16,  'J',
                                         'F',  'I',  'F',  0,    0xFF, 0xD9};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,
                                        0,    0,   'I', 'E', 'N',  'D',  0xAE, 0x42, 0x60, 0x82};
    /* A Windows executable (MZ ... PE) whatever it is called. */
    static const unsigned char exe[] = {'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 'P', 'E', 0, 0};
    enum dms_reimb_doc_kind kind;
    dms_error err;
    assert_int_equal(dms_reimb_doc_check(pdf, sizeof pdf - 1, &kind, &err), DMS_OK);
    assert_int_equal(kind, DMS_REIMB_DOC_PDF);
    assert_int_equal(dms_reimb_doc_check(jpeg, sizeof jpeg, &kind, &err), DMS_OK);
    assert_int_equal(kind, DMS_REIMB_DOC_JPEG);
    assert_int_equal(dms_reimb_doc_check(png, sizeof png, &kind, &err), DMS_OK);
    assert_int_equal(kind, DMS_REIMB_DOC_PNG);
    assert_string_equal(dms_reimb_doc_media_type(kind), "image/png");
    assert_int_equal(dms_reimb_doc_check(exe, sizeof exe, &kind, &err), DMS_EINVAL);
    assert_non_null(strstr(err.message, "bad_document_type"));
    assert_int_equal(dms_reimb_doc_check(pdf, 20, &kind, &err), DMS_EINVAL); /* truncated */
    assert_int_equal(dms_reimb_doc_check(pdf, 0, &kind, &err), DMS_EINVAL);
    /* The limit on both sides. */
    size_t max = DMS_REIMB_DOC_MAX_BYTES;
    char *big = calloc(max + 1, 1);
    memcpy(big, "%PDF-", 5);
    memcpy(big + max - 6, "%%EOF\n", 6);
    assert_int_equal(dms_reimb_doc_check(big, max, &kind, &err), DMS_OK);
    memcpy(big + max - 5, "%%EOF\n", 6);
    assert_int_equal(dms_reimb_doc_check(big, max + 1, &kind, &err), DMS_ETOOBIG);
    free(big);
}

static long sum6(const long *c)
{
    return c[0] + c[1] + c[2] + c[3] + c[4] + c[5];
}

/* The requests summary uses the shared suppression (dms_suppress_counts). */
static void counts(void **state)
{
    (void)state;
    bool hidden[DMS_REIMB_STATUS_COUNT], total_hidden;
    long a[6] = {12, 3, 0, 7, 9, 0};
    assert_int_equal(dms_suppress_counts(sum6(a), a, 6, 5, &total_hidden, hidden, NULL), DMS_OK);
    /* 3 is small; alone it would be 31 − 28, so 7 (the smallest visible) goes too. */
    assert_true(hidden[1] && hidden[3]);
    assert_false(hidden[0] || hidden[2] || hidden[4] || hidden[5] || total_hidden);
    long b[6] = {12, 3, 0, 2, 9, 0};
    assert_int_equal(dms_suppress_counts(sum6(b), b, 6, 5, &total_hidden, hidden, NULL), DMS_OK);
    assert_true(hidden[1] && hidden[3]);
    assert_false(hidden[0] || hidden[4]);
    long c[6] = {3, 0, 0, 0, 0, 0};
    assert_int_equal(dms_suppress_counts(sum6(c), c, 6, 5, &total_hidden, hidden, NULL), DMS_OK);
    assert_true(hidden[0] && total_hidden);
    long d[6] = {0, 0, 0, 0, 0, 0};
    assert_int_equal(dms_suppress_counts(sum6(d), d, 6, 5, &total_hidden, hidden, NULL), DMS_OK);
    assert_false(hidden[0] || total_hidden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(machine),
        cmocka_unit_test(requests),
        cmocka_unit_test(documents),
        cmocka_unit_test(counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
