/* SPDX-License-Identifier: MIT */
/* Optimizers: one fused kernel over a parameter group's flat buffers
 * (parameters, gradients, moments), following PyTorch's update rules so
 * hyper-parameters port unchanged. Also weight clipping (WGAN) and
 * zero-grad, each a single flat pass. */
#ifndef GANCL_OPTIM_H
#define GANCL_OPTIM_H

#include <stdint.h>

#include "gancl/graph.h"

enum gc_optim_kind { GC_OPTIM_SGD, GC_OPTIM_ADAM, GC_OPTIM_RMSPROP };

struct gc_optim_config {
    enum gc_optim_kind kind;
    float lr;
    float beta1, beta2; /* Adam (PyTorch defaults 0.9, 0.999) */
    float eps;          /* Adam 1e-8, RMSProp 1e-8 */
    float momentum;     /* SGD (dampening 0, no Nesterov), RMSProp momentum (0) */
    float alpha;        /* RMSProp smoothing (PyTorch default 0.99) */
    float weight_decay; /* L2 added to the gradient, as torch.optim does */
};

/* PyTorch's defaults for kind, with lr. */
struct gc_optim_config gc_optim_defaults(enum gc_optim_kind kind, float lr);

struct gc_optim;
/* Creates the moment buffers (zero). The group must be allocated. */
gc_status gc_optim_create(struct gc_param_group *grp, const struct gc_optim_config *cfg,
                          struct gc_optim **out);
void gc_optim_destroy(struct gc_optim *o);
/* Enqueues one update with the current learning rate; no host sync. */
gc_status gc_optim_step(struct gc_optim *o);
void gc_optim_set_lr(struct gc_optim *o, float lr);
float gc_optim_lr(const struct gc_optim *o);
int64_t gc_optim_steps(const struct gc_optim *o);

/* Moments for checkpoints: `count` buffers of gc_param_group_numel floats
 * (Adam: m, v; SGD: momentum; RMSProp: square average, momentum). */
int gc_optim_state_count(const struct gc_optim *o);
const char *gc_optim_state_name(const struct gc_optim *o, int i);
gc_status gc_optim_state_read(const struct gc_optim *o, int i, float *dst);
gc_status gc_optim_state_write(struct gc_optim *o, int i, const float *src);
void gc_optim_set_steps(struct gc_optim *o, int64_t steps);

/* p = clamp(p, -c, c) over the whole group (WGAN weight clipping). */
gc_status gc_param_group_clip(struct gc_param_group *grp, float c);
gc_status gc_param_group_zero_grad(struct gc_param_group *grp);

#endif
