/*
 * Reimbursement requests through the real service. An employee files a
 * request with a diagnosis and a PDF; a Windows executable sent as
 * application/pdf is refused; HR files one on another employee's behalf
 * with a JPEG. Role matrix: for HR, a manager, finance and a broker, no
 * answer of any route carries the diagnosis or a document's bytes, and the
 * document routes are refused; another employee sees neither the request
 * nor its document; the insurer reads the document back byte for byte with
 * its SHA-256. The insurer moves подано → на рассмотрении → одобрено →
 * выплачено (a move the machine forbids is 409), every move in the history
 * with actor and comment; the approved amount lands in the stored claims
 * experience (pending, then paid) for the claims reports. HR's counts by
 * status are suppressed under 5, and the report of requests has its columns
 * and no diagnosis.
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

#include "dms/claims_store.h"
#include "dms/sha256.h"
#include "http_client.h"
#include "run_command.h"
#include "store_server.h"
#include "store_target.h"
#include "testutil.h"

#define T 60000
#define DIAG "K02.1 кариес дентина"

static char dir[64], db[256];
static unsigned port;
static pid_t server_pid;
static char emp1[80], emp2[80], hr[80], mgr[80], fin[80], brok[80], ins[80];

static const char pdf[] = "%PDF-1.4\n% чек клиники\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0,    16,  'J',
                                     'F',  'I',  'F',  0,    0xFF, 0xD9};
static const unsigned char exe[] = {'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 'P', 'E', 0, 0};

static int run(char *out, size_t size, char *const argv[])
{
    return store_run(out, size, argv);
}

static int key(char *out, const char *role, const char *flag, const char *value)
{
    char *argv[] = {"dmsrate", "keys",       "create",      "--role", (char *)role, "--db",
                    db,        (char *)flag, (char *)value, NULL,     NULL,         NULL};
    if (strcmp(role, "insurer") != 0 && flag == NULL) {
        argv[7] = "--employer";
        argv[8] = "1";
    } else if (strcmp(role, "insurer") != 0) {
        argv[9] = "--employer";
        argv[10] = "1";
    }
    return run(out, 80, argv);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "reimb") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    char *create[] = {"dmsrate", "employers", "create", "--name", "Employer", "--db", db, NULL};
    char *import[] = {"dmsrate",
                      "enrol",
                      "import",
                      "--employer",
                      "1",
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
                   "1",
                   "--file",
                   "examples/finance/register-2026-01.csv",
                   "--today",
                   "2026-01-01",
                   "--db",
                   db,
                   NULL};
    if (run(NULL, 0, create) != 0 || run(NULL, 0, import) != 0 || run(NULL, 0, reg) != 0)
        return -1;
    if (key(emp1, "employee", "--employee", "100007") ||
        key(emp2, "employee", "--employee", "100014") || key(hr, "hr", NULL, NULL) ||
        key(mgr, "manager", "--department", "Finance") || key(fin, "finance", NULL, NULL) ||
        key(brok, "broker", NULL, NULL) || key(ins, "insurer", NULL, NULL))
        return -1;
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models",  "--tariffs",  "tariffs",   "--db",
                          db,         "--today", "2026-01-20", "--no-seed", NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    return server_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return store_server_stop(server_pid, dir);
}

static int call(const char *k, const char *method, const char *path, const char *type,
                const void *body, size_t len, struct http_response *r)
{
    return store_call(port, k, method, path, type, body, len, r, T);
}

static json_t *call_json(const char *k, const char *method, const char *path, const char *body,
                         int expect)
{
    return store_call_json(port, k, method, path, body != NULL ? "application/json" : NULL, body,
                           expect, T);
}

static long req1, req2, doc1, doc2;

/* Whether the body (binary, body_len bytes) holds needle anywhere. */
static bool has_bytes(const char *body, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; body != NULL && i + n <= len; i++)
        if (memcmp(body + i, needle, n) == 0)
            return true;
    return false;
}

