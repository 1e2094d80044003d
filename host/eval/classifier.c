/* SPDX-License-Identifier: MIT */
/* The fmnist feature network (include/gancl/classifier.h): graph, Adam
 * training step, batched inference and safetensors weights. One graph per
 * object: the forward (features, logits) and, when training, the loss with
 * its parameter gradients bound into the group's gradient buffer. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/classifier.h"
#include "gancl/conv.h"
#include "gancl/graph.h"
#include "gancl/optim.h"
#include "gancl/safetensors.h"
#include "gancl/softmax.h"

enum { NP = 12 };
struct layer_spec {
    const char *name;
    int ndim;
    int64_t shape[4];
    int fan_in; /* 0: a bias (zero) */
};
static const struct layer_spec specs[NP] = {
    {"conv1.weight", 4, {16, 1, 3, 3}, 9},    {"conv1.bias", 1, {16}, 0},
    {"conv2.weight", 4, {32, 16, 4, 4}, 256}, {"conv2.bias", 1, {32}, 0},
    {"conv3.weight", 4, {64, 32, 4, 4}, 512}, {"conv3.bias", 1, {64}, 0},
    {"conv4.weight", 4, {32, 64, 3, 3}, 576}, {"conv4.bias", 1, {32}, 0},
    {"fc1.weight", 2, {64, 512}, 512},        {"fc1.bias", 1, {64}, 0},
    {"fc2.weight", 2, {10, 64}, 64},          {"fc2.bias", 1, {10}, 0},
};

struct gc_classifier {
    struct gc_graph *g;
    struct gc_param_group *grp;
    struct gc_tensor *p[NP], *x, *target, *features, *logits, *loss;
    struct gc_plan *fwd, *train;
    struct gc_optim *opt;
    int batch;
    float *xbuf, *fbuf, *lbuf; /* gc_classifier_run's padded last batch */
};

static struct gc_tensor *conv(struct gc_classifier *c, struct gc_tensor *x, int i, int stride,
                              int pad)
{
    return gc_relu(c->g, gc_bias_add(c->g, gc_conv2d(c->g, x, c->p[i], gc_conv_geom(stride, pad)),
                                     c->p[i + 1]));
}

static void build(struct gc_classifier *c)
{
    struct gc_graph *g = c->g;
    int64_t xs[4] = {c->batch, 1, GC_CLF_SIZE, GC_CLF_SIZE}, ts[2] = {c->batch, GC_CLF_CLASSES};
    c->x = gc_input(g, "x", 4, xs);
    struct gc_tensor *h = conv(c, c->x, 0, 1, 1); /* (B, 16, 32, 32) */
    h = conv(c, h, 2, 2, 1);                      /* (B, 32, 16, 16) */
    h = conv(c, h, 4, 2, 1);                      /* (B, 64, 8, 8) */
    h = conv(c, h, 6, 2, 1);                      /* (B, 32, 4, 4) */
    c->features = gc_relu(g, gc_linear(g, gc_flatten(g, h), c->p[8], c->p[9])); /* (B, 64) */
    c->logits = gc_linear(g, c->features, c->p[10], c->p[11]);                  /* (B, 10) */
    c->target = gc_input(g, "target", 2, ts);
    c->loss = gc_cross_entropy(g, c->logits, c->target);
}

static gc_status plan_train(struct gc_classifier *c, float lr)
{
    struct gc_tensor *grads[NP], *outs[NP + 1];
    gc_status s = gc_grad(c->g, c->loss, NP, c->p, grads);
    for (int i = 0; i < NP && s == GC_OK; i++) {
        s = gc_param_bind_grad(c->p[i], grads[i]);
        outs[1 + i] = gc_param_grad(c->p[i]);
    }
    outs[0] = c->loss;
    if (s == GC_OK) s = gc_plan_create(c->g, NP + 1, outs, &c->train);
    struct gc_optim_config oc = gc_optim_defaults(GC_OPTIM_ADAM, lr);
    if (s == GC_OK) s = gc_optim_create(c->grp, &oc, &c->opt);
    return s;
}

