/*
 * HR's digest of the register's changes, through the store (SQLite, and
 * PostgreSQL when run-tests.sh says so). Two employers share the database.
 * A bulk upload of N people to the first gives exactly one notice to its HR,
 * with "включён — N чел." in Russian and English, and N notices to the
 * employees, one each; the second employer's upload of 4 gives its own HR
 * one digest naming neither the other employer nor its count. A second scan
 * queues nothing, and neither does a scan after every change lost its
 * notified mark (the worst a restore could do): the keys are stable.
 * An upload mixing detach, suspend and programme changes on two days is one
 * digest with each count and both days; a lone change is one two-line notice
 * naming the policy as the per-person notice did; two lone changes found by
 * one scan are one digest of two uploads. Elections: nine employees of one
 * employer and two of the other changing status on two days give each
 * employee their own notice and each HR one digest with exact counts by
 * status reached (before, HR got one notice per status and day in the
 * employee's words, the other submissions dropped); rescans queue nothing.
 * On PostgreSQL two writers commit
 * out of the order of their ids (A writes the lower one and stays open while
 * B writes the higher one and commits; a scan; A commits; a scan), for the
 * register and for the elections: every change reaches its people exactly
 * once and a third scan queues nothing. On SQLite a second writer cannot
 * begin while the first one's write is open. Two scans at once (one inside a
 * transaction still open on another connection) never queue a notice twice.
 * Migration 13 marks what the cursors of migration 12 had read and leaves the
 * rest to be notified once, also in a database copied from another cluster,
 * whose old transaction ids had stalled every cursor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/notify_store.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/sql.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
#include "run_command.h"
#include "store_target.h"
#include "testutil.h"

static char dir[64], db[256];
static dms_store *store;
static long emp_a, emp_b;
static int bulk = 300; /* people in the bulk upload; the census has 333 employees */
static char employees[400][16];
static size_t nemployees;

#define HEADER "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;Программа\n"

/* Applies the register template text to employer as one upload, on connection s. */
static void submit_on(dms_store *s, long employer, const char *text)
{
    dms_error err;
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    long today = 0;
    dms_store_tenant_set(s, employer);
    assert_int_equal(
        dms_insured_template_read(text, strlen(text), DMS_INSURED_CSV, "t.csv", &batch, &err),
        DMS_OK);
    assert_true(dms_date_parse("2026-01-01", &today));
    dms_register_submit opts = {
        .author = "test", .source = "t.csv", .today = today, .retro_days = 3660};
    assert_int_equal(dms_register_store_submit(s, batch, &opts, &outcome, NULL, NULL, &err),
                     DMS_OK);
    if (!outcome->ok) {
        json_t *j = dms_insured_outcome_json(outcome);
        char *issues = json_dumps(j, 0);
        fprintf(stderr, "refused: %s\n", issues);
        free(issues);
        json_decref(j);
    }
    assert_true(outcome->ok);
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
}

static void submit(long employer, const char *text)
{
    submit_on(store, employer, text);
}

static size_t scan(void)
{
    dms_error err;
    long today = 0;
    size_t created = 99999;
    assert_true(dms_date_parse("2026-01-02", &today));
    assert_int_equal(dms_notify_store_scan(store, today, &created, &err), DMS_OK);
    return created;
}

