/* sla.c (sqlite): SLA tracking: the breach list and mark of the sweeper, the
 * stamped deadlines and their recompute after a calendar change, the
 * calendar itself and the SLA report's scan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* Up to `limit` ids from a statement whose first column is an id. */
static enum err collect_ids(struct store_conn *c, sqlite3_stmt *st, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    char **out = calloc((size_t)(limit > 0 ? limit : 1), sizeof *out);
    if (!out) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!(out[*n] = sqlite_col_dup(st, 0))) break;
        (*n)++;
    }
    if (*n < limit && rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++) free(out[i]);
        free(out);
        *n = 0;
        return sqlite_fail(c, st, "collect_ids");
    }
    sqlite_done(st);
    *ids = out;
    return ERR_OK;
}

enum err sqlite_task_sla_breach_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids, int *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_sla_unrecorded WHERE sla_breach_recorded = 0"
                               " AND sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ?"
                               " AND sla_paused_at IS NULL ORDER BY sla_due_at LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    return collect_ids(c, st, limit, ids, n);
}

enum err sqlite_task_sla_breach_mark(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET sla_breach_recorded = 1 WHERE id = ? AND sla_breach_recorded = 0");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_sla_breach_mark");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_task_sla_active_batch(struct store_conn *c, const char *after_id, int limit,
                                      struct sla_stamp_row **rows, int *n)
{
    *rows = NULL;
    *n = 0;
    /* in id order along the primary key: the unary + keeps the planner off
     * the status indexes, which read every active task and sorted them (~40 ms
     * a chunk at 60,000 active tasks, against 0.2 ms) */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, created_at, sla_hours, sla_due_at, sla_risk_at,"
                               " coalesce(sla_started_at, created_at), sla_paused_ms FROM tasks"
                               " WHERE id > ? AND +sla_hours IS NOT NULL AND +status IN ('OPEN', 'IN_PROGRESS')"
                               " ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    struct sla_stamp_row *out = calloc(limit > 0 ? (size_t)limit : 1, sizeof *out);
    if (!out) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_stamp_row *r = &out[(*n)++];
        sqlite_col_copy(st, 0, r->id, sizeof r->id);
        r->created_at = sqlite3_column_int64(st, 1);
        r->sla_hours = sqlite3_column_double(st, 2);
        r->sla_due_at = sqlite3_column_int64(st, 3);
        r->sla_risk_at = sqlite3_column_int64(st, 4);
        r->sla_started_at = sqlite3_column_int64(st, 5);
        r->sla_paused_ms = sqlite3_column_int64(st, 6);
    }
    if (*n < limit && rc != SQLITE_DONE) {
        free(out);
        *n = 0;
        return sqlite_fail(c, st, "task_sla_active_batch");
    }
    sqlite_done(st);
    *rows = out;
    return ERR_OK;
}

enum err sqlite_task_sla_set(struct store_conn *c, const char *id, int64_t due_ms, int64_t risk_ms)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET sla_due_at = ?, sla_risk_at = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, due_ms);
    sqlite3_bind_int64(st, 2, risk_ms);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_sla_set");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_calendar_get(struct store_conn *c, char **body)
{
    *body = NULL;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT body FROM sla_calendar WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    enum err found = sqlite_step_row(c, st, "sla_calendar_get");
    if (found != ERR_OK) return found;
    *body = sqlite_col_dup(st, 0);
    sqlite_done(st);
    return *body ? ERR_OK : ERR_INTERNAL;
}

