/* rules.c (sqlite): workflow rules and the events they run on: rule rows,
 * the round-robin turn, a staff member's load, and the event log with its
 * claim on the event id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

static void read_rule_row(sqlite3_stmt *st, struct rule_row *r)
{
    memset(r, 0, sizeof *r);
    sqlite_col_copy(st, 0, r->id, sizeof r->id);
    r->definition = sqlite_col_dup(st, 1);
    r->rr_next = sqlite3_column_int64(st, 2);
    r->created_at = sqlite3_column_int64(st, 3);
    r->updated_at = sqlite3_column_int64(st, 4);
}

#define RULE_COLS "id, definition, rr_next, created_at, updated_at"

enum err sqlite_rule_get(struct store_conn *c, const char *id, struct rule_row *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " RULE_COLS " FROM rules WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "rule_get");
    if (found != ERR_OK) return found;
    read_rule_row(st, out);
    sqlite_done(st);
    return out->definition ? ERR_OK : ERR_INTERNAL;
}

struct rule_put_row {
    const char *id, *event_type, *definition;
    bool enabled;
    int64_t now;
};

static void bind_rule(sqlite3_stmt *st, const void *row)
{
    const struct rule_put_row *r = row;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, r->enabled);
    sqlite3_bind_text(st, 4, r->definition, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->now);
}

enum err sqlite_rule_put(struct store_conn *c, const char *id, const char *event_type, bool enabled,
                         const char *definition, int64_t now, bool *created)
{
    struct rule_put_row r = {id, event_type, definition, enabled, now};
    return sqlite_put(c, "INSERT INTO rules (id, event_type, enabled, definition, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE rules SET event_type = ?2, enabled = ?3, definition = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_rule, &r, created);
}

enum err sqlite_rule_delete(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM rules WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "rule_delete");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* Runs st (bound by the caller) and collects at most limit rule rows. */
static enum err rule_rows(struct store_conn *c, sqlite3_stmt *st, int limit, struct rule_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* grown as rows come: most event types have a few rules, not limit */
    int cap = limit < 16 ? limit : 16;
    struct rule_row *a = malloc(sizeof *a * (size_t)cap);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap * 2 < limit ? cap * 2 : limit;
            struct rule_row *g = realloc(a, sizeof *a * (size_t)cap);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            a = g;
        }
        read_rule_row(st, &a[*n]);
        if (!a[(*n)++].definition) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (*n < limit && rc != SQLITE_DONE) {
        store_rule_rows_free(a, *n);
        *n = 0;
        return sqlite_fail(c, st, "rules");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_rule_list(struct store_conn *c, const char *event_type, const char *after_id, int limit,
                          struct rule_row **out, int *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " RULE_COLS " FROM rules WHERE id > ?1 AND (?2 = '' OR event_type = ?2) "
                               "ORDER BY id LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, event_type ? event_type : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    return rule_rows(c, st, limit, out, n);
}

enum err sqlite_rules_for_type(struct store_conn *c, const char *event_type, int limit, struct rule_row **out,
                               int *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " RULE_COLS " FROM rules INDEXED BY rules_by_type "
                               "WHERE event_type = ? AND enabled = 1 ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    return rule_rows(c, st, limit, out, n);
}

enum err sqlite_rule_count_type(struct store_conn *c, const char *event_type, const char *except_id, int64_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM rules WHERE (?1 = '' OR event_type = ?1) AND id <> ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, except_id ? except_id : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "rule_count_type");
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

/* The active candidates' positions go in as a JSON array ("[0,2]"): the
 * statement takes the first at or after the position modulo n, else the
 * first of all, and stores it + 1, reading and writing the position at once. */
enum err sqlite_rule_rr_take(struct store_conn *c, const char *id, int n, const bool *active, int *pick)
{
    *pick = -1;
    if (n <= 0) return ERR_NOT_FOUND;
    size_t cap = (size_t)n * 12 + 3, len = 0;
    char *list = malloc(cap);
    if (!list) return ERR_INTERNAL;
    list[len++] = '[';
    for (int i = 0; i < n; i++)
        if (active[i]) len += (size_t)snprintf(list + len, cap - len, "%s%d", len > 1 ? "," : "", i);
    list[len++] = ']';
    list[len] = 0;
    static const char sql[] = "UPDATE rules SET rr_next = 1 + coalesce("
                              "(SELECT min(value) FROM json_each(?2) WHERE value >= rules.rr_next % ?3), "
                              "(SELECT min(value) FROM json_each(?2))) WHERE id = ?1 RETURNING rr_next - 1";
    sqlite3_stmt *st = len == 2 ? NULL : sqlite_stmt(c, sql);
    if (!st) {
        free(list);
        return len == 2 ? ERR_NOT_FOUND : ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, list, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, n);
    free(list);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *pick = sqlite3_column_int(st, 0);
        rc = sqlite3_step(st); /* runs the statement to its end */
    }
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, "rule_rr_take");
    sqlite_done(st);
    return *pick >= 0 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_staff_load(struct store_conn *c, const char *staff_id, int64_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM tasks WHERE assignee_id = ? AND status IN ('OPEN', 'IN_PROGRESS')");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "staff_load");
    *n = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

#define EVENT_COLS "seq, id, type, user_id, occurred_at, received_at, origin, depth, data, outcome"

static void read_event_row(sqlite3_stmt *st, struct event_row *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = sqlite3_column_int64(st, 0);
    sqlite_col_copy(st, 1, ev->id, sizeof ev->id);
    sqlite_col_copy(st, 2, ev->type, sizeof ev->type);
    sqlite_col_copy(st, 3, ev->user_id, sizeof ev->user_id);
    ev->occurred_at = sqlite3_column_int64(st, 4);
    ev->received_at = sqlite3_column_int64(st, 5);
    const char *origin = (const char *)sqlite3_column_text(st, 6);
    ev->from_service = origin && strcmp(origin, "service") == 0;
    ev->depth = sqlite3_column_int(st, 7);
    ev->data = sqlite_col_dup(st, 8);
    ev->outcome = sqlite_col_dup(st, 9);
}

enum err sqlite_event_get(struct store_conn *c, const char *id, struct event_row *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT " EVENT_COLS " FROM events WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    enum err found = sqlite_step_row(c, st, "event_get");
    if (found != ERR_OK) return found;
    read_event_row(st, out);
    sqlite_done(st);
    if (!out->data || !out->outcome) {
        store_event_row_clear(out);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

/* Binds an event's columns 1-8 (id ... data) of an INSERT INTO events. */
static void bind_event(sqlite3_stmt *st, const struct event_row *ev)
{
    sqlite3_bind_text(st, 1, ev->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ev->type, -1, SQLITE_TRANSIENT);
    sqlite_bind_text(st, 3, ev->user_id);
    sqlite3_bind_int64(st, 4, ev->occurred_at);
    sqlite3_bind_int64(st, 5, ev->received_at);
    sqlite3_bind_text(st, 6, ev->from_service ? "service" : "api", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, ev->depth);
    sqlite3_bind_text(st, 8, ev->data, -1, SQLITE_TRANSIENT);
}

enum err sqlite_event_insert(struct store_conn *c, const struct event_row *ev)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, "
                               "data, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    bind_event(st, ev);
    sqlite3_bind_text(st, 9, ev->outcome, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "event_insert");
    sqlite_done(st);
    return ERR_OK;
}

/* A claimed event's outcome is "" until event_set_outcome, seen only by the
 * transaction that claimed it. */
enum err sqlite_event_claim(struct store_conn *c, const struct event_row *ev, struct event_row *old)
{
    memset(old, 0, sizeof *old);
    /* an event purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, "
                                   "data, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (id) DO NOTHING");
        if (!st) return ERR_INTERNAL;
        bind_event(st, ev);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "event_claim");
        sqlite_done(st);
        if (sqlite3_changes(sqlite_db(c)) == 1) return ERR_OK;
        enum err rc = sqlite_event_get(c, ev->id, old);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        if (!old->outcome[0]) { /* this transaction's own claim, without its outcome: a caller's bug */
            store_event_row_clear(old);
            return ERR_INTERNAL;
        }
        return ERR_DUPLICATE;
    }
    return ERR_INTERNAL;
}

