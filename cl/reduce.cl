// SPDX-License-Identifier: MIT
// sum_to (sum over broadcast dimensions) and expand (its gradient).
// Shapes arrive right-aligned into int4. sum_to runs one work-group of RED_WG
// work-items per output element: a strided partial sum each, then a tree in
// local memory.

#ifndef RED_WG
#error RED_WG (work-group size of sum_to, a power of two) must be given as a -D build option
#endif

// Output element o of y (shape ys) collects x (shape xs) over every dim where
// ys is 1 and xs is not. nred = product of those dims.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void sum_to_fwd(__global float *y, const ulong y_off, __global const float *x, const ulong x_off,
                const int4 xs, const int4 ys, const int nred)
{
    __local float part[RED_WG];
    int o = (int)get_group_id(0), lid = (int)get_local_id(0);
    int yc[4], xst[4], red[4], nr = 0;
    int rem = o;
    int xsv[4] = {xs.x, xs.y, xs.z, xs.w}, ysv[4] = {ys.x, ys.y, ys.z, ys.w};
    for (int d = 3; d >= 0; d--) {
        yc[d] = rem % ysv[d];
        rem /= ysv[d];
    }
    int stride = 1;
    for (int d = 3; d >= 0; d--) {
        xst[d] = stride;
        stride *= xsv[d];
    }
    int base = 0;
    for (int d = 0; d < 4; d++) {
        if (ysv[d] == 1 && xsv[d] != 1) red[nr++] = d;
        else base += yc[d] * xst[d];
    }
    float acc = 0.0f;
    for (int r = lid; r < nred; r += RED_WG) {
        int idx = base, q = r;
        for (int j = nr - 1; j >= 0; j--) {
            int d = red[j];
            idx += (q % xsv[d]) * xst[d];
            q /= xsv[d];
        }
        acc += x[x_off + idx];
    }
    part[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RED_WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[y_off + o] = part[0];
}

// y (shape ys) = x broadcast; xst: x's strides over ys (0 where broadcast).
__kernel void expand_fwd(__global float *y, const ulong y_off, __global const float *x,
                         const ulong x_off, const int4 ys, const int4 xst)
{
    int i = (int)get_global_id(0);
    if (i >= ys.x * ys.y * ys.z * ys.w) return;
    int w = i % ys.w, r = i / ys.w;
    int h = r % ys.z;
    r /= ys.z;
    int c = r % ys.y, n = r / ys.y;
    y[y_off + i] = x[x_off + n * xst.x + c * xst.y + h * xst.z + w * xst.w];
}
