// SPDX-License-Identifier: MIT
// SGEMM, row-major, batched:  C[b] (M x N) = alpha * op(A[b]) * op(B[b]) + beta * C[b]
//   op(A): (M, K) - A stored (M, K) with row stride lda, or (K, M) when GEMM_TA
//   op(B): (K, N) - B stored (K, N) with row stride ldb, or (N, K) when GEMM_TB
//   matrix b of the batch starts at x_off + b * stride_x (elements) for x in A, B, C.
// beta == 0 never reads C (it may hold NaN garbage), as BLAS specifies.
//
// Two families, both tunable only through -D options (no silent defaults):
//   gemm_cpu   - the CPU recipe (spec/cpu-kernels.md): one work-item per work-group is a BLAS
//                micro-kernel holding an MR x NR block of C in floatVW registers; it packs
//                its own KC x NR panel of op(B) into __local (plain per-group scratch: the
//                group has one item, so no barrier) and broadcasts A. Grid dim0 runs along M
//                so neighbouring groups reuse the same B panel from cache.
//                Options: GEMM_TA GEMM_TB (0/1) GEMM_MR GEMM_NR GEMM_KC GEMM_VW (8 or 16,
//                NR % VW == 0). Launch: global (ceil(M/MR), ceil(N/NR), batch), local (1,1,1).
//   gemm_tiled - the GPU recipe: a work-group of (TSN/WPTN) x (TSM/WPTM) threads computes a
//                TSM x TSN tile of C, staging TSK-deep tiles of A and B in __local with
//                barriers; each thread owns WPTM x WPTN outputs (strided, so neighbouring
//                threads touch neighbouring columns: coalesced loads and stores).
//                Options: GEMM_TA GEMM_TB GEMM_TSM GEMM_TSN GEMM_TSK GEMM_WPTM GEMM_WPTN.
//                Launch: global (ceil(N/TSN)*TSN/WPTN, ceil(M/TSM)*TSM/WPTM, batch),
//                local (TSN/WPTN, TSM/WPTM, 1).

#if !defined(GEMM_TA) || !defined(GEMM_TB)
#error "gemm.cl needs -DGEMM_TA=0|1 -DGEMM_TB=0|1"
#endif

#define GEMM_CAT_(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)

// Element (i, k) of op(A) and (k, j) of op(B), relative to the matrix base.
#if GEMM_TA
#define GEMM_A(a, lda, i, k) ((a)[(size_t)(k) * (lda) + (i)])
#else
#define GEMM_A(a, lda, i, k) ((a)[(size_t)(i) * (lda) + (k)])
#endif
#if GEMM_TB
#define GEMM_B(b, ldb, k, j) ((b)[(size_t)(j) * (ldb) + (k)])
#else
#define GEMM_B(b, ldb, k, j) ((b)[(size_t)(k) * (ldb) + (j)])
#endif

// ---------------------------------------------------------------------------------------------
// gemm_cpu
#if defined(GEMM_MR)

#if !defined(GEMM_NR) || !defined(GEMM_KC) || !defined(GEMM_VW)
#error "gemm_cpu needs -DGEMM_MR -DGEMM_NR -DGEMM_KC -DGEMM_VW"
#endif
#if GEMM_VW != 8 && GEMM_VW != 16
#error "GEMM_VW must be 8 or 16"
#endif
#if GEMM_NR % GEMM_VW != 0
#error "GEMM_NR must be a multiple of GEMM_VW"
#endif

#define GEMM_NV (GEMM_NR / GEMM_VW)
#define VT GEMM_CAT(float, GEMM_VW)
#define VLOAD GEMM_CAT(vload, GEMM_VW)
#define VSTORE GEMM_CAT(vstore, GEMM_VW)

