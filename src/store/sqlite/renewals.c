/* renewals.c (sqlite): renewable items, the renewal policy and the engine's
 * actions (migration 005). The engine finds its work through the partial
 * index on next_due, and the primary key of renewal_actions is what makes
 * each (item, expiry date, threshold) act exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

#define ITEM_COLS "id, customer_id, kind, expires_on, assignee_id, next_due, created_at, updated_at"

static void read_item(sqlite3_stmt *st, struct renewal_item *it)
{
    memset(it, 0, sizeof *it);
    sqlite_col_copy(st, 0, it->id, sizeof it->id);
    sqlite_col_copy(st, 1, it->customer_id, sizeof it->customer_id);
    sqlite_col_copy(st, 2, it->kind, sizeof it->kind);
    sqlite_col_copy(st, 3, it->expires_on, sizeof it->expires_on);
    sqlite_col_copy(st, 4, it->assignee_id, sizeof it->assignee_id);
    sqlite_col_copy(st, 5, it->next_due, sizeof it->next_due);
    it->created_at = sqlite3_column_int64(st, 6);
    it->updated_at = sqlite3_column_int64(st, 7);
}

enum err sqlite_renewal_get(struct store_conn *c, const char *id, struct renewal_item *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " ITEM_COLS " FROM renewal_items WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "renewal_get");
    if (found != ERR_OK) return found;
    read_item(st, out);
    sqlite_done(st);
    return ERR_OK;
}

static void bind_item(sqlite3_stmt *st, const void *row)
{
    const struct renewal_item *it = row;
    sqlite3_bind_text(st, 1, it->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, it->customer_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, it->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, it->expires_on, -1, SQLITE_TRANSIENT);
    sqlite_bind_text(st, 5, it->assignee_id);
    sqlite_bind_text(st, 6, it->next_due);
    sqlite3_bind_int64(st, 7, it->created_at);
    sqlite3_bind_int64(st, 8, it->updated_at);
}

enum err sqlite_renewal_put(struct store_conn *c, const struct renewal_item *it, bool *created)
{
    return sqlite_put(c, "INSERT INTO renewal_items (" ITEM_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                         "ON CONFLICT (id) DO NOTHING",
                      "UPDATE renewal_items SET customer_id = ?2, kind = ?3, expires_on = ?4, assignee_id = ?5, "
                      "next_due = ?6, updated_at = ?8 WHERE id = ?1",
                      bind_item, it, created);
}

enum err sqlite_renewal_delete(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM renewal_items WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_delete");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_renewal_list(struct store_conn *c, const char *customer_id, const char *after_id, int limit,
                             struct renewal_item **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " ITEM_COLS " FROM renewal_items WHERE customer_id = ? AND id > ? "
                                      "ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    struct renewal_item *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, customer_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) read_item(st, &a[(*n)++]);
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "renewal_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_renewal_due(struct store_conn *c, const char *today, const char *after_due, const char *after_id,
                            int limit, char ***ids, char ***dues, int *n)
{
    *ids = *dues = NULL;
    *n = 0;
    /* (next_due, id) > (after_due, id), led by next_due >= after_due so the
     * index range starts at the cursor */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, next_due FROM renewal_items INDEXED BY renewal_items_next_due "
                                      "WHERE next_due IS NOT NULL AND next_due <= ?1 AND next_due >= ?2 "
                                      "AND (next_due > ?2 OR id > ?3) ORDER BY next_due, id LIMIT ?4");
    if (!st) return ERR_INTERNAL;
    char **a = calloc((size_t)limit, sizeof *a), **d = calloc((size_t)limit, sizeof *d);
    if (!a || !d) {
        free(a);
        free(d);
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, after_due, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, after_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, limit);
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        a[*n] = strdup((const char *)sqlite3_column_text(st, 0));
        d[*n] = strdup((const char *)sqlite3_column_text(st, 1));
        if (!a[*n] || !d[*n]) {
            free(a[*n]);
            free(d[*n]);
            rc = SQLITE_NOMEM;
            break;
        }
        (*n)++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++) free(a[i]), free(d[i]);
        free(a);
        free(d);
        *n = 0;
        return sqlite_fail(c, st, "renewal_due");
    }
    sqlite_done(st);
    *ids = a;
    *dues = d;
    return ERR_OK;
}

