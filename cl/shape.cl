// SPDX-License-Identifier: MIT
// Channel concatenation and slicing: copies between a tensor with cx channels
// and a channel window [c_off, c_off + cx) of a tensor with cy channels.
// inner = product of the dims after the channel dim.

// y (N, cy, inner) [:, c_off : c_off + cx] = x (N, cx, inner)
__kernel void concat_part(__global float *y, const ulong y_off, __global const float *x,
                          const ulong x_off, const int n, const int cx, const int cy,
                          const int c_off, const int inner)
{
    int i = (int)get_global_id(0);
    int per = cx * inner;
    if (i >= n * per) return;
    int b = i / per, r = i % per;
    y[y_off + (size_t)b * cy * inner + (size_t)c_off * inner + r] = x[x_off + i];
}

// y (N, cy, inner) = x (N, cx, inner) [:, c_off : c_off + cy]
__kernel void slice_fwd(__global float *y, const ulong y_off, __global const float *x,
                        const ulong x_off, const int n, const int cx, const int cy,
                        const int c_off, const int inner)
{
    int i = (int)get_global_id(0);
    int per = cy * inner;
    if (i >= n * per) return;
    int b = i / per, r = i % per;
    y[y_off + i] = x[x_off + (size_t)b * cx * inner + (size_t)c_off * inner + r];
}
