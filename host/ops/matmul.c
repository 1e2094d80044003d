/* SPDX-License-Identifier: MIT */
/* matmul (2-D, either operand transposed) and linear. Both gradients are
 * matmuls again, so double backprop through an MLP works by construction:
 *   y = op(a) op(b);  da = dy op(b)^T (arranged for ta),  db = op(a)^T dy. */
#include "graph/graph_impl.h"
#include "ops/gemm.h"

static int64_t rows(const struct gc_tensor *t, bool tr)
{
    return tr ? t->shape[1] : t->shape[0];
}
static int64_t cols(const struct gc_tensor *t, bool tr)
{
    return tr ? t->shape[0] : t->shape[1];
}

static gc_status matmul_infer(struct gc_tensor *t)
{
    const struct gc_tensor *a = t->in[0], *b = t->in[1];
    bool ta = t->p.mm.ta, tb = t->p.mm.tb;
    if (a->ndim != 2 || b->ndim != 2 || cols(a, ta) != rows(b, tb)) {
        char sa[64], sb[64];
        return gc_error(GC_INVALID_ARG, "matmul: %s%s x %s%s do not multiply",
                        gc__shape_str(a, sa, sizeof sa), ta ? "^T" : "",
                        gc__shape_str(b, sb, sizeof sb), tb ? "^T" : "");
    }
    int64_t shape[2] = {rows(a, ta), cols(b, tb)};
    gc__set_shape(t, 2, shape);
    return GC_OK;
}

static void matmul_desc(const struct gc_tensor *t, struct gc_gemm_desc *d)
{
    const struct gc_tensor *a = t->in[0], *b = t->in[1];
    *d = (struct gc_gemm_desc){.ta = t->p.mm.ta, .tb = t->p.mm.tb, .m = t->shape[0],
                               .n = t->shape[1], .k = cols(a, t->p.mm.ta), .lda = a->shape[1],
                               .ldb = b->shape[1], .ldc = t->shape[1], .batch = 1,
                               .alpha = 1.0f, .beta = 0.0f};
}

static gc_status matmul_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    struct gc_gemm_desc d;
    matmul_desc(t, &d);
    struct gc_buf y = gc__exec_buf(x, t), a = gc__exec_buf(x, t->in[0]), b = gc__exec_buf(x, t->in[1]);
    return gc__gemm(x->dev, &d, a.mem, (size_t)a.off, b.mem, (size_t)b.off, y.mem, (size_t)y.off,
                    NULL);
}

/* CLBlast's scratch is sized here, at plan time, so replays allocate nothing. */
static gc_status matmul_prepare(struct gc_device *dev, const struct gc_tensor *t)
{
    struct gc_gemm_desc d;
    matmul_desc(t, &d);
    return gc__gemm_reserve(dev, &d); /* a no-op where the shape runs gan-cl's own kernel */
}

static gc_status matmul_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    struct gc_tensor *a = t->in[0], *b = t->in[1];
    bool ta = t->p.mm.ta, tb = t->p.mm.tb;
    /* C = A B (A = op(a), B = op(b)): dA = dC B^T, dB = A^T dC; then undo op. */
    if (need[0])
        dx[0] = ta ? gc_matmul(g, b, dy, tb, true)    /* da = (dC B^T)^T = B dC^T */
                   : gc_matmul(g, dy, b, false, !tb); /* da = dC B^T */
    if (need[1])
        dx[1] = tb ? gc_matmul(g, dy, a, true, ta)    /* db = (A^T dC)^T = dC^T A */
                   : gc_matmul(g, a, dy, !ta, false); /* db = A^T dC */
    return gc_graph_status(g);
}

static double matmul_flops(const struct gc_tensor *t)
{
    return 2.0 * (double)t->numel * (double)cols(t->in[0], t->p.mm.ta);
}

const struct gc_op_desc gc__op_desc_matmul = {.name = "matmul",
                                              .program = NULL, /* GEMM kernels: see ops/gemm.h */
                                              .infer = matmul_infer,
                                              .forward = matmul_forward,
                                              .prepare = matmul_prepare,
                                              .backward = matmul_backward,
                                              .flops = matmul_flops};

struct gc_tensor *gc_matmul(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b, bool ta,
                            bool tb)
{
    union gc_op_params p = {.mm = {ta, tb}};
    return gc__node2(g, GC_OP_MATMUL, a, b, &p);
}

struct gc_tensor *gc_linear(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *w,
                            struct gc_tensor *b)
{
    struct gc_tensor *y = gc_matmul(g, x, w, false, true);
    return b ? gc_bias_add(g, y, b) : y;
}
