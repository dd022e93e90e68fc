/* store_fixture.h: what the store conformance suite (store/test_conformance.c)
 * and the service tests on a real store (service/test_tasks.c) share: one
 * fresh database per test of each backend row (backends.h), the clock frozen
 * at NOW, 2026-06-10T09:00:00Z, in UTC ("today" is 2026-06-10, so a task due
 * 2026-06-09 or earlier reads OVERDUE), and helpers that write through
 * store_run like the server and read through a pooled reader connection.
 * Header-only: each test file gets its own S; unused helpers cost nothing. */
#ifndef OPSTASKS_TEST_STORE_FIXTURE_H
#define OPSTASKS_TEST_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */
#define TODAY "2026-06-10"
#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define ACTOR "sta_tester"

static struct store *S;

static inline void setup(const struct backend_fixture *fx)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(fx);
}

static inline void teardown(void)
{
    test_store_drop(S);
    S = NULL;
    clock_set_ms(0);
    dates_set_timezone("UTC");
}

/* Every test of both suites runs once per backend of tests/unit/backends.c. */
#define STORE_TEST(suite, name) BACKEND_TEST(suite, name, setup, teardown)

/* ---- helpers: people ---- */

struct put_staff { const char *id, *name, *email; bool active; int64_t at; bool created; };
static inline enum err do_put_staff(struct store_conn *c, void *arg)
{
    struct put_staff *p = arg;
    struct staff st = {.name = (char *)p->name, .email = (char *)p->email, .active = p->active, .updated_at = p->at};
    snprintf(st.id, sizeof st.id, "%s", p->id);
    return store_staff_put(c, &st, &p->created);
}
static inline bool put_staff(const char *id, bool active)
{
    struct put_staff p = {.id = id, .name = "Staff", .active = active, .at = clock_now_ms()};
    cr_assert_eq(store_run(S, do_put_staff, &p), ERR_OK);
    return p.created;
}

struct put_customer { const char *id, *name, *email, *owner; int64_t at; bool created; };
static inline enum err do_put_customer(struct store_conn *c, void *arg)
{
    struct put_customer *p = arg;
    struct customer cu = {.name = (char *)p->name, .email = (char *)p->email, .updated_at = p->at};
    snprintf(cu.id, sizeof cu.id, "%s", p->id);
    snprintf(cu.owner_id, sizeof cu.owner_id, "%s", p->owner ? p->owner : "");
    return store_customer_put(c, &cu, &p->created);
}
static inline bool put_customer(const char *id)
{
    struct put_customer p = {.id = id, .name = "Customer", .at = clock_now_ms()};
    cr_assert_eq(store_run(S, do_put_customer, &p), ERR_OK);
    return p.created;
}

/* ---- helpers: reads ---- */

static inline enum err get_task(const char *id, struct task *out)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    enum err rc = store_task_get(c, id, out);
    store_reader_release(c);
    return rc;
}

static inline struct task get(const char *id)
{
    struct task t;
    cr_assert_eq(get_task(id, &t), ERR_OK, "task %s", id);
    return t;
}

static inline int history(const char *id, struct history_entry **h)
{
    struct store_conn *c = store_reader_acquire(S);
    int n = -1;
    cr_assert_eq(store_history_list(c, id, h, &n), ERR_OK);
    store_reader_release(c);
    return n;
}

static inline struct task_stats stats(const struct task_filter *f, const char *today, int64_t now)
{
    struct task_stats st;
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_eq(store_task_stats(c, f, today, now, &st), ERR_OK);
    store_reader_release(c);
    return st;
}


static inline int overdue_unrecorded(const char *today, int limit, char ***ids)
{
    struct store_conn *c = store_reader_acquire(S);
    int n = -1;
    cr_assert_eq(store_task_overdue_unrecorded(c, today, limit, ids, &n), ERR_OK);
    store_reader_release(c);
    return n;
}

static inline void free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

#endif