/* The inbox of role (employee id or NULL) at employer, newest first. */
static dms_notification *inbox(long employer, const char *role, const char *employee, size_t *n)
{
    dms_error err;
    dms_notification *v = NULL;
    dms_store_tenant_set(store, employer);
    assert_int_equal(dms_notify_store_inbox(store, role, employee, 10000, &v, n, &err), DMS_OK);
    return v;
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        bulk = 60;
    if (test_temp_dir(dir, sizeof dir, "notify_store") != 0 ||
        store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    dms_error err;
    if (dms_store_open(db, &store, &err) != DMS_OK)
        return -1;
    json_t *policy = NULL;
    FILE *f = fopen("examples/census/midsize-450.csv", "rb");
    char *census = f != NULL ? slurp_fd(f) : NULL;
    if (f != NULL)
        fclose(f);
    if (census == NULL ||
        dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err) != DMS_OK)
        return -1;
    const char *names[2] = {"ООО «Альфа»", "ООО «Бета»"};
    long *ids[2] = {&emp_a, &emp_b};
    for (int e = 0; e < 2; e++) {
        if (dms_tenant_employer_create(store, names[e], NULL, "test", ids[e], &err) != DMS_OK)
            return -1;
        dms_store_tenant_set(store, *ids[e]);
        if (dms_enrol_import(store, policy, census, strlen(census), "test", NULL, &err) != DMS_OK)
            return -1;
    }
    /* The employees' ids, from the census lines "id,employee,...". */
    for (char *line = strchr(census, '\n'); line != NULL && nemployees < 400;
         line = strchr(line + 1, '\n')) {
        char id[16];
        int end = 0; /* set only when the literal ",employee," matched too */
        if (sscanf(line + 1, "%15[0-9],employee,%n", id, &end) == 1 && end > 0)
            snprintf(employees[nemployees++], sizeof employees[0], "%s", id);
    }
    json_decref(policy);
    free(census);
    return nemployees >= 320 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dms_store_close(store);
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

/* A template attaching people first .. first + n - 1 of the census as policy prefix-K. */
static char *attach(const char *prefix, int first, int n)
{
    size_t size = 64 + (size_t)n * 128;
    char *t = malloc(size);
    size_t used = (size_t)snprintf(t, size, "%s", HEADER);
    for (int i = first; i < first + n; i++)
        used += (size_t)snprintf(t + used, size - used,
                                 "прикрепить;01.01.2026;%s-%d;%s;Человек %d;young\n", prefix, i,
                                 employees[i], i);
    return t;
}

static void bulk_upload_is_one_digest_per_employer(void **state)
{
    (void)state;
    char *a = attach("A", 0, bulk), *b = attach("B", 0, 4);
    submit(emp_a, a);
    submit(emp_b, b);
    free(a);
    free(b);
    /* N + 4 employee notices, one digest for each employer's HR. */
    assert_int_equal(scan(), (size_t)bulk + 4 + 2);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].kind, "insured_digest");
    char want[160];
    snprintf(want, sizeof want, "ДМС: изменения в списке застрахованных — %d чел.", bulk);
    assert_string_equal(v[0].subject, want);
    snprintf(want, sizeof want, "\n  включён — %d чел.\n", bulk);
    assert_non_null(strstr(v[0].body, want));
    snprintf(want, sizeof want, "\n  included — %d\n", bulk);
    assert_non_null(strstr(v[0].body, want));
    assert_non_null(strstr(v[0].body, "ООО «Альфа»: изменения в списке застрахованных "
                                      "(загрузка 1), вступают в силу с 01.01.2026"));
    assert_null(strstr(v[0].body, "Бета"));
    assert_null(strstr(v[0].body, "исключён"));
    assert_null(strstr(v[0].body, "Человек")); /* no one by name */
    free(v);
    v = inbox(emp_b, "hr", NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 4 чел.");
    assert_non_null(strstr(v[0].body, "ООО «Бета»: изменения в списке застрахованных "
                                      "(загрузка 2)"));
    assert_non_null(strstr(v[0].body, "\n  включён — 4 чел.\n"));
    assert_null(strstr(v[0].body, "Альфа"));
    free(v);
    /* Each employee their own notice, in their own employer only. */
    for (int i = 0; i < bulk; i += bulk / 6) {
        v = inbox(emp_a, "employee", employees[i], &n);
        assert_int_equal(n, 1);
        snprintf(want, sizeof want, "ДМС: статус застрахованного A-%d — включён", i);
        assert_string_equal(v[0].subject, want);
        free(v);
    }
    v = inbox(emp_b, "employee", employees[10], &n);
    assert_int_equal(n, 0);
    free(v);
    /* Again, and after every change lost its mark (the worst a restore could do): the
     * same changes are the same notices and the same digests under the same keys. */
    assert_int_equal(scan(), 0);
    assert_int_equal(dms_sql_exec(store, "UPDATE insured_change SET notified_at = NULL"),
                     DMS_SQL_OK);
    assert_int_equal(scan(), 0);
    v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 1);
    free(v);
}

