/* walbuf.c (sqlite): a VFS over the default one that gathers the writer's
 * WAL appends of one commit into one write. SQLite writes each WAL frame as
 * two writes (its 24-byte header, then the page), so a commit of ~15 creates
 * was ~200-320 pwrite calls before its one fdatasync, and a system call is
 * dear in this VM: strace of a create burst counted ~12 pwrites a create.
 * Here appends go to a buffer that is written with one call when the commit
 * frame's page arrives, before any sync, read, truncation or size question,
 * before a write that is not an append, and when it fills (128 KiB). Only the WAL of
 * the connection opened with this VFS is buffered; every other file, and all
 * locking, is the default VFS's, so connections and processes on the default
 * VFS share the database with it as before.
 *
 * Why it changes nothing a reader, another writer or a crash sees:
 * - No write is promised durable before a sync, and POSIX keeps no order
 *   among unsynced writes, so holding them until the sync loses nothing a
 *   crash could have kept.
 * - A commit becomes visible to readers when SQLite publishes the
 *   wal-index header, and the buffer is written out before that: at the
 *   commit frame's page, and again at the wal-index's memory barrier, which
 *   SQLite calls on the database file between the header's two copies.
 * - Everything is written before the connection lets go of the WAL's write
 *   lock (the database file's shared-memory lock 0). A transaction that
 *   spilled frames and then rolled back leaves them past the last commit,
 *   where the next writer, perhaps another process, writes next; written
 *   any later, they would land on that writer's committed frames.
 * - A failed write drops the buffer and fails every later write, sync and
 *   truncation, and every read of what was dropped, until the transaction
 *   ends (the write lock's release): the commit that needed those frames
 *   fails, so it is never acknowledged, and no complete commit frame of it
 *   can reach the file later, where a crash's recovery would replay it.
 * - It counts on what the store's writer runs with: synchronous=FULL (the
 *   commit's sync writes everything before the wal-index barrier, so the
 *   barrier's own write, which cannot fail the commit, has nothing to do),
 *   the default VFS's powersafe overwrite (else SQLite pads a commit and
 *   writes a padding frame's tail after the sync) and the normal locking
 *   mode (in exclusive mode SQLite releases the WAL's write lock without
 *   calling xShmLock). A WAL whose database file it cannot find is not
 *   buffered at all.
 * The database file goes through this VFS too, only to see those two calls;
 * a database file and its WAL are paired by the WAL's name, as SQLite
 * gives it (sqlite3_filename_wal). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/internal.h"
#include "util/log.h"

/* The most the default VFS writes in one call: it masks a write's length
 * to 17 bits (a page is at most 64 KiB), so a larger buffer would be cut
 * short. A commit of ~15 creates (~160 frames, ~660 KiB) is ~6 writes. */
#define WALBUF_MAX 0x1ffff
#define FRAME_HEADER 24

struct walbuf_db;

struct walbuf_file {
    sqlite3_file base;
    unsigned char *buf;
    size_t len;
    sqlite3_int64 at;      /* the file offset of buf[0] */
    bool commit_next;      /* the last write was a commit frame's header */
    int failed;            /* a write's error since the write lock was taken, or SQLITE_OK */
    sqlite3_int64 lost_from, lost_to; /* what that failure dropped */
    struct walbuf_db *db;  /* the database file it is the WAL of, while both are open */
    sqlite3_file *real;    /* the default VFS's file, after this struct */
};

/* A database file opened through this VFS, on the list of open ones. */
struct walbuf_db {
    sqlite3_file base;
    const char *wal_name;     /* the name SQLite opens its WAL by */
    struct walbuf_file *wal;  /* that WAL, while open */
    struct walbuf_db *next;
    sqlite3_io_methods methods;
    sqlite3_file *real;
};

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *parent;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct walbuf_db *open_dbs;

static struct walbuf_file *W(sqlite3_file *f) { return (struct walbuf_file *)f; }
static struct walbuf_db *D(sqlite3_file *f) { return (struct walbuf_db *)f; }

