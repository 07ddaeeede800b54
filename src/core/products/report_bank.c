/*
 * Encoders of the bank add-on price and portfolio projection: JSON shared
 * by the CLI and the HTTP API, and tables for people. Money in roubles with
 * kopecks, taken from the exact kopeck figures where there are some.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "dms/bank.h"
#include "dms/report.h"

static json_t *kop(int64_t kopecks)
{
    return json_real((double)kopecks / 100.0);
}

static json_t *rub(double roubles)
{
    return json_real(round(roubles * 100.0) / 100.0);
}

json_t *dms_report_bank_price(const dms_bank_tariff *t, const dms_bank_price *p, dms_error *err)
{
    dms_error_clear(err);
    json_t *modules = json_array();
    for (size_t i = 0; i < t->nmodules; i++)
        json_array_append_new(modules,
                              json_pack("{s:s, s:o}", "module", t->modules[i].code,
                                        "annual_claims_per_card", rub(p->module_claims[i])));
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o}, "
        "s:{s:o, s:o, s:o, s:o}, s:o}",
        "tariff", t->version, "name", t->name, "loss_ratio_definition",
        "expected claims / gross premium", "price_rule",
        "smallest whole kopecks P with expected monthly claims C / P <= target loss ratio",
        "monthly", "price", kop(p->price_kopecks), "expected_claims", kop(p->claims_kopecks),
        "bank_commission", kop(p->commission_kopecks), "insurer_expense", kop(p->expense_kopecks),
        "insurer_profit", kop(p->profit_kopecks), "annual", "price", kop(12 * p->price_kopecks),
        "expected_claims_base", rub(p->annual_claims_base), "anti_selection",
        rub(p->annual_claims - p->annual_claims_base), "expected_claims", rub(p->annual_claims),
        "ratios", "target_loss_ratio", json_real(t->target_loss_ratio), "loss_ratio",
        json_real(p->loss_ratio), "bank_commission", json_real(t->commission), "insurer_margin",
        json_real(t->expense + t->profit), "modules", modules);
    if (root != NULL)
        json_object_set_new(root, "anti_selection_rule",
                            json_string("claim frequency of claims modules x (1 + "
                                        "anti_selection_load) before per-claim and annual "
                                        "limits; flat fees carry no load"));
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the bank price report");
    return root;
}

json_t *dms_report_bank_projection(const dms_bank_tariff *t, const dms_bank_projection *p,
                                   dms_error *err)
{
    dms_error_clear(err);
    json_t *months = json_array();
    for (int m = 0; m < p->nmonths; m++) {
        const dms_bank_month *mo = &p->months[m];
        json_array_append_new(
            months, json_pack("{s:i, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:f, s:f, s:o}",
                              "month", mo->month, "active_start", (json_int_t)mo->active_start,
                              "lapsed", (json_int_t)mo->lapsed, "sold", (json_int_t)mo->sold,
                              "active", (json_int_t)mo->active, "premium", kop(mo->premium_kopecks),
                              "bank_commission", kop(mo->commission_kopecks), "expected_claims",
                              rub(mo->expected_claims), "claims_p5", rub(mo->claims_p5),
                              "claims_p95", rub(mo->claims_p95), "loss_ratio", mo->loss_ratio,
                              "penetration", mo->penetration, "arpu_uplift", rub(mo->arpu_uplift)));
    }
    json_t *price = dms_report_bank_price(t, &p->price, err);
    json_t *root = json_pack(
        "{s:{s:I, s:i, s:f, s:f, s:I}, s:o, s:s, s:o, s:{s:I, s:o, s:o, s:o, s:o, s:o, s:f}, "
        "s:{s:f, s:o, s:o, s:o}}",
        "inputs", "cards", (json_int_t)p->args.cards, "months", p->args.months, "uptake",
        p->args.uptake, "lapse", p->args.lapse, "new_sales", (json_int_t)p->args.new_sales, "price",
        price ? price : json_null(), "claims_band",
        "P5-P95 by the normal approximation (independent cards; monthly variance = annual / 12)",
        "months", months, "totals", "card_months", (json_int_t)p->card_months, "premium",
        kop(p->premium_kopecks), "bank_commission", kop(p->commission_kopecks), "expected_claims",
        rub(p->expected_claims), "claims_p5", rub(p->claims_p5), "claims_p95", rub(p->claims_p95),
        "loss_ratio", p->loss_ratio, "kpi", "claims_frequency_per_1000_per_year",
        p->claims_frequency_per_1000, "average_cost_per_claim", rub(p->average_claim_cost),
        "arpu_uplift_per_month", rub(p->arpu_uplift), "penetration_final",
        json_real(p->nmonths ? p->months[p->nmonths - 1].penetration : 0.0));
    if (root == NULL)
        dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the projection report");
    return root;
}

static const char *money(char *buf, size_t size, int64_t kopecks)
{
    int64_t a = kopecks < 0 ? -kopecks : kopecks;
    snprintf(buf, size, "%s%" PRId64 ".%02" PRId64, kopecks < 0 ? "-" : "", a / 100, a % 100);
    return buf;
}

int dms_report_bank_price_table(const dms_bank_tariff *t, const dms_bank_price *p, FILE *out)
{
    char b[32];
    fprintf(out, "%s (%s)\n", t->name, t->version);
    fprintf(out, "monthly price per card        %12s\n", money(b, sizeof b, p->price_kopecks));
    fprintf(out, "  expected claims             %12s\n", money(b, sizeof b, p->claims_kopecks));
    fprintf(out, "  bank commission (%4.1f%%)     %12s\n", t->commission * 100,
            money(b, sizeof b, p->commission_kopecks));
    fprintf(out, "  insurer expense (%4.1f%%)     %12s\n", t->expense * 100,
            money(b, sizeof b, p->expense_kopecks));
    fprintf(out, "  insurer profit              %12s\n", money(b, sizeof b, p->profit_kopecks));
    fprintf(out, "loss ratio %.6f (target %.4f): claims / price\n", p->loss_ratio,
            t->target_loss_ratio);
    fprintf(out,
            "annual claims per card %.2f (%.2f without anti-selection: claim frequency +%.0f%% "
            "before limits, flat fees unloaded)\n",
            p->annual_claims, p->annual_claims_base, t->anti_selection_load * 100);
    for (size_t i = 0; i < t->nmodules; i++)
        fprintf(out, "  %-20s %12.2f a year\n", t->modules[i].code, p->module_claims[i]);
    return ferror(out) ? DMS_EIO : DMS_OK;
}

int dms_report_bank_projection_table(const dms_bank_tariff *t, const dms_bank_projection *p,
                                     FILE *out)
{
    char b1[32], b2[32];
    fprintf(out,
            "%s: %ld cards, uptake %.1f%%, lapse %.1f%%/month, %ld new sales/month, price %s\n",
            t->version, p->args.cards, p->args.uptake * 100, p->args.lapse * 100, p->args.new_sales,
            money(b1, sizeof b1, p->price.price_kopecks));
    fprintf(out, "%5s %8s %7s %7s %8s %15s %14s %14s %14s %14s %6s %6s %8s\n", "month", "start",
            "lapsed", "sold", "active", "premium", "commission", "claims", "P5", "P95", "LR",
            "pen%", "ARPU+");
    for (int m = 0; m < p->nmonths; m++) {
        const dms_bank_month *mo = &p->months[m];
        fprintf(out, "%5d %8ld %7ld %7ld %8ld %15s %14s %14.2f %14.2f %14.2f %6.3f %6.2f %8.2f\n",
                mo->month, mo->active_start, mo->lapsed, mo->sold, mo->active,
                money(b1, sizeof b1, mo->premium_kopecks),
                money(b2, sizeof b2, mo->commission_kopecks), mo->expected_claims, mo->claims_p5,
                mo->claims_p95, mo->loss_ratio, mo->penetration * 100, mo->arpu_uplift);
    }
    fprintf(out, "%5s %8s %7s %7s %8ld %15s %14s %14.2f %14.2f %14.2f %6.3f\n", "total", "", "", "",
            p->card_months, money(b1, sizeof b1, p->premium_kopecks),
            money(b2, sizeof b2, p->commission_kopecks), p->expected_claims, p->claims_p5,
            p->claims_p95, p->loss_ratio);
    fprintf(out,
            "claims per 1,000 card-years %.0f; average cost per claim %.2f; ARPU uplift "
            "%.2f per card a month\n",
            p->claims_frequency_per_1000, p->average_claim_cost, p->arpu_uplift);
    fprintf(out,
            "P5-P95: normal approximation (independent cards, monthly variance = annual / 12)\n");
    return ferror(out) ? DMS_EIO : DMS_OK;
}
