/* Unit tests of domain/password: what a password must be, and the sign-in
 * limiter's arithmetic at chosen instants (no clock, no sleeping). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "domain/password.h"

#define S 1000LL
#define MIN (60 * S)
#define T0 1780000000000LL /* an instant in 2026 */

Test(password, ten_to_two_hundred_characters_counted_as_characters_not_bytes)
{
    cr_expect_not_null(password_weakness("nine-char", NULL));
    cr_expect_null(password_weakness("ten-chars!", NULL));
    char s[512];
    memset(s, 'a', 200);
    s[0] = 'b';
    s[200] = 0;
    cr_expect_null(password_weakness(s, NULL));
    s[200] = 'c', s[201] = 0;
    cr_expect_not_null(password_weakness(s, NULL));
    /* ten letters of two bytes each: 20 bytes, 10 characters */
    cr_expect_null(password_weakness("şğüöçışğüö", NULL));
    /* nine of them (18 bytes) are still too few */
    cr_expect_not_null(password_weakness("şğüöçışğü", NULL));
}

Test(password, the_persons_own_email_in_any_case_is_refused)
{
    cr_expect_not_null(password_weakness("ada@example.com", "Ada@Example.com"));
    cr_expect_not_null(password_weakness("ADA@EXAMPLE.COM", "ada@example.com"));
    cr_expect_null(password_weakness("ada@example.com!", "ada@example.com"));
    cr_expect_null(password_weakness("ada@example.com", NULL));
}

Test(password, one_repeated_character_and_well_known_passwords_are_refused)
{
    cr_expect_not_null(password_weakness("aaaaaaaaaaaa", NULL));
    cr_expect_not_null(password_weakness("éééééééééé", NULL));
    cr_expect_null(password_weakness("éééééééééa", NULL));
    cr_expect_not_null(password_weakness("1234567890", NULL));
    cr_expect_not_null(password_weakness("Password123", NULL));
    cr_expect_not_null(password_weakness("QWERTYUIOP", NULL));
    cr_expect_null(password_weakness("correct horse battery", NULL));
}

Test(password, control_characters_and_broken_utf8_are_refused)
{
    cr_expect_not_null(password_weakness("good password\n", NULL));
    cr_expect_not_null(password_weakness("good\tpassword", NULL));
    cr_expect_not_null(password_weakness("good password \xff", NULL));
    cr_expect_not_null(password_weakness("overlong \xc0\xafslash!", NULL));
    cr_expect_not_null(password_weakness(NULL, NULL));
}

Test(password, emails_compare_by_their_ascii_lower_case)
{
    char k[32];
    cr_assert(password_email_key("Ada.Lovelace@Example.COM", k, sizeof k));
    cr_expect_str_eq(k, "ada.lovelace@example.com");
    cr_expect_not(password_email_key("a-very-long-address@example.com", k, 16));
}

Test(limiter, four_failures_leave_the_fifth_attempt_free)
{
    int64_t t[] = {T0 - 1 * MIN, T0 - 2 * MIN, T0 - 3 * MIN, T0 - 4 * MIN};
    int64_t retry = -1;
    cr_expect_not(password_limit_reached(t, 4, LOGIN_MAX_PER_EMAIL, LOGIN_WINDOW_MS, T0, &retry));
    cr_expect_eq(retry, -1);
}

Test(limiter, five_failures_block_until_the_oldest_leaves_the_window)
{
    /* failures 10, 8, 6, 4 and 2 minutes ago */
    int64_t t[] = {T0 - 2 * MIN, T0 - 4 * MIN, T0 - 6 * MIN, T0 - 8 * MIN, T0 - 10 * MIN};
    int64_t retry = 0;
    cr_assert(password_limit_reached(t, 5, LOGIN_MAX_PER_EMAIL, LOGIN_WINDOW_MS, T0, &retry));
    cr_expect_eq(retry, 5 * 60); /* the one 10 minutes ago leaves in 5 */
    /* a second before it leaves: still blocked, 1 s to go */
    cr_assert(password_limit_reached(t, 5, LOGIN_MAX_PER_EMAIL, LOGIN_WINDOW_MS, T0 + 5 * MIN - S, &retry));
    cr_expect_eq(retry, 1);
    /* once it has left, four remain: free */
    cr_expect_not(password_limit_reached(t, 5, LOGIN_MAX_PER_EMAIL, LOGIN_WINDOW_MS, T0 + 5 * MIN, &retry));
}

Test(limiter, part_seconds_round_up_so_a_client_never_retries_too_early)
{
    int64_t t[] = {T0, T0, T0, T0, T0 - 15 * MIN + 1500};
    int64_t retry = 0;
    cr_assert(password_limit_reached(t, 5, 5, LOGIN_WINDOW_MS, T0, &retry));
    cr_expect_eq(retry, 2);
}

Test(limiter, failures_older_than_the_window_do_not_count)
{
    int64_t t[] = {T0 - 1 * MIN, T0 - 16 * MIN, T0 - 17 * MIN, T0 - 18 * MIN, T0 - 19 * MIN};
    int64_t retry = 0;
    cr_expect_not(password_limit_reached(t, 5, LOGIN_MAX_PER_EMAIL, LOGIN_WINDOW_MS, T0, &retry));
}

Test(limiter, an_address_is_blocked_only_past_thirty)
{
    int64_t t[31];
    for (int i = 0; i < 31; i++) t[i] = T0 - (i + 1) * 10 * S;
    int64_t retry = 0;
    /* the caller allows 30 and blocks the 31st failure's followers */
    cr_expect_not(password_limit_reached(t, 30, LOGIN_MAX_PER_ADDRESS + 1, LOGIN_WINDOW_MS, T0, &retry));
    cr_assert(password_limit_reached(t, 31, LOGIN_MAX_PER_ADDRESS + 1, LOGIN_WINDOW_MS, T0, &retry));
    cr_expect_eq(retry, 15 * 60 - 310);
}
