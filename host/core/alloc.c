/* SPDX-License-Identifier: MIT */
/* Host allocation through replaceable hooks (see gancl/alloc.h). */
#include "gancl/alloc.h"

#include <stdlib.h>
#include <string.h>

static struct gc_alloc_hooks hooks = {malloc, calloc, realloc, free};

void gc_alloc_set_hooks(const struct gc_alloc_hooks *h)
{
    if (h) {
        hooks = *h;
    } else {
        hooks = (struct gc_alloc_hooks){malloc, calloc, realloc, free};
    }
}

void *gc_malloc(size_t size)
{
    return hooks.malloc_fn(size ? size : 1);
}

void *gc_calloc(size_t n, size_t size)
{
    return hooks.calloc_fn(n ? n : 1, size ? size : 1);
}

void *gc_realloc(void *p, size_t size)
{
    return hooks.realloc_fn(p, size ? size : 1);
}

void gc_free(void *p)
{
    if (p) hooks.free_fn(p);
}

char *gc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = gc_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
