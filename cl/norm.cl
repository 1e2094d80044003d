// SPDX-License-Identifier: MIT
// Normalisation (host/ops/norm.c): per-group statistics, the normalise +
// affine pass, and batch norm's running-statistics update.
// Statistics tensor layout (SN, 2 SC, 1, 1): group (sn, sc) keeps its mean at
// [sn, sc] and 1/sqrt(var + eps) at [sn, SC + sc], where (SN, SC) is (1, C)
// for batch norm, (N, C) for instance norm and (N, 1) for layer norm.

#ifndef NORM_WG
#error NORM_WG (work-group size of norm_stats_fwd, a power of two) must be given as a -D build option
#endif
#ifndef EW_WG
#error EW_WG (work-group size of norm_apply, as for the element-wise kernels) must be given as a -D build option
#endif
#ifndef EW_EPI
#error EW_EPI (elements per work-item of norm_apply) must be given as a -D build option
#endif

// The element-wise layout of cl/unary.cl: a group owns EW_WG * EW_EPI
// consecutive elements, work-item l takes l, l + EW_WG, ...
#define EW_FOR(n, i, body)                                                                         \
    do {                                                                                           \
        size_t i = get_group_id(0) * (size_t)(EW_WG * EW_EPI) + get_local_id(0);                 \
        if (i + (size_t)(EW_EPI - 1) * EW_WG < (n)) {                                              \
            _Pragma("unroll") for (int k_ = 0; k_ < EW_EPI; k_++, i += EW_WG) body;                \
        } else {                                                                                   \
            for (int k_ = 0; k_ < EW_EPI && i < (n); k_++, i += EW_WG) body;                      \
        }                                                                                          \
    } while (0)

// i / d for 0 <= i < 2^24 without an integer division (as in cl/binary.cl):
// the float quotient is off by at most one there; one correction each way.
int fast_div(int i, int d, float inv)
{
    int q = (int)((float)i * inv);
    int r = i - q * d;
    q -= r < 0 ? 1 : 0;
    r += r < 0 ? d : 0;
    q += r >= d ? 1 : 0;
    return q;
}

#define NORM_BATCH 0
#define NORM_INSTANCE 1
#define NORM_LAYER 2

// Tree sum of part[] over the work-group; every work-item gets the total.
float group_sum(__local float *part, float v)
{
    int lid = (int)get_local_id(0);
    part[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = NORM_WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); // part[] is reused by the next call
    return total;
}

// Work-item lid's share of its group's sum over elements e0 + lid, e0 + lid + NORM_WG, ...
// below e1: of the values (sq 0) or of their squared deviations from mean (sq 1), added to acc.
float stats_acc(__global const float *base, int inner, int ostride, int e0, int e1, float mean,
                int sq, float acc)
{
    for (int e = e0 + (int)get_local_id(0); e < e1; e += NORM_WG) {
        int o = e / inner;
        float v = base[(size_t)o * ostride + (e - o * inner)];
        if (sq) {
            float d = v - mean;
            acc += d * d;
        } else {
            acc += v;
        }
    }
    return acc;
}

// One work-group per group g. Its M = outer * inner elements are `outer` runs
// of `inner` contiguous values starting at x[g * inner], `ostride` apart.
// Two passes (mean, then the mean of squared deviations): exact where the
// one-pass E[x^2] - E[x]^2 cancels catastrophically. Biased variance.
__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void norm_stats_fwd(__global float *y, const ulong y_off, __global const float *x,
                    const ulong x_off, const int inner, const int outer, const int ostride,
                    const int sc, const float eps)
{
    __local float part[NORM_WG];
    int g = (int)get_group_id(0), lid = (int)get_local_id(0), m = inner * outer;
    __global const float *base = x + x_off + (size_t)g * inner;
    float mean = group_sum(part, stats_acc(base, inner, ostride, 0, m, 0.0f, 0, 0.0f)) / (float)m;
    float var = group_sum(part, stats_acc(base, inner, ostride, 0, m, mean, 1, 0.0f)) / (float)m;
    if (lid == 0) {
        int sn = g / sc, c = g % sc;
        y[y_off + (size_t)sn * 2 * sc + c] = mean;
        y[y_off + (size_t)sn * 2 * sc + sc + c] = rsqrt(var + eps);
    }
}

