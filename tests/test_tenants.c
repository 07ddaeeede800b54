/*
 * Tenants: three employers A, B and C in one `dmsrate serve`, whose people
 * share the same employee ids (the same census, with each employer's own
 * department names, policy name and employer name carrying a marker
 * MARKA / MARKB / MARKC). Every route of the router's table (walked, so a
 * new route is covered without editing this file) is called by every kind
 * of key of A (employee, hr, manager, finance, a broker bound to A, the
 * insurer under /v1/employers/A/) three ways: with A's own objects, with
 * B's object ids, and under the /v1/employers/B/ prefix. The test asserts
 * that nothing of B or C ever appears in an answer, that the B prefix is
 * never served to A's keys, and that B's and C's stored rows are the same
 * after the whole matrix as before it. It also checks key expiry, revocation
 * through the API within scope, and that key changes reach the audit log.
 */
#include <fcntl.h>
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
#include "dms/sql.h"
#include "dms/store.h"

#include "dms/api.h"
#include "http_client.h"
#include "store_target.h"
#include "run_command.h"
#include "store_server.h"
#include "testutil.h"

#define T 20000

static char dir[64], db[256];
static unsigned port;
static pid_t server_pid;

enum { KEY_EMP, KEY_HR, KEY_MGR, KEY_FIN, KEY_BRK, KEY_INS, KEY_KINDS };
static const char *const kind_names[KEY_KINDS] = {"employee", "hr",     "manager",
                                                  "finance",  "broker", "insurer"};

struct tenant {
    char mark[8];    /* MARKA ... */
    long id;         /* employer id */
    long election;   /* the election of employee 100014 */
    long victim_key; /* a finance key the matrix may revoke */
    char keys[KEY_KINDS][80];
};
static struct tenant ten[3];
static char key_insurer[80], key_broker_ac[80];

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = slurp_fd(f);
    fclose(f);
    return text;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* text with every occurrence of from replaced by to (malloc'd). */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t n = 0, lf = strlen(from), lt = strlen(to);
    for (const char *p = strstr(text, from); p != NULL; p = strstr(p + lf, from))
        n++;
    char *out = malloc(strlen(text) + n * lt + 1), *o = out;
    for (const char *p = text;;) {
        const char *hit = strstr(p, from);
        if (hit == NULL) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, lt);
        o += lt;
        p = hit + lf;
    }
    return out;
}

/* Runs dmsrate with argv (NULL-terminated, argv[0] ignored); stdout's first line into out. */
static int run(char *out, size_t size, char *const argv[])
{
    return store_run(out, size, argv);
}

static int call(const char *key, const char *method, const char *path, const char *body,
                json_t **out, char **text)
{
    struct http_response r;
    http_key = key;
    http_call(port, method, path, body != NULL ? "application/json" : NULL, body, &r, T);
    http_key = NULL;
    int status = r.status;
    if (out != NULL) {
        json_error_t jerr;
        *out = r.body != NULL ? json_loads(r.body, 0, &jerr) : NULL;
    }
    if (text != NULL)
        *text = r.body != NULL ? strdup(r.body) : strdup("");
    http_response_free(&r);
    return status;
}

static long last_key_id(void)
{
    dms_store *h = NULL;
    long id = 0;
    dms_stmt *stmt = NULL;
    if (dms_store_open(db, &h, NULL) == DMS_OK &&
        dms_sql_prepare(h, "SELECT max(id) FROM api_key", &stmt) == DMS_SQL_OK &&
        dms_sql_step(stmt) == DMS_SQL_ROW)
        id = (long)dms_sql_column_int64(stmt, 0);
    dms_sql_finalize(stmt);
    dms_store_close(h);
    return id;
}

