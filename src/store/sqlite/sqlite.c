/* sqlite.c: the SQLite backend of store.h.
 * WAL mode with synchronous=FULL: a commit is on disk when it returns, and
 * readers never wait for the writer. Each connection keeps its prepared
 * statements in a small cache keyed by SQL text, because the queue's queries
 * are built from the filters and preparing one costs as much as running it. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "domain/sla.h"
#include "store/migrations.h"
#include "store/sqlite/renewals.h" /* renewals (issue 4) */
#include "store/store.h"
#include "util/log.h"

#define CACHE_SIZE 48

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
    bool writer;
    const char *last_why;  /* explain() of the last failure */
    struct {
        char *sql;
        sqlite3_stmt *st;
    } cache[CACHE_SIZE];
    int n_cache, next_evict;
};

static struct sqlite_conn *SC(struct store_conn *c) { return (struct sqlite_conn *)c; }

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
static sqlite3_stmt *stmt(struct store_conn *c, const char *sql)
{
    struct sqlite_conn *sc = SC(c);
    for (int i = 0; i < sc->n_cache; i++)
        if (strcmp(sc->cache[i].sql, sql) == 0) return sc->cache[i].st;
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
    sc->cache[slot].sql = copy;
    sc->cache[slot].st = st;
    return st;
}

static void done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_ts(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
    const char *s = (const char *)sqlite3_column_text(st, i);
    return strdup(s ? s : "");
}

/* Copies a text column into a fixed field, truncating to fit (the schema's
 * ids and dates always fit; this runs for every column of every row listed). */
static void col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
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

static enum err fail(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
    sqlite3 *db = SC(c)->db;
    int rc = sqlite3_extended_errcode(db);
    SC(c)->last_why = explain(rc);
    log_error("sqlite: %s: %s (%s)", what, sqlite3_errmsg(db), SC(c)->last_why);
    done(st);
    return classify(rc);
}

/* ---- connections and transactions ----------------------------------- */

static pthread_once_t configured = PTHREAD_ONCE_INIT;

/* Memory statistics make every SQLite allocation take one global mutex: with
 * the HTTP threads and the writer allocating at once, that lock showed up in
 * profiles of the write benchmark. We don't use the statistics. */
static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static int conn_open(struct store *s, bool writer, struct store_conn **out)
{
    pthread_once(&configured, configure);
    struct sqlite_conn *sc = calloc(1, sizeof *sc);
    if (!sc) return -1;
    sc->base.store = s;
    sc->base.ops = &store_sqlite_ops;
    sc->writer = writer;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(s->path, &sc->db, flags, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", s->path, sc->db ? sqlite3_errmsg(sc->db) : "out of memory");
        sqlite3_close(sc->db);
        free(sc);
        return -1;
    }
    sqlite3_busy_timeout(sc->db, 5000);
    sqlite3_extended_result_codes(sc->db, 1);
    if ((writer && exec(sc->db, "PRAGMA journal_mode=WAL") != 0) ||
        exec(sc->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-8000;"
                     "PRAGMA temp_store=MEMORY") != 0 ||
        (!writer && exec(sc->db, "PRAGMA query_only=1") != 0)) {
        sqlite3_close(sc->db);
        free(sc);
        return -1;
    }
    *out = &sc->base;
    return 0;
}

static void conn_close(struct store_conn *c)
{
    struct sqlite_conn *sc = SC(c);
    for (int i = 0; i < sc->n_cache; i++) {
        sqlite3_finalize(sc->cache[i].st);
        free(sc->cache[i].sql);
    }
    if (sc->writer) sqlite3_exec(sc->db, "PRAGMA optimize", NULL, NULL, NULL);
    sqlite3_close(sc->db);
    free(sc);
}

/* The transaction primitives: 0, or the enum err their failure means. */
static int run_cached(struct store_conn *c, const char *sql)
{
    sqlite3_stmt *st = stmt(c, sql);
    if (!st) return (int)fail(c, NULL, sql);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return (int)fail(c, st, sql);
    done(st);
    return 0;
}

static int tx_begin(struct store_conn *c) { return run_cached(c, "BEGIN IMMEDIATE"); }
static int tx_commit(struct store_conn *c) { return run_cached(c, "COMMIT"); }
static int tx_rollback(struct store_conn *c)
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
static int sp_begin(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "SAVEPOINT job");
}
static int sp_release(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "RELEASE job");
}
static int sp_rollback(struct store_conn *c)
{
    return transaction_gone(c) ? ERR_UNAVAILABLE : run_cached(c, "ROLLBACK TO job");
}

static int64_t changes(struct store_conn *c) { return sqlite3_total_changes64(SC(c)->db); }
static const char *last_error(struct store_conn *c) { return SC(c)->last_why ? SC(c)->last_why : "unknown"; }

/* The readiness probe's write: one row rewritten with its own value, so the
 * commit that follows must write a page (and find out whether it can). */
static enum err probe(struct store_conn *c)
{
    sqlite3_stmt *st = stmt(c, "UPDATE schema_migrations SET applied_at = applied_at "
                               "WHERE version = (SELECT max(version) FROM schema_migrations)");
    if (!st) return fail(c, NULL, "readiness probe");
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "readiness probe");
    done(st);
    return ERR_OK;
}

/* statvfs of the database's directory: one system call, cheap enough for
 * every GET /readyz. Root may use the blocks reserved for it. */
static bool space_low(struct store *s, char *why, size_t n)
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

static int check_file(const char *path, struct errinfo *e)
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

static int migrate(struct store_conn *c, struct errinfo *e)
{
    sqlite3 *db = SC(c)->db;
    if (exec(db, "BEGIN IMMEDIATE") != 0) goto fail;
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

/* ---- shared by the tables ------------------------------------------------ */

static enum err exists(struct store_conn *c, const char *sql, const char *id, bool *found)
{
    sqlite3_stmt *st = stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(c, st, "exists");
    *found = rc == SQLITE_ROW;
    done(st);
    return ERR_OK;
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
        sqlite3_stmt *st = stmt(c, sql);
        if (!st) return ERR_INTERNAL;
        bind(st, row);
        if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, sql);
        done(st);
        if (sqlite3_changes(SC(c)->db) == 1) {
            *created = sql == insert_sql;
            return ERR_OK;
        }
    }
    log_error("sqlite: %s: the row kept appearing and vanishing", update_sql);
    return ERR_INTERNAL;
}

/* ---- tasks ------------------------------------------------------------- */

#define TASK_COLS                                                                                            \
    "id, title, description, prio, status, overdue_recorded, due_date, sla_hours, assignee_id, user_id, "    \
    "source, created_at, updated_at, started_at, completed_at, cancelled_at, version, renewal_id, "           \
    "rule_id, event_id, rule_depth"
/* issue 3: what a read selects, the stored SLA deadline and 80% instant after TASK_COLS */
#define TASK_READ_COLS TASK_COLS ", sla_due_at, sla_risk_at"
/* Columns read: 0-16 the core's, 17 renewal_id (issue 4), 18-20 rule_id,
 * event_id, rule_depth (issue 5), 21-22 sla_due_at, sla_risk_at (issue 3).
 * Bound parameters (bind_task): ?1-?17 the core's, ?18 sla_due_at,
 * ?19 renewal_id, ?20 sla_risk_at, ?21-?23 rule_id, event_id, rule_depth. */

