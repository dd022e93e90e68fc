/* Unit tests of domain/sla: the plain deadline (sla_due_at = created_at +
 * sla_hours) and breach rule (none without an SLA; breached when completed
 * after the deadline or still active past it); the business-hours calendar
 * (nights, weekends, holidays, DST days), the 80% "at risk" rule, report
 * percentiles and windows; and property tests of the business-hours walk
 * against a slow day-by-day reference over many zones and calendars. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"
#include "domain/sla.h"

#define HOUR 3600000LL
#define T0 1780306200000LL /* 2026-06-01T09:30:00Z */

static void back_to_utc(void) { dates_set_timezone("UTC"); }

static int64_t ts(const char *s)
{
    int64_t ms = 0;
    cr_assert_eq(dates_parse_ts(s, &ms), 0, "%s", s);
    return ms;
}

/* ---- deadline and breach ---- */

static struct task with_sla(double hours)
{
    return (struct task){.created_at = T0, .has_sla = true, .sla_hours = hours, .status = TASK_OPEN};
}

Test(sla, deadline_is_creation_plus_whole_hours)
{
    struct task t = with_sla(24);
    cr_expect_eq(sla_due_at(&t), T0 + 24 * HOUR);
    t.sla_hours = 1;
    cr_expect_eq(sla_due_at(&t), T0 + HOUR);
    t.sla_hours = 8760; /* a year of hours */
    cr_expect_eq(sla_due_at(&t), T0 + 8760 * HOUR);
}

Test(sla, deadline_counts_fractional_hours_to_the_millisecond)
{
    struct task t = with_sla(0.5);
    cr_expect_eq(sla_due_at(&t), T0 + 1800000);
    t.sla_hours = 1.25; /* 1 h 15 min */
    cr_expect_eq(sla_due_at(&t), T0 + 4500000);
    t.sla_hours = 0.001; /* 3.6 s */
    cr_expect_eq(sla_due_at(&t), T0 + 3600);
    t.sla_hours = 1.0 / 3.0; /* 20 min, rounded to the nearest ms */
    cr_expect_eq(sla_due_at(&t), T0 + 1200000);
    t.sla_hours = 0.1; /* 6 min, though 0.1 is not exact in binary */
    cr_expect_eq(sla_due_at(&t), T0 + 360000);
}

Test(sla, no_sla_has_no_deadline)
{
    struct task t = with_sla(24);
    t.has_sla = false;
    cr_expect_eq(sla_due_at(&t), 0);
}

Test(sla, no_sla_is_never_breached)
{
    struct task t = with_sla(1);
    t.has_sla = false;
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1000 * HOUR), SLA_NONE);
    t.completed_at = T0 + 1000 * HOUR;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_NONE);
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_NONE);
}

Test(sla, active_task_before_or_at_its_deadline_is_not_breached)
{
    struct task t = with_sla(1);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR - 1), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_IN_PROGRESS, T0 + HOUR), SLA_OK);
}

Test(sla, active_task_past_its_deadline_is_breached)
{
    struct task t = with_sla(1);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR + 1), SLA_BREACHED);
    t.status = TASK_IN_PROGRESS;
    cr_expect_eq(sla_breached(&t, TASK_IN_PROGRESS, T0 + HOUR + 1), SLA_BREACHED);
    cr_expect_eq(sla_breached(&t, TASK_OVERDUE, T0 + HOUR + 1), SLA_BREACHED);
}

Test(sla, task_completed_by_its_deadline_is_not_breached_later)
{
    struct task t = with_sla(1);
    t.status = TASK_COMPLETED;
    t.completed_at = T0 + HOUR; /* exactly on time */
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_OK);
    t.completed_at = T0 + 60000;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_OK);
}

Test(sla, task_completed_after_its_deadline_is_breached)
{
    struct task t = with_sla(1);
    t.status = TASK_COMPLETED;
    t.completed_at = T0 + HOUR + 1;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + HOUR + 1), SLA_BREACHED);
    /* judged by completed_at, whatever the time of asking */
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0), SLA_BREACHED);
}

