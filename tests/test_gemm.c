/* SPDX-License-Identifier: MIT */
/* SGEMM (host/ops/gemm.c, cl/gemm.cl): every implementation (own gemm_cpu, own gemm_tiled,
 * CLBlast) on every test device, all four transpose combinations, odd shapes that exercise
 * every tail, padded leading dimensions, buffer offsets, strided batches, alpha/beta and
 * beta == 0 over NaN garbage — against a plain-C reference accumulating in double. Also
 * checks that elements outside the C matrices are never written and that a kernel built
 * without its -D tile options fails to build instead of guessing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/clrt.h"
#include "gancl/alloc.h"
#include "harness.h"
#include "ops/gemm.h"

/* fp32 accumulation (with fma) of K <= 300 products of values in [-1, 1): the rounding error
 * grows like sqrt(K) * 2^-24 * |a||b| per output, a few 1e-6 here; 1e-4 leaves room for
 * any summation order (tiles, k-chunks) while still catching a single wrong product. */
#define GEMM_ATOL 1e-4
#define GEMM_RTOL 1e-4
#define PAD_SENTINEL 7.25f /* written outside every C matrix; must survive untouched */

struct shape {
    int64_t m, n, k, batch;
    int64_t lda; /* 0: k or m plus padding; 1024 makes gemm_cpu pack A (cache-set collisions) */
    int shared;  /* batch stride 0 (one operand for the whole batch): 1 A, 2 B */
    bool tight;  /* lda and ldb exactly the stored row length (e.g. 1 for a column vector) */
};

static const struct shape shapes[] = {
    {7, 5, 3, 1, 0, 0, false},    {1, 1, 1, 1, 0, 0, false},    {33, 65, 17, 1, 0, 0, false},
    {129, 31, 300, 1, 0, 0, false}, {17, 40, 9, 3, 0, 0, false}, {37, 20, 70, 2, 1024, 0, false},
    {5, 9, 13, 1, 1024, 0, false},
};

/* Element (i, j) of op(X) for X stored with row stride ld. */
static float op_at(const float *x, int64_t ld, bool t, int64_t i, int64_t j)
{
    return t ? x[j * ld + i] : x[i * ld + j];
}

static void reference(const struct gc_gemm_desc *d, const float *a, size_t a_off, const float *b,
                      size_t b_off, float *c, size_t c_off)
{
    for (int64_t bi = 0; bi < d->batch; bi++) {
        const float *ab = a + a_off + bi * d->stride_a, *bb = b + b_off + bi * d->stride_b;
        float *cb = c + c_off + bi * d->stride_c;
        for (int64_t i = 0; i < d->m; i++)
            for (int64_t j = 0; j < d->n; j++) {
                double s = 0;
                for (int64_t p = 0; p < d->k; p++)
                    s += (double)op_at(ab, d->lda, d->ta, i, p) * op_at(bb, d->ldb, d->tb, p, j);
                double old = d->beta != 0.0f ? (double)cb[i * d->ldc + j] * d->beta : 0.0;
                cb[i * d->ldc + j] = (float)(d->alpha * s + old);
            }
    }
}

static cl_mem upload(struct gc_device *dev, const float *x, size_t n)
{
    cl_mem m;
    gc_assert_ok(gc__buffer_create(dev, n * sizeof(float), &m));
    assert_int_equal(clEnqueueWriteBuffer(dev->queue, m, CL_TRUE, 0, n * sizeof(float), x, 0, NULL,
                                          NULL),
                     CL_SUCCESS);
    return m;
}

