/* rules.c: the workflow rules engine (see rules.h): rule definitions from
 * JSON, and events matched against the enabled rules of their type, each
 * match creating a follow-up task through service_task_create, all inside
 * the writer's transaction. */
#include "jobs/rules.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"
#include "service/tasks.h"
#include "util/ids.h"
#include "util/log.h"

/* ---- JSON values into rule values ------------------------------------------ */

int rules_value_from_json(json_t *j, struct rv *out)
{
    memset(out, 0, sizeof *out);
    switch (json_typeof(j)) {
    case JSON_NULL: out->kind = RV_NULL; return 0;
    case JSON_TRUE:
    case JSON_FALSE: out->kind = RV_BOOL; out->b = json_is_true(j); return 0;
    case JSON_INTEGER:
    case JSON_REAL: out->kind = RV_NUMBER; out->n = json_number_value(j); return 0;
    case JSON_STRING: return rv_string(out, json_string_value(j));
    case JSON_ARRAY: {
        out->kind = RV_ARRAY;
        size_t n = json_array_size(j);
        if (n == 0) return 0;
        out->items = calloc(n, sizeof *out->items);
        if (!out->items) return -1;
        for (size_t i = 0; i < n; i++) {
            out->len++;
            if (rules_value_from_json(json_array_get(j, i), &out->items[i]) != 0) return -1;
        }
        return 0;
    }
    case JSON_OBJECT: {
        out->kind = RV_OBJECT;
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            struct rv item;
            if (rules_value_from_json(v, &item) != 0 || rv_object_add(out, k, &item) != 0) {
                rv_clear(&item);
                return -1;
            }
        }
        return 0;
    }
    }
    return -1;
}

/* ---- rule definitions --------------------------------------------------------- */

/* Refuses keys of obj not in known, naming the first as prefix + key. */
static enum err known_keys(json_t *obj, const char *const *known, const char *prefix, struct errinfo *e)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, key) == 0;
        if (!ok) {
            err_set(e, ERR_VALIDATION_FAILED, NULL, "unknown field '%s%.100s'", prefix, key);
            snprintf(e->field, sizeof e->field, "%s%s", prefix, key);
            return ERR_VALIDATION_FAILED;
        }
    }
    return ERR_OK;
}

static enum err bad(struct errinfo *e, const char *field, const char *msg)
{
    return err_set(e, ERR_VALIDATION_FAILED, field, "%s: %s", field, msg);
}

static enum err parse_conditions(json_t *conds, struct rule *r, json_t *canon, struct errinfo *e)
{
    static const char *const known[] = {"field", "op", "value", NULL};
    if (!conds || json_is_null(conds)) return ERR_OK;
    if (!json_is_array(conds)) return bad(e, "conditions", "must be an array of conditions");
    if (json_array_size(conds) > RULE_CONDS_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "conditions", "conditions: at most %d conditions", RULE_CONDS_MAX);
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        char f[64];
        snprintf(f, sizeof f, "conditions[%zu]", i);
        if (!json_is_object(c)) return bad(e, f, "a condition is an object {\"field\", \"op\", \"value\"}");
        char prefix[80];
        snprintf(prefix, sizeof prefix, "%s.", f);
        enum err rc = known_keys(c, known, prefix, e);
        if (rc != ERR_OK) return rc;
        struct rule_cond *rc_ = &r->conds[r->n_conds];
        memset(rc_, 0, sizeof *rc_);
        snprintf(f, sizeof f, "conditions[%zu].field", i);
        const char *field = json_string_value(json_object_get(c, "field"));
        if (!field) return bad(e, f, "field is required and must be a path string");
        if ((rc = rule_path_check(field, f, e)) != ERR_OK) return rc;
        snprintf(rc_->field, sizeof rc_->field, "%s", field);
        snprintf(f, sizeof f, "conditions[%zu].op", i);
        const char *op = json_string_value(json_object_get(c, "op"));
        if (!op || rule_op_parse(op, &rc_->op) != 0)
            return bad(e, f, "op must be one of eq, ne, in, not_in, exists, not_exists, gt, gte, lt, lte, contains");
        json_t *v = json_object_get(c, "value");
        rc_->has_value = v != NULL;
        if (v && rules_value_from_json(v, &rc_->value) != 0) {
            rv_clear(&rc_->value);
            return err_set(e, ERR_INTERNAL, NULL, NULL);
        }
        r->n_conds++; /* owned by r from here: rule_clear frees the value */
        snprintf(f, sizeof f, "conditions[%zu].value", i);
        if ((rc = rule_cond_check(rc_, f, e)) != ERR_OK) return rc;
        json_t *cc = json_pack("{s:s, s:s}", "field", field, "op", op);
        if (!cc || (v && json_object_set(cc, "value", v) != 0) || json_array_append_new(canon, cc) != 0)
            return err_set(e, ERR_INTERNAL, NULL, NULL);
    }
    return ERR_OK;
}

