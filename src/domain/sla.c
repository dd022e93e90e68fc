/* sla.c: SLA deadline and breach, computed from the task alone. */
#include "domain/sla.h"

#include <math.h>
#include <string.h>

int64_t sla_clock_start(const struct task *t) { return t->sla_started_at ? t->sla_started_at : t->created_at; }

int64_t sla_judged_at(const struct task *t, int64_t now_ms)
{
    return t->sla_paused_at && t->sla_paused_at < now_ms ? t->sla_paused_at : now_ms;
}

int64_t sla_due_at(const struct task *t)
{
    if (!t->has_sla) return 0;
    if (t->sla_due_ms) return t->sla_due_ms; /* stamped with the SLA calendar */
    return sla_clock_start(t) + (int64_t)llround(t->sla_hours * 3600000.0) + t->sla_paused_ms;
}

enum sla_state sla_breached(const struct task *t, enum task_status effective, int64_t now_ms)
{
    if (!t->has_sla) return SLA_NONE;
    int64_t due = sla_due_at(t);
    if (effective == TASK_COMPLETED) return t->completed_at > due ? SLA_BREACHED : SLA_OK;
    if (task_status_is_active(effective)) return sla_judged_at(t, now_ms) > due ? SLA_BREACHED : SLA_OK;
    return SLA_OK;
}

void sla_policy_default(struct sla_policy *p) { memset(p, 0, sizeof *p); }

void sla_policy_apply(const struct sla_policy *p, struct task *t)
{
    t->has_sla = p->has[t->priority];
    t->sla_hours = t->has_sla ? p->hours[t->priority] : 0;
    t->sla_by_policy = true;
}

bool sla_policy_on_priority(const struct sla_policy *p, const struct task *t, enum task_priority to, bool *has,
                            double *hours)
{
    enum task_priority from = t->priority;
    if (!t->sla_by_policy || from == to) return false;
    bool was = t->has_sla == p->has[from] && (!t->has_sla || t->sla_hours == p->hours[from]);
    bool same = p->has[from] == p->has[to] && (!p->has[to] || p->hours[from] == p->hours[to]);
    if (!was || same) return false;
    *has = p->has[to];
    *hours = p->has[to] ? p->hours[to] : 0;
    return true;
}

/* ---- SLA tracking -------------------------------------------------- */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"

/* The first instant of local day `day` (right on DST days, see dates.c). */
static int64_t sla_window_start_of(int64_t day) { return dates_day_start_ms(day); }

void sla_calendar_default(struct sla_calendar *cal)
{
    memset(cal, 0, sizeof *cal);
    cal->mode = SLA_CALENDAR_HOURS;
}

static int cmp_span(const void *a, const void *b)
{
    const struct sla_span *x = a, *y = b;
    return x->start_min != y->start_min ? (x->start_min < y->start_min ? -1 : 1)
                                        : (x->end_min < y->end_min ? -1 : x->end_min > y->end_min);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum err sla_calendar_normalize(struct sla_calendar *cal, struct errinfo *e)
{
    for (int d = 0; d < 7; d++) {
        qsort(cal->spans[d], (size_t)cal->n_spans[d], sizeof cal->spans[d][0], cmp_span);
        for (int i = 0; i < cal->n_spans[d]; i++) {
            const struct sla_span *s = &cal->spans[d][i];
            if (s->start_min < 0 || s->end_min > 24 * 60 || s->start_min >= s->end_min)
                return err_set(e, ERR_VALIDATION_FAILED, "weekly", "each span must start before it ends, within 00:00-24:00");
            if (i && s->start_min < cal->spans[d][i - 1].end_min)
                return err_set(e, ERR_VALIDATION_FAILED, "weekly", "the spans of a day must not overlap");
        }
    }
    if (cal->mode == SLA_BUSINESS_HOURS && sla_calendar_weekly_minutes(cal) == 0)
        return err_set(e, ERR_VALIDATION_FAILED, "weekly", "business_hours needs working time on at least one weekday");
    qsort(cal->holidays, (size_t)cal->n_holidays, sizeof cal->holidays[0], cmp_i64);
    int n = 0;
    for (int i = 0; i < cal->n_holidays; i++)
        if (n == 0 || cal->holidays[n - 1] != cal->holidays[i]) cal->holidays[n++] = cal->holidays[i];
    cal->n_holidays = n;
    return ERR_OK;
}

int sla_parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
}

int sla_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0) */
    return (int)(((days + 3) % 7 + 7) % 7);
}

/* The instant of minute `min` of local day `day` (minute 1440 is the next
 * day's midnight); mktime picks the later side of a DST gap. */
