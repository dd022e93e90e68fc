/* test_copy.c: the ops `opstasks copy` is made of, on every backend row of
 * tests/unit/backends.c: the table list (store/tables.c) is the backend's real
 * schema, and rows written with copy_write come back from copy_read the same
 * (NULLs, binary as hex, reals, key order and the cursor after a key), with
 * numbering going on past the copied seq after copy_finish; the tables of
 * staff accounts (sessions of both kinds, invites, failed sign-ins, the audit
 * log) copy row for row and read back through their ops. */
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
    /* tokens: a binary column; written out of key order (every column of
     * the list: copy_write reads ncols values a row) */
    enum { NC = 10 };
    const char *in[3][NC] = {
        {"tok_b", "00ff10ab", "agent", NULL, "second", "1781082000001", NULL, NULL, NULL, NULL},
        {"tok_a", "deadbeef00", "admin", "sta_x", "first \"q\" \xc3\xa9", "1781082000000", "1781168400000",
         "1781082060000", "1781082120000", "sta_admin"},
        {"tok_c", "", "agent", NULL, "", "3", NULL, NULL, NULL, ""},
    };
    struct rows_job j = {.t = table("tokens"), .rows = {.n = 3, .ncols = NC}};
    cr_assert_eq(j.t->ncols, NC, "the tokens table has %d columns", j.t->ncols);
    j.rows.v = calloc(3 * NC, sizeof *j.rows.v);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < NC; i++) j.rows.v[r * NC + i] = s(in[r][i]);
    cr_assert_eq(store_run(S, write_rows, &j), ERR_OK);
    store_rows_free(&j.rows);

    struct store_conn *c = store_reader_acquire(S);
    struct store_rows out;
    cr_assert_eq(store_copy_read(c, j.t, NULL, 2, &out), ERR_OK);
    cr_assert_eq(out.n, 2);
    const int order[3] = {1, 0, 2};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < NC; i++) {
            const char *want = in[order[r]][i], *got = out.v[r * NC + i];
            if (!want) cr_expect_null(got, "row %d col %d", r, i);
            else cr_expect(got && strcmp(got, want) == 0, "row %d col %d: %s, not %s", r, i, got, want);
        }
    const char *after[] = {out.v[NC + 0]}; /* tok_b */
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

/* ---- the tables of staff accounts ---- */

/* 32 bytes of one value, as hex */
#define H8(x) x x x x x x x x
#define H32(x) H8(x) H8(x) H8(x) H8(x)

struct table_rows {
    const char *name;
    int n;
    const char *v[3][10];
};

/* Rows of every table of staff accounts, in copy order; sessions of both
 * kinds (a token's and a password's: the schema wants exactly one). */
static const struct table_rows account_rows[] = {
    {"staff", 1, {{"sta_a", "Anna", "Anna@Example.com", "1", "1781082000000", "1781082000000", "admin",
                   "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", "1781082000001", "1781082000002"}}},
    {"tokens", 1, {{"tok_a", "0a0a", "agent", "sta_a", "desk", "1781082000000", NULL, "1781082000003", NULL,
                    "sta_a"}}},
    {"sessions", 2, {{H32("11"), "tok_a", "1781082000000", "1781168400000", "ses_1", NULL, "1781082000000", "curl",
                      "192.0.2.1"},
                     {H32("22"), NULL, "1781082000000", "1781168400000", "ses_2", "sta_a", "1781082000500", "", ""}}},
    {"invites", 1, {{H32("33"), "sta_a", "1781082000000", "1781686800000", NULL}}},
    {"login_failures", 2, {{"7", "email:anna@example.com", "1781082000000"}, {"9", "addr:192.0.2.1", "1781082000001"}}},
    {"audit_log", 2, {{"aud_01", "1781082000000", "login.failed", NULL, "192.0.2.1", "{\"reason\":\"bad_credentials\"}"},
                      {"aud_02", "1781082000001", "token.created", "sta_a", NULL, "{}"}}},
};
#define ACCOUNT_TABLES ((int)(sizeof account_rows / sizeof account_rows[0]))

