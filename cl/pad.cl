// SPDX-License-Identifier: MIT
// 2-D padding and nearest upsampling with their adjoints (host/ops/pad.c).
// One work-item per output element. The adjoints gather: an input position
// sums every padded (or upsampled) position that copied it, so no atomics
// and no zero-fill pass are needed.
// xs = (N, C, H, W) is the unpadded shape, (OH, OW) the padded plane; left and
// top are the amounts before each axis (the others follow from OH, OW).

#define PAD_ZERO 0
#define PAD_REFLECT 1
#define PAD_REPLICATE 2

// Input index read by padded index o (-1: a zero).
int pad_src(int o, int before, int n, int mode)
{
    int i = o - before;
    if (i >= 0 && i < n) return i;
    if (mode == PAD_ZERO) return -1;
    if (mode == PAD_REPLICATE) return i < 0 ? 0 : n - 1;
    return i < 0 ? -i : 2 * (n - 1) - i; // PyTorch ReflectionPad: the edge is not repeated
}

// Padded positions [lo[k], hi[k]) along one axis of size n (padded size on)
// that read input index i: the inverse of pad_src. Returns the range count.
int pad_dst(int i, int before, int n, int on, int mode, int *lo, int *hi)
{
    int k = 0;
    lo[k] = before + i;
    hi[k++] = before + i + 1;
    if (mode == PAD_REFLECT) {
        if (i >= 1 && i <= before) { // left mirror: o = before - i
            lo[k] = before - i;
            hi[k++] = before - i + 1;
        }
        int o = before + 2 * (n - 1) - i; // right mirror
        if (i <= n - 2 && o < on) {
            lo[k] = o;
            hi[k++] = o + 1;
        }
    } else if (mode == PAD_REPLICATE) {
        if (i == 0) { // the whole band before the edge (empty when before == 0)
            lo[k] = 0;
            hi[k++] = before;
        }
        if (i == n - 1) {
            lo[k] = before + n;
            hi[k++] = on;
        }
    }
    return k;
}

// y: (N, C, OH, OW) = pad(x: (N, C, H, W))
__kernel void pad_fwd(__global float *y, const ulong y_off, __global const float *x,
                      const ulong x_off, const int4 xs, const int oh, const int ow,
                      const int mode, const int left, const int top)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * oh * ow) return;
    int w = i % ow, r = i / ow;
    int h = r % oh, plane = r / oh;
    int sh = pad_src(h, top, xs.z, mode), sw = pad_src(w, left, xs.w, mode);
    float v = 0.0f;
    if (sh >= 0 && sw >= 0) v = x[x_off + ((size_t)plane * xs.z + sh) * xs.w + sw];
    y[y_off + i] = v;
}

// dx: (N, C, H, W) = adjoint of pad applied to dy: (N, C, OH, OW)
__kernel void pad_bwd_data(__global float *dx, const ulong dx_off, __global const float *dy,
                           const ulong dy_off, const int4 xs, const int oh, const int ow,
                           const int mode, const int left, const int top)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * xs.z * xs.w) return;
    int w = i % xs.w, r = i / xs.w;
    int h = r % xs.z, plane = r / xs.z;
    int hlo[3], hhi[3], wlo[3], whi[3];
    int nh = pad_dst(h, top, xs.z, oh, mode, hlo, hhi);
    int nw = pad_dst(w, left, xs.w, ow, mode, wlo, whi);
    __global const float *p = dy + dy_off + (size_t)plane * oh * ow;
    float acc = 0.0f;
    for (int a = 0; a < nh; a++)
        for (int oy = hlo[a]; oy < hhi[a]; oy++)
            for (int b = 0; b < nw; b++)
                for (int ox = wlo[b]; ox < whi[b]; ox++) acc += p[oy * ow + ox];
    dx[dx_off + i] = acc;
}

// y: (N, C, fH, fW) = nearest upsampling of x: (N, C, H, W); n = numel(y)
__kernel void upsample_fwd(__global float *y, const ulong y_off, __global const float *x,
                           const ulong x_off, const int n, const int h, const int w, const int f)
{
    int i = (int)get_global_id(0);
    if (i >= n) return;
    int ow = w * f, oh = h * f;
    int ox = i % ow, r = i / ow;
    int oy = r % oh, plane = r / oh;
    y[y_off + i] = x[x_off + ((size_t)plane * h + oy / f) * w + ox / f];
}

// y: (N, C, H, W) = sums of x: (N, C, fH, fW) over f x f windows; n = numel(y)
__kernel void sum_pool_fwd(__global float *y, const ulong y_off, __global const float *x,
                           const ulong x_off, const int n, const int h, const int w, const int f)
{
    int i = (int)get_global_id(0);
    if (i >= n) return;
    int ox = i % w, r = i / w;
    int oy = r % h, plane = r / h;
    __global const float *p = x + x_off + ((size_t)plane * h * f + oy * f) * (w * f) + ox * f;
    float acc = 0.0f;
    for (int a = 0; a < f; a++)
        for (int b = 0; b < f; b++) acc += p[a * w * f + b];
    y[y_off + i] = acc;
}
