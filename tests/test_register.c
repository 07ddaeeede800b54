/*
 * The register of insured people: the template read from CSV (Russian and
 * English headers, BOM, CRLF, ';' and ',') and XLSX; every bad-input case of
 * the issue at its line:column with its stable code and Russian and English
 * messages (unknown action, date outside the policy period, a person excluded
 * twice, unknown policy, retro beyond the window on both sides of the
 * boundary, unknown programme, bad date, missing and unknown columns);
 * atomicity (one faulty row in 10,000: that one issue, nothing accepted, the
 * register untouched; fixed, all 10,000 accepted); the state machine and its
 * history, the changes of a period written in the template; the list written
 * and read back as a template; formula cells neutralised; paging and filters;
 * the membership (exposure) the register and its history imply, against
 * member-months counted by hand.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dms/claims.h"
#include "dms/exposure.h"
#include "dms/register.h"
#include "dms/xlsx.h"

static long D(int y, int m, int d)
{
    return dms_claims_days(y, m, d);
}

static const char *const PROGRAMMES[] = {"base", "family", "plus"};

static dms_insured_rules rules(void)
{
    dms_insured_rules r = {.policy_from = D(2026, 1, 1),
                           .policy_to = D(2026, 12, 31),
                           .today = D(2026, 6, 15),
                           .retro_days = 30,
                           .programmes = PROGRAMMES,
                           .nprogrammes = 3};
    return r;
}

/* Three people: P1 included, P2 suspended, P3 excluded. */
static dms_insured_register *seed(void)
{
    dms_insured_register *reg = NULL;
    assert_int_equal(dms_insured_register_alloc(&reg), DMS_OK);
    dms_insured_person p[3] = {
        {"P1", "E1", DMS_RELATION_EMPLOYEE, "Иванов Иван", D(1990, 1, 2), "ИТ", "base",
         DMS_INSURED_INCLUDED, D(2026, 1, 1), DMS_INSURED_OPEN_END, D(2026, 1, 1)},
        {"P2", "E1", DMS_RELATION_CHILD, "Иванова Анна", D(2015, 5, 5), "ИТ", "family",
         DMS_INSURED_SUSPENDED, D(2026, 1, 1), DMS_INSURED_OPEN_END, D(2026, 3, 1)},
        {"P3", "E3", DMS_RELATION_EMPLOYEE, "Петров Пётр", DMS_INSURED_NO_DATE, "Продажи", "base",
         DMS_INSURED_EXCLUDED, D(2026, 1, 1), D(2026, 2, 27), D(2026, 2, 28)},
    };
    for (int i = 0; i < 3; i++)
        assert_int_equal(dms_insured_register_put(reg, &p[i], NULL), DMS_OK);
    return reg;
}

static const char *HDR_RU = "\xEF\xBB\xBFДействие;Дата действия;Номер полиса;Табельный номер;"
                            "Связь;ФИО;Дата рождения;Подразделение;Программа\r\n";

/* Reads text as a template and checks it against reg; outcome returned. */
static dms_insured_outcome *run(dms_insured_register *reg, const char *text)
{
    dms_insured_batch *b = NULL;
    dms_error err;
    assert_int_equal(
        dms_insured_template_read(text, strlen(text), DMS_INSURED_AUTO, "t.csv", &b, &err), DMS_OK);
    dms_insured_rules r = rules();
    dms_insured_outcome *o = NULL;
    assert_int_equal(dms_insured_check(reg, &r, b, &o, &err), DMS_OK);
    dms_insured_batch_free(b);
    return o;
}

static void expect_issue(const dms_insured_outcome *o, size_t i, const char *code, int line,
                         int column, const char *ru, const char *en)
{
    assert_true(i < o->nissues);
    const dms_insured_issue *is = &o->issues[i];
    char buf[700];
    dms_insured_issue_format(is, "t.csv", buf, sizeof buf);
    if (strcmp(dms_insured_issue_name(is->code), code) != 0 || is->line != line ||
        is->column != column || strstr(is->message_ru, ru) == NULL ||
        strstr(is->message_en, en) == NULL) {
        print_error("issue %zu: %s\nexpected %s at %d:%d with «%s» / '%s'\n", i, buf, code, line,
                    column, ru, en);
        fail();
    }
}

/* ---- reading the template --------------------------------------------------- */

