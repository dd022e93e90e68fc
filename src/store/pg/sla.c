/* sla.c (pg): SLA tracking: the breach list and mark of the sweeper, the
 * stamped deadlines and their recompute after a calendar change, the
 * calendar itself and the SLA report's scan. The same contracts as the
 * SQLite backend's sla.c (store/ops.h says each op's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_task_sla_breach_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    pg_p_int(&p, limit);
    /* the condition of the partial index tasks_sla_unrecorded, which reads
     * only the tasks still to record; id breaks ties so a batch is the same
     * set on every run */
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id FROM tasks WHERE sla_breach_recorded = 0 AND sla_due_at IS NOT NULL "
                              "AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < $1 AND sla_paused_at IS NULL "
                              "ORDER BY sla_due_at, id LIMIT $2",
                           &p, &rc);
    if (!res) return rc;
    char **out = calloc(limit > 0 ? (size_t)limit : 1, sizeof *out);
    if (!out) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows && *n < limit; r++) {
        if (!(out[*n] = pg_col_dup(res, r, 0))) break;
        (*n)++;
    }
    PQclear(res);
    *ids = out;
    return ERR_OK;
}

enum err pg_task_sla_breach_mark(struct store_conn *c, const char *id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE tasks SET sla_breach_recorded = 1 WHERE id = $1 AND sla_breach_recorded = 0", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_task_sla_active_batch(struct store_conn *c, const char *after_id, int limit, struct sla_stamp_row **rows,
                                  int *n)
{
    *rows = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    /* along the primary key in id order: status as an expression keeps
     * the planner (a prepared statement's generic plan, which cannot see
     * how far after $1 is) off the status indexes, which read every active
     * task and sort them, as on SQLite */
    PGresult *res = pg_run(c, "SELECT id, created_at, sla_hours, sla_due_at, sla_risk_at, "
                              "coalesce(sla_started_at, created_at), sla_paused_ms FROM tasks "
                              "WHERE id > $1 AND sla_hours IS NOT NULL AND (status || '') IN ('OPEN', 'IN_PROGRESS') "
                              "ORDER BY id LIMIT $2",
                           &p, &rc);
    if (!res) return rc;
    struct sla_stamp_row *out = calloc(limit > 0 ? (size_t)limit : 1, sizeof *out);
    if (!out) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int nr = PQntuples(res);
    for (int r = 0; r < nr && *n < limit; r++) {
        struct sla_stamp_row *s = &out[(*n)++];
        pg_col_copy(res, r, 0, s->id, sizeof s->id);
        s->created_at = pg_col_int64(res, r, 1);
        s->sla_hours = pg_col_double(res, r, 2);
        s->sla_due_at = pg_col_int64(res, r, 3);
        s->sla_risk_at = pg_col_int64(res, r, 4);
        s->sla_started_at = pg_col_int64(res, r, 5);
        s->sla_paused_ms = pg_col_int64(res, r, 6);
    }
    PQclear(res);
    *rows = out;
    return ERR_OK;
}

enum err pg_task_sla_set(struct store_conn *c, const char *id, int64_t due_ms, int64_t risk_ms)
{
    struct pg_params p = {0};
    pg_p_int(&p, due_ms);
    pg_p_int(&p, risk_ms);
    pg_p_opt_text(&p, id);
    return pg_cmd(c, "UPDATE tasks SET sla_due_at = $1, sla_risk_at = $2 WHERE id = $3", &p, NULL);
}

/* One UPDATE over three arrays (ids, deadlines, 80% instants) in their
 * text form: a round trip per batch of the recompute, not per task. */
enum err pg_task_sla_set_many(struct store_conn *c, const struct sla_stamp_row *rows, int n)
{
    if (n <= 0) return ERR_OK;
    /* ids are [A-Za-z0-9_] (ids.c), so they need no quoting in an array */
    size_t cap = (size_t)n * (TASK_ID_SIZE + 2) + 3, ncap = (size_t)n * 22 + 3;
    char *ids = malloc(cap), *due = malloc(ncap), *risk = malloc(ncap);
    enum err rc = ERR_INTERNAL;
    if (!ids || !due || !risk) goto out;
    size_t a = 0, b = 0, r = 0;
    ids[a++] = due[b++] = risk[r++] = '{';
    for (int i = 0; i < n; i++) {
        const char *sep = i ? "," : "";
        a += (size_t)snprintf(ids + a, cap - a, "%s%s", sep, rows[i].id);
        b += (size_t)snprintf(due + b, ncap - b, "%s%lld", sep, (long long)rows[i].sla_due_at);
        r += (size_t)snprintf(risk + r, ncap - r, "%s%lld", sep, (long long)rows[i].sla_risk_at);
    }
    snprintf(ids + a, cap - a, "}");
    snprintf(due + b, ncap - b, "}");
    snprintf(risk + r, ncap - r, "}");
    struct pg_params p = {0};
    pg_p_opt_text(&p, ids);
    pg_p_opt_text(&p, due);
    pg_p_opt_text(&p, risk);
    rc = pg_cmd(c, "UPDATE tasks SET sla_due_at = v.due, sla_risk_at = v.risk "
                   "FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, due, risk) WHERE tasks.id = v.id",
                &p, NULL);
out:
    free(ids);
    free(due);
    free(risk);
    return rc;
}

