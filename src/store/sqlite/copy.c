/* copy.c (sqlite): the ops `opstasks copy` moves a database with (ops.h,
 * "copy_*"): rows of one table of the list (store/tables.h) in key order as
 * text, one row inserted, counts, and the database's real columns for the
 * comparison with the list. The statements are made from the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"
#include "store/sqlite/maintenance.h"
#include "util/log.h"

/* Big enough for the widest statement of the list (tasks: 24 columns). */
#define SQL_MAX 2048

static void cat(char *sql, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(sql);
    snprintf(sql + len, SQL_MAX - len, fmt, a, b);
}

static void key_list(char *sql, const struct store_table *t, bool params)
{
    for (int k = 0; k < t->nkey; k++)
        cat(sql, params ? "%s?%s" : "%s%s", k ? ", " : "", params ? "" : t->cols[t->key[k]].name);
}

static void bind_value(sqlite3_stmt *st, int i, enum store_col_type type, const char *v)
{
    if (!v) {
        sqlite3_bind_null(st, i);
        return;
    }
    switch (type) {
    case COL_INT: sqlite3_bind_int64(st, i, strtoll(v, NULL, 10)); break;
    case COL_REAL: sqlite3_bind_double(st, i, strtod(v, NULL)); break;
    case COL_BINARY: {
        size_t n = strlen(v) / 2;
        unsigned char *b = malloc(n ? n : 1);
        if (!b) {
            sqlite3_bind_null(st, i);
            return;
        }
        for (size_t j = 0; j < n; j++) {
            unsigned x = 0;
            sscanf(v + 2 * j, "%2x", &x);
            b[j] = (unsigned char)x;
        }
        sqlite3_bind_blob(st, i, b, (int)n, free);
        break;
    }
    default: sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    }
}

static char *column_value(sqlite3_stmt *st, int i, enum store_col_type type)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
    char buf[64];
    switch (type) {
    case COL_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, i));
        return strdup(buf);
    case COL_REAL:
        snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(st, i));
        return strdup(buf);
    case COL_BINARY: {
        const unsigned char *b = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        char *out = malloc((size_t)n * 2 + 1);
        if (!out) return NULL;
        static const char hex[] = "0123456789abcdef";
        for (int j = 0; j < n; j++) {
            out[2 * j] = hex[b[j] >> 4];
            out[2 * j + 1] = hex[b[j] & 15];
        }
        out[2 * n] = 0;
        return out;
    }
    default: {
        const char *s = (const char *)sqlite3_column_text(st, i);
        return strdup(s ? s : "");
    }
    }
}

enum err sqlite_copy_read(struct store_conn *c, const struct store_table *t, const char *const *after, int limit,
                          struct store_rows *out)
{
    out->n = 0;
    out->ncols = t->ncols;
    out->v = NULL;
    char sql[SQL_MAX] = "SELECT ";
    for (int i = 0; i < t->ncols; i++) cat(sql, "%s%s", i ? ", " : "", t->cols[i].name);
    cat(sql, " FROM %s%s", t->name, "");
    if (after) {
        cat(sql, " WHERE (%s%s", "", "");
        key_list(sql, t, false);
        cat(sql, ") > (%s%s", "", "");
        key_list(sql, t, true);
        cat(sql, ")%s%s", "", "");
    }
    cat(sql, " ORDER BY %s%s", "", "");
    key_list(sql, t, false);
    cat(sql, " LIMIT ?%s%s", "", "");
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return sqlite_fail(c, NULL, "copy_read");
    int p = 1;
    if (after)
        for (int k = 0; k < t->nkey; k++, p++) bind_value(st, p, t->cols[t->key[k]].type, after[k]);
    sqlite3_bind_int(st, p, limit);
    out->v = calloc((size_t)limit * (size_t)t->ncols + 1, sizeof *out->v);
    if (!out->v) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (out->n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < t->ncols; i++) out->v[out->n * t->ncols + i] = column_value(st, i, t->cols[i].type);
        out->n++;
    }
    if (out->n < limit && rc != SQLITE_DONE) {
        store_rows_free(out);
        return sqlite_fail(c, st, "copy_read");
    }
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_copy_write(struct store_conn *c, const struct store_table *t, const struct store_rows *rows)
{
    char sql[SQL_MAX] = "INSERT INTO ";
    cat(sql, "%s (%s", t->name, "");
    for (int i = 0; i < t->ncols; i++) cat(sql, "%s%s", i ? ", " : "", t->cols[i].name);
    cat(sql, ") VALUES (%s%s", "", "");
    for (int i = 0; i < t->ncols; i++) cat(sql, "%s?%s", i ? ", " : "", "");
    cat(sql, ")%s%s", "", "");
    for (int r = 0; r < rows->n; r++) {
        sqlite3_stmt *st = sqlite_stmt(c, sql);
        if (!st) return sqlite_fail(c, NULL, "copy_write");
        for (int i = 0; i < t->ncols; i++) bind_value(st, i + 1, t->cols[i].type, rows->v[r * rows->ncols + i]);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "copy_write");
        sqlite_done(st);
    }
    return ERR_OK;
}

