/* records.h: the rows the store reads and writes besides struct task
 * (domain/task.h): staff, customers, tokens, history, rules and events, the
 * queue's queries and pages, SLA rows and metrics; and the helpers that free
 * what an op handed the caller (records.c). No backend's types appear here. */
#ifndef OPSTASKS_STORE_RECORDS_H
#define OPSTASKS_STORE_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/renewal.h"
#include "domain/task.h"
#include "domain/text.h"

/* ---- records besides tasks -------------------------------------------- */

enum token_role { ROLE_ADMIN, ROLE_AGENT };

/* A staff member. role, has_password, last_login_at and invite_expires_at
 * are read by staff_get/staff_list; staff_put writes role only when
 * role_set (a new member without it is an agent), and never the others. */
struct staff {
    char id[EXT_ID_SIZE];
    char *name, *email;  /* owned; email may be NULL */
    bool active;
    enum token_role role;
    bool role_set;
    bool has_password;
    int64_t last_login_at;      /* 0: never signed in with a password */
    int64_t invite_expires_at;  /* 0: no unused invite */
    int64_t created_at, updated_at;
};

/* What sign-in by email needs of a staff member (staff_login_find). */
#define STORE_PASSWORD_HASH_SIZE 128  /* crypto_pwhash_STRBYTES */
struct staff_login {
    char staff_id[EXT_ID_SIZE];
    enum token_role role;
    char email[256];
    char password_hash[STORE_PASSWORD_HASH_SIZE];  /* "" when none */
};

struct customer {
    char id[EXT_ID_SIZE];
    char *name, *email;  /* owned; email may be NULL */
    char owner_id[EXT_ID_SIZE];  /* "" when none */
    int64_t created_at, updated_at;
};

/* Who a request acts as. For an API token (or a session signed in with
 * one): the token's row. For a session signed in with a password: id is ""
 * and staff_id, role and name are the staff member's. session_id is the
 * session's public id ("" for a bearer token). */
struct token {
    char id[TASK_ID_SIZE];
    enum token_role role;
    char staff_id[EXT_ID_SIZE];  /* "" when not tied to a staff member */
    char name[128];
    int64_t created_at;
    int64_t expires_at;    /* 0: never */
    int64_t last_used_at;  /* 0: never; kept within a minute */
    int64_t revoked_at;    /* 0: live */
    char session_id[TASK_ID_SIZE];
    int64_t session_last_seen_at;
};

/* A browser session. Exactly one of token_id and staff_id is set: the
 * token it was signed in with, or the staff member who gave a password. */
struct session_row {
    char id[TASK_ID_SIZE];  /* "ses_" + time-ordered id */
    unsigned char hash[32];
    char token_id[TASK_ID_SIZE];
    char staff_id[EXT_ID_SIZE];
    int64_t created_at, expires_at, last_seen_at;
    char user_agent[256];
    char client[64];
};

/* One row of the audit log. actor and client "" store NULL. details is a
 * JSON object's text (owned when read back; audit_add only reads it). */
struct audit_row {
    char id[TASK_ID_SIZE];  /* "aud_" + time-ordered id */
    int64_t at;
    char type[48];
    char actor[96];
    char client[64];
    char *details;
};

/* Newest first (by id). "" and 0 are off. type matches exactly, or, when
 * type_prefix, also every type that is it followed by a dot and more
 * ("login": login, login.succeeded, login.failed; not logout). from/to bound at (ms,
 * inclusive from, exclusive to); before_id is the cursor (the last id of
 * the previous page). */
struct audit_query {
    char type[48];
    bool type_prefix;
    char actor[96];
    int64_t from, to;
    char before_id[TASK_ID_SIZE];
    int limit;
};

/* One line of a task's history. from/to are JSON texts ("null" allowed). */
struct history_entry {
    int64_t at;
    char actor[96];
    char type[24];   /* created | field_changed | status_changed */
    char field[24];  /* "" for created */
    char *from_json, *to_json;  /* owned */
};

