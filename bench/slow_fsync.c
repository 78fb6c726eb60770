/* A slower disk, for `python -m bench --fsync-floor-us N`: preloaded into the bench process,
 * it makes every fsync and fdatasync last at least N microseconds (the real call first, then
 * a sleep for what is left), so raw sqlite3 and the engine both pay the same flush price as on
 * a disk where flushing dominates.  Nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long floor_ns(void) {
    static long cached = -1;
    if (cached < 0) {
        const char *text = getenv("BENCH_FSYNC_FLOOR_US");
        cached = text ? atol(text) * 1000L : 0;
    }
    return cached;
}

static void sleep_out_the_floor(const struct timespec *started) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - started->tv_sec) * 1000000000L + (now.tv_nsec - started->tv_nsec);
    long left = floor_ns() - elapsed;
    if (left > 0) {
        struct timespec pause = {left / 1000000000L, left % 1000000000L};
        nanosleep(&pause, NULL);
    }
}

#define SLOWED(name)                                                     \
    int name(int fd) {                                                   \
        static int (*real)(int);                                         \
        if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, #name);         \
        struct timespec started;                                         \
        clock_gettime(CLOCK_MONOTONIC, &started);                        \
        int result = real(fd);                                           \
        sleep_out_the_floor(&started);                                   \
        return result;                                                   \
    }

SLOWED(fsync)
SLOWED(fdatasync)
