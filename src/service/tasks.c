/* tasks.c (service): create, patch and the automatic OVERDUE and SLA breach
 * records, each a task write plus its history lines in the caller's
 * transaction. Deadlines come from service/sla.c (used one way only). */
#include "service/tasks.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/lifecycle.h"
#include "domain/sla.h"
#include "service/announce.h"
#include "service/sla.h"
#include "util/ids.h"

#define SYSTEM_ACTOR "system"

void task_patch_clear(struct task_patch *p)
{
    free(p->title);
    free(p->description);
    memset(p, 0, sizeof *p);
}

static char *json_text(json_t *v)
{
    if (!v) return strdup("null");
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return s;
}

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static enum err add_history(struct store_conn *c, const char *task_id, int64_t at, const char *actor,
                            const char *type, const char *field, json_t *from, json_t *to)
{
    struct history_entry h = {.at = at};
    snprintf(h.actor, sizeof h.actor, "%s", actor);
    snprintf(h.type, sizeof h.type, "%s", type);
    snprintf(h.field, sizeof h.field, "%s", field ? field : "");
    h.from_json = json_text(from);
    h.to_json = json_text(to);
    enum err rc = (h.from_json && h.to_json) ? store_history_add(c, task_id, &h) : ERR_INTERNAL;
    free(h.from_json);
    free(h.to_json);
    return rc;
}

static enum err status_history(struct store_conn *c, const char *id, int64_t at, const char *actor,
                               enum task_status from, enum task_status to)
{
    return add_history(c, id, at, actor, "status_changed", "status", json_string(task_status_name(from)),
                       json_string(task_status_name(to)));
}

/* The assignee must be an active staff member and the customer one that
 * exists; *customer_name (when not NULL) takes the customer's name (NULL
 * for none; the caller frees it). */
static enum err check_refs(struct store_conn *c, const char *assignee_id, const char *user_id,
                           char **customer_name, struct errinfo *e)
{
    if (customer_name) *customer_name = NULL;
    if (assignee_id && *assignee_id) {
        struct staff st;
        enum err rc = store_staff_get(c, assignee_id, &st);
        if (rc == ERR_NOT_FOUND) return err_set(e, ERR_UNKNOWN_STAFF, "assignee_id", "no staff member %s", assignee_id);
        if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
        bool active = st.active;
        store_staff_clear(&st);
        if (!active)
            return err_set(e, ERR_UNKNOWN_STAFF, "assignee_id", "staff member %s is not active", assignee_id);
    }
    if (user_id && *user_id) {
        struct customer cu;
        enum err rc = store_customer_get(c, user_id, &cu);
        if (rc == ERR_NOT_FOUND) return err_set(e, ERR_UNKNOWN_CUSTOMER, "user_id", "no customer %s", user_id);
        if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
        if (customer_name) {
            *customer_name = cu.name;
            cu.name = NULL;
        }
        store_customer_clear(&cu);
    }
    return ERR_OK;
}

/* ---- the service's own events, for the workflow rules ---------------------- */

static service_task_event_fn task_event_hook;

void service_set_task_event_hook(service_task_event_fn fn) { task_event_hook = fn; }

/* Sends the task's event to the hook (the workflow rules), if one is set. */
static enum err task_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms)
{
    return task_event_hook ? task_event_hook(c, t, type, now_ms) : ERR_OK;
}

/* Tells the announcement sinks (webhooks, notifications) of a change to t. */
static enum err tell(struct store_conn *c, enum announce_type type, const struct task *t, const struct task *before,
                     const char *actor, int64_t now_ms)
{
    struct announcement a = {.type = type, .at = now_ms, .actor = actor, .task = t, .before = before};
    return announce(c, &a);
}


