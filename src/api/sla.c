/* sla.c (api): the SLA calendar (GET/PUT /ops/sla-calendar) and the two
 * reports, GET /ops/reports/sla and /ops/reports/overdue, as JSON or CSV.
 * The reports are computed from one indexed scan each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "domain/sla.h"
#include "service/sla.h"
#include "util/buf.h"
#include "util/clock.h"

#define REPORT_MAX_DAYS 366

/* ---- the calendar ----------------------------------------------------------- */

/* The calendar as the API shows it, with the state of the deadline
 * recompute: "pending" while active tasks still carry deadlines of the
 * previous calendar, "done" otherwise. */
static json_t *calendar_json(const struct sla_calendar *cal, bool pending)
{
    json_t *j = service_sla_calendar_to_json(cal);
    if (j) json_object_set_new(j, "recompute", json_string(pending ? "pending" : "done"));
    return j;
}

void api_sla_calendar_get(struct request *r)
{
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct sla_calendar *cal = malloc(sizeof *cal);
    bool pending = false;
    enum err rc = c && cal ? service_sla_calendar_load(c, cal) : ERR_INTERNAL;
    if (rc == ERR_OK) rc = service_sla_recompute_pending(c, &pending);
    if (c) store_reader_release(c);
    if (rc != ERR_OK)
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    else
        http_reply_json(r, 200, calendar_json(cal, pending));
    free(cal);
}

/* The PUT is one short writer job: the calendar and the recompute's cursor
 * reset to the first task. The answer follows its commit; the recompute
 * itself runs in the background (jobs/recompute.c), woken here. */
struct calendar_ctx {
    struct sla_calendar cal;
    struct api_who who;
};

static enum err calendar_run(struct store_conn *c, void *arg)
{
    struct calendar_ctx *x = arg;
    struct sla_calendar *old = malloc(sizeof *old);
    if (!old) return ERR_INTERNAL;
    enum err rc = service_sla_calendar_load(c, old);
    json_t *before = rc == ERR_OK ? service_sla_calendar_to_json(old) : NULL;
    free(old);
    if (rc == ERR_OK) rc = service_sla_calendar_put(c, &x->cal, clock_now_ms());
    if (rc != ERR_OK) {
        json_decref(before);
        return rc;
    }
    return api_audit(c, &x->who, "sla_calendar.updated",
                     json_pack("{s:o, s:o}", "before", before ? before : json_null(), "after",
                               service_sla_calendar_to_json(&x->cal)));
}

static void calendar_finish(struct request *r, enum err rc)
{
    if (rc != ERR_OK) {
        http_reply_err(r, rc == ERR_UNAVAILABLE ? rc : ERR_INTERNAL, NULL, NULL);
        return;
    }
    service_sla_recompute_wake();
    http_reply_json(r, 200, calendar_json(&((struct calendar_ctx *)r->ctx)->cal, true));
}

void api_sla_calendar_put(struct request *r)
{
    /* recompute: what GET answers, so a calendar read can be sent back; ignored */
    static const char *const known[] = {"mode", "weekly", "holidays", "recompute", NULL};
    struct errinfo e = {0};
    struct calendar_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    struct sla_calendar *cal = &x->cal;
    json_t *obj = api_body(r, known, &e);
    if (!obj) goto fail;
    json_t *state = json_object_get(obj, "recompute");
    if (state && !json_is_string(state)) {
        err_set(&e, ERR_VALIDATION_FAILED, "recompute", "recompute is set by the server (\"pending\" or \"done\")");
        goto fail;
    }
    json_object_del(obj, "recompute");
    if (service_sla_calendar_from_json(obj, cal, &e) != ERR_OK || sla_calendar_check_capacity(cal, &e) != ERR_OK)
        goto fail;
    api_who_of(r, &x->who);
    api_submit(r, calendar_run, calendar_finish);
    return;
fail: /* the one error answer of the checks above; the context goes with the request */
    http_reply_error(r, &e);
}

/* ---- the SLA policy by priority (GET/PUT /ops/sla-policy) ---------------------------- */

void api_sla_policy_get(struct request *r)
{
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct sla_policy p;
    enum err rc = c ? service_sla_policy_load(c, &p) : ERR_INTERNAL;
    if (c) store_reader_release(c);
    if (rc != ERR_OK)
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    else
        http_reply_json(r, 200, service_sla_policy_to_json(&p));
}