// Packs rows [k0, k0+kc) x columns [j0, j0+NR) of op(B) into bp (kc x NR, row-major);
// columns past N are zero so the micro-kernel never branches on the N tail.
static inline __attribute__((always_inline)) void gemm_cpu_pack_b(__local float *bp, const __global float *b, const int ldb,
                     const int k0, const int kc, const int j0, const int n)
{
    if (j0 + GEMM_NR <= n) {
#if GEMM_TB
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < GEMM_NR; j++) bp[kk * GEMM_NR + j] = GEMM_B(b, ldb, k0 + kk, j0 + j);
#else
        for (int kk = 0; kk < kc; kk++) {
            const __global float *row = b + (size_t)(k0 + kk) * ldb + j0;
#pragma unroll
            for (int v = 0; v < GEMM_NV; v++)
                VSTORE(VLOAD(v, row), kk * GEMM_NV + v, bp);
        }
#endif
    } else {
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < GEMM_NR; j++)
                bp[kk * GEMM_NR + j] = j0 + j < n ? GEMM_B(b, ldb, k0 + kk, j0 + j) : 0.0f;
    }
}

// Packs rows ROW(i), i < MR, x columns [k0, k0+kc) of op(A) into ap (MR x KC, row-major).
// Used when A's row stride maps the MR rows onto few cache sets (lda a multiple of 1024
// floats: 24 rows in one 8-way L1 set measured 24 vs 86 GFLOP/s); otherwise A is read in place.
static inline __attribute__((always_inline)) void gemm_cpu_pack_a(
    __local float *ap, const __global float *a, const int lda, const int ib, const int m,
    const int k0, const int kc)
{
    for (int i = 0; i < GEMM_MR; i++) {
        const int r = min(ib + i, m - 1);
#if GEMM_TA
        for (int kk = 0; kk < kc; kk++) ap[i * GEMM_KC + kk] = a[(size_t)(k0 + kk) * lda + r];
#else
        const __global float *row = a + (size_t)r * lda + k0;
        int kk = 0;
        for (; kk + GEMM_VW <= kc; kk += GEMM_VW) VSTORE(VLOAD(0, row + kk), 0, ap + i * GEMM_KC + kk);
        for (; kk < kc; kk++) ap[i * GEMM_KC + kk] = row[kk];
#endif
    }
}

// One k-chunk of the micro-kernel: acc += op(A)[rows, k0:k0+kc] * bp, AV(i, kk) being element
// (row i of the block, k0 + kk) of op(A). With constant row offsets LLVM folds the A
// broadcasts into the FMAs ({1to16}) and keeps every accumulator in a register.
#define GEMM_CPU_CHUNK(AV)                                                                         \
    for (int kk = 0; kk < kc; kk++) {                                                              \
        VT bv[GEMM_NV];                                                                            \
        _Pragma("unroll") for (int v = 0; v < GEMM_NV; v++) bv[v] = VLOAD(kk * GEMM_NV + v, bp);   \
        _Pragma("unroll") for (int i = 0; i < GEMM_MR; i++) {                                      \
            const VT av = (VT)(AV(i, kk));                                                         \
            _Pragma("unroll") for (int v = 0; v < GEMM_NV; v++) acc[i][v] =                        \
                fma(av, bv[v], acc[i][v]);                                                         \
        }                                                                                          \
    }
#define GEMM_AV_DIRECT(i, kk) GEMM_A(a, lda, ib + (i), k0 + (kk))
#define GEMM_AV_CLAMP(i, kk) GEMM_A(a, lda, min((i), m - 1), k0 + (kk))
#define GEMM_AV_PACKED(i, kk) ap[(i) * GEMM_KC + (kk)]