/* One GEMM: padded leading dimensions, offsets, batch strides with gaps. */
static void run_case(struct gc_device *dev, const struct gc_gemm_config *cfg, struct shape sh,
                     bool ta, bool tb, float beta, uint64_t seed)
{
    struct gc_gemm_desc d = {.ta = ta, .tb = tb, .m = sh.m, .n = sh.n, .k = sh.k,
                             .batch = sh.batch, .alpha = 1.5f, .beta = beta};
    d.lda = sh.lda ? sh.lda : (ta ? sh.m : sh.k) + (sh.tight ? 0 : 3);
    d.ldb = (tb ? sh.k : sh.n) + (sh.tight ? 0 : 2);
    d.ldc = sh.n + 5;
    d.stride_a = sh.shared == 1 ? 0 : d.lda * (ta ? sh.k : sh.m) + 7;
    d.stride_b = sh.shared == 2 ? 0 : d.ldb * (tb ? sh.n : sh.k) + 1;
    d.stride_c = d.ldc * sh.m + 4;
    const size_t a_off = 5, b_off = 3, c_off = 11;
    size_t na = a_off + (size_t)(d.stride_a * (sh.batch - 1) + d.lda * (ta ? sh.k : sh.m) + 7);
    size_t nb = b_off + (size_t)(d.stride_b * (sh.batch - 1) + d.ldb * (tb ? sh.n : sh.k) + 1);
    size_t nc = c_off + (size_t)(d.stride_c * sh.batch);
    float *a = gc_malloc(na * sizeof(float)), *b = gc_malloc(nb * sizeof(float));
    float *c = gc_malloc(nc * sizeof(float)), *expect = gc_malloc(nc * sizeof(float));
    assert_true(a && b && c && expect);
    gc_test_fill_uniform(a, (int64_t)na, seed, -1.0f, 1.0f);
    gc_test_fill_uniform(b, (int64_t)nb, seed + 1, -1.0f, 1.0f);
    for (size_t i = 0; i < nc; i++) c[i] = PAD_SENTINEL;
    for (int64_t bi = 0; bi < sh.batch; bi++) {
        float *cb = c + c_off + bi * d.stride_c;
        gc_test_fill_uniform(cb, d.stride_c - 4, seed + 2 + (uint64_t)bi, -1.0f, 1.0f);
        for (int64_t i = 0; i < sh.m; i++)
            for (int64_t j = 0; j < d.ldc; j++) {
                if (j >= sh.n) cb[i * d.ldc + j] = PAD_SENTINEL;
                else if (beta == 0.0f) cb[i * d.ldc + j] = NAN; /* must never be read */
            }
    }
    memcpy(expect, c, nc * sizeof(float));
    reference(&d, a, a_off, b, b_off, expect, c_off);

    cl_mem ma = upload(dev, a, na), mb = upload(dev, b, nb), mc = upload(dev, c, nc);
    gc_assert_ok(gc__gemm(dev, &d, ma, a_off, mb, b_off, mc, c_off, cfg));
    assert_int_equal(clEnqueueReadBuffer(dev->queue, mc, CL_TRUE, 0, nc * sizeof(float), c, 0, NULL,
                                         NULL),
                     CL_SUCCESS);
    char label[512];
    snprintf(label, sizeof label, "%s on %s: %lldx%lldx%lld batch %lld ta=%d tb=%d beta=%g",
             cfg ? gc__gemm_impl_name(cfg->impl) : "default", dev->info.name, (long long)sh.m, (long long)sh.n,
             (long long)sh.k, (long long)sh.batch, ta, tb, (double)beta);
    gc_assert_tensor_close(c, expect, (int64_t)nc, GEMM_ATOL, GEMM_RTOL, label);
    gc__buffer_release(ma);
    gc__buffer_release(mb);
    gc__buffer_release(mc);
    gc_free(a);
    gc_free(b);
    gc_free(c);
    gc_free(expect);
}

