/* SPDX-License-Identifier: MIT */
/* Softmax family over the last dimension (PyTorch F.log_softmax(x, -1),
 * F.softmax and F.cross_entropy with probability targets), for classifiers
 * such as the Fashion-MNIST feature network of `gan-cl eval`. */
#ifndef GANCL_SOFTMAX_H
#define GANCL_SOFTMAX_H

#include "gancl/graph.h"

/* x: (..., C) -> (..., C), y = x - max - log sum exp(x - max) per row (one
 * fused, max-subtracted kernel, so large logits never overflow). Gradient:
 * dx = dy - exp(y) * sum(dy) per row, built from ordinary ops (double
 * backprop works). */
struct gc_tensor *gc_log_softmax(struct gc_graph *g, struct gc_tensor *x);
/* exp(log_softmax(x)) */
struct gc_tensor *gc_softmax(struct gc_graph *g, struct gc_tensor *x);
/* Mean over rows of -sum_c target[n, c] log_softmax(logits)[n, c]: logits,
 * target (N, C), target one-hot or class probabilities -> shape (1). */
struct gc_tensor *gc_cross_entropy(struct gc_graph *g, struct gc_tensor *logits,
                                   struct gc_tensor *target);

#endif
