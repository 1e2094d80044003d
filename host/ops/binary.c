/* SPDX-License-Identifier: MIT */
/* Element-wise binary ops with NumPy broadcasting (add, sub, mul, div,
 * BCE-with-logits) and the builders made from them (bias add, losses).
 * Kernels: cl/binary.cl. A broadcast input's gradient is summed back to its
 * shape with sum_to, whose gradient is expand: both differentiable. */
#include "graph/graph_impl.h"

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_BCE_LOGITS };

static int code(enum gc_op op)
{
    switch (op) {
    case GC_OP_ADD: return B_ADD;
    case GC_OP_SUB: return B_SUB;
    case GC_OP_MUL: return B_MUL;
    case GC_OP_DIV: return B_DIV;
    default: return B_BCE_LOGITS;
    }
}

static gc_status binary_infer(struct gc_tensor *t)
{
    const struct gc_tensor *a = t->in[0], *b = t->in[1];
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t shape[GC_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
        int64_t x = da >= 0 ? a->shape[da] : 1, y = db >= 0 ? b->shape[db] : 1;
        if (x != y && x != 1 && y != 1) {
            char sa[64], sb[64];
            return gc_error(GC_INVALID_ARG, "%s: shapes %s and %s do not broadcast",
                            gc__op_descs[t->op]->name, gc__shape_str(a, sa, sizeof sa),
                            gc__shape_str(b, sb, sizeof sb));
        }
        shape[d] = x > y ? x : y;
    }
    gc__set_shape(t, nd, shape);
    return GC_OK;
}

/* Strides of `in` over t's 4-D output shape; 0 where `in` broadcasts. */
static cl_int4 bcast_strides(const struct gc_tensor *in, const int64_t y4[4])
{
    int64_t s4[4];
    gc__shape4(in, s4);
    cl_int4 st;
    int64_t stride = 1;
    for (int d = 3; d >= 0; d--) {
        st.s[d] = s4[d] == 1 && y4[d] != 1 ? 0 : (cl_int)stride;
        stride *= s4[d];
    }
    return st;
}

/* One input broadcast "by rows" (cl/binary.cl binary_rows): the other input
 * has y's shape, and the broadcast one's non-1 dims are one contiguous run of
 * y's 4-D dims [lo, hi], equal there: its element for y[i] is
 * (i / inner) % rmod with inner the product of y's dims after hi. Also needs
 * numel < 2^24 (the kernel's division-free quotient). */
static bool rows_layout(const struct gc_tensor *t, const struct gc_tensor *bc, cl_int *inner,
                        cl_int *rmod)
{
    int64_t y4[4], b4[4];
    gc__shape4(t, y4);
    gc__shape4(bc, b4);
    int lo = -1, hi = -1;
    for (int d = 0; d < 4; d++) {
        if (b4[d] == 1) continue;
        if (b4[d] != y4[d] || (hi >= 0 && hi != d - 1)) return false;
        if (lo < 0) lo = d;
        hi = d;
    }
    int64_t in = 1, rm = 1;
    for (int d = hi + 1; hi >= 0 && d < 4; d++) in *= y4[d];
    for (int d = lo; lo >= 0 && d <= hi; d++) rm *= b4[d];
    *inner = (cl_int)in;
    *rmod = (cl_int)rm;
    return t->numel < (1 << 24);
}

static gc_status binary_rows(struct gc_exec *x, const struct gc_tensor *t, const char *opts,
                             int bc_idx, cl_int inner, cl_int rmod)
{
    cl_kernel k;
    gc_status s = gc__exec_kernel(x, 0, "binary", opts, "binary_rows", &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t), f = gc__exec_buf(x, t->in[1 - bc_idx]),
                  b = gc__exec_buf(x, t->in[bc_idx]);
    cl_ulong n = (cl_ulong)t->numel;
    cl_float inv_inner = 1.0f / (float)inner, inv_rmod = 1.0f / (float)rmod;
    cl_int bfirst = bc_idx == 0, op = code(t->op);
    struct gc_karg args[] = {GC_KA(y.mem),     GC_KA(y.off),  GC_KA(f.mem),    GC_KA(f.off),
                             GC_KA(b.mem),     GC_KA(b.off),  GC_KA(n),        GC_KA(inner),
                             GC_KA(inv_inner), GC_KA(rmod),   GC_KA(inv_rmod), GC_KA(bfirst),
                             GC_KA(op)};
    return gc__launch_ew(x, k, 13, args, t->numel, gc__exec_tunables(x));
}

static gc_status binary_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]),
                  b = gc__exec_buf(x, t->in[1]);
    cl_int op = code(t->op);
    cl_kernel k;
    gc_status s;
    char opts[64];
    const int *tv = gc__exec_tunables(x);
    gc__op_options(gc__op_descs[t->op], tv, opts, sizeof opts);
    bool fa = gc__same_shape(t->in[0], t), fb = gc__same_shape(t->in[1], t);
    if (fa && fb) {
        s = gc__exec_kernel(x, 0, "binary", opts, "binary_flat", &k);
        if (s != GC_OK) return s;
        cl_ulong n = (cl_ulong)t->numel;
        struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                                 GC_KA(b.mem), GC_KA(b.off), GC_KA(n),     GC_KA(op)};
        return gc__launch_ew(x, k, 8, args, t->numel, tv);
    }
    cl_int inner, rmod;
    if ((fa || fb) && rows_layout(t, t->in[fa ? 1 : 0], &inner, &rmod))
        return binary_rows(x, t, opts, fa ? 1 : 0, inner, rmod);
    s = gc__exec_kernel(x, 0, "binary", opts, "binary_bcast", &k);
    if (s != GC_OK) return s;
    int64_t y4[4];
    gc__shape4(t, y4);
    cl_int4 shape = {{(cl_int)y4[0], (cl_int)y4[1], (cl_int)y4[2], (cl_int)y4[3]}};
    cl_int4 sa = bcast_strides(t->in[0], y4), sb = bcast_strides(t->in[1], y4);
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off), GC_KA(b.mem),
                             GC_KA(b.off), GC_KA(shape), GC_KA(sa),    GC_KA(sb),    GC_KA(op)};
    return gc__launch_ew(x, k, 10, args, t->numel, tv);
}

