/* sla.c (service): the SLA calendar (JSON form, load, store, the background
 * recompute of active deadlines) and deadline stamping; see sla.h. The
 * breach record, a task write, is service/tasks.c's. */
#include "service/sla.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static enum err read_spans(json_t *list, int day, struct sla_calendar *cal, struct errinfo *e)
{
    char field[32];
    snprintf(field, sizeof field, "weekly.%s", day_keys[day]);
    if (!json_is_array(list))
        return err_set(e, ERR_VALIDATION_FAILED, field, "%s must be a list of [\"HH:MM\", \"HH:MM\"] spans", field);
    if (json_array_size(list) > SLA_CAL_MAX_SPANS)
        return err_set(e, ERR_VALIDATION_FAILED, field, "at most %d spans a day", SLA_CAL_MAX_SPANS);
    size_t i;
    json_t *span;
    json_array_foreach(list, i, span) {
        int a = -1, b = -1;
        if (json_is_array(span) && json_array_size(span) == 2) {
            a = sla_parse_hhmm(json_string_value(json_array_get(span, 0)));
            b = sla_parse_hhmm(json_string_value(json_array_get(span, 1)));
        }
        if (a < 0 || b < 0)
            return err_set(e, ERR_VALIDATION_FAILED, field, "%s must be a list of [\"HH:MM\", \"HH:MM\"] spans", field);
        if (a >= b) return err_set(e, ERR_VALIDATION_FAILED, field, "each span of %s must start before it ends", field);
        cal->spans[day][cal->n_spans[day]++] = (struct sla_span){a, b};
    }
    return ERR_OK;
}

enum err service_sla_calendar_from_json(json_t *obj, struct sla_calendar *cal, struct errinfo *e)
{
    sla_calendar_default(cal);
    if (!json_is_object(obj)) return err_set(e, ERR_VALIDATION_FAILED, NULL, "the calendar must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "mode") && strcmp(key, "weekly") && strcmp(key, "holidays")) {
            char name[48];
            snprintf(name, sizeof name, "%s", key);
            return err_set(e, ERR_VALIDATION_FAILED, name, "unknown field '%s'", name);
        }
    }
    const char *mode = json_string_value(json_object_get(obj, "mode"));
    if (!mode) return err_set(e, ERR_VALIDATION_FAILED, "mode", "mode is required: calendar_hours or business_hours");
    if (strcmp(mode, "calendar_hours") == 0)
        cal->mode = SLA_CALENDAR_HOURS;
    else if (strcmp(mode, "business_hours") == 0)
        cal->mode = SLA_BUSINESS_HOURS;
    else
        return err_set(e, ERR_VALIDATION_FAILED, "mode", "mode must be calendar_hours or business_hours");

    json_t *weekly = json_object_get(obj, "weekly");
    if (weekly && !json_is_null(weekly)) {
        if (!json_is_object(weekly))
            return err_set(e, ERR_VALIDATION_FAILED, "weekly", "weekly must be an object keyed mon..sun");
        json_object_foreach(weekly, key, v) {
            int d = 0;
            while (d < 7 && strcmp(day_keys[d], key) != 0) d++;
            if (d == 7) return err_set(e, ERR_VALIDATION_FAILED, "weekly", "weekly's keys must be mon, tue, ..., sun");
            enum err rc = read_spans(v, d, cal, e);
            if (rc != ERR_OK) return rc;
        }
    }
    json_t *hol = json_object_get(obj, "holidays");
    if (hol && !json_is_null(hol)) {
        if (!json_is_array(hol))
            return err_set(e, ERR_VALIDATION_FAILED, "holidays", "holidays must be a list of YYYY-MM-DD dates");
        if (json_array_size(hol) > SLA_CAL_MAX_HOLIDAYS)
            return err_set(e, ERR_VALIDATION_FAILED, "holidays", "at most %d holidays", SLA_CAL_MAX_HOLIDAYS);
        size_t i;
        json_array_foreach(hol, i, v) {
            const char *d = json_string_value(v);
            if (!d || !dates_valid(d))
                return err_set(e, ERR_VALIDATION_FAILED, "holidays", "holidays must be a list of YYYY-MM-DD dates");
            cal->holidays[cal->n_holidays++] = dates_to_days(d);
        }
    }
    return sla_calendar_normalize(cal, e);
}

static void hhmm(int min, char out[6])
{
    unsigned h = (unsigned)min / 60 % 100, m = (unsigned)min % 60;
    out[0] = (char)('0' + h / 10), out[1] = (char)('0' + h % 10), out[2] = ':';
    out[3] = (char)('0' + m / 10), out[4] = (char)('0' + m % 10), out[5] = 0;
}

