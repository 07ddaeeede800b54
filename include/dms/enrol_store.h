/*
 * The employee module picker's storage: API keys (stored as SHA-256
 * hashes, with a role and a scope), the employer's policy and census as
 * imported, the current election of each employee and the history of every
 * change to it (time, acting key, role, from and to status, reason, the
 * options at that moment). SQL lives here and in src/store only; the rules
 * (eligibility, budget, window, status machine) stay in the core (picker.h)
 * and the callers run them between dms_enrol_begin and dms_enrol_commit, so
 * a check and the write it allows happen in one transaction. A write is
 * durable once dms_enrol_commit returns DMS_OK.
 */
#ifndef DMS_ENROL_STORE_H
#define DMS_ENROL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/error.h"
#include "dms/picker.h"
#include "dms/policy.h"
#include "dms/store.h"

/* Who may do what (see README, "Elections and API keys"). */
enum dms_role {
    DMS_ROLE_EMPLOYEE, /* own offer, own election and history */
    DMS_ROLE_HR,       /* everything of the employer */
    DMS_ROLE_MANAGER,  /* aggregates of their own department only */
    DMS_ROLE_FINANCE,  /* totals and the payroll export, quotes */
    DMS_ROLE_BROKER,   /* quotes and the catalog; hr powers over its bound employers */
    DMS_ROLE_INSURER,  /* the insurer's staff: every employer, the catalog, reload */
    DMS_ROLE_COUNT
};

#define DMS_ROLE_BIT(role) (1u << (unsigned)(role))

/* "employee", "hr", "manager", "finance", "broker", "insurer". */
const char *dms_role_name(enum dms_role role);
/* Exact lower-case name; false if unknown. */
bool dms_role_from_text(const char *text, enum dms_role *out);

#define DMS_ENROL_ID_MAX 64
#define DMS_ENROL_TEXT_MAX 256
#define DMS_ENROL_OPTIONS_MAX 2048
/* "dms_" and 64 hex digits (32 random bytes), NUL-terminated. */
#define DMS_ENROL_KEY_SIZE 69

/* ---- keys ------------------------------------------------------------------ */

/* The caller identified by a key. */
typedef struct dms_enrol_principal {
    long key_id;
    enum dms_role role;
    long employer;                       /* tenant roles: their employer; broker, insurer: 0 */
    char employee_id[DMS_ENROL_ID_MAX];  /* employee role: whose; else "" */
    char department[DMS_ENROL_TEXT_MAX]; /* manager role: which; else "" */
    char actor[DMS_ENROL_ID_MAX + 32];   /* "key 12 (employee 100007)" for history */
} dms_enrol_principal;

/*
 * Identifies the caller presenting key and records when it was last used
 * (at most once a minute, best effort). DMS_EUNAUTH for an unknown,
 * revoked, expired or malformed key (the message never repeats the key).
 */
int dms_enrol_key_check(dms_store *store, const char *key, dms_enrol_principal *out,
                        dms_error *err);

/* ---- transactions ---------------------------------------------------------- */

/*
 * BEGIN IMMEDIATE: takes the write lock now, waiting up to the busy timeout.
 * The writers of a process queue at a gate per database file, and the one
 * in writes on a SQLite connection the gate keeps (until the commit or
 * rollback, store then stands for it), whose page cache the other writers'
 * commits do not empty.
 */
int dms_enrol_begin(dms_store *store, dms_error *err);
/* COMMIT; on failure the transaction is rolled back. */
int dms_enrol_commit(dms_store *store, dms_error *err);
/* ROLLBACK if a transaction is open; never fails. */
void dms_enrol_rollback(dms_store *store);
/* Closes the connections the gates keep (at shutdown, no write in progress). */
void dms_enrol_writers_close(void);

/* ---- the employer ------------------------------------------------------------ */

/*
 * Stores a new version of the employer's policy (JSON text, already
 * validated by the caller) and census (CSV text, already parsed into census)
 * and the department of every employee; the latest import is the one in
 * force. *id (may be NULL) receives its number. Runs in its own transaction
 * unless one is open.
 */
int dms_enrol_employer_put(dms_store *store, const char *policy_json, const char *census_csv,
                           const char *policy_name, const dms_census *census, const char *actor,
                           long *id, dms_error *err);

/*
 * What identifies the import in force without reading its texts: its number
 * and the time it was stored (imported_at as stored, into stamp of size
 * bytes). An import row is never changed, and a new one gets a new stamp.
 * DMS_ENOTFOUND when nothing was imported.
 */
