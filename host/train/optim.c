/* SPDX-License-Identifier: MIT */
/* SGD, Adam, RMSProp as single fused kernels over a parameter group's flat
 * buffers (cl/optim.cl); weight clipping and zero-grad likewise. The kernels'
 * layout (OPT_WG, OPT_EPI) is chosen per group size once, at creation: the
 * device's tuning record or the defaults. */
#include "gancl/optim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "train/optim_impl.h"
#include "tune/lookup.h"

#define MAX_STATE 2

struct gc_optim {
    struct gc_param_group *grp;
    struct gc_optim_config cfg;
    int64_t steps;
    int n_state;
    cl_mem state[MAX_STATE];
    cl_kernel kernel;
    int tv[GC_MAX_TUNABLES]; /* OPT_WG, OPT_EPI of its kernel (the lookup fills GC_MAX_TUNABLES) */
};

struct gc_optim_config gc_optim_defaults(enum gc_optim_kind kind, float lr)
{
    struct gc_optim_config c = {.kind = kind, .lr = lr};
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.eps = 1e-8f;
    c.alpha = 0.99f;
    return c;
}

static const char *state_names[3][MAX_STATE] = {
    {"momentum_buffer", NULL}, {"exp_avg", "exp_avg_sq"}, {"square_avg", "momentum_buffer"}};
static const char *kernel_names[3] = {"sgd_step", "adam_step", "rmsprop_step"};

const char *gc__optim_kernel_name(enum gc_optim_kind kind)
{
    return kernel_names[kind];
}

void gc__optim_default_values(const struct gc_device *dev, int tv[GC_OPTIM_TUNABLES])
{
    for (int i = 0; i < GC_OPTIM_TUNABLES; i++) tv[i] = gc__optim_tunables[i].def;
    if ((size_t)tv[0] > dev->info.max_work_group) tv[0] = (int)dev->info.max_work_group;
}

static gc_status optim_kernel(struct gc_device *dev, const char *name, const int *tv, cl_kernel *k)
{
    char opts[64];
    snprintf(opts, sizeof opts, "-D%s=%d -D%s=%d", gc__optim_tunables[0].name, tv[0],
             gc__optim_tunables[1].name, tv[1]);
    return gc__kernel_get(dev, "optim", opts, name, k);
}

static int state_count(enum gc_optim_kind k)
{
    return k == GC_OPTIM_SGD ? 1 : 2;
}

static gc_status zero_buffer(struct gc_device *dev, cl_mem m, size_t bytes)
{
    float zero = 0.0f;
    GC_CL_CHECK(dev, clEnqueueFillBuffer(dev->queue, m, &zero, sizeof zero, 0, bytes, 0, NULL, NULL),
                "zeroing optimizer state");
    return GC_OK;
}

gc_status gc_optim_create(struct gc_param_group *grp, const struct gc_optim_config *cfg,
                          struct gc_optim **out)
{
    if (!grp->data)
        return gc_error(GC_INVALID_ARG, "optimizer for %s: group not allocated", grp->name);
    struct gc_device *dev = grp->g->dev;
    struct gc_optim *o = gc_calloc(1, sizeof *o);
    if (!o) return gc_error(GC_NOMEM, "optimizer: out of host memory");
    o->grp = grp;
    o->cfg = *cfg;
    o->n_state = state_count(cfg->kind);
    size_t bytes = (size_t)(grp->numel ? grp->numel : 1) * sizeof(float);
    int64_t n = grp->numel ? grp->numel : 1;
    if (!gc__tune_lookup_optim(dev, kernel_names[cfg->kind], n, o->tv))
        gc__optim_default_values(dev, o->tv);
    gc_status s = optim_kernel(dev, kernel_names[cfg->kind], o->tv, &o->kernel);
    for (int i = 0; i < o->n_state && s == GC_OK; i++) {
        s = gc__buffer_create(dev, bytes, &o->state[i]);
        if (s == GC_OK) s = zero_buffer(dev, o->state[i], bytes);
    }
    if (s != GC_OK) {
        gc_optim_destroy(o);
        return gc_error_context(s, "optimizer state for %s", grp->name);
    }
    *out = o;
    return GC_OK;
}

void gc_optim_destroy(struct gc_optim *o)
{
    if (!o) return;
    for (int i = 0; i < o->n_state; i++) gc__buffer_release(o->state[i]);
    gc_free(o);
}

/* ceil(n / (OPT_WG * OPT_EPI)) groups of OPT_WG. */
static gc_status launch(struct gc_device *dev, cl_kernel k, int n_args, const struct gc_karg *args,
                        int64_t n, const int *tv)
{
    int64_t per = (int64_t)tv[0] * tv[1];
    size_t l = (size_t)tv[0], g = (size_t)((n + per - 1) / per) * l;
    if (g == 0) g = l;
    return gc__enqueue(dev, k, n_args, args, 1, &g, &l, NULL);
}