// pack_a (0/1, chosen by the host from lda): see gemm_cpu_pack_a.
__kernel void gemm_cpu(const int m, const int n, const int k, const float alpha,
                       const __global float *a, const ulong a_off, const int lda, const ulong stride_a,
                       const __global float *b, const ulong b_off, const int ldb, const ulong stride_b,
                       const float beta,
                       __global float *c, const ulong c_off, const int ldc, const ulong stride_c,
                       const int pack_a)
{
    __local float ap[GEMM_MR * GEMM_KC];
    __local float bp[GEMM_KC * GEMM_NR];
    // The last row block is shifted up to end at row m (it recomputes rows of its neighbour
    // but stores only its own), so every block reads MR valid rows at constant offsets.
    // Only m < MR needs clamped row indices.
    const int i0 = (int)get_group_id(0) * GEMM_MR;
    const int ib = m >= GEMM_MR ? min(i0, m - GEMM_MR) : 0;
    const int j0 = (int)get_group_id(1) * GEMM_NR;
    const size_t bi = get_group_id(2);
    a += a_off + bi * stride_a;
    b += b_off + bi * stride_b;
    c += c_off + bi * stride_c;

    VT acc[GEMM_MR][GEMM_NV];
#pragma unroll
    for (int i = 0; i < GEMM_MR; i++)
#pragma unroll
        for (int v = 0; v < GEMM_NV; v++) acc[i][v] = (VT)(0.0f);

    for (int k0 = 0; k0 < k; k0 += GEMM_KC) {
        const int kc = min(GEMM_KC, k - k0);
        gemm_cpu_pack_b(bp, b, ldb, k0, kc, j0, n);
        if (pack_a) {
            gemm_cpu_pack_a(ap, a, lda, ib, m, k0, kc);
            GEMM_CPU_CHUNK(GEMM_AV_PACKED)
        } else if (m >= GEMM_MR) {
            GEMM_CPU_CHUNK(GEMM_AV_DIRECT)
        } else {
            GEMM_CPU_CHUNK(GEMM_AV_CLAMP)
        }
    }

    // Constant-bound loops with a guard: indexing acc with a runtime bound would force the
    // accumulators out of registers for the whole kernel.
    const int mr = min(GEMM_MR, m - ib); // rows [ib+lo, ib+mr) are this group's
    const int lo = i0 - ib;
    if (j0 + GEMM_NR <= n) {
#pragma unroll
        for (int i = 0; i < GEMM_MR; i++) {
            if (i >= lo && i < mr) {
                __global float *crow = c + (size_t)(ib + i) * ldc + j0;
#pragma unroll
                for (int v = 0; v < GEMM_NV; v++) {
                    VT r = alpha * acc[i][v];
                    if (beta != 0.0f) r = fma((VT)(beta), VLOAD(v, crow), r);
                    VSTORE(r, v, crow);
                }
            }
        }
    } else {
        const int nr = n - j0;
#pragma unroll
        for (int i = 0; i < GEMM_MR; i++) {
            if (i >= lo && i < mr) {
                __global float *crow = c + (size_t)(ib + i) * ldc + j0;
#pragma unroll
                for (int v = 0; v < GEMM_NV; v++) {
                    float t[GEMM_VW];
                    VSTORE(alpha * acc[i][v], 0, t);
                    for (int q = 0; q < GEMM_VW && v * GEMM_VW + q < nr; q++) {
                        __global float *p = crow + v * GEMM_VW + q;
                        *p = beta != 0.0f ? fma(beta, *p, t[q]) : t[q];
                    }
                }
            }
        }
    }
}

#endif // GEMM_MR

// ---------------------------------------------------------------------------------------------
// gemm_tiled
#if defined(GEMM_TSM)

#if !defined(GEMM_TSN) || !defined(GEMM_TSK) || !defined(GEMM_WPTM) || !defined(GEMM_WPTN)
#error "gemm_tiled needs -DGEMM_TSM -DGEMM_TSN -DGEMM_TSK -DGEMM_WPTM -DGEMM_WPTN"
#endif
#if GEMM_TSM % GEMM_WPTM != 0 || GEMM_TSN % GEMM_WPTN != 0
#error "GEMM_TSM % GEMM_WPTM and GEMM_TSN % GEMM_WPTN must be 0"
#endif

