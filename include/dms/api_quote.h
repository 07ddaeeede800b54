/*
 * The /v1/quotes request: decoding its body into a plan and a census, and
 * the response body (the quote report the CLI prints with --format json,
 * plus the warnings). Transport-free, so it is unit-tested and fuzzed
 * without a server.
 */
#ifndef DMS_API_QUOTE_H
#define DMS_API_QUOTE_H

#include <stdbool.h>

#include <jansson.h>

#include "dms/census.h"
#include "dms/plan.h"
#include "dms/quote.h"
#include "dms/report.h"

typedef struct dms_api_quote_request {
    char tariff[64];    /* catalog id, "" for the default */
    char model[64];     /* catalog id, "" for the tariff's model */
    bool percentiles;   /* default true */
    dms_plan *plan;     /* owned */
    dms_census *census; /* owned */
} dms_api_quote_request;

/*
 * Decodes {"plan": {...}, "census": [...] | "census_csv": "...",
 * "scenarios": {...}, "tariff": "id", "model": "id", "percentiles": bool}.
 * DMS_EPARSE for malformed JSON (line, column), DMS_EINVAL at the JSON
 * Pointer of a bad value (census faults: /census/3/birth_date, or
 * /census_csv with the line and column inside the CSV text). On success the
 * request owns a plan and a census: free with dms_api_quote_request_free.
 */
int dms_api_decode_quote(const char *body, size_t len, dms_api_quote_request *req, dms_error *err);
void dms_api_quote_request_free(dms_api_quote_request *req);

/*
 * The census of a request body, from member "census" (JSON people) or
 * "census_csv" (CSV text) of the current object of r — exactly one of them.
 * Faults: /census/3/birth_date, or /census_csv with line and column.
 * Shared by every route that takes a census.
 */
struct dms_jsonread;
int dms_api_decode_census(struct dms_jsonread *r, dms_census **out, dms_error *err);

/*
 * The warnings in Russian, each "path: message" as in "warnings": the member
 * "warnings_ru" that dms_api_response_localize swaps in for Russian readers.
 */
json_t *dms_api_warnings_ru(const dms_diag *warnings);

/* The response body: dms_report_quote plus "warnings" (strings). */
json_t *dms_api_quote_response(const dms_quote *quote, const dms_diag *warnings, dms_error *err);

#endif