static void template_csv_russian_and_english(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "%sприкрепить;01.07.2026;P10;E10;супруга;Сидорова Мария;03.04.1992;ИТ;family\r\n"
             "\r\n"
             "Открепить ;2026-07-01;P1;;;;;;\r\n"
             "ИЗМЕНИТЬ ПРОГРАММУ;01.08.2026;P2;;;;;;plus\r\n",
             HDR_RU);
    dms_insured_batch *b = NULL;
    dms_error err;
    assert_int_equal(
        dms_insured_template_read(text, strlen(text), DMS_INSURED_CSV, "t.csv", &b, &err), DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(b), 0);
    assert_int_equal(dms_insured_batch_count(b), 3);
    const dms_insured_change *c = dms_insured_batch_get(b, 0);
    assert_int_equal(c->action, DMS_INSURED_ATTACH);
    assert_int_equal(c->effective_day, D(2026, 7, 1));
    assert_string_equal(c->policy, "P10");
    assert_string_equal(c->employee_id, "E10");
    assert_true(c->relation_given);
    assert_int_equal(c->relation, DMS_RELATION_SPOUSE);
    assert_string_equal(c->full_name, "Сидорова Мария");
    assert_int_equal(c->birth_day, D(1992, 4, 3));
    assert_string_equal(c->programme, "family");
    assert_int_equal(c->line, 2);
    assert_int_equal(c->column[DMS_INSURED_F_PROGRAMME], 9);
    c = dms_insured_batch_get(b, 1);
    assert_int_equal(c->action, DMS_INSURED_DETACH);
    assert_int_equal(c->line, 4); /* the blank line 3 is skipped, lines still count */
    assert_false(c->relation_given);
    assert_int_equal(dms_insured_batch_get(b, 2)->action, DMS_INSURED_CHANGE_PROGRAMME);
    dms_insured_batch_free(b);

    /* English headers, ',' and LF, columns in another order, unknown extras informational */
    const char *en = "policy_number,action,effective_date,programme,full_name,employee_id,status\n"
                     "P11,attach,2026-06-20,base,Smith John,E11,whatever\n"
                     "P12,suspend,20.06.2026,,,,\n";
    assert_int_equal(dms_insured_template_read(en, strlen(en), DMS_INSURED_AUTO, "t.csv", &b, &err),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(b), 0);
    assert_int_equal(dms_insured_batch_count(b), 2);
    assert_string_equal(dms_insured_batch_get(b, 0)->full_name, "Smith John");
    assert_int_equal(dms_insured_batch_get(b, 1)->action, DMS_INSURED_SUSPEND);
    assert_int_equal(dms_insured_batch_get(b, 1)->column[DMS_INSURED_F_ACTION], 2);
    dms_insured_batch_free(b);
}

static void header_faults(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    dms_insured_outcome *o = run(reg, "Действие;Номер полиса;Зарплата\nприкрепить;P1;100\n");
    assert_false(o->ok);
    /* the unknown column at 1:3, the missing date column at 1:1 */
    expect_issue(o, 0, "missing_column", 1, 1, "нет столбца «Дата действия»",
                 "column 'Дата действия' is missing");
    expect_issue(o, 1, "bad_header", 1, 3, "неизвестный столбец «Зарплата»",
                 "unknown column 'Зарплата'");
    dms_insured_outcome_free(o);
    o = run(reg, "");
    assert_false(o->ok);
    expect_issue(o, 0, "bad_file", 1, 1, "файл пуст", "the file is empty");
    dms_insured_outcome_free(o);
    o = run(reg, "action;date;policy;policy\n");
    expect_issue(o, 0, "bad_header", 1, 4, "повторяет", "repeats policy_number (column 3)");
    dms_insured_outcome_free(o);
    dms_insured_register_free(reg);
}

