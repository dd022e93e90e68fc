/* Unit tests of store/store.c, the backend-independent runtime: the writer's
 * queue is bounded for requests (store_submit_bounded) and not for
 * background work (store_submit). The writer is held inside a job that waits
 * for the test's signal, so the queue fills deterministically. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backends.h"
#include "store/store.h"

static struct store *S;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static bool running, release;
static int done_count;

static enum err hold_writer(struct store_conn *conn, void *arg)
{
    (void)conn, (void)arg;
    pthread_mutex_lock(&m);
    running = true;
    pthread_cond_broadcast(&c);
    while (!release) pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return ERR_OK;
}

static enum err nothing(struct store_conn *conn, void *arg)
{
    (void)conn, (void)arg;
    return ERR_OK;
}

static void count_done(struct store_job *job)
{
    (void)job;
    pthread_mutex_lock(&m);
    done_count++;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
}

static void setup(void)
{
    S = test_store_fresh(NULL);
    running = release = false;
    done_count = 0;
}

static void teardown(void)
{
    test_store_drop(S);
}

TestSuite(store_queue, .init = setup, .fini = teardown);

Test(store_queue, a_full_queue_refuses_requests_but_not_background_work)
{
    cr_assert_eq(S->queue_max, STORE_QUEUE_MAX);
    S->queue_max = 5;
    struct store_job blocker = {.run = hold_writer, .done = count_done}, jobs[7], background = {.run = nothing,
                                                                                              .done = count_done};
    cr_assert_eq(store_submit_bounded(S, &blocker), 0);
    pthread_mutex_lock(&m);
    while (!running) pthread_cond_wait(&c, &m); /* the writer is inside the blocker: the queue is empty */
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 5; i++) {
        jobs[i] = (struct store_job){.run = nothing, .done = count_done};
        cr_assert_eq(store_submit_bounded(S, &jobs[i]), 0, "job %d", i);
    }
    jobs[5] = (struct store_job){.run = nothing, .done = count_done};
    cr_assert_eq(store_submit_bounded(S, &jobs[5]), -2, "a 6th waiting job was queued");
    cr_assert_eq(store_submit(S, &background), 0, "background work was refused");
    pthread_mutex_lock(&m);
    release = true;
    pthread_cond_broadcast(&c);
    while (done_count < 7) pthread_cond_wait(&c, &m); /* blocker, 5 jobs, background; not the refused one */
    pthread_mutex_unlock(&m);
    /* drained: requests are taken again */
    jobs[6] = (struct store_job){.run = nothing, .done = count_done};
    cr_assert_eq(store_submit_bounded(S, &jobs[6]), 0);
    pthread_mutex_lock(&m);
    while (done_count < 8) pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    cr_assert_eq(S->queued, 0);
}
