/* SPDX-License-Identifier: MIT */
/* Convolution family: conv2d, conv_transpose2d and conv2d_bwd_weight, each
 * computed as data movement (cl/conv.cl) + GEMM (host/ops/gemm.h: gan-cl's
 * own kernels or CLBlast), with backwards expressed in each other:
 *   conv2d(x, w)           dx = conv_transpose2d(dy, w)   dw = bwd_weight(dy, x)
 *   conv_transpose2d(x, w) dx = conv2d(dy, w)             dw = bwd_weight(x, dy)
 *   bwd_weight(dy, x) -> g d(dy) = conv2d(x, g)           dx = conv_transpose2d(dy, g)
 * Layouts: patches (N*OH*OW, C*KH*KW) one window per row, so the forward GEMM
 * reads it transposed and the weight gradient is one GEMM with K = N*OH*OW. */
#include "gancl/conv.h"

#include <string.h>

#include "graph/graph_impl.h"
#include "ops/gemm.h"

struct gc_conv_geom gc_conv_geom(int stride, int pad)
{
    struct gc_conv_geom g = {{stride, stride}, {pad, pad}, {1, 1}, {0, 0}};
    return g;
}

static int conv_out(int64_t in, int k, int s, int p, int d)
{
    return (int)((in + 2 * p - (int64_t)d * (k - 1) - 1) / s + 1);
}

static int convt_out(int64_t in, int k, int s, int p, int d, int op)
{
    return (int)((in - 1) * s - 2 * p + (int64_t)d * (k - 1) + op + 1);
}

static bool geom_ok(const struct gc_conv_params *c)
{
    for (int i = 0; i < 2; i++)
        if (c->stride[i] < 1 || c->pad[i] < 0 || c->dil[i] < 1 || c->out_pad[i] < 0 ||
            (c->out_pad[i] >= c->stride[i] && c->out_pad[i] >= c->dil[i]))
            return false;
    return c->kh >= 1 && c->kw >= 1;
}

static gc_status bad(const struct gc_tensor *t, const char *why)
{
    char a[64], b[64];
    return gc_error(GC_INVALID_ARG, "%s: %s (inputs %s and %s)", gc__op_descs[t->op]->name, why,
                    gc__shape_str(t->in[0], a, sizeof a), gc__shape_str(t->in[1], b, sizeof b));
}

static gc_status conv2d_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0], *w = t->in[1];
    struct gc_conv_params *c = &t->p.conv;
    if (x->ndim != 4 || w->ndim != 4 || w->shape[1] != x->shape[1])
        return bad(t, "need x (N, C, H, W) and w (OC, C, KH, KW)");
    c->kh = (int)w->shape[2];
    c->kw = (int)w->shape[3];
    if (!geom_ok(c)) return bad(t, "invalid stride/padding/dilation");
    int oh = conv_out(x->shape[2], c->kh, c->stride[0], c->pad[0], c->dil[0]);
    int ow = conv_out(x->shape[3], c->kw, c->stride[1], c->pad[1], c->dil[1]);
    if (oh < 1 || ow < 1) return bad(t, "the kernel is larger than the padded input");
    int64_t shape[4] = {x->shape[0], w->shape[0], oh, ow};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

