/* SPDX-License-Identifier: MIT */
/* Every op of GC_OP_LIST on every test device: forward vs the plain-C
 * reference (tests/ref/), backward (gc_grad of sum(y * r) for a fixed random
 * r) vs the reference's vector-Jacobian product, and a central-difference
 * gradient check of gc_grad against re-runs of the forward plan. The case
 * table below maps each op to its cases; test_meta walks the op list and
 * fails when an op has no forward case or (if differentiable) no gradcheck.
 * Graph-level behaviour (planner, in-place reuse, arena splitting, sticky
 * builder errors, detach, gradient accumulation) is in ops_graph.c.
 *
 * Sensitivity check, done once by hand: changing one index in a reference
 * (gc_ref_slice reading x[(b * C + start + c) * inner + r + 1]) fails with
 *   concat_3d@pthread-skylake-avx512-AMD EPYC backward d/dx0: 24 of 24
 *   elements differ; first at (0,0,0) flat 0: got 0.695406914 expected
 *   0.938562989; max abs err 1.58, max rel err 19 (atol 1e-06, rtol 4e-06)
 * (concat's VJP is a slice), and scaling the finite differences by 1.01
 * fails the gradcheck of the first case: the tolerances below are far
 * tighter than any indexing error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_impl.h"
#include "harness.h"
#include "gancl/conv.h"
#include "ref/conv_ref.h"
#include "ref/ref.h"
#include "test_ops.h"

enum tol { T_ELEM, T_SUM, T_NORMAL, T_EXACT };

struct in_spec {
    struct gc_ref_shape s;
    float lo, hi;  /* values uniform in [lo, hi) */
    float min_abs; /* |x| pushed to >= min_abs: keeps x +- FD_EPS off kinks */
};

struct op_case {
    const char *name;
    enum gc_op op;
    int n_in;
    struct in_spec in[GC_MAX_INPUTS];
    struct gc_ref_shape to; /* expand, sum_to, reshape, fill and random shapes */
    float alpha, beta;      /* scale; leaky slope; fill value */
    bool ta, tb;            /* matmul */
    int64_t start, len;     /* slice */
    bool as_param;          /* inputs are parameters of a group */
    int stride, pad, opad;  /* conv family (square geometry); opad: output padding */
    int k;                  /* conv2d_bwd_weight: kernel size */
    enum tol tol;           /* forward and backward tolerance class */
    bool gradcheck;
};

/* ---- tolerances ----------------------------------------------------------
 * Element-wise float32 kernels vs a double reference rounded to float: the
 * OpenCL 1.2 accuracy limits are <= 4 ulp for exp/log/tanh/sqrt and 2.5 for
 * divide, and sigmoid composes exp, add and divide; 4e-6 relative is ~32 ulp
 * of headroom. The absolute floor covers results near 0 (log near 1). */
#define ELEM_ATOL 1e-6
#define ELEM_RTOL 4e-6
/* Sums (sum_to, matmul, broadcast gradients) of <= 210 terms of magnitude
 * <= 2 in float32 in any order: error <= log2(n) * 2^-24 * sum|terms| ~ 1e-4
 * in the worst case; a wrong index moves a result by ~0.1 or more. */
#define SUM_ATOL 1e-4
#define SUM_RTOL 1e-5
/* Normals: each device's log, sqrt, cos/sin (<= 4 ulp each) against glibc's
 * correctly rounded ones, a product of three: ~12 ulp ~ 1.5e-6 relative. */
#define NORMAL_ATOL 1e-6
#define NORMAL_RTOL 3e-6
/* Finite differences: central, step FD_EPS on float32 inputs. The loss
 * sum(y * r) is summed on the host in double from the float outputs, so the
 * noise is ~ sum|r| ulp(y) / (2 eps) ~ 1e-4 over <= 30 affected outputs; the
 * truncation error eps^2 |f'''| / 6 per output is <= 1e-4 for the value
 * ranges below (inputs of log/sqrt/div denominators kept in [0.5, 2] or
 * [1, 2]; |x| >= KINK_GAP for relu/abs so x +- eps never crosses 0). */
#define FD_EPS 1e-2
#define FD_ATOL 2e-3
#define FD_RTOL 2e-3
#define KINK_GAP 0.1f
/* At most this many elements of each input are perturbed (evenly spaced,
 * always including the last one, where tail bugs live). */
#define FD_MAX_POINTS 24
#define SEED 1234

static const double tol_atol[] = {[T_ELEM] = ELEM_ATOL, [T_SUM] = SUM_ATOL,
                                  [T_NORMAL] = NORMAL_ATOL, [T_EXACT] = 0};
static const double tol_rtol[] = {[T_ELEM] = ELEM_RTOL, [T_SUM] = SUM_RTOL,
                                  [T_NORMAL] = NORMAL_RTOL, [T_EXACT] = 0};

/* ---- the case table: op -> cases ----------------------------------------- */
#define S(...) {(int)sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), {__VA_ARGS__}}
#define IN(...) {S(__VA_ARGS__), -1.0f, 1.0f, 0}
#define IN_POS(...) {S(__VA_ARGS__), 0.5f, 2.0f, 0}  /* log, sqrt */
#define IN_DEN(...) {S(__VA_ARGS__), 1.0f, 2.0f, 0}  /* denominators */
#define IN_01(...) {S(__VA_ARGS__), 0.0f, 1.0f, 0}   /* BCE targets */
#define IN_KINK(...) {S(__VA_ARGS__), -1.0f, 1.0f, KINK_GAP}
#define IN_WIDE(...) {S(__VA_ARGS__), -4.0f, 4.0f, 0} /* BCE logits, both tails */

