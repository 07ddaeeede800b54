/*
 * Tests of the command line in Russian: with --lang ru (or --lang=ru, or
 * DMS_LANG=ru) a failure of any command, its usage errors as well as the
 * core's errors passed on to it, comes out in Russian and ends with the same
 * stable code as in English, so that a script can match the code whatever the
 * language. Also the two helpers that keep a Russian form when an error is
 * passed on: dms_error_reroot and a message raised as "%s".
 */
#include "dms/error.h"
#include "dms/register.h"

#include <stdlib.h>
#include <string.h>

#include "run_command.h"
#include "testutil.h"

/* True if text has a Cyrillic letter (UTF-8 lead bytes 0xD0, 0xD1). */
static bool cyrillic(const char *text)
{
    for (; *text != '\0'; text++)
        if ((unsigned char)*text == 0xD0 || (unsigned char)*text == 0xD1)
            return true;
    return false;
}

/* The first line of text, in buf. */
static const char *first_line(const char *text, char *buf, size_t size)
{
    size_t n = strcspn(text, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return buf;
}

#define MAX_ARGS 16

struct cli_case {
    const char *args[MAX_ARGS]; /* after "dmsrate", NULL-terminated */
    int status;                 /* exit status, the same in both languages */
    const char *ru;             /* in the Russian first line */
    const char *en;             /* in the English first line */
    const char *code;           /* "[code]" ends both */
};

/* Runs the case with extra (NULL or "--lang", "ru" ...) appended. */
static struct command_result run_case(const struct cli_case *c, const char *const *extra)
{
    char *argv[MAX_ARGS + 4];
    int n = 0;
    argv[n++] = "dmsrate";
    for (int i = 0; c->args[i] != NULL; i++)
        argv[n++] = (char *)c->args[i];
    for (int i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    return run_dmsrate(argv);
}

static void check_case(const struct cli_case *c, const char *const *ru_flags)
{
    char line[2048], code[64];
    snprintf(code, sizeof code, "[%s]", c->code);

    struct command_result en = run_case(c, NULL);
    struct command_result ru = run_case(c, ru_flags);
    if (en.status != c->status || ru.status != c->status)
        fail_msg("%s: exit status %d (en) and %d (ru), expected %d", c->args[0], en.status,
                 ru.status, c->status);

    first_line(ru.err, line, sizeof line);
    if (strstr(line, c->ru) == NULL || strstr(line, code) == NULL)
        fail_msg("Russian: expected '%s' and '%s' in '%s'", c->ru, code, line);
    /* The code closes the line, after the Russian message. */
    assert_string_equal(line + strlen(line) - strlen(code), code);

    first_line(en.err, line, sizeof line);
    if (strstr(line, c->en) == NULL || strstr(line, code) == NULL)
        fail_msg("English: expected '%s' and '%s' in '%s'", c->en, code, line);
    assert_false(cyrillic(line));
    command_result_free(&en);
    command_result_free(&ru);
}

static const struct cli_case cases[] = {
    /* main: an unknown command */
    {{"bogus", NULL},
     2,
     "dmsrate: неизвестная команда «bogus» (см. dmsrate --help)",
     "dmsrate: unknown command 'bogus' (see 'dmsrate --help')",
     "invalid_parameter"},
    /* a command that reads --lang itself for its CSV: a bad flag value */
    {{"quote", "--format", "pdf", "--census", "c.csv", "--plan", "p.json", NULL},
     2,
     "dmsrate quote: --format: «pdf» — не table, json, csv или xlsx",
     "dmsrate quote: --format: 'pdf' is not table, json, csv or xlsx",
     "invalid_parameter"},
    /* a command with no --lang of its own: main takes the flag out */
    {{"keys", "frobnicate", NULL},
     2,
     "dmsrate keys: неизвестное действие «frobnicate»",
     "dmsrate keys: unknown action 'frobnicate'",
     "invalid_parameter"},
    {{"bank", "projection", "--cards", "0", NULL},
     2,
     "dmsrate bank: --cards: целое число от 1 до 100000000",
     "dmsrate bank: --cards: a whole number 1..100000000",
     "invalid_parameter"},
    /* the core's error, passed on by the command */
    {{"quote", "--census", "/nonexistent/census.csv", "--plan", "web/plans/base-2026.json", NULL},
     2,
     "не удалось открыть список застрахованных «/nonexistent/census.csv»",
     "cannot open the census '/nonexistent/census.csv'",
     "io_error"},
    /* the flag the parser puts before the English message, before the Russian one too */
    {{"aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,0.9", "--copay", "1.5", NULL},
     2,
     "dmsrate aggregate: --copay: соплатёж должен быть долей в интервале [0, 1), получено 1.5",
     "dmsrate aggregate: --copay: co-pay must be a share in [0, 1), got 1.5",
     "invalid_parameter"},
    {{"budget", "effect", "--register", "r.csv", NULL},
     2,
     "dmsrate budget effect: --register, --membership и --period обязательны (см. --help)",
     "dmsrate budget effect: --register, --membership and --period are required (see --help)",
     "invalid_parameter"},
};

static void test_usage_and_core_errors_in_russian(void **state)
{
    (void)state;
    static const char *const lang_ru[] = {"--lang", "ru", NULL};
    static const char *const lang_eq_ru[] = {"--lang=ru", NULL};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i], i % 2 == 0 ? lang_ru : lang_eq_ru);
}

