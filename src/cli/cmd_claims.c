/*
 * `dmsrate claims import|rate|report`: the claims experience from the
 * command line. import stores a register in the SQLite store (idempotent);
 * rate computes the experience per module with credibility and, given a
 * census and plan, the renewal quote priced with the experience-adjusted
 * model beside the manual quote and last year's premium; report prints one
 * of the HR / finance reports with small-cell suppression as CSV or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dms/file.h"
#include "dms/claims.h"
#include "dms/claims_store.h"
#include "dms/experience.h"
#include "dms/exposure.h"
#include "dms/quote.h"
#include "dms/register_store.h"
#include "dms/report.h"
#include "dms/reports.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

struct args {
    const char *db, *employer, *register_path, *membership, *model, *census, *plan, *tariff;
    const char *format, *department, *report;
    int year;
    long exp_from, exp_to, renew_from, renew_to, from, to;
    double p, k, bs_k, last_premium, premium_mm;
    int min_cell;
    bool ru;
    dms_reports_limit limits[16];
    char limit_codes[16][64];
    size_t nlimits;
};

static void print_diag(const dms_diag *diag)
{
    cli_diag("dmsrate claims", diag, false);
}

static void print_error(const dms_error *err)
{
    cli_error("dmsrate claims", err);
}

static bool parse_day(const char *s, long *day)
{
    int y, m, d;
    char msg[8];
    if (dms_census_parse_date(s, strlen(s), &y, &m, &d, msg, sizeof msg) != DMS_OK)
        return false;
    *day = dms_claims_days(y, m, d);
    return true;
}

static bool parse_range(const char *s, long *from, long *to)
{
    const char *colon = strchr(s, ':');
    char a[32];
    if (colon == NULL || (size_t)(colon - s) >= sizeof a)
        return false;
    memcpy(a, s, (size_t)(colon - s));
    a[colon - s] = '\0';
    return parse_day(a, from) && parse_day(colon + 1, to) && *to >= *from;
}

static int parse_args(int argc, char **argv, int first, struct args *a)
{
    /* The flags whose value is kept as it is written. */
    const cli_value_flag texts[] = {{"--db", &a->db},
                                    {"--employer", &a->employer},
                                    {"--register", &a->register_path},
                                    {"--membership", &a->membership},
                                    {"--model", &a->model},
                                    {"--census", &a->census},
                                    {"--plan", &a->plan},
                                    {"--tariff", &a->tariff},
                                    {"--format", &a->format},
                                    {"--department", &a->department},
                                    {NULL, NULL}};
    for (int i = first; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--ru") == 0) {
            a->ru = true;
            continue;
        }
        if (i + 1 >= argc) {
            cli_fail("dmsrate claims", "%s needs a value", f);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        bool ok = true;
        const char **text = cli_value_flag_find(texts, f);
        if (text != NULL)
            *text = v;
        else if (strcmp(f, "--lang") == 0)
            a->ru = strcmp(v, "ru") == 0, ok = a->ru || strcmp(v, "en") == 0;
        else if (strcmp(f, "--year") == 0)
            a->year = (int)strtol(v, &end, 10), ok = *end == '\0';
        else if (strcmp(f, "--p") == 0)
            a->p = strtod(v, &end), ok = *end == '\0';
        else if (strcmp(f, "--k") == 0)
            a->k = strtod(v, &end), ok = *end == '\0';
        else if (strcmp(f, "--bs-k") == 0)
            a->bs_k = strtod(v, &end), ok = *end == '\0' && a->bs_k > 0;
        else if (strcmp(f, "--last-premium") == 0)
            a->last_premium = strtod(v, &end), ok = *end == '\0';
        else if (strcmp(f, "--premium-per-member-month") == 0)
            a->premium_mm = strtod(v, &end), ok = *end == '\0';
        else if (strcmp(f, "--min-cell") == 0)
            a->min_cell = (int)strtol(v, &end, 10), ok = *end == '\0';
        else if (strcmp(f, "--experience") == 0)
            ok = parse_range(v, &a->exp_from, &a->exp_to);
        else if (strcmp(f, "--renewal") == 0)
            ok = parse_range(v, &a->renew_from, &a->renew_to);
        else if (strcmp(f, "--period") == 0)
            ok = parse_range(v, &a->from, &a->to);
        else if (strcmp(f, "--limit") == 0) {
            const char *eq = strchr(v, '=');
            ok = eq != NULL && a->nlimits < 16 && (size_t)(eq - v) < 64;
            if (ok) {
                snprintf(a->limit_codes[a->nlimits], 64, "%.*s", (int)(eq - v), v);
                a->limits[a->nlimits].module = a->limit_codes[a->nlimits];
                a->limits[a->nlimits].limit = strtod(eq + 1, &end);
                ok = *end == '\0' && a->limits[a->nlimits].limit > 0;
                a->nlimits++;
            }
        } else {
            cli_fail("dmsrate claims", "unknown option %s (see --help)", f);
            return 2;
        }
        if (!ok) {
            cli_fail("dmsrate claims", "bad value '%s' for %s", v, f);
            return 2;
        }
    }
    return 0;
}

