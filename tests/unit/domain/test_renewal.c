/* Unit tests of domain/renewal: the policy's rules and the threshold
 * arithmetic of the renewals engine, with "today" given as a day,
 * as the engine passes it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/renewal.h"

#define HOUR 3600000LL
#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */

static struct renewal_policy policy(void)
{
    struct renewal_policy p;
    renewal_policy_default(&p);
    return p;
}

/* today = expires_on - days */
static void days_before(const char *expires_on, int days, char out[DATE_SIZE])
{
    dates_from_days(dates_to_days(expires_on) - days, out);
}

Test(renewal_policy, the_defaults_are_valid_and_sorted_least_urgent_first)
{
    struct renewal_policy p = policy();
    struct errinfo e = {0};
    cr_assert_eq(renewal_policy_validate(&p, &e), ERR_OK, "%s", e.message);
    cr_expect_eq(p.n, 4);
    int want[] = {90, 60, 30, 14};
    for (int i = 0; i < 4; i++) cr_expect_eq(p.t[i].days_before, want[i]);
    cr_expect(p.t[3].has_sla && p.t[3].sla_hours == 24);
    cr_expect_eq(p.t[3].priority, PRIORITY_URGENT);
}

Test(renewal_policy, thresholds_given_in_any_order_are_sorted)
{
    struct renewal_policy p = policy();
    struct renewal_threshold t = p.t[0];
    p.t[0] = p.t[3];
    p.t[3] = t;
    struct errinfo e = {0};
    cr_assert_eq(renewal_policy_validate(&p, &e), ERR_OK, "%s", e.message);
    cr_expect_eq(p.t[0].days_before, 90);
    cr_expect_eq(p.t[3].days_before, 14);
}

