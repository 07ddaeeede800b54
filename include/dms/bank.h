/*
 * Bank premium-card DMS add-on: a retail tariff (tariffs/bank-premium-card-
 * 2026.json: the package with its limits, the expected cardholder age/sex
 * and region mix, the anti-selection load of a voluntary purchase, the bank
 * commission, insurer expense and profit, the target loss ratio), the
 * monthly price per card that meets the target loss ratio, and a month-by-
 * month portfolio projection with the KPIs banks track.
 *
 * Definitions. Anti-selection (people who buy cover expect to use it)
 * raises the claim FREQUENCY of every claims module by the tariff's load,
 * before the per-claim and annual limits apply, so no module's expected
 * claims can exceed its annual limit; a flat fee (telemedicine
 * subscription) is not a claim and carries no load. Expected claims per
 * card are the model's expected insurer payments for the package so
 * loaded, averaged over the cardholder mix, per month = per year / 12: C,
 * kept unrounded. Loss ratio = claims / gross premium. The monthly price P
 * is the smallest whole number of kopecks with C / P <= target loss ratio
 * (C rounded only for printing); the tariff's shares (loss ratio +
 * commission + expense + profit) add up to 1, commission and expense are
 * P x their share rounded to the kopeck, and the insurer's profit is the
 * rest, so the printed breakdown adds up to P exactly.
 */
#ifndef DMS_BANK_H
#define DMS_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/error.h"
#include "dms/model.h"

#define DMS_BANK_MAX_MODULES 8
#define DMS_BANK_MAX_MIX 32
#define DMS_BANK_MAX_MONTHS 60

typedef struct dms_bank_module {
    char code[DMS_MODEL_CODE_MAX];
    double deductible;   /* roubles per claim, ordinary */
    double copay;        /* share the cardholder pays */
    double claim_limit;  /* INFINITY for none */
    double annual_limit; /* INFINITY for none */
} dms_bank_module;

typedef struct dms_bank_mix {
    int age; /* representative age */
    enum dms_sex sex;
    double share; /* of cardholders; the shares add up to 1 */
} dms_bank_mix;

typedef struct dms_bank_region {
    char name[DMS_MODEL_NAME_MAX];
    double factor; /* severity and flat-cost factor */
    double share;  /* of cardholders; the shares add up to 1 */
} dms_bank_region;

typedef struct dms_bank_tariff {
    char name[DMS_MODEL_NAME_MAX];
    char version[DMS_MODEL_CODE_MAX];
    char model[DMS_MODEL_CODE_MAX];
    char period_from[11], period_to[11];
    char network[DMS_MODEL_CODE_MAX];
    double network_frequency, network_cost;
    size_t nmodules, nmix, nregions;
    dms_bank_module modules[DMS_BANK_MAX_MODULES];
    dms_bank_mix mix[DMS_BANK_MAX_MIX];
    dms_bank_region regions[DMS_BANK_MAX_MIX];
    double anti_selection_load;
    double commission, expense, profit; /* shares of the gross premium */
    double target_loss_ratio;
} dms_bank_tariff;

/* Loads and validates a bank tariff; faults carry their JSON Pointer. */
int dms_bank_tariff_load_json(const json_t *root, dms_bank_tariff **out, dms_error *err);
int dms_bank_tariff_load_file(const char *path, dms_bank_tariff **out, dms_error *err);
void dms_bank_tariff_free(dms_bank_tariff *tariff);

typedef struct dms_bank_price {
    double annual_claims_base;                       /* per card, without anti-selection, roubles */
    double annual_claims;                            /* with anti-selection (frequency loaded) */
    double module_claims[DMS_BANK_MAX_MODULES];      /* per card a year, with anti-selection */
    double module_claims_base[DMS_BANK_MAX_MODULES]; /* the same without it */
    double monthly_claims;                           /* per card, unrounded */
    double monthly_variance;    /* per card, roubles^2 (annual variance / 12) */
    double claims_per_year;     /* expected claim count per card-year (claims modules) */
    double claims_module_cost;  /* expected claims of the claims modules per card-year */
    int64_t claims_kopecks;     /* C rounded to the kopeck, for printing only */
    int64_t price_kopecks;      /* P: monthly price per card */
    int64_t commission_kopecks; /* per card per month */
    int64_t expense_kopecks;
    int64_t profit_kopecks; /* P - C - commission - expense */
    double loss_ratio;      /* unrounded C / P */
} dms_bank_price;

