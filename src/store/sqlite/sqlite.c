/* sqlite.c: the SQLite backend of the store: connections, their statement
 * cache and the bind/column helpers every file of the backend uses,
 * transactions and savepoints, the start-up checks and migrations (the
 * table of ops is in ops.c; internal.h maps the folder). WAL mode with
 * synchronous=FULL: a commit is on disk when it returns, and readers never
 * wait for the writer. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/sqlite/internal.h"
#include "util/log.h"

/* Each connection keeps its prepared statements in a small cache keyed by
 * SQL text, because the queue's queries are built from the filters and
 * preparing one costs as much as running it. */
#define CACHE_SIZE 48
#define VERSION_STMTS 16

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
    bool writer;
    const char *last_why;  /* explain() of the last failure */
    struct {
        uint64_t hash; /* of sql: most of the queue's SQL shares a long prefix */
        char *sql;
        sqlite3_stmt *st;
    } cache[CACHE_SIZE];
    int n_cache, next_evict;
    /* the data version's statements by parts: asked before every cached
     * answer, so found without building and comparing their SQL */
    struct {
        uint64_t parts;
        int rows; /* store_version_sql's count */
        sqlite3_stmt *st;
    } versions[VERSION_STMTS];
    int n_versions, next_version;
    struct sqlite_checkpointer *checkpointer; /* the writer's (checkpoint.c) */
};

static struct sqlite_conn *SC(struct store_conn *c) { return (struct sqlite_conn *)c; }

/* Tries of a statement that takes the database's lock at start (journal
 * mode, the migrations' BEGIN IMMEDIATE), 100 ms apart: switching a new file
 * to WAL answers busy at once, without the busy handler, while another
 * instance starting at the same time holds a lock on it. */
#define START_LOCK_TRIES 100

static int exec(sqlite3 *db, const char *sql);

/* exec, tried again while the database answers busy. */
static int exec_at_start(sqlite3 *db, const char *sql)
{
    for (int i = 1;; i++) {
        char *msg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        sqlite3_free(msg);
        if (rc == SQLITE_OK) return 0;
        if ((sqlite3_extended_errcode(db) & 0xff) != SQLITE_BUSY || i == START_LOCK_TRIES) return exec(db, sql);
        if (i == 1) log_info("sqlite: %s: the database is busy (another process starting?); trying again", sql);
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("sqlite: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* A reset statement for sql, from the cache or newly prepared; NULL on error. */
sqlite3_stmt *sqlite_stmt(struct store_conn *c, const char *sql)
{
    struct sqlite_conn *sc = SC(c);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = sql; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (int i = 0; i < sc->n_cache; i++)
        if (sc->cache[i].hash == h && strcmp(sc->cache[i].sql, sql) == 0) return sc->cache[i].st;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(sc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("sqlite: prepare failed: %s", sqlite3_errmsg(sc->db));
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        return NULL;
    }
    int slot;
    if (sc->n_cache < CACHE_SIZE) {
        slot = sc->n_cache++;
    } else {
        slot = sc->next_evict;
        sc->next_evict = (sc->next_evict + 1) % CACHE_SIZE;
        sqlite3_finalize(sc->cache[slot].st);
        free(sc->cache[slot].sql);
    }
    sc->cache[slot].hash = h;
    sc->cache[slot].sql = copy;
    sc->cache[slot].st = st;
    return st;
}

void sqlite_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void sqlite_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void sqlite_bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void sqlite_bind_ts(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

void sqlite_bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void sqlite_bind_named_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_int64(st, i, v);
}

char *sqlite_col_dup(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
    const char *s = (const char *)sqlite3_column_text(st, i);
    return strdup(s ? s : "");
}

/* Copies a text column into a fixed field, truncating to fit (the schema's
 * ids and dates always fit; this runs for every column of every row listed). */
void sqlite_col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    size_t len = s ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (len >= n) len = n - 1;
    if (len) memcpy(out, s, len);
    out[len] = 0;
}

/* What a failed SQLite call means for the caller. The database being unable
 * to take a write for now (disk full, an I/O error, a lock held elsewhere past
 * the busy timeout, the file turned read-only) is ERR_UNAVAILABLE: the client
 * may retry, and GET /readyz reports it. Anything else is a bug: ERR_INTERNAL. */
static enum err classify(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
        return ERR_UNAVAILABLE;
    default:
        return ERR_INTERNAL;
    }
}

/* The cause in an operator's words, for log lines and start-up errors. */
static const char *explain(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL: return "the disk is full";
    case SQLITE_IOERR: return "an I/O error";
    case SQLITE_BUSY: return "another process holds the database lock";
    case SQLITE_LOCKED: return "the database is locked";
    case SQLITE_READONLY: return "the database is read-only (file permissions or a read-only filesystem)";
    case SQLITE_CANTOPEN: return "a file cannot be opened (is the directory writable? SQLite keeps -wal and -shm "
                                 "files beside the database)";
    case SQLITE_PERM: return "permission denied";
    case SQLITE_NOMEM: return "out of memory";
    case SQLITE_NOTADB: return "the file is not an SQLite database";
    case SQLITE_CORRUPT: return "the database file is corrupt";
    case SQLITE_CONSTRAINT: return "a constraint of the schema refused the change";
    default: return "an internal database error";
    }
}

