/* Unit tests of service/renewals on a real store: putting a renewable item
 * checks its references, so an item cannot move to another customer and an
 * inactive staff member cannot be its assignee. The clock is frozen at NOW. */
#include <criterion/criterion.h>
#include <stdio.h>

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
