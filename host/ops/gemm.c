/* SPDX-License-Identifier: MIT */
/* SGEMM dispatch: validation, default configs, kernel variants of cl/gemm.cl and the CLBlast
 * path with a reused scratch buffer. See gemm.h for the semantics. */
#include "ops/gemm.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "tune/lookup.h"

#define MAX_OPTIONS 256

const struct gc_gemm_tunable gc__gemm_tunables[] = {
    {"GEMM_MR", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, mr), {4, 6, 8, 12, 16, 24, 28}, 7, 6},
    {"GEMM_NR", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, nr), {16, 32, 48, 64}, 4, 64},
    {"GEMM_KC", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, kc), {64, 96, 128, 192, 256}, 5, 256},
    {"GEMM_VW", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, vw), {8, 16}, 2, 16},
    {"GEMM_MC", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, mc), {48, 96, 192, 384}, 4, 192},
    {"GEMM_NC", GC_GEMM_OWN_CPU, offsetof(struct gc_gemm_config, nc), {64, 128, 256, 512}, 4, 256},
    {"GEMM_TSM", GC_GEMM_OWN_TILED, offsetof(struct gc_gemm_config, tsm), {16, 32, 64, 128}, 4, 64},
    {"GEMM_TSN", GC_GEMM_OWN_TILED, offsetof(struct gc_gemm_config, tsn), {16, 32, 64, 128}, 4, 64},
    {"GEMM_TSK", GC_GEMM_OWN_TILED, offsetof(struct gc_gemm_config, tsk), {8, 16, 32}, 3, 16},
    {"GEMM_WPTM", GC_GEMM_OWN_TILED, offsetof(struct gc_gemm_config, wptm), {1, 2, 4, 8}, 4, 4},
    {"GEMM_WPTN", GC_GEMM_OWN_TILED, offsetof(struct gc_gemm_config, wptn), {1, 2, 4, 8}, 4, 4},
};
const int gc__gemm_tunable_count = (int)(sizeof gc__gemm_tunables / sizeof gc__gemm_tunables[0]);

int *gc__gemm_tunable_field(struct gc_gemm_config *cfg, const struct gc_gemm_tunable *t)
{
    return (int *)(void *)((char *)cfg + t->offset);
}

