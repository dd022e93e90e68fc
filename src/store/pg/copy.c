/* copy.c (pg): the ops `opstasks copy` moves a database with (ops.h,
 * "copy_*"): rows of one table of the list (store/tables.h) in key order as
 * text, one row inserted, counts, the identity sequences moved past the
 * copied rows, and the database's real columns for the comparison with the
 * list. The statements are made from the list. Binary columns travel as
 * hex (encode/decode), the same text SQLite's side reads and writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "store/pg/maintenance.h"
#include "util/log.h"

#define SQL_MAX 2048

static void cat(char *sql, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(sql);
    snprintf(sql + len, SQL_MAX - len, fmt, a, b);
}

static void catn(char *sql, const char *fmt, int n)
{
    size_t len = strlen(sql);
    snprintf(sql + len, SQL_MAX - len, fmt, n);
}

/* A parameter as the column's type wants it: $n untyped is inferred from
 * the column it is compared with or inserted into; binary is hex text. */
static void param(char *sql, enum store_col_type type, int n)
{
    if (type == COL_BINARY) catn(sql, "decode($%d::text, 'hex')", n);
    else if (type == COL_INT) catn(sql, "$%d::bigint", n);
    else if (type == COL_REAL) catn(sql, "$%d::double precision", n);
    else catn(sql, "$%d", n);
}

enum err pg_copy_read(struct store_conn *c, const struct store_table *t, const char *const *after, int limit,
                      struct store_rows *out)
{
    out->n = 0;
    out->ncols = t->ncols;
    out->v = NULL;
    char sql[SQL_MAX] = "SELECT ";
    for (int i = 0; i < t->ncols; i++) {
        const char *fmt = t->cols[i].type == COL_BINARY ? "%sencode(%s, 'hex')" : "%s%s";
        cat(sql, fmt, i ? ", " : "", t->cols[i].name);
    }
    cat(sql, " FROM %s%s", t->name, "");
    struct pg_params p = {0};
    if (after) {
        cat(sql, " WHERE (%s%s", "", "");
        for (int k = 0; k < t->nkey; k++) cat(sql, "%s%s", k ? ", " : "", t->cols[t->key[k]].name);
        cat(sql, ") > (%s%s", "", "");
        for (int k = 0; k < t->nkey; k++) {
            if (k) cat(sql, ", %s%s", "", "");
            param(sql, t->cols[t->key[k]].type, k + 1);
            pg_p_opt_text(&p, after[k]);
        }
        cat(sql, ")%s%s", "", "");
    }
    cat(sql, " ORDER BY %s%s", "", "");
    for (int k = 0; k < t->nkey; k++) cat(sql, "%s%s", k ? ", " : "", t->cols[t->key[k]].name);
    catn(sql, " LIMIT $%d::bigint", p.n + 1);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, sql, &p, &rc);
    if (!res) return rc;
    int n = PQntuples(res);
    out->v = calloc((size_t)n * (size_t)t->ncols + 1, sizeof *out->v);
    if (!out->v) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < n; r++)
        for (int i = 0; i < t->ncols; i++) out->v[r * t->ncols + i] = pg_col_dup(res, r, i);
    out->n = n;
    PQclear(res);
    return ERR_OK;
}

