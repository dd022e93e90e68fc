/* Unit tests of service/tasks on a real store, once per backend of
 * tests/unit/backends.c: create (ids, stamps, history, refused references,
 * overdue at birth), patch (no-op patches, If-Match, transitions, history per
 * field, due-date moves in and out of OVERDUE) and the sweeper's overdue
 * record, each inside the writer's transaction as the server runs them. The
 * fixture (clock at NOW, fresh store) is store_fixture.h. */
#include "store_fixture.h"
#include "service/tasks.h"
#include "util/ids.h"

struct create { struct task t; struct errinfo e; };
static enum err do_create(struct store_conn *c, void *arg)
{
    struct create *x = arg;
    return service_task_create(c, &x->t, ACTOR, clock_now_ms(), &x->e);
}

/* Creates an OPEN task due `due`; returns the service's answer, the id in id_out. */
static enum err create(const char *due, const char *assignee, const char *user, char *id_out, struct errinfo *e)
{
    struct create x = {.t = {.title = strdup("Chase statement"), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN}};
    snprintf(x.t.due_date, sizeof x.t.due_date, "%s", due);
    snprintf(x.t.assignee_id, sizeof x.t.assignee_id, "%s", assignee ? assignee : "");
    snprintf(x.t.user_id, sizeof x.t.user_id, "%s", user ? user : "");
    enum err rc = store_run(S, do_create, &x);
    if (id_out) memcpy(id_out, x.t.id, TASK_ID_SIZE);
    if (e) *e = x.e;
    task_clear(&x.t);
    return rc;
}

static void expect_nothing_written(void)
{
    struct task_stats st = stats(&(struct task_filter){0}, TODAY, NOW);
    for (int i = 0; i < TASK_STATUS__COUNT; i++) cr_expect_eq(st.counts[i], 0, "a task was written");
}

struct patch {
    const char *id;
    struct task_patch p;
    int64_t if_match;
    struct task out;
    bool changed;
    struct errinfo e;
};
static enum err do_patch(struct store_conn *c, void *arg)
{
    struct patch *x = arg;
    return service_task_patch(c, x->id, &x->p, x->if_match, ACTOR, clock_now_ms(), &x->out, &x->changed, &x->e);
}

/* Runs the patch; x->out is cleared here, so tests read the task back. */
static enum err patch(struct patch *x)
{
    enum err rc = store_run(S, do_patch, x);
    task_clear(&x->out);
    return rc;
}

static struct patch status_patch(const char *id, enum task_status s)
{
    return (struct patch){.id = id, .if_match = -1, .p = {.has_status = true, .status = s}};
}

static struct patch due_patch(const char *id, const char *due)
{
    struct patch x = {.id = id, .if_match = -1, .p = {.has_due_date = true}};
    snprintf(x.p.due_date, sizeof x.p.due_date, "%s", due);
    return x;
}

struct overdue { const char *id; bool recorded; };
static enum err do_record(struct store_conn *c, void *arg)
{
    struct overdue *o = arg;
    return service_task_record_overdue(c, o->id, clock_now_ms(), &o->recorded);
}

STORE_TEST(service, create_stamps_id_creation_time_version_and_history)
{
    put_staff("sta_a", true);
    put_customer("cus_1");
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", "sta_a", "cus_1", id, NULL), ERR_OK);
    cr_expect_eq(strncmp(id, "tsk_", 4), 0);
    cr_expect_eq(strlen(id), 4 + IDS_TIME_ORDERED_LEN);
    struct task t = get(id);
    cr_expect_eq(t.created_at, NOW);
    cr_expect_eq(t.updated_at, NOW);
    cr_expect_eq(t.version, 1);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_not(t.overdue_recorded);
    cr_expect_str_eq(t.assignee_id, "sta_a");
    cr_expect_str_eq(t.user_id, "cus_1");
    task_clear(&t);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(h[0].type, "created");
    cr_expect_str_eq(h[0].actor, ACTOR);
    cr_expect_eq(h[0].at, NOW);
    store_history_free(h, n);
}

STORE_TEST(service, create_with_an_unknown_assignee_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(create("2026-06-20", "sta_nobody", NULL, NULL, &e), ERR_UNKNOWN_STAFF);
    cr_expect_eq(e.code, ERR_UNKNOWN_STAFF);
    cr_expect_str_eq(e.field, "assignee_id");
    expect_nothing_written();
}

