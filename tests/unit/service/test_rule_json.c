/* Unit tests of service/rule_json's rule definitions: a bad definition is
 * refused naming the part to blame (the field of the error envelope), and a
 * valid one parses with its defaults filled in and comes back canonical. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rule.h"
#include "service/rule_json.h"

static enum err parse(const char *text, struct errinfo *e)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j, "%s", text);
    struct rule r;
    memset(&r, 0, sizeof r);
    json_t *canon = NULL;
    enum err rc = rule_json_parse(j, &r, &canon, e);
    json_decref(canon);
    json_decref(j);
    rule_clear(&r);
    return rc;
}

#define TASK "\"task\": {\"title\": \"t\", \"due_in_days\": 1}"

Test(rule_json, a_definition_names_its_bad_part)
{
    struct {
        const char *text, *field;
    } cases[] = {
        {"{\"event_type\": \"a.b\", " TASK "}", "name"},
        {"{\"name\": \"n\", \"event_type\": \"a\", " TASK "}", "event_type"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"enabled\": 1, " TASK "}", "enabled"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"conditions\": {}, " TASK "}", "conditions"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"conditions\": [{\"field\": \"data.x\", \"op\": \"eq\"}], " TASK "}",
         "conditions[0].value"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"conditions\": [{\"field\": \"x\", \"op\": \"eq\", \"value\": 1}], " TASK
         "}",
         "conditions[0].field"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"conditions\": [{\"field\": \"data.x\", \"op\": \"is\", \"value\": 1}], "
         TASK "}",
         "conditions[0].op"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"conditions\": [{\"field\": \"data.x\", \"op\": \"exists\", \"extra\": 1}], "
         TASK "}",
         "conditions[0].extra"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\"}", "task"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"due_in_days\": 1}}", "task.title"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"{{data.x\", \"due_in_days\": 1}}", "task.title"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"description\": \"{{nope}}\", \"due_in_days\": 1}}",
         "task.description"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\"}}", "task.due_in_days"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": -1}}", "task.due_in_days"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1.5}}", "task.due_in_days"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"priority\": \"HUGE\"}}",
         "task.priority"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"sla_hours\": 0}}",
         "task.sla_hours"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"assignee\": \"bob\"}}",
         "task.assignee"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"assignee\": "
         "{\"round_robin\": []}}}",
         "task.assignee.round_robin"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"assignee\": "
         "{\"least_loaded\": [\"sta_a\", \"sta_a\"]}}}",
         "task.assignee.least_loaded[1]"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"assignee\": "
         "{\"fastest\": [\"sta_a\"]}}}",
         "task.assignee"},
        {"{\"name\": \"n\", \"event_type\": \"a.b\", \"task\": {\"title\": \"t\", \"due_in_days\": 1, \"owner\": 1}}",
         "task.owner"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct errinfo e = {0};
        cr_expect_eq(parse(cases[i].text, &e), ERR_VALIDATION_FAILED, "%s", cases[i].text);
        cr_expect_str_eq(e.field, cases[i].field, "%s: %s", cases[i].text, e.message);
    }
}

Test(rule_json, a_valid_definition_parses_with_defaults_filled_in)
{
    json_t *j = json_loads("{\"name\": \" Chase \", \"event_type\": \"payment.failed\", \"task\": {\"title\": "
                           "\"Chase {{customer.name}}\", \"due_in_days\": 0, \"assignee\": {\"round_robin\": "
                           "[\"sta_a\", \"sta_b\"]}}}",
                           0, NULL);
    struct rule r;
    memset(&r, 0, sizeof r);
    json_t *canon = NULL;
    struct errinfo e = {0};
    cr_assert_eq(rule_json_parse(j, &r, &canon, &e), ERR_OK, "%s", e.message);
    cr_expect_str_eq(r.name, "Chase");
    cr_expect(r.enabled);
    cr_expect_eq(r.priority, PRIORITY_MEDIUM);
    cr_expect_eq(r.assignee, ASSIGN_ROUND_ROBIN);
    cr_expect_eq(r.n_staff, 2);
    cr_expect_str_eq(r.staff[1], "sta_b");
    cr_expect_not(r.has_sla);
    char *text = json_dumps(canon, JSON_COMPACT);
    cr_expect_str_eq(text, "{\"name\":\"Chase\",\"enabled\":true,\"event_type\":\"payment.failed\",\"conditions\":[],"
                           "\"task\":{\"title\":\"Chase {{customer.name}}\",\"description\":null,\"priority\":\"MEDIUM\","
                           "\"due_in_days\":0,\"sla_hours\":null,\"assignee\":{\"round_robin\":[\"sta_a\",\"sta_b\"]}}}");
    free(text);
    json_decref(canon);
    json_decref(j);
    rule_clear(&r);
}
