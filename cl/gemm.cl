// SPDX-License-Identifier: MIT
// SGEMM, row-major, batched:  C[b] (M x N) = alpha * op(A[b]) * op(B[b]) + beta * C[b]
//   op(A): (M, K) - A stored (M, K) with row stride lda, or (K, M) when GEMM_TA
//   op(B): (K, N) - B stored (K, N) with row stride ldb, or (N, K) when GEMM_TB
//   matrix b of the batch starts at x_off + b * stride_x (elements) for x in A, B, C.
// beta == 0 never reads C (it may hold NaN garbage), as BLAS specifies.
//
// Two families, both tunable only through -D options (no silent defaults):
//   gemm_cpu   - the CPU recipe (spec/cpu-kernels.md): one work-item per work-group owns an
//                MC x NC block of C, packs KC-deep slices of its A and B blocks into __local
//                (plain per-group scratch: the group has one item, so no barrier) and runs a
//                BLAS micro-kernel holding MR x NR of C in floatVW registers over them.
//                Options: GEMM_TA GEMM_TB (0/1) GEMM_MR GEMM_NR GEMM_KC GEMM_VW (8 or 16,
//                NR % VW == 0) GEMM_MC GEMM_NC (largest block; multiples of MR, NR).
//                Launch: global (ceil(M/mcb), ceil(N/ncb), batch), local (1,1,1).
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
//
// Blocked like a BLAS (Goto): work-group (x, y, b) owns the C block rows [i0, i0+mcb) x columns
// [j0, j0+ncb) of matrix b (mcb <= GEMM_MC, ncb <= GEMM_NC: runtime arguments the host sizes per
// shape). For each KC-deep slice of K it packs the A block (mcb x kc) and the B block (kc x ncb)
// into __local, then runs the MR x NR micro-kernel over every (NR panel, MR tile) pair and adds
// the result into C. Packing is thus paid once per block, not once per micro-tile: copying
// B costs 1/mcb and copying A 1/ncb of the FMAs, where packing per micro-tile cost 25-35%.
// Measured on this project's Zen 4 machine (one PoCL thread, 1024^3): 67 -> 101 GFLOP/s.
#if defined(GEMM_MR)

#if !defined(GEMM_NR) || !defined(GEMM_KC) || !defined(GEMM_VW) || !defined(GEMM_MC) || \
    !defined(GEMM_NC)
#error "gemm_cpu needs -DGEMM_MR -DGEMM_NR -DGEMM_KC -DGEMM_VW -DGEMM_MC -DGEMM_NC"
#endif
#if GEMM_VW != 8 && GEMM_VW != 16
#error "GEMM_VW must be 8 or 16"
#endif
#if GEMM_NR % GEMM_VW != 0
#error "GEMM_NR must be a multiple of GEMM_VW"
#endif
#if GEMM_MC % GEMM_MR != 0 || GEMM_NC % GEMM_NR != 0
#error "GEMM_MC must be a multiple of GEMM_MR and GEMM_NC of GEMM_NR"
#endif

#define GEMM_NV (GEMM_NR / GEMM_VW)
#define VT GEMM_CAT(float, GEMM_VW)
#define VLOAD GEMM_CAT(vload, GEMM_VW)
#define VSTORE GEMM_CAT(vstore, GEMM_VW)

