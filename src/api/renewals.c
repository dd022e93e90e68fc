/* renewals.c (api): the renewals engine's resources: a customer's
 * renewable items under /ops/customers/{cid}/renewals, every customer's at
 * GET /ops/renewals, the renewal policy at /ops/renewal-policy, and POST
 * /ops/renewals/run, which runs one pass of the engine and answers what it
 * did. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "jobs/renewal_pass.h"
#include "service/renewals.h"
#include "util/clock.h"
#include "util/ids.h"

/* ---- items ----------------------------------------------------------------- */

static json_t *item_json(const struct renewal_item *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(it->id));
    json_object_set_new(o, "customer_id", json_string(it->customer_id));
    json_object_set_new(o, "kind", json_string(it->kind));
    json_object_set_new(o, "expires_on", json_string(it->expires_on));
    json_object_set_new(o, "assignee_id", it->assignee_id[0] ? json_string(it->assignee_id) : json_null());
    api_ts(o, "created_at", it->created_at);
    api_ts(o, "updated_at", it->updated_at);
    return o;
}

/* The {cid} of /ops/customers/{cid}/renewals[/...]: false when malformed. */
static bool path_customer(struct request *r, char out[EXT_ID_SIZE])
{
    const char *p = r->path + strlen("/ops/customers/");
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || n >= EXT_ID_SIZE) return false;
    memcpy(out, p, n);
    out[n] = 0;
    return ids_valid_external(out, "cus_");
}

void api_renewals_list(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    char cid[EXT_ID_SIZE];
    int limit, n = 0;
    const char *after;
    struct store_conn *c;
    if (!path_customer(r, cid)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no such customer");
        return;
    }
    if (!api_id_page(r, known, "ren_", &limit, &after) || !(c = api_reader(r))) return;
    struct customer cu;
    struct renewal_item *a = NULL;
    enum err rc = store_customer_get(c, cid, &cu);
    if (rc == ERR_OK) {
        store_customer_clear(&cu);
        rc = store_renewal_list(c, cid, after, limit + 1, &a, &n);
    }
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no customer %s" : NULL, cid);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, item_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    free(a);
}

/* ---- GET /ops/renewals: items across customers ------------------------------- */

