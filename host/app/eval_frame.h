/* SPDX-License-Identifier: MIT */
/* The fmnist feature network's input frame — (1, 32, 32) floats in [-1, 1],
 * Fashion-MNIST's 28x28 zero-padded by 2 — from image folders, from a
 * training set's items and from generated images, with one set of rules so
 * that `gan-cl eval` of a folder, of a checkpoint and `train --eval-every`
 * see the same pixels:
 *   colour   -> grey by PIL's luminance (0.299 R + 0.587 G + 0.114 B, 8-bit)
 *   28 x 28  -> padded by 2 with black (-1), as the training pipeline does
 *   32 x 32  -> as is
 *   other    -> Resize(32) + CenterCrop(32), PIL BILINEAR (resize_center_crop,
 *               PyTorch's DCGAN example transform; aspect kept, shorter side 32)
 * A folder's first image (sorted by path) decides for the whole folder: when
 * it is 28x28 every image is brought to 28x28 (Resize(28) + CenterCrop(28),
 * the identity for 28x28) and padded by 2, otherwise every image gets
 * Resize(32) + CenterCrop(32) (the identity for 32x32).
 * Generated images of a model trained on Fashion-MNIST (28x28 padded to the
 * model's 32 or 64) are centre-cropped to 32x32, keeping the padding the
 * classifier saw; models trained on a folder are treated as their saved
 * PNGs would be (rounded to 8 bits as gc_image_make_grid does, then the
 * rules above). */
#ifndef GANCL_APP_EVAL_FRAME_H
#define GANCL_APP_EVAL_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/dataset.h"
#include "gancl/status.h"

/* fashion-mnist[:class] (a training --data spec that pads 28x28 images). */
bool gc_app_data_is_fmnist(const char *spec);

/* Up to n images of folder `dir` (recursive) in the frame: all of them in
 * path order when it holds <= n, else a seeded sample without replacement.
 * *out (gc_malloc'd, (*got, 1, 32, 32)); errors name the folder or file. */
gc_status gc_app_frame_folder(const char *dir, int64_t n, uint64_t seed, float **out,
                              int64_t *got);

/* x: (n, c, size, size) in [-1, 1] (generated or training items of a model
 * trained on `fmnist` data or not) -> out: (n, 1, 32, 32). c is 1 or 3,
 * size >= 32 for fmnist models. */
gc_status gc_app_frame_images(const float *x, int64_t n, int c, int size, bool fmnist, float *out);

#endif
