/* Unit tests of domain/dates: calendar rules, timestamps, and due-date edges
 * in real timezones (end of day, DST changes, leap days). Criterion runs each
 * test in its own process, so setting TZ in one does not reach another. */
#include <criterion/criterion.h>
#include <string.h>

#include "domain/dates.h"

/* UTC instant in ms from a civil UTC time. */
static int64_t utc(const char *date, int h, int m, int s) { return (dates_to_days(date) * 86400 + h * 3600 + m * 60 + s) * 1000LL; }

Test(dates_calendar, real_days_only_leap_years_included)
{
    cr_expect(dates_valid("2024-02-29"));
    cr_expect(dates_valid("2000-02-29"));
    cr_expect_not(dates_valid("2025-02-29"));
    cr_expect_not(dates_valid("1900-02-29"));
    cr_expect_not(dates_valid("2026-04-31"));
    cr_expect(dates_valid("2026-12-31"));
    cr_expect_not(dates_valid("2026-00-10"));
    cr_expect_not(dates_valid("2026-1-01"));
    cr_expect_not(dates_valid(" 2026-01-01"));
    cr_expect_not(dates_valid("2026-01-01x"));
    cr_expect_not(dates_valid("2026/01/01"));
    cr_expect_not(dates_valid(""));
    cr_expect_not(dates_valid(NULL));
}

Test(dates_calendar, day_numbers_round_trip)
{
    cr_expect_eq(dates_to_days("1970-01-01"), 0);
    cr_expect_eq(dates_to_days("2000-03-01") - dates_to_days("2000-02-28"), 2);
    char out[11];
    for (int64_t d = dates_to_days("0001-01-01"); d <= dates_to_days("9999-12-31"); d += 97) {
        dates_from_days(d, out);
        cr_assert_eq(dates_to_days(out), d, "%s", out);
    }
}

Test(dates_timestamps, format_is_rfc3339_utc_with_milliseconds)
{
    char out[32];
    dates_format_ts(utc("2026-06-01", 9, 30, 0) + 7, out, sizeof out);
    cr_expect_str_eq(out, "2026-06-01T09:30:00.007Z");
    dates_format_ts(0, out, sizeof out);
    cr_expect_str_eq(out, "1970-01-01T00:00:00.000Z");
}

Test(dates_timestamps, parse_accepts_z_offsets_and_fractions)
{
    int64_t ms;
    cr_assert_eq(dates_parse_ts("2026-06-01T09:30:00Z", &ms), 0);
    cr_expect_eq(ms, utc("2026-06-01", 9, 30, 0));
    cr_assert_eq(dates_parse_ts("2026-06-01T12:30:00.5+03:00", &ms), 0);
    cr_expect_eq(ms, utc("2026-06-01", 9, 30, 0) + 500);
    cr_assert_eq(dates_parse_ts("2026-06-01T04:30:00-05:00", &ms), 0);
    cr_expect_eq(ms, utc("2026-06-01", 9, 30, 0));
    cr_expect_eq(dates_parse_ts("2026-06-01 09:30:00Z", &ms), -1);
    cr_expect_eq(dates_parse_ts("2026-02-30T09:30:00Z", &ms), -1);
    cr_expect_eq(dates_parse_ts("2026-06-01T09:30:00", &ms), -1);
    cr_expect_eq(dates_parse_ts("2026-06-01T09:30:00Zjunk", &ms), -1);
}

Test(dates_timezone, unknown_or_unsafe_names_are_refused)
{
    cr_expect_eq(dates_set_timezone("Europe/Istanbul"), 0);
    cr_expect_eq(dates_set_timezone("UTC"), 0);
    cr_expect_eq(dates_set_timezone("Not/AZone"), -1);
    cr_expect_eq(dates_set_timezone("../../etc/passwd"), -1);
    cr_expect_eq(dates_set_timezone("/etc/localtime"), -1);
    cr_expect_eq(dates_set_timezone(""), -1);
}

