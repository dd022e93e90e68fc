/* passwords.c: argon2id hashing on a pool of its own (see passwords.h). */
#include "service/passwords.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

struct waiting {
    struct store_job *job;
    int64_t queued_ms;
};

struct passwords {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct waiting *q; /* ring of queue_max */
    int head, len, cap;
    int64_t max_wait_ms;
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stand-in hash for people who have none, made once. */
static char standin[crypto_pwhash_STRBYTES];
static bool standin_ok;
static pthread_once_t standin_once = PTHREAD_ONCE_INIT;

static void make_standin(void)
{
    unsigned char raw[24];
    char pw[64];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
    standin_ok = crypto_pwhash_str(standin, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
    sodium_memzero(pw, sizeof pw);
}

static void *worker(void *arg)
{
    struct passwords *p = arg;
    /* the stand-in is made here, at start, not by the first sign-in */
    pthread_once(&standin_once, make_standin);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->len && !p->stopping) pthread_cond_wait(&p->cond, &p->lock);
        if (!p->len) break; /* stopping, and nothing left */
        struct waiting w = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        pthread_mutex_unlock(&p->lock);
        if (mono_ms() - w.queued_ms > p->max_wait_ms) {
            w.job->rc = ERR_UNAVAILABLE; /* its client has waited long enough: 503, retry */
        } else {
            w.job->rc = w.job->run(NULL, w.job->arg);
        }
        w.job->done(w.job);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct passwords *passwords_start(int threads, int queue_max, int64_t max_wait_ms)
{
    struct passwords *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->q = calloc((size_t)queue_max, sizeof *p->q);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    if (!p->q || !p->threads) goto fail;
    p->cap = queue_max;
    p->max_wait_ms = max_wait_ms;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (; p->nthreads < threads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            passwords_stop(p);
            return NULL;
        }
    return p;
fail:
    free(p->q);
    free(p->threads);
    free(p);
    return NULL;
}

void passwords_stop(struct passwords *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->q);
    free(p->threads);
    free(p);
}

int passwords_submit(void *pool, struct store_job *job)
{
    struct passwords *p = pool;
    pthread_mutex_lock(&p->lock);
    int rc = p->stopping ? -1 : -2;
    if (!p->stopping && p->len < p->cap) {
        p->q[(p->head + p->len) % p->cap] = (struct waiting){job, mono_ms()};
        p->len++;
        pthread_cond_signal(&p->cond);
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum err passwords_hash(const char *password, char *out)
{
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        log_error("passwords: no memory for an argon2id hash");
        return ERR_UNAVAILABLE;
    }
    return ERR_OK;
}

bool passwords_verify(const char *hash, const char *password)
{
    if (!hash || !*hash) {
        pthread_once(&standin_once, make_standin);
        /* the answer is false whatever the stand-in says; without one (no
         * memory at start), a hash of the same cost takes its place */
        if (standin_ok) {
            if (crypto_pwhash_str_verify(standin, password, strlen(password)) == 0) return false;
        } else {
            char spent[crypto_pwhash_STRBYTES];
            if (crypto_pwhash_str(spent, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
                sodium_memzero(spent, sizeof spent);
        }
        return false;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
