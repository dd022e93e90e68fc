/* Fuzz target: the body of POST /ops/tasks and of PATCH /ops/tasks/{id}, through
 * the real handlers (JSON parse, known fields, every field's validation, the
 * Idempotency-Key and If-Match headers). Each input is tried as both. */
#include "api/api.h"
#include "fuzz.h"

#define TASK_ID "tsk_0123456789ABCDEFGHJKMNPQRS"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request *r = fuzz_request("POST", NULL, data, size);
    fuzz_header(r, "Content-Type", "application/json");
    fuzz_header(r, "Idempotency-Key", "fuzz-key-1");
    api_tasks_create(r);
    fuzz_request_end(r);

    r = fuzz_request("PATCH", TASK_ID, data, size);
    fuzz_header(r, "Content-Type", "application/json; charset=utf-8");
    fuzz_header(r, "If-Match", "\"3\"");
    api_task_patch(r);
    fuzz_request_end(r);
    return 0;
}
