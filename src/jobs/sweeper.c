/* sweeper.c: the overdue sweeper thread; see sweeper.h. */
#include "jobs/sweeper.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "domain/dates.h"
#include "jobs/renewal_pass.h"
#include "service/tasks.h"
#include "util/clock.h"
#include "util/log.h"

struct sweeper {
    struct store *store;
    int interval_s;
    int events_retention_days; /* 0: keep events forever */
    char owner[96];            /* this instance, as the lease names it */
    bool leader;               /* holds the lease (as of the last tick) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    _Atomic bool stop; /* set under lock (the wait), read anywhere */
};

/* A stop was asked for: a sweep ends after the batch it is in, committed,
 * and the next one (here after a restart, or at the instance that takes
 * the lease over) goes on from there, so a long backlog never holds up a
 * shutdown. NULL: a sweep of sweeper_run_once, never stopped. */
static bool stopping(const struct sweeper *w) { return w && atomic_load(&w->stop); }

struct batch {
    int found;
    int recorded;
};

static enum err sweep_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    int64_t now = clock_now_ms();
    char today[DATE_SIZE];
    dates_today(now, today);
    char **ids = NULL;
    int n = 0;
    enum err rc = store_task_overdue_unrecorded(c, today, SWEEPER_BATCH, &ids, &n);
    b->found = n;
    for (int i = 0; i < n && rc == ERR_OK; i++) {
        bool rec;
        rc = service_task_record_overdue(c, ids[i], now, &rec);
        b->recorded += rec;
    }
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    return rc;
}

/* One batch of SLA breaches, recorded once each */
static enum err sla_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    int64_t now = clock_now_ms();
    char **ids = NULL;
    int n = 0;
    enum err rc = store_task_sla_breach_unrecorded(c, now, SWEEPER_BATCH, &ids, &n);
    b->found = n;
    for (int i = 0; i < n && rc == ERR_OK; i++) {
        bool rec;
        rc = service_task_record_sla_breach(c, ids[i], now, &rec);
        b->recorded += rec;
    }
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    return rc;
}

/* One batch of SLA at-risk warnings, once each per clock (SLA clocks) */
static enum err risk_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    int64_t now = clock_now_ms();
    char **ids = NULL;
    int n = 0;
    enum err rc = store_task_sla_risk_unrecorded(c, now, SWEEPER_BATCH, &ids, &n);
    b->found = n;
    for (int i = 0; i < n && rc == ERR_OK; i++) {
        bool rec;
        rc = service_task_record_sla_at_risk(c, ids[i], now, &rec);
        b->recorded += rec;
    }
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    return rc;
}

/* The last sweep, for GET /metrics */
static _Atomic int64_t last_sweep_at_ms, last_sweep_us;

void sweeper_last(int64_t *at_ms, int64_t *duration_us)
{
    *at_ms = atomic_load(&last_sweep_at_ms);
    *duration_us = atomic_load(&last_sweep_us);
}

static enum err purge_keys(struct store_conn *c, void *arg)
{
    int64_t *purged = arg;
    return store_idem_purge(c, clock_now_ms() - 24LL * 3600 * 1000, purged);
}

static long sweep(struct store *s, const struct sweeper *w)
{
    long total = 0;
    /* bounded: each batch records or skips what it found, so the list shrinks */
    for (int round = 0; round < 100000 && !stopping(w); round++) {
        struct batch b = {0};
        if (store_run(s, sweep_batch, &b) != ERR_OK) return -1;
        total += b.recorded;
        if (b.found < SWEEPER_BATCH) break;
    }
    /* SLA breaches; the deadline recompute after a calendar change is
     * jobs/recompute.c's, and a breach is judged by the calendar in force
     * even before it gets there (service_task_record_sla_breach) */
    for (int round = 0; round < 100000 && !stopping(w); round++) {
        struct batch b = {0};
        if (store_run(s, sla_batch, &b) != ERR_OK) return -1;
        total += b.recorded;
        if (b.found < SWEEPER_BATCH) break;
    }
    /* SLA clocks: the warnings of running clocks past their 80% instant
     * (a warning records no move of the task: not counted in the total) */
    for (int round = 0; round < 100000 && !stopping(w); round++) {
        struct batch b = {0};
        if (store_run(s, risk_batch, &b) != ERR_OK) return -1;
        if (b.found < SWEEPER_BATCH) break;
    }
    for (int round = 0; round < 1000 && !stopping(w); round++) {
        int64_t purged = 0;
        if (store_run(s, purge_keys, &purged) != ERR_OK || purged < 2000) break;
    }
    return total;
}

long sweeper_run_once(struct store *s) { return sweep(s, NULL); }