enum err pg_sla_calendar_get(struct store_conn *c, char **body)
{
    *body = NULL;
    bool found;
    if (pg_tx_calendar(c, body, &found)) return found ? ERR_OK : ERR_NOT_FOUND;
    PGresult *res;
    enum err rc = pg_row(c, "SELECT body FROM sla_calendar WHERE id = 1", NULL, &res);
    if (rc == ERR_NOT_FOUND) pg_tx_calendar_keep(c, NULL);
    if (rc != ERR_OK) return rc;
    *body = pg_col_dup(res, 0, 0);
    PQclear(res);
    if (*body) pg_tx_calendar_keep(c, *body);
    return *body ? ERR_OK : ERR_INTERNAL;
}

enum err pg_sla_calendar_put(struct store_conn *c, const char *body, int64_t now_ms)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, body);
    pg_p_int(&p, now_ms);
    pg_tx_calendar_forget(c);
    return pg_cmd(c, "INSERT INTO sla_calendar (id, body, updated_at, recompute_after) VALUES (1, $1, $2, '') "
                     "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, "
                     "recompute_after = ''",
                  &p, NULL);
}

enum err pg_sla_recompute_get(struct store_conn *c, char after[TASK_ID_SIZE], bool *pending)
{
    *pending = false;
    after[0] = 0;
    PGresult *res;
    enum err rc =
        pg_row(c, "SELECT recompute_after FROM sla_calendar WHERE id = 1 AND recompute_after IS NOT NULL", NULL, &res);
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    *pending = true;
    pg_col_copy(res, 0, 0, after, TASK_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

enum err pg_sla_recompute_set(struct store_conn *c, const char *after)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, after); /* NULL: the recompute is done */
    return pg_cmd(c, "UPDATE sla_calendar SET recompute_after = $1 WHERE id = 1", &p, NULL);
}

/* One statement, as SQLite's one read: every row comes from one snapshot.
 * libpq holds the window's rows at once (at most REPORT_MAX_DAYS of
 * deadlines, six short columns each); the planner reads them through the
 * partial index tasks_by_sla_due, and the name of the assignee or customer
 * by its primary key. */
enum err pg_sla_report_scan(struct store_conn *c, int64_t start_ms, int64_t end_ms, enum sla_group g,
                            void (*row)(void *arg, const struct sla_row *r), void *arg)
{
    /* the key column as text, and beside it the name the report shows for
     * an assignee or a customer; day and week come from sla_due_at */
#define SLA_SCAN_WHERE "WHERE t.sla_due_at >= $1 AND t.sla_due_at < $2"
#define SLA_SCAN_COLS "t.status, t.created_at, t.completed_at, t.sla_due_at, " \
                      "coalesce(t.sla_started_at, t.created_at), t.sla_paused_at, t.sla_paused_ms"
    static const char *const sql[] = {
        [SLA_GROUP_ASSIGNEE] = "SELECT t.assignee_id, " SLA_SCAN_COLS ", s.name FROM tasks t "
                               "LEFT JOIN staff s ON s.id = t.assignee_id " SLA_SCAN_WHERE,
        [SLA_GROUP_PRIORITY] = "SELECT t.prio, " SLA_SCAN_COLS ", NULL FROM tasks t " SLA_SCAN_WHERE,
        [SLA_GROUP_SOURCE] = "SELECT t.source, " SLA_SCAN_COLS ", NULL FROM tasks t " SLA_SCAN_WHERE,
        [SLA_GROUP_CUSTOMER] = "SELECT t.user_id, " SLA_SCAN_COLS ", cu.name FROM tasks t "
                               "LEFT JOIN customers cu ON cu.id = t.user_id " SLA_SCAN_WHERE,
        [SLA_GROUP_DAY] = "SELECT NULL, " SLA_SCAN_COLS ", NULL FROM tasks t " SLA_SCAN_WHERE,
        [SLA_GROUP_WEEK] = "SELECT NULL, " SLA_SCAN_COLS ", NULL FROM tasks t " SLA_SCAN_WHERE,
    };
    if ((int)g < 0 || (size_t)g >= sizeof sql / sizeof sql[0]) return ERR_INTERNAL;
    struct pg_params p = {0};
    pg_p_int(&p, start_ms);
    pg_p_int(&p, end_ms);
    enum err rc;
    PGresult *res = pg_run(c, sql[g], &p, &rc);
    if (!res) return rc;
    char prio_name[16];
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        struct sla_row r = {0};
        if (g == SLA_GROUP_PRIORITY) {
            int64_t rank = pg_col_int64(res, i, 0);
            snprintf(prio_name, sizeof prio_name, "%s",
                     task_priority_name((enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank))));
            r.key = prio_name;
        } else {
            r.key = pg_col_null(res, i, 0) ? "" : PQgetvalue(res, i, 0);
        }
        if (task_status_parse(PQgetvalue(res, i, 1), &r.status) != 0) r.status = TASK_OPEN;
        r.created_at = pg_col_int64(res, i, 2);
        r.completed_at = pg_col_int64(res, i, 3);
        r.sla_due_at = pg_col_int64(res, i, 4);
        r.sla_started_at = pg_col_int64(res, i, 5);
        r.sla_paused_at = pg_col_null(res, i, 6) ? 0 : pg_col_int64(res, i, 6);
        r.sla_paused_ms = pg_col_int64(res, i, 7);
        if (g == SLA_GROUP_ASSIGNEE || g == SLA_GROUP_CUSTOMER) r.name = pg_col_null(res, i, 8) ? "" : PQgetvalue(res, i, 8);
        row(arg, &r);
    }
    PQclear(res);
    return ERR_OK;
}

