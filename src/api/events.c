/* events.c (api): /ops/events. POST hands the event to the rules engine in
 * one writer job (event, matched rules and created tasks commit together),
 * idempotent by the caller's id; GET lists received events with their
 * outcome, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "domain/dates.h"
#include "service/rule_engine.h"
#include "util/clock.h"
#include "util/ids.h"

struct event_ctx {
    struct rule_engine_event ev;
    char *answer;
    bool replayed;
};

static void event_ctx_clear(void *p)
{
    struct event_ctx *x = p;
    json_decref(x->ev.data);
    free(x->answer);
}

static enum err event_run(struct store_conn *c, void *arg)
{
    struct event_ctx *x = arg;
    return rule_engine_process_event(c, &x->ev, clock_now_ms(), &x->answer, &x->replayed);
}

static void event_finish(struct request *r, enum err rc)
{
    struct event_ctx *x = r->ctx;
    if (rc != ERR_OK || !x->answer) {
        http_reply_err(r, rc != ERR_OK ? rc : ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_reply_raw_json(r, x->replayed ? 200 : 201, x->answer);
}

/* The service's own event types: a caller may not post them. */
static bool reserved_type(const char *t) { return strncmp(t, "task.", 5) == 0 || strncmp(t, "sla.", 4) == 0; }

/* The token's volume budget (--events-limit-mib-per-minute): every body
 * handled spends its size, whatever the answer; a refused one spends nothing
 * and is answered before anything is parsed or written. Returns false when
 * it answered 429. */
static bool within_budget(struct request *r)
{
    if (!r->app->events_limit) return true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, retry_ms = 0;
    if (ratelimit_take(r->app->events_limit, r->scope, (int64_t)r->body_len, now_ms, &retry_ms)) return true;
    long long secs = (retry_ms + 999) / 1000;
    if (secs < 1) secs = 1;
    char v[24];
    snprintf(v, sizeof v, "%lld", secs);
    http_reply_err(r, ERR_TOO_MANY_REQUESTS, NULL,
                   "this token has sent its limit of event bodies for the minute; retry in %lld s", secs);
    http_add_header(r, "Retry-After", v);
    return false;
}

void api_events_post(struct request *r)
{
    static const char *const fields[] = {"id", "type", "user_id", "occurred_at", "data", NULL};
    if (!within_budget(r)) return;
    struct errinfo e = {0};
    struct event_ctx *x = api_ctx(r, sizeof *x, event_ctx_clear);
    if (!x) return;
    json_t *obj = api_body(r, fields, &e);
    if (!obj) goto fail;
    const char *s;
    bool present;
    if (api_string_field(obj, "id", false, &s, &present, &e) != ERR_OK) goto fail;
    if (!s || !ids_valid_external(s, "evt_")) {
        err_set(&e, ERR_VALIDATION_FAILED, "id", "id is required: evt_ followed by 1-64 of A-Z a-z 0-9 _ -");
        goto fail;
    }
    snprintf(x->ev.id, sizeof x->ev.id, "%s", s);
    if (api_string_field(obj, "type", false, &s, &present, &e) != ERR_OK) goto fail;
    if (!s || !rule_event_type_valid(s)) {
        err_set(&e, ERR_VALIDATION_FAILED, "type",
                "type is required: lower-case words joined by dots, like document.rejected (at most %d bytes)",
                EVENT_TYPE_MAX);
        goto fail;
    }
    if (reserved_type(s)) {
        err_set(&e, ERR_VALIDATION_FAILED, "type", "task.* and sla.* events are the service's own; they cannot be posted");
        goto fail;
    }
    snprintf(x->ev.type, sizeof x->ev.type, "%s", s);
    if (api_string_field(obj, "user_id", true, &s, &present, &e) != ERR_OK) goto fail;
    if (s) {
        if (!ids_valid_external(s, "cus_")) {
            err_set(&e, ERR_VALIDATION_FAILED, "user_id", "user_id must be a customer id (cus_...)");
            goto fail;
        }
        snprintf(x->ev.user_id, sizeof x->ev.user_id, "%s", s);
    }
    if (api_string_field(obj, "occurred_at", true, &s, &present, &e) != ERR_OK) goto fail;
    x->ev.occurred_at = clock_now_ms();
    if (s && (dates_parse_ts(s, &x->ev.occurred_at) != 0 || x->ev.occurred_at <= 0)) {
        err_set(&e, ERR_VALIDATION_FAILED, "occurred_at", "occurred_at must be an RFC 3339 timestamp like 2026-06-01T09:30:00Z");
        goto fail;
    }
    json_t *data = json_object_get(obj, "data");
    if (data && !json_is_null(data) && !json_is_object(data)) {
        err_set(&e, ERR_VALIDATION_FAILED, "data", "data must be a JSON object");
        goto fail;
    }
    x->ev.data = data && json_is_object(data) ? json_incref(data) : json_object();
    char *text = json_dumps(x->ev.data, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;
    free(text);
    if (!text) {
        err_set(&e, ERR_INTERNAL, NULL, NULL);
        goto fail;
    }
    if (len > EVENT_DATA_MAX) {
        err_set(&e, ERR_VALIDATION_FAILED, "data", "data is %zu bytes as compact JSON; at most %d (64 KiB)", len,
                EVENT_DATA_MAX);
        goto fail;
    }
    api_submit(r, event_run, event_finish);
    return;
fail: /* the one error answer of the checks above; the context goes with the request */
    http_reply_error(r, &e);
}

/* An event row as the list shows it: the event, then its outcome. */
static json_t *event_json(const struct event_row *ev)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(ev->id));
    json_object_set_new(o, "type", json_string(ev->type));
    json_object_set_new(o, "user_id", ev->user_id[0] ? json_string(ev->user_id) : json_null());
    api_ts(o, "occurred_at", ev->occurred_at);
    api_ts(o, "received_at", ev->received_at);
    json_object_set_new(o, "origin", json_string(ev->from_service ? "service" : "api"));
    json_object_set_new(o, "depth", json_integer(ev->depth));
    json_t *data = json_loads(ev->data, 0, NULL);
    json_object_set_new(o, "data", data ? data : json_object());
    json_t *out = json_loads(ev->outcome, 0, NULL);
    const char *keys[] = {"matched_rules", "tasks", "notes"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(out, keys[i]);
        json_object_set_new(o, keys[i], json_is_array(v) ? json_incref(v) : json_array());
    }
    json_decref(out);
    return o;
}

