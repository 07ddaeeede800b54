/*
 * Encoders of the group quote: JSON for machines, a table for people, CSV
 * for spreadsheets. All three read the same dms_quote and format money the
 * same way (roubles with kopecks), so they always agree.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dms/quote.h"
#include "dms/report.h"

static double kopecks_to_roubles(int64_t kopecks)
{
    return (double)kopecks / 100.0;
}

static double round_kopecks(double roubles)
{
    return round(roubles * 100.0) / 100.0;
}

/* Employer's part of a gross amount, in kopecks; the employee pays the rest. */
static int64_t employer_kopecks(int64_t gross, double share)
{
    return (int64_t)llround((double)gross * share);
}

static json_t *limit_json(double limit)
{
    return isfinite(limit) ? json_real(limit) : json_null();
}

static const char *const money_keys[] = {
    "expected_claims", "group_size_load", "anti_selection", "pure_premium", "admin_fee",
    "contingency",     "expense",         "commission",     "profit",       "rounding",
};

/* The printed amounts, whole kopecks that add up (see dms_quote_money). */
static void money_values(const dms_quote_money *m, double v[10])
{
    for (size_t i = 0; i < 10; i++)
        v[i] = kopecks_to_roubles(m->kopecks[i]);
}

static json_t *money_json(const dms_quote_money *m, size_t people, double employer_share,
                          bool per_person)
{
    json_t *o = json_object();
    double v[10];
    money_values(m, v);
    for (size_t i = 0; i < 10; i++)
        json_object_set_new(o, money_keys[i], json_real(round_kopecks(v[i])));
    json_object_set_new(o, "gross_premium", json_real(kopecks_to_roubles(m->gross_kopecks)));
    if (per_person && people > 0) {
        double year = kopecks_to_roubles(m->gross_kopecks) / (double)people;
        json_object_set_new(o, "gross_per_person_year", json_real(round_kopecks(year)));
        json_object_set_new(o, "gross_per_person_month", json_real(round_kopecks(year / 12)));
        int64_t employer = employer_kopecks(m->gross_kopecks, employer_share);
        json_object_set_new(o, "employer_pays", json_real(kopecks_to_roubles(employer)));
        json_object_set_new(o, "employees_pay",
                            json_real(kopecks_to_roubles(m->gross_kopecks - employer)));
    }
    return o;
}

static json_t *scenarios_json(const dms_quote_money money[DMS_SCENARIO_COUNT], size_t people,
                              double employer_share, bool per_person)
{
    json_t *o = json_object();
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        json_object_set_new(o, dms_scenario_name((enum dms_scenario_kind)k),
                            money_json(&money[k], people, employer_share, per_person));
    return o;
}

static json_t *block_json(const dms_quote_block *b, double employer_share)
{
    json_t *o = json_object();
    json_object_set_new(o, "people", json_integer((json_int_t)b->people));
    json_object_set_new(o, "employees", json_integer((json_int_t)b->employees));
    json_object_set_new(o, "spouses", json_integer((json_int_t)b->spouses));
    json_object_set_new(o, "children", json_integer((json_int_t)b->children));
    json_object_set_new(o, "average_age", json_real(round(b->average_age * 100) / 100));
    json_object_set_new(o, "scenarios", scenarios_json(b->money, b->people, employer_share, true));
    return o;
}

static const char *percentile_key(int k, char *buf, size_t size)
{
    snprintf(buf, size, "P%g", 100 * dms_quote_percentile_levels[k]);
    return buf;
}

