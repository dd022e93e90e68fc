/* people.c (pg): staff, customers, API tokens, browser sessions and idempotency keys. The same contracts as the SQLite backend's
 * people.c (store/ops.h says each op's). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/internal.h"
#include "util/log.h"

enum err pg_staff_get(struct store_conn *c, const char *id, struct staff *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: staff_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_staff_put(struct store_conn *c, const struct staff *st, bool *created)
{
    (void)c;
    (void)st;
    (void)created;
    log_error("pg: staff_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_staff_list(struct store_conn *c, const char *after_id, int limit, struct staff **out,          int *n)
{
    (void)c;
    (void)after_id;
    (void)limit;
    (void)out;
    (void)n;
    log_error("pg: staff_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_customer_get(struct store_conn *c, const char *id, struct customer *out)
{
    (void)c;
    (void)id;
    (void)out;
    log_error("pg: customer_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_customer_put(struct store_conn *c, const struct customer *cu, bool *created)
{
    (void)c;
    (void)cu;
    (void)created;
    log_error("pg: customer_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_customer_list(struct store_conn *c, const char *after_id, int limit, struct customer **out,          int *n)
{
    (void)c;
    (void)after_id;
    (void)limit;
    (void)out;
    (void)n;
    log_error("pg: customer_list is not written yet");
    return ERR_INTERNAL;
}

enum err pg_token_insert(struct store_conn *c, const struct token *t, const unsigned char hash[32],          int64_t now)
{
    (void)c;
    (void)t;
    (void)hash;
    (void)now;
    log_error("pg: token_insert is not written yet");
    return ERR_INTERNAL;
}

enum err pg_token_find(struct store_conn *c, const unsigned char hash[32], struct token *out)
{
    (void)c;
    (void)hash;
    (void)out;
    log_error("pg: token_find is not written yet");
    return ERR_INTERNAL;
}

enum err pg_token_count(struct store_conn *c, int64_t *n)
{
    (void)c;
    (void)n;
    log_error("pg: token_count is not written yet");
    return ERR_INTERNAL;
}

enum err pg_session_insert(struct store_conn *c, const unsigned char hash[32], const char *token_id,          int64_t now_ms, int64_t expires_ms)
{
    (void)c;
    (void)hash;
    (void)token_id;
    (void)now_ms;
    (void)expires_ms;
    log_error("pg: session_insert is not written yet");
    return ERR_INTERNAL;
}

enum err pg_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now_ms,          struct token *out)
{
    (void)c;
    (void)hash;
    (void)now_ms;
    (void)out;
    log_error("pg: session_find is not written yet");
    return ERR_INTERNAL;
}

enum err pg_session_delete(struct store_conn *c, const unsigned char hash[32])
{
    (void)c;
    (void)hash;
    log_error("pg: session_delete is not written yet");
    return ERR_INTERNAL;
}

enum err pg_session_purge(struct store_conn *c, int64_t now_ms, int limit, int64_t *purged)
{
    (void)c;
    (void)now_ms;
    (void)limit;
    (void)purged;
    log_error("pg: session_purge is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_get(struct store_conn *c, const char *scope, const char *key, unsigned char hash[32],          int *status, char **response)
{
    (void)c;
    (void)scope;
    (void)key;
    (void)hash;
    (void)status;
    (void)response;
    log_error("pg: idem_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_claim(struct store_conn *c, const char *scope, const char *key,          const unsigned char hash[32], int64_t now, unsigned char stored[32], int *status, char **response)
{
    (void)c;
    (void)scope;
    (void)key;
    (void)hash;
    (void)now;
    (void)stored;
    (void)status;
    (void)response;
    log_error("pg: idem_claim is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_put(struct store_conn *c, const char *scope, const char *key,          const unsigned char hash[32], int status, const char *response, int64_t now)
{
    (void)c;
    (void)scope;
    (void)key;
    (void)hash;
    (void)status;
    (void)response;
    (void)now;
    log_error("pg: idem_put is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_task_set(struct store_conn *c, const char *scope, const char *key,          const char *task_id, int64_t version)
{
    (void)c;
    (void)scope;
    (void)key;
    (void)task_id;
    (void)version;
    log_error("pg: idem_task_set is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_task_get(struct store_conn *c, const char *scope, const char *key,          char task_id[TASK_ID_SIZE], int64_t *version)
{
    (void)c;
    (void)scope;
    (void)key;
    (void)task_id;
    (void)version;
    log_error("pg: idem_task_get is not written yet");
    return ERR_INTERNAL;
}

enum err pg_idem_purge(struct store_conn *c, int64_t older_than_ms, int64_t *purged)
{
    (void)c;
    (void)older_than_ms;
    (void)purged;
    log_error("pg: idem_purge is not written yet");
    return ERR_INTERNAL;
}
