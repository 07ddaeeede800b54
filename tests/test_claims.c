/*
 * Tests of the claims register parser: Russian and English headers, amounts
 * with thousands separators and decimal commas, category -> module mapping,
 * statuses, occurrence numbers of repeated claim ids, diagnosis and name
 * columns dropped with a warning (and their values nowhere in the result),
 * and every fault at its exact line:column, all bad rows reported. The words
 * of vocabulary columns are remembered as written while a register is read:
 * more spellings than the memory holds must still each map as the public
 * lookups map them, and an unknown word after many known ones is still
 * reported. Dates in the two common shapes take a short path: leap days,
 * impossible days and years before 1900 on both sides of it.
 */
#include "dms/claims.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ASCII blanks off both ends, as the reader trims a field. */
static void dms_csv_trim_test(const char **text, size_t *len)
{
    while (*len > 0 && (*text)[0] == ' ')
        (*text)++, (*len)--;
    while (*len > 0 && (*text)[*len - 1] == ' ')
        (*len)--;
}

/* The status name a status word stands for (the parser's vocabulary, written out again). */
static const char *status_of(const char *word)
{
    static const struct {
        const char *word, *name;
    } map[] = {{"оплачено", "paid"},     {"paid", "paid"},        {"оплачен", "paid"},
               {"pending", "pending"},   {"к оплате", "pending"}, {"в обработке", "pending"},
               {"rejected", "rejected"}, {"отказ", "rejected"},   {"отклонено", "rejected"},
               {"reversed", "reversed"}, {"сторно", "reversed"},  {"аннулировано", "reversed"}};
    char low[64];
    size_t n = 0;
    /* fold the few capitals the test uses (ASCII, and Cyrillic О, К, С, Т, Р, А, О) */
    for (const unsigned char *p = (const unsigned char *)word; *p && n + 2 < sizeof low; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            low[n++] = (char)(*p + 32);
        } else if (*p == 0xD0 && p[1] >= 0x90 && p[1] <= 0x9F) { /* А..П -> а..п */
            low[n++] = (char)0xD0;
            low[n++] = (char)(p[1] + 0x20);
            p++;
        } else if (*p == 0xD0 && p[1] >= 0xA0 && p[1] <= 0xAF) { /* Р..Я -> р..я */
            low[n++] = (char)0xD1;
            low[n++] = (char)(p[1] - 0x20);
            p++;
        } else {
            low[n++] = (char)*p;
        }
    }
    low[n] = '\0';
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].word, low) == 0)
            return map[i].name;
    fail_msg("no status for %s", word);
    return NULL;
}

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

/* More spellings of categories, relations and statuses than a parse remembers (16 each),
 * cycled so that remembered words are replaced and met again. */
static void test_remembered_words(void **state)
{
    (void)state;
    static const char *cats[] = {"АПП",
                                 "апп",
                                 "  АПП ",
                                 "Стоматология",
                                 "СТОМАТОЛОГИЯ",
                                 "dental",
                                 "Dental",
                                 "Скорая помощь",
                                 "скорая   помощь",
                                 "emergency",
                                 "Помощь на дому",
                                 "home visits",
                                 "Плановая госпитализация",
                                 "hospital planned",
                                 "Экстренная госпитализация",
                                 "Телемедицина",
                                 "telemedicine",
                                 "Чек-ап",
                                 "checkup",
                                 "Психолог",
                                 "mental_health",
                                 "Амбулаторно-поликлиническая помощь (АПП)",
                                 "Стоматология (без протезирования)"};
    static const char *rels[] = {"сотрудник", "employee", "Сотрудник", "супруг(а)", "spouse",
                                 "жена",      "муж",      "ребёнок",   "ребенок",   "child",
                                 "сын",       "дочь",     "son",       "daughter",  "husband",
                                 "wife",      "работник", "CHILD",     "Employee",  "Супруга"};
    static const char *stats[] = {"оплачено",    "paid",         "Оплачен", "pending",   "к оплате",
                                  "в обработке", "rejected",     "отказ",   "отклонено", "reversed",
                                  "сторно",      "аннулировано", "PAID",    "Отказ",     "СТОРНО",
                                  "К оплате",    "Paid",         "Rejected"};
    size_t nc = sizeof cats / sizeof cats[0], nr = sizeof rels / sizeof rels[0],
           ns = sizeof stats / sizeof stats[0];
    size_t rows = 3 * nc * nr, cap = 200 + rows * 160, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t, cap,
                          "claim_id;employee_id;relation;service_date;category;"
                          "amount_billed;amount_paid;status\n");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)snprintf(t + n, cap - n, "C%zu;E%zu;%s;2025-02-03;%s;100;50;%s\n", i % 97,
                              i % 13, rels[(i * 7) % nr], cats[i % nc], stats[(i * 5) % ns]);
    dms_register *reg = NULL;
    assert_int_equal(dms_claims_parse_csv(t, n, "w.csv", &reg, NULL, NULL), DMS_OK);
    assert_int_equal(reg->count, rows);
    for (size_t i = 0; i < rows; i++) {
        const dms_claim_line *l = &reg->lines[i];
        const char *c = cats[i % nc];
        size_t len = strlen(c);
        dms_csv_trim_test(&c, &len);
        assert_string_equal(l->module, dms_claims_category_module(c, len));
        assert_int_equal(strlen(l->category), len);
        assert_memory_equal(l->category, c, len);
        enum dms_relation rel;
        const char *r = rels[(i * 7) % nr];
        assert_true(dms_census_relation_from_text(r, strlen(r), &rel));
        assert_int_equal(l->relation, rel);
        assert_string_equal(dms_claims_status_name(l->status), status_of(stats[(i * 5) % ns]));
        assert_int_equal(l->occurrence, i / 97);
        assert_int_equal(l->line, (int)i + 2);
    }
    dms_register_free(reg);

    /* an unknown word after every known one is still an error at its place */
    n = (size_t)snprintf(t, cap,
                         "claim_id;employee_id;relation;service_date;category;"
                         "amount_billed;amount_paid;status\n");
    for (size_t i = 0; i < nc; i++)
        n += (size_t)snprintf(t + n, cap - n, "C%zu;E;%s;2025-02-03;%s;100;50;%s\n", i,
                              rels[i % nr], cats[i], stats[i % ns]);
    n += (size_t)snprintf(t + n, cap - n, "X;E;сотрудник;2025-02-03;АПП;100;50;оплачен?\n");
    t[n] = '\0';
    char expect[64];
    snprintf(expect, sizeof expect, "unknown status");
    expect_error(t, (int)nc + 2, 37, expect);
    n -= strlen("X;E;сотрудник;2025-02-03;АПП;100;50;оплачен?\n");
    n += (size_t)snprintf(t + n, cap - n, "X;E;сотрудница;2025-02-03;АПП;100;50;paid\n");
    expect_error(t, (int)nc + 2, 5, "unknown relation");
    free(t);
}