// The micro-kernel's loops over the MR rows and NV vectors of the accumulator block are
// unrolled by the preprocessor, not by #pragma unroll: acc[i][v] must only ever be indexed by
// constants to live in registers. PoCL's LLVM honours the pragma, but Mesa's llvmpipe
// (rusticl) keeps such loops, spills acc to an indexed scratch array and counts every
// iteration against its per-work-item budget of 65535 loop iterations, all loops together
// (see gc_device_info.loop_limit; the host splits K over launches to stay within it).
// GEMM_FOR_MR(X) expands X(i) for i = 0 .. MR-1 (MR < 32, by its binary digits);
// GEMM_FOR_NV(Y, i) expands Y(v, i) for v = 0 .. NV-1 (NV < 16).
#if GEMM_MR >= 32 || GEMM_NV >= 16
#error "GEMM_MR must be below 32 and GEMM_NR / GEMM_VW below 16"
#endif
#define GEMM_I1(X, o) X(o)
#define GEMM_I2(X, o) GEMM_I1(X, o) GEMM_I1(X, (o) + 1)
#define GEMM_I4(X, o) GEMM_I2(X, o) GEMM_I2(X, (o) + 2)
#define GEMM_I8(X, o) GEMM_I4(X, o) GEMM_I4(X, (o) + 4)
#define GEMM_I16(X, o) GEMM_I8(X, o) GEMM_I8(X, (o) + 8)
#define GEMM_J1(Y, o, i) Y(o, i)
#define GEMM_J2(Y, o, i) GEMM_J1(Y, o, i) GEMM_J1(Y, (o) + 1, i)
#define GEMM_J4(Y, o, i) GEMM_J2(Y, o, i) GEMM_J2(Y, (o) + 2, i)
#define GEMM_J8(Y, o, i) GEMM_J4(Y, o, i) GEMM_J4(Y, (o) + 4, i)
#if GEMM_MR & 16
#define GEMM_MR16(X) GEMM_I16(X, 0)
#else
#define GEMM_MR16(X)
#endif
#if GEMM_MR & 8
#define GEMM_MR8(X) GEMM_I8(X, (GEMM_MR & 16))
#else
#define GEMM_MR8(X)
#endif
#if GEMM_MR & 4
#define GEMM_MR4(X) GEMM_I4(X, (GEMM_MR & 24))
#else
#define GEMM_MR4(X)
#endif
#if GEMM_MR & 2
#define GEMM_MR2(X) GEMM_I2(X, (GEMM_MR & 28))
#else
#define GEMM_MR2(X)
#endif
#if GEMM_MR & 1
#define GEMM_MR1(X) GEMM_I1(X, (GEMM_MR & 30))
#else
#define GEMM_MR1(X)
#endif
#define GEMM_FOR_MR(X) GEMM_MR16(X) GEMM_MR8(X) GEMM_MR4(X) GEMM_MR2(X) GEMM_MR1(X)
#if GEMM_NV & 8
#define GEMM_NV8(Y, i) GEMM_J8(Y, 0, i)
#else
#define GEMM_NV8(Y, i)
#endif
#if GEMM_NV & 4
#define GEMM_NV4(Y, i) GEMM_J4(Y, (GEMM_NV & 8), i)
#else
#define GEMM_NV4(Y, i)
#endif
#if GEMM_NV & 2
#define GEMM_NV2(Y, i) GEMM_J2(Y, (GEMM_NV & 12), i)
#else
#define GEMM_NV2(Y, i)
#endif
#if GEMM_NV & 1
#define GEMM_NV1(Y, i) GEMM_J1(Y, (GEMM_NV & 14), i)
#else
#define GEMM_NV1(Y, i)
#endif
#define GEMM_FOR_NV(Y, i) GEMM_NV8(Y, i) GEMM_NV4(Y, i) GEMM_NV2(Y, i) GEMM_NV1(Y, i)

// The micro-kernel's steps, in the names of gemm_cpu's locals (acc, bv, at, bt, kk, crow ...).
#define GEMM_ZERO(v, i) acc[i][v] = (VT)(0.0f);
#define GEMM_ROW_ZERO(i) GEMM_FOR_NV(GEMM_ZERO, i)
#define GEMM_LOAD_B(v, i) bv[v] = VLOAD(kk * GEMM_NV + (v), bt);
#define GEMM_FMA(v, i) acc[i][v] = fma(av, bv[v], acc[i][v]);
#define GEMM_ROW_FMA(i)                                                                          \
    {                                                                                            \
        const VT av = (VT)(GEMM_AP(at, (i), kk));                                                \
        GEMM_FOR_NV(GEMM_FMA, i)                                                                 \
    }
// The first slice writes alpha*AB (+ beta*C: beta == 0 never reads C), later ones add. The
// row guard (i < mr) is a branch on a constant row, not a runtime loop bound.
#define GEMM_STORE(v, i)                                                                         \
    {                                                                                            \
        VT r = alpha * acc[i][v];                                                                \
        if (!first) r += VLOAD(v, crow);                                                         \
        else if (beta != 0.0f) r = fma((VT)(beta), VLOAD(v, crow), r);                           \
        VSTORE(r, v, crow);                                                                      \
    }