/* Cursor: base64url("r1|expires_on|id") of the page's last item, opaque to clients. */
static void encode_list_cursor(const struct renewal_item *it, char *out, size_t n)
{
    char raw[128];
    int len = snprintf(raw, sizeof raw, "r1|%s|%s", it->expires_on, it->id);
    sodium_bin2base64(out, n, (const unsigned char *)raw, (size_t)len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool decode_list_cursor(const char *s, struct renewal_query *q)
{
    unsigned char raw[128];
    size_t len = 0;
    if (strlen(s) > 160 || sodium_base642bin(raw, sizeof raw - 1, s, strlen(s), NULL, &len, NULL,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        memchr(raw, 0, len))
        return false;
    raw[len] = 0;
    char *p = (char *)raw, *f[3];
    int nf = 0;
    for (char *tok = strsep(&p, "|"); tok && nf < 3; tok = strsep(&p, "|")) f[nf++] = tok;
    if (nf != 3 || p || strcmp(f[0], "r1") != 0 || strlen(f[1]) >= DATE_SIZE || !dates_valid(f[1]) ||
        !ids_valid_external(f[2], "ren_"))
        return false;
    memcpy(q->after_expires, f[1], DATE_SIZE);
    snprintf(q->after_id, sizeof q->after_id, "%s", f[2]);
    return true;
}

/* A date filter: "" when absent, else a real day (422 naming it otherwise). */
static enum err date_param(struct request *r, const char *name, char out[DATE_SIZE], struct errinfo *e)
{
    const char *s = http_query(r, name);
    out[0] = 0;
    if (!s) return ERR_OK;
    if (strlen(s) >= DATE_SIZE || !dates_valid(s))
        return err_set(e, ERR_VALIDATION_FAILED, name, "%s must be a date YYYY-MM-DD", name);
    memcpy(out, s, DATE_SIZE);
    return ERR_OK;
}

static json_t *row_json(const struct renewal_row *row, const struct renewal_policy *p, const char *today)
{
    const struct renewal_item *it = &row->item;
    json_t *o = item_json(it);
    json_object_set_new(o, "customer_name", json_string(row->customer_name));
    int i = renewal_next_threshold(p, it->expires_on, today, row->acted_min);
    if (i >= 0) {
        char on[DATE_SIZE];
        renewal_crossing_day(it->expires_on, p->t[i].days_before, on);
        json_object_set_new(o, "next_threshold", json_pack("{s:i, s:s, s:s}", "days_before", p->t[i].days_before,
                                                           "priority", task_priority_name(p->t[i].priority),
                                                           "crosses_on", on));
    } else {
        json_object_set_new(o, "next_threshold", json_null());
    }
    if (row->task_id[0]) {
        struct task t = {.status = row->task_status};
        memcpy(t.due_date, row->task_due, DATE_SIZE);
        json_object_set_new(o, "newest_task", json_pack("{s:s, s:s, s:s}", "id", row->task_id, "status",
                                                        task_status_name(task_effective_status(&t, today)),
                                                        "due_date", row->task_due));
    } else {
        json_object_set_new(o, "newest_task", json_null());
    }
    return o;
}

void api_renewals_all(struct request *r)
{
    static const char *const known[] = {"user_id", "kind", "expires_before", "expires_after", "limit", "cursor",
                                        NULL};
    struct errinfo e = {0};
    struct renewal_query q = {0};
    const char *s;
    if (http_query_check(r, known, &e) != ERR_OK || api_limit(r, 100, 500, &q.limit, &e) != ERR_OK) goto fail;
    if ((s = http_query(r, "user_id"))) {
        if (!ids_valid_external(s, "cus_")) {
            err_set(&e, ERR_VALIDATION_FAILED, "user_id", "user_id must be a customer id (cus_...)");
            goto fail;
        }
        snprintf(q.user_id, sizeof q.user_id, "%s", s);
    }
    if ((s = http_query(r, "kind"))) {
        if (renewal_validate_kind(s, &e) != ERR_OK) goto fail;
        snprintf(q.kind, sizeof q.kind, "%s", s);
    }
    if (date_param(r, "expires_after", q.expires_after, &e) != ERR_OK ||
        date_param(r, "expires_before", q.expires_before, &e) != ERR_OK)
        goto fail;
    if ((s = http_query(r, "cursor")) && !decode_list_cursor(s, &q)) {
        err_set(&e, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
        goto fail;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct renewal_policy *p = malloc(sizeof *p);
    struct renewal_row *rows = NULL;
    int n = 0;
    q.limit++; /* one more says whether there is a next page */
    enum err rc = p ? store_renewal_policy_get(c, p) : ERR_INTERNAL;
    if (rc == ERR_OK) rc = store_renewal_list_all(c, &q, &rows, &n);
    store_reader_release(c);
    q.limit--;
    if (rc != ERR_OK) {
        free(p);
        http_reply_err(r, rc == ERR_UNAVAILABLE ? rc : ERR_INTERNAL, NULL, NULL);
        return;
    }
    char today[DATE_SIZE], cursor[256] = "";
    dates_today(clock_now_ms(), today);
    json_t *data = json_array();
    for (int i = 0; i < n && i < q.limit; i++) json_array_append_new(data, row_json(&rows[i], p, today));
    if (n > q.limit) encode_list_cursor(&rows[q.limit - 1].item, cursor, sizeof cursor);
    http_reply_json(r, 200, api_page(data, cursor[0] ? cursor : NULL));
    free(rows);
    free(p);
    return;
fail:
    http_reply_error(r, &e);
}

/* The renewal r->param of the path's customer (another customer's is none),
 * or false after answering 404 or 500. */
static bool renewal_or_404(struct request *r, char cid[EXT_ID_SIZE], struct renewal_item *it)
{
    if (!path_customer(r, cid) || !ids_valid_external(r->param, "ren_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no renewal %.80s", r->param);
        return false;
    }
    struct store_conn *c = api_reader(r);
    if (!c) return false;
    enum err rc = store_renewal_get(c, r->param, it);
    store_reader_release(c);
    if (rc == ERR_OK && strcmp(it->customer_id, cid) != 0) rc = ERR_NOT_FOUND;
    if (rc != ERR_OK)
        http_reply_err(r, rc, NULL, rc == ERR_NOT_FOUND ? "no renewal %s for customer %s" : NULL, r->param, cid);
    return rc == ERR_OK;
}

/* What the engine did for the item ("actions"): the task page says from it
 * which expiry date and threshold made or escalated a task. An item has one
 * row per (expiry date, threshold), so a few; at most 1,000 are listed. */
#define ACTIONS_MAX 1000

void api_renewal_get(struct request *r)
{
    char cid[EXT_ID_SIZE];
    struct renewal_item it;
    if (!renewal_or_404(r, cid, &it)) return;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct renewal_action_row *a = NULL;
    int n = 0;
    enum err rc = store_renewal_actions(c, it.id, ACTIONS_MAX, &a, &n);
    store_reader_release(c);
    if (rc != ERR_OK) {
        http_reply_err(r, rc == ERR_UNAVAILABLE ? rc : ERR_INTERNAL, NULL, NULL);
        return;
    }
    json_t *o = item_json(&it), *list = json_array();
    for (int i = 0; i < n; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "expires_on", json_string(a[i].expires_on));
        json_object_set_new(x, "days_before", json_integer(a[i].days_before));
        json_object_set_new(x, "action", json_string(a[i].action));
        json_object_set_new(x, "task_id", json_string(a[i].task_id));
        api_ts(x, "at", a[i].at);
        json_array_append_new(list, x);
    }
    free(a);
    json_object_set_new(o, "actions", list);
    http_reply_json(r, 200, o);
}

struct item_ctx {
    struct renewal_item it;
    bool created, changed;
    struct errinfo e;
};

static enum err put_run(struct store_conn *c, void *arg)
{
    struct item_ctx *x = arg;
    return service_renewal_put(c, &x->it, clock_now_ms(), &x->created, &x->changed, &x->e);
}

static void item_finish(struct request *r, enum err rc)
{
    struct item_ctx *x = r->ctx;
    if (rc == ERR_NOT_FOUND && x->e.code == rc) x->e.field[0] = 0; /* the path's customer, not a body field */
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, x->created ? 201 : 200, item_json(&x->it));
}

void api_renewal_put(struct request *r)
{
    static const char *const fields[] = {"kind", "expires_on", "assignee_id", NULL};
    struct item_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    struct errinfo *e = &x->e;
    if (!path_customer(r, x->it.customer_id)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no such customer");
        return;
    }
    if (!api_put_id(r, "ren_", "renewal", x->it.id)) return;
    json_t *obj = api_body(r, fields, e);
    if (!obj) goto fail;
    const char *s;
    bool present;
    if (api_required_string(obj, "kind", &s, e) != ERR_OK || renewal_validate_kind(s, e) != ERR_OK) goto fail;
    snprintf(x->it.kind, sizeof x->it.kind, "%s", s);
    if (api_required_string(obj, "expires_on", &s, e) != ERR_OK || renewal_validate_expires_on(s, e) != ERR_OK)
        goto fail;
    memcpy(x->it.expires_on, s, DATE_SIZE);
    if (api_string_field(obj, "assignee_id", true, &s, &present, e) != ERR_OK) goto fail;
    if (s && !ids_valid_external(s, "sta_")) {
        err_set(e, ERR_UNKNOWN_STAFF, "assignee_id", "no staff member with that id");
        goto fail;
    }
    snprintf(x->it.assignee_id, sizeof x->it.assignee_id, "%s", s ? s : "");
    api_submit(r, put_run, item_finish);
    return;
fail: /* the one error answer of the checks above; the context goes with the request */
    http_reply_error(r, e);
}

static enum err delete_run(struct store_conn *c, void *arg)
{
    struct item_ctx *x = arg;
    struct renewal_item it;
    enum err rc = store_renewal_get(c, x->it.id, &it);
    if (rc == ERR_OK && strcmp(it.customer_id, x->it.customer_id) != 0) rc = ERR_NOT_FOUND;
    if (rc == ERR_OK) rc = store_renewal_delete(c, x->it.id); /* its tasks and actions stay */
    if (rc != ERR_OK)
        return err_set(&x->e, rc, NULL, rc == ERR_NOT_FOUND ? "no renewal %s for customer %s" : NULL, x->it.id,
                       x->it.customer_id);
    return ERR_OK;
}

static void delete_finish(struct request *r, enum err rc)
{
    struct item_ctx *x = r->ctx;
    if (!api_failed(r, rc, &x->e)) http_reply_raw_json(r, 204, "");
}

void api_renewal_delete(struct request *r)
{
    struct item_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    if (!path_customer(r, x->it.customer_id) || !ids_valid_external(r->param, "ren_")) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no renewal %.80s", r->param);
        return;
    }
    memcpy(x->it.id, r->param, strlen(r->param) + 1);
    api_submit(r, delete_run, delete_finish);
}

/* ---- the policy ------------------------------------------------------------ */

static json_t *policy_json(const struct renewal_policy *p)
{
    json_t *a = json_array();
    for (int i = 0; i < p->n; i++) {
        const struct renewal_threshold *t = &p->t[i];
        json_t *o = json_pack("{s:i, s:s, s:i}", "days_before", t->days_before, "priority",
                              task_priority_name(t->priority), "due_in_days", t->due_in_days);
        if (t->has_sla)
            json_object_set_new(o, "sla_hours", t->sla_hours == (double)(int64_t)t->sla_hours
                                                    ? json_integer((json_int_t)t->sla_hours)
                                                    : json_real(t->sla_hours));
        else
            json_object_set_new(o, "sla_hours", json_null());
        json_array_append_new(a, o);
    }
    return json_pack("{s:s, s:o}", "title", p->title, "thresholds", a);
}

void api_renewal_policy_get(struct request *r)
{
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct renewal_policy p;
    enum err rc = store_renewal_policy_get(c, &p);
    store_reader_release(c);
    if (!api_failed(r, rc, NULL)) http_reply_json(r, 200, policy_json(&p));
}

/* A whole number in [lo, hi] at obj[name]; e names `path`. */
static enum err int_field(json_t *obj, const char *name, const char *path, long lo, long hi, bool required, int *out,
                          bool *present, struct errinfo *e)
{
    json_t *v = json_object_get(obj, name);
    if (present) *present = v != NULL;
    if (!v) return required ? err_set(e, ERR_VALIDATION_FAILED, path, "%s is required", name) : ERR_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return err_set(e, ERR_VALIDATION_FAILED, path, "%s must be a whole number from %ld to %ld", name, lo, hi);
    *out = (int)json_integer_value(v);
    return ERR_OK;
}

static enum err read_threshold(json_t *o, int i, struct renewal_threshold *t, struct errinfo *e)
{
    char path[64];
    if (!json_is_object(o)) {
        snprintf(path, sizeof path, "thresholds[%d]", i);
        return err_set(e, ERR_VALIDATION_FAILED, path, "each threshold must be an object");
    }
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        if (strcmp(key, "days_before") && strcmp(key, "priority") && strcmp(key, "due_in_days") &&
            strcmp(key, "sla_hours")) {
            snprintf(path, sizeof path, "thresholds[%d].%.30s", i, key);
            return err_set(e, ERR_VALIDATION_FAILED, path, "unknown field '%.100s'", key);
        }
    }
    snprintf(path, sizeof path, "thresholds[%d].days_before", i);
    if (int_field(o, "days_before", path, 1, RENEWAL_DAYS_MAX, true, &t->days_before, NULL, e) != ERR_OK)
        return ERR_VALIDATION_FAILED;
    snprintf(path, sizeof path, "thresholds[%d].due_in_days", i);
    if (int_field(o, "due_in_days", path, 0, RENEWAL_DAYS_MAX, true, &t->due_in_days, NULL, e) != ERR_OK)
        return ERR_VALIDATION_FAILED;
    snprintf(path, sizeof path, "thresholds[%d].priority", i);
    json_t *v = json_object_get(o, "priority");
    if (!v) return err_set(e, ERR_VALIDATION_FAILED, path, "priority is required");
    if (!json_is_string(v) || task_priority_parse(json_string_value(v), &t->priority) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, path, "priority must be LOW, MEDIUM, HIGH or URGENT");
    snprintf(path, sizeof path, "thresholds[%d].sla_hours", i);
    v = json_object_get(o, "sla_hours");
    if (v && !json_is_null(v)) {
        if (!json_is_number(v)) return err_set(e, ERR_VALIDATION_FAILED, path, "sla_hours must be a number or null");
        t->has_sla = true;
        t->sla_hours = json_number_value(v);
    }
    return ERR_OK;
}

struct policy_ctx {
    struct renewal_policy p;
    struct api_who who;
    struct errinfo e;
};

static enum err policy_run(struct store_conn *c, void *arg)
{
    struct policy_ctx *x = arg;
    struct renewal_policy *old = malloc(sizeof *old);
    if (!old) return ERR_INTERNAL;
    enum err rc = store_renewal_policy_get(c, old);
    json_t *before = rc == ERR_OK ? policy_json(old) : NULL;
    free(old);
    if (rc == ERR_OK) rc = store_renewal_policy_put(c, &x->p, clock_now_ms());
    /* the thresholds changed: every item is looked at again from the
     * earliest day one can be crossed (p.t[0] has the largest days_before) */
    if (rc == ERR_OK) rc = store_renewal_reset_next_due(c, x->p.t[0].days_before);
    if (rc != ERR_OK) {
        json_decref(before);
        return err_set(&x->e, rc, NULL, NULL);
    }
    return api_audit(c, &x->who, "renewal_policy.updated",
                     json_pack("{s:o, s:o}", "before", before, "after", policy_json(&x->p)));
}

static void policy_finish(struct request *r, enum err rc)
{
    struct policy_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, 200, policy_json(&x->p));
}

