/* SPDX-License-Identifier: MIT */
/* Dropout (PyTorch nn.Dropout, training mode). Kernel: cl/dropout.cl.
 *
 * The mask is an ordinary gc_rand_uniform draw u (Philox: seed, the node's
 * stream, the plan's run counter), and dropout_mask(x, u) = x * [u >= p] /
 * (1 - p) is one fused element-wise kernel. The gradient is dropout_mask(dy,
 * u) with the very same u tensor, so forward and backward agree by
 * construction (no regeneration that could drift) and the op is its own
 * derivative, as often as needed. u costs one tensor of x's size, live until
 * the backward has used it. */
#include <string.h>

#include "gancl/nn_ops.h"
#include "graph/graph_impl.h"

struct dropout_params {
    float p;
};

static float p_of(const struct gc_tensor *t)
{
    struct dropout_params d;
    memcpy(&d, t->p.raw, sizeof d);
    return d.p;
}

static gc_status mask_infer(struct gc_tensor *t)
{
    if (!gc__same_shape(t->in[0], t->in[1]))
        return gc_error(GC_INVALID_ARG, "dropout_mask: x and the uniform draw differ in shape");
    gc__set_shape(t, t->in[0]->ndim, t->in[0]->shape);
    return GC_OK;
}

static gc_status mask_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "dropout", "", "dropout_mask_fwd", &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]),
                  u = gc__exec_buf(x, t->in[1]);
    float p = p_of(t), scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    cl_ulong n = (cl_ulong)t->numel;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off), GC_KA(u.mem),
                             GC_KA(u.off), GC_KA(n),     GC_KA(p),     GC_KA(scale)};
    return gc__launch_1d(x, k, 9, args, t->numel);
}

static struct gc_tensor *mask_node(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *u,
                                   float p)
{
    union gc_op_params prm;
    memset(&prm, 0, sizeof prm);
    struct dropout_params d = {p};
    memcpy(prm.raw, &d, sizeof d);
    return gc__node2(g, GC_OP_DROPOUT_MASK, x, u, &prm);
}

/* Linear in x with the same mask: dx = dropout_mask(dy, u). u (a random
 * draw) has no gradient. */
static gc_status mask_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                               const bool *need, struct gc_tensor **dx)
{
    if (need[0]) dx[0] = mask_node(g, dy, t->in[1], p_of(t));
    return gc_graph_status(g);
}

static double mask_flops(const struct gc_tensor *t)
{
    return 2.0 * (double)t->numel;
}

const struct gc_op_desc gc__op_desc_dropout_mask = {.name = "dropout_mask",
                                                    .program = "dropout",
                                                    .inplace = true,
                                                    .infer = mask_infer,
                                                    .forward = mask_forward,
                                                    .backward = mask_backward,
                                                    .flops = mask_flops};

struct gc_tensor *gc_dropout(struct gc_graph *g, struct gc_tensor *x, float p, uint64_t seed)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "dropout: NULL input");
    if (!(p >= 0.0f && p <= 1.0f))
        return gc__graph_fail(g, GC_INVALID_ARG, "dropout: p = %g outside [0, 1]", (double)p);
    if (p == 0.0f) return x;
    return mask_node(g, x, gc_rand_uniform(g, seed, x->ndim, x->shape), p);
}