static void read_task(sqlite3_stmt *st, struct task *t)
{
    memset(t, 0, sizeof *t);
    col_copy(st, 0, t->id, sizeof t->id);
    t->title = col_dup(st, 1);
    t->description = col_dup(st, 2);
    t->priority = (enum task_priority)(PRIORITY_URGENT - sqlite3_column_int(st, 3));
    if (task_status_parse((const char *)sqlite3_column_text(st, 4), &t->status) != 0) t->status = TASK_OPEN;
    t->overdue_recorded = sqlite3_column_int(st, 5) != 0;
    col_copy(st, 6, t->due_date, sizeof t->due_date);
    t->has_sla = sqlite3_column_type(st, 7) != SQLITE_NULL;
    t->sla_hours = t->has_sla ? sqlite3_column_double(st, 7) : 0;
    col_copy(st, 8, t->assignee_id, sizeof t->assignee_id);
    col_copy(st, 9, t->user_id, sizeof t->user_id);
    if (task_source_parse((const char *)sqlite3_column_text(st, 10), &t->source) != 0) t->source = SOURCE_MANUAL;
    t->created_at = sqlite3_column_int64(st, 11);
    t->updated_at = sqlite3_column_int64(st, 12);
    t->started_at = sqlite3_column_int64(st, 13);
    t->completed_at = sqlite3_column_int64(st, 14);
    t->cancelled_at = sqlite3_column_int64(st, 15);
    t->version = sqlite3_column_int64(st, 16);
    col_copy(st, 17, t->renewal_id, sizeof t->renewal_id); /* renewals (issue 4) */
    /* workflow rules (issue 5) */
    col_copy(st, 18, t->rule_id, sizeof t->rule_id);
    col_copy(st, 19, t->event_id, sizeof t->event_id);
    t->rule_depth = sqlite3_column_int(st, 20);
    if (sqlite3_column_count(st) > 22) { /* issue 3 */
        t->sla_due_ms = t->has_sla ? sqlite3_column_int64(st, 21) : 0;
        t->sla_risk_ms = t->has_sla ? sqlite3_column_int64(st, 22) : 0;
    }
}

static enum err task_get(struct store_conn *c, const char *id, struct task *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT " TASK_READ_COLS " FROM tasks WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_task(st, out);
        done(st);
        return out->title ? ERR_OK : ERR_INTERNAL;
    }
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    return fail(c, st, "task_get");
}

/* Binds every column of TASK_COLS in order, plus sla_due_at as parameter 18. */
static void bind_task(sqlite3_stmt *st, const struct task *t)
{
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t->title, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 3, t->description);
    sqlite3_bind_int(st, 4, task_priority_rank(t->priority));
    sqlite3_bind_text(st, 5, task_status_name(t->status), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, t->overdue_recorded);
    sqlite3_bind_text(st, 7, t->due_date, -1, SQLITE_TRANSIENT);
    if (t->has_sla)
        sqlite3_bind_double(st, 8, t->sla_hours);
    else
        sqlite3_bind_null(st, 8);
    bind_text(st, 9, t->assignee_id);
    bind_text(st, 10, t->user_id);
    sqlite3_bind_text(st, 11, task_source_name(t->source), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, t->created_at);
    sqlite3_bind_int64(st, 13, t->updated_at);
    bind_ts(st, 14, t->started_at);
    bind_ts(st, 15, t->completed_at);
    bind_ts(st, 16, t->cancelled_at);
    sqlite3_bind_int64(st, 17, t->version);
    if (t->has_sla)
        sqlite3_bind_int64(st, 18, sla_due_at(t));
    else
        sqlite3_bind_null(st, 18);
    bind_text(st, 19, t->renewal_id); /* renewals (issue 4) */
    if (t->has_sla) /* issue 3 */
        sqlite3_bind_int64(st, 20, sla_risk_at(t));
    else
        sqlite3_bind_null(st, 20);
    /* workflow rules (issue 5): set at insert only, never changed */
    bind_text(st, 21, t->rule_id);
    bind_text(st, 22, t->event_id);
    sqlite3_bind_int(st, 23, t->rule_depth);
}

static enum err task_insert(struct store_conn *c, const struct task *t)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO tasks (" TASK_COLS ", sla_due_at, sla_risk_at) VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?19, ?21, ?22, ?23, "
                               "?18, ?20)");
    if (!st) return ERR_INTERNAL;
    bind_task(st, t);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "task_insert");
    done(st);
    return ERR_OK;
}

static enum err task_update(struct store_conn *c, const struct task *t)
{
    sqlite3_stmt *st = stmt(c, "UPDATE tasks SET title = ?2, description = ?3, prio = ?4, status = ?5, "
                               "overdue_recorded = ?6, due_date = ?7, sla_hours = ?8, assignee_id = ?9, "
                               "user_id = ?10, source = ?11, created_at = ?12, updated_at = ?13, started_at = ?14, "
                               "completed_at = ?15, cancelled_at = ?16, version = ?17, sla_due_at = ?18, renewal_id = ?19, "
                               "sla_risk_at = ?20 "
                               "WHERE id = ?1 AND version = ?17 - 1");
    if (!st) return ERR_INTERNAL;
    bind_task(st, t);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "task_update");
    done(st);
    if (sqlite3_changes(SC(c)->db) == 1) return ERR_OK;
    /* no row at the version read: another writer moved it on, or none */
    bool found = false;
    enum err rc = exists(c, "SELECT 1 FROM tasks WHERE id = ?", t->id, &found);
    return rc != ERR_OK ? rc : found ? ERR_VERSION_CONFLICT : ERR_NOT_FOUND;
}

static enum err task_overdue_mark(struct store_conn *c, const char *id, int64_t version)
{
    sqlite3_stmt *st = stmt(c, "UPDATE tasks SET overdue_recorded = 1 WHERE id = ? AND version = ? AND "
                               "overdue_recorded = 0");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "task_overdue_mark");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* Builds the WHERE terms shared by the queue and its stats into sql; named
 * parameters are bound by bind_filter. */
static void filter_sql(char *sql, size_t n, const struct task_filter *f, bool with_status)
{
    size_t len = strlen(sql);
#define ADD(...) len += (size_t)snprintf(sql + len, len < n ? n - len : 0, __VA_ARGS__)
    ADD(" WHERE 1");
    if (with_status && f->status_mask && f->status_mask != (1u << TASK_STATUS__COUNT) - 1) {
        static const char *cond[] = {
            [TASK_OPEN] = "(status = 'OPEN' AND due_date >= :today)",
            [TASK_IN_PROGRESS] = "(status = 'IN_PROGRESS' AND due_date >= :today)",
            [TASK_OVERDUE] = "(status IN ('OPEN', 'IN_PROGRESS') AND due_date < :today)",
            [TASK_COMPLETED] = "status = 'COMPLETED'",
            [TASK_CANCELLED] = "status = 'CANCELLED'",
        };
        ADD(" AND (");
        bool first = true;
        for (int s = 0; s < TASK_STATUS__COUNT; s++) {
            if (!(f->status_mask & (1u << s))) continue;
            ADD("%s%s", first ? "" : " OR ", cond[s]);
            first = false;
        }
        ADD(")");
    }
    if (f->priority_mask && f->priority_mask != (1u << PRIORITY__COUNT) - 1) {
        ADD(" AND prio IN (");
        bool first = true;
        for (int p = 0; p < PRIORITY__COUNT; p++) {
            if (!(f->priority_mask & (1u << p))) continue;
            ADD("%s%d", first ? "" : ", ", task_priority_rank((enum task_priority)p));
            first = false;
        }
        ADD(")");
    }
    if (f->n_assignees || f->assignee_none) {
        ADD(" AND (");
        if (f->n_assignees) {
            ADD("assignee_id IN (");
            for (int i = 0; i < f->n_assignees; i++) ADD("%s:as%d", i ? ", " : "", i);
            ADD(")");
        }
        if (f->assignee_none) ADD("%sassignee_id IS NULL", f->n_assignees ? " OR " : "");
        ADD(")");
    }
    if (f->user_id[0]) ADD(" AND user_id = :user");
    if (f->due_from[0]) ADD(" AND due_date >= :due_from");
    if (f->due_to[0]) ADD(" AND due_date <= :due_to");
    /* issue 3: the SLA filters, the same rules as domain/sla.c */
#define SLA_BREACHED_SQL "((status = 'COMPLETED' AND completed_at > sla_due_at) OR " \
                         "(status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < :now))"
    if (f->sla_breached == SLA_FILTER_BREACHED) ADD(" AND sla_due_at IS NOT NULL AND %s", SLA_BREACHED_SQL);
    if (f->sla_breached == SLA_FILTER_NOT_BREACHED) ADD(" AND sla_due_at IS NOT NULL AND NOT %s", SLA_BREACHED_SQL);
    if (f->sla_at_risk)
        ADD(" AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= :now AND sla_risk_at <= :now");
#undef SLA_BREACHED_SQL
    if (f->renewal_id[0]) ADD(" AND renewal_id = :renewal"); /* renewals (issue 4) */
#undef ADD
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_named_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_int64(st, i, v);
}

