/* lifecycle.c: the transition table and the one function that applies it. */
#include "domain/lifecycle.h"

static const struct {
    enum task_status from, to;
    unsigned allowed_by;
} transitions[] = {
    {TASK_OPEN, TASK_IN_PROGRESS, LIFECYCLE_BY_USER},
    {TASK_OPEN, TASK_COMPLETED, LIFECYCLE_BY_USER},
    {TASK_OPEN, TASK_CANCELLED, LIFECYCLE_BY_USER},
    {TASK_IN_PROGRESS, TASK_COMPLETED, LIFECYCLE_BY_USER},
    {TASK_IN_PROGRESS, TASK_OPEN, LIFECYCLE_BY_USER},
    {TASK_IN_PROGRESS, TASK_CANCELLED, LIFECYCLE_BY_USER},
    {TASK_OVERDUE, TASK_COMPLETED, LIFECYCLE_BY_USER},
    {TASK_OVERDUE, TASK_CANCELLED, LIFECYCLE_BY_USER},
    {TASK_OPEN, TASK_OVERDUE, LIFECYCLE_BY_SYSTEM},
    {TASK_IN_PROGRESS, TASK_OVERDUE, LIFECYCLE_BY_SYSTEM},
    /* system: the due date moved out; user: the work is picked up or put
     * down while the task stays overdue */
    {TASK_OVERDUE, TASK_OPEN, LIFECYCLE_BY_SYSTEM | LIFECYCLE_BY_USER},
    {TASK_OVERDUE, TASK_IN_PROGRESS, LIFECYCLE_BY_SYSTEM | LIFECYCLE_BY_USER},
    /* reopen (and start) a task finished or cancelled by mistake */
    {TASK_COMPLETED, TASK_OPEN, LIFECYCLE_BY_USER},
    {TASK_COMPLETED, TASK_IN_PROGRESS, LIFECYCLE_BY_USER},
    {TASK_CANCELLED, TASK_OPEN, LIFECYCLE_BY_USER},
    {TASK_CANCELLED, TASK_IN_PROGRESS, LIFECYCLE_BY_USER},
};

bool lifecycle_can_transition(enum task_status from, enum task_status to, enum lifecycle_actor by)
{
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        if (transitions[i].from == from && transitions[i].to == to) return (transitions[i].allowed_by & by) != 0;
    return false;
}

bool lifecycle_is_reopen(enum task_status from, enum task_status to)
{
    return task_status_is_final(from) && (to == TASK_OPEN || to == TASK_IN_PROGRESS) &&
           lifecycle_can_transition(from, to, LIFECYCLE_BY_USER);
}

enum err lifecycle_apply(struct task *t, enum task_status from, enum task_status to, int64_t now_ms,
                         struct errinfo *e)
{
    if (to == TASK_OVERDUE)
        return err_set(e, ERR_VALIDATION_FAILED, "status",
                       "status OVERDUE is set automatically when the due date passes");
    if (to >= TASK_STATUS__COUNT) return err_set(e, ERR_VALIDATION_FAILED, "status", "unknown status");
    if (!lifecycle_can_transition(from, to, LIFECYCLE_BY_USER)) {
        if (task_status_is_final(from))
            return err_set(e, ERR_INVALID_TRANSITION, "status",
                           "the task is %s; reopen it first (status OPEN or IN_PROGRESS)", task_status_name(from));
        return err_set(e, ERR_INVALID_TRANSITION, "status", "a task cannot move from %s to %s",
                       task_status_name(from), task_status_name(to));
    }
    /* under the overdue overlay the work status may already be the one asked for */
    if (from == TASK_OVERDUE && t->status == to) return ERR_OK;
    if (task_status_is_final(from)) t->completed_at = t->cancelled_at = 0;
    t->status = to;
    switch (to) {
    case TASK_IN_PROGRESS: t->started_at = now_ms; break;
    case TASK_OPEN: t->started_at = 0; break;
    case TASK_COMPLETED: t->completed_at = now_ms; break;
    case TASK_CANCELLED: t->cancelled_at = now_ms; break;
    default: break;
    }
    return ERR_OK;
}
