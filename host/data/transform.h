/* SPDX-License-Identifier: MIT */
/* Internal: the reference implementation's image transforms on 8-bit images
 * (resize, crop, flip), PIL's BICUBIC resampling, and the float conversion.
 * Used by dataset.c; tests call it directly to compare against PIL. */
#ifndef GANCL_DATA_TRANSFORM_H
#define GANCL_DATA_TRANSFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/dataset.h"
#include "gancl/image.h"

/* The random part of a transform (get_params): crop position, flip. */
struct gc__xf_params {
    int crop_x, crop_y;
    bool flip;
};

/* Size after resizing (before cropping) of a w x h image: load x load,
 * __scale_width or __make_power_2; (w, h) when the mode does not resize.
 * GC_INVALID_ARG (naming `name`) when the result would be empty. */
gc_status gc__xf_resized_size(const struct gc_transform *t, int w, int h, int *rw, int *rh,
                              const char *name);
/* Output size of the whole transform (without pad). */
gc_status gc__xf_out_size(const struct gc_transform *t, int w, int h, int *ow, int *oh,
                          const char *name);
/* Draws crop position and flip for an image of size w x h from 4 random
 * words (x in [0, rw - crop], y in [0, rh - crop], flip with p = 0.5). */
void gc__xf_draw(const struct gc_transform *t, int w, int h, const uint32_t r[4],
                 struct gc__xf_params *p);
/* resize + crop + flip of `in` (c = 1..4, channels independent) into a new
 * image. An image smaller than crop_size in a crop mode is GC_INVALID_ARG
 * naming `name`. On failure *out is untouched. */
gc_status gc__xf_apply(struct gc_image *out, const struct gc_image *in, const struct gc_transform *t,
                       const struct gc__xf_params *p, const char *name);
/* PIL's Image.resize(size, Image.BICUBIC) on 8-bit data, bit for bit. */
gc_status gc__resize_bicubic(struct gc_image *out, const struct gc_image *in, int ow, int oh);
/* PIL's Image.resize(size, Image.BILINEAR), bit for bit (same pass order). */
gc_status gc__resize_bilinear(struct gc_image *out, const struct gc_image *in, int ow, int oh);
/* (H, W, C) u8 -> (C, H + 2 pad, W + 2 pad) float, (v / 255 - 0.5) / 0.5, pad = -1. */
void gc__xf_to_float(float *out, const struct gc_image *img, int pad);

#endif