/* Every bad input of the issue, each at its line:column, RU and EN. */
static void bad_input_at_line_and_column(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    /* one person per case, so that no case follows from another's fault */
    for (int i = 5; i <= 10; i++) {
        char pol[16], emp[16];
        snprintf(pol, sizeof pol, "P%d", i);
        snprintf(emp, sizeof emp, "E%d", i);
        dms_insured_person p = {
            pol,          emp,    DMS_RELATION_EMPLOYEE, "Сотрудник",   DMS_INSURED_NO_DATE,
            "ИТ",         "base", DMS_INSURED_INCLUDED,  D(2026, 1, 1), DMS_INSURED_OPEN_END,
            D(2026, 1, 1)};
        assert_int_equal(dms_insured_register_put(reg, &p, NULL), DMS_OK);
    }
    char text[4096];
    snprintf(text, sizeof text,
             "%s"
             "уволить;01.07.2026;P5;;;;;;\r\n"                         /* 2 unknown action */
             "открепить;01.02.2027;P6;;;;;;\r\n"                       /* 3 outside the policy */
             "открепить;01.07.2026;P3;;;;;;\r\n"                       /* 4 excluded twice */
             "приостановить;01.07.2026;P999;;;;;;\r\n"                 /* 5 unknown policy */
             "открепить;15.05.2026;P7;;;;;;\r\n"                       /* 6 31 days back */
             "прикрепить;01.07.2026;P20;E20;;Новиков Ной;;ИТ;gold\r\n" /* 7 unknown programme */
             "открепить;31.02.2026;P8;;;;;;\r\n"                       /* 8 not a date */
             "прикрепить;01.07.2026;P1;;;;;;\r\n"                      /* 9 already included */
             "приостановить;01.07.2026;P2;;;;;;\r\n"                   /* 10 already suspended */
             "изменить программу;01.07.2026;P9;;;;;;base\r\n"          /* 11 same programme */
             "открепить;01.07.2026;P10;E999;;;;;\r\n"                  /* 12 another employee */
             "прикрепить;01.07.2026;P21;E21;кот;Кот;;ИТ;base\r\n"      /* 13 bad relation */
             "прикрепить;01.07.2026;P22;;;;;;base\r\n",                /* 14 new without id, name */
             HDR_RU);
    dms_insured_outcome *o = run(reg, text);
    assert_false(o->ok);
    assert_int_equal(o->nchanges, 0);
    assert_int_equal(o->npersons, 0);
    size_t i = 0;
    expect_issue(o, i++, "unknown_action", 2, 1, "неизвестное действие «уволить»",
                 "unknown action 'уволить'");
    expect_issue(o, i++, "date_outside_policy", 3, 2,
                 "дата 01.02.2027 вне периода договора 01.01.2026 – 31.12.2026",
                 "date 01.02.2027 is outside the policy period 01.01.2026 – 31.12.2026");
    expect_issue(o, i++, "already_excluded", 4, 1, "полис P3 уже откреплён",
                 "policy P3 is already detached (excluded since 28.02.2026)");
    expect_issue(o, i++, "unknown_policy", 5, 3, "полис P999 не найден",
                 "policy P999 is not in the register");
    expect_issue(o, i++, "retro_beyond_window", 6, 2,
                 "задним числом не более 30 дн. (не ранее 16.05.2026)",
                 "date 15.05.2026 is too far back: at most 30 days before today");
    expect_issue(o, i++, "unknown_programme", 7, 9, "программа «gold» не найдена",
                 "programme 'gold' is not in the policy");
    expect_issue(o, i++, "bad_date", 8, 2, "«31.02.2026» — не дата", "'31.02.2026' is not a date");
    expect_issue(o, i++, "already_included", 9, 1, "полис P1 уже прикреплён (с 01.01.2026)",
                 "policy P1 is already attached");
    expect_issue(o, i++, "already_suspended", 10, 1, "полис P2 уже приостановлен",
                 "policy P2 is already suspended (since 01.03.2026)");
    expect_issue(o, i++, "same_programme", 11, 9, "уже на программе «base»",
                 "already on programme 'base'");
    expect_issue(o, i++, "employee_mismatch", 12, 4, "принадлежит табельному номеру E10",
                 "policy P10 belongs to employee E10, not E999");
    expect_issue(o, i++, "bad_value", 13, 5, "связь «кот» неизвестна",
                 "relation 'кот' is not known");
    expect_issue(o, i++, "missing_value", 14, 1, "не указан табельный номер",
                 "the employee id of a new insured person is missing");
    expect_issue(o, i++, "missing_value", 14, 1, "не указано ФИО", "full name");
    assert_int_equal(o->nissues, i);
    assert_int_equal(o->nissues_total, i);
    dms_insured_outcome_free(o);
    /* nothing applied: the register is as seeded */
    assert_int_equal(dms_insured_register_count(reg), 9);
    assert_int_equal(dms_insured_register_find(reg, "P1")->status, DMS_INSURED_INCLUDED);
    dms_insured_register_free(reg);
}

/* Retro window: today − 30 is allowed, today − 31 is not; the policy period's
   first and last day are inside, the days around them outside. */
static void boundaries(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    dms_insured_batch *b = NULL;
    dms_insured_rules r = rules();
    struct {
        long day;
        long today;
        const char *code; /* NULL: accepted */
    } cases[] = {
        {D(2026, 5, 16), D(2026, 6, 15), NULL},                   /* today − 30 */
        {D(2026, 5, 15), D(2026, 6, 15), "retro_beyond_window"},  /* today − 31 */
        {D(2026, 1, 1), D(2026, 1, 10), NULL},                    /* first day */
        {D(2025, 12, 31), D(2026, 1, 10), "date_outside_policy"}, /* day before */
        {D(2026, 12, 31), D(2026, 6, 15), NULL},                  /* last day */
        {D(2027, 1, 1), D(2026, 6, 15), "date_outside_policy"},   /* day after */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(dms_insured_batch_alloc(&b), DMS_OK);
        dms_insured_change c = {.action = DMS_INSURED_ATTACH,
                                .effective_day = cases[i].day,
                                .policy = "NEW",
                                .employee_id = "E9",
                                .full_name = "Новый",
                                .programme = "plus",
                                .birth_day = DMS_INSURED_NO_DATE};
        assert_int_equal(dms_insured_batch_add(b, &c, NULL), DMS_OK);
        r.today = cases[i].today;
        dms_insured_outcome *o = NULL;
        assert_int_equal(dms_insured_check(reg, &r, b, &o, NULL), DMS_OK);
        if (cases[i].code == NULL) {
            assert_true(o->ok);
            assert_int_equal(o->npersons, 1);
            assert_int_equal(o->persons[0].date_from, cases[i].day);
        } else {
            assert_false(o->ok);
            assert_int_equal(o->nissues, 1);
            assert_string_equal(dms_insured_issue_name(o->issues[0].code), cases[i].code);
            assert_int_equal(o->issues[0].line, 0); /* typed in: no line */
        }
        dms_insured_outcome_free(o);
        dms_insured_batch_free(b);
    }
    /* a negative window means no limit */
    r.retro_days = -1;
    r.today = D(2026, 12, 1);
    assert_int_equal(dms_insured_batch_alloc(&b), DMS_OK);
    dms_insured_change c = {.action = DMS_INSURED_DETACH,
                            .effective_day = D(2026, 2, 1),
                            .policy = "P1",
                            .birth_day = DMS_INSURED_NO_DATE};
    dms_insured_batch_add(b, &c, NULL);
    dms_insured_outcome *o = NULL;
    assert_int_equal(dms_insured_check(reg, &r, b, &o, NULL), DMS_OK);
    assert_true(o->ok);
    dms_insured_outcome_free(o);
    /* bad rules are a caller's error */
    r.policy_to = r.policy_from - 1;
    dms_error err;
    assert_int_equal(dms_insured_check(reg, &r, b, &o, &err), DMS_EINVAL);
    assert_null(o);
    dms_insured_batch_free(b);
    dms_insured_register_free(reg);
}

