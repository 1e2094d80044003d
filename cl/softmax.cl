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

// log_softmax_fwd in pieces, for devices that limit a work-item's loop
// iterations (the host picks this where 3 C iterations are too many): phase 0
// the max, phase 1 the sum of exp(x - max), phase 2 the output, each over
// columns [j0, j1) per launch, the running max and sum kept in st (rows, 2)
// between launches. The same operations in the same order as log_softmax_fwd,
// so the same bits; the row is still read fully (phases 0, 1) before phase 2
// writes it.
__kernel void log_softmax_part(__global float *y, const ulong y_off, __global const float *x,
                               const ulong x_off, const ulong rows, const ulong c,
                               __global float *st, const ulong st_off, const ulong j0,
                               const ulong j1, const int phase)
{
    size_t r = get_global_id(0);
    if (r >= rows) return;
    __global const float *xr = x + x_off + r * c;
    __global float *sr = st + st_off + 2 * r;
    if (phase == 0) {
        float m = j0 ? sr[0] : xr[0];
        for (ulong j = j0 ? j0 : 1; j < j1; j++) m = fmax(m, xr[j]);
        sr[0] = m;
    } else if (phase == 1) {
        float m = sr[0], s = j0 ? sr[1] : 0.0f;
        for (ulong j = j0; j < j1; j++) s += exp(xr[j] - m);
        sr[1] = s;
    } else {
        float lse = sr[0] + log(sr[1]);
        __global float *yr = y + y_off + r * c;
        for (ulong j = j0; j < j1; j++) yr[j] = xr[j] - lse;
    }
}
