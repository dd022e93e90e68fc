/* Unit tests of service/task_json: the one task writer. The API's form and
 * the events' data.task form, both field for field, and the text and tree
 * sinks writing the same JSON. The clock is NOW, 2026-06-10T09:00:00Z. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"
#include "service/task_json.h"

#define NOW 1781082000000LL /* 2026-06-10T09:00:00Z */
#define HOUR 3600000LL

static struct task sample(double sla_hours)
{
    struct task t = {.priority = PRIORITY_HIGH, .status = TASK_IN_PROGRESS, .has_sla = true, .sla_hours = sla_hours,
                     .source = SOURCE_RULE, .created_at = NOW - 30 * HOUR, .updated_at = NOW - HOUR,
                     .started_at = NOW - 2 * HOUR, .version = 3};
    t.title = strdup("Call \"back\"");
    snprintf(t.id, sizeof t.id, "tsk_1");
    snprintf(t.due_date, sizeof t.due_date, "2026-06-20");
    snprintf(t.user_id, sizeof t.user_id, "cus_1");
    snprintf(t.rule_id, sizeof t.rule_id, "escalate");
    sla_stamp(&t, NULL);
    return t;
}

static char *text(const struct task *t, enum task_json_view v)
{
    char today[DATE_SIZE];
    dates_today(NOW, today);
    struct buf b = {0};
    task_json_write(&b, t, today, NOW, v);
    return buf_take(&b);
}

static char *tree_text(const struct task *t, enum task_json_view v)
{
    json_t *j = task_json(t, NOW, v);
    cr_assert_not_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

Test(task_json, the_api_form_has_every_field_in_order_and_whole_hours_as_integers)
{
    struct task t = sample(24);
    char *s = text(&t, TASK_JSON_API);
    cr_expect_str_eq(s, "{\"id\":\"tsk_1\",\"title\":\"Call \\\"back\\\"\",\"description\":null,\"priority\":\"HIGH\","
                        "\"status\":\"IN_PROGRESS\",\"work_status\":\"IN_PROGRESS\",\"due_date\":\"2026-06-20\",\"sla_hours\":24,\"assignee_id\":null,"
                        "\"user_id\":\"cus_1\",\"source\":\"RULE\",\"rule_id\":\"escalate\",\"event_id\":null,"
                        "\"created_at\":\"2026-06-09T03:00:00.000Z\",\"updated_at\":\"2026-06-10T08:00:00.000Z\","
                        "\"started_at\":\"2026-06-10T07:00:00.000Z\",\"completed_at\":null,\"cancelled_at\":null,"
                        "\"sla_due_at\":\"2026-06-10T03:00:00.000Z\",\"sla_breached\":true,\"sla_at_risk\":false,"
                        "\"sla_started_at\":\"2026-06-09T03:00:00.000Z\",\"waiting_on_customer\":false,"
                        "\"sla_paused_at\":null,\"sla_paused_seconds\":0,"
                        "\"version\":3,\"renewal_id\":null,\"comment_count\":0}");
    free(s);
    task_clear(&t);
}

Test(task_json, the_event_form_keeps_its_fields_and_writes_sla_hours_as_a_real)
{
    struct task t = sample(24);
    char *s = tree_text(&t, TASK_JSON_EVENT);
    cr_expect_str_eq(s, "{\"id\":\"tsk_1\",\"title\":\"Call \\\"back\\\"\",\"description\":null,\"priority\":\"HIGH\","
                        "\"status\":\"IN_PROGRESS\",\"due_date\":\"2026-06-20\",\"sla_hours\":24.0,\"assignee_id\":null,"
                        "\"user_id\":\"cus_1\",\"source\":\"RULE\",\"rule_id\":\"escalate\",\"event_id\":null,"
                        "\"created_at\":\"2026-06-09T03:00:00.000Z\",\"started_at\":\"2026-06-10T07:00:00.000Z\","
                        "\"completed_at\":null,\"cancelled_at\":null,\"sla_due_at\":\"2026-06-10T03:00:00.000Z\","
                        "\"version\":3}");
    free(s);
    task_clear(&t);
}

Test(task_json, text_and_tree_write_the_same_json_in_both_forms)
{
    const double hours[] = {24, 1.5, 0.1, 0.0003};
    for (size_t i = 0; i < sizeof hours / sizeof *hours; i++) {
        struct task t = sample(hours[i]);
        char *a = text(&t, TASK_JSON_EVENT), *b = tree_text(&t, TASK_JSON_EVENT);
        cr_expect_str_eq(a, b, "event form, %g hours", hours[i]);
        free(a);
        free(b);
        if (hours[i] == 24 || hours[i] == 1.5) { /* the text's %.15g and jansson's %.17g agree on these */
            a = text(&t, TASK_JSON_API);
            b = tree_text(&t, TASK_JSON_API);
            cr_expect_str_eq(a, b, "api form, %g hours", hours[i]);
            free(a);
            free(b);
        }
        task_clear(&t);
    }
    struct task t = sample(0);
    t.has_sla = false;
    char *a = text(&t, TASK_JSON_API), *b = tree_text(&t, TASK_JSON_API);
    cr_expect_str_eq(a, b, "no SLA");
    cr_expect(strstr(a, "\"sla_hours\":null") && strstr(a, "\"sla_breached\":null") && strstr(a, "\"sla_at_risk\":null"));
    free(a);
    free(b);
    task_clear(&t);
}
