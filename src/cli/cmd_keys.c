/*
 * `dmsrate keys create --role ROLE [--employee ID] [--department D] [--db FILE]`:
 * creates an API key for the service, stores its SHA-256 in the database and
 * prints the key once on stdout (it cannot be shown again). The role sets
 * what the key may do (employee, hr, manager, finance, broker; see README).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dms/enrol_store.h"
#include "dms/store.h"

static const char usage[] =
    "usage: dmsrate keys create --role ROLE [--employee ID] [--department D] [--db FILE]\n"
    "\n"
    "Creates an API key and prints it once on stdout; only its SHA-256 is stored.\n"
    "  --role ROLE       employee | hr | manager | finance | broker\n"
    "  --employee ID     the employee's id (табельный номер): required for employee keys\n"
    "  --department D    the department (подразделение): required for manager keys\n"
    "  --db FILE         the service's database (default var/dmsrate.db)\n"
    "Clients send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.\n";

int cmd_keys(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "dmsrate keys: unknown action '%s'\n%s", argv[1], usage);
        return 2;
    }
    const char *role_text = NULL, *employee = NULL, *department = NULL;
    const char *db_path = "var/dmsrate.db";
    for (int i = 2; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (value == NULL) {
            fprintf(stderr, "dmsrate keys: unknown option or missing value: %s\n%s", argv[i],
                    usage);
            return 2;
        }
        if (strcmp(argv[i], "--role") == 0)
            role_text = value;
        else if (strcmp(argv[i], "--employee") == 0)
            employee = value;
        else if (strcmp(argv[i], "--department") == 0)
            department = value;
        else if (strcmp(argv[i], "--db") == 0)
            db_path = value;
        else {
            fprintf(stderr, "dmsrate keys: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
        i++;
    }
    enum dms_role role;
    if (role_text == NULL || !dms_role_from_text(role_text, &role)) {
        fprintf(stderr, "dmsrate keys: --role must be employee, hr, manager, finance or broker\n");
        return 2;
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    char key[DMS_ENROL_KEY_SIZE];
    long id = 0;
    int code = 1;
    if (dms_store_open(db_path, &store, &err) != DMS_OK)
        goto out;
    if (dms_enrol_key_create(store, role, employee, department, key, &id, &err) != DMS_OK) {
        code = err.code == DMS_EINVAL ? 2 : 1;
        goto out;
    }
    printf("%s\n", key);
    fprintf(stderr, "dmsrate keys: key %ld created for role %s; it is shown only this once\n", id,
            dms_role_name(role));
    code = 0;
out:
    if (code != 0)
        fprintf(stderr, "dmsrate keys: %s\n", err.message);
    dms_store_close(store);
    return code;
}
