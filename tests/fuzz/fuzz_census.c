/*
 * libFuzzer target for the census loaders: every input is parsed both as CSV
 * and as JSON, and the contract is checked, not just the absence of crashes:
 * success means no diagnostics and people with valid fields; failure means no
 * census and at least one located diagnostic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/census.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int status, dms_census *c, const dms_diag *diag, bool csv, size_t size)
{
    if (status == DMS_OK) {
        if (c == NULL || dms_diag_count(diag) != 0)
            abort();
        if (c->employees + c->spouses + c->children != c->count)
            abort();
        for (size_t i = 0; i < c->count; i++) {
            const dms_person *p = &c->people[i];
            if (p->employee_id[0] == '\0' || p->region[0] == '\0' || p->department == NULL ||
                p->segment == NULL)
                abort();
            if (!dms_census_valid_date(p->birth_year, p->birth_month, p->birth_day) ||
                p->birth_year < 1900)
                abort();
            if (csv && (p->line < 2 || (size_t)p->line > size + 1))
                abort();
            if (dms_census_age(p, p->birth_year, p->birth_month, p->birth_day) != 0)
                abort();
        }
        return;
    }
    if (c != NULL || dms_diag_count(diag) == 0)
        abort();
    const dms_error *e = dms_diag_get(diag, 0);
    if (e == NULL || e->code != status || e->message[0] == '\0')
        abort();
    if (csv && status == DMS_EPARSE && (e->line < 1 || e->column < 1))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_diag *diag = NULL;
    dms_census *c = NULL;
    if (dms_diag_alloc(16, &diag) != DMS_OK)
        return 0;
    int status = dms_census_parse_csv((const char *)data, size, "fuzz.csv", &c, diag);
    check(status, c, diag, true, size);
    dms_census_free(c);
    c = NULL;
    dms_diag_clear(diag);
    status = dms_census_parse_json((const char *)data, size, &c, diag);
    check(status, c, diag, false, size);
    dms_census_free(c);
    dms_diag_free(diag);
    return 0;
}