/* Writes what the buffer holds; a failure drops it and is kept until the
 * write lock goes (see the top). */
static int flush(struct walbuf_file *w)
{
    if (w->failed) return w->failed;
    if (w->len == 0) return SQLITE_OK;
    int rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->at);
    if (rc != SQLITE_OK) {
        w->failed = rc;
        w->lost_from = w->at, w->lost_to = w->at + (sqlite3_int64)w->len;
    }
    w->len = 0;
    return rc;
}

/* At the write lock's release: the transaction is over, committed (nothing
 * is buffered then) or not (what is buffered is its spilled frames). */
static void end_of_transaction(struct walbuf_file *w)
{
    flush(w);
    w->len = 0;
    w->failed = SQLITE_OK;
    w->commit_next = false;
}

static int wb_close(sqlite3_file *f)
{
    struct walbuf_file *w = W(f);
    int rc = flush(w);
    pthread_mutex_lock(&open_lock);
    if (w->db) w->db->wal = NULL;
    pthread_mutex_unlock(&open_lock);
    int rc2 = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *f, void *out, int n, sqlite3_int64 off)
{
    struct walbuf_file *w = W(f);
    if (w->failed) {
        /* frames below the failure are in the file; the dropped ones are not */
        if (off < w->lost_to && off + n > w->lost_from) return SQLITE_IOERR_READ;
    } else {
        int rc = flush(w);
        if (rc != SQLITE_OK) return rc;
    }
    return w->real->pMethods->xRead(w->real, out, n, off);
}

/* A frame header's bytes 4-7 are the database's size in pages after a
 * commit frame, 0 in any other frame. */