/* A comment on a task (comment_add, comment_list). mentions is the JSON
 * array text of the staff ids it mentions ("[]" for none). */
struct task_comment {
    char id[TASK_ID_SIZE];  /* "cmt_" + 26 */
    char task_id[TASK_ID_SIZE];
    char author[96];        /* a staff id, or token:ID */
    char *body, *mentions;  /* owned */
    int64_t created_at;
};

/* A saved view of the queue (view_*): query is a GET /ops/tasks query
 * string; owner the actor who made it (a staff id, or token:ID). */
#define VIEW_NAME_SIZE 401   /* 100 code points of UTF-8 + NUL */
#define VIEW_QUERY_SIZE 2001 /* HTTP_PAIRS_TEXT_MAX + NUL */
struct view_row {
    char id[EXT_ID_SIZE];
    char owner[96];
    char name[VIEW_NAME_SIZE];
    char query[VIEW_QUERY_SIZE];
    bool shared;
    int64_t created_at, updated_at;
};

/* One change of the live feed (feed_read, GET /ops/stream): a task_history
 * row (kind 'h': its seq, type and field) or a comment (kind 'c': its seq
 * and id), with the task's version as of the read (0: no such task). */
struct feed_change {
    char kind;
    int64_t seq;
    char task_id[TASK_ID_SIZE];
    char type[24];   /* the history row's type; "" for a comment */
    char field[24];  /* the history row's field ("" for created), or "" */
    char comment_id[TASK_ID_SIZE];
    char actor[96];
    int64_t at, version;
};

/* ---- workflow rules: rule and event rows ------------------------ */

#define STORE_EVENT_TYPE_SIZE 129  /* EVENT_TYPE_MAX (domain/rule.h) + NUL */

struct rule_row {
    char id[EXT_ID_SIZE];
    char *definition;  /* owned: the rule as JSON text */
    int64_t rr_next, created_at, updated_at;
};

struct event_row {
    int64_t seq;
    char id[EXT_ID_SIZE];
    char type[STORE_EVENT_TYPE_SIZE];
    char user_id[EXT_ID_SIZE];  /* "" when none */
    int64_t occurred_at, received_at;
    bool from_service;          /* origin: the service's own event, not POSTed */
    int depth;
    char *data;                 /* owned JSON text */
    char *outcome;              /* owned JSON text: the answer POST gave */
};

/* Newest first; "" filters are off; before_seq 0 starts at the newest. */
struct event_query {
    char type[STORE_EVENT_TYPE_SIZE];
    char user_id[EXT_ID_SIZE];
    int64_t before_seq;
    int limit;
};

/* ---- queue queries ------------------------------------------------------ */

enum task_sort { SORT_DUE_DATE, SORT_DUE_DATE_DESC, SORT_PRIORITY, SORT_CREATED_AT, SORT_CREATED_AT_DESC,
                 /* search and the page's views: relevance only with q (best rank first, then the
                  * newest search document: a task's document is made with the task and keeps its
                  * place when rewritten; a rebuild makes them again in id order);
                  * sla_due_at soonest first, no SLA last, then due date, then id; -updated_at newest
                  * change first, then id descending */
                 SORT_RELEVANCE, SORT_SLA_DUE_AT, SORT_UPDATED_AT_DESC };

/* sla_state: any of these bits matches (task_filter.sla_state_mask). met:
 * completed by its deadline; at_risk: active, deadline ahead, 80% of its
 * time gone; breached: completed after it or active past it; none: no SLA.
 * A cancelled task with an SLA is none of them (as in the SLA report). */
enum { SLA_STATE_MET = 1, SLA_STATE_AT_RISK = 2, SLA_STATE_BREACHED = 4, SLA_STATE_NONE = 8, SLA_STATE_PAUSED = 16 };

#define FILTER_MAX_ASSIGNEES 32

