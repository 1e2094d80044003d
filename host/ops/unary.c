/* SPDX-License-Identifier: MIT */
/* Element-wise unary ops: scale, activations, math functions and the
 * derivative helpers (sign, step, leaky step). Kernels: cl/unary.cl.
 * Every backward is made of ops of this family and binary ones, so second
 * derivatives exist wherever PyTorch has them. */
#include "graph/graph_impl.h"

/* Kernel op codes (cl/unary.cl) */
enum { U_SCALE, U_RELU, U_LEAKY_RELU, U_TANH, U_SIGMOID, U_EXP, U_LOG, U_SQUARE, U_SQRT, U_ABS,
       U_SIGN, U_STEP, U_LEAKY_STEP, U_COPY };

static int code(enum gc_op op)
{
    switch (op) {
    case GC_OP_SCALE: return U_SCALE;
    case GC_OP_RELU: return U_RELU;
    case GC_OP_LEAKY_RELU: return U_LEAKY_RELU;
    case GC_OP_TANH: return U_TANH;
    case GC_OP_SIGMOID: return U_SIGMOID;
    case GC_OP_EXP: return U_EXP;
    case GC_OP_LOG: return U_LOG;
    case GC_OP_SQUARE: return U_SQUARE;
    case GC_OP_SQRT: return U_SQRT;
    case GC_OP_ABS: return U_ABS;
    case GC_OP_SIGN: return U_SIGN;
    case GC_OP_STEP: return U_STEP;
    case GC_OP_LEAKY_STEP: return U_LEAKY_STEP;
    default: return U_COPY;
    }
}

static gc_status unary_infer(struct gc_tensor *t)
{
    gc__set_shape(t, t->in[0]->ndim, t->in[0]->shape);
    return GC_OK;
}

static gc_status unary_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    cl_kernel k;
    char opts[64];
    const int *tv = gc__exec_tunables(x);
    gc__op_options(gc__op_descs[t->op], tv, opts, sizeof opts);
    gc_status s = gc__exec_kernel(x, 0, "unary", opts, "unary_fwd", &k);
    if (s != GC_OK) return s;
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]);
    cl_ulong n = (cl_ulong)t->numel;
    cl_int op = code(t->op);
    float al = t->p.unary.alpha, be = t->p.unary.beta;
    struct gc_karg args[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(a.mem), GC_KA(a.off),
                             GC_KA(n),     GC_KA(op),    GC_KA(al),    GC_KA(be)};
    return gc__launch_ew(x, k, 8, args, t->numel, tv);
}

static double unary_flops(const struct gc_tensor *t)
{
    return (double)t->numel;
}

static struct gc_tensor *unary(struct gc_graph *g, enum gc_op op, struct gc_tensor *x, float a,
                               float b)
{
    union gc_op_params p = {.unary = {a, b}};
    return gc__node1(g, op, x, &p);
}

struct gc_tensor *gc_scale(struct gc_graph *g, struct gc_tensor *x, float alpha, float beta)
{
    return unary(g, GC_OP_SCALE, x, alpha, beta);
}
struct gc_tensor *gc_relu(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_RELU, x, 0, 0);
}
struct gc_tensor *gc_leaky_relu(struct gc_graph *g, struct gc_tensor *x, float slope)
{
    return unary(g, GC_OP_LEAKY_RELU, x, slope, 0);
}
struct gc_tensor *gc_tanh(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_TANH, x, 0, 0);
}
struct gc_tensor *gc_sigmoid(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_SIGMOID, x, 0, 0);
}
struct gc_tensor *gc_exp(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_EXP, x, 0, 0);
}
struct gc_tensor *gc_ln(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_LOG, x, 0, 0);
}
struct gc_tensor *gc_square(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_SQUARE, x, 0, 0);
}
struct gc_tensor *gc_sqrt(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_SQRT, x, 0, 0);
}
struct gc_tensor *gc_abs(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_ABS, x, 0, 0);
}
struct gc_tensor *gc_sign(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_SIGN, x, 0, 0);
}
struct gc_tensor *gc_step(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_STEP, x, 0, 0);
}
struct gc_tensor *gc_leaky_step(struct gc_graph *g, struct gc_tensor *x, float slope)
{
    return unary(g, GC_OP_LEAKY_STEP, x, slope, 0);
}
struct gc_tensor *gc_copy(struct gc_graph *g, struct gc_tensor *x)
{
    return unary(g, GC_OP_COPY, x, 0, 0);
}

/* d/dx as a tensor to multiply dy with (NULL: dx is dy scaled, see below). */
static struct gc_tensor *local_grad(struct gc_graph *g, struct gc_tensor *t)
{
    struct gc_tensor *x = t->in[0];
    switch (t->op) {
    case GC_OP_RELU: return gc_step(g, x);
    case GC_OP_LEAKY_RELU: return gc_leaky_step(g, x, t->p.unary.alpha);
    case GC_OP_TANH: return gc_scale(g, gc_square(g, t), -1.0f, 1.0f); /* 1 - y^2 */
    case GC_OP_SIGMOID: return gc_mul(g, t, gc_scale(g, t, -1.0f, 1.0f)); /* y (1 - y) */
    case GC_OP_EXP: return t;
    case GC_OP_SQUARE: return gc_scale(g, x, 2.0f, 0.0f);
    case GC_OP_ABS: return gc_sign(g, x);
    default: return NULL;
    }
}

static gc_status unary_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                const bool *need, struct gc_tensor **dx)
{
    (void)need;
    switch (t->op) {
    case GC_OP_SCALE: dx[0] = gc_scale(g, dy, t->p.unary.alpha, 0.0f); break;
    case GC_OP_COPY: dx[0] = dy; break;
    case GC_OP_LOG: dx[0] = gc_div(g, dy, t->in[0]); break;
    case GC_OP_SQRT: dx[0] = gc_div(g, gc_scale(g, dy, 0.5f, 0.0f), t); break;
    default: dx[0] = gc_mul(g, dy, local_grad(g, t)); break;
    }
    return gc_graph_status(g);
}

#define UNARY_DESC(id, nm, inpl, zero)                                                             \
    const struct gc_op_desc gc__op_desc_##nm = {                                                   \
        .name = #nm,                                                                               \
        .program = "unary",                                                                        \
        .inplace = inpl,                                                                           \
        .infer = unary_infer,                                                                      \
        .forward = unary_forward,                                                                  \
        .backward = zero ? NULL : unary_backward,                                                  \
        .zero_grad = zero,                                                                         \
        .flops = unary_flops,                                                                      \
        .tunables = gc__ew_tunables,                                                               \
        .n_tunables = GC_EW_TUNABLES,                                                              \
    };

/* All element-wise kernels may write over their input: the planner only
 * does so when the input is read by nothing later (a backward that needs x
 * keeps it alive by reading it). */
UNARY_DESC(SCALE, scale, true, false)
UNARY_DESC(RELU, relu, true, false)
UNARY_DESC(LEAKY_RELU, leaky_relu, true, false)
UNARY_DESC(TANH, tanh, true, false)
UNARY_DESC(SIGMOID, sigmoid, true, false)
UNARY_DESC(EXP, exp, true, false)
UNARY_DESC(LOG, log, true, false)
UNARY_DESC(SQUARE, square, true, false)
UNARY_DESC(SQRT, sqrt, true, false)
UNARY_DESC(ABS, abs, true, false)
UNARY_DESC(SIGN, sign, true, true)
UNARY_DESC(STEP, step, true, true)
UNARY_DESC(LEAKY_STEP, leaky_step, true, true)
UNARY_DESC(COPY, copy, true, false)
