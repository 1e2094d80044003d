// SPDX-License-Identifier: MIT
// log_softmax over the last dimension (host/ops/softmax.c): x seen as
// (rows, c), one work-item per row; y = x - max - log(sum exp(x - max)).
// A row is fully read before it is written, so y may alias x.
__kernel void log_softmax_fwd(__global float *y, const ulong y_off, __global const float *x,
                              const ulong x_off, const ulong rows, const ulong c)
{
    size_t r = get_global_id(0);
    if (r >= rows) return;
    __global const float *xr = x + x_off + r * c;
    float m = xr[0];
    for (ulong j = 1; j < c; j++) m = fmax(m, xr[j]);
    float s = 0.0f;
    for (ulong j = 0; j < c; j++) s += exp(xr[j] - m);
    float lse = m + log(s);
    __global float *yr = y + y_off + r * c;
    for (ulong j = 0; j < c; j++) yr[j] = xr[j] - lse;
}