static gc_status convt_infer(struct gc_tensor *t)
{
    const struct gc_tensor *x = t->in[0], *w = t->in[1];
    struct gc_conv_params *c = &t->p.conv;
    if (x->ndim != 4 || w->ndim != 4 || w->shape[0] != x->shape[1])
        return bad(t, "need x (N, IC, H, W) and w (IC, OC, KH, KW)");
    c->kh = (int)w->shape[2];
    c->kw = (int)w->shape[3];
    if (!geom_ok(c)) return bad(t, "invalid stride/padding/dilation/output padding");
    int oh = convt_out(x->shape[2], c->kh, c->stride[0], c->pad[0], c->dil[0], c->out_pad[0]);
    int ow = convt_out(x->shape[3], c->kw, c->stride[1], c->pad[1], c->dil[1], c->out_pad[1]);
    if (oh < 1 || ow < 1) return bad(t, "empty output");
    int64_t shape[4] = {x->shape[0], w->shape[1], oh, ow};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

/* in[0] = dy (N, OC, OH, OW), in[1] = x (N, C, H, W) -> (OC, C, KH, KW) */
static gc_status bwdw_infer(struct gc_tensor *t)
{
    const struct gc_tensor *dy = t->in[0], *x = t->in[1];
    const struct gc_conv_params *c = &t->p.conv;
    if (dy->ndim != 4 || x->ndim != 4 || dy->shape[0] != x->shape[0] || !geom_ok(c))
        return bad(t, "need dy (N, OC, OH, OW) and x (N, C, H, W)");
    if (dy->shape[2] != conv_out(x->shape[2], c->kh, c->stride[0], c->pad[0], c->dil[0]) ||
        dy->shape[3] != conv_out(x->shape[3], c->kw, c->stride[1], c->pad[1], c->dil[1]))
        return bad(t, "dy's size is not the convolution's output size");
    int64_t shape[4] = {dy->shape[1], x->shape[1], c->kh, c->kw};
    gc__set_shape(t, 4, shape);
    return GC_OK;
}

/* A 1x1 kernel, stride 1, no padding is a plain GEMM over channels. */
static bool pointwise(const struct gc_conv_params *c)
{
    return c->kh == 1 && c->kw == 1 && c->stride[0] == 1 && c->stride[1] == 1 && c->pad[0] == 0 &&
           c->pad[1] == 0;
}

static cl_int4 geom_h(const struct gc_conv_params *c)
{
    cl_int4 g = {{c->stride[0], c->pad[0], c->dil[0], c->kh}};
    return g;
}

static cl_int4 geom_w(const struct gc_conv_params *c)
{
    cl_int4 g = {{c->stride[1], c->pad[1], c->dil[1], c->kw}};
    return g;
}

/* The data-movement kernels' work-group size (cl/conv.cl); each work-item
 * owns a row, so the size only sets how many rows share a group. */
static const struct gc_tunable conv_tunables[] = {
    {"CONV_WG", {16, 32, 64, 128, 256}, 5, 64},
};

extern const struct gc_op_desc gc__op_desc_conv2d;

/* Kernel `name` of the conv program with the tunables' values, in slot `slot`. */
static gc_status conv_kernel(struct gc_exec *x, int slot, const char *name, cl_kernel *k)
{
    char opts[64];
    gc__op_options(&gc__op_desc_conv2d, gc__exec_tunables(x), opts, sizeof opts);
    return gc__exec_kernel(x, slot, "conv", opts, name, k);
}

/* CPUs take the row kernels (few integer divisions, contiguous runs); GPUs the
 * element-per-item ones (a batch-1 layer has too few rows to fill a GPU: 2x
 * slower conv_transpose2d on an H100 for CycleGAN at 64 px). */
static bool rows_kernels(const struct gc_exec *x)
{
    return gc_device_get_info(x->dev)->type == GC_DEVICE_CPU;
}

/* 1-D launch of `rows` work-items in groups of CONV_WG. */
static gc_status launch_rows(struct gc_exec *x, cl_kernel k, int n_args, const struct gc_karg *a,
                             int64_t rows)
{
    size_t g = (size_t)rows, l = (size_t)gc__exec_tunables(x)[0];
    return gc__exec_launch(x, k, n_args, a, 1, &g, &l);
}

/* patches (N*OH*OW, C*KH*KW) of x, for output size (oh, ow). */
static gc_status im2col(struct gc_exec *x, struct gc_buf dst, const struct gc_tensor *src,
                        const struct gc_conv_params *c, int oh, int ow)
{
    cl_kernel k;
    bool rows = rows_kernels(x);
    gc_status s = conv_kernel(x, 0, rows ? "im2col_rows" : "im2col_elems", &k);
    if (s != GC_OK) return s;
    struct gc_buf b = gc__exec_buf(x, src);
    cl_int n = (cl_int)src->shape[0], ch = (cl_int)src->shape[1], h = (cl_int)src->shape[2],
           w = (cl_int)src->shape[3], coh = oh, cow = ow;
    cl_int4 gh = geom_h(c), gw = geom_w(c);
    struct gc_karg a[] = {GC_KA(dst.mem), GC_KA(dst.off), GC_KA(b.mem), GC_KA(b.off), GC_KA(n),
                          GC_KA(ch),      GC_KA(h),       GC_KA(w),     GC_KA(coh),   GC_KA(cow),
                          GC_KA(gh),      GC_KA(gw)};
    int64_t pairs = (int64_t)n * oh * ow * ch; /* (patch row, channel) */
    if (rows) s = gc__loop_check(x->dev, 1 + gc__loops(c->kh) + c->kh * gc__loops(c->kw), "im2col");
    if (s != GC_OK) return s;
    return rows ? launch_rows(x, k, 12, a, pairs) : gc__launch_1d(x, k, 12, a, pairs * c->kh * c->kw);
}

static gc_status gemm(struct gc_exec *x, const struct gc_gemm_desc *d, struct gc_buf a,
                      struct gc_buf b, struct gc_buf c)
{
    return gc__gemm(x->dev, d, a.mem, (size_t)a.off, b.mem, (size_t)b.off, c.mem, (size_t)c.off,
                    NULL);
}

/* y[n] (OC, OHW) = w (OC, CKK) . patches[n]^T (CKK, OHW); 1x1: B = x[n] (C, HW) */
static void conv2d_desc(const struct gc_tensor *t, struct gc_gemm_desc *d)
{
    const struct gc_conv_params *c = &t->p.conv;
    int64_t ch = t->in[0]->shape[1], oc = t->shape[1], ohw = t->shape[2] * t->shape[3];
    int64_t ckk = ch * c->kh * c->kw;
    bool pw = pointwise(c);
    *d = (struct gc_gemm_desc){.tb = !pw, .m = oc, .n = ohw, .k = ckk, .lda = ckk,
                               .ldb = pw ? ohw : ckk, .ldc = ohw, .batch = t->shape[0],
                               .stride_a = 0, .stride_b = pw ? ch * ohw : ohw * ckk,
                               .stride_c = oc * ohw, .alpha = 1, .beta = 0};
}

static gc_status conv2d_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    const struct gc_tensor *in = t->in[0];
    struct gc_gemm_desc d;
    conv2d_desc(t, &d);
    struct gc_buf y = gc__exec_buf(x, t), wb = gc__exec_buf(x, t->in[1]);
    if (pointwise(&t->p.conv)) return gemm(x, &d, wb, gc__exec_buf(x, in), y);
    struct gc_buf ws = gc__exec_workspace(x);
    gc_status s = im2col(x, ws, in, &t->p.conv, (int)t->shape[2], (int)t->shape[3]);
    return s == GC_OK ? gemm(x, &d, wb, ws, y) : s;
}

