/*
 * Strict parsing of numbers typed by people (command-line flags, query
 * strings): the whole text must be one finite number, no trailing junk, no
 * leading blanks, no hex or "inf"/"nan" spellings.
 */
#ifndef DMS_PARSE_H
#define DMS_PARSE_H

#include <stdbool.h>

/* A finite decimal number ("1500", "0.2", "1e6"). */
bool dms_parse_double(const char *text, double *out);
/* A non-negative integer in [0, max]. */
bool dms_parse_ulong(const char *text, unsigned long max, unsigned long *out);

#endif