/* Excluded twice inside one file: the second detach is the fault. */
static void excluded_twice_in_one_file(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    char text[1024];
    snprintf(text, sizeof text,
             "%sоткрепить;01.07.2026;P1;;;;;;\r\nоткрепить;02.07.2026;P1;;;;;;\r\n", HDR_RU);
    dms_insured_outcome *o = run(reg, text);
    assert_false(o->ok);
    assert_int_equal(o->nissues, 1);
    expect_issue(o, 0, "already_excluded", 3, 1, "полис P1 уже откреплён (исключён с 01.07.2026)",
                 "policy P1 is already detached (excluded since 01.07.2026)");
    dms_insured_outcome_free(o);
    /* a faulty first row does not cascade into the rows after it */
    snprintf(text, sizeof text,
             "%sприкрепить;01.07.2026;P30;E30;;Орлов;;;gold\r\n"
             "открепить;02.07.2026;P30;;;;;;\r\n",
             HDR_RU);
    o = run(reg, text);
    assert_int_equal(o->nissues, 1);
    expect_issue(o, 0, "unknown_programme", 2, 9, "gold", "gold");
    dms_insured_outcome_free(o);
    /* a row refused while reading does not hide a fault of an earlier row
       about the same person */
    snprintf(text, sizeof text,
             "%sоткрепить;01.07.2026;P3;;;;;;\r\nоткрепить;32.07.2026;P3;;;;;;\r\n", HDR_RU);
    o = run(reg, text);
    assert_int_equal(o->nissues, 2);
    expect_issue(o, 0, "already_excluded", 2, 1, "P3", "P3");
    expect_issue(o, 1, "bad_date", 3, 2, "32.07.2026", "32.07.2026");
    dms_insured_outcome_free(o);
    /* a value under a blank header cell is not dropped silently */
    o = run(reg, "Действие;;Дата действия;Номер полиса\nоткрепить;зачем;01.07.2026;P1\n");
    assert_int_equal(o->nissues, 1);
    expect_issue(o, 0, "bad_value", 2, 2, "в столбце без заголовка", "without a header");
    dms_insured_outcome_free(o);
    dms_insured_register_free(reg);
}

/* ---- atomicity -------------------------------------------------------------------- */

static char *bulk(size_t n, size_t bad_row)
{
    size_t cap = n * 200 + 512;
    char *text = malloc(cap);
    size_t o = (size_t)snprintf(text, cap, "%s", HDR_RU);
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "%s;01.07.2026;B%06zu;T%06zu;сотрудник;Сотрудник %06zu;;Отдел "
                              "%zu;base\r\n",
                              i == bad_row ? "уволить" : "прикрепить", i, i, i, i % 17);
    return text;
}

static void atomic_bulk(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    char *text = bulk(10000, 6999);
    dms_insured_outcome *o = run(reg, text);
    assert_false(o->ok);
    assert_int_equal(o->nissues_total, 1);
    expect_issue(o, 0, "unknown_action", 7001, 1, "уволить", "unknown action");
    assert_int_equal(o->nchanges, 0);
    assert_int_equal(o->npersons, 0);
    dms_error err;
    assert_int_equal(dms_insured_register_apply(reg, o, &err), DMS_EINVAL);
    dms_insured_outcome_free(o);
    assert_int_equal(dms_insured_register_count(reg), 3);
    assert_null(dms_insured_register_find(reg, "B000000"));
    free(text);

    text = bulk(10000, (size_t)-1);
    o = run(reg, text);
    assert_true(o->ok);
    assert_int_equal(o->nchanges, 10000);
    assert_int_equal(o->npersons, 10000);
    assert_int_equal(dms_insured_register_apply(reg, o, &err), DMS_OK);
    dms_insured_outcome_free(o);
    free(text);
    assert_int_equal(dms_insured_register_count(reg), 10003);
    const dms_insured_person *p = dms_insured_register_find(reg, "B009999");
    assert_non_null(p);
    assert_string_equal(p->full_name, "Сотрудник 009999");
    assert_int_equal(p->status, DMS_INSURED_INCLUDED);
    assert_int_equal(p->date_from, D(2026, 7, 1));
    assert_int_equal(p->date_to, DMS_INSURED_OPEN_END);
    dms_insured_register_free(reg);
}

/* ---- history --------------------------------------------------------------------- */

static dms_insured_change one(enum dms_insured_action a, long day, const char *programme)
{
    dms_insured_change c = {.action = a,
                            .effective_day = day,
                            .policy = "H1",
                            .employee_id = "EH",
                            .full_name = "Гусев Глеб",
                            .department = "Склад",
                            .programme = programme,
                            .birth_day = DMS_INSURED_NO_DATE};
    return c;
}

