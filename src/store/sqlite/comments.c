/* comments.c (sqlite): comments on tasks: the insert that also counts it on
 * its task (tasks.comment_count), and the list of a task's comments, oldest
 * first by their time-ordered id. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* +1 or -1 on task_id's comment_count, leaving version and updated_at;
 * ERR_NOT_FOUND when there is no such task. */
static enum err bump(struct store_conn *c, const char *task_id, int by)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE tasks SET comment_count = comment_count + ?2 WHERE id = ?1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, by);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "comment_count");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_comment_add(struct store_conn *c, const struct task_comment *cm)
{
    /* the count first: it finds the task (ERR_NOT_FOUND without a failed
     * insert) and holds its row for the insert */
    enum err rc = bump(c, cm->task_id, 1);
    if (rc != ERR_OK) return rc;
    /* seq: the live feed's number, next in line under the write lock */
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO task_comments (id, task_id, author, body, mentions, created_at, "
                                      "seq) VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 "
                                      "FROM task_comments)) ON CONFLICT DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, cm->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cm->task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, cm->author, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, cm->body ? cm->body : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, cm->mentions ? cm->mentions : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, cm->created_at);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "comment_add");
    sqlite_done(st);
    if (sqlite3_changes(sqlite_db(c)) == 1) return ERR_OK;
    rc = bump(c, cm->task_id, -1);
    return rc == ERR_OK ? ERR_DUPLICATE : rc;
}

enum err sqlite_comment_list(struct store_conn *c, const char *task_id, const char *after_id, int limit,
                             struct task_comment **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, task_id, author, body, mentions, created_at FROM task_comments "
                                      "WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    struct task_comment *a = calloc(limit > 0 ? (size_t)limit : 1, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct task_comment *cm = &a[(*n)++];
        sqlite_col_copy(st, 0, cm->id, sizeof cm->id);
        sqlite_col_copy(st, 1, cm->task_id, sizeof cm->task_id);
        sqlite_col_copy(st, 2, cm->author, sizeof cm->author);
        cm->body = sqlite_col_dup(st, 3);
        cm->mentions = sqlite_col_dup(st, 4);
        cm->created_at = sqlite3_column_int64(st, 5);
        if (!cm->body || !cm->mentions) {
            store_comments_free(a, *n);
            *n = 0;
            sqlite_done(st);
            return ERR_INTERNAL;
        }
    }
    if (*n < limit && rc != SQLITE_DONE) {
        store_comments_free(a, *n);
        *n = 0;
        return sqlite_fail(c, st, "comment_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}
