/*
 * libFuzzer target for the HTTP request decoder: the input is the body of
 * POST /v1/aggregate and goes through the same dispatch the server uses
 * (decode, validate, compute under tight cost limits, encode). Whatever the
 * bytes, the answer must be 200, 400, 413 or 422 with a JSON body, and an
 * error body must carry a code and a message: bad input is never a 5xx.
 * An input whose first line starts with '/' is also routed as a path. The
 * route needs an API key: a broker's, in a temporary store made once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <stdio.h>
#include <unistd.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t aggregate_route(void)
{
    for (size_t i = 0; i < dms_api_route_count(); i++)
        if (strcmp(dms_api_route_pattern(i), "/v1/aggregate") == 0)
            return i;
    abort();
}

static dms_store *store;
static char authorization[128];

static void setup(void)
{
    char path[] = "/tmp/dms-fuzz-request-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    close(fd);
    unlink(path);
    char key[DMS_ENROL_KEY_SIZE];
    if (dms_store_open(path, &store, NULL) != DMS_OK)
        abort();
    dms_tenant_key_spec spec = {
        .role = DMS_ROLE_BROKER, .employer = dms_store_tenant(store), .actor = "fuzz"};
    if (dms_tenant_key_create(store, &spec, key, NULL, NULL) != DMS_OK)
        abort();
    snprintf(authorization, sizeof authorization, "Bearer %s", key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gsl_set_error_handler_off();
    if (store == NULL)
        setup();
    if (size > 1 << 20)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    if (size > 0 && text[0] == '/') {
        size_t line = strcspn(text, "\n");
        char path[512], allow[64], param[128];
        snprintf(path, sizeof path, "%.*s", (int)(line < 511 ? line : 511), text);
        bool allowed;
        int route =
            dms_api_route_find("GET", path, &allowed, allow, sizeof allow, param, sizeof param);
        if (route != DMS_API_ROUTE_NONE && dms_api_route_pattern((size_t)route) == NULL)
            abort();
    }

    dms_api_limits limits = {.max_sims = 2000, .max_points = 4096};
    dms_api_request req = {
        .method = "POST",
        .path = "/v1/aggregate",
        .param = "",
        .content_type = "application/json",
        .body = text,
        .body_len = size,
        .catalog = NULL,
        .limits = &limits,
        .authorization = authorization,
        .store = store,
        .today = "2026-01-01",
    };
    dms_api_response resp;
    dms_api_dispatch(aggregate_route(), &req, NULL, &resp);
    if (resp.status != 200 && resp.status != 400 && resp.status != 413 && resp.status != 422)
        abort();
    json_error_t jerr;
    json_t *body = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (body == NULL)
        abort();
    if (resp.status != 200) {
        json_t *error = json_object_get(body, "error");
        if (json_string_length(json_object_get(error, "code")) == 0 ||
            json_string_length(json_object_get(error, "message")) == 0 ||
            !json_is_string(json_object_get(error, "path")))
            abort();
    }
    json_decref(body);
    free(resp.body);
    free(text);
    return 0;
}