/* The register from --register or from the store. */
static int load_register(const struct args *a, dms_register **reg)
{
    dms_diag *diag = NULL, *warn = NULL;
    dms_error err;
    dms_error_clear(&err);
    dms_diag_alloc(50, &diag);
    dms_diag_alloc(10, &warn);
    int status;
    if (a->register_path != NULL) {
        status = dms_claims_load_file(a->register_path, reg, diag, warn);
        cli_diag("dmsrate claims", warn, true);
        print_diag(diag);
    } else if (a->db != NULL && a->employer != NULL && a->year > 0) {
        dms_claims_store *cs = NULL;
        status = dms_claims_store_open(a->db, &cs, &err);
        if (status == DMS_OK)
            status = dms_claims_store_load(cs, a->employer, a->year, reg, &err);
        if (status != DMS_OK)
            print_error(&err);
        dms_claims_store_close(cs);
    } else {
        cli_fail("dmsrate claims", "give --register FILE or --db, --employer, --year");
        status = DMS_EINVAL;
    }
    dms_diag_free(diag);
    dms_diag_free(warn);
    return status;
}

static int load_membership(const struct args *a, dms_membership **m)
{
    if (a->membership == NULL && a->db != NULL && a->employer != NULL) {
        /* Exposure from the stored register of insured people of employer ID. */
        char *end = NULL;
        long id = strtol(a->employer, &end, 10);
        dms_error err;
        dms_error_clear(&err);
        dms_store *store = NULL;
        dms_tenant_employer e;
        int status = DMS_EINVAL;
        if (end != a->employer && *end == '\0' && id > 0 &&
            (status = dms_store_open(a->db, &store, &err)) == DMS_OK &&
            (status = dms_tenant_employer_get(store, id, &e, &err)) == DMS_OK) {
            dms_store_tenant_set(store, id);
            status = dms_register_store_membership(store, m, &err);
        }
        if (status != DMS_OK && err.code != DMS_OK)
            print_error(&err);
        else if (status != DMS_OK)
            cli_fail("dmsrate claims",
                     "--membership FILE, or --employer ID of an employer whose register is stored");
        dms_store_close(store);
        return status;
    }
    if (a->membership == NULL) {
        cli_fail("dmsrate claims", "--membership FILE is required");
        return DMS_EINVAL;
    }
    dms_diag *diag = NULL;
    dms_diag_alloc(50, &diag);
    int status = dms_membership_load_file(a->membership, m, diag);
    print_diag(diag);
    dms_diag_free(diag);
    return status;
}

static int do_import(const struct args *a)
{
    if (a->db == NULL || a->employer == NULL || a->year == 0 || a->register_path == NULL) {
        cli_fail("dmsrate claims import", "--db, --employer, --year, --register needed");
        return 2;
    }
    char *text = NULL;
    size_t len = 0;
    dms_error rerr;
    if (dms_file_read(a->register_path, 0, "the register", &text, &len, &rerr) != DMS_OK) {
        cli_error("dmsrate claims", &rerr);
        return 2;
    }
    dms_diag *diag = NULL, *warn = NULL;
    dms_diag_alloc(50, &diag);
    dms_diag_alloc(10, &warn);
    dms_register *reg = NULL;
    dms_claims_store *cs = NULL;
    dms_error err;
    dms_error_clear(&err);
    int rc = 2;
    cli_progress bar;
    cli_progress_start(&bar, "claims import");
    dms_claims_parse_options parse = {.progress = &bar.progress};
    /* parsing is about half the import, storing the other half */
    dms_progress_part(&bar.progress, 0.0, 0.5, "reading the register");
    int status = dms_claims_parse_csv_with(text, len, a->register_path, &parse, &reg, diag, warn);
    if (status != DMS_OK) {
        cli_progress_end(&bar);
        cli_diag("dmsrate claims", warn, true);
        print_diag(diag);
        goto out;
    }
    dms_claims_import_result res;
    dms_progress_part(&bar.progress, 0.5, 1.0, "storing the register");
    if (dms_claims_store_open(a->db, &cs, &err) != DMS_OK ||
        dms_claims_store_import(cs, a->employer, a->year, a->register_path, text, len, reg, &res,
                                &err) != DMS_OK) {
        cli_progress_end(&bar);
        print_error(&err);
        rc = 1;
        goto out;
    }
    dms_progress_finish(&bar.progress);
    cli_progress_end(&bar);
    cli_diag("dmsrate claims", warn, true);
    printf("{\"import_id\": %lld, \"sha256\": \"%s\", \"already_imported\": %s, \"lines\": %zu, "
           "\"inserted\": %zu, \"replaced\": %zu, \"dropped_columns\": %zu}\n",
           (long long)res.import_id, res.sha256, res.already_imported ? "true" : "false", res.lines,
           res.inserted, res.replaced, reg->ndropped);
    rc = 0;
out:
    dms_claims_store_close(cs);
    dms_register_free(reg);
    dms_diag_free(diag);
    dms_diag_free(warn);
    free(text);
    return rc;
}

