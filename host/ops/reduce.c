/* SPDX-License-Identifier: MIT */
/* sum_to / expand (each other's gradient) and the reductions built on them:
 * sum, mean, per-axis sum and mean. Kernels: cl/reduce.cl. */
#include <stdint.h>
#include <stdio.h>

#include "graph/graph_impl.h"

static const struct gc_tunable reduce_tunables[] = {
    {"RED_WG", {16, 32, 64, 128, 256}, 5, 64}, /* partial sums per output (both paths) */
    {"RED_RWG", {1, 4, 16, 64, 256}, 5, 16},   /* sum_to_lanes / sum_to_tree work-group */
};
#define RED_TUNABLES 2

/* sum_to as (R1, K, R2) -> (K): x's dims, skipping 1s, are a run summed over,
 * a run kept, a run summed over (each possibly empty); r1/r2 are the summed
 * runs' sizes, k the kept one's. False for other patterns ((K, R, K, ...)). */
static bool lanes_shape(const struct gc_tensor *t, int64_t *r1, int64_t *k, int64_t *r2)
{
    int64_t x4[4], y4[4];
    gc__shape4(t->in[0], x4);
    gc__shape4(t, y4);
    int phase = 0; /* 0: leading summed run, 1: kept run, 2: trailing summed run */
    *r1 = *k = *r2 = 1;
    for (int d = 0; d < 4; d++) {
        if (x4[d] == 1) continue;
        bool kept = y4[d] == x4[d];
        if (kept && phase == 2) return false;
        if (kept) phase = 1;
        else if (phase == 1) phase = 2;
        *(kept ? k : phase == 0 ? r1 : r2) *= x4[d];
    }
    return *r1 * *k * *r2 < INT32_MAX;
}

/* Target shape (right-aligned) must fit x: each target dim equals x's or 1;
 * x's extra leading dims are reduced. */
static gc_status sum_to_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0];
    const struct gc_shape_params *sp = &t->p.shape;
    bool ok = sp->ndim >= 1 && sp->ndim <= x->ndim;
    for (int d = 0; ok && d < sp->ndim; d++) {
        int64_t xd = x->shape[d + x->ndim - sp->ndim];
        ok = sp->shape[d] == xd || sp->shape[d] == 1;
    }
    if (!ok) {
        char s[64];
        return gc_error(GC_INVALID_ARG, "sum_to: cannot reduce %s to the requested shape",
                        gc__shape_str(x, s, sizeof s));
    }
    gc__set_shape(t, sp->ndim, sp->shape);
    return GC_OK;
}

static gc_status expand_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0];
    const struct gc_shape_params *sp = &t->p.shape;
    bool ok = sp->ndim >= x->ndim;
    for (int d = 0; ok && d < x->ndim; d++) {
        int64_t td = sp->shape[d + sp->ndim - x->ndim];
        ok = x->shape[d] == td || x->shape[d] == 1;
    }
    if (!ok) {
        char s[64];
        return gc_error(GC_INVALID_ARG, "expand: cannot broadcast %s to the requested shape",
                        gc__shape_str(x, s, sizeof s));
    }
    gc__set_shape(t, sp->ndim, sp->shape);
    return GC_OK;
}

static cl_int4 int4_of(const int64_t v[4])
{
    cl_int4 r = {{(cl_int)v[0], (cl_int)v[1], (cl_int)v[2], (cl_int)v[3]}};
    return r;
}

extern const struct gc_op_desc gc__op_desc_sum_to;
static gc_status tree_forward(struct gc_exec *x, const struct gc_tensor *t);

/* The node's options; *wg its RED_WG. */
static void red_options(struct gc_exec *x, char *buf, size_t n, int *wg)
{
    const int *tv = gc__exec_tunables(x);
    *wg = tv[0];
    gc__op_options(&gc__op_desc_sum_to, tv, buf, n);
}

static int64_t sum_to_workspace(const struct gc_tensor *t, const int *tv)
{
    int64_t r1, k, r2;
    return lanes_shape(t, &r1, &k, &r2) ? k * tv[0] : 0;
}

/* y (K) = sums of x viewed as (R1, K, R2): sum_to_lanes writes the RED_WG
 * partial sums of each output to the workspace, sum_to_tree adds them up. */
