/* Fuzz target: the session cookie, the CSRF header checks and the bearer
 * token header. The input is header lines ("Name: value"); they go to
 * the real authentication over an empty database (no token or session
 * matches, so every answer is 401 or 403), and to the CSRF check with the
 * cookie's secret when the cookie carries a well-formed one. */
#include <string.h>

#include "fuzz.h"
#include "http/session.h"

FUZZ_INIT_WITH_APP(NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384) return 0;
    char *text = fuzz_strndup(data, size);
    static const char *const methods[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"};
    struct request *r = fuzz_request(methods[size % 6], NULL, NULL, 0);
    r->authed = false;
    memset(&r->token, 0, sizeof r->token);
    r->actor[0] = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *colon = strchr(line, ':');
        if (!colon || colon == line) continue;
        *colon = 0;
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t') value++;
        size_t n = strlen(value);
        while (n && (value[n - 1] == '\r' || value[n - 1] == ' ' || value[n - 1] == '\t')) value[--n] = 0;
        fuzz_header(r, line, value);
    }

    struct errinfo e = {0};
    enum err rc = http_authenticate(r, &e);
    FUZZ_ASSERT(rc == ERR_UNAUTHORIZED || rc == ERR_FORBIDDEN, "authentication over an empty database gave %d",
                (int)rc);
    FUZZ_ASSERT(!r->authed, "authenticated with nothing in the database");

    char secret[SESSION_SECRET_SIZE];
    if (http_session_secret(r, secret)) {
        FUZZ_ASSERT(http_session_secret_valid(secret), "an ill-formed secret passed");
        rc = http_session_csrf_check(r, secret, &e);
        FUZZ_ASSERT(rc == ERR_OK || rc == ERR_FORBIDDEN, "CSRF check gave %d", (int)rc);
        if (rc == ERR_OK) {
            /* passing means the header holds exactly the secret's CSRF token */
            char want[SESSION_SECRET_SIZE];
            http_session_csrf(secret, want, sizeof want);
            const char *sent = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, SESSION_CSRF_HEADER);
            FUZZ_ASSERT(sent && strcmp(sent, want) == 0, "CSRF check passed without the token");
        }
    }
    char small[8];
    const char *cookies = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Cookie");
    if (http_cookie_get(cookies, SESSION_CSRF_COOKIE, small, sizeof small))
        FUZZ_ASSERT(strlen(small) < sizeof small, "cookie value overflows");
    (void)http_is_https(r);
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    if (http_origin_matches(origin, host))
        FUZZ_ASSERT(host && *host && strstr(origin, host), "origin %s matched host %s", origin, host);
    fuzz_request_free(r);
    free(text);
    return 0;
}
