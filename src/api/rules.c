/* rules.c (api): /ops/rules. PUT (admin) validates the whole rule (every
 * condition, op, path, template and assignee; 422 naming the bad part) and
 * upserts it; GET lists or reads; DELETE (admin) removes one. The rules
 * themselves run in service/rule_engine.c; their JSON is service/rule_json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "service/rule_json.h"
#include "util/clock.h"
#include "util/ids.h"

#define RULES_TOTAL_MAX 10000

static void reply_row(struct request *r, int status, const struct rule_row *row)
{
    json_t *o = rule_json_row(row);
    if (!o) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_reply_json(r, status, o);
}

void api_rules_list(struct request *r)
{
    static const char *const known[] = {"event_type", "limit", "cursor", NULL};
    int limit, n = 0;
    const char *after;
    if (!api_id_page(r, known, "rul_", &limit, &after)) return;
    const char *type = http_query(r, "event_type");
    if (type && !rule_event_type_valid(type)) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "event_type", "event_type must be an event type like document.rejected");
        return;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct rule_row *rows = NULL;
    enum err rc = store_rule_list(c, type, after, limit + 1, &rows, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) {
        json_t *o = rule_json_row(&rows[i]);
        if (o) json_array_append_new(data, o);
    }
    http_reply_json(r, 200, api_page(data, n > limit ? rows[limit - 1].id : NULL));
    store_rule_rows_free(rows, n);
}

void api_rule_get(struct request *r)
{
    struct rule_row row;
    if (!api_rule_or_404(r, &row)) return;
    reply_row(r, 200, &row);
    free(row.definition);
}

struct rule_ctx {
    struct rule rule;
    char *definition;
    bool created;
    bool deleting;
    struct rule_row row;  /* the rule as stored after the write (or before the delete) */
    struct api_who who;
    struct errinfo e;
};

/* A stored definition as JSON for the audit log (null for none). */
static json_t *definition_json(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

static void rule_ctx_clear(void *p)
{
    struct rule_ctx *x = p;
    rule_clear(&x->rule);
    free(x->definition);
    free(x->row.definition);
}

static enum err put_run(struct store_conn *c, void *arg)
{
    struct rule_ctx *x = arg;
    struct rule *ru = &x->rule;
    enum err rc;
    /* the listed staff must exist (active or not: inactive ones are skipped
     * when the rule runs, so a rota survives someone's leave) */
    for (int i = 0; i < ru->n_staff; i++) {
        struct staff st;
        rc = store_staff_get(c, ru->staff[i], &st);
        if (rc == ERR_NOT_FOUND) {
            if (ru->assignee == ASSIGN_STAFF)
                err_set(&x->e, ERR_UNKNOWN_STAFF, "task.assignee", "task.assignee: no staff member %s", ru->staff[i]);
            else
                err_set(&x->e, ERR_UNKNOWN_STAFF, NULL, "no staff member %s", ru->staff[i]);
            if (ru->assignee != ASSIGN_STAFF)
                snprintf(x->e.field, sizeof x->e.field, "task.assignee.%s[%d]",
                         ru->assignee == ASSIGN_ROUND_ROBIN ? "round_robin" : "least_loaded", i);
            return ERR_UNKNOWN_STAFF;
        }
        if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
        store_staff_clear(&st);
    }
    int64_t n = 0;
    if ((rc = store_rule_count_type(c, ru->event_type, ru->id, &n)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    if (n >= RULES_PER_TYPE_MAX)
        return err_set(&x->e, ERR_VALIDATION_FAILED, "event_type", "event_type %s has %d rules already, the most allowed",
                       ru->event_type, RULES_PER_TYPE_MAX);
    if ((rc = store_rule_count_type(c, "", ru->id, &n)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    if (n >= RULES_TOTAL_MAX)
        return err_set(&x->e, ERR_VALIDATION_FAILED, "id", "there are %d rules already, the most allowed",
                       RULES_TOTAL_MAX);
    struct rule_row before = {0};
    rc = store_rule_get(c, ru->id, &before);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND) return err_set(&x->e, rc, NULL, NULL);
    json_t *was = definition_json(rc == ERR_OK ? before.definition : NULL);
    free(before.definition);
    if ((rc = store_rule_put(c, ru->id, ru->event_type, ru->enabled, x->definition, clock_now_ms(), &x->created)) !=
            ERR_OK ||
        (rc = store_rule_get(c, ru->id, &x->row)) != ERR_OK) {
        json_decref(was);
        return err_set(&x->e, rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc, NULL, NULL);
    }
    return api_audit(c, &x->who, x->created ? "rule.created" : "rule.updated",
                     json_pack("{s:s, s:o, s:o}", "rule_id", ru->id, "before", was, "after",
                               definition_json(x->row.definition)));
}

static void rule_finish(struct request *r, enum err rc)
{
    struct rule_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    reply_row(r, x->deleting ? 200 : x->created ? 201 : 200, &x->row);
}

void api_rule_put(struct request *r)
{
    static const char *const fields[] = {"name", "enabled", "event_type", "conditions", "task", NULL};
    struct rule_ctx *x = api_ctx(r, sizeof *x, rule_ctx_clear);
    if (!x || !api_put_id(r, "rul_", "rule", x->rule.id)) return;
    json_t *obj = api_body(r, fields, &x->e), *canon = NULL;
    if (!obj || rule_json_parse(obj, &x->rule, &canon, &x->e) != ERR_OK) {
        json_decref(canon);
        http_reply_error(r, &x->e);
        return;
    }
    x->definition = json_dumps(canon, JSON_COMPACT);
    json_decref(canon);
    if (!x->definition) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* the engine caches up to 2,048 parsed rules: keep each one small */
    if (strlen(x->definition) > RULE_DEFINITION_MAX) {
        http_reply_err(r, ERR_VALIDATION_FAILED, NULL, "a rule must be at most %d bytes of JSON (this one is %zu)",
                       RULE_DEFINITION_MAX, strlen(x->definition));
        return;
    }
    api_who_of(r, &x->who);
    api_submit(r, put_run, rule_finish);
}

static enum err delete_run(struct store_conn *c, void *arg)
{
    struct rule_ctx *x = arg;
    enum err rc = store_rule_get(c, x->rule.id, &x->row);
    if (rc == ERR_OK) rc = store_rule_delete(c, x->rule.id);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, rc == ERR_NOT_FOUND ? "no rule %s" : NULL, x->rule.id);
    return api_audit(c, &x->who, "rule.deleted",
                     json_pack("{s:s, s:o, s:n}", "rule_id", x->rule.id, "before", definition_json(x->row.definition),
                               "after"));
}

void api_rule_delete(struct request *r)
{
    if (!ids_valid_external(r->param, "rul_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no rule %.80s", r->param);
        return;
    }
    struct rule_ctx *x = api_ctx(r, sizeof *x, rule_ctx_clear);
    if (!x) return;
    x->deleting = true;
    memcpy(x->rule.id, r->param, strlen(r->param) + 1); /* validated: fits */
    api_who_of(r, &x->who);
    api_submit(r, delete_run, rule_finish);
}
