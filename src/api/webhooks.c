/* webhooks.c (api): /ops/webhooks (admin). PUT validates the URL (http or
 * https, and by the SSRF guard unless --webhook-allow-private), the event
 * types and the secret, and upserts; GET lists or reads (the secret is
 * write-only: "has_secret"); DELETE removes a webhook with its deliveries.
 * /ops/webhooks/{id}/deliveries lists what was sent, newest first, with each
 * try; .../{delivery}/redeliver sends one again. Sending is jobs/webhooks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "service/webhooks.h"
#include "util/clock.h"
#include "util/ids.h"

#define DELIVERIES_DEFAULT 50
#define DELIVERIES_MAX 200
#define ATTEMPTS_SHOWN 100

static json_t *webhook_json(const struct webhook_row *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(w->id));
    json_object_set_new(o, "url", json_string(w->url));
    json_t *ev = json_loads(w->events, 0, NULL);
    json_object_set_new(o, "events", json_is_array(ev) ? ev : json_array());
    if (ev && !json_is_array(ev)) json_decref(ev);
    json_object_set_new(o, "active", json_boolean(w->active));
    json_object_set_new(o, "has_secret", json_boolean(w->secret[0] != 0));
    api_ts(o, "created_at", w->created_at);
    api_ts(o, "updated_at", w->updated_at);
    return o;
}

static json_t *delivery_json(struct store_conn *c, const struct webhook_delivery *d, enum err *rc)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(d->id));
    json_object_set_new(o, "event_type", json_string(d->event_type));
    json_object_set_new(o, "state", json_string(d->state));
    json_object_set_new(o, "task_id", d->task_id[0] ? json_string(d->task_id) : json_null());
    api_ts(o, "created_at", d->created_at);
    api_ts(o, "next_attempt_at", strcmp(d->state, "pending") == 0 ? d->next_at : 0);
    json_t *at = json_array();
    struct webhook_attempt *a = NULL;
    int n = 0;
    *rc = store_webhook_attempts(c, d->id, ATTEMPTS_SHOWN, &a, &n);
    for (int i = 0; i < n; i++) {
        json_t *t = json_object();
        api_ts(t, "at", a[i].at);
        json_object_set_new(t, "status_code", a[i].status_code > 0 ? json_integer(a[i].status_code) : json_null());
        json_object_set_new(t, "ms", json_integer(a[i].ms));
        json_t *s = json_string(a[i].response);
        json_object_set_new(t, "response", s ? s : json_string(""));
        json_array_append_new(at, t);
    }
    free(a);
    json_object_set_new(o, "attempts", at);
    return o;
}

/* The webhook id of the path /ops/webhooks/{id}[/...] into out; false when
 * it is not one (no such webhook, answered 404). */
static bool path_webhook(struct request *r, char out[EXT_ID_SIZE])
{
    const char *p = r->path + strlen("/ops/webhooks/");
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > 0 && n < EXT_ID_SIZE) {
        memcpy(out, p, n);
        out[n] = 0;
        if (ids_valid_external(out, "whk_")) return true;
    }
    http_reply_err(r, ERR_NOT_FOUND, NULL, "no webhook %.*s", (int)(n > 80 ? 80 : n), p);
    return false;
}

/* The webhook out names, read on c; false after answering 404 or 500. */
static bool webhook_or_404(struct request *r, struct store_conn *c, const char *id, struct webhook_row *out)
{
    enum err rc = store_webhook_get(c, id, out);
    if (rc == ERR_OK) return true;
    http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no webhook %s" : NULL, id);
    return false;
}