void api_events_list(struct request *r)
{
    static const char *const known[] = {"type", "user_id", "limit", "cursor", NULL};
    struct errinfo e = {0};
    struct event_query q = {0};
    if (http_query_check(r, known, &e) != ERR_OK || api_limit(r, 50, 500, &q.limit, &e) != ERR_OK) goto fail;
    const char *s;
    if ((s = http_query(r, "type"))) {
        if (!rule_event_type_valid(s)) {
            err_set(&e, ERR_VALIDATION_FAILED, "type", "type must be an event type like document.rejected");
            goto fail;
        }
        snprintf(q.type, sizeof q.type, "%s", s);
    }
    if ((s = http_query(r, "user_id"))) {
        if (!ids_valid_external(s, "cus_")) {
            err_set(&e, ERR_VALIDATION_FAILED, "user_id", "user_id must be a customer id");
            goto fail;
        }
        snprintf(q.user_id, sizeof q.user_id, "%s", s);
    }
    if ((s = http_query(r, "cursor"))) {
        long long v;
        if (!api_digits(s, 18, &v) || v < 1) {
            err_set(&e, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
            goto fail;
        }
        q.before_seq = v;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct event_row *rows = NULL;
    int n = 0;
    q.limit++; /* one more tells whether there is a next page */
    enum err rc = store_event_list(c, &q, &rows, &n);
    q.limit--;
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < q.limit; i++) json_array_append_new(data, event_json(&rows[i]));
    char cursor[32];
    if (n > q.limit) snprintf(cursor, sizeof cursor, "%lld", (long long)rows[q.limit - 1].seq);
    http_reply_json(r, 200, api_page(data, n > q.limit ? cursor : NULL));
    store_event_rows_free(rows, n);
    return;
fail:
    http_reply_error(r, &e);
}

/* GET /ops/events/{id}: one event as the list shows it (the task page shows
 * the event that made a rule's task). */
void api_event_get(struct request *r)
{
    if (!ids_valid_external(r->param, "evt_") && !ids_valid_external(r->param, "sys_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no event %.80s", r->param);
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct event_row ev = {0};
    enum err rc = store_event_get(c, r->param, &ev);
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no event %s" : NULL, r->param);
        return;
    }
    http_reply_json(r, 200, event_json(&ev));
    store_event_row_clear(&ev);
}
