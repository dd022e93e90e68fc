/* ids.h: identifiers and secrets.
 * Task ids are time-ordered (48-bit millisecond prefix, then 80 random bits,
 * Crockford base32, as ULID does) so new rows land at the right edge of the
 * primary-key index instead of all over it. */
#ifndef OPSTASKS_IDS_H
#define OPSTASKS_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDS_TIME_ORDERED_LEN 26

/* Writes prefix + 26 characters + NUL into out (out_size >= strlen(prefix)+27). */
void ids_new(const char *prefix, int64_t now_ms, char *out, size_t out_size);

/* The same shape, unique rather than unguessable: the 80 low bits are 48
 * bits drawn once per process and a 32-bit counter. For ids that are made
 * often and protect nothing (request ids); no system call. */
void ids_new_sequenced(const char *prefix, int64_t now_ms, char *out, size_t out_size);

/* True when s is prefix followed by 1-64 of [A-Za-z0-9_-]: the shape of the
 * caller-chosen ids (sta_..., cus_...). */
bool ids_valid_external(const char *s, const char *prefix);

/* Random bytes from libsodium. */
void ids_random(void *buf, size_t n);

#endif
