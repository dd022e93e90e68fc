/* people.c (pg): who the service knows, staff and customers, and the
 * idempotency keys of its callers (API tokens and sessions are in
 * accounts.c). The same contracts as the SQLite backend's people.c
 * (store/ops.h says each op's); hashes travel as bytea. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

/* ---- staff and customers ----------------------------------------------------------- */

/* What staff_get and staff_list read: the row, whether it has a password
 * (never the hash) and the expiry of an unused invite (0: none). */
#define STAFF_READ                                                                                             \
    "SELECT s.id, s.name, s.email, s.active, s.created_at, s.updated_at, s.role, "                             \
    "(s.password_hash IS NOT NULL)::int, s.last_login_at, i.expires_at "                                       \
    "FROM staff s LEFT JOIN invites i ON i.staff_id = s.id "

static void read_staff(const PGresult *res, int r, struct staff *out)
{
    memset(out, 0, sizeof *out);
    pg_col_copy(res, r, 0, out->id, sizeof out->id);
    out->name = pg_col_dup(res, r, 1);
    out->email = pg_col_dup(res, r, 2);
    out->active = pg_col_int64(res, r, 3) != 0;
    out->created_at = pg_col_int64(res, r, 4);
    out->updated_at = pg_col_int64(res, r, 5);
    out->role = !pg_col_null(res, r, 6) && strcmp(PQgetvalue(res, r, 6), "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
    out->has_password = pg_col_int64(res, r, 7) != 0;
    out->last_login_at = pg_col_int64(res, r, 8);
    out->invite_expires_at = pg_col_int64(res, r, 9);
}

enum err pg_staff_get(struct store_conn *c, const char *id, struct staff *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, STAFF_READ "WHERE s.id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_staff(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

/* role only when st->role_set ($6 NULL otherwise): a new member is then an
 * agent, an existing one keeps theirs. The password, its time and the last
 * sign-in are the accounts ops' (accounts.c), never a put's. */
enum err pg_staff_put(struct store_conn *c, const struct staff *st, bool *created)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, st->id);
    pg_p_opt_text(&p, st->name);
    pg_p_opt_text(&p, st->email);
    pg_p_int(&p, st->active);
    pg_p_int(&p, st->updated_at);
    if (st->role_set)
        pg_p_opt_text(&p, st->role == ROLE_ADMIN ? "admin" : "agent");
    else
        pg_p_null(&p);
    return pg_put(c, "INSERT INTO staff (id, name, email, active, created_at, updated_at, role) "
                     "VALUES ($1, $2, $3, $4, $5, $5, coalesce($6::text, 'agent')) ON CONFLICT (id) DO NOTHING",
                  &p, "UPDATE staff SET name = $2, email = $3, active = $4, updated_at = $5, "
                      "role = coalesce($6::text, role) WHERE id = $1",
                  &p, created);
}

enum err pg_staff_list(struct store_conn *c, const char *after_id, int limit, struct staff **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, STAFF_READ "WHERE s.id > $1 ORDER BY s.id LIMIT $2", &p, &rc);
    if (!res) return rc;
    struct staff *a = calloc(limit > 0 ? (size_t)limit : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows && *n < limit; r++) read_staff(res, r, &a[(*n)++]);
    PQclear(res);
    *out = a;
    return ERR_OK;
}

#define CUSTOMER_COLS "id, name, email, owner_id, created_at, updated_at"

static void read_customer(const PGresult *res, int r, struct customer *out)
{
    memset(out, 0, sizeof *out);
    pg_col_copy(res, r, 0, out->id, sizeof out->id);
    out->name = pg_col_dup(res, r, 1);
    out->email = pg_col_dup(res, r, 2);
    pg_col_copy(res, r, 3, out->owner_id, sizeof out->owner_id);
    out->created_at = pg_col_int64(res, r, 4);
    out->updated_at = pg_col_int64(res, r, 5);
}

enum err pg_customer_get(struct store_conn *c, const char *id, struct customer *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_customer(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_customer_put(struct store_conn *c, const struct customer *cu, bool *created)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, cu->id);
    pg_p_opt_text(&p, cu->name);
    pg_p_opt_text(&p, cu->email);
    pg_p_text(&p, cu->owner_id); /* "" = none */
    pg_p_int(&p, cu->updated_at);
    return pg_put(c, "INSERT INTO customers (" CUSTOMER_COLS ") VALUES ($1, $2, $3, $4, $5, $5) "
                     "ON CONFLICT (id) DO NOTHING",
                  &p, "UPDATE customers SET name = $2, email = $3, owner_id = $4, updated_at = $5 WHERE id = $1", &p,
                  created);
}

