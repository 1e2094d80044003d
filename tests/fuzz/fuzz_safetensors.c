/* SPDX-License-Identifier: MIT */
/* libFuzzer target: safetensors parsing from memory (cJSON header, the
 * strict validation), then every accessor and float conversion on whatever
 * was accepted. Run with tools/fuzz. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gancl/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gc_safetensors *st;
    if (gc_safetensors_parse(&st, data, size, "fuzz.safetensors") != GC_OK) return 0;
    for (int i = 0; i < gc_safetensors_count(st); i++) {
        const struct gc_st_tensor *t = gc_safetensors_tensor(st, i);
        if (gc_safetensors_find(st, t->name) == NULL) abort(); /* index must agree */
        size_t n = t->nbytes / gc_st_dtype_size(t->dtype);
        float *f = malloc(n * sizeof *f + 1);
        if (f) gc_safetensors_read_f32(st, t->name, f, t->ndim, t->shape);
        free(f);
    }
    for (int i = 0; i < gc_safetensors_meta_count(st); i++) {
        const struct gc_st_meta *m = gc_safetensors_meta(st, i);
        if (!gc_safetensors_meta_get(st, m->key)) abort();
    }
    gc_safetensors_destroy(st);
    return 0;
}