static const struct op_case cases[] = {
    /* sources and views */
    {.name = "input", .op = GC_OP_INPUT, .n_in = 1, .in = {IN(7, 5)}, .gradcheck = true},
    {.name = "param", .op = GC_OP_PARAM, .n_in = 1, .in = {IN(2, 3, 7, 5)}, .as_param = true, .gradcheck = true},
    {.name = "reshape", .op = GC_OP_RESHAPE, .n_in = 1, .in = {IN(2, 3, 4, 5)}, .to = S(6, -1), .gradcheck = true},
    {.name = "detach", .op = GC_OP_DETACH, .n_in = 1, .in = {IN(7, 5)}},
    /* binary, same shapes (flat kernel) and broadcast */
    {.name = "add_flat", .op = GC_OP_ADD, .n_in = 2, .in = {IN(7, 5), IN(7, 5)}, .gradcheck = true},
    {.name = "add_bcast", .op = GC_OP_ADD, .n_in = 2, .in = {IN(2, 3, 4, 5), IN(3, 1, 1)}, .tol = T_SUM, .gradcheck = true},
    {.name = "sub_bcast", .op = GC_OP_SUB, .n_in = 2, .in = {IN(7, 5), IN(5)}, .tol = T_SUM, .gradcheck = true},
    {.name = "sub_bcast_lhs", .op = GC_OP_SUB, .n_in = 2, .in = {IN(1, 5), IN(4, 1)}, .tol = T_SUM, .gradcheck = true},
    {.name = "mul_flat", .op = GC_OP_MUL, .n_in = 2, .in = {IN(2, 3, 7, 5), IN(2, 3, 7, 5)}, .gradcheck = true},
    {.name = "mul_bcast", .op = GC_OP_MUL, .n_in = 2, .in = {IN(4, 1), IN(1, 5)}, .tol = T_SUM, .gradcheck = true},
    {.name = "div_flat", .op = GC_OP_DIV, .n_in = 2, .in = {IN(7, 5), IN_DEN(7, 5)}, .gradcheck = true},
    {.name = "div_bcast", .op = GC_OP_DIV, .n_in = 2, .in = {IN(2, 3, 4, 5), IN_DEN(4, 1)}, .tol = T_SUM, .gradcheck = true},
    {.name = "bce_flat", .op = GC_OP_BCE_LOGITS, .n_in = 2, .in = {IN_WIDE(7, 5), IN_01(7, 5)}, .gradcheck = true},
    {.name = "bce_bcast", .op = GC_OP_BCE_LOGITS, .n_in = 2, .in = {IN_WIDE(3, 7, 5), IN_01(1, 5)}, .tol = T_SUM,
     .gradcheck = true},
    /* unary */
    {.name = "scale", .op = GC_OP_SCALE, .n_in = 1, .in = {IN(7, 5)}, .alpha = 1.5f, .beta = -0.25f, .gradcheck = true},
    {.name = "relu", .op = GC_OP_RELU, .n_in = 1, .in = {IN_KINK(2, 3, 7, 5)}, .gradcheck = true},
    {.name = "leaky_relu", .op = GC_OP_LEAKY_RELU, .n_in = 1, .in = {IN_KINK(7, 5)}, .alpha = 0.2f, .gradcheck = true},
    {.name = "tanh", .op = GC_OP_TANH, .n_in = 1, .in = {IN(7, 5)}, .gradcheck = true},
    {.name = "sigmoid", .op = GC_OP_SIGMOID, .n_in = 1, .in = {IN_WIDE(2, 3, 7, 5)}, .gradcheck = true},
    {.name = "exp", .op = GC_OP_EXP, .n_in = 1, .in = {IN(7, 5)}, .gradcheck = true},
    {.name = "log", .op = GC_OP_LOG, .n_in = 1, .in = {IN_POS(7, 5)}, .gradcheck = true},
    {.name = "square", .op = GC_OP_SQUARE, .n_in = 1, .in = {IN(7, 5)}, .gradcheck = true},
    {.name = "sqrt", .op = GC_OP_SQRT, .n_in = 1, .in = {IN_POS(7, 5)}, .gradcheck = true},
    {.name = "abs", .op = GC_OP_ABS, .n_in = 1, .in = {IN_KINK(7, 5)}, .gradcheck = true},
    {.name = "sign", .op = GC_OP_SIGN, .n_in = 1, .in = {IN_KINK(7, 5)}},
    {.name = "step", .op = GC_OP_STEP, .n_in = 1, .in = {IN_KINK(7, 5)}},
    {.name = "leaky_step", .op = GC_OP_LEAKY_STEP, .n_in = 1, .in = {IN_KINK(7, 5)}, .alpha = 0.2f},
    {.name = "copy", .op = GC_OP_COPY, .n_in = 1, .in = {IN(7, 5)}, .gradcheck = true},
    /* broadcast and reduce: sum_to over > RED_WG elements exercises the
     * strided partial sums; (7,5)->(7,1) is sum_axis(1, keepdim) */
    {.name = "expand", .op = GC_OP_EXPAND, .n_in = 1, .in = {IN(1, 3, 1, 5)}, .to = S(2, 3, 4, 5), .tol = T_SUM,
     .gradcheck = true},
    {.name = "expand_rank", .op = GC_OP_EXPAND, .n_in = 1, .in = {IN(3, 1)}, .to = S(2, 3, 5), .tol = T_SUM,
     .gradcheck = true},
    {.name = "sum_to_chan", .op = GC_OP_SUM_TO, .n_in = 1, .in = {IN(2, 3, 4, 5)}, .to = S(3, 1, 1), .tol = T_SUM,
     .gradcheck = true},
    {.name = "sum_to_all", .op = GC_OP_SUM_TO, .n_in = 1, .in = {IN(2, 3, 7, 5)}, .to = S(1), .tol = T_SUM,
     .gradcheck = true},
    {.name = "sum_to_rows", .op = GC_OP_SUM_TO, .n_in = 1, .in = {IN(7, 5)}, .to = S(7, 1), .tol = T_SUM, .gradcheck = true},
    /* channel concat / slice */
    {.name = "concat_3d", .op = GC_OP_CONCAT, .n_in = 3, .in = {IN(2, 3, 4), IN(2, 1, 4), IN(2, 2, 4)}, .gradcheck = true},
    {.name = "concat_2d", .op = GC_OP_CONCAT, .n_in = 2, .in = {IN(7, 2), IN(7, 3)}, .gradcheck = true},
    {.name = "slice_4d", .op = GC_OP_SLICE, .n_in = 1, .in = {IN(2, 6, 4, 3)}, .start = 2, .len = 3, .gradcheck = true},
    {.name = "slice_2d", .op = GC_OP_SLICE, .n_in = 1, .in = {IN(7, 5)}, .start = 1, .len = 3, .gradcheck = true},
    {.name = "fill", .op = GC_OP_FILL, .n_in = 0, .to = S(7, 5), .alpha = 0.75f},
    /* matmul, all transpose combinations: (7,5) x (5,3) -> (7,3) */
    {.name = "matmul_nn", .op = GC_OP_MATMUL, .n_in = 2, .in = {IN(7, 5), IN(5, 3)}, .tol = T_SUM, .gradcheck = true},
    {.name = "matmul_tn", .op = GC_OP_MATMUL, .n_in = 2, .in = {IN(5, 7), IN(5, 3)}, .ta = true, .tol = T_SUM,
     .gradcheck = true},
    {.name = "matmul_nt", .op = GC_OP_MATMUL, .n_in = 2, .in = {IN(7, 5), IN(3, 5)}, .tb = true, .tol = T_SUM,
     .gradcheck = true},
    {.name = "matmul_tt", .op = GC_OP_MATMUL, .n_in = 2, .in = {IN(5, 7), IN(3, 5)}, .ta = true, .tb = true, .tol = T_SUM,
     .gradcheck = true},
    /* convolution family: odd sizes (7x5), C=3, stride 1/2, padding 0/1/3,
     * the 1x1 path, output padding 1, and the 1x1-input 4x4 layer DCGAN's G
     * starts with */
    {.name = "conv2d_k3s1p0", .op = GC_OP_CONV2D, .n_in = 2, .in = {IN(2, 3, 7, 5), IN(4, 3, 3, 3)}, .stride = 1,
     .tol = T_SUM, .gradcheck = true},
    {.name = "conv2d_k4s2p1", .op = GC_OP_CONV2D, .n_in = 2, .in = {IN(2, 3, 7, 5), IN(4, 3, 4, 4)}, .stride = 2,
     .pad = 1, .tol = T_SUM, .gradcheck = true},
    {.name = "conv2d_k7s1p3", .op = GC_OP_CONV2D, .n_in = 2, .in = {IN(1, 3, 7, 5), IN(2, 3, 7, 7)}, .stride = 1,
     .pad = 3, .tol = T_SUM, .gradcheck = true},
    {.name = "conv2d_1x1", .op = GC_OP_CONV2D, .n_in = 2, .in = {IN(2, 3, 7, 5), IN(4, 3, 1, 1)}, .stride = 1,
     .tol = T_SUM, .gradcheck = true},
    {.name = "convT_k3s2p1o1", .op = GC_OP_CONV_TRANSPOSE2D, .n_in = 2, .in = {IN(2, 4, 4, 3), IN(4, 3, 3, 3)},
     .stride = 2, .pad = 1, .opad = 1, .tol = T_SUM, .gradcheck = true},
    {.name = "convT_k4s2p1", .op = GC_OP_CONV_TRANSPOSE2D, .n_in = 2, .in = {IN(2, 4, 4, 3), IN(4, 2, 4, 4)},
     .stride = 2, .pad = 1, .tol = T_SUM, .gradcheck = true},
    {.name = "convT_k4s1p0_1x1", .op = GC_OP_CONV_TRANSPOSE2D, .n_in = 2, .in = {IN(3, 5, 1, 1), IN(5, 2, 4, 4)},
     .stride = 1, .tol = T_SUM, .gradcheck = true},
    {.name = "conv_bwd_weight", .op = GC_OP_CONV2D_BWD_WEIGHT, .n_in = 2, .in = {IN(2, 4, 4, 3), IN(2, 3, 7, 5)},
     .stride = 2, .pad = 1, .k = 3, .tol = T_SUM, .gradcheck = true},
    {.name = "conv_bwd_weight_n1", .op = GC_OP_CONV2D_BWD_WEIGHT, .n_in = 2, .in = {IN(1, 2, 7, 5), IN(1, 3, 7, 5)},
     .stride = 1, .pad = 1, .k = 3, .tol = T_SUM, .gradcheck = true},
    /* random: element counts not a multiple of 4 (Philox blocks) */
    {.name = "rand_uniform", .op = GC_OP_RAND_UNIFORM, .n_in = 0, .to = S(2, 3, 7, 5), .tol = T_EXACT},
    {.name = "rand_normal", .op = GC_OP_RAND_NORMAL, .n_in = 0, .to = S(7, 5), .tol = T_NORMAL},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/* ---- builder and references per op ---------------------------------------- */
static struct gc_conv_geom case_geom(const struct op_case *c)
{
    struct gc_conv_geom g = gc_conv_geom(c->stride, c->pad);
    g.out_pad[0] = g.out_pad[1] = c->opad;
    return g;
}

static struct gc_ref_conv ref_geom(const struct op_case *c)
{
    struct gc_ref_conv g = {{c->stride, c->stride}, {c->pad, c->pad}, {1, 1}};
    return g;
}

/* Forward or VJP of a conv-family case (dy NULL: forward into out[0]). */
static void conv_case(const struct op_case *c, const float *const *x, const struct gc_ref_shape *sy,
                      const float *dy, float *const *out)
{
    const int64_t *a = c->in[0].s.d, *b = c->in[1].s.d, *y = sy->d;
    struct gc_ref_conv g = ref_geom(c);
    if (c->op == GC_OP_CONV2D) {
        if (!dy) gc_ref_conv2d(x[0], x[1], (int)a[0], (int)a[1], (int)a[2], (int)a[3], (int)b[0],
                               (int)b[2], (int)b[3], g, (int)y[2], (int)y[3], out[0]);
        else gc_ref_conv2d_vjp(x[0], x[1], dy, (int)a[0], (int)a[1], (int)a[2], (int)a[3], (int)b[0],
                               (int)b[2], (int)b[3], g, (int)y[2], (int)y[3], out[0], out[1]);
    } else if (c->op == GC_OP_CONV_TRANSPOSE2D) {
        if (!dy) gc_ref_conv_transpose2d(x[0], x[1], (int)a[0], (int)a[1], (int)a[2], (int)a[3],
                                         (int)b[1], (int)b[2], (int)b[3], g, (int)y[2], (int)y[3], out[0]);
        else gc_ref_conv_transpose2d_vjp(x[0], x[1], dy, (int)a[0], (int)a[1], (int)a[2], (int)a[3],
                                         (int)b[1], (int)b[2], (int)b[3], g, (int)y[2], (int)y[3], out[0],
                                         out[1]);
    } else { /* bwd_weight(dy = x[0], x = x[1]) -> (OC, C, K, K): the conv's dw */
        int n = (int)b[0], ch = (int)b[1], h = (int)b[2], w = (int)b[3], oc = (int)a[1];
        if (!dy) {
            gc_ref_conv2d_vjp(x[1], NULL, x[0], n, ch, h, w, oc, c->k, c->k, g, (int)a[2], (int)a[3], NULL,
                              out[0]);
        } else { /* the output is linear in each input: y = dw(a, b); d/da = conv2d(b, dy), d/db = dx */
            if (out[0]) gc_ref_conv2d(x[1], dy, n, ch, h, w, oc, c->k, c->k, g, (int)a[2], (int)a[3], out[0]);
            if (out[1]) gc_ref_conv2d_vjp(NULL, dy, x[0], n, ch, h, w, oc, c->k, c->k, g, (int)a[2], (int)a[3],
                                          out[1], NULL);
        }
    }
}

static struct gc_tensor *case_build(struct gc_graph *g, const struct op_case *c,
                                   struct gc_tensor *const *x)
{
    switch (c->op) {
    case GC_OP_INPUT:
    case GC_OP_PARAM: return x[0];
    case GC_OP_RESHAPE: return gc_reshape(g, x[0], c->to.ndim, c->to.d);
    case GC_OP_DETACH: return gc_detach(g, x[0]);
    case GC_OP_ADD: return gc_add(g, x[0], x[1]);
    case GC_OP_SUB: return gc_sub(g, x[0], x[1]);
    case GC_OP_MUL: return gc_mul(g, x[0], x[1]);
    case GC_OP_DIV: return gc_div(g, x[0], x[1]);
    case GC_OP_BCE_LOGITS: return gc_bce_with_logits_elem(g, x[0], x[1]);
    case GC_OP_SCALE: return gc_scale(g, x[0], c->alpha, c->beta);
    case GC_OP_RELU: return gc_relu(g, x[0]);
    case GC_OP_LEAKY_RELU: return gc_leaky_relu(g, x[0], c->alpha);
    case GC_OP_TANH: return gc_tanh(g, x[0]);
    case GC_OP_SIGMOID: return gc_sigmoid(g, x[0]);
    case GC_OP_EXP: return gc_exp(g, x[0]);
    case GC_OP_LOG: return gc_ln(g, x[0]);
    case GC_OP_SQUARE: return gc_square(g, x[0]);
    case GC_OP_SQRT: return gc_sqrt(g, x[0]);
    case GC_OP_ABS: return gc_abs(g, x[0]);
    case GC_OP_SIGN: return gc_sign(g, x[0]);
    case GC_OP_STEP: return gc_step(g, x[0]);
    case GC_OP_LEAKY_STEP: return gc_leaky_step(g, x[0], c->alpha);
    case GC_OP_COPY: return gc_copy(g, x[0]);
    case GC_OP_EXPAND: return gc_expand(g, x[0], c->to.ndim, c->to.d);
    case GC_OP_SUM_TO: return gc_sum_to(g, x[0], c->to.ndim, c->to.d);
    case GC_OP_CONCAT: return gc_concat(g, c->n_in, x);
    case GC_OP_SLICE: return gc_slice(g, x[0], c->start, c->len);
    case GC_OP_FILL: return gc_fill(g, c->alpha, c->to.ndim, c->to.d);
    case GC_OP_MATMUL: return gc_matmul(g, x[0], x[1], c->ta, c->tb);
    case GC_OP_CONV2D: return gc_conv2d(g, x[0], x[1], case_geom(c));
    case GC_OP_CONV_TRANSPOSE2D: return gc_conv_transpose2d(g, x[0], x[1], case_geom(c));
    case GC_OP_CONV2D_BWD_WEIGHT: return gc_conv2d_bwd_weight(g, x[0], x[1], c->k, c->k, case_geom(c));
    case GC_OP_RAND_UNIFORM: return gc_rand_uniform(g, SEED, c->to.ndim, c->to.d);
    case GC_OP_RAND_NORMAL: return gc_rand_normal(g, SEED, c->to.ndim, c->to.d);
    default: break; /* an op without a case: test_meta names it */
    }
    return NULL;
}

static void mm_dims(const struct op_case *c, int64_t *m, int64_t *n, int64_t *k)
{
    const struct gc_ref_shape *a = &c->in[0].s, *b = &c->in[1].s;
    *m = c->ta ? a->d[1] : a->d[0];
    *k = c->ta ? a->d[0] : a->d[1];
    *n = c->tb ? b->d[0] : b->d[1];
}

static struct gc_ref_shape shape_of(const struct gc_tensor *t)
{
    struct gc_ref_shape s = {t->ndim, {0}};
    for (int d = 0; d < t->ndim; d++) s.d[d] = t->shape[d];
    return s;
}

/* y = the op applied to x (y: the built tensor, for its shape and, for random
 * ops, its stream). False if the op has no reference. */
static bool case_ref(const struct op_case *c, const float *const *x, const struct gc_tensor *yt,
                    uint64_t counter, float *y)
{
    struct gc_ref_shape sy = shape_of(yt), shapes[GC_MAX_INPUTS];
    int64_t n = gc_ref_numel(&sy), m, nn, k;
    switch (c->op) {
    case GC_OP_INPUT:
    case GC_OP_PARAM:
    case GC_OP_RESHAPE:
    case GC_OP_DETACH: gc_ref_identity(x[0], n, y); return true;
    case GC_OP_ADD:
    case GC_OP_SUB:
    case GC_OP_MUL:
    case GC_OP_DIV:
    case GC_OP_BCE_LOGITS: gc_ref_binary(c->op, x[0], &c->in[0].s, x[1], &c->in[1].s, y); return true;
    case GC_OP_SCALE:
    case GC_OP_RELU:
    case GC_OP_LEAKY_RELU:
    case GC_OP_TANH:
    case GC_OP_SIGMOID:
    case GC_OP_EXP:
    case GC_OP_LOG:
    case GC_OP_SQUARE:
    case GC_OP_SQRT:
    case GC_OP_ABS:
    case GC_OP_SIGN:
    case GC_OP_STEP:
    case GC_OP_LEAKY_STEP:
    case GC_OP_COPY: gc_ref_unary(c->op, x[0], n, c->alpha, c->beta, y); return true;
    case GC_OP_EXPAND: gc_ref_expand(x[0], &c->in[0].s, &sy, y); return true;
    case GC_OP_SUM_TO: gc_ref_sum_to(x[0], &c->in[0].s, &sy, y); return true;
    case GC_OP_CONCAT:
        for (int i = 0; i < c->n_in; i++) shapes[i] = c->in[i].s;
        gc_ref_concat(c->n_in, x, shapes, y);
        return true;
    case GC_OP_SLICE: gc_ref_slice(x[0], &c->in[0].s, c->start, c->len, y); return true;
    case GC_OP_FILL: gc_ref_fill(c->alpha, n, y); return true;
    case GC_OP_MATMUL:
        mm_dims(c, &m, &nn, &k);
        gc_ref_matmul(x[0], x[1], m, nn, k, c->ta, c->tb, y);
        return true;
    case GC_OP_CONV2D:
    case GC_OP_CONV_TRANSPOSE2D:
    case GC_OP_CONV2D_BWD_WEIGHT: conv_case(c, x, &sy, NULL, &y); return true;
    case GC_OP_RAND_UNIFORM:
        gc_ref_rand_uniform(SEED, yt->p.rand.stream, counter, n, y);
        return true;
    case GC_OP_RAND_NORMAL: gc_ref_rand_normal(SEED, yt->p.rand.stream, counter, n, y); return true;
    default: break; /* an op without a case: test_meta names it */
    }
    return false;
}

/* dx[i] = d sum(y * dy) / d x[i]. False if the op has no reference VJP. */
static bool case_vjp(const struct op_case *c, const float *const *x, const struct gc_tensor *yt,
                    const float *dy, float *const *dx)
{
    struct gc_ref_shape sy = shape_of(yt), shapes[GC_MAX_INPUTS];
    int64_t n = gc_ref_numel(&sy), m, nn, k;
    switch (c->op) {
    case GC_OP_INPUT:
    case GC_OP_PARAM:
    case GC_OP_RESHAPE: gc_ref_identity(dy, n, dx[0]); return true;
    case GC_OP_DETACH: /* stop-gradient, and the zero-gradient helpers */
    case GC_OP_SIGN:
    case GC_OP_STEP:
    case GC_OP_LEAKY_STEP: gc_ref_fill(0.0f, n, dx[0]); return true;
    case GC_OP_ADD:
    case GC_OP_SUB:
    case GC_OP_MUL:
    case GC_OP_DIV:
    case GC_OP_BCE_LOGITS:
        gc_ref_binary_vjp(c->op, x[0], &c->in[0].s, x[1], &c->in[1].s, dy, dx[0], dx[1]);
        return true;
    case GC_OP_SCALE:
    case GC_OP_RELU:
    case GC_OP_LEAKY_RELU:
    case GC_OP_TANH:
    case GC_OP_SIGMOID:
    case GC_OP_EXP:
    case GC_OP_LOG:
    case GC_OP_SQUARE:
    case GC_OP_SQRT:
    case GC_OP_ABS:
    case GC_OP_COPY: gc_ref_unary_vjp(c->op, x[0], n, c->alpha, c->beta, dy, dx[0]); return true;
    case GC_OP_EXPAND: gc_ref_sum_to(dy, &sy, &c->in[0].s, dx[0]); return true;
    case GC_OP_SUM_TO: gc_ref_expand(dy, &sy, &c->in[0].s, dx[0]); return true;
    case GC_OP_CONCAT:
        for (int i = 0; i < c->n_in; i++) shapes[i] = c->in[i].s;
        gc_ref_concat_vjp(c->n_in, shapes, dy, dx);
        return true;
    case GC_OP_SLICE: gc_ref_slice_vjp(&c->in[0].s, c->start, c->len, dy, dx[0]); return true;
    case GC_OP_MATMUL:
        mm_dims(c, &m, &nn, &k);
        gc_ref_matmul_vjp(x[0], x[1], m, nn, k, c->ta, c->tb, dy, dx[0], dx[1]);
        return true;
    case GC_OP_CONV2D:
    case GC_OP_CONV_TRANSPOSE2D:
    case GC_OP_CONV2D_BWD_WEIGHT: conv_case(c, x, &sy, dy, dx); return true;
    case GC_OP_FILL: /* no inputs */
    case GC_OP_RAND_UNIFORM:
    case GC_OP_RAND_NORMAL: return true;
    default: break; /* an op without a case: test_meta names it */
    }
    return false;
}

/* Values of input i: uniform in [lo, hi), pushed away from 0 by min_abs. */
static void case_input(const struct op_case *c, int i, float *x)
{
    const struct in_spec *s = &c->in[i];
    int64_t n = gc_ref_numel(&s->s);
    gc_test_fill_uniform(x, n, SEED + 7919u * (uint64_t)(i + 1) + (uint64_t)c->op, s->lo, s->hi);
    for (int64_t j = 0; s->min_abs > 0 && j < n; j++)
        if (fabsf(x[j]) < s->min_abs) x[j] = copysignf(s->min_abs + fabsf(x[j]), x[j]);
}

/* ---- one case on one device ----------------------------------------------- */
struct run {
    const struct op_case *c;
    struct gc_device *dev;
    struct gc_graph *g;
    struct gc_tensor *x[GC_MAX_INPUTS], *dx[GC_MAX_INPUTS], *y, *r, *loss;
    struct gc_plan *full, *fwd; /* y, loss and every dx; y only (finite differences) */
    float *xh[GC_MAX_INPUTS], *rh, *yh;
    char label[300];
};

static void set_input(struct run *R, struct gc_plan *p, int i)
{
    if (R->c->as_param) gc_assert_ok(gc_param_write(R->x[i], R->xh[i]));
    else gc_assert_ok(gc_plan_write(p, R->x[i], R->xh[i]));
}

static void run_setup(struct run *R, const struct op_case *c, struct gc_device *dev)
{
    memset(R, 0, sizeof *R);
    R->c = c;
    R->dev = dev;
    gc_assert_ok(gc_graph_create(dev, &R->g));
    struct gc_param_group *grp = c->as_param ? gc_param_group(R->g, "case") : NULL;
    for (int i = 0; i < c->n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        R->x[i] = grp ? gc_param(grp, name, c->in[i].s.ndim, c->in[i].s.d)
                      : gc_input(R->g, name, c->in[i].s.ndim, c->in[i].s.d);
        R->xh[i] = malloc(sizeof(float) * (size_t)gc_ref_numel(&c->in[i].s));
        case_input(c, i, R->xh[i]);
    }
    if (grp) gc_assert_ok(gc_param_group_alloc(grp));
    R->y = case_build(R->g, c, R->x);
    assert_non_null(R->y);
    R->r = gc_input(R->g, "r", R->y->ndim, R->y->shape);
    R->loss = gc_sum(R->g, gc_mul(R->g, R->y, R->r));
    if (c->n_in > 0) gc_assert_ok(gc_grad(R->g, R->loss, c->n_in, R->x, R->dx));
    gc_assert_ok(gc_graph_status(R->g));
    struct gc_tensor *outs[2 + GC_MAX_INPUTS] = {R->y, R->loss};
    for (int i = 0; i < c->n_in; i++) outs[2 + i] = R->dx[i];
    gc_assert_ok(gc_plan_create(R->g, 2 + c->n_in, outs, &R->full));
    gc_assert_ok(gc_plan_create(R->g, 1, outs, &R->fwd));
    R->rh = malloc(sizeof(float) * (size_t)R->y->numel);
    R->yh = malloc(sizeof(float) * (size_t)R->y->numel);
    gc_test_fill_uniform(R->rh, R->y->numel, SEED + 17, -1.0f, 1.0f);
    for (int i = 0; i < c->n_in; i++) {
        set_input(R, R->full, i);
        if (!c->as_param) set_input(R, R->fwd, i);
    }
    gc_assert_ok(gc_plan_write(R->full, R->r, R->rh));
    snprintf(R->label, sizeof R->label, "%s@%s", c->name, gc_device_get_info(dev)->name);
}

static void run_teardown(struct run *R)
{
    gc_plan_destroy(R->full);
    gc_plan_destroy(R->fwd);
    gc_graph_destroy(R->g);
    for (int i = 0; i < R->c->n_in; i++) free(R->xh[i]);
    free(R->rh);
    free(R->yh);
}

static void check(const struct run *R, const float *got, const float *want,
                  const struct gc_tensor *t, double atol, double rtol, const char *what)
{
    char label[400];
    snprintf(label, sizeof label, "%s %s", R->label, what);
    gc_assert_tensor_close_shape(got, want, t->shape, t->ndim, atol, rtol, label);
}

/* Forward and backward of the full plan vs the references. */
static void check_fwd_bwd(struct run *R)
{
    const struct op_case *c = R->c;
    const float *xs[GC_MAX_INPUTS] = {NULL};
    for (int i = 0; i < c->n_in; i++) xs[i] = R->xh[i];
    gc_assert_ok(gc_plan_run(R->full));
    float *want = malloc(sizeof(float) * (size_t)R->y->numel);
    assert_true(case_ref(c, xs, R->y, 0, want));
    gc_assert_ok(gc_plan_read(R->full, R->y, R->yh));
    check(R, R->yh, want, R->y, tol_atol[c->tol], tol_rtol[c->tol], "forward");
    double dl = 0; /* the device's own loss, sum(y * r), vs the host's */
    for (int64_t j = 0; j < R->y->numel; j++) dl += (double)want[j] * R->rh[j];
    float dev_loss, host_loss = (float)dl;
    gc_assert_ok(gc_plan_read(R->full, R->loss, &dev_loss));
    check(R, &dev_loss, &host_loss, R->loss, SUM_ATOL, SUM_RTOL, "loss sum(y * r)");
    free(want);
    float *got[GC_MAX_INPUTS] = {NULL}, *ref[GC_MAX_INPUTS] = {NULL};
    for (int i = 0; i < c->n_in; i++) {
        got[i] = malloc(sizeof(float) * (size_t)R->x[i]->numel);
        ref[i] = malloc(sizeof(float) * (size_t)R->x[i]->numel);
        gc_assert_ok(gc_plan_read(R->full, R->dx[i], got[i]));
    }
    assert_true(case_vjp(c, xs, R->y, R->rh, ref));
    for (int i = 0; i < c->n_in; i++) {
        char what[32];
        snprintf(what, sizeof what, "backward d/dx%d", i);
        check(R, got[i], ref[i], R->x[i], tol_atol[c->tol], tol_rtol[c->tol], what);
        free(got[i]);
        free(ref[i]);
    }
}

/* sum(y * r) in double from a forward run of the current inputs. */
static double loss_now(struct run *R)
{
    gc_assert_ok(gc_plan_run(R->fwd));
    gc_assert_ok(gc_plan_read(R->fwd, R->y, R->yh));
    double s = 0;
    for (int64_t j = 0; j < R->y->numel; j++) s += (double)R->yh[j] * R->rh[j];
    return s;
}

/* Central differences of sum(y * r) vs the device's gc_grad. */
static void gradcheck(struct run *R)
{
    for (int i = 0; i < R->c->n_in; i++) {
        int64_t n = R->x[i]->numel, pts = n < FD_MAX_POINTS ? n : FD_MAX_POINTS;
        float *an = malloc(sizeof(float) * (size_t)n), *fd = malloc(sizeof(float) * (size_t)pts);
        float *pick = malloc(sizeof(float) * (size_t)pts);
        gc_assert_ok(gc_plan_read(R->full, R->dx[i], an));
        for (int64_t p = 0; p < pts; p++) {
            int64_t j = pts == n ? p : (p == pts - 1 ? n - 1 : p * n / pts);
            float x0 = R->xh[i][j], xp = x0 + (float)FD_EPS, xm = x0 - (float)FD_EPS;
            R->xh[i][j] = xp;
            set_input(R, R->fwd, i);
            double lp = loss_now(R);
            R->xh[i][j] = xm;
            set_input(R, R->fwd, i);
            double lm = loss_now(R);
            R->xh[i][j] = x0;
            fd[p] = (float)((lp - lm) / ((double)xp - (double)xm));
            pick[p] = an[j];
        }
        set_input(R, R->fwd, i);
        char label[400];
        snprintf(label, sizeof label, "%s gradcheck d/dx%d (sampled points)", R->label, i);
        gc_assert_tensor_close(pick, fd, pts, FD_ATOL, FD_RTOL, label);
        free(an);
        free(fd);
        free(pick);
    }
}

static void test_cases(bool fd)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++)
        for (int k = 0; k < N_CASES; k++) {
            const struct op_case *c = &cases[k];
            if (fd && !c->gradcheck) continue;
            struct run R;
            run_setup(&R, c, devs[d]);
            if (fd) {
                gc_assert_ok(gc_plan_run(R.full)); /* the analytic gradients */
                gradcheck(&R);
            } else {
                check_fwd_bwd(&R);
            }
            run_teardown(&R);
        }
}