/* WAL: a read transaction is a snapshot; the writer never waits for it. */
enum err sqlite_copy_snapshot(struct store_conn *c, bool begin)
{
    sqlite3_stmt *st = sqlite_stmt(c, begin ? "BEGIN" : "COMMIT");
    if (!st) return sqlite_fail(c, NULL, "copy_snapshot");
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "copy_snapshot");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_copy_count(struct store_conn *c, const struct store_table *t, bool except_seeded, int64_t *n)
{
    char sql[SQL_MAX] = "SELECT count(*) FROM ";
    cat(sql, "%s%s", t->name, "");
    if (except_seeded && t->seeded) cat(sql, " WHERE NOT (%s)%s", t->seeded, "");
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return sqlite_fail(c, NULL, "copy_count");
    enum err rc = sqlite_step_row(c, st, "copy_count");
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_copy_clear(struct store_conn *c, const struct store_table *t)
{
    char sql[SQL_MAX] = "DELETE FROM ";
    cat(sql, "%s%s", t->name, "");
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return sqlite_fail(c, NULL, "copy_clear");
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "copy_clear");
    sqlite_done(st);
    return ERR_OK;
}

/* The triggers stay: SQLite updates a counter row in place, so keeping
 * task_counts as the tasks arrive costs little (the copy replaces it). */
enum err sqlite_copy_prepare(struct store_conn *c)
{
    (void)c;
    return ERR_OK;
}

/* task_history.seq and events.seq are INTEGER PRIMARY KEYs (rowids), not
 * AUTOINCREMENT: SQLite numbers a new row past the largest one by itself. */
enum err sqlite_copy_finish(struct store_conn *c)
{
    return sqlite_search_rebuild(c, false); /* the search's documents are derived: made here, never copied */
}

int sqlite_schema_columns(sqlite3 *db, char ***names, int *n)
{
    static const char sql[] = "SELECT m.name || '.' || p.name FROM sqlite_schema m, pragma_table_info(m.name) p "
                              "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                              "AND m.name NOT IN ('schema_migrations', 'data_version', 'data_version_parts') "
                              "AND m.name NOT LIKE 'search\\_%' ESCAPE '\\' ORDER BY 1";
    *names = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 128;
            char **grown = realloc(*names, (size_t)cap * sizeof *grown);
            if (!grown) break;
            *names = grown;
        }
        const char *s = (const char *)sqlite3_column_text(st, 0);
        (*names)[(*n)++] = strdup(s ? s : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

enum err sqlite_copy_columns(struct store_conn *c, char ***names, int *n)
{
    if (sqlite_schema_columns(sqlite_db(c), names, n) != 0) return sqlite_fail(c, NULL, "copy_columns");
    return ERR_OK;
}
