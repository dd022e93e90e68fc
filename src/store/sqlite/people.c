/* people.c (sqlite): who the service knows: staff and customers, and the
 * idempotency keys of the callers. Tokens, sessions and the rest of staff
 * accounts are in accounts.c. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* A staff row as STAFF_SELECT reads it. invite_expires_at is the unused
 * invite's expiry, even when it has passed (the caller compares it with its
 * clock); has_password says only whether a hash is stored. */
#define STAFF_SELECT                                                                                     \
    "SELECT s.id, s.name, s.email, s.active, s.created_at, s.updated_at, s.role, "                       \
    "s.password_hash IS NOT NULL, s.last_login_at, i.expires_at "                                         \
    "FROM staff s LEFT JOIN invites i ON i.staff_id = s.id "

static void read_staff(sqlite3_stmt *st, struct staff *out)
{
    memset(out, 0, sizeof *out);
    sqlite_col_copy(st, 0, out->id, sizeof out->id);
    out->name = sqlite_col_dup(st, 1);
    out->email = sqlite_col_dup(st, 2);
    out->active = sqlite3_column_int(st, 3) != 0;
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
    const char *role = (const char *)sqlite3_column_text(st, 6);
    out->role = role && strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
    out->has_password = sqlite3_column_int(st, 7) != 0;
    out->last_login_at = sqlite3_column_int64(st, 8);      /* NULL reads 0 */
    out->invite_expires_at = sqlite3_column_int64(st, 9);
}

enum err sqlite_staff_get(struct store_conn *c, const char *id, struct staff *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, STAFF_SELECT "WHERE s.id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "staff_get");
    if (found != ERR_OK) return found;
    read_staff(st, out);
    sqlite_done(st);
    return ERR_OK;
}

/* ?6 is the role, NULL when the caller leaves it: a new member is then an
 * agent and an existing one keeps theirs. The password and the last
 * sign-in are not the put's (staff_password_set, staff_login_touch). */
static void bind_staff(sqlite3_stmt *st, const void *row)
{
    const struct staff *s = row;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_TRANSIENT);
    sqlite_bind_opt_text(st, 3, s->email);
    sqlite3_bind_int(st, 4, s->active);
    sqlite3_bind_int64(st, 5, s->updated_at);
    if (s->role_set)
        sqlite3_bind_text(st, 6, s->role == ROLE_ADMIN ? "admin" : "agent", -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
}

enum err sqlite_staff_put(struct store_conn *c, const struct staff *s, bool *created)
{
    return sqlite_put(c, "INSERT INTO staff (id, name, email, active, created_at, updated_at, role) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5, coalesce(?6, 'agent')) ON CONFLICT (id) DO NOTHING",
                      "UPDATE staff SET name = ?2, email = ?3, active = ?4, updated_at = ?5, "
                      "role = coalesce(?6, role) WHERE id = ?1",
                      bind_staff, s, created);
}

enum err sqlite_staff_list(struct store_conn *c, const char *after_id, int limit, struct staff **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, STAFF_SELECT "WHERE s.id > ? ORDER BY s.id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct staff *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) read_staff(st, &a[(*n)++]);
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

static void read_customer(sqlite3_stmt *st, struct customer *out)
{
    memset(out, 0, sizeof *out);
    sqlite_col_copy(st, 0, out->id, sizeof out->id);
    out->name = sqlite_col_dup(st, 1);
    out->email = sqlite_col_dup(st, 2);
    sqlite_col_copy(st, 3, out->owner_id, sizeof out->owner_id);
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
}

enum err sqlite_customer_get(struct store_conn *c, const char *id, struct customer *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, name, email, owner_id, created_at, updated_at FROM customers WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "customer_get");
    if (found != ERR_OK) return found;
    read_customer(st, out);
    sqlite_done(st);
    return ERR_OK;
}

static void bind_customer(sqlite3_stmt *st, const void *row)
{
    const struct customer *cu = row;
    sqlite3_bind_text(st, 1, cu->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cu->name, -1, SQLITE_TRANSIENT);
    sqlite_bind_opt_text(st, 3, cu->email);
    sqlite_bind_text(st, 4, cu->owner_id);
    sqlite3_bind_int64(st, 5, cu->updated_at);
}

enum err sqlite_customer_put(struct store_conn *c, const struct customer *cu, bool *created)
{
    return sqlite_put(c, "INSERT INTO customers (id, name, email, owner_id, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE customers SET name = ?2, email = ?3, owner_id = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_customer, cu, created);
}

enum err sqlite_customer_list(struct store_conn *c, const char *after_id, int limit, struct customer **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, name, email, owner_id, created_at, updated_at FROM customers "
                               "WHERE id > ? ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct customer *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) read_customer(st, &a[(*n)++]);
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

/* ---- idempotency keys ---------------------------------------------- */

enum err sqlite_idem_get(struct store_conn *c, const char *scope, const char *key, unsigned char hash[32],
                         int *status, char **response)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT body_hash, status, response FROM idempotency_keys WHERE scope = ? AND key = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "idem_get");
    if (found != ERR_OK) return found;
    const void *b = sqlite3_column_blob(st, 0);
    if (b && sqlite3_column_bytes(st, 0) == 32)
        memcpy(hash, b, 32);
    else
        memset(hash, 0, 32);
    *status = sqlite3_column_int(st, 1);
    *response = sqlite_col_dup(st, 2);
    sqlite_done(st);
    return *response ? ERR_OK : ERR_INTERNAL;
}

/* A claimed key is a row with status 0 and no response until its put, seen
 * only by the transaction that claimed it. */
enum err sqlite_idem_claim(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32],
                           int64_t now, unsigned char stored[32], int *status, char **response)
{
    *response = NULL;
    /* a key purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, "
                                   "created_at) VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (scope, key) DO NOTHING");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "idem_claim");
        sqlite_done(st);
        if (sqlite3_changes(sqlite_db(c)) == 1) return ERR_OK;
        enum err rc = sqlite_idem_get(c, scope, key, stored, status, response);
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

enum err sqlite_idem_put(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32],
                         int status, const char *response, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET "
                               "status = excluded.status, response = excluded.response "
                               "WHERE idempotency_keys.status = 0 AND idempotency_keys.body_hash = excluded.body_hash");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, status);
    sqlite3_bind_text(st, 5, response, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "idem_put");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err sqlite_idem_task_set(struct store_conn *c, const char *scope, const char *key, const char *task_id,
                              int64_t version)
{
    sqlite3_stmt *st =
        sqlite_stmt(c, "UPDATE idempotency_keys SET task_id = ?, task_version = ? WHERE scope = ? AND key = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "idem_task_set");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_idem_task_get(struct store_conn *c, const char *scope, const char *key, char task_id[TASK_ID_SIZE],
                              int64_t *version)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT task_id, task_version FROM idempotency_keys "
                                      "WHERE scope = ? AND key = ? AND task_id IS NOT NULL");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "idem_task_get");
    if (found != ERR_OK) return found;
    sqlite_col_copy(st, 0, task_id, TASK_ID_SIZE);
    *version = sqlite3_column_int64(st, 1);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_idem_purge(struct store_conn *c, int64_t older_than_ms, int64_t *purged)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM idempotency_keys WHERE rowid IN "
                               "(SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT 2000)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, older_than_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "idem_purge");
    sqlite_done(st);
    *purged = sqlite3_changes(sqlite_db(c));
    return ERR_OK;
}
