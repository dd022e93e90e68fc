/* feed.c (sqlite): the live feed's reads (GET /ops/stream): task_history
 * rows and comments past a position, each by its commit-ordered seq (a
 * history row's rowid; the number comment_add gives a comment), and the
 * newest position. Two statements, each its own snapshot: each list is
 * complete up to its own end, which is all the poller needs. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

static const char history_sql[] =
    "SELECT h.seq, h.task_id, h.type, h.field, '', h.actor, h.at, coalesce(t.version, 0) "
    "FROM task_history h LEFT JOIN tasks t ON t.id = h.task_id WHERE h.seq > ? ORDER BY h.seq LIMIT ?";
static const char comments_sql[] =
    "SELECT m.seq, m.task_id, '', '', m.id, m.author, m.created_at, coalesce(t.version, 0) "
    "FROM task_comments m LEFT JOIN tasks t ON t.id = m.task_id WHERE m.seq > ? ORDER BY m.seq LIMIT ?";

/* Appends the rows of one list to a (n of cap). Returns ERR_OK with *rows
 * the number read, or the failure. */
static enum err read_list(struct store_conn *c, const char *sql, char kind, int64_t after, int limit,
                          struct feed_change *a, int *n, int *rows)
{
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    *rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *rows < limit) {
        struct feed_change *f = &a[(*n)++];
        memset(f, 0, sizeof *f);
        f->kind = kind;
        f->seq = sqlite3_column_int64(st, 0);
        sqlite_col_copy(st, 1, f->task_id, sizeof f->task_id);
        sqlite_col_copy(st, 2, f->type, sizeof f->type);
        sqlite_col_copy(st, 3, f->field, sizeof f->field);
        sqlite_col_copy(st, 4, f->comment_id, sizeof f->comment_id);
        sqlite_col_copy(st, 5, f->actor, sizeof f->actor);
        f->at = sqlite3_column_int64(st, 6);
        f->version = sqlite3_column_int64(st, 7);
        (*rows)++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sqlite_fail(c, st, "feed_read");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_feed_read(struct store_conn *c, int64_t after_history, int64_t after_comment, int limit,
                          struct feed_change **out, int *n, bool *more)
{
    *out = NULL;
    *n = 0;
    *more = false;
    if (limit < 1) limit = 1;
    struct feed_change *a = calloc((size_t)limit * 2, sizeof *a);
    if (!a) return ERR_INTERNAL;
    int got = 0, hist = 0, comments = 0;
    enum err rc = read_list(c, history_sql, 'h', after_history, limit, a, &got, &hist);
    if (rc == ERR_OK) rc = read_list(c, comments_sql, 'c', after_comment, limit, a, &got, &comments);
    if (rc != ERR_OK) {
        free(a);
        return rc;
    }
    *out = a;
    *n = got;
    *more = hist == limit || comments == limit;
    return ERR_OK;
}

enum err sqlite_feed_head(struct store_conn *c, int64_t *history, int64_t *comment)
{
    *history = *comment = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT (SELECT coalesce(max(seq), 0) FROM task_history), "
                                      "(SELECT coalesce(max(seq), 0) FROM task_comments)");
    if (!st) return ERR_INTERNAL;
    enum err rc = sqlite_step_row(c, st, "feed_head");
    if (rc != ERR_OK) return rc;
    *history = sqlite3_column_int64(st, 0);
    *comment = sqlite3_column_int64(st, 1);
    sqlite_done(st);
    return ERR_OK;
}

/* task_sla_next_change: one step of each partial index of the active
 * tasks' instants: tasks_sla_clock for the deadlines, the sweeper's
 * tasks_sla_risk_unrecorded for the 80% instants (a running clock whose
 * 80% instant is still ahead has no warning written yet; a paused one
 * changes nothing by time). */
enum err sqlite_task_sla_next_change(struct store_conn *c, int64_t now_ms, int64_t *out)
{
    *out = INT64_MAX;
    sqlite3_stmt *st = sqlite_stmt(c,
        "SELECT (SELECT min(sla_due_at) FROM tasks INDEXED BY tasks_sla_clock "
        "WHERE sla_due_at IS NOT NULL AND sla_due_at >= ?1 AND status IN ('OPEN', 'IN_PROGRESS')), "
        "(SELECT min(sla_risk_at) FROM tasks INDEXED BY tasks_sla_risk_unrecorded WHERE sla_risk_recorded = 0 "
        "AND sla_risk_at IS NOT NULL AND sla_paused_at IS NULL AND status IN ('OPEN', 'IN_PROGRESS') AND sla_risk_at > ?1)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    enum err rc = sqlite_step_row(c, st, "task_sla_next_change");
    if (rc != ERR_OK) return rc;
    /* breached from the millisecond after the deadline (now > sla_due_at) */
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) *out = sqlite3_column_int64(st, 0) + 1;
    if (sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_int64(st, 1) < *out)
        *out = sqlite3_column_int64(st, 1);
    sqlite_done(st);
    return ERR_OK;
}
