/* clock.c: real time from CLOCK_REALTIME unless a test froze it. */
#include "util/clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t frozen_ms;

int64_t clock_now_ms(void)
{
    int64_t f = atomic_load_explicit(&frozen_ms, memory_order_relaxed);
    if (f) return f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_set_ms(int64_t ms) { atomic_store(&frozen_ms, ms); }
