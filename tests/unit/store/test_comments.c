/* test_comments.c: the comment ops of the storage interface (comment_add,
 * comment_list) and the comment_count they keep on a task, run once per
 * backend of tests/unit/backends.c: the count goes up without touching the
 * task's version or updated_at, a task update never resets it, a comment on
 * no task writes nothing, a taken id is ERR_DUPLICATE without spoiling the
 * job, and the list is oldest first with a cursor. */
#include "store_fixture.h"
#include "util/ids.h"

static enum err do_insert(struct store_conn *c, void *arg) { return store_task_insert(c, arg); }
static enum err do_update(struct store_conn *c, void *arg) { return store_task_update(c, arg); }
static enum err do_comment(struct store_conn *c, void *arg) { return store_comment_add(c, arg); }

static void insert_task(const char *title, char id[TASK_ID_SIZE])
{
    struct task t = {.title = strdup(title), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                     .source = SOURCE_MANUAL, .created_at = NOW, .updated_at = NOW, .version = 1};
    cr_assert_not_null(t.title);
    ids_new("tsk_", NOW, t.id, sizeof t.id);
    snprintf(t.due_date, sizeof t.due_date, "2026-07-01");
    cr_assert_eq(store_run(S, do_insert, &t), ERR_OK);
    memcpy(id, t.id, TASK_ID_SIZE);
    task_clear(&t);
}

/* A comment on task_id (a new sequenced id, written at `at`), run as one job:
 * the op's answer. */
static enum err add(const char *task_id, const char *author, const char *body, const char *mentions, int64_t at,
                    char *id_out)
{
    struct task_comment cm = {.body = (char *)body, .mentions = (char *)mentions, .created_at = at};
    ids_new_sequenced("cmt_", at, cm.id, sizeof cm.id);
    snprintf(cm.task_id, sizeof cm.task_id, "%s", task_id);
    snprintf(cm.author, sizeof cm.author, "%s", author);
    if (id_out) memcpy(id_out, cm.id, sizeof cm.id);
    return store_run(S, do_comment, &cm);
}

static int list(const char *task_id, const char *after, int limit, struct task_comment **out)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    int n = -1;
    cr_assert_eq(store_comment_list(c, task_id, after, limit, out, &n), ERR_OK);
    store_reader_release(c);
    return n;
}

STORE_TEST(comments, a_comment_counts_on_its_task_without_touching_version_or_updated_at)
{
    char id[TASK_ID_SIZE];
    insert_task("counted", id);
    struct task t = get(id);
    cr_expect_eq(t.comment_count, 0);
    task_clear(&t);
    clock_set_ms(NOW + 5000);
    for (int i = 0; i < 3; i++) cr_assert_eq(add(id, ACTOR, "a note", "[]", NOW + 5000 + i, NULL), ERR_OK);
    t = get(id);
    cr_expect_eq(t.comment_count, 3);
    cr_expect_eq(t.version, 1);
    cr_expect_eq(t.updated_at, NOW);
    task_clear(&t);
    /* and no history line */
    struct history_entry *h = NULL;
    cr_expect_eq(history(id, &h), 0);
    store_history_free(h, 0);
}

STORE_TEST(comments, a_task_update_keeps_the_count_whatever_the_struct_says)
{
    char id[TASK_ID_SIZE];
    insert_task("kept", id);
    cr_assert_eq(add(id, ACTOR, "one", "[]", NOW, NULL), ERR_OK);
    cr_assert_eq(add(id, ACTOR, "two", "[]", NOW, NULL), ERR_OK);
    struct task t = get(id);
    cr_assert_eq(t.comment_count, 2);
    free(t.title);
    t.title = strdup("kept, renamed");
    t.version++;
    t.updated_at = NOW + 1;
    t.comment_count = 0; /* a writer's stale copy must not reset the column */
    cr_assert_eq(store_run(S, do_update, &t), ERR_OK);
    task_clear(&t);
    t = get(id);
    cr_expect_str_eq(t.title, "kept, renamed");
    cr_expect_eq(t.version, 2);
    cr_expect_eq(t.comment_count, 2);
    task_clear(&t);
}

STORE_TEST(comments, the_queue_reads_the_count_too)
{
    char id[TASK_ID_SIZE];
    insert_task("listed", id);
    cr_assert_eq(add(id, ACTOR, "seen in the queue", "[]", NOW, NULL), ERR_OK);
    struct task_query q = {.limit = 10};
    memcpy(q.today, TODAY, DATE_SIZE);
    struct store_conn *c = store_reader_acquire(S);
    struct task_page p;
    cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(p.n, 1);
    cr_expect_eq(p.items[0].comment_count, 1);
    store_task_page_free(&p);
}

