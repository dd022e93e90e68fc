/* clock.h: the one source of "now" in opstasks.
 * Everything that needs the time asks here, so unit tests can freeze it. */
#ifndef OPSTASKS_CLOCK_H
#define OPSTASKS_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (UTC), or the frozen time when set. */
int64_t clock_now_ms(void);

/* Tests only: freeze the clock at ms; 0 returns to the real clock. */
void clock_set_ms(int64_t ms);

/* Timed waits of the background threads run on the monotonic clock, so a
 * step of the wall clock neither stretches nor cuts them: a condition
 * variable made by clock_cond_init waits with pthread_cond_timedwait until
 * clock_wait_until(ms) (ms from now). Returns pthread_cond_init's result. */
int clock_cond_init(pthread_cond_t *cond);
struct timespec clock_wait_until(int64_t ms);

#endif