enum err sqlite_renewal_set_next_due(struct store_conn *c, const char *id, const char *next_due)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE renewal_items SET next_due = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite_bind_text(st, 1, next_due);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_set_next_due");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_renewal_reset_next_due(struct store_conn *c, int max_days_before)
{
    /* conservative: the earliest day any threshold can be crossed; the next
     * pass looks at each such item once and sets its exact next_due */
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE renewal_items SET next_due = date(expires_on, printf('-%d days', ?))");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int(st, 1, max_days_before);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_reset_next_due");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_renewal_acted_min(struct store_conn *c, const char *id, const char *expires_on, int *acted_min)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT min(days_before) FROM renewal_actions WHERE renewal_id = ? AND expires_on = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, expires_on, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "renewal_acted_min");
    *acted_min = sqlite3_column_type(st, 0) == SQLITE_NULL ? RENEWAL_NONE_ACTED : sqlite3_column_int(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_renewal_action_insert(struct store_conn *c, const char *id, const char *expires_on, int days_before,
                                      const char *action, const char *task_id, int64_t at)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO renewal_actions (renewal_id, expires_on, days_before, action, "
                                      "task_id, at) VALUES (?, ?, ?, ?, ?, ?) "
                                      "ON CONFLICT (renewal_id, expires_on, days_before) DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, expires_on, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, days_before);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, at);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_action_insert");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err sqlite_renewal_actions(struct store_conn *c, const char *id, int max, struct renewal_action_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* the primary key's prefix: one item's few rows */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT expires_on, days_before, action, task_id, at FROM renewal_actions "
                                      "WHERE renewal_id = ? ORDER BY at, days_before DESC LIMIT ?");
    if (!st) return ERR_INTERNAL;
    struct renewal_action_row *a = calloc((size_t)(max > 0 ? max : 1), sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, max);
    int rc = SQLITE_DONE;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct renewal_action_row *x = &a[(*n)++];
        sqlite_col_copy(st, 0, x->expires_on, sizeof x->expires_on);
        x->days_before = sqlite3_column_int(st, 1);
        sqlite_col_copy(st, 2, x->action, sizeof x->action);
        sqlite_col_copy(st, 3, x->task_id, sizeof x->task_id);
        x->at = sqlite3_column_int64(st, 4);
    }
    if (*n < max && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "renewal_actions");
    }
    sqlite_done(st);
    if (*n) *out = a;
    else free(a);
    return ERR_OK;
}

enum err sqlite_renewal_latest_task(struct store_conn *c, const char *renewal_id, char task_id[TASK_ID_SIZE])
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_by_renewal WHERE renewal_id = ? "
                                      "ORDER BY id DESC LIMIT 1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, renewal_id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "renewal_latest_task");
    if (found != ERR_OK) return found;
    sqlite_col_copy(st, 0, task_id, TASK_ID_SIZE);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_renewal_policy_get(struct store_conn *c, struct renewal_policy *out)
{
    renewal_policy_default(out);
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT title FROM renewal_policy WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) sqlite_col_copy(st, 0, out->title, sizeof out->title);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_fail(c, st, "renewal_policy_get");
    sqlite_done(st);
    if (rc == SQLITE_DONE) return ERR_OK; /* never written: the defaults */
    st = sqlite_stmt(c, "SELECT days_before, priority, due_in_days, sla_hours FROM renewal_thresholds "
                        "ORDER BY days_before DESC LIMIT " /* RENEWAL_MAX_THRESHOLDS */ "16");
    if (!st) return ERR_INTERNAL;
    out->n = 0;
    while (out->n < RENEWAL_MAX_THRESHOLDS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct renewal_threshold *t = &out->t[out->n++];
        t->days_before = sqlite3_column_int(st, 0);
        if (task_priority_parse((const char *)sqlite3_column_text(st, 1), &t->priority) != 0)
            t->priority = PRIORITY_MEDIUM;
        t->due_in_days = sqlite3_column_int(st, 2);
        t->has_sla = sqlite3_column_type(st, 3) != SQLITE_NULL;
        t->sla_hours = t->has_sla ? sqlite3_column_double(st, 3) : 0;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_fail(c, st, "renewal_policy_get");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_renewal_policy_put(struct store_conn *c, const struct renewal_policy *p, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO renewal_policy (id, title, updated_at) VALUES (1, ?, ?) "
                                      "ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, p->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_policy_put");
    sqlite_done(st);
    st = sqlite_stmt(c, "DELETE FROM renewal_thresholds");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_policy_put");
    sqlite_done(st);
    for (int i = 0; i < p->n; i++) {
        st = sqlite_stmt(c, "INSERT INTO renewal_thresholds (days_before, priority, due_in_days, sla_hours) "
                            "VALUES (?, ?, ?, ?)");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_int(st, 1, p->t[i].days_before);
        sqlite3_bind_text(st, 2, task_priority_name(p->t[i].priority), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, p->t[i].due_in_days);
        if (p->t[i].has_sla)
            sqlite3_bind_double(st, 4, p->t[i].sla_hours);
        else
            sqlite3_bind_null(st, 4);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "renewal_policy_put");
        sqlite_done(st);
    }
    return ERR_OK;
}

