/* views.c (pg): saved views of the queue, the same contracts as the SQLite
 * backend's views.c: who may replace or delete a view is decided inside
 * the writing statement (owner, or admin for a shared view, in its WHERE),
 * so a second writer waits on the row and then finds the first's result. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"

#define VIEW_COLS "id, owner, name, query, shared, created_at, updated_at"

static void read_view(const PGresult *res, int r, struct view_row *v)
{
    memset(v, 0, sizeof *v);
    pg_col_copy(res, r, 0, v->id, sizeof v->id);
    pg_col_copy(res, r, 1, v->owner, sizeof v->owner);
    pg_col_copy(res, r, 2, v->name, sizeof v->name);
    pg_col_copy(res, r, 3, v->query, sizeof v->query);
    v->shared = pg_col_int64(res, r, 4) != 0;
    v->created_at = pg_col_int64(res, r, 5);
    v->updated_at = pg_col_int64(res, r, 6);
}

enum err pg_view_get(struct store_conn *c, const char *id, struct view_row *out)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT " VIEW_COLS " FROM views WHERE id = $1", &p, &res);
    if (rc != ERR_OK) return rc;
    read_view(res, 0, out);
    PQclear(res);
    return ERR_OK;
}

/* Why a write of someone else's view changed nothing (sqlite/views.c). */
static enum err refusal(struct store_conn *c, const char *id, enum err missing)
{
    struct view_row v;
    enum err rc = pg_view_get(c, id, &v);
    if (rc != ERR_OK) return rc;
    return v.shared ? ERR_FORBIDDEN : missing;
}

enum err pg_view_put(struct store_conn *c, const struct view_row *v, bool as_admin, bool *created)
{
    *created = false;
    struct pg_params p = {0};
    pg_p_opt_text(&p, v->id);
    pg_p_opt_text(&p, v->owner);
    pg_p_opt_text(&p, v->name);
    pg_p_opt_text(&p, v->query);
    pg_p_int(&p, v->shared ? 1 : 0);
    pg_p_int(&p, v->updated_at);
    struct pg_params upd = p; /* the same six, and whether an admin asks */
    pg_p_int(&upd, as_admin ? 1 : 0);
    for (int tries = 0; tries < 3; tries++) {
        int64_t n = 0;
        enum err rc = pg_cmd(c, "INSERT INTO views (id, owner, name, query, shared, created_at, updated_at) "
                                "VALUES ($1, $2, $3, $4, $5::integer, $6::bigint, $6::bigint) ON CONFLICT (id) DO NOTHING",
                             &p, &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) {
            *created = true;
            return ERR_OK;
        }
        rc = pg_cmd(c, "UPDATE views SET name = $3, query = $4, shared = $5::integer, updated_at = $6::bigint "
                       "WHERE id = $1 AND (owner = $2 OR (shared = 1 AND $7::integer = 1))",
                    &upd, &n);
        if (rc != ERR_OK) return rc;
        if (n == 1) return ERR_OK;
        rc = refusal(c, v->id, ERR_CONFLICT);
        if (rc != ERR_NOT_FOUND) return rc;
    }
    return ERR_INTERNAL;
}

enum err pg_view_delete(struct store_conn *c, const char *id, const char *owner, bool as_admin)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    pg_p_opt_text(&p, owner);
    pg_p_int(&p, as_admin ? 1 : 0);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "DELETE FROM views WHERE id = $1 AND (owner = $2 OR (shared = 1 AND $3::integer = 1))",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : refusal(c, id, ERR_NOT_FOUND);
}

enum err pg_view_list(struct store_conn *c, const char *owner, int limit, struct view_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, owner);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT " VIEW_COLS " FROM views WHERE owner = $1 OR shared = 1 "
                              "ORDER BY shared DESC, name, id LIMIT $2::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    struct view_row *a = malloc(sizeof *a * (size_t)(rows > 0 ? rows : 1));
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) read_view(res, i, &a[i]);
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_view_count(struct store_conn *c, const char *owner, int64_t *owned, int64_t *shared)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, owner);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT (SELECT count(*) FROM views WHERE owner = $1), "
                            "(SELECT count(*) FROM views WHERE shared = 1)",
                         &p, &res);
    if (rc != ERR_OK) return rc;
    *owned = pg_col_int64(res, 0, 0);
    *shared = pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}
