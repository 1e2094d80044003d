/* SPDX-License-Identifier: MIT */
/* libFuzzer target: PNG decoding from memory (libpng, longjmp containment,
 * pixel limit) and channel conversion. Run with tools/fuzz. */
#include <stddef.h>
#include <stdint.h>

#include "gancl/image.h"

/* Small enough that a bomb is refused long before the RSS limit. */
#define FUZZ_MAX_PIXELS ((int64_t)1 << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The same entry point as JPEG: content sniffing decides. */
    struct gc_image img;
    if (gc_image_decode(&img, data, size, "fuzz.png", 0, FUZZ_MAX_PIXELS) != GC_OK) return 0;
    for (int c = 1; c <= 4; c++) {
        struct gc_image conv;
        if (gc_image_convert(&conv, &img, c) == GC_OK) gc_image_free(&conv);
    }
    gc_image_free(&img);
    return 0;
}
