/* tasks.c (sqlite): one task's row and its history: read, insert, the
 * versioned update that decides If-Match, the overdue mark. The queue's
 * queries over many tasks are in queue.c. */
#include <stdlib.h>
#include <string.h>

#include "domain/sla.h"
#include "store/sqlite/internal.h"

static enum err exists(struct store_conn *c, const char *sql, const char *id, bool *found)
{
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_fail(c, st, "exists");
    *found = rc == SQLITE_ROW;
    sqlite_done(st);
    return ERR_OK;
}

void sqlite_read_task(sqlite3_stmt *st, struct task *t)
{
    memset(t, 0, sizeof *t);
    sqlite_col_copy(st, 0, t->id, sizeof t->id);
    t->title = sqlite_col_dup(st, 1);
    t->description = sqlite_col_dup(st, 2);
    t->priority = (enum task_priority)(PRIORITY_URGENT - sqlite3_column_int(st, 3));
    if (task_status_parse((const char *)sqlite3_column_text(st, 4), &t->status) != 0) t->status = TASK_OPEN;
    t->overdue_recorded = sqlite3_column_int(st, 5) != 0;
    sqlite_col_copy(st, 6, t->due_date, sizeof t->due_date);
    t->has_sla = sqlite3_column_type(st, 7) != SQLITE_NULL;
    t->sla_hours = t->has_sla ? sqlite3_column_double(st, 7) : 0;
    sqlite_col_copy(st, 8, t->assignee_id, sizeof t->assignee_id);
    sqlite_col_copy(st, 9, t->user_id, sizeof t->user_id);
    if (task_source_parse((const char *)sqlite3_column_text(st, 10), &t->source) != 0) t->source = SOURCE_MANUAL;
    t->created_at = sqlite3_column_int64(st, 11);
    t->updated_at = sqlite3_column_int64(st, 12);
    t->started_at = sqlite3_column_int64(st, 13);
    t->completed_at = sqlite3_column_int64(st, 14);
    t->cancelled_at = sqlite3_column_int64(st, 15);
    t->version = sqlite3_column_int64(st, 16);
    sqlite_col_copy(st, 17, t->renewal_id, sizeof t->renewal_id); /* renewals */
    /* workflow rules */
    sqlite_col_copy(st, 18, t->rule_id, sizeof t->rule_id);
    sqlite_col_copy(st, 19, t->event_id, sizeof t->event_id);
    t->rule_depth = sqlite3_column_int(st, 20);
    if (sqlite3_column_count(st) > 22) {
        t->sla_due_ms = t->has_sla ? sqlite3_column_int64(st, 21) : 0;
        t->sla_risk_ms = t->has_sla ? sqlite3_column_int64(st, 22) : 0;
    }
    if (sqlite3_column_count(st) > 23) t->comment_count = sqlite3_column_int64(st, 23);
    if (sqlite3_column_count(st) > 27) { /* SLA clocks */
        t->sla_started_at = sqlite3_column_int64(st, 24);
        t->sla_paused_at = sqlite3_column_int64(st, 25);
        t->sla_paused_ms = sqlite3_column_int64(st, 26);
        t->sla_by_policy = sqlite3_column_int(st, 27) != 0;
    }
}

enum err sqlite_task_get(struct store_conn *c, const char *id, struct task *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " TASK_READ_COLS " FROM tasks WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlite_read_task(st, out);
        sqlite_done(st);
        return out->title ? ERR_OK : ERR_INTERNAL;
    }
    if (rc == SQLITE_DONE) {
        sqlite_done(st);
        return ERR_NOT_FOUND;
    }
    return sqlite_fail(c, st, "task_get");
}

/* Binds every column of TASK_COLS in order, plus sla_due_at as parameter 18. */
static void bind_task(sqlite3_stmt *st, const struct task *t)
{
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t->title, -1, SQLITE_TRANSIENT);
    sqlite_bind_opt_text(st, 3, t->description);
    sqlite3_bind_int(st, 4, task_priority_rank(t->priority));
    sqlite3_bind_text(st, 5, task_status_name(t->status), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, t->overdue_recorded);
    sqlite3_bind_text(st, 7, t->due_date, -1, SQLITE_TRANSIENT);
    if (t->has_sla)
        sqlite3_bind_double(st, 8, t->sla_hours);
    else
        sqlite3_bind_null(st, 8);
    sqlite_bind_text(st, 9, t->assignee_id);
    sqlite_bind_text(st, 10, t->user_id);
    sqlite3_bind_text(st, 11, task_source_name(t->source), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, t->created_at);
    sqlite3_bind_int64(st, 13, t->updated_at);
    sqlite_bind_ts(st, 14, t->started_at);
    sqlite_bind_ts(st, 15, t->completed_at);
    sqlite_bind_ts(st, 16, t->cancelled_at);
    sqlite3_bind_int64(st, 17, t->version);
    if (t->has_sla)
        sqlite3_bind_int64(st, 18, sla_due_at(t));
    else
        sqlite3_bind_null(st, 18);
    sqlite_bind_text(st, 19, t->renewal_id); /* renewals */
    if (t->has_sla)
        sqlite3_bind_int64(st, 20, sla_risk_at(t));
    else
        sqlite3_bind_null(st, 20);
    /* workflow rules: set at insert only, never changed */
    sqlite_bind_text(st, 21, t->rule_id);
    sqlite_bind_text(st, 22, t->event_id);
    sqlite3_bind_int(st, 23, t->rule_depth);
    /* SLA clocks */
    sqlite3_bind_int64(st, 24, t->sla_started_at ? t->sla_started_at : t->created_at);
    sqlite_bind_ts(st, 25, t->sla_paused_at);
    sqlite3_bind_int64(st, 26, t->sla_paused_ms);
    sqlite3_bind_int(st, 27, t->sla_by_policy);
}

