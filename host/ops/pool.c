/* SPDX-License-Identifier: MIT */
/* Pooling and bilinear resizing (include/gancl/nn_ops.h), PyTorch semantics,
 * for Inception-v3 (host/eval/inception.c). Kernels: cl/pool.cl.
 *
 * Every op here is closed under differentiation with a partner of this file,
 * so gradients of gradients work as everywhere else:
 *   max_pool(v, x)           v at the argmax of x's window; max_pool2d(x) is
 *                            max_pool(x, x). d/dv = max_pool_backward(dy, x);
 *                            d/dx = 0 (x only selects, as in PyTorch).
 *   max_pool_backward(d, x)  d routed to the argmax positions of x's windows
 *                            (linear in d): d/dd = max_pool(dy, x), d/dx = 0.
 *   avg_pool <-> avg_pool_backward, resize_bilinear <-> resize_bilinear_backward:
 *                            linear maps and their adjoints (transposes).
 * The adjoints are gathers (an input position sums the outputs that read it),
 * so they need no atomics and no zero-fill. */
#include <limits.h>
#include <string.h>

#include "gancl/nn_ops.h"
#include "graph/graph_impl.h"

/* Square windows: kernel k, stride s, zero padding p (max: -inf padding).
 * h, w: the pooled input's size, for the backward ops whose input is the
 * small side. include_pad: avg_pool's count_include_pad. */
struct pool_params {
    int k, s, p;
    int include_pad;
    int h, w;
};
_Static_assert(sizeof(struct pool_params) <= sizeof(((union gc_op_params *)0)->raw),
               "pool params must fit the op parameter union");

static struct pool_params pool_of(const struct gc_tensor *t)
{
    struct pool_params p;
    memcpy(&p, t->p.raw, sizeof p);
    return p;
}

static gc_status need_4d(const struct gc_tensor *x, const char *op)
{
    char s[64];
    if (x->ndim != 4)
        return gc_error(GC_INVALID_ARG, "%s: input %s must be (N, C, H, W)", op,
                        gc__shape_str(x, s, sizeof s));
    if (x->numel > INT_MAX / 4)
        return gc_error(GC_UNSUPPORTED, "%s: input %s too large for 32-bit indexing", op,
                        gc__shape_str(x, s, sizeof s));
    return GC_OK;
}

static int64_t pooled(int64_t n, const struct pool_params *p)
{
    return (n + 2 * p->p - p->k) / p->s + 1;
}

