/* Conformance tests of the storage interface's browser sessions (issue 6,
 * migration 007): a session is found by its hash until it expires, stands
 * for its token, is gone after delete, and purge clears expired ones a
 * bounded batch at a time. Fresh database per test, writes through store_run,
 * the clock frozen at NOW. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */
#define HOUR 3600000LL

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

/* part of the store conformance suite: every test runs once per backend */
#define SESSION_TEST(name) BACKEND_TEST(session_store, name, setup, teardown)

static enum err seed(struct store_conn *c, void *arg)
{
    (void)arg;
    struct token t = {.id = "tok_web", .role = ROLE_AGENT, .staff_id = "sta_anna", .name = "desk"};
    unsigned char th[32], h[32];
    memset(th, 1, 32);
    enum err rc = store_token_insert(c, &t, th, NOW);
    /* sessions 10..14: 10 and 11 expired an hour ago, the rest live */
    for (int i = 10; rc == ERR_OK && i < 15; i++) {
        memset(h, i, 32);
        rc = store_session_insert(c, h, "tok_web", NOW - 13 * HOUR, i < 12 ? NOW - HOUR : NOW + HOUR);
    }
    return rc;
}

static enum err find(const unsigned char h[32], int64_t now, struct token *out)
{
    struct store_conn *c = store_reader_acquire(S);
    enum err rc = store_session_find(c, h, now, out);
    store_reader_release(c);
    return rc;
}

SESSION_TEST(a_live_session_stands_for_its_token)
{
    cr_assert_eq(store_run(S, seed, NULL), ERR_OK);
    unsigned char h[32];
    memset(h, 12, 32);
    struct token t;
    cr_assert_eq(find(h, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "tok_web");
    cr_expect_eq(t.role, ROLE_AGENT);
    cr_expect_str_eq(t.staff_id, "sta_anna");
    cr_expect_str_eq(t.name, "desk");
}

SESSION_TEST(an_expired_or_unknown_session_is_not_found)
{
    cr_assert_eq(store_run(S, seed, NULL), ERR_OK);
    unsigned char h[32];
    struct token t;
    memset(h, 10, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
    memset(h, 12, 32);
    cr_expect_eq(find(h, NOW + HOUR, &t), ERR_NOT_FOUND, "expires_at itself is past");
    memset(h, 99, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
}

static enum err del(struct store_conn *c, void *arg) { return store_session_delete(c, arg); }

SESSION_TEST(a_deleted_session_is_gone_and_deleting_twice_is_fine)
{
    cr_assert_eq(store_run(S, seed, NULL), ERR_OK);
    unsigned char h[32];
    memset(h, 13, 32);
    cr_assert_eq(store_run(S, del, h), ERR_OK);
    struct token t;
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(store_run(S, del, h), ERR_OK);
    memset(h, 14, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_OK, "the others stay");
}

struct purge { int limit; int64_t purged; };
static enum err purge(struct store_conn *c, void *arg)
{
    struct purge *p = arg;
    return store_session_purge(c, NOW, p->limit, &p->purged);
}

SESSION_TEST(purge_removes_only_expired_sessions_a_batch_at_a_time)
{
    cr_assert_eq(store_run(S, seed, NULL), ERR_OK);
    struct purge p = {.limit = 1};
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 1);
    p.limit = 100;
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 1);
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 0);
    unsigned char h[32];
    struct token t;
    for (int i = 12; i < 15; i++) {
        memset(h, i, 32);
        cr_expect_eq(find(h, NOW, &t), ERR_OK, "live session %d kept", i);
    }
}

static enum err orphan(struct store_conn *c, void *arg)
{
    (void)arg;
    unsigned char h[32];
    memset(h, 50, 32);
    return store_session_insert(c, h, "tok_nobody", NOW, NOW + HOUR);
}

SESSION_TEST(a_session_needs_an_existing_token)
{
    cr_expect_neq(store_run(S, orphan, NULL), ERR_OK);
}
