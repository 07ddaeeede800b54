/*
 * `dmsrate budget`: per census segment, the best package design within a
 * budget per head and the cheapest reaching a value score, explained, with
 * the cost of each design when claims rise; `compare` sets two to four
 * plans side by side; `funding` compares payment models, `crisis` prices a
 * temporary enhanced package as an endorsement, `effect` gives the
 * programme's metrics and ROI. A thin layer over the core and its encoders.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/budget.h"
#include "dms/crisis.h"
#include "dms/effectiveness.h"
#include "dms/funding.h"
#include "dms/jsonread.h"
#include "dms/report.h"

static void print_diag(const dms_diag *diag)
{
    cli_diag("dmsrate budget", diag, false);
}

static void print_load_error(const char *path, const dms_error *err)
{
    cli_error_in("dmsrate budget", path, err);
}

/*
 * Reads the value flags of subcommand cmd (flags ends with a NULL name) from
 * argv[1..]. Returns -1 when all were read, else the exit code: 0 after
 * --help, 2 on an unknown flag or a missing value.
 */
static int read_value_flags(const char *cmd, int argc, char **argv, const cli_value_flag *flags)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            cli_usage("budget", stdout);
            return 0;
        }
        const char **target = cli_value_flag_find(flags, flag);
        if (target == NULL || i + 1 >= argc) {
            cli_fail("dmsrate budget",
                     target == NULL ? "%s: %s: unknown flag (see --help)"
                                    : "%s: %s: needs a value (see --help)",
                     cmd, flag);
            return 2;
        }
        *target = argv[++i];
    }
    return -1;
}

/* The tariff, model, plan and census a priced subcommand runs on, and its diagnostics. */
struct priced_inputs {
    dms_tariff *tariff;
    dms_model *model;
    dms_plan *plan;
    dms_census *census;
    dms_diag *diag;
};

/* Loads in (zeroed by the caller) from the files; prints what failed. Returns DMS_OK or not. */
static int load_priced_inputs(const char *tariff_path, const char *model_path,
                              const char *plan_path, const char *census_path,
                              struct priced_inputs *in, dms_error *err)
{
    if (dms_diag_alloc(0, &in->diag) != DMS_OK)
        return DMS_ENOMEM;
    if (dms_tariff_load_file(tariff_path, &in->tariff, err) != DMS_OK) {
        print_load_error(tariff_path, err);
        return err->code;
    }
    if (dms_model_load_file(model_path, &in->model, err) != DMS_OK) {
        print_load_error(model_path, err);
        return err->code;
    }
    if (dms_plan_load_file(plan_path, &in->plan, err) != DMS_OK) {
        print_load_error(plan_path, err);
        return err->code;
    }
    if (dms_census_load_file(census_path, &in->census, in->diag) != DMS_OK) {
        print_diag(in->diag);
        return DMS_EINVAL;
    }
    return DMS_OK;
}

static void free_priced_inputs(struct priced_inputs *in)
{
    dms_plan_free(in->plan);
    dms_census_free(in->census);
    dms_model_free(in->model);
    dms_tariff_free(in->tariff);
    dms_diag_free(in->diag);
}