static int64_t conv2d_workspace(const struct gc_tensor *t, const int *tv)
{
    (void)tv; /* CONV_WG changes no workspace */
    const struct gc_conv_params *c = &t->p.conv;
    if (pointwise(c)) return 0;
    return t->shape[0] * t->shape[2] * t->shape[3] * t->in[0]->shape[1] * c->kh * c->kw;
}

/* Loop iterations of one col2im work-item with a run of cw columns: the zeroing, the ky and kx
 * loops and, per tap, at most ceil(cw / sw) + 1 positions. Every ky counts, not just those
 * whose stride phase matches the row: the 8 rows of an llvmpipe SIMD vector match different
 * ky, and the vector runs each tap for any of them. */
static int64_t col2im_trips(const struct gc_conv_params *c, int64_t cw)
{
    int64_t per_tap = gc__loops((cw + c->stride[1] - 1) / c->stride[1] + 1);
    return 1 + gc__loops(cw) + gc__loops(c->kh) + c->kh * (gc__loops(c->kw) + c->kw * per_tap);
}

/* Columns per col2im work-item: the whole row unless the device's loop budget needs runs of
 * fewer (then as few equal runs as fit); 0 when not even one column fits. */
static int col2im_run(const struct gc_device *dev, const struct gc_conv_params *c, int ow)
{
    int64_t budget = gc__loop_budget(dev);
    for (int runs = 1; runs <= ow; runs++) {
        int cw = (ow + runs - 1) / runs;
        if (col2im_trips(c, cw) <= budget) return cw;
    }
    return 0;
}