enum err sqlite_event_set_outcome(struct store_conn *c, const char *id, const char *outcome)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE events SET outcome = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, outcome, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "event_set_outcome");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err sqlite_event_list(struct store_conn *c, const struct event_query *q, struct event_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* one statement per filter combination, so each uses its index */
    const char *sql = q->type[0] && q->user_id[0]
                          ? "SELECT " EVENT_COLS " FROM events WHERE type = :type AND user_id = :user AND seq < :before "
                            "ORDER BY seq DESC LIMIT :limit"
                      : q->type[0] ? "SELECT " EVENT_COLS " FROM events INDEXED BY events_by_type WHERE type = :type "
                                     "AND seq < :before ORDER BY type DESC, seq DESC LIMIT :limit"
                      : q->user_id[0] ? "SELECT " EVENT_COLS " FROM events INDEXED BY events_by_user WHERE "
                                        "user_id = :user AND seq < :before ORDER BY user_id DESC, seq DESC LIMIT :limit"
                                      : "SELECT " EVENT_COLS " FROM events WHERE seq < :before ORDER BY seq DESC "
                                        "LIMIT :limit";
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    if (q->type[0]) sqlite_bind_named_text(st, ":type", q->type);
    if (q->user_id[0]) sqlite_bind_named_text(st, ":user", q->user_id);
    sqlite_bind_named_int64(st, ":before", q->before_seq > 0 ? q->before_seq : INT64_MAX);
    sqlite_bind_named_int64(st, ":limit", q->limit);
    struct event_row *a = calloc((size_t)q->limit + 1, sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < q->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_event_row(st, &a[*n]);
        if (!a[(*n)++].outcome) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (*n < q->limit && rc != SQLITE_DONE) {
        store_event_rows_free(a, *n);
        *n = 0;
        return sqlite_fail(c, st, "event_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_event_purge(struct store_conn *c, int64_t older_than_ms, int limit, int64_t *purged)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY "
                               "events_by_received WHERE received_at < ? ORDER BY received_at LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, older_than_ms);
    sqlite3_bind_int(st, 2, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "event_purge");
    sqlite_done(st);
    *purged = sqlite3_changes(sqlite_db(c));
    return ERR_OK;
}

/* ---- leases on background work --------------------------------------------- */

enum err sqlite_lease_take(struct store_conn *c, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
                           bool *held)
{
    static const char sql[] = "INSERT INTO job_leases (name, owner, expires_at) VALUES (?1, ?2, ?3) "
                              "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                              "WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= ?4 RETURNING owner";
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms + ttl_ms);
    sqlite3_bind_int64(st, 4, now_ms);
    enum err rc = sqlite_step_row(c, st, "lease_take");
    if (rc == ERR_OK) {
        *held = true;
        sqlite_done(st);
    } else if (rc == ERR_NOT_FOUND) {
        *held = false;
        rc = ERR_OK;
    }
    return rc;
}

enum err sqlite_lease_release(struct store_conn *c, const char *name, const char *owner)
{
    sqlite3_stmt *st = sqlite_stmt(c, "DELETE FROM job_leases WHERE name = ? AND owner = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "lease_release");
    sqlite_done(st);
    return ERR_OK;
}
