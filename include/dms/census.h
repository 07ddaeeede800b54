/*
 * The census: the list of insured people of a group as HR exports it, one
 * person a row (employees, their spouses and children), read from CSV or JSON
 * into an immutable array that a quote can iterate quickly. Loaders validate
 * every field and report EVERY bad row into a dms_diag with its exact place
 * (source:line:column for CSV, where column counts UTF-8 characters from 1;
 * a JSON Pointer such as /people/12/birth_date for JSON); on any fault they
 * return DMS_EPARSE and no census, so nothing is ever silently dropped.
 * Header names and enumerated values are accepted in English or Russian,
 * case-insensitively (ё and е are the same letter). Region, department and
 * segment are kept as written (trimmed); mapping regions to tariff classes
 * happens elsewhere. Within one census, equal strings share one pointer, so
 * grouping code may compare them with ==.
 */
#ifndef DMS_CENSUS_H
#define DMS_CENSUS_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/diag.h"
#include "dms/error.h"

enum dms_relation {
    DMS_RELATION_EMPLOYEE = 0, /* employee, сотрудник, работник */
    DMS_RELATION_SPOUSE = 1,   /* spouse, супруг, супруга, супруг(а) */
    DMS_RELATION_CHILD = 2,    /* child, ребёнок, ребенок, сын, дочь */
};

enum dms_sex {
    DMS_SEX_MALE = 0,   /* M, male, М, муж, мужской */
    DMS_SEX_FEMALE = 1, /* F, female, Ж, жен, женский */
};

enum dms_work_mode {
    DMS_WORK_UNKNOWN = 0, /* column absent or value empty */
    DMS_WORK_OFFICE = 1,  /* office, офис */
    DMS_WORK_REMOTE = 2,  /* remote, удалённо, удаленно, удалёнка */
    DMS_WORK_FIELD = 3,   /* field, разъездной */
    DMS_WORK_HYBRID = 4,  /* hybrid, гибрид */
};

typedef struct dms_person {
    const char *employee_id; /* never NULL or ""; family members share the employee's */
    const char *region;      /* as written, trimmed, never "" */
    const char *department;  /* "" if none */
    const char *segment;     /* "" if none */
    int line;                /* CSV: line the row starts on; JSON: 0 */
    int birth_year;          /* 1900..9999, a real calendar date with month/day */
    int birth_month;         /* 1..12 */
    int birth_day;           /* 1..31 */
    enum dms_relation relation;
    enum dms_sex sex;
    enum dms_work_mode work_mode;
} dms_person;

/* Private string storage of a census. */
typedef struct dms_census_store dms_census_store;

/*
 * A parsed census: read the public fields directly; never modify them. The
 * people appear in input order.
 */
typedef struct dms_census {
    size_t count; /* number of people */
    dms_person *people;
    size_t employees; /* rows by relation; employees + spouses + children == count */
    size_t spouses;
    size_t children;
    dms_census_store *store; /* private */
} dms_census;

/* The largest input the loaders accept (bytes). */
#define DMS_CENSUS_MAX_BYTES ((size_t)512 * 1024 * 1024)

/*
 * Parses a CSV census: UTF-8 with or without BOM, ';' or ',' delimiter
 * (whichever the header line has more of), CRLF/LF/CR line ends, RFC 4180
 * quoting. Header names in English (employee_id, relation, birth_date, sex,
 * region, department, segment, work_mode) or Russian (Табельный номер, Связь /
 * Степень родства, Дата рождения, Пол, Регион / Город, Подразделение / Отдел,
 * Сегмент, Режим работы / Формат работы), any order, case-insensitive; the
 * first five are required, unknown or repeated columns are errors. Rows whose
 * fields are all empty are skipped anywhere (Excel pads files with ";;;;").
 * source_name (may be NULL) goes into every error's source.
 *
 * On success *out is a new census (free with dms_census_free) and DMS_OK is
 * returned. On bad input every fault is added to diag (may be NULL), *out is
 * NULL and the result is DMS_EPARSE (DMS_ETOOBIG over DMS_CENSUS_MAX_BYTES,
 * DMS_ENOMEM, DMS_EINVAL for NULL out or text). Field errors come in file
 * order, followed by cross-row errors (family member without an employee row,
 * repeated employee).
 */
int dms_census_parse_csv(const char *text, size_t len, const char *source_name,
                         dms_census **out /* OUT */, dms_diag *diag);

/*
 * Parses a JSON census: an array of objects, or an object {"people": [...]},
 * each object with the keys employee_id (string or integer), relation,
 * birth_date, sex, region (required, strings) and department, segment,
 * work_mode (optional, strings or null); the values follow the CSV rules.
 * Unknown keys are errors. Errors carry JSON Pointers (/people/12/birth_date,
 * or /12/birth_date for a top-level array); malformed JSON is reported with
 * line:column. Same results and ownership as dms_census_parse_csv.
 */
int dms_census_parse_json(const char *text, size_t len, dms_census **out /* OUT */, dms_diag *diag);

/*
 * Reads a census file: .csv or .json by extension (case-insensitive), else by
 * content (JSON if the first non-blank character is '[' or '{'). Errors as
 * the parsers, plus DMS_EIO when the file cannot be read.
 */
int dms_census_load_file(const char *path, dms_census **out /* OUT */, dms_diag *diag);

/* Frees a census and its strings. NULL is a no-op. */
void dms_census_free(dms_census *census);

/*
 * Full years of p at the date year-month-day (the date is not validated
 * beyond being passed through arithmetic). Someone born on 29 February turns a
 * year older on 28 February in common years (art. 192 of the Civil Code: a
 * period ending on a day the month lacks ends on the month's last day).
 * Negative when the date is before the birth date.
 */
int dms_census_age(const dms_person *p, int year, int month, int day);

/* true if year-month-day is a real Gregorian date (year 1..9999). */
bool dms_census_valid_date(int year, int month, int day);

/* Canonical English names: "employee", "spouse", "child"; "M", "F";
 * "unknown", "office", "remote", "field", "hybrid". "?" for values out of range. */
const char *dms_census_relation_name(enum dms_relation relation);
const char *dms_census_sex_name(enum dms_sex sex);
const char *dms_census_work_mode_name(enum dms_work_mode mode);

/*
 * The vocabularies of the loaders, for other inputs (API requests) that name
 * the same things: English or Russian spellings, case-insensitive, surrounding
 * blanks ignored. text need not be NUL-terminated. False if not recognised.
 * dms_census_work_mode_from_text maps an empty text to DMS_WORK_UNKNOWN.
 */
bool dms_census_relation_from_text(const char *text, size_t len, enum dms_relation *out);
bool dms_census_sex_from_text(const char *text, size_t len, enum dms_sex *out);
bool dms_census_work_mode_from_text(const char *text, size_t len, enum dms_work_mode *out);

/*
 * Parses a birth date, YYYY-MM-DD or DD.MM.YYYY (day and month may have one
 * digit in the dotted form), surrounding blanks ignored. Returns DMS_OK, or
 * DMS_EPARSE with a message in msg (size msg_size, may be 0) saying what is
 * wrong: not a date, not a real date, before 1900.
 */
int dms_census_parse_date(const char *text, size_t len, int *year, int *month, int *day, char *msg,
                          size_t msg_size);

#endif