static void bind_filter(sqlite3_stmt *st, const struct task_filter *f, const char *today)
{
    bind_named_text(st, ":today", today);
    for (int i = 0; i < f->n_assignees; i++) {
        char name[16];
        snprintf(name, sizeof name, ":as%d", i);
        bind_named_text(st, name, f->assignees[i]);
    }
    if (f->user_id[0]) bind_named_text(st, ":user", f->user_id);
    if (f->due_from[0]) bind_named_text(st, ":due_from", f->due_from);
    if (f->due_to[0]) bind_named_text(st, ":due_to", f->due_to);
    if (f->sla_breached || f->sla_at_risk) bind_named_int64(st, ":now", f->now_ms); /* issue 3 */
    if (f->renewal_id[0]) bind_named_text(st, ":renewal", f->renewal_id); /* renewals (issue 4) */
}

/* Sort orders: the columns and directions, most significant first. Keyset
 * pagination compares the cursor's values against them in the same order. */
struct sort_key {
    const char *col, *param;
    bool desc;
};

static const struct sort_key *sort_keys(enum task_sort s, int *n)
{
    static const struct sort_key due[] = {
        {"due_date", ":c_due", false}, {"prio", ":c_prio", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    static const struct sort_key due_desc[] = {
        {"due_date", ":c_due", true}, {"prio", ":c_prio", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    static const struct sort_key prio[] = {
        {"prio", ":c_prio", false}, {"due_date", ":c_due", false}, {"created_at", ":c_created", false}, {"id", ":c_id", false}};
    /* ids begin with their creation millisecond (service_task_create makes
     * both from one instant), so id order is (created_at, id) order and the
     * unique id index serves these sorts */
    static const struct sort_key created[] = {{"id", ":c_id", false}};
    static const struct sort_key created_desc[] = {{"id", ":c_id", true}};
    switch (s) {
    case SORT_DUE_DATE_DESC: *n = 4; return due_desc;
    case SORT_PRIORITY: *n = 4; return prio;
    case SORT_CREATED_AT: *n = 1; return created;
    case SORT_CREATED_AT_DESC: *n = 1; return created_desc;
    default: *n = 4; return due;
    }
}

static enum err task_list(struct store_conn *c, const struct task_query *q, struct task_page *out)
{
    memset(out, 0, sizeof *out);
    char sql[4096] = "SELECT " TASK_READ_COLS " FROM tasks";
    /* issue 3: the tasks at risk are few (active, deadline ahead, 80% gone):
     * find them by deadline rather than walk the queue order over every task */
    if (q->filter.sla_at_risk) strncat(sql, " INDEXED BY tasks_sla_active", sizeof sql - strlen(sql) - 1);
    filter_sql(sql, sizeof sql, &q->filter, true);
    size_t len = strlen(sql);
    int nk;
    const struct sort_key *k = sort_keys(q->sort, &nk);
#define ADD(...) len += (size_t)snprintf(sql + len, len < sizeof sql ? sizeof sql - len : 0, __VA_ARGS__)
    if (q->after.set) {
        /* (k0 > v0) OR (k0 = v0 AND k1 > v1) OR ..., led by k0 >= v0 so the
         * index range starts at the cursor instead of the beginning. */
        ADD(" AND %s %s %s AND (", k[0].col, k[0].desc ? "<=" : ">=", k[0].param);
        for (int i = 0; i < nk; i++) {
            ADD("%s(", i ? " OR " : "");
            for (int j = 0; j < i; j++) ADD("%s = %s AND ", k[j].col, k[j].param);
            ADD("%s %s %s)", k[i].col, k[i].desc ? "<" : ">", k[i].param);
        }
        ADD(")");
    }
    ADD(" ORDER BY ");
    for (int i = 0; i < nk; i++) ADD("%s%s%s", i ? ", " : "", k[i].col, k[i].desc ? " DESC" : "");
    ADD(" LIMIT :limit");
#undef ADD
    if (len >= sizeof sql) return ERR_INTERNAL;
    sqlite3_stmt *st = stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, &q->filter, q->today);
    if (q->after.set) {
        bind_named_text(st, ":c_due", q->after.due_date);
        bind_named_int64(st, ":c_prio", q->after.prio_rank);
        bind_named_int64(st, ":c_created", q->after.created_at);
        bind_named_text(st, ":c_id", q->after.id);
    }
    bind_named_int64(st, ":limit", q->limit + 1);
    out->items = calloc((size_t)q->limit + 1, sizeof *out->items);
    if (!out->items) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == q->limit) {
            out->has_more = true;
            break;
        }
        read_task(st, &out->items[out->n++]);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_task_page_free(out);
        return fail(c, st, "task_list");
    }
    done(st);
    return ERR_OK;
}

static enum err task_stats(struct store_conn *c, const struct task_filter *f, const char *today, int64_t now_ms,
                           struct task_stats *out)
{
    memset(out, 0, sizeof *out);
    /* Filters on priority and due dates are answered from the task_counts
     * totals (migration 002); assignee and customer filters need the rows,
     * through their own indexes. */
    bool totals = f->n_assignees == 0 && !f->assignee_none && !f->user_id[0];
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT status, due_date < :today, %s FROM %s", totals ? "sum(n)" : "count(*)",
             totals ? "task_counts" : "tasks");
    filter_sql(sql, sizeof sql, f, false);
    strncat(sql, " GROUP BY 1, 2", sizeof sql - strlen(sql) - 1);
    sqlite3_stmt *st = stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, f, today);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum task_status s;
        if (task_status_parse((const char *)sqlite3_column_text(st, 0), &s) != 0) continue;
        bool late = sqlite3_column_int(st, 1) != 0;
        if (late && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->counts[s] += sqlite3_column_int64(st, 2);
    }
    if (rc != SQLITE_DONE) return fail(c, st, "task_stats");
    done(st);

    char sql2[2048] = "SELECT count(*) FROM tasks";
    filter_sql(sql2, sizeof sql2, f, false);
    strncat(sql2, " AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < :now", sizeof sql2 - strlen(sql2) - 1);
    st = stmt(c, sql2);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, f, today);
    bind_named_int64(st, ":now", now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "task_stats sla");
    out->sla_breached_active = sqlite3_column_int64(st, 0);
    done(st);

    /* issue 3: active tasks at risk (80% of their SLA time gone, not breached) */
    char sql3[2048] = "SELECT count(*) FROM tasks";
    filter_sql(sql3, sizeof sql3, f, false);
    strncat(sql3, " AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at >= :now AND sla_risk_at <= :now",
            sizeof sql3 - strlen(sql3) - 1);
    st = stmt(c, sql3);
    if (!st) return ERR_INTERNAL;
    bind_filter(st, f, today);
    bind_named_int64(st, ":now", now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "task_stats at risk");
    out->sla_at_risk_active = sqlite3_column_int64(st, 0);
    done(st);
    return ERR_OK;
}

