/*
 * POST /v1/reports/{name}: the HR and finance reports over a claims register
 * (insured, utilisation, expense, limits, clinics, loss_ratio), with the
 * register given inline as CSV text and the membership history either
 * inline or, when membership_csv is left out, from the employer's stored
 * register of insured people. A manager's
 * key sees its own department only, whatever the body asks; every cell
 * resting on fewer than min_cell people is suppressed by the core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/claims.h"
#include "dms/csvwrite.h"
#include "dms/enrol_store.h"
#include "dms/exposure.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register_store.h"
#include "dms/reports.h"
#include "dms/suppress.h"
#include "routes.h"

#define MAX_LIMITS 16

/* The first fault of a CSV text as the request's error: the text's pointer
 * and the line:column inside it. */
static int csv_error(dms_diag *diag, const char *pointer, dms_error *err)
{
    dms_error first;
    dms_error_clear(&first);
    dms_diag_first(diag, &first);
    snprintf(first.path, sizeof first.path, "%s", pointer);
    first.code = DMS_EINVAL;
    if (err->code == DMS_OK)
        *err = first;
    return DMS_EINVAL;
}

static int read_date(dms_jsonread *r, const char *key, long *day)
{
    const char *text = NULL;
    if (dms_jsonread_string(r, key, 10, &text) != DMS_OK)
        return dms_jsonread_status(r);
    if (!dms_date_parse(text, day))
        return dms_jsonread_fail(r, DMS_EINVAL, key, "'%s' is not a date YYYY-MM-DD", text);
    return DMS_OK;
}

