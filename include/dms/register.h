/*
 * The register of insured people (список застрахованных) of one employer:
 * who is covered, under which programme, from when to when, with what status
 * (включён / приостановлен / исключён), and the changes that move it:
 * прикрепить / открепить / приостановить / изменить программу (attach /
 * detach / suspend / change programme), each with its effective date.
 *
 * This module is the pure core of the register; it owns no storage. The
 * store loads a snapshot (dms_insured_register) from its tables, the HTTP
 * layer or the CLI builds a batch of changes (one typed in, or a whole
 * insurer's template read from CSV or XLSX), dms_insured_check validates the
 * whole batch against the snapshot and the policy's rules, and, when there
 * is no fault at all, its outcome lists the accepted changes and the new
 * state of every person they touch, for the store to write in one
 * transaction. When there is any fault, every faulty row is reported (line
 * and column, a stable code, Russian and English messages) and nothing is
 * accepted.
 *
 * Dates are days since 1970-01-01 (as dms_claims_days). An action takes
 * effect FROM its date: a person attached on D is covered from D; detached on
 * D is covered up to D − 1 (date_to = D − 1) and excluded from D.
 *
 * Names: the claims register already owns dms_register (claims.h), so this
 * module's public names are dms_insured_*.
 *
 * Not thread-safe per object; snapshots, batches and outcomes are separate
 * objects that may live in separate threads.
 */
#ifndef DMS_REGISTER_H
#define DMS_REGISTER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dms/progress.h"
#include "dms/census.h"
#include "dms/error.h"

/* Open end of cover (date_to) and unknown dates. */
#define DMS_INSURED_OPEN_END LONG_MAX
#define DMS_INSURED_NO_DATE LONG_MIN

/* Largest template accepted (bytes of CSV or XLSX) and most rows in a batch. */
#define DMS_INSURED_MAX_BYTES ((size_t)256 * 1024 * 1024)
#define DMS_INSURED_MAX_ROWS ((size_t)1000 * 1000)
/* Issues kept in an outcome; the rest are only counted. */
#define DMS_INSURED_MAX_ISSUES 1000

enum dms_insured_status {
    DMS_INSURED_INCLUDED = 0,  /* включён: covered */
    DMS_INSURED_SUSPENDED = 1, /* приостановлен: cover paused, person still listed */
    DMS_INSURED_EXCLUDED = 2,  /* исключён: cover ended (date_to) */
};

enum dms_insured_action {
    DMS_INSURED_ATTACH = 0,           /* прикрепить: new person, re-attach, or resume */
    DMS_INSURED_DETACH = 1,           /* открепить */
    DMS_INSURED_SUSPEND = 2,          /* приостановить */
    DMS_INSURED_CHANGE_PROGRAMME = 3, /* изменить программу */
};

/* One insured person as the register holds them. Strings are never NULL. */
typedef struct dms_insured_person {
    const char *policy;      /* номер полиса: the person's key, never "" */
    const char *employee_id; /* табельный номер; relatives share the employee's */
    enum dms_relation relation;
    const char *full_name;  /* ФИО */
    long birth_day;         /* DMS_INSURED_NO_DATE if unknown */
    const char *department; /* подразделение, "" if none */
    const char *programme;  /* segment or plan id the person is covered under */
    enum dms_insured_status status;
    long date_from;  /* first covered day of the current cover (дата подключения) */
    long date_to;    /* last covered day, DMS_INSURED_OPEN_END while included/suspended */
    long status_day; /* effective date of the latest change (no change may precede it) */
} dms_insured_person;

/* The columns of the template; also where an issue points. */
enum dms_insured_field {
    DMS_INSURED_F_ACTION = 0,     /* Действие / action */
    DMS_INSURED_F_DATE = 1,       /* Дата действия / effective_date */
    DMS_INSURED_F_POLICY = 2,     /* Номер полиса / policy_number */
    DMS_INSURED_F_EMPLOYEE = 3,   /* Табельный номер / employee_id */
    DMS_INSURED_F_RELATION = 4,   /* Связь / relation */
    DMS_INSURED_F_NAME = 5,       /* ФИО / full_name */
    DMS_INSURED_F_BIRTH = 6,      /* Дата рождения / birth_date */
    DMS_INSURED_F_DEPARTMENT = 7, /* Подразделение / department */
    DMS_INSURED_F_PROGRAMME = 8,  /* Программа / programme */
    DMS_INSURED_F_COUNT = 9,
};