static void run_impl(enum gc_gemm_impl impl)
{
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_gemm_desc probe = {.m = 37, .lda = 1024};
    struct gc_gemm_config pc = {.mr = 16};
    assert_true(gc__gemm_cpu_packs_a(&probe, &pc)); /* the lda = 1024 shapes take that path */
    for (int di = 0; di < nd; di++) {
        struct gc_device *dev = devs[di];
        struct gc_gemm_config cfg;
        gc__gemm_default_config(&dev->info, NULL, &cfg); /* the production tile sizes */
        cfg.impl = impl;
        if (impl == GC_GEMM_OWN_TILED && dev->info.type == GC_DEVICE_CPU) {
            /* Smaller tiles than the GPU default: tails in both dimensions at these shapes,
             * and CPU compilers build barrier kernels faster at 8x8 threads. */
            cfg.tsm = cfg.tsn = 32;
            cfg.tsk = 8;
            cfg.wptm = cfg.wptn = 4;
        }
        uint64_t seed = 100;
        for (int t = 0; t < 4; t++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                run_case(dev, &cfg, shapes[s], t & 1, t >> 1, 0.0f, seed++);
                run_case(dev, &cfg, shapes[s], t & 1, t >> 1, -0.5f, seed++);
            }
        if (impl == GC_GEMM_CLBLAST) { /* the per-call-allocating batched entry point too */
            cfg.clblast_strided_batched = true;
            run_case(dev, &cfg, shapes[4], false, true, 0.5f, seed++);
            run_case(dev, &cfg, shapes[4], true, false, 0.0f, seed++);
        }
    }
}

static void test_own_cpu(void **state)
{
    (void)state;
    run_impl(GC_GEMM_OWN_CPU);
}

static void test_own_tiled(void **state)
{
    (void)state;
    run_impl(GC_GEMM_OWN_TILED);
}

static void test_clblast(void **state)
{
    (void)state;
    run_impl(GC_GEMM_CLBLAST);
}

/* Devices that stop a work-item's loops after loop_limit iterations in all (llvmpipe): gc__gemm
 * runs K in chunks sized by a bound on the kernel's loop count. Shapes that need several
 * chunks there: one 6x16 tile with K = 12000 (one launch got K <= ~10,380 right), and the
 * weight-gradient GEMM of cyclegan64's gc3 (256 x 1152 x 256, the block 15 x 8 tiles: one
 * launch was wrong from K = 256), which the conv golden test found. On every other device the
 * same chunked path is forced with a made-up limit of 160000, so it is checked on PoCL too.
 * Both own kernels, with the production configs. */
static void test_loop_limit(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    static const struct shape big[] = {
        {6, 16, 12000, 1, 0, 0, false}, {256, 1152, 256, 1, 0, 0, false}, {37, 20, 700, 2, 0, 0, false}};
    for (int di = 0; di < nd; di++) {
        struct gc_device *dev = devs[di];
        uint32_t saved = dev->info.loop_limit;
        if (!saved) dev->info.loop_limit = 160000;
        for (int impl = GC_GEMM_OWN_CPU; impl <= GC_GEMM_OWN_TILED; impl++) {
            struct gc_gemm_config cfg;
            struct gc_gemm_desc d = {.ta = true, .tb = true, .m = big[0].m, .n = big[0].n,
                                     .k = big[0].k, .batch = 1};
            gc__gemm_default_config(&dev->info, NULL, &cfg);
            cfg.impl = (enum gc_gemm_impl)impl;
            if (impl == GC_GEMM_OWN_TILED && dev->info.type == GC_DEVICE_CPU) {
                cfg.tsm = cfg.tsn = 32; /* as run_impl: faster builds on CPU compilers */
                cfg.tsk = 8;
                cfg.wptm = cfg.wptn = 4;
            }
            assert_true(gc__gemm_k_chunk(&dev->info, &d, &cfg, cfg.mr, cfg.nr) < d.k);
            run_case(dev, &cfg, big[0], false, false, 0.0f, 300);
            run_case(dev, &cfg, big[0], true, true, -0.5f, 301);
            run_case(dev, &cfg, big[1], false, false, 0.0f, 302);
            run_case(dev, &cfg, big[2], true, false, 0.5f, 303);
        }
        dev->info.loop_limit = saved;
    }
}

/* The default config on each device (whatever impl it picks) with a small-grid shape, and
 * the default CPU rules on synthetic device descriptions. */