static gc_status lanes_forward(struct gc_exec *x, const struct gc_tensor *t, int64_t r1, int64_t k,
                              int64_t r2)
{
    char opts[96];
    int wg;
    red_options(x, opts, sizeof opts, &wg);
    cl_kernel kl, kt;
    gc_status st = gc__exec_kernel(x, 1, "reduce", opts, "sum_to_lanes", &kl);
    if (st == GC_OK) st = gc__exec_kernel(x, 2, "reduce", opts, "sum_to_tree", &kt);
    if (st != GC_OK) return st;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]), ws = gc__exec_workspace(x);
    cl_int cr1 = (cl_int)r1, ck = (cl_int)k, cr2 = (cl_int)r2, sr1 = (cl_int)(wg / r2),
           sr2 = (cl_int)(wg % r2), vec = r2 % 16 == 0;
    size_t global[2] = {(size_t)k, (size_t)(vec ? wg / 16 : wg)};
    size_t local[2] = {(size_t)gc__exec_tunables(x)[1], 1};
    /* Steps of a partial: ceil(R1 R2 / RED_WG); per launch as many as the loop budget allows
     * (the loop and its entry, plus one for the kernel). */
    int64_t steps = (r1 * r2 + wg - 1) / wg, per = gc__loop_budget(x->dev) - 2;
    for (int64_t j0 = 0; j0 == 0 || j0 < steps; j0 += per) {
        cl_int cj0 = (cl_int)j0, cj1 = (cl_int)(steps - j0 < per ? steps : j0 + per);
        struct gc_karg la[] = {GC_KA(ws.mem), GC_KA(ws.off), GC_KA(a.mem), GC_KA(a.off),
                               GC_KA(cr1),    GC_KA(ck),     GC_KA(cr2),   GC_KA(sr1),
                               GC_KA(sr2),    GC_KA(vec),    GC_KA(cj0),   GC_KA(cj1)};
        st = gc__exec_launch(x, kl, 12, la, 2, global, local);
        if (st != GC_OK) return st;
    }
    struct gc_karg ta[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(ws.mem), GC_KA(ws.off), GC_KA(ck)};
    return gc__exec_launch(x, kt, 5, ta, 1, global, local);
}

/* sum_to_lanes on CPUs for every (R1, K, R2) shape (no barrier: PoCL runs it
 * at memory speed); on GPUs only where a work-group per output would mostly
 * idle: sums of at most RED_WG values, or over leading dims only (R2 = 1:
 * neighbouring work-items then read neighbouring values) with enough outputs
 * to fill the device. Elsewhere the tree kernel. Both give the same bits. A
 * loop-limited device takes the lanes path too where the tree kernel's strided
 * sum (about two counts per step) would pass the budget: lanes splits over
 * launches, the tree kernel cannot. */
static bool use_lanes(struct gc_device *dev, int wg, int64_t r1, int64_t k, int64_t r2)
{
    const struct gc_device_info *info = gc_device_get_info(dev);
    if (info->type == GC_DEVICE_CPU) return true;
    if (info->loop_limit && 2 * ((r1 * r2 + wg - 1) / wg) > gc__loop_budget(dev)) return true;
    return r1 * r2 <= wg || (r2 == 1 && k >= 64 * (int64_t)info->compute_units);
}

static gc_status sum_to_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    int64_t r1, k, r2;
    if (lanes_shape(t, &r1, &k, &r2) && use_lanes(x->dev, gc__exec_tunables(x)[0], r1, k, r2))
        return lanes_forward(x, t, r1, k, r2);
    return tree_forward(x, t);
}

static gc_status tree_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    char opts[96];
    int wg;
    red_options(x, opts, sizeof opts, &wg);
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "reduce", opts, "sum_to_fwd", &k);
    if (s != GC_OK) return s;
    int64_t x4[4], y4[4];
    gc__shape4(t->in[0], x4);
    gc__shape4(t, y4);
    cl_int4 xs = int4_of(x4), ys = int4_of(y4);
    cl_int nred = (cl_int)(t->in[0]->numel / t->numel);
    /* the index loops (4 dims each), the strided sum (its steps each locate the element over
     * the summed dims) and the tree */
    int nr = 0;
    for (int d = 0; d < 4; d++) nr += y4[d] == 1 && x4[d] != 1;
    int64_t steps = (nred + wg - 1) / wg;
    s = gc__loop_check(x->dev, 1 + 3 * gc__loops(4) + gc__loops(steps) + steps * gc__loops(nr) + gc__loops(8),
                       "sum_to");
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                             GC_KA(xs),    GC_KA(ys),    GC_KA(nred)};
    size_t global = (size_t)t->numel * (size_t)wg, local = (size_t)wg;
    return gc__exec_launch(x, k, 7, args, 1, &global, &local);
}

