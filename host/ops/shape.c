/* SPDX-License-Identifier: MIT */
/* Sources (input, param), views (reshape, detach) and data movement
 * (channel concat / slice, fill). Kernels: cl/shape.cl, cl/tensor.cl. */
#include <string.h>

#include "graph/graph_impl.h"

const struct gc_op_desc gc__op_desc_input = {.name = "input"};
const struct gc_op_desc gc__op_desc_param = {.name = "param"};

/* ---- views ---------------------------------------------------------------- */
static gc_status reshape_infer(struct gc_tensor *t)
{
    const struct gc_shape_params *sp = &t->p.shape;
    int64_t shape[GC_MAX_DIMS], known = 1;
    int infer_at = -1;
    for (int d = 0; d < sp->ndim; d++) {
        shape[d] = sp->shape[d];
        if (shape[d] == -1 && infer_at < 0) infer_at = d;
        else if (shape[d] < 1) return gc_error(GC_INVALID_ARG, "reshape: bad dimension");
        else known *= shape[d];
    }
    if (infer_at >= 0) shape[infer_at] = known ? t->in[0]->numel / known : 0;
    int64_t n = 1;
    for (int d = 0; d < sp->ndim; d++) n *= shape[d];
    if (n != t->in[0]->numel) {
        char s[64];
        return gc_error(GC_INVALID_ARG, "reshape: %s has %lld elements, the new shape %lld",
                        gc__shape_str(t->in[0], s, sizeof s), (long long)t->in[0]->numel,
                        (long long)n);
    }
    gc__set_shape(t, sp->ndim, shape);
    return GC_OK;
}

static gc_status reshape_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                  const bool *need, struct gc_tensor **dx)
{
    (void)need;
    dx[0] = gc_reshape(g, dy, t->in[0]->ndim, t->in[0]->shape);
    return gc_graph_status(g);
}

static gc_status same_infer(struct gc_tensor *t)
{
    gc__set_shape(t, t->in[0]->ndim, t->in[0]->shape);
    return GC_OK;
}

const struct gc_op_desc gc__op_desc_reshape = {
    .name = "reshape", .is_view = true, .infer = reshape_infer, .backward = reshape_backward};
const struct gc_op_desc gc__op_desc_detach = {
    .name = "detach", .is_view = true, .infer = same_infer, .zero_grad = true};

struct gc_tensor *gc_reshape(struct gc_graph *g, struct gc_tensor *x, int ndim,
                             const int64_t *shape)
{
    if (ndim < 1 || ndim > GC_MAX_DIMS)
        return gc__graph_fail(g, GC_INVALID_ARG, "reshape: bad rank %d", ndim);
    union gc_op_params p = {.shape = {.ndim = ndim}};
    memcpy(p.shape.shape, shape, sizeof(int64_t) * (size_t)ndim);
    return gc__node1(g, GC_OP_RESHAPE, x, &p);
}

struct gc_tensor *gc_flatten(struct gc_graph *g, struct gc_tensor *x)
{
    if (!x) return gc__graph_fail(g, GC_INVALID_ARG, "flatten: NULL input");
    int64_t shape[2] = {x->shape[0], x->numel / x->shape[0]};
    return gc_reshape(g, x, 2, shape);
}

struct gc_tensor *gc_detach(struct gc_graph *g, struct gc_tensor *x)
{
    return gc__node1(g, GC_OP_DETACH, x, NULL);
}

/* ---- fill ------------------------------------------------------------------ */
static gc_status fill_infer(struct gc_tensor *t)
{
    gc__set_shape(t, t->p.fill.ndim, t->p.fill.shape);
    return GC_OK;
}

static gc_status fill_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "tensor", "", "fill_f32", &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t);
    cl_ulong n = (cl_ulong)t->numel;
    float v = t->p.fill.value;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(v), GC_KA(n)};
    return gc__launch_1d(x, k, 4, args, t->numel);
}

static double zero_flops(const struct gc_tensor *t)
{
    (void)t;
    return 0;
}

const struct gc_op_desc gc__op_desc_fill = {.name = "fill",
                                            .program = "tensor",
                                            .infer = fill_infer,
                                            .forward = fill_forward,
                                            .zero_grad = true,
                                            .flops = zero_flops};

struct gc_tensor *gc_fill(struct gc_graph *g, float value, int ndim, const int64_t *shape)
{
    if (!shape || ndim < 1 || ndim > GC_MAX_DIMS)
        return gc__graph_fail(g, GC_INVALID_ARG, "fill: bad shape");
    union gc_op_params p = {.fill = {.value = value, .ndim = ndim}};
    memcpy(p.fill.shape, shape, sizeof(int64_t) * (size_t)ndim);
    return gc__node(g, GC_OP_FILL, 0, NULL, &p);
}

