/* views.c (api): /ops/views, saved views of the queue. A view is a name and
 * a GET /ops/tasks query string, checked at PUT exactly as the queue reads
 * one (the query is decoded into pairs that http_query then reads), so a
 * saved view always opens. Personal views are their owner's alone; shared
 * ones everyone sees, and only their owner or an admin changes. The live
 * count of a view is the queue's stats over its filter, summed over its
 * statuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/task.h"
#include "util/clock.h"
#include "util/ids.h"

#define VIEW_NAME_MAX 100
/* each person's own views, and the shared ones of everyone: the list (and
 * its counts) stays one answer the page can take at once */
#define VIEWS_OWNED_MAX 100
#define VIEWS_SHARED_MAX 200
#define VIEWS_LIST_MAX (VIEWS_OWNED_MAX + VIEWS_SHARED_MAX)

/* Reads the view's query as the queue would for r's caller: ERR_OK with
 * *q filled, or 422 in e naming field "query" (the message names the
 * parameter). A view is judged apart from who opens it, so "me" is checked
 * as a staff id even when the caller has none. */
static enum err read_query(struct request *r, const char *query, bool for_check, struct task_query *q,
                           struct errinfo *e)
{
    struct http_pairs *pairs = malloc(sizeof *pairs);
    if (!pairs) return err_set(e, ERR_INTERNAL, NULL, NULL);
    enum err rc = http_pairs_parse(query, "query", pairs, e);
    if (rc == ERR_OK) {
        for (int i = 0; i < pairs->n; i++)
            if (strcmp(pairs->key[i], "cursor") == 0) {
                rc = err_set(e, ERR_VALIDATION_FAILED, "query", "query: a view holds no cursor (it opens at "
                             "the first page)");
                goto done;
            }
        char staff_id[EXT_ID_SIZE];
        memcpy(staff_id, r->token.staff_id, sizeof staff_id);
        if (for_check && !staff_id[0]) snprintf(r->token.staff_id, sizeof r->token.staff_id, "sta_view");
        r->query = pairs;
        rc = api_task_query_read(r, q, e);
        r->query = NULL;
        memcpy(r->token.staff_id, staff_id, sizeof staff_id);
        if (rc != ERR_OK) {
            /* the queue's own message, under the view's field */
            char msg[sizeof e->message];
            memcpy(msg, e->message, sizeof msg);
            err_set(e, rc, "query", "query: %.480s", msg);
        }
    }
done:
    free(pairs);
    return rc;
}

/* How many tasks the view shows now, or -1 when it cannot be read for this
 * caller (assignee_id=me without a staff member). */
static enum err view_count(struct request *r, struct store_conn *c, const char *query, int64_t *count)
{
    struct task_query q;
    struct errinfo e = {0};
    *count = -1;
    if (read_query(r, query, false, &q, &e) != ERR_OK) return e.code == ERR_INTERNAL ? ERR_INTERNAL : ERR_OK;
    struct task_stats st;
    enum err rc = store_task_stats(c, &q.filter, q.today, q.filter.now_ms, &st);
    if (rc != ERR_OK) return rc;
    int64_t n = 0;
    for (int s = 0; s < TASK_STATUS__COUNT; s++)
        if (q.filter.status_mask & (1u << s)) n += st.counts[s];
    *count = n;
    return ERR_OK;
}

static json_t *view_json(struct store_conn *c, const struct view_row *v)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "id", v->id, "name", v->name, "query", v->query, "shared",
                          v->shared, "owner", v->owner);
    if (!o) return NULL;
    json_object_set_new(o, "owner_name", api_actor_name(c, v->owner));
    api_ts(o, "created_at", v->created_at);
    api_ts(o, "updated_at", v->updated_at);
    return o;
}

static bool is_admin(const struct request *r) { return r->token.role == ROLE_ADMIN; }

/* Whose views the caller's are: their staff member's (the same from the
 * page and from a token of theirs), else the token's own. */
static const char *owner_of(const struct request *r)
{
    return r->token.staff_id[0] ? r->token.staff_id : r->actor;
}

