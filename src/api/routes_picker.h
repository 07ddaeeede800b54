/*
 * Handlers of the employee module picker routes (routes_picker.c) and the
 * access table of auth.c. Private to src/api; the route table in router.c
 * points at the handlers.
 */
#ifndef DMS_API_ROUTES_PICKER_H
#define DMS_API_ROUTES_PICKER_H

#include "dms/api.h"

/* Roles allowed on method + pattern (auth.c); pricing roles if unlisted. */
unsigned dms_api_access_roles(const char *method, const char *pattern);
/* True if the route acts on one employer's data (auth.c); false if unlisted. */
bool dms_api_access_employer(const char *method, const char *pattern);

#define DMS_PICKER_HANDLER(name)                                                                   \
    void name(const dms_api_request *req, const dms_api_hooks *hooks, dms_api_response *resp)

DMS_PICKER_HANDLER(dms_api_employer_get);
DMS_PICKER_HANDLER(dms_api_employer_import);
DMS_PICKER_HANDLER(dms_api_me_offer);
DMS_PICKER_HANDLER(dms_api_me_recommendation);
DMS_PICKER_HANDLER(dms_api_me_sets);
DMS_PICKER_HANDLER(dms_api_me_election_get);
DMS_PICKER_HANDLER(dms_api_me_election_put);
DMS_PICKER_HANDLER(dms_api_me_election_submit);
DMS_PICKER_HANDLER(dms_api_me_election_history);
DMS_PICKER_HANDLER(dms_api_me_life_event);
DMS_PICKER_HANDLER(dms_api_elections_list);
DMS_PICKER_HANDLER(dms_api_election_show);
DMS_PICKER_HANDLER(dms_api_election_life_event);
DMS_PICKER_HANDLER(dms_api_status_changes);
DMS_PICKER_HANDLER(dms_api_export_payroll);
DMS_PICKER_HANDLER(dms_api_export_attach);
DMS_PICKER_HANDLER(dms_api_department_summary);
DMS_PICKER_HANDLER(dms_api_totals);

#endif
