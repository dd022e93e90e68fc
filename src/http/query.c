/* query.c: query strings the server holds itself (a saved view's), decoded
 * the way libmicrohttpd decodes a request's, so that a handler reading
 * http_query() cannot tell the two apart (http.h: struct http_pairs). */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes [s, end) into out (room checked by the caller: the decoded text
 * is never longer); -1 on a bad escape or an escaped NUL. */
static int decode(const char *s, const char *end, char *out, size_t *len)
{
    size_t n = 0;
    while (s < end) {
        char c = *s++;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = s < end ? hex(s[0]) : -1, lo = s + 1 < end ? hex(s[1]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            c = (char)(hi * 16 + lo);
            s += 2;
        }
        out[n++] = c;
    }
    out[n] = 0;
    *len = n;
    return 0;
}

enum err http_pairs_parse(const char *s, const char *field, struct http_pairs *out, struct errinfo *e)
{
    out->n = 0;
    size_t total = strlen(s);
    if (total > HTTP_PAIRS_TEXT_MAX)
        return err_set(e, ERR_VALIDATION_FAILED, field, "%s must be at most %d characters", field,
                       HTTP_PAIRS_TEXT_MAX);
    char *w = out->text;
    const char *p = s, *stop = s + total;
    if (*p == '?') p++;
    while (p < stop) {
        const char *amp = memchr(p, '&', (size_t)(stop - p));
        const char *seg_end = amp ? amp : stop;
        if (seg_end > p) {
            if (out->n == HTTP_PAIRS_MAX)
                return err_set(e, ERR_VALIDATION_FAILED, field, "%s may hold at most %d parameters", field,
                               HTTP_PAIRS_MAX);
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *key_end = eq ? eq : seg_end;
            size_t klen, vlen;
            /* a key and a value each take their decoded length and a NUL:
             * within text's room, as the encoded text is at most as long */
            char *key = w;
            if (decode(p, key_end, key, &klen) != 0) goto bad_escape;
            char *value = key + klen + 1;
            if (decode(eq ? eq + 1 : seg_end, seg_end, value, &vlen) != 0) goto bad_escape;
            w = value + vlen + 1;
            if (klen == 0)
                return err_set(e, ERR_VALIDATION_FAILED, field, "%s has a parameter without a name", field);
            for (int i = 0; i < out->n; i++)
                if (strcmp(out->key[i], key) == 0)
                    return err_set(e, ERR_VALIDATION_FAILED, field, "%s gives the parameter '%.40s' twice", field,
                                   key);
            out->key[out->n] = key;
            out->value[out->n++] = value;
        }
        p = seg_end + (amp ? 1 : 0);
    }
    return ERR_OK;
bad_escape:
    return err_set(e, ERR_VALIDATION_FAILED, field, "%s has a malformed %%-escape", field);
}
