/*
 * Payments and reconciliation through the real service and CLI: employer 1
 * (the README's month) has three people from 1 January and two joining on
 * 12 and 19 January; its invoices charge 13 950,00 ₽ for January and
 * 25 600,00 ₽ for February (21 000,00 of February plus the 4 600,00 ₽
 * January correction for the two joiners: 20 and 13 days at 100 and 200 ₽ a
 * day); a bank statement pays the first (imported twice: nothing added the
 * second time; another payer's line skipped); debts show the second
 * overdue; the act adds up (closing = opening + accrued − paid, January's
 * closing is February's opening) as CSV and XLSX. Employer 2, everyone
 * covered all year, is invoiced for twelve months: the invoices add up to
 * the sum of the annual premiums to the kopeck, and so do the year's
 * accruals. Roles: finance and HR read, HR or the insurer sets the terms, only the insurer issues,
 * employees and managers are refused, and a finance key of employer 2 never sees employer 1's
 * money.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/xlsx.h"
#include "http_client.h"
#include "run_command.h"
#include "store_server.h"
#include "store_target.h"
#include "testutil.h"

#define T 60000

static char dir[64], db[256];
static unsigned port;
static pid_t server_pid;
static char fin1[80], fin2[80], hr1[80], emp1[80], mgr1[80], ins[80];

static int run(char *out, size_t size, char *const argv[])
{
    return store_run(out, size, argv);
}

static int key(char *out, const char *role, const char *employer, const char *extra,
               const char *value)
{
    char *argv[] = {"dmsrate", "keys", "create", "--role", (char *)role, "--db", db,
                    NULL,      NULL,   NULL,     NULL,     NULL,         NULL};
    int i = 7;
    if (employer != NULL) {
        argv[i++] = "--employer";
        argv[i++] = (char *)employer;
    }
    if (extra != NULL) {
        argv[i++] = (char *)extra;
        argv[i++] = (char *)value;
    }
    return run(out, 80, argv);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "finance") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    for (int e = 1; e <= 2; e++) {
        char id[16];
        char *create[] = {"dmsrate", "employers",  "create", "--name", "ООО «Северный ветер»",
                          "--inn",   "7701234567", "--db",   db,       NULL};
        char *import[] = {"dmsrate",
                          "enrol",
                          "import",
                          "--employer",
                          id,
                          "--policy",
                          "examples/policies/midsize-2026.json",
                          "--census",
                          "examples/census/midsize-450.csv",
                          "--db",
                          db,
                          NULL};
        char *reg[] = {"dmsrate",
                       "register",
                       "import",
                       "--employer",
                       id,
                       "--file",
                       "examples/finance/register-2026-01.csv",
                       "--today",
                       "2026-01-01",
                       "--db",
                       db,
                       NULL};
        char *contract[] = {"dmsrate",
                            "finance",
                            "contract",
                            "--employer",
                            id,
                            "--file",
                            "examples/finance/contract-2026.json",
                            "--db",
                            db,
                            NULL};
        if (run(id, sizeof id, create) != 0 || run(NULL, 0, import) != 0 ||
            run(NULL, 0, reg) != 0 || run(NULL, 0, contract) != 0)
            return -1;
    }
    if (key(fin1, "finance", "1", NULL, NULL) != 0 || key(fin2, "finance", "2", NULL, NULL) != 0 ||
        key(hr1, "hr", "1", NULL, NULL) != 0 ||
        key(emp1, "employee", "1", "--employee", "100007") != 0 ||
        key(mgr1, "manager", "1", "--department", "Finance") != 0 ||
        key(ins, "insurer", NULL, NULL, NULL) != 0)
        return -1;
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models",  "--tariffs",  "tariffs",   "--db",
                          db,         "--today", "2026-01-01", "--no-seed", NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    return server_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return store_server_stop(server_pid, dir);
}

static int call(const char *k, const char *method, const char *path, const char *type,
                const char *body, size_t len, struct http_response *r)
{
    return store_call(port, k, method, path, type, body, len, r, T);
}

static json_t *call_json(const char *k, const char *method, const char *path, const char *type,
                         const char *body, int expect)
{
    return store_call_json(port, k, method, path, type, body, expect, T);
}

static long long kop(const json_t *j, const char *key_name)
{
    const json_t *v = json_object_get(j, key_name);
    assert_true(json_is_integer(v));
    return (long long)json_integer_value(v);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void one_month(void **state)
{
    (void)state;
    /* January is invoiced on the 1st, before anyone joins. */
    json_t *j = call_json(ins, "POST", "/v1/employers/1/finance/invoices?today=2026-01-01", NULL,
                          NULL, 201);
    assert_int_equal(json_integer_value(json_object_get(j, "issued")), 1);
    json_t *inv = json_array_get(json_object_get(j, "invoices"), 0);
    assert_string_equal(json_string_value(json_object_get(inv, "number")), "СЧ-1-1");
    assert_int_equal(kop(inv, "amount_kopecks"), 1395000); /* 3 100 + 6 200 + 4 650 */
    json_decref(j);
    /* Issuing is the insurer's; finance and HR read. */
    j = call_json(fin1, "POST", "/v1/finance/invoices", NULL, NULL, 403);
    json_decref(j);
    j = call_json(hr1, "GET", "/v1/finance/invoices?today=2026-01-05", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "invoices")), 1);
    json_decref(j);

    char *joins[] = {"dmsrate",
                     "register",
                     "import",
                     "--employer",
                     "1",
                     "--file",
                     "examples/finance/joins-2026-01.csv",
                     "--today",
                     "2026-01-19",
                     "--db",
                     db,
                     NULL};
    assert_int_equal(run(NULL, 0, joins), 0);
    j = call_json(fin1, "GET", "/v1/finance/accruals?from=2026-01-01&to=2026-01-31", NULL, NULL,
                  200);
    assert_int_equal(kop(j, "total_kopecks"), 1855000);
    json_t *rows = json_object_get(j, "accruals");
    assert_int_equal(json_array_size(rows), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *a = json_array_get(rows, i);
        const char *policy = json_string_value(json_object_get(a, "policy"));
        if (strcmp(policy, "Q-004") == 0) {
            assert_int_equal(kop(a, "days"), 20);
            assert_int_equal(kop(a, "kopecks"), 200000);
        } else if (strcmp(policy, "Q-005") == 0) {
            assert_int_equal(kop(a, "days"), 13);
            assert_int_equal(kop(a, "kopecks"), 260000);
        }
    }
    json_decref(j);

    /* The bank statement, twice: the second import adds nothing. */
    size_t len = 0;
    char *csv = slurp("examples/finance/bank-2026-01.csv", &len);
    struct http_response r;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(call(fin1, "POST", "/v1/finance/payments", "text/csv", csv, len, &r), 201);
        j = json_loads(r.body, 0, NULL);
        http_response_free(&r);
        assert_int_equal(kop(j, "added"), round == 0 ? 1 : 0);
        assert_int_equal(kop(j, "matched"), round == 0 ? 1 : 0);
        assert_int_equal(kop(j, "duplicates"), round == 0 ? 0 : 1);
        assert_int_equal(kop(j, "other_payers"), 1);
        json_decref(j);
    }
    free(csv);
    /* A faulty statement: every line at line:column, nothing imported. */
    const char *bad = "Дата;Номер;Сумма;ИНН плательщика\n31.02.2026;1;10;7701234567\n"
                      "01.02.2026;2;-5;7701234567\n";
    j = call_json(fin1, "POST", "/v1/finance/payments", "text/csv", bad, 422);
    assert_int_equal(json_array_size(json_object_get(j, "faults")), 2);
    assert_int_equal(kop(json_array_get(json_object_get(j, "faults"), 1), "line"), 3);
    json_decref(j);

    j = call_json(ins, "POST", "/v1/employers/1/finance/invoices?today=2026-02-01", NULL, NULL,
                  201);
    inv = json_array_get(json_object_get(j, "invoices"), 1);
    assert_string_equal(json_string_value(json_object_get(inv, "number")), "СЧ-1-2");
    assert_int_equal(kop(inv, "amount_kopecks"), 2560000);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "invoic"
                                                                                            "es"),
                                                                         0),
                                                          "state")),
                        "paid");
    json_decref(j);
    /* Issuing again the same day issues nothing. */
    j = call_json(ins, "POST", "/v1/employers/1/finance/invoices?today=2026-02-01", NULL, NULL,
                  201);
    assert_int_equal(json_integer_value(json_object_get(j, "issued")), 0);
    json_decref(j);

    j = call_json(fin1, "GET", "/v1/finance/debts?today=2026-02-15", NULL, NULL, 200);
    assert_int_equal(kop(j, "open_kopecks"), 2560000);
    assert_int_equal(kop(j, "overdue_kopecks"), 2560000);
    inv = json_array_get(json_object_get(j, "invoices"), 0);
    assert_int_equal(kop(inv, "days_overdue"), 4);
    json_t *up = json_object_get(j, "upcoming");
    assert_int_equal(kop(up, "period"), 3);
    assert_int_equal(kop(up, "amount_kopecks"), 5 * 0 + (3100 * 2 + 6200 * 2 + 4650) * 100);
    json_decref(j);

    /* The act: January closes at 0, February opens at 0 and closes at 25 600,00. */
    assert_int_equal(call(hr1, "GET",
                          "/v1/exports/reconciliation.csv?from=2026-01-01&to=2026-02-28", NULL,
                          NULL, 0, &r),
                     200);
    assert_non_null(strstr(r.body, ";Сальдо начальное;0,00;\r\n"));
    assert_non_null(strstr(r.body, ";Обороты за период;39550,00;13950,00\r\n"));
    assert_non_null(strstr(r.body, ";Сальдо конечное;25600,00;\r\n"));
    http_response_free(&r);
    j = call_json(fin1, "POST", "/v1/finance/payments", "application/json",
                  "{\"date\":\"2026-02-16\",\"number\":\"402\",\"amount\":\"25600.00\","
                  "\"payer_inn\":\"7701234567\",\"purpose\":\"Оплата по счёту СЧ-1-2\"}",
                  201);
    json_decref(j);
    j = call_json(fin1, "POST", "/v1/finance/payments", "application/json",
                  "{\"date\":\"2026-02-16\",\"number\":\"403\",\"amount\":\"1.00\","
                  "\"payer_inn\":\"7702000000\"}",
                  422);
    json_decref(j);
    assert_int_equal(call(fin1, "GET",
                          "/v1/exports/reconciliation.xlsx?from=2026-02-01&to=2026-02-28", NULL,
                          NULL, 0, &r),
                     200);
    dms_xlsx_sheet *sheet = NULL;
    assert_int_equal(dms_xlsx_read_first(r.body, r.body_len, NULL, NULL, &sheet, NULL), DMS_OK);
    /* header, title, opening, invoice, payment, turnover, closing */
    assert_int_equal(sheet->nrows, 7);
    const dms_xlsx_cell *turn = dms_xlsx_row_cell(&sheet->rows[5], 3);
    assert_non_null(turn);
    assert_true(turn->number > 25599.99 && turn->number < 25600.01);
    const dms_xlsx_cell *closing = dms_xlsx_row_cell(&sheet->rows[6], 3);
    assert_non_null(closing);
    assert_true(closing->number == 0.0);
    dms_xlsx_sheet_free(sheet);
    http_response_free(&r);
}