/* The budgets file, with the survey file (if any) in place of its "survey". */
static int load_budgets(const char *path, const char *survey_path, const dms_tariff *tariff,
                        dms_budget_request **out)
{
    dms_error err;
    dms_error_clear(&err);
    json_t *root = NULL, *survey = NULL;
    int rc = 1;
    if (dms_json_load_file(path, &root, &err) != DMS_OK) {
        print_load_error(path, &err);
        goto out;
    }
    if (survey_path != NULL) {
        if (dms_json_load_file(survey_path, &survey, &err) != DMS_OK) {
            print_load_error(survey_path, &err);
            goto out;
        }
        if (!json_is_object(root) || json_object_set(root, "survey", survey) != 0) {
            cli_fail("dmsrate budget", "%s: not a budgets object", path);
            goto out;
        }
    }
    if (dms_budget_request_load_json(root, NULL, tariff, out, &err) != DMS_OK) {
        print_load_error(err.path[0] == '/' && strncmp(err.path, "/survey", 7) == 0 && survey_path
                             ? survey_path
                             : path,
                         &err);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    json_decref(survey);
    return rc;
}

static int cmd_funding(int argc, char **argv)
{
    const char *census_path = NULL, *plan_path = NULL, *stop_loss = NULL, *fee = NULL,
               *share = NULL;
    const char *tariff_path = "tariffs/corporate-2026.json", *model_path = "models/ru-2026.json";
    const char *format = "table";
    const cli_value_flag flags[] = {
        {"--census", &census_path}, {"--plan", &plan_path},    {"--stop-loss", &stop_loss},
        {"--admin-fee", &fee},      {"--admin-share", &share}, {"--tariff", &tariff_path},
        {"--model", &model_path},   {"--format", &format},     {NULL, NULL},
    };
    int done = read_value_flags("funding", argc, argv, flags);
    if (done >= 0)
        return done;
    if (census_path == NULL || plan_path == NULL) {
        cli_fail("dmsrate budget funding", "%s: required (see --help)",
                 census_path == NULL ? "--census" : "--plan");
        return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        cli_fail("dmsrate budget funding", "--format: '%s' is not table or json", format);
        return 2;
    }
    /* The terms go through the core's reader, as the API's do. */
    json_t *tj = json_object();
    if (stop_loss != NULL)
        json_object_set_new(tj, "stop_loss", json_string(stop_loss));
    char *end = NULL;
    if (fee != NULL) {
        double x = strtod(fee, &end);
        json_object_set_new(tj, "admin_fee_per_head",
                            *end == '\0' ? json_real(x) : json_string(fee));
    }
    if (share != NULL) {
        double x = strtod(share, &end);
        json_object_set_new(tj, "admin_share", *end == '\0' ? json_real(x) : json_string(share));
    }
    int exit_code = 2;
    dms_error err;
    dms_error_clear(&err);
    dms_funding_terms terms = dms_funding_terms_default();
    dms_jsonread r;
    dms_jsonread_init(&r, tj, NULL, &err);
    struct priced_inputs in = {0};
    dms_funding_result res;
    if (dms_funding_terms_read(&r, &terms) != DMS_OK || dms_jsonread_finish(&r) != DMS_OK) {
        /* Named by the flag the value came from, not by its JSON Pointer. */
        const char *flag = strstr(err.path, "stop")  ? "--stop-loss"
                           : strstr(err.path, "fee") ? "--admin-fee"
                                                     : "--admin-share";
        err.path[0] = '\0';
        cli_error_in("dmsrate budget funding", flag, &err);
        goto out;
    }
    if (load_priced_inputs(tariff_path, model_path, plan_path, census_path, &in, &err) != DMS_OK)
        goto out;
    if (dms_funding_run(in.tariff, in.model, in.plan, in.census, census_path, &terms, &res,
                        in.diag) != DMS_OK) {
        print_diag(in.diag);
        goto out;
    }
    exit_code = strcmp(format, "json") == 0
                    ? cli_print_json(dms_report_funding(&res, &err))
                    : (dms_report_funding_table(&res, stdout) == DMS_OK ? 0 : 1);
out:
    json_decref(tj);
    free_priced_inputs(&in);
    return exit_code;
}

static int cmd_crisis(int argc, char **argv)
{
    const char *census_path = NULL, *plan_path = NULL, *from = NULL, *months = NULL, *shock = NULL,
               *add = NULL;
    const char *tariff_path = "tariffs/corporate-2026.json", *model_path = "models/ru-2026.json";
    const char *format = "table";
    const cli_value_flag flags[] = {
        {"--census", &census_path}, {"--plan", &plan_path},
        {"--from", &from},          {"--months", &months},
        {"--shock", &shock},        {"--add", &add},
        {"--tariff", &tariff_path}, {"--model", &model_path},
        {"--format", &format},      {NULL, NULL},
    };
    int done = read_value_flags("crisis", argc, argv, flags);
    if (done >= 0)
        return done;
    if (census_path == NULL || plan_path == NULL || from == NULL || months == NULL) {
        cli_fail("dmsrate budget crisis",
                 "--census, --plan, --from and --months are required (see --help)");
        return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        cli_fail("dmsrate budget crisis", "--format: '%s' is not table or json", format);
        return 2;
    }
    /* The flags go through the core's reader, as the API's body does. */
    json_t *tj = json_object();
    char *end = NULL;
    long n = strtol(months, &end, 10);
    json_object_set_new(tj, "from", json_string(from));
    json_object_set_new(tj, "months", *end == '\0' ? json_integer(n) : json_string(months));
    if (shock != NULL) {
        double x = strtod(shock, &end);
        json_object_set_new(tj, "frequency_shock",
                            *end == '\0' ? json_real(x) : json_string(shock));
    }
    if (add != NULL) {
        json_t *list = json_array();
        char buf[512];
        snprintf(buf, sizeof buf, "%s", add);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save))
            json_array_append_new(list, json_string(tok));
        json_object_set_new(tj, "add_modules", list);
    }
    int exit_code = 2;
    dms_error err;
    dms_error_clear(&err);
    dms_crisis_terms terms;
    dms_jsonread r;
    dms_jsonread_init(&r, tj, NULL, &err);
    struct priced_inputs in = {0};
    dms_crisis_result res;
    if (dms_crisis_terms_read(&r, &terms) != DMS_OK || dms_jsonread_finish(&r) != DMS_OK) {
        cli_error("dmsrate budget crisis", &err);
        goto out;
    }
    if (load_priced_inputs(tariff_path, model_path, plan_path, census_path, &in, &err) != DMS_OK)
        goto out;
    if (dms_crisis_price(in.tariff, in.model, in.plan, in.census, census_path, &terms, &res,
                         in.diag) != DMS_OK) {
        print_diag(in.diag);
        goto out;
    }
    exit_code = strcmp(format, "json") == 0
                    ? cli_print_json(dms_report_crisis(&res, &err))
                    : (dms_report_crisis_table(&res, stdout) == DMS_OK ? 0 : 1);
