/* stream.c (api): the live feed. GET /ops/stream answers server-sent events
 * of task changes (task.created, task.updated, comment.created) and
 * GET /ops/changes the same changes as JSON, for clients that poll.
 *
 * The changes are read from the database (store feed_read: task_history
 * and comments by their commit-ordered seq), never from this process's
 * memory, so a change made through any instance reaches every instance's
 * streams. A position is the pair of the last history seq and comment seq
 * sent, written "H-C" as each event's id: EventSource sends it back as
 * Last-Event-ID when it reconnects, and the stream resumes exactly after it.
 *
 * One poller thread per instance reads the feed every POLL_MS and writes
 * each stream's events into its http_stream (http/stream.c: the connection
 * waits suspended, no HTTP thread held). Streams at the poller's position
 * share one read; one behind (resumed from an older id) reads its own until
 * it has caught up. With no stream open the poller reads nothing. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "util/clock.h"
#include "util/log.h"

#define POLL_MS 500
#define HEARTBEAT_MS 15000
/* a stream ends after this long (the client reconnects and resumes), so
 * one whose token or session was revoked meanwhile is asked again soon */
#define LIFETIME_MS (10 * 60 * 1000)
#define READ_LIMIT 500                      /* rows of each list per read */
#define BUFFER_MAX (1024 * 1024)            /* unsent bytes before a slow stream is ended */
#define RETRY_AFTER "10"                    /* seconds, when the cap is reached */

struct pos {
    int64_t h, c;
};

struct watcher {
    struct http_stream *s;
    struct pos at;          /* every change at or below it was sent (poller thread only) */
    int64_t opened_ms, written_ms;
    struct watcher *next;
};

static struct {
    pthread_mutex_t lock; /* guards list, open, running, stopping */
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stopping;
    struct store *store;
    int max, open;
    struct watcher *list;
    bool failing; /* the poller's last read failed: logged once until one works (poller thread only) */
} feed = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pos_text(struct pos p, char out[48]) { snprintf(out, 48, "%lld-%lld", (long long)p.h, (long long)p.c); }

/* "H-C" (each 1-19 digits), or "now" (*now set). */
static bool pos_parse(const char *s, struct pos *p, bool *now)
{
    *now = false;
    if (strcmp(s, "now") == 0) return *now = true;
    const char *dash = strchr(s, '-');
    if (!dash || dash - s > 19) return false;
    char h[20];
    memcpy(h, s, (size_t)(dash - s));
    h[dash - s] = 0;
    long long a, b;
    if (!api_digits(h, 19, &a) || !api_digits(dash + 1, 19, &b)) return false;
    p->h = a;
    p->c = b;
    return true;
}

/* ---- changes: rows of a read made into the API's change objects ---- */

/* Calls emit for each change of rows[0..n) past *at, in order, moving *at
 * past it. The history rows one write made for one task (the same task,
 * instant and actor, one after another: a PATCH of three fields) are one
 * task.updated naming each field. */
static void changes_walk(const struct feed_change *rows, int n, struct pos *at,
                         void (*emit)(void *arg, const char *id, json_t *change), void *arg)
{
    for (int i = 0; i < n; i++) {
        const struct feed_change *f = &rows[i];
        if (f->kind == 'h' ? f->seq <= at->h : f->seq <= at->c) continue;
        json_t *o = json_object();
        int last = i;
        if (f->kind == 'c') {
            json_object_set_new(o, "type", json_string("comment.created"));
            json_object_set_new(o, "task_id", json_string(f->task_id));
            json_object_set_new(o, "comment_id", json_string(f->comment_id));
            at->c = f->seq;
        } else {
            bool created = strcmp(f->type, "created") == 0;
            json_object_set_new(o, "type", json_string(created ? "task.created" : "task.updated"));
            json_object_set_new(o, "task_id", json_string(f->task_id));
            json_t *fields = json_array();
            while (last + 1 < n) {
                const struct feed_change *g = &rows[last + 1];
                if (g->kind != 'h' || strcmp(g->task_id, f->task_id) != 0 || g->at != f->at ||
                    strcmp(g->actor, f->actor) != 0 || strcmp(g->type, "created") == 0)
                    break;
                last++;
            }
            for (int k = i; k <= last; k++) {
                if (strcmp(rows[k].type, "created") == 0) continue;
                const char *name = rows[k].field[0] ? rows[k].field : rows[k].type;
                bool seen = false;
                for (size_t j = 0; j < json_array_size(fields); j++)
                    if (strcmp(json_string_value(json_array_get(fields, j)), name) == 0) seen = true;
                if (!seen) json_array_append_new(fields, json_string(name));
            }
            if (created)
                json_decref(fields);
            else
                json_object_set_new(o, "fields", fields);
            at->h = rows[last].seq;
        }
        json_object_set_new(o, "version", json_integer(rows[last].version));
        json_object_set_new(o, "actor", json_string(f->actor));
        api_ts(o, "at", f->at);
        char id[48];
        pos_text(*at, id);
        json_object_set_new(o, "id", json_string(id));
        emit(arg, id, o);
        i = last;
    }
}

