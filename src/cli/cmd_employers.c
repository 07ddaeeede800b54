/*
 * `dmsrate employers create --name NAME [--inn INN] [--db FILE]` and
 * `dmsrate employers list [--db FILE]`: the tenants of the service. An
 * employer has its own policy and census (`enrol import --employer ID`),
 * register of insured people, elections and keys. create prints the new id
 * alone on stdout, so scripts can capture it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

int cmd_employers(int argc, char **argv)
{
    int help = cli_action_help("employers", argc, argv);
    if (help >= 0)
        return help;
    bool create = strcmp(argv[1], "create") == 0;
    if (!create && strcmp(argv[1], "list") != 0) {
        return cli_fail_usage("dmsrate employers", "employers", "unknown action '%s'", argv[1]);
    }
    const char *name = NULL, *inn = NULL, *db_path = "var/dmsrate.db";
    for (int i = 2; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL) {
            return cli_fail_usage("dmsrate employers", "employers",
                                  "unknown option or missing value: %s", argv[i]);
        }
        if (create && strcmp(argv[i], "--name") == 0)
            name = value;
        else if (create && strcmp(argv[i], "--inn") == 0)
            inn = value;
        else if (strcmp(argv[i], "--db") == 0)
            db_path = value;
        else {
            return cli_fail_usage("dmsrate employers", "employers", "unknown option %s", argv[i]);
        }
    }
    if (create && name == NULL) {
        return cli_fail_usage("dmsrate employers create", "employers", "--name is required");
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    dms_tenant_employer *list = NULL;
    size_t n = 0;
    long id = 0;
    int code = 1;
    if (dms_store_open(db_path, &store, &err) != DMS_OK)
        goto out;
    if (create) {
        if (dms_tenant_employer_create(store, name, inn, "cli", &id, &err) != DMS_OK) {
            code = err.code == DMS_EINVAL ? 2 : 1;
            goto out;
        }
        printf("%ld\n", id);
        fprintf(stderr,
                cli_russian() ? "dmsrate employers: создан работодатель %ld: %s\n"
                              : "dmsrate employers: employer %ld \"%s\" created\n",
                id, name);
    } else {
        if (dms_tenant_employer_list(store, 0, &list, &n, &err) != DMS_OK)
            goto out;
        printf("%-6s %-12s %-24s %s\n", "id", "inn", "created_at", "name");
        for (size_t i = 0; i < n; i++)
            printf("%-6ld %-12s %-24s %s\n", list[i].id, list[i].inn[0] ? list[i].inn : "-",
                   list[i].created_at, list[i].name);
    }
    code = 0;
out:
    if (code != 0) {
        cli_error("dmsrate employers", &err);
    }
    free(list);
    dms_store_close(store);
    return code;
}