struct task_filter {
    unsigned status_mask;    /* bit (1u << effective status); 0 = any */
    unsigned priority_mask;  /* bit (1u << priority); 0 = any */
    int n_assignees;
    char assignees[FILTER_MAX_ASSIGNEES][EXT_ID_SIZE];
    bool assignee_none;      /* include unassigned */
    char user_id[EXT_ID_SIZE];
    char due_from[DATE_SIZE], due_to[DATE_SIZE];  /* "" = open-ended */
    /* SLA tracking: sla_breached=true|false, sla_at_risk=true,
     * judged at now_ms */
    enum { SLA_FILTER_ANY, SLA_FILTER_NOT_BREACHED, SLA_FILTER_BREACHED } sla_breached;
    bool sla_at_risk;
    int64_t now_ms;
    char renewal_id[EXT_ID_SIZE];  /* renewals: "" = any */
    /* search: every word (normalised, domain/text.h) a prefix of a word of
     * the task's title, description, customer's name or comments; n 0 = off */
    struct text_words q;
    unsigned source_mask;                        /* bit (1u << source); 0 = any */
    int64_t completed_from_ms, completed_to_ms;  /* completed_at in [from, to); 0 = open-ended */
    unsigned sla_state_mask;                     /* SLA_STATE_* bits, judged at now_ms; 0 = any */
    /* SLA clocks: waiting_on_customer=true|false */
    enum { WAITING_ANY, WAITING_YES, WAITING_NO } waiting;
};

/* Keyset position: the sort keys of the last row of the previous page. */
struct task_cursor {
    bool set;
    char due_date[DATE_SIZE];
    int prio_rank;
    int64_t created_at;
    char id[TASK_ID_SIZE];
    int64_t rank;        /* SORT_RELEVANCE: the rank, 0..3 */
    int64_t doc_seq;     /* SORT_RELEVANCE: the place of the task's search document (task_page.last_doc_seq) */
    int64_t sla_key;     /* SORT_SLA_DUE_AT: sla_due_at, or TASK_SLA_KEY_NONE */
    int64_t updated_at;  /* SORT_UPDATED_AT_DESC */
};
/* the sla_due_at sort key of a task without an SLA: after every deadline */
#define TASK_SLA_KEY_NONE INT64_MAX

struct task_query {
    struct task_filter filter;
    enum task_sort sort;
    struct task_cursor after;
    int limit;
    char today[DATE_SIZE];  /* the server's today, for derived OVERDUE */
};

struct task_page {
    struct task *items;  /* owned: free with store_task_page_free */
    int n;
    bool has_more;
    int64_t last_rank;   /* SORT_RELEVANCE: the rank of items[n - 1] */
    int64_t last_doc_seq; /* SORT_RELEVANCE: and its document's place, newest first within a rank (1 or more) */
};

struct task_stats {
    int64_t counts[TASK_STATUS__COUNT];
    int64_t sla_breached_active;
    int64_t sla_at_risk_active;
};

/* ---- SLA reports and metrics ------------------------------------ */

/* One task of the SLA report: `key` is the grouping column's value ("" when
 * null; unused for day and week, which come from sla_due_at). */
struct sla_row {
    const char *key;
    const char *name;  /* the assignee's or customer's name ("" when none); NULL for the other groupings */
    enum task_status status;  /* stored work status */
    int64_t created_at, completed_at, sla_due_at;
    /* SLA clocks: the clock's start, the pause in progress (0: none), the
     * time paused by finished pauses */
    int64_t sla_started_at, sla_paused_at, sla_paused_ms;
};

/* A task's SLA inputs and stamped instants, for the calendar recompute. */
struct sla_stamp_row {
    char id[TASK_ID_SIZE];
    int64_t created_at, sla_due_at, sla_risk_at;
    double sla_hours;
    int64_t sla_started_at, sla_paused_ms;  /* SLA clocks: the start (created_at when never set) and paused time */
};

enum sla_group { SLA_GROUP_ASSIGNEE, SLA_GROUP_PRIORITY, SLA_GROUP_SOURCE, SLA_GROUP_CUSTOMER, SLA_GROUP_DAY,
                 SLA_GROUP_WEEK };