json_t *dms_report_quote(const dms_quote *q, dms_error *err)
{
    dms_error_clear(err);
    json_t *root = json_object();
    if (root == NULL) {
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the quote report");
        return NULL;
    }
    json_object_set_new(root, "plan", json_string(q->plan->name));
    json_object_set_new(
        root, "period",
        json_pack("{s:s, s:s}", "from", q->plan->period_from, "to", q->plan->period_to));
    json_object_set_new(
        root, "tariff",
        json_pack("{s:s, s:s}", "name", q->tariff->name, "version", q->tariff->version));
    json_object_set_new(
        root, "model",
        json_pack("{s:s, s:s}", "name", q->model->name, "version", q->model->version));
    json_object_set_new(root, "currency", json_string("RUB"));
    json_object_set_new(root, "trend_years", json_real(round(q->trend_years * 1e4) / 1e4));
    json_object_set_new(root, "group_size_factor", json_real(q->group_factor));
    json_object_set_new(root, "rating_cells", json_integer((json_int_t)q->cells));
    json_object_set_new(root, "region_fallbacks", json_integer((json_int_t)q->region_fallbacks));
    json_t *shocks = json_object();
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        json_object_set_new(shocks, dms_scenario_name((enum dms_scenario_kind)k),
                            json_pack("{s:f, s:f}", "frequency", q->scenarios[k].frequency,
                                      "severity", q->scenarios[k].severity));
    json_object_set_new(root, "scenarios", shocks);

    json_t *segments = json_array();
    for (size_t s = 0; s < q->nsegments; s++) {
        const dms_quote_segment *qs = &q->segments[s];
        json_t *seg = block_json(&qs->total, qs->plan->employer_share);
        json_object_set_new(seg, "code", json_string(qs->plan->code));
        json_object_set_new(seg, "name_ru", json_string(qs->plan->name_ru));
        json_object_set_new(seg, "name_en", json_string(qs->plan->name_en));
        json_object_set_new(seg, "network", json_string(qs->network->code));
        json_object_set_new(seg, "employer_share", json_real(qs->plan->employer_share));
        json_t *lines = json_array();
        for (size_t m = 0; m < qs->nlines; m++) {
            const dms_quote_line *line = &qs->lines[m];
            json_t *l = json_object();
            json_object_set_new(l, "module", json_string(line->module->code));
            json_object_set_new(l, "name_ru", json_string(line->module->name_ru));
            json_object_set_new(l, "name_en", json_string(line->module->name_en));
            json_object_set_new(l, "type", json_string(dms_module_type_name(line->module->type)));
            json_object_set_new(l, "voluntary", json_boolean(line->voluntary));
            json_object_set_new(
                l, "anti_selection",
                json_pack("{s:b, s:s, s:s}", "applied", line->voluntary, "reason",
                          dms_anti_selection_reason_name(line->anti_selection_reason),
                          "explanation",
                          dms_anti_selection_reason_text(line->anti_selection_reason)));
            if (line->module->type == DMS_MODULE_CLAIMS) {
                json_object_set_new(l, "deductible", json_real(line->cov.deductible));
                json_object_set_new(l, "deductible_type",
                                    json_string(line->cov.franchise ? "franchise" : "ordinary"));
                json_object_set_new(l, "copay", json_real(line->cov.copay));
                json_object_set_new(l, "claim_limit", limit_json(line->cov.claim_limit));
                json_object_set_new(l, "annual_limit", limit_json(line->annual_limit));
            }
            json_object_set_new(l, "scenarios",
                                scenarios_json(line->money, qs->total.people, 1.0, false));
            json_array_append_new(lines, l);
        }
        json_object_set_new(seg, "modules", lines);
        json_array_append_new(segments, seg);
    }
    json_object_set_new(root, "segments", segments);

    /* The group's employer share is whatever the segments' shares add to. */
    json_t *total = block_json(&q->total, 1.0);
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
        int64_t employer = 0;
        for (size_t s = 0; s < q->nsegments; s++)
            employer += employer_kopecks(q->segments[s].total.money[k].gross_kopecks,
                                         q->segments[s].plan->employer_share);
        json_t *m = json_object_get(json_object_get(total, "scenarios"),
                                    dms_scenario_name((enum dms_scenario_kind)k));
        json_object_set_new(m, "employer_pays", json_real(kopecks_to_roubles(employer)));
        json_object_set_new(
            m, "employees_pay",
            json_real(kopecks_to_roubles(q->total.money[k].gross_kopecks - employer)));
    }
    json_object_set_new(root, "total", total);

    if (q->has_distribution) {
        json_t *dist = json_object();
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            const dms_quote_distribution *d = &q->distribution[k];
            json_t *pct = json_object(), *normal = json_object();
            char key[16];
            for (int i = 0; i < DMS_QUOTE_NPERCENTILES; i++) {
                percentile_key(i, key, sizeof key);
                json_object_set_new(pct, key, json_real(round_kopecks(d->percentiles[i])));
                json_object_set_new(normal, key, json_real(round_kopecks(d->normal[i])));
            }
            json_object_set_new(dist, dms_scenario_name((enum dms_scenario_kind)k),
                                json_pack("{s:f, s:f, s:o, s:o}", "mean", round_kopecks(d->mean),
                                          "sd", round_kopecks(d->sd), "percentiles", pct,
                                          "normal_approximation", normal));
        }
        json_object_set_new(root, "total_claims_distribution", dist);
    }
    return root;
}

