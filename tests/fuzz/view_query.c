/* Fuzz target: a saved view's query string (PUT /ops/views), decoded by
 * http_pairs_parse and read by the queue's own parser through r->query,
 * then run as GET /ops/tasks would run it over an empty database. Every
 * input is refused with a 422 naming "query" or read; neither crashes. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"
#include "store/records.h"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    struct http_pairs *pairs = malloc(sizeof *pairs);
    FUZZ_ASSERT(text && pairs, "out of memory");
    struct errinfo e = {0};
    if (http_pairs_parse(text, "query", pairs, &e) == ERR_OK) {
        FUZZ_ASSERT(pairs->n <= HTTP_PAIRS_MAX, "%d pairs", pairs->n);
        for (int i = 0; i < pairs->n; i++) {
            FUZZ_ASSERT(pairs->key[i][0], "an empty key was kept");
            FUZZ_ASSERT(pairs->key[i] >= pairs->text && pairs->value[i] + strlen(pairs->value[i]) <
                        pairs->text + sizeof pairs->text, "a pair outside its text");
        }
        struct request *r = fuzz_request("GET", NULL, NULL, 0);
        r->query = pairs;
        api_tasks_list(r);
        FUZZ_ASSERT(r->status == 200 || r->status == 422, "status %d", r->status);
        r->query = NULL;
        fuzz_request_end(r);
    } else {
        FUZZ_ASSERT(e.code == ERR_VALIDATION_FAILED && strcmp(e.field, "query") == 0, "%s: %s", e.field,
                    e.message);
    }
    free(pairs);
    free(text);
    return 0;
}
