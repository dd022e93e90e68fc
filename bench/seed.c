/* seed.c: fills a database made by `opstasks init` with N realistic tasks for
 * the benchmarks (default 1,000,000): 70% COMPLETED, 5% CANCELLED, 15% OPEN,
 * 10% IN_PROGRESS; due dates over the past year and the next 60 days; 50 staff
 * and 5,000 customers. Rows go in through the real schema (indexes and
 * triggers included), in one transaction, in created_at order with the
 * server's time-ordered ids, as the server would have written them. No
 * task_history rows: no benchmark reads them.
 *   usage: seed DB [N]        (N = 0: only the staff and customers)
 *   (run.sh: cc -O2 seed.c $(pkg-config --cflags --libs sqlite3)) */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STAFF 50
#define CUSTOMERS 5000
#define DAY_MS 86400000LL

/* xorshift64: fixed seed, so every run seeds the same database shape. */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* tsk_ + 26 Crockford base32 digits of 128 bits: 48 bits of the creation
 * millisecond, then 80 random bits (the layout of src/util/ids.c), so ids
 * sort by created_at and match ^tsk_[0-9A-Z]{26}$. */
static void task_id(int64_t ms, char out[31])
{
    static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned char b[16];
    uint64_t t = (uint64_t)ms, r1 = next(), r2 = next();
    for (int i = 5; i >= 0; i--) b[i] = (unsigned char)(t & 0xff), t >>= 8;
    for (int i = 6; i < 14; i++) b[i] = (unsigned char)(r1 & 0xff), r1 >>= 8;
    b[14] = (unsigned char)(r2 & 0xff), b[15] = (unsigned char)((r2 >> 8) & 0xff);
    memcpy(out, "tsk_", 4);
    int bit = -2; /* 130 bits of digits for 128 bits: the first two are zero */
    for (int d = 0; d < 26; d++) {
        unsigned v = 0;
        for (int k = 0; k < 5; k++, bit++) {
            v <<= 1;
            if (bit >= 0) v |= (b[bit / 8] >> (7 - bit % 8)) & 1u;
        }
        out[4 + d] = crockford[v];
    }
    out[30] = 0;
}

static void date_of_day(int64_t days, char out[11])
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

