/*
 * From the register of insured people to the membership history that
 * exposure (member-months) is computed from: the stretches of cover each
 * person had, walked from the history of accepted changes, so that claims
 * reports and experience rating work on stored data without a membership
 * upload. Suspensions are gaps in cover; a programme change splits a
 * stretch, so per-segment exposure follows the person.
 */
#include "register_internal.h"
#include "dms/exposure.h"

#include <stdlib.h>
#include <string.h>

typedef struct walk {
    dms_member *members;
    size_t n, cap;
    bool nomem;
} walk;

static void emit(walk *w, const dms_insured_person *p, const char *programme, long from, long to)
{
    if (to != DMS_EXPOSURE_OPEN && to < from)
        return; /* detached on the day of attaching: never covered */
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        dms_member *a = realloc(w->members, cap * sizeof *a);
        if (a == NULL) {
            w->nomem = true;
            return;
        }
        w->members = a;
        w->cap = cap;
    }
    w->members[w->n++] = (dms_member){.employee_id = p->employee_id,
                                      .policy_id = p->policy,
                                      .department = p->department,
                                      .segment = programme,
                                      .relation = p->relation,
                                      .sex = -1,
                                      .birth_day = p->birth_day,
                                      .attach_day = from,
                                      .detach_day = to,
                                      .line = 0};
}

static long open_end(long day)
{
    return day == DMS_INSURED_OPEN_END || day >= DMS_EXPOSURE_OPEN ? DMS_EXPOSURE_OPEN : day;
}

/* The snapshot alone: one stretch. */
static void from_snapshot(walk *w, const dms_insured_person *p)
{
    if (p->date_from == DMS_INSURED_NO_DATE)
        return;
    long to = open_end(p->date_to);
    if (p->status == DMS_INSURED_SUSPENDED && p->status_day != DMS_INSURED_NO_DATE)
        to = p->status_day - 1;
    emit(w, p, p->programme, p->date_from, to);
}

/* The history of one person (sorted by day, then entry order). */
static void from_history(walk *w, const dms_insured_person *p, const dms_insured_change *const *h,
                         size_t n)
{
    bool covered = false;
    long start = 0;
    const char *programme = p->programme;
    for (size_t i = 0; i < n; i++) {
        const dms_insured_change *c = h[i];
        long eff = c->effective_day;
        switch (c->action) {
        case DMS_INSURED_ATTACH:
            if (c->programme != NULL && c->programme[0] != '\0')
                programme = c->programme;
            if (!covered) {
                covered = true;
                start = eff;
            }
            break;
        case DMS_INSURED_DETACH:
        case DMS_INSURED_SUSPEND:
            if (covered)
                emit(w, p, programme, start, eff - 1);
            covered = false;
            break;
        case DMS_INSURED_CHANGE_PROGRAMME:
            if (covered && eff > start)
                emit(w, p, programme, start, eff - 1);
            if (covered)
                start = eff;
            if (c->programme != NULL && c->programme[0] != '\0')
                programme = c->programme;
            break;
        }
    }
    if (covered)
        emit(w, p, programme, start, DMS_EXPOSURE_OPEN);
}

/* qsort has no context in C11: history entries are sorted through an array
   of pointers, compared by policy text, day, then address (entry order). */
static int by_policy_day(const void *a, const void *b)
{
    const dms_insured_change *x = *(const dms_insured_change *const *)a;
    const dms_insured_change *y = *(const dms_insured_change *const *)b;
    int c = strcmp(x->policy, y->policy);
    if (c != 0)
        return c;
    if (x->effective_day != y->effective_day)
        return x->effective_day < y->effective_day ? -1 : 1;
    return x < y ? -1 : x > y;
}

int dms_insured_membership(const dms_insured_register *reg, const dms_insured_change *history,
                           size_t nhistory, struct dms_membership **out, size_t *skipped,
                           dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (skipped != NULL)
        *skipped = 0;
    if (reg == NULL || out == NULL || (history == NULL && nhistory > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_membership: NULL argument");
    const dms_insured_change **h = malloc((nhistory ? nhistory : 1) * sizeof *h);
    if (h == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    size_t nh = 0;
    for (size_t i = 0; i < nhistory; i++)
        if (history[i].policy != NULL && history[i].effective_day != DMS_INSURED_NO_DATE &&
            (unsigned)history[i].action <= DMS_INSURED_CHANGE_PROGRAMME)
            h[nh++] = &history[i];
    qsort(h, nh, sizeof *h, by_policy_day);
    walk w = {0};
    size_t left_out = 0;
    for (size_t i = 0; i < dms_insured_register_count(reg) && !w.nomem; i++) {
        const dms_insured_person *p = dms_insured_register_get(reg, i);
        if (p->birth_day == DMS_INSURED_NO_DATE) {
            left_out++;
            continue;
        }
        /* the first history entry of this policy (binary search) */
        size_t lo = 0, hi = nh;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(h[mid]->policy, p->policy) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < nh && strcmp(h[end]->policy, p->policy) == 0)
            end++;
        if (end > lo)
            from_history(&w, p, h + lo, end - lo);
        else
            from_snapshot(&w, p);
    }
    free(h);
    int status = DMS_OK;
    if (w.nomem)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    else if (dms_membership_build(w.members, w.n, out) != DMS_OK)
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory building the membership");
    free(w.members);
    if (status == DMS_OK && skipped != NULL)
        *skipped = left_out;
    return status;
}
