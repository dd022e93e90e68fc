/* Unit tests of domain/task: field rules (POST /ops/tasks), the
 * names of statuses, priorities and sources, the queue's priority order, the
 * derived OVERDUE status, equality and deep copies. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/task.h"

/* unit repeated n times, on the heap */
static char *repeat(const char *unit, int n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * (size_t)n + 1);
    cr_assert_not_null(s);
    for (int i = 0; i < n; i++) memcpy(s + len * (size_t)i, unit, len);
    s[len * (size_t)n] = 0;
    return s;
}

/* Validates a title and returns the error; *out is freed here. */
static enum err title(const char *in, struct errinfo *e)
{
    char *out = NULL;
    enum err rc = task_validate_title(in, &out, e);
    if (rc != ERR_OK) cr_expect_null(out, "no title handed out on error");
    free(out);
    return rc;
}

/* ---- title ---- */

Test(task, title_is_trimmed_of_surrounding_whitespace)
{
    char *out = NULL;
    cr_assert_eq(task_validate_title("  \tChase outstanding bank statement \r\n", &out, NULL), ERR_OK);
    cr_expect_str_eq(out, "Chase outstanding bank statement");
    free(out);
    cr_assert_eq(task_validate_title("a  b", &out, NULL), ERR_OK);
    cr_expect_str_eq(out, "a  b", "inner spaces stay");
    free(out);
    cr_assert_eq(task_validate_title("x", &out, NULL), ERR_OK);
    cr_expect_str_eq(out, "x");
    free(out);
}

