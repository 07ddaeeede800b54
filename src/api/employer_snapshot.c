/*
 * Employer snapshots (see employer_snapshot.h). A small table keeps one
 * snapshot per tenant. A snapshot is first found current by reading the
 * latest import row and comparing its stored texts with the snapshot's,
 * byte for byte (comparing the texts and not only the import id keeps two
 * databases, or one recreated, from ever sharing a snapshot); after that a
 * thread knows it by the import's number and stamp on its store connection
 * and reads only those two columns (see seen). The table's lock is held
 * only to look up and swap, never while parsing: two requests that both
 * find a stale snapshot may both parse it, and the second swap simply
 * replaces the first. Each snapshot also keeps the offers priced on it and
 * their out-of-pocket tables, per employee and catalog generation.
 */
#include "employer_snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/enrol_store.h"

/* Tenants kept at once; beyond that the least recently used one goes. */
#define SNAPSHOT_SLOTS 64

typedef struct snapshot {
    dms_api_employer pub; /* first: the public view is the snapshot */
    dms_policy *policy;
    dms_census *census;
    char *policy_json, *census_csv; /* the stored texts it was parsed from */
    atomic_long refs;
    unsigned long serial; /* never reused: what a thread remembers (seen) */
    /* Offers priced on it (open addressing by employee id). */
    pthread_mutex_t offers_lock;
    struct kept_offer *offers;
    size_t offer_slots, noffers;
    struct retired *retired;
} snapshot;

struct kept_offer {
    char *employee_id; /* owned; NULL: free slot */
    unsigned long generation;
    dms_offer *offer;    /* owned */
    dms_picker_oop *oop; /* owned; NULL until a draft needs it */
    char *text;          /* owned: the offer's JSON; NULL until shown */
    size_t text_len;
};

/* Out-of-pocket tables of offers replaced by a newer catalog generation. */
struct retired {
    dms_picker_oop *oop;
    struct retired *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot *table[SNAPSHOT_SLOTS];
static unsigned long used_at[SNAPSHOT_SLOTS];
static unsigned long clock_tick;
static unsigned long last_serial;

/*
 * What this thread last checked byte for byte: the import (number and
 * stamp) of a store connection, and the serial of the snapshot whose texts
 * matched it. A connection reads one database, whose import rows never
 * change (a new import has a new number and stamp), so while the stamp
 * read now is the one seen, the texts are the ones compared then: the
 * request reads two columns of one row instead of the policy and census.
 * The serial, not a pointer, is kept: the snapshot may be gone since, and
 * is then simply not found in the table.
 */
static _Thread_local struct {
    const dms_store *store;
    long tenant, import_id;
    char stamp[64];
    unsigned long serial;
} seen;

static void snapshot_unref(snapshot *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
        dms_policy_free(s->policy);
        dms_census_free(s->census);
        free(s->policy_json);
        free(s->census_csv);
        for (size_t i = 0; i < s->offer_slots; i++) {
            free(s->offers[i].employee_id);
            free(s->offers[i].offer);
            dms_picker_oop_free(s->offers[i].oop);
            free(s->offers[i].text);
        }
        free(s->offers);
        while (s->retired != NULL) {
            struct retired *next = s->retired->next;
            dms_picker_oop_free(s->retired->oop);
            free(s->retired);
            s->retired = next;
        }
        pthread_mutex_destroy(&s->offers_lock);
        free(s);
    }
}

void dms_api_employer_release(const dms_api_employer *employer)
{
    snapshot_unref((snapshot *)(void *)employer);
}

void dms_api_employer_forget_all(void)
{
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < SNAPSHOT_SLOTS; i++) {
        snapshot_unref(table[i]);
        table[i] = NULL;
    }
    pthread_mutex_unlock(&table_lock);
}

/* The kept snapshot of (tenant, import_id, texts) with a reference for the caller. */
static snapshot *lookup(long tenant, long import_id, const char *policy_json,
                        const char *census_csv)
{
    snapshot *found = NULL;
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < SNAPSHOT_SLOTS; i++)
        if (table[i] != NULL && table[i]->pub.tenant == tenant &&
            table[i]->pub.import_id == import_id &&
            strcmp(table[i]->policy_json, policy_json) == 0 &&
            strcmp(table[i]->census_csv, census_csv) == 0) {
            found = table[i];
            atomic_fetch_add(&found->refs, 1);
            used_at[i] = ++clock_tick;
            break;
        }
    pthread_mutex_unlock(&table_lock);
    return found;
}

