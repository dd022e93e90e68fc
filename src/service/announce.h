/* announce.h (service): what a change tells the world outside opstasks
 * (webhooks, email, in-app notifications). The service calls announce() at
 * each event, inside the change's own transaction on the writer; every sink
 * registered at start-up writes what it needs (an outbox row, a
 * notification) in that transaction, so a change that rolls back tells
 * nothing and one that committed is never lost. Sinks send nothing here:
 * sending is background work that reads what they wrote. */
#ifndef OPSTASKS_SERVICE_ANNOUNCE_H
#define OPSTASKS_SERVICE_ANNOUNCE_H

#include <stdint.h>

#include "domain/task.h"
#include "store/store.h"

/* The event types, in the webhooks' names (announce_type_name). */
#define ANNOUNCE_TYPES(X) \
    X(ANN_TASK_CREATED, "task.created") \
    X(ANN_TASK_UPDATED, "task.updated") \
    X(ANN_TASK_ASSIGNED, "task.assigned") \
    X(ANN_TASK_COMPLETED, "task.completed") \
    X(ANN_TASK_CANCELLED, "task.cancelled") \
    X(ANN_TASK_REOPENED, "task.reopened") \
    X(ANN_TASK_OVERDUE, "task.overdue") \
    X(ANN_SLA_AT_RISK, "sla.at_risk") \
    X(ANN_SLA_BREACHED, "sla.breached") \
    X(ANN_COMMENT_CREATED, "comment.created") \
    X(ANN_RENEWAL_TASK_CREATED, "renewal.task_created") \
    X(ANN_RENEWAL_TASK_ESCALATED, "renewal.task_escalated")

enum announce_type {
#define ANNOUNCE_ENUM(e, name) e,
    ANNOUNCE_TYPES(ANNOUNCE_ENUM)
#undef ANNOUNCE_ENUM
    ANN_COUNT
};

/* "task.created" ...; NULL for a value out of range. */
const char *announce_type_name(enum announce_type t);
/* The type named name, or -1. */
int announce_type_parse(const char *name);

/* One event. Pointers are borrowed for the call only.
 * task: the task as it is after the change (for comment.created the
 *   comment's task as the writer read it; never NULL).
 * before: task.updated and task.assigned from a PATCH: the task as it was;
 *   NULL otherwise (a task created with an assignee is task.assigned with
 *   before NULL).
 * comment: comment.created only (its mentions are the active staff ids it
 *   names, a JSON array).
 * actor: who made the change: a staff id ("sta_..."), "token:ID",
 *   "system" (the sweeper), "renewals", or a rule's actor. */
struct announcement {
    enum announce_type type;
    int64_t at;
    const char *actor;
    const struct task *task;
    const struct task *before;
    const struct task_comment *comment;
};

/* A sink writes what the announcement needs in the caller's transaction;
 * any error fails the change (the job rolls back). */
typedef enum err (*announce_sink_fn)(struct store_conn *c, const struct announcement *a);

/* Registers a sink (at start-up, before any writer runs; at most 4). */
void announce_add_sink(announce_sink_fn fn);
/* Forgets every sink (tests). */
void announce_reset(void);
/* Hands a to every sink in order; the first error stops and is returned. */
enum err announce(struct store_conn *c, const struct announcement *a);

#endif
