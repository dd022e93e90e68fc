/* ratelimit.h: a volume budget per key (a token bucket), in memory. Each key
 * may spend `capacity` units at once and earns them back at capacity per
 * window_ms; POST /ops/events spends body bytes per token id with it. The map
 * is bounded (RATELIMIT_SLOTS keys) and guarded by one mutex. */
#ifndef OPSTASKS_RATELIMIT_H
#define OPSTASKS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 4096
#define RATELIMIT_KEY_MAX 48 /* longer keys are cut (token ids are ~30 bytes) */

struct ratelimit;

/* A limiter of `capacity` units per window_ms (both > 0); NULL when out of memory. */
struct ratelimit *ratelimit_new(int64_t capacity, int64_t window_ms);
void ratelimit_free(struct ratelimit *l);

/* Spends `amount` of key's budget at now_ms (any monotonic millisecond
 * clock) and returns true; or, when the budget holds less than amount,
 * spends nothing, sets *retry_ms to the milliseconds until it will hold
 * enough, and returns false. An amount over the capacity is spent as the
 * capacity (it could never fit otherwise). When every slot is taken, the key
 * with the most budget left is forgotten first (it is the nearest to a new
 * key's full budget, so forgetting it gives away the least). */
bool ratelimit_take(struct ratelimit *l, const char *key, int64_t amount, int64_t now_ms, int64_t *retry_ms);

#endif