static void mixed_upload_counts_each_action(void **state)
{
    (void)state;
    /* 10 detached on 1 February, 5 suspended on 1 March, 7 moved to another programme. */
    char t[8192];
    size_t used = (size_t)snprintf(t, sizeof t, "%s", HEADER);
    for (int i = 0; i < 22; i++) {
        const char *what = i < 10   ? "открепить;01.02.2026"
                           : i < 15 ? "приостановить;01.03.2026"
                                    : "изменить программу;01.02.2026";
        used += (size_t)snprintf(t + used, sizeof t - used, "%s;A-%d;;;%s\n", what, i,
                                 i >= 15 ? "senior" : "");
    }
    submit(emp_a, t);
    assert_int_equal(scan(), 22 + 1);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 22 чел.");
    assert_non_null(strstr(v[0].body, "(загрузка 3), вступают в силу с 01.02.2026 по 01.03.2026, "
                                      "людей: 22.\n"
                                      "  исключён — 10 чел.\n"
                                      "  приостановлен — 5 чел.\n"
                                      "  программа изменена — 7 чел.\n"));
    assert_non_null(strstr(v[0].body, "(upload 3), effective between 01.02.2026 and 01.03.2026, "
                                      "22 people.\n"
                                      "  excluded — 10\n"
                                      "  suspended — 5\n"
                                      "  programme changed — 7\n"));
    assert_null(strstr(v[0].body, "включён"));
    free(v);
    v = inbox(emp_b, "hr", NULL, &n);
    assert_int_equal(n, 1); /* the other employer heard nothing */
    free(v);
}

static void lone_changes(void **state)
{
    (void)state;
    /* One change: one notice, one line in each language, naming the policy. */
    submit(emp_a, HEADER "открепить;01.04.2026;A-40;;;\n");
    assert_int_equal(scan(), 1 + 1);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].subject, "ДМС: статус застрахованного A-40 — исключён");
    assert_string_equal(v[0].body, "ООО «Альфа»: застрахованный по полису A-40 — исключён с "
                                   "01.04.2026.\n"
                                   "ООО «Альфа»: insured person A-40 is now excluded from "
                                   "01.04.2026.\n");
    assert_int_equal(lines(v[0].body), 2);
    free(v);
    /* Two changes typed in one by one before the scan: one digest of both uploads. */
    submit(emp_a, HEADER "открепить;01.04.2026;A-41;;;\n");
    submit(emp_a, HEADER "приостановить;02.04.2026;A-42;;;\n");
    assert_int_equal(scan(), 2 + 1);
    v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].subject, "ДМС: изменения в списке застрахованных — 2 чел.");
    assert_non_null(strstr(v[0].body, "(загрузок: 2), вступают в силу с 01.04.2026 по "
                                      "02.04.2026, людей: 2.\n"
                                      "  исключён — 1 чел.\n"
                                      "  приостановлен — 1 чел.\n"));
    assert_non_null(strstr(v[0].body, "(2 uploads)"));
    free(v);
    assert_int_equal(scan(), 0);
}

/* ---- writers that commit out of the order of their ids (PostgreSQL) ---------------- */

static size_t inbox_count(long employer, const char *role, const char *employee)
{
    size_t n = 0;
    free(inbox(employer, role, employee, &n));
    return n;
}

/* A second connection to the test's database, as another server thread or replica has. */
static dms_store *second_connection(void)
{
    dms_store *s = NULL;
    dms_error err;
    assert_int_equal(dms_store_open(db, &s, &err), DMS_OK);
    return s;
}

/*
 * Writer A opens a transaction with a plain BEGIN, that is without the writers' advisory
 * lock dms_enrol_begin takes (with it, B would wait for A and the ids could not cross):
 * the scan must not depend on every writer taking that lock.
 */
