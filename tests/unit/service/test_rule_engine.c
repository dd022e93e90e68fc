/* Unit tests of the rules engine (service/rule_engine.c) on a real store: an event and
 * its tasks in one writer job, idempotency by id, round-robin positions kept
 * across events, and the loop protection of the service's own events (a rule
 * on task.completed that keeps making tasks stops after 3 levels). The clock
 * is frozen at 2026-06-10T09:00:00Z in UTC. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "service/rule_engine.h"
#include "service/tasks.h"
#include "store/store.h"
#include "util/clock.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */

static struct store *S;

static void setup(void)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    service_set_task_event_hook(rule_engine_task_event);
    S = test_store_fresh(NULL);
}

static void teardown(void)
{
    test_store_drop(S);
    service_set_task_event_hook(NULL);
    clock_set_ms(0);
}

TestSuite(engine, .init = setup, .fini = teardown);

struct put_arg {
    const char *id, *type, *def;
};

static enum err do_put_rule(struct store_conn *c, void *arg)
{
    struct put_arg *a = arg;
    bool created;
    return store_rule_put(c, a->id, a->type, true, a->def, NOW, &created);
}

static void put_rule(const char *id, const char *type, const char *def)
{
    struct put_arg a = {id, type, def};
    cr_assert_eq(store_run(S, do_put_rule, &a), ERR_OK);
}

static enum err do_put_staff(struct store_conn *c, void *arg)
{
    struct staff *st = arg;
    bool created;
    return store_staff_put(c, st, &created);
}

static void put_staff(const char *id, bool active)
{
    struct staff st = {.name = "Staff", .active = active, .created_at = NOW, .updated_at = NOW};
    snprintf(st.id, sizeof st.id, "%s", id);
    cr_assert_eq(store_run(S, do_put_staff, &st), ERR_OK);
}

struct post_arg {
    struct rule_engine_event ev;
    char *answer;
    bool replayed;
};

static enum err do_post(struct store_conn *c, void *arg)
{
    struct post_arg *p = arg;
    return rule_engine_process_event(c, &p->ev, clock_now_ms(), &p->answer, &p->replayed);
}

/* Posts an event and returns its answer as JSON (caller decrefs). */
static json_t *post(const char *id, const char *type, const char *data, bool *replayed)
{
    struct post_arg p = {0};
    snprintf(p.ev.id, sizeof p.ev.id, "%s", id);
    snprintf(p.ev.type, sizeof p.ev.type, "%s", type);
    p.ev.occurred_at = NOW;
    p.ev.data = json_loads(data, 0, NULL);
    cr_assert_not_null(p.ev.data);
    cr_assert_eq(store_run(S, do_post, &p), ERR_OK);
    json_decref(p.ev.data);
    json_t *j = json_loads(p.answer, 0, NULL);
    cr_assert_not_null(j, "%s", p.answer);
    free(p.answer);
    if (replayed) *replayed = p.replayed;
    return j;
}

static void get_task(const char *id, struct task *t)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_eq(store_task_get(c, id, t), ERR_OK);
    store_reader_release(c);
}

struct complete_arg {
    const char *id;
};

static enum err do_complete(struct store_conn *c, void *arg)
{
    struct complete_arg *a = arg;
    struct task_patch p = {.has_status = true, .status = TASK_COMPLETED};
    struct task out;
    bool changed;
    struct errinfo e = {0};
    enum err rc = service_task_patch(c, a->id, &p, -1, "sta_tester", clock_now_ms(), &out, &changed, &e);
    if (rc == ERR_OK) task_clear(&out);
    return rc;
}

struct list_arg {
    int n;
    struct event_row *rows;
};

static int count_events(const char *type)
{
    struct store_conn *c = store_reader_acquire(S);
    struct event_query q = {.limit = 100};
    snprintf(q.type, sizeof q.type, "%s", type);
    struct event_row *rows = NULL;
    int n = 0;
    cr_assert_eq(store_event_list(c, &q, &rows, &n), ERR_OK);
    store_reader_release(c);
    store_event_rows_free(rows, n);
    return n;
}

