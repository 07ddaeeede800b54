/*
 * Tests of the two languages of errors: every Russian template takes exactly
 * the arguments of its English one (a mismatch would be undefined behaviour in
 * vsnprintf), errors raised in English carry their Russian form, messages with
 * no template still reach a Russian reader in Russian first, and the API keeps
 * the language asked for by Accept-Language in errors and warnings.
 */
#include "dms/api.h"
#include "dms/diag.h"
#include "dms/enrol_store.h"
#include "dms/error.h"
#include "dms/finance.h"
#include "dms/jsonread.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

#include <stdlib.h>
#include <string.h>

#include "run_command.h"
#include "testutil.h"

/* The arguments a printf format takes, e.g. "%s|%.64s|%zu" -> "s|s|zu|" (length
 * modifier and conversion; flags, width and precision may differ). */
static void conversions(const char *fmt, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        /* Flags, width and precision do not change what is taken ("%.0s"
         * takes a string and prints none of it); each '*' takes an int. */
        while (*p != '\0' && strchr("-+ #0123456789.*", *p) != NULL) {
            if (*p == '*') {
                assert_true(n + 3 < size);
                memcpy(out + n, "*|", 3);
                n += 2;
            }
            p++;
        }
        const char *start = p;
        while (*p != '\0' && strchr("hlLqjzt", *p) != NULL)
            p++;
        assert_true(*p != '\0');
        size_t len = (size_t)(p - start) + 1;
        assert_true(n + len + 2 < size);
        memcpy(out + n, start, len);
        n += len;
        out[n++] = '|';
        out[n] = '\0';
    }
}

static void test_every_pair_takes_the_same_arguments(void **state)
{
    (void)state;
    const char *en, *ru;
    int count = 0;
    for (int i = 0; dms_error_template_pair(i, &en, &ru); i++, count++) {
        char a[256], b[256];
        conversions(en, a, sizeof a);
        conversions(ru, b, sizeof b);
        if (strcmp(a, b) != 0)
            fail_msg("'%s' takes %s but its Russian form takes %s", en, a, b);
        /* Russian text is Cyrillic somewhere: a pair is not a copy. */
        assert_true(strcmp(en, ru) != 0);
        /* Each English template once: a second would never be found. */
        for (int j = 0; j < i; j++) {
            const char *en2, *ru2;
            assert_true(dms_error_template_pair(j, &en2, &ru2));
            if (strcmp(en, en2) == 0)
                fail_msg("'%s' is in the table twice", en);
        }
        assert_ptr_equal(dms_error_template_ru(en), ru);
    }
    assert_true(count >= 100);
    assert_null(dms_error_template_ru(NULL));
}

static void test_errors_carry_both_languages(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, "/plan/segments/0/modules/1",
                  "module '%s' is not in the tariff '%s'", "spa", "corporate-2026");
    assert_string_equal(err.message, "module 'spa' is not in the tariff 'corporate-2026'");
    assert_string_equal(err.message_ru, "модуля «spa» нет в тарифе «corporate-2026»");
    char buf[1024];
    assert_string_equal(dms_error_message(&err, true, buf, sizeof buf), err.message_ru);
    assert_string_equal(dms_error_message(&err, false, buf, sizeof buf), err.message);

    /* The first error wins in both languages. */
    dms_error_set(&err, DMS_EINVAL, NULL, "no route");
    assert_string_equal(err.message_ru, "модуля «spa» нет в тарифе «corporate-2026»");

    /* No template: Russian status text first, then the English details. */
    dms_error_clear(&err);
    dms_error_set(&err, DMS_ENOTFOUND, "/x", "thing %d is %s", 7, "gone");
    assert_string_equal(err.message_ru, "");
    assert_string_equal(dms_error_message(&err, true, buf, sizeof buf),
                        "не найдено: thing 7 is gone");

    /* A template may drop an argument it does not need ("%.0s"). */
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, NULL, "module '%s' is not in the %s '%s'", "spa", "tariff",
                  "corporate-2026");
    assert_string_equal(err.message_ru, "модуля «spa» нет в «corporate-2026»");

    /* A message already written in both languages gives each its part. */
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, "/options", "%s",
                  "доплата больше лимита / the top-up is over the cap");
    assert_string_equal(dms_error_message(&err, true, buf, sizeof buf), "доплата больше лимита");
    assert_string_equal(dms_error_message(&err, false, buf, sizeof buf),
                        "the top-up is over the cap");
    /* " / " inside an English message is not a language split. */
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, NULL, "%s", "a / b");
    assert_string_equal(dms_error_message(&err, false, buf, sizeof buf), "a / b");

    /* At a line of a text file too. */
    dms_error_clear(&err);
    dms_error_set_at(&err, DMS_EINVAL, "c.csv", 2, 1,
                     "region '%s' is not in the tariff: priced as '%s'", "Тула", "other");
    assert_string_equal(err.message_ru,
                        "региона «Тула» нет в тарифе: цена рассчитана как для «other»");
    dms_error_use_russian(true);
    assert_string_equal(dms_error_format(&err, buf, sizeof buf),
                        "c.csv:2:1: региона «Тула» нет в тарифе: цена рассчитана как для «other»");
    dms_error_use_russian(false);
    assert_string_equal(dms_error_format(&err, buf, sizeof buf),
                        "c.csv:2:1: region 'Тула' is not in the tariff: priced as 'other'");
}