static bool is_commit_header(const void *data, int n)
{
    const unsigned char *h = data;
    return n == FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int wb_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    struct walbuf_file *w = W(f);
    int rc;
    if (w->failed) return w->failed;
    if (!w->db) return w->real->pMethods->xWrite(w->real, data, n, off);
    bool append = w->len > 0 && off == w->at + (sqlite3_int64)w->len;
    if (!append || w->len + (size_t)n > WALBUF_MAX) {
        if ((rc = flush(w)) != SQLITE_OK) return rc;
    }
    if ((size_t)n > WALBUF_MAX) return w->real->pMethods->xWrite(w->real, data, n, off);
    if (!w->buf && !(w->buf = malloc(WALBUF_MAX))) {
        /* no memory for the buffer: write through */
        return w->real->pMethods->xWrite(w->real, data, n, off);
    }
    if (w->len == 0) w->at = off;
    memcpy(w->buf + w->len, data, (size_t)n);
    w->len += (size_t)n;
    /* the page after a commit frame's header ends the commit's frames */
    bool ends_commit = w->commit_next;
    w->commit_next = is_commit_header(data, n);
    return ends_commit ? flush(w) : SQLITE_OK;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct walbuf_file *w = W(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wb_sync(sqlite3_file *f, int flags)
{
    struct walbuf_file *w = W(f);
    int rc = flush(w);
    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wb_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct walbuf_file *w = W(f);
    if (!w->failed) {
        int rc = flush(w);
        if (rc != SQLITE_OK) return rc;
    }
    return w->real->pMethods->xFileSize(w->real, size);
}

/* The rest is the default file's own. */
static int wb_lock(sqlite3_file *f, int l) { return W(f)->real->pMethods->xLock(W(f)->real, l); }
static int wb_unlock(sqlite3_file *f, int l) { return W(f)->real->pMethods->xUnlock(W(f)->real, l); }
static int wb_check_reserved(sqlite3_file *f, int *out)
{
    return W(f)->real->pMethods->xCheckReservedLock(W(f)->real, out);
}
static int wb_file_control(sqlite3_file *f, int op, void *arg)
{
    return W(f)->real->pMethods->xFileControl(W(f)->real, op, arg);
}
static int wb_sector_size(sqlite3_file *f) { return W(f)->real->pMethods->xSectorSize(W(f)->real); }
static int wb_device(sqlite3_file *f) { return W(f)->real->pMethods->xDeviceCharacteristics(W(f)->real); }

/* version 1: SQLite maps the wal-index through the database file, never
 * through the WAL, and reads the WAL only with xRead */
static const sqlite3_io_methods wal_methods = {
    1, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size, wb_lock, wb_unlock,
    wb_check_reserved, wb_file_control, wb_sector_size, wb_device,
};

/* The database file: the default one's methods, but for the two calls
 * after which the WAL's frames must be in the file. */
#define REAL(f) (D(f)->real)
static int db_close(sqlite3_file *f)
{
    struct walbuf_db *d = D(f);
    pthread_mutex_lock(&open_lock);
    for (struct walbuf_db **p = &open_dbs; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            break;
        }
    if (d->wal) d->wal->db = NULL;
    pthread_mutex_unlock(&open_lock);
    return REAL(f)->pMethods->xClose(REAL(f));
}
static int db_read(sqlite3_file *f, void *out, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), out, n, off);
}
static int db_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xWrite(REAL(f), data, n, off);
}
static int db_truncate(sqlite3_file *f, sqlite3_int64 size) { return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int db_sync(sqlite3_file *f, int flags) { return REAL(f)->pMethods->xSync(REAL(f), flags); }
static int db_file_size(sqlite3_file *f, sqlite3_int64 *size) { return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int db_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int db_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int db_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int db_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int db_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int db_device(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int db_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}
/* Lock 0 is the WAL's write lock: out with the frames before it goes (or
 * dropped, if they cannot be written: no commit needs them then). */
static int db_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    struct walbuf_db *d = D(f);
    if ((flags & SQLITE_SHM_UNLOCK) && offset == 0 && d->wal) end_of_transaction(d->wal);
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
/* Called between the wal-index header's two copies as SQLite publishes a
 * commit: the frames go out first (under synchronous=FULL there are none:
 * the sync wrote them). */
static void db_shm_barrier(sqlite3_file *f)
{
    struct walbuf_db *d = D(f);
    if (d->wal) flush(d->wal);
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int db_shm_unmap(sqlite3_file *f, int delete_flag) { return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag); }
static int db_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}
static int db_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), off, p); }

static const sqlite3_io_methods db_methods = {
    3, db_close, db_read, db_write, db_truncate, db_sync, db_file_size, db_lock, db_unlock,
    db_check_reserved, db_file_control, db_sector_size, db_device, db_shm_map, db_shm_lock,
    db_shm_barrier, db_shm_unmap, db_fetch, db_unfetch,
};

static int open_db(const char *name, struct walbuf_db *d, int flags, int *out_flags)
{
    memset(d, 0, sizeof *d);
    d->real = (sqlite3_file *)(d + 1);
    int rc = parent->xOpen(parent, name, d->real, flags, out_flags);
    if (rc != SQLITE_OK) return rc; /* pMethods stays NULL: SQLite does not close it */
    /* the default file's version, so that SQLite asks for no method it lacks */
    const sqlite3_io_methods *r = d->real->pMethods;
    d->methods = db_methods;
    d->methods.iVersion = r->iVersion < 3 ? r->iVersion : 3;
    /* a method the default file lacks stays absent (SQLite checks for it) */
    if (!r->xShmMap) d->methods.xShmMap = NULL, d->methods.xShmLock = NULL;
    if (!r->xShmBarrier) d->methods.xShmBarrier = NULL;
    if (!r->xShmUnmap) d->methods.xShmUnmap = NULL;
    if (r->iVersion < 3 || !r->xFetch) d->methods.xFetch = NULL, d->methods.xUnfetch = NULL;
    d->base.pMethods = &d->methods;
    d->wal_name = name ? sqlite3_filename_wal(name) : NULL;
    pthread_mutex_lock(&open_lock);
    d->next = open_dbs;
    open_dbs = d;
    pthread_mutex_unlock(&open_lock);
    return SQLITE_OK;
}

