/* test_walbuf.c: the writer's VFS (store/sqlite/walbuf.c), which holds a
 * commit's WAL appends and writes them in one call. What must not change:
 * a connection on the default VFS (another instance, the sqlite3 shell)
 * sees each commit as soon as it returns, whatever the synchronous setting;
 * a transaction larger than the buffer and than the page cache (frames
 * spilled, read back and rewritten in place) comes out whole; and a process
 * that dies right after a commit leaves that commit in the file. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

static char dir[64], path[96];

static void setup(void)
{
    strcpy(dir, "/tmp/walbuf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(walbuf, .init = setup, .fini = teardown);

static void run(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static sqlite3 *open_writer(const char *synchronous)
{
    const char *vfs = sqlite_walbuf_register();
    cr_assert_not_null(vfs);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s", synchronous);
    run(db, sql);
    run(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, k TEXT, v BLOB);"
            "CREATE INDEX IF NOT EXISTS t_k ON t(k)");
    return db;
}

static sqlite3 *open_reader(void)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static sqlite3_int64 one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void check_integrity(sqlite3 *db)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

/* Commits of one row, of a few pages and of ~300 KiB (past the 128 KiB
 * buffer) alternate; a reader on the default VFS checks each at once. With
 * synchronous=NORMAL no sync ends a commit, so only the flush at the commit
 * frame puts its frames in the file before readers can look for them. */
static void each_commit_is_seen_at_once(const char *synchronous)
{
    sqlite3 *w = open_writer(synchronous), *r = open_reader();
    sqlite3_int64 rows = 0, bytes = 0;
    for (int i = 0; i < 120; i++) {
        int n = i % 3 == 0 ? 1 : i % 3 == 1 ? 8 : 60;
        int size = i % 3 == 2 ? 5000 : 300;
        char sql[256];
        run(w, "BEGIN");
        snprintf(sql, sizeof sql,
                 "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < %d) "
                 "INSERT INTO t(k, v) SELECT hex(randomblob(8)), randomblob(%d) FROM s",
                 n, size);
        run(w, sql);
        run(w, "COMMIT");
        rows += n, bytes += (sqlite3_int64)n * size;
        cr_assert_eq(one(r, "SELECT count(*) FROM t"), rows, "commit %d", i);
        cr_assert_eq(one(r, "SELECT sum(length(v)) FROM t"), bytes, "commit %d", i);
        cr_assert_eq(one(r, "SELECT count(*) FROM t INDEXED BY t_k WHERE k > ''"), rows, "commit %d", i);
    }
    check_integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

Test(walbuf, a_reader_on_the_default_vfs_sees_each_commit_at_once_with_synchronous_full)
{
    each_commit_is_seen_at_once("FULL");
}

Test(walbuf, a_reader_on_the_default_vfs_sees_each_commit_at_once_with_synchronous_normal)
{
    each_commit_is_seen_at_once("NORMAL");
}

/* A page cache of 10 pages makes the transaction spill frames to the WAL,
 * and updating the same rows afterwards makes SQLite read those frames back
 * and write them again in place: reads and rewrites amid buffered appends. */
Test(walbuf, a_transaction_larger_than_the_cache_and_the_buffer_comes_out_whole)
{
    sqlite3 *w = open_writer("FULL");
    run(w, "PRAGMA cache_size=10");
    run(w, "BEGIN");
    run(w, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 2000) "
           "INSERT INTO t(id, k, v) SELECT x, printf('k%05d', x), zeroblob(1000) FROM s");
    run(w, "UPDATE t SET v = randomblob(900), k = 'u' || k WHERE id % 2 = 0");
    run(w, "DELETE FROM t WHERE id % 5 = 0");
    run(w, "COMMIT");
    sqlite3 *r = open_reader();
    cr_assert_eq(one(r, "SELECT count(*) FROM t"), 1600);
    cr_assert_eq(one(r, "SELECT count(*) FROM t WHERE k LIKE 'u%'"), 800);
    cr_assert_eq(one(r, "SELECT sum(length(v)) FROM t"), 800 * 900 + 800 * 1000);
    check_integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

/* A child commits and dies without closing (no flush at close, no exit
 * handlers): what each COMMIT returned for is in the file. */
Test(walbuf, a_process_killed_after_its_commits_leaves_them_in_the_file)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        sqlite3 *w = open_writer("FULL");
        for (int i = 0; i < 50; i++)
            if (sqlite3_exec(w, "INSERT INTO t(k, v) VALUES ('x', randomblob(3000))", NULL, NULL, NULL) != SQLITE_OK)
                _exit(1);
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sqlite3 *r = open_reader();
    cr_assert_eq(one(r, "SELECT count(*) FROM t"), 50);
    check_integrity(r);
    sqlite3_close(r);
}