enum err sqlite_fail(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    sqlite3 *db = SC(c)->db;
    int rc = sqlite3_extended_errcode(db);
    SC(c)->last_why = explain(rc);
    log_error("sqlite: %s: %s (%s)", what, sqlite3_errmsg(db), SC(c)->last_why);
    sqlite_done(st);
    return classify(rc);
}

enum err sqlite_step_row(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return ERR_OK;
    if (rc != SQLITE_DONE) return sqlite_fail(c, st, what);
    sqlite_done(st);
    return ERR_NOT_FOUND;
}

/* ---- connections and transactions ----------------------------------- */

static pthread_once_t configured = PTHREAD_ONCE_INIT;

/* The writer's VFS: walbuf.c's, which writes a commit's WAL frames in one
 * call (NULL, the default, if it could not be registered). */
static const char *writer_vfs;

/* Memory statistics make every SQLite allocation take one global mutex: with
 * the HTTP threads and the writer allocating at once, that lock showed up in
 * profiles of the write benchmark. We don't use the statistics. */
static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
    writer_vfs = sqlite_walbuf_register();
}

/* FTS5 keeps the search index in shadow tables (search_tasks_data and its
 * kin) that the query planner treats as ordinary tables. PRAGMA optimize
 * analyzes them when a connection has touched them, which on a new database
 * is while they hold a row or two, and that figure stays: FTS5's own
 * statements never make optimize look at them again. Believing
 * search_tasks_data has 2 rows, SQLite runs FTS5's "DELETE ... WHERE id >= ?
 * AND id <= ?" (once for each segment a merge consumes) as a scan of the whole
 * index. At 1,000,000 tasks that was 9 ms a commit on average, a 150 ms stall
 * every 16th commit, and 89% of the writer's time beside the page's views;
 * without the stale row the same commits take 0.04 ms. With no statistics
 * the planner assumes a large table and searches by rowid, so the writer
 * forgets those rows when it opens and after each optimize. */
static void forget_search_index_stats(sqlite3 *db)
{
    if (sqlite3_table_column_metadata(db, "main", "sqlite_stat1", "tbl", NULL, NULL, NULL, NULL, NULL) != SQLITE_OK)
        return; /* never analyzed */
    /* quietly: on a read-only or full disk the next write says so itself */
    sqlite3_exec(db, "DELETE FROM sqlite_stat1 WHERE tbl LIKE 'search\\_tasks\\_%' ESCAPE '\\'", NULL, NULL, NULL);
}

