/* sla.h (service): SLA tracking inside the writer's transaction: the SLA
 * calendar (load, store, recompute active deadlines) and stamping a task's
 * deadline with it. The calendar's JSON form lives here too, since it is
 * stored as that text. service/tasks.c uses this module (stamping, refresh,
 * the breach record); this module uses no task write. */
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

/* The stored calendar, or the default (calendar_hours) when none is stored.
 * The stored text is read every time, but parsed only when it differs from
 * the text last parsed (by any thread), so a calendar another instance
 * stored is seen at once. Thread-safe. */
enum err service_sla_calendar_load(struct store_conn *c, struct sla_calendar *cal);
/* Stores cal and marks the recompute of the active tasks' deadlines pending
 * from the first task (superseding a recompute still running), in the
 * caller's transaction; the recompute itself is service_sla_recompute_batch,
 * run later by a background job (jobs/recompute.c). */
enum err service_sla_calendar_put(struct store_conn *c, const struct sla_calendar *cal, int64_t now_ms);
/* One batch of the pending recompute, a writer job of its own: sets
 * sla_due_at and the 80% instant of active tasks with an SLA, in id order
 * after the stored cursor, from the stored calendar, then moves the cursor
 * (NULL: done). A batch reads SLA_RECOMPUTE_CHUNK tasks at a time and stops
 * after SLA_RECOMPUTE_BATCH tasks or SLA_RECOMPUTE_BUDGET_MS of work,
 * whichever comes first, so a write queued
 * behind it waits little (one transaction over ~100,000 updates also slowed
 * down quadratically in SQLite's savepoint bookkeeping: minutes). *more says
 * whether batches remain; *recomputed counts the deadlines that moved. */
#define SLA_RECOMPUTE_BATCH 2000
#define SLA_RECOMPUTE_CHUNK 64
#define SLA_RECOMPUTE_BUDGET_MS 5
enum err service_sla_recompute_batch(struct store_conn *c, long *recomputed, bool *more);
/* Whether a recompute is pending (for GET /ops/sla-calendar). */
enum err service_sla_recompute_pending(struct store_conn *c, bool *pending);
/* When t is an active task with an SLA that the pending recompute has not
 * reached yet, stamps its deadline with the stored calendar now (in memory;
 * the caller writes it), so writes judge it by the calendar in force. *moved
 * says whether its instants changed. */
enum err service_sla_refresh(struct store_conn *c, struct task *t, bool *moved);

/* The background job that runs the recompute registers how to wake it; the
 * PUT calls service_sla_recompute_wake after its commit. */
void service_sla_set_recompute_hook(void (*wake)(void));
void service_sla_recompute_wake(void);

/* Sets t's SLA deadline and 80% instant with the stored calendar. */
enum err service_sla_stamp(struct store_conn *c, struct task *t);

/* ---- SLA clocks ---- */

/* The SLA time between from_ms and to_ms with the stored calendar
 * (sla_calendar_between): what a pause from from_ms to to_ms adds. */
enum err service_sla_between(struct store_conn *c, int64_t from_ms, int64_t to_ms, int64_t *out);
/* The SLA policy by priority (all none when never set). */
enum err service_sla_policy_load(struct store_conn *c, struct sla_policy *p);
enum err service_sla_policy_put(struct store_conn *c, const struct sla_policy *p, int64_t now_ms);
/* The policy from its API JSON object {"URGENT": 4, "HIGH": 24, "MEDIUM":
 * null, "LOW": null}: every key optional (absent: none), each null or a
 * number within the sla_hours bounds; an unknown key 422 naming it. */
enum err service_sla_policy_from_json(json_t *obj, struct sla_policy *p, struct errinfo *e);
/* The policy as the API shows it, all four keys (new reference; NULL when
 * out of memory). */
json_t *service_sla_policy_to_json(const struct sla_policy *p);

#endif
