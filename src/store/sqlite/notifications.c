/* notifications.c (sqlite): the in-app notifications, each member's
 * switches and the mailer's outbox (ops.h, "notifications"). Whether an
 * email goes is decided by the insert itself from the member's address and
 * switch; who sends it by the claim's conditional UPDATE; the digest's
 * once-a-day by its table's key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"

/* the switch of a notification's type, for the insert's CASE */
#define SETTING_OF_TYPE \
    "CASE ?3 WHEN 'assigned' THEN ns.assigned WHEN 'mentioned' THEN ns.mentioned ELSE ns.sla_at_risk END"

enum err sqlite_notification_add(struct store_conn *c, const struct notification_row *n)
{
    sqlite3_stmt *st = sqlite_stmt(
        c, "INSERT INTO notifications (id, staff_id, type, task_id, actor, created_at, email_state, email_next_at) "
           "SELECT ?1, s.id, ?3, ?4, ?5, ?6, CASE WHEN coalesce(s.email, '') <> '' AND coalesce(" SETTING_OF_TYPE
           ", 1) = 1 THEN 'pending' ELSE 'none' END, ?6 "
           "FROM staff s LEFT JOIN notification_settings ns ON ns.staff_id = s.id WHERE s.id = ?2 AND s.active = 1");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, n->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, n->staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, n->type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, n->task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, n->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, n->created_at);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "notification_add");
    sqlite_done(st);
    return ERR_OK;
}

static enum err count_unread(struct store_conn *c, const char *staff_id, int64_t *unread)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT count(*) FROM notifications WHERE staff_id = ? AND read_at IS NULL");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "notification unread");
    *unread = sqlite3_column_int64(st, 0);
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_notification_list(struct store_conn *c, const char *staff_id, const char *before_id, int limit,
                                  struct notification_row **out, int *n, int64_t *unread)
{
    *out = NULL;
    *n = 0;
    enum err rc = count_unread(c, staff_id, unread);
    if (rc != ERR_OK) return rc;
    sqlite3_stmt *st = sqlite_stmt(
        c, "SELECT n.id, n.type, n.task_id, n.actor, n.created_at, n.read_at, t.title FROM notifications n "
           "LEFT JOIN tasks t ON t.id = n.task_id WHERE n.staff_id = ?1 AND (?2 = '' OR n.id < ?2) "
           "ORDER BY n.id DESC LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, before_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    struct notification_row *a = calloc((size_t)(limit > 0 ? limit : 1), sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int step = SQLITE_DONE;
    while (*n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct notification_row *r = &a[(*n)++];
        snprintf(r->staff_id, sizeof r->staff_id, "%s", staff_id);
        sqlite_col_copy(st, 0, r->id, sizeof r->id);
        sqlite_col_copy(st, 1, r->type, sizeof r->type);
        sqlite_col_copy(st, 2, r->task_id, sizeof r->task_id);
        sqlite_col_copy(st, 3, r->actor, sizeof r->actor);
        r->created_at = sqlite3_column_int64(st, 4);
        r->read_at = sqlite3_column_int64(st, 5);
        sqlite_col_copy(st, 6, r->task_title, sizeof r->task_title);
    }
    if (*n < limit && step != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "notification_list");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}

enum err sqlite_notification_read(struct store_conn *c, const char *staff_id, const char *const *ids, int n,
                                  int64_t now, int64_t *unread)
{
    if (n < 0) {
        sqlite3_stmt *st = sqlite_stmt(c, "UPDATE notifications SET read_at = ?2 WHERE staff_id = ?1 AND read_at IS NULL");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "notification_read");
        sqlite_done(st);
    }
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *st = sqlite_stmt(
            c, "UPDATE notifications SET read_at = ?3 WHERE id = ?2 AND staff_id = ?1 AND read_at IS NULL");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, now);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "notification_read");
        sqlite_done(st);
    }
    return count_unread(c, staff_id, unread);
}

