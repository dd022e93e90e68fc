/* sla.c: SLA deadline and breach, computed from the task alone. */
#include "domain/sla.h"

#include <math.h>

int64_t sla_due_at(const struct task *t)
{
    if (!t->has_sla) return 0;
    return t->created_at + (int64_t)llround(t->sla_hours * 3600000.0);
}

enum sla_state sla_breached(const struct task *t, enum task_status effective, int64_t now_ms)
{
    if (!t->has_sla) return SLA_NONE;
    int64_t due = sla_due_at(t);
    if (effective == TASK_COMPLETED) return t->completed_at > due ? SLA_BREACHED : SLA_OK;
    if (task_status_is_active(effective)) return now_ms > due ? SLA_BREACHED : SLA_OK;
    return SLA_OK;
}
