/* queue.c (pg): the queries over many tasks: the filtered, keyset-paged
 * queue, its stats, the sweeper's overdue list and the totals GET /metrics
 * reads (kept by the triggers of the schema). The same contracts, answers
 * and order as the SQLite backend's queue.c (store/ops.h says each op's).
 *
 * The queue's statements are built per request from the filter. PostgreSQL
 * refuses a parameter a statement never uses (it cannot give it a type), so
 * a value becomes a parameter only where the text names it: struct query
 * numbers each value the first time it is written, and writes the same
 * number again where the value is used again. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

/* a rank's tsquery: q's words three times over (rank_tsquery) */
#define RANK_QUERY_SIZE (3 * TEXT_WORDS_MAX * (TEXT_WORD_SIZE + 12) + 64)

struct query {
    char sql[4096];
    size_t len; /* past sizeof sql: too long, refused before running */
    struct pg_params p;
    const char *today;
    int64_t now;
    /* the assignee filter's ids as one text[] literal: one parameter
     * however many ids (FILTER_MAX_ASSIGNEES of them would not fit in
     * PG_MAX_PARAMS beside the rest) */
    char assignees[FILTER_MAX_ASSIGNEES * (2 * EXT_ID_SIZE + 3) + 3];
    int n_today, n_now; /* their parameter numbers, 0 until written */
    /* the tsquery text of q: every word; or of one relevance rank and the
     * part of it GIN looks up */
    char tsq[RANK_QUERY_SIZE], tsq_index[RANK_QUERY_SIZE];
    bool q_frequent; /* q matches 1 document in FREQUENT_SHARE or more (add_filter) */
};

/* The tsquery of q's words, each a prefix ('word':*), all required, each
 * under tag (search.c's tagged words, "" for the words of every part).
 * Words hold no quote or backslash (text.h). */
static const char *tsquery(const struct text_words *q, const char *tag, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < q->n && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s'%s%s':*", i ? " & " : "", tag, q->w[i]);
    return out;
}

/* The tsquery of relevance rank r (2 when the title has every word, plus 1
 * when the customer's name has them, as SQLite's queue.c ranks): every word
 * in the title and in the name (3), in the title and not all in the name
 * (2), in the name and not all in the title (1), anywhere but neither (0).
 * With index_part, only the part of it GIN is to look up (the rest is
 * checked on the rows): GIN reads every document of each prefix it is
 * given before it intersects them (~50 ms for a word of one title in 8
 * here), so it gets the words of one part, the customer's name for ranks 3
 * and 1 (names have rarer words than titles), the title for 2, all for 0. */
static const char *rank_tsquery(const struct text_words *q, int r, bool index_part, char *out, size_t n)
{
    char all[TEXT_WORDS_MAX * (TEXT_WORD_SIZE + 12) + 1], t[sizeof all], cu[sizeof all];
    tsquery(q, "", all, sizeof all);
    tsquery(q, SEARCH_TAG_TITLE, t, sizeof t);
    tsquery(q, SEARCH_TAG_CUSTOMER, cu, sizeof cu);
    if (index_part) snprintf(out, n, "%s", r == 3 || r == 1 ? cu : r == 2 ? t : all);
    else if (r == 3) snprintf(out, n, "(%s) & (%s)", t, cu);
    else if (r == 2) snprintf(out, n, "(%s) & !(%s)", t, cu);
    else if (r == 1) snprintf(out, n, "(%s) & !(%s)", cu, t);
    else snprintf(out, n, "(%s) & !(%s) & !(%s)", all, t, cu);
    return out;
}

static void add(struct query *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct query *b, const char *fmt, ...)
{
    if (b->len >= sizeof b->sql) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->sql + b->len, sizeof b->sql - b->len, fmt, ap);
    va_end(ap);
    if (k > 0) b->len += (size_t)k;
}

/* Writes "$n" for a new text parameter v. */
static void add_text(struct query *b, const char *v)
{
    pg_p_opt_text(&b->p, v);
    add(b, "$%d", b->p.n);
}

static void add_int(struct query *b, int64_t v)
{
    pg_p_int(&b->p, v);
    add(b, "$%d", b->p.n);
}

