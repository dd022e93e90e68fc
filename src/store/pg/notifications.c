/* notifications.c (pg): the in-app notifications, each member's switches
 * and the mailer's outbox, the same contracts as the SQLite backend's
 * notifications.c. The claim's subquery skips rows another instance has
 * locked (FOR UPDATE SKIP LOCKED) and the UPDATE repeats its conditions,
 * so two instances never lease one email. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"

enum err pg_notification_add(struct store_conn *c, const struct notification_row *n)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, n->id);
    pg_p_opt_text(&p, n->staff_id);
    pg_p_opt_text(&p, n->type);
    pg_p_opt_text(&p, n->task_id);
    pg_p_opt_text(&p, n->actor);
    pg_p_int(&p, n->created_at);
    return pg_cmd(c, "INSERT INTO notifications (id, staff_id, type, task_id, actor, created_at, email_state, "
                     "email_next_at) SELECT $1, s.id, $3, $4, $5, $6::bigint, CASE WHEN coalesce(s.email, '') <> '' "
                     "AND coalesce(CASE $3::text WHEN 'assigned' THEN ns.assigned WHEN 'mentioned' THEN ns.mentioned "
                     "ELSE ns.sla_at_risk END, 1) = 1 THEN 'pending' ELSE 'none' END, $6::bigint "
                     "FROM staff s LEFT JOIN notification_settings ns ON ns.staff_id = s.id "
                     "WHERE s.id = $2 AND s.active = 1",
                  &p, NULL);
}

static enum err count_unread(struct store_conn *c, const char *staff_id, int64_t *unread)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT count(*) FROM notifications WHERE staff_id = $1 AND read_at IS NULL", &p, &res);
    if (rc != ERR_OK) return rc;
    *unread = pg_col_int64(res, 0, 0);
    PQclear(res);
    return ERR_OK;
}

enum err pg_notification_list(struct store_conn *c, const char *staff_id, const char *before_id, int limit,
                              struct notification_row **out, int *n, int64_t *unread)
{
    *out = NULL;
    *n = 0;
    enum err rc = count_unread(c, staff_id, unread);
    if (rc != ERR_OK) return rc;
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_opt_text(&p, before_id);
    pg_p_int(&p, limit);
    PGresult *res = pg_run(c, "SELECT n.id, n.type, n.task_id, n.actor, n.created_at, n.read_at, t.title "
                              "FROM notifications n LEFT JOIN tasks t ON t.id = n.task_id WHERE n.staff_id = $1 "
                              "AND ($2::text = '' OR n.id < $2) ORDER BY n.id DESC LIMIT $3::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    struct notification_row *a = calloc((size_t)(rows > 0 ? rows : 1), sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) {
        struct notification_row *r = &a[i];
        snprintf(r->staff_id, sizeof r->staff_id, "%s", staff_id);
        pg_col_copy(res, i, 0, r->id, sizeof r->id);
        pg_col_copy(res, i, 1, r->type, sizeof r->type);
        pg_col_copy(res, i, 2, r->task_id, sizeof r->task_id);
        pg_col_copy(res, i, 3, r->actor, sizeof r->actor);
        r->created_at = pg_col_int64(res, i, 4);
        r->read_at = pg_col_int64(res, i, 5);
        pg_col_copy(res, i, 6, r->task_title, sizeof r->task_title);
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}

enum err pg_notification_read(struct store_conn *c, const char *staff_id, const char *const *ids, int n, int64_t now,
                              int64_t *unread)
{
    if (n < 0) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, staff_id);
        pg_p_int(&p, now);
        enum err rc = pg_cmd(c, "UPDATE notifications SET read_at = $2::bigint WHERE staff_id = $1 AND read_at IS NULL",
                             &p, NULL);
        if (rc != ERR_OK) return rc;
    }
    for (int i = 0; i < n; i++) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, staff_id);
        pg_p_opt_text(&p, ids[i]);
        pg_p_int(&p, now);
        enum err rc = pg_cmd(c, "UPDATE notifications SET read_at = $3::bigint WHERE id = $2 AND staff_id = $1 AND "
                                "read_at IS NULL",
                             &p, NULL);
        if (rc != ERR_OK) return rc;
    }
    return count_unread(c, staff_id, unread);
}

enum err pg_notification_settings_get(struct store_conn *c, const char *staff_id, struct notification_settings *out)
{
    *out = (struct notification_settings){true, true, true, true};
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    PGresult *res;
    enum err rc = pg_row(c, "SELECT assigned, mentioned, sla_at_risk, daily_digest FROM notification_settings "
                            "WHERE staff_id = $1",
                         &p, &res);
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    out->assigned = pg_col_int64(res, 0, 0) != 0;
    out->mentioned = pg_col_int64(res, 0, 1) != 0;
    out->sla_at_risk = pg_col_int64(res, 0, 2) != 0;
    out->daily_digest = pg_col_int64(res, 0, 3) != 0;
    PQclear(res);
    return ERR_OK;
}

enum err pg_notification_settings_put(struct store_conn *c, const char *staff_id, const struct notification_settings *s,
                                      int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_int(&p, s->assigned);
    pg_p_int(&p, s->mentioned);
    pg_p_int(&p, s->sla_at_risk);
    pg_p_int(&p, s->daily_digest);
    pg_p_int(&p, now);
    return pg_cmd(c, "INSERT INTO notification_settings (staff_id, assigned, mentioned, sla_at_risk, daily_digest, "
                     "updated_at) VALUES ($1, $2::integer, $3::integer, $4::integer, $5::integer, $6::bigint) "
                     "ON CONFLICT (staff_id) DO UPDATE SET assigned = excluded.assigned, mentioned = "
                     "excluded.mentioned, sla_at_risk = excluded.sla_at_risk, daily_digest = excluded.daily_digest, "
                     "updated_at = excluded.updated_at",
                  &p, NULL);
}

/* ---- the mailer's outbox ---- */