STORE_TEST(service, create_with_an_inactive_assignee_is_refused)
{
    put_staff("sta_left", false);
    struct errinfo e = {0};
    cr_expect_eq(create("2026-06-20", "sta_left", NULL, NULL, &e), ERR_UNKNOWN_STAFF);
    cr_expect_str_eq(e.field, "assignee_id");
    expect_nothing_written();
}

STORE_TEST(service, create_with_an_unknown_customer_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(create("2026-06-20", NULL, "cus_nobody", NULL, &e), ERR_UNKNOWN_CUSTOMER);
    cr_expect_eq(e.code, ERR_UNKNOWN_CUSTOMER);
    cr_expect_str_eq(e.field, "user_id");
    expect_nothing_written();
}

STORE_TEST(service, create_with_a_past_due_date_records_created_then_system_overdue)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-09", NULL, NULL, id, NULL), ERR_OK);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(h[0].type, "created");
    cr_expect_str_eq(h[0].actor, ACTOR);
    cr_expect_str_eq(h[1].type, "status_changed");
    cr_expect_str_eq(h[1].actor, "system");
    cr_expect_str_eq(h[1].field, "status");
    cr_expect_str_eq(h[1].from_json, "\"OPEN\"");
    cr_expect_str_eq(h[1].to_json, "\"OVERDUE\"");
    store_history_free(h, n);
    struct task t = get(id);
    cr_expect_eq(t.status, TASK_OPEN, "stored work status stays OPEN");
    cr_expect_eq(task_effective_status(&t, TODAY), TASK_OVERDUE);
    cr_expect(t.overdue_recorded);
    task_clear(&t);
    char **ids;
    cr_expect_eq(overdue_unrecorded(TODAY, 10, &ids), 0, "nothing left for the sweeper");
    free(ids);
}

STORE_TEST(service, create_due_today_is_not_overdue)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create(TODAY, NULL, NULL, id, NULL), ERR_OK);
    struct history_entry *h;
    int n = history(id, &h);
    cr_expect_eq(n, 1);
    store_history_free(h, n);
    struct task t = get(id);
    cr_expect_not(t.overdue_recorded);
    task_clear(&t);
}

STORE_TEST(service, patch_that_changes_nothing_keeps_the_version_and_writes_nothing)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = {.id = id, .if_match = 1,
                      .p = {.has_priority = true, .priority = PRIORITY_MEDIUM, .has_due_date = true,
                            .due_date = "2026-06-20", .has_status = true, .status = TASK_OPEN,
                            .has_title = true, .title = strdup("Chase statement")}};
    cr_assert_eq(store_run(S, do_patch, &x), ERR_OK);
    cr_expect_not(x.changed);
    cr_expect_eq(x.out.version, 1);
    cr_expect_str_eq(x.out.title, "Chase statement");
    task_clear(&x.out);
    task_patch_clear(&x.p);
    struct task t = get(id);
    cr_expect_eq(t.version, 1);
    cr_expect_eq(t.updated_at, NOW);
    task_clear(&t);
    struct history_entry *h;
    int n = history(id, &h);
    cr_expect_eq(n, 1, "only 'created'");
    store_history_free(h, n);
}

STORE_TEST(service, patch_repeating_a_final_status_changes_nothing)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = status_patch(id, TASK_COMPLETED);
    cr_assert_eq(patch(&x), ERR_OK);
    cr_expect(x.changed);
    struct patch again = status_patch(id, TASK_COMPLETED);
    cr_assert_eq(store_run(S, do_patch, &again), ERR_OK, "a retry is safe");
    cr_expect_not(again.changed);
    cr_expect_eq(again.out.version, 2);
    task_clear(&again.out);
}

STORE_TEST(service, patch_with_a_stale_if_match_is_a_version_conflict)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch first = {.id = id, .if_match = 1, .p = {.has_priority = true, .priority = PRIORITY_HIGH}};
    cr_assert_eq(store_run(S, do_patch, &first), ERR_OK);
    cr_expect(first.changed);
    cr_expect_eq(first.out.version, 2);
    task_clear(&first.out);
    struct patch stale = {.id = id, .if_match = 1, .p = {.has_priority = true, .priority = PRIORITY_LOW}};
    cr_expect_eq(store_run(S, do_patch, &stale), ERR_VERSION_CONFLICT);
    cr_expect_eq(stale.e.code, ERR_VERSION_CONFLICT);
    struct task t = get(id);
    cr_expect_eq(t.priority, PRIORITY_HIGH, "the stale patch wrote nothing");
    cr_expect_eq(t.version, 2);
    task_clear(&t);
    struct patch ahead = {.id = id, .if_match = 3, .p = {.has_priority = true, .priority = PRIORITY_LOW}};
    cr_expect_eq(store_run(S, do_patch, &ahead), ERR_VERSION_CONFLICT);
}

