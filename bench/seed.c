/* seed.c: fills a database made by `opstasks init` with N realistic tasks for
 * the benchmarks: 70% COMPLETED, 5% CANCELLED, 15% OPEN, 10% IN_PROGRESS, due
 * dates over the past year and the next 60 days, 50 staff, 5,000 customers.
 * Rows go in through the real schema (indexes and triggers included), in one
 * transaction, in created_at order with time-ordered ids, as the server
 * would have written them.  usage: seed DB N */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void id(int64_t ms, char out[31])
{
    static const char a[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    memcpy(out, "tsk_", 4);
    uint64_t hi = (uint64_t)ms, lo = next();
    /* 10 chars of time (50 bits), 16 of randomness */
    for (int i = 9; i >= 0; i--) out[4 + i] = a[hi & 31], hi >>= 5;
    for (int i = 0; i < 16; i++) out[14 + i] = a[lo & 31], lo >>= 4;
    out[30] = 0;
}

static void day(int64_t days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void check(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "seed: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: seed DB N\n");
        return 2;
    }
    long n = atol(argv[2]);
    sqlite3 *db;
    check(sqlite3_open(argv[1], &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000; BEGIN", 0, 0, 0), db, "begin");
    int64_t now = (int64_t)time(NULL) * 1000, today = now / 86400000;
    for (int i = 0; i < 50; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO staff VALUES ('sta_%02d', 'Staff %d', NULL, 1, %lld, %lld)", i, i,
                 (long long)now, (long long)now);
        check(sqlite3_exec(db, sql, 0, 0, 0), db, "staff");
    }
    for (int i = 0; i < 5000; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO customers VALUES ('cus_%04d', 'Customer %d', NULL, 'sta_%02d', %lld, %lld)",
                 i, i, i % 50, (long long)now, (long long)now);
        check(sqlite3_exec(db, sql, 0, 0, 0), db, "customers");
    }
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO tasks (id, title, description, prio, status, overdue_recorded, due_date, sla_hours,"
                             " sla_due_at, assignee_id, user_id, source, created_at, updated_at, started_at, completed_at,"
                             " cancelled_at, version) VALUES (?,?,NULL,?,?,?,?,?,?,?,?,'MANUAL',?,?,?,?,?,?)",
                             -1, &st, 0),
          db, "prepare");
    int64_t start = now - 400LL * 86400000;
    const char *titles[] = {"Chase outstanding bank statement", "Book biometrics appointment", "Renew residence permit",
                            "Request translated passport copy", "Call customer about missing payslip"};
    for (long i = 0; i < n; i++) {
        int64_t created = start + (int64_t)((double)i / (double)n * (double)(now - start - 60000));
        char tid[31], due[11], assignee[8], user[9];
        id(created, tid);
        unsigned r = (unsigned)(next() % 100);
        const char *status = r < 70 ? "COMPLETED" : r < 75 ? "CANCELLED" : r < 90 ? "OPEN" : "IN_PROGRESS";
        bool active = r >= 75;
        int64_t due_day = active ? today - 30 + (int64_t)(next() % 90) : created / 86400000 + (int64_t)(next() % 14);
        day(due_day, due);
        snprintf(assignee, sizeof assignee, "sta_%02d", (int)(next() % 50));
        snprintf(user, sizeof user, "cus_%04d", (int)(next() % 5000));
        bool sla = next() % 3 == 0;
        double hours = (double)(4 + next() % 96);
        sqlite3_bind_text(st, 1, tid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, titles[i % 5], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)(next() % 4));
        sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, active && due_day < today); /* as if the sweeper had run */
        sqlite3_bind_text(st, 6, due, -1, SQLITE_TRANSIENT);
        if (sla) {
            sqlite3_bind_double(st, 7, hours);
            sqlite3_bind_int64(st, 8, created + (int64_t)(hours * 3600000));
        } else {
            sqlite3_bind_null(st, 7);
            sqlite3_bind_null(st, 8);
        }
        if (next() % 10)
            sqlite3_bind_text(st, 9, assignee, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 9);
        sqlite3_bind_text(st, 10, user, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 11, created);
        sqlite3_bind_int64(st, 12, created);
        if (strcmp(status, "OPEN") != 0) sqlite3_bind_int64(st, 13, created + 3600000); else sqlite3_bind_null(st, 13);
        if (strcmp(status, "COMPLETED") == 0) sqlite3_bind_int64(st, 14, created + 86400000); else sqlite3_bind_null(st, 14);
        if (strcmp(status, "CANCELLED") == 0) sqlite3_bind_int64(st, 15, created + 86400000); else sqlite3_bind_null(st, 15);
        sqlite3_bind_int(st, 16, 1);
        check(sqlite3_step(st), db, "insert");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    check(sqlite3_exec(db, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)", 0, 0, 0), db, "commit");
    sqlite3_close(db);
    return 0;
}