/* The same, on a connection of its own before the writer's opens: a
 * connection keeps the estimates it loaded even after their rows go (ANALYZE
 * sqlite_schema reloads the rows there are, and leaves a table without one
 * at its old figure), so the writer must load the statistics after this. */
static void forget_search_index_stats_at(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        forget_search_index_stats(db);
    }
    sqlite3_close(db);
}

int sqlite_conn_open(struct store *s, bool writer, struct store_conn **out)
{
    pthread_once(&configured, configure);
    struct sqlite_conn *sc = calloc(1, sizeof *sc);
    if (!sc) return -1;
    sc->base.store = s;
    sc->base.ops = s->ops;
    sc->writer = writer;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (writer) forget_search_index_stats_at(s->path);
    if (sqlite3_open_v2(s->path, &sc->db, flags, writer ? writer_vfs : NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", s->path, sc->db ? sqlite3_errmsg(sc->db) : "out of memory");
        sqlite3_close(sc->db);
        free(sc);
        return -1;
    }
    sqlite3_busy_timeout(sc->db, 5000);
    sqlite3_extended_result_codes(sc->db, 1);
    if ((writer && exec_at_start(sc->db, "PRAGMA journal_mode=WAL") != 0) ||
        exec(sc->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                     "PRAGMA temp_store=MEMORY") != 0 ||
        /* FTS5's term counts for the queue's search (queue.c), per
         * connection in temp: the readers are query_only after this */
        exec(sc->db, "CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, search_tasks, 'col')") != 0 ||
        (!writer && exec(sc->db, "PRAGMA query_only=1") != 0)) {
        sqlite3_close(sc->db);
        free(sc);
        return -1;
    }
    if (writer) sc->checkpointer = sqlite_checkpointer_start(s->path, sc->db);
    *out = &sc->base;
    return 0;
}

void sqlite_conn_close(struct store_conn *c)
{
    struct sqlite_conn *sc = SC(c);
    for (int i = 0; i < sc->n_cache; i++) {
        sqlite3_finalize(sc->cache[i].st);
        free(sc->cache[i].sql);
    }
    for (int i = 0; i < sc->n_versions; i++) sqlite3_finalize(sc->versions[i].st);
    sqlite_checkpointer_stop(sc->checkpointer, sc->db);
    if (sc->writer) {
        sqlite3_exec(sc->db, "PRAGMA optimize", NULL, NULL, NULL);
        forget_search_index_stats(sc->db);
    }
    sqlite3_close(sc->db);
    free(sc);
}

/* The transaction primitives: 0, or the enum err their failure means. */
static int run_cached(struct store_conn *c, const char *sql)
{
    sqlite3_stmt *st = sqlite_stmt(c, sql);
    if (!st) return (int)sqlite_fail(c, NULL, sql);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return (int)sqlite_fail(c, st, sql);
    sqlite_done(st);
    return 0;
}

int sqlite_begin(struct store_conn *c) { return run_cached(c, "BEGIN IMMEDIATE"); }
/* The commit first indexes the search documents the transaction's jobs
 * refreshed (migration 013: one FTS5 write per group, not per job). */
int sqlite_commit(struct store_conn *c)
{
    int rc = run_cached(c, "INSERT OR REPLACE INTO search_tasks (rowid, doc_title, doc_customer, doc_rest) "
                           "SELECT rid, title, customer, rest FROM search_docs WHERE pending = 1");
    if (rc == 0) rc = run_cached(c, "UPDATE search_docs SET pending = 0, rest = NULL WHERE pending = 1");
    return rc ? rc : run_cached(c, "COMMIT");
}
int sqlite_rollback(struct store_conn *c)
{
    if (sqlite3_get_autocommit(SC(c)->db)) return 0;
    return exec(SC(c)->db, "ROLLBACK") == 0 ? 0 : ERR_INTERNAL;
}
/* Outside a transaction SAVEPOINT would open one and RELEASE commit it: when
 * the group's transaction is gone (SQLite rolls it back by itself after some
 * errors, a full disk among them), refuse rather than write outside it. */
static bool transaction_gone(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(SC(c)->db)) return false;
    log_error("sqlite: the group's transaction is gone (rolled back after an error); the group is refused");
    return true;
}
int sqlite_savepoint(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "SAVEPOINT job");
}
int sqlite_savepoint_release(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "RELEASE job");
}
int sqlite_savepoint_rollback(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "ROLLBACK TO job");
}

