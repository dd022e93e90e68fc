/* signin.c (api): signing in and out, and one's own account.
 *
 * POST /login takes an email and password (staff who were invited) or an
 * API token, and answers with a session cookie (http/session.c). A password
 * is checked on the argon2id pool (service/passwords.c), never on an HTTP
 * thread or the writer; then one writer job decides: it reads the failures
 * the limiter counts (domain/password.h) in the same transaction that adds
 * this attempt's outcome, so several instances cannot let more guesses
 * through between them, and a guess past the limit is answered 429 whatever
 * it was. Every outcome gets an audit row in that job.
 *
 * POST /invite/SECRET sets a password from an invitation; POST
 * /ops/me/password changes one's own; /ops/me/sessions lists and ends one's
 * sessions. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "domain/password.h"
#include "http/session.h"
#include "service/passwords.h"
#include "util/clock.h"
#include "util/ids.h"

#define BAD_CREDENTIALS "The email or password is not right"

/* Wipes and frees a copy of a password (NULL is fine). */
static void forget(char **p)
{
    if (!*p) return;
    sodium_memzero(*p, strlen(*p));
    free(*p);
    *p = NULL;
}

/* The request's body and the JSON strings of obj, wiped once the password
 * in them has been copied (they are freed with the request, not wiped). */
void api_wipe_body(struct request *r, json_t *obj)
{
    if (r->body) sodium_memzero(r->body, r->body_len);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (json_is_string(v)) sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
}

bool api_signin_record_blocked(struct request *r, const char *email_key)
{
    if (!r->app->signin_records) return true;
    char key[RATELIMIT_KEY_MAX + 64];
    snprintf(key, sizeof key, "%s|%s", email_key, http_client_address(r));
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t retry;
    return ratelimit_take(r->app->signin_records, key, 1, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &retry);
}

/* ---- cookies and new sessions ------------------------------------------------------ */

void api_set_session_cookies(struct request *r, const char *secret, int64_t max_age_s)
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

/* A new session: its secret (for the cookie) and its row, of a token or of
 * a staff member, from the request's who. */
static void session_new(struct session_row *s, char secret[SESSION_SECRET_SIZE], const char *token_id,
                        const char *staff_id, const struct api_who *w, int64_t now)
{
    memset(s, 0, sizeof *s);
    ids_new("ses_", now, s->id, sizeof s->id);
    http_session_new(secret, s->hash);
    snprintf(s->token_id, sizeof s->token_id, "%s", token_id ? token_id : "");
    snprintf(s->staff_id, sizeof s->staff_id, "%s", staff_id ? staff_id : "");
    s->created_at = s->last_seen_at = now;
    s->expires_at = now + SESSION_TTL_MS;
    snprintf(s->user_agent, sizeof s->user_agent, "%s", w->user_agent);
    snprintf(s->client, sizeof s->client, "%s", w->client);
}

/* Inserts s, first clearing a bounded batch of what ran out (sessions,
 * invitations, failures older than the limiter's window), so those tables
 * stay the size of what is live. */
static enum err session_store(struct store_conn *c, const struct session_row *s, int64_t now)
{
    int64_t purged;
    enum err rc = store_session_purge(c, now, 100, &purged);
    if (rc == ERR_OK) rc = store_invite_purge(c, now, 100, &purged);
    if (rc == ERR_OK) rc = store_login_failure_purge(c, now - LOGIN_WINDOW_MS, 100, &purged);
    if (rc == ERR_OK) rc = store_session_insert(c, s);
    return rc;
}

/* ---- the limiter ------------------------------------------------------------------------ */

static void key_of(char *out, size_t n, const char *kind, const char *value)
{
    snprintf(out, n, "%s:%s", kind, value);
}