static enum err task_overdue_unrecorded(struct store_conn *c, const char *today, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(c, "SELECT id FROM tasks INDEXED BY tasks_queue WHERE status IN ('OPEN', 'IN_PROGRESS')"
                               " AND due_date < ? AND overdue_recorded = 0 LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    char **out = calloc((size_t)limit, sizeof *out);
    if (!out) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
        out[*n] = col_dup(st, 0);
        if (!out[*n]) break;
        (*n)++;
    }
    done(st);
    *ids = out;
    return ERR_OK;
}

/* ---- history ----------------------------------------------------------- */

static enum err history_add(struct store_conn *c, const char *task_id, const struct history_entry *h)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO task_history (task_id, at, actor, type, field, from_json, to_json) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, h->at);
    sqlite3_bind_text(st, 3, h->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, h->type, -1, SQLITE_TRANSIENT);
    bind_text(st, 5, h->field);
    bind_opt_text(st, 6, h->from_json);
    bind_opt_text(st, 7, h->to_json);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "history_add");
    done(st);
    return ERR_OK;
}

static enum err history_list(struct store_conn *c, const char *task_id, struct history_entry **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(c, "SELECT at, actor, type, field, from_json, to_json FROM task_history "
                               "WHERE task_id = ? ORDER BY seq");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    int cap = 0, rc;
    struct history_entry *h = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct history_entry *g = realloc(h, sizeof *h * (size_t)cap);
            if (!g) {
                store_history_free(h, *n);
                *n = 0;
                done(st);
                return ERR_INTERNAL;
            }
            h = g;
        }
        struct history_entry *e = &h[(*n)++];
        memset(e, 0, sizeof *e);
        e->at = sqlite3_column_int64(st, 0);
        col_copy(st, 1, e->actor, sizeof e->actor);
        col_copy(st, 2, e->type, sizeof e->type);
        col_copy(st, 3, e->field, sizeof e->field);
        e->from_json = col_dup(st, 4);
        e->to_json = col_dup(st, 5);
    }
    if (rc != SQLITE_DONE) {
        store_history_free(h, *n);
        *n = 0;
        return fail(c, st, "history_list");
    }
    done(st);
    *out = h;
    return ERR_OK;
}

/* ---- staff and customers ------------------------------------------------- */

static void read_staff(sqlite3_stmt *st, struct staff *out)
{
    memset(out, 0, sizeof *out);
    col_copy(st, 0, out->id, sizeof out->id);
    out->name = col_dup(st, 1);
    out->email = col_dup(st, 2);
    out->active = sqlite3_column_int(st, 3) != 0;
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
}

static enum err staff_get(struct store_conn *c, const char *id, struct staff *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT id, name, email, active, created_at, updated_at FROM staff WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_staff(st, out);
        done(st);
        return ERR_OK;
    }
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    return fail(c, st, "staff_get");
}

static void bind_staff(sqlite3_stmt *st, const void *row)
{
    const struct staff *s = row;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 3, s->email);
    sqlite3_bind_int(st, 4, s->active);
    sqlite3_bind_int64(st, 5, s->updated_at);
}

static enum err staff_put(struct store_conn *c, const struct staff *s, bool *created)
{
    return sqlite_put(c, "INSERT INTO staff (id, name, email, active, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE staff SET name = ?2, email = ?3, active = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_staff, s, created);
}

static enum err staff_list(struct store_conn *c, const char *after_id, int limit, struct staff **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(c, "SELECT id, name, email, active, created_at, updated_at FROM staff "
                               "WHERE id > ? ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct staff *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) read_staff(st, &a[(*n)++]);
    done(st);
    *out = a;
    return ERR_OK;
}

static void read_customer(sqlite3_stmt *st, struct customer *out)
{
    memset(out, 0, sizeof *out);
    col_copy(st, 0, out->id, sizeof out->id);
    out->name = col_dup(st, 1);
    out->email = col_dup(st, 2);
    col_copy(st, 3, out->owner_id, sizeof out->owner_id);
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
}

static enum err customer_get(struct store_conn *c, const char *id, struct customer *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT id, name, email, owner_id, created_at, updated_at FROM customers WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_customer(st, out);
        done(st);
        return ERR_OK;
    }
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    return fail(c, st, "customer_get");
}

static void bind_customer(sqlite3_stmt *st, const void *row)
{
    const struct customer *cu = row;
    sqlite3_bind_text(st, 1, cu->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cu->name, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 3, cu->email);
    bind_text(st, 4, cu->owner_id);
    sqlite3_bind_int64(st, 5, cu->updated_at);
}

static enum err customer_put(struct store_conn *c, const struct customer *cu, bool *created)
{
    return sqlite_put(c, "INSERT INTO customers (id, name, email, owner_id, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE customers SET name = ?2, email = ?3, owner_id = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_customer, cu, created);
}

static enum err customer_list(struct store_conn *c, const char *after_id, int limit, struct customer **out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(c, "SELECT id, name, email, owner_id, created_at, updated_at FROM customers "
                               "WHERE id > ? ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    struct customer *a = calloc((size_t)limit, sizeof *a);
    if (!a) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) read_customer(st, &a[(*n)++]);
    done(st);
    *out = a;
    return ERR_OK;
}

/* ---- tokens and idempotency keys ------------------------------------- */

static enum err token_insert(struct store_conn *c, const struct token *t, const unsigned char hash[32], int64_t now)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO tokens (id, hash, role, staff_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->role == ROLE_ADMIN ? "admin" : "agent", -1, SQLITE_STATIC);
    bind_text(st, 4, t->staff_id);
    sqlite3_bind_text(st, 5, t->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "token_insert");
    done(st);
    return ERR_OK;
}

/* A token row selected as (id, role, staff_id, name). */
static void read_token(sqlite3_stmt *st, struct token *out)
{
    memset(out, 0, sizeof *out);
    col_copy(st, 0, out->id, sizeof out->id);
    const char *role = (const char *)sqlite3_column_text(st, 1);
    out->role = role && strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_AGENT;
    col_copy(st, 2, out->staff_id, sizeof out->staff_id);
    col_copy(st, 3, out->name, sizeof out->name);
}

static enum err token_find(struct store_conn *c, const unsigned char hash[32], struct token *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT id, role, staff_id, name FROM tokens WHERE hash = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "token_find");
    read_token(st, out);
    done(st);
    return ERR_OK;
}

static enum err token_count(struct store_conn *c, int64_t *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT count(*) FROM tokens");
    if (!st) return ERR_INTERNAL;
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "token_count");
    *n = sqlite3_column_int64(st, 0);
    done(st);
    return ERR_OK;
}

/* ---- browser sessions (issue 6) --------------------------------------- */

static enum err session_insert(struct store_conn *c, const unsigned char hash[32], const char *token_id,
                               int64_t now_ms, int64_t expires_ms)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, token_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int64(st, 4, expires_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "session_insert");
    done(st);
    return ERR_OK;
}

