/* Conformance tests of the storage interface (store/store.h): the ops every
 * backend implements (people, tasks, the queue's filters, sorts and keyset
 * pages, stats, history, tokens, idempotency keys, browser sessions, the
 * sweeper's work list, group commit), run once per backend of
 * tests/unit/backends.c. The suite only uses the interface (no SQL, no file
 * names), so a second backend runs it unchanged; the fixture is
 * store_fixture.h. */
#include "store_fixture.h"
#include "util/ids.h"

/* ---- helpers: tasks straight through the interface ---- */

/* A task as the tests describe it; title doubles as its name in expectations. */
struct spec {
    const char *title;
    enum task_status status; /* stored work status */
    const char *due;
    enum task_priority prio;
    const char *assignee, *user;
    double sla; /* 0 = none */
    int64_t created_at;
    bool overdue_recorded;
};

static struct task from_spec(const struct spec *sp)
{
    struct task t = {.title = strdup(sp->title), .priority = sp->prio, .status = sp->status,
                     .overdue_recorded = sp->overdue_recorded, .has_sla = sp->sla > 0, .sla_hours = sp->sla,
                     .source = SOURCE_MANUAL, .created_at = sp->created_at, .updated_at = sp->created_at,
                     .version = 1};
    cr_assert_not_null(t.title);
    /* ids carry their creation millisecond, as service_task_create makes them */
    ids_new("tsk_", sp->created_at, t.id, sizeof t.id);
    snprintf(t.due_date, sizeof t.due_date, "%s", sp->due);
    snprintf(t.assignee_id, sizeof t.assignee_id, "%s", sp->assignee ? sp->assignee : "");
    snprintf(t.user_id, sizeof t.user_id, "%s", sp->user ? sp->user : "");
    if (sp->status == TASK_IN_PROGRESS || sp->status == TASK_COMPLETED) t.started_at = sp->created_at + 1;
    if (sp->status == TASK_COMPLETED) t.completed_at = sp->created_at + 2 * HOUR;
    if (sp->status == TASK_CANCELLED) t.cancelled_at = sp->created_at + 2 * HOUR;
    return t;
}

static enum err do_insert(struct store_conn *c, void *arg) { return store_task_insert(c, arg); }
static enum err do_update(struct store_conn *c, void *arg) { return store_task_update(c, arg); }

/* Inserts the task described by sp; its id goes to id_out when not NULL. */
static void insert(const struct spec *sp, char *id_out)
{
    struct task t = from_spec(sp);
    cr_assert_eq(store_run(S, do_insert, &t), ERR_OK, "insert %s", sp->title);
    if (id_out) memcpy(id_out, t.id, TASK_ID_SIZE);
    task_clear(&t);
}

/* The keyset cursor after `last`: every sort key of the row. */
static struct task_cursor cursor_after(const struct task *last)
{
    struct task_cursor cur = {.set = true, .prio_rank = task_priority_rank(last->priority),
                              .created_at = last->created_at};
    memcpy(cur.due_date, last->due_date, DATE_SIZE);
    memcpy(cur.id, last->id, TASK_ID_SIZE);
    cur.sla_key = last->has_sla ? last->sla_due_ms : TASK_SLA_KEY_NONE;
    cur.updated_at = last->updated_at;
    return cur;
}

/* Walks every page of q (q.limit rows each) and copies the rows into
 * rows[0..max); returns how many there were. */
static int walk(struct task_query q, struct task *rows, int max)
{
    int total = 0;
    for (int pages = 0; pages < 1000; pages++) {
        struct store_conn *c = store_reader_acquire(S);
        struct task_page p;
        cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
        store_reader_release(c);
        cr_assert_leq(p.n, q.limit);
        cr_assert(p.n > 0 || !p.has_more, "an empty page says there is more");
        for (int i = 0; i < p.n; i++) {
            cr_assert_lt(total, max, "more rows than tasks");
            cr_assert_eq(task_copy(&rows[total++], &p.items[i]), 0);
        }
        bool more = p.has_more;
        if (more) q.after = cursor_after(&p.items[p.n - 1]);
        store_task_page_free(&p);
        if (!more) return total;
    }
    cr_assert_fail("the walk did not end");
    return total;
}

static void free_rows(struct task *rows, int n)
{
    for (int i = 0; i < n; i++) task_clear(&rows[i]);
}

/* The titles of every task q matches, in order, comma-separated. */
static const char *titles(struct task_query q)
{
    static char out[1024];
    struct task rows[64];
    if (q.limit == 0) q.limit = 3; /* several pages, to exercise the cursor too */
    if (!q.today[0]) memcpy(q.today, TODAY, DATE_SIZE);
    int n = walk(q, rows, 64);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strcat(out, rows[i].title);
    }
    free_rows(rows, n);
    return out;
}

#define ST(s) (1u << (s))
#define PR(p) (1u << (p))

/* ---- staff and customers ---- */

STORE_TEST(store, staff_put_reports_created_then_updated)
{
    struct put_staff p = {.id = "sta_a", .name = "Anna", .email = "anna@example.com", .active = true, .at = NOW};
    cr_assert_eq(store_run(S, do_put_staff, &p), ERR_OK);
    cr_expect(p.created);
    struct put_staff q = {.id = "sta_a", .name = "Anna B.", .email = NULL, .active = false, .at = NOW + 5000};
    cr_assert_eq(store_run(S, do_put_staff, &q), ERR_OK);
    cr_expect_not(q.created);

    struct store_conn *c = store_reader_acquire(S);
    struct staff st;
    cr_assert_eq(store_staff_get(c, "sta_a", &st), ERR_OK);
    cr_expect_str_eq(st.id, "sta_a");
    cr_expect_str_eq(st.name, "Anna B.");
    cr_expect_null(st.email, "email cleared");
    cr_expect_not(st.active);
    cr_expect_eq(st.created_at, NOW, "creation time kept on update");
    cr_expect_eq(st.updated_at, NOW + 5000);
    store_staff_clear(&st);
    cr_expect_eq(store_staff_get(c, "sta_nobody", &st), ERR_NOT_FOUND);
    store_reader_release(c);
}

STORE_TEST(store, staff_list_pages_by_id)
{
    put_staff("sta_c", true);
    put_staff("sta_a", true);
    put_staff("sta_b", false);
    struct store_conn *c = store_reader_acquire(S);
    struct staff *list;
    int n;
    cr_assert_eq(store_staff_list(c, NULL, 2, &list, &n), ERR_OK);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(list[0].id, "sta_a");
    cr_expect_str_eq(list[1].id, "sta_b");
    for (int i = 0; i < n; i++) store_staff_clear(&list[i]);
    free(list);
    cr_assert_eq(store_staff_list(c, "sta_b", 2, &list, &n), ERR_OK);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(list[0].id, "sta_c");
    store_staff_clear(&list[0]);
    free(list);
    store_reader_release(c);
}

