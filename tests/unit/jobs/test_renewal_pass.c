/* Unit tests of the renewals pass (jobs/renewal_pass) on a real store in a
 * temporary folder, with the clock set: threshold days, catch-up, escalation
 * vs a new task, expiry date changes, timezone day boundaries and the unique
 * key that makes each action happen once. Items are put through
 * service/renewals, as the API puts them. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "jobs/renewal_pass.h"
#include "service/renewals.h"
#include "service/tasks.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static struct store *S;
static struct renewal_pass_report *R;

#include "renewals_fixture.h"

static void setup(void)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(NULL);
    cr_assert_eq(store_run(S, seed_people, NULL), ERR_OK);
    R = calloc(1, sizeof *R);
    cr_assert_not_null(R);
}

static void teardown(void)
{
    test_store_drop(S);
    S = NULL;
    free(R);
    clock_set_ms(0);
    dates_set_timezone("UTC");
}

TestSuite(renewals_engine, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------------ */

/* expires_on = today (at NOW + offset days) + days */
static void date_in(int days, char out[DATE_SIZE])
{
    char today[DATE_SIZE];
    dates_today(clock_now_ms(), today);
    dates_from_days(dates_to_days(today) + days, out);
}

static void at_day(int offset_days) { clock_set_ms(NOW + (int64_t)offset_days * DAY); }

static void run(void) { cr_assert_eq(renewal_pass_run(S, R), ERR_OK); }

/* every task of the item, oldest first */
static struct task_page tasks_of(const char *renewal_id)
{
    struct task_query q = {.sort = SORT_CREATED_AT, .limit = 100};
    snprintf(q.filter.renewal_id, sizeof q.filter.renewal_id, "%s", renewal_id);
    dates_today(clock_now_ms(), q.today);
    struct store_conn *c = store_reader_acquire(S);
    struct task_page page;
    cr_assert_eq(store_task_list(c, &q, &page), ERR_OK);
    store_reader_release(c);
    return page;
}

struct status_arg {
    const char *id;
    enum task_status to;
    const char *due; /* moved too when set */
};

static enum err status_run(struct store_conn *c, void *arg)
{
    struct status_arg *a = arg;
    struct task_patch p = {.has_status = true, .status = a->to};
    if (a->due) {
        p.has_due_date = true;
        snprintf(p.due_date, sizeof p.due_date, "%s", a->due);
    }
    struct task out;
    bool changed;
    struct errinfo e = {0};
    enum err rc = service_task_patch(c, a->id, &p, -1, "sta_anna", clock_now_ms(), &out, &changed, &e);
    if (rc == ERR_OK) task_clear(&out);
    return rc;
}

static void set_status(const char *task_id, enum task_status to)
{
    struct status_arg a = {task_id, to, NULL};
    cr_assert_eq(store_run(S, status_run, &a), ERR_OK);
}

/* ---- tests -------------------------------------------------------------------- */

Test(renewals_engine, the_day_before_a_threshold_nothing_happens_and_on_its_day_a_task_is_created)
{
    char exp[DATE_SIZE];
    date_in(91, exp);
    put_item("ren_a", "cus_one", exp, NULL);
    run();
    cr_expect_eq(R->n_created, 0, "91 days before expiry: no threshold crossed");
    struct task_page p = tasks_of("ren_a");
    cr_expect_eq(p.n, 0);
    store_task_page_free(&p);

    at_day(1); /* 90 days before */
    run();
    cr_expect_eq(R->n_created, 1);
    p = tasks_of("ren_a");
    cr_assert_eq(p.n, 1);
    struct task *t = &p.items[0];
    cr_expect_eq(t->source, SOURCE_RENEWAL);
    cr_expect_str_eq(t->renewal_id, "ren_a");
    cr_expect_str_eq(t->user_id, "cus_one");
    cr_expect_str_eq(t->assignee_id, "sta_anna", "the customer's owner when the item has no assignee");
    cr_expect_eq(t->priority, PRIORITY_LOW);
    char due[DATE_SIZE];
    date_in(30, due);
    cr_expect_str_eq(t->due_date, due, "crossing day + 30");
    char title[300];
    snprintf(title, sizeof title, "Renew residence_permit for Customer One (expires %s)", exp);
    cr_expect_str_eq(t->title, title);
    store_task_page_free(&p);

    run(); /* the same day again: nothing new */
    cr_expect_eq(R->n_created + R->n_escalated, 0);
}

Test(renewals_engine, catch_up_after_downtime_creates_one_task_for_the_most_urgent_threshold)
{
    char exp[DATE_SIZE];
    date_in(100, exp);
    put_item("ren_b", "cus_one", exp, "sta_bo");
    at_day(80); /* down for 80 days: 90, 60 and 30 crossed; expiry in 20 days */
    run();
    cr_expect_eq(R->n_created, 1);
    cr_expect_eq(R->n_escalated, 0);
    cr_expect_eq(R->created[0].days_before, 30);
    struct task_page p = tasks_of("ren_b");
    cr_assert_eq(p.n, 1);
    cr_expect_eq(p.items[0].priority, PRIORITY_HIGH);
    cr_expect_str_eq(p.items[0].assignee_id, "sta_bo");
    store_task_page_free(&p);
}

