/*
 * The dmsrate subcommands. Each lives in src/cli/cmd_<name>.c, parses its own
 * arguments, calls the core and prints through the shared encoders. Exit
 * status: 0 success, 1 failure of the work itself, 2 bad arguments or input.
 */
#ifndef DMS_CLI_COMMANDS_H
#define DMS_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/error.h"
#include "dms/progress.h"

int cmd_aggregate(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_quote(int argc, char **argv);
int cmd_budget(int argc, char **argv);
int cmd_bank(int argc, char **argv);
int cmd_claims(int argc, char **argv);
int cmd_employers(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_enrol(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_finance(int argc, char **argv);
int cmd_notify(int argc, char **argv);

/* Failures on stderr (cli_error.c): "PROG: where: message [code]" in the
 * language of --lang, code being the stable dms_status_name. cli_error_in
 * names the input file unless the error is at a line of it. cli_raise makes
 * the error from an English template with a Russian form in error.c's table,
 * prints it and returns the exit status (2 for bad input, else 1); cli_fail
 * is cli_raise of a usage error (invalid_parameter, exit status 2). */
void cli_error(const char *prog, const dms_error *err);
/* Every kept entry of diag the same way (warnings marked so), then how many
 * more were counted but not kept. */
struct dms_diag;
void cli_diag(const char *prog, const struct dms_diag *diag, bool warnings);
/* The language of the CLI's own words, set once by main (--lang, DMS_LANG);
 * also sets the language of dms_error_format. */
void cli_use_russian(bool ru);
bool cli_russian(void);
void cli_error_in(const char *prog, const char *file, const dms_error *err);
int cli_raise(const char *prog, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cli_fail(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cli_fail followed by the --help text of command on stderr, for the
 * commands that show their usage after a usage error. Returns 2. */
int cli_fail_usage(const char *prog, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A flag taking one value and where its value goes (cli_flags.c); a table
 * of them ends with a NULL name, and an entry with a NULL target is a flag
 * the subcommand at hand does not take. cli_value_flag_find returns the
 * target of name, or NULL. cli_take_value stores argv[*i + 1] at the target
 * of flag argv[*i] and steps *i past it: 0, or after printing the usage
 * error (an unknown flag, a missing value) the exit status 2. */
typedef struct cli_value_flag {
    const char *name;
    const char **target;
} cli_value_flag;
const char **cli_value_flag_find(const cli_value_flag *flags, const char *name);
int cli_take_value(const char *prog, const cli_value_flag *flags, int argc, char **argv, int *i);

/* The --help text of command ("quote", "serve", ...) on out, in the language
 * of cli_russian (help.c holds both forms of every command in one table). */
void cli_usage(const char *command, FILE *out);
/* The start of a command whose first argument is an action (keys create,
 * claims import ...): without one, the usage on stderr and exit status 2;
 * for --help or -h, the usage on stdout and 0; else -1, to go on. */
int cli_action_help(const char *command, int argc, char **argv);

/* Opens the store at db (store_open.c), checks that employer exists and
 * scopes the store to it. *store is to be closed whatever the outcome. */
struct dms_store;
int cli_store_open_employer(const char *db, long employer, struct dms_store **store,
                            dms_error *err);

/* --format json (json_out.c): prints report (indented, the library's dump
 * flags) on stdout and releases it; NULL, a report that failed, prints
 * nothing. Returns 0, or 1 when nothing was printed. */
int cli_print_json(json_t *report);

/* --format xlsx (xlsx_out.c): cli_xlsx_begin opens a memory stream for the
 * command's CSV (NULL, message printed, when stdout is a terminal);
 * cli_xlsx_end converts it to a typed workbook on stdout. Returns 0 or 1. */
FILE *cli_xlsx_begin(const char *prog, char **buf, size_t *len);
int cli_xlsx_end(const char *prog, FILE *csv, char **buf, size_t *len, const char *sheet);

/* Progress on stderr (progress.c): a bar on a terminal, else a line per
 * tenth and per stage. Pass &c.progress to the core's options. */
typedef struct cli_progress {
    dms_progress progress;
    const char *label;
    bool tty, quiet, drawn;
    int last_tenth;
    char last_stage[64];
} cli_progress;
void cli_progress_start(cli_progress *c, const char *label);
void cli_progress_show(void *user, double fraction, const char *stage);
void cli_progress_end(cli_progress *c);

#endif
