// SPDX-License-Identifier: MIT
// sum_to (sum over broadcast dimensions) and expand (its gradient).
// Shapes arrive right-aligned into int4. sum_to has two paths that give the
// same bits (host/ops/reduce.c picks one by shape and device):
//   sum_to_fwd: any shape; one work-group of RED_WG work-items per output:
//     work-item l sums the values r = l, l + RED_WG, ... of the output's
//     reduction (r in row-major order of the summed dims), then a tree in local
//     memory adds part[l + s] into part[l] for s = RED_WG/2, ..., 1.
//   sum_to_lanes + sum_to_tree: no barrier (PoCL splits a work-group at every
//     barrier and runs such kernels several times slower, spec/cpu-kernels.md).
//     For x viewed as (R1, K, R2) -> (K): one work-item per (output, partial
//     sum l) (per 16 partials at once with vector loads when R2 is a multiple
//     of 16) writes the RED_WG partials of sum_to_fwd to a workspace (K,
//     RED_WG), in the same order; sum_to_tree runs the same tree per output.
//     A training run thus does not depend on which path or device summed.
//     Each work-item loops ~R1*R2/RED_WG times, like sum_to_fwd's; where the
//     device limits a work-item's loop iterations (llvmpipe: 65535, all loops
//     together, silently) the host splits that over launches (sum_to_lanes) or
//     refuses the shape (sum_to_fwd, used there only for (K, R, K, ...) shapes).

#ifndef RED_WG
#error RED_WG (partial sums per output: sum_to_fwd's work-group size, a power of two >= 16) must be given as a -D build option
#endif
#ifndef RED_RWG
#error RED_RWG (work-group size of sum_to_lanes / sum_to_tree) must be given as a -D build option
#endif

// Work-item (k, l) of sum_to_lanes: vec 1 takes partials 16l .. 16l+15 with
// vload16 (R2 % 16 == 0), vec 0 partial l alone. part (K, RED_WG).
// step_r1 = RED_WG / R2, step_r2 = RED_WG % R2: r += RED_WG in (r1, r2) form.
// Steps [j0, j1) of the partial's sequence r = first + j RED_WG: all of them in
// one launch (j0 = 0, j1 >= the count) unless the device limits a work-item's
// loop iterations; then the host runs them in several launches, each going on
// from the partial the previous one stored: the same additions in the same order.
__kernel __attribute__((reqd_work_group_size(RED_RWG, 1, 1)))
void sum_to_lanes(__global float *part, const ulong p_off, __global const float *x,
                  const ulong x_off, const int r1n, const int kn, const int r2n,
                  const int step_r1, const int step_r2, const int vec, const int j0,
                  const int j1)
{
    int k = (int)get_global_id(0), l = (int)get_global_id(1);
    if (k >= kn) return;
    int first = vec ? 16 * l : l, total = r1n * r2n;
    long start = first + (long)j0 * RED_WG;
    int end = (int)min((long)total, first + (long)j1 * RED_WG);
    int r1 = (int)(start / r2n), r2 = (int)(start - (long)r1 * r2n);
    __global float *dst = part + p_off + (size_t)k * RED_WG + first;
    if (vec) {
        float16 acc = j0 ? vload16(0, dst) : (float16)(0.0f);
        for (int r = (int)min(start, (long)end); r < end; r += RED_WG) {
            acc += vload16(0, x + x_off + ((size_t)r1 * kn + k) * r2n + r2);
            r1 += step_r1;
            r2 += step_r2;
            if (r2 >= r2n) {
                r2 -= r2n;
                r1++;
            }
        }
        vstore16(acc, 0, dst);
        return;
    }
    float acc = j0 ? *dst : 0.0f;
    for (int r = (int)min(start, (long)end); r < end; r += RED_WG) {
        acc += x[x_off + ((size_t)r1 * kn + k) * r2n + r2];
        r1 += step_r1;
        r2 += step_r2;
        if (r2 >= r2n) {
            r2 -= r2n;
            r1++;
        }
    }
    *dst = acc;
}

// y[k] = sum_to_fwd's tree over the RED_WG partials part[k, :].
__kernel __attribute__((reqd_work_group_size(RED_RWG, 1, 1)))
void sum_to_tree(__global float *y, const ulong y_off, __global const float *part,
                 const ulong p_off, const int kn)
{
    int k = (int)get_global_id(0);
    if (k >= kn) return;
    __global const float *src = part + p_off + (size_t)k * RED_WG;
    float v[RED_WG];
    for (int l = 0; l < RED_WG; l++) v[l] = src[l];
    for (int s = RED_WG / 2; s > 0; s >>= 1)
        for (int l = 0; l < s; l++) v[l] += v[l + s];
    y[y_off + k] = v[0];
}

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
