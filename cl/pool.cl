// SPDX-License-Identifier: MIT
// Max and average pooling and bilinear resizing with their adjoints
// (host/ops/pool.c). One work-item per output element; the adjoints gather:
// an input position sums the outputs that read it, so no atomics.
// xs = (N, C, H, W) is always the big side of a pool (the pooled input) and
// the source side of a resize; (oh, ow) the other side's plane.
// Pool geometry g = (kernel, stride, padding, count_include_pad).

// Flat index in its (H, W) plane of the first maximum of x's window (oy, ox),
// scanning rows then columns, NaN winning: PyTorch's CPU rule. Padding never
// wins (pad <= k/2 leaves every window an input element).
int pool_argmax(__global const float *x, int h, int w, int oy, int ox, int4 g)
{
    int y0 = oy * g.y - g.z, x0 = ox * g.y - g.z;
    int y1 = min(y0 + g.x, h), x1 = min(x0 + g.x, w);
    y0 = max(y0, 0);
    x0 = max(x0, 0);
    int best = y0 * w + x0;
    float m = -INFINITY;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = x[iy * w + ix];
            if (v > m || isnan(v)) {
                m = v;
                best = iy * w + ix;
            }
        }
    return best;
}

// First pooled index whose window reaches input index i: ceil((i + p - k + 1) / s).
int pool_first(int i, int4 g)
{
    int num = i + g.z - g.x + 1;
    return num <= 0 ? 0 : (num + g.y - 1) / g.y;
}

// y: (N, C, OH, OW) = v at the argmax of x's windows; v, x: (N, C, H, W)
__kernel void max_pool_fwd(__global float *y, const ulong y_off, __global const float *v,
                           const ulong v_off, __global const float *x, const ulong x_off,
                           const int4 xs, const int oh, const int ow, const int4 g)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * oh * ow) return;
    int ox = i % ow, r = i / ow;
    int oy = r % oh, plane = r / oh;
    size_t base = (size_t)plane * xs.z * xs.w;
    int a = pool_argmax(x + x_off + base, xs.z, xs.w, oy, ox, g);
    y[y_off + i] = v[v_off + base + a];
}

// dv: (N, C, H, W) = dy: (N, C, OH, OW) routed to the argmax of x's windows
__kernel void max_pool_bwd(__global float *dv, const ulong dv_off, __global const float *dy,
                           const ulong dy_off, __global const float *x, const ulong x_off,
                           const int4 xs, const int oh, const int ow, const int4 g)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * xs.z * xs.w) return;
    int ix = i % xs.w, r = i / xs.w;
    int iy = r % xs.z, plane = r / xs.z;
    __global const float *xp = x + x_off + (size_t)plane * xs.z * xs.w;
    __global const float *d = dy + dy_off + (size_t)plane * oh * ow;
    int oy1 = min((iy + g.z) / g.y, oh - 1), ox1 = min((ix + g.z) / g.y, ow - 1);
    int me = iy * xs.w + ix;
    float acc = 0.0f;
    for (int oy = pool_first(iy, g); oy <= oy1; oy++)
        for (int ox = pool_first(ix, g); ox <= ox1; ox++)
            if (pool_argmax(xp, xs.z, xs.w, oy, ox, g) == me) acc += d[oy * ow + ox];
    dv[dv_off + i] = acc;
}

// PyTorch's avg_pool2d divisor of window (oy, ox): the window clipped to the
// padded input with count_include_pad, to the input without.
float pool_divisor(int h, int w, int oy, int ox, int4 g)
{
    int y0 = oy * g.y - g.z, x0 = ox * g.y - g.z;
    int y1 = min(y0 + g.x, h + g.z), x1 = min(x0 + g.x, w + g.z);
    if (g.w) return (float)((y1 - y0) * (x1 - x0));
    y1 = min(y1, h);
    x1 = min(x1, w);
    return (float)((y1 - max(y0, 0)) * (x1 - max(x0, 0)));
}

// y: (N, C, OH, OW) = window means of x: (N, C, H, W)
__kernel void avg_pool_fwd(__global float *y, const ulong y_off, __global const float *x,
                           const ulong x_off, const int4 xs, const int oh, const int ow,
                           const int4 g)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * oh * ow) return;
    int ox = i % ow, r = i / ow;
    int oy = r % oh, plane = r / oh;
    __global const float *xp = x + x_off + (size_t)plane * xs.z * xs.w;
    int y0 = oy * g.y - g.z, x0 = ox * g.y - g.z;
    int y1 = min(y0 + g.x, xs.z), x1 = min(x0 + g.x, xs.w);
    float acc = 0.0f;
    for (int iy = max(y0, 0); iy < y1; iy++)
        for (int ix = max(x0, 0); ix < x1; ix++) acc += xp[iy * xs.w + ix];
    y[y_off + i] = acc / pool_divisor(xs.z, xs.w, oy, ox, g);
}

