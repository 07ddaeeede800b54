/*
 * The group quote: a census priced under a plan with a tariff and a model.
 * People are grouped into rating cells (segment x age band x sex x region
 * class) and each cell is priced once: per module the distribution of the
 * insurer's annual payment per person min(S, L) (dms_aggregate), then the
 * loadings of the tariff. For each scenario the quote gives per segment and
 * in total the headcount, the expected claims and pure premium per module,
 * every loading step and the gross premium, in kopecks that add up exactly;
 * and the percentiles of the group's total claims from the convolution of
 * the per-person distributions (each cell's raised to its head count), with
 * the normal approximation beside them.
 */
#ifndef DMS_QUOTE_H
#define DMS_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/aggregate.h"
#include "dms/census.h"
#include "dms/diag.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/tariff.h"

#define DMS_QUOTE_NPERCENTILES 5
extern const double dms_quote_percentile_levels[DMS_QUOTE_NPERCENTILES]; /* .5 .75 .9 .95 .99 */

typedef struct dms_quote_options {
    bool percentiles; /* compute the group's total-claims distribution */
    /* Percentiles by the reference method instead: every cell's total by its
     * own convolution, then all of them moved onto the group's lattice (a
     * 2,000th of its sd), persons on a fortieth of their sd, no spread taken
     * back. Slower; the tests check the default method against it: every
     * percentile within 0.002 sd (test_coarse_grid_error_is_stated). */
    bool reference_percentiles;
    /* Price the scenarios one after another in the calling thread (else one
     * thread each): for servers that already run a request per core. */
    bool single_thread;
    const char *census_source; /* file name for census line references */
    /* Polled per rating cell, per cell of the group distribution and inside
     * each module's aggregate (NULL: never), from the quote's threads one at
     * a time, so the hook need not be thread-safe. A true answer abandons
     * the quote: DMS_ETOOBIG "the computation was cancelled" in diag, *out
     * NULL, every thread joined, nothing kept. The hook changes no number. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_quote_options;

dms_quote_options dms_quote_options_default(void);

/* Amounts of a money block, in print order. */
enum dms_quote_money_part {
    DMS_MONEY_EXPECTED_CLAIMS,
    DMS_MONEY_GROUP_SIZE_LOAD,
    DMS_MONEY_ANTI_SELECTION,
    DMS_MONEY_PURE_PREMIUM,
    DMS_MONEY_ADMIN_FEE,
    DMS_MONEY_CONTINGENCY,
    DMS_MONEY_EXPENSE,
    DMS_MONEY_COMMISSION,
    DMS_MONEY_PROFIT,
    DMS_MONEY_ROUNDING,
    DMS_QUOTE_MONEY_PARTS
};

/* Money of one block (a module line, a segment, the group), one scenario.
 * Roubles a year for the whole block; gross_kopecks is the exact total. */
typedef struct dms_quote_money {
    double expected_claims; /* sum of E[min(S, L)] (flat modules: their cost) */
    double group_size_load; /* expected_claims x (group factor - 1) */
    double anti_selection;  /* on voluntary modules */
    double pure_premium;    /* claims + the two loads above */
    double admin_fee;       /* per person fee x people */
    double contingency;     /* (pure + admin) x contingency */
    double expense;         /* shares of the gross before rounding */
    double commission;
    double profit;
    double rounding;       /* rounded gross - computed gross */
    int64_t gross_kopecks; /* after the tariff's rounding rule, per person then summed */
    /* The ten amounts above as printed, in whole kopecks, in their order
     * (expected_claims ... rounding), so that every printed row adds up
     * exactly: claims, group-size load and anti-selection are each rounded
     * to the kopeck and pure is their sum; admin ... rounding are rounded
     * up or down by largest remainder so that pure + admin + contingency +
     * expense + commission + profit + rounding = gross_kopecks. The group's
     * total row is the sum of the segments' rows. */
    int64_t kopecks[DMS_QUOTE_MONEY_PARTS];
} dms_quote_money;

/*
 * Why a line does or does not carry the anti-selection load. Only what
 * employees choose themselves (a plan line marked "voluntary": true, or an
 * option of the employee picker) is anti-selected; the tariff's "optional"
 * flag says what MAY be offered as a choice, not that it was.
 */
enum dms_anti_selection_reason {
    DMS_ANTISEL_VOLUNTARY,     /* plan line or picker option chosen by employees: applied */
    DMS_ANTISEL_NOT_VOLUNTARY, /* plan says "voluntary": false: not applied */
    DMS_ANTISEL_NOT_MARKED,    /* plan says nothing: employer-paid, not applied */
};

/* "voluntary", "not_voluntary", "not_marked". */
const char *dms_anti_selection_reason_name(enum dms_anti_selection_reason reason);
/* One sentence for people, English then Russian. */
const char *dms_anti_selection_reason_text(enum dms_anti_selection_reason reason);

typedef struct dms_quote_line {
    const dms_tariff_module *module; /* borrowed from the tariff */
    bool voluntary;                  /* carries the anti-selection load */
    enum dms_anti_selection_reason anti_selection_reason;
    dms_coverage cov;    /* the terms priced (plan over tariff defaults) */
    double annual_limit; /* INFINITY for none */
    dms_quote_money money[DMS_SCENARIO_COUNT];
} dms_quote_line;

typedef struct dms_quote_block {
    size_t people, employees, spouses, children;
    double average_age;
    dms_quote_money money[DMS_SCENARIO_COUNT];
} dms_quote_block;

typedef struct dms_quote_segment {
    const dms_plan_segment *plan; /* borrowed from the plan */
    const dms_network *network;   /* borrowed from the tariff */
    dms_quote_block total;
    size_t nlines;
    dms_quote_line lines[DMS_PLAN_MAX_MODULES];
} dms_quote_segment;

/*
 * The group's total claims a year (claims modules and flat fees). mean is
 * the money's expected claims and sd the exact one of the modules' capped
 * lattices, neither of them moved by any grid. The percentiles come from
 * the convolution on a lattice of span sd / 60 with the spread of moving
 * persons onto it taken back: within 0.002 sd of the reference method
 * (about 5e-4 of the percentile for groups of 60 to 100,000 people).
 */
typedef struct dms_quote_distribution {
    double mean, sd;
    double percentiles[DMS_QUOTE_NPERCENTILES]; /* from the convolution */
    double normal[DMS_QUOTE_NPERCENTILES];      /* normal approximation */
} dms_quote_distribution;

typedef struct dms_quote {
    const dms_tariff *tariff; /* borrowed: tariff, model, plan outlive the quote */
    const dms_model *model;
    const dms_plan *plan;
    dms_scenario scenarios[DMS_SCENARIO_COUNT]; /* the shocks applied */
    double trend_years;
    double group_factor;
    size_t cells; /* distinct rating cells priced */
    size_t nsegments;
    dms_quote_segment *segments;
    dms_quote_block total;
    bool has_distribution;
    dms_quote_distribution distribution[DMS_SCENARIO_COUNT];
    size_t region_fallbacks; /* people whose region the tariff did not know */
} dms_quote;

/*
 * Prices census under plan. Every fault (unknown module, network or
 * deductible not allowed by the tariff, person without a segment) goes
 * into diag with its JSON Pointer in the plan or census line; the result is
 * then DMS_EINVAL and *out NULL. Unknown regions are priced at the tariff's
 * fallback class: each distinct unknown name is added to warnings (may be
 * NULL) as a DMS_ENOTFOUND record at its first census line, and the people
 * are counted in region_fallbacks; warnings never make the quote fail.
 */
int dms_quote_compute(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                      const dms_census *census, const dms_quote_options *options, dms_quote **out,
                      dms_diag *diag, dms_diag *warnings);

void dms_quote_free(dms_quote *quote);

/*
 * The aggregate spec with which the group quote prices a claims module for
 * one person of a rating cell: the cell's rated frequency and severity, the
 * line's terms and annual limit (INFINITY for none), only min(S, L) wanted,
 * on the quote's grid. dms_aggregate_limited_means of such specs gives the
 * quote's expected claims of many cells at once (the budget's table).
 */
dms_aggregate_spec dms_quote_module_spec(const dms_frequency *freq, const dms_severity *sev,
                                         const dms_coverage *cov, double annual_limit);

/* Who is priced by dms_quote_price_person. */
typedef struct dms_rated_person {
    int age; /* whole years at the period start */
    enum dms_sex sex;
    const char *region; /* as people write it; unknown names use the fallback class */
} dms_rated_person;

/*
 * Prices one person for a list of modules under the same rules as the group
 * quote (rating cell of one, the group-size factor of group_headcount,
 * anti-selection on voluntary modules): the employee module picker's menu.
 * Writes per module the expected claims and the gross premium a year
 * (roubles, before the per-person rounding, admin fee not included) into
 * claims[] and gross[] (nmodules each; claims may be NULL); *admin_gross
 * (may be NULL) receives the gross of the per-person admin fee. Faults
 * carry the pointer /modules/<i>/... of the offending line.
 */
int dms_quote_price_person(const dms_tariff *tariff, const dms_model *model,
                           const char *period_from, const char *period_to, const char *network,
                           const dms_plan_module *modules, size_t nmodules,
                           const dms_rated_person *person, long group_headcount,
                           enum dms_scenario_kind scenario, double *claims, double *gross,
                           double *admin_gross, dms_error *err);

/*
 * Cell prices are kept process-wide, keyed by the exact inputs of each
 * module's aggregate (a hit gives the very doubles a fresh computation
 * would): the cache is bounded and thread-safe. Clear empties it (and the
 * engine's kept payment lattices, dms_aggregate_cache_clear) and zeroes
 * the counters; stats reads how many lookups hit and missed since.
 */
void dms_quote_cache_clear(void);
void dms_quote_cache_stats(unsigned long long *hits, unsigned long long *misses);

#endif
