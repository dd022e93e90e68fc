/* Conformance tests of the webhooks' store ops on every backend: the outbox
 * (a row per active, subscribed webhook), the claim (leases that never hand
 * one delivery to two owners, only the oldest pending one of each webhook
 * and task, taken over once a lease ran out), results under the lease they
 * were claimed with, redelivery, and the newest-first list with attempts. */
#include "store_fixture.h"

#include "service/announce.h"
#include "service/webhooks.h"

#define TYPE_BIT(t) webhooks_type_bit(t)

struct put_hook { struct webhook_row w; bool created; };
static enum err do_put_hook(struct store_conn *c, void *arg)
{
    struct put_hook *p = arg;
    return store_webhook_put(c, &p->w, &p->created);
}

static void put_hook(const char *id, int64_t mask, bool active)
{
    struct put_hook p = {0};
    snprintf(p.w.id, sizeof p.w.id, "%s", id);
    snprintf(p.w.url, sizeof p.w.url, "http://127.0.0.1:9/%s", id);
    snprintf(p.w.events, sizeof p.w.events, "[]");
    snprintf(p.w.secret, sizeof p.w.secret, "secret of %s", id);
    p.w.event_mask = mask;
    p.w.active = active;
    p.w.updated_at = clock_now_ms();
    cr_assert_eq(store_run(S, do_put_hook, &p), ERR_OK);
}

struct add { int type; const char *task; int added; };
static enum err do_add(struct store_conn *c, void *arg)
{
    struct add *a = arg;
    return store_webhook_outbox_add(c, TYPE_BIT(a->type), announce_type_name((enum announce_type)a->type), a->task,
                                    clock_now_ms(), "{\"task_id\":\"x\"}", clock_now_ms(), &a->added);
}

static int add(int type, const char *task)
{
    struct add a = {.type = type, .task = task};
    cr_assert_eq(store_run(S, do_add, &a), ERR_OK);
    return a.added;
}

struct claim { const char *owner; int64_t now, until; int limit; struct webhook_claim *out; int n; };
static enum err do_claim(struct store_conn *c, void *arg)
{
    struct claim *k = arg;
    return store_webhook_claim(c, k->owner, k->now, k->until, k->limit, &k->out, &k->n);
}

/* Claims for owner at now; the caller frees k.out. */
static struct claim claim(const char *owner, int64_t now, int limit)
{
    struct claim k = {.owner = owner, .now = now, .until = now + 30000, .limit = limit};
    cr_assert_eq(store_run(S, do_claim, &k), ERR_OK);
    return k;
}

struct result { const char *owner; struct webhook_result r; };
static enum err do_result(struct store_conn *c, void *arg)
{
    struct result *x = arg;
    return store_webhook_result(c, x->owner, &x->r);
}

static void result(const char *owner, const char *id, int status, const char *state, int64_t next_at)
{
    struct result x = {.owner = owner};
    snprintf(x.r.id, sizeof x.r.id, "%s", id);
    x.r.attempt.at = clock_now_ms();
    x.r.attempt.status_code = status;
    x.r.attempt.ms = 7;
    snprintf(x.r.attempt.response, sizeof x.r.attempt.response, "answer %d", status);
    x.r.state = state;
    x.r.next_at = next_at;
    cr_assert_eq(store_run(S, do_result, &x), ERR_OK);
}

static struct webhook_delivery delivery(const char *hook, const char *id)
{
    struct store_conn *c = store_reader_acquire(S);
    struct webhook_delivery d;
    cr_assert_eq(store_webhook_delivery_get(c, hook, id, &d), ERR_OK);
    store_reader_release(c);
    return d;
}