static gc_status col2im(struct gc_exec *x, const struct gc_tensor *t, struct gc_buf col)
{
    cl_kernel k;
    bool rows = rows_kernels(x);
    gc_status s = conv_kernel(x, 1, rows ? "col2im" : "col2im_elems", &k);
    if (s != GC_OK) return s;
    const struct gc_conv_params *c = &t->p.conv;
    struct gc_buf y = gc__exec_buf(x, t);
    cl_int n = (cl_int)t->shape[0], oc = (cl_int)t->shape[1], h = (cl_int)t->in[0]->shape[2],
           w = (cl_int)t->in[0]->shape[3], oh = (cl_int)t->shape[2], ow = (cl_int)t->shape[3];
    cl_int4 gh = geom_h(c), gw = geom_w(c);
    if (!rows) { /* col2im_elems: kh * kw taps per output element */
        s = gc__loop_check(x->dev, 1 + gc__loops(c->kh) + c->kh * gc__loops(c->kw), "col2im");
        struct gc_karg a[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(col.mem), GC_KA(col.off), GC_KA(n),
                              GC_KA(oc),    GC_KA(h),     GC_KA(w),       GC_KA(oh),      GC_KA(ow),
                              GC_KA(gh),    GC_KA(gw)};
        return s == GC_OK ? gc__launch_1d(x, k, 12, a, t->numel) : s;
    }
    cl_int cw = col2im_run(x->dev, c, ow);
    if (cw == 0) return gc__loop_check(x->dev, col2im_trips(c, 1), "col2im");
    struct gc_karg a[] = {GC_KA(y.mem), GC_KA(y.off), GC_KA(col.mem), GC_KA(col.off), GC_KA(n),
                          GC_KA(oc),    GC_KA(h),     GC_KA(w),       GC_KA(oh),      GC_KA(ow),
                          GC_KA(gh),    GC_KA(gw),    GC_KA(cw)};
    /* output rows (b, o, oy) x runs of cw columns */
    size_t g[2] = {(size_t)(t->numel / ow), (size_t)((ow + cw - 1) / cw)};
    size_t l[2] = {(size_t)gc__exec_tunables(x)[0], 1};
    return gc__exec_launch(x, k, 13, a, 2, g, l);
}

/* col[n] (OC*KK, HW) = w^T (OC*KK, IC) . x[n] (IC, HW); y = col2im(col) */
static void convt_desc(const struct gc_tensor *t, struct gc_gemm_desc *d)
{
    const struct gc_tensor *in = t->in[0];
    int64_t ic = in->shape[1], hw = in->shape[2] * in->shape[3];
    int64_t ockk = t->shape[1] * t->p.conv.kh * t->p.conv.kw;
    *d = (struct gc_gemm_desc){.ta = true, .m = ockk, .n = hw, .k = ic, .lda = ockk, .ldb = hw,
                               .ldc = hw, .batch = in->shape[0], .stride_a = 0,
                               .stride_b = ic * hw, .stride_c = ockk * hw, .alpha = 1,
                               .beta = 0};
}

static gc_status convt_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    const struct gc_tensor *in = t->in[0], *w = t->in[1];
    const struct gc_conv_params *c = &t->p.conv;
    struct gc_gemm_desc d;
    convt_desc(t, &d);
    struct gc_buf wb = gc__exec_buf(x, w), xb = gc__exec_buf(x, in);
    if (pointwise(c) && t->shape[2] == in->shape[2] && t->shape[3] == in->shape[3])
        return gemm(x, &d, wb, xb, gc__exec_buf(x, t)); /* col is y itself */
    struct gc_buf ws = gc__exec_workspace(x);
    gc_status s = gemm(x, &d, wb, xb, ws);
    return s == GC_OK ? col2im(x, t, ws) : s;
}

static int64_t convt_workspace(const struct gc_tensor *t, const int *tv)
{
    (void)tv; /* CONV_WG changes no workspace */
    const struct gc_conv_params *c = &t->p.conv;
    const struct gc_tensor *in = t->in[0];
    if (pointwise(c) && t->shape[2] == in->shape[2] && t->shape[3] == in->shape[3]) return 0;
    return in->shape[0] * t->shape[1] * c->kh * c->kw * in->shape[2] * in->shape[3];
}

static gc_status nc_swap(struct gc_exec *x, struct gc_buf dst, const struct gc_tensor *src)
{
    cl_kernel k;
    gc_status s = conv_kernel(x, 1, "nc_swap", &k);
    if (s != GC_OK) return s;
    struct gc_buf b = gc__exec_buf(x, src);
    cl_int a0 = (cl_int)src->shape[0], a1 = (cl_int)src->shape[1],
           p = (cl_int)(src->shape[2] * src->shape[3]);
    struct gc_karg a[] = {GC_KA(dst.mem), GC_KA(dst.off), GC_KA(b.mem), GC_KA(b.off),
                          GC_KA(a0),      GC_KA(a1),      GC_KA(p)};
    size_t g[2] = {(size_t)a0 * (size_t)a1, ((size_t)p + 4095) / 4096}; /* rows, 4096-chunks */
    size_t l[2] = {(size_t)gc__exec_tunables(x)[0], 1};
    return gc__exec_launch(x, k, 7, a, 2, g, l);
}

