// SPDX-License-Identifier: MIT
// Data movement around the GEMMs of the convolution family:
//   im2col_rows: x (N, C, H, W) -> patches (N*OH*OW, C*KH*KW), one patch per row,
//                zero where the window leaves the image (zero padding);
//   col2im:      col (N, OC*KH*KW, H*W) -> y (N, OC, OH, OW) of a transposed conv,
//                each output row sums the (kh, kw) taps that land on it (no atomics);
//   nc_swap:     (A, B, P) -> (B, A, P), e.g. dy (N, OC, P) -> (OC, N, P) so the weight
//                gradient is one GEMM with K = N*OH*OW.
// Geometry arrives as int4 g = (stride, pad, dilation, kernel) per axis: gh for rows,
// gw for columns.

// Work-items own rows, not elements: an element-per-item kernel spent most of
// its time on the integer divisions that locate the element (a vector integer
// division is a scalar loop on CPUs). Here each item divides a few times and
// then writes a contiguous run with plain loops.

#ifndef CONV_WG
#error CONV_WG (work-group size of the im2col / col2im / nc_swap kernels) must be given as a -D build option
#endif

// One work-item per (patch row, input channel): writes the KH*KW contiguous
// values of channel ci in patch row (b, oy, ox).
__kernel __attribute__((reqd_work_group_size(CONV_WG, 1, 1)))
void im2col_rows(__global float *patches, const ulong p_off, __global const float *x,
                 const ulong x_off, const int n, const int c, const int h, const int w,
                 const int oh, const int ow, const int4 gh, const int4 gw)
{
    size_t p = get_global_id(0);
    if (p >= (size_t)n * oh * ow * c) return;
    int row = (int)(p / (size_t)c), ci = (int)(p - (size_t)row * c);
    int ox = row % ow, r2 = row / ow;
    int oy = r2 % oh, b = r2 / oh;
    int kk = gh.w * gw.w;
    __global float *dst = patches + p_off + p * (size_t)kk;
    __global const float *src = x + x_off + ((size_t)b * c + ci) * h * w;
    int iy0 = oy * gh.x - gh.y, ix0 = ox * gw.x - gw.y;
    for (int ky = 0; ky < gh.w; ky++) {
        int iy = iy0 + ky * gh.z;
        bool rowin = iy >= 0 && iy < h;
        __global const float *srow = src + (size_t)(rowin ? iy : 0) * w;
        for (int kx = 0; kx < gw.w; kx++) {
            int ix = ix0 + kx * gw.z;
            dst[ky * gw.w + kx] = rowin && ix >= 0 && ix < w ? srow[ix] : 0.0f;
        }
    }
}

// One work-item per output row (b, o, oy) and run of cw columns [ox0, ox0 + cw) of it
// (cw = ow, one run per row, unless the device limits a work-item's loop iterations: the
// host then picks cw so the loops stay within them): zeroes the run, then adds every tap
// (ky, kx) that lands on it, a contiguous stretch of col per tap. Taps are added in
// (ky, kx) order, as a per-element gather would sum them, whatever cw is.
//   y[b, o, oy, ox] += col[b, (o*KH+ky)*KW+kx, iy*W+ix]
//   where oy = iy*sh - ph + ky*dh, ox = ix*sw - pw + kx*dw.
__kernel __attribute__((reqd_work_group_size(CONV_WG, 1, 1)))
void col2im(__global float *y, const ulong y_off, __global const float *col,
            const ulong c_off, const int n, const int oc, const int h, const int w,
            const int oh, const int ow, const int4 gh, const int4 gw, const int cw)
{
    int r = (int)get_global_id(0), ox0 = (int)get_global_id(1) * cw;
    if (r >= n * oc * oh || ox0 >= ow) return;
    int ox1 = min(ow, ox0 + cw);
    int oy = r % oh, bo = r / oh; // bo = b * oc + o
    int hw = h * w, kk = gh.w * gw.w;
    __global float *yr = y + y_off + (size_t)r * ow;
    __global const float *cb = col + c_off + (size_t)bo * kk * hw;
    for (int ox = ox0; ox < ox1; ox++) yr[ox] = 0.0f;
    for (int ky = 0; ky < gh.w; ky++) {
        int ty = oy + gh.y - ky * gh.z;
        if (ty < 0 || ty % gh.x != 0) continue;
        int iy = ty / gh.x;
        if (iy >= h) continue;
        for (int kx = 0; kx < gw.w; kx++) {
            int shift = kx * gw.z - gw.y; // ox = ix * sw + shift
            int lo = ox0 - shift;         // first ix: ceil(lo / sw), at least 0
            int ix0 = lo <= 0 ? 0 : (lo + gw.x - 1) / gw.x;
            int last = ox1 - 1 - shift;
            if (last < 0) continue;
            int ix1 = min(w, last / gw.x + 1);
            __global const float *src = cb + (size_t)(ky * gw.w + kx) * hw + (size_t)iy * w;
            for (int ix = ix0; ix < ix1; ix++) yr[ix * gw.x + shift] += src[ix];
        }
    }
}

