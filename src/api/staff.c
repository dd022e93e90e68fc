/* staff.c (api): /ops/staff. Staff members come from the wider platform, so
 * their ids are the caller's; PUT upserts (201 created, 200 updated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/task.h"
#include "util/clock.h"
#include "util/ids.h"

static json_t *staff_json(const struct staff *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "name", json_string(s->name ? s->name : ""));
    json_object_set_new(o, "email", s->email ? json_string(s->email) : json_null());
    json_object_set_new(o, "active", json_boolean(s->active));
    api_ts(o, "created_at", s->created_at);
    api_ts(o, "updated_at", s->updated_at);
    return o;
}

void api_staff_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    int limit, n = 0;
    const char *after;
    struct store_conn *c;
    if (!api_id_page(r, known, "sta_", &limit, &after) || !(c = api_reader(r))) return;
    struct staff *a = NULL;
    enum err rc = store_staff_list(c, after, limit + 1, &a, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, staff_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    for (int i = 0; i < n; i++) store_staff_clear(&a[i]);
    free(a);
}

void api_staff_get(struct request *r)
{
    struct staff s;
    if (!api_staff_or_404(r, &s)) return;
    http_reply_json(r, 200, staff_json(&s));
    store_staff_clear(&s);
}

struct staff_ctx {
    struct staff s;
    bool created;
    struct errinfo e;
};

static void staff_ctx_clear(void *p) { store_staff_clear(&((struct staff_ctx *)p)->s); }

static enum err staff_run(struct store_conn *c, void *arg)
{
    struct staff_ctx *x = arg;
    x->s.created_at = x->s.updated_at = clock_now_ms();
    enum err rc = store_staff_put(c, &x->s, &x->created);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct staff back;
    if ((rc = store_staff_get(c, x->s.id, &back)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    store_staff_clear(&x->s);
    x->s = back;
    return ERR_OK;
}

static void staff_finish(struct request *r, enum err rc)
{
    struct staff_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, x->created ? 201 : 200, staff_json(&x->s));
}

void api_staff_put(struct request *r)
{
    static const char *const fields[] = {"name", "email", "active", NULL};
    struct staff_ctx *x = api_ctx(r, sizeof *x, staff_ctx_clear);
    if (!x || !api_put_id(r, "sta_", "staff", x->s.id)) return;
    json_t *obj = api_body(r, fields, &x->e);
    if (!obj || api_person_fields(obj, &x->s.name, &x->s.email, &x->e) != ERR_OK) {
        http_reply_error(r, &x->e);
        return;
    }
    json_t *active = json_object_get(obj, "active");
    if (active && !json_is_boolean(active)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "active", "active must be true or false");
        return;
    }
    x->s.active = active ? json_is_true(active) : true;
    api_submit(r, staff_run, staff_finish);
}
