/* Unit tests of jobs/sweeper on a real store, once per backend of
 * tests/unit/backends.c, with the clock set (never a sleep): the automatic
 * move to OVERDUE and the SLA breach are each recorded once however often the
 * sweeper runs, a sweep goes on past one batch, idempotency keys older than a
 * day go, and event retention removes old events in batches and keeps new
 * ones. The service's task events are counted through its hook, as the rules
 * engine would see them. */
#include <unistd.h>

#include "store_fixture.h"
#include "jobs/sweeper.h"
#include "service/tasks.h"

/* The service's own events raised during a test, by type. */
static int overdue_events, breach_events, other_events;

static enum err count_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms)
{
    (void)c, (void)t, (void)now_ms;
    if (strcmp(type, "task.overdue") == 0)
        overdue_events++;
    else if (strcmp(type, "sla.breached") == 0)
        breach_events++;
    else
        other_events++;
    return ERR_OK;
}

static void sweeper_setup(const struct backend_fixture *fx)
{
    overdue_events = breach_events = other_events = 0;
    service_set_task_event_hook(count_event);
    setup(fx);
}

static void sweeper_teardown(void)
{
    service_set_task_event_hook(NULL);
    teardown();
}

#define SWEEPER_TEST(name) BACKEND_TEST(sweeper, name, sweeper_setup, sweeper_teardown)

struct create_many {
    int n;
    const char *due;
    double sla_hours; /* 0: none */
    char first_id[TASK_ID_SIZE];
};

static enum err do_create_many(struct store_conn *c, void *arg)
{
    struct create_many *m = arg;
    for (int i = 0; i < m->n; i++) {
        struct task t = {.title = strdup("Chase statement"), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                         .has_sla = m->sla_hours > 0, .sla_hours = m->sla_hours};
        if (!t.title) return ERR_INTERNAL;
        snprintf(t.due_date, sizeof t.due_date, "%s", m->due);
        struct errinfo e = {0};
        enum err rc = service_task_create(c, &t, ACTOR, clock_now_ms(), &e);
        if (rc == ERR_OK && i == 0) memcpy(m->first_id, t.id, TASK_ID_SIZE);
        task_clear(&t);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* Creates n OPEN tasks due `due` (with an SLA of sla_hours when > 0) in one
 * writer job; the first one's id goes to id_out when not NULL. */
static void create_tasks(int n, const char *due, double sla_hours, char *id_out)
{
    struct create_many m = {.n = n, .due = due, .sla_hours = sla_hours};
    cr_assert_eq(store_run(S, do_create_many, &m), ERR_OK);
    if (id_out) memcpy(id_out, m.first_id, TASK_ID_SIZE);
}

/* How many history lines of task id have this type and, when to_json is not
 * NULL, this new value. */
static int history_lines(const char *id, const char *type, const char *to_json)
{
    struct history_entry *h = NULL;
    int n = history(id, &h), k = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(h[i].type, type) == 0 && (!to_json || strcmp(h[i].to_json, to_json) == 0)) k++;
    store_history_free(h, n);
    return k;
}

SWEEPER_TEST(overdue_is_recorded_once_when_the_clock_passes_the_due_date)
{
    char due_today[TASK_ID_SIZE], due_later[TASK_ID_SIZE];
    create_tasks(1, TODAY, 0, due_today);
    create_tasks(1, "2026-06-20", 0, due_later);

    cr_expect_eq(sweeper_run_once(S), 0, "due today is not overdue yet");
    cr_expect_eq(history_lines(due_today, "status_changed", NULL), 0);

    clock_set_ms(NOW + DAY);
    cr_expect_eq(sweeper_run_once(S), 1);
    cr_expect_eq(history_lines(due_today, "status_changed", "\"OVERDUE\""), 1);
    cr_expect_eq(overdue_events, 1, "task.overdue raised once");
    struct task t = get(due_today);
    cr_expect(t.overdue_recorded);
    cr_expect_eq(t.status, TASK_OPEN, "the stored work status stays; OVERDUE is derived");
    task_clear(&t);

    for (int i = 0; i < 3; i++) cr_expect_eq(sweeper_run_once(S), 0, "sweep %d records nothing again", i + 2);
    clock_set_ms(NOW + 3 * DAY);
    cr_expect_eq(sweeper_run_once(S), 0, "nor a later day");
    cr_expect_eq(history_lines(due_today, "status_changed", NULL), 1);
    cr_expect_eq(overdue_events, 1);
    cr_expect_eq(history_lines(due_later, "status_changed", NULL), 0, "not due yet: untouched");
    cr_expect_eq(breach_events + other_events, 0);
}

SWEEPER_TEST(an_sla_breach_is_recorded_once_after_the_deadline)
{
    char id[TASK_ID_SIZE];
    create_tasks(1, "2026-06-20", 1.0, id);

    clock_set_ms(NOW + HOUR);
    cr_expect_eq(sweeper_run_once(S), 0, "at the deadline it is not breached yet");
    clock_set_ms(NOW + HOUR + 1);
    cr_expect_eq(sweeper_run_once(S), 1, "one ms past it, it is");
    cr_expect_eq(history_lines(id, "sla_breached", NULL), 1);
    cr_expect_eq(breach_events, 1);

    clock_set_ms(NOW + 5 * HOUR);
    for (int i = 0; i < 3; i++) cr_expect_eq(sweeper_run_once(S), 0);
    cr_expect_eq(history_lines(id, "sla_breached", NULL), 1, "recorded once only");
    cr_expect_eq(breach_events, 1);
    cr_expect_eq(overdue_events, 0, "due 2026-06-20: not overdue");
}

SWEEPER_TEST(one_sweep_records_every_overdue_task_past_the_first_batch)
{
    const int n = SWEEPER_BATCH + 5;
    create_tasks(n, TODAY, 0, NULL);
    clock_set_ms(NOW + DAY);
    cr_expect_eq(sweeper_run_once(S), n);
    cr_expect_eq(overdue_events, n);
    cr_expect_eq(sweeper_run_once(S), 0);
    struct task_stats st = stats(&(struct task_filter){0}, "2026-06-11", NOW + DAY);
    cr_expect_eq(st.counts[TASK_OVERDUE], n);
}

/* How many of the tasks due TODAY are still unrecorded the day after. */
static int left_unrecorded(void)
{
    char **ids = NULL;
    int n = overdue_unrecorded("2026-06-11", 100000, &ids);
    free_ids(ids, n);
    return n;
}

SWEEPER_TEST(a_stop_ends_a_long_sweep_after_its_batch_and_the_next_sweep_goes_on)
{
    const int n = 8 * SWEEPER_BATCH;
    create_tasks(n, TODAY, 0, NULL);
    clock_set_ms(NOW + DAY);
    struct sweeper *w = sweeper_start(S, 3600, 0);
    cr_assert(w);
    /* the first batch committed (bounded: 20 s) */
    for (int i = 0; i < 4000 && left_unrecorded() == n; i++) usleep(5000);
    sweeper_stop(w);
    int left = left_unrecorded();
    cr_expect(left < n, "the sweep had begun");
    cr_expect(left > 0, "the stop waited for the whole sweep (%d of %d batches)", n / SWEEPER_BATCH, n / SWEEPER_BATCH);
    cr_expect_eq(left % SWEEPER_BATCH, 0, "a batch is its own transaction: whole batches only");
    cr_expect_eq(sweeper_run_once(S), left);
    cr_expect_eq(left_unrecorded(), 0);
}

static enum err put_keys(struct store_conn *c, void *arg)
{
    (void)arg;
    unsigned char h[32] = {1};
    enum err rc = store_idem_put(c, "tok_1", "old", h, 201, "{}", NOW - DAY - 1);
    if (rc == ERR_OK) rc = store_idem_put(c, "tok_1", "fresh", h, 201, "{}", NOW - DAY + 1);
    return rc;
}

static enum err idem_get(const char *key)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    unsigned char h[32];
    int status = 0;
    char *response = NULL;
    enum err rc = store_idem_get(c, "tok_1", key, h, &status, &response);
    free(response);
    store_reader_release(c);
    return rc;
}