Test(engine, an_event_creates_the_tasks_of_its_matching_rules_once)
{
    put_staff("sta_a", true);
    put_rule("rul_one", "doc.rejected",
             "{\"name\":\"One\",\"enabled\":true,\"event_type\":\"doc.rejected\",\"conditions\":"
             "[{\"field\":\"data.kind\",\"op\":\"eq\",\"value\":\"passport\"}],\"task\":{\"title\":\"Passport "
             "{{data.kind}} {{data.nothing}}\",\"description\":null,\"priority\":\"URGENT\",\"due_in_days\":3,"
             "\"sla_hours\":null,\"assignee\":\"sta_a\"}}");
    put_rule("rul_two", "doc.rejected",
             "{\"name\":\"Two\",\"enabled\":true,\"event_type\":\"doc.rejected\",\"conditions\":"
             "[{\"field\":\"data.kind\",\"op\":\"eq\",\"value\":\"visa\"}],\"task\":{\"title\":\"Visa\","
             "\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,\"assignee\":null}}");
    bool replayed;
    json_t *a = post("evt_1", "doc.rejected", "{\"kind\":\"passport\"}", &replayed);
    cr_expect_not(replayed);
    cr_assert_eq(json_array_size(json_object_get(a, "matched_rules")), 1);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(a, "matched_rules"), 0)), "rul_one");
    cr_assert_eq(json_array_size(json_object_get(a, "tasks")), 1);
    cr_expect_eq(json_array_size(json_object_get(a, "notes")), 1, "the missing {{data.nothing}} is noted");
    const char *tid = json_string_value(json_array_get(json_object_get(a, "tasks"), 0));
    struct task t;
    get_task(tid, &t);
    cr_expect_str_eq(t.title, "Passport passport");
    cr_expect_eq(t.priority, PRIORITY_URGENT);
    cr_expect_str_eq(t.due_date, "2026-06-13");
    cr_expect_str_eq(t.assignee_id, "sta_a");
    cr_expect_eq(t.source, SOURCE_RULE);
    cr_expect_str_eq(t.rule_id, "rul_one");
    cr_expect_str_eq(t.event_id, "evt_1");
    cr_expect_eq(t.rule_depth, 1);
    task_clear(&t);

    json_t *b = post("evt_1", "doc.rejected", "{\"kind\":\"visa\"}", &replayed);
    cr_expect(replayed, "the same id again is the first answer, whatever the body");
    cr_expect(json_equal(a, b));
    cr_expect_eq(count_events("doc.rejected"), 1);
    json_decref(a);
    json_decref(b);
}

Test(engine, round_robin_continues_where_the_last_event_left_off_and_skips_inactive_staff)
{
    put_staff("sta_a", true);
    put_staff("sta_b", false);
    put_staff("sta_c", true);
    put_rule("rul_rr", "lead.new",
             "{\"name\":\"RR\",\"enabled\":true,\"event_type\":\"lead.new\",\"conditions\":[],\"task\":{\"title\":"
             "\"Call\",\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,\"assignee\":"
             "{\"round_robin\":[\"sta_a\",\"sta_b\",\"sta_c\"]}}}");
    const char *expect[] = {"sta_a", "sta_c", "sta_a", "sta_c"};
    for (int i = 0; i < 4; i++) {
        char id[32];
        snprintf(id, sizeof id, "evt_rr%d", i);
        json_t *a = post(id, "lead.new", "{}", NULL);
        struct task t;
        get_task(json_string_value(json_array_get(json_object_get(a, "tasks"), 0)), &t);
        cr_expect_str_eq(t.assignee_id, expect[i], "event %d", i);
        task_clear(&t);
        json_decref(a);
    }
}

