/* accounts.c (pg): staff accounts: sign-in by email, passwords, invitations,
 * the token lifecycle, browser sessions (of a token or of a staff member),
 * failed sign-ins and the audit log. The same contracts as the SQLite
 * backend's accounts.c (store/ops.h says each op's); hashes travel as bytea.
 *
 * Emails compare as lower(email) = $1: the caller lower-cases ASCII, and
 * text is COLLATE "C", so lower() folds ASCII only, as SQLite's does (the
 * index staff_by_email is on lower(email)). What several writers could race
 * on is decided by one statement: the invite's DELETE ... RETURNING, the
 * token's UPDATE ... WHERE revoked_at IS NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"

/* last_used_at and last_seen_at are kept within this: a request writes
 * them at most once a minute per token or session */
#define TOUCH_EVERY_MS 60000

static enum token_role role_of(const PGresult *res, int r, int i)
{
    return !pg_col_null(res, r, i) && strcmp(PQgetvalue(res, r, i), "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
}

/* A purge's batch: PostgreSQL refuses a negative LIMIT, and NULL is LIMIT
 * ALL, which is what a negative one means to SQLite. */
static void p_batch(struct pg_params *p, int limit)
{
    if (limit < 0)
        pg_p_null(p);
    else
        pg_p_int(p, limit);
}

/* ---- sign-in by email and passwords -------------------------------------------- */

enum err pg_staff_login_find(struct store_conn *c, const char *email_lower, struct staff_login *out, int *matches)
{
    *matches = 0;
    memset(out, 0, sizeof *out);
    struct pg_params p = {0};
    pg_p_opt_text(&p, email_lower ? email_lower : "");
    PGresult *res;
    /* the window counts every match before LIMIT takes the first */
    enum err rc = pg_row(c, "SELECT id, role, email, password_hash, count(*) OVER () FROM staff "
                            "WHERE lower(email) = $1 AND active = 1 AND password_hash IS NOT NULL "
                            "ORDER BY id LIMIT 1",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, out->staff_id, sizeof out->staff_id);
    out->role = role_of(res, 0, 1);
    pg_col_copy(res, 0, 2, out->email, sizeof out->email);
    pg_col_copy(res, 0, 3, out->password_hash, sizeof out->password_hash);
    *matches = (int)pg_col_int64(res, 0, 4);
    PQclear(res);
    return ERR_OK;
}

enum err pg_staff_email_taken(struct store_conn *c, const char *email_lower, const char *except_id, bool *taken)
{
    *taken = false;
    struct pg_params p = {0};
    pg_p_opt_text(&p, email_lower ? email_lower : "");
    pg_p_opt_text(&p, except_id ? except_id : "");
    PGresult *res;
    enum err rc = pg_row(c, "SELECT 1 FROM staff WHERE lower(email) = $1 AND active = 1 "
                            "AND password_hash IS NOT NULL AND id <> $2 LIMIT 1",
                         &p, &res);
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    PQclear(res);
    *taken = true;
    return ERR_OK;
}

enum err pg_staff_password_get(struct store_conn *c, const char *staff_id, char *hash)
{
    hash[0] = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT password_hash FROM staff WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, hash, STORE_PASSWORD_HASH_SIZE);
    PQclear(res);
    return ERR_OK;
}