struct policy_ctx {
    struct sla_policy p;
    struct api_who who;
};

/* One writer job: the policy and its audit line. Tasks already created
 * keep their hours; the policy counts at creation and at a priority change. */
static enum err policy_run(struct store_conn *c, void *arg)
{
    struct policy_ctx *x = arg;
    struct sla_policy old;
    enum err rc = service_sla_policy_load(c, &old);
    if (rc == ERR_OK) rc = service_sla_policy_put(c, &x->p, clock_now_ms());
    if (rc != ERR_OK) return rc;
    return api_audit(c, &x->who, "sla_policy.updated",
                     json_pack("{s:o, s:o}", "before", service_sla_policy_to_json(&old), "after",
                               service_sla_policy_to_json(&x->p)));
}

static void policy_finish(struct request *r, enum err rc)
{
    if (rc != ERR_OK) {
        http_reply_err(r, rc == ERR_UNAVAILABLE ? rc : ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_reply_json(r, 200, service_sla_policy_to_json(&((struct policy_ctx *)r->ctx)->p));
}

void api_sla_policy_put(struct request *r)
{
    static const char *const known[] = {"URGENT", "HIGH", "MEDIUM", "LOW", NULL};
    struct errinfo e = {0};
    struct policy_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    json_t *obj = api_body(r, known, &e);
    if (!obj || service_sla_policy_from_json(obj, &x->p, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    api_who_of(r, &x->who);
    api_submit(r, policy_run, policy_finish);
}

/* ---- GET /ops/reports/sla ------------------------------------------------------- */

struct group {
    char *key;       /* NULL: the null key (no assignee, no customer) */
    char *name;      /* by assignee or customer: its name (NULL: none known) */
    int64_t tasks, met, breached, breached_active, cancelled;
    int64_t paused_ms;  /* SLA clocks: the time paused, finished pauses of the group's clocks */
    double *hours;   /* hours to complete of the completed tasks, paused time not counted */
    size_t n_hours, cap_hours;
    double compliance, median, p90;  /* NaN when none */
};

struct report {
    enum sla_group by;
    const char *name_field;  /* "assignee_name", "customer_name" or NULL */
    int64_t now;
    struct group *groups;  /* open addressing on the key */
    size_t cap, n;
    struct group total;
    bool oom;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool grow(struct report *rp)
{
    size_t cap = rp->cap ? rp->cap * 2 : 64;
    struct group *g = calloc(cap, sizeof *g);
    if (!g) return false;
    for (size_t i = 0; i < rp->cap; i++) {
        if (!rp->groups[i].tasks) continue;
        size_t j = hash_key(rp->groups[i].key) & (cap - 1);
        while (g[j].tasks) j = (j + 1) & (cap - 1);
        g[j] = rp->groups[i];
    }
    free(rp->groups);
    rp->groups = g;
    rp->cap = cap;
    return true;
}

/* The group of key (NULL for the null key), created on first sight. */
static struct group *find(struct report *rp, const char *key)
{
    if ((rp->n + 1) * 2 > rp->cap && !grow(rp)) return NULL;
    size_t j = hash_key(key) & (rp->cap - 1);
    for (;; j = (j + 1) & (rp->cap - 1)) {
        struct group *g = &rp->groups[j];
        if (!g->tasks) {
            if (key && !(g->key = strdup(key))) return NULL;
            rp->n++;
            return g;
        }
        if ((!key && !g->key) || (key && g->key && strcmp(key, g->key) == 0)) return g;
    }
}

static bool add_hours(struct group *g, double h)
{
    if (g->n_hours == g->cap_hours) {
        size_t cap = g->cap_hours ? g->cap_hours * 2 : 16;
        double *p = realloc(g->hours, cap * sizeof *p);
        if (!p) return false;
        g->hours = p;
        g->cap_hours = cap;
    }
    g->hours[g->n_hours++] = h;
    return true;
}

/* Hours to complete count the SLA clock's unpaused time: from its start
 * (created_at unless restarted) to completion, less the time paused. */
static void count_row(struct report *rp, struct group *g, const struct sla_row *row)
{
    g->tasks++;
    g->paused_ms += row->sla_paused_ms;
    if (row->status == TASK_COMPLETED) {
        if (row->completed_at <= row->sla_due_at)
            g->met++;
        else
            g->breached++;
        int64_t start = row->sla_started_at ? row->sla_started_at : row->created_at;
        int64_t worked = row->completed_at - start - row->sla_paused_ms;
        if (!add_hours(g, (double)(worked > 0 ? worked : 0) / 3600000.0)) rp->oom = true;
    } else if (row->status == TASK_CANCELLED) {
        g->cancelled++;
    } else if ((row->sla_paused_at && row->sla_paused_at < rp->now ? row->sla_paused_at : rp->now) > row->sla_due_at) {
        g->breached_active++; /* a paused clock is judged at its pause's start */
    }
}

static void on_row(void *arg, const struct sla_row *row)
{
    struct report *rp = arg;
    if (rp->oom) return;
    char key[DATE_SIZE];
    const char *k = row->key && *row->key ? row->key : NULL;
    if (rp->by == SLA_GROUP_DAY || rp->by == SLA_GROUP_WEEK) {
        dates_today(row->sla_due_at, key);
        if (rp->by == SLA_GROUP_WEEK) { /* the Monday that starts the week */
            int64_t d = dates_to_days(key);
            dates_from_days(d - sla_weekday(d), key);
        }
        k = key;
    }
    struct group *g = find(rp, k);
    if (!g) {
        rp->oom = true;
        return;
    }
    if (!g->tasks && k && row->name && row->name[0] && !(g->name = strdup(row->name))) {
        rp->oom = true;
        return;
    }
    count_row(rp, g, row);
    count_row(rp, &rp->total, row);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void finish_group(struct group *g)
{
    int64_t judged = g->met + g->breached + g->breached_active;
    g->compliance = judged ? (double)g->met / (double)judged : NAN;
    if (g->n_hours) qsort(g->hours, g->n_hours, sizeof *g->hours, cmp_double); /* hours is NULL when none */
    g->median = sla_percentile(g->hours, g->n_hours, 0.5);
    g->p90 = sla_percentile(g->hours, g->n_hours, 0.9);
}

/* Worst compliance first; groups without any judged task last; then by key. */
static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    bool xn = isnan(x->compliance), yn = isnan(y->compliance);
    if (xn != yn) return xn ? 1 : -1;
    if (!xn && x->compliance != y->compliance) return x->compliance < y->compliance ? -1 : 1;
    if (!x->key || !y->key) return x->key ? -1 : y->key ? 1 : 0;
    return strcmp(x->key, y->key);
}

/* v rounded to `digits` decimals (the division by an exact power of ten gives
 * the double nearest the decimal, which prints short) */
static double round_to(double v, int digits)
{
    double scale = pow(10, digits);
    return round(v * scale) / scale;
}

/* JSON with reals printed to 12 significant digits: 0.3333, not 0.33329999999999999 */
static void reply_report_json(struct request *r, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(obj);
    http_reply_text(r, 200, text);
}

static json_t *num_or_null(double v, int digits) { return isnan(v) ? json_null() : json_real(round_to(v, digits)); }

/* The name a row shows beside its key: the assignee's or customer's, a
 * label for the null key ("Unassigned", "No customer"), null for the total
 * row and for an id no longer known. */
static const char *group_name(const struct report *rp, const struct group *g, bool total)
{
    if (total) return NULL;
    if (!g->key) return rp->by == SLA_GROUP_ASSIGNEE ? "Unassigned" : "No customer";
    return g->name;
}

static json_t *group_json(const struct report *rp, const struct group *g, const char *key, bool total)
{
    json_t *o = json_pack("{s:o}", "key", key ? json_string(key) : json_null());
    if (rp->name_field) {
        const char *name = group_name(rp, g, total);
        json_object_set_new(o, rp->name_field, name ? json_string(name) : json_null());
    }
    json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "tasks_with_sla", (json_int_t)g->tasks,
                               "met", (json_int_t)g->met, "breached", (json_int_t)g->breached, "breached_active",
                               (json_int_t)g->breached_active, "cancelled", (json_int_t)g->cancelled, "compliance",
                               num_or_null(g->compliance, 4), "median_hours_to_complete", num_or_null(g->median, 3),
                               "p90_hours_to_complete", num_or_null(g->p90, 3));
    json_object_update(o, counts);
    json_decref(counts);
    json_object_set_new(o, "paused_seconds", json_integer((json_int_t)(g->paused_ms / 1000))); /* SLA clocks */
    return o;
}

static void csv_num(struct buf *b, double v, int digits)
{
    char s[64] = "";
    if (!isnan(v)) snprintf(s, sizeof s, "%.12g", round_to(v, digits));
    api_csv_field(b, s, false);
}

static void group_csv(struct buf *b, const struct report *rp, const struct group *g, const char *key, bool total)
{
    char s[32];
    api_csv_field(b, key ? key : "", true);
    if (rp->name_field) {
        const char *name = group_name(rp, g, total);
        api_csv_field(b, name ? name : "", false);
    }
    int64_t v[] = {g->tasks, g->met, g->breached, g->breached_active, g->cancelled};
    for (size_t i = 0; i < 5; i++) {
        snprintf(s, sizeof s, "%lld", (long long)v[i]);
        api_csv_field(b, s, false);
    }
    csv_num(b, g->compliance, 4);
    csv_num(b, g->median, 3);
    csv_num(b, g->p90, 3);
    snprintf(s, sizeof s, "%lld", (long long)(g->paused_ms / 1000)); /* SLA clocks */
    api_csv_field(b, s, false);
    buf_puts(b, "\r\n");
}

static void report_free(struct report *rp)
{
    for (size_t i = 0; i < rp->cap; i++) {
        free(rp->groups[i].key);
        free(rp->groups[i].name);
        free(rp->groups[i].hours);
    }
    free(rp->groups);
    free(rp->total.hours);
}

void api_report_sla(struct request *r)
{
    static const char *const known[] = {"from", "to", "group_by", "format", NULL};
    static const char *const group_names[] = {"assignee", "priority", "source", "customer", "day", "week", NULL};
    struct errinfo e = {0};
    struct report rp = {0};
    int csv;
    if (http_query_check(r, known, &e) != ERR_OK || (csv = api_wants_csv(r, &e)) < 0) goto fail;
    const char *from = http_query(r, "from"), *to = http_query(r, "to"), *by = http_query(r, "group_by");
    if (!from || !dates_valid(from)) {
        err_set(&e, ERR_VALIDATION_FAILED, "from", "from is required, a date YYYY-MM-DD");
        goto fail;
    }
    if (!to || !dates_valid(to)) {
        err_set(&e, ERR_VALIDATION_FAILED, "to", "to is required, a date YYYY-MM-DD");
        goto fail;
    }
    int64_t days = dates_to_days(to) - dates_to_days(from) + 1;
    if (days < 1) {
        err_set(&e, ERR_VALIDATION_FAILED, "to", "to must not be before from");
        goto fail;
    }
    if (days > REPORT_MAX_DAYS) {
        err_set(&e, ERR_VALIDATION_FAILED, "to", "the window is %lld days; at most %d", (long long)days, REPORT_MAX_DAYS);
        goto fail;
    }
    int gi = 0;
    if (by) {
        while (group_names[gi] && strcmp(group_names[gi], by) != 0) gi++;
        if (!group_names[gi]) {
            err_set(&e, ERR_VALIDATION_FAILED, "group_by", "group_by must be assignee, priority, source, customer, day or week");
            goto fail;
        }
    }
    rp.by = (enum sla_group)gi;
    rp.name_field = rp.by == SLA_GROUP_ASSIGNEE ? "assignee_name" : rp.by == SLA_GROUP_CUSTOMER ? "customer_name" : NULL;
    rp.now = clock_now_ms();
    int64_t start, end;
    sla_window_ms(from, to, &start, &end);
    struct store_conn *c = store_reader_acquire(r->app->store);
    if (!c) {
        err_set(&e, ERR_INTERNAL, NULL, NULL);
        goto fail;
    }
    enum err rc = store_sla_report_scan(c, start, end, rp.by, on_row, &rp);
    store_reader_release(c);
    if (rc != ERR_OK || rp.oom) {
        err_set(&e, ERR_INTERNAL, NULL, NULL);
        goto fail;
    }
    /* compact the table into a sorted array */
    size_t n = 0;
    for (size_t i = 0; i < rp.cap; i++)
        if (rp.groups[i].tasks) rp.groups[n++] = rp.groups[i];
    for (size_t i = n; i < rp.cap; i++) rp.groups[i] = (struct group){0};
    for (size_t i = 0; i < n; i++) finish_group(&rp.groups[i]);
    finish_group(&rp.total);
    if (n) qsort(rp.groups, n, sizeof *rp.groups, cmp_group);

    if (csv) {
        struct buf b = {0};
        buf_puts(&b, "key,");
        if (rp.name_field) {
            buf_puts(&b, rp.name_field);
            buf_putc(&b, ',');
        }
        buf_puts(&b, "tasks_with_sla,met,breached,breached_active,cancelled,compliance,"
                     "median_hours_to_complete,p90_hours_to_complete,paused_seconds\r\n");
        for (size_t i = 0; i < n; i++) group_csv(&b, &rp, &rp.groups[i], rp.groups[i].key, false);
        group_csv(&b, &rp, &rp.total, "total", true);
        api_reply_csv(r, &b, "sla-report");
    } else {
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(rows, group_json(&rp, &rp.groups[i], rp.groups[i].key, false));
        json_t *total = group_json(&rp, &rp.total, "total", true);
        reply_report_json(r, json_pack("{s:s, s:s, s:s, s:o, s:o}", "from", from, "to", to, "group_by",
                                          group_names[gi], "rows", rows, "total", total));
    }
    report_free(&rp);
    return;
fail:
    report_free(&rp);
    http_reply_error(r, &e);
}

/* ---- GET /ops/reports/overdue ------------------------------------------------------ */

enum { AGE_1_DAY, AGE_2_7_DAYS, AGE_OVER_7_DAYS, AGE__COUNT };
static const char *const age_names[AGE__COUNT] = {"1_day", "2_to_7_days", "over_7_days"};

struct age_row {
    char key[EXT_ID_SIZE];  /* "" = unassigned */
    char *name;             /* by assignee: the staff member's name (NULL: none known) */
    int64_t n[AGE__COUNT], total;
};

struct overdue {
    int64_t today;
    struct age_row *by_assignee;
    size_t n_assignees, cap;
    struct age_row by_priority[PRIORITY__COUNT];
    struct age_row total;
    bool oom;
};

static void add_age(struct age_row *row, int bucket, int64_t n)
{
    row->n[bucket] += n;
    row->total += n;
}

static int age_bucket(const struct overdue *o, const char *due)
{
    int64_t age = o->today - dates_to_days(due);
    return age <= 1 ? AGE_1_DAY : age <= 7 ? AGE_2_7_DAYS : AGE_OVER_7_DAYS;
}

static void on_overdue_assignee(void *arg, const char *assignee, const char *due, int64_t n)
{
    struct overdue *o = arg;
    /* rows come grouped by assignee, so the row is almost always the last
     * one; the look-back keeps it right whatever the order */
    struct age_row *row = NULL;
    for (size_t i = o->n_assignees; i-- > 0 && !row;)
        if (strcmp(o->by_assignee[i].key, assignee) == 0) row = &o->by_assignee[i];
    if (!row) {
        if (o->n_assignees == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 32;
            struct age_row *a = realloc(o->by_assignee, cap * sizeof *a);
            if (!a) {
                o->oom = true;
                return;
            }
            o->by_assignee = a;
            o->cap = cap;
        }
        row = &o->by_assignee[o->n_assignees++];
        memset(row, 0, sizeof *row);
        snprintf(row->key, sizeof row->key, "%s", assignee);
    }
    add_age(row, age_bucket(o, due), n);
}

static void on_overdue_priority(void *arg, enum task_priority p, const char *due, int64_t n)
{
    struct overdue *o = arg;
    add_age(&o->by_priority[p], age_bucket(o, due), n);
    add_age(&o->total, age_bucket(o, due), n);
}

static int cmp_age(const void *a, const void *b)
{
    const struct age_row *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    if (!x->key[0] || !y->key[0]) return x->key[0] ? -1 : y->key[0] ? 1 : 0;
    return strcmp(x->key, y->key);
}

/* The name of a by_assignee row: the staff member's, "Unassigned" for the
 * unassigned row, null for an id no longer known. */
static const char *age_name(const struct age_row *row) { return row->key[0] ? row->name : "Unassigned"; }

/* Names for the by_assignee rows, from the staff table (a few dozen rows:
 * one read each). */
static enum err name_assignees(struct store_conn *c, struct overdue *o)
{
    for (size_t i = 0; i < o->n_assignees; i++) {
        struct age_row *row = &o->by_assignee[i];
        if (!row->key[0]) continue;
        struct staff st;
        enum err rc = store_staff_get(c, row->key, &st);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        row->name = st.name ? strdup(st.name) : NULL;
        bool oom = st.name && !row->name;
        store_staff_clear(&st);
        if (oom) return ERR_INTERNAL;
    }
    return ERR_OK;
}

static void overdue_free(struct overdue *o)
{
    for (size_t i = 0; i < o->n_assignees; i++) free(o->by_assignee[i].name);
    free(o->by_assignee);
}

/* name_field: "assignee_name" on the by_assignee rows, NULL on the others */
static json_t *age_json(const struct age_row *row, json_t *key, const char *name_field)
{
    json_t *o = json_pack("{s:o}", "key", key);
    if (name_field) {
        const char *name = age_name(row);
        json_object_set_new(o, name_field, name ? json_string(name) : json_null());
    }
    for (int i = 0; i < AGE__COUNT; i++) json_object_set_new(o, age_names[i], json_integer(row->n[i]));
    json_object_set_new(o, "total", json_integer(row->total));
    return o;
}

static void age_csv(struct buf *b, const char *dimension, const char *key, const char *name, const struct age_row *row)
{
    char s[32];
    api_csv_field(b, dimension, true);
    api_csv_field(b, key, false);
    api_csv_field(b, name ? name : "", false);
    for (int i = 0; i < AGE__COUNT; i++) {
        snprintf(s, sizeof s, "%lld", (long long)row->n[i]);
        api_csv_field(b, s, false);
    }
    snprintf(s, sizeof s, "%lld", (long long)row->total);
    api_csv_field(b, s, false);
    buf_puts(b, "\r\n");
}

void api_report_overdue(struct request *r)
{
    static const char *const known[] = {"format", NULL};
    struct errinfo e = {0};
    struct overdue o = {0};
    int csv;
    if (http_query_check(r, known, &e) != ERR_OK || (csv = api_wants_csv(r, &e)) < 0) {
        http_reply_error(r, &e);
        return;
    }
    char today[DATE_SIZE];
    dates_today(clock_now_ms(), today);
    o.today = dates_to_days(today);
    struct store_conn *c = store_reader_acquire(r->app->store);
    enum err rc = c ? store_overdue_scan(c, today, on_overdue_assignee, on_overdue_priority, &o) : ERR_INTERNAL;
    if (rc == ERR_OK && !o.oom) rc = name_assignees(c, &o);
    if (c) store_reader_release(c);
    if (rc != ERR_OK || o.oom) {
        overdue_free(&o);
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (o.n_assignees) qsort(o.by_assignee, o.n_assignees, sizeof *o.by_assignee, cmp_age);
    static const enum task_priority order[] = {PRIORITY_URGENT, PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW};
    if (csv) {
        struct buf b = {0};
        buf_puts(&b, "dimension,key,assignee_name,1_day,2_to_7_days,over_7_days,total\r\n");
        for (size_t i = 0; i < o.n_assignees; i++)
            age_csv(&b, "assignee", o.by_assignee[i].key, age_name(&o.by_assignee[i]), &o.by_assignee[i]);
        for (int i = 0; i < PRIORITY__COUNT; i++)
            age_csv(&b, "priority", task_priority_name(order[i]), NULL, &o.by_priority[order[i]]);
        age_csv(&b, "total", "", NULL, &o.total);
        api_reply_csv(r, &b, "overdue-report");
    } else {
        json_t *a = json_array(), *p = json_array();
        for (size_t i = 0; i < o.n_assignees; i++)
            json_array_append_new(a, age_json(&o.by_assignee[i],
                                              o.by_assignee[i].key[0] ? json_string(o.by_assignee[i].key) : json_null(),
                                              "assignee_name"));
        for (int i = 0; i < PRIORITY__COUNT; i++)
            json_array_append_new(p, age_json(&o.by_priority[order[i]], json_string(task_priority_name(order[i])), NULL));
        json_t *total = age_json(&o.total, json_string("total"), NULL);
        http_reply_json(r, 200, json_pack("{s:s, s:o, s:o, s:o}", "as_of", today, "by_assignee", a, "by_priority", p,
                                          "total", total));
    }
    overdue_free(&o);
}