static void history_and_period(void **state)
{
    (void)state;
    dms_insured_register *reg = NULL;
    assert_int_equal(dms_insured_register_alloc(&reg), DMS_OK);
    dms_insured_rules r = rules();
    r.retro_days = -1;
    dms_insured_change steps[5] = {
        one(DMS_INSURED_ATTACH, D(2026, 1, 10), "base"),
        one(DMS_INSURED_CHANGE_PROGRAMME, D(2026, 3, 1), "plus"),
        one(DMS_INSURED_SUSPEND, D(2026, 4, 1), ""),
        one(DMS_INSURED_ATTACH, D(2026, 5, 1), ""), /* resume */
        one(DMS_INSURED_DETACH, D(2026, 9, 1), ""),
    };
    const enum dms_insured_status after[5] = {DMS_INSURED_INCLUDED, DMS_INSURED_INCLUDED,
                                              DMS_INSURED_SUSPENDED, DMS_INSURED_INCLUDED,
                                              DMS_INSURED_EXCLUDED};
    dms_insured_change history[5];
    dms_insured_outcome *outs[5];
    for (int i = 0; i < 5; i++) {
        dms_insured_batch *b = NULL;
        dms_insured_batch_alloc(&b);
        dms_insured_batch_add(b, &steps[i], NULL);
        assert_int_equal(dms_insured_check(reg, &r, b, &outs[i], NULL), DMS_OK);
        dms_insured_batch_free(b);
        assert_true(outs[i]->ok);
        assert_int_equal(outs[i]->nchanges, 1);
        history[i] = outs[i]->changes[0]; /* the outcome owns its strings: kept alive below */
        assert_int_equal(dms_insured_register_apply(reg, outs[i], NULL), DMS_OK);
        const dms_insured_person *p = dms_insured_register_find(reg, "H1");
        assert_int_equal(p->status, after[i]);
        assert_int_equal(p->status_day, steps[i].effective_day);
    }
    assert_false(history[0].had_before);
    assert_true(history[1].had_before);
    assert_string_equal(history[1].programme_before, "base");
    assert_int_equal(history[2].status_before, DMS_INSURED_INCLUDED);
    assert_int_equal(history[3].status_before, DMS_INSURED_SUSPENDED);
    const dms_insured_person *p = dms_insured_register_find(reg, "H1");
    assert_string_equal(p->programme, "plus"); /* resumed on the changed programme */
    assert_int_equal(p->date_from, D(2026, 1, 10));
    assert_int_equal(p->date_to, D(2026, 8, 31)); /* detached from 01.09: covered to 31.08 */
    /* a change dated before the latest one is refused */
    dms_insured_batch *b = NULL;
    dms_insured_batch_alloc(&b);
    dms_insured_change late = one(DMS_INSURED_ATTACH, D(2026, 8, 1), "base");
    dms_insured_batch_add(b, &late, NULL);
    dms_insured_outcome *o = NULL;
    dms_insured_check(reg, &r, b, &o, NULL);
    assert_false(o->ok);
    assert_string_equal(dms_insured_issue_name(o->issues[0].code), "before_last_change");
    dms_insured_outcome_free(o);
    dms_insured_batch_free(b);

    /* the changes of March to May, in the template */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(dms_insured_changes_csv(history, 5, D(2026, 3, 1), D(2026, 5, 31), f, NULL),
                     DMS_OK);
    fclose(f);
    const char *expect =
        "\xEF\xBB\xBFДействие;Дата действия;Номер полиса;Табельный номер;Связь;ФИО;Дата "
        "рождения;Подразделение;Программа\r\n"
        "изменить программу;01.03.2026;H1;EH;;Гусев Глеб;;Склад;plus\r\n"
        "приостановить;01.04.2026;H1;EH;;Гусев Глеб;;Склад;\r\n"
        "прикрепить;01.05.2026;H1;EH;;Гусев Глеб;;Склад;\r\n";
    assert_string_equal(buf, expect);
    /* read back: the same three changes */
    dms_insured_batch *back = NULL;
    assert_int_equal(dms_insured_template_read(buf, len, DMS_INSURED_AUTO, "h.csv", &back, NULL),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(back), 0);
    assert_int_equal(dms_insured_batch_count(back), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dms_insured_batch_get(back, i)->action, history[i + 1].action);
        assert_int_equal(dms_insured_batch_get(back, i)->effective_day,
                         history[i + 1].effective_day);
    }
    dms_insured_batch_free(back);
    free(buf);

    /* and as XLSX, read back through the template reader */
    char *x = NULL;
    assert_int_equal(dms_insured_changes_xlsx(history, 5, DMS_INSURED_NO_DATE, DMS_INSURED_OPEN_END,
                                              NULL, &x, &len, NULL),
                     DMS_OK);
    assert_int_equal(dms_insured_template_read(x, len, DMS_INSURED_AUTO, "h.xlsx", &back, NULL),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(back), 0);
    assert_int_equal(dms_insured_batch_count(back), 5);
    for (size_t i = 0; i < 5; i++) {
        const dms_insured_change *c = dms_insured_batch_get(back, i);
        assert_int_equal(c->action, history[i].action);
        assert_int_equal(c->effective_day, history[i].effective_day);
        assert_string_equal(c->policy, "H1");
        assert_string_equal(c->programme, history[i].programme);
        assert_int_equal(c->line, (int)i + 2);
    }
    dms_insured_batch_free(back);
    free(x);
    /* the membership it implies: a gap while suspended, a split at the
       programme change; member-months against the analytic count */
    dms_insured_person born = *dms_insured_register_find(reg, "H1");
    born.birth_day = D(1980, 6, 1);
    assert_int_equal(dms_insured_register_put(reg, &born, NULL), DMS_OK);
    dms_membership *m = NULL;
    size_t skipped = 99;
    assert_int_equal(dms_insured_membership(reg, history, 5, &m, &skipped, NULL), DMS_OK);
    assert_int_equal(skipped, 0);
    assert_int_equal(m->count, 3);
    assert_int_equal(m->members[0].attach_day, D(2026, 1, 10));
    assert_int_equal(m->members[0].detach_day, D(2026, 2, 28));
    assert_string_equal(m->members[0].segment, "base");
    assert_int_equal(m->members[1].attach_day, D(2026, 3, 1));
    assert_int_equal(m->members[1].detach_day, D(2026, 3, 31));
    assert_string_equal(m->members[1].segment, "plus");
    assert_int_equal(m->members[2].attach_day, D(2026, 5, 1));
    assert_int_equal(m->members[2].detach_day, D(2026, 8, 31));
    assert_string_equal(m->members[2].policy_id, "H1");
    assert_string_equal(m->members[2].department, "Склад");
    double mm = dms_exposure_total(m, D(2026, 1, 1), D(2026, 12, 31), NULL, NULL);
    assert_true(fabs(mm - (6.0 + 22.0 / 31.0)) < 1e-12);
    dms_membership_free(m);
    for (int i = 0; i < 5; i++)
        dms_insured_outcome_free(outs[i]);
    dms_insured_register_free(reg);
}

