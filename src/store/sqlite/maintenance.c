/* maintenance.c (sqlite): online backup and the consistency checks; see
 * maintenance.h. The backup holds one read transaction on the source for the
 * whole copy: in WAL mode that is a snapshot, so the copy is consistent and a
 * busy server neither waits for it nor makes it start over (without it,
 * SQLite restarts a backup whenever another connection writes). */
#include "store/sqlite/maintenance.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/sqlite/internal.h"

#define STEP_PAGES 256      /* 1 MiB at 4 KiB pages per backup step */
#define BUSY_RETRIES 200    /* consecutive busy steps before giving up (~10 s) */
#define BUSY_PAUSE_MS 50

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Opens path without creating it: read-write when allowed (a WAL reader may
 * need to write the -shm file), else read-only; queries only either way.
 * path is a file's: `opstasks backup` refuses another backend's --db value
 * before it calls here, `check` reaches here through the backend table. */
static sqlite3 *open_existing(const char *path, struct errinfo *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        err_set(e, ERR_INTERNAL, NULL, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
        rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
    return db;
}

static int fsync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* ---- backup -------------------------------------------------------------- */

int sqlite_backup(const char *src, const char *dst, struct backup_stats *stats, struct errinfo *e)
{
    memset(stats, 0, sizeof *stats);
    struct stat st;
    if (lstat(dst, &st) == 0) {
        err_set(e, ERR_INTERNAL, NULL, "%s exists already; backup never replaces a file (remove it or name another)",
                dst);
        return -1;
    }
    sqlite3 *from = open_existing(src, e), *to = NULL;
    if (!from) return -1;
    char tmp[4096];
    int ret = -1;
    bool made = false;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dst) >= (int)sizeof tmp) {
        err_set(e, ERR_INTERNAL, NULL, "the backup file name is too long");
        goto out;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(e, ERR_INTERNAL, NULL, "cannot create a file next to %s: %s", dst, strerror(errno));
        goto out;
    }
    close(fd);
    made = true;
    /* The snapshot: one read transaction, begun by reading the schema (which
     * also tells a file that is no database at once). */
    if (sqlite3_exec(from, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot read %s: %s", src, sqlite3_errmsg(from));
        goto out;
    }
    if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(to, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot write %s: %s", tmp, to ? sqlite3_errmsg(to) : "out of memory");
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        err_set(e, ERR_INTERNAL, NULL, "cannot start the backup: %s", sqlite3_errmsg(to));
        goto out;
    }
    int rc, busy = 0;
    do {
        rc = sqlite3_backup_step(b, STEP_PAGES);
        stats->steps++;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            stats->busy_waits++;
            if (++busy > BUSY_RETRIES) break;
            pause_ms(BUSY_PAUSE_MS);
            rc = SQLITE_OK;
        } else {
            busy = 0;
        }
    } while (rc == SQLITE_OK);
    stats->pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err_set(e, ERR_INTERNAL, NULL, "the backup failed: %s%s", sqlite3_errstr(rc),
                busy > BUSY_RETRIES ? " (the database stayed busy for 10 s)" : "");
        goto out;
    }
    if (sqlite3_errcode(to) != SQLITE_OK && sqlite3_errcode(to) != SQLITE_DONE) {
        err_set(e, ERR_INTERNAL, NULL, "writing %s failed: %s", tmp, sqlite3_errmsg(to));
        goto out;
    }
    sqlite3_stmt *ps = NULL;
    if (sqlite3_prepare_v2(to, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK && sqlite3_step(ps) == SQLITE_ROW)
        stats->page_size = sqlite3_column_int(ps, 0);
    sqlite3_finalize(ps);
    if (sqlite3_close(to) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "closing %s failed: %s", tmp, sqlite3_errmsg(to));
        goto out;
    }
    to = NULL;
    /* on disk before it takes its name, and the name on disk before we say so */
    if (fsync_path(tmp, false) != 0) {
        err_set(e, ERR_INTERNAL, NULL, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) {
            err_set(e, ERR_INTERNAL, NULL, "%s appeared during the backup; it was not replaced", dst);
            goto out;
        }
        /* a file system without RENAME_NOREPLACE: a hard link cannot replace either */
        if ((errno != EINVAL && errno != ENOSYS) || link(tmp, dst) != 0) {
            err_set(e, ERR_INTERNAL, NULL, "cannot name the copy %s: %s", dst, strerror(errno));
            goto out;
        }
        unlink(tmp);
    }
    made = false;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", dst);
    if (fsync_path(dirname(dir), true) != 0) {
        err_set(e, ERR_INTERNAL, NULL, "the copy is %s, but its folder could not be synced: %s", dst,
                strerror(errno));
        goto out;
    }
    ret = 0;