enum err service_task_create(struct store_conn *c, struct task *t, const char *actor, int64_t now_ms,
                             struct errinfo *e)
{
    char *customer_name = NULL;
    enum err rc = check_refs(c, t->assignee_id, t->user_id, &customer_name, e);
    if (rc != ERR_OK) return rc;
    ids_new("tsk_", now_ms, t->id, sizeof t->id);
    t->created_at = t->updated_at = now_ms;
    t->version = 1;
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    bool overdue = task_effective_status(t, today) == TASK_OVERDUE;
    t->overdue_recorded = overdue;
    /* SLA clocks: the clock starts now; a task created without sla_hours
     * takes the policy's hours for its priority */
    t->sla_started_at = now_ms;
    t->sla_paused_at = t->sla_paused_ms = 0;
    if (t->sla_by_policy) {
        struct sla_policy pol;
        if ((rc = service_sla_policy_load(c, &pol)) != ERR_OK) return err_set(e, rc, NULL, NULL);
        sla_policy_apply(&pol, t);
    }
    if ((rc = service_sla_stamp(c, t)) != ERR_OK) return err_set(e, rc, NULL, NULL); /* deadline from the SLA calendar */
    if ((rc = store_task_insert(c, t)) == ERR_OK)
        rc = store_task_search_new(c, t->id, t->title, t->description, customer_name);
    free(customer_name);
    if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
    if ((rc = add_history(c, t->id, now_ms, actor, "created", NULL, NULL, NULL)) != ERR_OK)
        return err_set(e, rc, NULL, NULL);
    if (overdue && (rc = status_history(c, t->id, now_ms, SYSTEM_ACTOR, t->status, TASK_OVERDUE)) != ERR_OK)
        return err_set(e, rc, NULL, NULL);
    /* a task born overdue raises task.overdue for the workflow rules */
    if (overdue && (rc = task_event(c, t, "task.overdue", now_ms)) != ERR_OK) return err_set(e, rc, NULL, NULL);
    if ((rc = tell(c, ANN_TASK_CREATED, t, NULL, actor, now_ms)) != ERR_OK ||
        (t->assignee_id[0] && (rc = tell(c, ANN_TASK_ASSIGNED, t, NULL, actor, now_ms)) != ERR_OK) ||
        (overdue && (rc = tell(c, ANN_TASK_OVERDUE, t, NULL, SYSTEM_ACTOR, now_ms)) != ERR_OK))
        return err_set(e, rc, NULL, NULL);
    return ERR_OK;
}

enum err service_task_create_keyed(struct store_conn *c, struct task *t, const char *actor, int64_t now_ms,
                                   const struct idem_key *k, service_answer_fn answer_of, int *status,
                                   char **answer, struct errinfo *e)
{
    *answer = NULL;
    unsigned char stored[32];
    enum err rc = store_idem_claim(c, k->scope, k->key, k->hash, now_ms, stored, status, answer);
    if (rc == ERR_DUPLICATE) {
        if (sodium_memcmp(stored, k->hash, 32) == 0) {
            rc = store_idem_task_get(c, k->scope, k->key, t->id, &t->version);
            return rc == ERR_OK || rc == ERR_NOT_FOUND ? ERR_OK : err_set(e, rc, NULL, NULL);
        }
        free(*answer);
        *answer = NULL;
        return err_set(e, ERR_IDEMPOTENCY_CONFLICT, "Idempotency-Key",
                       "This Idempotency-Key was already used with a different body");
    }
    if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
    if ((rc = service_task_create(c, t, actor, now_ms, e)) != ERR_OK) return rc;
    *status = 201;
    if (!(*answer = answer_of(t, now_ms))) return err_set(e, ERR_INTERNAL, NULL, NULL);
    if ((rc = store_idem_put(c, k->scope, k->key, k->hash, *status, *answer, now_ms)) != ERR_OK ||
        (rc = store_idem_task_set(c, k->scope, k->key, t->id, t->version)) != ERR_OK)
        return err_set(e, rc == ERR_DUPLICATE || rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc, NULL, NULL);
    return ERR_OK;
}

/* Whole hours as an integer (24, not 24.0), as the task JSON shows them. */
static json_t *sla_json(const struct task *t)
{
    if (!t->has_sla) return json_null();
    if (t->sla_hours == (double)(int64_t)t->sla_hours) return json_integer((json_int_t)t->sla_hours);
    return json_real(t->sla_hours);
}

