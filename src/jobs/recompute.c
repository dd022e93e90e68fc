/* recompute.c: the SLA deadline recompute thread; see recompute.h. */
#include "jobs/recompute.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "service/sla.h"
#include "util/clock.h"
#include "util/log.h"

struct recompute {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, woken;
};

/* the one instance, for the wake hook: a request may wake it while the
 * server stops, so `running` is cleared under this lock before it is freed */
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static struct recompute *running;

static void wake(void)
{
    pthread_mutex_lock(&running_lock);
    struct recompute *w = running;
    if (w) {
        pthread_mutex_lock(&w->lock);
        w->woken = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_unlock(&running_lock);
}

static void set_running(struct recompute *w)
{
    pthread_mutex_lock(&running_lock);
    running = w;
    pthread_mutex_unlock(&running_lock);
}

/* Waits ms (a stop cuts it short); false when stopping. */
static bool rest(struct recompute *w, long ms)
{
    struct timespec until = clock_wait_until(ms);
    pthread_mutex_lock(&w->lock);
    while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT) {
    }
    bool go_on = !w->stop;
    pthread_mutex_unlock(&w->lock);
    return go_on;
}

struct batch {
    long recomputed;
    bool more;
    double longest_ms; /* the longest batch inside the writer, for the log */
};

static enum err run_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum err rc = service_sla_recompute_batch(c, &b->recomputed, &b->more);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    if (took > b->longest_ms) b->longest_ms = took;
    return rc;
}

#define RECOMPUTE_REST_MS 50

/* Batches until none remain or a stop; a failed batch is retried on the next
 * round (its transaction rolled back, the cursor with it). */
static void run_pending(struct recompute *w)
{
    /* a look on a reader first: the poll costs the writer nothing */
    struct store_conn *c = store_reader_acquire(w->store);
    bool pending = false;
    enum err rc0 = c ? service_sla_recompute_pending(c, &pending) : ERR_INTERNAL;
    store_reader_release(c);
    if (rc0 != ERR_OK || !pending) return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct batch b = {0};
    long batches = 0;
    for (;;) {
        struct timespec a, z;
        clock_gettime(CLOCK_MONOTONIC, &a);
        b.more = false;
        enum err rc = store_run(w->store, run_batch, &b);
        if (rc != ERR_OK) {
            if (rc != ERR_UNAVAILABLE) log_error("sla: deadline recompute batch failed; retrying later");
            return;
        }
        batches++;
        if (!b.more) break;
        /* as long again, at most RECOMPUTE_REST_MS, before the next batch: the
         * writer is the recompute's at most half of the time, so a write
         * arriving meanwhile mostly finds it free (a batch's commit, with the
         * WAL checkpoint its many pages bring, takes longer than its work) */
        clock_gettime(CLOCK_MONOTONIC, &z);
        long took = (long)((z.tv_sec - a.tv_sec) * 1000 + (z.tv_nsec - a.tv_nsec) / 1000000);
        if (!rest(w, took < 1 ? 1 : took > RECOMPUTE_REST_MS ? RECOMPUTE_REST_MS : took)) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (b.recomputed || batches > 1)
        log_info("sla: %ld deadlines recomputed in %ld batches (longest %.1f ms), %.1f ms%s", b.recomputed, batches,
                 b.longest_ms, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 b.more ? "; stopped, resumes at the next start" : "");
}

static void *recompute_main(void *arg)
{
    struct recompute *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        w->woken = false;
        pthread_mutex_unlock(&w->lock);
        run_pending(w);
        pthread_mutex_lock(&w->lock);
        struct timespec until = clock_wait_until((int64_t)RECOMPUTE_POLL_S * 1000);
        while (!w->stop && !w->woken && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct recompute *recompute_start(struct store *s)
{
    struct recompute *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->store = s;
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cond);
    if (pthread_create(&w->thread, NULL, recompute_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    set_running(w);
    service_sla_set_recompute_hook(wake);
    return w;
}

void recompute_stop(struct recompute *w)
{
    if (!w) return;
    set_running(NULL);
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
