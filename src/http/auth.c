/* auth.c: who a request acts as: a bearer token, or a session cookie (of a
 * token or of a staff member who gave a password; session.c). A token is 32
 * random bytes shown once; only its BLAKE2b hash is stored, so a copy of the
 * database does not leak access. Tokens are high-entropy, so a fast hash is
 * enough (no password stretching). */
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http.h"
#include "http/session.h"
#include "util/clock.h"

void http_token_hash(const char *token, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

void http_token_generate(char *out, size_t n)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, n, "ops_%s", b64);
    sodium_memzero(raw, sizeof raw);
}

/* Tokens found lately, for TOKEN_CACHE_MS: on PostgreSQL the lookup is a
 * round trip to the server on every request, half the cost of a queue read
 * (on SQLite a few microseconds). Only tokens found are kept, so one made
 * by `token create` works at once on every instance. A token revoked, or
 * its staff member deactivated, is dropped from this instance's cache by
 * the change (http_token_forget), so its next request here answers 401; on
 * other instances an entry lives at most TOKEN_CACHE_MS longer, and never
 * past the token's own expiry. Direct-mapped by the hash's first bytes,
 * each slot under a lock of its stripe. */
#define TOKEN_CACHE_MS 1000
#define TOKEN_CACHE_SLOTS 1024
#define TOKEN_CACHE_STRIPES 16
/* last_used_at / last_seen_at are written at most this often */
#define TOUCH_EVERY_MS 60000