static json_t *quote_total(const dms_quote *q)
{
    json_t *j = json_object();
    for (int s = 0; s < DMS_SCENARIO_COUNT; s++)
        json_object_set_new(j, dms_scenario_name((enum dms_scenario_kind)s),
                            json_real((double)q->total.money[s].gross_kopecks / 100.0));
    return j;
}

static int do_rate(const struct args *a)
{
    dms_register *reg = NULL;
    dms_membership *m = NULL;
    dms_model *model = NULL, *adjusted = NULL;
    dms_experience *exp = NULL;
    dms_tariff *tariff = NULL;
    dms_plan *plan = NULL;
    dms_census *census = NULL;
    dms_quote *manual = NULL, *renewal = NULL;
    json_t *out = NULL;
    dms_diag *diag = NULL;
    dms_error err;
    dms_error_clear(&err);
    int rc = 2;
    dms_diag_alloc(50, &diag);
    if (load_register(a, &reg) != DMS_OK || load_membership(a, &m) != DMS_OK)
        goto out;
    if (dms_model_load_file(a->model ? a->model : "models/ru-2026.json", &model, &err) != DMS_OK) {
        print_error(&err);
        goto out;
    }
    dms_experience_options o = dms_experience_options_default();
    o.exp_from = a->exp_from;
    o.exp_to = a->exp_to;
    o.renew_from = a->renew_from;
    o.renew_to = a->renew_to;
    if (a->p > 0)
        o.lf_p = a->p;
    if (a->k > 0)
        o.lf_k = a->k;
    if (a->bs_k > 0) {
        o.method = DMS_EXPERIENCE_BUHLMANN_STRAUB;
        o.bs_k = a->bs_k;
    }
    if (dms_experience_compute(model, reg, m, &o, &exp, &err) != DMS_OK) {
        print_error(&err);
        goto out;
    }
    out = json_object();
    json_object_set_new(out, "experience", dms_experience_json(exp, &err));
    if (a->census != NULL && a->plan != NULL) {
        dms_quote_options qo = dms_quote_options_default();
        qo.percentiles = false;
        if (dms_tariff_load_file(a->tariff ? a->tariff : "tariffs/corporate-2026.json", &tariff,
                                 &err) != DMS_OK ||
            dms_plan_load_file(a->plan, &plan, &err) != DMS_OK) {
            print_error(&err);
            goto out;
        }
        if (dms_census_load_file(a->census, &census, diag) != DMS_OK ||
            dms_experience_adjust_model(model, exp, &adjusted, &err) != DMS_OK ||
            dms_quote_compute(tariff, model, plan, census, &qo, &manual, diag, NULL) != DMS_OK ||
            dms_quote_compute(tariff, adjusted, plan, census, &qo, &renewal, diag, NULL) !=
                DMS_OK) {
            print_diag(diag);
            if (err.code != DMS_OK)
                print_error(&err);
            goto out;
        }
        json_t *r = json_object();
        json_object_set_new(r, "manual_gross", quote_total(manual));
        json_object_set_new(r, "renewal_gross", quote_total(renewal));
        double base = (double)renewal->total.money[DMS_SCENARIO_BASE].gross_kopecks / 100.0;
        double man = (double)manual->total.money[DMS_SCENARIO_BASE].gross_kopecks / 100.0;
        json_object_set_new(r, "change_vs_manual", json_real(man > 0 ? base / man - 1 : 0));
        if (a->last_premium > 0) {
            json_object_set_new(r, "last_year_premium", json_real(a->last_premium));
            json_object_set_new(r, "change_vs_last_year", json_real(base / a->last_premium - 1));
        }
        json_object_set_new(r, "quote", dms_report_quote(renewal, &err));
        json_object_set_new(out, "renewal", r);
    }
    char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s != NULL) {
        puts(s);
        free(s);
    }
    rc = 0;
