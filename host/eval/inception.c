/* SPDX-License-Identifier: MIT */
/* Inception-v3, pytorch-fid's FID variant (include/gancl/inception.h). The
 * builders below follow torchvision's Inception3 and pytorch-fid's patched
 * blocks module by module, so each parameter is created under its
 * state_dict name and the code reads side by side with inception.py. */
#include "gancl/inception.h"

#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/conv.h"
#include "gancl/nn_ops.h"
#include "gancl/safetensors.h"

#define BN_EPS 0.001f /* torchvision's BasicConv2d */

struct gc_inception {
    struct gc_graph *g;
    struct gc_param_group *grp;
    struct gc_tensor *x, *features, *logits, *unbiased;
    struct gc_plan *plan;
    int batch, channels, h, w;
    float *xbuf, *fbuf, *lbuf; /* gc_inception_run's padded last batch */
};

static struct gc_tensor *param(struct gc_inception *m, const char *prefix, const char *name,
                               int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    char full[96];
    snprintf(full, sizeof full, "%.64s%s%.20s", prefix, *prefix ? "." : "", name);
    int64_t shape[4] = {d0, d1, d2, d3};
    return gc_param(m->grp, full, ndim, shape);
}

/* BasicConv2d: conv (no bias) -> BatchNorm2d(eps 0.001, eval) -> ReLU, with a
 * kh x kw kernel, stride s and padding (ph, pw). */
static struct gc_tensor *basic(struct gc_inception *m, struct gc_tensor *x, const char *name,
                               int oc, int kh, int kw, int s, int ph, int pw)
{
    if (!x) return NULL;
    char conv[96], bn[96];
    snprintf(conv, sizeof conv, "%.64s.conv", name);
    snprintf(bn, sizeof bn, "%.64s.bn", name);
    int64_t ic = gc_tensor_dim(x, 1);
    struct gc_tensor *w = param(m, conv, "weight", 4, oc, ic, kh, kw);
    struct gc_tensor *gamma = param(m, bn, "weight", 1, oc, 0, 0, 0);
    struct gc_tensor *beta = param(m, bn, "bias", 1, oc, 0, 0, 0);
    struct gc_tensor *mean = param(m, bn, "running_mean", 1, oc, 0, 0, 0);
    struct gc_tensor *var = param(m, bn, "running_var", 1, oc, 0, 0, 0);
    struct gc_conv_geom geom = {{s, s}, {ph, pw}, {1, 1}, {0, 0}};
    struct gc_tensor *y = gc_conv2d(m->g, x, w, geom);
    return gc_relu(m->g, gc_batch_norm_eval(m->g, y, gamma, beta, mean, var, BN_EPS));
}

static struct gc_tensor *sq(struct gc_inception *m, struct gc_tensor *x, const char *block,
                            const char *branch, int oc, int k, int s, int p)
{
    char name[96];
    snprintf(name, sizeof name, "%.16s.%.40s", block, branch);
    return basic(m, x, name, oc, k, k, s, p, p);
}

/* 1x7 (horizontal, padding (0, 3)) or 7x1; 1x3 / 3x1 likewise. */
static struct gc_tensor *row(struct gc_inception *m, struct gc_tensor *x, const char *block,
                             const char *branch, int oc, int k)
{
    char name[96];
    snprintf(name, sizeof name, "%.16s.%.40s", block, branch);
    return basic(m, x, name, oc, 1, k, 1, 0, k / 2);
}

static struct gc_tensor *col(struct gc_inception *m, struct gc_tensor *x, const char *block,
                             const char *branch, int oc, int k)
{
    char name[96];
    snprintf(name, sizeof name, "%.16s.%.40s", block, branch);
    return basic(m, x, name, oc, k, 1, 1, k / 2, 0);
}

static struct gc_tensor *cat(struct gc_inception *m, int n, struct gc_tensor *a,
                             struct gc_tensor *b, struct gc_tensor *c, struct gc_tensor *d)
{
    struct gc_tensor *parts[4] = {a, b, c, d};
    return gc_concat(m->g, n, parts);
}

/* pytorch-fid's 3x3 stride-1 average pool: count_include_pad=False. */
static struct gc_tensor *avg3(struct gc_inception *m, struct gc_tensor *x)
{
    return gc_avg_pool2d(m->g, x, 3, 1, 1, false);
}

