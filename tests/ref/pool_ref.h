/* SPDX-License-Identifier: MIT */
/* Plain-C references for the pooling and resizing ops of include/gancl/
 * nn_ops.h, in double, written the obvious way and sharing no code with
 * host/ops/pool.c or cl/pool.cl: the VJPs scatter-add where the device
 * gathers. xs = (N, C, H, W) of the pooled input / the resize's source. */
#ifndef GANCL_TEST_POOL_REF_H
#define GANCL_TEST_POOL_REF_H

#include <stdbool.h>
#include <stdint.h>

/* Pooled size of n: (n + 2p - k) / s + 1. */
int64_t gc_pref_pooled(int64_t n, int k, int s, int p);
/* y (N, C, OH, OW) = v at the first maximum of x's window (row-major). */
void gc_pref_max_pool(const float *v, const float *x, const int64_t xs[4], int k, int s, int p,
                      float *y);
/* dv (N, C, H, W): dy added at each window's argmax of x. */
void gc_pref_max_pool_vjp(const float *dy, const float *x, const int64_t xs[4], int k, int s, int p,
                          float *dv);
void gc_pref_avg_pool(const float *x, const int64_t xs[4], int k, int s, int p, bool include_pad,
                      float *y);
void gc_pref_avg_pool_vjp(const float *dy, const int64_t xs[4], int k, int s, int p,
                          bool include_pad, float *dx);
/* F.interpolate(bilinear, align_corners=False) to (oh, ow) and its VJP. */
void gc_pref_resize(const float *x, const int64_t xs[4], int oh, int ow, float *y);
void gc_pref_resize_vjp(const float *dy, const int64_t xs[4], int oh, int ow, float *dx);

#endif