gc_status gc_classifier_create(struct gc_device *dev, int batch, bool train, float lr,
                               uint64_t seed, struct gc_classifier **out)
{
    if (!dev || batch < 1 || !out) return gc_error(GC_INVALID_ARG, "classifier: bad arguments");
    struct gc_classifier *c = gc_calloc(1, sizeof *c);
    if (!c) return gc_error(GC_NOMEM, "classifier: out of host memory");
    c->batch = batch;
    gc_status s = gc_graph_create(dev, &c->g);
    if (s == GC_OK) {
        c->grp = gc_param_group(c->g, "fmnist");
        for (int i = 0; i < NP; i++)
            c->p[i] = gc_param(c->grp, specs[i].name, specs[i].ndim, specs[i].shape);
        build(c);
        s = gc_graph_status(c->g);
    }
    if (s == GC_OK) s = gc_param_group_alloc(c->grp);
    for (int i = 0; i < NP && s == GC_OK; i++)
        s = specs[i].fan_in ? gc_param_init_normal(c->p[i], 0.0f, sqrtf(2.0f / specs[i].fan_in),
                                                   seed * 31 + (uint64_t)i)
                            : gc_param_fill(c->p[i], 0.0f);
    struct gc_tensor *fo[2] = {c->features, c->logits};
    if (s == GC_OK) s = gc_plan_create(c->g, 2, fo, &c->fwd);
    if (s == GC_OK && train) s = plan_train(c, lr);
    if (s != GC_OK) {
        gc_classifier_destroy(c);
        return s;
    }
    *out = c;
    return GC_OK;
}

void gc_classifier_destroy(struct gc_classifier *c)
{
    if (!c) return;
    gc_optim_destroy(c->opt);
    gc_plan_destroy(c->train);
    gc_plan_destroy(c->fwd);
    gc_graph_destroy(c->g);
    gc_free(c->xbuf), gc_free(c->fbuf), gc_free(c->lbuf);
    gc_free(c);
}

int gc_classifier_batch(const struct gc_classifier *c)
{
    return c->batch;
}

void gc_classifier_lr(struct gc_classifier *c, float lr)
{
    if (c->opt) gc_optim_set_lr(c->opt, lr);
}

gc_status gc_classifier_train_step(struct gc_classifier *c, const float *x, const float *target,
                                   float *loss)
{
    if (!c->train) return gc_error(GC_INVALID_ARG, "classifier: created without training");
    gc_status s = gc_plan_write(c->train, c->x, x);
    if (s == GC_OK) s = gc_plan_write(c->train, c->target, target);
    if (s == GC_OK) s = gc_plan_run(c->train);
    if (s == GC_OK) s = gc_optim_step(c->opt);
    if (s == GC_OK && loss) s = gc_plan_read(c->train, c->loss, loss);
    return s;
}

gc_status gc_classifier_forward(struct gc_classifier *c, const float *x, float *features,
                                float *logits)
{
    gc_status s = gc_plan_write(c->fwd, c->x, x);
    if (s == GC_OK) s = gc_plan_run(c->fwd);
    if (s == GC_OK && features) s = gc_plan_read(c->fwd, c->features, features);
    if (s == GC_OK && logits) s = gc_plan_read(c->fwd, c->logits, logits);
    return s;
}

