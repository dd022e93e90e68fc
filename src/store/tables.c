/* tables.c: the list of every table and column of opstasks' schema (see
 * tables.h). A migration that adds a table or a column adds it here too:
 * `opstasks check` fails ("tables") and `opstasks copy` refuses until it
 * does, and tests/api/test_copy.py runs that check on both backends. */
#include "store/tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct store_column staff_cols[] = {
    {"id", COL_TEXT}, {"name", COL_TEXT}, {"email", COL_TEXT},
    {"active", COL_INT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
    {"role", COL_TEXT}, {"password_hash", COL_TEXT}, {"password_changed_at", COL_INT}, {"last_login_at", COL_INT},
};
static const struct store_column customers_cols[] = {
    {"id", COL_TEXT}, {"name", COL_TEXT}, {"email", COL_TEXT},
    {"owner_id", COL_TEXT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
};
static const struct store_column tasks_cols[] = {
    {"id", COL_TEXT}, {"title", COL_TEXT}, {"description", COL_TEXT}, {"prio", COL_INT},
    {"status", COL_TEXT}, {"overdue_recorded", COL_INT}, {"due_date", COL_TEXT}, {"sla_hours", COL_REAL},
    {"sla_due_at", COL_INT}, {"assignee_id", COL_TEXT}, {"user_id", COL_TEXT}, {"source", COL_TEXT},
    {"created_at", COL_INT}, {"updated_at", COL_INT}, {"started_at", COL_INT}, {"completed_at", COL_INT},
    {"cancelled_at", COL_INT}, {"version", COL_INT}, {"sla_breach_recorded", COL_INT}, {"sla_risk_at", COL_INT},
    {"renewal_id", COL_TEXT}, {"rule_id", COL_TEXT}, {"event_id", COL_TEXT}, {"rule_depth", COL_INT},
    {"comment_count", COL_INT},
    /* SLA clocks (migration 017) */
    {"sla_started_at", COL_INT}, {"sla_paused_at", COL_INT}, {"sla_paused_ms", COL_INT},
    {"sla_risk_recorded", COL_INT}, {"sla_by_policy", COL_INT},
};
static const struct store_column task_comments_cols[] = {
    {"id", COL_TEXT}, {"task_id", COL_TEXT}, {"author", COL_TEXT}, {"body", COL_TEXT},
    {"mentions", COL_TEXT}, {"created_at", COL_INT}, {"seq", COL_INT},
};
static const struct store_column task_history_cols[] = {
    {"seq", COL_INT}, {"task_id", COL_TEXT}, {"at", COL_INT}, {"actor", COL_TEXT},
    {"type", COL_TEXT}, {"field", COL_TEXT}, {"from_json", COL_TEXT}, {"to_json", COL_TEXT},
};
static const struct store_column tokens_cols[] = {
    {"id", COL_TEXT}, {"hash", COL_BINARY}, {"role", COL_TEXT},
    {"staff_id", COL_TEXT}, {"name", COL_TEXT}, {"created_at", COL_INT},
    {"expires_at", COL_INT}, {"last_used_at", COL_INT}, {"revoked_at", COL_INT}, {"created_by", COL_TEXT},
};
static const struct store_column sessions_cols[] = {
    {"hash", COL_BINARY}, {"token_id", COL_TEXT}, {"created_at", COL_INT}, {"expires_at", COL_INT},
    {"id", COL_TEXT}, {"staff_id", COL_TEXT}, {"last_seen_at", COL_INT}, {"user_agent", COL_TEXT},
    {"client", COL_TEXT},
};
static const struct store_column invites_cols[] = {
    {"hash", COL_BINARY}, {"staff_id", COL_TEXT}, {"created_at", COL_INT}, {"expires_at", COL_INT},
    {"created_by", COL_TEXT},
};
static const struct store_column login_failures_cols[] = {
    {"seq", COL_INT}, {"key", COL_TEXT}, {"at", COL_INT},
};
static const struct store_column audit_log_cols[] = {
    {"id", COL_TEXT}, {"at", COL_INT}, {"type", COL_TEXT}, {"actor", COL_TEXT}, {"client", COL_TEXT},
    {"details", COL_TEXT},
};
static const struct store_column idempotency_keys_cols[] = {
    {"scope", COL_TEXT}, {"key", COL_TEXT}, {"body_hash", COL_BINARY}, {"status", COL_INT},
    {"response", COL_TEXT}, {"created_at", COL_INT}, {"task_id", COL_TEXT}, {"task_version", COL_INT},
};
static const struct store_column sla_calendar_cols[] = {
    {"id", COL_INT}, {"body", COL_TEXT}, {"updated_at", COL_INT}, {"recompute_after", COL_TEXT},
};
static const struct store_column sla_policy_cols[] = {
    {"id", COL_INT}, {"urgent", COL_REAL}, {"high", COL_REAL}, {"medium", COL_REAL}, {"low", COL_REAL},
    {"updated_at", COL_INT},
};
static const struct store_column renewal_items_cols[] = {
    {"id", COL_TEXT}, {"customer_id", COL_TEXT}, {"kind", COL_TEXT}, {"expires_on", COL_TEXT},
    {"assignee_id", COL_TEXT}, {"next_due", COL_TEXT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
};
static const struct store_column renewal_policy_cols[] = {
    {"id", COL_INT}, {"title", COL_TEXT}, {"updated_at", COL_INT},
};
static const struct store_column renewal_thresholds_cols[] = {
    {"days_before", COL_INT}, {"priority", COL_TEXT}, {"due_in_days", COL_INT}, {"sla_hours", COL_REAL},
};
static const struct store_column renewal_actions_cols[] = {
    {"renewal_id", COL_TEXT}, {"expires_on", COL_TEXT}, {"days_before", COL_INT},
    {"action", COL_TEXT}, {"task_id", COL_TEXT}, {"at", COL_INT},
};
static const struct store_column rules_cols[] = {
    {"id", COL_TEXT}, {"event_type", COL_TEXT}, {"enabled", COL_INT}, {"definition", COL_TEXT},
    {"rr_next", COL_INT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
};
static const struct store_column events_cols[] = {
    {"seq", COL_INT}, {"id", COL_TEXT}, {"type", COL_TEXT}, {"user_id", COL_TEXT}, {"occurred_at", COL_INT},
    {"received_at", COL_INT}, {"origin", COL_TEXT}, {"depth", COL_INT}, {"data", COL_TEXT}, {"outcome", COL_TEXT},
};
static const struct store_column job_leases_cols[] = {
    {"name", COL_TEXT}, {"owner", COL_TEXT}, {"expires_at", COL_INT},
};
static const struct store_column task_counts_cols[] = {
    {"status", COL_TEXT}, {"prio", COL_INT}, {"due_date", COL_TEXT}, {"n", COL_INT},
};
static const struct store_column views_cols[] = {
    {"id", COL_TEXT}, {"owner", COL_TEXT}, {"name", COL_TEXT}, {"query", COL_TEXT},
    {"shared", COL_INT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
};
/* webhooks (migration 018 / pg 011) */
static const struct store_column webhooks_cols[] = {
    {"id", COL_TEXT}, {"url", COL_TEXT}, {"events", COL_TEXT}, {"event_mask", COL_INT},
    {"secret", COL_TEXT}, {"active", COL_INT}, {"created_at", COL_INT}, {"updated_at", COL_INT},
};
static const struct store_column webhook_deliveries_cols[] = {
    {"seq", COL_INT}, {"id", COL_TEXT}, {"webhook_id", COL_TEXT}, {"task_id", COL_TEXT},
    {"event_type", COL_TEXT}, {"occurred_at", COL_INT}, {"data", COL_TEXT}, {"state", COL_TEXT},
    {"created_at", COL_INT}, {"first_try_at", COL_INT}, {"next_at", COL_INT}, {"tries", COL_INT},
    {"lease_owner", COL_TEXT}, {"lease_until", COL_INT},
};
static const struct store_column webhook_attempts_cols[] = {
    {"delivery_id", COL_TEXT}, {"n", COL_INT}, {"at", COL_INT}, {"status_code", COL_INT},
    {"ms", COL_INT}, {"response", COL_TEXT},
};
static const struct store_column metric_counters_cols[] = {
    {"name", COL_TEXT}, {"n", COL_INT},
};
/* ---- notifications ---- */
static const struct store_column notifications_cols[] = {
    {"id", COL_TEXT}, {"staff_id", COL_TEXT}, {"type", COL_TEXT}, {"task_id", COL_TEXT}, {"actor", COL_TEXT},
    {"created_at", COL_INT}, {"read_at", COL_INT}, {"email_state", COL_TEXT}, {"email_attempts", COL_INT},
    {"email_next_at", COL_INT}, {"email_lease_owner", COL_TEXT}, {"email_lease_until", COL_INT},
};
static const struct store_column notification_digests_cols[] = {
    {"staff_id", COL_TEXT}, {"day", COL_TEXT}, {"created_at", COL_INT}, {"email_state", COL_TEXT},
    {"email_attempts", COL_INT}, {"email_next_at", COL_INT}, {"email_lease_owner", COL_TEXT},
    {"email_lease_until", COL_INT},
};
static const struct store_column notification_settings_cols[] = {
    {"staff_id", COL_TEXT}, {"assigned", COL_INT}, {"mentioned", COL_INT}, {"sla_at_risk", COL_INT},
    {"daily_digest", COL_INT}, {"updated_at", COL_INT},
};

#define T(name, key, nkey, serial, replace, seeded) {#name, name##_cols, N(name##_cols), key, nkey, serial, replace, seeded}
#define K(...) {__VA_ARGS__}

/* Order: staff before customers (owner_id), both before tasks and renewal
 * items, tokens before sessions (and staff before sessions and invites). task_counts and metric_counters come last:
 * the triggers fill them as tasks and history arrive, and the copy then
 * replaces what they made with the source's own totals. */
const struct store_table store_tables[] = {
    T(staff, K(0), 1, -1, false, NULL),
    T(customers, K(0), 1, -1, false, NULL),
    T(tasks, K(0), 1, -1, false, NULL),
    T(task_comments, K(0), 1, 6, false, NULL),
    T(task_history, K(0), 1, 0, false, NULL),
    T(tokens, K(0), 1, -1, false, NULL),
    T(sessions, K(0), 1, -1, false, NULL),
    T(invites, K(0), 1, -1, false, NULL),
    T(login_failures, K(0), 1, 0, false, NULL),
    T(audit_log, K(0), 1, -1, false, NULL),
    T(idempotency_keys, K(0, 1), 2, -1, false, NULL),
    T(sla_calendar, K(0), 1, -1, false, NULL),
    T(sla_policy, K(0), 1, -1, false, NULL),
    T(renewal_items, K(0), 1, -1, false, NULL),
    /* SQLite's migration 005 installs the default policy (updated_at 0) and
     * its thresholds; a put of the policy stamps updated_at */
    T(renewal_policy, K(0), 1, -1, true, "updated_at = 0"),
    T(renewal_thresholds, K(0), 1, -1, true,
      "NOT EXISTS (SELECT 1 FROM renewal_policy WHERE updated_at <> 0)"),
    T(renewal_actions, K(0, 1, 2), 3, -1, false, NULL),
    /* SQLite's migration 006 installs one editable rule */
    T(rules, K(0), 1, -1, true, "id = 'rul_default_rejected_document' AND updated_at = created_at"),
    T(events, K(0), 1, 0, false, NULL),
    T(job_leases, K(0), 1, -1, false, NULL),
    T(views, K(0), 1, -1, false, NULL),
    /* notifications */
    T(notifications, K(0), 1, -1, false, NULL),
    T(notification_digests, K(0, 1), 2, -1, false, NULL),
    T(notification_settings, K(0), 1, -1, false, NULL),
    /* webhooks, their outbox (numbered by seq) and each try */
    T(webhooks, K(0), 1, -1, false, NULL),
    T(webhook_deliveries, K(0), 1, 0, false, NULL),
    T(webhook_attempts, K(0, 1), 2, -1, false, NULL),
    T(task_counts, K(0, 1, 2), 3, -1, true, NULL),
    /* SQLite's migration 004 counts the tasks there were: zeros on a new database */
    T(metric_counters, K(0), 1, -1, true, "n = 0"),
};
const int store_tables_count = N(store_tables);

/* the schema's own bookkeeping, and the data versions (counters the
 * answers' cache reads, not data: any write moves them on) */
bool store_table_is_schema(const char *name)
{
    return strcmp(name, "schema_migrations") == 0 || strcmp(name, "data_version") == 0 ||
           strcmp(name, "data_version_parts") == 0;
}

void store_rows_free(struct store_rows *r)
{
    if (!r->v) return;
    for (int i = 0; i < r->n * r->ncols; i++) free(r->v[i]);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_why(char *why, size_t len, int *told, const char *fmt, const char *what)
{
    size_t used = strlen(why);
    if (*told == 3) snprintf(why + used, len - used, "; ...");
    else if (*told < 3) snprintf(why + used, len - used, fmt, used ? "; " : "", what);
    (*told)++;
}

bool store_tables_match(char **names, int n, char *why, size_t len)
{
    int total = 0;
    for (int t = 0; t < store_tables_count; t++) total += store_tables[t].ncols;
    char **listed = calloc((size_t)total + 1, sizeof *listed);
    char **real = calloc((size_t)n + 1, sizeof *real);
    why[0] = 0;
    if (!listed || !real) {
        free(listed);
        free(real);
        snprintf(why, len, "out of memory");
        return false;
    }
    int k = 0;
    for (int t = 0; t < store_tables_count; t++)
        for (int i = 0; i < store_tables[t].ncols; i++) {
            size_t sz = strlen(store_tables[t].name) + strlen(store_tables[t].cols[i].name) + 2;
            listed[k] = malloc(sz);
            if (listed[k]) snprintf(listed[k], sz, "%s.%s", store_tables[t].name, store_tables[t].cols[i].name);
            else listed[k] = strdup("");
            k++;
        }
    memcpy(real, names, (size_t)n * sizeof *real);
    qsort(listed, (size_t)total, sizeof *listed, cmp_str);
    qsort(real, (size_t)n, sizeof *real, cmp_str);
    int told = 0, a = 0, b = 0;
    while (a < total || b < n) {
        int c = a == total ? 1 : b == n ? -1 : strcmp(listed[a], real[b]);
        if (c == 0) {
            a++;
            b++;
        } else if (c < 0) {
            add_why(why, len, &told, "%s%s is in the table list (src/store/tables.c) but not in the database",
                    listed[a++]);
        } else {
            add_why(why, len, &told, "%s%s is in the database but not in the table list (src/store/tables.c): a "
                    "copy would leave it behind", real[b++]);
        }
    }
    for (int i = 0; i < total; i++) free(listed[i]);
    free(listed);
    free(real);
    return told == 0;
}

void store_check_init(struct check_result out[CHECK__COUNT])
{
    static const char *const names[CHECK__COUNT] = {"integrity", "foreign keys", "schema", "stats totals", "tables"};
    for (int i = 0; i < CHECK__COUNT; i++) {
        out[i].name = names[i];
        out[i].ok = false;
        out[i].skipped = false;
        out[i].detail[0] = 0;
    }
}