/* True when key has had max failures within the window: *retry_s then set. */
static enum err limited(struct store_conn *c, const char *key, int max, int64_t now, bool *is, int64_t *retry_s)
{
    int64_t times[LOGIN_MAX_PER_ADDRESS + 1];
    int n = 0;
    *is = false;
    if (max > (int)(sizeof times / sizeof times[0])) max = (int)(sizeof times / sizeof times[0]);
    enum err rc = store_login_failure_times(c, key, now - LOGIN_WINDOW_MS, max, times, &n);
    if (rc != ERR_OK) return rc;
    int64_t r = 0;
    *is = password_limit_reached(times, n, max, LOGIN_WINDOW_MS, now, &r);
    if (*is && r > *retry_s) *retry_s = r;
    return ERR_OK;
}

/* Both limits of a sign-in: the email's (5 failures) and the client
 * address's (more than 30); email_key "" for a token's sign-in. */
static enum err check_limits(struct store_conn *c, const char *email_key, const char *client, int64_t now,
                             bool *blocked, int64_t *retry_s)
{
    char key[320];
    bool a = false, b = false;
    *retry_s = 0;
    enum err rc = ERR_OK;
    if (email_key[0]) {
        key_of(key, sizeof key, "email", email_key);
        rc = limited(c, key, LOGIN_MAX_PER_EMAIL, now, &a, retry_s);
    }
    key_of(key, sizeof key, "addr", client);
    if (rc == ERR_OK) rc = limited(c, key, LOGIN_MAX_PER_ADDRESS + 1, now, &b, retry_s);
    *blocked = a || b;
    return rc;
}

static enum err add_failures(struct store_conn *c, const char *email_key, const char *client, int64_t now)
{
    char key[320];
    enum err rc = ERR_OK;
    if (email_key[0]) {
        key_of(key, sizeof key, "email", email_key);
        rc = store_login_failure_add(c, key, now);
    }
    key_of(key, sizeof key, "addr", client);
    if (rc == ERR_OK) rc = store_login_failure_add(c, key, now);
    return rc;
}

static void reply_limited(struct request *r, int64_t retry_s)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)retry_s);
    http_reply_err(r, ERR_TOO_MANY_REQUESTS, NULL, "Too many failed sign-ins; try again in %lld s",
                   (long long)retry_s);
    http_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v); /* after: an error answer starts its headers afresh */
}

/* ---- POST /login ------------------------------------------------------------------------ */

struct signin_ctx {
    bool by_token;
    char email[256];     /* as typed, for the audit row */
    char email_key[256]; /* lower case */
    char *password;      /* wiped and freed with the request */
    unsigned char token_hash[32];
    struct api_who who;
    int64_t now;
    struct staff_login login; /* login.staff_id "" when nobody has that email */
    bool verified;
    /* the writer's answer */
    bool blocked;
    int64_t retry_s;
    struct token token;
    struct session_row session;
    char secret[SESSION_SECRET_SIZE];
    struct errinfo e;
};

static void signin_clear(void *p)
{
    struct signin_ctx *x = p;
    forget(&x->password);
    sodium_memzero(x, sizeof *x);
}

static json_t *method_details(const struct signin_ctx *x)
{
    json_t *d = json_pack("{s:s, s:s}", "method", x->by_token ? "token" : "password", "user_agent", x->who.user_agent);
    if (d && !x->by_token) json_object_set_new(d, "email", json_string(x->email));
    return d;
}

