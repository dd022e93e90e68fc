/* Unit tests of domain/lifecycle: the transition table, exhaustively, and the
 * stamps lifecycle_apply sets. */
#include <criterion/criterion.h>

#include "domain/lifecycle.h"

/* The lifecycle of the contract, written out independently of the table. */
static bool allowed_by_user(enum task_status from, enum task_status to)
{
    switch (from) {
    case TASK_OPEN: return to == TASK_IN_PROGRESS || to == TASK_COMPLETED || to == TASK_CANCELLED;
    case TASK_IN_PROGRESS: return to == TASK_COMPLETED || to == TASK_OPEN || to == TASK_CANCELLED;
    case TASK_OVERDUE: return to == TASK_COMPLETED || to == TASK_CANCELLED;
    default: return false;
    }
}

static bool allowed_by_system(enum task_status from, enum task_status to)
{
    return ((from == TASK_OPEN || from == TASK_IN_PROGRESS) && to == TASK_OVERDUE) ||
           (from == TASK_OVERDUE && (to == TASK_OPEN || to == TASK_IN_PROGRESS));
}

Test(lifecycle_table, every_pair_matches_the_contract_for_users_and_the_system)
{
    for (int f = 0; f < TASK_STATUS__COUNT; f++)
        for (int t = 0; t < TASK_STATUS__COUNT; t++) {
            cr_expect_eq(lifecycle_can_transition(f, t, LIFECYCLE_BY_USER), allowed_by_user(f, t), "user %s -> %s",
                         task_status_name(f), task_status_name(t));
            cr_expect_eq(lifecycle_can_transition(f, t, LIFECYCLE_BY_SYSTEM), allowed_by_system(f, t),
                         "system %s -> %s", task_status_name(f), task_status_name(t));
        }
}

Test(lifecycle_table, completed_and_cancelled_are_final_for_everyone)
{
    for (int t = 0; t < TASK_STATUS__COUNT; t++) {
        cr_expect_not(lifecycle_can_transition(TASK_COMPLETED, t, LIFECYCLE_BY_USER | LIFECYCLE_BY_SYSTEM));
        cr_expect_not(lifecycle_can_transition(TASK_CANCELLED, t, LIFECYCLE_BY_USER | LIFECYCLE_BY_SYSTEM));
    }
}

Test(lifecycle_apply, starting_stamps_started_at_and_reopening_clears_it)
{
    struct task t = {.status = TASK_OPEN};
    cr_assert_eq(lifecycle_apply(&t, TASK_OPEN, TASK_IN_PROGRESS, 1000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_IN_PROGRESS);
    cr_expect_eq(t.started_at, 1000);
    cr_assert_eq(lifecycle_apply(&t, TASK_IN_PROGRESS, TASK_OPEN, 2000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_eq(t.started_at, 0);
}

Test(lifecycle_apply, completing_and_cancelling_stamp_their_times)
{
    struct task a = {.status = TASK_IN_PROGRESS, .started_at = 5};
    cr_assert_eq(lifecycle_apply(&a, TASK_IN_PROGRESS, TASK_COMPLETED, 3000, NULL), ERR_OK);
    cr_expect_eq(a.completed_at, 3000);
    cr_expect_eq(a.started_at, 5);
    struct task b = {.status = TASK_OPEN};
    cr_assert_eq(lifecycle_apply(&b, TASK_OVERDUE, TASK_CANCELLED, 4000, NULL), ERR_OK);
    cr_expect_eq(b.status, TASK_CANCELLED);
    cr_expect_eq(b.cancelled_at, 4000);
}

Test(lifecycle_apply, an_overdue_task_can_be_completed)
{
    struct task t = {.status = TASK_IN_PROGRESS};
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_COMPLETED, 10, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_COMPLETED);
}

Test(lifecycle_apply, clients_cannot_ask_for_overdue)
{
    struct task t = {.status = TASK_OPEN};
    struct errinfo e = {0};
    cr_assert_eq(lifecycle_apply(&t, TASK_OPEN, TASK_OVERDUE, 10, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "status");
    cr_expect_eq(t.status, TASK_OPEN);
}

Test(lifecycle_apply, refused_moves_change_nothing)
{
    struct errinfo e = {0};
    struct task done = {.status = TASK_COMPLETED, .completed_at = 7};
    cr_assert_eq(lifecycle_apply(&done, TASK_COMPLETED, TASK_OPEN, 10, &e), ERR_INVALID_TRANSITION);
    cr_expect_eq(done.status, TASK_COMPLETED);
    cr_expect_eq(done.completed_at, 7);
    struct task late = {.status = TASK_OPEN};
    cr_assert_eq(lifecycle_apply(&late, TASK_OVERDUE, TASK_IN_PROGRESS, 10, &e), ERR_INVALID_TRANSITION);
    cr_expect_eq(late.status, TASK_OPEN);
    cr_expect_eq(late.started_at, 0);
}
