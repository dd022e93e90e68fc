/* search.c (pg): the search's documents (migration 005), as the SQLite
 * backend's search.c: a task's normalised words in search_tasks.vec, a
 * tsvector written in C (title words weight A, the customer's name B, the
 * rest D), so PostgreSQL's parser never splits our words differently; the
 * normalised names of customers and staff in search_names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/text.h"
#include "store/pg/internal.h"
#include "util/buf.h"

/* tsvector limits: positions up to 16383; a lexeme under 2 KB (words are
 * cut at WORD_MAX bytes, on a character boundary: a query word, at most
 * 256 bytes, matches the cut word as it matched the whole) */
#define POS_MAX 16383
#define WORD_MAX 512

/* A lexeme: tag (SEARCH_TAG_TITLE, SEARCH_TAG_CUSTOMER or "") and the word. */
struct word {
    const char *tag;
    const char *w;
    size_t len;
    char weight; /* 'A', 'B', 'D' */
};

static int cmp_word(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    int c = strcmp(x->tag, y->tag);
    if (c) return c;
    size_t n = x->len < y->len ? x->len : y->len;
    c = memcmp(x->w, y->w, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->weight - y->weight;
}

static bool same_word(const struct word *x, const struct word *y)
{
    return strcmp(x->tag, y->tag) == 0 && x->len == y->len && memcmp(x->w, y->w, x->len) == 0;
}

/* Adds the words of normalised text s to *v (grown as needed), under tag. */
static int add_words(const char *s, const char *tag, char weight, struct word **v, size_t *n, size_t *cap)
{
    while (*s) {
        const char *end = strchr(s, ' ');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            void *grown = realloc(*v, *cap * sizeof **v);
            if (!grown) return -1;
            *v = grown;
        }
        size_t cut = len;
        if (cut > WORD_MAX) {
            cut = WORD_MAX;
            while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) cut--;
        }
        (*v)[(*n)++] = (struct word){tag, s, cut, weight};
        s += len;
        if (*s == ' ') s++;
    }
    return 0;
}

/* The tsvector literal of the three normalised texts: each distinct word
 * once per weight it has, with a position each ('w':1A,2B,3), and the
 * title's and the name's words again under their tags ('!tw':4 '!cw':5,
 * migration 008). NULL on oom. */
static char *tsvector_text(const char *title, const char *name, const char *body)
{
    struct word *v = NULL;
    size_t n = 0, cap = 0;
    if (add_words(title, "", 'A', &v, &n, &cap) != 0 || add_words(name, "", 'B', &v, &n, &cap) != 0 ||
        add_words(body, "", 'D', &v, &n, &cap) != 0 || add_words(title, SEARCH_TAG_TITLE, 'D', &v, &n, &cap) != 0 ||
        add_words(name, SEARCH_TAG_CUSTOMER, 'D', &v, &n, &cap) != 0) {
        free(v);
        return NULL;
    }
    if (n) qsort(v, n, sizeof *v, cmp_word);
    struct buf b = {0};
    buf_puts(&b, "");
    int pos = 0;
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && same_word(&v[i], &v[i - 1]);
        if (same && v[i].weight == v[i - 1].weight) continue;
        if (pos < POS_MAX) pos++;
        char p[16];
        if (!same) {
            if (b.len) buf_putc(&b, ' ');
            buf_putc(&b, '\'');
            buf_puts(&b, v[i].tag);
            buf_append(&b, v[i].w, v[i].len);
            buf_puts(&b, "':");
        } else {
            buf_putc(&b, ',');
        }
        snprintf(p, sizeof p, "%d", pos);
        buf_puts(&b, p);
        if (v[i].weight != 'D') buf_putc(&b, v[i].weight);
    }
    free(v);
    return buf_take(&b);
}

static char *norm_col(const PGresult *res, int r, int i)
{
    return text_normalize(pg_col_null(res, r, i) ? "" : PQgetvalue(res, r, i));
}