int64_t sqlite_changes(struct store_conn *c) { return sqlite3_total_changes64(SC(c)->db); }
const char *sqlite_last_error(struct store_conn *c) { return SC(c)->last_why ? SC(c)->last_why : "unknown"; }

/* The readiness probe's write: one row rewritten with its own value, so the
 * commit that follows must write a page (and find out whether it can). */
enum err sqlite_probe(struct store_conn *c)
{
    sqlite3_stmt *st = sqlite_stmt(c, "UPDATE schema_migrations SET applied_at = applied_at "
                               "WHERE version = (SELECT max(version) FROM schema_migrations)");
    if (!st) return sqlite_fail(c, NULL, "readiness probe");
    if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, "readiness probe");
    sqlite_done(st);
    return ERR_OK;
}

/* statvfs of the database's directory: one system call, cheap enough for
 * every GET /readyz. Root may use the blocks reserved for it. */
bool sqlite_space_low(struct store *s, char *why, size_t n)
{
    char dir[1024];
    const char *slash = strrchr(s->path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == s->path ? 1 : (int)(slash - s->path), s->path);
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return false;
    unsigned long long avail = (unsigned long long)(geteuid() == 0 ? v.f_bfree : v.f_bavail) * v.f_frsize;
    if (avail >= STORE_SPACE_LOW) return false;
    snprintf(why, n, "the disk is full (%llu KiB free on the filesystem of %s)", avail / 1024, s->path);
    return true;
}

/* ---- start-up checks ----------------------------------------------------- */

/* The applied migrations of an opstasks database must be ours, by number
 * and name, and none newer than this binary knows. 0, or -1 with e filled. */
static int check_migrations(sqlite3 *db, const char *path, struct errinfo *e)
{
    const struct migration *last = &store_migrations[store_migrations_count - 1];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version", -1, &st,
                           NULL) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "%s is an SQLite database of another application (its schema_migrations "
                "table is not opstasks'); opstasks will not change it", path);
        return -1;
    }
    int rc, ret = -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int v = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (v > last->version) {
            err_set(e, ERR_INTERNAL, NULL, "the database %s is at schema version %d, newer than this opstasks "
                    "knows (%d): run a newer opstasks", path, v, last->version);
            goto out;
        }
        bool known = false;
        for (int i = 0; i < store_migrations_count && !known; i++)
            known = store_migrations[i].version == v && name && strcmp(store_migrations[i].name, name) == 0;
        if (!known) {
            err_set(e, ERR_INTERNAL, NULL, "%s is an SQLite database of another schema (its migration %d is "
                    "\"%s\", not one of opstasks'); opstasks will not change it", path, v, name ? name : "");
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        err_set(e, ERR_INTERNAL, NULL, "cannot read the database %s: %s", path,
                explain(sqlite3_extended_errcode(db)));
    else
        ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* A one-line reason the file at path cannot serve as opstasks' database, or 0.
 * Runs on its own handle before the writer opens the file, so that a file of
 * some other kind is described (not "not an error") and never changed: not a
 * database, another application's database, a newer schema than this binary
 * knows, or one this process cannot write. A full disk or a lock held by
 * another process past the busy timeout is not refused: those pass, and
 * GET /readyz answers 503 until they do. */
/* SQLite creates PATH-wal and PATH-shm beside the database: its directory
 * must be writable too. Fills e and returns true when it is not. */
static bool dir_unwritable(const char *path, struct errinfo *e)
{
    char dir[1024];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK) == 0) return false;
    err_set(e, ERR_INTERNAL, NULL, "cannot write the database %s: its directory %s is not writable (SQLite keeps "
            "%s-wal and %s-shm beside the database)", path, dir, path, path);
    return true;
}