static bool staff_listed(const struct rule *r, const char *id)
{
    for (int i = 0; i < r->n_staff; i++)
        if (strcmp(r->staff[i], id) == 0) return true;
    return false;
}

static enum err parse_assignee(json_t *a, struct rule *r, struct errinfo *e)
{
    const char *f = "task.assignee";
    r->assignee = ASSIGN_NONE;
    if (!a || json_is_null(a)) return ERR_OK;
    if (json_is_string(a)) {
        const char *s = json_string_value(a);
        if (strcmp(s, "customer_owner") == 0) {
            r->assignee = ASSIGN_CUSTOMER_OWNER;
            return ERR_OK;
        }
        if (!ids_valid_external(s, "sta_"))
            return bad(e, f, "assignee is customer_owner, a staff id (sta_...), {\"round_robin\": [...]} or "
                             "{\"least_loaded\": [...]}");
        r->assignee = ASSIGN_STAFF;
        r->n_staff = 1;
        snprintf(r->staff[0], EXT_ID_SIZE, "%s", s);
        return ERR_OK;
    }
    if (!json_is_object(a) || json_object_size(a) != 1)
        return bad(e, f, "assignee is customer_owner, a staff id (sta_...), {\"round_robin\": [...]} or "
                         "{\"least_loaded\": [...]}");
    json_t *list = json_object_get(a, "round_robin");
    const char *kind = "round_robin";
    r->assignee = ASSIGN_ROUND_ROBIN;
    if (!list) {
        list = json_object_get(a, "least_loaded");
        kind = "least_loaded";
        r->assignee = ASSIGN_LEAST_LOADED;
    }
    if (!list) return bad(e, f, "an assignee object is {\"round_robin\": [...]} or {\"least_loaded\": [...]}");
    char lf[64];
    snprintf(lf, sizeof lf, "task.assignee.%s", kind);
    if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > RULE_STAFF_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, lf, "%s: a list of 1-%d staff ids", lf, RULE_STAFF_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        snprintf(lf, sizeof lf, "task.assignee.%s[%zu]", kind, i);
        const char *s = json_string_value(v);
        if (!s || !ids_valid_external(s, "sta_")) return bad(e, lf, "must be a staff id (sta_...)");
        if (staff_listed(r, s)) return bad(e, lf, "this staff id is listed twice");
        snprintf(r->staff[r->n_staff++], EXT_ID_SIZE, "%s", s);
    }
    return ERR_OK;
}

static enum err parse_task(json_t *t, struct rule *r, struct errinfo *e)
{
    static const char *const known[] = {"title", "description", "priority", "due_in_days", "sla_hours", "assignee",
                                        NULL};
    if (!t) return bad(e, "task", "task is required: the task each match creates");
    if (!json_is_object(t)) return bad(e, "task", "must be an object");
    enum err rc = known_keys(t, known, "task.", e);
    if (rc != ERR_OK) return rc;

