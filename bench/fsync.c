/* fsync.c: the physical floor of a durable write here, for bench/run.sh: the
 * time of one 4 KiB write plus fdatasync (what SQLite's synchronous=FULL does
 * at a WAL commit on Linux), in a loop on a file in the databases' directory.
 * Two shapes: "ring", overwriting a preallocated 4 MiB file in turn (a WAL
 * restarted after a checkpoint: no size change, the cheapest durable write),
 * and "append", the file growing (a WAL growing after a burst, each sync also
 * commits the new size). The rules-event goal is compared with ring's p99.
 *   usage: fsync DIR SECONDS   prints "ring p50_us p99_us n" and "append p50_us p99_us n"
 *   (run.sh: cc -O2 fsync.c) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define RING (4 * 1024 * 1024)
#define SAMPLES_MAX 200000

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One shape for at most `seconds`: prints its line; returns 0, or -1 with a message. */
static int probe(const char *dir, const char *shape, double seconds, double *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-probe.%s", dir, shape);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), rc = -1;
    if (fd < 0) {
        fprintf(stderr, "fsync: %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char block[BLOCK];
    memset(block, 'w', sizeof block);
    int ring = strcmp(shape, "ring") == 0;
    if (ring) {
        for (off_t o = 0; o < RING; o += BLOCK)
            if (pwrite(fd, block, BLOCK, o) != BLOCK) goto fail;
        if (fsync(fd) != 0) goto fail;
    }
    size_t n = 0;
    off_t off = 0;
    double end = now_us() + seconds * 1e6;
    while (n < SAMPLES_MAX && now_us() < end) {
        block[n % BLOCK] = (char)('a' + n % 26);
        double t0 = now_us();
        if (pwrite(fd, block, BLOCK, off) != BLOCK || fdatasync(fd) != 0) goto fail;
        t[n++] = now_us() - t0;
        off += BLOCK;
        if (ring && off >= RING) off = 0;
    }
    if (n == 0) goto fail;
    qsort(t, n, sizeof *t, by_value);
    printf("%s %.0f %.0f %zu\n", shape, t[n / 2], t[(size_t)((double)n * 0.99)], n);
    rc = 0;
fail:
    if (rc) fprintf(stderr, "fsync: %s: %s\n", path, errno ? strerror(errno) : "no sample");
    close(fd);
    unlink(path);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atof(argv[2]) <= 0) {
        fprintf(stderr, "usage: fsync DIR SECONDS\n");
        return 2;
    }
    double *t = malloc(SAMPLES_MAX * sizeof *t);
    if (!t) return 1;
    int rc = probe(argv[1], "ring", atof(argv[2]), t) || probe(argv[1], "append", atof(argv[2]), t);
    free(t);
    return rc ? 1 : 0;
}
