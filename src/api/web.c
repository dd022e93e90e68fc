/* web.c (api): the browser side of the same server. The pages
 * (/tasks, /tasks/{id}, /customers/{id}, /renewals, /login) and their assets are compiled in (src/web/,
 * scripts/embed-web.sh); sign-in turns an API token into a cookie session
 * (http/session.c) and /ops/me tells the page who it is and what day it is
 * in the server's timezone. Every answer here carries a Content-Security-Policy
 * of default-src 'self', so the pages run no inline script or style. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "domain/dates.h"
#include "http/session.h"
#include "util/clock.h"
#include "web/assets.h"

#define CSP "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

static void page_headers(struct request *r, const char *referrer_policy)
{
    http_add_header(r, "Content-Security-Policy", CSP);
    http_add_header(r, "X-Frame-Options", "DENY");
    http_add_header(r, "Referrer-Policy", referrer_policy);
}

static void security_headers(struct request *r) { page_headers(r, "same-origin"); }

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
void web_account_page(struct request *r) { page(r, "account.html"); }
void web_customer_page(struct request *r) { page(r, "customer.html"); }
void web_renewals_page(struct request *r) { page(r, "renewals.html"); }

/* An admin's page: for others, the queue (their links to it are not shown). */
static void admin_page(struct request *r, const char *name)
{
    char secret[SESSION_SECRET_SIZE];
    struct errinfo e = {0};
    if (!http_session_secret(r, secret) || http_session_authenticate(r, secret, &e) != ERR_OK) {
        if (e.code == ERR_INTERNAL || e.code == ERR_UNAVAILABLE) {
            http_reply_error(r, &e);
            return;
        }
        redirect_to_login(r);
        return;
    }
    if (r->token.role != ROLE_ADMIN) {
        see_other(r, "/tasks");
        return;
    }
    serve_page(r, name);
}

void web_staff_page(struct request *r) { admin_page(r, "staff.html"); }
void web_audit_page(struct request *r) { admin_page(r, "audit.html"); }

/* GET /invite/SECRET: open to all (the link is the credential). A live
 * invitation gets the page that sets a password; a dead one a page that
 * says so, with 404. The secret is in the path, so this page tells the
 * browser to send no Referer anywhere. */
void web_invite_page(struct request *r)
{
    unsigned char hash[32];
    char staff_id[EXT_ID_SIZE];
    enum err rc = ERR_NOT_FOUND;
    if (api_invite_secret(r->param, hash)) {
        struct store_conn *c = api_reader(r);
        if (!c) return;
        rc = store_invite_find(c, hash, clock_now_ms(), staff_id);
        store_reader_release(c);
    }
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    const struct web_asset *a = asset_find(rc == ERR_OK ? "invite.html" : "invite-invalid.html");
    if (!a) {
        http_reply_err(r, rc == ERR_OK ? ERR_INTERNAL : ERR_NOT_FOUND, NULL, "This invitation is not valid any more");
        return;
    }
    r->n_headers = 0;
    page_headers(r, "no-referrer");
    http_add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    reply_asset(r, a);
    r->status = rc == ERR_OK ? 200 : 404;
}

void web_login_page(struct request *r) { serve_page(r, "login.html"); }

/* ---- the 404 page for browsers ----------------------------------------------------- */

/* The q of the Accept entry for type ("text/html", "application/json",
 * "*\/\*"), -1 when there is none. Parameters other than q are ignored. */
static double accept_q(const char *accept, const char *type)
{
    size_t tn = strlen(type);
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *semi = memchr(p, ';', n);
        size_t name = semi ? (size_t)(semi - p) : n;
        while (name && (p[name - 1] == ' ' || p[name - 1] == '\t')) name--;
        if (name == tn && strncasecmp(p, type, tn) == 0) {
            double q = 1;
            for (const char *s = semi; s && s < p + n; s = memchr(s + 1, ';', (size_t)(p + n - s - 1))) {
                const char *v = s + 1;
                while (*v == ' ' || *v == '\t') v++;
                if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=') q = strtod(v + 2, NULL);
            }
            return q;
        }
        p = end;
    }
    return -1;
}

/* A browser asks for text/html by name and above JSON (Chromium and Firefox
 * send "text/html,...,*\/\*;q=0.8"); curl's and fetch()'s "*\/\*", and
 * API clients asking for JSON, keep the JSON 404. */
bool web_not_found_page(struct request *r)
{
    const char *accept = http_header(r, MHD_HTTP_HEADER_ACCEPT);
    if (!accept) return false;
    double html = accept_q(accept, "text/html"), json = accept_q(accept, "application/json");
    if (json < 0) json = accept_q(accept, "application/*");
    if (json < 0) json = accept_q(accept, "*/*");
    if (html <= 0 || html <= json) return false;
    const struct web_asset *a = asset_find("not-found.html");
    if (!a) return false;
    r->n_headers = 0;
    security_headers(r);
    http_add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    reply_asset(r, a);
    r->status = 404;
    return true;
}

/* ---- GET /ops/me ---------------------------------------------------------------------- */

void api_me(struct request *r)
{
    static const char *const known[] = {NULL};
    if (!api_query_known(r, known)) return;
    char today[DATE_SIZE];
    dates_today(clock_now_ms(), today);
    json_t *o = json_object();
    const char *role = r->token.role == ROLE_ADMIN ? "admin" : "agent";
    /* a password's session has no token: who it is, is the staff member */
    json_t *tok = r->token.id[0] ? json_pack("{s:s, s:s, s:s}", "id", r->token.id, "name", r->token.name, "role", role)
                                 : NULL;
    json_object_set_new(o, "token", tok ? tok : json_null());
    json_object_set_new(o, "staff_id", r->token.staff_id[0] ? json_string(r->token.staff_id) : json_null());
    json_object_set_new(o, "role", json_string(role));
    json_object_set_new(o, "session_id", r->token.session_id[0] ? json_string(r->token.session_id) : json_null());
    /* the name the page shows: the person's, else the token's */
    char *name = NULL;
    if (r->token.staff_id[0]) {
        struct store_conn *c = store_reader_acquire(r->app->store);
        struct staff st;
        if (c && store_staff_get(c, r->token.staff_id, &st) == ERR_OK) {
            name = st.name ? strdup(st.name) : NULL;
            store_staff_clear(&st);
        }
        if (c) store_reader_release(c);
    }
    json_object_set_new(o, "name", json_string(name ? name : r->token.name));
    free(name);
    json_object_set_new(o, "today", json_string(today));
    json_object_set_new(o, "timezone", json_string(r->app->timezone ? r->app->timezone : "UTC"));
    http_reply_json(r, 200, o);
}