/* A fault of the CSV reader reaches the census loader as "%s" and keeps its
 * Russian form; the census loader's diagnostics carry their code too. */
static void test_csv_fault_in_russian(void **state)
{
    (void)state;
    char census[] = "/tmp/dms_cli_ru_XXXXXX";
    int fd = mkstemp(census);
    assert_true(fd >= 0);
    static const char csv[] = "employee_id;relation;birth_date;sex;region\n"
                              "1;employee;\"1985-02-01;F;Тула\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    char *argv[] = {"dmsrate", "quote", "--census", census, "--plan", "web/plans/base-2026.json",
                    "--lang",  "ru",    NULL};
    struct command_result r = run_dmsrate(argv);
    unlink(census);
    assert_int_equal(r.status, 2);
    char want[512];
    snprintf(want, sizeof want,
             "%s:2:12: поле, открытое здесь кавычкой, не закрыто (не хватает «\"»; кавычки "
             "внутри значения пишутся как \"\") [parse_error]",
             census);
    if (strstr(r.err, want) == NULL)
        fail_msg("expected '%s' in '%s'", want, r.err);
    command_result_free(&r);
}

/* DMS_LANG=ru is the default language; --lang en on the line wins over it. */
static void test_language_from_environment(void **state)
{
    (void)state;
    char *argv[] = {"dmsrate", "bogus", NULL};
    char *argv_en[] = {"dmsrate", "bogus", "--lang", "en", NULL};
    assert_int_equal(setenv("DMS_LANG", "ru_RU.UTF-8", 1), 0);
    struct command_result ru = run_dmsrate(argv);
    struct command_result en = run_dmsrate(argv_en);
    unsetenv("DMS_LANG");
    assert_int_equal(ru.status, 2);
    assert_int_equal(en.status, 2);
    assert_non_null(strstr(ru.err, "неизвестная команда «bogus»"));
    assert_non_null(strstr(en.err, "unknown command 'bogus'"));
    assert_false(cyrillic(en.err));

    /* The command list in Russian too. */
    char *help[] = {"dmsrate", "--help", "--lang", "ru", NULL};
    struct command_result h = run_dmsrate(help);
    assert_int_equal(h.status, 0);
    assert_non_null(strstr(h.out, "использование: dmsrate КОМАНДА"));
    assert_non_null(strstr(h.out, "котировка группы"));
    command_result_free(&ru);
    command_result_free(&en);
    command_result_free(&h);
}

/* dms_error_reroot: both languages and the place in a file survive; the
 * code and JSON Pointer are the caller's; the first error wins. */
