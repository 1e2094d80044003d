/* SPDX-License-Identifier: MIT */
/* On-disk cache of compiled program binaries under $XDG_CACHE_HOME/gan-cl/
 * (default ~/.cache/gan-cl/). Entries are keyed by the full key text (device,
 * driver, platform, device version, source hash, options, format version);
 * the file name is a hash of it, and the file repeats the key so a hash
 * collision or a stale entry is detected and rebuilt, never used. */
#ifndef GANCL_CACHE_H
#define GANCL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

uint64_t gc__fnv1a64(const void *data, size_t n, uint64_t h);
#define GC_FNV_INIT 0xcbf29ce484222325ull

/* Root folder ("$XDG_CACHE_HOME/gan-cl" or "$HOME/.cache/gan-cl") into buf.
 * Returns GC_NOT_FOUND when neither variable is set. */
gc_status gc_cache_root(char *buf, size_t size);
/* False when GANCL_NO_CACHE is set to a non-empty value other than "0". */
bool gc__cache_enabled(void);

/* Loads the binary stored under `key`; GC_NOT_FOUND if absent, GC_FORMAT if
 * the file is corrupt or holds another key (the caller rebuilds). *bin is
 * gc_malloc'd. */
gc_status gc__cache_load(const char *key, unsigned char **bin, size_t *size);
/* Writes atomically: temp file in the same folder, fsync, rename. */
gc_status gc__cache_store(const char *key, const unsigned char *bin, size_t size);

/* Statistics and clearing for `gan-cl cache info|clear`. */
struct gc_cache_usage {
    int64_t files;
    int64_t bytes;
};
gc_status gc_cache_usage(struct gc_cache_usage *out);
gc_status gc_cache_clear(int64_t *removed);

/* Writes `data` to `path` atomically (temp file, fsync, rename, fsync dir). */
gc_status gc_write_file_atomic(const char *path, const void *data, size_t size);
/* mkdir -p */
gc_status gc_mkdirs(const char *path);

#endif
