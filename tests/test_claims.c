/*
 * Tests of the claims register parser: Russian and English headers, amounts
 * with thousands separators and decimal commas, category -> module mapping,
 * statuses, occurrence numbers of repeated claim ids, diagnosis and name
 * columns dropped with a warning (and their values nowhere in the result),
 * and every fault at its exact line:column, all bad rows reported.
 */
#include "dms/claims.h"

#include <limits.h>
#include <string.h>

#include "testutil.h"

static const char *register_ru =
    "\xEF\xBB\xBFНомер случая;Номер полиса;Табельный номер;Связь;Дата обращения;"
    "Дата оказания услуги;Категория услуги;Диагноз (МКБ-10);ЛПУ;Стоимость услуги;"
    "Оплачено страховщиком;Соплатёж;Статус\r\n"
    "C1;P-1;E1;сотрудник;10.01.2025;10.01.2025;АПП;J06.9;Клиника А;2 500,00;2 500,00;0;"
    "оплачено\r\n"
    "C1;P-1;E1;сотрудник;10.01.2025;12.01.2025;АПП;J06.9;Клиника А;1 200,50;1 080,45;120,05;"
    "оплачено\r\n"
    "C2;P-2;E1;ребёнок;;03.02.2025;Стоматология;K02.1;\"Дент, ООО\";4300;4300;;отказ\r\n";

static void test_parse_ru(void **state)
{
    (void)state;
    dms_diag *diag = NULL, *warn = NULL;
    dms_register *reg = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_diag_alloc(0, &warn), DMS_OK);
    assert_int_equal(
        dms_claims_parse_csv(register_ru, strlen(register_ru), "r.csv", &reg, diag, warn), DMS_OK);
    assert_int_equal(dms_diag_count(diag), 0);
    assert_int_equal(reg->count, 3);
    /* the diagnosis column is announced and dropped */
    assert_int_equal(dms_diag_count(warn), 1);
    const dms_error *w = dms_diag_get(warn, 0);
    assert_int_equal(w->line, 1);
    assert_int_equal(w->column, 102);
    assert_non_null(strstr(w->message, "never stored"));
    assert_int_equal(reg->ndropped, 1);
    assert_string_equal(reg->dropped[0], "Диагноз (МКБ-10)");
    const dms_claim_line *l = &reg->lines[1];
    assert_string_equal(l->claim_id, "C1");
    assert_true(l->claim_id == reg->lines[0].claim_id); /* interned */
    assert_int_equal(l->occurrence, 1);
    assert_int_equal(reg->lines[0].occurrence, 0);
    assert_string_equal(l->module, "outpatient");
    assert_string_equal(l->category, "АПП");
    assert_true(l->billed == 120050 && l->paid == 108045 && l->copay == 12005);
    assert_true(l->visit_day == dms_claims_days(2025, 1, 10));
    assert_true(l->service_day == dms_claims_days(2025, 1, 12));
    assert_true(l->birth_day == LONG_MIN);
    assert_int_equal(l->line, 3);
    l = &reg->lines[2];
    assert_string_equal(l->module, "dental");
    assert_string_equal(l->clinic, "Дент, ООО");
    assert_int_equal(l->relation, DMS_RELATION_CHILD);
    assert_int_equal(l->status, DMS_CLAIM_REJECTED);
    assert_false(dms_claims_counts(l));
    assert_true(l->visit_day == l->service_day);
    assert_true(l->copay == 0);
    /* no diagnosis text anywhere in the lines */
    for (size_t i = 0; i < reg->count; i++) {
        assert_null(strstr(reg->lines[i].category, "J06"));
        assert_null(strstr(reg->lines[i].clinic, "K02"));
    }
    char key[128];
    assert_string_equal(dms_claims_person_key(&reg->lines[2], key, sizeof key), "P:P-2");
    dms_register_free(reg);
    dms_diag_free(diag);
    dms_diag_free(warn);
}

static void test_parse_en_minimal(void **state)
{
    (void)state;
    const char *t = "claim_id,employee_id,service_date,category,amount_billed,amount_paid\n"
                    "X,7,2025-03-01,dental,1000.5,900\n"
                    "\n"
                    "Y,7,2025-03-02,Скорая помощь,\"1 000,00\",1000\n"
                    "Z,8,2025-03-03,чек-ап,10,10\n";
    dms_register *reg = NULL;
    assert_int_equal(dms_claims_parse_csv(t, strlen(t), "e.csv", &reg, NULL, NULL), DMS_OK);
    assert_int_equal(reg->count, 3);
    assert_true(reg->lines[0].billed == 100050);
    assert_int_equal(reg->lines[0].relation, DMS_RELATION_EMPLOYEE);
    assert_int_equal(reg->lines[0].status, DMS_CLAIM_PAID);
    assert_string_equal(reg->lines[1].module, "emergency");
    assert_true(reg->lines[1].billed == 100000); /* quoted decimal comma */
    assert_string_equal(reg->lines[2].module, "checkup");
    assert_int_equal(reg->lines[2].line, 5);
    char key[128];
    assert_string_equal(dms_claims_person_key(&reg->lines[0], key, sizeof key), "E:7/employee");
    dms_register_free(reg);
}

