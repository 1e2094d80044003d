/* SPDX-License-Identifier: MIT */
/* Images on the host: decoding PNG (libpng) and JPEG (libjpeg-turbo), channel
 * conversion, writing PNG, and sample grids like torchvision's make_grid.
 *
 * Pixels are 8-bit: a decoded image is what the file holds, and the float
 * conversion belongs to preprocessing (resize, crop, flip, scale to [-1, 1]).
 * 16-bit PNG samples are rounded to 8 bits (v * 255 / 65535, rounded), low
 * bit depths expanded (v * 255 / (2^bits - 1)), palettes looked up, tRNS
 * turned into alpha, interlacing undone. Gamma and colour profiles are
 * ignored, as PIL does.
 *
 * Channel conversion (`channels` argument of the decoders):
 *   0  native: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (palette -> RGB, or RGBA
 *      with tRNS; grey/RGB with tRNS -> with alpha)
 *   1  grey; colour is reduced by ITU-R 601 luminance in PIL's fixed point:
 *      L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (0.299, 0.587, 0.114)
 *   2  grey + alpha          3  RGB (grey replicated)          4  RGBA
 * Alpha is dropped (not composited) when the target has none, like PIL's
 * convert("RGB"); a target with alpha and a source without gets 255.
 *
 * A pixel-count limit refuses decompression bombs before any pixel memory is
 * allocated: w * h > max_pixels is GC_LIMIT. Corrupt, truncated or
 * unsupported files are GC_FORMAT (CMYK/YCCK JPEG: GC_UNSUPPORTED), with the
 * file name in gc_last_error(); libpng's and libjpeg's longjmp error paths
 * are contained and leave nothing allocated. JPEG warnings that mean damaged
 * data (premature end of file, corrupt entropy data) are errors, unlike
 * libjpeg's default of filling the rest with grey. */
#ifndef GANCL_IMAGE_H
#define GANCL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "gancl/status.h"

/* 64 Mpx (8192 x 8192): far above any training image, far below a bomb. */
#define GC_IMAGE_MAX_PIXELS_DEFAULT ((int64_t)1 << 26)
/* Larger image files are refused before reading (GC_LIMIT). */
#define GC_IMAGE_MAX_FILE_BYTES ((size_t)1 << 30)

/* An 8-bit image, row-major and channel-interleaved (H, W, C):
 * data[(y * w + x) * c + k], c in 1..4. data is gc_malloc'd. */
struct gc_image {
    int w, h, c;
    uint8_t *data;
};

/* Decodes a PNG or JPEG file (recognised by content, not by name).
 * channels: 0..4 as above; max_pixels: 0 for GC_IMAGE_MAX_PIXELS_DEFAULT.
 * On failure *out is untouched. */
gc_status gc_image_load(struct gc_image *out, const char *path, int channels, int64_t max_pixels);
/* The same from memory; `name` (may be NULL) names the data in errors. */
gc_status gc_image_decode(struct gc_image *out, const void *buf, size_t len, const char *name,
                          int channels, int64_t max_pixels);
/* Converts `in` to `channels` (1..4) into a new image (rules above). */
gc_status gc_image_convert(struct gc_image *out, const struct gc_image *in, int channels);
/* Frees the pixels and zeroes *img; NULL and a zeroed struct are no-ops. */
void gc_image_free(struct gc_image *img);

/* Writes an 8-bit PNG (c = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) atomically:
 * a temp file in the same folder, fsync'd, renamed over `path`. */
gc_status gc_image_write_png(const char *path, const struct gc_image *img);

/* A grid of n images like torchvision.utils.make_grid(x, nrow, padding,
 * normalize=True, value_range=(-1, 1)) followed by save_image's conversion:
 * x: (N, C, H, W) floats, C = 1 or 3, clamped to [-1, 1] and mapped to
 * [0, 255] by floor((v + 1) / 2 * 255 + 0.5) (NaN -> 0). nrow images per
 * row, ceil(n / nrow) rows, `padding` pixels of black (pad_value 0) around
 * and between them: out is (rows * (H + padding) + padding) x (min(nrow, n)
 * * (W + padding) + padding). A grey batch stays one channel (torchvision
 * repeats it to RGB; the pixels are the same). */
gc_status gc_image_make_grid(struct gc_image *out, const float *x, int n, int c, int h, int w,
                             int nrow, int padding);
/* make_grid + write_png. */
gc_status gc_image_save_grid(const char *path, const float *x, int n, int c, int h, int w,
                             int nrow, int padding);

#endif
