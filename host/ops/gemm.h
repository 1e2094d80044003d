/* SPDX-License-Identifier: MIT */
/* SGEMM for every op that multiplies matrices (matmul, conv via im2col, linear layers):
 * gan-cl's own kernels (cl/gemm.cl: gemm_cpu, the fast path on CPU devices; gemm_tiled, the
 * GPU recipe; cl/gemm_thin.cl: gemm_thin for M == 1, N == 1 or small K) and CLBlast, behind
 * one call. Which one runs, and with which tile sizes, is a
 * gc_gemm_config: NULL means the device's default (gc__gemm_default_config); the tuner
 * builds configs from gc__gemm_tunables and records the winners.
 *
 * Row-major:  C[b] (m x n) = alpha * op(A[b]) * op(B[b]) + beta * C[b],  b < batch,
 *   op(A) is (m, k): A stored (m, k) with row stride lda, or (k, m) when ta;
 *   op(B) is (k, n): B stored (k, n) with row stride ldb, or (n, k) when tb;
 *   matrix b of X starts at element x_off + b * stride_x of its buffer.
 * beta == 0 never reads C (it may hold NaN), as in BLAS. */
#ifndef GANCL_OPS_GEMM_H
#define GANCL_OPS_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl/clblast.h"
#include "cl/clrt.h"

struct gc_gemm_desc {
    bool ta, tb;
    int64_t m, n, k;
    int64_t lda, ldb, ldc;                /* elements; >= the stored row length */
    int64_t batch;                        /* >= 1 */
    int64_t stride_a, stride_b, stride_c; /* elements between batch items (unused if batch 1) */
    float alpha, beta;
};

enum gc_gemm_impl {
    GC_GEMM_OWN_CPU,   /* gemm_cpu: one work-item per group, MR x NR register block */
    GC_GEMM_OWN_TILED, /* gemm_tiled: local-memory tiles, barriers, many items per group */
    GC_GEMM_CLBLAST,   /* CLBlast's tuned kernels (its own database per device) */
    GC_GEMM_OWN_THIN,  /* gemm_thin: GEMV (M or N 1) or element-wise small-K (gemm_thin.h) */
    GC_GEMM_IMPL_COUNT
};

struct gc_gemm_config {
    enum gc_gemm_impl impl;
    /* gemm_cpu: micro-tile MR x NR of C in registers (NR % VW == 0), vector width VW (8 or
     * 16), KC-deep slices of K packed into __local, at most an MC x NC block of C per
     * work-group (MC % MR == 0, NC % NR == 0; the host picks the actual block per shape, at
     * most these). (MC * (KC + 16) + KC * NC) floats must fit the device's local memory. */
    int mr, nr, kc, vw, mc, nc;
    /* gemm_tiled: TSM x TSN C tile per group, TSK-deep local tiles, WPTM x WPTN outputs
     * per thread: (TSM/WPTM) * (TSN/WPTN) threads per group. */
    int tsm, tsn, tsk, wptm, wptn;
    /* gemm_thin: THIN_WG items per work-group, floatVW loads (VW 1, 4, 8, 16) along the
     * contiguous dimension, THIN_SPLIT items (a power of 2 dividing WG) share one GEMV
     * output's K and add their sums in local memory; the small-K kernel's items each cover
     * THIN_RB rows. */
    int thin_wg, thin_vw, thin_split, thin_rb;
    /* CLBlast with batch > 1: true calls CLBlastSgemmStridedBatched, whose indirect path
     * creates (clCreateBuffer) padded temporaries on every call — it has no temp-buffer
     * variant; false (default) loops CLBlastSgemmWithTempBuffer over the batch with the
     * device's reused scratch buffer, so the step loop allocates nothing. */
    bool clblast_strided_batched;
    /* CLBlast: its own kernel parameters for this shape (unset: its database defaults),
     * applied with CLBlastOverrideParameters before the call (cl/clblast.h). */
    struct gc_clblast_params clb;
};

/* Enqueues the GEMM on dev's queue (no host sync). cfg NULL = the device default.
 * Validates the descriptor (GC_INVALID_ARG), compiles the kernel variant on first use
 * (GC_CL_BUILD with the log), maps CL / CLBlast failures (GC_CL, GC_CLBLAST). The CLBlast
 * path grows dev's reused scratch buffer when a shape needs more (reserve it beforehand
 * with gc__gemm_reserve to keep a step loop allocation-free). */
gc_status gc__gemm(struct gc_device *dev, const struct gc_gemm_desc *d, cl_mem a, size_t a_off,
                   cl_mem b, size_t b_off, cl_mem c, size_t c_off,
                   const struct gc_gemm_config *cfg);