SWEEPER_TEST(a_sweep_purges_idempotency_keys_older_than_a_day)
{
    cr_assert_eq(store_run(S, put_keys, NULL), ERR_OK);
    cr_expect_eq(sweeper_run_once(S), 0);
    cr_expect_eq(idem_get("old"), ERR_NOT_FOUND);
    cr_expect_eq(idem_get("fresh"), ERR_OK);
}

struct events { int n; int64_t received_at; const char *prefix; };

static enum err insert_events(struct store_conn *c, void *arg)
{
    struct events *ev = arg;
    for (int i = 0; i < ev->n; i++) {
        struct event_row r = {.occurred_at = ev->received_at, .received_at = ev->received_at,
                              .data = (char *)"{}", .outcome = (char *)"{}"};
        snprintf(r.id, sizeof r.id, "%s%d", ev->prefix, i);
        snprintf(r.type, sizeof r.type, "document.rejected");
        enum err rc = store_event_insert(c, &r);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

static enum err event_get(const char *id)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    struct event_row r;
    enum err rc = store_event_get(c, id, &r);
    if (rc == ERR_OK) store_event_row_clear(&r);
    store_reader_release(c);
    return rc;
}

SWEEPER_TEST(retention_removes_old_events_over_several_batches_and_keeps_newer_ones)
{
    const int old = 2 * SWEEPER_EVENTS_BATCH + 50;
    cr_assert_eq(store_run(S, insert_events, &(struct events){old, NOW - 10 * DAY, "evt_old_"}), ERR_OK);
    cr_assert_eq(store_run(S, insert_events, &(struct events){3, NOW - DAY + 1, "evt_new_"}), ERR_OK);

    cr_expect_eq(sweeper_purge_events(S, NOW - DAY), old);
    cr_expect_eq(event_get("evt_old_0"), ERR_NOT_FOUND);
    char last[32];
    snprintf(last, sizeof last, "evt_old_%d", old - 1);
    cr_expect_eq(event_get(last), ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "evt_new_%d", i);
        cr_expect_eq(event_get(id), ERR_OK, "%s is newer than the cutoff", id);
    }
    cr_expect_eq(sweeper_purge_events(S, NOW - DAY), 0, "nothing left to remove");
}

SWEEPER_TEST(retention_of_an_exact_batch_stops_after_an_empty_one)
{
    cr_assert_eq(store_run(S, insert_events, &(struct events){SWEEPER_EVENTS_BATCH, NOW - 10 * DAY, "evt_"}),
                 ERR_OK);
    cr_expect_eq(sweeper_purge_events(S, NOW - DAY), SWEEPER_EVENTS_BATCH);
    cr_expect_eq(sweeper_purge_events(S, NOW - DAY), 0);
}
