/* handler.c (api): what every handler shares, so that a handler reads as
 * what it does: the request's context (freed with the request, whichever
 * way the handler ends), its JSON body, the hand-off to the writer and the
 * one error line of a write's finish, a reader connection, the arguments of
 * a list by id, and "look up the path's record or answer 404". */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/ids.h"

/* A request's context, behind the header that frees it and what hangs off
 * it; ctx is what handlers see. */
struct pool {
    void (*clear)(void *ctx);
    json_t *body;
    max_align_t ctx[];
};

static struct pool *pool_of(void *ctx) { return (struct pool *)((char *)ctx - offsetof(struct pool, ctx)); }

static void pool_free(void *ctx)
{
    struct pool *p = pool_of(ctx);
    if (p->clear) p->clear(ctx);
    json_decref(p->body);
    free(p);
}

void *api_ctx(struct request *r, size_t size, void (*clear)(void *ctx))
{
    struct pool *p = r->ctx ? NULL : calloc(1, sizeof *p + size);
    if (!p) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return NULL;
    }
    p->clear = clear;
    r->ctx = p->ctx;
    r->ctx_free = pool_free;
    return p->ctx;
}

json_t *api_body(struct request *r, const char *const *known, struct errinfo *e)
{
    if (!r->ctx || r->ctx_free != pool_free) {
        err_set(e, ERR_INTERNAL, NULL, NULL);
        return NULL;
    }
    struct pool *p = pool_of(r->ctx);
    json_decref(p->body);
    p->body = NULL;
    if (api_parse_object(r, known, &p->body, e) != ERR_OK) return NULL;
    return p->body;
}

void api_submit(struct request *r, enum err (*run)(struct store_conn *c, void *ctx),
                void (*finish)(struct request *r, enum err rc))
{
    http_submit(r, run, r->ctx, finish, r->ctx_free);
}

bool api_failed(struct request *r, enum err rc, struct errinfo *e)
{
    if (rc == ERR_OK) return false;
    struct errinfo own = {0};
    if (!e) e = &own;
    if (e->code != rc) err_set(e, rc, NULL, NULL);
    http_reply_error(r, e);
    return true;
}

bool api_query_known(struct request *r, const char *const *known)
{
    struct errinfo e = {0};
    if (http_query_check(r, known, &e) == ERR_OK) return true;
    http_reply_error(r, &e);
    return false;
}

struct store_conn *api_reader(struct request *r)
{
    struct store_conn *c = store_reader_acquire(r->app->store);
    if (!c) http_reply_err(r, ERR_INTERNAL, NULL, NULL);
    return c;
}

bool api_id_page(struct request *r, const char *const *known, const char *prefix, int *limit, const char **after)
{
    struct errinfo e = {0};
    if (!api_query_known(r, known)) return false;
    if (api_limit(r, 100, 500, limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return false;
    }
    *after = http_query(r, "cursor");
    if (*after && !ids_valid_external(*after, prefix)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
        return false;
    }
    return true;
}

bool api_put_id(struct request *r, const char *prefix, const char *what, char out[EXT_ID_SIZE])
{
    if (!ids_valid_external(r->param, prefix)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "id", "a %s id is %s followed by 1-64 of A-Z a-z 0-9 _ -", what, prefix);
        return false;
    }
    memcpy(out, r->param, strlen(r->param) + 1); /* validated: fits */
    return true;
}

bool api_valid_task_id(const char *id)
{
    if (strncmp(id, "tsk_", 4) != 0) return false;
    size_t n = strlen(id + 4);
    if (n != IDS_TIME_ORDERED_LEN) return false;
    for (const char *p = id + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))) return false;
    return true;
}

/* ---- look up or answer ------------------------------------------------------ */

typedef enum err (*get_fn)(struct store_conn *c, const char *id, void *out);

/* get(r->param) on a reader when the id is well formed; else the 404 (a
 * malformed id is no record either) or the store's error, answered. */
static bool lookup(struct request *r, bool valid, const char *what, get_fn get, void *out)
{
    if (!valid) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no %s %.80s", what, r->param);
        return false;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return false;
    enum err rc = get(c, r->param, out);
    store_reader_release(c);
    if (rc == ERR_NOT_FOUND) http_reply_err(r, rc, NULL, "no %s %.80s", what, r->param);
    else if (rc != ERR_OK) http_reply_err(r, rc, NULL, NULL);
    return rc == ERR_OK;
}

#define LOOKUP(name, type, valid, what, getter)                                                         \
    static enum err get_##name(struct store_conn *c, const char *id, void *out) { return getter(c, id, out); } \
    bool api_##name##_or_404(struct request *r, type *out) { return lookup(r, valid, what, get_##name, out); }

LOOKUP(task, struct task, api_valid_task_id(r->param), "task", store_task_get)
LOOKUP(staff, struct staff, ids_valid_external(r->param, "sta_"), "staff member", store_staff_get)
LOOKUP(customer, struct customer, ids_valid_external(r->param, "cus_"), "customer", store_customer_get)
LOOKUP(rule, struct rule_row, ids_valid_external(r->param, "rul_"), "rule", store_rule_get)