static void test_diag_summary_in_russian(void **state)
{
    (void)state;
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(0, &diag), DMS_OK);
    dms_diag_add_at(diag, DMS_EINVAL, "c.csv", 3, 1,
                    "region '%s' is not in the tariff: priced as '%s'", "Тула", "other");
    dms_diag_add_path(diag, DMS_EINVAL, "/a", "no route");
    dms_diag_add_path(diag, DMS_EINVAL, "/b", "no route");
    assert_string_equal(dms_diag_get(diag, 1)->message_ru, "нет такого адреса");
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_diag_first(diag, &err), DMS_EINVAL);
    assert_string_equal(err.message_ru,
                        "региона «Тула» нет в тарифе: цена рассчитана как для «other» (и ещё 2)");
    assert_string_equal(err.message,
                        "region 'Тула' is not in the tariff: priced as 'other' (and 2 more)");
    dms_diag_free(diag);
}

/* The error body of err after localisation for accept_language; the caller frees. */
static json_t *localized(const dms_error *err, const char *accept_language)
{
    dms_api_response resp = {0};
    dms_api_response_error(&resp, 422, err, NULL);
    dms_api_response_localize(&resp, accept_language);
    assert_int_equal(resp.status, 422);
    assert_true(resp.body_len > 0 && resp.body[resp.body_len - 1] == '\n');
    json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_non_null(root);
    free(resp.body);
    json_t *error = json_object_get(root, "error");
    assert_non_null(error);
    assert_null(json_object_get(error, "message_ru")); /* never shown to clients */
    assert_string_equal(json_string_value(json_object_get(error, "code")), "invalid_parameter");
    return root;
}

/* The body as a string: response bodies are length-delimited, not NUL-ended. */
static char *body_text(dms_api_response *resp)
{
    char *text = strndup(resp->body, resp->body_len);
    assert_non_null(text);
    free(resp->body);
    resp->body = NULL;
    return text;
}

static const char *message_of(json_t *root)
{
    return json_string_value(json_object_get(json_object_get(root, "error"), "message"));
}

