/* SPDX-License-Identifier: MIT */
/* matmul (2-D, either operand transposed) and linear. Both gradients are
 * matmuls again, so double backprop through an MLP works by construction:
 *   y = op(a) op(b);  da = dy op(b)^T (arranged for ta),  db = op(a)^T dy. */
#include <clblast_c.h>

#include "graph/graph_impl.h"

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

static gc_status matmul_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    const struct gc_tensor *a = t->in[0], *b = t->in[1];
    struct gc_buf y = gc__exec_buf(x, t), ba = gc__exec_buf(x, a), bb = gc__exec_buf(x, b);
    size_t m = (size_t)t->shape[0], n = (size_t)t->shape[1], k = (size_t)cols(a, t->p.mm.ta);
    CLBlastStatusCode st = CLBlastSgemm(
        CLBlastLayoutRowMajor, t->p.mm.ta ? CLBlastTransposeYes : CLBlastTransposeNo,
        t->p.mm.tb ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, 1.0f, ba.mem,
        (size_t)ba.off, (size_t)a->shape[1], bb.mem, (size_t)bb.off, (size_t)b->shape[1], 0.0f,
        y.mem, (size_t)y.off, n, &x->dev->queue, NULL);
    if (st != CLBlastSuccess)
        return gc_error(st == CLBlastOpenCLOutOfResources || st == CLBlastTempBufferAllocFailure
                            ? GC_DEVICE_NOMEM
                            : GC_CLBLAST,
                        "CLBlastSgemm (%zux%zux%zu) on %s: %s", m, n, k, x->dev->info.name,
                        gc__clblast_error_name(st));
    return GC_OK;
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
                                              .program = NULL,
                                              .infer = matmul_infer,
                                              .forward = matmul_forward,
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
