/*
 * Shared by budget.c (the option table) and budget_price.c (its pricer):
 * the expected claims of every option of a claims module for many rating
 * cells at once, bit for bit what the group quote computes for each of
 * them, with the work the options and cells have in common done once (by
 * the engine). Not part of the public API.
 */
#ifndef DMS_BUDGET_INTERNAL_H
#define DMS_BUDGET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/budget.h"
#include "dms/dist.h"

/* The law of one claims module in one rating cell (and network). */
typedef struct dms_budget_law {
    dms_frequency freq;
    dms_severity sev;
} dms_budget_law;

/*
 * E[min(S, L)] per person a year for every option of ms (a claims module)
 * and each of the nlaws laws, as the group quote prices a cell of that law
 * with the option's terms (dms_quote_compute, dms_quote_price_person):
 * out[law * ms->noptions + option], 0 for an option that leaves the
 * module out. The engine prices them in one call
 * (dms_aggregate_limited_means), sharing what the cells have in common.
 */
int dms_budget_price_claims(const dms_budget_module_space *ms, const dms_budget_law *laws,
                            size_t nlaws, double *out, dms_error *err);

/*
 * dms_budget_price_claims polling cancelled(cancel_ctx) (NULL: never)
 * before each distinct pair of deductible and co-pay of the options: the
 * engine's call is cut along those terms, which every lattice it shares
 * depends on, so the numbers are those of the one call. A true answer
 * returns DMS_ETOOBIG, the cancel error.
 */
int dms_budget_price_claims_polled(const dms_budget_module_space *ms, const dms_budget_law *laws,
                                   size_t nlaws, bool (*cancelled)(void *ctx), void *cancel_ctx,
                                   double *out, dms_error *err);

#endif
