/*
 * Tests of the census loaders: the example groups (known counts), both header
 * languages and delimiters, BOM and line ends, RFC 4180 quoting, every error
 * path with its exact line:column or JSON Pointer, all bad rows reported,
 * ages (birthdays, 29 February), and a 100,000-row census parsed in linear
 * time. Run from the repository root (make check does).
 */
#include "dms/census.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#define DATA "tests/data/census/"

/* ---- helpers ----------------------------------------------------------- */

static dms_census *parse_csv_ok(const char *text)
{
    dms_diag *diag = NULL;
    dms_census *c = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    int status = dms_census_parse_csv(text, strlen(text), "t.csv", &c, diag);
    if (status != DMS_OK) {
        char buf[1024];
        for (size_t i = 0; i < dms_diag_kept(diag); i++)
            print_error("%s\n", dms_error_format(dms_diag_get(diag, i), buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
    assert_int_equal(dms_diag_count(diag), 0);
    assert_non_null(c);
    dms_diag_free(diag);
    return c;
}

/* Parses text expecting failure; returns the diag (caller frees). */
static dms_diag *parse_csv_bad(const char *text, int expected_status)
{
    dms_diag *diag = NULL;
    dms_census *c = (dms_census *)&c; /* must be reset to NULL */
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_census_parse_csv(text, strlen(text), "t.csv", &c, diag), expected_status);
    assert_null(c);
    assert_true(dms_diag_count(diag) > 0);
    return diag;
}

static dms_diag *load_bad(const char *path)
{
    dms_diag *diag = NULL;
    dms_census *c = (dms_census *)&c;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_census_load_file(path, &c, diag), DMS_EPARSE);
    assert_null(c);
    return diag;
}

/* Asserts record i is at line:column and its message contains `text`. */
#define assert_diag_at(diag, i, l, col, text)                                                      \
    assert_diag_at_impl((diag), (i), (l), (col), (text), __FILE__, __LINE__)
static void assert_diag_at_impl(const dms_diag *diag, size_t i, int line, int column,
                                const char *text, const char *file, int at)
{
    const dms_error *e = dms_diag_get(diag, i);
    if (e == NULL) {
        print_error("no diagnostic #%zu (only %zu)\n", i, dms_diag_kept(diag));
        _fail(file, at);
        return;
    }
    if (e->code != DMS_EPARSE || e->line != line || e->column != column ||
        strstr(e->message, text) == NULL) {
        print_error("diagnostic #%zu: code %d at %d:%d \"%s\"; expected %d:%d containing \"%s\"\n",
                    i, e->code, e->line, e->column, e->message, line, column, text);
        _fail(file, at);
    }
}

#define assert_diag_path(diag, i, p, text)                                                         \
    assert_diag_path_impl((diag), (i), (p), (text), __FILE__, __LINE__)
static void assert_diag_path_impl(const dms_diag *diag, size_t i, const char *path,
                                  const char *text, const char *file, int at)
{
    const dms_error *e = dms_diag_get(diag, i);
    if (e == NULL) {
        print_error("no diagnostic #%zu (only %zu)\n", i, dms_diag_kept(diag));
        _fail(file, at);
        return;
    }
    if (e->code != DMS_EPARSE || strcmp(e->path, path) != 0 || strstr(e->message, text) == NULL) {
        print_error("diagnostic #%zu: code %d at '%s' \"%s\"; expected '%s' containing \"%s\"\n", i,
                    e->code, e->path, e->message, path, text);
        _fail(file, at);
    }
}

static void assert_person(const dms_person *p, const char *id, enum dms_relation rel, int y, int m,
                          int d, enum dms_sex sex, const char *region, const char *dept,
                          const char *segment, enum dms_work_mode mode, int line)
{
    assert_string_equal(p->employee_id, id);
    assert_int_equal(p->relation, rel);
    assert_int_equal(p->birth_year, y);
    assert_int_equal(p->birth_month, m);
    assert_int_equal(p->birth_day, d);
    assert_int_equal(p->sex, sex);
    assert_string_equal(p->region, region);
    assert_string_equal(p->department, dept);
    assert_string_equal(p->segment, segment);
    assert_int_equal(p->work_mode, mode);
    assert_int_equal(p->line, line);
}

/* ---- examples ---------------------------------------------------------- */

static void check_example(const char *path, size_t count, size_t employees, size_t spouses,
                          size_t children)
{
    dms_diag *diag = NULL;
    dms_census *c = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    assert_int_equal(dms_census_load_file(path, &c, diag), DMS_OK);
    assert_int_equal(dms_diag_count(diag), 0);
    assert_int_equal(c->count, count);
    assert_int_equal(c->employees, employees);
    assert_int_equal(c->spouses, spouses);
    assert_int_equal(c->children, children);
    for (size_t i = 0; i < c->count; i++) {
        const dms_person *p = &c->people[i];
        int age = dms_census_age(p, 2026, 1, 1);
        assert_true(p->employee_id[0] != '\0');
        assert_true(p->region[0] != '\0');
        assert_int_equal(p->line, (int)i + 2);
        if (p->relation == DMS_RELATION_CHILD)
            assert_in_range(age, 0, 17);
        else
            assert_in_range(age, 18, 80);
        if (p->relation == DMS_RELATION_EMPLOYEE)
            assert_int_not_equal(p->work_mode, DMS_WORK_UNKNOWN);
    }
    dms_census_free(c);
    dms_diag_free(diag);
}

static void test_examples(void **state)
{
    (void)state;
    check_example("examples/census/startup-60.csv", 60, 50, 6, 4);
    check_example("examples/census/midsize-450.csv", 450, 333, 40, 77);
    check_example("examples/census/holding-5000.csv", 5000, 3512, 481, 1007);
}

static void test_example_details(void **state)
{
    (void)state;
    dms_census *c = NULL;
    assert_int_equal(dms_census_load_file("examples/census/startup-60.csv", &c, NULL), DMS_OK);
    /* every Moscow row shares one interned string */
    for (size_t i = 1; i < c->count; i++)
        assert_ptr_equal(c->people[i].region, c->people[0].region);
    assert_string_equal(c->people[0].region, "Москва");
    assert_string_equal(c->people[0].employee_id, "S001");
    assert_string_equal(c->people[0].segment, "");
    dms_census_free(c);

    assert_int_equal(dms_census_load_file("examples/census/holding-5000.csv", &c, NULL), DMS_OK);
    for (size_t i = 0; i < c->count; i++)
        assert_true(c->people[i].segment[0] != '\0');
    assert_string_equal(c->people[0].employee_id, "00000020"); /* leading zeros kept */
    dms_census_free(c);
}

/* ---- good inputs ------------------------------------------------------- */

static void test_good_ru(void **state)
{
    (void)state;
    dms_census *c = NULL;
    assert_int_equal(dms_census_load_file(DATA "good-ru.csv", &c, NULL), DMS_OK);
    assert_int_equal(c->count, 5);
    const char *sales = "Отдел \"Продаж\"; розница";
    assert_person(&c->people[0], "0001", DMS_RELATION_EMPLOYEE, 1985, 3, 12, DMS_SEX_MALE, "Москва",
                  sales, "", DMS_WORK_REMOTE, 2);
    assert_person(&c->people[1], "0001", DMS_RELATION_SPOUSE, 1987, 7, 1, DMS_SEX_FEMALE, "Москва",
                  sales, "", DMS_WORK_UNKNOWN, 3);
    assert_person(&c->people[2], "0001", DMS_RELATION_CHILD, 2016, 2, 29, DMS_SEX_FEMALE, "Москва",
                  sales, "", DMS_WORK_UNKNOWN, 4);
    /* a quoted line break inside a field: kept as \n, the next row is line 7 */
    assert_person(&c->people[3], "0002", DMS_RELATION_EMPLOYEE, 2000, 1, 1, DMS_SEX_MALE,
                  "Санкт-Петербург", "Склад\nкорпус 2", "", DMS_WORK_OFFICE, 5);
    assert_person(&c->people[4], "0003", DMS_RELATION_EMPLOYEE, 1960, 12, 31, DMS_SEX_FEMALE,
                  "Нижний Новгород", "", "", DMS_WORK_UNKNOWN, 7);
    assert_ptr_equal(c->people[0].department, c->people[2].department);
    dms_census_free(c);
}

static void test_good_en(void **state)
{
    (void)state;
    dms_census *c = NULL;
    assert_int_equal(dms_census_load_file(DATA "good-en.csv", &c, NULL), DMS_OK);
    assert_int_equal(c->count, 5);
    assert_person(&c->people[0], "A1", DMS_RELATION_EMPLOYEE, 1990, 5, 17, DMS_SEX_MALE, "Kazan",
                  "IT", "young", DMS_WORK_OFFICE, 2);
    assert_person(&c->people[2], "A2", DMS_RELATION_EMPLOYEE, 1975, 11, 30, DMS_SEX_MALE, "Тула",
                  "Sales, B2B", "", DMS_WORK_FIELD, 4);
    assert_person(&c->people[4], "A3", DMS_RELATION_EMPLOYEE, 1968, 2, 29, DMS_SEX_FEMALE,
                  "Екатеринбург", "Finance", "45+", DMS_WORK_HYBRID, 6);
    dms_census_free(c);
}

static void test_good_json(void **state)
{
    (void)state;
    dms_census *c = NULL;
    assert_int_equal(dms_census_load_file(DATA "good.json", &c, NULL), DMS_OK);
    assert_int_equal(c->count, 3);
    assert_int_equal(c->children, 1);
    assert_person(&c->people[0], "E1", DMS_RELATION_EMPLOYEE, 1984, 4, 4, DMS_SEX_MALE, "Москва",
                  "IT", "", DMS_WORK_REMOTE, 0);
    assert_person(&c->people[1], "E1", DMS_RELATION_CHILD, 2015, 10, 10, DMS_SEX_FEMALE, "Москва",
                  "", "", DMS_WORK_UNKNOWN, 0);
    assert_person(&c->people[2], "42", DMS_RELATION_EMPLOYEE, 1970, 1, 1, DMS_SEX_FEMALE, "Казань",
                  "", "", DMS_WORK_UNKNOWN, 0);
    dms_census_free(c);

    /* a top-level array, with a BOM */
    const char *text = "\xEF\xBB\xBF[{\"employee_id\":\"1\",\"relation\":\"employee\","
                       "\"birth_date\":\"1990-01-01\",\"sex\":\"M\",\"region\":\"Тула\"}]";
    assert_int_equal(dms_census_parse_json(text, strlen(text), &c, NULL), DMS_OK);
    assert_int_equal(c->count, 1);
    dms_census_free(c);
    assert_int_equal(dms_census_parse_json("[]", 2, &c, NULL), DMS_OK);
    assert_int_equal(c->count, 0);
    dms_census_free(c);
}

static void test_line_ends_and_bom(void **state)
{
    (void)state;
    const char *variants[] = {
        "employee_id,relation,birth_date,sex,region\n1,employee,1990-01-01,M,Тула\n"
        "1,child,2020-01-01,F,Тула",
        "employee_id,relation,birth_date,sex,region\r\n1,employee,1990-01-01,M,Тула\r\n"
        "1,child,2020-01-01,F,Тула\r\n",
        "employee_id,relation,birth_date,sex,region\r1,employee,1990-01-01,M,Тула\r"
        "1,child,2020-01-01,F,Тула\r",
        "\xEF\xBB\xBF"
        "employee_id;relation;birth_date;sex;region\r\n1;employee;1990-01-01;M;Тула\r\n"
        "1;child;2020-01-01;F;Тула\r\n\r\n\r\n",
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        dms_census *c = parse_csv_ok(variants[v]);
        assert_int_equal(c->count, 2);
        assert_int_equal(c->people[1].line, 3);
        assert_string_equal(c->people[1].region, "Тула");
        assert_int_equal(c->people[1].relation, DMS_RELATION_CHILD);
        dms_census_free(c);
    }
}

static void test_delimiter_detection(void **state)
{
    (void)state;
    /* ';' wins when the header has more of them, so ',' in values is plain text */
    dms_census *c = parse_csv_ok("employee_id;relation;birth_date;sex;region;department\n"
                                 "1;employee;1990-01-01;M;Тула;Sales, B2B\n");
    assert_string_equal(c->people[0].department, "Sales, B2B");
    dms_census_free(c);
    /* a ';' inside a quoted header name does not count */
    c = parse_csv_ok("employee_id,relation,birth_date,sex,region,\"department\"\n"
                     "1,employee,1990-01-01,M,Тула,a;b\n");
    assert_string_equal(c->people[0].department, "a;b");
    dms_census_free(c);
}

static void test_quoting(void **state)
{
    (void)state;
    dms_census *c = parse_csv_ok("employee_id,relation,birth_date,sex,region,department\n"
                                 "\"1\",\"employee\",\"1990-01-01\",\"M\",\"Тула\",\"\"\n"
                                 "\"1\",child,2020-01-01,F,\" Тула \",\"a \"\"b\"\", c\r\nd\"\n"
                                 "2,employee,1990-01-01,M,Тула,\"\"\"\"\n");
    assert_int_equal(c->count, 3);
    assert_string_equal(c->people[0].department, "");
    assert_string_equal(c->people[1].region, "Тула");
    assert_ptr_equal(c->people[1].region, c->people[0].region);
    assert_string_equal(c->people[1].department, "a \"b\", c\nd");
    assert_int_equal(c->people[2].line, 5);
    assert_string_equal(c->people[2].department, "\"");
    dms_census_free(c);
}

static void test_family_before_employee(void **state)
{
    (void)state;
    dms_census *c = parse_csv_ok("employee_id,relation,birth_date,sex,region\n"
                                 "9,child,2020-01-01,F,Тула\n"
                                 "9,spouse,1990-01-01,F,Тула\n"
                                 "9,employee,1990-01-01,M,Тула\n");
    assert_int_equal(c->employees, 1);
    assert_int_equal(c->children, 1);
    assert_int_equal(c->spouses, 1);
    dms_census_free(c);
}

static void test_header_only(void **state)
{
    (void)state;
    dms_census *c = parse_csv_ok("\n\nemployee_id,relation,birth_date,sex,region\n\n");
    assert_int_equal(c->count, 0);
    dms_census_free(c);
}

/* ---- error files ------------------------------------------------------- */

static void test_bad_files(void **state)
{
    (void)state;
    dms_diag *d = load_bad(DATA "bad-date.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 3, 12,
                   "birth date '31.02.1990' is not a real date (expected DD.MM.YYYY or "
                   "YYYY-MM-DD)");
    assert_string_equal(dms_diag_get(d, 0)->source, DATA "bad-date.csv");
    dms_diag_free(d);

    d = load_bad(DATA "bad-sex.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 3, 21, "sex 'X' is not known");
    dms_diag_free(d);

    d = load_bad(DATA "orphan-child.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 4, 1, "no employee row with employee_id '7' for this child");
    dms_diag_free(d);

    d = load_bad(DATA "wrong-field-count.csv");
    assert_int_equal(dms_diag_count(d), 2);
    assert_diag_at(d, 0, 3, 35, "this row has 7 fields but the header has 6");
    assert_diag_at(d, 1, 4, 31, "this row has 5 fields but the header has 6");
    dms_diag_free(d);

    d = load_bad(DATA "unknown-column.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 1, 44, "unknown column 'Зарплата'");
    dms_diag_free(d);

    d = load_bad(DATA "missing-column.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 1, 1, "required column birth_date (Дата рождения) is missing");
    dms_diag_free(d);

    d = load_bad(DATA "bad-quote.csv");
    assert_int_equal(dms_diag_count(d), 2);
    assert_diag_at(d, 0, 2, 33, "unexpected text after the closing quote");
    assert_diag_at(d, 1, 3, 32, "the quoted field opened here is never closed");
    dms_diag_free(d);

    d = load_bad(DATA "cp1251.csv");
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 2, 25, "not valid UTF-8");
    dms_diag_free(d);
}

static void test_many_bad_rows(void **state)
{
    (void)state;
    dms_diag *d = load_bad(DATA "many-bad.csv");
    assert_int_equal(dms_diag_count(d), 7);
    assert_diag_at(d, 0, 3, 12, "'1980-13-01' is not a real date");
    assert_diag_at(d, 1, 4, 23, "sex 'Q' is not known");
    assert_diag_at(d, 2, 5, 3, "relation 'boss' is not known");
    assert_diag_at(d, 3, 6, 25, "region (Регион) is empty");
    assert_diag_at(d, 4, 7, 1, "employee_id (Табельный номер) is empty");
    assert_diag_at(d, 5, 8, 12, "'01.01.1850' is before 1900");
    assert_diag_at(d, 6, 9, 12, "'yesterday' is not a date");
    char buf[1024];
    assert_string_equal(dms_error_format(dms_diag_get(d, 1), buf, sizeof buf),
                        DATA "many-bad.csv:4:23: sex 'Q' is not known (expected M/F or М/Ж)");
    dms_diag_free(d);
}

static void test_inline_errors(void **state)
{
    (void)state;
    /* several faults on one row are all reported; columns count characters */
    dms_diag *d = parse_csv_bad("Табельный номер;Связь;Дата рождения;Пол;Регион;Режим работы\n"
                                "1;сотрудник;30.02.1990;X;Москва;на луне\n",
                                DMS_EPARSE);
    assert_int_equal(dms_diag_count(d), 3);
    assert_diag_at(d, 0, 2, 13, "'30.02.1990' is not a real date");
    assert_diag_at(d, 1, 2, 24, "sex 'X'");
    assert_diag_at(d, 2, 2, 33, "work mode 'на луне' is not known");
    assert_string_equal(dms_diag_get(d, 0)->source, "t.csv");
    dms_diag_free(d);

    /* repeated employee; the row numbers after a quoted line break stay right */
    d = parse_csv_bad("employee_id,relation,birth_date,sex,region,department\n"
                      "1,employee,1990-01-01,M,Тула,\"a\nb\"\n"
                      "1,employee,1991-01-01,F,Тула,x\n",
                      DMS_EPARSE);
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 4, 1, "already belongs to the employee on line 2");
    dms_diag_free(d);

    /* a bad employee row still counts as the family's employee: no orphan noise */
    d = parse_csv_bad("employee_id,relation,birth_date,sex,region\n"
                      "1,employee,1990-02-30,M,Тула\n"
                      "1,child,2020-01-01,F,Тула\n",
                      DMS_EPARSE);
    assert_int_equal(dms_diag_count(d), 1);
    assert_diag_at(d, 0, 2, 12, "not a real date");
    dms_diag_free(d);

    /* header faults: empty name, repeated column, several missing */
    d = parse_csv_bad("employee_id,,relation,Связь,sex\n1,,employee,employee,M\n", DMS_EPARSE);
    assert_int_equal(dms_diag_count(d), 4);
    assert_diag_at(d, 0, 1, 13, "column 2 has no name");
    assert_diag_at(d, 1, 1, 23, "column 'Связь' repeats relation (Связь), already in column 14");
    assert_diag_at(d, 2, 1, 1, "required column birth_date");
    assert_diag_at(d, 3, 1, 1, "required column region");
    dms_diag_free(d);

    /* empty input, blank input, BOM only */
    const char *empties[] = {"", "\n\n", "\xEF\xBB\xBF", " ; ;\r\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        d = parse_csv_bad(empties[i], DMS_EPARSE);
        assert_int_equal(dms_diag_count(d), 1);
        assert_diag_at(d, 0, 1, 1, "the census is empty");
        dms_diag_free(d);
    }

    /* an unterminated quote in the header */
    d = parse_csv_bad("employee_id,\"relation\n", DMS_EPARSE);
    assert_diag_at(d, 0, 1, 13, "never closed");
    dms_diag_free(d);
}

static void test_json_errors(void **state)
{
    (void)state;
    dms_diag *d = load_bad(DATA "bad.json");
    assert_int_equal(dms_diag_count(d), 4);
    assert_diag_path(d, 0, "/0/salary", "unknown key 'salary'");
    assert_diag_path(d, 1, "/1/birth_date", "'1980-02-30' is not a real date");
    assert_diag_path(d, 2, "/1/region", "region must be a string");
    assert_diag_path(d, 3, "/2/employee_id", "no employee row with employee_id '9'");
    dms_diag_free(d);

    struct {
        const char *text;
        const char *path;
        const char *message;
    } cases[] = {
        {"{\"people\": 5}", "/people", "expected an array"},
        {"{\"persons\": []}", "/persons", "unknown key 'persons'"},
        {"\"x\"", "", "expected an array"},
        {"{\"people\": [1]}", "/people/0", "expected a person object"},
        {"{\"people\": [{\"employee_id\": \"1\", \"relation\": \"employee\", \"sex\": \"M\","
         " \"birth_date\": \"1990-01-01\"}]}",
         "/people/0", "missing required key 'region'"},
        {"[{\"employee_id\": true}]", "/0/employee_id", "a string or an integer"},
        {"[{\"a~b/c\": 1}]", "/0/a~0b~1c", "unknown key"},
        {"[{\"employee_id\": \"1\", \"relation\": \"employee\", \"birth_date\": \"1990-01-01\","
         " \"sex\": \"M\", \"region\": \"x\", \"work_mode\": 3}]",
         "/0/work_mode", "a string or null"},
        {"[{\"employee_id\": \"1\", \"relation\": \"employee\", \"birth_date\": \"1990-01-01\","
         " \"sex\": \"M\", \"region\": null}]",
         "/0/region", "a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dms_census *c = NULL;
        assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
        assert_int_equal(dms_census_parse_json(cases[i].text, strlen(cases[i].text), &c, d),
                         DMS_EPARSE);
        assert_null(c);
        assert_diag_path(d, 0, cases[i].path, cases[i].message);
        dms_diag_free(d);
    }

    /* syntax errors come with line:column */
    dms_census *c = NULL;
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    const char *broken = "[\n  {\"employee_id\": }\n]";
    assert_int_equal(dms_census_parse_json(broken, strlen(broken), &c, d), DMS_EPARSE);
    assert_int_equal(dms_diag_get(d, 0)->line, 2);
    assert_true(strstr(dms_diag_get(d, 0)->message, "invalid JSON") != NULL);
    dms_diag_free(d);
    /* duplicate keys are rejected, not silently merged */
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    const char *dup = "[{\"sex\": \"M\", \"sex\": \"F\"}]";
    assert_int_equal(dms_census_parse_json(dup, strlen(dup), &c, d), DMS_EPARSE);
    assert_true(strstr(dms_diag_get(d, 0)->message, "duplicate") != NULL);
    dms_diag_free(d);
}

static void test_load_file_errors(void **state)
{
    (void)state;
    dms_diag *d = NULL;
    dms_census *c = NULL;
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    assert_int_equal(dms_census_load_file(DATA "no-such-file.csv", &c, d), DMS_EIO);
    assert_null(c);
    assert_int_equal(dms_diag_get(d, 0)->code, DMS_EIO);
    assert_true(strstr(dms_diag_get(d, 0)->message, "no-such-file.csv") != NULL);
    dms_diag_free(d);
    /* JSON syntax errors from a file name the file */
    FILE *f = fopen("build/census-broken.json", "wb");
    assert_non_null(f);
    fputs("[\n{\"employee_id\": ,}]", f);
    fclose(f);
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    assert_int_equal(dms_census_load_file("build/census-broken.json", &c, d), DMS_EPARSE);
    assert_string_equal(dms_diag_get(d, 0)->source, "build/census-broken.json");
    assert_int_equal(dms_diag_get(d, 0)->line, 2);
    dms_diag_free(d);
    remove("build/census-broken.json");

    assert_int_equal(dms_census_load_file(NULL, &c, NULL), DMS_EINVAL);
    assert_int_equal(dms_census_load_file(DATA "good.json", NULL, NULL), DMS_EINVAL);
    assert_int_equal(dms_census_parse_csv("x", 1, NULL, NULL, NULL), DMS_EINVAL);
    assert_int_equal(dms_census_parse_json(NULL, 1, &c, NULL), DMS_EINVAL);
    dms_census_free(NULL);
}

/* ---- values, dates, ages ----------------------------------------------- */

static void test_vocabularies(void **state)
{
    (void)state;
    enum dms_relation r;
    enum dms_sex s;
    enum dms_work_mode w;
    const struct {
        const char *text;
        enum dms_relation value;
    } rels[] = {
        {"employee", DMS_RELATION_EMPLOYEE}, {" СОТРУДНИК ", DMS_RELATION_EMPLOYEE},
        {"Spouse", DMS_RELATION_SPOUSE},     {"супруг", DMS_RELATION_SPOUSE},
        {"Супруга", DMS_RELATION_SPOUSE},    {"СУПРУГ(А)", DMS_RELATION_SPOUSE},
        {"child", DMS_RELATION_CHILD},       {"Ребёнок", DMS_RELATION_CHILD},
        {"РЕБЕНОК", DMS_RELATION_CHILD},     {"РЕБЁНОК", DMS_RELATION_CHILD},
    };
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        assert_true(dms_census_relation_from_text(rels[i].text, strlen(rels[i].text), &r));
        assert_int_equal(r, rels[i].value);
    }
    assert_false(dms_census_relation_from_text("", 0, &r));
    assert_false(dms_census_relation_from_text("parent", 6, &r));

    const char *males[] = {"M", "m", "male", "М", "м", "Муж", "МУЖСКОЙ"};
    const char *females[] = {"F", "f", "Female", "Ж", "ж", "жен", "Женский"};
    for (size_t i = 0; i < 7; i++) {
        assert_true(dms_census_sex_from_text(males[i], strlen(males[i]), &s));
        assert_int_equal(s, DMS_SEX_MALE);
        assert_true(dms_census_sex_from_text(females[i], strlen(females[i]), &s));
        assert_int_equal(s, DMS_SEX_FEMALE);
    }
    assert_false(dms_census_sex_from_text("X", 1, &s));
    assert_false(dms_census_sex_from_text("", 0, &s));

    const struct {
        const char *text;
        enum dms_work_mode value;
    } modes[] = {
        {"", DMS_WORK_UNKNOWN},        {"  ", DMS_WORK_UNKNOWN},
        {"office", DMS_WORK_OFFICE},   {"Офис", DMS_WORK_OFFICE},
        {"REMOTE", DMS_WORK_REMOTE},   {"удалённо", DMS_WORK_REMOTE},
        {"Удаленно", DMS_WORK_REMOTE}, {"удалёнка", DMS_WORK_REMOTE},
        {"field", DMS_WORK_FIELD},     {"Разъездной", DMS_WORK_FIELD},
        {"hybrid", DMS_WORK_HYBRID},   {"гибрид", DMS_WORK_HYBRID},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_true(dms_census_work_mode_from_text(modes[i].text, strlen(modes[i].text), &w));
        assert_int_equal(w, modes[i].value);
    }
    assert_false(dms_census_work_mode_from_text("sometimes", 9, &w));

    assert_string_equal(dms_census_relation_name(DMS_RELATION_SPOUSE), "spouse");
    assert_string_equal(dms_census_sex_name(DMS_SEX_FEMALE), "F");
    assert_string_equal(dms_census_work_mode_name(DMS_WORK_HYBRID), "hybrid");
    assert_string_equal(dms_census_relation_name((enum dms_relation)9), "?");
}

static void test_dates(void **state)
{
    (void)state;
    int y, m, d;
    char msg[256];
    assert_int_equal(dms_census_parse_date("1990-05-17", 10, &y, &m, &d, msg, sizeof msg), DMS_OK);
    assert_int_equal(y * 10000 + m * 100 + d, 19900517);
    assert_int_equal(dms_census_parse_date(" 1.7.1987 ", 10, &y, &m, &d, msg, sizeof msg), DMS_OK);
    assert_int_equal(y * 10000 + m * 100 + d, 19870701);
    assert_int_equal(dms_census_parse_date("29.02.2000", 10, &y, &m, &d, msg, sizeof msg), DMS_OK);
    assert_int_equal(dms_census_parse_date("01.01.1900", 10, &y, &m, &d, msg, sizeof msg), DMS_OK);
    const char *bad[] = {"29.02.1900", "31.04.2001", "2001-00-10",  "2001-01-32", "00.01.2000",
                         "31.12.1899", "1990/01/01", "1990-01-01x", "12.03.85",   "",
                         "1990-1-",    "+1.01.2000", "１２.03.1985"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dms_census_parse_date(bad[i], strlen(bad[i]), &y, &m, &d, msg, sizeof msg),
                         DMS_EPARSE);
    dms_census_parse_date("29.02.1900", 10, &y, &m, &d, msg, sizeof msg);
    assert_string_equal(msg, "birth date '29.02.1900' is not a real date (expected DD.MM.YYYY "
                             "or YYYY-MM-DD)");
    dms_census_parse_date("31.12.1899", 10, &y, &m, &d, msg, sizeof msg);
    assert_true(strstr(msg, "before 1900") != NULL);
    assert_true(dms_census_valid_date(2024, 2, 29));
    assert_false(dms_census_valid_date(2023, 2, 29));
    assert_true(dms_census_valid_date(2000, 2, 29));
    assert_false(dms_census_valid_date(2100, 2, 29));
    assert_false(dms_census_valid_date(2024, 13, 1));
}

static void test_age(void **state)
{
    (void)state;
    dms_person p = {.birth_year = 1990, .birth_month = 5, .birth_day = 17};
    assert_int_equal(dms_census_age(&p, 2026, 5, 16), 35);
    assert_int_equal(dms_census_age(&p, 2026, 5, 17), 36);
    assert_int_equal(dms_census_age(&p, 2026, 5, 18), 36);
    assert_int_equal(dms_census_age(&p, 2026, 1, 1), 35);
    assert_int_equal(dms_census_age(&p, 2026, 12, 31), 36);
    assert_int_equal(dms_census_age(&p, 1990, 5, 17), 0);
    assert_int_equal(dms_census_age(&p, 1990, 5, 16), -1);

    dms_person leap = {.birth_year = 2016, .birth_month = 2, .birth_day = 29};
    assert_int_equal(dms_census_age(&leap, 2017, 2, 27), 0);
    assert_int_equal(dms_census_age(&leap, 2017, 2, 28), 1); /* common year: 28 Feb */
    assert_int_equal(dms_census_age(&leap, 2017, 3, 1), 1);
    assert_int_equal(dms_census_age(&leap, 2020, 2, 28), 3); /* leap year: wait for 29 Feb */
    assert_int_equal(dms_census_age(&leap, 2020, 2, 29), 4);
    assert_int_equal(dms_census_age(&leap, 2100, 2, 28), 84); /* 2100 is not a leap year */
}

/* ---- scale ------------------------------------------------------------- */

static char *big_census(size_t employees, bool all_bad, size_t *len)
{
    size_t cap = 64 + employees * 2 * 80;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, cap,
                                "Табельный номер;Связь;Дата рождения;Пол;Регион;"
                                "Подразделение;Сегмент;Режим работы\r\n");
    static const char *regions[] = {"Москва", "Санкт-Петербург", "Казань", "Тула"};
    for (size_t i = 0; i < employees; i++) {
        o += (size_t)snprintf(text + o, cap - o,
                              "%zu;сотрудник;%02zu.%02zu.%zu;%s;%s;Отдел %zu;;%s\r\n", i,
                              1 + i % 28, 1 + i % 12, all_bad ? 1800 + i % 99 : 1960 + i % 45,
                              i % 2 ? "М" : "Ж", regions[i % 4], i % 50, "офис");
        o += (size_t)snprintf(text + o, cap - o, "%zu;ребёнок;%02zu.%02zu.%zu;М;%s;;;\r\n", i,
                              1 + i % 28, 1 + i % 12, 2010 + i % 15, regions[i % 4]);
    }
    *len = o;
    return text;
}

static void test_large(void **state)
{
    (void)state;
    size_t n = getenv("DMS_UNDER_VALGRIND") ? 10000 : 50000; /* 2n rows */
    size_t len;
    char *text = big_census(n, false, &len);
    dms_census *c = NULL;
    clock_t t0 = clock();
    assert_int_equal(dms_census_parse_csv(text, len, "big.csv", &c, NULL), DMS_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    print_message("parsed %zu rows in %.3f s\n", c->count, secs);
    assert_int_equal(c->count, 2 * n);
    assert_int_equal(c->employees, n);
    assert_int_equal(c->children, n);
    assert_int_equal(c->people[2 * n - 1].line, (int)(2 * n + 1));
    dms_census_free(c);
    free(text);

    /* every row bad: the list keeps the first 200 and counts the rest */
    text = big_census(n, true, &len);
    dms_diag *d = NULL;
    assert_int_equal(dms_diag_alloc(0, &d), DMS_OK);
    assert_int_equal(dms_census_parse_csv(text, len, "big.csv", &c, d), DMS_EPARSE);
    assert_int_equal(dms_diag_count(d), n);
    assert_int_equal(dms_diag_kept(d), DMS_DIAG_DEFAULT_LIMIT);
    assert_diag_at(d, 199, 2 * 199 + 2, 15, "before 1900");
    dms_diag_free(d);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_example_details),
        cmocka_unit_test(test_good_ru),
        cmocka_unit_test(test_good_en),
        cmocka_unit_test(test_good_json),
        cmocka_unit_test(test_line_ends_and_bom),
        cmocka_unit_test(test_delimiter_detection),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_family_before_employee),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_many_bad_rows),
        cmocka_unit_test(test_inline_errors),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_vocabularies),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
