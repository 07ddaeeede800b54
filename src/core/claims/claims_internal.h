/*
 * Shared by the claims-experience readers (claims_csv.c for the register,
 * exposure.c for the membership history): the field parsers for money and
 * dates. Both read their CSV with the shared tokenizer and intern values in
 * the shared pool of csv_internal.h. Not part of the public API.
 */
#ifndef DMS_CLAIMS_INTERNAL_H
#define DMS_CLAIMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/diag.h"

/*
 * Money "12 345,67" / "12345.67" / "1 000" into kopecks. comma_ok allows ','
 * as decimal mark. false with a message on a fault (negative, too many
 * decimals, not a number, absurdly large).
 */
bool dms_claims_parse_money(const char *t, size_t len, bool comma_ok, int64_t *kopecks, char *msg,
                            size_t msize);

/* A date YYYY-MM-DD or DD.MM.YYYY (census rules) into days since 1970-01-01. */
bool dms_claims_parse_date(const char *t, size_t len, long *days, char *msg, size_t msize);

#endif
