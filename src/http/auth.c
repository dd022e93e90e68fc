/* auth.c: bearer tokens. A token is 32 random bytes shown once; only its
 * BLAKE2b hash is stored, so a copy of the database does not leak access.
 * Tokens are high-entropy, so a fast hash is enough (no password stretching). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/session.h"

void http_token_hash(const char *token, unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

void http_token_generate(char *out, size_t n)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, n, "ops_%s", b64);
    sodium_memzero(raw, sizeof raw);
}

enum err http_authenticate(struct request *r, struct errinfo *e)
{
    const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    /* browser sessions: without a bearer token, the session cookie */
    char secret[SESSION_SECRET_SIZE];
    if (!h && http_session_secret(r, secret)) return http_session_authenticate(r, secret, e);
    if (!h) return err_set(e, ERR_UNAUTHORIZED, NULL, "Send Authorization: Bearer TOKEN");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return err_set(e, ERR_UNAUTHORIZED, NULL, "Only Bearer tokens are accepted");
    const char *tok = h + 7;
    while (*tok == ' ') tok++;
    size_t len = strlen(tok);
    if (len == 0 || len > 200) return err_set(e, ERR_UNAUTHORIZED, NULL, "The token is not valid");
    unsigned char hash[32];
    http_token_hash(tok, hash);
    struct store_conn *c = store_reader_acquire(r->app->store);
    if (!c) return err_set(e, ERR_INTERNAL, NULL, NULL);
    enum err rc = store_token_find(c, hash, &r->token);
    store_reader_release(c);
    if (rc == ERR_NOT_FOUND) return err_set(e, ERR_UNAUTHORIZED, NULL, "The token is not valid");
    if (rc != ERR_OK) return err_set(e, rc, NULL, NULL);
    r->authed = true;
    if (r->token.staff_id[0])
        snprintf(r->actor, sizeof r->actor, "%s", r->token.staff_id);
    else
        snprintf(r->actor, sizeof r->actor, "token:%s", r->token.id);
    return ERR_OK;
}
