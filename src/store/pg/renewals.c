/* renewals.c (pg): renewable items, the renewals policy and the engine's actions. The same contracts as the SQLite backend's
 * renewals.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_renewal_get(struct store_conn *c, const char *id, struct renewal_item *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: renewal_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_put(struct store_conn *c, const struct renewal_item *it, bool *created)
{
    (void)c;
    (void)it;
    (void)created;
    log_error("pg: renewal_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_delete(struct store_conn *c, const char *id)
{
    (void)c;
    (void)id;
    log_error("pg: renewal_delete is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_list(struct store_conn *c, const char *customer_id, const char *after_id, int limit,          struct renewal_item **out, int *n)
{
    (void)c;
    (void)customer_id;
    (void)after_id;
    (void)limit;
    (void)out;
    (void)n;
    log_error("pg: renewal_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_due(struct store_conn *c, const char *today, const char *after_due,          const char *after_id, int limit, char ***ids, char ***dues, int *n)
{
    (void)c;
    (void)today;
    (void)after_due;
    (void)after_id;
    (void)limit;
    (void)ids;
    (void)dues;
    (void)n;
    log_error("pg: renewal_due is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_set_next_due(struct store_conn *c, const char *id, const char *next_due)
{
    (void)c;
    (void)id;
    (void)next_due;
    log_error("pg: renewal_set_next_due is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_reset_next_due(struct store_conn *c, int max_days_before)
{
    (void)c;
    (void)max_days_before;
    log_error("pg: renewal_reset_next_due is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_acted_min(struct store_conn *c, const char *id, const char *expires_on,          int *acted_min)
{
    (void)c;
    (void)id;
    (void)expires_on;
    (void)acted_min;
    log_error("pg: renewal_acted_min is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_action_insert(struct store_conn *c, const char *id, const char *expires_on,          int days_before, const char *action, const char *task_id, int64_t at)
{
    (void)c;
    (void)id;
    (void)expires_on;
    (void)days_before;
    (void)action;
    (void)task_id;
    (void)at;
    log_error("pg: renewal_action_insert is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_latest_task(struct store_conn *c, const char *renewal_id,          char task_id[TASK_ID_SIZE])
{
    (void)c;
    (void)renewal_id;
    (void)task_id;
    log_error("pg: renewal_latest_task is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_policy_get(struct store_conn *c, struct renewal_policy *out)
{
    (void)c;
    (void)out;
    log_error("pg: renewal_policy_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_renewal_policy_put(struct store_conn *c, const struct renewal_policy *p, int64_t now)
{
    (void)c;
    (void)p;
    (void)now;
    log_error("pg: renewal_policy_put is not written yet");
    return ERR_INTERNAL;
}