static int64_t local_ms(int64_t day, int min)
{
    if (min == 24 * 60) return sla_window_start_of(day + 1);
    char date[11];
    dates_from_days(day, date);
    struct tm tm = {0};
    tm.tm_year = atoi(date) - 1900;
    tm.tm_mon = (date[5] - '0') * 10 + (date[6] - '0') - 1;
    tm.tm_mday = (date[8] - '0') * 10 + (date[9] - '0');
    tm.tm_hour = min / 60;
    tm.tm_min = min % 60;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

int sla_calendar_weekly_minutes(const struct sla_calendar *cal)
{
    int working = 0;
    for (int d = 0; d < 7; d++)
        for (int i = 0; i < cal->n_spans[d]; i++) working += cal->spans[d][i].end_min - cal->spans[d][i].start_min;
    return working;
}

enum err sla_calendar_check_capacity(const struct sla_calendar *cal, struct errinfo *e)
{
    if (cal->mode != SLA_BUSINESS_HOURS) return ERR_OK;
    int week = sla_calendar_weekly_minutes(cal);
    /* 52 weeks: the least any 365 days hold, whichever weekday they start on */
    if (52LL * week >= SLA_CAL_MIN_YEAR_HOURS * 60LL) return ERR_OK;
    return err_set(e, ERR_VALIDATION_FAILED, "weekly",
                   "business_hours needs at least %d working hours a year (16:51 a week) so that the largest SLA "
                   "(8760 hours) fits within ten years; this calendar has %d:%02d a week, %lld hours a year",
                   SLA_CAL_MIN_YEAR_HOURS, week / 60, week % 60, 52LL * week / 60);
}

/* The walk's position: local day `day` starts at instant `mid` (ms) with UTC
 * offset `off` (s); `hol` indexes the first holiday on or after `day`. */
struct walk {
    const struct sla_calendar *cal;
    int64_t day, mid;
    long off;
    int hol;
};

static long offset_at(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
}

/* True when local day w->day + n starts exactly n * 24 hours after w->mid
 * with the same UTC offset, a stretch without a DST change (one
 * localtime_r), with that instant in *mid and the offset in *off. Otherwise
 * false, and *mid and *off are found by sla_window_start_of's binary search
 * when `search` asks for them. */
static bool midnight_after(const struct walk *w, int n, bool search, int64_t *mid, long *off)
{
    int64_t guess = w->mid + (int64_t)n * 86400000;
    time_t t = (time_t)(guess / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    /* the weekday too: a zone that skipped a whole day (Pacific/Apia, 2011) */
    if (tm.tm_gmtoff == w->off && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 &&
        (tm.tm_wday + 6) % 7 == sla_weekday(w->day + n)) {
        *mid = guess;
        *off = w->off;
        return true;
    }
    if (!search) return false;
    *mid = sla_window_start_of(w->day + n);
    *off = offset_at(*mid);
    return false;
}

static void walk_to(struct walk *w, int n, int64_t mid, long off)
{
    w->day += n;
    w->mid = mid;
    w->off = off;
    while (w->hol < w->cal->n_holidays && w->cal->holidays[w->hol] < w->day) w->hol++;
}

/* Working time is counted in whole weeks where that is exact (a week without
 * a holiday or a DST change holds the weekly minutes), day by day elsewhere:
 * the partial first week, the week of the deadline, holiday and DST weeks. A
 * sparse calendar over ten years is ~520 weekly steps of one localtime_r
 * each, instead of ~3,650 days with their span edges. Days with spans are
 * walked as before: midnight plus minutes on a day of 24 hours, mktime for
 * each edge on a DST day. amount[] ascending (ms of working time); out[i] is
 * the instant amount[i] of working time after start_ms. Two DST changes that
 * cancel within one Monday-to-Monday week would pass for a plain week:
 * tzdata has none from 1970 to 2100 (the closest pairs, 167 h apart, Brazil
 * 2000 and Gaza 2040-2072, straddle a Monday; the unit tests walk them). */
#define SLA_CAL_HORIZON_DAYS (366LL * SLA_CAL_HORIZON_YEARS)
static void calendar_walk(const struct sla_calendar *cal, int64_t start_ms, int n, const int64_t *amount, int64_t *out)
{
    int done = 0;
    while (done < n && amount[done] <= 0) {
        out[done] = start_ms + amount[done];
        done++;
    }
    if (done == n) return;
    char date[11];
    dates_today(start_ms, date);
    struct walk w = {.cal = cal, .day = dates_to_days(date)};
    w.mid = sla_window_start_of(w.day);
    w.off = offset_at(w.mid);
    walk_to(&w, 0, w.mid, w.off);
    const int64_t first = w.day, week = (int64_t)sla_calendar_weekly_minutes(cal) * 60000;
    int64_t used = 0; /* working time counted from start_ms */
    while (done < n) {
        if (w.day - first >= SLA_CAL_HORIZON_DAYS) {
            /* only a calendar stored before sla_calendar_check_capacity */
            for (; done < n; done++) out[done] = w.mid;
            return;
        }
        int wd = sla_weekday(w.day);
        int64_t mid;
        long off;
        if (wd == 0 && w.mid >= start_ms && used + week < amount[done] &&
            (w.hol == cal->n_holidays || cal->holidays[w.hol] >= w.day + 7) && midnight_after(&w, 7, false, &mid, &off)) {
            used += week;
            walk_to(&w, 7, mid, off);
            continue;
        }
        bool plain = midnight_after(&w, 1, true, &mid, &off);
        bool holiday = w.hol < cal->n_holidays && cal->holidays[w.hol] == w.day;
        for (int k = 0; !holiday && k < cal->n_spans[wd] && done < n; k++) {
            int s0 = cal->spans[wd][k].start_min, s1 = cal->spans[wd][k].end_min;
            int64_t from = plain ? w.mid + (int64_t)s0 * 60000 : local_ms(w.day, s0);
            int64_t to = s1 == 24 * 60 ? mid : plain ? w.mid + (int64_t)s1 * 60000 : local_ms(w.day, s1);
            if (from < start_ms) from = start_ms;
            if (to <= from) continue;
            for (; done < n && amount[done] - used <= to - from; done++) out[done] = from + (amount[done] - used);
            used += to - from;
        }
        walk_to(&w, 1, mid, off);
    }
}

int64_t sla_calendar_add(const struct sla_calendar *cal, int64_t start_ms, double hours)
{
    int64_t left = (int64_t)llround(hours * 3600000.0), at;
    if (!cal || cal->mode != SLA_BUSINESS_HOURS || left <= 0) return start_ms + left;
    calendar_walk(cal, start_ms, 1, &left, &at);
    return at;
}

int64_t sla_calendar_between(const struct sla_calendar *cal, int64_t from_ms, int64_t to_ms)
{
    if (to_ms <= from_ms) return 0;
    if (!cal || cal->mode != SLA_BUSINESS_HOURS) return to_ms - from_ms;
    char date[11];
    dates_today(from_ms, date);
    int64_t day = dates_to_days(date), first = day, total = 0;
    int hol = 0;
    while (hol < cal->n_holidays && cal->holidays[hol] < day) hol++;
    /* each edge by mktime (local_ms): a pause is days or weeks, not years */
    for (int64_t mid = sla_window_start_of(day); mid < to_ms && day - first < SLA_CAL_HORIZON_DAYS; day++) {
        int64_t next = sla_window_start_of(day + 1);
        while (hol < cal->n_holidays && cal->holidays[hol] < day) hol++;
        bool holiday = hol < cal->n_holidays && cal->holidays[hol] == day;
        int wd = sla_weekday(day);
        for (int k = 0; !holiday && next > from_ms && k < cal->n_spans[wd]; k++) {
            int s0 = cal->spans[wd][k].start_min, s1 = cal->spans[wd][k].end_min;
            int64_t a = local_ms(day, s0), b = s1 == 24 * 60 ? next : local_ms(day, s1);
            if (a < from_ms) a = from_ms;
            if (b > to_ms) b = to_ms;
            if (b > a) total += b - a;
        }
        mid = next;
    }
    return total;
}

void sla_stamp(struct task *t, const struct sla_calendar *cal)
{
    if (!t->has_sla) {
        t->sla_due_ms = t->sla_risk_ms = 0;
        return;
    }
    /* the paused time is SLA time the clock did not count: added to both */
    int64_t start = sla_clock_start(t);
    int64_t amount[2] = {(int64_t)llround(t->sla_hours * SLA_RISK_FRACTION * 3600000.0) + t->sla_paused_ms,
                         (int64_t)llround(t->sla_hours * 3600000.0) + t->sla_paused_ms};
    if (!cal || cal->mode != SLA_BUSINESS_HOURS) {
        t->sla_risk_ms = start + amount[0];
        t->sla_due_ms = start + amount[1];
        return;
    }
    /* one walk for both: the 80% instant is on the way to the deadline */
    int64_t at[2];
    calendar_walk(cal, start, 2, amount, at);
    t->sla_risk_ms = at[0];
    t->sla_due_ms = at[1];
}

int64_t sla_risk_at(const struct task *t)
{
    if (!t->has_sla) return 0;
    if (t->sla_risk_ms) return t->sla_risk_ms;
    return sla_clock_start(t) + (int64_t)llround(t->sla_hours * SLA_RISK_FRACTION * 3600000.0) + t->sla_paused_ms;
}

bool sla_at_risk(const struct task *t, enum task_status effective, int64_t now_ms)
{
    if (!t->has_sla || !task_status_is_active(effective)) return false;
    int64_t at = sla_judged_at(t, now_ms);
    return at >= sla_risk_at(t) && at <= sla_due_at(t);
}

double sla_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0) return NAN;
    if (p <= 0) return sorted[0];
    if (p >= 1) return sorted[n - 1];
    double rank = p * (double)(n - 1);
    size_t lo = (size_t)rank;
    if (lo + 1 >= n) return sorted[n - 1];
    return sorted[lo] + (rank - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

void sla_window_ms(const char *from, const char *to, int64_t *start_ms, int64_t *end_ms)
{
    *start_ms = sla_window_start_of(dates_to_days(from));
    *end_ms = sla_window_start_of(dates_to_days(to) + 1);
}