out:
    json_decref(tj);
    free_priced_inputs(&in);
    return exit_code;
}

static bool parse_money_flag(const char *flag, const char *text, double lo, double hi, double *out)
{
    if (text == NULL)
        return true;
    char *end = NULL;
    *out = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(*out >= lo && *out <= hi)) {
        cli_fail("dmsrate budget effect", "%s: '%s' is not a number in %g..%g", flag, text, lo, hi);
        return false;
    }
    return true;
}

static int cmd_effect(int argc, char **argv)
{
    const char *reg_path = NULL, *mem_path = NULL, *period = NULL, *hr_path = NULL, *pilot = NULL,
               *nps = NULL, *cost = NULL, *day = NULL, *repl = NULL, *turn = NULL, *min_cell = NULL,
               *format = "table";
    const cli_value_flag flags[] = {
        {"--register", &reg_path},
        {"--membership", &mem_path},
        {"--period", &period},
        {"--hr", &hr_path},
        {"--pilot", &pilot},
        {"--nps", &nps},
        {"--programme-cost", &cost},
        {"--sick-day-cost", &day},
        {"--replacement-cost", &repl},
        {"--turnover-before", &turn},
        {"--min-cell", &min_cell},
        {"--format", &format},
        {NULL, NULL},
    };
    int done = read_value_flags("effect", argc, argv, flags);
    if (done >= 0)
        return done;
    if (reg_path == NULL || mem_path == NULL || period == NULL) {
        cli_fail("dmsrate budget effect",
                 "--register, --membership and --period are required (see --help)");
        return 2;
    }
    dms_effect_options o = dms_effect_options_default();
    o.pilot = pilot;
    char from[16] = "", to[16] = "";
    const char *colon = strchr(period, ':');
    if (colon != NULL && colon - period < 16 && strlen(colon + 1) < 16) {
        memcpy(from, period, (size_t)(colon - period));
        snprintf(to, sizeof to, "%s", colon + 1);
    }
    if (!dms_date_parse(from, &o.from) || !dms_date_parse(to, &o.to) || o.to < o.from) {
        cli_fail("dmsrate budget effect", "--period: give FROM:TO as YYYY-MM-DD:YYYY-MM-DD");
        return 2;
    }
    double mc = 0;
    if (!parse_money_flag("--programme-cost", cost, 0, 1e12, &o.programme_cost) ||
        !parse_money_flag("--sick-day-cost", day, 0, 1e7, &o.sick_day_cost) ||
        !parse_money_flag("--replacement-cost", repl, 0, 1e9, &o.replacement_cost) ||
        !parse_money_flag("--turnover-before", turn, 0, 1, &o.turnover_before) ||
        !parse_money_flag("--min-cell", min_cell, 1, 1000, &mc))
        return 2;
    o.min_cell = (int)mc;
    if (nps != NULL) {
        o.has_nps = true;
        const char *p = nps;
        for (int k = 0; k < DMS_NPS_SCALE; k++) {
            char *end = NULL;
            o.nps[k] = strtoul(p, &end, 10);
            bool last = k == DMS_NPS_SCALE - 1;
            if (end == p || (last ? *end != '\0' : *end != ',')) {
                cli_fail("dmsrate budget effect",
                         "--nps: give 11 counts of answers 0..10, comma separated");
                return 2;
            }
            p = end + 1;
        }
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        cli_fail("dmsrate budget effect", "--format: '%s' is not table or json", format);
        return 2;
    }
    int exit_code = 2;
    dms_error err;
    dms_error_clear(&err);
    dms_diag *diag = NULL;
    dms_register *reg = NULL;
    dms_membership *mem = NULL;
    dms_hr_file *hr = NULL;
    dms_table *t = NULL;
    dms_effect_nps n;
    dms_effect_roi roi;
    if (dms_diag_alloc(0, &diag) != DMS_OK)
        goto out;
    if (dms_claims_load_file(reg_path, &reg, diag, NULL) != DMS_OK ||
        dms_membership_load_file(mem_path, &mem, diag) != DMS_OK ||
        (hr_path != NULL && dms_hr_load_file(hr_path, &hr, diag) != DMS_OK)) {
        print_diag(diag);
        goto out;
    }
    if (dms_effect_compute(reg, mem, hr, &o, &t, &n, &roi, &err) != DMS_OK) {
        cli_error("dmsrate budget effect", &err);
        goto out;
    }
    if (strcmp(format, "json") == 0) {
        exit_code = cli_print_json(dms_report_effect(t, &n, &roi, &err));
        goto out;
    }
    bool ru = cli_russian();
    printf(ru ? "год программы %s..%s; группы меньше %d человек показаны как <%d\n"
              : "programme year %s..%s; cells of fewer than %d people print as <%d\n",
           from, to, t->min_cell, t->min_cell);
    dms_reports_csv(t, DMS_CSV_EN, NULL, stdout);
    if (n.given) {
        if (n.suppressed)
            printf(ru ? "NPS: меньше %d ответов, скрыто\n"
                      : "NPS: fewer than %d answers, suppressed\n",
                   t->min_cell);
        else
            printf(
                ru ? "NPS %.1f (цель выше 30): ответов %lu, промоутеров (9-10) %lu, нейтральных "
                     "%lu, критиков (0-6) %lu\n"
                   : "NPS %.1f (target over 30): %lu answers, %lu promoters (9-10), %lu passives, "
                     "%lu detractors (0-6)\n",
                n.nps, n.respondents, n.promoters, n.passives, n.detractors);
    }
    if (roi.suppressed)
        printf(ru ? "ROI: в файле кадровой службы меньше %d сотрудников, скрыто\n"
                  : "ROI: fewer than %d employees in the HR file, suppressed\n",
               t->min_cell);
    else if (hr != NULL) {
        printf(ru ? "дней больничного на сотрудника: %.2f до, %.2f после (сотрудников %zu)\n"
                  : "sick days per employee: %.2f before, %.2f after (%zu employees)\n",
               roi.sick_before, roi.sick_after, roi.employees);
        printf(ru ? "текучесть: %.4f до, %.4f после\n" : "turnover: %.4f before, %.4f after\n",
               roi.turnover_before, roi.turnover_after);
        if (roi.computed)
            printf("ROI = ((%.2f - %.2f) x %zu x %.2f + (%.4f - %.4f) x %zu x %.2f - %.2f) / %.2f\n"
                   "    = (%.2f + %.2f - %.2f) / %.2f = %.2f / %.2f = %.4f (%.1f%%), %s\n",
                   roi.sick_before, roi.sick_after, roi.employees, roi.sick_day_cost,
                   isnan(roi.turnover_before) ? 0.0 : roi.turnover_before,
                   isnan(roi.turnover_before) ? 0.0 : roi.turnover_after, roi.employees,
                   isnan(roi.replacement_cost) ? 0.0 : roi.replacement_cost, roi.programme_cost,
                   roi.programme_cost, roi.sick_savings,
                   isnan(roi.turnover_savings) ? 0.0 : roi.turnover_savings, roi.programme_cost,
                   roi.programme_cost, roi.net, roi.programme_cost, roi.roi, 100 * roi.roi,
                   ru ? "руб. в год" : "RUB a year");
        else
            printf(ru ? "ROI: укажите --programme-cost и --sick-day-cost (и --replacement-cost "
                        "вместе с --turnover-before)\n"
                      : "ROI: give --programme-cost and --sick-day-cost (and --replacement-cost "
                        "with --turnover-before)\n");
    }
    exit_code = ferror(stdout) ? 1 : 0;
out:
    dms_table_free(t);
    dms_hr_free(hr);
    dms_membership_free(mem);
    dms_register_free(reg);
    dms_diag_free(diag);
    return exit_code;
}