/* 1234567.891 -> "1 234 567.89" (thin grouping a person can read). */
/* Money for the table: thousands apart, two decimals, a decimal comma in
 * Russian. */
static const char *money_text(double roubles, bool ru, char *buf, size_t size)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.2f", fabs(roubles) < 0.005 ? 0.0 : roubles);
    char *dot = strchr(digits, '.');
    size_t int_len = (size_t)(dot - digits), start = digits[0] == '-';
    size_t o = 0;
    for (size_t i = 0; i < int_len && o + 2 < size; i++) {
        if (i > start && (int_len - i) % 3 == 0)
            buf[o++] = ' ';
        buf[o++] = digits[i];
    }
    if (ru)
        *dot = ',';
    snprintf(buf + o, size - o, "%s", dot);
    return buf;
}

/* A plain number with prec decimals, a decimal comma in Russian. */
static const char *fixed_text(double v, int prec, bool ru, char *buf, size_t size)
{
    snprintf(buf, size, "%.*f", prec, v);
    char *dot = ru ? strchr(buf, '.') : NULL;
    if (dot != NULL)
        *dot = ',';
    return buf;
}

/* text padded with spaces to width characters, not bytes (a Russian letter
 * takes two bytes of UTF-8), on the left (left) or the right. */
static void cell(FILE *out, const char *text, int width, bool left)
{
    int chars = 0;
    for (const char *p = text; *p != '\0'; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    int pad = width > chars ? width - chars : 0;
    if (!left)
        fprintf(out, "%*s", pad, "");
    fputs(text, out);
    if (left)
        fprintf(out, "%*s", pad, "");
}

/* "  label  a  b  c": the label column and three money columns. */
static void money_row(FILE *out, const char *label, const char *a, const char *b, const char *c)
{
    fputs("  ", out);
    cell(out, label, 28, true);
    const char *v[3] = {a, b, c};
    for (int k = 0; k < 3; k++) {
        fputc(' ', out);
        cell(out, v[k], 18, false);
    }
    fputc('\n', out);
}

static const char *const table_scenarios[2][DMS_SCENARIO_COUNT] = {
    {"optimistic", "base", "pessimistic"},
    {"оптимистичный", "базовый", "пессимистичный"},
};

static void table_money_rows(FILE *out, const dms_quote_block *b, double employer_share, bool ru)
{
    static const char *const labels[2][10] = {
        {"Expected claims", "Group-size load", "Anti-selection load", "Pure premium", "Admin fee",
         "Contingency", "Expense", "Commission", "Profit", "Rounding"},
        {"Ожидаемые выплаты", "Надбавка за численность", "Надбавка за антиселекцию", "Нетто-премия",
         "Расходы на ведение", "Резерв на колебания", "Расходы", "Комиссия", "Прибыль",
         "Округление"},
    };
    const char *const *scen = table_scenarios[ru];
    char t[3][40];
    double v[DMS_SCENARIO_COUNT][10];
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        money_values(&b->money[k], v[k]);
    money_row(out, "", scen[0], scen[1], scen[2]);
    for (size_t i = 0; i < 10; i++)
        money_row(out, labels[ru][i], money_text(v[0][i], ru, t[0], sizeof t[0]),
                  money_text(v[1][i], ru, t[1], sizeof t[1]),
                  money_text(v[2][i], ru, t[2], sizeof t[2]));
    double g[3];
    for (int k = 0; k < 3; k++)
        g[k] = kopecks_to_roubles(b->money[k].gross_kopecks);
    money_row(out, ru ? "БРУТТО-ПРЕМИЯ" : "GROSS PREMIUM", money_text(g[0], ru, t[0], 40),
              money_text(g[1], ru, t[1], 40), money_text(g[2], ru, t[2], 40));
    if (b->people > 0) {
        double n = (double)b->people;
        money_row(out, ru ? "  на человека в год" : "  per person a year",
                  money_text(g[0] / n, ru, t[0], 40), money_text(g[1] / n, ru, t[1], 40),
                  money_text(g[2] / n, ru, t[2], 40));
        money_row(out, ru ? "  на человека в месяц" : "  per person a month",
                  money_text(g[0] / n / 12, ru, t[0], 40), money_text(g[1] / n / 12, ru, t[1], 40),
                  money_text(g[2] / n / 12, ru, t[2], 40));
    }
    if (employer_share < 1.0) {
        for (int k = 0; k < 3; k++)
            money_text(
                kopecks_to_roubles(employer_kopecks(b->money[k].gross_kopecks, employer_share)), ru,
                t[k], 40);
        money_row(out, ru ? "  платит работодатель" : "  employer pays", t[0], t[1], t[2]);
    }
}

int dms_report_quote_table(const dms_quote *q, FILE *out)
{
    return dms_report_quote_table_lang(q, DMS_CSV_EN, out);
}

int dms_report_quote_table_lang(const dms_quote *q, dms_csv_lang lang, FILE *out)
{
    bool ru = lang == DMS_CSV_RU;
    char t[4][40];
    char a[6][32];
    if (ru) {
        fprintf(out, "Расчёт ДМС: %s\n", q->plan->name);
        fprintf(out, "Период %s .. %s; тариф %s (%s); модель %s (%s)\n", q->plan->period_from,
                q->plan->period_to, q->tariff->name, q->tariff->version, q->model->name,
                q->model->version);
        fprintf(out,
                "Группа: %zu чел. (сотрудников %zu, супругов %zu, детей %zu), средний возраст %s; "
                "коэффициент численности %s; тренд %s года; тарифных ячеек %zu\n",
                q->total.people, q->total.employees, q->total.spouses, q->total.children,
                fixed_text(q->total.average_age, 1, ru, a[0], 32),
                fixed_text(q->group_factor, 2, ru, a[1], 32),
                fixed_text(q->trend_years, 2, ru, a[2], 32), q->cells);
        fprintf(out, "Сценарии (частота x тяжесть): оптимистичный %s x %s, базовый %s x %s, ",
                fixed_text(q->scenarios[0].frequency, 2, ru, a[0], 32),
                fixed_text(q->scenarios[0].severity, 2, ru, a[1], 32),
                fixed_text(q->scenarios[1].frequency, 2, ru, a[2], 32),
                fixed_text(q->scenarios[1].severity, 2, ru, a[3], 32));
        fprintf(out, "пессимистичный %s x %s\n",
                fixed_text(q->scenarios[2].frequency, 2, ru, a[4], 32),
                fixed_text(q->scenarios[2].severity, 2, ru, a[5], 32));
        fprintf(out, "Антиселекция только в строках с отметкой V (их выбирают сотрудники); "
                     "строки без отметки оплачивает работодатель\n");
        if (q->region_fallbacks > 0)
            fprintf(out,
                    "Внимание: %zu чел. живут в регионах, которых нет в тарифе; цена рассчитана "
                    "как для «%s»\n",
                    q->region_fallbacks, q->tariff->regions[q->tariff->fallback_region].code);
    } else {
        fprintf(out, "DMS group quote / Расчёт ДМС: %s\n", q->plan->name);
        fprintf(out, "Period %s .. %s; tariff %s (%s); model %s (%s)\n", q->plan->period_from,
                q->plan->period_to, q->tariff->name, q->tariff->version, q->model->name,
                q->model->version);
        fprintf(out,
                "Group: %zu people (%zu employees, %zu spouses, %zu children), average age %.1f; "
                "group-size factor %.2f; trend %.2f years; %zu rating cells\n",
                q->total.people, q->total.employees, q->total.spouses, q->total.children,
                q->total.average_age, q->group_factor, q->trend_years, q->cells);
        fprintf(out,
                "Scenarios (frequency x severity): optimistic %.2f x %.2f, base %.2f x %.2f, "
                "pessimistic %.2f x %.2f\n",
                q->scenarios[0].frequency, q->scenarios[0].severity, q->scenarios[1].frequency,
                q->scenarios[1].severity, q->scenarios[2].frequency, q->scenarios[2].severity);
        fprintf(out, "Anti-selection only on lines marked V (employees choose them); unmarked "
                     "lines are employer-paid\n");
        if (q->region_fallbacks > 0)
            fprintf(out,
                    "Warning: %zu people live in regions the tariff does not list; priced as "
                    "'%s'\n",
                    q->region_fallbacks, q->tariff->regions[q->tariff->fallback_region].code);
    }
    static const char *const heads[2][6] = {
        {"module (base scenario)", "terms", "claims/pers", "pure/pers", "expected claims", "gross"},
        {"модуль (базовый)", "условия", "выпл./чел.", "нетто/чел.", "ожид. выплаты", "брутто"},
    };
    static const int widths[6] = {24, 10, 12, 12, 18, 18};
    for (size_t s = 0; s < q->nsegments; s++) {
        const dms_quote_segment *qs = &q->segments[s];
        if (ru)
            fprintf(out,
                    "\nСегмент %s: %s — сеть клиник %s, %zu чел. (сотрудников %zu), средний "
                    "возраст %s, работодатель платит %.0f%%\n",
                    qs->plan->code, qs->plan->name_ru, qs->network->code, qs->total.people,
                    qs->total.employees, fixed_text(qs->total.average_age, 1, ru, a[0], 32),
                    100 * qs->plan->employer_share);
        else
            fprintf(out,
                    "\nSegment %s: %s / %s — network %s, %zu people (%zu employees), average "
                    "age %.1f, employer pays %.0f%%\n",
                    qs->plan->code, qs->plan->name_ru, qs->plan->name_en, qs->network->code,
                    qs->total.people, qs->total.employees, qs->total.average_age,
                    100 * qs->plan->employer_share);
        fputs("  ", out);
        for (int c = 0; c < 6; c++) {
            if (c > 0)
                fputc(' ', out);
            cell(out, heads[ru][c], widths[c], c < 2);
        }
        fputc('\n', out);
        for (size_t m = 0; m < qs->nlines; m++) {
            const dms_quote_line *l = &qs->lines[m];
            const char *flat = ru ? "фикс." : "flat";
            char terms[64];
            if (l->module->type == DMS_MODULE_CLAIMS)
                snprintf(terms, sizeof terms, ru ? "%s%.0f%s с%.0f%%" : "%s%.0f%s c%.0f%%",
                         l->voluntary ? "V " : "", l->cov.deductible, l->cov.franchise ? "F" : "",
                         100 * l->cov.copay);
            else
                snprintf(terms, sizeof terms, "%s%s", l->voluntary ? "V " : "", flat);
            double n = qs->total.people ? (double)qs->total.people : 1.0;
            const char *v[6] = {
                l->module->code,
                terms,
                money_text(l->money[1].expected_claims / n, ru, t[0], 40),
                money_text(l->money[1].pure_premium / n, ru, t[1], 40),
                money_text(l->money[1].expected_claims, ru, t[2], 40),
                money_text(kopecks_to_roubles(l->money[1].gross_kopecks), ru, t[3], 40),
            };
            fputs("  ", out);
            for (int c = 0; c < 6; c++) {
                if (c > 0)
                    fputc(' ', out);
                cell(out, v[c], widths[c], c < 2);
            }
            fputc('\n', out);
        }
        table_money_rows(out, &qs->total, qs->plan->employer_share, ru);
    }
    fprintf(out, ru ? "\nИТОГО: %zu чел.\n" : "\nTOTAL: %zu people\n", q->total.people);
    table_money_rows(out, &q->total, 1.0, ru);
    if (q->has_distribution) {
        fputs(ru ? "\nВыплаты по группе за год (свёртка | нормальное приближение):\n"
                 : "\nGroup total claims a year (convolution | normal approximation):\n",
              out);
        fputs("  ", out);
        cell(out, "", 12, true);
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            fputc(' ', out);
            cell(out, table_scenarios[ru][k], 18, false);
        }
        fputc('\n', out);
        for (int i = 0; i < DMS_QUOTE_NPERCENTILES; i++) {
            char key[16];
            percentile_key(i, key, sizeof key);
            fputs("  ", out);
            cell(out, key, 12, true);
            for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
                fprintf(out, " %18s", money_text(q->distribution[k].percentiles[i], ru, t[k], 40));
            fputs("\n  ", out);
            cell(out, ru ? "  норм." : "  normal", 12, true);
            for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
                fprintf(out, " %18s", money_text(q->distribution[k].normal[i], ru, t[k], 40));
            fprintf(out, "\n");
        }
    }
    return ferror(out) ? DMS_EIO : DMS_OK;
}

