/* task_json.c (service): the task's fields, walked once (fields()), into
 * one of two sinks: JSON text in a buffer, or a jansson object. */
#include "service/task_json.h"

#include <stdio.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"

/* The walk and the text sink's small writers are inlined into each writer
 * with its sink a constant, so the sink's calls become direct ones and each
 * key's length a constant: as fast as the hand-written writer it replaced
 * (the list writes 50 tasks a request). */
#define INLINE static inline __attribute__((always_inline))

/* Where the fields go: a key and a value of one of these shapes. */
struct sink {
    void (*string)(void *to, const char *key, const char *s); /* NULL: null */
    void (*word)(void *to, const char *key, const char *s);   /* a string that needs no escape */
    void (*ts)(void *to, const char *key, int64_t ms);        /* 0: null */
    void (*flag)(void *to, const char *key, int v);           /* -1: null */
    void (*integer)(void *to, const char *key, int64_t v);
    void (*hours)(void *to, const char *key, bool has, double h, bool as_real); /* !has: null */
};

static const char *opt(const char *s) { return s && *s ? s : NULL; }

INLINE void fields(const struct sink *k, void *to, const struct task *t, const char *today, int64_t now_ms,
                   enum task_json_view v)
{
    bool api = v == TASK_JSON_API;
    enum task_status eff = task_effective_status(t, today);
    k->string(to, "id", t->id);
    k->string(to, "title", t->title ? t->title : "");
    k->string(to, "description", opt(t->description));
    k->word(to, "priority", task_priority_name(t->priority));
    k->word(to, "status", task_status_name(eff));
    /* the status without the overdue overlay: what the work is */
    if (api) k->word(to, "work_status", task_status_name(t->status));
    k->word(to, "due_date", t->due_date);
    k->hours(to, "sla_hours", t->has_sla, t->sla_hours, !api);
    k->string(to, "assignee_id", opt(t->assignee_id));
    k->string(to, "user_id", opt(t->user_id));
    k->word(to, "source", task_source_name(t->source));
    k->string(to, "rule_id", opt(t->rule_id));
    k->string(to, "event_id", opt(t->event_id));
    k->ts(to, "created_at", t->created_at);
    if (api) k->ts(to, "updated_at", t->updated_at);
    k->ts(to, "started_at", t->started_at);
    k->ts(to, "completed_at", t->completed_at);
    k->ts(to, "cancelled_at", t->cancelled_at);
    k->ts(to, "sla_due_at", sla_due_at(t));
    if (api) {
        enum sla_state s = sla_breached(t, eff, now_ms);
        k->flag(to, "sla_breached", s == SLA_NONE ? -1 : s == SLA_BREACHED);
        /* null without an SLA, like sla_breached */
        k->flag(to, "sla_at_risk", !t->has_sla ? -1 : sla_at_risk(t, eff, now_ms));
        /* SLA clocks: the start, and the pause while waiting on the customer
         * (sla_paused_seconds: the finished pauses of this clock) */
        k->ts(to, "sla_started_at", sla_clock_start(t));
        k->flag(to, "waiting_on_customer", t->sla_paused_at != 0);
        k->ts(to, "sla_paused_at", t->sla_paused_at);
        k->integer(to, "sla_paused_seconds", t->sla_paused_ms / 1000);
    }
    k->integer(to, "version", t->version);
    if (api) k->string(to, "renewal_id", opt(t->renewal_id));
    if (api) k->integer(to, "comment_count", t->comment_count);
}

/* ---- text ---------------------------------------------------------------- */

struct text {
    struct buf *b;
    bool first;
};

/* ,"key": (or {"key": first) in one append: the list writes ~20 a task */
INLINE void text_key(struct text *x, const char *key)
{
    char tmp[40];
    size_t n = strlen(key);
    tmp[0] = x->first ? '{' : ',';
    tmp[1] = '"';
    memcpy(tmp + 2, key, n); /* keys are this file's literals, < 32 bytes */
    tmp[n + 2] = '"';
    tmp[n + 3] = ':';
    buf_append(x->b, tmp, n + 4);
    x->first = false;
}