Test(renewals_engine, an_active_task_is_escalated_instead_of_a_second_one)
{
    char exp[DATE_SIZE];
    date_in(30, exp);
    put_item("ren_c", "cus_one", exp, NULL);
    run();
    cr_expect_eq(R->n_created, 1);
    struct task_page p = tasks_of("ren_c");
    cr_assert_eq(p.n, 1);
    char id[TASK_ID_SIZE];
    memcpy(id, p.items[0].id, TASK_ID_SIZE);
    char later[DATE_SIZE];
    date_in(25, later);
    struct status_arg a = {id, TASK_IN_PROGRESS, later}; /* an agent started it and moved its due date out */
    cr_assert_eq(store_run(S, status_run, &a), ERR_OK);
    store_task_page_free(&p);

    at_day(16); /* 14 days before */
    run();
    cr_expect_eq(R->n_created, 0);
    cr_expect_eq(R->n_escalated, 1);
    cr_expect_str_eq(R->escalated[0].task_id, id);
    p = tasks_of("ren_c");
    cr_assert_eq(p.n, 1, "no second task");
    struct task *t = &p.items[0];
    cr_expect_eq(t->priority, PRIORITY_URGENT);
    char due[DATE_SIZE];
    date_in(2, due);
    cr_expect_str_eq(t->due_date, due, "pulled in to the crossing day + 2");
    cr_expect(t->has_sla);
    cr_expect_eq(t->status, TASK_IN_PROGRESS, "escalation leaves the work status alone");
    store_task_page_free(&p);

    struct store_conn *c = store_reader_acquire(S);
    struct history_entry *h;
    int n;
    cr_assert_eq(store_history_list(c, id, &h, &n), ERR_OK);
    store_reader_release(c);
    int by_engine = 0;
    for (int i = 0; i < n; i++) by_engine += strcmp(h[i].actor, SERVICE_RENEWAL_ACTOR) == 0;
    /* created, priority, due_date, sla_hours, the SLA clock restarted at the
     * escalation (SLA clocks), and the sla_due_at it moved (SLA tracking) */
    cr_expect_eq(by_engine, 6, "created + priority + due_date + sla_hours + sla_started_at + sla_due_at lines by renewals");
    store_history_free(h, n);
}

Test(renewals_engine, a_completed_task_means_the_next_threshold_creates_a_new_one)
{
    char exp[DATE_SIZE];
    date_in(60, exp);
    put_item("ren_d", "cus_one", exp, NULL);
    run();
    struct task_page p = tasks_of("ren_d");
    cr_assert_eq(p.n, 1);
    set_status(p.items[0].id, TASK_COMPLETED);
    store_task_page_free(&p);
    at_day(30);
    run();
    cr_expect_eq(R->n_created, 1);
    cr_expect_eq(R->n_escalated, 0);
    p = tasks_of("ren_d");
    cr_expect_eq(p.n, 2);
    cr_expect_eq(p.items[1].priority, PRIORITY_HIGH);
    store_task_page_free(&p);
}

Test(renewals_engine, a_new_expiry_date_starts_the_thresholds_over)
{
    char exp[DATE_SIZE];
    date_in(10, exp);
    put_item("ren_e", "cus_one", exp, NULL);
    run();
    cr_expect_eq(R->n_created, 1, "the 14-day threshold");
    struct task_page p = tasks_of("ren_e");
    set_status(p.items[0].id, TASK_COMPLETED); /* the permit was renewed */
    store_task_page_free(&p);

    char renewed[DATE_SIZE];
    date_in(365, renewed);
    put_item("ren_e", "cus_one", renewed, NULL);
    run();
    cr_expect_eq(R->n_created + R->n_escalated, 0, "a year to go: nothing yet");
    at_day(365 - 90);
    run();
    cr_expect_eq(R->n_created, 1);
    cr_expect_str_eq(R->created[0].expires_on, renewed);
    cr_expect_eq(R->created[0].days_before, 90);
}

Test(renewals_engine, today_is_the_servers_timezone_day)
{
    /* 2026-06-09T15:30Z is already 2026-06-10 in Tokyo (UTC+9) */
    clock_set_ms(NOW - 17 * HOUR - 30 * 60000);
    put_item("ren_f", "cus_one", "2026-09-08", NULL); /* 90 days after 2026-06-10 */
    run();
    cr_expect_eq(R->n_created, 0, "in UTC it is still 2026-06-09");
    cr_assert_eq(dates_set_timezone("Asia/Tokyo"), 0);
    run();
    cr_expect_eq(R->n_created, 1, "in Tokyo the 90-day threshold day has begun");
}