/*
 * One change. In a batch the strings are owned by the batch; in an outcome,
 * by the outcome. For DETACH and SUSPEND only action, effective_day and
 * policy are needed; ATTACH of a new person needs employee_id, full_name and
 * programme too (relation defaults to employee); CHANGE_PROGRAMME needs the
 * new programme. Fields a change does not need may be "" (never NULL).
 */
typedef struct dms_insured_change {
    enum dms_insured_action action;
    long effective_day;
    const char *policy;
    const char *employee_id;
    enum dms_relation relation;
    bool relation_given; /* false: keep the person's (or employee for a new one) */
    const char *full_name;
    long birth_day; /* DMS_INSURED_NO_DATE if not given */
    const char *department;
    const char *programme;
    /* Where the change came from, for issues: template line (CSV) or row
       (XLSX), and the column of each field (0 when absent). 0 / 0 for a
       change typed in one at a time. */
    int line;
    int column[DMS_INSURED_F_COUNT];
    /* Filled by dms_insured_check in an outcome (ignored in a batch): the
       person's state before this change; had_before false for a new person. */
    bool had_before;
    enum dms_insured_status status_before;
    const char *programme_before;
    /* Free for the store's history (ignored by the core, copied along):
       when the change was entered (Unix seconds) and by whom (a key id). */
    long long entered_at;
    const char *author;
} dms_insured_change;

/* Stable codes of the faults a batch can have (names by dms_insured_issue_name). */
enum dms_insured_issue_code {
    DMS_INSURED_E_UNKNOWN_ACTION = 0,     /* "unknown_action" */
    DMS_INSURED_E_BAD_DATE = 1,           /* "bad_date": not a date */
    DMS_INSURED_E_OUTSIDE_POLICY = 2,     /* "date_outside_policy" */
    DMS_INSURED_E_RETRO_WINDOW = 3,       /* "retro_beyond_window" */
    DMS_INSURED_E_UNKNOWN_POLICY = 4,     /* "unknown_policy" */
    DMS_INSURED_E_ALREADY_EXCLUDED = 5,   /* "already_excluded": excluded twice */
    DMS_INSURED_E_ALREADY_INCLUDED = 6,   /* "already_included": attached twice */
    DMS_INSURED_E_ALREADY_SUSPENDED = 7,  /* "already_suspended" */
    DMS_INSURED_E_PERSON_EXCLUDED = 8,    /* "person_excluded": suspend/change an excluded person */
    DMS_INSURED_E_UNKNOWN_PROGRAMME = 9,  /* "unknown_programme" */
    DMS_INSURED_E_SAME_PROGRAMME = 10,    /* "same_programme" */
    DMS_INSURED_E_MISSING_VALUE = 11,     /* "missing_value": a required cell is empty */
    DMS_INSURED_E_BAD_VALUE = 12,         /* "bad_value": relation, birth date, too long */
    DMS_INSURED_E_BEFORE_LAST = 13,       /* "before_last_change" */
    DMS_INSURED_E_BAD_HEADER = 14,        /* "bad_header": unknown or repeated column */
    DMS_INSURED_E_MISSING_COLUMN = 15,    /* "missing_column" */
    DMS_INSURED_E_BAD_FILE = 16,          /* "bad_file": malformed CSV/XLSX, too big */
    DMS_INSURED_E_EMPLOYEE_MISMATCH = 17, /* "employee_mismatch": policy held by another employee */
    DMS_INSURED_E_COUNT = 18,
};

/* One fault, at line:column (0:0 for a change typed in). */
typedef struct dms_insured_issue {
    enum dms_insured_issue_code code;
    int line;
    int column;
    enum dms_insured_field field; /* the field at fault */
    char message_ru[256];
    char message_en[256];
} dms_insured_issue;

/* "unknown_action", ...; "?" out of range. */
const char *dms_insured_issue_name(enum dms_insured_issue_code code);

/* ---- vocabularies ------------------------------------------------------- */

/* "included" / "включён" ...; "?" out of range. */
const char *dms_insured_status_name(enum dms_insured_status status);
const char *dms_insured_status_name_ru(enum dms_insured_status status);
/* "attach" / "прикрепить" ...; "?" out of range. */
const char *dms_insured_action_name(enum dms_insured_action action);
const char *dms_insured_action_name_ru(enum dms_insured_action action);
/* Header names of the template: "action" / "Действие" ... */
const char *dms_insured_field_name(enum dms_insured_field field);
const char *dms_insured_field_name_ru(enum dms_insured_field field);

