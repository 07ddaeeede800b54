/*
 * `dmsrate register import|list|history|export|window`: the register of
 * insured people (список застрахованных) of one employer, from the command
 * line, over the same store and core checks as the HTTP API. import takes
 * the insurer's template (CSV with Russian headers, or XLSX), validates it
 * whole and applies it in one transaction, or prints every faulty row at
 * file:line:column and applies nothing (exit 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "dms/file.h"
#include "dms/census.h"
#include "dms/model.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

struct args {
    const char *db, *file, *today, *department, *status, *programme, *policy, *what, *from, *to,
        *out;
    long employer, offset, limit, days;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int import(dms_store *store, const struct args *a, dms_error *err)
{
    size_t len = 0;
    char *data = NULL;
    int read = dms_file_read(a->file, 0, a->file, &data, &len, err);
    if (read != DMS_OK)
        return read;
    long today = 0;
    char buf[11];
    if (a->today != NULL) {
        if (!dms_date_parse(a->today, &today)) {
            free(data);
            return dms_error_set(err, DMS_EINVAL, NULL, "--today is YYYY-MM-DD");
        }
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
        dms_date_parse(buf, &today);
    }
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    long upload = 0;
    cli_progress bar;
    cli_progress_start(&bar, "register import");
    dms_insured_read_options reading = {.progress = &bar.progress};
    /* reading is most of the work; checking against the register and
     * applying in one transaction the rest */
    dms_progress_part(&bar.progress, 0.0, 0.7, "reading the template");
    int status =
        dms_insured_template_read_with(data, len, DMS_INSURED_AUTO, a->file, &reading, &batch, err);
    dms_register_submit opts = {
        .author = "cli", .source = a->file, .today = today, .retro_days = -1};
    if (status == DMS_OK) {
        dms_progress_part(&bar.progress, 0.7, 1.0, "checking and applying the changes");
        status = dms_register_store_submit(store, batch, &opts, &outcome, NULL, &upload, err);
    }
    if (status == DMS_OK)
        dms_progress_finish(&bar.progress);
    cli_progress_end(&bar);
    if (status == DMS_OK && !outcome->ok) {
        char line[1024];
        for (size_t i = 0; i < outcome->nissues; i++)
            fprintf(stderr, "%s\n",
                    dms_insured_issue_format(&outcome->issues[i], a->file, line, sizeof line));
        status = dms_error_set(err, DMS_EINVAL, NULL, "%zu error(s); nothing was applied",
                               outcome->nissues_total);
    } else if (status == DMS_OK) {
        printf(
            cli_russian()
                ? "применено изменений: %zu, застрахованных: %zu, работодатель %ld (загрузка %ld)\n"
                : "applied %zu change(s) to %zu person(s) of employer %ld (upload %ld)\n",
            outcome->nchanges, outcome->npersons, a->employer, upload);
    }
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
    free(data);
    return status;
}

/* Prints text left-aligned in width characters (UTF-8 code points, not bytes), then a space. */
static void cell(const char *text, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        chars += (*p & 0xC0) != 0x80;
    fputs(text, stdout);
    for (int i = chars; i < width; i++)
        putchar(' ');
    putchar(' ');
}

static int list(dms_store *store, const struct args *a, dms_error *err)
{
    dms_insured_filter f = {a->department, a->programme, -1, NULL};
    enum dms_insured_status s;
    if (a->status != NULL) {
        if (!dms_insured_status_from_text(a->status, strlen(a->status), &s))
            return dms_error_set(err, DMS_EINVAL, NULL,
                                 "--status is включён, приостановлен or исключён");
        f.status = (int)s;
    }
    dms_register_entry *page = NULL;
    size_t n = 0, total = 0;
    int status = dms_register_store_list(store, &f, NULL, (size_t)a->offset, (size_t)a->limit,
                                         &page, &n, &total, err);
    if (status != DMS_OK)
        return status;
    char from[11], to[11], version[24];
    static const char *const head[] = {"Полис",  "Таб. №", "ФИО", "Подразделение", "Программа",
                                       "Статус", "С",      "По",  "Версия"};
    static const int widths[] = {10, 7, 26, 14, 10, 13, 10, 10, 0};
    for (int c = 0; c < 9; c++)
        cell(head[c], widths[c]);
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        const dms_register_entry *e = &page[i];
        snprintf(version, sizeof version, "%ld", e->version);
        const char *row[] = {
            e->policy,
            e->employee_id,
            e->full_name,
            e->department,
            e->programme,
            dms_insured_status_name_ru(e->status),
            dms_register_day_text(e->date_from, from),
            e->date_to == DMS_INSURED_OPEN_END ? "-" : dms_register_day_text(e->date_to, to),
            version};
        for (int c = 0; c < 9; c++)
            cell(row[c], widths[c]);
        putchar('\n');
    }
    if (cli_russian())
        printf("%zu из %zu\n", n, total);
    else
        printf("%zu из %zu / %zu of %zu\n", n, total, n, total);
    free(page);
    return DMS_OK;
}