// norm_stats_fwd in pieces, for devices that limit a work-item's loop iterations
// (the host picks this where one launch would loop too often): pass 0 sums the
// values, pass 1 the squared deviations from the mean pass 0 stored in y, each
// over elements [e0, e1) per launch (e0 a multiple of NORM_WG), work-item
// partials kept in ws (groups, NORM_WG) between launches; the launch that
// reaches M stores what its tree adds them up to and stores the mean (pass 0) or rstd (pass 1). The same
// additions in the same order as norm_stats_fwd, so the same bits.
__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void norm_stats_part(__global float *y, const ulong y_off, __global const float *x,
                     const ulong x_off, const int inner, const int outer, const int ostride,
                     const int sc, const float eps, __global float *ws, const ulong ws_off,
                     const int e0, const int e1, const int pass)
{
    __local float part[NORM_WG];
    int g = (int)get_group_id(0), lid = (int)get_local_id(0), m = inner * outer;
    __global const float *base = x + x_off + (size_t)g * inner;
    __global float *w = ws + ws_off + (size_t)g * NORM_WG + lid;
    __global float *ym = y + y_off + (size_t)(g / sc) * 2 * sc + g % sc; // mean; rstd at ym[sc]
    float acc = stats_acc(base, inner, ostride, e0, e1, pass ? *ym : 0.0f, pass, e0 ? *w : 0.0f);
    if (e1 < m) *w = acc;
    float v = group_sum(part, acc) / (float)m; // every launch: no barrier under a condition
    if (e1 >= m && lid == 0) {
        if (pass) ym[sc] = rsqrt(v + eps);
        else *ym = v;
    }
}

// y = (x - mean) * rstd [* gamma] [+ beta]; x (N, C, H, W) with n = N*C*H*W
// < 2^24 (fast_div; larger tensors take norm_apply_big). gamma/beta are per
// channel (C) for batch/instance norm, per element of (C, H, W) for layer
// norm. flags: 1 gamma given, 2 beta given. y may alias x. inv_* = 1.0f / *.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void norm_apply_fwd(__global float *y, const ulong y_off, __global const float *x,
                    const ulong x_off, __global const float *st, const ulong st_off,
                    __global const float *gm, const ulong gm_off, __global const float *bt,
                    const ulong bt_off, const ulong n, const int hw, const float inv_hw,
                    const int c, const float inv_c, const int kind, const int flags)
{
    __global float *yp = y + y_off;
    __global const float *xp = x + x_off, *sp = st + st_off, *gp = gm + gm_off, *bp = bt + bt_off;
    int sc = kind == NORM_LAYER ? 1 : c;
    EW_FOR(n, i, {
        int pl = fast_div((int)i, hw, inv_hw); // plane (b, ch)
        int b = fast_div(pl, c, inv_c);
        int ch = pl - b * c;
        int base = (kind == NORM_BATCH ? 0 : b) * 2 * sc + (kind == NORM_LAYER ? 0 : ch);
        float v = (xp[i] - sp[base]) * sp[base + sc];
        int a = kind == NORM_LAYER ? (int)i - b * c * hw : ch;
        if (flags & 1) v *= gp[a];
        if (flags & 2) v += bp[a];
        yp[i] = v;
    });
}

// norm_apply_fwd for any size: one work-item per element, integer divisions.
__kernel void norm_apply_big(__global float *y, const ulong y_off, __global const float *x,
                             const ulong x_off, __global const float *st, const ulong st_off,
                             __global const float *gm, const ulong gm_off,
                             __global const float *bt, const ulong bt_off, const int4 xs,
                             const int kind, const int flags)
{
    int i = (int)get_global_id(0);
    int hw = xs.z * xs.w, chw = xs.y * hw;
    if (i >= xs.x * chw) return;
    int n = i / chw, c = (i / hw) % xs.y;
    int sn = kind == NORM_BATCH ? 0 : n, sg = kind == NORM_LAYER ? 0 : c;
    int sc = kind == NORM_LAYER ? 1 : xs.y;
    int base = sn * 2 * sc + sg;
    float v = (x[x_off + i] - st[st_off + base]) * st[st_off + base + sc];
    int a = kind == NORM_LAYER ? i % chw : c;
    if (flags & 1) v *= gm[gm_off + a];
    if (flags & 2) v += bt[bt_off + a];
    y[y_off + i] = v;
}

// Batch norm's running statistics, PyTorch's rule: r = (1 - momentum) r +
// momentum * batch, running_var taking the unbiased variance (biased * unbias,
// unbias = M / (M - 1)); the biased variance is recovered from rstd. The
// statistics pass through to y (which may alias st).
__kernel void norm_running_update_fwd(__global float *y, const ulong y_off,
                                      __global const float *st, const ulong st_off,
                                      __global float *rm, const ulong rm_off,
                                      __global float *rv, const ulong rv_off, const int c,
                                      const float momentum, const float eps, const float unbias)
{
    int i = (int)get_global_id(0);
    if (i >= c) return;
    float mean = st[st_off + i], r = st[st_off + c + i];
    float var = fmax(1.0f / (r * r) - eps, 0.0f) * unbias;
    rm[rm_off + i] = (1.0f - momentum) * rm[rm_off + i] + momentum * mean;
    rv[rv_off + i] = (1.0f - momentum) * rv[rv_off + i] + momentum * var;
    y[y_off + i] = mean;
    y[y_off + c + i] = r;
}
