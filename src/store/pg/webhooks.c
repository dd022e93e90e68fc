/* webhooks.c (pg): webhooks, their outbox of deliveries and each try
 * (migration 011), the same contracts as the SQLite backend's webhooks.c.
 * The claim is one UPDATE whose WHERE repeats the lease condition: a second
 * instance claiming at once waits on the first's row locks, then re-checks
 * that condition on the rows as the first left them (READ COMMITTED) and
 * skips them; SKIP LOCKED lets it take other rows instead of waiting. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/ids.h"

#define WEBHOOK_COLS "id, url, events, event_mask, secret, active, created_at, updated_at"
#define DELIVERY_COLS "seq, id, webhook_id, task_id, event_type, state, occurred_at, created_at, next_at, tries"

static void read_webhook(const PGresult *res, int r, struct webhook_row *w)
{
    memset(w, 0, sizeof *w);
    pg_col_copy(res, r, 0, w->id, sizeof w->id);
    pg_col_copy(res, r, 1, w->url, sizeof w->url);
    pg_col_copy(res, r, 2, w->events, sizeof w->events);
    w->event_mask = pg_col_int64(res, r, 3);
    pg_col_copy(res, r, 4, w->secret, sizeof w->secret);
    w->active = pg_col_int64(res, r, 5) != 0;
    w->created_at = pg_col_int64(res, r, 6);
    w->updated_at = pg_col_int64(res, r, 7);
}

static void read_delivery(const PGresult *res, int r, struct webhook_delivery *d)
{
    memset(d, 0, sizeof *d);
    d->seq = pg_col_int64(res, r, 0);
    pg_col_copy(res, r, 1, d->id, sizeof d->id);
    pg_col_copy(res, r, 2, d->webhook_id, sizeof d->webhook_id);
    pg_col_copy(res, r, 3, d->task_id, sizeof d->task_id);
    pg_col_copy(res, r, 4, d->event_type, sizeof d->event_type);
    pg_col_copy(res, r, 5, d->state, sizeof d->state);
    d->occurred_at = pg_col_int64(res, r, 6);
    d->created_at = pg_col_int64(res, r, 7);
    d->next_at = pg_col_int64(res, r, 8);
    d->tries = (int)pg_col_int64(res, r, 9);
}

enum err pg_webhook_get(struct store_conn *c, const char *id, struct webhook_row *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_webhook(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_webhook_put(struct store_conn *c, const struct webhook_row *w, bool *created)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, w->id);
    pg_p_opt_text(&p, w->url);
    pg_p_opt_text(&p, w->events);
    pg_p_int(&p, w->event_mask);
    pg_p_opt_text(&p, w->secret);
    pg_p_int(&p, w->active ? 1 : 0);
    pg_p_int(&p, w->updated_at);
    pg_tx_calendar_forget(c); /* the active count this transaction kept */
    return pg_put(c,
                  "INSERT INTO webhooks (id, url, events, event_mask, secret, active, created_at, updated_at) "
                  "VALUES ($1, $2, $3, $4::bigint, $5, $6::integer, $7::bigint, $7::bigint) ON CONFLICT (id) DO NOTHING",
                  &p,
                  "UPDATE webhooks SET url = $2, events = $3, event_mask = $4::bigint, secret = $5, "
                  "active = $6::integer, updated_at = $7::bigint WHERE id = $1",
                  &p, created);
}

