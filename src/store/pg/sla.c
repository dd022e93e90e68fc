/* sla.c (pg): SLA tracking: breaches, deadline stamps, the business-hours calendar and its recompute, the SLA report. The same contracts as the SQLite backend's
 * sla.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_task_sla_breach_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids,          int *n)
{
    (void)c;
    (void)now_ms;
    (void)limit;
    (void)ids;
    (void)n;
    log_error("pg: task_sla_breach_unrecorded is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_sla_breach_mark(struct store_conn *c, const char *id)
{
    (void)c;
    (void)id;
    log_error("pg: task_sla_breach_mark is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_sla_active_batch(struct store_conn *c, const char *after_id, int limit,          struct sla_stamp_row **rows, int *n)
{
    (void)c;
    (void)after_id;
    (void)limit;
    (void)rows;
    (void)n;
    log_error("pg: task_sla_active_batch is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_sla_set(struct store_conn *c, const char *id, int64_t due_ms, int64_t risk_ms)
{
    (void)c;
    (void)id;
    (void)due_ms;
    (void)risk_ms;
    log_error("pg: task_sla_set is not written yet");
    return ERR_INTERNAL;
}

enum err pg_sla_calendar_get(struct store_conn *c, char **body)
{
    (void)c;
    (void)body;
    log_error("pg: sla_calendar_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_sla_calendar_put(struct store_conn *c, const char *body, int64_t now_ms)
{
    (void)c;
    (void)body;
    (void)now_ms;
    log_error("pg: sla_calendar_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_sla_recompute_get(struct store_conn *c, char after[TASK_ID_SIZE], bool *pending)
{
    (void)c;
    (void)after;
    (void)pending;
    log_error("pg: sla_recompute_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_sla_recompute_set(struct store_conn *c, const char *after)
{
    (void)c;
    (void)after;
    log_error("pg: sla_recompute_set is not written yet");
    return ERR_INTERNAL;
}

enum err pg_sla_report_scan(struct store_conn *c, int64_t start_ms, int64_t end_ms, enum sla_group g,          void (*row)(void *arg, const struct sla_row *r), void *arg)
{
    (void)c;
    (void)start_ms;
    (void)end_ms;
    (void)g;
    (void)row;
    (void)arg;
    log_error("pg: sla_report_scan is not written yet");
    return ERR_INTERNAL;
}