static enum err session_find(struct store_conn *c, const unsigned char hash[32], int64_t now_ms, struct token *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT t.id, t.role, t.staff_id, t.name FROM sessions s JOIN tokens t ON t.id = s.token_id "
                               "WHERE s.hash = ? AND s.expires_at > ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "session_find");
    read_token(st, out);
    done(st);
    return ERR_OK;
}

static enum err session_delete(struct store_conn *c, const unsigned char hash[32])
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM sessions WHERE hash = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "session_delete");
    done(st);
    return ERR_OK;
}

static enum err session_purge(struct store_conn *c, int64_t now_ms, int limit, int64_t *purged)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM sessions WHERE hash IN "
                               "(SELECT hash FROM sessions WHERE expires_at <= ? LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "session_purge");
    done(st);
    *purged = sqlite3_changes(SC(c)->db);
    return ERR_OK;
}

static enum err idem_get(struct store_conn *c, const char *scope, const char *key, unsigned char hash[32],
                         int *status, char **response)
{
    sqlite3_stmt *st = stmt(c, "SELECT body_hash, status, response FROM idempotency_keys WHERE scope = ? AND key = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "idem_get");
    const void *b = sqlite3_column_blob(st, 0);
    if (b && sqlite3_column_bytes(st, 0) == 32)
        memcpy(hash, b, 32);
    else
        memset(hash, 0, 32);
    *status = sqlite3_column_int(st, 1);
    *response = col_dup(st, 2);
    done(st);
    return *response ? ERR_OK : ERR_INTERNAL;
}

/* A claimed key is a row with status 0 and no response until its put, seen
 * only by the transaction that claimed it. */
static enum err idem_claim(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32],
                           int64_t now, unsigned char stored[32], int *status, char **response)
{
    *response = NULL;
    /* a key purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        sqlite3_stmt *st = stmt(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, "
                                   "created_at) VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (scope, key) DO NOTHING");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now);
        if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "idem_claim");
        done(st);
        if (sqlite3_changes(SC(c)->db) == 1) return ERR_OK;
        enum err rc = idem_get(c, scope, key, stored, status, response);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        if (*status == 0) { /* this transaction's own claim, unanswered: a caller's bug */
            free(*response);
            *response = NULL;
            return ERR_INTERNAL;
        }
        return ERR_DUPLICATE;
    }
    return ERR_INTERNAL;
}

static enum err idem_put(struct store_conn *c, const char *scope, const char *key, const unsigned char hash[32],
                         int status, const char *response, int64_t now)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO idempotency_keys (scope, key, body_hash, status, response, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET "
                               "status = excluded.status, response = excluded.response "
                               "WHERE idempotency_keys.status = 0 AND idempotency_keys.body_hash = excluded.body_hash");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, status);
    sqlite3_bind_text(st, 5, response, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "idem_put");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_DUPLICATE;
}

static enum err idem_task_set(struct store_conn *c, const char *scope, const char *key, const char *task_id,
                              int64_t version)
{
    sqlite3_stmt *st = stmt(c, "UPDATE idempotency_keys SET task_id = ?, task_version = ? WHERE scope = ? AND key = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "idem_task_set");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

static enum err idem_task_get(struct store_conn *c, const char *scope, const char *key, char task_id[TASK_ID_SIZE],
                              int64_t *version)
{
    sqlite3_stmt *st = stmt(c, "SELECT task_id, task_version FROM idempotency_keys "
                               "WHERE scope = ? AND key = ? AND task_id IS NOT NULL");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "idem_task_get");
    const char *id = (const char *)sqlite3_column_text(st, 0);
    snprintf(task_id, TASK_ID_SIZE, "%s", id ? id : "");
    *version = sqlite3_column_int64(st, 1);
    done(st);
    return ERR_OK;
}

static enum err idem_purge(struct store_conn *c, int64_t older_than_ms, int64_t *purged)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM idempotency_keys WHERE rowid IN "
                               "(SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT 2000)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, older_than_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "idem_purge");
    done(st);
    *purged = sqlite3_changes(SC(c)->db);
    return ERR_OK;
}

/* ---- issue 3: SLA tracking, reports, metrics ------------------------------- */

/* Up to `limit` ids from a statement whose first column is an id. */
static enum err collect_ids(struct store_conn *c, sqlite3_stmt *st, int limit, char ***ids, int *n)
{
    *ids = NULL;
    *n = 0;
    char **out = calloc((size_t)(limit > 0 ? limit : 1), sizeof *out);
    if (!out) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!(out[*n] = col_dup(st, 0))) break;
        (*n)++;
    }
    if (*n < limit && rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++) free(out[i]);
        free(out);
        *n = 0;
        return fail(c, st, "collect_ids");
    }
    done(st);
    *ids = out;
    return ERR_OK;
}

static enum err task_sla_breach_unrecorded(struct store_conn *c, int64_t now_ms, int limit, char ***ids, int *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT id FROM tasks INDEXED BY tasks_sla_unrecorded WHERE sla_breach_recorded = 0"
                               " AND sla_due_at IS NOT NULL AND status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ?"
                               " ORDER BY sla_due_at LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    return collect_ids(c, st, limit, ids, n);
}

static enum err task_sla_breach_mark(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = stmt(c, "UPDATE tasks SET sla_breach_recorded = 1 WHERE id = ? AND sla_breach_recorded = 0");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "task_sla_breach_mark");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

static enum err task_sla_active_batch(struct store_conn *c, const char *after_id, int limit,
                                      struct sla_stamp_row **rows, int *n)
{
    *rows = NULL;
    *n = 0;
    /* in id order along the primary key: the unary + keeps the planner off
     * the status indexes, which read every active task and sorted them (~40 ms
     * a chunk at 60,000 active tasks, against 0.2 ms) */
    sqlite3_stmt *st = stmt(c, "SELECT id, created_at, sla_hours, sla_due_at, sla_risk_at FROM tasks"
                               " WHERE id > ? AND +sla_hours IS NOT NULL AND +status IN ('OPEN', 'IN_PROGRESS')"
                               " ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    struct sla_stamp_row *out = calloc(limit > 0 ? (size_t)limit : 1, sizeof *out);
    if (!out) {
        done(st);
        return ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_stamp_row *r = &out[(*n)++];
        col_copy(st, 0, r->id, sizeof r->id);
        r->created_at = sqlite3_column_int64(st, 1);
        r->sla_hours = sqlite3_column_double(st, 2);
        r->sla_due_at = sqlite3_column_int64(st, 3);
        r->sla_risk_at = sqlite3_column_int64(st, 4);
    }
    if (*n < limit && rc != SQLITE_DONE) {
        free(out);
        *n = 0;
        return fail(c, st, "task_sla_active_batch");
    }
    done(st);
    *rows = out;
    return ERR_OK;
}

static enum err task_sla_set(struct store_conn *c, const char *id, int64_t due_ms, int64_t risk_ms)
{
    sqlite3_stmt *st = stmt(c, "UPDATE tasks SET sla_due_at = ?, sla_risk_at = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, due_ms);
    sqlite3_bind_int64(st, 2, risk_ms);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "task_sla_set");
    done(st);
    return ERR_OK;
}

static enum err sla_calendar_get(struct store_conn *c, char **body)
{
    *body = NULL;
    sqlite3_stmt *st = stmt(c, "SELECT body FROM sla_calendar WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "sla_calendar_get");
    *body = col_dup(st, 0);
    done(st);
    return *body ? ERR_OK : ERR_INTERNAL;
}

static enum err sla_calendar_put(struct store_conn *c, const char *body, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO sla_calendar (id, body, updated_at, recompute_after) VALUES (1, ?1, ?2, '') "
                               "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, "
                               "recompute_after = ''");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "sla_calendar_put");
    done(st);
    return ERR_OK;
}

