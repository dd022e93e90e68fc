/* ids.c: time-ordered ids and the shape check for caller-chosen ids. */
#include "util/ids.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void ids_random(void *buf, size_t n) { randombytes_buf(buf, n); }

/* prefix + the 128 bits of b (b[0..5]: the millisecond) in base32. */
static void encode(const char *prefix, unsigned char b[16], int64_t now_ms, char *out, size_t out_size)
{
    size_t plen = strlen(prefix);
    if (out_size < plen + IDS_TIME_ORDERED_LEN + 1) {
        if (out_size) out[0] = 0;
        return;
    }
    uint64_t t = (uint64_t)now_ms;
    for (int i = 5; i >= 0; i--) { b[i] = (unsigned char)(t & 0xff); t >>= 8; }
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

void ids_new(const char *prefix, int64_t now_ms, char *out, size_t out_size)
{
    unsigned char b[16];
    randombytes_buf(b + 6, 10);
    encode(prefix, b, now_ms, out, out_size);
}

/* Request ids are made on every request: a getrandom(2) each would be the
 * only system call of the access log besides its write. 48 random bits drawn
 * once per process keep ids of different processes apart; a counter keeps
 * those of one process apart. */
static unsigned char process_bits[6];
static atomic_uint_fast32_t sequence;
static pthread_once_t seeded = PTHREAD_ONCE_INIT;

static void seed(void) { randombytes_buf(process_bits, sizeof process_bits); }

void ids_new_sequenced(const char *prefix, int64_t now_ms, char *out, size_t out_size)
{
    pthread_once(&seeded, seed);
    uint32_t n = (uint32_t)atomic_fetch_add_explicit(&sequence, 1, memory_order_relaxed);
    unsigned char b[16];
    memcpy(b + 6, process_bits, sizeof process_bits);
    for (int i = 15; i >= 12; i--) { b[i] = (unsigned char)(n & 0xff); n >>= 8; }
    encode(prefix, b, now_ms, out, out_size);
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