/* ---- max_pool / max_pool_backward ------------------------------------------ */
// v, x: (N, C, H, W) -> (N, C, OH, OW)
static gc_status max_pool_infer(struct gc_tensor *t)
{
    const struct gc_tensor *v = t->in[0], *x = t->in[1];
    gc_status s = need_4d(x, "max_pool");
    if (s != GC_OK) return s;
    if (!gc__same_shape(v, x)) return gc_error(GC_INVALID_ARG, "max_pool: v and x differ in shape");
    struct pool_params p = pool_of(t);
    if (x->shape[2] + 2 * p.p < p.k || x->shape[3] + 2 * p.p < p.k)
        return gc_error(GC_INVALID_ARG, "max_pool: window %d larger than the padded input", p.k);
    int64_t shape[4] = {x->shape[0], x->shape[1], pooled(x->shape[2], &p), pooled(x->shape[3], &p)};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

// dy: (N, C, OH, OW), x: (N, C, H, W) -> (N, C, H, W)
static gc_status max_pool_backward_infer(struct gc_tensor *t)
{
    const struct gc_tensor *dy = t->in[0], *x = t->in[1];
    gc_status s = need_4d(x, "max_pool_backward");
    if (s == GC_OK) s = need_4d(dy, "max_pool_backward");
    if (s != GC_OK) return s;
    struct pool_params p = pool_of(t);
    if (dy->shape[0] != x->shape[0] || dy->shape[1] != x->shape[1] ||
        dy->shape[2] != pooled(x->shape[2], &p) || dy->shape[3] != pooled(x->shape[3], &p))
        return gc_error(GC_INVALID_ARG, "max_pool_backward: dy is not the pooled size of x");
    gc__set_shape(t, 4, x->shape);
    return GC_OK;
}

/* Loop bounds of the pool kernels (see gc__loop_budget): a k x k window scan; the adjoints
 * visit the ceil(k / s) x ceil(k / s) windows that can reach an input element, max_pool_bwd
 * rescanning each window for its argmax. Shapes beyond a loop-limited device's budget are
 * refused (k <= 64: only large windows with small strides get there, e.g. k 16, stride 1). */
static int64_t window_trips(int64_t k)
{
    return gc__loops(k) + k * gc__loops(k);
}

static gc_status pool_loops(struct gc_exec *ex, const struct pool_params *p, bool fwd, bool max)
{
    int64_t nw = (p->k + p->s - 1) / p->s;
    int64_t trips = fwd ? window_trips(p->k)
                        : gc__loops(nw) + nw * (gc__loops(nw) + (max ? nw * window_trips(p->k) : 0));
    return gc__loop_check(ex->dev, 1 + trips, max ? "max_pool" : "avg_pool");
}

/* Both kernels take (out, v-or-dy, x), x's shape and the pooled size. */
static gc_status max_pool_forward(struct gc_exec *ex, const struct gc_tensor *t)
{
    cl_kernel k;
    bool fwd = t->op == GC_OP_MAX_POOL;
    struct pool_params p = pool_of(t);
    gc_status s = pool_loops(ex, &p, fwd, true);
    if (s == GC_OK)
        s = gc__exec_kernel(ex, 0, "pool", "", fwd ? "max_pool_fwd" : "max_pool_bwd", &k);
    if (s != GC_OK) return s;
    const struct gc_tensor *x = t->in[1], *small = fwd ? t : t->in[0];
    struct gc_buf y = gc__exec_buf(ex, t), a = gc__exec_buf(ex, t->in[0]), b = gc__exec_buf(ex, x);
    cl_int4 xs = {
        {(cl_int)x->shape[0], (cl_int)x->shape[1], (cl_int)x->shape[2], (cl_int)x->shape[3]}};
    cl_int4 g = {{p.k, p.s, p.p, 0}};
    cl_int oh = (cl_int)small->shape[2], ow = (cl_int)small->shape[3];
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off), GC_KA(b.mem),
                             GC_KA(b.off), GC_KA(xs),    GC_KA(oh),    GC_KA(ow),    GC_KA(g)};
    return gc__launch_1d(ex, k, 10, args, t->numel);
}

static struct gc_tensor *pool_node(struct gc_graph *g, enum gc_op op, int n_in, struct gc_tensor *a,
                                   struct gc_tensor *b, struct pool_params p)
{
    if (p.k < 1 || p.k > 64 || p.s < 1 || p.s > 64 || p.p < 0 || 2 * p.p > p.k)
        return gc__graph_fail(g, GC_INVALID_ARG,
                              "%s: kernel %d, stride %d, padding %d (need 1..64, pad <= k/2)",
                              gc__op_name(op), p.k, p.s, p.p);
    if (!a || (n_in == 2 && !b))
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: NULL input", gc__op_name(op));
    union gc_op_params u;
    memset(&u, 0, sizeof u);
    memcpy(u.raw, &p, sizeof p);
    return n_in == 2 ? gc__node2(g, op, a, b, &u) : gc__node1(g, op, a, &u);
}

struct gc_tensor *gc_max_pool2d(struct gc_graph *g, struct gc_tensor *x, int k, int stride, int pad)
{
    return pool_node(g, GC_OP_MAX_POOL, 2, x, x, (struct pool_params){k, stride, pad, 0, 0, 0});
}