/* The config gc__gemm uses for cfg == NULL. CPU devices: gemm_cpu with MC=192, NC=256, KC=256
 * (beat 128 by 2-5% on 12 of the 14 shapes of gc-bench-gemm on Zen 4) and a float16
 * micro-tile with AVX-512 (PoCL's device name says "avx512"): 6x64 on AMD (Zen 4: 101 vs
 * 88-95 GFLOP/s for 24x16 / 12x32 on one core at 1024^3) except for N < 48
 * (d given), 24x16 elsewhere (Xeon: the shapes are equal within noise, spec/cpu-kernels.md);
 * else 6x16 float8. With d NULL the options are those of wide shapes (the program gan-cl
 * cache warm builds); the block actually used per call is sized at run time so that every
 * core gets groups. GPUs and others: CLBlast, which ships tuned parameters for most GPUs,
 * with the reused scratch buffer; gemm_tiled (64x64 tiles, 4x4 per thread) is the tuner's
 * alternative there. CPU devices other than llvmpipe run GEMVs (M or N 1, d given) with
 * gemm_thin (WG 32, the CPU's vector width, SPLIT 1): on PoCL (Zen 4, 2 cores) 1.3x (NN
 * 1x4096x64) to 240x (NT 1x1x4096 batch 64) faster than gemm_cpu on the GEMVs of dcgan32 and
 * cyclegan64; its small-K kernel measured slower than gemm_cpu there (TN 8192x36x1 0.6x,
 * TN 3136x4096x3 0.9x), so small K keeps gemm_cpu unless the tuner finds otherwise.
 * The environment variable GANCL_GEMM_IMPL overrides the implementation on every device:
 * "own" (gemm_cpu on CPUs, gemm_tiled elsewhere), "cpu" (gemm_cpu), "tiled" (gemm_tiled),
 * "clblast", "thin" (gemm_thin); unset or anything else: the rule above. tools/bench uses it
 * to time the conv layers on both paths. */
void gc__gemm_default_config(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                             struct gc_gemm_config *cfg);

/* Checks a config against the device's limits (local memory, work-group size) and its own
 * rules (NR % VW, TSM % WPTM, ...): GC_OK or GC_INVALID_ARG with the reason. */
gc_status gc__gemm_config_check(const struct gc_device_info *info, const struct gc_gemm_config *cfg);

/* The -D build options of cfg's kernel for this transpose combination, e.g.
 * "-DGEMM_TA=0 -DGEMM_TB=1 -DGEMM_MR=6 -DGEMM_NR=64 -DGEMM_KC=128 -DGEMM_VW=16 -DGEMM_MC=192
 * -DGEMM_NC=256"; for gemm_thin its tunables only ("-DTHIN_WG=32 -DTHIN_VW=16 -DTHIN_SPLIT=1
 * -DTHIN_RB=8": gemm_thin.c adds the operand layout flags per call).
 * Returns the length snprintf would write ("" and 0 for CLBlast). */
int gc__gemm_build_options(const struct gc_gemm_config *cfg, bool ta, bool tb, char *buf,
                           size_t size);

/* Whether gemm_cpu copies its A block into __local rather than reading A in place: always,
 * since the blocked kernel packs both operands (kept for callers of the earlier kernel, which
 * packed A only when lda made the MR rows collide in the L1 cache). */
bool gc__gemm_cpu_packs_a(const struct gc_gemm_desc *d, const struct gc_gemm_config *cfg);

/* Ensures dev's CLBlast scratch buffer holds what desc needs with the CLBlast parameters the
 * default path uses for its shape (the scratch size depends on them). */
gc_status gc__gemm_reserve(struct gc_device *dev, const struct gc_gemm_desc *d);

/* gemm_cpu's C block for this shape (rows mcb <= cfg->mc, columns ncb <= cfg->nc, multiples
 * of MR and NR) and its grid (groups along M and N): the blocks are balanced so the tails are
 * not tiny, and shrunk until the grid gives each compute unit several groups. */
void gc__gemm_cpu_blocks(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                         const struct gc_gemm_config *cfg, int *mcb, int *ncb, size_t *groups_m,
                         size_t *groups_n);

/* The largest K one launch of cfg's own kernel may cover on this device: d->k unless the
 * device limits the loop iterations of a work-item (gc_device_info.loop_limit), then a
 * multiple of the kernel's K slice (KC, TSK) whose loops stay within the limit (gemm_cpu with
 * an mcb x ncb block, from gc__gemm_cpu_blocks); 0 when not even one slice fits (gc__gemm then
 * fails with GC_INVALID_ARG). gc__gemm runs K in chunks of this size. */
int64_t gc__gemm_k_chunk(const struct gc_device_info *info, const struct gc_gemm_desc *d,
                         const struct gc_gemm_config *cfg, int mcb, int ncb);

/* Tunables, for the tuner: each names an int field of gc_gemm_config (by offset) with its
 * candidate values and default. Values are only meaningful together with the rules of
 * gc__gemm_config_check. */
#define GC_GEMM_MAX_CANDIDATES 8
struct gc_gemm_tunable {
    const char *name;
    enum gc_gemm_impl impl;
    size_t offset; /* offsetof(struct gc_gemm_config, field), an int */
    int candidates[GC_GEMM_MAX_CANDIDATES];
    int n_candidates;
    int def;
};
extern const struct gc_gemm_tunable gc__gemm_tunables[];
extern const int gc__gemm_tunable_count;
int *gc__gemm_tunable_field(struct gc_gemm_config *cfg, const struct gc_gemm_tunable *t);

const char *gc__gemm_impl_name(enum gc_gemm_impl impl);

#endif