static enum err signin_run(struct store_conn *c, void *arg)
{
    struct signin_ctx *x = arg;
    enum err rc = check_limits(c, x->email_key, x->who.client, x->now, &x->blocked, &x->retry_s);
    if (rc != ERR_OK) return rc;
    if (x->blocked) {
        json_t *d = method_details(x);
        json_object_set_new(d, "reason", json_string("rate_limited"));
        return api_audit(c, &x->who, "login.failed", d);
    }
    bool ok = x->verified;
    if (ok && x->by_token) {
        /* still live now (a revocation or deactivation may have come
         * between the read and this job), and used */
        rc = store_token_find(c, x->token_hash, x->now, &x->token);
        if (rc != ERR_OK && rc != ERR_NOT_FOUND) return rc;
        ok = rc == ERR_OK;
        if (ok && (rc = store_token_touch(c, x->token.id, x->now)) != ERR_OK) return rc;
    }
    if (ok && !x->by_token) {
        /* the password checked must still be the member's, and they active */
        struct staff_login now_login;
        int matches = 0;
        rc = store_staff_login_find(c, x->email_key, &now_login, &matches);
        if (rc != ERR_OK && rc != ERR_NOT_FOUND) return rc;
        ok = rc == ERR_OK && matches == 1 && strcmp(now_login.staff_id, x->login.staff_id) == 0 &&
             strcmp(now_login.password_hash, x->login.password_hash) == 0;
        if (ok) x->login.role = now_login.role;
        sodium_memzero(&now_login, sizeof now_login);
    }
    if (!ok) {
        int64_t purged;
        if ((rc = store_login_failure_purge(c, x->now - LOGIN_WINDOW_MS, 100, &purged)) != ERR_OK) return rc;
        if ((rc = add_failures(c, x->email_key, x->who.client, x->now)) != ERR_OK) return rc;
        json_t *d = method_details(x);
        json_object_set_new(d, "reason", json_string("bad_credentials"));
        return api_audit(c, &x->who, "login.failed", d);
    }
    session_new(&x->session, x->secret, x->by_token ? x->token.id : NULL, x->by_token ? NULL : x->login.staff_id,
                &x->who, x->now);
    if ((rc = session_store(c, &x->session, x->now)) != ERR_OK) return rc;
    struct api_who as = x->who;
    if (x->by_token) {
        snprintf(as.actor, sizeof as.actor, "%s", x->token.staff_id[0] ? x->token.staff_id : "");
        if (!as.actor[0]) snprintf(as.actor, sizeof as.actor, "token:%s", x->token.id);
    } else {
        char key[320];
        key_of(key, sizeof key, "email", x->email_key);
        if ((rc = store_login_failure_clear(c, key)) != ERR_OK) return rc;
        if ((rc = store_staff_login_touch(c, x->login.staff_id, x->now)) != ERR_OK) return rc;
        snprintf(as.actor, sizeof as.actor, "%s", x->login.staff_id);
    }
    json_t *d = method_details(x);
    json_object_set_new(d, "session_id", json_string(x->session.id));
    if (x->by_token) json_object_set_new(d, "token_id", json_string(x->token.id));
    return api_audit(c, &as, "login.succeeded", d);
}

static void signed_in(struct request *r, const char *secret, const char *staff_id, enum token_role role,
                      int64_t expires)
{
    api_set_session_cookies(r, secret, SESSION_TTL_MS / 1000);
    json_t *o = json_object();
    json_object_set_new(o, "staff_id", staff_id[0] ? json_string(staff_id) : json_null());
    json_object_set_new(o, "role", json_string(role == ROLE_ADMIN ? "admin" : "agent"));
    api_ts(o, "expires_at", expires);
    http_reply_json(r, 200, o);
}

static void signin_finish(struct request *r, enum err rc)
{
    struct signin_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    if (x->blocked) {
        reply_limited(r, x->retry_s);
        return;
    }
    if (!x->session.id[0]) {
        if (x->by_token)
            http_reply_err(r, ERR_UNAUTHORIZED, "token", "The token is not valid");
        else
            http_reply_err(r, ERR_UNAUTHORIZED, NULL, BAD_CREDENTIALS);
        return;
    }
    if (x->by_token)
        signed_in(r, x->secret, x->token.staff_id, x->token.role, x->session.expires_at);
    else
        signed_in(r, x->secret, x->login.staff_id, x->login.role, x->session.expires_at);
}

/* On the password pool: the one argon2id verification of this sign-in
 * (against a stand-in when nobody has the email, so both take as long). */
static enum err verify_run(struct store_conn *c, void *arg)
{
    (void)c;
    struct signin_ctx *x = arg;
    x->verified = passwords_verify(x->login.password_hash, x->password);
    sodium_memzero(x->password, strlen(x->password));
    return ERR_OK;
}

static void verify_finish(struct request *r, enum err rc)
{
    if (api_failed(r, rc, NULL)) return;
    api_submit(r, signin_run, signin_finish);
}