/* Someone else's personal view is nobody's business: it answers as none. */
static bool visible(const struct request *r, const struct view_row *v)
{
    return v->shared || strcmp(v->owner, owner_of(r)) == 0;
}

/* The one query argument of the views' reads: counts=true|false into
 * *counts; false after answering 422. */
static bool read_counts(struct request *r, bool *counts)
{
    static const char *const known[] = {"counts", NULL};
    if (!api_query_known(r, known)) return false;
    const char *s = http_query(r, "counts");
    if (s && strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "counts", "counts must be true or false");
        return false;
    }
    *counts = s && s[0] == 't';
    return true;
}

void api_views_list(struct request *r)
{
    bool counts;
    if (!read_counts(r, &counts)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct view_row *rows = NULL;
    int n = 0;
    enum err rc = store_view_list(c, owner_of(r), VIEWS_LIST_MAX, &rows, &n);
    json_t *data = json_array();
    for (int i = 0; rc == ERR_OK && i < n; i++) {
        json_t *o = view_json(c, &rows[i]);
        if (!o) {
            rc = ERR_INTERNAL;
            break;
        }
        if (counts) {
            int64_t count;
            if ((rc = view_count(r, c, rows[i].query, &count)) != ERR_OK) {
                json_decref(o);
                break;
            }
            json_object_set_new(o, "count", count < 0 ? json_null() : json_integer(count));
        }
        json_array_append_new(data, o);
    }
    store_reader_release(c);
    free(rows);
    if (rc != ERR_OK) {
        json_decref(data);
        api_failed(r, rc, NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:o}", "data", data));
}

/* The view r->param names, when the caller may see it; false after
 * answering 404 (or 500). */
static bool view_or_404(struct request *r, struct store_conn *c, struct view_row *v)
{
    enum err rc = ids_valid_external(r->param, "viw_") ? store_view_get(c, r->param, v) : ERR_NOT_FOUND;
    if (rc == ERR_OK && !visible(r, v)) rc = ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no view %.80s", r->param);
        return false;
    }
    return !api_failed(r, rc, NULL);
}

void api_view_get(struct request *r)
{
    bool counts;
    if (!read_counts(r, &counts)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct view_row v;
    if (!view_or_404(r, c, &v)) {
        store_reader_release(c);
        return;
    }
    json_t *o = view_json(c, &v);
    enum err rc = o ? ERR_OK : ERR_INTERNAL;
    if (o && counts) {
        int64_t count;
        if ((rc = view_count(r, c, v.query, &count)) == ERR_OK)
            json_object_set_new(o, "count", count < 0 ? json_null() : json_integer(count));
    }
    store_reader_release(c);
    if (rc != ERR_OK) {
        json_decref(o);
        api_failed(r, rc, NULL);
        return;
    }
    http_reply_json(r, 200, o);
}

struct view_ctx {
    struct view_row v;
    bool as_admin, created;
    json_t *answer;
    struct errinfo e;
};

static void view_ctx_clear(void *p) { json_decref(((struct view_ctx *)p)->answer); }

static enum err put_run(struct store_conn *c, void *arg)
{
    struct view_ctx *x = arg;
    int64_t owned = 0, shared = 0;
    enum err rc = store_view_count(c, x->v.owner, &owned, &shared);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct view_row before;
    rc = store_view_get(c, x->v.id, &before);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) return err_set(&x->e, rc, NULL, NULL);
    bool is_new = rc == ERR_NOT_FOUND;
    /* the bounds count what the write adds: a new view, or one made shared */
    if (is_new && owned >= VIEWS_OWNED_MAX)
        return err_set(&x->e, ERR_VALIDATION_FAILED, "id", "you have %d views already, the most allowed",
                       VIEWS_OWNED_MAX);
    if (x->v.shared && (is_new || !before.shared) && shared >= VIEWS_SHARED_MAX)
        return err_set(&x->e, ERR_VALIDATION_FAILED, "shared", "there are %d shared views already, the most "
                       "allowed", VIEWS_SHARED_MAX);
    rc = store_view_put(c, &x->v, x->as_admin, &x->created);
    if (rc == ERR_FORBIDDEN)
        return err_set(&x->e, rc, NULL, "view %s is shared by someone else: only they or an admin may change it",
                       x->v.id);
    if (rc == ERR_CONFLICT)
        return err_set(&x->e, rc, "id", "the view id %s is taken by someone else's view", x->v.id);
    struct view_row after;
    if (rc == ERR_OK) rc = store_view_get(c, x->v.id, &after);
    if (rc != ERR_OK) return err_set(&x->e, rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc, NULL, NULL);
    if (!(x->answer = view_json(c, &after))) return err_set(&x->e, ERR_INTERNAL, NULL, NULL);
    return ERR_OK;
}

static void put_finish(struct request *r, enum err rc)
{
    struct view_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, x->created ? 201 : 200, json_incref(x->answer));
}

