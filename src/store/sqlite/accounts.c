/* accounts.c (sqlite): staff accounts: sign-in by email, passwords, invitations,
 * API tokens and their lifecycle, browser sessions (of a token or of a staff
 * member), failed sign-ins for the limiter and the audit log. Each check that
 * guards a write is made by the write (an UPDATE's WHERE, a DELETE ...
 * RETURNING), so two writers on other connections cannot both win. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* A text parameter that may be NULL, as "" (the ops take "" for "none"). */
static const char *str(const char *s) { return s ? s : ""; }

static enum err run_write(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, what);
    sqlite_done(st);
    return ERR_OK;
}

static enum token_role role_of(sqlite3_stmt *st, int i)
{
    const char *role = (const char *)sqlite3_column_text(st, i);
    return role && strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
}

/* ---- sign-in by email and passwords ----------------------------------- */

/* Who may sign in with a password: active, and has one. */
#define SIGN_IN_WHERE "lower(email) = ?1 AND active = 1 AND password_hash IS NOT NULL"

enum err sqlite_staff_login_find(struct store_conn *c, const char *email_lower, struct staff_login *out, int *matches)
{
    *matches = 0;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, role, email, password_hash FROM staff WHERE " SIGN_IN_WHERE
                                      " ORDER BY id LIMIT 10");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(email_lower), -1, SQLITE_TRANSIENT);
    int rc = SQLITE_DONE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((*matches)++ > 0) continue;
        sqlite_col_copy(st, 0, out->staff_id, sizeof out->staff_id);
        out->role = role_of(st, 1);
        sqlite_col_copy(st, 2, out->email, sizeof out->email);
        sqlite_col_copy(st, 3, out->password_hash, sizeof out->password_hash);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "staff_login_find");
    sqlite_done(st);
    return *matches ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_staff_email_taken(struct store_conn *c, const char *email_lower, const char *except_id, bool *taken)
{
    *taken = false;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT 1 FROM staff WHERE " SIGN_IN_WHERE " AND id <> ?2 LIMIT 1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(email_lower), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, str(except_id), -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "staff_email_taken");
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    *taken = true;
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_staff_password_get(struct store_conn *c, const char *staff_id, char *hash)
{
    hash[0] = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT password_hash FROM staff WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(staff_id), -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "staff_password_get");
    if (rc != ERR_OK) return rc;
    sqlite_col_copy(st, 0, hash, STORE_PASSWORD_HASH_SIZE); /* NULL reads "" */
    sqlite_done(st);
    return ERR_OK;
}

/* updated_at stays: it dates the staff record an admin edits, and a
 * password is not part of it (password_changed_at dates that). */
enum err sqlite_staff_password_set(struct store_conn *c, const char *staff_id, const char *hash, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE staff SET password_hash = ?, password_changed_at = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(hash), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, str(staff_id), -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "staff_password_set");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_staff_login_touch(struct store_conn *c, const char *staff_id, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE staff SET last_login_at = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, str(staff_id), -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "staff_login_touch");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- invitations ----------------------------------------------------- */

/* One statement: the upsert on staff_id replaces the member's earlier
 * invite, and selecting from staff makes an unknown member ERR_NOT_FOUND
 * without a failed statement. (The WHERE before ON CONFLICT keeps SQLite's
 * parser from reading ON as a join's.) */
enum err sqlite_invite_put(struct store_conn *c, const char *staff_id, const unsigned char hash[32], int64_t now,
                           int64_t expires_at, const char *created_by)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO invites (hash, staff_id, created_at, expires_at, created_by) "
                                      "SELECT ?1, id, ?3, ?4, ?5 FROM staff WHERE id = ?2 "
                                      "ON CONFLICT (staff_id) DO UPDATE SET hash = excluded.hash, "
                                      "created_at = excluded.created_at, expires_at = excluded.expires_at, "
                                      "created_by = excluded.created_by");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, str(staff_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, expires_at);
    sqlite_bind_text(st, 5, created_by);
    enum err rc = run_write(c, st, "invite_put");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_invite_drop(struct store_conn *c, const char *staff_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM invites WHERE staff_id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(staff_id), -1, SQLITE_TRANSIENT);
    return run_write(c, st, "invite_drop");
}

