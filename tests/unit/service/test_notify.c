/* Unit tests of the notifications sink (service/notify.c) on a real store,
 * once per backend: what each announcement writes (assigned, mentioned,
 * sla_at_risk, called directly as the sweeper will), whom it skips, that a
 * job which fails after announcing leaves nothing, and the email state the
 * insert decides from the address and the switch. */
#include "store_fixture.h"
#include "service/notify.h"
#include "service/tasks.h"

struct ann_job {
    struct announcement a;
    struct task t;
    struct task_comment cm;
    enum err fail_after; /* ERR_OK: commit; else the job fails after announcing */
};

static enum err do_announce(struct store_conn *c, void *arg)
{
    struct ann_job *j = arg;
    enum err rc = announce(c, &j->a);
    return rc != ERR_OK ? rc : j->fail_after;
}

static enum err do_settings(struct store_conn *c, void *arg)
{
    return store_notification_settings_put(c, "sta_b", arg, NOW);
}

static void people(void)
{
    announce_reset();
    announce_add_sink(notify_sink);
    struct put_staff a = {.id = "sta_a", .name = "Ann", .email = "a@example.com", .active = true, .at = NOW};
    struct put_staff b = {.id = "sta_b", .name = "Bob", .email = "b@example.com", .active = true, .at = NOW};
    struct put_staff n = {.id = "sta_n", .name = "No Mail", .active = true, .at = NOW};
    cr_assert_eq(store_run(S, do_put_staff, &a), ERR_OK);
    cr_assert_eq(store_run(S, do_put_staff, &b), ERR_OK);
    cr_assert_eq(store_run(S, do_put_staff, &n), ERR_OK);
}

static struct ann_job job(enum announce_type type, const char *assignee, const char *actor)
{
    struct ann_job j = {.a = {.type = type, .at = clock_now_ms(), .actor = actor}};
    snprintf(j.t.id, sizeof j.t.id, "tsk_01J00000000000000000000001");
    snprintf(j.t.assignee_id, sizeof j.t.assignee_id, "%s", assignee);
    j.a.task = &j.t;
    return j;
}

static int list(const char *staff, struct notification_row **out, int64_t *unread)
{
    struct store_conn *c = store_reader_acquire(S);
    int n = 0;
    cr_assert_eq(store_notification_list(c, staff, "", 50, out, &n, unread), ERR_OK);
    store_reader_release(c);
    return n;
}

struct claim_job { struct mail_item *items; int n; int64_t now; };
static enum err do_claim(struct store_conn *c, void *arg)
{
    struct claim_job *k = arg;
    return store_mail_claim(c, "test", k->now, k->now + 60000, 50, &k->items, &k->n);
}

STORE_TEST(notify, sla_at_risk_is_kept_for_the_assignee_and_emailed)
{
    people();
    struct ann_job j = job(ANN_SLA_AT_RISK, "sta_a", "system");
    cr_assert_eq(store_run(S, do_announce, &j), ERR_OK);
    struct ann_job none = job(ANN_SLA_AT_RISK, "", "system"); /* nobody to tell */
    cr_assert_eq(store_run(S, do_announce, &none), ERR_OK);
    struct notification_row *rows;
    int64_t unread;
    cr_assert_eq(list("sta_a", &rows, &unread), 1);
    cr_expect_str_eq(rows[0].type, "sla_at_risk");
    cr_expect_str_eq(rows[0].task_id, "tsk_01J00000000000000000000001");
    cr_expect_eq(rows[0].created_at, NOW);
    cr_expect_eq(rows[0].read_at, 0);
    cr_expect_eq(unread, 1);
    free(rows);
    struct claim_job k = {.now = NOW};
    cr_assert_eq(store_run(S, do_claim, &k), ERR_OK);
    cr_assert_eq(k.n, 1);
    cr_expect_str_eq(k.items[0].type, "sla_at_risk");
    cr_expect_str_eq(k.items[0].staff_id, "sta_a");
    free(k.items);
    /* leased: a second claim (another instance) gets nothing */
    struct claim_job k2 = {.now = NOW + 1000};
    cr_assert_eq(store_run(S, do_claim, &k2), ERR_OK);
    cr_expect_eq(k2.n, 0);
    free(k2.items);
    /* until the lease lapses */
    struct claim_job k3 = {.now = NOW + 61000};
    cr_assert_eq(store_run(S, do_claim, &k3), ERR_OK);
    cr_expect_eq(k3.n, 1);
    free(k3.items);
}

