/*
 * libFuzzer target for the HR file parser (sick-leave days and leavers):
 * any bytes either parse into rows with an employee id and sick days in
 * 0..366, or are refused with at least one fault.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dms/effectiveness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dms_diag *diag = NULL;
    if (dms_diag_alloc(16, &diag) != DMS_OK)
        return 0;
    dms_hr_file *hr = NULL;
    int status = dms_hr_parse_csv((const char *)data, size, "fuzz", &hr, diag);
    if (status == DMS_OK) {
        if (hr == NULL)
            abort();
        for (size_t i = 0; i < hr->count; i++)
            if (hr->rows[i].employee_id == NULL || hr->rows[i].employee_id[0] == '\0' ||
                !(hr->rows[i].sick_days_before >= 0 && hr->rows[i].sick_days_before <= 366) ||
                !(hr->rows[i].sick_days_after >= 0 && hr->rows[i].sick_days_after <= 366))
                abort();
    } else if (hr != NULL || (status == DMS_EPARSE && dms_diag_count(diag) == 0)) {
        abort();
    }
    dms_hr_free(hr);
    dms_diag_free(diag);
    return 0;
}