enum err sqlite_invite_find(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    staff_id[0] = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT staff_id FROM invites WHERE hash = ? AND expires_at > ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    enum err rc = sqlite_step_row(c, st, "invite_find");
    if (rc != ERR_OK) return rc;
    sqlite_col_copy(st, 0, staff_id, EXT_ID_SIZE);
    sqlite_done(st);
    return ERR_OK;
}

/* The DELETE decides: SQLite makes every change of a RETURNING statement
 * at its first step, so the row comes back to exactly one taker. An
 * expired invite is left for invite_purge. */
enum err sqlite_invite_take(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    staff_id[0] = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM invites WHERE hash = ? AND expires_at > ? RETURNING staff_id");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    enum err rc = sqlite_step_row(c, st, "invite_take");
    if (rc != ERR_OK) return rc;
    sqlite_col_copy(st, 0, staff_id, EXT_ID_SIZE);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_invite_purge(struct store_conn *c, int64_t now, int limit, int64_t *purged)
{
    *purged = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM invites WHERE hash IN "
                                      "(SELECT hash FROM invites WHERE expires_at <= ? LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    enum err rc = run_write(c, st, "invite_purge");
    if (rc == ERR_OK) *purged = sqlite3_changes(sqlite_db(c));
    return rc;
}

/* ---- API tokens -------------------------------------------------------- */

/* token_insert and session_insert: a taken id or hash is ERR_DUPLICATE
 * without a failed statement (DO NOTHING covers only the unique keys: a
 * CHECK or a foreign key still fails the statement). */

enum err sqlite_token_insert(struct store_conn *c, const struct token *t, const unsigned char hash[32], int64_t now,
                             const char *created_by)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO tokens (id, hash, role, staff_id, name, created_at, expires_at, "
                                      "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->role == ROLE_ADMIN ? "admin" : "agent", -1, SQLITE_STATIC);
    sqlite_bind_text(st, 4, t->staff_id);
    sqlite3_bind_text(st, 5, t->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    sqlite_bind_ts(st, 7, t->expires_at);
    sqlite_bind_text(st, 8, created_by);
    enum err rc = run_write(c, st, "token_insert");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

/* A token row selected as TOKEN_COLS of the table t (NULL times read 0). */
#define TOKEN_COLS "t.id, t.role, t.staff_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
/* TOKEN_COLS for a live token acting now, its member joined as m: its role
 * is the lower of its own and its member's (a demoted admin's admin token
 * acts as an agent). */
#define LIVE_TOKEN_COLS "t.id, CASE WHEN m.role = 'agent' THEN 'agent' ELSE t.role END, t.staff_id, t.name, " \
                        "t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
static void read_token(sqlite3_stmt *st, int i, struct token *out)
{
    memset(out, 0, sizeof *out);
    sqlite_col_copy(st, i, out->id, sizeof out->id);
    out->role = role_of(st, i + 1);
    sqlite_col_copy(st, i + 2, out->staff_id, sizeof out->staff_id);
    sqlite_col_copy(st, i + 3, out->name, sizeof out->name);
    out->created_at = sqlite3_column_int64(st, i + 4);
    out->expires_at = sqlite3_column_int64(st, i + 5);
    out->last_used_at = sqlite3_column_int64(st, i + 6);
    out->revoked_at = sqlite3_column_int64(st, i + 7);
}

/* A live token of the table t, at the time ?2, whose tied member (the join
 * m; a token tied to an id with no staff row is not live) is active. */
#define TOKEN_LIVE "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2) " \
                   "AND (t.staff_id IS NULL OR m.active = 1)"

enum err sqlite_token_find(struct store_conn *c, const unsigned char hash[32], int64_t now, struct token *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " LIVE_TOKEN_COLS " FROM tokens t LEFT JOIN staff m ON m.id = t.staff_id "
                                      "WHERE t.hash = ?1 AND " TOKEN_LIVE);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    enum err found = sqlite_step_row(c, st, "token_find");
    if (found != ERR_OK) return found;
    read_token(st, 0, out);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_token_get(struct store_conn *c, const char *id, struct token *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " TOKEN_COLS " FROM tokens t WHERE t.id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(id), -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "token_get");
    if (found != ERR_OK) return found;
    read_token(st, 0, out);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_token_list(struct store_conn *c, const char *staff_id, const char *after_id, int limit,
                           struct token **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (limit < 1) return ERR_OK;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " TOKEN_COLS " FROM tokens t WHERE t.revoked_at IS NULL "
                                      "AND t.id > ?1 AND (?2 = '' OR t.staff_id = ?2) ORDER BY t.id LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(after_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, str(staff_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    struct token *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) read_token(st, 0, &a[(*n)++]);
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "token_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

/* The UPDATE's WHERE decides which of several revokers revoked it; the
 * token's sessions go in the same transaction. */
enum err sqlite_token_revoke(struct store_conn *c, const char *id, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, str(id), -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "token_revoke");
    if (rc != ERR_OK) return rc;
    if (sqlite3_changes(sqlite_db(c)) != 1) return ERR_NOT_FOUND;
    st = sqlite_stmt(c, "DELETE FROM sessions WHERE token_id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(id), -1, SQLITE_TRANSIENT);
    return run_write(c, st, "token_revoke");
}

/* Kept within a minute, so a busy token writes once a minute, not once a
 * request. ERR_OK also when nothing was written (recent, or no such token). */
enum err sqlite_token_touch(struct store_conn *c, const char *id, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tokens SET last_used_at = ?1 WHERE id = ?2 "
                                      "AND (last_used_at IS NULL OR last_used_at <= ?1 - 60000)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, str(id), -1, SQLITE_TRANSIENT);
    return run_write(c, st, "token_touch");
}

enum err sqlite_token_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM tokens WHERE revoked_at IS NULL");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "token_count");
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

/* ---- browser sessions ------------------------------------------------ */

enum err sqlite_session_insert(struct store_conn *c, const struct session_row *s)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO sessions (hash, id, token_id, staff_id, created_at, expires_at, "
                                      "last_seen_at, user_agent, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                      "ON CONFLICT DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, s->hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, s->id, -1, SQLITE_TRANSIENT);
    sqlite_bind_text(st, 3, s->token_id);
    sqlite_bind_text(st, 4, s->staff_id);
    sqlite3_bind_int64(st, 5, s->created_at);
    sqlite3_bind_int64(st, 6, s->expires_at);
    sqlite3_bind_int64(st, 7, s->last_seen_at);
    sqlite3_bind_text(st, 8, s->user_agent, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, s->client, -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "session_insert");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

/* A token's session stands for the token while it is live (as token_find:
 * m is the token's member); a password's session for its member (m again)
 * while active. */
enum err sqlite_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now_ms, struct token *out)
{
    sqlite3_stmt *st = sqlite_stmt(
        c, "SELECT " LIVE_TOKEN_COLS ", s.id, s.last_seen_at, s.token_id IS NULL, m.id, m.role, m.name "
           "FROM sessions s LEFT JOIN tokens t ON t.id = s.token_id "
           "LEFT JOIN staff m ON m.id = coalesce(t.staff_id, s.staff_id) "
           "WHERE s.hash = ?1 AND s.expires_at > ?2 AND ((s.token_id IS NOT NULL AND " TOKEN_LIVE ") "
           "OR (s.token_id IS NULL AND m.active = 1))");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    enum err found = sqlite_step_row(c, st, "session_find");
    if (found != ERR_OK) return found;
    read_token(st, 0, out);
    if (sqlite3_column_int(st, 10)) { /* a password's session: the member, no token */
        sqlite_col_copy(st, 11, out->staff_id, sizeof out->staff_id);
        out->role = role_of(st, 12);
        sqlite_col_copy(st, 13, out->name, sizeof out->name);
    }
    sqlite_col_copy(st, 8, out->session_id, sizeof out->session_id);
    out->session_last_seen_at = sqlite3_column_int64(st, 9);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_session_delete(struct store_conn *c, const unsigned char hash[32])
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE hash = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    return run_write(c, st, "session_delete");
}

/* The sessions of a member (?1 not ""): their password sessions and those
 * signed in with a token tied to them; with ?1 "", a token's (?2). */
#define SESSIONS_OF "((?1 <> '' AND (staff_id = ?1 OR token_id IN (SELECT id FROM tokens WHERE staff_id = ?1))) " \
                    "OR (?1 = '' AND token_id = ?2))"

enum err sqlite_session_end(struct store_conn *c, const char *id, const char *staff_id, const char *token_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE id = ?3 AND " SESSIONS_OF);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(staff_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, str(token_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, str(id), -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "session_end");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) > 0 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_session_end_all(struct store_conn *c, const char *staff_id, const char *except_id, int64_t *ended)
{
    *ended = 0;
    if (!staff_id || !*staff_id) return ERR_OK; /* nobody's sessions; never the token-only branch */
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE " SESSIONS_OF " AND id <> ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, str(except_id), -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "session_end_all");
    if (rc == ERR_OK) *ended = sqlite3_changes(sqlite_db(c));
    return rc;
}

enum err sqlite_session_list(struct store_conn *c, const char *staff_id, const char *token_id, int64_t now_ms,
                             int limit, struct session_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (limit < 1) return ERR_OK;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, hash, token_id, staff_id, created_at, expires_at, last_seen_at, "
                                      "user_agent, client FROM sessions WHERE " SESSIONS_OF " AND expires_at > ?3 "
                                      "ORDER BY created_at DESC, id DESC LIMIT ?4");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(staff_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, str(token_id), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int(st, 4, limit);
    struct session_row *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct session_row *r = &a[(*n)++];
        sqlite_col_copy(st, 0, r->id, sizeof r->id);
        const void *h = sqlite3_column_blob(st, 1);
        if (h && sqlite3_column_bytes(st, 1) == 32) memcpy(r->hash, h, 32);
        sqlite_col_copy(st, 2, r->token_id, sizeof r->token_id);
        sqlite_col_copy(st, 3, r->staff_id, sizeof r->staff_id);
        r->created_at = sqlite3_column_int64(st, 4);
        r->expires_at = sqlite3_column_int64(st, 5);
        r->last_seen_at = sqlite3_column_int64(st, 6);
        sqlite_col_copy(st, 7, r->user_agent, sizeof r->user_agent);
        sqlite_col_copy(st, 8, r->client, sizeof r->client);
    }
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "session_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_session_touch(struct store_conn *c, const char *id, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2 "
                                      "AND last_seen_at <= ?1 - 60000");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, str(id), -1, SQLITE_TRANSIENT);
    return run_write(c, st, "session_touch");
}