out:
    if (to) sqlite3_close(to);
    sqlite3_exec(from, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(from);
    if (made) {
        unlink(tmp);
        char j[4200];
        snprintf(j, sizeof j, "%s-journal", tmp);
        unlink(j);
    }
    return ret;
}

/* ---- check ----------------------------------------------------------------- */

static void fail_with(struct check_result *r, sqlite3 *db, const char *what)
{
    r->ok = false;
    snprintf(r->detail, sizeof r->detail, "cannot %s: %s", what, sqlite3_errmsg(db));
}

static void check_integrity(sqlite3 *db, struct check_result *r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &st, NULL) != SQLITE_OK) {
        fail_with(r, db, "run integrity_check");
        return;
    }
    int rc, n = 0;
    size_t len = 0;
    r->ok = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (n == 0 && s && strcmp(s, "ok") == 0) continue;
        r->ok = false;
        if (len < sizeof r->detail)
            len += (size_t)snprintf(r->detail + len, sizeof r->detail - len, "%s%s", n ? "; " : "", s ? s : "?");
        n++;
    }
    if (rc != SQLITE_DONE) {
        if (!n) fail_with(r, db, "run integrity_check");
        r->ok = false;
    }
    sqlite3_finalize(st);
    if (r->ok) snprintf(r->detail, sizeof r->detail, "PRAGMA integrity_check is ok");
}

static void check_foreign_keys(sqlite3 *db, struct check_result *r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
        fail_with(r, db, "run foreign_key_check");
        return;
    }
    int rc;
    long n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0)
            snprintf(r->detail, sizeof r->detail, "a row of %s (rowid %lld) names a missing %s row",
                     (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
                     (const char *)sqlite3_column_text(st, 2));
    }
    r->ok = rc == SQLITE_DONE && n == 0;
    if (rc != SQLITE_DONE && n == 0) fail_with(r, db, "run foreign_key_check");
    else if (n > 1) {
        size_t len = strlen(r->detail);
        snprintf(r->detail + len, sizeof r->detail - len, ", and %ld more", n - 1);
    } else if (r->ok)
        snprintf(r->detail, sizeof r->detail, "every reference names an existing row");
    sqlite3_finalize(st);
}

static void check_schema(sqlite3 *db, struct check_result *r)
{
    const struct migration *last = &store_migrations[store_migrations_count - 1];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT version, name FROM schema_migrations ORDER BY version", -1, &st, NULL) !=
        SQLITE_OK) {
        r->ok = false;
        if (strstr(sqlite3_errmsg(db), "no such table"))
            snprintf(r->detail, sizeof r->detail, "not an opstasks database: it has no schema_migrations table");
        else
            fail_with(r, db, "read schema_migrations");
        return;
    }
    int rc, i = 0, version = 0;
    r->ok = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        version = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (i < store_migrations_count && r->ok &&
            (store_migrations[i].version != version || strcmp(store_migrations[i].name, name ? name : "") != 0)) {
            r->ok = false;
            snprintf(r->detail, sizeof r->detail,
                     "migration %d of the database is '%s'; this opstasks has '%s' (version %d) there", i + 1,
                     name ? name : "", store_migrations[i].name, store_migrations[i].version);
        }
        i++;
    }
    if (rc != SQLITE_DONE) {
        fail_with(r, db, "read schema_migrations");
        sqlite3_finalize(st);
        return;
    }
    sqlite3_finalize(st);
    if (!r->ok) return;
    if (i > store_migrations_count) {
        r->ok = false;
        snprintf(r->detail, sizeof r->detail,
                 "version %d is NEWER than this opstasks knows (%d): check it with the opstasks that wrote it", version,
                 last->version);
    } else if (i < store_migrations_count) {
        r->ok = false;
        snprintf(r->detail, sizeof r->detail,
                 "version %d is OLDER than this opstasks (%d): `opstasks serve` upgrades it when it starts", version,
                 last->version);
    } else {
        snprintf(r->detail, sizeof r->detail, "version %d, the one this opstasks writes", version);
    }
}