struct gc_tensor *gc_max_pool2d_select(struct gc_graph *g, struct gc_tensor *v, struct gc_tensor *x,
                                       int k, int stride, int pad)
{
    return pool_node(g, GC_OP_MAX_POOL, 2, v, x, (struct pool_params){k, stride, pad, 0, 0, 0});
}

struct gc_tensor *gc_max_pool2d_backward(struct gc_graph *g, struct gc_tensor *dy,
                                         struct gc_tensor *x, int k, int stride, int pad)
{
    return pool_node(g, GC_OP_MAX_POOL_BACKWARD, 2, dy, x,
                     (struct pool_params){k, stride, pad, 0, 0, 0});
}

/* Input 0 gets the partner op of the same geometry; x (input 1) only
 * selects, so its gradient is zero (left NULL). */
static gc_status max_pool_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                   const bool *need, struct gc_tensor **dx)
{
    struct pool_params p = pool_of(t);
    enum gc_op adj = t->op == GC_OP_MAX_POOL ? GC_OP_MAX_POOL_BACKWARD : GC_OP_MAX_POOL;
    if (need[0]) dx[0] = pool_node(g, adj, 2, dy, t->in[1], p);
    return gc_graph_status(g);
}

static double window_flops(const struct gc_tensor *t)
{
    struct pool_params p = pool_of(t);
    return (double)t->numel * p.k * p.k; /* one compare or add per window element */
}

const struct gc_op_desc gc__op_desc_max_pool = {.name = "max_pool",
                                                .program = "pool",
                                                .infer = max_pool_infer,
                                                .forward = max_pool_forward,
                                                .backward = max_pool_backward,
                                                .flops = window_flops};

const struct gc_op_desc gc__op_desc_max_pool_backward = {.name = "max_pool_backward",
                                                         .program = "pool",
                                                         .infer = max_pool_backward_infer,
                                                         .forward = max_pool_forward,
                                                         .backward = max_pool_backward,
                                                         .flops = window_flops};

/* ---- avg_pool / avg_pool_backward ------------------------------------------ */
// x: (N, C, H, W) -> (N, C, OH, OW)
static gc_status avg_pool_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0];
    gc_status s = need_4d(x, "avg_pool");
    if (s != GC_OK) return s;
    struct pool_params p = pool_of(t);
    if (x->shape[2] + 2 * p.p < p.k || x->shape[3] + 2 * p.p < p.k)
        return gc_error(GC_INVALID_ARG, "avg_pool: window %d larger than the padded input", p.k);
    int64_t shape[4] = {x->shape[0], x->shape[1], pooled(x->shape[2], &p), pooled(x->shape[3], &p)};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

// dy: (N, C, OH, OW) -> (N, C, H, W) with (H, W) from the params
static gc_status avg_pool_backward_infer(struct gc_tensor *t)
{
    const struct gc_tensor *dy = t->in[0];
    gc_status s = need_4d(dy, "avg_pool_backward");
    if (s != GC_OK) return s;
    struct pool_params p = pool_of(t);
    if (p.h < 1 || p.w < 1 || dy->shape[2] != pooled(p.h, &p) || dy->shape[3] != pooled(p.w, &p))
        return gc_error(GC_INVALID_ARG, "avg_pool_backward: dy is not the pooled size of %dx%d",
                        p.h, p.w);
    int64_t shape[4] = {dy->shape[0], dy->shape[1], p.h, p.w};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

static gc_status avg_pool_forward(struct gc_exec *ex, const struct gc_tensor *t)
{
    cl_kernel k;
    bool fwd = t->op == GC_OP_AVG_POOL;
    struct pool_params p = pool_of(t);
    gc_status s = pool_loops(ex, &p, fwd, false);
    if (s == GC_OK)
        s = gc__exec_kernel(ex, 0, "pool", "", fwd ? "avg_pool_fwd" : "avg_pool_bwd", &k);
    if (s != GC_OK) return s;
    const struct gc_tensor *big = fwd ? t->in[0] : t, *small = fwd ? t : t->in[0];
    struct gc_buf y = gc__exec_buf(ex, t), a = gc__exec_buf(ex, t->in[0]);
    cl_int4 xs = {{(cl_int)big->shape[0], (cl_int)big->shape[1], (cl_int)big->shape[2],
                   (cl_int)big->shape[3]}};
    cl_int4 g = {{p.k, p.s, p.p, p.include_pad}};
    cl_int oh = (cl_int)small->shape[2], ow = (cl_int)small->shape[3];
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                             GC_KA(xs),    GC_KA(oh),    GC_KA(ow),    GC_KA(g)};
    return gc__launch_1d(ex, k, 8, args, t->numel);
}

