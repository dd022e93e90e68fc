/* renewal.h: renewable items (customers' documents that expire), the renewal
 * policy and the threshold arithmetic of the renewals engine. Pure: no I/O,
 * no JSON, no SQL; dates are YYYY-MM-DD days in the server's timezone, so the
 * unit tests drive every rule with a set "today". jobs/renewal_pass.c and
 * service/renewals.c apply these rules to the stored items. */
#ifndef OPSTASKS_RENEWAL_H
#define OPSTASKS_RENEWAL_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/task.h"

#define RENEWAL_MAX_THRESHOLDS 16
#define RENEWAL_DAYS_MAX 3650        /* days_before and due_in_days: at most ten years */
#define RENEWAL_TITLE_MAX_CHARS 200  /* the template, and the title it renders */
#define RENEWAL_TITLE_SIZE 1024      /* bytes: 200 code points of up to 4 bytes, with room */
#define RENEWAL_KIND_MAX 64
#define RENEWAL_NONE_ACTED 0x7fffffff /* acted_min when no threshold acted yet */

struct renewal_threshold {
    int days_before;          /* 1..3650, distinct within a policy */
    enum task_priority priority;
    int due_in_days;          /* 0..3650 */
    bool has_sla;
    double sla_hours;         /* > 0, <= 8760 when has_sla */
};

/* Thresholds are kept sorted by days_before, largest (least urgent) first. */
struct renewal_policy {
    char title[RENEWAL_TITLE_SIZE];
    int n;
    struct renewal_threshold t[RENEWAL_MAX_THRESHOLDS];
};

struct renewal_item {
    char id[EXT_ID_SIZE];           /* ren_... */
    char customer_id[EXT_ID_SIZE];
    char kind[RENEWAL_KIND_MAX + 1];
    char expires_on[DATE_SIZE];
    char assignee_id[EXT_ID_SIZE];  /* "" when none */
    char next_due[DATE_SIZE];       /* "" when no threshold is left to act */
    int64_t created_at, updated_at;
};

/* The default policy: 90 LOW/30, 60 MEDIUM/14, 30 HIGH/7, 14 URGENT/2 with a 24 h SLA. */
void renewal_policy_default(struct renewal_policy *p);

/* Sorts the thresholds (largest days_before first) and checks the policy: at
 * least one threshold, at most RENEWAL_MAX_THRESHOLDS, distinct days_before
 * in 1..3650, due_in_days in 0..3650, sla_hours as for tasks, priorities that
 * never fall as expiry nears, and a title template of 1-200 characters using
 * only {kind}, {customer_name} and {expires_on}. ERR_OK or
 * ERR_VALIDATION_FAILED with e naming the field ("thresholds[2].priority"). */
enum err renewal_policy_validate(struct renewal_policy *p, struct errinfo *e);

/* Item field rules: kind is 1-64 of a-z 0-9 _; expires_on a real day. */
enum err renewal_validate_kind(const char *kind, struct errinfo *e);
enum err renewal_validate_expires_on(const char *date, struct errinfo *e);

/* The day threshold t is crossed for an item expiring on expires_on:
 * expires_on - days_before (leap days counted). */
void renewal_crossing_day(const char *expires_on, int days_before, char out[DATE_SIZE]);

/* The index in p of the threshold that acts today, or -1: among the
 * thresholds crossed on or before today, the most urgent (smallest
 * days_before), provided it is more urgent than every threshold already acted
 * on for this expiry date (acted_min: the smallest days_before acted on, or
 * RENEWAL_NONE_ACTED). The less urgent thresholds crossed with it are passed
 * over for good: catch-up acts once. */
int renewal_threshold_to_act(const struct renewal_policy *p, const char *expires_on, const char *today, int acted_min);

/* The day the next threshold more urgent than acted_min is crossed, or ""
 * when none is left: the value of an item's next_due. */
void renewal_next_due(const struct renewal_policy *p, const char *expires_on, int acted_min, char out[DATE_SIZE]);

/* The threshold the engine acts on next for an item (GET /ops/renewals),
 * as an index into p, or -1 when none is left: the one that acts today
 * (renewal_threshold_to_act) when there is one, else the next to be
 * crossed, the least urgent threshold more urgent than acted_min. */
int renewal_next_threshold(const struct renewal_policy *p, const char *expires_on, const char *today, int acted_min);

/* A task's due date for threshold t acted on `today`: the crossing day plus
 * due_in_days, never after expires_on. The crossing day is the day the engine
 * acts on the crossing: the threshold's own day (expires_on - days_before)
 * when the engine ran that day, else the day it catches up (an item
 * registered late, or a server that was down), so that no task is born
 * already overdue because of the engine's lateness. An item already expired
 * (expires_on before today) is due today: its expiry date is past, and a
 * task due then would be overdue from birth. */
void renewal_task_due(const struct renewal_threshold *t, const char *expires_on, const char *today,
                      char out[DATE_SIZE]);

/* Days since expiry: today - expires_on, > 0 when the item has expired
 * (0 on its expiry day, negative before). */
int64_t renewal_days_expired(const char *expires_on, const char *today);

/* The terms threshold p->t[i] acts with today: the threshold itself, but
 * URGENT for an item already expired (whatever the policy says for the
 * threshold: the document is out of date now). */
void renewal_threshold_terms(const struct renewal_policy *p, int i, const char *expires_on, const char *today,
                             struct renewal_threshold *out);

/* kind in words: underscores as spaces ("residence_permit" -> "residence
 * permit"); out has RENEWAL_KIND_MAX + 1 bytes. */
void renewal_kind_words(const char *kind, char out[RENEWAL_KIND_MAX + 1]);

/* Why a renewal task exists, for its description: the item's kind in words,
 * the customer, the expiry date (in N days, today, or N days ago) and the
 * threshold crossed, and the item's id. Control characters of the customer's
 * name become spaces; a long name is cut (out has RENEWAL_DESCRIPTION_SIZE
 * bytes, well under a task description's limit). */
#define RENEWAL_DESCRIPTION_SIZE 2048
void renewal_render_description(const struct renewal_item *it, const char *customer_name, int days_before,
                                const char *today, char out[RENEWAL_DESCRIPTION_SIZE]);

/* Renders the title template: {kind}, {customer_name}, {expires_on} replaced,
 * then trimmed, control characters turned into spaces, and cut to 200 code
 * points (a long customer name cannot make an invalid task). out has
 * RENEWAL_TITLE_SIZE bytes; never empty (falls back to "Renew {kind}"). */
void renewal_render_title(const char *tmpl, const char *kind, const char *customer_name, const char *expires_on,
                          char out[RENEWAL_TITLE_SIZE]);

/* Escalation of an active renewal task when a more urgent threshold is
 * crossed: what changes, never relaxing anything. priority rises to the
 * threshold's when lower; the due date moves in to `due` when that is
 * earlier; with an SLA on the threshold whose deadline from now (now +
 * sla_hours) is sooner than the task's, set_sla: the task takes the
 * threshold's sla_hours as given and its SLA clock restarts now (the
 * service's sla_restart), so 12 means 12 hours from the escalation. */
struct renewal_escalation {
    bool raise_priority;
    enum task_priority priority;
    bool pull_due;
    char due_date[DATE_SIZE];
    bool set_sla;
    double sla_hours;
};
void renewal_escalate(const struct task *t, const struct renewal_threshold *th, const char *due, int64_t now_ms,
                      struct renewal_escalation *out);

#endif
