/* SPDX-License-Identifier: MIT */
/* Shared pieces of the training loops (see run_common.h). */
#include "run_common.h"

#include <stdio.h>
#include <time.h>

#include "cl/cache.h"

double gc_app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t gc_app_mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void gc_app_permutation(int64_t *order, int64_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(gc_app_mix(&s) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

void gc_app_run_dir(const char *model, const char *run, const char *resume, char *buf,
                    size_t size)
{
    if (resume) {
        snprintf(buf, size, "%s", resume);
    } else if (run) {
        snprintf(buf, size, "%s", run);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(buf, size, "runs/%s-%s", model, stamp);
    }
}

gc_status gc_app_make_run_dirs(const char *dir)
{
    char p[1200];
    gc_status s = gc_mkdirs(dir);
    snprintf(p, sizeof p, "%s/samples", dir);
    if (s == GC_OK) s = gc_mkdirs(p);
    snprintf(p, sizeof p, "%s/checkpoints", dir);
    if (s == GC_OK) s = gc_mkdirs(p);
    return s;
}
