/* reply.c: response helpers, request headers and query arguments. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"

static void set_body(struct request *r, int status, char *body, const char *type)
{
    free(r->resp_body);
    r->resp_body = body;
    r->resp_len = body ? strlen(body) : 0;
    r->status = status;
    r->content_type = type;
    r->response_ready = true;
}

void http_reply_json(struct request *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        set_body(r, 500, strdup("{\"error\":{\"code\":\"internal_error\",\"message\":\"Internal error\"}}"),
                 "application/json");
        return;
    }
    set_body(r, status, text, "application/json");
}

void http_reply_raw_json(struct request *r, int status, const char *json_text)
{
    set_body(r, status, strdup(json_text), "application/json");
}

void http_reply_text(struct request *r, int status, char *json_text)
{
    if (!json_text) {
        http_reply_raw_json(r, 500, "{\"error\":{\"code\":\"internal_error\",\"message\":\"Internal error\"}}");
        return;
    }
    set_body(r, status, json_text, "application/json");
}

/* CSV and Prometheus text answers */
void http_reply_body(struct request *r, int status, char *body, const char *content_type)
{
    if (!body) {
        http_reply_raw_json(r, 500, "{\"error\":{\"code\":\"internal_error\",\"message\":\"Internal error\"}}");
        return;
    }
    set_body(r, status, body, content_type);
}

/* Copies s into out (n >= 4 bytes), every byte that does not belong to a
 * valid UTF-8 sequence replaced by U+FFFD, cut on a character boundary.
 * Error messages quote what the client sent (a query argument's name, a path,
 * jansson's view of malformed JSON) or cut it ("%.100s"), and jansson refuses
 * a string that is not valid UTF-8: the envelope came out as {"error":{}}. */
static void utf8_clean(const char *s, char *out, size_t n)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xC2 && *p <= 0xDF ? 2 : *p >= 0xE0 && *p <= 0xEF ? 3
                   : *p >= 0xF0 && *p <= 0xF4 ? 4 : 0;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80) len = 0; /* also stops at the NUL */
        /* overlong forms, UTF-16 surrogates and code points past U+10FFFF */
        if ((len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F))) ||
            (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))))
            len = 0;
        const char *piece = len ? (const char *)p : "\xEF\xBF\xBD";
        size_t plen = len ? len : 3;
        if (o + plen >= n) break;
        memcpy(out + o, piece, plen);
        o += plen;
        p += len ? len : 1;
    }
    out[o] = 0;
}

void http_reply_error(struct request *r, const struct errinfo *e)
{
    char message[sizeof e->message * 3], field[sizeof e->field * 3];
    utf8_clean(e->message[0] ? e->message : err_default_message(e->code), message, sizeof message);
    utf8_clean(e->field, field, sizeof field);
    json_t *err = json_pack("{s:s, s:s}", "code", err_code_str(e->code), "message", message);
    if (err && field[0]) json_object_set_new(err, "field", json_string(field));
    r->n_headers = 0;
    int status = err_http_status(e->code);
    if (e->code == ERR_UNAUTHORIZED) http_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"opstasks\"");
    http_reply_json(r, status, json_pack("{s:o}", "error", err ? err : json_object()));
}

void http_reply_err(struct request *r, enum err code, const char *field, const char *fmt, ...)
{
    struct errinfo e = {.code = code};
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e.message, sizeof e.message, fmt, ap);
        va_end(ap);
    }
    http_reply_error(r, &e);
}

void http_add_header(struct request *r, const char *name, const char *value)
{
    if (r->n_headers == HTTP_MAX_HEADERS) return;
    snprintf(r->headers[r->n_headers].name, sizeof r->headers[0].name, "%s", name);
    snprintf(r->headers[r->n_headers].value, sizeof r->headers[0].value, "%s", value);
    r->n_headers++;
}

/* libmicrohttpd 0.9.75 stores a header value only up to a NUL byte in it; a
 * request with one never gets here: guard.c's framing check refuses it. */