int cmd_budget(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "effect") == 0)
        return cmd_effect(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "crisis") == 0)
        return cmd_crisis(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "funding") == 0)
        return cmd_funding(argc - 1, argv + 1);
    const char *census_path = NULL, *budgets_path = NULL, *survey_path = NULL;
    const char *tariff_path = "tariffs/corporate-2026.json", *model_path = "models/ru-2026.json";
    const char *format = "table";
    const char *plan_paths[DMS_BUDGET_MAX_PLANS + 1];
    size_t nplans = 0;
    int first = 1;
    bool compare = argc > 1 && strcmp(argv[1], "compare") == 0;
    if (compare)
        first = 2;
    const cli_value_flag flags[] = {{"--census", &census_path},
                                    {"--budgets", compare ? NULL : &budgets_path},
                                    {"--survey", compare ? NULL : &survey_path},
                                    {"--tariff", &tariff_path},
                                    {"--model", &model_path},
                                    {"--format", &format},
                                    {NULL, NULL}};
    for (int i = first; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            cli_usage("budget", stdout);
            return 0;
        }
        if (compare && strcmp(flag, "--plans") == 0) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if (nplans == DMS_BUDGET_MAX_PLANS) {
                    cli_fail("dmsrate budget", "--plans: at most %d plans", DMS_BUDGET_MAX_PLANS);
                    return 2;
                }
                plan_paths[nplans++] = argv[++i];
            }
            continue;
        }
        if (cli_take_value("dmsrate budget", flags, argc, argv, &i) != 0)
            return 2;
    }
    if (census_path == NULL || (!compare && budgets_path == NULL)) {
        cli_fail("dmsrate budget", "%s: required (see --help)",
                 census_path == NULL ? "--census" : "--budgets");
        return 2;
    }
    if (compare && nplans < 2) {
        cli_fail("dmsrate budget", "--plans: give two to four plan files");
        return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        cli_fail("dmsrate budget", "--format: '%s' is not table or json", format);
        return 2;
    }

    int exit_code = 2;
    dms_error err;
    dms_error_clear(&err);
    dms_tariff *tariff = NULL;
    dms_model *model = NULL;
    dms_census *census = NULL;
    dms_budget_request *request = NULL;
    dms_budget_result *result = NULL;
    dms_budget_comparison *cmp = NULL;
    dms_plan *plans[DMS_BUDGET_MAX_PLANS] = {NULL};
    dms_diag *diag = NULL;
    if (dms_diag_alloc(0, &diag) != DMS_OK) {
        cli_raise("dmsrate budget", DMS_ENOMEM, "out of memory");
        goto out;
    }
    if (dms_tariff_load_file(tariff_path, &tariff, &err) != DMS_OK) {
        print_load_error(tariff_path, &err);
        goto out;
    }
    if (dms_model_load_file(model_path, &model, &err) != DMS_OK) {
        print_load_error(model_path, &err);
        goto out;
    }
    if (!compare && load_budgets(budgets_path, survey_path, tariff, &request) != 0)
        goto out;
    for (size_t i = 0; i < nplans; i++)
        if (dms_plan_load_file(plan_paths[i], &plans[i], &err) != DMS_OK) {
            print_load_error(plan_paths[i], &err);
            goto out;
        }
    if (dms_census_load_file(census_path, &census, diag) != DMS_OK) {
        print_diag(diag);
        goto out;
    }
    if (compare) {
        cmp = malloc(sizeof *cmp);
        if (cmp == NULL ||
            dms_budget_compare(tariff, model, census, census_path, (const dms_plan *const *)plans,
                               nplans, cmp, diag) != DMS_OK) {
            print_diag(diag);
            goto out;
        }
        exit_code = strcmp(format, "json") == 0
                        ? cli_print_json(dms_report_budget_compare(cmp, &err))
                        : (dms_report_budget_compare_table(cmp, stdout) == DMS_OK ? 0 : 1);
        goto out;
    }
    cli_progress bar;
    cli_progress_start(&bar, "budget");
    dms_budget_run_options run = {.progress = &bar.progress};
    int status =
        dms_budget_run_with(tariff, model, census, census_path, request, &run, &result, diag);
    cli_progress_end(&bar);
    if (status != DMS_OK) {
        print_diag(diag);
        exit_code = status == DMS_EINTERNAL || status == DMS_ENOMEM ? 1 : 2;
        goto out;
    }
    exit_code = strcmp(format, "json") == 0
                    ? cli_print_json(dms_report_budget(result, &err))
                    : (dms_report_budget_table(result, stdout) == DMS_OK ? 0 : 1);
out:
    for (size_t i = 0; i < nplans; i++)
        dms_plan_free(plans[i]);
    free(cmp);
    dms_budget_result_free(result);
    dms_budget_request_free(request);
    dms_census_free(census);
    dms_model_free(model);
    dms_tariff_free(tariff);
    dms_diag_free(diag);
    return exit_code;
}
