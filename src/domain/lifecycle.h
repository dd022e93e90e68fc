/* lifecycle.h: the task state machine as a transition table.
 *
 *   OPEN -> IN_PROGRESS -> COMPLETED      OPEN -> COMPLETED; IN_PROGRESS -> OPEN
 *   OPEN | IN_PROGRESS | OVERDUE -> CANCELLED
 *   OPEN | IN_PROGRESS -> OVERDUE         (system only: the due date passed)
 *   OVERDUE -> COMPLETED
 *   OVERDUE -> OPEN | IN_PROGRESS         (system: the due date moved out;
 *                                          user: put down / pick up the work,
 *                                          the task stays OVERDUE)
 *   COMPLETED | CANCELLED -> OPEN | IN_PROGRESS   (user: reopen)
 *
 * Statuses here are effective statuses (OVERDUE included); the stored work
 * status never holds OVERDUE, see task.h. */
#ifndef OPSTASKS_LIFECYCLE_H
#define OPSTASKS_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/task.h"

enum lifecycle_actor { LIFECYCLE_BY_USER = 1, LIFECYCLE_BY_SYSTEM = 2 };

/* True when the table lets `by` move a task from `from` to `to`. */
bool lifecycle_can_transition(enum task_status from, enum task_status to, enum lifecycle_actor by);

/* True when a user's move from `from` to `to` reopens a final task. */
bool lifecycle_is_reopen(enum task_status from, enum task_status to);

/* A user asks for status `to` on t, whose effective status today is `from`.
 * On success updates t's work status and stamps started_at / completed_at /
 * cancelled_at with now_ms: starting stamps started_at, moving to OPEN
 * clears it, a reopen clears completed_at and cancelled_at. From OVERDUE,
 * OPEN and IN_PROGRESS change only the work status under the overdue
 * overlay (nothing at all when it already is `to`). Errors:
 * ERR_VALIDATION_FAILED for OVERDUE (only the system sets it),
 * ERR_INVALID_TRANSITION when the table refuses; t is then unchanged. */
enum err lifecycle_apply(struct task *t, enum task_status from, enum task_status to, int64_t now_ms,
                         struct errinfo *e);

#endif
