/*
 * Test helpers for loaders whose error tests start from a valid JSON document
 * and make one edit: load the document, then set, replace, append or delete
 * the value at a JSON Pointer, failing the test at once if the document or
 * the place does not exist; and a check that a load succeeded which prints
 * the error when it did not. Include after testutil.h (cmocka).
 */
#ifndef DMS_JSONEDIT_H
#define DMS_JSONEDIT_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dms/error.h"
#include "dms/jsonread.h"

/* Fails the test with the formatted error (pointer or line:column) unless status is DMS_OK. */
static inline void jsonedit_expect_ok(int status, const dms_error *err)
{
    if (status != DMS_OK) {
        char buf[800];
        print_error("%s\n", dms_error_format(err, buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
}

/* The JSON document at path (the caller owns it); fails the test if it does not load. */
static inline json_t *jsonedit_load(const char *path)
{
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_load_file(path, &root, &err), DMS_OK);
    return root;
}

/*
 * Sets the value at pointer (no "~" escapes) to value (stolen); value NULL
 * deletes it. In an array, an index equal to the size appends.
 */
static inline void jsonedit_set(json_t *root, const char *pointer, json_t *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pointer);
    char *last = strrchr(buf, '/');
    assert_non_null(last);
    *last++ = '\0';
    json_t *parent = root;
    for (char *seg = strtok(buf, "/"); seg != NULL && parent != NULL; seg = strtok(NULL, "/"))
        parent = json_is_array(parent) ? json_array_get(parent, strtoul(seg, NULL, 10))
                                       : json_object_get(parent, seg);
    assert_non_null(parent);
    if (json_is_array(parent)) {
        size_t i = strtoul(last, NULL, 10);
        if (value == NULL)
            assert_int_equal(json_array_remove(parent, i), 0);
        else if (i == json_array_size(parent))
            assert_int_equal(json_array_append_new(parent, value), 0);
        else
            assert_int_equal(json_array_set_new(parent, i, value), 0);
    } else {
        assert_int_equal(value == NULL ? json_object_del(parent, last)
                                       : json_object_set_new(parent, last, value),
                         0);
    }
}

/* jsonedit_set with the value written as JSON text ("12", "\"x\"", "[1,2]"); NULL deletes. */
static inline void jsonedit_set_text(json_t *root, const char *pointer, const char *value_text)
{
    json_t *value = NULL;
    if (value_text != NULL) {
        value = json_loads(value_text, JSON_DECODE_ANY, NULL);
        assert_non_null(value);
    }
    jsonedit_set(root, pointer, value);
}

#endif
