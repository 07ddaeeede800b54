/*
 * `dmsrate aggregate`: one person's annual cost distribution for one module,
 * printed as the JSON object the HTTP API also returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/aggregate_args.h"
#include "dms/report.h"

/*
 * The argument parser names the flag before the English message only
 * ("--copay: co-pay must be ..."): the same flag before the Russian one, and
 * no JSON Pointer, which means nothing on a command line.
 */
static void print_error(dms_error *err)
{
    size_t flag = strncmp(err->message, "--", 2) == 0 ? strcspn(err->message, ":") : 0;
    if (flag > 0 && err->message[flag] == ':' && err->message_ru[0] != '\0' &&
        strncmp(err->message_ru, err->message, flag + 1) != 0) {
        char ru[2 * sizeof err->message_ru];
        snprintf(ru, sizeof ru, "%.*s %s", (int)flag + 1, err->message, err->message_ru);
        ru[sizeof err->message_ru - 1] = '\0'; /* cut to the record's size */
        memcpy(err->message_ru, ru, sizeof err->message_ru);
    }
    err->path[0] = '\0';
    cli_error("dmsrate aggregate", err);
}

int cmd_aggregate(int argc, char **argv)
{
    dms_error err;
    dms_error_clear(&err);
    dms_aggregate_spec spec;
    bool help;
    if (dms_aggregate_args_parse(argc, argv, &spec, &help, &err) != DMS_OK) {
        print_error(&err);
        return 2;
    }
    if (help) {
        cli_usage("aggregate", stdout);
        return 0;
    }
    dms_aggdist *dist = NULL;
    json_t *report = NULL;
    int status = dms_aggregate_compute(&spec, &dist, &err);
    if (status == DMS_OK)
        report = dms_report_aggregate(&spec, dist, &err);
    if (report == NULL) {
        print_error(&err);
        dms_aggdist_free(dist);
        return status == DMS_EINVAL ? 2 : 1;
    }
    dms_aggdist_free(dist);
    return cli_print_json(report);
}
