/* Fuzz target: the body of POST /ops/events through the real handler (id,
 * type, user_id, occurred_at, the data object and its size limit), then the
 * data as the rules engine sees it (rule_json_value) and paths into it. */
#include <jansson.h>

#include "api/api.h"
#include "fuzz.h"
#include "service/rule_json.h"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request *r = fuzz_request("POST", NULL, data, size);
    fuzz_header(r, "Content-Type", "application/json");
    api_events_post(r);
    fuzz_request_end(r);

    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *d = json_object_get(j, "data");
    if (json_is_object(d)) {
        struct rv v = {0};
        FUZZ_ASSERT(rule_json_value(d, &v) == 0, "rule_json_value failed");
        FUZZ_ASSERT(v.kind == RV_OBJECT, "data became kind %d", (int)v.kind);
        struct rv root = {.kind = RV_OBJECT};
        FUZZ_ASSERT(rv_object_add(&root, "data", &v) == 0, "rv_object_add failed");
        static const char *const paths[] = {"data", "data.document_type", "data.a.b", "data.items.0",
                                            "data.items.0.name", "data.reason", "data.x.y.z.0.1"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) (void)rv_get_path(&root, paths[i]);
        /* every key of data reaches its own value */
        const struct rv *dv = rv_get_path(&root, "data");
        FUZZ_ASSERT(dv && dv->kind == RV_OBJECT, "data is not reachable");
        rv_clear(&root);
    }
    json_decref(j);
    return 0;
}
