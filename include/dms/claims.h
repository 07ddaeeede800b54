/*
 * The claims register (реестр оказанных услуг): the list of medical services
 * an insurer paid for a group, one service line a row, as insurers send it
 * in CSV. The parser maps every line to a benefit module of the model
 * (outpatient, dental, ...) by its service category, converts amounts to
 * kopecks and dates to day numbers, and reports EVERY bad row into a
 * dms_diag at source:line:column (column in UTF-8 characters). Diagnosis
 * columns (диагноз, МКБ-10 / ICD-10) and patient names are recognised and
 * dropped on purpose: they are never read into memory beyond the tokenizer,
 * and each dropped column is announced as a warning. A register is
 * immutable once built and owns its strings; equal strings share a pointer.
 */
#ifndef DMS_CLAIMS_H
#define DMS_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/progress.h"
#include "dms/census.h"
#include "dms/diag.h"
#include "dms/error.h"

/* The largest register the parser accepts (bytes). */
#define DMS_CLAIMS_MAX_BYTES ((size_t)1024 * 1024 * 1024)
#define DMS_CLAIMS_MAX_DROPPED 8

enum dms_claim_status {
    DMS_CLAIM_PAID = 0,     /* paid, оплачено, оплачен */
    DMS_CLAIM_PENDING = 1,  /* pending, к оплате, в обработке: incurred, counts */
    DMS_CLAIM_REJECTED = 2, /* rejected, отказ, отклонено: excluded from experience */
    DMS_CLAIM_REVERSED = 3, /* reversed, сторно, аннулировано: excluded */
};

typedef struct dms_claim_line {
    const char *claim_id;    /* never ""; a claim may have many lines */
    const char *policy_id;   /* the member's own policy number, "" if none */
    const char *employee_id; /* never ""; family members share the employee's */
    const char *clinic;      /* "" if none */
    const char *category;    /* the service category as written */
    const char *module;      /* module code the category maps to ("outpatient") */
    enum dms_relation relation;
    long visit_day;   /* days since 1970-01-01 (the service day if not given) */
    long service_day; /* days since 1970-01-01 */
    long birth_day;   /* member's birth date, LONG_MIN if not given */
    int64_t billed;   /* kopecks, >= 0 */
    int64_t paid;     /* kopecks paid by the insurer, 0 <= paid <= billed */
    int64_t copay;    /* kopecks paid by the member, paid + copay <= billed */
    enum dms_claim_status status;
    unsigned occurrence; /* 0 for the first line of claim_id in the file, 1, 2 ... */
    int line;            /* CSV line the row starts on, 0 if not from CSV */
} dms_claim_line;

typedef struct dms_register_store dms_register_store;

typedef struct dms_register {
    size_t count;
    dms_claim_line *lines; /* in input order */
    size_t ndropped;       /* columns dropped for privacy (diagnoses, names) */
    char dropped[DMS_CLAIMS_MAX_DROPPED][64];
    dms_register_store *store; /* private */
} dms_register;

/*
 * Parses a CSV register: UTF-8 with or without BOM, ';' or ',' (whichever
 * the header has more of), CRLF/LF/CR, RFC 4180 quoting. Columns (English or
 * Russian, any order, case-insensitive):
 *   claim_id (Номер случая / Номер счёта)       required
 *   employee_id (Табельный номер)              required
 *   service_date (Дата оказания услуги)        required
 *   category (Категория услуги / Вид помощи)   required
 *   amount_billed (Стоимость услуги)           required
 *   amount_paid (Оплачено страховщиком)        required
 *   policy_id (Номер полиса), relation (Связь), birth_date (Дата рождения),
 *   visit_date (Дата обращения), clinic (Клиника / ЛПУ),
 *   copay (Соплатёж / Доплата застрахованного), status (Статус)   optional
 * Diagnosis and name columns (diagnosis, icd10, Диагноз, МКБ-10, ФИО, ...)
 * are dropped with a warning into warnings (may be NULL) and listed in
 * reg->dropped; other unknown columns are errors. Amounts accept spaces or
 * no-break spaces as thousands separators and '.' or ',' as decimal mark
 * (",": only with ';' as delimiter or inside quotes), at most 2 decimals.
 * Dates: YYYY-MM-DD or DD.MM.YYYY. Categories map to module codes with
 * dms_claims_category_module. Blank rows are skipped.
 *
 * On success *out is a new register (dms_register_free) and DMS_OK. On bad
 * input every fault goes into diag (may be NULL), *out is NULL and the
 * result is DMS_EPARSE (DMS_ETOOBIG, DMS_ENOMEM, DMS_EINVAL for NULL out).
 */
int dms_claims_parse_csv(const char *text, size_t len, const char *source_name,
                         dms_register **out /* OUT */, dms_diag *diag, dms_diag *warnings);

/* How a register is parsed; a zeroed struct is the default. */
typedef struct dms_claims_parse_options {
    dms_progress *progress; /* steps through the caller's current part by bytes read */
} dms_claims_parse_options;

/* dms_claims_parse_csv with options (may be NULL). */
int dms_claims_parse_csv_with(const char *text, size_t len, const char *source_name,
                              const dms_claims_parse_options *options, dms_register **out /* OUT */,
                              dms_diag *diag, dms_diag *warnings);

/* Reads a register file and parses it. DMS_EIO if it cannot be read. */
int dms_claims_load_file(const char *path, dms_register **out /* OUT */, dms_diag *diag,
                         dms_diag *warnings);

/*
 * Maps a service category as insurers write it ("АПП", "Стоматология",
 * "dental", "Скорая помощь", a module code itself ...) to a module code of
 * the sample model (outpatient, home_visits, emergency, hospital_emergency,
 * hospital_planned, dental, telemedicine, checkup, mental_health).
 * Case-insensitive. NULL if not recognised.
 */
const char *dms_claims_category_module(const char *text, size_t len);

/* An empty register for building by hand (the store loads into one). */
int dms_register_alloc(dms_register **out /* OUT */);

/* Appends a copy of line (its strings are copied and interned). module and
 * category may be equal. DMS_EINVAL for NULL strings or bad amounts. */
int dms_register_append(dms_register *reg, const dms_claim_line *line);

/* Frees a register. NULL is a no-op. */
void dms_register_free(dms_register *reg);

/* The key that identifies a member within a register: the policy number if
 * given, else employee_id/relation/birth date. Written into buf; returns buf. */
const char *dms_claims_person_key(const dms_claim_line *line, char *buf, size_t size);

/* true when the line counts as incurred experience (paid or pending). */
bool dms_claims_counts(const dms_claim_line *line);

/* "paid", "pending", "rejected", "reversed"; "?" out of range. */
const char *dms_claims_status_name(enum dms_claim_status status);

/* Calendar helpers shared by the claims modules: days since 1970-01-01. */
long dms_claims_days(int year, int month, int day);
void dms_claims_civil(long days, int *year, int *month, int *day);

#endif
