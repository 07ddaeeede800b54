/*
 * Calendar dates, the one place that knows the proleptic Gregorian calendar
 * (issue 17): leap years, month lengths, ISO "YYYY-MM-DD" text and day
 * numbers counted from 1970-01-01. Every module that reads a date, adds
 * months or counts days goes through these, rather than slicing strings
 * with atoi(text + 5) or repeating the month table.
 */
#ifndef DMS_DATE_H
#define DMS_DATE_H

#include <stdbool.h>

/* true for a Gregorian leap year. */
bool dms_date_leap(int year);

/* Days in month (1..12) of year: 28..31; 0 for a month out of range. */
int dms_date_month_days(int year, int month);

/* Days since 1970-01-01 of a proleptic Gregorian date (negative before). */
long dms_date_days(int year, int month, int day);

/* The date of a day number, the inverse of dms_date_days. */
void dms_date_civil(long days, int *year /* OUT */, int *month /* OUT */, int *day /* OUT */);

/*
 * Splits exactly "YYYY-MM-DD" (ten characters, digits and dashes) of a real
 * day in years 1..9999. false, with *year, *month, *day set to 0, for
 * anything else.
 */
bool dms_date_split(const char *text, int *year /* OUT */, int *month /* OUT */,
                    int *day /* OUT */);

/* Writes day number days as "YYYY-MM-DD" into out (11 bytes); returns out. */
char *dms_date_format(long days, char out[11]);

/*
 * The month `months` after (year, month) (months may be negative), as
 * *to_year, *to_month.
 */
void dms_date_add_months(int year, int month, int months, int *to_year /* OUT */,
                         int *to_month /* OUT */);

/*
 * Calendar months from the month of from to the month of to, ISO dates
 * (e.g. 2026-01-31 to 2026-03-01: 2). 0 when either is not a date.
 */
long dms_date_months_between(const char *from, const char *to);

#endif