#define GEMM_RTSM (GEMM_TSM / GEMM_WPTM) // threads along M
#define GEMM_RTSN (GEMM_TSN / GEMM_WPTN) // threads along N
#define GEMM_NT (GEMM_RTSM * GEMM_RTSN)

__kernel __attribute__((reqd_work_group_size(GEMM_RTSN, GEMM_RTSM, 1)))
void gemm_tiled(const int m, const int n, const int k, const float alpha,
                const __global float *a, const ulong a_off, const int lda, const ulong stride_a,
                const __global float *b, const ulong b_off, const int ldb, const ulong stride_b,
                const float beta,
                __global float *c, const ulong c_off, const int ldc, const ulong stride_c)
{
    // +1 column of padding spreads the column walks of the loads over the local banks.
    __local float as[GEMM_TSK][GEMM_TSM + 1];
    __local float bs[GEMM_TSK][GEMM_TSN + 1];
    const int tn = (int)get_local_id(0), tm = (int)get_local_id(1);
    const int tid = tm * GEMM_RTSN + tn;
    const int j0 = (int)get_group_id(0) * GEMM_TSN;
    const int i0 = (int)get_group_id(1) * GEMM_TSM;
    const size_t bi = get_group_id(2);
    a += a_off + bi * stride_a;
    b += b_off + bi * stride_b;
    c += c_off + bi * stride_c;

    float acc[GEMM_WPTM][GEMM_WPTN];
#pragma unroll
    for (int i = 0; i < GEMM_WPTM; i++)
#pragma unroll
        for (int j = 0; j < GEMM_WPTN; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < k; k0 += GEMM_TSK) {
        // Consecutive threads read consecutive addresses of the stored layout.
        for (int t = tid; t < GEMM_TSK * GEMM_TSM; t += GEMM_NT) {
#if GEMM_TA
            const int kk = t / GEMM_TSM, ii = t % GEMM_TSM;
#else
            const int ii = t / GEMM_TSK, kk = t % GEMM_TSK;
#endif
            const int gi = i0 + ii, gk = k0 + kk;
            as[kk][ii] = gi < m && gk < k ? GEMM_A(a, lda, gi, gk) : 0.0f;
        }
        for (int t = tid; t < GEMM_TSK * GEMM_TSN; t += GEMM_NT) {
#if GEMM_TB
            const int jj = t / GEMM_TSK, kk = t % GEMM_TSK;
#else
            const int kk = t / GEMM_TSN, jj = t % GEMM_TSN;
#endif
            const int gj = j0 + jj, gk = k0 + kk;
            bs[kk][jj] = gj < n && gk < k ? GEMM_B(b, ldb, gk, gj) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < GEMM_TSK; kk++) {
            float bv[GEMM_WPTN];
#pragma unroll
            for (int j = 0; j < GEMM_WPTN; j++) bv[j] = bs[kk][tn + j * GEMM_RTSN];
#pragma unroll
            for (int i = 0; i < GEMM_WPTM; i++) {
                const float av = as[kk][tm + i * GEMM_RTSM];
#pragma unroll
                for (int j = 0; j < GEMM_WPTN; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

#pragma unroll
    for (int i = 0; i < GEMM_WPTM; i++) {
        const int gi = i0 + tm + i * GEMM_RTSM;
        if (gi >= m) break;
#pragma unroll
        for (int j = 0; j < GEMM_WPTN; j++) {
            const int gj = j0 + tn + j * GEMM_RTSN;
            if (gj < n) {
                __global float *p = c + (size_t)gi * ldc + gj;
                const float r = alpha * acc[i][j];
                *p = beta != 0.0f ? fma(beta, *p, r) : r;
            }
        }
    }
}

#endif // GEMM_TSM

#if !defined(GEMM_MR) && !defined(GEMM_TSM)
#error "gemm.cl needs the options of gemm_cpu (-DGEMM_MR ...) or of gemm_tiled (-DGEMM_TSM ...)"
#endif
