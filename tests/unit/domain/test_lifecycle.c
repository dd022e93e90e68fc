/* Unit tests of domain/lifecycle: the transition table checked exhaustively
 * against the contract (docs/api.md, "Lifecycle"), and what lifecycle_apply
 * stamps, refuses and leaves alone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "domain/lifecycle.h"

enum { O = TASK_OPEN, P = TASK_IN_PROGRESS, V = TASK_OVERDUE, C = TASK_COMPLETED, X = TASK_CANCELLED };

/* The contract's lifecycle written out as two tables, independently of the
 * one in lifecycle.c: rows are `from`, columns are `to` (OPEN, IN_PROGRESS,
 * OVERDUE, COMPLETED, CANCELLED). */
static const bool by_user[TASK_STATUS__COUNT][TASK_STATUS__COUNT] = {
    /*              O  P  V  C  X */
    [O] = {0, 1, 0, 1, 1}, /* OPEN -> IN_PROGRESS | COMPLETED | CANCELLED */
    [P] = {1, 0, 0, 1, 1}, /* IN_PROGRESS -> OPEN | COMPLETED | CANCELLED */
    [V] = {1, 1, 0, 1, 1}, /* OVERDUE -> put down | pick up (stays OVERDUE) | COMPLETED | CANCELLED */
    [C] = {1, 1, 0, 0, 0}, /* reopen (and start) only */
    [X] = {1, 1, 0, 0, 0}, /* reopen (and start) only */
};
static const bool by_system[TASK_STATUS__COUNT][TASK_STATUS__COUNT] = {
    /*              O  P  V  C  X */
    [O] = {0, 0, 1, 0, 0}, /* the due date passed */
    [P] = {0, 0, 1, 0, 0}, /* the due date passed */
    [V] = {1, 1, 0, 0, 0}, /* the due date moved out: back to what it was */
    [C] = {0, 0, 0, 0, 0},
    [X] = {0, 0, 0, 0, 0},
};

Test(lifecycle, every_user_transition_matches_the_contract)
{
    for (int f = 0; f < TASK_STATUS__COUNT; f++)
        for (int t = 0; t < TASK_STATUS__COUNT; t++)
            cr_expect_eq(lifecycle_can_transition(f, t, LIFECYCLE_BY_USER), by_user[f][t], "user %s -> %s: want %s",
                         task_status_name(f), task_status_name(t), by_user[f][t] ? "allowed" : "refused");
}

Test(lifecycle, every_system_transition_matches_the_contract)
{
    for (int f = 0; f < TASK_STATUS__COUNT; f++)
        for (int t = 0; t < TASK_STATUS__COUNT; t++)
            cr_expect_eq(lifecycle_can_transition(f, t, LIFECYCLE_BY_SYSTEM), by_system[f][t],
                         "system %s -> %s: want %s", task_status_name(f), task_status_name(t),
                         by_system[f][t] ? "allowed" : "refused");
}

Test(lifecycle, no_status_moves_to_itself)
{
    for (int s = 0; s < TASK_STATUS__COUNT; s++) {
        cr_expect_not(lifecycle_can_transition(s, s, LIFECYCLE_BY_USER), "%s", task_status_name(s));
        cr_expect_not(lifecycle_can_transition(s, s, LIFECYCLE_BY_SYSTEM), "%s", task_status_name(s));
    }
}

Test(lifecycle, completed_and_cancelled_only_reopen_and_only_by_a_user)
{
    for (int t = 0; t < TASK_STATUS__COUNT; t++) {
        bool reopen = t == TASK_OPEN || t == TASK_IN_PROGRESS;
        cr_expect_eq(lifecycle_can_transition(TASK_COMPLETED, t, LIFECYCLE_BY_USER), reopen, "%s", task_status_name(t));
        cr_expect_eq(lifecycle_can_transition(TASK_CANCELLED, t, LIFECYCLE_BY_USER), reopen, "%s", task_status_name(t));
        cr_expect_not(lifecycle_can_transition(TASK_COMPLETED, t, LIFECYCLE_BY_SYSTEM));
        cr_expect_not(lifecycle_can_transition(TASK_CANCELLED, t, LIFECYCLE_BY_SYSTEM));
        cr_expect_eq(lifecycle_is_reopen(TASK_COMPLETED, t), reopen);
        cr_expect_eq(lifecycle_is_reopen(TASK_CANCELLED, t), reopen);
    }
    for (int f = 0; f < TASK_STATUS__COUNT; f++)
        if (!task_status_is_final(f))
            for (int t = 0; t < TASK_STATUS__COUNT; t++) cr_expect_not(lifecycle_is_reopen(f, t));
}

