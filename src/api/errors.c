/*
 * The one error model of the HTTP API: a table from dms_status to HTTP
 * status and the encoder of {"error":{"code","message","path"}}. Bad input
 * maps to 4xx; only a bug or a failing library (EIO, EINTERNAL) is a 5xx,
 * and an exhausted memory is 503 so that clients retry.
 */
#include "dms/api.h"

static const unsigned http_of_status[] = {
    [DMS_OK] = 200,           [DMS_EINVAL] = 422,     [DMS_ENOMEM] = 503,    [DMS_ENUMERIC] = 422,
    [DMS_EPARSE] = 400,       [DMS_EIO] = 500,        [DMS_ENOTFOUND] = 404, [DMS_ECONFLICT] = 409,
    [DMS_ETOOBIG] = 413,      [DMS_EFORBIDDEN] = 403, [DMS_EUNAUTH] = 401,   [DMS_EINTERNAL] = 500,
    [DMS_EUNAVAILABLE] = 503,
};

unsigned dms_api_http_status(int status)
{
    if (status < 0 || (size_t)status >= sizeof http_of_status / sizeof http_of_status[0])
        return 500;
    return http_of_status[status];
}

json_t *dms_api_error_json(const dms_error *err, const char *code_name)
{
    int code = err != NULL && err->code != DMS_OK ? err->code : DMS_EINTERNAL;
    const char *message =
        err != NULL && err->message[0] != '\0' ? err->message : dms_strerror(code);
    json_t *body = json_object();
    json_t *error = json_object();
    if (body == NULL || error == NULL)
        goto out_nomem;
    int failed = 0;
    failed |= json_object_set_new(
        error, "code", json_string(code_name != NULL ? code_name : dms_status_name(code)));
    /* Messages quote user input, which may not be valid UTF-8. */
    json_t *text = json_string(message);
    if (text == NULL)
        text = json_string("(message not representable in UTF-8)");
    failed |= json_object_set_new(error, "message", text);
    json_t *path = json_string(err != NULL ? err->path : "");
    failed |= json_object_set_new(error, "path", path != NULL ? path : json_string(""));
    if (err != NULL && err->line > 0) {
        failed |= json_object_set_new(error, "line", json_integer(err->line));
        failed |= json_object_set_new(error, "column", json_integer(err->column));
    }
    failed |= json_object_set_new(body, "error", error);
    error = NULL;
    if (failed)
        goto out_nomem;
    return body;
out_nomem:
    json_decref(error);
    json_decref(body);
    return NULL;
}