static void filing_and_documents(void **state)
{
    (void)state;
    json_t *j = call_json(
        emp1, "POST", "/v1/me/requests",
        "{\"service_date\":\"2026-01-15\",\"category\":\"Стоматология\","
        "\"amount\":\"4500.00\",\"clinic\":\"Клиника «Улыбка»\",\"diagnosis\":\"" DIAG "\"}",
        201);
    req1 = (long)json_integer_value(json_object_get(j, "id"));
    assert_string_equal(json_string_value(json_object_get(j, "status_ru")), "подано");
    assert_string_equal(json_string_value(json_object_get(j, "policy")), "Q-001");
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/v1/me/requests/%ld/documents?name=check.pdf", req1);
    struct http_response r;
    assert_int_equal(call(emp1, "POST", path, "application/pdf", pdf, sizeof pdf - 1, &r), 201);
    j = json_loads(r.body, 0, NULL);
    doc1 = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    http_response_free(&r);
    /* A program renamed report.pdf and declared as a PDF. */
    snprintf(path, sizeof path, "/v1/me/requests/%ld/documents?name=report.pdf", req1);
    int status = call(emp1, "POST", path, "application/pdf", exe, sizeof exe, &r);
    assert_int_equal(status, 422);
    assert_non_null(strstr(r.body, "bad_document_type"));
    http_response_free(&r);
    /* Another employee cannot attach to it. */
    assert_int_equal(call(emp2, "POST", path, "application/pdf", pdf, sizeof pdf - 1, &r), 404);
    http_response_free(&r);

    j = call_json(hr, "POST", "/v1/requests",
                  "{\"employee_id\":\"100014\",\"service_date\":\"2026-01-10\",\"category\":"
                  "\"АПП\",\"amount\":\"1800.50\",\"clinic\":\"Медси\",\"diagnosis\":\"" DIAG "\"}",
                  201);
    req2 = (long)json_integer_value(json_object_get(j, "id"));
    assert_null(json_object_get(j, "diagnosis")); /* HR filed it and still does not read it */
    json_decref(j);
    snprintf(path, sizeof path, "/v1/requests/%ld/documents?name=scan.jpg", req2);
    assert_int_equal(call(hr, "POST", path, "image/jpeg", jpeg, sizeof jpeg, &r), 201);
    j = json_loads(r.body, 0, NULL);
    doc2 = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    http_response_free(&r);
}

static void role_matrix(void **state)
{
    (void)state;
    const char *keys[] = {hr, mgr, fin, brok};
    const char *names[] = {"hr", "manager", "finance", "broker"};
    char paths[12][128];
    int np = 0;
    snprintf(paths[np++], 128, "/v1/requests");
    snprintf(paths[np++], 128, "/v1/request-counts");
    snprintf(paths[np++], 128, "/v1/requests/%ld", req1);
    snprintf(paths[np++], 128, "/v1/requests/%ld", req2);
    snprintf(paths[np++], 128, "/v1/exports/requests.csv");
    snprintf(paths[np++], 128, "/v1/requests/%ld/documents", req1);
    snprintf(paths[np++], 128, "/v1/requests/%ld/documents?download=%ld", req1, doc1);
    snprintf(paths[np++], 128, "/v1/requests/%ld/documents?download=%ld", req2, doc2);
    snprintf(paths[np++], 128, "/v1/me/requests/%ld/documents?download=%ld", req1, doc1);
    snprintf(paths[np++], 128, "/v1/me/requests");
    for (size_t k = 0; k < 4; k++)
        for (int p = 0; p < np; p++) {
            struct http_response r;
            int status = call(keys[k], "GET", paths[p], NULL, NULL, 0, &r);
            const char *body = r.body != NULL ? r.body : "";
            if (strstr(body, "K02.1") != NULL || strstr(body, "%PDF") != NULL ||
                has_bytes(r.body, r.body_len, "JFIF")) {
                print_error("%s GET %s leaked: %.300s\n", names[k], paths[p], body);
                fail();
            }
            if (strstr(paths[p], "download") != NULL || strstr(paths[p], "/me/") != NULL)
                assert_int_equal(status, 403);
            bool admin = k == 0 || k == 3;
            if (!admin)
                assert_int_equal(status, 403);
            http_response_free(&r);
        }
    /* The other employee: not in their list, the document unreachable. */
    json_t *j = call_json(emp2, "GET", "/v1/me/requests", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 1); /* HR's on their behalf */
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(j, "requests"), 0), "id")),
                     req2);
    json_decref(j);
    char path[128];
    struct http_response r;
    snprintf(path, sizeof path, "/v1/me/requests/%ld/documents?download=%ld", req1, doc1);
    assert_int_equal(call(emp2, "GET", path, NULL, NULL, 0, &r), 404);
    http_response_free(&r);
    /* The employee and the insurer read it back byte for byte. */
    assert_int_equal(call(emp1, "GET", path, NULL, NULL, 0, &r), 200);
    assert_int_equal(r.body_len, sizeof pdf - 1);
    assert_memory_equal(r.body, pdf, sizeof pdf - 1);
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/employers/1/requests/%ld/documents?download=%ld", req1, doc1);
    assert_int_equal(call(ins, "GET", path, NULL, NULL, 0, &r), 200);
    assert_memory_equal(r.body, pdf, sizeof pdf - 1);
    http_response_free(&r);
    snprintf(path, sizeof path, "/v1/employers/1/requests/%ld", req1);
    j = call_json(ins, "GET", path, NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "diagnosis")), DIAG);
    char hex[DMS_SHA256_HEX];
    dms_sha256_hex(pdf, sizeof pdf - 1, hex);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "documents"), 0), "sha256")),
                        hex);
    json_decref(j);
}

