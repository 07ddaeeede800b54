/*
 * Encoders of budget results and plan comparisons: JSON shared by the CLI
 * and the HTTP API, and a plain table for people. Money is printed in
 * roubles with kopecks from the exact kopeck totals of the quote.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dms/budget.h"
#include "dms/report.h"

static json_t *kopecks_json(int64_t kopecks)
{
    return json_real((double)kopecks / 100.0);
}

static double per_head(int64_t kopecks, size_t people)
{
    return people ? round((double)kopecks / (double)people) / 100.0 : 0.0;
}

static json_t *limit_json(double limit)
{
    return isfinite(limit) ? json_real(limit) : json_null();
}

static json_t *design_json(const dms_budget_space *space, const dms_budget_solution *sol,
                           size_t people)
{
    if (!sol->found)
        return json_null();
    json_t *modules = json_array();
    for (size_t m = 0; m < space->nmodules; m++) {
        const dms_budget_module_space *ms = &space->modules[m];
        const dms_budget_option *o = &ms->options[sol->design.option[m]];
        if (!o->included)
            continue;
        json_t *line = json_pack("{s:s, s:s, s:s}", "module", ms->module->code, "name_ru",
                                 ms->module->name_ru, "name_en", ms->module->name_en);
        if (ms->module->type == DMS_MODULE_CLAIMS) {
            json_object_set_new(line, "deductible", json_real(o->deductible));
            json_object_set_new(line, "copay", json_real(o->copay));
            json_object_set_new(line, "annual_limit", limit_json(o->annual_limit));
        }
        json_array_append_new(modules, line);
    }
    const dms_network *net = space->networks[sol->design.network];
    return json_pack("{s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:f}", "network", "code", net->code,
                     "name_ru", net->name_ru, "name_en", net->name_en, "modules", modules,
                     "gross_total", kopecks_json(sol->gross_kopecks), "gross_per_head",
                     json_real(per_head(sol->gross_kopecks, people)), "value_score",
                     round(sol->value * 100.0) / 100.0);
}

static double r2(double x)
{
    return round(x * 100.0) / 100.0;
}

/* "off", "flat", or the claims terms, for explanations. */
static void terms_text(const dms_budget_module_space *ms, size_t option, char *buf, size_t size)
{
    const dms_budget_option *o = &ms->options[option];
    if (!o->included)
        snprintf(buf, size, "off");
    else if (ms->module->type == DMS_MODULE_FLAT)
        snprintf(buf, size, "on");
    else if (isfinite(o->annual_limit))
        snprintf(buf, size, "deductible %g, co-pay %g%%, annual limit %.0f", o->deductible,
                 o->copay * 100, o->annual_limit);
    else
        snprintf(buf, size, "deductible %g, co-pay %g%%", o->deductible, o->copay * 100);
}

static bool is_mandatory(const dms_budget_request *req, const dms_tariff_module *tm)
{
    for (size_t i = 0; i < req->nmandatory; i++)
        if (req->mandatory[i] == tm)
            return true;
    return false;
}

static json_t *profiles_json(unsigned bits)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < DMS_BUDGET_NPROFILES; i++)
        if (bits & (1u << i))
            json_array_append_new(a, json_string(dms_budget_profile_name(1u << i)));
    return a;
}

static json_t *value_model_json(const dms_budget_request *req, const dms_budget_segment_result *sr)
{
    const dms_budget_space *space = &req->space;
    const dms_budget_weights *w = &sr->weights;
    const dms_budget_census_profile *cp = &sr->census_profile;
    json_t *pr = json_array();
    for (size_t m = 0; m < space->nmodules; m++)
        json_array_append_new(
            pr, json_pack("{s:s, s:f, s:s, s:b}", "module", space->modules[m].module->code,
                          "priority", w->weight[m], "source", dms_budget_source_name(w->source[m]),
                          "mandatory", is_mandatory(req, space->modules[m].module)));
    json_t *survey;
    const dms_budget_survey_segment *sv = NULL;
    bool named = false;
    for (size_t s = 0; s < req->plan->nsegments; s++)
        if (&req->plan->segments[s] == sr->segment) {
            sv = &req->survey[s];
            named = req->profiles_set[s];
        }
    if (sv != NULL && sv->given)
        survey = json_pack(
            "{s:I, s:b, s:s}", "respondents", (json_int_t)sv->respondents, "used", w->survey_used,
            "note",
            w->survey_used ? "mean ratings of the segment's answers replace the profile defaults"
                           : "fewer than 5 answers: not used, to keep answers anonymous / "
                             "меньше 5 ответов: не используется");
    else
        survey = json_null();
    return json_pack("{s:o, s:b, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o}", "profiles",
                     profiles_json(w->profiles), "profiles_from_request", named, "census",
                     "employees", (json_int_t)cp->employees, "under_35", (json_int_t)cp->young,
                     "with_family", (json_int_t)cp->family, "over_40", (json_int_t)cp->over40,
                     "remote", (json_int_t)cp->remote, "survey", survey, "priorities", pr);
}