    json_t *v = json_object_get(t, "title");
    if (!json_is_string(v)) return bad(e, "task.title", "title is required and must be a template string");
    const char *s = json_string_value(v);
    size_t len = strlen(s);
    bool blank = true;
    for (size_t i = 0; i < len && blank; i++) blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
    if (blank) return bad(e, "task.title", "title must not be empty");
    if (len > RULE_TITLE_TPL_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "task.title", "task.title: at most %d bytes", RULE_TITLE_TPL_MAX);
    if ((rc = rule_template_check(s, "task.title", e)) != ERR_OK) return rc;
    if (!(r->title_tpl = strdup(s))) return err_set(e, ERR_INTERNAL, NULL, NULL);

    v = json_object_get(t, "description");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) return bad(e, "task.description", "must be a template string or null");
        s = json_string_value(v);
        if (task_utf8_length(s) > TASK_DESCRIPTION_MAX_CHARS)
            return err_set(e, ERR_VALIDATION_FAILED, "task.description", "task.description: at most %d characters",
                           TASK_DESCRIPTION_MAX_CHARS);
        if ((rc = rule_template_check(s, "task.description", e)) != ERR_OK) return rc;
        if (*s && !(r->description_tpl = strdup(s))) return err_set(e, ERR_INTERNAL, NULL, NULL);
    }

    r->priority = PRIORITY_MEDIUM;
    v = json_object_get(t, "priority");
    if (v && (!json_is_string(v) || task_priority_parse(json_string_value(v), &r->priority) != 0))
        return bad(e, "task.priority", "priority must be LOW, MEDIUM, HIGH or URGENT");

    v = json_object_get(t, "due_in_days");
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > RULE_DUE_DAYS_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "task.due_in_days",
                       "task.due_in_days: required, a whole number of days from 0 to %d", RULE_DUE_DAYS_MAX);
    r->due_in_days = (int)json_integer_value(v);

    v = json_object_get(t, "sla_hours");
    if (v && !json_is_null(v)) {
        if (!json_is_number(v)) return bad(e, "task.sla_hours", "sla_hours must be a number or null");
        r->has_sla = true;
        r->sla_hours = json_number_value(v);
        if ((rc = task_validate_sla_hours(r->sla_hours, e)) != ERR_OK) {
            snprintf(e->field, sizeof e->field, "task.sla_hours");
            return rc;
        }
    }
    return parse_assignee(json_object_get(t, "assignee"), r, e);
}

enum err rules_parse(json_t *def, struct rule *r, json_t **canonical, struct errinfo *e)
{
    static const char *const known[] = {"name", "enabled", "event_type", "conditions", "task", NULL};
    if (canonical) *canonical = NULL;
    if (!json_is_object(def)) return err_set(e, ERR_VALIDATION_FAILED, NULL, "a rule is a JSON object");
    enum err rc = known_keys(def, known, "", e);
    if (rc != ERR_OK) return rc;

    json_t *v = json_object_get(def, "name");
    if (!json_is_string(v)) return bad(e, "name", "name is required and must be a string");
    if ((rc = task_validate_title(json_string_value(v), &r->name, e)) != ERR_OK) {
        snprintf(e->field, sizeof e->field, "name");
        snprintf(e->message, sizeof e->message, "name: 1-%d characters without control characters",
                 RULE_NAME_MAX_CHARS);
        return rc;
    }
    v = json_object_get(def, "enabled");
    if (v && !json_is_boolean(v)) return bad(e, "enabled", "enabled must be true or false");
    r->enabled = v ? json_is_true(v) : true;

    v = json_object_get(def, "event_type");
    if (!json_is_string(v) || !rule_event_type_valid(json_string_value(v)))
        return bad(e, "event_type", "event_type is required: lower-case words joined by dots, like document.rejected");
    snprintf(r->event_type, sizeof r->event_type, "%s", json_string_value(v));