/* An instant as an RFC 3339 JSON string, null for 0 */
static json_t *ts_json(int64_t ms)
{
    if (!ms) return json_null();
    char ts[32];
    dates_format_ts(ms, ts, sizeof ts);
    return json_string(ts);
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* History lines for every field that differs between old and new. */
/* What the search's document of a task is made of changed (its comments
 * and its customer's name are refreshed where they change). */
static bool search_text_changed(const struct task *o, const struct task *n)
{
    return !str_eq(o->title, n->title) || !str_eq(o->description, n->description) || !str_eq(o->user_id, n->user_id);
}

static enum err field_history(struct store_conn *c, const struct task *o, const struct task *n, int64_t at,
                              const char *actor)
{
    enum err rc = ERR_OK;
#define CHANGED(field, from, to) \
    if (rc == ERR_OK) rc = add_history(c, o->id, at, actor, "field_changed", field, from, to)
    if (!str_eq(o->title, n->title)) CHANGED("title", json_string(o->title), json_string(n->title));
    if (!str_eq(o->description, n->description))
        CHANGED("description", str_or_null(o->description), str_or_null(n->description));
    if (o->priority != n->priority)
        CHANGED("priority", json_string(task_priority_name(o->priority)), json_string(task_priority_name(n->priority)));
    if (strcmp(o->due_date, n->due_date) != 0) CHANGED("due_date", json_string(o->due_date), json_string(n->due_date));
    if (o->has_sla != n->has_sla || (o->has_sla && o->sla_hours != n->sla_hours))
        CHANGED("sla_hours", sla_json(o), sla_json(n));
    if (strcmp(o->assignee_id, n->assignee_id) != 0)
        CHANGED("assignee_id", str_or_null(o->assignee_id), str_or_null(n->assignee_id));
    if (strcmp(o->user_id, n->user_id) != 0) CHANGED("user_id", str_or_null(o->user_id), str_or_null(n->user_id));
#undef CHANGED
    return rc;
}

/* One try of service_task_patch: *stale when the task moved on between its
 * read and its update (nothing of the change is written then). */
static enum err patch_once(struct store_conn *c, const char *id, const struct task_patch *p, int64_t if_match,
                           const char *actor, int64_t now_ms, struct task *out, bool *changed, bool *stale,
                           struct errinfo *e)
{
    struct task old = {0}, nt = {0};
    *changed = false;
    *stale = false;
    memset(out, 0, sizeof *out);
    enum err rc = store_task_get(c, id, &old);
    if (rc != ERR_OK) return err_set(e, rc, NULL, rc == ERR_NOT_FOUND ? "no task %s" : NULL, id);
    /* a deadline the pending calendar recompute has not reached yet is
     * judged, and written back, as the calendar in force gives it */
    bool sla_refreshed;
    if (service_sla_refresh(c, &old, &sla_refreshed) != ERR_OK) {
        task_clear(&old);
        return err_set(e, ERR_INTERNAL, NULL, NULL);
    }
    if (if_match >= 0 && if_match != old.version) {
        rc = err_set(e, ERR_VERSION_CONFLICT, NULL, "the task is at version %lld, not %lld", (long long)old.version,
                     (long long)if_match);
        goto fail;
    }
    if (p->has_status && p->status == TASK_OVERDUE) {
        rc = err_set(e, ERR_VALIDATION_FAILED, "status", "status OVERDUE is set automatically when the due date passes");
        goto fail;
    }
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    enum task_status before = task_effective_status(&old, today);

    if (task_copy(&nt, &old) != 0) {
        rc = err_set(e, ERR_INTERNAL, NULL, NULL);
        goto fail;
    }
    if (p->has_title) {
        free(nt.title);
        nt.title = strdup(p->title);
    }
    if (p->has_description) {
        free(nt.description);
        nt.description = p->description ? strdup(p->description) : NULL;
    }
    if (!nt.title || (p->description && !nt.description)) {
        rc = err_set(e, ERR_INTERNAL, NULL, NULL);
        goto fail;
    }
    if (p->has_priority) nt.priority = p->priority;
    if (p->has_due_date) memcpy(nt.due_date, p->due_date, DATE_SIZE);
    if (p->has_sla_hours) {
        nt.has_sla = !p->sla_null;
        nt.sla_hours = p->sla_null ? 0 : p->sla_hours;
    }
    if (p->has_assignee) snprintf(nt.assignee_id, sizeof nt.assignee_id, "%s", p->assignee_id);
    if (p->has_user) snprintf(nt.user_id, sizeof nt.user_id, "%s", p->user_id);
    /* SLA clocks: hours given by hand are never the policy's again; a
     * priority change moves hours that were the old priority's policy
     * value to the new one's, restarting the clock at the change */
    bool policy_moved = false;
    if (p->has_sla_hours) nt.sla_by_policy = false;
    else if (p->has_priority && nt.priority != old.priority && old.sla_by_policy) {
        struct sla_policy pol;
        bool has;
        double hours;
        if (service_sla_policy_load(c, &pol) != ERR_OK) goto fail_internal;
        if ((policy_moved = sla_policy_on_priority(&pol, &old, nt.priority, &has, &hours))) {
            nt.has_sla = has;
            nt.sla_hours = hours;
        }
    }
    bool was_waiting = old.sla_paused_at != 0;
    bool clock_change = (p->has_waiting && p->waiting != was_waiting) || p->sla_restart;

    bool fields_same = task_equal(&old, &nt);
    /* asking for the status a task has, or for the work status it has
     * under the overdue overlay, is no change */
    if (fields_same && !clock_change && (!p->has_status || p->status == before || p->status == old.status)) {
        /* nothing to do: a retry of a PATCH that already applied */
        *out = old;
        task_clear(&nt);
        return ERR_OK;
    }
    /* a final task changes only by being reopened (with the PATCH's other
     * fields, if any, applied to the reopened task) */
    bool reopen = p->has_status && lifecycle_is_reopen(before, p->status);
    if (task_status_is_final(before) && !reopen) {
        rc = err_set(e, ERR_INVALID_TRANSITION, p->has_status ? "status" : NULL,
                     "the task is %s; reopen it first (status OPEN or IN_PROGRESS)", task_status_name(before));
        goto fail;
    }
    if (strcmp(old.assignee_id, nt.assignee_id) != 0 || strcmp(old.user_id, nt.user_id) != 0) {
        rc = check_refs(c, strcmp(old.assignee_id, nt.assignee_id) ? nt.assignee_id : NULL,
                        strcmp(old.user_id, nt.user_id) ? nt.user_id : NULL, NULL, e);
        if (rc != ERR_OK) goto fail;
    }
    enum task_status mid = task_effective_status(&nt, today);
    if (p->has_status && p->status != mid && p->status != nt.status) {
        rc = lifecycle_apply(&nt, mid, p->status, now_ms, e);
        if (rc != ERR_OK) goto fail;
    }
    enum task_status after = task_effective_status(&nt, today);
    nt.overdue_recorded = after == TASK_OVERDUE;
    nt.version = old.version + 1;
    nt.updated_at = now_ms;
    /* a breach the sweeper has not recorded yet is written first, so
     * a task finished late between two sweeps still has its line */
    if (task_status_is_active(before) && old.has_sla && sla_judged_at(&old, now_ms) > sla_due_at(&old)) {
        bool rec;
        if (service_task_record_sla_breach(c, id, now_ms, &rec) != ERR_OK) goto fail_internal;
    }
    /* SLA clocks: pause, resume, restart. A final status ends the pause;
     * a resume adds the SLA time paused (working time with the calendar),
     * moving the deadline later; a restart starts the clock now with
     * nothing paused (a pause in progress goes on from now). */
    bool to_wait = p->has_waiting ? p->waiting : was_waiting;
    if (task_status_is_final(after)) to_wait = false;
    if (was_waiting && !to_wait) {
        int64_t paused;
        if (service_sla_between(c, old.sla_paused_at, now_ms, &paused) != ERR_OK) goto fail_internal;
        nt.sla_paused_ms += paused;
        nt.sla_paused_at = 0;
    } else if (!was_waiting && to_wait) {
        nt.sla_paused_at = now_ms;
    }
    bool restart = p->sla_restart || policy_moved;
    if (restart) {
        nt.sla_started_at = now_ms;
        nt.sla_paused_ms = 0;
        if (nt.sla_paused_at) nt.sla_paused_at = now_ms;
    }
    /* a new sla_hours or a moved clock gets a new deadline, with the SLA calendar */
    bool sla_moved = false;
    if (old.has_sla != nt.has_sla || old.sla_hours != nt.sla_hours || nt.sla_paused_ms != old.sla_paused_ms ||
        sla_clock_start(&nt) != sla_clock_start(&old)) {
        if (service_sla_stamp(c, &nt) != ERR_OK) goto fail_internal;
        sla_moved = sla_due_at(&old) != sla_due_at(&nt);
    }
    if ((rc = store_task_update(c, &nt)) == ERR_VERSION_CONFLICT) {
        *stale = true;
        goto fail;
    }
    if (rc != ERR_OK) goto fail_internal;
    if (search_text_changed(&old, &nt) && store_task_search_refresh(c, id) != ERR_OK) goto fail_internal;

    /* History: the automatic OVERDUE the sweeper had not written yet comes
     * first, so the lines read as what happened; then the fields; then the
     * status change, a move into OVERDUE always by the system. */
    if (before == TASK_OVERDUE && !old.overdue_recorded &&
        (rc = status_history(c, id, now_ms, SYSTEM_ACTOR, old.status, TASK_OVERDUE)) != ERR_OK)
        goto fail_internal;
    if ((rc = field_history(c, &old, &nt, now_ms, actor)) != ERR_OK) goto fail_internal;
    if (was_waiting != to_wait &&
        (rc = add_history(c, id, now_ms, actor, "field_changed", "waiting_on_customer", json_boolean(was_waiting),
                          json_boolean(to_wait))) != ERR_OK)
        goto fail_internal;
    if (sla_clock_start(&nt) != sla_clock_start(&old) &&
        (rc = add_history(c, id, now_ms, actor, "field_changed", "sla_started_at", ts_json(sla_clock_start(&old)),
                          ts_json(sla_clock_start(&nt)))) != ERR_OK)
        goto fail_internal;
    if (sla_moved && (rc = add_history(c, id, now_ms, actor, "field_changed", "sla_due_at", ts_json(sla_due_at(&old)),
                                       ts_json(sla_due_at(&nt)))) != ERR_OK)
        goto fail_internal;
    /* a deadline that moved (or a clock restarted) on an active task: a
     * breach it no longer has is cleared, in the history too, so that the
     * next one is recorded again; so is the at-risk warning when the task
     * is no longer at risk */
    if ((sla_moved || restart) && task_status_is_active(after)) {
        bool was_breached = sla_breached(&old, before, now_ms) == SLA_BREACHED;
        bool is_breached = sla_breached(&nt, after, now_ms) == SLA_BREACHED;
        bool clear_risk = !sla_at_risk(&nt, after, now_ms);
        if ((!is_breached || clear_risk) && store_task_sla_marks_clear(c, id, !is_breached, clear_risk) != ERR_OK)
            goto fail_internal;
        if (was_breached && !is_breached && nt.has_sla &&
            (rc = add_history(c, id, now_ms, actor, "field_changed", "sla_breached", json_true(), json_false())) !=
                ERR_OK)
            goto fail_internal;
    }
    if (reopen) {
        /* the person's reopen, then (its due date passed) the system's move
         * into OVERDUE: every move into OVERDUE is the system's */
        if ((rc = status_history(c, id, now_ms, actor, before, nt.status)) != ERR_OK ||
            (after == TASK_OVERDUE &&
             (rc = status_history(c, id, now_ms, SYSTEM_ACTOR, nt.status, TASK_OVERDUE)) != ERR_OK))
            goto fail_internal;
    } else {
        /* picked up or put down while (or while becoming) overdue: the
         * status reads OVERDUE, the work status is what the person changed */
        if (after == TASK_OVERDUE && old.status != nt.status &&
            (rc = add_history(c, id, now_ms, actor, "status_changed", "work_status",
                              json_string(task_status_name(old.status)), json_string(task_status_name(nt.status)))) !=
                ERR_OK)
            goto fail_internal;
        if (before != after &&
            (rc = status_history(c, id, now_ms, after == TASK_OVERDUE ? SYSTEM_ACTOR : actor, before, after)) !=
                ERR_OK)
            goto fail_internal;
    }
    /* the service's own events for the workflow rules, once per change */
    {
        const char *ev = reopen                                       ? "task.reopened"
                         : after == TASK_COMPLETED && before != after ? "task.completed"
                         : after == TASK_CANCELLED && before != after ? "task.cancelled"
                                                                      : NULL;
        if (ev && (rc = task_event(c, &nt, ev, now_ms)) != ERR_OK) goto fail_internal;
        bool to_overdue = after == TASK_OVERDUE && (before != TASK_OVERDUE || !old.overdue_recorded);
        if (to_overdue && (rc = task_event(c, &nt, "task.overdue", now_ms)) != ERR_OK) goto fail_internal;
        /* and for the world outside: every change is task.updated, then
         * what it means in particular */
        enum announce_type ann = reopen                                       ? ANN_TASK_REOPENED
                                 : after == TASK_COMPLETED && before != after ? ANN_TASK_COMPLETED
                                 : after == TASK_CANCELLED && before != after ? ANN_TASK_CANCELLED
                                                                              : ANN_COUNT;
        if ((rc = tell(c, ANN_TASK_UPDATED, &nt, &old, actor, now_ms)) != ERR_OK ||
            (strcmp(old.assignee_id, nt.assignee_id) != 0 && nt.assignee_id[0] &&
             (rc = tell(c, ANN_TASK_ASSIGNED, &nt, &old, actor, now_ms)) != ERR_OK) ||
            (ann != ANN_COUNT && (rc = tell(c, ann, &nt, &old, actor, now_ms)) != ERR_OK) ||
            (to_overdue && (rc = tell(c, ANN_TASK_OVERDUE, &nt, &old, SYSTEM_ACTOR, now_ms)) != ERR_OK))
            goto fail_internal;
    }
    /* a reopened task past its SLA deadline is judged as any active one:
     * its breach, if never recorded (it was finished in time), is now
     * (once per task: one already recorded stays the one) */
    if (reopen && nt.has_sla && now_ms > sla_due_at(&nt)) {
        bool rec;
        if (service_task_record_sla_breach(c, id, now_ms, &rec) != ERR_OK) goto fail_internal;
    }
    task_clear(&old);
    *out = nt;
    *changed = true;
    return ERR_OK;
fail_internal:
    rc = err_set(e, ERR_INTERNAL, NULL, NULL);
fail:
    task_clear(&old);
    task_clear(&nt);
    return rc;
}

/* The If-Match check in C above refuses a stale version the client sent;
 * the version compared in the UPDATE refuses one this transaction read when
 * another writer changed the task since. Then the patch starts again from a
 * fresh read: its If-Match (if any) now answers 412, and a patch without one
 * applies over the other writer's change instead of undoing it. Writes made
 * before the update (a breach the sweeper had not recorded) are idempotent,
 * so a second try finds them done. */
#define PATCH_TRIES 8

enum err service_task_patch(struct store_conn *c, const char *id, const struct task_patch *p, int64_t if_match,
                            const char *actor, int64_t now_ms, struct task *out, bool *changed, struct errinfo *e)
{
    for (int tries = 1;; tries++) {
        bool stale;
        enum err rc = patch_once(c, id, p, if_match, actor, now_ms, out, changed, &stale, e);
        if (!stale) return rc;
        if (tries == PATCH_TRIES) {
            /* the task changes faster than this patch can apply: the client may retry */
            return err_set(e, ERR_UNAVAILABLE, NULL, "the task is being changed by others; try again shortly");
        }
    }
}

enum err service_task_patch_each(struct store_conn *c, const struct task_patch_target *targets, int n,
                                 const struct task_patch *p, const char *actor, int64_t now_ms,
                                 service_patch_result_fn result, void *arg)
{
    for (int i = 0; i < n; i++) {
        struct task t = {0};
        struct errinfo e = {0};
        bool changed;
        enum err rc = (enum err)store_savepoint(c), sp;
        if (rc != ERR_OK) return rc;
        rc = service_task_patch(c, targets[i].id, p, targets[i].version, actor, now_ms, &t, &changed, &e);
        if (rc != ERR_OK && (sp = (enum err)store_savepoint_rollback(c)) != ERR_OK) {
            task_clear(&t);
            return sp;
        }
        /* a statement's failure may come back only now: the task is then
         * undone alone, and answers as failed */
        if ((sp = (enum err)store_savepoint_release(c)) == ERR_JOB_FAILED) {
            rc = err_set(&e, ERR_INTERNAL, NULL, NULL);
        } else if (sp != ERR_OK) {
            task_clear(&t);
            return sp;
        }
        if (rc != ERR_OK) task_clear(&t);
        if (rc != ERR_OK && e.code != rc) err_set(&e, rc, NULL, NULL);
        enum err rr = result(arg, i, rc, &t, &e);
        task_clear(&t);
        if (rr != ERR_OK) return rr;
    }
    return ERR_OK;
}

enum err service_task_record_overdue(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded)
{
    *recorded = false;
    struct task t;
    enum err rc = store_task_get(c, id, &t);
    if (rc != ERR_OK) return rc;
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    if (t.overdue_recorded || task_effective_status(&t, today) != TASK_OVERDUE) goto out;
    /* the flag flips only at the version judged: a task changed since (its
     * writer recorded what it saw) or recorded by another writer is left */
    if ((rc = store_task_overdue_mark(c, id, t.version)) != ERR_OK) {
        if (rc == ERR_NOT_FOUND) rc = ERR_OK;
        goto out;
    }
    t.overdue_recorded = true;
    if ((rc = status_history(c, id, now_ms, SYSTEM_ACTOR, t.status, TASK_OVERDUE)) != ERR_OK) goto out;
    if ((rc = task_event(c, &t, "task.overdue", now_ms)) != ERR_OK) goto out; /* for the workflow rules */
    if ((rc = tell(c, ANN_TASK_OVERDUE, &t, NULL, SYSTEM_ACTOR, now_ms)) != ERR_OK) goto out;
    *recorded = true;
out:
    task_clear(&t);
    return rc;
}

enum err service_task_record_sla_breach(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded)
{
    *recorded = false;
    struct task t;
    enum err rc = store_task_get(c, id, &t);
    if (rc != ERR_OK) return rc;
    /* never a breach of a deadline the new calendar has moved */
    bool moved;
    if ((rc = service_sla_refresh(c, &t, &moved)) != ERR_OK) goto out;
    if (moved && (rc = store_task_sla_set(c, id, sla_due_at(&t), sla_risk_at(&t))) != ERR_OK) goto out;
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    int64_t due = sla_due_at(&t);
    if (!t.has_sla || !task_status_is_active(task_effective_status(&t, today)) || sla_judged_at(&t, now_ms) <= due)
        goto out;
    /* the flag flips only once: a second call finds nothing to mark */
    if ((rc = store_task_sla_breach_mark(c, id)) != ERR_OK) {
        if (rc == ERR_NOT_FOUND) rc = ERR_OK;
        goto out;
    }
    char ts[32], to[40];
    dates_format_ts(due, ts, sizeof ts);
    snprintf(to, sizeof to, "\"%s\"", ts);
    struct history_entry h = {.at = now_ms, .from_json = (char *)"null", .to_json = to};
    snprintf(h.actor, sizeof h.actor, "system");
    snprintf(h.type, sizeof h.type, "sla_breached");
    snprintf(h.field, sizeof h.field, "sla_due_at");
    if ((rc = store_history_add(c, id, &h)) != ERR_OK) goto out;
    /* the rules engine sees it in the same transaction */
    if ((rc = task_event(c, &t, "sla.breached", now_ms)) != ERR_OK) goto out;
    if ((rc = tell(c, ANN_SLA_BREACHED, &t, NULL, SYSTEM_ACTOR, now_ms)) != ERR_OK) goto out;
    *recorded = true;
out:
    task_clear(&t);
    return rc;
}

enum err service_task_record_sla_at_risk(struct store_conn *c, const char *id, int64_t now_ms, bool *recorded)
{
    *recorded = false;
    struct task t;
    enum err rc = store_task_get(c, id, &t);
    if (rc != ERR_OK) return rc;
    /* judged by the calendar in force, as a breach is */
    bool moved;
    if ((rc = service_sla_refresh(c, &t, &moved)) != ERR_OK) goto out;
    if (moved && (rc = store_task_sla_set(c, id, sla_due_at(&t), sla_risk_at(&t))) != ERR_OK) goto out;
    char today[DATE_SIZE];
    dates_today(now_ms, today);
    if (t.sla_paused_at || !sla_at_risk(&t, task_effective_status(&t, today), now_ms)) goto out;
    /* the flag flips once per clock: a second call finds nothing to mark */
    if ((rc = store_task_sla_risk_mark(c, id)) != ERR_OK) {
        if (rc == ERR_NOT_FOUND) rc = ERR_OK;
        goto out;
    }
    if ((rc = add_history(c, id, now_ms, SYSTEM_ACTOR, "sla_at_risk", "sla_due_at", json_null(),
                          ts_json(sla_due_at(&t)))) != ERR_OK)
        goto out;
    if ((rc = tell(c, ANN_SLA_AT_RISK, &t, NULL, SYSTEM_ACTOR, now_ms)) != ERR_OK) goto out;
    *recorded = true;
out:
    task_clear(&t);
    return rc;
}
