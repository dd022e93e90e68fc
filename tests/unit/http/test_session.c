/* Unit tests of http/session's pure parts: reading a cookie out of a Cookie
 * header, the shape of a session secret, the CSRF token derived from it, the
 * Origin/Referer comparison. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "http/session.h"

static void init_sodium(void) { cr_assert_geq(sodium_init(), 0); }

TestSuite(session, .init = init_sodium);

Test(session, cookie_is_found_among_others_and_the_first_of_a_name_wins)
{
    char v[64];
    cr_assert(http_cookie_get("a=1; opstasks_session=abc; b=2", "opstasks_session", v, sizeof v));
    cr_expect_str_eq(v, "abc");
    cr_assert(http_cookie_get("opstasks_session=first;opstasks_session=second", "opstasks_session", v, sizeof v));
    cr_expect_str_eq(v, "first");
    cr_assert(http_cookie_get("x=\"quoted\"", "x", v, sizeof v));
    cr_expect_str_eq(v, "quoted");
}

Test(session, cookie_name_must_match_whole)
{
    char v[64];
    cr_expect_not(http_cookie_get("xopstasks_session=abc", "opstasks_session", v, sizeof v));
    cr_expect_not(http_cookie_get("opstasks_session_old=abc", "opstasks_session", v, sizeof v));
    cr_expect_not(http_cookie_get("", "opstasks_session", v, sizeof v));
    cr_expect_not(http_cookie_get(NULL, "opstasks_session", v, sizeof v));
}

Test(session, cookie_too_long_for_the_buffer_is_refused_not_cut)
{
    char v[4];
    cr_expect_not(http_cookie_get("k=abcdef", "k", v, sizeof v));
    cr_expect(http_cookie_get("k=abc", "k", v, sizeof v));
}

Test(session, new_secret_is_well_formed_and_hashes_as_stored)
{
    char s[SESSION_SECRET_SIZE];
    unsigned char h[32], again[32];
    http_session_new(s, h);
    cr_expect(http_session_secret_valid(s), "%s", s);
    http_session_hash(s, again);
    cr_expect_eq(memcmp(h, again, 32), 0);
    char t[SESSION_SECRET_SIZE];
    http_session_new(t, h);
    cr_expect_str_neq(s, t);
}

Test(session, secret_shape_is_43_url_safe_base64_characters)
{
    cr_expect(http_session_secret_valid("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234"));
    cr_expect_not(http_session_secret_valid("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123"));
    cr_expect_not(http_session_secret_valid("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_012345"));
    cr_expect_not(http_session_secret_valid("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ+/01234"));
    cr_expect_not(http_session_secret_valid(""));
}

Test(session, csrf_token_belongs_to_its_secret_and_is_not_the_secret)
{
    char a[SESSION_SECRET_SIZE], b[SESSION_SECRET_SIZE], c1[SESSION_SECRET_SIZE], c2[SESSION_SECRET_SIZE];
    unsigned char h[32];
    http_session_new(a, h);
    http_session_new(b, h);
    http_session_csrf(a, c1, sizeof c1);
    http_session_csrf(a, c2, sizeof c2);
    cr_expect_str_eq(c1, c2);
    cr_expect_eq(strlen(c1), SESSION_SECRET_LEN);
    cr_expect_str_neq(c1, a);
    http_session_csrf(b, c2, sizeof c2);
    cr_expect_str_neq(c1, c2);
}

Test(session, origin_matches_only_the_exact_host_and_port)
{
    cr_expect(http_origin_matches("http://127.0.0.1:8080", "127.0.0.1:8080"));
    cr_expect(http_origin_matches("https://ops.example.com", "ops.example.com"));
    cr_expect(http_origin_matches("http://127.0.0.1:8080/tasks?x=1", "127.0.0.1:8080"));
    cr_expect_not(http_origin_matches("http://127.0.0.1:9090", "127.0.0.1:8080"));
    cr_expect_not(http_origin_matches("http://127.0.0.1:80800", "127.0.0.1:8080"));
    cr_expect_not(http_origin_matches("http://ops.example.com.evil.test", "ops.example.com"));
    cr_expect_not(http_origin_matches("http://evil.test/ops.example.com", "ops.example.com"));
    cr_expect_not(http_origin_matches("null", "ops.example.com"));
    cr_expect_not(http_origin_matches("ftp://ops.example.com", "ops.example.com"));
    cr_expect_not(http_origin_matches("http://ops.example.com", ""));
    cr_expect_not(http_origin_matches("http://ops.example.com", NULL));
}