static void test_default_config(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int di = 0; di < nd; di++) {
        struct gc_gemm_desc d = {.m = 64, .n = 64, .k = 64, .batch = 1};
        struct gc_gemm_config cfg;
        gc__gemm_default_config(&devs[di]->info, &d, &cfg);
        gc_assert_ok(gc__gemm_config_check(&devs[di]->info, &cfg));
        struct shape sh = {64, 64, 64, 1, 0, 0, false};
        run_case(devs[di], NULL, sh, false, false, 1.0f, 7); /* cfg NULL = this default */
        struct shape gv = {1, 36, 513, 2, 0, 1, false}; /* gemm_thin on PoCL */
        run_case(devs[di], NULL, gv, false, true, 0.0f, 8);
    }
    struct gc_device_info info;
    memset(&info, 0, sizeof info);
    info.type = GC_DEVICE_CPU;
    info.compute_units = 2;
    info.local_mem = 1 << 20;
    info.max_work_group = 4096;
    snprintf(info.name, sizeof info.name, "pthread-skylake-avx512-Intel Xeon");
    struct gc_gemm_desc big = {.m = 1024, .n = 1024, .k = 1024, .batch = 1};
    struct gc_gemm_config cfg;
    gc__gemm_default_config(&info, &big, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_OWN_CPU);
    assert_int_equal(cfg.vw, 16);
    assert_int_equal(cfg.mr, 24);
    info.local_mem = 4096; /* KC shrinks until the B panel fits */
    gc__gemm_default_config(&info, &big, &cfg);
    gc_assert_ok(gc__gemm_config_check(&info, &cfg));
    /* GEMVs run gemm_thin on CPUs; small K (not a GEMV) keeps gemm_cpu, GPUs CLBlast. */
    struct gc_gemm_desc gemv = {.m = 1, .n = 36, .k = 8192, .batch = 1};
    struct gc_gemm_desc small_k = {.m = 8192, .n = 36, .k = 1, .batch = 1};
    gc__gemm_default_config(&info, &gemv, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_OWN_THIN);
    gc_assert_ok(gc__gemm_config_check(&info, &cfg));
    gc__gemm_default_config(&info, &small_k, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_OWN_CPU);
    snprintf(info.name, sizeof info.name, "llvmpipe (LLVM 15.0.6, 256 bits)");
    gc__gemm_default_config(&info, &gemv, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_CLBLAST);
    info.type = GC_DEVICE_GPU;
    gc__gemm_default_config(&info, &big, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_CLBLAST);
    gc__gemm_default_config(&info, &gemv, &cfg);
    assert_int_equal(cfg.impl, GC_GEMM_CLBLAST);
}

/* gemm_thin (cl/gemm_thin.cl): GEMV shapes (M or N 1: the dot kernel where the matrix is
 * contiguous along K, the rows kernel where it is contiguous along the outputs, both with
 * the vector operand strided or not) and small K (the outer kernel, its row ends), every
 * transpose, padded and tight leading dimensions, offsets, batches with gaps or with a shared
 * (stride 0) A or B, alpha 1.5, beta -0.5 and beta 0 over NaN. Odd sizes leave tails everywhere
 * (K = 4097 is not a multiple of VW * SPLIT, N = 37 not of VW). Tolerance GEMM_ATOL/RTOL: the
 * error of K = 4097 fp32 products in [-1, 1) is ~sqrt(K) * 6e-8 ~ 4e-6 absolute. */
static const struct shape thin_shapes[] = {
    {1, 37, 4097, 1, 0, 0, false}, {37, 1, 4097, 2, 0, 1, false}, {1, 37, 300, 3, 0, 2, true},
    {53, 1, 100, 3, 0, 1, true},   {1, 1, 4097, 3, 0, 1, false},  {1, 1, 9, 2, 0, 0, true},
    {29, 37, 3, 2, 0, 0, false},   {40, 37, 1, 3, 0, 1, true},    {9, 19, 8, 2, 0, 2, false},
    {37, 1, 1, 4, 0, 1, true},     {1, 21, 1, 1, 0, 0, false},
};
#define N_THIN (sizeof thin_shapes / sizeof thin_shapes[0])

static void thin_config(const struct gc_device *dev, struct gc_gemm_config *cfg)
{
    gc__gemm_default_config(&dev->info, NULL, cfg);
    cfg->impl = GC_GEMM_OWN_THIN;
}

