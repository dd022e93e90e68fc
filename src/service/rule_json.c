/* rule_json.c (service): the rules' JSON in and out (see rule_json.h): rule
 * definitions parsed and checked into struct rule with their canonical form,
 * stored rules shown as the API does, and JSON values into rule values (the
 * task under data.task is service/task_json.c's). No store access. */
#include "service/rule_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dates.h"
#include "domain/sla.h"
#include "util/ids.h"

/* ---- JSON values into rule values ------------------------------------------ */

int rule_json_value(json_t *j, struct rv *out)
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
            if (rule_json_value(json_array_get(j, i), &out->items[i]) != 0) return -1;
        }
        return 0;
    }
    case JSON_OBJECT: {
        out->kind = RV_OBJECT;
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            struct rv item;
            if (rule_json_value(v, &item) != 0 || rv_object_add(out, k, &item) != 0) {
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
        if (v && rule_json_value(v, &rc_->value) != 0) {
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

enum err rule_json_parse(json_t *def, struct rule *r, json_t **canonical, struct errinfo *e)
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

/* ---- JSON out ------------------------------------------------------------------ */

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

json_t *rule_json_row(const struct rule_row *row)
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
