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

/* src/api/routes_tenants.c: employers and their keys. */
void dms_api_employers_list(const dms_api_request *req, const dms_api_hooks *hooks,
                            dms_api_response *resp);
void dms_api_employers_create(const dms_api_request *req, const dms_api_hooks *hooks,
                              dms_api_response *resp);
void dms_api_employer_show(const dms_api_request *req, const dms_api_hooks *hooks,
                           dms_api_response *resp);
void dms_api_keys_list(const dms_api_request *req, const dms_api_hooks *hooks,
                       dms_api_response *resp);
void dms_api_key_revoke(const dms_api_request *req, const dms_api_hooks *hooks,
                        dms_api_response *resp);

/* src/api/routes_register.c: the register of insured people. */
#define DMS_REGISTER_HANDLER(name)                                                                 \
    void name(const dms_api_request *req, const dms_api_hooks *hooks, dms_api_response *resp)
DMS_REGISTER_HANDLER(dms_api_register_list);
DMS_REGISTER_HANDLER(dms_api_register_person);
DMS_REGISTER_HANDLER(dms_api_register_changes);
DMS_REGISTER_HANDLER(dms_api_register_csv);
DMS_REGISTER_HANDLER(dms_api_register_xlsx);
DMS_REGISTER_HANDLER(dms_api_register_changes_csv);
DMS_REGISTER_HANDLER(dms_api_register_changes_xlsx);
DMS_REGISTER_HANDLER(dms_api_insured_csv);
DMS_REGISTER_HANDLER(dms_api_insured_xlsx);

/* src/api/routes_finance.c: payments and reconciliation. */
DMS_REGISTER_HANDLER(dms_api_finance_contract_get);
DMS_REGISTER_HANDLER(dms_api_finance_contract_put);
DMS_REGISTER_HANDLER(dms_api_finance_invoices);
DMS_REGISTER_HANDLER(dms_api_finance_issue);
DMS_REGISTER_HANDLER(dms_api_finance_payments);
DMS_REGISTER_HANDLER(dms_api_finance_pay);
DMS_REGISTER_HANDLER(dms_api_finance_accruals);
DMS_REGISTER_HANDLER(dms_api_finance_debts);
DMS_REGISTER_HANDLER(dms_api_finance_act_csv);
DMS_REGISTER_HANDLER(dms_api_finance_act_xlsx);

/*
 * src/api/routes_reimb.c: reimbursement requests and their documents. The list,
 * attach, documents and notifications handlers serve both the /v1/me/... route
 * and the employer one: the caller's role and key decide what each sees.
 */
DMS_REGISTER_HANDLER(dms_api_me_requests_create);
DMS_REGISTER_HANDLER(dms_api_requests_create);
DMS_REGISTER_HANDLER(dms_api_requests_list);
DMS_REGISTER_HANDLER(dms_api_requests_summary);
DMS_REGISTER_HANDLER(dms_api_request_show);
DMS_REGISTER_HANDLER(dms_api_request_attach);
DMS_REGISTER_HANDLER(dms_api_request_status);
DMS_REGISTER_HANDLER(dms_api_request_documents);
DMS_REGISTER_HANDLER(dms_api_requests_report);
DMS_REGISTER_HANDLER(dms_api_notifications);
DMS_REGISTER_HANDLER(dms_api_notifications_log);

#endif
