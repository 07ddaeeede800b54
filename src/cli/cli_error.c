/*
 * How every subcommand reports a failure on stderr: one line, "dmsrate CMD:
 * where: message [code]", in the language of --lang (dms_error_use_russian),
 * ending with the stable status name a script can match whatever the
 * language. A usage error is raised like a core error, from an English
 * template whose Russian form is in error.c's table, so the CLI and the core
 * share one list of messages and one check (tests/check-error-ru.py).
 */
#include <stdarg.h>
#include <stdio.h>

#include "commands.h"
#include "dms/diag.h"

void cli_error_in(const char *prog, const char *file, const dms_error *err)
{
    char text[DMS_ERROR_MESSAGE_MAX + 2 * DMS_ERROR_PATH_MAX];
    /* At a line the message names its file already (source:line:column). */
    bool named = file == NULL || (err != NULL && err->line > 0);
    fprintf(stderr, "%s: %s%s%s [%s]\n", prog, named ? "" : file, named ? "" : ": ",
            dms_error_locate(err, cli_russian(), text, (int)sizeof text),
            dms_status_name(err != NULL ? err->code : DMS_EINTERNAL));
}

void cli_error(const char *prog, const dms_error *err)
{
    cli_error_in(prog, NULL, err);
}

void cli_diag(const char *prog, const dms_diag *diag, bool warnings)
{
    char text[DMS_ERROR_MESSAGE_MAX + 2 * DMS_ERROR_PATH_MAX];
    const char *what = !warnings ? "" : cli_russian() ? "предупреждение: " : "warning: ";
    for (size_t i = 0; i < dms_diag_kept(diag); i++) {
        const dms_error *e = dms_diag_get(diag, i);
        fprintf(stderr, "%s: %s%s [%s]\n", prog, what,
                dms_error_locate(e, cli_russian(), text, (int)sizeof text),
                dms_status_name(e->code));
    }
    size_t more = dms_diag_count(diag) - dms_diag_kept(diag);
    if (more > 0)
        fprintf(stderr, cli_russian() ? "%s: ... и ещё %zu\n" : "%s: ... and %zu more\n", prog,
                more);
}

static int vraise(const char *prog, int code, const char *fmt, va_list ap)
{
    dms_error err;
    dms_error_clear(&err);
    dms_error_vset(&err, code, NULL, fmt, ap);
    cli_error(prog, &err);
    return code == DMS_EINVAL || code == DMS_EPARSE || code == DMS_ENOTFOUND ? 2 : 1;
}

int cli_raise(const char *prog, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int exit_status = vraise(prog, code, fmt, ap);
    va_end(ap);
    return exit_status;
}

int cli_fail(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int exit_status = vraise(prog, DMS_EINVAL, fmt, ap);
    va_end(ap);
    return exit_status;
}

int cli_fail_usage(const char *prog, const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int exit_status = vraise(prog, DMS_EINVAL, fmt, ap);
    va_end(ap);
    cli_usage(command, stderr);
    return exit_status;
}
