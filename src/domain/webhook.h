/* webhook.h (domain): the rules of webhook deliveries that need no I/O:
 * which addresses a delivery may reach (the SSRF guard), when a failed try
 * is retried, and the signature a receiver checks. The resolving and the
 * sending are service/webhooks.c and jobs/webhooks.c. */
#ifndef OPSTASKS_DOMAIN_WEBHOOK_H
#define OPSTASKS_DOMAIN_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Tries are retried for this long from a round's first, then it fails. */
#define WEBHOOK_RETRY_WINDOW_MS (24LL * 3600 * 1000)
#define WEBHOOK_RETRY_FIRST_MS 2000
#define WEBHOOK_RETRY_MAX_MS (3600LL * 1000)

/* True when a delivery may connect to sa: false for loopback (127/8, ::1),
 * private (10/8, 172.16/12, 192.168/16), shared (100.64/10), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10), unique-local
 * (fc00::/7), "this network" (0/8, ::), multicast, broadcast and reserved
 * (240/4) addresses, IPv4 in IPv6 (::ffff:a.b.c.d, judged as the IPv4
 * address), and any family other than IPv4 and IPv6. Why, when refused:
 * a static phrase ("a loopback address") into *why (may be NULL). */
bool webhook_address_allowed(const struct sockaddr *sa, const char **why);

/* The wait before the next try after `failed` tries in a row failed (1 for
 * the first): 2 s doubling up to an hour, times a jitter factor from u in
 * [0, 1) (0.8 to 1.2), so many receivers coming back at once are not all
 * retried in the same second. */
int64_t webhook_retry_delay_ms(int failed, double u);

/* What a failed try leads to: "pending" again with *next_at, or "failed"
 * when the next try would fall past the round's 24 hours. */
const char *webhook_after_failure(int64_t first_try_at, int64_t now_ms, int failed, double u, int64_t *next_at);

/* The X-Opstasks-Signature value: "sha256=" and the lower-case hex
 * HMAC-SHA256 of timestamp "." body with the secret's bytes as the key
 * (any length). out must hold WEBHOOK_SIGNATURE_SIZE bytes. */
#define WEBHOOK_SIGNATURE_SIZE (7 + 64 + 1)
void webhook_sign(const char *secret, const char *timestamp, const char *body, size_t body_len, char *out);

#endif
