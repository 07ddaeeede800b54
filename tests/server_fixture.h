/*
 * A running `dmsrate serve` for the hardening tests (test_server_*.c): a
 * temporary folder with copies of the sample models and tariffs and a fresh
 * database, keys created with `dmsrate keys create`, the server's resident
 * memory read from /proc, and a clean stop. Built on run_command.h and
 * http_client.h.
 */
#ifndef DMS_TEST_SERVER_FIXTURE_H
#define DMS_TEST_SERVER_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "run_command.h"
#include "testutil.h"

struct fixture {
    pid_t pid;
    unsigned port;
    char dir[64]; /* models/, tariffs/, dmsrate.db, server.log */
    char db[128];
    char log_path[128];
};

static inline bool under_valgrind(void)
{
    return getenv("DMS_UNDER_VALGRIND") != NULL;
}

static inline double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Makes the folder with copies of models/ and tariffs/; 0 on success. */
static inline int fixture_prepare(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    if (test_temp_dir(f->dir, sizeof f->dir, "srv") != 0)
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp -r models tariffs '%s'/", f->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(f->db, sizeof f->db, "%s/dmsrate.db", f->dir);
    snprintf(f->log_path, sizeof f->log_path, "%s/server.log", f->dir);
    return 0;
}

/*
 * Starts the server of a prepared fixture with the folder's catalog and
 * database plus extra arguments (NULL-terminated, at most 16); 0 when it
 * answers /healthz.
 */
static inline int fixture_start(struct fixture *f, const char *const extra[])
{
    char models[128], tariffs[128];
    snprintf(models, sizeof models, "%s/models", f->dir);
    snprintf(tariffs, sizeof tariffs, "%s/tariffs", f->dir);
    const char *args[28] = {"--models", models, "--tariffs", tariffs, "--db", f->db, "--no-seed"};
    size_t n = 7;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 26; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    f->pid = start_dmsrate_serve(args, f->log_path, 20000, &f->port);
    if (f->pid < 0)
        return -1;
    struct http_response r;
    http_call(f->port, "GET", "/healthz", NULL, NULL, &r, 20000);
    int ok = r.status == 200 ? 0 : -1;
    http_response_free(&r);
    return ok;
}

/* `dmsrate keys create --role ROLE` in the fixture's database; the key into key. */
static inline int fixture_key(const struct fixture *f, const char *role, char *key, size_t size)
{
    char *argv[] = {"dmsrate",    "keys", "create",      "--role",
                    (char *)role, "--db", (char *)f->db, NULL};
    struct command_result c = run_dmsrate(argv);
    int ok = c.status == 0 && strlen(c.out) > 60 ? 0 : -1;
    snprintf(key, size, "%.*s", (int)strcspn(c.out, "\n"), c.out);
    command_result_free(&c);
    return ok;
}

/* The server's resident set in KiB (VmRSS), or -1. */
static inline long fixture_rss_kb(const struct fixture *f)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)f->pid);
    FILE *status = fopen(path, "r");
    long kb = -1;
    while (status != NULL && fgets(line, sizeof line, status) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (status != NULL)
        fclose(status);
    return kb;
}

/*
 * Sends signal and waits at most limit_s seconds for the exit; returns the
 * exit status (128 + signal if killed), or -1 if it had to be killed.
 */
static inline int fixture_signal_wait(struct fixture *f, int sig, double limit_s, double *took)
{
    double t0 = now_seconds();
    kill(f->pid, sig);
    int wstatus = 0;
    pid_t done = 0;
    while ((done = waitpid(f->pid, &wstatus, WNOHANG)) == 0 && now_seconds() - t0 < limit_s) {
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    if (took != NULL)
        *took = now_seconds() - t0;
    if (done == 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
        return -1;
    }
    f->pid = 0;
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

/* Stops the server (if running) and removes the folder. */
static inline void fixture_finish(struct fixture *f)
{
    if (f->pid > 0)
        fixture_signal_wait(f, SIGTERM, 20.0, NULL);
    if (f->dir[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", f->dir);
        f->dir[0] = '\0';
    }
}

/* A request with the given key; body may be NULL (GET). */
static inline void call_with_key(unsigned port, const char *key, const char *method,
                                 const char *path, const char *body, struct http_response *r,
                                 int timeout_ms)
{
    const char *saved = http_key;
    http_key = key;
    http_call(port, method, path, body != NULL ? "application/json" : NULL, body, r, timeout_ms);
    http_key = saved;
}

/* The "code" of an error body, copied into buf ("" if none). */
static inline const char *error_code(const struct http_response *r, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *p = r->body != NULL ? strstr(r->body, "\"code\":\"") : NULL;
    if (p != NULL)
        snprintf(buf, size, "%.*s", (int)strcspn(p + 8, "\""), p + 8);
    return buf;
}

#endif