/* The CSV columns after segment, module, scenario and people, in Russian. */
static const char *const money_keys_ru[] = {
    "Ожидаемые выплаты",
    "Надбавка за размер группы",
    "Антиселекция",
    "Нетто-премия",
    "Расходы на ведение",
    "Резерв на колебания",
    "Расходы",
    "Комиссия",
    "Прибыль",
    "Округление",
};
static const char *const scenario_ru[DMS_SCENARIO_COUNT] = {"оптимистичный", "базовый",
                                                            "пессимистичный"};

static void csv_row(dms_csvwrite *w, const char *segment, const dms_tariff_module *module,
                    int scenario, const dms_quote_money *m, size_t people)
{
    bool ru = w->lang == DMS_CSV_RU;
    dms_csvwrite_text(w, segment);
    if (module == NULL)
        dms_csvwrite_text(w, ru ? "ВСЕ" : "ALL");
    else
        dms_csvwrite_text(w, ru && module->name_ru[0] != '\0' ? module->name_ru : module->code);
    dms_csvwrite_text(w, ru ? scenario_ru[scenario]
                            : dms_scenario_name((enum dms_scenario_kind)scenario));
    dms_csvwrite_integer(w, (long long)people);
    for (size_t i = 0; i < 10; i++)
        dms_csvwrite_kopecks(w, m->kopecks[i]);
    dms_csvwrite_kopecks(w, m->gross_kopecks);
    dms_csvwrite_row_end(w);
}

