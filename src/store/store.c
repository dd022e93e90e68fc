/* store.c: the backend-independent half of the store: the reader pool and
 * the group-commit writer thread (see store.h for the model). */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

/* How many queued jobs one transaction takes at most: bounds how long the
 * write lock is held and how much one failed commit can take down with it. */
#define GROUP_MAX 512

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs one group in one transaction. Returns ERR_OK when it committed, else
 * the cause (every job that had succeeded then answers it: nothing of the
 * group is on disk). A job's own failure is its alone. */
static enum err run_group(struct store_conn *c, struct store_job *batch)
{
    enum err group = (enum err)store_begin(c);
    for (struct store_job *j = batch; j; j = j->next) {
        if (group != ERR_OK) {
            j->rc = group;
            continue;
        }
        enum err rc = (enum err)store_savepoint(c);
        if (rc != ERR_OK) {
            j->rc = group = rc;
            continue;
        }
        j->rc = j->run(c, j->arg);
        if (j->rc != ERR_OK && (rc = (enum err)store_savepoint_rollback(c)) != ERR_OK) group = rc;
        if (group == ERR_OK && (rc = (enum err)store_savepoint_release(c)) != ERR_OK) {
            if (rc == ERR_JOB_FAILED)
                j->rc = ERR_INTERNAL; /* its own failure, reported late; the rest of the group goes on */
            else
                group = rc;
        }
    }
    if (group == ERR_OK) group = (enum err)store_commit(c);
    if (group != ERR_OK) {
        store_rollback(c);
        for (struct store_job *j = batch; j; j = j->next)
            if (j->rc == ERR_OK) j->rc = group;
    }
    return group;
}

static void *writer_main(void *arg)
{
    struct store *s = arg;
    struct store_conn *c = s->writer_conn;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->queue_head && !s->stopping) pthread_cond_wait(&s->cond, &s->lock);
        if (!s->queue_head && s->stopping) break;
        /* take up to GROUP_MAX jobs */
        struct store_job *batch = s->queue_head, *last = batch;
        int n = 1;
        while (last->next && n < GROUP_MAX) {
            last = last->next;
            n++;
        }
        s->queue_head = last->next;
        if (!s->queue_head) s->queue_tail = NULL;
        s->queued -= n;
        last->next = NULL;
        pthread_mutex_unlock(&s->lock);

        int64_t before = store_changes(c);
        enum err group = run_group(c, batch);
        /* A failed job that means "cannot write now" marks the store so too,
         * unless the commit wrote other jobs' rows after all. */
        bool cannot_write = group != ERR_OK;
        for (struct store_job *j = batch; j && !cannot_write; j = j->next) cannot_write = j->rc == ERR_UNAVAILABLE;
        bool wrote = group == ERR_OK && store_changes(c) > before;
        const char *why = store_last_error(c);
        if (group != ERR_OK)
            log_error("store: group commit of %d jobs failed (%s); all are refused with %d %s", n, why,
                      err_http_status(group), err_code_str(group));
        pthread_mutex_lock(&s->lock);
        if (group == ERR_OK) {
            s->commits++;
            s->jobs_committed += (uint64_t)n;
        }
        if (wrote) {
            if (s->unwritable) log_info("store: writes commit again");
            s->unwritable = false;
            s->last_write_ms = mono_ms();
        } else if (cannot_write) {
            s->unwritable = true;
            snprintf(s->unwritable_why, sizeof s->unwritable_why, "the database cannot take writes: %s", why);
        }
        pthread_mutex_unlock(&s->lock);
        /* done() may free the job: read next first */
        for (struct store_job *j = batch, *next; j; j = next) {
            next = j->next;
            j->done(j);
        }
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* The search's documents of rows written before the search existed (its
 * migration cannot call the normalisation in C), in one writer transaction
 * at open; nothing to do on every later open. */
static int search_backfill(struct store_conn *c, struct errinfo *e)
{
    /* its write lock may be another instance's, starting at the same time:
     * each try waits the backend's own timeout */
    int rc = store_begin(c);
    for (int tries = 1; rc == ERR_UNAVAILABLE && tries < 4; tries++) rc = store_begin(c);
    if (rc == 0) rc = (int)store_search_rebuild(c, true);
    if (rc == 0) rc = store_commit(c);
    if (rc == 0) return 0;
    store_rollback(c);
    err_set(e, ERR_INTERNAL, NULL, "cannot index the existing tasks for search: %s", store_last_error(c));
    return -1;
}