static void test_api_follows_accept_language(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, "/network", "network '%s' is not in the tariff", "gold");
    static const struct {
        const char *accept;
        bool ru;
    } cases[] = {
        {NULL, false},
        {"ru", true},
        {"ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", true},
        {"en-US,en;q=0.9,ru;q=0.8", false},
        {"de-DE, ru;q=0.5", true},
        {"fr", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = localized(&err, cases[i].accept);
        assert_string_equal(message_of(root), cases[i].ru ? "сети клиник «gold» нет в тарифе"
                                                          : "network 'gold' is not in the tariff");
        json_decref(root);
        assert_int_equal(dms_api_prefers_russian(cases[i].accept), cases[i].ru);
    }

    /* Warnings of a report: the Russian list replaces the English one. */
    dms_api_response resp = {0};
    dms_api_response_json(
        &resp, 200,
        json_pack("{s:i, s:[s], s:[s]}", "total", 5, "warnings", "w-en", "warnings_ru", "w-ru"));
    dms_api_response_localize(&resp, "ru");
    char *text = body_text(&resp);
    assert_non_null(strstr(text, "\"warnings\":[\"w-ru\"]"));
    assert_null(strstr(text, "warnings_ru"));
    assert_null(strstr(text, "w-en"));
    free(text);
    resp = (dms_api_response){0};
    dms_api_response_json(
        &resp, 200,
        json_pack("{s:i, s:[s], s:[s]}", "total", 5, "warnings", "w-en", "warnings_ru", "w-ru"));
    dms_api_response_localize(&resp, NULL);
    text = body_text(&resp);
    assert_non_null(strstr(text, "\"warnings\":[\"w-en\"]"));
    assert_null(strstr(text, "w-ru"));
    free(text);

    /* Objects with their own "message_ru" and "message_en" but no "message"
     * are the client's to pick from: kept as they are. */
    resp = (dms_api_response){0};
    dms_api_response_json(
        &resp, 200,
        json_pack("{s:[{s:s, s:s}]}", "issues", "message_ru", "ру", "message_en", "en"));
    dms_api_response_localize(&resp, "ru");
    text = body_text(&resp);
    assert_non_null(strstr(text, "\"message_ru\":\"ру\""));
    assert_non_null(strstr(text, "\"message_en\":\"en\""));
    free(text);

    /* Bodies without two-language members are left byte for byte. */
    resp = (dms_api_response){0};
    dms_api_response_json(&resp, 200, json_pack("{s:s}", "message", "as is"));
    char *before = strndup(resp.body, resp.body_len);
    const char *same = resp.body;
    dms_api_response_localize(&resp, "ru");
    assert_ptr_equal(resp.body, same); /* not even re-encoded */
    text = body_text(&resp);
    assert_string_equal(text, before);
    free(before);
    free(text);
}

/* The CLI: English by default, Russian with --lang ru, for the same warning. */
static void test_cli_language(void **state)
{
    (void)state;
    char census[] = "/tmp/dms_error_ru_XXXXXX";
    int fd = mkstemp(census);
    assert_true(fd >= 0);
    static const char csv[] = "employee_id;relation;birth_date;sex;region\n"
                              "1;employee;1985-02-01;F;Тула\n"
                              "2;employee;1990-02-01;M;Москва\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    char *en[] = {"dmsrate",          "quote",
                  "--census",         census,
                  "--plan",           "web/plans/base-2026.json",
                  "--tariff",         "tariffs/corporate-2026.json",
                  "--model",          "models/ru-2026.json",
                  "--format",         "json",
                  "--no-percentiles", NULL};
    char *ru[] = {"dmsrate",
                  "quote",
                  "--census",
                  census,
                  "--plan",
                  "web/plans/base-2026.json",
                  "--tariff",
                  "tariffs/corporate-2026.json",
                  "--model",
                  "models/ru-2026.json",
                  "--format",
                  "json",
                  "--no-percentiles",
                  "--lang",
                  "ru",
                  NULL};
    struct command_result a = run_dmsrate(en);
    struct command_result b = run_dmsrate(ru);
    unlink(census);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_non_null(strstr(a.err, "region 'Тула' is not in the tariff: priced as 'other'"));
    assert_non_null(strstr(b.err, "региона «Тула» нет в тарифе: цена рассчитана как для «other»"));
    assert_null(strstr(b.err, "is not in the tariff"));
    command_result_free(&a);
    command_result_free(&b);
}

/* True if text has a Cyrillic letter (UTF-8 lead bytes 0xD0, 0xD1). */
static bool cyrillic(const char *text)
{
    for (; *text != '\0'; text++)
        if ((unsigned char)*text == 0xD0 || (unsigned char)*text == 0xD1)
            return true;
    return false;
}

/* Every status has its Russian text and stable name, walked up to the first
 * unknown one so that a status appended without Russian is caught. */