STORE_TEST(store, customer_put_reports_created_then_updated_with_its_owner)
{
    put_staff("sta_owner", true);
    struct put_customer p = {.id = "cus_abc123", .name = "Acme", .email = "ops@acme.test", .owner = "sta_owner",
                             .at = NOW};
    cr_assert_eq(store_run(S, do_put_customer, &p), ERR_OK);
    cr_expect(p.created);

    struct store_conn *c = store_reader_acquire(S);
    struct customer cu;
    cr_assert_eq(store_customer_get(c, "cus_abc123", &cu), ERR_OK);
    cr_expect_str_eq(cu.name, "Acme");
    cr_expect_str_eq(cu.email, "ops@acme.test");
    cr_expect_str_eq(cu.owner_id, "sta_owner");
    cr_expect_eq(cu.created_at, NOW);
    store_customer_clear(&cu);
    store_reader_release(c);

    struct put_customer q = {.id = "cus_abc123", .name = "Acme Ltd", .owner = NULL, .at = NOW + 1};
    cr_assert_eq(store_run(S, do_put_customer, &q), ERR_OK);
    cr_expect_not(q.created);
    c = store_reader_acquire(S);
    cr_assert_eq(store_customer_get(c, "cus_abc123", &cu), ERR_OK);
    cr_expect_str_eq(cu.name, "Acme Ltd");
    cr_expect_null(cu.email);
    cr_expect_str_eq(cu.owner_id, "", "owner cleared");
    cr_expect_eq(cu.created_at, NOW);
    cr_expect_eq(cu.updated_at, NOW + 1);
    store_customer_clear(&cu);
    cr_expect_eq(store_customer_get(c, "cus_nobody", &cu), ERR_NOT_FOUND);
    store_reader_release(c);
}

/* ---- tasks: insert, get, update ---- */

STORE_TEST(store, task_round_trips_every_field)
{
    put_staff("sta_a", true);
    put_customer("cus_1");
    struct task t = {.title = strdup("Title \"quoted\" \xc3\xa9t\xc3\xa9"), .description = strdup("Line\nTwo"),
                     .priority = PRIORITY_URGENT, .status = TASK_IN_PROGRESS, .overdue_recorded = true,
                     .due_date = "2026-07-01", .has_sla = true, .sla_hours = 1.25, .assignee_id = "sta_a",
                     .user_id = "cus_1", .source = SOURCE_RENEWAL, .created_at = NOW - 5000,
                     .updated_at = NOW - 1000, .started_at = NOW - 2000, .completed_at = 0, .cancelled_at = 0,
                     .version = 7};
    ids_new("tsk_", t.created_at, t.id, sizeof t.id);
    cr_assert_eq(store_run(S, do_insert, &t), ERR_OK);

    struct task g = get(t.id);
    cr_expect_str_eq(g.id, t.id);
    cr_expect_str_eq(g.title, t.title);
    cr_expect_str_eq(g.description, "Line\nTwo");
    cr_expect_eq(g.priority, PRIORITY_URGENT);
    cr_expect_eq(g.status, TASK_IN_PROGRESS);
    cr_expect(g.overdue_recorded);
    cr_expect_str_eq(g.due_date, "2026-07-01");
    cr_expect(g.has_sla);
    cr_expect_float_eq(g.sla_hours, 1.25, 1e-12);
    cr_expect_str_eq(g.assignee_id, "sta_a");
    cr_expect_str_eq(g.user_id, "cus_1");
    cr_expect_eq(g.source, SOURCE_RENEWAL);
    cr_expect_eq(g.created_at, NOW - 5000);
    cr_expect_eq(g.updated_at, NOW - 1000);
    cr_expect_eq(g.started_at, NOW - 2000);
    cr_expect_eq(g.completed_at, 0);
    cr_expect_eq(g.cancelled_at, 0);
    cr_expect_eq(g.version, 7);
    cr_expect(task_equal(&g, &t));
    task_clear(&g);
    task_clear(&t);
}

STORE_TEST(store, task_without_optional_fields_round_trips_as_absent)
{
    struct task t = {.title = strdup("Bare"), .description = NULL, .priority = PRIORITY_LOW, .status = TASK_COMPLETED,
                     .due_date = "2024-02-29", .has_sla = false, .source = SOURCE_RULE, .created_at = NOW,
                     .updated_at = NOW, .completed_at = NOW + 1, .version = 1};
    ids_new("tsk_", NOW, t.id, sizeof t.id);
    cr_assert_eq(store_run(S, do_insert, &t), ERR_OK);
    struct task g = get(t.id);
    cr_expect_null(g.description, "NULL description comes back NULL");
    cr_expect_not(g.has_sla);
    cr_expect_str_eq(g.assignee_id, "", "unassigned comes back empty");
    cr_expect_str_eq(g.user_id, "");
    cr_expect_eq(g.source, SOURCE_RULE);
    cr_expect_eq(g.status, TASK_COMPLETED);
    cr_expect_not(g.overdue_recorded);
    cr_expect_str_eq(g.due_date, "2024-02-29");
    cr_expect_eq(g.started_at, 0);
    cr_expect_eq(g.completed_at, NOW + 1);
    cr_expect(task_equal(&g, &t));
    task_clear(&g);
    task_clear(&t);
}

STORE_TEST(store, task_get_of_an_unknown_id_is_not_found)
{
    struct task t;
    cr_expect_eq(get_task("tsk_00000000000000000000000000", &t), ERR_NOT_FOUND);
}

STORE_TEST(store, task_update_overwrites_every_field)
{
    put_staff("sta_a", true);
    put_customer("cus_1");
    char id[TASK_ID_SIZE];
    insert(&(struct spec){"Before", TASK_OPEN, "2026-06-20", PRIORITY_LOW, NULL, NULL, 0, NOW, false}, id);
    struct task t = get(id);
    free(t.title);
    t.title = strdup("After");
    t.description = strdup("now described");
    t.priority = PRIORITY_HIGH;
    t.status = TASK_CANCELLED;
    t.cancelled_at = NOW + 10;
    memcpy(t.due_date, "2026-06-21", DATE_SIZE);
    t.has_sla = true;
    t.sla_hours = 0.5;
    memcpy(t.assignee_id, "sta_a", 6);
    memcpy(t.user_id, "cus_1", 6);
    t.overdue_recorded = true;
    t.updated_at = NOW + 10;
    t.version = 2;
    cr_assert_eq(store_run(S, do_update, &t), ERR_OK);
    struct task g = get(id);
    cr_expect(task_equal(&g, &t));
    cr_expect_str_eq(g.title, "After");
    cr_expect_str_eq(g.description, "now described");
    cr_expect_eq(g.cancelled_at, NOW + 10);
    cr_expect_eq(g.updated_at, NOW + 10);
    cr_expect_eq(g.created_at, NOW);
    cr_expect_eq(g.version, 2);
    cr_expect(g.overdue_recorded);
    task_clear(&g);
    /* and back to absent values */
    free(t.description);
    t.description = NULL;
    t.has_sla = false;
    t.assignee_id[0] = 0;
    t.user_id[0] = 0;
    t.version = 3;
    cr_assert_eq(store_run(S, do_update, &t), ERR_OK);
    g = get(id);
    cr_expect_null(g.description);
    cr_expect_not(g.has_sla);
    cr_expect_str_eq(g.assignee_id, "");
    cr_expect_str_eq(g.user_id, "");
    task_clear(&g);
    task_clear(&t);
}

