/* internal.h (sqlite): what the files of the SQLite backend share: the
 * statement cache and the bind/column helpers of sqlite.c, the task columns
 * of tasks.c and queue.c, and the declaration of every op's function
 * (sqlite_NAME for each row of STORE_OPS), which sqlite.c assembles into
 * store_sqlite_ops. Nothing outside store/sqlite/ includes this. */
#ifndef OPSTASKS_SQLITE_INTERNAL_H
#define OPSTASKS_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/ops.h"
#include "store/runtime.h"

/* A reset statement for sql from the connection's cache, prepared on first
 * use; NULL on error. Give it back with sqlite_done (reset + clear). */
sqlite3_stmt *sqlite_stmt(struct store_conn *c, const char *sql);
void sqlite_done(sqlite3_stmt *st);
/* Logs the connection's last error, resets st and returns what it means:
 * ERR_UNAVAILABLE when the database cannot take a write for now (disk full,
 * I/O error, locked, read-only), else ERR_INTERNAL. */
enum err sqlite_fail(struct store_conn *c, sqlite3_stmt *st, const char *what);
/* Steps a statement that reads at most one row: ERR_OK with the statement
 * on the row (read it, then sqlite_done), ERR_NOT_FOUND with it reset when
 * there is none, else sqlite_fail's answer. */
enum err sqlite_step_row(struct store_conn *c, sqlite3_stmt *st, const char *what);
/* Registers the VFS of walbuf.c (the default VFS, with the WAL's appends
 * of a commit written in one call) once; its name for sqlite3_open_v2, or
 * NULL when it cannot (then open with the default). */
const char *sqlite_walbuf_register(void);
/* The connection's handle (for sqlite3_changes). */
sqlite3 *sqlite_db(struct store_conn *c);

/* Binds s, or NULL when s is NULL or "" (bind_text) / only when NULL
 * (bind_opt_text); v, or NULL when 0 (bind_ts). */
void sqlite_bind_text(sqlite3_stmt *st, int i, const char *s);
void sqlite_bind_opt_text(sqlite3_stmt *st, int i, const char *s);
void sqlite_bind_ts(sqlite3_stmt *st, int i, int64_t v);
/* Binds the parameter called name (":today"), when the statement has it. */
void sqlite_bind_named_text(sqlite3_stmt *st, const char *name, const char *v);
void sqlite_bind_named_int64(sqlite3_stmt *st, const char *name, int64_t v);
/* A text column: a copy the caller frees (NULL for SQL NULL); or copied
 * into out[n], truncated to fit (the schema's ids and dates always fit). */
char *sqlite_col_dup(sqlite3_stmt *st, int i);
void sqlite_col_copy(sqlite3_stmt *st, int i, char *out, size_t n);

/* A put by id, atomic under concurrent writers: insert_sql (an INSERT ... ON
 * CONFLICT DO NOTHING) and, when the row exists, update_sql, both bound by
 * bind; *created says whether the insert added it. */
enum err sqlite_put(struct store_conn *c, const char *insert_sql, const char *update_sql,
                    void (*bind)(sqlite3_stmt *st, const void *row), const void *row, bool *created);

/* The columns of a task row, as tasks.c writes them and both it and queue.c
 * read them (sqlite_read_task). */
#define TASK_COLS                                                                                            \
    "id, title, description, prio, status, overdue_recorded, due_date, sla_hours, assignee_id, user_id, "    \
    "source, created_at, updated_at, started_at, completed_at, cancelled_at, version, renewal_id, "           \
    "rule_id, event_id, rule_depth"
/* what a read selects, the stored SLA deadline and 80% instant after
 * TASK_COLS, then comment_count (read only: comment_add keeps it, so no
 * insert or update writes it and an update cannot reset it) */
#define TASK_READ_COLS TASK_COLS ", sla_due_at, sla_risk_at, comment_count, " TASK_CLOCK_READ_COLS
/* the SLA clock's columns (migration 017), read after comment_count */
#define TASK_CLOCK_READ_COLS "coalesce(sla_started_at, created_at), sla_paused_at, sla_paused_ms, sla_by_policy"
/* Columns read: 0-16 the core's, 17 renewal_id, 18-20 rule_id,
 * event_id, rule_depth, 21-22 sla_due_at, sla_risk_at, 23 comment_count,
 * 24-27 sla_started_at, sla_paused_at, sla_paused_ms, sla_by_policy.
 * Bound parameters (bind_task): ?1-?17 the core's, ?18 sla_due_at,
 * ?19 renewal_id, ?20 sla_risk_at, ?21-?23 rule_id, event_id, rule_depth,
 * ?24-?27 the SLA clock's. */
void sqlite_read_task(sqlite3_stmt *st, struct task *t);

/* search.c: a customer's search_names row alone */
enum err sqlite_search_name_customer(struct store_conn *c, const char *id);

/* checkpoint.c: the WAL's checkpoints on a thread of their own, for the
 * writer connection writer_db of the database at path (NULL: it could not
 * start, and SQLite's own checkpoints in the commits go on). Stop before the
 * writer connection closes. */
struct sqlite_checkpointer;
struct sqlite_checkpointer *sqlite_checkpointer_start(const char *path, sqlite3 *writer_db);
void sqlite_checkpointer_stop(struct sqlite_checkpointer *k, sqlite3 *writer_db);

/* One function per op: sqlite.c (connections, transactions, schema),
 * tasks.c, queue.c (queue queries, stats, metrics), people.c (staff,
 * customers, idempotency keys), accounts.c (sign-in, passwords, invites,
 * tokens, sessions, failed sign-ins, the audit log), sla.c, renewals.c,
 * rules.c (rules and events), comments.c (comments on tasks). */
#define SQLITE_OP_DECL(kind, ret, name, params, args) ret sqlite_##name params;
STORE_OPS(SQLITE_OP_DECL)
#undef SQLITE_OP_DECL

#endif