Test(sla, cancelled_task_is_never_breached)
{
    struct task t = with_sla(1);
    t.status = TASK_CANCELLED;
    t.cancelled_at = T0 + 5 * HOUR;
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_OK);
    t.cancelled_at = T0 + 1;
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_OK);
}

Test(sla, fractional_deadline_is_breached_one_ms_after_it)
{
    struct task t = with_sla(0.5);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1800000), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1800001), SLA_BREACHED);
}

/* ---- calendar, risk and reports ---- */

/* Mon-Fri 09:00-18:00, the example calendar of the SLA contract. */
static void office(struct sla_calendar *cal)
{
    sla_calendar_default(cal);
    cal->mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 5; d++) {
        cal->n_spans[d] = 1;
        cal->spans[d][0] = (struct sla_span){9 * 60, 18 * 60};
    }
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(cal, &e), ERR_OK);
}

Test(sla_calendar, friday_17h_plus_2_working_hours_is_monday_10h, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    /* Friday 2026-11-27 17:00 in Berlin (UTC+1) */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-27T17:00:00+01:00"), 2), ts("2026-11-30T10:00:00+01:00"));
}

Test(sla_calendar, a_deadline_on_the_end_of_a_span_is_that_end, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-27T17:00:00+01:00"), 1), ts("2026-11-27T18:00:00+01:00"));
}

Test(sla_calendar, time_before_opening_and_at_weekends_does_not_count, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    /* Tuesday 06:00: the clock starts at 09:00 */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-24T06:00:00+01:00"), 1.5), ts("2026-11-24T10:30:00+01:00"));
    /* Saturday: nothing until Monday 09:00 */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-28T12:00:00+01:00"), 0.25), ts("2026-11-30T09:15:00+01:00"));
    /* 9 working hours = one full day: Tuesday 09:00 -> Tuesday 18:00 */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-24T09:00:00+01:00"), 9), ts("2026-11-24T18:00:00+01:00"));
    /* 10 working hours from Thursday 09:00: Friday 10:00 */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-26T09:00:00+01:00"), 10), ts("2026-11-27T10:00:00+01:00"));
}

Test(sla_calendar, holidays_are_skipped, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    cal.holidays[cal.n_holidays++] = dates_to_days("2026-11-30"); /* the Monday */
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(&cal, &e), ERR_OK);
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-27T17:00:00+01:00"), 2), ts("2026-12-01T10:00:00+01:00"));
}

Test(sla_calendar, split_days_count_each_span, .fini = back_to_utc)
{
    struct sla_calendar cal;
    sla_calendar_default(&cal);
    cal.mode = SLA_BUSINESS_HOURS;
    cal.n_spans[2] = 2; /* Wednesday, given out of order */
    cal.spans[2][0] = (struct sla_span){13 * 60, 17 * 60};
    cal.spans[2][1] = (struct sla_span){8 * 60, 12 * 60};
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(&cal, &e), ERR_OK);
    cr_expect_eq(cal.spans[2][0].start_min, 8 * 60);
    /* Wednesday 2026-11-25 11:00 UTC + 2 h: 1 h before lunch, 1 h after */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-25T11:00:00Z"), 2), ts("2026-11-25T14:00:00Z"));
    /* 8 h from 11:00: 1 + 4 today, 3 next Wednesday morning */
    cr_expect_eq(sla_calendar_add(&cal, ts("2026-11-25T11:00:00Z"), 8), ts("2026-12-02T11:00:00Z"));
}

Test(sla_calendar, working_time_is_real_time_on_dst_days, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    sla_calendar_default(&cal);
    cal.mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 7; d++) {
        cal.n_spans[d] = 1;
        cal.spans[d][0] = (struct sla_span){0, 24 * 60};
    }
    /* 2026-03-29 has 23 hours in Berlin: 24 working hours are 24 real hours */
    int64_t start = ts("2026-03-28T12:00:00+01:00");
    cr_expect_eq(sla_calendar_add(&cal, start, 24), start + 24 * HOUR);
    cr_expect_eq(sla_calendar_add(&cal, start, 24), ts("2026-03-29T13:00:00+02:00"));
}

