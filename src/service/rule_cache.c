/* rule_cache.c (service): parsed rules kept between events (see
 * rule_cache.h), so the engine parses a stored definition once, not once per
 * event. Keyed by rule id and the exact definition text. */
#include "service/rule_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/rule_json.h"

/* Parsing a stored definition (JSON, then validation) was about 30% of an
 * event's time with 20 rules of its type (perf over bench/rules.sql), so
 * parsed rules are kept in a table of RULE_CACHE_SLOTS, a rule in one of the
 * RULE_CACHE_WAYS slots after its id's hash (so 1,000 rules stay in it). An entry serves
 * only a row whose definition text is the same, so a PUT or DELETE needs no
 * invalidation. A rule is taken out while in use and put back after, which
 * keeps the lock short and makes nested use (a rule's task firing another
 * event) safe. At most RULE_CACHE_SLOTS rules, ~9 KiB each. */
#define RULE_CACHE_SLOTS 2048
#define RULE_CACHE_WAYS 4

static struct {
    char *definition;
    struct rule *rule;
} rule_cache[RULE_CACHE_SLOTS];
static pthread_mutex_t rule_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void free_rule(struct rule *r)
{
    if (!r) return;
    rule_clear(r);
    free(r);
}

static unsigned cache_slot(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 16777619u;
    return h % RULE_CACHE_SLOTS;
}

/* The parsed rule of row (caller owns it: give it back with rule_cache_put), or
 * NULL when the definition does not parse (e filled) or out of memory. */
struct rule *rule_cache_take(const struct rule_row *row, enum err *rc, struct errinfo *e)
{
    unsigned first = cache_slot(row->id);
    struct rule *r = NULL;
    char *stale = NULL;
    pthread_mutex_lock(&rule_cache_lock);
    for (unsigned k = 0; k < RULE_CACHE_WAYS && !r; k++) {
        unsigned slot = (first + k) % RULE_CACHE_SLOTS;
        if (rule_cache[slot].rule && strcmp(rule_cache[slot].rule->id, row->id) == 0 &&
            strcmp(rule_cache[slot].definition, row->definition) == 0) {
            r = rule_cache[slot].rule;
            stale = rule_cache[slot].definition;
            rule_cache[slot].rule = NULL;
            rule_cache[slot].definition = NULL;
        }
    }
    pthread_mutex_unlock(&rule_cache_lock);
    free(stale);
    *rc = ERR_OK;
    if (r) return r;
    if (!(r = calloc(1, sizeof *r))) {
        *rc = ERR_INTERNAL;
        return NULL;
    }
    json_t *def = json_loads(row->definition, 0, NULL);
    *rc = def ? rule_json_parse(def, r, NULL, e) : ERR_VALIDATION_FAILED;
    json_decref(def);
    if (*rc != ERR_OK) {
        free_rule(r);
        return NULL;
    }
    snprintf(r->id, sizeof r->id, "%s", row->id);
    return r;
}

/* Gives r back to the cache (or frees it when out of memory). */
void rule_cache_put(const struct rule_row *row, struct rule *r)
{
    unsigned first = cache_slot(row->id), slot = first;
    char *def = strdup(row->definition);
    if (!def) {
        free_rule(r);
        return;
    }
    pthread_mutex_lock(&rule_cache_lock);
    /* an empty slot, or one holding an older version of this rule; else the first */
    for (unsigned k = 0; k < RULE_CACHE_WAYS; k++) {
        unsigned s = (first + k) % RULE_CACHE_SLOTS;
        if (!rule_cache[s].rule || strcmp(rule_cache[s].rule->id, row->id) == 0) {
            slot = s;
            break;
        }
    }
    struct rule *old_rule = rule_cache[slot].rule;
    char *old_def = rule_cache[slot].definition;
    rule_cache[slot].rule = r;
    rule_cache[slot].definition = def;
    pthread_mutex_unlock(&rule_cache_lock);
    free_rule(old_rule);
    free(old_def);
}

void rule_cache_clear(void)
{
    pthread_mutex_lock(&rule_cache_lock);
    for (int i = 0; i < RULE_CACHE_SLOTS; i++) {
        free_rule(rule_cache[i].rule);
        free(rule_cache[i].definition);
        rule_cache[i].rule = NULL;
        rule_cache[i].definition = NULL;
    }
    pthread_mutex_unlock(&rule_cache_lock);
}