int sqlite_check_file(const char *path, struct errinfo *e)
{
    pthread_once(&configured, configure);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) !=
        SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot open the database %s: %s (does its directory exist?)", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_db_readonly(db, "main") == 1) {
        err_set(e, ERR_INTERNAL, NULL, "the database %s is read-only (file permissions or a read-only filesystem); "
                "opstasks must be able to write it", path);
        goto out;
    }
    /* the tables: reading page 1 is what tells a database from other bytes */
    rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                "ORDER BY name = 'schema_migrations' DESC, name", -1, &st, NULL);
    char first[64] = "";
    bool has_migrations = false;
    int n_tables = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) break;
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (n_tables++ == 0) snprintf(first, sizeof first, "%s", name ? name : "");
        if (name && strcmp(name, "schema_migrations") == 0) has_migrations = true;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        rc = sqlite3_extended_errcode(db);
        if ((rc & 0xff) == SQLITE_NOTADB)
            err_set(e, ERR_INTERNAL, NULL, "%s is not an SQLite database", path);
        else if ((rc & 0xff) == SQLITE_BUSY) {
            log_error("store: %s: %s; starting anyway", path, explain(rc));
            ret = 0;
        } else if (!dir_unwritable(path, e))
            err_set(e, ERR_INTERNAL, NULL, "cannot read the database %s: %s", path, explain(rc));
        goto out;
    }
    if (n_tables > 0 && !has_migrations) {
        err_set(e, ERR_INTERNAL, NULL, "%s is an SQLite database of another application (it has a table \"%s\" and "
                "no opstasks schema); opstasks will not change it", path, first);
        goto out;
    }
    if (n_tables > 0 && check_migrations(db, path, e) != 0) goto out;
    /* WAL mode, as the writer will set it: it needs the directory writable */
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sqlite3_extended_errcode(db);
        if ((rc & 0xff) == SQLITE_BUSY) {
            log_error("store: %s: %s; starting anyway", path, explain(rc));
            ret = 0;
        } else if (!dir_unwritable(path, e)) {
            err_set(e, ERR_INTERNAL, NULL, "cannot write the database %s: %s", path, explain(rc));
        }
        goto out;
    }
    if (n_tables == 0) { /* new or empty: the migrations create the schema */
        ret = 0;
        goto out;
    }
    /* a write that must reach the file: the only sure test, as root too, that
     * the file, its directory (for -wal and -shm) and the filesystem let us */
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE schema_migrations SET applied_at = applied_at "
                          "WHERE version = (SELECT max(version) FROM schema_migrations); COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite3_extended_errcode(db);
        if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_BUSY) {
            log_error("store: cannot write %s: %s; starting anyway (writes answer 503 until it passes)", path,
                      explain(rc));
            ret = 0;
        } else if (!dir_unwritable(path, e)) {
            err_set(e, ERR_INTERNAL, NULL, "cannot write the database %s: %s", path, explain(rc));
        }
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    if (db && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return ret;
}

int sqlite_migrate(struct store_conn *c, struct errinfo *e)
{
    sqlite3 *db = SC(c)->db;
    if (exec_at_start(db, "BEGIN IMMEDIATE") != 0) goto fail;
    if (exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 " applied_at INTEGER NOT NULL)") != 0)
        goto fail_tx;
    sqlite3_stmt *st = NULL;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail_tx;
    if (sqlite3_step(st) == SQLITE_ROW) current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (current > store_migrations[store_migrations_count - 1].version) {
        err_set(e, ERR_INTERNAL, NULL, "the database is at schema version %d, newer than this opstasks (%d)",
                current, store_migrations[store_migrations_count - 1].version);
        exec(db, "ROLLBACK");
        return -1;
    }
    for (int i = 0; i < store_migrations_count; i++) {
        const struct migration *m = &store_migrations[i];
        if (m->version <= current) continue;
        if (exec(db, m->sql) != 0) goto fail_tx;
        if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations VALUES (?, ?, strftime('%s','now')*1000)", -1,
                               &st, NULL) != SQLITE_OK)
            goto fail_tx;
        sqlite3_bind_int(st, 1, m->version);
        sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) goto fail_tx;
        log_info("store: applied migration %s", m->name);
    }
    if (exec(db, "COMMIT") != 0) goto fail_tx;
    return 0;
