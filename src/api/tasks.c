/* tasks.c (api): /ops/tasks, the global queue, its stats, one task, its
 * history. JSON in, service / store call, JSON out. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "domain/sla.h"
#include "domain/text.h"
#include "service/task_json.h"
#include "service/tasks.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/ids.h"

/* ---- JSON out ------------------------------------------------------------ */

static void etag(struct request *r, int64_t version)
{
    char tag[32];
    snprintf(tag, sizeof tag, "\"%lld\"", (long long)version);
    http_add_header(r, MHD_HTTP_HEADER_ETAG, tag);
}

static void reply_task(struct request *r, int status, const struct task *t)
{
    etag(r, t->version);
    http_reply_text(r, status, task_json_text(t, clock_now_ms()));
}

/* ---- JSON in: the fields of POST and PATCH --------------------------------- */

static const char *const task_fields[] = {"title", "description", "priority", "due_date", "sla_hours",
                                          "assignee_id", "user_id", "status", NULL};
/* a PATCH's: the task's fields and the SLA clock's */
static const char *const patch_fields[] = {"title", "description", "priority", "due_date", "sla_hours",
                                           "assignee_id", "user_id", "status", "waiting_on_customer",
                                           "sla_restart", NULL};

/* A reference to a person, id of prefix or null (clears: ""): into out
 * with *has set when present; unknown (code, msg) when no id of ours. */
static enum err read_ref(json_t *obj, const char *name, const char *prefix, enum err code, const char *msg,
                         char out[EXT_ID_SIZE], bool *has, struct errinfo *e)
{
    const char *s;
    enum err rc = api_string_field(obj, name, true, &s, has, e);
    if (rc != ERR_OK || !*has) return rc;
    if (s && !ids_valid_external(s, prefix)) return err_set(e, code, name, "%s", msg);
    snprintf(out, EXT_ID_SIZE, "%s", s ? s : "");
    return ERR_OK;
}

/* Reads every field present in obj into p (has_* set), validating shapes. */
static enum err read_fields(json_t *obj, struct task_patch *p, struct errinfo *e)
{
    const char *s;
    bool present;
    enum err rc;
    if ((rc = api_string_field(obj, "title", false, &s, &present, e)) != ERR_OK) return rc;
    if (present && (rc = task_validate_title(s, &p->title, e)) != ERR_OK) return rc;
    p->has_title = present;

    if ((rc = api_string_field(obj, "description", true, &s, &present, e)) != ERR_OK) return rc;
    if (present) {
        if ((rc = task_validate_description(s, e)) != ERR_OK) return rc;
        p->has_description = true;
        /* An empty description is no description: the task shows null. */
        if (s && *s && !(p->description = strdup(s))) return err_set(e, ERR_INTERNAL, NULL, NULL);
    }

    if ((rc = api_string_field(obj, "priority", false, &s, &present, e)) != ERR_OK) return rc;
    if (present && task_priority_parse(s, &p->priority) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "priority", "priority must be LOW, MEDIUM, HIGH or URGENT");
    p->has_priority = present;

    if ((rc = api_string_field(obj, "due_date", false, &s, &present, e)) != ERR_OK) return rc;
    if (present) {
        char today[DATE_SIZE];
        dates_today(clock_now_ms(), today);
        if ((rc = task_validate_due_date_range(s, today, e)) != ERR_OK) return rc;
        memcpy(p->due_date, s, DATE_SIZE);
        p->has_due_date = true;
    }

    json_t *v = json_object_get(obj, "sla_hours");
    if (v) {
        p->has_sla_hours = true;
        if (json_is_null(v)) {
            p->sla_null = true;
        } else if (!json_is_number(v)) {
            return err_set(e, ERR_VALIDATION_FAILED, "sla_hours", "sla_hours must be a number");
        } else {
            p->sla_hours = json_number_value(v);
            if ((rc = task_validate_sla_hours(p->sla_hours, e)) != ERR_OK) return rc;
        }
    }

    if ((rc = read_ref(obj, "assignee_id", "sta_", ERR_UNKNOWN_STAFF, "no staff member with that id", p->assignee_id,
                       &p->has_assignee, e)) != ERR_OK ||
        (rc = read_ref(obj, "user_id", "cus_", ERR_UNKNOWN_CUSTOMER, "no customer with that id", p->user_id,
                       &p->has_user, e)) != ERR_OK)
        return rc;

    if ((rc = api_string_field(obj, "status", false, &s, &present, e)) != ERR_OK) return rc;
    if (present && task_status_parse(s, &p->status) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "status",
                       "status must be OPEN, IN_PROGRESS, COMPLETED or CANCELLED");
    p->has_status = present;

    /* SLA clocks: PATCH only (not in task_fields: api_body refuses them elsewhere) */
    if ((v = json_object_get(obj, "waiting_on_customer"))) {
        if (!json_is_boolean(v))
            return err_set(e, ERR_VALIDATION_FAILED, "waiting_on_customer", "waiting_on_customer must be true or false");
        p->has_waiting = true;
        p->waiting = json_is_true(v);
    }
    if ((v = json_object_get(obj, "sla_restart"))) {
        if (!json_is_true(v))
            return err_set(e, ERR_VALIDATION_FAILED, "sla_restart", "sla_restart can only be true");
        p->sla_restart = true;
    }
    return ERR_OK;
}