/* A read gives history rows, then comments, each list in seq order: the
 * two merged by time (history first at the same instant), so a client
 * catching up sees them as they happened. Each event still moves only its
 * own half of the position, so any merge of the two lists resumes alike. */
static void merge_by_time(struct feed_change *rows, int n)
{
    int split = 0;
    while (split < n && rows[split].kind == 'h') split++;
    if (split == 0 || split == n) return;
    struct feed_change *m = malloc(sizeof *m * (size_t)n);
    if (!m) return; /* kept as read: the same changes, in another order */
    int i = 0, j = split, k = 0;
    while (i < split || j < n)
        m[k++] = j == n || (i < split && rows[i].at <= rows[j].at) ? rows[i++] : rows[j++];
    memcpy(rows, m, sizeof *m * (size_t)n);
    free(m);
}

/* ---- the poller ---- */

struct sse_arg {
    struct watcher *w;
    bool ok;
};

static void emit_sse(void *arg, const char *id, json_t *change)
{
    struct sse_arg *a = arg;
    char *data = json_dumps(change, JSON_COMPACT);
    json_decref(change);
    if (!data) {
        a->ok = false;
        return;
    }
    size_t need = strlen(data) + strlen(id) + 16;
    char *text = malloc(need);
    if (text) {
        int k = snprintf(text, need, "id: %s\ndata: %s\n\n", id, data);
        if (a->ok) a->ok = http_stream_write(a->w->s, text, (size_t)k);
    } else {
        a->ok = false;
    }
    free(text);
    free(data);
    a->w->written_ms = now_ms();
}

static void deliver(struct watcher *w, const struct feed_change *rows, int n)
{
    struct sse_arg a = {.w = w, .ok = true};
    changes_walk(rows, n, &w->at, emit_sse, &a);
    if (!a.ok) http_stream_end(w->s);
}

static struct pos pos_max(struct pos a, struct pos b)
{
    return (struct pos){a.h > b.h ? a.h : b.h, a.c > b.c ? a.c : b.c};
}

static struct pos rows_end(struct pos from, const struct feed_change *rows, int n)
{
    for (int i = 0; i < n; i++) {
        if (rows[i].kind == 'h' && rows[i].seq > from.h) from.h = rows[i].seq;
        if (rows[i].kind == 'c' && rows[i].seq > from.c) from.c = rows[i].seq;
    }
    return from;
}

/* The streams open now, the ended ones taken off the list and given back. */
static int take_watchers(struct watcher ***out)
{
    pthread_mutex_lock(&feed.lock);
    struct watcher **pp = &feed.list, *dead = NULL;
    int n = 0;
    while (*pp) {
        struct watcher *w = *pp;
        if (http_stream_ended(w->s)) {
            *pp = w->next;
            w->next = dead;
            dead = w;
            feed.open--;
        } else {
            n++;
            pp = &w->next;
        }
    }
    struct watcher **a = n ? malloc(sizeof *a * (size_t)n) : NULL;
    int k = 0;
    for (struct watcher *w = feed.list; a && w; w = w->next) a[k++] = w;
    pthread_mutex_unlock(&feed.lock);
    while (dead) {
        struct watcher *w = dead;
        dead = w->next;
        http_stream_release(w->s);
        free(w);
    }
    *out = a;
    return a ? n : 0;
}

/* One round: the shared read, each stream's events, heartbeats. Returns
 * true when the shared read was cut at READ_LIMIT (a burst of changes): the
 * next round comes at once rather than after POLL_MS. */
