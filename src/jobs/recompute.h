/* recompute.h: the background job that recomputes the active tasks' SLA
 * deadlines after the SLA calendar changes. A thread of its own runs
 * service_sla_recompute_batch as one short writer job after another, so other
 * writes get in between; its progress lives in the database (the cursor of
 * sla_calendar.recompute_after), so a stop loses nothing and the thread
 * resumes at start. */
#ifndef OPSTASKS_RECOMPUTE_H
#define OPSTASKS_RECOMPUTE_H

#include "store/store.h"

struct recompute;

/* Starts the thread (it looks for a pending recompute at once, then whenever
 * woken and every RECOMPUTE_POLL_S seconds); NULL when it cannot start.
 * Registers itself with service_sla_set_recompute_hook. */
#define RECOMPUTE_POLL_S 5
struct recompute *recompute_start(struct store *s);
/* Stops and joins it: at most the batch in progress finishes (~10 ms). */
void recompute_stop(struct recompute *w);

#endif
