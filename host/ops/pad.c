/* SPDX-License-Identifier: MIT */
/* 2-D padding (zero, reflection, replicate) and its adjoint, nearest
 * upsampling and its adjoint (sum pooling). Kernels: cl/pad.cl.
 *
 * Each op's gradient is its adjoint, another op of this file: pad <->
 * pad_backward, upsample_nearest <-> sum_pool. All four are linear, so the
 * pair is closed under differentiation and any number of backward passes
 * works. The adjoints are gathers (every input position sums the output
 * positions that copied it), so they need no atomics and no zero-fill. */
#include <limits.h>
#include <string.h>

#include "gancl/nn_ops.h"
#include "graph/graph_impl.h"

/* Op parameters live in union gc_op_params' raw bytes (the union belongs to
 * the graph core; families without a member there copy their own struct in
 * and out). */
struct pad_params {
    int mode; /* enum gc_pad_mode */
    int left, right, top, bottom;
};
struct resample_params {
    int factor;
};
_Static_assert(sizeof(struct pad_params) <= sizeof(((union gc_op_params *)0)->raw),
               "pad params must fit the op parameter union");

static struct pad_params pad_of(const struct gc_tensor *t)
{
    struct pad_params p;
    memcpy(&p, t->p.raw, sizeof p);
    return p;
}

static int factor_of(const struct gc_tensor *t)
{
    struct resample_params p;
    memcpy(&p, t->p.raw, sizeof p);
    return p.factor;
}

static gc_status need_4d(const struct gc_tensor *t, const char *op)
{
    const struct gc_tensor *x = t->in[0];
    char s[64];
    if (x->ndim != 4)
        return gc_error(GC_INVALID_ARG, "%s: input %s must be (N, C, H, W)", op,
                        gc__shape_str(x, s, sizeof s));
    if (x->numel > INT_MAX / 4)
        return gc_error(GC_UNSUPPORTED, "%s: input %s too large for 32-bit indexing", op,
                        gc__shape_str(x, s, sizeof s));
    return GC_OK;
}

/* ---- pad / pad_backward -------------------------------------------------- */
// x: (N, C, H, W) -> (N, C, top + H + bottom, left + W + right)
static gc_status pad_infer(struct gc_tensor *t)
{
    gc_status s = need_4d(t, "pad");
    if (s != GC_OK) return s;
    struct pad_params p = pad_of(t);
    const int64_t *xs = t->in[0]->shape;
    if (p.mode == GC_PAD_REFLECT &&
        (p.top >= xs[2] || p.bottom >= xs[2] || p.left >= xs[3] || p.right >= xs[3]))
        return gc_error(GC_INVALID_ARG,
                        "pad: reflection amounts (%d,%d,%d,%d) must be < the dims (%lld,%lld)",
                        p.left, p.right, p.top, p.bottom, (long long)xs[2], (long long)xs[3]);
    int64_t shape[4] = {xs[0], xs[1], xs[2] + p.top + p.bottom, xs[3] + p.left + p.right};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

// dy: (N, C, OH, OW) -> (N, C, OH - top - bottom, OW - left - right)
static gc_status pad_backward_infer(struct gc_tensor *t)
{
    gc_status s = need_4d(t, "pad_backward");
    if (s != GC_OK) return s;
    struct pad_params p = pad_of(t);
    const int64_t *ys = t->in[0]->shape;
    int64_t shape[4] = {ys[0], ys[1], ys[2] - p.top - p.bottom, ys[3] - p.left - p.right};
    if (shape[2] < 1 || shape[3] < 1)
        return gc_error(GC_INVALID_ARG, "pad_backward: padding exceeds the gradient's size");
    if (p.mode == GC_PAD_REFLECT &&
        (p.top >= shape[2] || p.bottom >= shape[2] || p.left >= shape[3] || p.right >= shape[3]))
        return gc_error(GC_INVALID_ARG, "pad_backward: reflection amounts must be < the dims");
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

/* Both kernels take the unpadded shape xs and the padded OH, OW. */
static gc_status pad_launch(struct gc_exec *x, const struct gc_tensor *t, const char *kernel,
                            const struct gc_tensor *small, const struct gc_tensor *big)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "pad", "", kernel, &k);
    if (s != GC_OK) return s;
    struct pad_params p = pad_of(t);
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    cl_int4 xs = {{(cl_int)small->shape[0], (cl_int)small->shape[1], (cl_int)small->shape[2],
                   (cl_int)small->shape[3]}};
    cl_int oh = (cl_int)big->shape[2], ow = (cl_int)big->shape[3];
    cl_int mode = p.mode, left = p.left, top = p.top;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off), GC_KA(xs),
                             GC_KA(oh),    GC_KA(ow),    GC_KA(mode),  GC_KA(left),  GC_KA(top)};
    return gc__launch_1d(x, k, 10, args, t->numel);
}

