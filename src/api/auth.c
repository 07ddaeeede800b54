/*
 * Who may call which route: the access table (method and route pattern to
 * the set of roles allowed, public routes having none) and the reading of
 * the caller's API key from "Authorization: Bearer KEY" or "X-Api-Key: KEY".
 * A route missing from the table is a pricing route and takes the roles of
 * /v1/quotes (hr, finance, broker), so a new route is never left open by
 * accident. The employer a request acts for is resolved by router.c from the
 * key (or the /v1/employers/{id}/ prefix for broker and insurer keys) and
 * bound to the store connection, so every employer-scoped query is confined
 * to it. Scope inside a role (an employee's own election, a manager's own
 * department) is checked by the handlers, which know the object.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dms/api.h"
#include "dms/enrol_store.h"
#include "routes_picker.h"

#define EMP DMS_ROLE_BIT(DMS_ROLE_EMPLOYEE)
#define HR DMS_ROLE_BIT(DMS_ROLE_HR)
#define MGR DMS_ROLE_BIT(DMS_ROLE_MANAGER)
#define FIN DMS_ROLE_BIT(DMS_ROLE_FINANCE)
#define BRK DMS_ROLE_BIT(DMS_ROLE_BROKER)
#define INS DMS_ROLE_BIT(DMS_ROLE_INSURER)
#define ANY (EMP | HR | MGR | FIN | BRK | INS)
#define PRICING (HR | FIN | BRK | INS)
/* Who acts as the employer's HR: its own hr keys, and broker and insurer keys
 * for the employers of their scope (router.c resolves which employer). */
#define ADMIN (HR | BRK | INS)

static const struct access {
    const char *method;
    const char *pattern;
    unsigned roles;
    bool employer; /* acts on one employer's data: refused when the request names none */
} access_table[] = {
    {"GET", "/healthz", 0, false},
    {"GET", "/metrics", 0, false},
    {"GET", "/v1/models", ANY, false},
    {"GET", "/v1/models/{id}", ANY, false},
    {"GET", "/v1/tariffs", ANY, false},
    {"GET", "/v1/tariffs/{id}", ANY, false},
    {"POST", "/v1/aggregate", PRICING, false},
    {"POST", "/v1/quotes", PRICING, false},
    {"GET", "/v1/jobs/{id}", PRICING, false},    /* the job itself checks its owner */
    {"DELETE", "/v1/jobs/{id}", PRICING, false}, /* as GET */
    {"POST", "/v1/admin/reload", INS, false},
    {"GET", "/v1/employers", ANY & ~EMP, false},
    {"POST", "/v1/employers", INS, false},
    {"GET", "/v1/employers/{id}", ANY & ~EMP, false},
    {"GET", "/v1/keys", HR | INS, false},
    {"POST", "/v1/keys/{id}/revoke", HR | INS, false},
    {"GET", "/v1/register", ADMIN, true},
    {"GET", "/v1/register/{id}", ADMIN, true},
    {"POST", "/v1/register", ADMIN, true},
    {"GET", "/v1/exports/register.csv", ADMIN, true},
    {"GET", "/v1/exports/register.xlsx", ADMIN, true},
    {"GET", "/v1/exports/register-changes.csv", ADMIN, true},
    {"GET", "/v1/exports/register-changes.xlsx", ADMIN, true},
    {"GET", "/v1/exports/insured.csv", ADMIN | FIN, true},
    {"GET", "/v1/exports/insured.xlsx", ADMIN | FIN, true},
    {"GET", "/v1/finance/contract", ADMIN | FIN, true},
    {"PUT", "/v1/finance/contract", ADMIN, true},
    {"GET", "/v1/finance/invoices", ADMIN | FIN, true},
    {"POST", "/v1/finance/invoices", INS | BRK, true},
    {"GET", "/v1/finance/payments", ADMIN | FIN, true},
    {"POST", "/v1/finance/payments", FIN | INS | BRK, true},
    {"GET", "/v1/finance/accruals", ADMIN | FIN, true},
    {"GET", "/v1/finance/debts", ADMIN | FIN, true},
    {"GET", "/v1/exports/reconciliation.csv", ADMIN | FIN, true},
    {"GET", "/v1/exports/reconciliation.xlsx", ADMIN | FIN, true},
    /* Documents and diagnoses: the employee (own) and the insurer only. */
    {"POST", "/v1/me/requests", EMP, true},
    {"GET", "/v1/me/requests", EMP, true},
    {"POST", "/v1/me/requests/{id}/documents", EMP, true},
    {"GET", "/v1/me/requests/{id}/documents", EMP, true},
    {"POST", "/v1/requests", HR | INS, true},
    {"GET", "/v1/requests", ADMIN, true},
    {"GET", "/v1/request-counts", ADMIN, true},
    {"GET", "/v1/requests/{id}", ADMIN, true},
    /* HR and brokers get a count; the list and the bytes only the insurer (routes_reimb.c). */
    {"GET", "/v1/requests/{id}/documents", ADMIN, true},
    {"POST", "/v1/requests/{id}/documents", HR | INS, true},
    {"POST", "/v1/requests/{id}/status", INS, true},
    {"GET", "/v1/exports/requests.csv", HR | INS, true},
    {"GET", "/v1/me/notifications", EMP, true},
    {"GET", "/v1/notifications", HR | FIN | INS, true},
    {"GET", "/v1/notification-log", HR | INS, true},
    {"GET", "/v1/employer", ANY, true},
    {"POST", "/v1/employer", ADMIN, true},
    {"GET", "/v1/me/offer", EMP, true},
    {"POST", "/v1/me/recommendation", EMP, true},
    {"POST", "/v1/me/sets", EMP, true},
    {"GET", "/v1/me/election", EMP, true},
    {"PUT", "/v1/me/election", EMP, true},
    {"POST", "/v1/me/election/submit", EMP, true},
    {"GET", "/v1/me/election/history", EMP, true},
    {"POST", "/v1/me/life-events", EMP, true},
    {"GET", "/v1/elections", ADMIN, true},
    {"GET", "/v1/elections/{id}", ADMIN, true},
    {"POST", "/v1/elections/{id}/life-events", ADMIN, true},
    {"POST", "/v1/status-changes", ADMIN, true},
    {"GET", "/v1/exports/payroll.csv", ADMIN | FIN, true},
    {"GET", "/v1/exports/attach-list.csv", ADMIN, true},
    {"GET", "/v1/departments/{id}/summary", ADMIN | MGR, true},
    {"GET", "/v1/totals", ADMIN | FIN, true},
    {"POST", "/v1/reports/{id}", ADMIN | FIN | MGR, true},
};

