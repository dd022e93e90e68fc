/* renewals.c (pg): renewable items, the renewals policy and the engine's actions. The same contracts as the SQLite
 * backend's renewals.c (store/ops.h says each op's): the engine finds its work through the partial index on next_due,
 * and the primary key of renewal_actions, hit by an insert that does nothing on conflict, makes each (item, expiry
 * date, threshold) act exactly once. Dates are text 'YYYY-MM-DD' as in SQLite; date arithmetic goes through the date
 * type and back with to_char, which gives SQLite's date() answers for the years the domain allows (1900-9999). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

#define ITEM_COLS "id, customer_id, kind, expires_on, assignee_id, next_due, created_at, updated_at"

static void read_item(const PGresult *res, int r, struct renewal_item *it)
{
    memset(it, 0, sizeof *it);
    pg_col_copy(res, r, 0, it->id, sizeof it->id);
    pg_col_copy(res, r, 1, it->customer_id, sizeof it->customer_id);
    pg_col_copy(res, r, 2, it->kind, sizeof it->kind);
    pg_col_copy(res, r, 3, it->expires_on, sizeof it->expires_on);
    pg_col_copy(res, r, 4, it->assignee_id, sizeof it->assignee_id);
    pg_col_copy(res, r, 5, it->next_due, sizeof it->next_due);
    it->created_at = pg_col_int64(res, r, 6);
    it->updated_at = pg_col_int64(res, r, 7);
}

enum err pg_renewal_get(struct store_conn *c, const char *id, struct renewal_item *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " ITEM_COLS " FROM renewal_items WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_item(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_renewal_put(struct store_conn *c, const struct renewal_item *it, bool *created)
{
    struct pg_params ins = {0}, upd = {0};
    pg_p_opt_text(&ins, it->id);
    pg_p_opt_text(&ins, it->customer_id);
    pg_p_opt_text(&ins, it->kind);
    pg_p_opt_text(&ins, it->expires_on);
    pg_p_text(&ins, it->assignee_id);
    pg_p_text(&ins, it->next_due);
    pg_p_int(&ins, it->created_at);
    pg_p_int(&ins, it->updated_at);
    /* the update keeps created_at: the same values without it (a parameter the statement does not use would have no
     * type) */
    pg_p_opt_text(&upd, it->id);
    pg_p_opt_text(&upd, it->customer_id);
    pg_p_opt_text(&upd, it->kind);
    pg_p_opt_text(&upd, it->expires_on);
    pg_p_text(&upd, it->assignee_id);
    pg_p_text(&upd, it->next_due);
    pg_p_int(&upd, it->updated_at);
    return pg_put(c, "INSERT INTO renewal_items (" ITEM_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                     "ON CONFLICT (id) DO NOTHING", &ins,
                  "UPDATE renewal_items SET customer_id = $2, kind = $3, expires_on = $4, assignee_id = $5, "
                  "next_due = $6, updated_at = $7 WHERE id = $1", &upd, created);
}

enum err pg_renewal_delete(struct store_conn *c, const char *id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "DELETE FROM renewal_items WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_renewal_list(struct store_conn *c, const char *customer_id, const char *after_id, int limit,
                         struct renewal_item **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, customer_id);
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    struct renewal_item *a = calloc((size_t)limit, sizeof *a);
    if (!a) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " ITEM_COLS " FROM renewal_items WHERE customer_id = $1 AND id > $2 "
                              "ORDER BY id LIMIT $3", &p, &rc);
    if (!res) {
        free(a);
        return rc;
    }
    int rows = PQntuples(res);
    while (*n < limit && *n < rows) {
        read_item(res, *n, &a[*n]);
        (*n)++;
    }
    PQclear(res);
    *out = a;
    return ERR_OK;
}

enum err pg_renewal_due(struct store_conn *c, const char *today, const char *after_due, const char *after_id,
                        int limit, char ***ids, char ***dues, int *n)
{
    *ids = *dues = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, today);
    pg_p_opt_text(&p, after_due);
    pg_p_opt_text(&p, after_id);
    pg_p_int(&p, limit);
    char **a = calloc((size_t)limit, sizeof *a), **d = calloc((size_t)limit, sizeof *d);
    if (!a || !d) {
        free(a);
        free(d);
        return ERR_INTERNAL;
    }
    /* (next_due, id) > (after_due, after_id), led by next_due >= after_due so the index range starts at the
     * cursor */
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id, next_due FROM renewal_items WHERE next_due IS NOT NULL AND next_due <= $1 "
                              "AND next_due >= $2 AND (next_due > $2 OR id > $3) ORDER BY next_due, id LIMIT $4",
                           &p, &rc);
    if (!res) goto fail;
    rc = ERR_OK;
    for (int r = 0; r < PQntuples(res) && *n < limit; r++) {
        a[*n] = pg_col_dup(res, r, 0);
        d[*n] = pg_col_dup(res, r, 1);
        if (!a[*n] || !d[*n]) {
            free(a[*n]);
            free(d[*n]);
            rc = ERR_INTERNAL;
            break;
        }
        (*n)++;
    }
    PQclear(res);
    if (rc != ERR_OK) goto fail;
    *ids = a;
    *dues = d;
    return ERR_OK;
