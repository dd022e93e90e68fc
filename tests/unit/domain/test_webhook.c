/* Unit tests of domain/webhook: the SSRF guard's address classes (IPv4,
 * IPv6, IPv4 inside IPv6), the retry schedule with its jitter and 24-hour
 * end, and the signature (HMAC-SHA256 of timestamp "." body, checked
 * against values computed by Python's hmac). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "domain/webhook.h"

static bool allowed(const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        cr_assert_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1, "%s", addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        cr_assert_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1, "%s", addr);
    }
    const char *why = NULL;
    bool ok = webhook_address_allowed((struct sockaddr *)&ss, &why);
    if (!ok) cr_expect_not_null(why, "%s refused without a reason", addr);
    return ok;
}

Test(webhook, loopback_private_shared_and_link_local_ipv4_addresses_are_refused)
{
    const char *refused[] = {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
                             "172.31.255.255", "192.168.0.1", "192.168.255.255", "100.64.0.1", "100.127.255.255",
                             "169.254.169.254", "169.254.0.1", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250",
                             "255.255.255.255", "240.0.0.1", "192.0.0.8", "198.18.0.1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_expect(!allowed(refused[i]), "%s should be refused", refused[i]);
}

Test(webhook, public_ipv4_addresses_next_to_the_refused_ranges_are_allowed)
{
    const char *ok[] = {"8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0",
                        "192.167.255.255", "192.169.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255",
                        "169.255.0.0", "126.255.255.255", "128.0.0.1", "223.255.255.255", "192.0.2.1", "93.184.216.34"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) cr_expect(allowed(ok[i]), "%s should be allowed", ok[i]);
}

Test(webhook, ipv6_loopback_unique_local_link_local_and_multicast_are_refused)
{
    const char *refused[] = {"::1", "::", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_expect(!allowed(refused[i]), "%s should be refused", refused[i]);
    cr_expect(allowed("2001:4860:4860::8888"));
    cr_expect(allowed("2606:4700::1111"));
    cr_expect(allowed("fe00::1")); /* outside fe80::/10 */
}

Test(webhook, an_ipv4_address_inside_ipv6_is_judged_as_the_ipv4_address)
{
    cr_expect(!allowed("::ffff:127.0.0.1"));
    cr_expect(!allowed("::ffff:169.254.169.254"));
    cr_expect(!allowed("::ffff:10.0.0.1"));
    cr_expect(!allowed("::127.0.0.1"));
    cr_expect(!allowed("64:ff9b::a9fe:a9fe")); /* NAT64 of the metadata address */
    cr_expect(allowed("::ffff:8.8.8.8"));
    cr_expect(allowed("64:ff9b::808:808"));
}

Test(webhook, other_families_and_no_address_are_refused)
{
    struct sockaddr sa = {.sa_family = AF_UNIX};
    const char *why = NULL;
    cr_expect(!webhook_address_allowed(&sa, &why));
    cr_expect_not_null(why);
    cr_expect(!webhook_address_allowed(NULL, NULL));
}

Test(webhook, retries_wait_about_2_seconds_then_double_up_to_an_hour_with_jitter)
{
    cr_expect_eq(webhook_retry_delay_ms(1, 0.5), 2000);
    cr_expect_eq(webhook_retry_delay_ms(2, 0.5), 4000);
    cr_expect_eq(webhook_retry_delay_ms(3, 0.5), 8000);
    cr_expect_eq(webhook_retry_delay_ms(12, 0.5), 3600000); /* 2 s << 11 = 4096 s, capped */
    cr_expect_eq(webhook_retry_delay_ms(1000, 0.5), 3600000);
    cr_expect_eq(webhook_retry_delay_ms(1, 0.0), 1600);
    cr_expect(webhook_retry_delay_ms(1, 0.999) <= 2400 && webhook_retry_delay_ms(1, 0.999) > 2390);
    cr_expect_eq(webhook_retry_delay_ms(12, 0.0), 2880000);
}

Test(webhook, a_failure_is_retried_within_24_hours_of_the_first_try_then_fails)
{
    int64_t first = 1700000000000, next = 0;
    cr_expect_str_eq(webhook_after_failure(first, first, 1, 0.5, &next), "pending");
    cr_expect_eq(next, first + 2000);
    int64_t late = first + WEBHOOK_RETRY_WINDOW_MS - 1800 * 1000;
    cr_expect_str_eq(webhook_after_failure(first, late, 20, 0.5, &next), "failed");
    cr_expect_str_eq(webhook_after_failure(first, late, 5, 0.5, &next), "pending"); /* 32 s still fits */
    cr_expect_eq(next, late + 32000);
    /* the tries of a day from 2 s doubling to an hour: about 30 */
    int64_t now = first;
    int tries = 0;
    for (int failed = 1; failed < 100; failed++) {
        tries++;
        if (strcmp(webhook_after_failure(first, now, failed, 0.5, &next), "failed") == 0) break;
        now = next;
    }
    cr_expect(tries >= 25 && tries <= 35, "%d tries in a day", tries);
}

Test(webhook, the_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body)
{
    cr_assert_geq(sodium_init(), 0);
    char sig[WEBHOOK_SIGNATURE_SIZE];
    /* Python: hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest() */
    const char *body = "{\"id\":\"dlv_1\"}";
    webhook_sign("s3cret", "1700000000", body, strlen(body), sig);
    cr_expect_str_eq(sig, "sha256=b5b3d0b2d3794f718c7fdc6307edcb89a465c6bf8230d8f40ad560b5b5caeaf7");
    /* a key longer than the hash's block (64 bytes) is hashed first, as HMAC says */
    char long_key[200];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = 0;
    char a[WEBHOOK_SIGNATURE_SIZE], b[WEBHOOK_SIGNATURE_SIZE];
    webhook_sign(long_key, "1", "x", 1, a);
    webhook_sign(long_key, "1", "y", 1, b);
    cr_expect_str_eq(a, "sha256=936cc332badfcf719d3247d13a3e83509597158a45359b485cd746277bde3f09");
    cr_expect_str_neq(a, b);
    cr_expect_eq(strlen(a), 71);
    cr_expect_eq(strncmp(a, "sha256=", 7), 0);
}