STORE_TEST(service, patch_of_an_unknown_task_is_not_found)
{
    struct patch x = status_patch("tsk_00000000000000000000000000", TASK_COMPLETED);
    cr_expect_eq(patch(&x), ERR_NOT_FOUND);
}

STORE_TEST(service, patch_asking_for_overdue_is_a_validation_error_on_status)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = status_patch(id, TASK_OVERDUE);
    cr_expect_eq(patch(&x), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(x.e.field, "status");
}

STORE_TEST(service, a_completed_task_changes_only_by_being_reopened)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch done = status_patch(id, TASK_COMPLETED);
    cr_assert_eq(patch(&done), ERR_OK);
    struct patch cancel = status_patch(id, TASK_CANCELLED);
    cr_expect_eq(patch(&cancel), ERR_INVALID_TRANSITION);
    struct patch retitle = {.id = id, .if_match = -1, .p = {.has_priority = true, .priority = PRIORITY_URGENT}};
    cr_expect_eq(patch(&retitle), ERR_INVALID_TRANSITION);
    struct task t = get(id);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.priority, PRIORITY_MEDIUM);
    cr_expect_eq(t.version, 2);
    task_clear(&t);
    struct patch reopen = status_patch(id, TASK_OPEN);
    cr_expect_eq(patch(&reopen), ERR_OK);
    t = get(id);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_eq(t.completed_at, 0);
    cr_expect_eq(t.version, 3);
    task_clear(&t);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(h[2].type, "status_changed");
    cr_expect_str_eq(h[2].from_json, "\"COMPLETED\"");
    cr_expect_str_eq(h[2].to_json, "\"OPEN\"");
    store_history_free(h, n);
}

STORE_TEST(service, patch_to_an_unknown_or_inactive_assignee_is_refused)
{
    put_staff("sta_left", false);
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = {.id = id, .if_match = -1, .p = {.has_assignee = true, .assignee_id = "sta_nobody"}};
    cr_expect_eq(patch(&x), ERR_UNKNOWN_STAFF);
    cr_expect_str_eq(x.e.field, "assignee_id");
    struct patch y = {.id = id, .if_match = -1, .p = {.has_assignee = true, .assignee_id = "sta_left"}};
    cr_expect_eq(patch(&y), ERR_UNKNOWN_STAFF);
    struct patch z = {.id = id, .if_match = -1, .p = {.has_user = true, .user_id = "cus_nobody"}};
    cr_expect_eq(patch(&z), ERR_UNKNOWN_CUSTOMER);
    cr_expect_str_eq(z.e.field, "user_id");
    struct task t = get(id);
    cr_expect_str_eq(t.assignee_id, "");
    cr_expect_eq(t.version, 1);
    task_clear(&t);
}

STORE_TEST(service, patch_writes_a_history_line_per_changed_field)
{
    put_staff("sta_a", true);
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = {.id = id, .if_match = 1,
                      .p = {.has_priority = true, .priority = PRIORITY_URGENT, .has_assignee = true,
                            .assignee_id = "sta_a", .has_sla_hours = true, .sla_hours = 24}};
    cr_assert_eq(patch(&x), ERR_OK);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 5); /* the new sla_due_at is a line too, after the fields */
    cr_expect_str_eq(h[4].field, "sla_due_at");
    cr_expect_str_eq(h[4].from_json, "null");
    cr_expect_str_eq(h[1].field, "priority");
    cr_expect_str_eq(h[1].from_json, "\"MEDIUM\"");
    cr_expect_str_eq(h[1].to_json, "\"URGENT\"");
    cr_expect_str_eq(h[2].field, "sla_hours");
    cr_expect_str_eq(h[2].from_json, "null");
    cr_expect_str_eq(h[3].field, "assignee_id");
    cr_expect_str_eq(h[3].from_json, "null");
    cr_expect_str_eq(h[3].to_json, "\"sta_a\"");
    for (int i = 1; i < n; i++) {
        cr_expect_str_eq(h[i].type, "field_changed");
        cr_expect_str_eq(h[i].actor, ACTOR);
    }
    store_history_free(h, n);
}

