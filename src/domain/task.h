/* task.h: the task model, the product's central record, and its field rules.
 * Pure: no I/O, no JSON, no SQL. The api/ layer turns JSON into these calls and
 * store/ persists the struct. */
#ifndef OPSTASKS_TASK_H
#define OPSTASKS_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

enum task_status { TASK_OPEN, TASK_IN_PROGRESS, TASK_OVERDUE, TASK_COMPLETED, TASK_CANCELLED, TASK_STATUS__COUNT };
enum task_priority { PRIORITY_LOW, PRIORITY_MEDIUM, PRIORITY_HIGH, PRIORITY_URGENT, PRIORITY__COUNT };
enum task_source { SOURCE_MANUAL, SOURCE_RENEWAL, SOURCE_RULE, SOURCE__COUNT };

#define TASK_ID_SIZE 32          /* "tsk_" + 26 + NUL, with room */
#define EXT_ID_SIZE 72           /* "sta_"/"cus_" + up to 64 + NUL */
#define TASK_TITLE_MAX_CHARS 200
#define TASK_DESCRIPTION_MAX_CHARS 10000
#define TASK_SLA_HOURS_MAX 8760.0
#define DATE_SIZE 11             /* "YYYY-MM-DD" + NUL */

/* A task. Strings are owned by the struct: title and description are heap
 * copies freed by task_clear(); description is NULL when absent. Timestamps
 * are milliseconds since the epoch, 0 meaning null. `status` is the stored
 * work status (never TASK_OVERDUE): overdue is derived from the due date and
 * today's date, so every read is right before the sweeper writes anything.
 * `overdue_recorded` says the automatic move to OVERDUE is in the history. */
struct task {
    char id[TASK_ID_SIZE];
    char *title;
    char *description;
    enum task_priority priority;
    enum task_status status;
    bool overdue_recorded;
    char due_date[DATE_SIZE];
    bool has_sla;
    double sla_hours;
    char assignee_id[EXT_ID_SIZE];  /* "" when unassigned */
    char user_id[EXT_ID_SIZE];      /* "" when no customer */
    enum task_source source;
    int64_t created_at, updated_at, started_at, completed_at, cancelled_at;
    int64_t version;
    /* SLA tracking: the stored deadline and the instant 80% of the
     * SLA time has passed, both set by sla_stamp() with the SLA calendar;
     * 0 means not stamped (sla.c then computes them in calendar hours). */
    int64_t sla_due_ms, sla_risk_ms;
    /* renewals: the renewable item a RENEWAL task is for */
    char renewal_id[EXT_ID_SIZE];  /* "" when none */
    /* workflow rules: the rule and event that made a RULE task
     * ("" otherwise) and its level in a chain of rule-created tasks */
    char rule_id[EXT_ID_SIZE];
    char event_id[EXT_ID_SIZE];
    int rule_depth;
    /* how many comments the task has: kept by the store's comment_add,
     * never written by a task insert or update */
    int64_t comment_count;
    /* SLA clocks: the clock's start (created_at unless restarted; 0 reads
     * as created_at), the pause in progress while waiting on the customer
     * (0: none), the SLA time paused on this clock by finished pauses (ms,
     * working time with a business-hours calendar), and whether sla_hours
     * came from the SLA policy by priority (or its "none") rather than
     * from someone's hand */
    int64_t sla_started_at, sla_paused_at, sla_paused_ms;
    bool sla_by_policy;
};

void task_clear(struct task *t);
/* Deep copy; returns 0, or -1 when out of memory (dst then holds nothing). */
int task_copy(struct task *dst, const struct task *src);
/* True when every user-visible field of a and b is equal. */
bool task_equal(const struct task *a, const struct task *b);

const char *task_status_name(enum task_status s);
const char *task_priority_name(enum task_priority p);
const char *task_source_name(enum task_source s);
/* Parse an upper-case name; return 0 or -1 when unknown. */
int task_status_parse(const char *s, enum task_status *out);
int task_priority_parse(const char *s, enum task_priority *out);
int task_source_parse(const char *s, enum task_source *out);
/* 0 for URGENT .. 3 for LOW: the order the queue sorts by. */
int task_priority_rank(enum task_priority p);

bool task_status_is_active(enum task_status s); /* OPEN, IN_PROGRESS, OVERDUE */
bool task_status_is_final(enum task_status s);  /* COMPLETED, CANCELLED */

/* What every reader sees: OVERDUE when the work status is OPEN or IN_PROGRESS
 * and the due date is before today (today in the server's timezone). */
enum task_status task_effective_status(const struct task *t, const char *today);

/* Field rules. Each returns ERR_OK or fills e (naming the field) and returns
 * ERR_VALIDATION_FAILED. task_validate_title writes the trimmed title into a
 * new heap string *out (caller frees); a title holds no control character,
 * bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069) either. */
enum err task_validate_title(const char *in, char **out, struct errinfo *e);
enum err task_validate_description(const char *in, struct errinfo *e);
enum err task_validate_due_date(const char *in, struct errinfo *e);
/* task_validate_due_date, and the day between TASK_DUE_DATE_MIN and
 * TASK_DUE_DATE_MAX_YEARS after today (both ends included; from a 29
 * February, the 28th when that year has none): a day outside is a typing
 * mistake (1900-01-01, 9999-12-31), not a plan. today is "YYYY-MM-DD". */
#define TASK_DUE_DATE_MIN "2000-01-01"
#define TASK_DUE_DATE_MAX_YEARS 20
enum err task_validate_due_date_range(const char *in, const char *today, struct errinfo *e);
enum err task_validate_sla_hours(double h, struct errinfo *e);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t task_utf8_length(const char *s);

#endif