const char *gc__gemm_impl_name(enum gc_gemm_impl impl)
{
    switch (impl) {
    case GC_GEMM_OWN_CPU: return "gemm_cpu";
    case GC_GEMM_OWN_TILED: return "gemm_tiled";
    case GC_GEMM_CLBLAST: return "clblast";
    default: return "?";
    }
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Floats of __local memory gemm_cpu declares (A blocks padded as without GEMM_TA, the larger). */
static uint64_t cpu_local_floats(const struct gc_gemm_config *cfg)
{
    return (uint64_t)cfg->mc * (uint64_t)(cfg->kc + 16) + (uint64_t)cfg->kc * (uint64_t)cfg->nc;
}

void gc__gemm_default_config(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                             struct gc_gemm_config *cfg)
{
    (void)d; /* the compiled options are shape-independent; see gc__gemm_cpu_blocks */
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < gc__gemm_tunable_count; i++)
        *gc__gemm_tunable_field(cfg, &gc__gemm_tunables[i]) = gc__gemm_tunables[i].def;
    if (info->max_work_group < 256) cfg->wptm = cfg->wptn = 8; /* 64 threads per group */
    /* GPUs: CLBlast for single GEMMs; for batches gan-cl's tiled kernel, which
     * runs the whole batch in one launch, where CLBlast (whose batched call
     * allocates) is called once per item: dcgan32's batch-64 convs on an H100
     * ran 12-140x faster per GEMM that way (gan-cl tune). */
    cfg->impl = info->type == GC_DEVICE_CPU               ? GC_GEMM_OWN_CPU
                : d && d->batch > 1                       ? GC_GEMM_OWN_TILED
                                                          : GC_GEMM_CLBLAST;
    /* Mesa's llvmpipe (rusticl) gives wrong gemm_cpu results on the
     * workloads' large layers (tests/test_conv_golden.c, GANCL_CONV_GOLDEN_STRICT;
     * suspected: its silent 65535-iteration loop limit); CLBlast is right there. */
    if (strstr(info->name, "llvmpipe")) cfg->impl = GC_GEMM_CLBLAST;
    const char *env = getenv("GANCL_GEMM_IMPL");
    if (env && !strcmp(env, "own"))
        cfg->impl = info->type == GC_DEVICE_CPU ? GC_GEMM_OWN_CPU : GC_GEMM_OWN_TILED;
    else if (env && !strcmp(env, "cpu")) cfg->impl = GC_GEMM_OWN_CPU;
    else if (env && !strcmp(env, "tiled")) cfg->impl = GC_GEMM_OWN_TILED;
    else if (env && !strcmp(env, "clblast")) cfg->impl = GC_GEMM_CLBLAST;

    if (!strstr(info->name, "avx512")) {
        /* 256-bit vectors and 16 registers (AVX2, llvmpipe): 12 float8 accumulators. */
        cfg->mr = 6;
        cfg->nr = 16;
        cfg->vw = 8;
    } else if (!strstr(info->name, "AMD") || (d && d->n < 48)) {
        /* Xeon: 24x16 measured equal to 6x64 and 12x32 (spec/cpu-kernels.md). Zen 4: 6x64
         * unless N is narrow, where 64-wide panels would mostly multiply padding (the 32px
         * GANs' 4x4 feature maps, N = 16: 34 -> 137 GFLOP/s). */
        cfg->mr = 24;
        cfg->nr = 16;
    }
    /* Shrink KC, then the block, until the packed blocks fit the local memory. */
    while (cpu_local_floats(cfg) * sizeof(float) > info->local_mem) {
        if (cfg->kc > 16) cfg->kc /= 2;
        else if (cfg->mc > cfg->mr) cfg->mc = cfg->mc / 2 / cfg->mr * cfg->mr > cfg->mr ? cfg->mc / 2 / cfg->mr * cfg->mr : cfg->mr;
        else if (cfg->nc > cfg->nr) cfg->nc = cfg->nc / 2 / cfg->nr * cfg->nr > cfg->nr ? cfg->nc / 2 / cfg->nr * cfg->nr : cfg->nr;
        else break;
    }
}

static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

/* Balanced block: the smallest multiple of unit that covers len in ceil(len / max) blocks. */
static int64_t balanced(int64_t len, int64_t max, int64_t unit)
{
    if (len <= 0) return unit;
    return round_up(ceil_div(len, ceil_div(len, max)), unit);
}

void gc__gemm_cpu_blocks(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                         const struct gc_gemm_config *cfg, int *mcb, int *ncb, size_t *groups_m,
                         size_t *groups_n)
{
    int64_t mr = cfg->mr, nr = cfg->nr;
    int64_t mb = balanced(d->m, cfg->mc, mr), nb = balanced(d->n, cfg->nc, nr);
    /* At least 2 groups per compute unit (PoCL hands them out one or two at a time while few
     * remain). More, smaller blocks cost more packing than the balance gains: 256x256x2304 on
     * 2 cores ran at 199 GFLOP/s with 4 groups, 171 with 8, 127 with 16. Split N first (its
     * block only amortises the A copy) down to 2 panels, then M down to 4 tiles, then both
     * to one tile. */
    int64_t units = info->compute_units ? (int64_t)info->compute_units : 1;
    int64_t want = 2 * units, batch = d->batch > 0 ? d->batch : 1;
    for (;;) {
        int64_t groups = ceil_div(d->m, mb) * ceil_div(d->n, nb) * batch;
        if (groups >= want) break;
        if (nb > 2 * nr) nb = balanced(d->n, round_up(nb / 2, nr), nr);
        else if (mb > 4 * mr) mb = balanced(d->m, round_up(mb / 2, mr), mr);
        else if (nb > nr) nb = balanced(d->n, nr, nr);
        else if (mb > mr) mb = balanced(d->m, round_up(mb / 2, mr), mr);
        else break;
    }
    *mcb = (int)mb;
    *ncb = (int)nb;
    *groups_m = (size_t)ceil_div(d->m, mb);
    *groups_n = (size_t)ceil_div(d->n, nb);
}

