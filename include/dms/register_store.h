/*
 * The stored register of insured people of an employer (tables
 * insured_person, insured_change and insured_upload of migration 5), read
 * and written for the connection's employer (dms_store_tenant). The rules
 * live in the core (register.h): a submission loads the persons its batch
 * touches, runs dms_insured_check against the employer's policy (period,
 * programmes = the policy's segment codes) and retro window, and, only when
 * the whole batch is clean, writes every change and the new state of every
 * person in one transaction. Each person carries a version, raised by every
 * change, for optimistic concurrency; every change keeps its effective
 * date, the time it was entered and its author (the key).
 */
#ifndef DMS_REGISTER_STORE_H
#define DMS_REGISTER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/enrol_store.h"
#include "dms/error.h"
#include "dms/exposure.h"
#include "dms/register.h"
#include "dms/store.h"

#define DMS_REGISTER_DEFAULT_RETRO_DAYS 30
#define DMS_REGISTER_ID_MAX 64
#define DMS_REGISTER_TEXT_MAX 256

/* How a batch is submitted. */
typedef struct dms_register_submit {
    const char *author; /* the key ("key 12 (hr)") or "cli" */
    const char *source; /* the file name, or "api" for a change typed in */
    long today;         /* days since 1970-01-01 */
    int retro_days;     /* the window; negative: the employer's setting */
    /* A single change may name the version of the person it was made
       against (0: none). A stale one is DMS_ECONFLICT. */
    long expected_version;
    /* Internal changes (an accepted election): any programme, no retro window. */
    bool internal;
} dms_register_submit;

/*
 * Checks batch whole against the employer's register and policy and, when
 * clean, applies it in one transaction. *outcome (free with
 * dms_insured_outcome_free) tells which: ok with the accepted changes, or
 * every issue. DMS_OK in both cases; DMS_ENOTFOUND when the employer has no
 * policy imported; DMS_ECONFLICT when expected_version is stale, with the
 * person's current version in *current (may be NULL) and no outcome.
 * *upload (may be NULL) receives the number of the stored submission.
 */
int dms_register_store_submit(dms_store *store, const dms_insured_batch *batch,
                              const dms_register_submit *opts,
                              dms_insured_outcome **outcome /* OUT */, long *current /* OUT */,
                              long *upload /* OUT */, dms_error *err);

/* One person as stored. */
typedef struct dms_register_entry {
    char policy[DMS_REGISTER_ID_MAX];
    char employee_id[DMS_REGISTER_ID_MAX];
    enum dms_relation relation;
    char full_name[DMS_REGISTER_TEXT_MAX];
    long birth_day; /* DMS_INSURED_NO_DATE if unknown */
    char department[DMS_REGISTER_TEXT_MAX];
    char programme[DMS_REGISTER_TEXT_MAX]; /* segment, "+option" for each elected option */
    enum dms_insured_status status;
    long date_from, date_to, status_day; /* date_to DMS_INSURED_OPEN_END while covered */
    long version;
    char updated_at[40];
} dms_register_entry;

/*
 * One page of the register ordered by ФИО then policy number: the persons
 * matching filter (NULL: all) that come after the person holding policy
 * after (NULL: from the start; the last policy of the previous page gives
 * the next page at the cost of the first), skipping offset, at most limit,
 * into a malloc'd array (*out, free it) of *n; *total (may be NULL) the
 * number matching (the whole filter, not only after).
 */
int dms_register_store_list(dms_store *store, const dms_insured_filter *filter, const char *after,
                            size_t offset, size_t limit, dms_register_entry **out, size_t *n,
                            size_t *total, dms_error *err);

/* One person by policy number; DMS_ENOTFOUND if absent. */
int dms_register_store_get(dms_store *store, const char *policy, dms_register_entry *out,
                           dms_error *err);

/* The whole register of the employer as a core snapshot (free with dms_insured_register_free). */
int dms_register_store_load(dms_store *store, dms_insured_register **out, dms_error *err);

/* A stored change; change's strings point into the row itself. */
typedef struct dms_register_change_row {
    long id;      /* order of entry */
    long upload;  /* the submission it came with */
    long version; /* the person's version after it */
    char entered_at[40];
    dms_insured_change change;
    char policy[DMS_REGISTER_ID_MAX], employee_id[DMS_REGISTER_ID_MAX];
    char full_name[DMS_REGISTER_TEXT_MAX], department[DMS_REGISTER_TEXT_MAX];
    char programme[DMS_REGISTER_TEXT_MAX], programme_before[DMS_REGISTER_TEXT_MAX];
    char author[96];
} dms_register_change_row;

/*
 * Stored changes in order of entry, into a malloc'd array (*out, free it)
 * of *n: of one person (policy not NULL: its history), or with
 * from <= effective date <= to (DMS_INSURED_NO_DATE / DMS_INSURED_OPEN_END
 * for no bound).
 */
int dms_register_store_changes(dms_store *store, const char *policy, long from, long to,
                               dms_register_change_row **out, size_t *n, dms_error *err);

/* The employer's retro window in days (DMS_REGISTER_DEFAULT_RETRO_DAYS unless set). */
int dms_register_store_retro_days(dms_store *store, int *days, dms_error *err);
/* Sets it for the connection's employer (0..3660). */
int dms_register_store_set_retro_days(dms_store *store, int days, dms_error *err);

/*
 * The employer's membership history for exposure (member-months), built
 * from the stored changes: each person is covered from an attach (or a
 * resumption) to the day before a detach or suspension, a person re-attached
 * has several spans; the segment is the programme (before any "+options").
 * Free *out with dms_membership_free. An empty register gives an empty
 * membership.
 */
int dms_register_store_membership(dms_store *store, dms_membership **out, dms_error *err);

/*
 * An accepted election of employee_id: the programme of the employee's
 * register entries (relation employee, not excluded) becomes their base
 * programme followed by "+option" for each option code of options_json (a
 * JSON array), from from_day (or the policy period's start when
 * DMS_INSURED_NO_DATE; never before the person's latest change). A person
 * absent from the register, or already on that programme, is left alone.
 * Written with author as a change of the register, in the caller's
 * transaction if one is open. *changed (may be NULL) counts the persons
 * changed.
 */
int dms_register_store_elect(dms_store *store, const char *employee_id, const char *options_json,
                             long from_day, const char *author, int *changed, dms_error *err);

/*
 * Writes an election as dms_enrol_election_put does (same arguments and
 * errors) and, when entry accepts it (to accepted from any other status),
 * moves the employee's programme in the register with
 * dms_register_store_elect: from the life event's date when one re-opened
 * the election, else from the policy period's start, with entry's actor as
 * author. Call inside dms_enrol_begin / dms_enrol_commit, so that both or
 * neither are kept.
 */
int dms_register_store_election_put(dms_store *store, dms_enrol_election *e,
                                    const dms_election_history *entry, enum dms_role role,
                                    dms_error *err);

/* "YYYY-MM-DD" of a day count into buf[11]; "" for DMS_INSURED_NO_DATE / OPEN_END. */
const char *dms_register_day_text(long day, char buf[11]);

#endif