/* ---- POST /ops/tasks ------------------------------------------------------ */

struct create_ctx {
    struct task_patch p; /* the body's fields */
    struct task t;
    char actor[96];
    bool has_key;
    struct idem_key k;
    struct errinfo e;
    int status;     /* answer status (201, or the replayed one) */
    char *answer;   /* the stored answer when an idempotency key is in play */
};

static void create_clear(void *p)
{
    struct create_ctx *x = p;
    task_patch_clear(&x->p);
    task_clear(&x->t);
    free(x->answer);
}

static enum err create_run(struct store_conn *c, void *arg)
{
    struct create_ctx *x = arg;
    int64_t now = clock_now_ms();
    if (x->has_key)
        return service_task_create_keyed(c, &x->t, x->actor, now, &x->k, task_json_text, &x->status, &x->answer,
                                         &x->e);
    x->status = 201;
    return service_task_create(c, &x->t, x->actor, now, &x->e);
}

static void location(struct request *r, const char *id)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/ops/tasks/%s", id);
    http_add_header(r, MHD_HTTP_HEADER_LOCATION, loc);
}

static void create_finish(struct request *r, enum err rc)
{
    struct create_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    if (x->answer) { /* the key's first answer, and the task it showed */
        if (x->t.id[0]) {
            location(r, x->t.id);
            etag(r, x->t.version);
        }
        http_reply_raw_json(r, x->status, x->answer);
        return;
    }
    location(r, x->t.id);
    reply_task(r, 201, &x->t);
}

static bool valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 255) return false;
    for (; *k; k++)
        if (*k < 0x21 || *k > 0x7e) return false;
    return true;
}

void api_tasks_create(struct request *r)
{
    struct create_ctx *x = api_ctx(r, sizeof *x, create_clear);
    if (!x) return;
    struct task_patch *p = &x->p;
    json_t *obj = api_body(r, task_fields, &x->e);
    if (!obj) goto fail;
    if (json_object_get(obj, "status")) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "status", "a new task is always OPEN; status cannot be set at creation");
        goto fail;
    }
    if (read_fields(obj, p, &x->e) != ERR_OK) goto fail;
    if (!p->has_title) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "title", "title is required");
        goto fail;
    }
    if (!p->has_due_date) {
        err_set(&x->e, ERR_VALIDATION_FAILED, "due_date", "due_date is required");
        goto fail;
    }
    const char *key = http_header(r, "Idempotency-Key");
    if (key) {
        if (!valid_key(key)) {
            err_set(&x->e, ERR_VALIDATION_FAILED, "Idempotency-Key", "Idempotency-Key must be 1-255 visible ASCII characters");
            goto fail;
        }
        x->has_key = true;
        snprintf(x->k.key, sizeof x->k.key, "%s", key);
        snprintf(x->k.scope, sizeof x->k.scope, "%s", r->scope);
        crypto_generichash(x->k.hash, 32, (const unsigned char *)r->body, r->body_len, NULL, 0);
    }
    struct task *t = &x->t;
    t->title = p->title;
    p->title = NULL;
    t->description = p->description;
    p->description = NULL;
    t->priority = p->has_priority ? p->priority : PRIORITY_MEDIUM;
    t->status = TASK_OPEN;
    memcpy(t->due_date, p->due_date, DATE_SIZE);
    t->has_sla = p->has_sla_hours && !p->sla_null;
    t->sla_hours = t->has_sla ? p->sla_hours : 0;
    t->sla_by_policy = !p->has_sla_hours; /* SLA clocks: the policy's hours for its priority */
    memcpy(t->assignee_id, p->assignee_id, EXT_ID_SIZE);
    memcpy(t->user_id, p->user_id, EXT_ID_SIZE);
    t->source = SOURCE_MANUAL;
    snprintf(x->actor, sizeof x->actor, "%s", r->actor);
    api_submit(r, create_run, create_finish);
    return;
fail: /* the one error answer of the checks above; the context goes with the request */
    http_reply_error(r, &x->e);
}

/* ---- GET /ops/tasks/{id}, PATCH, history ----------------------------------- */

void api_task_get(struct request *r)
{
    struct task t;
    if (!api_task_or_404(r, &t)) return;
    reply_task(r, 200, &t);
    task_clear(&t);
}

struct patch_ctx {
    char id[TASK_ID_SIZE];
    struct task_patch p;
    int64_t if_match;
    char actor[96];
    struct task out;
    bool changed;
    struct errinfo e;
};

static void patch_clear(void *p)
{
    struct patch_ctx *x = p;
    task_patch_clear(&x->p);
    task_clear(&x->out);
}

static enum err patch_run(struct store_conn *c, void *arg)
{
    struct patch_ctx *x = arg;
    return service_task_patch(c, x->id, &x->p, x->if_match, x->actor, clock_now_ms(), &x->out, &x->changed, &x->e);
}

static void patch_finish(struct request *r, enum err rc)
{
    struct patch_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    reply_task(r, 200, &x->out);
}

/* If-Match: "N", W/"N" or *. Returns 0 with *v (-1 for *), or -1 when the
 * header names no version of ours (which can never match: 412). */