static enum err deactivate_bo(struct store_conn *c, void *arg)
{
    (void)arg;
    bool created;
    struct staff b = {.id = "sta_bo", .name = "Bo", .active = false, .created_at = NOW, .updated_at = NOW};
    return store_staff_put(c, &b, &created);
}

Test(renewals_engine, assignee_falls_back_to_the_owner_then_to_nobody)
{
    char exp[DATE_SIZE];
    date_in(20, exp);
    put_item("ren_g", "cus_one", exp, "sta_bo");
    put_item("ren_h", "cus_lone", exp, NULL);
    cr_assert_eq(store_run(S, deactivate_bo, NULL), ERR_OK); /* sta_bo leaves before the engine runs */
    run();
    struct task_page p = tasks_of("ren_g");
    cr_assert_eq(p.n, 1);
    cr_expect_str_eq(p.items[0].assignee_id, "sta_anna", "the owner, since the item's assignee is inactive");
    store_task_page_free(&p);
    p = tasks_of("ren_h");
    cr_assert_eq(p.n, 1);
    cr_expect_str_eq(p.items[0].assignee_id, "", "no assignee and no owner: unassigned");
    store_task_page_free(&p);
}

static enum err insert_action_twice(struct store_conn *c, void *arg)
{
    enum err *second = arg;
    enum err rc = store_renewal_action_insert(c, "ren_x", "2027-03-01", 30, "created", "tsk_x", NOW);
    if (rc != ERR_OK) return rc;
    *second = store_renewal_action_insert(c, "ren_x", "2027-03-01", 30, "created", "tsk_y", NOW);
    return ERR_OK;
}

Test(renewals_engine, the_database_refuses_a_second_action_for_the_same_key)
{
    enum err second = ERR_OK;
    cr_assert_eq(store_run(S, insert_action_twice, &second), ERR_OK);
    cr_expect_eq(second, ERR_DUPLICATE);
}

static void *pass(void *arg)
{
    struct renewal_pass_report *r = arg;
    renewal_pass_run(S, r);
    return NULL;
}

Test(renewals_engine, two_passes_at_once_act_once)
{
    char exp[DATE_SIZE];
    date_in(20, exp);
    char id[32];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "ren_many_%02d", i);
        put_item(id, "cus_one", exp, NULL);
    }
    struct renewal_pass_report *r2 = calloc(1, sizeof *r2);
    cr_assert_not_null(r2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, pass, R);
    pthread_create(&t2, NULL, pass, r2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    cr_expect_eq(R->n_created + r2->n_created, 50);
    free(r2);
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "ren_many_%02d", i);
        struct task_page p = tasks_of(id);
        cr_expect_eq(p.n, 1, "%s", id);
        store_task_page_free(&p);
    }
}

static enum err delete_run(struct store_conn *c, void *arg) { return store_renewal_delete(c, arg); }

Test(renewals_engine, deleting_an_item_leaves_its_tasks_and_readding_it_acts_nothing_twice)
{
    char exp[DATE_SIZE];
    date_in(20, exp);
    put_item("ren_i", "cus_one", exp, NULL);
    run();
    cr_expect_eq(R->n_created, 1);
    cr_assert_eq(store_run(S, delete_run, "ren_i"), ERR_OK);
    struct task_page p = tasks_of("ren_i");
    cr_expect_eq(p.n, 1);
    set_status(p.items[0].id, TASK_CANCELLED);
    store_task_page_free(&p);
    put_item("ren_i", "cus_one", exp, NULL);
    run();
    cr_expect_eq(R->n_created + R->n_escalated, 0, "the 30-day action for this expiry date was taken already");
}

static enum err put_many(struct store_conn *c, void *arg)
{
    const char *exp = arg;
    for (int i = 0; i < RENEWAL_PASS_REPORT_MAX + 1; i++) {
        struct renewal_item it = {0};
        snprintf(it.id, sizeof it.id, "ren_bulk_%04d", i);
        snprintf(it.customer_id, sizeof it.customer_id, "cus_one");
        snprintf(it.kind, sizeof it.kind, "passport");
        snprintf(it.expires_on, sizeof it.expires_on, "%s", exp);
        bool created, changed;
        struct errinfo e = {0};
        enum err rc = service_renewal_put(c, &it, clock_now_ms(), &created, &changed, &e);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

Test(renewals_engine, a_pass_lists_at_most_1000_outcomes_of_a_kind_and_counts_them_all)
{
    char exp[DATE_SIZE];
    date_in(20, exp);
    cr_assert_eq(store_run(S, put_many, exp), ERR_OK);
    run();
    cr_expect_eq(R->n_created, RENEWAL_PASS_REPORT_MAX + 1);
    cr_expect_eq(R->n_created_listed, RENEWAL_PASS_REPORT_MAX);
    cr_expect_eq(R->n_examined, RENEWAL_PASS_REPORT_MAX + 1, "each due item examined once");
    run();
    cr_expect_eq(R->n_created + R->n_escalated, 0);
    cr_expect_eq(R->n_examined, 0, "nothing is due any more: the index finds no item");
}
