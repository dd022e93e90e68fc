/* renewals.c (service): item upsert and the per-item action of the renewals
 * engine; see renewals.h. */
#include "service/renewals.h"

#include <stdio.h>
#include <string.h>

#include "domain/dates.h"
#include "service/announce.h"
#include "service/tasks.h"

/* An active staff member, or false. */
static enum err staff_active(struct store_conn *c, const char *id, bool *active)
{
    *active = false;
    if (!id || !*id) return ERR_OK;
    struct staff st;
    enum err rc = store_staff_get(c, id, &st);
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    *active = st.active;
    store_staff_clear(&st);
    return ERR_OK;
}

static enum err next_due_of(struct store_conn *c, const struct renewal_item *it, char out[DATE_SIZE])
{
    struct renewal_policy p;
    int acted_min;
    enum err rc = store_renewal_policy_get(c, &p);
    if (rc == ERR_OK) rc = store_renewal_acted_min(c, it->id, it->expires_on, &acted_min);
    if (rc == ERR_OK) renewal_next_due(&p, it->expires_on, acted_min, out);
    return rc;
}

enum err service_renewal_put(struct store_conn *c, struct renewal_item *it, int64_t now_ms, bool *created,
                             bool *changed, struct errinfo *e)
{
    *created = *changed = false;
    struct customer cu;
    enum err rc = store_customer_get(c, it->customer_id, &cu);
    if (rc == ERR_NOT_FOUND) return err_set(e, ERR_NOT_FOUND, "customer_id", "no customer %s", it->customer_id);
    if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
    store_customer_clear(&cu);

    struct renewal_item old;
    rc = store_renewal_get(c, it->id, &old);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) return err_set(e, rc, NULL, NULL);
    bool exists = rc == ERR_OK;
    if (exists && strcmp(old.customer_id, it->customer_id) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "id", "renewal %s belongs to customer %s", it->id, old.customer_id);
    if (exists && strcmp(old.kind, it->kind) == 0 && strcmp(old.expires_on, it->expires_on) == 0 &&
        strcmp(old.assignee_id, it->assignee_id) == 0) {
        *it = old; /* nothing to write: a rerun of the same data changes nothing */
        return ERR_OK;
    }
    /* the assignee is checked when it is set or changes, as for tasks */
    if (it->assignee_id[0] && (!exists || strcmp(old.assignee_id, it->assignee_id) != 0)) {
        bool active;
        if ((rc = staff_active(c, it->assignee_id, &active)) != ERR_OK) return err_set(e, rc, NULL, NULL);
        if (!active)
            return err_set(e, ERR_UNKNOWN_STAFF, "assignee_id", "no active staff member %s", it->assignee_id);
    }
    /* a new expiry date starts the thresholds over (its own actions, if the
     * date was used before, still count) */
    if ((rc = next_due_of(c, it, it->next_due)) != ERR_OK) return err_set(e, rc, NULL, NULL);
    it->created_at = exists ? old.created_at : now_ms;
    it->updated_at = now_ms;
    if ((rc = store_renewal_put(c, it, created)) != ERR_OK) return err_set(e, rc, NULL, NULL);
    *changed = true;
    return ERR_OK;
}

/* The item's assignee if active, else the customer's owner if active, else none. */
static enum err choose_assignee(struct store_conn *c, const struct renewal_item *it, const struct customer *cu,
                                char out[EXT_ID_SIZE])
{
    bool active;
    enum err rc = staff_active(c, it->assignee_id, &active);
    if (rc != ERR_OK) return rc;
    if (active) {
        memcpy(out, it->assignee_id, EXT_ID_SIZE);
        return ERR_OK;
    }
    if ((rc = staff_active(c, cu->owner_id, &active)) != ERR_OK) return rc;
    snprintf(out, EXT_ID_SIZE, "%s", active ? cu->owner_id : "");
    return ERR_OK;
}

static enum err create_task(struct store_conn *c, const struct renewal_item *it, const struct renewal_policy *p,
                            const struct renewal_threshold *th, const char *due, int64_t now_ms,
                            char task_id[TASK_ID_SIZE])
{
    struct customer cu;
    enum err rc = store_customer_get(c, it->customer_id, &cu);
    if (rc != ERR_OK) return rc;
    struct task t = {0};
    char title[RENEWAL_TITLE_SIZE], today[DATE_SIZE], why[RENEWAL_DESCRIPTION_SIZE];
    renewal_render_title(p->title, it->kind, cu.name, it->expires_on, title);
    dates_today(now_ms, today);
    renewal_render_description(it, cu.name, th->days_before, today, why);
    rc = choose_assignee(c, it, &cu, t.assignee_id);
    store_customer_clear(&cu);
    if (rc != ERR_OK) return rc;
    struct errinfo e = {0};
    if (task_validate_title(title, &t.title, &e) != ERR_OK) return ERR_INTERNAL; /* rendered titles are valid */
    if (!(t.description = strdup(why))) {
        task_clear(&t);
        return ERR_INTERNAL;
    }
    t.priority = th->priority;
    t.status = TASK_OPEN;
    memcpy(t.due_date, due, DATE_SIZE);
    t.has_sla = th->has_sla;
    t.sla_hours = th->has_sla ? th->sla_hours : 0;
    memcpy(t.user_id, it->customer_id, EXT_ID_SIZE);
    memcpy(t.renewal_id, it->id, EXT_ID_SIZE);
    t.source = SOURCE_RENEWAL;
    rc = service_task_create(c, &t, SERVICE_RENEWAL_ACTOR, now_ms, &e);
    if (rc == ERR_OK) {
        struct announcement a = {.type = ANN_RENEWAL_TASK_CREATED, .at = now_ms, .actor = SERVICE_RENEWAL_ACTOR, .task = &t};
        rc = announce(c, &a);
    }
    if (rc == ERR_OK) memcpy(task_id, t.id, TASK_ID_SIZE);
    task_clear(&t);
    return rc;
}

