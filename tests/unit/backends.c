/* backends.c: the backend rows of the unit tests (backends.h). SQLite's
 * database is a file in a new temporary folder; the store's close must
 * leave only that file (SQLite removes its -wal and -shm itself when the
 * last connection closes), so dropping it is one unlink and one rmdir. */
#include "backends.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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

const struct backend_fixture test_backends[] = {
    {"sqlite", sqlite_fresh_db, sqlite_drop_db},
};
const size_t test_backends_count = sizeof test_backends / sizeof test_backends[0];
const size_t test_backend_indexes[] = {0}; /* 0 .. test_backends_count - 1 */
_Static_assert(sizeof test_backend_indexes / sizeof test_backend_indexes[0] ==
                   sizeof test_backends / sizeof test_backends[0],
               "one index per backend row");

static const struct backend_fixture *current;
static char current_uri[256];

struct store *test_store_fresh(const struct backend_fixture *fx)
{
    current = fx ? fx : &test_backends[0];
    cr_assert_eq(current->fresh_db(current_uri, sizeof current_uri), 0, "%s: %s", current->name, current_uri);
    struct store *s = NULL;
    struct errinfo e = {0};
    cr_assert_eq(store_open(current_uri, &s, &e), 0, "%s: %s", current->name, e.message);
    return s;
}

void test_store_drop(struct store *s)
{
    store_close(s);
    if (!current) return;
    cr_expect_eq(current->drop_db(current_uri), 0, "%s: %s left behind after store_close", current->name,
                 current_uri);
    current = NULL;
}
