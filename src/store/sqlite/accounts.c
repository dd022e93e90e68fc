/* accounts.c (sqlite): staff accounts: sign-in by email, passwords, invitations,
 * the token lifecycle, sessions of staff, failed sign-ins and the audit log.
 * (Being written: each op answers ERR_INTERNAL until it is.) */
#include "store/sqlite/internal.h"

enum err sqlite_staff_login_find(struct store_conn *c, const char *email_lower, struct staff_login *out, int *matches)
{
    (void)c;
    (void)email_lower;
    (void)out;
    (void)matches;
    return ERR_INTERNAL;
}

enum err sqlite_staff_email_taken(struct store_conn *c, const char *email_lower, const char *except_id, bool *taken)
{
    (void)c;
    (void)email_lower;
    (void)except_id;
    (void)taken;
    return ERR_INTERNAL;
}

enum err sqlite_staff_password_get(struct store_conn *c, const char *staff_id, char *hash)
{
    (void)c;
    (void)staff_id;
    (void)hash;
    return ERR_INTERNAL;
}

enum err sqlite_staff_password_set(struct store_conn *c, const char *staff_id, const char *hash, int64_t now)
{
    (void)c;
    (void)staff_id;
    (void)hash;
    (void)now;
    return ERR_INTERNAL;
}

enum err sqlite_staff_login_touch(struct store_conn *c, const char *staff_id, int64_t now)
{
    (void)c;
    (void)staff_id;
    (void)now;
    return ERR_INTERNAL;
}

enum err sqlite_invite_put(struct store_conn *c, const char *staff_id, const unsigned char hash[32], int64_t now, int64_t expires_at, const char *created_by)
{
    (void)c;
    (void)staff_id;
    (void)hash;
    (void)now;
    (void)expires_at;
    (void)created_by;
    return ERR_INTERNAL;
}

enum err sqlite_invite_find(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    (void)c;
    (void)hash;
    (void)now;
    (void)staff_id;
    return ERR_INTERNAL;
}

enum err sqlite_invite_take(struct store_conn *c, const unsigned char hash[32], int64_t now, char *staff_id)
{
    (void)c;
    (void)hash;
    (void)now;
    (void)staff_id;
    return ERR_INTERNAL;
}

enum err sqlite_invite_purge(struct store_conn *c, int64_t now, int limit, int64_t *purged)
{
    (void)c;
    (void)now;
    (void)limit;
    (void)purged;
    return ERR_INTERNAL;
}

enum err sqlite_token_get(struct store_conn *c, const char *id, struct token *out)
{
    (void)c;
    (void)id;
    (void)out;
    return ERR_INTERNAL;
}

enum err sqlite_token_list(struct store_conn *c, const char *staff_id, const char *after_id, int limit, struct token **out, int *n)
{
    (void)c;
    (void)staff_id;
    (void)after_id;
    (void)limit;
    (void)out;
    (void)n;
    return ERR_INTERNAL;
}

enum err sqlite_token_revoke(struct store_conn *c, const char *id, int64_t now)
{
    (void)c;
    (void)id;
    (void)now;
    return ERR_INTERNAL;
}

enum err sqlite_token_touch(struct store_conn *c, const char *id, int64_t now)
{
    (void)c;
    (void)id;
    (void)now;
    return ERR_INTERNAL;
}

enum err sqlite_session_end(struct store_conn *c, const char *id, const char *staff_id, const char *token_id)
{
    (void)c;
    (void)id;
    (void)staff_id;
    (void)token_id;
    return ERR_INTERNAL;
}

enum err sqlite_session_end_all(struct store_conn *c, const char *staff_id, const char *except_id, int64_t *ended)
{
    (void)c;
    (void)staff_id;
    (void)except_id;
    (void)ended;
    return ERR_INTERNAL;
}

enum err sqlite_session_list(struct store_conn *c, const char *staff_id, const char *token_id, int64_t now_ms, int limit, struct session_row **out, int *n)
{
    (void)c;
    (void)staff_id;
    (void)token_id;
    (void)now_ms;
    (void)limit;
    (void)out;
    (void)n;
    return ERR_INTERNAL;
}

enum err sqlite_session_touch(struct store_conn *c, const char *id, int64_t now)
{
    (void)c;
    (void)id;
    (void)now;
    return ERR_INTERNAL;
}

enum err sqlite_login_failure_add(struct store_conn *c, const char *key, int64_t at)
{
    (void)c;
    (void)key;
    (void)at;
    return ERR_INTERNAL;
}

enum err sqlite_login_failure_times(struct store_conn *c, const char *key, int64_t since, int max, int64_t *times, int *n)
{
    (void)c;
    (void)key;
    (void)since;
    (void)max;
    (void)times;
    (void)n;
    return ERR_INTERNAL;
}

enum err sqlite_login_failure_clear(struct store_conn *c, const char *key)
{
    (void)c;
    (void)key;
    return ERR_INTERNAL;
}

enum err sqlite_login_failure_purge(struct store_conn *c, int64_t before, int limit, int64_t *purged)
{
    (void)c;
    (void)before;
    (void)limit;
    (void)purged;
    return ERR_INTERNAL;
}

enum err sqlite_audit_add(struct store_conn *c, const struct audit_row *a)
{
    (void)c;
    (void)a;
    return ERR_INTERNAL;
}

enum err sqlite_audit_list(struct store_conn *c, const struct audit_query *q, struct audit_row **out, int *n)
{
    (void)c;
    (void)q;
    (void)out;
    (void)n;
    return ERR_INTERNAL;
}