static int make_key(char *key, const char *role, long employer, const char *flag, const char *value)
{
    char emp[24];
    snprintf(emp, sizeof emp, "%ld", employer);
    char *argv[] = {"dmsrate", "keys",       "create", "--role",     (char *)role,  "--db",
                    db,        "--employer", emp,      (char *)flag, (char *)value, NULL};
    if (employer == 0)
        argv[7] = NULL;
    return run(key, 80, argv);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "tenants") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    char *census = read_text("examples/census/midsize-450.csv");
    char *policy = read_text("examples/policies/midsize-2026.json");
    if (census == NULL || policy == NULL)
        return -1;
    for (int t = 0; t < 3; t++) {
        struct tenant *x = &ten[t];
        snprintf(x->mark, sizeof x->mark, "MARK%c", 'A' + t);
        char name[64], id[32], dept[64], census_path[160], policy_path[160];
        snprintf(name, sizeof name, "ООО %.5s", x->mark);
        char *argv[] = {"dmsrate", "employers", "create", "--name", name, "--db", db, NULL};
        if (run(id, sizeof id, argv) != 0)
            return -1;
        x->id = atol(id);
        /* Same employee ids, the employer's own department and policy names. */
        snprintf(dept, sizeof dept, "Finance %.5s", x->mark);
        char *c = replace_all(census, "Finance", dept);
        snprintf(dept, sizeof dept, "Гибкий соцпакет 2026 %.5s", x->mark);
        char *p = replace_all(policy, "Гибкий соцпакет 2026", dept);
        snprintf(census_path, sizeof census_path, "%s/census-%.5s.csv", dir, x->mark);
        snprintf(policy_path, sizeof policy_path, "%s/policy-%.5s.json", dir, x->mark);
        write_text(census_path, c);
        write_text(policy_path, p);
        free(c);
        free(p);
        char *imp[] = {"dmsrate",   "enrol",    "import",    "--employer", id, "--policy",
                       policy_path, "--census", census_path, "--db",       db, NULL};
        if (run(NULL, 0, imp) != 0)
            return -1;
        snprintf(dept, sizeof dept, "Finance %.5s", x->mark);
        if (make_key(x->keys[KEY_EMP], "employee", x->id, "--employee", "100014") != 0 ||
            make_key(x->keys[KEY_HR], "hr", x->id, NULL, NULL) != 0 ||
            make_key(x->keys[KEY_MGR], "manager", x->id, "--department", dept) != 0 ||
            make_key(x->keys[KEY_FIN], "finance", x->id, NULL, NULL) != 0 ||
            make_key(x->keys[KEY_BRK], "broker", x->id, NULL, NULL) != 0)
            return -1;
        char spare[80];
        if (make_key(spare, "finance", x->id, NULL, NULL) != 0)
            return -1;
        x->victim_key = last_key_id();
        /* A register: policy P-1 in every employer, P-MARKx in its own only. */
        char reg_path[160], reg[512];
        snprintf(reg_path, sizeof reg_path, "%s/register-%.5s.csv", dir, x->mark);
        snprintf(reg, sizeof reg,
                 "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;Подразделение;"
                 "Программа\n"
                 "прикрепить;01.01.2026;P-1;100014;Петров %.5s;Finance %.5s;senior\n"
                 "прикрепить;01.01.2026;P-%.5s;100007;Иванов %.5s;Finance %.5s;young\n",
                 x->mark, x->mark, x->mark, x->mark, x->mark);
        write_text(reg_path, reg);
        char *ri[] = {"dmsrate", "register", "import",     "--employer", id, "--file",
                      reg_path,  "--today",  "2026-01-10", "--db",       db, NULL};
        if (run(NULL, 0, ri) != 0)
            return -1;
    }
    free(census);
    free(policy);
    char a[24], c[24];
    snprintf(a, sizeof a, "%ld", ten[0].id);
    snprintf(c, sizeof c, "%ld", ten[2].id);
    char *brk[] = {"dmsrate", "keys",       "create", "--role", "broker", "--employer",
                   a,         "--employer", c,        "--db",   db,       NULL};
    char *ins[] = {"dmsrate", "keys", "create", "--role", "insurer", "--db", db, NULL};
    if (run(key_broker_ac, sizeof key_broker_ac, brk) != 0 ||
        run(key_insurer, sizeof key_insurer, ins) != 0)
        return -1;
    for (int t = 0; t < 3; t++)
        snprintf(ten[t].keys[KEY_INS], sizeof ten[t].keys[KEY_INS], "%s", key_insurer);
    char log[128];
    snprintf(log, sizeof log, "%s/server.log", dir);
    const char *args[] = {"--models", "models",     "--tariffs", "tariffs", "--db",      db,
                          "--today",  "2025-11-20", "--threads", "2",       "--no-seed", NULL};
    server_pid = start_dmsrate_serve(args, log, T, &port);
    if (server_pid <= 0)
        return -1;
    /* Each employer's employee 100014 saves and submits an election. */
    for (int t = 0; t < 3; t++) {
        json_t *j = NULL;
        if (call(ten[t].keys[KEY_EMP], "PUT", "/v1/me/election",
                 "{\"options\": [\"dental_standard\"]}", &j, NULL) != 200)
            return -1;
        ten[t].election = (long)json_integer_value(json_object_get(j, "id"));
        json_decref(j);
        if (ten[t].election <= 0 ||
            call(ten[t].keys[KEY_EMP], "POST", "/v1/me/election/submit", NULL, NULL, NULL) != 200)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return store_server_stop(server_pid, dir);
}

