// SPDX-License-Identifier: MIT
// Whole-buffer utilities: fill and copy. No tunables: they are bandwidth-bound
// one-element-per-work-item loops that every implementation vectorises.

// y[y_off + i] = value for i < n (zero-grad, constant tensors, tests).
__kernel void fill_f32(__global float *y, const ulong y_off, const float value, const ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = value;
}

// y[y_off + i] = x[x_off + i] for i < n.
__kernel void copy_f32(__global float *y, const ulong y_off, __global const float *x,
                       const ulong x_off, const ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = x[x_off + i];
}
