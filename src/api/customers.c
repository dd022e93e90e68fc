/* customers.c (api): /ops/customers, the agency's customers as the wider
 * platform names them; a customer may have an owner among the staff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/clock.h"
#include "util/ids.h"

enum err api_person_fields(json_t *obj, char **name, char **email, struct errinfo *e);

static json_t *customer_json(const struct customer *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "name", json_string(c->name ? c->name : ""));
    json_object_set_new(o, "email", c->email ? json_string(c->email) : json_null());
    json_object_set_new(o, "owner_id", c->owner_id[0] ? json_string(c->owner_id) : json_null());
    api_ts(o, "created_at", c->created_at);
    api_ts(o, "updated_at", c->updated_at);
    return o;
}

void api_customers_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    struct errinfo e = {0};
    int limit;
    if (http_query_check(r, known, &e) != ERR_OK || api_limit(r, 100, 500, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *after = http_query(r, "cursor");
    if (after && !ids_valid_external(after, "cus_")) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
        return;
    }
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct customer *a = NULL;
    int n = 0;
    enum err rc = c ? store_customer_list(c, after, limit + 1, &a, &n) : ERR_INTERNAL;
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, customer_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    for (int i = 0; i < n; i++) store_customer_clear(&a[i]);
    free(a);
}

void api_customer_get(struct request *r)
{
    if (!ids_valid_external(r->param, "cus_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no customer %.80s", r->param);
        return;
    }
    struct store_conn *c = store_reader_acquire(r->app->store);
    struct customer cu;
    enum err rc = c ? store_customer_get(c, r->param, &cu) : ERR_INTERNAL;
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no customer %s" : NULL, r->param);
        return;
    }
    http_reply_json(r, 200, customer_json(&cu));
    store_customer_clear(&cu);
}

struct customer_ctx {
    struct customer cu;
    bool created;
    struct errinfo e;
};

static void customer_ctx_free(void *p)
{
    struct customer_ctx *x = p;
    store_customer_clear(&x->cu);
    free(x);
}

static enum err customer_run(struct store_conn *c, void *arg)
{
    struct customer_ctx *x = arg;
    enum err rc;
    if (x->cu.owner_id[0]) {
        struct staff st;
        rc = store_staff_get(c, x->cu.owner_id, &st);
        if (rc == ERR_NOT_FOUND)
            return err_set(&x->e, ERR_UNKNOWN_STAFF, "owner_id", "no staff member %s", x->cu.owner_id);
        if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
        store_staff_clear(&st);
    }
    x->cu.created_at = x->cu.updated_at = clock_now_ms();
    if ((rc = store_customer_put(c, &x->cu, &x->created)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct customer back;
    if ((rc = store_customer_get(c, x->cu.id, &back)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    store_customer_clear(&x->cu);
    x->cu = back;
    return ERR_OK;
}

static void customer_finish(struct request *r, enum err rc)
{
    struct customer_ctx *x = r->ctx;
    if (rc != ERR_OK) {
        if (x->e.code != rc) err_set(&x->e, rc, NULL, NULL);
        http_reply_error(r, &x->e);
        return;
    }
    http_reply_json(r, x->created ? 201 : 200, customer_json(&x->cu));
}

void api_customer_put(struct request *r)
{
    static const char *const fields[] = {"name", "email", "owner_id", NULL};
    struct errinfo e = {0};
    json_t *obj = NULL;
    struct customer_ctx *x = calloc(1, sizeof *x);
    if (!x) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (!ids_valid_external(r->param, "cus_")) {
        err_set(&e, ERR_VALIDATION_FAILED, "id", "a customer id is cus_ followed by 1-64 of A-Z a-z 0-9 _ -");
        goto fail;
    }
    if (api_parse_object(r, fields, &obj, &e) != ERR_OK) goto fail;
    if (api_person_fields(obj, &x->cu.name, &x->cu.email, &e) != ERR_OK) goto fail;
    const char *owner;
    bool present;
    if (api_string_field(obj, "owner_id", true, &owner, &present, &e) != ERR_OK) goto fail;
    if (owner && !ids_valid_external(owner, "sta_")) {
        err_set(&e, ERR_UNKNOWN_STAFF, "owner_id", "no staff member with that id");
        goto fail;
    }
    snprintf(x->cu.owner_id, sizeof x->cu.owner_id, "%s", owner ? owner : "");
    memcpy(x->cu.id, r->param, strlen(r->param) + 1); /* validated: fits */
    json_decref(obj);
    http_submit(r, customer_run, x, customer_finish, customer_ctx_free);
    return;
fail:
    json_decref(obj);
    customer_ctx_free(x);
    http_reply_error(r, &e);
}
