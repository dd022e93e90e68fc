/* search.c (sqlite): the search's documents (migration 013): a task's
 * normalised title, customer name and the rest (description, comments) in
 * the FTS5 table search_tasks, and the normalised names of customers and
 * staff in search_names. The writer calls the refresh ops in the
 * transaction of the change they follow; the queue's q filter (queue.c)
 * and name_search read them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/text.h"
#include "store/sqlite/internal.h"
#include "util/buf.h"

/* Appends the normalised form of raw to b, a space between documents. */
static void add_norm(struct buf *b, const char *raw)
{
    char *n = text_normalize(raw);
    if (!n) {
        b->oom = true;
        return;
    }
    if (*n) {
        if (b->len) buf_putc(b, ' ');
        buf_puts(b, n);
    }
    free(n);
}

static enum err drop_doc(struct store_conn *c, const char *task_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM search_tasks WHERE rowid = (SELECT rid FROM search_docs WHERE "
                                      "task_id = ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "search drop");
    sqlite_done(st);
    if (!(st = sqlite_stmt(c, "DELETE FROM search_docs WHERE task_id = ?"))) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "search drop");
    sqlite_done(st);
    return ERR_OK;
}

/* The comment bodies of a task, oldest first, normalised into b. */
static enum err add_comments(struct store_conn *c, const char *task_id, struct buf *b)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT body FROM task_comments WHERE task_id = ? ORDER BY id");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) add_norm(b, (const char *)sqlite3_column_text(st, 0));
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "search comments");
    sqlite_done(st);
    return ERR_OK;
}

/* Writes task_id's document from its normalised parts, pending for the
 * commit's FTS5 write (migration 013). */
static enum err put_doc(struct store_conn *c, const char *task_id, const struct buf *title, const struct buf *name,
                        const struct buf *body)
{
    if (title->oom || name->oom || body->oom) return ERR_INTERNAL;
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO search_docs (task_id, title, customer, rest, pending) VALUES "
                                      "(?, ' ' || ?, ' ' || ?, ?, 1) ON CONFLICT (task_id) DO UPDATE SET title = "
                                      "excluded.title, customer = excluded.customer, rest = excluded.rest, pending = 1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, title->p ? title->p : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name->p ? name->p : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, body->p ? body->p : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "search doc");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_task_search_refresh(struct store_conn *c, const char *task_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT t.title, t.description, cu.name, EXISTS (SELECT 1 FROM sqlite_schema "
                                      "WHERE type = 'table' AND name = 'task_comments') FROM tasks t LEFT JOIN "
                                      "customers cu ON cu.id = t.user_id WHERE t.id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "search task");
    if (rc == ERR_NOT_FOUND) return drop_doc(c, task_id);
    if (rc != ERR_OK) return rc;
    struct buf title = {0}, name = {0}, body = {0};
    add_norm(&title, (const char *)sqlite3_column_text(st, 0));
    add_norm(&body, (const char *)sqlite3_column_text(st, 1));
    add_norm(&name, (const char *)sqlite3_column_text(st, 2));
    bool comments = sqlite3_column_int(st, 3) != 0;
    sqlite_done(st);
    if (comments && (rc = add_comments(c, task_id, &body)) != ERR_OK) goto out;
    rc = put_doc(c, task_id, &title, &name, &body);
out:
    buf_free(&title);
    buf_free(&name);
    buf_free(&body);
    return rc;
}

enum err sqlite_task_search_new(struct store_conn *c, const char *task_id, const char *title_raw,
                                const char *description, const char *customer_name)
{
    struct buf title = {0}, name = {0}, body = {0};
    add_norm(&title, title_raw);
    add_norm(&body, description);
    add_norm(&name, customer_name);
    enum err rc = put_doc(c, task_id, &title, &name, &body);
    buf_free(&title);
    buf_free(&name);
    buf_free(&body);
    return rc;
}

/* search_names' row of one person: " word word" (a space before each word,
 * so ' ' || word finds the words it begins); removed when name is NULL. */
static enum err put_name(struct store_conn *c, const char *id, const char *name, bool exists, bool *changed)
{
    sqlite3_stmt *st;
    if (!exists) {
        if (!(st = sqlite_stmt(c, "DELETE FROM search_names WHERE id = ?"))) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    } else {
        char *n = text_normalize(name);
        if (!n) return ERR_INTERNAL;
        size_t len = strlen(n);
        char *words = malloc(len + 2);
        if (!words) {
            free(n);
            return ERR_INTERNAL;
        }
        words[0] = ' ';
        memcpy(words + 1, n, len + 1);
        free(n);
        if (!(st = sqlite_stmt(c, "INSERT INTO search_names (id, words) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
                                  "SET words = excluded.words WHERE words <> excluded.words"))) {
            free(words);
            return ERR_INTERNAL;
        }
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, words, -1, free);
    }
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "search name");
    sqlite_done(st);
    *changed = sqlite3_changes(sqlite_db(c)) > 0;
    return ERR_OK;
}

/* *changed: the name's words are not what they were (a new or renamed
 * person, or one no longer there). */
static enum err refresh_name(struct store_conn *c, const char *sql, const char *id, bool *changed)
{
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "search person");
    if (rc == ERR_NOT_FOUND) return put_name(c, id, NULL, false, changed);
    if (rc != ERR_OK) return rc;
    char *name = sqlite_col_dup(st, 0);
    sqlite_done(st);
    rc = put_name(c, id, name, true, changed);
    free(name);
    return rc;
}

