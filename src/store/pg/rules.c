/* rules.c (pg): workflow rules (with the round-robin turn) and events. The same contracts as the SQLite backend's
 * rules.c (store/ops.h says each op's): the turn is one UPDATE ... RETURNING, so writers taking it at once get
 * successive candidates (the second waits on the row and computes from the first's committed position), and the
 * claim on an event id is an insert that does nothing on conflict, so the loser waits for the winner's commit and
 * reads the stored event instead of failing its transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

#define RULE_COLS "id, definition, rr_next, created_at, updated_at"

static void read_rule_row(const PGresult *res, int r, struct rule_row *out)
{
    memset(out, 0, sizeof *out);
    pg_col_copy(res, r, 0, out->id, sizeof out->id);
    out->definition = pg_col_dup(res, r, 1);
    out->rr_next = pg_col_int64(res, r, 2);
    out->created_at = pg_col_int64(res, r, 3);
    out->updated_at = pg_col_int64(res, r, 4);
}

enum err pg_rule_get(struct store_conn *c, const char *id, struct rule_row *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " RULE_COLS " FROM rules WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_rule_row(res, 0, out);
    PQclear(res);
    return out->definition ? ERR_OK : ERR_INTERNAL;
}

enum err pg_rule_put(struct store_conn *c, const char *id, const char *event_type, bool enabled,
                     const char *definition, int64_t now, bool *created)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, event_type);
    pg_p_int(&p, enabled ? 1 : 0);
    pg_p_opt_text(&p, definition);
    pg_p_int(&p, now);
    return pg_put(c, "INSERT INTO rules (id, event_type, enabled, definition, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING",
                  &p, "UPDATE rules SET event_type = $2, enabled = $3, definition = $4, updated_at = $5 WHERE id = $1",
                  &p, created);
}

enum err pg_rule_delete(struct store_conn *c, const char *id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "DELETE FROM rules WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* Runs sql with p and collects at most limit rule rows. */
static enum err rule_rows(struct store_conn *c, const char *sql, const struct pg_params *p, int limit,
                          struct rule_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    enum err rc;
    PGresult *res = pg_run(c, sql, p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    /* sized by the answer: most event types have a few rules, not limit */
    struct rule_row *a = malloc(sizeof *a * (size_t)(rows > 0 ? rows : 1));
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    rc = ERR_OK;
    while (*n < rows) {
        read_rule_row(res, *n, &a[*n]);
        if (!a[(*n)++].definition) {
            rc = ERR_INTERNAL;
            break;
        }
    }
    PQclear(res);
    if (rc != ERR_OK) {
        store_rule_rows_free(a, *n);
        *n = 0;
        return rc;
    }
    *out = a;
    return ERR_OK;
}

enum err pg_rule_list(struct store_conn *c, const char *event_type, const char *after_id, int limit,
                      struct rule_row **out, int *n)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_opt_text(&p, event_type ? event_type : "");
    pg_p_int(&p, limit);
    return rule_rows(c, "SELECT " RULE_COLS " FROM rules WHERE id > $1 AND ($2::text = '' OR event_type = $2) "
                        "ORDER BY id LIMIT $3", &p, limit, out, n);
}

enum err pg_rules_for_type(struct store_conn *c, const char *event_type, int limit, struct rule_row **out, int *n)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, event_type);
    pg_p_int(&p, limit);
    return rule_rows(c, "SELECT " RULE_COLS " FROM rules WHERE event_type = $1 AND enabled = 1 ORDER BY id LIMIT $2",
                     &p, limit, out, n);
}

enum err pg_rule_count_type(struct store_conn *c, const char *event_type, const char *except_id, int64_t *n)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, event_type);
    pg_p_opt_text(&p, except_id ? except_id : "");
    PGresult *res;
    enum err rc = pg_row(c, "SELECT count(*) FROM rules WHERE ($1::text = '' OR event_type = $1) AND id <> $2", &p,
                         &res);
    if (rc == ERR_NOT_FOUND) rc = ERR_INTERNAL; /* an aggregate always has its row */
    if (rc != ERR_OK) return rc;
    *n = pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

/* The active candidates' positions go in as an integer array ("{0,2}"): the statement takes the first at or after
 * the position modulo n, else the first of all, and stores it + 1, reading and writing the position at once. */
enum err pg_rule_rr_take(struct store_conn *c, const char *id, int n, const bool *active, int *pick)
{
    *pick = -1;
    if (n <= 0) return ERR_NOT_FOUND;
    size_t cap = (size_t)n * 12 + 3, len = 0;
    char *list = malloc(cap);
    if (!list) return ERR_INTERNAL;
    list[len++] = '{';
    for (int i = 0; i < n; i++)
        if (active[i]) len += (size_t)snprintf(list + len, cap - len, "%s%d", len > 1 ? "," : "", i);
    list[len++] = '}';
    list[len] = 0;
    if (len == 2) {
        free(list);
        return ERR_NOT_FOUND;
    }
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, list);
    pg_p_int(&p, n);
    PGresult *res;
    enum err rc = pg_row(c, "UPDATE rules SET rr_next = 1 + coalesce("
                            "(SELECT min(v) FROM unnest($2::integer[]) AS v WHERE v >= rules.rr_next % $3::bigint), "
                            "(SELECT min(v) FROM unnest($2::integer[]) AS v)) WHERE id = $1 RETURNING rr_next - 1",
                         &p, &res);
    free(list);
    if (rc != ERR_OK) return rc; /* ERR_NOT_FOUND: no such rule */
    *pick = (int)pg_col_int64(res, 0, 0);
    PQclear(res);
    return *pick >= 0 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_staff_load(struct store_conn *c, const char *staff_id, int64_t *n)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT count(*) FROM tasks WHERE assignee_id = $1 AND status IN ('OPEN', 'IN_PROGRESS')",
                         &p, &res);
    if (rc == ERR_NOT_FOUND) rc = ERR_INTERNAL;
    if (rc != ERR_OK) return rc;
    *n = pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