/* A transaction that spilled frames to the WAL and then rolled back leaves
 * them past the last commit, where the next writer writes. They must reach
 * the file while this connection still holds the WAL's write lock, never
 * after: written later, they would land on another writer's committed
 * frames (another process on the default VFS here). */
Test(walbuf, a_rolled_back_transactions_frames_never_land_on_another_writers_commit)
{
    sqlite3 *w = open_writer("FULL");
    run(w, "PRAGMA cache_size=10");
    run(w, "INSERT INTO t(k, v) VALUES ('first', zeroblob(10))");
    /* every page back in the database file, so that undoing the transaction
     * reads nothing from the WAL (a read would write the frames out) */
    run(w, "PRAGMA wal_checkpoint(TRUNCATE)");
    run(w, "BEGIN");
    run(w, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 2000) "
           "INSERT INTO t(k, v) SELECT 'gone', randomblob(1000) FROM s");
    run(w, "ROLLBACK");

    sqlite3 *o;
    cr_assert_eq(sqlite3_open_v2(path, &o, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(o, 5000);
    run(o, "PRAGMA synchronous=FULL");
    run(o, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 2000) "
           "INSERT INTO t(k, v) SELECT 'other', zeroblob(1000) FROM s");
    sqlite3_close(o);

    /* the first writer writes again, then closes */
    run(w, "INSERT INTO t(k, v) VALUES ('last', zeroblob(10))");
    sqlite3_close(w);

    sqlite3 *r = open_reader();
    cr_expect_eq(one(r, "SELECT count(*) FROM t WHERE k = 'gone'"), 0);
    cr_expect_eq(one(r, "SELECT count(*) FROM t WHERE k = 'other'"), 2000);
    cr_expect_eq(one(r, "SELECT sum(length(v)) FROM t WHERE k = 'other'"), 2000 * 1000);
    cr_expect_eq(one(r, "SELECT count(*) FROM t WHERE k IN ('first', 'last')"), 2);
    check_integrity(r);
    sqlite3_close(r);
}

/* ---- a write that fails once ---------------------------------------------
 * A VFS under walbuf's (registered as the default before walbuf is, so that
 * walbuf writes through it) whose WAL writes fail while fail_writes > 0,
 * one each, with the error a full disk gives. */
static sqlite3_vfs faulty, *unix_vfs;
static int fail_writes;
static sqlite3_io_methods faulty_wal_methods;
static const sqlite3_io_methods *unix_wal_methods;

static int faulty_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    if (fail_writes > 0) {
        fail_writes--;
        return SQLITE_FULL;
    }
    return unix_wal_methods->xWrite(f, data, n, off);
}

static int faulty_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    int rc = unix_vfs->xOpen(unix_vfs, name, f, flags, out);
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL)) {
        unix_wal_methods = f->pMethods;
        faulty_wal_methods = *f->pMethods;
        faulty_wal_methods.xWrite = faulty_write;
        f->pMethods = &faulty_wal_methods;
    }
    return rc;
}

/* A commit whose frames could not be written fails; its frames must not
 * reach the file later (here: when undoing it reads the WAL once the disk
 * has room again), or the next opener's recovery, after a crash, would
 * replay a transaction the writer was told had failed. */
Test(walbuf, a_commit_that_failed_to_write_is_not_replayed_after_a_crash)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        unix_vfs = sqlite3_vfs_find(NULL);
        faulty = *unix_vfs;
        faulty.zName = "faulty";
        faulty.xOpen = faulty_open;
        if (sqlite3_vfs_register(&faulty, 1) != SQLITE_OK) _exit(2);
        sqlite3 *w = open_writer("FULL");
        if (sqlite3_exec(w, "INSERT INTO t(k, v) VALUES ('kept', randomblob(3000))", NULL, NULL, NULL) != SQLITE_OK)
            _exit(3);
        fail_writes = 1;
        if (sqlite3_exec(w, "INSERT INTO t(k, v) VALUES ('failed', randomblob(3000))", NULL, NULL, NULL) == SQLITE_OK)
            _exit(4); /* the commit was to fail */
        if (sqlite3_exec(w, "SELECT count(*) FROM t", NULL, NULL, NULL) != SQLITE_OK) _exit(5);
        _exit(0); /* a crash: no close, no checkpoint */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exit %d", WEXITSTATUS(status));
    sqlite3 *r = open_reader();
    cr_expect_eq(one(r, "SELECT count(*) FROM t WHERE k = 'kept'"), 1);
    cr_expect_eq(one(r, "SELECT count(*) FROM t WHERE k = 'failed'"), 0);
    check_integrity(r);
    sqlite3_close(r);
}