static enum err write_account_rows(struct store_conn *c, void *arg)
{
    (void)arg;
    enum err rc = store_copy_prepare(c);
    for (int k = 0; rc == ERR_OK && k < ACCOUNT_TABLES; k++) {
        const struct table_rows *tr = &account_rows[k];
        const struct store_table *t = table(tr->name);
        struct store_rows rows = {.n = tr->n, .ncols = t->ncols};
        rows.v = calloc((size_t)(tr->n * t->ncols), sizeof *rows.v);
        for (int r = 0; r < tr->n; r++)
            for (int i = 0; i < t->ncols; i++) rows.v[r * t->ncols + i] = s(tr->v[r][i]);
        rc = store_copy_write(c, t, &rows);
        store_rows_free(&rows);
    }
    if (rc == ERR_OK) rc = store_copy_finish(c);
    return rc;
}

static enum err add_failure(struct store_conn *c, void *arg)
{
    (void)arg;
    return store_login_failure_add(c, "email:bo@example.com", NOW);
}

STORE_TEST(copy, the_account_tables_copy_row_for_row_and_the_ops_read_them)
{
    cr_assert_eq(store_run(S, write_account_rows, NULL), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    for (int k = 0; k < ACCOUNT_TABLES; k++) {
        const struct table_rows *tr = &account_rows[k];
        const struct store_table *t = table(tr->name);
        struct store_rows out;
        cr_assert_eq(store_copy_read(c, t, NULL, 10, &out), ERR_OK, "%s", tr->name);
        cr_assert_eq(out.n, tr->n, "%s", tr->name);
        for (int r = 0; r < tr->n; r++)
            for (int i = 0; i < t->ncols; i++) {
                const char *want = tr->v[r][i], *got = out.v[r * t->ncols + i];
                if (!want) cr_expect_null(got, "%s row %d %s", tr->name, r, t->cols[i].name);
                else cr_expect(got && strcmp(got, want) == 0, "%s row %d %s: %s, not %s", tr->name, r,
                               t->cols[i].name, got, want);
            }
        store_rows_free(&out);
    }

    /* what the ops make of the copied rows */
    unsigned char h[32];
    memset(h, 0x22, 32);
    struct token who;
    cr_assert_eq(store_session_find(c, h, NOW, &who), ERR_OK);
    cr_expect_str_eq(who.staff_id, "sta_a");
    cr_expect_eq(who.role, ROLE_ADMIN);
    cr_expect_str_eq(who.session_id, "ses_2");
    char staff_id[EXT_ID_SIZE];
    memset(h, 0x33, 32);
    cr_assert_eq(store_invite_find(c, h, NOW, staff_id), ERR_OK);
    cr_expect_str_eq(staff_id, "sta_a");
    memset(h, 0x11, 32);
    cr_assert_eq(store_session_find(c, h, NOW, &who), ERR_OK);
    cr_expect_str_eq(who.id, "tok_a");
    cr_expect_eq(who.last_used_at, 1781082000003);
    struct staff st;
    cr_assert_eq(store_staff_get(c, "sta_a", &st), ERR_OK);
    cr_expect(st.has_password);
    cr_expect_eq(st.last_login_at, 1781082000002);
    cr_expect_eq(st.invite_expires_at, 1781686800000);
    store_staff_clear(&st);
    store_reader_release(c);

    /* numbering of failures goes on past the copied seq */
    cr_assert_eq(store_run(S, add_failure, NULL), ERR_OK);
    c = store_reader_acquire(S);
    struct store_rows out;
    const char *after[] = {"9"};
    cr_assert_eq(store_copy_read(c, table("login_failures"), after, 10, &out), ERR_OK);
    cr_assert_eq(out.n, 1);
    cr_expect_str_eq(out.v[0], "10");
    cr_expect_str_eq(out.v[1], "email:bo@example.com");
    store_rows_free(&out);
    store_reader_release(c);
}
