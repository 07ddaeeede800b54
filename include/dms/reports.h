/*
 * The reports HR and finance read from the claims experience: insured list
 * by department, utilisation by module and segment (visits per 1,000 a year,
 * share of people who used the package), expenses by month and module,
 * limits (how many people used over 80% of a module's limit: counts, never
 * names), clinic analytics and loss ratio by month. No report carries a
 * diagnosis or a name. Any cell that counts between 1 and min_cell - 1
 * people (default 5) is suppressed together with the figures derived from
 * those people, and complementary cells are suppressed beside it (row
 * totals, segment columns, the clinics' spend), so that no hidden figure is
 * the difference of visible ones (suppress.h); a manager's view is restricted
 * to one department. Every report is a dms_table of text, counts and money
 * that the CSV and JSON encoders print the same way for the CLI and HTTP.
 */
#ifndef DMS_REPORTS_H
#define DMS_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/claims.h"
#include "dms/csvwrite.h"
#include "dms/exposure.h"
#include "dms/suppress.h"

/* The one threshold, from suppress.h. */
#define DMS_REPORTS_MIN_CELL DMS_SUPPRESS_MIN_CELL
#define DMS_REPORTS_TEXT_MAX 96
#define DMS_REPORTS_MAX_COLUMNS 12

enum dms_cell_kind {
    DMS_CELL_EMPTY = 0,
    DMS_CELL_TEXT,
    DMS_CELL_COUNT,      /* whole number */
    DMS_CELL_NUMBER,     /* a rate or share, printed with 4 decimals */
    DMS_CELL_MONEY,      /* roubles, printed with 2 decimals */
    DMS_CELL_SUPPRESSED, /* fewer than min_cell people: printed "<min_cell" */
};

typedef struct dms_cell {
    enum dms_cell_kind kind;
    double value;
    char text[DMS_REPORTS_TEXT_MAX];
} dms_cell;

typedef struct dms_table {
    char name[32]; /* "utilisation" */
    size_t ncols;
    const char *columns[DMS_REPORTS_MAX_COLUMNS];    /* English keys (static) */
    const char *columns_ru[DMS_REPORTS_MAX_COLUMNS]; /* Russian headers (static) */
    size_t nrows;
    dms_cell *cells; /* nrows x ncols, row-major */
    int min_cell;
    size_t suppressed; /* cells suppressed */
} dms_table;

typedef struct dms_reports_limit {
    const char *module; /* module code */
    double limit;       /* annual limit per person, roubles */
} dms_reports_limit;

typedef struct dms_reports_options {
    long from, to;          /* reporting period, inclusive day numbers (required) */
    long as_of;             /* insured list status date; 0: `to` */
    int min_cell;           /* suppression threshold; 0: DMS_REPORTS_MIN_CELL */
    const char *department; /* manager view: only this department; NULL: all */
    double limit_share;     /* limits report threshold; 0: 0.8 */
    const dms_reports_limit *limits;
    size_t nlimits;
    double premium_per_member_month; /* loss ratio: earned premium rate, roubles */
} dms_reports_options;

dms_reports_options dms_reports_options_default(void);

/* Every report: DMS_EINVAL for NULL inputs or a bad option (pointer
 * /from, /min_cell, /limits/<i>, ...); *out is new (dms_table_free). Lines
 * count when paid or pending and serviced within the period. */
int dms_reports_insured(const dms_membership *m, const dms_reports_options *opt,
                        dms_table **out /* OUT */, dms_error *err);
int dms_reports_utilisation(const dms_register *reg, const dms_membership *m,
                            const dms_reports_options *opt, dms_table **out /* OUT */,
                            dms_error *err);
int dms_reports_expense(const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out /* OUT */, dms_error *err);
int dms_reports_limits(const dms_register *reg, const dms_membership *m,
                       const dms_reports_options *opt, dms_table **out /* OUT */, dms_error *err);
int dms_reports_clinics(const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out /* OUT */, dms_error *err);
int dms_reports_loss_ratio(const dms_register *reg, const dms_membership *m,
                           const dms_reports_options *opt, dms_table **out /* OUT */,
                           dms_error *err);

/* Report by name: "insured", "utilisation", "expense", "limits", "clinics",
 * "loss_ratio". DMS_ENOTFOUND for another name. */
int dms_reports_by_name(const char *name, const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out /* OUT */, dms_error *err);

void dms_table_free(dms_table *t);

/* The cell at row r, column c (borrowed), or NULL out of range. */
const dms_cell *dms_table_cell(const dms_table *t, size_t r, size_t c);

/*
 * The suppression rule for tables built by other modules (a dms_table whose
 * cells array the caller allocated, nrows x ncols): dms_table_people sets
 * cell (r, c) to the count n of people and suppresses it when
 * 1 <= n < min_cell (returns whether it did); dms_table_suppress hides a
 * cell derived from such a count.
 */
bool dms_table_people(dms_table *t, size_t r, size_t c, size_t n);
void dms_table_suppress(dms_table *t, size_t r, size_t c);

/* CSV through the one writer (csvwrite.h): a header line, then the rows.
 * DMS_CSV_RU: BOM, ';', decimal comma, Russian headers, and module codes the
 * tariff names (may be NULL) written as their Russian names; DMS_CSV_EN:
 * ',', decimal point, English keys. Money exact to the kopeck; suppressed
 * cells "<min_cell". Returns DMS_OK, DMS_EINVAL or DMS_EIO. */
struct dms_tariff;
int dms_reports_csv(const dms_table *t, dms_csv_lang lang, const struct dms_tariff *names,
                    FILE *out);

/* {"report", "min_cell", "suppressed", "columns": [...], "rows": [{col: value}]};
 * suppressed cells are the string "<min_cell". New reference or NULL. */
json_t *dms_reports_json(const dms_table *t, dms_error *err);

#endif