static int history(dms_store *store, const struct args *a, dms_error *err)
{
    dms_register_entry e;
    dms_register_change_row *rows = NULL;
    size_t n = 0;
    int status = dms_register_store_get(store, a->policy, &e, err);
    if (status == DMS_OK)
        status = dms_register_store_changes(store, a->policy, DMS_INSURED_NO_DATE,
                                            DMS_INSURED_OPEN_END, &rows, &n, err);
    if (status != DMS_OK)
        return status;
    printf(cli_russian() ? "%s %s, %s, %s, версия %ld\n" : "%s %s, %s, %s, version %ld\n", e.policy,
           e.full_name, e.programme, dms_insured_status_name_ru(e.status), e.version);
    char day[11];
    for (size_t i = 0; i < n; i++)
        printf(cli_russian() ? "  v%ld  %-20s с %s  %-14s  внесено %.19s, автор %s\n"
                             : "  v%ld  %-20s с %s  %-14s  entered %.19s by %s\n",
               rows[i].version, dms_insured_action_name_ru(rows[i].change.action),
               dms_register_day_text(rows[i].change.effective_day, day), rows[i].programme,
               rows[i].entered_at, rows[i].author);
    free(rows);
    return DMS_OK;
}

static int export(dms_store *store, const struct args *a, dms_error *err)
{
    bool xlsx = ends_with(a->out, ".xlsx");
    long from = DMS_INSURED_NO_DATE, to = DMS_INSURED_OPEN_END;
    if ((a->from != NULL && !dms_date_parse(a->from, &from)) ||
        (a->to != NULL && !dms_date_parse(a->to, &to)))
        return dms_error_set(err, DMS_EINVAL, NULL, "--from and --to are YYYY-MM-DD");
    dms_insured_register *reg = NULL;
    dms_register_change_row *rows = NULL;
    dms_insured_change *changes = NULL;
    size_t n = 0;
    FILE *out = NULL;
    bool changes_wanted = strcmp(a->what, "changes") == 0;
    int status;
    if (changes_wanted) {
        status = dms_register_store_changes(store, NULL, from, to, &rows, &n, err);
        if (status == DMS_OK && (changes = calloc(n + 1, sizeof *changes)) == NULL)
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
        for (size_t i = 0; status == DMS_OK && i < n; i++)
            changes[i] = rows[i].change;
    } else {
        status = dms_register_store_load(store, &reg, err);
    }
    if (status == DMS_OK && !xlsx && (out = fopen(a->out, "wb")) == NULL)
        status = dms_error_set(err, DMS_EIO, NULL, "cannot write %s", a->out);
    if (status != DMS_OK)
        goto out;
    if (changes_wanted)
        status = xlsx ? dms_insured_changes_xlsx(changes, n, from, to, a->out, NULL, NULL, err)
                      : dms_insured_changes_csv(changes, n, from, to, out, err);
    else if (strcmp(a->what, "insured") == 0)
        status = xlsx ? dms_insured_report_xlsx(reg, NULL, a->out, NULL, NULL, err)
                      : dms_insured_report_csv(reg, NULL, out, err);
    else
        status = xlsx ? dms_insured_list_xlsx(reg, NULL, a->out, NULL, NULL, err)
                      : dms_insured_list_csv(reg, NULL, out, err);
    if (status == DMS_OK)
        fprintf(stderr,
                cli_russian() ? "dmsrate register: записан %s\n" : "dmsrate register: wrote %s\n",
                a->out);
out:
    if (out != NULL && fclose(out) != 0 && status == DMS_OK)
        status = dms_error_set(err, DMS_EIO, NULL, "cannot write %s", a->out);
    free(changes);
    free(rows);
    dms_insured_register_free(reg);
    return status;
}

