/* staff.c (api): /ops/staff. Staff members come from the wider platform, so
 * their ids are the caller's; PUT upserts (201 created, 200 updated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/task.h"
#include "util/clock.h"
#include "util/ids.h"

#define NAME_MAX_CHARS 200
#define EMAIL_MAX 254

/* Shared by staff and customers: a display name and an optional email. */
enum err api_person_fields(json_t *obj, char **name, char **email, struct errinfo *e);

enum err api_person_fields(json_t *obj, char **name, char **email, struct errinfo *e)
{
    const char *s;
    bool present;
    enum err rc;
    *name = *email = NULL;
    if ((rc = api_string_field(obj, "name", false, &s, &present, e)) != ERR_OK) return rc;
    if (!present) return err_set(e, ERR_VALIDATION_FAILED, "name", "name is required");
    if ((rc = task_validate_title(s, name, e)) != ERR_OK) {
        snprintf(e->field, sizeof e->field, "name");
        snprintf(e->message, sizeof e->message, "name must be 1-%d characters without control characters",
                 NAME_MAX_CHARS);
        return rc;
    }
    if ((rc = api_string_field(obj, "email", true, &s, &present, e)) != ERR_OK) goto fail;
    if (s) {
        const char *at = strchr(s, '@');
        if (strlen(s) > EMAIL_MAX || !at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, " \t\r\n<>")) {
            rc = err_set(e, ERR_VALIDATION_FAILED, "email", "email must be an address like name@example.com");
            goto fail;
        }
        if (!(*email = strdup(s))) {
            rc = err_set(e, ERR_INTERNAL, NULL, NULL);
            goto fail;
        }
    }
    return ERR_OK;
fail:
    free(*name);
    *name = NULL;
    return rc;
}

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
    struct errinfo e = {0};
    int limit;
    if (http_query_check(r, known, &e) != ERR_OK || api_limit(r, 100, 500, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *after = http_query(r, "cursor");
    if (after && !ids_valid_external(after, "sta_")) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
        return;
    }
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct staff *a = NULL;
    int n = 0;
    enum err rc = c ? store_staff_list(c, after, limit + 1, &a, &n) : ERR_INTERNAL;
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, staff_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    for (int i = 0; i < n; i++) store_staff_clear(&a[i]);
    free(a);
}

void api_staff_get(struct request *r)
{
    if (!ids_valid_external(r->param, "sta_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no staff member %.80s", r->param);
        return;
    }
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct staff s;
    enum err rc = c ? store_staff_get(c, r->param, &s) : ERR_INTERNAL;
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no staff member %s" : NULL, r->param);
        return;
    }
    http_reply_json(r, 200, staff_json(&s));
    store_staff_clear(&s);
}

struct staff_ctx {
    struct staff s;
    bool created;
    struct errinfo e;
};

static void staff_ctx_free(void *p)
{
    struct staff_ctx *x = p;
    store_staff_clear(&x->s);
    free(x);
}

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
    if (rc != ERR_OK) {
        if (x->e.code != rc) err_set(&x->e, rc, NULL, NULL);
        http_reply_error(r, &x->e);
        return;
    }
    http_reply_json(r, x->created ? 201 : 200, staff_json(&x->s));
}

void api_staff_put(struct request *r)
{
    static const char *const fields[] = {"name", "email", "active", NULL};
    struct errinfo e = {0};
    json_t *obj = NULL;
    struct staff_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (!ids_valid_external(r->param, "sta_")) {
        err_set(&e, ERR_VALIDATION_FAILED, "id", "a staff id is sta_ followed by 1-64 of A-Z a-z 0-9 _ -");
        goto fail;
    }
    if (api_parse_object(r, fields, &obj, &e) != ERR_OK) goto fail;
    if (api_person_fields(obj, &x->s.name, &x->s.email, &e) != ERR_OK) goto fail;
    json_t *active = json_object_get(obj, "active");
    if (active && !json_is_boolean(active)) {
        err_set(&e, ERR_VALIDATION_FAILED, "active", "active must be true or false");
        goto fail;
    }
    x->s.active = active ? json_is_true(active) : true;
    memcpy(x->s.id, r->param, strlen(r->param) + 1); /* validated: fits */
    json_decref(obj);
    http_submit(r, staff_run, x, staff_finish, staff_ctx_free);
    return;
fail:
    json_decref(obj);
    staff_ctx_free(x);
    http_reply_error(r, &e);
}