/* Appends s to the growing buffer as a JSON string. false: out of memory. */
static bool json_str(char **buf, size_t *len, size_t *cap, const char *s, bool hex_prefix)
{
    size_t need = *len + strlen(s) * 6 + 8;
    if (need > *cap) {
        size_t to = *cap ? *cap : 4096;
        while (to < need) to *= 2;
        char *grown = realloc(*buf, to);
        if (!grown) return false;
        *buf = grown;
        *cap = to;
    }
    char *o = *buf + *len;
    *o++ = '"';
    if (hex_prefix) {
        *o++ = '\\';
        *o++ = '\\';
        *o++ = 'x';
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += sprintf(o, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *len = (size_t)(o - *buf);
    return true;
}

static bool json_raw(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t to = *cap ? *cap : 4096;
        while (to < *len + n + 1) to *= 2;
        char *grown = realloc(*buf, to);
        if (!grown) return false;
        *buf = grown;
        *cap = to;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return true;
}

/* The rows go as one parameter, a JSON array of objects keyed by column,
 * each value a string (or null) that json_populate_recordset feeds to the
 * column type's own input: one statement and one round trip per batch, where
 * a statement per row spent a millisecond each (300,000 rows: 5 minutes). */
enum err pg_copy_write(struct store_conn *c, const struct store_table *t, const struct store_rows *rows)
{
    if (rows->n == 0) return ERR_OK;
    char sql[SQL_MAX] = "INSERT INTO ";
    cat(sql, "%s (%s", t->name, "");
    for (int i = 0; i < t->ncols; i++) cat(sql, "%s%s", i ? ", " : "", t->cols[i].name);
    cat(sql, ") SELECT %s%s", "", "");
    for (int i = 0; i < t->ncols; i++) cat(sql, "%s%s", i ? ", " : "", t->cols[i].name);
    cat(sql, " FROM json_populate_recordset(NULL::%s, $1::json)%s", t->name, "");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = json_raw(&buf, &len, &cap, "[");
    for (int r = 0; r < rows->n && ok; r++) {
        ok = json_raw(&buf, &len, &cap, r ? ",{" : "{");
        for (int i = 0; i < t->ncols && ok; i++) {
            const char *v = rows->v[r * rows->ncols + i];
            ok = (!i || json_raw(&buf, &len, &cap, ",")) && json_str(&buf, &len, &cap, t->cols[i].name, false) &&
                 json_raw(&buf, &len, &cap, ":") &&
                 (v ? json_str(&buf, &len, &cap, v, t->cols[i].type == COL_BINARY) : json_raw(&buf, &len, &cap, "null"));
        }
        ok = ok && json_raw(&buf, &len, &cap, "}");
    }
    ok = ok && json_raw(&buf, &len, &cap, "]");
    if (!ok) {
        free(buf);
        return ERR_INTERNAL;
    }
    struct pg_params p = {0};
    pg_p_opt_text(&p, buf);
    enum err rc = pg_cmd(c, sql, &p, NULL);
    free(buf);
    return rc;
}

/* REPEATABLE READ: every statement of the transaction sees one snapshot. */
enum err pg_copy_snapshot(struct store_conn *c, bool begin)
{
    return pg_cmd(c, begin ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "COMMIT", NULL, NULL);
}

enum err pg_copy_count(struct store_conn *c, const struct store_table *t, bool except_seeded, int64_t *n)
{
    char sql[SQL_MAX] = "SELECT count(*) FROM ";
    cat(sql, "%s%s", t->name, "");
    if (except_seeded && t->seeded) cat(sql, " WHERE NOT (%s)%s", t->seeded, "");
    PGresult *res;
    enum err rc = pg_row(c, sql, NULL, &res);
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    *n = pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

enum err pg_copy_clear(struct store_conn *c, const struct store_table *t)
{
    char sql[SQL_MAX] = "DELETE FROM ";
    cat(sql, "%s%s", t->name, "");
    return pg_cmd(c, sql, NULL, NULL);
}

/* Each row a trigger updates again in one transaction leaves a dead
 * version the next update walks past: 20,000 tasks took 4.7 s with the
 * task_counts and metric triggers on (quadratic; 100,000: two minutes),
 * 0.24 s without. The copy brings those tables' rows itself, so their
 * triggers are off until copy_finish (ALTER TABLE is transactional: a
 * rollback turns them on again). USER leaves the foreign keys' own. */
static enum err set_triggers(struct store_conn *c, bool on)
{
    for (int i = 0; i < store_tables_count; i++) {
        char sql[SQL_MAX] = "ALTER TABLE ";
        cat(sql, "%s %s TRIGGER USER", store_tables[i].name, on ? "ENABLE" : "DISABLE");
        enum err rc = pg_cmd(c, sql, NULL, NULL);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

enum err pg_copy_prepare(struct store_conn *c) { return set_triggers(c, false); }

/* Statistics for the planner now, in the copy's transaction (ANALYZE
 * counts its own transaction's rows): until autovacuum's first ANALYZE the
 * planner guesses at a million copied rows, and the first writes beside the
 * views ran ~30 times slower. Measured on a copy of 1,000,000 tasks: ANALYZE
 * ~0.8 s; the views beside 2,000 creates/s asked 131 -> 5,520 req/s (p99
 * 1.55 s -> 25 ms), the creates 220 -> 583/s. Only our tables (a bare
 * ANALYZE would take locks on, and warn about, everything in the database),
 * and in a savepoint: the copy is good without it, so a failure (a
 * statement_timeout, say) is logged and the copy goes on. */
static void analyze_copied(struct store_conn *c)
{
    char sql[SQL_MAX] = "ANALYZE search_tasks, search_names";
    for (int i = 0; i < store_tables_count; i++) cat(sql, ", %s%s", store_tables[i].name, "");
    if (pg_cmd(c, "SAVEPOINT analyze_copied", NULL, NULL) != ERR_OK) return;
    if (pg_cmd(c, sql, NULL, NULL) == ERR_OK) {
        pg_cmd(c, "RELEASE SAVEPOINT analyze_copied", NULL, NULL);
        return;
    }
    log_info("copy: could not ANALYZE the copied tables (%s); the planner learns them when autovacuum does",
             store_last_error(c));
    pg_cmd(c, "ROLLBACK TO SAVEPOINT analyze_copied", NULL, NULL);
}

/* An identity column hands out its sequence's next value whatever the rows
 * hold: set it past the largest copied one (or back to 1 on no rows). */
enum err pg_copy_finish(struct store_conn *c)
{
    enum err rc = set_triggers(c, true);
    if (rc != ERR_OK) return rc;
    for (int i = 0; i < store_tables_count; i++) {
        const struct store_table *t = &store_tables[i];
        if (t->serial < 0) continue;
        char sql[SQL_MAX] = "SELECT setval(pg_get_serial_sequence('";
        const char *col = t->cols[t->serial].name;
        cat(sql, "%s', '%s'), ", t->name, col);
        cat(sql, "coalesce(max(%s), 0) + 1, false) FROM %s", col, t->name);
        PGresult *res;
        rc = pg_row(c, sql, NULL, &res);
        if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
        PQclear(res);
    }
    /* the search's documents are derived: made here, never copied */
    if ((rc = pg_search_rebuild(c, false)) != ERR_OK) return rc;
    analyze_copied(c);
    return ERR_OK;
}

const char pg_columns_sql[] = "SELECT table_name || '.' || column_name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() "
                              "AND table_name NOT IN ('schema_migrations', 'data_version', 'data_version_parts') "
                              "AND table_name NOT LIKE 'search\\_%' "
                              "ORDER BY 1";

int pg_columns_of(const PGresult *res, char ***names, int *n)
{
    *n = 0;
    *names = calloc((size_t)PQntuples(res) + 1, sizeof **names);
    if (!*names) return -1;
    for (int r = 0; r < PQntuples(res); r++) (*names)[(*n)++] = pg_col_dup(res, r, 0);
    return 0;
}

enum err pg_copy_columns(struct store_conn *c, char ***names, int *n)
{
    enum err rc;
    *names = NULL;
    *n = 0;
    PGresult *res = pg_run(c, pg_columns_sql, NULL, &rc);
    if (!res) return rc;
    int ret = pg_columns_of(res, names, n);
    PQclear(res);
    return ret == 0 ? ERR_OK : ERR_INTERNAL;
}