/* ---- SLA clocks: the at-risk warning, the marks a moved deadline clears, the policy ---- */

enum err pg_task_sla_risk_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    pg_p_int(&p, limit);
    /* the condition of the partial index tasks_sla_risk_unrecorded */
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id FROM tasks WHERE sla_risk_recorded = 0 AND sla_risk_at IS NOT NULL "
                              "AND sla_paused_at IS NULL AND status IN ('OPEN', 'IN_PROGRESS') "
                              "AND sla_risk_at <= $1::bigint AND sla_due_at >= $1::bigint "
                              "ORDER BY sla_risk_at, id LIMIT $2",
                           &p, &rc);
    if (!res) return rc;
    char **out = calloc(limit > 0 ? (size_t)limit : 1, sizeof *out);
    if (!out) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows && *n < limit; r++) {
        if (!(out[*n] = pg_col_dup(res, r, 0))) break;
        (*n)++;
    }
    PQclear(res);
    *ids = out;
    return ERR_OK;
}

enum err pg_task_sla_risk_mark(struct store_conn *c, const char *id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE tasks SET sla_risk_recorded = 1 WHERE id = $1 AND sla_risk_recorded = 0", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_task_sla_marks_clear(struct store_conn *c, const char *id, bool breach, bool risk)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_int(&p, breach);
    pg_p_int(&p, risk);
    return pg_cmd(c, "UPDATE tasks SET sla_breach_recorded = CASE WHEN $2::integer = 1 THEN 0 ELSE sla_breach_recorded END, "
                     "sla_risk_recorded = CASE WHEN $3::integer = 1 THEN 0 ELSE sla_risk_recorded END WHERE id = $1",
                  &p, NULL);
}

enum err pg_sla_policy_get(struct store_conn *c, bool has[4], double hours[4])
{
    for (int i = 0; i < 4; i++) has[i] = false, hours[i] = 0;
    /* one read a group: a create without sla_hours asks for it each time */
    if (pg_tx_policy(c, has, hours)) return ERR_OK;
    PGresult *res;
    /* columns in enum task_priority order: LOW, MEDIUM, HIGH, URGENT */
    enum err rc = pg_row(c, "SELECT low, medium, high, urgent FROM sla_policy WHERE id = 1", NULL, &res);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) return rc;
    if (rc == ERR_OK) {
        for (int i = 0; i < 4; i++) {
            has[i] = !pg_col_null(res, 0, i);
            hours[i] = has[i] ? pg_col_double(res, 0, i) : 0;
        }
        PQclear(res);
    }
    pg_tx_policy_keep(c, has, hours);
    return ERR_OK;
}

enum err pg_sla_policy_put(struct store_conn *c, const bool has[4], const double hours[4], int64_t now_ms)
{
    struct pg_params p = {0};
    for (int i = 0; i < 4; i++) {
        if (has[i])
            pg_p_double(&p, hours[i]);
        else
            pg_p_null(&p);
    }
    pg_p_int(&p, now_ms);
    pg_tx_calendar_forget(c); /* and the policy kept with it */
    return pg_cmd(c, "INSERT INTO sla_policy (id, low, medium, high, urgent, updated_at) VALUES "
                     "(1, $1::double precision, $2::double precision, $3::double precision, $4::double precision, $5) "
                     "ON CONFLICT (id) DO UPDATE SET low = excluded.low, medium = excluded.medium, "
                     "high = excluded.high, urgent = excluded.urgent, updated_at = excluded.updated_at",
                  &p, NULL);
}
