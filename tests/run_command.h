/*
 * Runs the dmsrate binary (path from $DMS_BIN, default build/dmsrate) with
 * arguments and captures its exit status, stdout and stderr, for tests of
 * the command-line contract.
 */
#ifndef DMS_TEST_RUN_COMMAND_H
#define DMS_TEST_RUN_COMMAND_H

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

#endif
