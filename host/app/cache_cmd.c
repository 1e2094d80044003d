/* SPDX-License-Identifier: MIT */
/* `gan-cl cache info|clear`: the on-disk kernel cache. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gancl/device.h"

#include "app.h"
#include "cl/cache.h"

static void cache_help(void)
{
    char root[2048];
    if (gc_cache_root(root, sizeof root) != GC_OK) snprintf(root, sizeof root, "(unset)");
    printf("usage: gan-cl cache info|clear|warm [--device SEL]\n\n"
           "  info   where the program cache lives, how many entries and bytes\n"
           "  clear  delete every cached program binary\n"
           "  warm   build every kernel program for a device (default: the default device)\n\n"
           "Cache folder: %s (from $XDG_CACHE_HOME, default ~/.cache/gan-cl).\n"
           "GANCL_NO_CACHE=1 disables it.\n",
           root);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* gan-cl cache warm [--device SEL]: builds all programs, reports the time. */
static int cache_warm(int argc, char **argv)
{
    const char *sel = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) sel = argv[++i];
        else if (strncmp(argv[i], "--device=", 9) == 0) sel = argv[i] + 9;
        else {
            fprintf(stderr, "gan-cl: cache warm: unknown option '%s'\n", argv[i]);
            return GC_EXIT_USAGE;
        }
    }
    char note[512];
    struct gc_device *dev;
    double t0 = now_s();
    gc_status s = gc_device_open(sel, NULL, &dev, note, sizeof note);
    if (s != GC_OK) return gc_app_fail(s);
    if (*note) fprintf(stderr, "gan-cl: %s\n", note);
    double t1 = now_s();
    int n = 0;
    s = gc_ops_build_all(dev, &n);
    double t2 = now_s();
    struct gc_program_stats st;
    gc_device_program_stats(dev, &st);
    gc_device_destroy(dev);
    if (s != GC_OK) return gc_app_fail(s);
    printf("%s: %d programs in %.2f s (%lld compiled, %lld from the disk cache); device open "
           "%.2f s\n",
           "kernels", n, t2 - t1, (long long)st.builds,
           (long long)st.disk_hits, t1 - t0);
    return GC_EXIT_OK;
}

int gc_cmd_cache(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cache_help();
        return argc < 2 ? GC_EXIT_USAGE : GC_EXIT_OK;
    }
    char root[2048];
    gc_status s = gc_cache_root(root, sizeof root);
    if (s != GC_OK) return gc_app_fail(s);
    if (strcmp(argv[1], "info") == 0) {
        struct gc_cache_usage u;
        s = gc_cache_usage(&u);
        if (s != GC_OK) return gc_app_fail(s);
        printf("cache folder: %s%s\nprograms: %lld files, %.1f MiB\n", root,
               gc__cache_enabled() ? "" : " (disabled by GANCL_NO_CACHE)", (long long)u.files,
               (double)u.bytes / (1 << 20));
        return GC_EXIT_OK;
    }
    if (strcmp(argv[1], "clear") == 0) {
        int64_t removed = 0;
        s = gc_cache_clear(&removed);
        if (s != GC_OK) return gc_app_fail(s);
        printf("removed %lld cached programs from %s/programs\n", (long long)removed, root);
        return GC_EXIT_OK;
    }
    if (strcmp(argv[1], "warm") == 0) return cache_warm(argc, argv);
    fprintf(stderr, "gan-cl: unknown cache action '%s' (info, clear, warm)\n", argv[1]);
    return GC_EXIT_USAGE;
}