static void test_forward_backward(void **state)
{
    (void)state;
    test_cases(false);
}

static void test_gradcheck(void **state)
{
    (void)state;
    test_cases(true);
}

/* Random draws: a second run continues the stream (counter 1), and the
 * counter can be set back to replay a run. */
static void test_random_counter(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int d = 0; d < nd; d++) {
        struct gc_graph *g;
        gc_assert_ok(gc_graph_create(devs[d], &g));
        int64_t shape[2] = {3, 7};
        struct gc_tensor *u = gc_rand_uniform(g, 99, 2, shape), *v = gc_rand_uniform(g, 99, 2, shape);
        gc_assert_ok(gc_graph_status(g));
        assert_int_not_equal(u->p.rand.stream, v->p.rand.stream);
        struct gc_tensor *outs[2] = {u, v};
        struct gc_plan *p;
        gc_assert_ok(gc_plan_create(g, 2, outs, &p));
        float got[21], want[21], other[21];
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_read(p, u, got));
        gc_ref_rand_uniform(99, u->p.rand.stream, 1, 21, want);
        gc_assert_tensor_close(got, want, 21, 0, 0, "uniform, second run");
        gc_assert_ok(gc_plan_read(p, v, other));
        assert_true(memcmp(got, other, sizeof got) != 0); /* two nodes, two streams */
        assert_int_equal(gc_plan_rng_counter(p), 2);
        gc_plan_set_rng_counter(p, 0);
        gc_assert_ok(gc_plan_run(p));
        gc_assert_ok(gc_plan_read(p, u, got));
        gc_ref_rand_uniform(99, u->p.rand.stream, 0, 21, want);
        gc_assert_tensor_close(got, want, 21, 0, 0, "uniform, replayed first run");
        gc_plan_destroy(p);
        gc_graph_destroy(g);
    }
}

