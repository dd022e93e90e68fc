/* notify.c (service): the notifications sink (notify.h). It writes one row
 * per person told and reads nothing but the member's address and switch
 * (inside the insert), so a change that tells nobody costs nothing here. */
#include "service/notify.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util/ids.h"

static void (*_Atomic wake_fn)(void);

void notify_set_wake(void (*wake)(void)) { atomic_store(&wake_fn, wake); }

static enum err add(struct store_conn *c, const struct announcement *a, const char *staff_id, const char *type,
                    const char *task_id)
{
    struct notification_row n = {0};
    /* sequenced: ids made in one millisecond keep their order (the list is by id) */
    ids_new_sequenced("ntf_", a->at, n.id, sizeof n.id);
    snprintf(n.staff_id, sizeof n.staff_id, "%s", staff_id);
    snprintf(n.type, sizeof n.type, "%s", type);
    snprintf(n.task_id, sizeof n.task_id, "%s", task_id);
    snprintf(n.actor, sizeof n.actor, "%s", a->actor ? a->actor : "system");
    n.created_at = a->at;
    enum err rc = store_notification_add(c, &n);
    void (*wake)(void) = atomic_load(&wake_fn);
    if (rc == ERR_OK && wake) wake();
    return rc;
}

enum err notify_sink(struct store_conn *c, const struct announcement *a)
{
    const struct task *t = a->task;
    switch (a->type) {
    case ANN_TASK_ASSIGNED:
        if (!t || !t->assignee_id[0]) return ERR_OK;
        if (a->actor && strcmp(a->actor, t->assignee_id) == 0) return ERR_OK; /* assigned themselves */
        return add(c, a, t->assignee_id, "assigned", t->id);
    case ANN_SLA_AT_RISK:
        if (!t || !t->assignee_id[0]) return ERR_OK;
        return add(c, a, t->assignee_id, "sla_at_risk", t->id);
    case ANN_COMMENT_CREATED: {
        const struct task_comment *cm = a->comment;
        if (!cm || !cm->mentions || !strchr(cm->mentions, '"')) return ERR_OK; /* "[]": nobody named */
        json_t *ids = json_loads(cm->mentions, 0, NULL);
        if (!json_is_array(ids)) {
            json_decref(ids);
            return ERR_OK;
        }
        enum err rc = ERR_OK;
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            const char *sid = json_string_value(v);
            if (!sid || strcmp(sid, cm->author) == 0) continue; /* not for their own comment */
            if ((rc = add(c, a, sid, "mentioned", cm->task_id)) != ERR_OK) break;
        }
        json_decref(ids);
        return rc;
    }
    default:
        return ERR_OK;
    }
}
