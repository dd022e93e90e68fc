/* customers.c (api): /ops/customers, the agency's customers as the wider
 * platform names them; a customer may have an owner among the staff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/text.h"
#include "util/clock.h"
#include "util/ids.h"

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

/* The customers whose names have q's words (store name_search), by id. */
static enum err find_by_name(struct store_conn *c, const struct text_words *w, const char *after, int limit,
                             struct customer **out, int *n)
{
    char (*ids)[EXT_ID_SIZE] = calloc((size_t)limit, sizeof *ids);
    *out = calloc((size_t)limit, sizeof **out);
    *n = 0;
    int found = 0;
    enum err rc = ids && *out ? store_name_search(c, "cus_", w, after ? after : "", limit, ids, &found) : ERR_INTERNAL;
    for (int i = 0; rc == ERR_OK && i < found; i++) {
        enum err one = store_customer_get(c, ids[i], &(*out)[*n]);
        if (one == ERR_OK) (*n)++;
        else if (one != ERR_NOT_FOUND) rc = one;
    }
    free(ids);
    if (rc != ERR_OK) {
        for (int i = 0; i < *n; i++) store_customer_clear(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

#define CUSTOMER_IDS_MAX 100

/* Whether every word of w begins a word of the customer's name, as the
 * name search matches (domain/text.h). */
static bool name_matches(const char *name, const struct text_words *w)
{
    char *n = text_normalize(name);
    if (!n) return false;
    bool all = true;
    for (int i = 0; i < w->n && all; i++) {
        size_t len = strlen(w->w[i]);
        bool found = false;
        for (const char *p = n; p && *p && !found;) {
            found = strncmp(p, w->w[i], len) == 0;
            if ((p = strchr(p, ' '))) p++;
        }
        all = found;
    }
    free(n);
    return all;
}

/* GET /ops/customers?ids=cus_a,cus_b: the named customers (the page's names
 * for a screen of tasks in one request), in the order given, unknown ids
 * left out, at most limit, those matching q when given; a malformed or
 * repeated id, more than 100, or a cursor answers 422. */
static void customers_by_ids(struct request *r, const char *list, int limit, const struct text_words *w)
{
    char ids[CUSTOMER_IDS_MAX][EXT_ID_SIZE];
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (n == CUSTOMER_IDS_MAX) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "ids", "ids may name at most %d customers", CUSTOMER_IDS_MAX);
            return;
        }
        if (len == 0 || len >= EXT_ID_SIZE) goto bad;
        memcpy(ids[n], p, len);
        ids[n][len] = 0;
        if (!ids_valid_external(ids[n], "cus_")) goto bad;
        for (int i = 0; i < n; i++)
            if (strcmp(ids[i], ids[n]) == 0) {
                http_reply_err(r, ERR_VALIDATION_FAILED, "ids", "ids names %s twice", ids[n]);
                return;
            }
        n++;
        if (!comma) break;
        p = comma + 1;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    json_t *data = json_array();
    enum err rc = ERR_OK;
    for (int i = 0; i < n && rc == ERR_OK; i++) {
        struct customer cu;
        rc = store_customer_get(c, ids[i], &cu);
        if (rc == ERR_OK) {
            if ((int)json_array_size(data) < limit && (!w->n || name_matches(cu.name, w)))
                json_array_append_new(data, customer_json(&cu));
            store_customer_clear(&cu);
        } else if (rc == ERR_NOT_FOUND) {
            rc = ERR_OK;
        }
    }
    store_reader_release(c);
    if (rc != ERR_OK) {
        json_decref(data);
        api_failed(r, rc, NULL);
        return;
    }
    http_reply_json(r, 200, api_page(data, NULL));
    return;
bad:
    http_reply_err(r, ERR_VALIDATION_FAILED, "ids", "ids must be a comma list of customer ids (cus_...)");
}

void api_customers_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", "q", "ids", NULL};
    int limit, n = 0;
    const char *after;
    struct store_conn *c;
    struct text_words w;
    if (!api_id_page(r, known, "cus_", &limit, &after) || !api_name_words(r, &w)) return;
    const char *ids = http_query(r, "ids");
    if (ids) {
        if (after) http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor does not apply to ids");
        else customers_by_ids(r, ids, limit, &w);
        return;
    }
    if (!(c = api_reader(r))) return;
    struct customer *a = NULL;
    enum err rc = w.n ? find_by_name(c, &w, after, limit + 1, &a, &n) : store_customer_list(c, after, limit + 1, &a, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, customer_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    for (int i = 0; i < n; i++) store_customer_clear(&a[i]);
    free(a);
}

void api_customer_get(struct request *r)
{
    struct customer cu;
    if (!api_customer_or_404(r, &cu)) return;
    http_reply_json(r, 200, customer_json(&cu));
    store_customer_clear(&cu);
}

struct customer_ctx {
    struct customer cu;
    bool created;
    struct errinfo e;
};

static void customer_ctx_clear(void *p) { store_customer_clear(&((struct customer_ctx *)p)->cu); }

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
    if ((rc = store_customer_search_refresh(c, x->cu.id)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct customer back;
    if ((rc = store_customer_get(c, x->cu.id, &back)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    store_customer_clear(&x->cu);
    x->cu = back;
    return ERR_OK;
}

static void customer_finish(struct request *r, enum err rc)
{
    struct customer_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, x->created ? 201 : 200, customer_json(&x->cu));
}

void api_customer_put(struct request *r)
{
    static const char *const fields[] = {"name", "email", "owner_id", NULL};
    struct customer_ctx *x = api_ctx(r, sizeof *x, customer_ctx_clear);
    if (!x || !api_put_id(r, "cus_", "customer", x->cu.id)) return;
    json_t *obj = api_body(r, fields, &x->e);
    const char *owner;
    bool present;
    if (!obj || api_person_fields(obj, &x->cu.name, &x->cu.email, &x->e) != ERR_OK ||
        api_string_field(obj, "owner_id", true, &owner, &present, &x->e) != ERR_OK) {
        http_reply_error(r, &x->e);
        return;
    }
    if (owner && !ids_valid_external(owner, "sta_")) {
        http_reply_err(r, ERR_UNKNOWN_STAFF, "owner_id", "no staff member with that id");
        return;
    }
    snprintf(x->cu.owner_id, sizeof x->cu.owner_id, "%s", owner ? owner : "");
    api_submit(r, customer_run, customer_finish);
}