// Element-per-item forms for GPUs (host/ops/conv.c picks them there): a batch-1
// CycleGAN layer has too few rows to fill a GPU, and a GPU's integer division
// is cheap next to its memory latency.
__kernel void im2col_elems(__global float *patches, const ulong p_off, __global const float *x,
                           const ulong x_off, const int n, const int c, const int h, const int w,
                           const int oh, const int ow, const int4 gh, const int4 gw)
{
    int ckk = c * gh.w * gw.w;
    int i = (int)get_global_id(0);
    if (i >= n * oh * ow * ckk) return;
    int col = i % ckk, row = i / ckk;
    int kx = col % gw.w, t = col / gw.w;
    int ky = t % gh.w, ci = t / gh.w;
    int ox = row % ow, r2 = row / ow;
    int oy = r2 % oh, b = r2 / oh;
    int iy = oy * gh.x - gh.y + ky * gh.z, ix = ox * gw.x - gw.y + kx * gw.z;
    float v = 0.0f;
    if (iy >= 0 && iy < h && ix >= 0 && ix < w)
        v = x[x_off + (((size_t)b * c + ci) * h + iy) * w + ix];
    patches[p_off + i] = v;
}

__kernel void col2im_elems(__global float *y, const ulong y_off, __global const float *col,
                           const ulong c_off, const int n, const int oc, const int h, const int w,
                           const int oh, const int ow, const int4 gh, const int4 gw)
{
    int i = (int)get_global_id(0);
    if (i >= n * oc * oh * ow) return;
    int ox = i % ow, r = i / ow;
    int oy = r % oh;
    r /= oh;
    int o = r % oc, b = r / oc;
    int hw = h * w, kk = gh.w * gw.w;
    __global const float *cb = col + c_off + ((size_t)b * oc + o) * kk * hw;
    float acc = 0.0f;
    for (int ky = 0; ky < gh.w; ky++) {
        int ty = oy + gh.y - ky * gh.z;
        if (ty < 0 || ty % gh.x != 0) continue;
        int iy = ty / gh.x;
        if (iy >= h) continue;
        for (int kx = 0; kx < gw.w; kx++) {
            int tx = ox + gw.y - kx * gw.z;
            if (tx < 0 || tx % gw.x != 0) continue;
            int ix = tx / gw.x;
            if (ix >= w) continue;
            acc += cb[(size_t)(ky * gw.w + kx) * hw + iy * w + ix];
        }
    }
    y[y_off + i] = acc;
}

// One work-item per (ia, ib) row and chunk of up to 4096 of its P contiguous
// values (bounded loops: rusticl/llvmpipe stops a loop after 65535 iterations):
// x (A, B, P) -> y (B, A, P).
__kernel __attribute__((reqd_work_group_size(CONV_WG, 1, 1)))
void nc_swap(__global float *y, const ulong y_off, __global const float *x, const ulong x_off,
             const int a, const int b, const int p)
{
    int r = (int)get_global_id(0), q0 = (int)get_global_id(1) * 4096;
    if (r >= a * b) return;
    int ib = r % b, ia = r / b;
    __global const float *src = x + x_off + (size_t)r * p;
    __global float *dst = y + y_off + ((size_t)ib * a + ia) * p;
    int q1 = min(p, q0 + 4096);
    for (int q = q0; q < q1; q++) dst[q] = src[q];
}
