/* password.h: what makes a password acceptable, and the sign-in limiter's
 * arithmetic. Pure functions (no I/O, no clock): the unit tests call them
 * with any time they like. The hashing itself (argon2id, libsodium) is
 * service/passwords.c. */
#ifndef OPSTASKS_PASSWORD_H
#define OPSTASKS_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS 10
#define PASSWORD_MAX_CHARS 200

/* NULL when password may be used by the person whose email is email (may
 * be NULL); else why not, in words for that person (static). Counts
 * characters (UTF-8 code points), refuses invalid UTF-8 and control
 * characters, the email itself (case-insensitive), one character repeated,
 * and the handful of passwords every guessing list starts with. */
const char *password_weakness(const char *password, const char *email);

/* The sign-in limiter. Failed sign-ins are kept per key (an email, a client
 * address); times_desc holds the newest n of them within the window, newest
 * first. With at most max_failures allowed in window_ms, answers true when
 * the next attempt at now must wait, and *retry_after_s the whole seconds
 * until enough of them have left the window (at least 1). */
#define LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define LOGIN_MAX_PER_EMAIL 5
#define LOGIN_MAX_PER_ADDRESS 30
bool password_limit_reached(const int64_t *times_desc, int n, int max_failures, int64_t window_ms, int64_t now,
                            int64_t *retry_after_s);

/* Lower-cases the ASCII letters of s into out (n bytes); false when it does
 * not fit. Emails compare this way everywhere, as the databases do. */
bool password_email_key(const char *s, char *out, size_t n);

#endif