static void expect_refused(struct renewal_policy *p, const char *field)
{
    struct errinfo e = {0};
    cr_expect_eq(renewal_policy_validate(p, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, field);
}

Test(renewal_policy, no_threshold_is_refused)
{
    struct renewal_policy p = policy();
    p.n = 0;
    expect_refused(&p, "thresholds");
}

Test(renewal_policy, repeated_days_before_is_refused)
{
    struct renewal_policy p = policy();
    p.t[2].days_before = 60;
    expect_refused(&p, "thresholds[2].days_before");
}

Test(renewal_policy, days_before_must_be_positive)
{
    struct renewal_policy p = policy();
    p.t[3].days_before = 0;
    expect_refused(&p, "thresholds[3].days_before");
    p = policy();
    p.t[1].days_before = -5;
    expect_refused(&p, "thresholds[1].days_before");
}

Test(renewal_policy, a_priority_falling_as_expiry_nears_is_refused)
{
    struct renewal_policy p = policy();
    p.t[3].priority = PRIORITY_HIGH; /* 14 days HIGH after 30 days HIGH: equal is fine */
    struct errinfo e = {0};
    cr_expect_eq(renewal_policy_validate(&p, &e), ERR_OK);
    p.t[3].priority = PRIORITY_MEDIUM; /* 14 days MEDIUM after 30 days HIGH */
    expect_refused(&p, "thresholds");
}

Test(renewal_policy, bad_sla_and_due_in_days_are_refused_naming_the_threshold)
{
    struct renewal_policy p = policy();
    p.t[3].sla_hours = 0;
    expect_refused(&p, "thresholds[3].sla_hours");
    p = policy();
    p.t[0].due_in_days = -1;
    expect_refused(&p, "thresholds[0].due_in_days");
}

Test(renewal_policy, title_may_use_only_the_three_placeholders)
{
    struct renewal_policy p = policy();
    snprintf(p.title, sizeof p.title, "Renew {kind} {customer}");
    expect_refused(&p, "title");
    snprintf(p.title, sizeof p.title, "Renew }");
    expect_refused(&p, "title");
    snprintf(p.title, sizeof p.title, "   ");
    expect_refused(&p, "title");
    snprintf(p.title, sizeof p.title, "{kind}: {customer_name}, {expires_on}");
    struct errinfo e = {0};
    cr_expect_eq(renewal_policy_validate(&p, &e), ERR_OK, "%s", e.message);
}

Test(renewal_item, kind_and_expiry_rules)
{
    struct errinfo e = {0};
    cr_expect_eq(renewal_validate_kind("residence_permit", &e), ERR_OK);
    cr_expect_eq(renewal_validate_kind("", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(renewal_validate_kind("Residence Permit", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "kind");
    cr_expect_eq(renewal_validate_expires_on("2028-02-29", &e), ERR_OK);
    cr_expect_eq(renewal_validate_expires_on("2027-02-29", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "expires_on");
    cr_expect_eq(renewal_validate_expires_on("2027-3-01", &e), ERR_VALIDATION_FAILED);
}

Test(renewal_crossing, each_threshold_acts_on_its_day_and_not_the_day_before)
{
    struct renewal_policy p = policy();
    const char *exp = "2027-03-01";
    char today[DATE_SIZE];
    /* walking towards expiry, acting as the engine would */
    int acted = RENEWAL_NONE_ACTED;
    for (int i = 0; i < p.n; i++) {
        int d = p.t[i].days_before;
        days_before(exp, d + 1, today);
        cr_expect_eq(renewal_threshold_to_act(&p, exp, today, acted), -1, "the day before the %d-day threshold", d);
        days_before(exp, d, today);
        cr_expect_eq(renewal_threshold_to_act(&p, exp, today, acted), i, "on the day of the %d-day threshold", d);
        acted = d;
        cr_expect_eq(renewal_threshold_to_act(&p, exp, today, acted), -1, "acted once only");
    }
    cr_expect_eq(renewal_threshold_to_act(&p, exp, exp, acted), -1, "nothing is left on the expiry day");
}

Test(renewal_crossing, catch_up_acts_only_on_the_most_urgent_crossed_threshold)
{
    struct renewal_policy p = policy();
    const char *exp = "2027-03-01";
    char today[DATE_SIZE];
    days_before(exp, 20, today); /* registered 20 days before expiry: 90, 60 and 30 crossed */
    int i = renewal_threshold_to_act(&p, exp, today, RENEWAL_NONE_ACTED);
    cr_assert_geq(i, 0);
    cr_expect_eq(p.t[i].days_before, 30);
    /* down for weeks after acting at 90: only 14 acts, 60 and 30 are passed over */
    days_before(exp, 3, today);
    i = renewal_threshold_to_act(&p, exp, today, 90);
    cr_assert_geq(i, 0);
    cr_expect_eq(p.t[i].days_before, 14);
    /* an item long expired still gets its most urgent threshold, once */
    i = renewal_threshold_to_act(&p, "2020-01-01", "2026-06-10", RENEWAL_NONE_ACTED);
    cr_expect_eq(p.t[i].days_before, 14);
    cr_expect_eq(renewal_threshold_to_act(&p, "2020-01-01", "2026-06-10", 14), -1);
}

Test(renewal_crossing, a_threshold_added_less_urgent_than_one_acted_never_acts)
{
    struct renewal_policy p = policy();
    char today[DATE_SIZE];
    days_before("2027-03-01", 20, today);
    cr_expect_eq(renewal_threshold_to_act(&p, "2027-03-01", today, 14), -1);
}

Test(renewal_crossing, next_due_is_the_crossing_day_of_the_next_threshold)
{
    struct renewal_policy p = policy();
    char next[DATE_SIZE];
    renewal_next_due(&p, "2027-03-01", RENEWAL_NONE_ACTED, next);
    cr_expect_str_eq(next, "2026-12-01"); /* 90 days before */
    renewal_next_due(&p, "2027-03-01", 90, next);
    cr_expect_str_eq(next, "2026-12-31"); /* 60 days before */
    renewal_next_due(&p, "2027-03-01", 30, next);
    cr_expect_str_eq(next, "2027-02-15"); /* 14 days before */
    renewal_next_due(&p, "2027-03-01", 14, next);
    cr_expect_str_eq(next, "");
}

Test(renewal_crossing, leap_days_count_like_any_other_day)
{
    char d[DATE_SIZE];
    renewal_crossing_day("2028-03-01", 1, d);
    cr_expect_str_eq(d, "2028-02-29");
    renewal_crossing_day("2027-03-01", 1, d);
    cr_expect_str_eq(d, "2027-02-28");
    renewal_crossing_day("2028-03-30", 30, d);
    cr_expect_str_eq(d, "2028-02-29");
    renewal_crossing_day("2028-05-29", 90, d);
    cr_expect_str_eq(d, "2028-02-29");
    /* an item expiring on a leap day */
    struct renewal_policy p = policy();
    int i = renewal_threshold_to_act(&p, "2028-02-29", "2028-02-14", RENEWAL_NONE_ACTED);
    cr_expect_eq(p.t[i].days_before, 30, "15 days before a leap-day expiry: the 14-day threshold is not crossed");
    i = renewal_threshold_to_act(&p, "2028-02-29", "2028-02-15", RENEWAL_NONE_ACTED);
    cr_expect_eq(p.t[i].days_before, 14);
}

Test(renewal_task, due_is_crossing_day_plus_due_in_days_never_after_expiry)
{
    struct renewal_threshold t = {30, PRIORITY_HIGH, 7, false, 0};
    char due[DATE_SIZE];
    renewal_task_due(&t, "2027-03-01", "2027-01-30", due);
    cr_expect_str_eq(due, "2027-02-06"); /* 2027-01-30 + 7 */
    t.due_in_days = 40;
    renewal_task_due(&t, "2027-03-01", "2027-01-30", due);
    cr_expect_str_eq(due, "2027-03-01");
    t.days_before = 14, t.due_in_days = 2;
    renewal_task_due(&t, "2028-03-14", "2028-02-29", due);
    cr_expect_str_eq(due, "2028-03-02"); /* 2028-02-29 + 2 */
}

Test(renewal_task, a_crossing_caught_up_late_counts_from_the_day_it_is_acted_on)
{
    struct renewal_threshold t = {30, PRIORITY_HIGH, 7, false, 0};
    char due[DATE_SIZE];
    renewal_task_due(&t, "2027-03-01", "2027-02-09", due); /* registered 20 days before expiry */
    cr_expect_str_eq(due, "2027-02-16");
    renewal_task_due(&t, "2027-03-01", "2027-02-27", due);
    cr_expect_str_eq(due, "2027-03-01", "never after the expiry date");
    renewal_task_due(&t, "2020-01-01", "2026-06-10", due);
    cr_expect_str_eq(due, "2026-06-10", "an item already expired: due today, not on its past expiry date");
    renewal_task_due(&t, "2026-06-10", "2026-06-10", due);
    cr_expect_str_eq(due, "2026-06-10", "expiring today: due today");
}

Test(renewal_task, an_expired_item_acts_urgent_whatever_the_threshold_says)
{
    struct renewal_policy p = {.n = 1, .t = {{30, PRIORITY_LOW, 10, false, 0}}};
    struct renewal_threshold th;
    renewal_threshold_terms(&p, 0, "2026-06-09", "2026-06-10", &th);
    cr_expect_eq(th.priority, PRIORITY_URGENT);
    cr_expect_eq(th.days_before, 30);
    cr_expect_eq(th.due_in_days, 10);
    renewal_threshold_terms(&p, 0, "2026-06-10", "2026-06-10", &th);
    cr_expect_eq(th.priority, PRIORITY_LOW, "on its expiry day it has not expired yet");
    renewal_threshold_terms(&p, 0, "2026-06-20", "2026-06-10", &th);
    cr_expect_eq(th.priority, PRIORITY_LOW);
    cr_expect_eq(renewal_days_expired("2026-06-05", "2026-06-10"), 5);
    cr_expect_eq(renewal_days_expired("2028-03-01", "2028-02-28"), -2, "leap day counted");
}

Test(renewal_task, kinds_read_as_words)
{
    char out[RENEWAL_KIND_MAX + 1];
    renewal_kind_words("residence_permit", out);
    cr_expect_str_eq(out, "residence permit");
    renewal_kind_words("passport", out);
    cr_expect_str_eq(out, "passport");
    renewal_kind_words("a_b_c_1", out);
    cr_expect_str_eq(out, "a b c 1");
}

static struct renewal_item item(const char *kind, const char *expires_on)
{
    struct renewal_item it = {0};
    snprintf(it.id, sizeof it.id, "ren_1");
    snprintf(it.customer_id, sizeof it.customer_id, "cus_1");
    snprintf(it.kind, sizeof it.kind, "%s", kind);
    snprintf(it.expires_on, sizeof it.expires_on, "%s", expires_on);
    return it;
}

Test(renewal_task, the_description_says_why_the_task_exists)
{
    char out[RENEWAL_DESCRIPTION_SIZE];
    struct renewal_item it = item("residence_permit", "2026-06-30");
    renewal_render_description(&it, "Ayşe Yılmaz", 30, "2026-06-10", out);
    cr_expect_str_eq(out, "Residence permit of Ayşe Yılmaz expires on 2026-06-30 (in 20 days). This task exists "
                          "because the renewal threshold of 30 days before expiry was crossed.\nRenewal item: ren_1.");
    it = item("passport", "2026-06-11");
    renewal_render_description(&it, "Bo", 14, "2026-06-10", out);
    cr_expect(strstr(out, "Passport of Bo expires on 2026-06-11 (in 1 day)."), "%s", out);
    it = item("passport", "2026-06-10");
    renewal_render_description(&it, "Bo", 14, "2026-06-10", out);
    cr_expect(strstr(out, "expires on 2026-06-10 (today)"), "%s", out);
}

Test(renewal_task, the_description_of_an_expired_item_says_how_long_ago)
{
    char out[RENEWAL_DESCRIPTION_SIZE];
    struct renewal_item it = item("residence_permit", "2026-06-05");
    renewal_render_description(&it, "Ana", 14, "2026-06-10", out);
    cr_expect(strstr(out, "Residence permit of Ana expired 5 days ago (on 2026-06-05)."), "%s", out);
    cr_expect(strstr(out, "URGENT and due today"), "%s", out);
    it = item("passport", "2026-06-09");
    renewal_render_description(&it, "Ana", 14, "2026-06-10", out);
    cr_expect(strstr(out, "expired 1 day ago"), "%s", out);
}

Test(renewal_task, the_description_survives_odd_customer_names)
{
    char out[RENEWAL_DESCRIPTION_SIZE], name[2000];
    struct renewal_item it = item("passport", "2026-06-30");
    renewal_render_description(&it, "", 30, "2026-06-10", out);
    cr_expect(strstr(out, "Passport of cus_1 expires"), "no name: the customer's id: %s", out);
    renewal_render_description(&it, "A\tB\nC", 30, "2026-06-10", out);
    cr_expect(strstr(out, "of A B C expires"), "control characters as spaces: %s", out);
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = 0;
    renewal_render_description(&it, name, 30, "2026-06-10", out);
    cr_expect(strlen(out) < RENEWAL_DESCRIPTION_SIZE - 1 && strstr(out, "Renewal item: ren_1."),
              "a long name is cut, the rest stays");
}

Test(renewal_task, the_next_threshold_is_the_one_acting_now_else_the_next_to_cross)
{
    struct renewal_policy p = policy();
    /* 100 days out, nothing acted: 90 is next */
    int i = renewal_next_threshold(&p, "2026-09-18", "2026-06-10", RENEWAL_NONE_ACTED);
    cr_assert_geq(i, 0);
    cr_expect_eq(p.t[i].days_before, 90);
    /* 20 days out, nothing acted: 30 acts now */
    i = renewal_next_threshold(&p, "2026-06-30", "2026-06-10", RENEWAL_NONE_ACTED);
    cr_expect_eq(p.t[i].days_before, 30);
    /* 20 days out, 30 acted: 14 is next */
    i = renewal_next_threshold(&p, "2026-06-30", "2026-06-10", 30);
    cr_expect_eq(p.t[i].days_before, 14);
    /* expired, 14 acted: none left */
    cr_expect_eq(renewal_next_threshold(&p, "2026-06-01", "2026-06-10", 14), -1);
}

Test(renewal_task, title_is_rendered_from_the_template)
{
    char out[RENEWAL_TITLE_SIZE];
    renewal_render_title("Renew {kind} for {customer_name} (expires {expires_on})", "passport", "Ana Díaz",
                         "2027-03-01", out);
    cr_expect_str_eq(out, "Renew passport for Ana Díaz (expires 2027-03-01)");
    renewal_render_title("{customer_name}", "passport", "  ", "2027-03-01", out);
    cr_expect_str_eq(out, "Renew passport", "a blank title falls back");
    renewal_render_title("{customer_name}!", "passport", "a\tb", "2027-03-01", out);
    cr_expect_str_eq(out, "a b!");
}

Test(renewal_task, a_long_customer_name_is_cut_to_200_characters)
{
    char name[700], out[RENEWAL_TITLE_SIZE];
    for (int i = 0; i < 300; i++) memcpy(name + 2 * i, "é", 2);
    name[600] = 0;
    renewal_render_title("Renew {kind} for {customer_name}", "passport", name, "2027-03-01", out);
    cr_expect_eq(task_utf8_length(out), 200);
    char *title = NULL;
    struct errinfo e = {0};
    cr_expect_eq(task_validate_title(out, &title, &e), ERR_OK, "%s", e.message);
    free(title);
}

static struct task active_task(enum task_priority prio, const char *due)
{
    struct task t = {.priority = prio, .status = TASK_OPEN, .created_at = NOW - 30 * 24 * HOUR};
    snprintf(t.due_date, sizeof t.due_date, "%s", due);
    return t;
}

Test(renewal_escalation, raises_priority_pulls_due_date_in_and_sets_the_thresholds_sla_hours_as_given)
{
    struct task t = active_task(PRIORITY_HIGH, "2026-06-20");
    struct renewal_threshold th = {14, PRIORITY_URGENT, 2, true, 24};
    struct renewal_escalation x;
    renewal_escalate(&t, &th, "2026-06-12", NOW, &x);
    cr_expect(x.raise_priority);
    cr_expect_eq(x.priority, PRIORITY_URGENT);
    cr_expect(x.pull_due);
    cr_expect_str_eq(x.due_date, "2026-06-12");
    cr_expect(x.set_sla);
    cr_expect_eq(x.sla_hours, 24, "the threshold's hours as given: the clock restarts at the escalation");
}

Test(renewal_escalation, never_relaxes_anything)
{
    struct task t = active_task(PRIORITY_URGENT, "2026-06-11");
    t.has_sla = true;
    t.sla_hours = 1; /* its deadline passed long ago */
    struct renewal_threshold th = {14, PRIORITY_HIGH, 2, true, 24};
    struct renewal_escalation x;
    renewal_escalate(&t, &th, "2026-06-12", NOW, &x);
    cr_expect(!x.raise_priority);
    cr_expect(!x.pull_due);
    cr_expect(!x.set_sla);
}