static void test_thin(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    for (int di = 0; di < nd; di++) {
        struct gc_gemm_config cfg;
        thin_config(devs[di], &cfg);
        uint64_t seed = 500;
        for (int t = 0; t < 4; t++)
            for (size_t s = 0; s < N_THIN; s++) {
                run_case(devs[di], &cfg, thin_shapes[s], t & 1, t >> 1, 0.0f, seed++);
                run_case(devs[di], &cfg, thin_shapes[s], t & 1, t >> 1, -0.5f, seed++);
            }
    }
}

/* Every candidate value of each gemm_thin tunable (the others at the default; SPLIT with
 * WG 64 so that each value is valid), on one shape per kernel and access pattern. */
static void test_thin_tunables(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    static const int pick[] = {0, 1, 3, 4, 6};
    for (int di = 0; di < nd; di++) {
        uint64_t seed = 900;
        for (int i = 0; i < gc__gemm_tunable_count; i++) {
            const struct gc_gemm_tunable *tu = &gc__gemm_tunables[i];
            if (tu->impl != GC_GEMM_OWN_THIN) continue;
            for (int v = 0; v < tu->n_candidates; v++) {
                struct gc_gemm_config cfg;
                thin_config(devs[di], &cfg);
                if (!strcmp(tu->name, "THIN_SPLIT")) cfg.thin_wg = 64;
                *gc__gemm_tunable_field(&cfg, tu) = tu->candidates[v];
                gc_assert_ok(gc__gemm_config_check(&devs[di]->info, &cfg));
                for (size_t s = 0; s < sizeof pick / sizeof pick[0]; s++) {
                    run_case(devs[di], &cfg, thin_shapes[pick[s]], s & 1, false, -0.5f, seed++);
                    run_case(devs[di], &cfg, thin_shapes[pick[s]], false, true, 0.0f, seed++);
                }
            }
        }
    }
}

/* One output's SPLIT partial sums are added in a fixed tree: the same call gives the same bits. */
static void test_thin_deterministic(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    enum { K = 5000, N = 7 };
    float *x = gc_malloc((K * N + K) * sizeof(float)), c[2][N];
    assert_non_null(x);
    gc_test_fill_uniform(x, K * N + K, 77, -1.0f, 1.0f);
    struct gc_gemm_desc d = {.tb = true, .m = 1, .n = N, .k = K, .lda = K, .ldb = K, .ldc = N,
                             .batch = 1, .alpha = 1.0f};
    for (int di = 0; di < nd; di++) {
        struct gc_gemm_config cfg;
        thin_config(devs[di], &cfg);
        cfg.thin_wg = 64;
        cfg.thin_split = 16;
        cl_mem m = upload(devs[di], x, K * N + K), mc;
        gc_assert_ok(gc__buffer_create(devs[di], sizeof c[0], &mc));
        for (int r = 0; r < 2; r++) {
            gc_assert_ok(gc__gemm(devs[di], &d, m, 0, m, K, mc, 0, &cfg));
            assert_int_equal(clEnqueueReadBuffer(devs[di]->queue, mc, CL_TRUE, 0, sizeof c[r], c[r],
                                                 0, NULL, NULL),
                             CL_SUCCESS);
        }
        assert_memory_equal(c[0], c[1], sizeof c[0]);
        gc__buffer_release(m);
        gc__buffer_release(mc);
    }
    gc_free(x);
}

/* Loop-limited devices: gemm_thin runs K in chunks. A made-up limit of 3000 (below llvmpipe's
 * 65535, so on every device) forces several chunks for each kernel; then, at the device's own
 * limit (65535 forced where there is none), a dot product of K = 70001 with VW 1, whose one
 * launch would loop past llvmpipe's budget. */
