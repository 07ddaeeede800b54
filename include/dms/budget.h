/*
 * HR budget modelling: for every segment of a census, the package design
 * (network tier and, per module, off or on with a deductible, a co-pay and
 * an annual limit) that gives the most value within a budget per head, and
 * the cheapest design that reaches a requested value; the cost of designs
 * when claims rise 10/20/30% (frequency, severity, both); and side-by-side
 * comparisons of two to four plans for one census.
 *
 * Value is a score HR can read and change (0..100 per segment). Mandatory
 * modules (outpatient care and emergency help unless the request says
 * otherwise) are always in. Every other module has a priority 0..5 per
 * segment: defaults from the segment's profile in the census (young staff
 * and families value dental, 40+ check-ups, remote staff telemedicine,
 * high-stress roles mental health), replaced by an anonymised survey's
 * mean ratings where at least DMS_BUDGET_SURVEY_MIN people of the segment
 * answered, and by HR's own priorities over both. A module with priority w
 * included at terms that pay the share q of the richest terms' expected
 * claims (any network) is worth 100 x w / (sum of priorities) x
 * (1 - T + T sqrt(q)), T = DMS_BUDGET_TERMS_SHARE: making its
 * terms richer adds less than adding the missing module of equal weight at
 * the same terms, with diminishing returns, so the optimum is a package
 * rather than a pile. Terms paying less than min_share of the richest
 * terms' claims (same network) do not count as cover and are not offered.
 *
 * A design's cost is its gross premium exactly as the group quote computes
 * it: per person the module pure premiums are summed, grossed up with the
 * admin fee and rounded by the tariff's rule, then multiplied by the head
 * count of each rating cell. The solver prices each distinct rating cell
 * (age band x sex x region class) once per network and module option, to
 * the same doubles as dms_quote_price_person but with the work cells have
 * in common done once, so that the value and the pre-rounding cost of
 * a design are sums over modules, solves the multiple-choice knapsack by
 * branch and bound with grid bounds, evaluates the leaves at their exact
 * rounded cost, and finally prices the chosen designs through
 * dms_quote_compute, which must agree to the kopeck (DMS_EINTERNAL
 * otherwise). Ties are broken stably: more value, then less cost, then the
 * lexicographically smaller design (network index, then option indices).
 */
#ifndef DMS_BUDGET_H
#define DMS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/progress.h"
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
    double target_value;    /* value score 0..100 */
} dms_budget_target;

/* ----------------------------------------------------------- value model */

#define DMS_BUDGET_MAX_PRIORITY 5
#define DMS_BUDGET_SURVEY_MIN 5    /* fewest answers of a segment a survey may use */
#define DMS_BUDGET_TERMS_SHARE 0.5 /* most of a module's value its terms can add */
#define DMS_BUDGET_MAX_MANDATORY 8
#define DMS_BUDGET_DEFAULT_MIN_SHARE 0.5 /* "min_cover_share" */

/* Segment profiles (bits): from the census, or named by HR. */
enum dms_budget_profile {
    DMS_BUDGET_PROFILE_YOUNG = 1 << 0,       /* most employees under 35 */
    DMS_BUDGET_PROFILE_FAMILY = 1 << 1,      /* most employees insure a spouse or child */
    DMS_BUDGET_PROFILE_OVER40 = 1 << 2,      /* most employees 40 or older */
    DMS_BUDGET_PROFILE_REMOTE = 1 << 3,      /* most employees work remotely */
    DMS_BUDGET_PROFILE_HIGH_STRESS = 1 << 4, /* named by HR only: the census cannot tell */
};
#define DMS_BUDGET_NPROFILES 5
const char *dms_budget_profile_name(unsigned bit); /* "young", ..., NULL for no single bit */

/* Where a module's priority came from. */
enum dms_budget_source {
    DMS_BUDGET_SOURCE_DEFAULT, /* the module's base priority */
    DMS_BUDGET_SOURCE_PROFILE, /* raised by a segment profile */
    DMS_BUDGET_SOURCE_SURVEY,  /* the survey's mean rating */
    DMS_BUDGET_SOURCE_HR,      /* HR's priorities in the request */
};
const char *dms_budget_source_name(enum dms_budget_source source);