#define CLAIM_WHERE \
    "email_state = 'pending' AND email_next_at <= $2::bigint AND coalesce(email_lease_until, 0) < $2::bigint"

enum err pg_mail_claim(struct store_conn *c, const char *owner, int64_t now, int64_t until, int limit,
                       struct mail_item **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct mail_item *a = calloc((size_t)(limit > 0 ? limit : 1), sizeof *a);
    if (!a) return ERR_INTERNAL;
    static const char *const sql[2] = {
        "UPDATE notifications SET email_lease_owner = $1, email_lease_until = $3::bigint WHERE id IN (SELECT id "
        "FROM notifications WHERE " CLAIM_WHERE " ORDER BY email_next_at, id LIMIT $4::integer FOR UPDATE SKIP "
        "LOCKED) AND " CLAIM_WHERE " RETURNING id, staff_id, type, task_id, actor, email_attempts, created_at",
        "UPDATE notification_digests SET email_lease_owner = $1, email_lease_until = $3::bigint WHERE (staff_id, "
        "day) IN (SELECT staff_id, day FROM notification_digests WHERE " CLAIM_WHERE " ORDER BY email_next_at, "
        "staff_id LIMIT $4::integer FOR UPDATE SKIP LOCKED) AND " CLAIM_WHERE
        " RETURNING staff_id, day, email_attempts, created_at",
    };
    enum err rc = ERR_OK;
    for (int k = 0; k < 2 && *n < limit; k++) {
        struct pg_params p = {0};
        pg_p_opt_text(&p, owner);
        pg_p_int(&p, now);
        pg_p_int(&p, until);
        pg_p_int(&p, limit - *n);
        PGresult *res = pg_run(c, sql[k], &p, &rc);
        if (!res) {
            free(a);
            *n = 0;
            return rc;
        }
        int rows = PQntuples(res);
        for (int i = 0; i < rows && *n < limit; i++) {
            struct mail_item *m = &a[(*n)++];
            if (k == 0) {
                pg_col_copy(res, i, 0, m->id, sizeof m->id);
                pg_col_copy(res, i, 1, m->staff_id, sizeof m->staff_id);
                pg_col_copy(res, i, 2, m->type, sizeof m->type);
                pg_col_copy(res, i, 3, m->task_id, sizeof m->task_id);
                pg_col_copy(res, i, 4, m->actor, sizeof m->actor);
                m->attempts = (int)pg_col_int64(res, i, 5);
                m->created_at = pg_col_int64(res, i, 6);
            } else {
                m->digest = true;
                snprintf(m->type, sizeof m->type, "digest");
                pg_col_copy(res, i, 0, m->staff_id, sizeof m->staff_id);
                pg_col_copy(res, i, 1, m->day, sizeof m->day);
                m->attempts = (int)pg_col_int64(res, i, 2);
                m->created_at = pg_col_int64(res, i, 3);
            }
        }
        PQclear(res);
    }
    *out = a;
    return ERR_OK;
}

/* "release": pending again, not counted as a try */
#define STATE_OF_FINISH "CASE WHEN $3::text = 'release' THEN 'pending' ELSE $3::text END"

