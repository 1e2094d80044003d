/* SPDX-License-Identifier: MIT */
/* The `fmnist` feature network of `gan-cl eval`: a small CNN classifier of
 * Fashion-MNIST, trained by gan-cl itself (`gan-cl classify train`), whose
 * weights ship in models/fmnist_classifier.safetensors.
 *
 * Input: (N, 1, 32, 32) in [-1, 1], Fashion-MNIST's 28x28 zero-padded by 2
 * (black = -1), exactly what dcgan32/wgangp32 train on.
 *   conv 3x3 1->16 s1 p1, ReLU      (16, 32, 32)
 *   conv 4x4 16->32 s2 p1, ReLU     (32, 16, 16)
 *   conv 4x4 32->64 s2 p1, ReLU     (64, 8, 8)
 *   conv 3x3 64->32 s2 p1, ReLU     (32, 4, 4) -> flatten 512
 *   linear 512->64, ReLU            features (64): FID/KID/P&R/D&C
 *   linear 64->10                   logits: IS (softmax), accuracy
 * Scores from it must be labelled "(fmnist)", never as Inception scores. */
#ifndef GANCL_CLASSIFIER_H
#define GANCL_CLASSIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/device.h"
#include "gancl/status.h"

#define GC_CLF_SIZE 32
#define GC_CLF_FEATURES 64
#define GC_CLF_CLASSES 10

struct gc_classifier;

/* A network for batches of `batch` images; train: also plans the Adam step
 * (lr, PyTorch defaults otherwise). Weights He-normal from seed, biases 0. */
gc_status gc_classifier_create(struct gc_device *dev, int batch, bool train, float lr,
                               uint64_t seed, struct gc_classifier **out);
void gc_classifier_destroy(struct gc_classifier *c);
int gc_classifier_batch(const struct gc_classifier *c);
/* Sets the Adam learning rate of a training net. */
void gc_classifier_lr(struct gc_classifier *c, float lr);
/* One Adam step on x (batch, 1, 32, 32) with one-hot targets (batch, 10);
 * *loss (may be NULL): the batch's mean cross-entropy before the step. */
gc_status gc_classifier_train_step(struct gc_classifier *c, const float *x, const float *target,
                                   float *loss);
/* features (batch, 64) and logits (batch, 10) of x; either may be NULL. */
gc_status gc_classifier_forward(struct gc_classifier *c, const float *x, float *features,
                                float *logits);
/* features/logits of n images (any n): runs whole batches, the last one
 * padded with copies of image 0. */
gc_status gc_classifier_run(struct gc_classifier *c, const float *x, int64_t n, float *features,
                            float *logits);
/* Weights as safetensors (F32, PyTorch-style names conv1.weight, ...). */
gc_status gc_classifier_save(struct gc_classifier *c, const char *path);
gc_status gc_classifier_load(struct gc_classifier *c, const char *path);
/* Copies the weights of src into dst (e.g. a training net into an eval net). */
gc_status gc_classifier_copy(struct gc_classifier *dst, const struct gc_classifier *src);

#endif
