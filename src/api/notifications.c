/* notifications.c (api): a staff member's own notifications and switches,
 * under /ops/me: the in-app list (newest first, with the unread count),
 * marking read, and GET/PUT of the four switches. Everything here is the
 * caller's own, by the staff member their session or token stands for; a
 * token tied to nobody has no notifications (403). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/clock.h"
#include "util/ids.h"

#define NOTIFICATIONS_LIST_DEFAULT 50
#define NOTIFICATIONS_LIST_MAX 200
#define NOTIFICATIONS_READ_MAX 500 /* ids in one POST .../read */

static const char *const setting_names[] = {"assigned", "mentioned", "sla_at_risk", "daily_digest", NULL};

/* The caller's staff id; false after answering 403 when there is none. */
static bool own_staff(struct request *r)
{
    if (r->token.staff_id[0]) return true;
    http_reply_err(r, ERR_FORBIDDEN, NULL, "notifications are a staff member's: this token is tied to nobody "
                   "(sign in as a staff member, or use a token made with --staff)");
    return false;
}

static json_t *notification_json(const struct notification_row *n)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", n->id, "type", n->type, "task_id", n->task_id);
    if (!o) return NULL;
    json_object_set_new(o, "task_title", n->task_title[0] ? json_string(n->task_title) : json_null());
    api_ts(o, "created_at", n->created_at);
    api_ts(o, "read_at", n->read_at);
    return o;
}

void api_me_notifications(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    if (!own_staff(r) || !api_query_known(r, known)) return;
    struct errinfo e = {0};
    int limit;
    if (api_limit(r, NOTIFICATIONS_LIST_DEFAULT, NOTIFICATIONS_LIST_MAX, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *cursor = http_query(r, "cursor");
    if (cursor && !ids_valid_external(cursor, "ntf_")) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor must be a notification id (ntf_...)");
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct notification_row *a = NULL;
    int n = 0;
    int64_t unread = 0;
    enum err rc = store_notification_list(c, r->token.staff_id, cursor ? cursor : "", limit + 1, &a, &n, &unread);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, notification_json(&a[i]));
    json_t *page = api_page(data, n > limit ? a[limit - 1].id : NULL);
    json_object_set_new(page, "unread", json_integer(unread));
    free(a);
    http_reply_json(r, 200, page);
}

/* ---- POST /ops/me/notifications/read ------------------------------------ */

struct read_ctx {
    char staff_id[EXT_ID_SIZE];
    int n; /* -1: all */
    char (*ids)[TASK_ID_SIZE];
    const char *ptrs[NOTIFICATIONS_READ_MAX];
    int64_t now, unread;
};

static void read_ctx_clear(void *p) { free(((struct read_ctx *)p)->ids); }

static enum err read_run(struct store_conn *c, void *arg)
{
    struct read_ctx *x = arg;
    return store_notification_read(c, x->staff_id, x->ptrs, x->n, x->now, &x->unread);
}

static void read_finish(struct request *r, enum err rc)
{
    struct read_ctx *x = r->ctx;
    if (api_failed(r, rc, NULL)) return;
    http_reply_json(r, 200, json_pack("{s:I}", "unread", (json_int_t)x->unread));
}

void api_me_notifications_read(struct request *r)
{
    static const char *const fields[] = {"ids", NULL};
    struct read_ctx *x = api_ctx(r, sizeof *x, read_ctx_clear);
    if (!x) return;
    struct errinfo e = {0};
    json_t *obj = api_body(r, fields, &e); /* the body first: a malformed one is 4xx for anyone */
    if (!obj) {
        http_reply_error(r, &e);
        return;
    }
    if (!own_staff(r)) return;
    json_t *ids = json_object_get(obj, "ids");
    x->n = -1;
    if (ids && !json_is_null(ids)) {
        if (!json_is_array(ids) || json_array_size(ids) > NOTIFICATIONS_READ_MAX) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "ids", "ids must be a list of at most %d notification ids",
                           NOTIFICATIONS_READ_MAX);
            return;
        }
        size_t k = json_array_size(ids);
        if (!(x->ids = calloc(k ? k : 1, sizeof *x->ids))) {
            http_reply_err(r, ERR_INTERNAL, NULL, NULL);
            return;
        }
        x->n = 0;
        for (size_t i = 0; i < k; i++) {
            const char *s = json_string_value(json_array_get(ids, i));
            if (!s) {
                http_reply_err(r, ERR_VALIDATION_FAILED, "ids", "ids must hold notification ids (strings)");
                return;
            }
            if (!ids_valid_external(s, "ntf_") || strlen(s) >= TASK_ID_SIZE) continue; /* nobody's: ignored */
            memcpy(x->ids[x->n], s, strlen(s) + 1);
            x->ptrs[x->n] = x->ids[x->n];
            x->n++;
        }
    }
    snprintf(x->staff_id, sizeof x->staff_id, "%s", r->token.staff_id);
    x->now = clock_now_ms();
    api_submit(r, read_run, read_finish);
}

/* ---- GET/PUT /ops/me/notification-settings ------------------------------ */

static json_t *settings_json(const struct notification_settings *s)
{
    return json_pack("{s:b, s:b, s:b, s:b}", "assigned", s->assigned, "mentioned", s->mentioned, "sla_at_risk",
                     s->sla_at_risk, "daily_digest", s->daily_digest);
}

void api_me_notification_settings(struct request *r)
{
    static const char *const known[] = {NULL};
    if (!own_staff(r) || !api_query_known(r, known)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct notification_settings s;
    enum err rc = store_notification_settings_get(c, r->token.staff_id, &s);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    http_reply_json(r, 200, settings_json(&s));
}

struct settings_ctx {
    char staff_id[EXT_ID_SIZE];
    int set[4]; /* -1: keep, else the new value */
    struct notification_settings s;
    int64_t now;
};

static enum err settings_run(struct store_conn *c, void *arg)
{
    struct settings_ctx *x = arg;
    /* read and written in one job on the writer: a concurrent PUT of other
     * switches is not lost */
    enum err rc = store_notification_settings_get(c, x->staff_id, &x->s);
    if (rc != ERR_OK) return rc;
    bool *fields[4] = {&x->s.assigned, &x->s.mentioned, &x->s.sla_at_risk, &x->s.daily_digest};
    for (int i = 0; i < 4; i++)
        if (x->set[i] >= 0) *fields[i] = x->set[i] != 0;
    return store_notification_settings_put(c, x->staff_id, &x->s, x->now);
}

static void settings_finish(struct request *r, enum err rc)
{
    struct settings_ctx *x = r->ctx;
    if (api_failed(r, rc, NULL)) return;
    http_reply_json(r, 200, settings_json(&x->s));
}

void api_me_notification_settings_put(struct request *r)
{
    struct settings_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    struct errinfo e = {0};
    json_t *obj = api_body(r, setting_names, &e);
    if (!obj) {
        http_reply_error(r, &e);
        return;
    }
    if (!own_staff(r)) return;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(obj, setting_names[i]);
        x->set[i] = -1;
        if (!v) continue;
        if (!json_is_boolean(v)) {
            http_reply_err(r, ERR_VALIDATION_FAILED, setting_names[i], "%s must be true or false", setting_names[i]);
            return;
        }
        x->set[i] = json_is_true(v);
    }
    snprintf(x->staff_id, sizeof x->staff_id, "%s", r->token.staff_id);
    x->now = clock_now_ms();
    api_submit(r, settings_run, settings_finish);
}