static int parse_if_match(const char *h, int64_t *v)
{
    while (*h == ' ') h++;
    if (strcmp(h, "*") == 0) {
        *v = -1;
        return 0;
    }
    if (strncmp(h, "W/", 2) == 0) h += 2;
    char *end;
    if (*h != '"') return -1;
    long long n = strtoll(h + 1, &end, 10);
    if (end == h + 1 || *end != '"' || n < 1) return -1;
    end++;
    while (*end == ' ') end++;
    if (*end) return -1;
    *v = n;
    return 0;
}

void api_task_patch(struct request *r)
{
    struct patch_ctx *x = api_ctx(r, sizeof *x, patch_clear);
    if (!x) return;
    x->if_match = -1;
    if (!api_valid_task_id(r->param)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no task %.80s", r->param);
        return;
    }
    memcpy(x->id, r->param, strlen(r->param) + 1); /* api_valid_task_id: 30 bytes */
    const char *im = http_header(r, MHD_HTTP_HEADER_IF_MATCH);
    if (im && parse_if_match(im, &x->if_match) != 0) {
        http_reply_err(r, ERR_VERSION_CONFLICT, NULL, "If-Match must be a version the task had, as \"N\"");
        return;
    }
    json_t *obj = api_body(r, patch_fields, &x->e);
    if (!obj || read_fields(obj, &x->p, &x->e) != ERR_OK) {
        http_reply_error(r, &x->e);
        return;
    }
    /* restarting an SLA clock is an admin's decision (or the system's) */
    if (x->p.sla_restart && r->token.role != ROLE_ADMIN) {
        http_reply_err(r, ERR_FORBIDDEN, "sla_restart", "sla_restart needs an admin token");
        return;
    }
    snprintf(x->actor, sizeof x->actor, "%s", r->actor);
    api_submit(r, patch_run, patch_finish);
}

/* ---- POST /ops/tasks/bulk: one PATCH body for many tasks ---------------------- */

/* The whole request is one writer job, each task in its own savepoint
 * (service_task_patch_each): the tasks share one transaction, so one
 * commit makes them durable, and a refused one is undone alone. The
 * answers are written as JSON text by the job, task by task, so memory
 * holds the answer text and one task at a time (500 tasks at most). */
#define BULK_MAX 500

struct bulk_ctx {
    struct task_patch p;
    int n;
    struct task_patch_target targets[BULK_MAX];
    char actor[96];
    struct buf out; /* the answer, {"results":[... as the job wrote it */
    char today[DATE_SIZE];
    int64_t now;
};

static void bulk_clear(void *p)
{
    struct bulk_ctx *x = p;
    task_patch_clear(&x->p);
    buf_free(&x->out);
}

static enum err bulk_result(void *arg, int i, enum err rc, const struct task *t, const struct errinfo *e)
{
    struct bulk_ctx *x = arg;
    struct buf *b = &x->out;
    if (i) buf_putc(b, ',');
    buf_puts(b, "{\"id\":");
    buf_json_string(b, x->targets[i].id);
    buf_puts(b, ",\"status\":");
    buf_int(b, err_http_status(rc));
    if (rc == ERR_OK) {
        buf_puts(b, ",\"task\":");
        task_json_write(b, t, x->today, x->now, TASK_JSON_API);
    } else {
        buf_puts(b, ",\"error\":{\"code\":");
        buf_json_string(b, err_code_str(rc));
        buf_puts(b, ",\"message\":");
        buf_json_string(b, e->message[0] ? e->message : err_default_message(rc));
        if (e->field[0]) {
            buf_puts(b, ",\"field\":");
            buf_json_string(b, e->field);
        }
        buf_putc(b, '}');
    }
    buf_putc(b, '}');
    return b->oom ? ERR_INTERNAL : ERR_OK;
}

static enum err bulk_run(struct store_conn *c, void *arg)
{
    struct bulk_ctx *x = arg;
    x->now = clock_now_ms();
    dates_today(x->now, x->today);
    buf_free(&x->out); /* a job run again starts over */
    memset(&x->out, 0, sizeof x->out);
    buf_puts(&x->out, "{\"results\":[");
    return service_task_patch_each(c, x->targets, x->n, &x->p, x->actor, x->now, bulk_result, x);
}

static void bulk_finish(struct request *r, enum err rc)
{
    struct bulk_ctx *x = r->ctx;
    if (api_failed(r, rc, NULL)) return;
    buf_puts(&x->out, "]}");
    http_reply_text(r, 200, buf_take(&x->out));
}

/* A field error of `set` names the field as set.NAME. */
static enum err in_set(struct errinfo *e)
{
    if (e->field[0]) {
        char f[sizeof e->field];
        snprintf(f, sizeof f, "set.%.40s", e->field);
        snprintf(e->field, sizeof e->field, "%s", f);
    }
    return e->code;
}

