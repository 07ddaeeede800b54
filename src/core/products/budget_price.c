/*
 * The budget option table's pricer: the expected claims E[min(S, L)] of
 * every option of a claims module in every rating cell, each exactly as
 * the group quote prices it. The spec of each (cell, option) is the
 * quote's own (dms_quote_module_spec) and the engine prices them all in
 * one call (dms_aggregate_limited_means), which shares the discretisation
 * between cells of the same severity and terms: the grid, the method and
 * the lattice are decided in the engine alone, so this table cannot drift
 * from the quote when the engine changes. tests/test_budget.c checks every
 * option against the quote bit for bit.
 */
#include "budget_internal.h"

#include <stdlib.h>

#include "dms/quote.h"

int dms_budget_price_claims(const dms_budget_module_space *ms, const dms_budget_law *laws,
                            size_t nlaws, double *out, dms_error *err)
{
    dms_error_clear(err);
    return dms_budget_price_claims_polled(ms, laws, nlaws, NULL, NULL, out, err);
}

/* Whether option a is priced in the call of terms b: with the same
 * per-claim terms, or any option when the call is not cut (b NULL). */
static bool same_terms(const dms_budget_option *a, const dms_budget_option *b)
{
    return b == NULL || (a->deductible == b->deductible && a->copay == b->copay);
}

int dms_budget_price_claims_polled(const dms_budget_module_space *ms, const dms_budget_law *laws,
                                   size_t nlaws, bool (*cancelled)(void *ctx), void *cancel_ctx,
                                   double *out, dms_error *err)
{
    dms_error_clear(err);
    size_t nopt = ms->noptions;
    size_t most = nlaws * nopt > 0 ? nlaws * nopt : 1;
    dms_aggregate_spec *specs = malloc(most * sizeof *specs);
    double *claims = malloc(most * sizeof *claims);
    if (specs == NULL || claims == NULL) {
        free(specs);
        free(claims);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory to price the options");
    }
    for (size_t i = 0; i < nlaws * nopt; i++)
        out[i] = 0.0; /* the options that leave the module out */
    int status = DMS_OK;
    /* With a hook, one engine call per distinct (deductible, co-pay), in
     * option order: cells and annual limits of the same terms share their
     * lattices. Without, one call for every option. */
    for (size_t first = 0; first < nopt && status == DMS_OK; first++) {
        const dms_budget_option *terms = cancelled != NULL ? &ms->options[first] : NULL;
        bool seen = !ms->options[first].included;
        for (size_t o = 0; o < first && !seen; o++)
            seen = ms->options[o].included && same_terms(&ms->options[o], terms);
        if (seen)
            continue;
        if (cancelled != NULL && cancelled(cancel_ctx)) {
            status = dms_error_cancelled(err);
            break;
        }
        size_t nspecs = 0;
        for (size_t law = 0; law < nlaws; law++)
            for (size_t o = first; o < nopt; o++) {
                const dms_budget_option *opt = &ms->options[o];
                if (!opt->included || !same_terms(opt, terms))
                    continue;
                /* The terms dms_budget_design_apply writes on the plan line. */
                dms_coverage cov = dms_coverage_full();
                cov.deductible = opt->deductible;
                cov.franchise = false;
                cov.copay = opt->copay;
                cov.claim_limit = ms->module->claim_limit;
                specs[nspecs++] =
                    dms_quote_module_spec(&laws[law].freq, &laws[law].sev, &cov, opt->annual_limit);
            }
        if ((status = dms_aggregate_limited_means(specs, nspecs, claims, err)) != DMS_OK)
            break;
        size_t k = 0;
        for (size_t law = 0; law < nlaws; law++)
            for (size_t o = first; o < nopt; o++)
                if (ms->options[o].included && same_terms(&ms->options[o], terms))
                    out[law * nopt + o] = claims[k++];
    }
    free(specs);
    free(claims);
    return status;
}