/* Why each module is in or out of the chosen design. */
static json_t *why_json(const dms_budget_request *req, const dms_budget_segment_result *sr)
{
    const dms_budget_space *space = &req->space;
    const dms_budget_breakdown *b = &sr->within_breakdown;
    const dms_budget_design *d = &sr->within.design;
    double spare = sr->target.budget_per_head - per_head(sr->within.gross_kopecks, sr->people);
    json_t *rows = json_array();
    for (size_t m = 0; m < space->nmodules; m++) {
        const dms_budget_module_space *ms = &space->modules[m];
        bool in = ms->options[d->option[m]].included;
        bool mandatory = is_mandatory(req, ms->module);
        char terms[128];
        terms_text(ms, d->option[m], terms, sizeof terms);
        json_t *row =
            json_pack("{s:s, s:b, s:b, s:f, s:s, s:s}", "module", ms->module->code, "included", in,
                      "mandatory", mandatory, "priority", sr->weights.weight[m], "priority_source",
                      dms_budget_source_name(sr->weights.source[m]), "terms", terms);
        char reason[256];
        if (in) {
            json_object_set_new(row, "value_points", json_real(r2(b->value[m])));
            json_object_set_new(row, "cost_per_head", json_real(r2(b->cost_per_head[m])));
            json_object_set_new(row, "expected_claims_per_head",
                                json_real(r2(b->claims_per_head[m])));
            snprintf(reason, sizeof reason, "%s",
                     mandatory ? "mandatory / обязательный модуль"
                               : "its priority is worth its cost within the budget");
        } else {
            json_object_set_new(row, "add_cost_per_head", json_real(r2(b->add_cost[m])));
            json_object_set_new(row, "add_value_points", json_real(r2(b->add_value[m])));
            if (sr->weights.weight[m] == 0)
                snprintf(reason, sizeof reason, "priority 0: not wanted / не нужен");
            else if (b->add_cost[m] > spare)
                snprintf(reason, sizeof reason,
                         "does not fit: about %.2f RUB per head more, %.2f left in the budget",
                         b->add_cost[m], spare);
            else
                snprintf(reason, sizeof reason,
                         "the money buys more value elsewhere in this design");
        }
        json_object_set_new(row, "reason", json_string(reason));
        json_array_append_new(rows, row);
    }
    return rows;
}

/* Modules whose option differs between two designs of the space. */
static json_t *changes_json(const dms_budget_space *space, const dms_budget_design *from,
                            const dms_budget_design *to)
{
    json_t *rows = json_array();
    if (from->network != to->network)
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "module", "network", "from",
                                              space->networks[from->network]->code, "to",
                                              space->networks[to->network]->code));
    for (size_t m = 0; m < space->nmodules; m++) {
        if (from->option[m] == to->option[m])
            continue;
        char a[128], b[128];
        terms_text(&space->modules[m], from->option[m], a, sizeof a);
        terms_text(&space->modules[m], to->option[m], b, sizeof b);
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "module",
                                              space->modules[m].module->code, "from", a, "to", b));
    }
    return rows;
}

static json_t *explain_json(const dms_budget_request *req, const dms_budget_segment_result *sr)
{
    const dms_budget_space *space = &req->space;
    json_t *next = json_null(), *more = json_null();
    if (sr->next.found) {
        next = design_json(space, &sr->next, sr->people);
        json_object_set_new(next, "differs_in",
                            json_string(space->modules[sr->next_module].module->code));
        json_object_set_new(next, "changes",
                            changes_json(space, &sr->within.design, &sr->next.design));
        json_object_set_new(next, "value_less", json_real(r2(sr->within.value - sr->next.value)));
        json_object_set_new(next, "cost_difference_per_head",
                            json_real(per_head(sr->next.gross_kopecks, sr->people) -
                                      per_head(sr->within.gross_kopecks, sr->people)));
    }
    if (sr->more.found) {
        more = design_json(space, &sr->more, sr->people);
        json_object_set_new(more, "budget_per_head",
                            json_real(sr->target.budget_per_head + DMS_BUDGET_MORE_PER_HEAD));
        json_object_set_new(more, "changes",
                            changes_json(space, &sr->within.design, &sr->more.design));
        json_object_set_new(more, "value_gain", json_real(r2(sr->more.value - sr->within.value)));
        json_object_set_new(more, "cost_difference_per_head",
                            json_real(per_head(sr->more.gross_kopecks, sr->people) -
                                      per_head(sr->within.gross_kopecks, sr->people)));
    }
    return json_pack("{s:o, s:o, s:o}", "why", why_json(req, sr), "next_best", next,
                     "one_more_1000_per_head", more);
}