/* The priorities of one segment, per module of the space (same order). */
typedef struct dms_budget_weights {
    double weight[DMS_PLAN_MAX_MODULES]; /* 0..5 */
    enum dms_budget_source source[DMS_PLAN_MAX_MODULES];
    unsigned profiles;         /* enum dms_budget_profile bits used for the defaults */
    double min_share;          /* least share of the richest terms' claims an included
                                  module must pay (same network), else it is no cover */
    size_t survey_respondents; /* answers the survey gave for the segment (0: none) */
    bool survey_used;          /* respondents >= DMS_BUDGET_SURVEY_MIN */
} dms_budget_weights;

/* The base priority of a module code and its profile raises (0..5). */
double dms_budget_default_priority(const char *module_code, unsigned profiles,
                                   enum dms_budget_source *source);

/* What the census says about a segment (employees only; family follows). */
typedef struct dms_budget_census_profile {
    size_t employees;
    size_t young, family, over40, remote; /* employees with the trait */
    unsigned profiles;                    /* traits held by at least half */
} dms_budget_census_profile;

/* One segment's aggregated survey answers (never per person). */
typedef struct dms_budget_survey_segment {
    bool given;
    size_t respondents;
    bool rated[DMS_PLAN_MAX_MODULES]; /* per module of the space */
    double rating[DMS_PLAN_MAX_MODULES];
} dms_budget_survey_segment;

/*
 * A budgets request (examples/budgets/): the plan-like part (name, period,
 * segment_by, scenarios, segments with code, names and rule) plus per
 * segment "budget_per_head" and/or "target_value" (score 0..100), optional
 * "priorities" {module: 0..5} and "profiles" ["young", "family", "over40",
 * "remote", "high_stress"]; top-level optional "mandatory_modules" [codes]
 * (default outpatient and emergency where the tariff has them; [] for
 * none), "priorities" {module: 0..5} for every segment, "survey"
 * {"segments": [{"segment", "respondents", "ratings": {module: 0..5}}]} of
 * mean ratings per segment (used only with at least DMS_BUDGET_SURVEY_MIN
 * respondents), "min_cover_share" (0..1: an included module must pay at
 * least this share of the expected claims its richest terms pay in the
 * same network, so that a 5,000-rouble deductible does not pass for
 * outpatient cover; default DMS_BUDGET_DEFAULT_MIN_SHARE), and an optional
 * "design_space" {"networks": [codes], "modules": [{"module", "required",
 * "deductibles", "copays", "annual_limits"}]} (modules not listed are left
 * out; lists not given take the tariff's allowed values and default limit)
 * and an optional "tolerance" (see dms_budget_solve).
 */
#define DMS_BUDGET_DEFAULT_TOLERANCE 0.0 /* exact */

typedef struct dms_budget_request {
    dms_plan *plan;   /* owned; segment networks and modules are placeholders */
    double tolerance; /* "tolerance", default DMS_BUDGET_DEFAULT_TOLERANCE: value points
                         (best within budget) or roubles per head (cheapest) */
    dms_budget_target targets[DMS_PLAN_MAX_SEGMENTS];
    dms_budget_space space; /* mandatory modules are "required" in it */
    size_t nmandatory;
    const dms_tariff_module *mandatory[DMS_BUDGET_MAX_MANDATORY]; /* borrowed */
    double min_share; /* "min_cover_share", default DMS_BUDGET_DEFAULT_MIN_SHARE */
    /* HR's priorities: all segments, then per segment (NAN where not given). */
    double priority_all[DMS_PLAN_MAX_MODULES];
    double priority[DMS_PLAN_MAX_SEGMENTS][DMS_PLAN_MAX_MODULES];
    bool profiles_set[DMS_PLAN_MAX_SEGMENTS]; /* "profiles" given: replaces the census's */
    unsigned profiles[DMS_PLAN_MAX_SEGMENTS];
    dms_budget_survey_segment survey[DMS_PLAN_MAX_SEGMENTS];
} dms_budget_request;

/* Loads a request; faults carry their JSON Pointer (prefix prepended). */
int dms_budget_request_load_json(const json_t *root, const char *prefix, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err);
int dms_budget_request_load_file(const char *path, const dms_tariff *tariff,
                                 dms_budget_request **out, dms_error *err);
void dms_budget_request_free(dms_budget_request *request);

/*
 * The priorities of segment s of request: defaults from profile (or the
 * request's "profiles"), then the survey where used, then HR's.
 */
void dms_budget_weights_resolve(const dms_budget_request *request, size_t segment,
                                const dms_budget_census_profile *profile, dms_budget_weights *out);

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
const dms_budget_census_profile *dms_budget_table_profile(const dms_budget_table *table,
                                                          size_t segment);

