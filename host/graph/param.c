/* SPDX-License-Identifier: MIT */
/* Parameter groups: every parameter of a network lives at an offset of one
 * flat device buffer, and its gradient at the same offset of a second one,
 * so optimizers, clipping, zero-grad and checkpoints are single flat passes. */
#include <stdio.h>
#include <string.h>

#include "gancl/alloc.h"
#include "gancl/philox.h"
#include "graph/graph_impl.h"

struct gc_tensor *gc__param_source(struct gc_graph *g, const char *name, int ndim,
                                   const int64_t *shape); /* graph.c */

/* Offsets are rounded to 16 floats so every parameter starts 64-byte aligned
 * (vector loads, and CLBlast's offset rules on some devices). */
#define PARAM_ALIGN 16

void gc__param_group_free(struct gc_param_group *grp)
{
    if (!grp) return;
    gc__buffer_release(grp->data);
    gc__buffer_release(grp->grad);
    gc_free(grp->params);
    gc_free(grp);
}

struct gc_param_group *gc_param_group(struct gc_graph *g, const char *name)
{
    for (int i = 0; i < g->n_groups; i++)
        if (strcmp(g->groups[i]->name, name) == 0) return g->groups[i];
    if (g->n_groups == GC_MAX_GROUPS) {
        gc__graph_fail(g, GC_LIMIT, "more than %d parameter groups", GC_MAX_GROUPS);
        return NULL;
    }
    struct gc_param_group *grp = gc_calloc(1, sizeof *grp);
    if (!grp) {
        gc__graph_fail(g, GC_NOMEM, "parameter group %s: out of host memory", name);
        return NULL;
    }
    grp->g = g;
    snprintf(grp->name, sizeof grp->name, "%s", name);
    g->groups[g->n_groups++] = grp;
    return grp;
}

struct gc_tensor *gc_param(struct gc_param_group *grp, const char *name, int ndim,
                           const int64_t *shape)
{
    if (!grp) return NULL;
    struct gc_graph *g = grp->g;
    if (grp->data)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s.%s: group already allocated", grp->name,
                              name);
    if (grp->n == grp->cap) {
        int cap = grp->cap ? grp->cap * 2 : 32;
        struct gc_tensor **ps = gc_realloc(grp->params, sizeof *ps * (size_t)cap);
        if (!ps) return gc__graph_fail(g, GC_NOMEM, "parameters: out of host memory");
        grp->params = ps;
        grp->cap = cap;
    }
    struct gc_tensor *t = gc__param_source(g, name, ndim, shape);
    if (!t) return NULL;
    t->group = grp;
    t->offset = grp->numel;
    grp->numel += (t->numel + PARAM_ALIGN - 1) / PARAM_ALIGN * PARAM_ALIGN;
    grp->params[grp->n++] = t;
    return t;
}

static gc_status zero_fill(struct gc_device *dev, cl_mem m, size_t bytes)
{
    float zero = 0.0f;
    GC_CL_CHECK(dev, clEnqueueFillBuffer(dev->queue, m, &zero, sizeof zero, 0, bytes, 0, NULL, NULL),
                "zero-filling parameters");
    return GC_OK;
}

gc_status gc_param_group_alloc(struct gc_param_group *grp)
{
    struct gc_device *dev = grp->g->dev;
    size_t bytes = (size_t)(grp->numel ? grp->numel : 1) * sizeof(float);
    if (grp->data) return GC_OK;
    gc_status s = gc__buffer_create(dev, bytes, &grp->data);
    if (s == GC_OK) s = gc__buffer_create(dev, bytes, &grp->grad);
    if (s == GC_OK) s = zero_fill(dev, grp->data, bytes);
    if (s == GC_OK) s = zero_fill(dev, grp->grad, bytes);
    if (s == GC_OK) s = gc_device_finish(dev);
    if (s != GC_OK) {
        gc__buffer_release(grp->data);
        gc__buffer_release(grp->grad);
        grp->data = grp->grad = NULL;
        return gc_error_context(s, "parameters of %s (%zu bytes)", grp->name, bytes);
    }
    return GC_OK;
}

int64_t gc_param_group_numel(const struct gc_param_group *grp)
{
    return grp->numel;
}

const char *gc_param_group_name(const struct gc_param_group *grp)
{
    return grp->name;
}

