/* SPDX-License-Identifier: MIT */
/* Plain-C references for the ops of include/gancl/nn_ops.h: padding and its
 * adjoint, nearest upsampling, the three norms (forward and VJP) and
 * dropout's mask, written the obvious way in double. They share no code with
 * host/ops/ or cl/: the padding VJP, for instance, scatter-adds where the
 * device gathers. Shapes are (N, C, H, W) in xs[4]; data dense row-major. */
#ifndef GANCL_TEST_NORM_REF_H
#define GANCL_TEST_NORM_REF_H

#include <stdint.h>

#include "gancl/nn_ops.h"

/* y: (N, C, top + H + bottom, left + W + right); pads: (left, right, top, bottom) */
void gc_nref_pad(const float *x, const int64_t xs[4], enum gc_pad_mode mode, const int pads[4],
                 float *y);
/* dx: (N, C, H, W) = the gradient of sum(pad(x) * dy) w.r.t. x. */
void gc_nref_pad_vjp(const float *dy, const int64_t xs[4], enum gc_pad_mode mode, const int pads[4],
                     float *dx);

/* y: (N, C, f H, f W); vjp: dx (N, C, H, W) sums f x f windows of dy. */
void gc_nref_upsample(const float *x, const int64_t xs[4], int f, float *y);
void gc_nref_upsample_vjp(const float *dy, const int64_t xs[4], int f, float *dx);

/* Normalisation as PyTorch (biased variance). gamma/beta NULL or (C) for
 * BATCH/INSTANCE, (C, H, W) for LAYER. mean/var (biased) per group, may be
 * NULL: BATCH C groups, INSTANCE N*C, LAYER N. */
void gc_nref_norm(enum gc_norm_kind kind, const float *x, const int64_t xs[4], const float *gamma,
                  const float *beta, double eps, float *y, double *mean, double *var);
/* Gradients of sum(y * dy): dx, dgamma, dbeta (each may be NULL). */
void gc_nref_norm_vjp(enum gc_norm_kind kind, const float *x, const int64_t xs[4],
                      const float *gamma, double eps, const float *dy, float *dx, float *dgamma,
                      float *dbeta);

/* y = u >= p ? x / (1 - p) : 0 (p = 1: zeros). */
void gc_nref_dropout(const float *x, const float *u, int64_t n, double p, float *y);

#endif
