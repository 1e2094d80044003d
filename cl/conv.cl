// SPDX-License-Identifier: MIT
// Data movement around the GEMMs of the convolution family:
//   im2col_rows: x (N, C, H, W) -> patches (N*OH*OW, C*KH*KW), one patch per row,
//                zero where the window leaves the image (zero padding);
//   col2im:      col (N, OC*KH*KW, H*W) -> y (N, OC, OH, OW) of a transposed conv,
//                a gather over the (kh, kw) taps that land on each output (no atomics);
//   nc_swap:     (A, B, P) -> (B, A, P), e.g. dy (N, OC, P) -> (OC, N, P) so the weight
//                gradient is one GEMM with K = N*OH*OW.
// Geometry arrives as int4 g = (stride, pad, dilation, kernel) per axis: gh for rows,
// gw for columns.

__kernel void im2col_rows(__global float *patches, const ulong p_off, __global const float *x,
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

// y[b, o, oy, ox] = sum over taps (ky, kx) with oy = iy*s - p + ky*d of col[b, (o*KH+ky)*KW+kx, iy*W+ix]
__kernel void col2im(__global float *y, const ulong y_off, __global const float *col,
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

__kernel void nc_swap(__global float *y, const ulong y_off, __global const float *x,
                      const ulong x_off, const int a, const int b, const int p)
{
    int i = (int)get_global_id(0);
    if (i >= a * b * p) return;
    int q = i % p, r = i / p;
    int ib = r % b, ia = r / b; // x index (ia, ib, q) -> y index (ib, ia, q)
    y[y_off + ((size_t)ib * a + ia) * p + q] = x[x_off + i];
}