void api_webhooks_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    int limit, n = 0;
    const char *after;
    if (!api_id_page(r, known, "whk_", &limit, &after)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct webhook_row *rows = NULL;
    enum err rc = store_webhook_list(c, after, limit + 1, &rows, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, webhook_json(&rows[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? rows[limit - 1].id : NULL));
    free(rows);
}

void api_webhook_get(struct request *r)
{
    char id[EXT_ID_SIZE];
    if (!path_webhook(r, id)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct webhook_row *w = malloc(sizeof *w);
    if (w && webhook_or_404(r, c, id, w)) http_reply_json(r, 200, webhook_json(w));
    else if (!w) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    store_reader_release(c);
    free(w);
}

struct put_ctx {
    struct webhook_row w;
    bool created, deleting;
    struct errinfo e;
};

/* events: a non-empty array of known event type names, each once; into
 * w->events (as given, duplicates dropped) and w->event_mask. */
static enum err read_events(json_t *v, struct webhook_row *w, struct errinfo *e)
{
    if (!v) return err_set(e, ERR_VALIDATION_FAILED, "events", "events is required: an array of event types");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return err_set(e, ERR_VALIDATION_FAILED, "events", "events must be a non-empty array of event types");
    json_t *out = json_array();
    size_t i;
    json_t *x;
    w->event_mask = 0;
    json_array_foreach(v, i, x)
    {
        int t = json_is_string(x) ? announce_type_parse(json_string_value(x)) : -1;
        if (t < 0) {
            json_decref(out);
            return err_set(e, ERR_VALIDATION_FAILED, "events",
                           "events[%zu] must be one of task.created, task.updated, task.assigned, task.completed, "
                           "task.cancelled, task.reopened, task.overdue, sla.at_risk, sla.breached, "
                           "comment.created, renewal.task_created, renewal.task_escalated", i);
        }
        if (w->event_mask & webhooks_type_bit(t)) continue;
        w->event_mask |= webhooks_type_bit(t);
        json_array_append_new(out, json_string(announce_type_name((enum announce_type)t)));
    }
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (!text || strlen(text) >= sizeof w->events) {
        free(text);
        return err_set(e, ERR_INTERNAL, NULL, NULL);
    }
    memcpy(w->events, text, strlen(text) + 1);
    free(text);
    return ERR_OK;
}

static enum err put_run(struct store_conn *c, void *arg)
{
    struct put_ctx *x = arg;
    enum err rc = store_webhook_put(c, &x->w, &x->created);
    if (rc == ERR_OK) rc = store_webhook_get(c, x->w.id, &x->w);
    if (rc != ERR_OK) return err_set(&x->e, rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc, NULL, NULL);
    /* this instance's sink sees the new webhook from its next event on */
    return ERR_OK;
}

static void put_finish(struct request *r, enum err rc)
{
    struct put_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    if (x->created) {
        char loc[128];
        snprintf(loc, sizeof loc, "/ops/webhooks/%s", x->w.id);
        http_add_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    }
    http_reply_json(r, x->deleting || !x->created ? 200 : 201, webhook_json(&x->w));
}

void api_webhook_put(struct request *r)
{
    static const char *const fields[] = {"url", "events", "secret", "active", NULL};
    struct put_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x || !api_put_id(r, "whk_", "webhook", x->w.id)) return;
    json_t *obj = api_body(r, fields, &x->e);
    const char *url = NULL, *secret = NULL;
    if (!obj || api_required_string(obj, "url", &url, &x->e) != ERR_OK) goto fail;
    struct webhook_target target;
    char why[400];
    if (webhooks_url_check(url, webhooks_allow_private(), &target, why, sizeof why) != 0) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "url", "%s", why);
        goto fail;
    }
    memcpy(x->w.url, url, strlen(url) + 1); /* checked: at most WEBHOOK_URL_MAX */
    if (read_events(json_object_get(obj, "events"), &x->w, &x->e) != ERR_OK) goto fail;
    json_t *s = json_object_get(obj, "secret");
    if (!s || json_is_null(s)) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "secret", "secret is required: each delivery is signed with it");
        goto fail;
    }
    if (api_required_string(obj, "secret", &secret, &x->e) != ERR_OK) goto fail;
    if (!secret[0] || strlen(secret) > WEBHOOK_SECRET_MAX) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "secret", "secret must be 1 to %d bytes", WEBHOOK_SECRET_MAX);
        goto fail;
    }
    memcpy(x->w.secret, secret, strlen(secret) + 1);
    json_t *active = json_object_get(obj, "active");
    if (active && !json_is_boolean(active)) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "active", "active must be true or false");
        goto fail;
    }
    x->w.active = !active || json_is_true(active);
    x->w.updated_at = clock_now_ms();
    api_submit(r, put_run, put_finish);
    return;