static gc_status expand_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    char opts[96];
    int wg;
    red_options(x, opts, sizeof opts, &wg);
    gc_status s = gc__exec_kernel(x, 0, "reduce", opts, "expand_fwd", &k);
    if (s != GC_OK) return s;
    int64_t x4[4], y4[4], st[4], stride = 1;
    gc__shape4(t->in[0], x4);
    gc__shape4(t, y4);
    for (int d = 3; d >= 0; d--) {
        st[d] = x4[d] == 1 && y4[d] != 1 ? 0 : stride;
        stride *= x4[d];
    }
    cl_int4 ys = int4_of(y4), xst = int4_of(st);
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem),
                             GC_KA(a.off), GC_KA(ys),    GC_KA(xst)};
    return gc__launch_1d(x, k, 6, args, t->numel);
}

static gc_status sum_to_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    (void)need;
    dx[0] = gc_expand(g, dy, t->in[0]->ndim, t->in[0]->shape);
    return gc_graph_status(g);
}

static gc_status expand_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    (void)need;
    dx[0] = gc_sum_to(g, dy, t->in[0]->ndim, t->in[0]->shape);
    return gc_graph_status(g);
}

static double sum_to_flops(const struct gc_tensor *t)
{
    return (double)t->in[0]->numel;
}

static double expand_flops(const struct gc_tensor *t)
{
    (void)t;
    return 0;
}

const struct gc_op_desc gc__op_desc_sum_to = {
    .name = "sum_to",
    .program = "reduce",
    .infer = sum_to_infer,
    .forward = sum_to_forward,
    .workspace = sum_to_workspace,
    .backward = sum_to_backward,
    .tunables = reduce_tunables,
    .n_tunables = RED_TUNABLES,
    .flops = sum_to_flops,
};

const struct gc_op_desc gc__op_desc_expand = {
    .name = "expand",
    .program = "reduce",
    .tunables = reduce_tunables, /* same program, same options */
    .n_tunables = RED_TUNABLES,
    .untuned = 0x3, /* expand_fwd: a plain 1-D launch */
    .infer = expand_infer,
    .forward = expand_forward,
    .backward = expand_backward,
    .flops = expand_flops,
};

static bool shape_equal(const struct gc_tensor *x, int ndim, const int64_t *shape)
{
    if (x->ndim != ndim) return false;
    for (int d = 0; d < ndim; d++)
        if (x->shape[d] != shape[d]) return false;
    return true;
}

static struct gc_tensor *shaped(struct gc_graph *g, enum gc_op op, struct gc_tensor *x, int ndim,
                                const int64_t *shape)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "%s: NULL input", gc__op_name(op));
    if (shape_equal(x, ndim, shape)) return x; /* nothing to do: no node */
    if (ndim < 1 || ndim > GC_MAX_DIMS)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: bad rank %d", gc__op_name(op), ndim);
    union gc_op_params p = {.shape = {.ndim = ndim}};
    for (int d = 0; d < ndim; d++) p.shape.shape[d] = shape[d];
    return gc__node1(g, op, x, &p);
}

struct gc_tensor *gc_sum_to(struct gc_graph *g, struct gc_tensor *x, int ndim,
                            const int64_t *shape)
{
    return shaped(g, GC_OP_SUM_TO, x, ndim, shape);
}

struct gc_tensor *gc_expand(struct gc_graph *g, struct gc_tensor *x, int ndim,
                            const int64_t *shape)
{
    return shaped(g, GC_OP_EXPAND, x, ndim, shape);
}

struct gc_tensor *gc_sum(struct gc_graph *g, struct gc_tensor *x)
{
    int64_t one = 1;
    return gc_sum_to(g, x, 1, &one);
}

struct gc_tensor *gc_mean(struct gc_graph *g, struct gc_tensor *x)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "mean: NULL input");
    return gc_scale(g, gc_sum(g, x), 1.0f / (float)x->numel, 0.0f);
}

struct gc_tensor *gc_sum_axis(struct gc_graph *g, struct gc_tensor *x, int axis, bool keepdim)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "sum_axis: NULL input");
    if (axis < 0) axis += x->ndim;
    if (axis < 0 || axis >= x->ndim)
        return gc__graph_fail(g, GC_INVALID_ARG, "sum_axis: axis out of range");
    int64_t shape[GC_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = d == axis ? 1 : x->shape[d];
    struct gc_tensor *s = x->shape[axis] == 1 ? x : gc_sum_to(g, x, x->ndim, shape);
    if (keepdim || x->ndim == 1) return s;
    int64_t dropped[GC_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis) dropped[nd++] = x->shape[d];
    return gc_reshape(g, s, nd, dropped);
}

struct gc_tensor *gc_mean_axis(struct gc_graph *g, struct gc_tensor *x, int axis, bool keepdim)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "mean_axis: NULL input");
    int a = axis < 0 ? axis + x->ndim : axis;
    float inv = a >= 0 && a < x->ndim ? 1.0f / (float)x->shape[a] : 1.0f;
    return gc_scale(g, gc_sum_axis(g, x, axis, keepdim), inv, 0.0f);
}
