/* webhooks.c (sqlite): webhooks, their outbox of deliveries and each try
 * (migration 018). What two senders could race on is decided by the claim's
 * conditional UPDATE (a lease that is free or ran out), and a result is
 * written only under the lease it was claimed with. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"
#include "util/ids.h"

#define WEBHOOK_COLS "id, url, events, event_mask, secret, active, created_at, updated_at"
#define DELIVERY_COLS "seq, id, webhook_id, task_id, event_type, state, occurred_at, created_at, next_at, tries"

static void read_webhook(sqlite3_stmt *st, struct webhook_row *w)
{
    memset(w, 0, sizeof *w);
    sqlite_col_copy(st, 0, w->id, sizeof w->id);
    sqlite_col_copy(st, 1, w->url, sizeof w->url);
    sqlite_col_copy(st, 2, w->events, sizeof w->events);
    w->event_mask = sqlite3_column_int64(st, 3);
    sqlite_col_copy(st, 4, w->secret, sizeof w->secret);
    w->active = sqlite3_column_int(st, 5) != 0;
    w->created_at = sqlite3_column_int64(st, 6);
    w->updated_at = sqlite3_column_int64(st, 7);
}

static void read_delivery(sqlite3_stmt *st, struct webhook_delivery *d)
{
    memset(d, 0, sizeof *d);
    d->seq = sqlite3_column_int64(st, 0);
    sqlite_col_copy(st, 1, d->id, sizeof d->id);
    sqlite_col_copy(st, 2, d->webhook_id, sizeof d->webhook_id);
    sqlite_col_copy(st, 3, d->task_id, sizeof d->task_id);
    sqlite_col_copy(st, 4, d->event_type, sizeof d->event_type);
    sqlite_col_copy(st, 5, d->state, sizeof d->state);
    d->occurred_at = sqlite3_column_int64(st, 6);
    d->created_at = sqlite3_column_int64(st, 7);
    d->next_at = sqlite3_column_int64(st, 8);
    d->tries = sqlite3_column_int(st, 9);
}

/* Steps a statement without rows: ERR_OK with *n (may be NULL) the rows it changed. */
static enum err run(struct store_conn *c, sqlite3_stmt *st, const char *what, int *n)
{
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, what);
    sqlite_done(st);
    if (n) *n = sqlite3_changes(sqlite_db(c));
    return ERR_OK;
}

enum err sqlite_webhook_get(struct store_conn *c, const char *id, struct webhook_row *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "webhook_get");
    if (rc != ERR_OK) return rc;
    read_webhook(st, out);
    sqlite_done(st);
    return ERR_OK;
}

static void bind_webhook(sqlite3_stmt *st, const void *row)
{
    const struct webhook_row *w = row;
    sqlite3_bind_text(st, 1, w->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, w->url, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, w->events, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, w->event_mask);
    sqlite3_bind_text(st, 5, w->secret, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, w->active);
    sqlite3_bind_int64(st, 7, w->updated_at);
}

enum err sqlite_webhook_put(struct store_conn *c, const struct webhook_row *w, bool *created)
{
    return sqlite_put(c, "INSERT INTO webhooks (id, url, events, event_mask, secret, active, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (id) DO NOTHING",
                      "UPDATE webhooks SET url = ?2, events = ?3, event_mask = ?4, secret = ?5, active = ?6, "
                      "updated_at = ?7 WHERE id = ?1",
                      bind_webhook, w, created);
}

enum err sqlite_webhook_delete(struct store_conn *c, const char *id)
{
    static const char *const sql[] = {
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?1)",
        "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
        "DELETE FROM webhooks WHERE id = ?1",
    };
    int n = 0;
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = sqlite_stmt(c, sql[i]);
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        enum err rc = run(c, st, "webhook_delete", &n);
        if (rc != ERR_OK) return rc;
    }
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_webhook_list(struct store_conn *c, const char *after_id, int limit, struct webhook_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id > ?1 ORDER BY id LIMIT ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct webhook_row *a = malloc(sizeof *a * (size_t)(limit > 0 ? limit : 1));
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) read_webhook(st, &a[(*n)++]);
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "webhook_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_webhook_active_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM webhooks WHERE active = 1");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "webhook_active_count");
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

#define OUTBOX_MAX 64 /* webhooks one event is written for at once (more in further rounds) */