Test(lifecycle, only_the_system_moves_a_task_into_overdue)
{
    cr_expect_not(lifecycle_can_transition(TASK_OPEN, TASK_OVERDUE, LIFECYCLE_BY_USER));
    cr_expect(lifecycle_can_transition(TASK_OPEN, TASK_OVERDUE, LIFECYCLE_BY_SYSTEM));
    cr_expect(lifecycle_can_transition(TASK_OVERDUE, TASK_IN_PROGRESS, LIFECYCLE_BY_USER));
    cr_expect(lifecycle_can_transition(TASK_OVERDUE, TASK_IN_PROGRESS, LIFECYCLE_BY_SYSTEM));
    cr_expect_not(lifecycle_can_transition(TASK_OVERDUE, TASK_COMPLETED, LIFECYCLE_BY_SYSTEM));
    cr_expect_not(lifecycle_can_transition(TASK_COMPLETED, TASK_OVERDUE, LIFECYCLE_BY_SYSTEM));
}

/* ---- lifecycle_apply ---- */

/* A task whose effective status is `eff`: OVERDUE is derived, the stored work
 * status under it is OPEN (or IN_PROGRESS, see the tests below). */
static struct task task_in(enum task_status eff)
{
    struct task t = {.status = eff == TASK_OVERDUE ? TASK_OPEN : eff, .started_at = 11, .due_date = "2026-06-05"};
    if (eff == TASK_COMPLETED) t.completed_at = 22;
    if (eff == TASK_CANCELLED) t.cancelled_at = 33;
    return t;
}

static void expect_unchanged(const struct task *t, const struct task *before, const char *what)
{
    cr_expect_eq(t->status, before->status, "%s: status changed", what);
    cr_expect_eq(t->started_at, before->started_at, "%s: started_at changed", what);
    cr_expect_eq(t->completed_at, before->completed_at, "%s: completed_at changed", what);
    cr_expect_eq(t->cancelled_at, before->cancelled_at, "%s: cancelled_at changed", what);
}

Test(lifecycle, apply_follows_the_user_table_for_every_pair)
{
    for (int f = 0; f < TASK_STATUS__COUNT; f++)
        for (int to = 0; to < TASK_STATUS__COUNT; to++) {
            char what[64];
            snprintf(what, sizeof what, "%s -> %s", task_status_name(f), task_status_name(to));
            struct task t = task_in(f), before = t;
            struct errinfo e = {0};
            enum err rc = lifecycle_apply(&t, f, to, 1000, &e);
            if (to == TASK_OVERDUE) {
                cr_expect_eq(rc, ERR_VALIDATION_FAILED, "%s", what);
                cr_expect_str_eq(e.field, "status", "%s", what);
                expect_unchanged(&t, &before, what);
            } else if (by_user[f][to]) {
                cr_expect_eq(rc, ERR_OK, "%s", what);
                cr_expect_eq(t.status, to, "%s", what);
            } else {
                cr_expect_eq(rc, ERR_INVALID_TRANSITION, "%s", what);
                cr_expect_str_eq(e.field, "status", "%s", what);
                expect_unchanged(&t, &before, what);
            }
        }
}

Test(lifecycle, starting_stamps_started_at)
{
    struct task t = {.status = TASK_OPEN};
    cr_assert_eq(lifecycle_apply(&t, TASK_OPEN, TASK_IN_PROGRESS, 1000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_IN_PROGRESS);
    cr_expect_eq(t.started_at, 1000);
    cr_expect_eq(t.completed_at, 0);
    cr_expect_eq(t.cancelled_at, 0);
}

Test(lifecycle, moving_back_to_open_clears_started_at)
{
    struct task t = {.status = TASK_IN_PROGRESS, .started_at = 1000};
    cr_assert_eq(lifecycle_apply(&t, TASK_IN_PROGRESS, TASK_OPEN, 2000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_eq(t.started_at, 0);
}

Test(lifecycle, completing_stamps_completed_at_and_keeps_started_at)
{
    struct task t = {.status = TASK_IN_PROGRESS, .started_at = 5};
    cr_assert_eq(lifecycle_apply(&t, TASK_IN_PROGRESS, TASK_COMPLETED, 3000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.completed_at, 3000);
    cr_expect_eq(t.started_at, 5);
}

Test(lifecycle, an_open_task_can_be_completed_without_being_started)
{
    struct task t = {.status = TASK_OPEN};
    cr_assert_eq(lifecycle_apply(&t, TASK_OPEN, TASK_COMPLETED, 3000, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.completed_at, 3000);
    cr_expect_eq(t.started_at, 0);
}

Test(lifecycle, cancelling_stamps_cancelled_at_from_every_active_status)
{
    const enum task_status from[] = {TASK_OPEN, TASK_IN_PROGRESS, TASK_OVERDUE};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        struct task t = task_in(from[i]);
        cr_assert_eq(lifecycle_apply(&t, from[i], TASK_CANCELLED, 4000, NULL), ERR_OK, "%s",
                     task_status_name(from[i]));
        cr_expect_eq(t.status, TASK_CANCELLED);
        cr_expect_eq(t.cancelled_at, 4000);
        cr_expect_eq(t.completed_at, 0);
    }
}

Test(lifecycle, an_overdue_task_in_progress_can_be_completed)
{
    struct task t = {.status = TASK_IN_PROGRESS, .started_at = 9, .due_date = "2026-06-01"};
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_COMPLETED, 10, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.completed_at, 10);
    cr_expect_eq(t.started_at, 9);
}

Test(lifecycle, an_overdue_task_is_picked_up_and_put_down_under_the_overlay)
{
    struct task t = {.status = TASK_OPEN, .due_date = "2026-06-01"};
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_IN_PROGRESS, 10, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_IN_PROGRESS);
    cr_expect_eq(t.started_at, 10);
    /* asked again: the work status already is IN_PROGRESS, nothing moves */
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_IN_PROGRESS, 20, NULL), ERR_OK);
    cr_expect_eq(t.started_at, 10);
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_OPEN, 30, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_eq(t.started_at, 0);
    cr_assert_eq(lifecycle_apply(&t, TASK_OVERDUE, TASK_OPEN, 40, NULL), ERR_OK);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_eq(t.completed_at, 0);
    cr_expect_eq(t.cancelled_at, 0);
}

