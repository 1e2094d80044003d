/* SPDX-License-Identifier: MIT */
/* libFuzzer target: JPEG decoding from memory (libjpeg-turbo, warnings as
 * errors, scan limit, pixel limit). Inputs not starting with a JPEG SOI are
 * given one, so the fuzzer spends its time inside libjpeg. Run with tools/fuzz. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/image.h"

#define FUZZ_MAX_PIXELS ((int64_t)1 << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = NULL;
    if (size < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff) {
        buf = malloc(size + 3);
        if (!buf) return 0;
        buf[0] = 0xff, buf[1] = 0xd8, buf[2] = 0xff;
        if (size) memcpy(buf + 3, data, size);
        data = buf;
        size += 3;
    }
    struct gc_image img;
    if (gc_image_decode(&img, data, size, "fuzz.jpg", 3, FUZZ_MAX_PIXELS) == GC_OK)
        gc_image_free(&img);
    free(buf);
    return 0;
}