    json_t *conds = json_array();
    if (!conds) return err_set(e, ERR_INTERNAL, NULL, NULL);
    if ((rc = parse_conditions(json_object_get(def, "conditions"), r, conds, e)) != ERR_OK ||
        (rc = parse_task(json_object_get(def, "task"), r, e)) != ERR_OK) {
        json_decref(conds);
        return rc;
    }
    if (!canonical) {
        json_decref(conds);
        return ERR_OK;
    }
    json_t *assignee = NULL;
    switch (r->assignee) {
    case ASSIGN_NONE: assignee = json_null(); break;
    case ASSIGN_CUSTOMER_OWNER: assignee = json_string("customer_owner"); break;
    case ASSIGN_STAFF: assignee = json_string(r->staff[0]); break;
    default: {
        json_t *list = json_array();
        for (int i = 0; i < r->n_staff; i++) json_array_append_new(list, json_string(r->staff[i]));
        assignee = json_pack("{s:o}", r->assignee == ASSIGN_ROUND_ROBIN ? "round_robin" : "least_loaded", list);
    }
    }
    json_t *sla = r->has_sla ? json_real(r->sla_hours) : json_null();
    if (r->has_sla && r->sla_hours == floor(r->sla_hours)) {
        json_decref(sla);
        sla = json_integer((json_int_t)r->sla_hours);
    }
    json_t *task = json_pack("{s:s, s:o, s:s, s:i, s:o, s:o}", "title", r->title_tpl, "description",
                             r->description_tpl ? json_string(r->description_tpl) : json_null(), "priority",
                             task_priority_name(r->priority), "due_in_days", r->due_in_days, "sla_hours", sla,
                             "assignee", assignee);
    *canonical = json_pack("{s:s, s:b, s:s, s:o, s:o}", "name", r->name, "enabled", r->enabled, "event_type",
                           r->event_type, "conditions", conds, "task", task);
    if (!*canonical) return err_set(e, ERR_INTERNAL, NULL, NULL);
    return ERR_OK;
}

static void put_ts(json_t *o, const char *key, int64_t ms)
{
    if (!ms) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char ts[40];
    dates_format_ts(ms, ts, sizeof ts);
    json_object_set_new(o, key, json_string(ts));
}

json_t *rules_row_json(const struct rule_row *row)
{
    json_t *def = json_loads(row->definition, 0, NULL);
    if (!json_is_object(def)) {
        json_decref(def);
        return NULL;
    }
    json_t *o = json_pack("{s:s}", "id", row->id);
    if (!o) {
        json_decref(def);
        return NULL;
    }
    json_object_update(o, def);
    json_decref(def);
    put_ts(o, "created_at", row->created_at);
    put_ts(o, "updated_at", row->updated_at);
    return o;
}

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
static int event_context(const struct rules_event *ev, const struct customer *cu, struct rv *ctx)
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
    if (rules_value_from_json(ev->data, &v) || rv_object_add(ctx, "data", &v)) goto fail;
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
    enum err rc = c->ops->staff_get(c, id, &st);
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
                rc = c->ops->staff_load(c, r->staff[i], &load[i]);
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
            rc = c->ops->rule_rr_take(c, r->id, r->n_staff, active, &taken);
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
                          const struct rules_event *ev, const struct customer *cu, const struct rv *ctx,
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

/* ---- parsed rules, cached ----------------------------------------------------------- */

/* Parsing a stored definition (JSON, then validation) was about 30% of an
 * event's time with 20 rules of its type (perf over bench/rules.sql), so
 * parsed rules are kept in a table of RULE_CACHE_SLOTS, a rule in one of the
 * RULE_CACHE_WAYS slots after its id's hash (so 1,000 rules stay in it). An entry serves
 * only a row whose definition text is the same, so a PUT or DELETE needs no
 * invalidation. A rule is taken out while in use and put back after, which
 * keeps the lock short and makes nested use (a rule's task firing another
 * event) safe. At most RULE_CACHE_SLOTS rules, ~9 KiB each. */
