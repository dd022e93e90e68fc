/* runtime.h: the backend-independent half of the store (store.c): opening
 * a database through its backend, the reader pool and the group-commit
 * writer.
 *
 * Concurrency model: reads run on pooled reader connections in the calling
 * thread. All writes go through ONE writer thread (store_submit): it takes
 * every job waiting, runs each inside its own savepoint of a single
 * transaction, commits once (one fsync for the whole group) and only then
 * reports each job done. A job that fails rolls back to its savepoint and
 * leaves the others alone. This is group commit: durable (a 2xx is sent only
 * after the commit returned) and ~N times cheaper than a commit per request. */
#ifndef OPSTASKS_STORE_RUNTIME_H
#define OPSTASKS_STORE_RUNTIME_H

#include <pthread.h>

#include "store/ops.h"

/* A unit of write work. `run` executes inside the writer's transaction on the
 * writer connection and returns ERR_OK or an error (its savepoint is then
 * rolled back). `done` is called from the writer thread after the commit (or
 * after a failed commit, with rc the failure's cause: ERR_UNAVAILABLE when the
 * database cannot take writes now, else ERR_INTERNAL); it must not block. */
struct store_job {
    enum err (*run)(struct store_conn *c, void *arg);
    void *arg;
    void (*done)(struct store_job *job);
    enum err rc;
    struct store_job *next;
};

struct store {
    const struct store_ops *ops;  /* first, as in struct store_conn: the wrappers read it */
    char *path;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct store_job *queue_head, *queue_tail;
    int queued, queue_max; /* jobs waiting; store_submit_bounded refuses past queue_max */
    bool stopping;
    bool writer_started;
    pthread_t writer;
    struct store_conn *writer_conn;
    struct store_conn *readers;  /* free list */
    struct store_conn **all_readers;
    int n_readers, cap_readers;
    /* counters for the logs and benchmarks */
    uint64_t commits, jobs_committed;
    /* Readiness, kept by the writer under lock: whether the last commit that
     * carried writes failed, and why; when writes last committed; the probe
     * store_ready sends when writes fail or none came for a second. */
    bool unwritable;
    char unwritable_why[200];
    int64_t last_write_ms, probe_sent_ms;  /* monotonic */
    bool probe_busy;
    struct store_job probe_job;
};


/* Opens the database that path names (a SQLite file is created when
 * missing; see store_backend_of), applies migrations and starts the writer
 * thread. Returns 0 or -1 with e filled, ERR_NOT_IMPLEMENTED when path
 * names a backend this opstasks is built without. */
int store_open(const char *path, struct store **out, struct errinfo *e);
/* Runs every job already queued (calling its done) and stops the writer;
 * store_submit refuses from then on. Safe to call twice. */
void store_drain(struct store *s);
/* store_drain, then closes every connection and frees the store. */
void store_close(struct store *s);

/* Queue a job for the writer. Returns 0, or -1 when the store is stopping
 * (the job is not run and done is not called). */
int store_submit(struct store *s, struct store_job *job);
/* store_submit for work from outside (HTTP requests): -2, and the job is not
 * queued, when queue_max jobs are already waiting, so an overload is answered
 * at once instead of growing the queue's latency and memory without bound.
 * Background jobs and the CLI use store_submit and are never refused. */
#define STORE_QUEUE_MAX 10000
int store_submit_bounded(struct store *s, struct store_job *job);
/* Submit and wait for it: for the CLI and background jobs. */
enum err store_run(struct store *s, enum err (*run)(struct store_conn *, void *), void *arg);
/* Runs item(c, arg, i) for every i in [0, n), each on its own: every item in
 * its own savepoint, so one that fails (returns other than ERR_OK) is undone
 * alone and the others are kept. The store cuts the items into writer jobs
 * of its backend's each_batch items, queued together so group commit puts
 * many in one transaction, and waits for all. An item that answers
 * ERR_UNAVAILABLE (the database cannot write now: not the item's fault)
 * fails its whole job. results (n entries, or NULL) gets each item's answer,
 * or, for the items of a job that did not commit, that job's failure.
 * Returns ERR_OK when every job committed, else the first job's failure
 * (ERR_UNAVAILABLE too when the store is stopping). For background work and
 * the CLI: it blocks. */
enum err store_run_each(struct store *s, int n, enum err (*item)(struct store_conn *c, void *arg, int i), void *arg,
                        enum err *results);

/* Whether the database can take writes now: ERR_OK, or ERR_UNAVAILABLE
 * with why (NUL-terminated, at most n bytes) when the last commit carrying
 * writes failed (disk full, I/O error, read-only, locked), the disk has under
 * STORE_SPACE_LOW bytes free, the writer is stopping, or a probe has waited
 * on the writer for over 10 s. Cheap: it
 * reads the writer's flags; when writes are failing, or none committed for
 * a second, it queues one tiny probe write (at most one a second) whose
 * result the next call sees. */
enum err store_ready(struct store *s, char *why, size_t n);

/* A reader connection for the calling thread's use; give it back after. */
struct store_conn *store_reader_acquire(struct store *s);
void store_reader_release(struct store_conn *c);

#endif