/* The login CSRF check: another site must not sign a browser in as someone
 * else (the Origin, when the browser sends one, must be ours). */
static bool same_origin(struct request *r)
{
    const char *origin = http_header(r, MHD_HTTP_HEADER_ORIGIN);
    if (!origin || http_origin_matches(origin, http_header(r, MHD_HTTP_HEADER_HOST))) return true;
    http_reply_err(r, ERR_FORBIDDEN, NULL, "CSRF check failed: the request comes from another origin");
    return false;
}

void web_login(struct request *r)
{
    static const char *const fields[] = {"token", "email", "password", NULL};
    struct errinfo e = {0};
    if (!same_origin(r)) return;
    struct signin_ctx *x = api_ctx(r, sizeof *x, signin_clear);
    if (!x) return;
    json_t *obj = api_body(r, fields, &e);
    const char *tok = NULL, *email = NULL, *password = NULL;
    bool has_tok = false, has_email = false, has_pw = false;
    if (!obj || api_string_field(obj, "token", false, &tok, &has_tok, &e) != ERR_OK ||
        api_string_field(obj, "email", false, &email, &has_email, &e) != ERR_OK ||
        api_string_field(obj, "password", false, &password, &has_pw, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    api_who_of(r, &x->who);
    x->now = clock_now_ms();
    if (has_tok && (has_email || has_pw)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "token", "Send a token, or an email and password, not both");
        return;
    }
    if (has_tok) {
        if (!*tok) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "token", "Paste your API token");
            return;
        }
        x->by_token = true;
        if (strlen(tok) <= 200) {
            http_token_hash(tok, x->token_hash);
            struct store_conn *c = api_reader(r);
            if (!c) return;
            enum err rc = store_token_find(c, x->token_hash, x->now, &x->token);
            store_reader_release(c);
            if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
                http_reply_err(r, rc, NULL, NULL);
                return;
            }
            x->verified = rc == ERR_OK;
        }
        /* an address past its limit is answered here, as for passwords */
        struct store_conn *c = api_reader(r);
        if (!c) return;
        bool blocked = false;
        int64_t retry_s = 0;
        enum err rc = check_limits(c, "", x->who.client, x->now, &blocked, &retry_s);
        store_reader_release(c);
        if (rc != ERR_OK) {
            http_reply_err(r, rc, NULL, NULL);
            return;
        }
        if (blocked && !api_signin_record_blocked(r, "")) {
            reply_limited(r, retry_s);
            return;
        }
        api_submit(r, signin_run, signin_finish);
        return;
    }
    if (!has_email && !has_pw) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "token", "Send your email and password, or an API token");
        return;
    }
    if (!has_email || !*email) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "email", "Enter your email address");
        return;
    }
    if (!has_pw || !*password) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "password", "Enter your password");
        return;
    }
    if (strlen(email) >= sizeof x->email || strlen(password) > 4 * PASSWORD_MAX_CHARS) {
        /* longer than any account's: a failure like any other, counted */
        x->verified = false;
        size_t cut = 200;
        while (cut && ((unsigned char)email[cut] & 0xC0) == 0x80) cut--; /* not inside a character */
        snprintf(x->email, sizeof x->email, "%.*s", (int)cut, email);
        password_email_key(x->email, x->email_key, sizeof x->email_key);
        api_submit(r, signin_run, signin_finish);
        return;
    }
    snprintf(x->email, sizeof x->email, "%s", email);
    password_email_key(email, x->email_key, sizeof x->email_key);
    if (!(x->password = strdup(password))) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    api_wipe_body(r, obj);
    /* already past the limit: answer without spending a hash on it */
    struct store_conn *c = api_reader(r);
    if (!c) return;
    bool blocked = false;
    int64_t retry_s = 0;
    int matches = 0;
    enum err rc = check_limits(c, x->email_key, x->who.client, x->now, &blocked, &retry_s);
    if (rc == ERR_OK && !blocked) {
        rc = store_staff_login_find(c, x->email_key, &x->login, &matches);
        if (rc == ERR_NOT_FOUND || (rc == ERR_OK && matches != 1)) {
            memset(&x->login, 0, sizeof x->login); /* nobody, or not one person: the stand-in */
            rc = ERR_OK;
        }
    }
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    if (blocked) {
        /* already past the limit: answered here, without the writer, so a
         * client hammering the door cannot fill the writer's queue; one
         * such attempt a minute per email is still written down (the
         * writer decides it again and records it) */
        if (!api_signin_record_blocked(r, x->email_key)) {
            reply_limited(r, retry_s);
            return;
        }
        api_submit(r, signin_run, signin_finish);
        return;
    }
    http_submit_via(r, passwords_submit, r->app->passwords, verify_run, x, verify_finish, r->ctx_free);
}

