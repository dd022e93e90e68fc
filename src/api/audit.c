/* audit.c (api): the audit log. Handlers record who did what with
 * api_audit() inside the same writer job as the change itself, so a row is
 * there exactly when the change committed; GET /ops/audit (admins) reads
 * it newest first, as JSON pages or CSV. Rows are only ever added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/dates.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/ids.h"

void api_who_of(struct request *r, struct api_who *w)
{
    memset(w, 0, sizeof *w);
    if (r->authed) snprintf(w->actor, sizeof w->actor, "%s", r->actor);
    snprintf(w->client, sizeof w->client, "%s", http_client_address(r));
    const char *ua = http_header(r, MHD_HTTP_HEADER_USER_AGENT);
    if (ua) {
        /* kept as text a log reader can trust: printable ASCII, cut */
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)ua; *p && n + 1 < sizeof w->user_agent; p++)
            w->user_agent[n++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
        w->user_agent[n] = 0;
    }
}

enum err api_audit(struct store_conn *c, const struct api_who *w, const char *type, json_t *details)
{
    if (!details) return ERR_INTERNAL;
    struct audit_row a = {.at = clock_now_ms()};
    ids_new_sequenced("aud_", a.at, a.id, sizeof a.id);
    snprintf(a.type, sizeof a.type, "%s", type);
    snprintf(a.actor, sizeof a.actor, "%s", w->actor);
    snprintf(a.client, sizeof a.client, "%s", w->client);
    a.details = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(details);
    if (!a.details) return ERR_INTERNAL;
    enum err rc = store_audit_add(c, &a);
    free(a.details);
    return rc;
}

/* ---- GET /ops/audit -------------------------------------------------------------- */

/* from/to: an RFC 3339 instant, or a day in the server's timezone; both
 * ends are included (to=2026-12-01 takes in all of that day). *out is the
 * bound as the query wants it: from inclusive, to exclusive (the instant
 * after). 0 when absent; false after answering 422. */
static bool time_arg(struct request *r, const char *name, bool end_of_day, int64_t *out)
{
    const char *s = http_query(r, name);
    *out = 0;
    if (!s) return true;
    if (dates_valid(s)) {
        int64_t day = dates_to_days(s) + (end_of_day ? 1 : 0);
        *out = dates_day_start_ms(day);
        return true;
    }
    if (dates_parse_ts(s, out) == 0) {
        if (end_of_day) (*out)++;
        return true;
    }
    http_reply_err(r, ERR_VALIDATION_FAILED, name, "%s must be a date YYYY-MM-DD or an RFC 3339 timestamp", name);
    return false;
}

static json_t *row_json(const struct audit_row *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(a->id));
    api_ts(o, "at", a->at);
    json_object_set_new(o, "type", json_string(a->type));
    json_object_set_new(o, "actor", a->actor[0] ? json_string(a->actor) : json_null());
    json_object_set_new(o, "client", a->client[0] ? json_string(a->client) : json_null());
    json_t *d = a->details ? json_loads(a->details, 0, NULL) : NULL;
    json_object_set_new(o, "details", d ? d : json_object());
    return o;
}

/* A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a
 * formula; the audit log holds what strangers typed (emails tried), so such
 * cells get a leading quote (OWASP's advice for CSV injection). */
static void csv_cell(struct buf *b, const char *s, bool first)
{
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
        size_t n = strlen(s) + 2;
        char *q = malloc(n);
        if (q) {
            snprintf(q, n, "'%s", s);
            api_csv_field(b, q, first);
            free(q);
            return;
        }
    }
    api_csv_field(b, s, first);
}

static void reply_audit_csv(struct request *r, const struct audit_row *a, int n, const char *next)
{
    struct buf b = {0};
    buf_puts(&b, "id,at,type,actor,client,details\r\n");
    for (int i = 0; i < n; i++) {
        char at[40];
        dates_format_ts(a[i].at, at, sizeof at);
        csv_cell(&b, a[i].id, true);
        csv_cell(&b, at, false);
        csv_cell(&b, a[i].type, false);
        csv_cell(&b, a[i].actor, false);
        csv_cell(&b, a[i].client, false);
        csv_cell(&b, a[i].details ? a[i].details : "{}", false);
        buf_puts(&b, "\r\n");
    }
    if (next) http_add_header(r, "X-Next-Cursor", next);
    api_reply_csv(r, &b, "audit");
}

void api_audit_list(struct request *r)
{
    static const char *const known[] = {"type", "actor", "from", "to", "limit", "cursor", "format", NULL};
    struct errinfo e = {0};
    if (!api_query_known(r, known)) return;
    int csv = api_wants_csv(r, &e);
    if (csv < 0) {
        http_reply_error(r, &e);
        return;
    }
    struct audit_query q = {0};
    int limit;
    if (api_limit(r, csv ? 10000 : 100, csv ? 10000 : 500, &limit, &e) != ERR_OK) {
        http_reply_error(r, &e);
        return;
    }
    const char *type = http_query(r, "type"), *actor = http_query(r, "actor"), *cursor = http_query(r, "cursor");
    if (type) {
        size_t tl = strlen(type);
        if (tl == 0 || tl >= sizeof q.type) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "type", "type must be 1 to %zu characters", sizeof q.type - 1);
            return;
        }
        /* "login" matches login.succeeded and login.failed as well as a type "login" */
        snprintf(q.type, sizeof q.type, "%s", type);
        q.type_prefix = !strchr(type, '.');
    }
    if (actor) {
        if (!*actor || strlen(actor) >= sizeof q.actor) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "actor", "actor must be a staff id or token:ID");
            return;
        }
        snprintf(q.actor, sizeof q.actor, "%s", actor);
    }
    if (cursor) {
        if (strncmp(cursor, "aud_", 4) != 0 || strlen(cursor) != 4 + IDS_TIME_ORDERED_LEN ||
            !ids_valid_external(cursor, "aud_")) {
            http_reply_err(r, ERR_VALIDATION_FAILED, "cursor", "cursor must be a next_cursor this list gave");
            return;
        }
        snprintf(q.before_id, sizeof q.before_id, "%s", cursor);
    }
    if (!time_arg(r, "from", false, &q.from) || !time_arg(r, "to", true, &q.to)) return;
    if (q.from && q.to && q.to <= q.from) {
        http_reply_err(r, ERR_VALIDATION_FAILED, "to", "to must not be before from");
        return;
    }
    q.limit = limit + 1;
    struct store_conn *c = api_reader(r);
    if (!c) return;
    struct audit_row *a = NULL;
    int n = 0;
    enum err rc = store_audit_list(c, &q, &a, &n);
    store_reader_release(c);
    if (api_failed(r, rc, NULL)) return;
    int got = n;
    const char *next = n > limit ? a[limit - 1].id : NULL;
    if (n > limit) n = limit;
    if (csv) {
        reply_audit_csv(r, a, n, next);
    } else {
        json_t *data = json_array();
        for (int i = 0; i < n; i++) json_array_append_new(data, row_json(&a[i]));
        http_reply_json(r, 200, api_page(data, next));
    }
    store_audit_rows_free(a, got);
}