/*
 * Sets the priorities of segment and recomputes its values. A new table
 * holds the default priorities of each segment's census profile.
 * DMS_EINVAL for a segment out of range or a weight outside 0..5.
 */
int dms_budget_table_set_weights(dms_budget_table *table, size_t segment,
                                 const dms_budget_weights *weights);

/* True if every module of d is off or at terms that count as cover. */
bool dms_budget_table_usable(const dms_budget_table *table, size_t segment,
                             const dms_budget_design *d);

/*
 * What one module of design d gives segment: its value points, its linear
 * gross cost per head (before per-person rounding) and its expected claims
 * paid per head. Zero for a module left out.
 */
int dms_budget_table_module(const dms_budget_table *table, size_t segment,
                            const dms_budget_design *d, size_t module, double *value,
                            double *cost_per_head, double *claims_per_head);

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

/*
 * The same with a mask: allowed[m * DMS_BUDGET_MAX_OPTIONS + o] false
 * excludes option o of module m (allowed NULL: everything).
 */
int dms_budget_solve_masked(const dms_budget_table *table, size_t segment,
                            enum dms_budget_goal goal, double limit, double tolerance,
                            const bool *allowed, dms_budget_solution *out, dms_error *err);

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

/* Per module of a design: what it gives and costs (dms_budget_table_module). */
typedef struct dms_budget_breakdown {
    double value[DMS_PLAN_MAX_MODULES];
    double cost_per_head[DMS_PLAN_MAX_MODULES];
    double claims_per_head[DMS_PLAN_MAX_MODULES];
    /* Modules left out: the cheapest way in (linear cost per head, value), or NAN. */
    double add_cost[DMS_PLAN_MAX_MODULES];
    double add_value[DMS_PLAN_MAX_MODULES];
} dms_budget_breakdown;

#define DMS_BUDGET_MORE_PER_HEAD 1000.0 /* "what one more 1,000 roubles per head buys" */

/* One segment's answer. */
typedef struct dms_budget_segment_result {
    const dms_plan_segment *segment; /* borrowed from the request's plan */
    size_t people;
    dms_budget_target target;
    dms_budget_census_profile census_profile;
    dms_budget_weights weights;
    dms_budget_solution within; /* best design within budget (if asked) */
    dms_budget_breakdown within_breakdown;
    /* The best design within budget with another set of modules, and the
     * module whose inclusion differs (found false if none). */
    dms_budget_solution next;
    size_t next_module;
    dms_budget_solution more;  /* best within budget + DMS_BUDGET_MORE_PER_HEAD */
    dms_budget_solution reach; /* cheapest design reaching the target (if asked) */
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

/* How a budget run is carried out; a zeroed struct is the default. */
typedef struct dms_budget_run_options {
    dms_progress *progress; /* told of each stage and segment; NULL: none */
    /* Polled per unit of the option table, per segment solved, per checking
     * quote and inside those quotes (NULL: never), by one thread at a time,
     * so the hook need not be thread-safe. A true answer abandons the run:
     * DMS_ETOOBIG "the computation was cancelled" in diag, *out NULL, every
     * thread joined, nothing kept. The hook changes no number. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_budget_run_options;

/* dms_budget_run with options (may be NULL). */
int dms_budget_run_with(const dms_tariff *tariff, const dms_model *model, const dms_census *census,
                        const char *census_source, const dms_budget_request *request,
                        const dms_budget_run_options *options, dms_budget_result **out,
                        dms_diag *diag);
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
/* dms_budget_compare with options (may be NULL): only the cancel hook is used. */
int dms_budget_compare_with(const dms_tariff *tariff, const dms_model *model,
                            const dms_census *census, const char *census_source,
                            const dms_plan *const *plans, size_t nplans,
                            const dms_budget_run_options *options, dms_budget_comparison *out,
                            dms_diag *diag);

/*
 * Encoders (src/core/report_budget.c), shared by the CLI and the API: new
 * references, or NULL with err set. Money in roubles with kopecks.
 */
json_t *dms_report_budget(const dms_budget_result *result, dms_error *err);
json_t *dms_report_budget_compare(const dms_budget_comparison *cmp, dms_error *err);
int dms_report_budget_table(const dms_budget_result *result, FILE *out);
int dms_report_budget_compare_table(const dms_budget_comparison *cmp, FILE *out);

#endif