STORE_TEST(webhook_store, the_outbox_has_a_row_for_each_active_webhook_subscribed_to_the_type)
{
    put_hook("whk_a", TYPE_BIT(ANN_TASK_CREATED) | TYPE_BIT(ANN_TASK_UPDATED), true);
    put_hook("whk_b", TYPE_BIT(ANN_TASK_CREATED), true);
    put_hook("whk_off", TYPE_BIT(ANN_TASK_CREATED), false);
    cr_expect_eq(add(ANN_TASK_CREATED, "tsk_1"), 2);
    cr_expect_eq(add(ANN_TASK_UPDATED, "tsk_1"), 1);
    cr_expect_eq(add(ANN_COMMENT_CREATED, "tsk_1"), 0);
    struct store_conn *c = store_reader_acquire(S);
    int64_t active = 0;
    cr_expect_eq(store_webhook_active_count(c, &active), ERR_OK);
    cr_expect_eq(active, 2);
    struct webhook_delivery *d = NULL;
    int n = 0;
    cr_assert_eq(store_webhook_deliveries(c, "whk_a", NULL, 10, &d, &n), ERR_OK);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(d[0].event_type, "task.updated"); /* newest first */
    cr_expect_str_eq(d[1].event_type, "task.created");
    cr_expect_str_eq(d[0].state, "pending");
    cr_expect_eq(strlen(d[0].id), 30);
    cr_expect_str_neq(d[0].id, d[1].id);
    char second[WEBHOOK_DELIVERY_ID_SIZE];
    memcpy(second, d[0].id, sizeof second);
    free(d);
    cr_assert_eq(store_webhook_deliveries(c, "whk_a", second, 10, &d, &n), ERR_OK);
    cr_expect_eq(n, 1);
    cr_expect_str_eq(d[0].event_type, "task.created");
    free(d);
    cr_assert_eq(store_webhook_deliveries(c, "whk_b", NULL, 10, &d, &n), ERR_OK);
    cr_expect_eq(n, 1);
    free(d);
    store_reader_release(c);
}

