/* rule_engine.c (service): the workflow rules engine (see rule_engine.h):
 * events matched against the enabled rules of their type, each match creating
 * a follow-up task through service_task_create, all inside the writer's
 * transaction. Rule JSON is rule_json.c's, parsed rules come from
 * rule_cache.c, and conditions and templates are domain/rule.c's. */
#include "service/rule_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "service/rule_cache.h"
#include "service/rule_json.h"
#include "service/task_json.h"
#include "service/tasks.h"
#include "util/ids.h"
#include "util/log.h"

/* ---- events --------------------------------------------------------------------- */

/* What one event's handling collects for its answer. */
struct outcome {
    json_t *matched, *tasks, *notes;
    bool chain_noted;
};

static void note(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct outcome *o, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(o->notes, json_string(msg));
}

/* The event as rules see it: id, type, user_id, occurred_at, data, customer. */
static int event_context(const struct rule_engine_event *ev, const struct customer *cu, struct rv *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->kind = RV_OBJECT;
    char ts[40];
    dates_format_ts(ev->occurred_at, ts, sizeof ts);
    struct rv v;
    if (rv_string(&v, ev->id) || rv_object_add(ctx, "id", &v)) goto fail;
    if (rv_string(&v, ev->type) || rv_object_add(ctx, "type", &v)) goto fail;
    if (rv_string(&v, ev->user_id[0] ? ev->user_id : NULL) || rv_object_add(ctx, "user_id", &v)) goto fail;
    if (rv_string(&v, ts) || rv_object_add(ctx, "occurred_at", &v)) goto fail;
    if (rule_json_value(ev->data, &v) || rv_object_add(ctx, "data", &v)) goto fail;
    if (cu) {
        struct rv c = {.kind = RV_OBJECT};
        if (rv_string(&v, cu->id) || rv_object_add(&c, "id", &v) || rv_string(&v, cu->name) ||
            rv_object_add(&c, "name", &v) || rv_string(&v, cu->email) || rv_object_add(&c, "email", &v) ||
            rv_string(&v, cu->owner_id[0] ? cu->owner_id : NULL) || rv_object_add(&c, "owner_id", &v) ||
            rv_object_add(ctx, "customer", &c)) {
            rv_clear(&c);
            goto fail;
        }
    }
    return 0;
fail:
    rv_clear(&v);
    rv_clear(ctx);
    return -1;
}

/* ERR_OK with *active, or ERR_INTERNAL. An unknown staff id counts as inactive. */
static enum err staff_active(struct store_conn *c, const char *id, bool *active)
{
    struct staff st;
    enum err rc = store_staff_get(c, id, &st);
    *active = false;
    if (rc == ERR_NOT_FOUND) return ERR_OK;
    if (rc != ERR_OK) return rc;
    *active = st.active;
    store_staff_clear(&st);
    return ERR_OK;
}

