/* Unit tests of service/renewals on a real store: putting a renewable item
 * checks its references, so an item cannot move to another customer and an
 * inactive staff member cannot be its assignee. The clock is frozen at NOW. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "service/renewals.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */

static struct store *S;

#include "renewals_fixture.h"

static void setup(void)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(NULL);
    cr_assert_eq(store_run(S, seed_people, NULL), ERR_OK);
}

static void teardown(void)
{
    test_store_drop(S);
    S = NULL;
    clock_set_ms(0);
}

TestSuite(renewals_service, .init = setup, .fini = teardown);

Test(renewals_service, an_item_under_another_customer_or_with_an_inactive_assignee_is_refused)
{
    put_item("ren_j", "cus_one", "2027-03-01", NULL);
    struct put_arg p = {0};
    snprintf(p.it.id, sizeof p.it.id, "ren_j");
    snprintf(p.it.customer_id, sizeof p.it.customer_id, "cus_lone");
    snprintf(p.it.kind, sizeof p.it.kind, "passport");
    snprintf(p.it.expires_on, sizeof p.it.expires_on, "2027-03-01");
    cr_expect_eq(store_run(S, put_run, &p), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(p.e.field, "id");
    struct put_arg q = {0};
    snprintf(q.it.id, sizeof q.it.id, "ren_k");
    snprintf(q.it.customer_id, sizeof q.it.customer_id, "cus_one");
    snprintf(q.it.kind, sizeof q.it.kind, "passport");
    snprintf(q.it.expires_on, sizeof q.it.expires_on, "2027-03-01");
    snprintf(q.it.assignee_id, sizeof q.it.assignee_id, "sta_gone");
    cr_expect_eq(store_run(S, put_run, &q), ERR_UNKNOWN_STAFF);
    cr_expect_str_eq(q.e.field, "assignee_id");
}

/* The tests below run on every backend (BACKEND_TEST): the store ops of
 * GET /ops/renewals, and the engine's action on an expired item. */
static void setup_on(const struct backend_fixture *fx)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(fx);
    cr_assert_eq(store_run(S, seed_people, NULL), ERR_OK);
}

/* store_renewal_list_all on a reader: every customer's items. */
static int list_all(const struct renewal_query *q, struct renewal_row **rows)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert(c);
    int n = 0;
    cr_assert_eq(store_renewal_list_all(c, q, rows, &n), ERR_OK);
    store_reader_release(c);
    return n;
}

struct act_arg {
    const char *id;
    struct renewal_outcome out;
};

static enum err act_run(struct store_conn *c, void *arg)
{
    struct act_arg *a = arg;
    struct renewal_policy p;
    enum err rc = store_renewal_policy_get(c, &p);
    return rc == ERR_OK ? service_renewal_act(c, a->id, &p, clock_now_ms(), &a->out) : rc;
}

BACKEND_TEST(renewals_list, the_list_across_customers_is_by_expiry_with_names_actions_and_newest_task, setup_on,
             teardown)
{
    put_item("ren_b", "cus_one", "2026-12-01", NULL);
    put_item("ren_a", "cus_lone", "2026-06-30", NULL); /* 20 days out: the 30-day threshold acts */
    put_item("ren_c", "cus_lone", "2026-12-01", NULL);
    struct act_arg a = {.id = "ren_a"};
    cr_assert_eq(store_run(S, act_run, &a), ERR_OK);
    cr_assert_eq(a.out.action, RENEWAL_CREATED);

    struct renewal_query q = {.limit = 10};
    struct renewal_row *rows;
    int n = list_all(&q, &rows);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(rows[0].item.id, "ren_a");
    cr_expect_str_eq(rows[1].item.id, "ren_b");
    cr_expect_str_eq(rows[2].item.id, "ren_c");
    cr_expect_str_eq(rows[0].customer_name, "Lone");
    cr_expect_str_eq(rows[1].customer_name, "Customer One");
    cr_expect_eq(rows[0].acted_min, 30);
    cr_expect_eq(rows[1].acted_min, RENEWAL_NONE_ACTED);
    cr_expect_str_eq(rows[0].task_id, a.out.task_id);
    cr_expect_eq(rows[0].task_status, TASK_OPEN);
    cr_expect_str_eq(rows[0].task_due, "2026-06-17");
    cr_expect_str_eq(rows[1].task_id, "");
    free(rows);

    /* the cursor, strictly after (expires_on, id) */
    snprintf(q.after_expires, sizeof q.after_expires, "2026-12-01");
    snprintf(q.after_id, sizeof q.after_id, "ren_b");
    n = list_all(&q, &rows);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(rows[0].item.id, "ren_c");
    free(rows);

    /* filters: customer, kind, exclusive dates */
    struct renewal_query f = {.limit = 10};
    snprintf(f.user_id, sizeof f.user_id, "cus_lone");
    n = list_all(&f, &rows);
    cr_expect_eq(n, 2);
    free(rows);
    snprintf(f.expires_after, sizeof f.expires_after, "2026-06-30");
    n = list_all(&f, &rows);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(rows[0].item.id, "ren_c");
    free(rows);
    struct renewal_query g = {.limit = 10};
    snprintf(g.expires_before, sizeof g.expires_before, "2026-12-01");
    n = list_all(&g, &rows);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(rows[0].item.id, "ren_a");
    free(rows);
    snprintf(g.kind, sizeof g.kind, "passport");
    cr_expect_eq(list_all(&g, &rows), 0);
    free(rows);
}

BACKEND_TEST(renewals_list, an_item_expired_when_first_acted_on_gets_an_urgent_task_due_today, setup_on, teardown)
{
    put_item("ren_x", "cus_one", "2026-06-01", NULL);
    struct act_arg a = {.id = "ren_x"};
    cr_assert_eq(store_run(S, act_run, &a), ERR_OK);
    cr_assert_eq(a.out.action, RENEWAL_CREATED);
    cr_expect_eq(a.out.days_before, 14);
    struct store_conn *c = store_reader_acquire(S);
    struct task t;
    cr_assert_eq(store_task_get(c, a.out.task_id, &t), ERR_OK);
    store_reader_release(c);
    cr_expect_str_eq(t.due_date, "2026-06-10");
    cr_expect_eq(t.priority, PRIORITY_URGENT);
    cr_assert(t.description);
    cr_expect(strstr(t.description, "Residence permit of Customer One expired 9 days ago (on 2026-06-01)."), "%s",
              t.description);
    task_clear(&t);
}
