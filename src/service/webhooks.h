/* webhooks.h (service): the webhooks' outbox sink and the checks shared by
 * the API (PUT /ops/webhooks/{id}) and the sender (jobs/webhooks.c): which
 * URLs a delivery may go to, resolved and judged by the SSRF guard. */
#ifndef OPSTASKS_SERVICE_WEBHOOKS_H
#define OPSTASKS_SERVICE_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/announce.h"

/* The announcement sink (announce_add_sink): for each active webhook
 * subscribed to a's type, one pending delivery in the change's transaction,
 * its data {"task_id", "task", "changes" | "comment" | "renewal_id"}. When
 * no webhook is active it costs one count of the active webhooks, read
 * once a group transaction on PostgreSQL: every change whose transaction
 * began after a webhook's PUT committed, on any instance, is delivered. */
enum err webhooks_sink(struct store_conn *c, const struct announcement *a);
/* Whether a delivery was written since the last call (the sender's wake-up;
 * set in the writer's transaction, so the commit may still be on its way). */
bool webhooks_kicked(void);

/* --webhook-allow-private: deliveries may go to loopback and private
 * addresses (tests, a receiver on the same network). Set at start-up. */
void webhooks_set_allow_private(bool allow);
bool webhooks_allow_private(void);

/* A URL checked for a delivery: its host as curl's CURLOPT_RESOLVE pins it
 * ("host:port:addr,addr"; "" when the host is an IP address already). */
struct webhook_target {
    char resolve[600];
};
/* 0 when url is an http or https URL (at most WEBHOOK_URL_MAX bytes, a host,
 * no user name or password) whose host resolves, and every address it
 * resolves to is one webhook_address_allowed allows (any when
 * allow_private); else -1 with why (one phrase, NUL-terminated). */
int webhooks_url_check(const char *url, bool allow_private, struct webhook_target *out, char *why, size_t n);

/* The bit of event type t in a webhook's event_mask. */
static inline int64_t webhooks_type_bit(int t) { return (int64_t)1 << t; }

#endif