static void test_reroot_keeps_both_languages(void **state)
{
    (void)state;
    dms_error inner, outer;
    dms_error_clear(&inner);
    dms_error_clear(&outer);
    dms_error_set_at(&inner, DMS_EPARSE, "c.csv", 4, 7,
                     "sex '%s' is not known (expected M/F or М/Ж)", "X");
    assert_string_equal(inner.message_ru, "пол «X» неизвестен (ожидается М/Ж или M/F)");
    assert_int_equal(dms_error_reroot(&outer, DMS_EINVAL, "/census_csv", &inner), DMS_EINVAL);
    assert_int_equal(outer.code, DMS_EINVAL);
    assert_string_equal(outer.path, "/census_csv");
    assert_string_equal(outer.message, inner.message);
    assert_string_equal(outer.message_ru, inner.message_ru);
    assert_string_equal(outer.source, "c.csv");
    assert_int_equal(outer.line, 4);
    assert_int_equal(outer.column, 7);
    /* NULL path: inner's own. */
    dms_error other;
    dms_error_clear(&other);
    dms_error_set(&inner, DMS_EINVAL, "/x", "ignored: the first error wins");
    dms_error_reroot(&other, DMS_EPARSE, NULL, &inner);
    assert_string_equal(other.path, "");
    /* The first error wins. */
    dms_error_reroot(&outer, DMS_ENOMEM, "/y", &other);
    assert_int_equal(outer.code, DMS_EINVAL);
    assert_string_equal(outer.path, "/census_csv");
    /* NULL records are no-ops. */
    assert_int_equal(dms_error_reroot(NULL, DMS_EINVAL, NULL, &inner), DMS_EINVAL);
    dms_error_clear(&other);
    assert_int_equal(dms_error_reroot(&other, DMS_EINVAL, NULL, NULL), DMS_EINVAL);
    assert_int_equal(other.code, DMS_OK);
}

/* A finished message raised as "%s" finds its Russian form when it is a
 * template of the table without arguments, and only then. */
static void test_passed_on_message(void **state)
{
    (void)state;
    dms_error err;
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EPARSE, NULL, "%s", "the register has errors");
    assert_string_equal(err.message, "the register has errors");
    assert_string_equal(err.message_ru, "в реестре есть ошибки");
    /* A template that takes arguments is not used for a finished message. */
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, NULL, "%s", "unknown action '%s'");
    assert_string_equal(err.message_ru, "");
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, NULL, "%s", "no such message in the table");
    assert_string_equal(err.message_ru, "");
}

/* An XLSX register template that cannot be read: the reader's reason in
 * each language, not the English one inside the Russian sentence. */
static void test_unreadable_xlsx_template(void **state)
{
    (void)state;
    static const char junk[] = "PK\003\004 not really a workbook";
    dms_insured_batch *b = NULL;
    dms_error err;
    assert_int_equal(
        dms_insured_template_read(junk, sizeof junk - 1, DMS_INSURED_XLSX, "t.xlsx", &b, &err),
        DMS_OK);
    assert_int_equal(dms_insured_batch_issue_count(b), 1);
    const dms_insured_issue *issue = dms_insured_batch_issue(b, 0);
    assert_int_equal(issue->code, DMS_INSURED_E_BAD_FILE);
    assert_non_null(strstr(issue->message_ru, "файл XLSX не прочитан: не файл XLSX"));
    assert_non_null(strstr(issue->message_en, "the XLSX file cannot be read: not an XLSX file"));
    assert_false(cyrillic(issue->message_en));
    dms_insured_batch_free(b);
}

/* Progress lines name the core's stages in Russian; the label stays the
 * command's name. */
static void test_progress_in_russian(void **state)
{
    (void)state;
    if (getenv("DMS_UNDER_VALGRIND") != NULL)
        skip();
    char *argv[] = {"dmsrate",   "budget",
                    "--census",  "examples/census/startup-60.csv",
                    "--budgets", "examples/budgets/startup-young-2026.json",
                    "--lang",    "ru",
                    NULL};
    struct command_result r = run_dmsrate(argv);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "budget: 0% расчёт цен вариантов\n"));
    assert_non_null(strstr(r.err, "budget: 100% готово\n"));
    assert_null(strstr(r.err, "pricing the design space"));
    command_result_free(&r);
}

/* What a command says it did, in Russian too; its results on stdout stay
 * the same (the employer's id). */
