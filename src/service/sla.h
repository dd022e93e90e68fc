/* sla.h (service): SLA tracking (issue 3) inside the writer's transaction:
 * the SLA calendar (load, store, recompute active deadlines), stamping a
 * task's deadline with it, and the sweeper's one-time sla_breached record.
 * The calendar's JSON form lives here too, since it is stored as that text. */
#ifndef OPSTASKS_SERVICE_SLA_H
#define OPSTASKS_SERVICE_SLA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/sla.h"
#include "store/store.h"

/* The calendar from its API JSON object; 422 naming the field on bad input. */
enum err service_sla_calendar_from_json(json_t *obj, struct sla_calendar *cal, struct errinfo *e);
/* The calendar as the API shows it (new reference; NULL when out of memory). */
json_t *service_sla_calendar_to_json(const struct sla_calendar *cal);

/* The stored calendar, or the default (calendar_hours) when none is stored. */
enum err service_sla_calendar_load(struct store_conn *c, struct sla_calendar *cal);
/* Stores cal and marks the recompute of the active tasks' deadlines pending. */
enum err service_sla_calendar_put(struct store_conn *c, const struct sla_calendar *cal, int64_t now_ms);
/* One batch (SLA_RECOMPUTE_BATCH tasks) of the pending recompute: sets
 * sla_due_at and the 80% instant of active tasks with an SLA from the stored
 * calendar. *more says whether batches remain. Batches are separate writer
 * jobs: one transaction over ~100,000 updates, each a statement inside the
 * job's savepoint, slows down quadratically in SQLite's savepoint bookkeeping
 * (measured: minutes). A recompute cut short by a stop is finished by the
 * sweeper. *recomputed counts the deadlines that moved. */
#define SLA_RECOMPUTE_BATCH 1000
enum err service_sla_recompute_batch(struct store_conn *c, long *recomputed, bool *more);

/* Sets t's SLA deadline and 80% instant with the stored calendar. */
enum err service_sla_stamp(struct store_conn *c, struct task *t);

/* The one place an SLA breach is recorded: when task id is active and past
 * its SLA deadline at now_ms and its breach is not yet recorded, writes the
 * `sla_breached` history line (actor system) and sets the flag that makes it
 * once only. *recorded says whether it wrote anything. (The rules engine's
 * sla.breached event belongs here.) */
enum err service_task_record_sla_breach(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded);

#endif