/* Op families tested in their own suites: the meta-test checks that the named
 * test function exists there and is registered (so deleting it fails here),
 * and that every op of the list is covered by this table or by one below. */
struct elsewhere {
    enum gc_op op;
    const char *file, *test;
};
static const struct elsewhere elsewhere[] = {
    {GC_OP_PAD, "tests/test_norm.c", "test_pad_small"},
    {GC_OP_PAD_BACKWARD, "tests/test_norm.c", "test_pad_small"},
    {GC_OP_UPSAMPLE_NEAREST, "tests/test_norm.c", "test_upsample"},
    {GC_OP_SUM_POOL, "tests/test_norm.c", "test_upsample"},
    {GC_OP_MAX_POOL, "tests/test_pool.c", "test_max_pool"},
    {GC_OP_MAX_POOL_BACKWARD, "tests/test_pool.c", "test_max_pool"},
    {GC_OP_AVG_POOL, "tests/test_pool.c", "test_avg_pool"},
    {GC_OP_AVG_POOL_BACKWARD, "tests/test_pool.c", "test_avg_pool"},
    {GC_OP_RESIZE_BILINEAR, "tests/test_pool.c", "test_resize_bilinear"},
    {GC_OP_RESIZE_BILINEAR_BACKWARD, "tests/test_pool.c", "test_resize_bilinear"},
    {GC_OP_NORM_STATS, "tests/test_norm.c", "test_norm_small"},
    {GC_OP_NORM_APPLY, "tests/test_norm.c", "test_norm_small"},
    {GC_OP_NORM_RUNNING_UPDATE, "tests/test_norm.c", "test_norm_small"},
    {GC_OP_DROPOUT_MASK, "tests/test_norm.c", "test_dropout"},
    {GC_OP_LOG_SOFTMAX, "tests/test_softmax.c", "test_log_softmax"},
};