out:
    json_decref(out);
    dms_quote_free(manual);
    dms_quote_free(renewal);
    dms_census_free(census);
    dms_plan_free(plan);
    dms_tariff_free(tariff);
    dms_model_free(adjusted);
    dms_model_free(model);
    dms_experience_free(exp);
    dms_membership_free(m);
    dms_register_free(reg);
    dms_diag_free(diag);
    return rc;
}

/* The report as CSV in the --lang language, in Russian with the module names
 * of the tariff when there is one to read (optional: codes otherwise). */
static int write_csv(const struct args *a, const dms_table *t, FILE *out)
{
    dms_tariff *names = NULL;
    dms_error ignored;
    dms_error_clear(&ignored);
    if (a->ru)
        dms_tariff_load_file(a->tariff ? a->tariff : "tariffs/corporate-2026.json", &names,
                             &ignored);
    int written = dms_reports_csv(t, a->ru ? DMS_CSV_RU : DMS_CSV_EN, names, out);
    dms_tariff_free(names);
    return written;
}

static int do_report(const struct args *a)
{
    dms_register *reg = NULL;
    dms_membership *m = NULL;
    dms_table *t = NULL;
    dms_error err;
    dms_error_clear(&err);
    int rc = 2;
    if (a->report == NULL) {
        cli_fail("dmsrate claims report", "name a report (see --help)");
        return 2;
    }
    if ((strcmp(a->report, "insured") != 0 && load_register(a, &reg) != DMS_OK) ||
        load_membership(a, &m) != DMS_OK)
        goto out;
    dms_reports_options o = dms_reports_options_default();
    o.from = a->from;
    o.to = a->to;
    if (a->min_cell != 0)
        o.min_cell = a->min_cell;
    o.department = a->department;
    o.limits = a->limits;
    o.nlimits = a->nlimits;
    o.premium_per_member_month = a->premium_mm;
    if (dms_reports_by_name(a->report, reg, m, &o, &t, &err) != DMS_OK) {
        print_error(&err);
        goto out;
    }
    if (a->format != NULL && strcmp(a->format, "json") == 0) {
        json_t *j = dms_reports_json(t, &err);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(j);
    } else if (a->format != NULL && strcmp(a->format, "xlsx") == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *csv = cli_xlsx_begin("dmsrate claims report", &buf, &len);
        if (csv == NULL)
            goto out;
        /* Headers in the --lang language; Russian module names from the tariff. */
        if (write_csv(a, t, csv) != DMS_OK) {
            fclose(csv);
            free(buf);
            rc = 1;
            goto out;
        }
        if (cli_xlsx_end("dmsrate claims report", csv, &buf, &len, "Отчёт") != 0) {
            rc = 1;
            goto out;
        }
    } else {
        if (write_csv(a, t, stdout) != DMS_OK) {
            cli_raise("dmsrate claims report", DMS_EIO, "could not write the CSV");
            goto out;
        }
    }
    rc = 0;
out:
    dms_table_free(t);
    dms_membership_free(m);
    dms_register_free(reg);
    return rc;
}

int cmd_claims(int argc, char **argv)
{
    struct args a;
    memset(&a, 0, sizeof a);
    a.ru = cli_russian(); /* --lang ru, taken by main */
    int help = cli_action_help("claims", argc, argv);
    if (help >= 0)
        return help;
    int first = 2;
    if (strcmp(argv[1], "report") == 0 && argc > 2 && argv[2][0] != '-') {
        a.report = argv[2];
        first = 3;
    }
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            cli_usage("claims", stdout);
            return 0;
        }
    int rc = parse_args(argc, argv, first, &a);
    if (rc != 0)
        return rc;
    if (strcmp(argv[1], "import") == 0)
        return do_import(&a);
    if (strcmp(argv[1], "rate") == 0) {
        if (a.exp_from == 0 || a.renew_from == 0) {
            cli_fail("dmsrate claims rate", "--experience and --renewal are required");
            return 2;
        }
        return do_rate(&a);
    }
    if (strcmp(argv[1], "report") == 0) {
        if (a.from == 0) {
            cli_fail("dmsrate claims report", "--period FROM:TO is required");
            return 2;
        }
        return do_report(&a);
    }
    cli_fail("dmsrate claims", "unknown action '%s' (import, rate, report)", argv[1]);
    return 2;
}
