/*
 * Exposure from the membership history: who was insured when. HR's census
 * says who is insured today; experience rating needs every attach
 * (Дата прикрепления) and detach (Дата открепления) date of the policy year
 * to turn claims into rates per member-year. This module reads that history
 * from CSV (the census columns plus the two dates and an optional policy
 * number), reports every bad row at source:line:column, and computes
 * member-months: each calendar month contributes the share of its days a
 * person was attached, so a full year is 12.0 and a member attached from
 * 16 April to 31 December of a non-leap year contributes 8.5. Claims are
 * matched to members by policy number, else by employee_id, relation and
 * birth date. A membership is immutable once built.
 */
#ifndef DMS_EXPOSURE_H
#define DMS_EXPOSURE_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/census.h"
#include "dms/claims.h"
#include "dms/diag.h"

/* Detach day of a member still attached. */
#define DMS_EXPOSURE_OPEN 2147483647L

typedef struct dms_member {
    const char *employee_id; /* never "" */
    const char *policy_id;   /* "" if none */
    const char *department;  /* "" if none */
    const char *segment;     /* "" if none */
    enum dms_relation relation;
    int sex;         /* enum dms_sex, or -1 when the column is absent */
    long birth_day;  /* days since 1970-01-01 */
    long attach_day; /* first day covered */
    long detach_day; /* last day covered (inclusive); DMS_EXPOSURE_OPEN if still attached */
    int line;        /* CSV line, 0 if built by hand */
} dms_member;

typedef struct dms_membership_index dms_membership_index;

typedef struct dms_membership {
    size_t count;
    dms_member *members;         /* input order; a person may have several periods */
    dms_membership_index *index; /* private */
} dms_membership;

/*
 * Parses a membership history CSV (same rules as the census: BOM, ';' or
 * ',', RFC 4180, English or Russian headers). Columns: employee_id
 * (Табельный номер), relation (Связь), birth_date (Дата рождения),
 * attach_date (Дата прикрепления) required; detach_date (Дата открепления,
 * empty = still attached), sex (Пол), department (Подразделение), segment
 * (Сегмент), policy_id (Номер полиса) optional. A detach date before the
 * attach date is an error at the detach column. On success *out is new
 * (dms_membership_free); on faults every one is in diag, *out NULL and
 * DMS_EPARSE.
 */
int dms_membership_parse_csv(const char *text, size_t len, const char *source_name,
                             dms_membership **out /* OUT */, dms_diag *diag);
int dms_membership_load_file(const char *path, dms_membership **out /* OUT */, dms_diag *diag);

/* Builds a membership from members given by hand (strings copied). */
int dms_membership_build(const dms_member *members, size_t count, dms_membership **out /* OUT */);

/* Frees a membership. NULL is a no-op. */
void dms_membership_free(dms_membership *m);

/*
 * Member-months of one member inside the window [from, to] (inclusive day
 * numbers): the sum over calendar months of covered days / days in month.
 * 0 when the periods do not overlap or to < from.
 */
double dms_exposure_member_months(const dms_member *member, long from, long to);

/* Sum of dms_exposure_member_months over members for which keep(member,
 * ctx) is true (keep NULL: all). */
double dms_exposure_total(const dms_membership *m, long from, long to,
                          bool (*keep)(const dms_member *, void *), void *ctx);

/* Whether member is attached on day. */
bool dms_exposure_attached(const dms_member *member, long day);

/*
 * The member a claim line belongs to: by policy number when both have one,
 * else by employee_id + relation (+ birth date when the line has one). When a
 * person has several periods, the one covering the service day is preferred.
 * Returns the index into m->members or -1 when nobody matches.
 */
long dms_membership_match(const dms_membership *m, const dms_claim_line *line);

/* A stable key of the person of member (several periods share it). */
const char *dms_member_person_key(const dms_member *member, char *buf, size_t size);

#endif