#define EVENT_COLS "seq, id, type, user_id, occurred_at, received_at, origin, depth, data, outcome"

static void read_event_row(const PGresult *res, int r, struct event_row *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = pg_col_int64(res, r, 0);
    pg_col_copy(res, r, 1, ev->id, sizeof ev->id);
    pg_col_copy(res, r, 2, ev->type, sizeof ev->type);
    pg_col_copy(res, r, 3, ev->user_id, sizeof ev->user_id);
    ev->occurred_at = pg_col_int64(res, r, 4);
    ev->received_at = pg_col_int64(res, r, 5);
    ev->from_service = !pg_col_null(res, r, 6) && strcmp(PQgetvalue(res, r, 6), "service") == 0;
    ev->depth = (int)pg_col_int64(res, r, 7);
    ev->data = pg_col_dup(res, r, 8);
    ev->outcome = pg_col_dup(res, r, 9);
}

enum err pg_event_get(struct store_conn *c, const char *id, struct event_row *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " EVENT_COLS " FROM events WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_event_row(res, 0, out);
    PQclear(res);
    if (!out->data || !out->outcome) {
        store_event_row_clear(out);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

/* An event's columns $1-$8 (id ... data) of an INSERT INTO events. */
static void event_params(struct pg_params *p, const struct event_row *ev)
{
    pg_p_opt_text(p, ev->id);
    pg_p_opt_text(p, ev->type);
    pg_p_text(p, ev->user_id);
    pg_p_int(p, ev->occurred_at);
    pg_p_int(p, ev->received_at);
    pg_p_opt_text(p, ev->from_service ? "service" : "api");
    pg_p_int(p, ev->depth);
    pg_p_opt_text(p, ev->data);
}

enum err pg_event_insert(struct store_conn *c, const struct event_row *ev)
{
    struct pg_params p = {0};
    event_params(&p, ev);
    pg_p_opt_text(&p, ev->outcome);
    return pg_cmd(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, data, outcome) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", &p, NULL);
}

/* A claimed event's outcome is "" until event_set_outcome, seen only by the transaction that claimed it: an insert
 * that meets another transaction's uncommitted claim waits for it, so what it then reads is committed, with its
 * outcome. */
enum err pg_event_claim(struct store_conn *c, const struct event_row *ev, struct event_row *old)
{
    memset(old, 0, sizeof *old);
    /* an event purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        struct pg_params p = {0};
        event_params(&p, ev);
        int64_t n = 0;
        enum err rc = pg_cmd(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, data, "
                                "outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '') ON CONFLICT (id) DO NOTHING",
                             &p, &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) return ERR_OK;
        rc = pg_event_get(c, ev->id, old);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        if (!old->outcome[0]) { /* this transaction's own claim, without its outcome: a caller's bug */
            store_event_row_clear(old);
            return ERR_INTERNAL;
        }
        return ERR_DUPLICATE;
    }
    return ERR_INTERNAL;
}

enum err pg_event_set_outcome(struct store_conn *c, const char *id, const char *outcome)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, outcome);
    pg_p_opt_text(&p, id);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE events SET outcome = $1 WHERE id = $2", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_event_list(struct store_conn *c, const struct event_query *q, struct event_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* one statement per filter combination, so each has the plan of its index; the parameters in the order of
     * their numbers */
    const char *sql = q->type[0] && q->user_id[0]
                          ? "SELECT " EVENT_COLS " FROM events WHERE type = $1 AND user_id = $2 AND seq < $3 "
                            "ORDER BY seq DESC LIMIT $4"
                      : q->type[0] ? "SELECT " EVENT_COLS " FROM events WHERE type = $1 AND seq < $2 "
                                     "ORDER BY type DESC, seq DESC LIMIT $3"
                      : q->user_id[0] ? "SELECT " EVENT_COLS " FROM events WHERE user_id = $1 AND seq < $2 "
                                        "ORDER BY user_id DESC, seq DESC LIMIT $3"
                                      : "SELECT " EVENT_COLS " FROM events WHERE seq < $1 ORDER BY seq DESC LIMIT $2";
    struct pg_params p = {0};
    if (q->type[0]) pg_p_opt_text(&p, q->type);
    if (q->user_id[0]) pg_p_opt_text(&p, q->user_id);
    pg_p_int(&p, q->before_seq > 0 ? q->before_seq : INT64_MAX);
    pg_p_int(&p, q->limit);
    struct event_row *a = calloc((size_t)q->limit + 1, sizeof *a);
    if (!a) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, sql, &p, &rc);
    if (!res) {
        free(a);
        return rc;
    }
    rc = ERR_OK;
    for (int r = 0; r < PQntuples(res) && *n < q->limit; r++) {
        read_event_row(res, r, &a[*n]);
        struct event_row *ev = &a[(*n)++];
        if (!ev->data || !ev->outcome) {
            rc = ERR_INTERNAL;
            break;
        }
    }
    PQclear(res);
    if (rc != ERR_OK) {
        store_event_rows_free(a, *n);
        *n = 0;
        return rc;
    }
    *out = a;
    return ERR_OK;
}

enum err pg_event_purge(struct store_conn *c, int64_t older_than_ms, int limit, int64_t *purged)
{
    struct pg_params p = {0};
    pg_p_int(&p, older_than_ms);
    pg_p_int(&p, limit);
    return pg_cmd(c, "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE received_at < $1 "
                     "ORDER BY received_at LIMIT $2)", &p, purged);
}
