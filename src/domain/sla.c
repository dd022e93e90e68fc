/* sla.c: SLA deadline and breach, computed from the task alone. */
#include "domain/sla.h"

#include <math.h>

int64_t sla_due_at(const struct task *t)
{
    if (!t->has_sla) return 0;
    if (t->sla_due_ms) return t->sla_due_ms; /* stamped with the SLA calendar (issue 3) */
    return t->created_at + (int64_t)llround(t->sla_hours * 3600000.0);
}

enum sla_state sla_breached(const struct task *t, enum task_status effective, int64_t now_ms)
{
    if (!t->has_sla) return SLA_NONE;
    int64_t due = sla_due_at(t);
    if (effective == TASK_COMPLETED) return t->completed_at > due ? SLA_BREACHED : SLA_OK;
    if (task_status_is_active(effective)) return now_ms > due ? SLA_BREACHED : SLA_OK;
    return SLA_OK;
}

/* ---- issue 3: SLA tracking -------------------------------------------------- */

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
    int working = 0;
    for (int d = 0; d < 7; d++) {
        qsort(cal->spans[d], (size_t)cal->n_spans[d], sizeof cal->spans[d][0], cmp_span);
        for (int i = 0; i < cal->n_spans[d]; i++) {
            const struct sla_span *s = &cal->spans[d][i];
            if (s->start_min < 0 || s->end_min > 24 * 60 || s->start_min >= s->end_min)
                return err_set(e, ERR_VALIDATION_FAILED, "weekly", "each span must start before it ends, within 00:00-24:00");
            if (i && s->start_min < cal->spans[d][i - 1].end_min)
                return err_set(e, ERR_VALIDATION_FAILED, "weekly", "the spans of a day must not overlap");
            working += s->end_min - s->start_min;
        }
    }
    if (cal->mode == SLA_BUSINESS_HOURS && working == 0)
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

static bool is_holiday(const struct sla_calendar *cal, int64_t day)
{
    return bsearch(&day, cal->holidays, (size_t)cal->n_holidays, sizeof day, cmp_i64) != NULL;
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

int64_t sla_calendar_add(const struct sla_calendar *cal, int64_t start_ms, double hours)
{
    int64_t left = (int64_t)llround(hours * 3600000.0);
    if (!cal || cal->mode != SLA_BUSINESS_HOURS || left <= 0) return start_ms + left;
    char date[11];
    dates_today(start_ms, date);
    int64_t day = dates_to_days(date);
    /* A day of exactly 24 hours has one UTC offset throughout, so its spans
     * are midnight plus minutes; only a DST day asks mktime for each edge
     * (which costs ~1 us: with many spans over years of days it added up). */
    int64_t mid_day = INT64_MIN, mid = 0, next_mid = 0;
    /* bounded: 50 years of days, each with at most SLA_CAL_MAX_SPANS spans */
    for (int i = 0; i < 366 * 50; i++, day++) {
        int wd = sla_weekday(day);
        if (cal->n_spans[wd] == 0 || is_holiday(cal, day)) continue;
        mid = mid_day == day - 1 ? next_mid : sla_window_start_of(day);
        next_mid = sla_window_start_of(day + 1);
        mid_day = day;
        bool plain = next_mid - mid == 86400000;
        for (int k = 0; k < cal->n_spans[wd]; k++) {
            int s0 = cal->spans[wd][k].start_min, s1 = cal->spans[wd][k].end_min;
            int64_t from = plain ? mid + (int64_t)s0 * 60000 : local_ms(day, s0);
            int64_t to = plain ? mid + (int64_t)s1 * 60000 : local_ms(day, s1);
            if (from < start_ms) from = start_ms;
            if (to <= from) continue;
            if (left <= to - from) return from + left;
            left -= to - from;
        }
    }
    return start_ms + (int64_t)llround(hours * 3600000.0);
}

void sla_stamp(struct task *t, const struct sla_calendar *cal)
{
    if (!t->has_sla) {
        t->sla_due_ms = t->sla_risk_ms = 0;
        return;
    }
    t->sla_due_ms = sla_calendar_add(cal, t->created_at, t->sla_hours);
    t->sla_risk_ms = sla_calendar_add(cal, t->created_at, t->sla_hours * SLA_RISK_FRACTION);
}

int64_t sla_risk_at(const struct task *t)
{
    if (!t->has_sla) return 0;
    if (t->sla_risk_ms) return t->sla_risk_ms;
    return t->created_at + (int64_t)llround(t->sla_hours * SLA_RISK_FRACTION * 3600000.0);
}

bool sla_at_risk(const struct task *t, enum task_status effective, int64_t now_ms)
{
    if (!t->has_sla || !task_status_is_active(effective)) return false;
    return now_ms >= sla_risk_at(t) && now_ms <= sla_due_at(t);
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
