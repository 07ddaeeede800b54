/*
 * Insurer tariffs (the JSON files in tariffs/): the module catalogue with
 * default limits and deductibles, clinic network tiers (эконом / стандарт /
 * бизнес / VIP) with frequency and cost factors, region classes with the
 * city names people write, allowed deductibles and co-pays, loadings,
 * group-size factors, the anti-selection load of voluntary modules and the
 * rounding rule of the gross premium. The loader validates every field and
 * reports the JSON Pointer of a bad one; the result is immutable.
 *
 *   gross = (pure + admin_fee_per_person) x (1 + contingency)
 *           / (1 - expense - commission - profit)
 */
#ifndef DMS_TARIFF_H
#define DMS_TARIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dms/error.h"
#include "dms/model.h"

#define DMS_TARIFF_MAX_ITEMS 64    /* modules, networks, regions, bands, amounts */
#define DMS_TARIFF_MAX_ALIASES 256 /* per region */
#define DMS_TARIFF_ALIAS_MAX 96    /* buffer size of one (normalised) alias */

typedef struct dms_tariff_module {
    char code[DMS_MODEL_CODE_MAX]; /* matches a model module */
    char name_ru[DMS_MODEL_NAME_MAX];
    char name_en[DMS_MODEL_NAME_MAX];
    enum dms_module_type type;
    bool optional;       /* chosen by employees: carries the anti-selection load */
    double claim_limit;  /* default per-claim limit on the loss, INFINITY for none */
    double annual_limit; /* default annual limit per person, INFINITY for none */
    double deductible;   /* default deductible per claim, 0 for none */
    double copay;        /* default co-pay share */
} dms_tariff_module;

typedef struct dms_network {
    char code[DMS_MODEL_CODE_MAX]; /* "economy", "standard", "business", "vip" */
    char name_ru[DMS_MODEL_NAME_MAX];
    char name_en[DMS_MODEL_NAME_MAX];
    double frequency_factor; /* multiplies claim frequency */
    double cost_factor;      /* multiplies claim severity and flat costs */
} dms_network;

typedef struct dms_region {
    char code[DMS_MODEL_CODE_MAX]; /* "moscow", "spb", "million_plus", "other" */
    char name_ru[DMS_MODEL_NAME_MAX];
    char name_en[DMS_MODEL_NAME_MAX];
    double factor; /* multiplies claim severity and flat costs */
    size_t naliases;
    char (*aliases)[DMS_TARIFF_ALIAS_MAX]; /* normalised names (see region_lookup) */
} dms_region;

typedef struct dms_group_band {
    long min_headcount; /* band holds groups of min_headcount up to the next band's - 1 */
    double factor;
} dms_group_band;

typedef struct dms_loadings {
    double admin_fee_per_person; /* roubles a year, added to the pure premium */
    double expense;              /* shares of the gross premium */
    double commission;
    double profit;
    double contingency; /* margin on (pure + admin) */
} dms_loadings;

enum dms_rounding_mode {
    DMS_ROUND_HALF_UP, /* "half_up": to the nearest unit, halves away from zero */
    DMS_ROUND_UP,      /* "up": to the next unit (never below the computed price) */
};

typedef struct dms_rounding {
    double unit; /* roubles: 0.01 (kopecks), 1, 10, 100 */
    enum dms_rounding_mode mode;
} dms_rounding;

typedef struct dms_tariff {
    char name[DMS_MODEL_NAME_MAX];
    char version[DMS_MODEL_CODE_MAX];
    char model[DMS_MODEL_CODE_MAX]; /* version of the model it was built on */
    char currency[4];
    long effective_from, effective_to; /* days since 1970-01-01, inclusive */
    size_t nmodules, nnetworks, nregions, ngroup_bands, ndeductibles, ncopays;
    dms_tariff_module modules[DMS_TARIFF_MAX_ITEMS];
    dms_network networks[DMS_TARIFF_MAX_ITEMS];
    size_t default_network; /* index into networks */
    dms_region regions[DMS_TARIFF_MAX_ITEMS];
    size_t fallback_region;                   /* index into regions: class of unknown names */
    double deductibles[DMS_TARIFF_MAX_ITEMS]; /* allowed amounts, increasing, roubles */
    double copays[DMS_TARIFF_MAX_ITEMS];      /* allowed shares, increasing, in [0, 1) */
    dms_loadings loadings;
    dms_group_band group_bands[DMS_TARIFF_MAX_ITEMS]; /* increasing min_headcount, [0] = 1 */
    double anti_selection_load;                       /* 0.25 = optional modules cost 25% more */
    dms_rounding rounding;                            /* of the gross premium per person per year */
} dms_tariff;