fail:
    http_reply_error(r, &x->e);
}

static enum err delete_run(struct store_conn *c, void *arg)
{
    struct put_ctx *x = arg;
    enum err rc = store_webhook_get(c, x->w.id, &x->w);
    if (rc == ERR_OK) rc = store_webhook_delete(c, x->w.id);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, rc == ERR_NOT_FOUND ? "no webhook %s" : NULL, x->w.id);
    return ERR_OK;
}

void api_webhook_delete(struct request *r)
{
    struct put_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x || !path_webhook(r, x->w.id)) return;
    x->deleting = true;
    api_submit(r, delete_run, put_finish);
}

void api_webhook_deliveries(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    char id[EXT_ID_SIZE];
    if (!path_webhook(r, id) || !api_query_known(r, known)) return;
    int limit;
    struct errinfo e = {0};
    if (api_limit(r, DELIVERIES_DEFAULT, DELIVERIES_MAX, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *before = http_query(r, "cursor");
    if (before && (strncmp(before, "dlv_", 4) != 0 || strlen(before) >= WEBHOOK_DELIVERY_ID_SIZE)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct webhook_row *w = malloc(sizeof *w);
    struct webhook_delivery *d = NULL;
    int n = 0;
    if (!w) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        goto out;
    }
    if (!webhook_or_404(r, c, id, w)) goto out;
    enum err rc = store_webhook_deliveries(c, id, before, limit + 1, &d, &n);
    if (api_failed(r, rc, NULL)) goto out;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit && rc == ERR_OK; i++) json_array_append_new(data, delivery_json(c, &d[i], &rc));
    if (rc != ERR_OK) {
        json_decref(data);
        api_failed(r, rc, NULL);
        goto out;
    }
    http_reply_json(r, 200, api_page(data, n > limit ? d[limit - 1].id : NULL));
out:
    store_reader_release(c);
    free(w);
    free(d);
}

struct redeliver_ctx {
    char webhook_id[EXT_ID_SIZE];
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    struct errinfo e;
};

static enum err redeliver_run(struct store_conn *c, void *arg)
{
    struct redeliver_ctx *x = arg;
    enum err rc = store_webhook_redeliver(c, x->webhook_id, x->id, clock_now_ms());
    if (rc != ERR_OK)
        return err_set(&x->e, rc, NULL, rc == ERR_NOT_FOUND ? "no delivery %s of webhook %s" : NULL, x->id,
                       x->webhook_id);
    return ERR_OK;
}

static void redeliver_finish(struct request *r, enum err rc)
{
    struct redeliver_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct webhook_delivery d;
    rc = store_webhook_delivery_get(c, x->webhook_id, x->id, &d);
    json_t *o = rc == ERR_OK ? delivery_json(c, &d, &rc) : NULL;
    store_reader_release(c);
    if (rc != ERR_OK) {
        json_decref(o);
        http_reply_err(r, rc == ERR_NOT_FOUND ? ERR_NOT_FOUND : rc, NULL,
                       rc == ERR_NOT_FOUND ? "no delivery %s of webhook %s" : NULL, x->id, x->webhook_id);
        return;
    }
    http_reply_json(r, 202, o);
}

void api_webhook_redeliver(struct request *r)
{
    struct redeliver_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x || !path_webhook(r, x->webhook_id)) return;
    /* /ops/webhooks/{id}/deliveries/{delivery}/redeliver */
    const char *p = r->path + strlen("/ops/webhooks/") + strlen(x->webhook_id) + strlen("/deliveries/");
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : 0;
    if (n < 5 || n >= sizeof x->id || strncmp(p, "dlv_", 4) != 0) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no delivery %.*s", (int)(n > 80 ? 80 : n), p);
        return;
    }
    memcpy(x->id, p, n);
    x->id[n] = 0;
    api_submit(r, redeliver_run, redeliver_finish);
}