int store_open(const char *path, struct store **out, struct errinfo *e)
{
    const struct store_backend *b = store_backend_of(path);
    if (!b->ops)
        return err_set(e, ERR_NOT_IMPLEMENTED, "db", "--db names a %s database, and %s is not built into this "
                       "opstasks (give --db the path of a SQLite file)", b->label, b->label), -1;
    struct store *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, ERR_INTERNAL, NULL, "out of memory"), -1;
    s->ops = b->ops;
    s->path = strdup(path);
    s->queue_max = STORE_QUEUE_MAX;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!s->path) {
        err_set(e, ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (store_check_file(s->ops, path, e) != 0) goto fail;
    if (store_conn_open(s, true, &s->writer_conn) != 0) {
        err_set(e, ERR_INTERNAL, NULL, "cannot open database %s", path);
        goto fail;
    }
    if (store_migrate(s->writer_conn, e) != 0 || search_backfill(s->writer_conn, e) != 0) goto fail;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        err_set(e, ERR_INTERNAL, NULL, "cannot start the writer thread");
        goto fail;
    }
    s->writer_started = true;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_drain(struct store *s)
{
    if (!s || !s->writer_started) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer, NULL);
    s->writer_started = false;
    if (s->commits >= 100) /* enough for the figure to mean something */
        log_info("store: %llu writes in %llu commits (%.1f per commit)", (unsigned long long)s->jobs_committed,
                 (unsigned long long)s->commits, (double)s->jobs_committed / (double)s->commits);
}

void store_close(struct store *s)
{
    if (!s) return;
    store_drain(s);
    for (int i = 0; i < s->n_readers; i++)
        if (s->all_readers[i]) store_conn_close(s->all_readers[i]);
    free(s->all_readers);
    if (s->writer_conn) store_conn_close(s->writer_conn);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->path);
    free(s);
}

static void enqueue_locked(struct store *s, struct store_job *job)
{
    job->next = NULL;
    s->queued++;
    if (s->queue_tail)
        s->queue_tail->next = job;
    else
        s->queue_head = job;
    s->queue_tail = job;
    pthread_cond_signal(&s->cond);
}