/* The stats bar reads task_counts (migration 002), kept by triggers: each
 * (status, priority, due date) total must equal a count of the task rows. */
static void check_stats(sqlite3 *db, struct check_result *r)
{
    static const char sql[] =
        "WITH rows AS (SELECT status, prio, due_date, count(*) AS n FROM tasks GROUP BY 1, 2, 3), "
        "counts AS (SELECT status, prio, due_date, n FROM task_counts WHERE n <> 0) "
        "SELECT status, prio, due_date, coalesce(counts.n, 0), coalesce(rows.n, 0) "
        "FROM rows FULL OUTER JOIN counts USING (status, prio, due_date) WHERE counts.n IS NOT rows.n";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_with(r, db, "compare task_counts with the tasks");
        return;
    }
    int rc;
    long n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0)
            snprintf(r->detail, sizeof r->detail, "%s priority %d due %s: the stats count %lld, the rows are %lld",
                     (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
                     (const char *)sqlite3_column_text(st, 2), (long long)sqlite3_column_int64(st, 3),
                     (long long)sqlite3_column_int64(st, 4));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fail_with(r, db, "compare task_counts with the tasks");
        return;
    }
    r->ok = n == 0;
    if (n > 1) {
        size_t len = strlen(r->detail);
        snprintf(r->detail + len, sizeof r->detail - len, "; %ld totals differ in all", n);
    }
    if (!r->ok) return;
    long long tasks = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tasks", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        tasks = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    snprintf(r->detail, sizeof r->detail, "the counts per status equal the %lld task rows", tasks);
}

/* The table list (store/tables.h) must name every column of the schema. */
static void check_tables(sqlite3 *db, struct check_result *r)
{
    char **names;
    int n;
    if (sqlite_schema_columns(db, &names, &n) != 0) {
        fail_with(r, db, "read the schema");
        return;
    }
    r->ok = store_tables_match(names, n, r->detail, sizeof r->detail);
    if (r->ok) snprintf(r->detail, sizeof r->detail, "the %d columns are those of the table list", n);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

int sqlite_check_db(const char *path, unsigned which, struct check_result out[CHECK__COUNT], struct errinfo *e)
{
    store_check_init(out);
    sqlite3 *db = open_existing(path, e);
    if (!db) return -1;
    /* one snapshot for every check, so a running server cannot make the
     * totals and the rows disagree between two reads */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL, NULL, "cannot read %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    if (which & (1u << CHECK_INTEGRITY)) check_integrity(db, &out[CHECK_INTEGRITY]);
    if (which & (1u << CHECK_FOREIGN_KEYS)) check_foreign_keys(db, &out[CHECK_FOREIGN_KEYS]);
    if (which & (1u << CHECK_SCHEMA)) check_schema(db, &out[CHECK_SCHEMA]);
    if (which & (1u << CHECK_STATS)) check_stats(db, &out[CHECK_STATS]);
    if (which & (1u << CHECK_TABLES)) check_tables(db, &out[CHECK_TABLES]);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return 0;
}