Test(dates_timezone, a_task_is_overdue_from_the_first_moment_of_the_next_local_day)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0); /* UTC+3 all year since 2016 */
    /* due 2026-06-05: 23:59:59.999 local = 20:59:59.999Z is not overdue; 21:00Z is */
    cr_expect_not(dates_is_overdue("2026-06-05", utc("2026-06-05", 20, 59, 59) + 999));
    cr_expect(dates_is_overdue("2026-06-05", utc("2026-06-05", 21, 0, 0)));
    cr_expect_eq(dates_overdue_from_ms("2026-06-05"), utc("2026-06-05", 21, 0, 0));
}

Test(dates_timezone, istanbul_when_it_still_had_summer_time)
{
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    /* 2015-03-29 03:00 local (UTC+2) jumped to 04:00 (UTC+3). Due 2015-03-28:
     * overdue from 2015-03-29 00:00 local, still UTC+2: 2015-03-28T22:00Z.
     * Due 2015-03-29: overdue from 2015-03-30 00:00 UTC+3 = 2015-03-29T21:00Z. */
    cr_expect_eq(dates_overdue_from_ms("2015-03-28"), utc("2015-03-28", 22, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2015-03-29"), utc("2015-03-29", 21, 0, 0));
}

Test(dates_timezone, new_york_across_both_dst_changes)
{
    cr_assert_eq(dates_set_timezone("America/New_York"), 0);
    /* 2026-03-08: clocks go 02:00 EST -> 03:00 EDT. Due 2026-03-07: overdue at
     * 2026-03-08 00:00 EST = 05:00Z. Due 2026-03-08: overdue at 2026-03-09
     * 00:00 EDT = 04:00Z (the day had 23 hours). */
    cr_expect_eq(dates_overdue_from_ms("2026-03-07"), utc("2026-03-08", 5, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2026-03-08"), utc("2026-03-09", 4, 0, 0));
    cr_expect_not(dates_is_overdue("2026-03-08", utc("2026-03-09", 3, 59, 59)));
    /* 2026-11-01: 02:00 EDT -> 01:00 EST, a 25-hour day. Due 2026-11-01:
     * overdue at 2026-11-02 00:00 EST = 05:00Z. */
    cr_expect_eq(dates_overdue_from_ms("2026-10-31"), utc("2026-11-01", 4, 0, 0));
    cr_expect_eq(dates_overdue_from_ms("2026-11-01"), utc("2026-11-02", 5, 0, 0));
    cr_expect_not(dates_is_overdue("2026-11-01", utc("2026-11-02", 4, 59, 59)));
    cr_expect(dates_is_overdue("2026-11-01", utc("2026-11-02", 5, 0, 0)));
}

Test(dates_timezone, leap_day_due_dates)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    cr_expect_not(dates_is_overdue("2028-02-29", utc("2028-02-29", 23, 59, 59)));
    cr_expect(dates_is_overdue("2028-02-29", utc("2028-03-01", 0, 0, 0)));
    cr_expect_eq(dates_overdue_from_ms("2028-02-28"), utc("2028-02-29", 0, 0, 0));
}

Test(dates_timezone, the_same_instant_is_a_different_day_across_the_date_line)
{
    int64_t now = utc("2026-06-05", 12, 0, 0);
    char kiritimati[11], pago[11];
    cr_assert_eq(dates_set_timezone("Pacific/Kiritimati"), 0); /* UTC+14 */
    dates_today(now, kiritimati);
    cr_assert_eq(dates_set_timezone("Pacific/Pago_Pago"), 0); /* UTC-11 */
    dates_today(now, pago);
    cr_expect_str_eq(kiritimati, "2026-06-06");
    cr_expect_str_eq(pago, "2026-06-05");
    cr_assert_eq(dates_set_timezone("Pacific/Kiritimati"), 0);
    cr_expect(dates_is_overdue("2026-06-05", now));
    cr_assert_eq(dates_set_timezone("Pacific/Pago_Pago"), 0);
    cr_expect_not(dates_is_overdue("2026-06-05", now));
}