Test(sla_calendar, calendar_hours_mode_is_plain_hours)
{
    struct sla_calendar cal;
    sla_calendar_default(&cal);
    int64_t start = ts("2026-11-27T17:00:00Z");
    cr_expect_eq(sla_calendar_add(&cal, start, 2), start + 2 * HOUR);
    cr_expect_eq(sla_calendar_add(NULL, start, 0.5), start + HOUR / 2);
}

Test(sla_calendar, normalize_refuses_overlaps_and_business_hours_without_working_time)
{
    struct sla_calendar cal;
    struct errinfo e = {0};
    sla_calendar_default(&cal);
    cal.mode = SLA_BUSINESS_HOURS;
    cr_expect_eq(sla_calendar_normalize(&cal, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "weekly");
    cal.n_spans[0] = 2;
    cal.spans[0][0] = (struct sla_span){9 * 60, 12 * 60};
    cal.spans[0][1] = (struct sla_span){11 * 60, 13 * 60};
    cr_expect_eq(sla_calendar_normalize(&cal, &e), ERR_VALIDATION_FAILED);
    cal.spans[0][1] = (struct sla_span){12 * 60, 13 * 60}; /* touching is fine */
    cal.holidays[0] = 20;
    cal.holidays[1] = 10;
    cal.holidays[2] = 20;
    cal.n_holidays = 3;
    cr_expect_eq(sla_calendar_normalize(&cal, &e), ERR_OK);
    cr_expect_eq(cal.n_holidays, 2);
    cr_expect_eq(cal.holidays[0], 10);
    cr_expect_eq(cal.holidays[1], 20);
}

Test(sla_calendar, hhmm_parses_only_real_times)
{
    cr_expect_eq(sla_parse_hhmm("00:00"), 0);
    cr_expect_eq(sla_parse_hhmm("09:30"), 570);
    cr_expect_eq(sla_parse_hhmm("24:00"), 1440);
    cr_expect_eq(sla_parse_hhmm("24:01"), -1);
    cr_expect_eq(sla_parse_hhmm("12:60"), -1);
    cr_expect_eq(sla_parse_hhmm("9:30"), -1);
    cr_expect_eq(sla_parse_hhmm("09:3x"), -1);
    cr_expect_eq(sla_parse_hhmm(NULL), -1);
}

Test(sla_calendar, weekdays_start_on_monday)
{
    cr_expect_eq(sla_weekday(0), 3); /* 1970-01-01, a Thursday */
    cr_expect_eq(sla_weekday(dates_to_days("2026-11-30")), 0);
    cr_expect_eq(sla_weekday(dates_to_days("2026-11-29")), 6);
    cr_expect_eq(sla_weekday(-1), 2);
}

static struct task sla_task(double hours, int64_t created)
{
    return (struct task){.created_at = created, .has_sla = true, .sla_hours = hours, .status = TASK_OPEN};
}

Test(sla_risk, at_risk_from_80_percent_until_the_deadline)
{
    int64_t t0 = ts("2026-06-01T09:00:00Z");
    struct task t = sla_task(10, t0);
    cr_expect_not(sla_at_risk(&t, TASK_OPEN, t0 + 8 * HOUR - 1));
    cr_expect(sla_at_risk(&t, TASK_OPEN, t0 + 8 * HOUR));
    cr_expect(sla_at_risk(&t, TASK_OVERDUE, t0 + 10 * HOUR), "at the deadline, not yet breached");
    cr_expect_not(sla_at_risk(&t, TASK_OPEN, t0 + 10 * HOUR + 1), "breached is no longer at risk");
    cr_expect_not(sla_at_risk(&t, TASK_COMPLETED, t0 + 9 * HOUR));
    cr_expect_not(sla_at_risk(&t, TASK_CANCELLED, t0 + 9 * HOUR));
    t.has_sla = false;
    cr_expect_not(sla_at_risk(&t, TASK_OPEN, t0 + 9 * HOUR));
}

Test(sla_risk, stamping_uses_working_time_for_both_instants, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    struct task t = sla_task(10, ts("2026-11-27T17:00:00+01:00")); /* Friday */
    sla_stamp(&t, &cal);
    /* 1 h on Friday, 9 on Monday: due Monday 18:00; 80% = 8 h: Monday 16:00 */
    cr_expect_eq(sla_due_at(&t), ts("2026-11-30T18:00:00+01:00"));
    cr_expect_eq(sla_risk_at(&t), ts("2026-11-30T16:00:00+01:00"));
    cr_expect_not(sla_at_risk(&t, TASK_OPEN, ts("2026-11-29T12:00:00+01:00")));
    cr_expect(sla_at_risk(&t, TASK_OPEN, ts("2026-11-30T16:00:00+01:00")));
    t.has_sla = false;
    sla_stamp(&t, &cal);
    cr_expect_eq(sla_due_at(&t), 0);
    cr_expect_eq(sla_risk_at(&t), 0);
}

Test(sla_report, percentiles_interpolate_between_closest_ranks)
{
    double v[] = {1, 2, 3, 4};
    cr_expect_float_eq(sla_percentile(v, 4, 0.5), 2.5, 1e-12);
    cr_expect_float_eq(sla_percentile(v, 4, 0.9), 3.7, 1e-12);
    cr_expect_float_eq(sla_percentile(v, 4, 0), 1, 1e-12);
    cr_expect_float_eq(sla_percentile(v, 4, 1), 4, 1e-12);
    double one[] = {7.5};
    cr_expect_float_eq(sla_percentile(one, 1, 0.5), 7.5, 1e-12);
    cr_expect_float_eq(sla_percentile(one, 1, 0.9), 7.5, 1e-12);
    double odd[] = {1, 2, 10};
    cr_expect_float_eq(sla_percentile(odd, 3, 0.5), 2, 1e-12);
    cr_expect(isnan(sla_percentile(v, 0, 0.5)));
}

Test(sla_report, window_runs_from_local_midnight_to_local_midnight, .fini = back_to_utc)
{
    int64_t a, b;
    sla_window_ms("2026-11-01", "2026-11-30", &a, &b);
    cr_expect_eq(a, ts("2026-11-01T00:00:00Z"));
    cr_expect_eq(b, ts("2026-12-01T00:00:00Z"));
    cr_assert_eq(dates_set_timezone("America/New_York"), 0);
    sla_window_ms("2026-11-01", "2026-11-01", &a, &b); /* DST ends: a 25-hour day */
    cr_expect_eq(a, ts("2026-11-01T00:00:00-04:00"));
    cr_expect_eq(b, ts("2026-11-02T00:00:00-05:00"));
    cr_expect_eq(b - a, 25 * HOUR);
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    sla_window_ms("2026-03-29", "2026-03-29", &a, &b); /* DST begins: 23 hours */
    cr_expect_eq(b - a, 23 * HOUR);
    cr_expect_eq(a, ts("2026-03-28T23:00:00Z"));
}

/* Found by fuzzing (tests/fuzz/dates.c): the windows of the first and the
 * last day a date can name came out empty (they ended before they began). */
Test(sla_report, windows_of_the_first_and_last_days_are_whole_days, .fini = back_to_utc)
{
    int64_t a, b;
    sla_window_ms("0001-01-01", "0001-01-01", &a, &b);
    cr_expect_eq(a, -62135596800000LL); /* 0001-01-01T00:00:00Z */
    cr_expect_eq(b - a, 24 * HOUR);
    sla_window_ms("9999-12-31", "9999-12-31", &a, &b);
    cr_expect_eq(a, ts("9999-12-31T00:00:00Z"));
    cr_expect_eq(b - a, 24 * HOUR);
}

/* ---- the business-hours walk against a reference ---- */

static char *show(int64_t ms)
{
    static __thread char buf[4][40];
    static __thread int i;
    char *b = buf[i++ % 4];
    dates_format_ts(ms, b, 40);
    return b;
}

/* ---- the reference: every day, every span edge through mktime ---------------- */

static int64_t ref_day_start(int64_t day)
{
    char prev[11];
    dates_from_days(day - 1, prev);
    return dates_overdue_from_ms(prev);
}

static int64_t ref_local(int64_t day, int min)
{
    if (min == 24 * 60) return ref_day_start(day + 1);
    char date[11];
    dates_from_days(day, date);
    struct tm tm = {0};
    tm.tm_year = atoi(date) - 1900;
    tm.tm_mon = atoi(date + 5) - 1;
    tm.tm_mday = atoi(date + 8);
    tm.tm_hour = min / 60;
    tm.tm_min = min % 60;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

static bool ref_holiday(const struct sla_calendar *cal, int64_t day)
{
    for (int i = 0; i < cal->n_holidays; i++)
        if (cal->holidays[i] == day) return true;
    return false;
}

static int64_t ref_add(const struct sla_calendar *cal, int64_t start, double hours)
{
    int64_t left = (int64_t)llround(hours * 3600000.0);
    if (cal->mode != SLA_BUSINESS_HOURS || left <= 0) return start + left;
    char date[11];
    dates_today(start, date);
    int64_t day = dates_to_days(date);
    for (int i = 0; i < 366 * 100; i++, day++) {
        int wd = sla_weekday(day);
        if (ref_holiday(cal, day)) continue;
        for (int k = 0; k < cal->n_spans[wd]; k++) {
            int64_t from = ref_local(day, cal->spans[wd][k].start_min), to = ref_local(day, cal->spans[wd][k].end_min);
            if (from < start) from = start;
            if (to <= from) continue;
            if (left <= to - from) return from + left;
            left -= to - from;
        }
    }
    cr_assert_fail("the reference found no deadline within 100 years");
    return 0;
}

/* ---- calendars ------------------------------------------------------------------- */

static void span(struct sla_calendar *cal, int day, const char *a, const char *b)
{
    cal->spans[day][cal->n_spans[day]++] = (struct sla_span){sla_parse_hhmm(a), sla_parse_hhmm(b)};
}

static void business(struct sla_calendar *cal)
{
    sla_calendar_default(cal);
    cal->mode = SLA_BUSINESS_HOURS;
}

static void done(struct sla_calendar *cal)
{
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(cal, &e), ERR_OK);
}

enum { CAL_OFFICE, CAL_SPLIT_NIGHTS, CAL_ALWAYS, CAL_SUNDAY_NIGHT, CAL_HOLIDAYS, CAL_WEEKEND_NIGHT, CAL__COUNT };

/* Holidays from `first` on: scattered days, a whole week, and a long run. */
static void add_holidays(struct sla_calendar *cal, int64_t first)
{
    for (int i = 0; i < 60; i++) cal->holidays[cal->n_holidays++] = first + (i * 37) % 1500;
    for (int i = 0; i < 9; i++) cal->holidays[cal->n_holidays++] = first + 200 + i;   /* a week and more */
    for (int i = 0; i < 40; i++) cal->holidays[cal->n_holidays++] = first + 900 + i;  /* ~6 weeks */
}

static void make_calendar(struct sla_calendar *cal, int which, int64_t first_day)
{
    business(cal);
    switch (which) {
    case CAL_OFFICE:
        for (int d = 0; d < 5; d++) span(cal, d, "09:00", "17:00");
        break;
    case CAL_SPLIT_NIGHTS: /* spans across the small hours, when DST changes */
        span(cal, 0, "00:00", "04:00"), span(cal, 0, "08:00", "12:30"), span(cal, 0, "13:00", "24:00");
        span(cal, 2, "01:30", "03:30");
        span(cal, 4, "09:00", "17:00");
        span(cal, 6, "00:00", "03:00"), span(cal, 6, "22:00", "24:00");
        break;
    case CAL_ALWAYS:
        for (int d = 0; d < 7; d++) span(cal, d, "00:00", "24:00");
        break;
    case CAL_SUNDAY_NIGHT: /* the fuzzer's calendar: 3 hours a week */
        span(cal, 6, "00:00", "03:00");
        break;
    case CAL_HOLIDAYS:
        for (int d = 0; d < 5; d++) span(cal, d, "08:00", "12:00"), span(cal, d, "13:00", "17:00");
        span(cal, 5, "02:00", "03:00");
        add_holidays(cal, first_day);
        break;
    case CAL_WEEKEND_NIGHT: /* Saturday 22:00 to Sunday 02:00 across midnight, and holidays */
        span(cal, 5, "22:00", "24:00"), span(cal, 6, "00:00", "02:00");
        span(cal, 2, "12:00", "12:01");
        add_holidays(cal, first_day);
        break;
    }
    done(cal);
}

/* ---- fast == reference ----------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* SLA hours across the range: small, whole and fractional, up to 8,760. */
static double some_hours(int i)
{
    static const double fixed[] = {0.001, 0.25, 1, 2.5, 3, 8, 24, 40, 100, 876, 2000, 7000, 8760};
    if (i < (int)(sizeof fixed / sizeof fixed[0])) return fixed[i];
    uint64_t r = next_rand();
    switch (r % 3) {
    case 0: return (double)(r >> 8 & 0x3ff) / 16.0 + 0.01;  /* up to 64 h */
    case 1: return (double)((r >> 8) % 720) + 0.5;            /* up to 720 h */
    default: return (double)((r >> 8) % 8760) + 1;           /* up to 8,760 h */
    }
}

static void check_against_reference(const char *zone, const char *from, int days, int n)
{
    cr_assert_eq(dates_set_timezone(zone), 0, "%s", zone);
    int64_t t0 = ts(from);
    char d0[11];
    dates_today(t0, d0);
    for (int which = 0; which < CAL__COUNT; which++) {
        struct sla_calendar cal;
        make_calendar(&cal, which, dates_to_days(d0));
        for (int i = 0; i < n; i++) {
            /* starts to the minute and to the millisecond, at any hour */
            int64_t start = t0 + (int64_t)(next_rand() % ((uint64_t)days * 86400)) * 1000;
            if (i % 3 == 0) start += (int64_t)(next_rand() % 1000);
            if (i % 5 == 0) start -= start % 60000;
            double h = some_hours(i);
            if (which == CAL_SUNDAY_NIGHT && h > 2000) h = 2000; /* ~13 years of Sundays: the reference is slow */
            int64_t want = ref_add(&cal, start, h), got = sla_calendar_add(&cal, start, h);
            cr_assert_eq(got, want, "%s, calendar %d, from %s + %g h: %s, the reference says %s", zone, which,
                         show(start), h, show(got), show(want));
        }
    }
}

Test(sla_walk, equals_the_reference_in_utc, .fini = back_to_utc)
{
    check_against_reference("UTC", "2026-11-01T00:00:00Z", 400, 40);
}

Test(sla_walk, equals_the_reference_in_berlin_where_dst_changes_at_night, .fini = back_to_utc)
{
    check_against_reference("Europe/Berlin", "2026-03-20T00:00:00Z", 400, 40);
}

Test(sla_walk, equals_the_reference_in_new_york, .fini = back_to_utc)
{
    check_against_reference("America/New_York", "2026-10-25T00:00:00Z", 200, 30);
}

Test(sla_walk, equals_the_reference_where_dst_moves_by_half_an_hour, .fini = back_to_utc)
{
    check_against_reference("Australia/Lord_Howe", "2026-03-30T00:00:00Z", 400, 30);
}

Test(sla_walk, equals_the_reference_where_dst_changed_at_midnight, .fini = back_to_utc)
{
    /* Brazil moved its clocks at 00:00 until 2019: some days had no midnight */
    check_against_reference("America/Sao_Paulo", "2016-10-10T00:00:00Z", 700, 30);
}

Test(sla_walk, equals_the_reference_where_a_whole_day_was_skipped, .fini = back_to_utc)
{
    /* Samoa went from UTC-10 to UTC+14 and had no 2011-12-30 */
    check_against_reference("Pacific/Apia", "2011-12-20T00:00:00Z", 20, 30);
}

Test(sla_walk, equals_the_reference_where_dst_ended_a_week_after_it_began, .fini = back_to_utc)
{
    /* the two closest cancelling changes in tzdata, 167 h apart: Brazil's
     * north-east in 2000 and Gaza in 2040 (each pair straddles a Monday) */
    check_against_reference("America/Recife", "2000-09-25T00:00:00Z", 40, 25);
    check_against_reference("Asia/Gaza", "2040-10-10T00:00:00Z", 40, 25);
}

Test(sla_walk, equals_the_reference_with_an_offset_of_five_and_a_half_hours, .fini = back_to_utc)
{
    check_against_reference("Asia/Kolkata", "2026-06-01T00:00:00Z", 30, 20);
}

/* ---- monotonic, risk before deadline, no fallback --------------------------------- */

static void check_monotonic(const char *zone)
{
    cr_assert_eq(dates_set_timezone(zone), 0);
    int64_t start = ts("2026-12-01T10:17:00Z");
    char d0[11];
    dates_today(start, d0);
    for (int which = 0; which < CAL__COUNT; which++) {
        struct sla_calendar cal;
        make_calendar(&cal, which, dates_to_days(d0));
        int64_t prev = start;
        /* every quarter hour up to 100 hours, then every 23 h 20 min to 8,760 */
        for (double h = 0.05; h <= 8760; h += h < 100 ? 0.25 : 23.333) {
            struct task t = {.created_at = start, .has_sla = true, .sla_hours = h, .status = TASK_OPEN};
            sla_stamp(&t, &cal);
            cr_assert_geq(t.sla_due_ms, prev, "%s, calendar %d: %g h is due %s, before %s", zone, which, h,
                          show(t.sla_due_ms), show(prev));
            cr_assert_leq(t.sla_risk_ms, t.sla_due_ms, "%s, calendar %d: %g h at risk %s after its deadline %s", zone,
                          which, h, show(t.sla_risk_ms), show(t.sla_due_ms));
            cr_assert_gt(t.sla_risk_ms, start);
            prev = t.sla_due_ms;
        }
    }
}

Test(sla_walk, deadlines_grow_with_hours_and_risk_comes_first_in_utc, .fini = back_to_utc) { check_monotonic("UTC"); }

Test(sla_walk, deadlines_grow_with_hours_and_risk_comes_first_in_berlin, .fini = back_to_utc)
{
    check_monotonic("Europe/Berlin");
}

Test(sla_walk, stamping_gives_the_same_two_instants_as_two_walks, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    for (int which = 0; which < CAL__COUNT; which++) {
        struct sla_calendar cal;
        make_calendar(&cal, which, dates_to_days("2026-12-01"));
        for (int i = 0; i < 30; i++) {
            double h = some_hours(i);
            struct task t = {.created_at = ts("2026-12-01T08:00:00Z") + i * 7777777LL, .has_sla = true, .sla_hours = h};
            sla_stamp(&t, &cal);
            cr_expect_eq(t.sla_due_ms, sla_calendar_add(&cal, t.created_at, h));
            cr_expect_eq(t.sla_risk_ms, sla_calendar_add(&cal, t.created_at, h * SLA_RISK_FRACTION));
        }
    }
}

Test(sla_walk, the_fuzzers_sunday_calendar_has_no_calendar_hours_fallback, .fini = back_to_utc)
{
    /* Sunday 00:00-03:00: 8,760 hours are 2,920 Sundays, ~56 years */
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    struct sla_calendar cal;
    make_calendar(&cal, CAL_SUNDAY_NIGHT, 0);
    int64_t start = ts("2026-06-01T09:30:00Z");
    struct task a = {.created_at = start, .has_sla = true, .sla_hours = 7000};
    struct task b = {.created_at = start, .has_sla = true, .sla_hours = 8760};
    sla_stamp(&a, &cal);
    sla_stamp(&b, &cal);
    cr_expect_gt(b.sla_due_ms, a.sla_due_ms, "8760 h: %s, 7000 h: %s", show(b.sla_due_ms), show(a.sla_due_ms));
    cr_expect_leq(b.sla_risk_ms, b.sla_due_ms);
    cr_expect_gt(b.sla_due_ms, ts("2082-01-01T00:00:00Z"), "not the calendar-hours 2027: %s", show(b.sla_due_ms));
    /* 2,920 Sundays after Sunday 2026-06-07, the last one worked to 03:00 */
    cr_expect_eq(b.sla_due_ms, ts("2026-06-07T03:00:00Z") + 2919LL * 7 * 24 * HOUR);
}

Test(sla_walk, a_deadline_past_the_horizon_is_capped_not_sent_back_to_calendar_hours, .fini = back_to_utc)
{
    /* one minute a week (only a calendar stored before the minimum existed) */
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    struct sla_calendar cal;
    business(&cal);
    span(&cal, 2, "12:00", "12:01");
    done(&cal);
    int64_t start = ts("2026-06-01T09:30:00Z");
    int64_t far = sla_calendar_add(&cal, start, 8760), less = sla_calendar_add(&cal, start, 80);
    cr_expect_gt(far, start + (int64_t)(SLA_CAL_HORIZON_YEARS - 1) * 365 * 24 * HOUR);
    cr_expect_geq(far, less);
    cr_expect_eq(sla_calendar_add(&cal, start, 8000), far, "past the horizon every deadline is the horizon");
}

Test(sla_walk, a_sparse_year_long_sla_costs_well_under_a_millisecond, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    business(&cal);
    span(&cal, 1, "09:00", "17:00"), span(&cal, 3, "09:00", "17:00"), span(&cal, 4, "09:00", "10:00"); /* 17 h a week */
    done(&cal);
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_check_capacity(&cal, &e), ERR_OK, "17 h a week is allowed");
    struct task t = {.created_at = ts("2026-06-01T09:30:00Z"), .has_sla = true, .sla_hours = 8760};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 100; i++, t.created_at += 3 * HOUR) sla_stamp(&t, &cal);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) / 100;
    cr_log_info("sla_stamp, 8760 h at 17 h a week in Berlin: %.1f us", us);
    /* 30-110 us here (the machine shared); the day-by-day walk took 5-6 ms */