#define GEMM_ROW_STORE(i)                                                                        \
    if ((i) < mr) {                                                                              \
        __global float *crow = c + (size_t)(ib + (i)) * ldc + jb;                                \
        GEMM_FOR_NV(GEMM_STORE, i)                                                               \
    }
// N tail: element by element from a private copy of the vector.
#define GEMM_STORE_TAIL(v, i)                                                                    \
    {                                                                                            \
        float tv[GEMM_VW];                                                                       \
        VSTORE(alpha * acc[i][v], 0, tv);                                                        \
        for (int q = 0; q < GEMM_VW && (v) * GEMM_VW + q < nr; q++) {                            \
            __global float *pc = crow + (v) * GEMM_VW + q;                                       \
            *pc = !first ? *pc + tv[q] : beta != 0.0f ? fma(beta, *pc, tv[q]) : tv[q];           \
        }                                                                                        \
    }
#define GEMM_ROW_STORE_TAIL(i)                                                                   \
    if ((i) < mr) {                                                                              \
        __global float *crow = c + (size_t)(ib + (i)) * ldc + jb;                                \
        GEMM_FOR_NV(GEMM_STORE_TAIL, i)                                                          \
    }

// Packed A tile (MR rows x kc): element (i, kk). Without GEMM_TA the rows of A are contiguous,
// so a tile keeps them as rows (vector copies; the +16 padding spreads the MR row starts over
// the L1 sets); with GEMM_TA the MR elements of one k are contiguous and the tile is k-major.
// Either way the micro-kernel reads A at constant offsets, which LLVM folds into
// broadcast-FMAs (vfmadd231ps ...{1to16}).
#if GEMM_TA
#define GEMM_ATILE (GEMM_MR * GEMM_KC)
#define GEMM_AP(at, i, kk) (at)[(kk) * GEMM_MR + (i)]
#else
#define GEMM_KCP (GEMM_KC + 16)
#define GEMM_ATILE (GEMM_MR * GEMM_KCP)
#define GEMM_AP(at, i, kk) (at)[(i) * GEMM_KCP + (kk)]
#endif
// Packed B panel (kc x NR, row-major): element (kk, j) at kk * NR + j.
#define GEMM_BTILE (GEMM_KC * GEMM_NR)

// Packs rows [ib, ib + MR) x k [k0, k0 + kc) of op(A) into tile at; rows past m are zero.
static inline __attribute__((always_inline)) void gemm_cpu_pack_a(
    __local float *at, const __global float *a, const int lda, const int ib, const int m,
    const int k0, const int kc)
{
#if GEMM_TA
    if (ib + GEMM_MR <= m) {
        for (int kk = 0; kk < kc; kk++) {
            const __global float *src = a + (size_t)(k0 + kk) * lda + ib;
#pragma unroll
            for (int i = 0; i < GEMM_MR; i++) GEMM_AP(at, i, kk) = src[i];
        }
    } else {
        for (int kk = 0; kk < kc; kk++)
            for (int i = 0; i < GEMM_MR; i++)
                GEMM_AP(at, i, kk) = ib + i < m ? a[(size_t)(k0 + kk) * lda + ib + i] : 0.0f;
    }
#else
    for (int i = 0; i < GEMM_MR; i++) {
        __local float *dst = &GEMM_AP(at, i, 0);
        if (ib + i < m) {
            const __global float *row = a + (size_t)(ib + i) * lda + k0;
            int kk = 0;
            for (; kk + GEMM_VW <= kc; kk += GEMM_VW) VSTORE(VLOAD(0, row + kk), 0, dst + kk);
            for (; kk < kc; kk++) dst[kk] = row[kk];
        } else {
            for (int kk = 0; kk < kc; kk++) dst[kk] = 0.0f;
        }
    }
#endif
}

