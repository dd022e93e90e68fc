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

/* ---- records besides tasks -------------------------------------------- */

struct staff {
    char id[EXT_ID_SIZE];
    char *name, *email;  /* owned; email may be NULL */
    bool active;
    int64_t created_at, updated_at;
};

struct customer {
    char id[EXT_ID_SIZE];
    char *name, *email;  /* owned; email may be NULL */
    char owner_id[EXT_ID_SIZE];  /* "" when none */
    int64_t created_at, updated_at;
};

enum token_role { ROLE_ADMIN, ROLE_AGENT };

struct token {
    char id[TASK_ID_SIZE];
    enum token_role role;
    char staff_id[EXT_ID_SIZE];  /* "" when not tied to a staff member */
    char name[128];
};

/* One line of a task's history. from/to are JSON texts ("null" allowed). */
struct history_entry {
    int64_t at;
    char actor[96];
    char type[24];   /* created | field_changed | status_changed */
    char field[24];  /* "" for created */
    char *from_json, *to_json;  /* owned */
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

enum task_sort { SORT_DUE_DATE, SORT_DUE_DATE_DESC, SORT_PRIORITY, SORT_CREATED_AT, SORT_CREATED_AT_DESC };

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
};

/* Keyset position: the sort keys of the last row of the previous page. */
struct task_cursor {
    bool set;
    char due_date[DATE_SIZE];
    int prio_rank;
    int64_t created_at;
    char id[TASK_ID_SIZE];
};

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
    enum task_status status;  /* stored work status */
    int64_t created_at, completed_at, sla_due_at;
};

/* A task's SLA inputs and stamped instants, for the calendar recompute. */
struct sla_stamp_row {
    char id[TASK_ID_SIZE];
    int64_t created_at, sla_due_at, sla_risk_at;
    double sla_hours;
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

/* Owned-record cleanup helpers. */
void store_task_page_free(struct task_page *p);
void store_history_free(struct history_entry *h, int n);
void store_staff_clear(struct staff *st);
void store_customer_clear(struct customer *cu);
/* workflow rules */
void store_rule_rows_free(struct rule_row *r, int n);
void store_event_row_clear(struct event_row *ev);
void store_event_rows_free(struct event_row *ev, int n);

#endif
