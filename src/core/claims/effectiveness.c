/*
 * Effectiveness and ROI of a programme (see include/dms/effectiveness.h):
 * the HR file parser, the metrics per group (all, pilot department, the
 * rest) with the reports' suppression rule and the complementary hiding of
 * pilot against rest, the NPS from aggregated answers, and the ROI with
 * its inputs.
 */
#include "dms/file.h"
#include "dms/effectiveness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/csv_internal.h"
#include "dms/parse.h"
#include "dms/text.h"

/* ------------------------------------------------------------- HR file */

enum { HR_ID, HR_BEFORE, HR_AFTER, HR_LEFT, HR_NCOLS };

static const char *const hr_names[HR_NCOLS][3] = {
    {"employee_id", "табельный номер", "таб. номер"},
    {"sick_days_before", "больничные до", "дни болезни до"},
    {"sick_days_after", "больничные после", "дни болезни после"},
    {"left", "уволился", "увольнение"},
};

static int hr_column(const char *text, size_t len)
{
    char folded[128];
    if (!dms_text_fold(text, len, folded, sizeof folded))
        return -1;
    for (int c = 0; c < HR_NCOLS; c++)
        for (int k = 0; k < 3; k++)
            if (dms_text_equal_folded(folded, hr_names[c][k]))
                return c;
    return -1;
}

static bool hr_number(const char *text, size_t len, double *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    return dms_parse_double(buf, out) && *out >= 0 && *out <= 366;
}

static bool hr_flag(const char *text, size_t len, bool *out)
{
    static const char *const yes[] = {"1", "yes", "да", "y", "true"};
    static const char *const no[] = {"0", "no", "нет", "n", "false", ""};
    char folded[32];
    if (!dms_text_fold(text, len, folded, sizeof folded))
        return false;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (dms_text_equal_folded(folded, yes[i]))
            return (*out = true);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (dms_text_equal_folded(folded, no[i])) {
            *out = false;
            return true;
        }
    return false;
}

void dms_hr_free(dms_hr_file *hr)
{
    if (hr == NULL)
        return;
    free(hr->rows);
    free(hr->text);
    free(hr);
}

int dms_hr_parse_csv(const char *text, size_t len, const char *source, dms_hr_file **out,
                     dms_diag *diag)
{
    *out = NULL;
    if (source == NULL)
        source = "hr";
    dms_hr_file *hr = calloc(1, sizeof *hr);
    size_t cap = 0, used = 0;
    int status = DMS_OK;
    if (hr == NULL || (hr->text = malloc(len + 1)) == NULL) {
        dms_hr_free(hr);
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for the HR file");
    }
    csv_reader r;
    dms_csv_init(&r, text, len, source, diag);
    int col[HR_NCOLS] = {-1, -1, -1, -1};
    if (!dms_csv_header(&r)) {
        status = r.nomem ? DMS_ENOMEM : DMS_EPARSE;
        if (!r.nomem)
            dms_diag_add_at(diag, DMS_EPARSE, source, 1, 1, "the HR file has no header line");
        goto out;
    }
    for (size_t i = 0; i < r.nfields; i++) {
        size_t n;
        const char *t = dms_csv_text(&r, i, &n);
        int c = hr_column(t, n);
        if (c < 0 || col[c] >= 0) {
            dms_diag_add_at(diag, DMS_EPARSE, source, r.fields[i].line, r.fields[i].column,
                            c < 0 ? "unknown column '%.*s': use employee_id, sick_days_before, "
                                    "sick_days_after, left"
                                  : "column '%.*s' is given twice",
                            (int)(n > 64 ? 64 : n), t);
            status = DMS_EPARSE;
            continue;
        }
        col[c] = (int)i;
    }
    if (status == DMS_OK && col[HR_ID] < 0) {
        dms_diag_add_at(diag, DMS_EPARSE, source, 1, 1, "the HR file needs employee_id");
        status = DMS_EPARSE;
    }
    while (status != DMS_ENOMEM && dms_csv_record(&r)) {
        if (r.bad) {
            status = DMS_EPARSE;
            continue;
        }
        if (dms_csv_blank(&r))
            continue;
        if (col[HR_ID] < 0)
            continue;
        if (hr->count == cap) {
            cap = cap ? 2 * cap : 64;
            dms_hr_row *rows = realloc(hr->rows, cap * sizeof *rows);
            if (rows == NULL) {
                status = DMS_ENOMEM;
                break;
            }
            hr->rows = rows;
        }
        dms_hr_row *row = &hr->rows[hr->count];
        memset(row, 0, sizeof *row);
        row->line = r.fields[0].line;
        bool ok = true;
        for (int c = 0; c < HR_NCOLS; c++) {
            if (col[c] < 0)
                continue;
            size_t n = 0;
            const char *t = (size_t)col[c] < r.nfields ? dms_csv_text(&r, (size_t)col[c], &n) : "";
            int line = (size_t)col[c] < r.nfields ? r.fields[col[c]].line : r.line;
            int column = (size_t)col[c] < r.nfields ? r.fields[col[c]].column : r.end_column;
            /* An id is text: a NUL byte inside would cut it short (found by fuzz_hr). */
            bool nul_in_id = c == HR_ID && n > 0 && memchr(t, '\0', n) != NULL;
            bool good = c == HR_ID       ? n > 0 && !nul_in_id && used + n + 1 <= len + 1
                        : c == HR_LEFT   ? hr_flag(t, n, &row->left)
                        : c == HR_BEFORE ? hr_number(t, n, &row->sick_days_before)
                                         : hr_number(t, n, &row->sick_days_after);
            if (!good) {
                dms_diag_add_at(diag, DMS_EPARSE, source, line, column,
                                c == HR_ID && nul_in_id ? "employee_id contains a NUL byte"
                                : c == HR_ID            ? "employee_id is empty"
                                : c == HR_LEFT          ? "left must be 1/0, yes/no or да/нет"
                                               : "sick days must be a number from 0 to 366");
                ok = false;
                continue;
            }
            if (c == HR_ID) {
                memcpy(hr->text + used, t, n);
                hr->text[used + n] = '\0';
                row->employee_id = (const char *)(uintptr_t)used; /* fixed up below */
                used += n + 1;
            }
        }
        if (ok)
            hr->count++;
        else
            status = DMS_EPARSE;
    }
    if (r.nomem)
        status = DMS_ENOMEM;
out:
    dms_csv_release(&r);
    if (status == DMS_OK && r.errors > 0)
        status = DMS_EPARSE;
    if (status != DMS_OK) {
        if (status == DMS_ENOMEM)
            dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for the HR file");
        dms_hr_free(hr);
        return status;
    }
    for (size_t i = 0; i < hr->count; i++)
        hr->rows[i].employee_id = hr->text + (size_t)(uintptr_t)hr->rows[i].employee_id;
    *out = hr;
    return DMS_OK;
}

