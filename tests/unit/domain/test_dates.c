/* Unit tests of domain/dates: calendar rules, RFC 3339 timestamps, the
 * server's timezone, and the due-date edges the contract names (end of day,
 * DST changes in America/New_York and Europe/Istanbul, leap days, the date
 * line). Criterion runs each test in its own process, so a TZ set in one
 * test does not reach another; each test still puts UTC back when it ends. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "domain/dates.h"

#define H (3600 * 1000LL) /* one hour in ms */
#define M (60 * 1000LL)   /* one minute in ms */

/* The instant (ms) of a UTC civil time. Relies on dates_to_days, which
 * days_are_counted_from_1970 pins to hand-computed values first. */
static int64_t utc(const char *date, int h, int m, int s)
{
    return (dates_to_days(date) * 86400 + h * 3600 + m * 60 + s) * 1000LL;
}

static void back_to_utc(void) { dates_set_timezone("UTC"); }

TestSuite(dates, .fini = back_to_utc);

/* ---- calendar dates ---- */

Test(dates, leap_days_exist_only_in_leap_years)
{
    cr_expect(dates_valid("2024-02-29"));       /* divisible by 4 */
    cr_expect(dates_valid("2000-02-29"));       /* divisible by 400 */
    cr_expect_not(dates_valid("2025-02-29"));   /* not divisible by 4 */
    cr_expect_not(dates_valid("1900-02-29"));   /* divisible by 100, not 400 */
    cr_expect_not(dates_valid("2100-02-29"));
    cr_expect_not(dates_valid("2024-02-30"));
}

Test(dates, months_have_their_own_lengths)
{
    cr_expect(dates_valid("2026-01-31"));
    cr_expect(dates_valid("2026-12-31"));
    cr_expect(dates_valid("2026-02-28"));
    cr_expect_not(dates_valid("2026-04-31"));
    cr_expect_not(dates_valid("2026-06-31"));
    cr_expect_not(dates_valid("2026-09-31"));
    cr_expect_not(dates_valid("2026-11-31"));
    cr_expect_not(dates_valid("2026-01-32"));
    cr_expect_not(dates_valid("2026-00-10"));
    cr_expect_not(dates_valid("2026-13-01"));
    cr_expect_not(dates_valid("2026-01-00"));
    cr_expect_not(dates_valid("0000-01-01"));
    cr_expect(dates_valid("0001-01-01"));
    cr_expect(dates_valid("9999-12-31"));
}

Test(dates, only_the_exact_yyyy_mm_dd_shape_is_a_date)
{
    cr_expect_not(dates_valid("2026-1-01"));
    cr_expect_not(dates_valid("2026-01-1"));
    cr_expect_not(dates_valid("26-01-01"));
    cr_expect_not(dates_valid(" 2026-01-01"));
    cr_expect_not(dates_valid("2026-01-01 "));
    cr_expect_not(dates_valid("2026-01-01x"));
    cr_expect_not(dates_valid("2026-01-01T00:00:00Z"));
    cr_expect_not(dates_valid("2026/01/01"));
    cr_expect_not(dates_valid("20260101"));
    cr_expect_not(dates_valid("+026-01-01"));
    cr_expect_not(dates_valid("2026-+1-01"));
    cr_expect_not(dates_valid("2026-01-+1"));
    cr_expect_not(dates_valid("２０２６-01-01")); /* full-width digits */
    cr_expect_not(dates_valid(""));
    cr_expect_not(dates_valid(NULL));
}

Test(dates, days_are_counted_from_1970)
{
    cr_expect_eq(dates_to_days("1970-01-01"), 0);
    cr_expect_eq(dates_to_days("1970-01-02"), 1);
    cr_expect_eq(dates_to_days("1969-12-31"), -1);
    /* 30 years of 365 days plus 7 leap days (1972..1996) = 10957 */
    cr_expect_eq(dates_to_days("2000-01-01"), 10957);
    /* 56 years of 365 days plus 14 leap days (1972..2024) = 20454 */
    cr_expect_eq(dates_to_days("2026-01-01"), 20454);
    /* + Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 = 151 */
    cr_expect_eq(dates_to_days("2026-06-01"), 20454 + 151);
    cr_expect_eq(dates_to_days("2000-03-01") - dates_to_days("2000-02-28"), 2); /* leap */
    cr_expect_eq(dates_to_days("2100-03-01") - dates_to_days("2100-02-28"), 1); /* not leap */
    /* one literal instant: 2026-06-01T09:30:00Z is 1780306200 s */
    cr_expect_eq(utc("2026-06-01", 9, 30, 0), 1780306200000LL);
}