gc_status gc__gemm_config_check(const struct gc_device_info *info, const struct gc_gemm_config *cfg)
{
    switch (cfg->impl) {
    case GC_GEMM_OWN_CPU:
        if (cfg->vw != 8 && cfg->vw != 16)
            return gc_error(GC_INVALID_ARG, "gemm_cpu: VW=%d, must be 8 or 16", cfg->vw);
        if (cfg->mr < 1 || cfg->kc < 1 || cfg->nr < cfg->vw || cfg->nr % cfg->vw ||
            cfg->mc < cfg->mr || cfg->mc % cfg->mr || cfg->nc < cfg->nr || cfg->nc % cfg->nr)
            return gc_error(GC_INVALID_ARG, "gemm_cpu: MR=%d NR=%d KC=%d VW=%d MC=%d NC=%d invalid",
                            cfg->mr, cfg->nr, cfg->kc, cfg->vw, cfg->mc, cfg->nc);
        if (cpu_local_floats(cfg) * sizeof(float) > info->local_mem)
            return gc_error(GC_INVALID_ARG,
                            "gemm_cpu: (MC*(KC+16) + KC*NC)*4 = %llu bytes > local memory %llu",
                            (unsigned long long)cpu_local_floats(cfg) * 4ull,
                            (unsigned long long)info->local_mem);
        return GC_OK;
    case GC_GEMM_OWN_TILED: {
        if (cfg->tsm < 1 || cfg->tsn < 1 || cfg->tsk < 1 || cfg->wptm < 1 || cfg->wptn < 1 ||
            cfg->tsm % cfg->wptm || cfg->tsn % cfg->wptn)
            return gc_error(GC_INVALID_ARG, "gemm_tiled: TSM=%d TSN=%d TSK=%d WPTM=%d WPTN=%d invalid",
                            cfg->tsm, cfg->tsn, cfg->tsk, cfg->wptm, cfg->wptn);
        size_t threads = (size_t)(cfg->tsm / cfg->wptm) * (size_t)(cfg->tsn / cfg->wptn);
        uint64_t local = (uint64_t)cfg->tsk * (uint64_t)(cfg->tsm + cfg->tsn + 2) * sizeof(float);
        if (threads > info->max_work_group || local > info->local_mem)
            return gc_error(GC_INVALID_ARG,
                            "gemm_tiled: %zu threads (max %zu), %llu bytes local (max %llu)",
                            threads, info->max_work_group, (unsigned long long)local,
                            (unsigned long long)info->local_mem);
        return GC_OK;
    }
    case GC_GEMM_CLBLAST: return gc__clblast_params_check(info, &cfg->clb);
    default: return gc_error(GC_INVALID_ARG, "gemm: unknown implementation %d", (int)cfg->impl);
    }
}

int gc__gemm_build_options(const struct gc_gemm_config *cfg, bool ta, bool tb, char *buf,
                           size_t size)
{
    switch (cfg->impl) {
    case GC_GEMM_OWN_CPU:
        return snprintf(buf, size,
                        "-DGEMM_TA=%d -DGEMM_TB=%d -DGEMM_MR=%d -DGEMM_NR=%d -DGEMM_KC=%d -DGEMM_VW=%d "
                        "-DGEMM_MC=%d -DGEMM_NC=%d",
                        ta, tb, cfg->mr, cfg->nr, cfg->kc, cfg->vw, cfg->mc, cfg->nc);
    case GC_GEMM_OWN_TILED:
        return snprintf(buf, size,
                        "-DGEMM_TA=%d -DGEMM_TB=%d -DGEMM_TSM=%d -DGEMM_TSN=%d -DGEMM_TSK=%d "
                        "-DGEMM_WPTM=%d -DGEMM_WPTN=%d",
                        ta, tb, cfg->tsm, cfg->tsn, cfg->tsk, cfg->wptm, cfg->wptn);
    default:
        if (size) buf[0] = '\0';
        return 0;
    }
}