STORE_TEST(comments, a_comment_on_no_task_is_not_found_and_writes_nothing)
{
    char id[TASK_ID_SIZE];
    insert_task("the only one", id);
    cr_expect_eq(add("tsk_01AAAAAAAAAAAAAAAAAAAAAAAA", ACTOR, "lost", "[]", NOW, NULL), ERR_NOT_FOUND);
    struct task_comment *a;
    int n = list("tsk_01AAAAAAAAAAAAAAAAAAAAAAAA", NULL, 10, &a);
    cr_expect_eq(n, 0);
    store_comments_free(a, n);
    struct task t = get(id);
    cr_expect_eq(t.comment_count, 0);
    task_clear(&t);
}

/* A job that adds a comment with a taken id, then another with a new one:
 * the first is ERR_DUPLICATE and the job goes on (no failed statement). */
struct dup_job {
    struct task_comment again, fresh;
    enum err first;
};

static enum err do_dup(struct store_conn *c, void *arg)
{
    struct dup_job *j = arg;
    j->first = store_comment_add(c, &j->again);
    return store_comment_add(c, &j->fresh);
}

STORE_TEST(comments, a_taken_id_is_duplicate_counts_once_and_the_job_goes_on)
{
    char id[TASK_ID_SIZE], cid[TASK_ID_SIZE];
    insert_task("duplicates", id);
    cr_assert_eq(add(id, ACTOR, "first", "[]", NOW, cid), ERR_OK);
    struct dup_job j = {.again = {.body = "again", .mentions = "[]", .created_at = NOW},
                        .fresh = {.body = "fresh", .mentions = "[]", .created_at = NOW + 1}};
    memcpy(j.again.id, cid, sizeof cid);
    ids_new_sequenced("cmt_", NOW + 1, j.fresh.id, sizeof j.fresh.id);
    memcpy(j.again.task_id, id, TASK_ID_SIZE);
    memcpy(j.fresh.task_id, id, TASK_ID_SIZE);
    snprintf(j.again.author, sizeof j.again.author, ACTOR);
    snprintf(j.fresh.author, sizeof j.fresh.author, ACTOR);
    cr_assert_eq(store_run(S, do_dup, &j), ERR_OK);
    cr_expect_eq(j.first, ERR_DUPLICATE);
    struct task t = get(id);
    cr_expect_eq(t.comment_count, 2);
    task_clear(&t);
    struct task_comment *a;
    int n = list(id, NULL, 10, &a);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(a[0].body, "first");
    cr_expect_str_eq(a[1].body, "fresh");
    store_comments_free(a, n);
}

STORE_TEST(comments, the_list_is_oldest_first_with_a_cursor_and_a_limit)
{
    char id[TASK_ID_SIZE], other[TASK_ID_SIZE], ids[7][TASK_ID_SIZE];
    insert_task("many", id);
    insert_task("other", other);
    for (int i = 0; i < 7; i++) {
        char body[16];
        snprintf(body, sizeof body, "note %d", i);
        /* the last four in one millisecond: the sequenced ids keep their order */
        cr_assert_eq(add(id, ACTOR, body, "[]", NOW + (i < 3 ? i : 3), ids[i]), ERR_OK);
        if (i == 2) cr_assert_eq(add(other, ACTOR, "elsewhere", "[]", NOW + 2, NULL), ERR_OK);
    }
    const char *after = NULL;
    char cursor[TASK_ID_SIZE];
    int seen = 0;
    for (int pages = 0; pages < 10; pages++) {
        struct task_comment *a;
        int n = list(id, after, 3, &a);
        cr_assert_leq(n, 3);
        for (int i = 0; i < n; i++, seen++) {
            cr_assert_lt(seen, 7);
            cr_expect_str_eq(a[i].id, ids[seen]);
            cr_expect_str_eq(a[i].task_id, id);
            char body[16];
            snprintf(body, sizeof body, "note %d", seen);
            cr_expect_str_eq(a[i].body, body);
        }
        if (n) memcpy(cursor, a[n - 1].id, TASK_ID_SIZE);
        store_comments_free(a, n);
        if (n < 3) break;
        after = cursor;
    }
    cr_expect_eq(seen, 7);
}

STORE_TEST(comments, a_comment_reads_back_as_written)
{
    char id[TASK_ID_SIZE], cid[TASK_ID_SIZE];
    insert_task("round trip", id);
    const char *body = "called \"the customer\"\r\nwaiting for the scan\t\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 @sta_ann";
    cr_assert_eq(add(id, "token:tok_x", body, "[\"sta_ann\"]", NOW + 7, cid), ERR_OK);
    struct task_comment *a;
    int n = list(id, NULL, 10, &a);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(a[0].id, cid);
    cr_expect_str_eq(a[0].author, "token:tok_x");
    cr_expect_str_eq(a[0].body, body);
    cr_expect_str_eq(a[0].mentions, "[\"sta_ann\"]");
    cr_expect_eq(a[0].created_at, NOW + 7);
    store_comments_free(a, n);
    /* a cursor past the last: nothing */
    n = list(id, cid, 10, &a);
    cr_expect_eq(n, 0);
    store_comments_free(a, n);
}