Test(lifecycle, clients_cannot_ask_for_overdue)
{
    const enum task_status from[] = {TASK_OPEN, TASK_IN_PROGRESS, TASK_OVERDUE};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        struct task t = task_in(from[i]);
        struct errinfo e = {0};
        cr_expect_eq(lifecycle_apply(&t, from[i], TASK_OVERDUE, 10, &e), ERR_VALIDATION_FAILED);
        cr_expect_eq(e.code, ERR_VALIDATION_FAILED);
        cr_expect_str_eq(e.field, "status");
        cr_expect_eq(t.status, from[i] == TASK_OVERDUE ? TASK_OPEN : from[i]);
    }
}

Test(lifecycle, reopening_a_completed_task_clears_completed_at)
{
    struct task done = {.status = TASK_COMPLETED, .started_at = 5, .completed_at = 7};
    cr_assert_eq(lifecycle_apply(&done, TASK_COMPLETED, TASK_OPEN, 10, NULL), ERR_OK);
    cr_expect_eq(done.status, TASK_OPEN);
    cr_expect_eq(done.completed_at, 0);
    cr_expect_eq(done.cancelled_at, 0);
    cr_expect_eq(done.started_at, 0);
}

Test(lifecycle, reopening_a_cancelled_task_into_progress_starts_it)
{
    struct task gone = {.status = TASK_CANCELLED, .cancelled_at = 7};
    cr_assert_eq(lifecycle_apply(&gone, TASK_CANCELLED, TASK_IN_PROGRESS, 10, NULL), ERR_OK);
    cr_expect_eq(gone.status, TASK_IN_PROGRESS);
    cr_expect_eq(gone.started_at, 10);
    cr_expect_eq(gone.cancelled_at, 0);
    cr_expect_eq(gone.completed_at, 0);
}

Test(lifecycle, a_final_task_moves_only_by_reopening)
{
    struct errinfo e = {0};
    struct task done = {.status = TASK_COMPLETED, .completed_at = 7};
    cr_expect_eq(lifecycle_apply(&done, TASK_COMPLETED, TASK_CANCELLED, 10, &e), ERR_INVALID_TRANSITION);
    cr_expect_eq(e.code, ERR_INVALID_TRANSITION);
    cr_expect(strstr(e.message, "reopen") != NULL, "%s", e.message);
    cr_expect_eq(done.status, TASK_COMPLETED);
    cr_expect_eq(done.completed_at, 7);
    struct task gone = {.status = TASK_CANCELLED, .cancelled_at = 7};
    cr_expect_eq(lifecycle_apply(&gone, TASK_CANCELLED, TASK_COMPLETED, 10, &e), ERR_INVALID_TRANSITION);
    cr_expect_eq(gone.status, TASK_CANCELLED);
    cr_expect_eq(gone.cancelled_at, 7);
    cr_expect_eq(gone.completed_at, 0);
}

Test(lifecycle, an_unknown_status_is_a_validation_error)
{
    struct task t = {.status = TASK_OPEN};
    struct errinfo e = {0};
    cr_expect_eq(lifecycle_apply(&t, TASK_OPEN, TASK_STATUS__COUNT, 10, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "status");
    cr_expect_eq(t.status, TASK_OPEN);
}

Test(lifecycle, errors_may_be_reported_without_an_errinfo)
{
    struct task t = {.status = TASK_COMPLETED};
    cr_expect_eq(lifecycle_apply(&t, TASK_COMPLETED, TASK_CANCELLED, 10, NULL), ERR_INVALID_TRANSITION);
    cr_expect_eq(lifecycle_apply(&t, TASK_COMPLETED, TASK_OVERDUE, 10, NULL), ERR_VALIDATION_FAILED);
}