static void people(sqlite3 *db, int64_t now)
{
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO staff (id, name, email, active, created_at, updated_at)"
                                 " VALUES (printf('sta_%02d', ?1), 'Staff ' || ?1, printf('staff%d@example.com', ?1), 1, ?2, ?2)",
                             -1, &st, 0),
          db, "prepare staff");
    for (int i = 0; i < STAFF; i++) {
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_int64(st, 2, now);
        check(sqlite3_step(st), db, "staff");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    check(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO customers (id, name, email, owner_id, created_at, updated_at)"
                                 " VALUES (printf('cus_%04d', ?1), 'Customer ' || ?1, NULL, printf('sta_%02d', ?1 % 50), ?2, ?2)",
                             -1, &st, 0),
          db, "prepare customers");
    for (int i = 0; i < CUSTOMERS; i++) {
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_int64(st, 2, now);
        check(sqlite3_step(st), db, "customers");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: seed DB [N]\n");
        return 2;
    }
    /* 0: the staff and customers alone (the creates' database) */
    long n = argc == 3 ? atol(argv[2]) : 1000000;
    if (n < 0 || (n == 0 && strcmp(argv[2], "0") != 0)) {
        fprintf(stderr, "seed: N must be a number >= 0\n");
        return 2;
    }
    sqlite3 *db;
    check(sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL), db, "open");
    /* synchronous=OFF: the seed is throwaway, the checkpoint at the end puts
     * it all in the main file before the server starts. */
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000; BEGIN", 0, 0, 0),
          db, "begin");
    int64_t now = (int64_t)time(NULL) * 1000, today = now / DAY_MS;
    people(db, now);

    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO tasks (id, title, description, prio, status, overdue_recorded, due_date, sla_hours,"
                             " sla_due_at, assignee_id, user_id, source, created_at, updated_at, started_at, completed_at,"
                             " cancelled_at, version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,'MANUAL',?12,?13,?14,?15,?16,?17)",
                             -1, &st, 0),
          db, "prepare tasks");
    static const char *titles[] = {"Chase outstanding bank statement", "Book biometrics appointment",
                                   "Renew residence permit", "Request translated passport copy",
                                   "Call customer about missing payslip", "Check health insurance certificate",
                                   "Send appointment confirmation", "Review rental contract"};
    static const char *descriptions[] = {
        "Customer said the bank would send it by post; call again if nothing arrives.",
        "The consulate needs the original and a sworn translation, both dated this year."};
    static const int sla_choices[] = {4, 8, 24, 48, 72};
    int64_t start = now - 365 * DAY_MS; /* created over the past year, oldest first */
    for (long i = 0; i < n; i++) {
        int64_t created = start + (int64_t)((double)i / (double)n * (double)(now - start - 60000));
        char id[31], due[11], assignee[8], user[9];
        task_id(created, id);
        unsigned r = (unsigned)(next() % 100);
        const char *status = r < 70 ? "COMPLETED" : r < 75 ? "CANCELLED" : r < 90 ? "OPEN" : "IN_PROGRESS";
        bool is_active = r >= 75;
        /* Closed tasks were due within two weeks of creation; active ones from
         * a month ago (overdue) to 60 days ahead. */
        int64_t due_day = is_active ? today - 30 + (int64_t)(next() % 90) : created / DAY_MS + (int64_t)(next() % 14);
        date_of_day(due_day, due);
        unsigned p = (unsigned)(next() % 100); /* 5% URGENT, 20% HIGH, 50% MEDIUM, 25% LOW */
        int prio = p < 5 ? 0 : p < 25 ? 1 : p < 75 ? 2 : 3;
        snprintf(assignee, sizeof assignee, "sta_%02d", (int)(next() % STAFF));
        snprintf(user, sizeof user, "cus_%04d", (int)(next() % CUSTOMERS));
        bool has_sla = next() % 3 == 0;
        double hours = sla_choices[next() % 5];

        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, titles[next() % 8], -1, SQLITE_STATIC);
        if (next() % 5 == 0) sqlite3_bind_text(st, 3, descriptions[next() % 2], -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, 3);
        sqlite3_bind_int(st, 4, prio);
        sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, is_active && due_day < today); /* as if the sweeper had run */
        sqlite3_bind_text(st, 7, due, -1, SQLITE_TRANSIENT);
        if (has_sla) {
            sqlite3_bind_double(st, 8, hours);
            sqlite3_bind_int64(st, 9, created + (int64_t)(hours * 3600000));
        } else {
            sqlite3_bind_null(st, 8);
            sqlite3_bind_null(st, 9);
        }
        if (next() % 10) sqlite3_bind_text(st, 10, assignee, -1, SQLITE_TRANSIENT); /* 10% unassigned */
        else sqlite3_bind_null(st, 10);
        sqlite3_bind_text(st, 11, user, -1, SQLITE_TRANSIENT);
        int64_t closed = created + (int64_t)(1 + next() % 72) * 3600000;
        sqlite3_bind_int64(st, 12, created);
        bool is_open = r >= 75 && r < 90;
        sqlite3_bind_int64(st, 13, is_open ? created : is_active ? created + 1800000 : closed);
        if (!is_open) sqlite3_bind_int64(st, 14, created + 1800000);
        else sqlite3_bind_null(st, 14);
        if (strcmp(status, "COMPLETED") == 0) sqlite3_bind_int64(st, 15, closed);
        else sqlite3_bind_null(st, 15);
        if (strcmp(status, "CANCELLED") == 0) sqlite3_bind_int64(st, 16, closed);
        else sqlite3_bind_null(st, 16);
        sqlite3_bind_int(st, 17, is_open ? 1 : is_active ? 2 : 3);
        check(sqlite3_step(st), db, "insert task");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    check(sqlite3_exec(db, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)", 0, 0, 0), db, "commit");
    sqlite3_close(db);
    return 0;
}
