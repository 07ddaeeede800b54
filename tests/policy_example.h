/*
 * What the tests know about examples/policies/midsize-2026.json: the index of
 * each optional module in its options array, and BIT(i) for option masks.
 */
#ifndef DMS_POLICY_EXAMPLE_H
#define DMS_POLICY_EXAMPLE_H

#include <stdint.h>

#define EXAMPLE_POLICY "examples/policies/midsize-2026.json"

#define BIT(i) (UINT64_C(1) << (i))

/* Option indices of the example policy. */
enum {
    DENTAL_STANDARD,
    DENTAL_BUSINESS,
    HOME_VISITS,
    HOSPITAL_PLANNED,
    CHECKUP,
    TELEMEDICINE,
    MENTAL_HEALTH,
    FAMILY_OUTPATIENT,
    FAMILY_EMERGENCY,
    CHILD_HOME_VISITS,
    FAMILY_DENTAL,
};

#endif