/* Everything stored for employer id, as one text (last-used times left out). */
static char *fingerprint(long id)
{
    static const char *const queries[] = {
        "SELECT id, name, inn FROM employer WHERE id = ?1",
        "SELECT id, policy_name, employees, policy_json, census_csv FROM enrol_employer "
        "WHERE tenant = ?1",
        "SELECT employee_id, department, employer_id FROM enrol_employee WHERE tenant = ?1",
        "SELECT id, employee_id, department, status, version, options, price, life_event, "
        "reason, updated_at FROM election WHERE tenant = ?1",
        "SELECT h.id, h.version, h.to_status, h.actor, h.options FROM election_history h "
        "JOIN election e ON e.id = h.election_id WHERE e.tenant = ?1",
        "SELECT id, role, employee_id, department, revoked_at, expires_at FROM api_key "
        "WHERE tenant = ?1",
        "SELECT key_id FROM api_key_employer WHERE tenant = ?1",
        "SELECT count(*) FROM audit_log WHERE tenant = ?1",
        "SELECT * FROM insured_person WHERE tenant = ?1",
        "SELECT * FROM insured_change WHERE tenant = ?1",
        "SELECT * FROM insured_upload WHERE tenant = ?1",
        "SELECT retro_days FROM employer WHERE id = ?1",
    };
    dms_store *h = NULL;
    assert_int_equal(dms_store_open(db, &h, NULL), DMS_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        dms_stmt *stmt = NULL;
        assert_int_equal(dms_sql_prepare(h, queries[q], &stmt), DMS_SQL_OK);
        dms_sql_bind_int64(stmt, 1, id);
        while (dms_sql_step(stmt) == DMS_SQL_ROW)
            for (int c = 0; c < dms_sql_column_count(stmt); c++) {
                const char *v = dms_sql_column_text(stmt, c);
                size_t need = (v != NULL ? strlen(v) : 4) + 2;
                while (len + need >= cap)
                    out = realloc(out, cap *= 2);
                len += (size_t)snprintf(out + len, cap - len, "%s|", v != NULL ? v : "NULL");
            }
        dms_sql_finalize(stmt);
        out[len++] = '\n';
        out[len] = '\0';
    }
    dms_store_close(h);
    return out;
}