static void statuses_and_experience(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/v1/employers/1/requests/%ld/status", req1);
    json_t *j = call_json(emp1, "POST", path, "{\"to\":\"review\"}", 403);
    json_decref(j);
    j = call_json(hr, "POST", "/v1/requests/1/status", "{\"to\":\"review\"}", 403);
    json_decref(j);
    j = call_json(ins, "POST", path, "{\"to\":\"approved\",\"approved_amount\":\"4000.00\"}", 409);
    json_decref(j);
    j = call_json(ins, "POST", path, "{\"to\":\"review\",\"comment\":\"принято\"}", 200);
    json_decref(j);
    j = call_json(ins, "POST", path, "{\"to\":\"approved\",\"approved_amount\":\"4500.01\"}", 422);
    json_decref(j);
    j = call_json(ins, "POST", path,
                  "{\"to\":\"approved\",\"approved_amount\":\"4000.00\",\"comment\":\"по "
                  "тарифу клиники\"}",
                  200);
    assert_int_equal(json_integer_value(json_object_get(j, "approved_kopecks")), 400000);
    json_decref(j);

    dms_claims_store *cs = NULL;
    dms_register *reg = NULL;
    assert_int_equal(dms_claims_store_open(db, &cs, NULL), DMS_OK);
    assert_int_equal(dms_claims_store_load(cs, "1", 2026, &reg, NULL), DMS_OK);
    assert_int_equal(reg->count, 1);
    assert_string_equal(reg->lines[0].claim_id, "R-1");
    assert_string_equal(reg->lines[0].module, "dental");
    assert_int_equal(reg->lines[0].paid, 400000);
    assert_int_equal(reg->lines[0].billed, 450000);
    assert_int_equal(reg->lines[0].status, DMS_CLAIM_PENDING);
    dms_register_free(reg);

    j = call_json(ins, "POST", path, "{\"to\":\"paid\",\"comment\":\"п/п 77\"}", 200);
    json_t *hist = json_object_get(j, "history");
    assert_int_equal(json_array_size(hist), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 2), "comment")),
                        "по тарифу клиники");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 3), "to_ru")),
                        "выплачено");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 3), "role")),
                        "insurer");
    json_decref(j);
    assert_int_equal(dms_claims_store_load(cs, "1", 2026, &reg, NULL), DMS_OK);
    assert_int_equal(reg->count, 1);
    assert_int_equal(reg->lines[0].status, DMS_CLAIM_PAID);
    dms_register_free(reg);
    dms_claims_store_close(cs);
    /* Paid is final; documents can no longer be attached. */
    j = call_json(ins, "POST", path, "{\"to\":\"review\"}", 409);
    json_decref(j);
    char attach[96];
    snprintf(attach, sizeof attach, "/v1/me/requests/%ld/documents", req1);
    struct http_response r;
    assert_int_equal(call(emp1, "POST", attach, "application/pdf", pdf, sizeof pdf - 1, &r), 409);
    http_response_free(&r);

    /* HR: two requests, every count under 5 hidden. */
    j = call_json(hr, "GET", "/v1/request-counts", NULL, 200);
    assert_true(json_is_null(json_object_get(j, "total")));
    assert_true(json_is_null(json_object_get(json_object_get(j, "by_status"), "paid")));
    assert_true(json_is_null(json_object_get(json_object_get(j, "by_status"), "submitted")));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "by_status"), "rejected")), 0);
    json_decref(j);
    assert_int_equal(call(hr, "GET", "/v1/exports/requests.csv", NULL, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "Номер обращения;Номер полиса;Дата обращения;Дата услуги;"
                                   "Категория;Заявлено;Одобрено;ЛПУ;Статус\r\n"));
    assert_non_null(strstr(r.body, "R-1;Q-001;20.01.2026;15.01.2026;Стоматология;4500,00;"
                                   "4000,00;Клиника «Улыбка»;выплачено\r\n"));
    http_response_free(&r);
}

/* The scan turns the moves into the employee's notifications, and HR gets none of them. */
static void notifications(void **state)
{
    (void)state;
    char *scan[] = {"dmsrate", "notify", "run", "--today", "2026-01-20", "--db", db, NULL};
    assert_int_equal(run(NULL, 0, scan), 0);
    json_t *j = call_json(emp1, "GET", "/v1/me/notifications", NULL, 200);
    json_t *items = json_object_get(j, "notifications");
    bool paid = false, filed = false;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *subject =
            json_string_value(json_object_get(json_array_get(items, i), "subject"));
        paid = paid || strcmp(subject, "ДМС: обращение R-1 — выплачено") == 0;
        filed = filed || strcmp(subject, "ДМС: обращение R-1 — подано") == 0;
    }
    assert_true(paid && filed);
    json_decref(j);
    struct http_response r;
    assert_int_equal(call(hr, "GET", "/v1/notifications", NULL, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "обращение"));
    assert_null(strstr(r.body, "K02.1"));
    http_response_free(&r);
    assert_int_equal(call(hr, "GET", "/v1/notification-log", NULL, NULL, 0, &r), 200);
    assert_null(strstr(r.body, "K02.1"));
    http_response_free(&r);
    assert_int_equal(call(mgr, "GET", "/v1/notification-log", NULL, NULL, 0, &r), 403);
    http_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filing_and_documents),
        cmocka_unit_test(role_matrix),
        cmocka_unit_test(statuses_and_experience),
        cmocka_unit_test(notifications),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