/* dw (OC, CKK) = dy_cn (OC, N*OHW) . patches (N*OHW, CKK) */
static void bwdw_desc(const struct gc_tensor *t, struct gc_gemm_desc *d)
{
    const struct gc_tensor *dy = t->in[0];
    int64_t np = dy->shape[0] * dy->shape[2] * dy->shape[3];
    int64_t ckk = t->in[1]->shape[1] * t->p.conv.kh * t->p.conv.kw;
    *d = (struct gc_gemm_desc){.m = dy->shape[1], .n = ckk, .k = np, .lda = np, .ldb = ckk,
                               .ldc = ckk, .batch = 1, .alpha = 1, .beta = 0};
}

static gc_status bwdw_forward(struct gc_exec *x, const struct gc_tensor *t)
{
    const struct gc_tensor *dy = t->in[0], *in = t->in[1];
    struct gc_gemm_desc d;
    bwdw_desc(t, &d);
    struct gc_buf ws = gc__exec_workspace(x), dyb = gc__exec_buf(x, dy);
    struct gc_buf patches = ws, dycn = {ws.mem, ws.off + (cl_ulong)(d.k * d.n)};
    gc_status s = im2col(x, patches, in, &t->p.conv, (int)dy->shape[2], (int)dy->shape[3]);
    bool swap = dy->shape[0] > 1;
    if (s == GC_OK && swap) s = nc_swap(x, dycn, dy);
    return s == GC_OK ? gemm(x, &d, swap ? dycn : dyb, patches, gc__exec_buf(x, t)) : s;
}

/* CLBlast's scratch is sized at plan time, so replays allocate nothing. */
static gc_status reserve(struct gc_device *dev, const struct gc_gemm_desc *d)
{
    return gc__gemm_reserve(dev, d); /* a no-op where the shape runs gan-cl's own kernel */
}

static gc_status conv_prepare(struct gc_device *dev, const struct gc_tensor *t)
{
    struct gc_gemm_desc d;
    if (t->op == GC_OP_CONV2D) conv2d_desc(t, &d);
    else if (t->op == GC_OP_CONV_TRANSPOSE2D) convt_desc(t, &d);
    else bwdw_desc(t, &d);
    return reserve(dev, &d);
}

static int64_t bwdw_workspace(const struct gc_tensor *t, const int *tv)
{
    (void)tv; /* CONV_WG changes no workspace */
    const struct gc_tensor *dy = t->in[0], *in = t->in[1];
    int64_t np = dy->shape[0] * dy->shape[2] * dy->shape[3];
    int64_t ckk = in->shape[1] * t->p.conv.kh * t->p.conv.kw;
    return np * ckk + (dy->shape[0] > 1 ? dy->numel : 0);
}

/* ---- builders and backwards ------------------------------------------- */
static union gc_op_params params_of(struct gc_conv_geom g, int kh, int kw)
{
    union gc_op_params p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 2; i++) {
        p.conv.stride[i] = g.stride[i];
        p.conv.pad[i] = g.pad[i];
        p.conv.dil[i] = g.dilation[i] ? g.dilation[i] : 1;
        p.conv.out_pad[i] = g.out_pad[i];
    }
    p.conv.kh = kh;
    p.conv.kw = kw;
    return p;
}

static struct gc_conv_geom geom_of(const struct gc_conv_params *c)
{
    struct gc_conv_geom g = {{c->stride[0], c->stride[1]}, {c->pad[0], c->pad[1]},
                             {c->dil[0], c->dil[1]}, {0, 0}};
    return g;
}

struct gc_tensor *gc_conv2d(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *w,
                            struct gc_conv_geom geom)
{
    union gc_op_params p = params_of(geom, 1, 1);
    return gc__node2(g, GC_OP_CONV2D, x, w, &p);
}

struct gc_tensor *gc_conv_transpose2d(struct gc_graph *g, struct gc_tensor *x,
                                      struct gc_tensor *w, struct gc_conv_geom geom)
{
    union gc_op_params p = params_of(geom, 1, 1);
    return gc__node2(g, GC_OP_CONV_TRANSPOSE2D, x, w, &p);
}

