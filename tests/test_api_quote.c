/*
 * The /v1/quotes decoder and response, without a server: inline JSON and
 * CSV censuses, scenario overrides, and the pointer of every kind of fault
 * (malformed JSON, bad plan value, bad census row in JSON and in CSV text,
 * both or neither census given, unknown keys).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "dms/api_quote.h"

static const char *plan_json =
    "{\"name\":\"p\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
    "\"segments\":[{\"code\":\"all\",\"name_ru\":\"все\",\"name_en\":\"all\","
    "\"network\":\"standard\",\"modules\":[{\"module\":\"outpatient\"}]}]}";

static int decode(const char *body_fmt, const char *a, const char *b, dms_api_quote_request *req,
                  dms_error *err)
{
    char body[8192];
    snprintf(body, sizeof body, body_fmt, a, b);
    dms_error_clear(err);
    return dms_api_decode_quote(body, strlen(body), req, err);
}

static void test_inline_json_and_csv(void **state)
{
    (void)state;
    dms_api_quote_request req;
    dms_error err;
    assert_int_equal(
        decode("{\"plan\":%s,\"census\":[{\"employee_id\":\"1\",\"relation\":\"employee\","
               "\"birth_date\":\"1990-01-01\",\"sex\":\"M\",\"region\":\"Москва\"}],"
               "\"scenarios\":{\"pessimistic\":{\"frequency\":1.3}},\"tariff\":\"%s\"}",
               plan_json, "corporate-2026", &req, &err),
        DMS_OK);
    assert_int_equal(req.census->count, 1);
    assert_string_equal(req.tariff, "corporate-2026");
    assert_true(req.percentiles);
    assert_true(req.plan->scenario_set[DMS_SCENARIO_PESSIMISTIC]);
    assert_true(req.plan->scenarios[DMS_SCENARIO_PESSIMISTIC].frequency == 1.3);
    assert_true(req.plan->scenarios[DMS_SCENARIO_PESSIMISTIC].severity == 1.0);
    dms_api_quote_request_free(&req);
    assert_int_equal(decode("{\"plan\":%s,\"census_csv\":\"%s\",\"percentiles\":false}", plan_json,
                            "Табельный номер;Связь;Дата рождения;Пол;Регион\\r\\n"
                            "7;сотрудник;01.02.1985;Ж;Казань\\r\\n",
                            &req, &err),
                     DMS_OK);
    assert_int_equal(req.census->count, 1);
    assert_false(req.percentiles);
    dms_api_quote_request_free(&req);
}

static void test_faults_have_places(void **state)
{
    (void)state;
    dms_api_quote_request req;
    dms_error err;
    /* Malformed JSON: line and column. */
    assert_int_equal(decode("{\"plan\":%s,\n\"census\": [%s}", plan_json, "", &req, &err),
                     DMS_EPARSE);
    assert_int_equal(err.line, 2);
    /* A bad plan value: its pointer under /plan. */
    const char *bad_plan =
        "{\"name\":\"p\",\"period\":{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"},"
        "\"segments\":[{\"code\":\"all\",\"name_ru\":\"все\",\"name_en\":\"all\","
        "\"network\":\"standard\",\"modules\":[{\"module\":\"outpatient\",\"copay\":7}]}]}";
    assert_int_equal(decode("{\"plan\":%s,\"census\":%s}", bad_plan, "[]", &req, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/plan/segments/0/modules/0/copay");
    /* A bad census row in JSON. */
    assert_int_equal(
        decode("{\"plan\":%s,\"census\":[{\"employee_id\":\"1\",\"relation\":\"employee\","
               "\"birth_date\":\"%s\",\"sex\":\"M\",\"region\":\"Москва\"}]}",
               plan_json, "1990-02-30", &req, &err),
        DMS_EINVAL);
    assert_string_equal(err.path, "/census/0/birth_date");
    /* A bad census row in CSV text: the pointer of the text and line:column in it. */
    assert_int_equal(decode("{\"plan\":%s,\"census_csv\":\"%s\"}", plan_json,
                            "employee_id,relation,birth_date,sex,region\\n"
                            "1,employee,1990-01-01,X,Москва\\n",
                            &req, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/census_csv");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 23);
    /* Both censuses, or neither. */
    assert_int_equal(decode("{\"plan\":%s,\"census\":[],\"census_csv\":\"%s\"}", plan_json, "x",
                            &req, &err),
                     DMS_EINVAL);
    assert_int_equal(decode("{\"plan\":%s%s}", plan_json, "", &req, &err), DMS_EINVAL);
    /* Unknown keys and a missing plan. */
    assert_int_equal(decode("{\"plan\":%s,\"census\":[],\"colour\":\"%s\"}", plan_json, "red",
                            &req, &err),
                     DMS_EINVAL);
    assert_string_equal(err.path, "/colour");
    assert_int_equal(decode("{\"census\":[]%s%s}", "", "", &req, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/plan");
    /* Wrong type at the top. */
    assert_int_equal(decode("[%s%s]", "", "", &req, &err), DMS_EINVAL);
}

static void test_response_has_the_quote_and_warnings(void **state)
{
    (void)state;
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    assert_int_equal(dms_tariff_load_file("tariffs/corporate-2026.json", &tariff, NULL), DMS_OK);
    assert_int_equal(dms_model_load_file("models/ru-2026.json", &model, NULL), DMS_OK);
    dms_api_quote_request req;
    dms_error err;
    assert_int_equal(decode("{\"plan\":%s,\"census_csv\":\"%s\"}", plan_json,
                            "employee_id,relation,birth_date,sex,region\\n"
                            "1,employee,1990-01-01,M,Тмутаракань\\n2,employee,1980-01-01,F,СПб\\n",
                            &req, &err),
                     DMS_OK);
    dms_diag *warnings = NULL;
    dms_diag_alloc(0, &warnings);
    dms_quote *q = NULL;
    assert_int_equal(dms_quote_compute(tariff, model, req.plan, req.census, NULL, &q, NULL, warnings),
                     DMS_OK);
    json_t *out = dms_api_quote_response(q, warnings, &err);
    assert_non_null(out);
    assert_int_equal(json_array_size(json_object_get(out, "warnings")), 1);
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(out, "warnings"), 0)),
                           "Тмутаракань"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "total"), "people")), 2);
    json_decref(out);
    dms_quote_free(q);
    dms_diag_free(warnings);
    dms_api_quote_request_free(&req);
    dms_tariff_free(tariff);
    dms_model_free(model);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_json_and_csv),
        cmocka_unit_test(test_faults_have_places),
        cmocka_unit_test(test_response_has_the_quote_and_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
