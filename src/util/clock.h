/* clock.h: the one source of "now" in opstasks.
 * Everything that needs the time asks here, so unit tests can freeze it. */
#ifndef OPSTASKS_CLOCK_H
#define OPSTASKS_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (UTC), or the frozen time when set. */
int64_t clock_now_ms(void);

/* Tests only: freeze the clock at ms; 0 returns to the real clock. */
void clock_set_ms(int64_t ms);

#endif