enum err sqlite_notification_settings_get(struct store_conn *c, const char *staff_id,
                                          struct notification_settings *out)
{
    *out = (struct notification_settings){true, true, true, true};
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT assigned, mentioned, sla_at_risk, daily_digest FROM "
                                      "notification_settings WHERE staff_id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    enum err rc = sqlite_step_row(c, st, "notification_settings_get");
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    out->assigned = sqlite3_column_int(st, 0) != 0;
    out->mentioned = sqlite3_column_int(st, 1) != 0;
    out->sla_at_risk = sqlite3_column_int(st, 2) != 0;
    out->daily_digest = sqlite3_column_int(st, 3) != 0;
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_notification_settings_put(struct store_conn *c, const char *staff_id,
                                          const struct notification_settings *s, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(
        c, "INSERT INTO notification_settings (staff_id, assigned, mentioned, sla_at_risk, daily_digest, updated_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (staff_id) DO UPDATE SET assigned = excluded.assigned, "
           "mentioned = excluded.mentioned, sla_at_risk = excluded.sla_at_risk, "
           "daily_digest = excluded.daily_digest, updated_at = excluded.updated_at");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, s->assigned);
    sqlite3_bind_int(st, 3, s->mentioned);
    sqlite3_bind_int(st, 4, s->sla_at_risk);
    sqlite3_bind_int(st, 5, s->daily_digest);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "notification_settings_put");
    sqlite_done(st);
    return ERR_OK;
}

/* ---- the mailer's outbox ---- */

/* the claim: the subquery picks the due rows, the outer WHERE repeats the
 * conditions so the UPDATE itself decides */
#define CLAIM_WHERE "email_state = 'pending' AND email_next_at <= ?2 AND coalesce(email_lease_until, 0) < ?2"

enum err sqlite_mail_claim(struct store_conn *c, const char *owner, int64_t now, int64_t until, int limit,
                           struct mail_item **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct mail_item *a = calloc((size_t)(limit > 0 ? limit : 1), sizeof *a);
    if (!a) return ERR_INTERNAL;
    static const char *const sql[2] = {
        "UPDATE notifications SET email_lease_owner = ?1, email_lease_until = ?3 WHERE id IN (SELECT id FROM "
        "notifications WHERE " CLAIM_WHERE " ORDER BY email_next_at, id LIMIT ?4) AND " CLAIM_WHERE
        " RETURNING id, staff_id, type, task_id, actor, email_attempts, created_at",
        "UPDATE notification_digests SET email_lease_owner = ?1, email_lease_until = ?3 WHERE (staff_id, day) IN "
        "(SELECT staff_id, day FROM notification_digests WHERE " CLAIM_WHERE
        " ORDER BY email_next_at, staff_id LIMIT ?4) AND " CLAIM_WHERE
        " RETURNING staff_id, day, email_attempts, created_at",
    };
    for (int k = 0; k < 2 && *n < limit; k++) {
        sqlite3_stmt *st = sqlite_stmt(c, sql[k]);
        if (!st) goto fail;
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, until);
        sqlite3_bind_int(st, 4, limit - *n);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n >= limit) continue; /* cannot happen (LIMIT), but stay in bounds */
            struct mail_item *m = &a[(*n)++];
            if (k == 0) {
                sqlite_col_copy(st, 0, m->id, sizeof m->id);
                sqlite_col_copy(st, 1, m->staff_id, sizeof m->staff_id);
                sqlite_col_copy(st, 2, m->type, sizeof m->type);
                sqlite_col_copy(st, 3, m->task_id, sizeof m->task_id);
                sqlite_col_copy(st, 4, m->actor, sizeof m->actor);
                m->attempts = sqlite3_column_int(st, 5);
                m->created_at = sqlite3_column_int64(st, 6);
            } else {
                m->digest = true;
                snprintf(m->type, sizeof m->type, "digest");
                sqlite_col_copy(st, 0, m->staff_id, sizeof m->staff_id);
                sqlite_col_copy(st, 1, m->day, sizeof m->day);
                m->attempts = sqlite3_column_int(st, 2);
                m->created_at = sqlite3_column_int64(st, 3);
            }
        }
        if (step != SQLITE_DONE) {
            sqlite_fail(c, st, "mail_claim");
            goto fail;
        }
        sqlite_done(st);
    }
    *out = a;
    return ERR_OK;
fail:
    free(a);
    *n = 0;
    return ERR_INTERNAL;
}

/* "release": pending again, not counted as a try */
#define STATE_OF_FINISH "CASE WHEN ?3 = 'release' THEN 'pending' ELSE ?3 END"

