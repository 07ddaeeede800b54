/*
 * The language of the CLI's own words (help, failures, progress), chosen
 * once by main from --lang or DMS_LANG before any command runs. Kept apart
 * from the failure printer and the help table, which both read it.
 */
#include "commands.h"

#include "dms/error.h"

/* Set once by main from --lang or DMS_LANG before any command runs. */
static bool russian;

void cli_use_russian(bool ru)
{
    russian = ru;
    /* For what the commands format themselves; dmsrate serve turns it off
     * again, its API choosing a language per request. */
    dms_error_use_russian(ru);
}

bool cli_russian(void)
{
    return russian;
}
