// SPDX-License-Identifier: MIT
// SGEMM for thin shapes (host/ops/gemm_thin.c), where gemm_cpu's MR x NR register tiles would
// mostly multiply padding: GEMV (M == 1 or N == 1: every output a dot product over K) and
// small K (C = alpha * sum_k a_k b_k^T + beta * C, element-wise). Same semantics as gemm.cl:
// beta == 0 never reads C (it may hold NaN garbage).
//
// The host describes the operands by strides, so one kernel serves all four transposes and
// any leading dimension; which stride is 1 (known per call) picks the kernel:
//   gemm_thin_dot   - GEMV, the matrix X contiguous along K: THIN_SPLIT work-items per output
//                     each sum every THIN_SPLIT-th floatVW of the row (neighbouring items read
//                     neighbouring vectors), then a fixed local-memory tree adds the SPLIT
//                     partial sums: deterministic for a given config.
//   gemm_thin_rows  - GEMV, X contiguous along the outputs: a work-item owns VW neighbouring
//                     outputs (one floatVW per K step); THIN_SPLIT items share K as above.
//   gemm_thin_outer - small K: a work-item owns VW neighbouring columns of THIN_RB rows of C.
// Options (no silent defaults): THIN_WG work-group size (the GEMV kernels' reqd size; the
// outer kernel's group holds at most THIN_WG items), THIN_VW 1, 4, 8 or 16, THIN_SPLIT a
// power of 2 dividing THIN_WG, THIN_RB rows of C per outer-kernel item, THIN_VK1 1 when the GEMV vector operand is contiguous along
// K (vector loads, else gathers), THIN_BJ1 1 when op(B) rows are contiguous (outer kernel).
// Every K loop runs at most k iterations per launch; the host bounds k per launch on devices
// that limit a work-item's loop iterations (llvmpipe).

#if !defined(THIN_WG) || !defined(THIN_VW) || !defined(THIN_SPLIT) || !defined(THIN_RB) || \
    !defined(THIN_VK1) || !defined(THIN_BJ1)
#error "gemm_thin.cl needs the options -DTHIN_WG -DTHIN_VW -DTHIN_SPLIT -DTHIN_RB -DTHIN_VK1 -DTHIN_BJ1"
#endif
#if THIN_VW != 1 && THIN_VW != 4 && THIN_VW != 8 && THIN_VW != 16
#error "THIN_VW must be 1, 4, 8 or 16"
#endif
#if THIN_SPLIT < 1 || THIN_WG % THIN_SPLIT != 0 || (THIN_SPLIT & (THIN_SPLIT - 1)) != 0
#error "THIN_SPLIT must be a power of 2 dividing THIN_WG"
#endif

#define THIN_CAT_(a, b) a##b
#define THIN_CAT(a, b) THIN_CAT_(a, b)
#define THIN_SLOTS (THIN_WG / THIN_SPLIT) // outputs (dot) or output vectors (rows) per group

#if THIN_VW == 1
#define VT float
#define VLOAD(i, p) ((p)[(i)])
#define VSTORE(x, i, p) ((p)[(i)] = (x))
#define HSUM(x) (x)
#else
#define VT THIN_CAT(float, THIN_VW)
#define VLOAD THIN_CAT(vload, THIN_VW)
#define VSTORE THIN_CAT(vstore, THIN_VW)
#if THIN_VW == 4
#define HSUM(x) (((x).s0 + (x).s1) + ((x).s2 + (x).s3))
#elif THIN_VW == 8
#define HSUM(x) hsum4((x).lo + (x).hi)
#else
#define HSUM(x) hsum4(((x).lo.lo + (x).lo.hi) + ((x).hi.lo + (x).hi.hi))
#endif
#endif

inline float hsum4(float4 x) { return (x.s0 + x.s1) + (x.s2 + x.s3); }

// VW elements p[0], p[st], ... as a vector (a gather: one loop of VW iterations).
inline VT load_strided(const global float *p, size_t st)
{
    float t[THIN_VW];
    for (int e = 0; e < THIN_VW; e++) t[e] = p[(size_t)e * st];
    return VLOAD(0, t);
}

// The first n < VW elements of p, zeros after them.
inline VT load_head(const global float *p, int n)
{
    float t[THIN_VW];
    for (int e = 0; e < THIN_VW; e++) t[e] = e < n ? p[e] : 0.0f;
    return VLOAD(0, t);
}