// dx: (N, C, H, W) = adjoint of avg_pool applied to dy: (N, C, OH, OW)
__kernel void avg_pool_bwd(__global float *dx, const ulong dx_off, __global const float *dy,
                           const ulong dy_off, const int4 xs, const int oh, const int ow,
                           const int4 g)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * xs.z * xs.w) return;
    int ix = i % xs.w, r = i / xs.w;
    int iy = r % xs.z, plane = r / xs.z;
    __global const float *d = dy + dy_off + (size_t)plane * oh * ow;
    int oy1 = min((iy + g.z) / g.y, oh - 1), ox1 = min((ix + g.z) / g.y, ow - 1);
    float acc = 0.0f;
    for (int oy = pool_first(iy, g); oy <= oy1; oy++)
        for (int ox = pool_first(ix, g); ox <= ox1; ox++)
            acc += d[oy * ow + ox] / pool_divisor(xs.z, xs.w, oy, ox, g);
    dx[dx_off + i] = acc;
}

// Source taps of output index o along an axis of n inputs resized to m
// outputs, F.interpolate(mode="bilinear", align_corners=False) in float as
// PyTorch's CPU kernel: src = max(n/m (o + 0.5) - 0.5, 0), taps floor(src)
// and the next one (the same at the edge), weights 1 - frac and frac.
void lin_taps(int o, int n, int m, int *i0, int *i1, float *l0, float *l1)
{
    float scale = (float)n / (float)m;
    float src = scale * ((float)o + 0.5f) - 0.5f;
    src = src < 0.0f ? 0.0f : src;
    int a = (int)src;
    float l = clamp(src - (float)a, 0.0f, 1.0f);
    *i0 = a;
    *i1 = a < n - 1 ? a + 1 : a;
    *l1 = l;
    *l0 = 1.0f - l;
}

// Weight of input index i in output o (0 if o does not read i).
float lin_weight(int o, int i, int n, int m)
{
    int i0, i1;
    float l0, l1;
    lin_taps(o, n, m, &i0, &i1, &l0, &l1);
    return (i0 == i ? l0 : 0.0f) + (i1 == i ? l1 : 0.0f);
}

// Outputs [*lo, *hi] that may read input index i (a superset: the exact
// weight decides): src in (i - 1, i + 1) and one index of margin for rounding.
void lin_range(int i, int n, int m, int *lo, int *hi)
{
    float inv = (float)m / (float)n;
    *lo = max(0, (int)floor(((float)i - 0.5f) * inv - 0.5f) - 1);
    *hi = min(m - 1, (int)ceil(((float)i + 1.5f) * inv - 0.5f) + 1);
}

// y: (N, C, OH, OW) = bilinear resize of x: (N, C, H, W)
__kernel void resize_fwd(__global float *y, const ulong y_off, __global const float *x,
                         const ulong x_off, const int4 xs, const int oh, const int ow)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * oh * ow) return;
    int ox = i % ow, r = i / ow;
    int oy = r % oh, plane = r / oh;
    int y0, y1, x0, x1;
    float hy0, hy1, wx0, wx1;
    lin_taps(oy, xs.z, oh, &y0, &y1, &hy0, &hy1);
    lin_taps(ox, xs.w, ow, &x0, &x1, &wx0, &wx1);
    __global const float *p = x + x_off + (size_t)plane * xs.z * xs.w;
    float top = wx0 * p[y0 * xs.w + x0] + wx1 * p[y0 * xs.w + x1];
    float bot = wx0 * p[y1 * xs.w + x0] + wx1 * p[y1 * xs.w + x1];
    y[y_off + i] = hy0 * top + hy1 * bot;
}

// dx: (N, C, H, W) = adjoint of the resize applied to dy: (N, C, OH, OW);
// xs is dx's shape (the resize's source).
__kernel void resize_bwd(__global float *dx, const ulong dx_off, __global const float *dy,
                         const ulong dy_off, const int4 xs, const int oh, const int ow)
{
    int i = (int)get_global_id(0);
    if (i >= xs.x * xs.y * xs.z * xs.w) return;
    int ix = i % xs.w, r = i / xs.w;
    int iy = r % xs.z, plane = r / xs.z;
    __global const float *d = dy + dy_off + (size_t)plane * oh * ow;
    int oy0, oy1, ox0, ox1;
    lin_range(iy, xs.z, oh, &oy0, &oy1);
    lin_range(ix, xs.w, ow, &ox0, &ox1);
    float acc = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++) {
        float wy = lin_weight(oy, iy, xs.z, oh);
        if (wy == 0.0f) continue;
        float row = 0.0f;
        for (int ox = ox0; ox <= ox1; ox++) {
            float wx = lin_weight(ox, ix, xs.w, ow);
            if (wx != 0.0f) row += wx * d[oy * ow + ox];
        }
        acc += wy * row;
    }
    dx[dx_off + i] = acc;
}