static gc_status check_desc(const struct gc_gemm_desc *d)
{
    const int64_t lim = INT32_MAX; /* the kernels index with int */
    int64_t a_cols = d->ta ? d->m : d->k, b_cols = d->tb ? d->k : d->n;
    if (d->m < 0 || d->n < 0 || d->k < 0 || d->batch < 0 || d->m > lim || d->n > lim || d->k > lim)
        return gc_error(GC_INVALID_ARG, "gemm: bad shape m=%lld n=%lld k=%lld batch=%lld",
                        (long long)d->m, (long long)d->n, (long long)d->k, (long long)d->batch);
    if (d->lda < (a_cols > 1 ? a_cols : 1) || d->ldb < (b_cols > 1 ? b_cols : 1) ||
        d->ldc < (d->n > 1 ? d->n : 1) || d->lda > lim || d->ldb > lim || d->ldc > lim)
        return gc_error(GC_INVALID_ARG, "gemm: leading dimensions lda=%lld ldb=%lld ldc=%lld too "
                        "small for m=%lld n=%lld k=%lld ta=%d tb=%d",
                        (long long)d->lda, (long long)d->ldb, (long long)d->ldc, (long long)d->m,
                        (long long)d->n, (long long)d->k, d->ta, d->tb);
    if (d->batch > 1 && (d->stride_a < 0 || d->stride_b < 0 || d->stride_c < 0))
        return gc_error(GC_INVALID_ARG, "gemm: negative batch stride");
    return GC_OK;
}

bool gc__gemm_cpu_packs_a(const struct gc_gemm_desc *d, const struct gc_gemm_config *cfg)
{
    (void)d;
    (void)cfg;
    return true;
}

