/*
 * The start of the commands that work on one employer's data in the
 * service's database (finance, register, notify): open the store, check that
 * the employer exists, and scope every later statement to it, so that a typo
 * in --employer is an error and never another tenant's rows.
 */
#include "commands.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

int cli_store_open_employer(const char *db, long employer, dms_store **store, dms_error *err)
{
    dms_tenant_employer e;
    int status = dms_store_open(db, store, err);
    if (status == DMS_OK)
        status = dms_tenant_employer_get(*store, employer, &e, err);
    if (status == DMS_OK)
        dms_store_tenant_set(*store, employer);
    return status;
}