/*
 * Recognise what people type, Russian or English, case-insensitive, blanks
 * around ignored: прикрепить / прикрепление / attach / add; открепить /
 * открепление / detach / remove; приостановить / приостановление / suspend;
 * изменить программу / изменение программы / change programme / change_programme.
 * Statuses: включён / включен / included; приостановлен / suspended;
 * исключён / исключен / excluded. false when not recognised.
 */
bool dms_insured_action_from_text(const char *text, size_t len, enum dms_insured_action *out);
bool dms_insured_status_from_text(const char *text, size_t len, enum dms_insured_status *out);

/* ---- the snapshot -------------------------------------------------------- */

typedef struct dms_insured_register dms_insured_register;

/* An empty register. Returns DMS_OK, DMS_EINVAL (out NULL) or DMS_ENOMEM. */
int dms_insured_register_alloc(dms_insured_register **out /* OUT */);

/* Frees a register and its strings. NULL is a no-op. */
void dms_insured_register_free(dms_insured_register *reg);

/*
 * Adds a person (strings copied in) or, when the policy is already present,
 * replaces that person's entry (used by the store to load its table, and by
 * dms_insured_register_apply). Errors: DMS_EINVAL (NULL or empty policy),
 * DMS_ENOMEM.
 */
int dms_insured_register_put(dms_insured_register *reg, const dms_insured_person *person,
                             dms_error *err);

/* Number of persons, the i-th (in order of first put; borrowed), or NULL. */
size_t dms_insured_register_count(const dms_insured_register *reg);
const dms_insured_person *dms_insured_register_get(const dms_insured_register *reg, size_t i);

/* The person holding policy, or NULL. Borrowed until the next put. */
const dms_insured_person *dms_insured_register_find(const dms_insured_register *reg,
                                                    const char *policy);

/* ---- batches of changes -------------------------------------------------- */

/* A batch: the changes to check, and the issues found while reading them. */
typedef struct dms_insured_batch dms_insured_batch;

/* An empty batch, for changes typed in one by one. DMS_OK / DMS_ENOMEM. */
int dms_insured_batch_alloc(dms_insured_batch **out /* OUT */);

/* Frees a batch. NULL is a no-op. */
void dms_insured_batch_free(dms_insured_batch *batch);

/* Appends a copy of change (strings copied; NULL strings read as ""). */
int dms_insured_batch_add(dms_insured_batch *batch, const dms_insured_change *change,
                          dms_error *err);

/* Changes read, and the i-th (borrowed). */
size_t dms_insured_batch_count(const dms_insured_batch *batch);
const dms_insured_change *dms_insured_batch_get(const dms_insured_batch *batch, size_t i);

/* Issues found while reading the template (rows with issues are not in the
   batch's changes), counted and the i-th kept one. */
size_t dms_insured_batch_issue_count(const dms_insured_batch *batch);
const dms_insured_issue *dms_insured_batch_issue(const dms_insured_batch *batch, size_t i);

enum dms_insured_format {
    DMS_INSURED_AUTO = 0, /* XLSX if data starts with a zip signature, else CSV */
    DMS_INSURED_CSV = 1,
    DMS_INSURED_XLSX = 2,
};

/*
 * Reads the insurer's template into a new batch. CSV: UTF-8 with or without
 * BOM, ';' or ',', CRLF/LF, RFC 4180 quoting; XLSX: the first sheet, row 1 the
 * header. Columns by header, any order, Russian or English, case-insensitive
 * (see dms_insured_field_name / _name_ru and README "Register template");
 * Статус / status, Дата начала / date_from and Дата окончания / date_to
 * (written by the list download) are accepted and ignored. Dates DD.MM.YYYY
 * or YYYY-MM-DD (or date cells in XLSX). Blank rows are skipped.
 * Every faulty row becomes an issue at its line:column (XLSX: row:column, the
 * message naming the cell "B12"); a header or file fault is one issue.
 * Returns DMS_OK even when there are issues (look at
 * dms_insured_batch_issue_count); an error status only for DMS_ENOMEM,
 * DMS_EINVAL (NULL arguments) or DMS_ETOOBIG (over DMS_INSURED_MAX_BYTES).
 * source names the input in issues ("changes.csv").
 */
int dms_insured_template_read(const char *data, size_t len, enum dms_insured_format format,
                              const char *source, dms_insured_batch **out /* OUT */,
                              dms_error *err);

