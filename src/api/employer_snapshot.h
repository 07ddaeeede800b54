/*
 * The employer in force, as an immutable, reference-counted snapshot: the
 * parsed policy and census of an employer's latest import. Picker requests
 * share it instead of parsing the stored policy JSON and census CSV each
 * time; an import (by the API or the CLI) gives a new import id, and the
 * next request that sees it swaps a new snapshot in atomically, the way the
 * catalog is swapped on reload. A request keeps the snapshot it acquired,
 * whole, until it releases it.
 */
#ifndef DMS_API_EMPLOYER_SNAPSHOT_H
#define DMS_API_EMPLOYER_SNAPSHOT_H

#include "dms/census.h"
#include "dms/error.h"
#include "dms/picker.h"
#include "dms/policy.h"
#include "dms/store.h"

typedef struct dms_api_employer {
    long tenant;    /* the store's employer scope */
    long import_id; /* the import it was parsed from */
    const dms_policy *policy;
    const dms_census *census;
} dms_api_employer;

/*
 * The snapshot of the connection's employer at its latest import: reused
 * when the import id is unchanged, else parsed and swapped in. Release it
 * with dms_api_employer_release. DMS_ENOTFOUND before any import.
 */
int dms_api_employer_acquire(dms_store *store, const dms_api_employer **out, dms_error *err);
void dms_api_employer_release(const dms_api_employer *employer);

/*
 * Offers priced on this snapshot, kept per employee and catalog generation
 * (an offer is a function of the policy, census, employee, tariff and
 * model, and a catalog generation fixes the last two): get copies a kept
 * one into *out (false if none), keep stores a copy (silently nothing
 * without memory). Thread-safe; the snapshot stays immutable to readers.
 */
bool dms_api_employer_offer_get(const dms_api_employer *employer, unsigned long generation,
                                const char *employee_id, dms_offer *out);
void dms_api_employer_offer_keep(const dms_api_employer *employer, unsigned long generation,
                                 const char *employee_id, const dms_offer *offer);

/*
 * The out-of-pocket table (dms_picker_oop) of an employee's kept offer, so
 * that drafts and recommendations do not compute the aggregate distributions
 * again. get gives the one kept for this generation (NULL if none); keep
 * keeps oop with the employee's offer of that generation and gives the
 * table kept: oop, or one another request kept first (oop is then freed);
 * NULL if that offer is not kept, and oop stays the caller's.
 * A table given is immutable and lives as long as the snapshot: the
 * caller's reference keeps it.
 */
const dms_picker_oop *dms_api_employer_oop_get(const dms_api_employer *employer,
                                               unsigned long generation, const char *employee_id);
const dms_picker_oop *dms_api_employer_oop_keep(const dms_api_employer *employer,
                                                unsigned long generation, const char *employee_id,
                                                dms_picker_oop *oop);

/*
 * The offer as the API shows it (its JSON text), kept with the employee's
 * offer of that generation, so the offer route does not build and dump the
 * same document again: get gives a malloc'd copy in *text and its length
 * (false if none is kept, or without memory); keep stores a copy of text
 * (nothing if that offer is not kept, or one text already is).
 */
bool dms_api_employer_text_get(const dms_api_employer *employer, unsigned long generation,
                               const char *employee_id, char **text, size_t *len);
void dms_api_employer_text_keep(const dms_api_employer *employer, unsigned long generation,
                                const char *employee_id, const char *text, size_t len);

/* Drops every kept snapshot (those still held live on until released). */
void dms_api_employer_forget_all(void);

#endif