// Writes alpha * r + beta * C to the n <= VW outputs c[0], c[st], ... (vector store when they
// are contiguous and all VW present).
inline void store_out(global float *c, size_t st, int n, VT r, float alpha, float beta)
{
    if (n == THIN_VW && st == 1) {
        VT y = (VT)(alpha) * r;
        if (beta != 0.0f) y = fma((VT)(beta), VLOAD(0, c), y);
        VSTORE(y, 0, c);
        return;
    }
    float t[THIN_VW];
    VSTORE(r, 0, t);
    for (int e = 0; e < n; e++) {
        float y = alpha * t[e];
        c[(size_t)e * st] = beta != 0.0f ? fma(beta, c[(size_t)e * st], y) : y;
    }
}

// ---------------------------------------------------------------------------------------------
// gemm_thin_dot: out[o] = alpha * sum_p X[o*xo + p] * v[p*vk] + beta * out[o], o < nout.
// Launch: global (ceil(nout / SLOTS) * WG, batch), local (WG, 1).
#if THIN_VK1
#define VLOADV(q, v, vk) VLOAD((q), (v))
#else
#define VLOADV(q, v, vk) load_strided((v) + (size_t)(q) * THIN_VW * (vk), (vk))
#endif

__kernel __attribute__((reqd_work_group_size(THIN_WG, 1, 1))) void
gemm_thin_dot(int nout, int k, float alpha, global const float *x, ulong x_off, int xo, ulong sx,
              global const float *v, ulong v_off, int vk, ulong sv, float beta, global float *c,
              ulong c_off, int co, ulong sc)
{
    const int l = (int)get_local_id(0), s = l % THIN_SPLIT;
    const int o = (int)get_group_id(0) * THIN_SLOTS + l / THIN_SPLIT;
    const size_t bi = get_global_id(1);
    float sum = 0.0f;
    if (o < nout) {
        const global float *xr = x + x_off + bi * sx + (size_t)o * (size_t)xo;
        const global float *vr = v + v_off + bi * sv;
        const int nvec = k / THIN_VW;
        // Two accumulators: two independent FMA chains per item (CPUs run one item's loop
        // at a time, so one chain would wait on the FMA latency).
        VT acc0 = (VT)(0.0f), acc1 = (VT)(0.0f);
        int q = s;
        for (; q + THIN_SPLIT < nvec; q += 2 * THIN_SPLIT) {
            acc0 = fma(VLOAD(q, xr), VLOADV(q, vr, vk), acc0);
            acc1 = fma(VLOAD(q + THIN_SPLIT, xr), VLOADV(q + THIN_SPLIT, vr, vk), acc1);
        }
        if (q < nvec) acc0 = fma(VLOAD(q, xr), VLOADV(q, vr, vk), acc0);
        sum = HSUM(acc0 + acc1);
        if (s == 0)
            for (int p = nvec * THIN_VW; p < k; p++) sum = fma(xr[p], vr[(size_t)p * vk], sum);
    }
#if THIN_SPLIT > 1
    __local float red[THIN_WG];
    red[l] = sum;
    for (int h = THIN_SPLIT / 2; h > 0; h >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (s < h) red[l] += red[l + h];
    }
    sum = red[l];
#endif
    if (s == 0 && o < nout) {
        global float *cp = c + c_off + bi * sc + (size_t)o * (size_t)co;
        float y = alpha * sum;
        *cp = beta != 0.0f ? fma(beta, *cp, y) : y;
    }
}

// ---------------------------------------------------------------------------------------------
// gemm_thin_rows: out[o] = alpha * sum_p X[o + p*xk] * v[p*vk] + beta * out[o*co]; an item owns
// outputs [o0, o0 + VW), the last one of a row fewer (loaded element-wise, zero-padded).
// Launch: global (ceil(nout / (SLOTS * VW)) * WG, batch), local (WG, 1).
#define ROWS_LOOP(LOADX)                                                                           \
    for (; p + THIN_SPLIT < k; p += 2 * THIN_SPLIT) {                                              \
        acc0 = fma(LOADX(xr + (size_t)p * xk), (VT)(vr[(size_t)p * vk]), acc0);                    \
        acc1 = fma(LOADX(xr + (size_t)(p + THIN_SPLIT) * xk),                                      \
                   (VT)(vr[(size_t)(p + THIN_SPLIT) * vk]), acc1);                                 \
    }                                                                                              \
    if (p < k) acc0 = fma(LOADX(xr + (size_t)p * xk), (VT)(vr[(size_t)p * vk]), acc0);
#define LOAD_FULL(ptr) VLOAD(0, (ptr))
#define LOAD_HEAD(ptr) load_head((ptr), n)

