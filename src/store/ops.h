/* ops.h: the operations every storage backend implements, one row each in
 * STORE_OPS, which makes both struct store_ops (the backend's table of
 * function pointers, SQLite's sqlite3_io_methods pattern) and the store_NAME()
 * wrapper callers use.
 *
 * Several writers: nothing above the store counts on that one writer. Each op
 * below says what it guarantees when other connections (other processes, a
 * later backend's other server instances) write the same rows at once, with
 * each statement seeing what was committed before it ran (PostgreSQL's READ
 * COMMITTED). A check that guards a write is made by the write itself: a
 * version in the UPDATE's WHERE, an insert on a unique key, an UPDATE ...
 * RETURNING for a counter. A unique key that refuses an insert is reported as
 * ERR_DUPLICATE without a failed statement, so the transaction goes on; no
 * caller continues a transaction after an op failed with anything else (it
 * fails its job, and the writer rolls back to the job's savepoint). */
#ifndef OPSTASKS_STORE_OPS_H
#define OPSTASKS_STORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/records.h"
#include "store/tables.h"
#include "util/err.h"

struct store;
struct store_conn;

/* Every operation a backend implements, one row each (libuv's X-macro):
 *     X(kind, return type, name, (parameters), (arguments))
 * The rows make both the members of struct store_ops and the store_NAME()
 * wrapper that callers use (at the end), so the two cannot drift.
 * kind says how the wrapper finds the backend: VALUE and VOID (no result)
 * through their first argument, a struct store or a struct store_conn, both
 * of which carry ops; TABLE (check_file: no store exists yet) takes the ops
 * table as an extra first argument. A new op is one row here and, in each
 * backend, one function and its entry in the backend's table. */