/* Calls task_search_refresh for each id the statement (bound already) gives. */
static enum err refresh_tasks_of(struct store_conn *c, sqlite3_stmt *st)
{
    size_t n = 0, cap = 0;
    char (*ids)[TASK_ID_SIZE] = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            void *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) {
                sqlite_done(st);
                free(ids);
                return ERR_INTERNAL;
            }
            ids = grown;
        }
        sqlite_col_copy(st, 0, ids[n++], TASK_ID_SIZE);
    }
    if (rc != SQLITE_DONE) {
        free(ids);
        return sqlite_fail(c, st, "search tasks of");
    }
    sqlite_done(st);
    enum err e = ERR_OK;
    for (size_t i = 0; i < n && e == ERR_OK; i++) e = sqlite_task_search_refresh(c, ids[i]);
    free(ids);
    return e;
}

enum err sqlite_customer_search_refresh(struct store_conn *c, const char *customer_id)
{
    bool changed = false;
    enum err rc = refresh_name(c, "SELECT name FROM customers WHERE id = ?", customer_id, &changed);
    if (rc != ERR_OK || !changed) return rc; /* the tasks' documents hold the name they had */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM tasks WHERE user_id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, customer_id, -1, SQLITE_TRANSIENT);
    return refresh_tasks_of(c, st);
}

enum err sqlite_staff_search_refresh(struct store_conn *c, const char *staff_id)
{
    bool changed;
    return refresh_name(c, "SELECT name FROM staff WHERE id = ?", staff_id, &changed);
}

enum err sqlite_name_search(struct store_conn *c, const char *prefix, const struct text_words *q,
                            const char *after_id, int limit, char (*ids)[EXT_ID_SIZE], int *n)
{
    *n = 0;
    char sql[1024] = "SELECT id FROM search_names WHERE id > :after AND substr(id, 1, 4) = :prefix";
    for (int i = 0; i < q->n; i++) {
        size_t len = strlen(sql);
        snprintf(sql + len, sizeof sql - len, " AND instr(words, ' ' || :w%d) > 0", i);
    }
    strncat(sql, " ORDER BY id LIMIT :limit", sizeof sql - strlen(sql) - 1);
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite_bind_named_text(st, ":after", after_id ? after_id : "");
    sqlite_bind_named_text(st, ":prefix", prefix);
    for (int i = 0; i < q->n; i++) {
        char name[16];
        snprintf(name, sizeof name, ":w%d", i);
        sqlite_bind_named_text(st, name, q->w[i]);
    }
    sqlite_bind_named_int64(st, ":limit", limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) sqlite_col_copy(st, 0, ids[(*n)++], EXT_ID_SIZE);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_fail(c, st, "name_search");
    sqlite_done(st);
    return ERR_OK;
}

/* Every row of one id column, in id order, refreshed by one(): in batches,
 * so no statement stays open across the writes. */
static enum err each_id(struct store_conn *c, const char *sql, enum err (*one)(struct store_conn *, const char *))
{
    char after[EXT_ID_SIZE] = "";
    for (;;) {
        char ids[500][EXT_ID_SIZE];
        int n = 0, rc;
        sqlite3_stmt *st = sqlite_stmt(c, sql);
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
        while (n < 500 && (rc = sqlite3_step(st)) == SQLITE_ROW) sqlite_col_copy(st, 0, ids[n++], EXT_ID_SIZE);
        sqlite_done(st);
        for (int i = 0; i < n; i++) {
            enum err e = one(c, ids[i]);
            if (e != ERR_OK) return e;
        }
        if (n < 500) return ERR_OK;
        memcpy(after, ids[n - 1], EXT_ID_SIZE);
    }
}

static enum err rebuild(struct store_conn *c)
{
    static const char *const clear[] = {"DELETE FROM search_tasks", "DELETE FROM search_docs",
                                        "DELETE FROM search_names"};
    for (size_t i = 0; i < sizeof clear / sizeof *clear; i++) {
        sqlite3_stmt *st = sqlite_stmt(c, clear[i]);
        if (!st) return ERR_INTERNAL;
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "search clear");
        sqlite_done(st);
    }
    enum err rc;
    if ((rc = each_id(c, "SELECT id FROM tasks WHERE id > ? ORDER BY id LIMIT 500", sqlite_task_search_refresh)) !=
            ERR_OK ||
        (rc = each_id(c, "SELECT id FROM staff WHERE id > ? ORDER BY id LIMIT 500", sqlite_staff_search_refresh)) !=
            ERR_OK)
        return rc;
    return each_id(c, "SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT 500", sqlite_search_name_customer);
}

enum err sqlite_search_name_customer(struct store_conn *c, const char *id)
{
    bool changed;
    return refresh_name(c, "SELECT name FROM customers WHERE id = ?", id, &changed);
}

enum err sqlite_search_rebuild(struct store_conn *c, bool if_missing)
{
    if (!if_missing) return rebuild(c);
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT (EXISTS (SELECT 1 FROM tasks) AND NOT EXISTS (SELECT 1 FROM search_docs)) "
                                      "OR ((EXISTS (SELECT 1 FROM staff) OR EXISTS (SELECT 1 FROM customers)) AND "
                                      "NOT EXISTS (SELECT 1 FROM search_names))");
    if (!st) return ERR_INTERNAL;
    enum err rc = sqlite_step_row(c, st, "search backfill");
    if (rc != ERR_OK) return rc;
    bool needed = sqlite3_column_int(st, 0) != 0;
    sqlite_done(st);
    return needed ? rebuild(c) : ERR_OK;
}
