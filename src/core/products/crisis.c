/*
 * Crisis scenario priced as a mid-year endorsement: three group quotes of
 * the census (the current package, the same under the frequency shock, the
 * enhanced package under the shock), their per-segment differences taken
 * pro rata temporis over the days the endorsement covers. See
 * include/dms/crisis.h.
 */
#include "dms/date.h"
#include "dms/crisis.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/quote.h"

/* The day before the same day N months after from, or the last day of that
 * month when it has no such day. */
static bool end_of_months(const char *from, int months, long *end)
{
    int y0, m0, d, y, m;
    if (!dms_date_split(from, &y0, &m0, &d))
        return false;
    dms_date_add_months(y0, m0, months, &y, &m);
    int last = dms_date_month_days(y, m);
    /* From the 31st, a month ends on the last day of the shorter month. */
    bool clamped = d > last;
    if (clamped)
        d = last;
    long days = dms_date_days(y, m, d);
    *end = clamped ? days : days - 1;
    return true;
}

int dms_crisis_terms_read(struct dms_jsonread *r, dms_crisis_terms *terms)
{
    memset(terms, 0, sizeof *terms);
    terms->frequency_shock = 1.3;
    long long months = 0;
    dms_jsonread_string_buf(r, "from", terms->from, sizeof terms->from);
    dms_jsonread_integer(r, "months", 1, 12, &months);
    dms_jsonread_number_opt(r, "frequency_shock", 1, 5, &terms->frequency_shock);
    terms->months = (int)months;
    long day;
    if (dms_jsonread_status(r) == DMS_OK && !dms_date_parse(terms->from, &day))
        dms_jsonread_fail(r, DMS_EINVAL, "from", "'%s' is not a date YYYY-MM-DD", terms->from);
    if (dms_jsonread_status(r) == DMS_OK && dms_jsonread_has(r, "add_modules")) {
        size_t n = 0;
        if (dms_jsonread_enter(r, "add_modules", DMS_JSON_ARRAY) == DMS_OK &&
            dms_jsonread_length(r, 0, DMS_CRISIS_MAX_MODULES, &n) == DMS_OK) {
            for (size_t i = 0; i < n; i++) {
                const char *code = NULL;
                if (dms_jsonread_string_at(r, i, DMS_MODEL_CODE_MAX - 1, &code) != DMS_OK)
                    break;
                snprintf(terms->modules[i], sizeof terms->modules[i], "%s", code);
                terms->nmodules = i + 1;
            }
            dms_jsonread_leave(r);
        }
    } else if (dms_jsonread_status(r) == DMS_OK) {
        /* Priority diagnostics (the check-up) and extended telemedicine. */
        snprintf(terms->modules[0], sizeof terms->modules[0], "checkup");
        snprintf(terms->modules[1], sizeof terms->modules[1], "telemedicine");
        terms->nmodules = 2;
    }
    return dms_jsonread_status(r);
}

/* Per-segment and total gross of plan under the base scenario times shock. */
static int gross_by_segment(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                            const dms_census *census, const char *census_source, double shock,
                            const dms_crisis_price_options *options, int64_t *seg, size_t *people,
                            dms_diag *diag)
{
    dms_plan *p = malloc(sizeof *p);
    if (p == NULL)
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a plan");
    *p = *plan;
    dms_scenario base = plan->scenario_set[DMS_SCENARIO_BASE] ? plan->scenarios[DMS_SCENARIO_BASE]
                                                              : model->scenarios[DMS_SCENARIO_BASE];
    p->scenario_set[DMS_SCENARIO_BASE] = true;
    p->scenarios[DMS_SCENARIO_BASE] = base;
    p->scenarios[DMS_SCENARIO_BASE].frequency = base.frequency * shock;
    dms_quote_options opts = dms_quote_options_default();
    opts.percentiles = false;
    opts.census_source = census_source;
    if (options != NULL) {
        opts.cancelled = options->cancelled;
        opts.cancel_ctx = options->cancel_ctx;
    }
    dms_quote *q = NULL;
    int status = dms_quote_compute(tariff, model, p, census, &opts, &q, diag, NULL);
    if (status == DMS_OK) {
        for (size_t s = 0; s < q->nsegments; s++) {
            seg[s] = q->segments[s].total.money[DMS_SCENARIO_BASE].gross_kopecks;
            people[s] = q->segments[s].total.people;
        }
        dms_quote_free(q);
    }
    free(p);
    return status;
}