static json_t *sensitivity_json(const dms_budget_sensitivity *sens, size_t segment, bool total)
{
    json_t *rows = json_array();
    size_t people = total ? sens->total_people : sens->people[segment];
    int64_t base = total ? sens->total_kopecks[0] : sens->gross_kopecks[0][segment];
    for (size_t x = 0; x < DMS_BUDGET_NSHOCKS; x++) {
        int64_t kop = total ? sens->total_kopecks[x] : sens->gross_kopecks[x][segment];
        double claims = total ? sens->total_claims[x] : sens->claims[x][segment];
        json_array_append_new(
            rows,
            json_pack("{s:s, s:f, s:f, s:o, s:o, s:o, s:f}", "shock", dms_budget_shocks[x].name,
                      "frequency", dms_budget_shocks[x].frequency, "severity",
                      dms_budget_shocks[x].severity, "gross_total", kopecks_json(kop),
                      "gross_per_head", json_real(per_head(kop, people)), "increase_total",
                      kopecks_json(kop - base), "expected_claims", round(claims * 100.0) / 100.0));
    }
    return rows;
}

json_t *dms_report_budget(const dms_budget_result *res, dms_error *err)
{
    dms_error_clear(err);
    const dms_budget_space *space = &res->request->space;
    json_t *segments = json_array();
    for (size_t s = 0; s < res->nsegments; s++) {
        const dms_budget_segment_result *sr = &res->segments[s];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "code", sr->segment->code, "name_ru",
                              sr->segment->name_ru, "name_en", sr->segment->name_en, "people",
                              (json_int_t)sr->people);
        json_object_set_new(o, "budget_per_head",
                            isnan(sr->target.budget_per_head)
                                ? json_null()
                                : json_real(sr->target.budget_per_head));
        json_object_set_new(o, "target_value",
                            isnan(sr->target.target_value) ? json_null()
                                                           : json_real(sr->target.target_value));
        json_object_set_new(o, "value_model", value_model_json(res->request, sr));
        if (!isnan(sr->target.budget_per_head)) {
            json_t *w = design_json(space, &sr->within, sr->people);
            if (sr->within.found) {
                int64_t pess = res->within_sensitivity.gross_kopecks[DMS_BUDGET_PESSIMISTIC][s];
                json_object_set_new(w, "sensitivity",
                                    sensitivity_json(&res->within_sensitivity, s, false));
                json_object_set_new(w, "pessimistic_budget_per_head",
                                    json_real(per_head(pess, sr->people)));
                json_object_set_new(w, "explanation", explain_json(res->request, sr));
            }
            json_object_set_new(o, "best_within_budget", w);
        }
        if (!isnan(sr->target.target_value)) {
            json_t *w = design_json(space, &sr->reach, sr->people);
            if (sr->reach.found) {
                int64_t pess = res->reach_sensitivity.gross_kopecks[DMS_BUDGET_PESSIMISTIC][s];
                json_object_set_new(w, "sensitivity",
                                    sensitivity_json(&res->reach_sensitivity, s, false));
                json_object_set_new(w, "pessimistic_budget_per_head",
                                    json_real(per_head(pess, sr->people)));
            }
            json_object_set_new(o, "cheapest_reaching_target", w);
        }
        json_array_append_new(segments, o);
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:f, s:I, s:I}, s:o}", "name",
        res->request->plan->name, "tariff", res->tariff->version, "model", res->model->version,
        "period", "from", res->request->plan->period_from, "to", res->request->plan->period_to,
        "value_measure",
        "score 0..100: sum over included modules of 100 x priority / sum of priorities x "
        "(0.5 + 0.5 x sqrt(share of the richest terms' expected claims paid))",
        "design_space", "designs", res->space_size, "networks", (json_int_t)space->nnetworks,
        "modules", (json_int_t)space->nmodules, "segments", segments);
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the budget report");
    return root;
}

