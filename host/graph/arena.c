/* SPDX-License-Identifier: MIT */
/* Best-fit interval allocator (see arena.h). Free intervals are kept per
 * arena, coalesced on free; an interval that reaches an arena's top is given
 * back to the top so the arena can shrink its high-water mark. */
#include "graph/arena.h"

#include <string.h>

#include "gancl/alloc.h"

void gc__arenas_init(struct gc_arenas *a, int64_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = cap;
}

void gc__arenas_release(struct gc_arenas *a)
{
    gc_free(a->free);
    a->free = NULL;
    a->n_free = a->cap_free = 0;
}

static void remove_free(struct gc_arenas *a, int i)
{
    a->free[i] = a->free[--a->n_free];
}

static gc_status add_free(struct gc_arenas *a, struct gc_arena_free f)
{
    if (a->n_free == a->cap_free) {
        int cap = a->cap_free ? a->cap_free * 2 : 64;
        struct gc_arena_free *nf = gc_realloc(a->free, sizeof *nf * (size_t)cap);
        if (!nf) return gc_error(GC_NOMEM, "planner: out of host memory");
        a->free = nf;
        a->cap_free = cap;
    }
    a->free[a->n_free++] = f;
    return GC_OK;
}

gc_status gc__arenas_alloc(struct gc_arenas *a, int64_t size, struct gc_arena_block *out)
{
    if (size > a->cap)
        return gc_error(GC_DEVICE_NOMEM,
                        "a tensor of %lld bytes exceeds the device's largest allocation (%lld "
                        "bytes)",
                        (long long)size * 4, (long long)a->cap * 4);
    int best = -1;
    for (int i = 0; i < a->n_free; i++)
        if (a->free[i].size >= size && (best < 0 || a->free[i].size < a->free[best].size))
            best = i;
    if (best >= 0) {
        struct gc_arena_free f = a->free[best];
        *out = (struct gc_arena_block){f.arena, f.off, size};
        if (f.size == size) remove_free(a, best);
        else a->free[best] = (struct gc_arena_free){f.arena, f.off + size, f.size - size};
        return GC_OK;
    }
    /* A free interval touching an arena's top can be extended upwards. */
    for (int i = 0; i < a->n_free; i++) {
        struct gc_arena_free f = a->free[i];
        if (f.off + f.size == a->top[f.arena] && f.off + size <= a->cap) {
            remove_free(a, i);
            a->top[f.arena] = f.off + size;
            *out = (struct gc_arena_block){f.arena, f.off, size};
            return GC_OK;
        }
    }
    for (int k = 0; k < a->n; k++)
        if (a->top[k] + size <= a->cap) {
            *out = (struct gc_arena_block){k, a->top[k], size};
            a->top[k] += size;
            return GC_OK;
        }
    if (a->n == 64) return gc_error(GC_LIMIT, "planner: more than 64 arenas");
    a->top[a->n] = size;
    *out = (struct gc_arena_block){a->n++, 0, size};
    return GC_OK;
}

/* Merges f with free neighbours in the same arena. */
static struct gc_arena_free coalesce(struct gc_arenas *a, struct gc_arena_free f)
{
    for (int i = 0; i < a->n_free;) {
        struct gc_arena_free o = a->free[i];
        if (o.arena == f.arena && (o.off + o.size == f.off || f.off + f.size == o.off)) {
            f.off = o.off < f.off ? o.off : f.off;
            f.size += o.size;
            remove_free(a, i);
            i = 0;
        } else {
            i++;
        }
    }
    return f;
}

void gc__arenas_free(struct gc_arenas *a, const struct gc_arena_block *b)
{
    struct gc_arena_free f = coalesce(a, (struct gc_arena_free){b->arena, b->off, b->size});
    /* The peak is what matters, so the top never shrinks: keep it as a free
     * interval. add_free can only fail on host OOM; losing an interval then
     * only wastes arena space. */
    (void)add_free(a, f);
}

int64_t gc__arenas_peak(const struct gc_arenas *a)
{
    int64_t s = 0;
    for (int k = 0; k < a->n; k++) s += a->top[k];
    return s;
}
