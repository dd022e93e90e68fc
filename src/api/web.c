/* web.c (api): the browser side of the same server. The pages
 * (/tasks, /tasks/{id}, /login) and their assets are compiled in (src/web/,
 * scripts/embed-web.sh); sign-in turns an API token into a cookie session
 * (http/session.c) and /ops/me tells the page who it is and what day it is
 * in the server's timezone. Every answer here carries a Content-Security-Policy
 * of default-src 'self', so the pages run no inline script or style. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "http/session.h"
#include "util/clock.h"
#include "web/assets.h"

#define CSP "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

static void security_headers(struct request *r)
{
    http_add_header(r, "Content-Security-Policy", CSP);
    http_add_header(r, "X-Frame-Options", "DENY");
    http_add_header(r, "Referrer-Policy", "same-origin");
}

static const struct web_asset *asset_find(const char *name)
{
    for (int i = 0; i < web_assets_count; i++)
        if (strcmp(web_assets[i].name, name) == 0) return &web_assets[i];
    return NULL;
}

/* Answers an embedded file (a copy: the response owns its body). */
/* An answer of status with no body (303, 304), keeping the headers set. */
static void no_body(struct request *r, int status)
{
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    r->status = status;
    r->content_type = NULL;
    r->response_ready = true;
}

static void reply_asset(struct request *r, const struct web_asset *a)
{
    free(r->resp_body);
    r->resp_body = malloc(a->size + 1);
    if (!r->resp_body) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    memcpy(r->resp_body, a->data, a->size);
    r->resp_body[a->size] = 0;
    r->resp_len = a->size;
    r->status = 200;
    r->content_type = a->content_type;
    r->response_ready = true;
}

/* ---- GET /assets/{name} ---------------------------------------------------- */

void web_asset(struct request *r)
{
    const struct web_asset *a = asset_find(r->param);
    /* the pages are served at their own paths, behind the sign-in check */
    if (!a || strstr(a->name, ".html")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no such asset");
        return;
    }
    r->n_headers = 0;
    security_headers(r);
    /* revalidate on every load (a 304 costs one round trip), so a new binary's
     * assets are picked up at once */
    http_add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    http_add_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
    const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && strstr(inm, a->etag)) {
        no_body(r, 304);
        return;
    }
    reply_asset(r, a);
}

/* ---- the pages ------------------------------------------------------------------ */

/* Percent-encodes s onto out, keeping unreserved characters, ',' and those
 * in keep; false when it does not fit. */
static bool encode(const char *s, const char *keep, char *out, size_t n, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == ',' || strchr(keep, *p);
        if (*len + (plain ? 1 : 3) >= n) return false;
        if (plain) {
            out[(*len)++] = (char)*p;
        } else {
            out[(*len)++] = '%';
            out[(*len)++] = hex[*p >> 4];
            out[(*len)++] = hex[*p & 15];
        }
    }
    out[*len] = 0;
    return true;
}

struct query_ctx {
    char *out;
    size_t n, len;
    bool ok, any;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct query_ctx *q = cls;
    if (!q->ok) return MHD_NO;
    if (q->len + 1 >= q->n) return q->ok = false, MHD_NO;
    q->out[q->len] = q->any ? '&' : '?';
    q->out[++q->len] = 0;
    q->any = true;
    q->ok = encode(key, "", q->out, q->n, &q->len);
    if (q->ok && value) {
        if (q->len + 1 >= q->n) return q->ok = false, MHD_NO;
        q->out[q->len] = '=';
        q->out[++q->len] = 0;
        q->ok = encode(value, "", q->out, q->n, &q->len);
    }
    return q->ok ? MHD_YES : MHD_NO;
}

/* 303 to /login?next=<this page with its query>, so sign-in comes back here.
 * A query too long for the Location header is dropped (the page still is). */
/* 303 See Other to loc, with the page's headers and no body. */
static void see_other(struct request *r, const char *loc)
{
    r->n_headers = 0;
    security_headers(r);
    http_add_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    no_body(r, 303);
}