static void begin_unlocked(dms_store *a)
{
    assert_int_equal(dms_sql_exec(a, "BEGIN"), DMS_SQL_OK);
}

/*
 * The two crossing writes are made (A still open): a scan, A commits, a scan, and a third
 * finds nothing. Two changes give two employee notices and HR one digest (both found by
 * one scan) or two, all HR's in the inbox beside the hr it had.
 */
static void scan_across_commit(dms_store *a, size_t hr)
{
    size_t first = scan();
    assert_int_equal(dms_sql_exec(a, "COMMIT"), DMS_SQL_OK);
    size_t second = scan();
    assert_int_equal(scan(), 0);
    assert_in_range(first + second, 3, 4);
    assert_int_equal(inbox_count(emp_a, "hr", NULL), hr + first + second - 2);
}

/*
 * The register: A detaches A-50 (the lower id) and stays open; B detaches A-51 (the
 * higher id) and commits; a scan; A commits; a scan. Each employee heard of their own
 * change exactly once, HR got its digest(s), and a third scan queues nothing. When the
 * scan kept a cursor of ids, the first scan moved it past A-50's change while that was
 * uncommitted, and no scan ever found it; the marks do not depend on the order of ids.
 */
static void register_commits_out_of_order(void **state)
{
    (void)state;
    assert_int_equal(scan(), 0);
    if (!store_target_is_pg()) {
        /* SQLite has one writer at a time, so ids cannot cross: while A's change is
         * written and not committed, B cannot even begin (BUSY at once without a wait). */
        dms_error err;
        dms_store *a = second_connection();
        begin_unlocked(a);
        submit_on(a, emp_a, HEADER "открепить;01.05.2026;A-50;;;\n");
        dms_sql_nowait(store, true);
        assert_int_equal(dms_enrol_begin(store, &err), DMS_ECONFLICT);
        dms_sql_nowait(store, false);
        dms_sql_rollback(a);
        dms_store_close(a);
        return;
    }
    size_t had50 = inbox_count(emp_a, "employee", employees[50]),
           had51 = inbox_count(emp_a, "employee", employees[51]),
           hr = inbox_count(emp_a, "hr", NULL);
    dms_store *a = second_connection();
    begin_unlocked(a);
    submit_on(a, emp_a, HEADER "открепить;01.05.2026;A-50;;;\n");
    submit(emp_a, HEADER "открепить;01.05.2026;A-51;;;\n");
    scan_across_commit(a, hr);
    const char *policy[2] = {"A-50", "A-51"};
    size_t had[2] = {had50, had51};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        dms_notification *v = inbox(emp_a, "employee", employees[50 + i], &n);
        assert_int_equal(n, had[i] + 1);
        char want[128];
        snprintf(want, sizeof want, "ДМС: статус застрахованного %s — исключён", policy[i]);
        assert_string_equal(v[0].subject, want);
        free(v);
    }
    dms_store_close(a);
}

/* Writes the election of employee of employer (created on the first call) moving from -> to,
 * on day (YYYY-MM-DD). */
static void election_move_at(dms_store *s, long employer, const char *employee,
                             enum dms_election_status from, enum dms_election_status to,
                             const char *day)
{
    dms_error err;
    dms_enrol_election e;
    dms_store_tenant_set(s, employer);
    if (dms_enrol_election_get(s, employee, &e, &err) != DMS_OK) {
        memset(&e, 0, sizeof e);
        snprintf(e.employee_id, sizeof e.employee_id, "%s", employee);
        snprintf(e.options, sizeof e.options, "[]");
        e.version = 1;
    }
    e.status = to;
    dms_election_history h = {.version = e.version, .from = from, .to = to};
    snprintf(h.actor, sizeof h.actor, "test");
    snprintf(h.at, sizeof h.at, "%sT10:00:00.000Z", day);
    assert_int_equal(dms_enrol_election_put(s, &e, &h, DMS_ROLE_EMPLOYEE, &err), DMS_OK);
}