enum err sqlite_session_purge(struct store_conn *c, int64_t now_ms, int limit, int64_t *purged)
{
    *purged = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM sessions WHERE hash IN "
                                      "(SELECT hash FROM sessions WHERE expires_at <= ? LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    enum err rc = run_write(c, st, "session_purge");
    if (rc == ERR_OK) *purged = sqlite3_changes(sqlite_db(c));
    return rc;
}

/* ---- failed sign-ins ------------------------------------------------- */

enum err sqlite_login_failure_add(struct store_conn *c, const char *key, int64_t at)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO login_failures (key, at) VALUES (?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(key), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, at);
    return run_write(c, st, "login_failure_add");
}

enum err sqlite_login_failure_times(struct store_conn *c, const char *key, int64_t since, int max, int64_t *times,
                                    int *n)
{
    *n = 0;
    if (max < 1) return ERR_OK;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT at FROM login_failures WHERE key = ? AND at > ? "
                                      "ORDER BY at DESC, seq DESC LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(key), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int(st, 3, max);
    int rc = SQLITE_DONE;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) times[(*n)++] = sqlite3_column_int64(st, 0);
    if (*n < max && rc != SQLITE_DONE) {
        *n = 0;
        return sqlite_fail(c, st, "login_failure_times");
    }
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_login_failure_clear(struct store_conn *c, const char *key)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM login_failures WHERE key = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, str(key), -1, SQLITE_TRANSIENT);
    return run_write(c, st, "login_failure_clear");
}

