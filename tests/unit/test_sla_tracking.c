/* Unit tests of domain/sla's SLA tracking (issue 3): the business-hours
 * calendar (nights, weekends, holidays, DST days), the 80% "at risk" rule,
 * percentiles and the report window's timezone day boundaries. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"

#define HOUR 3600000LL

static void back_to_utc(void) { dates_set_timezone("UTC"); }

static int64_t ts(const char *s)
{
    int64_t ms = 0;
    cr_assert_eq(dates_parse_ts(s, &ms), 0, "%s", s);
    return ms;
}

/* Mon-Fri 09:00-18:00, the example calendar. */
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