static void redirect_to_login(struct request *r)
{
    char next[400], loc[200] = "/login?next=";
    size_t nl = 0;
    struct query_ctx q = {.out = next, .n = sizeof next, .ok = true};
    if (!encode(r->path, "/", next, sizeof next, &nl)) nl = 0, next[0] = 0;
    q.len = nl;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    size_t ll = strlen(loc);
    if (!q.ok || !encode(next, "/", loc, sizeof loc, &ll)) {
        /* keep just the path, else no next at all */
        next[nl] = 0;
        ll = strlen("/login?next=");
        loc[ll] = 0;
        if (!nl || !encode(next, "/", loc, sizeof loc, &ll)) snprintf(loc, sizeof loc, "/login");
    }
    see_other(r, loc);
}

/* GET /: the queue is the product's front page; /tasks sends signed-out
 * visitors on to /login. */
void web_root(struct request *r) { see_other(r, "/tasks"); }

/* The page asset name, with the page's headers (500 when it is not built in). */
static void serve_page(struct request *r, const char *name)
{
    const struct web_asset *a = asset_find(name);
    if (!a) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    r->n_headers = 0;
    security_headers(r);
    reply_asset(r, a);
}

/* Serves page when the request has a live session, else sends it to /login. */
static void page(struct request *r, const char *name)
{
    char secret[SESSION_SECRET_SIZE];
    struct errinfo e = {0};
    if (!http_session_secret(r, secret) || http_session_authenticate(r, secret, &e) != ERR_OK) {
        if (e.code == ERR_INTERNAL || e.code == ERR_UNAVAILABLE) { /* a database failure, not a missing session */
            http_reply_error(r, &e);
            return;
        }
        redirect_to_login(r);
        return;
    }
    serve_page(r, name);
}

void web_queue_page(struct request *r) { page(r, "tasks.html"); }
void web_task_page(struct request *r) { page(r, "task.html"); }

void web_login_page(struct request *r) { serve_page(r, "login.html"); }

/* ---- POST /login, POST /logout ---------------------------------------------------- */

static void set_cookies(struct request *r, const char *secret, int64_t max_age_s)
{
    const char *secure = http_is_https(r) ? "; Secure" : "";
    char csrf[SESSION_SECRET_SIZE] = "";
    if (secret[0]) http_session_csrf(secret, csrf, sizeof csrf);
    char v[200];
    snprintf(v, sizeof v, SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", secret,
             (long long)max_age_s, secure);
    http_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, v);
    /* readable by the page's script, which sends it back as X-CSRF-Token */
    snprintf(v, sizeof v, SESSION_CSRF_COOKIE "=%s; Path=/; Max-Age=%lld; SameSite=Strict%s", csrf,
             (long long)max_age_s, secure);
    http_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, v);
}

struct login_ctx {
    char secret[SESSION_SECRET_SIZE];
    unsigned char hash[32];
    struct token token;
    int64_t now, expires;
    struct errinfo e;
};

static void login_clear(void *p) { sodium_memzero(p, sizeof(struct login_ctx)); }

static enum err login_run(struct store_conn *c, void *arg)
{
    struct login_ctx *x = arg;
    int64_t purged;
    /* sessions that ran out are cleared a bounded batch at a time, here, so
     * the table stays the size of the signed-in staff */
    enum err rc = store_session_purge(c, x->now, 100, &purged);
    struct session_row row = {.created_at = x->now, .expires_at = x->expires, .last_seen_at = x->now};
    memcpy(row.hash, x->hash, 32);
    snprintf(row.token_id, sizeof row.token_id, "%s", x->token.id);
    if (rc == ERR_OK) rc = store_session_insert(c, &row);
    return rc == ERR_OK ? ERR_OK : err_set(&x->e, rc, NULL, NULL);
}

static void login_finish(struct request *r, enum err rc)
{
    struct login_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    set_cookies(r, x->secret, SESSION_TTL_MS / 1000);
    json_t *o = json_object();
    json_object_set_new(o, "role", json_string(x->token.role == ROLE_ADMIN ? "admin" : "agent"));
    json_object_set_new(o, "staff_id", x->token.staff_id[0] ? json_string(x->token.staff_id) : json_null());
    api_ts(o, "expires_at", x->expires);
    http_reply_json(r, 200, o);
}

