/* test_feed.c: the live feed's ops of the storage interface (feed_read,
 * feed_head), run once per backend of tests/unit/backends.c: an empty
 * database's head is 0-0; history rows and comments come past a position,
 * each list oldest first by its seq, with their task's version as of the
 * read; limit cuts each list and says so; the head is the largest seq of
 * each. */
#include "store_fixture.h"
#include "util/ids.h"

static enum err do_insert(struct store_conn *c, void *arg) { return store_task_insert(c, arg); }
static enum err do_update(struct store_conn *c, void *arg) { return store_task_update(c, arg); }
static enum err do_comment(struct store_conn *c, void *arg) { return store_comment_add(c, arg); }

struct hist_arg {
    const char *task_id, *type, *field;
};

static enum err do_history(struct store_conn *c, void *arg)
{
    struct hist_arg *a = arg;
    struct history_entry h = {.at = NOW, .from_json = "null", .to_json = "null"};
    snprintf(h.actor, sizeof h.actor, "%s", ACTOR);
    snprintf(h.type, sizeof h.type, "%s", a->type);
    snprintf(h.field, sizeof h.field, "%s", a->field);
    return store_history_add(c, a->task_id, &h);
}

static void insert_task(char id[TASK_ID_SIZE])
{
    struct task t = {.title = strdup("fed"), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                     .source = SOURCE_MANUAL, .created_at = NOW, .updated_at = NOW, .version = 1};
    cr_assert_not_null(t.title);
    ids_new("tsk_", NOW, t.id, sizeof t.id);
    snprintf(t.due_date, sizeof t.due_date, "2026-07-01");
    cr_assert_eq(store_run(S, do_insert, &t), ERR_OK);
    memcpy(id, t.id, TASK_ID_SIZE);
    cr_assert_eq(store_run(S, do_history, &(struct hist_arg){id, "created", ""}), ERR_OK);
    task_clear(&t);
}

static void comment(const char *task_id, char id_out[TASK_ID_SIZE])
{
    struct task_comment cm = {.body = "noted", .mentions = "[]", .created_at = NOW};
    ids_new_sequenced("cmt_", NOW, cm.id, sizeof cm.id);
    snprintf(cm.task_id, sizeof cm.task_id, "%s", task_id);
    snprintf(cm.author, sizeof cm.author, "%s", ACTOR);
    memcpy(id_out, cm.id, sizeof cm.id);
    cr_assert_eq(store_run(S, do_comment, &cm), ERR_OK);
}

static int feed(int64_t after_h, int64_t after_c, int limit, struct feed_change **out, bool *more)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    int n = -1;
    cr_assert_eq(store_feed_read(c, after_h, after_c, limit, out, &n, more), ERR_OK);
    store_reader_release(c);
    return n;
}

static void head(int64_t *h, int64_t *cm)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    cr_assert_eq(store_feed_head(c, h, cm), ERR_OK);
    store_reader_release(c);
}

STORE_TEST(feed, an_empty_database_has_head_0_0_and_nothing_to_read)
{
    int64_t h = -1, c = -1;
    head(&h, &c);
    cr_expect_eq(h, 0);
    cr_expect_eq(c, 0);
    struct feed_change *f = NULL;
    bool more = true;
    cr_expect_eq(feed(0, 0, 10, &f, &more), 0);
    cr_expect_not(more);
    free(f);
}

STORE_TEST(feed, history_then_comments_past_a_position_oldest_first_with_the_tasks_version)
{
    char a[TASK_ID_SIZE], b[TASK_ID_SIZE], ca[TASK_ID_SIZE], cb[TASK_ID_SIZE];
    insert_task(a);
    insert_task(b);
    cr_assert_eq(store_run(S, do_history, &(struct hist_arg){a, "status_changed", "status"}), ERR_OK);
    struct task t = get(a);
    t.version++;
    cr_assert_eq(store_run(S, do_update, &t), ERR_OK);
    task_clear(&t);
    comment(b, cb);
    comment(a, ca);

    struct feed_change *f = NULL;
    bool more = true;
    int n = feed(0, 0, 10, &f, &more);
    cr_assert_eq(n, 5);
    cr_expect_not(more);
    const char *tasks[] = {a, b, a, b, a};
    char kinds[] = {'h', 'h', 'h', 'c', 'c'};
    for (int i = 0; i < n; i++) {
        cr_expect_eq(f[i].kind, kinds[i], "row %d", i);
        cr_expect_str_eq(f[i].task_id, tasks[i], "row %d", i);
        cr_expect_str_eq(f[i].actor, ACTOR);
        cr_expect_eq(f[i].at, NOW);
        cr_expect_eq(f[i].version, strcmp(tasks[i], a) == 0 ? 2 : 1, "row %d: the version now", i);
        if (i && f[i].kind == f[i - 1].kind) cr_expect_gt(f[i].seq, f[i - 1].seq);
    }
    cr_expect_str_eq(f[0].type, "created");
    cr_expect_str_eq(f[0].field, "");
    cr_expect_str_eq(f[2].type, "status_changed");
    cr_expect_str_eq(f[2].field, "status");
    cr_expect_str_eq(f[3].comment_id, cb);
    cr_expect_str_eq(f[4].comment_id, ca);
    int64_t h, c;
    head(&h, &c);
    cr_expect_eq(h, f[2].seq);
    cr_expect_eq(c, f[4].seq);

    /* past a position: only what came after it, of each list */
    struct feed_change *g = NULL;
    n = feed(f[1].seq, f[3].seq, 10, &g, &more);
    cr_assert_eq(n, 2);
    cr_expect_eq(g[0].seq, f[2].seq);
    cr_expect_eq(g[1].kind, 'c');
    cr_expect_str_eq(g[1].comment_id, ca);
    free(g);
    n = feed(h, c, 10, &g, &more);
    cr_expect_eq(n, 0);
    free(g);
    free(f);
}

STORE_TEST(feed, limit_cuts_each_list_and_says_there_is_more)
{
    char a[TASK_ID_SIZE], cm[TASK_ID_SIZE];
    for (int i = 0; i < 3; i++) insert_task(a);
    comment(a, cm);
    struct feed_change *f = NULL;
    bool more = false;
    int n = feed(0, 0, 2, &f, &more);
    cr_expect_eq(n, 3, "two history rows, one comment");
    cr_expect(more);
    struct feed_change *g = NULL;
    n = feed(f[1].seq, f[2].seq, 2, &g, &more);
    cr_expect_eq(n, 1);
    cr_expect_not(more);
    free(g);
    free(f);
}