STORE_TEST(webhook_store, a_claim_takes_each_delivery_once_and_only_the_oldest_of_each_task)
{
    put_hook("whk_a", TYPE_BIT(ANN_TASK_CREATED) | TYPE_BIT(ANN_TASK_UPDATED), true);
    add(ANN_TASK_CREATED, "tsk_1");
    add(ANN_TASK_UPDATED, "tsk_1");
    add(ANN_TASK_CREATED, "tsk_2");
    int64_t now = clock_now_ms();
    struct claim one = claim("one:1", now, 10);
    cr_assert_eq(one.n, 2, "the oldest of tsk_1 and tsk_2's only one");
    cr_expect_str_eq(one.out[0].event_type, "task.created");
    cr_expect_str_eq(one.out[0].url, "http://127.0.0.1:9/whk_a");
    cr_expect_str_eq(one.out[0].secret, "secret of whk_a");
    cr_expect_str_eq(one.out[0].data, "{\"task_id\":\"x\"}");
    struct claim two = claim("two:1", now, 10);
    cr_expect_eq(two.n, 0, "leased, and tsk_1's next waits for its first");
    /* tsk_1's first delivered: its update is claimable */
    result("one:1", one.out[0].id, 200, "delivered", now);
    struct claim three = claim("two:2", now, 10);
    cr_assert_eq(three.n, 1);
    cr_expect_str_eq(three.out[0].event_type, "task.updated");
    /* the lease of tsk_2's delivery runs out: another owner takes it over */
    struct claim late = claim("two:3", now + 30001, 10);
    cr_assert_eq(late.n, 2);
    /* the first owner's late result is kept as an attempt but moves nothing */
    result("one:1", one.out[1].id, 500, "failed", now);
    struct webhook_delivery d = delivery("whk_a", one.out[1].id);
    cr_expect_str_eq(d.state, "pending");
    result("two:3", one.out[1].id, 200, "delivered", now);
    d = delivery("whk_a", one.out[1].id);
    cr_expect_str_eq(d.state, "delivered");
    cr_expect_eq(d.tries, 1);
    struct store_conn *c = store_reader_acquire(S);
    struct webhook_attempt *a = NULL;
    int n = 0;
    cr_assert_eq(store_webhook_attempts(c, one.out[1].id, 10, &a, &n), ERR_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(a[0].n, 1);
    cr_expect_eq(a[0].status_code, 500);
    cr_expect_eq(a[1].status_code, 200);
    cr_expect_str_eq(a[1].response, "answer 200");
    free(a);
    store_reader_release(c);
    store_webhook_claims_free(one.out, one.n);
    store_webhook_claims_free(two.out, two.n);
    store_webhook_claims_free(three.out, three.n);
    store_webhook_claims_free(late.out, late.n);
}

STORE_TEST(webhook_store, a_retry_waits_for_its_time_and_a_redelivery_starts_again)
{
    put_hook("whk_a", TYPE_BIT(ANN_TASK_CREATED), true);
    add(ANN_TASK_CREATED, "tsk_1");
    int64_t now = clock_now_ms();
    struct claim k = claim("o:1", now, 10);
    cr_assert_eq(k.n, 1);
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    memcpy(id, k.out[0].id, sizeof id);
    store_webhook_claims_free(k.out, k.n);
    result("o:1", id, 0, "pending", now + 2000);
    struct store_conn *c = store_reader_acquire(S);
    bool due = true;
    cr_expect_eq(store_webhook_due(c, now + 1999, &due), ERR_OK);
    cr_expect(!due);
    cr_expect_eq(store_webhook_due(c, now + 2000, &due), ERR_OK);
    cr_expect(due);
    store_reader_release(c);
    k = claim("o:2", now + 1999, 10);
    cr_expect_eq(k.n, 0);
    store_webhook_claims_free(k.out, k.n);
    k = claim("o:3", now + 2000, 10);
    cr_assert_eq(k.n, 1);
    cr_expect_eq(k.out[0].tries, 1);
    store_webhook_claims_free(k.out, k.n);
    result("o:3", id, 0, "failed", now + 2000);
    cr_expect_str_eq(delivery("whk_a", id).state, "failed");
    k = claim("o:4", now + 5000, 10);
    cr_expect_eq(k.n, 0, "a failed delivery is not tried again");
    store_webhook_claims_free(k.out, k.n);
}

static enum err do_redeliver(struct store_conn *c, void *arg)
{
    return store_webhook_redeliver(c, "whk_a", arg, clock_now_ms());
}
static enum err do_redeliver_other(struct store_conn *c, void *arg)
{
    return store_webhook_redeliver(c, "whk_b", arg, clock_now_ms());
}
static enum err do_delete(struct store_conn *c, void *arg) { return store_webhook_delete(c, arg); }

STORE_TEST(webhook_store, redeliver_makes_a_delivery_pending_again_and_delete_takes_its_deliveries)
{
    put_hook("whk_a", TYPE_BIT(ANN_TASK_CREATED), true);
    put_hook("whk_b", TYPE_BIT(ANN_TASK_CREATED), true);
    add(ANN_TASK_CREATED, "tsk_1");
    int64_t now = clock_now_ms();
    struct claim k = claim("o:1", now, 10);
    cr_assert_eq(k.n, 2);
    char id[WEBHOOK_DELIVERY_ID_SIZE];
    for (int i = 0; i < k.n; i++)
        if (strcmp(k.out[i].webhook_id, "whk_a") == 0) memcpy(id, k.out[i].id, sizeof id);
    for (int i = 0; i < k.n; i++) result("o:1", k.out[i].id, 200, "delivered", now);
    store_webhook_claims_free(k.out, k.n);
    cr_expect_eq(store_run(S, do_redeliver_other, id), ERR_NOT_FOUND);
    cr_expect_eq(store_run(S, do_redeliver, "dlv_nope"), ERR_NOT_FOUND);
    cr_assert_eq(store_run(S, do_redeliver, id), ERR_OK);
    struct webhook_delivery d = delivery("whk_a", id);
    cr_expect_str_eq(d.state, "pending");
    cr_expect_eq(d.tries, 0);
    k = claim("o:2", now, 10);
    cr_assert_eq(k.n, 1);
    cr_expect_str_eq(k.out[0].id, id);
    store_webhook_claims_free(k.out, k.n);
    cr_assert_eq(store_run(S, do_delete, "whk_a"), ERR_OK);
    cr_expect_eq(store_run(S, do_delete, "whk_a"), ERR_NOT_FOUND);
    struct store_conn *c = store_reader_acquire(S);
    struct webhook_delivery *list = NULL;
    int n = -1;
    cr_expect_eq(store_webhook_deliveries(c, "whk_a", NULL, 10, &list, &n), ERR_OK);
    cr_expect_eq(n, 0);
    free(list);
    struct webhook_attempt *a = NULL;
    cr_expect_eq(store_webhook_attempts(c, id, 10, &a, &n), ERR_OK);
    cr_expect_eq(n, 0);
    free(a);
    cr_expect_eq(store_webhook_deliveries(c, "whk_b", NULL, 10, &list, &n), ERR_OK);
    cr_expect_eq(n, 1);
    free(list);
    store_reader_release(c);
}

STORE_TEST(webhook_store, a_claim_leases_no_more_than_its_limit)
{
    put_hook("whk_a", TYPE_BIT(ANN_TASK_CREATED), true);
    char task[16];
    for (int i = 0; i < 40; i++) {
        snprintf(task, sizeof task, "tsk_%d", i);
        add(ANN_TASK_CREATED, task);
    }
    int64_t now = clock_now_ms();
    struct claim k = claim("o:1", now, 3);
    cr_expect_eq(k.n, 3);
    store_webhook_claims_free(k.out, k.n);
    k = claim("o:2", now, 30);
    cr_expect_eq(k.n, 30);
    store_webhook_claims_free(k.out, k.n);
    k = claim("o:3", now, 30);
    cr_expect_eq(k.n, 7, "the rest, none twice");
    store_webhook_claims_free(k.out, k.n);
}
