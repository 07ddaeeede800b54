/*
 * The one error model of the HTTP API: a table from dms_status to HTTP
 * status and the encoder of {"error":{"code","message","path"}}. Bad input
 * maps to 4xx; only a bug or a failing library (EIO, EINTERNAL) is a 5xx,
 * and an exhausted memory is 503 so that clients retry.
 *
 * Language: error objects and warning lists are built with both forms
 * ("message" and "message_ru", "warnings" and "warnings_ru"), and
 * dms_api_response_localize keeps the one the client asked for by
 * Accept-Language, so that no route has to know the request's language.
 */
#define _GNU_SOURCE /* memmem */
#include "dms/api.h"

#include "dms/csvwrite.h"
#include "dms/report.h"

#include <stdlib.h>
#include <string.h>

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
    char en[DMS_ERROR_MESSAGE_MAX];
    const char *message = err != NULL && err->message[0] != '\0'
                              ? dms_error_message(err, false, en, sizeof en)
                              : dms_strerror(code);
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
    char ru[DMS_ERROR_MESSAGE_MAX + 128];
    json_t *text_ru = json_string(dms_error_message(err, true, ru, sizeof ru));
    failed |= json_object_set_new(error, "message_ru",
                                  text_ru != NULL ? text_ru : json_string(dms_strerror_ru(code)));
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

bool dms_api_prefers_russian(const char *accept_language)
{
    return dms_csvwrite_lang_from_accept(accept_language, DMS_CSV_EN) == DMS_CSV_RU;
}

/* Keeps one language of every two-language member below value. */
static void keep_language(json_t *value, bool ru, int depth)
{
    if (depth > 32)
        return;
    if (json_is_object(value)) {
        static const char *const pairs[][2] = {{"message", "message_ru"},
                                               {"warnings", "warnings_ru"}};
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            /* Only pairs made here: other bodies may carry their own
             * "message_ru" beside "message_en" for the client to pick. */
            json_t *other = json_object_get(value, pairs[i][1]);
            if (other == NULL || json_object_get(value, pairs[i][0]) == NULL)
                continue;
            if (ru)
                json_object_set(value, pairs[i][0], other);
            json_object_del(value, pairs[i][1]);
        }
        const char *key;
        json_t *member;
        json_object_foreach(value, key, member) keep_language(member, ru, depth + 1);
    } else if (json_is_array(value)) {
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) keep_language(item, ru, depth + 1);
    }
}

/* memmem: every JSON answer is searched so, most of them without the key. */
static bool has_key(const char *body, size_t len, const char *needle)
{
    return memmem(body, len, needle, strlen(needle)) != NULL;
}

void dms_api_response_localize(dms_api_response *resp, const char *accept_language)
{
    if (resp->body == NULL || resp->content_type == NULL ||
        strstr(resp->content_type, "json") == NULL ||
        (!has_key(resp->body, resp->body_len, "\"message_ru\"") &&
         !has_key(resp->body, resp->body_len, "\"warnings_ru\"")))
        return;
    json_t *root = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
    if (root == NULL)
        return;
    keep_language(root, dms_api_prefers_russian(accept_language), 0);
    char *text = json_dumps(root, DMS_JSON_DUMP_FLAGS | JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(root);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    char *body = realloc(text, len + 2);
    if (body == NULL) {
        free(text);
        return;
    }
    body[len++] = '\n';
    body[len] = '\0';
    free(resp->body);
    resp->body = body;
    resp->body_len = len;
}
