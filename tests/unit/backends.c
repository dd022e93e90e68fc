/* backends.c: the backend rows of the unit tests (backends.h). SQLite's
 * database is a file in a new temporary folder; the store's close must
 * leave only that file (SQLite removes its -wal and -shm itself when the
 * last connection closes), so dropping it is one unlink and one rmdir.
 * PostgreSQL's is a new database of the throwaway cluster whose socket
 * folder OPSTASKS_TEST_PG names (scripts/with-pg.sh; make unit-pg), made and
 * dropped over libpq; without the variable its runs are skipped. */
#include "backends.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sqlite_fresh_db(char *uri, size_t n)
{
    char dir[] = "/tmp/opstasks-unit-XXXXXX";
    if (!mkdtemp(dir)) return snprintf(uri, n, "mkdtemp: %s", strerror(errno)), -1;
    snprintf(uri, n, "%s/opstasks.db", dir);
    return 0;
}

static int sqlite_drop_db(const char *uri)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s", uri);
    char *slash = strrchr(dir, '/');
    if (!slash) return -1;
    *slash = 0;
    unlink(uri); /* absent when the store never opened */
    return rmdir(dir);
}

/* One statement on the cluster's postgres database (CREATE or DROP
 * DATABASE cannot run in a transaction, nor in the database they name):
 * 0, or -1 with libpq's reason in why. */
static int pg_admin(const char *sql, char *why, size_t n)
{
    const char *sock = getenv("OPSTASKS_TEST_PG");
    const char *keys[] = {"host", "user", "dbname", "connect_timeout", NULL};
    const char *vals[] = {sock, "postgres", "postgres", "30", NULL};
    PGconn *pc = PQconnectdbParams(keys, vals, 0);
    int rc = -1;
    if (PQstatus(pc) != CONNECTION_OK) {
        snprintf(why, n, "cannot connect to the test cluster at %s: %s", sock, PQerrorMessage(pc));
    } else {
        PGresult *res = PQexec(pc, sql);
        if (PQresultStatus(res) == PGRES_COMMAND_OK) rc = 0;
        else snprintf(why, n, "%s: %s", sql, PQresultErrorMessage(res));
        PQclear(res);
    }
    PQfinish(pc);
    return rc;
}

/* The database's name in a URI that pg_fresh_db made. */
static void pg_name(const char *uri, char *name, size_t n)
{
    const char *p = strstr(uri, ":///");
    snprintf(name, n, "%s", p ? p + 4 : "");
    name[strcspn(name, "?")] = 0;
}

static int pg_fresh_db(char *uri, size_t n)
{
    const char *sock = getenv("OPSTASKS_TEST_PG");
    if (!sock || !*sock)
        return snprintf(uri, n, "PostgreSQL: OPSTASKS_TEST_PG names no test cluster (make unit-pg runs one)"), 1;
    /* each Criterion test runs in its own process: the pid and the time
     * make the name unique across the run, even when pids are reused */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char name[64], sql[128], why[512];
    snprintf(name, sizeof name, "unit_%ld_%lld%09ld", (long)getpid(), (long long)ts.tv_sec, ts.tv_nsec);
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    if (pg_admin(sql, why, sizeof why) != 0) return snprintf(uri, n, "%s", why), -1;
    snprintf(uri, n, "postgresql:///%s?host=%s&user=postgres", name, sock);
    return 0;
}

static int pg_drop_db(const char *uri)
{
    char name[64], sql[128], why[512];
    pg_name(uri, name, sizeof name);
    /* without FORCE, a connection the store's close left open refuses the
     * drop (after PostgreSQL's own 5 s wait for closing sessions to end) */
    snprintf(sql, sizeof sql, "DROP DATABASE \"%s\"", name);
    if (pg_admin(sql, why, sizeof why) == 0) return 0;
    fprintf(stderr, "backends: %s\n", why);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    pg_admin(sql, why, sizeof why);
    return -1;
}

const struct backend_fixture test_backends[] = {
    {"sqlite", sqlite_fresh_db, sqlite_drop_db},
    {"postgresql", pg_fresh_db, pg_drop_db},
};
const size_t test_backends_count = sizeof test_backends / sizeof test_backends[0];
const size_t test_backend_indexes[] = {0, 1}; /* 0 .. test_backends_count - 1 */
_Static_assert(sizeof test_backend_indexes / sizeof test_backend_indexes[0] ==
                   sizeof test_backends / sizeof test_backends[0],
               "one index per backend row");

static const struct backend_fixture *current;
static char current_uri[256];

struct store *test_store_fresh(const struct backend_fixture *fx)
{
    fx = fx ? fx : &test_backends[0];
    int made = fx->fresh_db(current_uri, sizeof current_uri);
    if (made > 0) cr_skip_test("%s", current_uri);
    cr_assert_eq(made, 0, "%s: %s", fx->name, current_uri);
    current = fx;
    struct store *s = NULL;
    struct errinfo e = {0};
    cr_assert_eq(store_open(current_uri, &s, &e), 0, "%s: %s", current->name, e.message);
    return s;
}

const char *test_store_uri(void) { return current_uri; }

void test_store_drop(struct store *s)
{
    store_close(s);
    if (!current) return;
    cr_expect_eq(current->drop_db(current_uri), 0, "%s: %s left behind after store_close", current->name,
                 current_uri);
    current = NULL;
}
