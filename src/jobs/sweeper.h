/* sweeper.h: the overdue sweeper, a background thread. Every interval it
 * writes the automatic move to OVERDUE (with its history line) for active
 * tasks whose due date has passed, in batches of SWEEPER_BATCH rows per
 * transaction so the write lock is never held long; reads never wait for it,
 * since overdue is derived at read time. It also purges idempotency keys older
 * than 24 hours. */
#ifndef OPSTASKS_SWEEPER_H
#define OPSTASKS_SWEEPER_H

#include "store/store.h"

#define SWEEPER_BATCH 1000
/* Several instances on one database: the one holding the lease of this name
 * (store_lease_take) runs the background work; it renews it every
 * SWEEPER_TICK_S, and when it dies another takes over once the lease
 * expires, SWEEPER_LEASE_TTL_MS after its last renewal (so within ~20 s). */
#define SWEEPER_LEASE "background"
#define SWEEPER_TICK_S 5
#define SWEEPER_LEASE_TTL_MS 15000
/* Events removed per writer job. An event holds up to 64 KiB: deleting 500
 * of those held the writer ~120 ms here, 100 of them ~22 ms; 100 small ones
 * take well under 1 ms. */
#define SWEEPER_EVENTS_BATCH 100

struct sweeper;

/* Starts the thread; while this instance holds the lease it sweeps at once,
 * then every interval_s seconds, runs the renewals pass after each sweep and
 * removes events received more than events_retention_days ago (0: keeps them
 * forever), SWEEPER_EVENTS_BATCH per writer job. */
struct sweeper *sweeper_start(struct store *s, int interval_s, int events_retention_days);
/* Stops and joins it: a sweep in progress ends after its current batch
 * (each is its own transaction; the next sweep goes on from there). */
void sweeper_stop(struct sweeper *w);

/* One full sweep, for tests and the thread: returns tasks recorded, or -1. */
long sweeper_run_once(struct store *s);

/* Each sweep also records SLA breaches (service_task_record_sla_breach).
 * When the last sweep of the thread ended (ms, 0 = none yet) and how long it took. */
void sweeper_last(int64_t *at_ms, int64_t *duration_us);

/* Removes the events received before older_than_ms, in writer jobs of
 * SWEEPER_EVENTS_BATCH (other writes commit between them). Returns how many,
 * or -1 when a job failed. History rows are not touched. */
long sweeper_purge_events(struct store *s, int64_t older_than_ms);

#endif
