/* renewals.h (sqlite): the renewals entries of the SQLite backend's table
 * (issue 4), and the few statement helpers of sqlite.c they share. */
#ifndef OPSTASKS_SQLITE_RENEWALS_H
#define OPSTASKS_SQLITE_RENEWALS_H

#include <sqlite3.h>

#include "store/store.h"

/* sqlite.c: a cached, reset statement (NULL on error); reset + clear after
 * use; log an error, reset and return what it means (ERR_UNAVAILABLE when the
 * database cannot take a write for now, else ERR_INTERNAL); the connection's handle. */
sqlite3_stmt *sqlite_stmt(struct store_conn *c, const char *sql);
void sqlite_done(sqlite3_stmt *st);
enum err sqlite_fail(struct store_conn *c, sqlite3_stmt *st, const char *what);
sqlite3 *sqlite_db(struct store_conn *c);
/* A put by id, atomic under concurrent writers: insert_sql (an INSERT ... ON
 * CONFLICT DO NOTHING) and, when the row exists, update_sql, both bound by
 * bind; *created says whether the insert added it. */
enum err sqlite_put(struct store_conn *c, const char *insert_sql, const char *update_sql,
                    void (*bind)(sqlite3_stmt *st, const void *row), const void *row, bool *created);

enum err sqlite_renewal_get(struct store_conn *c, const char *id, struct renewal_item *out);
enum err sqlite_renewal_put(struct store_conn *c, const struct renewal_item *it, bool *created);
enum err sqlite_renewal_delete(struct store_conn *c, const char *id);
enum err sqlite_renewal_list(struct store_conn *c, const char *customer_id, const char *after_id, int limit,
                             struct renewal_item **out, int *n);
enum err sqlite_renewal_due(struct store_conn *c, const char *today, const char *after_due, const char *after_id,
                            int limit, char ***ids, char ***dues, int *n);
enum err sqlite_renewal_set_next_due(struct store_conn *c, const char *id, const char *next_due);
enum err sqlite_renewal_reset_next_due(struct store_conn *c, int max_days_before);
enum err sqlite_renewal_acted_min(struct store_conn *c, const char *id, const char *expires_on, int *acted_min);
enum err sqlite_renewal_action_insert(struct store_conn *c, const char *id, const char *expires_on, int days_before,
                                      const char *action, const char *task_id, int64_t at);
enum err sqlite_renewal_latest_task(struct store_conn *c, const char *renewal_id, char task_id[TASK_ID_SIZE]);
enum err sqlite_renewal_policy_get(struct store_conn *c, struct renewal_policy *out);
enum err sqlite_renewal_policy_put(struct store_conn *c, const struct renewal_policy *p, int64_t now);

#endif
