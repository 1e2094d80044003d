/* SPDX-License-Identifier: MIT */
/* Best-fit allocator over one or more arenas of bounded capacity, used by the
 * planner to assign activation offsets by liveness. Pure host bookkeeping:
 * no device memory is touched here. */
#ifndef GANCL_ARENA_H
#define GANCL_ARENA_H

#include <stdint.h>

#include "gancl/status.h"

struct gc_arena_block {
    int arena;
    int64_t off, size; /* elements */
};

struct gc_arena_free {
    int arena;
    int64_t off, size;
};

struct gc_arenas {
    int64_t cap; /* capacity of each arena in elements (device max allocation) */
    int n;
    int64_t top[64]; /* high-water mark per arena */
    struct gc_arena_free *free;
    int n_free, cap_free;
};

void gc__arenas_init(struct gc_arenas *a, int64_t cap);
void gc__arenas_release(struct gc_arenas *a);
/* Best fit among free intervals, else growth of an arena, else a new arena. */
gc_status gc__arenas_alloc(struct gc_arenas *a, int64_t size, struct gc_arena_block *out);
void gc__arenas_free(struct gc_arenas *a, const struct gc_arena_block *b);
int64_t gc__arenas_peak(const struct gc_arenas *a);

#endif
