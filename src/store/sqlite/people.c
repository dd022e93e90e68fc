/* people.c (sqlite): who the service knows and who is calling: staff,
 * customers, API tokens, browser sessions and idempotency keys. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

static void read_staff(sqlite3_stmt *st, struct staff *out)
{
    memset(out, 0, sizeof *out);
    sqlite_col_copy(st, 0, out->id, sizeof out->id);
    out->name = sqlite_col_dup(st, 1);
    out->email = sqlite_col_dup(st, 2);
    out->active = sqlite3_column_int(st, 3) != 0;
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
}

enum err sqlite_staff_get(struct store_conn *c, const char *id, struct staff *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, name, email, active, created_at, updated_at FROM staff WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "staff_get");
    if (found != ERR_OK) return found;
    read_staff(st, out);
    sqlite_done(st);
    return ERR_OK;
}

static void bind_staff(sqlite3_stmt *st, const void *row)
{
    const struct staff *s = row;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_TRANSIENT);
    sqlite_bind_opt_text(st, 3, s->email);
    sqlite3_bind_int(st, 4, s->active);
    sqlite3_bind_int64(st, 5, s->updated_at);
}

enum err sqlite_staff_put(struct store_conn *c, const struct staff *s, bool *created)
{
    return sqlite_put(c, "INSERT INTO staff (id, name, email, active, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE staff SET name = ?2, email = ?3, active = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_staff, s, created);
}

enum err sqlite_staff_list(struct store_conn *c, const char *after_id, int limit, struct staff **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, name, email, active, created_at, updated_at FROM staff "
                               "WHERE id > ? ORDER BY id LIMIT ?");
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

/* ---- tokens and idempotency keys ------------------------------------- */

enum err sqlite_token_insert(struct store_conn *c, const struct token *t, const unsigned char hash[32], int64_t now,
                            const char *created_by)
{
    (void)created_by;
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO tokens (id, hash, role, staff_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->role == ROLE_ADMIN ? "admin" : "agent", -1, SQLITE_STATIC);
    sqlite_bind_text(st, 4, t->staff_id);
    sqlite3_bind_text(st, 5, t->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "token_insert");
    sqlite_done(st);
    return ERR_OK;
}

/* A token row selected as (id, role, staff_id, name). */
static void read_token(sqlite3_stmt *st, struct token *out)
{
    memset(out, 0, sizeof *out);
    sqlite_col_copy(st, 0, out->id, sizeof out->id);
    const char *role = (const char *)sqlite3_column_text(st, 1);
    out->role = role && strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
    sqlite_col_copy(st, 2, out->staff_id, sizeof out->staff_id);
    sqlite_col_copy(st, 3, out->name, sizeof out->name);
}

enum err sqlite_token_find(struct store_conn *c, const unsigned char hash[32], int64_t now, struct token *out)
{
    (void)now;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, role, staff_id, name FROM tokens WHERE hash = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "token_find");
    if (found != ERR_OK) return found;
    read_token(st, out);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_token_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM tokens");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "token_count");
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

/* ---- browser sessions --------------------------------------- */

enum err sqlite_session_insert(struct store_conn *c, const struct session_row *row)
{
    const unsigned char *hash = row->hash;
    const char *token_id = row->token_id;
    int64_t now_ms = row->created_at, expires_ms = row->expires_at;
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, token_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int64(st, 4, expires_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "session_insert");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now_ms, struct token *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT t.id, t.role, t.staff_id, t.name FROM sessions s JOIN tokens t ON t.id = s.token_id "
                               "WHERE s.hash = ? AND s.expires_at > ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    enum err found = sqlite_step_row(c, st, "session_find");
    if (found != ERR_OK) return found;
    read_token(st, out);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_session_delete(struct store_conn *c, const unsigned char hash[32])
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE hash = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "session_delete");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_session_purge(struct store_conn *c, int64_t now_ms, int limit, int64_t *purged)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE hash IN "
                               "(SELECT hash FROM sessions WHERE expires_at <= ? LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "session_purge");
    sqlite_done(st);
    *purged = sqlite3_changes(sqlite_db(c));
    return ERR_OK;
}

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
