/* sla.h: service-level targets. sla_due_at = created_at + sla_hours.
 * sla_breached is null without an SLA; true when completed after sla_due_at
 * or still active past it; false otherwise (cancelled tasks included). */
#ifndef OPSTASKS_SLA_H
#define OPSTASKS_SLA_H

#include <stdint.h>

#include "domain/task.h"

/* The deadline in ms, or 0 when the task has no SLA. */
int64_t sla_due_at(const struct task *t);

enum sla_state { SLA_NONE = -1, SLA_OK = 0, SLA_BREACHED = 1 };
/* effective is the task's effective status at now_ms. */
enum sla_state sla_breached(const struct task *t, enum task_status effective, int64_t now_ms);

#endif
