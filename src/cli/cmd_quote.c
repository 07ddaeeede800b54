/*
 * `dmsrate quote`: a census priced under a plan, printed as a table, JSON or
 * CSV. Loads the four inputs, reports every fault with its place, and hands
 * the quote to the shared encoders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/census.h"
#include "dms/quote.h"
#include "dms/report.h"

int cmd_quote(int argc, char **argv)
{
    const char *census_path = NULL, *plan_path = NULL;
    const char *tariff_path = "tariffs/corporate-2026.json", *model_path = "models/ru-2026.json";
    const char *format = "table", *lang = cli_russian() ? "ru" : "en";
    dms_quote_options options = dms_quote_options_default();
    const cli_value_flag flags[] = {{"--census", &census_path},
                                    {"--plan", &plan_path},
                                    {"--tariff", &tariff_path},
                                    {"--model", &model_path},
                                    {"--format", &format},
                                    {"--lang", &lang},
                                    {NULL, NULL}};
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            cli_usage("quote", stdout);
            return 0;
        }
        if (strcmp(flag, "--no-percentiles") == 0) {
            options.percentiles = false;
            continue;
        }
        if (cli_take_value("dmsrate quote", flags, argc, argv, &i) != 0)
            return 2;
    }
    if (census_path == NULL || plan_path == NULL) {
        cli_fail("dmsrate quote", "%s: required (see --help)",
                 census_path == NULL ? "--census" : "--plan");
        return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 &&
        strcmp(format, "xlsx") != 0) {
        cli_fail("dmsrate quote", "--format: '%s' is not table, json, csv or xlsx", format);
        return 2;
    }
    if (strcmp(lang, "en") != 0 && strcmp(lang, "ru") != 0) {
        cli_fail("dmsrate quote", "--lang: '%s' is not en or ru", lang);
        return 2;
    }

    int exit_code = 2;
    dms_error err;
    dms_error_clear(&err);
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_plan *plan = NULL;
    dms_census *census = NULL;
    dms_quote *quote = NULL;
    dms_diag *diag = NULL, *warnings = NULL;
    if (dms_diag_alloc(0, &diag) != DMS_OK || dms_diag_alloc(0, &warnings) != DMS_OK) {
        cli_raise("dmsrate quote", DMS_ENOMEM, "out of memory");
        goto out;
    }
    if (dms_tariff_load_file(tariff_path, &tariff, &err) != DMS_OK ||
        dms_model_load_file(model_path, &model, &err) != DMS_OK ||
        dms_plan_load_file(plan_path, &plan, &err) != DMS_OK) {
        const char *path = tariff == NULL ? tariff_path : model == NULL ? model_path : plan_path;
        cli_error_in("dmsrate quote", path, &err);
        goto out;
    }
    if (dms_census_load_file(census_path, &census, diag) != DMS_OK) {
        cli_diag("dmsrate quote", diag, false);
        goto out;
    }
    options.census_source = census_path;
    if (dms_quote_compute(tariff, model, plan, census, &options, &quote, diag, warnings) !=
        DMS_OK) {
        cli_diag("dmsrate quote", diag, false);
        goto out;
    }
    cli_diag("dmsrate quote", warnings, true);
    exit_code = 1;
    if (strcmp(format, "json") == 0) {
        exit_code = cli_print_json(dms_report_quote(quote, &err));
    } else if (strcmp(format, "csv") == 0) {
        exit_code = dms_report_quote_csv(quote, strcmp(lang, "ru") == 0 ? DMS_CSV_RU : DMS_CSV_EN,
                                         stdout) == DMS_OK
                        ? 0
                        : 1;
    } else if (strcmp(format, "xlsx") == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *csv = cli_xlsx_begin("dmsrate quote", &buf, &len);
        if (csv != NULL &&
            dms_report_quote_csv(quote, strcmp(lang, "ru") == 0 ? DMS_CSV_RU : DMS_CSV_EN, csv) ==
                DMS_OK)
            exit_code = cli_xlsx_end("dmsrate quote", csv, &buf, &len, "Расчёт");
        else if (csv != NULL) {
            fclose(csv);
            free(buf);
        }
    } else {
        exit_code = dms_report_quote_table_lang(
                        quote, strcmp(lang, "ru") == 0 ? DMS_CSV_RU : DMS_CSV_EN, stdout) == DMS_OK
                        ? 0
                        : 1;
    }
out:
    dms_quote_free(quote);
    dms_census_free(census);
    dms_plan_free(plan);
    dms_model_free(model);
    dms_tariff_free(tariff);
    dms_diag_free(diag);
    dms_diag_free(warnings);
    return exit_code;
}