/* Writes the parameter of the query's today, or of its now. */
static void add_today(struct query *b)
{
    if (!b->n_today) {
        pg_p_opt_text(&b->p, b->today);
        b->n_today = b->p.n;
    }
    add(b, "$%d", b->n_today);
}

/* The instant a task's SLA is judged at: now, or the start of its pause in
 * progress (SLA clocks: a paused clock stands still), as domain/sla.c's
 * sla_judged_at. Every use compares an SLA instant with it. */
static void add_now(struct query *b)
{
    if (!b->n_now) {
        pg_p_int(&b->p, b->now);
        b->n_now = b->p.n;
    }
    add(b, "coalesce(sla_paused_at, $%d::bigint)", b->n_now);
}

/* The array literal {"a","b"} of ids[0..n) in out (sized as
 * query.assignees), each quoted, with " and \ escaped. */
static const char *text_array(char *out, const char (*ids)[EXT_ID_SIZE], int n)
{
    char *o = out;
    *o++ = '{';
    for (int i = 0; i < n && i < FILTER_MAX_ASSIGNEES; i++) {
        if (i) *o++ = ',';
        *o++ = '"';
        for (const char *s = ids[i]; *s && s < ids[i] + EXT_ID_SIZE; s++) {
            if (*s == '"' || *s == '\\') *o++ = '\\';
            *o++ = *s;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = 0;
    return out;
}

/* Writes the WHERE terms shared by the queue and its stats, each value a
 * parameter. */
static void add_filter(struct query *b, const struct task_filter *f, bool with_status)
{
    add(b, " WHERE true");
    if (with_status && f->status_mask && f->status_mask != (1u << TASK_STATUS__COUNT) - 1) {
        add(b, " AND (");
        bool first = true;
        for (int s = 0; s < TASK_STATUS__COUNT; s++) {
            if (!(f->status_mask & (1u << s))) continue;
            add(b, "%s", first ? "" : " OR ");
            first = false;
            switch ((enum task_status)s) {
            case TASK_OPEN:
                add(b, "(status = 'OPEN' AND due_date >= ");
                add_today(b);
                add(b, ")");
                break;
            case TASK_IN_PROGRESS:
                add(b, "(status = 'IN_PROGRESS' AND due_date >= ");
                add_today(b);
                add(b, ")");
                break;
            case TASK_OVERDUE:
                add(b, "(status IN ('OPEN', 'IN_PROGRESS') AND due_date < ");
                add_today(b);
                add(b, ")");
                break;
            case TASK_COMPLETED: add(b, "status = 'COMPLETED'"); break;
            case TASK_CANCELLED: add(b, "status = 'CANCELLED'"); break;
            default: add(b, "false"); break;
            }
        }
        add(b, ")");
    }
    if (f->priority_mask && f->priority_mask != (1u << PRIORITY__COUNT) - 1) {
        add(b, " AND prio IN (");
        bool first = true;
        for (int p = 0; p < PRIORITY__COUNT; p++) {
            if (!(f->priority_mask & (1u << p))) continue;
            add(b, "%s%d", first ? "" : ", ", task_priority_rank((enum task_priority)p));
            first = false;
        }
        add(b, ")");
    }
    if (f->n_assignees || f->assignee_none) {
        add(b, " AND (");
        if (f->n_assignees) {
            add(b, "assignee_id = ANY(");
            add_text(b, text_array(b->assignees, f->assignees, f->n_assignees));
            add(b, "::text[])");
        }
        if (f->assignee_none) add(b, "%sassignee_id IS NULL", f->n_assignees ? " OR " : "");
        add(b, ")");
    }
    if (f->user_id[0]) {
        add(b, " AND user_id = ");
        add_text(b, f->user_id);
    }
    if (f->due_from[0]) {
        add(b, " AND due_date >= ");
        add_text(b, f->due_from);
    }
    if (f->due_to[0]) {
        add(b, " AND due_date <= ");
        add_text(b, f->due_to);
    }
    /* the SLA filters, the same rules as domain/sla.c */
    if (f->sla_breached == SLA_FILTER_BREACHED || f->sla_breached == SLA_FILTER_NOT_BREACHED) {
        add(b, " AND sla_due_at IS NOT NULL AND %s((status = 'COMPLETED' AND completed_at > sla_due_at) OR "
               "(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ",
            f->sla_breached == SLA_FILTER_NOT_BREACHED ? "NOT " : "");
        add_now(b);
        add(b, "))");
    }
    if (f->sla_at_risk) {
        add(b, " AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= ");
        add_now(b);
        add(b, " AND sla_risk_at <= ");
        add_now(b);
    }
    if (f->renewal_id[0]) {
        add(b, " AND renewal_id = ");
        add_text(b, f->renewal_id);
    }
    /* search and the page's views; a frequent q (q_frequent) has each word
     * as ('w' | 'w':*), the same matches as 'w':*: PostgreSQL estimates a
     * prefix at a few % of the rows whatever it is, but a word from its
     * statistics, so that the planner walks the sort's index testing each
     * task (-created_at, q=passport copy over 1,000,000 tasks: ~1.8 s ->
     * ~2 ms) where it took every match from GIN and sorted them; a rare q
     * keeps the prefixes alone, which send the planner to GIN */
    if (f->q.n) {
        add(b, " AND id IN (SELECT task_id FROM search_tasks WHERE vec @@ ");
        size_t len = 0;
        b->tsq[0] = 0;
        for (int i = 0; i < f->q.n && len < sizeof b->tsq; i++) {
            const char *w = f->q.w[i], *sep = i ? " & " : "";
            len += b->q_frequent ? (size_t)snprintf(b->tsq + len, sizeof b->tsq - len, "%s('%s' | '%s':*)", sep, w, w)
                                 : (size_t)snprintf(b->tsq + len, sizeof b->tsq - len, "%s'%s':*", sep, w);
        }
        add_text(b, b->tsq);
        add(b, "::tsquery)");
    }
    if (f->source_mask && f->source_mask != (1u << SOURCE__COUNT) - 1) {
        add(b, " AND source IN (");
        bool first = true;
        for (int i = 0; i < SOURCE__COUNT; i++) {
            if (!(f->source_mask & (1u << i))) continue;
            add(b, "%s'%s'", first ? "" : ", ", task_source_name((enum task_source)i));
            first = false;
        }
        add(b, ")");
    }
    if (f->completed_from_ms) {
        add(b, " AND completed_at >= ");
        add_int(b, f->completed_from_ms);
    }
    if (f->completed_to_ms) {
        add(b, " AND completed_at < ");
        add_int(b, f->completed_to_ms);
    }
    if (f->sla_state_mask) {
        add(b, " AND (");
        const char *sep = "";
        if (f->sla_state_mask & SLA_STATE_MET) {
            add(b, "%s(status = 'COMPLETED' AND completed_at <= sla_due_at)", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_AT_RISK) {
            add(b, "%s(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= ", sep);
            add_now(b);
            add(b, " AND sla_risk_at <= ");
            add_now(b);
            add(b, ")");
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_BREACHED) {
            add(b, "%s((status = 'COMPLETED' AND completed_at > sla_due_at) OR "
                   "(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ", sep);
            add_now(b);
            add(b, "))");
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_NONE) {
            add(b, "%ssla_due_at IS NULL", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_PAUSED) add(b, "%s(sla_due_at IS NOT NULL AND sla_paused_at IS NOT NULL)", sep);
        add(b, ")");
    }
    /* SLA clocks: waiting on the customer is a pause in progress */
    if (f->waiting != WAITING_ANY) add(b, " AND sla_paused_at IS %s", f->waiting == WAITING_YES ? "NOT NULL" : "NULL");
}

/* Sort orders: the columns and directions, most significant first. Keyset
 * pagination compares the cursor's values against them in the same order.
 * Every column is NOT NULL, so PostgreSQL's NULL placement (last, where
 * SQLite puts them first) never arises. */
enum cursor_value { C_DUE, C_PRIO, C_CREATED, C_ID, C_SLA, C_UPDATED, C__COUNT };

struct sort_key {
    const char *col;
    enum cursor_value v;
    bool desc;
};

static const struct sort_key *sort_keys(enum task_sort s, int *n)
{
    static const struct sort_key due[] = {
        {"due_date", C_DUE, false}, {"prio", C_PRIO, false}, {"created_at", C_CREATED, false}, {"id", C_ID, false}};
    static const struct sort_key due_desc[] = {
        {"due_date", C_DUE, true}, {"prio", C_PRIO, false}, {"created_at", C_CREATED, false}, {"id", C_ID, false}};
    static const struct sort_key prio[] = {
        {"prio", C_PRIO, false}, {"due_date", C_DUE, false}, {"created_at", C_CREATED, false}, {"id", C_ID, false}};
    /* ids begin with their creation millisecond (service_task_create makes
     * both from one instant), so id order is (created_at, id) order, as in
     * the SQLite backend */
    static const struct sort_key created[] = {{"id", C_ID, false}};
    static const struct sort_key created_desc[] = {{"id", C_ID, true}};
    static const struct sort_key sla[] = {
        {"coalesce(sla_due_at, 9223372036854775807)", C_SLA, false}, {"due_date", C_DUE, false}, {"id", C_ID, false}};
    static const struct sort_key updated_desc[] = {{"updated_at", C_UPDATED, true}, {"id", C_ID, true}};
    switch (s) {
    case SORT_SLA_DUE_AT: *n = 3; return sla;
    case SORT_UPDATED_AT_DESC: *n = 2; return updated_desc;
    case SORT_DUE_DATE_DESC: *n = 4; return due_desc;
    case SORT_PRIORITY: *n = 4; return prio;
    case SORT_CREATED_AT: *n = 1; return created;
    case SORT_CREATED_AT_DESC: *n = 1; return created_desc;
    default: *n = 4; return due;
    }
}

/* Writes the parameter of one of the cursor's values (numbered once). */
static void add_cursor(struct query *b, const struct task_cursor *cur, enum cursor_value v, int num[C__COUNT])
{
    if (!num[v]) {
        switch (v) {
        case C_DUE: pg_p_opt_text(&b->p, cur->due_date); break;
        case C_PRIO: pg_p_int(&b->p, cur->prio_rank); break;
        case C_CREATED: pg_p_int(&b->p, cur->created_at); break;
        case C_SLA: pg_p_int(&b->p, cur->sla_key); break;
        case C_UPDATED: pg_p_int(&b->p, cur->updated_at); break;
        default: pg_p_opt_text(&b->p, cur->id); break;
        }
        num[v] = b->p.n;
    }
    add(b, "$%d", num[v]);
}

/* Relevance answers rank by rank, each rank walked in document order,
 * newest first (search_tasks.seq), so that a page reads about its own rows
 * and stops, as SQLite's walks FTS5 rowids; ranking every match and sorting
 * them took ~1 s for 125,000 matches of 1,000,000 tasks (bench/NOTES.md).
 * A rank is looked for first among the RANK_WINDOW newest documents below
 * the cursor, by the seq index (a rank with many matches fills the page
 * there); what is missing then comes from the GIN index (a rank with few
 * matches, or none): walking the seq index alone would read every document
 * for a rank without matches, and the planner cannot tell, as the ranks
 * exclude each other (its estimates multiply the words' frequencies). */
#define RANK_WINDOW 4096

/* The rows of rank r below seq hi (0: from the newest), newest first, until
 * out holds limit + 1 (the one past the page says there are more): from
 * the window (the RANK_WINDOW documents below hi) or from the rest. */
static enum err rank_rows(struct store_conn *c, const struct task_query *q, int r, int64_t hi, bool window,
                          struct task_page *out, int64_t *last_seq)
{
    struct query b = {.today = q->today, .now = q->filter.now_ms};
    struct task_filter f = q->filter;
    f.q.n = 0; /* the rank's own tsquery is the q term */
    if (window) {
        add(&b, "SELECT " PG_TASK_READ_COLS ", s.seq FROM (SELECT task_id, vec, seq FROM search_tasks");
        if (hi) {
            add(&b, " WHERE seq < ");
            add_int(&b, hi);
        }
        add(&b, " ORDER BY seq DESC LIMIT %d) s JOIN tasks ON tasks.id = s.task_id", RANK_WINDOW);
    } else {
        add(&b, "SELECT " PG_TASK_READ_COLS ", s.seq FROM search_tasks s JOIN tasks ON tasks.id = s.task_id");
    }
    add_filter(&b, &f, true);
    if (!window) {
        add(&b, " AND s.vec @@ ");
        add_text(&b, rank_tsquery(&q->filter.q, r, true, b.tsq_index, sizeof b.tsq_index));
        add(&b, "::tsquery");
        if (hi) {
            add(&b, " AND s.seq < ");
            add_int(&b, hi);
        }
    }
    /* IS TRUE: a test of the rows, not a condition for GIN */
    add(&b, " AND (s.vec @@ ");
    add_text(&b, rank_tsquery(&q->filter.q, r, false, b.tsq, sizeof b.tsq));
    add(&b, "::tsquery) IS TRUE");
    /* seq + 0 in the rest: not by walking the seq index */
    add(&b, " ORDER BY %s DESC LIMIT ", window ? "s.seq" : "s.seq + 0");
    add_int(&b, (int64_t)q->limit + 1 - out->n);
    if (b.len >= sizeof b.sql) {
        log_error("pg: task_list: the query is too long for its buffer");
        return ERR_INTERNAL;
    }
    enum err rc;
    PGresult *res = pg_run(c, b.sql, &b.p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        if (out->n == q->limit) {
            out->has_more = true;
            break;
        }
        pg_read_task(res, i, &out->items[out->n++]);
        *last_seq = pg_col_int64(res, i, PQnfields(res) - 1); /* seq: the last */
        out->last_rank = r;
    }
    PQclear(res);
    return ERR_OK;
}

/* The seq the window below hi ends at (its oldest document), or 0 when the
 * window holds every document below hi. */
static enum err window_end(struct store_conn *c, int64_t hi, int64_t *end)
{
    struct pg_params p = {0};
    char sql[256];
    pg_p_int(&p, hi ? hi : INT64_MAX);
    snprintf(sql, sizeof sql, "SELECT count(*), min(seq) FROM (SELECT seq FROM search_tasks WHERE seq < $1 "
                              "ORDER BY seq DESC LIMIT %d) AS w", RANK_WINDOW);
    PGresult *res;
    enum err rc = pg_row(c, sql, &p, &res);
    if (rc != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    *end = pg_col_int64(res, 0, 0) < RANK_WINDOW ? 0 : pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}

static enum err relevance_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    int top = q->after.set && q->after.rank >= 0 && q->after.rank < 3 ? (int)q->after.rank : 3;
    int64_t last_seq = 0;
    for (int r = top; r >= 0 && !out->has_more; r--) {
        int64_t hi = q->after.set && r == top ? q->after.doc_seq : 0;
        enum err rc = rank_rows(c, q, r, hi, true, out, &last_seq);
        if (rc != ERR_OK) return rc;
        if (out->has_more) break;
        int64_t end;
        if ((rc = window_end(c, hi, &end)) != ERR_OK) return rc;
        if (end && (rc = rank_rows(c, q, r, end, false, out, &last_seq)) != ERR_OK) return rc;
    }
    out->last_doc_seq = last_seq;
    return ERR_OK;
}

/* Whether q matches at least 1 in FREQUENT_SHARE of the RANK_WINDOW newest
 * documents (by the seq index, ~2 ms): a sample of how common it is, which
 * PostgreSQL's estimates of prefixes cannot tell (add_filter). */
#define FREQUENT_SHARE 128
static bool q_is_frequent(struct store_conn *c, const struct text_words *q)
{
    char tsq[RANK_QUERY_SIZE], sql[256];
    struct pg_params p = {0};
    pg_p_opt_text(&p, tsquery(q, "", tsq, sizeof tsq));
    snprintf(sql, sizeof sql, "SELECT count(*) FILTER (WHERE vec @@ $1::tsquery), count(*) FROM (SELECT vec FROM "
                              "search_tasks ORDER BY seq DESC LIMIT %d) AS w", RANK_WINDOW);
    PGresult *res;
    if (pg_row(c, sql, &p, &res) != ERR_OK) return false;
    int64_t hits = pg_col_int64(res, 0, 0), docs = pg_col_int64(res, 0, 1);
    PQclear(res);
    return docs > 0 && hits * FREQUENT_SHARE >= docs;
}

enum err pg_task_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    memset(out, 0, sizeof *out);
    if (q->sort == SORT_RELEVANCE && q->filter.q.n) {
        out->items = calloc((size_t)(q->limit > 0 ? q->limit : 0) + 1, sizeof *out->items);
        if (!out->items) return ERR_INTERNAL;
        enum err rc = relevance_list(c, q, out);
        if (rc != ERR_OK) store_task_page_free(out);
        return rc;
    }
    struct query b = {.today = q->today, .now = q->filter.now_ms};
    b.q_frequent = q->filter.q.n && q_is_frequent(c, &q->filter.q);
    add(&b, "SELECT " PG_TASK_READ_COLS " FROM tasks");
    add_filter(&b, &q->filter, true);
    int nk;
    const struct sort_key *k = sort_keys(q->sort, &nk);
    if (q->after.set) {
        /* (k0 > v0) OR (k0 = v0 AND k1 > v1) OR ..., led by k0 >= v0 so the
         * index range starts at the cursor instead of the beginning. */
        int num[C__COUNT] = {0};
        add(&b, " AND %s %s ", k[0].col, k[0].desc ? "<=" : ">=");
        add_cursor(&b, &q->after, k[0].v, num);
        add(&b, " AND (");
        for (int i = 0; i < nk; i++) {
            add(&b, "%s(", i ? " OR " : "");
            for (int j = 0; j < i; j++) {
                add(&b, "%s = ", k[j].col);
                add_cursor(&b, &q->after, k[j].v, num);
                add(&b, " AND ");
            }
            add(&b, "%s %s ", k[i].col, k[i].desc ? "<" : ">");
            add_cursor(&b, &q->after, k[i].v, num);
            add(&b, ")");
        }
        add(&b, ")");
    }
    add(&b, " ORDER BY ");
    for (int i = 0; i < nk; i++) add(&b, "%s%s%s", i ? ", " : "", k[i].col, k[i].desc ? " DESC" : "");
    add(&b, " LIMIT ");
    add_int(&b, (int64_t)q->limit + 1);
    /* Several stored statuses (All active, status=all) in an order whose
     * index is led by the status: one ordered index scan per status, each
     * stopped at the page's end, merged, instead of every matching row
     * sorted (35 ms for All active at 100,000 tasks). As the SQLite backend
     * does. The arms repeat the query's text, with the same parameters. */
    const char *arms[4];
    int n_arms = store_task_query_arms(q, arms);
    char *merged = NULL;
    if (n_arms > 1 && b.len < sizeof b.sql) {
        /* b.sql is SELECT ... FROM tasks WHERE ... ORDER BY ... LIMIT $n */
        const char *order = strstr(b.sql, " ORDER BY ");
        size_t cap = (b.len + 64) * (size_t)n_arms + 256 + strlen(order);
        if (!order || !(merged = malloc(cap))) return ERR_INTERNAL;
        size_t where = (size_t)(order - b.sql), n = (size_t)snprintf(merged, cap, "SELECT * FROM (");
        for (int a = 0; a < n_arms; a++)
            n += (size_t)snprintf(merged + n, n < cap ? cap - n : 0, "%s(%.*s AND status = '%s'%s)",
                                  a ? " UNION ALL " : "", (int)where, b.sql, arms[a], order);
        n += (size_t)snprintf(merged + n, n < cap ? cap - n : 0, ") merged%s", order);
        if (n >= cap) {
            free(merged);
            return ERR_INTERNAL;
        }
    }
    if (b.len >= sizeof b.sql) {
        log_error("pg: task_list: the query is too long for its buffer");
        return ERR_INTERNAL;
    }
    enum err rc;
    PGresult *res = pg_run(c, merged ? merged : b.sql, &b.p, &rc);
    free(merged);
    if (!res) return rc;
    int rows = PQntuples(res);
    out->items = calloc((size_t)(q->limit > 0 ? q->limit : 0) + 1, sizeof *out->items);
    if (!out->items) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < rows; r++) {
        if (out->n == q->limit) {
            out->has_more = true;
            break;
        }
        pg_read_task(res, r, &out->items[out->n++]);
    }
    PQclear(res);
    return ERR_OK;
}

/* The two SLA counts of the stats, as two columns: active tasks past their
 * deadline, and those past their 80% instant but not their deadline (a
 * paused clock judged at its pause). */
static void add_sla_counts(struct query *b)
{
    add(b, "count(*) FILTER (WHERE status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ");
    add_now(b);
    add(b, "), count(*) FILTER (WHERE status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= ");
    add_now(b);
    add(b, " AND sla_risk_at <= ");
    add_now(b);
    add(b, ")");
}

/* The stats of a search in one pass over its matches (the counts and both
 * SLA counts), where three statements each found every match again:
 * q=passport copy over 1,000,000 tasks (125,000 matches) took ~4.5 s here. */
static enum err stats_of_matches(struct store_conn *c, const struct task_filter *f, const char *today,
                                 int64_t now_ms, struct task_stats *out)
{
    struct query b = {.today = today, .now = now_ms};
    add(&b, "SELECT status, due_date < ");
    add_today(&b);
    add(&b, ", count(*), ");
    add_sla_counts(&b);
    add(&b, " FROM tasks");
    add_filter(&b, f, false);
    add(&b, " GROUP BY 1, 2");
    if (b.len >= sizeof b.sql) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, b.sql, &b.p, &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        enum task_status s;
        if (task_status_parse(PQgetvalue(res, r, 0), &s) != 0) continue;
        bool late = strcmp(PQgetvalue(res, r, 1), "t") == 0;
        if (late && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->counts[s] += pg_col_int64(res, r, 2);
        out->sla_breached_active += pg_col_int64(res, r, 3);
        out->sla_at_risk_active += pg_col_int64(res, r, 4);
    }
    PQclear(res);
    return ERR_OK;
}

enum err pg_task_stats(struct store_conn *c, const struct task_filter *f, const char *today, int64_t now_ms,
                       struct task_stats *out)
{
    memset(out, 0, sizeof *out);
    /* Filters on priority and due dates are answered from the task_counts
     * totals (kept by triggers); assignee and customer filters need the
     * rows, through their own indexes. */
    bool totals = store_task_filter_fits_totals(f);
    if (f->q.n) return stats_of_matches(c, f, today, now_ms, out);
    struct query b = {.today = today, .now = now_ms};
    add(&b, "SELECT status, due_date < ");
    add_today(&b);
    add(&b, ", %s FROM %s", totals ? "sum(n)" : "count(*)", totals ? "task_counts" : "tasks");
    add_filter(&b, f, false);
    add(&b, " GROUP BY 1, 2");
    if (b.len >= sizeof b.sql) return ERR_INTERNAL;
    enum err rc;
    PGresult *res = pg_run(c, b.sql, &b.p, &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        enum task_status s;
        if (task_status_parse(PQgetvalue(res, r, 0), &s) != 0) continue;
        bool late = strcmp(PQgetvalue(res, r, 1), "t") == 0;
        if (late && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->counts[s] += pg_col_int64(res, r, 2);
    }
    PQclear(res);
    /* Both SLA counts in one statement: for the stats bar (no filter) an
     * index-only scan of tasks_sla_clock, which carries every field they
     * judge (migration 014); with a filter, one pass over the filtered rows. */
    b = (struct query){.today = today, .now = now_ms};
    add(&b, "SELECT ");
    add_sla_counts(&b);
    add(&b, " FROM tasks");
    add_filter(&b, f, false);
    add(&b, " AND sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS')");
    if (b.len >= sizeof b.sql) return ERR_INTERNAL;
    if ((rc = pg_row(c, b.sql, &b.p, &res)) != ERR_OK) return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
    out->sla_breached_active = pg_col_int64(res, 0, 0);
    out->sla_at_risk_active = pg_col_int64(res, 0, 1);
    PQclear(res);
    return ERR_OK;
}

enum err pg_task_overdue_unrecorded(struct store_conn *c, const char *today, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, today);
    pg_p_int(&p, limit > 0 ? limit : 0);
    /* in the order of the tasks_queue index, which serves the query */
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id FROM tasks WHERE status IN ('OPEN', 'IN_PROGRESS') AND due_date < $1 "
                              "AND overdue_recorded = 0 ORDER BY status, due_date, prio, created_at, id LIMIT $2",
                           &p, &rc);
    if (!res) return rc;
    char **out = calloc((size_t)(limit > 0 ? limit : 1), sizeof *out);
    if (!out) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int r = 0; r < PQntuples(res) && *n < limit; r++) {
        out[*n] = pg_col_dup(res, r, 0);
        if (!out[*n]) break;
        (*n)++;
    }
    PQclear(res);
    *ids = out;
    return ERR_OK;
}

