/* recompute.h: the thread that recomputes the active tasks' SLA deadlines
 * after the calendar changes, as one short writer job after another
 * (service_sla_recompute_batch) so other writes get in between. Its progress
 * is the cursor sla_calendar.recompute_after in the database: a stop loses
 * nothing and the next start resumes. */
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
