/*
 * Handlers of the register of insured people (список застрахованных) of
 * the request's employer: the paged list with filters, one person with the
 * history of their changes, changes one at a time (JSON, with the person's
 * version for optimistic concurrency) or in bulk (the insurer's template as
 * CSV or XLSX, validated whole and applied in one transaction), and the
 * downloads in the same template (current list, changes of a period) and
 * the insured-list report, as CSV or XLSX. The rules are the core's
 * (register.h); the storage is register_store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/api.h"
#include "dms/census.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/report.h"
#include "dms/store.h"
#include "routes.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define PAGE_DEFAULT 50
#define PAGE_MAX 1000

static void fail(dms_api_response *resp, const dms_error *err)
{
    int code = err->code != DMS_OK ? err->code : DMS_EINTERNAL;
    dms_api_response_error(resp, dms_api_http_status(code), err, NULL);
}

static const char *arg(const dms_api_request *req, const char *name)
{
    const char *v = req->arg != NULL ? req->arg(req->arg_ctx, name) : NULL;
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static json_t *day_json(long day)
{
    char buf[11];
    dms_register_day_text(day, buf);
    return buf[0] != '\0' ? json_string(buf) : json_null();
}

static json_t *entry_json(const dms_register_entry *e)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:s}", "policy",
                     e->policy, "employee_id", e->employee_id, "relation",
                     dms_census_relation_name(e->relation), "full_name", e->full_name, "birth_date",
                     day_json(e->birth_day), "department", e->department, "programme", e->programme,
                     "status", dms_insured_status_name(e->status), "status_ru",
                     dms_insured_status_name_ru(e->status), "date_from", day_json(e->date_from),
                     "date_to", day_json(e->date_to), "version", (json_int_t)e->version,
                     "updated_at", e->updated_at);
}

static json_t *change_json(const dms_register_change_row *r)
{
    const dms_insured_change *c = &r->change;
    json_t *j = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:s}", "id", (json_int_t)r->id, "upload",
        (json_int_t)r->upload, "policy", c->policy, "action", dms_insured_action_name(c->action),
        "action_ru", dms_insured_action_name_ru(c->action), "effective_date",
        day_json(c->effective_day), "programme", c->programme, "programme_before",
        c->programme_before, "version", (json_int_t)r->version, "entered_at", r->entered_at);
    if (j != NULL) {
        json_object_set_new(j, "author", json_string(r->author));
        if (c->had_before)
            json_object_set_new(j, "status_before",
                                json_string(dms_insured_status_name(c->status_before)));
    }
    return j;
}

/* The filter of the query string (?department=&programme=&status=&employee_id=). */
static int read_filter(const dms_api_request *req, dms_insured_filter *f, dms_error *err)
{
    f->department = arg(req, "department");
    f->programme = arg(req, "programme");
    f->employee_id = arg(req, "employee_id");
    f->status = -1;
    const char *status = arg(req, "status");
    enum dms_insured_status s;
    if (status != NULL) {
        if (!dms_insured_status_from_text(status, strlen(status), &s))
            return dms_error_set(err, DMS_EINVAL, "/status",
                                 "status is included, suspended or excluded "
                                 "(включён, приостановлен, исключён)");
        f->status = (int)s;
    }
    return DMS_OK;
}

static bool read_size(const char *text, size_t max, size_t *out)
{
    if (text == NULL)
        return true;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || (unsigned long long)v > max)
        return false;
    *out = (size_t)v;
    return true;
}

void dms_api_register_list(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_insured_filter f;
    size_t offset = 0, limit = PAGE_DEFAULT, total = 0, n = 0;
    dms_register_entry *page = NULL;
    if (read_filter(req, &f, &err) != DMS_OK)
        goto out_fail;
    if (!read_size(arg(req, "offset"), 100000000, &offset) ||
        !read_size(arg(req, "limit"), PAGE_MAX, &limit)) {
        dms_error_set(&err, DMS_EINVAL, "/limit",
                      "offset is a whole number, limit 0 to %d (one page)", PAGE_MAX);
        goto out_fail;
    }
    if (dms_register_store_list(req->store, &f, arg(req, "after"), offset, limit, &page, &n, &total,
                                &err) != DMS_OK)
        goto out_fail;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, entry_json(&page[i]));
    free(page);
    dms_api_response_json(resp, 200,
                          json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
                                    (json_int_t)offset, "limit", (json_int_t)limit, "persons",
                                    items));
    return;
