/* tasks.c (pg): one task's row and its history: read, insert, the versioned
 * update that decides If-Match, the overdue mark. The same contracts as the
 * SQLite backend's tasks.c (store/ops.h says each op's); the queue's queries
 * over many tasks are in queue.c. */
#include <stdlib.h>
#include <string.h>

#include "domain/sla.h"
#include "store/pg/internal.h"
#include "util/log.h"

void pg_read_task(const PGresult *res, int r, struct task *t)
{
    memset(t, 0, sizeof *t);
    pg_col_copy(res, r, 0, t->id, sizeof t->id);
    t->title = pg_col_dup(res, r, 1);
    t->description = pg_col_dup(res, r, 2);
    t->priority = (enum task_priority)(PRIORITY_URGENT - (int)pg_col_int64(res, r, 3));
    if (task_status_parse(PQgetvalue(res, r, 4), &t->status) != 0) t->status = TASK_OPEN;
    t->overdue_recorded = pg_col_int64(res, r, 5) != 0;
    pg_col_copy(res, r, 6, t->due_date, sizeof t->due_date);
    t->has_sla = !pg_col_null(res, r, 7);
    t->sla_hours = t->has_sla ? pg_col_double(res, r, 7) : 0;
    pg_col_copy(res, r, 8, t->assignee_id, sizeof t->assignee_id);
    pg_col_copy(res, r, 9, t->user_id, sizeof t->user_id);
    if (task_source_parse(PQgetvalue(res, r, 10), &t->source) != 0) t->source = SOURCE_MANUAL;
    t->created_at = pg_col_int64(res, r, 11);
    t->updated_at = pg_col_int64(res, r, 12);
    t->started_at = pg_col_int64(res, r, 13);
    t->completed_at = pg_col_int64(res, r, 14);
    t->cancelled_at = pg_col_int64(res, r, 15);
    t->version = pg_col_int64(res, r, 16);
    pg_col_copy(res, r, 17, t->renewal_id, sizeof t->renewal_id);
    pg_col_copy(res, r, 18, t->rule_id, sizeof t->rule_id);
    pg_col_copy(res, r, 19, t->event_id, sizeof t->event_id);
    t->rule_depth = (int)pg_col_int64(res, r, 20);
    if (PQnfields(res) > 22) {
        t->sla_due_ms = t->has_sla ? pg_col_int64(res, r, 21) : 0;
        t->sla_risk_ms = t->has_sla ? pg_col_int64(res, r, 22) : 0;
    }
    if (PQnfields(res) > 23) t->comment_count = pg_col_int64(res, r, 23);
    if (PQnfields(res) > 27) { /* SLA clocks */
        t->sla_started_at = pg_col_int64(res, r, 24);
        t->sla_paused_at = pg_col_null(res, r, 25) ? 0 : pg_col_int64(res, r, 25);
        t->sla_paused_ms = pg_col_int64(res, r, 26);
        t->sla_by_policy = pg_col_int64(res, r, 27) != 0;
    }
}

enum err pg_task_get(struct store_conn *c, const char *id, struct task *out)
{
    struct pg_params p = {0};
    pg_p_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " PG_TASK_READ_COLS " FROM tasks WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    pg_read_task(res, 0, out);
    PQclear(res);
    if (out->title) return ERR_OK;
    task_clear(out);
    return ERR_INTERNAL;
}

/* The columns of PG_TASK_COLS as $1-$21 (renewal_id $18; rule_id, event_id
 * and rule_depth $19-$21, only when with_rules: an update leaves them, set
 * at insert and never changed), then sla_due_at and sla_risk_at. */
static void task_params(struct pg_params *p, const struct task *t, bool with_rules)
{
    pg_p_opt_text(p, t->id);
    pg_p_opt_text(p, t->title);
    pg_p_opt_text(p, t->description);
    pg_p_int(p, task_priority_rank(t->priority));
    pg_p_opt_text(p, task_status_name(t->status));
    pg_p_int(p, t->overdue_recorded);
    pg_p_opt_text(p, t->due_date);
    if (t->has_sla)
        pg_p_double(p, t->sla_hours);
    else
        pg_p_null(p);
    pg_p_text(p, t->assignee_id);
    pg_p_text(p, t->user_id);
    pg_p_opt_text(p, task_source_name(t->source));
    pg_p_int(p, t->created_at);
    pg_p_int(p, t->updated_at);
    pg_p_ts(p, t->started_at);
    pg_p_ts(p, t->completed_at);
    pg_p_ts(p, t->cancelled_at);
    pg_p_int(p, t->version);
    pg_p_text(p, t->renewal_id);
    if (with_rules) {
        pg_p_text(p, t->rule_id);
        pg_p_text(p, t->event_id);
        pg_p_int(p, t->rule_depth);
    }
    if (t->has_sla) {
        pg_p_int(p, sla_due_at(t));
        pg_p_int(p, sla_risk_at(t));
    } else {
        pg_p_null(p);
        pg_p_null(p);
    }
    /* SLA clocks: $24-$27 of an insert, $21-$24 of an update */
    pg_p_int(p, t->sla_started_at ? t->sla_started_at : t->created_at);
    pg_p_ts(p, t->sla_paused_at);
    pg_p_int(p, t->sla_paused_ms);
    pg_p_int(p, t->sla_by_policy);
}

