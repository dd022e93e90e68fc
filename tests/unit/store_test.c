/* Unit tests of the storage interface (store.h) on the SQLite backend and of
 * the service operations that run in the writer's transaction. Each test
 * opens a fresh database in a temporary folder. Written against the
 * interface so that a second backend can run the same suite. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/dates.h"
#include "service/tasks.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

static char dir[64];
static struct store *S;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/opstasks-unit-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct errinfo e = {0};
    cr_assert_eq(store_open(path, &S, &e), 0, "%s", e.message);
    dates_set_timezone("UTC");
    clock_set_ms(dates_to_days("2026-06-10") * 86400000LL + 9 * 3600000LL); /* 2026-06-10T09:00Z */
}

static void teardown(void)
{
    store_close(S);
    clock_set_ms(0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

/* ---- helpers: writes go through store_run like the server's ---- */

struct put_staff { const char *id; bool active; bool created; };
static enum err do_put_staff(struct store_conn *c, void *arg)
{
    struct put_staff *p = arg;
    struct staff st = {.name = "Staff", .active = p->active, .updated_at = clock_now_ms()};
    snprintf(st.id, sizeof st.id, "%s", p->id);
    return c->ops->staff_put(c, &st, &p->created);
}
static bool put_staff(const char *id, bool active)
{
    struct put_staff p = {id, active, false};
    cr_assert_eq(store_run(S, do_put_staff, &p), ERR_OK);
    return p.created;
}

static enum err do_put_customer(struct store_conn *c, void *arg)
{
    struct customer cu = {.name = "Customer", .updated_at = clock_now_ms()};
    snprintf(cu.id, sizeof cu.id, "%s", (const char *)arg);
    bool created;
    return c->ops->customer_put(c, &cu, &created);
}

struct create { struct task t; struct errinfo e; };
static enum err do_create(struct store_conn *c, void *arg)
{
    struct create *x = arg;
    return service_task_create(c, &x->t, "sta_tester", clock_now_ms(), &x->e);
}

/* Creates a task; returns ERR_OK and its id in id_out (may be NULL). */
static enum err create(const char *title, const char *due, enum task_priority p, const char *assignee, char *id_out,
                       struct errinfo *e)
{
    struct create x = {.t = {.title = strdup(title), .priority = p, .status = TASK_OPEN}};
    snprintf(x.t.due_date, sizeof x.t.due_date, "%s", due);
    if (assignee) snprintf(x.t.assignee_id, sizeof x.t.assignee_id, "%s", assignee);
    enum err rc = store_run(S, do_create, &x);
    if (id_out) snprintf(id_out, TASK_ID_SIZE, "%s", x.t.id);
    if (e) *e = x.e;
    task_clear(&x.t);
    return rc;
}

static struct task get(const char *id)
{
    struct store_conn *c = store_reader_acquire(S);
    struct task t;
    cr_assert_eq(c->ops->task_get(c, id, &t), ERR_OK);
    store_reader_release(c);
    return t;
}

static int history(const char *id, struct history_entry **h)
{
    struct store_conn *c = store_reader_acquire(S);
    int n = 0;
    cr_assert_eq(c->ops->history_list(c, id, h, &n), ERR_OK);
    store_reader_release(c);
    return n;
}

struct patch { const char *id; struct task_patch p; int64_t if_match; struct task out; bool changed; struct errinfo e; };
static enum err do_patch(struct store_conn *c, void *arg)
{
    struct patch *x = arg;
    return service_task_patch(c, x->id, &x->p, x->if_match, "sta_tester", clock_now_ms(), &x->out, &x->changed, &x->e);
}

/* ---- records ---- */

Test(store, staff_upsert_reports_created_then_updated)
{
    cr_expect(put_staff("sta_a", true));
    cr_expect_not(put_staff("sta_a", false));
    struct store_conn *c = store_reader_acquire(S);
    struct staff st;
    cr_assert_eq(c->ops->staff_get(c, "sta_a", &st), ERR_OK);
    cr_expect_not(st.active);
    store_staff_clear(&st);
    cr_expect_eq(c->ops->staff_get(c, "sta_none", &st), ERR_NOT_FOUND);
    store_reader_release(c);
}

Test(store, task_round_trips_every_field)
{
    put_staff("sta_a", true);
    cr_assert_eq(store_run(S, do_put_customer, "cus_1"), ERR_OK);
    struct create x = {.t = {.title = strdup("Title \"quoted\""), .description = strdup("Line\nTwo"),
                             .priority = PRIORITY_URGENT, .status = TASK_OPEN, .due_date = "2026-07-01",
                             .has_sla = true, .sla_hours = 1.25, .assignee_id = "sta_a", .user_id = "cus_1",
                             .source = SOURCE_MANUAL}};
    cr_assert_eq(store_run(S, do_create, &x), ERR_OK);
    struct task t = get(x.t.id);
    cr_expect_str_eq(t.title, "Title \"quoted\"");
    cr_expect_str_eq(t.description, "Line\nTwo");
    cr_expect_eq(t.priority, PRIORITY_URGENT);
    cr_expect_eq(t.status, TASK_OPEN);
    cr_expect_str_eq(t.due_date, "2026-07-01");
    cr_expect(t.has_sla);
    cr_expect_float_eq(t.sla_hours, 1.25, 1e-9);
    cr_expect_str_eq(t.assignee_id, "sta_a");
    cr_expect_str_eq(t.user_id, "cus_1");
    cr_expect_eq(t.created_at, clock_now_ms());
    cr_expect_eq(t.version, 1);
    cr_expect_eq(t.started_at, 0);
    task_clear(&t);
    task_clear(&x.t);
}

Test(store, create_refuses_unknown_or_inactive_staff_and_unknown_customers)
{
    struct errinfo e;
    put_staff("sta_off", false);
    cr_expect_eq(create("t", "2026-07-01", PRIORITY_LOW, "sta_nobody", NULL, &e), ERR_UNKNOWN_STAFF);
    cr_expect_str_eq(e.field, "assignee_id");
    cr_expect_eq(create("t", "2026-07-01", PRIORITY_LOW, "sta_off", NULL, &e), ERR_UNKNOWN_STAFF);
    struct create x = {.t = {.title = strdup("t"), .due_date = "2026-07-01", .user_id = "cus_nobody"}};
    cr_expect_eq(store_run(S, do_create, &x), ERR_UNKNOWN_CUSTOMER);
    cr_expect_str_eq(x.e.field, "user_id");
    task_clear(&x.t);
    struct store_conn *c = store_reader_acquire(S);
    struct task_stats st;
    struct task_filter f = {0};
    cr_assert_eq(c->ops->task_stats(c, &f, "2026-06-10", clock_now_ms(), &st), ERR_OK);
    store_reader_release(c);
    for (int i = 0; i < TASK_STATUS__COUNT; i++) cr_expect_eq(st.counts[i], 0, "nothing written");
}

Test(store, a_past_due_date_is_recorded_overdue_at_creation)
{
    char id[TASK_ID_SIZE];
    cr_assert_eq(create("late", "2026-06-09", PRIORITY_LOW, NULL, id, NULL), ERR_OK);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(h[0].type, "created");
    cr_expect_str_eq(h[1].actor, "system");
    cr_expect_str_eq(h[1].from_json, "\"OPEN\"");
    cr_expect_str_eq(h[1].to_json, "\"OVERDUE\"");
    store_history_free(h, n);
    struct task t = get(id);
    cr_expect(t.overdue_recorded);
    task_clear(&t);
}

Test(store, patch_without_change_keeps_the_version_and_writes_nothing)
{
    char id[TASK_ID_SIZE];
    create("same", "2026-07-01", PRIORITY_LOW, NULL, id, NULL);
    struct patch x = {.id = id, .if_match = -1, .p = {.has_priority = true, .priority = PRIORITY_LOW}};
    cr_assert_eq(store_run(S, do_patch, &x), ERR_OK);
    cr_expect_not(x.changed);
    cr_expect_eq(x.out.version, 1);
    task_clear(&x.out);
    struct history_entry *h;
    int n = history(id, &h);
    cr_expect_eq(n, 1);
    store_history_free(h, n);
}

Test(store, stale_if_match_is_a_version_conflict)
{
    char id[TASK_ID_SIZE];
    create("v", "2026-07-01", PRIORITY_LOW, NULL, id, NULL);
    struct patch x = {.id = id, .if_match = 2, .p = {.has_priority = true, .priority = PRIORITY_HIGH}};
    cr_expect_eq(store_run(S, do_patch, &x), ERR_VERSION_CONFLICT);
    struct task t = get(id);
    cr_expect_eq(t.priority, PRIORITY_LOW);
    task_clear(&t);
}

Test(store, moving_an_overdue_due_date_out_returns_the_task_to_open)
{
    char id[TASK_ID_SIZE];
    create("late", "2026-06-01", PRIORITY_LOW, NULL, id, NULL);
    struct patch x = {.id = id, .if_match = 1, .p = {.has_due_date = true, .due_date = "2026-06-20"}};
    cr_assert_eq(store_run(S, do_patch, &x), ERR_OK);
    cr_expect(x.changed);
    cr_expect_eq(task_effective_status(&x.out, "2026-06-10"), TASK_OPEN);
    cr_expect_not(x.out.overdue_recorded);
    cr_expect_eq(x.out.version, 2);
    task_clear(&x.out);
    struct history_entry *h;
    int n = history(id, &h);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(h[2].field, "due_date");
    cr_expect_str_eq(h[3].from_json, "\"OVERDUE\"");
    cr_expect_str_eq(h[3].to_json, "\"OPEN\"");
    cr_expect_str_eq(h[3].actor, "sta_tester");
    store_history_free(h, n);
}

struct overdue { const char *id; bool recorded; };
static enum err do_record(struct store_conn *c, void *arg)
{
    struct overdue *o = arg;
    return service_task_record_overdue(c, o->id, clock_now_ms(), &o->recorded);
}

Test(store, the_overdue_move_is_recorded_once)
{
    char id[TASK_ID_SIZE];
    create("soon", "2026-06-10", PRIORITY_LOW, NULL, id, NULL);
    struct overdue o = {id, false};
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect_not(o.recorded, "not overdue on its due day");
    clock_set_ms(clock_now_ms() + 86400000LL); /* the next day */
    struct store_conn *c = store_reader_acquire(S);
    char **ids;
    int n;
    cr_assert_eq(c->ops->task_overdue_unrecorded(c, "2026-06-11", 100, &ids, &n), ERR_OK);
    store_reader_release(c);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(ids[0], id);
    free(ids[0]);
    free(ids);
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect(o.recorded);
    cr_assert_eq(store_run(S, do_record, &o), ERR_OK);
    cr_expect_not(o.recorded, "a second sweep records nothing");
    struct history_entry *h;
    n = history(id, &h);
    cr_expect_eq(n, 2);
    store_history_free(h, n);
}

/* ---- the queue ---- */

static void seed_queue(void)
{
    put_staff("sta_a", true);
    const char *dates[] = {"2026-06-12", "2026-06-11", "2026-06-05", "2026-06-11"};
    for (int i = 0; i < 30; i++) {
        char title[16];
        snprintf(title, sizeof title, "t%d", i);
        clock_set_ms(clock_now_ms() + 1);
        cr_assert_eq(create(title, dates[i % 4], (enum task_priority)(i % 4), i % 3 ? "sta_a" : NULL, NULL, NULL),
                     ERR_OK);
    }
}

static int walk(enum task_sort sort, unsigned status_mask, int limit, char seen[][TASK_ID_SIZE])
{
    struct task_query q = {.filter = {.status_mask = status_mask}, .sort = sort, .limit = limit, .today = "2026-06-10"};
    int total = 0;
    for (int pages = 0; pages < 100; pages++) {
        struct store_conn *c = store_reader_acquire(S);
        struct task_page p;
        cr_assert_eq(c->ops->task_list(c, &q, &p), ERR_OK);
        store_reader_release(c);
        for (int i = 0; i < p.n; i++) memcpy(seen[total++], p.items[i].id, TASK_ID_SIZE);
        bool more = p.has_more;
        if (more) {
            struct task *last = &p.items[p.n - 1];
            q.after = (struct task_cursor){.set = true, .prio_rank = task_priority_rank(last->priority),
                                           .created_at = last->created_at};
            memcpy(q.after.due_date, last->due_date, DATE_SIZE);
            memcpy(q.after.id, last->id, TASK_ID_SIZE);
        }
        store_task_page_free(&p);
        if (!more) return total;
    }
    cr_assert_fail("walk did not end");
    return total;
}

Test(store, keyset_pages_visit_every_task_once_in_every_sort)
{
    seed_queue();
    enum task_sort sorts[] = {SORT_DUE_DATE, SORT_DUE_DATE_DESC, SORT_PRIORITY, SORT_CREATED_AT, SORT_CREATED_AT_DESC};
    for (size_t s = 0; s < sizeof sorts / sizeof sorts[0]; s++) {
        char seen[64][TASK_ID_SIZE];
        int n = walk(sorts[s], 0, 7, seen);
        cr_expect_eq(n, 30, "sort %zu", s);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) cr_expect_str_neq(seen[i], seen[j], "sort %zu repeats", s);
    }
}

Test(store, status_filter_derives_overdue_from_today)
{
    seed_queue();
    char seen[64][TASK_ID_SIZE];
    /* due 2026-06-05 (tasks 2, 6, ... 26: seven) is before today 2026-06-10: OVERDUE */
    cr_expect_eq(walk(SORT_DUE_DATE, 1u << TASK_OVERDUE, 50, seen), 7);
    cr_expect_eq(walk(SORT_DUE_DATE, 1u << TASK_OPEN, 50, seen), 23);
    struct store_conn *c = store_reader_acquire(S);
    struct task_stats st;
    struct task_filter f = {.priority_mask = 1u << PRIORITY_LOW};
    cr_assert_eq(c->ops->task_stats(c, &f, "2026-06-10", clock_now_ms(), &st), ERR_OK);
    cr_expect_eq(st.counts[TASK_OPEN] + st.counts[TASK_OVERDUE], 8);
    struct task_filter none = {.assignee_none = true};
    cr_assert_eq(c->ops->task_stats(c, &none, "2026-06-10", clock_now_ms(), &st), ERR_OK);
    cr_expect_eq(st.counts[TASK_OPEN] + st.counts[TASK_OVERDUE], 10);
    store_reader_release(c);
}

/* ---- tokens and idempotency keys ---- */

struct tok { struct token t; unsigned char hash[32]; };
static enum err do_token(struct store_conn *c, void *arg)
{
    struct tok *t = arg;
    return c->ops->token_insert(c, &t->t, t->hash, clock_now_ms());
}

Test(store, tokens_are_found_by_hash_only)
{
    struct tok t = {.t = {.id = "tok_1", .role = ROLE_AGENT, .name = "desk"}};
    memset(t.hash, 7, 32);
    cr_assert_eq(store_run(S, do_token, &t), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    struct token found;
    cr_assert_eq(c->ops->token_find(c, t.hash, &found), ERR_OK);
    cr_expect_str_eq(found.id, "tok_1");
    cr_expect_eq(found.role, ROLE_AGENT);
    unsigned char other[32] = {0};
    cr_expect_eq(c->ops->token_find(c, other, &found), ERR_NOT_FOUND);
    store_reader_release(c);
}

static enum err do_idem(struct store_conn *c, void *arg)
{
    (void)arg;
    unsigned char h[32] = {1};
    enum err rc = c->ops->idem_put(c, "tok_1", "key", h, 201, "{\"id\":1}", clock_now_ms() - 25 * 3600000LL);
    if (rc != ERR_OK) return rc;
    return c->ops->idem_put(c, "tok_1", "fresh", h, 201, "{}", clock_now_ms());
}

static enum err do_purge(struct store_conn *c, void *arg)
{
    return c->ops->idem_purge(c, clock_now_ms() - 24 * 3600000LL, arg);
}

Test(store, idempotency_keys_are_kept_then_purged_after_a_day)
{
    cr_assert_eq(store_run(S, do_idem, NULL), ERR_OK);
    struct store_conn *c = store_reader_acquire(S);
    unsigned char h[32];
    int status;
    char *resp;
    cr_assert_eq(c->ops->idem_get(c, "tok_1", "key", h, &status, &resp), ERR_OK);
    cr_expect_eq(status, 201);
    cr_expect_str_eq(resp, "{\"id\":1}");
    free(resp);
    cr_expect_eq(c->ops->idem_get(c, "tok_2", "key", h, &status, &resp), ERR_NOT_FOUND);
    store_reader_release(c);
    int64_t purged = 0;
    cr_assert_eq(store_run(S, do_purge, &purged), ERR_OK);
    cr_expect_eq(purged, 1);
}

/* ---- group commit ---- */

static enum err failing_job(struct store_conn *c, void *arg)
{
    (void)arg;
    struct staff st = {.id = "sta_rolled_back", .name = "X", .active = true};
    bool created;
    c->ops->staff_put(c, &st, &created);
    return ERR_VALIDATION_FAILED; /* its savepoint is rolled back */
}

Test(store, a_failing_job_leaves_nothing_and_spares_the_others)
{
    cr_expect_eq(store_run(S, failing_job, NULL), ERR_VALIDATION_FAILED);
    put_staff("sta_kept", true);
    struct store_conn *c = store_reader_acquire(S);
    struct staff st;
    cr_expect_eq(c->ops->staff_get(c, "sta_rolled_back", &st), ERR_NOT_FOUND);
    cr_assert_eq(c->ops->staff_get(c, "sta_kept", &st), ERR_OK);
    store_staff_clear(&st);
    store_reader_release(c);
}
