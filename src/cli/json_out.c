/*
 * `--format json` for the CLI's reports: the report the core built, indented,
 * with the library's dump flags (key order kept, reals to 15 digits) and a
 * newline, on stdout. One helper, so every command prints JSON the same way.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "dms/report.h"

int cli_print_json(json_t *report)
{
    char *dump = report ? json_dumps(report, DMS_JSON_DUMP_FLAGS | JSON_INDENT(2)) : NULL;
    int rc = dump != NULL && puts(dump) >= 0 ? 0 : 1;
    free(dump);
    json_decref(report);
    return rc;
}