static gc_status pad_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    return pad_launch(x, t, "pad_fwd", t->in[0], t);
}

/* pad_bwd_data's loops (see gc__loop_budget): up to 3 ranges a side whose positions total at
 * most 1 + before + after (replicate's edge bands: a huge pad of a thin input is refused on a
 * loop-limited device). */
static gc_status pad_bwd_loops(struct gc_exec *x, const struct pad_params *p)
{
    int64_t lh = 1 + p->top + p->bottom, lw = 1 + p->left + p->right;
    int64_t trips = 1 + gc__loops(3) + 3 + lh * (gc__loops(3) + 3 + lw);
    return gc__loop_check(x->dev, trips, "pad_backward");
}

static gc_status pad_backward_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    struct pad_params p = pad_of(t);
    gc_status s = pad_bwd_loops(x, &p);
    if (s != GC_OK) return s;
    return pad_launch(x, t, "pad_bwd_data", t, t->in[0]);
}

static struct gc_tensor *pad_node(struct gc_graph *g, enum gc_op op, struct gc_tensor *x,
                                  struct pad_params p)
{
    if (p.mode < GC_PAD_ZERO || p.mode > GC_PAD_REPLICATE)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: unknown mode %d", gc__op_name(op), p.mode);
    if (p.left < 0 || p.right < 0 || p.top < 0 || p.bottom < 0)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: negative padding", gc__op_name(op));
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "%s: NULL input", gc__op_name(op));
    if (p.left + p.right + p.top + p.bottom == 0) return x; /* identity: no node */
    union gc_op_params u;
    memset(&u, 0, sizeof u);
    memcpy(u.raw, &p, sizeof p);
    return gc__node1(g, op, x, &u);
}

struct gc_tensor *gc_pad2d(struct gc_graph *g, struct gc_tensor *x, enum gc_pad_mode mode, int left,
                           int right, int top, int bottom)
{
    return pad_node(g, GC_OP_PAD, x, (struct pad_params){(int)mode, left, right, top, bottom});
}

struct gc_tensor *gc_pad2d_backward(struct gc_graph *g, struct gc_tensor *dy, enum gc_pad_mode mode,
                                    int left, int right, int top, int bottom)
{
    return pad_node(g, GC_OP_PAD_BACKWARD, dy,
                    (struct pad_params){(int)mode, left, right, top, bottom});
}

static gc_status pad_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                              const bool *need, struct gc_tensor **dx)
{
    (void)need;
    struct pad_params p = pad_of(t);
    enum gc_op adj = t->op == GC_OP_PAD ? GC_OP_PAD_BACKWARD : GC_OP_PAD;
    dx[0] = pad_node(g, adj, dy, p);
    return gc_graph_status(g);
}

static double zero_flops(const struct gc_tensor *t)
{
    (void)t;
    return 0;
}

static double input_flops(const struct gc_tensor *t)
{
    return (double)t->in[0]->numel; /* one add per input element (adjoints) */
}

const struct gc_op_desc gc__op_desc_pad = {.name = "pad",
                                           .program = "pad",
                                           .infer = pad_infer,
                                           .forward = pad_forward,
                                           .backward = pad_backward,
                                           .flops = zero_flops};

const struct gc_op_desc gc__op_desc_pad_backward = {.name = "pad_backward",
                                                    .program = "pad",
                                                    .infer = pad_backward_infer,
                                                    .forward = pad_backward_forward,
                                                    .backward = pad_backward,
                                                    .flops = input_flops};

