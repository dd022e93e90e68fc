/* tokens.c (api): /ops/tokens. Admins make API tokens (the secret is in the
 * 201 answer and nowhere else, ever: only its hash is stored) and see them
 * all; an agent sees, and may revoke, the ones tied to them. A revoked
 * token answers 401 from its next request on this instance (its cache
 * entry is dropped) and within a second on the others (http/auth.c). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "util/clock.h"
#include "util/ids.h"

#define TOKEN_NAME_MAX_CHARS 100

static json_t *token_json(const struct token *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(t->id));
    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "role", json_string(t->role == ROLE_ADMIN ? "admin" : "agent"));
    json_object_set_new(o, "staff_id", t->staff_id[0] ? json_string(t->staff_id) : json_null());
    api_ts(o, "created_at", t->created_at);
    api_ts(o, "expires_at", t->expires_at);
    api_ts(o, "last_used_at", t->last_used_at);
    return o;
}

/* ---- POST /ops/tokens -------------------------------------------------------------------- */

struct create_ctx {
    struct token t;
    unsigned char hash[32];
    char secret[96];
    struct api_who who;
    struct errinfo e;
};

static void create_clear(void *p) { sodium_memzero(p, sizeof(struct create_ctx)); }

static enum err create_run(struct store_conn *c, void *arg)
{
    struct create_ctx *x = arg;
    enum err rc;
    if (x->t.staff_id[0]) {
        struct staff st;
        rc = store_staff_get(c, x->t.staff_id, &st);
        if (rc == ERR_NOT_FOUND)
            return err_set(&x->e, ERR_UNKNOWN_STAFF, "staff_id", "No staff member %s", x->t.staff_id);
        if (rc != ERR_OK) return rc;
        bool active = st.active;
        store_staff_clear(&st);
        if (!active)
            return err_set(&x->e, ERR_UNKNOWN_STAFF, "staff_id", "%s is not active", x->t.staff_id);
    }
    x->t.created_at = clock_now_ms();
    if ((rc = store_token_insert(c, &x->t, x->hash, x->t.created_at, x->who.actor)) != ERR_OK) return rc;
    json_t *d = json_pack("{s:s, s:s, s:s}", "token_id", x->t.id, "name", x->t.name, "role",
                          x->t.role == ROLE_ADMIN ? "admin" : "agent");
    json_object_set_new(d, "staff_id", x->t.staff_id[0] ? json_string(x->t.staff_id) : json_null());
    api_ts(d, "expires_at", x->t.expires_at);
    return api_audit(c, &x->who, "token.created", d);
}

static void create_finish(struct request *r, enum err rc)
{
    struct create_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    json_t *o = token_json(&x->t);
    json_object_set_new(o, "token", json_string(x->secret));
    http_add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    http_reply_json(r, 201, o);
}