static bool tick(struct pos *g, bool *g_known)
{
    struct watcher **ws;
    int n = take_watchers(&ws);
    if (n == 0) {
        *g_known = false; /* nobody listens: read nothing until someone does */
        return false;
    }
    struct store_conn *c = store_reader_acquire(feed.store);
    if (!c) {
        free(ws);
        return false;
    }
    enum err rc = ERR_OK;
    if (!*g_known) {
        rc = store_feed_head(c, &g->h, &g->c);
        *g_known = rc == ERR_OK;
    }
    struct feed_change *batch = NULL;
    int nb = 0;
    bool more = false;
    if (rc == ERR_OK) rc = store_feed_read(c, g->h, g->c, READ_LIMIT, &batch, &nb, &more);
    if (rc == ERR_OK) merge_by_time(batch, nb);
    if (rc != ERR_OK) {
        if (!feed.failing) log_error("stream: cannot read the feed: %s", store_last_error(c));
        feed.failing = true;
        store_reader_release(c);
        free(ws);
        return false;
    }
    if (feed.failing) log_info("stream: reading the feed again");
    feed.failing = false;
    struct pos next = rows_end(*g, batch, nb);
    int64_t now = now_ms();
    for (int i = 0; i < n; i++) {
        struct watcher *w = ws[i];
        if (w->at.h >= g->h && w->at.c >= g->c) {
            deliver(w, batch, nb);
            w->at = pos_max(w->at, next);
        } else {
            /* behind (resumed from an older id): a read of its own, after
             * the shared one, so when complete it holds all of it too */
            struct feed_change *own = NULL;
            int no = 0;
            bool own_more = false;
            if (store_feed_read(c, w->at.h, w->at.c, READ_LIMIT, &own, &no, &own_more) == ERR_OK) {
                merge_by_time(own, no);
                deliver(w, own, no);
                w->at = rows_end(w->at, own, no);
                if (!own_more) w->at = pos_max(w->at, next);
            }
            free(own);
        }
        if (now - w->opened_ms >= LIFETIME_MS) {
            http_stream_end(w->s);
        } else if (now - w->written_ms >= HEARTBEAT_MS) {
            static const char beat[] = ": keep-alive\n\n";
            if (!http_stream_write(w->s, beat, sizeof beat - 1)) http_stream_end(w->s);
            w->written_ms = now;
        }
    }
    store_reader_release(c);
    free(batch);
    free(ws);
    *g = next;
    return more;
}

static void *poller(void *arg)
{
    (void)arg;
    struct pos g = {0, 0};
    bool g_known = false;
    bool again = false;
    pthread_mutex_lock(&feed.lock);
    while (!feed.stopping) {
        if (again) {
            pthread_mutex_unlock(&feed.lock);
            again = tick(&g, &g_known);
            pthread_mutex_lock(&feed.lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)POLL_MS * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&feed.wake, &feed.lock, &until);
        if (feed.stopping) break;
        pthread_mutex_unlock(&feed.lock);
        again = tick(&g, &g_known);
        pthread_mutex_lock(&feed.lock);
    }
    pthread_mutex_unlock(&feed.lock);
    return NULL;
}

int api_stream_start(struct store *store, int max_streams)
{
    pthread_mutex_lock(&feed.lock);
    feed.store = store;
    feed.max = max_streams;
    feed.stopping = false;
    int rc = pthread_create(&feed.thread, NULL, poller, NULL);
    feed.running = rc == 0;
    pthread_mutex_unlock(&feed.lock);
    return rc == 0 ? 0 : -1;
}

void api_stream_stop(void)
{
    pthread_mutex_lock(&feed.lock);
    bool was = feed.running;
    feed.stopping = true;
    feed.running = false;
    pthread_cond_signal(&feed.wake);
    pthread_mutex_unlock(&feed.lock);
    if (was) pthread_join(feed.thread, NULL);
    pthread_mutex_lock(&feed.lock);
    struct watcher *w = feed.list;
    feed.list = NULL;
    feed.open = 0;
    pthread_mutex_unlock(&feed.lock);
    while (w) {
        struct watcher *next = w->next;
        http_stream_end(w->s);
        http_stream_release(w->s);
        free(w);
        w = next;
    }
}

/* ---- the handlers ---- */

/* Where a client starts: after the position it names (Last-Event-ID, else
 * ?after=), or at the newest change ("now", or none named); a position
 * past the newest (another database's) is taken as the newest. False after
 * answering. */
