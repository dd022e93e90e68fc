/* ids.c: time-ordered ids and the shape check for caller-chosen ids. */
#include "util/ids.h"

#include <sodium.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void ids_random(void *buf, size_t n) { randombytes_buf(buf, n); }

void ids_new(const char *prefix, int64_t now_ms, char *out, size_t out_size)
{
    size_t plen = strlen(prefix);
    if (out_size < plen + IDS_TIME_ORDERED_LEN + 1) {
        if (out_size) out[0] = 0;
        return;
    }
    unsigned char b[16];
    uint64_t t = (uint64_t)now_ms;
    for (int i = 5; i >= 0; i--) { b[i] = (unsigned char)(t & 0xff); t >>= 8; }
    randombytes_buf(b + 6, 10);
    memcpy(out, prefix, plen);
    /* 128 bits as 26 base32 digits, most significant first (the top 2 bits of
     * the first digit are always zero). */
    char *o = out + plen;
    int bit = -2;
    for (int d = 0; d < IDS_TIME_ORDERED_LEN; d++) {
        unsigned v = 0;
        for (int k = 0; k < 5; k++, bit++) {
            v <<= 1;
            if (bit >= 0) v |= (b[bit / 8] >> (7 - bit % 8)) & 1u;
        }
        o[d] = crockford[v];
    }
    o[IDS_TIME_ORDERED_LEN] = 0;
}

bool ids_valid_external(const char *s, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (!s || strncmp(s, prefix, plen) != 0) return false;
    size_t n = 0;
    for (const char *p = s + plen; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-';
        if (!ok || n >= 64) return false;
    }
    return n >= 1;
}