static enum err sla_recompute_get(struct store_conn *c, char after[TASK_ID_SIZE], bool *pending)
{
    *pending = false;
    after[0] = 0;
    sqlite3_stmt *st = stmt(c, "SELECT recompute_after FROM sla_calendar WHERE id = 1 AND recompute_after IS NOT NULL");
    if (!st) return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *pending = true;
        col_copy(st, 0, after, TASK_ID_SIZE);
    } else if (rc != SQLITE_DONE) {
        return fail(c, st, "sla_recompute_get");
    }
    done(st);
    return ERR_OK;
}

static enum err sla_recompute_set(struct store_conn *c, const char *after)
{
    sqlite3_stmt *st = stmt(c, "UPDATE sla_calendar SET recompute_after = ? WHERE id = 1");
    if (!st) return ERR_INTERNAL;
    bind_opt_text(st, 1, after);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "sla_recompute_set");
    done(st);
    return ERR_OK;
}

static enum err sla_report_scan(struct store_conn *c, int64_t start_ms, int64_t end_ms, enum sla_group g,
                                void (*row)(void *arg, const struct sla_row *r), void *arg)
{
    /* the key column as text; day and week come from sla_due_at */
    static const char *const sql[] = {
        [SLA_GROUP_ASSIGNEE] = "SELECT assignee_id, status, created_at, completed_at, sla_due_at FROM tasks "
                               "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
        [SLA_GROUP_PRIORITY] = "SELECT prio, status, created_at, completed_at, sla_due_at FROM tasks "
                               "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
        [SLA_GROUP_SOURCE] = "SELECT source, status, created_at, completed_at, sla_due_at FROM tasks "
                             "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
        [SLA_GROUP_CUSTOMER] = "SELECT user_id, status, created_at, completed_at, sla_due_at FROM tasks "
                               "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
        [SLA_GROUP_DAY] = "SELECT NULL, status, created_at, completed_at, sla_due_at FROM tasks "
                          "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
        [SLA_GROUP_WEEK] = "SELECT NULL, status, created_at, completed_at, sla_due_at FROM tasks "
                           "INDEXED BY tasks_by_sla_due WHERE sla_due_at >= ? AND sla_due_at < ?",
    };
    sqlite3_stmt *st = stmt(c, sql[g]);
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, start_ms);
    sqlite3_bind_int64(st, 2, end_ms);
    int rc;
    char prio_name[16];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_row r = {0};
        if (g == SLA_GROUP_PRIORITY) {
            int rank = sqlite3_column_int(st, 0);
            snprintf(prio_name, sizeof prio_name, "%s",
                     task_priority_name((enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank))));
            r.key = prio_name;
        } else {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            r.key = k ? k : "";
        }
        if (task_status_parse((const char *)sqlite3_column_text(st, 1), &r.status) != 0) r.status = TASK_OPEN;
        r.created_at = sqlite3_column_int64(st, 2);
        r.completed_at = sqlite3_column_int64(st, 3);
        r.sla_due_at = sqlite3_column_int64(st, 4);
        row(arg, &r);
    }
    if (rc != SQLITE_DONE) return fail(c, st, "sla_report_scan");
    done(st);
    return ERR_OK;
}

static enum err overdue_scan(struct store_conn *c, const char *today,
                             void (*by_assignee)(void *arg, const char *assignee, const char *due, int64_t n),
                             void (*by_priority)(void *arg, enum task_priority p, const char *due, int64_t n),
                             void *arg)
{
    /* by assignee: the assignee index alone (covering), not a row read per
     * overdue task; by priority: the task_counts totals (migration 002) */
    sqlite3_stmt *st = stmt(c, "SELECT assignee_id, due_date, count(*) FROM tasks INDEXED BY tasks_by_assignee "
                               "WHERE status IN ('OPEN', 'IN_PROGRESS') AND due_date < ? GROUP BY 1, 2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    int rc;
    char due[DATE_SIZE];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        col_copy(st, 1, due, sizeof due);
        by_assignee(arg, a ? a : "", due, sqlite3_column_int64(st, 2));
    }
    if (rc != SQLITE_DONE) return fail(c, st, "overdue_scan assignee");
    done(st);
    st = stmt(c, "SELECT prio, due_date, sum(n) FROM task_counts WHERE status IN ('OPEN', 'IN_PROGRESS') "
                 "AND due_date < ? GROUP BY 1, 2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int rank = sqlite3_column_int(st, 0);
        col_copy(st, 1, due, sizeof due);
        int64_t n = sqlite3_column_int64(st, 2);
        if (n > 0) by_priority(arg, (enum task_priority)(PRIORITY_URGENT - (rank < 0 || rank > 3 ? 0 : rank)), due, n);
    }
    if (rc != SQLITE_DONE) return fail(c, st, "overdue_scan priority");
    done(st);
    return ERR_OK;
}

static enum err metrics_read(struct store_conn *c, const char *today, int64_t now_ms, struct store_metrics *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(c, "SELECT status, prio, due_date < ?, sum(n) FROM task_counts GROUP BY 1, 2, 3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum task_status s;
        if (task_status_parse((const char *)sqlite3_column_text(st, 0), &s) != 0) continue;
        int rank = sqlite3_column_int(st, 1);
        if (rank < 0 || rank > 3) continue;
        if (sqlite3_column_int(st, 2) && (s == TASK_OPEN || s == TASK_IN_PROGRESS)) s = TASK_OVERDUE;
        out->tasks[s][PRIORITY_URGENT - rank] += sqlite3_column_int64(st, 3);
    }
    if (rc != SQLITE_DONE) return fail(c, st, "metrics_read counts");
    done(st);
    st = stmt(c, "SELECT count(*) FROM tasks WHERE status IN ('OPEN', 'IN_PROGRESS') AND sla_due_at < ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "metrics_read sla");
    out->sla_breached_active = sqlite3_column_int64(st, 0);
    done(st);
    st = stmt(c, "SELECT name, n FROM metric_counters");
    if (!st) return ERR_INTERNAL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        enum task_source src;
        if (!name) continue;
        if (strncmp(name, "created_", 8) == 0 && task_source_parse(name + 8, &src) == 0) out->created[src] = n;
        else if (strcmp(name, "completed") == 0) out->completed = n;
        else if (strcmp(name, "cancelled") == 0) out->cancelled = n;
        else if (strcmp(name, "overdue_transitions") == 0) out->overdue_transitions = n;
        else if (strcmp(name, "sla_breaches") == 0) out->sla_breaches = n;
    }
    if (rc != SQLITE_DONE) return fail(c, st, "metrics_read counters");
    done(st);
    return ERR_OK;
}
/* ---- renewals (issue 4): renewals.c shares the statement cache ---------- */

sqlite3_stmt *sqlite_stmt(struct store_conn *c, const char *sql) { return stmt(c, sql); }
void sqlite_done(sqlite3_stmt *st) { done(st); }
enum err sqlite_fail(struct store_conn *c, sqlite3_stmt *st, const char *what) { return fail(c, st, what); }
sqlite3 *sqlite_db(struct store_conn *c) { return SC(c)->db; }

/* ---- workflow rules (issue 5): rules and events ----------------------------- */