/*
 * Loads and validates a tariff file; *out is freed with dms_tariff_free.
 * Errors as for dms_model_load_file.
 */
int dms_tariff_load_file(const char *path, dms_tariff **out, dms_error *err);
int dms_tariff_load_json(const json_t *root, dms_tariff **out, dms_error *err);

/* NULL is a no-op. */
void dms_tariff_free(dms_tariff *tariff);

/* Lookups by code; NULL if absent. */
const dms_tariff_module *dms_tariff_find_module(const dms_tariff *tariff, const char *code);
const dms_network *dms_tariff_find_network(const dms_tariff *tariff, const char *code);
const dms_region *dms_tariff_find_region(const dms_tariff *tariff, const char *code);

/*
 * Maps a region or city as people write it ("Москва", "г. Москва",
 * " moscow ", "СПб", "Питер", "Ростов на Дону") to its region class. The
 * match ignores case (Latin and Cyrillic, ё = е), surrounding blanks, a
 * leading "г." / "г " / "город", and treats hyphens and runs of blanks as
 * one space; codes and names of the classes match too. An unknown name
 * gives the fallback class with *fallback = true (fallback may be NULL) and
 * DMS_OK; DMS_EINVAL only for NULL, empty or over-long text.
 */
int dms_tariff_region_lookup(const dms_tariff *tariff, const char *name, const dms_region **out,
                             bool *fallback);

/*
 * Writes the normalised form of a region name into buf (size bytes); false
 * if it does not fit or the text is not valid UTF-8.
 */
bool dms_tariff_normalize_name(const char *name, char *buf, size_t size);

/* Group-size factor for a group of headcount >= 1 people. */
int dms_tariff_group_factor(const dms_tariff *tariff, long headcount, double *factor,
                            dms_error *err);

/* True if amount / share is one of the allowed deductibles / co-pays. */
bool dms_tariff_deductible_allowed(const dms_tariff *tariff, double amount);
bool dms_tariff_copay_allowed(const dms_tariff *tariff, double share);

/* (pure + admin) (1 + contingency) / (1 - expense - commission - profit),
 * not rounded. */
double dms_tariff_gross(const dms_tariff *tariff, double pure);

/* Applies the rounding rule to an amount in roubles. */
double dms_tariff_round(const dms_tariff *tariff, double amount);

/*
 * The loading chain, written once: every price (quote lines and totals,
 * the picker's menu, the budget's option table and designs, funding) runs
 * through these, so they give the same kopecks for the same claims.
 * Amounts are roubles a year per person.
 */
typedef struct dms_loaded {
    double expected_claims, group_size_load, anti_selection, pure_premium;
    double admin_fee, contingency, expense, commission, profit;
    double gross;    /* before rounding */
    double rounding; /* rounded - gross */
    int64_t gross_kopecks;
} dms_loaded;

/* (1 + contingency) / (1 - expense - commission - profit): gross per
 * rouble of pure premium (the admin fee aside). */
double dms_tariff_gross_factor(const dms_tariff *tariff);

/*
 * One module line of one person: claims x group-size factor, the
 * anti-selection load when the line is voluntary, contingency and the
 * shares of gross. No admin fee (it belongs to the person); the line's
 * gross is rounded to the kopeck only, so its printed row adds up.
 */
void dms_tariff_load_line(const dms_tariff *tariff, double claims, double group_factor,
                          bool voluntary, dms_loaded *out);

/*
 * One person from the sum of their lines' pure premiums: the admin fee,
 * contingency, shares of gross and the tariff's rounding rule.
 * out->expected_claims, group_size_load and anti_selection are left 0.
 */
void dms_tariff_load_person(const dms_tariff *tariff, double pure_premium, dms_loaded *out);

/*
 * Checks that every tariff module exists in the model with the same type.
 * DMS_ENOTFOUND (or DMS_EINVAL for a type mismatch) at the pointer
 * /modules/<i>/code of the tariff.
 */
int dms_tariff_check_model(const dms_tariff *tariff, const dms_model *model, dms_error *err);

#endif
