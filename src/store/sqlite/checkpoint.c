/* checkpoint.c (sqlite): the WAL's checkpoints, on a thread and a connection
 * of their own, so that a commit never copies the WAL back into the database.
 * SQLite's default runs that copy (and the database file's fsync) inside
 * whichever commit pushes the WAL past 1,000 pages: the writer stops for it,
 * and every write queued behind stops too. Here the writer's WAL hook only
 * says how long the WAL is; past CKPT_PAGES (as often as SQLite's own
 * would), the thread runs a PASSIVE checkpoint (it never waits
 * for a reader or blocks the writer); under writes that never pause the
 * writer finishes one itself every HARD_PAGES (wal_hook); after IDLE_MS without
 * a commit, one TRUNCATE gives the WAL's disk space back. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "store/sqlite/internal.h"
#include "util/clock.h"
#include "util/log.h"

#define CKPT_PAGES 1000
#define HARD_PAGES (4 * CKPT_PAGES)
#define PERIOD_MS 1000
#define IDLE_MS 2000
/* how long a TRUNCATE may wait for readers and the writer (it blocks new
 * writes while it waits): the idle moment it needs is short */
#define TRUNCATE_WAIT_MS 50

struct sqlite_checkpointer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool stop;
    int pages;          /* the WAL's length after the last commit */
    int next_at;        /* the length at which the next checkpoint runs */
    uint64_t commits;   /* commits seen by the hook */
    sqlite3 *db;        /* the thread's own connection */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* On the writer's thread after each commit: cheap, and the copy only past
 * HARD_PAGES. The WAL starts again from its beginning only when a write
 * begins after a checkpoint that copied every frame; under writes that never
 * pause, the thread's checkpoints always trail the newest frames, so the WAL
 * would grow without end. Past HARD_PAGES the writer checkpoints itself, as
 * SQLite's own hook does at every 1,000 pages: FULL, waiting for the
 * thread's checkpoint and the readers of older frames, so that the next
 * write starts the WAL again; it mostly finishes what the thread copied. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct sqlite_checkpointer *k = arg;
    pthread_mutex_lock(&k->lock);
    if (pages < k->pages) k->next_at = CKPT_PAGES; /* the WAL started again */
    k->pages = pages;
    k->commits++;
    if (pages >= k->next_at) pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->lock);
    if (pages >= HARD_PAGES) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_FULL, NULL, NULL);
    return SQLITE_OK;
}

static void *run(void *arg)
{
    struct sqlite_checkpointer *k = arg;
    uint64_t seen = 0;
    int64_t last_commit = mono_ms();
    bool truncated = true, failing = false;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        /* at once when commits since the last round filled the WAL, else
         * after a period (or the hook's signal) */
        if (k->commits == seen || k->pages < k->next_at) {
            struct timespec until = clock_wait_until(PERIOD_MS);
            pthread_cond_timedwait(&k->cond, &k->lock, &until);
        }
        if (k->stop) break;
        bool busy = k->commits != seen, full = busy && k->pages >= k->next_at;
        seen = k->commits;
        pthread_mutex_unlock(&k->lock);
        int64_t now = mono_ms();
        if (busy) last_commit = now, truncated = false;
        int rc = SQLITE_OK;
        /* only a full WAL: a page checkpointed while writes keep changing it
         * would be copied again and again (30% more bytes written per create
         * when this ran every second) */
        if (full) {
            /* the next one CKPT_PAGES new frames later: the WAL does not start
             * again while writes go on, and its length stays past the mark */
            int log = -1;
            rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, NULL);
            pthread_mutex_lock(&k->lock);
            if (log >= 0 && log + CKPT_PAGES > k->next_at) k->next_at = log + CKPT_PAGES;
            pthread_mutex_unlock(&k->lock);
        } else if (!truncated && now - last_commit >= IDLE_MS) {
            sqlite3_busy_timeout(k->db, TRUNCATE_WAIT_MS);
            rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
            sqlite3_busy_timeout(k->db, 0);
            truncated = rc == SQLITE_OK;
            if (rc == SQLITE_BUSY) rc = SQLITE_OK; /* readers or a write came: next idle moment */
        }
        /* once per spell of failures (a full disk fails every second) */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && !failing)
            log_error("sqlite: WAL checkpoint: %s; trying again every second", sqlite3_errmsg(k->db));
        else if (rc == SQLITE_OK && failing)
            log_info("sqlite: WAL checkpoints work again");
        failing = rc != SQLITE_OK && rc != SQLITE_BUSY;
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

struct sqlite_checkpointer *sqlite_checkpointer_start(const char *path, sqlite3 *writer_db)
{
    struct sqlite_checkpointer *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s for checkpoints: %s", path, k->db ? sqlite3_errmsg(k->db) : "no memory");
        sqlite3_close(k->db);
        free(k);
        return NULL;
    }
    /* a connection that has read nothing yet does not know the file is in
     * WAL mode, and its checkpoints do nothing */
    if (sqlite3_exec(k->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot read %s for checkpoints: %s", path, sqlite3_errmsg(k->db));
        sqlite3_close(k->db);
        free(k);
        return NULL;
    }
    k->next_at = CKPT_PAGES;
    pthread_mutex_init(&k->lock, NULL);
    clock_cond_init(&k->cond);
    if (pthread_create(&k->thread, NULL, run, k) != 0) {
        pthread_cond_destroy(&k->cond);
        pthread_mutex_destroy(&k->lock);
        sqlite3_close(k->db);
        free(k);
        return NULL;
    }
    /* replaces SQLite's own hook: no commit of this connection checkpoints */
    sqlite3_wal_hook(writer_db, wal_hook, k);
    return k;
}

void sqlite_checkpointer_stop(struct sqlite_checkpointer *k, sqlite3 *writer_db)
{
    if (!k) return;
    sqlite3_wal_hook(writer_db, NULL, NULL);
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    pthread_cond_signal(&k->cond);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    sqlite3_close(k->db);
    free(k);
}