json_t *service_sla_calendar_to_json(const struct sla_calendar *cal)
{
    json_t *weekly = json_object(), *hol = json_array();
    for (int d = 0; d < 7; d++) {
        json_t *list = json_array();
        for (int i = 0; i < cal->n_spans[d]; i++) {
            char a[6], b[6];
            hhmm(cal->spans[d][i].start_min, a);
            hhmm(cal->spans[d][i].end_min, b);
            json_array_append_new(list, json_pack("[ss]", a, b));
        }
        json_object_set_new(weekly, day_keys[d], list);
    }
    for (int i = 0; i < cal->n_holidays; i++) {
        char date[DATE_SIZE];
        dates_from_days(cal->holidays[i], date);
        json_array_append_new(hol, json_string(date));
    }
    return json_pack("{s:s, s:o, s:o}", "mode", cal->mode == SLA_BUSINESS_HOURS ? "business_hours" : "calendar_hours",
                     "weekly", weekly, "holidays", hol);
}

/* The calendar last parsed, keyed by the stored text it came from. Every
 * load still reads the stored text (one row), so a calendar another
 * instance stored, or a PUT whose transaction rolled back, is never served
 * stale: only the JSON parse is saved when the text is the one seen before.
 * Shared by the writer thread and the readers, hence the lock. */
static struct {
    pthread_mutex_t lock;
    char *text; /* NULL: nothing cached */
    struct sla_calendar cal;
} parsed = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool cached_copy(const char *text, struct sla_calendar *cal)
{
    pthread_mutex_lock(&parsed.lock);
    bool hit = parsed.text && strcmp(parsed.text, text) == 0;
    if (hit) *cal = parsed.cal;
    pthread_mutex_unlock(&parsed.lock);
    return hit;
}

/* Keeps text (taking ownership) and its calendar, or forgets the cached
 * one when text is NULL. */
static void cache_keep(char *text, const struct sla_calendar *cal)
{
    pthread_mutex_lock(&parsed.lock);
    free(parsed.text);
    parsed.text = text;
    if (text) parsed.cal = *cal;
    pthread_mutex_unlock(&parsed.lock);
}

enum err service_sla_calendar_load(struct store_conn *c, struct sla_calendar *cal)
{
    char *body = NULL;
    enum err rc = store_sla_calendar_get(c, &body);
    sla_calendar_default(cal);
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    if (cached_copy(body, cal)) {
        free(body);
        return ERR_OK;
    }
    json_t *obj = json_loads(body, 0, NULL);
    struct errinfo e = {0};
    rc = obj ? service_sla_calendar_from_json(obj, cal, &e) : ERR_INTERNAL;
    json_decref(obj);
    if (rc != ERR_OK) {
        free(body);
        return ERR_INTERNAL;
    }
    cache_keep(body, cal);
    return ERR_OK;
}

enum err service_sla_stamp(struct store_conn *c, struct task *t)
{
    if (!t->has_sla) {
        sla_stamp(t, NULL);
        return ERR_OK;
    }
    struct sla_calendar *cal = malloc(sizeof *cal);
    if (!cal) return ERR_INTERNAL;
    enum err rc = service_sla_calendar_load(c, cal);
    if (rc == ERR_OK) sla_stamp(t, cal);
    free(cal);
    return rc;
}

enum err service_sla_calendar_put(struct store_conn *c, const struct sla_calendar *cal, int64_t now_ms)
{
    json_t *j = service_sla_calendar_to_json(cal);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) return ERR_INTERNAL;
    enum err rc = store_sla_calendar_put(c, body, now_ms);
    free(body);
    cache_keep(NULL, NULL); /* the next load parses what was stored */
    return rc;
}

/* set by the job's thread at start while HTTP threads may read it */
static void (*_Atomic recompute_hook)(void);

void service_sla_set_recompute_hook(void (*wake)(void)) { atomic_store(&recompute_hook, wake); }

void service_sla_recompute_wake(void)
{
    void (*wake)(void) = atomic_load(&recompute_hook);
    if (wake) wake();
}

static int64_t elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