static double binary_flops(const struct gc_tensor *t)
{
    return (double)t->numel * (t->op == GC_OP_BCE_LOGITS ? 6 : 1);
}

struct gc_tensor *gc_add(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b)
{
    return gc__node2(g, GC_OP_ADD, a, b, NULL);
}
struct gc_tensor *gc_sub(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b)
{
    return gc__node2(g, GC_OP_SUB, a, b, NULL);
}
struct gc_tensor *gc_mul(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b)
{
    return gc__node2(g, GC_OP_MUL, a, b, NULL);
}
struct gc_tensor *gc_div(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b)
{
    return gc__node2(g, GC_OP_DIV, a, b, NULL);
}
struct gc_tensor *gc_bce_with_logits_elem(struct gc_graph *g, struct gc_tensor *x,
                                          struct gc_tensor *t)
{
    return gc__node2(g, GC_OP_BCE_LOGITS, x, t, NULL);
}

/* Gradient reaching a (possibly broadcast) input: summed down to its shape. */
static struct gc_tensor *to_shape(struct gc_graph *g, struct gc_tensor *d,
                                  const struct gc_tensor *like)
{
    return gc_sum_to(g, d, like->ndim, like->shape);
}

static gc_status binary_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    struct gc_tensor *a = t->in[0], *b = t->in[1];
    struct gc_tensor *da = NULL, *db = NULL;
    switch (t->op) {
    case GC_OP_ADD: da = dy, db = need[1] ? dy : NULL; break;
    case GC_OP_SUB: da = dy, db = need[1] ? gc_scale(g, dy, -1.0f, 0.0f) : NULL; break;
    case GC_OP_MUL:
        da = need[0] ? gc_mul(g, dy, b) : NULL;
        db = need[1] ? gc_mul(g, dy, a) : NULL;
        break;
    case GC_OP_DIV: /* d(a/b)/db = -a/b^2 = -y/b */
        da = need[0] ? gc_div(g, dy, b) : NULL;
        db = need[1] ? gc_scale(g, gc_div(g, gc_mul(g, dy, t), b), -1.0f, 0.0f) : NULL;
        break;
    default: /* BCE with logits: d/dx = sigmoid(x) - t, d/dt = -x */
        da = need[0] ? gc_mul(g, dy, gc_sub(g, gc_sigmoid(g, a), b)) : NULL;
        db = need[1] ? gc_mul(g, dy, gc_scale(g, a, -1.0f, 0.0f)) : NULL;
        break;
    }
    if (need[0]) dx[0] = to_shape(g, da, a);
    if (need[1]) dx[1] = to_shape(g, db, b);
    return gc_graph_status(g);
}

#define BINARY_DESC(nm)                                                                            \
    const struct gc_op_desc gc__op_desc_##nm = {                                                   \
        .name = #nm,                                                                               \
        .program = "binary",                                                                       \
        .inplace = true,                                                                           \
        .infer = binary_infer,                                                                     \
        .forward = binary_forward,                                                                 \
        .backward = binary_backward,                                                               \
        .flops = binary_flops,                                                                     \
        .tunables = gc__ew_tunables,                                                               \
        .n_tunables = GC_EW_TUNABLES,                                                              \
    };

BINARY_DESC(add)
BINARY_DESC(sub)
BINARY_DESC(mul)
BINARY_DESC(div)
BINARY_DESC(bce_with_logits)

struct gc_tensor *gc_bias_add(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *b)
{
    if (!x || !b) return gc__graph_fail(g, GC_INVALID_ARG, "bias_add: NULL input");
    if (x->ndim < 2 || b->ndim != 1 || b->shape[0] != x->shape[1])
        return gc__graph_fail(g, GC_INVALID_ARG,
                              "bias_add: bias must have shape (C) for x of shape (N, C, ...)");
    int64_t shape[GC_MAX_DIMS] = {1, b->shape[0], 1, 1};
    return gc_add(g, x, gc_reshape(g, b, x->ndim, shape));
}

/* ---- losses: means of element-wise terms ------------------------------- */
struct gc_tensor *gc_bce_with_logits(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *t)
{
    return gc_mean(g, gc_bce_with_logits_elem(g, x, t));
}

struct gc_tensor *gc_mse_loss(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *t)
{
    return gc_mean(g, gc_square(g, gc_sub(g, x, t)));
}

struct gc_tensor *gc_l1_loss(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *t)
{
    return gc_mean(g, gc_abs(g, gc_sub(g, x, t)));
}

struct gc_tensor *gc_bce_with_logits_const(struct gc_graph *g, struct gc_tensor *x, float target)
{
    if (!x) return NULL;
    return gc_bce_with_logits(g, x, gc_fill(g, target, x->ndim, x->shape));
}

struct gc_tensor *gc_mse_loss_const(struct gc_graph *g, struct gc_tensor *x, float target)
{
    if (!x) return NULL;
    return gc_mse_loss(g, x, gc_fill(g, target, x->ndim, x->shape));
}