/* The kept snapshot with this serial, with a reference for the caller. */
static snapshot *lookup_serial(unsigned long serial)
{
    snapshot *found = NULL;
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < SNAPSHOT_SLOTS && found == NULL; i++)
        if (table[i] != NULL && table[i]->serial == serial) {
            found = table[i];
            atomic_fetch_add(&found->refs, 1);
            used_at[i] = ++clock_tick;
        }
    pthread_mutex_unlock(&table_lock);
    return found;
}

/* Puts s in its tenant's slot (or the least recently used one). */
static void swap_in(snapshot *s)
{
    snapshot *old = NULL;
    pthread_mutex_lock(&table_lock);
    size_t slot = SNAPSHOT_SLOTS;
    for (size_t i = 0; i < SNAPSHOT_SLOTS && slot == SNAPSHOT_SLOTS; i++)
        if (table[i] != NULL && table[i]->pub.tenant == s->pub.tenant)
            slot = i;
    for (size_t i = 0; i < SNAPSHOT_SLOTS && slot == SNAPSHOT_SLOTS; i++)
        if (table[i] == NULL)
            slot = i;
    if (slot == SNAPSHOT_SLOTS) {
        slot = 0;
        for (size_t i = 1; i < SNAPSHOT_SLOTS; i++)
            if (used_at[i] < used_at[slot])
                slot = i;
    }
    old = table[slot];
    /* A newer import already swapped in by another request stays. */
    if (old != NULL && old->pub.tenant == s->pub.tenant && old->pub.import_id > s->pub.import_id) {
        pthread_mutex_unlock(&table_lock);
        return;
    }
    atomic_fetch_add(&s->refs, 1); /* the table's reference */
    table[slot] = s;
    used_at[slot] = ++clock_tick;
    pthread_mutex_unlock(&table_lock);
    snapshot_unref(old);
}

static void seen_set(const dms_store *store, long tenant, long import_id, const char *stamp,
                     unsigned long serial)
{
    seen.store = store;
    seen.tenant = tenant;
    seen.import_id = import_id;
    snprintf(seen.stamp, sizeof seen.stamp, "%s", stamp);
    seen.serial = serial;
}

int dms_api_employer_acquire(dms_store *store, const dms_api_employer **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    long stamped = 0, import_id = 0;
    char stamp[sizeof seen.stamp];
    int status = dms_enrol_employer_stamp(store, &stamped, stamp, sizeof stamp, err);
    if (status != DMS_OK)
        return status;
    long tenant = dms_store_tenant(store);
    snapshot *s = NULL;
    if (seen.store == store && seen.tenant == tenant && seen.import_id == stamped &&
        strcmp(seen.stamp, stamp) == 0 && (s = lookup_serial(seen.serial)) != NULL) {
        *out = &s->pub;
        return DMS_OK;
    }
    char *policy_json = NULL, *census_csv = NULL;
    if ((status = dms_enrol_employer_get(store, &import_id, &policy_json, &census_csv, err)) !=
        DMS_OK)
        return status;
    /* The texts belong to the stamp read unless an import came in between. */
    bool remember = import_id == stamped;
    s = lookup(tenant, import_id, policy_json, census_csv);
    if (s != NULL) {
        free(policy_json);
        free(census_csv);
        if (remember)
            seen_set(store, tenant, import_id, stamp, s->serial);
        *out = &s->pub;
        return DMS_OK;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        free(policy_json);
        free(census_csv);
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the employer");
    }
    s->policy_json = policy_json;
    s->census_csv = census_csv;
    s->pub.tenant = tenant;
    s->pub.import_id = import_id;
    atomic_init(&s->refs, 1); /* the caller's */
    pthread_mutex_lock(&table_lock);
    s->serial = ++last_serial;
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_init(&s->offers_lock, NULL);
    if ((status = dms_enrol_context_parse(policy_json, census_csv, &s->policy, &s->census, err)) !=
        DMS_OK) {
        snapshot_unref(s);
        return status;
    }
    s->pub.policy = s->policy;
    s->pub.census = s->census;
    swap_in(s);
    if (remember)
        seen_set(store, tenant, import_id, stamp, s->serial);
    *out = &s->pub;
    return DMS_OK;
}

static size_t id_hash(const char *id, size_t slots)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h & (slots - 1));
}

/* The slot of employee_id (its own or the free one it would take); the
 * caller holds the lock and the table exists. */
