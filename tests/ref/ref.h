/* SPDX-License-Identifier: MIT */
/* Plain-C references for every op in GC_OP_LIST (host/ops/op_list.h): the
 * forward and the vector-Jacobian product (backward), written the obvious
 * way, accumulating in double, with NumPy broadcasting. Tests compare the
 * device against these; they share no code with host/ops/ or cl/.
 *
 * Shapes are PyTorch-ordered, up to 4 dims; data is dense row-major float.
 * VJP functions take dy (shape of y) and write the gradient of sum(y * dy)
 * w.r.t. each input (a NULL output pointer skips that input). */
#ifndef GANCL_TEST_REF_H
#define GANCL_TEST_REF_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op_list.h"

struct gc_ref_shape {
    int ndim;
    int64_t d[4];
};

int64_t gc_ref_numel(const struct gc_ref_shape *s);
/* NumPy broadcast of a and b (right-aligned); false if they don't broadcast. */
bool gc_ref_broadcast_shape(const struct gc_ref_shape *a, const struct gc_ref_shape *b,
                            struct gc_ref_shape *out);

/* ---- element-wise binary: ADD, SUB, MUL, DIV, BCE_LOGITS ----------------- */
/* y = a op b broadcast to y's shape (gc_ref_broadcast_shape). BCE_LOGITS is
 * PyTorch's element-wise max(a,0) - a*b + log(1 + exp(-|a|)). */
void gc_ref_binary(enum gc_op op, const float *a, const struct gc_ref_shape *sa, const float *b,
                   const struct gc_ref_shape *sb, float *y);
/* da has a's shape, db b's: contributions of broadcast positions summed. */
void gc_ref_binary_vjp(enum gc_op op, const float *a, const struct gc_ref_shape *sa,
                       const float *b, const struct gc_ref_shape *sb, const float *dy, float *da,
                       float *db);

/* ---- element-wise unary: SCALE (y = alpha x + beta), RELU, LEAKY_RELU
 * (slope alpha), TANH, SIGMOID, EXP, LOG, SQUARE, SQRT, ABS, SIGN, STEP,
 * LEAKY_STEP (x > 0 ? 1 : alpha), COPY ------------------------------------- */
void gc_ref_unary(enum gc_op op, const float *x, int64_t n, float alpha, float beta, float *y);
/* The derivative helpers (SIGN, STEP, LEAKY_STEP) have gradient zero. */
void gc_ref_unary_vjp(enum gc_op op, const float *x, int64_t n, float alpha, float beta,
                      const float *dy, float *dx);

/* ---- views: RESHAPE, DETACH (values unchanged); INPUT/PARAM (identity) --- */
void gc_ref_identity(const float *x, int64_t n, float *y);

/* ---- EXPAND / SUM_TO: x broadcast to `to`, and x summed down to `to` ------
 * (each is the other's VJP: expand's vjp is sum_to and vice versa). */
void gc_ref_expand(const float *x, const struct gc_ref_shape *sx, const struct gc_ref_shape *to,
                   float *y);
void gc_ref_sum_to(const float *x, const struct gc_ref_shape *sx, const struct gc_ref_shape *to,
                   float *y);

/* ---- CONCAT / SLICE along dim 1 ---------------------------------------- */
/* xs[i]: (N, C_i, ...) with equal other dims -> y: (N, sum C_i, ...) */
void gc_ref_concat(int n, const float *const *xs, const struct gc_ref_shape *shapes, float *y);
void gc_ref_concat_vjp(int n, const struct gc_ref_shape *shapes, const float *dy,
                       float *const *dxs);
/* y = x[:, start : start + len] */
void gc_ref_slice(const float *x, const struct gc_ref_shape *sx, int64_t start, int64_t len,
                  float *y);
void gc_ref_slice_vjp(const struct gc_ref_shape *sx, int64_t start, int64_t len, const float *dy,
                      float *dx);

/* ---- FILL ---------------------------------------------------------------- */
void gc_ref_fill(float value, int64_t n, float *y);

/* ---- MATMUL: a: (M, K) or (K, M) if ta; b: (K, N) or (N, K) if tb -> (M, N) */
void gc_ref_matmul(const float *a, const float *b, int64_t m, int64_t n, int64_t k, bool ta,
                   bool tb, float *y);
void gc_ref_matmul_vjp(const float *a, const float *b, int64_t m, int64_t n, int64_t k, bool ta,
                       bool tb, const float *dy, float *da, float *db);

/* ---- RAND_UNIFORM / RAND_NORMAL: element i of draw (seed, stream, counter),
 * from the host twin of the device generator (gancl/philox.h). ------------- */
void gc_ref_rand_uniform(uint64_t seed, uint32_t stream, uint64_t counter, int64_t n, float *y);
void gc_ref_rand_normal(uint64_t seed, uint32_t stream, uint64_t counter, int64_t n, float *y);

#endif
