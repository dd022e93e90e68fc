/* Unit tests of util/ids: time-ordered task ids (ULID layout: 48-bit ms, then
 * 80 random bits, Crockford base32) and the shape of caller-chosen ids. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "util/ids.h"

#define CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define T0 1780306200000LL /* 2026-06-01T09:30:00Z */

static void init_sodium(void) { cr_assert_geq(sodium_init(), 0); }

TestSuite(ids, .init = init_sodium);

Test(ids, new_id_is_the_prefix_and_26_crockford_characters)
{
    char id[40];
    ids_new("tsk_", T0, id, sizeof id);
    cr_expect_eq(strlen(id), 4 + IDS_TIME_ORDERED_LEN);
    cr_expect_eq(strncmp(id, "tsk_", 4), 0);
    cr_expect_eq(strspn(id + 4, CROCKFORD), 26, "%s", id);
    /* 128 bits in 130: the first digit carries only 3 bits */
    cr_expect_leq(id[4], '7', "%s", id);
}

Test(ids, new_id_begins_with_its_millisecond_as_ulid_does)
{
    char id[40];
    /* the ULID specification's example: 1469918176385 ms is 01ARYZ6S41 */
    ids_new("", 1469918176385LL, id, sizeof id);
    cr_expect_eq(strncmp(id, "01ARYZ6S41", 10), 0, "%s", id);
    ids_new("tsk_", 0, id, sizeof id);
    cr_expect_eq(strncmp(id + 4, "0000000000", 10), 0, "%s", id);
}

Test(ids, later_ids_sort_after_earlier_ones)
{
    char prev[40], next[40];
    const int64_t steps[] = {1, 2, 31, 32, 1000, 86400000LL, 365 * 86400000LL};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ids_new("tsk_", T0, prev, sizeof prev);
        ids_new("tsk_", T0 + steps[i], next, sizeof next);
        cr_expect_lt(strcmp(prev, next), 0, "+%lld ms: %s then %s", (long long)steps[i], prev, next);
    }
}

Test(ids, ids_of_the_same_millisecond_differ)
{
    enum { N = 200 };
    static char seen[N][40];
    for (int i = 0; i < N; i++) {
        ids_new("tsk_", T0, seen[i], sizeof seen[i]);
        cr_expect_eq(strncmp(seen[i], seen[0], 4 + 10), 0, "same time prefix");
        for (int j = 0; j < i; j++) cr_assert_str_neq(seen[i], seen[j]);
    }
}

Test(ids, too_small_a_buffer_gets_an_empty_string)
{
    char small[30]; /* "tsk_" + 26 needs 31 with the NUL */
    memset(small, 'x', sizeof small);
    ids_new("tsk_", T0, small, sizeof small);
    cr_expect_str_eq(small, "");
}

Test(ids, external_id_is_the_prefix_and_1_to_64_safe_characters)
{
    cr_expect(ids_valid_external("sta_a", "sta_"));
    cr_expect(ids_valid_external("sta_xyz789", "sta_"));
    cr_expect(ids_valid_external("sta_A-z_0", "sta_"));
    cr_expect(ids_valid_external("sta_-", "sta_"));
    cr_expect(ids_valid_external("sta__", "sta_"));
    cr_expect(ids_valid_external("cus_abc123", "cus_"));
}

Test(ids, external_id_of_64_characters_is_accepted_and_65_refused)
{
    char max[80] = "cus_", over[80] = "cus_";
    memset(max + 4, 'x', 64);
    memset(over + 4, 'x', 65);
    cr_expect(ids_valid_external(max, "cus_"));
    cr_expect_not(ids_valid_external(over, "cus_"));
}

Test(ids, external_id_with_the_wrong_prefix_is_refused)
{
    cr_expect_not(ids_valid_external("cus_anna", "sta_"));
    cr_expect_not(ids_valid_external("STA_anna", "sta_"));
    cr_expect_not(ids_valid_external("sta-anna", "sta_"));
    cr_expect_not(ids_valid_external("anna", "sta_"));
    cr_expect_not(ids_valid_external("xsta_anna", "sta_"));
}

Test(ids, external_id_with_an_empty_suffix_is_refused)
{
    cr_expect_not(ids_valid_external("sta_", "sta_"));
    cr_expect_not(ids_valid_external("sta", "sta_"));
    cr_expect_not(ids_valid_external("", "sta_"));
    cr_expect_not(ids_valid_external(NULL, "sta_"));
}

Test(ids, external_id_with_other_characters_is_refused)
{
    const char *bad[] = {"sta_an na", "sta_anna ", "sta_ann\xc3\xa9", "sta_a/b", "sta_a.b", "sta_a:b",
                         "sta_a%20", "sta_a\nb", "sta_a+b", "sta_../x", "sta_a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ids_valid_external(bad[i], "sta_"), "\"%s\" accepted", bad[i]);
}

Test(ids, sequenced_ids_of_one_millisecond_are_unique_and_keep_the_shape)
{
    enum { N = 2000 };
    static char seen[N][40];
    for (int i = 0; i < N; i++) {
        ids_new_sequenced("req_", T0, seen[i], sizeof seen[i]);
        cr_assert_eq(strlen(seen[i]), 4 + IDS_TIME_ORDERED_LEN, "%s", seen[i]);
        cr_assert_eq(strspn(seen[i] + 4, CROCKFORD), 26, "%s", seen[i]);
        cr_assert_eq(strncmp(seen[i], seen[0], 4 + 10), 0, "same time prefix: %s", seen[i]);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++) cr_assert_str_neq(seen[i], seen[j]);
    char small[10];
    ids_new_sequenced("req_", T0, small, sizeof small);
    cr_expect_str_eq(small, "");
}
