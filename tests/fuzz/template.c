/* Fuzz target: {{path}} templates rendered against event data. The input is
 * the template, a newline, then the event's data as JSON (an object; other
 * input renders against the default data). A template the rule checks accept
 * is rendered into a title and a description, as the engine makes them. */
#include "fuzz_rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup(NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tl = nl ? (size_t)(nl - data) : size;
    char *tpl = fuzz_strndup(data, tl);
    /* a template comes out of a JSON string: valid UTF-8 */
    json_t *as_json = json_string(tpl);
    struct errinfo e = {0};
    if (as_json && strlen(tpl) <= RULE_TITLE_TPL_MAX && rule_template_check(tpl, "task.title", &e) == ERR_OK) {
        json_t *d = nl ? json_loadb((const char *)nl + 1, size - tl - 1, JSON_REJECT_DUPLICATES, NULL) : NULL;
        struct rv ctx = {0};
        fuzz_event_context(json_is_object(d) ? d : NULL, &ctx);
        fuzz_render_field(tpl, &ctx, false, TASK_TITLE_MAX_CHARS);
        fuzz_render_field(tpl, &ctx, true, TASK_DESCRIPTION_MAX_CHARS);
        rv_clear(&ctx);
        json_decref(d);
    } else if (as_json) {
        FUZZ_ASSERT(strlen(tpl) > RULE_TITLE_TPL_MAX || e.message[0], "a refused template without a message");
    }
    json_decref(as_json);
    free(tpl);
    return 0;
}
