/* SPDX-License-Identifier: MIT */
/* FID (fmnist) during training (see train_eval.h). */
#include "train_eval.h"

#include "app.h"
#include "eval_frame.h"
#include "gancl/alloc.h"
#include "gancl/classifier.h"
#include "gancl/eval.h"
#include "gancl/philox.h"

#define IMG (GC_CLF_SIZE * GC_CLF_SIZE)
#define CHUNK 500 /* images generated and framed at a time (host memory) */
#define LATENT_STREAM 89 /* eval_cmd.c draws its latents from stream 88 */

struct gc_app_fid {
    struct gc_classifier *net;
    struct gc_gan_config cfg;
    bool fmnist;
    int64_t n;
    float *z;          /* (n, nz) fixed latents */
    float *gen, *x;    /* (CHUNK, c, size, size) generated, (n, 1, 32, 32) framed */
    float *feat;       /* (n, 64) */
    double *mu, *cov;  /* of the real features: (64), (64, 64) */
};

static size_t item_floats(const struct gc_gan_config *c)
{
    return (size_t)c->channels * (size_t)c->image_size * (size_t)c->image_size;
}

static gc_status alloc_all(struct gc_app_fid *e)
{
    const struct gc_gan_config *c = &e->cfg;
    e->z = gc_malloc(sizeof(float) * (size_t)e->n * (size_t)c->nz);
    e->gen = gc_malloc(sizeof(float) * CHUNK * item_floats(c));
    e->x = gc_malloc(sizeof(float) * (size_t)e->n * IMG);
    e->feat = gc_malloc(sizeof(float) * (size_t)e->n * GC_CLF_FEATURES);
    e->mu = gc_malloc(sizeof(double) * GC_CLF_FEATURES);
    e->cov = gc_malloc(sizeof(double) * GC_CLF_FEATURES * GC_CLF_FEATURES);
    if (!e->z || !e->gen || !e->x || !e->feat || !e->mu || !e->cov)
        return gc_error(GC_NOMEM, "--eval-every: out of host memory");
    for (int64_t j = 0; j < e->n * c->nz; j++)
        e->z[j] = gc_philox_normal(c->seed, LATENT_STREAM, 0, (uint64_t)j);
    return GC_OK;
}

/* Real items (a seeded sample) -> frame -> features -> mean, covariance. */
static gc_status real_stats(struct gc_app_fid *e, const struct gc_dataset *ds)
{
    int64_t size = gc_dataset_size(ds);
    int64_t *order = gc_malloc(sizeof(int64_t) * (size_t)size);
    if (!order) return gc_error(GC_NOMEM, "--eval-every: out of host memory");
    gc_dataset_permutation(order, size, e->cfg.seed * 2 + 1);
    gc_status s = GC_OK;
    for (int64_t i = 0; i < e->n && s == GC_OK; i += CHUNK) {
        int64_t k = e->n - i < CHUNK ? e->n - i : CHUNK;
        for (int64_t j = 0; j < k && s == GC_OK; j++)
            s = gc_dataset_get(ds, e->n < size ? order[i + j] : i + j, e->cfg.seed, 0,
                               e->gen + (size_t)j * item_floats(&e->cfg), NULL);
        if (s == GC_OK)
            s = gc_app_frame_images(e->gen, k, e->cfg.channels, e->cfg.image_size, e->fmnist,
                                    e->x + i * IMG);
    }
    gc_free(order);
    if (s == GC_OK) s = gc_classifier_run(e->net, e->x, e->n, e->feat, NULL);
    if (s == GC_OK) s = gc_eval_mean_cov(e->feat, e->n, GC_CLF_FEATURES, e->mu, e->cov);
    return s;
}

gc_status gc_app_fid_create(struct gc_device *dev, const struct gc_dataset *ds, bool fmnist,
                            const struct gc_gan_config *cfg, int64_t n, struct gc_app_fid **out)
{
    char wpath[4096];
    struct gc_app_fid *e = gc_calloc(1, sizeof *e);
    if (!e) return gc_error(GC_NOMEM, "--eval-every: out of host memory");
    e->cfg = *cfg;
    e->fmnist = fmnist;
    e->n = n < gc_dataset_size(ds) ? n : gc_dataset_size(ds);
    gc_status s = e->n >= 2 ? GC_OK : gc_error(GC_INVALID_ARG, "--eval-every: FID needs >= 2 images");
    if (s == GC_OK) s = gc_app_model_path(NULL, wpath, sizeof wpath);
    if (s == GC_OK) s = gc_classifier_create(dev, e->n < CHUNK ? (int)e->n : CHUNK, false, 0, 0, &e->net);
    if (s == GC_OK) s = gc_classifier_load(e->net, wpath);
    if (s == GC_OK) s = alloc_all(e);
    if (s == GC_OK) s = real_stats(e, ds);
    if (s != GC_OK) {
        gc_app_fid_destroy(e);
        return gc_error_context(s, "--eval-every");
    }
    *out = e;
    return GC_OK;
}

gc_status gc_app_fid_run(struct gc_app_fid *e, struct gc_gan *m, double *fid)
{
    const struct gc_gan_config *c = &e->cfg;
    gc_status s = GC_OK;
    for (int64_t i = 0; i < e->n && s == GC_OK; i += CHUNK) {
        int k = (int)(e->n - i < CHUNK ? e->n - i : CHUNK);
        s = gc_gan_sample(m, e->z + i * c->nz, k, e->gen);
        if (s == GC_OK)
            s = gc_app_frame_images(e->gen, k, c->channels, c->image_size, e->fmnist, e->x + i * IMG);
    }
    if (s == GC_OK) s = gc_classifier_run(e->net, e->x, e->n, e->feat, NULL);
    double *mu = NULL, *cov = NULL;
    if (s == GC_OK) {
        mu = gc_malloc(sizeof(double) * GC_CLF_FEATURES);
        cov = gc_malloc(sizeof(double) * GC_CLF_FEATURES * GC_CLF_FEATURES);
        if (!mu || !cov) s = gc_error(GC_NOMEM, "--eval-every: out of host memory");
    }
    if (s == GC_OK) s = gc_eval_mean_cov(e->feat, e->n, GC_CLF_FEATURES, mu, cov);
    if (s == GC_OK) s = gc_eval_frechet(e->mu, e->cov, mu, cov, GC_CLF_FEATURES, 1e-6, fid, NULL);
    gc_free(mu);
    gc_free(cov);
    return s;
}

void gc_app_fid_destroy(struct gc_app_fid *e)
{
    if (!e) return;
    gc_classifier_destroy(e->net);
    gc_free(e->z), gc_free(e->gen), gc_free(e->x), gc_free(e->feat);
    gc_free(e->mu), gc_free(e->cov);
    gc_free(e);
}
