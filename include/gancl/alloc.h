/* SPDX-License-Identifier: MIT */
/* Host allocation hooks. All host memory of the library goes through these, so
 * tests can point them at cmocka's leak checker and fault injection can make
 * any allocation fail. */
#ifndef GANCL_ALLOC_H
#define GANCL_ALLOC_H

#include <stddef.h>

struct gc_alloc_hooks {
    void *(*malloc_fn)(size_t size);
    void *(*calloc_fn)(size_t n, size_t size);
    void *(*realloc_fn)(void *p, size_t size);
    void (*free_fn)(void *p);
};

/* NULL restores the C library's functions. */
void gc_alloc_set_hooks(const struct gc_alloc_hooks *hooks);

void *gc_malloc(size_t size);
void *gc_calloc(size_t n, size_t size);
void *gc_realloc(void *p, size_t size);
void gc_free(void *p);
/* gc_malloc'd copy of a NUL-terminated string (NULL on failure). */
char *gc_strdup(const char *s);

#endif