static enum err read_bulk(json_t *obj, struct bulk_ctx *x, struct errinfo *e)
{
    json_t *ids = json_object_get(obj, "ids");
    if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > BULK_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, "ids", "ids must be a list of 1 to %d task ids", BULK_MAX);
    x->n = (int)json_array_size(ids);
    for (int i = 0; i < x->n; i++) {
        const char *id = json_string_value(json_array_get(ids, (size_t)i));
        if (!id || !api_valid_task_id(id))
            return err_set(e, ERR_VALIDATION_FAILED, "ids", "ids[%d] is not a task id", i);
        for (int k = 0; k < i; k++)
            if (strcmp(x->targets[k].id, id) == 0)
                return err_set(e, ERR_VALIDATION_FAILED, "ids", "%s is listed twice", id);
        memcpy(x->targets[i].id, id, strlen(id) + 1); /* api_valid_task_id: 30 bytes */
        x->targets[i].version = -1;
    }
    json_t *set = json_object_get(obj, "set");
    if (!json_is_object(set)) return err_set(e, ERR_VALIDATION_FAILED, "set", "set must be an object of PATCH fields");
    const char *key;
    json_t *val;
    json_object_foreach(set, key, val) {
        bool known = false;
        for (const char *const *k = patch_fields; *k && !known; k++) known = strcmp(*k, key) == 0;
        if (!known) {
            err_set(e, ERR_VALIDATION_FAILED, NULL, "unknown field '%.100s' in set", key);
            snprintf(e->field, sizeof e->field, "set.%.50s", key);
            return ERR_VALIDATION_FAILED;
        }
    }
    if (read_fields(set, &x->p, e) != ERR_OK) return in_set(e);
    if (x->p.has_status && x->p.status == TASK_OVERDUE)
        return err_set(e, ERR_VALIDATION_FAILED, "set.status",
                       "status OVERDUE is set automatically when the due date passes");
    json_t *versions = json_object_get(obj, "versions");
    if (versions && !json_is_null(versions)) {
        if (!json_is_object(versions))
            return err_set(e, ERR_VALIDATION_FAILED, "versions", "versions must map task ids to versions");
        json_object_foreach(versions, key, val) {
            int i = 0;
            while (i < x->n && strcmp(x->targets[i].id, key) != 0) i++;
            if (i == x->n)
                return err_set(e, ERR_VALIDATION_FAILED, "versions", "versions names %.40s, which is not in ids", key);
            if (!json_is_integer(val) || json_integer_value(val) < 1)
                return err_set(e, ERR_VALIDATION_FAILED, "versions", "versions[%s] must be a version, 1 or more", key);
            x->targets[i].version = json_integer_value(val);
        }
    }
    return ERR_OK;
}

