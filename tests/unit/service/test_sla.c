/* Unit tests of service/sla's deadline recompute on a real store: pending
 * from the first task after a calendar PUT until the batches reach the last,
 * finished tasks untouched, a newer calendar starting it again, and breaches
 * judged by the calendar in force for tasks not yet reached. The clock is
 * frozen at NOW, 2026-06-10T09:00:00Z (a Wednesday), in UTC. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "domain/dates.h"
#include "service/sla.h"
#include "service/tasks.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static struct store *S;

static void setup(void)
{
    cr_assert_eq(dates_set_timezone("UTC"), 0);
    clock_set_ms(NOW);
    S = test_store_fresh(NULL);
}

static void teardown(void)
{
    test_store_drop(S);
    S = NULL;
    clock_set_ms(0);
}

TestSuite(sla_recompute, .init = setup, .fini = teardown);

/* n tasks created i minutes before NOW with 1 + i % 50 SLA hours, stamped in
 * calendar hours as before any calendar; every 10th COMPLETED. */
struct seed {
    int n;
    char (*ids)[TASK_ID_SIZE];
};

static enum err do_seed(struct store_conn *c, void *arg)
{
    struct seed *sd = arg;
    for (int i = 0; i < sd->n; i++) {
        int64_t created = NOW - (int64_t)(i + 1) * 60000;
        struct task t = {.title = strdup("Seeded"), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN,
                         .has_sla = true, .sla_hours = 1 + i % 50, .source = SOURCE_MANUAL,
                         .created_at = created, .updated_at = created, .version = 1};
        if (i % 10 == 9) t.status = TASK_COMPLETED, t.started_at = created + 1, t.completed_at = created + 2;
        ids_new("tsk_", created, t.id, sizeof t.id);
        snprintf(t.due_date, sizeof t.due_date, "2026-07-01");
        sla_stamp(&t, NULL);
        memcpy(sd->ids[i], t.id, TASK_ID_SIZE);
        enum err rc = store_task_insert(c, &t);
        task_clear(&t);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

static struct seed seed(int n)
{
    struct seed sd = {.n = n, .ids = calloc((size_t)n, TASK_ID_SIZE)};
    cr_assert_not_null(sd.ids);
    cr_assert_eq(store_run(S, do_seed, &sd), ERR_OK);
    return sd;
}

/* Every hour works except the three days from today. */
static void always_but_three_days(struct sla_calendar *cal)
{
    sla_calendar_default(cal);
    cal->mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 7; d++) cal->spans[d][cal->n_spans[d]++] = (struct sla_span){0, 24 * 60};
    for (int k = 0; k < 3; k++) cal->holidays[cal->n_holidays++] = dates_to_days("2026-06-10") + k;
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(cal, &e), ERR_OK);
}

static void office(struct sla_calendar *cal)
{
    sla_calendar_default(cal);
    cal->mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 5; d++) cal->spans[d][cal->n_spans[d]++] = (struct sla_span){9 * 60, 17 * 60};
    struct errinfo e = {0};
    cr_assert_eq(sla_calendar_normalize(cal, &e), ERR_OK);
}

static enum err do_put(struct store_conn *c, void *arg) { return service_sla_calendar_put(c, arg, clock_now_ms()); }

struct batch {
    long recomputed;
    bool more;
};

static enum err do_batch(struct store_conn *c, void *arg)
{
    struct batch *b = arg;
    return service_sla_recompute_batch(c, &b->recomputed, &b->more);
}

/* Runs batches until none remain; returns how many ran. */
static int run_all(long *recomputed)
{
    struct batch b = {0};
    for (int i = 1; i <= 10000; i++) {
        cr_assert_eq(store_run(S, do_batch, &b), ERR_OK);
        if (!b.more) {
            if (recomputed) *recomputed = b.recomputed;
            return i;
        }
    }
    cr_assert_fail("the recompute did not end");
    return 0;
}

static void cursor(char after[TASK_ID_SIZE], bool *pending)
{
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    cr_assert_eq(store_sla_recompute_get(c, after, pending), ERR_OK);
    store_reader_release(c);
}

static struct task get(const char *id)
{
    struct store_conn *c = store_reader_acquire(S);
    struct task t;
    cr_assert_eq(store_task_get(c, id, &t), ERR_OK);
    store_reader_release(c);
    return t;
}

/* Every active task follows cal; the finished ones keep calendar hours. */
static void expect_deadlines(const struct seed *sd, const struct sla_calendar *cal)
{
    for (int i = 0; i < sd->n; i++) {
        struct task t = get(sd->ids[i]);
        int64_t plain = t.created_at + (int64_t)(t.sla_hours * HOUR);
        if (t.status == TASK_COMPLETED) {
            cr_expect_eq(sla_due_at(&t), plain, "task %d, completed, kept its deadline", i);
        } else {
            cr_expect_eq(sla_due_at(&t), sla_calendar_add(cal, t.created_at, t.sla_hours), "task %d", i);
            cr_expect_eq(sla_risk_at(&t), sla_calendar_add(cal, t.created_at, t.sla_hours * SLA_RISK_FRACTION),
                         "task %d", i);
        }
        task_clear(&t);
    }
}

