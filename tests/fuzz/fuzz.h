/* fuzz.h: what the libFuzzer targets in tests/fuzz/ share. A target calls the
 * real handler (api/) or parser (domain/, http/) with outside input; for the
 * handlers, fuzz_request.c stands in for libmicrohttpd's connection (headers
 * and query arguments from a table) and for the writer (a submitted job is
 * not run: what is fuzzed is everything a request does before its write). */
#ifndef OPSTASKS_FUZZ_H
#define OPSTASKS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define FUZZ_NOW_MS 1781082000000LL /* 2026-06-10T09:00:00Z: the clock every target runs at */

/* The libFuzzer entry points each target defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Freezes the clock at FUZZ_NOW_MS, sets the timezone (UTC unless tz), starts
 * libsodium. Every target calls it once from LLVMFuzzerInitialize. */
void fuzz_setup(const char *tz);

/* A server-wide app with a real store on a fresh database in a temporary
 * folder (removed at exit), for the handlers that read. Its writer is stopped,
 * so a submitted job finishes at once with ERR_UNAVAILABLE, as during a
 * graceful stop. */
struct app *fuzz_app(void);

/* The LLVMFuzzerInitialize of a target that runs handlers: fuzz_setup(tz),
 * then fuzz_app(). */
#define FUZZ_INIT_WITH_APP(tz)                                                                                       \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                                               \
    {                                                                                                                \
        (void)argc, (void)argv;                                                                                      \
        fuzz_setup(tz);                                                                                              \
        fuzz_app();                                                                                                  \
        return 0;                                                                                                    \
    }

/* A fake request: method, the route parameter (":id", may be NULL), and a body
 * (copied; may be NULL). Headers and query arguments are added with
 * fuzz_header and fuzz_query (copied; at most 32 each, NUL-free, as
 * libmicrohttpd stores them); the token is an admin's with a staff id. */
struct request *fuzz_request(const char *method, const char *param, const void *body, size_t body_len);
void fuzz_header(struct request *r, const char *name, const char *value);
void fuzz_query(struct request *r, const char *name, const char *value);
/* Parses a raw query string ("a=1&b=%20x+y") the way libmicrohttpd does:
 * split at & and the first =, + and %XX decoded (a decoded NUL ends a value). */
void fuzz_query_string(struct request *r, const char *qs, size_t len);
/* Runs what the server does after a handler: the finish callback of a
 * submitted job (with the stopped writer's result), checks that a response
 * is set and is a JSON error envelope when its status is >= 400, and frees
 * everything as the end of a request does. */
void fuzz_request_end(struct request *r);
/* Frees a request without looking at its response (for targets that call no handler). */
void fuzz_request_free(struct request *r);

/* Aborts (a finding) with a message when cond is false. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                            \
    } while (0)
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* A NUL-terminated copy of the input (caller frees). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