int dms_report_quote_csv(const dms_quote *q, dms_csv_lang lang, FILE *out)
{
    dms_csvwrite w;
    dms_csvwrite_begin(&w, out, lang);
    bool ru = w.lang == DMS_CSV_RU;
    dms_csvwrite_text(&w, ru ? "Сегмент" : "segment");
    dms_csvwrite_text(&w, ru ? "Модуль" : "module");
    dms_csvwrite_text(&w, ru ? "Сценарий" : "scenario");
    dms_csvwrite_text(&w, ru ? "Человек" : "people");
    for (size_t i = 0; i < 10; i++)
        dms_csvwrite_text(&w, ru ? money_keys_ru[i] : money_keys[i]);
    dms_csvwrite_text(&w, ru ? "Брутто-премия" : "gross_premium");
    dms_csvwrite_row_end(&w);
    for (size_t s = 0; s < q->nsegments; s++) {
        const dms_quote_segment *qs = &q->segments[s];
        for (int k = 0; k < DMS_SCENARIO_COUNT; k++) {
            for (size_t m = 0; m < qs->nlines; m++)
                csv_row(&w, qs->plan->code, qs->lines[m].module, k, &qs->lines[m].money[k],
                        qs->total.people);
            csv_row(&w, qs->plan->code, NULL, k, &qs->total.money[k], qs->total.people);
        }
    }
    for (int k = 0; k < DMS_SCENARIO_COUNT; k++)
        csv_row(&w, ru ? "ИТОГО" : "TOTAL", NULL, k, &q->total.money[k], q->total.people);
    return dms_csvwrite_end(&w);
}
