/* webhooks.h (jobs): the webhook sender, a background thread. It claims due
 * deliveries from the outbox (store_webhook_claim: a lease, so several
 * instances never send one delivery at once), POSTs them with a libcurl
 * multi handle (many at a time, 10 s each), signs each (domain/webhook.h),
 * and writes each try's result; a failure is retried with backoff for 24
 * hours. Nothing here runs on a request's path. */
#ifndef OPSTASKS_JOBS_WEBHOOKS_H
#define OPSTASKS_JOBS_WEBHOOKS_H

#include "store/store.h"

/* Deliveries in flight at once per instance, and how long a claim holds
 * one: more than a try's 10 s timeout and the writing of its result, so a
 * lease runs out only when its instance died (another then sends it). */
#define WEBHOOKS_IN_FLIGHT 64
#define WEBHOOKS_TIMEOUT_MS 10000
#define WEBHOOKS_LEASE_MS 30000

struct webhooks_sender;

/* Starts the thread (curl_global_init must have run); NULL on failure. */
struct webhooks_sender *webhooks_sender_start(struct store *s);
/* Stops and joins it, before the writer drains: tries in flight are
 * abandoned (their leases run out and they are sent again). */
void webhooks_sender_stop(struct webhooks_sender *w);

#endif