void api_renewal_policy_put(struct request *r)
{
    static const char *const fields[] = {"title", "thresholds", NULL};
    struct policy_ctx *x = api_ctx(r, sizeof *x, NULL);
    if (!x) return;
    struct errinfo *e = &x->e;
    json_t *obj = api_body(r, fields, e);
    if (!obj) goto fail;
    const char *title;
    if (api_required_string(obj, "title", &title, e) != ERR_OK) goto fail;
    if (strlen(title) >= sizeof x->p.title) {
        err_set(e, ERR_VALIDATION_FAILED, "title", "title must be 1-%d characters", RENEWAL_TITLE_MAX_CHARS);
        goto fail;
    }
    snprintf(x->p.title, sizeof x->p.title, "%s", title);
    json_t *a = json_object_get(obj, "thresholds");
    if (!a || !json_is_array(a)) {
        err_set(e, ERR_VALIDATION_FAILED, "thresholds", "thresholds must be a list of thresholds");
        goto fail;
    }
    if (json_array_size(a) > RENEWAL_MAX_THRESHOLDS) {
        err_set(e, ERR_VALIDATION_FAILED, "thresholds", "thresholds may have at most %d thresholds",
                RENEWAL_MAX_THRESHOLDS);
        goto fail;
    }
    x->p.n = (int)json_array_size(a);
    for (int i = 0; i < x->p.n; i++)
        if (read_threshold(json_array_get(a, (size_t)i), i, &x->p.t[i], e) != ERR_OK) goto fail;
    if (renewal_policy_validate(&x->p, e) != ERR_OK) goto fail;
    api_who_of(r, &x->who);
    api_submit(r, policy_run, policy_finish);
    return;
fail: /* the one error answer of the checks above; the context goes with the request */
    http_reply_error(r, e);
}