struct gc_tensor *gc_avg_pool2d(struct gc_graph *g, struct gc_tensor *x, int k, int stride, int pad,
                                bool count_include_pad)
{
    return pool_node(g, GC_OP_AVG_POOL, 1, x, NULL,
                     (struct pool_params){k, stride, pad, count_include_pad, 0, 0});
}

struct gc_tensor *gc_avg_pool2d_backward(struct gc_graph *g, struct gc_tensor *dy, int h, int w,
                                         int k, int stride, int pad, bool count_include_pad)
{
    return pool_node(g, GC_OP_AVG_POOL_BACKWARD, 1, dy, NULL,
                     (struct pool_params){k, stride, pad, count_include_pad, h, w});
}

static gc_status avg_pool_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                   const bool *need, struct gc_tensor **dx)
{
    (void)need;
    struct pool_params p = pool_of(t);
    if (t->op == GC_OP_AVG_POOL) {
        p.h = (int)t->in[0]->shape[2], p.w = (int)t->in[0]->shape[3];
        dx[0] = pool_node(g, GC_OP_AVG_POOL_BACKWARD, 1, dy, NULL, p);
    } else {
        p.h = p.w = 0;
        dx[0] = pool_node(g, GC_OP_AVG_POOL, 1, dy, NULL, p);
    }
    return gc_graph_status(g);
}

const struct gc_op_desc gc__op_desc_avg_pool = {.name = "avg_pool",
                                                .program = "pool",
                                                .infer = avg_pool_infer,
                                                .forward = avg_pool_forward,
                                                .backward = avg_pool_backward,
                                                .flops = window_flops};

const struct gc_op_desc gc__op_desc_avg_pool_backward = {.name = "avg_pool_backward",
                                                         .program = "pool",
                                                         .infer = avg_pool_backward_infer,
                                                         .forward = avg_pool_forward,
                                                         .backward = avg_pool_backward,
                                                         .flops = window_flops};

/* ---- resize_bilinear / resize_bilinear_backward ----------------------------- */
/* The resized size (oh, ow) for the forward; the original (h, w) for the
 * backward: the params always hold the side that is not the input. */
struct resize_params {
    int h, w;
};

static struct resize_params resize_of(const struct gc_tensor *t)
{
    struct resize_params p;
    memcpy(&p, t->p.raw, sizeof p);
    return p;
}

static gc_status resize_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0];
    gc_status s = need_4d(x, gc__op_name(t->op));
    if (s != GC_OK) return s;
    struct resize_params p = resize_of(t);
    int64_t shape[4] = {x->shape[0], x->shape[1], p.h, p.w};
    if ((int64_t)p.h * p.w * x->shape[0] * x->shape[1] > INT_MAX / 4)
        return gc_error(GC_UNSUPPORTED, "%s: output too large for 32-bit indexing",
                        gc__op_name(t->op));
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

