/*
 * The command-line contract of `dmsrate aggregate`: one JSON object with the
 * documented keys on success, a one-line error naming the flag and exit
 * status 2 on bad arguments, --help documenting every flag.
 */
#include "testutil.h"

#include <jansson.h>

#include "run_command.h"

static void test_aggregate_prints_json(void **state)
{
    (void)state;
    char *argv[] = {"dmsrate", "aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,0.9",
                    "--annual-limit", "20000", NULL};
    struct command_result r = run_dmsrate(argv);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    assert_non_null(doc);
    const char *keys[] = {"mean", "variance", "limited_mean", "p_exceed", "span"};
    for (size_t i = 0; i < 5; i++)
        assert_true(json_is_number(json_object_get(doc, keys[i])));
    json_t *q = json_object_get(doc, "quantiles");
    assert_true(json_is_number(json_object_get(q, "0.5")));
    assert_true(json_is_number(json_object_get(q, "0.9")));
    assert_true(json_is_number(json_object_get(q, "0.99")));
    const char *method = json_string_value(json_object_get(doc, "method"));
    assert_true(strcmp(method, "panjer") == 0 || strcmp(method, "fft") == 0);
    /* E[S] = 3 exp(8 + 0.81 / 2) */
    assert_close(json_number_value(json_object_get(doc, "mean")), 3 * exp(8.405), 1e-11);
    double limited = json_number_value(json_object_get(doc, "limited_mean"));
    assert_true(limited < 3 * exp(8.405) && limited <= 20000);
    json_decref(doc);
    command_result_free(&r);
}

static void test_bad_arguments_exit_2_with_one_line(void **state)
{
    (void)state;
    char *cases[][12] = {
        {"dmsrate", "aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,0.9", "--copay",
         "1.5", NULL},
        {"dmsrate", "aggregate", "--freq", "poisson:-3", "--sev", "lognormal:8,0.9", NULL},
        {"dmsrate", "aggregate", "--sev", "lognormal:8,0.9", NULL},
        {"dmsrate", "aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,0.9", "--span",
         "0.000001", NULL},
        {"dmsrate", "aggregate", "--freq", "poisson:3", "--sev", "lognormal:8,0.9", "--wat", NULL},
        {"dmsrate", "nosuchcommand", NULL},
    };
    const char *names[] = {"--copay", "--freq", "--freq", "span", "--wat", "nosuchcommand"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct command_result r = run_dmsrate(cases[i]);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, names[i]));
        /* Exactly one line. */
        char *nl = strchr(r.err, '\n');
        assert_non_null(nl);
        assert_true(nl[1] == '\0');
        command_result_free(&r);
    }
}

static void test_help_documents_every_flag(void **state)
{
    (void)state;
    char *argv[] = {"dmsrate", "aggregate", "--help", NULL};
    struct command_result r = run_dmsrate(argv);
    assert_int_equal(r.status, 0);
    const char *flags[] = {"--freq", "--sev", "--deductible", "--franchise", "--copay",
                           "--claim-limit", "--annual-limit", "--method", "--span", "--sims",
                           "--seed", "--discretization"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        assert_non_null(strstr(r.out, flags[i]));
    command_result_free(&r);
    char *top[] = {"dmsrate", "--help", NULL};
    r = run_dmsrate(top);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "aggregate"));
    command_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_prints_json),
        cmocka_unit_test(test_bad_arguments_exit_2_with_one_line),
        cmocka_unit_test(test_help_documents_every_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