/* ---- POST /ops/renewals/run ------------------------------------------------ */

static json_t *outcomes_json(const struct renewal_outcome *o, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:i}", "task_id", o[i].task_id, "renewal_id",
                                           o[i].renewal_id, "customer_id", o[i].customer_id, "expires_on",
                                           o[i].expires_on, "days_before", o[i].days_before));
    return a;
}

void api_renewals_run(struct request *r)
{
    static const char *const known[] = {NULL};
    if (!api_query_known(r, known)) return;
    struct renewal_pass_report *rep = malloc(sizeof *rep);
    if (!rep) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* a pass is a few writer jobs of RENEWAL_PASS_BATCH items: this worker
     * thread waits for them, as the sweeper's thread does */
    enum err rc = renewal_pass_run(r->app->store, rep);
    if (rc != ERR_OK) {
        free(rep);
        if (rc == ERR_UNAVAILABLE)
            http_reply_err(r, rc, NULL, NULL);
        else
            http_reply_err(r, ERR_INTERNAL, NULL, "the renewals pass failed; the batches it committed are kept");
        return;
    }
    json_t *body = json_pack("{s:o, s:o, s:b}", "created", outcomes_json(rep->created, rep->n_created_listed),
                             "escalated", outcomes_json(rep->escalated, rep->n_escalated_listed), "truncated",
                             rep->n_created > rep->n_created_listed || rep->n_escalated > rep->n_escalated_listed);
    free(rep);
    http_reply_json(r, 200, body);
}