static struct {
    unsigned char hash[32];
    struct token token;
    int64_t until_ms; /* monotonic; 0: empty */
} token_cache[TOKEN_CACHE_SLOTS];
static pthread_mutex_t token_locks[TOKEN_CACHE_STRIPES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

/* Bumped by every forget: a lookup that read the database before a forget
 * (it may have read the token as still live) must not keep its answer. */
static atomic_uint_fast64_t forgets;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned token_slot(const unsigned char hash[32])
{
    return ((unsigned)hash[0] | (unsigned)hash[1] << 8) % TOKEN_CACHE_SLOTS;
}

static bool token_cached(const unsigned char hash[32], int64_t now, struct token *out)
{
    unsigned i = token_slot(hash);
    pthread_mutex_t *m = &token_locks[i % TOKEN_CACHE_STRIPES];
    pthread_mutex_lock(m);
    bool hit = token_cache[i].until_ms > mono_ms() && sodium_memcmp(token_cache[i].hash, hash, 32) == 0 &&
               (token_cache[i].token.expires_at == 0 || token_cache[i].token.expires_at > now);
    if (hit) *out = token_cache[i].token;
    pthread_mutex_unlock(m);
    return hit;
}

static void token_keep(const unsigned char hash[32], const struct token *t, uint_fast64_t seen)
{
    unsigned i = token_slot(hash);
    pthread_mutex_t *m = &token_locks[i % TOKEN_CACHE_STRIPES];
    pthread_mutex_lock(m);
    if (atomic_load(&forgets) != seen) { /* a forget came meanwhile */
        pthread_mutex_unlock(m);
        return;
    }
    memcpy(token_cache[i].hash, hash, 32);
    token_cache[i].token = *t;
    token_cache[i].until_ms = mono_ms() + TOKEN_CACHE_MS;
    pthread_mutex_unlock(m);
}

void http_token_forget(const char *token_id, const char *staff_id)
{
    atomic_fetch_add(&forgets, 1);
    for (unsigned i = 0; i < TOKEN_CACHE_SLOTS; i++) {
        pthread_mutex_t *m = &token_locks[i % TOKEN_CACHE_STRIPES];
        pthread_mutex_lock(m);
        const struct token *t = &token_cache[i].token;
        if (token_cache[i].until_ms && ((token_id && strcmp(t->id, token_id) == 0) ||
                                        (staff_id && staff_id[0] && strcmp(t->staff_id, staff_id) == 0)))
            token_cache[i].until_ms = 0;
        pthread_mutex_unlock(m);
    }
}

/* ---- last use, written in the background -------------------------------------------- */

struct touch {
    struct store_job job;
    bool session; /* else a token */
    char id[TASK_ID_SIZE];
    int64_t now;
};

static enum err touch_run(struct store_conn *c, void *arg)
{
    struct touch *t = arg;
    return t->session ? store_session_touch(c, t->id, t->now) : store_token_touch(c, t->id, t->now);
}

static void touch_done(struct store_job *job) { free(job->arg); }

/* Queues the write of a token's last_used_at or a session's last_seen_at
 * when the one read is over a minute old. Nobody waits for it; when the
 * writer is stopping or busy it is skipped (the next request asks again).
 * A token's first use is the exception: it is written before the request
 * goes on, once in the token's life, so that "never used" is never shown
 * for a token that was. */
static void touch(struct request *r, bool session, const char *id, int64_t last, int64_t now)
{
    if (!id[0] || now - last < TOUCH_EVERY_MS) return;
    if (!session && last == 0) {
        struct touch first = {.session = false, .now = now};
        snprintf(first.id, sizeof first.id, "%s", id);
        (void)store_run(r->app->store, touch_run, &first);
        return;
    }
    struct touch *t = calloc(1, sizeof *t);
    if (!t) return;
    t->session = session;
    snprintf(t->id, sizeof t->id, "%s", id);
    t->now = now;
    t->job.run = touch_run;
    t->job.arg = t;
    t->job.done = touch_done;
    if (store_submit_bounded(r->app->store, &t->job) != 0) free(t);
}

/* ---- who is asking --------------------------------------------------------------------- */

void http_auth_identify(struct request *r)
{
    r->authed = true;
    if (r->token.staff_id[0])
        snprintf(r->actor, sizeof r->actor, "%s", r->token.staff_id);
    else
        snprintf(r->actor, sizeof r->actor, "token:%s", r->token.id);
    /* a token's keys and limits stay its own, also when tied to a person */
    snprintf(r->scope, sizeof r->scope, "%s", r->token.id[0] ? r->token.id : r->token.staff_id);
}

enum err http_authenticate(struct request *r, struct errinfo *e)
{
    const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    /* browser sessions: without a bearer token, the session cookie */
    char secret[SESSION_SECRET_SIZE];
    if (!h && http_session_secret(r, secret)) return http_session_authenticate(r, secret, e);
    if (!h) return err_set(e, ERR_UNAUTHORIZED, NULL, "Send Authorization: Bearer TOKEN");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return err_set(e, ERR_UNAUTHORIZED, NULL, "Only Bearer tokens are accepted");
    const char *tok = h + 7;
    while (*tok == ' ') tok++;
    size_t len = strlen(tok);
    if (len == 0 || len > 200) return err_set(e, ERR_UNAUTHORIZED, NULL, "The token is not valid");
    unsigned char hash[32];
    http_token_hash(tok, hash);
    int64_t now = clock_now_ms();
    if (!token_cached(hash, now, &r->token)) {
        uint_fast64_t seen = atomic_load(&forgets);
        struct store_conn *c = store_reader_acquire(r->app->store);
        if (!c) return err_set(e, ERR_INTERNAL, NULL, NULL);
        enum err rc = store_token_find(c, hash, now, &r->token);
        store_reader_release(c);
        if (rc == ERR_NOT_FOUND)
            return err_set(e, ERR_UNAUTHORIZED, NULL, "The token is not valid (unknown, revoked or expired)");
        if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
        token_keep(hash, &r->token, seen);
        touch(r, false, r->token.id, r->token.last_used_at, now);
    }
    http_auth_identify(r);
    return ERR_OK;
}

/* ---- session cookies ------------------------------------------------------------------ */

static bool is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

enum err http_session_authenticate(struct request *r, const char *secret, struct errinfo *e)
{
    unsigned char hash[32];
    http_session_hash(secret, hash);
    struct store_conn *c = store_reader_acquire(r->app->store);
    if (!c) return err_set(e, ERR_INTERNAL, NULL, NULL);
    int64_t now = clock_now_ms();
    enum err rc = store_session_find(c, hash, now, &r->token);
    store_reader_release(c);
    if (rc == ERR_NOT_FOUND)
        return err_set(e, ERR_UNAUTHORIZED, NULL, "The session has ended; sign in again at /login");
    if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
    if (!is_safe_method(r->method) && (rc = http_session_csrf_check(r, secret, e)) != ERR_OK) return rc;
    http_auth_identify(r);
    touch(r, true, r->token.session_id, r->token.session_last_seen_at, now);
    if (r->token.id[0]) touch(r, false, r->token.id, r->token.last_used_at, now); /* a token's session uses it */
    return ERR_OK;
}