static int64_t pro_rata(int64_t annual, long days, long period_days)
{
    /* Exact: round half away from zero of annual x days / period_days. */
    double x = (double)annual * (double)days / (double)period_days;
    return (int64_t)llround(x);
}

int dms_crisis_price(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                     const dms_census *census, const char *census_source,
                     const dms_crisis_terms *terms, dms_crisis_result *out, dms_diag *diag)
{
    return dms_crisis_price_with(tariff, model, plan, census, census_source, terms, NULL, out,
                                 diag);
}

int dms_crisis_price_with(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                          const dms_census *census, const char *census_source,
                          const dms_crisis_terms *terms, const dms_crisis_price_options *options,
                          dms_crisis_result *out, dms_diag *diag)
{
    memset(out, 0, sizeof *out);
    out->terms = *terms;
    long from, p0, p1, end;
    if (!dms_date_parse(plan->period_from, &p0) || !dms_date_parse(plan->period_to, &p1))
        return dms_diag_add_path(diag, DMS_EINVAL, "/plan/period",
                                 "the plan's period is not dates");
    if (!dms_date_parse(terms->from, &from) || from < p0 || from > p1)
        return dms_diag_add_path(diag, DMS_EINVAL, "/from",
                                 "the endorsement must start inside the policy period %s..%s / "
                                 "доп. соглашение должно начинаться в периоде договора",
                                 plan->period_from, plan->period_to);
    if (terms->months < 1 || terms->months > 12 || !(terms->frequency_shock >= 1) ||
        !end_of_months(terms->from, terms->months, &end))
        return dms_diag_add_path(diag, DMS_EINVAL, "/months", "months must be 1..12");
    for (size_t i = 0; i < terms->nmodules; i++)
        if (dms_tariff_find_module(tariff, terms->modules[i]) == NULL)
            return dms_diag_add_path(diag, DMS_EINVAL, NULL,
                                     "add_modules: '%s' is not a module of the tariff",
                                     terms->modules[i]);
    if (end > p1)
        end = p1;
    dms_date_format(end, out->to);
    out->days = end - from + 1;
    out->period_days = p1 - p0 + 1;
    out->share = (double)out->days / (double)out->period_days;
    out->nsegments = plan->nsegments;

    dms_plan *enhanced = malloc(sizeof *enhanced);
    if (enhanced == NULL)
        return dms_diag_add_path(diag, DMS_ENOMEM, NULL, "no memory for a plan");
    *enhanced = *plan;
    for (size_t s = 0; s < enhanced->nsegments; s++) {
        dms_plan_segment *seg = &enhanced->segments[s];
        for (size_t i = 0; i < terms->nmodules; i++) {
            bool has = false;
            for (size_t m = 0; m < seg->nmodules; m++)
                has = has || strcmp(seg->modules[m].code, terms->modules[i]) == 0;
            if (has || seg->nmodules >= DMS_PLAN_MAX_MODULES)
                continue;
            dms_plan_module pm;
            memset(&pm, 0, sizeof pm);
            snprintf(pm.code, sizeof pm.code, "%s", terms->modules[i]);
            pm.voluntary = false;
            pm.set_terms = DMS_TERM_VOLUNTARY; /* everyone gets it: no anti-selection */
            seg->modules[seg->nmodules++] = pm;
            out->segments[s].added++;
        }
    }
    int64_t cur[DMS_PLAN_MAX_SEGMENTS], shk[DMS_PLAN_MAX_SEGMENTS], enh[DMS_PLAN_MAX_SEGMENTS];
    size_t people[DMS_PLAN_MAX_SEGMENTS];
    int status = gross_by_segment(tariff, model, plan, census, census_source, 1.0, options, cur,
                                  people, diag);
    if (status == DMS_OK)
        status = gross_by_segment(tariff, model, plan, census, census_source,
                                  terms->frequency_shock, options, shk, people, diag);
    if (status == DMS_OK)
        status = gross_by_segment(tariff, model, enhanced, census, census_source,
                                  terms->frequency_shock, options, enh, people, diag);
    free(enhanced);
    if (status != DMS_OK)
        return status;
    dms_crisis_segment *t = &out->total;
    t->code = "total";
    for (size_t s = 0; s < plan->nsegments; s++) {
        dms_crisis_segment *r = &out->segments[s];
        r->code = plan->segments[s].code;
        r->people = people[s];
        r->annual_kopecks = cur[s];
        r->annual_shocked_kopecks = shk[s];
        r->annual_enhanced_kopecks = enh[s];
        r->endorsement_kopecks = pro_rata(enh[s] - cur[s], out->days, out->period_days);
        r->shock_part_kopecks = pro_rata(shk[s] - cur[s], out->days, out->period_days);
        r->modules_part_kopecks = r->endorsement_kopecks - r->shock_part_kopecks;
        t->people += r->people;
        t->added += r->added;
        t->annual_kopecks += r->annual_kopecks;
        t->annual_shocked_kopecks += r->annual_shocked_kopecks;
        t->annual_enhanced_kopecks += r->annual_enhanced_kopecks;
        t->endorsement_kopecks += r->endorsement_kopecks;
        t->shock_part_kopecks += r->shock_part_kopecks;
        t->modules_part_kopecks += r->modules_part_kopecks;
    }
    return DMS_OK;
}