#define STORE_OPS(X) \
    /* connections: open one for the given role (writer or reader) */ \
    X(VALUE, int, conn_open, (struct store *s, bool writer, struct store_conn **out), (s, writer, out)) \
    X(VOID, void, conn_close, (struct store_conn *c), (c)) \
    /* the group-commit transaction primitives, run by the writer thread: \
     * 0, or the enum err their failure means (ERR_UNAVAILABLE when the \
     * database cannot take writes for now: disk full, I/O error, locked). \
     * savepoint_release may answer ERR_JOB_FAILED: a statement of the job \
     * failed (its result came back late), the job is undone alone. */ \
    X(VALUE, int, begin, (struct store_conn *c), (c)) \
    X(VALUE, int, commit, (struct store_conn *c), (c)) \
    X(VALUE, int, rollback, (struct store_conn *c), (c)) \
    X(VALUE, int, savepoint, (struct store_conn *c), (c)) \
    X(VALUE, int, savepoint_release, (struct store_conn *c), (c)) \
    X(VALUE, int, savepoint_rollback, (struct store_conn *c), (c)) \
    /* schema */ \
    X(VALUE, int, migrate, (struct store_conn *c, struct errinfo *e), (c, e)) \
    /* Before anything opens path: 0, or -1 with e saying in one line why \
     * the file cannot be opstasks' database (not a database, another \
     * application's or a newer schema, cannot be written). */ \
    X(TABLE, int, check_file, (const char *path, struct errinfo *e), (path, e)) \
    /* readiness (GET /readyz): probe writes one row to itself in the \
     * writer's transaction, so its commit shows whether writes reach the \
     * disk; changes counts the rows the connection has written so far. */ \
    X(VALUE, enum err, probe, (struct store_conn *c), (c)) \
    X(VALUE, int64_t, changes, (struct store_conn *c), (c)) \
    /* true, with why, when the disk holding the database has under \
     * STORE_SPACE_LOW bytes free (a commit may still fit, reusing the WAL's \
     * pages, but the next that grows a file will not) */ \
    X(VALUE, bool, space_low, (struct store *s, char *why, size_t n), (s, why, n)) \
    /* the cause of the connection's last failure, in words (static) */ \
    X(VALUE, const char *, last_error, (struct store_conn *c), (c)) \
    /* tasks: ERR_OK, ERR_NOT_FOUND or ERR_INTERNAL */ \
    X(VALUE, enum err, task_get, (struct store_conn *c, const char *id, struct task *out), (c, id, out)) \
    X(VALUE, enum err, task_insert, (struct store_conn *c, const struct task *t), (c, t)) \
    /* Writes t as version t->version of its task, only over version \
     * t->version - 1: the version read is compared in the UPDATE's WHERE, so \
     * of two writers that read one version exactly one succeeds; the other \
     * gets ERR_VERSION_CONFLICT and nothing changes (re-read, then decide). \
     * ERR_NOT_FOUND when there is no task t->id. */ \
    X(VALUE, enum err, task_update, (struct store_conn *c, const struct task *t), (c, t)) \
    /* Sets overdue_recorded of task id, if still unset at that version (the \
     * one whose due date and status were judged): ERR_OK when this call set \
     * it, so exactly one of several writers records the move; ERR_NOT_FOUND \
     * when it was set already or the task changed (or does not exist). The \
     * version and updated_at stay. */ \
    X(VALUE, enum err, task_overdue_mark, (struct store_conn *c, const char *id, int64_t version), (c, id, version)) \
    X(VALUE, enum err, task_list, (struct store_conn *c, const struct task_query *q, struct task_page *out), \
        (c, q, out)) \
    X(VALUE, enum err, task_stats, (struct store_conn *c, const struct task_filter *f, const char *today, \
        int64_t now_ms, struct task_stats *out), (c, f, today, now_ms, out)) \
    /* search (store/sqlite/search.c, store/pg/search.c): the normalised \
     * documents (domain/text.h) the q filter matches, kept by the writer \
     * in the same transaction as the change they follow. \
     * task_search_refresh: writes task_id's document again from its title, \
     * description, customer's name and comments (task_comments, when the \
     * table exists); removes it when there is no such task. \
     * task_search_new: the document of a task this job just inserted \
     * (no comments yet), from the texts the caller has (customer_name NULL \
     * for none), without reading anything back: a create pays one insert. \
     * customer_search_refresh: the customer's name for name_search, and \
     * the document of every task of that customer; staff_search_refresh: \
     * the member's name. name_search: the ids of customers (prefix \
     * "cus_") or staff ("sta_") whose name has a word starting with each \
     * of q's words, by id after after_id ("" from the start), at most \
     * limit, into ids[limit]. search_rebuild: every document again (a \
     * copy leaves them out), in the writer's transaction; if_missing: only \
     * when tasks, staff or customers exist without their documents (a \
     * database from before the search: its migration cannot call C). */ \
    X(VALUE, enum err, task_search_refresh, (struct store_conn *c, const char *task_id), (c, task_id)) \
    X(VALUE, enum err, task_search_new, (struct store_conn *c, const char *task_id, const char *title, \
        const char *description, const char *customer_name), (c, task_id, title, description, customer_name)) \
    X(VALUE, enum err, customer_search_refresh, (struct store_conn *c, const char *customer_id), (c, customer_id)) \
    X(VALUE, enum err, staff_search_refresh, (struct store_conn *c, const char *staff_id), (c, staff_id)) \
    X(VALUE, enum err, name_search, (struct store_conn *c, const char *prefix, const struct text_words *q, \
        const char *after_id, int limit, char (*ids)[EXT_ID_SIZE], int *n), (c, prefix, q, after_id, limit, ids, n)) \
    X(VALUE, enum err, search_rebuild, (struct store_conn *c, bool if_missing), (c, if_missing)) \
    /* ids of active tasks due before `today` whose move to OVERDUE is not yet \
     * in their history; at most `limit` (caller frees *ids and each entry). */ \
    X(VALUE, enum err, task_overdue_unrecorded, (struct store_conn *c, const char *today, int limit, char ***ids, \
        int *n), (c, today, limit, ids, n)) \
    X(VALUE, enum err, history_add, (struct store_conn *c, const char *task_id, const struct history_entry *h), \
        (c, task_id, h)) \
    X(VALUE, enum err, history_list, (struct store_conn *c, const char *task_id, struct history_entry **out, int *n), \
        (c, task_id, out, n)) \
    /* ---- comments on tasks ---- \
     * comment_add inserts cm and adds 1 to its task's comment_count (an \
     * UPDATE ... SET comment_count = comment_count + 1, so concurrent \
     * comments all count), leaving the task's version and updated_at: a \
     * comment does not conflict with an If-Match edit. ERR_NOT_FOUND, \
     * nothing written, when there is no task cm->task_id; ERR_DUPLICATE \
     * (count unchanged) when the id is taken. comment_list: task_id's \
     * comments with ids after after_id (NULL: from the first), oldest first \
     * (by id, time-ordered), at most limit; none for an unknown task (caller \
     * frees with store_comments_free). */ \
    X(VALUE, enum err, comment_add, (struct store_conn *c, const struct task_comment *cm), (c, cm)) \
    X(VALUE, enum err, comment_list, (struct store_conn *c, const char *task_id, const char *after_id, int limit, \
        struct task_comment **out, int *n), (c, task_id, after_id, limit, out, n)) \
    /* ---- the live feed (GET /ops/stream) ---- \
     * task_history.seq and task_comments.seq number the rows in commit \
     * order on both backends (every write goes through a writer, one \
     * transaction at a time per database: SQLite's write lock, PostgreSQL's \
     * writers' advisory lock), so a reader that has seen seq N has seen \
     * every row below it. feed_read: history rows with seq > after_history \
     * (oldest first) then comments with seq > after_comment (oldest \
     * first), at most limit of each, with their task's version as of the \
     * read; *out owned by the caller (free()). *more: either list was cut \
     * at limit. feed_head: the largest seq of each (0 when none). */ \
    X(VALUE, enum err, feed_read, (struct store_conn *c, int64_t after_history, int64_t after_comment, int limit, \
        struct feed_change **out, int *n, bool *more), (c, after_history, after_comment, limit, out, n, more)) \
    X(VALUE, enum err, feed_head, (struct store_conn *c, int64_t *history, int64_t *comment), \
        (c, history, comment)) \
    /* ---- the data version (the cache of rendered answers, api/cache.c) ---- \
     * data_version, on a reader: the counter that triggers on tasks and on \
     * customers' names move in the transaction of every change to them, \
     * whoever writes (this process, another on the same SQLite file, \
     * another instance, SQL typed into the database): a number that differs \
     * once a change to what the queue shows committed. With parts \
     * (records.h store_version_parts of a filter) only changes to tasks \
     * that were or are in one of them move it (the sum of the parts' \
     * counters); 0 for every task. Read before the data it guards, it may \
     * lag the data, never lead it. Writes elsewhere (sessions, leases, \
     * deliveries) leave it. */ \
    X(VALUE, enum err, data_version, (struct store_conn *c, uint64_t parts, int64_t *out), (c, parts, out)) \
    /* The first instant after now_ms at which an active task's sla_breached \
     * or sla_at_risk changes by time alone (its 80% instant, or just past \
     * its deadline), INT64_MAX when none: until then an answer that counts \
     * or filters by them stays right unless data changes. */ \
    X(VALUE, enum err, task_sla_next_change, (struct store_conn *c, int64_t now_ms, int64_t *out), (c, now_ms, out)) \
    /* put inserts or updates by id (created_at kept); *created says which, \
     * decided by the insert on the primary key: of several writers putting a \
     * new id at once exactly one reports created. */ \
    X(VALUE, enum err, staff_get, (struct store_conn *c, const char *id, struct staff *out), (c, id, out)) \
    X(VALUE, enum err, staff_put, (struct store_conn *c, const struct staff *st, bool *created), (c, st, created)) \
    X(VALUE, enum err, staff_list, (struct store_conn *c, const char *after_id, int limit, struct staff **out, \
        int *n), (c, after_id, limit, out, n)) \
    X(VALUE, enum err, customer_get, (struct store_conn *c, const char *id, struct customer *out), (c, id, out)) \
    X(VALUE, enum err, customer_put, (struct store_conn *c, const struct customer *cu, bool *created), \
        (c, cu, created)) \
    X(VALUE, enum err, customer_list, (struct store_conn *c, const char *after_id, int limit, struct customer **out, \
        int *n), (c, after_id, limit, out, n)) \
    /* Saved views. view_get: ERR_OK or ERR_NOT_FOUND. view_put writes v as \
     * owner's: inserts a new id (*created true, owner v->owner), or replaces \
     * name, query and shared of an existing one that v->owner owns, or (when \
     * as_admin) a shared one of someone else's, keeping its owner and \
     * created_at; decided by the statements themselves (insert on the key, \
     * update with the owner in its WHERE), so two writers cannot both take an \
     * id. ERR_FORBIDDEN: someone else's shared view; ERR_CONFLICT: someone \
     * else's personal view. view_delete: the same rule, ERR_NOT_FOUND for \
     * none or someone else's personal view. view_list: owner's views and \
     * every shared one, shared first, then by name and id, at most limit; \
     * *out owned by the caller (free()). view_count: views owner owns, and \
     * shared views of anyone. */ \
    X(VALUE, enum err, view_get, (struct store_conn *c, const char *id, struct view_row *out), (c, id, out)) \
    X(VALUE, enum err, view_put, (struct store_conn *c, const struct view_row *v, bool as_admin, bool *created), \
        (c, v, as_admin, created)) \
    X(VALUE, enum err, view_delete, (struct store_conn *c, const char *id, const char *owner, bool as_admin), \
        (c, id, owner, as_admin)) \
    X(VALUE, enum err, view_list, (struct store_conn *c, const char *owner, int limit, struct view_row **out, \
        int *n), (c, owner, limit, out, n)) \
    X(VALUE, enum err, view_count, (struct store_conn *c, const char *owner, int64_t *owned, int64_t *shared), \
        (c, owner, owned, shared)) \
    /* ---- notifications (service/notify.c, api/notifications.c, \
     * jobs/mailer.c) ---- \
     * notification_add: inserts n (id, staff_id, type, task_id, actor, \
     * created_at) when n->staff_id is an active staff member (else nothing, \
     * ERR_OK), its email 'pending' when the member has an email and the \
     * setting of n->type is on, else 'none': one INSERT ... SELECT decides. \
     * notification_list: staff_id's notifications with id before before_id \
     * ("" from the newest), newest first, at most limit, with their task's \
     * title (*out owned, free()); *unread counts staff_id's unread ones. \
     * notification_read: read_at = now on staff_id's unread ones among \
     * ids[n] (n < 0: all of them); other people's ids change nothing; \
     * *unread as after. settings_get: all on when none is stored. */ \
    X(VALUE, enum err, notification_add, (struct store_conn *c, const struct notification_row *n), (c, n)) \
    X(VALUE, enum err, notification_list, (struct store_conn *c, const char *staff_id, const char *before_id, \
        int limit, struct notification_row **out, int *n, int64_t *unread), \
        (c, staff_id, before_id, limit, out, n, unread)) \
    X(VALUE, enum err, notification_read, (struct store_conn *c, const char *staff_id, const char *const *ids, \
        int n, int64_t now, int64_t *unread), (c, staff_id, ids, n, now, unread)) \
    X(VALUE, enum err, notification_settings_get, (struct store_conn *c, const char *staff_id, \
        struct notification_settings *out), (c, staff_id, out)) \
    X(VALUE, enum err, notification_settings_put, (struct store_conn *c, const char *staff_id, \
        const struct notification_settings *s, int64_t now), (c, staff_id, s, now)) \
    /* The mailer's outbox. mail_claim leases to owner, until `until`, at \
     * most limit emails that are pending, due (next_at <= now) and not \
     * leased (or whose lease ended), notifications' first, then digests', \
     * by a conditional UPDATE, so of several instances exactly one holds \
     * each (*out owned, free()). mail_finish, only while owner holds it: \
     * state "sent", "failed" or "none" (nothing to tell any more), or \
     * "pending" again with attempts + 1 and next_at (a retry), or \
     * "release": pending at next_at, not counted as a try; the lease ends. mail_next_due: the earliest \
     * next_at of a pending email (0: none). digest_staff: ids after \
     * after_id of active staff with an email and daily_digest on who have \
     * active tasks due on or before today, by id, at most limit, into \
     * ids[limit]. digest_add: staff_id's digest of day, pending from now; \
     * ERR_DUPLICATE (nothing written) when the day has one already, so \
     * each person gets one a day whichever instance adds it. digest_tasks: \
     * staff_id's active tasks due on or before today, by due date and id, \
     * at most limit (*out owned, free()). */ \
    X(VALUE, enum err, mail_claim, (struct store_conn *c, const char *owner, int64_t now, int64_t until, \
        int limit, struct mail_item **out, int *n), (c, owner, now, until, limit, out, n)) \
    X(VALUE, enum err, mail_finish, (struct store_conn *c, const struct mail_item *m, const char *owner, \
        const char *state, int64_t next_at), (c, m, owner, state, next_at)) \
    X(VALUE, enum err, mail_next_due, (struct store_conn *c, int64_t *next_at), (c, next_at)) \
    X(VALUE, enum err, digest_staff, (struct store_conn *c, const char *today, const char *after_id, int limit, \
        char (*ids)[EXT_ID_SIZE], int *n), (c, today, after_id, limit, ids, n)) \
    X(VALUE, enum err, digest_add, (struct store_conn *c, const char *staff_id, const char *day, int64_t now), \
        (c, staff_id, day, now)) \
    X(VALUE, enum err, digest_tasks, (struct store_conn *c, const char *staff_id, const char *today, int limit, \
        struct digest_task **out, int *n), (c, staff_id, today, limit, out, n)) \
    /* Sign-in by email (staff accounts): staff_login_find fills out with \
     * the ACTIVE staff member whose lower(email) equals email_lower (ASCII \
     * lower case) and who has a password; ERR_NOT_FOUND when there is none. \
     * *matches counts such members (more than 1 means the guard below was \
     * bypassed; callers refuse then). staff_email_taken: *taken when an \
     * active staff member other than except_id with a password has that \
     * email. staff_password_get: the member's hash ("" when none) into \
     * hash (STORE_PASSWORD_HASH_SIZE), ERR_NOT_FOUND for no such member. \
     * staff_password_set stores a new hash (never "" here). \
     * staff_login_touch sets last_login_at. */ \
    X(VALUE, enum err, staff_login_find, (struct store_conn *c, const char *email_lower, struct staff_login *out, \
        int *matches), (c, email_lower, out, matches)) \
    X(VALUE, enum err, staff_email_taken, (struct store_conn *c, const char *email_lower, const char *except_id, \
        bool *taken), (c, email_lower, except_id, taken)) \
    X(VALUE, enum err, staff_password_get, (struct store_conn *c, const char *staff_id, char *hash), \
        (c, staff_id, hash)) \
    X(VALUE, enum err, staff_password_set, (struct store_conn *c, const char *staff_id, const char *hash, \
        int64_t now), (c, staff_id, hash, now)) \
    X(VALUE, enum err, staff_login_touch, (struct store_conn *c, const char *staff_id, int64_t now), \
        (c, staff_id, now)) \
    /* Invitations, keyed by the hash of the link's secret; at most one per \
     * staff member. invite_put replaces the member's earlier one. \
     * invite_find: ERR_OK with the staff id (EXT_ID_SIZE) when the invite \
     * exists and expires after now, else ERR_NOT_FOUND; it changes \
     * nothing. invite_take deletes it and answers as invite_find, decided \
     * by the delete: of several writers taking one invite exactly one gets \
     * ERR_OK. invite_purge deletes at most limit invites expired by now. */ \
    X(VALUE, enum err, invite_put, (struct store_conn *c, const char *staff_id, const unsigned char hash[32], \
        int64_t now, int64_t expires_at, const char *created_by), (c, staff_id, hash, now, expires_at, created_by)) \
    X(VALUE, enum err, invite_find, (struct store_conn *c, const unsigned char hash[32], int64_t now, \
        char *staff_id), (c, hash, now, staff_id)) \
    X(VALUE, enum err, invite_take, (struct store_conn *c, const unsigned char hash[32], int64_t now, \
        char *staff_id), (c, hash, now, staff_id)) \
    X(VALUE, enum err, invite_purge, (struct store_conn *c, int64_t now, int limit, int64_t *purged), \
        (c, now, limit, purged)) \
    /* invite_drop deletes staff_id's invitation, if any (their email, \
     * password or active changed: a link sent before must not work). */ \
    X(VALUE, enum err, invite_drop, (struct store_conn *c, const char *staff_id), (c, staff_id)) \
    /* API tokens, stored as the hash of their secret. token_insert writes \
     * t's id, role, staff_id ("" stores NULL), name, expires_at (0: NULL) \
     * with created_at now; created_by may be "" (NULL). token_find: ERR_OK \
     * with the token (every field of struct token but the session's) when \
     * it is live at now: not revoked, not expired (expires_at > now), and, \
     * when tied to a staff member, that member is active; else \
     * ERR_NOT_FOUND. token_get: the token id, live or not (revoked ones \
     * too), or ERR_NOT_FOUND. token_list: tokens not revoked (expired \
     * ones too), by id after after_id ("" from the start), only those tied \
     * to staff_id unless it is "", at most limit; *out owned by the caller \
     * (free()). token_revoke: sets revoked_at and deletes the sessions \
     * signed in with it; ERR_OK when this call revoked it, ERR_NOT_FOUND \
     * when it was revoked already or does not exist (decided by the \
     * UPDATE's WHERE). token_touch sets last_used_at = now unless it is \
     * within the last 60 s (a no-op then). token_count counts the tokens \
     * not revoked. */ \
    X(VALUE, enum err, token_insert, (struct store_conn *c, const struct token *t, const unsigned char hash[32], \
        int64_t now, const char *created_by), (c, t, hash, now, created_by)) \
    X(VALUE, enum err, token_find, (struct store_conn *c, const unsigned char hash[32], int64_t now, \
        struct token *out), (c, hash, now, out)) \
    X(VALUE, enum err, token_get, (struct store_conn *c, const char *id, struct token *out), (c, id, out)) \
    X(VALUE, enum err, token_list, (struct store_conn *c, const char *staff_id, const char *after_id, int limit, \
        struct token **out, int *n), (c, staff_id, after_id, limit, out, n)) \
    X(VALUE, enum err, token_revoke, (struct store_conn *c, const char *id, int64_t now), (c, id, now)) \
    X(VALUE, enum err, token_touch, (struct store_conn *c, const char *id, int64_t now), (c, id, now)) \
    X(VALUE, enum err, token_count, (struct store_conn *c, int64_t *n), (c, n)) \
    /* Browser sessions, keyed by the hash of the cookie's secret. \
     * session_insert writes every field of s. session_find: ERR_OK with \
     * who the session acts as (struct token: for a token's session the \
     * token's fields, which must be live as for token_find; for a staff \
     * session id "", the member's staff_id, role and name, the member \
     * active), and session_id, session_last_seen_at set, when it exists \
     * and expires after now_ms; else ERR_NOT_FOUND. session_delete ends \
     * one by hash, session_end one by id when it belongs to staff_id (its \
     * own, or signed in with a token tied to that member) or, staff_id \
     * "", to token_id: ERR_NOT_FOUND otherwise. session_end_all ends every \
     * session of staff_id (both kinds) but except_id ("" for none), \
     * *ended counting them. session_list: the live sessions that \
     * session_end would end, newest first, at most limit (*out owned, \
     * free()). session_touch sets last_seen_at = now unless it is within \
     * the last 60 s. session_purge deletes at most `limit` sessions \
     * expired by now_ms. */ \
    X(VALUE, enum err, session_insert, (struct store_conn *c, const struct session_row *s), (c, s)) \
    X(VALUE, enum err, session_find, (struct store_conn *c, const unsigned char hash[32], int64_t now_ms, \
        struct token *out), (c, hash, now_ms, out)) \
    X(VALUE, enum err, session_delete, (struct store_conn *c, const unsigned char hash[32]), (c, hash)) \
    X(VALUE, enum err, session_end, (struct store_conn *c, const char *id, const char *staff_id, \
        const char *token_id), (c, id, staff_id, token_id)) \
    X(VALUE, enum err, session_end_all, (struct store_conn *c, const char *staff_id, const char *except_id, \
        int64_t *ended), (c, staff_id, except_id, ended)) \
    X(VALUE, enum err, session_list, (struct store_conn *c, const char *staff_id, const char *token_id, \
        int64_t now_ms, int limit, struct session_row **out, int *n), (c, staff_id, token_id, now_ms, limit, out, n)) \
    X(VALUE, enum err, session_touch, (struct store_conn *c, const char *id, int64_t now), (c, id, now)) \
    X(VALUE, enum err, session_purge, (struct store_conn *c, int64_t now_ms, int limit, int64_t *purged), \
        (c, now_ms, limit, purged)) \
    /* Failed sign-ins, for the limiter (domain/limiter.h), one row per \
     * failure under a key ("email:<lower>" or "addr:<client>"). \
     * login_failure_times: the at of the newest failures of key after \
     * since, newest first, at most max, into times; *n how many. \
     * login_failure_clear deletes key's rows; login_failure_purge at most \
     * limit rows at or before `before`. */ \
    X(VALUE, enum err, login_failure_add, (struct store_conn *c, const char *key, int64_t at), (c, key, at)) \
    X(VALUE, enum err, login_failure_times, (struct store_conn *c, const char *key, int64_t since, int max, \
        int64_t *times, int *n), (c, key, since, max, times, n)) \
    X(VALUE, enum err, login_failure_clear, (struct store_conn *c, const char *key), (c, key)) \
    X(VALUE, enum err, login_failure_purge, (struct store_conn *c, int64_t before, int limit, int64_t *purged), \
        (c, before, limit, purged)) \
    /* The audit log: rows are only ever added. audit_list answers q (see \
     * struct audit_query), *out owned (store_audit_rows_free). */ \
    X(VALUE, enum err, audit_add, (struct store_conn *c, const struct audit_row *a), (c, a)) \
    X(VALUE, enum err, audit_list, (struct store_conn *c, const struct audit_query *q, struct audit_row **out, \
        int *n), (c, q, out, n)) \
    /* Idempotency keys, scoped per token. get: ERR_OK with the stored answer \
     * (*response owned by the caller) or ERR_NOT_FOUND. \
     * claim: the insert on the key that decides who owns it, made before the \
     * work the key guards. ERR_OK: this transaction holds the key (unanswered \
     * until its put) and does the work. ERR_DUPLICATE: the key was taken; \
     * hash, *status and *response (caller frees) are the stored request's, \
     * after the transaction that took it committed (a backend with row locks \
     * waits for it), so of several writers with one key exactly one works. \
     * put: stores the answer, completing this transaction's claim or adding \
     * the key; ERR_DUPLICATE when the key has an answer already. */ \
    X(VALUE, enum err, idem_get, (struct store_conn *c, const char *scope, const char *key, unsigned char hash[32], \
        int *status, char **response), (c, scope, key, hash, status, response)) \
    X(VALUE, enum err, idem_claim, (struct store_conn *c, const char *scope, const char *key, \
        const unsigned char hash[32], int64_t now, unsigned char stored[32], int *status, char **response), \
        (c, scope, key, hash, now, stored, status, response)) \
    X(VALUE, enum err, idem_put, (struct store_conn *c, const char *scope, const char *key, \
        const unsigned char hash[32], int status, const char *response, int64_t now), \
        (c, scope, key, hash, status, response, now)) \
    /* The task a key's answer shows, so a replay can name it without reading \
     * the answer: idem_task_set records it in the transaction that answered, \
     * after its put (ERR_NOT_FOUND: no such key); idem_task_get gives its id \
     * and version, ERR_NOT_FOUND when the key or its task is not recorded. */ \
    X(VALUE, enum err, idem_task_set, (struct store_conn *c, const char *scope, const char *key, \
        const char *task_id, int64_t version), (c, scope, key, task_id, version)) \
    X(VALUE, enum err, idem_task_get, (struct store_conn *c, const char *scope, const char *key, \
        char task_id[TASK_ID_SIZE], int64_t *version), (c, scope, key, task_id, version)) \
    X(VALUE, enum err, idem_purge, (struct store_conn *c, int64_t older_than_ms, int64_t *purged), \
        (c, older_than_ms, purged)) \
    /* ---- SLA tracking, reports, metrics ---- */ \
    /* ids of active tasks past their SLA deadline at now_ms whose breach is \
     * not yet in their history; at most `limit` (caller frees). */ \
    X(VALUE, enum err, task_sla_breach_unrecorded, (struct store_conn *c, int64_t now_ms, int limit, char ***ids, \
        int *n), (c, now_ms, limit, ids, n)) \
    /* Sets the recorded flag: ERR_OK, or ERR_NOT_FOUND when it was set already. */ \
    X(VALUE, enum err, task_sla_breach_mark, (struct store_conn *c, const char *id), (c, id)) \
    /* At most `limit` active tasks with an SLA, id > after_id (""), in id \
     * order, with what stamping their deadline needs (*rows: caller frees). */ \
    X(VALUE, enum err, task_sla_active_batch, (struct store_conn *c, const char *after_id, int limit, \
        struct sla_stamp_row **rows, int *n), (c, after_id, limit, rows, n)) \
    /* Sets a task's sla_due_at and sla_risk_at, nothing else (not an edit). */ \
    X(VALUE, enum err, task_sla_set, (struct store_conn *c, const char *id, int64_t due_ms, int64_t risk_ms), \
        (c, id, due_ms, risk_ms)) \
    /* task_sla_set for n tasks at once: rows[i].id gets rows[i].sla_due_at \
     * and .sla_risk_at (the recompute's batches; one statement where the \
     * backend pays a round trip per statement). */ \
    X(VALUE, enum err, task_sla_set_many, (struct store_conn *c, const struct sla_stamp_row *rows, int n), \
        (c, rows, n)) \
    /* ---- SLA clocks ---- \
     * task_sla_risk_unrecorded: ids of active tasks with a running (not \
     * paused) clock, past their 80% instant and not past their deadline at \
     * now_ms, whose at-risk line is not written for this clock; at most \
     * limit (caller frees). task_sla_risk_mark sets that flag: ERR_OK when \
     * this call set it (of several writers exactly one), ERR_NOT_FOUND when \
     * it was set. task_sla_marks_clear resets the breach flag (breach) and \
     * the at-risk flag (risk) of a task whose deadline moved, so that the \
     * next breach and warning are recorded again. sla_policy_get: the hours \
     * by priority (index enum task_priority; has false: no SLA), all none \
     * when never set; sla_policy_put replaces them. */ \
    X(VALUE, enum err, task_sla_risk_unrecorded, (struct store_conn *c, int64_t now_ms, int limit, char ***ids, \
        int *n), (c, now_ms, limit, ids, n)) \
    X(VALUE, enum err, task_sla_risk_mark, (struct store_conn *c, const char *id), (c, id)) \
    X(VALUE, enum err, task_sla_marks_clear, (struct store_conn *c, const char *id, bool breach, bool risk), \
        (c, id, breach, risk)) \
    X(VALUE, enum err, sla_policy_get, (struct store_conn *c, bool has[4], double hours[4]), (c, has, hours)) \
    X(VALUE, enum err, sla_policy_put, (struct store_conn *c, const bool has[4], const double hours[4], \
        int64_t now_ms), (c, has, hours, now_ms)) \
    /* The calendar's JSON text (*body owned by the caller), or ERR_NOT_FOUND. */ \
    X(VALUE, enum err, sla_calendar_get, (struct store_conn *c, char **body), (c, body)) \
    /* Stores the calendar and marks its recompute pending from the start. */ \
    X(VALUE, enum err, sla_calendar_put, (struct store_conn *c, const char *body, int64_t now_ms), (c, body, now_ms)) \
    /* The pending recompute's cursor (*pending false when none), and moving \
     * it (after NULL: done). */ \
    X(VALUE, enum err, sla_recompute_get, (struct store_conn *c, char after[TASK_ID_SIZE], bool *pending), \
        (c, after, pending)) \
    X(VALUE, enum err, sla_recompute_set, (struct store_conn *c, const char *after), (c, after)) \
    /* Calls row() for every task whose sla_due_at is in [start_ms, end_ms). */ \
    X(VALUE, enum err, sla_report_scan, (struct store_conn *c, int64_t start_ms, int64_t end_ms, enum sla_group g, \
        void (*row)(void *arg, const struct sla_row *r), void *arg), (c, start_ms, end_ms, g, row, arg)) \
    /* The tasks overdue at `today`: by_assignee() for each (assignee, due \
     * date) total (assignee "" when unassigned), by_priority() for each \
     * (priority, due date) total. */ \
    X(VALUE, enum err, overdue_scan, (struct store_conn *c, const char *today, \
        void (*by_assignee)(void *arg, const char *assignee, const char *due, int64_t n), \
        void (*by_priority)(void *arg, enum task_priority p, const char *due, int64_t n), void *arg), \
        (c, today, by_assignee, by_priority, arg)) \
    X(VALUE, enum err, metrics_read, (struct store_conn *c, const char *today, int64_t now_ms, \
        struct store_metrics *out), (c, today, now_ms, out)) \
    /* renewals: renewable items, the policy and the engine's \
     * actions (store/sqlite/renewals.c). get/delete: ERR_NOT_FOUND when \
     * there is no such item. put upserts (created_at kept on update; *created \
     * decided by the insert on the id, as for staff_put). */ \
    X(VALUE, enum err, renewal_get, (struct store_conn *c, const char *id, struct renewal_item *out), (c, id, out)) \
    X(VALUE, enum err, renewal_put, (struct store_conn *c, const struct renewal_item *it, bool *created), \
        (c, it, created)) \
    X(VALUE, enum err, renewal_delete, (struct store_conn *c, const char *id), (c, id)) \
    /* one customer's items ordered by id, after after_id (NULL: from the start) */ \
    X(VALUE, enum err, renewal_list, (struct store_conn *c, const char *customer_id, const char *after_id, int limit, \
        struct renewal_item **out, int *n), (c, customer_id, after_id, limit, out, n)) \
    /* ids of items whose next_due is on or before today, in (next_due, id) \
     * order strictly after (after_due, after_id) ("" "" from the start); at \
     * most limit; the caller frees *ids and each entry */ \
    X(VALUE, enum err, renewal_due, (struct store_conn *c, const char *today, const char *after_due, \
        const char *after_id, int limit, char ***ids, char ***dues, int *n), \
        (c, today, after_due, after_id, limit, ids, dues, n)) \
    X(VALUE, enum err, renewal_set_next_due, (struct store_conn *c, const char *id, const char *next_due), \
        (c, id, next_due)) /* "" = NULL */ \
    /* after a policy change: every item's next_due becomes expires_on - max_days_before */ \
    X(VALUE, enum err, renewal_reset_next_due, (struct store_conn *c, int max_days_before), (c, max_days_before)) \
    /* smallest days_before acted on for (id, expires_on), or RENEWAL_NONE_ACTED */ \
    X(VALUE, enum err, renewal_acted_min, (struct store_conn *c, const char *id, const char *expires_on, \
        int *acted_min), (c, id, expires_on, acted_min)) \
    /* the unique key: ERR_DUPLICATE (nothing written) when (id, expires_on, \
     * days_before) already has its action, so of two engines exactly one acts */ \
    X(VALUE, enum err, renewal_action_insert, (struct store_conn *c, const char *id, const char *expires_on, \
        int days_before, const char *action, const char *task_id, int64_t at), \
        (c, id, expires_on, days_before, action, task_id, at)) \
    /* every action taken for the item, oldest first (at most max); *out \
     * owned by the caller (free()), NULL when none */ \
    X(VALUE, enum err, renewal_actions, (struct store_conn *c, const char *id, int max, \
        struct renewal_action_row **out, int *n), (c, id, max, out, n)) \
    /* the newest task with this renewal_id, ERR_NOT_FOUND when none */ \
    X(VALUE, enum err, renewal_latest_task, (struct store_conn *c, const char *renewal_id, \
        char task_id[TASK_ID_SIZE]), (c, renewal_id, task_id)) \
    X(VALUE, enum err, renewal_policy_get, (struct store_conn *c, struct renewal_policy *out), (c, out)) \
    X(VALUE, enum err, renewal_policy_put, (struct store_conn *c, const struct renewal_policy *p, int64_t now), \
        (c, p, now)) \
    /* GET /ops/renewals: items of every customer matching q, in \
     * (expires_on, id) order strictly after (q->after_expires, q->after_id), \
     * at most q->limit, each with its customer's name, acted_min and newest \
     * task (struct renewal_row); *out owned by the caller (free()). */ \
    X(VALUE, enum err, renewal_list_all, (struct store_conn *c, const struct renewal_query *q, \
        struct renewal_row **out, int *n), (c, q, out, n)) \
    /* workflow rules. rule_get: ERR_OK or ERR_NOT_FOUND. rule_put \
     * upserts (keeping created_at and rr_next; *created as for staff_put). rule_list: by id after \
     * after_id, event_type "" for all. rules_for_type: the enabled rules of \
     * one event type, by id, at most limit. rule_count_type: rules of a type \
     * ("" for all) other than except_id. staff_load: active (OPEN, IN_PROGRESS) tasks \
     * assigned to a staff member. Lists are owned by the caller \
     * (store_rule_rows_free, store_event_rows_free). \
     * rule_rr_take: the round-robin turn, in one UPDATE ... RETURNING: *pick \
     * is the first of the n candidates at or after the rule's position \
     * (modulo n) whose active[] is true (rule_pick_round_robin's choice), and \
     * the position moves to *pick + 1, so writers taking turns at once get \
     * successive candidates; ERR_NOT_FOUND when no rule id or none is active. \
     * event_claim: inserts a posted event ev (its outcome "" until \
     * event_set_outcome; ERR_NOT_FOUND there when no such event) unless one \
     * with its id exists: then ERR_DUPLICATE with that event in *old (caller \
     * clears), after the transaction that stored it committed, so of several \
     * writers with one event id exactly one runs the rules. event_insert \
     * stores a service event whole (its sys_ id is new, so nothing races it). */ \
    X(VALUE, enum err, rule_get, (struct store_conn *c, const char *id, struct rule_row *out), (c, id, out)) \
    X(VALUE, enum err, rule_put, (struct store_conn *c, const char *id, const char *event_type, bool enabled, \
        const char *definition, int64_t now, bool *created), (c, id, event_type, enabled, definition, now, created)) \
    X(VALUE, enum err, rule_delete, (struct store_conn *c, const char *id), (c, id)) \
    X(VALUE, enum err, rule_list, (struct store_conn *c, const char *event_type, const char *after_id, int limit, \
        struct rule_row **out, int *n), (c, event_type, after_id, limit, out, n)) \
    X(VALUE, enum err, rules_for_type, (struct store_conn *c, const char *event_type, int limit, \
        struct rule_row **out, int *n), (c, event_type, limit, out, n)) \
    X(VALUE, enum err, rule_count_type, (struct store_conn *c, const char *event_type, const char *except_id, \
        int64_t *n), (c, event_type, except_id, n)) \
    X(VALUE, enum err, rule_rr_take, (struct store_conn *c, const char *id, int n, const bool *active, int *pick), \
        (c, id, n, active, pick)) \
    X(VALUE, enum err, staff_load, (struct store_conn *c, const char *staff_id, int64_t *n), (c, staff_id, n)) \
    X(VALUE, enum err, event_get, (struct store_conn *c, const char *id, struct event_row *out), (c, id, out)) \
    X(VALUE, enum err, event_insert, (struct store_conn *c, const struct event_row *ev), (c, ev)) \
    X(VALUE, enum err, event_claim, (struct store_conn *c, const struct event_row *ev, struct event_row *old), \
        (c, ev, old)) \
    X(VALUE, enum err, event_set_outcome, (struct store_conn *c, const char *id, const char *outcome), \
        (c, id, outcome)) \
    X(VALUE, enum err, event_list, (struct store_conn *c, const struct event_query *q, struct event_row **out, \
        int *n), (c, q, out, n)) \
    /* Retention: deletes at most `limit` events received before \
     * older_than_ms, oldest first (their outcome is a column of the row); \
     * *purged says how many. Tasks keep their event_id. */ \
    X(VALUE, enum err, event_purge, (struct store_conn *c, int64_t older_than_ms, int limit, int64_t *purged), \
        (c, older_than_ms, limit, purged)) \
    /* The lease on background work `name` (one row: owner, expires_at): \
     * taken or renewed for owner until now_ms + ttl_ms when it is free, \
     * expired at now_ms, or owner's already, by one conditional upsert, so \
     * of several instances asking at once exactly one holds it; *held says \
     * whether owner holds it now. */ \
    X(VALUE, enum err, lease_take, (struct store_conn *c, const char *name, const char *owner, int64_t now_ms, \
        int64_t ttl_ms, bool *held), (c, name, owner, now_ms, ttl_ms, held)) \
    /* Gives the lease up (a clean stop), when owner holds it. */ \
    X(VALUE, enum err, lease_release, (struct store_conn *c, const char *name, const char *owner), \
        (c, name, owner)) \
    /* ---- webhooks (store/sqlite/webhooks.c, store/pg/webhooks.c) ---- \
     * webhook_get: ERR_OK or ERR_NOT_FOUND. webhook_put upserts by id \
     * (created_at kept; *created as for staff_put). webhook_delete removes \
     * the webhook with its deliveries and their attempts (ERR_NOT_FOUND \
     * for none). webhook_list: by id after after_id (NULL: from the \
     * first), at most limit; *out owned by the caller (free()). \
     * webhook_active_count: the active webhooks (the sink's hint). */ \
    X(VALUE, enum err, webhook_get, (struct store_conn *c, const char *id, struct webhook_row *out), (c, id, out)) \
    X(VALUE, enum err, webhook_put, (struct store_conn *c, const struct webhook_row *w, bool *created), \
        (c, w, created)) \
    X(VALUE, enum err, webhook_delete, (struct store_conn *c, const char *id), (c, id)) \
    X(VALUE, enum err, webhook_list, (struct store_conn *c, const char *after_id, int limit, \
        struct webhook_row **out, int *n), (c, after_id, limit, out, n)) \
    X(VALUE, enum err, webhook_active_count, (struct store_conn *c, int64_t *n), (c, n)) \
    /* The outbox, in the change's transaction: one pending delivery (a new \
     * dlv_ id, due at now_ms) for every active webhook whose event_mask \
     * has type_bit; *added says how many. data is the payload's "data" \
     * object as JSON text. */ \
    X(VALUE, enum err, webhook_outbox_add, (struct store_conn *c, int64_t type_bit, const char *event_type, \
        const char *task_id, int64_t occurred_at, const char *data, int64_t now_ms, int *added), \
        (c, type_bit, event_type, task_id, occurred_at, data, now_ms, added)) \
    /* webhook_deliveries: webhook_id's deliveries newest first (by seq), \
     * those older than before_id (NULL: from the newest), at most limit; \
     * *out owned by the caller (free()). webhook_delivery_get: one of \
     * webhook_id's, ERR_NOT_FOUND otherwise. webhook_attempts: a \
     * delivery's tries, oldest first, at most max (*out free()). */ \
    X(VALUE, enum err, webhook_deliveries, (struct store_conn *c, const char *webhook_id, const char *before_id, \
        int limit, struct webhook_delivery **out, int *n), (c, webhook_id, before_id, limit, out, n)) \
    X(VALUE, enum err, webhook_delivery_get, (struct store_conn *c, const char *webhook_id, const char *id, \
        struct webhook_delivery *out), (c, webhook_id, id, out)) \
    X(VALUE, enum err, webhook_attempts, (struct store_conn *c, const char *delivery_id, int max, \
        struct webhook_attempt **out, int *n), (c, delivery_id, max, out, n)) \
    /* Redeliver: webhook_id's delivery id becomes pending again, due at \
     * now_ms, a new 24-hour round of tries from now (its lease dropped); \
     * ERR_NOT_FOUND when there is no such delivery. */ \
    X(VALUE, enum err, webhook_redeliver, (struct store_conn *c, const char *webhook_id, const char *id, \
        int64_t now_ms), (c, webhook_id, id, now_ms)) \
    /* The sender. webhook_due: *due when some pending delivery is due at \
     * now_ms and not leased (a read, so an idle sender costs no write). \
     * webhook_claim: leases, to owner until lease_until, at most limit \
     * deliveries that are pending, due, not leased (or their lease ran out) \
     * and of an active webhook, each the oldest pending one of its \
     * (webhook, task), in one conditional UPDATE: of several instances \
     * claiming at once each delivery goes to one; owner must be new for \
     * each claim (it names the claim's rows). *out owned by the caller \
     * (store_webhook_claims_free). webhook_result: adds the attempt and \
     * moves the delivery to r->state, when owner still holds its lease \
     * (the attempt is kept either way). */ \
    X(VALUE, enum err, webhook_due, (struct store_conn *c, int64_t now_ms, bool *due), (c, now_ms, due)) \
    X(VALUE, enum err, webhook_claim, (struct store_conn *c, const char *owner, int64_t now_ms, int64_t lease_until, \
        int limit, struct webhook_claim **out, int *n), (c, owner, now_ms, lease_until, limit, out, n)) \
    X(VALUE, enum err, webhook_result, (struct store_conn *c, const char *owner, const struct webhook_result *r), \
        (c, owner, r)) \
    /* ---- opstasks copy and check (store/tables.h: the table list) ---- */ \
    /* At most `limit` rows of table t in its key order, after the row whose \
     * key values are after[t->nkey] (NULL: from the first), as text (binary \
     * as hex, NULL for SQL NULL); out owned by the caller (store_rows_free). */ \
    X(VALUE, enum err, copy_read, (struct store_conn *c, const struct store_table *t, const char *const *after, \
        int limit, struct store_rows *out), (c, t, after, limit, out)) \
    /* Inserts the rows of t (rows->ncols == t->ncols) as copy_read gives \
     * them, in the writer's transaction, with their own ids, versions and \
     * seq; a backend may send them in one statement. */ \
    X(VALUE, enum err, copy_write, (struct store_conn *c, const struct store_table *t, \
        const struct store_rows *rows), (c, t, rows)) \
    /* On a reader: begin (true) or end one read-only snapshot, so every \
     * copy_read and copy_count until its end sees the database as of one \
     * instant while servers go on writing. */ \
    X(VALUE, enum err, copy_snapshot, (struct store_conn *c, bool begin), (c, begin)) \
    /* The rows of t (except_seeded: those not matching t->seeded), and \
     * deleting every row of t (for the tables a copy replaces). */ \
    X(VALUE, enum err, copy_count, (struct store_conn *c, const struct store_table *t, bool except_seeded, \
        int64_t *n), (c, t, except_seeded, n)) \
    X(VALUE, enum err, copy_clear, (struct store_conn *c, const struct store_table *t), (c, t)) \
    /* Around the rows, in the writer's transaction: copy_prepare may stop \
     * the triggers that keep the tables a copy replaces (t->replace: it \
     * brings their rows itself); copy_finish starts them again and moves \
     * numbering (t->serial) past the largest copied value. */ \
    X(VALUE, enum err, copy_prepare, (struct store_conn *c), (c)) \
    X(VALUE, enum err, copy_finish, (struct store_conn *c), (c)) \
    /* The database's real columns as "table.column" (its schema version \
     * table and the backend's own tables left out), for store_tables_match; \
     * *names and each entry owned by the caller. */ \
    X(VALUE, enum err, copy_columns, (struct store_conn *c, char ***names, int *n), (c, names, n)) \
    /* `opstasks check` on the database path names, read-only and beside a \
     * running server: the checks of `which` (bits 1 << CHECK_*) fill their \
     * out[] entry (each fails on its own; one a backend has no equivalent \
     * of is skipped, saying so). 0, or -1 with e set when the database \
     * cannot be opened at all. */ \
    X(TABLE, int, check_db, (const char *path, unsigned which, struct check_result out[CHECK__COUNT], \
        struct errinfo *e), (path, which, out, e))

