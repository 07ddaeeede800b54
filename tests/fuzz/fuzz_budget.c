/*
 * libFuzzer target for the budgets request loader: the bytes are JSON text
 * loaded against the sample corporate tariff (read once from the working
 * directory; the target does nothing without it). A refusal must say why;
 * an accepted request must have a design space of sane size.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dms/budget.h"
#include "dms/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dms_tariff *shared_tariff(void)
{
    static dms_tariff *tariff; /* loaded once: read-only afterwards */
    static int tried;
    if (!tried) {
        tried = 1;
        if (dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, NULL) != DMS_OK)
            tariff = NULL;
    }
    return tariff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const dms_tariff *tariff = shared_tariff();
    if (tariff == NULL)
        return 0;
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK)
        return 0;
    dms_budget_request *req = NULL;
    dms_error_clear(&err);
    if (dms_budget_request_load_json(root, "/body", tariff, &req, &err) == DMS_OK) {
        if (req == NULL || req->plan == NULL || req->space.nnetworks == 0 ||
            !(dms_budget_space_size(&req->space) >= 1))
            abort();
    } else if (err.code == DMS_OK || req != NULL) {
        abort();
    }
    dms_budget_request_free(req);
    json_decref(root);
    return 0;
}