/* How a template is read; a zeroed struct is the default. */
typedef struct dms_insured_read_options {
    dms_progress *progress; /* steps through the caller's current part by rows; NULL: none */
} dms_insured_read_options;

/* dms_insured_template_read with options (may be NULL). */
int dms_insured_template_read_with(const char *data, size_t len, enum dms_insured_format format,
                                   const char *source, const dms_insured_read_options *options,
                                   dms_insured_batch **out /* OUT */, dms_error *err);

/* ---- checking and applying ----------------------------------------------- */

typedef struct dms_insured_rules {
    long policy_from;              /* first day of the policy period */
    long policy_to;                /* last day of the policy period */
    long today;                    /* the day the change is entered */
    int retro_days;                /* a change may take effect at most this many days
                                      before today (30: today − 30 is allowed, today − 31
                                      is not); negative: no limit */
    const char *const *programmes; /* the known programmes (segment or plan ids) */
    size_t nprogrammes;            /* 0 with programmes NULL: any programme accepted */
} dms_insured_rules;

/*
 * The result of checking a batch. When ok, changes are the accepted changes
 * in batch order (with their state before), and persons the new state of
 * every person they touch, in order of first touch. When not ok, changes and
 * persons are empty and issues list every fault (reading and checking),
 * ordered by line then column, at most DMS_INSURED_MAX_ISSUES kept
 * (nissues_total counts all).
 */
typedef struct dms_insured_outcome {
    bool ok;
    size_t nchanges;
    const dms_insured_change *changes;
    size_t npersons;
    const dms_insured_person *persons;
    size_t nissues;
    const dms_insured_issue *issues;
    size_t nissues_total;
    struct dms_insured_outcome_store *store; /* private */
} dms_insured_outcome;

/*
 * Validates the whole batch against reg and rules without modifying either:
 * changes apply in batch order, each against the state left by the ones
 * before it (so attach then detach of one person in one file is fine, and a
 * second detach of that person is "already_excluded"). An empty batch is ok
 * with nothing to do. *out is a new outcome (free with
 * dms_insured_outcome_free) whether ok or not; the status is DMS_OK in both
 * cases, an error only for DMS_EINVAL (bad rules: policy_to < policy_from,
 * NULL arguments) or DMS_ENOMEM.
 */
int dms_insured_check(const dms_insured_register *reg, const dms_insured_rules *rules,
                      const dms_insured_batch *batch, dms_insured_outcome **out /* OUT */,
                      dms_error *err);

/* Frees an outcome. NULL is a no-op. */
void dms_insured_outcome_free(dms_insured_outcome *outcome);

/*
 * Puts an ok outcome's persons into reg (the in-memory twin of the store's
 * transaction). DMS_EINVAL for an outcome that is not ok; DMS_ENOMEM.
 */
int dms_insured_register_apply(dms_insured_register *reg, const dms_insured_outcome *outcome,
                               dms_error *err);

/*
 * One issue as a line "changes.csv:12:3: unknown_action: RU / EN" into buf
 * (size bytes); returns buf.
 */
const char *dms_insured_issue_format(const dms_insured_issue *issue, const char *source, char *buf,
                                     size_t size);

/* ---- listing ------------------------------------------------------------- */

/* Filters of the list; NULL or "" (or negative status) matches everything. */
typedef struct dms_insured_filter {
    const char *department;
    const char *programme;
    int status; /* enum dms_insured_status, or -1 */
    const char *employee_id;
} dms_insured_filter;

/*
 * One page of the register ordered by ФИО, then policy: the persons matching
 * filter (NULL: all), skipping offset, at most limit of them into page (an
 * array of limit pointers the caller provides; borrowed until the next put).
 * *npage gets the number written, *total the number matching. The order is
 * kept in an index built on the first listing after a change (O(n log n)
 * once), so later pages cost O(offset + limit) with no filter.
 */
int dms_insured_list(dms_insured_register *reg, const dms_insured_filter *filter, size_t offset,
                     size_t limit, const dms_insured_person **page /* OUT */,
                     size_t *npage /* OUT */, size_t *total /* OUT */);

/* ---- downloads ------------------------------------------------------------ */