enum err pg_staff_password_set(struct store_conn *c, const char *staff_id, const char *hash, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_opt_text(&p, hash);
    pg_p_int(&p, now);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE staff SET password_hash = $2, password_changed_at = $3 WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_staff_login_touch(struct store_conn *c, const char *staff_id, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_int(&p, now);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE staff SET last_login_at = $2 WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- invitations --------------------------------------------------------------- */

/* One statement: the member's earlier invite, if any, is replaced on the
 * unique staff_id, so two admins inviting one person at once leave one;
 * selecting from staff makes an unknown member ERR_NOT_FOUND without a
 * failed statement. */
enum err pg_invite_put(struct store_conn *c, const char *staff_id, const unsigned char hash[32], int64_t now,
                       int64_t expires_at, const char *created_by)
{
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    pg_p_opt_text(&p, staff_id);
    pg_p_int(&p, now);
    pg_p_int(&p, expires_at);
    pg_p_text(&p, created_by); /* "" = NULL */
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO invites (hash, staff_id, created_at, expires_at, created_by) "
                            "SELECT $1, id, $3, $4, $5 FROM staff WHERE id = $2 "
                            "ON CONFLICT (staff_id) DO UPDATE SET hash = excluded.hash, "
                            "created_at = excluded.created_at, expires_at = excluded.expires_at, "
                            "created_by = excluded.created_by",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_invite_drop(struct store_conn *c, const char *staff_id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    return pg_cmd(c, "DELETE FROM invites WHERE staff_id = $1", &p, NULL);
}

enum err pg_invite_find(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    staff_id[0] = 0;
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, now);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT staff_id FROM invites WHERE hash = $1 AND expires_at > $2", &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, staff_id, EXT_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

/* Of several writers taking one invite, the first DELETE holds the row; the
 * others wait on it and, once it commits, find it gone (no row returned). */
enum err pg_invite_take(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    staff_id[0] = 0;
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, now);
    PGresult *res;
    enum err rc =
        pg_row(c, "DELETE FROM invites WHERE hash = $1 AND expires_at > $2 RETURNING staff_id", &p, &res);
    if (rc != ERR_OK) return rc;
    pg_col_copy(res, 0, 0, staff_id, EXT_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

enum err pg_invite_purge(struct store_conn *c, int64_t now, int limit, int64_t *purged)
{
    *purged = 0;
    struct pg_params p = {0};
    pg_p_int(&p, now);
    p_batch(&p, limit);
    return pg_cmd(c, "DELETE FROM invites WHERE hash IN "
                     "(SELECT hash FROM invites WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
                  &p, purged);
}

/* ---- API tokens ---------------------------------------------------------------- */

/* A token as (id, role, staff_id, name, created_at, expires_at,
 * last_used_at, revoked_at), for read_token. */
#define TOKEN_COLS "t.id, t.role, t.staff_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
/* TOKEN_COLS for a live token acting now: its role is the lower of its own
 * and its member's (a demoted admin's admin token acts as an agent). */
#define LIVE_TOKEN_COLS                                                                                        \
    "t.id, CASE WHEN (SELECT m.role FROM staff m WHERE m.id = t.staff_id) = 'agent' THEN 'agent' ELSE t.role " \
    "END, t.staff_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"

/* Live at $2: not revoked, not expired, and, when tied to a staff member,
 * that member active (a token tied to an id with no staff row is not live,
 * as on SQLite). */
#define TOKEN_LIVE                                                                                             \
    "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) "                                    \
    "AND (t.staff_id IS NULL OR EXISTS (SELECT 1 FROM staff m WHERE m.id = t.staff_id AND m.active = 1))"

static void read_token(const PGresult *res, int r, struct token *out)
{
    memset(out, 0, sizeof *out);
    pg_col_copy(res, r, 0, out->id, sizeof out->id);
    out->role = role_of(res, r, 1);
    pg_col_copy(res, r, 2, out->staff_id, sizeof out->staff_id);
    pg_col_copy(res, r, 3, out->name, sizeof out->name);
    out->created_at = pg_col_int64(res, r, 4);
    out->expires_at = pg_col_int64(res, r, 5);
    out->last_used_at = pg_col_int64(res, r, 6);
    out->revoked_at = pg_col_int64(res, r, 7);
}

/* A clash on the id or the hash is ERR_DUPLICATE, with no failed statement. */
enum err pg_token_insert(struct store_conn *c, const struct token *t, const unsigned char hash[32], int64_t now,
                         const char *created_by)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, t->id);
    pg_p_bytes(&p, hash, 32);
    pg_p_opt_text(&p, t->role == ROLE_ADMIN ? "admin" : "agent");
    pg_p_text(&p, t->staff_id); /* "" = not tied to a staff member */
    pg_p_opt_text(&p, t->name);
    pg_p_int(&p, now);
    pg_p_ts(&p, t->expires_at); /* 0 = never */
    pg_p_text(&p, created_by);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO tokens (id, hash, role, staff_id, name, created_at, expires_at, created_by) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err pg_token_find(struct store_conn *c, const unsigned char hash[32], int64_t now, struct token *out)
{
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, now);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " LIVE_TOKEN_COLS " FROM tokens t WHERE t.hash = $1 AND " TOKEN_LIVE, &p, &res);
    if (rc != ERR_OK) return rc;
    read_token(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_token_get(struct store_conn *c, const char *id, struct token *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " TOKEN_COLS " FROM tokens t WHERE t.id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_token(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

enum err pg_token_list(struct store_conn *c, const char *staff_id, const char *after_id, int limit, struct token **out,
                       int *n)
{
    *out = NULL;
    *n = 0;
    if (limit < 1) return ERR_OK;
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_opt_text(&p, staff_id ? staff_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " TOKEN_COLS " FROM tokens t WHERE t.revoked_at IS NULL AND t.id > $1 "
                              "AND ($2::text = '' OR t.staff_id = $2::text) ORDER BY t.id LIMIT $3",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    struct token *a = calloc(rows > 0 ? (size_t)rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) read_token(res, r, &a[r]);
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

/* The UPDATE's WHERE decides who revokes; its sessions go in the same
 * statement (a data-modifying WITH), so none outlives the revocation. */
enum err pg_token_revoke(struct store_conn *c, const char *id, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_int(&p, now);
    PGresult *res;
    enum err rc = pg_row(c, "WITH r AS (UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL "
                            "RETURNING id), "
                            "d AS (DELETE FROM sessions WHERE token_id IN (SELECT id FROM r)) "
                            "SELECT id FROM r",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    PQclear(res);
    return ERR_OK;
}

enum err pg_token_touch(struct store_conn *c, const char *id, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_int(&p, now);
    pg_p_int(&p, now - TOUCH_EVERY_MS);
    return pg_cmd(c, "UPDATE tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
                  &p, NULL);
}

enum err pg_token_count(struct store_conn *c, int64_t *n)
{
    PGresult *res;
    enum err rc = pg_row(c, "SELECT count(*) FROM tokens WHERE revoked_at IS NULL", NULL, &res);
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    *n = pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

/* ---- browser sessions ---------------------------------------------------------- */

#define SESSION_COLS "s.id, s.hash, s.token_id, s.staff_id, s.created_at, s.expires_at, s.last_seen_at, " \
                     "s.user_agent, s.client"

static void read_session(const PGresult *res, int r, struct session_row *out)
{
    memset(out, 0, sizeof *out);
    pg_col_copy(res, r, 0, out->id, sizeof out->id);
    if (!pg_col_bytes(res, r, 1, out->hash, sizeof out->hash)) memset(out->hash, 0, sizeof out->hash);
    pg_col_copy(res, r, 2, out->token_id, sizeof out->token_id);
    pg_col_copy(res, r, 3, out->staff_id, sizeof out->staff_id);
    out->created_at = pg_col_int64(res, r, 4);
    out->expires_at = pg_col_int64(res, r, 5);
    out->last_seen_at = pg_col_int64(res, r, 6);
    pg_col_copy(res, r, 7, out->user_agent, sizeof out->user_agent);
    pg_col_copy(res, r, 8, out->client, sizeof out->client);
}

/* The sessions of staff member $2 (its own, and those signed in with a
 * token tied to it) or, $2 "", of token $3: session_end's, _end_all's and
 * _list's "belongs to". */
#define SESSION_OWNED                                                                                          \
    "(CASE WHEN $2::text <> '' THEN s.staff_id = $2::text "                                                    \
    "OR s.token_id IN (SELECT id FROM tokens WHERE staff_id = $2::text) "                                      \
    "ELSE s.token_id = $3::text END)"

enum err pg_session_insert(struct store_conn *c, const struct session_row *row)
{
    struct pg_params p = {0};
    pg_p_bytes(&p, row->hash, 32);
    pg_p_opt_text(&p, row->id);
    pg_p_text(&p, row->token_id); /* "" = NULL: the CHECK wants exactly one of the two */
    pg_p_text(&p, row->staff_id);
    pg_p_int(&p, row->created_at);
    pg_p_int(&p, row->expires_at);
    pg_p_int(&p, row->last_seen_at);
    pg_p_opt_text(&p, row->user_agent);
    pg_p_opt_text(&p, row->client);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO sessions (hash, id, token_id, staff_id, created_at, expires_at, "
                            "last_seen_at, user_agent, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                            "ON CONFLICT DO NOTHING",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

/* Who the session acts as, in one statement: for a token's session the
 * token, live as for token_find; for a staff member's, that member (id "",
 * their role and name), active. */
enum err pg_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now_ms, struct token *out)
{
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    pg_p_int(&p, now_ms);
    PGresult *res;
    enum err rc = pg_row(
        c,
        "SELECT " LIVE_TOKEN_COLS ", s.id, s.last_seen_at FROM sessions s JOIN tokens t ON t.id = s.token_id "
        "WHERE s.hash = $1 AND s.expires_at > $2 AND " TOKEN_LIVE " "
        "UNION ALL "
        "SELECT '', m.role, m.id, m.name, NULL, NULL, NULL, NULL, s.id, s.last_seen_at "
        "FROM sessions s JOIN staff m ON m.id = s.staff_id "
        "WHERE s.hash = $1 AND s.expires_at > $2 AND m.active = 1",
        &p, &res);
    if (rc != ERR_OK) return rc;
    read_token(res, 0, out);
    pg_col_copy(res, 0, 8, out->session_id, sizeof out->session_id);
    out->session_last_seen_at = pg_col_int64(res, 0, 9);
    PQclear(res);
    return ERR_OK;
}

enum err pg_session_delete(struct store_conn *c, const unsigned char hash[32])
{
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, 32);
    return pg_cmd(c, "DELETE FROM sessions WHERE hash = $1", &p, NULL);
}

enum err pg_session_end(struct store_conn *c, const char *id, const char *staff_id, const char *token_id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, staff_id ? staff_id : "");
    pg_p_opt_text(&p, token_id ? token_id : "");
    int64_t n = 0;
    enum err rc = pg_cmd(c, "DELETE FROM sessions s WHERE s.id = $1 AND " SESSION_OWNED, &p, &n);
    if (rc != ERR_OK) return rc;
    return n > 0 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_session_end_all(struct store_conn *c, const char *staff_id, const char *except_id, int64_t *ended)
{
    *ended = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, except_id ? except_id : "");
    pg_p_opt_text(&p, staff_id ? staff_id : "");
    pg_p_opt_text(&p, ""); /* no token alone: staff_id "" ends nothing */
    return pg_cmd(c, "DELETE FROM sessions s WHERE ($1::text = '' OR s.id <> $1::text) AND $2::text <> '' AND "
                     SESSION_OWNED,
                  &p, ended);
}

enum err pg_session_list(struct store_conn *c, const char *staff_id, const char *token_id, int64_t now_ms, int limit,
                         struct session_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (limit < 1) return ERR_OK;
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    pg_p_opt_text(&p, staff_id ? staff_id : "");
    pg_p_opt_text(&p, token_id ? token_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " SESSION_COLS " FROM sessions s WHERE s.expires_at > $1 AND " SESSION_OWNED
                              " ORDER BY s.created_at DESC, s.id DESC LIMIT $4",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    struct session_row *a = calloc(rows > 0 ? (size_t)rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) read_session(res, r, &a[r]);
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_session_touch(struct store_conn *c, const char *id, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_int(&p, now);
    pg_p_int(&p, now - TOUCH_EVERY_MS);
    return pg_cmd(c, "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at <= $3", &p, NULL);
}

enum err pg_session_purge(struct store_conn *c, int64_t now_ms, int limit, int64_t *purged)
{
    *purged = 0;
    struct pg_params p = {0};
    pg_p_int(&p, now_ms);
    p_batch(&p, limit);
    return pg_cmd(c, "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
                  &p, purged);
}

/* ---- failed sign-ins ----------------------------------------------------------- */

enum err pg_login_failure_add(struct store_conn *c, const char *key, int64_t at)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, key);
    pg_p_int(&p, at);
    return pg_cmd(c, "INSERT INTO login_failures (key, at) VALUES ($1, $2)", &p, NULL);
}

enum err pg_login_failure_times(struct store_conn *c, const char *key, int64_t since, int max, int64_t *times, int *n)
{
    *n = 0;
    if (max <= 0) return ERR_OK;
    struct pg_params p = {0};
    pg_p_opt_text(&p, key);
    pg_p_int(&p, since);
    pg_p_int(&p, max);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    for (int r = 0; r < rows && r < max; r++) times[(*n)++] = pg_col_int64(res, r, 0);
    PQclear(res);
    return ERR_OK;
}

enum err pg_login_failure_clear(struct store_conn *c, const char *key)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, key);
    return pg_cmd(c, "DELETE FROM login_failures WHERE key = $1", &p, NULL);
}

enum err pg_login_failure_purge(struct store_conn *c, int64_t before, int limit, int64_t *purged)
{
    *purged = 0;
    struct pg_params p = {0};
    pg_p_int(&p, before);
    p_batch(&p, limit);
    return pg_cmd(c, "DELETE FROM login_failures WHERE seq IN "
                     "(SELECT seq FROM login_failures WHERE at <= $1 ORDER BY at LIMIT $2)",
                  &p, purged);
}

/* ---- the audit log ------------------------------------------------------------- */

enum err pg_audit_add(struct store_conn *c, const struct audit_row *a)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, a->id);
    pg_p_int(&p, a->at);
    pg_p_opt_text(&p, a->type);
    pg_p_text(&p, a->actor);  /* "" = NULL */
    pg_p_text(&p, a->client); /* "" = NULL */
    pg_p_opt_text(&p, a->details ? a->details : "{}");
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO audit_log (id, at, type, actor, client, details) "
                            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

/* Appends one condition of audit_list's statement, its parameter $i. */
static void cond(char *sql, size_t n, size_t *len, const char *fmt, int i)
{
    if (*len < n) *len += (size_t)snprintf(sql + *len, n - *len, fmt, i);
}

/* The statement has only the filters q sets (at most 2^5 texts, each
 * prepared once per connection), so the planner sees plain conditions it
 * can take an index for (audit_log_by_type, _by_actor, the primary key). */
enum err pg_audit_list(struct store_conn *c, const struct audit_query *q, struct audit_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (q->limit < 1) return ERR_OK;
    struct pg_params p = {0};
    char sql[512];
    size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT id, at, type, actor, client, details FROM audit_log "
                                                   "WHERE true");
    if (q->type[0]) {
        pg_p_opt_text(&p, q->type);
        /* a prefix "login" is the type login and the types login.* */
        if (q->type_prefix)
            cond(sql, sizeof sql, &len, " AND (type = $%1$d OR starts_with(type, $%1$d || '.'))", p.n);
        else
            cond(sql, sizeof sql, &len, " AND type = $%d", p.n);
    }
    if (q->actor[0]) {
        pg_p_opt_text(&p, q->actor);
        cond(sql, sizeof sql, &len, " AND actor = $%d", p.n);
    }
    if (q->from) {
        pg_p_int(&p, q->from);
        cond(sql, sizeof sql, &len, " AND at >= $%d", p.n);
    }
    if (q->to) {
        pg_p_int(&p, q->to);
        cond(sql, sizeof sql, &len, " AND at < $%d", p.n);
    }
    if (q->before_id[0]) {
        pg_p_opt_text(&p, q->before_id);
        cond(sql, sizeof sql, &len, " AND id < $%d", p.n);
    }
    pg_p_int(&p, q->limit);
    cond(sql, sizeof sql, &len, " ORDER BY id DESC LIMIT $%d", p.n);
    if (len >= sizeof sql) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, sql, &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    struct audit_row *a = calloc(rows > 0 ? (size_t)rows : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) {
        pg_col_copy(res, r, 0, a[r].id, sizeof a[r].id);
        a[r].at = pg_col_int64(res, r, 1);
        pg_col_copy(res, r, 2, a[r].type, sizeof a[r].type);
        pg_col_copy(res, r, 3, a[r].actor, sizeof a[r].actor);
        pg_col_copy(res, r, 4, a[r].client, sizeof a[r].client);
        a[r].details = pg_col_dup(res, r, 5);
        if (!a[r].details) a[r].details = strdup("{}");
        if (!a[r].details) {
            PQclear(res);
            store_audit_rows_free(a, r);
            return ERR_INTERNAL;
        }
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}