#define RULE_CACHE_SLOTS 2048
#define RULE_CACHE_WAYS 4

static struct {
    char *definition;
    struct rule *rule;
} rule_cache[RULE_CACHE_SLOTS];
static pthread_mutex_t rule_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void free_rule(struct rule *r)
{
    if (!r) return;
    rule_clear(r);
    free(r);
}

static unsigned cache_slot(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 16777619u;
    return h % RULE_CACHE_SLOTS;
}

/* The parsed rule of row (caller owns it: give it back with cache_put), or
 * NULL when the definition does not parse (e filled) or out of memory. */
static struct rule *cache_take(const struct rule_row *row, enum err *rc, struct errinfo *e)
{
    unsigned first = cache_slot(row->id);
    struct rule *r = NULL;
    char *stale = NULL;
    pthread_mutex_lock(&rule_cache_lock);
    for (unsigned k = 0; k < RULE_CACHE_WAYS && !r; k++) {
        unsigned slot = (first + k) % RULE_CACHE_SLOTS;
        if (rule_cache[slot].rule && strcmp(rule_cache[slot].rule->id, row->id) == 0 &&
            strcmp(rule_cache[slot].definition, row->definition) == 0) {
            r = rule_cache[slot].rule;
            stale = rule_cache[slot].definition;
            rule_cache[slot].rule = NULL;
            rule_cache[slot].definition = NULL;
        }
    }
    pthread_mutex_unlock(&rule_cache_lock);
    free(stale);
    *rc = ERR_OK;
    if (r) return r;
    if (!(r = calloc(1, sizeof *r))) {
        *rc = ERR_INTERNAL;
        return NULL;
    }
    json_t *def = json_loads(row->definition, 0, NULL);
    *rc = def ? rules_parse(def, r, NULL, e) : ERR_VALIDATION_FAILED;
    json_decref(def);
    if (*rc != ERR_OK) {
        free_rule(r);
        return NULL;
    }
    snprintf(r->id, sizeof r->id, "%s", row->id);
    return r;
}

/* Gives r back to the cache (or frees it when out of memory). */
static void cache_put(const struct rule_row *row, struct rule *r)
{
    unsigned first = cache_slot(row->id), slot = first;
    char *def = strdup(row->definition);
    if (!def) {
        free_rule(r);
        return;
    }
    pthread_mutex_lock(&rule_cache_lock);
    /* an empty slot, or one holding an older version of this rule; else the first */
    for (unsigned k = 0; k < RULE_CACHE_WAYS; k++) {
        unsigned s = (first + k) % RULE_CACHE_SLOTS;
        if (!rule_cache[s].rule || strcmp(rule_cache[s].rule->id, row->id) == 0) {
            slot = s;
            break;
        }
    }
    struct rule *old_rule = rule_cache[slot].rule;
    char *old_def = rule_cache[slot].definition;
    rule_cache[slot].rule = r;
    rule_cache[slot].definition = def;
    pthread_mutex_unlock(&rule_cache_lock);
    free_rule(old_rule);
    free(old_def);
}

void rules_cache_clear(void)
{
    pthread_mutex_lock(&rule_cache_lock);
    for (int i = 0; i < RULE_CACHE_SLOTS; i++) {
        free_rule(rule_cache[i].rule);
        free(rule_cache[i].definition);
        rule_cache[i].rule = NULL;
        rule_cache[i].definition = NULL;
    }
    pthread_mutex_unlock(&rule_cache_lock);
}

/* Matches ev against rows (the enabled rules of its type) and creates the
 * tasks. The outcome's arrays are filled; ERR_INTERNAL only. */
static enum err run_rules(struct store_conn *c, const struct rules_event *ev, struct rule_row *rows, int n,
                          int64_t now, struct outcome *o)
{
    struct customer cu;
    bool have_cu = false;
    enum err rc = ERR_OK;
    if (ev->user_id[0]) {
        rc = c->ops->customer_get(c, ev->user_id, &cu);
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
        struct rule *rp = cache_take(&rows[i], &prc, &e);
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
        cache_put(&rows[i], rp);
    }
    rv_clear(&ctx);
    if (have_cu) store_customer_clear(&cu);
    return rc;
}