static void test_notes_in_russian(void **state)
{
    (void)state;
    char db[] = "/tmp/dms_cli_ru_db_XXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    char *create[] = {"dmsrate", "employers", "create", "--name", "ООО «Ромашка»",
                      "--db",    db,          "--lang", "ru",     NULL};
    struct command_result r = run_dmsrate(create);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    assert_non_null(strstr(r.err, "dmsrate employers: создан работодатель 1: ООО «Ромашка»"));
    command_result_free(&r);
    char *revoke[] = {"dmsrate", "keys", "revoke", "7", "--db", db, "--lang", "ru", NULL};
    r = run_dmsrate(revoke);
    /* No such key: the store's error, in Russian, with its code. */
    assert_int_equal(r.status, 1);
    assert_true(cyrillic(r.err));
    assert_non_null(strstr(r.err, "[not_found]"));
    command_result_free(&r);
    unlink(db);
    char side[sizeof db + 8];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

/* Characters (not bytes) of the line of text starting with prefix, and the
 * line itself in buf; -1 if none. */
static int line_chars(const char *text, const char *prefix, char *buf, size_t size)
{
    const char *p = strstr(text, prefix);
    if (p == NULL)
        return -1;
    first_line(p, buf, size);
    int chars = 0;
    for (const char *c = buf; *c != '\0'; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    return chars;
}

/* The quote's table in Russian says the same money as the English one (a
 * decimal comma instead of the point), in columns of the same width. */
static void test_quote_table_in_russian(void **state)
{
    (void)state;
    char *en[] = {"dmsrate",          "quote",
                  "--census",         "examples/census/midsize-450.csv",
                  "--plan",           "web/plans/base-2026.json",
                  "--no-percentiles", NULL};
    char *ru[] = {"dmsrate",
                  "quote",
                  "--census",
                  "examples/census/midsize-450.csv",
                  "--plan",
                  "web/plans/base-2026.json",
                  "--no-percentiles",
                  "--lang",
                  "ru",
                  NULL};
    struct command_result a = run_dmsrate(en), b = run_dmsrate(ru);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_non_null(strstr(b.out, "Расчёт ДМС: "));
    assert_non_null(strstr(b.out, "\nИТОГО: 450 чел.\n"));
    assert_null(strstr(b.out, "GROSS PREMIUM"));
    char la[512], lb[512];
    int wa = line_chars(a.out, "  GROSS PREMIUM", la, sizeof la);
    int wb = line_chars(b.out, "  БРУТТО-ПРЕМИЯ", lb, sizeof lb);
    assert_true(wa > 0);
    assert_int_equal(wa, wb); /* aligned by characters */
    /* The same amounts once the comma is a point. */
    for (char *c = lb; *c != '\0'; c++)
        if (*c == ',')
            *c = '.';
    assert_string_equal(la + strlen("  GROSS PREMIUM"), lb + strlen("  БРУТТО-ПРЕМИЯ"));
    command_result_free(&a);
    command_result_free(&b);
}

/* The bank add-on's price table in Russian: the same kopecks, a decimal
 * comma, aligned by characters. */
static void test_bank_table_in_russian(void **state)
{
    (void)state;
    char *en[] = {"dmsrate", "bank", "price", NULL};
    char *ru[] = {"dmsrate", "bank", "price", "--lang", "ru", NULL};
    struct command_result a = run_dmsrate(en), b = run_dmsrate(ru);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    char la[256], lb[256];
    int wa = line_chars(a.out, "monthly price per card", la, sizeof la);
    int wb = line_chars(b.out, "цена на карту в месяц", lb, sizeof lb);
    assert_true(wa > 0);
    assert_int_equal(wa, wb);
    const char *va = strrchr(la, ' ') + 1, *vb = strrchr(lb, ' ') + 1;
    char comma[32];
    snprintf(comma, sizeof comma, "%s", va);
    *strchr(comma, '.') = ',';
    assert_string_equal(vb, comma);
    assert_non_null(strstr(b.out, "убыточность 0,"));
    assert_false(cyrillic(strstr(a.out, "\n")));
    command_result_free(&a);
    command_result_free(&b);
}

/* Runs dmsrate with args (NULL-terminated) and --db db, plus --lang ru if
 * ru; returns its result. */
static struct command_result run_db(const char *const *args, const char *db, bool ru)
{
    char *argv[24];
    int n = 0;
    argv[n++] = "dmsrate";
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = (char *)args[i];
    argv[n++] = "--db";
    argv[n++] = (char *)db;
    if (ru) {
        argv[n++] = "--lang";
        argv[n++] = "ru";
    }
    argv[n] = NULL;
    return run_dmsrate(argv);
}

static void remove_db(const char *db)
{
    char side[256];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

/* The README's month of payments in both languages: the same amounts, the
 * Russian words with --lang ru. */
static void test_finance_in_russian(void **state)
{
    (void)state;
    static const char *const steps[][16] = {
        {"employers", "create", "--name", "ООО «Северный ветер»", "--inn", "7701234567", NULL},
        {"enrol", "import", "--employer", "1", "--policy", "examples/policies/midsize-2026.json",
         "--census", "examples/census/midsize-450.csv", NULL},
        {"register", "import", "--employer", "1", "--file", "examples/finance/register-2026-01.csv",
         "--today", "2026-01-01", NULL},
        {"finance", "contract", "--employer", "1", "--file", "examples/finance/contract-2026.json",
         NULL},
        {"finance", "invoice", "--employer", "1", "--today", "2026-01-01", NULL},
        {"finance", "debts", "--employer", "1", "--today", "2026-01-15", NULL},
    };
    const size_t nsteps = sizeof steps / sizeof steps[0];
    char out[2][8192] = {"", ""};
    for (int ru = 0; ru < 2; ru++) {
        char db[] = "/tmp/dms_cli_ru_fin_XXXXXX";
        int fd = mkstemp(db);
        assert_true(fd >= 0);
        close(fd);
        remove_db(db);
        for (size_t i = 0; i < nsteps; i++) {
            struct command_result r = run_db(steps[i], db, ru);
            if (r.status != 0)
                fail_msg("step %zu: exit %d: %s", i, r.status, r.err);
            strncat(out[ru], r.out, sizeof out[ru] - strlen(out[ru]) - 1);
            command_result_free(&r);
        }
        remove_db(db);
    }
    const char *en = out[0], *ru = out[1];
    assert_non_null(strstr(en, "employer 1: monthly invoices, due 10 days after issue"));
    assert_non_null(strstr(ru, "работодатель 1: счета ежемесячные, оплата в течение 10 дн."));
    assert_non_null(strstr(en, "  young            36 500,00 ₽ a year per person\n"));
    assert_non_null(
        strstr(ru, "  young            36 500,00 ₽ в год на человека\n"));
    assert_non_null(strstr(ru, "выставлено счетов: 1\n"));
    assert_non_null(strstr(ru, "счёт       период                  выставлен  срок"));
    /* The open amount agrees in both languages. */
    const char *o_en = strstr(en, "\n  open "), *o_ru = strstr(ru, "\n  не оплачено ");
    assert_non_null(o_en);
    assert_non_null(o_ru);
    char a[64], b[64];
    first_line(o_en + strlen("\n  open "), a, sizeof a);
    first_line(o_ru + strlen("\n  не оплачено "), b, sizeof b);
    assert_non_null(strchr(a, ','));
    assert_non_null(strchr(b, ','));
    *strchr(a, ',') = '\0';
    *strchr(b, ',') = '\0';
    assert_string_equal(a, b);
    assert_string_equal(a, "13 950");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_and_core_errors_in_russian),
        cmocka_unit_test(test_csv_fault_in_russian),
        cmocka_unit_test(test_language_from_environment),
        cmocka_unit_test(test_reroot_keeps_both_languages),
        cmocka_unit_test(test_passed_on_message),
        cmocka_unit_test(test_unreadable_xlsx_template),
        cmocka_unit_test(test_progress_in_russian),
        cmocka_unit_test(test_notes_in_russian),
        cmocka_unit_test(test_quote_table_in_russian),
        cmocka_unit_test(test_bank_table_in_russian),
        cmocka_unit_test(test_finance_in_russian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
