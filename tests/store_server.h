/*
 * What the API tests over a real store and a real `dmsrate serve` share:
 * running a dmsrate command for its first output line, stopping the server
 * and removing its folder, and calling the server with a key (plain, and
 * for a JSON answer of an expected status). Include after <cmocka.h>,
 * <jansson.h>, http_client.h and run_command.h.
 */
#ifndef DMS_TEST_STORE_SERVER_H
#define DMS_TEST_STORE_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs dmsrate with argv; its first output line into out (if not NULL). Returns the exit status. */
static inline int store_run(char *out, size_t size, char *const argv[])
{
    struct command_result c = run_dmsrate(argv);
    if (out != NULL)
        snprintf(out, size, "%.*s", (int)strcspn(c.out, "\n"), c.out);
    int status = c.status;
    if (status != 0)
        fprintf(stderr, "dmsrate %s %s: %s", argv[1], argv[2], c.err);
    command_result_free(&c);
    return status;
}

/* Stops the server (pid > 0) and removes dir. 0, or -1 if dir stays. */
static inline int store_server_stop(pid_t pid, const char *dir)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* method path on port with key; body of len bytes of type; the answer in *r (free it). */
static inline int store_call(unsigned port, const char *key, const char *method, const char *path,
                             const char *type, const void *body, size_t len,
                             struct http_response *r, int timeout_ms)
{
    http_key = key;
    http_call_ex(port, method, path, type, body, len, false, r, timeout_ms);
    http_key = NULL;
    return r->status;
}

/* store_call with a text body, asserting the status is expect; the JSON answer (decref it). */
static inline json_t *store_call_json(unsigned port, const char *key, const char *method,
                                      const char *path, const char *type, const char *body,
                                      int expect, int timeout_ms)
{
    struct http_response r;
    int status = store_call(port, key, method, path, type, body, body != NULL ? strlen(body) : 0,
                            &r, timeout_ms);
    if (status != expect)
        print_error("%s %s: %d, expected %d: %.400s\n", method, path, status, expect,
                    r.body != NULL ? r.body : "");
    assert_int_equal(status, expect);
    json_t *j = json_loads(r.body, 0, NULL);
    http_response_free(&r);
    assert_non_null(j);
    return j;
}

#endif