static void election_move(dms_store *s, const char *employee, enum dms_election_status from,
                          enum dms_election_status to)
{
    election_move_at(s, emp_a, employee, from, to, "2026-01-02");
}

/*
 * Elections: nine employees of the first employer submit (seven on 2 January, two on
 * 3 January, then accepted by HR on 3 January), one re-saves a draft (no one is told); two of the
 * second employer submit. One scan gives each employee their own notice and each employer's HR one
 * digest counting elections by the status reached, with the days, naming no one. A second scan, and
 * one after every change lost its mark, queue nothing.
 */
static void elections_are_one_digest_per_employer(void **state)
{
    (void)state;
    dms_error err;
    assert_int_equal(scan(), 0);
    size_t hr_a = inbox_count(emp_a, "hr", NULL), hr_b = inbox_count(emp_b, "hr", NULL);
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    for (int i = 305; i < 315; i++)
        election_move_at(store, emp_a, employees[i], DMS_ELECTION_STATUS_COUNT, DMS_ELECTION_DRAFT,
                         "2026-01-02");
    for (int i = 305; i < 307; i++)
        election_move_at(store, emp_b, employees[i], DMS_ELECTION_STATUS_COUNT, DMS_ELECTION_DRAFT,
                         "2026-01-02");
    assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    assert_int_equal(scan(), 0); /* a first line has no previous status: no notice */
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    for (int i = 305; i < 314; i++)
        election_move_at(store, emp_a, employees[i], DMS_ELECTION_DRAFT, DMS_ELECTION_SUBMITTED,
                         i < 312 ? "2026-01-02" : "2026-01-03");
    for (int i = 312; i < 314; i++)
        election_move_at(store, emp_a, employees[i], DMS_ELECTION_SUBMITTED, DMS_ELECTION_ACCEPTED,
                         "2026-01-03");
    election_move_at(store, emp_a, employees[314], DMS_ELECTION_DRAFT, DMS_ELECTION_DRAFT,
                     "2026-01-02");
    for (int i = 305; i < 307; i++)
        election_move_at(store, emp_b, employees[i], DMS_ELECTION_DRAFT, DMS_ELECTION_SUBMITTED,
                         "2026-01-02");
    assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    /* 9 + 2 employee notices in the first employer (the draft saved again tells no one),
     * 2 in the second, 2 digests. */
    assert_int_equal(scan(), 9 + 2 + 2 + 2);
    assert_int_equal(inbox_count(emp_a, "employee", employees[314]), 0);
    size_t n = 0;
    dms_notification *v = inbox(emp_a, "hr", NULL, &n);
    assert_int_equal(n, hr_a + 1);
    assert_string_equal(v[0].kind, "election_digest");
    assert_string_equal(v[0].subject, "ДМС: выбор программы сотрудниками — 9 выборов");
    assert_string_equal(v[0].body,
                        "ООО «Альфа»: выбор программы ДМС — изменения статуса с 02.01.2026 по "
                        "03.01.2026, выборов: 9, изменений: 11.\n"
                        "  «подана» — 9 выборов\n"
                        "  «принята» — 2 выбора\n"
                        "Кто именно — в списке выборов кабинета HR.\n"
                        "ООО «Альфа»: DMS elections — status changes between 02.01.2026 and "
                        "03.01.2026, 9 elections, 11 changes.\n"
                        "  submitted — 9 elections\n"
                        "  accepted — 2 elections\n"
                        "Who exactly: the list of elections in the HR cabinet.\n");
    for (int i = 305; i < 315; i++)
        assert_null(strstr(v[0].body, employees[i])); /* no one by id */
    free(v);
    v = inbox(emp_b, "hr", NULL, &n);
    assert_int_equal(n, hr_b + 1);
    assert_string_equal(v[0].kind, "election_digest");
    assert_string_equal(v[0].subject, "ДМС: выбор программы сотрудниками — 2 выбора");
    assert_non_null(strstr(v[0].body, "ООО «Бета»: выбор программы ДМС — изменения статуса за "
                                      "02.01.2026, выборов: 2.\n"
                                      "  «подана» — 2 выбора\n"));
    assert_non_null(strstr(v[0].body, "on 02.01.2026, 2 elections.\n  submitted — 2 elections\n"));
    assert_null(strstr(v[0].body, "Альфа"));
    assert_null(strstr(v[0].body, "принята"));
    free(v);
    /* Each employee their own notice, in their own words. */
    for (int i = 305; i < 314; i++) {
        v = inbox(emp_a, "employee", employees[i], &n);
        assert_int_equal(n, i < 312 ? 1 : 2);
        assert_string_equal(v[0].kind, "election_status");
        assert_non_null(strstr(v[0].body, "Статус вашего выбора программы ДМС: "));
        assert_string_equal(v[n - 1].subject, "ДМС: выбор программы — подана");
        free(v);
    }
    assert_int_equal(inbox_count(emp_b, "employee", employees[305]), 1);
    assert_int_equal(inbox_count(emp_b, "employee", employees[312]), 0);
    /* Again, and after every change lost its mark: nothing new. */
    assert_int_equal(scan(), 0);
    assert_int_equal(dms_sql_exec(store, "UPDATE election_history SET notified_at = NULL"),
                     DMS_SQL_OK);
    assert_int_equal(scan(), 0);
    assert_int_equal(inbox_count(emp_a, "hr", NULL), hr_a + 1);
    assert_int_equal(inbox_count(emp_b, "hr", NULL), hr_b + 1);
}