/* The smallest whole number of kopecks P with monthly_claims (roubles, not
 * rounded) / P <= target_loss_ratio; 1 when there are no claims. */
int64_t dms_bank_smallest_price(double monthly_claims, double target_loss_ratio);

/*
 * Prices the add-on with model. DMS_EINVAL (pointer /package/<i>/module)
 * for a module the model lacks; numerical faults as dms_aggregate_compute.
 */
int dms_bank_price_compute(const dms_bank_tariff *tariff, const dms_model *model,
                           dms_bank_price *out, dms_error *err);

typedef struct dms_bank_projection_args {
    long cards;     /* premium cards in the bank's base */
    int months;     /* 1..DMS_BANK_MAX_MONTHS */
    double uptake;  /* share of the base that buys the add-on in month 1 */
    double lapse;   /* share of active add-ons cancelled each month (from month 2) */
    long new_sales; /* add-ons sold each month from month 2 (capped by the base) */
} dms_bank_projection_args;

dms_bank_projection_args dms_bank_projection_args_default(void);

/* Reads {"cards", "months", "uptake", "lapse", "new_sales"} (all but cards
 * optional) into *args, starting from the defaults. */
int dms_bank_projection_args_load_json(const json_t *root, const char *prefix,
                                       dms_bank_projection_args *args, dms_error *err);

typedef struct dms_bank_month {
    int month;
    long active_start, lapsed, sold, active; /* active = start - lapsed + sold, billed */
    int64_t premium_kopecks;                 /* active x P */
    int64_t commission_kopecks;              /* active x commission per card */
    double expected_claims;                  /* active x monthly claims, roubles */
    double claims_p5, claims_p95;
    double loss_ratio;  /* expected claims / premium */
    double penetration; /* active / cards */
    double arpu_uplift; /* commission / cards: bank income per card of the base, roubles */
} dms_bank_month;

typedef struct dms_bank_projection {
    dms_bank_projection_args args;
    dms_bank_price price;
    int nmonths;
    dms_bank_month months[DMS_BANK_MAX_MONTHS];
    long card_months;
    int64_t premium_kopecks, commission_kopecks;
    double expected_claims, claims_p5, claims_p95, loss_ratio;
    double claims_frequency_per_1000; /* claims per 1,000 card-years */
    double average_claim_cost;        /* claims modules' cost per claim, roubles */
    double arpu_uplift;               /* average over the months */
} dms_bank_projection;

/*
 * Projects the portfolio month by month. The P5-P95 band of a month's
 * claims is the NORMAL APPROXIMATION mean -/+ 1.645 sd with variance
 * active x per-card monthly variance (cards independent; a card's monthly
 * variance is its annual variance / 12, exact for compound Poisson without
 * an annual limit); the band of the total adds the monthly variances.
 */
int dms_bank_projection_compute(const dms_bank_tariff *tariff, const dms_bank_price *price,
                                const dms_bank_projection_args *args, dms_bank_projection *out,
                                dms_error *err);

/* Encoders (src/core/report_bank.c), shared by the CLI and the API. */
json_t *dms_report_bank_price(const dms_bank_tariff *tariff, const dms_bank_price *price,
                              dms_error *err);
json_t *dms_report_bank_projection(const dms_bank_tariff *tariff, const dms_bank_projection *p,
                                   dms_error *err);
/* ru: Russian words and a decimal comma (the CLI's --lang ru). */
int dms_report_bank_price_table(const dms_bank_tariff *tariff, const dms_bank_price *price, bool ru,
                                FILE *out);
int dms_report_bank_projection_table(const dms_bank_tariff *tariff, const dms_bank_projection *p,
                                     bool ru, FILE *out);

#endif
