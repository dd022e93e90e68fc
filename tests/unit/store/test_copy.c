/* test_copy.c: the ops `opstasks copy` is made of, on every backend row of
 * tests/unit/backends.c: the table list (store/tables.c) is the backend's real
 * schema, and rows written with copy_write come back from copy_read the same
 * (NULLs, binary as hex, reals, key order and the cursor after a key), with
 * numbering going on past the copied seq after copy_finish. */
#include "store_fixture.h"

static const struct store_table *table(const char *name)
{
    for (int i = 0; i < store_tables_count; i++)
        if (strcmp(store_tables[i].name, name) == 0) return &store_tables[i];
    cr_assert_fail("no table %s in the list", name);
    return NULL;
}

STORE_TEST(copy, the_table_list_is_the_real_schema_of_the_backend)
{
    struct store_conn *c = store_reader_acquire(S);
    char **names = NULL;
    int n = 0;
    cr_assert_eq(store_copy_columns(c, &names, &n), ERR_OK);
    store_reader_release(c);
    char why[512];
    cr_expect(store_tables_match(names, n, why, sizeof why), "%s", why);
    /* and a column the list lacks is named */
    char **more = malloc(((size_t)n + 1) * sizeof *more);
    memcpy(more, names, (size_t)n * sizeof *more);
    more[n] = "tasks.forgotten";
    cr_expect(!store_tables_match(more, n + 1, why, sizeof why));
    cr_expect(strstr(why, "tasks.forgotten is in the database but not in the table list") != NULL, "%s", why);
    free(more);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

struct rows_job {
    const struct store_table *t;
    struct store_rows rows;
};

static enum err write_rows(struct store_conn *c, void *arg)
{
    struct rows_job *j = arg;
    enum err rc = store_copy_prepare(c);
    if (rc == ERR_OK) rc = store_copy_write(c, j->t, &j->rows);
    if (rc == ERR_OK) rc = store_copy_finish(c);
    return rc;
}

static char *s(const char *v) { return v ? strdup(v) : NULL; }

STORE_TEST(copy, rows_written_come_back_the_same_in_key_order_after_a_cursor)
{
    /* tokens: a binary column; written out of key order */
    const char *in[3][6] = {
        {"tok_b", "00ff10ab", "agent", NULL, "second", "1781082000001"},
        {"tok_a", "deadbeef00", "admin", "sta_x", "first \"q\" \xc3\xa9", "1781082000000"},
        {"tok_c", "", "agent", NULL, "", "3"},
    };
    struct rows_job j = {.t = table("tokens"), .rows = {.n = 3, .ncols = 6}};
    j.rows.v = calloc(18, sizeof *j.rows.v);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 6; i++) j.rows.v[r * 6 + i] = s(in[r][i]);
    cr_assert_eq(store_run(S, write_rows, &j), ERR_OK);
    store_rows_free(&j.rows);

    struct store_conn *c = store_reader_acquire(S);
    struct store_rows out;
    cr_assert_eq(store_copy_read(c, j.t, NULL, 2, &out), ERR_OK);
    cr_assert_eq(out.n, 2);
    const int order[3] = {1, 0, 2};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 6; i++) {
            const char *want = in[order[r]][i], *got = out.v[r * 6 + i];
            if (!want) cr_expect_null(got, "row %d col %d", r, i);
            else cr_expect(got && strcmp(got, want) == 0, "row %d col %d: %s, not %s", r, i, got, want);
        }
    const char *after[] = {out.v[6 + 0]}; /* tok_b */
    struct store_rows rest;
    cr_assert_eq(store_copy_read(c, j.t, after, 10, &rest), ERR_OK);
    cr_assert_eq(rest.n, 1);
    cr_expect_str_eq(rest.v[0], "tok_c");
    cr_expect_str_eq(rest.v[1], "");  /* an empty blob is not NULL */
    cr_expect_str_eq(rest.v[4], "");  /* nor an empty text */
    store_rows_free(&out);
    store_rows_free(&rest);
    int64_t n = -1;
    cr_assert_eq(store_copy_count(c, j.t, false, &n), ERR_OK);
    cr_expect_eq(n, 3);
    store_reader_release(c);
}

static enum err add_one_history(struct store_conn *c, void *arg)
{
    (void)arg;
    struct history_entry h = {.at = NOW, .actor = ACTOR, .type = "created"};
    return store_history_add(c, "tsk_copied", &h);
}

STORE_TEST(copy, numbering_goes_on_past_the_copied_seq_and_reals_keep_every_digit)
{
    struct rows_job j = {.t = table("task_history"), .rows = {.n = 1, .ncols = 8}};
    j.rows.v = calloc(8, sizeof *j.rows.v);
    const char *row[8] = {"4242", "tsk_copied", "1781082000000", "sta_a", "created", NULL, NULL, "{\"a\":1}"};
    for (int i = 0; i < 8; i++) j.rows.v[i] = s(row[i]);
    cr_assert_eq(store_run(S, write_rows, &j), ERR_OK);
    store_rows_free(&j.rows);
    cr_assert_eq(store_run(S, add_one_history, NULL), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    struct history_entry *h = NULL;
    int n = 0;
    cr_assert_eq(store_history_list(c, "tsk_copied", &h, &n), ERR_OK);
    cr_expect_eq(n, 2);
    store_history_free(h, n);
    struct store_rows out;
    cr_assert_eq(store_copy_read(c, j.t, NULL, 10, &out), ERR_OK);
    cr_assert_eq(out.n, 2);
    cr_expect_str_eq(out.v[0], "4242");
    cr_expect_str_eq(out.v[8], "4243");
    store_rows_free(&out);

    /* a real with 17 significant digits survives */
    struct rows_job t = {.t = table("renewal_thresholds"), .rows = {.n = 1, .ncols = 4}};
    t.rows.v = calloc(4, sizeof *t.rows.v);
    const char *th[4] = {"7", "LOW", "3", "0.10000000000000001"};
    for (int i = 0; i < 4; i++) t.rows.v[i] = s(th[i]);
    store_reader_release(c);
    cr_assert_eq(store_run(S, write_rows, &t), ERR_OK);
    store_rows_free(&t.rows);
    c = store_reader_acquire(S);
    const char *after[] = {"6"};
    cr_assert_eq(store_copy_read(c, t.t, after, 1, &out), ERR_OK);
    cr_assert_eq(out.n, 1);
    cr_expect_str_eq(out.v[0], "7");
    cr_expect_eq(strtod(out.v[3], NULL), 0.1, "%s", out.v[3]);
    store_rows_free(&out);
    store_reader_release(c);
}