/* ---- upsample_nearest / sum_pool ---------------------------------------- */
// x: (N, C, H, W) -> (N, C, sH, sW)
static gc_status upsample_infer(struct gc_tensor *t)
{
    gc_status s = need_4d(t, "upsample_nearest");
    if (s != GC_OK) return s;
    int f = factor_of(t);
    const int64_t *xs = t->in[0]->shape;
    int64_t shape[4] = {xs[0], xs[1], xs[2] * f, xs[3] * f};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

// x: (N, C, kH, kW) -> (N, C, H, W)
static gc_status sum_pool_infer(struct gc_tensor *t)
{
    gc_status s = need_4d(t, "sum_pool");
    if (s != GC_OK) return s;
    int f = factor_of(t);
    const int64_t *xs = t->in[0]->shape;
    if (xs[2] % f || xs[3] % f) {
        char b[64];
        return gc_error(GC_INVALID_ARG, "sum_pool: %s is not a multiple of the window %d",
                        gc__shape_str(t->in[0], b, sizeof b), f);
    }
    int64_t shape[4] = {xs[0], xs[1], xs[2] / f, xs[3] / f};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

static gc_status resample_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    bool up = t->op == GC_OP_UPSAMPLE_NEAREST;
    int64_t fl = factor_of(t); /* sum_pool_fwd: an f x f window */
    gc_status s = up ? GC_OK : gc__loop_check(x->dev, 1 + gc__loops(fl) + fl * gc__loops(fl), "sum_pool");
    if (s == GC_OK)
        s = gc__exec_kernel(x, 0, "pad", "", up ? "upsample_fwd" : "sum_pool_fwd", &k);
    if (s != GC_OK) return s;
    /* both kernels index the small (H, W) side */
    const struct gc_tensor *small = up ? t->in[0] : t;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    cl_int h = (cl_int)small->shape[2], w = (cl_int)small->shape[3], f = factor_of(t);
    cl_int n = (cl_int)t->numel;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                             GC_KA(n),     GC_KA(h),     GC_KA(w),     GC_KA(f)};
    return gc__launch_1d(x, k, 8, args, t->numel);
}

static struct gc_tensor *resample_node(struct gc_graph *g, enum gc_op op, struct gc_tensor *x,
                                       int f)
{
    if (f < 1 || f > 64)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: factor %d outside 1..64", gc__op_name(op), f);
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "%s: NULL input", gc__op_name(op));
    if (f == 1) return x;
    union gc_op_params u;
    memset(&u, 0, sizeof u);
    struct resample_params p = {f};
    memcpy(u.raw, &p, sizeof p);
    return gc__node1(g, op, x, &u);
}

struct gc_tensor *gc_upsample_nearest(struct gc_graph *g, struct gc_tensor *x, int scale)
{
    return resample_node(g, GC_OP_UPSAMPLE_NEAREST, x, scale);
}

struct gc_tensor *gc_sum_pool(struct gc_graph *g, struct gc_tensor *x, int k)
{
    return resample_node(g, GC_OP_SUM_POOL, x, k);
}

static gc_status resample_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                   const bool *need, struct gc_tensor **dx)
{
    (void)need;
    enum gc_op adj = t->op == GC_OP_UPSAMPLE_NEAREST ? GC_OP_SUM_POOL : GC_OP_UPSAMPLE_NEAREST;
    dx[0] = resample_node(g, adj, dy, factor_of(t));
    return gc_graph_status(g);
}

const struct gc_op_desc gc__op_desc_upsample_nearest = {.name = "upsample_nearest",
                                                        .program = "pad",
                                                        .infer = upsample_infer,
                                                        .forward = resample_forward,
                                                        .backward = resample_backward,
                                                        .flops = zero_flops};

const struct gc_op_desc gc__op_desc_sum_pool = {.name = "sum_pool",
                                                .program = "pad",
                                                .infer = sum_pool_infer,
                                                .forward = resample_forward,
                                                .backward = resample_backward,
                                                .flops = input_flops};