/* Picks the task's assignee into out ("" for nobody), noting why nobody. */
static enum err choose_assignee(struct store_conn *c, const struct rule *r, const struct rule_row *row,
                                const struct customer *cu, struct outcome *o, char *out)
{
    out[0] = 0;
    bool active[RULE_STAFF_MAX] = {0};
    int64_t load[RULE_STAFF_MAX] = {0};
    enum err rc = ERR_OK;
    int pick = -1;
    switch (r->assignee) {
    case ASSIGN_NONE: return ERR_OK;
    case ASSIGN_CUSTOMER_OWNER:
        if (!cu || !cu->owner_id[0]) {
            note(o, "%s: the event's customer has no owner; the task is unassigned", r->id);
            return ERR_OK;
        }
        if ((rc = staff_active(c, cu->owner_id, &active[0])) != ERR_OK) return rc;
        if (!active[0]) {
            note(o, "%s: the customer's owner %s is not active; the task is unassigned", r->id, cu->owner_id);
            return ERR_OK;
        }
        snprintf(out, EXT_ID_SIZE, "%s", cu->owner_id);
        return ERR_OK;
    case ASSIGN_STAFF:
    case ASSIGN_ROUND_ROBIN:
    case ASSIGN_LEAST_LOADED:
        for (int i = 0; i < r->n_staff && rc == ERR_OK; i++) {
            rc = staff_active(c, r->staff[i], &active[i]);
            if (rc == ERR_OK && active[i] && r->assignee == ASSIGN_LEAST_LOADED)
                rc = store_staff_load(c, r->staff[i], &load[i]);
        }
        if (rc != ERR_OK) return rc;
        pick = r->assignee == ASSIGN_LEAST_LOADED ? rule_pick_least_loaded(r->n_staff, active, load)
                                                  : rule_pick_round_robin(r->n_staff, active, (uint64_t)row->rr_next);
        if (pick < 0) {
            note(o, "%s: no listed staff member is active; the task is unassigned", r->id);
            return ERR_OK;
        }
        /* the turn is taken in the database, where another writer may have
         * taken the one this row shows: its pick counts (a rule deleted since
         * keeps this one) */
        if (r->assignee == ASSIGN_ROUND_ROBIN) {
            int taken;
            rc = store_rule_rr_take(c, r->id, r->n_staff, active, &taken);
            if (rc == ERR_OK) pick = taken;
            if (rc != ERR_OK && rc != ERR_NOT_FOUND) return rc;
        }
        snprintf(out, EXT_ID_SIZE, "%s", r->staff[pick]);
        return ERR_OK;
    }
    return ERR_OK;
}

/* Renders tpl for one task field; NULL when out of memory. */
static char *render(const struct rule *r, const char *tpl, const char *field, const struct rv *ctx, bool newlines,
                    size_t max_chars, struct outcome *o)
{
    struct buf b = {0};
    char missing[300];
    /* 4 bytes per character at most, and one more character to know it was cut */
    int n = rule_template_render(tpl, ctx, (max_chars + 1) * 4, &b, missing, sizeof missing);
    char *s = buf_take(&b);
    if (!s) return NULL;
    if (n) note(o, "%s: %s: no value for %s; rendered as empty text", r->id, field, missing);
    if (rule_text_fit(s, newlines, max_chars)) note(o, "%s: %s cut to %zu characters", r->id, field, max_chars);
    return s;
}

/* One matching rule's task. Only ERR_INTERNAL is returned; anything else
 * that stops the task is a note. */
static enum err make_task(struct store_conn *c, const struct rule *r, const struct rule_row *row,
                          const struct rule_engine_event *ev, const struct customer *cu, const struct rv *ctx,
                          int64_t now, struct outcome *o)
{
    struct task t = {0};
    struct errinfo e = {0};
    enum err rc = ERR_INTERNAL;
    if (!(t.title = render(r, r->title_tpl, "task.title", ctx, false, TASK_TITLE_MAX_CHARS, o))) goto out;
    if (!t.title[0]) {
        free(t.title);
        if (!(t.title = strdup(r->name))) goto out;
        note(o, "%s: task.title rendered empty; the rule's name is the title", r->id);
    }
    if (r->description_tpl) {
        t.description = render(r, r->description_tpl, "task.description", ctx, true, TASK_DESCRIPTION_MAX_CHARS, o);
        if (!t.description) goto out;
        if (!t.description[0]) {
            free(t.description);
            t.description = NULL;
        }
    }
    char today[DATE_SIZE];
    dates_today(now, today);
    dates_from_days(dates_to_days(today) + r->due_in_days, t.due_date);
    t.priority = r->priority;
    t.status = TASK_OPEN;
    t.has_sla = r->has_sla;
    t.sla_hours = r->sla_hours;
    if ((rc = choose_assignee(c, r, row, cu, o, t.assignee_id)) != ERR_OK) goto out;
    if (cu) snprintf(t.user_id, sizeof t.user_id, "%s", cu->id);
    t.source = SOURCE_RULE;
    snprintf(t.rule_id, sizeof t.rule_id, "%s", r->id);
    snprintf(t.event_id, sizeof t.event_id, "%s", ev->id);
    t.rule_depth = ev->depth + 1;
    char actor[96];
    snprintf(actor, sizeof actor, "rule:%s", r->id);
    rc = service_task_create(c, &t, actor, now, &e);
    if (rc == ERR_OK) {
        json_array_append_new(o->tasks, json_string(t.id));
    } else if (rc != ERR_INTERNAL && rc != ERR_UNAVAILABLE) {
        /* the task was refused (a field, an assignee): noted, the event goes on;
         * a failing database fails the whole event instead */
        note(o, "%s: no task: %s", r->id, e.message[0] ? e.message : err_default_message(rc));
        rc = ERR_OK;
    }
out:
    task_clear(&t);
    return rc;
}

