/*
 * Calendar dates (include/dms/date.h): the proleptic Gregorian calendar,
 * with day numbers from 1970-01-01 after H. Hinnant's days_from_civil and
 * civil_from_days, so that every module counts and prints days alike.
 */
#include <stdio.h>

#include "dms/date.h"

bool dms_date_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int dms_date_month_days(int year, int month)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return len[month - 1] + (month == 2 && dms_date_leap(year));
}

long dms_date_days(int year, int month, int day)
{
    long y = (long)year - (month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void dms_date_civil(long days, int *year, int *month, int *day)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
}

bool dms_date_split(const char *text, int *year, int *month, int *day)
{
    int v[3] = {0, 0, 0};
    static const int start[3] = {0, 5, 8}, width[3] = {4, 2, 2};
    bool ok = text != NULL;
    for (int i = 0; ok && i < 10; i++)
        ok = text[i] != '\0' &&
             (i == 4 || i == 7 ? text[i] == '-' : text[i] >= '0' && text[i] <= '9');
    ok = ok && text[10] == '\0';
    for (int f = 0; ok && f < 3; f++)
        for (int i = 0; i < width[f]; i++)
            v[f] = v[f] * 10 + (text[start[f] + i] - '0');
    ok = ok && v[0] >= 1 && v[2] >= 1 && v[2] <= dms_date_month_days(v[0], v[1]);
    *year = ok ? v[0] : 0;
    *month = ok ? v[1] : 0;
    *day = ok ? v[2] : 0;
    return ok;
}

char *dms_date_format(long days, char out[11])
{
    int y, m, d;
    dms_date_civil(days, &y, &m, &d);
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    snprintf(out, 11, "%.10s", buf);
    return out;
}

void dms_date_add_months(int year, int month, int months, int *to_year, int *to_month)
{
    long index = (long)year * 12 + (month - 1) + months;
    long y = index >= 0 ? index / 12 : -((-index + 11) / 12);
    *to_year = (int)y;
    *to_month = (int)(index - y * 12) + 1;
}

long dms_date_months_between(const char *from, const char *to)
{
    int y0, m0, d0, y1, m1, d1;
    if (!dms_date_split(from, &y0, &m0, &d0) || !dms_date_split(to, &y1, &m1, &d1))
        return 0;
    return ((long)y1 - y0) * 12 + (m1 - m0);
}