static void expect_error(const char *text, int line, int column, const char *fragment)
{
    dms_diag *diag = NULL;
    dms_register *reg = (dms_register *)&reg;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_claims_parse_csv(text, strlen(text), "r.csv", &reg, diag, NULL),
                     DMS_EPARSE);
    assert_null(reg);
    const dms_error *e = dms_diag_get(diag, 0);
    assert_non_null(e);
    if (e->line != line || e->column != column || strstr(e->message, fragment) == NULL)
        print_error("got %d:%d %s\n", e->line, e->column, e->message);
    assert_int_equal(e->line, line);
    assert_int_equal(e->column, column);
    assert_non_null(strstr(e->message, fragment));
    assert_string_equal(e->source, "r.csv");
    dms_diag_free(diag);
}

#define H "claim_id;employee_id;service_date;category;amount_billed;amount_paid;copay\n"

static void test_errors(void **state)
{
    (void)state;
    expect_error(H "C;E;2025-01-01;массаж;100;100;\n", 2, 16, "unknown service category");
    expect_error(H "C;E;2025-01-01;АПП;100;90;20\n", 2, 24, "exceeds the billed amount");
    expect_error(H "C;E;2025-13-01;АПП;100;90;\n", 2, 5, "service_date");
    expect_error(H "C;E;2025-01-01;АПП;-100;0;\n", 2, 20, "negative");
    expect_error(H "C;E;2025-01-01;АПП;100.123;0;\n", 2, 20, "2 decimals");
    expect_error(H "C;E;2025-01-01;АПП;1,5,5;0;\n", 2, 20, "amount_billed");
    expect_error(H ";E;2025-01-01;АПП;100;0;\n", 2, 1, "claim_id");
    expect_error(H "C;E;2025-01-01;АПП;100;0\n", 2, 25, "6 fields but the header has 7");
    expect_error(H "C;E;2025-01-01;\"АПП;100;0;\n", 2, 16, "never closed");
    expect_error("claim_id;employee_id;service_date;category;amount_billed\n", 1, 1, "amount_paid");
    expect_error("claim_id;employee_id;service_date;category;amount_billed;amount_paid;color\n", 1,
                 70, "unknown column 'color'");
    expect_error("", 1, 1, "empty");
    /* all bad rows are reported */
    dms_diag *diag = NULL;
    dms_register *reg = NULL;
    const char *t = H "C;E;x;АПП;1;1;\nC;E;2025-01-01;АПП;1;1;\nC;E;2025-01-01;?;1;1;\n";
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_claims_parse_csv(t, strlen(t), "r.csv", &reg, diag, NULL), DMS_EPARSE);
    assert_int_equal(dms_diag_count(diag), 2);
    assert_int_equal(dms_diag_get(diag, 0)->line, 2);
    assert_int_equal(dms_diag_get(diag, 1)->line, 4);
    dms_diag_free(diag);
}

static void test_categories_and_append(void **state)
{
    (void)state;
    assert_string_equal(dms_claims_category_module("Плановая госпитализация", 45),
                        "hospital_planned");
    assert_string_equal(dms_claims_category_module("ТЕЛЕМЕДИЦИНА", 24), "telemedicine");
    assert_string_equal(dms_claims_category_module("mental_health", 13), "mental_health");
    assert_null(dms_claims_category_module("massage", 7));
    dms_register *reg = NULL;
    assert_int_equal(dms_register_alloc(&reg), DMS_OK);
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.claim_id = "A";
    l.employee_id = "E";
    l.category = l.module = "dental";
    l.billed = 100;
    l.paid = 60;
    l.copay = 40;
    assert_int_equal(dms_register_append(reg, &l), DMS_OK);
    assert_int_equal(dms_register_append(reg, &l), DMS_OK);
    assert_int_equal(reg->lines[1].occurrence, 1);
    l.copay = 41;
    assert_int_equal(dms_register_append(reg, &l), DMS_EINVAL);
    assert_int_equal(reg->count, 2);
    dms_register_free(reg);
    dms_register_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ru),
        cmocka_unit_test(test_parse_en_minimal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_categories_and_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
