/* Unit tests of service/webhooks' URL check (the SSRF guard at PUT and at
 * each delivery): schemes, credentials, names that resolve to loopback,
 * address literals in every form, and the CURLOPT_RESOLVE pin it gives. */
#include <criterion/criterion.h>
#include <string.h>

#include "service/webhooks.h"

static int check(const char *url, bool allow, struct webhook_target *t, char *why)
{
    return webhooks_url_check(url, allow, t, why, 400);
}

Test(webhooks, only_http_and_https_urls_with_a_host_and_no_credentials_pass)
{
    struct webhook_target t;
    char why[400];
    cr_expect_eq(check("http://127.0.0.1:8080/x", true, &t, why), 0, "%s", why);
    cr_expect_eq(check("HTTPS://127.0.0.1/x", true, &t, why), 0, "%s", why);
    const char *bad[] = {"ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1/", "127.0.0.1:80",
                         "http://", "http:// 127.0.0.1/", "http://user:pw@127.0.0.1/", "http://user@127.0.0.1/",
                         "", "http://127.0.0.1/a b", "javascript:alert(1)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(check(bad[i], true, &t, why), 0, "'%s' should be refused", bad[i]);
}

Test(webhooks, internal_addresses_are_refused_unless_allowed_in_every_spelling)
{
    struct webhook_target t;
    char why[400];
    const char *urls[] = {"http://127.0.0.1/", "http://localhost:9/", "http://[::1]/", "http://2130706433/",
                          "http://0x7f.0.0.1/", "http://169.254.169.254/latest/", "http://[::ffff:10.0.0.1]/",
                          "http://10.0.0.1:443/", "http://0/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        cr_expect_neq(check(urls[i], false, &t, why), 0, "'%s' should be refused", urls[i]);
        cr_expect(strstr(why, "refused") || strstr(why, "resolve") || strstr(why, "valid"), "%s: %s", urls[i], why);
    }
    cr_expect_eq(check("http://localhost:9/", true, &t, why), 0, "%s", why);
    cr_expect_eq(check("http://192.0.2.1/", false, &t, why), 0, "%s", why);
}

Test(webhooks, a_name_is_pinned_to_the_addresses_it_was_judged_by)
{
    struct webhook_target t;
    char why[400];
    cr_assert_eq(check("http://localhost:8081/hook", true, &t, why), 0, "%s", why);
    cr_expect_eq(strncmp(t.resolve, "localhost:8081:", 15), 0, "%s", t.resolve);
    cr_expect(strstr(t.resolve, "127.0.0.1") || strstr(t.resolve, "[::1]"), "%s", t.resolve);
    cr_assert_eq(check("http://127.0.0.1:8081/hook", true, &t, why), 0, "%s", why);
    cr_expect_str_eq(t.resolve, ""); /* an address literal needs no pin */
}
