/* fuzz_rules.h: the event context the rule and template targets render
 * against, shaped as service/rule_engine.c builds it (id, type, user_id, occurred_at,
 * data, customer), and the checks on a rendered task field. */
#ifndef OPSTASKS_FUZZ_RULES_H
#define OPSTASKS_FUZZ_RULES_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rule.h"
#include "fuzz.h"
#include "service/rule_json.h"

#define FUZZ_EVENT_JSON                                                                                   \
    "{\"id\":\"evt_1\",\"type\":\"document.rejected\",\"user_id\":\"cus_one\","                        \
    "\"occurred_at\":\"2026-06-10T09:00:00.000Z\",\"customer\":{\"id\":\"cus_one\",\"name\":\"Customer "  \
    "One\",\"email\":\"one@example.com\",\"owner_id\":\"sta_anna\"}}"

#define FUZZ_DATA_JSON                                                                                  \
    "{\"document_type\":\"passport\",\"reason\":\"unreadable scan\",\"amount\":12.5,\"count\":3,"      \
    "\"urgent\":true,\"note\":null,\"items\":[{\"name\":\"first\"},\"two\",3],\"nested\":{\"a\":{\"b\":" \
    "\"deep\"}}}"

/* The context with data (an object, borrowed; NULL: the default data). */
static inline void fuzz_event_context(json_t *data, struct rv *ctx)
{
    json_t *ev = json_loads(FUZZ_EVENT_JSON, 0, NULL);
    json_t *d = data ? json_incref(data) : json_loads(FUZZ_DATA_JSON, 0, NULL);
    if (!ev || !d || json_object_set_new(ev, "data", d) != 0 || rule_json_value(ev, ctx) != 0) abort();
    json_decref(ev);
}

/* Renders tpl for a task field as the engine does, and checks what a task
 * field needs: valid UTF-8 of at most max_chars code points. */
static inline void fuzz_render_field(const char *tpl, const struct rv *ctx, bool newlines, size_t max_chars)
{
    struct buf b = {0};
    char missing[300];
    int n = rule_template_render(tpl, ctx, (max_chars + 1) * 4, &b, missing, sizeof missing);
    FUZZ_ASSERT(n >= 0, "negative missing count %d", n);
    FUZZ_ASSERT(strlen(missing) < sizeof missing, "missing overflows");
    char *s = buf_take(&b);
    if (!s) abort();
    (void)rule_text_fit(s, newlines, max_chars);
    json_t *j = json_string(s);
    FUZZ_ASSERT(j, "rendered text is not valid UTF-8");
    json_decref(j);
    FUZZ_ASSERT(task_utf8_length(s) <= max_chars, "rendered text has %zu characters, over %zu",
                task_utf8_length(s), max_chars);
    for (const char *p = s; *p; p++)
        FUZZ_ASSERT(((unsigned char)*p >= 0x20 && *p != 0x7f) || (newlines && strchr("\n\r\t", *p)),
                    "control character 0x%02x left in rendered text", (unsigned char)*p);
    free(s);
}

#endif