enum err sqlite_task_insert(struct store_conn *c, const struct task *t)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO tasks (" TASK_COLS ", sla_due_at, sla_risk_at, sla_started_at, "
                               "sla_paused_at, sla_paused_ms, sla_by_policy) VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?19, ?21, ?22, ?23, "
                               "?18, ?20, ?24, ?25, ?26, ?27)");
    if (!st) return ERR_INTERNAL;
    bind_task(st, t);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_insert");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_task_update(struct store_conn *c, const struct task *t)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET title = ?2, description = ?3, prio = ?4, status = ?5, "
                               "overdue_recorded = ?6, due_date = ?7, sla_hours = ?8, assignee_id = ?9, "
                               "user_id = ?10, source = ?11, created_at = ?12, updated_at = ?13, started_at = ?14, "
                               "completed_at = ?15, cancelled_at = ?16, version = ?17, sla_due_at = ?18, renewal_id = ?19, "
                               "sla_risk_at = ?20, sla_started_at = ?24, sla_paused_at = ?25, sla_paused_ms = ?26, "
                               "sla_by_policy = ?27 "
                               "WHERE id = ?1 AND version = ?17 - 1");
    if (!st) return ERR_INTERNAL;
    bind_task(st, t);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_update");
    sqlite_done(st);
    if (sqlite3_changes(sqlite_db(c)) == 1) return ERR_OK;
    /* no row at the version read: another writer moved it on, or none */
    bool found = false;
    enum err rc = exists(c, "SELECT 1 FROM tasks WHERE id = ?", t->id, &found);
    return rc != ERR_OK ? rc : found ? ERR_VERSION_CONFLICT : ERR_NOT_FOUND;
}

enum err sqlite_task_overdue_mark(struct store_conn *c, const char *id, int64_t version)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET overdue_recorded = 1 WHERE id = ? AND version = ? AND "
                               "overdue_recorded = 0");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_overdue_mark");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- history ----------------------------------------------------------- */

enum err sqlite_history_add(struct store_conn *c, const char *task_id, const struct history_entry *h)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO task_history (task_id, at, actor, type, field, from_json, to_json) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, h->at);
    sqlite3_bind_text(st, 3, h->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, h->type, -1, SQLITE_TRANSIENT);
    sqlite_bind_text(st, 5, h->field);
    sqlite_bind_opt_text(st, 6, h->from_json);
    sqlite_bind_opt_text(st, 7, h->to_json);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "history_add");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_history_list(struct store_conn *c, const char *task_id, struct history_entry **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT at, actor, type, field, from_json, to_json FROM task_history "
                               "WHERE task_id = ? ORDER BY seq");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    int cap = 0, rc;
    struct history_entry *h = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct history_entry *g = realloc(h, sizeof *h * (size_t)cap);
            if (!g) {
                store_history_free(h, *n);
                *n = 0;
                sqlite_done(st);
                return ERR_INTERNAL;
            }
            h = g;
        }
        struct history_entry *e = &h[(*n)++];
        memset(e, 0, sizeof *e);
        e->at = sqlite3_column_int64(st, 0);
        sqlite_col_copy(st, 1, e->actor, sizeof e->actor);
        sqlite_col_copy(st, 2, e->type, sizeof e->type);
        sqlite_col_copy(st, 3, e->field, sizeof e->field);
        e->from_json = sqlite_col_dup(st, 4);
        e->to_json = sqlite_col_dup(st, 5);
    }
    if (rc != SQLITE_DONE) {
        store_history_free(h, *n);
        *n = 0;
        return sqlite_fail(c, st, "history_list");
    }
    sqlite_done(st);
    *out = h;
    return ERR_OK;
}
