/*
 * The `dmsrate aggregate` command line as a library function, so that the
 * CLI stays a thin shell and the parser can be fuzzed. Accepts "--flag VALUE"
 * and "--flag=VALUE"; every error names the flag it concerns.
 */
#ifndef DMS_AGGREGATE_ARGS_H
#define DMS_AGGREGATE_ARGS_H

#include <stdbool.h>
#include "dms/aggregate.h"

/* The --help text. */
extern const char dms_aggregate_usage[];

/*
 * Parse argv[1..argc-1] (argv[0] is the command name) into *spec, starting
 * from dms_aggregate_spec_default(). *help is set when --help was given (the
 * rest is then not checked). On error err->message starts with the flag
 * ("--copay: ...") and DMS_EINVAL or DMS_EPARSE is returned.
 */
int dms_aggregate_args_parse(int argc, char *const argv[], dms_aggregate_spec *spec, bool *help,
                             dms_error *err);

#endif