static void test_every_status_has_russian(void **state)
{
    (void)state;
    int count = 0;
    for (int s = 0; strcmp(dms_status_name(s), "unknown_error") != 0; s++, count++) {
        const char *ru = dms_strerror_ru(s);
        assert_non_null(ru);
        assert_true(cyrillic(ru));
        assert_string_not_equal(ru, dms_strerror_ru(-1));
        assert_string_not_equal(dms_strerror(s), dms_strerror(-1));
        for (int j = 0; j < s; j++) /* names and texts tell statuses apart */
            if (strcmp(dms_status_name(j), dms_status_name(s)) == 0 ||
                strcmp(dms_strerror_ru(j), ru) == 0)
                fail_msg("statuses %d and %d share a name or a Russian text", j, s);
        /* With no message at all, a Russian reader still reads Russian. */
        dms_error err;
        dms_error_clear(&err);
        err.code = s;
        char buf[256];
        assert_string_equal(dms_error_message(&err, true, buf, sizeof buf), ru);
    }
    assert_int_equal(count, DMS_EUNAVAILABLE + 1);
    assert_string_equal(dms_strerror_ru(DMS_EUNAVAILABLE), "временно недоступно");
    assert_string_equal(dms_strerror_ru(count), "неизвестная ошибка");
}

/* Errors raised by the store, the cabinet and the API, with their Russian form
 * (tests/check-error-ru.py checks the sources; this, that they arrive). */
static void test_store_cabinet_api_speak_russian(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);

    /* The API's --listen, the finance contract, a key of the store. */
    char host[64];
    dms_api_config config = dms_api_config_default();
    assert_int_equal(dms_api_parse_listen("nohostport", host, sizeof host, &config, &err),
                     DMS_EINVAL);
    assert_string_equal(err.message_ru, "--listen: «nohostport» должен иметь вид ХОСТ:ПОРТ");
    dms_finance_contract contract;
    json_t *number = json_integer(1);
    assert_int_equal(dms_finance_contract_from_json(number, &contract, &err), DMS_EINVAL);
    json_decref(number);
    assert_string_equal(err.message_ru, "договор должен быть объектом JSON");

    char dir[64];
    assert_int_equal(test_temp_dir(dir, sizeof dir, "error-ru-store"), 0);
    char db[sizeof dir + 16];
    snprintf(db, sizeof db, "%s/dmsrate.db", dir);
    dms_store *store = NULL;
    assert_int_equal(dms_store_open(db, &store, &err), DMS_OK);
    long employer = 0;
    assert_int_equal(dms_tenant_employer_default(store, &employer, &err), DMS_OK);
    dms_store_tenant_set(store, employer);
    dms_tenant_key key;
    assert_int_equal(dms_tenant_key_get(store, 12345, &key, &err), DMS_ENOTFOUND);
    assert_string_equal(err.message_ru, "ключа 12345 нет");
    assert_string_equal(err.message, "no key 12345");

    /* A fault of an imported census keeps its Russian form on its way out. */
    json_t *policy = NULL;
    assert_int_equal(dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err),
                     DMS_OK);
    static const char csv[] = "employee_id;relation;birth_date;sex;region\n"
                              "1;кузен;1985-02-01;F;Москва\n";
    assert_int_not_equal(dms_enrol_import(store, policy, csv, sizeof csv - 1, "test", NULL, &err),
                         DMS_OK);
    json_decref(policy);
    assert_string_equal(err.path, "/census_csv");
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "relation 'кузен' is not known"));
    assert_string_equal(err.message_ru, "степень родства «кузен» неизвестна (ожидается сотрудник, "
                                        "супруг(а) или ребёнок)");
    dms_store_close(store);

    char path[sizeof db + 8];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair_takes_the_same_arguments),
        cmocka_unit_test(test_errors_carry_both_languages),
        cmocka_unit_test(test_diag_summary_in_russian),
        cmocka_unit_test(test_api_follows_accept_language),
        cmocka_unit_test(test_cli_language),
        cmocka_unit_test(test_every_status_has_russian),
        cmocka_unit_test(test_store_cabinet_api_speak_russian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
