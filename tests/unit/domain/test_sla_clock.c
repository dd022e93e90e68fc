/* Unit tests of domain/sla's SLA clocks with the clock set: the SLA time a
 * pause takes (across a business-hours boundary, across DST changes, plain
 * in calendar_hours mode), the deadline with a restarted clock and paused
 * time, a paused clock judged at the pause's start, and the policy by
 * priority (creation and priority changes). */
#include <criterion/criterion.h>

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

/* Mon-Fri 09:00-18:00 */
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

static void always(struct sla_calendar *cal)
{
    sla_calendar_default(cal);
    cal->mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 7; d++) {
        cal->n_spans[d] = 1;
        cal->spans[d][0] = (struct sla_span){0, 24 * 60};
    }
}

/* ---- the SLA time of a pause ---- */

Test(sla_clock, a_pause_over_a_weekend_counts_only_the_working_hours_in_it, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    /* Friday 17:00 to Monday 10:00: 17-18 and 09-10 */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-11-27T17:00:00+01:00"), ts("2026-11-30T10:00:00+01:00")),
                 2 * HOUR);
    /* inside the night: nothing */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-11-24T19:00:00+01:00"), ts("2026-11-25T08:00:00+01:00")), 0);
    /* backwards or empty: nothing */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-11-25T12:00:00+01:00"), ts("2026-11-25T11:00:00+01:00")), 0);
    /* one whole week: 45 hours */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-11-23T00:00:00+01:00"), ts("2026-11-30T00:00:00+01:00")),
                 45 * HOUR);
}

Test(sla_clock, a_pause_skips_holidays, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    cal.holidays[cal.n_holidays++] = dates_to_days("2026-11-30");
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(&cal, &e), ERR_OK);
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-11-27T17:00:00+01:00"), ts("2026-12-01T10:00:00+01:00")),
                 2 * HOUR);
}

Test(sla_clock, a_pause_across_a_dst_change_counts_real_time, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    always(&cal);
    /* noon to noon over 2026-03-29, a day of 23 hours */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-03-28T12:00:00+01:00"), ts("2026-03-29T12:00:00+02:00")),
                 23 * HOUR);
    /* and over 2026-10-25, a day of 25 hours */
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-10-24T12:00:00+02:00"), ts("2026-10-25T12:00:00+01:00")),
                 25 * HOUR);
    /* office hours on the DST weekend: Friday 17-18 and Monday 09-10 */
    office(&cal);
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-03-27T17:00:00+01:00"), ts("2026-03-30T10:00:00+02:00")),
                 2 * HOUR);
    /* calendar_hours: plain time */
    sla_calendar_default(&cal);
    cr_expect_eq(sla_calendar_between(&cal, ts("2026-03-28T12:00:00+01:00"), ts("2026-03-29T12:00:00+02:00")),
                 23 * HOUR);
    cr_expect_eq(sla_calendar_between(NULL, T0, T0 + 1234), 1234);
}

Test(sla_clock, paused_time_moves_the_deadline_across_the_business_hours_boundary, .fini = back_to_utc)
{
    cr_assert_eq(dates_set_timezone("Europe/Berlin"), 0);
    struct sla_calendar cal;
    office(&cal);
    /* created Friday 16:00 with 4 working hours: Monday 11:00 */
    struct task t = {.created_at = ts("2026-11-27T16:00:00+01:00"), .has_sla = true, .sla_hours = 4,
                     .status = TASK_OPEN};
    sla_stamp(&t, &cal);
    cr_expect_eq(sla_due_at(&t), ts("2026-11-30T11:00:00+01:00"));
    /* paused Friday 17:00, resumed Monday 10:00: 2 working hours paused */
    t.sla_paused_ms = sla_calendar_between(&cal, ts("2026-11-27T17:00:00+01:00"), ts("2026-11-30T10:00:00+01:00"));
    sla_stamp(&t, &cal);
    cr_expect_eq(sla_due_at(&t), ts("2026-11-30T13:00:00+01:00"), "2 working hours later");
    /* the 80% instant (3.2 h) moves by the same working time: Monday 12:12 */
    cr_expect_eq(sla_risk_at(&t), ts("2026-11-30T12:12:00+01:00"));
}

/* ---- restart and pause in the deadline ---- */

Test(sla_clock, a_restarted_clock_counts_from_its_start)
{
    struct task t = {.created_at = T0, .has_sla = true, .sla_hours = 12, .status = TASK_OPEN};
    cr_expect_eq(sla_clock_start(&t), T0, "never restarted: the creation");
    t.sla_started_at = T0 + 30 * HOUR;
    cr_expect_eq(sla_clock_start(&t), T0 + 30 * HOUR);
    cr_expect_eq(sla_due_at(&t), T0 + 42 * HOUR, "12 means 12 from the restart");
    sla_stamp(&t, NULL);
    cr_expect_eq(t.sla_due_ms, T0 + 42 * HOUR);
    cr_expect_eq(t.sla_risk_ms, T0 + 30 * HOUR + (int64_t)(12 * 0.8 * HOUR));
    t.sla_paused_ms = 5000;
    sla_stamp(&t, NULL);
    cr_expect_eq(sla_due_at(&t), T0 + 42 * HOUR + 5000, "paused time comes on top");
}