/* A body for method + pattern that the route would accept from a rightful caller. */
static const char *body_for(const char *method, const char *pattern, const struct tenant *obj,
                            char *buf, size_t size)
{
    if (strcmp(method, "GET") == 0 || strstr(pattern, "/revoke") != NULL ||
        strcmp(pattern, "/v1/me/election/submit") == 0 || strcmp(pattern, "/v1/admin/reload") == 0)
        return NULL;
    if (strcmp(pattern, "/v1/aggregate") == 0)
        return "{\"frequency\": {\"family\": \"poisson\", \"mean\": 1}, \"severity\": "
               "{\"family\": \"gamma\", \"shape\": 2, \"scale\": 1000}}";
    if (strcmp(pattern, "/v1/me/election") == 0)
        return "{\"options\": [\"dental_standard\", \"telemedicine\"]}";
    if (strstr(pattern, "life-events") != NULL)
        return "{\"event\": \"birth\", \"date\": \"2025-11-19\"}";
    if (strcmp(pattern, "/v1/status-changes") == 0) {
        snprintf(buf, size, "{\"ids\": [%ld], \"to\": \"rejected\", \"reason\": \"x\"}",
                 obj->election);
        return buf;
    }
    if (strcmp(pattern, "/v1/register") == 0) {
        snprintf(buf, size,
                 "{\"action\": \"открепить\", \"effective_date\": \"2026-06-01\", "
                 "\"policy\": \"P-%s\"}",
                 obj->mark);
        return buf;
    }
    if (strcmp(pattern, "/v1/employers") == 0)
        return "{\"name\": \"ООО Новый\"}";
    if (strcmp(pattern, "/v1/reports/{id}") == 0)
        return "{\"register_csv\": \"claim_id;employee_id;service_date;category;amount_billed;"
               "amount_paid\\nA;100014;2026-03-10;outpatient;1000;1000\\n\", "
               "\"membership_csv\": \"employee_id;relation;birth_date;sex;department;"
               "attach_date;detach_date\\n100014;employee;1980-01-01;M;Finance;2026-01-01;\\n\","
               " \"period\": {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"}, \"min_cell\": 1}";
    return "{}";
}

/* pattern with {id} filled for the objects of obj. */
static void fill(const char *pattern, const struct tenant *obj, char *url, size_t size)
{
    const char *brace = strstr(pattern, "{id}");
    if (brace == NULL) {
        snprintf(url, size, "%s", pattern);
        return;
    }
    char id[64];
    if (strncmp(pattern, "/v1/elections/", 14) == 0)
        snprintf(id, sizeof id, "%ld", obj->election);
    else if (strncmp(pattern, "/v1/keys/", 9) == 0)
        snprintf(id, sizeof id, "%ld", obj->victim_key);
    else if (strncmp(pattern, "/v1/employers/", 14) == 0)
        snprintf(id, sizeof id, "%ld", obj->id);
    else if (strncmp(pattern, "/v1/departments/", 16) == 0)
        snprintf(id, sizeof id, "Finance%%20%s", obj->mark);
    else if (strncmp(pattern, "/v1/register/", 13) == 0)
        snprintf(id, sizeof id, "P-%s", obj->mark);
    else if (strncmp(pattern, "/v1/reports/", 12) == 0)
        snprintf(id, sizeof id, "utilisation");
    else
        snprintf(id, sizeof id, "1");
    snprintf(url, size, "%.*s%s%s", (int)(brace - pattern), pattern, id, brace + 4);
}

/* "/v1/employers/N" + the route's path after "/v1". */
static void prefixed(long employer, const char *url, char *out, size_t size)
{
    if (strncmp(url, "/v1/", 4) == 0)
        snprintf(out, size, "/v1/employers/%ld%s", employer, url + 3);
    else
        snprintf(out, size, "%s", url);
}

static bool mentions_other(const char *text, int self)
{
    for (int t = 0; t < 3; t++)
        if (t != self && strstr(text, ten[t].mark) != NULL)
            return true;
    return false;
}

