/* text.c: the search's normalisation (text.h): a UTF-8 decoder that folds
 * the Latin letters this agency meets to ASCII and splits words. */
#include "domain/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Latin Extended-A (U+0100-U+017F) without accents, one letter each; '*'
 * marks the two-letter ones (Ĳ ĳ Œ œ) handled by fold(). */
static const char ext_a[129] =
    "aaaaaaccccccccdd" "ddeeeeeeeeeegggg" "gggghhhhiiiiiiii" "ii**jjkkklllllll"
    "lllnnnnnnnnnoooo" "oo**rrrrrrssssss" "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";

/* Latin-1 letters U+00C0-U+00FF; "" for × and ÷ (they end a word). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Decodes one code point at s (len bytes left): its length, or 0 with *cp
 * unset when the bytes are not valid UTF-8 there. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) n = 2, c = s[0] & 0x1f, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0) n = 3, c = s[0] & 0x0f, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0) n = 4, c = s[0] & 0x07, min = 0x10000;
    else return 0;
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    *cp = c;
    return n;
}

enum kind { SEP, DROP, FOLD, KEEP };

/* What code point c is to a word; FOLD fills out with its ASCII letters. */
static enum kind fold(uint32_t c, char out[3])
{
    out[0] = out[1] = out[2] = 0;
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') out[0] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[0] = (char)c;
        else return SEP;
        return FOLD;
    }
    if (c < 0xc0 || c == 0xd7 || c == 0xf7) return SEP;
    if (c < 0x100) {
        memcpy(out, latin1[c - 0xc0], strlen(latin1[c - 0xc0]));
        return FOLD;
    }
    if (c < 0x180) {
        char a = ext_a[c - 0x100];
        if (a != '*') out[0] = a;
        else memcpy(out, c == 0x132 || c == 0x133 ? "ij" : "oe", 2);
        return FOLD;
    }
    if (c >= 0x300 && c <= 0x36f) return DROP;
    if ((c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xfe00 && c <= 0xfe0f) ||
        c == 0xfeff)
        return SEP;
    return KEEP;
}

char *text_normalize(const char *s)
{
    if (!s) s = "";
    size_t len = strlen(s);
    /* every character becomes at most as many bytes as it had (ß: 2 -> 2),
     * plus the one space before it */
    char *out = malloc(len * 2 + 1);
    if (!out) return NULL;
    size_t o = 0;
    bool in_word = false;
    const unsigned char *p = (const unsigned char *)s;
    while (len > 0) {
        uint32_t c = 0;
        size_t n = decode(p, len, &c);
        enum kind k = SEP;
        char f[3];
        if (n == 0) n = 1; /* an invalid byte: a separator */
        else k = fold(c, f);
        if (k == SEP) {
            in_word = false;
        } else if (k != DROP) {
            if (!in_word && o > 0) out[o++] = ' ';
            in_word = true;
            if (k == FOLD) {
                size_t fl = strlen(f);
                memcpy(out + o, f, fl);
                o += fl;
            } else {
                memcpy(out + o, p, n);
                o += n;
            }
        }
        p += n;
        len -= n;
    }
    out[o] = 0;
    return out;
}

size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

enum text_query_err text_query_words(const char *q, struct text_words *out)
{
    memset(out, 0, sizeof *out);
    char *norm = text_normalize(q);
    if (!norm) return TEXT_NO_WORDS;
    enum text_query_err rc = TEXT_OK;
    char *save = NULL;
    for (char *w = strtok_r(norm, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (text_chars(w) > TEXT_WORD_CHARS) {
            rc = TEXT_WORD_TOO_LONG;
            break;
        }
        bool dup = false;
        for (int i = 0; i < out->n && !dup; i++) dup = strcmp(out->w[i], w) == 0;
        if (dup) continue;
        if (out->n == TEXT_WORDS_MAX) {
            rc = TEXT_TOO_MANY_WORDS;
            break;
        }
        memcpy(out->w[out->n++], w, strlen(w) + 1);
    }
    free(norm);
    if (rc == TEXT_OK && out->n == 0) rc = TEXT_NO_WORDS;
    return rc;
}
