/* ratelimit.c: the token buckets of ratelimit.h in an open-addressed table.
 * Budgets are kept in units x window_ms, so refilling is integer arithmetic:
 * each elapsed millisecond adds `capacity`, and a full bucket holds
 * capacity x window_ms. */
#include "util/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 32 /* slots looked at per key: bounded work per request */

struct slot {
    bool used;
    char key[RATELIMIT_KEY_MAX];
    int64_t level; /* budget x window_ms */
    int64_t at_ms; /* when level was last brought up to date */
};

struct ratelimit {
    pthread_mutex_t lock;
    int64_t capacity, window_ms;
    struct slot slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(int64_t capacity, int64_t window_ms)
{
    if (capacity <= 0 || window_ms <= 0 || capacity > INT64_MAX / window_ms) return NULL;
    struct ratelimit *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->capacity = capacity;
    l->window_ms = window_ms;
    return l;
}

void ratelimit_free(struct ratelimit *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot's budget at now_ms (not stored). */
static int64_t level_at(const struct ratelimit *l, const struct slot *s, int64_t now_ms)
{
    int64_t full = l->capacity * l->window_ms, dt = now_ms - s->at_ms;
    if (dt <= 0) return s->level;
    if (dt >= l->window_ms) return full; /* also keeps dt * capacity from overflowing */
    int64_t v = s->level + dt * l->capacity;
    return v > full ? full : v;
}

bool ratelimit_take(struct ratelimit *l, const char *key, int64_t amount, int64_t now_ms, int64_t *retry_ms)
{
    char k[RATELIMIT_KEY_MAX];
    size_t len = strlen(key);
    if (len >= sizeof k) len = sizeof k - 1;
    memcpy(k, key, len);
    k[len] = 0;
    if (amount < 0) amount = 0;
    if (amount > l->capacity) amount = l->capacity;
    int64_t need = amount * l->window_ms;

    pthread_mutex_lock(&l->lock);
    size_t start = (size_t)(hash(k) % RATELIMIT_SLOTS);
    struct slot *s = NULL, *victim = NULL;
    int64_t victim_level = -1;
    for (int p = 0; p < PROBES && !s; p++) {
        struct slot *c = &l->slots[(start + (size_t)p) % RATELIMIT_SLOTS];
        if (!c->used) {
            /* slots are never emptied again, so the key is not further on */
            victim = c;
            break;
        }
        if (strcmp(c->key, k) == 0) {
            s = c;
            break;
        }
        int64_t lv = level_at(l, c, now_ms);
        if (lv > victim_level) {
            victim = c;
            victim_level = lv;
        }
    }
    if (!s) {
        s = victim;
        s->used = true;
        memcpy(s->key, k, len + 1);
        s->level = l->capacity * l->window_ms;
        s->at_ms = now_ms;
    }
    s->level = level_at(l, s, now_ms);
    if (now_ms > s->at_ms) s->at_ms = now_ms;
    bool ok = s->level >= need;
    if (ok)
        s->level -= need;
    else
        *retry_ms = (need - s->level + l->capacity - 1) / l->capacity;
    pthread_mutex_unlock(&l->lock);
    return ok;
}