static int submit(struct store *s, struct store_job *job, bool bounded)
{
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (bounded && s->queued >= s->queue_max) {
        pthread_mutex_unlock(&s->lock);
        return -2;
    }
    enqueue_locked(s, job);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int store_submit(struct store *s, struct store_job *job) { return submit(s, job, false); }

int store_submit_bounded(struct store *s, struct store_job *job) { return submit(s, job, true); }

static enum err probe_run(struct store_conn *c, void *arg)
{
    (void)arg;
    return store_probe(c);
}

static void probe_done(struct store_job *job)
{
    struct store *s = job->arg;
    pthread_mutex_lock(&s->lock);
    s->probe_busy = false;
    pthread_mutex_unlock(&s->lock);
}

/* A probe stuck this long behind other work means the writer is not keeping up. */
#define PROBE_STUCK_MS 10000

enum err store_ready(struct store *s, char *why, size_t n)
{
    int64_t now = mono_ms();
    enum err rc = ERR_OK;
    char low[200];
    bool space_low = store_space_low(s, low, sizeof low); /* a system call: outside the lock */
    pthread_mutex_lock(&s->lock);
    if (s->stopping || !s->writer_started) {
        snprintf(why, n, "the writer is stopping");
        rc = ERR_UNAVAILABLE;
    } else {
        bool idle = now - s->last_write_ms >= 1000;
        if ((s->unwritable || idle) && !s->probe_busy && now - s->probe_sent_ms >= 1000) {
            s->probe_job = (struct store_job){.run = probe_run, .arg = s, .done = probe_done};
            s->probe_busy = true;
            s->probe_sent_ms = now;
            enqueue_locked(s, &s->probe_job);
        }
        if (s->unwritable) {
            snprintf(why, n, "%s", s->unwritable_why);
            rc = ERR_UNAVAILABLE;
        } else if (space_low) {
            snprintf(why, n, "%s", low);
            rc = ERR_UNAVAILABLE;
        } else if (s->probe_busy && now - s->probe_sent_ms > PROBE_STUCK_MS) {
            snprintf(why, n, "the writer has not finished a write for %lld s",
                     (long long)(now - s->probe_sent_ms) / 1000);
            rc = ERR_UNAVAILABLE;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct sync_job {
    struct store_job job;
    pthread_mutex_t m;
    pthread_cond_t c;
    bool finished;
};

static void sync_done(struct store_job *job)
{
    struct sync_job *sj = (struct sync_job *)job;
    pthread_mutex_lock(&sj->m);
    sj->finished = true;
    pthread_cond_signal(&sj->c);
    pthread_mutex_unlock(&sj->m);
}

enum err store_run(struct store *s, enum err (*run)(struct store_conn *, void *), void *arg)
{
    struct sync_job sj = {.job = {.run = run, .arg = arg, .done = sync_done}};
    pthread_mutex_init(&sj.m, NULL);
    pthread_cond_init(&sj.c, NULL);
    enum err rc = ERR_UNAVAILABLE;
    if (store_submit(s, &sj.job) == 0) {
        pthread_mutex_lock(&sj.m);
        while (!sj.finished) pthread_cond_wait(&sj.c, &sj.m);
        pthread_mutex_unlock(&sj.m);
        rc = sj.job.rc;
    }
    pthread_mutex_destroy(&sj.m);
    pthread_cond_destroy(&sj.c);
    return rc;
}

/* store_run_each: the items' shared state, and one writer job of them. */
struct each {
    enum err (*item)(struct store_conn *c, void *arg, int i);
    void *arg;
    enum err *results;
    pthread_mutex_t m;
    pthread_cond_t c;
    int pending;
};

struct each_job {
    struct store_job job;
    struct each *e;
    int first, n;
};

static enum err each_run(struct store_conn *c, void *arg)
{
    struct each_job *j = arg;
    struct each *e = j->e;
    for (int i = j->first; i < j->first + j->n; i++) {
        enum err rc = (enum err)store_savepoint(c), sp;
        if (rc != ERR_OK) return rc;
        rc = e->item(c, e->arg, i);
        if (e->results) e->results[i] = rc;
        /* the item's savepoint is closed on every path, so the writer's
         * rollback of a failed job reaches the job's own */
        if (rc != ERR_OK && (sp = (enum err)store_savepoint_rollback(c)) != ERR_OK) return sp;
        if ((sp = (enum err)store_savepoint_release(c)) == ERR_JOB_FAILED) {
            if (e->results) e->results[i] = ERR_INTERNAL; /* reported late; undone alone */
        } else if (sp != ERR_OK) {
            return sp;
        }
        if (rc == ERR_UNAVAILABLE) return rc;
    }
    return ERR_OK;
}

static void each_done(struct store_job *job)
{
    struct each *e = ((struct each_job *)job)->e;
    pthread_mutex_lock(&e->m);
    e->pending--;
    pthread_cond_signal(&e->c);
    pthread_mutex_unlock(&e->m);
}

enum err store_run_each(struct store *s, int n, enum err (*item)(struct store_conn *c, void *arg, int i), void *arg,
                        enum err *results)
{
    if (n <= 0) return ERR_OK;
    int per = s->ops->each_batch > 0 ? s->ops->each_batch : 1;
    int nj = (n + per - 1) / per;
    struct each_job *jobs = calloc((size_t)nj, sizeof *jobs);
    if (!jobs) return ERR_INTERNAL;
    struct each e = {.item = item, .arg = arg, .results = results};
    pthread_mutex_init(&e.m, NULL);
    pthread_cond_init(&e.c, NULL);
    enum err ret = ERR_OK;
    int submitted = 0;
    for (; submitted < nj; submitted++) {
        struct each_job *j = &jobs[submitted];
        j->job = (struct store_job){.run = each_run, .arg = j, .done = each_done};
        j->e = &e;
        j->first = submitted * per;
        j->n = n - j->first < per ? n - j->first : per;
        pthread_mutex_lock(&e.m);
        e.pending++;
        pthread_mutex_unlock(&e.m);
        if (store_submit(s, &j->job) != 0) {
            pthread_mutex_lock(&e.m);
            e.pending--;
            pthread_mutex_unlock(&e.m);
            ret = ERR_UNAVAILABLE;
            break;
        }
    }
    pthread_mutex_lock(&e.m);
    while (e.pending > 0) pthread_cond_wait(&e.c, &e.m);
    pthread_mutex_unlock(&e.m);
    for (int k = 0; k < nj; k++) {
        enum err rc = k < submitted ? jobs[k].job.rc : ERR_UNAVAILABLE;
        if (rc == ERR_OK) continue;
        if (ret == ERR_OK) ret = rc;
        for (int i = 0; results && i < per && k * per + i < n; i++) results[k * per + i] = rc;
    }
    pthread_mutex_destroy(&e.m);
    pthread_cond_destroy(&e.c);
    free(jobs);
    return ret;
}

struct store_conn *store_reader_acquire(struct store *s)
{
    pthread_mutex_lock(&s->lock);
    struct store_conn *c = s->readers;
    if (c) {
        s->readers = c->next_free;
        pthread_mutex_unlock(&s->lock);
        return c;
    }
    if (s->n_readers == s->cap_readers) {
        int cap = s->cap_readers ? s->cap_readers * 2 : 8;
        struct store_conn **a = realloc(s->all_readers, sizeof *a * (size_t)cap);
        if (!a) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        s->all_readers = a;
        s->cap_readers = cap;
    }
    int slot = s->n_readers++;
    s->all_readers[slot] = NULL;
    pthread_mutex_unlock(&s->lock);
    /* open outside the lock: opening parses the schema */
    if (store_conn_open(s, false, &c) != 0) return NULL;
    pthread_mutex_lock(&s->lock);
    s->all_readers[slot] = c;
    pthread_mutex_unlock(&s->lock);
    return c;
}

void store_reader_release(struct store_conn *c)
{
    if (!c) return;
    struct store *s = c->store;
    pthread_mutex_lock(&s->lock);
    c->next_free = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->lock);
}