int dms_hr_load_file(const char *path, dms_hr_file **out, dms_diag *diag)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int status = dms_file_read_diag(path, 0, "the HR file", &buf, &len, diag);
    if (status == DMS_OK)
        status = dms_hr_parse_csv(buf, len, path, out, diag);
    free(buf);
    return status;
}

/* ------------------------------------------------------------- metrics */

dms_effect_options dms_effect_options_default(void)
{
    dms_effect_options o;
    memset(&o, 0, sizeof o);
    o.programme_cost = o.sick_day_cost = o.replacement_cost = o.turnover_before = NAN;
    return o;
}

enum {
    C_GROUP,
    C_MEMBERS,
    C_YEARS,
    C_USERS,
    C_SHARE,
    C_CASES,
    C_VISITS,
    C_COST,
    C_HR,
    C_SICK_BEFORE,
    C_SICK_AFTER,
    C_LEAVERS,
    NCOLS
};

static const char *const cols[NCOLS] = {
    "group",           "members",         "member_years",  "users",        "usage_share",
    "cases",           "visits_per_1000", "cost_per_case", "hr_employees", "sick_days_before",
    "sick_days_after", "leavers"};
static const char *const cols_ru[NCOLS] = {"Группа",
                                           "Застрахованных",
                                           "Человеко-лет",
                                           "Обратившихся",
                                           "Доля обратившихся",
                                           "Случаев",
                                           "Обращений на 1000 в год",
                                           "Средняя стоимость случая",
                                           "Сотрудников в файле HR",
                                           "Больничных дней на сотрудника до",
                                           "Больничных дней на сотрудника после",
                                           "Уволившихся"};

#define NGROUPS 3

struct group_sums {
    size_t members, users, cases, hr, leavers;
    double years, paid, sick_before, sick_after;
};

struct keyed {
    char key[400];
    size_t member;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x->member > y->member) - (x->member < y->member);
}

static int cmp_ptr(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return (*x > *y) - (*x < *y);
}

struct emp {
    const char *employee_id;
    const char *department;
};

static int cmp_emp(const void *a, const void *b)
{
    return strcmp(((const struct emp *)a)->employee_id, ((const struct emp *)b)->employee_id);
}

