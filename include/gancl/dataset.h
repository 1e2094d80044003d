/* SPDX-License-Identifier: MIT */
/* Datasets: one interface over Fashion-MNIST, folders of images and the
 * CycleGAN / pix2pix layouts, with the reference implementation's
 * preprocessing (pytorch-CycleGAN-and-pix2pix, data/base_dataset.py).
 *
 * Spec strings (gc_dataset_opts.spec):
 *   fashion-mnist[:CLASS]   Fashion-MNIST, the split given by `phase` ("train"
 *                           or "test" = t10k), optionally one class ("7",
 *                           "sneaker", "ankle-boot", see gc_fmnist_class_parse)
 *   DIR                     a folder; what it means depends on `layout`:
 *     GC_LAYOUT_AUTO        DIR/<phase>A and DIR/<phase>B exist: unaligned
 *                           (CycleGAN); otherwise a plain folder of images
 *     GC_LAYOUT_SINGLE      every image under DIR (one domain)
 *     GC_LAYOUT_UNALIGNED   DIR/<phase>A, DIR/<phase>B (UnalignedDataset)
 *     GC_LAYOUT_ALIGNED     DIR/<phase>/ images holding A|B side by side
 *                           (AlignedDataset: A = left half, B = the rest)
 *   A|B                     two single-domain specs as the two domains of an
 *                           unpaired task, e.g.
 *                           "fashion-mnist:sneaker|fashion-mnist:ankle-boot"
 *                           or "photos/|paintings/" (each side is used as
 *                           is: no <phase> subfolder)
 * Folders are searched recursively for .png/.jpg/.jpeg (any case), sorted by
 * full path (byte order, as Python's sorted() of the paths), symlinked files
 * followed, symlinked folders not (os.walk's default).
 *
 * Items: index i in [0, gc_dataset_size) gives domain A's image i % |A| and,
 * for two domains, B's image i % |B| when `serial`, otherwise a B image drawn
 * uniformly from (seed, epoch, i) — UnalignedDataset's random B. The size of
 * an unaligned dataset is max(|A|, |B|), as the reference's __len__.
 *
 * Preprocessing per item (get_transform): decode to `channels` (grey: PIL's
 * luminance), resize / crop per `preprocess` (resize_center_crop: the DCGAN
 * example's Resize + CenterCrop instead of the CycleGAN reference's), horizontal flip with p = 0.5
 * unless `no_flip`, zero-pad by `pad` pixels, scale to [-1, 1] as
 * ToTensor() + Normalize(0.5, 0.5) in float. Resizing is PIL's BICUBIC
 * (a = -0.5, support scaled when downscaling, 8-bit fixed point, horizontal
 * pass first) bit for bit. Crop positions and flips come from Philox keyed by
 * (seed, epoch, index), so a batch depends on nothing but its position.
 * Aligned pairs share one crop and flip (get_params); unpaired A and B draw
 * their own. Crop positions are drawn from the size after resizing (what
 * RandomCrop does; the reference's get_params estimates it for
 * scale_width_and_crop). Fashion-MNIST items go through the same pipeline
 * from their 28x28 grey pixels; `pad` = 2 gives the 32x32 DCGAN input.
 *
 * Every item of a dataset must have the same shape after preprocessing (a
 * batch is one array): the crop modes guarantee it; with scale_width or none
 * an image of another size is an error naming the file. */
#ifndef GANCL_DATASET_H
#define GANCL_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/image.h"
#include "gancl/status.h"

/* --preprocess of the reference implementation. */
enum gc_preprocess {
    GC_PRE_RESIZE_AND_CROP,       /* resize to load x load, random crop crop x crop */
    GC_PRE_CROP,                  /* random crop crop x crop of the original */
    GC_PRE_SCALE_WIDTH,           /* width -> load, height keeps the aspect (>= crop) */
    GC_PRE_SCALE_WIDTH_AND_CROP,  /* scale_width, then random crop */
    GC_PRE_NONE,                  /* sides rounded to multiples of 4 (round half even) */
    GC_PRE_RESIZE_CENTER_CROP,    /* PyTorch's DCGAN example: Resize(crop) (shorter side ->
                                   * crop, BILINEAR), CenterCrop(crop); no load_size, and the
                                   * crop position is fixed (no random draw) */
};

