/* queue.c (pg): the queue's queries over many tasks: the list with its filters and cursors, the stats, the overdue scans and metrics. The same contracts as the SQLite backend's
 * queue.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_task_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    (void)c;
    (void)q;
    (void)out;
    log_error("pg: task_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_stats(struct store_conn *c, const struct task_filter *f, const char *today,          int64_t now_ms, struct task_stats *out)
{
    (void)c;
    (void)f;
    (void)today;
    (void)now_ms;
    (void)out;
    log_error("pg: task_stats is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_overdue_unrecorded(struct store_conn *c, const char *today, int limit, char ***ids,          int *n)
{
    (void)c;
    (void)today;
    (void)limit;
    (void)ids;
    (void)n;
    log_error("pg: task_overdue_unrecorded is not written yet");
    return ERR_INTERNAL;
}

enum err pg_overdue_scan(struct store_conn *c, const char *today,          void (*by_assignee)(void *arg, const char *assignee, const char *due, int64_t n),          void (*by_priority)(void *arg, enum task_priority p, const char *due, int64_t n), void *arg)
{
    (void)c;
    (void)today;
    (void)by_assignee;
    (void)by_priority;
    (void)arg;
    log_error("pg: overdue_scan is not written yet");
    return ERR_INTERNAL;
}

enum err pg_metrics_read(struct store_conn *c, const char *today, int64_t now_ms,          struct store_metrics *out)
{
    (void)c;
    (void)today;
    (void)now_ms;
    (void)out;
    log_error("pg: metrics_read is not written yet");
    return ERR_INTERNAL;
}
