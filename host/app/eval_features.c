/* SPDX-License-Identifier: MIT */
#include "eval_features.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "gancl/alloc.h"

#define INCEPTION_BATCH 8 /* images per plan run: ~0.5 GB of activations at 299x299 */

gc_status gc_app_features_open(struct gc_app_features *f, const char *spec, const char *weights,
                               struct gc_device *dev)
{
    memset(f, 0, sizeof *f);
    f->dev = dev;
    if (!spec || strcmp(spec, "fmnist") == 0) {
        f->label = "fmnist", f->dim = GC_CLF_FEATURES, f->classes = GC_CLF_CLASSES;
        gc_status s = gc_app_model_path(weights, f->path, sizeof f->path);
        if (s == GC_OK) s = gc_classifier_create(dev, 500, false, 0, 0, &f->clf);
        if (s == GC_OK) s = gc_classifier_load(f->clf, f->path);
        return s;
    }
    if (strncmp(spec, "inception:", 10) == 0 && spec[10]) {
        f->label = "inception", f->dim = GC_INCEPTION_FEATURES;
        f->classes = GC_INCEPTION_CLASSES;
        snprintf(f->path, sizeof f->path, "%s", spec + 10);
        FILE *fp = fopen(f->path, "rb"); /* fail before any image is made */
        if (!fp) return gc_error(GC_IO, "%s: cannot open the Inception weights", f->path);
        fclose(fp);
        return GC_OK; /* the network is made for the first images' size */
    }
    return gc_error(GC_INVALID_ARG, "--features '%s': expected fmnist or inception:FILE", spec);
}

/* Inception: a network for (channels, h, w), made and loaded on first use
 * of that size; images fed in chunks after (x + 1) / 2. */
static gc_status inception_run(struct gc_app_features *f, const float *x, int64_t n, int channels,
                               int h, int w, float *features, float *logits)
{
    gc_status s = GC_OK;
    if (f->inc && (f->in_c != channels || f->in_h != h || f->in_w != w)) {
        gc_inception_destroy(f->inc);
        f->inc = NULL;
    }
    if (!f->inc) {
        f->in_c = channels, f->in_h = h, f->in_w = w;
        s = gc_inception_create(f->dev, INCEPTION_BATCH, channels, h, w, &f->inc);
        if (s == GC_OK) s = gc_inception_load(f->inc, f->path);
        if (s != GC_OK) {
            gc_inception_destroy(f->inc);
            f->inc = NULL;
            return s;
        }
    }
    const int64_t img = (int64_t)channels * h * w, chunk = 64 * INCEPTION_BATCH;
    float *buf = gc_malloc(sizeof(float) * (size_t)(chunk * img));
    if (!buf) return gc_error(GC_NOMEM, "eval: out of host memory");
    for (int64_t i = 0; i < n && s == GC_OK; i += chunk) {
        int64_t k = n - i < chunk ? n - i : chunk;
        for (int64_t j = 0; j < k * img; j++)
            buf[j] = (x[i * img + j] + 1.0f) * 0.5f;
        s = gc_inception_run(f->inc, buf, k, features + i * GC_INCEPTION_FEATURES,
                             logits ? logits + i * GC_INCEPTION_CLASSES : NULL);
    }
    gc_free(buf);
    return s;
}

gc_status gc_app_features_run(struct gc_app_features *f, const float *x, int64_t n, int channels,
                              int h, int w, float *features, float *logits)
{
    if (!f->clf) return inception_run(f, x, n, channels, h, w, features, logits);
    if (channels != 1 || h != GC_CLF_SIZE || w != GC_CLF_SIZE)
        return gc_error(GC_UNSUPPORTED, "the fmnist features need 1x%dx%d images, not %dx%dx%d",
                        GC_CLF_SIZE, GC_CLF_SIZE, channels, h, w);
    return gc_classifier_run(f->clf, x, n, features, logits);
}

void gc_app_features_close(struct gc_app_features *f)
{
    gc_classifier_destroy(f->clf);
    gc_inception_destroy(f->inc);
    f->clf = NULL, f->inc = NULL;
}