INLINE void text_string(void *to, const char *key, const char *s)
{
    text_key(to, key);
    if (s)
        buf_json_string(((struct text *)to)->b, s);
    else
        buf_puts(((struct text *)to)->b, "null");
}

INLINE void text_word(void *to, const char *key, const char *s)
{
    char tmp[48];
    size_t n = strlen(s);
    text_key(to, key);
    if (n > sizeof tmp - 2) { /* not one of ours; escape it anyway */
        buf_json_string(((struct text *)to)->b, s);
        return;
    }
    tmp[0] = '"';
    memcpy(tmp + 1, s, n);
    tmp[n + 1] = '"';
    buf_append(((struct text *)to)->b, tmp, n + 2);
}

static void text_ts(void *to, const char *key, int64_t ms)
{
    char ts[32];
    if (!ms) {
        text_string(to, key, NULL);
        return;
    }
    dates_format_ts(ms, ts, sizeof ts);
    text_word(to, key, ts);
}

static void text_flag(void *to, const char *key, int v)
{
    text_key(to, key);
    buf_puts(((struct text *)to)->b, v < 0 ? "null" : v ? "true" : "false");
}

static void text_integer(void *to, const char *key, int64_t v)
{
    text_key(to, key);
    buf_int(((struct text *)to)->b, v);
}

static void text_hours(void *to, const char *key, bool has, double h, bool as_real)
{
    struct buf *b = ((struct text *)to)->b;
    text_key(to, key);
    char num[40];
    if (!has) {
        buf_puts(b, "null");
    } else if (as_real) { /* as jansson writes a real: %.17g, and 24.0 for 24 */
        snprintf(num, sizeof num, "%.17g", h);
        buf_puts(b, num);
        if (!strpbrk(num, ".eE")) buf_puts(b, ".0");
    } else if (h == (double)(int64_t)h) {
        buf_int(b, (int64_t)h); /* whole hours print as 24, not 24.0 */
    } else {
        snprintf(num, sizeof num, "%.15g", h);
        buf_puts(b, num);
    }
}

static const struct sink text_sink = {text_string, text_word, text_ts, text_flag, text_integer, text_hours};

void task_json_write(struct buf *b, const struct task *t, const char *today, int64_t now_ms, enum task_json_view v)
{
    struct text x = {b, true};
    fields(&text_sink, &x, t, today, now_ms, v);
    buf_putc(b, '}');
}

char *task_json_text(const struct task *t, int64_t now_ms)
{
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    struct buf b = {0};
    task_json_write(&b, t, today, now_ms, TASK_JSON_API);
    return buf_take(&b);
}

/* ---- jansson ------------------------------------------------------------- */

struct tree {
    json_t *o;
    bool oom;
};

static void tree_set(void *to, const char *key, json_t *v)
{
    struct tree *x = to;
    if (!v || json_object_set_new(x->o, key, v) != 0) x->oom = true;
}

static void tree_string(void *to, const char *key, const char *s) { tree_set(to, key, s ? json_string(s) : json_null()); }

static void tree_ts(void *to, const char *key, int64_t ms)
{
    char ts[40];
    if (ms) dates_format_ts(ms, ts, sizeof ts);
    tree_string(to, key, ms ? ts : NULL);
}

static void tree_flag(void *to, const char *key, int v) { tree_set(to, key, v < 0 ? json_null() : json_boolean(v)); }

static void tree_integer(void *to, const char *key, int64_t v) { tree_set(to, key, json_integer((json_int_t)v)); }

static void tree_hours(void *to, const char *key, bool has, double h, bool as_real)
{
    json_t *j = !has                               ? json_null()
                : as_real || h != (double)(int64_t)h ? json_real(h)
                                                     : json_integer((json_int_t)h);
    tree_set(to, key, j);
}

static const struct sink tree_sink = {tree_string, tree_string, tree_ts, tree_flag, tree_integer, tree_hours};

json_t *task_json(const struct task *t, int64_t now_ms, enum task_json_view v)
{
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    struct tree x = {json_object(), false};
    if (!x.o) return NULL;
    fields(&tree_sink, &x, t, today, now_ms, v);
    if (x.oom) {
        json_decref(x.o);
        return NULL;
    }
    return x.o;
}
