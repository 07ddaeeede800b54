/*
 * `dmsrate keys create|list|revoke|rotate`: the API keys of the service. A
 * key is printed once on creation (only its SHA-256 is stored) and belongs
 * to one scope: an employee, hr, manager or finance key to one employer
 * (--employer ID, default employer 1, the one of a single-employer
 * database); a broker key to the employers named by repeated --employer; an
 * insurer key to every employer. Creation, revocation and rotation are
 * written to the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/enrol_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

static bool parse_id(const char *text, long *out)
{
    char *end = NULL;
    long v = text != NULL ? strtol(text, &end, 10) : 0;
    if (end == text || *end != '\0' || v <= 0)
        return false;
    *out = v;
    return true;
}

static void print_keys(const dms_tenant_key *keys, size_t n)
{
    printf("%-5s %-13s %-8s %-9s %-14s %-20s %-20s %s\n", "id", "prefix", "role", "employer",
           "scope", "expires_at", "last_used_at", "revoked_at");
    for (size_t i = 0; i < n; i++) {
        const dms_tenant_key *k = &keys[i];
        char employer[64];
        if (k->employer > 0)
            snprintf(employer, sizeof employer, "%ld", k->employer);
        else
            snprintf(employer, sizeof employer, "%s",
                     k->role == DMS_ROLE_INSURER ? "all"
                     : k->employers[0]           ? k->employers
                                                 : "-");
        const char *scope = k->employee_id[0]  ? k->employee_id
                            : k->department[0] ? k->department
                                               : "-";
        printf("%-5ld %-13s %-8s %-9s %-14s %-20.19s %-20.19s %.19s\n", k->id, k->prefix,
               dms_role_name(k->role), employer, scope, k->expires_at[0] ? k->expires_at : "-",
               k->last_used_at[0] ? k->last_used_at : "-", k->revoked_at[0] ? k->revoked_at : "-");
    }
}

int cmd_keys(int argc, char **argv)
{
    int help = cli_action_help("keys", argc, argv);
    if (help >= 0)
        return help;
    const char *action = argv[1];
    bool create = strcmp(action, "create") == 0, list = strcmp(action, "list") == 0;
    bool by_id = strcmp(action, "revoke") == 0 || strcmp(action, "rotate") == 0;
    if (!create && !list && !by_id) {
        return cli_fail_usage("dmsrate keys", "keys", "unknown action '%s'", action);
    }
    long key_id = 0;
    int first = 2;
    if (by_id) {
        if (argc < 3 || !parse_id(argv[2], &key_id)) {
            cli_fail("dmsrate keys", "%s: give the key's id (dmsrate keys list)", action);
            return 2;
        }
        first = 3;
    }
    const char *role_text = NULL, *employee = NULL, *department = NULL;
    const char *db_path = "var/dmsrate.db";
    long employers[DMS_TENANT_KEY_EMPLOYERS_MAX];
    size_t n_employers = 0;
    int expires = 0;
    for (int i = first; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            cli_usage("keys", stdout);
            return 0;
        }
        if (value == NULL) {
            return cli_fail_usage("dmsrate keys", "keys", "unknown option or missing value: %s",
                                  argv[i]);
        }
        if (strcmp(argv[i], "--db") == 0) {
            db_path = value;
        } else if (strcmp(argv[i], "--employer") == 0 && (create || list)) {
            if (n_employers == DMS_TENANT_KEY_EMPLOYERS_MAX ||
                !parse_id(value, &employers[n_employers])) {
                cli_fail("dmsrate keys", "--employer needs an employer id, got '%s'", value);
                return 2;
            }
            n_employers++;
        } else if (create && strcmp(argv[i], "--role") == 0) {
            role_text = value;
        } else if (create && strcmp(argv[i], "--employee") == 0) {
            employee = value;
        } else if (create && strcmp(argv[i], "--department") == 0) {
            department = value;
        } else if (create && strcmp(argv[i], "--expires") == 0) {
            char *end = NULL;
            long days = strtol(value, &end, 10);
            if (end == value || (*end != '\0' && strcmp(end, "d") != 0) || days <= 0 ||
                days > 3660) {
                cli_fail("dmsrate keys", "--expires takes days, such as 90d (1 to 3660)");
                return 2;
            }
            expires = (int)days;
        } else {
            return cli_fail_usage("dmsrate keys", "keys", "unknown option %s", argv[i]);
        }
    }
    enum dms_role role = DMS_ROLE_EMPLOYEE;
    if (create && (role_text == NULL || !dms_role_from_text(role_text, &role))) {
        cli_fail("dmsrate keys",
                 "--role must be employee, hr, manager, finance, broker or insurer");
        return 2;
    }
    bool tenant_role = role != DMS_ROLE_BROKER && role != DMS_ROLE_INSURER;
    if (create && tenant_role && n_employers > 1) {
        cli_fail("dmsrate keys", "a %s key belongs to one employer: one --employer", role_text);
        return 2;
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    dms_tenant_key *keys = NULL;
    size_t n = 0;
    char key[DMS_ENROL_KEY_SIZE];
    long id = 0;
    int code = 1;
    if (dms_store_open(db_path, &store, &err) != DMS_OK)
        goto out;
    if (create) {
        dms_tenant_key_spec spec = {.role = role,
                                    .employee_id = employee,
                                    .department = department,
                                    .expires_days = expires,
                                    .actor = "cli"};
        if (tenant_role) {
            if (n_employers == 1)
                spec.employer = employers[0];
            else if (dms_tenant_employer_default(store, &spec.employer, &err) != DMS_OK)
                goto out;
        } else {
            spec.employers = employers;
            spec.n_employers = n_employers;
        }
        if (dms_tenant_key_create(store, &spec, key, &id, &err) != DMS_OK) {
            code = err.code == DMS_EINVAL || err.code == DMS_ENOTFOUND ? 2 : 1;
            goto out;
        }
        printf("%s\n", key);
        fprintf(stderr,
                cli_russian()
                    ? "dmsrate keys: ключ %ld создан для роли %s; он показывается только сейчас\n"
                    : "dmsrate keys: key %ld created for role %s; it is shown only this once\n",
                id, dms_role_name(role));
    } else if (list) {
        if (dms_tenant_key_list(store, n_employers > 0 ? employers[0] : 0, &keys, &n, &err) !=
            DMS_OK)
            goto out;
        print_keys(keys, n);
    } else if (strcmp(action, "revoke") == 0) {
        if (dms_tenant_key_revoke(store, key_id, "cli", &err) != DMS_OK)
            goto out;
        fprintf(stderr,
                cli_russian() ? "dmsrate keys: ключ %ld отозван\n"
                              : "dmsrate keys: key %ld revoked\n",
                key_id);
    } else {
        if (dms_tenant_key_rotate(store, key_id, "cli", key, &id, &err) != DMS_OK)
            goto out;
        printf("%s\n", key);
        fprintf(stderr,
                cli_russian() ? "dmsrate keys: ключ %ld заменяет ключ %ld, тот отозван\n"
                              : "dmsrate keys: key %ld replaces key %ld, which is revoked\n",
                id, key_id);
    }
    code = 0;
out:
    if (code != 0) {
        cli_error("dmsrate keys", &err);
    }
    free(keys);
    dms_store_close(store);
    return code;
}