static void test_thin_loop_limit(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    static const struct shape lim[] = {
        {1, 5, 50001, 2, 0, 1, false},
        {23, 1, 50001, 1, 0, 0, false},
        {5, 37, 300, 2, 0, 2, false},
    };
    for (int di = 0; di < nd; di++) {
        struct gc_device *dev = devs[di];
        uint32_t saved = dev->info.loop_limit;
        struct gc_gemm_config cfg;
        thin_config(dev, &cfg);
        dev->info.loop_limit = 3000;
        for (size_t s = 0; s < sizeof lim / sizeof lim[0]; s++)
            for (int t = 0; t < 4; t++) {
                struct gc_gemm_desc d = {.ta = t & 1, .tb = t >> 1, .m = lim[s].m, .n = lim[s].n,
                                         .k = lim[s].k, .lda = t & 1 ? lim[s].m : lim[s].k,
                                         .ldb = t >> 1 ? lim[s].k : lim[s].n, .batch = 1};
                assert_true(gc__gemm_k_chunk(&dev->info, &d, &cfg, 0, 0) < d.k);
                float beta = t == 1 ? 0.0f : 0.5f;
                run_case(dev, &cfg, lim[s], t & 1, t >> 1, beta, 1000 + (uint64_t)t);
            }
        dev->info.loop_limit = saved ? saved : 65535;
        cfg.thin_vw = 1;
        struct shape big = {1, 3, 70001, 1, 0, 0, false};
        struct gc_gemm_desc d = {.tb = true, .m = 1, .n = 3, .k = big.k, .lda = big.k,
                                 .ldb = big.k, .batch = 1};
        assert_true(gc__gemm_k_chunk(&dev->info, &d, &cfg, 0, 0) < d.k);
        run_case(dev, &cfg, big, false, true, 0.0f, 1010);
        dev->info.loop_limit = saved;
    }
}

static void test_invalid(void **state)
{
    (void)state;
    struct gc_device **devs;
    int nd = gc_test_devices(&devs);
    struct gc_device *dev = devs[0];
    (void)nd;
    cl_mem m;
    gc_assert_ok(gc__buffer_create(dev, 1024, &m));
    struct gc_gemm_desc d = {.m = 4, .n = 4, .k = 8, .lda = 4, .ldb = 4, .ldc = 4, .batch = 1,
                             .alpha = 1.0f};
    assert_int_equal(gc__gemm(dev, &d, m, 0, m, 0, m, 0, NULL), GC_INVALID_ARG); /* lda < k */
    assert_non_null(strstr(gc_last_error(), "lda"));
    struct gc_gemm_config cfg;
    gc__gemm_default_config(&dev->info, NULL, &cfg);
    cfg.impl = GC_GEMM_OWN_CPU;
    cfg.nr = 20; /* not a multiple of VW */
    d.lda = 8;
    assert_int_equal(gc__gemm(dev, &d, m, 0, m, 0, m, 0, &cfg), GC_INVALID_ARG);
    thin_config(dev, &cfg);
    cfg.thin_wg = 32;
    cfg.thin_split = 3; /* not a power of 2 */
    assert_int_equal(gc__gemm(dev, &d, m, 0, m, 0, m, 0, &cfg), GC_INVALID_ARG);
    assert_non_null(strstr(gc_last_error(), "gemm_thin"));
    cfg.thin_split = 1;
    cfg.thin_vw = 2;
    assert_int_equal(gc__gemm_config_check(&dev->info, &cfg), GC_INVALID_ARG);
    gc__buffer_release(m);
    /* Tile sizes come only from -D options: without them the program must not build. */
    cl_program p;
    assert_int_equal(gc__program_get(dev, "gemm", "-DGEMM_TA=0 -DGEMM_TB=0", &p), GC_CL_BUILD);
    assert_non_null(strstr(gc_last_error(), "gemm.cl needs the options"));
    assert_int_equal(gc__program_get(dev, "gemm_thin", "-DTHIN_WG=64", &p), GC_CL_BUILD);
    assert_non_null(strstr(gc_last_error(), "gemm_thin.cl needs the options"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_cpu),   cmocka_unit_test(test_own_tiled),
        cmocka_unit_test(test_clblast),   cmocka_unit_test(test_loop_limit),
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_thin),      cmocka_unit_test(test_thin_tunables),
        cmocka_unit_test(test_thin_deterministic), cmocka_unit_test(test_thin_loop_limit),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
