/* session.c: cookie sessions and the CSRF check for the browser page (see
 * session.h). Only the hash of a session secret is stored, so a copy of the
 * database signs no one in; the CSRF token is derived from the secret, so
 * nothing besides the session row needs storing. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/session.h"
#include "util/clock.h"

bool http_cookie_get(const char *header, const char *name, char *out, size_t n)
{
    if (!header || !name || n == 0) return false;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';') p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = len - nl - 1;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') v++, vl -= 2;
            if (vl >= n) return false;
            memcpy(out, v, vl);
            out[vl] = 0;
            return true;
        }
        if (!end) break;
        p = end + 1;
    }
    return false;
}

bool http_session_secret_valid(const char *s)
{
    if (!s || strlen(s) != SESSION_SECRET_LEN) return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_'))
            return false;
    return true;
}

void http_session_csrf(const char *secret, char *out, size_t n)
{
    static const char label[] = "opstasks csrf v1";
    unsigned char mac[32];
    crypto_generichash(mac, sizeof mac, (const unsigned char *)label, sizeof label - 1, (const unsigned char *)secret,
                       strlen(secret));
    sodium_bin2base64(out, n, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool http_origin_matches(const char *url, const char *host)
{
    if (!url || !host || !*host) return false;
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return false;
    size_t hl = strlen(host);
    if (strncasecmp(rest, host, hl) != 0) return false;
    /* the authority ends there: nothing, or the path of a Referer */
    return rest[hl] == 0 || rest[hl] == '/';
}

void http_session_hash(const char *secret, unsigned char hash[32])
{
    crypto_generichash(hash, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

void http_session_new(char *secret, unsigned char hash[32])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(secret, SESSION_SECRET_SIZE, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    http_session_hash(secret, hash);
}

bool http_session_secret(struct request *r, char secret[SESSION_SECRET_SIZE])
{
    const char *cookies = http_header(r, MHD_HTTP_HEADER_COOKIE);
    return http_cookie_get(cookies, SESSION_COOKIE, secret, SESSION_SECRET_SIZE) && http_session_secret_valid(secret);
}

bool http_is_https(struct request *r)
{
    if (r->app->tls) return true; /* direct HTTPS (--tls-cert) */
    const char *p = http_header(r, "X-Forwarded-Proto");
    return p && strcasecmp(p, "https") == 0;
}

enum err http_session_csrf_check(struct request *r, const char *secret, struct errinfo *e)
{
    const char *host = http_header(r, MHD_HTTP_HEADER_HOST);
    const char *origin = http_header(r, MHD_HTTP_HEADER_ORIGIN);
    const char *referer = http_header(r, MHD_HTTP_HEADER_REFERER);
    if (origin && !http_origin_matches(origin, host))
        return err_set(e, ERR_FORBIDDEN, NULL, "CSRF check failed: the request comes from another origin");
    if (!origin && referer && !http_origin_matches(referer, host))
        return err_set(e, ERR_FORBIDDEN, NULL, "CSRF check failed: the request comes from another page");
    const char *sent = http_header(r, SESSION_CSRF_HEADER);
    char want[SESSION_SECRET_SIZE];
    http_session_csrf(secret, want, sizeof want);
    if (!sent || strlen(sent) != SESSION_SECRET_LEN || sodium_memcmp(sent, want, SESSION_SECRET_LEN) != 0)
        return err_set(e, ERR_FORBIDDEN, NULL, "CSRF check failed: send the " SESSION_CSRF_COOKIE
                                               " cookie's value as " SESSION_CSRF_HEADER);
    return ERR_OK;
}