enum err sqlite_webhook_outbox_add(struct store_conn *c, int64_t type_bit, const char *event_type, const char *task_id,
                                   int64_t occurred_at, const char *data, int64_t now_ms, int *added)
{
    *added = 0;
    char after[EXT_ID_SIZE] = "";
    for (;;) {
        char ids[OUTBOX_MAX][EXT_ID_SIZE];
        int k = 0;
        sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM webhooks WHERE active = 1 AND (event_mask & ?1) <> 0 "
                                          "AND id > ?2 ORDER BY id LIMIT ?3");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_int64(st, 1, type_bit);
        sqlite3_bind_text(st, 2, after, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, OUTBOX_MAX);
        int rc;
        while (k < OUTBOX_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) sqlite_col_copy(st, 0, ids[k++], EXT_ID_SIZE);
        if (k < OUTBOX_MAX && rc != SQLITE_DONE) return sqlite_fail(c, st, "webhook_outbox_add");
        sqlite_done(st);
        for (int i = 0; i < k; i++) {
            char id[WEBHOOK_DELIVERY_ID_SIZE];
            ids_new("dlv_", now_ms, id, sizeof id);
            st = sqlite_stmt(c, "INSERT INTO webhook_deliveries (id, webhook_id, task_id, event_type, occurred_at, "
                                "data, state, created_at, first_try_at, next_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, ?7)");
            if (!st) return ERR_INTERNAL;
            sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, task_id ? task_id : "", -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, event_type, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 5, occurred_at);
            sqlite3_bind_text(st, 6, data, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 7, now_ms);
            enum err e = run(c, st, "webhook_outbox_add insert", NULL);
            if (e != ERR_OK) return e;
            (*added)++;
        }
        if (k < OUTBOX_MAX) return ERR_OK;
        memcpy(after, ids[k - 1], EXT_ID_SIZE);
    }
}

