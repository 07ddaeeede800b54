/*
 * libFuzzer target for the bank add-on inputs: the bytes are JSON text, fed
 * to the bank tariff loader and to the projection request reader; a
 * refusal must say why, and accepted projection inputs are projected with a
 * fixed price.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/bank.h"
#include "dms/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK)
        return 0;
    dms_bank_tariff *tariff = NULL;
    dms_error_clear(&err);
    if (dms_bank_tariff_load_json(root, &tariff, &err) != DMS_OK && err.code == DMS_OK)
        abort();
    dms_bank_tariff_free(tariff);
    dms_bank_projection_args args;
    dms_error_clear(&err);
    if (dms_bank_projection_args_load_json(root, "/body", &args, &err) == DMS_OK) {
        dms_bank_price price;
        memset(&price, 0, sizeof price);
        price.price_kopecks = 120528;
        price.commission_kopecks = 36158;
        price.monthly_claims = 662.9;
        price.monthly_variance = 650000;
        dms_bank_projection *p = malloc(sizeof *p);
        if (p != NULL && dms_bank_projection_compute(NULL, &price, &args, p, &err) == DMS_OK) {
            long prev = 0;
            for (int m = 0; m < p->nmonths; m++) {
                if (p->months[m].active_start != prev || p->months[m].active > args.cards ||
                    p->months[m].active < 0)
                    abort();
                prev = p->months[m].active;
            }
        }
        free(p);
    } else if (err.code == DMS_OK) {
        abort();
    }
    json_decref(root);
    return 0;
}
