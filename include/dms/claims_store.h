/*
 * The claims register in the SQLite store, per employer and policy year,
 * beside the elections. Importing is idempotent: a file whose SHA-256 was
 * already imported for the same employer and year changes nothing, and every
 * line has a unique key (claim id, occurrence of the claim id in the file),
 * so a corrected re-send of the same claims replaces the lines instead of
 * counting them twice. Only the register's own fields are stored: the parser
 * never hands over diagnoses or names, and the schema has no column for
 * them. One dms_claims_store is one connection; use one per thread.
 */
#ifndef DMS_CLAIMS_STORE_H
#define DMS_CLAIMS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dms/claims.h"
#include "dms/error.h"

typedef struct dms_claims_store dms_claims_store;

/* What an import did. */
typedef struct dms_claims_import_result {
    int64_t import_id;    /* row of claims_import; the earlier one when already imported */
    int already_imported; /* 1 when the same file was imported before: nothing changed */
    size_t lines;         /* lines in the register */
    size_t inserted;      /* new line keys */
    size_t replaced;      /* line keys that existed and were overwritten */
    char sha256[65];      /* of the file bytes, lower-case hex */
} dms_claims_import_result;

/*
 * Opens the database at path (creating it and applying every migration of
 * store.h, including the claims tables). Errors as dms_store_open.
 */
int dms_claims_store_open(const char *path, dms_claims_store **out /* OUT */, dms_error *err);
void dms_claims_store_close(dms_claims_store *cs);

/*
 * Imports reg, parsed from the bytes file[0..file_len) (hashed for the
 * idempotence check), for employer and policy_year, in one transaction.
 * DMS_EINVAL for an empty employer or a year outside 2000..2100.
 */
int dms_claims_store_import(dms_claims_store *cs, const char *employer, int policy_year,
                            const char *file_name, const void *file, size_t file_len,
                            const dms_register *reg, dms_claims_import_result *result /* OUT */,
                            dms_error *err);

/* Loads every stored line of employer and policy_year into a new register
 * (ordered by service date, claim id, occurrence). An empty register when
 * nothing is stored. */
int dms_claims_store_load(dms_claims_store *cs, const char *employer, int policy_year,
                          dms_register **out /* OUT */, dms_error *err);


#endif