#define STORE_OP_MEMBER(kind, ret, name, params, args) ret(*name) params;
struct store_ops {
    int version;
    const char *name;
    /* Items per writer job in store_run_each (runtime.h): what the backend's
     * savepoints cost decides it, so no caller sizes its batches itself. */
    int each_batch;
    STORE_OPS(STORE_OP_MEMBER)
};

#define STORE_SPACE_LOW (1024 * 1024)

/* A connection, as every backend's begins: the backend adds its own fields.
 * Its first member, like struct store's, is the ops table: the wrappers
 * below read it through either (a pointer to a struct points to its first
 * member). */
struct store_conn {
    const struct store_ops *ops;
    struct store *store;
    struct store_conn *next_free;  /* reader pool link */
};

/* ---- the wrappers: store_NAME(c, ...) calls c->ops->NAME(c, ...) -------- */

/* One line per op, generated from STORE_OPS: the one place to add a fault
 * injection hook, a timing probe or an assertion around every call of a
 * backend. Nothing outside the backends calls through ops directly. No op is named
 * like the runtime's own functions (store_open, store_close, store_run,
 * store_submit, ...): such a row would not compile (a redefinition). */
#define STORE_FIRST_(a, ...) a
#define STORE_FIRST(...) STORE_FIRST_(__VA_ARGS__, 0)
#define STORE_UNPAREN(...) __VA_ARGS__
#define STORE_OPS_OF(p) (*(const struct store_ops *const *)(p))
#define STORE_WRAPPER_VALUE(ret, name, params, args) \
    static inline ret store_##name params { return STORE_OPS_OF(STORE_FIRST args)->name args; }
#define STORE_WRAPPER_VOID(ret, name, params, args) \
    static inline void store_##name params { STORE_OPS_OF(STORE_FIRST args)->name args; }
#define STORE_WRAPPER_TABLE(ret, name, params, args) \
    static inline ret store_##name(const struct store_ops *ops, STORE_UNPAREN params) { return ops->name args; }
#define STORE_WRAPPER(kind, ret, name, params, args) STORE_WRAPPER_##kind(ret, name, params, args)
STORE_OPS(STORE_WRAPPER)

#endif
