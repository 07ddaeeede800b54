/*
 * Handlers of the tenant routes: employers (list, one, create) and the keys
 * of an employer (list, revoke). The employer a request acts for is already
 * resolved and bound to the store by the router; these handlers only add
 * the checks that depend on the object (a key of another employer is
 * answered as absent, never as forbidden, so no tenant learns of another).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/report.h"
#include "dms/store.h"
#include "dms/tenant_store.h"
#include "routes.h"

static void fail(dms_api_response *resp, const dms_error *err)
{
    int code = err->code != DMS_OK ? err->code : DMS_EINTERNAL;
    dms_api_response_error(resp, dms_api_http_status(code), err, NULL);
}

/* The positive integer of text (the {id} segment), or 0. */
static long positive_id(const char *text)
{
    char *end = NULL;
    long v = text != NULL && text[0] >= '1' && text[0] <= '9' ? strtol(text, &end, 10) : 0;
    return end != NULL && *end == '\0' && v > 0 ? v : 0;
}

static json_t *employer_json(const dms_tenant_employer *e)
{
    return json_pack("{s:I, s:s, s:s?, s:s}", "id", (json_int_t)e->id, "name", e->name, "inn",
                     e->inn[0] != '\0' ? e->inn : NULL, "created_at", e->created_at);
}

static json_t *nullable(const char *text)
{
    return text[0] != '\0' ? json_string(text) : json_null();
}

static json_t *key_json(const dms_tenant_key *k)
{
    json_t *employers = json_array();
    for (const char *p = k->employers; *p != '\0';) {
        char *end = NULL;
        long id = strtol(p, &end, 10);
        json_array_append_new(employers, json_integer(id));
        p = *end == ',' ? end + 1 : end;
    }
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "id",
                  (json_int_t)k->id, "prefix", k->prefix, "role", dms_role_name(k->role),
                  "employer", k->employer > 0 ? json_integer(k->employer) : json_null(),
                  "employers", employers, "employee_id", nullable(k->employee_id), "department",
                  nullable(k->department), "created_at", k->created_at, "created_by", k->created_by,
                  "expires_at", nullable(k->expires_at), "last_used_at", nullable(k->last_used_at),
                  "revoked_at", nullable(k->revoked_at));
    return o;
}

void dms_api_employers_list(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    const dms_enrol_principal *who = req->principal;
    dms_tenant_employer *list = NULL, one;
    size_t n = 0;
    int status;
    if (who->role == DMS_ROLE_INSURER || who->role == DMS_ROLE_BROKER) {
        status = dms_tenant_employer_list(
            req->store, who->role == DMS_ROLE_BROKER ? who->key_id : 0, &list, &n, &err);
    } else if ((status = dms_tenant_employer_get(req->store, who->employer, &one, &err)) ==
               DMS_OK) {
        list = &one;
        n = 1;
    }
    if (status != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, employer_json(&list[i]));
    if (list != &one)
        free(list);
    dms_api_response_json(resp, 200, json_pack("{s:o}", "employers", items));
}

void dms_api_employer_show(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = positive_id(req->param);
    dms_tenant_employer e;
    if (id == 0 || !dms_tenant_key_allows(req->store, req->principal, id)) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no employer %.20s", req->param);
        fail(resp, &err);
        return;
    }
    if (dms_tenant_employer_get(req->store, id, &e, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, employer_json(&e));
}

void dms_api_employers_create(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *body = NULL;
    long id = 0;
    dms_tenant_employer e;
    if (dms_json_parse_text(req->body, req->body_len, &body, &err) != DMS_OK)
        goto out_fail;
    const char *key;
    json_t *value;
    if (!json_is_object(body)) {
        dms_error_set(&err, DMS_EINVAL, "", "the body must be a JSON object {\"name\", \"inn\"}");
        goto out_fail;
    }
    json_object_foreach(body, key, value)
    {
        if ((strcmp(key, "name") != 0 && strcmp(key, "inn") != 0) || !json_is_string(value)) {
            dms_error_set(&err, DMS_EINVAL, NULL, "'%.64s': expected \"name\" and \"inn\" strings",
                          key);
            snprintf(err.path, sizeof err.path, "/%.200s", key);
            goto out_fail;
        }
    }
    if (dms_tenant_employer_create(req->store, json_string_value(json_object_get(body, "name")),
                                   json_string_value(json_object_get(body, "inn")),
                                   req->principal->actor, &id, &err) != DMS_OK ||
        dms_tenant_employer_get(req->store, id, &e, &err) != DMS_OK)
        goto out_fail;
    json_decref(body);
    dms_api_response_json(resp, 201, employer_json(&e));
    return;
out_fail:
    json_decref(body);
    fail(resp, &err);
}

/* Keys the caller may see: its own employer's (hr), the named or all (insurer). */
static long keys_scope(const dms_api_request *req)
{
    if (req->principal->role == DMS_ROLE_INSURER)
        return dms_store_tenant(req->store);
    return req->principal->employer;
}

void dms_api_keys_list(const dms_api_request *req, const dms_api_hooks *hooks,
                       dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_tenant_key *list = NULL;
    size_t n = 0;
    long scope = keys_scope(req);
    if (scope == 0 && req->principal->role != DMS_ROLE_INSURER) {
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no employer");
        fail(resp, &err);
        return;
    }
    if (dms_tenant_key_list(req->store, scope, &list, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, key_json(&list[i]));
    free(list);
    dms_api_response_json(resp, 200, json_pack("{s:o}", "keys", items));
}

void dms_api_key_revoke(const dms_api_request *req, const dms_api_hooks *hooks,
                        dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    long id = positive_id(req->param);
    long scope = keys_scope(req);
    dms_tenant_key k;
    /* Out of scope is absent: an hr key never learns that another employer's key exists. */
    if (id == 0 || dms_tenant_key_get(req->store, id, &k, &err) != DMS_OK ||
        (scope != 0 && k.employer != scope) ||
        (req->principal->role != DMS_ROLE_INSURER && k.employer == 0)) {
        dms_error_clear(&err);
        dms_error_set(&err, DMS_ENOTFOUND, NULL, "no key %.20s", req->param);
        fail(resp, &err);
        return;
    }
    if (dms_tenant_key_revoke(req->store, id, req->principal->actor, &err) != DMS_OK ||
        dms_tenant_key_get(req->store, id, &k, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    dms_api_response_json(resp, 200, key_json(&k));
}
