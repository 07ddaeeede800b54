/*
 * Flags that take one value ("--census FILE"), read from a table of names and
 * where each value goes: one lookup for every command, and one wording of the
 * two usage errors (an unknown flag, a flag without its value) for the
 * commands that read their flags in one loop (quote, bank, budget).
 */
#include <string.h>

#include "commands.h"

const char **cli_value_flag_find(const cli_value_flag *flags, const char *name)
{
    for (const cli_value_flag *f = flags; f->name != NULL; f++)
        if (f->target != NULL && strcmp(name, f->name) == 0)
            return f->target;
    return NULL;
}

int cli_take_value(const char *prog, const cli_value_flag *flags, int argc, char **argv, int *i)
{
    const char *flag = argv[*i];
    const char **target = cli_value_flag_find(flags, flag);
    if (target == NULL)
        return cli_fail(prog, "%s: unknown flag (see --help)", flag);
    if (*i + 1 >= argc)
        return cli_fail(prog, "%s: needs a value", flag);
    *target = argv[++*i];
    return 0;
}