enum err pg_mail_finish(struct store_conn *c, const struct mail_item *m, const char *owner, const char *state,
                        int64_t next_at)
{
    bool retry = strcmp(state, "pending") == 0 || strcmp(state, "release") == 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, m->digest ? m->staff_id : m->id);
    pg_p_opt_text(&p, owner);
    pg_p_opt_text(&p, state);
    pg_p_int(&p, retry ? next_at : 0);
    pg_p_opt_text(&p, m->digest ? m->day : "");
    pg_p_int(&p, strcmp(state, "release") == 0 ? 0 : 1);
    return pg_cmd(c,
                  m->digest ? "UPDATE notification_digests SET email_state = " STATE_OF_FINISH ", email_next_at = "
                              "CASE WHEN $4::bigint > 0 THEN $4::bigint ELSE email_next_at END, email_attempts = "
                              "email_attempts + $6::integer, email_lease_owner = NULL, email_lease_until = NULL "
                              "WHERE staff_id = $1 AND day = $5 AND email_lease_owner = $2"
                            : "UPDATE notifications SET email_state = " STATE_OF_FINISH ", email_next_at = CASE WHEN "
                              "$4::bigint > 0 THEN $4::bigint ELSE email_next_at END, email_attempts = "
                              "email_attempts + $6::integer, "
                              "email_lease_owner = NULL, email_lease_until = NULL WHERE id = $1 AND $5::text = '' "
                              "AND email_lease_owner = $2",
                  &p, NULL);
}

enum err pg_mail_next_due(struct store_conn *c, int64_t *next_at)
{
    PGresult *res;
    enum err rc = pg_row(c, "SELECT (SELECT min(email_next_at) FROM notifications WHERE email_state = 'pending'), "
                            "(SELECT min(email_next_at) FROM notification_digests WHERE email_state = 'pending')",
                         NULL, &res);
    if (rc != ERR_OK) return rc;
    int64_t a = pg_col_int64(res, 0, 0), b = pg_col_int64(res, 0, 1);
    *next_at = a == 0 ? b : b == 0 ? a : a < b ? a : b;
    PQclear(res);
    return ERR_OK;
}

enum err pg_digest_staff(struct store_conn *c, const char *today, const char *after_id, int limit,
                         char (*ids)[EXT_ID_SIZE], int *n)
{
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, today);
    pg_p_opt_text(&p, after_id);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT s.id FROM staff s LEFT JOIN notification_settings ns ON ns.staff_id = s.id "
                              "WHERE s.id > $2 AND s.active = 1 AND coalesce(s.email, '') <> '' AND "
                              "coalesce(ns.daily_digest, 1) = 1 AND EXISTS (SELECT 1 FROM tasks t WHERE "
                              "t.assignee_id = s.id AND t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date <= $1) "
                              "ORDER BY s.id LIMIT $3::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    for (int i = 0; i < rows && i < limit; i++) pg_col_copy(res, i, 0, ids[(*n)++], EXT_ID_SIZE);
    PQclear(res);
    return ERR_OK;
}

enum err pg_digest_add(struct store_conn *c, const char *staff_id, const char *day, int64_t now)
{
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_opt_text(&p, day);
    pg_p_int(&p, now);
    int64_t n = 0;
    enum err rc = pg_cmd(c, "INSERT INTO notification_digests (staff_id, day, created_at, email_state, email_next_at) "
                            "VALUES ($1, $2, $3::bigint, 'pending', $3::bigint) ON CONFLICT DO NOTHING",
                         &p, &n);
    if (rc != ERR_OK) return rc;
    return n == 1 ? ERR_OK : ERR_DUPLICATE;
}

enum err pg_digest_tasks(struct store_conn *c, const char *staff_id, const char *today, int limit,
                         struct digest_task **out, int *n)
{
    *out = NULL;
    *n = 0;
    struct pg_params p = {0};
    pg_p_opt_text(&p, staff_id);
    pg_p_opt_text(&p, today);
    pg_p_int(&p, limit);
    enum err rc;
    PGresult *res = pg_run(c, "SELECT id, title, due_date FROM tasks WHERE assignee_id = $1 AND status IN ('OPEN', "
                              "'IN_PROGRESS') AND due_date <= $2 ORDER BY due_date, id LIMIT $3::integer",
                           &p, &rc);
    if (!res) return rc;
    int rows = PQntuples(res);
    if (rows > limit) rows = limit;
    struct digest_task *a = calloc((size_t)(rows > 0 ? rows : 1), sizeof *a);
    if (!a) {
        PQclear(res);
        return ERR_INTERNAL;
    }
    for (int i = 0; i < rows; i++) {
        pg_col_copy(res, i, 0, a[i].id, sizeof a[i].id);
        pg_col_copy(res, i, 1, a[i].title, sizeof a[i].title);
        pg_col_copy(res, i, 2, a[i].due_date, sizeof a[i].due_date);
    }
    PQclear(res);
    *out = a;
    *n = rows;
    return ERR_OK;
}
