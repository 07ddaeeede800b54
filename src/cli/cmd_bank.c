/*
 * `dmsrate bank`: the premium-card DMS add-on. `bank price` prints the
 * monthly price per card that meets the tariff's target loss ratio with its
 * breakdown; `bank projection` projects a card portfolio month by month.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/bank.h"
#include "dms/jsonread.h"
#include "dms/report.h"

static bool parse_number(const char *text, double min, double max, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

int cmd_bank(int argc, char **argv)
{
    int help = cli_action_help("bank", argc, argv);
    if (help >= 0)
        return help;
    bool projection = strcmp(argv[1], "projection") == 0;
    if (!projection && strcmp(argv[1], "price") != 0) {
        cli_fail("dmsrate bank", "'%s' is not price or projection (see --help)", argv[1]);
        return 2;
    }
    const char *tariff_path = "tariffs/bank-premium-card-2026.json";
    const char *model_path = "models/ru-2026.json", *format = "table", *request = NULL;
    const char *cards = NULL, *months = NULL, *uptake = NULL, *lapse = NULL, *sales = NULL;
    /* price takes only the first three. */
    const cli_value_flag flags[] = {{"--tariff", &tariff_path},
                                    {"--model", &model_path},
                                    {"--format", &format},
                                    {"--request", projection ? &request : NULL},
                                    {"--cards", projection ? &cards : NULL},
                                    {"--months", projection ? &months : NULL},
                                    {"--uptake", projection ? &uptake : NULL},
                                    {"--lapse", projection ? &lapse : NULL},
                                    {"--new-sales", projection ? &sales : NULL},
                                    {NULL, NULL}};
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            cli_usage("bank", stdout);
            return 0;
        }
        if (cli_take_value("dmsrate bank", flags, argc, argv, &i) != 0)
            return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        cli_fail("dmsrate bank", "--format: '%s' is not table or json", format);
        return 2;
    }
    dms_bank_projection_args args = dms_bank_projection_args_default();
    dms_error err;
    dms_error_clear(&err);
    if (projection) {
        if (request != NULL) {
            json_t *root = NULL;
            int st = dms_json_load_file(request, &root, &err);
            if (st == DMS_OK)
                st = dms_bank_projection_args_load_json(root, NULL, &args, &err);
            json_decref(root);
            if (st != DMS_OK) {
                cli_error_in("dmsrate bank", request, &err);
                return 2;
            }
        } else if (cards == NULL) {
            return cli_fail("dmsrate bank", "--cards: required (see --help)");
        }
        double v;
        if (cards != NULL) {
            if (!parse_number(cards, 1, 1e8, &v) || v != (double)(long)v)
                return cli_fail("dmsrate bank", "--cards: a whole number 1..100000000");
            args.cards = (long)v;
        }
        if (months != NULL) {
            if (!parse_number(months, 1, DMS_BANK_MAX_MONTHS, &v) || v != (double)(int)v)
                return cli_fail("dmsrate bank", "--months: a whole number 1..60");
            args.months = (int)v;
        }
        if (uptake != NULL && !parse_number(uptake, 0, 1, &args.uptake))
            return cli_fail("dmsrate bank", "--uptake: a share in [0, 1]");
        if (lapse != NULL && !parse_number(lapse, 0, 1, &args.lapse))
            return cli_fail("dmsrate bank", "--lapse: a share in [0, 1]");
        if (sales != NULL) {
            if (!parse_number(sales, 0, 1e8, &v) || v != (double)(long)v)
                return cli_fail("dmsrate bank", "--new-sales: a whole number 0..100000000");
            args.new_sales = (long)v;
        }
    }
    int exit_code = 2;
    dms_bank_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_bank_projection *proj = NULL;
    if (dms_bank_tariff_load_file(tariff_path, &tariff, &err) != DMS_OK ||
        dms_model_load_file(model_path, &model, &err) != DMS_OK) {
        const char *path = tariff == NULL ? tariff_path : model_path;
        cli_error_in("dmsrate bank", path, &err);
        goto out;
    }
    dms_bank_price price;
    if (dms_bank_price_compute(tariff, model, &price, &err) != DMS_OK) {
        cli_error_in("dmsrate bank", tariff_path, &err);
        goto out;
    }
    if (!projection) {
        exit_code =
            strcmp(format, "json") == 0
                ? cli_print_json(dms_report_bank_price(tariff, &price, &err))
                : (dms_report_bank_price_table(tariff, &price, cli_russian(), stdout) == DMS_OK
                       ? 0
                       : 1);
        goto out;
    }
    proj = malloc(sizeof *proj);
    if (proj == NULL) {
        cli_raise("dmsrate bank", DMS_ENOMEM, "out of memory");
        goto out;
    }
    if (dms_bank_projection_compute(tariff, &price, &args, proj, &err) != DMS_OK) {
        cli_error("dmsrate bank", &err);
        goto out;
    }
    exit_code =
        strcmp(format, "json") == 0
            ? cli_print_json(dms_report_bank_projection(tariff, proj, &err))
            : (dms_report_bank_projection_table(tariff, proj, cli_russian(), stdout) == DMS_OK ? 0
                                                                                               : 1);
out:
    free(proj);
    dms_model_free(model);
    dms_bank_tariff_free(tariff);
    return exit_code;
}