Test(dates, day_numbers_round_trip)
{
    char out[11];
    dates_from_days(0, out);
    cr_expect_str_eq(out, "1970-01-01");
    dates_from_days(-1, out);
    cr_expect_str_eq(out, "1969-12-31");
    dates_from_days(20454 + 59, out); /* 2026: Jan 31 + Feb 28 = 59 days in */
    cr_expect_str_eq(out, "2026-03-01");
    dates_from_days(dates_to_days("2024-02-28") + 1, out);
    cr_expect_str_eq(out, "2024-02-29");
    dates_from_days(dates_to_days("2025-02-28") + 1, out);
    cr_expect_str_eq(out, "2025-03-01");
    dates_from_days(dates_to_days("2026-12-31") + 1, out);
    cr_expect_str_eq(out, "2027-01-01");
    /* every day from 1900 to 2100 goes through both ways unchanged */
    for (int64_t d = dates_to_days("1900-01-01"); d <= dates_to_days("2100-12-31"); d++) {
        dates_from_days(d, out);
        cr_assert(dates_valid(out), "%s", out);
        cr_assert_eq(dates_to_days(out), d, "%s", out);
    }
    for (int64_t d = dates_to_days("0001-01-01"); d <= dates_to_days("9999-12-31"); d += 97) {
        dates_from_days(d, out);
        cr_assert_eq(dates_to_days(out), d, "%s", out);
    }
}

/* ---- timestamps ---- */

Test(dates, timestamps_format_as_rfc3339_utc_with_milliseconds)
{
    char out[32];
    dates_format_ts(0, out, sizeof out);
    cr_expect_str_eq(out, "1970-01-01T00:00:00.000Z");
    dates_format_ts(1780306200000LL + 7, out, sizeof out);
    cr_expect_str_eq(out, "2026-06-01T09:30:00.007Z");
    dates_format_ts(utc("2024-02-29", 23, 59, 59) + 999, out, sizeof out);
    cr_expect_str_eq(out, "2024-02-29T23:59:59.999Z");
    dates_format_ts(-1, out, sizeof out); /* one ms before the epoch */
    cr_expect_str_eq(out, "1969-12-31T23:59:59.999Z");
    cr_expect_eq(strlen(out), 24);
}

Test(dates, timestamps_that_leave_years_1_to_9999_in_utc_are_refused)
{
    int64_t ms;
    cr_expect_eq(dates_parse_ts("9999-12-31T23:59:59-23:59", &ms), -1, "10000-01-01 in UTC");
    cr_expect_eq(dates_parse_ts("0001-01-01T00:00:00+00:01", &ms), -1, "year 0 in UTC");
    cr_assert_eq(dates_parse_ts("9999-12-31T23:59:59Z", &ms), 0);
    char out[32];
    dates_format_ts(ms, out, sizeof out);
    cr_expect_str_eq(out, "9999-12-31T23:59:59.000Z");
}

Test(dates, timestamps_parse_with_z_offsets_and_fractions)
{
    int64_t ms;
    const int64_t t = 1780306200000LL; /* 2026-06-01T09:30:00Z */
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00Z", &ms), 0);
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00+00:00", &ms), 0);
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-01T12:30:00+03:00", &ms), 0); /* 12:30 - 3h */
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-01T04:30:00-05:00", &ms), 0); /* 04:30 + 5h */
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-01T15:15:00+05:45", &ms), 0); /* Kathmandu: 15:15 - 5h45 */
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-02T00:30:00+15:00", &ms), 0); /* 00:30 on the 2nd - 15h */
    cr_expect_eq(ms, t);
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00.5Z", &ms), 0);
    cr_expect_eq(ms, t + 500);
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00.07Z", &ms), 0);
    cr_expect_eq(ms, t + 70);
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00.123Z", &ms), 0);
    cr_expect_eq(ms, t + 123);
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00.123999Z", &ms), 0); /* sub-ms digits dropped */
    cr_expect_eq(ms, t + 123);
    cr_assert_eq(dates_parse_ts("2026-06-01T12:30:00.250+03:00", &ms), 0);
    cr_expect_eq(ms, t + 250);
    cr_assert_eq(dates_parse_ts("2026-01-01T01:00:00+03:00", &ms), 0); /* crosses back into 2025 */
    cr_expect_eq(ms, utc("2025-12-31", 22, 0, 0));
}

