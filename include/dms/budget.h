/*
 * HR budget modelling: for every segment of a census, the package design
 * (network tier and, per module, off or on with a deductible, a co-pay and
 * an annual limit) that gives the most coverage value within a budget per
 * head, and the cheapest design that reaches a requested coverage value; the
 * cost of designs when claims rise 10/20/30% (frequency, severity, both);
 * and side-by-side comparisons of two to four plans for one census.
 *
 * Coverage value is the expected claims the insurer pays per person a year
 * in the base scenario (roubles). A design's cost is its gross premium
 * exactly as the group quote computes it: per person the module pure
 * premiums are summed, grossed up with the admin fee and rounded by the
 * tariff's rule, then multiplied by the head count of each rating cell. The
 * solver prices each distinct rating cell (age band x sex x region class)
 * once per network and module option (dms_quote_price_person), so that the
 * value and the pre-rounding cost of a design are sums over modules; it then
 * solves the multiple-choice knapsack exactly by merging Pareto sets of
 * (cost, value) with a dominance margin that covers the per-person rounding,
 * evaluates the survivors at their exact rounded cost, and finally prices
 * the chosen designs through dms_quote_compute, which must agree to the
 * kopeck (DMS_EINTERNAL otherwise).
 */
#ifndef DMS_BUDGET_H
#define DMS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/diag.h"
#include "dms/model.h"
#include "dms/plan.h"
#include "dms/tariff.h"

#define DMS_BUDGET_MAX_OPTIONS 128 /* options of one module, "off" included */
#define DMS_BUDGET_MAX_PLANS 4     /* designs in one comparison */

/* One way to include a module (or not). */
typedef struct dms_budget_option {
    bool included;
    double deductible;   /* roubles per claim (ordinary deductible) */
    double copay;        /* share the member pays */
    double annual_limit; /* roubles per person a year, INFINITY for none */
} dms_budget_option;

typedef struct dms_budget_module_space {
    const dms_tariff_module *module; /* borrowed from the tariff */
    size_t noptions;
    dms_budget_option options[DMS_BUDGET_MAX_OPTIONS]; /* [0] is "off" unless required */
} dms_budget_module_space;

/* The design space: a network times one option per module. */
typedef struct dms_budget_space {
    size_t nnetworks;
    const dms_network *networks[DMS_TARIFF_MAX_ITEMS]; /* borrowed */
    size_t nmodules;
    dms_budget_module_space modules[DMS_PLAN_MAX_MODULES]; /* in tariff catalogue order */
} dms_budget_space;

/*
 * The full design space of a tariff: every network; every module may be off;
 * claims modules take every allowed deductible x every allowed co-pay at the
 * tariff's default annual limit; flat modules are off or on.
 */
int dms_budget_space_default(const dms_tariff *tariff, dms_budget_space *out, dms_error *err);

/* Number of designs: networks x product of the modules' option counts. */
double dms_budget_space_size(const dms_budget_space *space);

/* What HR asks of one segment; NAN where not asked. */
typedef struct dms_budget_target {
    double budget_per_head; /* roubles a year */
    double target_value;    /* expected claims paid per person a year */
} dms_budget_target;

/*
 * A budgets request (examples/budgets/): the plan-like part (name, period,
 * segment_by, scenarios, segments with code, names and rule) plus per
 * segment "budget_per_head" and/or "target_value", and an optional
 * "design_space" {"networks": [codes], "modules": [{"module", "required",
 * "deductibles", "copays", "annual_limits"}]} (modules not listed are left
 * out; lists not given take the tariff's allowed values and default limit)
 * and an optional "tolerance" (see dms_budget_solve).
 */
#define DMS_BUDGET_DEFAULT_TOLERANCE 5.0 /* roubles per head */

typedef struct dms_budget_request {
    dms_plan *plan;   /* owned; segment networks and modules are placeholders */
    double tolerance; /* roubles per head: "tolerance", default DMS_BUDGET_DEFAULT_TOLERANCE */
    dms_budget_target targets[DMS_PLAN_MAX_SEGMENTS];
    dms_budget_space space;
} dms_budget_request;

/* Loads a request; faults carry their JSON Pointer (prefix prepended). */
int dms_budget_request_load_json(const json_t *root, const char *prefix, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err);
int dms_budget_request_load_file(const char *path, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err);
void dms_budget_request_free(dms_budget_request *request);

/* A design of the space: a network index and an option index per module. */
typedef struct dms_budget_design {
    size_t network;
    size_t option[DMS_PLAN_MAX_MODULES];
} dms_budget_design;

/* Per-cell prices of every option of a space for one census and plan. */
typedef struct dms_budget_table dms_budget_table;

/*
 * Prices every option of space for every rating cell of census (people
 * assigned to plan's segments). Borrowed arguments must outlive the table.
 * Faults go into diag; the result is then not DMS_OK and *out NULL.
 */
int dms_budget_table_alloc(const dms_tariff *tariff, const dms_model *model, const dms_plan *plan,
                           const dms_census *census, const char *census_source,
                           const dms_budget_space *space, dms_budget_table **out, dms_diag *diag);
void dms_budget_table_free(dms_budget_table *table);

size_t dms_budget_table_cells(const dms_budget_table *table); /* distinct rating cells */
size_t dms_budget_table_people(const dms_budget_table *table, size_t segment);

/*
 * The exact gross premium of design d for segment (kopecks, as the quote
 * computes it) and its value per head (may be NULL). DMS_EINVAL for an
 * index out of range.
 */
int dms_budget_table_evaluate(const dms_budget_table *table, size_t segment,
                              const dms_budget_design *d, int64_t *gross_kopecks, double *value);

