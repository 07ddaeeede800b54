/*
 * Decoder of POST /v1/quotes bodies: a plan, a census given inline as JSON
 * or as CSV text, optional scenario overrides, and the ids of the tariff and
 * model to use. Every fault carries its JSON Pointer; faults inside inline
 * CSV carry the pointer of the text (/census_csv) and the line:column in it.
 */
#include "dms/api_quote.h"

#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"

void dms_api_quote_request_free(dms_api_quote_request *req)
{
    if (req == NULL)
        return;
    dms_plan_free(req->plan);
    dms_census_free(req->census);
    memset(req, 0, sizeof *req);
}

/* The first census fault as the request's error, under prefix. */
static int census_error(dms_diag *diag, const char *prefix, dms_error *err)
{
    dms_error first;
    dms_error_clear(&first);
    int status = dms_diag_first(diag, &first);
    if (status == DMS_OK)
        status = DMS_EINVAL;
    if (first.line == 0)
        dms_error_prefix_path(&first, prefix);
    else
        snprintf(first.path, sizeof first.path, "%s", prefix);
    if (err != NULL && err->code == DMS_OK)
        *err = first;
    /* A census that does not parse is a bad value of the request: 422. */
    if (err != NULL && err->code == DMS_EPARSE)
        err->code = DMS_EINVAL;
    return DMS_EINVAL;
}

int dms_api_decode_census(dms_jsonread *r, dms_census **out, dms_error *err)
{
    dms_error_clear(err);
    dms_diag *diag = NULL;
    int status = dms_diag_alloc(0, &diag);
    if (status != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    bool inline_json = dms_jsonread_has(r, "census");
    bool inline_csv = dms_jsonread_has(r, "census_csv");
    if (inline_json == inline_csv) {
        status = dms_jsonread_fail(r, DMS_EINVAL, NULL,
                                   "give the census once: \"census\" (JSON people) or "
                                   "\"census_csv\" (CSV text as HR exports it)");
    } else if (inline_csv) {
        const char *text = NULL;
        status = dms_jsonread_string(r, "census_csv", (size_t)64 << 20, &text);
        if (status == DMS_OK &&
            dms_census_parse_csv(text, strlen(text), "census_csv", out, diag) != DMS_OK)
            status = census_error(diag, "/census_csv", err);
    } else {
        const json_t *people = json_object_get(dms_jsonread_current(r), "census");
        char *text = json_dumps(people, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL)
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
        else if (dms_census_parse_json(text, strlen(text), out, diag) != DMS_OK)
            status = census_error(diag, "/census", err);
        free(text);
    }
    dms_diag_free(diag);
    return status;
}

int dms_api_decode_quote(const char *body, size_t len, dms_api_quote_request *req, dms_error *err)
{
    dms_error_clear(err);
    memset(req, 0, sizeof *req);
    req->percentiles = true;
    json_t *root = NULL;
    int status = dms_json_parse_text(body, len, &root, err);
    if (status != DMS_OK)
        return status;
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    dms_jsonread_string_buf_opt(&r, "tariff", req->tariff, sizeof req->tariff);
    dms_jsonread_string_buf_opt(&r, "model", req->model, sizeof req->model);
    dms_jsonread_bool_opt(&r, "percentiles", &req->percentiles);
    if (dms_jsonread_status(&r) == DMS_OK &&
        dms_jsonread_enter(&r, "plan", DMS_JSON_OBJECT) == DMS_OK) {
        status = dms_plan_load_json(dms_jsonread_current(&r), "/plan", &req->plan, err);
        dms_jsonread_allow_other_keys(&r); /* the plan loader checked them */
        dms_jsonread_leave(&r);
    }
    if (status == DMS_OK && dms_jsonread_status(&r) == DMS_OK &&
        dms_jsonread_has(&r, "scenarios") &&
        dms_jsonread_enter(&r, "scenarios", DMS_JSON_OBJECT) == DMS_OK) {
        dms_plan_read_scenarios(&r, req->plan);
        dms_jsonread_leave(&r);
    }
    if (status == DMS_OK && dms_jsonread_status(&r) == DMS_OK)
        status = dms_api_decode_census(&r, &req->census, err);
    int finish = dms_jsonread_finish(&r);
    if (status == DMS_OK)
        status = finish;
    json_decref(root);
    if (status != DMS_OK)
        dms_api_quote_request_free(req);
    return status;
}

json_t *dms_api_warnings_ru(const dms_diag *warnings)
{
    json_t *list = json_array();
    for (size_t i = 0; i < dms_diag_kept(warnings); i++) {
        const dms_error *w = dms_diag_get(warnings, i);
        char ru[DMS_ERROR_MESSAGE_MAX + 128];
        char text[DMS_ERROR_MESSAGE_MAX + 2 * DMS_ERROR_PATH_MAX];
        dms_error_message(w, true, ru, sizeof ru);
        if (w->line > 0)
            snprintf(text, sizeof text, "%s:%d:%d: %s", w->source[0] ? w->source : "<input>",
                     w->line, w->column, ru);
        else if (w->path[0] != '\0')
            snprintf(text, sizeof text, "%s: %s", w->path, ru);
        else
            snprintf(text, sizeof text, "%s", ru);
        json_array_append_new(list, json_string(text));
    }
    return list;
}

json_t *dms_api_quote_response(const dms_quote *quote, const dms_diag *warnings, dms_error *err)
{
    dms_error_clear(err);
    json_t *report = dms_report_quote(quote, err);
    if (report == NULL)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < dms_diag_kept(warnings); i++) {
        char text[DMS_ERROR_MESSAGE_MAX + 2 * DMS_ERROR_PATH_MAX];
        json_array_append_new(
            list, json_string(dms_error_format(dms_diag_get(warnings, i), text, sizeof text)));
    }
    json_object_set_new(report, "warnings", list);
    json_object_set_new(report, "warnings_ru", dms_api_warnings_ru(warnings));
    return report;
}