STORE_TEST(store, task_update_of_an_unknown_id_is_not_found)
{
    struct task t = from_spec(&(struct spec){"Ghost", TASK_OPEN, "2026-06-20", PRIORITY_LOW, NULL, NULL, 0, NOW, false});
    cr_expect_eq(store_run(S, do_update, &t), ERR_NOT_FOUND);
    task_clear(&t);
}

/* ---- the queue: filters and sorts ---- */

/* Seven tasks covering every status, priority, assignee and customer case.
 * Today is 2026-06-10: B (IN_PROGRESS, due 06-05) and C (OPEN, due 06-09)
 * read OVERDUE; F and G are due today and are not. Created one minute
 * apart in the order A..G, ten hours ago. */
#define CREATED(i) (NOW - 10 * HOUR + (i) * 60000LL)
static void seed_queue(void)
{
    put_staff("sta_a", true);
    put_staff("sta_b", true);
    put_customer("cus_1");
    put_customer("cus_2");
    const struct spec seed[] = {
        {"A", TASK_OPEN, "2026-06-12", PRIORITY_HIGH, "sta_a", "cus_1", 1, CREATED(0), false},
        {"B", TASK_IN_PROGRESS, "2026-06-05", PRIORITY_URGENT, "sta_b", NULL, 1000, CREATED(1), false},
        {"C", TASK_OPEN, "2026-06-09", PRIORITY_LOW, NULL, "cus_1", 2, CREATED(2), false},
        {"D", TASK_COMPLETED, "2026-06-01", PRIORITY_MEDIUM, "sta_a", NULL, 1, CREATED(3), false},
        {"E", TASK_CANCELLED, "2026-06-20", PRIORITY_LOW, NULL, NULL, 1, CREATED(4), false},
        {"F", TASK_IN_PROGRESS, "2026-06-10", PRIORITY_MEDIUM, "sta_a", "cus_2", 0, CREATED(5), false},
        {"G", TASK_OPEN, "2026-06-10", PRIORITY_URGENT, NULL, NULL, 0, CREATED(6), false},
    };
    for (size_t i = 0; i < sizeof seed / sizeof seed[0]; i++) insert(&seed[i], NULL);
}

STORE_TEST(store, list_without_a_status_filter_shows_every_task_by_due_date_then_priority)
{
    seed_queue();
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_DUE_DATE}), "D,B,C,G,F,A,E");
    unsigned all = (1u << TASK_STATUS__COUNT) - 1;
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = all}), "D,B,C,G,F,A,E");
}

STORE_TEST(store, list_status_filter_uses_the_derived_overdue_status)
{
    seed_queue();
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_OPEN)}), "G,A");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_IN_PROGRESS)}), "F");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_OVERDUE)}), "B,C");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_COMPLETED)}), "D");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_CANCELLED)}), "E");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_OPEN) | ST(TASK_OVERDUE)}), "B,C,G,A");
    cr_expect_str_eq(
        titles((struct task_query){.filter.status_mask = ST(TASK_OPEN) | ST(TASK_IN_PROGRESS) | ST(TASK_OVERDUE)}),
        "B,C,G,F,A");
    cr_expect_str_eq(titles((struct task_query){.filter.status_mask = ST(TASK_COMPLETED) | ST(TASK_CANCELLED)}),
                     "D,E");
}

STORE_TEST(store, list_reads_overdue_from_the_query_s_today)
{
    seed_queue();
    /* three days later A (due 06-12), F and G (due 06-10) have passed too */
    struct task_query q = {.filter.status_mask = ST(TASK_OVERDUE), .today = "2026-06-13"};
    cr_expect_str_eq(titles(q), "B,C,G,F,A");
    q.filter.status_mask = ST(TASK_OPEN) | ST(TASK_IN_PROGRESS);
    cr_expect_str_eq(titles(q), "");
    /* a week earlier nothing had */
    q = (struct task_query){.filter.status_mask = ST(TASK_OVERDUE), .today = "2026-06-03"};
    cr_expect_str_eq(titles(q), "");
}

STORE_TEST(store, list_priority_filter)
{
    seed_queue();
    cr_expect_str_eq(titles((struct task_query){.filter.priority_mask = PR(PRIORITY_URGENT) | PR(PRIORITY_LOW)}),
                     "B,C,G,E");
    cr_expect_str_eq(titles((struct task_query){.filter.priority_mask = PR(PRIORITY_HIGH)}), "A");
    cr_expect_str_eq(titles((struct task_query){.filter.priority_mask = (1u << PRIORITY__COUNT) - 1}),
                     "D,B,C,G,F,A,E");
}

STORE_TEST(store, list_assignee_filter_with_none_for_unassigned)
{
    seed_queue();
    struct task_query q = {.filter = {.n_assignees = 1, .assignees = {"sta_a"}}};
    cr_expect_str_eq(titles(q), "D,F,A");
    q.filter = (struct task_filter){.n_assignees = 2, .assignees = {"sta_a", "sta_b"}};
    cr_expect_str_eq(titles(q), "D,B,F,A");
    q.filter = (struct task_filter){.assignee_none = true};
    cr_expect_str_eq(titles(q), "C,G,E");
    q.filter = (struct task_filter){.n_assignees = 1, .assignees = {"sta_b"}, .assignee_none = true};
    cr_expect_str_eq(titles(q), "B,C,G,E");
    q.filter = (struct task_filter){.n_assignees = 1, .assignees = {"sta_nobody"}};
    cr_expect_str_eq(titles(q), "");
}

STORE_TEST(store, list_customer_filter)
{
    seed_queue();
    cr_expect_str_eq(titles((struct task_query){.filter.user_id = "cus_1"}), "C,A");
    cr_expect_str_eq(titles((struct task_query){.filter.user_id = "cus_2"}), "F");
    cr_expect_str_eq(titles((struct task_query){.filter.user_id = "cus_none"}), "");
}

STORE_TEST(store, list_due_range_is_inclusive)
{
    seed_queue();
    cr_expect_str_eq(titles((struct task_query){.filter = {.due_from = "2026-06-09", .due_to = "2026-06-10"}}),
                     "C,G,F");
    cr_expect_str_eq(titles((struct task_query){.filter = {.due_from = "2026-06-10", .due_to = "2026-06-10"}}),
                     "G,F");
    cr_expect_str_eq(titles((struct task_query){.filter = {.due_from = "2026-06-12"}}), "A,E");
    cr_expect_str_eq(titles((struct task_query){.filter = {.due_to = "2026-06-05"}}), "D,B");
    cr_expect_str_eq(titles((struct task_query){.filter = {.due_from = "2026-06-11", .due_to = "2026-06-10"}}), "");
}

STORE_TEST(store, list_filters_combine)
{
    seed_queue();
    unsigned active = ST(TASK_OPEN) | ST(TASK_IN_PROGRESS) | ST(TASK_OVERDUE);
    cr_expect_str_eq(titles((struct task_query){.filter = {.status_mask = active, .n_assignees = 1,
                                                           .assignees = {"sta_a"}}}),
                     "F,A");
    cr_expect_str_eq(titles((struct task_query){.filter = {.status_mask = ST(TASK_OVERDUE), .user_id = "cus_1"}}),
                     "C");
    cr_expect_str_eq(titles((struct task_query){.filter = {.priority_mask = PR(PRIORITY_URGENT),
                                                           .assignee_none = true}}),
                     "G");
}

