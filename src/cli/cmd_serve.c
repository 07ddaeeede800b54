/*
 * `dmsrate serve`: runs the HTTP service until SIGTERM or SIGINT. The
 * signals are blocked before any thread starts and taken synchronously with
 * sigwait in the main thread, so no work happens in a signal handler: SIGHUP
 * reloads the tariffs and models (atomically: a failed reload keeps the
 * running set), SIGTERM/SIGINT stop accepting, let in-flight requests
 * finish and exit 0. The bound URL is printed on stdout once listening (with
 * --listen HOST:0 the kernel picks the port).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "dms/file.h"
#include "dms/api.h"
#include "dms/parse.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/notify_send.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

/* One JSON line on stderr for a life-cycle event, like the access log. */
static void log_event(const char *event, const char *status, const char *message)
{
    json_t *line = json_pack("{s:s, s:s}", "event", event, "status", status);
    if (line != NULL && message != NULL)
        json_object_set_new(line, "message", json_string(message));
    char *text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(line);
}

/* The sample employer a new database gets, so that `make run` demonstrates the picker. */
#define SEED_POLICY "examples/policies/midsize-2026.json"
#define SEED_CENSUS "examples/census/midsize-450.csv"

/*
 * Imports the sample employer as employer 1 when the store has no employer
 * at all and the example files are at hand (the repository is the working
 * directory), and says so in the log. Failing to seed is logged, never
 * fatal.
 */
static void seed_sample_employer(dms_store *store)
{
    dms_error err;
    dms_error_clear(&err);
    dms_tenant_employer *employers = NULL;
    size_t n = 0;
    long employer = 0;
    int listed = dms_tenant_employer_list(store, 0, &employers, &n, &err);
    free(employers);
    if (listed != DMS_OK || n > 0)
        return;
    char *csv = NULL;
    size_t len = 0;
    json_t *policy = NULL;
    if (dms_file_read(SEED_CENSUS, 0, "the sample census", &csv, &len, &err) != DMS_OK)
        return; /* no sample next to the binary: start empty */
    if (dms_json_load_file(SEED_POLICY, &policy, &err) == DMS_OK &&
        dms_tenant_employer_default(store, &employer, &err) == DMS_OK &&
        (dms_store_tenant_set(store, employer), true) &&
        dms_enrol_import(store, policy, csv, len, "serve (sample employer)", NULL, &err) == DMS_OK)
        log_event("seed", "ok",
                  "new database: imported the sample employer " SEED_POLICY " and " SEED_CENSUS
                  " (replace it with dmsrate enrol import)");
    else
        log_event("seed", "failed", err.message);
    dms_store_tenant_set(store, 0);
    json_decref(policy);
    free(csv);
}

/* The last resort of a stop: exits when the grace (milliseconds) has run out. */
static void *exit_after_grace(void *arg)
{
    unsigned long ms = *(const unsigned long *)arg;
    struct timespec wait = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&wait, NULL);
    log_event("shutdown", "forced", "work still running at the end of the grace period");
    fflush(stderr);
    _exit(1);
    return NULL;
}