static int open_wal(const char *name, struct walbuf_file *w, int flags, int *out_flags)
{
    memset(w, 0, sizeof *w);
    w->real = (sqlite3_file *)(w + 1);
    int rc = parent->xOpen(parent, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) return rc;
    w->base.pMethods = &wal_methods;
    pthread_mutex_lock(&open_lock);
    for (struct walbuf_db *d = open_dbs; d; d = d->next)
        if (d->wal_name == name && !d->wal) {
            d->wal = w, w->db = d;
            break;
        }
    pthread_mutex_unlock(&open_lock);
    static bool told;
    if (!w->db && !told) {
        told = true;
        log_info("sqlite: the WAL %s has no database file open through this VFS; its writes go straight through",
                 name ? name : "(unnamed)");
    }
    return SQLITE_OK;
}

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    if (flags & SQLITE_OPEN_MAIN_DB) return open_db(name, D(f), flags, out_flags);
    if (flags & SQLITE_OPEN_WAL) return open_wal(name, W(f), flags, out_flags);
    return parent->xOpen(parent, name, f, flags, out_flags);
}

static int wb_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return parent->xDelete(parent, n, sync); }
static int wb_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    (void)v;
    return parent->xAccess(parent, n, flags, out);
}
static int wb_full_path(sqlite3_vfs *v, const char *n, int size, char *out)
{
    (void)v;
    return parent->xFullPathname(parent, n, size, out);
}
static void *wb_dl_open(sqlite3_vfs *v, const char *n) { (void)v; return parent->xDlOpen(parent, n); }
static void wb_dl_error(sqlite3_vfs *v, int n, char *out) { (void)v; parent->xDlError(parent, n, out); }
static void (*wb_dl_sym(sqlite3_vfs *v, void *h, const char *s))(void)
{
    (void)v;
    return parent->xDlSym(parent, h, s);
}
static void wb_dl_close(sqlite3_vfs *v, void *h) { (void)v; parent->xDlClose(parent, h); }
static int wb_randomness(sqlite3_vfs *v, int n, char *out) { (void)v; return parent->xRandomness(parent, n, out); }
static int wb_sleep(sqlite3_vfs *v, int us) { (void)v; return parent->xSleep(parent, us); }
static int wb_current_time(sqlite3_vfs *v, double *out) { (void)v; return parent->xCurrentTime(parent, out); }
static int wb_last_error(sqlite3_vfs *v, int n, char *out) { (void)v; return parent->xGetLastError(parent, n, out); }
static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return parent->xCurrentTimeInt64(parent, out);
}

const char *sqlite_walbuf_register(void)
{
    if (parent) return walbuf_vfs.zName;
    sqlite3_vfs *p = sqlite3_vfs_find(NULL);
    if (!p || p->iVersion < 2) return NULL;
    walbuf_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)(sizeof(struct walbuf_file) > sizeof(struct walbuf_db) ? sizeof(struct walbuf_file)
                                                                                : sizeof(struct walbuf_db)) +
                    p->szOsFile,
        .mxPathname = p->mxPathname,
        .zName = "opstasks-walbuf",
        .xOpen = wb_open,
        .xDelete = wb_delete,
        .xAccess = wb_access,
        .xFullPathname = wb_full_path,
        .xDlOpen = wb_dl_open,
        .xDlError = wb_dl_error,
        .xDlSym = wb_dl_sym,
        .xDlClose = wb_dl_close,
        .xRandomness = wb_randomness,
        .xSleep = wb_sleep,
        .xCurrentTime = wb_current_time,
        .xGetLastError = wb_last_error,
        .xCurrentTimeInt64 = wb_current_time64,
    };
    parent = p;
    if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK) {
        parent = NULL;
        return NULL;
    }
    return walbuf_vfs.zName;
}
