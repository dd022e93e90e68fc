/* sla.h: service-level targets. sla_due_at = sla_started_at + sla_hours of
 * SLA time + the time paused (created_at unless the clock was restarted).
 * sla_breached is null without an SLA; true when completed after sla_due_at
 * or still active past it (judged at the pause's start while the clock is
 * paused); false otherwise (cancelled tasks included). */
#ifndef OPSTASKS_SLA_H
#define OPSTASKS_SLA_H

#include <stdint.h>

#include "domain/task.h"

/* The deadline in ms, or 0 when the task has no SLA. */
int64_t sla_due_at(const struct task *t);
/* The SLA clock's start: sla_started_at, or created_at when never set. */
int64_t sla_clock_start(const struct task *t);
/* The instant an active task's SLA is judged at: now_ms, or the start of
 * the pause in progress (a paused clock stands still: no breach, no risk
 * comes of time passing). */
int64_t sla_judged_at(const struct task *t, int64_t now_ms);

enum sla_state { SLA_NONE = -1, SLA_OK = 0, SLA_BREACHED = 1 };
/* effective is the task's effective status at now_ms. */
enum sla_state sla_breached(const struct task *t, enum task_status effective, int64_t now_ms);

/* ---- SLA tracking: at risk, the business-hours calendar, report maths ---- */

#include <stdbool.h>
#include <stddef.h>

#define SLA_RISK_FRACTION 0.8
#define SLA_CAL_MAX_SPANS 8        /* working spans per weekday */
#define SLA_CAL_MAX_HOLIDAYS 1000

enum sla_mode { SLA_CALENDAR_HOURS, SLA_BUSINESS_HOURS };

/* Working time of one weekday, minutes after local midnight, [start, end). */
struct sla_span {
    int start_min, end_min;
};

/* The SLA calendar in the server's timezone. Weekday 0 is Monday. Spans of a
 * day are sorted and disjoint, holidays are sorted days since 1970-01-01
 * (sla_calendar_normalize makes them so). */
struct sla_calendar {
    enum sla_mode mode;
    int n_spans[7];
    struct sla_span spans[7][SLA_CAL_MAX_SPANS];
    int n_holidays;
    int64_t holidays[SLA_CAL_MAX_HOLIDAYS];
};

/* The default: calendar_hours, no working spans, no holidays. */
void sla_calendar_default(struct sla_calendar *cal);
/* Sorts spans and holidays, drops duplicate holidays; refuses overlapping
 * spans and a business_hours calendar without any working time (e names the
 * field: "weekly"). */
enum err sla_calendar_normalize(struct sla_calendar *cal, struct errinfo *e);
/* "HH:MM" (00:00 to 24:00) as minutes, or -1. */
int sla_parse_hhmm(const char *s);
/* 0 = Monday .. 6 = Sunday, for days since 1970-01-01. */
int sla_weekday(int64_t days);

/* The least working time a business_hours calendar may hold, so that the
 * largest SLA (8,760 hours) fits within ten years: a year counts as 52 weeks
 * of the weekly spans (holidays do not count against it: there are at most
 * SLA_CAL_MAX_HOLIDAYS of them, so they delay a deadline by at most that many
 * days). Checked when a calendar is set, not when a stored one is loaded. */
#define SLA_CAL_MIN_YEAR_HOURS 876
/* How far a deadline may lie: only a calendar stored before the check above
 * can reach it; such deadlines are capped there (still monotonic). */
#define SLA_CAL_HORIZON_YEARS 100

/* The working minutes of one week (the sum of the spans). */
int sla_calendar_weekly_minutes(const struct sla_calendar *cal);
/* ERR_OK, or 422 naming "weekly" when a business_hours calendar holds fewer
 * than SLA_CAL_MIN_YEAR_HOURS a year. */
enum err sla_calendar_check_capacity(const struct sla_calendar *cal, struct errinfo *e);

/* The instant `hours` of SLA time after start_ms: plain hours in
 * calendar_hours mode, working time only in business_hours mode (a start
 * inside a span counts from the start; a deadline that lands exactly on the
 * end of a span is that end). Weakly monotonic in hours. Whole weeks without
 * a holiday or a DST change are counted in one step. */
int64_t sla_calendar_add(const struct sla_calendar *cal, int64_t start_ms, double hours);

/* The SLA time between from_ms and to_ms (0 when to <= from): plain time
 * in calendar_hours mode (or without cal), the working time of the spans
 * in business_hours mode, holidays excluded, right across DST changes.
 * Walks day by day, at most SLA_CAL_HORIZON_YEARS. */
int64_t sla_calendar_between(const struct sla_calendar *cal, int64_t from_ms, int64_t to_ms);

/* ---- the SLA policy by priority -------------------------------------- */

/* The hours a task created without sla_hours gets for its priority:
 * has[p] false is "no SLA" for that priority. */
struct sla_policy {
    bool has[4];      /* indexed by enum task_priority */
    double hours[4];
};
/* The default: no SLA for any priority. */
void sla_policy_default(struct sla_policy *p);
/* Gives t (a new task created without sla_hours) the policy's hours for
 * its priority, and marks them as the policy's. */
void sla_policy_apply(const struct sla_policy *p, struct task *t);
/* What a change of t's priority to `to` does to its SLA: true, with the
 * new hours in *has and *hours, when t's hours came from the policy (never
 * hand-set ones), equal the old priority's policy value (none counting as
 * a value) and the new priority's value differs; false: hours stay. */
bool sla_policy_on_priority(const struct sla_policy *p, const struct task *t, enum task_priority to, bool *has,
                            double *hours);

/* Sets t->sla_due_ms and t->sla_risk_ms from the clock's start (sla_clock_start), sla_hours and the paused time with
 * cal (both 0 when the task has no SLA), in one walk of the calendar; the
 * 80% instant is never after the deadline. */
void sla_stamp(struct task *t, const struct sla_calendar *cal);
/* The 80% instant, or 0 without an SLA. */
int64_t sla_risk_at(const struct task *t);
/* True while the task is active, not breached, and now_ms >= its 80% instant
 * (both judged at sla_judged_at). */
bool sla_at_risk(const struct task *t, enum task_status effective, int64_t now_ms);

/* The p-th percentile (0..1) of n sorted values, by linear interpolation
 * between closest ranks (numpy's default); NaN when n is 0. */
double sla_percentile(const double *sorted, size_t n, double p);

/* The instants [start, end) of the days from..to inclusive (YYYY-MM-DD) in the
 * server's timezone: local midnight of `from` to local midnight after `to`. */
void sla_window_ms(const char *from, const char *to, int64_t *start_ms, int64_t *end_ms);

#endif
