/* SPDX-License-Identifier: MIT */
/* The one list of ops: X(ENUM, name, family). From it come enum gc_op, the
 * name table and the descriptor externs, so nothing can drift. Adding an op:
 * one line here, its descriptor and forward/backward in host/ops/<family>.c,
 * kernels in cl/<family>.cl, a plain-C reference in tests/ref/ and a test
 * case (the meta-test in tests/test_ops.c fails without them). */
#ifndef GANCL_OP_LIST_H
#define GANCL_OP_LIST_H

#define GC_OP_LIST(X)                                                                              \
    /* sources: no kernel of their own */                                                          \
    X(INPUT, input, source)                                                                        \
    X(PARAM, param, source)                                                                        \
    /* views: alias their input's storage */                                                       \
    X(RESHAPE, reshape, view)                                                                      \
    X(DETACH, detach, view)                                                                        \
    /* element-wise binary with broadcasting */                                                    \
    X(ADD, add, binary)                                                                            \
    X(SUB, sub, binary)                                                                            \
    X(MUL, mul, binary)                                                                            \
    X(DIV, div, binary)                                                                            \
    X(BCE_LOGITS, bce_with_logits, binary)                                                         \
    /* element-wise unary */                                                                       \
    X(SCALE, scale, unary)                                                                         \
    X(RELU, relu, unary)                                                                           \
    X(LEAKY_RELU, leaky_relu, unary)                                                               \
    X(TANH, tanh, unary)                                                                           \
    X(SIGMOID, sigmoid, unary)                                                                     \
    X(EXP, exp, unary)                                                                             \
    X(LOG, log, unary)                                                                             \
    X(SQUARE, square, unary)                                                                       \
    X(SQRT, sqrt, unary)                                                                           \
    X(ABS, abs, unary)                                                                             \
    X(SIGN, sign, unary)                                                                           \
    X(STEP, step, unary)                                                                           \
    X(LEAKY_STEP, leaky_step, unary)                                                               \
    X(COPY, copy, unary)                                                                           \
    /* shape and data movement */                                                                  \
    X(EXPAND, expand, reduce)                                                                      \
    X(SUM_TO, sum_to, reduce)                                                                      \
    X(CONCAT, concat, shape)                                                                       \
    X(SLICE, slice, shape)                                                                         \
    X(FILL, fill, shape)                                                                           \
    /* linear algebra */                                                                           \
    X(MATMUL, matmul, matmul)                                                                      \
    /* convolution family (conv.c): each other's gradients */                                  \
    X(CONV2D, conv2d, conv)                                                                        \
    X(CONV_TRANSPOSE2D, conv_transpose2d, conv)                                                    \
    X(CONV2D_BWD_WEIGHT, conv2d_bwd_weight, conv)                                                  \
    /* random */                                                                                   \
    X(RAND_UNIFORM, rand_uniform, random)                                                          \
    X(RAND_NORMAL, rand_normal, random)                                                            \
    /* normalisation, padding, resampling (norm.c, pad.c) */                                       \
    X(PAD, pad, pad)                                                                               \
    X(PAD_BACKWARD, pad_backward, pad)                                                             \
    X(UPSAMPLE_NEAREST, upsample_nearest, pad)                                                     \
    X(SUM_POOL, sum_pool, pad)                                                                     \
    /* pooling and bilinear resizing (pool.c): each pair is closed under autodiff */              \
    X(MAX_POOL, max_pool, pool)                                                                    \
    X(MAX_POOL_BACKWARD, max_pool_backward, pool)                                                  \
    X(AVG_POOL, avg_pool, pool)                                                                    \
    X(AVG_POOL_BACKWARD, avg_pool_backward, pool)                                                  \
    X(RESIZE_BILINEAR, resize_bilinear, pool)                                                      \
    X(RESIZE_BILINEAR_BACKWARD, resize_bilinear_backward, pool)                                    \
    X(NORM_STATS, norm_stats, norm)                                                                \
    X(NORM_APPLY, norm_apply, norm)                                                                \
    X(NORM_RUNNING_UPDATE, norm_running_update, norm)                                              \
    /* dropout (dropout.c) */                                                                      \
    X(DROPOUT_MASK, dropout_mask, dropout)                                                         \
    /* softmax family (softmax.c): log_softmax over the last dim */                                \
    X(LOG_SOFTMAX, log_softmax, softmax)

enum gc_op {
#define GC_OP_ENUM_(e, n, f) GC_OP_##e,
    GC_OP_LIST(GC_OP_ENUM_)
#undef GC_OP_ENUM_
        GC_OP_COUNT
};

#endif