Test(sla_recompute, a_calendar_put_is_pending_until_the_batches_reach_the_last_task)
{
    struct seed sd = seed(500);
    char after[TASK_ID_SIZE];
    bool pending;
    cursor(after, &pending);
    cr_expect_not(pending, "nothing to do before a calendar");
    struct sla_calendar cal;
    always_but_three_days(&cal);
    cr_assert_eq(store_run(S, do_put, &cal), ERR_OK);
    cursor(after, &pending);
    cr_expect(pending);
    cr_expect_str_eq(after, "", "from the first task");
    long moved = 0;
    run_all(&moved);
    cr_expect_eq(moved, 450, "the 450 active tasks moved, the 50 completed did not");
    cursor(after, &pending);
    cr_expect_not(pending);
    expect_deadlines(&sd, &cal);
    free(sd.ids);
}

Test(sla_recompute, a_batch_stops_at_its_size_and_a_newer_calendar_starts_again)
{
    struct seed sd = seed(SLA_RECOMPUTE_BATCH + 700);
    struct sla_calendar a, b;
    office(&a);
    always_but_three_days(&b);
    cr_assert_eq(store_run(S, do_put, &a), ERR_OK);
    struct batch one = {0};
    cr_assert_eq(store_run(S, do_batch, &one), ERR_OK);
    cr_expect(one.more);
    cr_expect_leq(one.recomputed, SLA_RECOMPUTE_BATCH);
    char after[TASK_ID_SIZE];
    bool pending;
    cursor(after, &pending);
    cr_expect(pending);
    cr_expect_str_neq(after, "", "the cursor moved");
    /* the newer calendar: from the first task again, with it */
    cr_assert_eq(store_run(S, do_put, &b), ERR_OK);
    cursor(after, &pending);
    cr_expect(pending);
    cr_expect_str_eq(after, "");
    run_all(NULL);
    expect_deadlines(&sd, &b);
    free(sd.ids);
}

struct breach {
    const char *id;
    bool recorded;
};

static enum err do_breach(struct store_conn *c, void *arg)
{
    struct breach *x = arg;
    return service_task_record_sla_breach(c, x->id, clock_now_ms(), &x->recorded);
}

Test(sla_recompute, a_task_not_yet_recomputed_is_judged_by_the_calendar_in_force)
{
    /* task 100: created 101 minutes ago with 1 SLA hour, due 41 minutes ago
     * in calendar hours; with today and the next two days off it is due
     * 2026-06-13 01:00 */
    struct seed sd = seed(120);
    const char *id = sd.ids[100];
    struct task t = get(id);
    cr_assert_eq(t.status, TASK_OPEN);
    cr_assert_lt(sla_due_at(&t), NOW);
    task_clear(&t);
    struct sla_calendar cal;
    always_but_three_days(&cal);
    cr_assert_eq(store_run(S, do_put, &cal), ERR_OK);
    struct breach x = {.id = id};
    cr_assert_eq(store_run(S, do_breach, &x), ERR_OK);
    cr_expect_not(x.recorded, "no breach of the deadline the new calendar moved");
    t = get(id);
    cr_expect_eq(sla_due_at(&t), dates_to_days("2026-06-13") * DAY + 1 * HOUR, "the new deadline is stored");
    task_clear(&t);
    /* after the recompute, a deadline that has passed is a breach */
    run_all(NULL);
    clock_set_ms(dates_to_days("2026-06-13") * DAY + 2 * HOUR);
    cr_assert_eq(store_run(S, do_breach, &x), ERR_OK);
    cr_expect(x.recorded);
    free(sd.ids);
}

static enum err do_load(struct store_conn *c, void *arg) { return service_sla_calendar_load(c, arg); }

/* What another instance on the same database does: it stores the text, and
 * this process's parsed copy is not told. */
static enum err do_raw_put(struct store_conn *c, void *arg) { return store_sla_calendar_put(c, arg, clock_now_ms()); }

Test(sla_recompute, the_parsed_calendar_follows_the_stored_text_whoever_stored_it)
{
    struct sla_calendar put, got;
    office(&put);
    cr_assert_eq(store_run(S, do_put, &put), ERR_OK);
    for (int i = 0; i < 2; i++) { /* parsed, then served from the parsed copy */
        cr_assert_eq(store_run(S, do_load, &got), ERR_OK);
        cr_expect_eq(got.mode, SLA_BUSINESS_HOURS);
        cr_expect_eq(got.n_spans[0], 1);
        cr_expect_eq(sla_calendar_add(&got, NOW, 1), sla_calendar_add(&put, NOW, 1));
    }
    char other[] = "{\"mode\":\"calendar_hours\",\"weekly\":{},\"holidays\":[]}";
    cr_assert_eq(store_run(S, do_raw_put, other), ERR_OK);
    cr_assert_eq(store_run(S, do_load, &got), ERR_OK);
    cr_expect_eq(got.mode, SLA_CALENDAR_HOURS, "the text stored behind the process's back wins");
    cr_expect_eq(sla_calendar_add(&got, NOW, 1), NOW + HOUR);
    /* and from a reader connection too */
    struct store_conn *c = store_reader_acquire(S);
    cr_assert_not_null(c);
    cr_assert_eq(service_sla_calendar_load(c, &got), ERR_OK);
    store_reader_release(c);
    cr_expect_eq(got.mode, SLA_CALENDAR_HOURS);
}