static void read_rule_row(sqlite3_stmt *st, struct rule_row *r)
{
    memset(r, 0, sizeof *r);
    col_copy(st, 0, r->id, sizeof r->id);
    r->definition = col_dup(st, 1);
    r->rr_next = sqlite3_column_int64(st, 2);
    r->created_at = sqlite3_column_int64(st, 3);
    r->updated_at = sqlite3_column_int64(st, 4);
}

#define RULE_COLS "id, definition, rr_next, created_at, updated_at"

static enum err rule_get(struct store_conn *c, const char *id, struct rule_row *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT " RULE_COLS " FROM rules WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "rule_get");
    read_rule_row(st, out);
    done(st);
    return out->definition ? ERR_OK : ERR_INTERNAL;
}

struct rule_put_row {
    const char *id, *event_type, *definition;
    bool enabled;
    int64_t now;
};

static void bind_rule(sqlite3_stmt *st, const void *row)
{
    const struct rule_put_row *r = row;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, r->enabled);
    sqlite3_bind_text(st, 4, r->definition, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->now);
}

static enum err rule_put(struct store_conn *c, const char *id, const char *event_type, bool enabled,
                         const char *definition, int64_t now, bool *created)
{
    struct rule_put_row r = {id, event_type, definition, enabled, now};
    return sqlite_put(c, "INSERT INTO rules (id, event_type, enabled, definition, created_at, updated_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING",
                      "UPDATE rules SET event_type = ?2, enabled = ?3, definition = ?4, updated_at = ?5 WHERE id = ?1",
                      bind_rule, &r, created);
}

static enum err rule_delete(struct store_conn *c, const char *id)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM rules WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "rule_delete");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

/* Runs st (bound by the caller) and collects at most limit rule rows. */
static enum err rule_rows(struct store_conn *c, sqlite3_stmt *st, int limit, struct rule_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* grown as rows come: most event types have a few rules, not limit */
    int cap = limit < 16 ? limit : 16;
    struct rule_row *a = malloc(sizeof *a * (size_t)cap);
    if (!a) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap * 2 < limit ? cap * 2 : limit;
            struct rule_row *g = realloc(a, sizeof *a * (size_t)cap);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            a = g;
        }
        read_rule_row(st, &a[*n]);
        if (!a[(*n)++].definition) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (*n < limit && rc != SQLITE_DONE) {
        store_rule_rows_free(a, *n);
        *n = 0;
        return fail(c, st, "rules");
    }
    done(st);
    *out = a;
    return ERR_OK;
}

static enum err rule_list(struct store_conn *c, const char *event_type, const char *after_id, int limit,
                          struct rule_row **out, int *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT " RULE_COLS " FROM rules WHERE id > ?1 AND (?2 = '' OR event_type = ?2) "
                               "ORDER BY id LIMIT ?3");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, after_id ? after_id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, event_type ? event_type : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, limit);
    return rule_rows(c, st, limit, out, n);
}

static enum err rules_for_type(struct store_conn *c, const char *event_type, int limit, struct rule_row **out,
                               int *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT " RULE_COLS " FROM rules INDEXED BY rules_by_type "
                               "WHERE event_type = ? AND enabled = 1 ORDER BY id LIMIT ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    return rule_rows(c, st, limit, out, n);
}

static enum err rule_count_type(struct store_conn *c, const char *event_type, const char *except_id, int64_t *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT count(*) FROM rules WHERE (?1 = '' OR event_type = ?1) AND id <> ?2");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, event_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, except_id ? except_id : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "rule_count_type");
    *n = sqlite3_column_int64(st, 0);
    done(st);
    return ERR_OK;
}

/* The active candidates' positions go in as a JSON array ("[0,2]"): the
 * statement takes the first at or after the position modulo n, else the
 * first of all, and stores it + 1, reading and writing the position at once. */
static enum err rule_rr_take(struct store_conn *c, const char *id, int n, const bool *active, int *pick)
{
    *pick = -1;
    if (n <= 0) return ERR_NOT_FOUND;
    size_t cap = (size_t)n * 12 + 3, len = 0;
    char *list = malloc(cap);
    if (!list) return ERR_INTERNAL;
    list[len++] = '[';
    for (int i = 0; i < n; i++)
        if (active[i]) len += (size_t)snprintf(list + len, cap - len, "%s%d", len > 1 ? "," : "", i);
    list[len++] = ']';
    list[len] = 0;
    static const char sql[] = "UPDATE rules SET rr_next = 1 + coalesce("
                              "(SELECT min(value) FROM json_each(?2) WHERE value >= rules.rr_next % ?3), "
                              "(SELECT min(value) FROM json_each(?2))) WHERE id = ?1 RETURNING rr_next - 1";
    sqlite3_stmt *st = len == 2 ? NULL : stmt(c, sql);
    if (!st) {
        free(list);
        return len == 2 ? ERR_NOT_FOUND : ERR_INTERNAL;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, list, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, n);
    free(list);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *pick = sqlite3_column_int(st, 0);
        rc = sqlite3_step(st); /* runs the statement to its end */
    }
    if (rc != SQLITE_DONE) return fail(c, st, "rule_rr_take");
    done(st);
    return *pick >= 0 ? ERR_OK : ERR_NOT_FOUND;
}

static enum err staff_load(struct store_conn *c, const char *staff_id, int64_t *n)
{
    sqlite3_stmt *st = stmt(c, "SELECT count(*) FROM tasks WHERE assignee_id = ? AND status IN ('OPEN', 'IN_PROGRESS')");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, staff_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, st, "staff_load");
    *n = sqlite3_column_int64(st, 0);
    done(st);
    return ERR_OK;
}

#define EVENT_COLS "seq, id, type, user_id, occurred_at, received_at, origin, depth, data, outcome"

static void read_event_row(sqlite3_stmt *st, struct event_row *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = sqlite3_column_int64(st, 0);
    col_copy(st, 1, ev->id, sizeof ev->id);
    col_copy(st, 2, ev->type, sizeof ev->type);
    col_copy(st, 3, ev->user_id, sizeof ev->user_id);
    ev->occurred_at = sqlite3_column_int64(st, 4);
    ev->received_at = sqlite3_column_int64(st, 5);
    const char *origin = (const char *)sqlite3_column_text(st, 6);
    ev->from_service = origin && strcmp(origin, "service") == 0;
    ev->depth = sqlite3_column_int(st, 7);
    ev->data = col_dup(st, 8);
    ev->outcome = col_dup(st, 9);
}

