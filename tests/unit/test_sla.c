/* Unit tests of domain/sla: sla_due_at = created_at + sla_hours; sla_breached
 * is null without an SLA, true when completed after the deadline or still
 * active past it, false otherwise (issue 2, Lifecycle). */
#include <criterion/criterion.h>

#include "domain/sla.h"

#define HOUR 3600000LL
#define T0 1780306200000LL /* 2026-06-01T09:30:00Z */

static struct task with_sla(double hours)
{
    return (struct task){.created_at = T0, .has_sla = true, .sla_hours = hours, .status = TASK_OPEN};
}

Test(sla, deadline_is_creation_plus_whole_hours)
{
    struct task t = with_sla(24);
    cr_expect_eq(sla_due_at(&t), T0 + 24 * HOUR);
    t.sla_hours = 1;
    cr_expect_eq(sla_due_at(&t), T0 + HOUR);
    t.sla_hours = 8760; /* a year of hours */
    cr_expect_eq(sla_due_at(&t), T0 + 8760 * HOUR);
}

Test(sla, deadline_counts_fractional_hours_to_the_millisecond)
{
    struct task t = with_sla(0.5);
    cr_expect_eq(sla_due_at(&t), T0 + 1800000);
    t.sla_hours = 1.25; /* 1 h 15 min */
    cr_expect_eq(sla_due_at(&t), T0 + 4500000);
    t.sla_hours = 0.001; /* 3.6 s */
    cr_expect_eq(sla_due_at(&t), T0 + 3600);
    t.sla_hours = 1.0 / 3.0; /* 20 min, rounded to the nearest ms */
    cr_expect_eq(sla_due_at(&t), T0 + 1200000);
    t.sla_hours = 0.1; /* 6 min, though 0.1 is not exact in binary */
    cr_expect_eq(sla_due_at(&t), T0 + 360000);
}

Test(sla, no_sla_has_no_deadline)
{
    struct task t = with_sla(24);
    t.has_sla = false;
    cr_expect_eq(sla_due_at(&t), 0);
}

Test(sla, no_sla_is_never_breached)
{
    struct task t = with_sla(1);
    t.has_sla = false;
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1000 * HOUR), SLA_NONE);
    t.completed_at = T0 + 1000 * HOUR;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_NONE);
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_NONE);
}

Test(sla, active_task_before_or_at_its_deadline_is_not_breached)
{
    struct task t = with_sla(1);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR - 1), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_IN_PROGRESS, T0 + HOUR), SLA_OK);
}

Test(sla, active_task_past_its_deadline_is_breached)
{
    struct task t = with_sla(1);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + HOUR + 1), SLA_BREACHED);
    t.status = TASK_IN_PROGRESS;
    cr_expect_eq(sla_breached(&t, TASK_IN_PROGRESS, T0 + HOUR + 1), SLA_BREACHED);
    cr_expect_eq(sla_breached(&t, TASK_OVERDUE, T0 + HOUR + 1), SLA_BREACHED);
}

Test(sla, task_completed_by_its_deadline_is_not_breached_later)
{
    struct task t = with_sla(1);
    t.status = TASK_COMPLETED;
    t.completed_at = T0 + HOUR; /* exactly on time */
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_OK);
    t.completed_at = T0 + 60000;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + 1000 * HOUR), SLA_OK);
}

Test(sla, task_completed_after_its_deadline_is_breached)
{
    struct task t = with_sla(1);
    t.status = TASK_COMPLETED;
    t.completed_at = T0 + HOUR + 1;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0 + HOUR + 1), SLA_BREACHED);
    /* judged by completed_at, whatever the time of asking */
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, T0), SLA_BREACHED);
}

Test(sla, cancelled_task_is_never_breached)
{
    struct task t = with_sla(1);
    t.status = TASK_CANCELLED;
    t.cancelled_at = T0 + 5 * HOUR;
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_OK);
    t.cancelled_at = T0 + 1;
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, T0 + 1000 * HOUR), SLA_OK);
}

Test(sla, fractional_deadline_is_breached_one_ms_after_it)
{
    struct task t = with_sla(0.5);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1800000), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, T0 + 1800001), SLA_BREACHED);
}
