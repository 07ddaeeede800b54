/*
 * `dmsrate enrol import [--employer ID] --db FILE --policy FILE --census FILE`:
 * stores an employer's benefit policy (examples/policies/) and census CSV in
 * the service's database, after validating both, so that `dmsrate serve --db
 * FILE` offers the module picker to the employees of that census. A new
 * import replaces that employer's import in force; elections already made
 * stay. Without --employer the import goes to employer 1 (created if
 * absent), the one employer of a single-employer database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/file.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

int cmd_enrol(int argc, char **argv)
{
    int help = cli_action_help("enrol", argc, argv);
    if (help >= 0)
        return help;
    if (strcmp(argv[1], "import") != 0) {
        return cli_fail_usage("dmsrate enrol", "enrol", "unknown action '%s'", argv[1]);
    }
    const char *policy_path = NULL, *census_path = NULL, *db_path = "var/dmsrate.db";
    long employer = 0;
    for (int i = 2; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL) {
            return cli_fail_usage("dmsrate enrol", "enrol", "unknown option or missing value: %s",
                                  argv[i]);
        }
        if (strcmp(argv[i], "--policy") == 0)
            policy_path = value;
        else if (strcmp(argv[i], "--census") == 0)
            census_path = value;
        else if (strcmp(argv[i], "--db") == 0)
            db_path = value;
        else if (strcmp(argv[i], "--employer") == 0) {
            if ((employer = strtol(value, NULL, 10)) <= 0) {
                cli_fail("dmsrate enrol", "--employer needs an employer id, got '%s'", value);
                return 2;
            }
        } else {
            return cli_fail_usage("dmsrate enrol", "enrol", "unknown option %s", argv[i]);
        }
    }
    if (policy_path == NULL || census_path == NULL) {
        return cli_fail_usage("dmsrate enrol import", "enrol",
                              "--policy and --census are required");
    }
    dms_error err;
    dms_error_clear(&err);
    json_t *policy = NULL;
    dms_store *store = NULL;
    size_t len = 0;
    long id = 0;
    int code = 2;
    char *csv = NULL;
    if (dms_file_read(census_path, 0, "the census", &csv, &len, &err) != DMS_OK) {
        cli_error("dmsrate enrol", &err);
        return 1;
    }
    if (dms_json_load_file(policy_path, &policy, &err) != DMS_OK)
        goto out;
    code = 1;
    if (dms_store_open(db_path, &store, &err) != DMS_OK)
        goto out;
    dms_tenant_employer e;
    if (employer == 0 && dms_tenant_employer_default(store, &employer, &err) != DMS_OK)
        goto out;
    if (dms_tenant_employer_get(store, employer, &e, &err) != DMS_OK) {
        code = 2;
        goto out;
    }
    dms_store_tenant_set(store, employer);
    if (dms_enrol_import(store, policy, csv, len, "cli", &id, &err) != DMS_OK) {
        code = err.code == DMS_EINVAL || err.code == DMS_EPARSE ? 2 : 1;
        goto out;
    }
    /* A PostgreSQL URI may hold a password: it is not echoed. */
    const char *where = dms_store_is_uri(db_path)
                            ? (cli_russian() ? "базу PostgreSQL" : "the PostgreSQL database")
                            : db_path;
    printf(cli_russian() ? "%s и %s загружены в %s для работодателя %ld (загрузка %ld)\n"
                         : "imported %s and %s into %s for employer %ld (import %ld)\n",
           policy_path, census_path, where, employer, id);
    code = 0;
out:
    if (code != 0) {
        cli_error("dmsrate enrol", &err);
    }
    json_decref(policy);
    dms_store_close(store);
    free(csv);
    return code;
}