unsigned dms_api_access_roles(const char *method, const char *pattern)
{
    for (size_t i = 0; i < sizeof access_table / sizeof access_table[0]; i++)
        if (strcmp(access_table[i].method, method) == 0 &&
            strcmp(access_table[i].pattern, pattern) == 0)
            return access_table[i].roles;
    return PRICING;
}

bool dms_api_access_employer(const char *method, const char *pattern)
{
    for (size_t i = 0; i < sizeof access_table / sizeof access_table[0]; i++)
        if (strcmp(access_table[i].method, method) == 0 &&
            strcmp(access_table[i].pattern, pattern) == 0)
            return access_table[i].employer;
    return false;
}

/* The key of "Bearer KEY" (scheme case-insensitive), or NULL. */
static const char *bearer(const char *header)
{
    if (header == NULL)
        return NULL;
    while (*header == ' ')
        header++;
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return header;
}

int dms_api_authenticate(const dms_api_request *req, struct dms_enrol_principal *out,
                         dms_error *err)
{
    dms_error_clear(err);
    const char *key = bearer(req->authorization);
    if (key == NULL)
        key = req->api_key;
    if (key == NULL || key[0] == '\0')
        return dms_error_set(err, DMS_EUNAUTH, NULL,
                             "an API key is required: send 'Authorization: Bearer KEY' "
                             "(create one with dmsrate keys create)");
    if (req->store == NULL)
        return dms_error_set(err, DMS_EUNAUTH, NULL,
                             "the service runs without --db, so no API key is known");
    char trimmed[DMS_ENROL_KEY_SIZE + 1];
    size_t len = strcspn(key, " \t\r\n");
    if (len >= sizeof trimmed)
        len = sizeof trimmed - 1;
    memcpy(trimmed, key, len);
    trimmed[len] = '\0';
    return dms_enrol_key_check(req->store, trimmed, out, err);
}