STORE_TEST(store, list_sort_orders)
{
    seed_queue();
    /* earliest due first, then URGENT before HIGH before MEDIUM before LOW, then oldest */
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_DUE_DATE}), "D,B,C,G,F,A,E");
    /* latest due first, the same tie-breaks */
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_DUE_DATE_DESC}), "E,A,G,F,C,B,D");
    /* URGENT first, then due date */
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_PRIORITY}), "B,G,A,D,F,C,E");
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_CREATED_AT}), "A,B,C,D,E,F,G");
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_CREATED_AT_DESC}), "G,F,E,D,C,B,A");
}

STORE_TEST(store, same_due_date_and_priority_sort_oldest_first)
{
    /* inserted out of order; created 3, 1, 2 */
    insert(&(struct spec){"third", TASK_OPEN, "2026-06-15", PRIORITY_HIGH, NULL, NULL, 0, NOW - 1000, false}, NULL);
    insert(&(struct spec){"first", TASK_OPEN, "2026-06-15", PRIORITY_HIGH, NULL, NULL, 0, NOW - 3000, false}, NULL);
    insert(&(struct spec){"second", TASK_OPEN, "2026-06-15", PRIORITY_HIGH, NULL, NULL, 0, NOW - 2000, false}, NULL);
    insert(&(struct spec){"urgent", TASK_OPEN, "2026-06-15", PRIORITY_URGENT, NULL, NULL, 0, NOW, false}, NULL);
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_DUE_DATE}), "urgent,first,second,third");
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_DUE_DATE_DESC}), "urgent,first,second,third");
    cr_expect_str_eq(titles((struct task_query){.sort = SORT_PRIORITY}), "urgent,first,second,third");
}

STORE_TEST(store, list_page_reports_whether_more_follow)
{
    seed_queue();
    struct task_query q = {.sort = SORT_DUE_DATE, .limit = 7, .today = TODAY};
    struct store_conn *c = store_reader_acquire(S);
    struct task_page p;
    cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
    cr_expect_eq(p.n, 7);
    cr_expect_not(p.has_more, "exactly a full page and nothing after it");
    store_task_page_free(&p);
    q.limit = 6;
    cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
    cr_expect_eq(p.n, 6);
    cr_expect(p.has_more);
    store_task_page_free(&p);
    q.limit = 1;
    q.filter.user_id[0] = 0;
    memcpy(q.filter.user_id, "cus_none", 9);
    cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
    cr_expect_eq(p.n, 0);
    cr_expect_not(p.has_more);
    store_task_page_free(&p);
    store_reader_release(c);
}

/* ---- keyset pagination ---- */

#define MANY 105

/* MANY tasks with many ties: five due dates around today, four priorities,
 * three tasks per creation millisecond (so ties on created_at are broken by
 * id), every status, some assigned. */
static void seed_many(char ids[][TASK_ID_SIZE])
{
    put_staff("sta_a", true);
    static const char *dues[] = {"2026-06-08", "2026-06-09", "2026-06-10", "2026-06-11", "2026-06-12"};
    for (int i = 0; i < MANY; i++) {
        char title[16];
        snprintf(title, sizeof title, "t%03d", i);
        enum task_status s = i % 7 == 0 ? TASK_COMPLETED : i % 11 == 0 ? TASK_CANCELLED
                                                         : i % 3 == 0  ? TASK_IN_PROGRESS
                                                                       : TASK_OPEN;
        struct spec sp = {title, s, dues[(i * 7) % 5], (enum task_priority)(i % 4), i % 2 ? "sta_a" : NULL, NULL,
                          0, NOW - HOUR + i / 3, false};
        insert(&sp, ids ? ids[i] : NULL);
    }
}

/* Negative, zero or positive as a sorts before, with or after b in `sort`. */
static int sort_cmp(enum task_sort sort, const struct task *a, const struct task *b)
{
    int due = strcmp(a->due_date, b->due_date);
    int prio = task_priority_rank(a->priority) - task_priority_rank(b->priority);
    int created = (a->created_at > b->created_at) - (a->created_at < b->created_at);
    int id = strcmp(a->id, b->id);
    int64_t sa = a->has_sla ? a->sla_due_ms : TASK_SLA_KEY_NONE, sb = b->has_sla ? b->sla_due_ms : TASK_SLA_KEY_NONE;
    int sla = (sa > sb) - (sa < sb);
    int updated = (a->updated_at > b->updated_at) - (a->updated_at < b->updated_at);
#define FIRST_OF(...)                                            \
    do {                                                         \
        int keys[] = {__VA_ARGS__};                              \
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) \
            if (keys[k]) return keys[k];                         \
        return 0;                                                \
    } while (0)
    switch (sort) {
    case SORT_DUE_DATE: FIRST_OF(due, prio, created, id);
    case SORT_DUE_DATE_DESC: FIRST_OF(-due, prio, created, id);
    case SORT_PRIORITY: FIRST_OF(prio, due, created, id);
    case SORT_CREATED_AT: FIRST_OF(created, id);
    case SORT_CREATED_AT_DESC: FIRST_OF(-created, -id);
    case SORT_SLA_DUE_AT: FIRST_OF(sla, due, id);
    case SORT_UPDATED_AT_DESC: FIRST_OF(-updated, -id);
    case SORT_RELEVANCE: FIRST_OF(id); /* only with q: tests/unit/store/test_search.c */
    }
#undef FIRST_OF
    return 0;
}

static const enum task_sort all_sorts[] = {SORT_DUE_DATE, SORT_DUE_DATE_DESC, SORT_PRIORITY, SORT_CREATED_AT,
                                           SORT_CREATED_AT_DESC, SORT_SLA_DUE_AT, SORT_UPDATED_AT_DESC};

static void expect_each_once_in_order(enum task_sort sort, unsigned mask, struct task *rows, int n, int want)
{
    cr_expect_eq(n, want, "sort %d mask %#x: %d rows, want %d", sort, mask, n, want);
    for (int i = 0; i + 1 < n; i++)
        cr_expect_lt(sort_cmp(sort, &rows[i], &rows[i + 1]), 0, "sort %d mask %#x: rows %d and %d out of order (%s, %s)",
                     sort, mask, i, i + 1, rows[i].title, rows[i + 1].title);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            cr_expect_str_neq(rows[i].id, rows[j].id, "sort %d mask %#x: %s twice", sort, mask, rows[i].title);
}

STORE_TEST(store, keyset_pages_of_7_visit_every_task_once_in_every_sort)
{
    seed_many(NULL);
    for (size_t s = 0; s < sizeof all_sorts / sizeof all_sorts[0]; s++) {
        struct task rows[MANY + 1], whole[MANY + 1];
        struct task_query q = {.sort = all_sorts[s], .limit = 7, .today = TODAY};
        int n = walk(q, rows, MANY + 1);
        expect_each_once_in_order(all_sorts[s], 0, rows, n, MANY);
        /* the pages joined are the one big page */
        q.limit = 500;
        int m = walk(q, whole, MANY + 1);
        cr_assert_eq(m, n);
        for (int i = 0; i < n; i++) cr_expect_str_eq(rows[i].id, whole[i].id, "sort %d row %d", all_sorts[s], i);
        free_rows(rows, n);
        free_rows(whole, m);
    }
}

