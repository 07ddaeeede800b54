/*
 * `dmsrate notify contact|run|inbox|log`: the notifications of the cabinet
 * from the command line. run does once what `dmsrate serve` does every
 * minute: the daily scan for --today (idempotent: a second run on the same
 * day queues nothing) and, with --smtp, the flush of the outbox through the
 * relay, each attempt logged and a failure retried after the backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "dms/model.h"
#include "dms/notify_send.h"
#include "dms/notify_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

struct args {
    const char *db, *role, *employee, *email, *today, *smtp, *from, *now;
    long employer;
};

int cmd_notify(int argc, char **argv)
{
    int help = cli_action_help("notify", argc, argv);
    if (help >= 0)
        return help;
    const char *action = argv[1];
    struct args a = {.db = "var/dmsrate.db"};
    for (int i = 2; i < argc; i += 2) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = strcmp(f, "--db") == 0         ? &a.db
                            : strcmp(f, "--role") == 0     ? &a.role
                            : strcmp(f, "--employee") == 0 ? &a.employee
                            : strcmp(f, "--email") == 0    ? &a.email
                            : strcmp(f, "--today") == 0    ? &a.today
                            : strcmp(f, "--smtp") == 0     ? &a.smtp
                            : strcmp(f, "--from") == 0     ? &a.from
                            : strcmp(f, "--now") == 0      ? &a.now
                                                           : NULL;
        if (v == NULL || (slot == NULL && strcmp(f, "--employer") != 0)) {
            return cli_fail_usage("dmsrate notify", "notify", "bad option %s", f);
        }
        if (slot != NULL)
            *slot = v;
        else
            a.employer = strtol(v, NULL, 10);
    }
    bool run = strcmp(action, "run") == 0;
    bool ok = run || a.employer > 0;
    if (strcmp(action, "contact") == 0)
        ok = ok && a.role != NULL && a.email != NULL;
    else if (strcmp(action, "inbox") == 0)
        ok = ok && a.role != NULL;
    else if (!run && strcmp(action, "log") != 0) {
        return cli_fail_usage("dmsrate notify", "notify", "unknown action '%s'", action);
    }
    if (!ok) {
        return cli_fail_usage("dmsrate notify", "notify", "%s: missing or bad options", action);
    }
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    /* The daily scan runs over every employer. */
    int status = run ? dms_store_open(a.db, &store, &err)
                     : cli_store_open_employer(a.db, a.employer, &store, &err);
    if (status == DMS_OK && strcmp(action, "contact") == 0) {
        status = dms_notify_store_contact_set(store, a.role, a.employee, a.email, &err);
        if (status == DMS_OK)
            printf(cli_russian() ? "работодатель %ld: %s%s%s получает письма на %s\n"
                                 : "employer %ld: %s%s%s gets e-mail at %s\n",
                   a.employer, a.role, a.employee ? " " : "", a.employee ? a.employee : "",
                   a.email);
    } else if (status == DMS_OK && run) {
        long today = 0;
        char buf[11];
        if (a.today == NULL) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
            a.today = buf;
        }
        size_t created = 0, sent = 0, failed = 0;
        if (!dms_date_parse(a.today, &today))
            status = dms_error_set(&err, DMS_EINVAL, NULL, "--today is YYYY-MM-DD");
        if (status == DMS_OK)
            status = dms_notify_store_scan(store, today, &created, &err);
        if (status == DMS_OK && a.smtp != NULL) {
            long long now = a.now != NULL ? strtoll(a.now, NULL, 10) : (long long)time(NULL);
            dms_notify_send_init();
            status = dms_notify_flush(store, a.smtp, a.from, now, 1000, &sent, &failed, &err);
        }
        if (status == DMS_OK)
            printf("%s: %zu notification(s) queued; e-mail: %zu sent, %zu failed (retried "
                   "later)\n",
                   a.today, created, sent, failed);
    } else if (status == DMS_OK && strcmp(action, "inbox") == 0) {
        dms_notification *v = NULL;
        size_t n = 0;
        status = dms_notify_store_inbox(store, a.role, a.employee, 100, &v, &n, &err);
        for (size_t i = 0; status == DMS_OK && i < n; i++)
            printf("%.19s  %-9s  %s\n", v[i].created_at, v[i].state, v[i].subject);
        free(v);
    } else if (status == DMS_OK) {
        dms_notify_log_row *v = NULL;
        size_t n = 0;
        status = dms_notify_store_log(store, 10000, &v, &n, &err);
        for (size_t i = 0; status == DMS_OK && i < n; i++)
            printf("%.19s  #%-3ld %-9s %-8s %-7s  %s — %s\n", v[i].at, v[i].notification,
                   v[i].event, v[i].role, v[i].employee_id, v[i].subject, v[i].detail);
        free(v);
    }
    dms_store_close(store);
    if (status == DMS_OK)
        return 0;
    cli_error("dmsrate notify", &err);
    return status == DMS_EINVAL || status == DMS_ENOTFOUND ? 2 : 1;
}