static enum err event_get(struct store_conn *c, const char *id, struct event_row *out)
{
    sqlite3_stmt *st = stmt(c, "SELECT " EVENT_COLS " FROM events WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return fail(c, st, "event_get");
    read_event_row(st, out);
    done(st);
    if (!out->data || !out->outcome) {
        store_event_row_clear(out);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

static enum err event_insert(struct store_conn *c, const struct event_row *ev)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, "
                               "data, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, ev->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ev->type, -1, SQLITE_TRANSIENT);
    bind_text(st, 3, ev->user_id);
    sqlite3_bind_int64(st, 4, ev->occurred_at);
    sqlite3_bind_int64(st, 5, ev->received_at);
    sqlite3_bind_text(st, 6, ev->from_service ? "service" : "api", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, ev->depth);
    sqlite3_bind_text(st, 8, ev->data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, ev->outcome, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "event_insert");
    done(st);
    return ERR_OK;
}

/* A claimed event's outcome is "" until event_set_outcome, seen only by the
 * transaction that claimed it. */
static enum err event_claim(struct store_conn *c, const struct event_row *ev, struct event_row *old)
{
    memset(old, 0, sizeof *old);
    /* an event purged between the insert and the look is claimed again (bounded) */
    for (int tries = 0; tries < 2; tries++) {
        sqlite3_stmt *st = stmt(c, "INSERT INTO events (id, type, user_id, occurred_at, received_at, origin, depth, "
                                   "data, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (id) DO NOTHING");
        if (!st) return ERR_INTERNAL;
        sqlite3_bind_text(st, 1, ev->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, ev->type, -1, SQLITE_TRANSIENT);
        bind_text(st, 3, ev->user_id);
        sqlite3_bind_int64(st, 4, ev->occurred_at);
        sqlite3_bind_int64(st, 5, ev->received_at);
        sqlite3_bind_text(st, 6, ev->from_service ? "service" : "api", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, ev->depth);
        sqlite3_bind_text(st, 8, ev->data, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "event_claim");
        done(st);
        if (sqlite3_changes(SC(c)->db) == 1) return ERR_OK;
        enum err rc = event_get(c, ev->id, old);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) return rc;
        if (!old->outcome[0]) { /* this transaction's own claim, without its outcome: a caller's bug */
            store_event_row_clear(old);
            return ERR_INTERNAL;
        }
        return ERR_DUPLICATE;
    }
    return ERR_INTERNAL;
}

static enum err event_set_outcome(struct store_conn *c, const char *id, const char *outcome)
{
    sqlite3_stmt *st = stmt(c, "UPDATE events SET outcome = ? WHERE id = ?");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_text(st, 1, outcome, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "event_set_outcome");
    done(st);
    return sqlite3_changes(SC(c)->db) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

static enum err event_list(struct store_conn *c, const struct event_query *q, struct event_row **out, int *n)
{
    *out = NULL;
    *n = 0;
    /* one statement per filter combination, so each uses its index */
    const char *sql = q->type[0] && q->user_id[0]
                          ? "SELECT " EVENT_COLS " FROM events WHERE type = :type AND user_id = :user AND seq < :before "
                            "ORDER BY seq DESC LIMIT :limit"
                      : q->type[0] ? "SELECT " EVENT_COLS " FROM events INDEXED BY events_by_type WHERE type = :type "
                                     "AND seq < :before ORDER BY type DESC, seq DESC LIMIT :limit"
                      : q->user_id[0] ? "SELECT " EVENT_COLS " FROM events INDEXED BY events_by_user WHERE "
                                        "user_id = :user AND seq < :before ORDER BY user_id DESC, seq DESC LIMIT :limit"
                                      : "SELECT " EVENT_COLS " FROM events WHERE seq < :before ORDER BY seq DESC "
                                        "LIMIT :limit";
    sqlite3_stmt *st = stmt(c, sql);
    if (!st) return ERR_INTERNAL;
    if (q->type[0]) bind_named_text(st, ":type", q->type);
    if (q->user_id[0]) bind_named_text(st, ":user", q->user_id);
    bind_named_int64(st, ":before", q->before_seq > 0 ? q->before_seq : INT64_MAX);
    bind_named_int64(st, ":limit", q->limit);
    struct event_row *a = calloc((size_t)q->limit + 1, sizeof *a);
    if (!a) {
        done(st);
        return ERR_INTERNAL;
    }
    int rc = SQLITE_DONE;
    while (*n < q->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_event_row(st, &a[*n]);
        if (!a[(*n)++].outcome) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    if (*n < q->limit && rc != SQLITE_DONE) {
        store_event_rows_free(a, *n);
        *n = 0;
        return fail(c, st, "event_list");
    }
    done(st);
    *out = a;
    return ERR_OK;
}

static enum err event_purge(struct store_conn *c, int64_t older_than_ms, int limit, int64_t *purged)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY "
                               "events_by_received WHERE received_at < ? ORDER BY received_at LIMIT ?)");
    if (!st) return ERR_INTERNAL;
    sqlite3_bind_int64(st, 1, older_than_ms);
    sqlite3_bind_int(st, 2, limit);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(c, st, "event_purge");
    done(st);
    *purged = sqlite3_changes(SC(c)->db);
    return ERR_OK;
}

const struct store_ops store_sqlite_ops = {
    .version = 1,
    .name = "sqlite",
    .conn_open = conn_open,
    .conn_close = conn_close,
    .begin = tx_begin,
    .commit = tx_commit,
    .rollback = tx_rollback,
    .savepoint = sp_begin,
    .savepoint_release = sp_release,
    .savepoint_rollback = sp_rollback,
    .migrate = migrate,
    .check_file = check_file,
    .probe = probe,
    .changes = changes,
    .last_error = last_error,
    .space_low = space_low,
    .task_get = task_get,
    .task_insert = task_insert,
    .task_update = task_update,
    .task_overdue_mark = task_overdue_mark,
    .task_list = task_list,
    .task_stats = task_stats,
    .task_overdue_unrecorded = task_overdue_unrecorded,
    .history_add = history_add,
    .history_list = history_list,
    .staff_get = staff_get,
    .staff_put = staff_put,
    .staff_list = staff_list,
    .customer_get = customer_get,
    .customer_put = customer_put,
    .customer_list = customer_list,
    .token_insert = token_insert,
    .token_find = token_find,
    .token_count = token_count,
    /* browser sessions (issue 6) */
    .session_insert = session_insert,
    .session_find = session_find,
    .session_delete = session_delete,
    .session_purge = session_purge,
    .idem_get = idem_get,
    .idem_claim = idem_claim,
    .idem_put = idem_put,
    .idem_task_set = idem_task_set,
    .idem_task_get = idem_task_get,
    .idem_purge = idem_purge,
    /* issue 3 */
    .task_sla_breach_unrecorded = task_sla_breach_unrecorded,
    .task_sla_breach_mark = task_sla_breach_mark,
    .task_sla_active_batch = task_sla_active_batch,
    .task_sla_set = task_sla_set,
    .sla_calendar_get = sla_calendar_get,
    .sla_calendar_put = sla_calendar_put,
    .sla_recompute_get = sla_recompute_get,
    .sla_recompute_set = sla_recompute_set,
    .sla_report_scan = sla_report_scan,
    .overdue_scan = overdue_scan,
    .metrics_read = metrics_read,
    /* renewals (issue 4) */
    .renewal_get = sqlite_renewal_get,
    .renewal_put = sqlite_renewal_put,
    .renewal_delete = sqlite_renewal_delete,
    .renewal_list = sqlite_renewal_list,
    .renewal_due = sqlite_renewal_due,
    .renewal_set_next_due = sqlite_renewal_set_next_due,
    .renewal_reset_next_due = sqlite_renewal_reset_next_due,
    .renewal_acted_min = sqlite_renewal_acted_min,
    .renewal_action_insert = sqlite_renewal_action_insert,
    .renewal_latest_task = sqlite_renewal_latest_task,
    .renewal_policy_get = sqlite_renewal_policy_get,
    .renewal_policy_put = sqlite_renewal_policy_put,
    /* workflow rules (issue 5) */
    .rule_get = rule_get,
    .rule_put = rule_put,
    .rule_delete = rule_delete,
    .rule_list = rule_list,
    .rules_for_type = rules_for_type,
    .rule_count_type = rule_count_type,
    .rule_rr_take = rule_rr_take,
    .staff_load = staff_load,
    .event_get = event_get,
    .event_insert = event_insert,
    .event_claim = event_claim,
    .event_set_outcome = event_set_outcome,
    .event_list = event_list,
    .event_purge = event_purge,
};