enum err pg_task_insert(struct store_conn *c, const struct task *t)
{
    struct pg_params p = {0};
    task_params(&p, t, true);
    return pg_cmd(c, "INSERT INTO tasks (" PG_TASK_COLS ", sla_due_at, sla_risk_at, sla_started_at, sla_paused_at, "
                     "sla_paused_ms, sla_by_policy) VALUES ($1, $2, $3, $4, $5, "
                     "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, "
                     "$26, $27)",
                  &p, NULL);
}

enum err pg_task_update(struct store_conn *c, const struct task *t)
{
    struct pg_params p = {0};
    task_params(&p, t, false);
    int64_t changed = 0;
    enum err rc = pg_cmd(c, "UPDATE tasks SET title = $2, description = $3, prio = $4, status = $5, "
                            "overdue_recorded = $6, due_date = $7, sla_hours = $8, assignee_id = $9, user_id = $10, "
                            "source = $11, created_at = $12, updated_at = $13, started_at = $14, completed_at = $15, "
                            "cancelled_at = $16, version = $17, renewal_id = $18, sla_due_at = $19, "
                            "sla_risk_at = $20, sla_started_at = $21, sla_paused_at = $22, sla_paused_ms = $23, "
                            "sla_by_policy = $24 WHERE id = $1 AND version = $17::bigint - 1",
                         &p, &changed);
    if (rc != ERR_OK) return rc;
    if (changed == 1) return ERR_OK;
    /* no row at the version read: another writer moved it on, or none */
    struct pg_params q = {0};
    pg_p_text(&q, t->id);
    PGresult *res;
    rc = pg_row(c, "SELECT 1 FROM tasks WHERE id = $1", &q, &res);
    if (rc == ERR_OK) {
        PQclear(res);
        return ERR_VERSION_CONFLICT;
    }
    return rc;
}

enum err pg_task_overdue_mark(struct store_conn *c, const char *id, int64_t version)
{
    struct pg_params p = {0};
    pg_p_text(&p, id);
    pg_p_int(&p, version);
    int64_t changed = 0;
    enum err rc = pg_cmd(c, "UPDATE tasks SET overdue_recorded = 1 WHERE id = $1 AND version = $2 AND "
                            "overdue_recorded = 0", &p, &changed);
    if (rc != ERR_OK) return rc;
    return changed == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- history ----------------------------------------------------------- */

enum err pg_history_add(struct store_conn *c, const char *task_id, const struct history_entry *h)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, task_id);
    pg_p_int(&p, h->at);
    pg_p_opt_text(&p, h->actor);
    pg_p_opt_text(&p, h->type);
    pg_p_text(&p, h->field);
    pg_p_opt_text(&p, h->from_json);
    pg_p_opt_text(&p, h->to_json);
    return pg_cmd(c, "INSERT INTO task_history (task_id, at, actor, type, field, from_json, to_json) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7)", &p, NULL);
}

enum err pg_history_list(struct store_conn *c, const char *task_id, struct history_entry **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_text(&p, task_id);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT at, actor, type, field, from_json, to_json FROM task_history "
                              "WHERE task_id = $1 ORDER BY seq", &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return ERR_OK;
    }
    struct history_entry *h = calloc((size_t)rows, sizeof *h);
    if (!h) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) {
        struct history_entry *e = &h[r];
        e->at = pg_col_int64(res, r, 0);
        pg_col_copy(res, r, 1, e->actor, sizeof e->actor);
        pg_col_copy(res, r, 2, e->type, sizeof e->type);
        pg_col_copy(res, r, 3, e->field, sizeof e->field);
        e->from_json = pg_col_dup(res, r, 4);
        e->to_json = pg_col_dup(res, r, 5);
    }
    PQclear(res);
    *out = h;
    *n = rows;
    return ERR_OK;
}
