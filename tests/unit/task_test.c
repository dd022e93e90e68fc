/* Unit tests of domain/task and domain/sla: field rules, names, the derived
 * OVERDUE status and SLA arithmetic. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/sla.h"
#include "domain/task.h"

static char *repeat(const char *unit, int n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * (size_t)n + 1);
    for (int i = 0; i < n; i++) memcpy(s + len * (size_t)i, unit, len);
    s[len * (size_t)n] = 0;
    return s;
}

Test(task_fields, title_is_trimmed)
{
    char *out = NULL;
    cr_assert_eq(task_validate_title("  \tChase statement \n", &out, NULL), ERR_OK);
    cr_expect_str_eq(out, "Chase statement");
    free(out);
}

Test(task_fields, empty_or_blank_title_is_refused)
{
    char *out = NULL;
    struct errinfo e = {0};
    cr_expect_eq(task_validate_title("", &out, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
    cr_expect_eq(task_validate_title(" \t\r\n ", &out, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_title(NULL, &out, NULL), ERR_VALIDATION_FAILED);
    cr_expect_null(out);
}

Test(task_fields, title_limit_is_200_characters_not_bytes)
{
    char *ok = repeat("x", 200), *long1 = repeat("x", 201), *wide = repeat("\xc3\xa9", 200),
         *wide1 = repeat("\xe2\x82\xac", 201), *out = NULL;
    cr_expect_eq(task_validate_title(ok, &out, NULL), ERR_OK);
    free(out);
    cr_expect_eq(task_validate_title(long1, &out, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_title(wide, &out, NULL), ERR_OK);
    free(out);
    cr_expect_eq(task_validate_title(wide1, &out, NULL), ERR_VALIDATION_FAILED);
    free(ok), free(long1), free(wide), free(wide1);
}

Test(task_fields, title_with_control_characters_is_refused)
{
    char *out = NULL;
    cr_expect_eq(task_validate_title("a\x01" "b", &out, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_title("a\nb", &out, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_title("a\x7f", &out, NULL), ERR_VALIDATION_FAILED);
}

Test(task_fields, description_allows_10000_characters_and_newlines)
{
    char *ok = repeat("\xd0\xb6", 10000), *over = repeat("a", 10001);
    struct errinfo e = {0};
    cr_expect_eq(task_validate_description(ok, NULL), ERR_OK);
    cr_expect_eq(task_validate_description(over, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "description");
    cr_expect_eq(task_validate_description("line one\nline two\r\n\ttabbed", NULL), ERR_OK);
    cr_expect_eq(task_validate_description(NULL, NULL), ERR_OK);
    cr_expect_eq(task_validate_description("bell\x07", NULL), ERR_VALIDATION_FAILED);
    free(ok), free(over);
}

Test(task_fields, due_date_must_be_a_real_day)
{
    cr_expect_eq(task_validate_due_date("2026-06-05", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date("2024-02-29", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date("2026-02-29", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date("2026-13-01", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date(NULL, NULL), ERR_VALIDATION_FAILED);
}

Test(task_fields, sla_hours_between_0_exclusive_and_8760)
{
    cr_expect_eq(task_validate_sla_hours(0.001, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(24, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(8760, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(0, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(-1, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(8760.01, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(NAN, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(INFINITY, NULL), ERR_VALIDATION_FAILED);
}

Test(task_names, names_round_trip_and_unknown_ones_are_refused)
{
    for (int s = 0; s < TASK_STATUS__COUNT; s++) {
        enum task_status back;
        cr_assert_eq(task_status_parse(task_status_name(s), &back), 0);
        cr_expect_eq((int)back, s);
    }
    for (int p = 0; p < PRIORITY__COUNT; p++) {
        enum task_priority back;
        cr_assert_eq(task_priority_parse(task_priority_name(p), &back), 0);
        cr_expect_eq((int)back, p);
    }
    enum task_priority p;
    enum task_status s;
    enum task_source src;
    cr_expect_eq(task_priority_parse("high", &p), -1);
    cr_expect_eq(task_status_parse("DONE", &s), -1);
    cr_expect_eq(task_source_parse("RENEWAL", &src), 0);
    cr_expect_eq(src, SOURCE_RENEWAL);
}

Test(task_names, urgent_ranks_first_and_low_last)
{
    cr_expect_lt(task_priority_rank(PRIORITY_URGENT), task_priority_rank(PRIORITY_HIGH));
    cr_expect_lt(task_priority_rank(PRIORITY_HIGH), task_priority_rank(PRIORITY_MEDIUM));
    cr_expect_lt(task_priority_rank(PRIORITY_MEDIUM), task_priority_rank(PRIORITY_LOW));
}

Test(task_status, active_task_past_its_due_date_reads_overdue)
{
    struct task t = {.status = TASK_OPEN, .due_date = "2026-06-05"};
    cr_expect_eq(task_effective_status(&t, "2026-06-05"), TASK_OPEN);
    cr_expect_eq(task_effective_status(&t, "2026-06-06"), TASK_OVERDUE);
    t.status = TASK_IN_PROGRESS;
    cr_expect_eq(task_effective_status(&t, "2026-06-06"), TASK_OVERDUE);
    cr_expect_eq(task_effective_status(&t, "2026-06-04"), TASK_IN_PROGRESS);
    t.status = TASK_COMPLETED;
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_COMPLETED);
    t.status = TASK_CANCELLED;
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_CANCELLED);
}

Test(task_copy, copy_is_deep_and_equal)
{
    struct task a = {.title = strdup("T"), .description = strdup("D"), .due_date = "2026-01-01"}, b;
    cr_assert_eq(task_copy(&b, &a), 0);
    cr_expect_neq(a.title, b.title);
    cr_expect(task_equal(&a, &b));
    free(b.title);
    b.title = strdup("U");
    cr_expect_not(task_equal(&a, &b));
    task_clear(&a);
    task_clear(&b);
}

Test(sla, deadline_is_creation_plus_hours_fractions_included)
{
    struct task t = {.created_at = 1000000, .has_sla = true, .sla_hours = 0.5};
    cr_expect_eq(sla_due_at(&t), 1000000 + 1800000);
    t.sla_hours = 24;
    cr_expect_eq(sla_due_at(&t), 1000000 + 86400000LL);
    t.has_sla = false;
    cr_expect_eq(sla_due_at(&t), 0);
}

Test(sla, breached_when_late_or_still_open_past_the_deadline)
{
    struct task t = {.created_at = 0, .has_sla = true, .sla_hours = 1};
    cr_expect_eq(sla_breached(&t, TASK_OPEN, 3600000), SLA_OK);
    cr_expect_eq(sla_breached(&t, TASK_OPEN, 3600001), SLA_BREACHED);
    cr_expect_eq(sla_breached(&t, TASK_OVERDUE, 3600001), SLA_BREACHED);
    t.completed_at = 3600000;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, 99999999), SLA_OK);
    t.completed_at = 3600001;
    cr_expect_eq(sla_breached(&t, TASK_COMPLETED, 0), SLA_BREACHED);
    cr_expect_eq(sla_breached(&t, TASK_CANCELLED, 99999999), SLA_OK);
    t.has_sla = false;
    cr_expect_eq(sla_breached(&t, TASK_OPEN, 99999999), SLA_NONE);
}
