/* renewal_pass.h: the renewals pass, the timed half of the renewals engine.
 * One pass finds the items whose next threshold day has come (through the
 * index on next_due, never a scan of every item), RENEWAL_PASS_BATCH per
 * round, and acts on each through service_renewal_act with store_run_each,
 * each item on its own so one failure leaves the others alone. It
 * runs at start and after every sweep (jobs/sweeper.c) and on
 * POST /ops/renewals/run. Two passes at once (two threads, or two
 * processes on one database) cannot act twice: every action is checked and
 * recorded inside the writer's transaction under a unique key. */
#ifndef OPSTASKS_JOBS_RENEWAL_PASS_H
#define OPSTASKS_JOBS_RENEWAL_PASS_H

#include <stdbool.h>

#include "service/renewals.h"
#include "store/store.h"

#define RENEWAL_PASS_BATCH 500
#define RENEWAL_PASS_REPORT_MAX 1000 /* outcomes listed per kind; the counts are exact */

struct renewal_pass_report {
    long n_created, n_escalated, n_examined, n_failed;
    int n_created_listed, n_escalated_listed;
    struct renewal_outcome created[RENEWAL_PASS_REPORT_MAX];
    struct renewal_outcome escalated[RENEWAL_PASS_REPORT_MAX];
};

/* One full pass as of now. Fills r (which may be NULL) and returns ERR_OK,
 * or ERR_UNAVAILABLE (the store is stopping) or ERR_INTERNAL; r then holds
 * what the committed batches did. */
enum err renewal_pass_run(struct store *s, struct renewal_pass_report *r);

#endif