/* Matches ev against rows (the enabled rules of its type) and creates the
 * tasks. The outcome's arrays are filled; ERR_INTERNAL only. */
static enum err run_rules(struct store_conn *c, const struct rule_engine_event *ev, struct rule_row *rows, int n,
                          int64_t now, struct outcome *o)
{
    struct customer cu;
    bool have_cu = false;
    enum err rc = ERR_OK;
    if (ev->user_id[0]) {
        rc = store_customer_get(c, ev->user_id, &cu);
        if (rc == ERR_OK)
            have_cu = true;
        else if (rc == ERR_NOT_FOUND)
            rc = ERR_OK;
        else
            return rc;
    }
    struct rv ctx;
    if (event_context(ev, have_cu ? &cu : NULL, &ctx) != 0) {
        if (have_cu) store_customer_clear(&cu);
        return ERR_INTERNAL;
    }
    bool unknown_customer_noted = false;
    for (int i = 0; i < n && rc == ERR_OK; i++) {
        struct errinfo e = {0};
        enum err prc;
        struct rule *rp = rule_cache_take(&rows[i], &prc, &e);
        if (!rp && prc == ERR_INTERNAL) {
            rc = prc;
            break;
        }
        if (!rp) {
            log_error("rules: rule %s has an unreadable definition: %s", rows[i].id, e.message);
            note(o, "%s: the stored rule does not parse; skipped", rows[i].id);
            continue;
        }
        if (rule_matches(rp, &ctx)) {
            json_array_append_new(o->matched, json_string(rp->id));
            if (!rule_chain_allows(ev->depth)) {
                if (!o->chain_noted)
                    note(o, "chain stopped: this event comes from %d levels of rule-created tasks, the most "
                            "allowed is %d; matched rules created no task", ev->depth, RULE_CHAIN_MAX);
                o->chain_noted = true;
            } else {
                if (ev->user_id[0] && !have_cu && !unknown_customer_noted) {
                    note(o, "no customer %s: tasks are not linked to a customer", ev->user_id);
                    unknown_customer_noted = true;
                }
                rc = make_task(c, rp, &rows[i], ev, have_cu ? &cu : NULL, &ctx, now, o);
            }
        }
        rule_cache_put(&rows[i], rp);
    }
    rv_clear(&ctx);
    if (have_cu) store_customer_clear(&cu);
    return rc;
}

/* Runs the rules and stores the event with its outcome (a service event only
 * when something matched). *answer gets the answer text when not NULL. */
