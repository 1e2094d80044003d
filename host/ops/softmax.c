/* SPDX-License-Identifier: MIT */
/* log_softmax over the last dimension and the softmax / cross-entropy built
 * on it. Kernel: cl/softmax.cl.
 *
 * x is seen as (rows, C). One work-item per row computes the max, the sum of
 * exp(x - max) and writes x - max - log(sum): the max subtraction keeps any
 * finite logits finite. Rows are independent and a row is read completely
 * before it is written, so y may take x's storage. The row-per-work-item
 * layout suits classifier heads (C ~ 10-1000); a very wide C would want a
 * work-group per row.
 *
 * Backward (d log_softmax): dx = dy - softmax(x) * sum_c dy, with softmax(x)
 * = exp(y) read from the output, from exp/mul/sub/sum_axis, so it is itself
 * differentiable. */
#include "gancl/softmax.h"
#include "graph/graph_impl.h"

static gc_status ls_infer(struct gc_tensor *t)
{
    if (t->in[0]->ndim < 1 || t->in[0]->shape[t->in[0]->ndim - 1] < 1)
        return gc_error(GC_INVALID_ARG, "log_softmax: input needs a last dimension");
    gc__set_shape(t, t->in[0]->ndim, t->in[0]->shape);
    return GC_OK;
}

/* Loop iterations of a log_softmax_fwd work-item: three loops over the row. */
static int64_t ls_trips(int64_t c)
{
    return 1 + 3 * gc__loops(c);
}

static gc_status ls_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    cl_ulong c = (cl_ulong)t->shape[t->ndim - 1], rows = (cl_ulong)(t->numel / (int64_t)c);
    int64_t budget = gc__loop_budget(x->dev);
    if (ls_trips((int64_t)c) <= budget) {
        gc_status s = gc__exec_kernel(x, 0, "softmax", "", "log_softmax_fwd", &k);
        if (s != GC_OK) return s;
        struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem),
                                 GC_KA(a.off), GC_KA(rows),  GC_KA(c)};
        return gc__launch_1d(x, k, 6, args, (int64_t)rows);
    }
    /* Loop-limited device, wide rows: log_softmax_part, each phase over runs of columns that
     * keep one loop (plus the kernel's own count) within the budget. */
    gc_status s = gc__exec_kernel(x, 1, "softmax", "", "log_softmax_part", &k);
    cl_ulong per = (cl_ulong)(budget - 2);
    struct gc_buf ws = gc__exec_workspace(x);
    for (cl_int ph = 0; ph < 3 && s == GC_OK; ph++)
        for (cl_ulong j0 = 0; j0 < c && s == GC_OK; j0 += per) {
            cl_ulong j1 = c - j0 < per ? c : j0 + per;
            struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off),  GC_KA(a.mem), GC_KA(a.off),
                                     GC_KA(rows),  GC_KA(c),      GC_KA(ws.mem), GC_KA(ws.off),
                                     GC_KA(j0),    GC_KA(j1),     GC_KA(ph)};
            s = gc__launch_1d(x, k, 11, args, (int64_t)rows);
        }
    return s;
}

/* Loop-limited devices, rows too wide for one launch: log_softmax_part's (max, sum) per row. */
static int64_t ls_workspace(const struct gc_tensor *t, const int *tv)
{
    (void)tv;
    int64_t c = t->shape[t->ndim - 1];
    return ls_trips(c) <= gc__loop_budget(t->g->dev) ? 0 : 2 * (t->numel / c);
}

static gc_status ls_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                             const bool *need, struct gc_tensor **dx)
{
    if (need[0]) {
        struct gc_tensor *s = gc_sum_axis(g, dy, -1, true); /* (..., 1) */
        dx[0] = gc_sub(g, dy, gc_mul(g, gc_exp(g, t), s));
    }
    return gc_graph_status(g);
}

static double ls_flops(const struct gc_tensor *t)
{
    return 4.0 * (double)t->numel; /* max, exp, sum, subtract */
}

const struct gc_op_desc gc__op_desc_log_softmax = {.name = "log_softmax",
                                                   .program = "softmax",
                                                   .inplace = true,
                                                   .infer = ls_infer,
                                                   .forward = ls_forward,
                                                   .workspace = ls_workspace,
                                                   .backward = ls_backward,
                                                   .flops = ls_flops};

struct gc_tensor *gc_log_softmax(struct gc_graph *g, struct gc_tensor *x)
{
    return gc__node1(g, GC_OP_LOG_SOFTMAX, x, NULL);
}

struct gc_tensor *gc_softmax(struct gc_graph *g, struct gc_tensor *x)
{
    return gc_exp(g, gc_log_softmax(g, x));
}

struct gc_tensor *gc_cross_entropy(struct gc_graph *g, struct gc_tensor *logits,
                                   struct gc_tensor *target)
{
    if (!logits || !target) return gc__graph_fail(g, GC_INVALID_ARG, "cross_entropy: NULL input");
    if (logits->ndim != 2 || !gc__same_shape(logits, target))
        return gc__graph_fail(g, GC_INVALID_ARG, "cross_entropy: logits and target must be (N, C)");
    float inv = -1.0f / (float)logits->shape[0];
    return gc_scale(g, gc_sum(g, gc_mul(g, gc_log_softmax(g, logits), target)), inv, 0.0f);
}