enum err sqlite_mail_finish(struct store_conn *c, const struct mail_item *m, const char *owner, const char *state,
                            int64_t next_at)
{
    bool retry = strcmp(state, "pending") == 0 || strcmp(state, "release") == 0;
    sqlite3_stmt *st = sqlite_stmt(
        c, m->digest ? "UPDATE notification_digests SET email_state = " STATE_OF_FINISH ", email_next_at = CASE WHEN "
                       "?4 > 0 THEN ?4 ELSE email_next_at END, email_attempts = email_attempts + ?5, email_lease_owner = NULL, "
                       "email_lease_until = NULL WHERE staff_id = ?1 AND day = ?6 AND email_lease_owner = ?2"
                     : "UPDATE notifications SET email_state = " STATE_OF_FINISH ", email_next_at = CASE WHEN ?4 > 0 "
                       "THEN ?4 ELSE email_next_at END, email_attempts = email_attempts + ?5, email_lease_owner = NULL, "
                       "email_lease_until = NULL WHERE id = ?1 AND ?6 = '' AND email_lease_owner = ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, m->digest ? m->staff_id : m->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, retry ? next_at : 0);
    sqlite3_bind_int(st, 5, strcmp(state, "release") == 0 ? 0 : 1);
    sqlite3_bind_text(st, 6, m->digest ? m->day : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "mail_finish");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_mail_next_due(struct store_conn *c, int64_t *next_at)
{
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT (SELECT min(email_next_at) FROM notifications WHERE email_state = "
                                      "'pending'), (SELECT min(email_next_at) FROM notification_digests WHERE "
                                      "email_state = 'pending')");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite_fail(c, st, "mail_next_due");
    int64_t a = sqlite3_column_int64(st, 0), b = sqlite3_column_int64(st, 1);
    *next_at = a == 0 ? b : b == 0 ? a : a < b ? a : b;
    sqlite_done(st);
    return ERR_OK;
}

/* The digest's reads keep SQLite 3.40.1 off tasks_by_assignee's status
 * column (the unary +): with status IN (...) and a range on due_date there,
 * it answered rows outside the range (a task due in ten years as due
 * today). */
enum err sqlite_digest_staff(struct store_conn *c, const char *today, const char *after_id, int limit,
                             char (*ids)[EXT_ID_SIZE], int *n)
{
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(
        c, "SELECT s.id FROM staff s LEFT JOIN notification_settings ns ON ns.staff_id = s.id WHERE s.id > ?2 AND "
           "s.active = 1 AND coalesce(s.email, '') <> '' AND coalesce(ns.daily_digest, 1) = 1 AND EXISTS (SELECT 1 "
           "FROM tasks t WHERE t.assignee_id = s.id AND +t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date <= ?1) "
           "ORDER BY s.id LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, after_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    int step = SQLITE_DONE;
    while (*n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) sqlite_col_copy(st, 0, ids[(*n)++], EXT_ID_SIZE);
    if (*n < limit && step != SQLITE_DONE) return sqlite_fail(c, st, "digest_staff");
    sqlite_done(st);
    return ERR_OK;
}

enum err sqlite_digest_add(struct store_conn *c, const char *staff_id, const char *day, int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, "INSERT INTO notification_digests (staff_id, day, created_at, email_state, "
                                      "email_next_at) VALUES (?1, ?2, ?3, 'pending', ?3) ON CONFLICT DO NOTHING");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "digest_add");
    sqlite_done(st);
    return sqlite3_changes(sqlite_db(c)) == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err sqlite_digest_tasks(struct store_conn *c, const char *staff_id, const char *today, int limit,
                             struct digest_task **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, "SELECT id, title, due_date FROM tasks WHERE assignee_id = ?1 AND +status IN "
                                      "('OPEN', 'IN_PROGRESS') AND due_date <= ?2 ORDER BY due_date, id LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    struct digest_task *a = calloc((size_t)(limit > 0 ? limit : 1), sizeof *a);
    if (!a) {
        sqlite_done(st);
        return ERR_INTERNAL;
    }
    int step = SQLITE_DONE;
    while (*n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct digest_task *t = &a[(*n)++];
        sqlite_col_copy(st, 0, t->id, sizeof t->id);
        sqlite_col_copy(st, 1, t->title, sizeof t->title);
        sqlite_col_copy(st, 2, t->due_date, sizeof t->due_date);
    }
    if (*n < limit && step != SQLITE_DONE) {
        free(a);
        *n = 0;
        return sqlite_fail(c, st, "digest_tasks");
    }
    sqlite_done(st);
    *out = a;
    return ERR_OK;
}