json_t *dms_report_budget_compare(const dms_budget_comparison *cmp, dms_error *err)
{
    dms_error_clear(err);
    json_t *plans = json_array();
    for (size_t i = 0; i < cmp->nplans; i++) {
        const dms_budget_sensitivity *r = &cmp->results[i];
        json_t *rows = sensitivity_json(r, 0, true);
        size_t x;
        json_t *row;
        json_array_foreach(rows, x, row)
        {
            int64_t diff = r->total_kopecks[x] - cmp->results[0].total_kopecks[x];
            json_object_set_new(row, "difference_total", kopecks_json(diff));
            json_object_set_new(row, "difference_per_head",
                                json_real(per_head(diff, r->total_people)));
        }
        json_t *segs = json_array();
        for (size_t s = 0; s < r->nsegments; s++)
            json_array_append_new(segs, json_pack("{s:s, s:s, s:I, s:o}", "code",
                                                  cmp->plans[i]->segments[s].code, "network",
                                                  cmp->plans[i]->segments[s].network, "people",
                                                  (json_int_t)r->people[s], "scenarios",
                                                  sensitivity_json(r, s, false)));
        json_array_append_new(plans, json_pack("{s:s, s:I, s:o, s:o}", "name", cmp->plans[i]->name,
                                               "people", (json_int_t)r->total_people, "scenarios",
                                               rows, "segments", segs));
    }
    json_t *root =
        json_pack("{s:s, s:o}", "difference_against", cmp->plans[0]->name, "plans", plans);
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the comparison report");
    return root;
}

static void print_money(FILE *out, int64_t kopecks)
{
    int64_t a = kopecks < 0 ? -kopecks : kopecks;
    fprintf(out, "%s%" PRId64 ".%02" PRId64, kopecks < 0 ? "-" : "", a / 100, a % 100);
}

static void print_design(FILE *out, const dms_budget_space *space, const dms_budget_solution *sol,
                         size_t people, const dms_budget_sensitivity *sens, size_t s)
{
    if (!sol->found) {
        fprintf(out, "    no design fits\n");
        return;
    }
    fprintf(out, "    network %s; gross ", space->networks[sol->design.network]->code);
    print_money(out, sol->gross_kopecks);
    fprintf(out, " RUB a year (per head %.2f), value score %.2f of 100\n",
            per_head(sol->gross_kopecks, people), sol->value);
    for (size_t m = 0; m < space->nmodules; m++) {
        const dms_budget_module_space *ms = &space->modules[m];
        const dms_budget_option *o = &ms->options[sol->design.option[m]];
        if (!o->included)
            continue;
        if (ms->module->type == DMS_MODULE_FLAT)
            fprintf(out, "      %-20s flat\n", ms->module->code);
        else if (isfinite(o->annual_limit))
            fprintf(out, "      %-20s deductible %g, co-pay %g%%, annual limit %.0f\n",
                    ms->module->code, o->deductible, o->copay * 100, o->annual_limit);
        else
            fprintf(out, "      %-20s deductible %g, co-pay %g%%, no annual limit\n",
                    ms->module->code, o->deductible, o->copay * 100);
    }
    fprintf(out, "      %-16s %16s %14s\n", "shock", "gross", "per head");
    for (size_t x = 0; x < DMS_BUDGET_NSHOCKS; x++) {
        fprintf(out, "      %-16s ", dms_budget_shocks[x].name);
        char buf[32];
        int64_t k = sens->gross_kopecks[x][s];
        snprintf(buf, sizeof buf, "%" PRId64 ".%02" PRId64, k / 100, k % 100);
        fprintf(out, "%16s %14.2f\n", buf, per_head(k, people));
    }
}