const char *http_header(struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct request *r, const char *name)
{
    if (r->query) {
        for (int i = 0; i < r->query->n; i++)
            if (strcmp(r->query->key[i], name) == 0) return r->query->value[i];
        return NULL;
    }
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct check_ctx {
    const char *const *known;
    const char *stranger;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind, (void)value;
    struct check_ctx *c = cls;
    for (const char *const *k = c->known; *k; k++)
        if (strcmp(*k, key) == 0) return MHD_YES;
    c->stranger = key;
    return MHD_NO;
}

enum err http_query_check(struct request *r, const char *const *known, struct errinfo *e)
{
    struct check_ctx c = {.known = known};
    if (r->query) {
        for (int i = 0; i < r->query->n && !c.stranger; i++)
            check_arg(&c, MHD_GET_ARGUMENT_KIND, r->query->key[i], r->query->value[i]);
    } else {
        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &c);
    }
    if (c.stranger) {
        char name[48];
        snprintf(name, sizeof name, "%s", c.stranger);
        return err_set(e, ERR_VALIDATION_FAILED, name, "unknown query parameter '%s'", name);
    }
    return ERR_OK;
}

/* ---- canonical query strings and conditional answers ----------------------- */

#define CANON_MAX_ARGS 64

struct canon_ctx {
    int n;
    bool overflow;
    const char *key[CANON_MAX_ARGS], *value[CANON_MAX_ARGS];
};

static enum MHD_Result canon_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct canon_ctx *c = cls;
    if (c->n == CANON_MAX_ARGS) {
        c->overflow = true;
        return MHD_NO;
    }
    c->key[c->n] = key;
    c->value[c->n] = value ? value : "";
    c->n++;
    return MHD_YES;
}

bool http_query_canonical(struct request *r, struct buf *b)
{
    struct canon_ctx c = {0};
    if (r->query) {
        for (int i = 0; i < r->query->n; i++) canon_arg(&c, MHD_GET_ARGUMENT_KIND, r->query->key[i], r->query->value[i]);
    } else {
        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, canon_arg, &c);
    }
    if (c.overflow) return false;
    /* insertion sort by key, then value: a handful of arguments */
    for (int i = 1; i < c.n; i++) {
        const char *k = c.key[i], *v = c.value[i];
        int j = i - 1;
        while (j >= 0 && (strcmp(c.key[j], k) > 0 || (strcmp(c.key[j], k) == 0 && strcmp(c.value[j], v) > 0))) {
            c.key[j + 1] = c.key[j];
            c.value[j + 1] = c.value[j];
            j--;
        }
        c.key[j + 1] = k;
        c.value[j + 1] = v;
    }
    /* length-prefixed, so no key or value can pass for another split */
    for (int i = 0; i < c.n; i++) {
        buf_int(b, (int64_t)strlen(c.key[i]));
        buf_putc(b, ':');
        buf_puts(b, c.key[i]);
        buf_int(b, (int64_t)strlen(c.value[i]));
        buf_putc(b, '=');
        buf_puts(b, c.value[i]);
    }
    return !b->oom;
}

/* RFC 9110 13.1.2: If-None-Match is "*" or a list of entity tags, compared
 * weakly (a W/ prefix on either side does not matter). */
static bool none_match(const char *header, const char *etag)
{
    const char *tag = etag[0] == 'W' && etag[1] == '/' ? etag + 2 : etag;
    size_t tn = strlen(tag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return true;
        if (p[0] == 'W' && p[1] == '/') p += 2;
        const char *start = p;
        if (*p != '"') break;
        p++;
        while (*p && *p != '"') p++;
        if (*p != '"') break;
        p++;
        if ((size_t)(p - start) == tn && memcmp(start, tag, tn) == 0) return true;
    }
    return false;
}

void http_reply_tagged(struct request *r, char *json_text, const char *etag)
{
    /* Cache-Control stays no-store: an API answer is never written to a
     * browser's disk; a client keeps the tag and the body itself */
    if (!json_text) {
        http_reply_text(r, 200, NULL);
        return;
    }
    http_add_header(r, MHD_HTTP_HEADER_ETAG, etag);
    const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && none_match(inm, etag)) {
        free(json_text);
        set_body(r, 304, NULL, NULL);
        return;
    }
    http_reply_text(r, 200, json_text);
}
