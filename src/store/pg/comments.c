/* comments.c (pg): comments on tasks, as the SQLite backend's comments.c:
 * the insert that also counts it on its task (tasks.comment_count), and the
 * list of a task's comments, oldest first by their time-ordered id. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"

/* +1 or -1 on task_id's comment_count, leaving version and updated_at; the
 * UPDATE holds the task's row lock, so concurrent comments all count.
 * ERR_NOT_FOUND when there is no such task. */
static enum err bump(struct store_conn *c, const char *task_id, int by)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, task_id);
    pg_p_int(&p, by);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "UPDATE tasks SET comment_count = comment_count + $2::integer WHERE id = $1", &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err pg_comment_add(struct store_conn *c, const struct task_comment *cm)
{
    /* the count first: it finds the task (ERR_NOT_FOUND without a failed
     * statement: the foreign key would abort the transaction) */
    enum err rc = bump(c, cm->task_id, 1);
    if (rc != ERR_OK) return rc;
    struct pg_params p = {0};
    pg_p_opt_text(&p, cm->id);
    pg_p_opt_text(&p, cm->task_id);
    pg_p_opt_text(&p, cm->author);
    pg_p_opt_text(&p, cm->body ? cm->body : "");
    pg_p_opt_text(&p, cm->mentions ? cm->mentions : "[]");
    pg_p_int(&p, cm->created_at);
    int64_t n = 0;
    rc = pg_cmd(c, "INSERT INTO task_comments (id, task_id, author, body, mentions, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", &p, &n);
    if (rc != ERR_OK) return rc;
    if (n == 1) return ERR_OK;
    rc = bump(c, cm->task_id, -1);
    return rc == ERR_OK ? ERR_DUPLICATE : rc;
}

enum err pg_comment_list(struct store_conn *c, const char *task_id, const char *after_id, int limit,
                         struct task_comment **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, task_id);
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id, task_id, author, body, mentions, created_at FROM task_comments "
                              "WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3", &p, &rc);
    if (!res) return rc;
    struct task_comment *a = calloc(limit > 0 ? (size_t)limit : 1, sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows && *n < limit; r++) {
        struct task_comment *cm = &a[(*n)++];
        pg_col_copy(res, r, 0, cm->id, sizeof cm->id);
        pg_col_copy(res, r, 1, cm->task_id, sizeof cm->task_id);
        pg_col_copy(res, r, 2, cm->author, sizeof cm->author);
        cm->body = pg_col_dup(res, r, 3);
        cm->mentions = pg_col_dup(res, r, 4);
        cm->created_at = pg_col_int64(res, r, 5);
        if (!cm->body || !cm->mentions) {
            store_comments_free(a, *n);
            *n = 0;
            PQclear(res);
            return ERR_INTERNAL;
        }
    }
    PQclear(res);
    *out = a;
    return ERR_OK;
}
