/* SPDX-License-Identifier: MIT */
/* SGEMM dispatch: validation, default configs, kernel variants of cl/gemm.cl and the CLBlast
 * path with a reused scratch buffer. See gemm.h for the semantics. */
#include "ops/gemm.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancl/alloc.h"
#include "ops/gemm_thin.h"
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
    {"THIN_WG", GC_GEMM_OWN_THIN, offsetof(struct gc_gemm_config, thin_wg), {8, 16, 32, 64, 128, 256}, 6, 32},
    {"THIN_VW", GC_GEMM_OWN_THIN, offsetof(struct gc_gemm_config, thin_vw), {1, 4, 8, 16}, 4, 16},
    {"THIN_SPLIT", GC_GEMM_OWN_THIN, offsetof(struct gc_gemm_config, thin_split), {1, 2, 4, 8, 16}, 5, 1},
    {"THIN_RB", GC_GEMM_OWN_THIN, offsetof(struct gc_gemm_config, thin_rb), {1, 2, 4, 8, 16}, 5, 8},
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
    case GC_GEMM_OWN_THIN: return "gemm_thin";
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
    /* Mesa's llvmpipe (rusticl): CLBlast, because it is the fastest there, not for
     * correctness (gc__gemm keeps the own kernels within llvmpipe's loop budget). Measured
     * (Mesa 22.3, 256x256x1024, one shared 2-core machine): CLBlast 0.65 GFLOP/s, gemm_tiled
     * 0.13, gemm_cpu 0.02-0.08 — llvmpipe runs 8 work-items per SIMD batch, so gemm_cpu's
     * one-item groups use 1/8 of it, and each launch costs ~50 ms of JIT there. */
    if (strstr(info->name, "llvmpipe")) cfg->impl = GC_GEMM_CLBLAST;
    else if (info->type == GC_DEVICE_CPU && d && (d->m == 1 || d->n == 1))
        cfg->impl = GC_GEMM_OWN_THIN; /* measured faster on every GEMV shape: see gemm.h */
    const char *env = getenv("GANCL_GEMM_IMPL");
    if (env && !strcmp(env, "own"))
        cfg->impl = info->type == GC_DEVICE_CPU ? GC_GEMM_OWN_CPU : GC_GEMM_OWN_TILED;
    else if (env && !strcmp(env, "cpu")) cfg->impl = GC_GEMM_OWN_CPU;
    else if (env && !strcmp(env, "tiled")) cfg->impl = GC_GEMM_OWN_TILED;
    else if (env && !strcmp(env, "clblast")) cfg->impl = GC_GEMM_CLBLAST;
    else if (env && !strcmp(env, "thin")) cfg->impl = GC_GEMM_OWN_THIN;

    if (!strstr(info->name, "avx512")) {
        /* 256-bit vectors and 16 registers (AVX2, llvmpipe): 12 float8 accumulators. */
        cfg->mr = 6;
        cfg->nr = 16;
        cfg->vw = 8;
        cfg->thin_vw = 8;
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

/* Loop-limited devices (gc_device_info.loop_limit, llvmpipe): the bounds below count the loop
 * iterations one work-item of cl/gemm.cl may run per K slice, each loop at its longest path,
 * none assumed unrolled by the compiler (llvmpipe keeps most #pragma unroll loops). Each
 * iteration is charged 2 and each entered loop 1 more (L): measured on llvmpipe (Mesa 22.3),
 * gemm_cpu 6x16 KC=16 over a 90x128 block (15 x 8 tiles) fails at 16 slices in one launch,
 * i.e. ~4100-4400 counts per slice, where one count per iteration gives 3188 (its k loop
 * seems to cost 2 per step); with one tile ~101 per slice, bound 209. They mirror the
 * kernels' loop nests: change them together. A launch may use 7/8 of the limit, the rest is
 * headroom for the bound's own mistakes. tests/test_gemm.c runs shapes at the bound. */
static uint64_t usable_trips(const struct gc_device_info *info)
{
    return info->loop_limit - info->loop_limit / 8;
}

static uint64_t L(uint64_t trips) { return 2 * trips + 1; }

/* gemm_cpu, one KC slice of an mcb x ncb block (tm A tiles, tn B panels): packing A (per tile
 * MR rows of KC/VW vectors and KC%VW elements, or KC x MR with GEMM_TA; a row tail, only when
 * MR does not divide M, element by element) and B (per panel KC x NV vectors, or NR x KC with
 * GEMM_TB; a column tail, only when NR does not divide N, KC x NR); per (panel, tile) the KC
 * micro-kernel steps (the MR x NV block is unrolled by the preprocessor) and, for a column
 * tail, the element-wise store. */
static uint64_t cpu_slice_trips(const struct gc_gemm_config *cfg, const struct gc_gemm_desc *d,
                                int64_t mcb, int64_t ncb)
{
    uint64_t mr = (uint64_t)cfg->mr, nr = (uint64_t)cfg->nr, kc = (uint64_t)cfg->kc;
    uint64_t vw = (uint64_t)cfg->vw, nv = nr / vw;
    uint64_t tm = (uint64_t)ceil_div(mcb, cfg->mr), tn = (uint64_t)ceil_div(ncb, cfg->nr);
    bool tail_m = d->m % cfg->mr != 0, tail_n = d->n % cfg->nr != 0;
    uint64_t full_a = d->ta ? L(kc) + kc * L(mr) : L(mr) + mr * (L(kc / vw) + L(kc % vw));
    uint64_t tail_a = d->ta ? L(kc) + kc * L(mr) : L(mr) + mr * L(kc + 1);
    uint64_t full_b = d->tb ? L(nr) + nr * L(kc) : L(kc) + kc * L(nv);
    uint64_t tail_b = L(kc) + kc * L(nr);
    /* at most one tile and one panel of a block are tails, packed instead of a full one */
    uint64_t pack = L(tm) + tm * full_a + (tail_m && tail_a > full_a ? tail_a - full_a : 0) +
                    L(tn) + tn * full_b + (tail_n && tail_b > full_b ? tail_b - full_b : 0);
    uint64_t micro = L(tn) + tn * (L(tm) + tm * L(kc)) + (tail_n ? 2 * tm * mr * nv * L(vw) : 0);
    return 1 + pack + micro;
}

/* gemm_tiled, per thread: one TSK slice (its share of both tile loads, TSK steps of WPTN
 * loads, WPTM broadcasts and WPTM x WPTN FMAs), and the accumulator init and store once. */
static uint64_t tiled_slice_trips(const struct gc_gemm_config *cfg)
{
    uint64_t nt = (uint64_t)(cfg->tsm / cfg->wptm) * (uint64_t)(cfg->tsn / cfg->wptn);
    uint64_t tsk = (uint64_t)cfg->tsk, wm = (uint64_t)cfg->wptm, wn = (uint64_t)cfg->wptn;
    return 1 + L((tsk * (uint64_t)cfg->tsm + nt - 1) / nt) + L((tsk * (uint64_t)cfg->tsn + nt - 1) / nt) +
           L(tsk) + tsk * (L(wn) + L(wm) + wm * L(wn));
}

static uint64_t tiled_fixed_trips(const struct gc_gemm_config *cfg)
{
    return 2 * (L((uint64_t)cfg->wptm) + (uint64_t)cfg->wptm * L((uint64_t)cfg->wptn)) + 1;
}

int64_t gc__gemm_k_chunk(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                         const struct gc_gemm_config *cfg, int mcb, int ncb)
{
    if (!info->loop_limit || cfg->impl == GC_GEMM_CLBLAST) return d->k;
    if (cfg->impl == GC_GEMM_OWN_THIN) return gc__gemm_thin_k_chunk(info, d, cfg);
    uint64_t per, fixed = 0, use = usable_trips(info);
    int64_t depth;
    if (cfg->impl == GC_GEMM_OWN_CPU) {
        per = cpu_slice_trips(cfg, d, mcb, ncb);
        depth = cfg->kc;
    } else {
        per = tiled_slice_trips(cfg);
        fixed = tiled_fixed_trips(cfg);
        depth = cfg->tsk;
    }
    if (per + fixed > use) return 0;
    int64_t slices = (int64_t)((use - fixed) / per);
    int64_t chunk = slices * depth;
    return chunk < d->k ? chunk : d->k;
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
    /* Loop-limited devices: blocks small enough for at least 4 KC slices per launch (each
     * launch then runs K in chunks, gc__gemm_k_chunk), N first as above. */
    while (info->loop_limit && cpu_slice_trips(cfg, d, mb, nb) * 4 > usable_trips(info)) {
        if (nb > nr) nb = balanced(d->n, round_up(nb / 2, nr), nr);
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
    case GC_GEMM_OWN_THIN: {
        int wg = cfg->thin_wg, vw = cfg->thin_vw, sp = cfg->thin_split;
        if (wg < 1 || (vw != 1 && vw != 4 && vw != 8 && vw != 16) || sp < 1 || (sp & (sp - 1)) ||
            wg % sp || cfg->thin_rb < 1)
            return gc_error(GC_INVALID_ARG,
                            "gemm_thin: WG=%d VW=%d SPLIT=%d RB=%d invalid (VW 1, 4, 8 or 16; SPLIT "
                            "a power of 2 dividing WG; RB >= 1)", wg, vw, sp, cfg->thin_rb);
        uint64_t local = (uint64_t)wg * (uint64_t)vw * sizeof(float); /* gemm_thin_rows' tree */
        if ((size_t)wg > info->max_work_group || (sp > 1 && local > info->local_mem))
            return gc_error(GC_INVALID_ARG, "gemm_thin: WG=%d (max %zu), %llu bytes local (max %llu)",
                            wg, info->max_work_group, (unsigned long long)local,
                            (unsigned long long)info->local_mem);
        return GC_OK;
    }
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
    case GC_GEMM_OWN_THIN:
        return snprintf(buf, size, "-DTHIN_WG=%d -DTHIN_VW=%d -DTHIN_SPLIT=%d -DTHIN_RB=%d",
                        cfg->thin_wg, cfg->thin_vw, cfg->thin_split, cfg->thin_rb);
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

/* Argument positions of gemm_cpu / gemm_tiled that change between K chunks. */
enum { ARG_K = 2, ARG_A_OFF = 5, ARG_B_OFF = 9, ARG_BETA = 12 };

static cl_int set_own_args(cl_kernel kn, const struct gc_gemm_desc *d, cl_mem a, cl_mem b,
                           cl_mem c, size_t c_off, int mcb, int ncb, bool cpu)
{
    cl_int m = (cl_int)d->m, n = (cl_int)d->n;
    cl_int lda = (cl_int)d->lda, ldb = (cl_int)d->ldb, ldc = (cl_int)d->ldc;
    cl_ulong co = c_off;
    cl_ulong sa = d->batch > 1 ? (cl_ulong)d->stride_a : 0, sb = d->batch > 1 ? (cl_ulong)d->stride_b : 0;
    cl_ulong sc = d->batch > 1 ? (cl_ulong)d->stride_c : 0;
    cl_float alpha = d->alpha;
    cl_int e = CL_SUCCESS;
    e |= clSetKernelArg(kn, 0, sizeof m, &m);
    e |= clSetKernelArg(kn, 1, sizeof n, &n);
    e |= clSetKernelArg(kn, 3, sizeof alpha, &alpha);
    e |= clSetKernelArg(kn, 4, sizeof a, &a);
    e |= clSetKernelArg(kn, 6, sizeof lda, &lda);
    e |= clSetKernelArg(kn, 7, sizeof sa, &sa);
    e |= clSetKernelArg(kn, 8, sizeof b, &b);
    e |= clSetKernelArg(kn, 10, sizeof ldb, &ldb);
    e |= clSetKernelArg(kn, 11, sizeof sb, &sb);
    e |= clSetKernelArg(kn, 13, sizeof c, &c);
    e |= clSetKernelArg(kn, 14, sizeof co, &co);
    e |= clSetKernelArg(kn, 15, sizeof ldc, &ldc);
    e |= clSetKernelArg(kn, 16, sizeof sc, &sc);
    if (cpu) {
        cl_int mb = mcb, nb = ncb;
        e |= clSetKernelArg(kn, 17, sizeof mb, &mb);
        e |= clSetKernelArg(kn, 18, sizeof nb, &nb);
    }
    return e;
}

/* One launch per K chunk (one chunk unless the device limits loops): chunk j multiplies
 * columns [k0, k0 + kc) of op(A) by rows [k0, k0 + kc) of op(B) and adds to C (beta 1 after
 * the first). Chunks start at multiples of the kernel's K slice, where the kernel adds each
 * slice's sum to C anyway, so gemm_cpu's results are bit-identical to one launch. */
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

    int mcb = 0, ncb = 0;
    size_t global[3], local[3] = {1, 1, 1};
    if (cpu) {
        /* dim0 along M: neighbouring groups read the same B columns from cache. */
        gc__gemm_cpu_blocks(&dev->info, d, cfg, &mcb, &ncb, &global[0], &global[1]);
    } else {
        local[0] = (size_t)(cfg->tsn / cfg->wptn);
        local[1] = (size_t)(cfg->tsm / cfg->wptm);
        global[0] = (size_t)ceil_div(d->n, cfg->tsn) * local[0];
        global[1] = (size_t)ceil_div(d->m, cfg->tsm) * local[1];
    }
    global[2] = (size_t)d->batch;
    int64_t chunk = gc__gemm_k_chunk(&dev->info, d, cfg, mcb, ncb);
    if (chunk == 0 && d->k > 0)
        return gc_error(GC_INVALID_ARG,
                        "%s: one K slice (KC=%d, TSK=%d) of %lldx%lldx%lld loops more than %s "
                        "allows a work-item (%u iterations in all); use smaller tiles",
                        gc__gemm_impl_name(cfg->impl), cfg->kc, cfg->tsk, (long long)d->m,
                        (long long)d->n, (long long)d->k, dev->info.name, dev->info.loop_limit);
    cl_int e = set_own_args(kn, d, a, b, c, c_off, mcb, ncb, cpu);
    for (int64_t k0 = 0; e == CL_SUCCESS && (k0 < d->k || k0 == 0); k0 += chunk) {
        cl_int kc = (cl_int)(d->k - k0 < chunk ? d->k - k0 : chunk);
        cl_ulong ao = a_off + (size_t)(d->ta ? k0 * d->lda : k0);
        cl_ulong bo = b_off + (size_t)(d->tb ? k0 : k0 * d->ldb);
        cl_float beta = k0 == 0 ? d->beta : 1.0f;
        e |= clSetKernelArg(kn, ARG_K, sizeof kc, &kc);
        e |= clSetKernelArg(kn, ARG_A_OFF, sizeof ao, &ao);
        e |= clSetKernelArg(kn, ARG_B_OFF, sizeof bo, &bo);
        e |= clSetKernelArg(kn, ARG_BETA, sizeof beta, &beta);
        if (e != CL_SUCCESS) break;
        GC_CL_CHECK(dev, clEnqueueNDRangeKernel(dev->queue, kn, 3, NULL, global, local, 0, NULL, NULL),
                    cpu ? "enqueueing gemm_cpu" : "enqueueing gemm_tiled");
        if (chunk <= 0) break;
    }
    if (e != CL_SUCCESS) return gc__cl_fail(dev, CL_INVALID_KERNEL_ARGS, "gemm: setting kernel arguments");
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
    if (cfg->impl == GC_GEMM_OWN_THIN) return gc__gemm_thin_run(dev, d, a, a_off, b, b_off, c, c_off, cfg);
    return run_own(dev, d, a, a_off, b, b_off, c, c_off, cfg);
}
