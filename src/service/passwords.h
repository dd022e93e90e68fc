/* passwords.h: argon2id password hashes (libsodium's crypto_pwhash_str at
 * its interactive limits: 64 MiB and ~0.1 s of one core each), computed on
 * a small pool of threads of their own. The pool bounds how many run at
 * once (each holds 64 MiB), so a burst of sign-ins cannot exhaust memory,
 * and keeps the HTTP threads free while a hash runs. */
#ifndef OPSTASKS_PASSWORDS_H
#define OPSTASKS_PASSWORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define PASSWORDS_THREADS 2
#define PASSWORDS_QUEUE_MAX 32
#define PASSWORDS_MAX_WAIT_MS 3000

struct passwords;

/* A pool of `threads` threads taking at most queue_max waiting jobs; a job
 * that waited over max_wait_ms is not run (rc ERR_UNAVAILABLE). NULL when
 * out of memory or threads. */
struct passwords *passwords_start(int threads, int queue_max, int64_t max_wait_ms);
/* Runs what is queued, then stops the threads and frees the pool. */
void passwords_stop(struct passwords *p);
/* Queues job: job->run(NULL, job->arg) runs on a pool thread, its answer in
 * job->rc, then job->done(job) there (it must not block). 0; -2 when the
 * queue is full, -1 when the pool is stopping (nothing runs, done is not
 * called).
 * The signature fits http_submit_via. */
int passwords_submit(void *pool, struct store_job *job);

/* The argon2id hash of password into out (STORE_PASSWORD_HASH_SIZE bytes):
 * ERR_OK, or ERR_UNAVAILABLE when the memory for it is not there. */
enum err passwords_hash(const char *password, char *out);
/* True when password matches hash. An empty hash is checked against a
 * stand-in of the same cost, so that "no such person" takes as long as
 * "wrong password" and tells a guesser nothing. */
bool passwords_verify(const char *hash, const char *password);

#endif
