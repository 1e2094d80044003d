/* SPDX-License-Identifier: MIT */
/* gemm_thin host side: describes the operands by strides (one kernel per access pattern
 * serves every transpose and leading dimension), picks the kernel of cl/gemm_thin.cl by which
 * stride is 1, and runs K in chunks on loop-limited devices. See gemm_thin.h. */
#include "ops/gemm_thin.h"

#include <stdio.h>
#include <string.h>

enum thin_kind { THIN_DOT, THIN_ROWS, THIN_OUTER };

/* op(A)(i, p) = A[i*ai + p*ak], op(B)(p, j) = B[p*bk + j*bj]. A GEMV reads the matrix X (A when
 * N == 1, B when M == 1) as X[o*xo + p*xk] and the vector operand as v[p*vk]; output o lies at
 * C[o*co]. */
struct thin_plan {
    enum thin_kind kind;
    bool x_is_a;
    int64_t nout, xo, xk, vk, co;
    int64_t ai, ak, bk, bj;
};

bool gc__gemm_thin_shape(const struct gc_gemm_desc *d)
{
    return d->m == 1 || d->n == 1 || d->k <= GC_GEMM_THIN_SMALL_K;
}

static void plan_of(const struct gc_gemm_desc *d, struct thin_plan *p)
{
    memset(p, 0, sizeof *p);
    p->ai = d->ta ? 1 : d->lda;
    p->ak = d->ta ? d->lda : 1;
    p->bk = d->tb ? 1 : d->ldb;
    p->bj = d->tb ? d->ldb : 1;
    if (d->m != 1 && d->n != 1) {
        p->kind = THIN_OUTER;
        return;
    }
    /* M == N == 1: the operand contiguous along K as X, so the dot kernel loads vectors. */
    p->x_is_a = d->m == 1 && d->n == 1 ? p->ak == 1 : d->n == 1;
    p->nout = p->x_is_a ? d->m : d->n;
    p->xo = p->x_is_a ? p->ai : p->bj;
    p->xk = p->x_is_a ? p->ak : p->bk;
    p->vk = p->x_is_a ? p->bk : p->ak;
    p->co = p->x_is_a ? d->ldc : 1;
    /* One of xo, xk is 1 (a row of the stored matrix); both only when K or nout is 1. */
    p->kind = p->xk == 1 && (p->xo != 1 || p->nout == 1) ? THIN_DOT : THIN_ROWS;
}

static uint64_t L(uint64_t trips) { return 2 * trips + 1; }

static uint64_t log2u(int v)
{
    uint64_t r = 0;
    while (v > 1) v >>= 1, r++;
    return r;
}

/* Loop-limited devices (llvmpipe): the iterations one work-item may run per launch, counted
 * as gemm.c counts gemm_cpu's (2 per iteration, 1 per entered loop, nothing assumed unrolled;
 * the VW-element helper loops of cl/gemm_thin.cl included at their longest path): a launch of
 * k costs fixed + per * ceil(k / step). They mirror the kernels' loop nests: change together. */
static void thin_trips(const struct thin_plan *p, const struct gc_gemm_config *cfg, uint64_t *fixed,
                       uint64_t *per, int64_t *step)
{
    uint64_t vw = (uint64_t)cfg->thin_vw, split = (uint64_t)cfg->thin_split;
    uint64_t reduce = L(log2u(cfg->thin_split));
    switch (p->kind) {
    case THIN_DOT: { /* 2 vectors per iteration; the lone vector and the scalar tail once */
        uint64_t gather = p->vk == 1 ? 0 : L(vw);
        *per = 2 + 2 * gather;
        *step = (int64_t)(2 * vw * split);
        *fixed = 8 + gather + L(vw) + reduce;
        break;
    }
    case THIN_ROWS: /* 2 K steps per iteration, each a zero-padded load at worst */
        *per = 2 + 2 * L(vw);
        *step = (int64_t)(2 * split);
        *fixed = 8 + L(vw) + reduce + 2 * L(vw);
        break;
    default: { /* per row: a full vector per K step, or the row end's VW element loops over K */
        uint64_t full = 2 + (p->bj == 1 ? 0 : L(vw)), rb = (uint64_t)cfg->thin_rb;
        *per = rb * (full > 2 * vw ? full : 2 * vw);
        *step = 1;
        *fixed = 8 + L(rb) + rb * 4 * L(vw);
        break;
    }
    }
}

static uint64_t usable_trips(const struct gc_device_info *info)
{
    return info->loop_limit - info->loop_limit / 8; /* as gemm.c: 1/8 headroom */
}