Test(sla_clock, a_paused_clock_is_judged_at_the_start_of_its_pause)
{
    struct task t = {.created_at = T0, .has_sla = true, .sla_hours = 1, .status = TASK_OPEN};
    t.sla_paused_at = T0 + 30 * 60000; /* before the 80% instant */
    cr_expect_eq(sla_judged_at(&t, T0 + 5 * HOUR), t.sla_paused_at);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 5 * HOUR), SLA_OK, "time passing breaches no paused clock");
    cr_expect(!sla_at_risk(&t, TASK_OPEN, T0 + 5 * HOUR));
    t.sla_paused_at = T0 + 55 * 60000; /* paused while at risk: stays at risk, never breached */
    cr_expect(sla_at_risk(&t, TASK_OPEN, T0 + 5 * HOUR));
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 5 * HOUR), SLA_OK);
    t.sla_paused_at = T0 + 2 * HOUR; /* paused after the breach: it stays breached */
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 5 * HOUR), SLA_BREACHED);
    t.sla_paused_at = 0;
    cr_expect_eq(sla_judged_at(&t, T0 + 5 * HOUR), T0 + 5 * HOUR);
}

Test(sla_clock, a_breach_clears_when_the_deadline_moves_later_and_comes_back_after_it)
{
    struct task t = {.created_at = T0, .has_sla = true, .sla_hours = 1, .status = TASK_OPEN};
    int64_t now = T0 + 2 * HOUR;
    cr_expect_eq(sla_breached(&t, TASK_OPEN, now), SLA_BREACHED);
    t.sla_started_at = now; /* restarted */
    cr_expect_eq(sla_breached(&t, TASK_OPEN, now), SLA_OK, "cleared");
    cr_expect_eq(sla_breached(&t, TASK_OPEN, now + HOUR), SLA_OK, "at the new deadline: not yet");
    cr_expect_eq(sla_breached(&t, TASK_OPEN, now + HOUR + 1), SLA_BREACHED, "breached again after it");
}

/* ---- the policy by priority ---- */

static struct sla_policy policy(void)
{
    struct sla_policy p;
    sla_policy_default(&p);
    p.has[PRIORITY_URGENT] = true, p.hours[PRIORITY_URGENT] = 4;
    p.has[PRIORITY_HIGH] = true, p.hours[PRIORITY_HIGH] = 24;
    return p;
}

Test(sla_policy, a_task_created_without_hours_takes_its_prioritys)
{
    struct sla_policy p = policy();
    struct task t = {.priority = PRIORITY_URGENT};
    sla_policy_apply(&p, &t);
    cr_expect(t.has_sla && t.sla_hours == 4 && t.sla_by_policy);
    struct task m = {.priority = PRIORITY_MEDIUM, .has_sla = true, .sla_hours = 9};
    sla_policy_apply(&p, &m);
    cr_expect(!m.has_sla && m.sla_by_policy, "MEDIUM's none is a value too");
    struct sla_policy none;
    sla_policy_default(&none);
    for (int i = 0; i < 4; i++) cr_expect(!none.has[i]);
}

Test(sla_policy, a_priority_change_moves_policy_hours_but_never_hand_set_ones)
{
    struct sla_policy p = policy();
    bool has;
    double hours;
    /* MEDIUM without an SLA (MEDIUM's none) raised to URGENT: 4 hours */
    struct task t = {.priority = PRIORITY_MEDIUM, .sla_by_policy = true};
    cr_expect(sla_policy_on_priority(&p, &t, PRIORITY_URGENT, &has, &hours));
    cr_expect(has && hours == 4);
    /* URGENT's 4 lowered to HIGH: 24; to LOW: none */
    struct task u = {.priority = PRIORITY_URGENT, .has_sla = true, .sla_hours = 4, .sla_by_policy = true};
    cr_expect(sla_policy_on_priority(&p, &u, PRIORITY_HIGH, &has, &hours) && has && hours == 24);
    cr_expect(sla_policy_on_priority(&p, &u, PRIORITY_LOW, &has, &hours) && !has);
    /* LOW to MEDIUM: both none, nothing moves */
    struct task l = {.priority = PRIORITY_LOW, .sla_by_policy = true};
    cr_expect(!sla_policy_on_priority(&p, &l, PRIORITY_MEDIUM, &has, &hours));
    /* hours by hand never move, whatever they are */
    struct task h = {.priority = PRIORITY_MEDIUM, .has_sla = true, .sla_hours = 10};
    cr_expect(!sla_policy_on_priority(&p, &h, PRIORITY_URGENT, &has, &hours));
    struct task hn = {.priority = PRIORITY_MEDIUM};
    cr_expect(!sla_policy_on_priority(&p, &hn, PRIORITY_URGENT, &has, &hours), "an explicit null is by hand");
    /* policy hours that are no longer the old priority's value (the policy changed) stay */
    struct task old = {.priority = PRIORITY_HIGH, .has_sla = true, .sla_hours = 12, .sla_by_policy = true};
    cr_expect(!sla_policy_on_priority(&p, &old, PRIORITY_URGENT, &has, &hours));
    /* the same priority: nothing */
    cr_expect(!sla_policy_on_priority(&p, &u, PRIORITY_URGENT, &has, &hours));
}
