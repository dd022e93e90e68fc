/* renewal_pass.c: one pass of the renewals engine; see renewal_pass.h.
 *
 * Each round lists up to RENEWAL_PASS_BATCH due items on a reader connection
 * (keyset cursor on (next_due, id), so each item is seen once per pass), then
 * hands them to the writer as jobs of RENEWAL_PASS_JOB items queued together:
 * group commit still puts hundreds of items in one transaction, while each
 * job's savepoint stays small. (One job of 500 items made every statement
 * walk SQLite's in-memory sub-journal of the whole job: 6,000 crossings took
 * 4.7 s, see bench/NOTES.md.) Every item is re-read and judged inside the
 * writer's transaction, so listing it outside is safe. */
#include "jobs/renewal_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/dates.h"
#include "util/clock.h"
#include "util/log.h"

#define RENEWAL_PASS_JOB 25

struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    int pending;
};

struct job {
    struct store_job job;
    char **ids;  /* borrowed from the round's list */
    int n;
    struct waiter *w;
    struct renewal_outcome out[RENEWAL_PASS_JOB];
    int n_failed;
};

static void note(struct renewal_pass_report *r, const struct renewal_outcome *o)
{
    if (o->action == RENEWAL_CREATED) {
        if (r->n_created_listed < RENEWAL_PASS_REPORT_MAX) r->created[r->n_created_listed++] = *o;
        r->n_created++;
    } else if (o->action == RENEWAL_ESCALATED) {
        if (r->n_escalated_listed < RENEWAL_PASS_REPORT_MAX) r->escalated[r->n_escalated_listed++] = *o;
        r->n_escalated++;
    }
}

static enum err run_job(struct store_conn *c, void *arg)
{
    struct job *j = arg;
    int64_t now = clock_now_ms();
    struct renewal_policy p;
    enum err rc = store_renewal_policy_get(c, &p);
    if (rc != ERR_OK) return rc;
    for (int i = 0; i < j->n; i++) {
        memset(&j->out[i], 0, sizeof j->out[i]);
        /* a savepoint per item: a failure (or an action another engine took
         * first) undoes this item alone */
        int src; /* 0, or what the savepoint's failure means (ERR_UNAVAILABLE: cannot write now) */
        if ((src = store_savepoint(c)) != 0) return (enum err)src;
        enum err irc = service_renewal_act(c, j->ids[i], &p, now, &j->out[i]);
        if (irc != ERR_OK) {
            j->n_failed++;
            memset(&j->out[i], 0, sizeof j->out[i]);
            log_error("renewals: %s: %s; left for the next pass", j->ids[i], err_code_str(irc));
            if ((src = store_savepoint_rollback(c)) != 0) return (enum err)src;
        }
        if ((src = store_savepoint_release(c)) != 0) return (enum err)src;
    }
    return ERR_OK;
}

static void job_done(struct store_job *sj)
{
    struct job *j = (struct job *)sj;
    pthread_mutex_lock(&j->w->m);
    j->w->pending--;
    pthread_cond_signal(&j->w->c);
    pthread_mutex_unlock(&j->w->m);
}

/* Acts on ids[0..n) through jobs queued together; notes what committed. */
static enum err act_on(struct store *s, char **ids, int n, struct renewal_pass_report *r)
{
    int nj = (n + RENEWAL_PASS_JOB - 1) / RENEWAL_PASS_JOB;
    struct job *jobs = calloc((size_t)nj, sizeof *jobs);
    if (!jobs) return ERR_INTERNAL;
    struct waiter w = {.pending = 0};
    pthread_mutex_init(&w.m, NULL);
    pthread_cond_init(&w.c, NULL);
    enum err ret = ERR_OK;
    int submitted = 0;
    for (; submitted < nj; submitted++) {
        struct job *j = &jobs[submitted];
        j->job.run = run_job;
        j->job.arg = j;
        j->job.done = job_done;
        j->ids = ids + submitted * RENEWAL_PASS_JOB;
        j->n = n - submitted * RENEWAL_PASS_JOB < RENEWAL_PASS_JOB ? n - submitted * RENEWAL_PASS_JOB
                                                                   : RENEWAL_PASS_JOB;
        j->w = &w;
        pthread_mutex_lock(&w.m);
        w.pending++;
        pthread_mutex_unlock(&w.m);
        if (store_submit(s, &j->job) != 0) {
            pthread_mutex_lock(&w.m);
            w.pending--;
            pthread_mutex_unlock(&w.m);
            ret = ERR_UNAVAILABLE;
            break;
        }
    }
    pthread_mutex_lock(&w.m);
    while (w.pending > 0) pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
    for (int k = 0; k < submitted; k++) {
        r->n_examined += jobs[k].n;
        if (jobs[k].job.rc != ERR_OK) { /* rolled back: it did nothing */
            if (ret == ERR_OK) ret = jobs[k].job.rc;
            continue;
        }
        r->n_failed += jobs[k].n_failed;
        for (int i = 0; i < jobs[k].n; i++) note(r, &jobs[k].out[i]);
    }
    pthread_mutex_destroy(&w.m);
    pthread_cond_destroy(&w.c);
    free(jobs);
    return ret;
}

enum err renewal_pass_run(struct store *s, struct renewal_pass_report *r)
{
    struct renewal_pass_report *mine = NULL;
    if (!r && !(r = mine = malloc(sizeof *r))) return ERR_INTERNAL;
    memset(r, 0, sizeof *r);
    enum err ret = ERR_OK;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char today[DATE_SIZE], after_due[DATE_SIZE] = "", after_id[EXT_ID_SIZE] = "";
    dates_today(clock_now_ms(), today);
    /* bounded: the cursor only moves forward, over at most every item */
    for (long round = 0; round < 100000000L / RENEWAL_PASS_BATCH && ret == ERR_OK; round++) {
        struct store_conn *c = store_reader_acquire(s);
        char **ids = NULL, **dues = NULL;
        int n = 0;
        ret = c ? store_renewal_due(c, today, after_due, after_id, RENEWAL_PASS_BATCH, &ids, &dues, &n)
                : ERR_INTERNAL;
        store_reader_release(c);
        if (ret != ERR_OK) break;
        if (n > 0) {
            ret = act_on(s, ids, n, r);
            snprintf(after_due, sizeof after_due, "%s", dues[n - 1]);
            snprintf(after_id, sizeof after_id, "%s", ids[n - 1]);
        }
        for (int i = 0; i < n; i++) free(ids[i]), free(dues[i]);
        free(ids);
        free(dues);
        if (n < RENEWAL_PASS_BATCH) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r->n_created || r->n_escalated || r->n_failed)
        log_info("renewals: %ld tasks created, %ld escalated, %ld items examined, %ld failed in %.1f ms",
                 r->n_created, r->n_escalated, r->n_examined, r->n_failed,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    free(mine);
    return ret;
}
