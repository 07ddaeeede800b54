/*
 * The router and docs/openapi.yaml describe the same API: every route in the
 * route table of src/api/router.c (method and path pattern) is an operation
 * under `paths:` in the spec, and every operation of the spec is a route.
 * Path parameters match whatever their names ({id}, {name}). A failure says
 * exactly which route is missing where, so whoever adds a route sees what
 * to write. (The spec's validity is checked by `make openapi-lint`.)
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/api.h"

#define MAX_OPS 512

struct op {
    char method[8];
    char path[256]; /* parameters normalised to {} */
};

/* Copies path with every {name} turned into {}. */
static void normalise(const char *path, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = path; *p != '\0' && n + 1 < size; p++) {
        out[n++] = *p;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close != NULL)
                p = close - 1;
        }
    }
    out[n] = '\0';
}

/* Operations of docs/openapi.yaml: "  /path:" then "    get:" etc. under paths:. */
static size_t spec_operations(const char *file, struct op *ops)
{
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", NULL};
    FILE *f = fopen(file, "r");
    if (f == NULL)
        fail_msg("cannot open %s", file);
    char line[8192], path[256] = "";
    bool in_paths = false;
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != ' ' && line[0] != '\0' && line[0] != '#') {
            in_paths = strcmp(line, "paths:") == 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (strncmp(line, "  /", 3) == 0 && line[3 + strcspn(line + 3, ":")] == ':') {
            char raw[256];
            snprintf(raw, sizeof raw, "%.*s", (int)strcspn(line + 2, ":"), line + 2);
            normalise(raw, path, sizeof path);
            continue;
        }
        if (strncmp(line, "    ", 4) != 0 || line[4] == ' ')
            continue;
        for (size_t m = 0; methods[m] != NULL; m++) {
            size_t len = strlen(methods[m]);
            if (strncmp(line + 4, methods[m], len) == 0 && line[4 + len] == ':' &&
                path[0] != '\0') {
                assert_true(n < MAX_OPS);
                for (size_t k = 0; k <= len; k++)
                    ops[n].method[k] = (char)toupper((unsigned char)methods[m][k]);
                snprintf(ops[n].path, sizeof ops[n].path, "%s", path);
                n++;
            }
        }
    }
    fclose(f);
    return n;
}

static bool has(const struct op *ops, size_t n, const char *method, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ops[i].method, method) == 0 && strcmp(ops[i].path, path) == 0)
            return true;
    return false;
}

static void routes_and_spec_agree(void **state)
{
    (void)state;
    static struct op spec[MAX_OPS], served[MAX_OPS];
    size_t nspec = spec_operations("docs/openapi.yaml", spec);
    size_t nserved = dms_api_route_count();
    assert_true(nspec > 0);
    assert_true(nserved > 0 && nserved < MAX_OPS);
    for (size_t r = 0; r < nserved; r++) {
        snprintf(served[r].method, sizeof served[r].method, "%s", dms_api_route_method(r));
        normalise(dms_api_route_pattern(r), served[r].path, sizeof served[r].path);
    }
    size_t missing = 0;
    for (size_t r = 0; r < nserved; r++)
        if (!has(spec, nspec, served[r].method, served[r].path)) {
            char lower[8];
            for (size_t k = 0; k < sizeof lower; k++)
                lower[k] = (char)tolower((unsigned char)served[r].method[k]);
            fprintf(stderr,
                    "route %s %s is served (src/api/router.c) but missing from "
                    "docs/openapi.yaml: add `%s:` under `  %s:` in paths\n",
                    dms_api_route_method(r), dms_api_route_pattern(r), lower,
                    dms_api_route_pattern(r));
            missing++;
        }
    for (size_t i = 0; i < nspec; i++)
        if (!has(served, nserved, spec[i].method, spec[i].path)) {
            fprintf(stderr,
                    "docs/openapi.yaml documents %s %s but src/api/router.c does not serve it: "
                    "add the route or remove the operation\n",
                    spec[i].method, spec[i].path);
            missing++;
        }
    assert_int_equal(missing, 0);
}

/* The checker itself: a spec with one route too few and one too many is caught. */
static void a_difference_is_reported(void **state)
{
    (void)state;
    char file[] = "/tmp/dms-openapi-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("openapi: 3.1.0\npaths:\n  /healthz:\n    get:\n      summary: x\n"
          "  /v1/reports/{name}:\n    post:\n      summary: y\n"
          "  /v1/nowhere:\n    delete:\n      summary: z\ncomponents:\n  /x:\n    get:\n",
          f);
    fclose(f);
    static struct op ops[MAX_OPS];
    size_t n = spec_operations(file, ops);
    remove(file);
    assert_int_equal(n, 3);
    assert_true(has(ops, n, "GET", "/healthz"));
    assert_true(has(ops, n, "POST", "/v1/reports/{}"));
    assert_true(has(ops, n, "DELETE", "/v1/nowhere"));
    assert_false(has(ops, n, "GET", "/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_and_spec_agree),
        cmocka_unit_test(a_difference_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
