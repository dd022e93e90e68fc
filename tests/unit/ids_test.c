/* Unit tests of util/ids: time-ordered ids and caller id shapes. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "util/ids.h"

Test(ids, new_ids_are_prefix_and_26_crockford_characters)
{
    cr_assert_geq(sodium_init(), 0);
    char id[40];
    ids_new("tsk_", 1780000000000LL, id, sizeof id);
    cr_expect_eq(strlen(id), 30);
    cr_expect_eq(strncmp(id, "tsk_", 4), 0);
    cr_expect_eq(strspn(id + 4, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), 26);
}

Test(ids, later_ids_sort_after_earlier_ones_and_same_ms_ids_differ)
{
    cr_assert_geq(sodium_init(), 0);
    char a[40], b[40], c[40];
    ids_new("tsk_", 1780000000000LL, a, sizeof a);
    ids_new("tsk_", 1780000000001LL, b, sizeof b);
    ids_new("tsk_", 1780000000001LL, c, sizeof c);
    cr_expect_lt(strcmp(a, b), 0);
    cr_expect_lt(strcmp(a, c), 0);
    cr_expect_str_neq(b, c);
}

Test(ids, caller_ids_have_the_prefix_and_1_to_64_safe_characters)
{
    cr_expect(ids_valid_external("sta_anna", "sta_"));
    cr_expect(ids_valid_external("sta_A-z_0", "sta_"));
    char max[80] = "cus_", over[80] = "cus_";
    memset(max + 4, 'x', 64);
    memset(over + 4, 'x', 65);
    cr_expect(ids_valid_external(max, "cus_"));
    cr_expect_not(ids_valid_external(over, "cus_"));
    cr_expect_not(ids_valid_external("sta_", "sta_"));
    cr_expect_not(ids_valid_external("cus_anna", "sta_"));
    cr_expect_not(ids_valid_external("sta_an na", "sta_"));
    cr_expect_not(ids_valid_external("sta_ann\xc3\xa9", "sta_"));
    cr_expect_not(ids_valid_external(NULL, "sta_"));
}
