/*
 * Notifications delivered to a real SMTP sink on loopback (Debian's
 * python3-aiosmtpd writing a maildir). With the register of three people,
 * an invoice due on 11 January and contacts for HR, finance and one
 * employee, the scan of 8 January queues the insured-status notices (one
 * per person, and one digest of the upload to HR) and the "invoice due"
 * notice, and the flush delivers four e-mails: the one to
 * finance has the RFC 2047 subject "ДМС: счёт СЧ-1-1 к оплате до
 * 11.01.2026" and the exact amount in its UTF-8 body; the employee's names
 * their policy, HR's counts the three people included. A second run the same day sends nothing
 * (idempotent). Then the sink goes down: the "overdue" notices of 12 January fail and are logged;
 * with the sink back, a flush inside the backoff sends nothing, one after it delivers both, logged
 * as retried and delivered; nothing is lost. Finally `dmsrate serve --smtp` with its scheduler
 * sends the "programme ends in 30 days" notices of 1 December, and after a restart on the same day
 * sends nothing again.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_command.h"
#include "store_target.h"
#include "testutil.h"

static char dir[64], db[256], maildir[128], url[64];
static unsigned short port;
static pid_t sink = -1;

static int run(char *out, size_t size, char *const argv[])
{
    struct command_result c = run_dmsrate(argv);
    if (out != NULL)
        snprintf(out, size, "%s", c.out);
    int status = c.status;
    if (status != 0)
        fprintf(stderr, "dmsrate %s %s: %s", argv[1], argv[2], c.err);
    command_result_free(&c);
    return status;
}

static unsigned short free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return 0;
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

/* The sink: python3 -m aiosmtpd writing every message into maildir. */
static bool sink_start(void)
{
    static const char *const pythons[] = {"/usr/bin/python3", "python3"};
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
    for (size_t p = 0; p < 2; p++) {
        sink = fork();
        if (sink == 0) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            execlp(pythons[p], pythons[p], "-m", "aiosmtpd", "-n", "-l", listen, "-c",
                   "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 100; i++) {
            if (port_open())
                return true;
            int st;
            if (waitpid(sink, &st, WNOHANG) == sink)
                break;
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(sink, SIGTERM);
        waitpid(sink, NULL, 0);
        sink = -1;
    }
    return false;
}

static void sink_stop(void)
{
    if (sink > 0) {
        kill(sink, SIGTERM);
        waitpid(sink, NULL, 0);
        sink = -1;
    }
    for (int i = 0; i < 100 && port_open(); i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (test_temp_dir(dir, sizeof dir, "smtp") != 0)
        return -1;
    if (store_target(dir, "dmsrate.db", db, sizeof db) != 0)
        return -1;
    snprintf(maildir, sizeof maildir, "%s/maildir", dir);
    port = free_port();
    snprintf(url, sizeof url, "smtp://127.0.0.1:%u", port);
    char *steps[][14] = {
        {"dmsrate", "employers", "create", "--name", "ООО «Северный ветер»", "--inn", "7701234567",
         "--db", db, NULL},
        {"dmsrate", "enrol", "import", "--employer", "1", "--policy",
         "examples/policies/midsize-2026.json", "--census", "examples/census/midsize-450.csv",
         "--db", db, NULL},
        {"dmsrate", "register", "import", "--employer", "1", "--file",
         "examples/finance/register-2026-01.csv", "--today", "2026-01-01", "--db", db, NULL},
        {"dmsrate", "finance", "contract", "--employer", "1", "--file",
         "examples/finance/contract-2026.json", "--db", db, NULL},
        {"dmsrate", "finance", "invoice", "--employer", "1", "--today", "2026-01-01", "--db", db,
         NULL},
        {"dmsrate", "notify", "contact", "--employer", "1", "--role", "hr", "--email",
         "hr@veter.example", "--db", db, NULL},
        {"dmsrate", "notify", "contact", "--employer", "1", "--role", "finance", "--email",
         "buh@veter.example", "--db", db, NULL},
        {"dmsrate", "notify", "contact", "--employer", "1", "--role", "employee", "--employee",
         "100007", "--email", "ivanov@veter.example", "--db", db, NULL},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (run(NULL, 0, steps[i]) != 0)
            return -1;
    return port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sink_stop();
    return test_remove_tree(dir) == 0 ? 0 : -1;
}

/* `dmsrate notify run` for today at now; its one-line summary into out. */
static void notify_run(const char *today, const char *now, char *out, size_t size)
{
    char *argv[] = {"dmsrate", "notify",    "run",  "--today", (char *)today, "--smtp", url,
                    "--now",   (char *)now, "--db", db,        NULL};
    assert_int_equal(run(out, size, argv), 0);
}

/* Messages in the maildir; the text of the first one holding all of needles into text. */
static int mails(const char *const *needles, size_t nneedles, char **text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/new", maildir);
    DIR *d = opendir(path);
    int count = 0;
    if (text != NULL)
        *text = NULL;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        count++;
        char file[600];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        FILE *f = fopen(file, "rb");
        char *buf = calloc(1, 65536);
        size_t n = f != NULL ? fread(buf, 1, 65535, f) : 0;
        buf[n] = '\0';
        if (f != NULL)
            fclose(f);
        bool all = true;
        for (size_t i = 0; i < nneedles; i++)
            all = all && strstr(buf, needles[i]) != NULL;
        if (all && text != NULL && *text == NULL)
            *text = buf;
        else
            free(buf);
    }
    if (d != NULL)
        closedir(d);
    return count;
}

static void delivery(void **state)
{
    (void)state;
    if (!sink_start()) {
        print_message("python3 -m aiosmtpd is not available (apt-get install python3-aiosmtpd)\n");
        skip();
    }
    char out[512];
    notify_run("2026-01-08", "1767830400", out, sizeof out);
    assert_non_null(strstr(out, "6 notification(s) queued; e-mail: 4 sent, 0 failed"));
    assert_int_equal(mails(NULL, 0, NULL), 4);
    char *text = NULL;
    const char *invoice[] = {"X-RcptTo: buh@veter.example", "X-Dmsrate-Kind: invoice_due"};
    mails(invoice, 2, &text);
    assert_non_null(text);
    /* "ДМС: счёт СЧ-1-1 к оплате до 11.01.2026" in RFC 2047 base64. */
    assert_non_null(strstr(text, "Subject: =?UTF-8?B?0JTQnNChOiDRgdGH0ZHRgiDQodCnLTEtMSDQuiDQvtC/"
                                 "0LvQsNGC0LUg0LTQviAxMS4wMS4yMDI2?="));
    assert_non_null(strstr(text, "Content-Type: text/plain; charset=UTF-8"));
    assert_non_null(strstr(
        text,
        "счёт СЧ-1-1 на 13 950,00 ₽ подлежит оплате до 11.01.2026."));
    assert_non_null(strstr(text, "invoice СЧ-1-1 for 13 950,00 ₽ is due on 11.01.2026."));
    free(text);
    const char *employee[] = {"X-RcptTo: ivanov@veter.example", "X-Dmsrate-Kind: insured_status"};
    mails(employee, 2, &text);
    assert_non_null(text);
    assert_non_null(strstr(text, "insured person Q-001 is now included from 01.01.2026."));
    free(text);
    /* HR: one digest of the upload, whatever its size, and no per-person notice. */
    const char *digest[] = {"X-RcptTo: hr@veter.example", "X-Dmsrate-Kind: insured_digest"};
    assert_int_equal(mails(digest, 2, &text), 4);
    assert_non_null(text);
    assert_non_null(strstr(text, "(загрузка 1), вступают в силу с 01.01.2026, людей: 3."));
    assert_non_null(strstr(text, "  включён — 3 чел."));
    assert_non_null(strstr(text, "  included — 3"));
    free(text);
    const char *per_person[] = {"X-RcptTo: hr@veter.example", "X-Dmsrate-Kind: insured_status"};
    mails(per_person, 2, &text);
    assert_null(text);
    /* The same day again: nothing new, nothing sent twice. */
    notify_run("2026-01-08", "1767830500", out, sizeof out);
    assert_non_null(strstr(out, "0 notification(s) queued; e-mail: 0 sent, 0 failed"));
    assert_int_equal(mails(NULL, 0, NULL), 4);
}

static void retry_after_the_sink_was_down(void **state)
{
    (void)state;
    sink_stop();
    char out[512];
    notify_run("2026-01-12", "1768176000", out, sizeof out);
    assert_non_null(strstr(out, "2 notification(s) queued; e-mail: 0 sent, 2 failed"));
    if (!sink_start())
        skip();
    notify_run("2026-01-12", "1768176030", out, sizeof out); /* inside the 60 s backoff */
    assert_non_null(strstr(out, "e-mail: 0 sent, 0 failed"));
    notify_run("2026-01-12", "1768176061", out, sizeof out);
    assert_non_null(strstr(out, "e-mail: 2 sent, 0 failed"));
    assert_int_equal(mails(NULL, 0, NULL), 6);
    char *text = NULL;
    const char *overdue[] = {"X-RcptTo: hr@veter.example", "X-Dmsrate-Kind: invoice_overdue"};
    mails(overdue, 2, &text);
    assert_non_null(text);
    assert_non_null(strstr(text, "счёт СЧ-1-1 не оплачен в срок (11.01.2026), к оплате 13 950,00"));
    free(text);
    char log[16384];
    char *argv[] = {"dmsrate", "notify", "log", "--employer", "1", "--db", db, NULL};
    assert_int_equal(run(log, sizeof log, argv), 0);
    /* Each overdue notice: queued, failed, retried, delivered. */
    const char *last_failed = NULL;
    for (const char *p = strstr(log, " failed "); p != NULL; p = strstr(p + 1, " failed "))
        last_failed = p;
    assert_non_null(last_failed);
    assert_non_null(strstr(last_failed, "Couldn't connect"));
    assert_non_null(strstr(log, " retried "));
    assert_non_null(strstr(log, "attempt 2 to buh@veter.example"));
    assert_non_null(strstr(log, "attempt 2 to hr@veter.example"));
}

/* Starts dmsrate serve with its scheduler on the test's database. */
static pid_t serve(const char *log)
{
    unsigned http = 0;
    const char *args[] = {"--db",       db,       "--no-seed", "--today",
                          "2026-12-01", "--smtp", url,         "--notify-interval",
                          "1",          "--web",  "",          NULL};
    return start_dmsrate_serve(args, log, 20000, &http);
}

static void wait_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The scheduler inside serve sends the "programme ends in 30 days" notices
   of 1 December; after a restart on the same day it sends nothing again. */
static void scheduler_in_serve(void **state)
{
    (void)state;
    if (sink <= 0)
        skip();
    char log[128];
    snprintf(log, sizeof log, "%s/serve.log", dir);
    pid_t pid = serve(log);
    assert_true(pid > 0);
    for (int i = 0; i < 200 && mails(NULL, 0, NULL) < 8; i++)
        wait_ms(50);
    assert_int_equal(mails(NULL, 0, NULL), 8);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char *text = NULL;
    const char *ends[] = {"X-RcptTo: buh@veter.example", "X-Dmsrate-Kind: programme_ends"};
    mails(ends, 2, &text);
    assert_non_null(text);
    assert_non_null(strstr(text, "программа ДМС действует до 31.12.2026 (осталось дней: 30)"));
    free(text);
    pid = serve(log);
    assert_true(pid > 0);
    wait_ms(2500); /* two ticks or more */
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_int_equal(mails(NULL, 0, NULL), 8);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    buf[fread(buf, 1, (1 << 16) - 1, f)] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "\"event\":\"notify\",\"status\":\"ok\",\"today\":\"2026-12-01\","
                                "\"queued\":2,\"sent\":2,\"failed\":0"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delivery),
        cmocka_unit_test(retry_after_the_sink_was_down),
        cmocka_unit_test(scheduler_in_serve),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