/* ---- POST /logout -------------------------------------------------------------------------- */

struct logout_ctx {
    unsigned char hash[32];
    struct token who_token;
    bool found;
    struct api_who who;
};

static enum err logout_run(struct store_conn *c, void *arg)
{
    struct logout_ctx *x = arg;
    enum err rc = store_session_delete(c, x->hash);
    if (rc != ERR_OK || !x->found) return rc;
    return api_audit(c, &x->who, "logout", json_pack("{s:s}", "session_id", x->who_token.session_id));
}

static void logout_finish(struct request *r, enum err rc)
{
    if (api_failed(r, rc, NULL)) return;
    api_set_session_cookies(r, "", 0);
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
    /* who it was, for the audit row (an ended session signs out quietly) */
    struct store_conn *c = api_reader(r);
    if (!c) return;
    enum err rc = store_session_find(c, x->hash, clock_now_ms(), &x->who_token);
    store_reader_release(c);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    x->found = rc == ERR_OK;
    if (x->found) {
        r->token = x->who_token;
        http_auth_identify(r);
    }
    api_who_of(r, &x->who);
    sodium_memzero(secret, sizeof secret);
    api_submit(r, logout_run, logout_finish);
}

/* ---- POST /invite/SECRET ------------------------------------------------------------------ */

struct invite_ctx {
    unsigned char hash[32];
    char staff_id[EXT_ID_SIZE];
    char *password;
    char password_hash[STORE_PASSWORD_HASH_SIZE];
    struct api_who who;
    int64_t now;
    enum token_role role;
    struct session_row session;
    char secret[SESSION_SECRET_SIZE];
    struct errinfo e;
};

static void invite_clear(void *p)
{
    struct invite_ctx *x = p;
    forget(&x->password);
    sodium_memzero(x, sizeof *x);
}

bool api_invite_secret(const char *secret, unsigned char hash[32])
{
    if (!http_session_secret_valid(secret)) return false;
    http_session_hash(secret, hash);
    return true;
}

static enum err accept_run(struct store_conn *c, void *arg)
{
    struct invite_ctx *x = arg;
    enum err rc = store_invite_take(c, x->hash, x->now, x->staff_id);
    if (rc == ERR_NOT_FOUND) return err_set(&x->e, ERR_NOT_FOUND, NULL, "This invitation is not valid any more");
    if (rc != ERR_OK) return rc;
    struct staff st;
    if ((rc = store_staff_get(c, x->staff_id, &st)) != ERR_OK) return rc;
    char key[256] = "";
    bool taken = false;
    if (st.email) password_email_key(st.email, key, sizeof key);
    bool active = st.active;
    x->role = st.role;
    store_staff_clear(&st);
    if (!active) return err_set(&x->e, ERR_CONFLICT, NULL, "This staff member is not active");
    if (!key[0]) return err_set(&x->e, ERR_CONFLICT, NULL, "This staff member has no email to sign in with");
    if ((rc = store_staff_email_taken(c, key, x->staff_id, &taken)) != ERR_OK) return rc;
    if (taken)
        return err_set(&x->e, ERR_CONFLICT, "email", "Another active staff member signs in with this email");
    if ((rc = store_staff_password_set(c, x->staff_id, x->password_hash, x->now)) != ERR_OK) return rc;
    int64_t ended;
    if ((rc = store_session_end_all(c, x->staff_id, "", &ended)) != ERR_OK) return rc;
    session_new(&x->session, x->secret, NULL, x->staff_id, &x->who, x->now);
    if ((rc = session_store(c, &x->session, x->now)) != ERR_OK) return rc;
    if ((rc = store_staff_login_touch(c, x->staff_id, x->now)) != ERR_OK) return rc;
    struct api_who as = x->who;
    snprintf(as.actor, sizeof as.actor, "%s", x->staff_id);
    rc = api_audit(c, &as, "password.changed", json_pack("{s:s, s:s}", "staff_id", x->staff_id, "via", "invite"));
    if (rc != ERR_OK) return rc;
    return api_audit(c, &as, "login.succeeded",
                     json_pack("{s:s, s:s, s:s, s:s}", "method", "password", "via", "invite", "session_id",
                               x->session.id, "user_agent", x->who.user_agent));
}

