/* SPDX-License-Identifier: MIT */
/* `gan-cl cache info|clear`: the on-disk kernel cache. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cl/cache.h"

static void cache_help(void)
{
    char root[2048];
    if (gc_cache_root(root, sizeof root) != GC_OK) snprintf(root, sizeof root, "(unset)");
    printf("usage: gan-cl cache info|clear\n\n"
           "  info   where the program cache lives, how many entries and bytes\n"
           "  clear  delete every cached program binary\n\n"
           "Cache folder: %s (from $XDG_CACHE_HOME, default ~/.cache/gan-cl).\n"
           "GANCL_NO_CACHE=1 disables it.\n",
           root);
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
    fprintf(stderr, "gan-cl: unknown cache action '%s' (info, clear)\n", argv[1]);
    return GC_EXIT_USAGE;
}