static json_t *kop_json(int64_t k)
{
    return json_real((double)k / 100.0);
}

static json_t *row_json(const dms_crisis_segment *r)
{
    return json_pack(
        "{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "segment", r->code, "people",
        (json_int_t)r->people, "modules_added", (json_int_t)r->added, "annual_current",
        kop_json(r->annual_kopecks), "annual_current_shocked", kop_json(r->annual_shocked_kopecks),
        "annual_enhanced_shocked", kop_json(r->annual_enhanced_kopecks), "endorsement",
        kop_json(r->endorsement_kopecks), "of_which_shock", kop_json(r->shock_part_kopecks),
        "of_which_modules", kop_json(r->modules_part_kopecks), "endorsement_per_head",
        json_real(r->people ? round((double)r->endorsement_kopecks / (double)r->people) / 100.0
                            : 0.0));
}

json_t *dms_report_crisis(const dms_crisis_result *res, dms_error *err)
{
    dms_error_clear(err);
    json_t *mods = json_array();
    for (size_t i = 0; i < res->terms.nmodules; i++)
        json_array_append_new(mods, json_string(res->terms.modules[i]));
    json_t *rows = json_array();
    for (size_t s = 0; s < res->nsegments; s++)
        json_array_append_new(rows, row_json(&res->segments[s]));
    json_t *root =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:o, s:s, s:o, s:o}", "from",
                  res->terms.from, "to", res->to, "months", (json_int_t)res->terms.months, "days",
                  (json_int_t)res->days, "period_days", (json_int_t)res->period_days, "share",
                  res->share, "frequency_shock", res->terms.frequency_shock, "add_modules", mods,
                  "money", "RUB for the endorsement period; annual_* are RUB a year", "segments",
                  rows, "total", row_json(&res->total));
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the crisis report");
    return root;
}

static void money(FILE *out, int64_t k)
{
    int64_t a = k < 0 ? -k : k;
    fprintf(out, "%s%" PRId64 ".%02" PRId64, k < 0 ? "-" : "", a / 100, a % 100);
}

int dms_report_crisis_table(const dms_crisis_result *res, FILE *out)
{
    fprintf(out, "endorsement %s..%s: %ld of %ld days (%.6f of the year), frequency x%.2f, adds:",
            res->terms.from, res->to, res->days, res->period_days, res->share,
            res->terms.frequency_shock);
    for (size_t i = 0; i < res->terms.nmodules; i++)
        fprintf(out, " %s", res->terms.modules[i]);
    fprintf(out, "\n%-14s %6s %16s %16s %16s %14s %14s %14s\n", "segment", "people", "annual now",
            "annual shocked", "annual enhanced", "endorsement", "of it shock", "of it modules");
    for (size_t s = 0; s <= res->nsegments; s++) {
        const dms_crisis_segment *r = s < res->nsegments ? &res->segments[s] : &res->total;
        fprintf(out, "%-14s %6zu", r->code, r->people);
        int64_t v[6] = {r->annual_kopecks,          r->annual_shocked_kopecks,
                        r->annual_enhanced_kopecks, r->endorsement_kopecks,
                        r->shock_part_kopecks,      r->modules_part_kopecks};
        for (size_t i = 0; i < 6; i++) {
            char buf[32];
            FILE *m = fmemopen(buf, sizeof buf, "w");
            money(m, v[i]);
            fclose(m);
            fprintf(out, i < 3 ? " %16s" : " %14s", buf);
        }
        fputc('\n', out);
    }
    return ferror(out) ? DMS_EIO : DMS_OK;
}
