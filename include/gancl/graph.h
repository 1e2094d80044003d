/* SPDX-License-Identifier: MIT */
/* Graphs of tensors: built once, differentiated (gc_grad appends ordinary
 * ops, so gradients can be differentiated again), planned and replayed.
 *
 * Builders record and compute nothing: `y = gc_leaky_relu(g, x, 0.2f)`.
 * A builder that gets bad arguments (mismatched shapes, NULL input) returns
 * NULL and records a sticky error in the graph; check gc_graph_status() once
 * after building instead of after every call. Shapes follow PyTorch: up to
 * 4 dimensions, NCHW, broadcasting aligned on the right (NumPy rules). */
#ifndef GANCL_GRAPH_H
#define GANCL_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "gancl/device.h"
#include "gancl/status.h"

#define GC_MAX_DIMS 4

struct gc_graph;
struct gc_tensor;
struct gc_param_group;

/* ---- graph ---------------------------------------------------------- */
gc_status gc_graph_create(struct gc_device *dev, struct gc_graph **out);
void gc_graph_destroy(struct gc_graph *g);
/* GC_OK, or the first error a builder recorded (message in gc_last_error()
 * at the time; also kept in gc_graph_error()). */
gc_status gc_graph_status(const struct gc_graph *g);
const char *gc_graph_error(const struct gc_graph *g);
struct gc_device *gc_graph_device(const struct gc_graph *g);
int gc_graph_node_count(const struct gc_graph *g);

/* ---- tensors ---------------------------------------------------------- */
int gc_tensor_ndim(const struct gc_tensor *t);
int64_t gc_tensor_dim(const struct gc_tensor *t, int d); /* negative d counts from the end */
int64_t gc_tensor_numel(const struct gc_tensor *t);
const char *gc_tensor_name(const struct gc_tensor *t);
void gc_tensor_set_name(struct gc_tensor *t, const char *name);
/* Name of the op that produced t ("input", "param", "add", ...). */
const char *gc_tensor_op_name(const struct gc_tensor *t);

/* A value supplied before each run (gc_plan_write). */
struct gc_tensor *gc_input(struct gc_graph *g, const char *name, int ndim, const int64_t *shape);

/* ---- parameters: one flat device buffer per group (network) ------------- */
/* Groups are created lazily by name ("netG", "netD", "G_A", ...). */
struct gc_param_group *gc_param_group(struct gc_graph *g, const char *name);
/* A parameter of the group. `name` follows the reference implementations'
 * state_dict names (e.g. "model.1.weight"). Storage is allocated by
 * gc_param_group_alloc, after all parameters are declared. */
struct gc_tensor *gc_param(struct gc_param_group *grp, const char *name, int ndim,
                           const int64_t *shape);
/* Allocates the group's parameter and gradient buffers (zero-filled). */
gc_status gc_param_group_alloc(struct gc_param_group *grp);
int64_t gc_param_group_numel(const struct gc_param_group *grp);
const char *gc_param_group_name(const struct gc_param_group *grp);
int gc_param_group_count(const struct gc_param_group *grp);
struct gc_tensor *gc_param_group_at(const struct gc_param_group *grp, int i);
/* Host <-> device copies of one parameter (blocking). */
gc_status gc_param_write(struct gc_tensor *p, const float *src);
gc_status gc_param_read(const struct gc_tensor *p, float *dst);
/* Whole flat buffers (checkpoints): n = gc_param_group_numel floats. */
gc_status gc_param_group_write(struct gc_param_group *grp, const float *src);
gc_status gc_param_group_read(const struct gc_param_group *grp, float *dst);
gc_status gc_param_group_read_grad(const struct gc_param_group *grp, float *dst);
/* p ~ N(mean, std) from Philox(seed), identical on every device. */
gc_status gc_param_init_normal(struct gc_tensor *p, float mean, float std, uint64_t seed);
gc_status gc_param_fill(struct gc_tensor *p, float value);

/* ---- element-wise, broadcasting --------------------------------------- */
struct gc_tensor *gc_add(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b);
struct gc_tensor *gc_sub(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b);
struct gc_tensor *gc_mul(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b);
struct gc_tensor *gc_div(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b);
/* y = alpha * x + beta */
struct gc_tensor *gc_scale(struct gc_graph *g, struct gc_tensor *x, float alpha, float beta);
/* x: (N, C, ...) + b: (C) */
struct gc_tensor *gc_bias_add(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *b);