static enum err escalate_task(struct store_conn *c, const struct task *t, const struct renewal_threshold *th,
                              const char *due, int64_t now_ms)
{
    struct renewal_escalation esc;
    renewal_escalate(t, th, due, now_ms, &esc);
    if (!esc.raise_priority && !esc.pull_due && !esc.set_sla) return ERR_OK; /* already as urgent */
    struct task_patch p = {0};
    p.has_priority = esc.raise_priority;
    p.priority = esc.priority;
    p.has_due_date = esc.pull_due;
    memcpy(p.due_date, esc.due_date, DATE_SIZE);
    p.has_sla_hours = esc.set_sla;
    p.sla_hours = esc.sla_hours;
    p.sla_restart = esc.set_sla; /* the hours count from the escalation */
    struct task out;
    bool changed;
    struct errinfo e = {0};
    enum err rc = service_task_patch(c, t->id, &p, -1, SERVICE_RENEWAL_ACTOR, now_ms, &out, &changed, &e);
    if (rc == ERR_OK && changed) {
        struct announcement a = {.type = ANN_RENEWAL_TASK_ESCALATED, .at = now_ms, .actor = SERVICE_RENEWAL_ACTOR,
                                 .task = &out, .before = t};
        rc = announce(c, &a);
    }
    if (rc == ERR_OK) task_clear(&out);
    return rc;
}

enum err service_renewal_act(struct store_conn *c, const char *id, const struct renewal_policy *p, int64_t now_ms,
                             struct renewal_outcome *out)
{
    memset(out, 0, sizeof *out);
    struct renewal_item it;
    enum err rc = store_renewal_get(c, id, &it);
    if (rc == ERR_NOT_FOUND) return ERR_OK; /* deleted since it was listed */
    if (rc != ERR_OK) return rc;
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    int acted_min;
    if ((rc = store_renewal_acted_min(c, id, it.expires_on, &acted_min)) != ERR_OK) return rc;
    int i = renewal_threshold_to_act(p, it.expires_on, today, acted_min);
    if (i >= 0) {
        struct renewal_threshold terms; /* URGENT when the item has expired already */
        renewal_threshold_terms(p, i, it.expires_on, today, &terms);
        const struct renewal_threshold *th = &terms;
        char due[DATE_SIZE], latest[TASK_ID_SIZE] = "";
        renewal_task_due(th, it.expires_on, today, due);
        rc = store_renewal_latest_task(c, id, latest);
        if (rc != ERR_OK && rc != ERR_NOT_FOUND) return rc;
        struct task t = {0};
        bool active = false;
        if (rc == ERR_OK) {
            if ((rc = store_task_get(c, latest, &t)) != ERR_OK) return rc;
            active = task_status_is_active(task_effective_status(&t, today));
        }
        if (active) {
            rc = escalate_task(c, &t, th, due, now_ms);
            memcpy(out->task_id, t.id, TASK_ID_SIZE);
            out->action = RENEWAL_ESCALATED;
        } else {
            rc = create_task(c, &it, p, th, due, now_ms, out->task_id);
            out->action = RENEWAL_CREATED;
        }
        task_clear(&t);
        if (rc != ERR_OK) return rc;
        rc = store_renewal_action_insert(c, id, it.expires_on, th->days_before,
                                         out->action == RENEWAL_CREATED ? "created" : "escalated", out->task_id,
                                         now_ms);
        if (rc != ERR_OK) return rc; /* the unique key: already acted */
        acted_min = th->days_before;
        memcpy(out->renewal_id, it.id, EXT_ID_SIZE);
        memcpy(out->customer_id, it.customer_id, EXT_ID_SIZE);
        memcpy(out->expires_on, it.expires_on, DATE_SIZE);
        out->days_before = th->days_before;
    }
    char next[DATE_SIZE];
    renewal_next_due(p, it.expires_on, acted_min, next);
    if (strcmp(next, it.next_due) != 0) rc = store_renewal_set_next_due(c, id, next);
    return rc;
}