enum err sqlite_webhook_deliveries(struct store_conn *c, const char *webhook_id, const char *before_id, int limit,
                                   struct webhook_delivery **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE webhook_id = ?1 "
                                      "AND (?2 IS NULL OR seq < (SELECT seq FROM webhook_deliveries WHERE id = ?2)) "
                                      "ORDER BY seq DESC LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, webhook_id, -1, SQLITE_TRANSIENT);
    sqlite_bind_opt_text(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    struct webhook_delivery *a = malloc(sizeof *a * (size_t)(limit > 0 ? limit : 1));
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) read_delivery(st, &a[(*n)++]);
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "webhook_deliveries");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_webhook_delivery_get(struct store_conn *c, const char *webhook_id, const char *id,
                                     struct webhook_delivery *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE id = ?1 AND webhook_id = ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, webhook_id, -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "webhook_delivery_get");
    if (rc != ERR_OK) return rc;
    read_delivery(st, out);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_webhook_attempts(struct store_conn *c, const char *delivery_id, int max, struct webhook_attempt **out,
                                 int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT n, at, status_code, ms, response FROM webhook_attempts "
                                      "WHERE delivery_id = ?1 ORDER BY n LIMIT ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, delivery_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, max);
    struct webhook_attempt *a = NULL;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 4;
            struct webhook_attempt *p = realloc(a, sizeof *a * (size_t)ncap);
            if (!p) {
                free(a);
                sqlite_done(st);
                *n = 0;
                return ERR_INTERNAL;
            }
            a = p;
            cap = ncap;
        }
        struct webhook_attempt *t = &a[(*n)++];
        t->n = sqlite3_column_int(st, 0);
        t->at = sqlite3_column_int64(st, 1);
        t->status_code = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 2);
        t->ms = sqlite3_column_int64(st, 3);
        sqlite_col_copy(st, 4, t->response, sizeof t->response);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "webhook_attempts");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_webhook_redeliver(struct store_conn *c, const char *webhook_id, const char *id, int64_t now_ms)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE webhook_deliveries SET state = 'pending', first_try_at = ?3, "
                                      "next_at = ?3, tries = 0, lease_owner = NULL, lease_until = 0 "
                                      "WHERE id = ?1 AND webhook_id = ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, webhook_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    int n = 0;
    enum err rc = run(c, st, "webhook_redeliver", &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_webhook_due(struct store_conn *c, int64_t now_ms, bool *due)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'pending' "
                                      "AND next_at <= ?1 AND lease_until <= ?1)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "webhook_due");
    *due = sqlite3_column_int(st, 0) != 0;
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_webhook_claim(struct store_conn *c, const char *owner, int64_t now_ms, int64_t lease_until, int limit,
                              struct webhook_claim **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct webhook_claim *a = calloc((size_t)(limit > 0 ? limit : 1), sizeof *a);
    if (!a) return ERR_INTERNAL;
    /* the lease is taken by the UPDATE itself, its WHERE repeating the
     * conditions the candidates were chosen by; RETURNING names the rows
     * (a look-up by lease_owner would scan the table) */
    sqlite3_stmt *st = sqlite_stmt(
        c, "UPDATE webhook_deliveries SET lease_owner = ?1, lease_until = ?3 WHERE seq IN ("
           "SELECT d.seq FROM webhook_deliveries d WHERE d.state = 'pending' AND d.next_at <= ?2 "
           "AND d.lease_until <= ?2 "
           "AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.active = 1) "
           "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.state = 'pending' "
           "AND e.webhook_id = d.webhook_id AND e.task_id = d.task_id AND e.seq < d.seq) "
           "ORDER BY d.next_at, d.seq LIMIT ?4) AND state = 'pending' AND lease_until <= ?2 "
           "RETURNING seq, id, webhook_id, event_type, occurred_at, first_try_at, tries, data");
    if (!st) {
        free(a);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, lease_until);
    sqlite3_bind_int(st, 4, limit);
    int step;
    bool oom = false;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n >= limit) continue; /* cannot happen: LIMIT */
        struct webhook_claim *w = &a[(*n)++];
        w->seq = sqlite3_column_int64(st, 0);
        sqlite_col_copy(st, 1, w->id, sizeof w->id);
        sqlite_col_copy(st, 2, w->webhook_id, sizeof w->webhook_id);
        sqlite_col_copy(st, 3, w->event_type, sizeof w->event_type);
        w->occurred_at = sqlite3_column_int64(st, 4);
        w->first_try_at = sqlite3_column_int64(st, 5);
        w->tries = sqlite3_column_int(st, 6);
        if (!(w->data = sqlite_col_dup(st, 7))) oom = true;
    }
    if (step != SQLITE_DONE) {
        store_webhook_claims_free(a, *n);
        *n = 0;
        return sqlite_fail(c, st, "webhook_claim");
    }
    sqlite_done(st);
    /* each claimed row's URL and secret (claims are mostly of one webhook) */
    for (int i = 0; i < *n && !oom; i++) {
        if (i > 0 && strcmp(a[i].webhook_id, a[i - 1].webhook_id) == 0) {
            memcpy(a[i].url, a[i - 1].url, sizeof a[i].url);
            memcpy(a[i].secret, a[i - 1].secret, sizeof a[i].secret);
            continue;
        }
        st = sqlite_stmt(c, "SELECT url, secret FROM webhooks WHERE id = ?1");
        if (!st) {
            oom = true;
            break;
        }
        sqlite3_bind_text(st, 1, a[i].webhook_id, -1, SQLITE_TRANSIENT);
        enum err rc = sqlite_step_row(c, st, "webhook_claim webhook");
        if (rc == ERR_OK) {
            sqlite_col_copy(st, 0, a[i].url, sizeof a[i].url);
            sqlite_col_copy(st, 1, a[i].secret, sizeof a[i].secret);
            sqlite_done(st);
        } else if (rc != ERR_NOT_FOUND) {
            store_webhook_claims_free(a, *n);
            *n = 0;
            return rc;
        }
    }
    if (oom) {
        store_webhook_claims_free(a, *n);
        *n = 0;
        return ERR_INTERNAL;
    }
    *out = a;
    return ERR_OK;
}

enum err sqlite_webhook_result(struct store_conn *c, const char *owner, const struct webhook_result *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO webhook_attempts (delivery_id, n, at, status_code, ms, response) "
                                      "VALUES (?1, (SELECT coalesce(max(n), 0) + 1 FROM webhook_attempts "
                                      "WHERE delivery_id = ?1), ?2, ?3, ?4, ?5)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->attempt.at);
    if (r->attempt.status_code > 0) sqlite3_bind_int(st, 3, r->attempt.status_code);
    else sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, r->attempt.ms);
    sqlite3_bind_text(st, 5, r->attempt.response, -1, SQLITE_TRANSIENT);
    enum err rc = run(c, st, "webhook_result attempt", NULL);
    if (rc != ERR_OK) return rc;
    st = sqlite_stmt(c, "UPDATE webhook_deliveries SET state = ?3, next_at = ?4, tries = tries + 1, "
                        "lease_owner = NULL, lease_until = 0 WHERE id = ?1 AND lease_owner = ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, r->next_at);
    return run(c, st, "webhook_result", NULL);
}
