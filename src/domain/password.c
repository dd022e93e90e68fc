/* password.c: password rules and the sign-in limiter (see password.h). */
#include "domain/password.h"

#include <string.h>
#include <strings.h>

/* The first entries of every list a guesser starts with, at 10 or more
 * characters (shorter ones are refused for their length already). */
static const char *const common[] = {
    "1234567890", "12345678910", "123456789a", "0987654321", "1q2w3e4r5t", "qwertyuiop", "1qaz2wsx3edc",
    "password12", "password123", "password1234", "passw0rd123", "iloveyou12", "qwerty1234", "qwerty12345",
    "abcdefghij", "abc1234567", "letmein123", "welcome123", "admin12345", "administrator", "changeme123",
    "sunshine123", "football123", "monkey12345", "princess123", "1111111111a", "asdfghjkl1", "zaq12wsxcde",
};

/* Code points of s, or -1 for invalid UTF-8 or a control character. */
static long count_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0 || (more == 1 && c < 0xC2)) return -1;
        unsigned cp = more == 0 ? c : more == 1 ? c & 0x1F : more == 2 ? c & 0x0F : c & 0x07;
        for (int i = 1; i <= more; i++) {
            if ((p[i] & 0xC0) != 0x80) return -1;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return -1;
        p += more + 1;
        n++;
    }
    return n;
}

const char *password_weakness(const char *password, const char *email)
{
    if (!password) return "Choose a password";
    long n = count_chars(password);
    if (n < 0) return "The password must be text without control characters";
    if (n < PASSWORD_MIN_CHARS) return "The password must be at least 10 characters long";
    if (n > PASSWORD_MAX_CHARS) return "The password must be at most 200 characters long";
    if (email && strcasecmp(password, email) == 0) return "The password must not be your email address";
    /* one character repeated: every character the same bytes as the first */
    size_t len = strlen(password), first = 1;
    while (first < len && ((unsigned char)password[first] & 0xC0) == 0x80) first++;
    bool one = len % first == 0;
    for (size_t i = first; i < len && one; i += first) one = memcmp(password + i, password, first) == 0;
    if (one) return "The password must not be one character repeated";
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcasecmp(password, common[i]) == 0) return "That password is one of the first that guessers try";
    return NULL;
}

bool password_limit_reached(const int64_t *times_desc, int n, int max_failures, int64_t window_ms, int64_t now,
                            int64_t *retry_after_s)
{
    /* failures still inside the window at now */
    int live = 0;
    while (live < n && times_desc[live] > now - window_ms) live++;
    if (live < max_failures) return false;
    /* the next attempt may go once only max_failures - 1 remain: when the
     * max_failures-th newest leaves the window */
    int64_t free_at = times_desc[max_failures - 1] + window_ms;
    int64_t wait_ms = free_at - now;
    *retry_after_s = wait_ms <= 0 ? 1 : (wait_ms + 999) / 1000;
    return true;
}

bool password_email_key(const char *s, char *out, size_t n)
{
    size_t len = strlen(s);
    if (len >= n) return false;
    for (size_t i = 0; i <= len; i++) out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    return true;
}
