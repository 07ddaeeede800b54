/*
 * libFuzzer target for the employee module picker's request bodies, through
 * the real dispatcher, authentication and SQLite store: the first byte picks
 * a route (draft election, recommendation questionnaire, submit, life event,
 * HR mass status change, claims reports, register changes as JSON or as a
 * template), the rest is the body. A store seeded once with the
 * sample employer lives in a temporary file. Whatever the body, the answer
 * must be a 2xx or 4xx (a 503 only when memory runs out), never a crash and
 * never a 500.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dms_api_catalog *catalog;
static dms_store *store;
static char employee_auth[128], hr_auth[128];

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    *len = fread(text, 1, (size_t)n, f);
    text[*len] = '\0';
    fclose(f);
    return text;
}

/* Catalog, a seeded store and two keys, once per process (run from the
 * repository root). */
static void setup(void)
{
    gsl_set_error_handler_off();
    char path[] = "/tmp/dms-fuzz-picker-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    close(fd);
    unlink(path); /* dms_store_open creates it */
    json_t *policy = NULL;
    size_t len;
    char *csv = read_file("examples/census/midsize-450.csv", &len);
    char key[DMS_ENROL_KEY_SIZE];
    long employer = 0;
    if (csv == NULL || dms_api_catalog_load("tariffs", "models", 1, &catalog, NULL) != DMS_OK ||
        dms_store_open(path, &store, NULL) != DMS_OK ||
        dms_tenant_employer_default(store, &employer, NULL) != DMS_OK ||
        (dms_store_tenant_set(store, employer), false) ||
        dms_json_load_file("examples/policies/midsize-2026.json", &policy, NULL) != DMS_OK ||
        dms_enrol_import(store, policy, csv, len, "fuzz", NULL, NULL) != DMS_OK)
        abort();
    dms_tenant_key_spec spec = {
        .role = DMS_ROLE_EMPLOYEE, .employer = employer, .employee_id = "100014", .actor = "fuzz"};
    if (dms_tenant_key_create(store, &spec, key, NULL, NULL) != DMS_OK)
        abort();
    snprintf(employee_auth, sizeof employee_auth, "Bearer %s", key);
    spec = (dms_tenant_key_spec){.role = DMS_ROLE_HR, .employer = employer, .actor = "fuzz"};
    if (dms_tenant_key_create(store, &spec, key, NULL, NULL) != DMS_OK)
        abort();
    snprintf(hr_auth, sizeof hr_auth, "Bearer %s", key);
    json_decref(policy);
    free(csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *method, *path;
        bool hr;
        const char *type;
    } routes[] = {
        {"PUT", "/v1/me/election", false, NULL},
        {"POST", "/v1/me/recommendation", false, NULL},
        {"POST", "/v1/me/election/submit", false, NULL},
        {"POST", "/v1/me/life-events", false, NULL},
        {"POST", "/v1/status-changes", true, NULL},
        {"POST", "/v1/reports/utilisation", true, NULL},
        {"POST", "/v1/reports/limits", true, NULL},
        {"POST", "/v1/register", true, NULL},       /* one change typed in */
        {"POST", "/v1/register", true, "text/csv"}, /* the insurer's template */
    };
    if (store == NULL)
        setup();
    if (size == 0 || size > 65536)
        return 0;
    size_t pick = data[0] % (sizeof routes / sizeof routes[0]);
    char param[64] = "";
    bool allowed = false;
    int route = dms_api_route_find(routes[pick].method, routes[pick].path, &allowed, NULL, 0, param,
                                   sizeof param);
    if (route == DMS_API_ROUTE_NONE || !allowed)
        abort(); /* the route table lost a picker route */
    dms_api_request req = {
        .method = routes[pick].method,
        .path = routes[pick].path,
        .param = param,
        .content_type = routes[pick].type != NULL ? routes[pick].type : "application/json",
        .body = (const char *)data + 1,
        .body_len = size - 1,
        .catalog = catalog,
        .limits = NULL,
        .authorization = routes[pick].hr ? hr_auth : employee_auth,
        .store = store,
        .today = "2025-12-01",
    };
    dms_api_limits limits = dms_api_config_default().limits;
    req.limits = &limits;
    dms_api_response resp = {0};
    dms_api_dispatch((size_t)route, &req, NULL, &resp);
    if (resp.status >= 500 && resp.status != 503)
        abort();
    free(resp.body);
    return 0;
}