out_fail:
    fail(resp, &err);
}

void dms_api_register_person(const dms_api_request *req, const dms_api_hooks *hooks,
                             dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_register_entry e;
    dms_register_change_row *rows = NULL;
    size_t n = 0;
    if (dms_register_store_get(req->store, req->param, &e, &err) != DMS_OK ||
        dms_register_store_changes(req->store, req->param, DMS_INSURED_NO_DATE,
                                   DMS_INSURED_OPEN_END, &rows, &n, &err) != DMS_OK) {
        fail(resp, &err);
        return;
    }
    json_t *history = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(history, change_json(&rows[i]));
    free(rows);
    json_t *j = entry_json(&e);
    json_object_set_new(j, "history", history);
    dms_api_response_json(resp, 200, j);
}

/* ---- changes ------------------------------------------------------------------------ */

/* One change typed in: {"action", "effective_date", "policy", ..., "version"}. */
static int change_from_json(const dms_api_request *req, dms_insured_batch *batch, long *version,
                            dms_error *err)
{
    json_t *body = NULL;
    int status = dms_json_parse_text(req->body, req->body_len, &body, err);
    if (status != DMS_OK)
        return status;
    static const char *const keys[] = {"action",    "effective_date", "policy",     "employee_id",
                                       "relation",  "full_name",      "birth_date", "department",
                                       "programme", "version",        NULL};
    const char *key;
    json_t *value;
    dms_insured_change c;
    memset(&c, 0, sizeof c);
    c.birth_day = DMS_INSURED_NO_DATE;
    c.policy = c.employee_id = c.full_name = c.department = c.programme = "";
    c.programme_before = c.author = "";
    if (!json_is_object(body)) {
        status = dms_error_set(err, DMS_EINVAL, "", "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(body, key, value)
    {
        bool known = false;
        for (const char *const *k = keys; *k != NULL && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known ||
            (strcmp(key, "version") == 0 ? !json_is_integer(value) : !json_is_string(value))) {
            status =
                dms_error_set(err, DMS_EINVAL, NULL,
                              known ? "'%.64s' has the wrong type" : "unknown key '%.64s'", key);
            snprintf(err->path, sizeof err->path, "/%.200s", key);
            goto out;
        }
    }
#define TEXT(name) (json_string_value(json_object_get(body, name)))
    const char *action = TEXT("action"), *date = TEXT("effective_date");
    if (action == NULL || !dms_insured_action_from_text(action, strlen(action), &c.action)) {
        status = dms_error_set(err, DMS_EINVAL, "/action",
                               "action is прикрепить, открепить, приостановить or изменить "
                               "программу (attach, detach, suspend, change_programme)");
        goto out;
    }
    if (date == NULL || !dms_date_parse(date, &c.effective_day)) {
        status = dms_error_set(err, DMS_EINVAL, "/effective_date",
                               "effective_date is a date YYYY-MM-DD (дата действия)");
        goto out;
    }
    const char *birth = TEXT("birth_date"), *relation = TEXT("relation");
    if (birth != NULL && !dms_date_parse(birth, &c.birth_day)) {
        status = dms_error_set(err, DMS_EINVAL, "/birth_date", "birth_date is YYYY-MM-DD");
        goto out;
    }
    if (relation != NULL) {
        if (!dms_census_relation_from_text(relation, strlen(relation), &c.relation)) {
            status = dms_error_set(err, DMS_EINVAL, "/relation",
                                   "relation is employee, spouse or child");
            goto out;
        }
        c.relation_given = true;
    }
    if (TEXT("policy") != NULL)
        c.policy = TEXT("policy");
    if (TEXT("employee_id") != NULL)
        c.employee_id = TEXT("employee_id");
    if (TEXT("full_name") != NULL)
        c.full_name = TEXT("full_name");
    if (TEXT("department") != NULL)
        c.department = TEXT("department");
    if (TEXT("programme") != NULL)
        c.programme = TEXT("programme");
#undef TEXT
    *version = (long)json_integer_value(json_object_get(body, "version"));
    status = dms_insured_batch_add(batch, &c, err);
out:
    json_decref(body);
    return status;
}

static json_t *issues_json(const dms_insured_issue *issues, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const dms_insured_issue *s = &issues[i];
        json_array_append_new(list,
                              json_pack("{s:i, s:i, s:s, s:s, s:s, s:s}", "line", s->line, "column",
                                        s->column, "field", dms_insured_field_name(s->field),
                                        "code", dms_insured_issue_name(s->code), "message_ru",
                                        s->message_ru, "message_en", s->message_en));
    }
    return list;
}

static bool is_json(const char *content_type)
{
    return content_type != NULL && strncasecmp(content_type, "application/json", 16) == 0;
}

void dms_api_register_changes(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp)
{
    (void)hooks;
    dms_error err;
    dms_error_clear(&err);
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    long version = 0, current = 0, upload = 0, today = 0;
    const char *source = arg(req, "file");
    bool single = is_json(req->content_type);
    int status;
    if (single) {
        status = dms_insured_batch_alloc(&batch);
        if (status == DMS_OK)
            status = change_from_json(req, batch, &version, &err);
        else
            dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
    } else {
        enum dms_insured_format format =
            req->content_type != NULL && strstr(req->content_type, "spreadsheetml") != NULL
                ? DMS_INSURED_XLSX
                : DMS_INSURED_AUTO;
        status = dms_insured_template_read(req->body, req->body_len, format,
                                           source != NULL ? source : "upload", &batch, &err);
    }
    if (status != DMS_OK)
        goto out_fail;
    if (req->today == NULL || !dms_date_parse(req->today, &today)) {
        dms_error_set(&err, DMS_EINTERNAL, NULL, "the service has no date of today");
        goto out_fail;
    }
    dms_register_submit opts = {.author = req->principal->actor,
                                .source = single ? "api" : (source != NULL ? source : "upload"),
                                .today = today,
                                .retro_days = -1,
                                .expected_version = version};
    if (dms_register_store_submit(req->store, batch, &opts, &outcome, &current, &upload, &err) !=
        DMS_OK) {
        if (err.code == DMS_ECONFLICT && version > 0) {
            json_t *j = dms_api_error_json(&err, NULL);
            json_object_set_new(json_object_get(j, "error"), "current_version",
                                json_integer(current));
            dms_api_response_json(resp, 409, j);
            goto out;
        }
        goto out_fail;
    }
    if (!outcome->ok) {
        dms_error_set(&err, DMS_EINVAL, NULL, "%zu error(s) in the changes; nothing was applied",
                      outcome->nissues_total);
        if (outcome->nissues > 0) {
            err.line = outcome->issues[0].line;
            err.column = outcome->issues[0].column;
        }
        json_t *j = dms_api_error_json(&err, NULL);
        json_t *e = json_object_get(j, "error");
        json_object_set_new(e, "issues", issues_json(outcome->issues, outcome->nissues));
        json_object_set_new(e, "issues_total", json_integer((json_int_t)outcome->nissues_total));
        dms_api_response_json(resp, 422, j);
        goto out;
    }
    json_t *persons = json_array();
    for (size_t i = 0; i < outcome->npersons && i < 100; i++) {
        dms_register_entry e;
        if (dms_register_store_get(req->store, outcome->persons[i].policy, &e, &err) == DMS_OK)
            json_array_append_new(persons, entry_json(&e));
    }
    dms_api_response_json(resp, 200,
                          json_pack("{s:I, s:I, s:I, s:o}", "applied",
                                    (json_int_t)outcome->nchanges, "persons_changed",
                                    (json_int_t)outcome->npersons, "upload", (json_int_t)upload,
                                    "persons", persons));
    goto out;
out_fail:
    fail(resp, &err);
out:
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
}

/* ---- downloads ----------------------------------------------------------------------- */

static void reply_file(dms_api_response *resp, char *data, size_t len, const char *type)
{
    free(resp->body);
    resp->status = 200;
    resp->body = data;
    resp->body_len = len;
    resp->content_type = type;
}

enum download { LIST_CSV, LIST_XLSX, CHANGES_CSV, CHANGES_XLSX, REPORT_CSV, REPORT_XLSX };

static void download(const dms_api_request *req, enum download what, dms_api_response *resp)
{
    dms_error err;
    dms_error_clear(&err);
    dms_insured_filter f;
    dms_insured_register *reg = NULL;
    dms_register_change_row *rows = NULL;
    dms_insured_change *changes = NULL;
    size_t n = 0, len = 0;
    char *data = NULL;
    FILE *mem = NULL;
    long from = DMS_INSURED_NO_DATE, to = DMS_INSURED_OPEN_END;
    bool xlsx = what == LIST_XLSX || what == CHANGES_XLSX || what == REPORT_XLSX;
    int status = read_filter(req, &f, &err);
    if (status != DMS_OK)
        goto out;
    if (what == CHANGES_CSV || what == CHANGES_XLSX) {
        const char *a = arg(req, "from"), *b = arg(req, "to");
        if ((a != NULL && !dms_date_parse(a, &from)) || (b != NULL && !dms_date_parse(b, &to))) {
            status = dms_error_set(&err, DMS_EINVAL, a != NULL ? "/from" : "/to",
                                   "from and to are dates YYYY-MM-DD (период)");
            goto out;
        }
        if ((status = dms_register_store_changes(req->store, NULL, from, to, &rows, &n, &err)) !=
            DMS_OK)
            goto out;
        if ((changes = calloc(n + 1, sizeof *changes)) == NULL) {
            status = dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            changes[i] = rows[i].change;
    } else if ((status = dms_register_store_load(req->store, &reg, &err)) != DMS_OK) {
        goto out;
    }
    if (!xlsx && (mem = open_memstream(&data, &len)) == NULL) {
        status = dms_error_set(&err, DMS_ENOMEM, NULL, "no memory");
        goto out;
    }
    switch (what) {
    case LIST_CSV:
        status = dms_insured_list_csv(reg, &f, mem, &err);
        break;
    case LIST_XLSX:
        status = dms_insured_list_xlsx(reg, &f, NULL, &data, &len, &err);
        break;
    case CHANGES_CSV:
        status = dms_insured_changes_csv(changes, n, from, to, mem, &err);
        break;
    case CHANGES_XLSX:
        status = dms_insured_changes_xlsx(changes, n, from, to, NULL, &data, &len, &err);
        break;
    case REPORT_CSV:
        status = dms_insured_report_csv(reg, &f, mem, &err);
        break;
    case REPORT_XLSX:
        status = dms_insured_report_xlsx(reg, &f, NULL, &data, &len, &err);
        break;
    }
    if (mem != NULL && fclose(mem) != 0 && status == DMS_OK)
        status = dms_error_set(&err, DMS_ENOMEM, NULL, "no memory for the download");
    mem = NULL;
out:
    if (status == DMS_OK) {
        reply_file(resp, data, len, xlsx ? XLSX_TYPE : "text/csv; charset=utf-8");
        data = NULL;
    } else {
        fail(resp, &err);
    }
    free(data);
    free(changes);
    free(rows);
    dms_insured_register_free(reg);
}

#define DOWNLOAD(name, what)                                                                       \
    void name(const dms_api_request *req, const dms_api_hooks *hooks, dms_api_response *resp)      \
    {                                                                                              \
        (void)hooks;                                                                               \
        download(req, what, resp);                                                                 \
    }

DOWNLOAD(dms_api_register_csv, LIST_CSV)
DOWNLOAD(dms_api_register_xlsx, LIST_XLSX)
DOWNLOAD(dms_api_register_changes_csv, CHANGES_CSV)
DOWNLOAD(dms_api_register_changes_xlsx, CHANGES_XLSX)
DOWNLOAD(dms_api_insured_csv, REPORT_CSV)
DOWNLOAD(dms_api_insured_xlsx, REPORT_XLSX)