Test(dates, formatted_timestamps_parse_back_to_the_same_instant)
{
    const int64_t samples[] = {0, 1, 999, 1780306200007LL, utc("2024-02-29", 12, 0, 0) + 1, utc("2099-12-31", 23, 59, 59)};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char s[32];
        int64_t back = -1;
        dates_format_ts(samples[i], s, sizeof s);
        cr_assert_eq(dates_parse_ts(s, &back), 0, "%s", s);
        cr_expect_eq(back, samples[i], "%s", s);
    }
}

Test(dates, malformed_timestamps_are_refused)
{
    const char *bad[] = {
        "",
        "2026-06-01",
        "2026-06-01T09:30:00",          /* no zone */
        "2026-06-01 09:30:00Z",         /* space instead of T */
        "2026-06-01T09:30Z",            /* no seconds */
        "2026-02-30T09:30:00Z",         /* no such day */
        "2026-06-01T24:00:00Z",
        "2026-06-01T23:60:00Z",
        "2026-06-01T09:30:00.Z",        /* a dot without digits */
        "2026-06-01T09:30:00+0300",     /* offset without colon */
        "2026-06-01T09:30:00+03",
        "2026-06-01T09:30:00+24:00",
        "2026-06-01T09:30:00+03:60",
        "2026-06-01T09:30:00Zjunk",
        "2026-06-01T09:30:00+03:00junk",
        "2026-6-01T09:30:00Z",
        "x2026-06-01T09:30:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        cr_expect_eq(dates_parse_ts(bad[i], &ms), -1, "\"%s\" accepted", bad[i]);
    }
    int64_t ms;
    cr_expect_eq(dates_parse_ts(NULL, &ms), -1);
}

Test(dates, time_fields_must_be_two_digits_each)
{
    /* RFC 3339 time-hour, time-minute, time-second are exactly 2DIGIT: no
     * padding blank, no sign, nothing negative. */
    const char *bad[] = {
        "2026-06-01T 9:30:00Z",
        "2026-06-01T+9:30:00Z",
        "2026-06-01T09:-1:00Z",
        "2026-06-01T09:30:-1Z",
        "2026-06-01T-1:30:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        cr_expect_eq(dates_parse_ts(bad[i], &ms), -1, "\"%s\" accepted", bad[i]);
    }
}

/* ---- the server's timezone ---- */

Test(dates, known_iana_names_are_accepted)
{
    cr_expect_eq(dates_set_timezone("UTC"), 0);
    cr_expect_eq(dates_set_timezone("Europe/Istanbul"), 0);
    cr_expect_eq(dates_set_timezone("America/New_York"), 0);
    cr_expect_eq(dates_set_timezone("America/Argentina/Buenos_Aires"), 0);
    cr_expect_eq(dates_set_timezone("Pacific/Kiritimati"), 0);
    cr_expect_eq(dates_set_timezone("Etc/GMT+3"), 0);
}

Test(dates, unknown_or_unsafe_timezone_names_are_refused)
{
    cr_expect_eq(dates_set_timezone("Not/AZone"), -1);
    cr_expect_eq(dates_set_timezone("../etc/passwd"), -1);
    cr_expect_eq(dates_set_timezone("../../../../etc/passwd"), -1);
    cr_expect_eq(dates_set_timezone("Europe/../../../etc/passwd"), -1);
    cr_expect_eq(dates_set_timezone("/etc/localtime"), -1);
    cr_expect_eq(dates_set_timezone(":Europe/Istanbul"), -1);
    cr_expect_eq(dates_set_timezone("Europe"), -1);    /* a folder, not a zone */
    cr_expect_eq(dates_set_timezone("zone.tab"), -1);  /* a file there, not a zone */
    cr_expect_eq(dates_set_timezone("Europe/Istanbul "), -1);
    cr_expect_eq(dates_set_timezone("EST5EDT,M3.2.0,M11.1.0"), -1); /* a POSIX rule, not a name */
    cr_expect_eq(dates_set_timezone(""), -1);
    cr_expect_eq(dates_set_timezone(NULL), -1);
}

