/* cache.c (api): the rendered answers of the queue's reads (GET /ops/tasks,
 * GET /ops/tasks/stats), kept because a team's pages poll the same few views
 * all day while the data changes far less often. An answer is kept with
 * what it was made from: the canonical query (and who "me" is), the data
 * version read before the data (a counter that every change to the tasks
 * the read could show, or to a customer's name, moves: ops.h
 * data_version), and the instant it stops being right by
 * time alone (the next midnight, or an SLA instant: derived fields change
 * then without a write). A read after any acknowledged write, on any
 * instance, sees a new version and so a fresh answer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "store/store.h"

#define SLOTS 512
#define ENTRY_MAX (1024 * 1024)

struct answer {
    _Atomic int refs;
    size_t len;
    char etag[64];
    char body[];
};

struct slot {
    uint64_t hash;
    char *key;
    struct api_version v;
    int64_t made_ms, expires_ms;
    struct answer *a;
    uint64_t used; /* the tick of its last hit, for eviction */
};

struct answer_cache {
    pthread_mutex_t lock;
    size_t bytes, max_bytes;
    uint64_t tick;
    uint64_t hits, misses;
    struct slot slots[SLOTS];
};

static void answer_drop(struct answer *a)
{
    if (a && atomic_fetch_sub(&a->refs, 1) == 1) free(a);
}

struct answer_cache *api_cache_new(size_t max_bytes)
{
    if (!max_bytes) return NULL;
    struct answer_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void api_cache_free(struct answer_cache *c)
{
    if (!c) return;
    for (int i = 0; i < SLOTS; i++) {
        free(c->slots[i].key);
        answer_drop(c->slots[i].a);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void clear_slot(struct answer_cache *c, struct slot *s)
{
    if (s->a) c->bytes -= s->a->len + strlen(s->key);
    free(s->key);
    answer_drop(s->a);
    memset(s, 0, sizeof *s);
}

/* The entity tag of an answer: its key, the data version (with its parts:
 * the key decides them, but an instance from before the parts tagged the
 * same key with the one counter's number, which a sum may equal during a
 * rolling upgrade) and the end of its window, not a hash of the body
 * (hashing 30 KB would cost a fifth of making it). Within a window, one key at one version is one body, so the
 * tag changes whenever the body may have: a poller whose view nothing
 * changed gets 304 until the next write anywhere or the window's end. */
static void make_etag(uint64_t key_hash, const struct api_version *v, int64_t expires_ms, char out[64])
{
    snprintf(out, 64, "\"%016llx-%llx-%llx-%llx\"", (unsigned long long)key_hash, (unsigned long long)v->parts,
             (unsigned long long)v->data, (unsigned long long)expires_ms);
}

bool api_cache_reply(struct request *r, const char *key, const struct api_version *v, int64_t now_ms)
{
    struct answer_cache *c = r->app->answers;
    if (!c) return false;
    size_t kn = strlen(key);
    uint64_t h = fnv1a(key, kn);
    struct answer *a = NULL;
    pthread_mutex_lock(&c->lock);
    for (int i = (int)(h % SLOTS), n = 0; n < 8; n++, i = (i + 1) % SLOTS) {
        struct slot *s = &c->slots[i];
        if (!s->a || s->hash != h || strcmp(s->key, key) != 0) continue;
        /* kept for this version, and still right at this instant (a wall
         * clock stepped back before it was made: made again) */
        if (s->v.data == v->data && now_ms >= s->made_ms &&
            now_ms < s->expires_ms) {
            a = s->a;
            atomic_fetch_add(&a->refs, 1);
            s->used = ++c->tick;
        } else {
            clear_slot(c, s);
        }
        break;
    }
    if (a) c->hits++;
    else c->misses++;
    pthread_mutex_unlock(&c->lock);
    if (!a) return false;
    char *body = malloc(a->len + 1);
    if (body) memcpy(body, a->body, a->len + 1);
    http_reply_tagged(r, body, a->etag);
    answer_drop(a);
    return true;
}

void api_cache_put_reply(struct request *r, const char *key, const struct api_version *v, int64_t now_ms,
                         int64_t expires_ms, char *body)
{
    if (!body) {
        http_reply_text(r, 200, NULL);
        return;
    }
    size_t len = strlen(body);
    struct answer_cache *c = r->app->answers;
    struct answer *a = malloc(sizeof *a + len + 1);
    if (!a) {
        http_reply_text(r, 200, body);
        return;
    }
    size_t kn = strlen(key);
    uint64_t h = fnv1a(key, kn);
    atomic_init(&a->refs, 1);
    a->len = len;
    memcpy(a->body, body, len + 1);
    make_etag(h, v, expires_ms, a->etag);
    http_reply_tagged(r, body, a->etag);
    char *k = c && len <= ENTRY_MAX && expires_ms > now_ms ? strdup(key) : NULL;
    if (!k) {
        answer_drop(a);
        return;
    }
    pthread_mutex_lock(&c->lock);
    /* the key's own slot, else a free one, else the least used of its 8 */
    struct slot *dst = NULL, *lru = NULL;
    for (int i = (int)(h % SLOTS), n = 0; n < 8; n++, i = (i + 1) % SLOTS) {
        struct slot *s = &c->slots[i];
        if (s->a && s->hash == h && strcmp(s->key, key) == 0) {
            dst = s;
            break;
        }
        if (!s->a && !dst) dst = s;
        if (s->a && (!lru || s->used < lru->used)) lru = s;
    }
    if (!dst) dst = lru;
    clear_slot(c, dst);
    /* over the byte budget: the least used entries go */
    while (c->bytes + len + kn > c->max_bytes) {
        struct slot *victim = NULL;
        for (int i = 0; i < SLOTS; i++)
            if (c->slots[i].a && (!victim || c->slots[i].used < victim->used)) victim = &c->slots[i];
        if (!victim) break;
        clear_slot(c, victim);
    }
    if (c->bytes + len + kn <= c->max_bytes) {
        *dst = (struct slot){.hash = h, .key = k, .v = *v, .made_ms = now_ms, .expires_ms = expires_ms, .a = a,
                             .used = ++c->tick};
        c->bytes += len + kn;
        k = NULL;
        a = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    free(k);
    answer_drop(a);
}

void api_cache_counts(struct answer_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = *misses = 0;
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}

enum err api_data_version(struct store_conn *c, const struct task_filter *f, struct api_version *v)
{
    v->parts = f ? store_version_parts(f) : 0;
    return store_data_version(c, v->parts, &v->data);
}