static enum err handle(struct store_conn *c, const struct rule_engine_event *ev, struct rule_row *rows, int n,
                       int64_t now, char **answer)
{
    struct outcome o = {json_array(), json_array(), json_array(), false};
    struct event_row row = {0};
    json_t *ans = NULL;
    enum err rc = ERR_INTERNAL;
    if (!o.matched || !o.tasks || !o.notes) goto out;
    if ((rc = run_rules(c, ev, rows, n, now, &o)) != ERR_OK) goto out;
    if (ev->from_service && json_array_size(o.matched) == 0) goto out;
    rc = ERR_INTERNAL;
    ans = json_pack("{s:s, s:O, s:O, s:O}", "event_id", ev->id, "matched_rules", o.matched, "tasks", o.tasks,
                    "notes", o.notes);
    if (!ans) goto out;
    snprintf(row.id, sizeof row.id, "%s", ev->id);
    snprintf(row.type, sizeof row.type, "%s", ev->type);
    snprintf(row.user_id, sizeof row.user_id, "%s", ev->user_id);
    row.occurred_at = ev->occurred_at;
    row.received_at = now;
    row.from_service = ev->from_service;
    row.depth = ev->depth;
    row.data = ev->from_service ? json_dumps(ev->data, JSON_COMPACT) : NULL; /* a posted one is claimed */
    row.outcome = json_dumps(ans, JSON_COMPACT);
    if ((ev->from_service && !row.data) || !row.outcome) goto out;
    rc = ev->from_service ? store_event_insert(c, &row) : store_event_set_outcome(c, row.id, row.outcome);
    if (rc != ERR_OK) goto out;
    if (answer) {
        *answer = row.outcome;
        row.outcome = NULL;
    }
out:
    json_decref(ans);
    json_decref(o.matched);
    json_decref(o.tasks);
    json_decref(o.notes);
    free(row.data);
    free(row.outcome);
    return rc;
}

enum err rule_engine_process_event(struct store_conn *c, const struct rule_engine_event *ev, int64_t now_ms,
                                   char **answer, bool *replayed)
{
    *answer = NULL;
    *replayed = false;
    /* the id is claimed first, by the insert on its unique key: of several
     * writers with one event exactly one runs the rules */
    struct event_row claim = {.occurred_at = ev->occurred_at, .received_at = now_ms, .depth = ev->depth}, old;
    snprintf(claim.id, sizeof claim.id, "%s", ev->id);
    snprintf(claim.type, sizeof claim.type, "%s", ev->type);
    snprintf(claim.user_id, sizeof claim.user_id, "%s", ev->user_id);
    if (!(claim.data = json_dumps(ev->data, JSON_COMPACT))) return ERR_INTERNAL;
    enum err rc = store_event_claim(c, &claim, &old);
    free(claim.data);
    if (rc == ERR_DUPLICATE) {
        *answer = old.outcome;
        old.outcome = NULL;
        store_event_row_clear(&old);
        *replayed = true;
        return ERR_OK;
    }
    if (rc != ERR_OK) return rc == ERR_UNAVAILABLE ? rc : ERR_INTERNAL;
    struct rule_row *rows = NULL;
    int n = 0;
    if ((rc = store_rules_for_type(c, ev->type, RULES_PER_TYPE_MAX, &rows, &n)) != ERR_OK) return rc;
    rc = handle(c, ev, rows, n, now_ms, answer);
    store_rule_rows_free(rows, n);
    return rc;
}

enum err rule_engine_task_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms)
{
    struct rule_row *rows = NULL;
    int n = 0;
    /* the common case, no rule for this type, costs one index probe */
    enum err rc = store_rules_for_type(c, type, RULES_PER_TYPE_MAX, &rows, &n);
    if (rc != ERR_OK || n == 0) {
        store_rule_rows_free(rows, n);
        return rc;
    }
    struct rule_engine_event ev = {.occurred_at = now_ms, .from_service = true, .depth = t->rule_depth};
    ids_new("sys_", now_ms, ev.id, sizeof ev.id);
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.user_id, sizeof ev.user_id, "%s", t->user_id);
    json_t *task = task_json(t, now_ms, TASK_JSON_EVENT);
    ev.data = task ? json_pack("{s:o}", "task", task) : NULL;
    rc = ev.data ? handle(c, &ev, rows, n, now_ms, NULL) : ERR_INTERNAL;
    json_decref(ev.data);
    store_rule_rows_free(rows, n);
    return rc;
}
