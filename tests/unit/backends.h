/* backends.h: the store backends the unit tests run against, one row each
 * (tests/unit/backends.c): how to make a fresh, empty database for one test
 * and drop it after the store's own close. The store conformance suite runs
 * every test once per row (BACKEND_TEST), so a new backend is one row. */
#ifndef OPSTASKS_TEST_BACKENDS_H
#define OPSTASKS_TEST_BACKENDS_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>

#include "store/store.h"

struct backend_fixture {
    const char *name;
    /* Makes a new, empty database: 0 with its --db value in uri, -1 with
     * why in uri, or 1 when the backend is not available to this run
     * (the test is then skipped, with uri as the reason). */
    int (*fresh_db)(char *uri, size_t n);
    /* Removes what fresh_db made, once the store is closed: 0, or -1 when
     * something was left behind (the store's close must tidy up itself). */
    int (*drop_db)(const char *uri);
};

extern const struct backend_fixture test_backends[];
extern const size_t test_backends_count;

/* A store on a fresh database of fx's backend (NULL: test_backends[0]),
 * asserting that it opened; skips the test when the backend is not
 * available (PostgreSQL without OPSTASKS_TEST_PG). test_store_drop(s) closes it and drops the
 * database, expecting nothing left behind; s may be NULL. One at a time in
 * a test process. */
struct store *test_store_fresh(const struct backend_fixture *fx);
void test_store_drop(struct store *s);
/* The --db value of the store test_store_fresh opened last (for a test
 * that opens a connection of its own, such as the race tests' watcher). */
const char *test_store_uri(void);

/* A test run once per backend: setup(fx) opens the backend's store, the
 * body follows, then teardown() (which calls test_store_drop; it must be
 * safe to call twice): inside the test, so that what the drop finds fails
 * the test, and again as .fini, for when the body failed. Criterion names each run suite::name with the
 * parameter's index. The parameter is the row's index, not a pointer to it:
 * Criterion copies parameters into each test's process by value. */
extern const size_t test_backend_indexes[];

#define BACKEND_TEST(suite, name, setup, teardown)                                                              \
    ParameterizedTestParameters(suite, name)                                                                    \
    {                                                                                                           \
        return cr_make_param_array(size_t, test_backend_indexes, test_backends_count);                          \
    }                                                                                                           \
    static void suite##__##name(void);                                                                          \
    ParameterizedTest(const size_t *row, suite, name, .fini = teardown)                                         \
    {                                                                                                           \
        setup(&test_backends[*row]);                                                                            \
        suite##__##name();                                                                                      \
        teardown();                                                                                             \
    }                                                                                                           \
    static void suite##__##name(void)

#endif