static void test_dates(void **state)
{
    (void)state;
    const char *t = H "A;E;29.02.2024;АПП;1;1;\n"
                      "B;E;2024-02-29;АПП;1;1;\n"
                      "C;E;2025-1-5;АПП;1;1;\n"
                      "D;E;5.1.2025;АПП;1;1;\n"
                      "E;E;01.01.1900;АПП;1;1;\n"
                      "F;E; 31.12.2025 ;АПП;1;1;\n";
    dms_register *reg = NULL;
    assert_int_equal(dms_claims_parse_csv(t, strlen(t), "d.csv", &reg, NULL, NULL), DMS_OK);
    assert_int_equal(reg->count, 6);
    assert_true(reg->lines[0].service_day == dms_claims_days(2024, 2, 29));
    assert_true(reg->lines[1].service_day == dms_claims_days(2024, 2, 29));
    assert_true(reg->lines[2].service_day == dms_claims_days(2025, 1, 5));
    assert_true(reg->lines[3].service_day == dms_claims_days(2025, 1, 5));
    assert_true(reg->lines[4].service_day == dms_claims_days(1900, 1, 1));
    assert_true(reg->lines[5].service_day == dms_claims_days(2025, 12, 31));
    dms_register_free(reg);
    expect_error(H "C;E;29.02.2025;АПП;1;1;\n", 2, 5, "not a real date");
    expect_error(H "C;E;2025-02-29;АПП;1;1;\n", 2, 5, "not a real date");
    expect_error(H "C;E;31.12.1899;АПП;1;1;\n", 2, 5, "before 1900");
    expect_error(H "C;E;00.01.2025;АПП;1;1;\n", 2, 5, "not a real date");
    expect_error(H "C;E;2025-00-10;АПП;1;1;\n", 2, 5, "not a real date");
    expect_error(H "C;E;2025-+1-10;АПП;1;1;\n", 2, 5, "not a date");
    expect_error(H "C;E;1a.01.2025;АПП;1;1;\n", 2, 5, "not a date");
    expect_error(H "C;E;2025/01/10;АПП;1;1;\n", 2, 5, "not a date");
}

/* Lines appended by hand to a parsed register go on numbering its claim ids. */
static void test_append_after_parse(void **state)
{
    (void)state;
    dms_register *reg = NULL;
    assert_int_equal(
        dms_claims_parse_csv(register_ru, strlen(register_ru), "r.csv", &reg, NULL, NULL), DMS_OK);
    dms_claim_line l = reg->lines[0];
    l.claim_id = "C1";
    assert_int_equal(dms_register_append(reg, &l), DMS_OK);
    assert_int_equal(reg->lines[3].occurrence, 2);
    assert_true(reg->lines[3].claim_id == reg->lines[0].claim_id);
    l.claim_id = "C3";
    assert_int_equal(dms_register_append(reg, &l), DMS_OK);
    assert_int_equal(reg->lines[4].occurrence, 0);
    dms_register_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ru),
        cmocka_unit_test(test_parse_en_minimal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_categories_and_append),
        cmocka_unit_test(test_remembered_words),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_append_after_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