static void accept_finish(struct request *r, enum err rc)
{
    struct invite_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    signed_in(r, x->secret, x->staff_id, x->role, x->session.expires_at);
}

static enum err hash_run(struct store_conn *c, void *arg)
{
    (void)c;
    struct invite_ctx *x = arg;
    enum err rc = passwords_hash(x->password, x->password_hash);
    sodium_memzero(x->password, strlen(x->password));
    return rc;
}

static void hash_finish(struct request *r, enum err rc)
{
    if (api_failed(r, rc, NULL)) return;
    api_submit(r, accept_run, accept_finish);
}

void web_invite_accept(struct request *r)
{
    static const char *const fields[] = {"password", NULL};
    struct errinfo e = {0};
    if (!same_origin(r)) return;
    struct invite_ctx *x = api_ctx(r, sizeof *x, invite_clear);
    if (!x) return;
    x->now = clock_now_ms();
    if (!api_invite_secret(r->param, x->hash)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "This invitation is not valid any more");
        return;
    }
    json_t *obj = api_body(r, fields, &e);
    const char *pw;
    if (!obj || api_required_string(obj, "password", &pw, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    enum err rc = store_invite_find(c, x->hash, x->now, x->staff_id);
    struct staff st = {0};
    if (rc == ERR_OK) rc = store_staff_get(c, x->staff_id, &st);
    store_reader_release(c);
    if (rc == ERR_NOT_FOUND) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "This invitation is not valid any more");
        return;
    }
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, NULL);
        return;
    }
    const char *weak = password_weakness(pw, st.email);
    store_staff_clear(&st);
    if (weak) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "password", "%s", weak);
        return;
    }
    api_who_of(r, &x->who);
    if (!(x->password = strdup(pw))) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    api_wipe_body(r, obj);
    http_submit_via(r, passwords_submit, r->app->passwords, hash_run, x, hash_finish, r->ctx_free);
}

/* ---- POST /ops/me/password ---------------------------------------------------------------- */

struct change_ctx {
    char staff_id[EXT_ID_SIZE];
    char session_id[TASK_ID_SIZE];
    char email_key[256];
    char *current, *fresh;
    char old_hash[STORE_PASSWORD_HASH_SIZE], new_hash[STORE_PASSWORD_HASH_SIZE];
    bool verified;
    bool blocked;
    int64_t retry_s;
    struct api_who who;
    int64_t now;
    struct errinfo e;
};

static void change_clear(void *p)
{
    struct change_ctx *x = p;
    forget(&x->current);
    forget(&x->fresh);
    sodium_memzero(x, sizeof *x);
}