enum err pg_task_search_refresh(struct store_conn *c, const char *task_id)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, task_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT t.title, t.description, cu.name, to_regclass('task_comments') IS NOT NULL "
                            "FROM tasks t LEFT JOIN customers cu ON cu.id = t.user_id WHERE t.id = $1",
                         &p, &res);
    if (rc == ERR_NOT_FOUND) return pg_cmd(c, "DELETE FROM search_tasks WHERE task_id = $1", &p, NULL);
    if (rc != ERR_OK) return rc;
    char *title = norm_col(res, 0, 0), *name = norm_col(res, 0, 2), *desc = norm_col(res, 0, 1);
    bool comments = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
    PQclear(res);
    struct buf body = {0};
    char *vec = NULL;
    rc = ERR_INTERNAL;
    if (!title || !name || !desc) goto out;
    buf_puts(&body, desc);
    if (comments) {
        PGresult *cr = pg_run(c, "SELECT body FROM task_comments WHERE task_id = $1 ORDER BY id", &p, &rc);
        if (!cr) goto out;
        for (int r = 0; r < PQntuples(cr); r++) {
            char *one = norm_col(cr, r, 0);
            if (!one) body.oom = true;
            else if (*one) {
                if (body.len) buf_putc(&body, ' ');
                buf_puts(&body, one);
            }
            free(one);
        }
        PQclear(cr);
        rc = ERR_INTERNAL;
    }
    if (body.oom || !(vec = tsvector_text(title, name, body.p ? body.p : ""))) goto out;
    pg_p_opt_text(&p, vec);
    rc = pg_cmd(c, "INSERT INTO search_tasks (task_id, vec) VALUES ($1, $2::tsvector) ON CONFLICT (task_id) "
                   "DO UPDATE SET vec = excluded.vec",
                &p, NULL);
out:
    free(title);
    free(name);
    free(desc);
    free(vec);
    buf_free(&body);
    return rc;
}

enum err pg_task_search_new(struct store_conn *c, const char *task_id, const char *title_raw,
                            const char *description, const char *customer_name)
{
    char *title = text_normalize(title_raw), *name = text_normalize(customer_name),
         *desc = text_normalize(description), *vec = NULL;
    enum err rc = ERR_INTERNAL;
    if (title && name && desc && (vec = tsvector_text(title, name, desc))) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, task_id);
        pg_p_opt_text(&p, vec);
        /* nothing to wait for: in the writer's pipeline it goes with the
         * job's next round trip */
        rc = pg_cmd(c, "INSERT INTO search_tasks (task_id, vec) VALUES ($1, $2::tsvector) ON CONFLICT (task_id) "
                       "DO UPDATE SET vec = excluded.vec",
                    &p, NULL);
    }
    free(title);
    free(name);
    free(desc);
    free(vec);
    return rc;
}

/* search_names' row of one person (" word word"), or none when the person
 * is not there. */
static enum err refresh_name(struct store_conn *c, const char *sql, const char *id, bool *changed)
{
    int64_t affected = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, id);
    PGresult *res;
    enum err rc = pg_row(c, sql, &p, &res);
    if (rc == ERR_NOT_FOUND) {
        rc = pg_cmd(c, "DELETE FROM search_names WHERE id = $1", &p, &affected);
        *changed = affected > 0;
        return rc;
    }
    if (rc != ERR_OK) return rc;
    char *n = norm_col(res, 0, 0);
    PQclear(res);
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
    pg_p_opt_text(&p, words);
    rc = pg_cmd(c, "INSERT INTO search_names (id, words) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET words = "
                   "excluded.words WHERE search_names.words <> excluded.words",
                &p, &affected);
    free(words);
    *changed = affected > 0;
    return rc;
}