/* Without history the snapshot gives one stretch per person; a person
   without a birth date cannot be aged and is left out, counted. */
static void membership_from_snapshot(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    dms_membership *m = NULL;
    size_t skipped = 0;
    assert_int_equal(dms_insured_membership(reg, NULL, 0, &m, &skipped, NULL), DMS_OK);
    assert_int_equal(skipped, 1); /* P3 */
    assert_int_equal(m->count, 2);
    assert_int_equal(m->members[0].detach_day, DMS_EXPOSURE_OPEN); /* P1 included */
    assert_int_equal(m->members[1].detach_day, D(2026, 2, 28));    /* P2 suspended 01.03 */
    double mm = dms_exposure_total(m, D(2026, 1, 1), D(2026, 12, 31), NULL, NULL);
    assert_true(fabs(mm - 14.0) < 1e-12);
    dms_membership_free(m);
    dms_insured_register_free(reg);
}

/* ---- XLSX templates -------------------------------------------------------------- */

static void xlsx_template_faults(void **state)
{
    (void)state;
    static const dms_xlsx_column cols[3] = {{"Действие", DMS_XLSX_TEXT, 0},
                                            {"Дата действия", DMS_XLSX_DATEFMT, 0},
                                            {"Номер полиса", DMS_XLSX_TEXT, 0}};
    dms_xlsx_value v[6] = {
        {DMS_XLSX_STRING, "открепить", 0, 0},    {DMS_XLSX_DATE, NULL, 0, D(2026, 7, 1)},
        {DMS_XLSX_STRING, "P1", 0, 0},           {DMS_XLSX_STRING, "стереть", 0, 0},
        {DMS_XLSX_DATE, NULL, 0, D(2026, 7, 1)}, {DMS_XLSX_NUMBER, NULL, 12345, 0}};
    char *x = NULL;
    size_t len = 0;
    assert_int_equal(dms_xlsx_write_table(NULL, "Лист1", cols, 3, v, 2, &x, &len, NULL), DMS_OK);
    dms_insured_register *reg = seed();
    dms_insured_batch *b = NULL;
    assert_int_equal(dms_insured_template_read(x, len, DMS_INSURED_AUTO, "u.xlsx", &b, NULL),
                     DMS_OK);
    dms_insured_rules r = rules();
    dms_insured_outcome *o = NULL;
    assert_int_equal(dms_insured_check(reg, &r, b, &o, NULL), DMS_OK);
    assert_false(o->ok);
    assert_int_equal(o->nissues, 1);
    expect_issue(o, 0, "unknown_action", 3, 1, "ячейка A3: неизвестное действие «стереть»",
                 "cell A3: unknown action");
    dms_insured_outcome_free(o);
    dms_insured_batch_free(b);
    /* a number cell as the policy (Excel's habit) is read as its digits */
    v[3].text = "приостановить";
    free(x);
    assert_int_equal(dms_xlsx_write_table(NULL, "Лист1", cols, 3, v, 2, &x, &len, NULL), DMS_OK);
    dms_insured_template_read(x, len, DMS_INSURED_AUTO, "u.xlsx", &b, NULL);
    assert_int_equal(dms_insured_batch_issue_count(b), 0);
    assert_string_equal(dms_insured_batch_get(b, 1)->policy, "12345");
    dms_insured_batch_free(b);
    /* a broken XLSX is one issue, not a crash */
    x[len / 2] ^= 0x55;
    x[len / 2 + 1] ^= 0x55;
    dms_insured_template_read(x, len / 3, DMS_INSURED_XLSX, "u.xlsx", &b, NULL);
    assert_int_equal(dms_insured_batch_issue_count(b), 1);
    assert_string_equal(dms_insured_issue_name(dms_insured_batch_issue(b, 0)->code), "bad_file");
    dms_insured_batch_free(b);
    free(x);
    dms_insured_register_free(reg);
}