int gc_param_group_count(const struct gc_param_group *grp)
{
    return grp->n;
}

struct gc_tensor *gc_param_group_at(const struct gc_param_group *grp, int i)
{
    GC_ASSERT(i >= 0 && i < grp->n);
    return grp->params[i];
}

static gc_status need_alloc(const struct gc_param_group *grp)
{
    if (!grp->data)
        return gc_error(GC_INVALID_ARG, "parameter group %s is not allocated yet", grp->name);
    return GC_OK;
}

static gc_status transfer(const struct gc_param_group *grp, cl_mem m, bool write, size_t off_el,
                          size_t n_el, void *host)
{
    gc_status s = need_alloc(grp);
    if (s != GC_OK) return s;
    struct gc_device *dev = grp->g->dev;
    cl_int e = write ? clEnqueueWriteBuffer(dev->queue, m, CL_TRUE, off_el * 4, n_el * 4, host, 0,
                                            NULL, NULL)
                     : clEnqueueReadBuffer(dev->queue, m, CL_TRUE, off_el * 4, n_el * 4, host, 0,
                                           NULL, NULL);
    if (e != CL_SUCCESS) return gc__cl_fail(dev, e, write ? "writing parameters" : "reading parameters");
    return GC_OK;
}

gc_status gc_param_write(struct gc_tensor *p, const float *src)
{
    GC_ASSERT_MSG(p->op == GC_OP_PARAM, p->name);
    return transfer(p->group, p->group->data, true, (size_t)p->offset, (size_t)p->numel,
                    (void *)src);
}

gc_status gc_param_read(const struct gc_tensor *p, float *dst)
{
    GC_ASSERT_MSG(p->op == GC_OP_PARAM, p->name);
    return transfer(p->group, p->group->data, false, (size_t)p->offset, (size_t)p->numel, dst);
}

gc_status gc_param_group_write(struct gc_param_group *grp, const float *src)
{
    return transfer(grp, grp->data, true, 0, (size_t)grp->numel, (void *)src);
}

gc_status gc_param_group_read(const struct gc_param_group *grp, float *dst)
{
    return transfer(grp, grp->data, false, 0, (size_t)grp->numel, dst);
}

gc_status gc_param_group_read_grad(const struct gc_param_group *grp, float *dst)
{
    return transfer(grp, grp->grad, false, 0, (size_t)grp->numel, dst);
}

gc_status gc_param_init_normal(struct gc_tensor *p, float mean, float std, uint64_t seed)
{
    float *h = gc_malloc(sizeof(float) * (size_t)p->numel);
    if (!h) return gc_error(GC_NOMEM, "initialising %s: out of host memory", p->name);
    for (int64_t i = 0; i < p->numel; i++)
        h[i] = mean + std * gc_philox_normal(seed, 0, 0, (uint64_t)i);
    gc_status s = gc_param_write(p, h);
    gc_free(h);
    return s;
}

gc_status gc_param_fill(struct gc_tensor *p, float value)
{
    float *h = gc_malloc(sizeof(float) * (size_t)p->numel);
    if (!h) return gc_error(GC_NOMEM, "filling %s: out of host memory", p->name);
    for (int64_t i = 0; i < p->numel; i++) h[i] = value;
    gc_status s = gc_param_write(p, h);
    gc_free(h);
    return s;
}

gc_status gc_param_bind_grad(struct gc_tensor *p, struct gc_tensor *grad)
{
    if (!p || !grad) return gc_error(GC_INVALID_ARG, "gc_param_bind_grad: NULL tensor");
    if (p->op != GC_OP_PARAM || !gc__same_shape(p, grad))
        return gc_error(GC_INVALID_ARG, "%s: gradient must be a tensor of the parameter's shape",
                        p->name);
    /* The slot must be owned by one node that computes into it: sources,
     * views and tensors already bound elsewhere get a copy. */
    if (grad->op == GC_OP_INPUT || grad->op == GC_OP_PARAM || gc__op_descs[grad->op]->is_view ||
        grad->grad_slot_of) {
        grad = gc_copy(p->g, grad);
        if (!grad) return gc_graph_status(p->g);
    }
    grad->grad_slot_of = p;
    p->bound_grad = grad;
    return GC_OK;
}

struct gc_tensor *gc_param_grad(const struct gc_tensor *p)
{
    return p->bound_grad;
}