/* One of the scan's other feeds, the elections: the same crossing of two writers. */
static void election_commits_out_of_order(void **state)
{
    (void)state;
    if (!store_target_is_pg())
        skip();
    dms_error err;
    const char *x = employees[100], *y = employees[101];
    /* Two drafts (a first line has no previous status: no notice). */
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    election_move(store, x, DMS_ELECTION_STATUS_COUNT, DMS_ELECTION_DRAFT);
    election_move(store, y, DMS_ELECTION_STATUS_COUNT, DMS_ELECTION_DRAFT);
    assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    assert_int_equal(scan(), 0);
    size_t hr = inbox_count(emp_a, "hr", NULL);
    size_t had[2] = {inbox_count(emp_a, "employee", x), inbox_count(emp_a, "employee", y)};
    dms_store *a = second_connection();
    begin_unlocked(a);
    election_move(a, x, DMS_ELECTION_DRAFT, DMS_ELECTION_SUBMITTED);
    assert_int_equal(dms_enrol_begin(store, &err), DMS_OK);
    election_move(store, y, DMS_ELECTION_DRAFT, DMS_ELECTION_SUBMITTED);
    assert_int_equal(dms_enrol_commit(store, &err), DMS_OK);
    scan_across_commit(a, hr);
    const char *who[2] = {x, y};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        dms_notification *v = inbox(emp_a, "employee", who[i], &n);
        assert_int_equal(n, had[i] + 1);
        assert_string_equal(v[0].kind, "election_status");
        free(v);
    }
    dms_store_close(a);
}

/* ---- migration 13: from the cursors to the marks ----------------------------------- */