/* What GET /metrics reads from the database. Counters are monotonic totals
 * kept by triggers (migration 004). */
struct store_metrics {
    int64_t tasks[TASK_STATUS__COUNT][PRIORITY__COUNT];  /* OVERDUE derived */
    int64_t sla_breached_active;
    int64_t created[SOURCE__COUNT];
    int64_t completed, cancelled, overdue_transitions, sla_breaches;
};

/* ---- GET /ops/renewals: renewable items across customers ---- */

/* Filters ("" = any) and the keyset cursor, in (expires_on, id) order:
 * expires_after < expires_on < expires_before (both exclusive). */
struct renewal_query {
    char user_id[EXT_ID_SIZE];
    char kind[RENEWAL_KIND_MAX + 1];
    char expires_after[DATE_SIZE], expires_before[DATE_SIZE];
    char after_expires[DATE_SIZE], after_id[EXT_ID_SIZE];  /* the cursor; "" "" from the start */
    int limit;
};

/* One item with what the list shows beside it: its customer's name, the
 * smallest days_before acted on for its expiry date (RENEWAL_NONE_ACTED when
 * none) and its newest task (task_id "" when it has none). */
struct renewal_row {
    struct renewal_item item;
    char customer_name[RENEWAL_TITLE_SIZE];
    int acted_min;
    char task_id[TASK_ID_SIZE];
    enum task_status task_status;  /* the stored work status */
    char task_due[DATE_SIZE];
};

/* One action the renewals engine took for an item (a row of
 * renewal_actions): which expiry date and threshold, created or escalated,
 * and the task. */
struct renewal_action_row {
    char expires_on[DATE_SIZE];
    int days_before;
    char action[16];  /* "created" or "escalated" */
    char task_id[TASK_ID_SIZE];
    int64_t at;
};

/* Owned-record cleanup helpers. */
/* The stored statuses ("OPEN", "IN_PROGRESS", "COMPLETED", "CANCELLED") a
 * queue page is walked by, one ordered index walk each then merged, into
 * out; 0 when the page is better read in one query: a single status, a
 * search, the at-risk filter, or an order whose index is not led by the
 * status (both backends' task_list). */
int store_task_query_arms(const struct task_query *q, const char *out[4]);
/* Whether the stats over f can be summed from the task_counts totals (kept
 * per status, priority and due date): f filters by nothing else. */
bool store_task_filter_fits_totals(const struct task_filter *f);
/* Whether f filters by nothing at all (the stats bar): its SLA counts then
 * come from the active tasks' clock index alone (both backends' task_stats). */
bool store_task_filter_is_empty(const struct task_filter *f);
/* The parts of the tasks (migrations 023 and pg/015: by stored status and,
 * while active, due soon or later; and by a group of assignees) whose data
 * versions a read of f's statuses and assignees must watch, as a bit
 * (1 << part) each; 0 when f filters by neither, which reads the one data
 * version instead (ops.h data_version). */
uint64_t store_version_parts(const struct task_filter *f);
/* The one-row query of the data version of parts, for both backends: the
 * number, then how many counter rows it read. Each run of consecutive parts
 * is one range of the key, so that a read of a few statuses visits only
 * their rows. Returns the count the rows must come to: fewer means a
 * counter is missing, and a sum without it would never move. */
#define STORE_VERSION_SQL_MAX 2560
int store_version_sql(uint64_t parts, char out[STORE_VERSION_SQL_MAX]);
void store_task_page_free(struct task_page *p);
void store_history_free(struct history_entry *h, int n);
void store_comments_free(struct task_comment *a, int n);
void store_staff_clear(struct staff *st);
void store_customer_clear(struct customer *cu);
void store_audit_rows_free(struct audit_row *a, int n);
/* workflow rules */
void store_rule_rows_free(struct rule_row *r, int n);
void store_event_row_clear(struct event_row *ev);
void store_event_rows_free(struct event_row *ev, int n);