int cmd_register(int argc, char **argv)
{
    int help = cli_action_help("register", argc, argv);
    if (help >= 0)
        return help;
    const char *action = argv[1];
    struct args a = {.db = "var/dmsrate.db", .limit = 50, .days = -1};
    for (int i = 2; i < argc; i += 2) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            return cli_fail_usage("dmsrate register", "register", "missing value for %s", f);
        }
        if (strcmp(f, "--db") == 0)
            a.db = v;
        else if (strcmp(f, "--employer") == 0)
            a.employer = strtol(v, NULL, 10);
        else if (strcmp(f, "--file") == 0)
            a.file = v;
        else if (strcmp(f, "--today") == 0)
            a.today = v;
        else if (strcmp(f, "--department") == 0)
            a.department = v;
        else if (strcmp(f, "--status") == 0)
            a.status = v;
        else if (strcmp(f, "--programme") == 0)
            a.programme = v;
        else if (strcmp(f, "--policy") == 0)
            a.policy = v;
        else if (strcmp(f, "--what") == 0)
            a.what = v;
        else if (strcmp(f, "--from") == 0)
            a.from = v;
        else if (strcmp(f, "--to") == 0)
            a.to = v;
        else if (strcmp(f, "--out") == 0)
            a.out = v;
        else if (strcmp(f, "--offset") == 0)
            a.offset = strtol(v, NULL, 10);
        else if (strcmp(f, "--limit") == 0)
            a.limit = strtol(v, NULL, 10);
        else if (strcmp(f, "--days") == 0)
            a.days = strtol(v, NULL, 10);
        else {
            return cli_fail_usage("dmsrate register", "register", "unknown option %s", f);
        }
    }
    bool ok = a.employer > 0 && a.offset >= 0 && a.limit >= 0 && a.limit <= 100000;
    if (strcmp(action, "import") == 0)
        ok = ok && a.file != NULL;
    else if (strcmp(action, "history") == 0)
        ok = ok && a.policy != NULL;
    else if (strcmp(action, "export") == 0)
        ok = ok && a.out != NULL && a.what != NULL &&
             (strcmp(a.what, "list") == 0 || strcmp(a.what, "changes") == 0 ||
              strcmp(a.what, "insured") == 0);
    else if (strcmp(action, "window") == 0)
        ok = ok && a.days >= 0;
    else if (strcmp(action, "list") != 0) {
        return cli_fail_usage("dmsrate register", "register", "unknown action '%s'", action);
    }
    if (!ok) {
        return cli_fail_usage("dmsrate register", "register", "%s: missing or bad options", action);
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    int status = cli_store_open_employer(a.db, a.employer, &store, &err);
    if (status == DMS_OK) {
        if (strcmp(action, "import") == 0)
            status = import(store, &a, &err);
        else if (strcmp(action, "list") == 0)
            status = list(store, &a, &err);
        else if (strcmp(action, "history") == 0)
            status = history(store, &a, &err);
        else if (strcmp(action, "export") == 0)
            status = export(store, &a, &err);
        else if ((status = dms_register_store_set_retro_days(store, (int)a.days, &err)) == DMS_OK)
            printf(cli_russian() ? "работодатель %ld: изменения могут вступать в силу задним "
                                   "числом до %ld дней\n"
                                 : "employer %ld: changes may take effect up to %ld days back\n",
                   a.employer, a.days);
    }
    dms_store_close(store);
    if (status == DMS_OK)
        return 0;
    cli_error("dmsrate register", &err);
    return status == DMS_EINVAL || status == DMS_EPARSE || status == DMS_ENOTFOUND ? 2 : 1;
}
