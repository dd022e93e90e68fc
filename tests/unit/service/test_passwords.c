/* Unit tests of service/passwords: argon2id hashes that verify, a pool that
 * runs at most its threads' worth of hashes at once and refuses past its
 * queue, and a stand-in that answers false for people without a hash. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "service/passwords.h"

Test(passwords, a_hash_is_argon2id_verifies_its_password_and_no_other)
{
    cr_assert_eq(sodium_init() >= 0, true);
    char h[STORE_PASSWORD_HASH_SIZE];
    cr_assert_eq(passwords_hash("correct horse battery", h), ERR_OK);
    cr_expect_eq(strncmp(h, "$argon2id$", 10), 0, "%s", h);
    cr_expect(strstr(h, "m=65536") != NULL, "at least 64 MiB: %s", h);
    cr_expect(passwords_verify(h, "correct horse battery"));
    cr_expect_not(passwords_verify(h, "correct horse batterY"));
    cr_expect_not(passwords_verify("", "correct horse battery"));
    cr_expect_not(passwords_verify(NULL, ""));
}

static atomic_int running, most;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int done;

static enum err busy_run(struct store_conn *c, void *arg)
{
    (void)c;
    (void)arg;
    int now = atomic_fetch_add(&running, 1) + 1;
    int seen = atomic_load(&most);
    while (now > seen && !atomic_compare_exchange_weak(&most, &seen, now)) {}
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    atomic_fetch_sub(&running, 1);
    return ERR_OK;
}

static void busy_done(struct store_job *job)
{
    (void)job;
    pthread_mutex_lock(&done_lock);
    done++;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
}

Test(passwords, the_pool_runs_at_most_its_threads_at_once_and_refuses_past_its_queue)
{
    struct passwords *p = passwords_start(2, 6, 10000);
    cr_assert_not_null(p);
    struct store_job jobs[10];
    int taken = 0;
    for (int i = 0; i < 10; i++) {
        jobs[i] = (struct store_job){.run = busy_run, .done = busy_done};
        if (passwords_submit(p, &jobs[i]) == 0) taken++;
    }
    /* 2 running at most, 6 waiting: of 10 sent at once, 6 to 8 are taken */
    cr_expect(taken >= 6 && taken <= 8, "taken %d", taken);
    pthread_mutex_lock(&done_lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (done < taken && pthread_cond_timedwait(&done_cond, &done_lock, &until) == 0) {}
    pthread_mutex_unlock(&done_lock);
    cr_expect_eq(done, taken);
    cr_expect_eq(atomic_load(&most), 2);
    passwords_stop(p);
}

static enum err never_run(struct store_conn *c, void *arg)
{
    (void)c;
    *(bool *)arg = true;
    return ERR_OK;
}

Test(passwords, a_job_that_waited_too_long_is_answered_unavailable_without_running)
{
    /* one thread, 5 ms of patience: the second job waits out the first's 20 ms */
    struct passwords *p = passwords_start(1, 4, 5);
    cr_assert_not_null(p);
    bool ran[2] = {false, false};
    done = 0;
    struct store_job a = {.run = busy_run, .done = busy_done}, b = {.run = never_run, .arg = &ran[1], .done = busy_done};
    cr_assert_eq(passwords_submit(p, &a), 0);
    cr_assert_eq(passwords_submit(p, &b), 0);
    passwords_stop(p); /* runs (or refuses) what is queued first */
    cr_expect_eq(b.rc, ERR_UNAVAILABLE);
    cr_expect_not(ran[1]);
}
