/* views.c (sqlite): saved views of the queue. Who may replace or delete a
 * view is decided inside the writing statement (the owner, or an admin for
 * a shared view, in the UPDATE's and DELETE's WHERE), so no look-then-write
 * can be overtaken by another writer; a look afterwards only says why
 * nothing changed. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

#define VIEW_COLS "id, owner, name, query, shared, created_at, updated_at"

static void read_view(sqlite3_stmt *st, struct view_row *v)
{
    memset(v, 0, sizeof *v);
    sqlite_col_copy(st, 0, v->id, sizeof v->id);
    sqlite_col_copy(st, 1, v->owner, sizeof v->owner);
    sqlite_col_copy(st, 2, v->name, sizeof v->name);
    sqlite_col_copy(st, 3, v->query, sizeof v->query);
    v->shared = sqlite3_column_int(st, 4) != 0;
    v->created_at = sqlite3_column_int64(st, 5);
    v->updated_at = sqlite3_column_int64(st, 6);
}

enum err sqlite_view_get(struct store_conn *c, const char *id, struct view_row *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " VIEW_COLS " FROM views WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "view_get");
    if (found != ERR_OK) return found;
    read_view(st, out);
    sqlite_done(st);
    return ERR_OK;
}

/* Runs a bound write: *n the rows it changed. */
static enum err changed(struct store_conn *c, sqlite3_stmt *st, const char *what, int *n)
{
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, what);
    sqlite_done(st);
    *n = sqlite3_changes(sqlite_db(c));
    return ERR_OK;
}

/* Why a write of someone else's view changed nothing: ERR_FORBIDDEN for a
 * shared one, missing for a personal one, ERR_NOT_FOUND for none. */
static enum err refusal(struct store_conn *c, const char *id, enum err missing)
{
    struct view_row v;
    enum err rc = sqlite_view_get(c, id, &v);
    if (rc != ERR_OK) return rc;
    return v.shared ? ERR_FORBIDDEN : missing;
}

enum err sqlite_view_put(struct store_conn *c, const struct view_row *v, bool as_admin, bool *created)
{
    *created = false;
    /* a view deleted between the statements is inserted again (bounded) */
    for (int tries = 0; tries < 3; tries++) {
        sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO views (id, owner, name, query, shared, created_at, updated_at) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id) DO NOTHING");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, v->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, v->owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, v->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, v->query, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 5, v->shared);
        sqlite3_bind_int64(st, 6, v->updated_at);
        int n = 0;
        enum err rc = changed(c, st, "view_put insert", &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) {
            *created = true;
            return ERR_OK;
        }
        st = sqlite_stmt(c, "UPDATE views SET name = ?3, query = ?4, shared = ?5, updated_at = ?6 "
                            "WHERE id = ?1 AND (owner = ?2 OR (shared = 1 AND ?7 = 1))");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, v->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, v->owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, v->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, v->query, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 5, v->shared);
        sqlite3_bind_int64(st, 6, v->updated_at);
        sqlite3_bind_int(st, 7, as_admin);
        if ((rc = changed(c, st, "view_put update", &n)) != ERR_OK) return rc;
        if (n == 1) return ERR_OK;
        rc = refusal(c, v->id, ERR_CONFLICT);
        if (rc != ERR_NOT_FOUND) return rc;
    }
    return ERR_INTERNAL;
}

enum err sqlite_view_delete(struct store_conn *c, const char *id, const char *owner, bool as_admin)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM views WHERE id = ?1 AND (owner = ?2 OR (shared = 1 AND ?3 = 1))");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, as_admin);
    int n = 0;
    enum err rc = changed(c, st, "view_delete", &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : refusal(c, id, ERR_NOT_FOUND);
}

enum err sqlite_view_list(struct store_conn *c, const char *owner, int limit, struct view_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " VIEW_COLS " FROM views WHERE owner = ?1 OR shared = 1 "
                                      "ORDER BY shared DESC, name, id LIMIT ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct view_row *a = malloc(sizeof *a * (size_t)(limit > 0 ? limit : 1));
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) read_view(st, &a[(*n)++]);
    if (*n < limit && rc != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "view_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_view_count(struct store_conn *c, const char *owner, int64_t *owned, int64_t *shared)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT (SELECT count(*) FROM views WHERE owner = ?1), "
                                      "(SELECT count(*) FROM views WHERE shared = 1)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "view_count");
    *owned = sqlite3_column_int64(st, 0);
    *shared = sqlite3_column_int64(st, 1);
    sqlite_done(st);
    return ERR_OK;
}
