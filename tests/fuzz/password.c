/* Fuzz target: the password rules and the email key that sign-in by email
 * compares. The input is a password, then (after the first newline) the
 * person's email. Whatever the bytes, an accepted password is 10 to 200
 * characters of valid UTF-8 without control characters and not the email;
 * the email key is the email with ASCII letters lowered, never longer. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "domain/password.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("UTC");
    return 0;
}

/* Code points of valid UTF-8 without C0/C1 controls or DEL, else -1. */
static long chars(const unsigned char *p)
{
    long n = 0;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!len) return -1;
        unsigned cp = len == 1 ? *p : *p & (0x7F >> len);
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return -1;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return -1;
        p += len;
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char *s = fuzz_strndup(data, size);
    char *email = strchr(s, '\n');
    if (email) *email++ = 0;

    const char *why = password_weakness(s, email);
    if (!why) {
        long n = chars((const unsigned char *)s);
        FUZZ_ASSERT(n >= PASSWORD_MIN_CHARS && n <= PASSWORD_MAX_CHARS, "accepted %ld characters", n);
        FUZZ_ASSERT(!email || strcasecmp(s, email) != 0, "accepted the person's own email");
    } else {
        FUZZ_ASSERT(why[0] >= 'A' && why[0] <= 'Z', "a reason that is not a sentence: %s", why);
    }
    if (email) {
        char key[64];
        size_t len = strlen(email);
        bool fits = password_email_key(email, key, sizeof key);
        FUZZ_ASSERT(fits == (len < sizeof key), "the key's fit is wrong for %zu bytes", len);
        if (fits) {
            FUZZ_ASSERT(strlen(key) == len, "the key changed length");
            for (size_t i = 0; i < len; i++)
                FUZZ_ASSERT(key[i] == ((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32 : email[i]),
                            "byte %zu lowered wrongly", i);
        }
    }
    free(s);
    return 0;
}