fail:
    for (int i = 0; i < *n; i++) free(a[i]), free(d[i]);
    free(a);
    free(d);
    *n = 0;
    return rc;
}

enum err pg_renewal_set_next_due(struct store_conn *c, const char *id, const char *next_due)
{
    struct pg_params p = {0};
    pg_p_text(&p, next_due); /* "" = NULL */
    pg_p_opt_text(&p, id);
    return pg_cmd(c, "UPDATE renewal_items SET next_due = $1 WHERE id = $2", &p, NULL);
}

enum err pg_renewal_reset_next_due(struct store_conn *c, int max_days_before)
{
    /* conservative: the earliest day any threshold can be crossed; the next pass looks at each such item once and
     * sets its exact next_due. date - integer is the date that many days before, as SQLite's '-N days'. */
    struct pg_params p = {0};
    pg_p_int(&p, max_days_before);
    return pg_cmd(c, "UPDATE renewal_items SET next_due = to_char(expires_on::date - $1::integer, 'YYYY-MM-DD')", &p,
                  NULL);
}

enum err pg_renewal_acted_min(struct store_conn *c, const char *id, const char *expires_on, int *acted_min)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, expires_on);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT min(days_before) FROM renewal_actions WHERE renewal_id = $1 AND expires_on = $2",
                         &p, &res);
    if (rc == ERR_NOT_FOUND) rc = ERR_INTERNAL; /* an aggregate always has its row */
    if (rc != ERR_OK) return rc;
    *acted_min = pg_col_null(res, 0, 0) ? RENEWAL_NONE_ACTED : (int)pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