static gc_status resize_forward(struct gc_exec *ex, const struct gc_tensor *t)
{
    cl_kernel k;
    bool fwd = t->op == GC_OP_RESIZE_BILINEAR;
    gc_status s = gc__exec_kernel(ex, 0, "pool", "", fwd ? "resize_fwd" : "resize_bwd", &k);
    if (s != GC_OK) return s;
    const struct gc_tensor *src = fwd ? t->in[0] : t, *dst = fwd ? t : t->in[0];
    struct gc_buf y = gc__exec_buf(ex, t), a = gc__exec_buf(ex, t->in[0]);
    cl_int4 xs = {{(cl_int)src->shape[0], (cl_int)src->shape[1], (cl_int)src->shape[2],
                   (cl_int)src->shape[3]}};
    cl_int oh = (cl_int)dst->shape[2], ow = (cl_int)dst->shape[3];
    if (!fwd) { /* resize_bwd: the outputs [lo, hi] of lin_range, at most 2 m / n + 6 a side
                 * and at most m (llvmpipe: 2x2 -> 300x300 used ~52,000, 2x2 -> 400x400 all) */
        int64_t ny = 2 * (((int64_t)oh + xs.s[2] - 1) / xs.s[2]) + 6;
        int64_t nx = 2 * (((int64_t)ow + xs.s[3] - 1) / xs.s[3]) + 6;
        ny = ny < oh ? ny : oh;
        nx = nx < ow ? nx : ow;
        s = gc__loop_check(ex->dev, 1 + gc__loops(ny) + ny * gc__loops(nx), "resize_bilinear");
        if (s != GC_OK) return s;
    }
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                             GC_KA(xs),    GC_KA(oh),    GC_KA(ow)};
    return gc__launch_1d(ex, k, 7, args, t->numel);
}

static struct gc_tensor *resize_node(struct gc_graph *g, enum gc_op op, struct gc_tensor *x, int h,
                                     int w)
{
    if (h < 1 || w < 1 || h > 16384 || w > 16384)
        return gc__graph_fail(g, GC_INVALID_ARG, "%s: size %dx%d outside 1..16384", gc__op_name(op),
                              h, w);
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "%s: NULL input", gc__op_name(op));
    union gc_op_params u;
    memset(&u, 0, sizeof u);
    struct resize_params p = {h, w};
    memcpy(u.raw, &p, sizeof p);
    return gc__node1(g, op, x, &u);
}

struct gc_tensor *gc_resize_bilinear(struct gc_graph *g, struct gc_tensor *x, int oh, int ow)
{
    return resize_node(g, GC_OP_RESIZE_BILINEAR, x, oh, ow);
}

struct gc_tensor *gc_resize_bilinear_backward(struct gc_graph *g, struct gc_tensor *dy, int h,
                                              int w)
{
    return resize_node(g, GC_OP_RESIZE_BILINEAR_BACKWARD, dy, h, w);
}

static gc_status resize_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    (void)need;
    enum gc_op adj =
        t->op == GC_OP_RESIZE_BILINEAR ? GC_OP_RESIZE_BILINEAR_BACKWARD : GC_OP_RESIZE_BILINEAR;
    dx[0] = resize_node(g, adj, dy, (int)t->in[0]->shape[2], (int)t->in[0]->shape[3]);
    return gc_graph_status(g);
}

static double resize_flops(const struct gc_tensor *t)
{
    return 6.0 * (double)t->numel; /* 4 multiplies, 3 adds per output of the forward */
}

const struct gc_op_desc gc__op_desc_resize_bilinear = {.name = "resize_bilinear",
                                                       .program = "pool",
                                                       .infer = resize_infer,
                                                       .forward = resize_forward,
                                                       .backward = resize_backward,
                                                       .flops = resize_flops};

const struct gc_op_desc gc__op_desc_resize_bilinear_backward = {.name = "resize_bilinear_backward",
                                                                .program = "pool",
                                                                .infer = resize_infer,
                                                                .forward = resize_forward,
                                                                .backward = resize_backward,
                                                                .flops = resize_flops};