static enum err change_run(struct store_conn *c, void *arg)
{
    struct change_ctx *x = arg;
    enum err rc = check_limits(c, x->email_key, x->who.client, x->now, &x->blocked, &x->retry_s);
    if (rc != ERR_OK) return rc;
    if (x->blocked)
        return api_audit(c, &x->who, "login.failed",
                         json_pack("{s:s, s:s, s:s}", "method", "password", "reason", "rate_limited", "user_agent",
                                   x->who.user_agent));
    if (!x->verified) {
        if ((rc = add_failures(c, x->email_key, x->who.client, x->now)) != ERR_OK) return rc;
        rc = api_audit(c, &x->who, "login.failed",
                       json_pack("{s:s, s:s, s:s}", "method", "password", "reason", "wrong_current_password",
                                 "user_agent", x->who.user_agent));
        if (rc != ERR_OK) return rc;
        return ERR_OK; /* answered 422 by finish, the failure kept */
    }
    char now_hash[STORE_PASSWORD_HASH_SIZE];
    if ((rc = store_staff_password_get(c, x->staff_id, now_hash)) != ERR_OK) return rc;
    if (strcmp(now_hash, x->old_hash) != 0)
        return err_set(&x->e, ERR_CONFLICT, "current_password", "The password was changed meanwhile; sign in again");
    if ((rc = store_staff_password_set(c, x->staff_id, x->new_hash, x->now)) != ERR_OK) return rc;
    /* a reset link sent before must not undo this */
    if ((rc = store_invite_drop(c, x->staff_id)) != ERR_OK) return rc;
    int64_t ended;
    if ((rc = store_session_end_all(c, x->staff_id, x->session_id, &ended)) != ERR_OK) return rc;
    return api_audit(c, &x->who, "password.changed",
                     json_pack("{s:s, s:s, s:I}", "staff_id", x->staff_id, "via", "change", "sessions_ended",
                               (json_int_t)ended));
}

static void change_finish(struct request *r, enum err rc)
{
    struct change_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    if (x->blocked) {
        reply_limited(r, x->retry_s);
        return;
    }
    if (!x->verified) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "current_password", "The current password is not right");
        return;
    }
    http_reply_raw_json(r, 200, "{\"changed\":true}");
}

static enum err rehash_run(struct store_conn *c, void *arg)
{
    (void)c;
    struct change_ctx *x = arg;
    x->verified = passwords_verify(x->old_hash, x->current);
    enum err rc = x->verified ? passwords_hash(x->fresh, x->new_hash) : ERR_OK;
    sodium_memzero(x->current, strlen(x->current));
    sodium_memzero(x->fresh, strlen(x->fresh));
    return rc;
}

static void rehash_finish(struct request *r, enum err rc)
{
    if (api_failed(r, rc, NULL)) return;
    api_submit(r, change_run, change_finish);
}

void api_me_password(struct request *r)
{
    static const char *const fields[] = {"current_password", "new_password", NULL};
    struct errinfo e = {0};
    struct change_ctx *x = api_ctx(r, sizeof *x, change_clear);
    if (!x) return;
    json_t *obj = api_body(r, fields, &e);
    const char *cur, *fresh;
    if (!obj || api_required_string(obj, "current_password", &cur, &e) != ERR_OK ||
        api_required_string(obj, "new_password", &fresh, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    if (!r->token.staff_id[0]) {
        http_reply_err(r, ERR_CONFLICT, NULL, "Only a staff member has a password; this token is nobody's");
        return;
    }
    snprintf(x->staff_id, sizeof x->staff_id, "%s", r->token.staff_id);
    snprintf(x->session_id, sizeof x->session_id, "%s", r->token.session_id);
    x->now = clock_now_ms();
    api_who_of(r, &x->who);
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct staff st = {0};
    enum err rc = store_staff_get(c, x->staff_id, &st);
    if (rc == ERR_OK) rc = store_staff_password_get(c, x->staff_id, x->old_hash);
    /* the limiter's key: the email, as sign-in counts it; a member without
     * one (or with one too long to sign in with) is counted by id */
    if (rc == ERR_OK && !(st.email && password_email_key(st.email, x->email_key, sizeof x->email_key)))
        snprintf(x->email_key, sizeof x->email_key, "staff:%s", x->staff_id);
    bool blocked = false;
    if (rc == ERR_OK) rc = check_limits(c, x->email_key, x->who.client, x->now, &blocked, &x->retry_s);
    store_reader_release(c);
    const char *weak = rc == ERR_OK ? password_weakness(fresh, st.email) : NULL;
    store_staff_clear(&st);
    if (rc != ERR_OK) {
        http_reply_err(r, rc == ERR_NOT_FOUND ? ERR_CONFLICT : rc, NULL, rc == ERR_NOT_FOUND ? "No such staff member" : NULL);
        return;
    }
    if (!x->old_hash[0]) {
        http_reply_err(r, ERR_CONFLICT, NULL, "You have no password yet; ask an admin for an invitation");
        return;
    }
    if (blocked) { /* recorded (and decided again) by the writer */
        api_submit(r, change_run, change_finish);
        return;
    }
    if (weak) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "new_password", "%s", weak);
        return;
    }
    if (strlen(cur) > 4 * PASSWORD_MAX_CHARS) { /* no password is that long: wrong, and counted */
        x->verified = false;
        api_submit(r, change_run, change_finish);
        return;
    }
    if (!(x->current = strdup(cur)) || !(x->fresh = strdup(fresh))) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    api_wipe_body(r, obj);
    http_submit_via(r, passwords_submit, r->app->passwords, rehash_run, x, rehash_finish, r->ctx_free);
}

