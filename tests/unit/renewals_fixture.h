/* renewals_fixture.h: what the renewals pass tests (jobs/test_renewal_pass.c)
 * and the renewals service tests (service/test_renewals.c) share: the staff
 * and customers every test starts with, and putting an item the way the API
 * does (service_renewal_put). The includer defines `static struct store *S`
 * and NOW first; unused helpers cost nothing (static inline). */
#ifndef OPSTASKS_TEST_RENEWALS_FIXTURE_H
#define OPSTASKS_TEST_RENEWALS_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>

#include "service/renewals.h"
#include "store/store.h"
#include "util/clock.h"

/* sta_anna and sta_bo active, sta_gone inactive; cus_one owned by sta_anna,
 * cus_lone without an owner. */
static inline enum err seed_people(struct store_conn *c, void *arg)
{
    (void)arg;
    bool created;
    struct staff a = {.id = "sta_anna", .name = "Anna", .active = true, .created_at = NOW, .updated_at = NOW};
    struct staff b = {.id = "sta_bo", .name = "Bo", .active = true, .created_at = NOW, .updated_at = NOW};
    struct staff gone = {.id = "sta_gone", .name = "Gone", .active = false, .created_at = NOW, .updated_at = NOW};
    struct customer cu = {.id = "cus_one", .name = "Customer One", .owner_id = "sta_anna", .created_at = NOW,
                          .updated_at = NOW};
    struct customer lone = {.id = "cus_lone", .name = "Lone", .created_at = NOW, .updated_at = NOW};
    enum err rc = store_staff_put(c, &a, &created);
    if (rc == ERR_OK) rc = store_staff_put(c, &b, &created);
    if (rc == ERR_OK) rc = store_staff_put(c, &gone, &created);
    if (rc == ERR_OK) rc = store_customer_put(c, &cu, &created);
    if (rc == ERR_OK) rc = store_customer_put(c, &lone, &created);
    return rc;
}

struct put_arg {
    struct renewal_item it;
    struct errinfo e;
};

static inline enum err put_run(struct store_conn *c, void *arg)
{
    struct put_arg *p = arg;
    bool created, changed;
    return service_renewal_put(c, &p->it, clock_now_ms(), &created, &changed, &p->e);
}

static inline void put_item(const char *id, const char *customer, const char *expires_on, const char *assignee)
{
    struct put_arg p = {0};
    snprintf(p.it.id, sizeof p.it.id, "%s", id);
    snprintf(p.it.customer_id, sizeof p.it.customer_id, "%s", customer);
    snprintf(p.it.kind, sizeof p.it.kind, "residence_permit");
    snprintf(p.it.expires_on, sizeof p.it.expires_on, "%s", expires_on);
    snprintf(p.it.assignee_id, sizeof p.it.assignee_id, "%s", assignee ? assignee : "");
    cr_assert_eq(store_run(S, put_run, &p), ERR_OK, "%s", p.e.message);
}

#endif