static int number_arg(const char *flag, const char *value, unsigned long min, unsigned long max,
                      unsigned long *out)
{
    if (value == NULL || !dms_parse_ulong(value, max, out) || *out < min) {
        cli_fail("dmsrate serve", "%s needs a whole number in %lu..%lu", flag, min, max);
        return 2;
    }
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    /* The API answers each request in its Accept-Language and its threads
     * read dms_error_format's setting: English for the process; this
     * command's own failures follow --lang through cli_error. */
    dms_error_use_russian(false);
    dms_api_config config = dms_api_config_default();
    config.access_log = stderr;
    config.web_dir = "web";
    config.tariffs_dir = "tariffs";
    config.models_dir = "models";
    config.require_catalog = true;
    const char *db_path = NULL;
    const char *smtp_url = NULL, *mail_from = NULL;
    unsigned notify_interval = 60;
    bool seed = true;
    char host[64];
    unsigned long grace = 10;
    dms_error err;
    dms_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n = 0;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            cli_usage("serve", stdout);
            return 0;
        }
        if (strcmp(flag, "--no-seed") == 0) {
            seed = false;
            continue;
        }
        if (value == NULL) {
            return cli_fail_usage("dmsrate serve", "serve", "unknown option or missing value: %s",
                                  flag);
        }
        i++;
        if (strcmp(flag, "--listen") == 0) {
            if (dms_api_parse_listen(value, host, sizeof host, &config, &err) != DMS_OK) {
                cli_error("dmsrate serve", &err);
                return 2;
            }
        } else if (strcmp(flag, "--tariffs") == 0) {
            config.tariffs_dir = value;
        } else if (strcmp(flag, "--models") == 0) {
            config.models_dir = value;
        } else if (strcmp(flag, "--web") == 0) {
            config.web_dir = value;
        } else if (strcmp(flag, "--db") == 0) {
            db_path = value;
        } else if (strcmp(flag, "--smtp") == 0) {
            smtp_url = value;
        } else if (strcmp(flag, "--mail-from") == 0) {
            mail_from = value;
        } else if (strcmp(flag, "--notify-interval") == 0) {
            if (number_arg(flag, value, 1, 86400, &n) != 0)
                return 2;
            notify_interval = (unsigned)n;
        } else if (strcmp(flag, "--today") == 0) {
            int y, m, d;
            char msg[128];
            if (strlen(value) != 10 ||
                dms_census_parse_date(value, 10, &y, &m, &d, msg, sizeof msg) != DMS_OK) {
                cli_fail("dmsrate serve", "--today must be YYYY-MM-DD");
                return 2;
            }
            config.today = value;
        } else if (strcmp(flag, "--threads") == 0) {
            if (number_arg(flag, value, 1, 256, &n) != 0)
                return 2;
            config.threads = (unsigned)n;
        } else if (strcmp(flag, "--body-limit") == 0) {
            if (number_arg(flag, value, 1024, 1ul << 30, &n) != 0)
                return 2;
            config.body_limit = n;
        } else if (strcmp(flag, "--timeout") == 0) {
            if (number_arg(flag, value, 1, 3600, &n) != 0)
                return 2;
            config.connection_timeout = (unsigned)n;
            config.request_timeout = 2 * (unsigned)n;
        } else if (strcmp(flag, "--header-timeout") == 0) {
            if (number_arg(flag, value, 1, 3600, &n) != 0)
                return 2;
            config.header_timeout = (unsigned)n;
        } else if (strcmp(flag, "--max-connections") == 0) {
            if (number_arg(flag, value, 16, 1000000, &n) != 0)
                return 2;
            config.max_connections = (unsigned)n;
        } else if (strcmp(flag, "--max-per-ip") == 0) {
            if (number_arg(flag, value, 1, 1000000, &n) != 0)
                return 2;
            config.max_per_ip = (unsigned)n;
        } else if (strcmp(flag, "--body-budget") == 0) {
            if (number_arg(flag, value, 1024, 1ul << 40, &n) != 0)
                return 2;
            config.body_budget = n;
        } else if (strcmp(flag, "--compute-timeout") == 0) {
            /* fractions too: a test cuts real work at a fraction of a second */
            double seconds;
            if (value == NULL || !dms_parse_double(value, &seconds) || !(seconds >= 0.05) ||
                seconds > 3600) {
                cli_fail("dmsrate serve", "%s needs a number of seconds in 0.05..3600", flag);
                return 2;
            }
            config.compute_timeout = seconds;
        } else if (strcmp(flag, "--max-draws") == 0 || strcmp(flag, "--max-grid-ops") == 0 ||
                   strcmp(flag, "--max-quote-cells") == 0) {
            if (number_arg(flag, value, 1, 1ul << 62, &n) != 0)
                return 2;
            double *budget = strcmp(flag, "--max-draws") == 0      ? &config.limits.max_draws
                             : strcmp(flag, "--max-grid-ops") == 0 ? &config.limits.max_grid_ops
                                                                   : &config.limits.max_quote_cells;
            *budget = (double)n;
        } else if (strcmp(flag, "--rate-limit") == 0) {
            if (number_arg(flag, value, 0, 1000000, &n) != 0)
                return 2;
            config.rate_limit = (unsigned)n;
            config.no_rate_limit = n == 0;
        } else if (strcmp(flag, "--keep-alive") == 0) {
            if (number_arg(flag, value, 1, 100000, &n) != 0)
                return 2;
            config.keep_alive = (unsigned)n;
        } else if (strcmp(flag, "--grace") == 0) {
            if (number_arg(flag, value, 0, 3600, &grace) != 0)
                return 2;
        } else {
            return cli_fail_usage("dmsrate serve", "serve", "unknown option %s", flag);
        }
    }

    /* Block before the daemon's threads exist, so that they inherit the mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    int code = 1;
    dms_store *store = NULL;
    dms_api_server *server = NULL;
    dms_notify_scheduler *scheduler = NULL;
    if (db_path != NULL && dms_store_open(db_path, &store, &err) != DMS_OK) {
        cli_error("dmsrate serve", &err);
        goto out;
    }
    if (store != NULL && seed)
        seed_sample_employer(store);
    config.db_path = db_path;
    if (dms_api_server_start(&config, &server, &err) != DMS_OK) {
        cli_error("dmsrate serve", &err);
        /* 1: the address (a restart may help); 2: the configuration. */
        code = err.code == DMS_EIO ? 1 : 2;
        if (code == 2)
            /* A hint after the error, not a second error: no code. */
            fprintf(stderr,
                    cli_russian() ? "dmsrate serve: каталог читается из --tariffs %s и --models %s "
                                    "(по умолчанию ./tariffs и ./models)\n"
                                  : "dmsrate serve: the catalog is read from --tariffs %s and "
                                    "--models %s (defaults ./tariffs and ./models)\n",
                    config.tariffs_dir != NULL ? config.tariffs_dir : "(none)",
                    config.models_dir != NULL ? config.models_dir : "(none)");
        goto out;
    }
    if (db_path != NULL) {
        dms_notify_send_init();
        if (dms_notify_scheduler_start(db_path, smtp_url, mail_from, config.today, notify_interval,
                                       &scheduler, &err) != DMS_OK) {
            cli_error("dmsrate serve", &err);
            goto out;
        }
    }
    log_event("start", "ok", NULL);
    printf("dmsrate: listening on http://%s:%u/\n", config.host, dms_api_server_port(server));
    fflush(stdout);
    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            dms_error_clear(&err);
            if (dms_api_server_reload(server, &err) == DMS_OK)
                log_event("reload", "ok", NULL);
            else
                log_event("reload", "failed", err.message);
            continue;
        }
        break;
    }
    /* The stop waits four fifths of the grace for requests in flight and
     * cancels computations on the way; the watchdog guarantees the exit
     * even if some work does not poll its cancel hook. */
    static unsigned long grace_ms;
    grace_ms = grace > 0 ? grace * 1000ul : 1000ul;
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, exit_after_grace, &grace_ms) == 0)
        pthread_detach(watchdog);
    dms_notify_scheduler_stop(scheduler);
    scheduler = NULL;
    unsigned left = dms_api_server_stop(server, (unsigned)(grace * 1000ul * 4 / 5));
    server = NULL;
    char message[96];
    snprintf(message, sizeof message, "%u requests cut off after %lus", left, grace);
    log_event("shutdown", left > 0 ? "forced" : "ok", left > 0 ? message : NULL);
    code = 0;
out:
    dms_notify_scheduler_stop(scheduler);
    dms_api_server_stop(server, 0);
    dms_store_close(store);
    return code;
}