/* Characters of a UTF-8 name (its bytes are valid: jansson checked). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void api_tokens_create(struct request *r)
{
    static const char *const fields[] = {"name", "role", "staff_id", "expires_at", NULL};
    struct errinfo e = {0};
    struct create_ctx *x = api_ctx(r, sizeof *x, create_clear);
    if (!x) return;
    json_t *obj = api_body(r, fields, &e);
    const char *name, *role, *staff, *expires;
    bool has_staff, has_expires;
    if (!obj || api_required_string(obj, "name", &name, &e) != ERR_OK ||
        api_required_string(obj, "role", &role, &e) != ERR_OK ||
        api_string_field(obj, "staff_id", true, &staff, &has_staff, &e) != ERR_OK ||
        api_string_field(obj, "expires_at", true, &expires, &has_expires, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    size_t nc = chars(name);
    bool control = false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) control |= *p < 0x20 || *p == 0x7f;
    if (nc == 0 || nc > TOKEN_NAME_MAX_CHARS || strlen(name) >= sizeof x->t.name || control) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "name", "name must be 1 to %d characters, without control characters",
                       TOKEN_NAME_MAX_CHARS);
        return;
    }
    if (strcmp(role, "admin") != 0 && strcmp(role, "agent") != 0) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "role", "role must be admin or agent");
        return;
    }
    if (staff && (!ids_valid_external(staff, "sta_") || strlen(staff) >= sizeof x->t.staff_id)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "staff_id", "staff_id must be a staff id like sta_anna");
        return;
    }
    if (expires) {
        int64_t at;
        if (dates_parse_ts(expires, &at) != 0) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "expires_at", "expires_at must be an RFC 3339 timestamp");
            return;
        }
        if (at <= clock_now_ms()) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "expires_at", "expires_at must be in the future");
            return;
        }
        x->t.expires_at = at;
    }
    snprintf(x->t.name, sizeof x->t.name, "%s", name);
    x->t.role = strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
    snprintf(x->t.staff_id, sizeof x->t.staff_id, "%s", staff ? staff : "");
    ids_new("tok_", clock_now_ms(), x->t.id, sizeof x->t.id);
    http_token_generate(x->secret, sizeof x->secret);
    http_token_hash(x->secret, x->hash);
    api_who_of(r, &x->who);
    api_submit(r, create_run, create_finish);
}

/* ---- GET /ops/tokens ------------------------------------------------------------------------ */

static bool valid_token_id(const char *s)
{
    return strncmp(s, "tok_", 4) == 0 && strlen(s) < TASK_ID_SIZE && ids_valid_external(s, "tok_");
}

void api_tokens_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    struct errinfo e = {0};
    int limit;
    if (!api_query_known(r, known)) return;
    if (api_limit(r, 100, 500, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *after = http_query(r, "cursor");
    if (after && !valid_token_id(after)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor must be a next_cursor this list gave");
        return;
    }
    bool admin = r->token.role == ROLE_ADMIN;
    if (!admin && !r->token.staff_id[0]) { /* an agent token tied to nobody has nobody's tokens to see */
        http_reply_json(r, 200, api_page(json_array(), NULL));
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct token *t = NULL;
    int n = 0;
    enum err rc = store_token_list(c, admin ? "" : r->token.staff_id, after ? after : "", limit + 1, &t, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, token_json(&t[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? t[limit - 1].id : NULL));
    free(t);
}

/* ---- DELETE /ops/tokens/{id} ----------------------------------------------------------------- */

struct revoke_ctx {
    struct token t;
    struct api_who who;
};

static enum err revoke_run(struct store_conn *c, void *arg)
{
    struct revoke_ctx *x = arg;
    enum err rc = store_token_revoke(c, x->t.id, clock_now_ms());
    if (rc != ERR_OK) return rc;
    return api_audit(c, &x->who, "token.revoked", json_pack("{s:s, s:s}", "token_id", x->t.id, "name", x->t.name));
}

static void revoke_finish(struct request *r, enum err rc)
{
    struct revoke_ctx *x = r->ctx;
    if (rc == ERR_NOT_FOUND) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such token (or it was revoked already)");
        return;
    }
    if (api_failed(r, rc, NULL)) return;
    http_token_forget(x->t.id, NULL);
    http_reply_raw_json(r, 200, "{\"revoked\":true}");
}

void api_token_delete(struct request *r)
{
    struct revoke_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    if (!valid_token_id(r->param)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such token");
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    enum err rc = store_token_get(c, r->param, &x->t);
    store_reader_release(c);
    /* an agent's own tokens only; another's is not theirs to see either */
    bool mine = r->token.role == ROLE_ADMIN || (r->token.staff_id[0] && strcmp(x->t.staff_id, r->token.staff_id) == 0);
    if (rc == ERR_NOT_FOUND || (rc == ERR_OK && (x->t.revoked_at || !mine))) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such token (or it was revoked already)");
        return;
    }
    if (api_failed(r, rc, NULL)) return;
    api_who_of(r, &x->who);
    api_submit(r, revoke_run, revoke_finish);
}