/* The explanation of a best-within-budget design, for people. */
static void print_explanation(FILE *out, const dms_budget_request *req,
                              const dms_budget_segment_result *sr)
{
    json_t *e = explain_json(req, sr);
    size_t i;
    json_t *row;
    fprintf(out, "    why this design (priority 0..5, value points, cost per head a year):\n");
    json_array_foreach(json_object_get(e, "why"), i, row)
    {
        const char *code = json_string_value(json_object_get(row, "module"));
        double prio = json_number_value(json_object_get(row, "priority"));
        const char *src = json_string_value(json_object_get(row, "priority_source"));
        if (json_is_true(json_object_get(row, "included")))
            fprintf(out, "      + %-20s priority %.1f (%s), %6.2f points, %10.2f RUB: %s\n", code,
                    prio, src, json_number_value(json_object_get(row, "value_points")),
                    json_number_value(json_object_get(row, "cost_per_head")),
                    json_string_value(json_object_get(row, "reason")));
        else
            fprintf(out, "      - %-20s priority %.1f (%s): %s\n", code, prio, src,
                    json_string_value(json_object_get(row, "reason")));
    }
    const char *keys[2] = {"next_best", "one_more_1000_per_head"};
    for (size_t k = 0; k < 2; k++) {
        json_t *alt = json_object_get(e, keys[k]);
        if (!json_is_object(alt)) {
            fprintf(out, "    %s: none\n", k == 0 ? "next-best package" : "with 1,000 RUB more");
            continue;
        }
        fprintf(out, "    %s: %.2f RUB per head (%+.2f), score %.2f (%+.2f); changes:\n",
                k == 0 ? "next-best package" : "with 1,000 RUB more per head",
                json_number_value(json_object_get(alt, "gross_per_head")),
                json_number_value(json_object_get(alt, "cost_difference_per_head")),
                json_number_value(json_object_get(alt, "value_score")),
                json_number_value(json_object_get(alt, "value_score")) - sr->within.value);
        json_t *ch;
        json_array_foreach(json_object_get(alt, "changes"), i, ch)
            fprintf(out, "      %-20s %s -> %s\n", json_string_value(json_object_get(ch, "module")),
                    json_string_value(json_object_get(ch, "from")),
                    json_string_value(json_object_get(ch, "to")));
    }
    json_decref(e);
}

int dms_report_budget_table(const dms_budget_result *res, FILE *out)
{
    const dms_budget_space *space = &res->request->space;
    fprintf(out,
            "%s\ntariff %s, model %s; design space %.4g designs (%zu networks, %zu modules); "
            "%zu rating cells\nvalue = score 0..100: per included module 100 x priority / sum "
            "of priorities x (0.5 + 0.5 sqrt(share of the richest terms' claims paid))\n",
            res->request->plan->name, res->tariff->version, res->model->version, res->space_size,
            space->nnetworks, space->nmodules, res->cells);
    for (size_t s = 0; s < res->nsegments; s++) {
        const dms_budget_segment_result *sr = &res->segments[s];
        fprintf(out, "\nsegment %s (%s / %s), %zu people; profiles:", sr->segment->code,
                sr->segment->name_ru, sr->segment->name_en, sr->people);
        for (unsigned b = 0; b < DMS_BUDGET_NPROFILES; b++)
            if (sr->weights.profiles & (1u << b))
                fprintf(out, " %s", dms_budget_profile_name(1u << b));
        if (sr->weights.profiles == 0)
            fprintf(out, " none");
        if (sr->weights.survey_respondents > 0)
            fprintf(out, "; survey: %zu answers%s", sr->weights.survey_respondents,
                    sr->weights.survey_used ? "" : " (fewer than 5: not used)");
        fputc('\n', out);
        if (!isnan(sr->target.budget_per_head)) {
            fprintf(out, "  best within budget %.2f RUB per head a year:\n",
                    sr->target.budget_per_head);
            print_design(out, space, &sr->within, sr->people, &res->within_sensitivity, s);
            if (sr->within.found)
                print_explanation(out, res->request, sr);
        }
        if (!isnan(sr->target.target_value)) {
            fprintf(out, "  cheapest reaching value score %.2f:\n", sr->target.target_value);
            print_design(out, space, &sr->reach, sr->people, &res->reach_sensitivity, s);
        }
    }
    return ferror(out) ? DMS_EIO : DMS_OK;
}

int dms_report_budget_compare_table(const dms_budget_comparison *cmp, FILE *out)
{
    fprintf(out, "%-16s", "shock");
    for (size_t i = 0; i < cmp->nplans; i++)
        fprintf(out, " | %-34.34s", cmp->plans[i]->name);
    fprintf(out, "\n%-16s", "");
    for (size_t i = 0; i < cmp->nplans; i++)
        fprintf(out, " | %14s %9s %9s", "total", "per head", "diff/hd");
    fputc('\n', out);
    for (size_t x = 0; x < DMS_BUDGET_NSHOCKS; x++) {
        fprintf(out, "%-16s", dms_budget_shocks[x].name);
        for (size_t i = 0; i < cmp->nplans; i++) {
            const dms_budget_sensitivity *r = &cmp->results[i];
            int64_t k = r->total_kopecks[x];
            char buf[32];
            snprintf(buf, sizeof buf, "%" PRId64 ".%02" PRId64, k / 100, k % 100);
            fprintf(out, " | %14s %9.2f %9.2f", buf, per_head(k, r->total_people),
                    per_head(k - cmp->results[0].total_kopecks[x], r->total_people));
        }
        fputc('\n', out);
    }
    return ferror(out) ? DMS_EIO : DMS_OK;
}
