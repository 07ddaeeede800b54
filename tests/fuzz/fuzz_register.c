/*
 * libFuzzer target for the claims register parser and the membership
 * history reader. Every input is parsed as both, and the contract is
 * checked, not only the absence of crashes: success means no diagnostics and
 * lines with valid amounts, dates and a known module; failure means no
 * result and at least one located diagnostic with the failing status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/claims.h"
#include "dms/exposure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_diag *diag = NULL, *warn = NULL;
    if (dms_diag_alloc(8, &diag) != DMS_OK || dms_diag_alloc(8, &warn) != DMS_OK)
        abort();
    dms_register *reg = NULL;
    int status = dms_claims_parse_csv((const char *)data, size, "f.csv", &reg, diag, warn);
    if (status == DMS_OK) {
        if (reg == NULL || dms_diag_count(diag) != 0)
            abort();
        for (size_t i = 0; i < reg->count; i++) {
            const dms_claim_line *l = &reg->lines[i];
            if (l->claim_id[0] == '\0' || l->employee_id[0] == '\0' || l->module == NULL)
                abort();
            if (l->billed < 0 || l->paid < 0 || l->copay < 0 || l->paid + l->copay > l->billed)
                abort();
            if (l->visit_day > l->service_day || l->line < 2 || (size_t)l->line > size + 1)
                abort();
            const char *mod = dms_claims_category_module(l->category, strlen(l->category));
            if (mod == NULL || strcmp(mod, l->module) != 0)
                abort();
        }
        if (reg->ndropped != dms_diag_count(warn) && dms_diag_count(warn) <= DMS_CLAIMS_MAX_DROPPED)
            abort();
    } else {
        if (reg != NULL || dms_diag_count(diag) == 0)
            abort();
        const dms_error *e = dms_diag_get(diag, 0);
        if (e == NULL || e->message[0] == '\0' || (status == DMS_EPARSE && e->line < 1))
            abort();
    }
    dms_register_free(reg);
    dms_diag_clear(diag);

    dms_membership *m = NULL;
    status = dms_membership_parse_csv((const char *)data, size, "m.csv", &m, diag);
    if (status == DMS_OK) {
        if (m == NULL || dms_diag_count(diag) != 0)
            abort();
        for (size_t i = 0; i < m->count; i++) {
            const dms_member *x = &m->members[i];
            if (x->detach_day < x->attach_day)
                abort();
            double mm = dms_exposure_member_months(x, x->attach_day, x->attach_day + 400);
            if (!(mm > 0.0 && mm <= 14.0))
                abort();
        }
    } else if (m != NULL || dms_diag_count(diag) == 0) {
        abort();
    }
    dms_membership_free(m);
    dms_diag_free(diag);
    dms_diag_free(warn);
    return 0;
}