enum err sqlite_login_failure_purge(struct store_conn *c, int64_t before, int limit, int64_t *purged)
{
    *purged = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM login_failures WHERE seq IN "
                                      "(SELECT seq FROM login_failures WHERE at <= ? ORDER BY at LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    enum err rc = run_write(c, st, "login_failure_purge");
    if (rc == ERR_OK) *purged = sqlite3_changes(sqlite_db(c));
    return rc;
}

/* ---- the audit log --------------------------------------------------- */

/* An id already there is ERR_DUPLICATE, without a failed statement. */
enum err sqlite_audit_add(struct store_conn *c, const struct audit_row *a)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO audit_log (id, at, type, actor, client, details) "
                                      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, a->at);
    sqlite3_bind_text(st, 3, a->type, -1, SQLITE_TRANSIENT);
    sqlite_bind_text(st, 4, a->actor);
    sqlite_bind_text(st, 5, a->client);
    sqlite3_bind_text(st, 6, a->details ? a->details : "{}", -1, SQLITE_TRANSIENT);
    enum err rc = run_write(c, st, "audit_add");
    if (rc != ERR_OK) return rc;
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

/* Only the filters given are in the statement, so that an exact type or an
 * actor walks its index (type, id) or (actor, id) in id order instead of
 * the whole log; at most 32 shapes, each prepared once per connection. The
 * parameters keep their numbers (?1 type, ?3 actor, ?4 from, ?5 to, ?6
 * the cursor, ?7 the limit) whichever are used. A prefix compares the
 * type's first characters (substr counts characters, as PostgreSQL's). */