STORE_TEST(store, keyset_pages_of_7_visit_every_task_once_with_a_status_filter)
{
    seed_many(NULL);
    /* what the seed holds on 2026-06-10 (derived OVERDUE: due 06-08 or 06-09) */
    struct task all[MANY + 1];
    int n_all = walk((struct task_query){.sort = SORT_DUE_DATE, .limit = 500, .today = TODAY}, all, MANY + 1);
    const unsigned masks[] = {ST(TASK_OPEN), ST(TASK_OVERDUE), ST(TASK_OPEN) | ST(TASK_IN_PROGRESS) | ST(TASK_OVERDUE),
                              ST(TASK_COMPLETED) | ST(TASK_CANCELLED)};
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        int want = 0;
        for (int i = 0; i < n_all; i++)
            if (masks[m] & ST(task_effective_status(&all[i], TODAY))) want++;
        cr_expect_gt(want, 0, "the seed has tasks for mask %#x", masks[m]);
        for (size_t s = 0; s < sizeof all_sorts / sizeof all_sorts[0]; s++) {
            struct task rows[MANY + 1];
            struct task_query q = {.filter.status_mask = masks[m], .sort = all_sorts[s], .limit = 7, .today = TODAY};
            int n = walk(q, rows, MANY + 1);
            expect_each_once_in_order(all_sorts[s], masks[m], rows, n, want);
            for (int i = 0; i < n; i++)
                cr_expect(masks[m] & ST(task_effective_status(&rows[i], TODAY)), "%s does not match", rows[i].title);
            free_rows(rows, n);
        }
    }
    free_rows(all, n_all);
}

STORE_TEST(store, keyset_walk_neither_repeats_nor_skips_while_tasks_are_created)
{
    char ids[MANY][TASK_ID_SIZE];
    seed_many(ids);
    for (size_t s = 0; s < sizeof all_sorts / sizeof all_sorts[0]; s++) {
        struct task_query q = {.sort = all_sorts[s], .limit = 7, .today = TODAY};
        char seen[2 * MANY + 40][TASK_ID_SIZE];
        int n = 0;
        for (int page = 0; page < 100; page++) {
            struct store_conn *c = store_reader_acquire(S);
            struct task_page p;
            cr_assert_eq(store_task_list(c, &q, &p), ERR_OK);
            store_reader_release(c);
            for (int i = 0; i < p.n; i++) {
                cr_assert_lt(n, (int)(sizeof seen / sizeof seen[0]));
                memcpy(seen[n++], p.items[i].id, TASK_ID_SIZE);
            }
            bool more = p.has_more;
            if (more) q.after = cursor_after(&p.items[p.n - 1]);
            store_task_page_free(&p);
            if (!more) break;
            /* a task created between two pages, due in the middle of the range */
            char title[24];
            snprintf(title, sizeof title, "new%zu-%d", s, page);
            clock_set_ms(clock_now_ms() + 1);
            insert(&(struct spec){title, TASK_OPEN, "2026-06-10", (enum task_priority)(page % 4), NULL, NULL, 0,
                                  clock_now_ms(), false},
                   NULL);
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) cr_expect_str_neq(seen[i], seen[j], "sort %d repeats a task", all_sorts[s]);
        for (int k = 0; k < MANY; k++) {
            bool found = false;
            for (int i = 0; i < n && !found; i++) found = strcmp(seen[i], ids[k]) == 0;
            cr_expect(found, "sort %d skipped t%03d", all_sorts[s], k);
        }
    }
}

/* ---- the stats bar ---- */

STORE_TEST(store, stats_count_every_effective_status)
{
    seed_queue();
    struct task_stats st = stats(&(struct task_filter){0}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 2);         /* A, G */
    cr_expect_eq(st.counts[TASK_IN_PROGRESS], 1);  /* F */
    cr_expect_eq(st.counts[TASK_OVERDUE], 2);      /* B, C */
    cr_expect_eq(st.counts[TASK_COMPLETED], 1);    /* D */
    cr_expect_eq(st.counts[TASK_CANCELLED], 1);    /* E */
    /* A (1 h, created ten hours ago) and C (2 h) are active past their SLA;
     * B has 1000 h; D and E are past theirs but no longer active */
    cr_expect_eq(st.sla_breached_active, 2);
}

STORE_TEST(store, stats_move_tasks_to_overdue_as_today_advances)
{
    seed_queue();
    struct task_stats st = stats(&(struct task_filter){0}, "2026-06-13", NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 0);
    cr_expect_eq(st.counts[TASK_IN_PROGRESS], 0);
    cr_expect_eq(st.counts[TASK_OVERDUE], 5); /* A, B, C, F, G */
    cr_expect_eq(st.counts[TASK_COMPLETED], 1);
    cr_expect_eq(st.counts[TASK_CANCELLED], 1);
}

STORE_TEST(store, stats_follow_the_filters)
{
    seed_queue();
    struct task_stats st = stats(&(struct task_filter){.priority_mask = PR(PRIORITY_URGENT)}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 1);     /* G */
    cr_expect_eq(st.counts[TASK_OVERDUE], 1);  /* B */
    cr_expect_eq(st.counts[TASK_IN_PROGRESS] + st.counts[TASK_COMPLETED] + st.counts[TASK_CANCELLED], 0);
    cr_expect_eq(st.sla_breached_active, 0);

    st = stats(&(struct task_filter){.n_assignees = 1, .assignees = {"sta_a"}}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 1);         /* A */
    cr_expect_eq(st.counts[TASK_IN_PROGRESS], 1);  /* F */
    cr_expect_eq(st.counts[TASK_COMPLETED], 1);    /* D */
    cr_expect_eq(st.counts[TASK_OVERDUE] + st.counts[TASK_CANCELLED], 0);
    cr_expect_eq(st.sla_breached_active, 1);       /* A */

    st = stats(&(struct task_filter){.assignee_none = true}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 1);       /* G */
    cr_expect_eq(st.counts[TASK_OVERDUE], 1);    /* C */
    cr_expect_eq(st.counts[TASK_CANCELLED], 1);  /* E */
    cr_expect_eq(st.sla_breached_active, 1);     /* C */

    st = stats(&(struct task_filter){.user_id = "cus_1"}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 1);     /* A */
    cr_expect_eq(st.counts[TASK_OVERDUE], 1);  /* C */
    cr_expect_eq(st.sla_breached_active, 2);

    st = stats(&(struct task_filter){.due_from = "2026-06-09", .due_to = "2026-06-10"}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OVERDUE], 1);      /* C */
    cr_expect_eq(st.counts[TASK_OPEN], 1);         /* G */
    cr_expect_eq(st.counts[TASK_IN_PROGRESS], 1);  /* F */
    cr_expect_eq(st.counts[TASK_COMPLETED] + st.counts[TASK_CANCELLED], 0);
    cr_expect_eq(st.sla_breached_active, 1);       /* C */
}