Test(engine, a_rule_on_its_own_tasks_completion_stops_after_three_levels)
{
    put_rule("rul_loop", "task.completed",
             "{\"name\":\"Loop\",\"enabled\":true,\"event_type\":\"task.completed\",\"conditions\":[],\"task\":"
             "{\"title\":\"After {{data.task.title}}\",\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,"
             "\"sla_hours\":null,\"assignee\":null}}");
    /* a person's task (level 0) */
    put_rule("rul_seed", "seed.planted",
             "{\"name\":\"Seed\",\"enabled\":true,\"event_type\":\"seed.planted\",\"conditions\":[],\"task\":"
             "{\"title\":\"Seed\",\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,"
             "\"assignee\":null}}");
    json_t *a = post("evt_seed", "seed.planted", "{}", NULL);
    char id[TASK_ID_SIZE];
    snprintf(id, sizeof id, "%s", json_string_value(json_array_get(json_object_get(a, "tasks"), 0)));
    json_decref(a);
    /* level 1 (from an outside event) completes -> level 2 -> level 3 -> stop */
    const char *titles[] = {"After Seed", "After After Seed"};
    for (int level = 1; level <= 3; level++) {
        struct complete_arg c = {id};
        cr_assert_eq(store_run(S, do_complete, &c), ERR_OK);
        cr_assert_eq(count_events("task.completed"), level);
        struct store_conn *rc = store_reader_acquire(S);
        struct event_query q = {.limit = 1};
        snprintf(q.type, sizeof q.type, "task.completed");
        struct event_row *rows = NULL;
        int n = 0;
        cr_assert_eq(store_event_list(rc, &q, &rows, &n), ERR_OK);
        store_reader_release(rc);
        cr_assert_eq(n, 1);
        cr_expect_eq(rows[0].depth, level);
        cr_expect(rows[0].from_service);
        json_t *out = json_loads(rows[0].outcome, 0, NULL);
        json_t *tasks = json_object_get(out, "tasks");
        if (level < 3) {
            cr_assert_eq(json_array_size(tasks), 1, "level %d", level);
            snprintf(id, sizeof id, "%s", json_string_value(json_array_get(tasks, 0)));
            struct task t;
            get_task(id, &t);
            cr_expect_str_eq(t.title, titles[level - 1]);
            cr_expect_eq(t.rule_depth, level + 1);
            cr_expect_str_eq(t.rule_id, "rul_loop");
            cr_expect_str_eq(t.event_id, rows[0].id);
            task_clear(&t);
        } else {
            cr_expect_eq(json_array_size(tasks), 0, "the chain stops at the third level");
            cr_expect_eq(json_array_size(json_object_get(out, "matched_rules")), 1);
            const char *note = json_string_value(json_array_get(json_object_get(out, "notes"), 0));
            cr_expect(note && strstr(note, "chain stopped"), "%s", note ? note : "(no note)");
        }
        json_decref(out);
        store_event_rows_free(rows, n);
    }
}

Test(engine, service_events_without_a_matching_rule_are_not_stored)
{
    put_rule("rul_seed", "seed.planted",
             "{\"name\":\"Seed\",\"enabled\":true,\"event_type\":\"seed.planted\",\"conditions\":[],\"task\":"
             "{\"title\":\"Seed\",\"description\":null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,"
             "\"assignee\":null}}");
    put_rule("rul_urgent_done", "task.completed",
             "{\"name\":\"U\",\"enabled\":true,\"event_type\":\"task.completed\",\"conditions\":[{\"field\":"
             "\"data.task.priority\",\"op\":\"eq\",\"value\":\"URGENT\"}],\"task\":{\"title\":\"x\",\"description\":"
             "null,\"priority\":\"LOW\",\"due_in_days\":1,\"sla_hours\":null,\"assignee\":null}}");
    json_t *a = post("evt_seed", "seed.planted", "{}", NULL);
    struct complete_arg c = {json_string_value(json_array_get(json_object_get(a, "tasks"), 0))};
    cr_assert_eq(store_run(S, do_complete, &c), ERR_OK);
    json_decref(a);
    cr_expect_eq(count_events("task.completed"), 0, "a LOW task's completion matched nothing");
}
