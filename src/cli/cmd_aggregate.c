/*
 * `dmsrate aggregate`: one person's annual cost distribution for one module,
 * printed as the JSON object the HTTP API also returns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "dms/aggregate_args.h"
#include "dms/report.h"

int cmd_aggregate(int argc, char **argv)
{
    dms_error err;
    dms_error_clear(&err);
    dms_aggregate_spec spec;
    bool help;
    if (dms_aggregate_args_parse(argc, argv, &spec, &help, &err) != DMS_OK) {
        cli_error("dmsrate aggregate", &err);
        return 2;
    }
    if (help) {
        fputs(dms_aggregate_usage, stdout);
        return 0;
    }
    dms_aggdist *dist = NULL;
    json_t *report = NULL;
    int status = dms_aggregate_compute(&spec, &dist, &err);
    if (status == DMS_OK)
        report = dms_report_aggregate(&spec, dist, &err);
    if (report == NULL) {
        cli_error("dmsrate aggregate", &err);
        dms_aggdist_free(dist);
        return status == DMS_EINVAL ? 2 : 1;
    }
    char *text = json_dumps(report, DMS_JSON_DUMP_FLAGS | JSON_INDENT(2));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(report);
    dms_aggdist_free(dist);
    return text != NULL ? 0 : 1;
}