/* ---- /ops/me/sessions --------------------------------------------------------------------- */

/* Whose sessions a request may see: the staff member's (also those made
 * with their tokens), or, for a token tied to nobody, the token's. */
static void owner_of(struct request *r, const char **staff_id, const char **token_id)
{
    *staff_id = r->token.staff_id;
    *token_id = r->token.staff_id[0] ? "" : r->token.id;
}

void api_me_sessions(struct request *r)
{
    static const char *const known[] = {NULL};
    if (!api_query_known(r, known)) return;
    const char *staff_id, *token_id;
    owner_of(r, &staff_id, &token_id);
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct session_row *s = NULL;
    int n = 0;
    enum err rc = store_session_list(c, staff_id, token_id, clock_now_ms(), 500, &s, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(s[i].id));
        api_ts(o, "created_at", s[i].created_at);
        api_ts(o, "last_seen_at", s[i].last_seen_at);
        json_object_set_new(o, "user_agent", json_string(s[i].user_agent));
        json_object_set_new(o, "client", s[i].client[0] ? json_string(s[i].client) : json_null());
        json_object_set_new(o, "current", json_boolean(strcmp(s[i].id, r->token.session_id) == 0));
        json_array_append_new(data, o);
    }
    free(s);
    http_reply_json(r, 200, api_page(data, NULL));
}

struct end_ctx {
    char id[TASK_ID_SIZE];
    char staff_id[EXT_ID_SIZE];
    char token_id[TASK_ID_SIZE];
    struct api_who who;
};

static enum err end_run(struct store_conn *c, void *arg)
{
    struct end_ctx *x = arg;
    enum err rc = store_session_end(c, x->id, x->staff_id, x->token_id);
    if (rc != ERR_OK) return rc;
    return api_audit(c, &x->who, "session.ended", json_pack("{s:s}", "session_id", x->id));
}

static void end_finish(struct request *r, enum err rc)
{
    if (rc == ERR_NOT_FOUND) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such session of yours");
        return;
    }
    if (api_failed(r, rc, NULL)) return;
    http_reply_raw_json(r, 200, "{\"ended\":true}");
}

void api_me_session_delete(struct request *r)
{
    struct end_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    if (strncmp(r->param, "ses_", 4) != 0 || strlen(r->param) >= sizeof x->id ||
        !ids_valid_external(r->param, "ses_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "No such session of yours");
        return;
    }
    const char *staff_id, *token_id;
    owner_of(r, &staff_id, &token_id);
    memcpy(x->id, r->param, strlen(r->param) + 1); /* checked above: it fits */
    snprintf(x->staff_id, sizeof x->staff_id, "%s", staff_id);
    snprintf(x->token_id, sizeof x->token_id, "%s", token_id);
    api_who_of(r, &x->who);
    api_submit(r, end_run, end_finish);
}
