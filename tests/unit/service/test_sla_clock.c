/* Unit tests of the SLA clocks in service/tasks and the sweeper on a real
 * store, once per backend of tests/unit/backends.c, with the clock set:
 * pause and resume over a business-hours calendar, a restart, a breach
 * cleared and breached again (one sla_breached line per breach), the
 * at-risk warning once per clock with its announcement, and the policy by
 * priority at creation and at a priority change. */
#include "store_fixture.h"
#include "jobs/sweeper.h"
#include "service/announce.h"
#include "service/sla.h"
#include "service/tasks.h"

static int at_risk_told, breached_told;

static enum err count_announce(struct store_conn *c, const struct announcement *a)
{
    (void)c;
    at_risk_told += a->type == ANN_SLA_AT_RISK;
    breached_told += a->type == ANN_SLA_BREACHED;
    return ERR_OK;
}

static void clock_setup(const struct backend_fixture *fx)
{
    at_risk_told = breached_told = 0;
    announce_reset();
    announce_add_sink(count_announce);
    setup(fx);
}

static void clock_teardown(void)
{
    announce_reset();
    teardown();
}

#define CLOCK_TEST(name) BACKEND_TEST(sla_clock, name, clock_setup, clock_teardown)

struct create { struct task t; struct errinfo e; };
static enum err do_create(struct store_conn *c, void *arg)
{
    struct create *x = arg;
    return service_task_create(c, &x->t, ACTOR, clock_now_ms(), &x->e);
}

/* Creates a task of priority p with sla_hours h (h < 0: created without
 * sla_hours, the policy's); its id into id. */
static void create(enum task_priority p, double h, char *id)
{
    struct create x = {.t = {.title = strdup("Chase statement"), .priority = p, .status = TASK_OPEN,
                             .has_sla = h > 0, .sla_hours = h > 0 ? h : 0, .sla_by_policy = h < 0}};
    snprintf(x.t.due_date, sizeof x.t.due_date, "2026-12-31");
    cr_assert_eq(store_run(S, do_create, &x), ERR_OK);
    memcpy(id, x.t.id, TASK_ID_SIZE);
    task_clear(&x.t);
}

struct patch { const char *id; struct task_patch p; struct task out; bool changed; struct errinfo e; };
static enum err do_patch(struct store_conn *c, void *arg)
{
    struct patch *x = arg;
    return service_task_patch(c, x->id, &x->p, -1, ACTOR, clock_now_ms(), &x->out, &x->changed, &x->e);
}

static struct task patch(const char *id, struct task_patch p)
{
    struct patch x = {.id = id, .p = p};
    cr_assert_eq(store_run(S, do_patch, &x), ERR_OK);
    return x.out;
}

static int lines(const char *id, const char *type, const char *field)
{
    struct history_entry *h = NULL;
    int n = history(id, &h), k = 0;
    for (int i = 0; i < n; i++) k += strcmp(h[i].type, type) == 0 && (!field || strcmp(h[i].field, field) == 0);
    store_history_free(h, n);
    return k;
}

struct cal { struct sla_calendar cal; };
static enum err do_put_calendar(struct store_conn *c, void *arg)
{
    struct cal *x = arg;
    return service_sla_calendar_put(c, &x->cal, clock_now_ms());
}

CLOCK_TEST(a_pause_over_closed_hours_moves_the_deadline_by_its_working_time_only)
{
    /* Mon-Fri 09:00-18:00 UTC; NOW is Wednesday 2026-06-10 09:00 */
    struct cal x;
    sla_calendar_default(&x.cal);
    x.cal.mode = SLA_BUSINESS_HOURS;
    for (int d = 0; d < 5; d++) x.cal.n_spans[d] = 1, x.cal.spans[d][0] = (struct sla_span){9 * 60, 18 * 60};
    cr_assert_eq(store_run(S, do_put_calendar, &x), ERR_OK);
    char id[TASK_ID_SIZE];
    create(PRIORITY_MEDIUM, 8, id); /* due Wednesday 17:00 */
    struct task t = get(id);
    cr_expect_eq(sla_due_at(&t), NOW + 8 * HOUR);
    task_clear(&t);
    clock_set_ms(NOW + 6 * HOUR); /* 15:00, 2 working hours left */
    t = patch(id, (struct task_patch){.has_waiting = true, .waiting = true});
    cr_expect_eq(t.sla_paused_at, NOW + 6 * HOUR);
    task_clear(&t);
    clock_set_ms(NOW + 25 * HOUR); /* Thursday 10:00: 3 h on Wednesday, 1 h on Thursday */
    t = get(id);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, clock_now_ms()), SLA_OK, "paused: not breached by time passing");
    task_clear(&t);
    t = patch(id, (struct task_patch){.has_waiting = true, .waiting = false});
    cr_expect_eq(t.sla_paused_at, 0);
    cr_expect_eq(t.sla_paused_ms, 4 * HOUR);
    cr_expect_eq(sla_due_at(&t), NOW + 27 * HOUR, "Thursday 12:00: the 2 hours left, from the resume");
    task_clear(&t);
    cr_expect_eq(lines(id, "field_changed", "waiting_on_customer"), 2);
    cr_expect_eq(lines(id, "field_changed", "sla_due_at"), 1);
}

