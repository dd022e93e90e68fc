/* queue.c (sqlite): the queries over many tasks: the filtered, keyset-paged
 * queue, its stats, the sweeper's overdue list and the totals GET /metrics
 * reads (kept by the triggers of migration 004). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* Builds the WHERE terms shared by the queue and its stats into sql; named
 * parameters are bound by bind_filter. */
static void filter_sql(char *sql, size_t n, const struct task_filter *f, bool with_status)
{
    size_t len = strlen(sql);
#define ADD(...) len += (size_t)snprintf(sql + len, len < n ? n - len : 0, __VA_ARGS__)
    ADD(" WHERE 1");
    if (with_status && f->status_mask && f->status_mask != (1u << TASK_STATUS__COUNT) - 1) {
        static const char *cond[] = {
            [TASK_OPEN] = "(status = 'OPEN' AND due_date >= :today)",
            [TASK_IN_PROGRESS] = "(status = 'IN_PROGRESS' AND due_date >= :today)",
            [TASK_OVERDUE] = "(status IN ('OPEN', 'IN_PROGRESS') AND due_date < :today)",
            [TASK_COMPLETED] = "status = 'COMPLETED'",
            [TASK_CANCELLED] = "status = 'CANCELLED'",
        };
        ADD(" AND (");
        bool first = true;
        for (int s = 0; s < TASK_STATUS__COUNT; s++) {
            if (!(f->status_mask & (1u << s))) continue;
            ADD("%s%s", first ? "" : " OR ", cond[s]);
            first = false;
        }
        ADD(")");
    }
    if (f->priority_mask && f->priority_mask != (1u << PRIORITY__COUNT) - 1) {
        ADD(" AND prio IN (");
        bool first = true;
        for (int p = 0; p < PRIORITY__COUNT; p++) {
            if (!(f->priority_mask & (1u << p))) continue;
            ADD("%s%d", first ? "" : ", ", task_priority_rank((enum task_priority)p));
            first = false;
        }
        ADD(")");
    }
    if (f->n_assignees || f->assignee_none) {
        ADD(" AND (");
        if (f->n_assignees) {
            ADD("assignee_id IN (");
            for (int i = 0; i < f->n_assignees; i++) ADD("%s:as%d", i ? ", " : "", i);
            ADD(")");
        }
        if (f->assignee_none) ADD("%sassignee_id IS NULL", f->n_assignees ? " OR " : "");
        ADD(")");
    }
    if (f->user_id[0]) ADD(" AND user_id = :user");
    if (f->due_from[0]) ADD(" AND due_date >= :due_from");
    if (f->due_to[0]) ADD(" AND due_date <= :due_to");
    /* the SLA filters, the same rules as domain/sla.c */
#define SLA_BREACHED_SQL "((status = 'COMPLETED' AND completed_at > sla_due_at) OR " \
                         "(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < coalesce(sla_paused_at, :now)))"
    if (f->sla_breached == SLA_FILTER_BREACHED) ADD(" AND sla_due_at IS NOT NULL AND %s", SLA_BREACHED_SQL);
    if (f->sla_breached == SLA_FILTER_NOT_BREACHED) ADD(" AND sla_due_at IS NOT NULL AND NOT %s", SLA_BREACHED_SQL);
    if (f->sla_at_risk)
        ADD(" AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= coalesce(sla_paused_at, :now) AND sla_risk_at <= coalesce(sla_paused_at, :now)");
#undef SLA_BREACHED_SQL
    if (f->renewal_id[0]) ADD(" AND renewal_id = :renewal"); /* renewals */
    /* search and the page's views */
    if (f->q.n) ADD(" AND id IN (SELECT task_id FROM search_docs WHERE rid IN (SELECT rowid FROM search_tasks "
                    "WHERE search_tasks MATCH :q))");
    if (f->source_mask && f->source_mask != (1u << SOURCE__COUNT) - 1) {
        ADD(" AND source IN (");
        bool first = true;
        for (int i = 0; i < SOURCE__COUNT; i++) {
            if (!(f->source_mask & (1u << i))) continue;
            ADD("%s'%s'", first ? "" : ", ", task_source_name((enum task_source)i));
            first = false;
        }
        ADD(")");
    }
    if (f->completed_from_ms) ADD(" AND completed_at >= :completed_from");
    if (f->completed_to_ms) ADD(" AND completed_at < :completed_to");
    if (f->sla_state_mask) {
        ADD(" AND (");
        const char *sep = "";
        if (f->sla_state_mask & SLA_STATE_MET) {
            ADD("%s(status = 'COMPLETED' AND completed_at <= sla_due_at)", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_AT_RISK) {
            ADD("%s(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= coalesce(sla_paused_at, :now) AND sla_risk_at <= coalesce(sla_paused_at, :now))", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_BREACHED) {
            ADD("%s((status = 'COMPLETED' AND completed_at > sla_due_at) OR "
                "(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < coalesce(sla_paused_at, :now)))", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_NONE) {
            ADD("%ssla_due_at IS NULL", sep);
            sep = " OR ";
        }
        if (f->sla_state_mask & SLA_STATE_PAUSED) ADD("%s(sla_due_at IS NOT NULL AND sla_paused_at IS NOT NULL)", sep);
        ADD(")");
    }
    /* SLA clocks: waiting on the customer is a pause in progress */
    if (f->waiting != WAITING_ANY) ADD(" AND sla_paused_at IS %s", f->waiting == WAITING_YES ? "NOT NULL" : "NULL");
#undef ADD
}

/* The FTS5 query of q's words, each a prefix ("word"*), all required.
 * Words hold no quote (text.h). */
static void bind_query(sqlite3_stmt *st, const struct text_words *q)
{
    char text[TEXT_WORDS_MAX * (TEXT_WORD_SIZE + 8) + 1];
    size_t len = 0;
    text[0] = 0;
    for (int i = 0; i < q->n && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\"%s\"*", i ? " AND " : "", q->w[i]);
    sqlite_bind_named_text(st, ":q", text);
    for (int i = 0; i < q->n; i++) {
        char name[16];
        snprintf(name, sizeof name, ":w%d", i);
        sqlite_bind_named_text(st, name, q->w[i]);
    }
}

/* Relevance answers rank by rank, 3 down to 0 (2 when the title has every
 * word, plus 1 when the customer's name has them), each rank its own FTS5
 * query (column filters and NOT), walked in FTS5 rowid order, newest
 * document first (search_docs.rid: a task's document keeps its rid when it
 * is rewritten): FTS5 serves `ORDER BY rowid DESC` and `rowid < ?` itself,
 * so a page reads its 50 matches and stops, where ranking every match and
 * sorting them took ~2 s for 125,000 matches of 1,000,000 tasks (bench/NOTES.md).
 * The class query of rank r into out (sized as RANK_QUERY_SIZE); in_title
 * and in_name: whether the title and the customer's name columns hold
 * words of every prefix of q at all (search_parts): where one does not,
 * its part of the query matches nothing and is left out (FTS5 reads every
 * document of each prefix in a query, ~2.5 ms a prefix of 1 task in 8). */
#define RANK_QUERY_SIZE (3 * TEXT_WORDS_MAX * (TEXT_WORD_SIZE + 8) + 128)
static void rank_query(const struct text_words *q, int r, bool in_title, bool in_name, char *out, size_t n)
{
    char w[TEXT_WORDS_MAX * (TEXT_WORD_SIZE + 8) + 1];
    size_t len = 0;
    w[0] = 0;
    for (int i = 0; i < q->n && len < sizeof w; i++)
        len += (size_t)snprintf(w + len, sizeof w - len, "%s\"%s\"*", i ? " AND " : "", q->w[i]);
    switch (r) {
    case 3: snprintf(out, n, "{doc_title}: (%s) AND {doc_customer}: (%s)", w, w); break;
    case 2: snprintf(out, n, in_name ? "{doc_title}: (%s) NOT {doc_customer}: (%s)" : "{doc_title}: (%s)", w, w); break;
    case 1: snprintf(out, n, in_title ? "{doc_customer}: (%s) NOT {doc_title}: (%s)" : "{doc_customer}: (%s)", w, w); break;
    default:
        if (in_title && in_name) snprintf(out, n, "(%s) NOT {doc_title}: (%s) NOT {doc_customer}: (%s)", w, w, w);
        else if (in_title || in_name)
            snprintf(out, n, "(%s) NOT {%s}: (%s)", w, in_title ? "doc_title" : "doc_customer", w);
        else snprintf(out, n, "%s", w);
        break;
    }
}

/* Whether the title column and the customer's name column hold a word of
 * each of q's prefixes (FTS5's term counts per column, temp.search_vocab of
 * every connection, sqlite.c): a rank that needs a column that does not is
 * empty. When the counts cannot be read, both are assumed. */
static void search_parts(struct store_conn *c, const struct text_words *q, bool *in_title, bool *in_name)
{
    *in_title = *in_name = true;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT col, sum(doc) FROM temp.search_vocab WHERE term >= ? AND term < ? "
                                      "AND col IN ('doc_title', 'doc_customer') GROUP BY col");
    if (!st) return;
    for (int i = 0; i < q->n && (*in_title || *in_name); i++) {
        char end[TEXT_WORD_SIZE];
        size_t len = strlen(q->w[i]);
        if (len == 0 || (unsigned char)q->w[i][len - 1] == 0xff) continue;
        memcpy(end, q->w[i], len + 1);
        end[len - 1]++; /* the first text past every word that begins with w */
        sqlite3_bind_text(st, 1, q->w[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, end, -1, SQLITE_TRANSIENT);
        bool title = false, name = false;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *col = (const char *)sqlite3_column_text(st, 0);
            bool some = sqlite3_column_int64(st, 1) > 0;
            if (col && strcmp(col, "doc_title") == 0) title = some;
            else if (col) name = some;
        }
        sqlite_done(st);
        if (rc != SQLITE_DONE) {
            *in_title = *in_name = true;
            return;
        }
        *in_title = *in_title && title;
        *in_name = *in_name && name;
    }
}

static void bind_filter(sqlite3_stmt *st, const struct task_filter *f, const char *today)
{
    sqlite_bind_named_text(st, ":today", today);
    for (int i = 0; i < f->n_assignees; i++) {
        char name[16];
        snprintf(name, sizeof name, ":as%d", i);
        sqlite_bind_named_text(st, name, f->assignees[i]);
    }
    if (f->user_id[0]) sqlite_bind_named_text(st, ":user", f->user_id);
    if (f->due_from[0]) sqlite_bind_named_text(st, ":due_from", f->due_from);
    if (f->due_to[0]) sqlite_bind_named_text(st, ":due_to", f->due_to);
    if (f->sla_breached || f->sla_at_risk) sqlite_bind_named_int64(st, ":now", f->now_ms);
    if (f->renewal_id[0]) sqlite_bind_named_text(st, ":renewal", f->renewal_id); /* renewals */
    if (f->q.n) bind_query(st, &f->q);
    if (f->completed_from_ms) sqlite_bind_named_int64(st, ":completed_from", f->completed_from_ms);
    if (f->completed_to_ms) sqlite_bind_named_int64(st, ":completed_to", f->completed_to_ms);
    if (f->sla_state_mask & (SLA_STATE_AT_RISK | SLA_STATE_BREACHED)) sqlite_bind_named_int64(st, ":now", f->now_ms);
}

/* Sort orders: the columns and directions, most significant first. Keyset
 * pagination compares the cursor's values against them in the same order. */
struct sort_key {
    const char *col, *param;
    bool desc;
};

static const struct sort_key *sort_keys(enum task_sort s, int *n)
{
    static const struct sort_key due[] = {
        {"due_date", ":c_due", false}, {"prio", ":c_prio", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    static const struct sort_key due_desc[] = {
        {"due_date", ":c_due", true}, {"prio", ":c_prio", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    static const struct sort_key prio[] = {
        {"prio", ":c_prio", false}, {"due_date", ":c_due", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    /* ids begin with their creation millisecond (service_task_create makes
     * both from one instant), so id order is (created_at, id) order and the
     * unique id index serves these sorts */
    static const struct sort_key created[] = {{"id", ":c_id", false}};
    static const struct sort_key created_desc[] = {{"id", ":c_id", true}};
    static const struct sort_key sla[] = {
        {"coalesce(sla_due_at, 9223372036854775807)", ":c_sla", false}, {"due_date", ":c_due", false},
        {"id", ":c_id", false}};
    static const struct sort_key updated_desc[] = {{"updated_at", ":c_updated", true}, {"id", ":c_id", true}};
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

/* The page of a relevance sort (rank_query): rank by rank from the
 * cursor's, each in document order from the cursor's document in its own
 * rank, until limit + 1 rows (the one past the page says there are more). */
static enum err relevance_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    struct task_filter f = q->filter;
    f.q.n = 0; /* the rank's own match is the q term */
    int64_t last_rank = 0, last_seq = 0;
    int top = q->after.set && q->after.rank >= 0 && q->after.rank < 3 ? (int)q->after.rank : 3;
    bool in_title, in_name;
    search_parts(c, &q->filter.q, &in_title, &in_name);
    for (int r = top; r >= 0 && out->n <= q->limit; r--) {
        if ((r >= 2 && !in_title) || (r % 2 == 1 && !in_name)) continue; /* needs a column without the words */
        bool from_cursor = q->after.set && r == top;
        char sql[8192] = "SELECT " TASK_READ_COLS ", search_tasks.rowid FROM search_tasks CROSS JOIN tasks";
        filter_sql(sql, sizeof sql, &f, true);
        size_t len = strlen(sql);
        snprintf(sql + len, len < sizeof sql ? sizeof sql - len : 0,
                 " AND search_tasks MATCH :m AND tasks.id = (SELECT task_id FROM search_docs WHERE rid = "
                 "search_tasks.rowid)%s ORDER BY search_tasks.rowid DESC LIMIT :limit",
                 from_cursor ? " AND search_tasks.rowid < :c_seq" : "");
        if (strlen(sql) >= sizeof sql - 1) return ERR_INTERNAL;
        sqlite3_stmt *st = sqlite_stmt(c, sql);
        if (!st) return ERR_INTERNAL;
        bind_filter(st, &f, q->today);
        char m[RANK_QUERY_SIZE];
        rank_query(&q->filter.q, r, in_title, in_name, m, sizeof m);
        sqlite_bind_named_text(st, ":m", m);
        if (from_cursor) sqlite_bind_named_int64(st, ":c_seq", q->after.doc_seq);
        sqlite_bind_named_int64(st, ":limit", q->limit + 1 - out->n);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (out->n == q->limit) {
                out->has_more = true;
                break;
            }
            sqlite_read_task(st, &out->items[out->n++]);
            last_rank = r;
            last_seq = sqlite3_column_int64(st, sqlite3_column_count(st) - 1); /* the rowid: the last */
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_fail(c, st, "task_list relevance");
        sqlite_done(st);
        if (out->has_more) break;
    }
    out->last_rank = last_rank;
    out->last_doc_seq = last_seq;
    return ERR_OK;
}

/* With q, the sorts an index gives in order for the filter (by id; by the
 * queue's or the priority index within one status) can walk that index and
 * test each task's document against the matches: a frequent word fills a
 * page after a few hundred tasks, where taking every match and sorting them
 * read each one (q=passport copy, -created_at, 1,000,000 tasks: ~120 ms of
 * CPU -> ~25 ms). A rare word takes its matches and sorts them: the walk
 * would test most tasks. */
static bool sort_walks_an_index(const struct task_query *q)
{
    unsigned m = q->filter.status_mask;
    bool one_status = m == 1u << TASK_OPEN || m == 1u << TASK_IN_PROGRESS || m == 1u << TASK_COMPLETED ||
                      m == 1u << TASK_CANCELLED;
    switch (q->sort) {
    case SORT_CREATED_AT:
    case SORT_CREATED_AT_DESC: return true;
    case SORT_DUE_DATE:
    case SORT_PRIORITY: return one_status;
    default: return false;
    }
}

/* Whether q's words are frequent enough to walk for: at least one task in
 * WALK_DENSITY has a word of each prefix (FTS5's own term counts, the
 * temp.search_vocab of every connection: ~3 ms for a word of one task in 8
 * over 1,000,000; a document with the word in two columns counts twice, and
 * the words together may be rarer: then the walk reads more). */
#define WALK_DENSITY 128
static bool query_is_frequent(struct store_conn *c, const struct text_words *q)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT coalesce(max(rid), 0) FROM search_docs");
    if (!st) return false;
    int64_t docs = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite_done(st);
    if (!(st = sqlite_stmt(c, "SELECT coalesce(sum(doc), 0) FROM temp.search_vocab WHERE term >= ? AND term < ?")))
        return false;
    bool frequent = docs > 0;
    for (int i = 0; i < q->n && frequent; i++) {
        char end[TEXT_WORD_SIZE];
        size_t len = strlen(q->w[i]);
        memcpy(end, q->w[i], len + 1);
        if (len == 0 || (unsigned char)end[len - 1] == 0xff) return false;
        end[len - 1]++; /* the first text past every word that begins with w */
        sqlite3_bind_text(st, 1, q->w[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, end, -1, SQLITE_TRANSIENT);
        int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite_done(st);
        frequent = n * WALK_DENSITY >= docs;
    }
    return frequent;
}

enum err sqlite_task_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    memset(out, 0, sizeof *out);
    if (q->sort == SORT_RELEVANCE && q->filter.q.n) {
        out->items = calloc((size_t)q->limit + 1, sizeof *out->items);
        if (!out->items) return ERR_INTERNAL;
        enum err rc = relevance_list(c, q, out);
        if (rc != ERR_OK) store_task_page_free(out);
        return rc;
    }
    /* the tasks at risk are few (active, deadline ahead, 80% gone):
     * find them by deadline rather than walk the queue order over every task */
    const char *from = q->filter.sla_at_risk ? " FROM tasks INDEXED BY tasks_sla_clock" : " FROM tasks";
    struct task_filter f = q->filter;
    bool walk = f.q.n && sort_walks_an_index(q) && query_is_frequent(c, &f.q);
    if (walk) f.q.n = 0; /* tested per task below */
    /* the WHERE terms and the cursor's, then the order */
    char body[8192] = "", order[256] = "";
    filter_sql(body, sizeof body, &f, true);
    if (walk)
        strncat(body, " AND (SELECT rid FROM search_docs WHERE task_id = tasks.id) IN (SELECT rowid FROM "
                      "search_tasks WHERE search_tasks MATCH :q)", sizeof body - strlen(body) - 1);
    size_t len = strlen(body);
    int nk;
    const struct sort_key *k = sort_keys(q->sort, &nk);
#define ADD(...) len += (size_t)snprintf(body + len, len < sizeof body ? sizeof body - len : 0, __VA_ARGS__)
    if (q->after.set) {
        /* (k0 > v0) OR (k0 = v0 AND k1 > v1) OR ..., led by k0 >= v0 so the
         * index range starts at the cursor instead of the beginning. */
        ADD(" AND %s %s %s AND (", k[0].col, k[0].desc ? "<=" : ">=", k[0].param);
        for (int i = 0; i < nk; i++) {
            ADD("%s(", i ? " OR " : "");
            for (int j = 0; j < i; j++) ADD("%s = %s AND ", k[j].col, k[j].param);
            ADD("%s %s %s)", k[i].col, k[i].desc ? "<" : ">", k[i].param);
        }
        ADD(")");
    }
#undef ADD
    size_t on = (size_t)snprintf(order, sizeof order, " ORDER BY ");
    for (int i = 0; i < nk; i++)
        on += (size_t)snprintf(order + on, on < sizeof order ? sizeof order - on : 0, "%s%s%s", i ? ", " : "",
                               k[i].col, k[i].desc ? " DESC" : "");
    if (len >= sizeof body || on >= sizeof order) return ERR_INTERNAL;
    /* Several stored statuses (All active, status=all) in an order whose
     * index is led by the status (tasks_queue, tasks_by_priority): one
     * ordered walk per status, each stopped at the page's end, and the
     * pages merged, instead of every matching row of every status sorted
     * (12 ms for All active at 100,000 tasks, ten times that at 1,000,000;
     * 1 ms this way). */
    const char *arms[4];
    int n_arms = walk ? 0 : store_task_query_arms(q, arms);
    size_t cap = (strlen(body) + strlen(order) + sizeof TASK_READ_COLS + 128) * (size_t)(n_arms > 1 ? n_arms : 1) + 256;
    char *sql = malloc(cap);
    if (!sql) return ERR_INTERNAL;
    if (n_arms > 1) {
        size_t sn = 0;
        for (int i = 0; i < n_arms; i++)
            sn += (size_t)snprintf(sql + sn, sn < cap ? cap - sn : 0,
                                   "%sSELECT * FROM (SELECT " TASK_READ_COLS "%s%s AND status = '%s'%s LIMIT :limit)",
                                   i ? " UNION ALL " : "", from, body, arms[i], order);
        len = sn + (size_t)snprintf(sql + sn, sn < cap ? cap - sn : 0, "%s LIMIT :limit", order);
    } else if ((f.completed_from_ms || f.completed_to_ms) && !q->filter.sla_at_risk && !walk) {
        /* a window of completions (Done today): the page's rowids are
         * chosen first and only its rows read whole, instead of every
         * completion of the window read into the sorter. For the due and
         * priority orders with no filter beyond the status,
         * tasks_by_completed_order holds every column the choice needs;
         * with other sorts or filters the choice reads rows too (the same
         * answer, the page's rows read twice) */
        len = (size_t)snprintf(sql, cap, "SELECT " TASK_READ_COLS " FROM tasks WHERE rowid IN (SELECT rowid FROM tasks%s%s "
                               "LIMIT :limit)%s LIMIT :limit", body, order, order);
    } else {
        len = (size_t)snprintf(sql, cap, "SELECT " TASK_READ_COLS "%s%s%s LIMIT :limit", from, body, order);
    }
    if (len >= cap) {
        free(sql);
        return ERR_INTERNAL;
    }
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    free(sql);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, &q->filter, q->today);
    if (q->after.set) {
        sqlite_bind_named_text(st, ":c_due", q->after.due_date);
        sqlite_bind_named_int64(st, ":c_prio", q->after.prio_rank);
        sqlite_bind_named_int64(st, ":c_created", q->after.created_at);
        sqlite_bind_named_text(st, ":c_id", q->after.id);
        sqlite_bind_named_int64(st, ":c_sla", q->after.sla_key);
        sqlite_bind_named_int64(st, ":c_updated", q->after.updated_at);
    }
    sqlite_bind_named_int64(st, ":limit", q->limit + 1);
    out->items = calloc((size_t)q->limit + 1, sizeof *out->items);
    if (!out->items) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == q->limit) {
            out->has_more = true;
            break;
        }
        sqlite_read_task(st, &out->items[out->n++]);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_task_page_free(out);
        return sqlite_fail(c, st, "task_list");
    }
    sqlite_done(st);
    return ERR_OK;
}

/* The stats of a search in one pass over its matches, driven by FTS5
 * (each match's task read once for the counts and both SLA counts), where
 * three statements each found every match again: q=passport copy over
 * 1,000,000 tasks (125,000 matches) took ~1 s of CPU, ~0.25 s this way. */
static enum err stats_of_matches(struct store_conn *c, const struct task_filter *f, const char *today,
                                 int64_t now_ms, struct task_stats *out)
{
    struct task_filter g = *f;
    g.q.n = 0; /* the q term is the FTS5 side of the join */
    char sql[4096] = "SELECT status, due_date < :today, count(*), "
                     "sum(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < coalesce(sla_paused_at, :now)), "
                     "sum(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= coalesce(sla_paused_at, :now) AND sla_risk_at <= coalesce(sla_paused_at, :now)) "
                     "FROM search_tasks CROSS JOIN tasks";
    filter_sql(sql, sizeof sql, &g, false);
    strncat(sql, " AND search_tasks MATCH :q AND tasks.id = (SELECT task_id FROM search_docs WHERE rid = "
                 "search_tasks.rowid) GROUP BY 1, 2", sizeof sql - strlen(sql) - 1);
    if (strlen(sql) >= sizeof sql - 1) return ERR_INTERNAL;
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, &g, today);
    bind_query(st, &f->q);
    sqlite_bind_named_int64(st, ":now", now_ms);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum task_status s;
        if (task_status_parse((const char *)sqlite3_column_text(st, 0), &s) != 0) continue;
        bool late = sqlite3_column_int(st, 1) != 0;
        if (late && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->counts[s] += sqlite3_column_int64(st, 2);
        out->sla_breached_active += sqlite3_column_int64(st, 3);
        out->sla_at_risk_active += sqlite3_column_int64(st, 4);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "task_stats q");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_task_stats(struct store_conn *c, const struct task_filter *f, const char *today, int64_t now_ms,
                           struct task_stats *out)
{
    memset(out, 0, sizeof *out);
    /* Filters on priority and due dates are answered from the task_counts
     * totals (migration 002); assignee and customer filters need the rows,
     * through their own indexes. */
    bool totals = store_task_filter_fits_totals(f);
    if (f->q.n) return stats_of_matches(c, f, today, now_ms, out);
    char sql[4096];
    snprintf(sql, sizeof sql, "SELECT status, due_date < :today, %s FROM %s", totals ? "sum(n)" : "count(*)",
             totals ? "task_counts" : "tasks");
    filter_sql(sql, sizeof sql, f, false);
    strncat(sql, " GROUP BY 1, 2", sizeof sql - strlen(sql) - 1);
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, f, today);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum task_status s;
        if (task_status_parse((const char *)sqlite3_column_text(st, 0), &s) != 0) continue;
        bool late = sqlite3_column_int(st, 1) != 0;
        if (late && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->counts[s] += sqlite3_column_int64(st, 2);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "task_stats");
    sqlite_done(st);

    /* Both SLA counts in one statement: for the stats bar (no filter) a walk
     * of tasks_sla_clock, which holds every field they judge (migration
     * 021); with a filter, one pass over the filtered rows. */
    bool bare = store_task_filter_is_empty(f);
    char sql2[4096] = "SELECT coalesce(sum(sla_due_at < coalesce(sla_paused_at, :now)), 0), "
                      "coalesce(sum(sla_due_at >= coalesce(sla_paused_at, :now) "
                      "AND sla_risk_at <= coalesce(sla_paused_at, :now)), 0) FROM tasks";
    if (bare) strncat(sql2, " INDEXED BY tasks_sla_clock WHERE 1", sizeof sql2 - strlen(sql2) - 1);
    else filter_sql(sql2, sizeof sql2, f, false);
    strncat(sql2, " AND sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS')", sizeof sql2 - strlen(sql2) - 1);
    st = sqlite_stmt(c, sql2);
    if (!st) return ERR_INTERNAL;
    if (!bare) bind_filter(st, f, today);
    sqlite_bind_named_int64(st, ":now", now_ms);
    enum err e = sqlite_step_row(c, st, "task_stats sla");
    if (e != ERR_OK) return e;
    out->sla_breached_active = sqlite3_column_int64(st, 0);
    out->sla_at_risk_active = sqlite3_column_int64(st, 1);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_task_overdue_unrecorded(struct store_conn *c, const char *today, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_queue WHERE status IN ('OPEN', 'IN_PROGRESS')"
                               " AND due_date < ? AND overdue_recorded = 0 LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    char **out = calloc((size_t)limit, sizeof *out);
    if (!out) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
        out[*n] = sqlite_col_dup(st, 0);
        if (!out[*n]) break;
        (*n)++;
    }
    sqlite_done(st);
    *ids = out;
    return ERR_OK;
}

enum err sqlite_overdue_scan(struct store_conn *c, const char *today,
                             void (*by_assignee)(void *arg, const char *assignee, const char *due, int64_t n),
                             void (*by_priority)(void *arg, enum task_priority p, const char *due, int64_t n),
                             void *arg)
{
    /* by assignee: the assignee index alone (covering), not a row read per
     * overdue task; by priority: the task_counts totals (migration 002) */
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT assignee_id, due_date, count(*) FROM tasks INDEXED BY tasks_by_assignee "
                               "WHERE status IN ('OPEN', 'IN_PROGRESS') AND due_date < ? GROUP BY 1, 2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    int rc;
    char due[DATE_SIZE];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        sqlite_col_copy(st, 1, due, sizeof due);
        by_assignee(arg, a ? a : "", due, sqlite3_column_int64(st, 2));
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "overdue_scan assignee");
    sqlite_done(st);
    st = sqlite_stmt(c, "SELECT prio, due_date, sum(n) FROM task_counts WHERE status IN ('OPEN', 'IN_PROGRESS') "
                 "AND due_date < ? GROUP BY 1, 2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int rank = sqlite3_column_int(st, 0);
        sqlite_col_copy(st, 1, due, sizeof due);
        int64_t n = sqlite3_column_int64(st, 2);
        if (n > 0) by_priority(arg, (enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank)), due, n);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "overdue_scan priority");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_metrics_read(struct store_conn *c, const char *today, int64_t now_ms, struct store_metrics *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT status, prio, due_date < ?, sum(n) FROM task_counts GROUP BY 1, 2, 3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum task_status s;
        if (task_status_parse((const char *)sqlite3_column_text(st, 0), &s) != 0) continue;
        int rank = sqlite3_column_int(st, 1);
        if (rank < 0 || rank > 3) continue;
        if (sqlite3_column_int(st, 2) && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->tasks[s][PRIORITY_URGENT - rank] += sqlite3_column_int64(st, 3);
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "metrics_read counts");
    sqlite_done(st);
    st = sqlite_stmt(c, "SELECT count(*) FROM tasks WHERE status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < coalesce(sla_paused_at, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "metrics_read sla");
    out->sla_breached_active = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    st = sqlite_stmt(c, "SELECT name, n FROM metric_counters");
    if (!st) return ERR_INTERNAL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        enum task_source src;
        if (!name) continue;
        if (strncmp(name, "created_", 8) == 0 && task_source_parse(name + 8, &src) == 0) out->created[src] = n;
        else if (strcmp(name, "completed") == 0) out->completed = n;
        else if (strcmp(name, "cancelled") == 0) out->cancelled = n;
        else if (strcmp(name, "overdue_transitions") == 0) out->overdue_transitions = n;
        else if (strcmp(name, "sla_breaches") == 0) out->sla_breaches = n;
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "metrics_read counters");
    sqlite_done(st);
    return ERR_OK;
}