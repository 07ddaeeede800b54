/*
 * libFuzzer target for plan files: the input is JSON text for
 * dms_plan_load_json. A plan that loads is also used to assign a small fixed
 * census to segments, so rules, column matching and the assignment run on
 * whatever the loader accepted. Every refusal must carry a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char census_csv[] = "employee_id;relation;birth_date;sex;region;department;segment;"
                                 "work_mode\n"
                                 "1;сотрудник;01.02.1990;М;Москва;ИТ;офис;удалённо\n"
                                 "1;ребёнок;01.02.2020;Ж;Москва;;;\n"
                                 "2;employee;1960-05-05;F;Казань;Sales;production;office\n"
                                 "2;spouse;1961-05-05;M;Казань;;;\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dms_census *census;
    if (census == NULL &&
        dms_census_parse_csv(census_csv, strlen(census_csv), "fuzz", &census, NULL) != DMS_OK)
        abort();
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_json_parse_text((const char *)data, size, &root, &err) != DMS_OK) {
        if (err.message[0] == '\0')
            abort();
        return 0;
    }
    dms_plan *plan = NULL;
    if (dms_plan_load_json(root, "/plan", &plan, &err) == DMS_OK) {
        size_t segment_of[4];
        dms_diag *diag = NULL;
        dms_diag_alloc(4, &diag);
        if (dms_plan_assign(plan, census, "fuzz", segment_of, diag) == DMS_OK)
            for (size_t i = 0; i < census->count; i++)
                if (segment_of[i] >= plan->nsegments)
                    abort();
        dms_diag_free(diag);
        dms_plan_free(plan);
    } else if (err.message[0] == '\0' || strncmp(err.path, "/plan", 5) != 0) {
        abort(); /* a refusal must say why, under the given prefix */
    }
    json_decref(root);
    return 0;
}
