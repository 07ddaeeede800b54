/*
 * What the two halves of the register module share (register.c: the
 * snapshot, batches, checking, listing; register_template.c: reading and
 * writing the insurer's template): the batch's layout and the one way to
 * record an issue. Not part of the public API.
 */
#ifndef DMS_REGISTER_INTERNAL_H
#define DMS_REGISTER_INTERNAL_H

#include "dms/register.h"
#include "../io/csv_internal.h"

struct dms_insured_batch {
    csv_pool pool; /* every string of the changes */
    dms_insured_change *changes;
    size_t count, cap;
    dms_insured_issue *issues;
    size_t nissues, cap_issues, issues_total;
    /* Policies of rows that were refused while reading: later rows about the
       same person are checked against the rules but not against a state that
       the refused row would have changed (no cascade of follow-on faults). */
    struct reg_poison {
        const char *policy; /* interned in pool: compared by pointer */
        int line;
    } * poisoned;
    size_t npoisoned, cap_poisoned;
    bool xlsx; /* issues name the cell ("B12") */
};

/* Appends an issue to a list kept within DMS_INSURED_MAX_ISSUES (the total
   is always counted). false only when memory ran out. */
bool dms_register_issue_add(dms_insured_issue **issues, size_t *n, size_t *cap, size_t *total,
                            enum dms_insured_issue_code code, int line, int column,
                            enum dms_insured_field field, const char *ru, const char *en);

/* Interns text into the batch's pool and appends a change whose strings are
   already interned there. */
bool dms_register_batch_push(dms_insured_batch *b, const dms_insured_change *c);
bool dms_register_batch_poison(dms_insured_batch *b, const char *policy, size_t len, int line);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
long dms_register_days(int year, int month, int day);
void dms_register_civil(long days, int *year, int *month, int *day);

/* Folded text equality with a list of words (dms_text_fold). */
bool dms_register_word_in(const char *text, size_t len, const char *const *words);

#endif
