/*
 * Progress reporting (include/dms/progress.h): maps a part's own fraction
 * onto the whole, keeps what is reported monotone, and thins the calls so
 * that a loop over a million rows costs a comparison per row.
 */
#include <stdbool.h>
#include <stddef.h>

#include "dms/progress.h"

/* Reports no more often than this step of the whole (stage changes and the
 * end always go through). */
#define PROGRESS_STEP 0.005

dms_progress dms_progress_make(dms_progress_fn fn, void *user)
{
    return (dms_progress){.fn = fn, .user = user, .from = 0, .to = 1, .last = -1, .stage = ""};
}

static void emit(dms_progress *p, double whole, const char *stage, bool force)
{
    if (whole > 1)
        whole = 1;
    if (whole < p->last)
        whole = p->last < 0 ? 0 : p->last;
    if (!force && whole - p->last < PROGRESS_STEP)
        return;
    p->last = whole;
    p->fn(p->user, whole, stage);
}

void dms_progress_part(dms_progress *p, double from, double to, const char *stage)
{
    if (p == NULL || p->fn == NULL)
        return;
    p->from = from < 0 ? 0 : from;
    p->to = to > 1 ? 1 : to < p->from ? p->from : to;
    p->stage = stage != NULL ? stage : "";
    emit(p, p->from, p->stage, true);
}

void dms_progress_step(dms_progress *p, double done, double total)
{
    if (p == NULL || p->fn == NULL || !(total > 0))
        return;
    double f = done / total;
    f = f > 0 ? (f < 1 ? f : 1) : 0; /* NaN becomes 0 */
    /* the end of a part always goes through, so the bar meets each stage's end */
    emit(p, p->from + (p->to - p->from) * f, p->stage, f == 1 && p->last < p->to);
}

void dms_progress_finish(dms_progress *p)
{
    if (p == NULL || p->fn == NULL)
        return;
    emit(p, 1, "done", p->last < 1);
}