/* Runs the rules and stores the event with its outcome (a service event only
 * when something matched). *answer gets the answer text when not NULL. */
static enum err handle(struct store_conn *c, const struct rules_event *ev, struct rule_row *rows, int n, int64_t now,
                       char **answer)
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
    rc = ev->from_service ? c->ops->event_insert(c, &row) : c->ops->event_set_outcome(c, row.id, row.outcome);
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

enum err rules_process_event(struct store_conn *c, const struct rules_event *ev, int64_t now_ms, char **answer,
                             bool *replayed)
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
    enum err rc = c->ops->event_claim(c, &claim, &old);
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
    if ((rc = c->ops->rules_for_type(c, ev->type, RULES_PER_TYPE_MAX, &rows, &n)) != ERR_OK) return rc;
    rc = handle(c, ev, rows, n, now_ms, answer);
    store_rule_rows_free(rows, n);
    return rc;
}

/* data.task: the task's fields as the task JSON names them. */
static json_t *task_data(const struct task *t, int64_t now)
{
    char today[DATE_SIZE];
    dates_today(now, today);
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(t->id));
    json_object_set_new(o, "title", json_string(t->title ? t->title : ""));
    json_object_set_new(o, "description", t->description ? json_string(t->description) : json_null());
    json_object_set_new(o, "priority", json_string(task_priority_name(t->priority)));
    json_object_set_new(o, "status", json_string(task_status_name(task_effective_status(t, today))));
    json_object_set_new(o, "due_date", json_string(t->due_date));
    json_object_set_new(o, "sla_hours", t->has_sla ? json_real(t->sla_hours) : json_null());
    json_object_set_new(o, "assignee_id", t->assignee_id[0] ? json_string(t->assignee_id) : json_null());
    json_object_set_new(o, "user_id", t->user_id[0] ? json_string(t->user_id) : json_null());
    json_object_set_new(o, "source", json_string(task_source_name(t->source)));
    json_object_set_new(o, "rule_id", t->rule_id[0] ? json_string(t->rule_id) : json_null());
    json_object_set_new(o, "event_id", t->event_id[0] ? json_string(t->event_id) : json_null());
    put_ts(o, "created_at", t->created_at);
    put_ts(o, "started_at", t->started_at);
    put_ts(o, "completed_at", t->completed_at);
    put_ts(o, "cancelled_at", t->cancelled_at);
    put_ts(o, "sla_due_at", sla_due_at(t));
    json_object_set_new(o, "version", json_integer(t->version));
    return o;
}

enum err rules_task_event(struct store_conn *c, const struct task *t, const char *type, int64_t now_ms)
{
    struct rule_row *rows = NULL;
    int n = 0;
    /* the common case, no rule for this type, costs one index probe */
    enum err rc = c->ops->rules_for_type(c, type, RULES_PER_TYPE_MAX, &rows, &n);
    if (rc != ERR_OK || n == 0) {
        store_rule_rows_free(rows, n);
        return rc;
    }
    struct rules_event ev = {.occurred_at = now_ms, .from_service = true, .depth = t->rule_depth};
    ids_new("sys_", now_ms, ev.id, sizeof ev.id);
    snprintf(ev.type, sizeof ev.type, "%s", type);
    snprintf(ev.user_id, sizeof ev.user_id, "%s", t->user_id);
    json_t *task = task_data(t, now_ms);
    ev.data = task ? json_pack("{s:o}", "task", task) : NULL;
    rc = ev.data ? handle(c, &ev, rows, n, now_ms, NULL) : ERR_INTERNAL;
    json_decref(ev.data);
    store_rule_rows_free(rows, n);
    return rc;
}
