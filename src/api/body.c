/* body.c: JSON request bodies, field checks and list helpers shared by the
 * resource files. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "domain/dates.h"
#include "domain/task.h"

static bool is_json_type(const char *ct)
{
    if (!ct) return false;
    while (*ct == ' ') ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0) return false;
    ct += n;
    while (*ct == ' ') ct++;
    return *ct == 0 || *ct == ';';
}

enum err api_parse_object(struct request *r, const char *const *known, json_t **out, struct errinfo *e)
{
    *out = NULL;
    if (!is_json_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return err_set(e, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "Send the body as Content-Type: application/json");
    if (!r->body || r->body_len == 0) return err_set(e, ERR_BAD_JSON, NULL, "The request body is empty");
    json_error_t je;
    /* jansson rejects invalid UTF-8 and \u0000, and caps nesting depth */
    json_t *v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return err_set(e, ERR_BAD_JSON, NULL, "Malformed JSON at line %d, column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return err_set(e, ERR_VALIDATION_FAILED, NULL, "The body must be a JSON object");
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, key) == 0;
        if (!ok) {
            err_set(e, ERR_VALIDATION_FAILED, NULL, "unknown field '%.100s'", key);
            snprintf(e->field, sizeof e->field, "%s", key);
            json_decref(v);
            return ERR_VALIDATION_FAILED;
        }
    }
    *out = v;
    return ERR_OK;
}

enum err api_string_field(json_t *obj, const char *name, bool null_ok, const char **out, bool *present,
                          struct errinfo *e)
{
    *out = NULL;
    json_t *v = json_object_get(obj, name);
    if (present) *present = v != NULL;
    if (!v) return ERR_OK;
    if (json_is_null(v)) {
        if (null_ok) return ERR_OK;
        return err_set(e, ERR_VALIDATION_FAILED, name, "%s must not be null", name);
    }
    if (!json_is_string(v)) return err_set(e, ERR_VALIDATION_FAILED, name, "%s must be a string", name);
    *out = json_string_value(v);
    return ERR_OK;
}

enum err api_required_string(json_t *obj, const char *name, const char **out, struct errinfo *e)
{
    bool present;
    enum err rc = api_string_field(obj, name, false, out, &present, e);
    if (rc == ERR_OK && !present) return err_set(e, ERR_VALIDATION_FAILED, name, "%s is required", name);
    return rc;
}

bool api_digits(const char *s, int max_digits, long long *out)
{
    long long v = 0;
    int n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= max_digits) return false;
        int d = s[n] - '0';
        if (v > (LLONG_MAX - d) / 10) return false; /* 19 digits can pass LLONG_MAX */
        v = v * 10 + d;
    }
    *out = v;
    return n > 0;
}

enum err api_limit(struct request *r, int def, int max, int *out, struct errinfo *e)
{
    const char *s = http_query(r, "limit");
    *out = def;
    if (!s) return ERR_OK;
    long long v;
    if (!api_digits(s, 9, &v) || v < 1 || v > max)
        return err_set(e, ERR_VALIDATION_FAILED, "limit", "limit must be a whole number from 1 to %d", max);
    *out = (int)v;
    return ERR_OK;
}

json_t *api_page(json_t *data, const char *next_cursor)
{
    return json_pack("{s:o, s:o}", "data", data, "next_cursor", next_cursor ? json_string(next_cursor) : json_null());
}

void api_ts(json_t *obj, const char *key, int64_t ms)
{
    if (!ms) {
        json_object_set_new(obj, key, json_null());
        return;
    }
    char buf[40];
    dates_format_ts(ms, buf, sizeof buf);
    json_object_set_new(obj, key, json_string(buf));
}

#define NAME_MAX_CHARS 200
#define EMAIL_MAX 254

enum err api_person_fields(json_t *obj, char **name, char **email, struct errinfo *e)
{
    const char *s;
    bool present;
    enum err rc;
    *name = *email = NULL;
    if ((rc = api_required_string(obj, "name", &s, e)) != ERR_OK) return rc;
    if ((rc = task_validate_title(s, name, e)) != ERR_OK) {
        snprintf(e->field, sizeof e->field, "name");
        snprintf(e->message, sizeof e->message, "name must be 1-%d characters without control characters",
                 NAME_MAX_CHARS);
        return rc;
    }
    if ((rc = api_string_field(obj, "email", true, &s, &present, e)) != ERR_OK) goto fail;
    if (s) {
        const char *at = strchr(s, '@');
        if (strlen(s) > EMAIL_MAX || !at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, " \t\r\n<>")) {
            rc = err_set(e, ERR_VALIDATION_FAILED, "email", "email must be an address like name@example.com");
            goto fail;
        }
        if (!(*email = strdup(s))) {
            rc = err_set(e, ERR_INTERNAL, NULL, NULL);
            goto fail;
        }
    }
    return ERR_OK;
fail:
    free(*name);
    *name = NULL;
    return rc;
}

void api_health(struct request *r) { http_reply_raw_json(r, 200, "{\"status\":\"ok\"}"); }

/* GET /readyz: whether this instance can take writes, for load balancers and
 * systemd. Liveness stays /healthz; this one reads the writer's flags (see
 * store_ready), so it is cheap enough to poll. */
void api_ready(struct request *r)
{
    char why[256];
    if (store_ready(r->app->store, why, sizeof why) != ERR_OK) {
        http_reply_err(r, ERR_UNAVAILABLE, NULL, "not ready: %s", why);
        http_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        return;
    }
    http_reply_raw_json(r, 200, "{\"status\":\"ready\"}");
}