/* FIDInceptionA(in, pool_features) */
static struct gc_tensor *block_a(struct gc_inception *m, struct gc_tensor *x, const char *b, int pf)
{
    struct gc_tensor *b1 = sq(m, x, b, "branch1x1", 64, 1, 1, 0);
    struct gc_tensor *b5 = sq(m, x, b, "branch5x5_1", 48, 1, 1, 0);
    b5 = sq(m, b5, b, "branch5x5_2", 64, 5, 1, 2);
    struct gc_tensor *b3 = sq(m, x, b, "branch3x3dbl_1", 64, 1, 1, 0);
    b3 = sq(m, b3, b, "branch3x3dbl_2", 96, 3, 1, 1);
    b3 = sq(m, b3, b, "branch3x3dbl_3", 96, 3, 1, 1);
    struct gc_tensor *bp = sq(m, avg3(m, x), b, "branch_pool", pf, 1, 1, 0);
    return cat(m, 4, b1, b5, b3, bp);
}

/* InceptionB (torchvision's, unchanged by pytorch-fid) */
static struct gc_tensor *block_b(struct gc_inception *m, struct gc_tensor *x, const char *b)
{
    struct gc_tensor *b3 = sq(m, x, b, "branch3x3", 384, 3, 2, 0);
    struct gc_tensor *bd = sq(m, x, b, "branch3x3dbl_1", 64, 1, 1, 0);
    bd = sq(m, bd, b, "branch3x3dbl_2", 96, 3, 1, 1);
    bd = sq(m, bd, b, "branch3x3dbl_3", 96, 3, 2, 0);
    return cat(m, 3, b3, bd, gc_max_pool2d(m->g, x, 3, 2, 0), NULL);
}

/* FIDInceptionC(in, channels_7x7) */
static struct gc_tensor *block_c(struct gc_inception *m, struct gc_tensor *x, const char *b, int c7)
{
    struct gc_tensor *b1 = sq(m, x, b, "branch1x1", 192, 1, 1, 0);
    struct gc_tensor *b7 = sq(m, x, b, "branch7x7_1", c7, 1, 1, 0);
    b7 = row(m, b7, b, "branch7x7_2", c7, 7);
    b7 = col(m, b7, b, "branch7x7_3", 192, 7);
    struct gc_tensor *bd = sq(m, x, b, "branch7x7dbl_1", c7, 1, 1, 0);
    bd = col(m, bd, b, "branch7x7dbl_2", c7, 7);
    bd = row(m, bd, b, "branch7x7dbl_3", c7, 7);
    bd = col(m, bd, b, "branch7x7dbl_4", c7, 7);
    bd = row(m, bd, b, "branch7x7dbl_5", 192, 7);
    struct gc_tensor *bp = sq(m, avg3(m, x), b, "branch_pool", 192, 1, 1, 0);
    return cat(m, 4, b1, b7, bd, bp);
}

/* InceptionD (unchanged) */
static struct gc_tensor *block_d(struct gc_inception *m, struct gc_tensor *x, const char *b)
{
    struct gc_tensor *b3 = sq(m, x, b, "branch3x3_1", 192, 1, 1, 0);
    b3 = sq(m, b3, b, "branch3x3_2", 320, 3, 2, 0);
    struct gc_tensor *b7 = sq(m, x, b, "branch7x7x3_1", 192, 1, 1, 0);
    b7 = row(m, b7, b, "branch7x7x3_2", 192, 7);
    b7 = col(m, b7, b, "branch7x7x3_3", 192, 7);
    b7 = sq(m, b7, b, "branch7x7x3_4", 192, 3, 2, 0);
    return cat(m, 3, b3, b7, gc_max_pool2d(m->g, x, 3, 2, 0), NULL);
}

/* FIDInceptionE_1 (max_pool false: average pool without padding counted) and
 * FIDInceptionE_2 (max_pool true: 3x3 stride-1 max pool, padding 1). */
static struct gc_tensor *block_e(struct gc_inception *m, struct gc_tensor *x, const char *b,
                                 bool max_pool)
{
    struct gc_tensor *b1 = sq(m, x, b, "branch1x1", 320, 1, 1, 0);
    struct gc_tensor *b3 = sq(m, x, b, "branch3x3_1", 384, 1, 1, 0);
    b3 = cat(m, 2, row(m, b3, b, "branch3x3_2a", 384, 3), col(m, b3, b, "branch3x3_2b", 384, 3),
             NULL, NULL);
    struct gc_tensor *bd = sq(m, x, b, "branch3x3dbl_1", 448, 1, 1, 0);
    bd = sq(m, bd, b, "branch3x3dbl_2", 384, 3, 1, 1);
    bd = cat(m, 2, row(m, bd, b, "branch3x3dbl_3a", 384, 3),
             col(m, bd, b, "branch3x3dbl_3b", 384, 3), NULL, NULL);
    struct gc_tensor *pool = max_pool ? gc_max_pool2d(m->g, x, 3, 1, 1) : avg3(m, x);
    struct gc_tensor *bp = sq(m, pool, b, "branch_pool", 192, 1, 1, 0);
    return cat(m, 4, b1, b3, bd, bp);
}

