/* tasks.h (service): the transactional operations on tasks, shared by every
 * way a task changes: the API, the overdue sweeper, the renewals pass and the
 * workflow rules. Each function runs inside the writer's
 * transaction (a store_job's run) on the writer connection, and writes the
 * task and its history together, so both commit or neither does.
 * Policy comes from domain/ (validation, lifecycle, dates); rows from store/. */
#ifndef OPSTASKS_SERVICE_TASKS_H
#define OPSTASKS_SERVICE_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/task.h"
#include "store/store.h"

/* The fields a PATCH may carry; a has_* flag per field. Strings are owned. */
struct task_patch {
    bool has_title, has_description, has_priority, has_due_date, has_sla_hours, has_assignee, has_user, has_status;
    char *title;        /* trimmed, validated */
    char *description;  /* NULL clears */
    enum task_priority priority;
    char due_date[DATE_SIZE];
    bool sla_null;      /* true clears the SLA */
    double sla_hours;
    char assignee_id[EXT_ID_SIZE];  /* "" clears */
    char user_id[EXT_ID_SIZE];      /* "" clears */
    enum task_status status;
    /* SLA clocks: waiting_on_customer (has_waiting: present; same value =
     * no change) and sla_restart (the clock starts again now: admins, the
     * rules engine and renewals; the API checks who asks) */
    bool has_waiting, waiting;
    bool sla_restart;
};

void task_patch_clear(struct task_patch *p);

/* Inserts t (id, created_at, version stamped here from now_ms) after checking
 * that its assignee is an active staff member and its customer exists, with
 * the "created" history entry (and the automatic OVERDUE one when the due date
 * has already passed). Errors: ERR_UNKNOWN_STAFF, ERR_UNKNOWN_CUSTOMER,
 * ERR_INTERNAL; e names the field. */
enum err service_task_create(struct store_conn *c, struct task *t, const char *actor, int64_t now_ms,
                             struct errinfo *e);

/* An Idempotency-Key as a request brought it: scoped per token, with the
 * hash of the request's body. */
struct idem_key {
    char scope[EXT_ID_SIZE];
    char key[256];
    unsigned char hash[32];
};

/* The answer to keep for a created task, as the API writes it: malloc'd
 * text, or NULL when out of memory. */
typedef char *(*service_answer_fn)(const struct task *t, int64_t now_ms);

/* service_task_create under an Idempotency-Key. The key is claimed before
 * anything is created, by an insert on its unique key, so of several writers
 * with one key exactly one creates and the others answer what it answered.
 * A key used before with the same body: *status and *answer are the first
 * answer, t->id and t->version those of the task it shows (t->id stays ""
 * when the key recorded no task), and nothing is written; with another body:
 * ERR_IDEMPOTENCY_CONFLICT.
 * Otherwise the task is created as by service_task_create and answer_of(t)
 * is kept as the key's answer, status 201, and given in *status, *answer.
 * *answer is malloc'd; the caller frees it. */
enum err service_task_create_keyed(struct store_conn *c, struct task *t, const char *actor, int64_t now_ms,
                                   const struct idem_key *k, service_answer_fn answer_of, int *status,
                                   char **answer, struct errinfo *e);

/* Applies p to task id. if_match < 0 means no precondition. On success *out
 * holds the task as it now is (caller clears) and *changed says whether
 * anything was written. The task is written only over the version read
 * (see task_update): when another writer changed it in between, the patch
 * starts again from a fresh read, so If-Match is decided by the database and
 * a patch without one never undoes another's change. Errors: ERR_NOT_FOUND,
 * ERR_VERSION_CONFLICT, ERR_INVALID_TRANSITION, ERR_VALIDATION_FAILED,
 * ERR_UNKNOWN_STAFF, ERR_UNKNOWN_CUSTOMER, ERR_INTERNAL, ERR_UNAVAILABLE
 * (the task kept changing under 8 tries). */
enum err service_task_patch(struct store_conn *c, const char *id, const struct task_patch *p, int64_t if_match,
                            const char *actor, int64_t now_ms, struct task *out, bool *changed, struct errinfo *e);

/* One task of service_task_patch_each: its id and the version it is pinned
 * at (-1: any, as a PATCH without If-Match). */
struct task_patch_target {
    char id[TASK_ID_SIZE];
    int64_t version;
};

/* Called after each task of service_task_patch_each, in order, with the
 * task's answer: rc ERR_OK and t the task as it now is, or rc and e the
 * error (t then holds nothing). t is the caller's only for the call. A
 * return other than ERR_OK (out of memory) stops the whole run. */
typedef enum err (*service_patch_result_fn)(void *arg, int i, enum err rc, const struct task *t,
                                            const struct errinfo *e);

/* service_task_patch of p on each of the n targets, in order, each in its
 * own savepoint: a task refused (or failing) changes nothing of itself and
 * does not stop the others; each is exactly its own PATCH (history,
 * version, events). All of them are in the caller's one transaction, so
 * they commit together. Returns ERR_OK, or a savepoint's or result's
 * failure (the caller's job then fails as a whole). */
enum err service_task_patch_each(struct store_conn *c, const struct task_patch_target *targets, int n,
                                 const struct task_patch *p, const char *actor, int64_t now_ms,
                                 service_patch_result_fn result, void *arg);

/* Records the automatic move to OVERDUE of an active task whose due date has
 * passed and whose history does not have it yet. *recorded says whether it
 * wrote anything: of several writers recording one task, one does (see
 * task_overdue_mark). */
enum err service_task_record_overdue(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded);

/* The one place an SLA breach is recorded: when task id is active and past
 * its SLA deadline at now_ms (the deadline of the calendar in force: a task
 * the recompute has not reached yet is stamped first, and the new deadline
 * written, see service_sla_refresh) and its breach is not yet recorded, writes the
 * `sla_breached` history line (actor system) and sets the flag that makes it
 * once only, then raises the task's sla.breached event.
 * *recorded says whether it wrote anything. */
enum err service_task_record_sla_breach(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded);

/* SLA clocks: one at-risk warning per task per clock. When task id is
 * active, its clock running (not paused), past its 80% instant and not past
 * its deadline at now_ms, and the warning of this clock is not recorded,
 * writes the `sla_at_risk` history line (actor system, field sla_due_at, to
 * the deadline), sets the flag that makes it once only (task_sla_risk_mark:
 * of several writers one records) and announces sla.at_risk, all in the
 * caller's transaction. *recorded says whether it wrote anything. */
enum err service_task_record_sla_at_risk(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded);

/* The service's own events, for the workflow rules. The rules engine
 * registers one hook at start-up (before any thread runs); each time a task
 * goes overdue (when that is recorded), is completed, cancelled or reopened
 * (task.reopened; a reopen into OVERDUE raises task.overdue after it), or its
 * SLA breach is recorded, the service calls it with the task as it now is,
 * inside the same transaction, so follow-up tasks commit with the change or
 * not at all. A hook error fails the write. Without a hook nothing is sent. */
typedef enum err (*service_task_event_fn)(struct store_conn *c, const struct task *t, const char *type,
                                          int64_t now_ms);
void service_set_task_event_hook(service_task_event_fn fn);

#endif