enum err pg_customer_list(struct store_conn *c, const char *after_id, int limit, struct customer **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " CUSTOMER_COLS " FROM customers WHERE id > $1 ORDER BY id LIMIT $2", &p, &rc);
    if (!res) return rc;
    struct customer *a = calloc(limit > 0 ? (size_t)limit : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows && *n < limit; r++) read_customer(res, r, &a[(*n)++]);
    PQclear(res);
    *out = a;
    return ERR_OK;
}

/* ---- idempotency keys -------------------------------------------------------------- */

enum err pg_idem_get(struct store_conn *c, const char *scope, const char *key, unsigned char hash[32], int *status,
                     char **response)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, scope);
    pg_p_opt_text(&p, key);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT body_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    if (!pg_col_bytes(res, 0, 0, hash, 32)) memset(hash, 0, 32);
    *status = (int)pg_col_int64(res, 0, 1);
    *response = pg_col_dup(res, 0, 2);
    PQclear(res);
    return *response ? ERR_OK : ERR_INTERNAL;
}

/* A claimed key is a row with status 0 and no response until its put, seen
 * only by the transaction that claimed it. Another transaction's insert of
 * the same key waits on that row until the claimer commits (then does
 * nothing, and the look, a new statement, reads the committed answer) or
 * rolls back (then inserts: the key is free again). */
enum err pg_idem_claim(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32],
                       int64_t now, unsigned char stored[32], int *status, char **response)
{
    *response = NULL;
    struct pg_params p = {0};
    pg_p_opt_text(&p, scope);
    pg_p_opt_text(&p, key);
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, now);
    /* a key purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        int64_t n = 0;
        enum err rc = pg_cmd(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, created_at) "
                                "VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, key) DO NOTHING",
                             &p, &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) return ERR_OK;
        rc = pg_idem_get(c, scope, key, stored, status, response);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        if (*status == 0) { /* this transaction's own claim, unanswered: a caller's bug */
            free(*response);
            *response = NULL;
            return ERR_INTERNAL;
        }
        return ERR_DUPLICATE;
    }
    return ERR_INTERNAL;
}

enum err pg_idem_put(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32], int status,
                     const char *response, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, scope);
    pg_p_opt_text(&p, key);
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, status);
    pg_p_opt_text(&p, response);
    pg_p_int(&p, now);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, created_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO UPDATE SET "
                            "status = excluded.status, response = excluded.response "
                            "WHERE idempotency_keys.status = 0 AND idempotency_keys.body_hash = excluded.body_hash",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err pg_idem_task_set(struct store_conn *c, const char *scope, const char *key, const char *task_id,
                          int64_t version)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, task_id);
    pg_p_int(&p, version);
    pg_p_opt_text(&p, scope);
    pg_p_opt_text(&p, key);
    int64_t n = 0;
    enum err rc =
        pg_cmd(c, "UPDATE idempotency_keys SET task_id = $1, task_version = $2 WHERE scope = $3 AND key = $4", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_idem_task_get(struct store_conn *c, const char *scope, const char *key, char task_id[TASK_ID_SIZE],
                          int64_t *version)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, scope);
    pg_p_opt_text(&p, key);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT task_id, task_version FROM idempotency_keys "
                            "WHERE scope = $1 AND key = $2 AND task_id IS NOT NULL",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, task_id, TASK_ID_SIZE);
    *version = pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}

/* At most 2,000 a call, as in the SQLite backend: a purge is a job of the
 * writer's group and must not hold it long. */
enum err pg_idem_purge(struct store_conn *c, int64_t older_than_ms, int64_t *purged)
{
    struct pg_params p = {0};
    pg_p_int(&p, older_than_ms);
    return pg_cmd(c, "DELETE FROM idempotency_keys WHERE (scope, key) IN "
                     "(SELECT scope, key FROM idempotency_keys WHERE created_at < $1 LIMIT 2000)",
                  &p, purged);
}