/* Groups a department belongs to: bit 0 all, 1 pilot, 2 rest. */
static unsigned groups_of(const dms_effect_options *o, const char *department)
{
    if (o->pilot == NULL)
        return 1u;
    return 1u | (strcmp(department, o->pilot) == 0 ? 2u : 4u);
}

static void set_num(dms_table *t, size_t r, size_t c, enum dms_cell_kind kind, double v)
{
    dms_cell *cell = &t->cells[r * t->ncols + c];
    cell->kind = kind;
    cell->value = v;
}

static void fill_row(dms_table *t, size_t r, const char *name, const struct group_sums *g,
                     bool with_hr)
{
    dms_cell *name_cell = &t->cells[r * t->ncols + C_GROUP];
    name_cell->kind = DMS_CELL_TEXT;
    snprintf(name_cell->text, sizeof name_cell->text, "%s", name);
    bool few_members = dms_table_people(t, r, C_MEMBERS, g->members);
    set_num(t, r, C_YEARS, DMS_CELL_NUMBER, g->years);
    bool few_users = dms_table_people(t, r, C_USERS, g->users);
    set_num(t, r, C_SHARE, DMS_CELL_NUMBER, g->members ? (double)g->users / (double)g->members : 0);
    set_num(t, r, C_CASES, DMS_CELL_COUNT, (double)g->cases);
    set_num(t, r, C_VISITS, DMS_CELL_NUMBER,
            g->years > 0 ? 1000.0 * (double)g->cases / g->years : 0);
    set_num(t, r, C_COST, DMS_CELL_MONEY, g->cases ? g->paid / (double)g->cases : 0);
    /* Figures derived from few people go with them: a few members hide the
     * whole row, a few users what their claims show. */
    for (size_t c = C_YEARS; c <= C_COST; c++)
        if (few_members || (few_users && c >= C_SHARE))
            dms_table_suppress(t, r, c);
    if (!with_hr)
        return;
    bool few = dms_table_people(t, r, C_HR, g->hr);
    set_num(t, r, C_SICK_BEFORE, DMS_CELL_NUMBER, g->hr ? g->sick_before / (double)g->hr : 0);
    set_num(t, r, C_SICK_AFTER, DMS_CELL_NUMBER, g->hr ? g->sick_after / (double)g->hr : 0);
    dms_table_people(t, r, C_LEAVERS, g->leavers);
    if (few)
        for (size_t c = C_SICK_BEFORE; c <= C_LEAVERS; c++)
            dms_table_suppress(t, r, c);
}

