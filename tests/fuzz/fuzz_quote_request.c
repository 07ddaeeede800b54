/*
 * libFuzzer target for the POST /v1/quotes decoder (JSON -> plan + census).
 * A request that decodes is priced against the shipped tariff and model
 * without percentiles, so nothing the decoder accepts can crash the quote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "dms/api_quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dms_tariff *tariff;
    static dms_model *model;
    if (tariff == NULL) {
        gsl_set_error_handler_off();
        if (dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, NULL) != DMS_OK ||
            dms_model_load_file("models/ru-2026.json", &model, NULL) != DMS_OK)
            abort(); /* run from the repository root */
    }
    dms_api_quote_request req;
    dms_error err;
    dms_error_clear(&err);
    if (dms_api_decode_quote((const char *)data, size, &req, &err) != DMS_OK) {
        if (err.message[0] == '\0')
            abort(); /* every refusal says why */
        return 0;
    }
    if (req.census->count <= 200) {
        dms_quote_options opts = dms_quote_options_default();
        opts.percentiles = false;
        dms_quote *q = NULL;
        dms_diag *diag = NULL;
        dms_diag_alloc(4, &diag);
        if (dms_quote_compute(tariff, model, req.plan, req.census, &opts, &q, diag, NULL) ==
            DMS_OK) {
            json_t *out = dms_api_quote_response(q, diag, NULL);
            if (out == NULL)
                abort();
            json_decref(out);
        } else if (dms_diag_count(diag) == 0) {
            abort();
        }
        dms_quote_free(q);
        dms_diag_free(diag);
    }
    dms_api_quote_request_free(&req);
    return 0;
}