static void no_read_or_write_crosses_employers(void **state)
{
    (void)state;
    char *before_b = fingerprint(ten[1].id), *before_c = fingerprint(ten[2].id);
    const struct tenant *a = &ten[0], *b = &ten[1];
    int calls = 0, served = 0;
    for (size_t r = 0; r < dms_api_route_count(); r++) {
        const char *method = dms_api_route_method(r), *pattern = dms_api_route_pattern(r);
        if (strcmp(pattern, "/v1/admin/reload") == 0)
            continue; /* global by design (insurer only), touches no employer */
        for (int k = 0; k < KEY_KINDS; k++) {
            const char *key = a->keys[k];
            char url[256], own[320], body_buf[256];
            /* 1. A's own objects: nothing of B or C in the answer. The insurer
             *    names A in the path; the others reach A from their key. */
            fill(pattern, a, url, sizeof url);
            if (k == KEY_INS && strncmp(url, "/v1/employers", 13) != 0)
                prefixed(a->id, url, own, sizeof own);
            else
                snprintf(own, sizeof own, "%s", url);
            char *text = NULL;
            int status = call(key, method, own,
                              body_for(method, pattern, a, body_buf, sizeof body_buf), NULL, &text);
            calls++;
            served += status >= 200 && status < 300;
            bool global_list = k == KEY_INS && strncmp(pattern, "/v1/employers", 13) == 0;
            if (!global_list && mentions_other(text, 0))
                fail_msg("%s %s as %s (A) shows another employer: %d %.300s", method, own,
                         kind_names[k], status, text);
            free(text);
            /* 2. B's object ids, through A's scope: never served with B's data. */
            fill(pattern, b, url, sizeof url);
            if (k == KEY_INS && strncmp(url, "/v1/employers", 13) != 0)
                prefixed(a->id, url, own, sizeof own);
            else
                snprintf(own, sizeof own, "%s", url);
            const char *body = body_for(method, pattern, b, body_buf, sizeof body_buf);
            status = call(key, method, own, body, NULL, &text);
            calls++;
            /* The request names B's object (by its id, or in the body): A must not reach it.
             * A department or report name is not an object of B. */
            bool targets_b =
                (strstr(pattern, "{id}") != NULL && strncmp(pattern, "/v1/departments/", 16) != 0 &&
                 strncmp(pattern, "/v1/reports/", 12) != 0) ||
                (body != NULL && strstr(body, b->mark) != NULL) ||
                strcmp(pattern, "/v1/status-changes") == 0;
            bool echoes_b = strstr(own, b->mark) != NULL || (body != NULL && strstr(body, b->mark));
            bool insurer_global = k == KEY_INS && strncmp(pattern, "/v1/employers", 13) == 0;
            if (!insurer_global && targets_b && status >= 200 && status < 300)
                fail_msg("%s %s as %s (A) with B's object was served: %d %.300s", method, own,
                         kind_names[k], status, text);
            if (!insurer_global && !echoes_b && mentions_other(text, 0))
                fail_msg("%s %s as %s (A) leaks B: %.300s", method, own, kind_names[k], text);
            free(text);
            /* 3. Under B's prefix: refused (403 role, 404 scope) for every key of A. */
            if (k == KEY_INS || strncmp(pattern, "/v1/employers", 13) == 0 ||
                strncmp(pattern, "/v1/", 4) != 0)
                continue;
            fill(pattern, a, url, sizeof url);
            prefixed(b->id, url, own, sizeof own);
            status = call(key, method, own, body_for(method, pattern, a, body_buf, sizeof body_buf),
                          NULL, &text);
            calls++;
            if (status != 403 && status != 404)
                fail_msg("%s %s as %s (A) under B's prefix: %d %.300s", method, own, kind_names[k],
                         status, text);
            free(text);
        }
    }
    char *after_b = fingerprint(ten[1].id), *after_c = fingerprint(ten[2].id);
    assert_string_equal(before_b, after_b);
    assert_string_equal(before_c, after_c);
    assert_true(calls > 3 * 6 * 30);
    assert_true(served > 40); /* the matrix did reach A's own data */
    free(before_b);
    free(before_c);
    free(after_b);
    free(after_c);
}

