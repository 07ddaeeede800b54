/*
 * JSON encoders of the register: persons, changes, issues and a checked
 * batch's outcome, so that the HTTP API and the CLI show the register in one
 * shape. Field names are the template's English column names.
 */
#include "register_internal.h"

#include <jansson.h>
#include <stdio.h>

static json_t *date_json(long days)
{
    if (days == DMS_INSURED_NO_DATE || days == DMS_INSURED_OPEN_END)
        return json_null();
    int y, m, d;
    dms_register_civil(days, &y, &m, &d);
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", ((y % 10000) + 10000) % 10000, m % 100, d % 100);
    return json_string(buf);
}

json_t *dms_insured_person_json(const dms_insured_person *p)
{
    if (p == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
                     "policy_number", p->policy, "employee_id", p->employee_id, "relation",
                     dms_census_relation_name(p->relation), "full_name", p->full_name, "birth_date",
                     date_json(p->birth_day), "department", p->department, "programme",
                     p->programme, "status", dms_insured_status_name(p->status), "status_ru",
                     dms_insured_status_name_ru(p->status), "date_from", date_json(p->date_from),
                     "date_to", date_json(p->date_to), "status_day", date_json(p->status_day));
}

json_t *dms_insured_change_json(const dms_insured_change *c)
{
    if (c == NULL)
        return NULL;
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:i}", "action",
        dms_insured_action_name(c->action), "action_ru", dms_insured_action_name_ru(c->action),
        "effective_date", date_json(c->effective_day), "policy_number", c->policy ? c->policy : "",
        "employee_id", c->employee_id ? c->employee_id : "", "relation",
        c->relation_given ? json_string(dms_census_relation_name(c->relation)) : json_null(),
        "full_name", c->full_name ? c->full_name : "", "birth_date", date_json(c->birth_day),
        "department", c->department ? c->department : "", "programme",
        c->programme ? c->programme : "", "line", c->line);
    if (o == NULL)
        return NULL;
    int bad = 0;
    if (c->had_before)
        bad |= json_object_set_new(o, "before",
                                   json_pack("{s:s, s:s}", "status",
                                             dms_insured_status_name(c->status_before), "programme",
                                             c->programme_before ? c->programme_before : ""));
    if (c->entered_at != 0)
        bad |= json_object_set_new(o, "entered_at", json_integer(c->entered_at));
    if (c->author != NULL && c->author[0] != '\0')
        bad |= json_object_set_new(o, "author", json_string(c->author));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *dms_insured_issue_json(const dms_insured_issue *is)
{
    if (is == NULL)
        return NULL;
    return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "code", dms_insured_issue_name(is->code),
                     "line", is->line, "column", is->column, "field",
                     dms_insured_field_name(is->field), "message_ru", is->message_ru, "message_en",
                     is->message_en);
}

/* Appends item to array (stealing it); false if item is NULL or on ENOMEM. */
static bool push(json_t *array, json_t *item)
{
    return item != NULL && json_array_append_new(array, item) == 0;
}

json_t *dms_insured_outcome_json(const dms_insured_outcome *o)
{
    if (o == NULL)
        return NULL;
    json_t *root = json_object();
    json_t *a = json_array(), *b = o->ok ? json_array() : NULL;
    bool good = root != NULL && a != NULL && (!o->ok || b != NULL);
    if (good && o->ok) {
        for (size_t i = 0; good && i < o->nchanges; i++)
            good = push(a, dms_insured_change_json(&o->changes[i]));
        for (size_t i = 0; good && i < o->npersons; i++)
            good = push(b, dms_insured_person_json(&o->persons[i]));
        good = good && json_object_set_new(root, "ok", json_true()) == 0 &&
               json_object_set(root, "changes", a) == 0 && json_object_set(root, "persons", b) == 0;
    } else if (good) {
        for (size_t i = 0; good && i < o->nissues; i++)
            good = push(a, dms_insured_issue_json(&o->issues[i]));
        good = good && json_object_set_new(root, "ok", json_false()) == 0 &&
               json_object_set(root, "issues", a) == 0 &&
               json_object_set_new(root, "issues_total",
                                   json_integer((json_int_t)o->nissues_total)) == 0;
    }
    json_decref(a);
    json_decref(b);
    if (!good) {
        json_decref(root);
        return NULL;
    }
    return root;
}