/* ---- the list ---------------------------------------------------------------------- */

static void list_paging_and_downloads(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    dms_insured_person evil = {"P4",
                               "E4",
                               DMS_RELATION_EMPLOYEE,
                               "=HYPERLINK(\"http://x\")",
                               DMS_INSURED_NO_DATE,
                               "Отдел; \"А\"",
                               "base",
                               DMS_INSURED_INCLUDED,
                               D(2026, 2, 1),
                               DMS_INSURED_OPEN_END,
                               D(2026, 2, 1)};
    assert_int_equal(dms_insured_register_put(reg, &evil, NULL), DMS_OK);
    const dms_insured_person *page[10];
    size_t n = 0, total = 0;
    assert_int_equal(dms_insured_list(reg, NULL, 0, 10, page, &n, &total), DMS_OK);
    assert_int_equal(total, 4);
    /* by name: '=' sorts before Cyrillic */
    assert_string_equal(page[0]->policy, "P4");
    assert_string_equal(page[1]->full_name, "Иванов Иван");
    assert_string_equal(page[2]->full_name, "Иванова Анна");
    assert_string_equal(page[3]->full_name, "Петров Пётр");
    assert_int_equal(dms_insured_list(reg, NULL, 3, 10, page, &n, &total), DMS_OK);
    assert_int_equal(n, 1);
    dms_insured_filter f = {.department = "ИТ", .status = -1};
    assert_int_equal(dms_insured_list(reg, &f, 1, 10, page, &n, &total), DMS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(n, 1);
    assert_string_equal(page[0]->policy, "P2");
    f = (dms_insured_filter){.status = DMS_INSURED_EXCLUDED};
    dms_insured_list(reg, &f, 0, 10, page, &n, &total);
    assert_int_equal(total, 1);
    assert_string_equal(page[0]->policy, "P3");

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(dms_insured_report_csv(reg, NULL, out, NULL), DMS_OK);
    fclose(out);
    assert_string_equal(buf, "\xEF\xBB\xBFФИО;Подразделение;Статус;Дата подключения\r\n"
                             "\"'=HYPERLINK(\"\"http://x\"\")\";\"Отдел; \"\"А\"\"\";включён;"
                             "01.02.2026\r\n"
                             "Иванов Иван;ИТ;включён;01.01.2026\r\n"
                             "Иванова Анна;ИТ;приостановлен;01.01.2026\r\n"
                             "Петров Пётр;Продажи;исключён;01.01.2026\r\n");
    free(buf);

    /* the list read back as a template is an attach batch of the same people */
    out = open_memstream(&buf, &len);
    assert_int_equal(dms_insured_list_csv(reg, NULL, out, NULL), DMS_OK);
    fclose(out);
    assert_non_null(strstr(buf, "Статус;Дата начала;Дата окончания\r\n"));
    assert_non_null(strstr(buf, "исключён;01.01.2026;27.02.2026\r\n"));
    dms_insured_batch *b = NULL;
    assert_int_equal(dms_insured_template_read(buf, len, DMS_INSURED_AUTO, "l.csv", &b, NULL),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(b), 0);
    assert_int_equal(dms_insured_batch_count(b), 4);
    const dms_insured_change *c = dms_insured_batch_get(b, 2);
    assert_string_equal(c->policy, "P2");
    assert_int_equal(c->relation, DMS_RELATION_CHILD);
    assert_int_equal(c->birth_day, D(2015, 5, 5));
    assert_string_equal(c->programme, "family");
    /* the apostrophe stays: a neutralised cell never turns back into a formula */
    assert_string_equal(dms_insured_batch_get(b, 0)->full_name, "'=HYPERLINK(\"http://x\")");
    dms_insured_batch_free(b);
    free(buf);

    /* report as XLSX: typed date cells */
    char *x = NULL;
    assert_int_equal(dms_insured_report_xlsx(reg, NULL, NULL, &x, &len, NULL), DMS_OK);
    dms_xlsx_sheet *sh = NULL;
    assert_int_equal(dms_xlsx_read_first(x, len, NULL, NULL, &sh, NULL), DMS_OK);
    assert_string_equal(sh->name, "Застрахованные");
    assert_int_equal(sh->nrows, 5);
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[0], 4)->text, "Дата подключения");
    assert_int_equal(dms_xlsx_row_cell(&sh->rows[2], 4)->type, DMS_XLSX_DATE);
    assert_int_equal(dms_xlsx_row_cell(&sh->rows[2], 4)->days, D(2026, 1, 1));
    assert_string_equal(dms_xlsx_row_cell(&sh->rows[1], 1)->text, "=HYPERLINK(\"http://x\")");
    dms_xlsx_sheet_free(sh);
    free(x);
    /* list as XLSX, read back as a template */
    assert_int_equal(dms_insured_list_xlsx(reg, NULL, NULL, &x, &len, NULL), DMS_OK);
    assert_int_equal(dms_insured_template_read(x, len, DMS_INSURED_AUTO, "l.xlsx", &b, NULL),
                     DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(b), 0);
    assert_int_equal(dms_insured_batch_count(b), 4);
    assert_int_equal(dms_insured_batch_get(b, 3)->effective_day, D(2026, 1, 1));
    dms_insured_batch_free(b);
    free(x);
    dms_insured_register_free(reg);
}