enum err pg_customer_search_refresh(struct store_conn *c, const char *customer_id)
{
    bool changed = false;
    enum err rc = refresh_name(c, "SELECT name FROM customers WHERE id = $1", customer_id, &changed);
    if (rc != ERR_OK || !changed) return rc; /* the tasks' documents hold the name they had */
    struct pg_params p = {0};
    pg_p_opt_text(&p, customer_id);
    PGresult *res = pg_run(c, "SELECT id FROM tasks WHERE user_id = $1", &p, &rc);
    if (!res) return rc;
    rc = ERR_OK;
    for (int r = 0; r < PQntuples(res) && rc == ERR_OK; r++) rc = pg_task_search_refresh(c, PQgetvalue(res, r, 0));
    PQclear(res);
    return rc;
}

enum err pg_staff_search_refresh(struct store_conn *c, const char *staff_id)
{
    bool changed;
    return refresh_name(c, "SELECT name FROM staff WHERE id = $1", staff_id, &changed);
}

enum err pg_name_search(struct store_conn *c, const char *prefix, const struct text_words *q, const char *after_id,
                        int limit, char (*ids)[EXT_ID_SIZE], int *n)
{
    *n = 0;
    char sql[1024] = "SELECT id FROM search_names WHERE id > $1 AND substr(id, 1, 4) = $2";
    struct pg_params p = {0};
    pg_p_opt_text(&p, after_id ? after_id : "");
    pg_p_opt_text(&p, prefix);
    for (int i = 0; i < q->n; i++) {
        pg_p_opt_text(&p, q->w[i]);
        size_t len = strlen(sql);
        snprintf(sql + len, sizeof sql - len, " AND strpos(words, ' ' || $%d::text) > 0", p.n);
    }
    pg_p_int(&p, limit);
    size_t len = strlen(sql);
    snprintf(sql + len, sizeof sql - len, " ORDER BY id LIMIT $%d", p.n);
    enum err rc;
    PGresult *res = pg_run(c, sql, &p, &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res) && *n < limit; r++) pg_col_copy(res, r, 0, ids[(*n)++], EXT_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

/* Every id of a table, in batches, refreshed by one(). */
static enum err each_id(struct store_conn *c, const char *sql, enum err (*one)(struct store_conn *, const char *))
{
    char after[EXT_ID_SIZE] = "";
    for (;;) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, after);
        enum err rc;
        PGresult *res = pg_run(c, sql, &p, &rc);
        if (!res) return rc;
        int rows = PQntuples(res);
        for (int r = 0; r < rows; r++) {
            if ((rc = one(c, PQgetvalue(res, r, 0))) != ERR_OK) {
                PQclear(res);
                return rc;
            }
        }
        if (rows) pg_col_copy(res, rows - 1, 0, after, sizeof after);
        PQclear(res);
        if (rows < 500) return ERR_OK;
    }
}

static enum err customer_name(struct store_conn *c, const char *id)
{
    bool changed;
    return refresh_name(c, "SELECT name FROM customers WHERE id = $1", id, &changed);
}

/* Appends s to an array literal's element list, quoted ("..."); our ids
 * and tsvector texts hold no '"' or '\\', but escape them anyway. */