struct gc_tensor *gc_relu(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_leaky_relu(struct gc_graph *g, struct gc_tensor *x, float slope);
struct gc_tensor *gc_tanh(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_sigmoid(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_exp(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_ln(struct gc_graph *g, struct gc_tensor *x); /* natural log */
struct gc_tensor *gc_square(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_sqrt(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_abs(struct gc_graph *g, struct gc_tensor *x);
/* Derivative helpers (their own gradient is zero almost everywhere). */
struct gc_tensor *gc_sign(struct gc_graph *g, struct gc_tensor *x);
struct gc_tensor *gc_step(struct gc_graph *g, struct gc_tensor *x); /* x > 0 ? 1 : 0 */
/* x > 0 ? 1 : slope */
struct gc_tensor *gc_leaky_step(struct gc_graph *g, struct gc_tensor *x, float slope);

/* ---- shape ------------------------------------------------------------- */
/* Views: no copy, no kernel. One dimension may be -1. */
struct gc_tensor *gc_reshape(struct gc_graph *g, struct gc_tensor *x, int ndim,
                             const int64_t *shape);
struct gc_tensor *gc_flatten(struct gc_graph *g, struct gc_tensor *x); /* (N, rest) */
/* Stop-gradient: same values, no gradient flows back through it. */
struct gc_tensor *gc_detach(struct gc_graph *g, struct gc_tensor *x);
/* Broadcast x to `shape` / sum x down to `shape` (each other's gradient). */
struct gc_tensor *gc_expand(struct gc_graph *g, struct gc_tensor *x, int ndim,
                            const int64_t *shape);
struct gc_tensor *gc_sum_to(struct gc_graph *g, struct gc_tensor *x, int ndim,
                            const int64_t *shape);
/* Concatenation / slicing along dimension 1 (channels). */
struct gc_tensor *gc_concat(struct gc_graph *g, int n, struct gc_tensor *const *xs);
struct gc_tensor *gc_slice(struct gc_graph *g, struct gc_tensor *x, int64_t start, int64_t len);
/* A constant tensor (re-filled each run; costs one tiny kernel). */
struct gc_tensor *gc_fill(struct gc_graph *g, float value, int ndim, const int64_t *shape);
struct gc_tensor *gc_copy(struct gc_graph *g, struct gc_tensor *x);

/* ---- reductions --------------------------------------------------------- */
struct gc_tensor *gc_sum(struct gc_graph *g, struct gc_tensor *x);  /* -> shape (1) */
struct gc_tensor *gc_mean(struct gc_graph *g, struct gc_tensor *x); /* -> shape (1) */
/* Over one axis; keepdim keeps it as size 1. */
struct gc_tensor *gc_sum_axis(struct gc_graph *g, struct gc_tensor *x, int axis, bool keepdim);
struct gc_tensor *gc_mean_axis(struct gc_graph *g, struct gc_tensor *x, int axis, bool keepdim);

/* ---- linear algebra (CLBlast or gan-cl's own GEMM) ----------------------- */
/* a: (M, K) or (K, M) if ta; b: (K, N) or (N, K) if tb -> (M, N) */
struct gc_tensor *gc_matmul(struct gc_graph *g, struct gc_tensor *a, struct gc_tensor *b, bool ta,
                            bool tb);
/* x: (N, in), w: (out, in) [PyTorch Linear], b: (out) or NULL -> (N, out) */
struct gc_tensor *gc_linear(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *w,
                            struct gc_tensor *b);

/* ---- losses (all return shape (1), mean over elements) ------------------ */
/* mean(max(x,0) - x*t + log(1 + exp(-|x|))), PyTorch BCEWithLogitsLoss */
struct gc_tensor *gc_bce_with_logits(struct gc_graph *g, struct gc_tensor *x,
                                     struct gc_tensor *t);
/* Element-wise version (no mean) */
struct gc_tensor *gc_bce_with_logits_elem(struct gc_graph *g, struct gc_tensor *x,
                                          struct gc_tensor *t);
struct gc_tensor *gc_mse_loss(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *t);
struct gc_tensor *gc_l1_loss(struct gc_graph *g, struct gc_tensor *x, struct gc_tensor *t);
/* Scalar versions against a constant target (GAN labels): */
struct gc_tensor *gc_bce_with_logits_const(struct gc_graph *g, struct gc_tensor *x, float target);
struct gc_tensor *gc_mse_loss_const(struct gc_graph *g, struct gc_tensor *x, float target);

/* ---- random (Philox4x32-10, counter-based: same seed, same numbers on
 * every device). Each run of a plan draws fresh numbers: the counter is
 * (seed, stream, plan run index). ---------------------------------------- */
struct gc_tensor *gc_rand_uniform(struct gc_graph *g, uint64_t seed, int ndim,
                                  const int64_t *shape); /* [0, 1) */
struct gc_tensor *gc_rand_normal(struct gc_graph *g, uint64_t seed, int ndim,
                                 const int64_t *shape); /* N(0, 1) */

/* ---- autodiff ------------------------------------------------------------ */
/* Appends the backward graph of `loss` (any shape: seeded with ones) and
 * writes d loss / d wrt[i] into grads[i] (a zero tensor when wrt[i] does not
 * influence loss). Tensors used twice accumulate. The result is made of
 * ordinary ops and can be differentiated again. Returns GC_UNSUPPORTED naming
 * the op when the path crosses an op without a gradient. */
gc_status gc_grad(struct gc_graph *g, struct gc_tensor *loss, int n, struct gc_tensor *const *wrt,
                  struct gc_tensor **grads);
/* Makes `grad` the gradient stored in p's slot of its group's flat gradient
 * buffer when a plan computes it (a copy is inserted where needed). */
gc_status gc_param_bind_grad(struct gc_tensor *p, struct gc_tensor *grad);
/* The tensor bound to p's gradient slot (NULL if none): pass it among a
 * plan's outputs to have the plan compute it. */
struct gc_tensor *gc_param_grad(const struct gc_tensor *p);

/* ---- plans -------------------------------------------------------------- */
struct gc_plan;
struct gc_plan_stats {
    int64_t steps;            /* kernels / CLBlast calls per run */
    int64_t arena_bytes;      /* peak of the activation arena(s) */
    int64_t arena_count;      /* arenas (split at the device's max allocation) */
    int64_t naive_bytes;      /* sum of all intermediate tensors' sizes */
    int64_t param_bytes;      /* parameters + gradients of the groups used */
};
/* Plans the nodes needed for `outputs` (and for the parameter gradients
 * bound with gc_param_bind_grad among them). */
gc_status gc_plan_create(struct gc_graph *g, int n, struct gc_tensor *const *outputs,
                         struct gc_plan **out);
void gc_plan_destroy(struct gc_plan *p);
void gc_plan_get_stats(const struct gc_plan *p, struct gc_plan_stats *out);
/* Copies host data into an input (or any planned tensor before the run). */
gc_status gc_plan_write(struct gc_plan *p, struct gc_tensor *t, const float *src);
/* Enqueues every step; no allocation, no host synchronisation. */
gc_status gc_plan_run(struct gc_plan *p);
/* Blocking read of an output tensor after a run. */
gc_status gc_plan_read(struct gc_plan *p, const struct gc_tensor *t, float *dst);
/* Non-blocking read into dst (valid after gc_device_finish). */
gc_status gc_plan_read_async(struct gc_plan *p, const struct gc_tensor *t, float *dst);
/* The random-stream counter used by the next run (runs increment it). */
void gc_plan_set_rng_counter(struct gc_plan *p, uint64_t counter);
uint64_t gc_plan_rng_counter(const struct gc_plan *p);
/* Profiling mode (device opened with profiling): time per op kind. */
struct gc_op_time {
    const char *op;
    int64_t calls;
    double ms;
};
gc_status gc_plan_profile(struct gc_plan *p, struct gc_op_time *times, int max, int *n);
/* Floating-point operations of one run, summed from the op descriptors' flop
 * counts (a multiply-add is 2); for GFLOP/s reports such as `gan-cl bench`. */
double gc_plan_flops(const struct gc_plan *p);

#endif
