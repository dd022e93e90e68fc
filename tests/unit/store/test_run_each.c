/* Conformance tests of store_run_each, the store's "run these items, each on
 * its own, in batches": every item's work is kept or undone alone, results
 * say what each answered, and an item that cannot write fails the writer job
 * it is in (of the backend's each_batch items) and nothing else. The items
 * write staff rows sta_0, sta_1, ...; fresh database per test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */

static struct store *S;

static void setup(const struct backend_fixture *fx)
{
    clock_set_ms(NOW);
    S = test_store_fresh(fx);
}

static void teardown(void)
{
    test_store_drop(S);
    S = NULL;
    clock_set_ms(0);
}

#define RUN_EACH_TEST(name) BACKEND_TEST(run_each, name, setup, teardown)

/* How item i ends after writing its row: ERR_OK unless it is `fails`, which
 * answers `with` (its row written first, so undoing it is visible). */
struct plan {
    int fails;
    enum err with;
    int calls;
};

static enum err put_staff(struct store_conn *c, void *arg, int i)
{
    struct plan *p = arg;
    p->calls++;
    char id[EXT_ID_SIZE], name[32];
    snprintf(id, sizeof id, "sta_%d", i);
    snprintf(name, sizeof name, "Staff %d", i);
    struct staff st = {.name = name, .active = true, .created_at = NOW, .updated_at = NOW};
    snprintf(st.id, sizeof st.id, "%s", id);
    bool created;
    enum err rc = store_staff_put(c, &st, &created);
    if (rc != ERR_OK) return rc;
    return i == p->fails ? p->with : ERR_OK;
}

static bool stored(int i)
{
    char id[EXT_ID_SIZE];
    snprintf(id, sizeof id, "sta_%d", i);
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    struct staff st = {0};
    enum err rc = store_staff_get(c, id, &st);
    store_reader_release(c);
    cr_assert(rc == ERR_OK || rc == ERR_NOT_FOUND, "staff_get %s: %d", id, rc);
    store_staff_clear(&st);
    return rc == ERR_OK;
}

RUN_EACH_TEST(an_item_that_fails_is_undone_alone)
{
    int per = S->ops->each_batch, n = 2 * per + 3; /* three jobs, the last short */
    struct plan p = {.fails = per + 1, .with = ERR_VALIDATION_FAILED};
    enum err results[n];
    cr_assert_eq(store_run_each(S, n, put_staff, &p, results), ERR_OK);
    cr_assert_eq(p.calls, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(results[i], i == p.fails ? ERR_VALIDATION_FAILED : ERR_OK, "item %d", i);
        cr_assert_eq(stored(i), i != p.fails, "item %d", i);
    }
}

RUN_EACH_TEST(an_item_that_cannot_write_fails_its_job_and_no_other)
{
    int per = S->ops->each_batch, n = 3 * per;
    struct plan p = {.fails = per + 1, .with = ERR_UNAVAILABLE}; /* in the second job */
    enum err results[n];
    cr_assert_eq(store_run_each(S, n, put_staff, &p, results), ERR_UNAVAILABLE);
    for (int i = 0; i < n; i++) {
        bool in_failed_job = i >= per && i < 2 * per;
        cr_assert_eq(results[i], in_failed_job ? ERR_UNAVAILABLE : ERR_OK, "item %d", i);
        cr_assert_eq(stored(i), !in_failed_job, "item %d", i);
    }
    /* the job stopped at the item: the rest of it never ran */
    cr_assert_eq(p.calls, n - (per - 2));
}

RUN_EACH_TEST(results_may_be_left_out_and_no_items_is_nothing)
{
    struct plan p = {.fails = -1};
    cr_assert_eq(store_run_each(S, 0, put_staff, &p, NULL), ERR_OK);
    cr_assert_eq(p.calls, 0);
    cr_assert_eq(store_run_each(S, 7, put_staff, &p, NULL), ERR_OK);
    for (int i = 0; i < 7; i++) cr_assert(stored(i), "item %d", i);
}

RUN_EACH_TEST(refuses_when_the_store_is_stopping)
{
    store_drain(S);
    struct plan p = {.fails = -1};
    enum err results[3] = {ERR_OK, ERR_OK, ERR_OK};
    cr_assert_eq(store_run_each(S, 3, put_staff, &p, results), ERR_UNAVAILABLE);
    cr_assert_eq(p.calls, 0);
    for (int i = 0; i < 3; i++) cr_assert_eq(results[i], ERR_UNAVAILABLE);
}
