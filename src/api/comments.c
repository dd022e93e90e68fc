/* comments.c (api): /ops/tasks/{id}/comments, notes staff write on a task
 * ("called the customer, waiting for the scan"). Anyone signed in may
 * comment, on any task, final ones too; comments are never edited or
 * deleted through the API. A comment is counted on its task
 * (comment_count) without changing the task's version, so it never
 * conflicts with an If-Match edit, and it writes no history line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/task.h"
#include "service/announce.h"
#include "util/clock.h"
#include "util/ids.h"

#define COMMENT_BODY_MAX_CHARS 10000
/* A body of 10,000 characters could name ~1,600 ids; each is a look-up on
 * the writer, so only the first this many distinct ones are looked up. */
#define COMMENT_MENTIONS_MAX 100

static json_t *comment_json(const struct task_comment *cm)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(cm->id));
    json_object_set_new(o, "task_id", json_string(cm->task_id));
    json_object_set_new(o, "author", json_string(cm->author));
    json_object_set_new(o, "body", json_string(cm->body ? cm->body : ""));
    json_t *m = cm->mentions ? json_loads(cm->mentions, 0, NULL) : NULL;
    json_object_set_new(o, "mentions", json_is_array(m) ? m : json_array());
    if (m && !json_is_array(m)) json_decref(m);
    api_ts(o, "created_at", cm->created_at);
    return o;
}

/* 1 to 10,000 characters (code points), not only blanks; newlines and tabs
 * allowed, other control characters (as in a description) refused. */
static enum err validate_body(const char *s, struct errinfo *e)
{
    bool blank = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f || (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t'))
            return err_set(e, ERR_VALIDATION_FAILED, "body", "body must not contain control characters");
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') blank = false;
    }
    if (blank) return err_set(e, ERR_VALIDATION_FAILED, "body", "body must not be empty");
    size_t chars = task_utf8_length(s);
    if (chars > COMMENT_BODY_MAX_CHARS)
        return err_set(e, ERR_VALIDATION_FAILED, "body", "body must be at most %d characters (it has %zu)",
                       COMMENT_BODY_MAX_CHARS, chars);
    return ERR_OK;
}

static bool is_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The distinct "@sta_..." ids of body (the shape of ids_valid_external: the
 * whole run of id characters after the @), in order of appearance. */
static json_t *mention_candidates(const char *body)
{
    json_t *a = json_array();
    for (const char *p = strstr(body, "@sta_"); p && json_array_size(a) < COMMENT_MENTIONS_MAX;
         p = strstr(p, "@sta_")) {
        const char *id = p + 1;
        size_t n = 0;
        while (is_id_char(id[n])) n++;
        p = id + n;
        char buf[EXT_ID_SIZE];
        if (n >= sizeof buf) continue;
        memcpy(buf, id, n);
        buf[n] = 0;
        if (!ids_valid_external(buf, "sta_")) continue;
        bool seen = false;
        for (size_t i = 0; i < json_array_size(a) && !seen; i++)
            seen = strcmp(json_string_value(json_array_get(a, i)), buf) == 0;
        if (!seen) json_array_append_new(a, json_string(buf));
    }
    return a;
}

/* ---- POST /ops/tasks/{id}/comments --------------------------------------- */

struct add_ctx {
    struct task_comment cm;
    json_t *candidates;
    struct errinfo e;
};

static void add_clear(void *p)
{
    struct add_ctx *x = p;
    free(x->cm.body);
    free(x->cm.mentions);
    json_decref(x->candidates);
}

static enum err add_run(struct store_conn *c, void *arg)
{
    struct add_ctx *x = arg;
    enum err rc;
    /* who is mentioned is decided here, on the writer, so a member made
     * inactive just before is not */
    json_t *mentions = json_array();
    for (size_t i = 0; i < json_array_size(x->candidates); i++) {
        const char *id = json_string_value(json_array_get(x->candidates, i));
        struct staff st;
        rc = store_staff_get(c, id, &st);
        if (rc == ERR_NOT_FOUND) continue;
        if (rc != ERR_OK) {
            json_decref(mentions);
            return err_set(&x->e, rc, NULL, NULL);
        }
        if (st.active) json_array_append_new(mentions, json_string(id));
        store_staff_clear(&st);
    }
    free(x->cm.mentions);
    x->cm.mentions = json_dumps(mentions, JSON_COMPACT);
    json_decref(mentions);
    if (!x->cm.mentions) return err_set(&x->e, ERR_INTERNAL, NULL, NULL);
    x->cm.created_at = clock_now_ms();
    /* sequenced: comments one server writes in the same millisecond still
     * list in the order they were written */
    ids_new_sequenced("cmt_", x->cm.created_at, x->cm.id, sizeof x->cm.id);
    rc = store_comment_add(c, &x->cm);
    if (rc == ERR_NOT_FOUND) return err_set(&x->e, rc, NULL, "no task %s", x->cm.task_id);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    /* the task's search document takes the body, in this job */
    if ((rc = store_task_search_refresh(c, x->cm.task_id)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    /* comment.created (and the mentions) for the announcement sinks */
    struct task t;
    if ((rc = store_task_get(c, x->cm.task_id, &t)) != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    struct announcement a = {.type = ANN_COMMENT_CREATED, .at = x->cm.created_at, .actor = x->cm.author, .task = &t,
                             .comment = &x->cm};
    rc = announce(c, &a);
    task_clear(&t);
    if (rc != ERR_OK) return err_set(&x->e, rc, NULL, NULL);
    return ERR_OK;
}

static void add_finish(struct request *r, enum err rc)
{
    struct add_ctx *x = r->ctx;
    if (api_failed(r, rc, &x->e)) return;
    http_reply_json(r, 201, comment_json(&x->cm));
}

void api_task_comment_add(struct request *r)
{
    static const char *const fields[] = {"body", NULL};
    struct add_ctx *x = api_ctx(r, sizeof *x, add_clear);
    if (!x) return;
    if (!api_valid_task_id(r->param)) {
        http_reply_err(r, ERR_NOT_FOUND, NULL, "no task %.80s", r->param);
        return;
    }
    json_t *obj = api_body(r, fields, &x->e);
    const char *body;
    if (!obj || api_required_string(obj, "body", &body, &x->e) != ERR_OK || validate_body(body, &x->e) != ERR_OK) {
        http_reply_error(r, &x->e);
        return;
    }
    memcpy(x->cm.task_id, r->param, strlen(r->param) + 1); /* validated: fits */
    snprintf(x->cm.author, sizeof x->cm.author, "%s", r->actor);
    if (!(x->cm.body = strdup(body)) || !(x->candidates = mention_candidates(body))) {
        http_reply_err(r, ERR_INTERNAL, NULL, NULL);
        return;
    }
    api_submit(r, add_run, add_finish);
}

/* ---- GET /ops/tasks/{id}/comments ---------------------------------------- */

void api_task_comments(struct request *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    struct task t;
    if (!api_task_or_404(r, &t)) return;
    task_clear(&t);
    int limit, n = 0;
    const char *after;
    struct store_conn *c;
    if (!api_id_page(r, known, "cmt_", &limit, &after) || !(c = api_reader(r))) return;
    struct task_comment *a = NULL;
    enum err rc = store_comment_list(c, r->param, after, limit + 1, &a, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    json_t *data = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(data, comment_json(&a[i]));
    http_reply_json(r, 200, api_page(data, n > limit ? a[limit - 1].id : NULL));
    store_comments_free(a, n);
}
