/* SPDX-License-Identifier: MIT */
/* Plain-C references for include/gancl/softmax.h, in double: log_softmax
 * over the last dimension of x seen as (rows, c), its VJP, and the
 * cross-entropy with probability targets. */
#ifndef GANCL_TEST_SOFTMAX_REF_H
#define GANCL_TEST_SOFTMAX_REF_H

#include <stdint.h>

void gc_sref_log_softmax(const float *x, int64_t rows, int64_t c, float *y);
/* dx = gradient of sum(log_softmax(x) * dy) w.r.t. x */
void gc_sref_log_softmax_vjp(const float *x, const float *dy, int64_t rows, int64_t c, float *dx);
/* -mean_n sum_c t[n, c] log_softmax(x)[n, c] */
double gc_sref_cross_entropy(const float *x, const float *t, int64_t rows, int64_t c);

#endif
