/* tasks.c (pg): one task's row and its history: read, insert, the versioned update that decides If-Match, the overdue mark. The same contracts as the SQLite backend's
 * tasks.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_task_get(struct store_conn *c, const char *id, struct task *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: task_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_insert(struct store_conn *c, const struct task *t)
{
    (void)c;
    (void)t;
    log_error("pg: task_insert is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_update(struct store_conn *c, const struct task *t)
{
    (void)c;
    (void)t;
    log_error("pg: task_update is not written yet");
    return ERR_INTERNAL;
}

enum err pg_task_overdue_mark(struct store_conn *c, const char *id, int64_t version)
{
    (void)c;
    (void)id;
    (void)version;
    log_error("pg: task_overdue_mark is not written yet");
    return ERR_INTERNAL;
}

enum err pg_history_add(struct store_conn *c, const char *task_id, const struct history_entry *h)
{
    (void)c;
    (void)task_id;
    (void)h;
    log_error("pg: history_add is not written yet");
    return ERR_INTERNAL;
}

enum err pg_history_list(struct store_conn *c, const char *task_id, struct history_entry **out, int *n)
{
    (void)c;
    (void)task_id;
    (void)out;
    (void)n;
    log_error("pg: history_list is not written yet");
    return ERR_INTERNAL;
}
