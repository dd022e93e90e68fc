/* Fuzz target: rule definitions, the body of PUT /ops/rules/{id}, through the
 * real handler; then, for a valid rule, what the engine does with it: the
 * canonical definition it stores must parse again to itself (GET and the
 * engine read only that), and its conditions and templates are run against
 * an event. */
#include "api/api.h"
#include "fuzz_rules.h"

static struct rv ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup(NULL);
    fuzz_app();
    fuzz_event_context(NULL, &ctx);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request *r = fuzz_request("PUT", "rul_fuzz", data, size);
    fuzz_header(r, "Content-Type", "application/json");
    api_rule_put(r);
    fuzz_request_end(r);

    json_t *def = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct rule ru = {0}, again = {0};
    json_t *canon = NULL, *canon2 = NULL;
    struct errinfo e = {0}, e2 = {0};
    if (def && rule_json_parse(def, &ru, &canon, &e) == ERR_OK) {
        FUZZ_ASSERT(rule_json_parse(canon, &again, &canon2, &e2) == ERR_OK, "the canonical rule does not parse: %s",
                    e2.message);
        FUZZ_ASSERT(json_equal(canon, canon2), "the canonical rule changes when parsed again");
        struct rule_row row = {.id = "rul_fuzz", .definition = json_dumps(canon, JSON_COMPACT)};
        FUZZ_ASSERT(row.definition, "json_dumps failed");
        json_t *shown = rule_json_row(&row);
        FUZZ_ASSERT(shown, "a stored rule that GET cannot show");
        json_decref(shown);
        free(row.definition);
        (void)rule_matches(&ru, &ctx);
        fuzz_render_field(ru.title_tpl, &ctx, false, TASK_TITLE_MAX_CHARS);
        if (ru.description_tpl) fuzz_render_field(ru.description_tpl, &ctx, true, TASK_DESCRIPTION_MAX_CHARS);
    }
    rule_clear(&ru);
    rule_clear(&again);
    json_decref(canon);
    json_decref(canon2);
    json_decref(def);
    return 0;
}
