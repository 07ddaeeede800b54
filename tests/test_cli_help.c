/*
 * Tests of every command's --help in both languages. For each command that
 * `dmsrate --help` lists, `CMD --help` is English by default and Russian with
 * --lang ru or DMS_LANG=ru (the rule errors follow); both forms name the same
 * options, so that a translation can neither drop nor invent a flag; the
 * Russian form is Russian throughout, not an English text with a Russian
 * first line.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "run_command.h"
#include "testutil.h"

#define MAX_COMMANDS 32
#define MAX_OPTIONS 128
#define NAME_MAX_LEN 48

/* True if the line (up to '\n' or the end) has a Cyrillic letter (UTF-8 lead
 * bytes 0xD0, 0xD1). */
static bool line_cyrillic(const char *line)
{
    for (; *line != '\0' && *line != '\n'; line++)
        if ((unsigned char)*line == 0xD0 || (unsigned char)*line == 0xD1)
            return true;
    return false;
}

static bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The command names of `dmsrate --help`: the first word of each indented line
 * after "commands:". Returns how many. */
static int command_names(char names[][NAME_MAX_LEN])
{
    char *argv[] = {"dmsrate", "--help", NULL};
    struct command_result r = run_dmsrate(argv);
    assert_int_equal(r.status, 0);
    const char *p = strstr(r.out, "commands:\n");
    assert_non_null(p);
    p += strlen("commands:\n");
    int n = 0;
    while (starts_with(p, "  ")) {
        p += 2;
        size_t len = strcspn(p, " \n");
        assert_true(len > 0 && len < NAME_MAX_LEN && n < MAX_COMMANDS);
        memcpy(names[n], p, len);
        names[n++][len] = '\0';
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    command_result_free(&r);
    return n;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The distinct option tokens (--name) of text, sorted: a "--" not preceded by
 * a letter, digit or '-', followed by a lower-case letter. Returns how many. */
static int option_tokens(const char *text, char options[][NAME_MAX_LEN])
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "--")) != NULL; p += 2) {
        char before = p == text ? ' ' : p[-1];
        if ((before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
            (before >= '0' && before <= '9') || before == '-' || !(p[2] >= 'a' && p[2] <= 'z'))
            continue;
        size_t len = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        assert_true(len < NAME_MAX_LEN);
        char token[NAME_MAX_LEN];
        memcpy(token, p, len);
        token[len] = '\0';
        bool seen = false;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(options[i], token) == 0;
        if (!seen) {
            assert_true(n < MAX_OPTIONS);
            strcpy(options[n++], token);
        }
    }
    qsort(options, (size_t)n, NAME_MAX_LEN, compare_names);
    return n;
}

static struct command_result run_help(const char *command, const char *lang)
{
    char *argv[6];
    int n = 0;
    argv[n++] = "dmsrate";
    if (lang != NULL) {
        argv[n++] = "--lang";
        argv[n++] = (char *)lang;
    }
    argv[n++] = (char *)command;
    argv[n++] = "--help";
    argv[n] = NULL;
    return run_dmsrate(argv);
}

/* Every listed command has an English and a Russian --help naming the same
 * options; the default is English; DMS_LANG=ru gives the same Russian text as
 * --lang ru and --lang en wins over it. */