enum err pg_webhook_delete(struct store_conn *c, const char *id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_tx_calendar_forget(c); /* the active count this transaction kept */
    enum err rc = pg_cmd(c, "DELETE FROM webhook_attempts WHERE delivery_id IN "
                            "(SELECT id FROM webhook_deliveries WHERE webhook_id = $1)", &p, NULL);
    if (rc == ERR_OK) rc = pg_cmd(c, "DELETE FROM webhook_deliveries WHERE webhook_id = $1", &p, NULL);
    int64_t n = 0;
    if (rc == ERR_OK) rc = pg_cmd(c, "DELETE FROM webhooks WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_webhook_list(struct store_conn *c, const char *after_id, int limit, struct webhook_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2::integer", &p,
                           &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    struct webhook_row *a = malloc(sizeof *a * (size_t)(rows > 0 ? rows : 1));
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) read_webhook(res, i, &a[i]);
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

/* Once a group transaction: every create asks (webhooks.c's sink), and a
 * round trip each would be a third of a create's cost. */
enum err pg_webhook_active_count(struct store_conn *c, int64_t *n)
{
    if (pg_tx_webhooks(c, n)) return ERR_OK;
    PGresult *res;
    enum err rc = pg_row(c, "SELECT count(*) FROM webhooks WHERE active = 1", NULL, &res);
    if (rc != ERR_OK) return rc;
    *n = pg_col_int64(res, 0, 0);
    PQclear(res);
    pg_tx_webhooks_keep(c, *n);
    return ERR_OK;
}

enum err pg_webhook_outbox_add(struct store_conn *c, int64_t type_bit, const char *event_type, const char *task_id,
                               int64_t occurred_at, const char *data, int64_t now_ms, int *added)
{
    *added = 0;
    /* one statement: every subscribed webhook gets its row, each id made in
     * C beforehand would cost a round trip to learn how many; the ids are
     * "dlv_" + a time-ordered prefix from C and the row's own suffix */
    char base[WEBHOOK_DELIVERY_ID_SIZE];
    ids_new("dlv_", now_ms, base, sizeof base);
    struct pg_params p = {0};
    pg_p_int(&p, type_bit);
    pg_p_opt_text(&p, event_type);
    pg_p_opt_text(&p, task_id ? task_id : "");
    pg_p_int(&p, occurred_at);
    pg_p_opt_text(&p, data);
    pg_p_int(&p, now_ms);
    pg_p_opt_text(&p, base);
    int64_t n = 0;
    /* the first row keeps the id C made; further ones (rare: several
     * webhooks for one event) change its last 6 random characters for
     * their own random ones, from the Crockford alphabet */
    enum err rc = pg_cmd(
        c,
        "INSERT INTO webhook_deliveries (id, webhook_id, task_id, event_type, occurred_at, data, state, created_at, "
        "first_try_at, next_at) "
        "SELECT CASE WHEN k = 1 THEN $7 ELSE left($7, 24) || (SELECT string_agg(substr("
        "'0123456789ABCDEFGHJKMNPQRSTVWXYZ', 1 + floor(random() * 32)::integer, 1), '') "
        "FROM generate_series(1, 6) WHERE k > 0) END, "
        "id, $3, $2, $4::bigint, $5, 'pending', $6::bigint, $6::bigint, $6::bigint FROM ("
        "SELECT id, row_number() OVER (ORDER BY id) AS k FROM webhooks "
        "WHERE active = 1 AND (event_mask & $1::bigint) <> 0) w",
        &p, &n);
    if (rc != ERR_OK) return rc;
    *added = (int)n;
    return ERR_OK;
}

enum err pg_webhook_deliveries(struct store_conn *c, const char *webhook_id, const char *before_id, int limit,
                               struct webhook_delivery **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, webhook_id);
    pg_p_opt_text(&p, before_id);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE webhook_id = $1 "
                              "AND ($2::text IS NULL OR seq < (SELECT seq FROM webhook_deliveries WHERE id = $2)) "
                              "ORDER BY seq DESC LIMIT $3::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    struct webhook_delivery *a = malloc(sizeof *a * (size_t)(rows > 0 ? rows : 1));
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) read_delivery(res, i, &a[i]);
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_webhook_delivery_get(struct store_conn *c, const char *webhook_id, const char *id,
                                 struct webhook_delivery *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, webhook_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2", &p,
                         &res);
    if (rc != ERR_OK) return rc;
    read_delivery(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_webhook_attempts(struct store_conn *c, const char *delivery_id, int max, struct webhook_attempt **out,
                             int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, delivery_id);
    pg_p_int(&p, max);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT n, at, status_code, ms, response FROM webhook_attempts WHERE delivery_id = $1 "
                              "ORDER BY n LIMIT $2::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > max) rows = max;
    struct webhook_attempt *a = rows ? malloc(sizeof *a * (size_t)rows) : NULL;
    if (rows && !a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) {
        a[i].n = (int)pg_col_int64(res, i, 0);
        a[i].at = pg_col_int64(res, i, 1);
        a[i].status_code = pg_col_null(res, i, 2) ? 0 : (int)pg_col_int64(res, i, 2);
        a[i].ms = pg_col_int64(res, i, 3);
        pg_col_copy(res, i, 4, a[i].response, sizeof a[i].response);
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_webhook_redeliver(struct store_conn *c, const char *webhook_id, const char *id, int64_t now_ms)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, webhook_id);
    pg_p_int(&p, now_ms);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE webhook_deliveries SET state = 'pending', first_try_at = $3::bigint, "
                            "next_at = $3::bigint, tries = 0, lease_owner = NULL, lease_until = 0 "
                            "WHERE id = $1 AND webhook_id = $2",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_webhook_due(struct store_conn *c, int64_t now_ms, bool *due)
{
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'pending' "
                            "AND next_at <= $1::bigint AND lease_until <= $1::bigint)",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    const char *v = PQgetvalue(res, 0, 0);
    *due = v && v[0] == 't';
    PQclear(res);
    return ERR_OK;
}

enum err pg_webhook_claim(struct store_conn *c, const char *owner, int64_t now_ms, int64_t lease_until, int limit,
                          struct webhook_claim **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, owner);
    pg_p_int(&p, now_ms);
    pg_p_int(&p, lease_until);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(
        c,
        /* the candidates once, MATERIALIZED: as "seq IN (SELECT ... LIMIT)" the
         * planner may run the subquery again for each row it checks, and
         * so lease more rows than the limit (and slowly) */
        "WITH cand AS MATERIALIZED (SELECT d.seq FROM webhook_deliveries d WHERE d.state = 'pending' "
        "AND d.next_at <= $2::bigint AND d.lease_until <= $2::bigint "
        "AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.active = 1) "
        "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.state = 'pending' "
        "AND e.webhook_id = d.webhook_id AND e.task_id = d.task_id AND e.seq < d.seq) "
        "ORDER BY d.next_at, d.seq LIMIT $4::integer FOR UPDATE OF d SKIP LOCKED), "
        "claimed AS (UPDATE webhook_deliveries x SET lease_owner = $1, lease_until = $3::bigint FROM cand "
        "WHERE x.seq = cand.seq AND x.state = 'pending' AND x.lease_until <= $2::bigint "
        "RETURNING x.seq, x.id, x.webhook_id, x.event_type, x.occurred_at, x.first_try_at, x.tries, x.data) "
        "SELECT k.seq, k.id, k.webhook_id, k.event_type, k.occurred_at, k.first_try_at, k.tries, k.data, w.url, "
        "w.secret FROM claimed k JOIN webhooks w ON w.id = k.webhook_id ORDER BY k.seq",
        &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return ERR_OK;
    }
    struct webhook_claim *a = calloc((size_t)rows, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) {
        struct webhook_claim *w = &a[i];
        w->seq = pg_col_int64(res, i, 0);
        pg_col_copy(res, i, 1, w->id, sizeof w->id);
        pg_col_copy(res, i, 2, w->webhook_id, sizeof w->webhook_id);
        pg_col_copy(res, i, 3, w->event_type, sizeof w->event_type);
        w->occurred_at = pg_col_int64(res, i, 4);
        w->first_try_at = pg_col_int64(res, i, 5);
        w->tries = (int)pg_col_int64(res, i, 6);
        w->data = pg_col_dup(res, i, 7);
        pg_col_copy(res, i, 8, w->url, sizeof w->url);
        pg_col_copy(res, i, 9, w->secret, sizeof w->secret);
        if (!w->data) {
            PQclear(res);
            store_webhook_claims_free(a, i + 1);
            return ERR_INTERNAL;
        }
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_webhook_result(struct store_conn *c, const char *owner, const struct webhook_result *r)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, r->id);
    pg_p_int(&p, r->attempt.at);
    if (r->attempt.status_code > 0) pg_p_int(&p, r->attempt.status_code);
    else pg_p_null(&p);
    pg_p_int(&p, r->attempt.ms);
    pg_p_opt_text(&p, r->attempt.response);
    enum err rc = pg_cmd(c, "INSERT INTO webhook_attempts (delivery_id, n, at, status_code, ms, response) "
                            "VALUES ($1, (SELECT coalesce(max(n), 0) + 1 FROM webhook_attempts WHERE delivery_id = $1), "
                            "$2::bigint, $3::integer, $4::bigint, $5)",
                         &p, NULL);
    if (rc != ERR_OK) return rc;
    struct pg_params q = {0};
    pg_p_opt_text(&q, r->id);
    pg_p_opt_text(&q, owner);
    pg_p_opt_text(&q, r->state);
    pg_p_int(&q, r->next_at);
    return pg_cmd(c, "UPDATE webhook_deliveries SET state = $3, next_at = $4::bigint, tries = tries + 1, "
                     "lease_owner = NULL, lease_until = 0 WHERE id = $1 AND lease_owner = $2",
                  &q, NULL);
}
