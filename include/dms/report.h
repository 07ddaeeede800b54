/*
 * JSON encoders shared by the CLI and the HTTP API: the same result is the
 * same bytes whichever door it leaves by. Ownership: every function returns
 * a new reference the caller must json_decref, or NULL with err set.
 */
#ifndef DMS_REPORT_H
#define DMS_REPORT_H

#include <stdio.h>

#include <jansson.h>
#include "dms/aggregate.h"
#include "dms/csvwrite.h"

/* Probabilities reported as "quantiles" of one person's annual cost. */
extern const double dms_report_quantile_levels[3];

/*
 * {"mean", "variance", "limited_mean", "p_exceed", "quantiles": {"0.5",
 * "0.9", "0.99"}, "span", "method", "points" | "sims"}. span is null for
 * Monte Carlo. A lattice result may add "tail": {"from", "span", "points"}
 * (the coarse lattice beyond the fine one) and, when the point budget did
 * not allow the default accuracy, "accuracy": {"note",
 * "quantiles_relative": {...}, "limited_mean_relative",
 * "p_exceed_absolute"} with the estimated errors (dms_aggdist_accuracy).
 */
json_t *dms_report_aggregate(const dms_aggregate_spec *spec, const dms_aggdist *dist,
                             dms_error *err);

struct dms_quote;

/*
 * The group quote as JSON: inputs and versions, per segment and in total the
 * head counts, per scenario every loading step and the gross premium (money
 * in roubles rounded to kopecks; per-segment gross adds up exactly to the
 * total), per module lines, and the percentiles of the group's total claims
 * beside the normal approximation.
 */
json_t *dms_report_quote(const struct dms_quote *quote, dms_error *err);

/* The same as a table a person can check, or as CSV (one row per segment
 * or total x module x scenario) through the one writer (csvwrite.h): money
 * exact to the kopeck; in DMS_CSV_RU Russian headers, module names from the
 * tariff and scenario names, BOM, ';' and decimal comma. */
int dms_report_quote_table(const struct dms_quote *quote, FILE *out);
/* The table in DMS_CSV_RU: Russian words, a decimal comma, columns aligned
 * by characters; DMS_CSV_EN is dms_report_quote_table. */
int dms_report_quote_table_lang(const struct dms_quote *quote, dms_csv_lang lang, FILE *out);
int dms_report_quote_csv(const struct dms_quote *quote, dms_csv_lang lang, FILE *out);

/* Flags for json_dumps that every front end uses for reals. */
#define DMS_JSON_DUMP_FLAGS (JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER)

#endif