enum err sqlite_sla_calendar_put(struct store_conn *c, const char *body, int64_t now_ms)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO sla_calendar (id, body, updated_at, recompute_after) VALUES (1, ?1, ?2, '') "
                               "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, "
                               "recompute_after = ''");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "sla_calendar_put");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_recompute_get(struct store_conn *c, char after[TASK_ID_SIZE], bool *pending)
{
    *pending = false;
    after[0] = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT recompute_after FROM sla_calendar WHERE id = 1 AND recompute_after IS NOT NULL");
    if (!st) return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *pending = true;
        sqlite_col_copy(st, 0, after, TASK_ID_SIZE);
    } else if (rc != SQLITE_DONE) {
        return sqlite_fail(c, st, "sla_recompute_get");
    }
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_recompute_set(struct store_conn *c, const char *after)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE sla_calendar SET recompute_after = ? WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    sqlite_bind_opt_text(st, 1, after);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "sla_recompute_set");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_report_scan(struct store_conn *c, int64_t start_ms, int64_t end_ms, enum sla_group g,
                                void (*row)(void *arg, const struct sla_row *r), void *arg)
{
    /* the key column as text, and beside it the name the report shows for
     * an assignee or a customer; day and week come from sla_due_at */
#define SLA_SCAN_FROM "FROM tasks t INDEXED BY tasks_by_sla_due "
#define SLA_SCAN_WHERE "WHERE t.sla_due_at >= ? AND t.sla_due_at < ?"
#define SLA_SCAN_COLS "t.status, t.created_at, t.completed_at, t.sla_due_at, " \
                      "coalesce(t.sla_started_at, t.created_at), t.sla_paused_at, t.sla_paused_ms"
    static const char *const sql[] = {
        [SLA_GROUP_ASSIGNEE] = "SELECT t.assignee_id, " SLA_SCAN_COLS ", s.name " SLA_SCAN_FROM
                               "LEFT JOIN staff s ON s.id = t.assignee_id " SLA_SCAN_WHERE,
        [SLA_GROUP_PRIORITY] = "SELECT t.prio, " SLA_SCAN_COLS ", NULL " SLA_SCAN_FROM SLA_SCAN_WHERE,
        [SLA_GROUP_SOURCE] = "SELECT t.source, " SLA_SCAN_COLS ", NULL " SLA_SCAN_FROM SLA_SCAN_WHERE,
        [SLA_GROUP_CUSTOMER] = "SELECT t.user_id, " SLA_SCAN_COLS ", cu.name " SLA_SCAN_FROM
                               "LEFT JOIN customers cu ON cu.id = t.user_id " SLA_SCAN_WHERE,
        [SLA_GROUP_DAY] = "SELECT NULL, " SLA_SCAN_COLS ", NULL " SLA_SCAN_FROM SLA_SCAN_WHERE,
        [SLA_GROUP_WEEK] = "SELECT NULL, " SLA_SCAN_COLS ", NULL " SLA_SCAN_FROM SLA_SCAN_WHERE,
    };
    sqlite3_stmt *st = sqlite_stmt(c, sql[g]);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, start_ms);
    sqlite3_bind_int64(st, 2, end_ms);
    int rc;
    char prio_name[16];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_row r = {0};
        if (g == SLA_GROUP_PRIORITY) {
            int rank = sqlite3_column_int(st, 0);
            snprintf(prio_name, sizeof prio_name, "%s",
                     task_priority_name((enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank))));
            r.key = prio_name;
        } else {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            r.key = k ? k : "";
        }
        if (task_status_parse((const char *)sqlite3_column_text(st, 1), &r.status) != 0) r.status = TASK_OPEN;
        r.created_at = sqlite3_column_int64(st, 2);
        r.completed_at = sqlite3_column_int64(st, 3);
        r.sla_due_at = sqlite3_column_int64(st, 4);
        r.sla_started_at = sqlite3_column_int64(st, 5);
        r.sla_paused_at = sqlite3_column_int64(st, 6);
        r.sla_paused_ms = sqlite3_column_int64(st, 7);
        if (g == SLA_GROUP_ASSIGNEE || g == SLA_GROUP_CUSTOMER) {
            const char *name = (const char *)sqlite3_column_text(st, 8);
            r.name = name ? name : "";
        }
        row(arg, &r);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "sla_report_scan");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_task_sla_set_many(struct store_conn *c, const struct sla_stamp_row *rows, int n)
{
    enum err rc = ERR_OK;
    for (int i = 0; i < n && rc == ERR_OK; i++) rc = sqlite_task_sla_set(c, rows[i].id, rows[i].sla_due_at, rows[i].sla_risk_at);
    return rc;
}

/* ---- SLA clocks: the at-risk warning, the marks a moved deadline clears, the policy ---- */

enum err sqlite_task_sla_risk_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids, int *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_sla_risk_unrecorded WHERE sla_risk_recorded = 0"
                               " AND sla_risk_at IS NOT NULL AND sla_paused_at IS NULL AND status IN ('OPEN', 'IN_PROGRESS')"
                               " AND sla_risk_at <= ?1 AND sla_due_at >= ?1 ORDER BY sla_risk_at LIMIT ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    return collect_ids(c, st, limit, ids, n);
}

enum err sqlite_task_sla_risk_mark(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET sla_risk_recorded = 1 WHERE id = ? AND sla_risk_recorded = 0");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_sla_risk_mark");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_task_sla_marks_clear(struct store_conn *c, const char *id, bool breach, bool risk)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET sla_breach_recorded = CASE WHEN ?2 THEN 0 ELSE sla_breach_recorded END,"
                               " sla_risk_recorded = CASE WHEN ?3 THEN 0 ELSE sla_risk_recorded END WHERE id = ?1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, breach);
    sqlite3_bind_int(st, 3, risk);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "task_sla_marks_clear");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_policy_get(struct store_conn *c, bool has[4], double hours[4])
{
    for (int i = 0; i < 4; i++) has[i] = false, hours[i] = 0;
    /* columns in enum task_priority order: LOW, MEDIUM, HIGH, URGENT */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT low, medium, high, urgent FROM sla_policy WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        for (int i = 0; i < 4; i++) {
            has[i] = sqlite3_column_type(st, i) != SQLITE_NULL;
            hours[i] = has[i] ? sqlite3_column_double(st, i) : 0;
        }
    } else if (rc != SQLITE_DONE) {
        return sqlite_fail(c, st, "sla_policy_get");
    }
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_sla_policy_put(struct store_conn *c, const bool has[4], const double hours[4], int64_t now_ms)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO sla_policy (id, low, medium, high, urgent, updated_at) VALUES "
                               "(1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET low = excluded.low, "
                               "medium = excluded.medium, high = excluded.high, urgent = excluded.urgent, "
                               "updated_at = excluded.updated_at");
    if (!st) return ERR_INTERNAL;
    for (int i = 0; i < 4; i++) {
        if (has[i])
            sqlite3_bind_double(st, i + 1, hours[i]);
        else
            sqlite3_bind_null(st, i + 1);
    }
    sqlite3_bind_int64(st, 5, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "sla_policy_put");
    sqlite_done(st);
    return ERR_OK;
}