enum err sqlite_audit_list(struct store_conn *c, const struct audit_query *q, struct audit_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    int limit = q->limit;
    if (limit < 1) return ERR_OK;
    char sql[512] = "SELECT id, at, type, actor, client, details FROM audit_log WHERE 1";
    /* a prefix "login" is the type login and the types login.* */
    if (q->type[0])
        strcat(sql, q->type_prefix ? " AND (type = ?1 OR substr(type, 1, length(?1) + 1) = ?1 || '.')" : " AND type = ?1");
    if (q->actor[0]) strcat(sql, " AND actor = ?3");
    if (q->from) strcat(sql, " AND at >= ?4");
    if (q->to) strcat(sql, " AND at < ?5");
    if (q->before_id[0]) strcat(sql, " AND id < ?6");
    strcat(sql, " ORDER BY id DESC LIMIT ?7");
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, q->type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, q->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, q->from);
    sqlite3_bind_int64(st, 5, q->to);
    sqlite3_bind_text(st, 6, q->before_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, limit);
    struct audit_row *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct audit_row *r = &a[(*n)++];
        sqlite_col_copy(st, 0, r->id, sizeof r->id);
        r->at = sqlite3_column_int64(st, 1);
        sqlite_col_copy(st, 2, r->type, sizeof r->type);
        sqlite_col_copy(st, 3, r->actor, sizeof r->actor);
        sqlite_col_copy(st, 4, r->client, sizeof r->client);
        r->details = sqlite_col_dup(st, 5);
        if (!r->details) r->details = strdup("{}");
        if (!r->details) {
            store_audit_rows_free(a, *n);
            *n = 0;
            sqlite_done(st);
            return ERR_INTERNAL;
        }
    }
    if (*n < limit && rc != SQLITE_DONE) {
        store_audit_rows_free(a, *n);
        *n = 0;
        return sqlite_fail(c, st, "audit_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}
