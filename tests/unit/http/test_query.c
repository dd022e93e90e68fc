/* Unit tests of http/query.c: a saved view's query string decoded into the
 * pairs http_query reads, as libmicrohttpd decodes a request's. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"

static struct http_pairs p;

Test(query, pairs_are_split_and_decoded_as_a_browser_encodes_a_form)
{
    struct errinfo e = {0};
    cr_assert_eq(http_pairs_parse("?status=OPEN%2COVERDUE&q=ay%C5%9Fe+y%C4%B1lmaz&&flag&empty=", "query", &p, &e),
                 ERR_OK, "%s", e.message);
    cr_assert_eq(p.n, 4);
    cr_expect_str_eq(p.key[0], "status");
    cr_expect_str_eq(p.value[0], "OPEN,OVERDUE");
    cr_expect_str_eq(p.key[1], "q");
    cr_expect_str_eq(p.value[1], "ay\xc5\x9f" "e y\xc4\xb1lmaz");
    cr_expect_str_eq(p.key[2], "flag");
    cr_expect_str_eq(p.value[2], "");
    cr_expect_str_eq(p.key[3], "empty");
    cr_expect_str_eq(p.value[3], "");
}

Test(query, an_empty_string_has_no_pairs)
{
    struct errinfo e = {0};
    cr_assert_eq(http_pairs_parse("", "query", &p, &e), ERR_OK);
    cr_expect_eq(p.n, 0);
}

Test(query, bad_escapes_repeated_and_nameless_keys_and_too_much_are_refused_naming_the_field)
{
    static const char *const bad[] = {"q=%zz", "q=%4", "q=%", "q=%00", "a=1&a=2", "=x", "%3D=1&%3D=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct errinfo e = {0};
        cr_expect_eq(http_pairs_parse(bad[i], "query", &p, &e), ERR_VALIDATION_FAILED, "%s", bad[i]);
        cr_expect_str_eq(e.field, "query", "%s", bad[i]);
    }
    char many[HTTP_PAIRS_TEXT_MAX + 2];
    memset(many, 'a', sizeof many - 1);
    many[sizeof many - 1] = 0;
    struct errinfo e = {0};
    cr_expect_eq(http_pairs_parse(many, "query", &p, &e), ERR_VALIDATION_FAILED);
    /* 33 distinct keys */
    char keys[400] = "";
    for (int i = 0; i <= HTTP_PAIRS_MAX; i++) snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "k%d&", i);
    cr_expect_eq(http_pairs_parse(keys, "query", &p, &e), ERR_VALIDATION_FAILED);
    cr_expect(strstr(e.message, "at most"), "%s", e.message);
}

Test(query, the_longest_text_of_one_letter_keys_fits_its_decoded_room)
{
    /* 32 one-letter keys without '=' decode to "k\0\0" each: more than the
     * encoded text, which the room allows for */
    char s[HTTP_PAIRS_TEXT_MAX + 1] = "";
    for (int i = 0; i < HTTP_PAIRS_MAX; i++) snprintf(s + strlen(s), sizeof s - strlen(s), "%c&", 'A' + i);
    struct errinfo e = {0};
    cr_assert_eq(http_pairs_parse(s, "query", &p, &e), ERR_OK, "%s", e.message);
    cr_expect_eq(p.n, HTTP_PAIRS_MAX);
    cr_expect_str_eq(p.key[HTTP_PAIRS_MAX - 1], "`");
}

Test(query, a_request_with_pairs_set_reads_them_instead_of_its_url)
{
    struct errinfo e = {0};
    cr_assert_eq(http_pairs_parse("status=OPEN&sort=priority", "query", &p, &e), ERR_OK);
    struct request r = {0};
    r.query = &p;
    cr_expect_str_eq(http_query(&r, "sort"), "priority");
    cr_expect_null(http_query(&r, "q"));
    static const char *const known[] = {"status", "sort", NULL}, *const fewer[] = {"status", NULL};
    cr_expect_eq(http_query_check(&r, known, &e), ERR_OK);
    cr_expect_eq(http_query_check(&r, fewer, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "sort");
}
