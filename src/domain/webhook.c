/* webhook.c (domain): the SSRF guard's address classes, the retry schedule
 * and the signature of webhook deliveries (webhook.h). */
#include "domain/webhook.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* An IPv4 address (host order) refused, and why. */
static bool v4_allowed(uint32_t a, const char **why)
{
    static const struct {
        uint32_t net, mask;
        const char *why;
    } refused[] = {
        {0x00000000, 0xff000000, "a 'this network' address (0.0.0.0/8)"},
        {0x0a000000, 0xff000000, "a private address (10.0.0.0/8)"},
        {0x64400000, 0xffc00000, "a shared address (100.64.0.0/10)"},
        {0x7f000000, 0xff000000, "a loopback address (127.0.0.0/8)"},
        {0xa9fe0000, 0xffff0000, "a link-local or metadata address (169.254.0.0/16)"},
        {0xac100000, 0xfff00000, "a private address (172.16.0.0/12)"},
        {0xc0000000, 0xffffff00, "a reserved address (192.0.0.0/24)"},
        {0xc0a80000, 0xffff0000, "a private address (192.168.0.0/16)"},
        {0xc6120000, 0xfffe0000, "a benchmarking address (198.18.0.0/15)"},
        {0xe0000000, 0xf0000000, "a multicast address (224.0.0.0/4)"},
        {0xf0000000, 0xf0000000, "a reserved or broadcast address (240.0.0.0/4)"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if ((a & refused[i].mask) == refused[i].net) {
            if (why) *why = refused[i].why;
            return false;
        }
    return true;
}

bool webhook_address_allowed(const struct sockaddr *sa, const char **why)
{
    if (why) *why = NULL;
    if (!sa) {
        if (why) *why = "no address";
        return false;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        return v4_allowed(ntohl(s4->sin_addr.s_addr), why);
    }
    if (sa->sa_family != AF_INET6) {
        if (why) *why = "not an IP address";
        return false;
    }
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char zero[16];
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
        if (why) *why = b[15] ? "a loopback address (::1)" : "the unspecified address (::)";
        return false;
    }
    /* ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address decides */
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0) {
        uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        return v4_allowed(a, why);
    }
    /* NAT64 (64:ff9b::/96) leads to an IPv4 address too */
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(b, nat64, 12) == 0) {
        uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        return v4_allowed(a, why);
    }
    if ((b[0] & 0xfe) == 0xfc) {
        if (why) *why = "a unique-local address (fc00::/7)";
        return false;
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        if (why) *why = "a link-local address (fe80::/10)";
        return false;
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {
        if (why) *why = "a site-local address (fec0::/10)";
        return false;
    }
    if (b[0] == 0xff) {
        if (why) *why = "a multicast address (ff00::/8)";
        return false;
    }
    return true;
}

int64_t webhook_retry_delay_ms(int failed, double u)
{
    int64_t d = WEBHOOK_RETRY_FIRST_MS;
    for (int i = 1; i < failed && d < WEBHOOK_RETRY_MAX_MS; i++) d *= 2;
    if (d > WEBHOOK_RETRY_MAX_MS) d = WEBHOOK_RETRY_MAX_MS;
    if (u < 0) u = 0;
    if (u >= 1) u = 0.999999;
    return (int64_t)((double)d * (0.8 + 0.4 * u));
}

const char *webhook_after_failure(int64_t first_try_at, int64_t now_ms, int failed, double u, int64_t *next_at)
{
    *next_at = now_ms + webhook_retry_delay_ms(failed, u);
    if (*next_at > first_try_at + WEBHOOK_RETRY_WINDOW_MS) {
        *next_at = now_ms;
        return "failed";
    }
    return "pending";
}

void webhook_sign(const char *secret, const char *timestamp, const char *body, size_t body_len, char *out)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 65, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}