/* The single integer the query answers on the test's connection. */
static long long query_int(const char *sql)
{
    dms_stmt *stmt = NULL;
    assert_int_equal(dms_sql_prepare(store, sql, &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    long long v = dms_sql_column_int64(stmt, 0);
    dms_sql_finalize(stmt);
    return v;
}

/*
 * Puts the change tables back as migration 12 left them (no mark, an xact column, the
 * cursors), every cursor at the last change of its table with last_xact 0: as it stands
 * after scans that read everything. Then new changes are written the old way.
 */
static void back_to_migration_12(void)
{
    static const char *const tables[3] = {"insured_change", "election_history", "reimb_event"};
    static const char *const cursors[3] = {"insured", "election", "reimbursement"};
    char sql[512];
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql,
                 "DROP INDEX %s_unnotified; ALTER TABLE %s DROP COLUMN notified_at; "
                 "ALTER TABLE %s ADD COLUMN xact bigint NOT NULL DEFAULT 0",
                 tables[i], tables[i], tables[i]);
        assert_int_equal(dms_sql_exec(store, sql), DMS_SQL_OK);
        if (store_target_is_pg()) {
            snprintf(sql, sizeof sql,
                     "ALTER TABLE %s ALTER COLUMN xact SET DEFAULT "
                     "pg_current_xact_id()::text::bigint",
                     tables[i]);
            assert_int_equal(dms_sql_exec(store, sql), DMS_SQL_OK);
        }
    }
    assert_int_equal(dms_sql_exec(store, "CREATE TABLE notify_cursor (name text PRIMARY KEY, "
                                         "last_id bigint NOT NULL, last_xact bigint NOT NULL "
                                         "DEFAULT 0)"),
                     DMS_SQL_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO notify_cursor (name, last_id) SELECT '%s', coalesce(max(id), 0) "
                 "FROM %s",
                 cursors[i], tables[i]);
        assert_int_equal(dms_sql_exec(store, sql), DMS_SQL_OK);
    }
}

/* Runs migration 13 of the store's engine on the test's connection. */
static void migrate_13(void)
{
    const dms_store_migration *m =
        store_target_is_pg() ? &dms_store_pg_migrations[12] : &dms_store_migrations[12];
    assert_int_equal(m->version, 13);
    assert_int_equal(dms_sql_exec(store, m->sql), DMS_SQL_OK);
}

/*
 * Migration 13 on a database whose cursors had read every change but one written after
 * the last scan: the changes read are marked (the scan queues nothing for them, not even
 * a digest of all of them under a new key) and the one unread change is notified once.
 * The xact column is gone, so no scan can read it.
 */
static void migration_marks_what_the_cursors_read(void **state)
{
    (void)state;
    assert_int_equal(scan(), 0);
    back_to_migration_12();
    size_t had = inbox_count(emp_a, "employee", employees[53]), hr = inbox_count(emp_a, "hr", NULL);
    submit(emp_a, HEADER "приостановить;01.06.2026;A-53;;;\n");
    long long changes = query_int("SELECT count(*) FROM insured_change");
    migrate_13();
    assert_int_equal(query_int("SELECT count(*) FROM insured_change WHERE notified_at IS NULL"), 1);
    assert_int_equal(query_int("SELECT count(*) FROM insured_change WHERE notified_at IS NOT NULL"),
                     changes - 1);
    assert_int_equal(query_int("SELECT count(*) FROM election_history WHERE notified_at IS NULL "
                               "AND from_status IS NOT NULL"),
                     0);
    assert_int_not_equal(dms_sql_exec(store, "SELECT xact FROM insured_change"), DMS_SQL_OK);
    assert_int_not_equal(dms_sql_exec(store, "SELECT 1 FROM notify_cursor"), DMS_SQL_OK);
    assert_int_equal(scan(), 1 + 1);
    assert_int_equal(inbox_count(emp_a, "employee", employees[53]), had + 1);
    assert_int_equal(inbox_count(emp_a, "hr", NULL), hr + 1);
    assert_int_equal(scan(), 0);
}

/*
 * PostgreSQL: a database copied from another cluster (pg_dump/pg_restore) while it ran
 * migration 12. Its rows and cursors carry the old cluster's transaction ids (far above
 * this one's), and a change written after the copy carries one of this cluster's: the
 * cursor's order (xact, id) put it behind the cursor, so no scan of migration 12 would
 * ever have read it. Migration 13 leaves it unmarked and the scan notifies it, once.
 */