struct gc_transform {
    enum gc_preprocess preprocess;
    int load_size;  /* 286 in the reference */
    int crop_size;  /* 256 */
    bool no_flip;
    int channels;   /* 1 or 3 (--input_nc) */
    int pad;        /* zero padding on each side after everything else (28 -> 32: 2) */
};

/* The reference's defaults: resize_and_crop 286 -> 256, flip, RGB, no pad. */
void gc_transform_default(struct gc_transform *t);
/* "resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none",
 * "resize_center_crop". */
gc_status gc_preprocess_parse(const char *text, enum gc_preprocess *out);
const char *gc_preprocess_name(enum gc_preprocess p);

enum gc_layout { GC_LAYOUT_AUTO, GC_LAYOUT_SINGLE, GC_LAYOUT_UNALIGNED, GC_LAYOUT_ALIGNED };

struct gc_dataset_opts {
    const char *spec;         /* see above */
    enum gc_layout layout;
    const char *phase;        /* "train" (NULL) or "test" */
    bool serial;              /* --serial_batches: B = i % |B| */
    bool b_to_a;              /* --direction BtoA: swap the domains */
    struct gc_transform transform;
    const char *fmnist_dir;   /* NULL: GC_FMNIST_DEFAULT_DIR */
    int64_t max_pixels;       /* per decoded image; 0: GC_IMAGE_MAX_PIXELS_DEFAULT */
    int64_t max_size;         /* --max_dataset_size: keep the first N of each domain; 0: all */
};

struct gc_dataset;

/* Lists (or, for Fashion-MNIST, loads) the data and computes the item shape.
 * A missing folder is GC_NOT_FOUND, a folder without images GC_NOT_FOUND,
 * an unreadable one GC_IO, each naming the folder in gc_last_error(). */
gc_status gc_dataset_open(struct gc_dataset **out, const struct gc_dataset_opts *opts);
void gc_dataset_destroy(struct gc_dataset *ds);

int64_t gc_dataset_size(const struct gc_dataset *ds);        /* items per epoch */
int gc_dataset_domains(const struct gc_dataset *ds);         /* 1, or 2 (A and B) */
int64_t gc_dataset_domain_size(const struct gc_dataset *ds, int domain);
/* Item shape (C, H, W), the same for A and B. */
void gc_dataset_shape(const struct gc_dataset *ds, int *c, int *h, int *w);
/* The path of image i of a domain (NULL for Fashion-MNIST). */
const char *gc_dataset_path(const struct gc_dataset *ds, int domain, int64_t i);

/* Item `index` of `epoch`: a (C, H, W) floats in [-1, 1] and, for two
 * domains, b (b may be NULL to skip it). Thread-safe: any number of threads
 * may call it on one dataset. Decode errors name the file. */
gc_status gc_dataset_get(const struct gc_dataset *ds, int64_t index, uint64_t seed, int64_t epoch,
                         float *a, float *b);

/* One decoded image through a transform without randomness (a crop mode's
 * position is its get_params with zero draws, i.e. the corner, except
 * resize_center_crop's centre; no flip): out holds (img->c, oh + 2 pad,
 * ow + 2 pad) floats in [-1, 1], (ow, oh) from the transform's output size.
 * `name` (may be NULL) names the image in errors. */
gc_status gc_transform_image(const struct gc_transform *t, const struct gc_image *img, float *out,
                             const char *name);

/* The epoch order: a permutation of 0..n-1 by Fisher-Yates with splitmix64
 * seeded by `seed` (the loader uses seed * 1000003 + epoch, as the training
 * loops always did). */
void gc_dataset_permutation(int64_t *order, int64_t n, uint64_t seed);

#endif
