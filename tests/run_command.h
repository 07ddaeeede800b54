/*
 * Runs the dmsrate binary (path from $DMS_BIN, default build/dmsrate) with
 * arguments and captures its exit status, stdout and stderr, for tests of
 * the command-line contract; and starts `dmsrate serve` for the API tests.
 */
#ifndef DMS_TEST_RUN_COMMAND_H
#define DMS_TEST_RUN_COMMAND_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct command_result {
    int status; /* exit status, or 128 + signal */
    char *out;  /* malloc'd, NUL-terminated */
    char *err;
};

static inline const char *dms_binary(void)
{
    const char *bin = getenv("DMS_BIN");
    return bin != NULL && bin[0] != '\0' ? bin : "build/dmsrate";
}

static inline char *slurp_fd(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

/* argv[0] is replaced by the binary path; argv ends with NULL. */
static inline struct command_result run_dmsrate(char *const argv[])
{
    char out_path[] = "/tmp/dmsrate-test-outXXXXXX", err_path[] = "/tmp/dmsrate-test-errXXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execv(dms_binary(), argv);
        _exit(127);
    }
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    struct command_result r;
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    FILE *o = fdopen(out_fd, "r"), *e = fdopen(err_fd, "r");
    rewind(o);
    rewind(e);
    r.out = slurp_fd(o);
    r.err = slurp_fd(e);
    fclose(o);
    fclose(e);
    unlink(out_path);
    unlink(err_path);
    return r;
}

static inline void command_result_free(struct command_result *r)
{
    free(r->out);
    free(r->err);
}

/*
 * Starts `dmsrate serve --listen 127.0.0.1:0 ARGS...` (args NULL-terminated,
 * at most 24) with its stderr appended to log_path, and reads the port it
 * bound from its first stdout line ("dmsrate: listening on
 * http://127.0.0.1:PORT/"), each read waiting at most timeout_ms. Returns the child's
 * pid with *port set, or -1 (a child that did not report is killed).
 */
static inline pid_t start_dmsrate_serve(const char *const args[], const char *log_path,
                                        int timeout_ms, unsigned *port)
{
    char *argv[32] = {(char *)dms_binary(), "serve", "--listen", "127.0.0.1:0"};
    size_t argc = 4;
    for (size_t i = 0; args[i] != NULL && argc < 28; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    int out[2];
    if (pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(out[1], 1);
        dup2(log, 2);
        close(out[0]);
        execv(dms_binary(), argv);
        _exit(127);
    }
    close(out[1]);
    char line[256];
    size_t len = 0;
    struct pollfd readable = {.fd = out[0], .events = POLLIN};
    while (len < sizeof line - 1 && poll(&readable, 1, timeout_ms) > 0) {
        if (read(out[0], line + len, 1) <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(out[0]);
    const char *colon = strrchr(line, ':');
    if (pid < 0 || strstr(line, "listening on http://127.0.0.1:") == NULL || colon == NULL) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        return -1;
    }
    *port = (unsigned)atoi(colon + 1);
    return pid;
}

#endif
