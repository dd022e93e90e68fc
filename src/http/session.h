/* session.h: browser sign-in for the /tasks page.
 *
 * A staff member pastes an API token on /login; the server keeps a session
 * row (only the hash of its secret, migration 007) and sets two cookies: the
 * secret itself, HttpOnly, and a CSRF token derived from it that the page's
 * script can read and send back as X-CSRF-Token (double submit). Requests that
 * authenticate with the cookie and change state must also come from our own
 * origin (Origin, else Referer, when the browser sends one). */
#ifndef OPSTASKS_HTTP_SESSION_H
#define OPSTASKS_HTTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

#define SESSION_COOKIE "opstasks_session"
#define SESSION_CSRF_COOKIE "opstasks_csrf"
#define SESSION_CSRF_HEADER "X-CSRF-Token"
/* A session lasts one long working day from sign-in, then /login again. */
#define SESSION_TTL_MS (12LL * 3600 * 1000)
/* The secret: 32 random bytes as URL-safe base64 without padding. */
#define SESSION_SECRET_LEN 43
#define SESSION_SECRET_SIZE (SESSION_SECRET_LEN + 1)

/* ---- pure helpers (unit-tested) ---- */

/* Copies the first cookie called name in a Cookie header value into out.
 * False when absent, or when its value does not fit in n bytes. */
bool http_cookie_get(const char *header, const char *name, char *out, size_t n);
/* True when s is shaped like a session secret (43 URL-safe base64 chars). */
bool http_session_secret_valid(const char *s);
/* The CSRF token belonging to a secret: BLAKE2b keyed with the secret, as
 * URL-safe base64 (43 chars), into out (>= SESSION_SECRET_SIZE bytes). */
void http_session_csrf(const char *secret, char *out, size_t n);
/* True when url (an Origin, or a Referer's scheme://host[:port] part) is
 * http or https on exactly host (the Host header, with its port). */
bool http_origin_matches(const char *url, const char *host);

/* ---- with a request ---- */

/* A new secret (SESSION_SECRET_SIZE bytes) and its hash. */
void http_session_new(char *secret, unsigned char hash[32]);
void http_session_hash(const char *secret, unsigned char hash[32]);
/* The session cookie's secret, when the request carries a well-formed one. */
bool http_session_secret(struct request *r, char secret[SESSION_SECRET_SIZE]);
/* (auth.c) Authenticates with the session cookie: ERR_OK with r->token, r->actor and
 * r->authed set; 401 for no session or an expired one; 403 when the method
 * changes state and the CSRF check fails. */
enum err http_session_authenticate(struct request *r, const char *secret, struct errinfo *e);
/* The CSRF check alone: Origin (else Referer) must be ours when sent, and
 * X-CSRF-Token must be the secret's CSRF token. ERR_OK or 403. */
enum err http_session_csrf_check(struct request *r, const char *secret, struct errinfo *e);
/* True when the request came over HTTPS (directly, or per X-Forwarded-Proto
 * from a proxy in front): cookies are then marked Secure. */
bool http_is_https(struct request *r);

#endif
