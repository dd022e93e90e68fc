/* rules.c (pg): workflow rules (with the round-robin turn) and events. The same contracts as the SQLite backend's
 * rules.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_rule_get(struct store_conn *c, const char *id, struct rule_row *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: rule_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rule_put(struct store_conn *c, const char *id, const char *event_type, bool enabled,          const char *definition, int64_t now, bool *created)
{
    (void)c;
    (void)id;
    (void)event_type;
    (void)enabled;
    (void)definition;
    (void)now;
    (void)created;
    log_error("pg: rule_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rule_delete(struct store_conn *c, const char *id)
{
    (void)c;
    (void)id;
    log_error("pg: rule_delete is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rule_list(struct store_conn *c, const char *event_type, const char *after_id, int limit,          struct rule_row **out, int *n)
{
    (void)c;
    (void)event_type;
    (void)after_id;
    (void)limit;
    (void)out;
    (void)n;
    log_error("pg: rule_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rules_for_type(struct store_conn *c, const char *event_type, int limit,          struct rule_row **out, int *n)
{
    (void)c;
    (void)event_type;
    (void)limit;
    (void)out;
    (void)n;
    log_error("pg: rules_for_type is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rule_count_type(struct store_conn *c, const char *event_type, const char *except_id,          int64_t *n)
{
    (void)c;
    (void)event_type;
    (void)except_id;
    (void)n;
    log_error("pg: rule_count_type is not written yet");
    return ERR_INTERNAL;
}

enum err pg_rule_rr_take(struct store_conn *c, const char *id, int n, const bool *active, int *pick)
{
    (void)c;
    (void)id;
    (void)n;
    (void)active;
    (void)pick;
    log_error("pg: rule_rr_take is not written yet");
    return ERR_INTERNAL;
}

enum err pg_staff_load(struct store_conn *c, const char *staff_id, int64_t *n)
{
    (void)c;
    (void)staff_id;
    (void)n;
    log_error("pg: staff_load is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_get(struct store_conn *c, const char *id, struct event_row *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: event_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_insert(struct store_conn *c, const struct event_row *ev)
{
    (void)c;
    (void)ev;
    log_error("pg: event_insert is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_claim(struct store_conn *c, const struct event_row *ev, struct event_row *old)
{
    (void)c;
    (void)ev;
    (void)old;
    log_error("pg: event_claim is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_set_outcome(struct store_conn *c, const char *id, const char *outcome)
{
    (void)c;
    (void)id;
    (void)outcome;
    log_error("pg: event_set_outcome is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_list(struct store_conn *c, const struct event_query *q, struct event_row **out,          int *n)
{
    (void)c;
    (void)q;
    (void)out;
    (void)n;
    log_error("pg: event_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_event_purge(struct store_conn *c, int64_t older_than_ms, int limit, int64_t *purged)
{
    (void)c;
    (void)older_than_ms;
    (void)limit;
    (void)purged;
    log_error("pg: event_purge is not written yet");
    return ERR_INTERNAL;
}
