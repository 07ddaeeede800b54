/*
 * The bodies of HTTP API answers: a JSON value, or the error body of a
 * dms_error, dumped compactly with a final newline into a
 * dms_api_response. Kept apart from the route table (router.c) so that the
 * modules the router calls, such as the job table (jobs.c), can answer
 * without depending on the router: the calls run one way, router -> jobs
 * -> response.
 */
#include "dms/api.h"

#include <stdlib.h>
#include <string.h>

#include "dms/report.h"

/* The body when even the error cannot be dumped: no memory left. */
static const char fallback_error[] =
    "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\",\"path\":\"\"}}";

void dms_api_response_json(dms_api_response *resp, unsigned status, json_t *json)
{
    char *text = json != NULL ? json_dumps(json, DMS_JSON_DUMP_FLAGS | JSON_COMPACT) : NULL;
    json_decref(json);
    free(resp->body);
    resp->content_type = "application/json";
    if (text == NULL) {
        resp->status = 503;
        resp->body = strdup(fallback_error);
        resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
        return;
    }
    size_t len = strlen(text);
    char *body = realloc(text, len + 2);
    if (body == NULL)
        body = text; /* the newline is a courtesy: the body stands without it */
    else
        body[len++] = '\n';
    resp->status = status;
    resp->body = body;
    resp->body_len = len;
}

void dms_api_response_error(dms_api_response *resp, unsigned status, const dms_error *err,
                            const char *code_name)
{
    dms_api_response_json(resp, status, dms_api_error_json(err, code_name));
}