int dms_effect_compute(const dms_register *reg, const dms_membership *m, const dms_hr_file *hr,
                       const dms_effect_options *opt, dms_table **table, dms_effect_nps *nps,
                       dms_effect_roi *roi, dms_error *err)
{
    dms_error_clear(err);
    *table = NULL;
    memset(nps, 0, sizeof *nps);
    memset(roi, 0, sizeof *roi);
    if (reg == NULL || m == NULL || opt == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "effectiveness: NULL input");
    int min_cell = opt->min_cell ? opt->min_cell : DMS_REPORTS_MIN_CELL;
    if (opt->from == 0 || opt->to < opt->from)
        return dms_error_set(err, DMS_EINVAL, "/from",
                             "the programme year is not set or ends before it starts");
    if (min_cell < 1 || min_cell > 1000)
        return dms_error_set(err, DMS_EINVAL, "/min_cell", "min_cell must be 1..1000");
    int status = DMS_OK;
    struct keyed *keys = malloc((m->count ? m->count : 1) * sizeof *keys);
    long *person_of = malloc((m->count ? m->count : 1) * sizeof *person_of);
    unsigned *person_groups = calloc(m->count ? m->count : 1, sizeof *person_groups);
    bool *used = calloc(m->count ? m->count : 1, sizeof *used);
    const char **claims = malloc((reg->count ? reg->count : 1) * sizeof *claims);
    struct emp *emps = malloc((m->count ? m->count : 1) * sizeof *emps);
    dms_table *t = calloc(1, sizeof *t);
    size_t nrows = opt->pilot != NULL ? 3 : 1;
    if (t != NULL)
        t->cells = calloc(nrows * NCOLS, sizeof *t->cells);
    if (!keys || !person_of || !person_groups || !used || !claims || !emps || !t || !t->cells) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out;
    }
    snprintf(t->name, sizeof t->name, "effectiveness");
    t->ncols = NCOLS;
    t->nrows = nrows;
    t->min_cell = min_cell;
    for (size_t c = 0; c < NCOLS; c++) {
        t->columns[c] = cols[c];
        t->columns_ru[c] = cols_ru[c];
    }
    struct group_sums g[NGROUPS];
    memset(g, 0, sizeof g);
    /* People insured in the year: one person however many membership periods. */
    size_t nk = 0, nemp = 0;
    for (size_t i = 0; i < m->count; i++) {
        person_of[i] = -1;
        const dms_member *x = &m->members[i];
        double months = dms_exposure_member_months(x, opt->from, opt->to);
        if (months <= 0)
            continue;
        unsigned gs = groups_of(opt, x->department);
        for (size_t k = 0; k < NGROUPS; k++)
            if (gs & (1u << k))
                g[k].years += months / 12.0;
        dms_member_person_key(x, keys[nk].key, sizeof keys[nk].key);
        keys[nk++].member = i;
        if (x->relation == DMS_RELATION_EMPLOYEE)
            emps[nemp++] = (struct emp){x->employee_id, x->department};
    }
    qsort(keys, nk, sizeof *keys, cmp_keyed);
    size_t npeople = 0;
    for (size_t i = 0; i < nk; i++) {
        if (i == 0 || strcmp(keys[i].key, keys[i - 1].key) != 0) {
            const dms_member *x = &m->members[keys[i].member];
            person_groups[npeople] = groups_of(opt, x->department);
            for (size_t k = 0; k < NGROUPS; k++)
                if (person_groups[npeople] & (1u << k))
                    g[k].members++;
            npeople++;
        }
        person_of[keys[i].member] = (long)npeople - 1;
    }
    /* Claims of the year, matched to a member insured in it. */
    for (size_t k = 0; k < NGROUPS; k++) {
        size_t n = 0;
        for (size_t i = 0; i < reg->count; i++) {
            const dms_claim_line *l = &reg->lines[i];
            if (!dms_claims_counts(l) || l->service_day < opt->from || l->service_day > opt->to)
                continue;
            long mi = dms_membership_match(m, l);
            if (mi < 0 || person_of[mi] < 0 || !(person_groups[person_of[mi]] & (1u << k)))
                continue;
            g[k].paid += (double)l->paid / 100.0;
            claims[n++] = l->claim_id; /* interned: equal ids share a pointer */
            if (k == 0)
                used[person_of[mi]] = true;
        }
        qsort(claims, n, sizeof *claims, cmp_ptr);
        for (size_t i = 0; i < n; i++)
            g[k].cases += i == 0 || claims[i] != claims[i - 1];
    }
    for (size_t p = 0; p < npeople; p++)
        for (size_t k = 0; k < NGROUPS; k++)
            if (used[p] && (person_groups[p] & (1u << k)))
                g[k].users++;
    /* The HR file: employees insured in the year, by their department. */
    qsort(emps, nemp, sizeof *emps, cmp_emp);
    if (hr != NULL)
        for (size_t i = 0; i < hr->count; i++) {
            const dms_hr_row *row = &hr->rows[i];
            struct emp key = {row->employee_id, NULL};
            const struct emp *e = bsearch(&key, emps, nemp, sizeof *emps, cmp_emp);
            if (e == NULL)
                continue;
            unsigned gs = groups_of(opt, e->department);
            for (size_t k = 0; k < NGROUPS; k++)
                if (gs & (1u << k)) {
                    g[k].hr++;
                    g[k].sick_before += row->sick_days_before;
                    g[k].sick_after += row->sick_days_after;
                    g[k].leavers += row->left;
                }
        }
    fill_row(t, 0, "all / все", &g[0], hr != NULL);
    if (opt->pilot != NULL) {
        char name[DMS_REPORTS_TEXT_MAX];
        snprintf(name, sizeof name, "pilot: %.80s", opt->pilot);
        fill_row(t, 1, name, &g[1], hr != NULL);
        fill_row(t, 2, "rest / остальные", &g[2], hr != NULL);
        /* all - pilot = rest: hide each figure in both rows or in neither. */
        for (size_t c = C_MEMBERS; c < NCOLS; c++) {
            bool a = t->cells[1 * NCOLS + c].kind == DMS_CELL_SUPPRESSED;
            bool b = t->cells[2 * NCOLS + c].kind == DMS_CELL_SUPPRESSED;
            if (a != b) {
                dms_table_suppress(t, 1, c);
                dms_table_suppress(t, 2, c);
            }
        }
    }
    /* NPS from aggregated answers. */
    if (opt->has_nps) {
        nps->given = true;
        for (int s = 0; s < DMS_NPS_SCALE; s++) {
            nps->respondents += opt->nps[s];
            if (s >= 9)
                nps->promoters += opt->nps[s];
            else if (s >= 7)
                nps->passives += opt->nps[s];
            else
                nps->detractors += opt->nps[s];
        }
        nps->suppressed = nps->respondents > 0 && nps->respondents < (unsigned long)min_cell;
        nps->nps = nps->respondents && !nps->suppressed
                       ? 100.0 * ((double)nps->promoters - (double)nps->detractors) /
                             (double)nps->respondents
                       : NAN;
    }
    /* ROI over everyone of the HR file. */
    roi->employees = g[0].hr;
    roi->programme_cost = opt->programme_cost;
    roi->sick_day_cost = opt->sick_day_cost;
    roi->replacement_cost = opt->replacement_cost;
    roi->turnover_before = opt->turnover_before;
    roi->sick_before = roi->sick_after = roi->turnover_after = NAN;
    roi->sick_savings = roi->turnover_savings = roi->net = roi->roi = NAN;
    roi->suppressed = g[0].hr > 0 && g[0].hr < (size_t)min_cell;
    if (hr != NULL && g[0].hr > 0 && !roi->suppressed) {
        double n = (double)g[0].hr;
        roi->sick_before = g[0].sick_before / n;
        roi->sick_after = g[0].sick_after / n;
        roi->turnover_after = (double)g[0].leavers / n;
        if (!isnan(opt->sick_day_cost))
            roi->sick_savings = (roi->sick_before - roi->sick_after) * n * opt->sick_day_cost;
        if (!isnan(opt->replacement_cost) && !isnan(opt->turnover_before))
            roi->turnover_savings =
                (opt->turnover_before - roi->turnover_after) * n * opt->replacement_cost;
        if (!isnan(roi->sick_savings) && !isnan(opt->programme_cost) && opt->programme_cost > 0) {
            roi->computed = true;
            roi->net = roi->sick_savings +
                       (isnan(roi->turnover_savings) ? 0 : roi->turnover_savings) -
                       opt->programme_cost;
            roi->roi = roi->net / opt->programme_cost;
        }
    }
    *table = t;
    t = NULL;
