/*
 * Encoders of the bank add-on price and portfolio projection: JSON shared
 * by the CLI and the HTTP API, and tables for people. Money in roubles with
 * kopecks, taken from the exact kopeck figures where there are some.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* Roubles from kopecks, exact; a decimal comma in Russian. */
static const char *money(char *buf, size_t size, int64_t kopecks, bool ru)
{
    int64_t a = kopecks < 0 ? -kopecks : kopecks;
    snprintf(buf, size, "%s%" PRId64 "%c%02" PRId64, kopecks < 0 ? "-" : "", a / 100,
             ru ? ',' : '.', a % 100);
    return buf;
}

/* v with prec decimals; a decimal comma in Russian. */
static const char *num(char *buf, size_t size, double v, int prec, bool ru)
{
    snprintf(buf, size, "%.*f", prec, v);
    char *dot = ru ? strchr(buf, '.') : NULL;
    if (dot != NULL)
        *dot = ',';
    return buf;
}

/* text then spaces up to width characters (not bytes: UTF-8 Russian). */
static void label(FILE *out, const char *text, int width)
{
    int chars = 0;
    for (const char *c = text; *c != '\0'; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    fprintf(out, "%s%*s", text, width > chars ? width - chars : 0, "");
}

int dms_report_bank_price_table(const dms_bank_tariff *t, const dms_bank_price *p, bool ru,
                                FILE *out)
{
    char b[32], x[32], y[32];
    fprintf(out, "%s (%s)\n", t->name, t->version);
    label(out, ru ? "цена на карту в месяц" : "monthly price per card", 30);
    fprintf(out, "%12s\n", money(b, sizeof b, p->price_kopecks, ru));
    label(out, ru ? "  ожидаемые выплаты" : "  expected claims", 30);
    fprintf(out, "%12s\n", money(b, sizeof b, p->claims_kopecks, ru));
    char what[64];
    snprintf(what, sizeof what, ru ? "  комиссия банка (%s%%)" : "  bank commission (%s%%)",
             num(x, sizeof x, t->commission * 100, 1, ru));
    label(out, what, 30);
    fprintf(out, "%12s\n", money(b, sizeof b, p->commission_kopecks, ru));
    snprintf(what, sizeof what, ru ? "  расходы страховщика (%s%%)" : "  insurer expense (%s%%)",
             num(x, sizeof x, t->expense * 100, 1, ru));
    label(out, what, 30);
    fprintf(out, "%12s\n", money(b, sizeof b, p->expense_kopecks, ru));
    label(out, ru ? "  прибыль страховщика" : "  insurer profit", 30);
    fprintf(out, "%12s\n", money(b, sizeof b, p->profit_kopecks, ru));
    fprintf(out,
            ru ? "убыточность %s (цель %s): выплаты / цена\n"
               : "loss ratio %s (target %s): claims / price\n",
            num(x, sizeof x, p->loss_ratio, 6, ru), num(y, sizeof y, t->target_loss_ratio, 4, ru));
    char z[32];
    fprintf(out,
            ru ? "годовые выплаты на карту %s (%s без антиселекции: частота обращений +%s%% до "
                 "лимитов, фиксированные платежи без надбавки)\n"
               : "annual claims per card %s (%s without anti-selection: claim frequency +%s%% "
                 "before limits, flat fees unloaded)\n",
            num(x, sizeof x, p->annual_claims, 2, ru),
            num(y, sizeof y, p->annual_claims_base, 2, ru),
            num(z, sizeof z, t->anti_selection_load * 100, 0, ru));
    for (size_t i = 0; i < t->nmodules; i++)
        fprintf(out, ru ? "  %-20s %12s в год\n" : "  %-20s %12s a year\n", t->modules[i].code,
                num(x, sizeof x, p->module_claims[i], 2, ru));
    return ferror(out) ? DMS_EIO : DMS_OK;
}

int dms_report_bank_projection_table(const dms_bank_tariff *t, const dms_bank_projection *p,
                                     bool ru, FILE *out)
{
    char b1[32], b2[32], n[8][32];
    fprintf(out,
            ru ? "%s: карт %ld, подключение %s%%, отказы %s%% в месяц, новых продаж %ld в месяц, "
                 "цена %s\n"
               : "%s: %ld cards, uptake %s%%, lapse %s%%/month, %ld new sales/month, price %s\n",
            t->version, p->args.cards, num(n[0], 32, p->args.uptake * 100, 1, ru),
            num(n[1], 32, p->args.lapse * 100, 1, ru), p->args.new_sales,
            money(b1, sizeof b1, p->price.price_kopecks, ru));
    static const char *const heads[2][13] = {
        {"month", "start", "lapsed", "sold", "active", "premium", "commission", "claims", "P5",
         "P95", "LR", "pen%", "ARPU+"},
        {"месяц", "начало", "отказ", "продано", "активных", "премия", "комиссия", "выплаты", "P5",
         "P95", "убыт.", "охв.%", "ARPU+"},
    };
    static const int widths[13] = {5, 8, 7, 7, 8, 15, 14, 14, 14, 14, 6, 6, 8};
    for (int c = 0; c < 13; c++) {
        int chars = 0;
        for (const char *x = heads[ru][c]; *x != '\0'; x++)
            chars += ((unsigned char)*x & 0xC0) != 0x80;
        fprintf(out, "%s%*s%s", c > 0 ? " " : "", widths[c] > chars ? widths[c] - chars : 0, "",
                heads[ru][c]);
    }
    fputc('\n', out);
    for (int m = 0; m < p->nmonths; m++) {
        const dms_bank_month *mo = &p->months[m];
        fprintf(out, "%5d %8ld %7ld %7ld %8ld %15s %14s %14s %14s %14s %6s %6s %8s\n", mo->month,
                mo->active_start, mo->lapsed, mo->sold, mo->active,
                money(b1, sizeof b1, mo->premium_kopecks, ru),
                money(b2, sizeof b2, mo->commission_kopecks, ru),
                num(n[0], 32, mo->expected_claims, 2, ru), num(n[1], 32, mo->claims_p5, 2, ru),
                num(n[2], 32, mo->claims_p95, 2, ru), num(n[3], 32, mo->loss_ratio, 3, ru),
                num(n[4], 32, mo->penetration * 100, 2, ru), num(n[5], 32, mo->arpu_uplift, 2, ru));
    }
    fprintf(out, "%5s %8s %7s %7s %8ld %15s %14s %14s %14s %14s %6s\n", ru ? "итого" : "total", "",
            "", "", p->card_months, money(b1, sizeof b1, p->premium_kopecks, ru),
            money(b2, sizeof b2, p->commission_kopecks, ru),
            num(n[0], 32, p->expected_claims, 2, ru), num(n[1], 32, p->claims_p5, 2, ru),
            num(n[2], 32, p->claims_p95, 2, ru), num(n[3], 32, p->loss_ratio, 3, ru));
    fprintf(out,
            ru ? "выплат на 1 000 карт-лет %s; средняя выплата %s; рост ARPU %s на карту в месяц\n"
               : "claims per 1,000 card-years %s; average cost per claim %s; ARPU uplift %s per "
                 "card a month\n",
            num(n[0], 32, p->claims_frequency_per_1000, 0, ru),
            num(n[1], 32, p->average_claim_cost, 2, ru), num(n[2], 32, p->arpu_uplift, 2, ru));
    fputs(ru ? "P5-P95: нормальное приближение (карты независимы, дисперсия за месяц = годовая / "
               "12)\n"
             : "P5-P95: normal approximation (independent cards, monthly variance = annual / 12)\n",
          out);
    return ferror(out) ? DMS_EIO : DMS_OK;
}