enum err pg_overdue_scan(struct store_conn *c, const char *today,
                         void (*by_assignee)(void *arg, const char *assignee, const char *due, int64_t n),
                         void (*by_priority)(void *arg, enum task_priority p, const char *due, int64_t n), void *arg)
{
    /* by assignee: from the rows (the tasks_by_assignee index), grouped by
     * assignee as the caller expects, unassigned first as SQLite has them;
     * by priority: the task_counts totals */
    struct pg_params p = {0};
    pg_p_opt_text(&p, today);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT assignee_id, due_date, count(*) FROM tasks WHERE status IN ('OPEN', "
                              "'IN_PROGRESS') AND due_date < $1 GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2",
                           &p, &rc);
    if (!res) return rc;
    char due[DATE_SIZE];
    for (int r = 0; r < PQntuples(res); r++) {
        pg_col_copy(res, r, 1, due, sizeof due);
        by_assignee(arg, pg_col_null(res, r, 0) ? "" : PQgetvalue(res, r, 0), due, pg_col_int64(res, r, 2));
    }
    PQclear(res);
    res = pg_run(c, "SELECT prio, due_date, sum(n) FROM task_counts WHERE status IN ('OPEN', 'IN_PROGRESS') "
                    "AND due_date < $1 GROUP BY 1, 2 ORDER BY 1, 2",
                 &p, &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        int rank = (int)pg_col_int64(res, r, 0);
        pg_col_copy(res, r, 1, due, sizeof due);
        int64_t n = pg_col_int64(res, r, 2);
        if (n > 0) by_priority(arg, (enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank)), due, n);
    }
    PQclear(res);
    return ERR_OK;
}