out:
    free(keys);
    free(person_of);
    free(person_groups);
    free(used);
    free(claims);
    free(emps);
    dms_table_free(t);
    return status;
}

static json_t *num_or_null(double x, int decimals)
{
    if (!isfinite(x))
        return json_null();
    double k = decimals == 2 ? 100.0 : 10000.0;
    return json_real(round(x * k) / k);
}

json_t *dms_report_effect(const dms_table *table, const dms_effect_nps *nps,
                          const dms_effect_roi *roi, dms_error *err)
{
    dms_error_clear(err);
    json_t *metrics = dms_reports_json(table, err);
    if (metrics == NULL)
        return NULL;
    json_t *n = json_null();
    if (nps->given)
        n = nps->suppressed
                ? json_pack("{s:s}", "nps", "<5")
                : json_pack("{s:I, s:I, s:I, s:I, s:o, s:i, s:s}", "respondents",
                            (json_int_t)nps->respondents, "promoters", (json_int_t)nps->promoters,
                            "passives", (json_int_t)nps->passives, "detractors",
                            (json_int_t)nps->detractors, "nps", num_or_null(nps->nps, 2), "target",
                            30, "formula", "% answering 9-10 minus % answering 0-6");
    json_t *r =
        roi->suppressed
            ? json_pack("{s:s}", "roi", "<5")
            : json_pack("{s:b, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                        "s:o, s:s}",
                        "computed", roi->computed, "employees", (json_int_t)roi->employees,
                        "sick_days_per_employee_before", num_or_null(roi->sick_before, 4),
                        "sick_days_per_employee_after", num_or_null(roi->sick_after, 4),
                        "sick_day_cost", num_or_null(roi->sick_day_cost, 2), "sick_days_savings",
                        num_or_null(roi->sick_savings, 2), "turnover_before",
                        num_or_null(roi->turnover_before, 4), "turnover_after",
                        num_or_null(roi->turnover_after, 4), "replacement_cost",
                        num_or_null(roi->replacement_cost, 2), "turnover_savings",
                        num_or_null(roi->turnover_savings, 2), "programme_cost",
                        num_or_null(roi->programme_cost, 2), "net", num_or_null(roi->net, 2), "roi",
                        num_or_null(roi->roi, 4), "formula",
                        "net = (sick days per employee before - after) x employees x "
                        "sick day cost + (turnover before - after) x employees x "
                        "replacement cost - programme cost; roi = net / programme cost");
    json_t *root =
        json_pack("{s:o, s:{s:f, s:i}, s:o, s:o, s:s}", "metrics", metrics, "targets",
                  "usage_share", 0.6, "nps", 30, "nps", n, "roi", r, "period", "programme year");
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the effectiveness report");
    return root;
}