CLOCK_TEST(a_breach_is_cleared_by_a_restart_and_recorded_again_at_the_next_one)
{
    char id[TASK_ID_SIZE];
    create(PRIORITY_HIGH, 1, id);
    clock_set_ms(NOW + HOUR + 1);
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_breached", NULL), 1);
    cr_expect_eq(breached_told, 1);
    struct task t = patch(id, (struct task_patch){.sla_restart = true});
    cr_expect_eq(t.sla_started_at, NOW + HOUR + 1);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, clock_now_ms()), SLA_OK);
    task_clear(&t);
    cr_expect_eq(lines(id, "field_changed", "sla_breached"), 1, "the clearing in the history");
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_breached", NULL), 1, "not breached now: no line");
    clock_set_ms(NOW + 2 * HOUR + 2);
    sweeper_run_once(S);
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_breached", NULL), 2, "one line per breach");
    cr_expect_eq(breached_told, 2, "and announced again");
    /* more hours: the deadline moves later, cleared again */
    t = patch(id, (struct task_patch){.has_sla_hours = true, .sla_hours = 10});
    task_clear(&t);
    cr_expect_eq(lines(id, "field_changed", "sla_breached"), 2);
}

CLOCK_TEST(the_at_risk_warning_is_recorded_once_per_clock_and_announced)
{
    char id[TASK_ID_SIZE];
    create(PRIORITY_HIGH, 10, id);
    clock_set_ms(NOW + 7 * HOUR);
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_at_risk", NULL), 0, "70%: not yet");
    clock_set_ms(NOW + 8 * HOUR);
    sweeper_run_once(S);
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_at_risk", NULL), 1);
    cr_expect_eq(at_risk_told, 1);
    /* a paused clock is not warned again; a restart is a new clock */
    struct task t = patch(id, (struct task_patch){.sla_restart = true});
    task_clear(&t);
    clock_set_ms(NOW + 17 * HOUR);
    sweeper_run_once(S);
    cr_expect_eq(lines(id, "sla_at_risk", NULL), 2);
    cr_expect_eq(at_risk_told, 2);
    char paused[TASK_ID_SIZE];
    create(PRIORITY_HIGH, 1, paused);
    t = patch(paused, (struct task_patch){.has_waiting = true, .waiting = true});
    task_clear(&t);
    clock_set_ms(NOW + 17 * HOUR + 50 * 60000);
    sweeper_run_once(S);
    cr_expect_eq(lines(paused, "sla_at_risk", NULL), 0, "paused: no warning");
}

struct policy { struct sla_policy p; };
static enum err do_put_policy(struct store_conn *c, void *arg)
{
    return service_sla_policy_put(c, &((struct policy *)arg)->p, clock_now_ms());
}

CLOCK_TEST(the_policy_gives_hours_by_priority_and_a_priority_change_restarts_the_clock)
{
    struct policy x;
    sla_policy_default(&x.p);
    x.p.has[PRIORITY_URGENT] = true, x.p.hours[PRIORITY_URGENT] = 4;
    x.p.has[PRIORITY_HIGH] = true, x.p.hours[PRIORITY_HIGH] = 24;
    cr_assert_eq(store_run(S, do_put_policy, &x), ERR_OK);
    char urgent[TASK_ID_SIZE], medium[TASK_ID_SIZE], by_hand[TASK_ID_SIZE];
    create(PRIORITY_URGENT, -1, urgent);
    create(PRIORITY_MEDIUM, -1, medium);
    create(PRIORITY_MEDIUM, 10, by_hand);
    struct task t = get(urgent);
    cr_expect(t.has_sla && t.sla_hours == 4 && t.sla_by_policy);
    task_clear(&t);
    t = get(medium);
    cr_expect(!t.has_sla && t.sla_by_policy);
    task_clear(&t);
    clock_set_ms(NOW + HOUR);
    t = patch(medium, (struct task_patch){.has_priority = true, .priority = PRIORITY_URGENT});
    cr_expect(t.has_sla && t.sla_hours == 4);
    cr_expect_eq(t.sla_started_at, NOW + HOUR, "from the change");
    cr_expect_eq(sla_due_at(&t), NOW + 5 * HOUR);
    task_clear(&t);
    t = patch(by_hand, (struct task_patch){.has_priority = true, .priority = PRIORITY_URGENT});
    cr_expect(t.has_sla && t.sla_hours == 10 && t.sla_started_at == NOW, "hand-set hours stay, the clock too");
    task_clear(&t);
}