struct gc_tensor *gc_conv2d_bwd_weight(struct gc_graph *g, struct gc_tensor *dy,
                                       struct gc_tensor *x, int kh, int kw,
                                       struct gc_conv_geom geom)
{
    union gc_op_params p = params_of(geom, kh, kw);
    return gc__node2(g, GC_OP_CONV2D_BWD_WEIGHT, dy, x, &p);
}

/* conv_transpose2d(dy, w) back to the size of `like` (the conv's input):
 * output padding recovers what the conv's floor division dropped. */
static struct gc_tensor *conv_input_grad(struct gc_graph *g, struct gc_tensor *dy,
                                         struct gc_tensor *w, const struct gc_conv_params *c,
                                         const struct gc_tensor *like)
{
    struct gc_conv_geom geom = geom_of(c);
    geom.out_pad[0] = (int)like->shape[2] -
                      convt_out(dy->shape[2], c->kh, c->stride[0], c->pad[0], c->dil[0], 0);
    geom.out_pad[1] = (int)like->shape[3] -
                      convt_out(dy->shape[3], c->kw, c->stride[1], c->pad[1], c->dil[1], 0);
    return gc_conv_transpose2d(g, dy, w, geom);
}

static gc_status conv2d_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                 const bool *need, struct gc_tensor **dx)
{
    const struct gc_conv_params *c = &t->p.conv;
    if (need[0]) dx[0] = conv_input_grad(g, dy, t->in[1], c, t->in[0]);
    if (need[1]) dx[1] = gc_conv2d_bwd_weight(g, dy, t->in[0], c->kh, c->kw, geom_of(c));
    return gc_graph_status(g);
}

static gc_status convt_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dy,
                                const bool *need, struct gc_tensor **dx)
{
    const struct gc_conv_params *c = &t->p.conv;
    if (need[0]) dx[0] = gc_conv2d(g, dy, t->in[1], geom_of(c));
    if (need[1]) dx[1] = gc_conv2d_bwd_weight(g, t->in[0], dy, c->kh, c->kw, geom_of(c));
    return gc_graph_status(g);
}

static gc_status bwdw_backward(struct gc_graph *g, struct gc_tensor *t, struct gc_tensor *dw,
                               const bool *need, struct gc_tensor **dx)
{
    const struct gc_conv_params *c = &t->p.conv;
    struct gc_tensor *dy = t->in[0], *x = t->in[1];
    if (need[0]) dx[0] = gc_conv2d(g, x, dw, geom_of(c));
    if (need[1]) dx[1] = conv_input_grad(g, dy, dw, c, x);
    return gc_graph_status(g);
}

static double conv2d_flops(const struct gc_tensor *t)
{
    return 2.0 * (double)t->numel * (double)(t->in[1]->numel / t->in[1]->shape[0]);
}

static double convt_flops(const struct gc_tensor *t)
{
    return 2.0 * (double)t->in[0]->numel * (double)(t->in[1]->numel / t->in[1]->shape[0]);
}

static double bwdw_flops(const struct gc_tensor *t)
{
    return 2.0 * (double)t->in[0]->numel * (double)(t->numel / t->shape[0]);
}

const struct gc_op_desc gc__op_desc_conv2d = {.name = "conv2d",
                                              .program = "conv",
                                              .infer = conv2d_infer,
                                              .forward = conv2d_forward,
                                              .prepare = conv_prepare,
                                              .backward = conv2d_backward,
                                              .workspace = conv2d_workspace,
                                              .tunables = conv_tunables,
                                              .n_tunables = 1,
                                              .flops = conv2d_flops};
const struct gc_op_desc gc__op_desc_conv_transpose2d = {.name = "conv_transpose2d",
                                                        .program = "conv",
                                                        .infer = convt_infer,
                                                        .forward = convt_forward,
                                                        .prepare = conv_prepare,
                                                        .backward = convt_backward,
                                                        .workspace = convt_workspace,
                                                        .tunables = conv_tunables,
                                                        .n_tunables = 1,
                                                        .flops = convt_flops};
const struct gc_op_desc gc__op_desc_conv2d_bwd_weight = {.name = "conv2d_bwd_weight",
                                                         .program = "conv",
                                                         .infer = bwdw_infer,
                                                         .forward = bwdw_forward,
                                                         .prepare = conv_prepare,
                                                         .backward = bwdw_backward,
                                                         .workspace = bwdw_workspace,
                                                         .tunables = conv_tunables,
                                                         .n_tunables = 1,
                                                         .flops = bwdw_flops};
