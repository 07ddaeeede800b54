/*
 * Tenants of the service and the keys that reach them. An employer (a
 * corporate client of the insurer) is a tenant: its policy, census,
 * elections and register of insured people are stored under its id and
 * read through a connection bound to it (dms_store_tenant_set). A key
 * belongs to one scope: an employee, hr, manager or finance key to one
 * employer; a broker key to a list of employers; an insurer key to every
 * employer. Keys expire, record when they were last used, and are revoked
 * or rotated; every creation, revocation and rotation is written to the
 * audit log (who, when, what).
 */
#ifndef DMS_TENANT_STORE_H
#define DMS_TENANT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/enrol_store.h"
#include "dms/error.h"
#include "dms/store.h"

#define DMS_TENANT_NAME_MAX 256
#define DMS_TENANT_INN_MAX 16
#define DMS_TENANT_TIME_MAX 40
/* Employers one broker key may be bound to. */
#define DMS_TENANT_KEY_EMPLOYERS_MAX 64

/* ---- employers ------------------------------------------------------------- */

typedef struct dms_tenant_employer {
    long id;
    char name[DMS_TENANT_NAME_MAX];
    char inn[DMS_TENANT_INN_MAX]; /* "" if not given */
    char created_at[DMS_TENANT_TIME_MAX];
} dms_tenant_employer;

/*
 * Creates an employer named name (required) with an optional INN (10 or 12
 * digits; NULL or "" for none) and writes its id into *id. The creation is
 * audited under actor. DMS_EINVAL at /name or /inn for bad values.
 */
int dms_tenant_employer_create(dms_store *store, const char *name, const char *inn,
                               const char *actor, long *id, dms_error *err);

/* One employer by id; DMS_ENOTFOUND if absent. */
int dms_tenant_employer_get(dms_store *store, long id, dms_tenant_employer *out, dms_error *err);

/*
 * Employers by id into a malloc'd array (*out, free it) of *n: all of them
 * when key_id is 0, else those a broker key is bound to.
 */
int dms_tenant_employer_list(dms_store *store, long key_id, dms_tenant_employer **out, size_t *n,
                             dms_error *err);

/*
 * Employer 1, the one a database of a single employer uses when no
 * --employer is given; created (named "Работодатель 1") if absent.
 */
int dms_tenant_employer_default(dms_store *store, long *id, dms_error *err);

/* ---- keys ------------------------------------------------------------------ */

/* What a new key may reach. */
typedef struct dms_tenant_key_spec {
    enum dms_role role;
    long employer;         /* employee, hr, manager, finance: required */
    const long *employers; /* broker: the employers it serves (n_employers) */
    size_t n_employers;
    const char *employee_id; /* employee keys */
    const char *department;  /* manager keys */
    int expires_days;        /* 0: never */
    const char *actor;       /* who creates it, for the audit log ("cli", "key 3 (hr)") */
} dms_tenant_key_spec;

/*
 * Creates a key for spec, stores its SHA-256 and writes the key text into
 * key (shown once). *id (may be NULL) receives its number. DMS_EINVAL at
 * /employer, /employee_id or /department for a missing or wrong scope;
 * DMS_ENOTFOUND at /employer for an employer that does not exist.
 */
int dms_tenant_key_create(dms_store *store, const dms_tenant_key_spec *spec,
                          char key[DMS_ENROL_KEY_SIZE], long *id, dms_error *err);

/* A stored key as listed (never the key itself). */
typedef struct dms_tenant_key {
    long id;
    char prefix[16]; /* the first 12 characters, to recognise it */
    enum dms_role role;
    long employer;       /* 0 for broker and insurer keys */
    char employers[256]; /* broker: "1,4,7" */
    char employee_id[DMS_ENROL_ID_MAX];
    char department[DMS_ENROL_TEXT_MAX];
    char created_at[DMS_TENANT_TIME_MAX];
    char created_by[DMS_ENROL_ID_MAX + 32];
    char expires_at[DMS_TENANT_TIME_MAX];   /* "" never */
    char last_used_at[DMS_TENANT_TIME_MAX]; /* "" never used */
    char revoked_at[DMS_TENANT_TIME_MAX];   /* "" active */
} dms_tenant_key;

/*
 * Keys, newest last, into a malloc'd array: all when employer is 0, else the
 * keys of that employer (its employee, hr, manager and finance keys).
 */
int dms_tenant_key_list(dms_store *store, long employer, dms_tenant_key **out, size_t *n,
                        dms_error *err);

/* One key by id; DMS_ENOTFOUND if absent. */
int dms_tenant_key_get(dms_store *store, long id, dms_tenant_key *out, dms_error *err);

/*
 * Revokes key id (audited under actor). DMS_ENOTFOUND if absent,
 * DMS_ECONFLICT if already revoked.
 */
int dms_tenant_key_revoke(dms_store *store, long id, const char *actor, dms_error *err);

/*
 * Replaces key id by a new key with the same scope and expiry period and
 * revokes the old one, in one transaction (audited under actor). The new
 * key text goes to key, its number to *new_id (may be NULL).
 */
int dms_tenant_key_rotate(dms_store *store, long id, const char *actor,
                          char key[DMS_ENROL_KEY_SIZE], long *new_id, dms_error *err);

/*
 * Whether who may act for employer: its own employer for tenant roles, the
 * bound list for a broker, any existing employer for an insurer. False for
 * an employer that does not exist.
 */
bool dms_tenant_key_allows(dms_store *store, const dms_enrol_principal *who, long employer);

/*
 * The employer a broker key is bound to when it is bound to exactly one,
 * else 0.
 */
long dms_tenant_key_single_employer(dms_store *store, long key_id);

#endif