static bool start_pos(struct request *r, struct store_conn *c, const char *given, struct pos *out)
{
    struct pos head;
    enum err rc = store_feed_head(c, &head.h, &head.c);
    if (api_failed(r, rc, NULL)) return false;
    bool now = true;
    struct pos p = head;
    if (given && *given && !pos_parse(given, &p, &now)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "after", "a position is H-C as an event's id gives it, or now");
        return false;
    }
    if (now || p.h > head.h || p.c > head.c) p = head;
    *out = p;
    return true;
}

void api_stream(struct request *r)
{
    static const char *const known[] = {"after", NULL};
    if (!api_query_known(r, known)) return;
    const char *given = http_header(r, "Last-Event-ID");
    if (!given || !*given) given = http_query(r, "after");
    pthread_mutex_lock(&feed.lock);
    bool running = feed.running, full = feed.open >= feed.max;
    if (running && !full) feed.open++; /* the slot, taken before the read */
    pthread_mutex_unlock(&feed.lock);
    if (!running) {
        http_reply_err(r, ERR_UNAVAILABLE, NULL, "The live stream is not running; poll GET /ops/changes");
        return;
    }
    if (full) {
        http_reply_err(r, ERR_UNAVAILABLE, NULL, "%d live streams are open, the most this server serves; retry "
                                                 "later or poll GET /ops/changes", feed.max);
        http_add_header(r, "Retry-After", RETRY_AFTER);
        return;
    }
    struct pos p;
    struct store_conn *c = api_reader(r);
    bool ok = c && start_pos(r, c, given, &p);
    if (c) store_reader_release(c);
    struct watcher *w = ok ? calloc(1, sizeof *w) : NULL;
    if (ok && !w) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    if (w && strcmp(r->method, "HEAD") == 0) { /* headers only: no stream */
        free(w);
        w = NULL;
        http_reply_body(r, 200, strdup(""), "text/event-stream; charset=utf-8");
    }
    if (w && !(w->s = http_stream_open(r, BUFFER_MAX))) {
        free(w);
        w = NULL;
    }
    if (!w) {
        pthread_mutex_lock(&feed.lock);
        feed.open--;
        pthread_mutex_unlock(&feed.lock);
        return;
    }
    http_add_header(r, "X-Accel-Buffering", "no"); /* a proxy in front must not hold the events back */
    char id[48], hello[160];
    pos_text(p, id);
    int k = snprintf(hello, sizeof hello, "retry: 2000\nevent: ready\nid: %s\ndata: {\"last_event_id\":\"%s\"}\n\n",
                     id, id);
    http_stream_write(w->s, hello, (size_t)k);
    w->at = p;
    w->opened_ms = w->written_ms = now_ms();
    pthread_mutex_lock(&feed.lock);
    if (feed.running) {
        w->next = feed.list;
        feed.list = w;
        pthread_cond_signal(&feed.wake); /* a resumed stream gets what it missed at once */
    } else { /* stopped meanwhile */
        feed.open--;
        http_stream_end(w->s);
        http_stream_release(w->s);
        free(w);
    }
    pthread_mutex_unlock(&feed.lock);
}

static void emit_json(void *arg, const char *id, json_t *change)
{
    (void)id;
    json_array_append_new(arg, change);
}

void api_changes(struct request *r)
{
    static const char *const known[] = {"after", NULL};
    if (!api_query_known(r, known)) return;
    const char *given = http_query(r, "after");
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct pos p;
    if (!start_pos(r, c, given, &p)) {
        store_reader_release(c);
        return;
    }
    struct feed_change *rows = NULL;
    int n = 0;
    bool more = false;
    bool now = !given || !*given || strcmp(given, "now") == 0;
    enum err rc = now ? ERR_OK : store_feed_read(c, p.h, p.c, READ_LIMIT, &rows, &n, &more);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    merge_by_time(rows, n);
    json_t *data = json_array();
    changes_walk(rows, n, &p, emit_json, data);
    free(rows);
    char id[48];
    pos_text(p, id);
    json_t *o = json_object();
    json_object_set_new(o, "data", data);
    json_object_set_new(o, "last_event_id", json_string(id));
    json_object_set_new(o, "more", json_boolean(more));
    http_reply_json(r, 200, o);
}