static struct kept_offer *offer_slot(snapshot *s, const char *employee_id)
{
    size_t h = id_hash(employee_id, s->offer_slots);
    while (s->offers[h].employee_id != NULL && strcmp(s->offers[h].employee_id, employee_id) != 0)
        h = (h + 1) & (s->offer_slots - 1);
    return &s->offers[h];
}

bool dms_api_employer_offer_get(const dms_api_employer *employer, unsigned long generation,
                                const char *employee_id, dms_offer *out)
{
    snapshot *s = (snapshot *)(void *)employer;
    bool found = false;
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers != NULL) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id != NULL && k->generation == generation) {
            *out = *k->offer;
            found = true;
        }
    }
    pthread_mutex_unlock(&s->offers_lock);
    return found;
}

void dms_api_employer_offer_keep(const dms_api_employer *employer, unsigned long generation,
                                 const char *employee_id, const dms_offer *offer)
{
    snapshot *s = (snapshot *)(void *)employer;
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers == NULL) {
        /* Room for every employee at most half full: it never needs to grow. */
        size_t slots = 16;
        while (slots < 2 * (s->census->employees + 1))
            slots <<= 1;
        if ((s->offers = calloc(slots, sizeof *s->offers)) != NULL)
            s->offer_slots = slots;
    }
    if (s->offers != NULL && 2 * (s->noffers + 1) <= s->offer_slots) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id == NULL) {
            dms_offer *copy = malloc(sizeof *copy);
            char *id = strdup(employee_id);
            if (copy != NULL && id != NULL) {
                *copy = *offer;
                k->employee_id = id;
                k->offer = copy;
                k->generation = generation;
                s->noffers++;
            } else {
                free(copy);
                free(id);
            }
        } else if (k->generation != generation) {
            /* A newer catalog generation. The old offer's table may still be
             * read by a request holding this snapshot: it is retired, freed
             * with the snapshot (without memory for that, the old offer stays). */
            struct retired *r = k->oop != NULL ? malloc(sizeof *r) : NULL;
            if (k->oop == NULL || r != NULL) {
                if (r != NULL) {
                    r->oop = k->oop;
                    r->next = s->retired;
                    s->retired = r;
                    k->oop = NULL;
                }
                *k->offer = *offer;
                k->generation = generation;
                free(k->text); /* copied out by its readers, never lent */
                k->text = NULL;
            }
        }
    }
    pthread_mutex_unlock(&s->offers_lock);
}

const dms_picker_oop *dms_api_employer_oop_get(const dms_api_employer *employer,
                                               unsigned long generation, const char *employee_id)
{
    snapshot *s = (snapshot *)(void *)employer;
    const dms_picker_oop *found = NULL;
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers != NULL) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id != NULL && k->generation == generation)
            found = k->oop;
    }
    pthread_mutex_unlock(&s->offers_lock);
    return found;
}

const dms_picker_oop *dms_api_employer_oop_keep(const dms_api_employer *employer,
                                                unsigned long generation, const char *employee_id,
                                                dms_picker_oop *oop)
{
    snapshot *s = (snapshot *)(void *)employer;
    const dms_picker_oop *kept = NULL;
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers != NULL) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id != NULL && k->generation == generation) {
            if (k->oop == NULL) {
                k->oop = oop;
                oop = NULL;
            }
            kept = k->oop; /* another request's, if it was first */
        }
    }
    pthread_mutex_unlock(&s->offers_lock);
    if (kept != NULL)
        dms_picker_oop_free(oop); /* NULL if taken */
    return kept;
}

bool dms_api_employer_text_get(const dms_api_employer *employer, unsigned long generation,
                               const char *employee_id, char **text, size_t *len)
{
    snapshot *s = (snapshot *)(void *)employer;
    *text = NULL;
    *len = 0;
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers != NULL) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id != NULL && k->generation == generation && k->text != NULL &&
            (*text = malloc(k->text_len + 1)) != NULL) {
            memcpy(*text, k->text, k->text_len + 1);
            *len = k->text_len;
        }
    }
    pthread_mutex_unlock(&s->offers_lock);
    return *text != NULL;
}

void dms_api_employer_text_keep(const dms_api_employer *employer, unsigned long generation,
                                const char *employee_id, const char *text, size_t len)
{
    snapshot *s = (snapshot *)(void *)employer;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&s->offers_lock);
    if (s->offers != NULL) {
        struct kept_offer *k = offer_slot(s, employee_id);
        if (k->employee_id != NULL && k->generation == generation && k->text == NULL) {
            k->text = copy;
            k->text_len = len;
            copy = NULL;
        }
    }
    pthread_mutex_unlock(&s->offers_lock);
    free(copy);
}
