/*
 * The JSON census reader: parses the document with jansson, accepts a
 * top-level array of person objects or {"people": [...]}, checks keys and
 * value types, and hands each value to the same builder (and so the same
 * validation and messages) as the CSV reader. Every fault is reported with
 * the JSON Pointer of the offending value.
 */
#include "census_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Appends "/" + escaped token to a JSON Pointer (RFC 6901: ~ -> ~0, / -> ~1). */
static void pointer_append(char *path, size_t size, const char *token)
{
    size_t o = strlen(path);
    if (o + 1 < size)
        path[o++] = '/';
    for (const char *t = token; *t != '\0' && o + 2 < size; t++) {
        if (*t == '~' || *t == '/') {
            path[o++] = '~';
            path[o++] = *t == '~' ? '0' : '1';
        } else {
            path[o++] = *t;
        }
    }
    path[o < size ? o : size - 1] = '\0';
}

static int key_field(const char *key)
{
    for (int f = 0; f < CF_COUNT; f++)
        if (strcmp(key, dms_census_field_key[f]) == 0)
            return f;
    return -1;
}

#define KNOWN_KEYS "employee_id, relation, birth_date, sex, region, department, segment, work_mode"

static void read_person(census_builder *b, size_t index, json_t *obj)
{
    bool present[CF_COUNT] = {false};
    const char *key;
    json_t *value;
    if (dms_census_builder_row(b, 0) == NULL)
        return;
    json_object_foreach(obj, key, value)
    {
        int f = key_field(key);
        if (f < 0) {
            char path[DMS_ERROR_PATH_MAX], item[32], shown[256];
            snprintf(path, sizeof path, "%s", b->json_prefix);
            snprintf(item, sizeof item, "%zu", index);
            pointer_append(path, sizeof path, item);
            pointer_append(path, sizeof path, key);
            dms_census_show(key, strlen(key), shown, sizeof shown);
            dms_census_builder_error_at(b, 0, 0, path,
                                        "unknown key '%s' (expected: " KNOWN_KEYS ")", shown);
            continue;
        }
        present[f] = true;
        if (json_is_string(value)) {
            dms_census_builder_field(b, index, (enum census_field)f, json_string_value(value),
                                     json_string_length(value), 0, 0);
        } else if (f == CF_EMPLOYEE_ID && json_is_integer(value)) {
            char id[32];
            int n = snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
            dms_census_builder_field(b, index, CF_EMPLOYEE_ID, id, (size_t)n, 0, 0);
        } else if (json_is_null(value) && !dms_census_field_required((enum census_field)f)) {
            /* optional and absent */
        } else {
            /* One whole sentence per case, so each has its Russian form. */
            dms_census_builder_error(b, index, (enum census_field)f, 0, 0,
                                     f == CF_EMPLOYEE_ID ? "%s must be a string or an integer"
                                     : dms_census_field_required((enum census_field)f)
                                         ? "%s must be a string"
                                         : "%s must be a string or null",
                                     dms_census_field_key[f]);
        }
    }
    for (int f = 0; f < CF_COUNT; f++) {
        if (!present[f] && dms_census_field_required((enum census_field)f))
            dms_census_builder_error(b, index, CF_COUNT, 0, 0, "missing required key '%s' (%s)",
                                     dms_census_field_key[f], dms_census_field_ru[f]);
    }
}

int dms_census_parse_json_named(const char *text, size_t len, const char *source, dms_census **out,
                                dms_diag *diag)
{
    census_builder b;
    json_t *root = NULL;
    json_error_t jerr;
    int status;

    if (out == NULL)
        return DMS_EINVAL;
    *out = NULL;
    if (text == NULL && len > 0)
        return DMS_EINVAL;
    if (len > DMS_CENSUS_MAX_BYTES)
        return dms_diag_add_path(diag, DMS_ETOOBIG, "", "the census is larger than %zu MB",
                                 DMS_CENSUS_MAX_BYTES / (1024 * 1024));
    if (text == NULL)
        text = "";
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    json_t *people = root;
    const char *prefix = "";
    if (root != NULL && json_is_object(root)) {
        people = json_object_get(root, "people");
        prefix = "/people";
    }
    status = dms_census_builder_init(&b, diag, source, true, prefix);
    if (status != DMS_OK) {
        json_decref(root);
        return dms_diag_add_path(diag, status, "", "out of memory");
    }
    if (root == NULL) {
        dms_census_builder_error_at(&b, jerr.line, jerr.column, "", "invalid JSON: %s", jerr.text);
        goto finish;
    }
    if (json_is_object(root)) {
        const char *key;
        json_t *value;
        json_object_foreach(root, key, value)
        {
            if (strcmp(key, "people") != 0) {
                char path[DMS_ERROR_PATH_MAX] = "", shown[256];
                pointer_append(path, sizeof path, key);
                dms_census_show(key, strlen(key), shown, sizeof shown);
                dms_census_builder_error_at(
                    &b, 0, 0, path, "unknown key '%s' (the census object has only \"people\")",
                    shown);
            }
        }
        if (people == NULL) {
            dms_census_builder_error_at(&b, 0, 0, "",
                                        "missing key \"people\" (an array of person objects)");
            goto finish;
        }
    }
    if (!json_is_array(people)) {
        dms_census_builder_error_at(&b, 0, 0, prefix,
                                    "expected an array of person objects, or an object "
                                    "{\"people\": [...]}");
        goto finish;
    }
    for (size_t i = 0; i < json_array_size(people) && !b.nomem; i++) {
        json_t *obj = json_array_get(people, i);
        if (json_is_object(obj)) {
            read_person(&b, i, obj);
        } else if (dms_census_builder_row(&b, 0) != NULL) {
            /* a placeholder row keeps builder indexes equal to array indexes */
            dms_census_builder_error(&b, i, CF_COUNT, 0, 0, "expected a person object {...}");
        }
    }
finish:
    json_decref(root);
    return dms_census_builder_finish(&b, out);
}

int dms_census_parse_json(const char *text, size_t len, dms_census **out, dms_diag *diag)
{
    return dms_census_parse_json_named(text, len, "", out, diag);
}
