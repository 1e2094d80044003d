/* SPDX-License-Identifier: MIT */
/* libFuzzer target: IDX from memory, raw and gzip (zlib inflate), with the
 * header-versus-length validation. Run with tools/fuzz. */
#include <stddef.h>
#include <stdint.h>

#include "gancl/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gc_idx idx;
    if (gc_idx_decode(&idx, data, size, "fuzz.idx", 0) == GC_OK) {
        /* touch every byte the reader claims to own */
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < idx.size; i++) sum = (uint8_t)(sum + idx.data[i]);
        (void)sum;
        gc_idx_free(&idx);
    }
    return 0;
}