Test(dates, a_refused_timezone_leaves_the_current_one_in_place)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    cr_assert_eq(dates_set_timezone("Not/AZone"), -1);
    char today[11];
    dates_today(utc("2026-06-05", 21, 0, 0), today); /* 21:00Z is 00:00 on the 6th at UTC+3 */
    cr_expect_str_eq(today, "2026-06-06");
}

/* ---- due dates in the server's timezone ---- */

Test(dates, a_task_is_not_overdue_until_its_due_day_has_ended_in_utc)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    /* due 2026-06-05: overdue from 2026-06-06T00:00:00.000Z */
    cr_expect_not(dates_is_overdue("2026-06-05", utc("2026-06-05", 0, 0, 0)));
    cr_expect_not(dates_is_overdue("2026-06-05", utc("2026-06-05", 23, 59, 59) + 999));
    cr_expect(dates_is_overdue("2026-06-05", utc("2026-06-06", 0, 0, 0)));
    cr_expect_eq(dates_overdue_from_ms("2026-06-05"), utc("2026-06-06", 0, 0, 0));
    cr_expect_not(dates_is_overdue("2026-06-05", utc("2026-06-04", 12, 0, 0)));
}

/* Found by fuzzing (tests/fuzz/dates.c): the day after 9999-12-31 has no
 * four-digit name, and the end of 9999-12-31 came out in 1969, so an SLA
 * report window ending that day ended before it began. */
Test(dates, the_last_day_of_year_9999_ends_at_midnight_of_year_10000)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    cr_expect_eq(dates_overdue_from_ms("9999-12-31"), 253402300800000LL); /* 10000-01-01T00:00:00Z */
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    cr_expect_eq(dates_overdue_from_ms("9999-12-31"), 253402300800000LL - 3 * 3600000LL);
    cr_expect_eq(dates_overdue_from_ms("9999-12-30"), 253402300800000LL - 27 * 3600000LL);
}

Test(dates, end_of_the_local_day_in_istanbul_is_not_overdue_and_the_next_midnight_is)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0); /* UTC+3 all year since 2016 */
    /* due 2026-06-05: 23:59:59.999 local = 20:59:59.999Z; 00:00 on the 6th local = 21:00Z */
    cr_expect_not(dates_is_overdue("2026-06-05", utc("2026-06-05", 20, 59, 59) + 999));
    cr_expect(dates_is_overdue("2026-06-05", utc("2026-06-05", 21, 0, 0)));
    cr_expect_eq(dates_overdue_from_ms("2026-06-05"), 1780693200000LL); /* 2026-06-05T21:00:00Z */
    /* winter is UTC+3 too: due 2026-12-31 ends at 2026-12-31T21:00Z */
    cr_expect_eq(dates_overdue_from_ms("2026-12-31"), utc("2026-12-31", 21, 0, 0));
    char today[11];
    dates_today(utc("2026-06-05", 20, 59, 59) + 999, today);
    cr_expect_str_eq(today, "2026-06-05");
    dates_today(utc("2026-06-05", 21, 0, 0), today);
    cr_expect_str_eq(today, "2026-06-06");
}

Test(dates, istanbul_summer_time_start_of_2015)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    /* 2015-03-29 03:00 EET (UTC+2) jumped to 04:00 EEST (UTC+3) at 01:00Z.
     * Due 2015-03-28: overdue from 2015-03-29 00:00 local, still UTC+2:
     * 2015-03-28T22:00Z. Due 2015-03-29 (a 23-hour day): overdue from
     * 2015-03-30 00:00 local, now UTC+3: 2015-03-29T21:00Z. */
    cr_expect_eq(dates_overdue_from_ms("2015-03-28"), 1427580000000LL); /* 2015-03-28T22:00Z */
    cr_expect_eq(dates_overdue_from_ms("2015-03-29"), utc("2015-03-29", 21, 0, 0));
    cr_expect_not(dates_is_overdue("2015-03-29", utc("2015-03-29", 20, 59, 59) + 999));
    cr_expect(dates_is_overdue("2015-03-29", utc("2015-03-29", 21, 0, 0)));
    char today[11];
    dates_today(utc("2015-03-29", 0, 59, 59), today); /* 02:59:59 EET */
    cr_expect_str_eq(today, "2015-03-29");
}

