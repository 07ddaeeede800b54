/*
 * dmsrate: the command-line front of the pricing library. This file only
 * dispatches to the subcommand; every subcommand is a thin layer over the
 * core in its own cmd_<name>.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "commands.h"
#include "dms/error.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *summary_ru;
} commands[] = {
    {"aggregate", cmd_aggregate, "annual cost distribution of one insured person",
     "годовое распределение затрат на одного застрахованного"},
    {"serve", cmd_serve, "HTTP API service (docs/openapi.yaml)",
     "HTTP-сервис API (docs/openapi.yaml)"},
    {"quote", cmd_quote, "group quote: census x plan x tariff x model",
     "котировка группы: список застрахованных x программа x тариф x модель"},
    {"budget", cmd_budget, "HR segment budgets: best designs, claims shocks, compare plans",
     "бюджеты сегментов для HR: лучшие варианты, шоки убытков, сравнение программ"},
    {"bank", cmd_bank, "premium-card DMS add-on: monthly price and portfolio projection",
     "ДМС к премиальной карте: цена в месяц и прогноз портфеля"},
    {"claims", cmd_claims, "claims register: import, experience rating, HR reports",
     "реестр убытков: загрузка, тариф по собственной убыточности, отчёты для HR"},
    {"employers", cmd_employers, "employers (tenants) of the service: create, list",
     "работодатели сервиса: создать, список"},
    {"keys", cmd_keys, "API keys of the service: create, list, revoke, rotate",
     "ключи API сервиса: создать, список, отозвать, заменить"},
    {"register", cmd_register, "register of insured people: import changes, list, history, export",
     "список застрахованных: загрузка изменений, список, история, выгрузка"},
    {"notify", cmd_notify, "notifications: contacts, daily scan and e-mail, inbox, log",
     "уведомления: контакты, ежедневная проверка и рассылка, входящие, журнал"},
    {"finance", cmd_finance, "payments and reconciliation: contract, invoices, payments, act",
     "платежи и сверка: договор, счета, оплаты, акт"},
    {"enrol", cmd_enrol, "module picker: import an employer's policy and census",
     "выбор модулей: загрузка полиса и списка застрахованных работодателя"},
};

/* Written once in main before any command runs. */
static bool russian;

static void usage(FILE *out)
{
    if (russian) {
        fprintf(out, "использование: dmsrate КОМАНДА [ПАРАМЕТРЫ]\n\nкоманды:\n");
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary_ru);
        fprintf(out, "\n'dmsrate КОМАНДА --help' описывает каждую команду.\n");
        return;
    }
    fprintf(out, "usage: dmsrate COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dmsrate COMMAND --help' documents each command.\n");
}

/*
 * The language of errors, warnings and exports: DMS_LANG=ru (or ru_RU...) in
 * the environment, then --lang ru|en or --lang=ru|en anywhere on the line,
 * the last one winning. Removes those arguments from argv (from index first
 * on), so that every command takes them; a command with a Russian export
 * (quote, claims) reads cli_russian(). Returns the new argc.
 */
static int take_language(int argc, char **argv, int first)
{
    const char *env = getenv("DMS_LANG");
    russian = env != NULL && strncmp(env, "ru", 2) == 0;
    int kept = first;
    for (int i = first; i < argc; i++) {
        const char *lang = NULL;
        int width = 1;
        if (strncmp(argv[i], "--lang=", 7) == 0)
            lang = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[i + 1], width = 2;
        if (lang != NULL && (strcmp(lang, "ru") == 0 || strcmp(lang, "en") == 0)) {
            russian = strcmp(lang, "ru") == 0;
            i += width - 1;
            continue;
        }
        argv[kept++] = argv[i];
    }
    argv[kept] = NULL;
    return kept;
}

int main(int argc, char **argv)
{
    /* The library checks every GSL status itself; GSL must never abort. */
    gsl_set_error_handler_off();
    argc = take_language(argc, argv, 1);
    cli_use_russian(russian);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_fail("dmsrate", "unknown command '%s' (see 'dmsrate --help')", argv[1]);
    return 2;
}
