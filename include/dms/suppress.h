/*
 * Small-cell suppression, the one rule for every table HR, finance and
 * managers see (the claims reports, the manager's department summary).
 *
 * Primary suppression hides a count of 1 .. min_cell - 1 people and the
 * figures resting on them. Complementary suppression then hides more, so
 * that no hidden value can be recomputed from the visible ones: the caller
 * declares the table's additive relations (a total and its parts: a row
 * total, a column of segments and their "all" row, a grand total the
 * reader can work out otherwise) and the derived figures (a rate hidden
 * with its numerator), and dms_suppress_complete hides, for every relation
 * left with exactly one hidden cell, a second one: the smallest positive
 * visible part, else the total, else any visible part. It repeats until no
 * relation has exactly one hidden cell, so none is the only unknown of an
 * equation with a visible total.
 *
 * The threshold has a floor: DMS_SUPPRESS_MIN_CELL_FLOOR is the lowest
 * min_cell the HTTP API accepts from anyone (a lower request is refused
 * with 422 at /min_cell); only the CLI, run by whoever holds the data
 * files, may go lower.
 */
#ifndef DMS_SUPPRESS_H
#define DMS_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"

/* Groups smaller than this are not shown (DESIGN.md, Privacy). */
#define DMS_SUPPRESS_MIN_CELL 5
/* The lowest threshold a request may ask for. */
#define DMS_SUPPRESS_MIN_CELL_FLOOR DMS_SUPPRESS_MIN_CELL
/* A relation's total that is not a cell but known to the reader anyway
 * (e.g. total spend, recoverable from any visible share of it). */
#define DMS_SUPPRESS_KNOWN ((size_t)-1)

/* true when count people are too few to show: 1 <= count < min_cell. */
bool dms_suppress_small(long count, int min_cell);

/* DMS_OK if min_cell is at least floor (and at most 1000); else DMS_EINVAL
 * at /min_cell naming the floor. */
int dms_suppress_check_min_cell(long min_cell, int floor, dms_error *err);

typedef struct dms_suppress dms_suppress;

/* A set of relations over ncells cells (indices 0 .. ncells - 1). */
int dms_suppress_alloc(size_t ncells, dms_suppress **out /* OUT */, dms_error *err);
void dms_suppress_free(dms_suppress *s);

/* total = parts[0] + ... + parts[nparts - 1]; total may be
 * DMS_SUPPRESS_KNOWN. DMS_EINVAL for an index out of range. */
int dms_suppress_add_sum(dms_suppress *s, size_t total, const size_t *parts, size_t nparts,
                         dms_error *err);

/* Hiding cell from hides cell to (a figure computed from it). */
int dms_suppress_add_link(dms_suppress *s, size_t from, size_t to, dms_error *err);

/*
 * Complementary suppression: extends hidden (ncells flags, the primary
 * suppression on entry) until no relation has exactly one hidden cell and
 * every link holds. values guide the choice only. Returns how many cells
 * it hid.
 */
size_t dms_suppress_complete(const dms_suppress *s, const double *values, bool *hidden);

/*
 * The manager's summary: a total and n counts that add up to it. Fills
 * hidden[n] and *total_hidden with primary and complementary suppression
 * at min_cell.
 */
int dms_suppress_counts(long total, const long *counts, size_t n, int min_cell,
                        bool *total_hidden /* OUT */, bool *hidden /* OUT */, dms_error *err);

#endif