/* The JSON shapes the HTTP layer sends: a refused batch's issues, an
   accepted batch's changes and persons. */
static void json_shapes(void **state)
{
    (void)state;
    dms_insured_register *reg = seed();
    char text[1024];
    snprintf(text, sizeof text, "%sуволить;01.07.2026;P1;;;;;;\r\n", HDR_RU);
    dms_insured_outcome *o = run(reg, text);
    json_t *j = dms_insured_outcome_json(o);
    assert_non_null(j);
    assert_true(json_is_false(json_object_get(j, "ok")));
    assert_int_equal(json_integer_value(json_object_get(j, "issues_total")), 1);
    json_t *is = json_array_get(json_object_get(j, "issues"), 0);
    assert_string_equal(json_string_value(json_object_get(is, "code")), "unknown_action");
    assert_int_equal(json_integer_value(json_object_get(is, "line")), 2);
    assert_int_equal(json_integer_value(json_object_get(is, "column")), 1);
    assert_string_equal(json_string_value(json_object_get(is, "field")), "action");
    assert_non_null(strstr(json_string_value(json_object_get(is, "message_ru")), "уволить"));
    json_decref(j);
    dms_insured_outcome_free(o);

    snprintf(text, sizeof text, "%sизменить программу;01.07.2026;P1;;;;;;plus\r\n", HDR_RU);
    o = run(reg, text);
    assert_true(o->ok);
    j = dms_insured_outcome_json(o);
    assert_true(json_is_true(json_object_get(j, "ok")));
    json_t *c = json_array_get(json_object_get(j, "changes"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "action")), "change_programme");
    assert_string_equal(json_string_value(json_object_get(c, "action_ru")), "изменить программу");
    assert_string_equal(json_string_value(json_object_get(c, "effective_date")), "2026-07-01");
    assert_true(json_is_null(json_object_get(c, "relation")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "before"), "programme")), "base");
    json_t *p = json_array_get(json_object_get(j, "persons"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "policy_number")), "P1");
    assert_string_equal(json_string_value(json_object_get(p, "programme")), "plus");
    assert_string_equal(json_string_value(json_object_get(p, "status_ru")), "включён");
    assert_string_equal(json_string_value(json_object_get(p, "birth_date")), "1990-01-02");
    assert_string_equal(json_string_value(json_object_get(p, "date_from")), "2026-01-01");
    assert_true(json_is_null(json_object_get(p, "date_to")));
    assert_string_equal(json_string_value(json_object_get(p, "status_day")), "2026-07-01");
    json_decref(j);
    dms_insured_outcome_free(o);
    dms_insured_register_free(reg);
}

static void vocabularies(void **state)
{
    (void)state;
    enum dms_insured_action a;
    assert_true(dms_insured_action_from_text(" Прикрепление ", strlen(" Прикрепление "), &a));
    assert_int_equal(a, DMS_INSURED_ATTACH);
    assert_true(dms_insured_action_from_text("change_programme", 16, &a));
    assert_int_equal(a, DMS_INSURED_CHANGE_PROGRAMME);
    assert_true(
        dms_insured_action_from_text("Изменение  программы", strlen("Изменение  программы"), &a));
    assert_false(dms_insured_action_from_text("уволить", strlen("уволить"), &a));
    enum dms_insured_status s;
    assert_true(dms_insured_status_from_text("исключен", strlen("исключен"), &s));
    assert_int_equal(s, DMS_INSURED_EXCLUDED);
    assert_string_equal(dms_insured_status_name_ru(DMS_INSURED_SUSPENDED), "приостановлен");
    assert_string_equal(dms_insured_action_name(DMS_INSURED_DETACH), "detach");
    assert_string_equal(dms_insured_issue_name(DMS_INSURED_E_RETRO_WINDOW), "retro_beyond_window");
    assert_string_equal(dms_insured_issue_name(DMS_INSURED_E_COUNT), "?");
    /* every code has a distinct name */
    for (int i = 0; i < DMS_INSURED_E_COUNT; i++)
        for (int j = i + 1; j < DMS_INSURED_E_COUNT; j++)
            assert_string_not_equal(dms_insured_issue_name(i), dms_insured_issue_name(j));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_csv_russian_and_english),
        cmocka_unit_test(header_faults),
        cmocka_unit_test(bad_input_at_line_and_column),
        cmocka_unit_test(boundaries),
        cmocka_unit_test(excluded_twice_in_one_file),
        cmocka_unit_test(atomic_bulk),
        cmocka_unit_test(history_and_period),
        cmocka_unit_test(membership_from_snapshot),
        cmocka_unit_test(xlsx_template_faults),
        cmocka_unit_test(list_paging_and_downloads),
        cmocka_unit_test(json_shapes),
        cmocka_unit_test(vocabularies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