static void array_item(struct buf *b, const char *s)
{
    if (b->len > 1) buf_putc(b, ',');
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

/* Every task's document, 500 tasks a statement each way (a statement per
 * task costs a round trip: a copy of 1,000,000 tasks would take minutes). */
static enum err rebuild_tasks(struct store_conn *c)
{
    PGresult *res;
    enum err rc = pg_row(c, "SELECT to_regclass('task_comments') IS NOT NULL", NULL, &res);
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    bool comments = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    char after[TASK_ID_SIZE] = "";
    for (;;) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, after);
        res = pg_run(c, "SELECT t.id, t.title, t.description, cu.name FROM tasks t LEFT JOIN customers cu ON "
                        "cu.id = t.user_id WHERE t.id > $1 ORDER BY t.id LIMIT 500", &p, &rc);
        if (!res) return rc;
        int rows = PQntuples(res);
        if (rows == 0) {
            PQclear(res);
            return ERR_OK;
        }
        PGresult *cm = NULL;
        if (comments) {
            struct pg_params q = {0};
            pg_p_opt_text(&q, after);
            pg_p_opt_text(&q, PQgetvalue(res, rows - 1, 0));
            cm = pg_run(c, "SELECT task_id, body FROM task_comments WHERE task_id > $1 AND task_id <= $2 "
                           "ORDER BY task_id, id", &q, &rc);
            if (!cm) {
                PQclear(res);
                return rc;
            }
        }
        struct buf ids = {0}, vecs = {0};
        buf_putc(&ids, '{');
        buf_putc(&vecs, '{');
        int k = 0, ncm = cm ? PQntuples(cm) : 0;
        rc = ERR_OK;
        for (int r = 0; r < rows && rc == ERR_OK; r++) {
            const char *id = PQgetvalue(res, r, 0);
            char *title = norm_col(res, r, 1), *name = norm_col(res, r, 3), *desc = norm_col(res, r, 2);
            struct buf body = {0};
            if (desc) buf_puts(&body, desc);
            for (; k < ncm && strcmp(PQgetvalue(cm, k, 0), id) <= 0; k++) {
                if (strcmp(PQgetvalue(cm, k, 0), id) != 0) continue;
                char *one = norm_col(cm, k, 1);
                if (!one) body.oom = true;
                else if (*one) {
                    if (body.len) buf_putc(&body, ' ');
                    buf_puts(&body, one);
                }
                free(one);
            }
            char *vec = title && name && desc && !body.oom ? tsvector_text(title, name, body.p ? body.p : "") : NULL;
            if (!vec) rc = ERR_INTERNAL;
            else {
                array_item(&ids, id);
                array_item(&vecs, vec);
            }
            free(vec);
            free(title);
            free(name);
            free(desc);
            buf_free(&body);
        }
        buf_putc(&ids, '}');
        buf_putc(&vecs, '}');
        pg_col_copy(res, rows - 1, 0, after, sizeof after);
        PQclear(res);
        PQclear(cm);
        if (rc == ERR_OK && (ids.oom || vecs.oom)) rc = ERR_INTERNAL;
        if (rc == ERR_OK) {
            char *a = buf_take(&ids), *v = buf_take(&vecs);
            struct pg_params w = {0};
            pg_p_opt_text(&w, a);
            pg_p_opt_text(&w, v);
            rc = pg_cmd(c, "INSERT INTO search_tasks (task_id, vec) SELECT u.id, u.v::tsvector FROM "
                           "unnest($1::text[], $2::text[]) AS u(id, v) ON CONFLICT (task_id) DO UPDATE SET "
                           "vec = excluded.vec", &w, NULL);
            free(a);
            free(v);
        }
        buf_free(&ids);
        buf_free(&vecs);
        if (rc != ERR_OK || rows < 500) return rc;
    }
}

static enum err rebuild(struct store_conn *c)
{
    enum err rc;
    if ((rc = pg_cmd(c, "DELETE FROM search_tasks", NULL, NULL)) != ERR_OK ||
        (rc = pg_cmd(c, "DELETE FROM search_names", NULL, NULL)) != ERR_OK || (rc = rebuild_tasks(c)) != ERR_OK ||
        (rc = each_id(c, "SELECT id FROM staff WHERE id > $1 ORDER BY id LIMIT 500", pg_staff_search_refresh)) !=
            ERR_OK)
        return rc;
    return each_id(c, "SELECT id FROM customers WHERE id > $1 ORDER BY id LIMIT 500", customer_name);
}

enum err pg_search_rebuild(struct store_conn *c, bool if_missing)
{
    if (!if_missing) return rebuild(c);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT (EXISTS (SELECT 1 FROM tasks) AND NOT EXISTS (SELECT 1 FROM search_tasks)) OR "
                            "((EXISTS (SELECT 1 FROM staff) OR EXISTS (SELECT 1 FROM customers)) AND NOT EXISTS "
                            "(SELECT 1 FROM search_names))",
                         NULL, &res);
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    bool needed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return needed ? rebuild(c) : ERR_OK;
}