gc_status gc_classifier_run(struct gc_classifier *c, const float *x, int64_t n, float *features,
                            float *logits)
{
    const int64_t img = GC_CLF_SIZE * GC_CLF_SIZE, b = c->batch;
    gc_status s = GC_OK;
    int64_t full = n / b * b;
    for (int64_t i = 0; i < full && s == GC_OK; i += b)
        s = gc_classifier_forward(c, x + i * img, features ? features + i * GC_CLF_FEATURES : NULL,
                                  logits ? logits + i * GC_CLF_CLASSES : NULL);
    if (s != GC_OK || full == n) return s;
    if (!c->xbuf) {
        c->xbuf = gc_malloc(sizeof(float) * (size_t)(b * img));
        c->fbuf = gc_malloc(sizeof(float) * (size_t)(b * GC_CLF_FEATURES));
        c->lbuf = gc_malloc(sizeof(float) * (size_t)(b * GC_CLF_CLASSES));
        if (!c->xbuf || !c->fbuf || !c->lbuf) return gc_error(GC_NOMEM, "classifier: no memory");
    }
    int64_t rest = n - full;
    memcpy(c->xbuf, x + full * img, sizeof(float) * (size_t)(rest * img));
    for (int64_t i = rest; i < b; i++)
        memcpy(c->xbuf + i * img, x, sizeof(float) * (size_t)img);
    s = gc_classifier_forward(c, c->xbuf, c->fbuf, c->lbuf);
    if (s == GC_OK && features)
        memcpy(features + full * GC_CLF_FEATURES, c->fbuf,
               sizeof(float) * (size_t)(rest * GC_CLF_FEATURES));
    if (s == GC_OK && logits)
        memcpy(logits + full * GC_CLF_CLASSES, c->lbuf,
               sizeof(float) * (size_t)(rest * GC_CLF_CLASSES));
    return s;
}

gc_status gc_classifier_save(struct gc_classifier *c, const char *path)
{
    int64_t total = gc_param_group_numel(c->grp);
    float *all = gc_malloc(sizeof(float) * (size_t)total);
    if (!all) return gc_error(GC_NOMEM, "classifier: no memory");
    struct gc_st_tensor t[NP];
    int64_t off = 0;
    gc_status s = GC_OK;
    for (int i = 0; i < NP && s == GC_OK; i++) {
        int64_t n = gc_tensor_numel(c->p[i]);
        s = gc_param_read(c->p[i], all + off);
        t[i] = (struct gc_st_tensor){.name = specs[i].name,
                                     .dtype = GC_ST_F32,
                                     .ndim = specs[i].ndim,
                                     .data = all + off,
                                     .nbytes = sizeof(float) * (size_t)n};
        for (int d = 0; d < specs[i].ndim; d++)
            t[i].shape[d] = specs[i].shape[d];
        off += n;
    }
    struct gc_st_meta meta[2] = {{"format", "gan-cl fmnist classifier 1"},
                                 {"input", "(N, 1, 32, 32) in [-1, 1], 28x28 padded by 2"}};
    if (s == GC_OK) s = gc_safetensors_save(path, t, NP, meta, 2);
    gc_free(all);
    return s;
}

gc_status gc_classifier_load(struct gc_classifier *c, const char *path)
{
    struct gc_safetensors *st;
    gc_status s = gc_safetensors_load(&st, path);
    if (s != GC_OK) return s;
    int64_t total = gc_param_group_numel(c->grp), off = 0;
    float *all = gc_malloc(sizeof(float) * (size_t)total);
    if (!all) s = gc_error(GC_NOMEM, "classifier: no memory");
    for (int i = 0; i < NP && s == GC_OK; i++) {
        s = gc_safetensors_read_f32(st, specs[i].name, all + off, specs[i].ndim, specs[i].shape);
        off += gc_tensor_numel(c->p[i]);
    }
    /* read everything before writing anything: a bad file leaves the net as it was */
    off = 0;
    for (int i = 0; i < NP && s == GC_OK; i++) {
        s = gc_param_write(c->p[i], all + off);
        off += gc_tensor_numel(c->p[i]);
    }
    if (s != GC_OK) s = gc_error_context(s, "%s", path);
    gc_free(all);
    gc_safetensors_destroy(st);
    return s;
}

gc_status gc_classifier_copy(struct gc_classifier *dst, const struct gc_classifier *src)
{
    int64_t n = gc_param_group_numel(src->grp);
    float *all = gc_malloc(sizeof(float) * (size_t)n);
    if (!all) return gc_error(GC_NOMEM, "classifier: no memory");
    gc_status s = gc_param_group_read(src->grp, all);
    if (s == GC_OK) s = gc_param_group_write(dst->grp, all);
    gc_free(all);
    return s;
}