/* The list across customers: the item, its customer's name, acted_min for
 * its expiry date, and its newest task (through tasks_by_renewal). With a
 * customer the rows come from renewal_items_by_customer and are sorted (one
 * customer's few items); without one, renewal_items_by_expiry gives them in
 * order from the cursor on (two statements, so each has its own plan). */
#define LIST_ALL_SELECT \
    "SELECT i.id, i.customer_id, i.kind, i.expires_on, i.assignee_id, i.next_due, i.created_at, i.updated_at, " \
    "cu.name, (SELECT min(a.days_before) FROM renewal_actions a WHERE a.renewal_id = i.id " \
    "AND a.expires_on = i.expires_on), t.id, t.status, t.due_date " \
    "FROM renewal_items i JOIN customers cu ON cu.id = i.customer_id " \
    "LEFT JOIN tasks t ON t.id = (SELECT x.id FROM tasks x INDEXED BY tasks_by_renewal WHERE x.renewal_id = i.id " \
    "ORDER BY x.id DESC LIMIT 1) "
#define LIST_ALL_WHERE \
    "(?2 = '' OR i.kind = ?2) AND (?3 = '' OR i.expires_on > ?3) AND (?4 = '' OR i.expires_on < ?4) " \
    "AND i.expires_on >= ?5 AND (i.expires_on > ?5 OR i.id > ?6) ORDER BY i.expires_on, i.id LIMIT ?7"

enum err sqlite_renewal_list_all(struct store_conn *c, const struct renewal_query *q, struct renewal_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, q->user_id[0]
                                          ? LIST_ALL_SELECT "WHERE i.customer_id = ?1 AND " LIST_ALL_WHERE
                                          : LIST_ALL_SELECT "WHERE ?1 = '' AND " LIST_ALL_WHERE);
    if (!st) return ERR_INTERNAL;
    struct renewal_row *a = calloc(q->limit > 0 ? (size_t)q->limit : 1, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, q->user_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, q->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, q->expires_after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, q->expires_before, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, q->after_expires, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, q->after_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, q->limit);
    int rc = SQLITE_DONE;
    while (*n < q->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct renewal_row *r = &a[(*n)++];
        read_item(st, &r->item);
        sqlite_col_copy(st, 8, r->customer_name, sizeof r->customer_name);
        r->acted_min = sqlite3_column_type(st, 9) == SQLITE_NULL ? RENEWAL_NONE_ACTED : sqlite3_column_int(st, 9);
        sqlite_col_copy(st, 10, r->task_id, sizeof r->task_id);
        const char *status = (const char *)sqlite3_column_text(st, 11);
        if (!status || task_status_parse(status, &r->task_status) != 0) r->task_status = TASK_OPEN;
        sqlite_col_copy(st, 12, r->task_due, sizeof r->task_due);
    }
    if (*n < q->limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "renewal_list_all");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}
