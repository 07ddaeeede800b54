/*
 * Effectiveness and ROI of a DMS programme (ключевые метрики), for HR: from
 * the claims register and the membership history, and optionally an HR
 * file of sick-leave days and leavers and an aggregated NPS survey, the
 * share of insured people who used the programme (target: over 60% a
 * year), visits (cases) per 1,000 member-years, the average insurer
 * payment per case, sick days per employee before and after, the NPS
 * (target: over 30), and the return on the programme: savings from fewer
 * sick days plus savings from lower turnover, minus the programme's cost,
 * with every input shown. One department can be compared with the rest (a
 * pilot). Every figure resting on between 1 and min_cell - 1 people is
 * suppressed by the reports' rule (dms_table_people), and when the pilot's
 * cell is suppressed the rest's is too, so that all - pilot cannot give it
 * back. No diagnosis or name is read.
 */
#ifndef DMS_EFFECTIVENESS_H
#define DMS_EFFECTIVENESS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dms/claims.h"
#include "dms/diag.h"
#include "dms/exposure.h"
#include "dms/reports.h"

/* One employee's row of the HR file. */
typedef struct dms_hr_row {
    const char *employee_id;
    double sick_days_before; /* the year before the programme */
    double sick_days_after;  /* the programme year */
    bool left;               /* left the company during the programme year */
    int line;
} dms_hr_row;

typedef struct dms_hr_file {
    size_t count;
    dms_hr_row *rows;
    char *text; /* owned strings */
} dms_hr_file;

/*
 * Parses the HR file: CSV (';' or ','), header names in English or Russian:
 * employee_id (Табельный номер), sick_days_before (Больничные до),
 * sick_days_after (Больничные после), left (Уволился: 1/0, да/нет,
 * yes/no). Every bad row goes into diag at source:line:column; the result
 * is then DMS_EPARSE and *out NULL.
 */
int dms_hr_parse_csv(const char *text, size_t len, const char *source, dms_hr_file **out,
                     dms_diag *diag);
int dms_hr_load_file(const char *path, dms_hr_file **out, dms_diag *diag);
void dms_hr_free(dms_hr_file *hr);

#define DMS_NPS_SCALE 11 /* answers 0..10 */

typedef struct dms_effect_options {
    long from, to;     /* programme year, day numbers inclusive */
    int min_cell;      /* 0: DMS_REPORTS_MIN_CELL */
    const char *pilot; /* a department compared with the rest; NULL: none */
    /* NPS: how many answered 0, 1, ..., 10 (aggregated; no answer is per person). */
    bool has_nps;
    unsigned long nps[DMS_NPS_SCALE];
    /* ROI inputs, roubles; NAN where not given (the ROI is then not computed). */
    double programme_cost;   /* premium for the year */
    double sick_day_cost;    /* cost to the employer of one sick day */
    double replacement_cost; /* cost of replacing one leaver */
    double turnover_before;  /* leavers / employees the year before, 0..1 */
} dms_effect_options;

dms_effect_options dms_effect_options_default(void);

/* The ROI with its inputs (NAN where an input is missing or suppressed). */
typedef struct dms_effect_roi {
    bool computed, suppressed;
    size_t employees;               /* of the HR file, found in the membership */
    double sick_before, sick_after; /* per employee */
    double sick_day_cost, sick_savings;
    double turnover_before, turnover_after, replacement_cost, turnover_savings;
    double programme_cost;
    double net; /* sick_savings + turnover_savings - programme_cost */
    double roi; /* net / programme_cost */
} dms_effect_roi;

typedef struct dms_effect_nps {
    bool given, suppressed;
    unsigned long respondents, promoters, passives, detractors;
    double nps; /* % promoters - % detractors */
} dms_effect_nps;

/*
 * The metrics table (rows: all, then the pilot and the rest when asked):
 * group, members, member_years, users, usage_share, cases,
 * visits_per_1000, cost_per_case, hr_employees, sick_days_before,
 * sick_days_after, leavers. hr may be NULL. *table is new (dms_table_free).
 */
int dms_effect_compute(const dms_register *reg, const dms_membership *m, const dms_hr_file *hr,
                       const dms_effect_options *opt, dms_table **table, dms_effect_nps *nps,
                       dms_effect_roi *roi, dms_error *err);

/* {"metrics": <dms_reports_json>, "targets", "nps", "roi"}: new reference or NULL. */
json_t *dms_report_effect(const dms_table *table, const dms_effect_nps *nps,
                          const dms_effect_roi *roi, dms_error *err);

#endif
