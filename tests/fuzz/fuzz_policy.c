/*
 * libFuzzer target for the benefit policy loader: the bytes are JSON text,
 * parsed with the service's limits and loaded. A policy that loads must
 * hold its invariants (each closure holds its option and what it requires,
 * exclusions are symmetric and never meet a closure), and segment lookup
 * and eligibility must run on it for a small synthetic household.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dms/jsonread.h"
#include "dms/picker.h"
#include "dms/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const dms_policy *p)
{
    for (size_t i = 0; i < p->noptions; i++) {
        const dms_policy_option *o = &p->options[i];
        uint64_t self = UINT64_C(1) << i, excluded = 0;
        if (!(o->closure & self) || (o->requires & ~o->closure))
            abort();
        for (size_t j = 0; j < p->noptions; j++) {
            if (((o->excludes >> j) & 1) != ((p->options[j].excludes >> i) & 1))
                abort();
            if (o->closure & (UINT64_C(1) << j))
                excluded |= p->options[j].excludes;
        }
        if (o->closure & excluded)
            abort();
    }
    dms_person people[3] = {
        {.employee_id = "1",
         .region = "Москва",
         .department = "IT",
         .segment = "young",
         .birth_year = 1990,
         .birth_month = 2,
         .birth_day = 28,
         .relation = DMS_RELATION_EMPLOYEE,
         .sex = DMS_SEX_MALE,
         .work_mode = DMS_WORK_REMOTE},
        {.employee_id = "1",
         .region = "Москва",
         .department = "",
         .segment = "",
         .birth_year = 1992,
         .birth_month = 5,
         .birth_day = 1,
         .relation = DMS_RELATION_SPOUSE,
         .sex = DMS_SEX_FEMALE},
        {.employee_id = "1",
         .region = "Москва",
         .department = "",
         .segment = "",
         .birth_year = 2020,
         .birth_month = 1,
         .birth_day = 1,
         .relation = DMS_RELATION_CHILD,
         .sex = DMS_SEX_FEMALE},
    };
    dms_household h = {
        .members = {&people[0], &people[1], &people[2]}, .nmembers = 3, .tenure_months = 4};
    size_t segment;
    if (dms_policy_segment_of(p, &people[0], true, &segment, NULL) != DMS_OK)
        return;
    dms_picker_split split;
    dms_picker_split_price(&p->segments[segment], 5000000, &split);
    if (split.credits + (split.employer - split.credits) + split.employee != split.price)
        abort();
    (void)dms_picker_capacity(&p->segments[segment], -1);
    for (size_t i = 0; i < p->noptions; i++) {
        uint32_t covered;
        enum dms_picker_reason reason;
        if (dms_picker_eligible(p, segment, &h, i, &covered, &reason) != (covered != 0))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    dms_policy *policy = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK)
        return 0;
    if (dms_policy_load_json(root, NULL, &policy, &err) == DMS_OK)
        exercise(policy);
    else if (err.code == DMS_OK || policy != NULL)
        abort(); /* a refusal must say why, and leave nothing */
    dms_policy_free(policy);
    json_decref(root);
    return 0;
}