// Packs k [k0, k0 + kc) x columns [jb, jb + NR) of op(B) into panel bt; columns past n are zero
// so the micro-kernel never branches on the N tail.
static inline __attribute__((always_inline)) void gemm_cpu_pack_b(
    __local float *bt, const __global float *b, const int ldb, const int k0, const int kc,
    const int jb, const int n)
{
    if (jb + GEMM_NR <= n) {
#if GEMM_TB
        // Stored (n, k): read along k, write with stride NR (the transposing copy).
        for (int j = 0; j < GEMM_NR; j++) {
            const __global float *col = b + (size_t)(jb + j) * ldb + k0;
            for (int kk = 0; kk < kc; kk++) bt[kk * GEMM_NR + j] = col[kk];
        }
#else
        for (int kk = 0; kk < kc; kk++) {
            const __global float *row = b + (size_t)(k0 + kk) * ldb + jb;
#pragma unroll
            for (int v = 0; v < GEMM_NV; v++) VSTORE(VLOAD(v, row), kk * GEMM_NV + v, bt);
        }
#endif
    } else {
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < GEMM_NR; j++)
                bt[kk * GEMM_NR + j] = jb + j < n ? GEMM_B(b, ldb, k0 + kk, jb + j) : 0.0f;
    }
}

// mcb, ncb: the C block of one work-group (multiples of MR and NR, at most GEMM_MC, GEMM_NC).
// Launch: global (ceil(m/mcb), ceil(n/ncb), batch), local (1,1,1). Dim 0 runs along M, so
// neighbouring groups read the same B columns from cache.
__kernel void gemm_cpu(const int m, const int n, const int k, const float alpha,
                       const __global float *a, const ulong a_off, const int lda, const ulong stride_a,
                       const __global float *b, const ulong b_off, const int ldb, const ulong stride_b,
                       const float beta,
                       __global float *c, const ulong c_off, const int ldc, const ulong stride_c,
                       const int mcb, const int ncb)
{
    // One work-item per group: plain per-group scratch, no barrier (a barrier makes PoCL
    // spill the accumulators, spec/cpu-kernels.md).
    __local float ap[GEMM_MC / GEMM_MR * GEMM_ATILE];
    __local float bp[GEMM_NC / GEMM_NR * GEMM_BTILE];
    const int i0 = (int)get_group_id(0) * mcb;
    const int j0 = (int)get_group_id(1) * ncb;
    const size_t bi = get_group_id(2);
    a += a_off + bi * stride_a;
    b += b_off + bi * stride_b;
    c += c_off + bi * stride_c;
    const int tiles_m = (min(mcb, m - i0) + GEMM_MR - 1) / GEMM_MR;
    const int tiles_n = (min(ncb, n - j0) + GEMM_NR - 1) / GEMM_NR;

    for (int k0 = 0; k0 < k; k0 += GEMM_KC) {
        const int kc = min(GEMM_KC, k - k0);
        for (int t = 0; t < tiles_m; t++)
            gemm_cpu_pack_a(ap + t * GEMM_ATILE, a, lda, i0 + t * GEMM_MR, m, k0, kc);
        for (int p = 0; p < tiles_n; p++)
            gemm_cpu_pack_b(bp + p * GEMM_BTILE, b, ldb, k0, kc, j0 + p * GEMM_NR, n);
        // The first slice writes alpha*AB (+ beta*C: beta == 0 never reads C), later ones add.
        const bool first = k0 == 0;
        // B panel outer (it stays in L1 while the A tiles stream from L2).
        for (int p = 0; p < tiles_n; p++) {
            const __local float *bt = bp + p * GEMM_BTILE;
            const int jb = j0 + p * GEMM_NR;
            for (int t = 0; t < tiles_m; t++) {
                const __local float *at = ap + t * GEMM_ATILE;
                VT acc[GEMM_MR][GEMM_NV];
                GEMM_FOR_MR(GEMM_ROW_ZERO)
                for (int kk = 0; kk < kc; kk++) {
                    VT bv[GEMM_NV];
                    GEMM_FOR_NV(GEMM_LOAD_B, 0)
                    GEMM_FOR_MR(GEMM_ROW_FMA)
                }

                const int ib = i0 + t * GEMM_MR;
                const int mr = min(GEMM_MR, m - ib);
                if (jb + GEMM_NR <= n) {
                    GEMM_FOR_MR(GEMM_ROW_STORE)
                } else {
                    const int nr = n - jb;
                    GEMM_FOR_MR(GEMM_ROW_STORE_TAIL)
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