Test(dates, istanbul_summer_time_end_of_2015)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    /* 2015 summer time ended late, on 2015-11-08: 04:00 EEST (UTC+3) went
     * back to 03:00 EET (UTC+2) at 01:00Z, a 25-hour day. Due 2015-11-07:
     * overdue from 2015-11-08 00:00 at UTC+3 = 2015-11-07T21:00Z. Due
     * 2015-11-08: overdue from 2015-11-09 00:00 at UTC+2 = 2015-11-08T22:00Z. */
    cr_expect_eq(dates_overdue_from_ms("2015-11-07"), utc("2015-11-07", 21, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2015-11-08"), utc("2015-11-08", 22, 0, 0));
    cr_expect_not(dates_is_overdue("2015-11-08", utc("2015-11-08", 21, 59, 59) + 999));
    cr_expect(dates_is_overdue("2015-11-08", utc("2015-11-08", 22, 0, 0)));
}

Test(dates, new_york_spring_forward_2026_03_08)
{
    cr_assert_eq(dates_set_timezone("America/New_York"), 0);
    /* 2026-03-08 02:00 EST (UTC-5) jumps to 03:00 EDT (UTC-4) at 07:00Z.
     * Due 2026-03-07: overdue from 2026-03-08 00:00 EST = 05:00Z.
     * Due 2026-03-08 (23 hours long): overdue from 2026-03-09 00:00 EDT =
     * 04:00Z, i.e. 1773028800 s. */
    cr_expect_eq(dates_overdue_from_ms("2026-03-07"), utc("2026-03-08", 5, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2026-03-08"), 1773028800000LL);
    cr_expect_eq(dates_overdue_from_ms("2026-03-08") - dates_overdue_from_ms("2026-03-07"), 23 * H);
    cr_expect_not(dates_is_overdue("2026-03-08", utc("2026-03-09", 3, 59, 59) + 999));
    cr_expect(dates_is_overdue("2026-03-08", utc("2026-03-09", 4, 0, 0)));
    /* 06:59:59Z is 01:59:59 EST, 07:00Z is 03:00 EDT: still the 8th both */
    char today[11];
    dates_today(utc("2026-03-08", 7, 0, 0), today);
    cr_expect_str_eq(today, "2026-03-08");
}

Test(dates, new_york_fall_back_2026_11_01)
{
    cr_assert_eq(dates_set_timezone("America/New_York"), 0);
    /* 2026-11-01 02:00 EDT (UTC-4) goes back to 01:00 EST (UTC-5) at 06:00Z.
     * Due 2026-10-31: overdue from 2026-11-01 00:00 EDT = 04:00Z.
     * Due 2026-11-01 (25 hours long): overdue from 2026-11-02 00:00 EST =
     * 05:00Z, i.e. 1793595600 s. */
    cr_expect_eq(dates_overdue_from_ms("2026-10-31"), utc("2026-11-01", 4, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2026-11-01"), 1793595600000LL);
    cr_expect_eq(dates_overdue_from_ms("2026-11-01") - dates_overdue_from_ms("2026-10-31"), 25 * H);
    /* 04:59:59.999Z on the 2nd is 23:59:59.999 EST on the 1st */
    cr_expect_not(dates_is_overdue("2026-11-01", utc("2026-11-02", 4, 59, 59) + 999));
    cr_expect(dates_is_overdue("2026-11-01", utc("2026-11-02", 5, 0, 0)));
    /* the repeated hour 01:00-02:00 local is the 1st both times */
    char today[11];
    dates_today(utc("2026-11-01", 5, 30, 0), today); /* 01:30 EDT */
    cr_expect_str_eq(today, "2026-11-01");
    dates_today(utc("2026-11-01", 6, 30, 0), today); /* 01:30 EST */
    cr_expect_str_eq(today, "2026-11-01");
}

Test(dates, a_leap_day_due_date_ends_at_the_start_of_march_first)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    cr_expect_not(dates_is_overdue("2028-02-29", utc("2028-02-29", 23, 59, 59) + 999));
    cr_expect(dates_is_overdue("2028-02-29", utc("2028-03-01", 0, 0, 0)));
    cr_expect_eq(dates_overdue_from_ms("2028-02-29"), 1835481600000LL); /* 2028-03-01T00:00Z */
    cr_expect_eq(dates_overdue_from_ms("2028-02-28"), utc("2028-02-29", 0, 0, 0));
    /* in a non-leap year the 28th ends at March 1st */
    cr_expect_eq(dates_overdue_from_ms("2026-02-28"), utc("2026-03-01", 0, 0, 0));
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    /* due 2024-02-29 in Istanbul: 2024-03-01 00:00 at UTC+3 = 2024-02-29T21:00Z */
    cr_expect_eq(dates_overdue_from_ms("2024-02-29"), utc("2024-02-29", 21, 0, 0));
    cr_expect(dates_is_overdue("2024-02-29", utc("2024-02-29", 21, 0, 0)));
    cr_expect_not(dates_is_overdue("2024-02-29", utc("2024-02-29", 20, 59, 59) + 999));
}

Test(dates, the_same_instant_is_a_different_day_across_the_date_line)
{
    const int64_t now = utc("2026-06-05", 12, 0, 0);
    char kiritimati[11], pago[11];
    cr_assert_eq(dates_set_timezone("Pacific/Kiritimati"), 0); /* UTC+14: 02:00 on the 6th */
    dates_today(now, kiritimati);
    cr_expect(dates_is_overdue("2026-06-05", now));
    /* due 2026-06-05 there: 2026-06-06 00:00 at UTC+14 = 2026-06-05T10:00Z */
    cr_expect_eq(dates_overdue_from_ms("2026-06-05"), utc("2026-06-05", 10, 0, 0));
    cr_assert_eq(dates_set_timezone("Pacific/Pago_Pago"), 0); /* UTC-11: 01:00 on the 5th */
    dates_today(now, pago);
    cr_expect_not(dates_is_overdue("2026-06-05", now));
    /* due 2026-06-05 there: 2026-06-06 00:00 at UTC-11 = 2026-06-06T11:00Z */
    cr_expect_eq(dates_overdue_from_ms("2026-06-05"), utc("2026-06-06", 11, 0, 0));
    cr_expect_str_eq(kiritimati, "2026-06-06");
    cr_expect_str_eq(pago, "2026-06-05");
    cr_expect_str_neq(kiritimati, pago);
}

Test(dates, a_skipped_local_day_still_has_an_overdue_moment)
{
    /* Samoa skipped 2011-12-30 when it crossed the date line: 2011-12-29
     * 23:59:59 at UTC-10 was followed by 2011-12-31 00:00 at UTC+14. Due
     * 2011-12-29: overdue from the first instant whose local date is later,
     * 2011-12-31 00:00 at UTC+14 = 2011-12-30T10:00Z. */
    cr_assert_eq(dates_set_timezone("Pacific/Apia"), 0);
    cr_expect_eq(dates_overdue_from_ms("2011-12-29"), utc("2011-12-30", 10, 0, 0));
    cr_expect_not(dates_is_overdue("2011-12-29", utc("2011-12-30", 9, 59, 59) + 999));
}

Test(dates, overdue_moment_and_is_overdue_agree_around_every_boundary)
{
    const char *zones[] = {"UTC", "Europe/Istanbul", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"};
    const char *dues[] = {"2015-03-28", "2015-03-29", "2015-11-08", "2024-02-29", "2026-03-08", "2026-11-01"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        cr_assert_eq(dates_set_timezone(zones[z]), 0);
        for (size_t d = 0; d < sizeof dues / sizeof dues[0]; d++) {
            int64_t from = dates_overdue_from_ms(dues[d]);
            cr_expect_not(dates_is_overdue(dues[d], from - 1), "%s %s", zones[z], dues[d]);
            cr_expect(dates_is_overdue(dues[d], from), "%s %s", zones[z], dues[d]);
            cr_expect_eq(from % M, 0, "%s %s: overdue on a whole minute", zones[z], dues[d]);
        }
    }
}
