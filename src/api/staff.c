/* staff.c (api): /ops/staff. Staff members come from the wider platform, so
 * their ids are the caller's; PUT upserts (201 created, 200 updated), and an
 * admin sets a member's role and active there. POST .../invite makes the
 * link a member sets their password with (signin.c takes it). Role and
 * active changes, and invitations, are in the audit log. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "domain/password.h"
#include "domain/task.h"
#include "http/session.h"
#include "util/clock.h"
#include "util/ids.h"

static json_t *staff_json(const struct staff *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "name", json_string(s->name ? s->name : ""));
    json_object_set_new(o, "email", s->email ? json_string(s->email) : json_null());
    json_object_set_new(o, "active", json_boolean(s->active));
    json_object_set_new(o, "role", json_string(s->role == ROLE_ADMIN ? "admin" : "agent"));
    json_object_set_new(o, "has_password", json_boolean(s->has_password));
    api_ts(o, "last_login_at", s->last_login_at);
    api_ts(o, "invite_expires_at", s->invite_expires_at > clock_now_ms() ? s->invite_expires_at : 0);
    api_ts(o, "created_at", s->created_at);
    api_ts(o, "updated_at", s->updated_at);
    return o;
}

/* The staff whose names have q's words (store name_search), by id. */
static enum err find_by_name(struct store_conn *c, const struct text_words *w, const char *after, int limit,
                             struct staff **out, int *n)
{
    char (*ids)[EXT_ID_SIZE] = calloc((size_t)limit, sizeof *ids);
    *out = calloc((size_t)limit, sizeof **out);
    *n = 0;
    int found = 0;
    enum err rc = ids && *out ? store_name_search(c, "sta_", w, after ? after : "", limit, ids, &found) : ERR_INTERNAL;
    for (int i = 0; rc == ERR_OK && i < found; i++) {
        enum err one = store_staff_get(c, ids[i], &(*out)[*n]);
        if (one == ERR_OK) (*n)++;
        else if (one != ERR_NOT_FOUND) rc = one;
    }
    free(ids);
    if (rc != ERR_OK) {
        for (int i = 0; i < *n; i++) store_staff_clear(&(*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void api_staff_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", "q", NULL};
    int limit, n = 0;
    const char *after;
    struct store_conn *c;
    struct text_words w;
    if (!api_id_page(r, known, "sta_", &limit, &after) || !api_name_words(r, &w) || !(c = api_reader(r))) return;
    struct staff *a = NULL;
    enum err rc = w.n ? find_by_name(c, &w, after, limit + 1, &a, &n) : store_staff_list(c, after, limit + 1, &a, &n);
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
    bool active_given; /* else an existing member keeps theirs (a new one is active) */
    bool deactivated, role_changed;
    struct api_who who;
    struct errinfo e;
};

static void staff_ctx_clear(void *p) { store_staff_clear(&((struct staff_ctx *)p)->s); }

/* Emails as sign-in compares them (NULL is no email). */
static bool same_email(const char *a, const char *b)
{
    char ka[256] = "", kb[256] = "";
    if (a) password_email_key(a, ka, sizeof ka);
    if (b) password_email_key(b, kb, sizeof kb);
    return strcmp(ka, kb) == 0;
}

static const char *role_name(enum token_role r) { return r == ROLE_ADMIN ? "admin" : "agent"; }

/* The put, with what it means for signing in: a member made inactive loses
 * their sessions (tokens tied to them stop working while they are
 * inactive: the token lookup checks); no two active members with passwords
 * may share an email, so sign-in by email always finds one person. */
static enum err staff_run(struct store_conn *c, void *arg)
{
    struct staff_ctx *x = arg;
    struct staff before = {0};
    enum err rc = store_staff_get(c, x->s.id, &before);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) return err_set(&x->e, rc, NULL, NULL);
    bool existed = rc == ERR_OK;
    bool was_active = existed && before.active;
    enum token_role old_role = existed ? before.role : ROLE_AGENT;
    bool has_password = existed && before.has_password;
    if (existed && !x->active_given) x->s.active = before.active;
    char old_email[256] = "";
    if (before.email) snprintf(old_email, sizeof old_email, "%s", before.email);
    store_staff_clear(&before);
    if (has_password && x->s.active && x->s.email) {
        char key[256];
        bool taken = false;
        if (password_email_key(x->s.email, key, sizeof key) &&
            (rc = store_staff_email_taken(c, key, x->s.id, &taken)) != ERR_OK)
            return err_set(&x->e, rc, NULL, NULL);
        if (taken)
            return err_set(&x->e, ERR_CONFLICT, "email",
                           "Another active staff member signs in with %s; two people cannot share one sign-in",
                           x->s.email);
    }
    x->s.created_at = x->s.updated_at = clock_now_ms();
    rc = store_staff_put(c, &x->s, &x->created);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    if ((rc = store_staff_search_refresh(c, x->s.id)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct staff back;
    if ((rc = store_staff_get(c, x->s.id, &back)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    store_staff_clear(&x->s);
    x->s = back;
    x->role_changed = existed && back.role != old_role;
    if (existed ? back.role != old_role : back.role != ROLE_AGENT) {
        rc = api_audit(c, &x->who, "staff.role_changed",
                       json_pack("{s:s, s:o, s:s}", "staff_id", back.id, "before",
                                 existed ? json_string(role_name(old_role)) : json_null(), "after",
                                 role_name(back.role)));
        if (rc != ERR_OK) return rc;
    }
    if (existed && was_active != back.active) {
        rc = api_audit(c, &x->who, "staff.active_changed",
                       json_pack("{s:s, s:b, s:b}", "staff_id", back.id, "before", was_active, "after", back.active));
        if (rc != ERR_OK) return rc;
    }
    if (existed && was_active && !back.active) {
        int64_t ended;
        if ((rc = store_session_end_all(c, back.id, "", &ended)) != ERR_OK) return rc;
        x->deactivated = true;
    }
    /* an invitation was sent to the member as they were: a link must not
     * outlive a deactivation or a new email */
    if (existed && (!back.active || !same_email(old_email, back.email)) && (rc = store_invite_drop(c, back.id)) != ERR_OK)
        return rc;
    return ERR_OK;
}

static void staff_finish(struct request *r, enum err rc)
{
    struct staff_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    /* this instance refuses their tokens (or acts on their new role) from
     * the next request on */
    if (x->deactivated || x->role_changed) http_token_forget(NULL, x->s.id);
    http_reply_json(r, x->created ? 201 : 200, staff_json(&x->s));
}

void api_staff_put(struct request *r)
{
    static const char *const fields[] = {"name", "email", "active", "role", NULL};
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
    x->active_given = active != NULL;
    const char *role;
    bool has_role;
    if (api_string_field(obj, "role", false, &role, &has_role, &x->e) != ERR_OK) {
        http_reply_error(r, &x->e);
        return;
    }
    if (has_role) {
        if (strcmp(role, "admin") != 0 && strcmp(role, "agent") != 0) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "role", "role must be agent or admin");
            return;
        }
        x->s.role = strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
        x->s.role_set = true;
    }
    api_who_of(r, &x->who);
    api_submit(r, staff_run, staff_finish);
}

/* ---- POST /ops/staff/{id}/invite ---------------------------------------------------------- */

#define INVITE_TTL_MS (7LL * 24 * 3600 * 1000)

struct invite_ctx {
    char staff_id[EXT_ID_SIZE];
    char secret[SESSION_SECRET_SIZE];
    unsigned char hash[32];
    int64_t now, expires;
    struct api_who who;
    struct errinfo e;
};

static void invite_clear(void *p) { sodium_memzero(p, sizeof(struct invite_ctx)); }

static enum err invite_run(struct store_conn *c, void *arg)
{
    struct invite_ctx *x = arg;
    struct staff st;
    enum err rc = store_staff_get(c, x->staff_id, &st);
    if (rc == ERR_NOT_FOUND) return err_set(&x->e, ERR_NOT_FOUND, NULL, "No staff member %s", x->staff_id);
    if (rc != ERR_OK) return rc;
    char key[256] = "";
    bool ok_email = st.email && password_email_key(st.email, key, sizeof key) && key[0];
    bool active = st.active;
    store_staff_clear(&st);
    if (!active) return err_set(&x->e, ERR_CONFLICT, "active", "%s is not active; activate them first", x->staff_id);
    if (!ok_email)
        return err_set(&x->e, ERR_VALIDATION_FAILED, "email", "Give %s an email first: it is what they sign in with",
                       x->staff_id);
    bool taken = false;
    if ((rc = store_staff_email_taken(c, key, x->staff_id, &taken)) != ERR_OK) return rc;
    if (taken)
        return err_set(&x->e, ERR_CONFLICT, "email", "Another active staff member signs in with this email");
    if ((rc = store_invite_put(c, x->staff_id, x->hash, x->now, x->expires, x->who.actor)) != ERR_OK) return rc;
    char exp[40];
    dates_format_ts(x->expires, exp, sizeof exp);
    return api_audit(c, &x->who, "invite.created", json_pack("{s:s, s:s}", "staff_id", x->staff_id, "expires_at", exp));
}

static void invite_finish(struct request *r, enum err rc)
{
    struct invite_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    const char *host = http_header(r, MHD_HTTP_HEADER_HOST);
    char url[1024];
    int n = snprintf(url, sizeof url, "%s://%s/invite/%s", http_is_https(r) ? "https" : "http",
                     host ? host : "localhost", x->secret);
    if (n < 0 || (size_t)n >= sizeof url) { /* a Host header that long cannot be a link anyone opens */
        http_reply_err(r, ERR_BAD_REQUEST, NULL, "The Host header is too long for an invitation link");
        return;
    }
    json_t *o = json_pack("{s:s}", "invite_url", url);
    api_ts(o, "expires_at", x->expires);
    http_reply_json(r, 201, o);
}

void api_staff_invite(struct request *r)
{
    struct invite_ctx *x = api_ctx(r, sizeof *x, invite_clear);
    if (!x) return;
    if (!ids_valid_external(r->param, "sta_") || strlen(r->param) >= sizeof x->staff_id) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such staff member");
        return;
    }
    memcpy(x->staff_id, r->param, strlen(r->param) + 1); /* checked above: it fits */
    /* the body is ignored: the link is all the server makes */
    x->now = clock_now_ms();
    x->expires = x->now + INVITE_TTL_MS;
    http_session_new(x->secret, x->hash);
    api_who_of(r, &x->who);
    api_submit(r, invite_run, invite_finish);
}