enum dms_budget_goal {
    DMS_BUDGET_BEST_WITHIN, /* most value with gross <= budget per head x people */
    DMS_BUDGET_CHEAPEST,    /* least gross with value >= target */
};

typedef struct dms_budget_solution {
    bool found;
    dms_budget_design design;
    int64_t gross_kopecks; /* segment total */
    double value;          /* per head */
    size_t frontier_max;   /* points of the largest bound table (work measure) */
    size_t evaluated;      /* designs priced exactly (work measure) */
} dms_budget_solution;

/*
 * Solves goal for segment: limit is the budget per head (roubles) or the
 * target value. The design returned always meets the limit exactly (its
 * rounded gross within the budget, or its value at least the target); its
 * value (BEST_WITHIN) or cost per head (CHEAPEST) is within tolerance
 * roubles of the optimum, which a bound proves; tolerance 0 gives the exact
 * optimum (practical on small spaces: value follows cost closely, so large
 * spaces hold very many near-ties). Ties: most value then least cost
 * (BEST_WITHIN), least cost then most value (CHEAPEST). found = false if
 * nothing qualifies. DMS_ETOOBIG if the search had to stop.
 */
int dms_budget_solve(const dms_budget_table *table, size_t segment, enum dms_budget_goal goal,
                     double limit, double tolerance, dms_budget_solution *out, dms_error *err);

/* The same by trying every design (for tests); DMS_ETOOBIG over max_designs. */
int dms_budget_solve_exhaustive(const dms_budget_table *table, size_t segment,
                                enum dms_budget_goal goal, double limit, double max_designs,
                                dms_budget_solution *out, dms_error *err);

/* Writes design d into a plan segment (network and module lines, none voluntary). */
void dms_budget_design_apply(const dms_budget_space *space, const dms_budget_design *d,
                             dms_plan_segment *segment);

/* The claims shocks of the sensitivity table. */
#define DMS_BUDGET_NSHOCKS 10
typedef struct dms_budget_shock {
    const char *name; /* "base", "frequency+10%", ..., "both+30%" */
    double frequency, severity;
} dms_budget_shock;
extern const dms_budget_shock dms_budget_shocks[DMS_BUDGET_NSHOCKS];
#define DMS_BUDGET_PESSIMISTIC (DMS_BUDGET_NSHOCKS - 1) /* both +30% */

/* A plan priced under every shock (quotes without percentiles). */
typedef struct dms_budget_sensitivity {
    size_t nsegments;
    size_t people[DMS_PLAN_MAX_SEGMENTS];
    size_t total_people;
    int64_t gross_kopecks[DMS_BUDGET_NSHOCKS][DMS_PLAN_MAX_SEGMENTS];
    double claims[DMS_BUDGET_NSHOCKS][DMS_PLAN_MAX_SEGMENTS]; /* expected, roubles */
    int64_t total_kopecks[DMS_BUDGET_NSHOCKS];
    double total_claims[DMS_BUDGET_NSHOCKS];
} dms_budget_sensitivity;

int dms_budget_sensitivity_compute(const dms_tariff *tariff, const dms_model *model,
                                   const dms_plan *plan, const dms_census *census,
                                   const char *census_source, dms_budget_sensitivity *out,
                                   dms_diag *diag);

/* One segment's answer. */
typedef struct dms_budget_segment_result {
    const dms_plan_segment *segment; /* borrowed from the request's plan */
    size_t people;
    dms_budget_target target;
    dms_budget_solution within; /* best design within budget (if asked) */
    dms_budget_solution reach;  /* cheapest design reaching the target (if asked) */
} dms_budget_segment_result;

typedef struct dms_budget_result {
    const dms_budget_request *request; /* borrowed */
    const dms_tariff *tariff;
    const dms_model *model;
    double space_size;
    size_t cells;
    double table_seconds, solve_seconds; /* wall time of pricing and solving */
    size_t nsegments;
    dms_budget_segment_result segments[DMS_PLAN_MAX_SEGMENTS];
    /* Segments without an answer are quoted with every module off. */
    dms_plan *within_plan, *reach_plan;
    dms_budget_sensitivity within_sensitivity, reach_sensitivity;
} dms_budget_result;

/*
 * Runs a budgets request on census: table, solve per segment and goal,
 * verification of every chosen design through dms_quote_compute and the
 * sensitivity table. *out is freed with dms_budget_result_free.
 */
int dms_budget_run(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                   const char *census_source, const dms_budget_request *request,
                   dms_budget_result **out, dms_diag *diag);
void dms_budget_result_free(dms_budget_result *result);

/* Two to four plans for one census side by side. */
typedef struct dms_budget_comparison {
    size_t nplans;
    const dms_plan *plans[DMS_BUDGET_MAX_PLANS]; /* borrowed */
    dms_budget_sensitivity results[DMS_BUDGET_MAX_PLANS];
} dms_budget_comparison;

int dms_budget_compare(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                       const char *census_source, const dms_plan *const *plans, size_t nplans,
                       dms_budget_comparison *out, dms_diag *diag);

/*
 * Encoders (src/core/report_budget.c), shared by the CLI and the API: new
 * references, or NULL with err set. Money in roubles with kopecks.
 */
json_t *dms_report_budget(const dms_budget_result *result, dms_error *err);
json_t *dms_report_budget_compare(const dms_budget_comparison *cmp, dms_error *err);
int dms_report_budget_table(const dms_budget_result *result, FILE *out);
int dms_report_budget_compare_table(const dms_budget_comparison *cmp, FILE *out);

#endif