STORE_TEST(service, starting_and_completing_stamp_their_times)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    clock_set_ms(NOW + 1000);
    struct patch start = status_patch(id, TASK_IN_PROGRESS);
    cr_assert_eq(patch(&start), ERR_OK);
    clock_set_ms(NOW + 2000);
    struct patch done = status_patch(id, TASK_COMPLETED);
    cr_assert_eq(patch(&done), ERR_OK);
    struct task t = get(id);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.started_at, NOW + 1000);
    cr_expect_eq(t.completed_at, NOW + 2000);
    cr_expect_eq(t.updated_at, NOW + 2000);
    cr_expect_eq(t.version, 3);
    task_clear(&t);
}

STORE_TEST(service, moving_an_overdue_due_date_into_the_future_returns_the_task_to_open)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-01", NULL, NULL, id, NULL), ERR_OK); /* OVERDUE at once */
    struct patch x = due_patch(id, "2026-06-20");
    x.if_match = 1;
    cr_assert_eq(store_run(S, do_patch, &x), ERR_OK);
    cr_expect(x.changed);
    cr_expect_eq(x.out.status, TASK_OPEN);
    cr_expect_eq(task_effective_status(&x.out, TODAY), TASK_OPEN);
    cr_expect_not(x.out.overdue_recorded);
    cr_expect_eq(x.out.version, 2);
    task_clear(&x.out);

    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(h[0].type, "created");
    cr_expect_str_eq(h[1].to_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[2].type, "field_changed");
    cr_expect_str_eq(h[2].field, "due_date");
    cr_expect_str_eq(h[2].from_json, "\"2026-06-01\"");
    cr_expect_str_eq(h[2].to_json, "\"2026-06-20\"");
    cr_expect_str_eq(h[3].type, "status_changed");
    cr_expect_str_eq(h[3].from_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[3].to_json, "\"OPEN\"");
    cr_expect_str_eq(h[3].actor, ACTOR);
    store_history_free(h, n);

    char **ids;
    int m = overdue_unrecorded("2026-06-21", 10, &ids);
    cr_expect_eq(m, 1, "once the new date passes, the sweeper records it again");
    free_ids(ids, m);
}

STORE_TEST(service, moving_an_overdue_due_date_to_today_returns_the_task_to_open)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-01", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = due_patch(id, TODAY);
    cr_assert_eq(patch(&x), ERR_OK);
    struct task t = get(id);
    cr_expect_eq(task_effective_status(&t, TODAY), TASK_OPEN);
    task_clear(&t);
}

STORE_TEST(service, overdue_task_in_progress_returns_to_in_progress_when_its_due_date_moves_out)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create(TODAY, NULL, NULL, id, NULL), ERR_OK);
    struct patch start = status_patch(id, TASK_IN_PROGRESS);
    cr_assert_eq(patch(&start), ERR_OK);
    /* the next day it reads OVERDUE, before any sweeper has run */
    clock_set_ms(NOW + DAY);
    struct task t = get(id);
    cr_expect_eq(task_effective_status(&t, "2026-06-11"), TASK_OVERDUE);
    cr_expect_not(t.overdue_recorded);
    task_clear(&t);

    struct patch x = due_patch(id, "2026-06-30");
    cr_assert_eq(patch(&x), ERR_OK);
    t = get(id);
    cr_expect_eq(t.status, TASK_IN_PROGRESS);
    cr_expect_eq(task_effective_status(&t, "2026-06-11"), TASK_IN_PROGRESS);
    cr_expect_eq(t.started_at, NOW, "started_at kept");
    task_clear(&t);

    struct history_entry *h;
    int n = history(id, &h);
    /* created, OPEN->IN_PROGRESS, the unwritten automatic IN_PROGRESS->OVERDUE,
     * due_date, OVERDUE->IN_PROGRESS */
    cr_assert_eq(n, 5);
    cr_expect_str_eq(h[2].actor, "system");
    cr_expect_str_eq(h[2].from_json, "\"IN_PROGRESS\"");
    cr_expect_str_eq(h[2].to_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[3].field, "due_date");
    cr_expect_str_eq(h[4].from_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[4].to_json, "\"IN_PROGRESS\"");
    cr_expect_str_eq(h[4].actor, ACTOR);
    store_history_free(h, n);
}