static void test_every_command_has_both_forms(void **state)
{
    (void)state;
    unsetenv("DMS_LANG");
    static char names[MAX_COMMANDS][NAME_MAX_LEN];
    int count = command_names(names);
    /* aggregate .. enrol: the twelve commands of today, at least. */
    assert_true(count >= 12);
    for (int c = 0; c < count; c++) {
        const char *name = names[c];
        char en_head[NAME_MAX_LEN + 48], ru_head[NAME_MAX_LEN + 48];
        snprintf(en_head, sizeof en_head, "usage: dmsrate %.47s", name);
        snprintf(ru_head, sizeof ru_head, "использование: dmsrate %.47s", name);

        struct command_result en = run_help(name, NULL);
        struct command_result ru = run_help(name, "ru");
        struct command_result en_forced = run_help(name, "en");
        assert_int_equal(setenv("DMS_LANG", "ru_RU.UTF-8", 1), 0);
        struct command_result ru_env = run_help(name, NULL);
        struct command_result en_over_env = run_help(name, "en");
        unsetenv("DMS_LANG");

        if (en.status != 0 || ru.status != 0 || ru_env.status != 0)
            fail_msg("%s --help: exit status %d (en), %d (ru), %d (DMS_LANG=ru)", name, en.status,
                     ru.status, ru_env.status);
        if (!starts_with(en.out, en_head))
            fail_msg("%s --help in English starts with '%.60s'", name, en.out);
        if (!starts_with(ru.out, ru_head))
            fail_msg("%s --help in Russian starts with '%.60s'", name, ru.out);
        assert_string_equal(ru_env.out, ru.out);
        assert_string_equal(en_forced.out, en.out);
        assert_string_equal(en_over_env.out, en.out);

        /* Russian throughout: most lines with words have Cyrillic in them
         * (the rest are synopsis lines of option names and values). */
        int lines = 0, russian = 0;
        for (const char *p = ru.out; *p != '\0'; p = strchr(p, '\n') + 1) {
            if (*p != '\n') {
                lines++;
                russian += line_cyrillic(p);
            }
            if (strchr(p, '\n') == NULL)
                break;
        }
        if (2 * russian < lines)
            fail_msg("%s --help in Russian: only %d of %d lines in Russian", name, russian, lines);

        static char en_options[MAX_OPTIONS][NAME_MAX_LEN], ru_options[MAX_OPTIONS][NAME_MAX_LEN];
        int n_en = option_tokens(en.out, en_options);
        int n_ru = option_tokens(ru.out, ru_options);
        assert_true(n_en > 0);
        for (int i = 0, j = 0; i < n_en || j < n_ru;) {
            int order = i == n_en ? 1 : j == n_ru ? -1 : strcmp(en_options[i], ru_options[j]);
            if (order < 0)
                fail_msg("%s --help: %s only in English", name, en_options[i]);
            if (order > 0)
                fail_msg("%s --help: %s only in Russian", name, ru_options[j]);
            i++, j++;
        }
        command_result_free(&en);
        command_result_free(&ru);
        command_result_free(&en_forced);
        command_result_free(&ru_env);
        command_result_free(&en_over_env);
    }
}

/* The usage printed on stderr, alone or after a usage error, is in the
 * chosen language too, and -h is --help. */
static void test_usage_on_stderr_in_russian(void **state)
{
    (void)state;
    unsetenv("DMS_LANG");
    char *bare[] = {"dmsrate", "--lang", "ru", "employers", NULL};
    struct command_result r = run_dmsrate(bare);
    assert_int_equal(r.status, 2);
    assert_true(starts_with(r.err, "использование: dmsrate employers"));
    assert_string_equal(r.out, "");
    command_result_free(&r);

    /* A usage error: the one-line error with its code, then the usage. */
    char *bad_action[] = {"dmsrate", "--lang", "ru", "register", "bogus", "--employer", "1", NULL};
    r = run_dmsrate(bad_action);
    assert_int_equal(r.status, 2);
    const char *usage = strchr(r.err, '\n');
    assert_non_null(usage);
    assert_non_null(strstr(r.err, "[invalid_parameter]\n"));
    assert_true(strstr(r.err, "[invalid_parameter]\n") + strlen("[invalid_parameter]") == usage);
    assert_true(starts_with(usage + 1, "использование: dmsrate register"));
    command_result_free(&r);

    char *short_flag[] = {"dmsrate", "--lang=ru", "keys", "-h", NULL};
    r = run_dmsrate(short_flag);
    assert_int_equal(r.status, 0);
    assert_true(starts_with(r.out, "использование: dmsrate keys"));
    assert_non_null(strstr(r.out, "хранится только его SHA-256"));
    command_result_free(&r);

    /* The top-level list no longer says the commands' help is English only. */
    char *top[] = {"dmsrate", "--lang", "ru", "--help", NULL};
    r = run_dmsrate(top);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "на английском"));
    assert_non_null(strstr(r.out, "'dmsrate КОМАНДА --help' описывает каждую команду."));
    command_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_has_both_forms),
        cmocka_unit_test(test_usage_on_stderr_in_russian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
