/* rule_cache.h (service): parsed rules kept between events, so the engine
 * (rule_engine.c) parses a stored definition once rather than per event. An
 * entry serves only a row with the same id and definition text, so an edited
 * or deleted rule needs no invalidation. Safe from any thread. */
#ifndef OPSTASKS_SERVICE_RULE_CACHE_H
#define OPSTASKS_SERVICE_RULE_CACHE_H

#include "domain/rule.h"
#include "store/store.h"

/* The parsed rule of row, taken out of the cache (or parsed now): the caller
 * owns it until it gives it back with rule_cache_put. NULL with *rc
 * ERR_VALIDATION_FAILED when the stored definition does not parse (e says
 * why), or with *rc ERR_INTERNAL when out of memory. */
struct rule *rule_cache_take(const struct rule_row *row, enum err *rc, struct errinfo *e);

/* Gives r (from rule_cache_take for the same row) back to the cache, which
 * owns it from then on (it frees it when out of memory). */
void rule_cache_put(const struct rule_row *row, struct rule *r);

/* Frees every cached rule (at shutdown, after the writer stopped). */
void rule_cache_clear(void);

#endif