/* pytorch-fid's InceptionV3 forward (all four blocks) plus the fc layer. */
static void build(struct gc_inception *m)
{
    struct gc_graph *g = m->g;
    int64_t xs[4] = {m->batch, m->channels, m->h, m->w};
    m->x = gc_input(g, "x", 4, xs);
    struct gc_tensor *x = m->x;
    if (m->h != GC_INCEPTION_SIZE || m->w != GC_INCEPTION_SIZE) /* PyTorch copies at 299 */
        x = gc_resize_bilinear(g, x, GC_INCEPTION_SIZE, GC_INCEPTION_SIZE);
    x = gc_scale(g, x, 2.0f, -1.0f);                      /* [0, 1] -> [-1, 1] */
    if (m->channels == 1) x = cat(m, 3, x, x, x, NULL);   /* gray: the same plane thrice */
    x = basic(m, x, "Conv2d_1a_3x3", 32, 3, 3, 2, 0, 0);  /* (32, 149, 149) */
    x = basic(m, x, "Conv2d_2a_3x3", 32, 3, 3, 1, 0, 0);  /* (32, 147, 147) */
    x = basic(m, x, "Conv2d_2b_3x3", 64, 3, 3, 1, 1, 1);  /* (64, 147, 147) */
    x = gc_max_pool2d(g, x, 3, 2, 0);                     /* (64, 73, 73) */
    x = basic(m, x, "Conv2d_3b_1x1", 80, 1, 1, 1, 0, 0);  /* (80, 73, 73) */
    x = basic(m, x, "Conv2d_4a_3x3", 192, 3, 3, 1, 0, 0); /* (192, 71, 71) */
    x = gc_max_pool2d(g, x, 3, 2, 0);                     /* (192, 35, 35) */
    x = block_a(m, x, "Mixed_5b", 32);                    /* (256, 35, 35) */
    x = block_a(m, x, "Mixed_5c", 64);                    /* (288, 35, 35) */
    x = block_a(m, x, "Mixed_5d", 64);                    /* (288, 35, 35) */
    x = block_b(m, x, "Mixed_6a");                        /* (768, 17, 17) */
    x = block_c(m, x, "Mixed_6b", 128);
    x = block_c(m, x, "Mixed_6c", 160);
    x = block_c(m, x, "Mixed_6d", 160);
    x = block_c(m, x, "Mixed_6e", 192);   /* (768, 17, 17) */
    x = block_d(m, x, "Mixed_7a");        /* (1280, 8, 8) */
    x = block_e(m, x, "Mixed_7b", false); /* (2048, 8, 8) */
    x = block_e(m, x, "Mixed_7c", true);  /* (2048, 8, 8) */
    if (!x) return;
    int64_t flat[3] = {m->batch, GC_INCEPTION_FEATURES, gc_tensor_dim(x, 2) * gc_tensor_dim(x, 3)};
    m->features = gc_mean_axis(g, gc_reshape(g, x, 3, flat), 2, false); /* adaptive avg pool */
    struct gc_tensor *fw =
        param(m, "fc", "weight", 2, GC_INCEPTION_CLASSES, GC_INCEPTION_FEATURES, 0, 0);
    struct gc_tensor *fb = param(m, "fc", "bias", 1, GC_INCEPTION_CLASSES, 0, 0, 0);
    m->unbiased = gc_matmul(g, m->features, fw, false, true);
    m->logits = gc_linear(g, m->features, fw, fb);
}

gc_status gc_inception_create(struct gc_device *dev, int batch, int channels, int h, int w,
                              struct gc_inception **out)
{
    if (!dev || batch < 1 || (channels != 1 && channels != 3) || h < 1 || w < 1 || !out)
        return gc_error(GC_INVALID_ARG, "inception: bad arguments (batch %d, %d channels, %dx%d)",
                        batch, channels, h, w);
    struct gc_inception *m = gc_calloc(1, sizeof *m);
    if (!m) return gc_error(GC_NOMEM, "inception: out of host memory");
    *m = (struct gc_inception){.batch = batch, .channels = channels, .h = h, .w = w};
    gc_status s = gc_graph_create(dev, &m->g);
    if (s == GC_OK) {
        m->grp = gc_param_group(m->g, "inception");
        build(m);
        s = gc_graph_status(m->g);
    }
    if (s == GC_OK) s = gc_param_group_alloc(m->grp);
    struct gc_tensor *outs[3] = {m->features, m->logits, m->unbiased};
    if (s == GC_OK) s = gc_plan_create(m->g, 3, outs, &m->plan);
    if (s != GC_OK) {
        gc_inception_destroy(m);
        return s;
    }
    *out = m;
    return GC_OK;
}

