/* dates.c: calendar arithmetic (Howard Hinnant's days_from_civil) and the
 * server's timezone through the C library's TZ database support. */
#include "domain/dates.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DATES_MIN_SECS (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define DATES_MAX_SECS 253402300800LL    /* 10000-01-01T00:00:00Z */

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* "YYYY-MM-DD" from parts, digit by digit (years wrap at 10000). */
static void put_ymd(char out[11], int y, int m, int d)
{
    y = ((y % 10000) + 10000) % 10000;
    out[0] = (char)('0' + y / 1000), out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10), out[3] = (char)('0' + y % 10), out[4] = '-';
    out[5] = (char)('0' + m / 10 % 10), out[6] = (char)('0' + m % 10), out[7] = '-';
    out[8] = (char)('0' + d / 10 % 10), out[9] = (char)('0' + d % 10), out[10] = 0;
}

static bool parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return false;
    *y = atoi(s);
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

bool dates_valid(const char *s)
{
    int y, m, d;
    return parse_ymd(s, &y, &m, &d);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int64_t dates_to_days(const char *date)
{
    int y, m, d;
    if (!parse_ymd(date, &y, &m, &d)) return 0;
    return days_from_civil(y, (unsigned)m, (unsigned)d);
}

void dates_from_days(int64_t days, char out[11])
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    put_ymd(out, y, m, d);
}

int dates_set_timezone(const char *name)
{
    if (!name || !*name || name[0] == '/' || name[0] == ':' || strstr(name, "..") || strlen(name) > 200) return -1;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("/_-+", *p))) return -1;
    char path[300];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    if (setenv("TZ", name, 1) != 0) return -1;
    tzset();
    return 0;
}

void dates_today(int64_t now_ms, char out[11])
{
    time_t t = (time_t)(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    put_ymd(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

bool dates_is_overdue(const char *due_date, int64_t now_ms)
{
    char today[11];
    dates_today(now_ms, today);
    return strcmp(due_date, today) < 0;
}

/* Days since 1970-01-01 of the local date at secs. */
static int64_t local_days(int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    localtime_r(&t, &tm);
    return days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

int64_t dates_day_start_ms(int64_t days)
{
    /* Day numbers, not YYYY-MM-DD text: the days around years 1-9999 have no
     * four-digit name (the day after 9999-12-31 wrapped to "0000-01-01" and
     * its start came out in 1969). Local midnight lies within UTC-12..UTC+14
     * of UTC midnight. Binary search for the first second whose local date is
     * that day or later: this is right on DST days too, where local midnight
     * may not exist. */
    int64_t lo = days * 86400 - 15 * 3600, hi = days * 86400 + 13 * 3600;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (local_days(mid) >= days)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo * 1000;
}

int64_t dates_overdue_from_ms(const char *date) { return dates_day_start_ms(dates_to_days(date) + 1); }

void dates_format_ts(int64_t ms, char *out, size_t out_size)
{
    /* digit by digit: this runs for every timestamp of every task listed */
    char tmp[25];
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int rem = (int)(secs - days * 86400);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    put_ymd(tmp, y, m, d);
    int h = rem / 3600, mi = rem / 60 % 60, s = rem % 60;
    tmp[10] = 'T';
    tmp[11] = (char)('0' + h / 10), tmp[12] = (char)('0' + h % 10), tmp[13] = ':';
    tmp[14] = (char)('0' + mi / 10), tmp[15] = (char)('0' + mi % 10), tmp[16] = ':';
    tmp[17] = (char)('0' + s / 10), tmp[18] = (char)('0' + s % 10), tmp[19] = '.';
    tmp[20] = (char)('0' + millis / 100), tmp[21] = (char)('0' + millis / 10 % 10), tmp[22] = (char)('0' + millis % 10);
    tmp[23] = 'Z', tmp[24] = 0;
    if (out_size == 0) return;
    size_t n = out_size - 1 < 24 ? out_size - 1 : 24;
    memcpy(out, tmp, n);
    out[n] = 0;
}

int dates_parse_ts(const char *s, int64_t *out_ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || strlen(s) < 19) return -1;
    /* sscanf alone would accept signs and spaces ("09:-1:00"); insist on the shape first. */
    for (int i = 0; i < 19; i++) {
        char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : 0;
        if (want ? s[i] != want : !isdigit((unsigned char)s[i])) return -1;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) return -1;
    char date[11];
    memcpy(date, s, 10);
    date[10] = 0;
    if (!dates_valid(date) || h > 23 || mi > 59 || sec > 60) return -1;
    const char *p = s + 19;
    int millis = 0;
    if (*p == '.') {
        p++;
        int digits = 0, frac = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3) frac = frac * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0) return -1;
        for (int i = digits; i < 3; i++) frac *= 10;
        millis = frac;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return -1;
        oh = (p[1] - '0') * 10 + (p[2] - '0');
        om = (p[4] - '0') * 10 + (p[5] - '0');
        if (oh > 23 || om > 59) return -1;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    int64_t secs = dates_to_days(date) * 86400 + h * 3600 + mi * 60 + sec - offset;
    /* an offset can carry 9999-12-31 past year 9999 (or 0000 below year 1) in
     * UTC, which four-digit formatting could not show back */
    if (secs < DATES_MIN_SECS || secs >= DATES_MAX_SECS) return -1;
    *out_ms = secs * 1000 + millis;
    return 0;
}