struct purge {
    int64_t older_than_ms, purged;
};

static enum err purge_events(struct store_conn *c, void *arg)
{
    struct purge *p = arg;
    return store_event_purge(c, p->older_than_ms, SWEEPER_EVENTS_BATCH, &p->purged);
}

static long purge_old_events(struct store *s, int64_t older_than_ms, const struct sweeper *w)
{
    long total = 0;
    /* bounded: 20,000 jobs are 2 million events; the rest wait for the next sweep */
    for (int round = 0; round < 20000 && !stopping(w); round++) {
        struct purge p = {.older_than_ms = older_than_ms};
        if (store_run(s, purge_events, &p) != ERR_OK) return -1;
        total += (long)p.purged;
        if (p.purged < SWEEPER_EVENTS_BATCH) break;
    }
    return total;
}

long sweeper_purge_events(struct store *s, int64_t older_than_ms) { return purge_old_events(s, older_than_ms, NULL); }

struct lease {
    const char *owner;
    bool held;
    bool release;
};

static enum err lease_run(struct store_conn *c, void *arg)
{
    struct lease *l = arg;
    if (l->release) return store_lease_release(c, SWEEPER_LEASE, l->owner);
    return store_lease_take(c, SWEEPER_LEASE, l->owner, clock_now_ms(), SWEEPER_LEASE_TTL_MS, &l->held);
}

/* Takes or renews the lease; says so in the log when leadership moves. */
static bool hold_lease(struct sweeper *w)
{
    struct lease l = {.owner = w->owner};
    enum err rc = store_run(w->store, lease_run, &l);
    if (rc != ERR_OK) l.held = false; /* the database is away: so is any claim to lead */
    if (l.held != w->leader)
        log_info(l.held ? "sweeper: this instance (%s) runs the background work now"
                        : "sweeper: another instance runs the background work (%s waits)", w->owner);
    w->leader = l.held;
    return l.held;
}

/* One round of the background work: the sweep, the renewals pass and the
 * events retention. */
static void work(struct sweeper *w)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long n = sweep(w->store, w);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    atomic_store(&last_sweep_at_ms, clock_now_ms());
    atomic_store(&last_sweep_us, (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    if (n != 0)
        log_info("sweeper: %ld tasks recorded overdue or SLA-breached in %.1f ms", n,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    /* the renewals pass runs at start and after every sweep */
    if (stopping(w)) return;
    renewal_pass_run(w->store, NULL);
    if (w->events_retention_days > 0 && !stopping(w)) {
        int64_t cutoff = clock_now_ms() - (int64_t)w->events_retention_days * 86400 * 1000;
        long removed = purge_old_events(w->store, cutoff, w);
        if (removed < 0)
            log_error("sweeper: removing old events failed; the next sweep tries again");
        else if (removed > 0)
            log_info("sweeper: removed %ld events received over %d days ago", removed, w->events_retention_days);
    }
}

/* Ticks every SWEEPER_TICK_S (or the interval, when shorter): each tick
 * renews the lease, and the instance holding it works when its interval has
 * passed since its last round, or at once when it has just taken the lease
 * over (an instance that died mid-interval leaves nobody's work waiting a
 * whole interval). The work itself is safe from a stale leader: every
 * record it writes is decided by a conditional write or a unique key. */
static void *sweeper_main(void *arg)
{
    struct sweeper *w = arg;
    int tick_s = w->interval_s < SWEEPER_TICK_S ? w->interval_s : SWEEPER_TICK_S;
    struct timespec last = {0};
    bool worked = false;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        bool was_leader = w->leader;
        if (hold_lease(w)) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (!worked || !was_leader || now.tv_sec - last.tv_sec >= w->interval_s) {
                work(w);
                clock_gettime(CLOCK_MONOTONIC, &last);
                worked = true;
            }
        }
        pthread_mutex_lock(&w->lock);
        struct timespec until = clock_wait_until((int64_t)tick_s * 1000);
        while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&w->lock);
    /* a clean stop hands the work over at once */
    if (w->leader) {
        struct lease l = {.owner = w->owner, .release = true};
        store_run(w->store, lease_run, &l);
    }
    return NULL;
}

struct sweeper *sweeper_start(struct store *s, int interval_s, int events_retention_days)
{
    struct sweeper *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->store = s;
    w->interval_s = interval_s;
    w->events_retention_days = events_retention_days;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(w->owner, sizeof w->owner, "%s/%d/%08x", host, (int)getpid(), randombytes_random());
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cond);
    if (pthread_create(&w->thread, NULL, sweeper_main, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void sweeper_stop(struct sweeper *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