static gc_status run_own(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a,
                         size_t a_off, cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                         const struct gc_gemm_config *cfg)
{
    char opts[MAX_OPTIONS];
    gc__gemm_build_options(cfg, d->ta, d->tb, opts, sizeof opts);
    bool cpu = cfg->impl == GC_GEMM_OWN_CPU;
    cl_kernel kn;
    gc_status s = gc__kernel_get(dev, "gemm", opts, cpu ? "gemm_cpu" : "gemm_tiled", &kn);
    if (s != GC_OK) return s;

    cl_int m = (cl_int)d->m, n = (cl_int)d->n, k = (cl_int)d->k;
    cl_int lda = (cl_int)d->lda, ldb = (cl_int)d->ldb, ldc = (cl_int)d->ldc;
    cl_ulong ao = a_off, bo = b_off, co = c_off;
    cl_ulong sa = d->batch > 1 ? (cl_ulong)d->stride_a : 0, sb = d->batch > 1 ? (cl_ulong)d->stride_b : 0;
    cl_ulong sc = d->batch > 1 ? (cl_ulong)d->stride_c : 0;
    cl_float alpha = d->alpha, beta = d->beta;
    cl_int e = CL_SUCCESS;
    cl_uint i = 0;
    e |= clSetKernelArg(kn, i++, sizeof m, &m);
    e |= clSetKernelArg(kn, i++, sizeof n, &n);
    e |= clSetKernelArg(kn, i++, sizeof k, &k);
    e |= clSetKernelArg(kn, i++, sizeof alpha, &alpha);
    e |= clSetKernelArg(kn, i++, sizeof a, &a);
    e |= clSetKernelArg(kn, i++, sizeof ao, &ao);
    e |= clSetKernelArg(kn, i++, sizeof lda, &lda);
    e |= clSetKernelArg(kn, i++, sizeof sa, &sa);
    e |= clSetKernelArg(kn, i++, sizeof b, &b);
    e |= clSetKernelArg(kn, i++, sizeof bo, &bo);
    e |= clSetKernelArg(kn, i++, sizeof ldb, &ldb);
    e |= clSetKernelArg(kn, i++, sizeof sb, &sb);
    e |= clSetKernelArg(kn, i++, sizeof beta, &beta);
    e |= clSetKernelArg(kn, i++, sizeof c, &c);
    e |= clSetKernelArg(kn, i++, sizeof co, &co);
    e |= clSetKernelArg(kn, i++, sizeof ldc, &ldc);
    e |= clSetKernelArg(kn, i++, sizeof sc, &sc);
    int mcb = 0, ncb = 0;
    size_t groups_m = 0, groups_n = 0;
    if (cpu) {
        gc__gemm_cpu_blocks(&dev->info, d, cfg, &mcb, &ncb, &groups_m, &groups_n);
        cl_int mb = mcb, nb = ncb;
        e |= clSetKernelArg(kn, i++, sizeof mb, &mb);
        e |= clSetKernelArg(kn, i++, sizeof nb, &nb);
    }
    if (e != CL_SUCCESS) return gc__cl_fail(dev, CL_INVALID_KERNEL_ARGS, "gemm: setting kernel arguments");

    size_t global[3], local[3];
    if (cpu) {
        /* dim0 along M: neighbouring groups read the same B columns from cache. */
        global[0] = groups_m;
        global[1] = groups_n;
        local[0] = local[1] = 1;
    } else {
        local[0] = (size_t)(cfg->tsn / cfg->wptn);
        local[1] = (size_t)(cfg->tsm / cfg->wptm);
        global[0] = (size_t)ceil_div(d->n, cfg->tsn) * local[0];
        global[1] = (size_t)ceil_div(d->m, cfg->tsm) * local[1];
    }
    global[2] = (size_t)d->batch;
    local[2] = 1;
    GC_CL_CHECK(dev, clEnqueueNDRangeKernel(dev->queue, kn, 3, NULL, global, local, 0, NULL, NULL),
                cpu ? "enqueueing gemm_cpu" : "enqueueing gemm_tiled");
    return GC_OK;
}

static gc_status clblast_fail(const struct gc_device *dev, CLBlastStatusCode st, const char *what,
                              const struct gc_gemm_desc *d)
{
    /* A parameter set that does not compile is the tuner's "build_failed", as for own kernels. */
    return gc_error(st == CLBlastOpenCLBuildProgramFailure ? GC_CL_BUILD : GC_CLBLAST,
                    "%s (%lldx%lldx%lld, batch %lld) on %s: %s", what, (long long)d->m,
                    (long long)d->n, (long long)d->k, (long long)d->batch, dev->info.name,
                    gc__clblast_error_name((int)st));
}

/* Sizes the scratch for d with the CLBlast parameters in effect (gc__clblast_begin held). */
static gc_status reserve_active(struct gc_device *dev, const struct gc_gemm_desc *d)
{
    size_t need = 0;
    CLBlastStatusCode st = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, d->ta ? CLBlastTransposeYes : CLBlastTransposeNo,
        d->tb ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)d->m, (size_t)d->n, (size_t)d->k,
        0, (size_t)d->lda, 0, (size_t)d->ldb, 0, (size_t)d->ldc, &dev->queue, &need);
    if (st != CLBlastSuccess) return clblast_fail(dev, st, "CLBlastSGemmTempBufferSize", d);
    if (need < 4096) need = 4096; /* never hand CLBlast NULL: it would allocate itself */
    if (dev->clblast_temp && dev->clblast_temp_size >= need) return GC_OK;
    cl_mem mem;
    gc_status s = gc__buffer_create(dev, need, &mem);
    if (s != GC_OK) return gc_error_context(s, "CLBlast scratch buffer (%zu bytes)", need);
    if (dev->clblast_temp) clReleaseMemObject((cl_mem)dev->clblast_temp);
    dev->clblast_temp = mem;
    dev->clblast_temp_size = need;
    return GC_OK;
}