STORE_TEST(store, stats_count_an_sla_breached_only_after_its_deadline)
{
    seed_queue();
    /* A: created CREATED(0), SLA 1 h; C: created CREATED(2), SLA 2 h */
    int64_t due_a = CREATED(0) + HOUR, due_c = CREATED(2) + 2 * HOUR;
    cr_expect_eq(stats(&(struct task_filter){0}, TODAY, due_a).sla_breached_active, 0, "at the deadline");
    cr_expect_eq(stats(&(struct task_filter){0}, TODAY, due_a + 1).sla_breached_active, 1, "1 ms after");
    cr_expect_eq(stats(&(struct task_filter){0}, TODAY, due_c).sla_breached_active, 1);
    cr_expect_eq(stats(&(struct task_filter){0}, TODAY, due_c + 1).sla_breached_active, 2);
}

STORE_TEST(store, stats_follow_status_changes)
{
    seed_queue();
    char id[TASK_ID_SIZE];
    insert(&(struct spec){"H", TASK_OPEN, "2026-06-30", PRIORITY_LOW, NULL, NULL, 0, NOW, false}, id);
    struct task t = get(id);
    t.status = TASK_COMPLETED;
    t.completed_at = NOW;
    t.version = 2;
    cr_assert_eq(store_run(S, do_update, &t), ERR_OK);
    task_clear(&t);
    struct task_stats st = stats(&(struct task_filter){0}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_OPEN], 2);
    cr_expect_eq(st.counts[TASK_COMPLETED], 2);
    st = stats(&(struct task_filter){.priority_mask = PR(PRIORITY_LOW)}, TODAY, NOW);
    cr_expect_eq(st.counts[TASK_COMPLETED], 1); /* H */
    cr_expect_eq(st.counts[TASK_OVERDUE], 1);   /* C */
    cr_expect_eq(st.counts[TASK_CANCELLED], 1); /* E */
}

STORE_TEST(store, stats_of_an_empty_store_are_zero)
{
    struct task_stats st = stats(&(struct task_filter){0}, TODAY, NOW);
    for (int i = 0; i < TASK_STATUS__COUNT; i++) cr_expect_eq(st.counts[i], 0);
    cr_expect_eq(st.sla_breached_active, 0);
}

/* ---- history ---- */

struct hist_add { const char *task_id; struct history_entry h; };
static enum err do_history_add(struct store_conn *c, void *arg)
{
    struct hist_add *a = arg;
    return store_history_add(c, a->task_id, &a->h);
}

static void add_history(const char *task_id, int64_t at, const char *actor, const char *type, const char *field,
                        const char *from, const char *to)
{
    struct hist_add a = {.task_id = task_id, .h = {.at = at, .from_json = (char *)from, .to_json = (char *)to}};
    snprintf(a.h.actor, sizeof a.h.actor, "%s", actor);
    snprintf(a.h.type, sizeof a.h.type, "%s", type);
    snprintf(a.h.field, sizeof a.h.field, "%s", field);
    cr_assert_eq(store_run(S, do_history_add, &a), ERR_OK);
}

STORE_TEST(store, history_lists_entries_in_the_order_they_were_added)
{
    const char *id = "tsk_01JX0000000000000000000001";
    add_history(id, NOW + 300, ACTOR, "created", "", NULL, NULL);
    add_history("tsk_other", NOW, ACTOR, "created", "", NULL, NULL);
    add_history(id, NOW + 100, "system", "status_changed", "status", "\"OPEN\"", "\"OVERDUE\"");
    add_history(id, NOW + 200, ACTOR, "field_changed", "description", "null", "\"text\"");

    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 3, "only this task's entries");
    /* in insertion order, not by time */
    cr_expect_eq(h[0].at, NOW + 300);
    cr_expect_str_eq(h[0].actor, ACTOR);
    cr_expect_str_eq(h[0].type, "created");
    cr_expect_str_eq(h[0].field, "");
    cr_expect_null(h[0].from_json);
    cr_expect_null(h[0].to_json);
    cr_expect_eq(h[1].at, NOW + 100);
    cr_expect_str_eq(h[1].actor, "system");
    cr_expect_str_eq(h[1].type, "status_changed");
    cr_expect_str_eq(h[1].field, "status");
    cr_expect_str_eq(h[1].from_json, "\"OPEN\"");
    cr_expect_str_eq(h[1].to_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[2].field, "description");
    cr_expect_str_eq(h[2].from_json, "null");
    cr_expect_str_eq(h[2].to_json, "\"text\"");
    store_history_free(h, n);
}

STORE_TEST(store, history_of_a_task_without_entries_is_empty)
{
    struct history_entry *h = NULL;
    int n = history("tsk_00000000000000000000000000", &h);
    cr_expect_eq(n, 0);
    store_history_free(h, n);
}

/* ---- tokens ---- */

struct tok { struct token t; unsigned char hash[32]; };
static enum err do_token(struct store_conn *c, void *arg)
{
    struct tok *t = arg;
    return store_token_insert(c, &t->t, t->hash, clock_now_ms(), "");
}

STORE_TEST(store, tokens_are_found_by_their_hash)
{
    struct tok admin = {.t = {.id = "tok_1", .role = ROLE_ADMIN, .name = "first admin"}};
    struct tok agent = {.t = {.id = "tok_2", .role = ROLE_AGENT, .staff_id = "sta_anna", .name = "desk"}};
    memset(admin.hash, 7, 32);
    memset(agent.hash, 9, 32);
    put_staff("sta_anna", true); /* a token tied to a member is live while the member is active */
    cr_assert_eq(store_run(S, do_token, &admin), ERR_OK);
    cr_assert_eq(store_run(S, do_token, &agent), ERR_OK);

    struct store_conn *c = store_reader_acquire(S);
    struct token found;
    cr_assert_eq(store_token_find(c, admin.hash, NOW, &found), ERR_OK);
    cr_expect_str_eq(found.id, "tok_1");
    cr_expect_eq(found.role, ROLE_ADMIN);
    cr_expect_str_eq(found.staff_id, "");
    cr_expect_str_eq(found.name, "first admin");
    cr_assert_eq(store_token_find(c, agent.hash, NOW, &found), ERR_OK);
    cr_expect_str_eq(found.id, "tok_2");
    cr_expect_eq(found.role, ROLE_AGENT);
    cr_expect_str_eq(found.staff_id, "sta_anna");
    cr_expect_str_eq(found.name, "desk");
    unsigned char other[32];
    memset(other, 7, 32);
    other[31] = 8; /* one bit away */
    cr_expect_eq(store_token_find(c, other, NOW, &found), ERR_NOT_FOUND);
    int64_t count = -1;
    cr_assert_eq(store_token_count(c, &count), ERR_OK);
    cr_expect_eq(count, 2);
    store_reader_release(c);
}

/* ---- idempotency keys ---- */

static enum err do_idem(struct store_conn *c, void *arg)
{
    (void)arg;
    unsigned char h1[32], h2[32];
    memset(h1, 1, 32);
    memset(h2, 2, 32);
    enum err rc = store_idem_put(c, "tok_1", "old", h1, 201, "{\"id\":1}", NOW - 25 * HOUR);
    if (rc == ERR_OK) rc = store_idem_put(c, "tok_1", "fresh", h2, 201, "{\"id\":2}", NOW - HOUR);
    if (rc == ERR_OK) rc = store_idem_put(c, "tok_2", "old", h2, 422, "{\"error\":{}}", NOW);
    return rc;
}