int64_t gc__gemm_thin_k_chunk(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                              const struct gc_gemm_config *cfg)
{
    if (!info->loop_limit) return d->k;
    struct thin_plan p;
    plan_of(d, &p);
    uint64_t fixed, per, use = usable_trips(info);
    int64_t step;
    thin_trips(&p, cfg, &fixed, &per, &step);
    if (fixed + per > use) return 0;
    int64_t chunk = (int64_t)((use - fixed) / per) * step;
    return chunk < d->k ? chunk : d->k;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Sizes of one launch: GEMV groups of THIN_WG items along the outputs; the outer kernel's
 * items cover VW columns of RB rows each, grouped up to THIN_WG per row block. */
static void launch_dims(const struct gc_gemm_desc *d, const struct thin_plan *p,
                        const struct gc_gemm_config *cfg, size_t global[3], size_t local[3])
{
    int64_t wg = cfg->thin_wg, slots = cfg->thin_wg / cfg->thin_split;
    if (p->kind == THIN_OUTER) {
        int64_t cols = ceil_div(d->n, cfg->thin_vw), rows = ceil_div(d->m, cfg->thin_rb);
        int64_t l0 = cols < wg ? cols : wg, l1 = wg / l0 < rows ? wg / l0 : rows;
        global[0] = (size_t)cols, global[1] = (size_t)rows, global[2] = (size_t)d->batch;
        local[0] = (size_t)l0, local[1] = (size_t)l1, local[2] = 1;
        return;
    }
    int64_t units = p->kind == THIN_DOT ? p->nout : ceil_div(p->nout, cfg->thin_vw);
    global[0] = (size_t)(ceil_div(units, slots) * wg), global[1] = (size_t)d->batch, global[2] = 1;
    local[0] = (size_t)wg, local[1] = 1, local[2] = 1;
}

/* One launch over K [k0, k0 + kc), beta already chunk-adjusted. */
static gc_status launch(struct gc_device *dev, cl_kernel kn, const struct gc_gemm_desc *d,
                        const struct thin_plan *p, const struct gc_gemm_config *cfg, int64_t k0,
                        int64_t kc, cl_mem a, size_t a_off, cl_mem b, size_t b_off, cl_mem c,
                        size_t c_off, float beta)
{
    bool batched = d->batch > 1;
    cl_int k = (cl_int)kc;
    cl_float alpha = d->alpha, bt = beta;
    cl_ulong ao = a_off + (size_t)(k0 * p->ak), bo = b_off + (size_t)(k0 * p->bk), co = c_off;
    cl_ulong sa = batched ? (cl_ulong)d->stride_a : 0, sb = batched ? (cl_ulong)d->stride_b : 0;
    cl_ulong sc = batched ? (cl_ulong)d->stride_c : 0;
    size_t global[3], local[3];
    launch_dims(d, p, cfg, global, local);
    if (p->kind == THIN_OUTER) {
        cl_int m = (cl_int)d->m, n = (cl_int)d->n, ldc = (cl_int)d->ldc;
        cl_int ai = (cl_int)p->ai, ak = (cl_int)p->ak, bk = (cl_int)p->bk, bj = (cl_int)p->bj;
        const struct gc_karg args[] = {GC_KA(m),  GC_KA(n),  GC_KA(k),  GC_KA(alpha), GC_KA(a),
                                       GC_KA(ao), GC_KA(ai), GC_KA(ak), GC_KA(sa),    GC_KA(b),
                                       GC_KA(bo), GC_KA(bk), GC_KA(bj), GC_KA(sb),    GC_KA(bt),
                                       GC_KA(c),  GC_KA(co), GC_KA(ldc), GC_KA(sc)};
        return gc__enqueue(dev, kn, (int)(sizeof args / sizeof args[0]), args, 3, global, local,
                           NULL);
    }
    cl_int nout = (cl_int)p->nout, xs = (cl_int)(p->kind == THIN_DOT ? p->xo : p->xk);
    cl_int vk = (cl_int)p->vk, cs = (cl_int)p->co;
    cl_mem x = p->x_is_a ? a : b, v = p->x_is_a ? b : a;
    cl_ulong xo = p->x_is_a ? ao : bo, vo = p->x_is_a ? bo : ao;
    cl_ulong sx = p->x_is_a ? sa : sb, sv = p->x_is_a ? sb : sa;
    const struct gc_karg args[] = {GC_KA(nout), GC_KA(k),  GC_KA(alpha), GC_KA(x),  GC_KA(xo),
                                   GC_KA(xs),   GC_KA(sx), GC_KA(v),     GC_KA(vo), GC_KA(vk),
                                   GC_KA(sv),   GC_KA(bt), GC_KA(c),     GC_KA(co), GC_KA(cs),
                                   GC_KA(sc)};
    return gc__enqueue(dev, kn, (int)(sizeof args / sizeof args[0]), args, 2, global, local, NULL);
}

/* Chunks start at multiples of the kernel's K step and add to C (beta 1 after the first):
 * the order of the sum is fixed by the config, the device's loop limit and K. */
gc_status gc__gemm_thin_run(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a,
                            size_t a_off, cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                            const struct gc_gemm_config *cfg)
{
    static const char *const kernels[] = {"gemm_thin_dot", "gemm_thin_rows", "gemm_thin_outer"};
    struct thin_plan p;
    plan_of(d, &p);
    char opts[192];
    int n = gc__gemm_build_options(cfg, d->ta, d->tb, opts, sizeof opts);
    /* Only the flag the chosen kernel reads varies: the common all-contiguous case shares one
     * program between the three kernels. */
    snprintf(opts + n, sizeof opts - (size_t)n, " -DTHIN_VK1=%d -DTHIN_BJ1=%d",
             p.kind != THIN_DOT || p.vk == 1, p.kind != THIN_OUTER || p.bj == 1);
    cl_kernel kn;
    gc_status s = gc__kernel_get(dev, "gemm_thin", opts, kernels[p.kind], &kn);
    if (s != GC_OK) return s;
    int64_t chunk = gc__gemm_thin_k_chunk(&dev->info, d, cfg);
    if (chunk == 0 && d->k > 0)
        return gc_error(GC_INVALID_ARG,
                        "gemm_thin: one K step of %s (VW=%d SPLIT=%d) loops more than %s allows "
                        "a work-item (%u iterations in all)",
                        kernels[p.kind], cfg->thin_vw, cfg->thin_split, dev->info.name,
                        dev->info.loop_limit);
    for (int64_t k0 = 0; s == GC_OK && (k0 < d->k || k0 == 0); k0 += chunk) {
        int64_t kc = d->k - k0 < chunk ? d->k - k0 : chunk;
        s = launch(dev, kn, d, &p, cfg, k0, kc, a, a_off, b, b_off, c, c_off,
                   k0 == 0 ? d->beta : 1.0f);
        if (chunk <= 0) break;
    }
    return s;
}
