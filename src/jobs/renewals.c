/* renewals.c: one pass of the renewals engine; see renewals.h. */
#include "jobs/renewals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"
#include "util/clock.h"
#include "util/log.h"

struct batch {
    struct renewals_report *r;
    char after_due[DATE_SIZE], after_id[EXT_ID_SIZE]; /* keyset cursor: each item once per pass */
    int found;
};

static void note(struct renewals_report *r, const struct renewal_outcome *o)
{
    if (o->action == RENEWAL_CREATED) {
        if (r->n_created_listed < RENEWALS_REPORT_MAX) r->created[r->n_created_listed++] = *o;
        r->n_created++;
    } else if (o->action == RENEWAL_ESCALATED) {
        if (r->n_escalated_listed < RENEWALS_REPORT_MAX) r->escalated[r->n_escalated_listed++] = *o;
        r->n_escalated++;
    }
}

static enum err run_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    int64_t now = clock_now_ms();
    char today[DATE_SIZE];
    dates_today(now, today);
    struct renewal_policy p;
    enum err rc = c->ops->renewal_policy_get(c, &p);
    if (rc != ERR_OK) return rc;
    char **ids = NULL, **dues = NULL;
    int n = 0;
    if ((rc = c->ops->renewal_due(c, today, b->after_due, b->after_id, RENEWALS_BATCH, &ids, &dues, &n)) != ERR_OK)
        return rc;
    b->found = n;
    for (int i = 0; i < n; i++) {
        b->r->n_examined++;
        /* a savepoint per item: a failure (or an action another engine took
         * first) undoes this item alone */
        if (c->ops->savepoint(c) != 0) {
            rc = ERR_INTERNAL;
            break;
        }
        struct renewal_outcome o;
        enum err irc = service_renewal_act(c, ids[i], &p, now, &o);
        if (irc != ERR_OK) {
            b->r->n_failed++;
            log_error("renewals: %s: %s; left for the next pass", ids[i], err_code_str(irc));
            if (c->ops->savepoint_rollback(c) != 0) rc = ERR_INTERNAL;
        } else {
            note(b->r, &o);
        }
        if (c->ops->savepoint_release(c) != 0) rc = ERR_INTERNAL;
        if (rc != ERR_OK) break;
    }
    if (n > 0) {
        snprintf(b->after_due, sizeof b->after_due, "%s", dues[n - 1]);
        snprintf(b->after_id, sizeof b->after_id, "%s", ids[n - 1]);
    }
    for (int i = 0; i < n; i++) free(ids[i]), free(dues[i]);
    free(ids);
    free(dues);
    return rc;
}

enum err renewals_run_once(struct store *s, struct renewals_report *r)
{
    struct renewals_report *mine = NULL;
    if (!r && !(r = mine = malloc(sizeof *r))) return ERR_INTERNAL;
    memset(r, 0, sizeof *r);
    struct batch b = {.r = r};
    enum err ret = ERR_OK;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* bounded: the cursor only moves forward, over at most every item */
    for (long round = 0; round < 100000000L / RENEWALS_BATCH; round++) {
        long created = r->n_created, escalated = r->n_escalated, examined = r->n_examined, failed = r->n_failed;
        int listed_c = r->n_created_listed, listed_e = r->n_escalated_listed;
        enum err rc = store_run(s, run_batch, &b);
        if (rc != ERR_OK) {
            /* the batch was rolled back (or never ran): it did nothing */
            r->n_created = created, r->n_escalated = escalated, r->n_examined = examined, r->n_failed = failed;
            r->n_created_listed = listed_c, r->n_escalated_listed = listed_e;
            ret = rc;
            break;
        }
        if (b.found < RENEWALS_BATCH) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r->n_created || r->n_escalated || r->n_failed)
        log_info("renewals: %ld tasks created, %ld escalated, %ld items examined, %ld failed in %.1f ms",
                 r->n_created, r->n_escalated, r->n_examined, r->n_failed,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    free(mine);
    return ret;
}
