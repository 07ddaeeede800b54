/*
 * libFuzzer target for the tariff loader: the bytes are JSON text, parsed
 * with the service's limits and loaded; a tariff that loads is queried the
 * way the quote does (regions by name, group factors, gross and rounding).
 */
#include <stdint.h>
#include <stdlib.h>

#include "dms/jsonread.h"
#include "dms/tariff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    dms_tariff *tariff = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK)
        return 0;
    if (dms_tariff_load_json(root, &tariff, &err) == DMS_OK) {
        static const char *const names[] = {"Москва", "г. Санкт-Петербург", "Казань", "x", ""};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            const dms_region *reg;
            bool fallback;
            if (dms_tariff_region_lookup(tariff, names[i], &reg, &fallback) == DMS_OK &&
                reg == NULL)
                abort();
        }
        double factor;
        (void)dms_tariff_group_factor(tariff, 120, &factor, NULL);
        (void)dms_tariff_round(tariff, dms_tariff_gross(tariff, 12345.678));
    } else if (err.code == DMS_OK) {
        abort(); /* a refusal must say why */
    }
    dms_tariff_free(tariff);
    json_decref(root);
    return 0;
}