/* ---- notifications (service/notify.c, api/notifications.c, jobs/mailer.c) ---- */
#define NOTIFY_TYPE_SIZE 16
/* One in-app notification (a row of notifications): type "assigned",
 * "mentioned" or "sla_at_risk"; actor who made the change; read_at 0 while
 * unread; task_title (lists only) the task's title, "" when it is gone. */
struct notification_row {
    char id[TASK_ID_SIZE];  /* "ntf_" + 26 */
    char staff_id[EXT_ID_SIZE];
    char type[NOTIFY_TYPE_SIZE];
    char task_id[TASK_ID_SIZE];
    char actor[96];
    int64_t created_at, read_at;
    char task_title[4 * TASK_TITLE_MAX_CHARS + 1];
};
/* A member's switches (notification_settings; all on when never set). */
struct notification_settings {
    bool assigned, mentioned, sla_at_risk, daily_digest;
};
/* An email the mailer holds (mail_claim): a notification's (digest false:
 * id, type, task_id, actor) or a day's digest (digest true: day). */
struct mail_item {
    bool digest;
    char id[TASK_ID_SIZE];
    char staff_id[EXT_ID_SIZE];
    char type[NOTIFY_TYPE_SIZE];
    char task_id[TASK_ID_SIZE];
    char actor[96];
    char day[DATE_SIZE];
    int attempts;  /* tries before this one */
    int64_t created_at;
};
/* A task a digest lists (digest_tasks). */
struct digest_task {
    char id[TASK_ID_SIZE];
    char title[4 * TASK_TITLE_MAX_CHARS + 1];
    char due_date[DATE_SIZE];
};
/* ---- webhooks (store/sqlite/webhooks.c, store/pg/webhooks.c) ---- */
#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_SECRET_MAX 512
#define WEBHOOK_EVENTS_SIZE 512 /* the events array as JSON text */
#define WEBHOOK_DELIVERY_ID_SIZE 32 /* "dlv_" + 26 + NUL, with room */
#define WEBHOOK_EVENT_TYPE_SIZE 32
#define WEBHOOK_RESPONSE_MAX 1024 /* bytes of an answer kept with its attempt */
#define WEBHOOK_OWNER_SIZE 64
struct webhook_row {
    char id[EXT_ID_SIZE];
    char url[WEBHOOK_URL_MAX + 1];
    char events[WEBHOOK_EVENTS_SIZE];
    int64_t event_mask; /* bit 1 << announce type for each of events */
    char secret[WEBHOOK_SECRET_MAX + 1];
    bool active;
    int64_t created_at, updated_at;
};
/* A delivery as GET /ops/webhooks/{id}/deliveries lists it. */
struct webhook_delivery {
    int64_t seq;
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    char webhook_id[EXT_ID_SIZE];
    char task_id[TASK_ID_SIZE];
    char event_type[WEBHOOK_EVENT_TYPE_SIZE];
    char state[12]; /* pending, delivered, failed */
    int64_t occurred_at, created_at, next_at;
    int tries;
};
struct webhook_attempt {
    int n;
    int64_t at;
    int status_code; /* 0: no answer (a network error, a refused address) */
    int64_t ms;
    char response[WEBHOOK_RESPONSE_MAX + 1];
};
/* A delivery the sender claimed, with what sending it needs; data owned
 * (store_webhook_claims_free). lease_owner is the claim's own token. */
struct webhook_claim {
    int64_t seq;
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    char webhook_id[EXT_ID_SIZE];
    char event_type[WEBHOOK_EVENT_TYPE_SIZE];
    int64_t occurred_at, first_try_at;
    int tries;
    char *data;
    char url[WEBHOOK_URL_MAX + 1];
    char secret[WEBHOOK_SECRET_MAX + 1];
};
/* What one try came to: the attempt and the delivery's next state
 * ("delivered", "pending" again at next_at, or "failed"). */
struct webhook_result {
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    struct webhook_attempt attempt;
    const char *state;
    int64_t next_at;
};
void store_webhook_claims_free(struct webhook_claim *a, int n);

#endif