/* One update with kernel k (cfg's kind, built with tv). */
static gc_status update(struct gc_device *dev, cl_kernel k, const struct gc_optim_config *c,
                        const int *tv, int64_t step, cl_mem p, cl_mem g, cl_mem s0, cl_mem s1,
                        int64_t count)
{
    cl_ulong n = (cl_ulong)count;
    if (c->kind == GC_OPTIM_ADAM) {
        float bc1 = 1.0f - powf(c->beta1, (float)step), bc2 = 1.0f - powf(c->beta2, (float)step);
        struct gc_karg a[] = {GC_KA(p),       GC_KA(g),        GC_KA(s0),     GC_KA(s1),
                              GC_KA(n),       GC_KA(c->lr),    GC_KA(c->beta1), GC_KA(c->beta2),
                              GC_KA(c->eps),  GC_KA(bc1),      GC_KA(bc2),    GC_KA(c->weight_decay)};
        return launch(dev, k, 12, a, count, tv);
    }
    if (c->kind == GC_OPTIM_SGD) {
        struct gc_karg a[] = {GC_KA(p),     GC_KA(g),           GC_KA(s0),
                              GC_KA(n),     GC_KA(c->lr),       GC_KA(c->momentum),
                              GC_KA(c->weight_decay)};
        return launch(dev, k, 7, a, count, tv);
    }
    struct gc_karg a[] = {GC_KA(p),     GC_KA(g),       GC_KA(s0),          GC_KA(s1),
                          GC_KA(n),     GC_KA(c->lr),   GC_KA(c->alpha),    GC_KA(c->eps),
                          GC_KA(c->momentum), GC_KA(c->weight_decay)};
    return launch(dev, k, 10, a, count, tv);
}

gc_status gc__optim_run(struct gc_device *dev, const struct gc_optim_config *cfg, const int *tv,
                        int64_t step, cl_mem p, cl_mem g, cl_mem s0, cl_mem s1, int64_t n)
{
    cl_kernel k;
    gc_status s = optim_kernel(dev, kernel_names[cfg->kind], tv, &k);
    return s == GC_OK ? update(dev, k, cfg, tv, step, p, g, s0, s1 ? s1 : s0, n) : s;
}

gc_status gc_optim_step(struct gc_optim *o)
{
    o->steps++;
    cl_mem s1 = o->n_state > 1 ? o->state[1] : o->state[0];
    return update(o->grp->g->dev, o->kernel, &o->cfg, o->tv, o->steps, o->grp->data, o->grp->grad,
                  o->state[0], s1, o->grp->numel);
}

void gc_optim_set_lr(struct gc_optim *o, float lr)
{
    o->cfg.lr = lr;
}

float gc_optim_lr(const struct gc_optim *o)
{
    return o->cfg.lr;
}

int64_t gc_optim_steps(const struct gc_optim *o)
{
    return o->steps;
}

void gc_optim_set_steps(struct gc_optim *o, int64_t steps)
{
    o->steps = steps;
}

int gc_optim_state_count(const struct gc_optim *o)
{
    return o->n_state;
}

const char *gc_optim_state_name(const struct gc_optim *o, int i)
{
    GC_ASSERT(i >= 0 && i < o->n_state);
    return state_names[o->cfg.kind][i];
}

static gc_status state_io(const struct gc_optim *o, int i, float *host, bool write)
{
    GC_ASSERT(i >= 0 && i < o->n_state);
    struct gc_device *dev = o->grp->g->dev;
    size_t bytes = (size_t)o->grp->numel * sizeof(float);
    cl_int e = write ? clEnqueueWriteBuffer(dev->queue, o->state[i], CL_TRUE, 0, bytes, host, 0,
                                            NULL, NULL)
                     : clEnqueueReadBuffer(dev->queue, o->state[i], CL_TRUE, 0, bytes, host, 0,
                                           NULL, NULL);
    return e == CL_SUCCESS ? GC_OK : gc__cl_fail(dev, e, "optimizer state transfer");
}

gc_status gc_optim_state_read(const struct gc_optim *o, int i, float *dst)
{
    return state_io(o, i, dst, false);
}

gc_status gc_optim_state_write(struct gc_optim *o, int i, const float *src)
{
    return state_io(o, i, (float *)src, true);
}

gc_status gc_param_group_clip(struct gc_param_group *grp, float c)
{
    struct gc_device *dev = grp->g->dev;
    cl_kernel k;
    int tv[GC_OPTIM_TUNABLES];
    gc__optim_default_values(dev, tv); /* a WGAN's clip: not worth a tuned layout */
    gc_status s = optim_kernel(dev, "clip_step", tv, &k);
    if (s != GC_OK) return s;
    cl_ulong n = (cl_ulong)grp->numel;
    struct gc_karg a[] = {GC_KA(grp->data), GC_KA(n), GC_KA(c)};
    return launch(dev, k, 3, a, (int64_t)n, tv);
}

gc_status gc_param_group_zero_grad(struct gc_param_group *grp)
{
    return zero_buffer(grp->g->dev, grp->grad, (size_t)grp->numel * sizeof(float));
}