/* ---- concat / slice along dim 1 -------------------------------------------- */
static int64_t inner_of(const struct gc_tensor *t)
{
    int64_t n = 1;
    for (int d = 2; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

static gc_status concat_infer(struct gc_tensor *t)
{
    const struct gc_tensor *a = t->in[0];
    int64_t c = 0;
    for (int i = 0; i < t->n_in; i++) {
        const struct gc_tensor *x = t->in[i];
        bool ok = x->ndim == a->ndim && x->ndim >= 2 && x->shape[0] == a->shape[0];
        for (int d = 2; ok && d < x->ndim; d++) ok = x->shape[d] == a->shape[d];
        if (!ok) return gc_error(GC_INVALID_ARG, "concat: input %d's shape does not match", i);
        c += x->shape[1];
    }
    int64_t shape[GC_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[1] = c;
    gc__set_shape(t, a->ndim, shape);
    return GC_OK;
}

static gc_status concat_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "shape", "", "concat_part", &k);
    struct gc_buf y = gc__exec_buf(x, t);
    cl_int n = (cl_int)t->shape[0], cy = (cl_int)t->shape[1], inner = (cl_int)inner_of(t);
    cl_int c_off = 0;
    for (int i = 0; i < t->n_in && s == GC_OK; i++) {
        struct gc_buf a = gc__exec_buf(x, t->in[i]);
        cl_int cx = (cl_int)t->in[i]->shape[1];
        struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem),   GC_KA(a.off),
                                 GC_KA(n),     GC_KA(cx),    GC_KA(cy),      GC_KA(c_off),
                                 GC_KA(inner)};
        s = gc__launch_1d(x, k, 9, args, t->in[i]->numel);
        c_off += cx;
    }
    return s;
}

static gc_status concat_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    int64_t off = 0;
    for (int i = 0; i < t->n_in; i++) {
        if (need[i]) dx[i] = gc_slice(g, dy, off, t->in[i]->shape[1]);
        off += t->in[i]->shape[1];
    }
    return gc_graph_status(g);
}

const struct gc_op_desc gc__op_desc_concat = {.name = "concat",
                                              .program = "shape",
                                              .infer = concat_infer,
                                              .forward = concat_forward,
                                              .backward = concat_backward,
                                              .flops = zero_flops};

struct gc_tensor *gc_concat(struct gc_graph *g, int n, struct gc_tensor *const *xs)
{
    if (n < 1 || n > GC_MAX_INPUTS)
        return gc__graph_fail(g, GC_INVALID_ARG, "concat: 1 to %d inputs", GC_MAX_INPUTS);
    return gc__node(g, GC_OP_CONCAT, n, xs, NULL);
}

static gc_status slice_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0];
    const struct gc_slice_params *sp = &t->p.slice;
    if (x->ndim < 2 || sp->start < 0 || sp->len < 1 || sp->start + sp->len > x->shape[1])
        return gc_error(GC_INVALID_ARG, "slice: channels [%lld, %lld) outside 0..%lld",
                        (long long)sp->start, (long long)(sp->start + sp->len),
                        (long long)(x->ndim >= 2 ? x->shape[1] : 0));
    int64_t shape[GC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[1] = sp->len;
    gc__set_shape(t, x->ndim, shape);
    return GC_OK;
}

static gc_status slice_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "shape", "", "slice_fwd", &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    cl_int n = (cl_int)t->shape[0], cx = (cl_int)t->in[0]->shape[1], cy = (cl_int)t->shape[1];
    cl_int c_off = (cl_int)t->p.slice.start, inner = (cl_int)inner_of(t);
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem),   GC_KA(a.off), GC_KA(n),
                             GC_KA(cx),    GC_KA(cy),    GC_KA(c_off),   GC_KA(inner)};
    return gc__launch_1d(x, k, 9, args, t->numel);
}

/* Gradient of a slice: dy placed into zeros = concat(0, dy, 0). */
static gc_status slice_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                const bool *need, struct gc_tensor **dx)
{
    (void)need;
    const struct gc_tensor *x = t->in[0];
    int64_t before = t->p.slice.start, after = x->shape[1] - before - t->p.slice.len;
    struct gc_tensor *parts[3];
    int np = 0;
    int64_t shape[GC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    if (before > 0) shape[1] = before, parts[np++] = gc_fill(g, 0.0f, x->ndim, shape);
    parts[np++] = dy;
    if (after > 0) shape[1] = after, parts[np++] = gc_fill(g, 0.0f, x->ndim, shape);
    dx[0] = np == 1 ? dy : gc_concat(g, np, parts);
    return gc_graph_status(g);
}

const struct gc_op_desc gc__op_desc_slice = {.name = "slice",
                                             .program = "shape",
                                             .infer = slice_infer,
                                             .forward = slice_forward,
                                             .backward = slice_backward,
                                             .flops = zero_flops};

struct gc_tensor *gc_slice(struct gc_graph *g, struct gc_tensor *x, int64_t start, int64_t len)
{
    union gc_op_params p = {.slice = {start, len}};
    return gc__node1(g, GC_OP_SLICE, x, &p);
}
