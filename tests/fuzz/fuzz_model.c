/*
 * libFuzzer target for the model loader: the bytes are JSON text, parsed
 * with the service's limits and loaded; a model that loads is rated for
 * every module, band and sex, which must never fail on validated input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dms/jsonread.h"
#include "dms/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    dms_model *model = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK)
        return 0;
    if (dms_model_load_json(root, &model, &err) == DMS_OK) {
        dms_model_adjust adj = dms_model_adjust_neutral();
        adj.trend_years = 2;
        adj.scenario = model->scenarios[DMS_SCENARIO_PESSIMISTIC];
        for (size_t i = 0; i < model->nmodules; i++)
            for (size_t b = 0; b < model->nbands; b++)
                for (int sex = 0; sex < DMS_MODEL_SEXES; sex++) {
                    dms_model_rated rated;
                    if (dms_model_rate(model, &model->modules[i], b, sex, &adj, &rated, NULL) ==
                        DMS_OK)
                        (void)dms_model_rated_pure(&model->modules[i], &rated);
                }
        size_t band;
        (void)dms_model_age_band(model, 42, &band, NULL);
    } else if (err.code == DMS_OK) {
        abort(); /* a refusal must say why */
    }
    dms_model_free(model);
    json_decref(root);
    return 0;
}