/* True if `file` (under GANCL_SOURCE_ROOT) defines and registers `test`. */
static bool registered_elsewhere(const struct elsewhere *e)
{
    const char *root = getenv("GANCL_SOURCE_ROOT");
    char path[1024], def[128], reg[128];
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", e->file);
    snprintf(def, sizeof def, "static void %s(void **state)", e->test);
    snprintf(reg, sizeof reg, "cmocka_unit_test(%s)", e->test);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return strstr(text, def) && strstr(text, reg);
}

static bool covered_elsewhere(int op)
{
    for (size_t i = 0; i < sizeof elsewhere / sizeof elsewhere[0]; i++)
        if ((int)elsewhere[i].op == op) {
            if (!registered_elsewhere(&elsewhere[i]))
                fail_msg("op '%s': %s has no registered %s", gc__op_name(op), elsewhere[i].file,
                         elsewhere[i].test);
            return true;
        }
    return false;
}

/* Every op in the list has a forward case whose graph really contains that
 * op and whose reference exists; every differentiable op (a backward, not
 * zero-gradient, not a source) has a gradcheck case with a reference VJP. */
static void test_meta(void **state)
{
    (void)state;
    struct gc_device **devs;
    gc_test_devices(&devs);
    for (int op = 0; op < GC_OP_COUNT; op++) {
        const struct gc_op_desc *d = gc__op_descs[op];
        bool differentiable = d->backward && !d->zero_grad && op != GC_OP_INPUT &&
                              op != GC_OP_PARAM;
        bool fwd = false, grad = false;
        if (covered_elsewhere(op)) continue;
        for (int k = 0; k < N_CASES; k++) {
            const struct op_case *c = &cases[k];
            if ((int)c->op != op) continue;
            struct gc_graph *g;
            gc_assert_ok(gc_graph_create(devs[0], &g));
            struct gc_tensor *x[GC_MAX_INPUTS] = {NULL};
            float *xh[GC_MAX_INPUTS] = {NULL};
            struct gc_param_group *grp = c->as_param ? gc_param_group(g, "case") : NULL;
            for (int i = 0; i < c->n_in; i++) {
                x[i] = grp ? gc_param(grp, "x", c->in[i].s.ndim, c->in[i].s.d)
                           : gc_input(g, "x", c->in[i].s.ndim, c->in[i].s.d);
                xh[i] = malloc(sizeof(float) * (size_t)gc_ref_numel(&c->in[i].s));
                case_input(c, i, xh[i]);
            }
            struct gc_tensor *y = case_build(g, c, x);
            gc_assert_ok(gc_graph_status(g));
            bool has_op = false;
            for (int i = 0; i < gc_graph_node_count(g); i++) has_op |= (int)g->nodes[i]->op == op;
            if (!has_op) fail_msg("case %s does not build a %s node", c->name, d->name);
            float *yh = malloc(sizeof(float) * (size_t)y->numel);
            float *dx[GC_MAX_INPUTS] = {NULL};
            for (int i = 0; i < c->n_in; i++) dx[i] = malloc(sizeof(float) * (size_t)x[i]->numel);
            bool has_ref = case_ref(c, (const float *const *)xh, y, 0, yh);
            bool has_vjp = case_vjp(c, (const float *const *)xh, y, yh, dx);
            fwd |= has_ref && has_vjp;
            grad |= has_vjp && c->gradcheck;
            for (int i = 0; i < c->n_in; i++) free(xh[i]), free(dx[i]);
            free(yh);
            gc_graph_destroy(g);
        }
        if (!fwd) fail_msg("op '%s' has no forward/backward reference test case", d->name);
        if (differentiable && !grad) fail_msg("op '%s' has no gradient-check case", d->name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_forward_backward),
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_random_counter),
        cmocka_unit_test(gc_test_plan_stats),
        cmocka_unit_test(gc_test_inplace),
        cmocka_unit_test(gc_test_arena_split),
        cmocka_unit_test(gc_test_sticky_error),
        cmocka_unit_test(gc_test_no_gradient),
        cmocka_unit_test(gc_test_detach),
        cmocka_unit_test(gc_test_accumulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