static void migration_after_a_restore_notifies_new_changes(void **state)
{
    (void)state;
    if (!store_target_is_pg())
        skip(); /* SQLite's xact was always 0 */
    assert_int_equal(scan(), 0);
    back_to_migration_12();
    assert_int_equal(dms_sql_exec(store, "UPDATE insured_change SET xact = 48213907000; "
                                         "UPDATE election_history SET xact = 48213907000; "
                                         "UPDATE reimb_event SET xact = 48213907000; "
                                         "UPDATE notify_cursor SET last_xact = 48213907000"),
                     DMS_SQL_OK);
    size_t had = inbox_count(emp_a, "employee", employees[54]);
    submit(emp_a, HEADER "приостановить;01.06.2026;A-54;;;\n");
    /* The defect: migration 12's feed found nothing after its cursor. */
    assert_int_equal(query_int("SELECT count(*) FROM insured_change c JOIN notify_cursor k ON "
                               "k.name = 'insured' WHERE (c.xact, c.id) > (k.last_xact, "
                               "k.last_id)"),
                     0);
    migrate_13();
    assert_int_equal(query_int("SELECT count(*) FROM insured_change WHERE notified_at IS NULL"), 1);
    assert_int_equal(scan(), 1 + 1);
    assert_int_equal(inbox_count(emp_a, "employee", employees[54]), had + 1);
    assert_int_equal(scan(), 0);
}

/* ---- two scans at once ------------------------------------------------------------- */

static int scan_on(dms_store *s, size_t *created)
{
    dms_error err;
    long today = 0;
    *created = 0;
    assert_true(dms_date_parse("2026-01-02", &today));
    return dms_notify_store_scan(s, today, created, &err);
}

/*
 * Scan A runs on a second connection inside a transaction it has not committed (it has
 * read, locked, notified and marked a new change); scan B runs meanwhile, told not to wait
 * for any lock. On PostgreSQL B passes A's rows by and queues nothing; on SQLite B cannot
 * begin while A writes. A rolls back: the next scan notifies the change once. Again with a
 * new change, A commits: B's next scan queues nothing. Each employee heard once, HR got one
 * digest each time. Before, B read the same change after the cursor A had not yet moved and
 * queued its notice again (here: blocked on A's uncommitted notice, and failed).
 */
static void concurrent_scans_never_queue_twice(void **state)
{
    (void)state;
    assert_int_equal(scan(), 0);
    size_t hr = inbox_count(emp_a, "hr", NULL);
    for (int round = 0; round < 2; round++) {
        const char *who = employees[55 + round];
        size_t had = inbox_count(emp_a, "employee", who), made = 0;
        char text[256];
        snprintf(text, sizeof text, "%sприостановить;01.06.2026;A-%d;;;\n", HEADER, 55 + round);
        submit(emp_a, text);
        dms_store *a = second_connection();
        begin_unlocked(a);
        assert_int_equal(scan_on(a, &made), DMS_OK);
        assert_int_equal(made, 1 + 1);
        dms_sql_nowait(store, true);
        int b = scan_on(store, &made);
        dms_sql_nowait(store, false);
        if (store_target_is_pg()) {
            assert_int_equal(b, DMS_OK);
            assert_int_equal(made, 0);
        } else {
            assert_int_equal(b, DMS_ECONFLICT);
        }
        if (round == 0) {
            dms_sql_rollback(a);
            assert_int_equal(scan(), 1 + 1);
        } else {
            assert_int_equal(dms_sql_exec(a, "COMMIT"), DMS_SQL_OK);
            assert_int_equal(scan(), 0);
        }
        dms_store_close(a);
        assert_int_equal(inbox_count(emp_a, "employee", who), had + 1);
        assert_int_equal(inbox_count(emp_a, "hr", NULL), hr + round + 1);
    }
    assert_int_equal(scan(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bulk_upload_is_one_digest_per_employer),
        cmocka_unit_test(mixed_upload_counts_each_action),
        cmocka_unit_test(lone_changes),
        cmocka_unit_test(elections_are_one_digest_per_employer),
        cmocka_unit_test(register_commits_out_of_order),
        cmocka_unit_test(election_commits_out_of_order),
        cmocka_unit_test(concurrent_scans_never_queue_twice),
        cmocka_unit_test(migration_marks_what_the_cursors_read),
        cmocka_unit_test(migration_after_a_restore_notifies_new_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