int dms_enrol_employer_stamp(dms_store *store, long *id, char *stamp, size_t size, dms_error *err);

/*
 * The import in force: its number, and (each may be NULL) malloc'd copies of
 * the policy JSON and census CSV texts. DMS_ENOTFOUND when nothing was
 * imported.
 */
int dms_enrol_employer_get(dms_store *store, long *id, char **policy_json, char **census_csv,
                           dms_error *err);

/* The department of an employee of the import in force; DMS_ENOTFOUND if none. */
int dms_enrol_employee_department(dms_store *store, const char *employee_id,
                                  char department[DMS_ENROL_TEXT_MAX], dms_error *err);

/*
 * Validates and stores an employer import: policy (a policy document,
 * borrowed; faults at /policy/...) and census_csv (len bytes of census CSV;
 * faults at /census_csv with line and column), then dms_enrol_employer_put.
 * Every employee of the census must fall into a segment of the policy
 * (DMS_EINVAL at /census_csv, the employee's line, otherwise).
 */
int dms_enrol_import(dms_store *store, const json_t *policy, const char *census_csv, size_t len,
                     const char *actor, long *id, dms_error *err);

/*
 * The import in force, parsed: *policy and *census (free with
 * dms_policy_free / dms_census_free) and its number in *id (may be NULL).
 * DMS_ENOTFOUND when nothing was imported.
 */
int dms_enrol_context_load(dms_store *store, dms_policy **policy, dms_census **census, long *id,
                           dms_error *err);

/* The parsing half of dms_enrol_context_load, from the stored texts (the
 * picker's employer snapshot reads the texts itself to compare them). */
int dms_enrol_context_parse(const char *policy_json, const char *census_csv, dms_policy **policy,
                            dms_census **census, dms_error *err);

/* ---- elections ------------------------------------------------------------------ */

/* The current state of one employee's election. Money in kopecks. */
typedef struct dms_enrol_election {
    long id; /* 0: not stored yet */
    char employee_id[DMS_ENROL_ID_MAX];
    char department[DMS_ENROL_TEXT_MAX];
    enum dms_election_status status;
    int version;                         /* 1, +1 for each life-event re-opening */
    char options[DMS_ENROL_OPTIONS_MAX]; /* JSON array of option codes */
    int64_t price, employer, employee;   /* a year */
    int64_t employee_month;              /* the monthly salary deduction */
    enum dms_life_event life_event;      /* the event that re-opened it, or NONE */
    char life_event_date[11];            /* "" if none */
    char reason[DMS_ENROL_TEXT_MAX];     /* of a rejection, "" otherwise */
    char updated_at[40];
} dms_enrol_election;

/* Reads the election of employee_id, or by its number; DMS_ENOTFOUND if absent. */
int dms_enrol_election_get(dms_store *store, const char *employee_id, dms_enrol_election *out,
                           dms_error *err);
int dms_enrol_election_get_id(dms_store *store, long id, dms_enrol_election *out, dms_error *err);

/*
 * Writes e (inserting it when e->id is 0, which then receives its number)
 * and appends one history line: entry's from/to, time, actor, life event and
 * reason, the acting role and e's options. Call inside dms_enrol_begin /
 * dms_enrol_commit. DMS_EINVAL for values the schema refuses. An existing
 * election keeps its employee: e->employee_id must be the stored one
 * (DMS_ENOTFOUND otherwise). The register
 * of insured persons is left as it is: dms_register_store_election_put
 * (register_store.h) writes the election and moves the register with it.
 */
int dms_enrol_election_put(dms_store *store, dms_enrol_election *e,
                           const dms_election_history *entry, enum dms_role role, dms_error *err);

/*
 * Elections filtered by department (NULL or "": all) and status (negative:
 * all), ordered by employee id, into a malloc'd array (*out, free it) of *n.
 */
int dms_enrol_election_list(dms_store *store, const char *department, int status,
                            dms_enrol_election **out, size_t *n, dms_error *err);

/* One stored history line. */
typedef struct dms_enrol_history_row {
    dms_election_history change; /* version, from, to, life event, actor, at, reason */
    bool has_from;               /* false for the line that created the election */
    enum dms_role role;
    char options[DMS_ENROL_OPTIONS_MAX];
} dms_enrol_history_row;

/* The history of an election, oldest first, malloc'd into *out (free it). */
int dms_enrol_history(dms_store *store, long election_id, dms_enrol_history_row **out, size_t *n,
                      dms_error *err);

/* Employees of the import in force, by department (NULL or "": all). */
int dms_enrol_employee_count(dms_store *store, const char *department, long *count, dms_error *err);

#endif
