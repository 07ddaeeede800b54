/*
 * libFuzzer target for the ISO date reader (dms_date_split): whatever it
 * accepts must be a real day that prints back as exactly the input and
 * survives the day-number round trip; whatever it refuses leaves zeros.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[32];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int y, m, d;
    if (!dms_date_split(text, &y, &m, &d)) {
        if (y != 0 || m != 0 || d != 0)
            abort();
        return 0;
    }
    if (d < 1 || d > dms_date_month_days(y, m))
        abort();
    char back[11];
    if (strcmp(dms_date_format(dms_date_days(y, m, d), back), text) != 0)
        abort();
    return 0;
}
