/* internal.h (pg): what the files of the PostgreSQL backend share: running a
 * statement with text parameters (pg.c), reading columns, and the
 * declaration of every op's function (pg_NAME for each row of STORE_OPS),
 * which ops.c assembles into store_pg_ops. Nothing outside store/pg/
 * includes this.
 *
 * Statements are written with $1, $2 ... placeholders; each connection
 * prepares a statement the first time it runs its text and reuses it, as
 * the SQLite backend's statement cache does. Values travel as text (binary
 * values such as token hashes as bytea's hex form, "\x..."). */
#ifndef OPSTASKS_PG_INTERNAL_H
#define OPSTASKS_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdint.h>

#include "store/ops.h"
#include "store/runtime.h"

#define PG_MAX_PARAMS 32

/* A statement's parameters, in order: pg_p_*() appends one. Small values
 * are formatted into buf; text is pointed to (keep it alive until the run). */
struct pg_params {
    int n;
    const char *v[PG_MAX_PARAMS];
    char buf[PG_MAX_PARAMS][72];
};
void pg_p_text(struct pg_params *p, const char *s);     /* NULL when s is NULL or "" */
void pg_p_opt_text(struct pg_params *p, const char *s); /* NULL only when s is NULL */
void pg_p_int(struct pg_params *p, int64_t v);
void pg_p_ts(struct pg_params *p, int64_t v); /* NULL when 0 */
void pg_p_double(struct pg_params *p, double v);
void pg_p_null(struct pg_params *p);
void pg_p_bytes(struct pg_params *p, const unsigned char *b, size_t n); /* n <= 32 */

/* Runs sql with p's values (p may be NULL: no parameters). Returns the
 * result (rows or a command's status; the caller PQclear()s it), or NULL
 * after logging the failure with *rc set to what it means: ERR_UNAVAILABLE
 * when the database cannot be reached or cannot take the statement for now
 * (connection lost, server shutting down, out of disk, a lock or the answer
 * not coming within the statement deadline), else ERR_INTERNAL. A
 * connection that was lost is opened again by the next statement run on it
 * outside a transaction. rc may be NULL. */
PGresult *pg_run(struct store_conn *c, const char *sql, const struct pg_params *p, enum err *rc);
/* pg_run for a statement without rows: ERR_OK with *affected (may be NULL)
 * the rows it changed, or pg_run's failure. */
enum err pg_cmd(struct store_conn *c, const char *sql, const struct pg_params *p, int64_t *affected);
/* pg_run for a statement that reads at most one row: ERR_OK with *res on
 * it (row 0; PQclear after), ERR_NOT_FOUND when there is none (*res NULL),
 * else the failure. */
enum err pg_row(struct store_conn *c, const char *sql, const struct pg_params *p, PGresult **res);

/* A put by id, as the SQLite backend's sqlite_put: insert_sql (an INSERT
 * ... ON CONFLICT DO NOTHING) with ins, else update_sql with upd (upd may be
 * ins). The insert decides *created: of several writers putting a new id at
 * once exactly one inserts, the others wait on its row lock, then find the
 * row (READ COMMITTED) and update it; a row deleted between the two
 * statements is inserted again (bounded). */
enum err pg_put(struct store_conn *c, const char *insert_sql, const struct pg_params *ins, const char *update_sql,
                const struct pg_params *upd, bool *created);

/* The SLA calendar as the writer's transaction read it: the writers' lock
 * it holds keeps every other instance from changing it until COMMIT, so
 * one read serves every job of a group. pg_tx_calendar: true with *found
 * and *body (a copy; NULL when there is none) when this transaction read it
 * already; _keep records a read or a write (body NULL: none), _forget drops
 * it (a job rolled back). Outside a writer's group they do nothing. */
bool pg_tx_calendar(struct store_conn *c, char **body, bool *found);
void pg_tx_calendar_keep(struct store_conn *c, const char *body);
void pg_tx_calendar_forget(struct store_conn *c);
/* The active webhooks' count, read once a group transaction the same way
 * (pg_tx_calendar_forget forgets it too). */
bool pg_tx_webhooks(struct store_conn *c, int64_t *n);
void pg_tx_webhooks_keep(struct store_conn *c, int64_t n);
/* SLA clocks: the SLA policy, kept for the transaction as the calendar is
 * (pg_tx_calendar_forget forgets it too). */
bool pg_tx_policy(struct store_conn *c, bool has[4], double hours[4]);
void pg_tx_policy_keep(struct store_conn *c, const bool has[4], const double hours[4]);

/* Columns of row r: a copy the caller frees (NULL for SQL NULL); copied
 * into out[n], truncated to fit ("" for NULL); numbers (0 for NULL). */
char *pg_col_dup(const PGresult *res, int r, int i);
void pg_col_copy(const PGresult *res, int r, int i, char *out, size_t n);
int64_t pg_col_int64(const PGresult *res, int r, int i);
double pg_col_double(const PGresult *res, int r, int i);
bool pg_col_null(const PGresult *res, int r, int i);
/* A bytea column (hex form) into out[n]: true when it held exactly n bytes. */
bool pg_col_bytes(const PGresult *res, int r, int i, unsigned char *out, size_t n);

/* The columns of a task row, as tasks.c writes them and queue.c reads them:
 * the same list and order as the SQLite backend's (sqlite/internal.h). */
#define PG_TASK_COLS                                                                                         \
    "id, title, description, prio, status, overdue_recorded, due_date, sla_hours, assignee_id, user_id, "    \
    "source, created_at, updated_at, started_at, completed_at, cancelled_at, version, renewal_id, "           \
    "rule_id, event_id, rule_depth"
/* then comment_count, read only (comment_add keeps it; see sqlite/internal.h) */
#define PG_TASK_READ_COLS PG_TASK_COLS ", sla_due_at, sla_risk_at, comment_count, " PG_TASK_CLOCK_READ_COLS
/* the SLA clock's columns (migration 010), read after comment_count: 24-27 */
#define PG_TASK_CLOCK_READ_COLS "coalesce(sla_started_at, created_at), sla_paused_at, sla_paused_ms, sla_by_policy"
/* Reads row r of a result selecting PG_TASK_COLS (or PG_TASK_READ_COLS). */
void pg_read_task(const PGresult *res, int r, struct task *t);

/* The tags of the words a search document holds twice, the title's and
 * the customer's (search.c, migration 008), so that a tsquery can ask for
 * the words of one part: no normalised word holds a '!'. */
#define SEARCH_TAG_TITLE "!t"
#define SEARCH_TAG_CUSTOMER "!c"

/* One function per op: pg.c (connections, transactions, schema), tasks.c,
 * queue.c, people.c, sla.c, renewals.c, rules.c, comments.c, as in the SQLite
 * backend. */
#define PG_OP_DECL(kind, ret, name, params, args) ret pg_##name params;
STORE_OPS(PG_OP_DECL)
#undef PG_OP_DECL

#endif
