/*
 * dmsrate: the command-line front of the pricing library. This file only
 * dispatches to the subcommand; every subcommand is a thin layer over the
 * core in its own cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "commands.h"
#include "dms/error.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"aggregate", cmd_aggregate, "annual cost distribution of one insured person"},
    {"serve", cmd_serve, "HTTP API service (docs/openapi.yaml)"},
    {"quote", cmd_quote, "group quote: census x plan x tariff x model"},
    {"budget", cmd_budget, "HR segment budgets: best designs, claims shocks, compare plans"},
    {"bank", cmd_bank, "premium-card DMS add-on: monthly price and portfolio projection"},
    {"claims", cmd_claims, "claims register: import, experience rating, HR reports"},
    {"employers", cmd_employers, "employers (tenants) of the service: create, list"},
    {"keys", cmd_keys, "API keys of the service: create, list, revoke, rotate"},
    {"register", cmd_register, "register of insured people: import changes, list, history, export"},
    {"notify", cmd_notify, "notifications: contacts, daily scan and e-mail, inbox, log"},
    {"finance", cmd_finance, "payments and reconciliation: contract, invoices, payments, act"},
    {"enrol", cmd_enrol, "module picker: import an employer's policy and census"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: dmsrate COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dmsrate COMMAND --help' documents each command.\n");
}

int main(int argc, char **argv)
{
    /* The library checks every GSL status itself; GSL must never abort. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    /* Errors and warnings in Russian with --lang ru (or --lang=ru) anywhere
     * on the line; English otherwise, whatever the command. */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--lang=ru") == 0 ||
            (strcmp(argv[i], "--lang") == 0 && i + 1 < argc && strcmp(argv[i + 1], "ru") == 0))
            dms_error_use_russian(true);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dmsrate: unknown command '%s' (see 'dmsrate --help')\n", argv[1]);
    return 2;
}