fail_tx:;
    int why = sqlite3_extended_errcode(db);
    exec(db, "ROLLBACK");
    err_set(e, ERR_INTERNAL, NULL, "cannot prepare the database %s: %s", SC(c)->base.store->path, explain(why));
    return -1;
fail:
    err_set(e, ERR_INTERNAL, NULL, "cannot prepare the database %s: %s", SC(c)->base.store->path,
            explain(sqlite3_extended_errcode(db)));
    return -1;
}

/* A put by id: insert_sql (INSERT ... ON CONFLICT DO NOTHING), else
 * update_sql, both bound by bind. Whether the insert added the row is what
 * says *created: a look first would let two writers of a new id both report
 * created, where with the insert a second one waits for the first (a
 * backend with row locks) or finds its row (SQLite's one write lock) and
 * updates. A row deleted between the two is inserted again (bounded). */
enum err sqlite_put(struct store_conn *c, const char *insert_sql, const char *update_sql,
                    void (*bind)(sqlite3_stmt *st, const void *row), const void *row, bool *created)
{
    for (int tries = 0; tries < 3; tries++) {
        const char *sql = tries % 2 ? update_sql : insert_sql;
        sqlite3_stmt *st = sqlite_stmt(c, sql);
        if (!st) return ERR_INTERNAL;
        bind(st, row);
        if (sqlite3_step(st) != SQLITE_DONE) return sqlite_fail(c, st, sql);
        sqlite_done(st);
        if (sqlite3_changes(SC(c)->db) == 1) {
            *created = sql == insert_sql;
            return ERR_OK;
        }
    }
    log_error("sqlite: %s: the row kept appearing and vanishing", update_sql);
    return ERR_INTERNAL;
}

sqlite3 *sqlite_db(struct store_conn *c) { return SC(c)->db; }

/* ---- the data version ----------------------------------------------------
 * The counters the triggers of migrations 020 and 023 move (ops.h
 * data_version): the one for every change, or the sum of those parts'. */
enum err sqlite_data_version(struct store_conn *c, uint64_t parts, int64_t *out)
{
    *out = 0;
    struct sqlite_conn *sc = SC(c);
    sqlite3_stmt *st = NULL;
    int rows = 0;
    for (int i = 0; i < sc->n_versions && !st; i++)
        if (sc->versions[i].parts == parts) st = sc->versions[i].st, rows = sc->versions[i].rows;
    if (!st) {
        char sql[STORE_VERSION_SQL_MAX];
        rows = store_version_sql(parts, sql);
        if (sqlite3_prepare_v3(sc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
            log_error("sqlite: prepare failed: %s", sqlite3_errmsg(sc->db));
            return ERR_INTERNAL;
        }
        int slot;
        if (sc->n_versions < VERSION_STMTS) {
            slot = sc->n_versions++;
        } else {
            slot = sc->next_version;
            sc->next_version = (slot + 1) % VERSION_STMTS;
            sqlite3_finalize(sc->versions[slot].st);
        }
        sc->versions[slot].parts = parts;
        sc->versions[slot].rows = rows;
        sc->versions[slot].st = st;
    }
    enum err rc = sqlite_step_row(c, st, "data_version");
    if (rc != ERR_OK) return rc;
    *out = sqlite3_column_int64(st, 0);
    bool whole = sqlite3_column_int(st, 1) == rows;
    sqlite_done(st);
    if (!whole) {
        log_error("sqlite: data_version_parts lacks counters (%d expected): answers are not cached", rows);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}