enum err pg_metrics_read(struct store_conn *c, const char *today, int64_t now_ms, struct store_metrics *out)
{
    memset(out, 0, sizeof *out);
    struct pg_params p = {0};
    pg_p_opt_text(&p, today);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT status, prio, due_date < $1, sum(n) FROM task_counts GROUP BY 1, 2, 3", &p,
                           &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        enum task_status s;
        if (task_status_parse(PQgetvalue(res, r, 0), &s) != 0) continue;
        int64_t rank = pg_col_int64(res, r, 1);
        if (rank < 0 || rank > 3) continue;
        if (strcmp(PQgetvalue(res, r, 2), "t") == 0 && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->tasks[s][PRIORITY_URGENT - rank] += pg_col_int64(res, r, 3);
    }
    PQclear(res);
    struct pg_params q = {0};
    pg_p_int(&q, now_ms);
    res = pg_run(c, "SELECT count(*) FROM tasks WHERE status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < coalesce(sla_paused_at, $1::bigint)", &q,
                 &rc);
    if (!res) return rc;
    out->sla_breached_active = PQntuples(res) ? pg_col_int64(res, 0, 0) : 0;
    PQclear(res);
    res = pg_run(c, "SELECT name, n FROM metric_counters", NULL, &rc);
    if (!res) return rc;
    for (int r = 0; r < PQntuples(res); r++) {
        if (pg_col_null(res, r, 0)) continue;
        const char *name = PQgetvalue(res, r, 0);
        int64_t n = pg_col_int64(res, r, 1);
        enum task_source src;
        if (strncmp(name, "created_", 8) == 0 && task_source_parse(name + 8, &src) == 0) out->created[src] = n;
        else if (strcmp(name, "completed") == 0) out->completed = n;
        else if (strcmp(name, "cancelled") == 0) out->cancelled = n;
        else if (strcmp(name, "overdue_transitions") == 0) out->overdue_transitions = n;
        else if (strcmp(name, "sla_breaches") == 0) out->sla_breaches = n;
    }
    PQclear(res);
    return ERR_OK;
}
