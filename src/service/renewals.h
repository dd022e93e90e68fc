/* renewals.h (service): the transactional operations of the renewals engine:
 * upserting a renewable item with its next threshold day, and
 * acting on one item (creating or escalating its task). Each runs inside the
 * writer's transaction; tasks are made and changed through service/tasks.h,
 * so their history, counts and checks are the same as for the API's. */
#ifndef OPSTASKS_SERVICE_RENEWALS_H
#define OPSTASKS_SERVICE_RENEWALS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/renewal.h"
#include "store/store.h"

#define SERVICE_RENEWAL_ACTOR "renewals"

/* Creates or updates it (fields validated by the caller; next_due, created_at
 * and updated_at are set here). The customer must exist (ERR_NOT_FOUND,
 * field "customer_id"), the id must not belong to another customer
 * (ERR_VALIDATION_FAILED, field "id"), the assignee must be an active staff
 * member (ERR_UNKNOWN_STAFF, field "assignee_id"). An item sent again as it
 * is writes nothing (*changed false). On success *it holds the stored item. */
enum err service_renewal_put(struct store_conn *c, struct renewal_item *it, int64_t now_ms, bool *created,
                             bool *changed, struct errinfo *e);

enum renewal_action { RENEWAL_NOTHING, RENEWAL_CREATED, RENEWAL_ESCALATED };

struct renewal_outcome {
    enum renewal_action action;
    char renewal_id[EXT_ID_SIZE];
    char customer_id[EXT_ID_SIZE];
    char expires_on[DATE_SIZE];
    int days_before;
    char task_id[TASK_ID_SIZE];
};

/* Acts on item id as of now_ms under policy p: when a threshold is to act
 * (renewal_threshold_to_act), escalates the item's newest task if it is still
 * active, else creates a new one, and records the action under the unique
 * key (a second action for the same key fails the call, so the caller's
 * savepoint undoes it); then sets the item's next_due. A missing item is
 * RENEWAL_NOTHING. */
enum err service_renewal_act(struct store_conn *c, const char *id, const struct renewal_policy *p, int64_t now_ms,
                             struct renewal_outcome *out);

#endif
