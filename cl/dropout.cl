// SPDX-License-Identifier: MIT
// Dropout's fused mask (host/ops/dropout.c): u is a uniform [0, 1) draw of
// x's shape (cl/random.cl); an element is kept where u >= p, so it survives
// with probability 1 - p, and is scaled by 1 / (1 - p) (scale = 0 when p = 1).
// y may alias x.
__kernel void dropout_mask_fwd(__global float *y, const ulong y_off, __global const float *x,
                               const ulong x_off, __global const float *u, const ulong u_off,
                               const ulong n, const float p, const float scale)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = u[u_off + i] >= p ? x[x_off + i] * scale : 0.0f;
}