__kernel __attribute__((reqd_work_group_size(THIN_WG, 1, 1))) void
gemm_thin_rows(int nout, int k, float alpha, global const float *x, ulong x_off, int xk, ulong sx,
               global const float *v, ulong v_off, int vk, ulong sv, float beta, global float *c,
               ulong c_off, int co, ulong sc)
{
    const int l = (int)get_local_id(0), s = l % THIN_SPLIT;
    const int o0 = ((int)get_group_id(0) * THIN_SLOTS + l / THIN_SPLIT) * THIN_VW;
    const size_t bi = get_global_id(1);
    const int n = nout - o0 < THIN_VW ? nout - o0 : THIN_VW; // outputs of this item (<= 0: none)
    VT acc0 = (VT)(0.0f), acc1 = (VT)(0.0f);
    const global float *xr = x + x_off + bi * sx + o0;
    const global float *vr = v + v_off + bi * sv;
    int p = s;
    if (n == THIN_VW) {
        ROWS_LOOP(LOAD_FULL)
    } else if (n > 0) {
        ROWS_LOOP(LOAD_HEAD)
    }
    VT sum = acc0 + acc1;
#if THIN_SPLIT > 1
    __local VT red[THIN_WG];
    red[l] = sum;
    for (int h = THIN_SPLIT / 2; h > 0; h >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (s < h) red[l] += red[l + h];
    }
    sum = red[l];
#endif
    if (s == 0 && n > 0)
        store_out(c + c_off + bi * sc + (size_t)o0 * (size_t)co, (size_t)co, n, sum, alpha, beta);
}

// ---------------------------------------------------------------------------------------------
// gemm_thin_outer: C[i][j] = alpha * sum_{p < k} A[i*ai + p*ak] * B[p*bk + j*bj] + beta * C[i][j]
// for columns j in [j0, j0 + VW) (fewer at the row's end) of THIN_RB rows i0 .. i0 + RB - 1:
// several rows per item amortise its setup (PoCL runs a group's items in a loop).
// Launch: global (ceil(n / VW), ceil(m / RB), batch), local (l0, l1, 1) with l0 * l1 <= WG.
#if THIN_BJ1
#define LOADB(ptr, bj) VLOAD(0, (ptr))
#else
#define LOADB(ptr, bj) load_strided((ptr), (size_t)(bj))
#endif

// One row of the item's columns.
inline void outer_row(int n, int j0, int k, float alpha, const global float *ar, int ak,
                      const global float *br, int bk, int bj, float beta, global float *cr)
{
    VT acc = (VT)(0.0f);
    if (n - j0 >= THIN_VW) {
        for (int p = 0; p < k; p++)
            acc = fma((VT)(ar[(size_t)p * ak]), LOADB(br + (size_t)p * bk, bj), acc);
        store_out(cr, 1, THIN_VW, acc, alpha, beta);
    } else {
        float t[THIN_VW];
        for (int e = 0; e < n - j0; e++) {
            float r = 0.0f;
            for (int p = 0; p < k; p++)
                r = fma(ar[(size_t)p * ak], br[(size_t)p * bk + (size_t)e * bj], r);
            t[e] = r;
        }
        for (int e = n - j0; e < THIN_VW; e++) t[e] = 0.0f;
        store_out(cr, 1, n - j0, VLOAD(0, t), alpha, beta);
    }
}

__kernel void gemm_thin_outer(int m, int n, int k, float alpha, global const float *a, ulong a_off,
                              int ai, int ak, ulong sa, global const float *b, ulong b_off, int bk,
                              int bj, ulong sb, float beta, global float *c, ulong c_off, int ldc,
                              ulong sc)
{
    const int j0 = (int)get_global_id(0) * THIN_VW, i0 = (int)get_global_id(1) * THIN_RB;
    const size_t bi = get_global_id(2);
    if (i0 >= m || j0 >= n) return;
    const global float *ar = a + a_off + bi * sa + (size_t)i0 * (size_t)ai;
    const global float *br = b + b_off + bi * sb + (size_t)j0 * (size_t)bj;
    global float *cr = c + c_off + bi * sc + (size_t)i0 * (size_t)ldc + j0;
    const int rows = m - i0 < THIN_RB ? m - i0 : THIN_RB;
    for (int r = 0; r < rows; r++)
        outer_row(n, j0, k, alpha, ar + (size_t)r * (size_t)ai, ak, br, bk, bj, beta,
                  cr + (size_t)r * (size_t)ldc);
}