void dms_api_handle_report(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    json_t *root = NULL, *out = NULL, *warnings_json = NULL;
    dms_register *reg = NULL;
    dms_membership *members = NULL;
    dms_table *table = NULL;
    dms_diag *diag = NULL, *warnings = NULL;
    char *csv = NULL;
    size_t csv_len = 0;
    char department[DMS_ENROL_TEXT_MAX] = "";
    const char *register_csv = NULL, *membership_csv = NULL;
    dms_reports_options opt = dms_reports_options_default();
    dms_reports_limit limits[MAX_LIMITS];
    long long min_cell = 0;
    int format = 0; /* 0 json, 1 csv */
    bool russian = false;
    static const char *const formats[] = {"json", "csv", NULL};
    if (dms_json_parse_text(req->body, req->body_len, &root, &err) != DMS_OK)
        goto done;
    dms_jsonread r;
    dms_jsonread_init(&r, root, NULL, &err);
    dms_jsonread_expect(&r, DMS_JSON_OBJECT);
    dms_jsonread_string(&r, "register_csv", (size_t)64 << 20, &register_csv);
    dms_jsonread_string_opt(&r, "membership_csv", (size_t)64 << 20, &membership_csv);
    if (dms_jsonread_enter(&r, "period", DMS_JSON_OBJECT) == DMS_OK) {
        read_date(&r, "from", &opt.from);
        read_date(&r, "to", &opt.to);
        dms_jsonread_leave(&r);
    }
    dms_jsonread_integer_opt(&r, "min_cell", 1, 1000, &min_cell);
    /* No caller of the API may see smaller groups than the floor (suppress.h). */
    if (min_cell != 0 && err.code == DMS_OK &&
        dms_suppress_check_min_cell(min_cell, DMS_SUPPRESS_MIN_CELL_FLOOR, &err) != DMS_OK)
        goto done;
    opt.min_cell = (int)min_cell;
    dms_jsonread_string_buf_opt(&r, "department", department, sizeof department);
    dms_jsonread_number_opt(&r, "premium_per_member_month", 0, 1e7, &opt.premium_per_member_month);
    dms_jsonread_enum_opt(&r, "format", formats, &format);
    bool has_russian = dms_jsonread_has(&r, "russian");
    dms_jsonread_bool_opt(&r, "russian", &russian);
    if (dms_jsonread_has(&r, "limits") &&
        dms_jsonread_enter(&r, "limits", DMS_JSON_OBJECT) == DMS_OK) {
        const char *module;
        const json_t *value;
        json_object_foreach((json_t *)dms_jsonread_current(&r), module, value)
        {
            if (opt.nlimits == MAX_LIMITS) {
                dms_jsonread_fail(&r, DMS_EINVAL, module, "at most %d limits", MAX_LIMITS);
                break;
            }
            limits[opt.nlimits].module = module;
            if (dms_jsonread_number(&r, module, 1, 1e9, &limits[opt.nlimits].limit) != DMS_OK)
                break;
            opt.nlimits++;
        }
        opt.limits = limits;
        dms_jsonread_leave(&r);
    }
    if (dms_jsonread_finish(&r) != DMS_OK)
        goto done;
    /* Managers see their own department, and only it. */
    const dms_enrol_principal *who = req->principal;
    if (who != NULL && who->role == DMS_ROLE_MANAGER) {
        if (department[0] != '\0' && strcmp(department, who->department) != 0) {
            dms_error_set(&err, DMS_EFORBIDDEN, "/department",
                          "a manager sees only their own department");
            goto done;
        }
        snprintf(department, sizeof department, "%s", who->department);
    }
    opt.department = department[0] != '\0' ? department : NULL;
    if (dms_diag_alloc(0, &diag) != DMS_OK || dms_diag_alloc(0, &warnings) != DMS_OK) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto done;
    }
    if (dms_claims_parse_csv(register_csv, strlen(register_csv), "register_csv", &reg, diag,
                             warnings) != DMS_OK) {
        csv_error(diag, "/register_csv", &err);
        goto done;
    }
    /* Without a membership upload, exposure comes from the employer's stored register. */
    if (membership_csv == NULL) {
        if (dms_register_store_membership(req->store, &members, &err) != DMS_OK)
            goto done;
    } else if (dms_membership_parse_csv(membership_csv, strlen(membership_csv), "membership_csv",
                                        &members, diag) != DMS_OK) {
        csv_error(diag, "/membership_csv", &err);
        goto done;
    }
    if (dms_reports_by_name(req->param, reg, members, &opt, &table, &err) != DMS_OK)
        goto done;
    if (format == 1) {
        FILE *f = open_memstream(&csv, &csv_len);
        /* "russian" in the body wins; else Accept-Language, Russian by default. */
        dms_csv_lang lang = has_russian
                                ? (russian ? DMS_CSV_RU : DMS_CSV_EN)
                                : dms_csvwrite_lang_from_accept(req->accept_language, DMS_CSV_RU);
        const dms_tariff *names = dms_api_catalog_tariff(req->catalog, NULL);
        if (f == NULL || dms_reports_csv(table, lang, names, f) != DMS_OK) {
            if (f != NULL)
                fclose(f);
            dms_error_set(&err, DMS_ENOMEM, NULL, "no memory for the CSV report");
            goto done;
        }
        fclose(f);
        free(resp->body);
        resp->status = 200;
        resp->body = csv;
        resp->body_len = csv_len;
        resp->content_type = "text/csv; charset=utf-8";
        csv = NULL;
        goto done;
    }
    out = dms_reports_json(table, &err);
    if (out != NULL) {
        /* Columns dropped for privacy (diagnoses, names) are said, not kept. */
        warnings_json = json_array();
        for (size_t i = 0; i < dms_diag_kept(warnings); i++)
            json_array_append_new(warnings_json, json_string(dms_diag_get(warnings, i)->message));
        json_object_set_new(out, "warnings", warnings_json);
        json_t *warnings_ru = json_array();
        for (size_t i = 0; i < dms_diag_kept(warnings); i++) {
            char ru[DMS_ERROR_MESSAGE_MAX + 128];
            json_array_append_new(
                warnings_ru,
                json_string(dms_error_message(dms_diag_get(warnings, i), true, ru, sizeof ru)));
        }
        json_object_set_new(out, "warnings_ru", warnings_ru);
        dms_api_response_json(resp, 200, out);
    }
done:
    if (resp->body == NULL) { /* nothing was sent: an error reply */
        if (err.code == DMS_OK)
            dms_error_set(&err, DMS_EINTERNAL, NULL, "no report and no reason");
        dms_api_response_error(resp, dms_api_http_status(err.code), &err, NULL);
    }
    free(csv);
    dms_table_free(table);
    dms_membership_free(members);
    dms_register_free(reg);
    dms_diag_free(diag);
    dms_diag_free(warnings);
    json_decref(root);
}