STORE_TEST(service, moving_a_due_date_into_the_past_makes_the_task_overdue_by_the_system)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-20", NULL, NULL, id, NULL), ERR_OK);
    struct patch x = due_patch(id, "2026-06-02");
    cr_assert_eq(patch(&x), ERR_OK);
    struct task t = get(id);
    cr_expect_eq(task_effective_status(&t, TODAY), TASK_OVERDUE);
    cr_expect(t.overdue_recorded);
    task_clear(&t);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(h[1].field, "due_date");
    cr_expect_str_eq(h[2].to_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[2].actor, "system");
    store_history_free(h, n);
}

STORE_TEST(service, an_overdue_task_can_be_picked_up_and_completed)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("2026-06-01", NULL, NULL, id, NULL), ERR_OK);
    struct patch start = status_patch(id, TASK_IN_PROGRESS);
    cr_expect_eq(patch(&start), ERR_OK);
    struct task t = get(id);
    cr_expect_eq(t.status, TASK_IN_PROGRESS);
    cr_expect_eq(task_effective_status(&t, TODAY), TASK_OVERDUE);
    cr_expect_eq(t.started_at, NOW);
    task_clear(&t);
    struct patch done = status_patch(id, TASK_COMPLETED);
    cr_assert_eq(patch(&done), ERR_OK);
    t = get(id);
    cr_expect_eq(t.status, TASK_COMPLETED);
    cr_expect_eq(t.completed_at, NOW);
    task_clear(&t);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(h[2].field, "work_status");
    cr_expect_str_eq(h[2].from_json, "\"OPEN\"");
    cr_expect_str_eq(h[2].to_json, "\"IN_PROGRESS\"");
    cr_expect_str_eq(h[3].from_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[3].to_json, "\"COMPLETED\"");
    store_history_free(h, n);
}

STORE_TEST(service, the_overdue_move_is_recorded_once)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create(TODAY, NULL, NULL, id, NULL), ERR_OK);
    struct overdue o = {id, true};
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect_not(o.recorded, "not overdue on its due day");

    clock_set_ms(NOW + DAY); /* 2026-06-11T09:00Z */
    char **ids;
    int n = overdue_unrecorded("2026-06-11", 100, &ids);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(ids[0], id);
    free_ids(ids, n);

    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect(o.recorded);
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect_not(o.recorded, "a second sweep records nothing");

    n = overdue_unrecorded("2026-06-11", 100, &ids);
    cr_expect_eq(n, 0);
    free_ids(ids, n);
    struct history_entry *h;
    n = history(id, &h);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(h[1].actor, "system");
    cr_expect_str_eq(h[1].from_json, "\"OPEN\"");
    cr_expect_str_eq(h[1].to_json, "\"OVERDUE\"");
    cr_expect_eq(h[1].at, NOW + DAY);
    store_history_free(h, n);
    struct task t = get(id);
    cr_expect(t.overdue_recorded);
    cr_expect_eq(t.status, TASK_OPEN);
    task_clear(&t);
}

STORE_TEST(service, recording_overdue_skips_final_tasks)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create(TODAY, NULL, NULL, id, NULL), ERR_OK);
    struct patch done = status_patch(id, TASK_CANCELLED);
    cr_assert_eq(patch(&done), ERR_OK);
    clock_set_ms(NOW + 3 * DAY);
    struct overdue o = {id, true};
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect_not(o.recorded);
}

STORE_TEST(service, overdue_follows_the_server_timezone)
{
    /* 2026-06-10T21:30Z is already 2026-06-11 00:30 in Istanbul (UTC+3) */
    cr_assert_eq(dates_set_timezone("Europe/Istanbul"), 0);
    char id[TASK_ID_SIZE];
    cr_assert_eq(create(TODAY, NULL, NULL, id, NULL), ERR_OK);
    clock_set_ms(NOW + 12 * HOUR + 30 * 60000LL);
    struct overdue o = {id, false};
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect(o.recorded, "overdue at local midnight, not UTC midnight");
}