void gc_inception_destroy(struct gc_inception *m)
{
    if (!m) return;
    gc_plan_destroy(m->plan);
    gc_graph_destroy(m->g);
    gc_free(m->xbuf), gc_free(m->fbuf), gc_free(m->lbuf);
    gc_free(m);
}

int gc_inception_batch(const struct gc_inception *m)
{
    return m->batch;
}

struct gc_param_group *gc_inception_params(struct gc_inception *m)
{
    return m->grp;
}

/* Every tensor is read (and checked) before any is written, so a bad file
 * leaves the network as it was. */
gc_status gc_inception_load(struct gc_inception *m, const char *path)
{
    struct gc_safetensors *st;
    gc_status s = gc_safetensors_load(&st, path);
    if (s != GC_OK) return s;
    int n = gc_param_group_count(m->grp);
    float *all = gc_malloc(sizeof(float) * (size_t)gc_param_group_numel(m->grp));
    if (!all) s = gc_error(GC_NOMEM, "inception: no memory for the weights");
    int64_t off = 0;
    for (int i = 0; i < n && s == GC_OK; i++) {
        struct gc_tensor *p = gc_param_group_at(m->grp, i);
        int64_t shape[4];
        int nd = gc_tensor_ndim(p);
        for (int d = 0; d < nd; d++)
            shape[d] = gc_tensor_dim(p, d);
        s = gc_safetensors_read_f32(st, gc_tensor_name(p), all + off, nd, shape);
        off += gc_tensor_numel(p);
    }
    off = 0;
    for (int i = 0; i < n && s == GC_OK; i++) {
        struct gc_tensor *p = gc_param_group_at(m->grp, i);
        s = gc_param_write(p, all + off);
        off += gc_tensor_numel(p);
    }
    if (s != GC_OK) s = gc_error_context(s, "%s", path);
    gc_free(all);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_inception_forward(struct gc_inception *m, const float *x, float *features,
                               float *logits, float *logits_unbiased)
{
    gc_status s = gc_plan_write(m->plan, m->x, x);
    if (s == GC_OK) s = gc_plan_run(m->plan);
    if (s == GC_OK && features) s = gc_plan_read(m->plan, m->features, features);
    if (s == GC_OK && logits) s = gc_plan_read(m->plan, m->logits, logits);
    if (s == GC_OK && logits_unbiased) s = gc_plan_read(m->plan, m->unbiased, logits_unbiased);
    return s;
}

gc_status gc_inception_run(struct gc_inception *m, const float *x, int64_t n, float *features,
                           float *logits_unbiased)
{
    const int64_t img = (int64_t)m->channels * m->h * m->w, b = m->batch;
    const int64_t F = GC_INCEPTION_FEATURES, L = GC_INCEPTION_CLASSES;
    gc_status s = GC_OK;
    int64_t full = n / b * b;
    for (int64_t i = 0; i < full && s == GC_OK; i += b)
        s = gc_inception_forward(m, x + i * img, features ? features + i * F : NULL, NULL,
                                 logits_unbiased ? logits_unbiased + i * L : NULL);
    if (s != GC_OK || full == n) return s;
    if (!m->xbuf) {
        m->xbuf = gc_malloc(sizeof(float) * (size_t)(b * img));
        m->fbuf = gc_malloc(sizeof(float) * (size_t)(b * F));
        m->lbuf = gc_malloc(sizeof(float) * (size_t)(b * L));
        if (!m->xbuf || !m->fbuf || !m->lbuf) return gc_error(GC_NOMEM, "inception: no memory");
    }
    int64_t rest = n - full;
    memcpy(m->xbuf, x + full * img, sizeof(float) * (size_t)(rest * img));
    for (int64_t i = rest; i < b; i++)
        memcpy(m->xbuf + i * img, x, sizeof(float) * (size_t)img);
    s = gc_inception_forward(m, m->xbuf, m->fbuf, NULL, m->lbuf);
    if (s == GC_OK && features)
        memcpy(features + full * F, m->fbuf, sizeof(float) * (size_t)(rest * F));
    if (s == GC_OK && logits_unbiased)
        memcpy(logits_unbiased + full * L, m->lbuf, sizeof(float) * (size_t)(rest * L));
    return s;
}