STORE_TEST(notify, a_change_that_rolls_back_leaves_no_notification)
{
    people();
    struct ann_job j = job(ANN_TASK_ASSIGNED, "sta_a", "sta_b");
    j.fail_after = ERR_VALIDATION_FAILED;
    cr_assert_eq(store_run(S, do_announce, &j), ERR_VALIDATION_FAILED);
    struct notification_row *rows;
    int64_t unread;
    cr_expect_eq(list("sta_a", &rows, &unread), 0);
    cr_expect_eq(unread, 0);
    free(rows);
}

STORE_TEST(notify, nobody_is_told_of_their_own_doing)
{
    people();
    struct ann_job self = job(ANN_TASK_ASSIGNED, "sta_a", "sta_a");
    cr_assert_eq(store_run(S, do_announce, &self), ERR_OK);
    struct ann_job cm = job(ANN_COMMENT_CREATED, "", "sta_a");
    snprintf(cm.cm.author, sizeof cm.cm.author, "sta_a");
    snprintf(cm.cm.task_id, sizeof cm.cm.task_id, "%s", cm.t.id);
    cm.cm.mentions = "[\"sta_a\", \"sta_b\", \"sta_nobody\"]";
    cm.a.comment = &cm.cm;
    cr_assert_eq(store_run(S, do_announce, &cm), ERR_OK);
    struct notification_row *rows;
    int64_t unread;
    cr_expect_eq(list("sta_a", &rows, &unread), 0);
    free(rows);
    cr_assert_eq(list("sta_b", &rows, &unread), 1);
    cr_expect_str_eq(rows[0].type, "mentioned");
    cr_expect_str_eq(rows[0].actor, "sta_a");
    free(rows);
    cr_expect_eq(list("sta_nobody", &rows, &unread), 0); /* not staff: nothing kept */
    free(rows);
}

STORE_TEST(notify, the_email_is_pending_only_with_an_address_and_the_switch_on)
{
    people();
    struct notification_settings off = {.assigned = false, .mentioned = true, .sla_at_risk = true,
                                        .daily_digest = true};
    cr_assert_eq(store_run(S, do_settings, &off), ERR_OK);
    const char *to[] = {"sta_a", "sta_b", "sta_n"};
    for (int i = 0; i < 3; i++) {
        struct ann_job j = job(ANN_TASK_ASSIGNED, to[i], "system");
        cr_assert_eq(store_run(S, do_announce, &j), ERR_OK);
    }
    struct ann_job risk = job(ANN_SLA_AT_RISK, "sta_b", "system"); /* Bob's at-risk switch is on */
    cr_assert_eq(store_run(S, do_announce, &risk), ERR_OK);
    struct claim_job k = {.now = NOW};
    cr_assert_eq(store_run(S, do_claim, &k), ERR_OK);
    cr_assert_eq(k.n, 2);
    bool a_assigned = false, b_risk = false;
    for (int i = 0; i < k.n; i++) {
        a_assigned |= strcmp(k.items[i].staff_id, "sta_a") == 0 && strcmp(k.items[i].type, "assigned") == 0;
        b_risk |= strcmp(k.items[i].staff_id, "sta_b") == 0 && strcmp(k.items[i].type, "sla_at_risk") == 0;
    }
    cr_expect(a_assigned && b_risk);
    free(k.items);
    /* every one of them is in the in-app list all the same */
    struct notification_row *rows;
    int64_t unread;
    cr_expect_eq(list("sta_n", &rows, &unread), 1);
    free(rows);
    cr_expect_eq(list("sta_b", &rows, &unread), 2);
    free(rows);
}