static void whole_year_adds_up(void **state)
{
    (void)state;
    json_t *j = call_json(ins, "POST", "/v1/employers/2/finance/invoices?today=2026-12-01", NULL,
                          NULL, 201);
    json_t *invs = json_object_get(j, "invoices");
    assert_int_equal(json_array_size(invs), 12);
    long long sum = 0;
    for (size_t i = 0; i < 12; i++)
        sum += kop(json_array_get(invs, i), "amount_kopecks");
    /* 36 500,00 + 73 000,00 + 54 750,00: the annual premiums of the three. */
    assert_int_equal(sum, 16425000);
    json_decref(j);
    j = call_json(fin2, "GET", "/v1/finance/accruals?from=2026-01-01&to=2026-12-31", NULL, NULL,
                  200);
    assert_int_equal(kop(j, "total_kopecks"), 16425000);
    json_decref(j);
}

static void roles(void **state)
{
    (void)state;
    static const char *const reads[] = {
        "/v1/finance/contract",
        "/v1/finance/invoices",
        "/v1/finance/payments",
        "/v1/finance/debts",
        "/v1/finance/accruals?from=2026-01-01&to=2026-01-31",
        "/v1/exports/reconciliation.csv?from=2026-01-01&to=2026-01-31"};
    struct http_response r;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        assert_int_equal(call(emp1, "GET", reads[i], NULL, NULL, 0, &r), 403);
        http_response_free(&r);
        assert_int_equal(call(mgr1, "GET", reads[i], NULL, NULL, 0, &r), 403);
        http_response_free(&r);
        assert_int_equal(call(fin1, "GET", reads[i], NULL, NULL, 0, &r), 200);
        http_response_free(&r);
        /* Employer 2's finance key sees employer 2's invoices only. */
        assert_int_equal(call(fin2, "GET", reads[i], NULL, NULL, 0, &r), 200);
        assert_null(strstr(r.body, "СЧ-1-"));
        http_response_free(&r);
    }
    int status = call(fin2, "GET", "/v1/employers/1/finance/invoices", NULL, NULL, 0, &r);
    assert_true(status == 403 || status == 404);
    assert_null(strstr(r.body, "СЧ-1-"));
    http_response_free(&r);
    assert_int_equal(call(fin1, "PUT", "/v1/finance/contract", "application/json", "{}", 2, &r),
                     403);
    http_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_month),
        cmocka_unit_test(whole_year_adds_up),
        cmocka_unit_test(roles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
