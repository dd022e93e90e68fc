/* Fuzz target: the bodies of PUT /ops/customers/{cid}/renewals/{rid} (kind,
 * expires_on, assignee_id) and PUT /ops/renewal-policy (title template and
 * thresholds) through the real handlers; each input is tried as both. A
 * title the policy may hold is rendered as the engine renders it. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "domain/renewal.h"
#include "fuzz.h"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request *r = fuzz_request("PUT", "ren_permit1", data, size);
    snprintf(r->path, sizeof r->path, "/ops/customers/cus_one/renewals/ren_permit1");
    fuzz_header(r, "Content-Type", "application/json");
    api_renewal_put(r);
    fuzz_request_end(r);

    r = fuzz_request("PUT", NULL, data, size);
    snprintf(r->path, sizeof r->path, "/ops/renewal-policy");
    fuzz_header(r, "Content-Type", "application/json");
    api_renewal_policy_put(r);
    fuzz_request_end(r);

    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    const char *title = json_string_value(json_object_get(j, "title"));
    if (title && strlen(title) < RENEWAL_TITLE_SIZE) {
        char out[RENEWAL_TITLE_SIZE];
        renewal_render_title(title, "residence_permit", "Customer \xc3\xa9 One", "2027-03-01", out);
        FUZZ_ASSERT(out[0] && task_utf8_length(out) <= RENEWAL_TITLE_MAX_CHARS, "rendered title '%s'", out);
        json_t *s = json_string(out);
        FUZZ_ASSERT(s, "rendered title is not valid UTF-8");
        json_decref(s);
        char *copy = NULL;
        struct errinfo e = {0};
        FUZZ_ASSERT(task_validate_title(out, &copy, &e) == ERR_OK, "rendered title is no valid task title: %s",
                    e.message);
        free(copy);
    }
    json_decref(j);
    return 0;
}