static void config_for(const struct gc_device *dev, const struct gc_gemm_desc *d, struct gc_gemm_config *cfg)
{
    if (!gc__tune_lookup_gemm(dev, d, cfg)) gc__gemm_default_config(&dev->info, d, cfg);
}

gc_status gc__gemm_reserve(struct gc_device *dev, const struct gc_gemm_desc *d)
{
    struct gc_gemm_config cfg;
    config_for(dev, d, &cfg);
    if (cfg.impl != GC_GEMM_CLBLAST) return GC_OK;
    gc_status s = gc__clblast_params_check(&dev->info, &cfg.clb);
    if (s == GC_OK) s = gc__clblast_begin(dev, &cfg.clb);
    if (s != GC_OK) return s;
    s = reserve_active(dev, d);
    gc__clblast_end();
    return s;
}

/* The CLBlast call itself, with cfg's parameters in effect. */
static gc_status call_clblast(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a,
                              size_t a_off, cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                              const struct gc_gemm_config *cfg)
{
    CLBlastTranspose ta = d->ta ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = d->tb ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t m = (size_t)d->m, n = (size_t)d->n, k = (size_t)d->k;
    CLBlastStatusCode st;
    if (d->batch > 1 && cfg->clblast_strided_batched) {
        st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, m, n, k, d->alpha, a, a_off,
                                        (size_t)d->lda, (size_t)d->stride_a, b, b_off,
                                        (size_t)d->ldb, (size_t)d->stride_b, d->beta, c, c_off,
                                        (size_t)d->ldc, (size_t)d->stride_c, (size_t)d->batch,
                                        &dev->queue, NULL);
        return st == CLBlastSuccess ? GC_OK : clblast_fail(dev, st, "CLBlastSgemmStridedBatched", d);
    }
    gc_status s = reserve_active(dev, d);
    if (s != GC_OK) return s;
    for (int64_t i = 0; i < d->batch; i++) {
        st = CLBlastSgemmWithTempBuffer(
            CLBlastLayoutRowMajor, ta, tb, m, n, k, d->alpha, a, a_off + (size_t)(i * d->stride_a),
            (size_t)d->lda, b, b_off + (size_t)(i * d->stride_b), (size_t)d->ldb, d->beta, c,
            c_off + (size_t)(i * d->stride_c), (size_t)d->ldc, &dev->queue, NULL,
            (cl_mem)dev->clblast_temp);
        if (st != CLBlastSuccess) return clblast_fail(dev, st, "CLBlastSgemmWithTempBuffer", d);
    }
    return GC_OK;
}

static gc_status run_clblast(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a,
                             size_t a_off, cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                             const struct gc_gemm_config *cfg)
{
    gc_status s = gc__clblast_begin(dev, &cfg->clb);
    if (s != GC_OK) return s;
    s = call_clblast(dev, d, a, a_off, b, b_off, c, c_off, cfg);
    gc__clblast_end();
    return s;
}

gc_status gc__gemm(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a, size_t a_off,
                   cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                   const struct gc_gemm_config *cfg)
{
    gc_status s = check_desc(d);
    if (s != GC_OK) return s;
    if (d->m == 0 || d->n == 0 || d->batch == 0) return GC_OK;
    struct gc_gemm_config def;
    if (!cfg) {
        config_for(dev, d, &def);
        cfg = &def;
    }
    s = gc__gemm_config_check(&dev->info, cfg);
    if (s != GC_OK) return s;
    if (cfg->impl == GC_GEMM_CLBLAST) return run_clblast(dev, d, a, a_off, b, b_off, c, c_off, cfg);
    return run_own(dev, d, a, a_off, b, b_off, c, c_off, cfg);
}
