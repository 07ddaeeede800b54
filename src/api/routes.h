/*
 * Handlers of routes that live outside router.c, one file per area; the
 * route table in router.c points at them. Private to src/api.
 */
#ifndef DMS_API_ROUTES_H
#define DMS_API_ROUTES_H

#include "dms/api.h"

/* src/api/routes_budget.c: HR budget modelling and the bank add-on. */
void dms_api_handle_budgets(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp);
void dms_api_handle_compare(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp);
void dms_api_handle_funding(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp);
void dms_api_handle_crisis(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp);
void dms_api_handle_bank_price(const dms_api_request *req, const dms_api_hooks *hooks,
                               dms_api_response *resp);
void dms_api_handle_bank_projection(const dms_api_request *req, const dms_api_hooks *hooks,
                                    dms_api_response *resp);

/* src/api/routes_reports.c: claims reports (hr, finance; managers: own department). */
void dms_api_handle_report(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp);

#endif