Test(task, empty_title_is_refused_naming_the_field)
{
    struct errinfo e = {0};
    cr_expect_eq(title("", &e), ERR_VALIDATION_FAILED);
    cr_expect_eq(e.code, ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
    cr_expect_neq(e.message[0], 0);
}

Test(task, whitespace_only_title_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(title(" ", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
    cr_expect_eq(title(" \t\r\n\f\v ", NULL), ERR_VALIDATION_FAILED);
}

Test(task, missing_title_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(title(NULL, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
}

Test(task, title_of_200_characters_is_accepted_and_201_refused)
{
    char *ok = repeat("x", 200), *over = repeat("x", 201);
    struct errinfo e = {0};
    cr_expect_eq(title(ok, NULL), ERR_OK);
    cr_expect_eq(title(over, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
    free(ok);
    free(over);
}

Test(task, title_limit_counts_characters_after_trimming)
{
    char *core = repeat("x", 200);
    size_t n = strlen(core) + 7;
    char *padded = malloc(n);
    snprintf(padded, n, "   %s   ", core);
    cr_expect_eq(title(padded, NULL), ERR_OK);
    free(core);
    free(padded);
}

Test(task, title_of_200_multibyte_characters_is_accepted)
{
    char *two = repeat("\xc3\xa9", 200);             /* é: 400 bytes */
    char *three = repeat("\xe2\x82\xac", 200);       /* €: 600 bytes */
    char *four = repeat("\xf0\x9f\x93\x8e", 200);    /* 📎: 800 bytes */
    char *over = repeat("\xe2\x82\xac", 201);
    cr_expect_eq(title(two, NULL), ERR_OK);
    cr_expect_eq(title(three, NULL), ERR_OK);
    cr_expect_eq(title(four, NULL), ERR_OK);
    cr_expect_eq(title(over, NULL), ERR_VALIDATION_FAILED);
    free(two), free(three), free(four), free(over);
}

Test(task, title_with_control_characters_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(title("a\x01" "b", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "title");
    cr_expect_eq(title("line\nbreak", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(title("tab\tinside", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(title("escape\x1b[31m", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(title("delete\x7f", NULL), ERR_VALIDATION_FAILED);
}

Test(task, utf8_length_counts_code_points)
{
    cr_expect_eq(task_utf8_length(""), 0);
    cr_expect_eq(task_utf8_length("abc"), 3);
    cr_expect_eq(task_utf8_length("\xc3\xa9t\xc3\xa9"), 3);      /* été */
    cr_expect_eq(task_utf8_length("\xf0\x9f\x93\x8e!"), 2);      /* 📎! */
}

/* ---- description ---- */

Test(task, description_of_10000_characters_is_accepted_and_10001_refused)
{
    char *ok = repeat("a", 10000), *over = repeat("a", 10001), *wide = repeat("\xd0\xb6", 10000);
    struct errinfo e = {0};
    cr_expect_eq(task_validate_description(ok, NULL), ERR_OK);
    cr_expect_eq(task_validate_description(wide, NULL), ERR_OK, "10000 two-byte characters");
    cr_expect_eq(task_validate_description(over, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "description");
    free(ok), free(over), free(wide);
}

Test(task, description_may_have_newlines_and_tabs)
{
    cr_expect_eq(task_validate_description("line one\nline two\r\n\ttabbed", NULL), ERR_OK);
    cr_expect_eq(task_validate_description("", NULL), ERR_OK);
}

Test(task, description_is_optional)
{
    cr_expect_eq(task_validate_description(NULL, NULL), ERR_OK);
}

Test(task, description_with_other_control_characters_is_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(task_validate_description("bell\x07", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "description");
    cr_expect_eq(task_validate_description("del\x7f", NULL), ERR_VALIDATION_FAILED);
}

/* ---- due date ---- */

Test(task, due_date_must_be_a_real_calendar_day)
{
    struct errinfo e = {0};
    cr_expect_eq(task_validate_due_date("2026-06-05", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date("2024-02-29", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date("2026-02-29", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "due_date");
    cr_expect_eq(task_validate_due_date("2026-04-31", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date("2026-13-01", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date("2026-6-5", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date("2026-06-05T00:00:00Z", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date("", NULL), ERR_VALIDATION_FAILED);
}

Test(task, due_date_is_required)
{
    struct errinfo e = {0};
    cr_expect_eq(task_validate_due_date(NULL, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "due_date");
}

/* ---- SLA hours ---- */

Test(task, sla_hours_above_0_up_to_8760_are_accepted)
{
    cr_expect_eq(task_validate_sla_hours(0.001, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(0.5, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(24, NULL), ERR_OK);
    cr_expect_eq(task_validate_sla_hours(8760, NULL), ERR_OK);
}

Test(task, sla_hours_of_zero_negative_or_over_a_year_are_refused)
{
    struct errinfo e = {0};
    cr_expect_eq(task_validate_sla_hours(0, &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "sla_hours");
    cr_expect_eq(task_validate_sla_hours(-0.0, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(-1, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(8760.01, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(nextafter(8760.0, 9000.0), NULL), ERR_VALIDATION_FAILED);
}

Test(task, sla_hours_that_are_not_numbers_are_refused)
{
    cr_expect_eq(task_validate_sla_hours(NAN, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(INFINITY, NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_sla_hours(-INFINITY, NULL), ERR_VALIDATION_FAILED);
}

/* ---- names ---- */

Test(task, status_names_round_trip)
{
    const char *names[] = {"OPEN", "IN_PROGRESS", "OVERDUE", "COMPLETED", "CANCELLED"};
    for (int s = 0; s < TASK_STATUS__COUNT; s++) {
        enum task_status back;
        cr_expect_str_eq(task_status_name(s), names[s]);
        cr_assert_eq(task_status_parse(names[s], &back), 0);
        cr_expect_eq((int)back, s);
    }
}

Test(task, priority_names_round_trip)
{
    const char *names[] = {"LOW", "MEDIUM", "HIGH", "URGENT"};
    for (int p = 0; p < PRIORITY__COUNT; p++) {
        enum task_priority back;
        cr_expect_str_eq(task_priority_name(p), names[p]);
        cr_assert_eq(task_priority_parse(names[p], &back), 0);
        cr_expect_eq((int)back, p);
    }
}

Test(task, source_names_round_trip)
{
    const char *names[] = {"MANUAL", "RENEWAL", "RULE"};
    for (int s = 0; s < SOURCE__COUNT; s++) {
        enum task_source back;
        cr_expect_str_eq(task_source_name(s), names[s]);
        cr_assert_eq(task_source_parse(names[s], &back), 0);
        cr_expect_eq((int)back, s);
    }
}

Test(task, unknown_or_lower_case_names_are_refused)
{
    enum task_status s = TASK_CANCELLED;
    enum task_priority p = PRIORITY_URGENT;
    enum task_source src = SOURCE_RULE;
    cr_expect_eq(task_status_parse("open", &s), -1);
    cr_expect_eq(task_status_parse("DONE", &s), -1);
    cr_expect_eq(task_status_parse("OPEN ", &s), -1);
    cr_expect_eq(task_status_parse("", &s), -1);
    cr_expect_eq(task_status_parse(NULL, &s), -1);
    cr_expect_eq(s, TASK_CANCELLED, "left alone on error");
    cr_expect_eq(task_priority_parse("high", &p), -1);
    cr_expect_eq(task_priority_parse("CRITICAL", &p), -1);
    cr_expect_eq(task_priority_parse(NULL, &p), -1);
    cr_expect_eq(p, PRIORITY_URGENT);
    cr_expect_eq(task_source_parse("manual", &src), -1);
    cr_expect_eq(task_source_parse("API", &src), -1);
    cr_expect_eq(src, SOURCE_RULE);
}

Test(task, out_of_range_values_have_a_placeholder_name)
{
    cr_expect_str_eq(task_status_name(TASK_STATUS__COUNT), "?");
    cr_expect_str_eq(task_priority_name(PRIORITY__COUNT), "?");
    cr_expect_str_eq(task_source_name(SOURCE__COUNT), "?");
}

Test(task, priority_rank_puts_urgent_first_and_low_last)
{
    cr_expect_eq(task_priority_rank(PRIORITY_URGENT), 0);
    cr_expect_eq(task_priority_rank(PRIORITY_HIGH), 1);
    cr_expect_eq(task_priority_rank(PRIORITY_MEDIUM), 2);
    cr_expect_eq(task_priority_rank(PRIORITY_LOW), 3);
}

Test(task, active_and_final_statuses)
{
    cr_expect(task_status_is_active(TASK_OPEN));
    cr_expect(task_status_is_active(TASK_IN_PROGRESS));
    cr_expect(task_status_is_active(TASK_OVERDUE));
    cr_expect_not(task_status_is_active(TASK_COMPLETED));
    cr_expect_not(task_status_is_active(TASK_CANCELLED));
    for (int s = 0; s < TASK_STATUS__COUNT; s++)
        cr_expect_neq(task_status_is_active(s), task_status_is_final(s), "%s is exactly one", task_status_name(s));
}

/* ---- the derived OVERDUE status ---- */

Test(task, open_task_past_its_due_date_reads_overdue)
{
    struct task t = {.status = TASK_OPEN, .due_date = "2026-06-05"};
    cr_expect_eq(task_effective_status(&t, "2026-06-06"), TASK_OVERDUE);
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_OVERDUE);
}

Test(task, task_in_progress_past_its_due_date_reads_overdue)
{
    struct task t = {.status = TASK_IN_PROGRESS, .due_date = "2026-06-05"};
    cr_expect_eq(task_effective_status(&t, "2026-06-06"), TASK_OVERDUE);
    cr_expect_eq(task_effective_status(&t, "2026-06-04"), TASK_IN_PROGRESS);
}

Test(task, task_due_today_is_not_overdue)
{
    struct task t = {.status = TASK_OPEN, .due_date = "2026-06-05"};
    cr_expect_eq(task_effective_status(&t, "2026-06-05"), TASK_OPEN);
    t.status = TASK_IN_PROGRESS;
    cr_expect_eq(task_effective_status(&t, "2026-06-05"), TASK_IN_PROGRESS);
}

Test(task, overdue_compares_dates_across_months_and_years)
{
    struct task t = {.status = TASK_OPEN, .due_date = "2026-12-31"};
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_OVERDUE);
    cr_expect_eq(task_effective_status(&t, "2026-12-30"), TASK_OPEN);
    memcpy(t.due_date, "2024-02-29", DATE_SIZE);
    cr_expect_eq(task_effective_status(&t, "2024-03-01"), TASK_OVERDUE);
    cr_expect_eq(task_effective_status(&t, "2024-02-29"), TASK_OPEN);
}

Test(task, completed_or_cancelled_task_past_its_due_date_stays_final)
{
    struct task t = {.status = TASK_COMPLETED, .due_date = "2026-06-05"};
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_COMPLETED);
    t.status = TASK_CANCELLED;
    cr_expect_eq(task_effective_status(&t, "2027-01-01"), TASK_CANCELLED);
}

/* ---- equality and copies ---- */

static struct task sample(void)
{
    struct task t = {.id = "tsk_01JX0000000000000000000000",
                     .title = strdup("Chase statement"),
                     .description = strdup("Bank statement for March"),
                     .priority = PRIORITY_HIGH,
                     .status = TASK_IN_PROGRESS,
                     .overdue_recorded = true,
                     .due_date = "2026-06-05",
                     .has_sla = true,
                     .sla_hours = 24,
                     .assignee_id = "sta_anna",
                     .user_id = "cus_abc123",
                     .source = SOURCE_RENEWAL,
                     .created_at = 1000,
                     .updated_at = 2000,
                     .started_at = 1500,
                     .version = 3};
    cr_assert_not_null(t.title);
    cr_assert_not_null(t.description);
    return t;
}

Test(task, copy_is_deep_and_equal)
{
    struct task a = sample(), b;
    cr_assert_eq(task_copy(&b, &a), 0);
    cr_expect(task_equal(&a, &b));
    cr_expect_neq(a.title, b.title, "title shared, not copied");
    cr_expect_neq(a.description, b.description, "description shared, not copied");
    cr_expect_str_eq(b.title, "Chase statement");
    cr_expect_str_eq(b.description, "Bank statement for March");
    cr_expect_str_eq(b.id, a.id);
    cr_expect_eq(b.version, 3);
    cr_expect_eq(b.created_at, 1000);
    cr_expect_eq(b.started_at, 1500);
    cr_expect(b.overdue_recorded);
    cr_expect_eq(b.source, SOURCE_RENEWAL);
    /* changing the copy leaves the original alone */
    b.title[0] = 'X';
    cr_expect_str_eq(a.title, "Chase statement");
    task_clear(&a);
    cr_expect_str_eq(b.description, "Bank statement for March", "copy survives the original");
    task_clear(&b);
}

Test(task, copy_keeps_a_missing_description_missing)
{
    struct task a = sample(), b;
    free(a.description);
    a.description = NULL;
    cr_assert_eq(task_copy(&b, &a), 0);
    cr_expect_null(b.description);
    cr_expect(task_equal(&a, &b));
    task_clear(&a);
    task_clear(&b);
}

Test(task, clear_frees_and_zeroes)
{
    struct task a = sample();
    task_clear(&a);
    cr_expect_null(a.title);
    cr_expect_null(a.description);
    cr_expect_eq(a.version, 0);
    cr_expect_str_eq(a.id, "");
}

Test(task, tasks_differing_in_any_user_visible_field_are_not_equal)
{
    struct task a = sample(), b;
#define DIFFERS(change)                                        \
    do {                                                       \
        cr_assert_eq(task_copy(&b, &a), 0);                    \
        change;                                                \
        cr_expect_not(task_equal(&a, &b), "%s", #change);      \
        cr_expect_not(task_equal(&b, &a), "%s", #change);      \
        task_clear(&b);                                        \
    } while (0)
    DIFFERS((free(b.title), b.title = strdup("Other")));
    DIFFERS((free(b.description), b.description = strdup("Other")));
    DIFFERS((free(b.description), b.description = NULL));
    DIFFERS(b.priority = PRIORITY_LOW);
    DIFFERS(b.status = TASK_OPEN);
    DIFFERS(memcpy(b.due_date, "2026-06-06", DATE_SIZE));
    DIFFERS(b.has_sla = false);
    DIFFERS(b.sla_hours = 24.5);
    DIFFERS(b.assignee_id[0] = 0);
    DIFFERS(memcpy(b.assignee_id, "sta_bob", 8));
    DIFFERS(b.user_id[0] = 0);
#undef DIFFERS
    task_clear(&a);
}

Test(task, equality_compares_only_the_fields_a_patch_can_change)
{
    struct task a = sample(), b;
    cr_assert_eq(task_copy(&b, &a), 0);
    b.version = 9;
    b.updated_at = 99;
    b.overdue_recorded = false;
    cr_expect(task_equal(&a, &b));
    /* without an SLA the stale hours do not count */
    a.has_sla = b.has_sla = false;
    b.sla_hours = 1;
    cr_expect(task_equal(&a, &b));
    task_clear(&a);
    task_clear(&b);
}

Test(task, title_with_bidirectional_overrides_or_isolates_is_refused)
{
    const char *bad[] = {"a\xE2\x80\xAA" "b", "a\xE2\x80\xAE" "b", "\xE2\x81\xA6" "x", "x\xE2\x81\xA9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        struct errinfo e = {0};
        cr_expect_eq(task_validate_title(bad[i], &out, &e), ERR_VALIDATION_FAILED, "%zu", i);
        cr_expect_str_eq(e.field, "title");
        cr_expect_null(out);
    }
    /* their neighbours (U+2029, U+202F, U+2065, U+206A) and right-to-left text are fine */
    const char *good[] = {"a\xE2\x80\xA9" "b", "a\xE2\x80\xAF" "b", "a\xE2\x81\xA5" "b", "a\xE2\x81\xAA" "b",
                          "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *out = NULL;
        cr_expect_eq(task_validate_title(good[i], &out, NULL), ERR_OK, "%zu", i);
        free(out);
    }
}

Test(task, due_date_lies_between_2000_and_twenty_years_from_today)
{
    struct errinfo e = {0};
    cr_expect_eq(task_validate_due_date_range("2000-01-01", "2026-12-01", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date_range("1999-12-31", "2026-12-01", &e), ERR_VALIDATION_FAILED);
    cr_expect_str_eq(e.field, "due_date");
    cr_expect_eq(task_validate_due_date_range("1900-01-01", "2026-12-01", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date_range("2046-12-01", "2026-12-01", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date_range("2046-12-02", "2026-12-01", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date_range("9999-12-31", "2026-12-01", NULL), ERR_VALIDATION_FAILED);
    /* from a leap day, twenty years on is the 28th when that year has none */
    cr_expect_eq(task_validate_due_date_range("2044-02-29", "2024-02-29", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date_range("2045-02-28", "2025-02-28", NULL), ERR_OK);
    cr_expect_eq(task_validate_due_date_range("2045-03-01", "2025-02-28", NULL), ERR_VALIDATION_FAILED);
    cr_expect_eq(task_validate_due_date_range("2026-02-30", "2026-01-01", NULL), ERR_VALIDATION_FAILED);
}