void api_tasks_bulk(struct request *r)
{
    static const char *const fields[] = {"ids", "set", "versions", NULL};
    struct errinfo e = {0};
    struct bulk_ctx *x = api_ctx(r, sizeof *x, bulk_clear);
    if (!x) return;
    json_t *obj = api_body(r, fields, &e);
    if (!obj || read_bulk(obj, x, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    if (x->p.sla_restart && r->token.role != ROLE_ADMIN) { /* as for one PATCH */
        http_reply_err(r, ERR_FORBIDDEN, "set.sla_restart", "sla_restart needs an admin token");
        return;
    }
    snprintf(x->actor, sizeof x->actor, "%s", r->actor);
    api_submit(r, bulk_run, bulk_finish);
}

/* A history actor's name: a staff member's, a token's ("token:ID"), or
 * null for the service's own work ("system", "rule:...") and ids no longer
 * known. */
json_t *api_actor_name(struct store_conn *c, const char *actor)
{
    json_t *name = NULL;
    if (strncmp(actor, "sta_", 4) == 0) {
        struct staff st;
        if (store_staff_get(c, actor, &st) == ERR_OK) {
            if (st.name) name = json_string(st.name);
            store_staff_clear(&st);
        }
    } else if (strncmp(actor, "token:", 6) == 0) {
        struct token t;
        if (store_token_get(c, actor + 6, &t) == ERR_OK) name = json_string(t.name);
    }
    return name ? name : json_null();
}

void api_task_history(struct request *r)
{
    struct task t;
    if (!api_task_or_404(r, &t)) return;
    task_clear(&t);
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct history_entry *h = NULL;
    int n = 0;
    enum err rc = store_history_list(c, r->param, &h, &n);
    /* who each actor is, by name (a task's history names few people) */
    json_t *names = json_object();
    for (int i = 0; rc == ERR_OK && i < n; i++) {
        if (json_object_get(names, h[i].actor)) continue;
        json_object_set_new(names, h[i].actor, api_actor_name(c, h[i].actor));
    }
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) {
        json_decref(names);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        api_ts(o, "at", h[i].at);
        json_object_set_new(o, "actor", json_string(h[i].actor));
        json_object_set(o, "actor_name", json_object_get(names, h[i].actor));
        json_object_set_new(o, "type", json_string(h[i].type));
        json_object_set_new(o, "field", h[i].field[0] ? json_string(h[i].field) : json_null());
        json_t *from = h[i].from_json ? json_loads(h[i].from_json, JSON_DECODE_ANY, NULL) : NULL;
        json_t *to = h[i].to_json ? json_loads(h[i].to_json, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(o, "from", from ? from : json_null());
        json_object_set_new(o, "to", to ? to : json_null());
        json_array_append_new(data, o);
    }
    store_history_free(h, n);
    json_decref(names);
    http_reply_json(r, 200, json_pack("{s:o}", "data", data));
}

/* ---- GET /ops/tasks and /ops/tasks/stats: the queue ------------------------------ */

/* Splits a comma list; calls one(item) for each; stops at the first error. */
static enum err each_item(const char *list, const char *field, struct errinfo *e,
                          enum err (*one)(const char *item, void *arg, struct errinfo *e), void *arg)
{
    char buf[4096];
    if (strlen(list) >= sizeof buf) return err_set(e, ERR_VALIDATION_FAILED, field, "%s is too long", field);
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
        enum err rc = one(tok, arg, e);
        if (rc != ERR_OK) return rc;
    }
    if (n == 0) return err_set(e, ERR_VALIDATION_FAILED, field, "%s must not be empty", field);
    return ERR_OK;
}

static enum err one_status(const char *item, void *arg, struct errinfo *e)
{
    unsigned *mask = arg;
    enum task_status s;
    if (strcmp(item, "all") == 0) {
        *mask = (1u << TASK_STATUS__COUNT) - 1;
        return ERR_OK;
    }
    if (task_status_parse(item, &s) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "status",
                       "status must be a comma list of OPEN, IN_PROGRESS, OVERDUE, COMPLETED, CANCELLED, or all");
    *mask |= 1u << s;
    return ERR_OK;
}

static enum err one_priority(const char *item, void *arg, struct errinfo *e)
{
    unsigned *mask = arg;
    enum task_priority p;
    if (task_priority_parse(item, &p) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "priority", "priority must be a comma list of LOW, MEDIUM, HIGH, URGENT");
    *mask |= 1u << p;
    return ERR_OK;
}

struct assignee_arg {
    struct task_filter *f;
    const char *me;
};

static enum err one_assignee(const char *item, void *arg, struct errinfo *e)
{
    struct assignee_arg *a = arg;
    if (strcmp(item, "none") == 0) {
        a->f->assignee_none = true;
        return ERR_OK;
    }
    if (strcmp(item, "me") == 0) {
        if (!a->me[0])
            return err_set(e, ERR_VALIDATION_FAILED, "assignee_id", "assignee_id=me needs a token tied to a staff member");
        item = a->me;
    }
    if (!ids_valid_external(item, "sta_"))
        return err_set(e, ERR_VALIDATION_FAILED, "assignee_id", "assignee_id must list staff ids, none or me");
    if (a->f->n_assignees == FILTER_MAX_ASSIGNEES)
        return err_set(e, ERR_VALIDATION_FAILED, "assignee_id", "at most %d assignees", FILTER_MAX_ASSIGNEES);
    snprintf(a->f->assignees[a->f->n_assignees++], EXT_ID_SIZE, "%s", item);
    return ERR_OK;
}

static enum err one_source(const char *item, void *arg, struct errinfo *e)
{
    enum task_source src;
    if (task_source_parse(item, &src) != 0)
        return err_set(e, ERR_VALIDATION_FAILED, "source", "source must be a comma list of MANUAL, RENEWAL, RULE");
    *(unsigned *)arg |= 1u << src;
    return ERR_OK;
}

static enum err one_sla_state(const char *item, void *arg, struct errinfo *e)
{
    static const char *const names[] = {"met", "at_risk", "breached", "none", "paused"};
    for (unsigned i = 0; i < 5; i++)
        if (strcmp(item, names[i]) == 0) {
            *(unsigned *)arg |= 1u << i; /* SLA_STATE_MET .. SLA_STATE_PAUSED */
            return ERR_OK;
        }
    return err_set(e, ERR_VALIDATION_FAILED, "sla_state", "sla_state must be a comma list of met, at_risk, breached, "
                   "none, paused");
}

/* A date bound on completed_at, in the server's timezone: the first
 * instant of that day (next_day: of the day after, for an inclusive end). */
static enum err read_completed(struct request *r, const char *name, bool next_day, int64_t *ms, struct errinfo *e)
{
    const char *s = http_query(r, name);
    if (!s) return ERR_OK;
    if (!dates_valid(s)) return err_set(e, ERR_VALIDATION_FAILED, name, "%s must be a date YYYY-MM-DD", name);
    *ms = dates_day_start_ms(dates_to_days(s) + (next_day ? 1 : 0));
    if (*ms == 0) *ms = 1; /* 0 is "no bound": 1970-01-01 in UTC still bounds */
    return ERR_OK;
}

/* The search and the page's filters: q, source, completed_from/_to, sla_state. */
static enum err read_search_filter(struct request *r, struct task_filter *f, struct errinfo *e)
{
    enum err rc;
    const char *s;
    if ((s = http_query(r, "q"))) {
        switch (text_query_words(s, &f->q)) {
        case TEXT_OK: break;
        case TEXT_NO_WORDS: return err_set(e, ERR_VALIDATION_FAILED, "q", "q must hold at least one word");
        case TEXT_TOO_MANY_WORDS:
            return err_set(e, ERR_VALIDATION_FAILED, "q", "q may hold at most %d words", TEXT_WORDS_MAX);
        default:
            return err_set(e, ERR_VALIDATION_FAILED, "q", "each word of q may be at most %d characters",
                           TEXT_WORD_CHARS);
        }
    }
    if ((s = http_query(r, "source")) && (rc = each_item(s, "source", e, one_source, &f->source_mask)) != ERR_OK)
        return rc;
    if ((rc = read_completed(r, "completed_from", false, &f->completed_from_ms, e)) != ERR_OK ||
        (rc = read_completed(r, "completed_to", true, &f->completed_to_ms, e)) != ERR_OK)
        return rc;
    if (f->completed_from_ms && f->completed_to_ms && f->completed_from_ms >= f->completed_to_ms)
        return err_set(e, ERR_VALIDATION_FAILED, "completed_to", "completed_to must not be before completed_from");
    if ((s = http_query(r, "sla_state")) &&
        (rc = each_item(s, "sla_state", e, one_sla_state, &f->sla_state_mask)) != ERR_OK)
        return rc;
    /* SLA clocks */
    if ((s = http_query(r, "waiting_on_customer"))) {
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return err_set(e, ERR_VALIDATION_FAILED, "waiting_on_customer", "waiting_on_customer must be true or false");
        f->waiting = s[0] == 't' ? WAITING_YES : WAITING_NO;
    }
    return ERR_OK;
}

static enum err read_filter(struct request *r, struct task_filter *f, bool with_status, struct errinfo *e)
{
    memset(f, 0, sizeof *f);
    enum err rc;
    const char *s;
    if (with_status) {
        s = http_query(r, "status");
        if (!s)
            f->status_mask = 1u << TASK_OPEN;
        else if ((rc = each_item(s, "status", e, one_status, &f->status_mask)) != ERR_OK)
            return rc;
    }
    if ((s = http_query(r, "priority")) && (rc = each_item(s, "priority", e, one_priority, &f->priority_mask)) != ERR_OK)
        return rc;
    struct assignee_arg a = {f, r->token.staff_id};
    if ((s = http_query(r, "assignee_id")) && (rc = each_item(s, "assignee_id", e, one_assignee, &a)) != ERR_OK)
        return rc;
    if ((s = http_query(r, "user_id"))) {
        if (!ids_valid_external(s, "cus_"))
            return err_set(e, ERR_VALIDATION_FAILED, "user_id", "user_id must be a customer id");
        snprintf(f->user_id, sizeof f->user_id, "%s", s);
    }
    if ((s = http_query(r, "due_from"))) {
        if (!dates_valid(s)) return err_set(e, ERR_VALIDATION_FAILED, "due_from", "due_from must be a date YYYY-MM-DD");
        memcpy(f->due_from, s, DATE_SIZE);
    }
    if ((s = http_query(r, "due_to"))) {
        if (!dates_valid(s)) return err_set(e, ERR_VALIDATION_FAILED, "due_to", "due_to must be a date YYYY-MM-DD");
        memcpy(f->due_to, s, DATE_SIZE);
    }
    if (f->due_from[0] && f->due_to[0] && strcmp(f->due_from, f->due_to) > 0)
        return err_set(e, ERR_VALIDATION_FAILED, "due_to", "due_to must not be before due_from");
    /* the tasks of one renewable item */
    if ((s = http_query(r, "renewal_id"))) {
        if (!ids_valid_external(s, "ren_"))
            return err_set(e, ERR_VALIDATION_FAILED, "renewal_id", "renewal_id must be a renewal id (ren_...)");
        snprintf(f->renewal_id, sizeof f->renewal_id, "%s", s);
    }
    return read_search_filter(r, f, e);
}

static const char *const sort_names[] = {"due_date", "-due_date", "priority", "created_at", "-created_at",
                                         "relevance", "sla_due_at", "-updated_at", NULL};

/* The sorts of search and the page's views have their own cursor:
 * base64url("v2|sort|key|due_date|id"), key the relevance key, the SLA key or
 * updated_at (due_date for sla_due_at's second key). */
static bool cursor_v2(enum task_sort s) { return s >= SORT_RELEVANCE; }

/* The relevance key: the rank (0..3) and the search document's place,
 * RELEVANCE_KEY_TAG | rank << 56 | doc_seq. The tag keeps the keys of the
 * cursors before it (the rank alone, 0..3) from reading as a place: those
 * are refused (422). */
#define RELEVANCE_KEY_TAG (1LL << 60)
#define RELEVANCE_SEQ_MASK ((1LL << 56) - 1)
static int64_t relevance_key(int64_t rank, int64_t doc_seq)
{
    return RELEVANCE_KEY_TAG | rank << 56 | (doc_seq & RELEVANCE_SEQ_MASK);
}

/* Cursor: base64url("v1|sort|due_date|prio_rank|created_at|id"), opaque to clients. */
#define CURSOR_CREATED_MAX 253402300800000LL /* 10000-01-01T00:00:00Z in ms: no time of ours is later */
static void encode_cursor(enum task_sort sort, const struct task *t, const struct task_page *page, char *out,
                          size_t n)
{
    char raw[128];
    int64_t key = sort == SORT_RELEVANCE ? relevance_key(page->last_rank, page->last_doc_seq)
                  : sort == SORT_SLA_DUE_AT ? (t->has_sla ? sla_due_at(t) : TASK_SLA_KEY_NONE)
                                            : t->updated_at;
    int len = cursor_v2(sort)
                  ? snprintf(raw, sizeof raw, "v2|%d|%lld|%s|%s", (int)sort, (long long)key, t->due_date, t->id)
                  : snprintf(raw, sizeof raw, "v1|%d|%s|%d|%lld|%s", (int)sort, t->due_date,
                             task_priority_rank(t->priority), (long long)t->created_at, t->id);
    sodium_bin2base64(out, n, (const unsigned char *)raw, (size_t)len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The five fields of a v2 cursor (cursor_v2). */
static enum err decode_v2(char **f, enum task_sort sort, struct task_cursor *c, struct errinfo *e)
{
    long long sort_i, key;
    if (!api_digits(f[1], 1, &sort_i) || !api_digits(f[2], 19, &key)) goto bad;
    if (sort_i != (long long)sort)
        return err_set(e, ERR_VALIDATION_FAILED, "cursor", "this cursor belongs to another sort order");
    if (strlen(f[3]) >= DATE_SIZE || !dates_valid(f[3]) || !api_valid_task_id(f[4])) goto bad;
    if (sort == SORT_RELEVANCE) {
        if ((key & ~((4LL << 56) - 1)) != RELEVANCE_KEY_TAG || (key & RELEVANCE_SEQ_MASK) == 0) goto bad;
        c->rank = (key >> 56) & 3;
        c->doc_seq = key & RELEVANCE_SEQ_MASK;
    } else {
        c->sla_key = c->updated_at = key;
    }
    c->set = true;
    memcpy(c->due_date, f[3], DATE_SIZE);
    memcpy(c->id, f[4], strlen(f[4]) + 1);
    return ERR_OK;
bad:
    return err_set(e, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
}

static enum err decode_cursor(const char *s, enum task_sort sort, struct task_cursor *c, struct errinfo *e)
{
    unsigned char raw[128];
    size_t len = 0;
    if (strlen(s) > 160 || sodium_base642bin(raw, sizeof raw - 1, s, strlen(s), NULL, &len, NULL,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        goto bad;
    raw[len] = 0;
    /* exactly six fields; the numbers digits only (sscanf's %d and %lld
     * would take signs and blanks, and clamp a created_at that overflows) */
    char *f[6], *p = (char *)raw;
    int nf = 0;
    if (memchr(raw, 0, len)) goto bad;
    for (char *tok = strsep(&p, "|"); tok && nf < 6; tok = strsep(&p, "|")) f[nf++] = tok;
    if (nf == 5 && !p && strcmp(f[0], "v2") == 0) return decode_v2(f, sort, c, e);
    if (nf != 6 || p || strcmp(f[0], "v1") != 0) goto bad;
    long long sort_i, prio, created;
    if (!api_digits(f[1], 1, &sort_i) || !api_digits(f[3], 1, &prio) || !api_digits(f[4], 15, &created)) goto bad;
    if (sort_i != (long long)sort)
        return err_set(e, ERR_VALIDATION_FAILED, "cursor", "this cursor belongs to another sort order");
    const char *due = f[2], *id = f[5];
    if (strlen(due) >= DATE_SIZE || !dates_valid(due) || prio > 3 || created >= CURSOR_CREATED_MAX ||
        !api_valid_task_id(id))
        goto bad;
    c->set = true;
    memcpy(c->due_date, due, DATE_SIZE);
    c->prio_rank = prio;
    c->created_at = created;
    memcpy(c->id, id, strlen(id) + 1); /* valid_task_id checked the length */
    return ERR_OK;
bad:
    return err_set(e, ERR_VALIDATION_FAILED, "cursor", "cursor is not one this server gave out");
}

enum err api_task_query_read(struct request *r, struct task_query *qp, struct errinfo *e)
{
    static const char *const known[] = {"status", "priority", "assignee_id", "user_id", "due_from", "due_to",
                                        "sort", "limit", "cursor", "sla_breached", "sla_at_risk",
                                        "renewal_id", "q", "source", "completed_from", "completed_to",
                                        "sla_state", "waiting_on_customer", NULL};
    struct task_query q = {0};
    if (http_query_check(r, known, e) != ERR_OK || read_filter(r, &q.filter, true, e) != ERR_OK ||
        api_limit(r, 50, 500, &q.limit, e) != ERR_OK)
        return e->code;
    const char *s = http_query(r, "sort");
    q.sort = q.filter.q.n ? SORT_RELEVANCE : SORT_DUE_DATE; /* a search: best match first */
    if (s) {
        int i = 0;
        while (sort_names[i] && strcmp(sort_names[i], s) != 0) i++;
        if (!sort_names[i])
            return err_set(e, ERR_VALIDATION_FAILED, "sort", "sort must be due_date, -due_date, priority, "
                           "created_at, -created_at, relevance (with q), sla_due_at or -updated_at");
        q.sort = (enum task_sort)i;
    }
    if (q.sort == SORT_RELEVANCE && !q.filter.q.n)
        return err_set(e, ERR_VALIDATION_FAILED, "sort", "sort=relevance needs q");
    if ((s = http_query(r, "cursor")) && decode_cursor(s, q.sort, &q.after, e) != ERR_OK) return e->code;
    int64_t now = clock_now_ms();
    /* the SLA filters: breached or not, at risk */
    if ((s = http_query(r, "sla_breached"))) {
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return err_set(e, ERR_VALIDATION_FAILED, "sla_breached", "sla_breached must be true or false");
        q.filter.sla_breached = s[0] == 't' ? SLA_FILTER_BREACHED : SLA_FILTER_NOT_BREACHED;
    }
    if ((s = http_query(r, "sla_at_risk"))) {
        if (strcmp(s, "true") != 0)
            return err_set(e, ERR_VALIDATION_FAILED, "sla_at_risk", "sla_at_risk can only be true");
        q.filter.sla_at_risk = true;
    }
    q.filter.now_ms = now;
    dates_today(now, q.today);
    *qp = q;
    return ERR_OK;
}

/* ---- the cache of rendered answers (cache.c) -------------------------------- */

/* The key of a read's answer: the route, its canonical query and, when the
 * query names an assignee (it may say "me"), who asks. false: not cached. */
static bool answer_key(struct request *r, char route, struct buf *key)
{
    if (!r->app->answers) return false;
    buf_putc(key, route);
    if (!http_query_canonical(r, key)) return false;
    if (http_query(r, "assignee_id")) {
        buf_puts(key, "|me=");
        buf_puts(key, r->token.staff_id);
    }
    return !key->oom;
}

/* The instant a task's JSON changes by time alone (sla_at_risk at its 80%
 * instant, sla_breached just past its deadline); INT64_MAX for none. The
 * overdue overlay changes at midnight, which bounds every answer anyway. */
static int64_t task_next_change(const struct task *t, const char *today, int64_t now)
{
    if (!t->has_sla || !task_status_is_active(task_effective_status(t, today))) return INT64_MAX;
    int64_t due = sla_due_at(t), risk = sla_risk_at(t), next = INT64_MAX;
    if (risk > now) next = risk;
    if (due >= now && due + 1 < next) next = due + 1;
    return next;
}

/* The end of today in the server's timezone. */
static int64_t next_midnight(const char *today)
{
    int64_t start, end;
    sla_window_ms(today, today, &start, &end);
    return end;
}

/* Looks the answer up: true when it was the reply. Otherwise *cache says
 * whether to keep the one about to be made, read at *v. */
static bool answer_cached(struct request *r, struct store_conn *c, const struct buf *key,
                          const struct task_filter *f, int64_t now, struct api_version *v, bool *cache)
{
    *cache = key->p && api_data_version(c, f, v) == ERR_OK;
    return *cache && api_cache_reply(r, key->p, v, now);
}

void api_tasks_list(struct request *r)
{
    struct errinfo e = {0};
    struct task_query q;
    if (api_task_query_read(r, &q, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    int64_t now = q.filter.now_ms;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct buf key = {0};
    struct api_version v;
    bool cache = answer_key(r, 'L', &key);
    if (answer_cached(r, c, &key, &q.filter, now, &v, &cache)) {
        store_reader_release(c);
        buf_free(&key);
        return;
    }
    struct task_page page;
    enum err rc = store_task_list(c, &q, &page);
    /* right until midnight, the next SLA instant of a row shown, and when
     * the filter itself is by SLA state, the next of any active task */
    int64_t expires = next_midnight(q.today);
    if (rc == ERR_OK && cache) {
        for (int i = 0; i < page.n; i++) {
            int64_t t = task_next_change(&page.items[i], q.today, now);
            if (t < expires) expires = t;
        }
        bool by_sla = q.filter.sla_breached || q.filter.sla_at_risk || http_query(r, "sla_state");
        int64_t any;
        if (by_sla && store_task_sla_next_change(c, now, &any) != ERR_OK) cache = false;
        else if (by_sla && any < expires) expires = any;
    }
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) {
        buf_free(&key);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{\"data\":[");
    for (int i = 0; i < page.n; i++) {
        if (i) buf_putc(&b, ',');
        task_json_write(&b, &page.items[i], q.today, now, TASK_JSON_API);
    }
    buf_puts(&b, "],\"next_cursor\":");
    if (page.has_more && page.n > 0) {
        char cursor[256];
        encode_cursor(q.sort, &page.items[page.n - 1], &page, cursor, sizeof cursor);
        buf_json_string(&b, cursor);
    } else {
        buf_puts(&b, "null");
    }
    buf_putc(&b, '}');
    if (cache) api_cache_put_reply(r, key.p, &v, now, expires, buf_take(&b));
    else http_reply_text(r, 200, buf_take(&b));
    buf_free(&key);
    store_task_page_free(&page);
}

void api_tasks_stats(struct request *r)
{
    static const char *const known[] = {"priority", "assignee_id", "user_id", "due_from", "due_to", "q", "source",
                                        "completed_from", "completed_to", "sla_state", "waiting_on_customer", NULL};
    struct errinfo e = {0};
    struct task_filter f;
    if (http_query_check(r, known, &e) != ERR_OK || read_filter(r, &f, false, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    int64_t now = clock_now_ms();
    char today[DATE_SIZE];
    dates_today(now, today);
    f.now_ms = now; /* sla_state */
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct buf key = {0};
    struct api_version v;
    bool cache = answer_key(r, 'S', &key);
    /* the counts are of every status */
    if (answer_cached(r, c, &key, NULL, now, &v, &cache)) {
        store_reader_release(c);
        buf_free(&key);
        return;
    }
    struct task_stats st;
    enum err rc = store_task_stats(c, &f, today, now, &st);
    /* the counts of breached and at-risk tasks move by time alone */
    int64_t expires = next_midnight(today), any;
    if (rc == ERR_OK && cache && store_task_sla_next_change(c, now, &any) != ERR_OK) cache = false;
    else if (rc == ERR_OK && cache && any < expires) expires = any;
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) {
        buf_free(&key);
        return;
    }
    json_t *counts = json_object();
    for (int i = 0; i < TASK_STATUS__COUNT; i++)
        json_object_set_new(counts, task_status_name((enum task_status)i), json_integer(st.counts[i]));
    json_t *o = json_pack("{s:o, s:I, s:I}", "counts", counts, "sla_breached_active",
                          (json_int_t)st.sla_breached_active, "sla_at_risk_active", (json_int_t)st.sla_at_risk_active);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (cache) api_cache_put_reply(r, key.p, &v, now, expires, text);
    else http_reply_text(r, 200, text);
    buf_free(&key);
}
