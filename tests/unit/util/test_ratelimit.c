/* Unit tests of util/ratelimit: a token bucket per key, driven by the
 * caller's clock, bounded in keys. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "util/ratelimit.h"

#define MIB (1024 * 1024)

Test(ratelimit, a_key_may_spend_its_capacity_at_once_then_waits_for_it_to_refill)
{
    struct ratelimit *l = ratelimit_new(MIB, 60000);
    int64_t retry = 0;
    for (int i = 0; i < 16; i++) cr_assert(ratelimit_take(l, "tok_a", 64 * 1024, 1000, &retry), "%d", i);
    cr_assert_not(ratelimit_take(l, "tok_a", 64 * 1024, 1000, &retry));
    /* 64 KiB of a 1 MiB/min budget comes back in 60000/16 = 3750 ms */
    cr_expect_eq(retry, 3750);
    cr_expect_not(ratelimit_take(l, "tok_a", 64 * 1024, 1000 + 3749, &retry));
    cr_expect_eq(retry, 1);
    cr_expect(ratelimit_take(l, "tok_a", 64 * 1024, 1000 + 3750, &retry));
    ratelimit_free(l);
}

Test(ratelimit, a_refused_request_spends_nothing)
{
    struct ratelimit *l = ratelimit_new(1000, 1000);
    int64_t retry = 0;
    cr_assert(ratelimit_take(l, "k", 900, 0, &retry));
    for (int i = 0; i < 50; i++) cr_assert_not(ratelimit_take(l, "k", 200, 0, &retry));
    cr_expect_eq(retry, 100);
    cr_expect(ratelimit_take(l, "k", 100, 0, &retry));
    ratelimit_free(l);
}

Test(ratelimit, keys_do_not_share_a_budget)
{
    struct ratelimit *l = ratelimit_new(100, 1000);
    int64_t retry;
    cr_assert(ratelimit_take(l, "a", 100, 0, &retry));
    cr_expect_not(ratelimit_take(l, "a", 1, 0, &retry));
    cr_expect(ratelimit_take(l, "b", 100, 0, &retry));
    ratelimit_free(l);
}

Test(ratelimit, a_budget_never_grows_past_its_capacity_and_a_long_idle_key_is_full)
{
    struct ratelimit *l = ratelimit_new(100, 1000);
    int64_t retry;
    cr_assert(ratelimit_take(l, "a", 1, 0, &retry));
    /* a day idle: full, not 86,400 times full (and no overflow) */
    cr_assert(ratelimit_take(l, "a", 100, 86400000, &retry));
    cr_expect_not(ratelimit_take(l, "a", 1, 86400000, &retry));
    ratelimit_free(l);
}

Test(ratelimit, an_amount_over_the_capacity_counts_as_the_capacity)
{
    struct ratelimit *l = ratelimit_new(100, 1000);
    int64_t retry;
    cr_expect(ratelimit_take(l, "a", 5000, 0, &retry));
    cr_expect_not(ratelimit_take(l, "a", 1, 0, &retry));
    ratelimit_free(l);
}

Test(ratelimit, more_keys_than_slots_forget_the_fullest_and_keep_the_spent_ones)
{
    struct ratelimit *l = ratelimit_new(100, 1000);
    int64_t retry;
    cr_assert(ratelimit_take(l, "spent", 100, 0, &retry));
    char k[32];
    /* every other key has spent only 1: forgetting one of them gives away the least */
    for (int i = 0; i < 3 * RATELIMIT_SLOTS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        ratelimit_take(l, k, 1, 0, &retry);
    }
    cr_expect_not(ratelimit_take(l, "spent", 1, 0, &retry));
    ratelimit_free(l);
}
