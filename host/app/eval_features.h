/* SPDX-License-Identifier: MIT */
/* The feature network of `gan-cl eval --features SPEC`: "fmnist" (the
 * shipped classifier, include/gancl/classifier.h) or "inception:FILE"
 * (pytorch-fid's Inception-v3 from user weights, include/gancl/inception.h).
 * Both take eval's images as they are, (n, channels, h, w) in [-1, 1]. */
#ifndef GANCL_APP_EVAL_FEATURES_H
#define GANCL_APP_EVAL_FEATURES_H

#include <stdint.h>

#include "gancl/classifier.h"
#include "gancl/inception.h"

struct gc_app_features {
    const char *label; /* "fmnist" or "inception": every score names it */
    int dim;           /* feature size (64 or 2048) */
    int classes;       /* logits for IS (10, or Inception's 1008 unbiased logits) */
    struct gc_device *dev;
    struct gc_classifier *clf;
    struct gc_inception *inc;
    int in_c, in_h, in_w; /* the image size inc was made for */
    char path[4096];
};

/* Parses SPEC and loads the network's weights (fmnist: `weights` or the
 * shipped file, see gc_app_model_path). */
gc_status gc_app_features_open(struct gc_app_features *f, const char *spec, const char *weights,
                               struct gc_device *dev);
/* features (n, dim) and, if logits is not NULL, logits (n, classes) of n
 * images (channels, h, w) in [-1, 1]. fmnist needs (1, 32, 32); Inception
 * takes 1 (gray, repeated to RGB) or 3 channels of any size, mapped to
 * pytorch-fid's [0, 1] input as (x + 1) / 2; a new image size makes a new
 * network (its weights read again). */
gc_status gc_app_features_run(struct gc_app_features *f, const float *x, int64_t n, int channels,
                              int h, int w, float *features, float *logits);
void gc_app_features_close(struct gc_app_features *f);

#endif