void api_view_put(struct request *r)
{
    static const char *const fields[] = {"name", "query", "shared", NULL};
    struct view_ctx *x = api_ctx(r, sizeof *x, view_ctx_clear);
    if (!x || !api_put_id(r, "viw_", "view", x->v.id)) return;
    json_t *obj = api_body(r, fields, &x->e);
    if (!obj) goto fail;
    const char *name, *query;
    if (api_required_string(obj, "name", &name, &x->e) != ERR_OK ||
        api_required_string(obj, "query", &query, &x->e) != ERR_OK)
        goto fail;
    char *clean = NULL;
    if (task_validate_title(name, &clean, &x->e) != ERR_OK || task_utf8_length(clean) > VIEW_NAME_MAX) {
        free(clean);
        err_set(&x->e, ERR_VALIDATION_FAILED, "name", "name must be 1-%d characters without control characters",
                VIEW_NAME_MAX);
        goto fail;
    }
    snprintf(x->v.name, sizeof x->v.name, "%s", clean);
    free(clean);
    json_t *sh = json_object_get(obj, "shared");
    if (sh && !json_is_boolean(sh) && !json_is_null(sh)) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "shared", "shared must be true or false");
        goto fail;
    }
    x->v.shared = sh && json_is_true(sh);
    struct task_query q;
    if (read_query(r, query, true, &q, &x->e) != ERR_OK) goto fail;
    snprintf(x->v.query, sizeof x->v.query, "%s", query[0] == '?' ? query + 1 : query);
    snprintf(x->v.owner, sizeof x->v.owner, "%s", owner_of(r));
    x->v.updated_at = clock_now_ms();
    x->as_admin = is_admin(r);
    api_submit(r, put_run, put_finish);
    return;
fail:
    http_reply_error(r, &x->e);
}

static enum err delete_run(struct store_conn *c, void *arg)
{
    struct view_ctx *x = arg;
    enum err rc = store_view_delete(c, x->v.id, x->v.owner, x->as_admin);
    if (rc == ERR_FORBIDDEN)
        return err_set(&x->e, rc, NULL, "view %s is shared by someone else: only they or an admin may delete it",
                       x->v.id);
    if (rc == ERR_NOT_FOUND) return err_set(&x->e, rc, NULL, "no view %s", x->v.id);
    return rc == ERR_OK ? ERR_OK : err_set(&x->e, rc, NULL, NULL);
}

static void delete_finish(struct request *r, enum err rc)
{
    struct view_ctx *x = r->ctx;
    if (!api_failed(r, rc, &x->e)) http_reply_raw_json(r, 204, "");
}

void api_view_delete(struct request *r)
{
    if (!ids_valid_external(r->param, "viw_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no view %.80s", r->param);
        return;
    }
    struct view_ctx *x = api_ctx(r, sizeof *x, view_ctx_clear);
    if (!x) return;
    memcpy(x->v.id, r->param, strlen(r->param) + 1); /* validated: fits */
    snprintf(x->v.owner, sizeof x->v.owner, "%s", owner_of(r));
    x->as_admin = is_admin(r);
    api_submit(r, delete_run, delete_finish);
}
