/* test_sqlite_stats.c: the SQLite writer forgets the query planner's
 * statistics of the search index's FTS5 tables. PRAGMA optimize records them
 * while the index is nearly empty and never looks again; believing
 * search_tasks_data has 2 rows, SQLite scans the whole index for each
 * segment an FTS5 merge removes, which at 1,000,000 tasks took most of the
 * writer's time. The plan is what a user feels as creates stalling, so the
 * test checks the plan FTS5's statement gets. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "store/store.h"

static sqlite3 *raw(const char *path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void run(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

/* How SQLite runs FTS5's removal of one segment's pages, on a new
 * connection (which loads the statistics afresh). */
static void segment_delete_plan(const char *path, char *out, size_t n)
{
    sqlite3 *db = raw(path);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN DELETE FROM search_tasks_data WHERE id >= ? AND id <= ?",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static sqlite3_int64 stale_rows(const char *path)
{
    sqlite3 *db = raw(path);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_stat1 WHERE tbl LIKE 'search_tasks_%'", -1, &st,
                                    NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void teardown(void) { test_store_drop(NULL); }

Test(sqlite_stats, the_search_index_is_never_planned_as_a_two_row_table, .fini = teardown)
{
    struct store *s = test_store_fresh(NULL); /* row 0: SQLite */
    char path[256], plan[256];
    snprintf(path, sizeof path, "%s", test_store_uri());
    store_close(s);

    /* what PRAGMA optimize leaves on a new database, as found on a
     * 1,000,000-task one: the index analyzed while it held two rows */
    sqlite3 *db = raw(path);
    run(db, "ANALYZE");
    run(db, "DELETE FROM sqlite_stat1 WHERE tbl = 'search_tasks_data';"
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('search_tasks_data', NULL, '2')");
    sqlite3_close(db);
    segment_delete_plan(path, plan, sizeof plan);
    cr_assert(strstr(plan, "SCAN"), "the stale row should make SQLite scan: %s", plan);

    /* the writer's open forgets them */
    struct errinfo e = {0};
    cr_assert_eq(store_open(path, &s, &e), 0, "%s", e.message);
    cr_expect_eq(stale_rows(path), 0);
    segment_delete_plan(path, plan, sizeof plan);
    cr_expect(strstr(plan, "INTEGER PRIMARY KEY"), "after the writer's open: %s", plan);

    /* and so does its close, after its own PRAGMA optimize */
    db = raw(path);
    run(db, "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('search_tasks_data', NULL, '2')");
    sqlite3_close(db);
    store_close(s);
    cr_expect_eq(stale_rows(path), 0, "after the writer's close");
    test_store_drop(NULL);
}