#ifdef __SANITIZE_ADDRESS__
    const double bound = 4000; /* ASan is ~3x slower */
#else
    const double bound = 1000;
#endif
    cr_expect_lt(us, bound, "one stamp took %.0f us", us);
    cr_expect_eq(t.sla_due_ms, ref_add(&cal, t.created_at, 8760));
}

/* ---- the minimum working time ------------------------------------------------------ */

Test(sla_walk, a_calendar_with_fewer_than_876_working_hours_a_year_is_refused)
{
    struct sla_calendar cal;
    struct errinfo e = {0};
    make_calendar(&cal, CAL_SUNDAY_NIGHT, 0); /* 156 h a year */
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "weekly");
    cr_expect(strstr(e.message, "876"), "%s", e.message);
    make_calendar(&cal, CAL_OFFICE, 0); /* Mon-Fri 09:00-17:00: 2,080 h a year */
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_OK);
    /* the boundary: 16 h 51 min a week is 876.2 h a year; 16 h 50 min is 875.3 */
    business(&cal);
    span(&cal, 0, "00:00", "16:51");
    done(&cal);
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_OK);
    cal.spans[0][0].end_min--;
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_VALIDATION_FAILED);
    /* calendar_hours ignores its spans */
    cal.mode = SLA_CALENDAR_HOURS;
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_OK);
}

Test(sla_walk, holidays_do_not_count_against_the_minimum)
{
    struct sla_calendar cal;
    struct errinfo e = {0};
    make_calendar(&cal, CAL_OFFICE, 0);
    for (int i = 0; i < SLA_CAL_MAX_HOLIDAYS; i++) cal.holidays[i] = dates_to_days("2027-01-01") + i;
    cal.n_holidays = SLA_CAL_MAX_HOLIDAYS;
    done(&cal);
    cr_expect_eq(sla_calendar_check_capacity(&cal, &e), ERR_OK);
    /* 8,760 hours still fit: ten years and the 1,000 holidays */
    int64_t start = ts("2026-12-01T09:00:00Z");
    cr_expect_lt(sla_calendar_add(&cal, start, 8760), start + (3653LL + 1000) * 24 * HOUR);
}