void web_login(struct request *r)
{
    static const char *const fields[] = {"token", NULL};
    struct errinfo e = {0};
    json_t *obj = NULL;
    const char *tok;
    bool present;
    /* login CSRF: another site must not sign a browser in as someone else */
    const char *origin = http_header(r, MHD_HTTP_HEADER_ORIGIN);
    if (origin && !http_origin_matches(origin, http_header(r, MHD_HTTP_HEADER_HOST))) {
        err_set(&e, ERR_FORBIDDEN, NULL, "CSRF check failed: the request comes from another origin");
        goto fail;
    }
    if (api_parse_object(r, fields, &obj, &e) != ERR_OK) goto fail;
    if (api_string_field(obj, "token", false, &tok, &present, &e) != ERR_OK) goto fail;
    if (!present || !*tok) {
        err_set(&e, ERR_VALIDATION_FAILED, "token", "Paste your API token");
        goto fail;
    }
    if (strlen(tok) > 200) {
        err_set(&e, ERR_UNAUTHORIZED, "token", "The token is not valid");
        goto fail;
    }
    unsigned char th[32];
    http_token_hash(tok, th);
    json_decref(obj);
    obj = NULL;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct token t;
    enum err rc = store_token_find(c, th, clock_now_ms(), &t);
    store_reader_release(c);
    if (rc == ERR_NOT_FOUND) {
        err_set(&e, ERR_UNAUTHORIZED, "token", "The token is not valid");
        goto fail;
    }
    if (rc != ERR_OK) {
        err_set(&e, rc, NULL, NULL);
        goto fail;
    }
    struct login_ctx *x = api_ctx(r, sizeof *x, login_clear);
    if (!x) return;
    x->token = t;
    x->now = clock_now_ms();
    x->expires = x->now + SESSION_TTL_MS;
    http_session_new(x->secret, x->hash);
    api_submit(r, login_run, login_finish);
    return;
fail:
    json_decref(obj);
    http_reply_error(r, &e);
}

struct logout_ctx {
    unsigned char hash[32];
};

static enum err logout_run(struct store_conn *c, void *arg)
{
    struct logout_ctx *x = arg;
    return store_session_delete(c, x->hash);
}

static void logout_finish(struct request *r, enum err rc)
{
    if (api_failed(r, rc, NULL)) return;
    set_cookies(r, "", 0);
    http_reply_raw_json(r, 200, "{\"signed_out\":true}");
}

void web_logout(struct request *r)
{
    char secret[SESSION_SECRET_SIZE];
    struct errinfo e = {0};
    if (!http_session_secret(r, secret)) {
        /* nothing to end; still clear whatever cookies the browser holds */
        logout_finish(r, ERR_OK);
        return;
    }
    if (http_session_csrf_check(r, secret, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    struct logout_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    http_session_hash(secret, x->hash);
    sodium_memzero(secret, sizeof secret);
    api_submit(r, logout_run, logout_finish);
}

/* ---- GET /ops/me ---------------------------------------------------------------------- */

void api_me(struct request *r)
{
    static const char *const known[] = {NULL};
    if (!api_query_known(r, known)) return;
    char today[DATE_SIZE];
    dates_today(clock_now_ms(), today);
    json_t *o = json_object();
    json_t *tok = json_pack("{s:s, s:s, s:s}", "id", r->token.id, "name", r->token.name, "role",
                            r->token.role == ROLE_ADMIN ? "admin" : "agent");
    json_object_set_new(o, "token", tok ? tok : json_null());
    json_object_set_new(o, "staff_id", r->token.staff_id[0] ? json_string(r->token.staff_id) : json_null());
    json_object_set_new(o, "today", json_string(today));
    json_object_set_new(o, "timezone", json_string(r->app->timezone ? r->app->timezone : "UTC"));
    http_reply_json(r, 200, o);
}