static enum err do_purge(struct store_conn *c, void *arg) { return store_idem_purge(c, NOW - DAY, arg); }

STORE_TEST(store, idempotency_keys_are_kept_per_token)
{
    cr_assert_eq(store_run(S, do_idem, NULL), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    unsigned char h[32], want[32];
    int status = 0;
    char *resp = NULL;
    cr_assert_eq(store_idem_get(c, "tok_1", "old", h, &status, &resp), ERR_OK);
    memset(want, 1, 32);
    cr_expect_eq(memcmp(h, want, 32), 0, "body hash kept");
    cr_expect_eq(status, 201);
    cr_expect_str_eq(resp, "{\"id\":1}");
    free(resp);
    cr_assert_eq(store_idem_get(c, "tok_2", "old", h, &status, &resp), ERR_OK, "same key, other token");
    cr_expect_eq(status, 422);
    memset(want, 2, 32);
    cr_expect_eq(memcmp(h, want, 32), 0);
    free(resp);
    cr_expect_eq(store_idem_get(c, "tok_2", "fresh", h, &status, &resp), ERR_NOT_FOUND);
    cr_expect_eq(store_idem_get(c, "tok_3", "old", h, &status, &resp), ERR_NOT_FOUND);
    store_reader_release(c);
}

static enum err do_idem_task(struct store_conn *c, void *arg)
{
    (void)arg;
    enum err rc = store_idem_task_set(c, "tok_1", "fresh", "tsk_0123456789ABCDEFGHJKMNPQRS", 3);
    if (rc != ERR_OK) return rc;
    /* a key nobody stored */
    return store_idem_task_set(c, "tok_1", "never", "tsk_0123456789ABCDEFGHJKMNPQRS", 1) == ERR_NOT_FOUND
               ? ERR_OK
               : ERR_INTERNAL;
}

STORE_TEST(store, an_idempotency_key_names_the_task_its_answer_shows)
{
    cr_assert_eq(store_run(S, do_idem, NULL), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    char id[TASK_ID_SIZE];
    int64_t version = 0;
    cr_expect_eq(store_idem_task_get(c, "tok_1", "fresh", id, &version), ERR_NOT_FOUND, "no task recorded yet");
    store_reader_release(c);
    cr_assert_eq(store_run(S, do_idem_task, NULL), ERR_OK);
    c = store_reader_acquire(S);
    cr_assert_eq(store_idem_task_get(c, "tok_1", "fresh", id, &version), ERR_OK);
    cr_expect_str_eq(id, "tsk_0123456789ABCDEFGHJKMNPQRS");
    cr_expect_eq(version, 3);
    cr_expect_eq(store_idem_task_get(c, "tok_2", "fresh", id, &version), ERR_NOT_FOUND, "per token");
    cr_expect_eq(store_idem_task_get(c, "tok_1", "old", id, &version), ERR_NOT_FOUND, "another key");
    store_reader_release(c);
}

STORE_TEST(store, idempotency_keys_older_than_a_day_are_purged)
{
    cr_assert_eq(store_run(S, do_idem, NULL), ERR_OK);
    int64_t purged = -1;
    cr_assert_eq(store_run(S, do_purge, &purged), ERR_OK);
    cr_expect_eq(purged, 1);
    struct store_conn *c = store_reader_acquire(S);
    unsigned char h[32];
    int status;
    char *resp;
    cr_expect_eq(store_idem_get(c, "tok_1", "old", h, &status, &resp), ERR_NOT_FOUND);
    cr_assert_eq(store_idem_get(c, "tok_1", "fresh", h, &status, &resp), ERR_OK);
    free(resp);
    cr_assert_eq(store_idem_get(c, "tok_2", "old", h, &status, &resp), ERR_OK);
    free(resp);
    store_reader_release(c);
    cr_assert_eq(store_run(S, do_purge, &purged), ERR_OK);
    cr_expect_eq(purged, 0, "nothing left to purge");
}

/* ---- the sweeper's work list ---- */


STORE_TEST(store, overdue_unrecorded_lists_only_active_past_due_tasks_not_yet_recorded)
{
    char open_late[TASK_ID_SIZE], started_late[TASK_ID_SIZE];
    insert(&(struct spec){"open late", TASK_OPEN, "2026-06-09", PRIORITY_LOW, NULL, NULL, 0, NOW, false}, open_late);
    insert(&(struct spec){"started late", TASK_IN_PROGRESS, "2026-06-01", PRIORITY_HIGH, NULL, NULL, 0, NOW + 1, false},
           started_late);
    insert(&(struct spec){"already recorded", TASK_OPEN, "2026-06-09", PRIORITY_LOW, NULL, NULL, 0, NOW + 2, true},
           NULL);
    insert(&(struct spec){"completed", TASK_COMPLETED, "2026-06-01", PRIORITY_LOW, NULL, NULL, 0, NOW + 3, false},
           NULL);
    insert(&(struct spec){"cancelled", TASK_CANCELLED, "2026-06-01", PRIORITY_LOW, NULL, NULL, 0, NOW + 4, false},
           NULL);
    insert(&(struct spec){"due today", TASK_OPEN, TODAY, PRIORITY_LOW, NULL, NULL, 0, NOW + 5, false}, NULL);

    char **ids;
    int n = overdue_unrecorded(TODAY, 100, &ids);
    cr_assert_eq(n, 2);
    bool a = strcmp(ids[0], open_late) == 0 || strcmp(ids[1], open_late) == 0;
    bool b = strcmp(ids[0], started_late) == 0 || strcmp(ids[1], started_late) == 0;
    cr_expect(a && b, "got %s and %s", ids[0], ids[1]);
    free_ids(ids, n);

    n = overdue_unrecorded(TODAY, 1, &ids);
    cr_expect_eq(n, 1, "at most limit ids");
    free_ids(ids, n);

    n = overdue_unrecorded("2026-06-11", 100, &ids);
    cr_expect_eq(n, 3, "due today joins tomorrow");
    free_ids(ids, n);
}

/* ---- group commit ---- */

static enum err failing_job(struct store_conn *c, void *arg)
{
    (void)arg;
    struct staff st = {.id = "sta_rolled_back", .name = "X", .active = true};
    bool created;
    store_staff_put(c, &st, &created);
    return ERR_VALIDATION_FAILED; /* its savepoint is rolled back */
}

STORE_TEST(store, a_failing_job_leaves_nothing_and_spares_the_others)
{
    cr_expect_eq(store_run(S, failing_job, NULL), ERR_VALIDATION_FAILED);
    put_staff("sta_kept", true);
    struct store_conn *c = store_reader_acquire(S);
    struct staff st;
    cr_expect_eq(store_staff_get(c, "sta_rolled_back", &st), ERR_NOT_FOUND);
    cr_assert_eq(store_staff_get(c, "sta_kept", &st), ERR_OK);
    store_staff_clear(&st);
    store_reader_release(c);
}

/* A job whose write fails without its op saying so at once (a backend that
 * sends writes without waiting, PostgreSQL's pipeline: the failure comes back
 * with the job's RELEASE) must still fail alone: three jobs in one group, the
 * middle one inserting a task id the first one took. */
struct group_job {
    struct store_job job;
    struct task t;
    pthread_mutex_t *m;
    pthread_cond_t *cv;
    int *left;
};

static enum err group_insert(struct store_conn *c, void *arg) { return store_task_insert(c, &((struct group_job *)arg)->t); }

static void group_done(struct store_job *job)
{
    struct group_job *g = (struct group_job *)job;
    pthread_mutex_lock(g->m);
    (*g->left)--;
    pthread_cond_signal(g->cv);
    pthread_mutex_unlock(g->m);
}

STORE_TEST(store, a_write_that_fails_late_fails_its_job_alone_in_the_group)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int left = 3;
    struct group_job g[3];
    const char *titles[] = {"First", "Same id again", "Third"};
    for (int i = 0; i < 3; i++) {
        struct spec sp = {.title = titles[i], .status = TASK_OPEN, .due = "2026-07-01", .prio = PRIORITY_MEDIUM,
                          .created_at = NOW - HOUR + i};
        g[i] = (struct group_job){.t = from_spec(&sp), .m = &m, .cv = &cv, .left = &left};
        g[i].job = (struct store_job){.run = group_insert, .arg = &g[i], .done = group_done};
    }
    memcpy(g[1].t.id, g[0].t.id, TASK_ID_SIZE); /* the primary key refuses it */
    pthread_mutex_lock(&m); /* the three go in one submit burst: one group unless the writer is quick */
    for (int i = 0; i < 3; i++) cr_assert_eq(store_submit(S, &g[i].job), 0);
    while (left > 0) pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    cr_expect_eq(g[0].job.rc, ERR_OK);
    cr_expect_eq(g[1].job.rc, ERR_INTERNAL, "the duplicate id fails its job");
    cr_expect_eq(g[2].job.rc, ERR_OK, "the job after it commits");
    struct store_conn *c = store_reader_acquire(S);
    struct task t;
    cr_assert_eq(store_task_get(c, g[0].t.id, &t), ERR_OK);
    cr_expect_str_eq(t.title, "First");
    task_clear(&t);
    cr_assert_eq(store_task_get(c, g[2].t.id, &t), ERR_OK);
    task_clear(&t);
    store_reader_release(c);
    for (int i = 0; i < 3; i++) task_clear(&g[i].t);
}

/* ==== the service layer: create, patch, record overdue ==== */

/* ---- browser sessions: found by their hash until they expire, stand for
 * their token, gone after delete, purged a bounded batch at a time ---- */

static enum err seed_web_session(struct store_conn *c, void *arg)
{
    (void)arg;
    bool created;
    struct staff anna = {.id = "sta_anna", .name = "Anna", .active = true, .updated_at = NOW};
    if (store_staff_put(c, &anna, &created) != ERR_OK) return ERR_INTERNAL;
    struct token t = {.id = "tok_web", .role = ROLE_AGENT, .staff_id = "sta_anna", .name = "desk"};
    unsigned char th[32];
    memset(th, 1, 32);
    enum err rc = store_token_insert(c, &t, th, NOW, "");
    /* sessions 10..14: 10 and 11 expired an hour ago, the rest live */
    for (int i = 10; rc == ERR_OK && i < 15; i++) {
        struct session_row row = {.token_id = "tok_web", .created_at = NOW - 13 * HOUR,
                                  .expires_at = i < 12 ? NOW - HOUR : NOW + HOUR, .last_seen_at = NOW - 13 * HOUR};
        snprintf(row.id, sizeof row.id, "ses_%026d", i);
        memset(row.hash, i, 32);
        rc = store_session_insert(c, &row);
    }
    return rc;
}

static enum err find(const unsigned char h[32], int64_t now, struct token *out)
{
    struct store_conn *c = store_reader_acquire(S);
    enum err rc = store_session_find(c, h, now, out);
    store_reader_release(c);
    return rc;
}

STORE_TEST(session_store, a_live_session_stands_for_its_token)
{
    cr_assert_eq(store_run(S, seed_web_session, NULL), ERR_OK);
    unsigned char h[32];
    memset(h, 12, 32);
    struct token t;
    cr_assert_eq(find(h, NOW, &t), ERR_OK);
    cr_expect_str_eq(t.id, "tok_web");
    cr_expect_eq(t.role, ROLE_AGENT);
    cr_expect_str_eq(t.staff_id, "sta_anna");
    cr_expect_str_eq(t.name, "desk");
    cr_expect_str_eq(t.session_id, "ses_00000000000000000000000012");
    cr_expect_eq(t.session_last_seen_at, NOW - 13 * HOUR);
}

STORE_TEST(session_store, an_expired_or_unknown_session_is_not_found)
{
    cr_assert_eq(store_run(S, seed_web_session, NULL), ERR_OK);
    unsigned char h[32];
    struct token t;
    memset(h, 10, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
    memset(h, 12, 32);
    cr_expect_eq(find(h, NOW + HOUR, &t), ERR_NOT_FOUND, "expires_at itself is past");
    memset(h, 99, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
}

static enum err del(struct store_conn *c, void *arg) { return store_session_delete(c, arg); }

STORE_TEST(session_store, a_deleted_session_is_gone_and_deleting_twice_is_fine)
{
    cr_assert_eq(store_run(S, seed_web_session, NULL), ERR_OK);
    unsigned char h[32];
    memset(h, 13, 32);
    cr_assert_eq(store_run(S, del, h), ERR_OK);
    struct token t;
    cr_expect_eq(find(h, NOW, &t), ERR_NOT_FOUND);
    cr_expect_eq(store_run(S, del, h), ERR_OK);
    memset(h, 14, 32);
    cr_expect_eq(find(h, NOW, &t), ERR_OK, "the others stay");
}

struct purge { int limit; int64_t purged; };
static enum err purge(struct store_conn *c, void *arg)
{
    struct purge *p = arg;
    return store_session_purge(c, NOW, p->limit, &p->purged);
}

STORE_TEST(session_store, purge_removes_only_expired_sessions_a_batch_at_a_time)
{
    cr_assert_eq(store_run(S, seed_web_session, NULL), ERR_OK);
    struct purge p = {.limit = 1};
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 1);
    p.limit = 100;
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 1);
    cr_assert_eq(store_run(S, purge, &p), ERR_OK);
    cr_expect_eq(p.purged, 0);
    unsigned char h[32];
    struct token t;
    for (int i = 12; i < 15; i++) {
        memset(h, i, 32);
        cr_expect_eq(find(h, NOW, &t), ERR_OK, "live session %d kept", i);
    }
}

static enum err orphan(struct store_conn *c, void *arg)
{
    (void)arg;
    struct session_row row = {.id = "ses_orphan", .token_id = "tok_nobody", .created_at = NOW,
                              .expires_at = NOW + HOUR, .last_seen_at = NOW};
    memset(row.hash, 50, 32);
    return store_session_insert(c, &row);
}

STORE_TEST(session_store, a_session_needs_an_existing_token)
{
    cr_expect_neq(store_run(S, orphan, NULL), ERR_OK);
}