/*
 * The current list in the template's columns (action прикрепить, effective
 * date = date_from) plus Статус, Дата начала, Дата окончания; ordered as
 * dms_insured_list; persons matching filter (NULL: all). Reading it back
 * with dms_insured_template_read gives an attach batch of the same people.
 *   _csv: Russian Excel CSV into out: UTF-8 BOM, ';', CRLF, DD.MM.YYYY dates,
 *         cells beginning with = + - @ (or tab, CR) neutralised with a leading
 *         apostrophe.
 *   _xlsx: a workbook (sheet «Список»), dates as date cells, to path or (path
 *         NULL) into *data / *len (malloc'd).
 * Errors: DMS_EIO, DMS_ENOMEM, DMS_EINVAL.
 */
int dms_insured_list_csv(dms_insured_register *reg, const dms_insured_filter *filter, FILE *out,
                         dms_error *err);
int dms_insured_list_xlsx(dms_insured_register *reg, const dms_insured_filter *filter,
                          const char *path, char **data /* OUT */, size_t *len /* OUT */,
                          dms_error *err);

/*
 * The changes with from <= effective_day <= to (either bound may be
 * DMS_INSURED_NO_DATE / DMS_INSURED_OPEN_END for none), in the given order,
 * in the template (the attach/detach list insurers exchange). Same formats
 * and errors as the list; the xlsx sheet is «Изменения».
 */
int dms_insured_changes_csv(const dms_insured_change *changes, size_t n, long from, long to,
                            FILE *out, dms_error *err);
int dms_insured_changes_xlsx(const dms_insured_change *changes, size_t n, long from, long to,
                             const char *path, char **data /* OUT */, size_t *len /* OUT */,
                             dms_error *err);

/*
 * The insured-list report (ФИО, Подразделение, Статус, Дата подключения) of
 * the persons matching filter, ordered as dms_insured_list, as Russian Excel
 * CSV or XLSX (sheet «Застрахованные»); same output rules and errors.
 */
int dms_insured_report_csv(dms_insured_register *reg, const dms_insured_filter *filter, FILE *out,
                           dms_error *err);
int dms_insured_report_xlsx(dms_insured_register *reg, const dms_insured_filter *filter,
                            const char *path, char **data /* OUT */, size_t *len /* OUT */,
                            dms_error *err);

/* ---- exposure ------------------------------------------------------------- */

struct dms_membership; /* exposure.h */

/*
 * The membership history (exposure.h) the register implies, for claims
 * reports and experience rating on stored data: one period per stretch of
 * cover of each person of reg, walked from history (the accepted changes,
 * any order; changes of policies not in reg are ignored): прикрепить opens a
 * period, открепить and приостановить close it the day before their date,
 * изменить программу closes it and opens the next under the new programme
 * (the member's segment). A person without history gets one period from
 * the snapshot (date_from to date_to, or to the day before a suspension).
 * Persons without a birth date cannot be aged, so they are left out and
 * counted in *skipped (may be NULL) for the caller to warn about.
 * *out is new (dms_membership_free). Errors: DMS_EINVAL, DMS_ENOMEM.
 */
int dms_insured_membership(const dms_insured_register *reg, const dms_insured_change *history,
                           size_t nhistory, struct dms_membership **out /* OUT */,
                           size_t *skipped /* OUT */, dms_error *err);

/* ---- JSON (the HTTP layer's and the CLI's one encoding) -------------------- */

struct json_t; /* jansson */

/*
 * New JSON objects (the caller json_decrefs), NULL when memory ran out or a
 * string is not valid UTF-8 (never the case for what the template reader
 * accepted). Dates are "YYYY-MM-DD" or null when unknown / open.
 *   person:  {"policy_number", "employee_id", "relation", "full_name",
 *             "birth_date", "department", "programme", "status",
 *             "status_ru", "date_from", "date_to", "status_day"}
 *   change:  {"action", "action_ru", "effective_date", "policy_number",
 *             "employee_id", "relation" (null when not given), "full_name",
 *             "birth_date", "department", "programme", "line"; with
 *             "before": {"status", "programme"} when had_before; "entered_at"
 *             and "author" when set}
 *   issue:   {"code", "line", "column", "field", "message_ru", "message_en"}
 *   outcome: {"ok": true, "changes": [change...], "persons": [person...]} or
 *            {"ok": false, "issues": [issue...], "issues_total": N}
 */
struct json_t *dms_insured_person_json(const dms_insured_person *person);
struct json_t *dms_insured_change_json(const dms_insured_change *change);
struct json_t *dms_insured_issue_json(const dms_insured_issue *issue);
struct json_t *dms_insured_outcome_json(const dms_insured_outcome *outcome);

#endif