enum err pg_renewal_action_insert(struct store_conn *c, const char *id, const char *expires_on, int days_before,
                                  const char *action, const char *task_id, int64_t at)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, expires_on);
    pg_p_int(&p, days_before);
    pg_p_opt_text(&p, action);
    pg_p_opt_text(&p, task_id);
    pg_p_int(&p, at);
    /* the key refuses the second action without failing the statement (and so the group's transaction); an
     * engine whose twin has not committed yet waits here for it */
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO renewal_actions (renewal_id, expires_on, days_before, action, task_id, at) "
                            "VALUES ($1, $2, $3, $4, $5, $6) "
                            "ON CONFLICT (renewal_id, expires_on, days_before) DO NOTHING", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err pg_renewal_actions(struct store_conn *c, const char *id, int max, struct renewal_action_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_int(&p, max);
    enum err rc;
    /* the primary key's prefix: one item's few rows */
    PGresult *res = pg_run(c, "SELECT expires_on, days_before, action, task_id, at FROM renewal_actions "
                              "WHERE renewal_id = $1 ORDER BY at, days_before DESC LIMIT $2", &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > max) rows = max;
    struct renewal_action_row *a = rows ? calloc((size_t)rows, sizeof *a) : NULL;
    if (rows && !a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) {
        struct renewal_action_row *x = &a[r];
        pg_col_copy(res, r, 0, x->expires_on, sizeof x->expires_on);
        x->days_before = (int)pg_col_int64(res, r, 1);
        pg_col_copy(res, r, 2, x->action, sizeof x->action);
        pg_col_copy(res, r, 3, x->task_id, sizeof x->task_id);
        x->at = pg_col_int64(res, r, 4);
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_renewal_latest_task(struct store_conn *c, const char *renewal_id, char task_id[TASK_ID_SIZE])
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, renewal_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT id FROM tasks WHERE renewal_id = $1 ORDER BY id DESC LIMIT 1", &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, task_id, TASK_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

enum err pg_renewal_policy_get(struct store_conn *c, struct renewal_policy *out)
{
    renewal_policy_default(out);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT title FROM renewal_policy WHERE id = 1", NULL, &res);
    if (rc == ERR_NOT_FOUND) return ERR_OK; /* never written: the defaults */
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, out->title, sizeof out->title);
    PQclear(res);
    res = pg_run(c, "SELECT days_before, priority, due_in_days, sla_hours FROM renewal_thresholds "
                    "ORDER BY days_before DESC LIMIT " /* RENEWAL_MAX_THRESHOLDS */ "16", NULL, &rc);
    if (!res) return rc;
    out->n = 0;
    for (int r = 0; r < PQntuples(res) && out->n < RENEWAL_MAX_THRESHOLDS; r++) {
        struct renewal_threshold *t = &out->t[out->n++];
        t->days_before = (int)pg_col_int64(res, r, 0);
        if (task_priority_parse(PQgetvalue(res, r, 1), &t->priority) != 0) t->priority = PRIORITY_MEDIUM;
        t->due_in_days = (int)pg_col_int64(res, r, 2);
        t->has_sla = !pg_col_null(res, r, 3);
        t->sla_hours = t->has_sla ? pg_col_double(res, r, 3) : 0;
    }
    PQclear(res);
    return ERR_OK;
}

enum err pg_renewal_policy_put(struct store_conn *c, const struct renewal_policy *p, int64_t now)
{
    struct pg_params pp = {0};
    pg_p_opt_text(&pp, p->title);
    pg_p_int(&pp, now);
    enum err rc = pg_cmd(c, "INSERT INTO renewal_policy (id, title, updated_at) VALUES (1, $1, $2) "
                            "ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at",
                         &pp, NULL);
    if (rc == ERR_OK) rc = pg_cmd(c, "DELETE FROM renewal_thresholds", NULL, NULL);
    for (int i = 0; rc == ERR_OK && i < p->n; i++) {
        struct pg_params t = {0};
        pg_p_int(&t, p->t[i].days_before);
        pg_p_opt_text(&t, task_priority_name(p->t[i].priority));
        pg_p_int(&t, p->t[i].due_in_days);
        if (p->t[i].has_sla)
            pg_p_double(&t, p->t[i].sla_hours);
        else
            pg_p_null(&t);
        rc = pg_cmd(c, "INSERT INTO renewal_thresholds (days_before, priority, due_in_days, sla_hours) "
                       "VALUES ($1, $2, $3, $4)", &t, NULL);
    }
    return rc;
}

/* As SQLite's: the item, its customer's name, acted_min for its expiry date
 * and its newest task; one statement per shape (with or without a customer)
 * so each gets its own plan. */
#define LIST_ALL_SELECT \
    "SELECT i.id, i.customer_id, i.kind, i.expires_on, i.assignee_id, i.next_due, i.created_at, i.updated_at, " \
    "cu.name, (SELECT min(a.days_before) FROM renewal_actions a WHERE a.renewal_id = i.id " \
    "AND a.expires_on = i.expires_on), t.id, t.status, t.due_date " \
    "FROM renewal_items i JOIN customers cu ON cu.id = i.customer_id " \
    "LEFT JOIN tasks t ON t.id = (SELECT x.id FROM tasks x WHERE x.renewal_id = i.id ORDER BY x.id DESC LIMIT 1) "
#define LIST_ALL_WHERE \
    "($2::text IS NULL OR i.kind = $2) AND ($3::text IS NULL OR i.expires_on > $3) " \
    "AND ($4::text IS NULL OR i.expires_on < $4) AND i.expires_on >= $5 AND (i.expires_on > $5 OR i.id > $6) " \
    "ORDER BY i.expires_on, i.id LIMIT $7"

enum err pg_renewal_list_all(struct store_conn *c, const struct renewal_query *q, struct renewal_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_text(&p, q->user_id);
    pg_p_text(&p, q->kind);
    pg_p_text(&p, q->expires_after);
    pg_p_text(&p, q->expires_before);
    pg_p_opt_text(&p, q->after_expires);
    pg_p_opt_text(&p, q->after_id);
    pg_p_int(&p, q->limit);
    struct renewal_row *a = calloc(q->limit > 0 ? (size_t)q->limit : 1, sizeof *a);
    if (!a) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, q->user_id[0] ? LIST_ALL_SELECT "WHERE i.customer_id = $1 AND " LIST_ALL_WHERE
                                            : LIST_ALL_SELECT "WHERE $1::text IS NULL AND " LIST_ALL_WHERE,
                           &p, &rc);
    if (!res) {
        free(a);
        return rc;
    }
    for (int r = 0; r < PQntuples(res) && *n < q->limit; r++) {
        struct renewal_row *row = &a[(*n)++];
        read_item(res, r, &row->item);
        pg_col_copy(res, r, 8, row->customer_name, sizeof row->customer_name);
        row->acted_min = pg_col_null(res, r, 9) ? RENEWAL_NONE_ACTED : (int)pg_col_int64(res, r, 9);
        pg_col_copy(res, r, 10, row->task_id, sizeof row->task_id);
        char status[16];
        pg_col_copy(res, r, 11, status, sizeof status);
        if (task_status_parse(status, &row->task_status) != 0) row->task_status = TASK_OPEN;
        pg_col_copy(res, r, 12, row->task_due, sizeof row->task_due);
    }
    PQclear(res);
    *out = a;
    return ERR_OK;
}