static void broker_reaches_its_employers_only(void **state)
{
    (void)state;
    char path[128];
    json_t *j = NULL;
    /* Bound to A and C: both served, B is 404 like an employer that does not exist. */
    snprintf(path, sizeof path, "/v1/employers/%ld/employer", ten[0].id);
    assert_int_equal(call(key_broker_ac, "GET", path, NULL, NULL, NULL), 200);
    snprintf(path, sizeof path, "/v1/employers/%ld/elections", ten[2].id);
    char *text = NULL;
    assert_int_equal(call(key_broker_ac, "GET", path, NULL, NULL, &text), 200);
    assert_non_null(strstr(text, "MARKC"));
    assert_null(strstr(text, "MARKA"));
    free(text);
    snprintf(path, sizeof path, "/v1/employers/%ld/elections", ten[1].id);
    assert_int_equal(call(key_broker_ac, "GET", path, NULL, &j, NULL), 404);
    json_decref(j);
    assert_int_equal(call(key_broker_ac, "GET", "/v1/employers/999/elections", NULL, NULL, NULL),
                     404);
    /* Two employers: the path must name one. */
    assert_int_equal(call(key_broker_ac, "GET", "/v1/elections", NULL, NULL, NULL), 404);
    assert_int_equal(call(key_broker_ac, "GET", "/v1/employers", NULL, &j, NULL), 200);
    assert_int_equal(json_array_size(json_object_get(j, "employers")), 2);
    json_decref(j);
    /* The insurer reaches every employer, but names it. */
    assert_int_equal(call(key_insurer, "GET", "/v1/elections", NULL, NULL, NULL), 404);
    snprintf(path, sizeof path, "/v1/employers/%ld/elections", ten[1].id);
    assert_int_equal(call(key_insurer, "GET", path, NULL, NULL, NULL), 200);
}

static void keys_expire_revoke_and_are_audited(void **state)
{
    (void)state;
    json_t *j = NULL;
    /* hr of B revokes a key of B through the API; hr of A cannot see it (404). */
    long id = ten[1].victim_key;
    char path[64];
    snprintf(path, sizeof path, "/v1/keys/%ld/revoke", id);
    assert_int_equal(call(ten[0].keys[KEY_HR], "POST", path, NULL, NULL, NULL), 404);
    assert_int_equal(call(ten[1].keys[KEY_HR], "POST", path, NULL, &j, NULL), 200);
    assert_non_null(json_string_value(json_object_get(j, "revoked_at")));
    json_decref(j);
    assert_int_equal(call(ten[1].keys[KEY_HR], "POST", path, NULL, NULL, NULL), 409);
    /* hr lists its own employer's keys only; last use is recorded. */
    assert_int_equal(call(ten[1].keys[KEY_HR], "GET", "/v1/keys", NULL, &j, NULL), 200);
    size_t i;
    json_t *k;
    bool saw_self_used = false;
    json_array_foreach(json_object_get(j, "keys"), i, k)
    {
        assert_int_equal(json_integer_value(json_object_get(k, "employer")), ten[1].id);
        if (strcmp(json_string_value(json_object_get(k, "role")), "hr") == 0)
            saw_self_used = json_is_string(json_object_get(k, "last_used_at"));
    }
    assert_true(saw_self_used);
    json_decref(j);
    /* A revoked key and an expired key are both refused. */
    dms_store *h = NULL;
    assert_int_equal(dms_store_open(db, &h, NULL), DMS_OK);
    char sql[320];
    snprintf(sql, sizeof sql,
             "UPDATE api_key SET expires_at = '2000-01-01T00:00:00.000Z' WHERE tenant = %ld "
             "AND role = 'manager'",
             ten[2].id);
    assert_int_equal(dms_sql_exec(h, sql), DMS_SQL_OK);
    assert_int_equal(call(ten[2].keys[KEY_MGR], "GET", "/v1/employer", NULL, &j, NULL), 401);
    assert_non_null(strstr(
        json_string_value(json_object_get(json_object_get(j, "error"), "message")), "expired"));
    json_decref(j);
    /* The audit log holds every key creation and the revocation, with who and what. */
    dms_stmt *stmt = NULL;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FILTER (WHERE action = 'key.create'), count(*) FILTER (WHERE "
             "action = 'key.revoke' AND object = 'key %ld' AND actor LIKE 'key %% (hr)') FROM "
             "audit_log",
             id);
    assert_int_equal(dms_sql_prepare(h, sql, &stmt), DMS_SQL_OK);
    assert_int_equal(dms_sql_step(stmt), DMS_SQL_ROW);
    assert_int_equal(dms_sql_column_int(stmt, 0), 3 * 6 + 2);
    assert_int_equal(dms_sql_column_int(stmt, 1), 1);
    dms_sql_finalize(stmt);
    dms_store_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_read_or_write_crosses_employers),
        cmocka_unit_test(broker_reaches_its_employers_only),
        cmocka_unit_test(keys_expire_revoke_and_are_audited),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
