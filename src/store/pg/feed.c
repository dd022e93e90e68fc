/* feed.c (pg): the live feed's reads (GET /ops/stream), as the SQLite
 * backend's feed.c: task_history rows and comments past a position, each by
 * its identity seq (taken under the writers' advisory lock, so numbered in
 * commit order across instances), and the newest position. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

static const char history_sql[] =
    "SELECT h.seq, h.task_id, h.type, coalesce(h.field, ''), '', h.actor, h.at, coalesce(t.version, 0) "
    "FROM task_history h LEFT JOIN tasks t ON t.id = h.task_id WHERE h.seq > $1 ORDER BY h.seq LIMIT $2";
static const char comments_sql[] =
    "SELECT m.seq, m.task_id, '', '', m.id, m.author, m.created_at, coalesce(t.version, 0) "
    "FROM task_comments m LEFT JOIN tasks t ON t.id = m.task_id WHERE m.seq > $1 ORDER BY m.seq LIMIT $2";

static enum err read_list(struct store_conn *c, const char *sql, char kind, int64_t after, int limit,
                          struct feed_change *a, int *n, int *rows)
{
    struct pg_params p = {0};
    pg_p_int(&p, after);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, sql, &p, &rc);
    if (!res) return rc;
    int nr = PQntuples(res);
    if (nr > limit) nr = limit;
    for (int r = 0; r < nr; r++) {
        struct feed_change *f = &a[(*n)++];
        memset(f, 0, sizeof *f);
        f->kind = kind;
        f->seq = pg_col_int64(res, r, 0);
        pg_col_copy(res, r, 1, f->task_id, sizeof f->task_id);
        pg_col_copy(res, r, 2, f->type, sizeof f->type);
        pg_col_copy(res, r, 3, f->field, sizeof f->field);
        pg_col_copy(res, r, 4, f->comment_id, sizeof f->comment_id);
        pg_col_copy(res, r, 5, f->actor, sizeof f->actor);
        f->at = pg_col_int64(res, r, 6);
        f->version = pg_col_int64(res, r, 7);
    }
    *rows = nr;
    PQclear(res);
    return ERR_OK;
}

enum err pg_feed_read(struct store_conn *c, int64_t after_history, int64_t after_comment, int limit,
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

enum err pg_feed_head(struct store_conn *c, int64_t *history, int64_t *comment)
{
    *history = *comment = 0;
    PGresult *res = NULL;
    enum err rc = pg_row(c, "SELECT (SELECT coalesce(max(seq), 0) FROM task_history), "
                            "(SELECT coalesce(max(seq), 0) FROM task_comments)", NULL, &res);
    if (rc != ERR_OK) return rc;
    *history = pg_col_int64(res, 0, 0);
    *comment = pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}

/* The data version (ops.h): the counters the triggers of migrations 013 and
 * 015 move, the one for every change or the sum of those parts', read on
 * its own (READ COMMITTED: the newest committed numbers). */
enum err pg_data_version(struct store_conn *c, uint64_t parts, int64_t *out)
{
    *out = 0;
    char sql[STORE_VERSION_SQL_MAX];
    int rows = store_version_sql(parts, sql);
    PGresult *res = NULL;
    enum err rc = pg_row(c, sql, NULL, &res);
    if (rc != ERR_OK) return rc;
    *out = pg_col_int64(res, 0, 0);
    bool whole = pg_col_int64(res, 0, 1) == rows;
    PQclear(res);
    if (!whole) {
        log_error("pg: data_version_parts lacks counters (%d expected): answers are not cached", rows);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

/* task_sla_next_change: as SQLite's, one step of each partial index
 * (tasks_sla_clock, tasks_sla_risk_unrecorded). */
enum err pg_task_sla_next_change(struct store_conn *c, int64_t now_ms, int64_t *out)
{
    *out = INT64_MAX;
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    PGresult *res = NULL;
    enum err rc = pg_row(c,
        "SELECT (SELECT min(sla_due_at) FROM tasks WHERE sla_due_at IS NOT NULL AND sla_due_at >= $1::bigint "
        "AND status IN ('OPEN', 'IN_PROGRESS')), (SELECT min(sla_risk_at) FROM tasks WHERE sla_risk_recorded = 0 "
        "AND sla_risk_at IS NOT NULL AND sla_paused_at IS NULL AND status IN ('OPEN', 'IN_PROGRESS') "
        "AND sla_risk_at > $1::bigint)", &p, &res);
    if (rc != ERR_OK) return rc;
    if (!PQgetisnull(res, 0, 0)) *out = pg_col_int64(res, 0, 0) + 1;
    if (!PQgetisnull(res, 0, 1) && pg_col_int64(res, 0, 1) < *out) *out = pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}