enum err service_sla_recompute_batch(struct store_conn *c, long *recomputed, bool *more)
{
    *more = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char after[TASK_ID_SIZE];
    bool pending;
    enum err rc = store_sla_recompute_get(c, after, &pending);
    if (rc != ERR_OK || !pending) return rc;
    struct sla_calendar *cal = malloc(sizeof *cal);
    if (!cal) return ERR_INTERNAL;
    struct sla_stamp_row *rows = NULL;
    if ((rc = service_sla_calendar_load(c, cal)) != ERR_OK) goto out;
    /* the budget starts here: the two reads before are a fixed cost, a
     * round trip each on a client-server backend, and counting them left
     * batches of a few tasks there */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* chunks of SLA_RECOMPUTE_CHUNK rows until the budget is spent (reading
     * a whole batch up front cost more than the budget it would not use),
     * the clock read every 8 tasks: a stamp costs 2-100 us */
    bool spent = false;
    for (int total = 0; total < SLA_RECOMPUTE_BATCH && !spent && rc == ERR_OK;) {
        int n = 0, i = 0;
        free(rows);
        if ((rc = store_task_sla_active_batch(c, after, SLA_RECOMPUTE_CHUNK, &rows, &n)) != ERR_OK) break;
        /* the stamps that changed are written together, moved to the front
         * of rows, in order (k <= i: only rows already read are overwritten) */
        int k = 0;
        while (i < n && !spent) {
            struct task t = {.created_at = rows[i].created_at, .has_sla = true, .sla_hours = rows[i].sla_hours,
                             .sla_started_at = rows[i].sla_started_at, .sla_paused_ms = rows[i].sla_paused_ms};
            sla_stamp(&t, cal);
            if (t.sla_due_ms != rows[i].sla_due_at || t.sla_risk_ms != rows[i].sla_risk_at) {
                struct sla_stamp_row changed = rows[i];
                changed.sla_due_at = t.sla_due_ms;
                changed.sla_risk_at = t.sla_risk_ms;
                rows[k++] = changed;
            }
            i++;
            spent = i % 8 == 0 && elapsed_ms(&t0) >= SLA_RECOMPUTE_BUDGET_MS;
        }
        if ((rc = store_task_sla_set_many(c, rows, k)) != ERR_OK) break;
        *recomputed += k;
        total += i;
        *more = i < n || n == SLA_RECOMPUTE_CHUNK;
        if (!*more) break;
        snprintf(after, sizeof after, "%s", rows[i - 1].id); /* row i-1 itself, or its copy when k == i */
    }
    if (rc == ERR_OK) rc = store_sla_recompute_set(c, *more ? after : NULL);
out:
    free(rows);
    free(cal);
    return rc;
}

enum err service_sla_recompute_pending(struct store_conn *c, bool *pending)
{
    char after[TASK_ID_SIZE];
    return store_sla_recompute_get(c, after, pending);
}

enum err service_sla_refresh(struct store_conn *c, struct task *t, bool *moved)
{
    *moved = false;
    if (!t->has_sla || !task_status_is_active(t->status)) return ERR_OK;
    char after[TASK_ID_SIZE];
    bool pending;
    enum err rc = store_sla_recompute_get(c, after, &pending);
    if (rc != ERR_OK || !pending || strcmp(t->id, after) <= 0) return rc;
    int64_t due = sla_due_at(t), risk = sla_risk_at(t);
    if ((rc = service_sla_stamp(c, t)) != ERR_OK) return rc;
    *moved = sla_due_at(t) != due || sla_risk_at(t) != risk;
    return ERR_OK;
}

/* ---- SLA clocks: paused time and the policy by priority ---- */

enum err service_sla_between(struct store_conn *c, int64_t from_ms, int64_t to_ms, int64_t *out)
{
    *out = 0;
    if (to_ms <= from_ms) return ERR_OK;
    struct sla_calendar *cal = malloc(sizeof *cal);
    if (!cal) return ERR_INTERNAL;
    enum err rc = service_sla_calendar_load(c, cal);
    if (rc == ERR_OK) *out = sla_calendar_between(cal, from_ms, to_ms);
    free(cal);
    return rc;
}

enum err service_sla_policy_load(struct store_conn *c, struct sla_policy *p)
{
    sla_policy_default(p);
    return store_sla_policy_get(c, p->has, p->hours);
}

enum err service_sla_policy_put(struct store_conn *c, const struct sla_policy *p, int64_t now_ms)
{
    return store_sla_policy_put(c, p->has, p->hours, now_ms);
}

enum err service_sla_policy_from_json(json_t *obj, struct sla_policy *p, struct errinfo *e)
{
    sla_policy_default(p);
    if (!json_is_object(obj)) return err_set(e, ERR_VALIDATION_FAILED, NULL, "the policy must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        enum task_priority pr;
        char name[48];
        snprintf(name, sizeof name, "%s", key);
        if (task_priority_parse(key, &pr) != 0)
            return err_set(e, ERR_VALIDATION_FAILED, name, "unknown field '%s': the keys are URGENT, HIGH, MEDIUM, LOW",
                           name);
        if (json_is_null(v)) continue;
        if (!json_is_number(v) || task_validate_sla_hours(json_number_value(v), e) != ERR_OK)
            return err_set(e, ERR_VALIDATION_FAILED, name, "%s must be null or a number of hours > 0 and <= 8760", name);
        p->has[pr] = true;
        p->hours[pr] = json_number_value(v);
    }
    return ERR_OK;
}

json_t *service_sla_policy_to_json(const struct sla_policy *p)
{
    json_t *o = json_object();
    static const enum task_priority order[] = {PRIORITY_URGENT, PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW};
    for (int i = 0; o && i < 4; i++) {
        enum task_priority pr = order[i];
        double h = p->hours[pr];
        json_t *v = !p->has[pr] ? json_null() : h == (double)(int64_t)h ? json_integer((json_int_t)h) : json_real(h);
        if (json_object_set_new(o, task_priority_name(pr), v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
