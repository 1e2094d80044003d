/* SPDX-License-Identifier: MIT */
/* Internal file helpers shared by the data layer: read a whole file into a
 * gc_malloc'd buffer with a size cap, and write a file atomically (temp file
 * in the same folder, fsync the file, rename over the target, fsync the
 * folder) so a reader never sees a half-written image or checkpoint, even if
 * the writer is killed. */
#ifndef GANCL_DATA_FILEIO_H
#define GANCL_DATA_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "gancl/status.h"

/* Reads all of `path` into *buf (gc_malloc'd, caller gc_frees; one extra NUL
 * byte after the data so text parsers may rely on it). A file larger than
 * `max_bytes` fails with GC_LIMIT; a missing file with GC_NOT_FOUND. */
gc_status gc__read_file(const char *path, size_t max_bytes, unsigned char **buf, size_t *len);

/* An atomic write in progress: write through `f`, then commit or abort. */
struct gc__atomic_file {
    FILE *f;
    char *path; /* the final name */
    char *tmp;  /* "<path>.tmp.XXXXXX" in the same folder */
};

/* Creates the temp file (mode 0644). On failure nothing is left behind. */
gc_status gc__atomic_open(struct gc__atomic_file *a, const char *path);
/* Flushes, fsyncs, closes and renames over the final name, then fsyncs the
 * folder. Whether it succeeds or fails, `a` is released and no temp file
 * remains; on failure the previous file at `path` is untouched. */
gc_status gc__atomic_commit(struct gc__atomic_file *a);
/* Closes and removes the temp file; `path` is untouched. */
void gc__atomic_abort(struct gc__atomic_file *a);

#endif
